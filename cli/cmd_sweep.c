/* SPDX-License-Identifier: MIT */
/*
 * `sipreuse sweep EXPERIMENT`: a grid of runs.  The experiment is a key
 * file: [experiment] names the topology (relative to the experiment's
 * folder), the strategies, replications, first seed and fixed overrides;
 * [vary] lists values per topology key (the cartesian product, first key
 * slowest) and each [zip NAME] keys whose values move together (one
 * axis); [plot NAME] groups ask for plots (cli/cmd_plot.c).  Every run
 * has its own folder runs/<point>/<strategy>-seed<N>/ with a completion
 * marker that records the run's fingerprint (program revision, topology
 * text and the files it names, overrides, strategy, seed, timing flag) and
 * the SHA-256 of each of its files, so --resume reruns only what an
 * interrupted sweep left incomplete, what an edit of the experiment or a
 * rebuilt program made stale and what was damaged since; the top-level
 * runs.tsv leads with the varied keys, the aggregate has one row per point
 * and strategy, and the folder keeps copies of the experiment and of the
 * topology file.  Everything that can be checked is checked before the
 * first run: the experiment's groups and [plot] specs, the strategies,
 * every point's topology, the number of runs, the memory estimate, the
 * --out folder (created and locked) and the PKI cache.
 */
#include "cli/cli.h"
#include "cli/sweep_plot.h"
#include "cli/sweep_shard.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "models/strategy/strategy.h"
#include "run/batch.h"
#include "run/experiment.h"
#include "run/input.h"
#include "run/mpi.h"
#include "run/world.h"

/* One grid point. */
typedef struct {
    /* Overrides: fixed ones, then key=value per varied key. */
    char **overrides;
    /* The varied values, one per key. */
    char **labels;
    char *folder;
    SimTopo *topo;
    char **strategies;
    /* sim_out_files_digest() of topo. */
    char *files;
} Point;

static void
point_free(gpointer p)
{
    Point *pt = p;
    g_strfreev(pt->overrides);
    g_strfreev(pt->labels);
    g_free(pt->folder);
    sim_topo_free(pt->topo);
    g_strfreev(pt->strategies);
    g_free(pt->files);
    g_free(pt);
}

/* A folder name for a point: "k=v,k=v" with '/' and blanks replaced. */
static char *
point_folder(const SimExperiment *e, char **labels)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; e->keys[i]; i++)
        g_string_append_printf(s, "%s%s=%s", i ? "," : "", e->keys[i],
                               labels[i]);
    if (!s->len)
        g_string_append(s, "default");
    g_strdelimit(s->str, "/ \t", '_');
    return g_string_free(s, FALSE);
}

/* The strategies of a point: those of [experiment] strategies (else every
 * registered one) that can run over the point's transport
 * (sweep_applicability() says which were left out). */
static char **
point_strategies(const SimExperiment *e, const SimTopo *topo)
{
    GPtrArray *names = g_ptr_array_new();
    if (e->strategies) {
        for (guint i = 0; e->strategies[i]; i++)
            if (sim_world_strategy_applicable(topo, e->strategies[i]))
                g_ptr_array_add(names, g_strdup(e->strategies[i]));
    } else {
        for (const SimStrategyOps *const *s = sim_strategy_all(); *s; s++)
            if (sim_world_strategy_applicable(topo, (*s)->name))
                g_ptr_array_add(names, g_strdup((*s)->name));
    }
    g_ptr_array_add(names, NULL);
    return (char **)g_ptr_array_free(names, FALSE);
}

/* Strategy x transport, decided before the first run: a strategy of
 * [experiment] strategies that can run at no point is bad input (exit 2);
 * one left out at some points, and the registered strategies a sweep
 * without strategies leaves out, are said once per transport. */
