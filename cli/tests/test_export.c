/* SPDX-License-Identifier: MIT */
/*
 * results.sqlite and `sipreuse export`.  A small compare, a small sweep and
 * a single run are made with the CLI; their results.sqlite is read with
 * the sqlite3 C API and every table is checked against the TSVs it comes
 * from, row for row and column for column: numbers equal as numbers, nan
 * as NULL, text as text, each column declared with the type the results
 * format documents (counts INTEGER, fractions, means and times REAL, names
 * TEXT), a varied duration in its own _ms column (10ms is 10, 1s is 1000).
 * The CSV export is parsed as RFC 4180 and the JSON export is read back
 * with SQLite's own JSON functions, both compared with the database.  Two
 * identical runs with --no-timing give byte-identical databases, and
 * rebuilding one from the TSVs gives the same bytes.  Bad input exits 2,
 * a failed write 1, leaving nothing behind.
 */
#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "cli/tests/util_cli.h"
#include "run/out.h"

/* ---- independent readers ------------------------------------------------ */

/* A TSV file: rows of fields, the header first. */
static GPtrArray *
tsv_read(const char *path)
{
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    GPtrArray *rows = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_strfreev);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++)
        if (*lines[i])
            g_ptr_array_add(rows, g_strsplit(lines[i], "\t", -1));
    return rows;
}

#define ROW(rows, i) ((char **)g_ptr_array_index(rows, i))

/* The declared type the results format gives a TSV column (README:
 * names are text; fractions, means, times and latencies are real; counts
 * are integers). */
static const char *
doc_type(const char *col)
{
    static const char *const text[] = { "topology", "strategy", "protocol",
                                        "node", "srv.domain", "peer",
                                        "peer_ip", NULL };
    static const char *const real[] = {
        "connections.mean", "cpu.util_max", "cpu.crypto_s", "sim.wall_s",
        "sim.events_per_s", "calls.completion_ratio", "handshakes.per_s",
        "cpu.crypto_cores_per_node", "cpu.util", "srv.share", "time_s",
        "cpu_util", "open_connections_mean", "lo_ms", "hi_ms", "cdf_lo",
        "cdf", NULL,
    };
    if (g_strv_contains(text, col))
        return "TEXT";
    if (g_strv_contains(real, col) || g_str_has_prefix(col, "latency."))
        return "REAL";
    return "INTEGER";
}

/* The varied keys of the test sweep: SQL name, type, and the value a TSV
 * label stands for (durations in ms: "10ms" 10, "1s" 1000). */
static void
varied_expect(const char *key, const char *label, char **name,
              const char **type, double *value)
{
    *value = NAN;
    if (g_str_equal(key, "link.a-dc.b-dc.delay")) {
        *name = g_strdup("link.a-dc.b-dc.delay_ms");
        *type = "REAL";
        if (label)
            *value = g_str_equal(label, "10ms") ? 10.0
                     : g_str_equal(label, "1s") ? 1000.0 : -1.0;
        return;
    }
    *name = g_strdup(key);
    *type = g_str_equal(key, "node.a1.cores") ? "INTEGER" : "TEXT";
}

/* ---- the database ------------------------------------------------------- */

static sqlite3 *
db_open(const char *path)
{
    sqlite3 *db = NULL;
    g_assert_cmpint(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                    ==, SQLITE_OK);
    return db;
}

static sqlite3_stmt *
db_prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        g_error("%s: %s", sql, sqlite3_errmsg(db));
    return st;
}

static gint64
db_count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = db_prepare(db, sql);
    g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
    gint64 n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* Column names and declared types of @table (PRAGMA table_info). */
static void
db_columns(sqlite3 *db, const char *table, GPtrArray *names, GPtrArray *types)
{
    g_autofree char *sql = g_strdup_printf("PRAGMA table_info(\"%s\")", table);
    sqlite3_stmt *st = db_prepare(db, sql);
    while (sqlite3_step(st) == SQLITE_ROW) {
        g_ptr_array_add(names, g_strdup((const char *)sqlite3_column_text(st, 1)));
        g_ptr_array_add(types, g_strdup((const char *)sqlite3_column_text(st, 2)));
    }
    sqlite3_finalize(st);
}

/* TRUE if column @k of the current row of @st holds TSV text @text of a
 * column of @type. */
