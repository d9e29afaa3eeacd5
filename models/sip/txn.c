/* SPDX-License-Identifier: MIT */
/*
 * RFC 3261 17 transactions as SPEC 3.6 applies them: Timer B/F = 64*T1
 * from the start of the transaction (DNS, connection and handshake time
 * included); Timer A (INVITE, T1 doubling) and E (non-INVITE, doubling up to
 * T2) only over UDP; Timers D (32 s), K (T4) and J (64*T1) only over UDP,
 * 0 on reliable transports.  Transactions are keyed by branch and method
 * (RFC 3261 17.1.3, 17.2.3), so a CANCEL, which carries its INVITE's
 * branch, is a transaction of its own.  A failed target moves the
 * transaction to the next RFC 3263 target with a new branch (RFC 3263
 * 4.3); Timer B keeps running from the first start.  A CANCEL (RFC 3261
 * 9.1) and the ACK of a non-2xx go where their INVITE went: on its
 * connection while it lasts, else on another one to the same target (R19).
 * A peer's graceful TLS close (RFC 5923 8.3) is no failure of the target:
 * what it had not answered was discarded, and is sent again there.
 */
#define G_LOG_DOMAIN "sim-sip"

#include <string.h>

#include "models/sip/txn.h"

#define SIP_T2 SIM_SIP_T2
#define SIP_T4 SIM_S(5)

struct _SimSipTxnLayer {
    SimCtx *ctx;
    SimResolver *res;
    SimTransportKind kind;
    SimTime t1;
    SimSipTxnHooks hooks;
    /* Client and server transactions by "branch method". */
    GHashTable *clients, *servers;
    /* Every live transaction, for reset and free. */
    GQueue all_clients, all_servers;
    /* Requests sent again by Timer A/E ("sip.retransmissions"). */
    SimCounter *retrans;
    SimCounter dummy;
};

struct _SimSipClientTxn {
    SimSipTxnLayer *l;
    guint refcount;
    /* Link in the bound connection's waiters, and in all_clients. */
    GList link, all_link;
    /* Our copy of the request. */
    SimSipMsg *req;
    /* RFC 3263 input (the AUS host) and explicit port. */
    char aus[SIM_SIP_HOST_MAX];
    guint16 port;
    SimDnsAnswer *answer;
    guint target;
    guint attempt;
    SimProxyConn *pc;
    gboolean sent, done, provisional, in_hash;
    /* INVITE in Proceeding whose connection closed: it waits for the
     * final response on any connection, for at most 64*T1 more. */
    gboolean orphaned;
    /* Its key in the layer's clients table ("branch method"). */
    char key[SIM_SIP_TOKEN_MAX + 12];
    SimEventId timer_b, timer_a, timer_d;
    SimTime interval;
    SimSipTxnFunc func;
    gpointer user;
};

struct _SimSipServerTxn {
    SimSipTxnLayer *l;
    guint refcount;
    GList all_link;
    char key[SIM_SIP_TOKEN_MAX + 12];
    SimSipMsg *req;
    SimSipMsg *last;
    SimProxyConn *pc;
    gboolean in_hash;
    SimEventId timer_j;
};

static void txn_try(SimSipClientTxn *t, guint i);
static void txn_timer_b(SimEvq *q, gpointer data);
static void txn_arm_timer_b(SimSipClientTxn *t);

/* A transaction's hash key, "branch method" (RFC 3261 17.1.3, 17.2.3:
 * the CSeq method tells a CANCEL from the INVITE whose branch it has). */
static void
txn_key(char *key, gsize size, const char *branch, SimSipMethod method)
{
    SimSipText t;
    sim_sip_text_init(&t, key, size);
    sim_sip_text_add(&t, branch);
    sim_sip_text_add(&t, " ");
    sim_sip_text_add(&t, sim_sip_method_name(method));
}

/* Puts @t in the clients table under its current branch. */
static void
txn_hash(SimSipClientTxn *t)
{
    txn_key(t->key, sizeof t->key, t->req->via[0].branch, t->req->method);
    g_hash_table_insert(t->l->clients, t->key, t);
    t->in_hash = TRUE;
}

/**
 * sim_sip_timer_b:
 * @t1: SIP T1
 *
 * Returns: Timer B (= F = H = J on UDP) = 64*T1.
 */
SimTime
sim_sip_timer_b(SimTime t1)
{
    return 64 * t1;
}

