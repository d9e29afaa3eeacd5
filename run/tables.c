/* SPDX-License-Identifier: MIT */
/*
 * A results folder read back as typed tables (run/tables.h).  The layout
 * is told by the files at the folder's top: summary.json (a single run),
 * experiment.exp (a sweep: run folders under runs/<point>/) or
 * aggregate.tsv (a compare).  Rows come in runs.tsv order, and within a
 * run in the order of its TSV; every run folder's runs.tsv row must equal
 * the folder's row, so a table never mixes runs of different sweeps.
 * Column types come from the writers' contract (run/out.c) and, for a
 * column this version does not know, from its values; reading is done
 * twice for such columns (types, then rows) so that memory holds one run's
 * file at a time, never a whole table.
 */
#define G_LOG_DOMAIN "sim-tables"

#include "run/tables.h"
#include "run/tables_priv.h"

#include <math.h>
#include <string.h>

#include "run/input.h"
#include "run/out.h"
#include "run/topo.h"

G_DEFINE_QUARK(sim-tables-error-quark, sim_tables_error)

#define T_TEXT SIM_TABLES_TEXT
#define T_INT SIM_TABLES_INTEGER
#define T_REAL SIM_TABLES_REAL

static const char *const tables_names[] = {
    "runs", "nodes", "pairs", "timeseries", "latency", "meta", NULL,
};

/* The columns of the per-run tables as run/out.c writes them; a column
 * not listed (added later) is typed by its values. */
static const struct {
    const char *table;
    const char *column;
    SimTablesType type;
} tables_known[] = {
    { "nodes", "node", T_TEXT },
    { "nodes", "calls.originated", T_INT },
    { "nodes", "calls.received", T_INT },
    { "nodes", "requests.received", T_INT },
    { "nodes", "connections.peak", T_INT },
    { "nodes", "handshakes", T_INT },
    { "nodes", "cpu.util", T_REAL },
    { "nodes", "memory.conn_bytes_peak", T_INT },
    { "nodes", "srv.domain", T_TEXT },
    { "nodes", "srv.share", T_REAL },
    { "nodes", "calls.attempted", T_INT },
    { "nodes", "calls.completed", T_INT },
    { "nodes", "calls.failed", T_INT },
    { "nodes", "calls.cancelled", T_INT },
    { "nodes", "calls.unfinished", T_INT },
    { "nodes", "sip.sent", T_INT },
    { "nodes", "sip.delivered", T_INT },
    { "nodes", "sip.dropped", T_INT },
    { "nodes", "sip.in_flight_end", T_INT },
    { "nodes", "responses.received", T_INT },
    { "nodes", "calls.rejected", T_INT },
    { "nodes", "memory.node_bytes_peak", T_INT },
    { "pairs", "node", T_TEXT },
    { "pairs", "peer", T_TEXT },
    { "pairs", "peer_ip", T_TEXT },
    { "pairs", "connections.opened", T_INT },
    { "pairs", "connections.opened_run", T_INT },
    { "timeseries", "time_s", T_REAL },
    { "timeseries", "open_connections", T_INT },
    { "timeseries", "cpu_util", T_REAL },
    { "timeseries", "calls_in_progress", T_INT },
    { "timeseries", "open_connections_max", T_INT },
    { "timeseries", "open_connections_mean", T_REAL },
    { "latency", "lo_ms", T_REAL },
    { "latency", "hi_ms", T_REAL },
    { "latency", "count", T_INT },
    { "latency", "cdf_lo", T_REAL },
    { "latency", "cdf", T_REAL },
};

/* One run: a row of the folder's runs.tsv and the folder holding its
 * files. */
typedef struct {
    char *dir;
    /* Its runs.tsv fields. */
    char **fields;
    /* Its runs table row: run, then one cell per runs.tsv column. */
    SimTablesCell *cells;
    /* Texts the cells point to that are not fields (the run number,
     * values read in a unit). */
    GPtrArray *texts;
} TablesRun;

/* A per-run table's shape, found by reading every run's file once. */
typedef struct {
    /* Identifying columns, then the file's columns. */
    GPtrArray *columns;
    /* The file's header; NULL when no run has the file. */
    char **header;
} TablesShape;

struct SimTables {
    char *dir;
    /* "run", "compare" or "sweep". */
    const char *layout;
    /* runs.tsv's header and the number of leading varied-key columns. */
    char **header;
    guint n_labels;
    /* Per runs.tsv column: its type, and the unit a varied value is read
     * in (SIM_TOPO_UNIT_NONE: as it is). */
    SimTablesType *types;
    SimTopoUnit *units;
    /* Per varied key: the runs.tsv column that already holds its values
     * as numbers in their unit (KEY_ms, after the contract columns, as
     * sweeps may write it), or -1. */
    gint *numeric;
    /* TablesRun, in runs.tsv order. */
    GPtrArray *runs;
    /* Indexes into a run's cells of its identifying columns (run, the
     * varied keys, strategy, seed), and those columns. */
    GArray *id_index;
    GPtrArray *id_columns;
    /* Table name to its TablesShape, once computed. */
    GHashTable *shapes;
};

