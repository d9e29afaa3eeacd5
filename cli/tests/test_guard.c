/* SPDX-License-Identifier: MIT */
/*
 * What the verbs refuse before they simulate, and the exit status they
 * refuse with (0 ok, 2 bad input naming file, group and key, 1 run-time
 * failure):
 * - one writer per results folder: while a sweep holds a folder, compare,
 *   sweep, run and plot on it exit 1 at once naming its pid and write
 *   nothing; the holder finishes normally;
 * - an --out that is a file (or lies under one) is bad input (2), one that
 *   cannot be created is a failure (1), both found before any run;
 * - inputs that are not regular files or are too big (/dev/zero, a FIFO,
 *   a directory, a 100 MB file) as topology, experiment, CPU profile or CA
 *   file exit 2 within a second and 100 MB of memory;
 * - a run whose estimated memory (calls in progress = rate x (holding
 *   time + Timer B)) exceeds --max-memory exits 2 with the estimate; with
 *   --force it starts and is stopped (exit 1) when it passes the limit;
 * - a grid of more than 100,000 runs exits 2 with its count unless
 *   --force;
 * - an unwritable PKI cache is a run-time failure (1), found before any
 *   run, and does not matter to runs that make no certificate.
 */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/tests/util_cli.h"

#define SHORT "--set", "simulation.duration=3s", "--set", \
              "simulation.warmup=1s"

static char *
trunk(void)
{
    return g_build_filename(g_getenv("SIPREUSE_SRCDIR"), "topologies",
                            "trunk.topo", NULL);
}

/* An experiment over the trunk: @points rates, @reps replications, two
 * strategies, plus @extra. */
static char *
write_exp(const char *dir, const char *name, const char *rates, guint reps,
          const char *extra)
{
    g_autofree char *topo = trunk();
    g_autofree char *text = g_strdup_printf(
        "[experiment]\ntopology = %s\nstrategies = rfc3261, reuse\n"
        "reps = %u\nset = simulation.duration=3s; simulation.warmup=1s\n"
        "[vary]\ntraffic.a-to-b.rate = %s\n%s",
        topo, reps, rates, extra ? extra : "");
    char *path = g_build_filename(dir, name, NULL);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return path;
}

/* ---- one writer per folder ---------------------------------------------- */

/* The pid in @dir's lock file, or 0. */
static GPid
lock_pid(const char *dir)
{
    g_autofree char *path = g_build_filename(dir, ".sipreuse.lock", NULL);
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return 0;
    return (GPid)g_ascii_strtoll(text, NULL, 10);
}

static void
test_lock(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("guard-lock");
    g_autofree char *exp = write_exp(dir, "a.exp", "10, 20", 1, NULL);
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    g_autofree char *topo = trunk();
    const char *argv[] = { g_getenv("SIPREUSE_BIN"), "sweep", exp, "--out",
                           out, "--no-plots", "--no-timing", NULL };
    GPid holder = 0;
    g_autoptr(GError) error = NULL;
    g_assert_true(g_spawn_async(g_getenv("SIPREUSE_SRCDIR"), (char **)argv,
                                NULL,
                                G_SPAWN_DO_NOT_REAP_CHILD |
                                    G_SPAWN_STDOUT_TO_DEV_NULL |
                                    G_SPAWN_STDERR_TO_DEV_NULL,
                                NULL, NULL, &holder, &error));
    /* The holder writes its pid once it holds the lock; stop it there so
     * that the others meet a folder in use, whatever the machine's
     * speed. */
    gint64 deadline = g_get_monotonic_time() + 30 * G_TIME_SPAN_SECOND;
    while (lock_pid(out) != holder) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_assert_cmpint(waitpid(holder, NULL, WNOHANG), ==, 0);
        g_usleep(1000);
    }
    g_assert_cmpint(kill(holder, SIGSTOP), ==, 0);
    g_autofree char *pid = g_strdup_printf("(pid %d)", (int)holder);
    g_autofree char *runs = g_build_filename(out, "runs.tsv", NULL);
    gboolean had_runs = g_file_test(runs, G_FILE_TEST_EXISTS);
    const char *const others[][12] = {
        { "compare", topo, SHORT, "--reps", "1", "--out", out, NULL },
        { "sweep", exp, "--out", out, "--no-plots", NULL },
        { "sweep", exp, "--out", out, "--resume", NULL },
        { "run", topo, SHORT, "--out", out, NULL },
        { "plot", out, NULL },
    };
    for (guint i = 0; i < G_N_ELEMENTS(others); i++) {
        g_auto(HCli) c = { 0 };
        hcli_runv(&c, NULL, others[i]);
        g_test_message("%s: %s (%.2f s)", others[i][0], c.err, c.seconds);
        g_assert_cmpint(c.status, ==, 1);
        g_assert_nonnull(strstr(c.err, pid));
        g_assert_nonnull(strstr(c.err, "another sipreuse"));
        g_assert_cmpfloat(c.seconds, <, 5);
    }
    /* Nobody wrote in the holder's folder meanwhile. */
    g_assert_cmpint(g_file_test(runs, G_FILE_TEST_EXISTS), ==, had_runs);
    g_assert_cmpint(lock_pid(out), ==, holder);
    kill(holder, SIGCONT);
    int status = 0;
    g_assert_cmpint(waitpid(holder, &status, 0), ==, holder);
    g_spawn_close_pid(holder);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    /* Released: the next writer goes ahead. */
    g_auto(HCli) next = { 0 };
    hcli_run(&next, NULL, "sweep", exp, "--out", out, "--no-plots",
             "--no-timing", "--resume", NULL);
    g_assert_cmpint(next.status, ==, 0);
    g_assert_nonnull(strstr(next.out, "4 already complete"));
}