static gboolean
cell_equal(sqlite3_stmt *st, int k, const char *text, const char *type)
{
    int t = sqlite3_column_type(st, k);
    if (g_str_equal(text, "nan"))
        return t == SQLITE_NULL;
    if (g_str_equal(type, "INTEGER"))
        return t == SQLITE_INTEGER &&
               sqlite3_column_int64(st, k) == g_ascii_strtoll(text, NULL, 10);
    if (g_str_equal(type, "REAL"))
        return t == SQLITE_FLOAT &&
               sqlite3_column_double(st, k) == g_ascii_strtod(text, NULL);
    return t == SQLITE_TEXT &&
           g_str_equal((const char *)sqlite3_column_text(st, k), text);
}

static void
assert_cell(sqlite3_stmt *st, int k, const char *text, const char *type,
            const char *where)
{
    if (cell_equal(st, k, text, type))
        return;
    g_test_message("%s: column %s: the TSV has '%s' (%s), the database '%s'",
                   where, sqlite3_column_name(st, k), text, type,
                   (const char *)sqlite3_column_text(st, k));
    g_test_fail();
}

/* ---- a results folder against its database ------------------------------ */

/* What one folder holds. */
typedef struct {
    char *out;
    /* runs.tsv. */
    GPtrArray *runs;
    guint n_labels;
    /* "run", "compare" or "sweep". */
    const char *layout;
    sqlite3 *db;
} Folder;

static void
folder_clear(Folder *f)
{
    g_free(f->out);
    if (f->runs)
        g_ptr_array_unref(f->runs);
    if (f->db)
        sqlite3_close(f->db);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Folder, folder_clear)

static void
folder_open(Folder *f, const char *out, const char *layout)
{
    f->out = g_strdup(out);
    f->layout = layout;
    g_autofree char *runs = g_build_filename(out, "runs.tsv", NULL);
    f->runs = tsv_read(runs);
    char **h = ROW(f->runs, 0);
    while (h[f->n_labels] && !g_str_equal(h[f->n_labels], "topology"))
        f->n_labels++;
    g_autofree char *db = g_build_filename(out, "results.sqlite", NULL);
    f->db = db_open(db);
}

/* The folder of runs.tsv row @r (1-based), as the results format
 * describes the layouts. */
static char *
folder_run_dir(const Folder *f, guint r)
{
    char **h = ROW(f->runs, 0), **row = ROW(f->runs, r);
    if (g_str_equal(f->layout, "run"))
        return g_strdup(f->out);
    g_autofree char *leaf = g_strdup_printf("%s-seed%s", row[f->n_labels + 1],
                                            row[f->n_labels + 2]);
    if (g_str_equal(f->layout, "compare"))
        return g_build_filename(f->out, leaf, NULL);
    GString *point = g_string_new(NULL);
    for (guint k = 0; k < f->n_labels; k++)
        g_string_append_printf(point, "%s%s=%s", k ? "," : "", h[k], row[k]);
    char *dir = g_build_filename(f->out, "runs", point->str, leaf, NULL);
    g_string_free(point, TRUE);
    return dir;
}

/* The column of runs.tsv header @h after the varied keys that holds
 * varied key @k's values as numbers (KEY_ms), or -1. */
static gint
numeric_col(const Folder *f, guint k)
{
    char **h = ROW(f->runs, 0);
    g_autofree char *name = g_strconcat(h[k], "_ms", NULL);
    for (guint j = f->n_labels; h[j]; j++)
        if (g_str_equal(h[j], name))
            return (gint)j;
    return -1;
}

/* What the runs table holds of runs.tsv column @k: its name, type and,
 * for a varied duration, the value (ms) of row @r's label. */
static void
runs_expect(const Folder *f, guint k, guint r, char **name,
            const char **type, double *value)
{
    char **h = ROW(f->runs, 0);
    *value = NAN;
    for (guint l = 0; l < f->n_labels; l++) {
        if (numeric_col(f, l) == (gint)k) {
            /* KEY_ms written by the sweep: REAL, equal to the label. */
            g_autofree char *split = NULL;
            varied_expect(h[l], r ? ROW(f->runs, r)[l] : NULL, &split,
                          type, value);
            *name = g_strdup(h[k]);
            g_assert_cmpstr(split, ==, h[k]);
            return;
        }
    }
    if (k >= f->n_labels) {
        *name = g_strdup(h[k]);
        *type = doc_type(h[k]);
        return;
    }
    varied_expect(h[k], r ? ROW(f->runs, r)[k] : NULL, name, type, value);
    if (numeric_col(f, k) >= 0) {
        /* The label stays as written: text. */
        g_free(*name);
        *name = g_strdup(h[k]);
        *type = "TEXT";
        *value = NAN;
    }
}

