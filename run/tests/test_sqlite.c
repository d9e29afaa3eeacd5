/* SPDX-License-Identifier: MIT */
/*
 * run/tables.c and run/sqlite.c on results folders written by hand (no
 * simulation): column types from the contract and, for a column this
 * version does not know, from its values; a seed above 2^63 - 1 kept as a
 * REAL; summary.json's meta with every JSON escape, nested values and
 * nulls; a file no run has (an older folder) gives an empty table, one
 * that only some runs have is an error; CSV quoting; the database's
 * declared types, NULLs, user_version and byte-identical rewrites; and
 * the errors of what is not a results folder.
 */
#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "run/sqlite.h"
#include "run/tables.h"

#define BIG_SEED "18446744073709551615"

static void
put(const char *dir, const char *name, const char *text)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autofree char *parent = g_path_get_dirname(path);
    g_assert_cmpint(g_mkdir_with_parents(parent, 0755), ==, 0);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

/* A compare folder of strategy "s", seeds 1 and 2^64 - 1, with an extra
 * runs.tsv column, hostile node names, a nan, no pairs.tsv at all and a
 * summary.json whose meta uses every escape. */
static char *
make_folder(void)
{
    char *dir = g_dir_make_tmp("test-sqlite-XXXXXX", NULL);
    g_assert_nonnull(dir);
    const char *head = "topology\tstrategy\tseed\tprotocol\tcalls.completed"
                       "\tlatency.setup_ms.p95\tnew.metric\n";
    const char *rows[] = { "t\ts\t1\ttls\t10\t12.500000\t3\n",
                           "t\ts\t" BIG_SEED "\ttls\t0\tnan\t4\n" };
    const char *leaf[] = { "s-seed1", "s-seed" BIG_SEED };
    put(dir, "aggregate.tsv", "strategy\tn\n");
    g_autofree char *runs = g_strconcat(head, rows[0], rows[1], NULL);
    put(dir, "runs.tsv", runs);
    for (guint i = 0; i < 2; i++) {
        g_autofree char *d = g_build_filename(dir, leaf[i], NULL);
        g_autofree char *own = g_strconcat(head, rows[i], NULL);
        put(d, "runs.tsv", own);
        put(d, "nodes.tsv", "node\tcpu.util\thandshakes\n"
                            "a,\"b\"\tnan\t7\n"
                            "c\t0.250000\t0\n");
        put(d, "timeseries.tsv", "time_s\topen_connections\n"
                                 "0.000000\t1\n");
        put(d, "latency.tsv", "lo_ms\thi_ms\tcount\tcdf_lo\tcdf\n");
        put(d, "summary.json",
            "{\n  \"calls.completed\": 10,\n  \"x\": {\"meta\": 1},\n"
            "  \"meta\": {\n    \"program\": \"sipreuse\",\n"
            "    \"warnings\": [\"a \\\"q\\\"\\n\", "
            "\"\\u00e9 \\ud83d\\ude00 \\/\\\\\"],\n"
            "    \"overrides\": [],\n    \"nested\": {\"a\": [1, 2]},\n"
            "    \"pki_verify_time\": null,\n    \"timing\": false,\n"
            "    \"duration_s\": 3.000000\n  }\n}\n");
        put(d, "complete", "complete\nfingerprint sha256:ab\n"
                           "revision src:cd\nfile runs.tsv sha256:00\n");
    }
    return dir;
}

static void
rm_rf(const char *path)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
        const char *e;
        while (d && (e = g_dir_read_name(d))) {
            g_autofree char *p = g_build_filename(path, e, NULL);
            rm_rf(p);
        }
    }
    g_remove(path);
}

static const SimTablesColumn *
column(GPtrArray *cols, guint i)
{
    return g_ptr_array_index(cols, i);
}

/* Rows of a table, collected. */
typedef struct {
    GPtrArray *rows;
} Collect;

static gboolean
collect_row(const SimTablesCell *cells, guint n, gpointer data,
            GError **error)
{
    Collect *c = data;
    SimTablesCell *copy = g_new0(SimTablesCell, n + 1);
    for (guint k = 0; k < n; k++) {
        copy[k] = cells[k];
        copy[k].text = g_strdup(cells[k].text);
    }
    copy[n].type = -1;
    g_ptr_array_add(c->rows, copy);
    return TRUE;
}

static void
cells_free(gpointer p)
{
    SimTablesCell *c = p;
    for (guint k = 0; c[k].type != (SimTablesType)-1; k++)
        g_free((char *)c[k].text);
    g_free(c);
}