/* ---- columns and cells ------------------------------------------------ */

static SimTablesColumn *
column_new(const char *name, SimTablesType type)
{
    SimTablesColumn *c = g_new0(SimTablesColumn, 1);
    c->name = g_strdup(name);
    c->type = type;
    return c;
}

static void
column_free(gpointer p)
{
    SimTablesColumn *c = p;
    g_free(c->name);
    g_free(c);
}

static GPtrArray *
columns_new(void)
{
    return g_ptr_array_new_with_free_func(column_free);
}

static gboolean
text_is_nan(const char *text)
{
    return g_str_equal(text, "nan") || g_str_equal(text, "-nan");
}

/* TRUE if @text is an integer literal: an optional '-', then digits. */
static gboolean
text_is_integer(const char *text)
{
    const char *p = text + (*text == '-');
    if (!*p)
        return FALSE;
    for (; *p; p++)
        if (!g_ascii_isdigit(*p))
            return FALSE;
    return TRUE;
}

/* TRUE if @text is a finite number, read into @out. */
static gboolean
text_real(const char *text, double *out)
{
    char *end = NULL;
    if (!*text || g_ascii_isspace(*text))
        return FALSE;
    double v = g_ascii_strtod(text, &end);
    if (end == text || *end || !isfinite(v))
        return FALSE;
    *out = v;
    return TRUE;
}

/* What @text's column must at least be (a lattice: integer < real <
 * text); 0 for no evidence. */
static gint
text_class(const char *text)
{
    double d;
    if (text_is_integer(text))
        return 1;
    if (text_is_nan(text) || text_real(text, &d))
        return 2;
    return 3;
}

static SimTablesType
class_type(gint cls)
{
    return cls == 1 ? T_INT : cls == 2 ? T_REAL : T_TEXT;
}

/* Reads @text as a value of @type into @c (which points to @text).
 * Returns FALSE if it is not one. */
static gboolean
cell_parse(SimTablesCell *c, const char *text, SimTablesType type)
{
    memset(c, 0, sizeof *c);
    c->type = type;
    c->text = text;
    if (type == T_TEXT)
        return TRUE;
    if (text_is_nan(text)) {
        c->null = TRUE;
        c->text = NULL;
        return TRUE;
    }
    if (type == T_INT) {
        if (g_ascii_string_to_signed(text, 10, G_MININT64, G_MAXINT64, &c->i,
                                     NULL)) {
            c->d = (double)c->i;
            return TRUE;
        }
        /* A seed above 2^63 - 1: SQLite integers are signed 64-bit. */
        c->type = T_REAL;
        return text_is_integer(text) && *text != '-' &&
               text_real(text, &c->d);
    }
    return text_real(text, &c->d);
}

/* @v printed with the fewest digits (15 to 17) that read back as @v, and
 * a decimal point, so that it reads as a real number ("10.0"). */
static char *
real_text(double v)
{
    static const char *const fmts[] = { "%.15g", "%.16g", "%.17g" };
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    for (guint i = 0; i < G_N_ELEMENTS(fmts); i++) {
        g_ascii_formatd(buf, sizeof buf, fmts[i], v);
        if (g_ascii_strtod(buf, NULL) == v)
            break;
    }
    if (!strpbrk(buf, ".eE"))
        return g_strconcat(buf, ".0", NULL);
    return g_strdup(buf);
}

/* The column-name suffix of a unit. */
static const char *
unit_suffix(SimTopoUnit unit)
{
    switch (unit) {
    case SIM_TOPO_UNIT_DURATION:
        return "_ms";
    case SIM_TOPO_UNIT_BANDWIDTH:
        return "_Mbps";
    case SIM_TOPO_UNIT_RATE:
        return "_per_s";
    case SIM_TOPO_UNIT_NONE:
    default:
        return "";
    }
}

static gboolean
parse_fail(GError **error, const char *path, guint line, const char *column,
           const char *what, const char *found)
{
    g_set_error(error, SIM_TABLES_ERROR, SIM_TABLES_ERROR_PARSE,
                "%s:%u: %s: expected %s, found '%s'", path, line, column,
                what, found);
    return FALSE;
}

static const char *
type_what(SimTablesType type)
{
    return type == T_INT ? "an integer or nan"
                         : type == T_REAL ? "a number or nan" : "text";
}

/* ---- runs.tsv ----------------------------------------------------------- */

static void
run_free(gpointer p)
{
    TablesRun *r = p;
    g_free(r->dir);
    g_strfreev(r->fields);
    g_free(r->cells);
    g_ptr_array_unref(r->texts);
    g_free(r);
}

static void
shape_free(gpointer p)
{
    TablesShape *s = p;
    g_ptr_array_unref(s->columns);
    g_strfreev(s->header);
    g_free(s);
}

