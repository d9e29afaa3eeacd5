/* SPDX-License-Identifier: MIT */
/*
 * Tests of the result formats: the runs.tsv header against the contract
 * list of DESIGN.md section 8 written out here, stable number formats,
 * summary.json keys, atomic replacement (a reader holding the old file
 * keeps a complete old file, no temporary file survives), run folders with
 * their completion marker, and the Student-t confidence intervals against
 * hand-computed values.
 */
#include "run/out.h"

#include <glib/gstdio.h>
#include <math.h>
#include <sys/stat.h>

/* DESIGN.md section 8, in order. */
static const char contract_header[] =
    "topology\tstrategy\tseed\tprotocol\t"
    "calls.attempted\tcalls.completed\tcalls.failed\t"
    "latency.setup_ms.mean\tlatency.setup_ms.p50\tlatency.setup_ms.p95\t"
    "latency.setup_ms.p99\tlatency.setup_ms.max\t"
    "connections.opened\tconnections.closed\tconnections.peak\t"
    "connections.mean\tconnections.per_node_peak_max\t"
    "handshakes.tcp\thandshakes.sctp\thandshakes.tls_full\t"
    "handshakes.tls_resumed\thandshakes.failed\t"
    "alias.added\talias.rejected\talias.hits\trequests.hijacked\t"
    "cpu.util_max\tcpu.crypto_s\tbytes.wire\tmemory.conn_bytes_peak\t"
    "sim.events\tsim.wall_s\tsim.events_per_s\t"
    /* The laws, appended (no earlier column moves). */
    "calls.cancelled\tcalls.unfinished\t"
    "sip.sent\tsip.delivered\tsip.dropped\tsip.in_flight_end\t"
    "connections.opened_run\tconnections.closed_run\t"
    "connections.open_end\t"
    /* Capacity (issue 14), appended. */
    "calls.completion_ratio\tlatency.setup_ms.p50_all\t"
    "latency.setup_ms.p95_all\tlatency.setup_ms.p99_all\t"
    /* Rates over the window (issue 14), appended. */
    "handshakes.per_s\tcpu.crypto_cores_per_node\t"
    /* The cost model (issue 13), appended. */
    "calls.rejected\tmemory.node_bytes_peak\n";

static SimRunResult *
make_result(void)
{
    SimRunResult *r = sim_run_result_new();
    r->topology = g_strdup("trunk");
    r->strategy = g_strdup("reuse");
    r->seed = 7;
    r->protocol = g_strdup("tls");
    const char *ov[] = { "traffic.a-to-b.rate=200", NULL };
    r->overrides = g_strdupv((char **)ov);
    r->duration = 60 * G_GUINT64_CONSTANT(1000000000);
    r->calls_attempted = 100;
    r->calls_completed = 98;
    r->calls_failed = 2;
    r->latency_setup_ms_mean = 12.5;
    r->latency_setup_ms_p95 = 1.0 / 3.0;
    r->calls_completion_ratio = 0.98;
    r->latency_setup_ms_p50_all = 1.5;
    r->latency_setup_ms_p95_all = NAN;
    r->latency_setup_ms_p99_all = NAN;
    r->connections_mean = 2.25;
    r->bytes_wire = G_GUINT64_CONSTANT(12345678901);
    r->sim_events = 1000;
    r->sim_wall_s = 0.125;
    r->sim_events_per_s = 8000;
    sim_run_result_add_extra_count(r, "alias.rejected.no_cert", 3);
    sim_run_result_add_extra(r, "srv.share.mean", 0.25);
    r->n_nodes = 2;
    r->nodes = g_new0(SimNodeResult, 2);
    r->nodes[0].node = g_strdup("pa");
    r->nodes[0].cpu_util = 0.5;
    r->nodes[0].srv_domain = g_strdup("b.test");
    r->nodes[0].srv_share = 0.25;
    r->nodes[1].node = g_strdup("pb");
    r->n_pairs = 2;
    r->pairs = g_new0(SimPairResult, 2);
    r->pairs[0] = (SimPairResult){ g_strdup("pa"), g_strdup("pb"),
                                   g_strdup("10.0.0.2"), 1, 3 };
    r->pairs[1] = (SimPairResult){ g_strdup("pb"), g_strdup("pa|pc"),
                                   g_strdup("10.0.0.1"), 0, 1 };
    r->n_latency = 2;
    r->latency = g_new0(SimLatencyBucket, 2);
    r->latency[0] = (SimLatencyBucket){ 1000000, 1010000, 3 };
    r->latency[1] = (SimLatencyBucket){ 2000000, 2020000, 1 };
    r->n_samples = 1;
    r->samples = g_new0(SimSample, 1);
    r->samples[0] = (SimSample){ 1000000000, 4, 0.25, 2, 7, 5.5 };
    return r;
}

