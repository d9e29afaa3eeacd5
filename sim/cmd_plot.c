/* SPDX-License-Identifier: MIT */
/*
 * `sipreuse plot RESULTS_DIR`: runs the gnuplot scripts of plots/ over the
 * result files of a compare or sweep folder and writes PNG (pngcairo, or
 * png when cairo is missing) and SVG images into RESULTS_DIR/plots/.  The
 * scripts read result files only; for sweeps this file first reshapes
 * aggregate.tsv into one data block per line (strategy and the values of
 * the other varied keys) sorted by the plot's x key, and finds the knee:
 * the highest x up to which every mean meets the plot's objective (e.g.
 * "latency.setup_ms.p95 < 500").
 */
#include "sim/cli.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/batch.h"

/* A TSV file with a header line. */
typedef struct {
    char **header;
    GPtrArray *rows;   /* of char ** */
} Table;

/* Where and how to draw. */
typedef struct {
    char *scripts;
    const char *png_term;
    char *dir;
    char *plots;
} PlotEnv;

static void
table_free(Table *t)
{
    if (!t)
        return;
    g_strfreev(t->header);
    g_ptr_array_unref(t->rows);
    g_free(t);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Table, table_free)

static Table *
table_read(const char *path, GError **error)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, error))
        return NULL;
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    Table *t = g_new0(Table, 1);
    t->header = g_strsplit(lines[0], "\t", -1);
    t->rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    for (guint i = 1; lines[0] && lines[i]; i++)
        if (*lines[i])
            g_ptr_array_add(t->rows, g_strsplit(lines[i], "\t", -1));
    return t;
}

static gint
table_col(const Table *t, const char *name)
{
    for (guint i = 0; t->header[i]; i++)
        if (g_str_equal(t->header[i], name))
            return (gint)i;
    return -1;
}

static const char *
table_get(const Table *t, guint row, gint col)
{
    char **r = g_ptr_array_index(t->rows, row);
    return col >= 0 && (guint)col < g_strv_length(r) ? r[col] : "";
}

/* Finding gnuplot and the scripts. */

static char *
plot_scripts_dir(void)
{
    const char *env = g_getenv("SIPREUSE_PLOTS");
    if (env && *env)
        return g_strdup(env);
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *bin = exe ? g_path_get_dirname(exe) : g_strdup(".");
    char *cands[] = {
        g_strdup("plots"),
        g_build_filename(bin, "plots", NULL),
        g_build_filename(bin, "..", "plots", NULL),
        g_build_filename(bin, "..", "share", "sipreuse", "plots", NULL),
    };
    char *found = NULL;
    for (guint i = 0; i < G_N_ELEMENTS(cands); i++) {
        g_autofree char *probe = g_build_filename(cands[i], "sweep.gp", NULL);
        if (!found && g_file_test(probe, G_FILE_TEST_IS_REGULAR))
            found = g_strdup(cands[i]);
        g_free(cands[i]);
    }
    return found;
}

static gboolean
plot_gnuplot(const char *const *argv, GError **error)
{
    g_autofree char *err = NULL;
    gint status = 0;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
                      NULL, NULL, &err, &status, error))
        return FALSE;
    if (!g_spawn_check_wait_status(status, error)) {
        guint last = g_strv_length((char **)argv) - 1;
        g_prefix_error(error, "gnuplot %s: %s", argv[last],
                       err ? g_strstrip(err) : "");
        return FALSE;
    }
    return TRUE;
}

static const char *
plot_png_terminal(void)
{
    const char *argv[] = { "gnuplot", "-e", "set terminal pngcairo", NULL };
    return plot_gnuplot(argv, NULL) ? "pngcairo" : "png";
}

/* Runs @script twice (PNG, SVG) with @vars (name=value gnuplot
 * assignments) and out = plots/@name. */
static gboolean
plot_run(const PlotEnv *env, const char *script, const char *name,
         const char *vars, GError **error)
{
    g_autofree char *path = g_build_filename(env->scripts, script, NULL);
    g_autofree char *base = g_build_filename(env->plots, name, NULL);
    const char *terms[][2] = { { env->png_term, "png" }, { "svg", "svg" } };
    for (guint i = 0; i < G_N_ELEMENTS(terms); i++) {
        g_autofree char *e = g_strdup_printf(
            "term='%s'; out='%s.%s'; dir='%s'; scripts='%s'; %s",
            terms[i][0], base, terms[i][1], env->dir, env->scripts, vars);
        const char *argv[] = { "gnuplot", "-e", e, path, NULL };
        if (!plot_gnuplot(argv, error))
            return FALSE;
    }
    return TRUE;
}

/* Compare layout. */

