/* SPDX-License-Identifier: MIT */
/*
 * The sweep layout of `sipreuse plot` (and of `sipreuse sweep`, which
 * also prints what it finds): the [plot NAME] groups of an experiment
 * (x a varied key; y keys of runs.tsv, or per-node keys node[NAME].COLUMN,
 * node.max.COLUMN and domain[DOMAIN].COLUMN read from every run's
 * nodes.tsv; an optional knee criterion of conditions joined by 'and')
 * are checked before the first run; aggregate.tsv is reshaped into one
 * data block per line (strategy and the values of the other varied keys)
 * sorted by x read in its unit (the topology loader's own parsers: "20ms"
 * < "1s"); each line's knee is interpolated between the last point that
 * meets the criterion and the first that does not, or is not reached, or
 * lies below the range (knees.tsv at the sweep's root); and the sweep's
 * closing table lists every plotted key per point and strategy.
 */
#include "cli/sweep_plot.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "run/batch.h"
#include "run/experiment.h"
#include "run/input.h"
#include "run/out.h"
#include "run/topo.h"

/* One condition of a knee criterion: KEY OP VALUE. */
typedef enum { KNEE_LT, KNEE_LE, KNEE_GT, KNEE_GE } KneeOp;

typedef struct {
    char *key;
    KneeOp op;
    double value;
} KneeCond;

static const char *const knee_op_text[] = { "<", "<=", ">", ">=" };

/* TRUE if @v meets @c; a null (nan) never does. */
static gboolean
knee_holds(const KneeCond *c, double v)
{
    if (isnan(v))
        return FALSE;
    switch (c->op) {
    case KNEE_LT:
        return v < c->value;
    case KNEE_LE:
        return v <= c->value;
    case KNEE_GT:
        return v > c->value;
    case KNEE_GE:
        return v >= c->value;
    }
    return FALSE;
}

/* What the knee of one line is. */
typedef enum {
    /* Passes at a point, fails at the next: knee between them. */
    KNEE_REACHED,
    /* Holds at every point: no knee in the x range. */
    KNEE_NOT_REACHED,
    /* Fails at the first point already. */
    KNEE_BELOW_RANGE,
} KneeStatus;

static const char *const knee_status_text[] = { "reached", "not-reached",
                                                "below-range" };

/* One [plot NAME] of an experiment. */
typedef struct {
    char *name;
    char *x;
    char **y;
    char *title, *xlabel, *ylabel;
    /* Logarithmic x and y axes. */
    gboolean logx, logy;
    /* The knee criterion: every condition holds (n_knee = 0: none). */
    KneeCond *knee;
    guint n_knee;
    /* (nullable, not owned): the sweep folder whose run folders hold the
     * nodes.tsv files that per-node keys read. */
    const char *dir;
    /* The keys that move with x (x and its [zip NAME] partners): they do
     * not tell lines apart. */
    char **together;
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
    for (guint i = 0; i < p->n_knee; i++)
        g_free(p->knee[i].key);
    g_free(p->knee);
    g_strfreev(p->together);
}

/* Per-node keys of sweep plots, read from each run's nodes.tsv. */
typedef enum {
    /* Not a per-node key. */
    NODE_KEY_NONE,
    /* node[NAME].COLUMN: the node's value. */
    NODE_KEY_NODE,
    /* node.max.COLUMN: the highest over the nodes. */
    NODE_KEY_MAX,
    /* domain[DOMAIN].COLUMN: the sum over the nodes whose srv.domain is
     * DOMAIN (its SRV farm's members). */
    NODE_KEY_DOMAIN,
} NodeKeyKind;

/* TRUE if @col is a numeric nodes.tsv column (every column but node and
 * srv.domain, as run/out.c writes the header). */
static gboolean
node_column_ok(const char *col)
{
    g_autoptr(SimRunResult) empty = sim_run_result_new();
    g_autofree char *header = sim_out_nodes_tsv(empty);
    g_strchomp(header);
    g_auto(GStrv) cols = g_strsplit(header, "\t", -1);
    return g_strv_contains((const char *const *)cols, col) &&
           !g_str_equal(col, "node") && !g_str_equal(col, "srv.domain");
}

/* Parses per-node key @key into its kind, NAME or DOMAIN (@name, NULL for
 * node.max) and nodes.tsv column (@col).  NODE_KEY_NONE if @key does not
 * have the form of one or names no numeric nodes.tsv column. */
static NodeKeyKind
node_key_parse(const char *key, char **name, char **col)
{
    *name = *col = NULL;
    NodeKeyKind kind = NODE_KEY_NONE;
    const char *rest = NULL;
    if (g_str_has_prefix(key, "node.max.")) {
        kind = NODE_KEY_MAX;
        rest = key + strlen("node.max.");
    } else if (g_str_has_prefix(key, "node[") ||
               g_str_has_prefix(key, "domain[")) {
        kind = key[0] == 'n' ? NODE_KEY_NODE : NODE_KEY_DOMAIN;
        const char *open = strchr(key, '[');
        const char *close = strstr(open, "].");
        if (!close || close == open + 1)
            return NODE_KEY_NONE;
        *name = g_strndup(open + 1, close - open - 1);
        rest = close + 2;
    } else {
        return NODE_KEY_NONE;
    }
    if (!node_column_ok(rest)) {
        g_clear_pointer(name, g_free);
        return NODE_KEY_NONE;
    }
    *col = g_strdup(rest);
    return kind;
}

/* TRUE if @key is a numeric runs.tsv key or a per-node key (what a plot
 * can draw). */
static gboolean
spec_numeric_key(const char *key)
{
    const char *const *keys = sim_out_run_keys();
    for (guint i = SIM_OUT_N_LABEL_KEYS; keys[i]; i++)
        if (g_str_equal(keys[i], key))
            return TRUE;
    g_autofree char *name = NULL, *col = NULL;
    return node_key_parse(key, &name, &col) != NODE_KEY_NONE;
}