static void
test_runs_header(void)
{
    g_autofree char *h = sim_out_runs_header();
    g_assert_cmpstr(h, ==, contract_header);
    g_autofree char *joined = g_strjoinv("\t", (char **)sim_out_run_keys());
    g_autofree char *line = g_strconcat(joined, "\n", NULL);
    g_assert_cmpstr(line, ==, contract_header);
    g_assert_cmpuint(sim_out_n_run_keys(), ==, 50);
}

static void
test_runs_row(void)
{
    g_autoptr(SimRunResult) r = make_result();
    r->handshakes_per_s = 1.5;
    r->cpu_crypto_cores_per_node = 0.25;
    g_autofree char *row = sim_out_runs_row(r, NULL);
    g_auto(GStrv) f = g_strsplit(row, "\t", -1);
    g_assert_cmpuint(g_strv_length(f), ==, 50);
    g_assert_cmpstr(f[0], ==, "trunk");
    g_assert_cmpstr(f[2], ==, "7");
    g_assert_cmpstr(f[5], ==, "98");
    g_assert_cmpstr(f[7], ==, "12.500000");
    g_assert_cmpstr(f[9], ==, "0.333333");
    g_assert_cmpstr(f[15], ==, "2.250000");
    g_assert_cmpstr(f[28], ==, "12345678901");
    g_assert_cmpstr(f[31], ==, "0.125000");
    g_assert_cmpstr(f[32], ==, "8000.000000");
    g_assert_cmpstr(f[41], ==, "0");
    /* 98 of 100 calls completed; the quantiles over all calls are null
     * here (make_result leaves them unset: 0 until derived). */
    g_assert_cmpstr(f[42], ==, "0.980000");
    g_assert_cmpstr(f[44], ==, "nan");
    g_assert_cmpstr(f[45], ==, "nan");
    g_assert_cmpstr(f[46], ==, "1.500000");
    g_assert_cmpstr(f[47], ==, "0.250000");
    /* calls.rejected, memory.node_bytes_peak (unset here). */
    g_assert_cmpstr(f[48], ==, "0");
    g_assert_cmpstr(f[49], ==, "0\n");
    SimOutOptions opt = { .no_timing = TRUE };
    g_autofree char *quiet = sim_out_runs_row(r, &opt);
    g_assert_nonnull(strstr(quiet, "\t1000\t0.000000\t0.000000\t"));
    /* Same values, same bytes. */
    g_autofree char *again = sim_out_runs_row(r, NULL);
    g_assert_cmpstr(row, ==, again);
}

static void
test_json_keys(void)
{
    g_autoptr(SimRunResult) r = make_result();
    r->latency_setup_ms_max = NAN;
    g_autofree char *j = sim_out_summary_json(r, NULL);
    for (const char *const *k = sim_out_run_keys(); *k; k++) {
        g_autofree char *pat = g_strdup_printf("\n  \"%s\": ", *k);
        g_assert_nonnull(strstr(j, pat));
    }
    g_assert_nonnull(strstr(j, "\"latency.setup_ms.p95\": 0.333333,"));
    g_assert_nonnull(strstr(j, "\"latency.setup_ms.max\": null,"));
    /* Further counters are integers, further gauges and means %.6f. */
    g_assert_nonnull(strstr(j, "\"alias.rejected.no_cert\": 3,"));
    g_assert_nonnull(strstr(j, "\"srv.share.mean\": 0.250000,"));
    g_assert_nonnull(strstr(j, "\"overrides\": [\"traffic.a-to-b.rate=200\"]"));
    g_assert_nonnull(strstr(j, "\"duration_s\": 60.000000"));
    g_assert_nonnull(strstr(j, "\"version\": "));
    g_assert_nonnull(strstr(j, "\"git_revision\": "));
    /* Balanced braces and brackets; ends with a closing brace. */
    gint depth = 0;
    for (const char *p = j; *p; p++)
        depth += (*p == '{' || *p == '[') - (*p == '}' || *p == ']');
    g_assert_cmpint(depth, ==, 0);
    g_assert_true(g_str_has_suffix(j, "}\n"));
}

