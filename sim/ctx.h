/* SPDX-License-Identifier: MIT */
/*
 * The context of one simulation run: its clock and event queue, its seed and
 * its statistics collector.  Every model object keeps a SimCtx back-pointer
 * (as libuv handles keep their loop); nothing in a run is global, so many
 * runs can share one process, each on its own thread.
 */
#pragma once

#include "sim/evq.h"
#include "sim/rng.h"
#include "sim/stats.h"

G_BEGIN_DECLS

typedef struct {
    /* The run's event queue and clock. */
    SimEvq *evq;
    /* The run's seed; model streams derive from it (sim_ctx_rng_init). */
    guint64 seed;
    /* The run's statistics collector (NULL in unit tests that need none). */
    SimStats *stats;
    /* Next id handed to a connection (sim_conn_init). */
    guint64 next_conn_id;
} SimCtx;

static inline SimTime
sim_ctx_now(const SimCtx *ctx)
{
    return sim_evq_now(ctx->evq);
}

/* Initialises @r as the stream of model instance kind/name in this run. */
static inline void
sim_ctx_rng_init(const SimCtx *ctx, SimRng *r, const char *kind,
                 const char *name)
{
    sim_rng_init_named(r, ctx->seed, kind, name);
}

G_END_DECLS