/**
 * sim_sip_timer_d:
 * @kind: a transport
 *
 * Returns: Timer D: 32 s over UDP, 0 on reliable transports.
 */
SimTime
sim_sip_timer_d(SimTransportKind kind)
{
    return sim_transport_kind_reliable(kind) ? 0 : SIM_S(32);
}

/* ------------------------------------------------------------------ */
/* Client transactions                                                 */

static SimSipClientTxn *
txn_ref(SimSipClientTxn *t)
{
    t->refcount++;
    return t;
}

static void
txn_unref(SimSipClientTxn *t)
{
    if (--t->refcount)
        return;
    g_queue_unlink(&t->l->all_clients, &t->all_link);
    sim_sip_msg_unref(t->req);
    g_clear_pointer(&t->answer, sim_dns_answer_free);
    g_free(t);
}

static void
txn_cancel(SimSipTxnLayer *l, SimEventId *id)
{
    if (*id)
        sim_evq_cancel(l->ctx->evq, *id);
    *id = 0;
}

static void
txn_unbind(SimSipClientTxn *t)
{
    SimProxyConn *pc = t->pc;
    if (!pc)
        return;
    g_queue_unlink(&pc->waiters, &t->link);
    pc->txns--;
    t->pc = NULL;
    t->l->hooks.unbind(t, pc, t->l->hooks.user);
    sim_conntab_conn_unref(pc);
    txn_unref(t);
}

static void
txn_unhash(SimSipClientTxn *t)
{
    if (!t->in_hash)
        return;
    g_hash_table_remove(t->l->clients, t->key);
    t->in_hash = FALSE;
    txn_unref(t);
}

static void
txn_linger_done(SimEvq *q, gpointer data)
{
    SimSipClientTxn *t = data;
    t->timer_d = 0;
    txn_unhash(t);
}

/* The transaction reaches Terminated (or Completed over UDP, lingering for
 * Timer D/K to absorb retransmitted responses). */
static void
txn_complete(SimSipClientTxn *t, gboolean final_non2xx)
{
    SimSipTxnLayer *l = t->l;
    t->done = TRUE;
    txn_cancel(l, &t->timer_b);
    txn_cancel(l, &t->timer_a);
    txn_unbind(t);
    SimTime linger = 0;
    if (!sim_transport_kind_reliable(l->kind))
        linger = t->req->method == SIM_SIP_INVITE
                     ? (final_non2xx ? sim_sip_timer_d(l->kind) : 0)
                     : SIP_T4;
    if (linger && t->in_hash)
        t->timer_d = sim_evq_after(l->ctx->evq, linger, txn_linger_done, t,
                                   NULL);
    else
        txn_unhash(t);
}

static void
txn_fail(SimSipClientTxn *t, guint status)
{
    SimSipTxnFunc func = t->func;
    gpointer user = t->user;
    txn_ref(t);
    txn_complete(t, TRUE);
    if (func)
        func(t, status, NULL, user);
    txn_unref(t);
}

static void txn_try(SimSipClientTxn *t, guint i);
static void txn_timer_b(SimEvq *q, gpointer data);
static void txn_rebranch(SimSipClientTxn *t);

/* The target of @t gave no response at all before Timer B: a transaction
 * timeout is a failure of that target (RFC 3263 4.3), like a refused
 * connection, whether the request was lost on a connection that looks
 * open (a peer that crashed silently) or never sent.  The target is
 * blacklisted, and the request tries the next one as a new transaction
 * (new branch, its own Timer B).  Returns FALSE if no target is left. */
static gboolean
txn_timeout_failover(SimSipClientTxn *t)
{
    SimSipTxnLayer *l = t->l;
    if (t->orphaned || !t->answer || t->target >= t->answer->n)
        return FALSE;
    l->hooks.failover(t, &t->answer->targets[t->target].tuple, NULL,
                      l->hooks.user);
    if (t->target + 1 >= t->answer->n)
        return FALSE;
    txn_cancel(l, &t->timer_a);
    txn_unbind(t);
    txn_rebranch(t);
    txn_arm_timer_b(t);
    txn_try(t, t->target + 1);
    return TRUE;
}

static void
txn_timer_b(SimEvq *q, gpointer data)
{
    SimSipClientTxn *t = data;
    t->timer_b = 0;
    /* Timer B matters only while Calling (RFC 3261 17.1.1.2). */
    if (t->req->method == SIM_SIP_INVITE && t->provisional && !t->orphaned)
        return;
    if (txn_timeout_failover(t))
        return;
    txn_fail(t, 408);
}

