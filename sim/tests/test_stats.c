/* SPDX-License-Identifier: MIT */
/*
 * Tests of the statistics collector.  Histogram quantiles are checked
 * against the exact order statistics of known samples (the ceil(q n)-th
 * smallest) within the documented bound of half a bucket,
 * SIM_HISTOGRAM_REL_ERROR / 2 of the value; gauge means against integrals
 * of step functions worked out by hand; warm-up exclusion against the same
 * integrals restricted to the window.
 */
#include "sim/stats.h"

#include <math.h>

#define S ((SimTime)1000000000)

static gint
u64_cmp(gconstpointer a, gconstpointer b)
{
    guint64 x = *(const guint64 *)a, y = *(const guint64 *)b;
    return x < y ? -1 : x > y;
}

/* Exact q-quantile of sorted values: the ceil(q n)-th smallest. */
static guint64
exact_quantile(const guint64 *sorted, guint n, double q)
{
    guint64 k = (guint64)ceil(q * n);
    return sorted[CLAMP(k, 1, n) - 1];
}

static void
test_histogram_small_exact(void)
{
    /* Values below 2^SUB_BITS have buckets one unit wide: exact. */
    g_autoptr(SimHistogram) h = sim_histogram_new();
    for (guint64 v = 1; v <= 100; v++)
        sim_histogram_record(h, v);
    g_assert_cmpuint(sim_histogram_count(h), ==, 100);
    g_assert_cmpfloat(sim_histogram_mean(h), ==, 50.5);
    g_assert_cmpuint(sim_histogram_quantile(h, 0.5), ==, 50);
    g_assert_cmpuint(sim_histogram_quantile(h, 0.95), ==, 95);
    g_assert_cmpuint(sim_histogram_quantile(h, 0.99), ==, 99);
    g_assert_cmpuint(sim_histogram_quantile(h, 0.0), ==, 1);
    g_assert_cmpuint(sim_histogram_quantile(h, 1.0), ==, 100);
    g_assert_cmpuint(sim_histogram_max(h), ==, 100);
    g_assert_cmpuint(sim_histogram_min(h), ==, 1);
}

static void
test_histogram_quantiles(void)
{
    /* Latency-like values from 10 us to ~100 s spread over 7 decades by
     * a multiplicative congruential walk (deterministic, no RNG). */
    const guint n = 20011;
    g_autofree guint64 *v = g_new(guint64, n);
    g_autoptr(SimHistogram) h = sim_histogram_new();
    guint64 x = 12345;
    double sum = 0;
    for (guint i = 0; i < n; i++) {
        x = (x * 48271) % 2147483647;
        double frac = (double)x / 2147483647.0;
        v[i] = (guint64)(1e4 * pow(10.0, 7.0 * frac));
        sum += (double)v[i];
        sim_histogram_record(h, v[i]);
    }
    qsort(v, n, sizeof(guint64), u64_cmp);
    g_assert_cmpuint(sim_histogram_count(h), ==, n);
    g_assert_cmpuint(sim_histogram_max(h), ==, v[n - 1]);
    g_assert_cmpfloat_with_epsilon(sim_histogram_mean(h), sum / n,
                                   1e-9 * sum / n);
    const double qs[] = { 0.001, 0.1, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999 };
    for (guint i = 0; i < G_N_ELEMENTS(qs); i++) {
        double exact = (double)exact_quantile(v, n, qs[i]);
        double got = (double)sim_histogram_quantile(h, qs[i]);
        g_assert_cmpfloat(fabs(got - exact), <=,
                          exact * SIM_HISTOGRAM_REL_ERROR / 2);
        /* The contract promises < 1% relative error. */
        g_assert_cmpfloat(fabs(got - exact) / exact, <, 0.01);
    }
}