/**
 * sim_tables_free:
 * @t: (nullable): an opened folder
 */
void
sim_tables_free(SimTables *t)
{
    if (!t)
        return;
    g_free(t->dir);
    g_strfreev(t->header);
    g_free(t->types);
    g_free(t->units);
    g_free(t->numeric);
    if (t->runs)
        g_ptr_array_unref(t->runs);
    if (t->id_index)
        g_array_unref(t->id_index);
    if (t->id_columns)
        g_ptr_array_unref(t->id_columns);
    if (t->shapes)
        g_hash_table_unref(t->shapes);
    g_free(t);
}

static gint
header_col(char **header, const char *name)
{
    for (guint i = 0; header[i]; i++)
        if (g_str_equal(header[i], name))
            return (gint)i;
    return -1;
}

/* Splits @text into lines (the newline after the last one dropped). */
static char **
split_lines(char *text)
{
    gsize len = strlen(text);
    if (len && text[len - 1] == '\n')
        text[len - 1] = '\0';
    return *text ? g_strsplit(text, "\n", -1) : g_new0(char *, 1);
}

/* The layout of @dir, from the files at its top; NULL if none. */
static const char *
tables_detect(const char *dir)
{
    static const char *const marks[][2] = {
        { "summary.json", "run" },
        { "experiment.exp", "sweep" },
        { "aggregate.tsv", "compare" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(marks); i++) {
        g_autofree char *p = g_build_filename(dir, marks[i][0], NULL);
        if (g_file_test(p, G_FILE_TEST_IS_REGULAR))
            return marks[i][1];
    }
    return NULL;
}

/* Finds, for each varied key with a unit, a later runs.tsv column named
 * KEY plus the unit's suffix (any case): the key's values as numbers. */
static void
tables_find_numeric(SimTables *t)
{
    t->numeric = g_new(gint, MAX(t->n_labels, 1));
    for (guint k = 0; k < t->n_labels; k++) {
        SimTopoUnit unit = sim_topo_key_unit(t->header[k]);
        g_autofree char *name = g_strconcat(t->header[k], unit_suffix(unit),
                                            NULL);
        t->numeric[k] = -1;
        for (guint j = t->n_labels; unit && t->header[j]; j++)
            if (!g_ascii_strcasecmp(t->header[j], name) &&
                sim_out_run_key_type(t->header[j]) == SIM_OUT_KEY_UNKNOWN)
                t->numeric[k] = (gint)j;
    }
}

/* TRUE if runs.tsv column @j holds a varied key's values as numbers. */
static gboolean
tables_is_numeric(const SimTables *t, guint j)
{
    for (guint k = 0; k < t->n_labels; k++)
        if (t->numeric[k] == (gint)j)
            return TRUE;
    return FALSE;
}

/* Types (and units) of the runs.tsv columns: the contract's for its
 * keys; REAL for a column holding a varied key's values in its unit; for
 * a varied key without such a column, REAL in its unit when every value
 * reads in it; else what the values are. */
static void
tables_type_runs(SimTables *t, GPtrArray *rows)
{
    guint n = g_strv_length(t->header);
    t->types = g_new0(SimTablesType, n);
    t->units = g_new0(SimTopoUnit, n);
    tables_find_numeric(t);
    for (guint k = 0; k < n; k++) {
        SimOutKeyType kt = k < t->n_labels ? SIM_OUT_KEY_UNKNOWN
                                           : sim_out_run_key_type(
                                                 t->header[k]);
        if (tables_is_numeric(t, k))
            kt = SIM_OUT_KEY_REAL;
        if (kt != SIM_OUT_KEY_UNKNOWN) {
            t->types[k] = kt == SIM_OUT_KEY_TEXT      ? T_TEXT
                          : kt == SIM_OUT_KEY_INTEGER ? T_INT
                                                      : T_REAL;
            continue;
        }
        SimTopoUnit unit = k < t->n_labels && t->numeric[k] < 0
                               ? sim_topo_key_unit(t->header[k])
                               : SIM_TOPO_UNIT_NONE;
        gboolean in_unit = unit != SIM_TOPO_UNIT_NONE && rows->len > 0;
        gint cls = 0;
        for (guint r = 0; r < rows->len; r++) {
            char **f = g_ptr_array_index(rows, r);
            double v;
            in_unit = in_unit && sim_topo_unit_value(unit, f[k], &v);
            cls = MAX(cls, text_class(f[k]));
        }
        t->units[k] = in_unit ? unit : SIM_TOPO_UNIT_NONE;
        t->types[k] = in_unit ? T_REAL : class_type(cls);
    }
}

/* The runs table's column name of runs.tsv column @k. */
static char *
runs_column_name(const SimTables *t, guint k)
{
    return g_strconcat(t->header[k], unit_suffix(t->units[k]), NULL);
}

/* Fills @r's runs table cells from its fields. */
static gboolean
tables_run_cells(SimTables *t, TablesRun *r, guint index, const char *path,
                 GError **error)
{
    guint n = g_strv_length(t->header);
    r->cells = g_new0(SimTablesCell, n + 1);
    char *num = g_strdup_printf("%u", index + 1);
    g_ptr_array_add(r->texts, num);
    cell_parse(&r->cells[0], num, T_INT);
    for (guint k = 0; k < n; k++) {
        SimTablesCell *c = &r->cells[k + 1];
        if (t->units[k] != SIM_TOPO_UNIT_NONE) {
            memset(c, 0, sizeof *c);
            c->type = T_REAL;
            sim_topo_unit_value(t->units[k], r->fields[k], &c->d);
            c->text = real_text(c->d);
            g_ptr_array_add(r->texts, (char *)c->text);
        } else if (!cell_parse(c, r->fields[k], t->types[k])) {
            return parse_fail(error, path, index + 2, t->header[k],
                              type_what(t->types[k]), r->fields[k]);
        }
    }
    return TRUE;
}

/* A name that can be a folder name as it is: [A-Za-z0-9_.-], not "." or
 * "..". */
static gboolean
name_ok(const char *s)
{
    if (!*s || g_str_equal(s, ".") || g_str_equal(s, ".."))
        return FALSE;
    for (; *s; s++)
        if (!g_ascii_isalnum(*s) && *s != '_' && *s != '.' && *s != '-')
            return FALSE;
    return TRUE;
}

/* The folder of @fields' run, named as compare and sweep name it. */
static char *
tables_run_dir(const SimTables *t, char **fields, const char *path,
               guint line, GError **error)
{
    if (g_str_equal(t->layout, "run"))
        return g_strdup(t->dir);
    const char *strategy = fields[header_col(t->header, "strategy")];
    const char *seed = fields[header_col(t->header, "seed")];
    if (!name_ok(strategy) || !text_is_integer(seed) || *seed == '-') {
        parse_fail(error, path, line, "strategy and seed",
                   "a strategy name and a seed", strategy);
        return NULL;
    }
    g_autofree char *leaf = g_strdup_printf("%s-seed%s", strategy, seed);
    if (g_str_equal(t->layout, "compare"))
        return g_build_filename(t->dir, leaf, NULL);
    /* cli/cmd_sweep.c's point folder: "KEY=VALUE,...", '/' and blanks as
     * '_', "default" without varied keys. */
    GString *point = g_string_new(NULL);
    for (guint k = 0; k < t->n_labels; k++)
        g_string_append_printf(point, "%s%s=%s", k ? "," : "", t->header[k],
                               fields[k]);
    if (!point->len)
        g_string_append(point, "default");
    g_strdelimit(point->str, "/ \t", '_');
    char *dir = g_build_filename(t->dir, "runs", point->str, leaf, NULL);
    g_string_free(point, TRUE);
    return dir;
}

/* Checks that @r's folder holds the run: its runs.tsv header and row
 * are the folder's, from the first column after the varied keys on
 * (columns after them, such as the varied keys as numbers, are the
 * folder's own). */
static gboolean
tables_check_run(const SimTables *t, const TablesRun *r, const char *path,
                 guint line, GError **error)
{
    if (g_str_equal(t->layout, "run"))
        return TRUE;
    g_autofree char *own = g_build_filename(r->dir, "runs.tsv", NULL);
    g_autofree char *text = NULL;
    g_autoptr(GError) io = NULL;
    if (!sim_input_read_file(own, SIM_INPUT_MAX_RESULTS, &text, NULL, &io)) {
        g_set_error(error, SIM_TABLES_ERROR, SIM_TABLES_ERROR_PARSE,
                    "%s:%u: the run's folder has no runs.tsv: %s", path,
                    line, io->message);
        return FALSE;
    }
    g_auto(GStrv) lines = split_lines(text);
    g_auto(GStrv) head = lines[0] ? g_strsplit(lines[0], "\t", -1) : NULL;
    guint m = head ? g_strv_length(head) : 0;
    gboolean same = g_strv_length(lines) == 2 &&
                    t->n_labels + m <= g_strv_length(t->header);
    for (guint i = 0; same && i < m; i++)
        same = g_str_equal(head[i], t->header[t->n_labels + i]);
    if (same) {
        g_auto(GStrv) want = g_new0(char *, m + 1);
        for (guint i = 0; i < m; i++)
            want[i] = g_strdup(r->fields[t->n_labels + i]);
        g_autofree char *row = g_strjoinv("\t", want);
        same = g_str_equal(lines[1], row);
    }
    if (!same) {
        g_set_error(error, SIM_TABLES_ERROR, SIM_TABLES_ERROR_PARSE,
                    "%s:%u: the run's own %s holds another row (a run "
                    "folder changed after the folder's runs.tsv was "
                    "written?)", path, line, own);
        return FALSE;
    }
    return TRUE;
}

/* Reads runs.tsv: header, rows, types, and each row's run folder. */
static gboolean
tables_read_runs(SimTables *t, GError **error)
{
    g_autofree char *path = g_build_filename(t->dir, "runs.tsv", NULL);
    g_autofree char *text = NULL;
    g_autoptr(GError) io = NULL;
    if (!sim_input_read_file(path, SIM_INPUT_MAX_RESULTS, &text, NULL, &io)) {
        g_set_error(error, SIM_TABLES_ERROR, SIM_TABLES_ERROR_NOT_RESULTS,
                    "%s: not a results folder: %s", t->dir, io->message);
        return FALSE;
    }
    g_auto(GStrv) lines = split_lines(text);
    t->header = lines[0] ? g_strsplit(lines[0], "\t", -1) : g_new0(char *, 1);
    gint topo = header_col(t->header, "topology");
    if (topo < 0 || header_col(t->header, "strategy") < 0 ||
        header_col(t->header, "seed") < 0) {
        g_set_error(error, SIM_TABLES_ERROR, SIM_TABLES_ERROR_NOT_RESULTS,
                    "%s: not a runs.tsv of sipreuse (expected a header "
                    "with topology, strategy and seed)", path);
        return FALSE;
    }
    t->n_labels = (guint)topo;
    guint n = g_strv_length(t->header);
    g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_strfreev);
    for (guint i = 1; lines[i]; i++) {
        char **f = g_strsplit(lines[i], "\t", -1);
        g_ptr_array_add(rows, f);
        if (g_strv_length(f) != n) {
            g_set_error(error, SIM_TABLES_ERROR, SIM_TABLES_ERROR_PARSE,
                        "%s:%u: expected %u columns as in the header, "
                        "found %u", path, i + 1, n, g_strv_length(f));
            return FALSE;
        }
    }
    if (g_str_equal(t->layout, "run") && rows->len != 1) {
        g_set_error(error, SIM_TABLES_ERROR, SIM_TABLES_ERROR_PARSE,
                    "%s: a run's runs.tsv holds one row, found %u", path,
                    rows->len);
        return FALSE;
    }
    tables_type_runs(t, rows);
    for (guint i = 0; i < rows->len; i++) {
        TablesRun *r = g_new0(TablesRun, 1);
        r->texts = g_ptr_array_new_with_free_func(g_free);
        r->fields = g_steal_pointer(&rows->pdata[i]);
        g_ptr_array_add(t->runs, r);
        if (!tables_run_cells(t, r, i, path, error) ||
            !(r->dir = tables_run_dir(t, r->fields, path, i + 2, error)) ||
            !tables_check_run(t, r, path, i + 2, error))
            return FALSE;
    }
    return TRUE;
}