static void
test_side_tables(void)
{
    g_autoptr(SimRunResult) r = make_result();
    g_autofree char *n = sim_out_nodes_tsv(r);
    g_assert_true(g_str_has_prefix(n, "node\tcalls.originated\tcalls.received"
                                      "\trequests.received\tconnections.peak"
                                      "\thandshakes\tcpu.util\t"
                                      "memory.conn_bytes_peak\tsrv.domain\t"
                                      "srv.share\tcalls.attempted\t"
                                      "calls.completed\tcalls.failed\t"
                                      "calls.cancelled\tcalls.unfinished\t"
                                      "sip.sent\tsip.delivered\t"
                                      "sip.dropped\tsip.in_flight_end\t"
                                      "responses.received\tcalls.rejected\t"
                                      "memory.node_bytes_peak\n"));
    g_assert_nonnull(strstr(n, "\npa\t0\t0\t0\t0\t0\t0.500000\t0\t"
                               "b.test\t0.250000\t0\t0\t0\t0\t0\t0\t0"
                               "\t0\t0\t0\t0\t0\n"));
    g_assert_nonnull(strstr(n, "\npb\t0\t0\t0\t0\t0\t0.000000\t0\t-\tnan"
                               "\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\n"));
    g_autofree char *p = sim_out_pairs_tsv(r);
    g_assert_cmpstr(p, ==, "node\tpeer\tpeer_ip\tconnections.opened\t"
                           "connections.opened_run\n"
                           "pa\tpb\t10.0.0.2\t1\t3\n"
                           "pb\tpa|pc\t10.0.0.1\t0\t1\n");
    g_autofree char *t = sim_out_timeseries_tsv(r);
    /* The interval's highest and mean open connections appended. */
    g_assert_cmpstr(t, ==, "time_s\topen_connections\tcpu_util\t"
                           "calls_in_progress\topen_connections_max\t"
                           "open_connections_mean\n"
                           "1.000000\t4\t0.250000\t2\t7\t5.500000\n");
    /* CDF: 3 of 4 calls in the first bucket, all by the second. */
    g_autofree char *l = sim_out_latency_tsv(r);
    g_assert_cmpstr(l, ==, "lo_ms\thi_ms\tcount\tcdf_lo\tcdf\n"
                           "1.000000\t1.010000\t3\t0.000000\t0.750000\n"
                           "2.000000\t2.020000\t1\t0.750000\t1.000000\n");
}

static guint
dir_count(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    guint n = 0;
    while (g_dir_read_name(d))
        n++;
    return n;
}

static void
rm_tree(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(dir, name, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR))
            rm_tree(p);
        else
            g_unlink(p);
    }
    g_rmdir(dir);
}