/* The runs table: "run", then runs.tsv's columns (a varied key with a
 * unit renamed with it and read in it, unless runs.tsv has that column
 * already), each row its runs.tsv row. */
static void
check_runs(const Folder *f)
{
    char **h = ROW(f->runs, 0);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) types = g_ptr_array_new_with_free_func(g_free);
    db_columns(f->db, "runs", names, types);
    g_assert_cmpuint(names->len, ==, g_strv_length(h) + 1);
    g_assert_cmpstr(g_ptr_array_index(names, 0), ==, "run");
    g_assert_cmpstr(g_ptr_array_index(types, 0), ==, "INTEGER");
    for (guint k = 0; h[k]; k++) {
        g_autofree char *name = NULL;
        const char *type;
        double v;
        runs_expect(f, k, 0, &name, &type, &v);
        g_assert_cmpstr(g_ptr_array_index(names, k + 1), ==, name);
        g_assert_cmpstr(g_ptr_array_index(types, k + 1), ==, type);
    }
    g_assert_cmpint(db_count(f->db, "SELECT count(*) FROM runs"), ==,
                    f->runs->len - 1);
    sqlite3_stmt *st = db_prepare(f->db, "SELECT * FROM runs ORDER BY run");
    for (guint r = 1; r < f->runs->len; r++) {
        g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
        g_assert_cmpint(sqlite3_column_int64(st, 0), ==, r);
        for (guint k = 0; h[k]; k++) {
            g_autofree char *name = NULL;
            const char *type;
            double v;
            runs_expect(f, k, r, &name, &type, &v);
            if (!isnan(v)) {
                g_assert_cmpint(sqlite3_column_type(st, (int)k + 1), ==,
                                SQLITE_FLOAT);
                g_assert_cmpfloat(sqlite3_column_double(st, (int)k + 1), ==,
                                  v);
            }
            if (k >= f->n_labels || isnan(v))
                assert_cell(st, (int)k + 1, ROW(f->runs, r)[k], type,
                            "runs");
        }
    }
    g_assert_cmpint(sqlite3_step(st), ==, SQLITE_DONE);
    sqlite3_finalize(st);
}

/* Per-run table @table: the identifying columns (run, varied keys,
 * strategy, seed) then TABLE.tsv's columns; each run's rows its file's. */
