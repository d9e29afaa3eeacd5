/* SPDX-License-Identifier: MIT */
/*
 * The SIP proxy node (RFC 3261 16-18, RFC 3263, RFC 5923 / draft-09): the
 * connection table (R26), the alias multimap (R11, R22) purged on close
 * (R18), client transactions that resolve their next hop, let the strategy
 * pick a connection or open one, fail over to the next target (RFC 3263
 * 4.3, R15) and run Timer B/F from their start (SPEC 3.6), server
 * transactions that answer on the incoming connection or fall back per R28,
 * and the two ends of the call model, including a caller that abandons its
 * call (CANCEL, RFC 3261 9) and a graceful TLS close that lets the
 * exchanges on a connection finish first (R20, RFC 5923 8.3).  Every
 * message received or sent is a sip_cost job on the node's CPU.
 * Invariants: a connection record lives while referenced; rows never
 * outlive their connection; no hash-table iteration order reaches
 * scheduling or results.
 */
#define G_LOG_DOMAIN "sim-proxy"

#include <string.h>

#include "models/sip/proxy.h"
#include "models/sip/txn.h"

G_DEFINE_QUARK(sim-proxy-error-quark, sim_proxy_error)

/* One call at its origin (caller side) or at its callee. */
typedef struct _ProxyCall {
    SimProxy *p;
    /* Next record in the proxy's free list. */
    struct _ProxyCall *next_free;
    /* Link in SimProxy.calls. */
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
     * held (SimProxyConn.holds) until the ACK of the final response, so
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
} ProxyCall;

struct _SimProxy {
    SimCtx *ctx;
    SimProxyConfig cfg;
    const SimStrategyOps *ops;
    gpointer priv;
    gboolean up;
    /* The node's transport kind and its Record-Route host (R16). */
    SimTransportKind kind;
    const char *rr_host;
    /* Connection records in creation order. */
    GPtrArray *conns;
    /* Alias rows (SimAliasRow *) in insertion order. */
    GPtrArray *rows;
    /* The transaction layer. */
    SimSipTxnLayer *txl;
    /* Calls by Call-ID (caller and callee sides apart) and all of them. */
    GHashTable *calls_out, *calls_in;
    GQueue calls;
    /* Outstanding proactive look-ups (two-connection). */
    GQueue lookups;
    /* Ids for Call-IDs and tags. */
    guint64 next_id;
    /* Statistics. */
    SimCounter dummy;
    SimCounter *calls_attempted, *calls_completed, *calls_failed;
    SimCounter *calls_cancelled;
    SimCounter *bye_completed, *bye_failed;
    SimCounter *alias_added, *alias_rejected, *alias_hits, *alias_misses;
    SimCounter *r29, *hijacked, *failover;
    SimCounter *c_opened, *c_closed, *c_failed;
    SimCounter *n_originated, *n_received, *n_requests, *n_responses;
    SimCounter *n_handshakes, *n_opened, *n_accepted;
    SimGauge *g_calls, *g_conns, *g_node_conns;
    SimHistogram *latency;
    /* Records of the messages this node creates, of CPU jobs and of
     * calls, for reuse. */
    SimSipMsgPool *msg_pool;
    struct _ProxyJob *free_jobs;
    struct _ProxyCall *free_calls;
    /* What every request and answer of this node carries, built once:
     * its Via (branch empty), its Contact (as claimed, spoof_as included;
     * and its own, for the callee's 200), the caller's From URI and the
     * Record-Route it inserts. */
    SimSipVia via_tpl;
    SimSipUri contact_ident;
    SimSipUri contact_self;
    SimSipUri caller_uri;
    SimSipUri rr_uri;
};

/* A proactive look-up (sim_proxy_connect_toward). */
typedef struct {
    SimProxy *p;
    GList link;
    char domain[SIM_SIP_HOST_MAX];
} ProxyLookup;

/* A message waiting for the CPU. */
typedef struct _ProxyJob {
    SimProxy *p;
    SimProxyConn *pc;
    SimSipMsg *msg;
    /* Next record in the proxy's free list. */
    struct _ProxyJob *next;
} ProxyJob;

static void proxy_conn_connected(SimConn *c, gpointer user);
static void proxy_conn_message(SimConn *c, guint stream, SimMsg *m,
                               gpointer user);
static void proxy_conn_closed(SimConn *c, SimCloseReason reason,
                              gpointer user);
static void proxy_conn_idle(SimConn *c, gpointer user);
static void proxy_conn_done(SimProxyConn *pc);

static const SimConnCallbacks proxy_conn_callbacks = {
    .connected = proxy_conn_connected,
    .message = proxy_conn_message,
    .closed = proxy_conn_closed,
    .idle = proxy_conn_idle,
};

/* ------------------------------------------------------------------ */
/* Statistics                                                          */

static SimCounter *
proxy_counter(SimProxy *p, const char *name)
{
    return p->ctx->stats ? sim_stats_counter(p->ctx->stats, name) : &p->dummy;
}

static SimCounter *
proxy_node_counter(SimProxy *p, const char *what)
{
    g_autofree char *name = g_strdup_printf("node.%s.%s", p->cfg.node, what);
    return proxy_counter(p, name);
}

static void
proxy_gauge_add(SimProxy *p, SimGauge *g, gint64 delta)
{
    if (g)
        sim_gauge_add(g, sim_ctx_now(p->ctx), delta);
}

static void
proxy_stats_init(SimProxy *p)
{
    SimStats *s = p->ctx->stats;
    p->calls_attempted = proxy_counter(p, "calls.attempted");
    p->calls_completed = proxy_counter(p, "calls.completed");
    p->calls_failed = proxy_counter(p, "calls.failed");
    p->calls_cancelled = proxy_counter(p, "calls.cancelled");
    p->bye_completed = proxy_counter(p, "bye.completed");
    p->bye_failed = proxy_counter(p, "bye.failed");
    p->alias_added = proxy_counter(p, "alias.added");
    p->alias_rejected = proxy_counter(p, "alias.rejected");
    p->alias_hits = proxy_counter(p, "alias.hits");
    p->alias_misses = proxy_counter(p, "alias.misses");
    p->r29 = proxy_counter(p, "alias.r29_violations");
    p->hijacked = proxy_counter(p, "requests.hijacked");
    p->failover = proxy_counter(p, "requests.failover");
    p->c_opened = proxy_counter(p, "sip.connections.opened");
    p->c_closed = proxy_counter(p, "sip.connections.closed");
    p->c_failed = proxy_counter(p, "sip.connections.failed");
    p->n_originated = proxy_node_counter(p, "calls.originated");
    p->n_received = proxy_node_counter(p, "calls.received");
    p->n_requests = proxy_node_counter(p, "requests.received");
    p->n_responses = proxy_node_counter(p, "responses.received");
    p->n_handshakes = proxy_node_counter(p, "handshakes");
    p->n_opened = proxy_node_counter(p, "sip.connections.opened");
    p->n_accepted = proxy_node_counter(p, "sip.connections.accepted");
    if (!s)
        return;
    g_autofree char *g = g_strdup_printf("node.%s.sip.connections.open",
                                         p->cfg.node);
    p->g_calls = sim_stats_gauge(s, "calls.in_progress");
    p->g_conns = sim_stats_gauge(s, "sip.connections.open");
    p->g_node_conns = sim_stats_gauge(s, g);
    p->latency = sim_stats_histogram(s, "latency.setup");
}

/* ------------------------------------------------------------------ */
/* Connection table                                                    */

/**
 * sim_proxy_conn_ref:
 * @pc: a connection record
 *
 * Returns: (transfer full): @pc, kept alive past its connection's close.
 */
SimProxyConn *
sim_proxy_conn_ref(SimProxyConn *pc)
{
    pc->refcount++;
    return pc;
}

/**
 * sim_proxy_conn_unref:
 * @pc: a connection record
 *
 * Drops a reference; the last one frees the record.
 */
