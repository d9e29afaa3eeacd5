/* SPDX-License-Identifier: MIT */
/*
 * Poisson call generator of one [traffic] group.  Inter-arrival times are
 * exponential with mean 1/rate (so counts in any interval are Poisson);
 * arrivals fall in [start, min(stop, end)) and stop after `count` calls.
 * Each arrival picks the next up node among those serving the origin domain
 * (topology order, round robin).  A group with cancel-after marks a
 * `cancel` fraction of its calls for abandonment (drawn per call only when
 * the fraction is strictly between 0 and 1, so that other groups' draws
 * never move).  Invariant: at most one arrival event is pending; nothing
 * is allocated per call.
 */
#define G_LOG_DOMAIN "sim-traffic"

#include "models/traffic.h"

#include <math.h>

struct _SimTraffic {
    /* The run. */
    SimCtx *ctx;
    /* The group's settings (borrowed). */
    const SimTrafficConfig *cfg;
    /* Hooks and their argument. */
    SimTrafficHooks hooks;
    gpointer user;
    /* Arrival times, and per-call draws (holding time, bye-by). */
    SimRng arrivals;
    SimRng calls;
    /* Mean inter-arrival time in ns. */
    double mean_gap_ns;
    /* Round-robin cursor into origins. */
    guint next_origin;
    /* No arrival at or after this time. */
    SimTime until;
    /* The pending arrival event (0: none). */
    SimEventId pending;
    /* Calls generated (lost ones included) and lost. */
    guint64 generated;
    guint64 lost;
};

/**
 * sim_traffic_new:
 * @ctx: the run
 * @cfg: (transfer none): the group's settings; must outlive the generator
 * @hooks: what to call (copied); originate is required
 * @user: argument of the hooks
 *
 * Returns: (transfer full): an idle generator; sim_traffic_start() arms it.
 */
SimTraffic *
sim_traffic_new(SimCtx *ctx, const SimTrafficConfig *cfg,
                const SimTrafficHooks *hooks, gpointer user)
{
    g_return_val_if_fail(cfg != NULL, NULL);
    g_return_val_if_fail(hooks && hooks->originate, NULL);
    SimTraffic *t = g_new0(SimTraffic, 1);
    t->ctx = ctx;
    t->cfg = cfg;
    t->hooks = *hooks;
    t->user = user;
    sim_ctx_rng_init(ctx, &t->arrivals, "traffic-arrivals", t->cfg->name);
    sim_ctx_rng_init(ctx, &t->calls, "traffic-calls", t->cfg->name);
    t->mean_gap_ns = t->cfg->rate > 0 ? 1e9 / t->cfg->rate : 0;
    return t;
}

/**
 * sim_traffic_free:
 * @t: (nullable): a generator
 *
 * Frees the generator.  Call sim_traffic_stop() first unless the event
 * queue is already gone.
 */
void
sim_traffic_free(SimTraffic *t)
{
    if (!t)
        return;
    g_free(t);
}

/* Draws the next gap; SIM_TIME_NEVER when it overflows. */
static SimTime
traffic_gap(SimTraffic *t)
{
    double gap = round(sim_rng_exp(&t->arrivals, t->mean_gap_ns));
    return gap >= 1.8e19 ? SIM_TIME_NEVER : (SimTime)gap;
}

/* The next up origin node, advancing the cursor; G_MAXUINT if none. */
static guint
traffic_pick_origin(SimTraffic *t)
{
    for (guint k = 0; k < t->cfg->n_origins; k++) {
        guint node = t->cfg->origins[t->next_origin];
        t->next_origin = (t->next_origin + 1) % t->cfg->n_origins;
        if (!t->hooks.node_up || t->hooks.node_up(node, t->user))
            return node;
    }
    return G_MAXUINT;
}

static void traffic_arrive(SimEvq *q, gpointer data);

/* Schedules the arrival @gap after @from, unless it falls past the end. */
static void
traffic_schedule(SimTraffic *t, SimTime from, SimTime gap)
{
    t->pending = 0;
    if (t->cfg->count && t->generated >= t->cfg->count)
        return;
    if (gap == SIM_TIME_NEVER || from + gap < from || from + gap >= t->until)
        return;
    t->pending = sim_evq_at(t->ctx->evq, from + gap, traffic_arrive, t, NULL);
}

static void
traffic_arrive(SimEvq *q, gpointer data)
{
    SimTraffic *t = data;
    const SimTrafficConfig *cfg = t->cfg;
    SimTrafficCall call = {
        .group = cfg->name,
        .seq = ++t->generated,
        .from = cfg->from,
        .to = cfg->to,
        .answer_delay = cfg->answer_delay,
    };
    call.hold = (SimTime)round(sim_rng_exp(&t->calls, (double)cfg->hold));
    if (cfg->bye_by == SIM_BYE_BY_RANDOM)
        call.bye_by_caller = sim_rng_uniform(&t->calls) < 0.5;
    else
        call.bye_by_caller = cfg->bye_by == SIM_BYE_BY_CALLER;
    if (cfg->cancel_after && cfg->cancel > 0 &&
        (cfg->cancel >= 1 || sim_rng_uniform(&t->calls) < cfg->cancel))
        call.cancel_after = cfg->cancel_after;
    call.origin = traffic_pick_origin(t);
    if (call.origin == G_MAXUINT) {
        t->lost++;
        if (t->hooks.lost)
            t->hooks.lost(&call, t->user);
    } else {
        t->hooks.originate(&call, t->user);
    }
    traffic_schedule(t, sim_evq_now(q), traffic_gap(t));
}

/**
 * sim_traffic_start:
 * @t: a generator
 * @end: the end of the run; no arrival at or after it
 *
 * Schedules the first arrival, one exponential gap after the group's
 * start (a Poisson process started at `start`).
 */
void
sim_traffic_start(SimTraffic *t, SimTime end)
{
    g_return_if_fail(t->pending == 0);
    t->until = MIN(end, t->cfg->stop);
    if (t->mean_gap_ns <= 0)
        return;
    SimTime from = MAX(t->cfg->start, sim_evq_now(t->ctx->evq));
    traffic_schedule(t, from, traffic_gap(t));
}

/**
 * sim_traffic_stop:
 * @t: a generator
 *
 * Cancels the pending arrival; no further call is generated.
 */
void
sim_traffic_stop(SimTraffic *t)
{
    if (t->pending)
        sim_evq_cancel(t->ctx->evq, t->pending);
    t->pending = 0;
}

/**
 * sim_traffic_generated:
 * @t: a generator
 *
 * Returns: calls generated so far, lost ones included.
 */
guint64
sim_traffic_generated(const SimTraffic *t)
{
    return t->generated;
}

/**
 * sim_traffic_lost:
 * @t: a generator
 *
 * Returns: calls lost because no node serving the origin domain was up.
 */
guint64
sim_traffic_lost(const SimTraffic *t)
{
    return t->lost;
}
