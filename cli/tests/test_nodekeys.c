/* SPDX-License-Identifier: MIT */
/*
 * Per-node keys in sweep plots (issue 14, item 3): y = node[NAME].COLUMN,
 * node.max.COLUMN (the highest over the nodes) and
 * domain[DOMAIN].COLUMN (the sum over the domain's SRV members), read
 * from every run's nodes.tsv, and the sweep's closing table (item 4)
 * with the same figures.  A small sweep of srv-farm.topo is plotted
 * and each plotted mean and 95% half-width is recomputed here from the
 * run folders' nodes.tsv files; a column nodes.tsv does not have, a node
 * or domain the topology does not have, or a malformed key stops the
 * sweep before its first run (exit 2, naming file, group and key).
 */
#include "cli/tests/util_cli.h"

#include <math.h>
#include <string.h>

static char *
farm_experiment(const char *dir, const char *plots)
{
    g_autofree char *topo = g_build_filename(g_getenv("SIPREUSE_SRCDIR"),
                                             "topologies", "srv-farm.topo",
                                             NULL);
    g_autofree char *text = g_strdup_printf(
        "[experiment]\ntopology = %s\nstrategies = reuse\nreps = 2\n"
        "set = simulation.duration=4s; simulation.warmup=1s; "
        "traffic.a-to-farm.hold=1s; traffic.farm-to-a.hold=1s\n"
        "[vary]\ntraffic.a-to-farm.rate = 20, 40\n%s", topo, plots);
    char *path = g_build_filename(dir, "farm.exp", NULL);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return path;
}

/* The value of column @col in the nodes.tsv of run folder @run: of node
 * @node, the highest (@node "max"), or the sum over nodes whose
 * srv.domain is @domain. */
static double
nodes_value(const char *run, const char *node, const char *domain,
            const char *col)
{
    g_autofree char *text = hcli_read(run, "nodes.tsv");
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_auto(GStrv) head = g_strsplit(lines[0], "\t", -1);
    gint c = -1, cd = -1;
    for (guint i = 0; head[i]; i++) {
        if (g_str_equal(head[i], col))
            c = (gint)i;
        if (g_str_equal(head[i], "srv.domain"))
            cd = (gint)i;
    }
    g_assert_cmpint(c, >, 0);
    double v = domain || g_str_equal(node, "max") ? 0 : NAN;
    for (guint l = 1; lines[l] && *lines[l]; l++) {
        g_auto(GStrv) f = g_strsplit(lines[l], "\t", -1);
        double x = g_ascii_strtod(f[c], NULL);
        if (domain && g_str_equal(f[cd], domain))
            v += x;
        else if (!domain && g_str_equal(node, "max"))
            v = MAX(v, x);
        else if (!domain && g_str_equal(f[0], node))
            v = x;
    }
    return v;
}

/* Mean and t(0.975, 1) s / sqrt(2) of two replications. */
static void
two_stat(double a, double b, double *mean, double *ci)
{
    *mean = (a + b) / 2;
    double sd = fabs(a - b) / sqrt(2);
    *ci = 12.7062 * sd / sqrt(2);
}