static void
test_histogram_buckets(void)
{
    g_autoptr(SimHistogram) h = sim_histogram_new();
    const guint64 vals[] = { 0, 5, 127, 128, 129, 1000, 1000, 123456789,
                             G_MAXUINT64 };
    for (guint i = 0; i < G_N_ELEMENTS(vals); i++)
        sim_histogram_record(h, vals[i]);
    guint iter = 0, nb = 0;
    guint64 lo, hi, c, total = 0, prev_hi = 0;
    while (sim_histogram_next_bucket(h, &iter, &lo, &hi, &c)) {
        g_assert_cmpuint(lo, >=, prev_hi);
        g_assert_cmpuint(hi, >, lo);
        /* Width at most lo / 128 (or one unit below 128). */
        g_assert_cmpuint(hi - lo, <=, MAX(1, lo >> SIM_HISTOGRAM_SUB_BITS));
        /* Every value lies in some bucket [lo, hi); count it there. */
        guint64 inside = 0;
        for (guint i = 0; i < G_N_ELEMENTS(vals); i++)
            if (vals[i] >= lo && (vals[i] < hi || hi == G_MAXUINT64))
                inside++;
        g_assert_cmpuint(inside, ==, c);
        total += c;
        prev_hi = hi;
        nb++;
    }
    /* 1000 twice shares a bucket: 8 distinct buckets. */
    g_assert_cmpuint(nb, ==, 8);
    g_assert_cmpuint(total, ==, G_N_ELEMENTS(vals));
    g_assert_cmpuint(sim_histogram_max(h), ==, G_MAXUINT64);
}

static void
test_histogram_warmup(void)
{
    g_autoptr(SimStats) s = sim_stats_new();
    SimHistogram *h = sim_stats_histogram(s, "latency.setup");
    sim_histogram_record(h, 1000000);
    sim_histogram_record(h, 9000000);
    sim_stats_begin_window(s, 10 * S);
    sim_histogram_record(h, 20);
    sim_histogram_record(h, 40);
    sim_stats_finish(s, 20 * S);
    g_assert_cmpuint(sim_histogram_count(h), ==, 2);
    g_assert_cmpuint(sim_histogram_count_run(h), ==, 4);
    g_assert_cmpfloat(sim_histogram_mean(h), ==, 30.0);
    g_assert_cmpuint(sim_histogram_max(h), ==, 40);
    g_assert_cmpuint(sim_histogram_quantile(h, 0.5), ==, 20);
}

static void
test_histogram_merge(void)
{
    g_autoptr(SimHistogram) a = sim_histogram_new();
    g_autoptr(SimHistogram) b = sim_histogram_new();
    sim_histogram_record(a, 10);
    sim_histogram_record(b, 30);
    sim_histogram_record(b, 50);
    sim_histogram_merge(a, b);
    g_assert_cmpuint(sim_histogram_count(a), ==, 3);
    g_assert_cmpfloat(sim_histogram_mean(a), ==, 30.0);
    g_assert_cmpuint(sim_histogram_quantile(a, 0.5), ==, 30);
    g_assert_cmpuint(sim_histogram_min(a), ==, 10);
    g_assert_cmpuint(sim_histogram_max(a), ==, 50);
}

/* The step function 0 on [0,1), 2 on [1,3), 5 on [3,4), 4 on [4,6] seconds,
 * with a spike to 10 on [0.5, 0.75). */
static void
drive_steps(SimStats *s, SimGauge *g, SimTime window)
{
    g_assert_cmpuint(window, <, 3 * S);
    sim_gauge_set(g, S / 2, 10);
    sim_gauge_set(g, 3 * S / 4, 0);
    sim_gauge_set(g, 1 * S, 2);
    if (window)
        sim_stats_begin_window(s, window);
    sim_gauge_add(g, 3 * S, 3);
    sim_gauge_add(g, 4 * S, -1);
    sim_stats_finish(s, 6 * S);
}

