/* SPDX-License-Identifier: MIT */
/*
 * The call model at the edges (RFC 3261 12-15): the user agent of one
 * node, above its proxy.  The origin node acts for the caller (INVITE, the
 * ACK of its 2xx, BYE after the hold, and a CANCEL when the caller abandons
 * the call, 9.1); the node serving the Request-URI's domain answers as the
 * callee (100, 180, then 200 after the answer delay, resent over UDP until
 * the ACK, 13.3.1.4; 487 to a matched CANCEL, 9.2) and holds the INVITE's
 * connection until the ACK for R20.  Invariants: a call lives in the UA's
 * Call-ID table of its side until it ends, and every call ends (BYE, or
 * the other side's silence timed out), so no call or timer outlives it.
 */
#define G_LOG_DOMAIN "sim-ua"

#include "models/sip/ua.h"

#include <string.h>

#include "models/sip/conntab.h"
#include "models/sip/txn.h"

/* One call at its origin (caller side) or at its callee. */
typedef struct _UaCall {
    SimUa *ua;
    /* Next record in the UA's free list. */
    struct _UaCall *next_free;
    /* Link in SimUa.calls. */
    GList link;
    /* TRUE at the callee. */
    gboolean callee;
    char call_id[SIM_SIP_HOST_MAX];
    char local_tag[SIM_SIP_TOKEN_MAX];
    char remote_tag[SIM_SIP_TOKEN_MAX];
    /* Local and remote URIs (From/To as this side sends them). */
    SimSipUri local_uri, remote_uri;
    /* Dialog: remote target and route set (RFC 3261 12.1); the route set
     * is allocated to its size (mostly 0 or 1 entries: calls are the bulk
     * of a run's memory). */
    SimSipUri target;
    SimSipUri *route;
    guint n_route;
    /* The address of the node at the other end of the dialog (the
     * INVITE's target at the caller, its source at the callee): in-dialog
     * look-ups lead back to it among a shared name's addresses. */
    SimIp peer;
    guint32 cseq;
    SimCallParams params;
    /* When the call arrived at the origin; at the callee, when it sent
     * its 200. */
    SimTime t_start;
    /* TRUE once the 200 was received (caller) or sent (callee). */
    gboolean answered;
    /* Callee: TRUE once the ACK of its 200 arrived. */
    gboolean acked;
    /* Callee: the hold ended before the ACK came; the BYE waits for it. */
    gboolean hangup_pending;
    /* Callee over UDP: the 200's retransmission timer and interval. */
    SimEventId rtx_timer;
    SimTime rtx_interval;
    /* TRUE once a BYE was sent or received. */
    gboolean ending;
    /* Pending answer or hang-up timer. */
    SimEventId timer;
    /* Callee: the INVITE server transaction, until the 200 is sent (over
     * UDP, until it is acknowledged). */
    SimSipServerTxn *invite_stx;
    /* Callee, reliable transports: the connection its INVITE came on,
     * held (sim_conntab_hold) until the ACK of the final response, so
     * that an R20 close waits for the exchange. */
    SimProxyConn *hold_pc;
    /* Callee: it answered 487 to a CANCEL; the call waits for the ACK
     * (at most 64*T1, Timer H) and ends. */
    gboolean rejected;
    /* Caller: the INVITE transaction, once a provisional response came
     * (a CANCEL needs one, RFC 3261 9.1). */
    SimSipClientTxn *invite_txn;
    /* Caller: when the caller abandons the call (params.cancel_after). */
    SimEventId cancel_timer;
    /* Caller: it abandoned the call before any provisional response; the
     * CANCEL leaves with the first one. */
    gboolean cancel_wanted;
    /* Caller: the CANCEL was sent. */
    gboolean cancel_sent;
} UaCall;