static void
test_node_keys(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("nodekeys");
    g_autofree char *exp = farm_experiment(
        dir, "[plot m]\nx = traffic.a-to-farm.rate\n"
             "y = node[s1].cpu.util, node.max.connections.peak, "
             "domain[example.net].connections.peak, "
             "domain[example.net].requests.received\n");
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    g_auto(HCli) c = { 0 };
    HCliOpts o = { 0 };
    hcli_run(&c, &o, "sweep", exp, "--out", out, "--jobs", "2",
             "--no-timing", NULL);
    g_test_message("%s%s", c.out, c.err);
    g_assert_cmpint(c.status, ==, 0);
    g_autofree char *plots = g_build_filename(out, "plots", NULL);
    hcli_assert_images(plots, "m");
    g_autofree char *dat = hcli_read(plots, "m.dat");
    g_auto(GStrv) lines = g_strsplit(dat, "\n", -1);
    const char *rates[] = { "20", "40" };
    for (guint p = 0; p < 2; p++) {
        /* Line p + 1 of the block: x, then mean ci per y key. */
        g_auto(GStrv) f = g_strsplit(lines[1 + p], "\t", -1);
        g_assert_cmpuint(g_strv_length(f), ==, 9);
        g_assert_cmpstr(f[0], ==, rates[p]);
        double v[4][2];
        for (guint r = 0; r < 2; r++) {
            g_autofree char *run = g_strdup_printf(
                "%s/runs/traffic.a-to-farm.rate=%s/reuse-seed%u", out,
                rates[p], r + 1);
            v[0][r] = nodes_value(run, "s1", NULL, "cpu.util");
            v[1][r] = nodes_value(run, "max", NULL, "connections.peak");
            v[2][r] = nodes_value(run, NULL, "example.net",
                                  "connections.peak");
            v[3][r] = nodes_value(run, NULL, "example.net",
                                  "requests.received");
        }
        /* The farm's members received requests: the sum is no 0. */
        g_assert_cmpfloat(v[3][0], >, 0);
        for (guint k = 0; k < 4; k++) {
            double mean, ci;
            two_stat(v[k][0], v[k][1], &mean, &ci);
            double got_m = g_ascii_strtod(f[1 + 2 * k], NULL);
            double got_c = g_ascii_strtod(f[2 + 2 * k], NULL);
            g_test_message("rate %s key %u: %g ± %g (plotted %g ± %g)",
                           rates[p], k, mean, ci, got_m, got_c);
            g_assert_cmpfloat_with_epsilon(got_m, mean,
                                           1e-6 * MAX(1, fabs(mean)));
            g_assert_cmpfloat_with_epsilon(got_c, ci,
                                           1e-4 * MAX(1, fabs(ci)));
        }
        /* The closing table (item 4) has the same figures, as compare
         * writes them: "%.3f ± %.3f" below 1000. */
        double mean, ci;
        two_stat(v[0][0], v[0][1], &mean, &ci);
        g_autofree char *cell = g_strdup_printf("%.3f ± %.3f", mean, ci);
        two_stat(v[3][0], v[3][1], &mean, &ci);
        g_autofree char *cell3 = g_strdup_printf("%.3f ± %.3f", mean, ci);
        g_autofree char *row = NULL;
        g_auto(GStrv) out_lines = g_strsplit(c.out, "\n", -1);
        g_autofree char *prefix = g_strdup_printf("reuse     %s", rates[p]);
        for (guint i = 0; out_lines[i]; i++)
            if (g_str_has_prefix(out_lines[i], "reuse") &&
                strstr(out_lines[i], cell3) &&
                g_str_has_prefix(out_lines[i] + strspn(out_lines[i] + 5,
                                                       " ") + 5,
                                 rates[p]))
                row = g_strdup(out_lines[i]);
        g_test_message("%s: %s / %s", prefix, cell, cell3);
        g_assert_nonnull(row);
        g_assert_nonnull(strstr(row, cell));
    }
    g_assert_nonnull(strstr(c.out, "mean ± 95% CI over the replications\n"
                                   "strategy"));
    g_assert_nonnull(strstr(c.out, "node[s1].cpu.util"));
    g_assert_nonnull(strstr(c.out, "domain[example.net].requests.received"));
}

static void
test_node_keys_bad(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("nodekeys-bad");
    const char *bad[] = {
        "node[s1].no.such.column",
        "node[s1].node",
        "node[s1].srv.domain",
        "node[].cpu.util",
        "node.min.cpu.util",
        "node[nosuch].cpu.util",
        "domain[nosuch.example].connections.peak",
        "node[s1]cpu.util",
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *plot = g_strdup_printf(
            "[plot x]\nx = traffic.a-to-farm.rate\ny = %s\n", bad[i]);
        g_autofree char *exp = farm_experiment(dir, plot);
        g_autofree char *out = g_build_filename(dir, "out", NULL);
        g_auto(HCli) c = { 0 };
        HCliOpts o = { 0 };
        hcli_run(&c, &o, "sweep", exp, "--out", out, NULL);
        g_test_message("case %u: %s", i, c.err);
        g_assert_cmpint(c.status, ==, 2);
        g_assert_nonnull(strstr(c.err, "farm.exp:"));
        g_assert_nonnull(strstr(c.err, ": [plot x] y: "));
        g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    }
    /* In a knee too. */
    g_autofree char *exp = farm_experiment(
        dir, "[plot x]\nx = traffic.a-to-farm.rate\ny = calls.completed\n"
             "knee = node[nosuch].cpu.util < 0.8\n");
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    g_auto(HCli) c = { 0 };
    HCliOpts o = { 0 };
    hcli_run(&c, &o, "sweep", exp, "--out", out, NULL);
    g_assert_cmpint(c.status, ==, 2);
    g_assert_nonnull(strstr(c.err, "farm.exp:"));
    g_assert_nonnull(strstr(c.err, ": [plot x] knee: "));
    g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("Per-node sweep plot keys: node[NAME], node.max and "
                   "domain[DOMAIN] columns of nodes.tsv, recomputed from "
                   "the run folders; bad keys refused before any run.");
    g_test_add_func("/nodekeys/values", test_node_keys);
    g_test_add_func("/nodekeys/bad", test_node_keys_bad);
    return g_test_run();
}
