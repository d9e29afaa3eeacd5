/* SPDX-License-Identifier: MIT */
/*
 * Knees of sweep plots (issue 14, item 2): a [plot NAME] knee criterion
 * joins conditions with `and`; the knee of each line is interpolated
 * linearly between the last point that meets it and the first that does
 * not, on the failing condition's key values (the lowest crossing when
 * several fail; at the passing point when the failing value is null),
 * and knees.tsv lists every line with status reached, not-reached or
 * below-range.  The figures come from a hand-made aggregate.tsv drawn
 * with `sipreuse plot`, worked out here by hand; a real sweep prints its
 * knees and writes knees.tsv even with --no-plots; a bad criterion stops
 * a sweep before its first run (exit 2, naming file, group and key).
 */
#include "cli/tests/util_cli.h"

#include <glib/gstdio.h>
#include <string.h>

static const char knee_exp[] =
    "[experiment]\ntopology = none.topo\n"
    "[vary]\ntraffic.a-to-b.rate = 10, 20, 40, 80\n"
    "[plot p]\nx = traffic.a-to-b.rate\ny = latency.setup_ms.p95\n"
    "knee = latency.setup_ms.p95 < 500 and calls.completion_ratio >= 0.99\n"
    "[plot q]\nx = traffic.a-to-b.rate\ny = calls.completion_ratio\n"
    "knee = calls.completion_ratio > 0.5\n";

/* Per line: x, mean p95, mean completion ratio.  Rows out of x order on
 * purpose (the knee follows x, not the file). */
static const char knee_agg[] =
    "strategy\ttraffic.a-to-b.rate\tn\tlatency.setup_ms.p95.mean\t"
    "latency.setup_ms.p95.ci95\tcalls.completion_ratio.mean\t"
    "calls.completion_ratio.ci95\n"
    /* A: p95 fails first at 40: 20 + 20 (500 - 300) / (700 - 300) = 30. */
    "A\t40\t3\t700\t0\t0.995\t0\n"
    "A\t10\t3\t100\t0\t1\t0\n"
    "A\t20\t3\t300\t0\t1\t0\n"
    "A\t80\t3\tnan\t0\t0.5\t0\n"
    /* B: the ratio fails first at 20: 10 + 10 (0.99 - 1) / (0.98 - 1)
     * = 15. */
    "B\t10\t3\t200\t0\t1\t0\n"
    "B\t20\t3\t400\t0\t0.98\t0\n"
    "B\t40\t3\t450\t0\t0.9\t0\n"
    /* C: both fail at 20: p95 crosses at 10 + 10 (400 / 500) = 18, the
     * ratio at 10 + 10 (0.01 / 0.05) = 12; the knee is the lower, 12. */
    "C\t10\t3\t100\t0\t1\t0\n"
    "C\t20\t3\t600\t0\t0.95\t0\n"
    /* D: holds everywhere: not reached. */
    "D\t10\t3\t100\t0\t1\t0\n"
    "D\t20\t3\t200\t0\t1\t0\n"
    /* E: fails at the first point: below the range. */
    "E\t10\t3\t900\t0\t1\t0\n"
    "E\t20\t3\t950\t0\t1\t0\n"
    /* F: p95 null at 20 (no completed call): a null never meets a
     * criterion, and the crossing is unknown: the knee is at 10. */
    "F\t10\t3\t100\t0\t1\t0\n"
    "F\t20\t3\tnan\t0\t1\t0\n"
    "F\t40\t3\t150\t0\t1\t0\n";

static void
write_in(const char *dir, const char *name, const char *text)
{
    g_autofree char *p = g_build_filename(dir, name, NULL);
    g_assert_true(g_file_set_contents(p, text, -1, NULL));
}

static void
test_knee_figures(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("knees");
    write_in(dir, "experiment.exp", knee_exp);
    write_in(dir, "aggregate.tsv", knee_agg);
    g_auto(HCli) c = { 0 };
    HCliOpts o = { 0 };
    hcli_run(&c, &o, "plot", dir, NULL);
    g_test_message("%s", c.err);
    g_assert_cmpint(c.status, ==, 0);
    g_autofree char *k = hcli_read(dir, "knees.tsv");
    /* q: ratio > 0.5: A fails at 80 (0.5 is not > 0.5), at 40 0.995:
     * 40 + 40 (0.5 - 0.995) / (0.5 - 0.995) = 80; B, C, D, E, F hold
     * everywhere. */
    g_assert_cmpstr(k, ==,
                    "plot\tstrategy\tknee_x\tstatus\n"
                    "p\tA\t30\treached\n"
                    "p\tB\t15\treached\n"
                    "p\tC\t12\treached\n"
                    "p\tD\tnan\tnot-reached\n"
                    "p\tE\tnan\tbelow-range\n"
                    "p\tF\t10\treached\n"
                    "q\tA\t80\treached\n"
                    "q\tB\tnan\tnot-reached\n"
                    "q\tC\tnan\tnot-reached\n"
                    "q\tD\tnan\tnot-reached\n"
                    "q\tE\tnan\tnot-reached\n"
                    "q\tF\tnan\tnot-reached\n");
    g_autofree char *plots = g_build_filename(dir, "plots", NULL);
    /* Where the plot marks them: the knee at its x with the first y key
     * interpolated (A: p95 500 at 30), not reached at the last point,
     * below the range at the first; status 0, 1, 2. */
    g_autofree char *kd = hcli_read(plots, "p.knee.dat");
    g_assert_nonnull(strstr(kd, "x\ty\tstatus\tline\n30\t500\t0\t\"A\"\n"));
    g_assert_nonnull(strstr(kd, "\n20\t200\t1\t\"D\"\n"));
    g_assert_nonnull(strstr(kd, "\n10\t900\t2\t\"E\"\n"));
    g_assert_nonnull(strstr(kd, "\n10\t100\t0\t\"F\"\n"));
    hcli_assert_images(plots, "p");
    hcli_assert_images(plots, "q");
    /* Each status has its own legend entry, the criterion its own. */
    g_autofree char *svg = hcli_read(plots, "p.svg");
    g_assert_nonnull(strstr(svg, "<title>knee: set-up latency p95 (ms) "
                                 "&lt; 500 and completion ratio (0-1) "));
    g_assert_nonnull(strstr(svg, "<title>knee not reached: "));
    g_assert_nonnull(strstr(svg, "<title>knee below the range: "));
    g_autofree char *svq = hcli_read(plots, "q.svg");
    g_assert_null(strstr(svq, "<title>knee below the range: "));
}

