/* SPDX-License-Identifier: MIT */
/*
 * Tests of the capacity figures (issue 14): calls.completion_ratio and the
 * set-up latency quantiles over every attempted call
 * (latency.setup_ms.p50_all, .p95_all, .p99_all), where a call that did
 * not complete ranks above every completed one and a quantile that falls
 * among those is null.  Hand-made results check the rank arithmetic
 * (ceil(q N) over N attempted calls, worked out here by hand); a small
 * overloaded run (one core, a large per-message cost) checks that a run
 * past saturation reports p95 over its few completed calls as a number
 * and p95_all as null, in the result, runs.tsv and summary.json.  The
 * window's rates (handshakes.per_s, cpu.crypto_cores_per_node) from
 * hand-made counts, and the time series' per-interval maximum and mean of
 * open connections against a run's peak and mean.
 */
#include "run/out.h"
#include "run/world.h"

#include <math.h>
#include <string.h>

/* Nine completed calls at 1, 2, ..., 9 ms, each alone in an 8 us wide
 * bucket [k ms, k ms + 8 us) whose midpoint is k.004 ms; exact minimum
 * 1.000 ms and maximum 9.006 ms (no clamping of any midpoint). */
static SimRunResult *
nine_calls(guint64 attempted)
{
    SimRunResult *r = sim_run_result_new();
    r->n_latency = 9;
    r->latency = g_new0(SimLatencyBucket, 9);
    for (guint k = 1; k <= 9; k++)
        r->latency[k - 1] = (SimLatencyBucket){ k * 1000000ull,
                                                k * 1000000ull + 8000, 1 };
    r->latency_min_ns = 1000000;
    r->latency_max_ns = 9006000;
    r->calls_attempted = attempted;
    r->calls_completed = 9;
    return r;
}

static void
test_ranks_all_completed(void)
{
    /* N = 9: p50 rank ceil(4.5) = 5, p95 rank ceil(8.55) = 9, p99 rank
     * ceil(8.91) = 9. */
    g_autoptr(SimRunResult) r = nine_calls(9);
    sim_run_result_derive(r);
    g_assert_cmpfloat(r->calls_completion_ratio, ==, 1.0);
    g_assert_cmpfloat_with_epsilon(r->latency_setup_ms_p50_all, 5.004, 1e-9);
    g_assert_cmpfloat_with_epsilon(r->latency_setup_ms_p95_all, 9.004, 1e-9);
    g_assert_cmpfloat_with_epsilon(r->latency_setup_ms_p99_all, 9.004, 1e-9);
    /* A midpoint above the exact maximum is clamped to it. */
    r->latency_max_ns = 9002000;
    g_assert_cmpfloat_with_epsilon(sim_run_result_setup_quantile_all(r, 0.95),
                                   9.002, 1e-9);
    /* q = 0 is the smallest. */
    g_assert_cmpfloat_with_epsilon(sim_run_result_setup_quantile_all(r, 0.0),
                                   1.004, 1e-9);
}

static void
test_ranks_one_unfinished(void)
{
    /* N = 10, one call not completed (rank 10): p50 rank 5, p95 rank
     * ceil(9.5) = 10 and p99 rank ceil(9.9) = 10 fall on it. */
    g_autoptr(SimRunResult) r = nine_calls(10);
    sim_run_result_derive(r);
    g_assert_cmpfloat_with_epsilon(r->calls_completion_ratio, 0.9, 1e-12);
    g_assert_cmpfloat_with_epsilon(r->latency_setup_ms_p50_all, 5.004, 1e-9);
    g_assert_true(isnan(r->latency_setup_ms_p95_all));
    g_assert_true(isnan(r->latency_setup_ms_p99_all));
    /* rank ceil(0.9 * 10) = 9: the slowest completed call. */
    g_assert_cmpfloat_with_epsilon(sim_run_result_setup_quantile_all(r, 0.9),
                                   9.004, 1e-9);
}

