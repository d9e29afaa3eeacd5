/* SPDX-License-Identifier: MIT */
/*
 * `sipreuse compare TOPOLOGY`: every applicable strategy (or --strategies),
 * each with --reps replications on seeds seed, seed+1, ..., run in
 * parallel.  Writes every run's folder, the experiment's runs.tsv (job
 * order: strategy, then seed), aggregate.tsv (mean and 95% CI per
 * strategy) and topology.topo (the topology file as loaded, before
 * overrides), prints the side-by-side table and draws the plots.  Before
 * anything runs it refuses (exit 2) more than SIM_LIMITS_MAX_RUNS runs
 * and runs estimated to need more than --max-memory (unless --force),
 * then creates and locks --out (exit 1 if another sipreuse holds it or it
 * cannot be written, 2 if it is a file).
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>

#include "models/strategy/strategy.h"
#include "run/batch.h"
#include "run/input.h"
#include "run/mpi.h"
#include "run/world.h"

/* The parsed command line. */
typedef struct {
    char *strategies;
    gint reps;
    gint jobs;
    /* (nullable): --seed as typed; seed is its value. */
    char *seed_text;
    guint64 seed;
    char *out;
    char **sets;
    char **unsets;
    gboolean no_timing;
    /* --progress, --quiet. */
    gboolean progress;
    gboolean quiet;
    gboolean no_plots;
    char *max_memory_text;
    guint64 max_memory;
    gboolean force;
} CompareArgs;

static void
compare_args_clear(CompareArgs *a)
{
    g_free(a->strategies);
    g_free(a->seed_text);
    g_free(a->out);
    g_strfreev(a->sets);
    g_strfreev(a->unsets);
    g_free(a->max_memory_text);
}

/* A strategy of --strategies: named once, and able to run over the
 * topology's transport (decided before anything runs). */
static gboolean
compare_strategy_ok(const SimTopo *topo, const char *name, GPtrArray *names,
                    GError **error)
{
    if (g_ptr_array_find_with_equal_func(names, name, g_str_equal, NULL)) {
        g_set_error(error, SIM_WORLD_ERROR, SIM_WORLD_ERROR_STRATEGY,
                    "--strategies names %s twice", name);
        return FALSE;
    }
    if (sim_world_strategy_applicable(topo, name))
        return TRUE;
    g_autoptr(GString) can = g_string_new(NULL);
    for (const SimStrategyOps *const *s = sim_strategy_all(); *s; s++)
        if (sim_world_strategy_applicable(topo, (*s)->name))
            g_string_append_printf(can, "%s%s", can->len ? ", " : "",
                                   (*s)->name);
    g_set_error(error, SIM_WORLD_ERROR, SIM_WORLD_ERROR_NOT_APPLICABLE,
                "--strategies: %s cannot run over transport %s; expected "
                "strategies among %s",
                name, sim_protocol_name(topo->transport.protocol), can->str);
    return FALSE;
}

/* The strategies to run: --strategies as given, or every registered one
 * that applies to the topology, in registry order. */
static char **
compare_strategies(const SimTopo *topo, const char *list, GError **error)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    if (list) {
        g_auto(GStrv) parts = g_strsplit(list, ",", -1);
        for (guint i = 0; parts[i]; i++) {
            const char *n = g_strstrip(parts[i]);
            if (!*n)
                continue;
            if (!sim_strategy_by_name(n, error) ||
                !compare_strategy_ok(topo, n, names, error)) {
                g_ptr_array_free(names, TRUE);
                return NULL;
            }
            g_ptr_array_add(names, g_strdup(n));
        }
    } else {
        g_autoptr(GString) dropped = g_string_new(NULL);
        for (const SimStrategyOps *const *s = sim_strategy_all(); *s; s++)
            if (sim_world_strategy_applicable(topo, (*s)->name))
                g_ptr_array_add(names, g_strdup((*s)->name));
            else
                g_string_append_printf(dropped, "%s%s",
                                       dropped->len ? ", " : "", (*s)->name);
        if (dropped->len)
            fprintf(stderr, "sipreuse compare: %s: not compared: %s (they "
                            "cannot run over transport %s)\n",
                    topo->path, dropped->str,
                    sim_protocol_name(topo->transport.protocol));
    }
    if (!names->len) {
        g_set_error(error, SIM_WORLD_ERROR, SIM_WORLD_ERROR_NOT_APPLICABLE,
                    "no strategy to compare on topology %s", topo->name);
        g_ptr_array_free(names, TRUE);
        return NULL;
    }
    g_ptr_array_add(names, NULL);
    return (char **)g_ptr_array_free(names, FALSE);
}