static void
check_per_run(const Folder *f, const char *table)
{
    guint nid = f->n_labels + 3;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) types = g_ptr_array_new_with_free_func(g_free);
    db_columns(f->db, table, names, types);
    g_autofree char *file = g_strconcat(table, ".tsv", NULL);
    g_autofree char *sql = g_strdup_printf(
        "SELECT * FROM \"%s\" WHERE run = ?1 ORDER BY rowid", table);
    sqlite3_stmt *st = db_prepare(f->db, sql);
    gint64 total = 0;
    for (guint r = 1; r < f->runs->len; r++) {
        g_autofree char *dir = folder_run_dir(f, r);
        g_autofree char *path = g_build_filename(dir, file, NULL);
        g_autoptr(GPtrArray) rows = tsv_read(path);
        char **h = ROW(rows, 0);
        g_assert_cmpuint(names->len, ==, nid + g_strv_length(h));
        for (guint k = 0; h[k]; k++) {
            g_assert_cmpstr(g_ptr_array_index(names, nid + k), ==, h[k]);
            g_assert_cmpstr(g_ptr_array_index(types, nid + k), ==,
                            doc_type(h[k]));
        }
        sqlite3_bind_int64(st, 1, r);
        for (guint i = 1; i < rows->len; i++, total++) {
            g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
            /* The run's strategy and seed. */
            assert_cell(st, (int)f->n_labels + 1,
                        ROW(f->runs, r)[f->n_labels + 1], "TEXT", path);
            assert_cell(st, (int)f->n_labels + 2,
                        ROW(f->runs, r)[f->n_labels + 2], "INTEGER", path);
            for (guint k = 0; h[k]; k++)
                assert_cell(st, (int)(nid + k), ROW(rows, i)[k],
                            doc_type(h[k]), path);
        }
        g_assert_cmpint(sqlite3_step(st), ==, SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    g_autofree char *count = g_strdup_printf("SELECT count(*) FROM \"%s\"",
                                             table);
    g_assert_cmpint(db_count(f->db, count), ==, total);
}

/* The value of meta key @key of run @r (NULL: the folder's row). */
static char *
meta_get(const Folder *f, gint r, const char *key)
{
    sqlite3_stmt *st = db_prepare(
        f->db, r ? "SELECT value FROM meta WHERE run = ?1 AND key = ?2"
                 : "SELECT value FROM meta WHERE run IS NULL AND key = ?2");
    if (r)
        sqlite3_bind_int64(st, 1, r);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    char *v = NULL;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = g_strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
}

/* meta: the folder's layout; per run its strategy, seed, timing flag and
 * the completion marker's fingerprint. */
static void
check_meta(const Folder *f)
{
    g_autofree char *layout = meta_get(f, 0, "layout");
    g_assert_cmpstr(layout, ==, f->layout);
    for (guint r = 1; r < f->runs->len; r++) {
        char **row = ROW(f->runs, r);
        g_autofree char *s = meta_get(f, (gint)r, "strategy");
        g_autofree char *seed = meta_get(f, (gint)r, "seed");
        g_autofree char *timing = meta_get(f, (gint)r, "timing");
        g_autofree char *fp = meta_get(f, (gint)r, "fingerprint");
        g_autofree char *dir = folder_run_dir(f, r);
        g_autofree char *marker = hcli_read(dir, SIM_OUT_COMPLETE);
        g_autofree char *want = g_strdup_printf("\nfingerprint %s\n", fp);
        g_assert_cmpstr(s, ==, row[f->n_labels + 1]);
        g_assert_cmpstr(seed, ==, row[f->n_labels + 2]);
        g_assert_cmpstr(timing, ==, "false");
        g_assert_nonnull(strstr(marker, want));
    }
}

static void
check_folder(const char *out, const char *layout)
{
    g_auto(Folder) f = { 0 };
    folder_open(&f, out, layout);
    g_assert_cmpuint(f.runs->len, >, 1);
    check_runs(&f);
    const char *per_run[] = { "nodes", "pairs", "timeseries", "latency" };
    for (guint i = 0; i < G_N_ELEMENTS(per_run); i++)
        check_per_run(&f, per_run[i]);
    check_meta(&f);
}

/* ---- making folders ----------------------------------------------------- */

static char *
topo_path(void)
{
    return g_build_filename(g_getenv("SIPREUSE_SRCDIR"), "topologies",
                            "trunk.topo", NULL);
}

/* compare of two strategies, two replications, 3 s each, into @out. */
static void
make_compare(const char *out)
{
    g_auto(HCli) c = { 0 };
    g_autofree char *topo = topo_path();
    hcli_run(&c, NULL, "compare", topo, "--strategies", "rfc3261,reuse",
             "--reps", "2", "--jobs", "2", "--set", "simulation.duration=3s",
             "--set", "simulation.warmup=1s", "--out", out, "--no-timing",
             "--no-plots", NULL);
    g_test_message("%s", c.err);
    g_assert_cmpint(c.status, ==, 0);
}

/* A sweep over a duration (with units), an integer and a name. */
static void
make_sweep(const char *dir, const char *out)
{
    g_autofree char *topo = topo_path();
    g_autofree char *exp = g_build_filename(dir, "grid.exp", NULL);
    g_autofree char *text = g_strdup_printf(
        "[experiment]\ntopology = %s\nstrategies = rfc3261\nreps = 2\n"
        "set = simulation.duration=3s; simulation.warmup=1s\n"
        "[vary]\nlink.a-dc.b-dc.delay = 10ms, 1s\nnode.a1.cores = 1, 2\n"
        "transport.protocol = tcp, tls\n", topo);
    g_assert_true(g_file_set_contents(exp, text, -1, NULL));
    g_auto(HCli) c = { 0 };
    hcli_run(&c, NULL, "sweep", exp, "--out", out, "--jobs", "2",
             "--no-timing", "--no-plots", NULL);
    g_test_message("%s", c.err);
    g_assert_cmpint(c.status, ==, 0);
}

static char *
file_bytes(const char *path, gsize *len)
{
    char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, len, NULL));
    return text;
}

static void
assert_same_file(const char *a, const char *b)
{
    gsize la, lb;
    g_autofree char *x = file_bytes(a, &la);
    g_autofree char *y = file_bytes(b, &lb);
    g_assert_cmpuint(la, ==, lb);
    g_assert_true(memcmp(x, y, la) == 0);
}

/* Nothing named NAME.XXXXXX (an atomic write's leftover) in @dir. */
static void
assert_no_temps(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *e;
    while (d && (e = g_dir_read_name(d)))
        g_assert_null(strstr(e, ".sqlite."));
}

static char *
export_text(const char *out, const char *format, const char *table)
{
    g_auto(HCli) c = { 0 };
    const char *args[] = { "export", out, "--format", format,
                           table ? "--table" : NULL, table, NULL };
    hcli_runv(&c, NULL, args);
    g_test_message("%s", c.err);
    g_assert_cmpint(c.status, ==, 0);
    return g_steal_pointer(&c.out);
}