static void
test_gauge_mean(void)
{
    g_autoptr(SimStats) s = sim_stats_new();
    SimGauge *g = sim_stats_gauge(s, "connections.open");
    drive_steps(s, g, 0);
    /* 10*0.25 + 2*2 + 5*1 + 4*2 = 19.5 level-seconds over 6 s. */
    g_assert_cmpfloat_with_epsilon(sim_gauge_mean(g), 19.5 / 6, 1e-12);
    g_assert_cmpfloat_with_epsilon(sim_gauge_mean_run(g), 19.5 / 6, 1e-12);
    g_assert_cmpint(sim_gauge_peak(g), ==, 10);
    g_assert_cmpint(sim_gauge_peak_run(g), ==, 10);
    g_assert_cmpint(sim_gauge_level(g), ==, 4);
}

static void
test_gauge_window(void)
{
    g_autoptr(SimStats) s = sim_stats_new();
    SimGauge *g = sim_stats_gauge(s, "connections.open");
    drive_steps(s, g, 2 * S);
    /* Window [2, 6]: 2*1 + 5*1 + 4*2 = 15 over 4 s; the spike is outside. */
    g_assert_cmpfloat_with_epsilon(sim_gauge_mean(g), 15.0 / 4, 1e-12);
    g_assert_cmpfloat_with_epsilon(sim_gauge_mean_run(g), 19.5 / 6, 1e-12);
    g_assert_cmpint(sim_gauge_peak(g), ==, 5);
    g_assert_cmpint(sim_gauge_peak_run(g), ==, 10);
}

static void
test_gauge_series(void)
{
    g_autoptr(SimStats) s = sim_stats_new();
    sim_stats_set_sample_interval(s, 2 * S);
    SimGauge *g = sim_stats_gauge(s, "cpu.busy");
    sim_gauge_set(g, 1 * S, 2);
    sim_gauge_add(g, 3 * S, 3);
    sim_gauge_add(g, 4 * S, -1);
    sim_stats_finish(s, 7 * S);
    /* [0,2): (0*1 + 2*1)/2 = 1; [2,4): (2*1 + 5*1)/2 = 3.5;
     * [4,6): 4; partial [6,7): 4. */
    g_assert_cmpuint(sim_gauge_n_samples(g), ==, 4);
    g_assert_cmpfloat(sim_gauge_sample_mean(g, 0), ==, 1.0);
    g_assert_cmpfloat(sim_gauge_sample_mean(g, 1), ==, 3.5);
    g_assert_cmpfloat(sim_gauge_sample_mean(g, 2), ==, 4.0);
    g_assert_cmpfloat(sim_gauge_sample_mean(g, 3), ==, 4.0);
    g_assert_cmpint(sim_gauge_sample_level(g, 0), ==, 2);
    g_assert_cmpint(sim_gauge_sample_level(g, 1), ==, 5);
    g_assert_cmpuint(sim_stats_sample_interval(s), ==, 2 * S);
}

/* Per-interval maximum: a spike inside an interval, one that lasts no
 * time at all, an interval with no update (its level at the start), a
 * change exactly on a boundary (the next interval's), and the partial
 * last interval.  Expected values read off the sequence by hand. */
static void
test_gauge_series_max(void)
{
    const SimTime MS = S / 1000;
    g_autoptr(SimStats) s = sim_stats_new();
    sim_stats_set_sample_interval(s, 1 * S);
    SimGauge *g = sim_stats_gauge(s, "connections.open");
    sim_gauge_set(g, 200 * MS, 3);
    sim_gauge_set(g, 500 * MS, 9);   /* held 100 ms */
    sim_gauge_set(g, 600 * MS, 1);
    sim_gauge_set(g, 1500 * MS, 7);  /* held no time */
    sim_gauge_set(g, 1500 * MS, 2);
    sim_gauge_set(g, 3000 * MS, 4);  /* on the boundary: [3, 4); [2, 3)
                                      * closes at level 2 */
    sim_gauge_set(g, 3200 * MS, 0);
    sim_stats_finish(s, 3500 * MS);
    static const gint64 want_max[] = { 9, 7, 2, 4 };
    static const gint64 want_level[] = { 1, 2, 2, 0 };
    g_assert_cmpuint(sim_gauge_n_samples(g), ==, G_N_ELEMENTS(want_max));
    for (guint i = 0; i < G_N_ELEMENTS(want_max); i++) {
        g_assert_cmpint(sim_gauge_sample_max(g, i), ==, want_max[i]);
        g_assert_cmpint(sim_gauge_sample_level(g, i), ==, want_level[i]);
        g_assert_cmpint(sim_gauge_sample_max(g, i), >=,
                        (gint64)sim_gauge_sample_mean(g, i));
    }
    /* [0,1): 0.2*0 + 0.3*3 + 0.1*9 + 0.4*1 = 2.2; the partial [3,3.5):
     * (0.2*4 + 0.3*0) / 0.5 = 1.6. */
    g_assert_cmpfloat_with_epsilon(sim_gauge_sample_mean(g, 0), 2.2, 1e-12);
    g_assert_cmpfloat_with_epsilon(sim_gauge_sample_mean(g, 3), 1.6, 1e-12);
    g_assert_cmpint(sim_gauge_peak(g), ==, 9);
}

