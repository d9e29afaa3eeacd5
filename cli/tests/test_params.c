/* SPDX-License-Identifier: MIT */
/*
 * Parameter studies through the CLI: --unset and keys that do not apply
 * (warnings printed once and recorded in summary.json), strategy x
 * transport decided before anything runs (compare and sweep), progress
 * reports that never change a result file, [zip] sweeps with numeric
 * columns for varied values with units.  Runs are the two-proxy sample
 * shortened to a few simulated seconds.
 */
#include <string.h>

#include "cli/tests/util_cli.h"

static char *
pair_topology(void)
{
    return g_build_filename(g_getenv("SIPREUSE_SRCDIR"), "topologies",
                            "pair.topo", NULL);
}

/* Occurrences of @needle in @hay. */
static guint
count(const char *hay, const char *needle)
{
    guint n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* --unset and keys that do not apply: warnings once on stderr and in
 * summary.json meta.warnings, exit 0. */
static void
test_unset_warnings(void)
{
    if (!hcli_have())
        return;
    g_autofree char *topo = pair_topology();
    g_autofree char *dir = hcli_scratch("params-unset");
    g_autofree char *out = g_build_filename(dir, "run", NULL);
    g_auto(HCli) c = { 0 };
    hcli_run(&c, NULL, "run", topo, "--strategy", "rfc3261", "--set",
             "simulation.duration=2s", "--set", "transport.protocol=tcp",
             "--set", "transport.tls-version=1.2", "--set",
             "node.A.accept-alias=false", "--unset", "transport.mutual-auth",
             "--unset", "node.B.cert-san", "--out", out, "--quiet", NULL);
    g_test_message("%s", c.err);
    g_assert_cmpint(c.status, ==, 0);
    static const char *const expect[] = {
        "[transport] tls-version does not apply to protocol tcp",
        "--unset transport.mutual-auth: [transport] does not set "
        "mutual-auth",
        "[node A] cert-san does not apply to protocol tcp",
        "[node A] accept-alias does not apply to strategy rfc3261",
    };
    g_autofree char *summary = hcli_read(out, "summary.json");
    for (guint i = 0; i < G_N_ELEMENTS(expect); i++) {
        g_assert_cmpuint(count(c.err, expect[i]), ==, 1);
        g_assert_nonnull(strstr(summary, expect[i]));
    }
    /* Node B's cert-san was removed: no warning names it. */
    g_assert_null(strstr(c.err, "[node B] cert-san"));
    /* No progress with --quiet. */
    g_assert_null(strstr(c.err, "simulated"));
    /* A group that does not exist is an error, before anything runs. */
    g_auto(HCli) d = { 0 };
    g_autofree char *out2 = g_build_filename(dir, "run2", NULL);
    hcli_run(&d, NULL, "run", topo, "--unset", "node.C.cores", "--out", out2,
             NULL);
    g_assert_cmpint(d.status, ==, 2);
    g_assert_nonnull(strstr(d.err, "--unset \"node.C.cores\""));
    g_assert_false(g_file_test(out2, G_FILE_TEST_EXISTS));
}

/* compare over TCP: explicit strategies that cannot run there are refused
 * before any run; the default list says what it leaves out. */
static void
test_compare_applicability(void)
{
    if (!hcli_have())
        return;
    g_autofree char *topo = pair_topology();
    g_autofree char *dir = hcli_scratch("params-compare");
    g_autofree char *out = g_build_filename(dir, "cmp", NULL);
    g_auto(HCli) c = { 0 };
    hcli_run(&c, NULL, "compare", topo, "--strategies", "reuse,rfc3261",
             "--set", "transport.protocol=tcp", "--out", out, NULL);
    g_test_message("%s", c.err);
    g_assert_cmpint(c.status, ==, 2);
    g_assert_nonnull(strstr(c.err, "reuse cannot run over transport tcp"));
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    g_auto(HCli) twice = { 0 };
    hcli_run(&twice, NULL, "compare", topo, "--strategies", "rfc3261,rfc3261",
             "--out", out, NULL);
    g_assert_cmpint(twice.status, ==, 2);
    g_assert_nonnull(strstr(twice.err, "names rfc3261 twice"));
    g_auto(HCli) d = { 0 };
    hcli_run(&d, NULL, "compare", topo, "--set", "transport.protocol=tcp",
             "--set", "simulation.duration=2s", "--reps", "1", "--no-plots",
             "--out", out, NULL);
    g_test_message("%s", d.err);
    g_assert_cmpint(d.status, ==, 0);
    g_assert_cmpuint(count(d.err, "not compared: reuse, virtual-server"),
                     ==, 1);
}

/* Progress lines appear with --progress (stderr is not a terminal here)
 * and change no result file. */
static void
test_progress(void)
{
    if (!hcli_have())
        return;
    g_autofree char *topo = pair_topology();
    g_autofree char *dir = hcli_scratch("params-progress");
    const char *outs[2] = { "quiet", "loud" };
    g_autofree char *err = NULL;
    for (guint i = 0; i < 2; i++) {
        g_autofree char *out = g_build_filename(dir, outs[i], NULL);
        g_auto(HCli) c = { 0 };
        hcli_run(&c, NULL, "compare", topo, "--strategies", "rfc3261,reuse",
                 "--reps", "2", "--set", "simulation.duration=20s",
                 "--no-timing", "--no-plots", "--out", out,
                 i ? "--progress" : "--quiet", NULL);
        g_assert_cmpint(c.status, ==, 0);
        if (i)
            err = g_strdup(c.err);
        else
            g_assert_null(strstr(c.err, "progress:"));
    }
    g_test_message("%s", err);
    g_assert_nonnull(strstr(err, "progress: 4/4 runs"));
    static const char *const files[] = {
        "runs.tsv", "aggregate.tsv", "rfc3261-seed1/summary.json",
        "reuse-seed2/summary.json", "reuse-seed2/timeseries.tsv",
    };
    g_autofree char *q = g_build_filename(dir, outs[0], NULL);
    g_autofree char *l = g_build_filename(dir, outs[1], NULL);
    for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *a = hcli_read(q, files[i]);
        g_autofree char *b = hcli_read(l, files[i]);
        g_assert_cmpstr(a, ==, b);
    }
    /* A single run reports its simulated time; its files do not change
     * either. */
    g_autofree char *r1 = g_build_filename(dir, "r1", NULL);
    g_autofree char *r2 = g_build_filename(dir, "r2", NULL);
    g_auto(HCli) a = { 0 }, b = { 0 };
    hcli_run(&a, NULL, "run", topo, "--set", "simulation.duration=20s",
             "--no-timing", "--out", r1, "--progress", NULL);
    hcli_run(&b, NULL, "run", topo, "--set", "simulation.duration=20s",
             "--no-timing", "--out", r2, NULL);
    g_assert_cmpint(a.status, ==, 0);
    g_assert_cmpint(b.status, ==, 0);
    g_assert_nonnull(strstr(a.err, "sipreuse run: simulated "));
    g_assert_null(strstr(b.err, "simulated"));
    g_autofree char *s1 = hcli_read(r1, "summary.json");
    g_autofree char *s2 = hcli_read(r2, "summary.json");
    g_assert_cmpstr(s1, ==, s2);
}