struct _SimUa {
    SimProxy *proxy;
    SimCtx *ctx;
    /* SIP T1 and the node's transport. */
    SimTime t1;
    SimTransportKind kind;
    /* Calls by Call-ID (caller and callee sides apart) and all of them. */
    GHashTable *calls_out, *calls_in;
    GQueue calls;
    /* Records of calls and of the requests this UA creates, for reuse. */
    UaCall *free_calls;
    SimSipMsgPool *msg_pool;
    /* The caller's From URI (caller@ the node's first domain, else its host) and the
     * Contact of the callee's 200 (its own host, never a spoofed one). */
    SimSipUri caller_uri;
    SimSipUri contact_self;
    /* TRUE while sim_ua_free() drops the calls left. */
    gboolean freeing;
    /* Statistics. */
    SimCounter dummy;
    SimCounter *calls_attempted, *calls_completed, *calls_failed;
    SimCounter *calls_cancelled, *calls_rejected;
    SimCounter *bye_completed, *bye_failed;
    SimCounter *n_originated, *n_received;
    /* The same outcomes per node (its calls as their origin). */
    SimCounter *n_completed, *n_failed, *n_cancelled, *n_rejected;
    SimGauge *g_calls;
    SimHistogram *latency;
};

/* ------------------------------------------------------------------ */
/* Statistics                                                          */

static SimCounter *
ua_counter(SimUa *ua, const char *name)
{
    return ua->ctx->stats ? sim_stats_counter(ua->ctx->stats, name)
                          : &ua->dummy;
}

static SimCounter *
ua_node_counter(SimUa *ua, const char *what)
{
    g_autofree char *name = g_strdup_printf("node.%s.%s",
                                            sim_proxy_node(ua->proxy), what);
    return ua_counter(ua, name);
}

/* One originated call's outcome, run-wide and at this node. */
static void
ua_failed(SimUa *ua)
{
    sim_counter_add(ua->calls_failed, 1);
    sim_counter_add(ua->n_failed, 1);
}

/* A failed call that an overloaded node refused (a subset of failed). */
static void
ua_rejected(SimUa *ua)
{
    sim_counter_add(ua->calls_rejected, 1);
    sim_counter_add(ua->n_rejected, 1);
}

static void
ua_gauge_add(SimUa *ua, SimGauge *g, gint64 delta)
{
    if (g)
        sim_gauge_add(g, sim_ctx_now(ua->ctx), delta);
}

static void
ua_stats_init(SimUa *ua)
{
    ua->calls_attempted = ua_counter(ua, "calls.attempted");
    ua->calls_completed = ua_counter(ua, "calls.completed");
    ua->calls_failed = ua_counter(ua, "calls.failed");
    ua->calls_cancelled = ua_counter(ua, "calls.cancelled");
    ua->calls_rejected = ua_counter(ua, "calls.rejected");
    ua->n_rejected = ua_node_counter(ua, "calls.rejected");
    ua->bye_completed = ua_counter(ua, "bye.completed");
    ua->bye_failed = ua_counter(ua, "bye.failed");
    ua->n_originated = ua_node_counter(ua, "calls.originated");
    ua->n_received = ua_node_counter(ua, "calls.received");
    ua->n_completed = ua_node_counter(ua, "calls.completed");
    ua->n_failed = ua_node_counter(ua, "calls.failed");
    ua->n_cancelled = ua_node_counter(ua, "calls.cancelled");
    if (!ua->ctx->stats)
        return;
    ua->g_calls = sim_stats_gauge(ua->ctx->stats, "calls.in_progress");
    ua->latency = sim_stats_histogram(ua->ctx->stats, "latency.setup");
}

/* ------------------------------------------------------------------ */
/* Calls                                                               */

static UaCall *
ua_call_new(SimUa *ua, gboolean callee)
{
    UaCall *call = ua->free_calls;
    if (call)
        ua->free_calls = call->next_free;
    else
        call = g_new(UaCall, 1);
    memset(call, 0, sizeof *call);
    call->ua = ua;
    call->callee = callee;
    call->link.data = call;
    g_queue_push_tail_link(&ua->calls, &call->link);
    return call;
}

/* The callee's INVITE exchange is over (the ACK came, or the call ends):
 * the connection it held may close now (R20).  Not while the node is down
 * or being freed: its connections are gone or going without a word. */
static void
ua_call_release(UaCall *call)
{
    SimProxyConn *pc = g_steal_pointer(&call->hold_pc);
    if (!pc)
        return;
    sim_conntab_release(pc, !call->ua->freeing &&
                                sim_proxy_is_up(call->ua->proxy));
}