/* The identifying columns: run, the varied keys, strategy, seed. */
static void
tables_id_columns(SimTables *t)
{
    guint idx[] = { 0, 1 + (guint)header_col(t->header, "strategy"),
                    1 + (guint)header_col(t->header, "seed") };
    t->id_index = g_array_new(FALSE, FALSE, sizeof(guint));
    t->id_columns = columns_new();
    g_array_append_val(t->id_index, idx[0]);
    for (guint k = 0; k < t->n_labels; k++) {
        guint i = 1 + (guint)(t->numeric[k] >= 0 ? t->numeric[k] : (gint)k);
        g_array_append_val(t->id_index, i);
    }
    g_array_append_vals(t->id_index, idx + 1, 2);
    for (guint j = 0; j < t->id_index->len; j++) {
        guint i = g_array_index(t->id_index, guint, j);
        g_autofree char *name = i ? runs_column_name(t, i - 1)
                                  : g_strdup("run");
        g_ptr_array_add(t->id_columns,
                        column_new(name, i ? t->types[i - 1] : T_INT));
    }
}

/**
 * sim_tables_open:
 * @dir: a results folder: a run's (summary.json at its top), a sweep's
 *   (experiment.exp) or a compare's (aggregate.tsv)
 * @error: return location for a GError (%SIM_TABLES_ERROR)
 *
 * Reads the folder's runs.tsv and finds each row's run folder, checking
 * that the folder's own runs.tsv holds the same row.  The per-run files
 * are read when a table is asked for.
 *
 * Returns: (transfer full): the folder's tables, or NULL with @error set.
 */