static int
sweep_applicability(const SimExperiment *e, const char *path,
                    GPtrArray *points)
{
    g_autoptr(GHashTable) said = g_hash_table_new_full(g_str_hash,
                                                       g_str_equal, g_free,
                                                       NULL);
    for (const SimStrategyOps *const *s = sim_strategy_all(); *s; s++) {
        const char *name = (*s)->name;
        if (e->strategies &&
            !g_strv_contains((const char *const *)e->strategies, name))
            continue;
        guint runs = 0;
        for (guint p = 0; p < points->len; p++) {
            Point *pt = g_ptr_array_index(points, p);
            if (g_strv_contains((const char *const *)pt->strategies, name)) {
                runs++;
                continue;
            }
            const char *proto =
                sim_protocol_name(pt->topo->transport.protocol);
            g_autofree char *k = g_strdup_printf("%s %s", name, proto);
            if (g_hash_table_add(said, g_steal_pointer(&k)))
                fprintf(stderr, "sipreuse sweep: %s: %s is not run at the "
                                "points over transport %s (it cannot run "
                                "there)\n",
                        path, name, proto);
        }
        if (e->strategies && runs == 0)
            return sim_cli_usage_error(
                "sweep", "%s: [experiment] strategies: %s cannot run over "
                "the transport of any point (%s)",
                path, name,
                sim_protocol_name(((Point *)g_ptr_array_index(points, 0))
                                      ->topo->transport.protocol));
    }
    return SIM_EXIT_OK;
}

/* Builds point @idx of the grid (mixed radix over the axes, the last
 * fastest; the keys of a [zip] group share one axis). */
static Point *
point_new(const SimExperiment *e, guint idx, GError **error)
{
    Point *pt = g_new0(Point, 1);
    sim_experiment_point(e, idx, &pt->labels, &pt->overrides);
    pt->folder = point_folder(e, pt->labels);
    /* A sweep picks its strategies: [simulation] strategy is not used. */
    pt->topo = sim_topo_load_data_full(
        e->topology, e->topo_text, e->topo_len,
        (const char *const *)pt->overrides, SIM_TOPO_LOAD_CALLER_STRATEGY,
        error);
    if (!pt->topo) {
        g_prefix_error(error, "point %s: ", pt->folder);
        point_free(pt);
        return NULL;
    }
    pt->strategies = point_strategies(e, pt->topo);
    pt->files = sim_out_files_digest(pt->topo);
    return pt;
}

/* Every grid point, loaded; @n points (at most G_MAXUINT).  Two points
 * whose values map to the same folder name are bad input. */
static GPtrArray *
sweep_points(const SimExperiment *e, guint n, GError **error)
{
    g_autoptr(GPtrArray) points = g_ptr_array_new_with_free_func(point_free);
    g_autoptr(GHashTable) folders = g_hash_table_new(g_str_hash,
                                                     g_str_equal);
    for (guint i = 0; i < n; i++) {
        Point *pt = point_new(e, i, error);
        if (!pt)
            return NULL;
        g_ptr_array_add(points, pt);
        Point *other = g_hash_table_lookup(folders, pt->folder);
        if (other) {
            g_set_error(error, G_KEY_FILE_ERROR,
                        G_KEY_FILE_ERROR_INVALID_VALUE,
                        "[vary]: two points would share the folder runs/%s "
                        "(values that differ only in '/', blanks or tabs); "
                        "make the values distinct",
                        pt->folder);
            return NULL;
        }
        g_hash_table_insert(folders, pt->folder, pt);
    }
    return g_steal_pointer(&points);
}

static GPtrArray *
sweep_jobs(const SimExperiment *e, GPtrArray *points, const char *out,
           gboolean no_timing)
{
    GPtrArray *jobs = g_ptr_array_new_with_free_func(
        (GDestroyNotify)sim_batch_job_free);
    for (guint p = 0; p < points->len; p++) {
        Point *pt = g_ptr_array_index(points, p);
        for (guint s = 0; pt->strategies[s]; s++) {
            for (gint r = 0; r < e->reps; r++) {
                guint64 seed = e->seed + (guint64)r;
                g_autofree char *leaf = g_strdup_printf(
                    "%s-seed%" G_GUINT64_FORMAT, pt->strategies[s], seed);
                g_autofree char *dir = g_build_filename(out, "runs",
                                                        pt->folder, leaf,
                                                        NULL);
                SimBatchJob *job = sim_batch_job_new(
                    pt->topo, pt->strategies[s], seed,
                    (const char *const *)pt->overrides, dir);
                SimOutFingerprint fin = {
                    .topo_text = e->topo_text,
                    .topo_len = e->topo_len,
                    .files_digest = pt->files,
                    .overrides = (const char *const *)pt->overrides,
                    .strategy = pt->strategies[s],
                    .seed = seed,
                    .no_timing = no_timing,
                };
                job->fingerprint = sim_out_fingerprint(&fin);
                job->topo_path = e->topology;
                job->topo_text = e->topo_text;
                job->topo_len = e->topo_len;
                job->topo_flags = SIM_TOPO_LOAD_CALLER_STRATEGY;
                job->labels = g_strdupv(pt->labels);
                g_ptr_array_add(jobs, job);
            }
        }
    }
    return jobs;
}