static gboolean
spec_fail(GError **error, const char *path, const char *group,
          const char *key, const char *fmt, ...) G_GNUC_PRINTF(5, 6);

static gboolean
spec_fail(GError **error, const char *path, const char *group,
          const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autofree char *eg = sim_cli_printable(group);
    /* The line, read back from the file (only on failure). */
    g_autofree char *text = NULL;
    gsize len = 0;
    guint line = 0;
    if (sim_input_read_file(path, SIM_INPUT_MAX_EXPERIMENT, &text, &len,
                            NULL)) {
        line = key ? sim_experiment_line(text, len, group, key) : 0;
        if (!line)
            line = sim_experiment_line(text, len, group, NULL);
    }
    g_autofree char *where = line ? g_strdup_printf("%s:%u", path, line)
                                  : g_strdup(path);
    g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                "%s: [%s]%s%s: %s", where, eg, key ? " " : "",
                key ? key : "", msg);
    return FALSE;
}

/* Parses knee criterion @text into @p: "KEY OP VALUE [and KEY OP VALUE]
 * ...", OP one of < <= > >=.  FALSE if it is not one. */
static gboolean
spec_knee_parse(PlotSpec *p, const char *text)
{
    g_autoptr(GRegex) re = g_regex_new("\\s+and\\s+", 0, 0, NULL);
    g_auto(GStrv) parts = g_regex_split(re, text, 0);
    guint n = g_strv_length(parts);
    if (n == 0 || n > 16)
        return FALSE;
    p->knee = g_new0(KneeCond, n);
    for (guint i = 0; i < n; i++) {
        char *part = parts[i];
        char *op = strpbrk(part, "<>");
        if (!op)
            return FALSE;
        KneeCond *c = &p->knee[p->n_knee++];
        gboolean eq = op[1] == '=';
        c->op = *op == '<' ? (eq ? KNEE_LE : KNEE_LT)
                           : (eq ? KNEE_GE : KNEE_GT);
        c->key = g_strstrip(g_strndup(part, op - part));
        const char *num = op + 1 + eq;
        while (g_ascii_isspace(*num))
            num++;
        char *end = NULL;
        c->value = g_ascii_strtod(num, &end);
        if (!end || end == num)
            return FALSE;
        while (g_ascii_isspace(*end))
            end++;
        if (*end || !isfinite(c->value) || !spec_numeric_key(c->key))
            return FALSE;
    }
    return TRUE;
}

/* Loads [plot NAME] @group of experiment @path, checked: NAME a name,
 * only known keys, x one of @varied, every y (and the knee's key) a
 * numeric result key, the knee's value a number, logx a boolean. */
static gboolean
spec_load(PlotSpec *p, GKeyFile *kf, const char *path, const char *group,
          const char *const *varied, GError **error)
{
    static const char *const known[] = { "x", "y", "title", "xlabel",
                                         "ylabel", "logx", "logy", "knee",
                                         NULL };
    p->name = g_strdup(group + strlen("plot "));
    g_strstrip(p->name);
    if (!sim_cli_name_ok(p->name))
        return spec_fail(error, path, group, NULL,
                         "a plot name holds only letters, digits, '_', '.' "
                         "and '-' (1 to 64 of them)");
    g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);
    for (guint i = 0; keys && keys[i]; i++)
        if (!g_strv_contains(known, keys[i])) {
            g_autofree char *hint = sim_topo_hint(keys[i], known);
            return spec_fail(error, path, group, keys[i],
                             "unknown key%s (known: x, y, title, xlabel, "
                             "ylabel, logx, logy, knee)",
                             hint);
        }
    p->x = g_key_file_get_string(kf, group, "x", NULL);
    if (!p->x || !g_strv_contains(varied, g_strstrip(p->x))) {
        g_autofree char *hint =
            p->x ? sim_topo_hint(p->x, varied) : g_strdup("");
        return spec_fail(error, path, group, "x",
                         "expected one of the keys of [vary] or [zip NAME]%s",
                         hint);
    }
    p->together = sim_experiment_axis_keys(kf, p->x);
    g_autofree char *y = g_key_file_get_string(kf, group, "y", NULL);
    if (!y)
        return spec_fail(error, path, group, "y",
                         "expected one or more runs.tsv keys");
    p->y = g_strsplit_set(y, ",;", -1);
    guint ny = 0;
    for (guint i = 0; p->y[i]; i++) {
        g_strstrip(p->y[i]);
        if (!spec_numeric_key(p->y[i]))
            return spec_fail(error, path, group, "y",
                             "'%s' is not a numeric runs.tsv key, nor "
                             "node[NAME].COLUMN, node.max.COLUMN or "
                             "domain[DOMAIN].COLUMN with COLUMN a numeric "
                             "nodes.tsv column", p->y[i]);
        ny++;
    }
    if (!ny)
        return spec_fail(error, path, group, "y",
                         "expected one or more runs.tsv keys");
    p->title = g_key_file_get_string(kf, group, "title", NULL);
    p->xlabel = g_key_file_get_string(kf, group, "xlabel", NULL);
    p->ylabel = g_key_file_get_string(kf, group, "ylabel", NULL);
    g_autoptr(GError) bad = NULL;
    if (g_key_file_has_key(kf, group, "logx", NULL)) {
        p->logx = g_key_file_get_boolean(kf, group, "logx", &bad);
        if (bad)
            return spec_fail(error, path, group, "logx",
                             "expected true or false");
    }
    if (g_key_file_has_key(kf, group, "logy", NULL)) {
        p->logy = g_key_file_get_boolean(kf, group, "logy", &bad);
        if (bad)
            return spec_fail(error, path, group, "logy",
                             "expected true or false");
    }
    g_autofree char *knee = g_key_file_get_string(kf, group, "knee", NULL);
    if (knee && !spec_knee_parse(p, knee))
        return spec_fail(error, path, group, "knee",
                         "expected KEY OP VALUE, several joined by 'and' "
                         "(OP one of <, <=, >, >=; KEY a numeric runs.tsv "
                         "key; VALUE a number)");
    return TRUE;
}

