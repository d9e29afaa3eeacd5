/* SPDX-License-Identifier: MIT */
/*
 * Tests of the random streams: reproducibility, independence of streams,
 * and each distribution's moments against its closed form.  Bounds are
 * 5 standard errors of the estimator (two-sided false-alarm probability
 * 5.7e-7 per check for an unbiased generator); the seed is fixed, so the
 * outcome is deterministic.  Standard errors: mean, sigma/sqrt(n); sample
 * variance, sqrt((mu4 - sigma^4)/n) with mu4 the fourth central moment.
 */
#include "sim/rng.h"

#include <math.h>

#define N 200000

typedef double (*DrawFunc)(SimRng *r, gconstpointer p);

/* Mean and variance of n draws. */
static void
moments(SimRng *r, DrawFunc draw, gconstpointer p, double *mean, double *var)
{
    double m = 0.0, s = 0.0;
    for (guint i = 1; i <= N; i++) {
        double x = draw(r, p), d = x - m;
        m += d / i;
        s += d * (x - m);
    }
    *mean = m;
    *var = s / (N - 1);
}

static void
assert_moments(DrawFunc draw, gconstpointer p, double mu, double sigma2,
               double mu4)
{
    SimRng r;
    double mean, var;
    sim_rng_init(&r, 12345, 99);
    moments(&r, draw, p, &mean, &var);
    double se_mean = sqrt(sigma2 / N);
    double se_var = sqrt((mu4 - sigma2 * sigma2) / N);
    g_assert_cmpfloat(fabs(mean - mu), <=, 5 * se_mean);
    g_assert_cmpfloat(fabs(var - sigma2), <=, 5 * se_var);
}

static double
draw_uniform(SimRng *r, gconstpointer p)
{
    return sim_rng_uniform(r);
}

static double
draw_exp(SimRng *r, gconstpointer p)
{
    return sim_rng_exp(r, *(const double *)p);
}

static double
draw_normal(SimRng *r, gconstpointer p)
{
    const double *a = p;
    return sim_rng_normal(r, a[0], a[1]);
}

static double
draw_lognormal_log(SimRng *r, gconstpointer p)
{
    const double *a = p;
    return log(sim_rng_lognormal(r, a[0], a[1]));
}

static double
draw_lognormal(SimRng *r, gconstpointer p)
{
    const double *a = p;
    return sim_rng_lognormal(r, a[0], a[1]);
}

static double
draw_pareto(SimRng *r, gconstpointer p)
{
    const double *a = p;
    return sim_rng_pareto(r, a[0], a[1]);
}

static void
test_uniform(void)
{
    /* U(0,1): mean 1/2, variance 1/12, mu4 = 1/80. */
    assert_moments(draw_uniform, NULL, 0.5, 1.0 / 12, 1.0 / 80);
}

static void
test_exponential(void)
{
    /* Exp(mean m): variance m^2, mu4 = 9 m^4. */
    double m = 2.5;
    assert_moments(draw_exp, &m, m, m * m, 9 * pow(m, 4));
}

static void
test_normal(void)
{
    /* N(mu, s): mu4 = 3 s^4. */
    double a[2] = { -3.0, 1.7 };
    assert_moments(draw_normal, a, a[0], a[1] * a[1], 3 * pow(a[1], 4));
}

static void
test_lognormal(void)
{
    /* log X ~ N(mu, s); X itself: mean exp(mu + s^2/2), variance
     * (e^{s^2} - 1) e^{2mu + s^2}.  The fourth central moment of X is
     * e^{4mu+2s^2}(e^{6s^2} - 4e^{3s^2} + 6e^{s^2} - 3). */
    double a[2] = { 0.5, 0.4 };
    assert_moments(draw_lognormal_log, a, a[0], a[1] * a[1],
                   3 * pow(a[1], 4));
    double s2 = a[1] * a[1];
    double mean = exp(a[0] + s2 / 2);
    double var = (exp(s2) - 1) * exp(2 * a[0] + s2);
    double mu4 = exp(4 * a[0] + 2 * s2) *
                 (exp(6 * s2) - 4 * exp(3 * s2) + 6 * exp(s2) - 3);
    assert_moments(draw_lognormal, a, mean, var, mu4);
}