/* ---- unusable --out ----------------------------------------------------- */

static void
test_out_unusable(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("guard-out");
    g_autofree char *file = g_build_filename(dir, "a-file", NULL);
    g_assert_true(g_file_set_contents(file, "x", -1, NULL));
    g_autofree char *under = g_build_filename(file, "sub", NULL);
    g_autofree char *exp = write_exp(dir, "a.exp", "10", 1, NULL);
    g_autofree char *topo = trunk();
    /* Runs that would take many seconds: refusing must come first. */
    const char *slow[] = { "--set", "traffic.a-to-b.rate=2000", NULL };
    const char *outs[] = { file, under };
    for (guint i = 0; i < G_N_ELEMENTS(outs); i++) {
        const char *const cases[][10] = {
            { "compare", topo, slow[0], slow[1], "--reps", "3", "--out",
              outs[i], NULL },
            { "run", topo, slow[0], slow[1], "--out", outs[i], NULL },
            { "sweep", exp, "--out", outs[i], NULL },
        };
        for (guint k = 0; k < G_N_ELEMENTS(cases); k++) {
            g_auto(HCli) c = { 0 };
            hcli_runv(&c, NULL, cases[k]);
            g_test_message("%s: %s", cases[k][0], c.err);
            g_assert_cmpint(c.status, ==, 2);
            g_assert_nonnull(strstr(c.err, outs[i]));
            g_assert_cmpfloat(c.seconds, <, 2);
        }
    }
    /* A folder that cannot be created (in sysfs, even for root): a
     * run-time failure, before any run. */
    if (g_file_test("/sys/kernel", G_FILE_TEST_IS_DIR)) {
        g_auto(HCli) c = { 0 };
        hcli_run(&c, NULL, "compare", topo, slow[0], slow[1], "--reps", "3",
                 "--out", "/sys/sipreuse-no-such-folder/out", NULL);
        g_test_message("%s", c.err);
        g_assert_cmpint(c.status, ==, 1);
        g_assert_nonnull(strstr(c.err, "cannot create the results folder"));
        g_assert_cmpfloat(c.seconds, <, 2);
    }
}

/* ---- bounded inputs ----------------------------------------------------- */

/* Asserts exit 2 within a second and 100 MB, with @name in the message. */
static void
assert_refused(const HCli *c, const char *name)
{
    g_test_message("%s (%.3f s, %ld KiB)", c->err, c->seconds,
                   c->maxrss_kb);
    g_assert_cmpint(c->status, ==, 2);
    g_assert_nonnull(strstr(c->err, name));
    g_assert_cmpfloat(c->seconds, <, 1.0);
    g_assert_cmpint(c->maxrss_kb, <, 100 * 1024);
}