/* Arms Timer B (F for a non-INVITE) for @t's current attempt. */
static void
txn_arm_timer_b(SimSipClientTxn *t)
{
    t->timer_b = sim_evq_after(t->l->ctx->evq, sim_sip_timer_b(t->l->t1),
                               txn_timer_b, t, NULL);
}

static void
txn_timer_a(SimEvq *q, gpointer data)
{
    SimSipClientTxn *t = data;
    SimSipTxnLayer *l = t->l;
    t->timer_a = 0;
    if (t->done || !t->pc || !t->pc->conn)
        return;
    l->hooks.transmit(t, t->pc, t->req, l->hooks.user);
    sim_counter_add(l->retrans, 1);
    /* Timer A doubles (17.1.1.2); Timer E doubles up to T2 while
     * Trying, and is reset to T2 once Proceeding (17.1.2.2). */
    if (t->req->method == SIM_SIP_INVITE)
        t->interval *= 2;
    else if (t->provisional)
        t->interval = SIP_T2;
    else
        t->interval = MIN(2 * t->interval, SIP_T2);
    t->timer_a = sim_evq_after(l->ctx->evq, t->interval, txn_timer_a, t,
                               NULL);
}

static void
txn_transmit(SimSipClientTxn *t)
{
    SimSipTxnLayer *l = t->l;
    t->sent = TRUE;
    t->req->meta.intended = t->answer->targets[t->target].tuple;
    t->req->meta.has_intended = TRUE;
    l->hooks.transmit(t, t->pc, t->req, l->hooks.user);
    if (t->req->method == SIM_SIP_ACK) {
        txn_ref(t);
        txn_complete(t, FALSE);
        txn_unref(t);
        return;
    }
    if (!sim_transport_kind_reliable(l->kind)) {
        /* A transaction sent again (to the next target after its flow
         * failed) restarts Timer A: the previous one must not outlive it
         * (it fired after the transaction was freed). */
        txn_cancel(l, &t->timer_a);
        t->interval = l->t1;
        t->timer_a = sim_evq_after(l->ctx->evq, t->interval, txn_timer_a, t,
                                   NULL);
    }
}

static void
txn_bind(SimSipClientTxn *t, SimProxyConn *pc)
{
    txn_ref(t);
    t->pc = sim_conntab_conn_ref(pc);
    pc->txns++;
    t->link.data = t;
    g_queue_push_tail_link(&pc->waiters, &t->link);
}

static void
txn_rebranch(SimSipClientTxn *t)
{
    SimSipTxnLayer *l = t->l;
    gboolean hashed = t->in_hash;
    if (hashed)
        g_hash_table_remove(l->clients, t->key);
    /* A copy already sent may still be on its way to the old target (a
     * transmit queue, the network): it keeps its own branch and intended
     * target, so the new attempt is a new message. */
    if (t->sent) {
        SimSipMsg *fresh = sim_sip_msg_copy(t->req);
        sim_sip_msg_unref(t->req);
        t->req = fresh;
    }
    SimSipVia *v = &t->req->via[0];
    char *dot = strrchr(v->branch, '~');
    if (dot)
        *dot = '\0';
    gsize n = strlen(v->branch);
    g_snprintf(v->branch + n, sizeof v->branch - n, "~%u", ++t->attempt);
    if (hashed)
        txn_hash(t);
}

static void
txn_try(SimSipClientTxn *t, guint i)
{
    SimSipTxnLayer *l = t->l;
    if (i >= t->answer->n) {
        txn_fail(t, 503);
        return;
    }
    t->target = i;
    t->sent = FALSE;
    SimProxyConn *pc = l->hooks.route(t, t->aus, &t->answer->targets[i],
                                      t->req, l->hooks.user);
    txn_bind(t, pc);
    /* A transport taking early data need not be waited for (SCTP: the
     * request leaves with COOKIE-ECHO, SPEC 3.1 k = 1). */
    if (pc->up || (pc->conn && sim_conn_can_send(pc->conn)))
        txn_transmit(t);
}

static void
txn_on_answer(SimDnsAnswer *answer, gpointer user)
{
    SimSipClientTxn *t = user;
    if (t->done) {
        sim_dns_answer_free(answer);
        txn_unref(t);
        return;
    }
    t->answer = answer;
    txn_try(t, 0);
    txn_unref(t);
}

/* A client transaction for @req (taken) toward @aus (port @port, 0 for
 * none), registered with the layer; the caller holds its one reference. */