SimTables *
sim_tables_open(const char *dir, GError **error)
{
    g_return_val_if_fail(dir != NULL, NULL);
    if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
        g_set_error(error, SIM_TABLES_ERROR, SIM_TABLES_ERROR_NOT_RESULTS,
                    "%s: %s", dir,
                    g_file_test(dir, G_FILE_TEST_EXISTS)
                        ? "not a folder"
                        : "no such folder");
        return NULL;
    }
    g_autoptr(SimTables) t = g_new0(SimTables, 1);
    t->dir = g_strdup(dir);
    t->layout = tables_detect(dir);
    t->runs = g_ptr_array_new_with_free_func(run_free);
    t->shapes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                      shape_free);
    if (!t->layout) {
        g_set_error(error, SIM_TABLES_ERROR, SIM_TABLES_ERROR_NOT_RESULTS,
                    "%s: not a results folder of sipreuse run, compare or "
                    "sweep (no summary.json, experiment.exp or "
                    "aggregate.tsv)", dir);
        return NULL;
    }
    if (!tables_read_runs(t, error))
        return NULL;
    tables_id_columns(t);
    return g_steal_pointer(&t);
}

/**
 * sim_tables_layout:
 * @t: an opened folder
 *
 * Returns: (transfer none): "run", "compare" or "sweep".
 */