static void
test_pareto(void)
{
    /* Pareto(xm, alpha) with alpha = 9 so the 4th moment exists:
     * mean alpha xm/(alpha-1), variance xm^2 alpha/((alpha-1)^2 (alpha-2)).
     * Raw moments E[X^k] = alpha xm^k/(alpha-k) give mu4. */
    double a[2] = { 1.5, 9.0 };
    double xm = a[0], al = a[1];
    double m1 = al * xm / (al - 1), m2 = al * xm * xm / (al - 2);
    double m3 = al * pow(xm, 3) / (al - 3), m4 = al * pow(xm, 4) / (al - 4);
    double var = m2 - m1 * m1;
    double mu4 = m4 - 4 * m1 * m3 + 6 * m1 * m1 * m2 - 3 * pow(m1, 4);
    assert_moments(draw_pareto, a, m1, var, mu4);
    SimRng r;
    sim_rng_init(&r, 1, 1);
    for (guint i = 0; i < 10000; i++)
        g_assert_cmpfloat(sim_rng_pareto(&r, xm, al), >=, xm);
}

/* Kolmogorov-Smirnov against Exp(1): sqrt(n) D < 1.95 (p = 0.001). */
static int
cmp_double(gconstpointer a, gconstpointer b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void
test_exponential_ks(void)
{
    enum { M = 20000 };
    double *x = g_new(double, M);
    SimRng r;
    sim_rng_init(&r, 7, 3);
    for (guint i = 0; i < M; i++)
        x[i] = sim_rng_exp(&r, 1.0);
    qsort(x, M, sizeof(double), cmp_double);
    double d = 0;
    for (guint i = 0; i < M; i++) {
        double f = 1 - exp(-x[i]);
        d = MAX(d, MAX(fabs(f - (double)i / M), fabs((double)(i + 1) / M - f)));
    }
    g_assert_cmpfloat(sqrt(M) * d, <, 1.95);
    g_free(x);
}

/* sim_rng_below: chi-square over 10 cells; 9 df, p = 0.001 -> 27.88. */
static void
test_below(void)
{
    guint64 counts[10] = { 0 };
    SimRng r;
    sim_rng_init(&r, 3, 3);
    for (guint i = 0; i < N; i++) {
        guint64 v = sim_rng_below(&r, 10);
        g_assert_cmpuint(v, <, 10);
        counts[v]++;
    }
    double chi = 0, e = N / 10.0;
    for (guint i = 0; i < 10; i++)
        chi += (counts[i] - e) * (counts[i] - e) / e;
    g_assert_cmpfloat(chi, <, 27.88);
    g_assert_cmpuint(sim_rng_below(&r, 1), ==, 0);
}

/* Weighted choice: each share within 5 binomial sigmas of w/sum; zero
 * weights never chosen; all-zero weights uniform. */
static void
test_weighted(void)
{
    const double w[4] = { 1, 3, 0, 6 };
    guint64 counts[4] = { 0 };
    SimRng r;
    sim_rng_init(&r, 5, 5);
    for (guint i = 0; i < N; i++)
        counts[sim_rng_weighted(&r, w, 4)]++;
    g_assert_cmpuint(counts[2], ==, 0);
    for (guint i = 0; i < 4; i++) {
        double p = w[i] / 10.0;
        double sigma = sqrt(N * p * (1 - p));
        g_assert_cmpfloat(fabs(counts[i] - N * p), <=, 5 * sigma + 1e-9);
    }
    const double z[3] = { 0, 0, 0 };
    guint64 zc[3] = { 0 };
    for (guint i = 0; i < 30000; i++)
        zc[sim_rng_weighted(&r, z, 3)]++;
    for (guint i = 0; i < 3; i++)
        g_assert_cmpfloat(fabs(zc[i] - 10000.0), <=,
                          5 * sqrt(30000 * (1.0 / 3) * (2.0 / 3)));
}

static void
test_reproducible(void)
{
    SimRng a, b, c;
    sim_rng_init(&a, 77, 1);
    sim_rng_init(&b, 77, 1);
    sim_rng_init(&c, 77, 2);
    guint same_c = 0;
    for (guint i = 0; i < 1000; i++) {
        guint64 x = sim_rng_u64(&a);
        g_assert_cmpuint(x, ==, sim_rng_u64(&b));
        same_c += x == sim_rng_u64(&c);
    }
    g_assert_cmpuint(same_c, ==, 0);
    g_assert_cmpuint(sim_rng_stream_id("node", "pa"), ==,
                     sim_rng_stream_id("node", "pa"));
    g_assert_cmpuint(sim_rng_stream_id("node", "pa"), !=,
                     sim_rng_stream_id("node", "pb"));
    /* The split between kind and name matters. */
    g_assert_cmpuint(sim_rng_stream_id("no", "de"), !=,
                     sim_rng_stream_id("nod", "e"));
}

/* Adding and using another stream never changes a stream's draws. */
static void
test_independent_of_others(void)
{
    SimRng alone, a, other;
    sim_rng_init_named(&alone, 9, "node", "a");
    double seq[100];
    for (guint i = 0; i < 100; i++)
        seq[i] = sim_rng_exp(&alone, 1.0);
    sim_rng_init_named(&other, 9, "node", "b");
    sim_rng_init_named(&a, 9, "node", "a");
    for (guint i = 0; i < 100; i++) {
        sim_rng_normal(&other, 0, 1);
        g_assert_cmpfloat(sim_rng_exp(&a, 1.0), ==, seq[i]);
    }
}

/* Streams with adjacent ids (and adjacent seeds) are uncorrelated:
 * |Pearson r| <= 5/sqrt(n) under independence. */
static void
test_cross_correlation(void)
{
    for (guint k = 0; k < 2; k++) {
        SimRng x, y;
        sim_rng_init(&x, 100, 0);
        if (k == 0)
            sim_rng_init(&y, 100, 1);
        else
            sim_rng_init(&y, 101, 0);
        double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
        for (guint i = 0; i < N; i++) {
            double u = sim_rng_uniform(&x), v = sim_rng_uniform(&y);
            sx += u, sy += v, sxx += u * u, syy += v * v, sxy += u * v;
        }
        double cov = sxy / N - (sx / N) * (sy / N);
        double rr = cov / sqrt((sxx / N - pow(sx / N, 2)) *
                               (syy / N - pow(sy / N, 2)));
        g_assert_cmpfloat(fabs(rr), <=, 5 / sqrt(N));
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("Random streams: reproducible per (seed, stream), "
                   "independent of other streams, and every distribution's "
                   "moments against its closed form within stated bounds.");
    g_test_add_func("/rng/stream/reproducible", test_reproducible);
    g_test_add_func("/rng/stream/independent-of-others",
                    test_independent_of_others);
    g_test_add_func("/rng/stream/cross-correlation", test_cross_correlation);
    g_test_add_func("/rng/uniform/moments", test_uniform);
    g_test_add_func("/rng/below/chi-square", test_below);
    g_test_add_func("/rng/exponential/moments", test_exponential);
    g_test_add_func("/rng/exponential/ks", test_exponential_ks);
    g_test_add_func("/rng/normal/moments", test_normal);
    g_test_add_func("/rng/lognormal/moments", test_lognormal);
    g_test_add_func("/rng/pareto/moments", test_pareto);
    g_test_add_func("/rng/weighted/shares", test_weighted);
    return g_test_run();
}