/* Writes runs.tsv, aggregate.tsv and topology.topo (@topo_text) and
 * returns the table to print. */
static char *
compare_aggregate(GPtrArray *jobs, char **strategies, const char *out,
                  const char *topo_text, SimTime warmup, GError **error)
{
    guint n = g_strv_length(strategies);
    g_autofree SimOutGroup *groups = g_new0(SimOutGroup, n);
    for (guint s = 0; s < n; s++) {
        groups[s].labels = &strategies[s];
        groups[s].rows = g_ptr_array_new();
        for (guint i = 0; i < jobs->len; i++) {
            SimBatchJob *job = g_ptr_array_index(jobs, i);
            if (job->row && g_str_equal(job->strategy, strategies[s]))
                g_ptr_array_add(groups[s].rows, job->row);
        }
    }
    const char *labels[] = { "strategy", NULL };
    g_autofree char *runs = sim_batch_runs_tsv(jobs, NULL);
    g_autofree char *agg = sim_out_aggregate_tsv(labels, groups, n);
    g_autofree char *runs_path = g_build_filename(out, "runs.tsv", NULL);
    g_autofree char *agg_path = g_build_filename(out, "aggregate.tsv", NULL);
    g_autofree char *topo_path = g_build_filename(out, "topology.topo", NULL);
    char *table = NULL;
    if (sim_out_write_file(runs_path, runs, error) &&
        sim_out_write_file(agg_path, agg, error) &&
        sim_out_write_file(topo_path, topo_text, error))
        table = sim_out_compare_text(groups, n, warmup);
    for (guint s = 0; s < n; s++)
        g_ptr_array_unref(groups[s].rows);
    return table;
}

static GPtrArray *
compare_jobs(const SimTopo *topo, const char *text, gsize len,
             char **strategies, const CompareArgs *a, const char *out)
{
    GPtrArray *jobs = g_ptr_array_new_with_free_func(
        (GDestroyNotify)sim_batch_job_free);
    guint64 base = a->seed_text ? a->seed : topo->simulation.seed;
    g_autofree char *files = sim_out_files_digest(topo);
    for (guint s = 0; strategies[s]; s++) {
        for (gint i = 0; i < a->reps; i++) {
            g_autofree char *leaf = g_strdup_printf(
                "%s-seed%" G_GUINT64_FORMAT, strategies[s], base + i);
            g_autofree char *dir = g_build_filename(out, leaf, NULL);
            SimBatchJob *job = sim_batch_job_new(
                topo, strategies[s], base + i, (const char *const *)a->sets,
                dir);
            SimOutFingerprint fin = {
                .topo_text = text,
                .topo_len = len,
                .files_digest = files,
                .overrides = (const char *const *)a->sets,
                .strategy = strategies[s],
                .seed = base + i,
                .no_timing = a->no_timing,
            };
            job->fingerprint = sim_out_fingerprint(&fin);
            job->topo_path = topo->path;
            job->topo_text = text;
            job->topo_len = len;
            job->topo_flags = SIM_TOPO_LOAD_CALLER_STRATEGY;
            g_ptr_array_add(jobs, job);
        }
    }
    return jobs;
}

static int
compare_report_failures(GPtrArray *jobs)
{
    int rc = SIM_EXIT_OK;
    for (guint i = 0; i < jobs->len; i++) {
        SimBatchJob *job = g_ptr_array_index(jobs, i);
        if (!job->error)
            continue;
        fprintf(stderr, "sipreuse compare: %s seed %" G_GUINT64_FORMAT
                        ": %s\n", job->strategy, job->seed,
                job->error->message);
        int status = sim_batch_exit_status(job->error);
        rc = MAX(rc, status);
    }
    return rc;
}