static GPtrArray *
rows_of(SimTables *t, const char *table)
{
    Collect c = { g_ptr_array_new_with_free_func(cells_free) };
    g_autoptr(GError) error = NULL;
    g_assert_true(sim_tables_foreach(t, table, collect_row, &c, &error));
    g_assert_no_error(error);
    return c.rows;
}

#define CELL(rows, r, k) (((SimTablesCell *)g_ptr_array_index(rows, r))[k])

static void
test_types(void)
{
    g_autofree char *dir = make_folder();
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTables) t = sim_tables_open(dir, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(sim_tables_layout(t), ==, "compare");
    g_assert_cmpuint(sim_tables_n_runs(t), ==, 2);
    g_autoptr(GPtrArray) cols = sim_tables_columns(t, "runs", &error);
    const char *names[] = { "run", "topology", "strategy", "seed",
                            "protocol", "calls.completed",
                            "latency.setup_ms.p95", "new.metric" };
    const SimTablesType types[] = { SIM_TABLES_INTEGER, SIM_TABLES_TEXT,
                                    SIM_TABLES_TEXT, SIM_TABLES_INTEGER,
                                    SIM_TABLES_TEXT, SIM_TABLES_INTEGER,
                                    SIM_TABLES_REAL, SIM_TABLES_INTEGER };
    g_assert_cmpuint(cols->len, ==, G_N_ELEMENTS(names));
    for (guint i = 0; i < cols->len; i++) {
        g_assert_cmpstr(column(cols, i)->name, ==, names[i]);
        g_assert_cmpint(column(cols, i)->type, ==, types[i]);
    }
    g_autoptr(GPtrArray) rows = rows_of(t, "runs");
    g_assert_cmpuint(rows->len, ==, 2);
    g_assert_cmpint(CELL(rows, 1, 0).i, ==, 2);
    /* 2^64 - 1 does not fit SQLite's integers: a REAL, its text kept. */
    g_assert_cmpint(CELL(rows, 1, 3).type, ==, SIM_TABLES_REAL);
    g_assert_cmpfloat(CELL(rows, 1, 3).d, ==, 18446744073709551615.0);
    g_assert_cmpstr(CELL(rows, 1, 3).text, ==, BIG_SEED);
    g_assert_true(CELL(rows, 1, 6).null);
    g_assert_cmpfloat(CELL(rows, 0, 6).d, ==, 12.5);
    g_assert_cmpint(CELL(rows, 0, 7).i, ==, 3);
    rm_rf(dir);
}

static void
test_meta(void)
{
    g_autofree char *dir = make_folder();
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTables) t = sim_tables_open(dir, &error);
    g_assert_no_error(error);
    g_autoptr(GPtrArray) rows = rows_of(t, "meta");
    /* Columns: run strategy seed key value. */
    const char *want[][2] = {
        { "layout", "compare" },
        { "program", "sipreuse" },
        { "warnings", "a \"q\"\n" },
        { "warnings", "\xc3\xa9 \xf0\x9f\x98\x80 /\\" },
        { "nested", "{\"a\": [1, 2]}" },
        { "pki_verify_time", NULL },
        { "timing", "false" },
        { "duration_s", "3.000000" },
        { "fingerprint", "sha256:ab" },
        { "revision", "src:cd" },
    };
    g_assert_cmpuint(rows->len, ==, 1 + 2 * (G_N_ELEMENTS(want) - 1));
    for (guint r = 0; r < G_N_ELEMENTS(want); r++) {
        g_assert_cmpstr(CELL(rows, r, 3).text, ==, want[r][0]);
        g_assert_cmpstr(CELL(rows, r, 4).text, ==, want[r][1]);
        g_assert_cmpint(CELL(rows, r, 4).null, ==, want[r][1] == NULL);
    }
    g_assert_true(CELL(rows, 0, 0).null);
    g_assert_cmpint(CELL(rows, 1, 0).i, ==, 1);
    g_assert_cmpstr(CELL(rows, 1, 1).text, ==, "s");
    rm_rf(dir);
}

/* A summary.json nested a million levels deep (a hostile results folder)
 * is refused as malformed instead of exhausting the stack. */