/* aggregate.tsv: one group per (point, strategy), in job order. */
static char *
sweep_aggregate(const SimExperiment *e, GPtrArray *points, GPtrArray *jobs)
{
    g_autoptr(GArray) groups = g_array_new(FALSE, TRUE, sizeof(SimOutGroup));
    guint j = 0;
    for (guint p = 0; p < points->len; p++) {
        Point *pt = g_ptr_array_index(points, p);
        for (guint s = 0; pt->strategies[s]; s++) {
            SimOutGroup g = { NULL, g_ptr_array_new() };
            GPtrArray *labels = g_ptr_array_new();
            g_ptr_array_add(labels, pt->strategies[s]);
            for (guint k = 0; pt->labels[k]; k++)
                g_ptr_array_add(labels, pt->labels[k]);
            g_ptr_array_add(labels, NULL);
            g.labels = (char **)g_ptr_array_free(labels, FALSE);
            for (gint r = 0; r < e->reps; r++, j++) {
                SimBatchJob *job = g_ptr_array_index(jobs, j);
                if (job->row)
                    g_ptr_array_add(g.rows, job->row);
            }
            g_array_append_val(groups, g);
        }
    }
    GPtrArray *names = g_ptr_array_new();
    g_ptr_array_add(names, (char *)"strategy");
    for (guint k = 0; e->keys[k]; k++)
        g_ptr_array_add(names, e->keys[k]);
    g_ptr_array_add(names, NULL);
    char *agg = sim_out_aggregate_tsv((const char *const *)names->pdata,
                                      (SimOutGroup *)groups->data,
                                      groups->len);
    g_ptr_array_unref(names);
    for (guint i = 0; i < groups->len; i++) {
        SimOutGroup *g = &g_array_index(groups, SimOutGroup, i);
        g_free(g->labels);
        g_ptr_array_unref(g->rows);
    }
    return agg;
}

static gboolean
sweep_write(const SimExperiment *e, const char *exp_path, GPtrArray *points,
            GPtrArray *jobs, const char *out, GError **error)
{
    g_autofree char *runs_text = sim_batch_runs_tsv(
        jobs, (const char *const *)e->keys);
    g_autofree char *agg_text = sweep_aggregate(e, points, jobs);
    /* Varied values with units also as numbers, in trailing columns. */
    g_autofree char *runs = sim_cli_numeric_columns(
        runs_text, 0, (const char *const *)e->keys);
    g_autofree char *agg = sim_cli_numeric_columns(
        agg_text, 1, (const char *const *)e->keys);
    g_autofree char *text = NULL;
    g_autofree char *p_runs = g_build_filename(out, "runs.tsv", NULL);
    g_autofree char *p_agg = g_build_filename(out, "aggregate.tsv", NULL);
    g_autofree char *p_exp = g_build_filename(out, "experiment.exp", NULL);
    g_autofree char *p_topo = g_build_filename(out, "topology.topo", NULL);
    return sim_input_read_file(exp_path, SIM_INPUT_MAX_EXPERIMENT, &text,
                               NULL, error) &&
           sim_out_write_file(p_exp, text, error) &&
           sim_out_write_file(p_topo, e->topo_text, error) &&
           sim_out_write_file(p_runs, runs, error) &&
           sim_out_write_file(p_agg, agg, error);
}

