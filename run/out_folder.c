/* SPDX-License-Identifier: MIT */
/*
 * Run folders on disk (DESIGN.md section 8): every result file written
 * atomically (a complete temporary file renamed over the name), a run
 * folder's completion marker written last with the SHA-256 of each file,
 * the leftovers of interrupted writes recognised and removed, and the
 * check that tells a complete, intact folder (reusable on resume) from a
 * stale or damaged one.  The formats themselves are run/out.c's.
 */
#define G_LOG_DOMAIN "sim-out"

#include "run/out.h"

#include "models/digest.h"
#include "run/input.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

/* Files. */

static gboolean
out_write_failed(const char *what, const char *path, const char *tmp,
                 int fd, GError **error)
{
    int e = errno;
    if (fd >= 0)
        close(fd);
    if (tmp)
        g_unlink(tmp);
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                "cannot %s %s: %s", what, path, g_strerror(e));
    return FALSE;
}

/* sim_out_write_file() for @len bytes; @fresh: @path is known not to
 * exist (a folder this process has just created), so there is no older
 * file to keep safe.  The rules are g_file_set_contents_full's in
 * CONSISTENT | ONLY_EXISTING mode: a temporary file PATH.XXXXXX (the name
 * sim_out_clean_temps() removes), flushed to disk with fsync(2) before the
 * rename only when it replaces a non-empty file (so that a crash cannot
 * lose both), and removed on failure.  Unlike GLib it does not
 * fallocate(2) the file, a system call per file that makes the file
 * system allocate a small file's blocks at once rather than at
 * write-back. */
static gboolean
out_write_atomic(const char *path, const char *data, gsize len,
                 gboolean fresh, GError **error)
{
    g_autofree char *tmp = g_strconcat(path, ".XXXXXX", NULL);
    int fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0)
        return out_write_failed("create a file beside", path, NULL, -1,
                                error);
    for (gsize done = 0; done < len;) {
        gssize n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return out_write_failed("write", path, tmp, fd, error);
        }
        done += (gsize)n;
    }
    gboolean sync = FALSE;
    if (!fresh) {
        GStatBuf st;
        if (g_lstat(path, &st) == 0)
            sync = st.st_size > 0;
        else
            sync = errno != ENOENT;
    }
    if (sync && fsync(fd) != 0)
        return out_write_failed("write", path, tmp, fd, error);
    if (close(fd) != 0)
        return out_write_failed("write", path, tmp, -1, error);
    if (g_rename(tmp, path) != 0)
        return out_write_failed("replace", path, tmp, -1, error);
    return TRUE;
}

/**
 * sim_out_write_file:
 * @path: file to replace
 * @contents: its new contents (a C string)
 * @error: return location for a GError
 *
 * Writes @contents to a temporary file beside @path and renames it over
 * @path: readers see the old file or the new one, never a mix, and a
 * failure leaves no temporary file behind.
 *
 * Returns: TRUE on success.
 */
gboolean
sim_out_write_file(const char *path, const char *contents, GError **error)
{
    return out_write_atomic(path, contents, strlen(contents), FALSE, error);
}

/* The files of a run folder, in the order they are written; the
 * completion marker, written last, lists each with its SHA-256. */
static const char *const out_run_files[] = {
    "summary.json", "runs.tsv", "nodes.tsv", "pairs.tsv", "timeseries.tsv",
    "latency.tsv", NULL,
};

/* Writes @contents (owned) to @dir/@name and appends "file NAME sha256:HEX"
 * to @marker.  @fresh: @dir was just created (out_write_atomic()). */
static gboolean
write_owned(const char *dir, const char *name, char *contents,
            gboolean fresh, GString *marker, GError **error)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autofree char *owned = contents;
    gsize len = strlen(owned);
    char hex[65];
    sim_sha256_hex(owned, len, hex);
    g_string_append_printf(marker, "file %s sha256:%s\n", name, hex);
    return out_write_atomic(path, owned, len, fresh, error);
}

/* sim_out_begin_run_dir(); *@fresh: TRUE if this call created @dir (then
 * empty: nothing to remove from it). */
static gboolean
out_begin_run_dir(const char *dir, gboolean *fresh, GError **error)
{
    *fresh = FALSE;
    if (g_mkdir(dir, 0755) == 0) {
        *fresh = TRUE;
        return TRUE;
    }
    if (errno == ENOENT) {
        g_autofree char *up = g_path_get_dirname(dir);
        if (g_mkdir_with_parents(up, 0755) == 0 && g_mkdir(dir, 0755) == 0) {
            *fresh = TRUE;
            return TRUE;
        }
    }
    g_autofree char *marker = g_build_filename(dir, SIM_OUT_COMPLETE, NULL);
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                    "cannot create %s: %s", dir, g_strerror(e));
        return FALSE;
    }
    if (g_unlink(marker) != 0 && errno != ENOENT) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                    "cannot remove %s: %s", marker, g_strerror(e));
        return FALSE;
    }
    sim_out_clean_temps(dir);
    return TRUE;
}

