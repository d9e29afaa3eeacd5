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
 * and p95_all as null, in the result, runs.tsv and summary.json.
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
    g_assert_cmpstr(hk[nk - 4], ==, "calls.completion_ratio");
    g_assert_cmpstr(hk[nk - 2], ==, "latency.setup_ms.p95_all");
    g_assert_cmpstr(rv[nk - 2], ==, "nan");
    g_assert_cmpstr(rv[nk - 1], ==, "nan");
    g_assert_cmpstr(rv[9], !=, "nan");
    g_autofree char *j = sim_out_summary_json(r, NULL);
    g_assert_nonnull(strstr(j, "\"latency.setup_ms.p95_all\": null,"));
    g_autofree char *ratio = g_strdup_printf(
        "\"calls.completion_ratio\": %.6f,", (double)c / (double)n);
    g_assert_nonnull(strstr(j, ratio));
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
    return g_test_run();
}
