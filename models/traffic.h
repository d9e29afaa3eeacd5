/* SPDX-License-Identifier: MIT */
/*
 * Call generators, one per [traffic] group: Poisson arrivals at the group's
 * rate between its start and stop (and at most count calls), each starting
 * at the next up node serving the origin domain (round robin), with an
 * exponential holding time and the side that hangs up drawn per call.  The
 * generator knows no SIP: it hands each call to an originate hook (the
 * world calls sim_ua_originate_call there).  Arrivals and per-call
 * draws use two streams of their own, so changing the holding time or the
 * bye-by rule never moves an arrival.
 */
#pragma once

#include "sim/ctx.h"

G_BEGIN_DECLS

typedef struct _SimTraffic SimTraffic;

/* Who hangs up a call. */
typedef enum {
    SIM_BYE_BY_CALLER,
    SIM_BYE_BY_CALLEE,
    SIM_BYE_BY_RANDOM,
} SimByeBy;

/* One generator's settings (a [traffic] group, filled by the world
 * builder); every pointer is borrowed and must outlive the generator. */
typedef struct {
    /* The group's name (random stream names, SimTrafficCall.group). */
    const char *name;
    /* Indices of the origin and target domains (passed through to the
     * hook in SimTrafficCall.from and .to). */
    guint from, to;
    /* Calls per second (Poisson); 0: none. */
    double rate;
    /* Mean holding time (exponential). */
    SimTime hold;
    /* Delay between the INVITE's arrival at the callee and its 200. */
    SimTime answer_delay;
    /* Who hangs up (random: drawn per call, 1/2 each). */
    SimByeBy bye_by;
    /* A caller abandons a call that has no final response this long
     * after it started (CANCEL, RFC 3261 9.1); 0: never. */
    SimTime cancel_after;
    /* The fraction of calls whose callers abandon them (with
     * cancel_after), 0..1. */
    double cancel;
    /* No arrival before start or at or after stop (SIM_TIME_NEVER: the
     * end of the run). */
    SimTime start;
    SimTime stop;
    /* At most this many calls; 0: no limit. */
    guint64 count;
    /* Node indices that serve the origin domain, in topology order (the
     * round robin of origins). */
    const guint *origins;
    guint n_origins;
} SimTrafficConfig;

/* One call the generator starts; lent to the hook for the call. */
typedef struct {
    /* The [traffic] group's name. */
    const char *group;
    /* 1-based number of the call within its group. */
    guint64 seq;
    /* Index of the origin node (one of SimTrafficConfig.origins). */
    guint origin;
    /* Indices of the origin and target domains (SimTrafficConfig). */
    guint from, to;
    /* Holding time drawn for this call (answer to BYE). */
    SimTime hold;
    /* Delay between the INVITE's arrival at the callee and its 200. */
    SimTime answer_delay;
    /* TRUE if the caller sends the BYE, FALSE if the callee does. */
    gboolean bye_by_caller;
    /* The caller abandons the call (CANCEL) if it has no final response
     * this long after it started; 0: it waits. */
    SimTime cancel_after;
} SimTrafficCall;

/* What a generator calls; the members are marked required or optional. */
typedef struct {
    /* Required: starts @call at node call->origin. */
    void (*originate)(const SimTrafficCall *call, gpointer user);
    /* Optional: TRUE if node @node is up; NULL means every node is. */
    gboolean (*node_up)(guint node, gpointer user);
    /* Optional: no node serving the origin domain is up, so @call is
     * lost (call->origin is G_MAXUINT). */
    void (*lost)(const SimTrafficCall *call, gpointer user);
} SimTrafficHooks;

/* Life cycle. */
SimTraffic *sim_traffic_new(SimCtx *ctx, const SimTrafficConfig *cfg,
                            const SimTrafficHooks *hooks, gpointer user);
void sim_traffic_free(SimTraffic *t);
void sim_traffic_start(SimTraffic *t, SimTime end);
void sim_traffic_stop(SimTraffic *t);

/* Counts. */
guint64 sim_traffic_generated(const SimTraffic *t);
guint64 sim_traffic_lost(const SimTraffic *t);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimTraffic, sim_traffic_free)

G_END_DECLS
