/* SPDX-License-Identifier: MIT */
/*
 * Capped reads of input files.  The file is opened non-blocking (so that
 * opening a FIFO returns at once), checked with fstat on the open
 * descriptor (so that what is checked is what is read), and read with at
 * most max_bytes + 1 bytes asked for, so that a file that grows while it is
 * read, or a device that reports no size, still stops at the cap.
 */
#define G_LOG_DOMAIN "sim-input"

#include "run/input.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK(sim-input-error-quark, sim_input_error)

/**
 * sim_input_size_text:
 * @bytes: a size
 *
 * Returns: (transfer full): the size for messages: "512 bytes", "8 MiB",
 *   "1.5 GiB".
 */
char *
sim_input_size_text(guint64 bytes)
{
    static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB",
                                         "EiB" };
    if (bytes < 1024)
        return g_strdup_printf("%" G_GUINT64_FORMAT " bytes", bytes);
    double v = (double)bytes;
    guint u = 0;
    for (v /= 1024; v >= 1024 && u + 1 < G_N_ELEMENTS(units); u++)
        v /= 1024;
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_formatd(buf, sizeof buf, v == (double)(guint64)v ? "%.0f" : "%.1f",
                    v);
    return g_strdup_printf("%s %s", buf, units[u]);
}

static const char *
input_kind(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISLNK(mode))
        return "a symbolic link";
    return "not a regular file";
}

static gboolean
input_fail_errno(GError **error, const char *path, const char *what, int e)
{
    g_set_error(error, SIM_INPUT_ERROR, SIM_INPUT_ERROR_IO, "%s: %s: %s",
                path, what, g_strerror(e));
    return FALSE;
}

static gboolean
input_too_large(GError **error, const char *path, gsize max_bytes)
{
    g_autofree char *cap = sim_input_size_text(max_bytes);
    g_set_error(error, SIM_INPUT_ERROR, SIM_INPUT_ERROR_TOO_LARGE,
                "%s: larger than the %s an input file may have", path, cap);
    return FALSE;
}

/**
 * sim_input_read_file:
 * @path: the file
 * @max_bytes: the most it may hold
 * @contents: (out) (transfer full): its bytes, NUL-terminated
 * @length: (out) (optional): their number
 * @error: return location for a %SIM_INPUT_ERROR
 *
 * Reads @path like g_file_get_contents(), but only if it is a regular file
 * (symbolic links followed) of at most @max_bytes.  Never blocks on a FIFO
 * and never reads more than @max_bytes + 1 bytes.
 *
 * Returns: TRUE on success; FALSE with @error set (the message starts with
 *   @path).
 */
gboolean
sim_input_read_file(const char *path, gsize max_bytes, char **contents,
                    gsize *length, GError **error)
{
    g_return_val_if_fail(path && contents, FALSE);
    *contents = NULL;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return input_fail_errno(error, path, "cannot open", errno);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return input_fail_errno(error, path, "cannot stat", e);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        g_set_error(error, SIM_INPUT_ERROR, SIM_INPUT_ERROR_NOT_REGULAR,
                    "%s: expected a regular file, found %s", path,
                    input_kind(st.st_mode));
        return FALSE;
    }
    if ((guint64)st.st_size > max_bytes) {
        close(fd);
        return input_too_large(error, path, max_bytes);
    }
    /* Back to blocking reads for a regular file (O_NONBLOCK is ignored
     * there anyway, but be explicit). */
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0)
        fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    gsize cap = (gsize)st.st_size + 1;
    gsize len = 0;
    char *buf = g_malloc(cap + 1);
    for (;;) {
        if (len == cap) {
            if (cap > max_bytes)
                break;
            cap = MIN(cap * 2, (gsize)max_bytes + 1);
            buf = g_realloc(buf, cap + 1);
        }
        gssize n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            g_free(buf);
            close(fd);
            return input_fail_errno(error, path, "cannot read", e);
        }
        if (n == 0)
            break;
        len += (gsize)n;
    }
    close(fd);
    if (len > max_bytes) {
        g_free(buf);
        return input_too_large(error, path, max_bytes);
    }
    buf[len] = '\0';
    *contents = buf;
    if (length)
        *length = len;
    return TRUE;
}

/**
 * sim_input_check_output:
 * @path: an output file the user names
 * @error: return location for a GError (%SIM_INPUT_ERROR_NOT_REGULAR)
 *
 * Output files are written to a temporary file renamed over @path, which
 * would replace whatever @path is: a symbolic link, a device such as
 * /dev/null, a FIFO.  So @path must not exist yet or be a regular file
 * (checked with lstat: a symbolic link is refused even if it points to
 * one).  Other lstat failures (no such folder, no permission) are left to
 * the write, which reports them.
 *
 * Returns: %FALSE if @path exists and is not a regular file.
 */
gboolean
sim_input_check_output(const char *path, GError **error)
{
    g_return_val_if_fail(path, FALSE);
    struct stat st;
    if (lstat(path, &st) != 0 || S_ISREG(st.st_mode))
        return TRUE;
    g_set_error(error, SIM_INPUT_ERROR, SIM_INPUT_ERROR_NOT_REGULAR,
                "%s is %s: an output file must be a regular file or not "
                "exist yet (it is replaced by a new file)", path,
                input_kind(st.st_mode));
    return FALSE;
}

/**
 * sim_input_ini_scan:
 * @text: an ini text (a topology or an experiment)
 * @len: its length
 * @func: called for every group header and key line, in order
 * @user: its argument
 *
 * Reads the raw text for what GKeyFile hides: it merges a group written
 * twice and lets the last of a key written twice in a group win.  Lines
 * are stripped; comments, blank lines, lines without '=' and lines before
 * the first group are not keys; a key is the stripped text before '='.
 */
void
sim_input_ini_scan(const char *text, gsize len, SimIniItemFunc func,
                   gpointer user)
{
    g_autoptr(GHashTable) groups =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) keys =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autofree char *group = NULL;
    const char *s = text, *end = text + len;
    guint line = 0;
    while (s < end) {
        const char *nl = memchr(s, '\n', end - s);
        const char *e = nl ? nl : end;
        g_autofree char *l = g_strstrip(g_strndup(s, e - s));
        line++;
        s = e + 1;
        char *close = strrchr(l, ']');
        if (l[0] == '[' && close) {
            *close = '\0';
            g_free(group);
            group = g_strdup(l + 1);
            g_hash_table_remove_all(keys);
            guint first =
                GPOINTER_TO_UINT(g_hash_table_lookup(groups, group));
            func(group, NULL, line, first, user);
            if (!first)
                g_hash_table_insert(groups, g_strdup(group),
                                    GUINT_TO_POINTER(line));
            continue;
        }
        char *eq = strchr(l, '=');
        if (!group || l[0] == '#' || !eq)
            continue;
        *eq = '\0';
        const char *key = g_strstrip(l);
        guint first = GPOINTER_TO_UINT(g_hash_table_lookup(keys, key));
        if (func(group, key, line, first, user) && !first)
            g_hash_table_insert(keys, g_strdup(key), GUINT_TO_POINTER(line));
    }
}