/* Space-separated lists of the strategies and their first run folders. */
static void
plot_first_runs(const PlotEnv *env, GString *names, GString *dirs)
{
    g_autofree char *path = g_build_filename(env->dir, "runs.tsv", NULL);
    g_autoptr(Table) runs = table_read(path, NULL);
    if (!runs)
        return;
    gint cs = table_col(runs, "strategy"), cd = table_col(runs, "seed");
    for (guint i = 0; i < runs->rows->len; i++) {
        const char *s = table_get(runs, i, cs);
        g_autofree char *pat = g_strdup_printf(" %s ", s);
        g_autofree char *padded = g_strdup_printf(" %s ", names->str);
        if (strstr(padded, pat))
            continue;
        g_autofree char *leaf = g_strdup_printf("%s-seed%s", s,
                                                table_get(runs, i, cd));
        g_autofree char *d = g_build_filename(env->dir, leaf, NULL);
        if (!g_file_test(d, G_FILE_TEST_IS_DIR))
            continue;
        g_string_append_printf(names, "%s%s", names->len ? " " : "", s);
        g_string_append_printf(dirs, "%s%s", dirs->len ? " " : "", d);
    }
}

static gboolean
plot_compare(const PlotEnv *env, GError **error)
{
    g_autoptr(GString) names = g_string_new(NULL);
    g_autoptr(GString) dirs = g_string_new(NULL);
    plot_first_runs(env, names, dirs);
    g_autofree char *vars = g_strdup_printf("names='%s'; runs='%s'",
                                            names->str, dirs->str);
    static const char *const scripts[][2] = {
        { "compare.gp", "compare" },
        { "latency_cdf.gp", "latency-cdf" },
        { "timeseries.gp", "open-connections" },
        { "nodes.gp", "load-per-node" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(scripts); i++)
        if (!plot_run(env, scripts[i][0], scripts[i][1], vars, error))
            return FALSE;
    return TRUE;
}

/* Sweep layout. */

/* One [plot NAME] of an experiment. */
typedef struct {
    char *name;
    char *x;
    char **y;
    char *title, *xlabel, *ylabel;
    /* Logarithmic x axis. */
    gboolean logx;
    /* Objective "KEY < VALUE" or "KEY > VALUE" (nullable). */
    char *knee_key;
    gboolean knee_less;
    double knee_value;
} PlotSpec;

static void
spec_clear(PlotSpec *p)
{
    g_free(p->name);
    g_free(p->x);
    g_strfreev(p->y);
    g_free(p->title);
    g_free(p->xlabel);
    g_free(p->ylabel);
    g_free(p->knee_key);
}

static gboolean
spec_load(PlotSpec *p, GKeyFile *kf, const char *group, GError **error)
{
    p->name = g_strdup(group + strlen("plot "));
    g_strstrip(p->name);
    p->x = g_key_file_get_string(kf, group, "x", error);
    g_autofree char *y = p->x ? g_key_file_get_string(kf, group, "y", error)
                              : NULL;
    if (!y)
        return FALSE;
    p->y = g_strsplit_set(y, ",;", -1);
    for (guint i = 0; p->y[i]; i++)
        g_strstrip(p->y[i]);
    p->title = g_key_file_get_string(kf, group, "title", NULL);
    p->xlabel = g_key_file_get_string(kf, group, "xlabel", NULL);
    p->ylabel = g_key_file_get_string(kf, group, "ylabel", NULL);
    p->logx = g_key_file_get_boolean(kf, group, "logx", NULL);
    g_autofree char *knee = g_key_file_get_string(kf, group, "knee", NULL);
    if (knee) {
        char *op = strpbrk(knee, "<>");
        if (!op) {
            g_set_error(error, G_KEY_FILE_ERROR,
                        G_KEY_FILE_ERROR_INVALID_VALUE,
                        "[%s] knee must read KEY < VALUE or KEY > VALUE",
                        group);
            return FALSE;
        }
        p->knee_less = *op == '<';
        p->knee_value = g_ascii_strtod(op + 1, NULL);
        p->knee_key = g_strstrip(g_strndup(knee, op - knee));
    }
    return TRUE;
}

static gint
x_cmp(gconstpointer a, gconstpointer b, gpointer data)
{
    double x = g_ascii_strtod(*(char *const *)a, NULL);
    double y = g_ascii_strtod(*(char *const *)b, NULL);
    return x < y ? -1 : x > y;
}

/* The series label of aggregate row @r: strategy and the other varied
 * keys (columns between strategy and n, except x). */
static char *
series_of(const Table *agg, guint r, gint cx, gint cn)
{
    GString *s = g_string_new(table_get(agg, r, 0));
    for (gint c = 1; c < cn; c++)
        if (c != cx)
            g_string_append_printf(s, ",%s=%s", agg->header[c],
                                   table_get(agg, r, c));
    return g_string_free(s, FALSE);
}

/* One data line of aggregate row @r: x, then mean and ci per y key, then
 * (with a knee objective) 1 if the row meets it, else 0. */
static char *
spec_line(const PlotSpec *p, const Table *agg, guint r, gint cx)
{
    GString *line = g_string_new(table_get(agg, r, cx));
    for (guint j = 0; p->y[j]; j++) {
        g_autofree char *m = g_strdup_printf("%s.mean", p->y[j]);
        g_autofree char *c = g_strdup_printf("%s.ci95", p->y[j]);
        g_string_append_printf(line, "\t%s\t%s",
                               table_get(agg, r, table_col(agg, m)),
                               table_get(agg, r, table_col(agg, c)));
    }
    if (p->knee_key) {
        g_autofree char *k = g_strdup_printf("%s.mean", p->knee_key);
        double v = g_ascii_strtod(table_get(agg, r, table_col(agg, k)), NULL);
        gboolean ok = p->knee_less ? v < p->knee_value : v > p->knee_value;
        g_string_append_printf(line, "\t%d", ok);
    }
    return g_string_free(line, FALSE);
}

/* Writes plots/NAME.dat (one block per series) and plots/NAME.knee.dat. */
static gboolean
spec_data(const PlotEnv *env, const PlotSpec *p, const Table *agg,
          guint *n_blocks, GError **error)
{
    gint cx = table_col(agg, p->x), cn = table_col(agg, "n");
    if (cx < 0 || cn < 0) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "[plot %s]: x = %s is not a varied key", p->name, p->x);
        return FALSE;
    }
    g_autoptr(GPtrArray) series = g_ptr_array_new_with_free_func(g_free);
    for (guint r = 0; r < agg->rows->len; r++) {
        char *s = series_of(agg, r, cx, cn);
        if (g_ptr_array_find_with_equal_func(series, s, g_str_equal, NULL))
            g_free(s);
        else
            g_ptr_array_add(series, s);
    }
    GString *dat = g_string_new(NULL), *knee = g_string_new(NULL);
    for (guint b = 0; b < series->len; b++) {
        const char *sname = g_ptr_array_index(series, b);
        g_string_append(dat, "x");
        for (guint j = 0; p->y[j]; j++)
            g_string_append_printf(dat, "\t\"%s%s%s\"\tci", sname,
                                   p->y[1] ? " " : "", p->y[1] ? p->y[j] : "");
        g_string_append_c(dat, '\n');
        g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(g_free);
        for (guint r = 0; r < agg->rows->len; r++) {
            g_autofree char *s = series_of(agg, r, cx, cn);
            if (!g_str_equal(s, sname))
                continue;
            g_ptr_array_add(rows, spec_line(p, agg, r, cx));
        }
        g_ptr_array_sort_with_data(rows, x_cmp, NULL);
        /* The knee: the highest x up to which every x meets the
         * objective. */
        const char *best = NULL;
        gboolean missed = FALSE;
        for (guint r = 0; r < rows->len; r++) {
            const char *line = g_ptr_array_index(rows, r);
            g_string_append_printf(dat, "%s\n", line);
            missed = missed || !g_str_has_suffix(line, "\t1");
            if (p->knee_key && !missed)
                best = line;
        }
        g_string_append(dat, "\n\n");
        if (best) {
            g_auto(GStrv) f = g_strsplit(best, "\t", -1);
            g_string_append_printf(knee, "%s\t%s\t\"%s\"\n", f[0], f[1], sname);
        }
    }
    *n_blocks = series->len;
    g_autofree char *dp = g_strdup_printf("%s/%s.dat", env->plots, p->name);
    g_autofree char *kp = g_strdup_printf("%s/%s.knee.dat", env->plots,
                                          p->name);
    if (!knee->len)
        g_string_append(knee, "nan\tnan\t\"\"\n");
    gboolean ok = sim_out_write_file(dp, dat->str, error) &&
                  sim_out_write_file(kp, knee->str, error);
    g_string_free(dat, TRUE);
    g_string_free(knee, TRUE);
    return ok;
}

