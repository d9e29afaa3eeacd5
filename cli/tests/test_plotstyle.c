/* SPDX-License-Identifier: MIT */
/*
 * Plot controls and style (issue 14, items 4 and 5).  A wrapper in front
 * of gnuplot records every argument `sipreuse plot` hands each script, so
 * the tests read what was drawn with which style and title without
 * parsing images:
 *
 * - a strategy keeps its style (the linetype of plots/common.gp) in every
 *   plot: reuse is drawn with the same style beside rfc3261 as beside
 *   per-transaction and two-connection, in the compare bars, latency CDF,
 *   open connections, load per node and sweep plots, and a later block of
 *   the same strategy (another value of a further varied key) is marked
 *   as a repeat;
 * - the latency CDF pools every replication: the buckets of hand-made
 *   latency.tsv files summed and the cumulative fractions worked out here
 *   by hand;
 * - titles name the window: "after 1 s warm-up" for compare folders (from
 *   the runs' summary.json) and "(measured after 2 s warm-up)" for sweeps,
 *   nothing without a warm-up; the time series gets the warm-up to shade;
 * - [plot] logy = true reaches sweep.gp, and a bad logy value or an
 *   unknown [plot] key is bad input (exit 2, naming the key).
 */
#include "cli/tests/util_cli.h"

#include <glib/gstdio.h>
#include <string.h>

#include "run/out.h"
#include "run/result.h"

/* A folder holding a `gnuplot` that appends its arguments to @log (each
 * followed by \037, each call by \036) and runs the real one. */
static char *
wrapper(const char *dir, const char *log)
{
    g_autofree char *real = g_find_program_in_path("gnuplot");
    g_autofree char *bin = g_build_filename(dir, "bin", NULL);
    g_assert_cmpint(g_mkdir_with_parents(bin, 0755), ==, 0);
    g_autofree char *path = g_build_filename(bin, "gnuplot", NULL);
    g_autofree char *text = g_strdup_printf(
        "#!/bin/sh\nprintf '%%s\\037' \"$@\" >> '%s'\nprintf '\\036' >> "
        "'%s'\nexec '%s' \"$@\"\n",
        log, log, real);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    g_assert_cmpint(g_chmod(path, 0755), ==, 0);
    return g_steal_pointer(&bin);
}

/* Runs `sipreuse plot @dir` through the wrapper; returns the calls, each
 * a NULL-terminated argument vector (argv[0] excluded), of the PNG
 * drawings only (the SVG ones get the same arguments). */
static GPtrArray *
plot_calls(const char *dir)
{
    g_autofree char *log = g_build_filename(dir, "gnuplot.log", NULL);
    g_unlink(log);
    g_autofree char *bin = wrapper(dir, log);
    g_autofree char *env_path = g_strdup_printf("PATH=%s:%s", bin,
                                                g_getenv("PATH"));
    const char *env[] = { env_path, NULL };
    HCliOpts o = { .env = env };
    g_auto(HCli) c = { 0 };
    hcli_run(&c, &o, "plot", dir, NULL);
    g_test_message("%s", c.err);
    g_assert_cmpint(c.status, ==, 0);
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
    GPtrArray *calls = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_strfreev);
    g_auto(GStrv) recs = g_strsplit(text, "\036", -1);
    for (guint i = 0; recs[i]; i++) {
        char **args = g_strsplit(recs[i], "\037", -1);
        guint n = g_strv_length(args);
        /* The trailing separator leaves an empty last field. */
        if (n && !*args[n - 1]) {
            g_free(args[n - 1]);
            args[n - 1] = NULL;
        }
        /* -c SCRIPT SCRIPTS TERM ARG3...: keep the PNG drawings. */
        if (g_strv_length(args) >= 4 && g_str_equal(args[0], "-c") &&
            !g_str_equal(args[3], "svg"))
            g_ptr_array_add(calls, args);
        else
            g_strfreev(args);
    }
    return calls;
}

/* (transfer none): the call that ran plots/@script, asserting there is
 * exactly one. */
static char **
call_of(GPtrArray *calls, const char *script)
{
    char **found = NULL;
    for (guint i = 0; i < calls->len; i++) {
        char **a = g_ptr_array_index(calls, i);
        if (g_str_has_suffix(a[1], script)) {
            g_assert_null(found);
            found = a;
        }
    }
    g_assert_nonnull(found);
    return found;
}

