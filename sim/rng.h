/* SPDX-License-Identifier: MIT */
/*
 * Seeded random streams.  Every model instance owns one SimRng derived from
 * (run seed, stream id): streams never share state, so adding a stream never
 * changes the draws of another.  The generator is xoshiro256++ seeded through
 * SplitMix64; nothing here touches a global RNG.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One random stream; embed it in the model instance that owns it. */
typedef struct {
    /* xoshiro256++ state; never all zero. */
    guint64 s[4];
} SimRng;

/* Seeding. */
void sim_rng_init(SimRng *r, guint64 seed, guint64 stream);
guint64 sim_rng_stream_id(const char *kind, const char *name);
void sim_rng_init_named(SimRng *r, guint64 seed, const char *kind,
                        const char *name);

/* Raw draws. */
guint64 sim_rng_u64(SimRng *r);
double sim_rng_uniform(SimRng *r);
guint64 sim_rng_below(SimRng *r, guint64 n);

/* Distributions. */
double sim_rng_exp(SimRng *r, double mean);
double sim_rng_normal(SimRng *r, double mu, double sigma);
double sim_rng_lognormal(SimRng *r, double mu, double sigma);
double sim_rng_pareto(SimRng *r, double xm, double alpha);
gsize sim_rng_weighted(SimRng *r, const double *weights, gsize n);

G_END_DECLS