/* ---- tests ------------------------------------------------------------- */

static void
test_compare_tables(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("export-compare");
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    make_compare(out);
    check_folder(out, "compare");
}

static void
test_sweep_tables(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("export-sweep");
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    make_sweep(dir, out);
    check_folder(out, "sweep");
    /* 2 x 2 x 2 points, 2 replications; the duration split into ms. */
    g_auto(Folder) f = { 0 };
    folder_open(&f, out, "sweep");
    g_assert_cmpint(db_count(f.db, "SELECT count(*) FROM runs"), ==, 16);
    g_assert_cmpint(db_count(f.db, "SELECT count(*) FROM runs WHERE "
                                   "\"link.a-dc.b-dc.delay_ms\" = 1000.0 "
                                   "AND typeof(\"link.a-dc.b-dc.delay_ms\") "
                                   "= 'real'"), ==, 8);
    g_assert_cmpint(db_count(f.db, "SELECT count(*) FROM nodes WHERE "
                                   "\"node.a1.cores\" = 2 AND "
                                   "\"transport.protocol\" = 'tcp'"),
                    ==, 4 * 5);
    g_assert_cmpint(db_count(f.db, "SELECT count(*) FROM meta WHERE run IS "
                                   "NULL AND key = 'varied'"), ==, 3);
}

/* A sweep whose runs.tsv already holds a varied duration as numbers in a
 * trailing KEY_ms column (as a sweep may write it): the label stays text,
 * the trailing column is REAL and identifies the runs in the per-run
 * tables; the run folders' rows still match (their runs.tsv has no such
 * column). */
static void
test_sweep_numeric_column(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("export-numeric");
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    make_sweep(dir, out);
    g_autofree char *path = g_build_filename(out, "runs.tsv", NULL);
    g_autoptr(GPtrArray) rows = tsv_read(path);
    g_autoptr(GString) s = g_string_new(NULL);
    /* The sweep writes the column itself: append it only if it did not. */
    gboolean has = FALSE;
    for (char **h = ROW(rows, 0); *h; h++)
        has = has || g_str_equal(*h, "link.a-dc.b-dc.delay_ms");
    for (guint r = 0; !has && r < rows->len; r++) {
        g_autofree char *line = g_strjoinv("\t", ROW(rows, r));
        const char *label = ROW(rows, r)[0];
        g_string_append_printf(s, "%s\t%s\n", line,
                               r == 0 ? "link.a-dc.b-dc.delay_ms"
                               : g_str_equal(label, "10ms") ? "10"
                                                            : "1000");
    }
    if (!has)
        g_assert_true(g_file_set_contents(path, s->str, -1, NULL));
    g_auto(HCli) c = { 0 };
    hcli_run(&c, NULL, "export", out, "--format", "sqlite", NULL);
    g_test_message("%s", c.err);
    g_assert_cmpint(c.status, ==, 0);
    check_folder(out, "sweep");
    g_auto(Folder) f = { 0 };
    folder_open(&f, out, "sweep");
    g_assert_cmpint(db_count(f.db, "SELECT count(*) FROM runs WHERE "
                                   "\"link.a-dc.b-dc.delay\" = '1s' AND "
                                   "\"link.a-dc.b-dc.delay_ms\" = 1000.0"),
                    ==, 8);
    g_assert_cmpint(db_count(f.db, "SELECT count(*) FROM latency WHERE "
                                   "typeof(\"link.a-dc.b-dc.delay_ms\") = "
                                   "'real'"), ==,
                    db_count(f.db, "SELECT count(*) FROM latency"));
    /* Written "1000" in runs.tsv, a real number in JSON. */
    g_autofree char *json = export_text(out, "json", "runs");
    g_assert_nonnull(strstr(json, "\"link.a-dc.b-dc.delay_ms\": 1000.0}"));
}

static void
test_single_run(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("export-run");
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    g_autofree char *topo = topo_path();
    g_auto(HCli) c = { 0 };
    hcli_run(&c, NULL, "run", topo, "--set", "simulation.duration=3s",
             "--set", "simulation.warmup=1s", "--out", out, "--no-timing",
             NULL);
    g_assert_cmpint(c.status, ==, 0);
    check_folder(out, "run");
}

/* Two equal compares give equal bytes; so does rebuilding from the TSVs,
 * into --out or in place (a folder without a database: an older one). */