static int
sweep_report(GPtrArray *jobs)
{
    int rc = SIM_EXIT_OK;
    guint resumed = 0, ran = 0, stale = 0, damaged = 0;
    for (guint i = 0; i < jobs->len; i++) {
        SimBatchJob *job = g_ptr_array_index(jobs, i);
        resumed += job->resumed;
        ran += job->row && !job->resumed;
        stale += job->stale;
        damaged += job->damaged != NULL;
        if (!job->error)
            continue;
        fprintf(stderr, "sipreuse sweep: %s: %s\n", job->dir,
                job->error->message);
        int status = sim_batch_exit_status(job->error);
        rc = MAX(rc, status);
    }
    printf("%u runs: %u ran (%u of them stale: complete, but of an edited "
           "experiment or topology or another build; %u damaged: marked "
           "complete, but their files did not match), %u already complete, "
           "%u failed\n", jobs->len, ran, stale, damaged, resumed,
           jobs->len - ran - resumed);
    return rc;
}

typedef struct {
    char *out;
    gint jobs;
    gboolean resume;
    gboolean no_timing;
    /* --progress, --quiet. */
    gboolean progress;
    gboolean quiet;
    gboolean no_plots;
    char *max_memory_text;
    guint64 max_memory;
    gboolean force;
    /* Command-line overrides of the experiment: extra --set overrides
     * (after its own), replications and first seed (0 and NULL: the
     * experiment's). */
    char **sets;
    char **unsets;
    gint reps;
    char *seed_text;
    guint64 seed;
    /* --shard I/N (shard_count 0: the whole grid). */
    char *shard_text;
    guint shard_index;
    guint shard_count;
    /* (nullable): --merge's shard folders, NULL-terminated. */
    char **merge;
} SweepArgs;

/* The number of runs of @points and the estimate of the biggest one,
 * with the point it belongs to. */
static guint64
sweep_estimate(const SimExperiment *e, GPtrArray *points, SimRunEstimate *big,
               const char **where)
{
    guint64 runs = 0;
    memset(big, 0, sizeof *big);
    *where = NULL;
    for (guint p = 0; p < points->len; p++) {
        Point *pt = g_ptr_array_index(points, p);
        SimRunEstimate est;
        sim_limits_estimate(pt->topo, &est);
        if (!*where || est.bytes > big->bytes) {
            *big = est;
            *where = pt->folder;
        }
        runs += (guint64)g_strv_length(pt->strategies) * (guint64)e->reps;
    }
    return runs;
}

/* Checks what can be checked before the first run: the number of runs,
 * the memory estimate, the results folder (created and locked) and the
 * PKI cache.  Returns the exit status (0: go). */
static int
sweep_preflight(const SimExperiment *e, const char *path, GPtrArray *points,
                const SweepArgs *a, const char *out, SimLock **lock,
                char **cache)
{
    SimRunEstimate big;
    const char *where = NULL;
    guint64 runs = sweep_estimate(e, points, &big, &where);
    g_autofree char *what = g_strdup_printf("the grid of %s", path);
    g_autofree char *point = g_strdup_printf("%s: point %s", path,
                                             where ? where : "default");
    guint threads = a->jobs > 0 ? (guint)a->jobs : g_get_num_processors();
    gboolean pki = FALSE;
    for (guint p = 0; p < points->len; p++)
        pki |= sim_batch_topo_needs_pki(
            ((Point *)g_ptr_array_index(points, p))->topo);
    int rc;
    if ((rc = sim_cli_check_runs("sweep", what, runs, a->force)) ||
        (rc = sim_cli_check_memory("sweep", point, &big,
                                   (guint)MIN(threads, MAX(runs, 1)),
                                   a->max_memory, a->force)) ||
        (rc = sim_cli_lock("sweep", out, lock)) ||
        (rc = sim_cli_cache("sweep", pki, cache)))
        return rc;
    return 0;
}

/* The command line's --set, --reps and --seed over the experiment's. */
static int
sweep_apply_args(SimExperiment *e, const SweepArgs *a)
{
    if (a->reps > 0)
        e->reps = a->reps;
    if (a->seed_text)
        e->seed = a->seed;
    if (e->seed > G_MAXUINT64 - (guint64)(e->reps - 1))
        return sim_cli_usage_error("sweep", "--seed %" G_GUINT64_FORMAT
                                   " leaves no room for %d replications",
                                   e->seed, e->reps);
    if (a->sets && a->sets[0]) {
        g_autoptr(GStrvBuilder) b = g_strv_builder_new();
        g_strv_builder_addv(b, (const char **)e->sets);
        g_strv_builder_addv(b, (const char **)a->sets);
        g_strfreev(e->sets);
        e->sets = g_strv_builder_end(b);
    }
    return SIM_EXIT_OK;
}