/**
 * sim_out_begin_run_dir:
 * @dir: a run folder
 * @error: return location for a #G_FILE_ERROR
 *
 * Makes @dir ready for a run's files: creates it, removes its completion
 * marker (the run is not complete while it is rewritten) and the
 * leftovers of interrupted writes.
 *
 * Returns: TRUE on success.
 */
gboolean
sim_out_begin_run_dir(const char *dir, GError **error)
{
    gboolean fresh;
    return out_begin_run_dir(dir, &fresh, error);
}

/**
 * sim_out_write_run:
 * @r: a run's result
 * @dir: the run's folder (created with its parents)
 * @opt: (nullable): options
 * @error: return location for a GError
 *
 * Writes summary.json, runs.tsv (header and one row), nodes.tsv,
 * pairs.tsv, timeseries.tsv and latency.tsv, then the completion marker, each
 * atomically.  An older marker is removed first, so a folder is marked
 * complete only when all its files belong to one run; leftovers of an
 * interrupted write (NAME.XXXXXX) are removed.  The marker records the
 * fingerprint, the program revision (sim_out_revision()) and the SHA-256
 * of every file, so that a later check (sim_out_run_check()) can tell a
 * complete folder from one whose files were lost or altered.
 *
 * Returns: TRUE on success.
 */
gboolean
sim_out_write_run(const SimRunResult *r, const char *dir,
                  const SimOutOptions *opt, GError **error)
{
    g_autofree char *marker = g_build_filename(dir, SIM_OUT_COMPLETE, NULL);
    gboolean fresh;
    if (!out_begin_run_dir(dir, &fresh, error))
        return FALSE;
    g_autofree char *header = sim_out_runs_header();
    g_autofree char *row = sim_out_runs_row(r, opt);
    g_autoptr(GString) done = g_string_new("complete\n");
    if (opt && opt->fingerprint)
        g_string_append_printf(done, "fingerprint %s\n", opt->fingerprint);
    g_string_append_printf(done, "revision %s\n", sim_out_revision());
    if (!write_owned(dir, "summary.json", sim_out_summary_json(r, opt),
                     fresh, done, error) ||
        !write_owned(dir, "runs.tsv", g_strconcat(header, row, NULL), fresh,
                     done, error) ||
        !write_owned(dir, "nodes.tsv", sim_out_nodes_tsv(r), fresh, done,
                     error) ||
        !write_owned(dir, "pairs.tsv", sim_out_pairs_tsv(r), fresh, done,
                     error) ||
        !write_owned(dir, "timeseries.tsv", sim_out_timeseries_tsv(r), fresh,
                     done, error) ||
        !write_owned(dir, "latency.tsv", sim_out_latency_tsv(r), fresh, done,
                     error))
        return FALSE;
    return out_write_atomic(marker, done->str, done->len, fresh, error);
}

/* ---- stale temporary files ---------------------------------------------- */

/* TRUE for NAME.XXXXXX, the temporary name g_file_set_contents_full gives a
 * file being written (six letters or digits), where NAME is a file the
 * writers of this program make. */
static gboolean
out_is_temp_name(const char *name)
{
    static const char *const exts[] = { ".tsv", ".json", ".exp", ".topo",
                                        ".dat", ".sqlite", NULL };
    gsize len = strlen(name);
    if (len < 8 || name[len - 7] != '.')
        return FALSE;
    for (gsize i = len - 6; i < len; i++)
        if (!g_ascii_isalnum(name[i]))
            return FALSE;
    g_autofree char *base = g_strndup(name, len - 7);
    if (g_str_equal(base, SIM_OUT_COMPLETE))
        return TRUE;
    for (guint i = 0; exts[i]; i++)
        if (g_str_has_suffix(base, exts[i]) && strlen(base) > strlen(exts[i]))
            return TRUE;
    return FALSE;
}

/**
 * sim_out_clean_temps:
 * @dir: a folder this program writes results into
 *
 * Removes the leftovers of interrupted atomic writes in @dir (not in its
 * subfolders): regular files named like "summary.json.XXXXXX".  Call it
 * only while holding the folder (the results-folder lock), when no write
 * can be under way.
 *
 * Returns: how many files were removed.
 */
guint
sim_out_clean_temps(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    guint n = 0;
    while (d && (name = g_dir_read_name(d))) {
        if (!out_is_temp_name(name))
            continue;
        g_autofree char *path = g_build_filename(dir, name, NULL);
        if (g_file_test(path, G_FILE_TEST_IS_REGULAR) &&
            !g_file_test(path, G_FILE_TEST_IS_SYMLINK) && g_unlink(path) == 0)
            n++;
    }
    return n;
}

/* The value of the first marker line "KEY VALUE", or NULL. */
static char *
marker_value(char **lines, const char *key)
{
    gsize k = strlen(key);
    for (guint i = 0; lines[i]; i++)
        if (g_str_has_prefix(lines[i], key) && lines[i][k] == ' ')
            return g_strstrip(g_strdup(lines[i] + k + 1));
    return NULL;
}