static void
test_bounded_inputs(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("guard-inputs");
    g_autofree char *fifo = g_build_filename(dir, "fifo", NULL);
    g_assert_cmpint(mkfifo(fifo, 0644), ==, 0);
    g_autofree char *big = g_build_filename(dir, "big.topo", NULL);
    FILE *f = fopen(big, "w");
    g_assert_nonnull(f);
    /* 100 MB, sparse: no disk is used. */
    g_assert_cmpint(ftruncate(fileno(f), 100 * 1000 * 1000), ==, 0);
    fclose(f);
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    const char *bad[] = { "/dev/zero", fifo, dir, big };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        const char *const cases[][6] = {
            { "check", bad[i], NULL },
            { "run", bad[i], "--out", out, NULL },
            { "compare", bad[i], "--out", out, NULL },
            { "sweep", bad[i], "--out", out, NULL },
        };
        for (guint k = 0; k < G_N_ELEMENTS(cases); k++) {
            g_auto(HCli) c = { 0 };
            hcli_runv(&c, NULL, cases[k]);
            assert_refused(&c, bad[i]);
        }
        /* As an experiment's topology. */
        g_autofree char *text = g_strdup_printf(
            "[experiment]\ntopology = %s\nstrategies = rfc3261\n", bad[i]);
        g_autofree char *exp = g_build_filename(dir, "t.exp", NULL);
        g_assert_true(g_file_set_contents(exp, text, -1, NULL));
        g_auto(HCli) s = { 0 };
        hcli_run(&s, NULL, "sweep", exp, "--out", out, NULL);
        assert_refused(&s, "[experiment] topology");
        /* As files a topology names. */
        g_autofree char *topo = trunk();
        g_autofree char *prof = g_strdup_printf("simulation.cpu-profile=%s",
                                                bad[i]);
        g_auto(HCli) p = { 0 };
        hcli_run(&p, NULL, "check", topo, "--set", prof, NULL);
        assert_refused(&p, "cpu-profile");
        g_autofree char *ca = g_strdup_printf("pki.ca-file=%s", bad[i]);
        g_auto(HCli) q = { 0 };
        hcli_run(&q, NULL, "run", topo, "--set", ca, "--out", out, NULL);
        assert_refused(&q, "ca-file");
    }
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
}

/* ---- memory ----------------------------------------------------------- */

/* trunk.topo runs 60 s; a-to-b holds calls 90 s, so at 1e9 calls/s about
 * 1e9 x min(60, 90 + Timer B) = 6e10 calls are in progress at the end. */
static void
test_memory_estimate(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("guard-mem");
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    g_autofree char *topo = trunk();
    const char *rate = "traffic.a-to-b.rate=1e9";
    const char *const cases[][10] = {
        { "run", topo, "--set", rate, "--out", out, NULL },
        { "compare", topo, "--set", rate, "--out", out, NULL },
        { "run", topo, "--set", rate, "--max-memory", "64G", "--out", out,
          NULL },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_auto(HCli) c = { 0 };
        hcli_runv(&c, NULL, cases[i]);
        assert_refused(&c, "6e+10 calls in progress");
        g_assert_nonnull(strstr(c.err, "--max-memory"));
    }
    g_autofree char *exp = g_build_filename(dir, "m.exp", NULL);
    g_autofree char *text = g_strdup_printf(
        "[experiment]\ntopology = %s\nstrategies = rfc3261\nreps = 1\n"
        "[vary]\ntraffic.a-to-b.rate = 10, 1e9\n", topo);
    g_assert_true(g_file_set_contents(exp, text, -1, NULL));
    g_auto(HCli) s = { 0 };
    hcli_run(&s, NULL, "sweep", exp, "--out", out, NULL);
    assert_refused(&s, "point traffic.a-to-b.rate=1e9");
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    /* A bad size. */
    g_auto(HCli) b = { 0 };
    hcli_run(&b, NULL, "run", topo, "--max-memory", "lots", NULL);
    assert_refused(&b, "--max-memory");
    /* An ordinary run fits an ordinary limit. */
    g_auto(HCli) ok = { 0 };
    hcli_run(&ok, NULL, "run", topo, SHORT, "--max-memory", "2G", "--out",
             out, NULL);
    g_assert_cmpint(ok.status, ==, 0);
}

/* With --force the run starts, and the watchdog stops it when its
 * memory passes the limit: exit 1, no completion marker. */
static void
test_memory_watchdog(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("guard-watch");
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    g_autofree char *topo = trunk();
    g_auto(HCli) c = { 0 };
    hcli_run(&c, NULL, "run", topo, "--set", "traffic.a-to-b.rate=1e9",
             "--strategy", "rfc3261", "--force", "--max-memory", "300M",
             "--out", out, NULL);
    g_test_message("%s (%.2f s, %ld KiB)", c.err, c.seconds, c.maxrss_kb);
    g_assert_cmpint(c.status, ==, 1);
    g_assert_nonnull(strstr(c.err, "stopped"));
    g_assert_nonnull(strstr(c.err, "--max-memory 300 MiB"));
    g_assert_cmpint(c.maxrss_kb, <, 600 * 1024);
    g_assert_cmpfloat(c.seconds, <, 30);
    g_autofree char *marker = g_build_filename(out, "complete", NULL);
    g_assert_false(g_file_test(marker, G_FILE_TEST_EXISTS));
}

