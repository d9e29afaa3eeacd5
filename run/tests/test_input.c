/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the guards in run/: capped reads of regular files only
 * (a FIFO without a writer must not block: the test arms an alarm that
 * kills it if it does), the results-folder lock, sizes for --max-memory and
 * the memory estimate of a run, recomputed here from its definition (per
 * flow, rate x min(window, hold + answer delay + 64 T1), at most count).
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/input.h"
#include "run/limits.h"
#include "run/lock.h"
#include "run/topo.h"

static char *
tmp_dir(void)
{
    char *d = g_dir_make_tmp("sipreuse-input-XXXXXX", NULL);
    g_assert_nonnull(d);
    return d;
}

static void
rm_flat(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(dir, name, NULL);
        g_unlink(p);
    }
    g_rmdir(dir);
}

static void
test_read_regular(void)
{
    g_autofree char *dir = tmp_dir();
    g_autofree char *path = g_build_filename(dir, "a.topo", NULL);
    g_assert_true(g_file_set_contents(path, "[simulation]\n", -1, NULL));
    g_autofree char *text = NULL;
    gsize len = 0;
    g_autoptr(GError) error = NULL;
    g_assert_true(sim_input_read_file(path, 13, &text, &len, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(text, ==, "[simulation]\n");
    g_assert_cmpuint(len, ==, 13);
    /* One byte over the cap. */
    g_autofree char *t2 = NULL;
    g_assert_false(sim_input_read_file(path, 12, &t2, NULL, &error));
    g_assert_error(error, SIM_INPUT_ERROR, SIM_INPUT_ERROR_TOO_LARGE);
    g_assert_null(t2);
    g_clear_error(&error);
    /* Empty files are files. */
    g_autofree char *empty = g_build_filename(dir, "e", NULL);
    g_assert_true(g_file_set_contents(empty, "", 0, NULL));
    g_autofree char *t3 = NULL;
    g_assert_true(sim_input_read_file(empty, 10, &t3, &len, NULL));
    g_assert_cmpuint(len, ==, 0);
    g_assert_cmpstr(t3, ==, "");
    /* Missing. */
    g_autofree char *t4 = NULL;
    g_autofree char *none = g_build_filename(dir, "none", NULL);
    g_assert_false(sim_input_read_file(none, 10, &t4, NULL, &error));
    g_assert_error(error, SIM_INPUT_ERROR, SIM_INPUT_ERROR_IO);
    g_assert_true(g_str_has_prefix(error->message, none));
    rm_flat(dir);
}

static void
test_read_special(void)
{
    g_autofree char *dir = tmp_dir();
    g_autofree char *fifo = g_build_filename(dir, "fifo", NULL);
    g_assert_cmpint(mkfifo(fifo, 0644), ==, 0);
    /* Opening a FIFO without a writer blocks a plain open(); fail the test
     * instead of hanging if that ever comes back. */
    alarm(10);
    const char *paths[] = { fifo, "/dev/zero", dir };
    const char *kinds[] = { "a FIFO", "a character device", "a directory" };
    for (guint i = 0; i < G_N_ELEMENTS(paths); i++) {
        g_autofree char *text = NULL;
        g_autoptr(GError) error = NULL;
        g_assert_false(sim_input_read_file(paths[i], 1 << 20, &text, NULL,
                                           &error));
        g_assert_error(error, SIM_INPUT_ERROR, SIM_INPUT_ERROR_NOT_REGULAR);
        g_assert_nonnull(strstr(error->message, kinds[i]));
    }
    alarm(0);
    /* A sparse 100 MB file is refused from its size, not read. */
    g_autofree char *big = g_build_filename(dir, "big", NULL);
    FILE *f = fopen(big, "w");
    g_assert_cmpint(ftruncate(fileno(f), 100 * 1000 * 1000), ==, 0);
    fclose(f);
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;
    g_assert_false(sim_input_read_file(big, SIM_INPUT_MAX_TOPOLOGY, &text,
                                       NULL, &error));
    g_assert_error(error, SIM_INPUT_ERROR, SIM_INPUT_ERROR_TOO_LARGE);
    g_assert_nonnull(strstr(error->message, "8 MiB"));
    rm_flat(dir);
}

static void
test_size_text(void)
{
    const struct {
        guint64 v;
        const char *text;
    } cases[] = {
        { 0, "0 bytes" },         { 1023, "1023 bytes" },
        { 1024, "1 KiB" },        { 1536, "1.5 KiB" },
        { 8u << 20, "8 MiB" },    { 300ull << 20, "300 MiB" },
        { 3ull << 40, "3 TiB" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *t = sim_input_size_text(cases[i].v);
        g_assert_cmpstr(t, ==, cases[i].text);
    }
}

static void
test_lock(void)
{
    g_autofree char *tmp = tmp_dir();
    g_autofree char *dir = g_build_filename(tmp, "out", NULL);
    g_autoptr(GError) error = NULL;
    SimLock *a = sim_lock_acquire(dir, &error);
    g_assert_no_error(error);
    g_assert_nonnull(a);
    g_autofree char *path = g_build_filename(dir, SIM_LOCK_FILE, NULL);
    g_autofree char *pid = NULL;
    g_assert_true(g_file_get_contents(path, &pid, NULL, NULL));
    g_autofree char *mine = g_strdup_printf("%ld\n", (long)getpid());
    g_assert_cmpstr(pid, ==, mine);
    /* A second lock (another open file, as another process would have) is
     * refused, naming the holder. */
    SimLock *b = sim_lock_acquire(dir, &error);
    g_assert_null(b);
    g_assert_error(error, SIM_LOCK_ERROR, SIM_LOCK_ERROR_BUSY);
    g_autofree char *named = g_strdup_printf("(pid %ld)", (long)getpid());
    g_assert_nonnull(strstr(error->message, named));
    g_assert_cmpint(sim_lock_exit_status(error), ==, 1);
    g_clear_error(&error);
    /* The refused one did not erase the holder's pid. */
    g_autofree char *still = NULL;
    g_assert_true(g_file_get_contents(path, &still, NULL, NULL));
    g_assert_cmpstr(still, ==, mine);
    sim_lock_release(a);
    g_autofree char *after = NULL;
    g_assert_true(g_file_get_contents(path, &after, NULL, NULL));
    g_assert_cmpstr(after, ==, "");
    b = sim_lock_acquire(dir, &error);
    g_assert_no_error(error);
    sim_lock_release(b);
    /* A file where the folder should be is bad input. */
    g_autofree char *file = g_build_filename(tmp, "file", NULL);
    g_assert_true(g_file_set_contents(file, "x", -1, NULL));
    g_assert_null(sim_lock_acquire(file, &error));
    g_assert_error(error, SIM_LOCK_ERROR, SIM_LOCK_ERROR_NOT_DIR);
    g_assert_cmpint(sim_lock_exit_status(error), ==, 2);
    g_unlink(path);
    g_rmdir(dir);
    rm_flat(tmp);
}

static void
test_parse_size(void)
{
    const struct {
        const char *text;
        guint64 v;
    } good[] = {
        { "100", 100 },
        { "1K", 1024 },
        { "1.5k", 1536 },
        { "512M", 512ull << 20 },
        { "512MiB", 512ull << 20 },
        { "4G", 4ull << 30 },
        { "2 GB", 2ull << 30 },
        { "1T", 1ull << 40 },
    };
    for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
        guint64 v = 0;
        g_assert_true(sim_limits_parse_size(good[i].text, &v));
        g_assert_cmpuint(v, ==, good[i].v);
    }
    const char *bad[] = { "", "x", "-1", "0", "1Q", "1e30T", "M", "1 2" };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        guint64 v = 0;
        g_assert_false(sim_limits_parse_size(bad[i], &v));
    }
    g_assert_cmpuint(sim_limits_default_max_memory(), >, 0);
    g_assert_cmpuint(sim_limits_rss(), >, 0);
}

/* pair.topo's two flows, a-to-b made heavy: the estimate recomputed from
 * its definition with the default T1 of 500 ms (Timer B 32 s). */
static void
test_estimate(void)
{
    const char *src = g_getenv("SIPREUSE_SRCDIR");
    g_autofree char *path = g_build_filename(src ? src : ".", "topologies",
                                             "pair.topo", NULL);
    const char *sets[] = { "simulation.duration=60s",
                           "traffic.a-to-b.rate=100",
                           "traffic.a-to-b.hold=10s",
                           "traffic.a-to-b.count=0", NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) topo = sim_topo_load(path, sets, &error);
    g_assert_no_error(error);
    SimRunEstimate est;
    sim_limits_estimate(topo, &est);
    /* a-to-b: 100/s living 10 s + 32 s; b-to-a: 0.0834/s living
     * 30 s + 32 s, but only 60 s of arrivals (count 50 not reached). */
    double live = 100 * 42.0 + 0.0834 * 60;
    double calls = 100 * 60.0 + 0.0834 * 60;
    g_assert_cmpfloat_with_epsilon(est.calls_in_progress, live, 1e-6);
    g_assert_cmpfloat_with_epsilon(est.calls, calls, 1e-6);
    g_assert_cmpfloat_with_epsilon(est.bytes, 4.0 * 1024 * 1024 +
                                                  live * 3072, 1);
    /* A count caps both; a late start shortens the window. */
    const char *sets2[] = { "simulation.duration=60s",
                            "traffic.a-to-b.rate=100",
                            "traffic.a-to-b.hold=10s",
                            "traffic.a-to-b.count=1000",
                            "traffic.b-to-a.start=50s", NULL };
    g_autoptr(SimTopo) t2 = sim_topo_load(path, sets2, &error);
    g_assert_no_error(error);
    sim_limits_estimate(t2, &est);
    g_assert_cmpfloat_with_epsilon(est.calls_in_progress,
                                   1000 + 0.0834 * 10, 1e-6);
    g_assert_cmpfloat_with_epsilon(est.calls, 1000 + 0.0834 * 10, 1e-6);
    g_autofree char *text = sim_limits_estimate_text(&est);
    g_assert_nonnull(strstr(text, "calls in progress"));
}

/* An output path is fine when absent or a regular file; a symlink (even
 * to a regular file), a FIFO or a folder is refused, naming the path and
 * what it is. */
static void
test_check_output(void)
{
    g_autofree char *dir = tmp_dir();
    g_autofree char *plain = g_build_filename(dir, "plain", NULL);
    g_autofree char *absent = g_build_filename(dir, "absent", NULL);
    g_autofree char *link = g_build_filename(dir, "link", NULL);
    g_autofree char *fifo = g_build_filename(dir, "fifo", NULL);
    g_autofree char *sub = g_build_filename(dir, "sub", NULL);
    g_assert_true(g_file_set_contents(plain, "x", -1, NULL));
    g_assert_cmpint(symlink(plain, link), ==, 0);
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
    g_assert_true(sim_input_check_output(plain, NULL));
    g_assert_true(sim_input_check_output(absent, NULL));
    const char *const bad[][2] = {
        { link, "symbolic link" }, { fifo, "FIFO" }, { sub, "directory" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_assert_false(sim_input_check_output(bad[i][0], &error));
        g_assert_error(error, SIM_INPUT_ERROR, SIM_INPUT_ERROR_NOT_REGULAR);
        g_assert_nonnull(strstr(error->message, bad[i][0]));
        g_assert_nonnull(strstr(error->message, bad[i][1]));
    }
    g_rmdir(sub);
    rm_flat(dir);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("Capped reads of regular files, the results-folder "
                   "lock, sizes and the memory estimate.");
    g_test_add_func("/input/regular", test_read_regular);
    g_test_add_func("/input/special", test_read_special);
    g_test_add_func("/input/size-text", test_size_text);
    g_test_add_func("/input/check-output", test_check_output);
    g_test_add_func("/lock/exclusive", test_lock);
    g_test_add_func("/limits/parse-size", test_parse_size);
    g_test_add_func("/limits/estimate", test_estimate);
    return g_test_run();
}