static char **
marker_lines(const char *dir)
{
    g_autofree char *marker = g_build_filename(dir, SIM_OUT_COMPLETE, NULL);
    g_autofree char *text = NULL;
    if (!sim_input_read_file(marker, 1 << 16, &text, NULL, NULL))
        return NULL;
    if (!g_str_has_prefix(text, "complete\n"))
        return NULL;
    return g_strsplit(text, "\n", -1);
}

/**
 * sim_out_run_fingerprint:
 * @dir: a run's folder
 *
 * Returns: (transfer full) (nullable): the fingerprint recorded in the
 *   folder's completion marker, or NULL (no marker, or a marker written
 *   without one).
 */
char *
sim_out_run_fingerprint(const char *dir)
{
    g_auto(GStrv) lines = marker_lines(dir);
    return lines ? marker_value(lines, "fingerprint") : NULL;
}

/**
 * sim_out_run_complete:
 * @dir: a run's folder
 *
 * Returns: TRUE if the folder has a completion marker (see
 *   sim_out_run_check() for whether its files agree with it).
 */
gboolean
sim_out_run_complete(const char *dir)
{
    g_autofree char *marker = g_build_filename(dir, SIM_OUT_COMPLETE, NULL);
    return g_file_test(marker, G_FILE_TEST_IS_REGULAR);
}

/* Every file the marker lists is there with its recorded SHA-256, and
 * every file a run folder holds is listed. */
static gboolean
out_check_files(const char *dir, char **lines, GError **error)
{
    for (guint f = 0; out_run_files[f]; f++) {
        g_autofree char *key = g_strdup_printf("file %s", out_run_files[f]);
        g_autofree char *want = marker_value(lines, key);
        g_autofree char *path = g_build_filename(dir, out_run_files[f], NULL);
        g_autofree char *text = NULL;
        gsize len = 0;
        g_autoptr(GError) io = NULL;
        if (!want) {
            g_set_error(error, SIM_OUT_ERROR, SIM_OUT_ERROR_PARSE,
                        "%s: the completion marker does not list %s (an "
                        "older format)", dir, out_run_files[f]);
            return FALSE;
        }
        if (!sim_input_read_file(path, SIM_INPUT_MAX_RESULTS, &text, &len,
                                 &io)) {
            g_set_error(error, SIM_OUT_ERROR, SIM_OUT_ERROR_PARSE,
                        "%s (a file the completion marker lists)",
                        io->message);
            return FALSE;
        }
        char hex[65];
        sim_sha256_hex(text, len, hex);
        if (!g_str_has_prefix(want, "sha256:") ||
            !g_str_equal(want + strlen("sha256:"), hex)) {
            g_set_error(error, SIM_OUT_ERROR, SIM_OUT_ERROR_PARSE,
                        "%s does not match its completion marker (changed "
                        "or damaged after it was written)", path);
            return FALSE;
        }
    }
    return TRUE;
}

/**
 * sim_out_run_check:
 * @dir: a run's folder
 * @fingerprint: (nullable): the fingerprint the run must have
 * @row: (out) (optional) (transfer full): with %SIM_OUT_RUN_OK, the
 *   runs.tsv row's fields
 * @revision: (out) (optional) (transfer full): the revision recorded in
 *   the marker (NULL if none)
 * @error: return location for why the folder is not usable
 *
 * Whether @dir holds a complete run of @fingerprint that can be reused as
 * it is: its completion marker exists and records @fingerprint, every file
 * the marker lists is present with the SHA-256 recorded there, and the
 * runs.tsv row parses, with a number wherever one is expected.
 *
 * Returns: %SIM_OUT_RUN_OK, %SIM_OUT_RUN_ABSENT (no marker: never
 *   finished), %SIM_OUT_RUN_STALE (complete, of another fingerprint or of
 *   none), or %SIM_OUT_RUN_DAMAGED (@error says what is wrong).
 */
SimOutRunState
sim_out_run_check(const char *dir, const char *fingerprint, char ***row,
                  char **revision, GError **error)
{
    if (row)
        *row = NULL;
    if (revision)
        *revision = NULL;
    if (!sim_out_run_complete(dir))
        return SIM_OUT_RUN_ABSENT;
    g_auto(GStrv) lines = marker_lines(dir);
    if (!lines) {
        g_set_error(error, SIM_OUT_ERROR, SIM_OUT_ERROR_PARSE,
                    "%s: unreadable completion marker", dir);
        return SIM_OUT_RUN_DAMAGED;
    }
    if (revision)
        *revision = marker_value(lines, "revision");
    g_autofree char *fp = marker_value(lines, "fingerprint");
    if (fingerprint && g_strcmp0(fp, fingerprint) != 0)
        return SIM_OUT_RUN_STALE;
    if (!out_check_files(dir, lines, error))
        return SIM_OUT_RUN_DAMAGED;
    char **fields = sim_out_read_run_row(dir, error);
    if (!fields)
        return SIM_OUT_RUN_DAMAGED;
    if (row)
        *row = fields;
    else
        g_strfreev(fields);
    return SIM_OUT_RUN_OK;
}