static void
test_deterministic(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("export-det");
    g_autofree char *a = g_build_filename(dir, "a", NULL);
    g_autofree char *b = g_build_filename(dir, "b", NULL);
    make_compare(a);
    make_compare(b);
    g_autofree char *da = g_build_filename(a, "results.sqlite", NULL);
    g_autofree char *db = g_build_filename(b, "results.sqlite", NULL);
    assert_same_file(da, db);
    g_autofree char *rebuilt = g_build_filename(dir, "rebuilt.sqlite", NULL);
    g_auto(HCli) c = { 0 };
    hcli_run(&c, NULL, "export", a, "--format", "sqlite", "--out", rebuilt,
             NULL);
    g_assert_cmpint(c.status, ==, 0);
    assert_same_file(da, rebuilt);
    g_assert_cmpint(g_unlink(db), ==, 0);
    g_auto(HCli) d = { 0 };
    hcli_run(&d, NULL, "export", b, "--format", "sqlite", NULL);
    g_assert_cmpint(d.status, ==, 0);
    assert_same_file(da, db);
    assert_no_temps(b);
}

/* An RFC 4180 record list: fields, NULL for an empty unquoted field. */
static GPtrArray *
csv_parse(const char *text)
{
    GPtrArray *rows = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_ptr_array_unref);
    const char *p = text;
    while (*p) {
        GPtrArray *row = g_ptr_array_new_with_free_func(g_free);
        for (;;) {
            GString *fld = g_string_new(NULL);
            gboolean quoted = *p == '"';
            if (quoted) {
                for (p++; !(p[0] == '"' && p[1] != '"'); p++) {
                    g_assert_true(*p != '\0');
                    if (*p == '"')
                        p++;
                    g_string_append_c(fld, *p);
                }
                p++;
            } else {
                while (*p && *p != ',' && *p != '\r')
                    g_string_append_c(fld, *p++);
            }
            g_ptr_array_add(row, quoted || fld->len
                                     ? g_string_free(fld, FALSE)
                                     : (g_string_free(fld, TRUE), NULL));
            if (*p == ',') {
                p++;
                continue;
            }
            g_assert_true(p[0] == '\r' && p[1] == '\n');
            p += 2;
            break;
        }
        g_ptr_array_add(rows, row);
    }
    return rows;
}

/* The CSV of @table equals its rows in the database. */
static void
check_csv(const char *out, const char *table, const char *csv)
{
    g_autoptr(GPtrArray) rows = csv_parse(csv);
    g_autofree char *path = g_build_filename(out, "results.sqlite", NULL);
    sqlite3 *db = db_open(path);
    g_autofree char *sql = g_strdup_printf("SELECT * FROM \"%s\" ORDER BY "
                                           "rowid", table);
    sqlite3_stmt *st = db_prepare(db, sql);
    int n = sqlite3_column_count(st);
    GPtrArray *head = g_ptr_array_index(rows, 0);
    g_assert_cmpint((int)head->len, ==, n);
    for (int k = 0; k < n; k++)
        g_assert_cmpstr(g_ptr_array_index(head, k), ==,
                        sqlite3_column_name(st, k));
    guint r = 1;
    for (; sqlite3_step(st) == SQLITE_ROW; r++) {
        GPtrArray *row = g_ptr_array_index(rows, r);
        g_assert_cmpint((int)row->len, ==, n);
        for (int k = 0; k < n; k++) {
            const char *v = g_ptr_array_index(row, k);
            int t = sqlite3_column_type(st, k);
            if (!v)
                g_assert_cmpint(t, ==, SQLITE_NULL);
            else if (t == SQLITE_INTEGER)
                g_assert_cmpint(g_ascii_strtoll(v, NULL, 10), ==,
                                sqlite3_column_int64(st, k));
            else if (t == SQLITE_FLOAT)
                g_assert_cmpfloat(g_ascii_strtod(v, NULL), ==,
                                  sqlite3_column_double(st, k));
            else
                g_assert_cmpstr(v, ==,
                                (const char *)sqlite3_column_text(st, k));
        }
    }
    g_assert_cmpuint(r, ==, rows->len);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* CSV round trip, with a topology name that needs quoting. */
static void
test_csv(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("export-csv");
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    g_autofree char *src = topo_path();
    g_autofree char *topo = g_build_filename(dir, "tr,\"q\".topo", NULL);
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(src, &text, NULL, NULL));
    g_assert_true(g_file_set_contents(topo, text, -1, NULL));
    g_auto(HCli) c = { 0 };
    hcli_run(&c, NULL, "compare", topo, "--strategies", "rfc3261", "--reps",
             "2", "--set", "simulation.duration=3s", "--set",
             "simulation.warmup=1s", "--out", out, "--no-timing",
             "--no-plots", NULL);
    g_assert_cmpint(c.status, ==, 0);
    g_autofree char *runs = export_text(out, "csv", NULL);
    g_assert_nonnull(strstr(runs, ",\"tr,\"\"q\"\"\","));
    check_csv(out, "runs", runs);
    const char *tables[] = { "nodes", "pairs", "timeseries", "latency",
                             "meta" };
    for (guint i = 0; i < G_N_ELEMENTS(tables); i++) {
        g_autofree char *csv = export_text(out, "csv", tables[i]);
        check_csv(out, tables[i], csv);
    }
}

