/* SPDX-License-Identifier: MIT */
/*
 * Tests of the call generator against the Poisson process it claims to be.
 * Statistical bounds are 5 standard errors of each estimator (two-sided
 * false-alarm probability 5.7e-7 for a correct generator) and the KS test
 * uses the 0.1 % critical value of the Kolmogorov distribution
 * (sqrt(n) * D > 1.95 with probability 0.001); the seed is fixed, so each
 * outcome is deterministic.  Windows, counts and round robin are exact.
 */
#include "models/traffic.h"

#include <math.h>

/* A hand-built group: domains a (0) and b (1); nodes n0, n2, n3 serve a,
 * n1 serves b, so the origins of a-to-b are n0, n2, n3. */
typedef struct {
    SimTrafficConfig traffic;
    guint origins[3];
} Fixture;

/* What the hooks record. */
typedef struct {
    GArray *times;   /* of SimTime */
    GArray *origins; /* of guint */
    GArray *holds;   /* of SimTime */
    guint64 by_caller;
    guint64 lost;
    gboolean up[4];
    SimCtx *ctx;
} Sink;

static void
fixture_init(Fixture *f, double rate)
{
    *f = (Fixture){ 0 };
    f->origins[0] = 0;
    f->origins[1] = 2;
    f->origins[2] = 3;
    f->traffic = (SimTrafficConfig){
        .name = "a-to-b", .from = 0, .to = 1, .rate = rate,
        .hold = SIM_S(60), .bye_by = SIM_BYE_BY_CALLER,
        .start = 0, .stop = SIM_TIME_NEVER, .count = 0,
        .origins = f->origins, .n_origins = 3,
    };
}

static void
sink_originate(const SimTrafficCall *call, gpointer user)
{
    Sink *s = user;
    SimTime now = sim_ctx_now(s->ctx);
    g_array_append_val(s->times, now);
    g_array_append_val(s->origins, call->origin);
    g_array_append_val(s->holds, call->hold);
    s->by_caller += call->bye_by_caller;
    g_assert_cmpuint(call->seq, ==, s->times->len + s->lost);
    g_assert_cmpuint(call->from, ==, 0);
    g_assert_cmpuint(call->to, ==, 1);
}

static gboolean
sink_up(guint node, gpointer user)
{
    return ((Sink *)user)->up[node];
}

static void
sink_lost(const SimTrafficCall *call, gpointer user)
{
    g_assert_cmpuint(call->origin, ==, G_MAXUINT);
    ((Sink *)user)->lost++;
}

static const SimTrafficHooks sink_hooks = {
    .originate = sink_originate,
    .node_up = sink_up,
    .lost = sink_lost,
};

/* Runs the fixture's group until @end with @seed; fills @s. */
static void
run(Fixture *f, guint64 seed, SimTime end, Sink *s)
{
    SimCtx ctx = { .evq = sim_evq_new(), .seed = seed };
    *s = (Sink){ .ctx = &ctx };
    s->times = g_array_new(FALSE, FALSE, sizeof(SimTime));
    s->origins = g_array_new(FALSE, FALSE, sizeof(guint));
    s->holds = g_array_new(FALSE, FALSE, sizeof(SimTime));
    for (guint i = 0; i < 4; i++)
        s->up[i] = TRUE;
    g_autoptr(SimTraffic) t = sim_traffic_new(&ctx, &f->traffic, &sink_hooks,
                                              s);
    sim_traffic_start(t, end);
    sim_evq_run_until(ctx.evq, SIM_TIME_NEVER - 1);
    /* The generator never leaves an event past the end behind. */
    g_assert_cmpuint(sim_evq_pending(ctx.evq), ==, 0);
    g_assert_cmpuint(sim_traffic_generated(t), ==, s->times->len + s->lost);
    sim_evq_free(ctx.evq);
    s->ctx = NULL;
}

static void
sink_clear(Sink *s)
{
    g_array_unref(s->times);
    g_array_unref(s->origins);
    g_array_unref(s->holds);
}

/* 100 calls/s for 1000 s: the count is Poisson(1e5), sd 316. */
static void
test_count(void)
{
    Fixture f;
    Sink s;
    fixture_init(&f, 100);
    run(&f, 7, SIM_S(1000), &s);
    double lambda = 100.0 * 1000;
    g_assert_cmpfloat(fabs(s.times->len - lambda), <=, 5 * sqrt(lambda));
    for (guint i = 1; i < s.times->len; i++)
        g_assert_cmpuint(g_array_index(s.times, SimTime, i), >=,
                         g_array_index(s.times, SimTime, i - 1));
    g_assert_cmpuint(g_array_index(s.times, SimTime, s.times->len - 1), <,
                     SIM_S(1000));
    sink_clear(&s);
}

/* Gaps are exponential with mean m = 10 ms: mean (SE m/sqrt(n)), variance
 * m^2 (SE sqrt(8/n) m^2, as mu4 = 9 m^4) and the KS distance to
 * 1 - exp(-x/m). */
