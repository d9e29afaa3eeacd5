/* SPDX-License-Identifier: MIT */
/*
 * The SQLite result store (run/sqlite.h).  One table per results table,
 * columns declared INTEGER, REAL or TEXT as run/tables.c types them, a
 * null for every value the TSVs write as nan; the per-run tables get an
 * index on their run column.  The database is built in memory in one
 * transaction and its image (sqlite3_serialize) written to a temporary
 * file beside the final name, synced and renamed over it, so a reader sees
 * the old database or the new one, and an interrupted write leaves
 * results.sqlite.XXXXXX, which sim_out_clean_temps() removes.  Nothing in
 * it depends on the clock or the path: the page size is fixed and rows
 * come in table order.
 */
#define G_LOG_DOMAIN "sim-sqlite"

#include "run/sqlite.h"

#include <sqlite3.h>

G_DEFINE_QUARK(sim-sqlite-error-quark, sim_sqlite_error)

/* What the row callback needs. */
typedef struct {
    sqlite3 *db;
    sqlite3_stmt *insert;
    const char *path;
} SqliteOut;

static gboolean
sq_fail(sqlite3 *db, const char *path, const char *what, GError **error)
{
    g_set_error(error, SIM_SQLITE_ERROR, SIM_SQLITE_ERROR_FAILED,
                "%s: %s: %s", path, what,
                db ? sqlite3_errmsg(db) : "cannot open");
    return FALSE;
}

static gboolean
sq_exec(sqlite3 *db, const char *path, const char *sql, GError **error)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
        return TRUE;
    return sq_fail(db, path, sql, error);
}

/* @name as an SQL identifier: in double quotes, quotes doubled. */
static void
sq_ident(GString *s, const char *name)
{
    g_string_append_c(s, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            g_string_append_c(s, '"');
        g_string_append_c(s, *p);
    }
    g_string_append_c(s, '"');
}

static const char *
sq_type(SimTablesType type)
{
    return type == SIM_TABLES_INTEGER ? "INTEGER"
           : type == SIM_TABLES_REAL  ? "REAL"
                                      : "TEXT";
}

static gboolean
sq_row(const SimTablesCell *cells, guint n, gpointer data, GError **error)
{
    SqliteOut *o = data;
    int rc = SQLITE_OK;
    for (guint k = 0; k < n && rc == SQLITE_OK; k++) {
        const SimTablesCell *c = &cells[k];
        int i = (int)k + 1;
        if (c->null)
            rc = sqlite3_bind_null(o->insert, i);
        else if (c->type == SIM_TABLES_INTEGER)
            rc = sqlite3_bind_int64(o->insert, i, c->i);
        else if (c->type == SIM_TABLES_REAL)
            rc = sqlite3_bind_double(o->insert, i, c->d);
        else
            rc = sqlite3_bind_text(o->insert, i, c->text, -1,
                                   SQLITE_TRANSIENT);
    }
    if (rc == SQLITE_OK && sqlite3_step(o->insert) != SQLITE_DONE)
        rc = SQLITE_ERROR;
    sqlite3_reset(o->insert);
    if (rc != SQLITE_OK)
        return sq_fail(o->db, o->path, "insert", error);
    return TRUE;
}

/* CREATE TABLE of @table's columns; the runs table's run is its key. */
static char *
sq_create_sql(const char *table, GPtrArray *cols)
{
    GString *s = g_string_new("CREATE TABLE ");
    sq_ident(s, table);
    g_string_append(s, " (");
    for (guint k = 0; k < cols->len; k++) {
        SimTablesColumn *c = g_ptr_array_index(cols, k);
        if (k)
            g_string_append(s, ", ");
        sq_ident(s, c->name);
        g_string_append_printf(s, " %s", sq_type(c->type));
        if (k == 0 && g_str_equal(table, "runs"))
            g_string_append(s, " PRIMARY KEY");
    }
    g_string_append(s, ")");
    return g_string_free(s, FALSE);
}