static void
test_meta_deep(void)
{
    g_autofree char *dir = make_folder();
    g_autoptr(GString) deep = g_string_new("{\"a\": ");
    for (guint i = 0; i < 1000000; i++)
        g_string_append_c(deep, '[');
    g_string_append(deep, ", \"meta\": {}}\n");
    g_autofree char *d = g_build_filename(dir, "s-seed1", NULL);
    put(d, "summary.json", deep->str);
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTables) t = sim_tables_open(dir, &error);
    g_assert_no_error(error);
    g_autoptr(GPtrArray) cols = sim_tables_columns(t, "meta", &error);
    if (cols) {
        Collect c = { g_ptr_array_new_with_free_func(cells_free) };
        g_assert_false(sim_tables_foreach(t, "meta", collect_row, &c,
                                          &error));
        g_ptr_array_unref(c.rows);
    }
    g_assert_error(error, SIM_TABLES_ERROR, SIM_TABLES_ERROR_PARSE);
    rm_rf(dir);
}

static void
test_missing_files(void)
{
    g_autofree char *dir = make_folder();
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTables) t = sim_tables_open(dir, &error);
    /* No run has pairs.tsv (an older folder): identity columns, no rows. */
    g_autoptr(GPtrArray) cols = sim_tables_columns(t, "pairs", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(cols->len, ==, 3);
    g_autoptr(GPtrArray) rows = rows_of(t, "pairs");
    g_assert_cmpuint(rows->len, ==, 0);
    /* One run without timeseries.tsv: damaged, named. */
    g_autofree char *ts = g_build_filename(dir, "s-seed1", "timeseries.tsv",
                                           NULL);
    g_assert_cmpint(g_unlink(ts), ==, 0);
    g_autoptr(SimTables) t2 = sim_tables_open(dir, &error);
    g_assert_null(sim_tables_columns(t2, "timeseries", &error));
    g_assert_error(error, SIM_TABLES_ERROR, SIM_TABLES_ERROR_PARSE);
    g_assert_nonnull(strstr(error->message, "s-seed1"));
    g_clear_error(&error);
    g_assert_null(sim_tables_columns(t2, "hosts", &error));
    g_assert_error(error, SIM_TABLES_ERROR, SIM_TABLES_ERROR_TABLE);
    rm_rf(dir);
}

static void
test_csv(void)
{
    g_autofree char *dir = make_folder();
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTables) t = sim_tables_open(dir, &error);
    g_autofree char *csv = sim_tables_csv(t, "nodes", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(csv, ==,
                    "run,strategy,seed,node,cpu.util,handshakes\r\n"
                    "1,s,1,\"a,\"\"b\"\"\",,7\r\n"
                    "1,s,1,c,0.250000,0\r\n"
                    "2,s," BIG_SEED ",\"a,\"\"b\"\"\",,7\r\n"
                    "2,s," BIG_SEED ",c,0.250000,0\r\n");
    rm_rf(dir);
}

static gint64
db_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &st, NULL), ==,
                    SQLITE_OK);
    g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
    gint64 v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void
test_write(void)
{
    g_autofree char *dir = make_folder();
    g_autoptr(GError) error = NULL;
    g_assert_true(sim_sqlite_write_dir(dir, &error));
    g_assert_no_error(error);
    g_autofree char *path = g_build_filename(dir, SIM_SQLITE_FILE, NULL);
    g_autofree char *first = NULL;
    gsize n1 = 0, n2 = 0;
    g_assert_true(g_file_get_contents(path, &first, &n1, NULL));
    sqlite3 *db = NULL;
    g_assert_cmpint(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                    ==, SQLITE_OK);
    g_assert_cmpint(db_int(db, "PRAGMA user_version"), ==,
                    SIM_SQLITE_FORMAT);
    g_assert_cmpint(db_int(db, "SELECT count(*) FROM runs WHERE "
                               "typeof(seed) = 'real' AND run = 2"), ==, 1);
    g_assert_cmpint(db_int(db, "SELECT count(*) FROM runs WHERE "
                               "\"latency.setup_ms.p95\" IS NULL"), ==, 1);
    g_assert_cmpint(db_int(db, "SELECT count(*) FROM nodes WHERE "
                               "\"cpu.util\" IS NULL AND "
                               "node = 'a,\"b\"'"), ==, 2);
    g_assert_cmpint(db_int(db, "SELECT count(*) FROM pragma_table_info("
                               "'runs') WHERE name = 'new.metric' AND "
                               "type = 'INTEGER'"), ==, 1);
    g_assert_cmpint(db_int(db, "SELECT count(*) FROM pairs"), ==, 0);
    sqlite3_close(db);
    /* Written again: the same bytes, no temporary file left. */
    g_assert_true(sim_sqlite_write_dir(dir, &error));
    g_autofree char *second = NULL;
    g_assert_true(g_file_get_contents(path, &second, &n2, NULL));
    g_assert_cmpuint(n1, ==, n2);
    g_assert_true(memcmp(first, second, n1) == 0);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *e;
    while ((e = g_dir_read_name(d)))
        g_assert_false(g_str_has_prefix(e, SIM_SQLITE_FILE "."));
    rm_rf(dir);
}

