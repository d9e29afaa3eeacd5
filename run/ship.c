/* SPDX-License-Identifier: MIT */
/*
 * Jobs and finished runs as bytes (run/ship.h).  Every message is a flat
 * little-endian record: a four-byte kind tag, then fields as u32/u64
 * integers and length-prefixed strings (a NULL string is the length
 * 0xffffffff), so a truncated or foreign message is refused, never read
 * past its end.  A finished run carries the files of its folder sorted by
 * name with the completion marker last; the receiver writes them in that
 * order, each atomically, after removing any older marker, so a folder is
 * marked complete only once every file of the run is in place (the same
 * order sim_out_write_run() keeps).
 */
#define G_LOG_DOMAIN "sim-ship"

#include "run/ship.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "run/input.h"
#include "run/lock.h"

G_DEFINE_QUARK(sim-ship-error-quark, sim_ship_error)

#define SHIP_NULL 0xffffffffu
#define SHIP_TAG_JOB 0x4a504853u    /* "SHPJ" */
#define SHIP_TAG_RESULT 0x52504853u /* "SHPR" */
#define SHIP_TAG_DIR 0x44504853u    /* "SHPD" */
/* Files of a run folder that are read at most (a guard, not a limit any
 * run reaches: a run writes a handful). */
#define SHIP_MAX_FILES 4096u

/* ---- writing and reading fields ------------------------------------------ */

static void
put_u32(GByteArray *b, guint32 v)
{
    guint32 le = GUINT32_TO_LE(v);
    g_byte_array_append(b, (const guint8 *)&le, sizeof le);
}

static void
put_u64(GByteArray *b, guint64 v)
{
    guint64 le = GUINT64_TO_LE(v);
    g_byte_array_append(b, (const guint8 *)&le, sizeof le);
}

static void
put_mem(GByteArray *b, const void *data, gsize len)
{
    put_u64(b, len);
    g_byte_array_append(b, data, (guint)len);
}

static void
put_str(GByteArray *b, const char *s)
{
    if (!s) {
        put_u32(b, SHIP_NULL);
        return;
    }
    gsize len = strlen(s);
    put_u32(b, (guint32)len);
    g_byte_array_append(b, (const guint8 *)s, (guint)len);
}

static void
put_strv(GByteArray *b, char **v)
{
    if (!v) {
        put_u32(b, SHIP_NULL);
        return;
    }
    put_u32(b, g_strv_length(v));
    for (guint i = 0; v[i]; i++)
        put_str(b, v[i]);
}

/* A message being read: a failed read sets bad and reads nothing more. */
typedef struct {
    const guint8 *p;
    gsize left;
    gboolean bad;
} Reader;

static gboolean
get_raw(Reader *r, void *out, gsize len)
{
    if (r->bad || r->left < len) {
        r->bad = TRUE;
        return FALSE;
    }
    memcpy(out, r->p, len);
    r->p += len;
    r->left -= len;
    return TRUE;
}

static guint32
get_u32(Reader *r)
{
    guint32 le = 0;
    get_raw(r, &le, sizeof le);
    return GUINT32_FROM_LE(le);
}

static guint64
get_u64(Reader *r)
{
    guint64 le = 0;
    get_raw(r, &le, sizeof le);
    return GUINT64_FROM_LE(le);
}

/* A length-prefixed block (u64 length), NUL-terminated for convenience. */
static char *
get_mem(Reader *r, gsize *len)
{
    guint64 n = get_u64(r);
    if (r->bad || n > r->left) {
        r->bad = TRUE;
        return NULL;
    }
    char *s = g_malloc(n + 1);
    get_raw(r, s, n);
    s[n] = '\0';
    *len = n;
    return s;
}

static char *
get_str(Reader *r)
{
    guint32 n = get_u32(r);
    if (r->bad || n == SHIP_NULL)
        return NULL;
    if (n > r->left) {
        r->bad = TRUE;
        return NULL;
    }
    char *s = g_strndup((const char *)r->p, n);
    r->p += n;
    r->left -= n;
    if (strlen(s) != n)
        r->bad = TRUE;
    return s;
}