static void
test_ranks_half(void)
{
    /* N = 18: the median's rank is 9, the slowest completed call; N = 19
     * puts it at rank 10, among the 10 calls that did not complete. */
    g_autoptr(SimRunResult) r = nine_calls(18);
    sim_run_result_derive(r);
    g_assert_cmpfloat_with_epsilon(r->calls_completion_ratio, 0.5, 1e-12);
    g_assert_cmpfloat_with_epsilon(r->latency_setup_ms_p50_all, 9.004, 1e-9);
    g_assert_true(isnan(r->latency_setup_ms_p95_all));
    r->calls_attempted = 19;
    sim_run_result_derive(r);
    g_assert_true(isnan(r->latency_setup_ms_p50_all));
}

static void
test_no_attempt(void)
{
    g_autoptr(SimRunResult) r = sim_run_result_new();
    sim_run_result_derive(r);
    g_assert_true(isnan(r->calls_completion_ratio));
    g_assert_true(isnan(r->latency_setup_ms_p50_all));
    g_assert_true(isnan(r->latency_setup_ms_p95_all));
    g_assert_true(isnan(r->latency_setup_ms_p99_all));
    /* Attempts but no completion: ratio 0, every quantile null. */
    r->calls_attempted = 4;
    sim_run_result_derive(r);
    g_assert_cmpfloat(r->calls_completion_ratio, ==, 0.0);
    g_assert_true(isnan(r->latency_setup_ms_p50_all));
}

/* With every attempted call completed, the quantiles over all calls are
 * the histogram's own (sim_histogram_quantile) on the same values. */
static void
test_matches_histogram(void)
{
    g_autoptr(SimHistogram) h = sim_histogram_new();
    guint64 v = 700000;
    for (guint i = 0; i < 1000; i++) {
        v = (v * 1103515245ull + 12345ull) % 2000000000ull;
        sim_histogram_record(h, 100000 + v);
    }
    g_autoptr(SimRunResult) r = sim_run_result_new();
    GArray *b = g_array_new(FALSE, FALSE, sizeof(SimLatencyBucket));
    SimLatencyBucket lb;
    guint iter = 0;
    while (sim_histogram_next_bucket(h, &iter, &lb.lo, &lb.hi, &lb.count))
        g_array_append_val(b, lb);
    r->n_latency = b->len;
    r->latency = (SimLatencyBucket *)g_array_free(b, FALSE);
    r->latency_min_ns = sim_histogram_min(h);
    r->latency_max_ns = sim_histogram_max(h);
    r->calls_attempted = r->calls_completed = 1000;
    const double qs[] = { 0.0, 0.5, 0.95, 0.99, 1.0 };
    for (guint i = 0; i < G_N_ELEMENTS(qs); i++)
        g_assert_cmpfloat(sim_run_result_setup_quantile_all(r, qs[i]), ==,
                          sim_histogram_quantile(h, qs[i]) / 1e6);
}

/* A run past saturation: B has one core and every SIP message costs it
 * 40 ms, so it serves at most 25 messages a second; 30 calls a second of
 * five or more messages each at B leave most calls unanswered at the end
 * (or failed by Timer B), while the first calls complete. */
static const char overloaded_topo[] =
    "[simulation]\nduration = 20s\nseed = 5\n"
    "[transport]\nprotocol = tcp\n"
    "[network]\ndefault-delay = 10ms\n"
    "[domain a.test]\n[domain b.test]\n"
    "[node A]\nhost = pa.a.test\naddress = 10.1.0.1\ndomains = a.test\n"
    "cores = 4\n"
    "[node B]\nhost = pb.b.test\naddress = 10.2.0.1\ndomains = b.test\n"
    "cores = 1\nsip-cost = 40ms\n"
    "[traffic ab]\nfrom = a.test\nto = b.test\nrate = 30\nhold = 2s\n";