/* @message with every mention of an item of the experiment's own
 * [experiment] set / unset lines (which reach the topology loader among
 * the command line's --set and --unset) attributed to the experiment
 * file, its line and key instead of the command line.  An item also given
 * on the command line keeps its --set. */
static char *
sweep_own_sets(const SimExperiment *e, const char *path, const SweepArgs *a,
               const char *message)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    guint n_all = e->sets ? g_strv_length(e->sets) : 0;
    guint n_cli = a->sets ? g_strv_length(a->sets) : 0;
    g_autoptr(GString) s = g_string_new(message);
    if (n_all <= n_cli ||
        !sim_input_read_file(path, SIM_INPUT_MAX_EXPERIMENT, &text, &len,
                             NULL))
        return g_string_free(g_steal_pointer(&s), FALSE);
    gsize unset_len = strlen(SIM_TOPO_UNSET);
    for (guint i = 0; i < n_all - n_cli; i++) {
        const char *item = e->sets[i];
        if (a->sets && g_strv_contains((const char *const *)a->sets, item))
            continue;
        gboolean unset = g_str_has_prefix(item, SIM_TOPO_UNSET);
        const char *key = unset ? "unset" : "set";
        const char *bare = unset ? item + unset_len : item;
        g_autofree char *where = g_strdup_printf(
            "%s:%u: [experiment] %s", path,
            sim_experiment_line(text, len, "experiment", key), key);
        /* "(from --set ITEM)" on the key it sets, '--set "ITEM"' and
         * '--unset "KEY"' on an item the loader refuses. */
        g_autofree char *from = g_strdup_printf("(from --set %s)", item);
        g_autofree char *from_to = g_strdup_printf("(from %s %s)", where,
                                                   bare);
        g_autofree char *quoted = g_strdup_printf("--%s \"%s\"", key, bare);
        g_autofree char *quoted_to = g_strdup_printf("%s \"%s\"", where,
                                                     bare);
        g_string_replace(s, from, from_to, 0);
        g_string_replace(s, quoted, quoted_to, 0);
    }
    return g_string_free(g_steal_pointer(&s), FALSE);
}

/* Where in the experiment the varied keys a topology error names come
 * from: "\n(from FILE:LINE: [GROUP] KEY)" per varied key that @message
 * quotes, or "" (its own set and unset items: sweep_own_sets). */
static char *
sweep_blame(const SimExperiment *e, const char *path, const char *message)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    GString *s = g_string_new(NULL);
    if (!sim_input_read_file(path, SIM_INPUT_MAX_EXPERIMENT, &text, &len,
                             NULL))
        return g_string_free(s, FALSE);
    g_auto(GStrv) groups = g_key_file_get_groups(e->kf, NULL);
    for (guint g = 0; groups[g]; g++) {
        g_auto(GStrv) keys = g_key_file_get_keys(e->kf, groups[g], NULL,
                                                 NULL);
        gboolean varied = g_str_equal(groups[g], "vary") ||
                          g_str_has_prefix(groups[g], "zip ");
        for (guint k = 0; keys && keys[k]; k++) {
            g_autofree char *quoted = g_strdup_printf("\"%s=", keys[k]);
            gboolean hit = varied && strstr(message, quoted);
            if (hit)
                g_string_append_printf(
                    s, "\n(from %s:%u: [%s] %s)", path,
                    sim_experiment_line(text, len, groups[g], keys[k]),
                    groups[g], keys[k]);
        }
    }
    return g_string_free(s, FALSE);
}

/* The results folder: --out, or results/<experiment> (with
 * -shard-I-of-N for a shard). */