/* The caller's INVITE transaction ended: no CANCEL any more. */
static void
ua_call_stop_cancel(UaCall *call)
{
    if (call->cancel_timer)
        sim_evq_cancel(call->ua->ctx->evq, call->cancel_timer);
    call->cancel_timer = 0;
    call->cancel_wanted = FALSE;
    g_clear_pointer(&call->invite_txn, sim_sip_client_txn_unref);
}

static void
ua_call_free(UaCall *call)
{
    SimUa *ua = call->ua;
    if (call->timer)
        sim_evq_cancel(ua->ctx->evq, call->timer);
    if (call->rtx_timer)
        sim_evq_cancel(ua->ctx->evq, call->rtx_timer);
    if (call->invite_stx)
        sim_sip_server_txn_unref(call->invite_stx);
    ua_call_stop_cancel(call);
    ua_call_release(call);
    g_clear_pointer(&call->route, g_free);
    g_queue_unlink(&ua->calls, &call->link);
    call->next_free = ua->free_calls;
    ua->free_calls = call;
}

static void
ua_call_end(UaCall *call)
{
    SimUa *ua = call->ua;
    if (!call->callee) {
        g_hash_table_remove(ua->calls_out, call->call_id);
        ua_gauge_add(ua, ua->g_calls, -1);
    } else {
        g_hash_table_remove(ua->calls_in, call->call_id);
    }
    ua_call_free(call);
}

/* The call's tags and Call-ID fit the message's fields exactly, so whole
 * arrays are copied (the call zeroed them, the tails are defined). */
G_STATIC_ASSERT(sizeof(((UaCall *)0)->local_tag) ==
                sizeof(((SimSipMsg *)0)->from_tag));
G_STATIC_ASSERT(sizeof(((UaCall *)0)->remote_tag) ==
                sizeof(((SimSipMsg *)0)->to_tag));
G_STATIC_ASSERT(sizeof(((UaCall *)0)->call_id) ==
                sizeof(((SimSipMsg *)0)->call_id));

/* A request within the call's dialog (RFC 3261 12.2.1.1); the proxy adds
 * its Via and Contact as it sends it. */
static SimSipMsg *
ua_call_request(UaCall *call, SimSipMethod method)
{
    SimSipMsg *m = sim_sip_msg_new_request_in(call->ua->msg_pool, method,
                                              &call->target);
    if (call->n_route)
        memcpy(m->route, call->route, call->n_route * sizeof m->route[0]);
    m->n_route = call->n_route;
    m->from = call->local_uri;
    m->to = call->remote_uri;
    memcpy(m->from_tag, call->local_tag, sizeof m->from_tag);
    memcpy(m->to_tag, call->remote_tag, sizeof m->to_tag);
    memcpy(m->call_id, call->call_id, sizeof m->call_id);
    m->cseq = method == SIM_SIP_ACK ? call->cseq : ++call->cseq;
    m->meta.dialog_peer = call->peer;
    return m;
}

static void ua_on_bye_response(SimSipClientTxn *t, guint status,
                               const SimSipMsg *resp, gpointer user);

static void
ua_call_hangup(SimEvq *q, gpointer data)
{
    UaCall *call = data;
    SimTime ack_by = call->t_start + sim_sip_timer_b(call->ua->t1);
    call->timer = 0;
    /* RFC 3261 15.1.2: the callee sends no BYE before the ACK of its 2xx
     * has arrived, or 64*T1 has passed without it (13.3.1.4). */
    if (call->callee && !call->acked && sim_evq_now(q) < ack_by) {
        call->hangup_pending = TRUE;
        call->timer = sim_evq_at(q, ack_by, ua_call_hangup, call, NULL);
        return;
    }
    call->hangup_pending = FALSE;
    call->ending = TRUE;
    SimSipMsg *bye = ua_call_request(call, SIM_SIP_BYE);
    sim_proxy_send_request(call->ua->proxy, bye, ua_on_bye_response, call);
}

