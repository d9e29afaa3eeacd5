/* SPDX-License-Identifier: MIT */
/*
 * Random streams: xoshiro256++ (Blackman and Vigna) with the state filled by
 * SplitMix64 from a mix of the run seed and a stream id.  Stream ids for
 * named model instances come from a 64-bit FNV-1a hash of "kind/name", so
 * they do not depend on creation order.  Distributions use inversion or
 * Box-Muller with one draw pair per value, so each value consumes a fixed
 * number of raw draws and runs stay reproducible.
 */
#define G_LOG_DOMAIN "sim-rng"

#include "sim/rng.h"

#include <math.h>

static inline guint64
rng_rotl(guint64 x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline guint64
rng_splitmix64(guint64 *x)
{
    guint64 z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/**
 * sim_rng_init:
 * @r: the stream to initialise
 * @seed: the run's seed
 * @stream: the stream's id (see sim_rng_stream_id())
 *
 * Derives an independent stream from (@seed, @stream).
 */
void
sim_rng_init(SimRng *r, guint64 seed, guint64 stream)
{
    guint64 a = seed;
    guint64 x = rng_splitmix64(&a);
    guint64 b = stream ^ 0x5851f42d4c957f2dull;
    x ^= rng_splitmix64(&b) * 0xff51afd7ed558ccdull;
    for (int i = 0; i < 4; i++)
        r->s[i] = rng_splitmix64(&x);
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
        r->s[0] = 1;
}

/**
 * sim_rng_stream_id:
 * @kind: (nullable): the kind of model ("node", "dns", "traffic", ...)
 * @name: (nullable): the instance's name
 *
 * Returns: a stable id for the named stream, independent of creation order.
 */
guint64
sim_rng_stream_id(const char *kind, const char *name)
{
    guint64 h = 0xcbf29ce484222325ull;
    const char *parts[2] = { kind ? kind : "", name ? name : "" };

    for (int p = 0; p < 2; p++) {
        for (const guchar *c = (const guchar *)parts[p]; *c; c++) {
            h ^= *c;
            h *= 0x100000001b3ull;
        }
        h ^= '/';
        h *= 0x100000001b3ull;
    }
    return h;
}

/**
 * sim_rng_init_named:
 * @r: the stream to initialise
 * @seed: the run's seed
 * @kind: the kind of model
 * @name: the instance's name
 *
 * Shorthand for sim_rng_init() with sim_rng_stream_id(@kind, @name).
 */
void
sim_rng_init_named(SimRng *r, guint64 seed, const char *kind,
                   const char *name)
{
    sim_rng_init(r, seed, sim_rng_stream_id(kind, name));
}

/**
 * sim_rng_u64:
 * @r: a stream
 *
 * Returns: 64 uniformly random bits.
 */
guint64
sim_rng_u64(SimRng *r)
{
    guint64 *s = r->s;
    guint64 result = rng_rotl(s[0] + s[3], 23) + s[0];
    guint64 t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rng_rotl(s[3], 45);
    return result;
}

/**
 * sim_rng_uniform:
 * @r: a stream
 *
 * Returns: a uniform double in [0, 1) with 53 random bits.
 */
double
sim_rng_uniform(SimRng *r)
{
    return (double)(sim_rng_u64(r) >> 11) * 0x1.0p-53;
}

/**
 * sim_rng_below:
 * @r: a stream
 * @n: the bound, at least 1
 *
 * Draws without modulo bias (Lemire's multiply-and-reject).
 *
 * Returns: a uniform integer in [0, @n).
 */
guint64
sim_rng_below(SimRng *r, guint64 n)
{
    g_return_val_if_fail(n > 0, 0);
    unsigned __int128 m = (unsigned __int128)sim_rng_u64(r) * n;
    guint64 low = (guint64)m;
    if (low < n) {
        guint64 threshold = -n % n;
        while (low < threshold) {
            m = (unsigned __int128)sim_rng_u64(r) * n;
            low = (guint64)m;
        }
    }
    return (guint64)(m >> 64);
}

/**
 * sim_rng_exp:
 * @r: a stream
 * @mean: the mean, > 0
 *
 * Returns: an exponential variate (inversion).
 */
double
sim_rng_exp(SimRng *r, double mean)
{
    return -mean * log1p(-sim_rng_uniform(r));
}

/**
 * sim_rng_normal:
 * @r: a stream
 * @mu: the mean
 * @sigma: the standard deviation, >= 0
 *
 * Box-Muller, consuming exactly two raw draws.
 *
 * Returns: a normal variate.
 */
double
sim_rng_normal(SimRng *r, double mu, double sigma)
{
    double u1 = 1.0 - sim_rng_uniform(r);
    double u2 = sim_rng_uniform(r);
    return mu + sigma * sqrt(-2.0 * log(u1)) * cos(2.0 * G_PI * u2);
}

/**
 * sim_rng_lognormal:
 * @r: a stream
 * @mu: mean of the underlying normal
 * @sigma: standard deviation of the underlying normal
 *
 * Returns: exp(N(@mu, @sigma)).
 */
double
sim_rng_lognormal(SimRng *r, double mu, double sigma)
{
    return exp(sim_rng_normal(r, mu, sigma));
}

/**
 * sim_rng_pareto:
 * @r: a stream
 * @xm: the scale (minimum value), > 0
 * @alpha: the shape, > 0
 *
 * Returns: a Pareto (type I) variate (inversion).
 */
double
sim_rng_pareto(SimRng *r, double xm, double alpha)
{
    return xm / pow(1.0 - sim_rng_uniform(r), 1.0 / alpha);
}

/**
 * sim_rng_weighted:
 * @r: a stream
 * @weights: (array length=n): non-negative weights
 * @n: number of weights, at least 1
 *
 * Picks index i with probability weights[i] / sum; if every weight is 0,
 * picks uniformly.
 *
 * Returns: the chosen index.
 */
gsize
sim_rng_weighted(SimRng *r, const double *weights, gsize n)
{
    g_return_val_if_fail(n > 0, 0);
    double sum = 0.0;
    for (gsize i = 0; i < n; i++)
        sum += weights[i];
    if (!(sum > 0.0))
        return sim_rng_below(r, n);
    double x = sim_rng_uniform(r) * sum;
    for (gsize i = 0; i < n; i++) {
        if (x < weights[i])
            return i;
        x -= weights[i];
    }
    /* Rounding left x just past the end: the last positive weight. */
    for (gsize i = n; i-- > 0;)
        if (weights[i] > 0.0)
            return i;
    g_assert_not_reached();
}