void
sim_proxy_conn_unref(SimProxyConn *pc)
{
    if (--pc->refcount)
        return;
    g_assert_cmpuint(g_queue_get_length(&pc->waiters), ==, 0);
    g_queue_clear_full(&pc->pending, (GDestroyNotify)sim_sip_msg_unref);
    g_free(pc->aus);
    g_free(pc->target_host);
    g_free(pc);
}

static SimProxyConn *
proxy_conn_add(SimProxy *p, SimConn *c, gboolean initiator)
{
    SimProxyConn *pc = g_new0(SimProxyConn, 1);
    pc->conn = c;
    pc->proxy = p;
    pc->initiator = initiator;
    pc->refcount = 1;
    g_ptr_array_add(p->conns, pc);
    sim_conn_set_callbacks(c, &proxy_conn_callbacks, pc);
    return pc;
}

static void
proxy_conn_set_idle(SimProxy *p, SimProxyConn *pc)
{
    SimTime t = p->ops->idle_timeout ? p->ops->idle_timeout(p, pc)
                                     : p->cfg.idle_timeout;
    /* A replaced row's connection closes when idle, at the latest once a
     * transaction can no longer use it (R26: 64*T1). */
    if (pc->retired)
        t = p->cfg.idle_timeout ? p->cfg.idle_timeout
                                : sim_sip_timer_b(p->cfg.t1);
    if (pc->conn && pc->up && t != pc->conn->idle_timeout)
        sim_conn_set_idle_timeout(pc->conn, t);
}

static void
proxy_conn_count_peer(SimProxy *p, SimProxyConn *pc)
{
    g_autofree char *ip = sim_ip_to_string(pc->key.ip);
    g_autofree char *name = g_strdup_printf(
        "node.%s.peer.%s.sip.connections.opened", p->cfg.node, ip);
    sim_counter_add(proxy_counter(p, name), 1);
}

/**
 * proxy_open:
 * Opens a connection to @t for domain @aus (NULL for an R28 fallback).
 */
static SimProxyConn *
proxy_open(SimProxy *p, const char *aus, const SimDnsTarget *t)
{
    SimConnectParams cp = {
        .ip = t->tuple.ip,
        .port = t->tuple.port,
        .local_port = p->cfg.source_port_listen ? p->cfg.port : 0,
        .server_name = aus,
        .also_dns_name = p->cfg.strict_3263 ? t->host : NULL,
        .streams = p->kind == SIM_TRANSPORT_SCTP ? p->cfg.sctp_streams : 1,
    };
    SimConn *c = sim_transport_connect(p->cfg.transport, p->cfg.stack, &cp,
                                       &proxy_conn_callbacks, NULL);
    SimProxyConn *pc = proxy_conn_add(p, c, TRUE);
    pc->key = t->tuple;
    pc->key.transport = p->kind;
    pc->aus = g_strdup(aus);
    pc->target_host = g_strdup(t->host);
    sim_counter_add(p->n_opened, 1);
    proxy_conn_count_peer(p, pc);
    return pc;
}

static void
proxy_row_free(SimAliasRow *row)
{
    g_clear_pointer(&row->ids, sim_peer_id_unref);
    g_free(row->name);
    g_free(row);
}

static void
proxy_purge_rows(SimProxy *p, SimProxyConn *pc)
{
    for (guint i = p->rows->len; i-- > 0;) {
        SimAliasRow *row = g_ptr_array_index(p->rows, i);
        if (row->pc == pc)
            g_ptr_array_remove_index(p->rows, i);
    }
    pc->aliased = FALSE;
}

static gboolean
proxy_tuple_equal(const SimTuple *a, const SimTuple *b)
{
    return a->ip == b->ip && a->port == b->port &&
           a->transport == b->transport;
}

static gboolean
proxy_conn_has_rows(SimProxy *p, SimProxyConn *pc)
{
    for (guint i = 0; i < p->rows->len; i++)
        if (((SimAliasRow *)g_ptr_array_index(p->rows, i))->pc == pc)
            return TRUE;
    return FALSE;
}

/* Without a multimap, the tuple's older rows (other connections) go: the
 * newer alias replaces them (`reuse`: one row per tuple). */
static void
proxy_replace_rows(SimProxy *p, const SimAliasRow *row)
{
    for (guint i = p->rows->len; i-- > 0;) {
        SimAliasRow *r = g_ptr_array_index(p->rows, i);
        if (r->pc == row->pc || !proxy_tuple_equal(&r->tuple, &row->tuple))
            continue;
        SimProxyConn *old = r->pc;
        g_ptr_array_remove_index(p->rows, i);
        if (!proxy_conn_has_rows(p, old)) {
            old->aliased = FALSE;
            proxy_conn_set_idle(p, old);
        }
    }
}

static gboolean
proxy_row_exists(SimProxy *p, const SimAliasRow *row)
{
    for (guint i = 0; i < p->rows->len; i++) {
        const SimAliasRow *r = g_ptr_array_index(p->rows, i);
        if (r->pc == row->pc && proxy_tuple_equal(&r->tuple, &row->tuple))
            return TRUE;
    }
    return FALSE;
}

static void
proxy_alias_reject(SimProxy *p, const char *reason)
{
    g_autofree char *name = g_strdup_printf("alias.rejected.%s", reason);
    sim_counter_add(p->alias_rejected, 1);
    sim_counter_add(proxy_counter(p, name), 1);
}

/* An incoming request's topmost Via carries ;alias (R1, R7-R11). */
static void
proxy_handle_alias(SimProxy *p, SimProxyConn *pc, const SimSipVia *via)
{
    const char *reason = NULL;
    if (pc->initiator || !pc->conn)
        return;
    if (!p->cfg.accept_alias) {
        proxy_alias_reject(p, "policy");
        return;
    }
    SimAliasRow *row = g_new0(SimAliasRow, 1);
    row->pc = pc;
    if (!sim_strategy_accept_alias(p->ops, p, pc, via, row, &reason)) {
        proxy_row_free(row);
        proxy_alias_reject(p, reason ? reason : "unsupported");
        return;
    }
    if (proxy_row_exists(p, row)) {
        proxy_row_free(row);
        return;
    }
    if (!p->ops->alias_multimap)
        proxy_replace_rows(p, row);
    g_ptr_array_add(p->rows, row);
    pc->aliased = TRUE;
    sim_counter_add(p->alias_added, 1);
    proxy_conn_set_idle(p, pc);
}

/* ------------------------------------------------------------------ */
/* Sending through the CPU                                             */

/* A job record for @m on @pc (both referenced). */
static ProxyJob *
proxy_job_new(SimProxy *p, SimProxyConn *pc, SimSipMsg *m)
{
    ProxyJob *job = p->free_jobs;
    if (job)
        p->free_jobs = job->next;
    else
        job = g_new(ProxyJob, 1);
    *job = (ProxyJob){ p, sim_proxy_conn_ref(pc), sim_sip_msg_ref(m), NULL };
    return job;
}

static void
proxy_job_free(gpointer data)
{
    ProxyJob *job = data;
    sim_sip_msg_unref(job->msg);
    if (job->pc)
        sim_proxy_conn_unref(job->pc);
    job->next = job->p->free_jobs;
    job->p->free_jobs = job;
}

static void
proxy_job_receive(gpointer data)
{
    ProxyJob *job = data;
    if (!job->p->up)
        return;
    if (!job->msg->is_request)
        sim_counter_add(job->p->n_responses, 1);
    sim_sip_txn_receive(job->p->txl, job->pc, job->msg);
}

static void
proxy_job_send(gpointer data)
{
    ProxyJob *job = data;
    SimConn *c = job->pc->conn;
    job->pc->sends--;
    if (c && sim_conn_can_send(c)) {
        if (job->p->cfg.trace)
            job->p->cfg.trace(c, job->msg, job->p->cfg.trace_data);
        sim_conn_send(c, sim_proxy_stream(c, job->msg), &job->msg->base);
    }
    proxy_conn_done(job->pc);
}