static void
ua_on_bye_response(SimSipClientTxn *t, guint status, const SimSipMsg *resp,
                   gpointer user)
{
    UaCall *call = user;
    if (status < 200)
        return;
    sim_counter_add(status < 300 ? call->ua->bye_completed
                                 : call->ua->bye_failed, 1);
    ua_call_end(call);
}

static void
ua_dialog_routes(UaCall *call, const SimSipMsg *m, gboolean reverse)
{
    call->n_route = 0;
    g_clear_pointer(&call->route, g_free);
    if (m->n_rr)
        call->route = g_new(SimSipUri, m->n_rr);
    for (guint i = 0; i < m->n_rr; i++) {
        const SimSipUri *u = &m->rr[reverse ? m->n_rr - 1 - i : i];
        if (!sim_proxy_is_own_host(call->ua->proxy, u->host))
            call->route[call->n_route++] = *u;
    }
}

/* The other side's BYE never came (hold + the longest a BYE transaction
 * can take): end the call so that nothing stays open forever. */
static void
ua_call_expire(SimEvq *q, gpointer data)
{
    UaCall *call = data;
    SimUa *ua = call->ua;
    call->timer = 0;
    sim_counter_add(ua_counter(ua, call->callee ? "calls.callee_expired"
                                                : "calls.teardown_failed"),
                    1);
    ua_call_end(call);
}

/* TRUE if the originated @call belongs to the measurement window: its
 * outcome (answered, failed, set-up latency) counts there only if it was
 * attempted there, so a window never has more outcomes than attempts. */
static gboolean
ua_call_in_window(const UaCall *call)
{
    return sim_stats_in_window(call->ua->ctx->stats, call->t_start);
}

/* The caller sends its CANCEL (RFC 3261 9.1). */
static void
ua_call_send_cancel(UaCall *call)
{
    call->cancel_wanted = FALSE;
    call->cancel_sent = sim_sip_txn_cancel(call->invite_txn);
}

/* The caller gives up on an unanswered call (params.cancel_after): CANCEL
 * now, or with the first provisional response if none came yet (9.1: a
 * CANCEL SHOULD NOT be sent before one). */
static void
ua_call_abandon(SimEvq *q, gpointer data)
{
    UaCall *call = data;
    call->cancel_timer = 0;
    if (call->answered || call->cancel_sent)
        return;
    if (call->invite_txn)
        ua_call_send_cancel(call);
    else
        call->cancel_wanted = TRUE;
}

/* A provisional response: the INVITE transaction can now be cancelled. */
static void
ua_call_provisional(UaCall *call, SimSipClientTxn *t)
{
    if (call->answered)
        return;
    if (!call->invite_txn)
        call->invite_txn = sim_sip_client_txn_ref(t);
    if (call->cancel_wanted)
        ua_call_send_cancel(call);
}

static void
ua_on_invite_response(SimSipClientTxn *t, guint status,
                      const SimSipMsg *resp, gpointer user)
{
    UaCall *call = user;
    SimUa *ua = call->ua;
    if (status < 200) {
        ua_call_provisional(call, t);
        return;
    }
    if (call->answered)
        return;
    gboolean counted = ua_call_in_window(call);
    ua_call_stop_cancel(call);
    if (status >= 300) {
        /* 487 to a cancelled INVITE: the caller's own doing (9.1). */
        if (counted && call->cancel_sent && status == 487) {
            sim_counter_add(ua->calls_cancelled, 1);
            sim_counter_add(ua->n_cancelled, 1);
        } else if (counted) {
            ua_failed(ua);
            if (resp && resp->meta.overload)
                ua_rejected(ua);
        }
        ua_call_end(call);
        return;
    }
    call->answered = TRUE;
    if (counted) {
        sim_counter_add(ua->calls_completed, 1);
        sim_counter_add(ua->n_completed, 1);
        if (ua->latency)
            sim_histogram_record(ua->latency,
                                 sim_ctx_now(ua->ctx) - call->t_start);
    }
    g_strlcpy(call->remote_tag, resp->to_tag, sizeof call->remote_tag);
    call->target = resp->has_contact ? resp->contact : call->remote_uri;
    call->peer = sim_sip_client_txn_peer(t);
    ua_dialog_routes(call, resp, TRUE);
    SimSipMsg *ack = ua_call_request(call, SIM_SIP_ACK);
    sim_proxy_send_request(ua->proxy, ack, NULL, NULL);
    /* A 2xx that crossed the CANCEL: the call is up, but its caller
     * abandoned it and hangs up at once (RFC 3261 15). */
    if (call->cancel_sent)
        call->timer = sim_evq_after(ua->ctx->evq, 0, ua_call_hangup, call,
                                    NULL);
    else if (call->params.bye_by == SIM_BYE_FROM_CALLER)
        call->timer = sim_evq_after(ua->ctx->evq, call->params.hold,
                                    ua_call_hangup, call, NULL);
    else
        call->timer = sim_evq_after(
            ua->ctx->evq, call->params.hold + sim_sip_timer_b(ua->t1),
            ua_call_expire, call, NULL);
}

