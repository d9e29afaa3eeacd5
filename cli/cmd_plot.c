/* SPDX-License-Identifier: MIT */
/*
 * `sipreuse plot RESULTS_DIR`: runs the gnuplot scripts of plots/ over the
 * result files of a compare or sweep folder, or of a single run, and writes
 * PNG (pngcairo, or png when cairo is missing) and SVG images into
 * RESULTS_DIR/plots/.  The scripts read result files only; the driver
 * first reshapes what they need into data files beside the images.  This
 * file holds the compare and single-run layouts (the latency CDF pooled
 * over each strategy's replications; the load per node:
 * requests received, mean and 95% CI over replications per strategy, with
 * each SRV farm member's expected share as a reference) and chooses the
 * layout; the sweep layout (data blocks per line, knees, per-node keys,
 * the closing table) is cli/sweep_plot.c, and the helpers both use (result
 * tables, labels with units) are in cli/gnuplot.c.
 */
#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/gnuplot.h"
#include "cli/sweep_plot.h"
#include "run/batch.h"
#include "run/input.h"
#include "run/lock.h"
#include "run/topo.h"

/* Compare and single-run layouts. */

/* The runs of one strategy. */
typedef struct {
    char *name;
    /* Run folders, in replication (seed) order. */
    GPtrArray *dirs;
} PlotGroup;

static void
plot_group_free(gpointer data)
{
    PlotGroup *g = data;
    g_free(g->name);
    g_ptr_array_unref(g->dirs);
    g_free(g);
}

static PlotGroup *
plot_group_find(GPtrArray *groups, const char *name)
{
    for (guint i = 0; i < groups->len; i++) {
        PlotGroup *g = g_ptr_array_index(groups, i);
        if (g_str_equal(g->name, name))
            return g;
    }
    PlotGroup *g = g_new0(PlotGroup, 1);
    g->name = g_strdup(name);
    g->dirs = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(groups, g);
    return g;
}

/* (transfer full): the strategies of @dir's runs.tsv, in order of first
 * appearance, each with its run folders: <dir>/<strategy>-seed<N> for a
 * compare folder, @dir itself for a single run (@single).  A strategy that
 * is not a name ([A-Za-z0-9_.-]) or a seed that is not a number is bad
 * input: NULL with @error set. */
static GPtrArray *
plot_groups(const char *dir, gboolean single, GError **error)
{
    g_autoptr(GPtrArray) groups =
        g_ptr_array_new_with_free_func(plot_group_free);
    g_autofree char *path = g_build_filename(dir, "runs.tsv", NULL);
    g_autoptr(GError) local = NULL;
    g_autoptr(SimPlotTable) runs = sim_plot_table_read(path, &local);
    if (!runs) {
        if (g_error_matches(local, SIM_INPUT_ERROR, SIM_INPUT_ERROR_IO))
            return g_steal_pointer(&groups);
        g_propagate_error(error, g_steal_pointer(&local));
        return NULL;
    }
    gint cs = sim_plot_table_col(runs, "strategy"), cd = sim_plot_table_col(runs, "seed");
    for (guint i = 0; i < runs->rows->len; i++) {
        const char *s = sim_plot_table_get(runs, i, cs), *seed = sim_plot_table_get(runs, i, cd);
        if (!*s)
            continue;
        gboolean digits = *seed != '\0';
        for (const char *c = seed; *c; c++)
            digits &= g_ascii_isdigit(*c);
        if (!sim_cli_name_ok(s) || !digits) {
            g_autofree char *es = sim_cli_printable(s);
            g_autofree char *ed = sim_cli_printable(seed);
            g_set_error(error, G_KEY_FILE_ERROR,
                        G_KEY_FILE_ERROR_INVALID_VALUE,
                        "%s: row %u: expected a strategy name "
                        "([A-Za-z0-9_.-]) and a seed (digits), found "
                        "'%s' and '%s'", path, i + 1, es, ed);
            return NULL;
        }
        g_autofree char *leaf = g_strdup_printf("%s-seed%s", s, seed);
        char *d = single ? g_strdup(dir)
                         : g_build_filename(dir, leaf, NULL);
        if (!g_file_test(d, G_FILE_TEST_IS_DIR)) {
            g_free(d);
            continue;
        }
        g_ptr_array_add(plot_group_find(groups, s)->dirs, d);
        if (single)
            break;
    }
    return g_steal_pointer(&groups);
}