/**
 * sim_plot_check_experiment:
 * @kf: an experiment
 * @path: its file, for messages
 * @error: return location for a %G_KEY_FILE_ERROR
 *
 * Checks the experiment's groups: only [experiment], [vary] and [plot
 * NAME], and every [plot NAME] valid (see spec_load()).
 *
 * Returns: TRUE if they are.
 */
gboolean
sim_plot_check_experiment(GKeyFile *kf, const char *path, GError **error)
{
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    g_auto(GStrv) varied = sim_experiment_varied_keys(kf);
    const char *const none[] = { NULL };
    for (guint i = 0; groups[i]; i++) {
        if (g_str_equal(groups[i], "experiment") ||
            g_str_equal(groups[i], "vary"))
            continue;
        if (g_str_has_prefix(groups[i], "zip "))
            continue;
        if (!g_str_has_prefix(groups[i], "plot "))
            return spec_fail(error, path, groups[i], NULL,
                             "unknown group (known: [experiment], [vary], "
                             "[zip NAME], [plot NAME])");
        PlotSpec p = { 0 };
        gboolean ok = spec_load(&p, kf, path, groups[i],
                                varied ? (const char *const *)varied : none,
                                error);
        spec_clear(&p);
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

/* Checks that per-node key @key of [plot] @group (@what: "y" or "knee")
 * names a node or domain of @topo. */
static gboolean
spec_check_name(const char *key, const SimTopo *topo, const char *path,
                const char *group, const char *what, GError **error)
{
    g_autofree char *name = NULL, *col = NULL;
    NodeKeyKind kind = node_key_parse(key, &name, &col);
    if (kind == NODE_KEY_NODE) {
        for (guint i = 0; i < topo->n_nodes; i++)
            if (g_str_equal(topo->nodes[i].name, name))
                return TRUE;
        g_autofree char *pn = sim_cli_printable(name);
        return spec_fail(error, path, group, what,
                         "'%s': the topology has no node '%s'", key, pn);
    }
    if (kind == NODE_KEY_DOMAIN) {
        for (guint i = 0; i < topo->n_domains; i++)
            if (g_str_equal(topo->domains[i].name, name))
                return TRUE;
        g_autofree char *pn = sim_cli_printable(name);
        return spec_fail(error, path, group, what,
                         "'%s': the topology has no domain '%s'", key, pn);
    }
    return TRUE;
}

/**
 * sim_plot_check_names:
 * @kf: an experiment, checked by sim_plot_check_experiment()
 * @path: its file, for messages
 * @topo: its topology
 * @error: return location for a %G_KEY_FILE_ERROR
 *
 * Checks that every per-node key of its [plot NAME] groups (y and knee)
 * names a node (node[NAME]) or domain (domain[DOMAIN]) of @topo.
 *
 * Returns: TRUE if they do.
 */
gboolean
sim_plot_check_names(GKeyFile *kf, const char *path, const SimTopo *topo,
                     GError **error)
{
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    g_auto(GStrv) varied = sim_experiment_varied_keys(kf);
    const char *const none[] = { NULL };
    for (guint i = 0; groups[i]; i++) {
        if (!g_str_has_prefix(groups[i], "plot "))
            continue;
        PlotSpec p = { 0 };
        gboolean ok = spec_load(&p, kf, path, groups[i],
                                varied ? (const char *const *)varied : none,
                                error);
        for (guint j = 0; ok && p.y[j]; j++)
            ok = spec_check_name(p.y[j], topo, path, groups[i], "y", error);
        for (guint k = 0; ok && k < p.n_knee; k++)
            ok = spec_check_name(p.knee[k].key, topo, path, groups[i],
                                 "knee", error);
        spec_clear(&p);
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

/* One data line of a sweep plot and its x in the x key's unit. */
typedef struct {
    double x;
    char *line;
    /* The mean of the first y key, and of each knee condition's key (nan
     * for null). */
    double y1;
    double *kv;
} PlotLine;

static gint
x_cmp(gconstpointer a, gconstpointer b)
{
    double x = ((const PlotLine *)a)->x, y = ((const PlotLine *)b)->x;
    return x < y ? -1 : x > y;
}

/* The series label of aggregate row @r: strategy and the other varied
 * keys (columns between strategy and n, except x). */
static char *
series_of(const PlotSpec *p, const SimPlotTable *agg, guint r, gint cx,
          gint cn)
{
    GString *s = g_string_new(sim_plot_table_get(agg, r, 0));
    for (gint c = 1; c < cn; c++)
        if (c != cx && !(p->together &&
                         g_strv_contains((const char *const *)p->together,
                                         agg->header[c])))
            g_string_append_printf(s, ",%s=%s", agg->header[c],
                                   sim_plot_table_get(agg, r, c));
    return g_string_free(s, FALSE);
}

/* Reads x value @text of @p's x key in the key's unit (durations in ms,
 * bandwidths in Mbps, rates in calls/s: the loader's own parsers), or as
 * a plain number. */
static gboolean
spec_x(const PlotSpec *p, const char *text, double *x, GError **error)
{
    SimTopoUnit unit = sim_topo_key_unit(p->x);
    if (sim_topo_unit_value(unit, text, x) ||
        sim_topo_unit_value(SIM_TOPO_UNIT_NONE, text, x))
        return TRUE;
    g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                "[plot %s]: x = %s: value '%s' is not a number%s%s", p->name,
                p->x, text, sim_topo_unit_name(unit) ? " or a value in " : "",
                sim_topo_unit_name(unit) ? sim_topo_unit_name(unit) : "");
    return FALSE;
}

/* A number from a results file: nan for null or anything else. */
static double
cell_number(const char *cell)
{
    char *end = NULL;
    double v = g_ascii_strtod(cell, &end);
    return end != cell && *end == '\0' && isfinite(v) ? v : NAN;
}

/* The value of per-node key (@kind, @name, @col) in one run's nodes.tsv
 * @t: nan when no node matches or the cells are not numbers. */
static double
node_value(const SimPlotTable *t, NodeKeyKind kind, const char *name,
           const char *col)
{
    gint c = sim_plot_table_col(t, col), cd = sim_plot_table_col(t, "srv.domain");
    double v = NAN;
    for (guint r = 0; c >= 0 && r < t->rows->len; r++) {
        double x = cell_number(sim_plot_table_get(t, r, c));
        if (kind == NODE_KEY_NODE && g_str_equal(sim_plot_table_get(t, r, 0), name))
            return x;
        if (kind == NODE_KEY_MAX && !isnan(x))
            v = isnan(v) ? x : MAX(v, x);
        if (kind == NODE_KEY_DOMAIN && !isnan(x) &&
            g_str_equal(sim_plot_table_get(t, r, cd), name))
            v = isnan(v) ? x : v + x;
    }
    return v;
}

/* The folder of aggregate row @r's grid point under DIR/runs, named as the
 * sweep names it: "KEY=VALUE,..." over the label columns between
 * strategy and n, '/' and blanks as '_' ("default" without keys). */
static char *
agg_point_folder(const SimPlotTable *agg, guint r)
{
    gint cn = sim_plot_table_col(agg, "n");
    GString *s = g_string_new(NULL);
    for (gint c = 1; c < cn; c++)
        g_string_append_printf(s, "%s%s=%s", c > 1 ? "," : "",
                               agg->header[c], sim_plot_table_get(agg, r, c));
    if (!s->len)
        g_string_append(s, "default");
    g_strdelimit(s->str, "/ \t", '_');
    return g_string_free(s, FALSE);
}

/* Mean and 95% half-width of per-node key @key over the complete runs of
 * aggregate row @r (its strategy's replications at its point), nulls
 * left out; nan without a value. */
static void
node_stat(const PlotSpec *p, const SimPlotTable *agg, guint r, const char *key,
          double *mean, double *ci, guint *n)
{
    *mean = *ci = NAN;
    *n = 0;
    g_autofree char *name = NULL, *col = NULL;
    NodeKeyKind kind = node_key_parse(key, &name, &col);
    if (kind == NODE_KEY_NONE || !p->dir)
        return;
    g_autofree char *folder = agg_point_folder(agg, r);
    g_autofree char *point = g_build_filename(p->dir, "runs", folder, NULL);
    g_autofree char *prefix = g_strdup_printf("%s-seed",
                                              sim_plot_table_get(agg, r, 0));
    g_autoptr(GDir) d = g_dir_open(point, 0, NULL);
    g_autoptr(GArray) x = g_array_new(FALSE, FALSE, sizeof(double));
    const char *e;
    while (d && (e = g_dir_read_name(d))) {
        const char *seed = e + strlen(prefix);
        if (!g_str_has_prefix(e, prefix) || !*seed ||
            strspn(seed, "0123456789") != strlen(seed))
            continue;
        g_autofree char *run = g_build_filename(point, e, NULL);
        g_autofree char *nodes = g_build_filename(run, "nodes.tsv", NULL);
        if (!sim_out_run_complete(run))
            continue;
        g_autoptr(SimPlotTable) t = sim_plot_table_read(nodes, NULL);
        double v = t ? node_value(t, kind, name, col) : NAN;
        if (!isnan(v))
            g_array_append_val(x, v);
    }
    *n = x->len;
    if (!x->len)
        return;
    SimOutStat st;
    sim_out_stat((const double *)x->data, x->len, &st);
    *mean = st.mean;
    *ci = st.ci95;
}

/* Mean, ci and number of runs with a value (@n nullable) of @key in
 * aggregate row @r: from the aggregate (KEY.n where it has it, else the
 * row's n), or for a per-node key from the runs' nodes.tsv; nan for
 * null. */
static void
row_stat_n(const PlotSpec *p, const SimPlotTable *agg, guint r, const char *key,
           double *mean, double *ci, guint *n)
{
    g_autofree char *m = g_strdup_printf("%s.mean", key);
    g_autofree char *c = g_strdup_printf("%s.ci95", key);
    g_autofree char *kn = g_strdup_printf("%s.n", key);
    guint have = 0;
    if (sim_plot_table_col(agg, m) < 0) {
        node_stat(p, agg, r, key, mean, ci, &have);
    } else {
        *mean = cell_number(sim_plot_table_get(agg, r, sim_plot_table_col(agg, m)));
        *ci = cell_number(sim_plot_table_get(agg, r, sim_plot_table_col(agg, c)));
        gint col = sim_plot_table_col(agg, kn);
        if (col < 0)
            col = sim_plot_table_col(agg, "n");
        have = (guint)g_ascii_strtoull(sim_plot_table_get(agg, r, col), NULL, 10);
    }
    if (n)
        *n = have;
}

static void
row_stat(const PlotSpec *p, const SimPlotTable *agg, guint r, const char *key,
         double *mean, double *ci)
{
    row_stat_n(p, agg, r, key, mean, ci, NULL);
}

static double
row_mean(const PlotSpec *p, const SimPlotTable *agg, guint r, const char *key)
{
    double m, c;
    row_stat(p, agg, r, key, &m, &c);
    return m;
}

/* One data line of aggregate row @r: x (in its unit), then mean and ci per
 * y key. */
static char *
spec_line(const PlotSpec *p, const SimPlotTable *agg, guint r, double x)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    GString *line = g_string_new(g_ascii_formatd(buf, sizeof buf, "%.9g", x));
    for (guint j = 0; p->y[j]; j++) {
        /* Numbers only: the cells are data read from a file. */
        double v[2];
        row_stat(p, agg, r, p->y[j], &v[0], &v[1]);
        for (guint k = 0; k < 2; k++)
            g_string_append_printf(line, "\t%s",
                                   isfinite(v[k])
                                       ? g_ascii_formatd(buf, sizeof buf,
                                                         "%.9g", v[k])
                                       : "nan");
    }
    return g_string_free(line, FALSE);
}

static void
plot_line_clear(gpointer data)
{
    g_free(((PlotLine *)data)->line);
    g_free(((PlotLine *)data)->kv);
}

/* The distinct series of @agg, in order of first appearance. */
static GPtrArray *
spec_series(const PlotSpec *p, const SimPlotTable *agg, gint cx, gint cn)
{
    GPtrArray *series = g_ptr_array_new_with_free_func(g_free);
    for (guint r = 0; r < agg->rows->len; r++) {
        char *s = series_of(p, agg, r, cx, cn);
        if (g_ptr_array_find_with_equal_func(series, s, g_str_equal, NULL))
            g_free(s);
        else
            g_ptr_array_add(series, s);
    }
    return series;
}

/* The lines of series @sname, sorted by x; NULL with @error set if an x
 * value is not a number. */
static GArray *
spec_block(const PlotSpec *p, const SimPlotTable *agg, const char *sname, gint cx,
           gint cn, GError **error)
{
    GArray *rows = g_array_new(FALSE, FALSE, sizeof(PlotLine));
    g_array_set_clear_func(rows, plot_line_clear);
    for (guint r = 0; r < agg->rows->len; r++) {
        g_autofree char *s = series_of(p, agg, r, cx, cn);
        PlotLine pl;
        if (!g_str_equal(s, sname))
            continue;
        if (!spec_x(p, sim_plot_table_get(agg, r, cx), &pl.x, error)) {
            g_array_unref(rows);
            return NULL;
        }
        pl.line = spec_line(p, agg, r, pl.x);
        pl.y1 = row_mean(p, agg, r, p->y[0]);
        pl.kv = g_new(double, MAX(p->n_knee, 1));
        for (guint k = 0; k < p->n_knee; k++)
            pl.kv[k] = row_mean(p, agg, r, p->knee[k].key);
        g_array_append_val(rows, pl);
    }
    g_array_sort(rows, x_cmp);
    return rows;
}

/* TRUE if line @l meets every condition of @p's knee criterion. */
static gboolean
spec_passes(const PlotSpec *p, const PlotLine *l)
{
    for (guint k = 0; k < p->n_knee; k++)
        if (!knee_holds(&p->knee[k], l->kv[k]))
            return FALSE;
    return TRUE;
}

/**
 * spec_knee:
 * @p: a plot with a knee criterion
 * @rows: (element-type PlotLine): one line's points, sorted by x (at least
 *   one)
 * @kx: (out): the knee's x (reached), or the last x (not reached) or the
 *   first x (below the range), where the plot marks it
 * @ky: (out): the first y key's mean there (interpolated for a knee)
 *
 * The knee lies between the last point that meets the criterion and the
 * first that does not (j, after i = j - 1): each condition that fails at j
 * crosses its value where its key, interpolated linearly in x between i
 * and j, reaches the value (at x_i when either key value is null, the
 * crossing being unknown); the knee is the lowest of these crossings.
 *
 * Returns: whether the knee is in the range.
 */
static KneeStatus
spec_knee(const PlotSpec *p, GArray *rows, double *kx, double *ky)
{
    guint j = 0;
    while (j < rows->len && spec_passes(p, &g_array_index(rows, PlotLine, j)))
        j++;
    if (j == rows->len || j == 0) {
        const PlotLine *l = &g_array_index(rows, PlotLine,
                                           j ? rows->len - 1 : 0);
        *kx = l->x;
        *ky = l->y1;
        return j ? KNEE_NOT_REACHED : KNEE_BELOW_RANGE;
    }
    const PlotLine *a = &g_array_index(rows, PlotLine, j - 1);
    const PlotLine *b = &g_array_index(rows, PlotLine, j);
    double x = b->x;
    for (guint k = 0; k < p->n_knee; k++) {
        if (knee_holds(&p->knee[k], b->kv[k]))
            continue;
        double va = a->kv[k], vb = b->kv[k], c = a->x;
        if (isfinite(va) && isfinite(vb) && vb != va) {
            double t = CLAMP((p->knee[k].value - va) / (vb - va), 0.0, 1.0);
            c = a->x + t * (b->x - a->x);
        }
        x = MIN(x, c);
    }
    *kx = x;
    if (isfinite(a->y1) && isfinite(b->y1) && b->x != a->x)
        *ky = a->y1 + (x - a->x) / (b->x - a->x) * (b->y1 - a->y1);
    else
        *ky = a->y1;
    return KNEE_REACHED;
}

/* Appends block @sname to @dat (header naming its lines, then its rows),
 * and with a knee criterion its knee to @knee (x, y, status, line), with
 * @has[status] set to '1' if @has, and its knees.tsv row to @tsv if
 * @tsv. */
static void
spec_append(const PlotSpec *p, const char *series, GArray *rows,
            GString *dat, GString *knee, GString *tsv, char *has)
{
    g_autofree char *sname = sim_plot_data_name(series);
    g_string_append(dat, "x");
    for (guint j = 0; p->y[j]; j++)
        g_string_append_printf(dat, "\t\"%s%s%s\"\tci", sname,
                               p->y[1] ? ": " : "",
                               p->y[1] ? sim_plot_key_label(p->y[j]) : "");
    g_string_append_c(dat, '\n');
    for (guint r = 0; r < rows->len; r++)
        g_string_append_printf(dat, "%s\n",
                               g_array_index(rows, PlotLine, r).line);
    g_string_append(dat, "\n\n");
    if (!p->n_knee || !rows->len)
        return;
    double kx, ky;
    KneeStatus st = spec_knee(p, rows, &kx, &ky);
    if (has)
        has[st] = '1';
    char bx[G_ASCII_DTOSTR_BUF_SIZE], by[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_formatd(bx, sizeof bx, "%.9g", kx);
    g_ascii_formatd(by, sizeof by, "%.9g", ky);
    g_string_append_printf(knee, "%s\t%s\t%d\t\"%s\"\n", bx,
                           isfinite(ky) ? by : "nan", (int)st, sname);
    if (tsv) {
        g_string_append_printf(tsv, "%s\t%s\t%s\t%s\n", p->name, sname,
                               st == KNEE_REACHED ? bx : "nan",
                               knee_status_text[st]);
    }
}

/* Writes plots/NAME.dat (one block per series, x read in its unit and
 * sorted numerically) and plots/NAME.knee.dat. */
static gboolean
spec_data(const SimPlotEnv *env, const PlotSpec *p, const SimPlotTable *agg,
          guint *n_blocks, GString *tsv, char *has, GError **error)
{
    gint cx = sim_plot_table_col(agg, p->x), cn = sim_plot_table_col(agg, "n");
    if (cx < 0 || cn < 0) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "[plot %s]: x = %s is not a varied key", p->name, p->x);
        return FALSE;
    }
    g_autoptr(GPtrArray) series = spec_series(p, agg, cx, cn);
    g_autoptr(GString) dat = g_string_new(NULL);
    /* The knee file has a header line like every data file: the scripts
     * read the first line of each file as column headers. */
    g_autoptr(GString) knee = g_string_new("x\ty\tstatus\tline\n");
    for (guint b = 0; b < series->len; b++) {
        const char *sname = g_ptr_array_index(series, b);
        GArray *rows = spec_block(p, agg, sname, cx, cn, error);
        if (!rows)
            return FALSE;
        spec_append(p, sname, rows, dat, knee, tsv, has);
        g_array_unref(rows);
    }
    *n_blocks = series->len;
    if (!env)
        return TRUE;
    g_autofree char *dp = g_strdup_printf("%s/%s.dat", env->plots, p->name);
    g_autofree char *kp = g_strdup_printf("%s/%s.knee.dat", env->plots,
                                          p->name);
    if (!strchr(strchr(knee->str, '\n') + 1, '\n'))
        g_string_append(knee, "nan\tnan\tnan\t\"\"\n");
    return sim_out_write_file(dp, dat->str, error) &&
           sim_out_write_file(kp, knee->str, error) &&
           sim_gnuplot_link(env->gp, "data.dat", dp, error) &&
           sim_gnuplot_link(env->gp, "knee.dat", kp, error);
}

/* (transfer full): @p's knee criterion as text ("knee: A < 1 and B >=
 * 2"), with the keys' human labels if @human. */
static char *
spec_knee_text(const PlotSpec *p, gboolean human)
{
    GString *s = g_string_new(human ? "knee: " : "");
    for (guint k = 0; k < p->n_knee; k++) {
        char v[G_ASCII_DTOSTR_BUF_SIZE];
        g_ascii_formatd(v, sizeof v, "%g", p->knee[k].value);
        g_string_append_printf(s, "%s%s %s %s", k ? " and " : "",
                               human ? sim_plot_key_label(p->knee[k].key)
                                     : p->knee[k].key,
                               knee_op_text[p->knee[k].op], v);
    }
    return g_string_free(s, FALSE);
}

/* (transfer full): the default y label: the human label of the one y key,
 * or of each y key joined (a generic label when that gets long). */
static char *
spec_ylabel(const PlotSpec *p)
{
    GString *s = g_string_new(NULL);
    for (guint j = 0; p->y[j]; j++)
        g_string_append_printf(s, "%s%s", j ? ", " : "",
                               sim_plot_key_label(p->y[j]));
    if (g_utf8_strlen(s->str, -1) > 60) {
        g_string_free(s, TRUE);
        return g_strdup("value (see the legend)");
    }
    return g_string_free(s, FALSE);
}

/* (transfer full): the number of blocks, then per block of @agg's series
 * (spec_data()'s order) its strategy's style and how many earlier blocks
 * have the same style (a later block of a strategy, at another value of
 * a further varied key, gets open markers and another dash):
 * "NB S1 R1 S2 R2 ...". */
static char *
spec_styles(const SimPlotTable *agg, const PlotSpec *p)
{
    gint cx = sim_plot_table_col(agg, p->x), cn = sim_plot_table_col(agg, "n");
    g_autoptr(GPtrArray) series = spec_series(p, agg, cx, cn);
    GString *s = g_string_new(NULL);
    g_autofree guint *seen = g_new0(guint, SIM_PLOT_N_STYLES + 1);
    g_string_append_printf(s, "%u", series->len);
    for (guint b = 0; b < series->len; b++) {
        const char *sname = g_ptr_array_index(series, b);
        const char *comma = strchr(sname, ',');
        g_autofree char *strategy = comma ? g_strndup(sname, comma - sname)
                                          : g_strdup(sname);
        guint st = sim_plot_style(strategy);
        g_string_append_printf(s, " %u %u", st, seen[st]++);
    }
    return g_string_free(s, FALSE);
}

static gboolean
plot_spec(const SimPlotEnv *env, const PlotSpec *p, const SimPlotTable *agg,
          const char *window, GError **error)
{
    guint nb = 0;
    /* Which knee statuses occur, for the legend: "101" = some lines
     * reached, none not reached, some below the range. */
    char has[4] = "000";
    if (!spec_data(env, p, agg, &nb, NULL, has, error))
        return FALSE;
    g_autofree char *xdef = sim_plot_x_label(p->x);
    g_autofree char *ydef = spec_ylabel(p);
    g_autofree char *tdef = g_strdup_printf("%s against %s", ydef, p->x);
    g_autofree char *tfull = window
        ? g_strdup_printf("%s\n(measured %s)", p->title ? p->title : tdef,
                          window)
        : g_strdup(p->title ? p->title : tdef);
    g_autofree char *title = sim_plot_label(tfull);
    g_autofree char *xl = sim_plot_label(p->xlabel ? p->xlabel : xdef);
    g_autofree char *yl = sim_plot_label(p->ylabel ? p->ylabel : ydef);
    g_autofree char *kl = NULL;
    if (p->n_knee) {
        g_autofree char *crit = spec_knee_text(p, TRUE);
        kl = sim_plot_label(crit);
    }
    g_autofree char *snb = spec_styles(agg, p);
    g_autofree char *sny = g_strdup_printf("%u", g_strv_length(p->y));
    g_autofree char *flags = g_strdup_printf("%c%s%c", p->logx ? '1' : '0',
                                             has, p->logy ? '1' : '0');
    const char *args[] = { title, xl, yl, kl ? kl : "", snb, sny, flags,
                           NULL };
    sim_gnuplot_draw(env->gp, "sweep.gp", p->name, args);
    return TRUE;
}

/* The warm-up of the sweep's runs in seconds: that of the first run
 * folder found under the first grid point (NAN when there is none). */
static double
sweep_warmup(const char *dir, const SimPlotTable *agg)
{
    if (!agg->rows->len)
        return NAN;
    g_autofree char *point = agg_point_folder(agg, 0);
    g_autofree char *pd = g_build_filename(dir, "runs", point, NULL);
    g_autoptr(GDir) d = g_dir_open(pd, 0, NULL);
    const char *e;
    while (d && (e = g_dir_read_name(d)) != NULL) {
        g_autofree char *rd = g_build_filename(pd, e, NULL);
        double w = sim_plot_run_warmup(rd);
        if (!isnan(w))
            return w;
    }
    return NAN;
}

/* Loads experiment @exp (checked) and the aggregate of @dir. */
static gboolean
sweep_inputs(const char *dir, const char *exp, GKeyFile *kf, SimPlotTable **agg,
             GError **error)
{
    g_autofree char *agg_path = g_build_filename(dir, "aggregate.tsv", NULL);
    g_autofree char *text = NULL;
    gsize len = 0;
    if (!sim_input_read_file(exp, SIM_INPUT_MAX_EXPERIMENT, &text, &len,
                             error))
        return FALSE;
    if (!g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, error)) {
        g_prefix_error(error, "%s: ", exp);
        return FALSE;
    }
    return sim_plot_check_experiment(kf, exp, error) &&
           (*agg = sim_plot_table_read(agg_path, error)) != NULL;
}