/**
 * sim_proxy_stream:
 * @c: a connection
 * @m: a SIP message to send on it
 *
 * RFC 4168 leaves the mapping of SIP messages to SCTP streams to the
 * implementation.  Here a message goes on the stream its Call-ID hashes
 * to (FNV-1a, modulo the association's outbound streams): a dialog's
 * messages stay in order on one stream in each direction (an ACK never
 * overtakes the 200 it answers, nor a BYE its ACK, nor a CANCEL its
 * INVITE), while other calls ride other streams, so a loss on one stream
 * does not hold up their delivery (SPEC 3.5; TCP would).  One stream per
 * transaction would spread further but let a dialog's requests overtake
 * each other.  Without several streams (TCP, TLS, UDP, TLS over SCTP): 0.
 *
 * Returns: the stream, below c->streams.
 */
guint
sim_proxy_stream(const SimConn *c, const SimSipMsg *m)
{
    if (c->streams <= 1)
        return 0;
    guint32 h = 2166136261u;
    for (const char *s = m->call_id; *s; s++)
        h = (h ^ (guchar)*s) * 16777619u;
    return h % c->streams;
}

/* Sends @m on @pc after the CPU has served it (takes a reference). */
static void
proxy_emit(SimProxy *p, SimProxyConn *pc, SimSipMsg *m)
{
    ProxyJob *job = proxy_job_new(p, pc, m);
    pc->sends++;
    sim_cpu_submit(p->cfg.cpu, p->cfg.sip_cost, proxy_job_send, job,
                   proxy_job_free);
}

/* Hooks the transaction layer calls back into the proxy. */
static void
proxy_txl_transmit(SimSipClientTxn *t, SimProxyConn *pc, SimSipMsg *m,
                   gpointer user)
{
    SimProxy *p = user;
    if (pc->initiator && sim_strategy_want_alias(p->ops, p, pc)) {
        m->via[0].alias = TRUE;
        if (!pc->alias_sent) {
            pc->alias_sent = TRUE;
            proxy_conn_set_idle(p, pc);
        }
    }
    m->via[0].transport = p->kind;
    sim_sip_msg_finish(m);
    proxy_emit(p, pc, m);
}

static SimProxyConn *
proxy_txl_route(SimSipClientTxn *t, const char *aus,
                const SimDnsTarget *target, const SimSipMsg *m, gpointer user)
{
    SimProxy *p = user;
    SimStrategyTarget st = { aus, target, m };
    SimProxyConn *pc = sim_strategy_select_conn(p->ops, p, &st);
    if (pc && !pc->initiator) {
        sim_counter_add(p->alias_hits, 1);
        /* R29: an aliased send must reach the target RFC 3263 chose. */
        if (pc->key.ip != target->tuple.ip)
            sim_counter_add(p->r29, 1);
        return pc;
    }
    if (pc)
        return pc;
    if (p->rows->len)
        sim_counter_add(p->alias_misses, 1);
    pc = proxy_open(p, aus, target);
    pc->per_txn = sim_strategy_close_after_txn(p->ops, p, pc);
    return pc;
}

static void
proxy_txl_failover(SimSipClientTxn *t, const SimTuple *tuple, gpointer user)
{
    SimProxy *p = user;
    sim_counter_add(p->failover, 1);
    sim_resolver_mark_failed(p->cfg.resolver, tuple);
}

/* The end of an R20 drain (RFC 5923 8.3): nothing is left on @pc, or
 * its 64*T1 are over (@abandoned: what is left is abandoned).  The TLS
 * close_notify leaves now; what arrives after it is discarded (the TLS
 * connection is closed on this side), and the peer, once it has the alert,
 * starts no new transaction on the connection. */
static void
proxy_conn_drained(SimProxyConn *pc, gboolean abandoned)
{
    SimProxy *p = pc->proxy;
    if (pc->drain_timer)
        sim_evq_cancel(p->ctx->evq, pc->drain_timer);
    pc->drain_timer = 0;
    pc->draining = FALSE;
    if (abandoned)
        sim_counter_add(proxy_counter(p, "sip.connections.drain_abandoned"),
                        1);
    if (pc->conn)
        sim_conn_close(pc->conn);
}

static void
proxy_drain_expire(SimEvq *q, gpointer data)
{
    SimProxyConn *pc = data;
    pc->drain_timer = 0;
    proxy_conn_drained(pc, TRUE);
}

/* A connection opened for one transaction closes once no transaction
 * holds it and its messages have left the CPU (an ACK's transaction ends
 * as it is handed over, before it is sent); one still connecting that
 * took a request early (SCTP: it leaves with COOKIE-ECHO) closes only
 * once open, or the request would be discarded with it. */
static void
proxy_conn_done(SimProxyConn *pc)
{
    if (pc->draining) {
        if (!pc->txns && !pc->holds && !pc->sends)
            proxy_conn_drained(pc, FALSE);
        return;
    }
    if (!pc->per_txn || pc->txns || pc->sends || !pc->conn || pc->closing)
        return;
    if (!pc->up && sim_conn_can_send(pc->conn))
        return;
    pc->closing = TRUE;
    sim_conn_close(pc->conn);
}

static void
proxy_txl_unbind(SimSipClientTxn *t, SimProxyConn *pc, gpointer user)
{
    proxy_conn_done(pc);
}

/* ------------------------------------------------------------------ */
/* Responses (server side, R28)                                        */

static SimProxyConn *
proxy_find_r28(SimProxy *p, const SimTuple *t)
{
    for (guint i = 0; i < p->conns->len; i++) {
        SimProxyConn *pc = g_ptr_array_index(p->conns, i);
        if (pc->initiator && !pc->closing && pc->key.ip == t->ip &&
            pc->key.port == t->port)
            return pc;
    }
    return NULL;
}

static void
proxy_txl_respond(SimSipServerTxn *stx, SimProxyConn *pc, SimSipMsg *resp,
                  gpointer user)
{
    SimProxy *p = user;
    if (pc->conn && (!pc->closing || pc->draining)) {
        proxy_emit(p, pc, resp);
        return;
    }
    /* R28: the connection is gone; open one to the received IP at the
     * sent-by port (or the default) and send the response there. */
    const SimSipVia *v = &resp->via[0];
    gboolean tls = sim_strategy_kind_is_tls(p->kind);
    SimDnsTarget t = {
        .tuple = { v->received ? v->received : pc->key.ip,
                   v->port ? v->port : (tls ? SIM_SIPS_PORT : SIM_SIP_PORT),
                   p->kind },
        .host = v->host,
    };
    SimProxyConn *r = proxy_find_r28(p, &t.tuple);
    if (!r) {
        r = proxy_open(p, v->host, &t);
        sim_counter_add(proxy_counter(p, "responses.r28_fallback"), 1);
    }
    if (r->up)
        proxy_emit(p, r, resp);
    else
        g_queue_push_tail(&r->pending, sim_sip_msg_ref(resp));
}

/* ------------------------------------------------------------------ */
/* Connection events                                                   */

static void
proxy_conn_up(SimProxy *p, SimProxyConn *pc)
{
    pc->up = TRUE;
    sim_counter_add(p->n_handshakes, 1);
    proxy_gauge_add(p, p->g_node_conns, 1);
    if (pc->initiator) {
        sim_counter_add(p->c_opened, 1);
        proxy_gauge_add(p, p->g_conns, 1);
    }
    proxy_conn_set_idle(p, pc);
    sim_strategy_on_conn_up(p->ops, p, pc);
}

static void
proxy_conn_connected(SimConn *c, gpointer user)
{
    SimProxyConn *pc = user;
    SimProxy *p = pc->proxy;
    proxy_conn_up(p, pc);
    while (!g_queue_is_empty(&pc->pending)) {
        g_autoptr(SimSipMsg) m = g_queue_pop_head(&pc->pending);
        proxy_emit(p, pc, m);
    }
    sim_sip_txn_conn_up(p->txl, pc);
    proxy_conn_done(pc);
}