static void
test_write_atomic(void)
{
    g_autofree char *dir = g_dir_make_tmp("sipreuse-out-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "runs.tsv", NULL);
    g_autoptr(GError) error = NULL;
    g_assert_true(sim_out_write_file(path, "old complete\n", &error));
    g_assert_no_error(error);
    /* A reader that opened the old file keeps reading the old file. */
    FILE *reader = fopen(path, "r");
    g_assert_nonnull(reader);
    GStatBuf before, after;
    g_assert_cmpint(g_stat(path, &before), ==, 0);
    g_assert_true(sim_out_write_file(path, "new contents\n", &error));
    g_assert_cmpint(g_stat(path, &after), ==, 0);
    g_assert_cmpuint(before.st_ino, !=, after.st_ino);
    char buf[64] = { 0 };
    g_assert_nonnull(fgets(buf, sizeof buf, reader));
    g_assert_cmpstr(buf, ==, "old complete\n");
    fclose(reader);
    g_autofree char *now = NULL;
    g_assert_true(g_file_get_contents(path, &now, NULL, NULL));
    g_assert_cmpstr(now, ==, "new contents\n");
    /* No temporary file is left beside it. */
    g_assert_cmpuint(dir_count(dir), ==, 1);
    /* A failed write (the folder is a file) reports and leaves nothing. */
    g_autofree char *bad = g_build_filename(path, "x.tsv", NULL);
    g_assert_false(sim_out_write_file(bad, "x", &error));
    g_assert_nonnull(error);
    g_assert_cmpuint(dir_count(dir), ==, 1);
    rm_tree(dir);
}

static void
test_write_run(void)
{
    g_autofree char *tmp = g_dir_make_tmp("sipreuse-out-XXXXXX", NULL);
    g_autofree char *dir = g_build_filename(tmp, "a", "b", NULL);
    g_autoptr(SimRunResult) r = make_result();
    g_autoptr(GError) error = NULL;
    g_assert_false(sim_out_run_complete(dir));
    g_assert_true(sim_out_write_run(r, dir, NULL, &error));
    g_assert_no_error(error);
    g_assert_true(sim_out_run_complete(dir));
    /* summary.json runs.tsv nodes.tsv pairs.tsv timeseries.tsv latency.tsv
     * marker. */
    g_assert_cmpuint(dir_count(dir), ==, 7);
    g_auto(GStrv) f = sim_out_read_run_row(dir, &error);
    g_assert_no_error(error);
    g_autofree char *row = sim_out_runs_row(r, NULL);
    g_autofree char *joined = g_strjoinv("\t", f);
    g_assert_cmpstr(joined, ==, g_strchomp(row));
    rm_tree(tmp);
}

static void
test_t_ci(void)
{
    /* {1..5}: mean 3, s^2 = (4+1+0+1+4)/4 = 2.5, t(0.975,4) = 2.7764. */
    const double x[] = { 1, 2, 3, 4, 5 };
    SimOutStat st;
    sim_out_stat(x, 5, &st);
    g_assert_cmpuint(st.n, ==, 5);
    g_assert_cmpfloat_with_epsilon(st.mean, 3.0, 1e-12);
    g_assert_cmpfloat_with_epsilon(st.sd, sqrt(2.5), 1e-12);
    g_assert_cmpfloat_with_epsilon(st.ci95, 2.776 * sqrt(2.5) / sqrt(5),
                                   1e-3);
    /* One value: no interval. */
    sim_out_stat(x, 1, &st);
    g_assert_cmpfloat(st.ci95, ==, 0.0);
    g_assert_cmpfloat(st.mean, ==, 1.0);
}

static void
test_t_quantiles(void)
{
    /* Printed t tables (two-sided 95%). */
    g_assert_cmpfloat_with_epsilon(sim_out_t975(1), 12.706, 1e-3);
    g_assert_cmpfloat_with_epsilon(sim_out_t975(9), 2.262, 1e-3);
    g_assert_cmpfloat_with_epsilon(sim_out_t975(30), 2.042, 1e-3);
    g_assert_cmpfloat_with_epsilon(sim_out_t975(40), 2.021, 1e-3);
    g_assert_cmpfloat_with_epsilon(sim_out_t975(60), 2.000, 1e-3);
    g_assert_cmpfloat_with_epsilon(sim_out_t975(120), 1.980, 1e-3);
    g_assert_cmpfloat_with_epsilon(sim_out_t975(100000), 1.960, 1e-3);
}

static void
test_aggregate(void)
{
    g_autoptr(SimRunResult) r = make_result();
    g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_strfreev);
    /* calls.completed 1..5 over five runs. */
    for (guint i = 1; i <= 5; i++) {
        r->calls_completed = i;
        g_autofree char *row = sim_out_runs_row(r, NULL);
        g_strchomp(row);
        g_ptr_array_add(rows, g_strsplit(row, "\t", -1));
    }
    char *labels[] = { (char *)"reuse", NULL };
    SimOutGroup g = { labels, rows };
    SimOutStat st;
    g_assert_true(sim_out_group_stat(&g, "calls.completed", &st));
    g_assert_cmpfloat_with_epsilon(st.mean, 3.0, 1e-12);
    g_assert_false(sim_out_group_stat(&g, "strategy", &st));
    const char *names[] = { "strategy", NULL };
    g_autofree char *agg = sim_out_aggregate_tsv(names, &g, 1);
    g_auto(GStrv) lines = g_strsplit(agg, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 3);
    g_assert_true(g_str_has_prefix(lines[0], "strategy\tn\t"
                                             "calls.attempted.mean\t"
                                             "calls.attempted.ci95\t"
                                             "calls.completed.mean\t"));
    g_assert_true(g_str_has_prefix(lines[1], "reuse\t5\t100.000000\t"
                                             "0.000000\t3.000000\t1.9632"));
    g_autofree char *text = sim_out_compare_text(&g, 1, 0);
    g_assert_nonnull(strstr(text, "calls completed"));
    g_assert_nonnull(strstr(text, "3.000 ± 1.963"));
}