static SimSipClientTxn *
txn_new(SimSipTxnLayer *l, SimSipMsg *req, const char *aus, guint16 port,
        SimSipTxnFunc func, gpointer user)
{
    /* g_new and memset, not g_new0: calloc bypasses glibc's per-thread
     * cache. */
    SimSipClientTxn *t = g_new(SimSipClientTxn, 1);
    memset(t, 0, sizeof *t);
    t->l = l;
    t->refcount = 1;
    t->all_link.data = t;
    g_queue_push_tail_link(&l->all_clients, &t->all_link);
    t->req = req;
    g_strlcpy(t->aus, aus, sizeof t->aus);
    t->port = port;
    t->func = func;
    t->user = user;
    return t;
}

/**
 * sim_sip_txn_start:
 * @l: the layer
 * @req: (transfer full): the request; the transaction owns it from now on
 *   and changes it (Via alias and transport, branch on failover), so the
 *   caller keeps no reference
 * @host: the host RFC 3263 resolves (top Route or Request-URI host)
 * @port: its explicit port, 0 for none
 * @func: (nullable): receives responses and the outcome
 * @user: its argument
 *
 * Starts a client transaction (for ACK: a stateless send routed the same
 * way, RFC 3261 17.1.1.3).
 */
void
sim_sip_txn_start(SimSipTxnLayer *l, SimSipMsg *req, const char *host,
                  guint16 port, SimSipTxnFunc func, gpointer user)
{
    SimSipClientTxn *t = txn_new(l, req, host, port, func, user);
    if (req->method != SIM_SIP_ACK) {
        txn_hash(t);
        txn_arm_timer_b(t);
    } else {
        t->refcount = 0;
    }
    /* A request within a dialog (its To has a tag) follows the dialog's
     * route set and remote target, without rotating their addresses. */
    if (req->to_tag[0])
        sim_resolver_resolve_in_dialog(l->res, t->aus, port, l->kind,
                                       req->meta.dialog_peer, txn_on_answer,
                                       txn_ref(t));
    else
        sim_resolver_resolve(l->res, t->aus, port, l->kind, txn_on_answer,
                             txn_ref(t));
}

/* TRUE while @pc carries the exchanges it has: open, and not closing
 * unless it is draining (an R20 close waiting for them). */
static gboolean
txn_conn_carries(const SimProxyConn *pc)
{
    return pc && pc->conn && pc->up && (!pc->closing || pc->draining);
}

/* A client transaction for @req (taken) that goes where @parent's
 * request went (RFC 3261 9.1: a CANCEL's destination address, port and
 * transport are the INVITE's; 17.1.1.3 the same for the ACK of a non-2xx):
 * its one target is @parent's, and it rides @parent's connection while
 * that still carries it, else whatever connection the proxy picks for
 * that target, a new one if none is left (R19).  Not resolved again, so
 * no DNS delay and no other SRV target.  An ACK is stateless. */
static void
txn_start_fixed(SimSipClientTxn *parent, SimSipMsg *req)
{
    SimSipClientTxn *t = txn_new(parent->l, req, parent->aus, parent->port,
                                 NULL, NULL);
    t->answer = g_new0(SimDnsAnswer, 1);
    t->answer->name = g_strdup(parent->answer->name);
    t->answer->targets = g_new(SimDnsTarget, 1);
    t->answer->targets[0] = parent->answer->targets[parent->target];
    t->answer->n = 1;
    if (req->method != SIM_SIP_ACK) {
        txn_hash(t);
        txn_ref(t);
        txn_arm_timer_b(t);
    }
    if (txn_conn_carries(parent->pc)) {
        txn_bind(t, parent->pc);
        txn_transmit(t);
    } else {
        txn_try(t, 0);
    }
    txn_unref(t);
}

/* RFC 3261 17.1.1.3: the INVITE client transaction itself acknowledges a
 * non-2xx final response, with the INVITE's branch, on its connection;
 * when that is gone (R19), on another one to the same target. */
static void
txn_ack_non2xx(SimSipClientTxn *t, const SimSipMsg *resp)
{
    SimSipTxnLayer *l = t->l;
    SimSipMsg *ack = sim_sip_msg_copy(t->req);
    ack->method = SIM_SIP_ACK;
    ack->body_len = 0;
    g_strlcpy(ack->to_tag, resp->to_tag, sizeof ack->to_tag);
    if (txn_conn_carries(t->pc)) {
        l->hooks.transmit(t, t->pc, ack, l->hooks.user);
        sim_sip_msg_unref(ack);
    } else if (t->answer && t->sent) {
        txn_start_fixed(t, ack);
    } else {
        sim_sip_msg_unref(ack);
    }
}