/* Column names that differ only in case (as varied [node A] and [node a]
 * keys do, or a crafted "run" column) still make a database: later ones
 * get "~2" (SQL identifiers ignore case). */
static void
test_case_columns(void)
{
    g_autofree char *dir = make_folder();
    const char *head = "topology\tstrategy\tseed\tprotocol\tNew.Metric"
                       "\tnew.metric\tRUN\n";
    const char *rows[] = { "t\ts\t1\ttls\t1\t2\t7\n",
                           "t\ts\t" BIG_SEED "\ttls\t1\t2\t7\n" };
    const char *leaf[] = { "s-seed1", "s-seed" BIG_SEED };
    g_autofree char *runs = g_strconcat(head, rows[0], rows[1], NULL);
    put(dir, "runs.tsv", runs);
    for (guint i = 0; i < 2; i++) {
        g_autofree char *d = g_build_filename(dir, leaf[i], NULL);
        g_autofree char *own = g_strconcat(head, rows[i], NULL);
        put(d, "runs.tsv", own);
    }
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTables) t = sim_tables_open(dir, &error);
    g_assert_no_error(error);
    g_autoptr(GPtrArray) cols = sim_tables_columns(t, "runs", &error);
    g_assert_no_error(error);
    g_autoptr(GHashTable) seen =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint k = 0; k < cols->len; k++) {
        char *folded = g_ascii_strdown(column(cols, k)->name, -1);
        g_assert_false(g_hash_table_contains(seen, folded));
        g_hash_table_add(seen, folded);
    }
    g_assert_true(sim_sqlite_write_dir(dir, &error));
    g_assert_no_error(error);
    rm_rf(dir);
}

static void
test_not_results(void)
{
    g_autoptr(GError) error = NULL;
    char *dir = g_dir_make_tmp("test-sqlite-XXXXXX", NULL);
    g_autofree char *nope = g_build_filename(dir, "nope", NULL);
    g_assert_null(sim_tables_open(nope, &error));
    g_assert_error(error, SIM_TABLES_ERROR, SIM_TABLES_ERROR_NOT_RESULTS);
    g_clear_error(&error);
    g_assert_null(sim_tables_open(dir, &error));
    g_assert_error(error, SIM_TABLES_ERROR, SIM_TABLES_ERROR_NOT_RESULTS);
    g_clear_error(&error);
    put(dir, "aggregate.tsv", "strategy\tn\n");
    put(dir, "runs.tsv", "a\tb\n1\t2\n");
    g_assert_null(sim_tables_open(dir, &error));
    g_assert_error(error, SIM_TABLES_ERROR, SIM_TABLES_ERROR_NOT_RESULTS);
    g_clear_error(&error);
    put(dir, "runs.tsv", "topology\tstrategy\tseed\nt\ts\n");
    g_assert_null(sim_tables_open(dir, &error));
    g_assert_error(error, SIM_TABLES_ERROR, SIM_TABLES_ERROR_PARSE);
    g_assert_nonnull(strstr(error->message, "runs.tsv:2"));
    g_clear_error(&error);
    put(dir, "runs.tsv", "topology\tstrategy\tseed\nt\t../x\t1\n");
    g_assert_null(sim_tables_open(dir, &error));
    g_assert_error(error, SIM_TABLES_ERROR, SIM_TABLES_ERROR_PARSE);
    rm_rf(dir);
    g_free(dir);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("results tables read back typed; summary.json meta; "
                   "missing files; CSV quoting; results.sqlite written "
                   "the same twice; not a results folder");
    g_test_add_func("/sqlite/tables/types", test_types);
    g_test_add_func("/sqlite/tables/meta", test_meta);
    g_test_add_func("/sqlite/tables/meta-deep", test_meta_deep);
    g_test_add_func("/sqlite/tables/missing-files", test_missing_files);
    g_test_add_func("/sqlite/tables/csv", test_csv);
    g_test_add_func("/sqlite/write", test_write);
    g_test_add_func("/sqlite/not-results", test_not_results);
    g_test_add_func("/sqlite/case-columns", test_case_columns);
    return g_test_run();
}