static char **
get_strv(Reader *r)
{
    guint32 n = get_u32(r);
    if (r->bad || n == SHIP_NULL)
        return NULL;
    if (n > r->left / 4) {
        r->bad = TRUE;
        return NULL;
    }
    char **v = g_new0(char *, n + 1);
    for (guint32 i = 0; i < n && !r->bad; i++)
        v[i] = get_str(r);
    for (guint32 i = 0; i < n; i++)
        if (!v[i])
            r->bad = TRUE;
    return v;
}

static void
reader_init(Reader *r, GBytes *msg)
{
    gsize len = 0;
    r->p = g_bytes_get_data(msg, &len);
    r->left = len;
    r->bad = FALSE;
}

static gboolean
reader_done(Reader *r, const char *what, GError **error)
{
    if (!r->bad && r->left == 0)
        return TRUE;
    g_set_error(error, SIM_SHIP_ERROR, SIM_SHIP_ERROR_FORMAT,
                "a malformed %s message (%s)", what,
                r->bad ? "truncated or inconsistent" : "trailing bytes");
    return FALSE;
}

/* ---- jobs --------------------------------------------------------------- */

/**
 * sim_ship_job_encode:
 * @index: the job's index in the sender's list
 * @job: the job; its topo_text and topo_path must be set
 * @opt: the batch's options (files_verify_time pinned)
 *
 * Returns: (transfer full): the job as a message.
 */
GBytes *
sim_ship_job_encode(guint index, const SimBatchJob *job,
                    const SimBatchOptions *opt)
{
    GByteArray *b = g_byte_array_new();
    put_u32(b, SHIP_TAG_JOB);
    put_u32(b, index);
    put_str(b, job->topo_path);
    put_mem(b, job->topo_text ? job->topo_text : "", job->topo_len);
    put_u32(b, job->topo_flags);
    put_str(b, job->strategy);
    put_u64(b, job->seed);
    put_strv(b, job->overrides);
    put_str(b, job->fingerprint);
    put_u32(b, opt->out.no_timing ? 1 : 0);
    put_u64(b, (guint64)opt->files_verify_time);
    return g_byte_array_free_to_bytes(b);
}

/**
 * sim_ship_job_decode:
 * @msg: a message of sim_ship_job_encode()
 * @error: return location for a GError
 *
 * Returns: (transfer full) (nullable): the job, or NULL with @error set.
 */
SimShipJob *
sim_ship_job_decode(GBytes *msg, GError **error)
{
    Reader r;
    reader_init(&r, msg);
    g_autoptr(SimShipJob) j = g_new0(SimShipJob, 1);
    if (get_u32(&r) != SHIP_TAG_JOB)
        r.bad = TRUE;
    j->index = get_u32(&r);
    j->topo_path = get_str(&r);
    j->topo_text = get_mem(&r, &j->topo_len);
    j->topo_flags = get_u32(&r);
    j->strategy = get_str(&r);
    j->seed = get_u64(&r);
    j->overrides = get_strv(&r);
    j->fingerprint = get_str(&r);
    j->no_timing = get_u32(&r) != 0;
    j->files_verify_time = (gint64)get_u64(&r);
    if (!j->topo_path || !j->topo_text || !j->strategy)
        r.bad = TRUE;
    if (!reader_done(&r, "job", error))
        return NULL;
    return g_steal_pointer(&j);
}

/**
 * sim_ship_job_free:
 * @job: (nullable): a received job
 */
void
sim_ship_job_free(SimShipJob *job)
{
    if (!job)
        return;
    g_free(job->topo_path);
    g_free(job->topo_text);
    g_free(job->strategy);
    g_strfreev(job->overrides);
    g_free(job->fingerprint);
    g_free(job);
}