/**
 * sim_sip_txn_cancel:
 * @t: an INVITE client transaction
 *
 * Cancels it (RFC 3261 9.1): a CANCEL with the INVITE's Request-URI,
 * Call-ID, To, From, CSeq number and Route, and a single Via, the
 * INVITE's topmost (same branch), is sent as a transaction of its own to
 * the INVITE's target: on the INVITE's connection, or on a new one to the
 * same address if that is gone (R19).  The INVITE transaction itself
 * goes on and gets the final response (487 Request Terminated).  Nothing
 * is sent if @t has ended or its INVITE was not sent yet.
 *
 * Returns: %TRUE if a CANCEL was sent.
 */
gboolean
sim_sip_txn_cancel(SimSipClientTxn *t)
{
    g_return_val_if_fail(t != NULL, FALSE);
    if (t->done || !t->sent || t->req->method != SIM_SIP_INVITE ||
        !t->answer)
        return FALSE;
    SimSipMsg *c = sim_sip_msg_copy(t->req);
    c->method = SIM_SIP_CANCEL;
    c->n_via = 1;
    c->via[0].alias = FALSE;
    c->via[0].received = 0;
    c->n_rr = 0;
    c->has_contact = FALSE;
    c->body_len = 0;
    c->meta = (SimSipMeta){ 0 };
    txn_start_fixed(t, c);
    return TRUE;
}

/**
 * sim_sip_client_txn_ref:
 * @t: a client transaction
 *
 * Returns: (transfer full): @t, kept (not its outcome: it still ends).
 */
SimSipClientTxn *
sim_sip_client_txn_ref(SimSipClientTxn *t)
{
    return txn_ref(t);
}

/**
 * sim_sip_client_txn_peer:
 * @t: a client transaction
 *
 * Returns: the address of the target its request was last sent to, or 0
 *   if it was never sent.
 */
SimIp
sim_sip_client_txn_peer(const SimSipClientTxn *t)
{
    if (!t->answer || t->target >= t->answer->n)
        return 0;
    return t->answer->targets[t->target].tuple.ip;
}

/**
 * sim_sip_client_txn_unref:
 * @t: a client transaction
 *
 * Drops a reference taken with sim_sip_client_txn_ref().
 */
void
sim_sip_client_txn_unref(SimSipClientTxn *t)
{
    txn_unref(t);
}

static void
txn_on_response(SimSipClientTxn *t, const SimSipMsg *m)
{
    SimSipTxnFunc func = t->func;
    gpointer user = t->user;
    if (t->done)
        return;
    txn_ref(t);
    if (m->status < 200) {
        t->provisional = TRUE;
        if (t->req->method == SIM_SIP_INVITE)
            txn_cancel(t->l, &t->timer_a);
    } else {
        if (m->status >= 300 && t->req->method == SIM_SIP_INVITE)
            txn_ack_non2xx(t, m);
        txn_complete(t, m->status >= 300);
    }
    if (func)
        func(t, m->status, m, user);
    txn_unref(t);
}

/**
 * sim_sip_txn_conn_up:
 * @l: the layer
 * @pc: a connection that just opened
 *
 * Sends the requests that were waiting for it.  A request that waited
 * for it although it was opened for another name (same address) and
 * whose domain the identity now proven does not cover is routed again
 * to the same target: the strategy then opens a connection of its own.
 */
void
sim_sip_txn_conn_up(SimSipTxnLayer *l, SimProxyConn *pc)
{
    g_autoptr(GPtrArray) ready = g_ptr_array_new();
    for (GList *it = pc->waiters.head; it; it = it->next)
        if (!((SimSipClientTxn *)it->data)->sent)
            g_ptr_array_add(ready, txn_ref(it->data));
    for (guint i = 0; i < ready->len; i++) {
        SimSipClientTxn *t = g_ptr_array_index(ready, i);
        if (t->pc == pc && !t->sent && !t->done) {
            if (sim_conntab_conn_proves(pc, t->aus)) {
                txn_transmit(t);
            } else {
                txn_unbind(t);
                txn_try(t, t->target);
            }
        }
        txn_unref(t);
    }
}