static void
proxy_accept(SimStack *st, SimConn *c, gpointer user)
{
    SimProxy *p = user;
    SimProxyConn *pc = proxy_conn_add(p, c, FALSE);
    pc->key = c->remote;
    sim_counter_add(p->n_accepted, 1);
    proxy_conn_up(p, pc);
}

static void
proxy_conn_closed(SimConn *c, SimCloseReason reason, gpointer user)
{
    SimProxyConn *pc = user;
    SimProxy *p = pc->proxy;
    gboolean was_up = pc->up;
    /* A TLS peer's graceful close is a close_notify (RFC 5923 8.3). */
    gboolean discarded = reason == SIM_CLOSE_PEER &&
                         sim_strategy_kind_is_tls(p->kind);
    proxy_purge_rows(p, pc);
    if (pc->drain_timer)
        sim_evq_cancel(p->ctx->evq, pc->drain_timer);
    pc->drain_timer = 0;
    pc->draining = FALSE;
    pc->closing = TRUE;
    pc->conn = NULL;
    if (was_up) {
        proxy_gauge_add(p, p->g_node_conns, -1);
        if (pc->initiator) {
            sim_counter_add(p->c_closed, 1);
            proxy_gauge_add(p, p->g_conns, -1);
        }
    } else if (pc->initiator) {
        sim_counter_add(p->c_failed, 1);
    }
    g_ptr_array_remove(p->conns, pc);
    if (p->up)
        sim_sip_txn_conn_down(p->txl, pc, was_up, discarded);
    sim_strategy_on_conn_down(p->ops, p, pc, reason);
    sim_proxy_conn_unref(pc);
}

/* The idle timeout expired: a TLS connection closes under R20, after
 * what is still on it; others close at once, as the transport would. */
static void
proxy_conn_idle(SimConn *c, gpointer user)
{
    SimProxyConn *pc = user;
    if (pc->closing)
        return;
    if (sim_strategy_kind_is_tls(pc->proxy->kind))
        sim_proxy_conn_reclaim(pc->proxy, pc);
    else
        sim_conn_close(c);
}

static void
proxy_conn_message(SimConn *c, guint stream, SimMsg *m, gpointer user)
{
    SimProxyConn *pc = user;
    SimProxy *p = pc->proxy;
    if (!p->up)
        return;
    ProxyJob *job = proxy_job_new(p, pc, sim_sip_msg_from_msg(m));
    sim_cpu_submit(p->cfg.cpu, p->cfg.sip_cost, proxy_job_receive, job,
                   proxy_job_free);
}

/* ------------------------------------------------------------------ */
/* Call model                                                          */

static ProxyCall *
proxy_call_new(SimProxy *p, gboolean callee)
{
    ProxyCall *call = p->free_calls;
    if (call)
        p->free_calls = call->next_free;
    else
        call = g_new(ProxyCall, 1);
    memset(call, 0, sizeof *call);
    call->p = p;
    call->callee = callee;
    call->link.data = call;
    g_queue_push_tail_link(&p->calls, &call->link);
    return call;
}

/* The callee's INVITE exchange is over (the ACK came, or the call ends):
 * the connection it held may close now (R20).  Not while the node is down
 * or being freed: its connections are gone or going without a word. */
static void
proxy_call_release(ProxyCall *call)
{
    SimProxyConn *pc = g_steal_pointer(&call->hold_pc);
    if (!pc)
        return;
    pc->holds--;
    if (call->p->up)
        proxy_conn_done(pc);
    sim_proxy_conn_unref(pc);
}

/* The caller's INVITE transaction ended: no CANCEL any more. */
static void
proxy_call_stop_cancel(ProxyCall *call)
{
    if (call->cancel_timer)
        sim_evq_cancel(call->p->ctx->evq, call->cancel_timer);
    call->cancel_timer = 0;
    call->cancel_wanted = FALSE;
    g_clear_pointer(&call->invite_txn, sim_sip_client_txn_unref);
}

static void
proxy_call_free(ProxyCall *call)
{
    SimProxy *p = call->p;
    if (call->timer)
        sim_evq_cancel(p->ctx->evq, call->timer);
    if (call->rtx_timer)
        sim_evq_cancel(p->ctx->evq, call->rtx_timer);
    if (call->invite_stx)
        sim_sip_server_txn_unref(call->invite_stx);
    proxy_call_stop_cancel(call);
    proxy_call_release(call);
    g_clear_pointer(&call->route, g_free);
    g_queue_unlink(&p->calls, &call->link);
    call->next_free = p->free_calls;
    p->free_calls = call;
}

static void
proxy_call_end(ProxyCall *call)
{
    SimProxy *p = call->p;
    if (!call->callee) {
        g_hash_table_remove(p->calls_out, call->call_id);
        proxy_gauge_add(p, p->g_calls, -1);
    } else {
        g_hash_table_remove(p->calls_in, call->call_id);
    }
    proxy_call_free(call);
}

static gboolean
proxy_is_own_host(const SimProxy *p, const char *host)
{
    return sim_sip_host_equal(host, p->cfg.host) ||
           sim_sip_host_equal(host, p->rr_host) ||
           sim_proxy_serves(p, host);
}

static void
proxy_fill_identity(SimProxy *p, SimSipMsg *m)
{
    SimSipVia *v = sim_sip_msg_push_via(m);
    *v = p->via_tpl;
    SimSipText b;
    sim_sip_text_init(&b, v->branch, sizeof v->branch);
    sim_sip_text_add(&b, "z9hG4bK");
    sim_sip_text_add(&b, p->cfg.node);
    sim_sip_text_add(&b, ".");
    sim_sip_text_add_uint(&b, ++p->next_id);
    m->contact = p->contact_ident;
    m->has_contact = TRUE;
}

/* Builds the proxy's Via, Contact, From and Record-Route templates. */
static void
proxy_build_templates(SimProxy *p)
{
    gboolean sips = sim_strategy_kind_is_tls(p->kind);
    const char *host = p->cfg.spoof_as ? p->cfg.spoof_as : p->cfg.host;
    guint16 port = p->cfg.advertise_port ? p->cfg.port : 0;
    SimSipVia *v = &p->via_tpl;
    v->transport = p->kind;
    g_strlcpy(v->host, host, sizeof v->host);
    v->port = p->cfg.spoof_port ? p->cfg.spoof_port : port;
    sim_sip_uri_set(&p->contact_ident, sips, "u", host, port, FALSE);
    sim_sip_uri_set(&p->contact_self, sips, "u", p->cfg.host, port, FALSE);
    sim_sip_uri_set(&p->caller_uri, sips, "caller", p->rr_host, 0, FALSE);
    sim_sip_uri_set(&p->rr_uri, sips, NULL, p->rr_host, 0, TRUE);
}

/* A new tag, "<node>.<id>" with a fresh id (truncated to @size). */
static void
proxy_new_tag(SimProxy *p, char *buf, gsize size)
{
    SimSipText t;
    sim_sip_text_init(&t, buf, size);
    sim_sip_text_add(&t, p->cfg.node);
    sim_sip_text_add(&t, ".");
    sim_sip_text_add_uint(&t, ++p->next_id);
}

/* A new Call-ID, "<id>@<host>" with a fresh id (truncated to @size). */
static void
proxy_new_call_id(SimProxy *p, char *buf, gsize size)
{
    SimSipText t;
    sim_sip_text_init(&t, buf, size);
    sim_sip_text_add_uint(&t, ++p->next_id);
    sim_sip_text_add(&t, "@");
    sim_sip_text_add(&t, p->cfg.host);
}

/* The call's tags and Call-ID fit the message's fields exactly, so whole
 * arrays are copied (the call zeroed them, the tails are defined). */
G_STATIC_ASSERT(sizeof(((ProxyCall *)0)->local_tag) ==
                sizeof(((SimSipMsg *)0)->from_tag));
G_STATIC_ASSERT(sizeof(((ProxyCall *)0)->remote_tag) ==
                sizeof(((SimSipMsg *)0)->to_tag));