/**
 * sim_plot_knees:
 * @dir: a sweep's results folder (experiment.exp and aggregate.tsv)
 * @text: (out) (optional) (transfer full): the knees as a table a person
 *   reads (NULL when no plot has a knee)
 * @error: return location for a GError
 *
 * Finds the knee of every line of every [plot NAME] with a knee criterion
 * (see spec_knee()) and writes @dir/knees.tsv: `plot strategy knee_x
 * status`, status `reached` (knee_x interpolated), `not-reached` (the
 * criterion holds at every point; knee_x nan) or `below-range` (it fails
 * at the first point; knee_x nan).  `strategy` names the line: the
 * strategy, then any other varied key as KEY=VALUE.
 *
 * Returns: TRUE on success.
 */
gboolean
sim_plot_knees(const char *dir, char **text, GError **error)
{
    if (text)
        *text = NULL;
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(SimPlotTable) agg = NULL;
    g_autofree char *exp = g_build_filename(dir, "experiment.exp", NULL);
    if (!sweep_inputs(dir, exp, kf, &agg, error))
        return FALSE;
    g_auto(GStrv) varied = sim_experiment_varied_keys(kf);
    const char *const none[] = { NULL };
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    g_autoptr(GString) tsv = g_string_new("plot\tstrategy\tknee_x\tstatus\n");
    g_autoptr(GString) show = g_string_new(NULL);
    for (guint i = 0; groups[i]; i++) {
        if (!g_str_has_prefix(groups[i], "plot "))
            continue;
        PlotSpec p = { .dir = dir };
        guint nb = 0;
        gsize before = tsv->len;
        gboolean ok = spec_load(&p, kf, exp, groups[i],
                                varied ? (const char *const *)varied : none,
                                error) &&
                      (!p.n_knee ||
                       spec_data(NULL, &p, agg, &nb, tsv, NULL, error));
        if (ok && p.n_knee) {
            g_autofree char *crit = spec_knee_text(&p, FALSE);
            g_string_append_printf(show, "[plot %s] knee: %s\n", p.name,
                                   crit);
            g_auto(GStrv) rows = g_strsplit(tsv->str + before, "\n", -1);
            for (guint r = 0; rows[r]; r++) {
                g_auto(GStrv) f = g_strsplit(rows[r], "\t", 4);
                if (g_strv_length(f) != 4)
                    continue;
                g_autofree char *x = g_str_equal(f[2], "nan")
                                         ? g_strdup("-")
                                         : g_strdup_printf("%s %s", f[2],
                                                           p.x);
                g_string_append_printf(show, "  %-40s %-12s %s\n", f[1],
                                       f[3], x);
            }
        }
        spec_clear(&p);
        if (!ok)
            return FALSE;
    }
    g_autofree char *path = g_build_filename(dir, "knees.tsv", NULL);
    if (!sim_out_write_file(path, tsv->str, error))
        return FALSE;
    if (text && show->len)
        *text = g_strdup(show->str);
    return TRUE;
}

