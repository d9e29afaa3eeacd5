/* SPDX-License-Identifier: MIT */
/*
 * The call model at the edges of the simulated SIP network (RFC 3261 9,
 * 12-15): each node's user agent, above its proxy (models/sip/proxy.h).
 * The origin node's UA acts for the caller, the UA of the node serving the
 * target domain answers as the callee; either side hangs up after the
 * hold, and the caller may abandon an unanswered call (CANCEL).  The proxy
 * hands the UA the requests that end at the node; the UA never sees a
 * connection other than the one an INVITE came on, which it holds for R20.
 *
 * Statistics fed (run-wide unless "node.<name>."; counters unless noted):
 *   calls.attempted, calls.completed, calls.failed, calls.cancelled (at
 *     the origin; completed = 2xx to the INVITE received; cancelled = the
 *     caller abandoned the call (CANCEL, RFC 3261 9.1) and its INVITE
 *     ended with 487 Request Terminated; failed = any other final non-2xx,
 *     Timer B, no reachable target, or the node crashed or was down);
 *   latency.setup (histogram, ns): from sim_ua_originate_call, before any
 *     DNS lookup or connection set-up, to the 200 received there;
 *   calls.in_progress (gauge): originated calls not yet ended (BYE done or
 *     failed);
 *   bye.completed, bye.failed;
 *   calls.teardown_failed: answered calls whose BYE never arrived from
 *     the callee (lost, hijacked or the callee gone): the origin ends them
 *     hold + 64*T1 after the 200 (so calls.in_progress stays honest);
 *   calls.callee_expired: the same at the callee when the caller's BYE
 *     never came (hold + 2*64*T1 after its 200);
 *   cancel.matched, cancel.unmatched: CANCELs a callee matched to a
 *     pending INVITE server transaction (answered 200, the INVITE 487),
 *     or not (answered 481: the final response had left);
 *   node.<name>.calls.originated, node.<name>.calls.received.
 */
#pragma once

#include "models/sip/proxy.h"

G_BEGIN_DECLS

/* Who sends the BYE of a call. */
typedef enum {
    SIM_BYE_FROM_CALLER,
    SIM_BYE_FROM_CALLEE,
} SimByeFrom;

/* One call, as the traffic generator hands it to the origin node. */
typedef struct {
    /* The callee's domain (the AUS of the INVITE). */
    const char *to_domain;
    /* Time from the 200 to the BYE. */
    SimTime hold;
    /* Time the callee waits between 180 and 200. */
    SimTime answer_delay;
    /* Which side hangs up. */
    SimByeFrom bye_by;
    /* The caller abandons the call if it has no final response this long
     * after it started: CANCEL (RFC 3261 9.1), then the 487 counts in
     * calls.cancelled; 0: it waits. */
    SimTime cancel_after;
} SimCallParams;

typedef struct _SimUa SimUa;

/* Life cycle: one UA per proxy, created after it and freed before it. */
SimUa *sim_ua_new(SimProxy *proxy);
void sim_ua_free(SimUa *ua);

/* Traffic. */
void sim_ua_originate_call(SimUa *ua, const SimCallParams *call);

/* Queries (tests). */
guint sim_ua_calls_active(const SimUa *ua);
guint64 sim_ua_calls_unfinished(const SimUa *ua);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimUa, sim_ua_free)

G_END_DECLS