/* The JSON export read back with SQLite's JSON functions (json_each over
 * each table's array, then over each row's members) equals the database,
 * value for value, type for type and column name for column name. */
static void
test_json(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("export-json");
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    make_sweep(dir, out);
    g_autofree char *json = export_text(out, "json", NULL);
    g_autofree char *path = g_build_filename(out, "results.sqlite", NULL);
    sqlite3 *db = db_open(path);
    sqlite3_stmt *v = db_prepare(db, "SELECT json_valid(?1)");
    sqlite3_bind_text(v, 1, json, -1, SQLITE_STATIC);
    g_assert_cmpint(sqlite3_step(v), ==, SQLITE_ROW);
    g_assert_cmpint(sqlite3_column_int(v, 0), ==, 1);
    sqlite3_finalize(v);
    const char *tables[] = { "runs", "nodes", "pairs", "timeseries",
                             "latency", "meta" };
    for (guint i = 0; i < G_N_ELEMENTS(tables); i++) {
        g_autofree char *sql = g_strdup_printf(
            "SELECT * FROM \"%s\" ORDER BY rowid", tables[i]);
        g_autofree char *arr = g_strdup_printf("$.\"%s\"", tables[i]);
        sqlite3_stmt *st = db_prepare(db, sql);
        sqlite3_stmt *q = db_prepare(
            db, "SELECT r.key, c.key, c.value FROM json_each(?1, ?2) r, "
                "json_each(r.value) c ORDER BY r.id, c.id");
        sqlite3_bind_text(q, 1, json, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, arr, -1, SQLITE_STATIC);
        gint64 r = 0;
        for (; sqlite3_step(st) == SQLITE_ROW; r++) {
            for (int k = 0; k < sqlite3_column_count(st); k++) {
                g_assert_cmpint(sqlite3_step(q), ==, SQLITE_ROW);
                g_assert_cmpint(sqlite3_column_int64(q, 0), ==, r);
                g_assert_cmpstr((const char *)sqlite3_column_text(q, 1), ==,
                                sqlite3_column_name(st, k));
                int t = sqlite3_column_type(st, k);
                g_assert_cmpint(sqlite3_column_type(q, 2), ==, t);
                if (t == SQLITE_FLOAT)
                    g_assert_cmpfloat(sqlite3_column_double(q, 2), ==,
                                      sqlite3_column_double(st, k));
                else if (t != SQLITE_NULL)
                    g_assert_cmpstr((const char *)sqlite3_column_text(q, 2),
                                    ==,
                                    (const char *)sqlite3_column_text(st, k));
            }
        }
        g_assert_cmpint(r, >, 0);
        g_assert_cmpint(sqlite3_step(q), ==, SQLITE_DONE);
        sqlite3_finalize(q);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
}

static void
assert_exit(const char *const *args, int status, const char *says)
{
    g_auto(HCli) c = { 0 };
    hcli_runv(&c, NULL, args);
    g_test_message("%s", c.err);
    g_assert_cmpint(c.status, ==, status);
    if (says)
        g_assert_nonnull(strstr(c.err, says));
}

static void
replace_in(const char *path, const char *from, const char *to)
{
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    char *at = strstr(text, from);
    g_assert_nonnull(at);
    *at = '\0';
    g_autofree char *edited = g_strconcat(text, to, at + strlen(from), NULL);
    g_assert_true(g_file_set_contents(path, edited, -1, NULL));
}

static void
test_bad_input(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("export-bad");
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    g_autofree char *nope = g_build_filename(dir, "nope", NULL);
    g_autofree char *db = g_build_filename(dir, "x.sqlite", NULL);
    make_compare(out);
    const char *missing[] = { "export", nope, "--format", "csv", NULL };
    assert_exit(missing, 2, "no such folder");
    const char *not_results[] = { "export", dir, "--format", "csv", NULL };
    assert_exit(not_results, 2, "not a results folder");
    const char *format[] = { "export", out, "--format", "xml", NULL };
    assert_exit(format, 2, "--format");
    const char *no_format[] = { "export", out, NULL };
    assert_exit(no_format, 2, "--format");
    const char *table[] = { "export", out, "--format", "csv", "--table",
                            "hosts", NULL };
    assert_exit(table, 2, "hosts");
    const char *two[] = { "export", out, out, "--format", "csv", NULL };
    assert_exit(two, 2, NULL);
    /* A failed write (a file-size limit: like a full disk) exits 1 and
     * leaves neither the file nor a temporary one. */
    g_auto(HCli) c = { 0 };
    HCliOpts small = { .fsize = 8192 };
    hcli_run(&c, &small, "export", out, "--format", "sqlite", "--out", db,
             NULL);
    g_assert_cmpint(c.status, ==, 1);
    g_assert_false(g_file_test(db, G_FILE_TEST_EXISTS));
    assert_no_temps(dir);
    /* compare on a full disk: the TSVs (all small) are written, the
     * database is not, and the verb says so and exits 1. */
    g_autofree char *full = g_build_filename(dir, "full", NULL);
    g_autofree char *topo = topo_path();
    g_auto(HCli) d = { 0 };
    hcli_run(&d, &small, "compare", topo, "--strategies", "rfc3261",
             "--reps", "1", "--set", "simulation.duration=3s", "--set",
             "simulation.warmup=1s", "--out", full, "--no-timing",
             "--no-plots", NULL);
    g_assert_cmpint(d.status, ==, 1);
    g_assert_nonnull(strstr(d.err, "results.sqlite"));
    g_autofree char *full_runs = g_build_filename(full, "runs.tsv", NULL);
    g_assert_true(g_file_test(full_runs, G_FILE_TEST_IS_REGULAR));
    assert_no_temps(full);
    /* A number that is not one, named with its file and line. */
    g_autofree char *nodes = g_build_filename(out, "reuse-seed2",
                                              "nodes.tsv", NULL);
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(nodes, &text, NULL, NULL));
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_auto(GStrv) f = g_strsplit(lines[2], "\t", -1);
    g_autofree char *from = g_strdup_printf("\n%s\t%s\t", f[0], f[1]);
    g_autofree char *to = g_strdup_printf("\n%s\tmany\t", f[0]);
    replace_in(nodes, from, to);
    const char *bad[] = { "export", out, "--format", "sqlite", "--out", db,
                          NULL };
    assert_exit(bad, 2, "nodes.tsv:3: calls.originated");
    g_assert_false(g_file_test(db, G_FILE_TEST_EXISTS));
    /* A run folder whose row is not the folder's. */
    g_assert_true(g_file_set_contents(nodes, text, -1, NULL));
    g_autofree char *runs = g_build_filename(out, "rfc3261-seed1",
                                             "runs.tsv", NULL);
    replace_in(runs, "\trfc3261\t1\t", "\trfc3261\t7\t");
    const char *other[] = { "export", out, "--format", "json", NULL };
    assert_exit(other, 2, "holds another row");
}