/* requests.received of every node of each run of @g (NAN where a file or
 * value is missing): values[node * n_runs + run]. */
static double *
plot_group_requests(const PlotGroup *g, const SimPlotTable *nodes)
{
    guint nn = nodes->rows->len, nr = g->dirs->len;
    double *v = g_new(double, MAX(nn * nr, 1));
    for (guint k = 0; k < nn * nr; k++)
        v[k] = NAN;
    for (guint r = 0; r < nr; r++) {
        g_autofree char *p = g_build_filename(g_ptr_array_index(g->dirs, r),
                                              "nodes.tsv", NULL);
        g_autoptr(SimPlotTable) t = sim_plot_table_read(p, NULL);
        if (!t)
            continue;
        gint cn = sim_plot_table_col(t, "node"), cq = sim_plot_table_col(t, "requests.received");
        for (guint i = 0; i < t->rows->len && cq >= 0; i++)
            for (guint n = 0; n < nn; n++)
                if (g_str_equal(sim_plot_table_get(t, i, cn), sim_plot_table_get(nodes, n, 0)))
                    v[n * nr + r] = g_ascii_strtod(sim_plot_table_get(t, i, cq), NULL);
    }
    return v;
}

/* Mean and 95% CI of the finite values among x[0..n-1]. */
static void
plot_stat(const double *x, guint n, SimOutStat *st)
{
    g_autofree double *ok = g_new(double, MAX(n, 1));
    guint m = 0;
    for (guint i = 0; i < n; i++)
        if (isfinite(x[i]))
            ok[m++] = x[i];
    sim_out_stat(ok, m, st);
}

/* Which nodes the load plot shows: the members of SRV farms (domains whose
 * records point at two or more nodes) if there are any, else every node.
 * farm[n] is the index of node n's farm (its first member) or -1. */
static gboolean *
plot_farm_nodes(const SimPlotTable *nodes, gint *farm, gboolean *any)
{
    guint nn = nodes->rows->len;
    gint cd = sim_plot_table_col(nodes, "srv.domain");
    gboolean *show = g_new0(gboolean, MAX(nn, 1));
    *any = FALSE;
    for (guint n = 0; n < nn; n++) {
        const char *d = sim_plot_table_get(nodes, n, cd);
        farm[n] = -1;
        guint members = 0;
        for (guint m = 0; cd >= 0 && *d && !g_str_equal(d, "-") && m < nn;
             m++)
            if (g_str_equal(sim_plot_table_get(nodes, m, cd), d)) {
                if (farm[n] < 0)
                    farm[n] = (gint)m;
                members++;
            }
        if (members < 2)
            farm[n] = -1;
        *any = *any || farm[n] >= 0;
    }
    for (guint n = 0; n < nn; n++)
        show[n] = !*any || farm[n] >= 0;
    return show;
}

/* Appends one node's columns for one strategy: mean, ci and the expected
 * requests (its SRV share of the farm's total mean; nan outside farms). */
static void
plot_node_cells(GString *s, const SimPlotTable *nodes, const gint *farm,
                const double *v, guint nr, guint n)
{
    SimOutStat st;
    plot_stat(v + n * nr, nr, &st);
    double expected = NAN;
    if (farm[n] >= 0) {
        double total = 0;
        for (guint m = 0; m < nodes->rows->len; m++) {
            SimOutStat sm;
            if (farm[m] != farm[n])
                continue;
            plot_stat(v + m * nr, nr, &sm);
            total += sm.mean;
        }
        gint cs = sim_plot_table_col(nodes, "srv.share");
        expected = g_ascii_strtod(sim_plot_table_get(nodes, n, cs), NULL) * total;
    }
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    const double cells[] = { st.mean, st.ci95, expected };
    for (guint i = 0; i < G_N_ELEMENTS(cells); i++)
        g_string_append_printf(s, "\t%s",
                               isfinite(cells[i])
                                   ? g_ascii_formatd(buf, sizeof buf, "%.6f",
                                                     cells[i])
                                   : "nan");
}

