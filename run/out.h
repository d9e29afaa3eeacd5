/* SPDX-License-Identifier: MIT */
/*
 * Every output format of sipreuse (DESIGN.md section 8; results/README.md
 * describes them): per run summary.json, runs.tsv, nodes.tsv,
 * timeseries.tsv and latency.tsv plus a completion marker; per experiment
 * the aggregate runs.tsv and aggregate.tsv (mean and Student-t 95%
 * confidence half-width per group and key).  Numbers are printed with fixed
 * formats in the C locale, so equal runs give equal bytes; only the
 * sim.wall_s and sim.events_per_s columns measure the wall clock, and
 * SimOutOptions.no_timing writes them as 0.  Every file is written to a
 * temporary name and renamed, so a reader never sees half a file; a run
 * folder's completion marker records the run's fingerprint, the program
 * revision and the SHA-256 of every file, so that `--resume` reuses only
 * folders whose files are intact and of the same inputs and code.
 */
#pragma once

#include <glib.h>

#include "run/result.h"
#include "run/topo.h"

G_BEGIN_DECLS

#define SIM_OUT_ERROR (sim_out_error_quark())
GQuark sim_out_error_quark(void);

typedef enum {
    SIM_OUT_ERROR_FAILED,
    /* A results file that does not have the expected shape. */
    SIM_OUT_ERROR_PARSE,
} SimOutError;

/* Name of the marker written last into a complete run folder. */
#define SIM_OUT_COMPLETE "complete"

/* Number of leading runs.tsv columns that are labels, not numbers
 * (topology strategy seed protocol). */
#define SIM_OUT_N_LABEL_KEYS 4

/* What a runs.tsv column holds (sim_out_run_key_type()). */
typedef enum {
    /* Not a runs.tsv key. */
    SIM_OUT_KEY_UNKNOWN,
    /* A name (topology, strategy, protocol). */
    SIM_OUT_KEY_TEXT,
    /* A whole number (0 to 2^64 - 1). */
    SIM_OUT_KEY_INTEGER,
    /* A real number, nan when there is no value. */
    SIM_OUT_KEY_REAL,
} SimOutKeyType;

/* How to write. */
typedef struct {
    /* Write sim.wall_s and sim.events_per_s as 0 (byte-identical output). */
    gboolean no_timing;
    /* (nullable): the run's fingerprint (sim_out_fingerprint), written into
     * the completion marker so that `sweep --resume` can tell a folder of
     * this very run from one of an edited experiment. */
    const char *fingerprint;
} SimOutOptions;

/* A group of runs to aggregate (one strategy, or one sweep point and
 * strategy). */
typedef struct {
    /* Values of the aggregate's label columns. */
    char **labels;
    /* runs.tsv rows of the group, each a NULL-terminated field vector. */
    GPtrArray *rows;
} SimOutGroup;

/* Mean and 95% confidence half-width of a sample. */
typedef struct {
    guint n;
    double mean;
    /* Sample standard deviation (n - 1 in the denominator). */
    double sd;
    /* t(0.975, n-1) s / sqrt(n); 0 when n < 2. */
    double ci95;
} SimOutStat;

/* Contract. */
const char *const *sim_out_run_keys(void);
guint sim_out_n_run_keys(void);
SimOutKeyType sim_out_run_key_type(const char *key);
const char *sim_out_git_revision(void);

/* Per-run formats (transfer full strings). */
char *sim_out_runs_header(void);
char *sim_out_runs_row(const SimRunResult *r, const SimOutOptions *opt);
char *sim_out_summary_json(const SimRunResult *r, const SimOutOptions *opt);
char *sim_out_summary_text(const SimRunResult *r, const SimOutOptions *opt);
char *sim_out_nodes_tsv(const SimRunResult *r);
char *sim_out_pairs_tsv(const SimRunResult *r);
char *sim_out_timeseries_tsv(const SimRunResult *r);
char *sim_out_latency_tsv(const SimRunResult *r);

/* What a run's results depend on (sim_out_fingerprint). */
typedef struct {
    /* The topology file's text as loaded (before overrides). */
    const char *topo_text;
    gsize topo_len;
    /* (nullable): sim_out_files_digest() of the loaded topology. */
    const char *files_digest;
    /* (nullable): the run's overrides, in order. */
    const char *const *overrides;
    const char *strategy;
    guint64 seed;
    /* The timing columns are written as 0. */
    gboolean no_timing;
    /* (nullable): the program revision; NULL: sim_out_revision(). */
    const char *revision;
} SimOutFingerprint;

/* What sim_out_run_check() finds in a run folder. */
typedef enum {
    /* No completion marker: the run never finished. */
    SIM_OUT_RUN_ABSENT,
    /* Complete, but of another fingerprint (an edited experiment, another
     * build) or of none. */
    SIM_OUT_RUN_STALE,
    /* Marked complete, but its files do not agree with the marker. */
    SIM_OUT_RUN_DAMAGED,
    /* Complete and intact. */
    SIM_OUT_RUN_OK,
} SimOutRunState;

/* Files. */
gboolean sim_out_write_file(const char *path, const char *contents,
                            GError **error);
gboolean sim_out_begin_run_dir(const char *dir, GError **error);
gboolean sim_out_write_run(const SimRunResult *r, const char *dir,
                           const SimOutOptions *opt, GError **error);
gboolean sim_out_run_complete(const char *dir);
guint sim_out_clean_temps(const char *dir);
const char *sim_out_revision(void);
char *sim_out_files_digest(const SimTopo *topo);
char *sim_out_fingerprint(const SimOutFingerprint *in);
char *sim_out_run_fingerprint(const char *dir);
char **sim_out_read_run_row(const char *dir, GError **error);
SimOutRunState sim_out_run_check(const char *dir, const char *fingerprint,
                                 char ***row, char **revision,
                                 GError **error);

/* Aggregation. */
double sim_out_t975(guint dof);
void sim_out_stat(const double *x, guint n, SimOutStat *st);
gboolean sim_out_group_stat(const SimOutGroup *g, const char *key,
                            SimOutStat *st);
char *sim_out_aggregate_tsv(const char *const *label_names,
                            const SimOutGroup *groups, guint n_groups);
char *sim_out_compare_text(const SimOutGroup *groups, guint n_groups,
                           SimTime warmup);
char *sim_out_seconds_text(SimTime t);

G_END_DECLS