/* ARGn of a call (ARG1 is the scripts folder: a[2]). */
static const char *
arg(char **a, guint n)
{
    g_assert_cmpuint(g_strv_length(a), >, n + 1);
    return a[n + 1];
}

/* The style given to @name in a call whose names are in ARG @an
 * (space-separated) and styles in ARG @sn. */
static guint
style_by_name(char **a, guint an, guint sn, const char *name)
{
    g_auto(GStrv) names = g_strsplit(arg(a, an), " ", -1);
    g_auto(GStrv) styles = g_strsplit(arg(a, sn), " ", -1);
    g_assert_cmpuint(g_strv_length(names), ==, g_strv_length(styles));
    for (guint i = 0; names[i]; i++)
        if (g_str_equal(names[i], name))
            return (guint)g_ascii_strtoull(styles[i], NULL, 10);
    g_assert_not_reached();
    return 0;
}

/* A compare folder of hand-made runs: @strategies, two replications each
 * (seeds 1 and 2), after a @warmup_s warm-up, with latency buckets given
 * per replication. */
static void
fake_compare(const char *dir, const char *const *strategies,
             guint warmup_s)
{
    GString *runs = g_string_new(NULL);
    g_autofree char *header = sim_out_runs_header();
    g_string_append(runs, header);
    guint ns = g_strv_length((char **)strategies);
    g_autofree SimOutGroup *groups = g_new0(SimOutGroup, ns);
    for (guint s = 0; s < ns; s++) {
        groups[s].labels = (char **)&strategies[s];
        groups[s].rows = g_ptr_array_new_with_free_func(
            (GDestroyNotify)g_strfreev);
        for (guint seed = 1; seed <= 2; seed++) {
            g_autoptr(SimRunResult) r = sim_run_result_new();
            r->topology = g_strdup("fake");
            r->strategy = g_strdup(strategies[s]);
            r->seed = seed;
            r->protocol = g_strdup("tls");
            r->duration = SIM_S(3);
            r->warmup = SIM_S(warmup_s);
            r->connections_peak = 2 + s;
            r->n_nodes = 1;
            r->nodes = g_new0(SimNodeResult, 1);
            r->nodes[0].node = g_strdup("p1");
            r->nodes[0].requests_received = 10;
            r->n_samples = 3;
            r->samples = g_new0(SimSample, 3);
            for (guint k = 0; k < 3; k++)
                r->samples[k] = (SimSample){ SIM_S(k), k, 0.1, 1, 2 * k,
                                             0.5 * k };
            /* Seed 1: 3 calls in [1, 1.01) ms, 1 in [9, 9.07); seed 2:
             * 1 in [1, 1.01), 4 in [2, 2.02). */
            r->n_latency = 2;
            r->latency = g_new0(SimLatencyBucket, 2);
            if (seed == 1) {
                r->latency[0] = (SimLatencyBucket){ 1000000, 1010000, 3 };
                r->latency[1] = (SimLatencyBucket){ 9000000, 9070000, 1 };
            } else {
                r->latency[0] = (SimLatencyBucket){ 1000000, 1010000, 1 };
                r->latency[1] = (SimLatencyBucket){ 2000000, 2020000, 4 };
            }
            g_autofree char *leaf = g_strdup_printf("%s-seed%u",
                                                    strategies[s], seed);
            g_autofree char *rd = g_build_filename(dir, leaf, NULL);
            g_assert_true(sim_out_write_run(r, rd, NULL, NULL));
            g_autofree char *row = sim_out_runs_row(r, NULL);
            g_string_append(runs, row);
            g_strchomp(row);
            g_ptr_array_add(groups[s].rows, g_strsplit(row, "\t", -1));
        }
    }
    g_autofree char *rp = g_build_filename(dir, "runs.tsv", NULL);
    g_assert_true(sim_out_write_file(rp, runs->str, NULL));
    g_string_free(runs, TRUE);
    const char *names[] = { "strategy", NULL };
    g_autofree char *agg = sim_out_aggregate_tsv(names, groups, ns);
    g_autofree char *ap = g_build_filename(dir, "aggregate.tsv", NULL);
    g_assert_true(sim_out_write_file(ap, agg, NULL));
    for (guint s = 0; s < ns; s++)
        g_ptr_array_unref(groups[s].rows);
}