/**
 * sim_sip_txn_conn_down:
 * @l: the layer
 * @pc: a connection that closed or never opened
 * @was_up: %TRUE if it had opened
 * @discarded: %TRUE when the peer closed it gracefully under RFC 5923 8.3
 *   (a TLS close_notify): it let its own transactions finish and
 *   discarded what arrived after its alert
 *
 * Every transaction bound to it fails over to its next target (a refused
 * or timed-out connection, a failed handshake or authentication, or a
 * transport error after sending: RFC 3263 4.3, RFC 3261 17.1.4), except an
 * INVITE already answered provisionally: it keeps waiting for its final
 * response (which R28 may bring on another connection) for 64*T1.  With
 * @discarded the target did not fail: its requests are sent to it again,
 * with a new branch, on another connection (R20: no new transaction on a
 * connection whose close alert arrived; nothing is lost).  With
 * @auth_failed (the TLS handshake failed), a request not sent that waited
 * on it while it authenticated another name is routed to the same target
 * again, on a connection for its own name.
 */
void
sim_sip_txn_conn_down(SimSipTxnLayer *l, SimProxyConn *pc, gboolean was_up,
                      gboolean discarded, gboolean auth_failed)
{
    g_autoptr(GPtrArray) bound = g_ptr_array_new();
    for (GList *it = pc->waiters.head; it; it = it->next)
        g_ptr_array_add(bound, txn_ref(it->data));
    for (guint i = 0; i < bound->len; i++) {
        SimSipClientTxn *t = g_ptr_array_index(bound, i);
        if (t->pc == pc && !t->done && t->provisional &&
            t->req->method == SIM_SIP_INVITE) {
            /* Proceeding: the request arrived; the final response may
             * still come another way (R28), so wait, but not forever. */
            txn_unbind(t);
            t->orphaned = TRUE;
            if (!t->timer_b)
                txn_arm_timer_b(t);
        } else if (t->pc == pc && !t->done && discarded && was_up) {
            txn_unbind(t);
            txn_rebranch(t);
            txn_try(t, t->target);
        } else if (t->pc == pc && !t->done && auth_failed && !t->sent &&
                   pc->aus && !sim_sip_host_equal(pc->aus, t->aus)) {
            /* It waited on a connection authenticating another name of
             * the same address: that name's failure is not its own.
             * Routed again, it gets a connection for its own name. */
            txn_unbind(t);
            txn_try(t, t->target);
        } else if (t->pc == pc && !t->done) {
            txn_unbind(t);
            l->hooks.failover(t, &t->answer->targets[t->target].tuple,
                              auth_failed ? t->aus : NULL, l->hooks.user);
            txn_rebranch(t);
            txn_try(t, t->target + 1);
        }
        txn_unref(t);
    }
}

/* ------------------------------------------------------------------ */
/* Server transactions                                                 */

/**
 * sim_sip_server_txn_ref:
 * @stx: a server transaction
 *
 * Returns: (transfer full): @stx.
 */
SimSipServerTxn *
sim_sip_server_txn_ref(SimSipServerTxn *stx)
{
    stx->refcount++;
    return stx;
}

/**
 * sim_sip_server_txn_unref:
 * @stx: a server transaction
 *
 * Drops a reference.
 */
void
sim_sip_server_txn_unref(SimSipServerTxn *stx)
{
    if (--stx->refcount)
        return;
    g_queue_unlink(&stx->l->all_servers, &stx->all_link);
    if (stx->timer_j)
        sim_evq_cancel(stx->l->ctx->evq, stx->timer_j);
    sim_sip_msg_unref(stx->req);
    sim_sip_msg_unref(stx->last);
    if (stx->pc)
        sim_conntab_conn_unref(stx->pc);
    g_free(stx);
}

static void
stx_unhash(SimSipServerTxn *stx)
{
    if (!stx->in_hash)
        return;
    g_hash_table_remove(stx->l->servers, stx->key);
    stx->in_hash = FALSE;
    sim_sip_server_txn_unref(stx);
}

static void
stx_timer_j(SimEvq *q, gpointer data)
{
    SimSipServerTxn *stx = data;
    stx->timer_j = 0;
    stx_unhash(stx);
}

/**
 * sim_sip_server_txn_response:
 * @stx: a server transaction
 * @status: the status code
 *
 * Returns: (transfer full): a response to its request, to be completed
 *   and passed to sim_sip_server_txn_send().
 */
SimSipMsg *
sim_sip_server_txn_response(SimSipServerTxn *stx, guint status)
{
    return sim_sip_msg_new_response(stx->req, status);
}