/* ---- run count -------------------------------------------------------- */

static void
test_run_count(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("guard-count");
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    /* 3 points x 2 strategies x 1,000,000 replications. */
    g_autofree char *exp = write_exp(dir, "big.exp", "10, 20, 40", 1000000,
                                     NULL);
    g_auto(HCli) s = { 0 };
    hcli_run(&s, NULL, "sweep", exp, "--out", out, NULL);
    assert_refused(&s, "6000000 runs");
    g_assert_nonnull(strstr(s.err, "100000"));
    g_assert_nonnull(strstr(s.err, "--force"));
    /* 2 strategies x 50,001 replications. */
    g_autofree char *topo = trunk();
    g_auto(HCli) c = { 0 };
    hcli_run(&c, NULL, "compare", topo, "--strategies", "reuse,rfc3261",
             "--reps", "50001", "--out", out, NULL);
    assert_refused(&c, "100002 runs");
    /* A grid whose point count alone overflows 64 bits. */
    GString *rates = g_string_new("1");
    for (guint i = 2; i <= 100; i++)
        g_string_append_printf(rates, ", %u", i);
    g_autoptr(GString) extra = g_string_new("");
    const char *keys[] = { "traffic.b-to-a.rate", "traffic.a-to-b.hold",
                           "traffic.b-to-a.hold", "node.a1.cores",
                           "node.a2.cores", "node.a3.cores", "node.b1.cores",
                           "node.b2.cores", "simulation.seed",
                           "link.a-dc.b-dc.delay" };
    for (guint k = 0; k < G_N_ELEMENTS(keys); k++)
        g_string_append_printf(extra, "%s = %s\n", keys[k], rates->str);
    g_autofree char *huge = write_exp(dir, "huge.exp", rates->str, 1,
                                      extra->str);
    g_string_free(rates, TRUE);
    g_auto(HCli) h = { 0 };
    hcli_run(&h, NULL, "sweep", huge, "--out", out, "--force", NULL);
    assert_refused(&h, "even with --force");
    /* --force lets the count through: what stops this one is the --out
     * that is a file. */
    g_autofree char *file = g_build_filename(dir, "a-file", NULL);
    g_assert_true(g_file_set_contents(file, "x", -1, NULL));
    g_auto(HCli) f = { 0 };
    hcli_run(&f, NULL, "compare", topo, "--strategies", "reuse,rfc3261",
             "--reps", "50001", "--force", "--out", file, NULL);
    assert_refused(&f, "expected a folder for the results");
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
}

/* ---- exit statuses ---------------------------------------------------- */

/* An unwritable PKI cache ($SIPREUSE_CACHE under a regular file) is a
 * run-time failure for every verb that makes certificates, found before
 * any run; a run over UDP needs no cache. */
static void
test_pki_cache(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("guard-cache");
    g_autofree char *file = g_build_filename(dir, "a-file", NULL);
    g_assert_true(g_file_set_contents(file, "x", -1, NULL));
    g_autofree char *env_cache = g_strdup_printf("SIPREUSE_CACHE=%s/cache",
                                                 file);
    const char *env[] = { env_cache, NULL };
    HCliOpts o = { .env = env };
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    g_autofree char *exp = write_exp(dir, "a.exp", "10", 1, NULL);
    g_autofree char *topo = trunk();
    const char *const cases[][12] = {
        { "run", topo, SHORT, "--out", out, NULL },
        { "compare", topo, SHORT, "--reps", "1", "--out", out, NULL },
        { "sweep", exp, "--out", out, NULL },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_auto(HCli) c = { 0 };
        hcli_runv(&c, &o, cases[i]);
        g_test_message("%s: %s", cases[i][0], c.err);
        g_assert_cmpint(c.status, ==, 1);
        g_assert_nonnull(strstr(c.err, "PKI cache"));
        g_assert_cmpfloat(c.seconds, <, 2);
        /* No run folder was started. */
        g_autoptr(GDir) d = g_dir_open(out, 0, NULL);
        const char *name;
        while (d && (name = g_dir_read_name(d)))
            g_assert_cmpstr(name, ==, ".sipreuse.lock");
    }
    g_autofree char *pair = g_build_filename(g_getenv("SIPREUSE_SRCDIR"),
                                             "topologies", "pair.topo",
                                             NULL);
    g_autofree char *udp = g_build_filename(dir, "udp", NULL);
    g_auto(HCli) u = { 0 };
    hcli_run(&u, &o, "run", pair, "--set", "transport.protocol=udp",
             "--strategy", "rfc3261", "--set", "simulation.duration=2s",
             "--out", udp, NULL);
    g_test_message("%s", u.err);
    g_assert_cmpint(u.status, ==, 0);
}