static gboolean
have_gnuplot(void)
{
    g_autofree char *gp = g_find_program_in_path("gnuplot");
    if (!gp)
        g_test_skip("gnuplot is not installed");
    return gp != NULL && hcli_have();
}

/* The pooled CDF of two replications, and the window in the titles. */
static void
test_cdf_pooled(void)
{
    if (!have_gnuplot())
        return;
    g_autofree char *dir = hcli_scratch("plotstyle-cdf");
    const char *const strategies[] = { "reuse", "rfc3261", NULL };
    fake_compare(dir, strategies, 1);
    g_autoptr(GPtrArray) calls = plot_calls(dir);
    g_autofree char *plots = g_build_filename(dir, "plots", NULL);
    g_autofree char *dat = hcli_read(plots, "latency-cdf.dat");
    /* Pooled per strategy: [1, 1.01) 3 + 1 = 4, [2, 2.02) 4, [9, 9.07)
     * 1: 9 calls, cumulative 4/9, 8/9, 9/9. */
    const char *block =
        "lo_ms\thi_ms\tcount\tcdf_lo\tcdf\n"
        "1.000000\t1.010000\t4\t0.000000\t0.444444\n"
        "2.000000\t2.020000\t4\t0.444444\t0.888889\n"
        "9.000000\t9.070000\t1\t0.888889\t1.000000\n\n\n";
    g_autofree char *want = g_strconcat(block, block, NULL);
    g_assert_cmpstr(dat, ==, want);
    char **cdf = call_of(calls, "latency_cdf.gp");
    g_assert_cmpstr(arg(cdf, 3), ==,
                    "2 replications of each strategy pooled, after 1 s "
                    "warm-up");
    g_assert_cmpstr(arg(cdf, 4), ==, "reuse rfc3261");
    char **cmp = call_of(calls, "compare.gp");
    g_assert_cmpstr(arg(cmp, 3), ==, "after 1 s warm-up");
    g_assert_cmpstr(arg(call_of(calls, "nodes.gp"), 8), ==,
                    "after 1 s warm-up");
    /* The time series shows the whole run, the warm-up to shade. */
    char **ts = call_of(calls, "timeseries.gp");
    g_assert_cmpstr(arg(ts, 7), ==, "1");
    g_assert_null(strstr(arg(ts, 3), "warm-up"));
    for (guint i = 0; i < 4; i++) {
        static const char *const img[] = { "compare", "latency-cdf",
                                           "open-connections",
                                           "load-per-node" };
        hcli_assert_images(plots, img[i]);
    }
    /* Without a warm-up the titles say nothing of one. */
    g_autofree char *dir0 = hcli_scratch("plotstyle-cdf0");
    fake_compare(dir0, strategies, 0);
    g_autoptr(GPtrArray) calls0 = plot_calls(dir0);
    g_assert_cmpstr(arg(call_of(calls0, "compare.gp"), 3), ==, "");
    g_assert_cmpstr(arg(call_of(calls0, "nodes.gp"), 8), ==, "");
    g_assert_null(strstr(arg(call_of(calls0, "latency_cdf.gp"), 3),
                         "warm-up"));
    g_assert_cmpstr(arg(call_of(calls0, "timeseries.gp"), 7), ==, "0");
}

/* reuse's style in every compare plot of @dir, asserting the plots agree. */
static guint
compare_style(const char *dir, const char *const *strategies)
{
    fake_compare(dir, strategies, 0);
    g_autoptr(GPtrArray) calls = plot_calls(dir);
    guint cdf = style_by_name(call_of(calls, "latency_cdf.gp"), 4, 6,
                              "reuse");
    guint ts = style_by_name(call_of(calls, "timeseries.gp"), 4, 6, "reuse");
    g_assert_cmpuint(cdf, ==, ts);
    /* compare.gp and nodes.gp list styles in the strategies' order. */
    guint at = 0;
    while (!g_str_equal(strategies[at], "reuse"))
        at++;
    g_auto(GStrv) cs = g_strsplit(arg(call_of(calls, "compare.gp"), 4), " ",
                                  -1);
    g_auto(GStrv) nsty = g_strsplit(arg(call_of(calls, "nodes.gp"), 7), " ",
                                    -1);
    g_assert_cmpuint(g_ascii_strtoull(cs[at], NULL, 10), ==, cdf);
    g_assert_cmpuint(g_ascii_strtoull(nsty[at], NULL, 10), ==, cdf);
    /* Distinct strategies, distinct styles. */
    g_auto(GStrv) all = g_strsplit(arg(call_of(calls, "latency_cdf.gp"), 6),
                                   " ", -1);
    for (guint i = 0; all[i]; i++)
        for (guint j = i + 1; all[j]; j++)
            g_assert_cmpstr(all[i], !=, all[j]);
    return cdf;
}