/* Over UDP the callee resends its 200 until the ACK comes, every T1
 * doubling up to T2, for at most 64*T1 (RFC 3261 13.3.1.4). */
static void
ua_callee_rtx(SimEvq *q, gpointer data)
{
    UaCall *call = data;
    SimTime t1 = call->ua->t1;
    call->rtx_timer = 0;
    if (sim_evq_now(q) >= call->t_start + sim_sip_timer_b(t1)) {
        g_clear_pointer(&call->invite_stx, sim_sip_server_txn_unref);
        return;
    }
    sim_sip_server_txn_resend(call->invite_stx);
    call->rtx_interval = MIN(2 * call->rtx_interval, SIM_SIP_T2);
    call->rtx_timer = sim_evq_after(q, call->rtx_interval, ua_callee_rtx,
                                    call, NULL);
}

static void
ua_callee_answer(SimEvq *q, gpointer data)
{
    UaCall *call = data;
    SimUa *ua = call->ua;
    call->timer = 0;
    call->answered = TRUE;
    call->t_start = sim_ctx_now(ua->ctx);
    g_autoptr(SimSipMsg) ok = sim_sip_server_txn_response(call->invite_stx,
                                                          200);
    g_strlcpy(ok->to_tag, call->local_tag, sizeof ok->to_tag);
    ok->contact = ua->contact_self;
    ok->has_contact = TRUE;
    ok->body_len = SIM_SIP_SDP_BYTES;
    sim_sip_server_txn_send(call->invite_stx, ok);
    if (sim_transport_kind_reliable(ua->kind)) {
        g_clear_pointer(&call->invite_stx, sim_sip_server_txn_unref);
    } else {
        call->rtx_interval = ua->t1;
        call->rtx_timer = sim_evq_after(q, call->rtx_interval,
                                        ua_callee_rtx, call, NULL);
    }
    if (call->params.bye_by == SIM_BYE_FROM_CALLEE)
        call->timer = sim_evq_after(ua->ctx->evq, call->params.hold,
                                    ua_call_hangup, call, NULL);
    else
        call->timer = sim_evq_after(
            ua->ctx->evq, call->params.hold + 2 * sim_sip_timer_b(ua->t1),
            ua_call_expire, call, NULL);
}

static void
ua_respond(SimSipServerTxn *stx, guint status)
{
    g_autoptr(SimSipMsg) r = sim_sip_server_txn_response(stx, status);
    sim_sip_server_txn_send(stx, r);
}

/* The node serves the Request-URI's domain: answer as the callee.  Over
 * reliable transports the INVITE's connection @pc is held until the
 * exchange ends (the ACK of the final response), for R20. */