/* "mean ± ci" as the compare table writes it; "null" without a value,
 * "(n=K)" when only K of the group's @runs had one (@k < @runs). */
static char *
summary_cell(double mean, double ci, guint k, guint runs)
{
    if (isnan(mean) || k == 0)
        return g_strdup("null");
    char m[G_ASCII_DTOSTR_BUF_SIZE], c[G_ASCII_DTOSTR_BUF_SIZE];
    const char *fmt = fabs(mean) >= 1000 ? "%.0f" : "%.3f";
    g_ascii_formatd(m, sizeof m, fmt, mean);
    g_ascii_formatd(c, sizeof c, fmt, isnan(ci) ? 0.0 : ci);
    if (k < runs)
        return g_strdup_printf("%s ± %s (n=%u)", m, c, k);
    return g_strdup_printf("%s ± %s", m, c);
}

static void
summary_pad(GString *s, const char *text, glong width, gboolean right)
{
    glong len = g_utf8_strlen(text, -1);
    if (!right)
        g_string_append(s, text);
    for (glong i = len; i < width; i++)
        g_string_append_c(s, ' ');
    if (right)
        g_string_append(s, text);
}

/**
 * sim_plot_summary:
 * @dir: a sweep's results folder (experiment.exp and aggregate.tsv)
 * @text: (out) (transfer full): the table, or NULL when no plot names a
 *   key
 * @error: return location for a GError
 *
 * The sweep's closing table, like compare's: one row per grid point and
 * strategy (the aggregate's label columns and n), one column per key its
 * [plot NAME] groups draw or judge knees on (y keys first, in file order,
 * then knee keys), each "mean ± 95% CI" over the replications; "null"
 * when no replication had a value and "(n=K)" when only K had one.
 *
 * Returns: TRUE on success.
 */