static void
test_gaps(void)
{
    Fixture f;
    Sink s;
    fixture_init(&f, 100);
    run(&f, 11, SIM_S(500), &s);
    guint n = s.times->len;
    g_autofree double *gap = g_new(double, n);
    double m = 1e7, mean = 0, var = 0, prev = 0;
    for (guint i = 0; i < n; i++) {
        double t = (double)g_array_index(s.times, SimTime, i);
        gap[i] = t - prev;
        prev = t;
        mean += gap[i] / n;
    }
    for (guint i = 0; i < n; i++)
        var += (gap[i] - mean) * (gap[i] - mean) / (n - 1);
    g_assert_cmpfloat(fabs(mean - m), <=, 5 * m / sqrt(n));
    g_assert_cmpfloat(fabs(var - m * m), <=, 5 * sqrt(8.0 / n) * m * m);

    sink_clear(&s);
}

static gint
double_cmp(gconstpointer a, gconstpointer b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void
test_ks(void)
{
    Fixture f;
    Sink s;
    fixture_init(&f, 100);
    run(&f, 13, SIM_S(200), &s);
    guint n = s.times->len;
    g_autofree double *gap = g_new(double, n);
    double prev = 0, m = 1e7, d = 0;
    for (guint i = 0; i < n; i++) {
        double t = (double)g_array_index(s.times, SimTime, i);
        gap[i] = t - prev;
        prev = t;
    }
    qsort(gap, n, sizeof(double), double_cmp);
    for (guint i = 0; i < n; i++) {
        double cdf = 1 - exp(-gap[i] / m);
        d = MAX(d, MAX((i + 1.0) / n - cdf, cdf - (double)i / n));
    }
    g_assert_cmpfloat(sqrt(n) * d, <, 1.95);
    sink_clear(&s);
}

/* Counts per 1 s window of a Poisson process with lambda = 50 have mean
 * and variance 50; the sample variance has SE sqrt((mu4 - s^4)/n) with
 * mu4 = lambda (1 + 3 lambda). */
static void
test_dispersion(void)
{
    Fixture f;
    Sink s;
    fixture_init(&f, 50);
    guint w = 2000;
    run(&f, 17, SIM_S(w), &s);
    g_autofree double *cnt = g_new0(double, w);
    for (guint i = 0; i < s.times->len; i++)
        cnt[g_array_index(s.times, SimTime, i) / SIM_S(1)] += 1;
    double lambda = 50, mean = 0, var = 0;
    for (guint i = 0; i < w; i++)
        mean += cnt[i] / w;
    for (guint i = 0; i < w; i++)
        var += (cnt[i] - mean) * (cnt[i] - mean) / (w - 1);
    double mu4 = lambda * (1 + 3 * lambda);
    g_assert_cmpfloat(fabs(mean - lambda), <=, 5 * sqrt(lambda / w));
    g_assert_cmpfloat(fabs(var - lambda), <=,
                      5 * sqrt((mu4 - lambda * lambda) / w));
    sink_clear(&s);
}

/* start/stop bound the arrivals; count caps them exactly. */
static void
test_window(void)
{
    Fixture f;
    Sink s;
    fixture_init(&f, 100);
    f.traffic.start = SIM_S(10);
    f.traffic.stop = SIM_S(20);
    run(&f, 5, SIM_S(1000), &s);
    g_assert_cmpuint(s.times->len, >, 0);
    g_assert_cmpuint(g_array_index(s.times, SimTime, 0), >=, SIM_S(10));
    g_assert_cmpuint(g_array_index(s.times, SimTime, s.times->len - 1), <,
                     SIM_S(20));
    g_assert_cmpfloat(fabs(s.times->len - 1000.0), <=, 5 * sqrt(1000.0));
    sink_clear(&s);
}

static void
test_count_limit(void)
{
    Fixture f;
    Sink s;
    fixture_init(&f, 100);
    f.traffic.count = 7;
    run(&f, 5, SIM_S(1000), &s);
    g_assert_cmpuint(s.times->len, ==, 7);
    /* Seven arrivals at 100/s end long before the run does. */
    g_assert_cmpuint(g_array_index(s.times, SimTime, 6), <, SIM_S(10));
    sink_clear(&s);
}

/* The first arrival of a group that never starts before the end: none. */
static void
test_start_after_end(void)
{
    Fixture f;
    Sink s;
    fixture_init(&f, 100);
    f.traffic.start = SIM_S(50);
    run(&f, 5, SIM_S(50), &s);
    g_assert_cmpuint(s.times->len, ==, 0);
    sink_clear(&s);
}

/* Origins cycle over n0, n2, n3 (the nodes serving a), skipping down
 * ones; with none up, calls are lost. */
static void
sink_originate_toggle(const SimTrafficCall *call, gpointer user)
{
    Sink *s = user;
    sink_originate(call, user);
    /* After 6 calls n2 goes down; after 10 every a node does. */
    if (s->times->len == 6)
        s->up[2] = FALSE;
    if (s->times->len == 10)
        s->up[0] = s->up[3] = FALSE;
}

static void
test_round_robin(void)
{
    Fixture f;
    fixture_init(&f, 100);
    f.traffic.count = 14;
    SimCtx ctx = { .evq = sim_evq_new(), .seed = 3 };
    Sink s = { .ctx = &ctx };
    s.times = g_array_new(FALSE, FALSE, sizeof(SimTime));
    s.origins = g_array_new(FALSE, FALSE, sizeof(guint));
    s.holds = g_array_new(FALSE, FALSE, sizeof(SimTime));
    for (guint i = 0; i < 4; i++)
        s.up[i] = TRUE;
    SimTrafficHooks hooks = sink_hooks;
    hooks.originate = sink_originate_toggle;
    g_autoptr(SimTraffic) t = sim_traffic_new(&ctx, &f.traffic, &hooks, &s);
    sim_traffic_start(t, SIM_S(100));
    sim_evq_run_until(ctx.evq, SIM_S(100));
    static const guint want[] = { 0, 2, 3, 0, 2, 3, 0, 3, 0, 3 };
    g_assert_cmpuint(s.origins->len, ==, G_N_ELEMENTS(want));
    for (guint i = 0; i < G_N_ELEMENTS(want); i++)
        g_assert_cmpuint(g_array_index(s.origins, guint, i), ==, want[i]);
    g_assert_cmpuint(s.lost, ==, 4);
    g_assert_cmpuint(sim_traffic_lost(t), ==, 4);
    g_assert_cmpuint(sim_traffic_generated(t), ==, 14);
    sim_evq_free(ctx.evq);
    sink_clear(&s);
}

/* Holding times are exponential with the group's mean; bye-by random is a
 * fair coin (binomial SE sqrt(n)/2), fixed rules are fixed. */
static void
test_hold_and_bye(void)
{
    Fixture f;
    Sink s;
    fixture_init(&f, 100);
    f.traffic.bye_by = SIM_BYE_BY_RANDOM;
    run(&f, 9, SIM_S(200), &s);
    guint n = s.holds->len;
    double m = 60e9, mean = 0;
    for (guint i = 0; i < n; i++)
        mean += (double)g_array_index(s.holds, SimTime, i) / n;
    g_assert_cmpfloat(fabs(mean - m), <=, 5 * m / sqrt(n));
    g_assert_cmpfloat(fabs(s.by_caller - n / 2.0), <=, 5 * sqrt(n) / 2);
    sink_clear(&s);

    f.traffic.bye_by = SIM_BYE_BY_CALLEE;
    run(&f, 9, SIM_S(10), &s);
    g_assert_cmpuint(s.by_caller, ==, 0);
    sink_clear(&s);
    f.traffic.bye_by = SIM_BYE_BY_CALLER;
    run(&f, 9, SIM_S(10), &s);
    g_assert_cmpuint(s.by_caller, ==, s.times->len);
    sink_clear(&s);
}

/* Same seed, same arrivals; the bye-by rule does not move arrivals (its
 * draws come from another stream); another seed gives other arrivals. */
static void
test_determinism(void)
{
    Fixture f;
    Sink a, b, c;
    fixture_init(&f, 100);
    run(&f, 21, SIM_S(20), &a);
    f.traffic.bye_by = SIM_BYE_BY_RANDOM;
    run(&f, 21, SIM_S(20), &b);
    run(&f, 22, SIM_S(20), &c);
    g_assert_cmpuint(a.times->len, ==, b.times->len);
    g_assert_cmpmem(a.times->data, a.times->len * sizeof(SimTime),
                    b.times->data, b.times->len * sizeof(SimTime));
    g_assert_cmpuint(g_array_index(a.times, SimTime, 0), !=,
                     g_array_index(c.times, SimTime, 0));
    sink_clear(&a);
    sink_clear(&b);
    sink_clear(&c);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("Call generator: Poisson arrivals, windows, counts, "
                   "round-robin origins, holding times.");
    g_test_add_func("/traffic/poisson/count", test_count);
    g_test_add_func("/traffic/poisson/gap-moments", test_gaps);
    g_test_add_func("/traffic/poisson/gap-ks", test_ks);
    g_test_add_func("/traffic/poisson/dispersion", test_dispersion);
    g_test_add_func("/traffic/window/start-stop", test_window);
    g_test_add_func("/traffic/window/count", test_count_limit);
    g_test_add_func("/traffic/window/start-after-end", test_start_after_end);
    g_test_add_func("/traffic/origin/round-robin", test_round_robin);
    g_test_add_func("/traffic/call/hold-and-bye", test_hold_and_bye);
    g_test_add_func("/traffic/determinism/streams", test_determinism);
    return g_test_run();
}
