/* SPDX-License-Identifier: MIT */
/*
 * Test helpers for the CLI hardening tests (see util_cli.h).
 */
#include "cli/tests/util_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

void
hcli_clear(HCli *c)
{
    g_free(c->out);
    g_free(c->err);
    c->out = c->err = NULL;
}

/**
 * hcli_have:
 *
 * Returns: TRUE if the CLI, source and scratch folders are known; else
 *   marks the test skipped.
 */
gboolean
hcli_have(void)
{
    const char *names[] = { "SIPREUSE_BIN", "SIPREUSE_SRCDIR",
                            "SIPREUSE_TMPDIR" };
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        const char *v = g_getenv(names[i]);
        if (!v || !*v) {
            g_test_skip("SIPREUSE_BIN, SIPREUSE_SRCDIR or SIPREUSE_TMPDIR "
                        "unset (run through make check)");
            return FALSE;
        }
    }
    return TRUE;
}

static void
child_setup(gpointer data)
{
    guint64 fsize = *(const guint64 *)data;
    if (!fsize)
        return;
    struct rlimit rl = { (rlim_t)fsize, (rlim_t)fsize };
    signal(SIGXFSZ, SIG_IGN);
    setrlimit(RLIMIT_FSIZE, &rl);
}

static int
temp_fd(char **path)
{
    g_autofree char *tmpl = g_build_filename(g_get_tmp_dir(),
                                             "hcli-XXXXXX", NULL);
    int fd = g_mkstemp(tmpl);
    g_assert_cmpint(fd, >=, 0);
    *path = g_steal_pointer(&tmpl);
    return fd;
}

static char *
slurp(const char *path)
{
    char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_unlink(path);
    return text;
}

/**
 * hcli_runv:
 * @c: (out): what happened
 * @o: (nullable): how to run
 * @args: the arguments after the program, NULL-terminated
 */
void
hcli_runv(HCli *c, const HCliOpts *o, const char *const *args)
{
    static const HCliOpts none = { 0 };
    if (!o)
        o = &none;
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, (char *)(o->bin ? o->bin
                                          : g_getenv("SIPREUSE_BIN")));
    for (guint i = 0; args[i]; i++)
        g_ptr_array_add(argv, (char *)args[i]);
    g_ptr_array_add(argv, NULL);
    g_auto(GStrv) env = g_get_environ();
    for (guint i = 0; o->env && o->env[i]; i++) {
        g_auto(GStrv) kv = g_strsplit(o->env[i], "=", 2);
        env = g_environ_setenv(env, kv[0], kv[1] ? kv[1] : "", TRUE);
    }
    g_autofree char *out_path = NULL, *err_path = NULL;
    int out_fd = temp_fd(&out_path), err_fd = temp_fd(&err_path);
    int in_fd = open("/dev/null", O_RDONLY);
    guint64 fsize = o->fsize;
    GPid pid = 0;
    g_autoptr(GError) error = NULL;
    gint64 start = g_get_monotonic_time();
    gboolean ok = g_spawn_async_with_fds(
        o->cwd ? o->cwd : g_getenv("SIPREUSE_SRCDIR"), (char **)argv->pdata,
        env, G_SPAWN_DO_NOT_REAP_CHILD, child_setup, &fsize, &pid, in_fd,
        out_fd, err_fd, &error);
    g_assert_no_error(error);
    g_assert_true(ok);
    close(in_fd);
    close(out_fd);
    close(err_fd);
    int status = 0;
    struct rusage ru;
    gint64 deadline = start + (gint64)(o->timeout ? o->timeout : 60) *
                                  G_TIME_SPAN_SECOND;
    for (;;) {
        pid_t got = wait4(pid, &status, WNOHANG, &ru);
        if (got == pid)
            break;
        g_assert_true(got == 0 || errno == EINTR);
        if (g_get_monotonic_time() > deadline) {
            g_test_message("killed after %u s", o->timeout ? o->timeout
                                                           : 60);
            kill(pid, SIGKILL);
        }
        g_usleep(got == 0 ? 2000 : 0);
    }
    g_spawn_close_pid(pid);
    c->seconds = (double)(g_get_monotonic_time() - start) / 1e6;
    c->maxrss_kb = ru.ru_maxrss;
    c->status = WIFEXITED(status) ? WEXITSTATUS(status)
                                  : 128 + WTERMSIG(status);
    c->out = slurp(out_path);
    c->err = slurp(err_path);
}

/**
 * hcli_run:
 * @c: (out): what happened
 * @o: (nullable): how to run
 * @first: the first argument; NULL-terminated
 */
void
hcli_run(HCli *c, const HCliOpts *o, const char *first, ...)
{
    g_autoptr(GPtrArray) args = g_ptr_array_new();
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *))
        g_ptr_array_add(args, (char *)a);
    va_end(ap);
    g_ptr_array_add(args, NULL);
    hcli_runv(c, o, (const char *const *)args->pdata);
}

/**
 * hcli_scratch:
 * @name: a prefix
 *
 * Returns: (transfer full): a fresh folder under $SIPREUSE_TMPDIR.
 */
char *
hcli_scratch(const char *name)
{
    g_autofree char *tmpl = g_strdup_printf("%s-XXXXXX", name);
    g_mkdir_with_parents(g_getenv("SIPREUSE_TMPDIR"), 0755);
    g_autofree char *path = g_build_filename(g_getenv("SIPREUSE_TMPDIR"),
                                             tmpl, NULL);
    char *dir = g_mkdtemp(g_steal_pointer(&path));
    g_assert_nonnull(dir);
    return dir;
}