gboolean
sim_plot_summary(const char *dir, char **text, GError **error)
{
    *text = NULL;
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(SimPlotTable) agg = NULL;
    g_autofree char *exp = g_build_filename(dir, "experiment.exp", NULL);
    if (!sweep_inputs(dir, exp, kf, &agg, error))
        return FALSE;
    g_auto(GStrv) varied = sim_experiment_varied_keys(kf);
    const char *const none[] = { NULL };
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) knees = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; groups[i]; i++) {
        if (!g_str_has_prefix(groups[i], "plot "))
            continue;
        PlotSpec p = { 0 };
        if (!spec_load(&p, kf, exp, groups[i],
                       varied ? (const char *const *)varied : none, error)) {
            spec_clear(&p);
            return FALSE;
        }
        for (guint j = 0; p.y[j]; j++)
            if (!g_ptr_array_find_with_equal_func(keys, p.y[j], g_str_equal,
                                                  NULL))
                g_ptr_array_add(keys, g_strdup(p.y[j]));
        for (guint k = 0; k < p.n_knee; k++)
            if (!g_ptr_array_find_with_equal_func(knees, p.knee[k].key,
                                                  g_str_equal, NULL))
                g_ptr_array_add(knees, g_strdup(p.knee[k].key));
        spec_clear(&p);
    }
    for (guint k = 0; k < knees->len; k++)
        if (!g_ptr_array_find_with_equal_func(
                keys, g_ptr_array_index(knees, k), g_str_equal, NULL))
            g_ptr_array_add(keys, g_strdup(g_ptr_array_index(knees, k)));
    gint cn = sim_plot_table_col(agg, "n");
    if (!keys->len || cn < 0)
        return TRUE;
    guint nc = (guint)cn + 1 + keys->len, nr = agg->rows->len;
    /* cells[0] is the header row. */
    g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func(g_free);
    for (guint c = 0; c <= (guint)cn; c++)
        g_ptr_array_add(cells, g_strdup(agg->header[c]));
    for (guint k = 0; k < keys->len; k++)
        g_ptr_array_add(cells, sim_cli_printable(g_ptr_array_index(keys, k)));
    PlotSpec ps = { .dir = dir };
    for (guint r = 0; r < nr; r++) {
        guint runs = (guint)g_ascii_strtoull(sim_plot_table_get(agg, r, cn), NULL, 10);
        for (guint c = 0; c <= (guint)cn; c++)
            g_ptr_array_add(cells, sim_cli_printable(sim_plot_table_get(agg, r, c)));
        for (guint k = 0; k < keys->len; k++) {
            const char *key = g_ptr_array_index(keys, k);
            double m, ci;
            guint have = 0;
            row_stat_n(&ps, agg, r, key, &m, &ci, &have);
            g_ptr_array_add(cells, summary_cell(m, ci, have, runs));
        }
    }
    g_autofree glong *width = g_new0(glong, nc);
    for (guint i = 0; i < cells->len; i++)
        width[i % nc] = MAX(width[i % nc],
                            g_utf8_strlen(g_ptr_array_index(cells, i), -1));
    GString *s = g_string_new("mean ± 95% CI over the replications\n");
    for (guint i = 0; i < cells->len; i++) {
        guint c = i % nc;
        if (c)
            g_string_append(s, "  ");
        summary_pad(s, g_ptr_array_index(cells, i), width[c],
                    c >= (guint)cn);
        if (c == nc - 1)
            g_string_append_c(s, '\n');
    }
    *text = g_string_free(s, FALSE);
    return TRUE;
}

gboolean
sim_plot_sweep(const SimPlotEnv *env, const char *exp, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(SimPlotTable) agg = NULL;
    if (!sweep_inputs(env->dir, exp, kf, &agg, error) ||
        !sim_plot_knees(env->dir, NULL, error))
        return FALSE;
    g_auto(GStrv) varied = sim_experiment_varied_keys(kf);
    const char *const none[] = { NULL };
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    /* Titles say "measured after N s warm-up" unless the warm-up is one
     * of the varied keys. */
    gboolean varies = FALSE;
    for (guint i = 0; varied && varied[i]; i++)
        varies |= g_str_equal(g_strstrip(varied[i]), "simulation.warmup");
    g_autofree char *window =
        varies ? NULL : sim_plot_window_text(sweep_warmup(env->dir, agg));
    for (guint i = 0; groups[i]; i++) {
        if (!g_str_has_prefix(groups[i], "plot "))
            continue;
        PlotSpec p = { .dir = env->dir };
        gboolean ok = spec_load(&p, kf, exp, groups[i],
                                varied ? (const char *const *)varied : none,
                                error) &&
                      plot_spec(env, &p, agg, window, error);
        spec_clear(&p);
        if (!ok)
            return FALSE;
    }
    return TRUE;
}