static void
test_overloaded_run(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) topo = sim_topo_load_data(
        "overloaded", overloaded_topo, strlen(overloaded_topo), NULL, &error);
    g_assert_no_error(error);
    SimRunOptions opt = { .strategy = "rfc3261" };
    g_autoptr(SimRunResult) r = sim_world_run(topo, &opt, &error);
    g_assert_no_error(error);
    guint64 n = r->calls_attempted, c = r->calls_completed;
    g_test_message("attempted %" G_GUINT64_FORMAT " completed %"
                   G_GUINT64_FORMAT " p95 %.3f ms", n, c,
                   r->latency_setup_ms_p95);
    g_assert_cmpuint(c, >, 0);
    /* p95 over all calls needs ceil(0.95 n) completed calls. */
    g_assert_cmpuint(c, <, (guint64)ceil(0.95 * (double)n));
    guint64 hist = 0;
    for (guint i = 0; i < r->n_latency; i++)
        hist += r->latency[i].count;
    g_assert_cmpuint(hist, ==, c);
    g_assert_cmpfloat_with_epsilon(r->calls_completion_ratio,
                                   (double)c / (double)n, 1e-12);
    g_assert_true(isfinite(r->latency_setup_ms_p95));
    g_assert_true(isnan(r->latency_setup_ms_p95_all));
    g_assert_true(isnan(r->latency_setup_ms_p99_all));
    g_assert_cmpint(isnan(r->latency_setup_ms_p50_all), ==,
                    c < (guint64)ceil(0.5 * (double)n));
    /* Written as nan in runs.tsv and null in summary.json, appended after
     * every earlier column. */
    g_autofree char *header = sim_out_runs_header();
    g_autofree char *row = sim_out_runs_row(r, NULL);
    g_auto(GStrv) hk = g_strsplit(g_strchomp(header), "\t", -1);
    g_auto(GStrv) rv = g_strsplit(g_strchomp(row), "\t", -1);
    guint nk = g_strv_length(hk);
    g_assert_cmpuint(nk, ==, g_strv_length(rv));
    /* Appended after the laws' columns (connections.open_end), in this
     * order; later columns follow them. */
    guint at = 0;
    while (at < nk && !g_str_equal(hk[at], "connections.open_end"))
        at++;
    g_assert_cmpuint(at + 4, <, nk);
    g_assert_cmpstr(hk[at + 1], ==, "calls.completion_ratio");
    g_assert_cmpstr(hk[at + 3], ==, "latency.setup_ms.p95_all");
    g_assert_cmpstr(rv[at + 3], ==, "nan");
    g_assert_cmpstr(rv[at + 4], ==, "nan");
    g_assert_cmpstr(rv[9], !=, "nan");
    g_autofree char *j = sim_out_summary_json(r, NULL);
    g_assert_nonnull(strstr(j, "\"latency.setup_ms.p95_all\": null,"));
    g_autofree char *ratio = g_strdup_printf(
        "\"calls.completion_ratio\": %.6f,", (double)c / (double)n);
    g_assert_nonnull(strstr(j, ratio));
}

/* Rates over the window, from figures chosen here: a 70 s run after a
 * 10 s warm-up has a 60 s window; 30 TCP + 6 SCTP + 12 full + 12 resumed
 * TLS handshakes are 60 in it, 1 per second; 3.6 s of crypto CPU on
 * three nodes is 3.6 / 60 / 3 = 0.02 cores per node.  An empty window
 * (warm-up as long as the run) has no rate: null. */
static void
test_window_rates(void)
{
    g_autoptr(SimRunResult) r = sim_run_result_new();
    r->topology = g_strdup("t");
    r->strategy = g_strdup("reuse");
    r->protocol = g_strdup("tls");
    r->duration = SIM_S(70);
    r->warmup = SIM_S(10);
    r->handshakes_tcp = 30;
    r->handshakes_sctp = 6;
    r->handshakes_tls_full = 12;
    r->handshakes_tls_resumed = 12;
    r->cpu_crypto_s = 3.6;
    r->n_nodes = 3;
    r->nodes = g_new0(SimNodeResult, 3);
    sim_run_result_derive(r);
    g_assert_cmpfloat_with_epsilon(r->handshakes_per_s, 1.0, 1e-12);
    g_assert_cmpfloat_with_epsilon(r->cpu_crypto_cores_per_node, 0.02,
                                   1e-12);
    /* In runs.tsv, after the capacity columns. */
    g_autofree char *header = sim_out_runs_header();
    g_autofree char *row = sim_out_runs_row(r, NULL);
    g_auto(GStrv) hk = g_strsplit(g_strchomp(header), "\t", -1);
    g_auto(GStrv) rv = g_strsplit(g_strchomp(row), "\t", -1);
    guint nk = g_strv_length(hk);
    /* The cost model's two columns came after them. */
    g_assert_cmpstr(hk[nk - 1], ==, "memory.node_bytes_peak");
    g_assert_cmpstr(hk[nk - 2], ==, "calls.rejected");
    nk -= 2;
    g_assert_cmpstr(hk[nk - 2], ==, "handshakes.per_s");
    g_assert_cmpstr(hk[nk - 1], ==, "cpu.crypto_cores_per_node");
    g_assert_cmpstr(hk[nk - 3], ==, "latency.setup_ms.p99_all");
    g_assert_cmpstr(rv[nk - 2], ==, "1.000000");
    g_assert_cmpstr(rv[nk - 1], ==, "0.020000");
    r->warmup = r->duration;
    sim_run_result_derive(r);
    g_assert_true(isnan(r->handshakes_per_s));
    g_assert_true(isnan(r->cpu_crypto_cores_per_node));
}