static void
ua_callee_invite(SimUa *ua, SimSipServerTxn *stx, SimProxyConn *pc,
                 const SimSipMsg *m)
{
    if (g_hash_table_contains(ua->calls_in, m->call_id)) {
        ua_respond(stx, 100);
        return;
    }
    UaCall *call = ua_call_new(ua, TRUE);
    sim_counter_add(ua->n_received, 1);
    g_strlcpy(call->call_id, m->call_id, sizeof call->call_id);
    sim_proxy_new_tag(ua->proxy, call->local_tag, sizeof call->local_tag);
    g_strlcpy(call->remote_tag, m->from_tag, sizeof call->remote_tag);
    call->local_uri = m->to;
    call->remote_uri = m->from;
    call->target = m->has_contact ? m->contact : m->from;
    call->peer = m->via[0].received;
    ua_dialog_routes(call, m, FALSE);
    call->cseq = 0;
    call->params.hold = m->meta.hold;
    call->params.answer_delay = m->meta.answer_delay;
    call->params.bye_by = m->meta.bye_by_callee ? SIM_BYE_FROM_CALLEE
                                                : SIM_BYE_FROM_CALLER;
    call->invite_stx = sim_sip_server_txn_ref(stx);
    if (sim_transport_kind_reliable(ua->kind)) {
        call->hold_pc = sim_conntab_hold(pc);
    }
    g_hash_table_insert(ua->calls_in, call->call_id, call);
    ua_respond(stx, 100);
    ua_respond(stx, 180);
    call->timer = sim_evq_after(ua->ctx->evq, call->params.answer_delay,
                                ua_callee_answer, call, NULL);
}

/* A rejected call's ACK never came (Timer H, 64*T1): it ends. */
static void
ua_call_drop(SimEvq *q, gpointer data)
{
    UaCall *call = data;
    call->timer = 0;
    ua_call_end(call);
}

/* The callee ends its INVITE transaction with @status (487 after a
 * CANCEL, RFC 3261 9.2) and keeps the call until the ACK, at most 64*T1
 * (Timer H, 17.2.1). */
static void
ua_callee_reject(UaCall *call, guint status)
{
    SimUa *ua = call->ua;
    if (call->timer)
        sim_evq_cancel(ua->ctx->evq, call->timer);
    g_autoptr(SimSipMsg) r = sim_sip_server_txn_response(call->invite_stx,
                                                         status);
    g_strlcpy(r->to_tag, call->local_tag, sizeof r->to_tag);
    sim_sip_server_txn_send(call->invite_stx, r);
    g_clear_pointer(&call->invite_stx, sim_sip_server_txn_unref);
    call->rejected = TRUE;
    call->timer = sim_evq_after(ua->ctx->evq, sim_sip_timer_b(ua->t1),
                                ua_call_drop, call, NULL);
}

/* A CANCEL (RFC 3261 9.2), whatever connection it came on (R19): matched
 * to the INVITE server transaction it names, it gets a 200 and the INVITE,
 * if still unanswered, a 487; unmatched, a 481. */
static void
ua_on_cancel(SimUa *ua, SimSipServerTxn *stx, const SimSipMsg *m)
{
    SimSipServerTxn *inv = sim_proxy_match_cancel(ua->proxy, m);
    UaCall *call = inv ? g_hash_table_lookup(ua->calls_in, m->call_id)
                       : NULL;
    if (!call || call->invite_stx != inv) {
        sim_counter_add(ua_counter(ua, "cancel.unmatched"), 1);
        ua_respond(stx, 481);
        return;
    }
    sim_counter_add(ua_counter(ua, "cancel.matched"), 1);
    ua_respond(stx, 200);
    ua_callee_reject(call, 487);
}

static void
ua_on_bye(SimUa *ua, SimSipServerTxn *stx, const SimSipMsg *m)
{
    /* The dialog is the side whose local tag the BYE's To tag names (RFC
     * 3261 12.2.2): a call between two domains of one node has both sides
     * in this user agent under one Call-ID, and a Call-ID alone once
     * ended the caller's side on the caller's own BYE (then again when
     * the BYE's 200 came: a double free). */
    UaCall *out = g_hash_table_lookup(ua->calls_out, m->call_id);
    UaCall *in = g_hash_table_lookup(ua->calls_in, m->call_id);
    UaCall *call = NULL;
    if (out && g_str_equal(out->local_tag, m->to_tag))
        call = out;
    else if (in && g_str_equal(in->local_tag, m->to_tag))
        call = in;
    /* No confirmed dialog yet at the caller (a callee sends no BYE on an
     * early dialog, RFC 3261 15): the INVITE transaction still refers to
     * the call, which must stay. */
    if (!call || (!call->callee && !call->answered)) {
        ua_respond(stx, 481);
        return;
    }
    ua_respond(stx, 200);
    /* Both sides hung up at once (BYE glare): this side's own BYE is
     * still out, and its response ends the call; ending it here left that
     * BYE's transaction calling back a freed call. */
    if (call->ending)
        return;
    ua_call_end(call);
}