/* Means over replications leave nulls out: p95_all is 10, null, 20 in
 * three runs, so its mean is 15 over n = 2 (t(0.975, 1) = 12.7062,
 * s = 7.0711, ci = 12.7062 * 7.0711 / sqrt(2) = 63.531) and the aggregate
 * says n = 2 in latency.setup_ms.p95_all.n; a key null in every run is
 * nan with n = 0. */
static void
test_aggregate_nulls(void)
{
    g_autoptr(SimRunResult) r = make_result();
    g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_strfreev);
    const double p95[] = { 10, NAN, 20 };
    for (guint i = 0; i < 3; i++) {
        r->latency_setup_ms_p95_all = p95[i];
        g_autofree char *row = sim_out_runs_row(r, NULL);
        g_strchomp(row);
        g_ptr_array_add(rows, g_strsplit(row, "\t", -1));
    }
    char *labels[] = { (char *)"reuse", NULL };
    SimOutGroup g = { labels, rows };
    SimOutStat st;
    g_assert_true(sim_out_group_stat(&g, "latency.setup_ms.p95_all", &st));
    g_assert_cmpuint(st.n, ==, 2);
    g_assert_cmpfloat_with_epsilon(st.mean, 15.0, 1e-12);
    g_assert_cmpfloat_with_epsilon(st.ci95, 63.531, 1e-3);
    g_assert_true(sim_out_group_stat(&g, "latency.setup_ms.p99_all", &st));
    g_assert_cmpuint(st.n, ==, 0);
    g_assert_true(isnan(st.mean));
    const char *names[] = { "strategy", NULL };
    g_autofree char *agg = sim_out_aggregate_tsv(names, &g, 1);
    g_auto(GStrv) lines = g_strsplit(agg, "\n", -1);
    g_auto(GStrv) head = g_strsplit(lines[0], "\t", -1);
    g_auto(GStrv) cells = g_strsplit(lines[1], "\t", -1);
    g_assert_cmpuint(g_strv_length(head), ==, g_strv_length(cells));
    gint mean = -1, n95 = -1, n99 = -1, nratio = -1;
    for (guint i = 0; head[i]; i++) {
        if (g_str_equal(head[i], "latency.setup_ms.p95_all.mean"))
            mean = (gint)i;
        if (g_str_equal(head[i], "latency.setup_ms.p95_all.n"))
            n95 = (gint)i;
        if (g_str_equal(head[i], "latency.setup_ms.p99_all.n"))
            n99 = (gint)i;
        if (g_str_equal(head[i], "calls.completion_ratio.n"))
            nratio = (gint)i;
        /* Counts never null: no n column for them. */
        g_assert_cmpstr(head[i], !=, "calls.completed.n");
    }
    g_assert_cmpint(mean, >, 0);
    /* The n columns come after every mean and ci column. */
    g_assert_cmpint(n95, >, mean);
    g_assert_cmpstr(head[g_strv_length(head) - 1], ==,
                    "latency.setup_ms.p99_all.n");
    g_assert_cmpstr(cells[mean], ==, "15.000000");
    g_assert_cmpstr(cells[n95], ==, "2");
    g_assert_cmpstr(cells[n99], ==, "0");
    g_assert_cmpstr(cells[nratio], ==, "3");
    /* The compare table: "(n=2)" where a run had no value, null where
     * none had one. */
    g_autofree char *text = sim_out_compare_text(&g, 1, 0);
    g_assert_nonnull(strstr(text, "setup p95, all calls (ms)"));
    g_assert_nonnull(strstr(text, "15.000 ± 63.531 (n=2)"));
    g_assert_nonnull(strstr(text, "completion ratio"));
    g_assert_nonnull(strstr(text, "0.980 ± 0.000\n"));
}

