/* SPDX-License-Identifier: MIT */
/*
 * results.sqlite: a results folder's tables (run/tables.h: runs, nodes,
 * pairs, timeseries, latency, meta) in one SQLite database beside its
 * TSVs, built from those TSVs so that it holds exactly their rows.  The
 * file is built under a temporary name in the same folder and renamed
 * over the old one; its bytes depend only on the TSVs (and the SQLite
 * library's version), so equal folders give equal databases.
 */
#pragma once

#include <glib.h>

#include "run/tables.h"

G_BEGIN_DECLS

#define SIM_SQLITE_ERROR (sim_sqlite_error_quark())
GQuark sim_sqlite_error_quark(void);

typedef enum {
    /* SQLite or the file system refused (exit 1). */
    SIM_SQLITE_ERROR_FAILED,
} SimSqliteError;

/* The database's name in a results folder. */
#define SIM_SQLITE_FILE "results.sqlite"

/* The format's version, in the database's PRAGMA user_version. */
#define SIM_SQLITE_FORMAT 1

/* Writing. */
gboolean sim_sqlite_write(SimTables *t, const char *path, GError **error);
gboolean sim_sqlite_write_dir(const char *dir, GError **error);
const char *sim_sqlite_library_version(void);

G_END_DECLS
