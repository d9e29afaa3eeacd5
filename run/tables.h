/* SPDX-License-Identifier: MIT */
/*
 * A results folder (a run's, a compare's or a sweep's) read back as typed
 * tables: runs (the folder's runs.tsv), nodes, pairs, timeseries and
 * latency (every run folder's TSV of that name, each row led by the run's
 * identifying columns) and meta (summary.json "meta" and the completion
 * marker's revision and fingerprint, per run).  Columns are INTEGER, REAL
 * or TEXT; "nan" reads as null; a varied key whose values carry a unit
 * (`link.delay = 10ms`) becomes a REAL column named with its unit
 * (`link.delay_ms` = 10).  The SQLite writer (run/sqlite.c) and `sipreuse
 * export` read a folder through this module only, so that the database,
 * the CSV and the JSON of one folder always hold the same rows.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SIM_TABLES_ERROR (sim_tables_error_quark())
GQuark sim_tables_error_quark(void);

typedef enum {
    /* The folder is not a results folder (no runs.tsv, no layout). */
    SIM_TABLES_ERROR_NOT_RESULTS,
    /* A results file does not have the expected shape (file and line
     * named). */
    SIM_TABLES_ERROR_PARSE,
    /* An unknown table name. */
    SIM_TABLES_ERROR_TABLE,
} SimTablesError;

/* The type of a column. */
typedef enum {
    SIM_TABLES_TEXT,
    SIM_TABLES_INTEGER,
    SIM_TABLES_REAL,
} SimTablesType;

/* One column of a table. */
typedef struct {
    /* Its name (a TSV key, with a unit suffix for a varied key that has
     * one). */
    char *name;
    SimTablesType type;
} SimTablesColumn;

/* One value of a row. */
typedef struct {
    /* No value (nan in a TSV, null in JSON, NULL in SQL). */
    gboolean null;
    /* The value's type: the column's, except for an integer above
     * G_MAXINT64 (only a seed can be), which is REAL. */
    SimTablesType type;
    gint64 i;
    double d;
    /* The value as text: as the TSV writes it, or printed for a value
     * read in a unit; NULL when null. */
    const char *text;
} SimTablesCell;

/* Called once per row, in table order; FALSE with @error set stops. */
typedef gboolean (*SimTablesRowFunc)(const SimTablesCell *cells, guint n,
                                     gpointer data, GError **error);

typedef struct SimTables SimTables;

/* Opening. */
SimTables *sim_tables_open(const char *dir, GError **error);
void sim_tables_free(SimTables *t);
const char *sim_tables_layout(const SimTables *t);
guint sim_tables_n_runs(const SimTables *t);

/* Tables. */
const char *const *sim_tables_names(void);
gboolean sim_tables_known(const char *table);
GPtrArray *sim_tables_columns(SimTables *t, const char *table,
                              GError **error);
gboolean sim_tables_foreach(SimTables *t, const char *table,
                            SimTablesRowFunc func, gpointer data,
                            GError **error);

/* Text formats. */
char *sim_tables_csv(SimTables *t, const char *table, GError **error);
char *sim_tables_json(SimTables *t, const char *const *tables,
                      GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimTables, sim_tables_free)

G_END_DECLS