/**
 * sim_ship_job_check:
 * @job: a received job
 * @topo: its topology as loaded by the receiver
 * @error: return location for a GError
 *
 * Computes the run's fingerprint as the receiver sees it (this program's
 * revision, the files the topology names as read here) and compares it
 * with the sender's, so that a rank of another build, or on a node where
 * the topology's files differ, refuses the job instead of writing results
 * that a later --resume would take for the sender's.
 *
 * Returns: TRUE if they agree (or the sender sent none).
 */
gboolean
sim_ship_job_check(const SimShipJob *job, const SimTopo *topo,
                   GError **error)
{
    if (!job->fingerprint)
        return TRUE;
    g_autofree char *files = sim_out_files_digest(topo);
    SimOutFingerprint fin = {
        .topo_text = job->topo_text,
        .topo_len = job->topo_len,
        .files_digest = files,
        .overrides = (const char *const *)job->overrides,
        .strategy = job->strategy,
        .seed = job->seed,
        .no_timing = job->no_timing,
    };
    g_autofree char *mine = sim_out_fingerprint(&fin);
    if (g_str_equal(mine, job->fingerprint))
        return TRUE;
    g_set_error(error, SIM_SHIP_ERROR, SIM_SHIP_ERROR_MISMATCH,
                "this rank computes another fingerprint for the run (its "
                "program is another build, revision %s, or the files the "
                "topology names differ on this host)",
                sim_out_revision());
    return FALSE;
}

/* ---- run folders ---------------------------------------------------------- */

/* TRUE for a file name a run folder may hold: no separator, not "." or
 * "..", not the lock file. */
static gboolean
ship_name_ok(const char *name)
{
    return *name && !strchr(name, '/') && !g_str_equal(name, ".") &&
           !g_str_equal(name, "..") && !g_str_equal(name, SIM_LOCK_FILE);
}

static gint
ship_name_cmp(gconstpointer a, gconstpointer b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    gboolean mx = g_str_equal(x, SIM_OUT_COMPLETE);
    gboolean my = g_str_equal(y, SIM_OUT_COMPLETE);
    if (mx != my)
        return mx ? 1 : -1;
    return strcmp(x, y);
}

/* The names the completion marker of @dir lists ("file NAME sha256:..."
 * lines), or NULL when it lists none: only those travel, so a stray or
 * planted file in a shard's run folder is not copied by a merge. */
static GHashTable *
ship_marker_files(const char *dir)
{
    g_autofree char *path = g_build_filename(dir, SIM_OUT_COMPLETE, NULL);
    g_autofree char *text = NULL;
    if (!sim_input_read_file(path, SIM_INPUT_MAX_EXPERIMENT, &text, NULL,
                             NULL))
        return NULL;
    GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                            NULL);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        g_auto(GStrv) f = g_strsplit(lines[i], " ", 3);
        if (g_strv_length(f) == 3 && g_str_equal(f[0], "file"))
            g_hash_table_add(set, g_strdup(f[1]));
    }
    if (!g_hash_table_size(set))
        g_clear_pointer(&set, g_hash_table_unref);
    return set;
}

/* The regular files of @dir that its marker lists, sorted, the completion
 * marker last (every regular file when there is no marker yet). */
static GPtrArray *
ship_dir_names(const char *dir, GError **error)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, error);
    if (!d)
        return NULL;
    g_autoptr(GHashTable) listed = ship_marker_files(dir);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        if (ship_name_ok(name) && names->len < SHIP_MAX_FILES &&
            (!listed || g_hash_table_contains(listed, name) ||
             g_str_equal(name, SIM_OUT_COMPLETE)) &&
            g_file_test(path, G_FILE_TEST_IS_REGULAR) &&
            !g_file_test(path, G_FILE_TEST_IS_SYMLINK))
            g_ptr_array_add(names, g_strdup(name));
    }
    g_ptr_array_sort(names, ship_name_cmp);
    return names;
}

static void
ship_dir_put(GByteArray *b, GPtrArray *names, char **contents, gsize *lens)
{
    put_u32(b, SHIP_TAG_DIR);
    put_u32(b, names->len);
    for (guint i = 0; i < names->len; i++) {
        put_str(b, g_ptr_array_index(names, i));
        put_mem(b, contents[i], lens[i]);
    }
}