/* Writes plots/load-per-node.dat: per shown node (topology order) its name,
 * farm domain and SRV share, then per strategy the mean and 95% CI of
 * requests received over its runs and the expected requests.  Sets the
 * number of strategies, whether any farm exists and the most runs a
 * strategy has. */
static gboolean
plot_nodes_data(const SimPlotEnv *env, GPtrArray *groups, guint *n_reps,
                gboolean *farms, GError **error)
{
    PlotGroup *g0 = g_ptr_array_index(groups, 0);
    g_autofree char *np = g_build_filename(g_ptr_array_index(g0->dirs, 0),
                                           "nodes.tsv", NULL);
    g_autoptr(SimPlotTable) nodes = sim_plot_table_read(np, error);
    if (!nodes)
        return FALSE;
    guint nn = nodes->rows->len;
    g_autofree gint *farm = g_new(gint, MAX(nn, 1));
    g_autofree gboolean *show = plot_farm_nodes(nodes, farm, farms);
    g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func(g_free);
    GString *s = g_string_new("node\tsrv.domain\tsrv.share");
    *n_reps = 0;
    for (guint k = 0; k < groups->len; k++) {
        PlotGroup *g = g_ptr_array_index(groups, k);
        g_ptr_array_add(values, plot_group_requests(g, nodes));
        g_string_append_printf(s, "\t%s\tci\texpected", g->name);
        *n_reps = MAX(*n_reps, g->dirs->len);
    }
    g_string_append_c(s, '\n');
    gint cd = sim_plot_table_col(nodes, "srv.domain"), cs = sim_plot_table_col(nodes, "srv.share");
    for (guint n = 0; n < nn; n++) {
        if (!show[n])
            continue;
        const char *d = sim_plot_table_get(nodes, n, cd), *sh = sim_plot_table_get(nodes, n, cs);
        g_string_append_printf(s, "%s\t%s\t%s", sim_plot_table_get(nodes, n, 0),
                               *d ? d : "-", *sh ? sh : "nan");
        for (guint k = 0; k < groups->len; k++) {
            PlotGroup *g = g_ptr_array_index(groups, k);
            plot_node_cells(s, nodes, farm, g_ptr_array_index(values, k),
                            g->dirs->len, n);
        }
        g_string_append_c(s, '\n');
    }
    g_autofree char *path = g_build_filename(env->plots, "load-per-node.dat",
                                             NULL);
    gboolean ok = sim_out_write_file(path, s->str, error);
    g_string_free(s, TRUE);
    return ok;
}

/* Links @dir/@file as run<@i>.<@file> in the working folder. */
static gboolean
plot_link_run(const SimPlotEnv *env, guint i, const char *dir, const char *file,
              GError **error)
{
    g_autofree char *name = g_strdup_printf("run%u.%s", i, file);
    g_autofree char *target = g_build_filename(dir, file, NULL);
    return sim_gnuplot_link(env->gp, name, target, error);
}

/* One latency bucket pooled over replications. */
typedef struct {
    double lo;
    char *lo_text, *hi_text;
    guint64 count;
} PoolBucket;

static gint
pool_cmp(gconstpointer a, gconstpointer b)
{
    double x = ((const PoolBucket *)a)->lo, y = ((const PoolBucket *)b)->lo;
    return x < y ? -1 : x > y;
}

static void
pool_clear(gpointer p)
{
    g_free(((PoolBucket *)p)->lo_text);
    g_free(((PoolBucket *)p)->hi_text);
}

/* Pools the latency histograms (latency.tsv) of every run of @g: the
 * counts of each bucket summed over the runs (every run's buckets come
 * from the same log-linear scheme, so equal bounds are the same bucket),
 * then the cumulative fractions recomputed over the pooled calls.
 * Appends one block (header, rows by lower bound, two blank lines) to
 * @s; a run without the file adds nothing.  Sets *@rows to the number of
 * buckets. */