/* calibrate checks its --out before measuring: a folder is bad input,
 * an unwritable place a failure; both at once. */
static void
test_calibrate_out(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("guard-cal");
    g_auto(HCli) a = { 0 };
    hcli_run(&a, NULL, "calibrate", "--out", dir, NULL);
    g_test_message("%s", a.err);
    g_assert_cmpint(a.status, ==, 2);
    g_assert_cmpfloat(a.seconds, <, 2);
    g_autofree char *file = g_build_filename(dir, "f", NULL);
    g_assert_true(g_file_set_contents(file, "x", -1, NULL));
    g_autofree char *under = g_build_filename(file, "p.ini", NULL);
    g_auto(HCli) b = { 0 };
    hcli_run(&b, NULL, "calibrate", "--out", under, NULL);
    g_test_message("%s", b.err);
    g_assert_cmpint(b.status, ==, 2);
    g_assert_cmpfloat(b.seconds, <, 2);
    if (g_file_test("/sys/kernel", G_FILE_TEST_IS_DIR)) {
        g_auto(HCli) c = { 0 };
        hcli_run(&c, NULL, "calibrate", "--out", "/sys/sipreuse.ini", NULL);
        g_test_message("%s", c.err);
        g_assert_cmpint(c.status, ==, 1);
        g_assert_cmpfloat(c.seconds, <, 2);
    }
}

/* Bad input names what is wrong, with exit 2, for every verb. */
static void
test_bad_input_status(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("guard-status");
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    g_autofree char *topo = trunk();
    g_autofree char *exp = write_exp(dir, "bad.exp", "10", 1,
                                     "[plot p]\nx = traffic.a-to-b.rate\n"
                                     "y = connections.peak\nlogx = maybe\n");
    const char *const cases[][8] = {
        { "run", topo, "--set", "traffic.a-to-b.rate=fast", "--out", out,
          NULL },
        { "compare", topo, "--set", "node.a1.cores=x", "--out", out, NULL },
        { "sweep", exp, "--out", out, NULL },
        { "check", topo, "--set", "traffic.nosuch.rate=1", NULL },
        { "plot", dir, NULL },
    };
    const char *expect[] = { "[traffic a-to-b] rate", "[node a1] cores",
                             "bad.exp:11: [plot p] logx", "traffic", dir };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_auto(HCli) c = { 0 };
        hcli_runv(&c, NULL, cases[i]);
        g_test_message("%s: %s", cases[i][0], c.err);
        g_assert_cmpint(c.status, ==, 2);
        g_assert_nonnull(strstr(c.err, expect[i]));
    }
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
}

/* The new options are in every running verb's --help. */
static void
test_help(void)
{
    if (!hcli_have())
        return;
    const char *verbs[] = { "run", "compare", "sweep" };
    for (guint i = 0; i < G_N_ELEMENTS(verbs); i++) {
        g_auto(HCli) c = { 0 };
        hcli_run(&c, NULL, verbs[i], "--help", NULL);
        g_assert_cmpint(c.status, ==, 0);
        g_assert_nonnull(strstr(c.out, "--max-memory=SIZE"));
        g_assert_nonnull(strstr(c.out, "--force"));
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("Locks, unusable folders, bounded inputs, memory and "
                   "run-count limits and the exit statuses of every verb.");
    g_test_add_func("/guard/help", test_help);
    g_test_add_func("/guard/lock", test_lock);
    g_test_add_func("/guard/out-unusable", test_out_unusable);
    g_test_add_func("/guard/bounded-inputs", test_bounded_inputs);
    g_test_add_func("/guard/memory-estimate", test_memory_estimate);
    g_test_add_func("/guard/memory-watchdog", test_memory_watchdog);
    g_test_add_func("/guard/run-count", test_run_count);
    g_test_add_func("/guard/pki-cache", test_pki_cache);
    g_test_add_func("/guard/bad-input-status", test_bad_input_status);
    g_test_add_func("/guard/calibrate-out", test_calibrate_out);
    return g_test_run();
}