/* A sweep aggregate over two rates: strategy @a at hold 1s, @b at hold
 * 2s (two blocks, identical values). */
static void
fake_sweep(const char *dir, const char *a, const char *b, gboolean logy)
{
    g_autofree char *exp = g_strdup_printf(
        "[experiment]\ntopology = none.topo\n"
        "[vary]\ntraffic.x.rate = 10, 20\ntraffic.x.hold = 1s, 2s\n"
        "[plot p]\nx = traffic.x.rate\ny = connections.peak\n%s",
        logy ? "logy = true\n" : "");
    g_autofree char *agg = g_strdup_printf(
        "strategy\ttraffic.x.rate\ttraffic.x.hold\tn\t"
        "connections.peak.mean\tconnections.peak.ci95\n"
        "%s\t10\t1s\t2\t4\t0\n%s\t20\t1s\t2\t4\t0\n"
        "%s\t10\t2s\t2\t4\t0\n%s\t20\t2s\t2\t4\t0\n",
        a, a, b, b);
    g_autofree char *ep = g_build_filename(dir, "experiment.exp", NULL);
    g_autofree char *ap = g_build_filename(dir, "aggregate.tsv", NULL);
    g_assert_true(g_file_set_contents(ep, exp, -1, NULL));
    g_assert_true(g_file_set_contents(ap, agg, -1, NULL));
}

/* A strategy's style is the same in every plot, whatever is drawn with
 * it: reuse in two compare folders of other company and in two sweeps. */
static void
test_style_stable(void)
{
    if (!have_gnuplot())
        return;
    g_autofree char *d1 = hcli_scratch("plotstyle-c1");
    g_autofree char *d2 = hcli_scratch("plotstyle-c2");
    const char *const s1[] = { "reuse", "rfc3261", NULL };
    const char *const s2[] = { "per-transaction", "two-connection", "reuse",
                               NULL };
    guint st1 = compare_style(d1, s1);
    guint st2 = compare_style(d2, s2);
    g_assert_cmpuint(st1, ==, st2);
    /* Sweeps: ARG7 is "NB S1 R1 S2 R2 ...", blocks in order of first
     * appearance: reuse then rfc3261 in w1, two-connection then reuse in
     * w2. */
    g_autofree char *w1 = hcli_scratch("plotstyle-s1");
    g_autofree char *w2 = hcli_scratch("plotstyle-s2");
    fake_sweep(w1, "reuse", "rfc3261", FALSE);
    fake_sweep(w2, "two-connection", "reuse", TRUE);
    g_autoptr(GPtrArray) c1 = plot_calls(w1);
    g_autoptr(GPtrArray) c2 = plot_calls(w2);
    char **p1 = call_of(c1, "sweep.gp");
    char **p2 = call_of(c2, "sweep.gp");
    g_auto(GStrv) b1 = g_strsplit(arg(p1, 7), " ", -1);
    g_auto(GStrv) b2 = g_strsplit(arg(p2, 7), " ", -1);
    g_assert_cmpstr(b1[0], ==, "2");
    g_assert_cmpuint(g_ascii_strtoull(b1[1], NULL, 10), ==, st1);
    g_assert_cmpstr(b1[2], ==, "0");
    g_assert_cmpstr(b2[0], ==, "2");
    g_assert_cmpuint(g_ascii_strtoull(b2[3], NULL, 10), ==, st1);
    g_assert_cmpstr(b2[4], ==, "0");
    /* Flags: no log x, no knee statuses, log y only in w2. */
    g_assert_cmpstr(arg(p1, 9), ==, "00000");
    g_assert_cmpstr(arg(p2, 9), ==, "00001");
    /* No run folders, hence no warm-up to name. */
    g_assert_null(strstr(arg(p1, 3), "warm-up"));
    g_autofree char *plots2 = g_build_filename(w2, "plots", NULL);
    hcli_assert_images(plots2, "p");
}

/* Two blocks of one strategy (a further varied key): the second is
 * marked as a repeat; and a sweep whose runs had a warm-up says so. */