static void
plot_pool_latency(const PlotGroup *g, GString *s, guint *rows)
{
    g_autoptr(GArray) b = g_array_new(FALSE, FALSE, sizeof(PoolBucket));
    g_array_set_clear_func(b, pool_clear);
    g_autoptr(GHashTable) at = g_hash_table_new(g_str_hash, g_str_equal);
    guint64 total = 0;
    for (guint r = 0; r < g->dirs->len; r++) {
        g_autofree char *p = g_build_filename(g_ptr_array_index(g->dirs, r),
                                              "latency.tsv", NULL);
        g_autoptr(SimPlotTable) t = sim_plot_table_read(p, NULL);
        if (!t)
            continue;
        gint cl = sim_plot_table_col(t, "lo_ms"), ch = sim_plot_table_col(t, "hi_ms"),
             cc = sim_plot_table_col(t, "count");
        if (cl < 0 || ch < 0 || cc < 0)
            continue;
        for (guint i = 0; i < t->rows->len; i++) {
            const char *lo = sim_plot_table_get(t, i, cl);
            guint64 c = g_ascii_strtoull(sim_plot_table_get(t, i, cc), NULL,
                                         10);
            gpointer idx;
            if (g_hash_table_lookup_extended(at, lo, NULL, &idx)) {
                g_array_index(b, PoolBucket, GPOINTER_TO_UINT(idx)).count += c;
            } else {
                PoolBucket pb = { g_ascii_strtod(lo, NULL), g_strdup(lo),
                                  g_strdup(sim_plot_table_get(t, i, ch)), c };
                g_array_append_val(b, pb);
                g_hash_table_insert(at, pb.lo_text,
                                    GUINT_TO_POINTER(b->len - 1));
            }
            total += c;
        }
    }
    g_hash_table_remove_all(at);
    g_array_sort(b, pool_cmp);
    g_string_append(s, "lo_ms\thi_ms\tcount\tcdf_lo\tcdf\n");
    guint64 cum = 0;
    for (guint i = 0; i < b->len; i++) {
        const PoolBucket *x = &g_array_index(b, PoolBucket, i);
        char c0[G_ASCII_DTOSTR_BUF_SIZE], c1[G_ASCII_DTOSTR_BUF_SIZE];
        g_ascii_formatd(c0, sizeof c0, "%.6f", (double)cum / (double)total);
        cum += x->count;
        g_ascii_formatd(c1, sizeof c1, "%.6f", (double)cum / (double)total);
        g_string_append_printf(s, "%s\t%s\t%" G_GUINT64_FORMAT "\t%s\t%s\n",
                               x->lo_text, x->hi_text, x->count, c0, c1);
    }
    g_string_append(s, "\n\n");
    *rows = b->len;
}

/* Every @k-th point of a curve of up to @rows points gets a marker,
 * about a dozen per curve. */
static guint
plot_marker_step(guint rows)
{
    return MAX(rows / 12, 1);
}

/* Draws the plots of a compare folder (@single FALSE: also the key
 * metrics) or of a single run. */