/* The ACK of a callee's 200: its retransmissions stop, the INVITE
 * exchange is over, and a hang-up waiting for it goes now.  The ACK of a
 * 487 ends the rejected call. */
static void
ua_on_ack(SimUa *ua, const SimSipMsg *m)
{
    UaCall *call = g_hash_table_lookup(ua->calls_in, m->call_id);
    if (call && call->rejected) {
        ua_call_end(call);
        return;
    }
    if (!call || !call->answered || call->acked)
        return;
    call->acked = TRUE;
    ua_call_release(call);
    if (call->rtx_timer) {
        sim_evq_cancel(ua->ctx->evq, call->rtx_timer);
        call->rtx_timer = 0;
    }
    g_clear_pointer(&call->invite_stx, sim_sip_server_txn_unref);
    if (call->hangup_pending) {
        sim_evq_cancel(ua->ctx->evq, call->timer);
        ua_call_hangup(ua->ctx->evq, call);
    }
}

/* ------------------------------------------------------------------ */
/* Hooks the proxy calls                                               */

/* A request that ends at this node (the proxy already popped its own
 * Route entry and handled ;alias). */
static void
ua_request(SimSipServerTxn *stx, SimProxyConn *pc, const SimSipMsg *m,
           gpointer user)
{
    SimUa *ua = user;
    switch (m->method) {
    case SIM_SIP_ACK:
        ua_on_ack(ua, m);
        break;
    case SIM_SIP_BYE:
        ua_on_bye(ua, stx, m);
        break;
    case SIM_SIP_CANCEL:
        ua_on_cancel(ua, stx, m);
        break;
    case SIM_SIP_INVITE:
        ua_callee_invite(ua, stx, pc, m);
        break;
    default:
        ua_respond(stx, 200);
        break;
    }
}

/* The node crashed: its calls are lost; originated calls not yet answered
 * count as failed. */
static void
ua_crashed(gpointer user)
{
    SimUa *ua = user;
    while (!g_queue_is_empty(&ua->calls)) {
        UaCall *call = g_queue_peek_head(&ua->calls);
        if (!call->callee && !call->answered && ua_call_in_window(call))
            ua_failed(ua);
        ua_call_end(call);
    }
}

/* ------------------------------------------------------------------ */
/* Public API                                                          */

/**
 * sim_ua_new:
 * @proxy: the node's proxy (must outlive the UA)
 *
 * Creates the node's user agent and registers it on @proxy, which hands
 * it the requests that end at the node.
 *
 * Returns: (transfer full): the user agent, with no call.
 */
SimUa *
sim_ua_new(SimProxy *proxy)
{
    const SimProxyConfig *cfg = sim_proxy_config(proxy);
    SimUa *ua = g_new0(SimUa, 1);
    ua->proxy = proxy;
    ua->ctx = sim_proxy_ctx(proxy);
    ua->t1 = cfg->t1;
    ua->kind = sim_proxy_transport_kind(proxy);
    ua->calls_out = g_hash_table_new(sim_sip_key_hash, g_str_equal);
    ua->calls_in = g_hash_table_new(sim_sip_key_hash, g_str_equal);
    ua->msg_pool = sim_sip_msg_pool_new();
    gboolean sips = sim_strategy_kind_is_tls(ua->kind);
    /* The Contact always names the listening port (advertise-port is
     * about the Via sent-by only). */
    sim_sip_uri_set(&ua->contact_self, sips, "u", cfg->host, cfg->port,
                    FALSE);
    sim_sip_uri_set(&ua->caller_uri, sips, "caller",
                    cfg->domains && cfg->domains[0] ? cfg->domains[0]
                                                    : cfg->host,
                    0, FALSE);
    ua_stats_init(ua);
    SimProxyUaHooks hooks = {
        .request = ua_request,
        .crashed = ua_crashed,
        .user = ua,
    };
    sim_proxy_set_ua(proxy, &hooks);
    return ua;
}