/* Appends the packed folder @dir to @b. */
static gboolean
ship_dir_append(GByteArray *b, const char *dir, GError **error)
{
    g_autoptr(GPtrArray) names = ship_dir_names(dir, error);
    if (!names)
        return FALSE;
    g_autofree char **contents = g_new0(char *, names->len + 1);
    g_autofree gsize *lens = g_new0(gsize, names->len + 1);
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < names->len; i++) {
        g_autofree char *path = g_build_filename(
            dir, (const char *)g_ptr_array_index(names, i), NULL);
        /* Regular files of at most SIM_INPUT_MAX_RESULTS bytes. */
        ok = sim_input_read_file(path, SIM_INPUT_MAX_RESULTS, &contents[i],
                                 &lens[i], error);
    }
    if (ok)
        ship_dir_put(b, names, contents, lens);
    for (guint i = 0; i < names->len; i++)
        g_free(contents[i]);
    return ok;
}

/**
 * sim_ship_dir_pack:
 * @dir: a run folder
 * @error: return location for a GError
 *
 * Returns: (transfer full) (nullable): the bytes of every regular file of
 *   @dir (not its subfolders, not its lock file), the completion marker
 *   last, or NULL with @error set.
 */
GBytes *
sim_ship_dir_pack(const char *dir, GError **error)
{
    GByteArray *b = g_byte_array_new();
    if (!ship_dir_append(b, dir, error)) {
        g_byte_array_unref(b);
        return NULL;
    }
    return g_byte_array_free_to_bytes(b);
}

static gboolean
ship_write(const char *dir, const char *name, const char *data, gsize len,
           GError **error)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    return g_file_set_contents_full(path, data, (gssize)len,
                                    G_FILE_SET_CONTENTS_CONSISTENT |
                                        G_FILE_SET_CONTENTS_ONLY_EXISTING,
                                    0644, error);
}


/* Reads a packed folder from @r and writes it into @dir. */
static gboolean
ship_dir_read(Reader *r, const char *dir, GError **error)
{
    if (get_u32(r) != SHIP_TAG_DIR)
        r->bad = TRUE;
    guint32 n = get_u32(r);
    if (n > SHIP_MAX_FILES)
        r->bad = TRUE;
    if (r->bad)
        return reader_done(r, "run folder", error);
    if (!sim_out_begin_run_dir(dir, error))
        return FALSE;
    for (guint32 i = 0; i < n; i++) {
        g_autofree char *name = get_str(r);
        gsize len = 0;
        g_autofree char *data = get_mem(r, &len);
        if (r->bad || !name || !ship_name_ok(name) ||
            (g_str_equal(name, SIM_OUT_COMPLETE) && i + 1 != n)) {
            r->bad = TRUE;
            return reader_done(r, "run folder", error);
        }
        if (!ship_write(dir, name, data, len, error))
            return FALSE;
    }
    return TRUE;
}

/**
 * sim_ship_dir_unpack:
 * @packed: bytes of sim_ship_dir_pack()
 * @dir: the folder to write (created with its parents)
 * @error: return location for a GError
 *
 * Writes every file of @packed into @dir, each atomically, the completion
 * marker last, after removing @dir's older marker and leftover temporary
 * files.
 *
 * Returns: TRUE on success.
 */
gboolean
sim_ship_dir_unpack(GBytes *packed, const char *dir, GError **error)
{
    Reader r;
    reader_init(&r, packed);
    return ship_dir_read(&r, dir, error) &&
           reader_done(&r, "run folder", error);
}

/**
 * sim_ship_dir_remove:
 * @dir: a scratch run folder
 *
 * Removes the regular files of @dir and @dir itself (best effort: a
 * scratch folder left behind is harmless).
 */
void
sim_ship_dir_remove(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        if (!g_file_test(path, G_FILE_TEST_IS_DIR))
            g_unlink(path);
    }
    g_rmdir(dir);
}

/* ---- finished runs ------------------------------------------------------- */

