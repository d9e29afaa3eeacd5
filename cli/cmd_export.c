/* SPDX-License-Identifier: MIT */
/*
 * `sipreuse export RESULTS_DIR --format csv|sqlite|json`: a results
 * folder's tables (run/tables.h) in another format.  csv writes one table
 * (--table, default runs) as RFC 4180 CSV; json writes every table (or the
 * one --table names) as one JSON object; sqlite (re)builds the folder's
 * results.sqlite from its TSVs, so folders written before the database
 * existed can be converted, holding the folder's lock while it writes
 * there.  Output goes to --out (written atomically: a temporary file
 * renamed into place) or, for csv and json, to stdout.  Exit 2 for bad
 * input (options, a missing folder, one that is not a results folder or
 * whose files are malformed), 1 when writing fails.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/input.h"
#include "run/out.h"
#include "run/sqlite.h"
#include "run/tables.h"

/* The parsed command line. */
typedef struct {
    char *format;
    char *table;
    char *out;
} ExportArgs;

/* 2 for what the user can fix (the folder, its files), 1 otherwise. */
static int
export_status(const GError *error)
{
    if (error->domain == SIM_TABLES_ERROR || error->domain == SIM_INPUT_ERROR)
        return SIM_EXIT_USAGE;
    return SIM_EXIT_FAILURE;
}

static int
export_fail(const GError *error)
{
    sim_cli_error("export", "%s", error->message);
    return export_status(error);
}

/* --out must name a file in an existing folder. */
static int
export_check_out(const char *out)
{
    if (g_file_test(out, G_FILE_TEST_IS_DIR))
        return sim_cli_usage_error("export", "--out %s: expected a file "
                                   "name, found a folder", out);
    g_autofree char *parent = g_path_get_dirname(out);
    if (!g_file_test(parent, G_FILE_TEST_IS_DIR))
        return sim_cli_usage_error("export", "--out %s: the folder %s does "
                                   "not exist", out, parent);
    g_autoptr(GError) error = NULL;
    if (!sim_input_check_output(out, &error))
        return sim_cli_usage_error("export", "--out %s", error->message);
    return 0;
}

/* An --out inside the folder read would overwrite (or add to) its own
 * input: refused, except the folder's own results.sqlite with --format
 * sqlite (its default target).  Both are compared resolved (realpath), so
 * "d/../d/x" and symlinked folders count; @out's folder exists (checked
 * before). */
static int
export_check_inside(const char *dir, const char *out, const char *format)
{
    g_autofree char *rdir = realpath(dir, NULL);
    g_autofree char *parent = g_path_get_dirname(out);
    g_autofree char *rparent = realpath(parent, NULL);
    if (!rdir || !rparent)
        return SIM_EXIT_OK; /* reading or writing reports it */
    gsize n = strlen(rdir);
    gboolean inside = g_str_equal(rparent, rdir) ||
                      (g_str_has_prefix(rparent, rdir) &&
                       (rparent[n] == '/' || g_str_equal(rdir, "/")));
    if (!inside)
        return SIM_EXIT_OK;
    g_autofree char *base = g_path_get_basename(out);
    if (g_str_equal(format, "sqlite") && g_str_equal(rparent, rdir) &&
        g_str_equal(base, SIM_SQLITE_FILE))
        return SIM_EXIT_OK;
    return sim_cli_usage_error("export", "--out %s lies inside the results "
                               "folder %s it reads; write it elsewhere (only "
                               "--format sqlite may write the folder's own "
                               SIM_SQLITE_FILE ", its default)", out, dir);
}

static int
export_sqlite(SimTables *t, const char *dir, const ExportArgs *a)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SimLock) lock = NULL;
    g_autofree char *path = a->out ? g_strdup(a->out)
                                   : g_build_filename(dir, SIM_SQLITE_FILE,
                                                      NULL);
    int rc;
    /* Writing into the folder (by default or an --out naming its own
     * results.sqlite): as its one writer. */
    g_autofree char *rdir = realpath(dir, NULL);
    g_autofree char *parent = a->out ? g_path_get_dirname(a->out) : NULL;
    g_autofree char *rparent = parent ? realpath(parent, NULL) : NULL;
    gboolean into = !a->out || (rdir && rparent && g_str_equal(rdir, rparent));
    if (into && (rc = sim_cli_lock("export", dir, &lock)))
        return rc;
    if (!sim_sqlite_write(t, path, &error))
        return export_fail(error);
    return SIM_EXIT_OK;
}