/**
 * hcli_read:
 * @dir: a folder
 * @name: a file in it
 *
 * Returns: (transfer full): the file's text (the test fails if absent).
 */
char *
hcli_read(const char *dir, const char *name)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    char *text = NULL;
    g_autoptr(GError) error = NULL;
    g_file_get_contents(path, &text, NULL, &error);
    g_assert_no_error(error);
    return text;
}

/**
 * hcli_png_complete:
 * @path: a file
 *
 * Returns: TRUE if it is a whole PNG: the 8-byte signature, then chunks
 *   (length, type, data, CRC) each inside the file, up to an IEND chunk
 *   that ends the file (PNG specification, section 5).
 */
gboolean
hcli_png_complete(const char *path)
{
    g_autofree guchar *d = NULL;
    gsize n = 0;
    if (!g_file_get_contents(path, (char **)&d, &n, NULL) || n < 8 ||
        memcmp(d, "\x89PNG\r\n\x1a\n", 8) != 0)
        return FALSE;
    gsize at = 8;
    while (at + 12 <= n) {
        guint32 len = (guint32)d[at] << 24 | (guint32)d[at + 1] << 16 |
                      (guint32)d[at + 2] << 8 | d[at + 3];
        if (len > n - at - 12)
            return FALSE;
        gboolean iend = memcmp(d + at + 4, "IEND", 4) == 0;
        at += 12 + len;
        if (iend)
            return at == n;
    }
    return FALSE;
}

/**
 * hcli_svg_complete:
 * @path: a file
 *
 * Returns: TRUE if it opens an <svg> element and ends with </svg> (blanks
 *   after it allowed).
 */
gboolean
hcli_svg_complete(const char *path)
{
    g_autofree char *d = NULL;
    if (!g_file_get_contents(path, &d, NULL, NULL))
        return FALSE;
    g_strchomp(d);
    return strstr(d, "<svg") && g_str_has_suffix(d, "</svg>");
}

/**
 * hcli_assert_images:
 * @plots: a plots folder
 * @name: an image's base name
 *
 * Asserts that @plots holds NAME.png and NAME.svg, complete and of more
 * than 1000 bytes.
 */
void
hcli_assert_images(const char *plots, const char *name)
{
    g_autofree char *png = g_strdup_printf("%s/%s.png", plots, name);
    g_autofree char *svg = g_strdup_printf("%s/%s.svg", plots, name);
    GStatBuf st;
    g_assert_cmpint(g_stat(png, &st), ==, 0);
    g_assert_cmpint(st.st_size, >, 1000);
    g_assert_cmpint(g_stat(svg, &st), ==, 0);
    g_assert_cmpint(st.st_size, >, 1000);
    g_assert_true(hcli_png_complete(png));
    g_assert_true(hcli_svg_complete(svg));
}

/* Appends the files under @dir (relative to @root) to @names, sorted by
 * the caller; the lock file is skipped (it holds a pid). */
static void
tree_list(const char *root, const char *rel, GPtrArray *names)
{
    g_autofree char *dir = g_build_filename(root, rel, NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *sub = *rel ? g_build_filename(rel, name, NULL)
                                    : g_strdup(name);
        g_autofree char *path = g_build_filename(root, sub, NULL);
        if (g_file_test(path, G_FILE_TEST_IS_DIR))
            tree_list(root, sub, names);
        else if (!g_str_equal(name, ".sipreuse.lock"))
            g_ptr_array_add(names, g_steal_pointer(&sub));
    }
}

static gint
tree_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/**
 * hcli_assert_same_tree:
 * @a: a folder
 * @b: another
 *
 * Asserts that @a and @b hold the same files (lock files aside) with the
 * same bytes.
 */
void
hcli_assert_same_tree(const char *a, const char *b)
{
    g_autoptr(GPtrArray) na = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) nb = g_ptr_array_new_with_free_func(g_free);
    tree_list(a, "", na);
    tree_list(b, "", nb);
    g_ptr_array_sort(na, tree_cmp);
    g_ptr_array_sort(nb, tree_cmp);
    g_assert_cmpuint(na->len, >, 0);
    for (guint i = 0; i < MIN(na->len, nb->len); i++)
        g_assert_cmpstr(g_ptr_array_index(na, i), ==,
                        g_ptr_array_index(nb, i));
    g_assert_cmpuint(na->len, ==, nb->len);
    for (guint i = 0; i < na->len; i++) {
        const char *rel = g_ptr_array_index(na, i);
        g_autofree char *pa = g_build_filename(a, rel, NULL);
        g_autofree char *pb = g_build_filename(b, rel, NULL);
        g_autofree char *ta = NULL, *tb = NULL;
        gsize la = 0, lb = 0;
        g_assert_true(g_file_get_contents(pa, &ta, &la, NULL));
        g_assert_true(g_file_get_contents(pb, &tb, &lb, NULL));
        if (la != lb || memcmp(ta, tb, la) != 0)
            g_test_message("%s differs from %s", pa, pb);
        g_assert_cmpmem(ta, la, tb, lb);
    }
}

/**
 * hcli_count_files:
 * @dir: a folder
 * @name: a file name
 *
 * Returns: how many files named @name lie under @dir (at any depth).
 */
guint
hcli_count_files(const char *dir, const char *name)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    tree_list(dir, "", names);
    guint n = 0;
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *base = g_path_get_basename(
            g_ptr_array_index(names, i));
        n += g_str_equal(base, name);
    }
    return n;
}