static int
compare_main(const char *path, CompareArgs *a)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;
    gsize len = 0;
    if (!sim_input_read_file(path, SIM_INPUT_MAX_TOPOLOGY, &text, &len,
                             &error))
        return sim_cli_usage_error("compare", "topology %s",
                                   error->message);
    /* compare picks its strategies: [simulation] strategy is not used. */
    g_autoptr(SimTopo) topo = sim_topo_load_data_full(
        path, text, len, (const char *const *)a->sets,
        SIM_TOPO_LOAD_CALLER_STRATEGY, &error);
    if (!topo)
        return sim_cli_usage_error("compare", "%s", error->message);
    sim_cli_warnings("compare", path, (const char *const *)topo->warnings,
                     NULL);
    /* Replications use seeds base, base + 1, ...: all must be seeds. */
    guint64 base = a->seed_text ? a->seed : topo->simulation.seed;
    if (base > G_MAXUINT64 - (guint64)(a->reps - 1))
        return sim_cli_usage_error("compare", "expected a first seed of at "
                                   "most %" G_GUINT64_FORMAT " for %d "
                                   "replications, found %" G_GUINT64_FORMAT,
                                   G_MAXUINT64 - (guint64)(a->reps - 1),
                                   a->reps, base);
    g_auto(GStrv) strategies = compare_strategies(topo, a->strategies,
                                                  &error);
    if (!strategies)
        return sim_cli_usage_error("compare", "%s", error->message);
    g_autoptr(GHashTable) seen = g_hash_table_new_full(
        g_str_hash, g_str_equal, g_free, NULL);
    for (guint s = 0; strategies[s]; s++)
        sim_cli_strategy_warnings("compare", path, topo, strategies[s], seen);
    g_autofree char *out = a->out ? g_strdup(a->out)
                                  : g_build_filename("results", topo->name,
                                                     "compare", NULL);
    guint64 n_runs = (guint64)g_strv_length(strategies) * (guint64)a->reps;
    g_autofree char *what = g_strdup_printf("the comparison of %s", path);
    int rc = sim_cli_check_runs("compare", what, n_runs, a->force);
    if (rc)
        return rc;
    SimRunEstimate est;
    sim_limits_estimate(topo, &est);
    guint threads = a->jobs > 0 ? (guint)a->jobs : g_get_num_processors();
    g_autoptr(SimLock) lock = NULL;
    g_autofree char *cache = NULL;
    if ((rc = sim_cli_check_memory("compare", path, &est,
                                   (guint)MIN(threads, n_runs),
                                   a->max_memory, a->force)) ||
        (rc = sim_cli_lock("compare", out, &lock)) ||
        (rc = sim_cli_cache("compare", sim_batch_topo_needs_pki(topo),
                            &cache)))
        return rc;
    sim_out_clean_temps(out);
    g_autoptr(GPtrArray) jobs = compare_jobs(topo, text, len, strategies, a,
                                             out);
    SimBatchOptions bo = { .jobs = a->jobs,
                           .progress = sim_cli_progress_wanted(a->progress,
                                                               a->quiet),
                           .out.no_timing = a->no_timing,
                           .exec = sim_mpi_executor() };
    sim_limits_watch_start(a->max_memory, "sipreuse compare");
    sim_batch_run(jobs, &bo);
    sim_limits_watch_stop();
    rc = compare_report_failures(jobs);
    g_autofree char *table = compare_aggregate(
        jobs, strategies, out, text,
        MIN(topo->simulation.warmup, topo->simulation.duration), &error);
    if (!table) {
        fprintf(stderr, "sipreuse compare: %s\n", error->message);
        return SIM_EXIT_FAILURE;
    }
    /* Once: GLib's MAX evaluates its arguments twice. */
    int db = sim_cli_database("compare", out);
    rc = MAX(rc, db);
    printf("%s (%s), %d replication%s per strategy\n%s\nresults: %s\n",
           topo->name, sim_protocol_name(topo->transport.protocol), a->reps,
           a->reps == 1 ? "" : "s", table, out);
    if (fflush(stdout) != 0) {
        sim_cli_error("compare", "cannot write the table: %s",
                      g_strerror(errno));
        rc = MAX(rc, SIM_EXIT_FAILURE);
    }
    if (!a->no_plots && !sim_plot_dir(out, &error)) {
        sim_cli_error("compare", "plots: %s", error->message);
        rc = MAX(rc, SIM_EXIT_FAILURE);
    }
    return rc;
}