static gboolean
plot_runs(const SimPlotEnv *env, gboolean single, GError **error)
{
    g_autoptr(GPtrArray) groups = plot_groups(env->dir, single, error);
    if (!groups)
        return FALSE;
    if (!groups->len) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                    "%s: runs.tsv names no run folder to plot", env->dir);
        return FALSE;
    }
    g_autoptr(GString) names = g_string_new(NULL);
    g_autoptr(GString) styles = g_string_new(NULL);
    g_autoptr(GString) cdf = g_string_new(NULL);
    guint cdf_rows = 0, ts_rows = 0, pooled = 0;
    for (guint k = 0; k < groups->len; k++) {
        PlotGroup *g = g_ptr_array_index(groups, k);
        const char *d = g_ptr_array_index(g->dirs, 0);
        guint rows = 0;
        g_string_append_printf(names, "%s%s", k ? " " : "", g->name);
        g_string_append_printf(styles, "%s%u", k ? " " : "",
                               sim_plot_style(g->name));
        plot_pool_latency(g, cdf, &rows);
        cdf_rows = MAX(cdf_rows, rows);
        pooled = MAX(pooled, g->dirs->len);
        g_autofree char *tp = g_build_filename(d, "timeseries.tsv", NULL);
        g_autoptr(SimPlotTable) ts = sim_plot_table_read(tp, NULL);
        if (ts)
            ts_rows = MAX(ts_rows, ts->rows->len);
        if (!plot_link_run(env, k + 1, d, "timeseries.tsv", error))
            return FALSE;
    }
    g_autofree char *cdf_path = g_build_filename(env->plots,
                                                 "latency-cdf.dat", NULL);
    if (!sim_out_write_file(cdf_path, cdf->str, error) ||
        !sim_gnuplot_link(env->gp, "cdf.dat", cdf_path, error))
        return FALSE;
    PlotGroup *g0 = g_ptr_array_index(groups, 0);
    double warmup = sim_plot_run_warmup(g_ptr_array_index(g0->dirs, 0));
    g_autofree char *window = sim_plot_window_text(warmup);
    guint reps = 0;
    gboolean farms = FALSE;
    g_autofree char *nodes = g_build_filename(env->plots,
                                              "load-per-node.dat", NULL);
    g_autofree char *agg = g_build_filename(env->dir, "aggregate.tsv", NULL);
    if (!plot_nodes_data(env, groups, &reps, &farms, error) ||
        !sim_gnuplot_link(env->gp, "nodes.dat", nodes, error) ||
        (!single && !sim_gnuplot_link(env->gp, "aggregate.tsv", agg, error)))
        return FALSE;
    g_autofree char *base = g_path_get_basename(env->dir);
    /* Titles say which runs and, with a warm-up, that the figures
     * cover the window after it; the time series shows the whole run
     * with the warm-up shaded. */
    const char *wsep = window ? ", " : "";
    const char *wtext = window ? window : "";
    g_autofree char *scope = single
        ? g_strdup_printf("run %s%s%s", base, wsep, wtext)
        : g_strdup_printf("first replication of each strategy%s%s", wsep,
                          wtext);
    g_autofree char *cdf_scope = single
        ? g_strdup(scope)
        : g_strdup_printf("%u replication%s of each strategy pooled%s%s",
                          pooled, pooled == 1 ? "" : "s", wsep, wtext);
    g_autofree char *ts_scope = single
        ? g_strdup_printf("run %s", base)
        : g_strdup("first replication of each strategy");
    g_autofree char *label = sim_plot_label(scope);
    g_autofree char *cdf_label = sim_plot_label(cdf_scope);
    g_autofree char *ts_label = sim_plot_label(ts_scope);
    g_autofree char *win_label = sim_plot_label(window ? window : "");
    g_autofree char *ns = g_strdup_printf("%u", groups->len);
    g_autofree char *nr = g_strdup_printf("%u", reps);
    g_autofree char *cdf_n = g_strdup_printf(
        "%u %u", groups->len, plot_marker_step(cdf_rows));
    g_autofree char *ts_n = g_strdup_printf(
        "%u %u", groups->len, plot_marker_step(ts_rows));
    char ws[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_formatd(ws, sizeof ws, "%.9g", isfinite(warmup) ? warmup : 0.0);
    const char *cdf_args[] = { cdf_label, names->str, cdf_n, styles->str,
                               NULL };
    const char *ts_args[] = { ts_label, names->str, ts_n, styles->str, ws,
                              NULL };
    const char *nodes_args[] = { label, ns, nr, farms ? "1" : "0",
                                 styles->str, win_label, NULL };
    const char *compare_args[] = { win_label, styles->str, NULL };
    if (!single)
        sim_gnuplot_draw(env->gp, "compare.gp", "compare", compare_args);
    sim_gnuplot_draw(env->gp, "latency_cdf.gp", "latency-cdf", cdf_args);
    sim_gnuplot_draw(env->gp, "timeseries.gp", "open-connections",
                     ts_args);
    sim_gnuplot_draw(env->gp, "nodes.gp", "load-per-node", nodes_args);
    return TRUE;
}