/**
 * sim_sip_server_txn_send:
 * @stx: a server transaction
 * @resp: (transfer none): its response
 *
 * Sends @resp; a final response completes the transaction (at once on
 * reliable transports, after Timer J / 64*T1 over UDP).
 */
void
sim_sip_server_txn_send(SimSipServerTxn *stx, SimSipMsg *resp)
{
    SimSipTxnLayer *l = stx->l;
    sim_sip_msg_finish(resp);
    g_clear_pointer(&stx->last, sim_sip_msg_unref);
    stx->last = sim_sip_msg_ref(resp);
    l->hooks.respond(stx, stx->pc, resp, l->hooks.user);
    if (resp->status < 200 || !stx->in_hash || stx->timer_j)
        return;
    if (sim_transport_kind_reliable(l->kind))
        stx_unhash(stx);
    else
        stx->timer_j = sim_evq_after(l->ctx->evq, sim_sip_timer_b(l->t1),
                                     stx_timer_j, stx, NULL);
}

/**
 * sim_sip_server_txn_resend:
 * @stx: a server transaction that sent a response
 *
 * Sends its last response again, the way it answers a retransmitted
 * request: the UAS core resending a 2xx over UDP (RFC 3261 13.3.1.4).
 */
void
sim_sip_server_txn_resend(SimSipServerTxn *stx)
{
    SimSipTxnLayer *l = stx->l;
    g_return_if_fail(stx->last != NULL);
    l->hooks.respond(stx, stx->pc, stx->last, l->hooks.user);
}

static void
txn_receive_request(SimSipTxnLayer *l, SimProxyConn *pc, const SimSipMsg *m)
{
    g_autoptr(SimSipMsg) copy = sim_sip_msg_copy(m);
    copy->via[0].received = pc->key.ip;
    if (m->method == SIM_SIP_ACK) {
        l->hooks.request(NULL, pc, copy, l->hooks.user);
        return;
    }
    char key[SIM_SIP_TOKEN_MAX + 12];
    SimSipText kt;
    sim_sip_text_init(&kt, key, sizeof key);
    sim_sip_text_add(&kt, m->via[0].branch);
    sim_sip_text_add(&kt, " ");
    sim_sip_text_add(&kt, sim_sip_method_name(m->method));
    SimSipServerTxn *stx = g_hash_table_lookup(l->servers, key);
    if (stx) {
        /* A retransmission: repeat the last response (RFC 3261 17.2). */
        if (stx->last)
            l->hooks.respond(stx, stx->pc, stx->last, l->hooks.user);
        return;
    }
    stx = g_new(SimSipServerTxn, 1);
    memset(stx, 0, sizeof *stx);
    stx->l = l;
    stx->refcount = 1;
    stx->all_link.data = stx;
    g_queue_push_tail_link(&l->all_servers, &stx->all_link);
    g_strlcpy(stx->key, key, sizeof stx->key);
    stx->req = sim_sip_msg_ref(copy);
    stx->pc = sim_conntab_conn_ref(pc);
    stx->in_hash = TRUE;
    g_hash_table_insert(l->servers, stx->key, stx);
    sim_sip_server_txn_ref(stx);
    l->hooks.request(stx, pc, copy, l->hooks.user);
    sim_sip_server_txn_unref(stx);
}

/**
 * sim_sip_txn_match_cancel:
 * @l: the layer
 * @cancel: a CANCEL request
 *
 * Finds the INVITE server transaction a CANCEL is for (RFC 3261 9.2,
 * 17.2.3: the same topmost branch and Call-ID, method INVITE).
 *
 * Returns: (transfer none) (nullable): the transaction, if it exists and
 *   has sent no final response yet.
 */
SimSipServerTxn *
sim_sip_txn_match_cancel(SimSipTxnLayer *l, const SimSipMsg *cancel)
{
    g_return_val_if_fail(cancel->method == SIM_SIP_CANCEL, NULL);
    if (cancel->n_via == 0)
        return NULL;
    char key[SIM_SIP_TOKEN_MAX + 12];
    txn_key(key, sizeof key, cancel->via[0].branch, SIM_SIP_INVITE);
    SimSipServerTxn *stx = g_hash_table_lookup(l->servers, key);
    if (!stx || !g_str_equal(stx->req->call_id, cancel->call_id) ||
        (stx->last && stx->last->status >= 200))
        return NULL;
    return stx;
}