/**
 * sim_cmd_compare:
 * @argc: argument count
 * @argv: arguments; argv[0] is "compare"
 *
 * Returns: the exit status.
 */
int
sim_cmd_compare(int argc, char **argv)
{
    CompareArgs a = { .reps = 5, .no_timing = sim_batch_no_timing_env() };
    const GOptionEntry entries[] = {
        { "strategies", 0, 0, G_OPTION_ARG_STRING, &a.strategies,
          "Comma-separated strategies (default: all applicable)", "A,B,..." },
        { "reps", 0, 0, G_OPTION_ARG_INT, &a.reps,
          "Replications per strategy (default 5)", "N" },
        { "jobs", 0, 0, G_OPTION_ARG_INT, &a.jobs,
          "Parallel runs (default: number of cores)", "N" },
        { "seed", 0, 0, G_OPTION_ARG_STRING, &a.seed_text,
          "First seed, 0 to 2^64-1 (default: the topology's)", "N" },
        { "out", 0, 0, G_OPTION_ARG_FILENAME, &a.out,
          "Results folder (default results/<topology>/compare)", "DIR" },
        { "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a.sets,
          "Override a topology key (repeatable)", "GROUP.KEY=VALUE" },
        { "unset", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a.unsets,
          "Remove a topology key: it takes its default (repeatable)",
          "GROUP.KEY" },
        { "progress", 0, 0, G_OPTION_ARG_NONE, &a.progress,
          "Report progress on stderr even when it is not a terminal",
          NULL },
        { "quiet", 0, 0, G_OPTION_ARG_NONE, &a.quiet,
          "Report no progress", NULL },
        { "no-timing", 0, 0, G_OPTION_ARG_NONE, &a.no_timing,
          "Write sim.wall_s and sim.events_per_s as 0", NULL },
        { "no-plots", 0, 0, G_OPTION_ARG_NONE, &a.no_plots,
          "Do not draw the plots", NULL },
        { "max-memory", 0, 0, G_OPTION_ARG_STRING, &a.max_memory_text,
          "Refuse runs estimated to need more memory, and stop if they use "
          "more (exit 1); K, M, G suffixes (default: half the physical "
          "memory)", "SIZE" },
        { "force", 0, 0, G_OPTION_ARG_NONE, &a.force,
          "Run more than 100000 runs, or runs estimated to exceed "
          "--max-memory (the limit still stops them)", NULL },
        G_OPTION_ENTRY_NULL
    };
    GOptionContext *ctx = sim_cli_context("compare", entries);
    g_option_context_set_description(
        ctx,
        "On a cluster: mpirun -np N sipreuse compare TOPOLOGY ... (a `make\n"
        "MPI=1` build): rank 0 hands the runs out and writes the results\n"
        "folder, the other N-1 ranks run them (--jobs threads each); the\n"
        "results equal a local compare's.");
    int rc = sim_cli_parse(ctx, &argc, &argv);
    sim_cli_add_unsets(&a.sets, a.unsets);
    if (!rc && argc != 2)
        rc = sim_cli_usage_error("compare", "expected one TOPOLOGY");
    if (!rc && a.reps < 1)
        rc = sim_cli_usage_error("compare", "--reps must be at least 1");
    if (!rc && a.jobs < 0)
        rc = sim_cli_usage_error("compare", "--jobs must be positive");
    if (!rc && a.seed_text)
        rc = sim_cli_seed("compare", a.seed_text, &a.seed);
    if (!rc)
        rc = sim_cli_max_memory("compare", a.max_memory_text,
                                &a.max_memory);
    if (!rc)
        rc = compare_main(argv[1], &a);
    compare_args_clear(&a);
    return rc;
}