static int
export_text(SimTables *t, const ExportArgs *a)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;
    if (g_str_equal(a->format, "csv")) {
        text = sim_tables_csv(t, a->table ? a->table : "runs", &error);
    } else {
        const char *one[] = { a->table, NULL };
        text = sim_tables_json(t, a->table ? one : NULL, &error);
    }
    if (!text)
        return export_fail(error);
    if (a->out) {
        if (!sim_out_write_file(a->out, text, &error)) {
            sim_cli_error("export", "%s", error->message);
            return SIM_EXIT_FAILURE;
        }
        return SIM_EXIT_OK;
    }
    fputs(text, stdout);
    if (fflush(stdout) != 0) {
        sim_cli_error("export", "cannot write to the standard output: %s",
                      g_strerror(errno));
        return SIM_EXIT_FAILURE;
    }
    return SIM_EXIT_OK;
}

static int
export_main(const char *dir, const ExportArgs *a)
{
    int rc;
    if (a->out && ((rc = export_check_out(a->out)) ||
                   (rc = export_check_inside(dir, a->out, a->format))))
        return rc;
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTables) t = sim_tables_open(dir, &error);
    if (!t)
        return export_fail(error);
    if (g_str_equal(a->format, "sqlite"))
        return export_sqlite(t, dir, a);
    return export_text(t, a);
}

/* Checks the options; returns the exit status (0: go). */
static int
export_check_args(const ExportArgs *a)
{
    static const char *const formats[] = { "csv", "sqlite", "json", NULL };
    if (!a->format)
        return sim_cli_usage_error("export", "expected --format csv, "
                                   "sqlite or json");
    if (!g_strv_contains(formats, a->format))
        return sim_cli_usage_error("export", "--format must be csv, sqlite "
                                   "or json, not '%s'", a->format);
    if (a->table && g_str_equal(a->format, "sqlite"))
        return sim_cli_usage_error("export", "--table applies to csv and "
                                   "json; the database holds every table");
    if (a->table && !sim_tables_known(a->table)) {
        g_autofree char *names =
            g_strjoinv(", ", (char **)sim_tables_names());
        return sim_cli_usage_error("export", "--table: unknown table '%s'; "
                                   "expected one of %s", a->table, names);
    }
    return 0;
}

/**
 * sim_cmd_export:
 * @argc: argument count
 * @argv: arguments; argv[0] is "export"
 *
 * Returns: the exit status.
 */
int
sim_cmd_export(int argc, char **argv)
{
    ExportArgs a = { 0 };
    const GOptionEntry entries[] = {
        { "format", 0, 0, G_OPTION_ARG_STRING, &a.format,
          "csv (one table, default runs), json (every table) or sqlite "
          "(rebuild results.sqlite from the folder's TSVs)", "FMT" },
        { "table", 0, 0, G_OPTION_ARG_STRING, &a.table,
          "With csv or json: the table to write: runs, nodes, pairs, "
          "timeseries, latency or meta", "NAME" },
        { "out", 0, 0, G_OPTION_ARG_FILENAME, &a.out,
          "Write to FILE, atomically, outside RESULTS_DIR (default: stdout "
          "for csv and json, RESULTS_DIR/results.sqlite for sqlite)",
          "FILE" },
        G_OPTION_ENTRY_NULL
    };
    GOptionContext *ctx = sim_cli_context("export", entries);
    g_option_context_set_description(
        ctx,
        "Tables: runs (one row per run: runs.tsv, led by a run number), "
        "nodes, pairs,\ntimeseries and latency (every run's file of that "
        "name, each row led by the\nrun's number, varied keys, strategy "
        "and seed), meta (summary.json's meta and the\ncompletion marker's "
        "revision and fingerprint, as key and value). A varied key\nwhose "
        "values carry a unit is a number in that unit, named with it "
        "(link.delay =\n10ms is link.delay_ms = 10; rates _per_s, "
        "bandwidths _Mbps); nan is null (an\nempty CSV field, JSON null, SQL "
        "NULL).\n");
    int rc = sim_cli_parse(ctx, &argc, &argv);
    if (!rc && argc != 2)
        rc = sim_cli_usage_error("export", "expected one RESULTS_DIR");
    if (!rc)
        rc = export_check_args(&a);
    if (!rc)
        rc = export_main(argv[1], &a);
    g_free(a.format);
    g_free(a.table);
    g_free(a.out);
    return rc;
}