const char *
sim_tables_layout(const SimTables *t)
{
    return t->layout;
}

/**
 * sim_tables_n_runs:
 * @t: an opened folder
 *
 * Returns: the number of runs (rows of runs.tsv).
 */
guint
sim_tables_n_runs(const SimTables *t)
{
    return t->runs->len;
}

/**
 * sim_tables_names:
 *
 * Returns: (transfer none): the table names, NULL-terminated: runs, nodes,
 *   pairs, timeseries, latency, meta.
 */
const char *const *
sim_tables_names(void)
{
    return tables_names;
}

/**
 * sim_tables_known:
 * @table: a name
 *
 * Returns: TRUE if @table is one of sim_tables_names().
 */
gboolean
sim_tables_known(const char *table)
{
    return table && g_strv_contains(tables_names, table);
}

/* ---- per-run files -------------------------------------------------- */

static SimTablesType
known_type(const char *table, const char *column, gboolean *known)
{
    for (guint i = 0; i < G_N_ELEMENTS(tables_known); i++)
        if (g_str_equal(tables_known[i].table, table) &&
            g_str_equal(tables_known[i].column, column)) {
            *known = TRUE;
            return tables_known[i].type;
        }
    *known = FALSE;
    return T_TEXT;
}

/* Reads run @r's file @name: (transfer full) its lines, NULL with
 * *missing set when it does not exist, NULL with @error on failure. */
static char **
run_file_lines(const TablesRun *r, const char *name, gboolean *missing,
               GError **error)
{
    g_autofree char *path = g_build_filename(r->dir, name, NULL);
    g_autofree char *text = NULL;
    *missing = FALSE;
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        *missing = TRUE;
        return NULL;
    }
    if (!sim_input_read_file(path, SIM_INPUT_MAX_RESULTS, &text, NULL,
                             error))
        return NULL;
    return split_lines(text);
}

/* Checks one file of a per-run table against the shape so far and widens
 * the inferred classes of its unknown columns. */
static gboolean
shape_file(TablesShape *s, char **lines, const char *path, gint *cls,
           const gboolean *known, GError **error)
{
    guint n = g_strv_length(s->header);
    g_autofree char *want = g_strjoinv("\t", s->header);
    if (!lines[0] || !g_str_equal(lines[0], want)) {
        g_set_error(error, SIM_TABLES_ERROR, SIM_TABLES_ERROR_PARSE,
                    "%s:1: expected the header of the other runs' files "
                    "(%s)", path, want);
        return FALSE;
    }
    for (guint i = 1; lines[i]; i++) {
        g_auto(GStrv) f = g_strsplit(lines[i], "\t", -1);
        if (g_strv_length(f) != n) {
            g_set_error(error, SIM_TABLES_ERROR, SIM_TABLES_ERROR_PARSE,
                        "%s:%u: expected %u columns as in the header, "
                        "found %u", path, i + 1, n, g_strv_length(f));
            return FALSE;
        }
        for (guint k = 0; k < n; k++)
            if (!known[k])
                cls[k] = MAX(cls[k], text_class(f[k]));
    }
    return TRUE;
}

/* The shape of per-run table @table (file TABLE.tsv): the header of the
 * first run that has the file, which every other run's must repeat; a
 * folder where some runs lack the file is damaged (one where all do is of
 * an older version: the table is empty). */