/* An interrupted database write leaves a name the results writers
 * clean up. */
static void
test_temp_cleaned(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("export-temp");
    g_autofree char *tmp = g_build_filename(dir, "results.sqlite.Ab12Cd",
                                            NULL);
    g_autofree char *db = g_build_filename(dir, "results.sqlite", NULL);
    g_assert_true(g_file_set_contents(tmp, "x", -1, NULL));
    g_assert_true(g_file_set_contents(db, "x", -1, NULL));
    g_assert_cmpuint(sim_out_clean_temps(dir), ==, 1);
    g_assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test(db, G_FILE_TEST_EXISTS));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("results.sqlite matches the TSVs; export csv, json and "
                   "sqlite round-trip; bad input exits 2");
    g_test_add_func("/export/sqlite/compare", test_compare_tables);
    g_test_add_func("/export/sqlite/sweep", test_sweep_tables);
    g_test_add_func("/export/sqlite/sweep-numeric-column",
                    test_sweep_numeric_column);
    g_test_add_func("/export/sqlite/run", test_single_run);
    g_test_add_func("/export/sqlite/deterministic", test_deterministic);
    g_test_add_func("/export/sqlite/temp-cleaned", test_temp_cleaned);
    g_test_add_func("/export/csv", test_csv);
    g_test_add_func("/export/json", test_json);
    g_test_add_func("/export/bad-input", test_bad_input);
    return g_test_run();
}
