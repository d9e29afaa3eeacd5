/* SPDX-License-Identifier: MIT */
/*
 * Many runs at once for `compare` and `sweep`: a list of jobs (topology,
 * strategy, seed, results folder) run on worker threads, each written
 * atomically into its own folder; results are collected in job order,
 * whatever order the threads finish in.  Also the plot driver the verbs
 * share (implemented in cli/cmd_plot.c).
 */
#pragma once

#include <glib.h>

#include "run/out.h"
#include "run/topo.h"

G_BEGIN_DECLS

/* One run of a batch. */
typedef struct {
    /* The loaded topology (borrowed, shared read-only between jobs). */
    const SimTopo *topo;
    /* (nullable): where @topo came from, so that another process can load
     * it again (run/ship.h): its name (path), its text as read and the
     * SimTopoLoadFlags it was loaded with (borrowed, like @topo). */
    const char *topo_path;
    const char *topo_text;
    gsize topo_len;
    guint topo_flags;
    /* Strategy name. */
    char *strategy;
    guint64 seed;
    /* The --set overrides the topology was loaded with (recorded). */
    char **overrides;
    /* The run's results folder. */
    char *dir;
    /* (nullable): what the run depends on (sim_out_fingerprint), written
     * into its completion marker; with resume, a complete folder whose
     * marker records another fingerprint (or none) is run again. */
    char *fingerprint;
    /* (nullable): values of leading runs.tsv columns (a sweep point's
     * varied keys), NULL-terminated. */
    char **labels;
    /* Output: the runs.tsv fields, or NULL with error set. */
    char **row;
    GError *error;
    /* Output: TRUE if the run was complete on disk and not rerun. */
    gboolean resumed;
    /* Output: TRUE if a complete folder was rerun because its fingerprint
     * differed (the experiment, the topology or the program changed). */
    gboolean stale;
    /* Output (nullable): with stale, the revision the old run's marker
     * records when it is not this program's (NULL: same, or none). */
    char *stale_revision;
    /* Output (nullable): why a folder marked complete was rerun: its files
     * do not agree with its marker (missing, altered, not numbers). */
    char *damaged;
} SimBatchJob;

typedef struct SimBatchOptions SimBatchOptions;

/* Another executor of a batch's jobs, instead of this process's threads
 * (run/mpi.c: the ranks of an MPI job).  It must leave every job as
 * sim_batch_run() does: resumed, or with its row or error set, its folder
 * written by this process.  Returns the number of failed jobs. */
typedef guint (*SimBatchExecFunc)(GPtrArray *jobs,
                                  const SimBatchOptions *opt);

/* How to run a batch. */
struct SimBatchOptions {
    /* Threads (0: one per processor). */
    gint jobs;
    /* Skip jobs whose folder holds a complete, intact run of the same
     * fingerprint (sim_out_run_check()). */
    gboolean resume;
    /* Progress on stderr: runs done, ETA, the last run finished (a bar
     * on a terminal, else lines); the verbs set it on a terminal or with
     * --progress, never with --quiet. */
    gboolean progress;
    SimOutOptions out;
    /* Unix time at which every run validates certificate files when [pki]
     * verify-time is unset (0: when the batch starts): one instant for all
     * the runs, so they cannot straddle a certificate's validity edge. */
    gint64 files_verify_time;
    /* (nullable): the executor (NULL: options->jobs threads here). */
    SimBatchExecFunc exec;
};

/* Jobs. */
SimBatchJob *sim_batch_job_new(const SimTopo *topo, const char *strategy,
                               guint64 seed, const char *const *overrides,
                               const char *dir);
void sim_batch_job_free(SimBatchJob *job);
guint sim_batch_run(GPtrArray *jobs, const SimBatchOptions *opt);
gboolean sim_batch_job_resume(SimBatchJob *job);
void sim_batch_job_run(SimBatchJob *job, const SimBatchOptions *opt);

/* Helpers of the verbs. */
int sim_batch_exit_status(const GError *error);
char *sim_batch_cache_dir(void);
gboolean sim_batch_no_timing_env(void);
char *sim_batch_runs_tsv(GPtrArray *jobs, const char *const *label_names);
void sim_batch_report_resume(GPtrArray *jobs, const char *who);
gboolean sim_batch_topo_needs_pki(const SimTopo *topo);
gboolean sim_batch_cache_ready(const char *dir, GError **error);

/* Plots (cli/cmd_plot.c): draws every plot that applies to @dir. */
gboolean sim_plot_dir(const char *dir, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimBatchJob, sim_batch_job_free)

G_END_DECLS