/* The compare table names its window: with a warm-up, a first line
 * "measured after 10 s warm-up" and the whole-run count of opened
 * connections under the window's; without one, neither.  The rates
 * handshakes.per_s and cpu.crypto_cores_per_node have rows. */
static void
test_compare_window(void)
{
    g_autoptr(SimRunResult) r = make_result();
    g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_strfreev);
    r->connections_opened = 4;
    r->connections_opened_run = 9;
    r->handshakes_per_s = 2.5;
    r->cpu_crypto_cores_per_node = 0.125;
    g_autofree char *row = sim_out_runs_row(r, NULL);
    g_strchomp(row);
    g_ptr_array_add(rows, g_strsplit(row, "\t", -1));
    char *labels[] = { (char *)"reuse", NULL };
    SimOutGroup g = { labels, rows };
    g_autofree char *with = sim_out_compare_text(&g, 1, SIM_S(10));
    g_autofree char *without = sim_out_compare_text(&g, 1, 0);
    g_assert_true(g_str_has_prefix(with, "measured after 10 s warm-up"));
    g_assert_false(g_str_has_prefix(without, "measured"));
    g_assert_nonnull(strstr(with, "\nconnections opened "));
    g_assert_nonnull(strstr(without, "\nconnections opened "));
    /* The whole-run row follows the window row at once. */
    const char *w = strstr(with, "\nconnections opened ");
    const char *next = strchr(w + 1, '\n');
    g_assert_true(g_str_has_prefix(next, "\n  whole run, with warm-up"));
    g_assert_nonnull(strstr(next, "9.000 ± 0.000\n"));
    g_assert_null(strstr(without, "whole run"));
    g_assert_nonnull(strstr(with, "handshakes per second"));
    g_assert_nonnull(strstr(with, "2.500 ± 0.000"));
    g_assert_nonnull(strstr(with, "crypto CPU (cores per node)"));
    g_assert_nonnull(strstr(with, "0.125 ± 0.000"));
    g_autofree char *half = sim_out_compare_text(&g, 1, SIM_MS(500));
    g_assert_true(g_str_has_prefix(half, "measured after 0.5 s warm-up"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("Result formats: contract header, number formats, "
                   "summary.json keys, atomic writes, run folders, "
                   "Student-t intervals and aggregates.");
    g_test_add_func("/out/runs/header", test_runs_header);
    g_test_add_func("/out/runs/row", test_runs_row);
    g_test_add_func("/out/json/keys", test_json_keys);
    g_test_add_func("/out/tables/side", test_side_tables);
    g_test_add_func("/out/write/atomic", test_write_atomic);
    g_test_add_func("/out/write/run", test_write_run);
    g_test_add_func("/out/stat/t-ci", test_t_ci);
    g_test_add_func("/out/stat/t-quantiles", test_t_quantiles);
    g_test_add_func("/out/aggregate/tsv", test_aggregate);
    g_test_add_func("/out/aggregate/nulls", test_aggregate_nulls);
    g_test_add_func("/out/compare/window", test_compare_window);
    return g_test_run();
}