/* A sweep with a [zip] axis and a [vary] transport axis: the rates move
 * together (2 points per transport, not 4), reuse is left out over tcp
 * with a note, and the rates also appear as numbers. */
static void
test_sweep_zip(void)
{
    if (!hcli_have())
        return;
    g_autofree char *topo = pair_topology();
    g_autofree char *dir = hcli_scratch("params-zip");
    g_autofree char *exp = g_build_filename(dir, "zip.exp", NULL);
    g_autofree char *text = g_strdup_printf(
        "[experiment]\ntopology = %s\nstrategies = reuse, rfc3261\nreps = 1\n"
        "set = simulation.duration=2s\nunset = transport.tls-version\n"
        "[vary]\ntransport.protocol = tls, tcp\n"
        "[zip load]\ntraffic.a-to-b.rate = 1, 2/s\n"
        "traffic.b-to-a.rate = 0.5, 60/min\n"
        "[plot p]\nx = traffic.a-to-b.rate\ny = calls.attempted\n",
        topo);
    g_assert_true(g_file_set_contents(exp, text, -1, NULL));
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    g_auto(HCli) c = { 0 };
    hcli_run(&c, NULL, "sweep", exp, "--out", out, "--no-plots", NULL);
    g_test_message("%s\n%s", c.out, c.err);
    g_assert_cmpint(c.status, ==, 0);
    g_assert_cmpuint(count(c.err, "reuse is not run at the points over "
                                  "transport tcp"),
                     ==, 1);
    /* [experiment] unset of a key pair.topo does not set: one warning
     * for every point. */
    g_assert_cmpuint(count(c.err, "--unset transport.tls-version: "
                                  "[transport] does not set tls-version"),
                     ==, 1);
    g_autofree char *runs = hcli_read(out, "runs.tsv");
    g_auto(GStrv) lines = g_strsplit(runs, "\n", -1);
    /* Header, tls x 2 loads x 2 strategies, tcp x 2 loads x rfc3261. */
    g_assert_cmpuint(g_strv_length(lines), ==, 1 + 6 + 1);
    g_auto(GStrv) head = g_strsplit(lines[0], "\t", -1);
    guint nh = g_strv_length(head);
    g_assert_cmpstr(head[nh - 2], ==, "traffic.a-to-b.rate_per_s");
    g_assert_cmpstr(head[nh - 1], ==, "traffic.b-to-a.rate_per_s");
    /* The second load: "2/s" and "60/min" as 2 and 1 calls/s. */
    g_auto(GStrv) row = g_strsplit(lines[3], "\t", -1);
    g_assert_cmpstr(row[1], ==, "2/s");
    g_assert_cmpstr(row[2], ==, "60/min");
    g_assert_cmpstr(row[nh - 2], ==, "2");
    g_assert_cmpstr(row[nh - 1], ==, "1");
    /* Only reuse, and only over tcp: refused before any run. */
    g_autofree char *bad = g_build_filename(dir, "bad.exp", NULL);
    g_autofree char *bad_text = g_strdup_printf(
        "[experiment]\ntopology = %s\nstrategies = reuse\n"
        "set = transport.protocol=tcp\n", topo);
    g_assert_true(g_file_set_contents(bad, bad_text, -1, NULL));
    g_autofree char *out2 = g_build_filename(dir, "out2", NULL);
    g_auto(HCli) d = { 0 };
    hcli_run(&d, NULL, "sweep", bad, "--out", out2, NULL);
    g_assert_cmpint(d.status, ==, 2);
    g_assert_nonnull(strstr(d.err, "reuse cannot run over the transport"));
    g_assert_false(g_file_test(out2, G_FILE_TEST_EXISTS));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("CLI parameter studies: --unset, warnings for keys that "
                   "do not apply, strategy x transport before any run, "
                   "progress without effect on results, [zip] sweeps.");
    g_test_add_func("/params/unset-warnings", test_unset_warnings);
    g_test_add_func("/params/compare-applicability",
                    test_compare_applicability);
    g_test_add_func("/params/progress", test_progress);
    g_test_add_func("/params/sweep-zip", test_sweep_zip);
    return g_test_run();
}