static void
test_counter_window(void)
{
    g_autoptr(SimStats) s = sim_stats_new();
    SimCounter *c = sim_stats_counter(s, "calls.attempted");
    sim_counter_add(c, 3);
    sim_stats_begin_window(s, S);
    sim_counter_add(c, 4);
    sim_stats_finish(s, 2 * S);
    g_assert_cmpuint(sim_counter_window(c), ==, 4);
    g_assert_cmpuint(sim_counter_run(c), ==, 7);
}

static void
test_names_sorted(void)
{
    g_autoptr(SimStats) s = sim_stats_new();
    const char *order[] = { "node.pb.calls", "alias.hits", "node.pa.calls",
                            "zeta", "node.pa.bytes" };
    for (guint i = 0; i < G_N_ELEMENTS(order); i++)
        sim_stats_counter(s, order[i]);
    /* Registration is idempotent. */
    g_assert_true(sim_stats_counter(s, "zeta") ==
                  sim_stats_counter(s, "zeta"));
    g_auto(GStrv) all = sim_stats_names(s, SIM_STAT_COUNTER, NULL);
    g_assert_cmpuint(g_strv_length(all), ==, 5);
    g_assert_cmpstr(all[0], ==, "alias.hits");
    g_assert_cmpstr(all[1], ==, "node.pa.bytes");
    g_assert_cmpstr(all[2], ==, "node.pa.calls");
    g_assert_cmpstr(all[3], ==, "node.pb.calls");
    g_assert_cmpstr(all[4], ==, "zeta");
    g_auto(GStrv) nodes = sim_stats_names(s, SIM_STAT_COUNTER, "node.pa.");
    g_assert_cmpuint(g_strv_length(nodes), ==, 2);
    g_assert_null(sim_stats_lookup(s, SIM_STAT_GAUGE, "zeta"));
    g_assert_nonnull(sim_stats_lookup(s, SIM_STAT_COUNTER, "zeta"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("Statistics collector: HDR histogram quantiles within "
                   "half a bucket, gauge integrals, warm-up window, series "
                   "and sorted names.");
    g_test_add_func("/stats/histogram/small-exact",
                    test_histogram_small_exact);
    g_test_add_func("/stats/histogram/quantiles", test_histogram_quantiles);
    g_test_add_func("/stats/histogram/buckets", test_histogram_buckets);
    g_test_add_func("/stats/histogram/warmup", test_histogram_warmup);
    g_test_add_func("/stats/histogram/merge", test_histogram_merge);
    g_test_add_func("/stats/gauge/mean", test_gauge_mean);
    g_test_add_func("/stats/gauge/warmup", test_gauge_window);
    g_test_add_func("/stats/gauge/series", test_gauge_series);
    g_test_add_func("/stats/gauge/series-max", test_gauge_series_max);
    g_test_add_func("/stats/counter/warmup", test_counter_window);
    g_test_add_func("/stats/names/sorted", test_names_sorted);
    return g_test_run();
}