static void
test_style_repeat_window(void)
{
    if (!have_gnuplot())
        return;
    g_autofree char *w = hcli_scratch("plotstyle-rep");
    g_autofree char *exp = g_strdup(
        "[experiment]\ntopology = none.topo\n"
        "[vary]\ntraffic.x.rate = 10, 20\ntraffic.x.hold = 1s, 2s\n"
        "[plot p]\nx = traffic.x.rate\ny = connections.peak\n");
    const char *agg =
        "strategy\ttraffic.x.rate\ttraffic.x.hold\tn\t"
        "connections.peak.mean\tconnections.peak.ci95\n"
        "reuse\t10\t1s\t1\t4\t0\nreuse\t20\t1s\t1\t4\t0\n"
        "reuse\t10\t2s\t1\t4\t0\nreuse\t20\t2s\t1\t4\t0\n";
    g_autofree char *ep = g_build_filename(w, "experiment.exp", NULL);
    g_autofree char *ap = g_build_filename(w, "aggregate.tsv", NULL);
    g_assert_true(g_file_set_contents(ep, exp, -1, NULL));
    g_assert_true(g_file_set_contents(ap, agg, -1, NULL));
    /* The first point's run folder, as a sweep names it. */
    g_autofree char *rd = g_build_filename(
        w, "runs", "traffic.x.rate=10,traffic.x.hold=1s", "reuse-seed1",
        NULL);
    g_assert_cmpint(g_mkdir_with_parents(rd, 0755), ==, 0);
    g_autofree char *sj = g_build_filename(rd, "summary.json", NULL);
    g_assert_true(g_file_set_contents(
        sj, "{\n  \"meta\": {\n    \"duration_s\": 30.000000,\n"
            "    \"warmup_s\": 2.000000\n  }\n}\n", -1, NULL));
    g_autoptr(GPtrArray) c = plot_calls(w);
    char **p = call_of(c, "sweep.gp");
    g_auto(GStrv) b = g_strsplit(arg(p, 7), " ", -1);
    g_assert_cmpuint(g_strv_length(b), ==, 5);
    g_assert_cmpstr(b[0], ==, "2");
    g_assert_cmpstr(b[1], ==, b[3]);
    g_assert_cmpstr(b[2], ==, "0");
    g_assert_cmpstr(b[4], ==, "1");
    g_assert_true(g_str_has_suffix(arg(p, 3),
                                   "\n(measured after 2 s warm-up)"));
}

/* logy takes a boolean; an unknown [plot] key is refused, naming it. */
static void
test_bad_keys(void)
{
    if (!hcli_have())
        return;
    static const char *const bad[][2] = {
        { "logy = sometimes", "logy" },
        { "logz = true", "logz" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *w = hcli_scratch("plotstyle-bad");
        g_autofree char *exp = g_strdup_printf(
            "[experiment]\ntopology = none.topo\n"
            "[vary]\ntraffic.x.rate = 10, 20\n"
            "[plot p]\nx = traffic.x.rate\ny = connections.peak\n%s\n",
            bad[i][0]);
        g_autofree char *ep = g_build_filename(w, "experiment.exp", NULL);
        g_autofree char *ap = g_build_filename(w, "aggregate.tsv", NULL);
        g_assert_true(g_file_set_contents(ep, exp, -1, NULL));
        g_assert_true(g_file_set_contents(
            ap, "strategy\ttraffic.x.rate\tn\tconnections.peak.mean\t"
                "connections.peak.ci95\nreuse\t10\t1\t4\t0\n", -1, NULL));
        g_auto(HCli) c = { 0 };
        HCliOpts o = { 0 };
        hcli_run(&c, &o, "plot", w, NULL);
        g_test_message("%s", c.err);
        g_assert_cmpint(c.status, ==, 2);
        g_assert_nonnull(strstr(c.err, "[plot p]"));
        g_assert_nonnull(strstr(c.err, bad[i][1]));
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("Plot style and window: one style per strategy in "
                   "every plot, the latency CDF pooled over replications, "
                   "warm-up in titles, logy and unknown [plot] keys.");
    g_test_add_func("/plotstyle/cdf-pooled", test_cdf_pooled);
    g_test_add_func("/plotstyle/stable", test_style_stable);
    g_test_add_func("/plotstyle/repeat-window", test_style_repeat_window);
    g_test_add_func("/plotstyle/bad-keys", test_bad_keys);
    return g_test_run();
}