/* Creates and fills table @table. */
static gboolean
sq_table(sqlite3 *db, SimTables *t, const char *table, const char *path,
         GError **error)
{
    g_autoptr(GPtrArray) cols = sim_tables_columns(t, table, error);
    if (!cols)
        return FALSE;
    g_autofree char *create = sq_create_sql(table, cols);
    if (!sq_exec(db, path, create, error))
        return FALSE;
    g_autoptr(GString) ins = g_string_new("INSERT INTO ");
    sq_ident(ins, table);
    g_string_append(ins, " VALUES (");
    for (guint k = 0; k < cols->len; k++)
        g_string_append(ins, k ? ", ?" : "?");
    g_string_append(ins, ")");
    SqliteOut o = { db, NULL, path };
    if (sqlite3_prepare_v2(db, ins->str, -1, &o.insert, NULL) != SQLITE_OK)
        return sq_fail(db, path, ins->str, error);
    gboolean ok = sim_tables_foreach(t, table, sq_row, &o, error);
    sqlite3_finalize(o.insert);
    if (!ok || g_str_equal(table, "runs"))
        return ok;
    g_autoptr(GString) idx = g_string_new("CREATE INDEX ");
    g_autofree char *idx_name = g_strconcat(table, "_run", NULL);
    sq_ident(idx, idx_name);
    g_string_append(idx, " ON ");
    sq_ident(idx, table);
    g_string_append(idx, " (\"run\")");
    return sq_exec(db, path, idx->str, error);
}

/* Fills the database @db (new and empty). */
static gboolean
sq_fill(sqlite3 *db, SimTables *t, const char *path, GError **error)
{
    g_autofree char *pragmas = g_strdup_printf(
        "PRAGMA page_size = 4096; PRAGMA encoding = 'UTF-8'; BEGIN; "
        "PRAGMA user_version = %d", SIM_SQLITE_FORMAT);
    if (!sq_exec(db, path, pragmas, error))
        return FALSE;
    for (const char *const *n = sim_tables_names(); *n; n++)
        if (!sq_table(db, t, *n, path, error))
            return FALSE;
    return sq_exec(db, path, "COMMIT", error);
}

/**
 * sim_sqlite_write:
 * @t: an opened results folder
 * @path: the database to write (replaced if it exists)
 * @error: return location for a GError: %SIM_TABLES_ERROR for a folder
 *   whose files are malformed, %SIM_SQLITE_ERROR when writing fails
 *
 * Writes every table of @t into a new SQLite database at @path (PRAGMA
 * user_version %SIM_SQLITE_FORMAT).  The database is built in memory and
 * its image written like every result file (sim_out_write_file(): a
 * temporary file beside @path renamed over it), since SQLite cannot open
 * every path the kernel can (it refuses paths over 512 bytes).
 *
 * Returns: TRUE on success; on failure @path is untouched.
 */
gboolean
sim_sqlite_write(SimTables *t, const char *path, GError **error)
{
    g_return_val_if_fail(t && path, FALSE);
    sqlite3 *db = NULL;
    gboolean ok;
    if (sqlite3_open_v2(":memory:", &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        NULL) != SQLITE_OK)
        ok = sq_fail(db, path, "open", error);
    else
        ok = sq_fill(db, t, path, error);
    sqlite3_int64 size = 0;
    unsigned char *image = ok ? sqlite3_serialize(db, "main", &size, 0)
                              : NULL;
    if (ok && !image)
        ok = sq_fail(db, path, "serialize", error);
    sqlite3_close(db);
    if (ok && !g_file_set_contents_full(path, (const char *)image,
                                        (gssize)size,
                                        G_FILE_SET_CONTENTS_CONSISTENT,
                                        0644, error))
        ok = FALSE;
    sqlite3_free(image);
    return ok;
}

/**
 * sim_sqlite_write_dir:
 * @dir: a results folder whose TSVs are written (the caller holds its
 *   lock)
 * @error: return location for a GError
 *
 * Writes @dir/results.sqlite from @dir's TSVs.
 *
 * Returns: TRUE on success.
 */
gboolean
sim_sqlite_write_dir(const char *dir, GError **error)
{
    g_autoptr(SimTables) t = sim_tables_open(dir, error);
    if (!t)
        return FALSE;
    g_autofree char *path = g_build_filename(dir, SIM_SQLITE_FILE, NULL);
    return sim_sqlite_write(t, path, error);
}

/**
 * sim_sqlite_library_version:
 *
 * Returns: (transfer none): the version of the SQLite library in use
 *   (the database's bytes depend on it).
 */
const char *
sim_sqlite_library_version(void)
{
    return sqlite3_libversion();
}