/* A gnuplot string literal: single quotes doubled. */
static char *
gp_quote(const char *s)
{
    g_auto(GStrv) parts = g_strsplit(s ? s : "", "'", -1);
    g_autofree char *j = g_strjoinv("''", parts);
    return g_strdup_printf("'%s'", j);
}

static gboolean
plot_spec(const PlotEnv *env, const PlotSpec *p, const Table *agg,
          GError **error)
{
    guint nb = 0;
    if (!spec_data(env, p, agg, &nb, error))
        return FALSE;
    g_autofree char *title = gp_quote(p->title ? p->title : p->name);
    g_autofree char *xl = gp_quote(p->xlabel ? p->xlabel : p->x);
    g_autofree char *yl = gp_quote(p->ylabel ? p->ylabel : p->y[0]);
    g_autofree char *kl = NULL;
    if (p->knee_key) {
        char v[G_ASCII_DTOSTR_BUF_SIZE];
        g_ascii_formatd(v, sizeof v, "%g", p->knee_value);
        g_autofree char *t = g_strdup_printf("knee: %s %c %s", p->knee_key,
                                             p->knee_less ? '<' : '>', v);
        kl = gp_quote(t);
    }
    g_autofree char *vars = g_strdup_printf(
        "data='%s/%s.dat'; knee='%s/%s.knee.dat'; nb=%u; ny=%u; title=%s; "
        "xlabel=%s; ylabel=%s; kneetitle=%s; logx=%d", env->plots, p->name,
        env->plots, p->name, nb, g_strv_length(p->y), title, xl, yl,
        kl ? kl : "''", p->logx);
    return plot_run(env, "sweep.gp", p->name, vars, error);
}