static TablesShape *
tables_shape(SimTables *t, const char *table, GError **error)
{
    TablesShape *cached = g_hash_table_lookup(t->shapes, table);
    if (cached)
        return cached;
    g_autofree char *name = g_strconcat(table, ".tsv", NULL);
    TablesShape *s = g_new0(TablesShape, 1);
    s->columns = columns_new();
    g_autofree gint *cls = NULL;
    g_autofree gboolean *known = NULL;
    g_autofree SimTablesType *types = NULL;
    guint missing = 0, n = 0;
    const char *lacking = NULL;
    for (guint i = 0; i < t->runs->len; i++) {
        TablesRun *r = g_ptr_array_index(t->runs, i);
        gboolean gone;
        g_autofree char *path = g_build_filename(r->dir, name, NULL);
        g_auto(GStrv) lines = run_file_lines(r, name, &gone, error);
        if (!lines && !gone)
            goto fail;
        if (gone) {
            missing++;
            lacking = r->dir;
            continue;
        }
        if (!s->header) {
            s->header = lines[0] ? g_strsplit(lines[0], "\t", -1)
                                 : g_new0(char *, 1);
            n = g_strv_length(s->header);
            cls = g_new0(gint, MAX(n, 1));
            known = g_new0(gboolean, MAX(n, 1));
            types = g_new0(SimTablesType, MAX(n, 1));
            for (guint k = 0; k < n; k++)
                types[k] = known_type(table, s->header[k], &known[k]);
        }
        if (!shape_file(s, lines, path, cls, known, error))
            goto fail;
    }
    if (missing && s->header) {
        g_set_error(error, SIM_TABLES_ERROR, SIM_TABLES_ERROR_PARSE,
                    "%s: no %s, which the other runs have", lacking, name);
        goto fail;
    }
    for (guint j = 0; j < t->id_columns->len; j++) {
        SimTablesColumn *c = g_ptr_array_index(t->id_columns, j);
        g_ptr_array_add(s->columns, column_new(c->name, c->type));
    }
    for (guint k = 0; k < n; k++)
        g_ptr_array_add(s->columns,
                        column_new(s->header[k],
                                   known[k] ? types[k]
                                            : class_type(cls[k])));
    g_hash_table_insert(t->shapes, g_strdup(table), s);
    return s;
fail:
    shape_free(s);
    return NULL;
}

/* Calls @func for each row of per-run table @table. */
static gboolean
tables_foreach_file(SimTables *t, const char *table, SimTablesRowFunc func,
                    gpointer data, GError **error)
{
    TablesShape *s = tables_shape(t, table, error);
    if (!s)
        return FALSE;
    if (!s->header)
        return TRUE;
    g_autofree char *name = g_strconcat(table, ".tsv", NULL);
    guint nid = t->id_index->len, n = s->columns->len;
    g_autofree SimTablesCell *cells = g_new0(SimTablesCell, n);
    for (guint i = 0; i < t->runs->len; i++) {
        TablesRun *r = g_ptr_array_index(t->runs, i);
        gboolean gone;
        g_autofree char *path = g_build_filename(r->dir, name, NULL);
        g_auto(GStrv) lines = run_file_lines(r, name, &gone, error);
        if (!lines && gone)
            g_set_error(error, SIM_TABLES_ERROR, SIM_TABLES_ERROR_PARSE,
                        "%s: no such file", path);
        if (!lines)
            return FALSE;
        for (guint j = 0; j < nid; j++)
            cells[j] = r->cells[g_array_index(t->id_index, guint, j)];
        for (guint l = 1; lines[l]; l++) {
            g_auto(GStrv) f = g_strsplit(lines[l], "\t", -1);
            if (g_strv_length(f) != n - nid)
                return parse_fail(error, path, l + 1, "row",
                                  "the header's columns", lines[l]);
            for (guint k = 0; k < n - nid; k++) {
                SimTablesColumn *c = g_ptr_array_index(s->columns, nid + k);
                if (!cell_parse(&cells[nid + k], f[k], c->type))
                    return parse_fail(error, path, l + 1, c->name,
                                      type_what(c->type), f[k]);
            }
            if (!func(cells, n, data, error))
                return FALSE;
        }
    }
    return TRUE;
}

/* ---- meta ------------------------------------------------------------- */

static GPtrArray *
meta_columns(const SimTables *t)
{
    GPtrArray *cols = columns_new();
    for (guint j = 0; j < t->id_columns->len; j++) {
        SimTablesColumn *c = g_ptr_array_index(t->id_columns, j);
        g_ptr_array_add(cols, column_new(c->name, c->type));
    }
    g_ptr_array_add(cols, column_new("key", T_TEXT));
    g_ptr_array_add(cols, column_new("value", T_TEXT));
    return cols;
}

/* Calls @func for a meta row: @id (NULL: the folder's) and a pair. */
static gboolean
meta_row(SimTables *t, const TablesRun *id, const char *key,
         const char *value, SimTablesRowFunc func, gpointer data,
         GError **error)
{
    guint nid = t->id_index->len;
    g_autofree SimTablesCell *cells = g_new0(SimTablesCell, nid + 2);
    for (guint j = 0; j < nid; j++) {
        if (id) {
            cells[j] = id->cells[g_array_index(t->id_index, guint, j)];
        } else {
            cells[j].null = TRUE;
            cells[j].type =
                ((SimTablesColumn *)g_ptr_array_index(t->id_columns, j))
                    ->type;
        }
    }
    cells[nid] = (SimTablesCell){ .type = T_TEXT, .text = key };
    cells[nid + 1] = (SimTablesCell){ .type = T_TEXT, .text = value,
                                      .null = value == NULL };
    return func(cells, nid + 2, data, error);
}

/* The meta table: the folder's rows (layout, and each varied key), then
 * each run's. */
