/* SPDX-License-Identifier: MIT */
/*
 * The command-line verbs of sipreuse (DESIGN.md section 6).  Each verb lives
 * in its own cli/cmd_<verb>.c, parses its own options with GOptionContext and
 * returns the process exit status: 0 success, 2 bad input, 1 runtime failure.
 */
#pragma once

#include <glib.h>

#include "run/limits.h"
#include "run/lock.h"
#include "run/status.h"
#include "run/topo.h"

G_BEGIN_DECLS


/* A verb's entry point; argv[0] is the verb itself. */
typedef int (*SimCmdFunc)(int argc, char **argv);

/* One verb of the CLI. */
typedef struct {
    /* The verb as typed. */
    const char *name;
    /* Its arguments, for usage lines. */
    const char *args;
    /* One-line description. */
    const char *summary;
    /* The implementation. */
    SimCmdFunc func;
} SimCmd;

/* The verb table, terminated by an entry whose name is NULL. */
extern const SimCmd sim_cmds[];

/* Verbs. */
int sim_cmd_run(int argc, char **argv);
int sim_cmd_compare(int argc, char **argv);
int sim_cmd_sweep(int argc, char **argv);
int sim_cmd_plot(int argc, char **argv);
int sim_cmd_export(int argc, char **argv);
int sim_cmd_check(int argc, char **argv);
int sim_cmd_list(int argc, char **argv);
int sim_cmd_calibrate(int argc, char **argv);

/* Helpers shared by the verbs. */
GOptionContext *sim_cli_context(const char *verb, const GOptionEntry *entries);
int sim_cli_parse(GOptionContext *ctx, int *argc, char ***argv);
int sim_cli_usage_error(const char *verb, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);
int sim_cli_seed(const char *verb, const char *text, guint64 *seed);
void sim_cli_add_unsets(char ***sets, char **unsets);
gboolean sim_cli_progress_wanted(gboolean force, gboolean quiet);

/* The progress of one run (sim_cli_run_progress()). */
typedef struct {
    /* What is running, for the line ("sipreuse run"). */
    const char *what;
    /* Wall-clock seconds before the first report. */
    double after_s;
    /* Monotonic times (us) of the start and of the last report. */
    gint64 start, printed;
    gboolean drawn;
} SimCliRunProgress;
void sim_cli_run_progress(SimTime now, SimTime end, gpointer data);
void sim_cli_run_progress_end(SimCliRunProgress *pr);
char *sim_cli_numeric_columns(const char *tsv, guint first,
                              const char *const *keys);
void sim_cli_strategy_warnings(const char *verb, const char *path,
                               const SimTopo *topo, const char *strategy,
                               GHashTable *seen);
void sim_cli_warnings(const char *verb, const char *path,
                      const char *const *warnings, GHashTable *seen);
void sim_cli_error(const char *verb, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);
gboolean sim_cli_name_ok(const char *name);
char *sim_cli_printable(const char *text);
int sim_cli_max_memory(const char *verb, const char *text, guint64 *bytes);
int sim_cli_check_runs(const char *verb, const char *what, guint64 runs,
                       gboolean force);
int sim_cli_check_memory(const char *verb, const char *what,
                         const SimRunEstimate *est, guint parallel,
                         guint64 max_bytes, gboolean force);
int sim_cli_lock(const char *verb, const char *dir, SimLock **lock);
int sim_cli_cache(const char *verb, gboolean needed, char **cache_dir);
int sim_cli_database(const char *verb, const char *dir);

/* Plots (cli/cmd_plot.c). */
gboolean sim_plot_check_experiment(GKeyFile *kf, const char *path,
                                   GError **error);
int sim_plot_exit_status(const GError *error);

G_END_DECLS