static gboolean
plot_sweep(const PlotEnv *env, const char *exp, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autofree char *agg_path = g_build_filename(env->dir, "aggregate.tsv",
                                                 NULL);
    g_autoptr(Table) agg = NULL;
    if (!g_key_file_load_from_file(kf, exp, G_KEY_FILE_NONE, error) ||
        !(agg = table_read(agg_path, error)))
        return FALSE;
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    for (guint i = 0; groups[i]; i++) {
        if (!g_str_has_prefix(groups[i], "plot "))
            continue;
        PlotSpec p = { 0 };
        gboolean ok = spec_load(&p, kf, groups[i], error) &&
                      plot_spec(env, &p, agg, error);
        spec_clear(&p);
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

/**
 * sim_plot_dir:
 * @dir: a compare or sweep results folder
 * @error: return location for a GError
 *
 * Draws every plot that applies to @dir into @dir/plots/.
 *
 * Returns: TRUE on success.
 */
gboolean
sim_plot_dir(const char *dir, GError **error)
{
    g_autofree char *agg = g_build_filename(dir, "aggregate.tsv", NULL);
    g_autofree char *exp = g_build_filename(dir, "experiment.exp", NULL);
    if (!g_file_test(agg, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                    "%s: no aggregate.tsv (not a compare or sweep folder)",
                    dir);
        return FALSE;
    }
    g_autofree char *gp = g_find_program_in_path("gnuplot");
    if (!gp) {
        g_set_error(error, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT,
                    "gnuplot not found (install gnuplot-nox)");
        return FALSE;
    }
    PlotEnv env = { .scripts = plot_scripts_dir(), .dir = g_strdup(dir) };
    env.plots = g_build_filename(dir, "plots", NULL);
    gboolean ok = FALSE;
    if (!env.scripts)
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                    "the plots/ scripts folder was not found (set "
                    "$SIPREUSE_PLOTS)");
    else if (g_mkdir_with_parents(env.plots, 0755) != 0)
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot create %s", env.plots);
    else {
        env.png_term = plot_png_terminal();
        ok = g_file_test(exp, G_FILE_TEST_IS_REGULAR)
                 ? plot_sweep(&env, exp, error)
                 : plot_compare(&env, error);
    }
    g_free(env.scripts);
    g_free(env.dir);
    g_free(env.plots);
    return ok;
}

/**
 * sim_cmd_plot:
 * @argc: argument count
 * @argv: arguments; argv[0] is "plot"
 *
 * Returns: the exit status.
 */
int
sim_cmd_plot(int argc, char **argv)
{
    int rc = sim_cli_parse(sim_cli_context("plot", NULL), &argc, &argv);
    if (rc)
        return rc;
    if (argc != 2)
        return sim_cli_usage_error("plot", "expected one RESULTS_DIR");
    g_autoptr(GError) error = NULL;
    if (!sim_plot_dir(argv[1], &error)) {
        gboolean input = g_error_matches(error, G_FILE_ERROR,
                                         G_FILE_ERROR_NOENT) ||
                         error->domain == G_KEY_FILE_ERROR;
        fprintf(stderr, "sipreuse plot: %s\n", error->message);
        return input ? SIM_EXIT_USAGE : SIM_EXIT_FAILURE;
    }
    g_autofree char *plots = g_build_filename(argv[1], "plots", NULL);
    printf("plots: %s\n", plots);
    return SIM_EXIT_OK;
}