/**
 * sim_ship_result_encode:
 * @index: the job's index in the sender's list (sim_ship_job_decode())
 * @job: the finished job; on success its folder holds the run
 *
 * Returns: (transfer full): the outcome: the runs.tsv row and the bytes
 *   of every file of the run's folder, or the job's error (domain, code,
 *   message); a folder that cannot be read becomes the error.
 */
GBytes *
sim_ship_result_encode(guint index, const SimBatchJob *job)
{
    GByteArray *b = g_byte_array_new();
    g_autoptr(GError) error = NULL;
    const GError *fail = job->error;
    if (job->row && !fail) {
        GByteArray *files = g_byte_array_new();
        if (ship_dir_append(files, job->dir, &error)) {
            put_u32(b, SHIP_TAG_RESULT);
            put_u32(b, index);
            put_u32(b, 1);
            put_strv(b, job->row);
            g_byte_array_append(b, files->data, files->len);
            g_byte_array_unref(files);
            return g_byte_array_free_to_bytes(b);
        }
        g_byte_array_unref(files);
        fail = error;
    }
    put_u32(b, SHIP_TAG_RESULT);
    put_u32(b, index);
    put_u32(b, 0);
    put_str(b, fail ? g_quark_to_string(fail->domain) : "sim-ship-error");
    put_u32(b, fail ? (guint32)fail->code : 0);
    put_str(b, fail ? fail->message : "the run gave neither row nor error");
    return g_byte_array_free_to_bytes(b);
}

/**
 * sim_ship_result_index:
 * @msg: a message of sim_ship_result_encode()
 * @index: (out): the job's index
 * @error: return location for a GError
 *
 * Returns: TRUE if @msg starts like a result (its index is then set).
 */
gboolean
sim_ship_result_index(GBytes *msg, guint *index, GError **error)
{
    Reader r;
    reader_init(&r, msg);
    if (get_u32(&r) != SHIP_TAG_RESULT)
        r.bad = TRUE;
    *index = get_u32(&r);
    if (!r.bad)
        return TRUE;
    return reader_done(&r, "result", error);
}

/**
 * sim_ship_result_apply:
 * @msg: a message of sim_ship_result_encode()
 * @job: the job it answers (its dir is where the run's files go)
 * @error: return location for a GError (a malformed message)
 *
 * Fills @job as if it had run here: writes the run's files into job->dir
 * (the completion marker last) and sets job->row, or sets job->error to
 * the sender's error (same domain, code and message, so the exit status
 * and the report are those of a local failure).  A folder that cannot be
 * written also becomes job->error.
 *
 * Returns: FALSE only for a malformed message.
 */
gboolean
sim_ship_result_apply(GBytes *msg, SimBatchJob *job, GError **error)
{
    Reader r;
    reader_init(&r, msg);
    if (get_u32(&r) != SHIP_TAG_RESULT)
        r.bad = TRUE;
    (void)get_u32(&r);
    guint32 ok = get_u32(&r);
    if (r.bad)
        return reader_done(&r, "result", error);
    if (!ok) {
        g_autofree char *domain = get_str(&r);
        gint code = (gint)get_u32(&r);
        g_autofree char *message = get_str(&r);
        if (!domain || !message)
            r.bad = TRUE;
        if (!reader_done(&r, "result", error))
            return FALSE;
        g_clear_error(&job->error);
        job->error = g_error_new_literal(g_quark_from_string(domain), code,
                                         message);
        return TRUE;
    }
    g_auto(GStrv) row = get_strv(&r);
    GError *werr = NULL;
    if (r.bad || !row)
        return reader_done(&r, "result", error);
    if (!ship_dir_read(&r, job->dir, &werr)) {
        if (r.bad) {
            g_clear_error(&werr);
            return reader_done(&r, "result", error);
        }
        g_clear_error(&job->error);
        job->error = werr;
        return TRUE;
    }
    if (!reader_done(&r, "result", error))
        return FALSE;
    g_strfreev(job->row);
    job->row = g_steal_pointer(&row);
    return TRUE;
}