/**
 * sim_ua_free:
 * @ua: (nullable): a user agent
 *
 * Unregisters @ua from its proxy and frees it with the calls it still
 * has.  Free it before its proxy, after the event queue.
 */
void
sim_ua_free(SimUa *ua)
{
    if (!ua)
        return;
    ua->freeing = TRUE;
    sim_proxy_set_ua(ua->proxy, NULL);
    while (!g_queue_is_empty(&ua->calls))
        ua_call_free(g_queue_peek_head(&ua->calls));
    g_hash_table_destroy(ua->calls_out);
    g_hash_table_destroy(ua->calls_in);
    while (ua->free_calls) {
        UaCall *call = ua->free_calls;
        ua->free_calls = call->next_free;
        g_free(call);
    }
    sim_sip_msg_pool_unref(ua->msg_pool);
    g_free(ua);
}

/**
 * sim_ua_originate_call:
 * @ua: the user agent of the origin node (serving the caller's domain)
 * @call: the call (copied)
 *
 * Starts a call: an INVITE to sips:/sip: callee@to_domain, whose set-up
 * latency runs from now.  Counts calls.attempted even when the node is
 * down (the call then fails at once).
 */
void
sim_ua_originate_call(SimUa *ua, const SimCallParams *call)
{
    SimProxy *p = ua->proxy;
    g_return_if_fail(call->to_domain);
    sim_counter_add(ua->calls_attempted, 1);
    sim_counter_add(ua->n_originated, 1);
    if (!sim_proxy_is_up(p)) {
        ua_failed(ua);
        return;
    }
    /* The origin itself is past its queue limit: it refuses the call as
     * it would a caller's INVITE (503). */
    if (sim_proxy_overloaded(p)) {
        ua_failed(ua);
        ua_rejected(ua);
        return;
    }
    gboolean sips = sim_strategy_kind_is_tls(ua->kind);
    UaCall *c = ua_call_new(ua, FALSE);
    c->params = *call;
    c->params.to_domain = NULL;
    c->t_start = sim_ctx_now(ua->ctx);
    sim_proxy_new_call_id(p, c->call_id, sizeof c->call_id);
    sim_proxy_new_tag(p, c->local_tag, sizeof c->local_tag);
    c->local_uri = ua->caller_uri;
    sim_sip_uri_set(&c->remote_uri, sips, "callee", call->to_domain, 0,
                    FALSE);
    c->target = c->remote_uri;
    g_hash_table_insert(ua->calls_out, c->call_id, c);
    ua_gauge_add(ua, ua->g_calls, 1);
    if (call->cancel_after)
        c->cancel_timer = sim_evq_after(ua->ctx->evq, call->cancel_after,
                                        ua_call_abandon, c, NULL);

    SimSipMsg *inv = ua_call_request(c, SIM_SIP_INVITE);
    sim_proxy_record_route(p, inv);
    inv->body_len = SIM_SIP_SDP_BYTES;
    inv->meta.hold = call->hold;
    inv->meta.answer_delay = call->answer_delay;
    inv->meta.bye_by_callee = call->bye_by == SIM_BYE_FROM_CALLEE;
    sim_proxy_send_request(p, inv, ua_on_invite_response, c);
}

/**
 * sim_ua_calls_active:
 * @ua: a user agent
 *
 * Returns: calls (either side) it holds.
 */
guint
sim_ua_calls_active(const SimUa *ua)
{
    return g_queue_get_length((GQueue *)&ua->calls);
}

/**
 * sim_ua_calls_unfinished:
 * @ua: a user agent
 *
 * Counts, by walking the calls it holds (not from the outcome counters),
 * the calls it originated in the measurement window that have no final
 * outcome yet: neither answered nor failed nor cancelled.
 *
 * Returns: those calls (calls.unfinished at the end of a run).
 */
guint64
sim_ua_calls_unfinished(const SimUa *ua)
{
    guint64 n = 0;
    for (GList *it = ua->calls.head; it; it = it->next) {
        const UaCall *call = it->data;
        if (!call->callee && !call->answered && ua_call_in_window(call))
            n++;
    }
    return n;
}