/* Per-transaction TLS connections come and go within a second, so the
 * once-a-second sample misses peaks.  timeseries.tsv's
 * open_connections_max holds each interval's highest level: never below
 * the sampled level nor the interval's mean, and (no warm-up) its
 * largest value over the run is connections.peak.  The mean column over
 * the whole intervals averages to connections.mean (the run is a whole
 * number of intervals and the window is the run). */
static const char churn_topo[] =
    "[simulation]\nduration = 20s\nseed = 3\n"
    "[transport]\nprotocol = tls\n"
    "[network]\ndefault-delay = 20ms\n"
    "[domain a.test]\nsrv = 10 10 * pa.a.test\n"
    "[domain b.test]\nsrv = 10 10 * pb.b.test\n"
    "[node A]\nhost = pa.a.test\naddress = 10.1.0.1\ndomains = a.test\n"
    "cert-san = URI:sip:a.test, URI:sip:pa.a.test\n"
    "[node B]\nhost = pb.b.test\naddress = 10.2.0.1\ndomains = b.test\n"
    "cert-san = URI:sip:b.test, URI:sip:pb.b.test\n"
    "[traffic ab]\nfrom = a.test\nto = b.test\nrate = 40\nhold = 1s\n";

static void
test_series_max(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) topo = sim_topo_load_data(
        "churn", churn_topo, strlen(churn_topo), NULL, &error);
    g_assert_no_error(error);
    SimRunOptions opt = { .strategy = "per-transaction" };
    g_autoptr(SimRunResult) r = sim_world_run(topo, &opt, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(r->n_samples, ==, 21);
    guint64 top = 0;
    guint above = 0;
    double sum = 0;
    for (guint k = 0; k < r->n_samples; k++) {
        const SimSample *x = &r->samples[k];
        g_assert_cmpuint(x->open_connections_max, >=, x->open_connections);
        g_assert_cmpfloat(x->open_connections_max, >=,
                          x->open_connections_mean - 1e-9);
        top = MAX(top, x->open_connections_max);
        above += x->open_connections_max > x->open_connections;
        if (k > 0)
            sum += x->open_connections_mean;
    }
    g_test_message("peak %" G_GUINT64_FORMAT ", intervals whose max "
                   "exceeds the sample: %u", r->connections_peak, above);
    g_assert_cmpuint(top, ==, r->connections_peak);
    g_assert_cmpuint(above, >, 0);
    g_assert_cmpfloat_with_epsilon(sum / 20.0, r->connections_mean, 1e-9);
    /* The sampled level alone misses the peak here. */
    guint64 sampled = 0;
    for (guint k = 0; k < r->n_samples; k++)
        sampled = MAX(sampled, r->samples[k].open_connections);
    g_assert_cmpuint(sampled, <, r->connections_peak);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("Capacity figures: completion ratio and set-up latency "
                   "quantiles over every attempted call, by hand-made "
                   "ranks and in an overloaded run.");
    g_test_add_func("/capacity/all/ranks-all-completed",
                    test_ranks_all_completed);
    g_test_add_func("/capacity/all/ranks-one-unfinished",
                    test_ranks_one_unfinished);
    g_test_add_func("/capacity/all/ranks-half", test_ranks_half);
    g_test_add_func("/capacity/all/no-attempt", test_no_attempt);
    g_test_add_func("/capacity/all/matches-histogram",
                    test_matches_histogram);
    g_test_add_func("/capacity/run/overloaded", test_overloaded_run);
    g_test_add_func("/capacity/window/rates", test_window_rates);
    g_test_add_func("/capacity/window/series-max", test_series_max);
    return g_test_run();
}