static gboolean
tables_foreach_meta(SimTables *t, SimTablesRowFunc func, gpointer data,
                    GError **error)
{
    if (!meta_row(t, NULL, "layout", t->layout, func, data, error))
        return FALSE;
    for (guint k = 0; k < t->n_labels; k++)
        if (!meta_row(t, NULL, "varied", t->header[k], func, data, error))
            return FALSE;
    for (guint i = 0; i < t->runs->len; i++) {
        TablesRun *r = g_ptr_array_index(t->runs, i);
        g_autoptr(GPtrArray) kv = g_ptr_array_new_with_free_func(g_free);
        if (!sim_tables_run_meta(r->dir, kv, error))
            return FALSE;
        for (guint m = 0; m + 1 < kv->len; m += 2)
            if (!meta_row(t, r, g_ptr_array_index(kv, m),
                          g_ptr_array_index(kv, m + 1), func, data, error))
                return FALSE;
    }
    return TRUE;
}

/* ---- tables ----------------------------------------------------------- */

static gboolean
table_check(const char *table, GError **error)
{
    if (sim_tables_known(table))
        return TRUE;
    g_autofree char *names = g_strjoinv(", ", (char **)tables_names);
    g_set_error(error, SIM_TABLES_ERROR, SIM_TABLES_ERROR_TABLE,
                "unknown table '%s'; expected one of %s", table, names);
    return FALSE;
}

/**
 * sim_tables_columns:
 * @t: an opened folder
 * @table: a table name (sim_tables_names())
 * @error: return location for a GError
 *
 * The runs table has "run" (1, 2, ... in runs.tsv order) then runs.tsv's
 * columns; the per-run tables have the identifying columns (run, the
 * varied keys, strategy, seed) then their file's columns; meta has the
 * identifying columns, key and value.  The per-run tables' files are read
 * once here (every run's must have the same header).
 *
 * Returns: (transfer full) (element-type SimTablesColumn): the columns, or
 *   NULL with @error set.
 */
/* Column names must differ in more than case (SQL identifiers do not, and
 * a results folder may hold [node A] and [node a] varied, or a crafted
 * "run" column): a later name equal to an earlier one but for case gets
 * "~2", "~3", ... appended. */
static GPtrArray *
columns_unique(GPtrArray *cols)
{
    g_autoptr(GHashTable) seen =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint k = 0; k < cols->len; k++) {
        SimTablesColumn *c = g_ptr_array_index(cols, k);
        char *folded = g_ascii_strdown(c->name, -1);
        for (guint n = 2; g_hash_table_contains(seen, folded); n++) {
            g_free(folded);
            g_autofree char *named = g_strdup_printf("%s~%u", c->name, n);
            folded = g_ascii_strdown(named, -1);
            if (!g_hash_table_contains(seen, folded)) {
                g_free(c->name);
                c->name = g_steal_pointer(&named);
            }
        }
        g_hash_table_add(seen, folded);
    }
    return cols;
}

GPtrArray *
sim_tables_columns(SimTables *t, const char *table, GError **error)
{
    if (!table_check(table, error))
        return NULL;
    if (g_str_equal(table, "meta"))
        return meta_columns(t);
    GPtrArray *cols = columns_new();
    if (g_str_equal(table, "runs")) {
        g_ptr_array_add(cols, column_new("run", T_INT));
        for (guint k = 0; t->header[k]; k++) {
            g_autofree char *name = runs_column_name(t, k);
            g_ptr_array_add(cols, column_new(name, t->types[k]));
        }
        return columns_unique(cols);
    }
    TablesShape *s = tables_shape(t, table, error);
    if (!s) {
        g_ptr_array_unref(cols);
        return NULL;
    }
    for (guint k = 0; k < s->columns->len; k++) {
        SimTablesColumn *c = g_ptr_array_index(s->columns, k);
        g_ptr_array_add(cols, column_new(c->name, c->type));
    }
    return columns_unique(cols);
}

/**
 * sim_tables_foreach:
 * @t: an opened folder
 * @table: a table name
 * @func: called with each row's cells (valid during the call only)
 * @data: its data
 * @error: return location for a GError
 *
 * Calls @func for every row of @table, in order: runs in runs.tsv order,
 * each run's rows in its file's order; meta starts with the folder's own
 * rows (key "layout": run, compare or sweep; "varied": each varied key),
 * whose identifying columns are null.
 *
 * Returns: FALSE with @error set if a file is malformed or @func failed.
 */
gboolean
sim_tables_foreach(SimTables *t, const char *table, SimTablesRowFunc func,
                   gpointer data, GError **error)
{
    if (!table_check(table, error))
        return FALSE;
    if (g_str_equal(table, "meta"))
        return tables_foreach_meta(t, func, data, error);
    if (!g_str_equal(table, "runs"))
        return tables_foreach_file(t, table, func, data, error);
    guint n = g_strv_length(t->header) + 1;
    for (guint i = 0; i < t->runs->len; i++) {
        TablesRun *r = g_ptr_array_index(t->runs, i);
        if (!func(r->cells, n, data, error))
            return FALSE;
    }
    return TRUE;
}