static char *
sweep_out(const SimExperiment *e, const SweepArgs *a)
{
    if (a->out)
        return g_strdup(a->out);
    if (!a->shard_count)
        return g_build_filename("results", e->name, NULL);
    g_autofree char *leaf = g_strdup_printf("%s-shard-%u-of-%u", e->name,
                                            a->shard_index, a->shard_count);
    return g_build_filename("results", leaf, NULL);
}

/* Runs the grid's jobs (a shard's only, with --shard) and reports them. */
static int
sweep_batch(GPtrArray *jobs, const SweepArgs *a)
{
    g_autoptr(GPtrArray) mine =
        a->shard_count
            ? sim_sweep_shard_jobs(jobs, a->shard_index, a->shard_count)
            : g_ptr_array_ref(jobs);
    SimBatchOptions bo = { .jobs = a->jobs, .resume = a->resume,
                           .progress = sim_cli_progress_wanted(a->progress,
                                                               a->quiet),
                           .out.no_timing = a->no_timing,
                           .exec = sim_mpi_executor() };
    sim_limits_watch_start(a->max_memory, "sipreuse sweep");
    sim_batch_run(mine, &bo);
    sim_limits_watch_stop();
    if (a->resume)
        sim_batch_report_resume(mine, "sipreuse sweep");
    return sweep_report(mine);
}

static int
sweep_merged(GPtrArray *jobs, char **dirs)
{
    printf("%u runs merged from %u shards\n", jobs->len,
           g_strv_length(dirs));
    return SIM_EXIT_OK;
}

static int
sweep_main(const char *path, const SweepArgs *a)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) points = NULL;
    int rc = SIM_EXIT_OK;
    g_autoptr(SimExperiment) ep = sim_experiment_load(path, &error);
    if (!ep || !sim_plot_check_experiment(ep->kf, path, &error))
        return sim_cli_usage_error("sweep", "%s", error->message);
    if ((rc = sweep_apply_args(ep, a)))
        return rc;
    const SimExperiment *e = ep;
    /* Refuse a grid too big to build before building it. */
    guint64 n_points = sim_experiment_n_points(e);
    guint64 per_point = (guint64)e->reps *
                        (e->strategies ? MAX(g_strv_length(e->strategies), 1)
                                      : 1);
    g_autofree char *what = g_strdup_printf("the grid of %s", path);
    if ((rc = sim_cli_check_runs("sweep", what,
                                 n_points > G_MAXUINT64 / per_point
                                     ? G_MAXUINT64
                                     : n_points * per_point,
                                 a->force))) {
        return rc;
    }
    if (!(points = sweep_points(e, (guint)n_points, &error)) ||
        (points->len &&
         !sim_plot_check_names(
             e->kf, path, ((Point *)g_ptr_array_index(points, 0))->topo,
             &error))) {
        g_autofree char *own = sweep_own_sets(e, path, a, error->message);
        g_autofree char *where = sweep_blame(e, path, own);
        rc = sim_cli_usage_error("sweep", "%s%s", own, where);
        return rc;
    }
    if ((rc = sweep_applicability(e, path, points)))
        return rc;
    /* Each distinct warning of the points, once. */
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash,
                                                       g_str_equal, g_free,
                                                       NULL);
    for (guint i = 0; i < points->len; i++) {
        Point *pt = g_ptr_array_index(points, i);
        sim_cli_warnings("sweep", e->topology,
                         (const char *const *)pt->topo->warnings, seen);
        for (guint s = 0; pt->strategies[s]; s++)
            sim_cli_strategy_warnings("sweep", e->topology, pt->topo,
                                      pt->strategies[s], seen);
    }
    /* The default folder is results/<experiment>: a file named ".exp"
     * (or "..exp", "...exp") would make it results/ itself or a folder
     * above it. */
    if (!a->out && (!*e->name || g_str_equal(e->name, ".") ||
                    g_str_equal(e->name, "..")))
        return sim_cli_usage_error("sweep", "%s: the experiment's name (its "
                                   "file name without .exp) is \"%s\": "
                                   "rename the file or give --out DIR",
                                   path, e->name);
    g_autofree char *out = sweep_out(e, a);
    if (a->merge && (rc = sim_sweep_merge_check_out(
                         out, (const char *const *)a->merge)))
        return rc;
    g_autoptr(SimLock) lock = NULL;
    g_autofree char *cache = NULL;
    if ((rc = sweep_preflight(e, path, points, a, out, &lock, &cache))) {
        return rc;
    }
    sim_out_clean_temps(out);
    g_autoptr(GPtrArray) jobs = sweep_jobs(e, points, out, a->no_timing);
    if (a->shard_count &&
        (rc = sim_sweep_shard_check_out(out, a->shard_index, a->shard_count,
                                        jobs)))
        return rc;
    if (a->merge && (rc = sim_sweep_merge(jobs, out,
                                          (const char *const *)a->merge)))
        return rc;
    rc = a->merge ? sweep_merged(jobs, a->merge) : sweep_batch(jobs, a);
    g_autofree char *knees = NULL, *summary = NULL;
    gboolean ok = sweep_write(e, path, points, jobs, out, &error);
    if (ok && a->shard_count) {
        ok = sim_sweep_shard_write(out, a->shard_index, a->shard_count, jobs,
                                   &error);
        printf("shard %u/%u; when every shard is done: sipreuse sweep %s "
               "--merge SHARD_DIR... (with the same --set, --unset, "
               "--reps, --seed and --no-timing)\n", a->shard_index,
               a->shard_count, path);
    } else if (ok) {
        ok = sim_plot_knees(out, &knees, &error) &&
             sim_plot_summary(out, &summary, &error);
    }
    if (!ok) {
        fprintf(stderr, "sipreuse sweep: %s\n", error->message);
        rc = SIM_EXIT_FAILURE;
    } else if (!a->shard_count) {
        /* Once: GLib's MAX evaluates its arguments twice. */
        int db = sim_cli_database("sweep", out);
        rc = MAX(rc, db);
        if (!a->no_plots && !sim_plot_dir(out, &error)) {
            sim_cli_error("sweep", "plots: %s", error->message);
            rc = MAX(rc, SIM_EXIT_FAILURE);
        }
    }
    if (summary)
        printf("\n%s", summary);
    if (knees)
        printf("\nknees (line, status, x):\n%s\n", knees);
    printf("results: %s\n", out);
    if (fflush(stdout) != 0) {
        sim_cli_error("sweep", "cannot write to the standard output: %s",
                      g_strerror(errno));
        rc = MAX(rc, SIM_EXIT_FAILURE);
    }
    return rc;
}