G_STATIC_ASSERT(sizeof(((ProxyCall *)0)->call_id) ==
                sizeof(((SimSipMsg *)0)->call_id));

/* A request within the call's dialog (RFC 3261 12.2.1.1). */
static SimSipMsg *
proxy_call_request(ProxyCall *call, SimSipMethod method)
{
    SimSipMsg *m = sim_sip_msg_new_request_in(call->p->msg_pool, method,
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
    proxy_fill_identity(call->p, m);
    return m;
}

static void proxy_on_bye_response(SimSipClientTxn *t, guint status,
                                  const SimSipMsg *resp, gpointer user);

/* Sends @m (taken) statefully to its next hop: the top Route (loose
 * routing, RFC 3261 16.12), else the Request-URI. */
static void
proxy_send_request(SimProxy *p, SimSipMsg *m, SimSipTxnFunc func,
                   gpointer user)
{
    const SimSipUri *hop = m->n_route ? &m->route[0] : &m->ruri;
    sim_sip_txn_start(p->txl, m, hop->host, hop->port, func, user);
}

static void
proxy_call_hangup(SimEvq *q, gpointer data)
{
    ProxyCall *call = data;
    SimTime ack_by = call->t_start + sim_sip_timer_b(call->p->cfg.t1);
    call->timer = 0;
    /* RFC 3261 15.1.2: the callee sends no BYE before the ACK of its 2xx
     * has arrived, or 64*T1 has passed without it (13.3.1.4). */
    if (call->callee && !call->acked && sim_evq_now(q) < ack_by) {
        call->hangup_pending = TRUE;
        call->timer = sim_evq_at(q, ack_by, proxy_call_hangup, call, NULL);
        return;
    }
    call->hangup_pending = FALSE;
    call->ending = TRUE;
    SimSipMsg *bye = proxy_call_request(call, SIM_SIP_BYE);
    proxy_send_request(call->p, bye, proxy_on_bye_response, call);
}

static void
proxy_on_bye_response(SimSipClientTxn *t, guint status,
                      const SimSipMsg *resp, gpointer user)
{
    ProxyCall *call = user;
    if (status < 200)
        return;
    sim_counter_add(status < 300 ? call->p->bye_completed
                                 : call->p->bye_failed, 1);
    proxy_call_end(call);
}

static void
proxy_dialog_routes(ProxyCall *call, const SimSipMsg *m, gboolean reverse)
{
    call->n_route = 0;
    g_clear_pointer(&call->route, g_free);
    if (m->n_rr)
        call->route = g_new(SimSipUri, m->n_rr);
    for (guint i = 0; i < m->n_rr; i++) {
        const SimSipUri *u = &m->rr[reverse ? m->n_rr - 1 - i : i];
        if (!proxy_is_own_host(call->p, u->host))
            call->route[call->n_route++] = *u;
    }
}

/* The other side's BYE never came (hold + the longest a BYE transaction
 * can take): end the call so that nothing stays open forever. */
static void
proxy_call_expire(SimEvq *q, gpointer data)
{
    ProxyCall *call = data;
    SimProxy *p = call->p;
    call->timer = 0;
    sim_counter_add(proxy_counter(p, call->callee ? "calls.callee_expired"
                                                  : "calls.teardown_failed"),
                    1);
    proxy_call_end(call);
}

/* TRUE if the originated @call belongs to the measurement window: its
 * outcome (answered, failed, set-up latency) counts there only if it was
 * attempted there, so a window never has more outcomes than attempts. */
static gboolean
proxy_call_in_window(const ProxyCall *call)
{
    return sim_stats_in_window(call->p->ctx->stats, call->t_start);
}

/* The caller sends its CANCEL (RFC 3261 9.1). */
static void
proxy_call_send_cancel(ProxyCall *call)
{
    call->cancel_wanted = FALSE;
    call->cancel_sent = sim_sip_txn_cancel(call->invite_txn);
}

/* The caller gives up on an unanswered call (params.cancel_after): CANCEL
 * now, or with the first provisional response if none came yet (9.1: a
 * CANCEL SHOULD NOT be sent before one). */
static void
proxy_call_abandon(SimEvq *q, gpointer data)
{
    ProxyCall *call = data;
    call->cancel_timer = 0;
    if (call->answered || call->cancel_sent)
        return;
    if (call->invite_txn)
        proxy_call_send_cancel(call);
    else
        call->cancel_wanted = TRUE;
}

/* A provisional response: the INVITE transaction can now be cancelled. */
static void
proxy_call_provisional(ProxyCall *call, SimSipClientTxn *t)
{
    if (call->answered)
        return;
    if (!call->invite_txn)
        call->invite_txn = sim_sip_client_txn_ref(t);
    if (call->cancel_wanted)
        proxy_call_send_cancel(call);
}

static void
proxy_on_invite_response(SimSipClientTxn *t, guint status,
                         const SimSipMsg *resp, gpointer user)
{
    ProxyCall *call = user;
    SimProxy *p = call->p;
    if (status < 200) {
        proxy_call_provisional(call, t);
        return;
    }
    if (call->answered)
        return;
    gboolean counted = proxy_call_in_window(call);
    proxy_call_stop_cancel(call);
    if (status >= 300) {
        /* 487 to a cancelled INVITE: the caller's own doing (9.1). */
        if (counted)
            sim_counter_add(call->cancel_sent && status == 487
                                ? p->calls_cancelled
                                : p->calls_failed,
                            1);
        proxy_call_end(call);
        return;
    }
    call->answered = TRUE;
    if (counted) {
        sim_counter_add(p->calls_completed, 1);
        if (p->latency)
            sim_histogram_record(p->latency,
                                 sim_ctx_now(p->ctx) - call->t_start);
    }
    g_strlcpy(call->remote_tag, resp->to_tag, sizeof call->remote_tag);
    call->target = resp->has_contact ? resp->contact : call->remote_uri;
    proxy_dialog_routes(call, resp, TRUE);
    SimSipMsg *ack = proxy_call_request(call, SIM_SIP_ACK);
    proxy_send_request(p, ack, NULL, NULL);
    /* A 2xx that crossed the CANCEL: the call is up, but its caller
     * abandoned it and hangs up at once (RFC 3261 15). */
    if (call->cancel_sent)
        call->timer = sim_evq_after(p->ctx->evq, 0, proxy_call_hangup, call,
                                    NULL);
    else if (call->params.bye_by == SIM_BYE_FROM_CALLER)
        call->timer = sim_evq_after(p->ctx->evq, call->params.hold,
                                    proxy_call_hangup, call, NULL);
    else
        call->timer = sim_evq_after(
            p->ctx->evq, call->params.hold + sim_sip_timer_b(p->cfg.t1),
            proxy_call_expire, call, NULL);
}

/* Over UDP the callee resends its 200 until the ACK comes, every T1
 * doubling up to T2, for at most 64*T1 (RFC 3261 13.3.1.4). */
static void
proxy_callee_rtx(SimEvq *q, gpointer data)
{
    ProxyCall *call = data;
    SimTime t1 = call->p->cfg.t1;
    call->rtx_timer = 0;
    if (sim_evq_now(q) >= call->t_start + sim_sip_timer_b(t1)) {
        g_clear_pointer(&call->invite_stx, sim_sip_server_txn_unref);
        return;
    }
    sim_sip_server_txn_resend(call->invite_stx);
    call->rtx_interval = MIN(2 * call->rtx_interval, SIM_SIP_T2);
    call->rtx_timer = sim_evq_after(q, call->rtx_interval, proxy_callee_rtx,
                                    call, NULL);
}

static void
proxy_callee_answer(SimEvq *q, gpointer data)
{
    ProxyCall *call = data;
    SimProxy *p = call->p;
    call->timer = 0;
    call->answered = TRUE;
    call->t_start = sim_ctx_now(p->ctx);
    g_autoptr(SimSipMsg) ok = sim_sip_server_txn_response(call->invite_stx,
                                                          200);
    g_strlcpy(ok->to_tag, call->local_tag, sizeof ok->to_tag);
    ok->contact = p->contact_self;
    ok->has_contact = TRUE;
    ok->body_len = SIM_SIP_SDP_BYTES;
    sim_sip_server_txn_send(call->invite_stx, ok);
    if (sim_transport_kind_reliable(p->kind)) {
        g_clear_pointer(&call->invite_stx, sim_sip_server_txn_unref);
    } else {
        call->rtx_interval = p->cfg.t1;
        call->rtx_timer = sim_evq_after(q, call->rtx_interval,
                                        proxy_callee_rtx, call, NULL);
    }
    if (call->params.bye_by == SIM_BYE_FROM_CALLEE)
        call->timer = sim_evq_after(p->ctx->evq, call->params.hold,
                                    proxy_call_hangup, call, NULL);
    else
        call->timer = sim_evq_after(
            p->ctx->evq, call->params.hold + 2 * sim_sip_timer_b(p->cfg.t1),
            proxy_call_expire, call, NULL);
}

static void
proxy_respond(SimSipServerTxn *stx, guint status)
{
    g_autoptr(SimSipMsg) r = sim_sip_server_txn_response(stx, status);
    sim_sip_server_txn_send(stx, r);
}

/* The node serves the Request-URI's domain: answer as the callee.  Over
 * reliable transports the INVITE's connection @pc is held until the
 * exchange ends (the ACK of the final response), for R20. */
static void
proxy_callee_invite(SimProxy *p, SimSipServerTxn *stx, SimProxyConn *pc,
                    const SimSipMsg *m)
{
    if (g_hash_table_contains(p->calls_in, m->call_id)) {
        proxy_respond(stx, 100);
        return;
    }
    ProxyCall *call = proxy_call_new(p, TRUE);
    sim_counter_add(p->n_received, 1);
    g_strlcpy(call->call_id, m->call_id, sizeof call->call_id);
    proxy_new_tag(p, call->local_tag, sizeof call->local_tag);
    g_strlcpy(call->remote_tag, m->from_tag, sizeof call->remote_tag);
    call->local_uri = m->to;
    call->remote_uri = m->from;
    call->target = m->has_contact ? m->contact : m->from;
    proxy_dialog_routes(call, m, FALSE);
    call->cseq = 0;
    call->params.hold = m->meta.hold;
    call->params.answer_delay = m->meta.answer_delay;
    call->params.bye_by = m->meta.bye_by_callee ? SIM_BYE_FROM_CALLEE
                                                : SIM_BYE_FROM_CALLER;
    call->invite_stx = sim_sip_server_txn_ref(stx);
    if (sim_transport_kind_reliable(p->kind)) {
        call->hold_pc = sim_proxy_conn_ref(pc);
        pc->holds++;
    }
    g_hash_table_insert(p->calls_in, call->call_id, call);
    proxy_respond(stx, 100);
    proxy_respond(stx, 180);
    call->timer = sim_evq_after(p->ctx->evq, call->params.answer_delay,
                                proxy_callee_answer, call, NULL);
}

/* A rejected call's ACK never came (Timer H, 64*T1): it ends. */
static void
proxy_call_drop(SimEvq *q, gpointer data)
{
    ProxyCall *call = data;
    call->timer = 0;
    proxy_call_end(call);
}

/* The callee ends its INVITE transaction with @status (487 after a
 * CANCEL, RFC 3261 9.2) and keeps the call until the ACK, at most 64*T1
 * (Timer H, 17.2.1). */
static void
proxy_callee_reject(ProxyCall *call, guint status)
{
    SimProxy *p = call->p;
    if (call->timer)
        sim_evq_cancel(p->ctx->evq, call->timer);
    g_autoptr(SimSipMsg) r = sim_sip_server_txn_response(call->invite_stx,
                                                         status);
    g_strlcpy(r->to_tag, call->local_tag, sizeof r->to_tag);
    sim_sip_server_txn_send(call->invite_stx, r);
    g_clear_pointer(&call->invite_stx, sim_sip_server_txn_unref);
    call->rejected = TRUE;
    call->timer = sim_evq_after(p->ctx->evq, sim_sip_timer_b(p->cfg.t1),
                                proxy_call_drop, call, NULL);
}

/* A CANCEL (RFC 3261 9.2), whatever connection it came on (R19): matched
 * to the INVITE server transaction it names, it gets a 200 and the INVITE,
 * if still unanswered, a 487; unmatched, a 481. */
static void
proxy_on_cancel(SimProxy *p, SimSipServerTxn *stx, const SimSipMsg *m)
{
    SimSipServerTxn *inv = sim_sip_txn_match_cancel(p->txl, m);
    ProxyCall *call = inv ? g_hash_table_lookup(p->calls_in, m->call_id)
                          : NULL;
    if (!call || call->invite_stx != inv) {
        sim_counter_add(proxy_counter(p, "cancel.unmatched"), 1);
        proxy_respond(stx, 481);
        return;
    }
    sim_counter_add(proxy_counter(p, "cancel.matched"), 1);
    proxy_respond(stx, 200);
    proxy_callee_reject(call, 487);
}

static void
proxy_on_bye(SimProxy *p, SimSipServerTxn *stx, const SimSipMsg *m)
{
    ProxyCall *call = g_hash_table_lookup(p->calls_out, m->call_id);
    if (!call)
        call = g_hash_table_lookup(p->calls_in, m->call_id);
    /* No confirmed dialog yet at the caller (a callee sends no BYE on an
     * early dialog, RFC 3261 15): the INVITE transaction still refers to
     * the call, which must stay. */
    if (!call || (!call->callee && !call->answered)) {
        proxy_respond(stx, 481);
        return;
    }
    proxy_respond(stx, 200);
    proxy_call_end(call);
}

/* The ACK of a callee's 200: its retransmissions stop, the INVITE
 * exchange is over, and a hang-up waiting for it goes now.  The ACK of a
 * 487 ends the rejected call. */
static void
proxy_on_ack(SimProxy *p, const SimSipMsg *m)
{
    ProxyCall *call = g_hash_table_lookup(p->calls_in, m->call_id);
    if (call && call->rejected) {
        proxy_call_end(call);
        return;
    }
    if (!call || !call->answered || call->acked)
        return;
    call->acked = TRUE;
    proxy_call_release(call);
    if (call->rtx_timer) {
        sim_evq_cancel(p->ctx->evq, call->rtx_timer);
        call->rtx_timer = 0;
    }
    g_clear_pointer(&call->invite_stx, sim_sip_server_txn_unref);
    if (call->hangup_pending) {
        sim_evq_cancel(p->ctx->evq, call->timer);
        proxy_call_hangup(p->ctx->evq, call);
    }
}

/* A new request, after the transaction layer matched no transaction. */
static void
proxy_txl_request(SimSipServerTxn *stx, SimProxyConn *pc, SimSipMsg *m,
                  gpointer user)
{
    SimProxy *p = user;
    sim_counter_add(p->n_requests, 1);
    if (m->meta.has_intended &&
        (m->meta.intended.ip != p->cfg.stack->ip ||
         m->meta.intended.port != p->cfg.port))
        sim_counter_add(p->hijacked, 1);
    if (m->via[0].alias)
        proxy_handle_alias(p, pc, &m->via[0]);
    sim_strategy_on_request(p->ops, p, pc, m);
    if (m->n_route && proxy_is_own_host(p, m->route[0].host)) {
        memmove(&m->route[0], &m->route[1],
                (m->n_route - 1) * sizeof m->route[0]);
        m->n_route--;
    }
    switch (m->method) {
    case SIM_SIP_ACK:
        proxy_on_ack(p, m);
        break;
    case SIM_SIP_BYE:
        proxy_on_bye(p, stx, m);
        break;
    case SIM_SIP_CANCEL:
        proxy_on_cancel(p, stx, m);
        break;
    case SIM_SIP_INVITE:
        if (sim_proxy_serves(p, m->ruri.host))
            proxy_callee_invite(p, stx, pc, m);
        else
            proxy_respond(stx, 404);
        break;
    default:
        proxy_respond(stx, 200);
        break;
    }
}

/* ------------------------------------------------------------------ */
/* Public API                                                          */

/**
 * sim_proxy_new:
 * @ctx: the run
 * @cfg: settings (copied; the pointers in it are borrowed)
 * @error: return location for %SIM_PROXY_ERROR_STRATEGY when the strategy
 *   cannot run over the transport or refuses to start
 *
 * Returns: (transfer full) (nullable): a proxy, not yet listening.
 */
SimProxy *
sim_proxy_new(SimCtx *ctx, const SimProxyConfig *cfg, GError **error)
{
    g_return_val_if_fail(cfg->stack && cfg->transport && cfg->strategy &&
                             cfg->resolver && cfg->cpu && cfg->node &&
                             cfg->host,
                         NULL);
    sim_strategy_check(cfg->strategy);
    if (!sim_strategy_applicable(cfg->strategy, cfg->transport->kind)) {
        g_set_error(error, SIM_PROXY_ERROR, SIM_PROXY_ERROR_STRATEGY,
                    "strategy '%s' cannot run over %s (node %s)",
                    cfg->strategy->name, cfg->transport->name, cfg->node);
        return NULL;
    }
    g_autoptr(SimProxy) p = g_new0(SimProxy, 1);
    p->ctx = ctx;
    p->cfg = *cfg;
    if (!p->cfg.t1)
        p->cfg.t1 = SIM_MS(500);
    if (!p->cfg.sctp_streams)
        p->cfg.sctp_streams = 10;
    p->ops = cfg->strategy;
    p->kind = cfg->transport->kind;
    p->rr_host = cfg->record_route_host ? cfg->record_route_host
                 : (cfg->domains && cfg->domains[0]) ? cfg->domains[0]
                                                     : cfg->host;
    p->conns = g_ptr_array_new();
    p->rows = g_ptr_array_new_with_free_func((GDestroyNotify)proxy_row_free);
    p->calls_out = g_hash_table_new(sim_sip_key_hash, g_str_equal);
    p->calls_in = g_hash_table_new(sim_sip_key_hash, g_str_equal);
    p->msg_pool = sim_sip_msg_pool_new();
    proxy_build_templates(p);
    proxy_stats_init(p);
    SimSipTxnHooks hooks = {
        .route = proxy_txl_route,
        .transmit = proxy_txl_transmit,
        .failover = proxy_txl_failover,
        .unbind = proxy_txl_unbind,
        .request = proxy_txl_request,
        .respond = proxy_txl_respond,
        .user = p,
    };
    p->txl = sim_sip_txn_layer_new(ctx, cfg->resolver, p->kind, p->cfg.t1,
                                   &hooks);
    if (!sim_strategy_init(p->ops, p, error)) {
        p->ops = &sim_strategy_rfc3261;
        return NULL;
    }
    return g_steal_pointer(&p);
}

static void
proxy_lookup_free(ProxyLookup *l)
{
    g_queue_unlink(&l->p->lookups, &l->link);
    g_free(l);
}

/**
 * sim_proxy_free:
 * @p: (nullable): a proxy
 *
 * Frees the proxy.  Free the event queue and the stack first, so that no
 * event or callback refers to it any more.
 */
void
sim_proxy_free(SimProxy *p)
{
    if (!p)
        return;
    p->up = FALSE;
    sim_strategy_finalize(p->ops, p);
    while (!g_queue_is_empty(&p->calls))
        proxy_call_free(g_queue_peek_head(&p->calls));
    while (!g_queue_is_empty(&p->lookups))
        proxy_lookup_free(g_queue_peek_head(&p->lookups));
    g_clear_pointer(&p->txl, sim_sip_txn_layer_free);
    g_ptr_array_free(p->rows, TRUE);
    for (guint i = 0; i < p->conns->len; i++) {
        SimProxyConn *pc = g_ptr_array_index(p->conns, i);
        if (pc->conn)
            sim_conn_set_callbacks(pc->conn, NULL, NULL);
        pc->conn = NULL;
        sim_proxy_conn_unref(pc);
    }
    g_ptr_array_free(p->conns, TRUE);
    g_hash_table_destroy(p->calls_out);
    g_hash_table_destroy(p->calls_in);
    while (p->free_jobs) {
        ProxyJob *job = p->free_jobs;
        p->free_jobs = job->next;
        g_free(job);
    }
    while (p->free_calls) {
        ProxyCall *call = p->free_calls;
        p->free_calls = call->next_free;
        g_free(call);
    }
    sim_sip_msg_pool_unref(p->msg_pool);
    g_free(p);
}

/**
 * sim_proxy_start:
 * @p: a proxy
 * @error: return location for %SIM_PROXY_ERROR_LISTEN
 *
 * Listens on the configured port (R27: also the sent-by port).
 *
 * Returns: %TRUE on success.
 */
gboolean
sim_proxy_start(SimProxy *p, GError **error)
{
    sim_stack_set_accept(p->cfg.stack, proxy_accept, p);
    if (!p->cfg.transport->listen(p->cfg.stack, p->cfg.port, error)) {
        g_prefix_error(error, "node %s: ", p->cfg.node);
        if (error && *error) {
            (*error)->domain = SIM_PROXY_ERROR;
            (*error)->code = SIM_PROXY_ERROR_LISTEN;
        }
        return FALSE;
    }
    p->up = TRUE;
    return TRUE;
}

/**
 * sim_proxy_originate_call:
 * @p: the origin proxy (serving the caller's domain)
 * @call: the call (copied)
 *
 * Starts a call: an INVITE to sips:/sip: u@to_domain, whose set-up latency
 * runs from now.  Counts calls.attempted even when the node is down (the
 * call then fails at once).
 */
void
sim_proxy_originate_call(SimProxy *p, const SimCallParams *call)
{
    g_return_if_fail(call->to_domain);
    sim_counter_add(p->calls_attempted, 1);
    sim_counter_add(p->n_originated, 1);
    if (!p->up) {
        sim_counter_add(p->calls_failed, 1);
        return;
    }
    gboolean sips = sim_strategy_kind_is_tls(p->kind);
    ProxyCall *c = proxy_call_new(p, FALSE);
    c->params = *call;
    c->params.to_domain = NULL;
    c->t_start = sim_ctx_now(p->ctx);
    proxy_new_call_id(p, c->call_id, sizeof c->call_id);
    proxy_new_tag(p, c->local_tag, sizeof c->local_tag);
    c->local_uri = p->caller_uri;
    sim_sip_uri_set(&c->remote_uri, sips, "callee", call->to_domain, 0,
                    FALSE);
    c->target = c->remote_uri;
    g_hash_table_insert(p->calls_out, c->call_id, c);
    proxy_gauge_add(p, p->g_calls, 1);
    if (call->cancel_after)
        c->cancel_timer = sim_evq_after(p->ctx->evq, call->cancel_after,
                                        proxy_call_abandon, c, NULL);

    SimSipMsg *inv = proxy_call_request(c, SIM_SIP_INVITE);
    inv->rr[0] = p->rr_uri;
    inv->n_rr = 1;
    inv->body_len = SIM_SIP_SDP_BYTES;
    inv->meta.hold = call->hold;
    inv->meta.answer_delay = call->answer_delay;
    inv->meta.bye_by_callee = call->bye_by == SIM_BYE_FROM_CALLEE;
    proxy_send_request(p, inv, proxy_on_invite_response, c);
}

/**
 * sim_proxy_crash:
 * @p: a proxy
 *
 * The node goes down: its connections vanish without FIN (peers notice
 * only when they next use them), its alias rows, transactions, calls and
 * queued CPU work are lost.  Originated calls not yet answered count as
 * failed.
 */
void
sim_proxy_crash(SimProxy *p)
{
    if (!p->up)
        return;
    p->up = FALSE;
    sim_sip_txn_layer_reset(p->txl);
    while (!g_queue_is_empty(&p->calls)) {
        ProxyCall *call = g_queue_peek_head(&p->calls);
        if (!call->callee && !call->answered && proxy_call_in_window(call))
            sim_counter_add(p->calls_failed, 1);
        proxy_call_end(call);
    }
    sim_cpu_reset(p->cfg.cpu);
    sim_stack_crash(p->cfg.stack);
    g_ptr_array_set_size(p->rows, 0);
}

/**
 * sim_proxy_restart:
 * @p: a crashed proxy
 *
 * The node is back: it listens again, with empty tables.
 */
void
sim_proxy_restart(SimProxy *p)
{
    g_autoptr(GError) error = NULL;
    if (p->up)
        return;
    if (!sim_proxy_start(p, &error))
        g_warning("%s", error->message);
}

/**
 * sim_proxy_node:
 * @p: a proxy
 *
 * Returns: (transfer none): its node name.
 */
const char *
sim_proxy_node(const SimProxy *p)
{
    return p->cfg.node;
}

/**
 * sim_proxy_is_up:
 * @p: a proxy
 *
 * Returns: %TRUE unless crashed.
 */
gboolean
sim_proxy_is_up(const SimProxy *p)
{
    return p->up;
}

/**
 * sim_proxy_n_conns:
 * @p: a proxy
 *
 * Returns: connections in its table (opening, open or closing).
 */
guint
sim_proxy_n_conns(const SimProxy *p)
{
    return p->conns->len;
}

/**
 * sim_proxy_n_alias_rows:
 * @p: a proxy
 *
 * Returns: rows in its alias table.
 */
guint
sim_proxy_n_alias_rows(const SimProxy *p)
{
    return p->rows->len;
}

/**
 * sim_proxy_alias_row:
 * @p: a proxy
 * @i: index below sim_proxy_n_alias_rows()
 *
 * Returns: (transfer none): the row, in insertion order.
 */
const SimAliasRow *
sim_proxy_alias_row(const SimProxy *p, guint i)
{
    g_return_val_if_fail(i < p->rows->len, NULL);
    return g_ptr_array_index(p->rows, i);
}

/**
 * sim_proxy_calls_active:
 * @p: a proxy
 *
 * Returns: calls (either side) this node holds.
 */
guint
sim_proxy_calls_active(const SimProxy *p)
{
    return g_queue_get_length((GQueue *)&p->calls);
}

/**
 * sim_proxy_ctx:
 * @p: a proxy
 *
 * Returns: (transfer none): its run.
 */
SimCtx *
sim_proxy_ctx(SimProxy *p)
{
    return p->ctx;
}

/**
 * sim_proxy_config:
 * @p: a proxy
 *
 * Returns: (transfer none): its settings.
 */
const SimProxyConfig *
sim_proxy_config(const SimProxy *p)
{
    return &p->cfg;
}

/**
 * sim_proxy_strategy_priv:
 * @p: a proxy
 *
 * Returns: (transfer none): the strategy's private state.
 */
gpointer
sim_proxy_strategy_priv(SimProxy *p)
{
    return p->priv;
}

/**
 * sim_proxy_set_strategy_priv:
 * @p: a proxy
 * @priv: the strategy's private state (freed by its finalize)
 *
 * Stores the strategy's state.
 */
void
sim_proxy_set_strategy_priv(SimProxy *p, gpointer priv)
{
    p->priv = priv;
}

/**
 * sim_proxy_conn_first:
 * @p: a proxy
 *
 * Returns: (transfer none) (nullable): its oldest connection record.
 */
SimProxyConn *
sim_proxy_conn_first(SimProxy *p)
{
    return p->conns->len ? g_ptr_array_index(p->conns, 0) : NULL;
}

/**
 * sim_proxy_conn_next:
 * @p: a proxy
 * @pc: one of its connection records
 *
 * Returns: (transfer none) (nullable): the next one in creation order.
 */
SimProxyConn *
sim_proxy_conn_next(SimProxy *p, SimProxyConn *pc)
{
    guint i;
    if (!g_ptr_array_find(p->conns, pc, &i) || i + 1 >= p->conns->len)
        return NULL;
    return g_ptr_array_index(p->conns, i + 1);
}

/**
 * sim_proxy_serves:
 * @p: a proxy
 * @domain: a domain
 *
 * Returns: %TRUE when @domain is one of the node's domains.
 */
gboolean
sim_proxy_serves(const SimProxy *p, const char *domain)
{
    for (guint i = 0; p->cfg.domains && p->cfg.domains[i]; i++)
        if (sim_sip_host_equal(p->cfg.domains[i], domain))
            return TRUE;
    return FALSE;
}

/**
 * sim_proxy_transport_kind:
 * @p: a proxy
 *
 * Returns: the Via transport of its SIP traffic.
 */
SimTransportKind
sim_proxy_transport_kind(const SimProxy *p)
{
    return p->kind;
}

static void
proxy_lookup_done(SimDnsAnswer *answer, gpointer user)
{
    ProxyLookup *l = user;
    SimProxy *p = l->p;
    g_autoptr(SimDnsAnswer) a = answer;
    if (p->up && a->n > 0) {
        SimStrategyTarget st = { l->domain, &a->targets[0], NULL };
        if (!sim_strategy_find_opened(p, &st, FALSE))
            proxy_open(p, l->domain, &a->targets[0]);
    }
    proxy_lookup_free(l);
}

/**
 * sim_proxy_conn_retire:
 * @p: a proxy
 * @pc: a connection it opened
 *
 * A newer connection replaces @pc as its tuple's row: @pc carries no new
 * requests, keeps serving what is bound to it and closes once idle for the
 * node's idle timeout (64*T1 when that is "never").
 */
void
sim_proxy_conn_retire(SimProxy *p, SimProxyConn *pc)
{
    if (pc->retired)
        return;
    pc->retired = TRUE;
    sim_counter_add(proxy_counter(p, "sip.connections.retired"), 1);
    proxy_conn_set_idle(p, pc);
}

/**
 * sim_proxy_conn_reclaim:
 * @p: a proxy
 * @pc: one of its connections
 *
 * Closes @pc to reclaim its resources (R18), as the idle timeout does.
 * Over TLS the close is graceful in the sense of R20 (RFC 5923 8.3): no
 * new transaction starts on @pc and its alias rows go at once, but the
 * transactions and INVITE exchanges still on it (either direction) may
 * finish; then the close_notify leaves, at most 64*T1 later (the rest
 * abandoned).  Other transports close at once.
 */
void
sim_proxy_conn_reclaim(SimProxy *p, SimProxyConn *pc)
{
    g_return_if_fail(pc->proxy == p);
    if (!pc->conn || pc->closing)
        return;
    pc->closing = TRUE;
    if (!sim_strategy_kind_is_tls(p->kind) || !pc->up) {
        sim_conn_close(pc->conn);
        return;
    }
    pc->draining = TRUE;
    proxy_purge_rows(p, pc);
    sim_counter_add(proxy_counter(p, "sip.connections.drained"), 1);
    pc->drain_timer = sim_evq_after(p->ctx->evq, sim_sip_timer_b(p->cfg.t1),
                                    proxy_drain_expire, pc, NULL);
    proxy_conn_done(pc);
}

/**
 * sim_proxy_connect_toward:
 * @p: a proxy
 * @domain: a peer domain
 *
 * Resolves @domain by RFC 3263 and opens a connection to the first target
 * unless one this node opened is already there (two-connection, R21).
 */
void
sim_proxy_connect_toward(SimProxy *p, const char *domain)
{
    ProxyLookup *l = g_new0(ProxyLookup, 1);
    l->p = p;
    l->link.data = l;
    g_strlcpy(l->domain, domain, sizeof l->domain);
    g_queue_push_tail_link(&p->lookups, &l->link);
    sim_resolver_resolve(p->cfg.resolver, domain, 0, p->kind,
                         proxy_lookup_done, l);
}