/**
 * sim_sip_txn_receive:
 * @l: the layer
 * @pc: the connection it came on
 * @m: (transfer none): a message, already paid for on the CPU
 *
 * Matches a response to its client transaction (by the topmost Via's
 * branch) or a request to its server transaction, creating one for a new
 * request.
 */
void
sim_sip_txn_receive(SimSipTxnLayer *l, SimProxyConn *pc, const SimSipMsg *m)
{
    if (m->is_request) {
        txn_receive_request(l, pc, m);
        return;
    }
    if (m->n_via == 0)
        return;
    char key[SIM_SIP_TOKEN_MAX + 12];
    txn_key(key, sizeof key, m->via[0].branch, m->method);
    SimSipClientTxn *t = g_hash_table_lookup(l->clients, key);
    if (t)
        txn_on_response(t, m);
}

/* ------------------------------------------------------------------ */
/* Layer                                                               */

/**
 * sim_sip_txn_layer_new:
 * @ctx: the run
 * @res: (transfer none): the node's resolver
 * @kind: the node's transport
 * @t1: SIP T1
 * @hooks: the proxy's hooks (copied)
 *
 * Returns: (transfer full): an empty transaction layer.
 */
SimSipTxnLayer *
sim_sip_txn_layer_new(SimCtx *ctx, SimResolver *res, SimTransportKind kind,
                      SimTime t1, const SimSipTxnHooks *hooks)
{
    SimSipTxnLayer *l = g_new0(SimSipTxnLayer, 1);
    l->ctx = ctx;
    l->res = res;
    l->kind = kind;
    l->t1 = t1;
    l->hooks = *hooks;
    l->clients = g_hash_table_new(sim_sip_key_hash, g_str_equal);
    l->servers = g_hash_table_new(sim_sip_key_hash, g_str_equal);
    l->retrans = ctx->stats ? sim_stats_counter(ctx->stats,
                                                "sip.retransmissions")
                            : &l->dummy;
    return l;
}

/**
 * sim_sip_txn_layer_reset:
 * @l: the layer
 *
 * Loses every transaction (node crash): no callback runs.
 */
void
sim_sip_txn_layer_reset(SimSipTxnLayer *l)
{
    g_autoptr(GPtrArray) all = g_ptr_array_new();
    for (GList *it = l->all_clients.head; it; it = it->next)
        g_ptr_array_add(all, txn_ref(it->data));
    for (guint i = 0; i < all->len; i++) {
        SimSipClientTxn *t = g_ptr_array_index(all, i);
        t->func = NULL;
        if (!t->done)
            txn_complete(t, FALSE);
        /* After completing: over UDP, completing arms the linger timer
         * (Timer D/K), which would fire on a freed transaction. */
        txn_cancel(l, &t->timer_d);
        txn_unhash(t);
        txn_unref(t);
    }
    /* Server transactions still referenced elsewhere (a callee's INVITE
     * transaction) stay in the list: every one is unhashed, not only those
     * before the first of them, and none keeps its Timer J. */
    g_autoptr(GPtrArray) servers = g_ptr_array_new();
    for (GList *it = l->all_servers.head; it; it = it->next)
        g_ptr_array_add(servers, sim_sip_server_txn_ref(it->data));
    for (guint i = 0; i < servers->len; i++) {
        SimSipServerTxn *stx = g_ptr_array_index(servers, i);
        txn_cancel(l, &stx->timer_j);
        stx_unhash(stx);
        sim_sip_server_txn_unref(stx);
    }
}

/**
 * sim_sip_txn_layer_free:
 * @l: (nullable): a layer
 *
 * Frees the layer and every transaction left (after the event queue).
 */
void
sim_sip_txn_layer_free(SimSipTxnLayer *l)
{
    if (!l)
        return;
    while (!g_queue_is_empty(&l->all_clients)) {
        SimSipClientTxn *t = g_queue_peek_head(&l->all_clients);
        if (t->pc) {
            g_queue_unlink(&t->pc->waiters, &t->link);
            t->pc->txns--;
            g_clear_pointer(&t->pc, sim_conntab_conn_unref);
        }
        t->refcount = 1;
        txn_unref(t);
    }
    while (!g_queue_is_empty(&l->all_servers)) {
        SimSipServerTxn *stx = g_queue_peek_head(&l->all_servers);
        stx->refcount = 1;
        sim_sip_server_txn_unref(stx);
    }
    g_hash_table_destroy(l->clients);
    g_hash_table_destroy(l->servers);
    g_free(l);
}