/**
 * sim_cmd_sweep:
 * @argc: argument count
 * @argv: arguments; argv[0] is "sweep"
 *
 * Returns: the exit status.
 */
int
sim_cmd_sweep(int argc, char **argv)
{
    SweepArgs a = { .no_timing = sim_batch_no_timing_env(), .reps = -1 };
    gboolean merge = FALSE;
    const GOptionEntry entries[] = {
        { "jobs", 0, 0, G_OPTION_ARG_INT, &a.jobs,
          "Parallel runs (default: number of cores)", "N" },
        { "out", 0, 0, G_OPTION_ARG_FILENAME, &a.out,
          "Results folder (default results/<experiment>)", "DIR" },
        { "resume", 0, 0, G_OPTION_ARG_NONE, &a.resume,
          "Skip runs whose results are already complete", NULL },
        { "no-timing", 0, 0, G_OPTION_ARG_NONE, &a.no_timing,
          "Write sim.wall_s and sim.events_per_s as 0", NULL },
        { "no-plots", 0, 0, G_OPTION_ARG_NONE, &a.no_plots,
          "Do not draw the plots", NULL },
        { "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a.sets,
          "Override a topology key at every point, after the "
          "experiment's own set (repeatable)", "GROUP.KEY=VALUE" },
        { "unset", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a.unsets,
          "Remove a topology key: it takes its default (repeatable)",
          "GROUP.KEY" },
        { "progress", 0, 0, G_OPTION_ARG_NONE, &a.progress,
          "Report progress on stderr even when it is not a terminal",
          NULL },
        { "quiet", 0, 0, G_OPTION_ARG_NONE, &a.quiet,
          "Report no progress", NULL },
        { "reps", 0, 0, G_OPTION_ARG_INT, &a.reps,
          "Replications per point and strategy (default: the "
          "experiment's)", "N" },
        { "seed", 0, 0, G_OPTION_ARG_STRING, &a.seed_text,
          "First seed, 0 to 2^64-1 (default: the experiment's)", "N" },
        { "max-memory", 0, 0, G_OPTION_ARG_STRING, &a.max_memory_text,
          "Refuse runs estimated to need more memory, and stop if they use "
          "more (exit 1); K, M, G suffixes (default: half the physical "
          "memory)", "SIZE" },
        { "force", 0, 0, G_OPTION_ARG_NONE, &a.force,
          "Run a grid of more than 100000 runs, or runs estimated to "
          "exceed --max-memory (the limit still stops them)", NULL },
        { "shard", 0, 0, G_OPTION_ARG_STRING, &a.shard_text,
          "Run only shard I of N (runs I, I+N, I+2N, ... of the grid) into "
          "its own folder (default results/<experiment>-shard-I-of-N)",
          "I/N" },
        { "merge", 0, 0, G_OPTION_ARG_NONE, &merge,
          "Merge shard folders (the arguments after EXPERIMENT) into --out: "
          "every run of the grid exactly once, of this experiment and "
          "build, else exit 2", NULL },
        G_OPTION_ENTRY_NULL
    };
    GOptionContext *ctx = sim_cli_context("sweep", entries);
    g_option_context_set_description(
        ctx,
        "On a cluster:\n"
        "  mpirun -np N sipreuse sweep EXPERIMENT   (a `make MPI=1` build)\n"
        "    rank 0 hands the runs out, longest first, and writes the\n"
        "    results folder; the other N-1 ranks run them (--jobs threads\n"
        "    each). Results equal a local sweep's; if a rank dies, the\n"
        "    finished runs are kept and --resume completes the campaign.\n"
        "  sipreuse sweep EXPERIMENT --shard I/N    (I = 1..N, no MPI)\n"
        "    runs I, I+N, I+2N, ... of the grid into\n"
        "    results/<experiment>-shard-I-of-N (or --out), then\n"
        "  sipreuse sweep EXPERIMENT --merge DIR... [--out DIR]\n"
        "    checks the shards (one campaign, every run exactly once, else\n"
        "    exit 2) and writes the whole sweep's folder from them.\n"
        "Give the shards and the merge the same --set, --unset, --reps,\n"
        "--seed and --no-timing (the campaign covers them), and each shard\n"
        "a folder of its own.");
    int rc = sim_cli_parse(ctx, &argc, &argv);
    sim_cli_add_unsets(&a.sets, a.unsets);
    if (!rc && !merge && argc != 2)
        rc = sim_cli_usage_error("sweep", "expected one EXPERIMENT");
    if (!rc && merge && argc < 3)
        rc = sim_cli_usage_error("sweep", "--merge: expected EXPERIMENT "
                                 "then the shard folders");
    if (!rc && merge && (a.shard_text || a.resume))
        rc = sim_cli_usage_error("sweep", "--merge takes neither --shard "
                                 "nor --resume");
    if (!rc && a.shard_text &&
        !sim_sweep_shard_parse(a.shard_text, &a.shard_index,
                               &a.shard_count))
        rc = sim_cli_usage_error("sweep", "--shard: expected I/N with 1 <= "
                                 "I <= N, found '%s'", a.shard_text);
    if (!rc && merge)
        a.merge = g_strdupv(argv + 2);
    if (!rc && a.jobs < 0)
        rc = sim_cli_usage_error("sweep", "--jobs must be positive");
    if (!rc && a.reps != -1 && a.reps < 1)
        rc = sim_cli_usage_error("sweep", "--reps must be at least 1");
    if (!rc && a.seed_text)
        rc = sim_cli_seed("sweep", a.seed_text, &a.seed);
    if (!rc)
        rc = sim_cli_max_memory("sweep", a.max_memory_text, &a.max_memory);
    if (!rc)
        rc = sweep_main(argv[1], &a);
    g_free(a.out);
    g_free(a.max_memory_text);
    g_strfreev(a.sets);
    g_strfreev(a.unsets);
    g_free(a.seed_text);
    g_free(a.shard_text);
    g_strfreev(a.merge);
    return rc;
}