/**
 * sim_plot_dir:
 * @dir: a compare or sweep results folder, or a single run's folder
 * @error: return location for a GError
 *
 * Draws every plot that applies to @dir into @dir/plots/: a sweep's
 * [plot] images; a compare folder's key metrics, latency CDF, open
 * connections over time and load per node; for a single run the last
 * three.  Every image is drawn completely or not at all; when one fails,
 * the others are still drawn and the error names each failed one
 * (%SIM_GNUPLOT_ERROR_FAILED).  Bad input (a [plot NAME] that is not a
 * name, a results table that is not one) is a %G_KEY_FILE_ERROR,
 * %SIM_INPUT_ERROR or %G_FILE_ERROR_NOENT.  Call it while holding the
 * folder's lock.
 *
 * Returns: TRUE on success.
 */
gboolean
sim_plot_dir(const char *dir, GError **error)
{
    g_autofree char *agg = g_build_filename(dir, "aggregate.tsv", NULL);
    g_autofree char *exp = g_build_filename(dir, "experiment.exp", NULL);
    g_autofree char *nodes = g_build_filename(dir, "nodes.tsv", NULL);
    gboolean single = !g_file_test(agg, G_FILE_TEST_IS_REGULAR);
    if (single && !g_file_test(nodes, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                    "%s: no aggregate.tsv or nodes.tsv (not a results "
                    "folder of run, compare or sweep)", dir);
        return FALSE;
    }
    SimPlotEnv env = { .dir = g_strdup(dir) };
    env.plots = g_build_filename(dir, "plots", NULL);
    env.gp = sim_gnuplot_new(env.plots, error);
    gboolean ok = env.gp != NULL;
    if (ok)
        ok = !single && g_file_test(exp, G_FILE_TEST_EXISTS)
                 ? sim_plot_sweep(&env, exp, error)
                 : plot_runs(&env, single, error);
    if (ok)
        ok = sim_gnuplot_finish(env.gp, error);
    sim_gnuplot_free(env.gp);
    g_free(env.dir);
    g_free(env.plots);
    return ok;
}

/**
 * sim_plot_exit_status:
 * @error: why sim_plot_dir() failed
 *
 * Returns: %SIM_EXIT_USAGE (2) for bad input (the folder or a file in it
 *   is not what a results folder holds, a [plot] group is invalid), else
 *   %SIM_EXIT_FAILURE (1): gnuplot missing, an image not drawn or written.
 */
int
sim_plot_exit_status(const GError *error)
{
    gboolean input = g_error_matches(error, G_FILE_ERROR,
                                     G_FILE_ERROR_NOENT) ||
                     error->domain == G_KEY_FILE_ERROR ||
                     (error->domain == SIM_INPUT_ERROR &&
                      error->code != SIM_INPUT_ERROR_IO);
    return input ? SIM_EXIT_USAGE : SIM_EXIT_FAILURE;
}

/**
 * sim_cmd_plot:
 * @argc: argument count
 * @argv: arguments; argv[0] is "plot"
 *
 * Returns: the exit status: 0, 2 for a folder that is not a results
 *   folder or holds bad input, 1 when an image cannot be drawn or the
 *   folder is being written by another sipreuse.
 */
int
sim_cmd_plot(int argc, char **argv)
{
    int rc = sim_cli_parse(sim_cli_context("plot", NULL), &argc, &argv);
    if (rc)
        return rc;
    if (argc != 2)
        return sim_cli_usage_error("plot", "expected one RESULTS_DIR");
    if (!g_file_test(argv[1], G_FILE_TEST_IS_DIR))
        return sim_cli_usage_error("plot", "%s: expected a results folder",
                                   argv[1]);
    g_autoptr(GError) error = NULL;
    g_autoptr(SimLock) lock = sim_lock_acquire(argv[1], &error);
    if (!lock) {
        fprintf(stderr, "sipreuse plot: %s\n", error->message);
        return sim_lock_exit_status(error);
    }
    if (!sim_plot_dir(argv[1], &error)) {
        sim_cli_error("plot", "%s", error->message);
        return sim_plot_exit_status(error);
    }
    g_autofree char *plots = g_build_filename(argv[1], "plots", NULL);
    printf("plots: %s\n", plots);
    return SIM_EXIT_OK;
}