/* A real sweep prints its knees and writes knees.tsv with --no-plots. */
static void
test_knee_sweep(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("knees-sweep");
    g_autofree char *topo = g_build_filename(g_getenv("SIPREUSE_SRCDIR"),
                                             "topologies", "trunk.topo",
                                             NULL);
    g_autofree char *text = g_strdup_printf(
        "[experiment]\ntopology = %s\nstrategies = reuse\nreps = 1\n"
        "set = simulation.duration=3s; simulation.warmup=1s\n"
        "[vary]\ntraffic.a-to-b.rate = 10, 20\n"
        "[plot c]\nx = traffic.a-to-b.rate\ny = calls.completed\n"
        "knee = calls.completion_ratio >= 0 and calls.attempted >= 0\n",
        topo);
    write_in(dir, "k.exp", text);
    g_autofree char *exp = g_build_filename(dir, "k.exp", NULL);
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    g_auto(HCli) c = { 0 };
    HCliOpts o = { 0 };
    hcli_run(&c, &o, "sweep", exp, "--out", out, "--no-plots",
             "--no-timing", NULL);
    g_test_message("%s%s", c.out, c.err);
    g_assert_cmpint(c.status, ==, 0);
    g_assert_nonnull(strstr(c.out, "knees"));
    g_assert_nonnull(strstr(c.out, "[plot c] knee: calls.completion_ratio "
                                   ">= 0 and calls.attempted >= 0\n"));
    g_assert_nonnull(strstr(c.out, "not-reached"));
    g_autofree char *k = hcli_read(out, "knees.tsv");
    g_assert_cmpstr(k, ==, "plot\tstrategy\tknee_x\tstatus\n"
                           "c\treuse\tnan\tnot-reached\n");
}

/* A bad criterion stops the sweep before any run: exit 2, naming the
 * file, the group and the key. */
static void
test_knee_bad(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("knees-bad");
    g_autofree char *topo = g_build_filename(g_getenv("SIPREUSE_SRCDIR"),
                                             "topologies", "trunk.topo",
                                             NULL);
    const char *bad[] = {
        "latency.setup_ms.p95 < 500 and",
        "latency.setup_ms.p95 < 500 and calls.completion_ratio",
        "latency.setup_ms.p95 < 500 or calls.completion_ratio >= 0.99",
        "latency.setup_ms.p95 < 500 and no.such.key >= 1",
        "latency.setup_ms.p95 =< 500",
        "latency.setup_ms.p95 < 5x",
        "latency.setup_ms.p95 < nan",
        "and latency.setup_ms.p95 < 500",
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *text = g_strdup_printf(
            "[experiment]\ntopology = %s\nstrategies = reuse\nreps = 1\n"
            "[vary]\ntraffic.a-to-b.rate = 10, 20\n"
            "[plot x]\nx = traffic.a-to-b.rate\ny = calls.completed\n"
            "knee = %s\n", topo, bad[i]);
        write_in(dir, "bad.exp", text);
        g_autofree char *exp = g_build_filename(dir, "bad.exp", NULL);
        g_autofree char *out = g_build_filename(dir, "out", NULL);
        g_auto(HCli) c = { 0 };
        HCliOpts o = { 0 };
        hcli_run(&c, &o, "sweep", exp, "--out", out, NULL);
        g_test_message("case %u: %s", i, c.err);
        g_assert_cmpint(c.status, ==, 2);
        g_assert_nonnull(strstr(c.err, "bad.exp:10: [plot x] knee: "));
        g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("Sweep knees: criteria joined by 'and', interpolated "
                   "knees, statuses and their plot marks, knees.tsv, "
                   "refused criteria.");
    g_test_add_func("/knees/figures", test_knee_figures);
    g_test_add_func("/knees/sweep-prints", test_knee_sweep);
    g_test_add_func("/knees/bad-criterion", test_knee_bad);
    return g_test_run();
}
