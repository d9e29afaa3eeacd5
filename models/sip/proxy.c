/* SPDX-License-Identifier: MIT */
/*
 * The SIP proxy node's routing core (RFC 3261 16-18, RFC 3263, RFC 5923 /
 * draft-09): client transactions resolve their next hop and let the
 * strategy pick a connection from the node's table or open one (failing
 * over to the next target, RFC 3263 4.3, R15), requests are Record-Routed
 * (R16) and stamped with the node's Via, incoming ;alias is admitted
 * through the strategy (R7-R11), responses go back on the incoming
 * connection or fall back per R28, and requests that end at the node go to
 * its user agent.  Every message received or sent is a sip_cost job on the
 * node's CPU.  Invariants: a job holds its connection record and message
 * until it runs; no hash-table iteration order reaches scheduling or
 * results.
 */
#define G_LOG_DOMAIN "sim-proxy"

#include <string.h>

#include "models/sip/proxy.h"

G_DEFINE_QUARK(sim-proxy-error-quark, sim_proxy_error)

struct _SimProxy {
    SimCtx *ctx;
    SimProxyConfig cfg;
    /* Every SIP message this node sends: delivered, dropped (by reason)
     * or in flight (sip.* laws). */
    SimMsgAcct acct;
    const SimStrategyOps *ops;
    gboolean up;
    /* The node's transport kind and its Record-Route host (R16). */
    SimTransportKind kind;
    const char *rr_host;
    /* The connection and alias tables. */
    SimConnTab *tab;
    /* The transaction layer. */
    SimSipTxnLayer *txl;
    /* The user agent above (members NULL while none is registered). */
    SimProxyUaHooks ua;
    /* Outstanding proactive look-ups (two-connection). */
    GQueue lookups;
    /* Requests forwarded on their Request-URI (ProxyFwd), waiting for
     * the final response to relay. */
    GQueue forwards;
    /* Ids for branches, Call-IDs and tags. */
    guint64 next_id;
    /* Statistics. */
    SimCounter dummy;
    SimCounter *alias_added, *alias_rejected, *alias_hits, *alias_misses;
    SimCounter *inbound_reuse;
    SimCounter *r29, *hijacked, *failover, *forwarded;
    SimCounter *c_opened, *c_closed, *c_failed;
    SimCounter *n_requests, *n_responses;
    SimCounter *n_handshakes, *n_opened, *n_accepted;
    SimGauge *g_conns, *g_node_conns;
    /* Overload: refused INVITEs (503) and those dropped over UDP. */
    SimCounter *ov_rejected, *ov_dropped, *n_ov_rejected, *n_ov_dropped;
    /* Memory of the node's open connections (the cost model's). */
    SimGauge *g_mem, *g_node_mem;
    /* TRUE while a refused INVITE goes through the transaction layer. */
    gboolean rejecting;
    /* Records of CPU jobs, for reuse. */
    struct _ProxyJob *free_jobs;
    /* What every request of this node carries, built once: its Via
     * (branch empty), its Contact (as claimed, spoof_as included) and the
     * Record-Route it inserts. */
    SimSipVia via_tpl;
    SimSipUri contact_ident;
    SimSipUri rr_uri;
};

/* A proactive look-up (SimConnTabHooks.connect_toward). */
typedef struct {
    SimProxy *p;
    GList link;
    char domain[SIM_SIP_HOST_MAX];
} ProxyLookup;

/* A request this node forwards (RFC 3261 16.6): the server transaction
 * its final response is relayed to. */
typedef struct {
    SimProxy *p;
    GList link;
    SimSipServerTxn *stx;
} ProxyFwd;

/* A message waiting for the CPU. */
typedef struct _ProxyJob {
    SimProxy *p;
    SimProxyConn *pc;
    SimSipMsg *msg;
    /* Next record in the proxy's free list. */
    struct _ProxyJob *next;
    /* A send job, and whether it ran (one lost in a crash drops its
     * message). */
    gboolean send;
    gboolean ran;
    /* A receive job for a new INVITE the node refuses (queue limit). */
    gboolean reject;
} ProxyJob;

static void proxy_conn_connected(SimConn *c, gpointer user);
static void proxy_conn_message(SimConn *c, guint stream, SimMsg *m,
                               gpointer user);
static void proxy_conn_closed(SimConn *c, SimCloseReason reason,
                              gpointer user);
static void proxy_conn_idle(SimConn *c, gpointer user);

static const SimConnCallbacks proxy_conn_callbacks = {
    .connected = proxy_conn_connected,
    .message = proxy_conn_message,
    .closed = proxy_conn_closed,
    .idle = proxy_conn_idle,
};

/* The proxy owning the table of @pc. */
static SimProxy *
proxy_of(SimProxyConn *pc)
{
    return sim_conntab_user(pc->tab);
}

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
    p->alias_added = proxy_counter(p, "alias.added");
    p->alias_rejected = proxy_counter(p, "alias.rejected");
    p->alias_hits = proxy_counter(p, "alias.hits");
    p->alias_misses = proxy_counter(p, "alias.misses");
    p->inbound_reuse = proxy_counter(p, "inbound.reuse");
    p->r29 = proxy_counter(p, "alias.r29_violations");
    p->hijacked = proxy_counter(p, "requests.hijacked");
    p->failover = proxy_counter(p, "requests.failover");
    p->forwarded = proxy_counter(p, "requests.forwarded");
    p->c_opened = proxy_counter(p, "sip.connections.opened");
    p->c_closed = proxy_counter(p, "sip.connections.closed");
    p->c_failed = proxy_counter(p, "sip.connections.failed");
    p->n_requests = proxy_node_counter(p, "requests.received");
    p->n_responses = proxy_node_counter(p, "responses.received");
    p->n_handshakes = proxy_node_counter(p, "handshakes");
    p->n_opened = proxy_node_counter(p, "sip.connections.opened");
    p->n_accepted = proxy_node_counter(p, "sip.connections.accepted");
    p->ov_rejected = proxy_counter(p, "overload.rejected");
    p->ov_dropped = proxy_counter(p, "overload.dropped");
    p->n_ov_rejected = proxy_node_counter(p, "overload.rejected");
    p->n_ov_dropped = proxy_node_counter(p, "overload.dropped");
    if (!s)
        return;
    g_autofree char *g = g_strdup_printf("node.%s.sip.connections.open",
                                         p->cfg.node);
    g_autofree char *m = g_strdup_printf("node.%s.memory.node_bytes",
                                         p->cfg.node);
    p->g_conns = sim_stats_gauge(s, "sip.connections.open");
    p->g_node_conns = sim_stats_gauge(s, g);
    p->g_mem = sim_stats_gauge(s, "memory.node_bytes");
    p->g_node_mem = sim_stats_gauge(s, m);
}

/* ------------------------------------------------------------------ */
/* The cost model                                                      */

/* CPU for handling @m (received or sent) on this node's transport: its
 * kind's cost, the stream framing, and on TLS the records' sealing or
 * opening (one record per 16 KiB of text, RFC 8446 5.1). */
static SimTime
proxy_msg_cost(const SimProxy *p, const SimSipMsg *m)
{
    const SimProxyCosts *k = &p->cfg.costs;
    SimTime cost = !m->is_request                  ? k->response
                   : m->method == SIM_SIP_INVITE ? k->invite
                                                 : k->request;
    if (p->kind == SIM_TRANSPORT_UDP)
        return cost;
    cost += k->framing;
    if (sim_strategy_kind_is_tls(p->kind)) {
        guint64 len = m->base.len;
        cost += k->tls_record * MAX((len + 16383) / 16384, 1) +
                k->tls_aead_per_kib * len / 1024;
    }
    return cost;
}

/* TRUE when the node refuses new INVITEs: its CPU backlog is past its
 * queue limit. */
static gboolean
proxy_overloaded(const SimProxy *p)
{
    return p->cfg.costs.queue_limit &&
           sim_cpu_backlog(p->cfg.cpu) > p->cfg.costs.queue_limit;
}

/* SimStack.admit: a node past its queue limit takes no new
 * connections. */
static gboolean
proxy_admit(gpointer user)
{
    return !proxy_overloaded(user);
}

/* A request that starts a dialog: an INVITE without a To tag. */
static gboolean
proxy_is_new_invite(const SimSipMsg *m)
{
    return m->is_request && m->method == SIM_SIP_INVITE && !m->to_tag[0];
}

/* Connections cost memory at their node (not UDP's flows). */
static void
proxy_conn_memory(SimProxy *p, gint sign)
{
    if (p->kind == SIM_TRANSPORT_UDP || !p->cfg.costs.conn_memory)
        return;
    gint64 d = sign * (gint64)p->cfg.costs.conn_memory;
    proxy_gauge_add(p, p->g_mem, d);
    proxy_gauge_add(p, p->g_node_mem, d);
}

/* Connection set-up and tear-down CPU (not UDP's flows). */
static void
proxy_conn_charge(SimProxy *p, SimTime cost)
{
    if (p->kind != SIM_TRANSPORT_UDP)
        sim_cpu_charge(p->cfg.cpu, cost);
}

/* ------------------------------------------------------------------ */
/* Connections                                                         */

static SimProxyConn *
proxy_conn_add(SimProxy *p, SimConn *c, gboolean initiator,
               const SimTuple *key)
{
    SimProxyConn *pc = sim_conntab_add(p->tab, c, initiator, key);
    sim_conn_set_callbacks(c, &proxy_conn_callbacks, pc);
    proxy_conn_memory(p, 1);
    return pc;
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
    SimTuple key = t->tuple;
    key.transport = p->kind;
    SimProxyConn *pc = proxy_conn_add(p, c, TRUE, &key);
    proxy_conn_charge(p, p->cfg.costs.connect);
    pc->aus = g_strdup(aus);
    pc->target_host = g_strdup(t->host);
    sim_counter_add(p->n_opened, 1);
    proxy_conn_count_peer(p, pc);
    return pc;
}

/* The strategy's idle timeout for @pc (SimConnTabHooks.idle_timeout). */
static SimTime
proxy_tab_idle_timeout(SimConnTab *tab, SimProxyConn *pc, gpointer user)
{
    SimProxy *p = user;
    return sim_strategy_idle_timeout(p->ops, tab, pc);
}

static void
proxy_alias_reject(SimProxy *p, const char *reason)
{
    g_autofree char *name = g_strdup_printf("alias.rejected.%s", reason);
    sim_counter_add(p->alias_rejected, 1);
    sim_counter_add(proxy_counter(p, name), 1);
}

/* An incoming request's topmost Via carries ;alias (R1, R7-R11): local
 * policy (R8), then the strategy, decide whether it becomes a row. */
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
    SimAliasRow *row = sim_conntab_row_new(pc);
    if (!sim_strategy_accept_alias(p->ops, p->tab, pc, via, row, &reason)) {
        sim_conntab_row_free(row);
        proxy_alias_reject(p, reason ? reason : "unsupported");
        return;
    }
    if (sim_conntab_row_add(p->tab, row, !p->ops->alias_multimap))
        sim_counter_add(p->alias_added, 1);
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
    *job = (ProxyJob){ p,     sim_conntab_conn_ref(pc), sim_sip_msg_ref(m),
                       NULL,  FALSE,
                       FALSE, FALSE };
    return job;
}

static void
proxy_job_free(gpointer data)
{
    ProxyJob *job = data;
    if (job->send && !job->ran)
        sim_msg_acct_drop(&job->msg->base, SIM_DROP_HOST_DOWN);
    sim_sip_msg_unref(job->msg);
    if (job->pc)
        sim_conntab_conn_unref(job->pc);
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
    job->p->rejecting = job->reject;
    sim_sip_txn_receive(job->p->txl, job->pc, job->msg);
    job->p->rejecting = FALSE;
}

static void
proxy_job_send(gpointer data)
{
    ProxyJob *job = data;
    SimConn *c = job->pc->conn;
    job->ran = TRUE;
    job->pc->sends--;
    if (c && sim_conn_can_send(c)) {
        if (job->p->cfg.trace)
            job->p->cfg.trace(c, job->msg, job->p->cfg.trace_data);
        sim_conn_send(c, sim_proxy_stream(c, job->msg), &job->msg->base);
    } else {
        /* Its connection ended while it waited for the CPU. */
        sim_msg_acct_drop(&job->msg->base, SIM_DROP_CONN_CLOSED);
    }
    sim_conntab_settle(job->pc);
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
    job->send = TRUE;
    sim_msg_acct_send(&m->base, &p->acct);
    pc->sends++;
    sim_cpu_submit(p->cfg.cpu, proxy_msg_cost(p, m), proxy_job_send, job,
                   proxy_job_free);
}

/* Hooks the transaction layer calls back into the proxy. */
static void
proxy_txl_transmit(SimSipClientTxn *t, SimProxyConn *pc, SimSipMsg *m,
                   gpointer user)
{
    SimProxy *p = user;
    if (pc->initiator && sim_strategy_want_alias(p->ops, p->tab, pc)) {
        m->via[0].alias = TRUE;
        if (!pc->alias_sent) {
            pc->alias_sent = TRUE;
            sim_conntab_update_idle(p->tab, pc);
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
    SimProxyConn *pc = sim_strategy_select_conn(p->ops, p->tab, &st);
    if (pc && !pc->initiator) {
        /* An alias row's connection, or (R21 exception) an accepted one
         * whose source is the peer's resolved tuple: counted apart. */
        sim_counter_add(pc->aliased || !pc->reusable_inbound
                            ? p->alias_hits
                            : p->inbound_reuse,
                        1);
        /* R29: an aliased send must reach the target RFC 3263 chose. */
        if (pc->key.ip != target->tuple.ip)
            sim_counter_add(p->r29, 1);
        return pc;
    }
    if (pc)
        return pc;
    if (sim_conntab_n_rows(p->tab))
        sim_counter_add(p->alias_misses, 1);
    pc = proxy_open(p, aus, target);
    pc->per_txn = sim_strategy_close_after_txn(p->ops, p->tab, pc);
    return pc;
}

/* RFC 3263 4.3 by cause: a transport failure or timeout blacklists the
 * target; an authentication failure only the target for that name (the
 * same address may prove other names). */
static void
proxy_txl_failover(SimSipClientTxn *t, const SimTuple *tuple,
                   const char *auth_name, gpointer user)
{
    SimProxy *p = user;
    sim_counter_add(p->failover, 1);
    if (auth_name)
        sim_counter_add(proxy_counter(p, "requests.failover.auth"), 1);
    sim_resolver_mark_failed_for_name(p->cfg.resolver, tuple, auth_name);
}

static void
proxy_txl_unbind(SimSipClientTxn *t, SimProxyConn *pc, gpointer user)
{
    sim_conntab_settle(pc);
}

/* ------------------------------------------------------------------ */
/* Responses (server side, R28)                                        */

static SimProxyConn *
proxy_find_r28(SimProxy *p, const SimTuple *t)
{
    guint n;
    SimProxyConn *const *at = sim_conntab_at_addr(p->tab, t->ip, t->port, &n);
    for (guint i = 0; i < n; i++)
        if (at[i]->initiator && !at[i]->closing)
            return at[i];
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
    sim_conntab_update_idle(p->tab, pc);
    sim_strategy_on_conn_up(p->ops, p->tab, pc);
}

static void
proxy_conn_connected(SimConn *c, gpointer user)
{
    SimProxyConn *pc = user;
    SimProxy *p = proxy_of(pc);
    proxy_conn_up(p, pc);
    while (!g_queue_is_empty(&pc->pending)) {
        g_autoptr(SimSipMsg) m = g_queue_pop_head(&pc->pending);
        proxy_emit(p, pc, m);
    }
    sim_sip_txn_conn_up(p->txl, pc);
    sim_conntab_settle(pc);
}

static void
proxy_accept(SimStack *st, SimConn *c, gpointer user)
{
    SimProxy *p = user;
    SimProxyConn *pc = proxy_conn_add(p, c, FALSE, &c->remote);
    proxy_conn_charge(p, p->cfg.costs.accept);
    sim_counter_add(p->n_accepted, 1);
    proxy_conn_up(p, pc);
}

static void
proxy_conn_closed(SimConn *c, SimCloseReason reason, gpointer user)
{
    SimProxyConn *pc = user;
    SimProxy *p = proxy_of(pc);
    gboolean was_up = pc->up;
    /* A TLS peer's graceful close is a close_notify (RFC 5923 8.3). */
    gboolean discarded = reason == SIM_CLOSE_PEER &&
                         sim_strategy_kind_is_tls(p->kind);
    /* Its rows go (R18) and it leaves the table; the table's reference
     * is dropped last. */
    sim_conntab_remove(p->tab, pc);
    proxy_conn_memory(p, -1);
    if (p->up)
        proxy_conn_charge(p, p->cfg.costs.close);
    if (was_up) {
        proxy_gauge_add(p, p->g_node_conns, -1);
        if (pc->initiator) {
            sim_counter_add(p->c_closed, 1);
            proxy_gauge_add(p, p->g_conns, -1);
        }
    } else if (pc->initiator) {
        sim_counter_add(p->c_failed, 1);
    }
    if (p->up)
        sim_sip_txn_conn_down(p->txl, pc, was_up, discarded,
                              reason == SIM_CLOSE_TLS_FAILED);
    sim_strategy_on_conn_down(p->ops, p->tab, pc, reason);
    sim_conntab_conn_unref(pc);
}

/* The idle timeout expired: a TLS connection closes under R20, after
 * what is still on it; others close at once, as the transport would. */
static void
proxy_conn_idle(SimConn *c, gpointer user)
{
    SimProxyConn *pc = user;
    SimProxy *p = proxy_of(pc);
    if (pc->closing)
        return;
    if (sim_strategy_kind_is_tls(p->kind))
        sim_conntab_reclaim(p->tab, pc);
    else
        sim_conn_close(c);
}

static void
proxy_conn_message(SimConn *c, guint stream, SimMsg *m, gpointer user)
{
    SimProxyConn *pc = user;
    SimProxy *p = proxy_of(pc);
    if (!p->up) {
        sim_msg_acct_drop(m, SIM_DROP_HOST_DOWN);
        return;
    }
    SimSipMsg *sm = sim_sip_msg_from_msg(m);
    gboolean reject = proxy_is_new_invite(sm) && proxy_overloaded(p);
    if (reject && p->kind == SIM_TRANSPORT_UDP) {
        /* Over UDP an overloaded server sheds the request; the caller's
         * retransmissions (Timer A) try again. */
        sim_counter_add(p->ov_dropped, 1);
        sim_counter_add(p->n_ov_dropped, 1);
        sim_msg_acct_drop(m, SIM_DROP_OVERLOAD);
        return;
    }
    sim_msg_acct_deliver(m);
    ProxyJob *job = proxy_job_new(p, pc, sm);
    job->reject = reject;
    /* A refused INVITE is parsed and answered, not processed: it costs
     * what a response does. */
    sim_cpu_submit(p->cfg.cpu,
                   reject ? p->cfg.costs.response : proxy_msg_cost(p, sm),
                   proxy_job_receive, job, proxy_job_free);
}

/* ------------------------------------------------------------------ */
/* Requests this node sends                                            */

/* The node's Via (a new branch) and the Contact it claims. */
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

/* Builds the proxy's Via, Contact and Record-Route templates. */
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
    /* advertise-port concerns the Via sent-by only: the Contact is where
     * in-dialog requests go, so it always names the listening port. */
    sim_sip_uri_set(&p->contact_ident, sips, "u", host, p->cfg.port, FALSE);
    /* A Record-Route naming the node's own host carries its port unless
     * it is the transport's default (RFC 3263 4.2: no SRV for a host, so
     * the port must be in the URI); a farm's domain goes by SRV. */
    guint16 def = sips ? SIM_SIPS_PORT : SIM_SIP_PORT;
    guint16 rr_port = p->cfg.record_route_host || p->cfg.port == def
                          ? 0
                          : p->cfg.port;
    sim_sip_uri_set(&p->rr_uri, sips, NULL, p->rr_host, rr_port, TRUE);
}

/**
 * sim_proxy_new_tag:
 * @p: a proxy
 * @buf: (out): where the tag goes
 * @size: the size of @buf (the tag is truncated to it)
 *
 * Writes a new From/To tag, "<node>.<id>": ids are drawn from the
 * sequence the node's branches use.
 */
void
sim_proxy_new_tag(SimProxy *p, char *buf, gsize size)
{
    SimSipText t;
    sim_sip_text_init(&t, buf, size);
    sim_sip_text_add(&t, p->cfg.node);
    sim_sip_text_add(&t, ".");
    sim_sip_text_add_uint(&t, ++p->next_id);
}

/**
 * sim_proxy_new_call_id:
 * @p: a proxy
 * @buf: (out): where the Call-ID goes
 * @size: the size of @buf (the Call-ID is truncated to it)
 *
 * Writes a new Call-ID, "<node>.<id>@<host>", its id drawn from the
 * sequence the node's branches and tags use.  The node's name keeps it
 * unique (RFC 3261 8.1.1.4) when several nodes share a host name (A
 * record round robin): "<id>@<host>" alone repeated across them, and a
 * callee took the second call for a retransmission of the first.
 */
void
sim_proxy_new_call_id(SimProxy *p, char *buf, gsize size)
{
    SimSipText t;
    sim_sip_text_init(&t, buf, size);
    sim_sip_text_add(&t, p->cfg.node);
    sim_sip_text_add(&t, ".");
    sim_sip_text_add_uint(&t, ++p->next_id);
    sim_sip_text_add(&t, "@");
    sim_sip_text_add(&t, p->cfg.host);
}

/**
 * sim_proxy_record_route:
 * @p: a proxy
 * @m: a new dialog-creating request (no Record-Route yet)
 *
 * Puts the node's Record-Route (R16: its Record-Route host, ;lr) in @m.
 */
void
sim_proxy_record_route(SimProxy *p, SimSipMsg *m)
{
    m->rr[0] = p->rr_uri;
    m->n_rr = 1;
}

/**
 * sim_proxy_send_request:
 * @p: a proxy
 * @m: (transfer full): a request of the node's user agent
 * @func: (nullable): told of the responses and of a local failure
 * @user: its argument
 *
 * Adds the node's Via (a new branch) and Contact to @m and sends it
 * statefully to its next hop: the top Route (loose routing, RFC 3261
 * 16.12), else the Request-URI, resolved by RFC 3263.
 */
void
sim_proxy_send_request(SimProxy *p, SimSipMsg *m, SimSipTxnFunc func,
                       gpointer user)
{
    proxy_fill_identity(p, m);
    const SimSipUri *hop = m->n_route ? &m->route[0] : &m->ruri;
    sim_sip_txn_start(p->txl, m, hop->host, hop->port, func, user);
}

/**
 * sim_proxy_match_cancel:
 * @p: a proxy
 * @cancel: a CANCEL it received
 *
 * Returns: (transfer none) (nullable): the INVITE server transaction
 *   @cancel names (RFC 3261 9.2), if still pending.
 */
SimSipServerTxn *
sim_proxy_match_cancel(SimProxy *p, const SimSipMsg *cancel)
{
    return sim_sip_txn_match_cancel(p->txl, cancel);
}

/* ------------------------------------------------------------------ */
/* Requests this node receives                                         */

static void
proxy_respond(SimSipServerTxn *stx, guint status)
{
    g_autoptr(SimSipMsg) r = sim_sip_server_txn_response(stx, status);
    sim_sip_server_txn_send(stx, r);
}

/* RFC 3261 21.5.4: a node past its queue limit answers a new INVITE 503
 * with Retry-After, the seconds of CPU work it has queued (at least 1). */
static void
proxy_refuse(SimProxy *p, SimSipServerTxn *stx)
{
    g_autoptr(SimSipMsg) r = sim_sip_server_txn_response(stx, 503);
    SimTime backlog = sim_cpu_backlog(p->cfg.cpu);
    r->retry_after = (guint)MAX((backlog + SIM_S(1) - 1) / SIM_S(1), 1);
    r->meta.overload = TRUE;
    sim_proxy_new_tag(p, r->to_tag, sizeof r->to_tag);
    sim_counter_add(p->ov_rejected, 1);
    sim_counter_add(p->n_ov_rejected, 1);
    sim_sip_server_txn_send(stx, r);
}

/* A request that ends at this node goes to its user agent; without one,
 * a request is answered as if no call existed (BYE, CANCEL: 481) or could
 * be taken (INVITE: 480). */
static void
proxy_to_ua(SimProxy *p, SimSipServerTxn *stx, SimProxyConn *pc,
            const SimSipMsg *m)
{
    if (p->ua.request)
        p->ua.request(stx, pc, m, p->ua.user);
    else if (stx)
        proxy_respond(stx, m->method == SIM_SIP_INVITE ? 480 : 481);
}

static void
proxy_fwd_free(ProxyFwd *f)
{
    g_queue_unlink(&f->p->forwards, &f->link);
    g_clear_pointer(&f->stx, sim_sip_server_txn_unref);
    g_free(f);
}

/* The forwarded request's final response (or local failure: 408, 503)
 * goes back through the server transaction it came in on. */
static void
proxy_fwd_response(SimSipClientTxn *t, guint status, const SimSipMsg *resp,
                   gpointer user)
{
    ProxyFwd *f = user;
    if (status < 200)
        return;
    if (f->p->up) {
        g_autoptr(SimSipMsg) r = sim_sip_server_txn_response(f->stx, status);
        if (resp) {
            g_strlcpy(r->to_tag, resp->to_tag, sizeof r->to_tag);
            r->meta.overload = resp->meta.overload;
        }
        sim_sip_server_txn_send(f->stx, r);
    }
    proxy_fwd_free(f);
}

/* RFC 3261 16.4-16.6: a request that names another hop after this node
 * popped its own Route entry (a farm member Record-Routed with the farm's
 * domain: the in-dialog request reached any member) goes on, statefully,
 * to its next Route entry or its Request-URI (the dialog's remote target,
 * a member's own host), with this node's Via on top.  An ACK goes on
 * statelessly. */
static void
proxy_forward(SimProxy *p, SimSipServerTxn *stx, const SimSipMsg *m)
{
    SimSipMsg *fwd = sim_sip_msg_copy(m);
    fwd->meta.has_intended = FALSE;
    fwd->meta.dialog_peer = 0;
    SimSipVia *v = sim_sip_msg_push_via(fwd);
    *v = p->via_tpl;
    SimSipText b;
    sim_sip_text_init(&b, v->branch, sizeof v->branch);
    sim_sip_text_add(&b, "z9hG4bK");
    sim_sip_text_add(&b, p->cfg.node);
    sim_sip_text_add(&b, ".");
    sim_sip_text_add_uint(&b, ++p->next_id);
    sim_counter_add(p->forwarded, 1);
    const SimSipUri *hop = fwd->n_route ? &fwd->route[0] : &fwd->ruri;
    if (!stx) {
        sim_sip_txn_start(p->txl, fwd, hop->host, hop->port, NULL, NULL);
        return;
    }
    ProxyFwd *f = g_new0(ProxyFwd, 1);
    f->p = p;
    f->link.data = f;
    f->stx = sim_sip_server_txn_ref(stx);
    g_queue_push_tail_link(&p->forwards, &f->link);
    sim_sip_txn_start(p->txl, fwd, hop->host, hop->port, proxy_fwd_response,
                      f);
}

/* TRUE when @m, an in-dialog request whose own Route entry is popped,
 * still names another hop: a Route entry or a Request-URI that is not
 * this node's. */
static gboolean
proxy_is_onward(SimProxy *p, const SimSipMsg *m)
{
    return m->n_route > 0 || !sim_proxy_is_own_host(p, m->ruri.host);
}

/* A new request, after the transaction layer matched no transaction. */
static void
proxy_txl_request(SimSipServerTxn *stx, SimProxyConn *pc, SimSipMsg *m,
                  gpointer user)
{
    SimProxy *p = user;
    sim_counter_add(p->n_requests, 1);
    if (p->rejecting && proxy_is_new_invite(m)) {
        proxy_refuse(p, stx);
        return;
    }
    if (m->meta.has_intended &&
        (m->meta.intended.ip != p->cfg.stack->ip ||
         m->meta.intended.port != p->cfg.port))
        sim_counter_add(p->hijacked, 1);
    if (m->via[0].alias)
        proxy_handle_alias(p, pc, &m->via[0]);
    sim_strategy_on_request(p->ops, p->tab, pc, m);
    if (m->n_route && sim_proxy_is_own_host(p, m->route[0].host)) {
        memmove(&m->route[0], &m->route[1],
                (m->n_route - 1) * sizeof m->route[0]);
        m->n_route--;
    }
    switch (m->method) {
    case SIM_SIP_ACK:
    case SIM_SIP_BYE:
        if (proxy_is_onward(p, m))
            proxy_forward(p, stx, m);
        else
            proxy_to_ua(p, stx, pc, m);
        break;
    case SIM_SIP_CANCEL:
        proxy_to_ua(p, stx, pc, m);
        break;
    case SIM_SIP_INVITE:
        if (sim_proxy_serves(p, m->ruri.host))
            proxy_to_ua(p, stx, pc, m);
        else
            proxy_respond(stx, 404);
        break;
    default:
        proxy_respond(stx, 200);
        break;
    }
}

/* ------------------------------------------------------------------ */
/* Proactive connections (two-connection, R21)                         */

static void
proxy_lookup_free(ProxyLookup *l)
{
    g_queue_unlink(&l->p->lookups, &l->link);
    g_free(l);
}

static void
proxy_lookup_done(SimDnsAnswer *answer, gpointer user)
{
    ProxyLookup *l = user;
    SimProxy *p = l->p;
    g_autoptr(SimDnsAnswer) a = answer;
    if (p->up && a->n > 0) {
        SimStrategyTarget st = { l->domain, &a->targets[0], NULL };
        if (!sim_strategy_find_opened(p->tab, &st))
            proxy_open(p, l->domain, &a->targets[0]);
    }
    proxy_lookup_free(l);
}

/* Resolves @domain by RFC 3263 and opens a connection to the first target
 * unless one this node opened is already there (SimConnTabHooks
 * .connect_toward). */
static void
proxy_connect_toward(SimConnTab *tab, const char *domain, gpointer user)
{
    SimProxy *p = user;
    ProxyLookup *l = g_new0(ProxyLookup, 1);
    l->p = p;
    l->link.data = l;
    g_strlcpy(l->domain, domain, sizeof l->domain);
    g_queue_push_tail_link(&p->lookups, &l->link);
    sim_resolver_resolve(p->cfg.resolver, domain, 0, p->kind,
                         proxy_lookup_done, l);
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
 * Returns: (transfer full) (nullable): a proxy, not yet listening, with
 *   no user agent (sim_ua_new() adds one).
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
    /* RFC 3261 16.6 step 4, RFC 5922 7.5: a host that comes back to
     * this node and that its certificate proves; a farm sharing dialog
     * state names its domain instead (record_route_host). */
    p->rr_host = cfg->record_route_host ? cfg->record_route_host
                                        : cfg->host;
    SimConnTabConfig tcfg = {
        .domains = cfg->domains,
        .resolver = cfg->resolver,
        .kind = p->kind,
        .idle_timeout = cfg->idle_timeout,
        .txn_limit = sim_sip_timer_b(p->cfg.t1),
        .alias_insert_check = cfg->alias_insert_check,
    };
    SimConnTabHooks thooks = {
        .idle_timeout = proxy_tab_idle_timeout,
        .connect_toward = proxy_connect_toward,
        .user = p,
    };
    p->tab = sim_conntab_new(ctx, &tcfg, &thooks);
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
    if (!sim_strategy_init(p->ops, p->tab, error)) {
        p->ops = &sim_strategy_rfc3261;
        return NULL;
    }
    return g_steal_pointer(&p);
}

/**
 * sim_proxy_free:
 * @p: (nullable): a proxy
 *
 * Frees the proxy.  Free the event queue, the stack and the node's user
 * agent first, so that no event, callback or call refers to it any more.
 */
void
sim_proxy_free(SimProxy *p)
{
    if (!p)
        return;
    p->up = FALSE;
    /* Messages still in the network outlive the proxy: they forget its
     * account (the run's figures are already taken). */
    sim_msg_acct_detach(&p->acct);
    sim_strategy_finalize(p->ops, p->tab);
    while (!g_queue_is_empty(&p->lookups))
        proxy_lookup_free(g_queue_peek_head(&p->lookups));
    g_clear_pointer(&p->txl, sim_sip_txn_layer_free);
    while (!g_queue_is_empty(&p->forwards))
        proxy_fwd_free(g_queue_peek_head(&p->forwards));
    g_clear_pointer(&p->tab, sim_conntab_free);
    while (p->free_jobs) {
        ProxyJob *job = p->free_jobs;
        p->free_jobs = job->next;
        g_free(job);
    }
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
    if (p->cfg.costs.queue_limit)
        sim_stack_set_admit(p->cfg.stack, proxy_admit, p);
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
 * sim_proxy_overloaded:
 * @p: a proxy
 *
 * Returns: %TRUE while the node refuses new INVITEs: its CPU backlog is
 *   past its queue limit (its user agent refuses new calls too).
 */
gboolean
sim_proxy_overloaded(const SimProxy *p)
{
    return proxy_overloaded(p);
}

/**
 * sim_proxy_crash:
 * @p: a proxy
 *
 * The node goes down: its connections vanish without FIN (peers notice
 * only when they next use them), its alias rows, transactions, calls (its
 * user agent is told) and queued CPU work are lost.
 */
void
sim_proxy_crash(SimProxy *p)
{
    if (!p->up)
        return;
    p->up = FALSE;
    sim_sip_txn_layer_reset(p->txl);
    while (!g_queue_is_empty(&p->forwards))
        proxy_fwd_free(g_queue_peek_head(&p->forwards));
    if (p->ua.crashed)
        p->ua.crashed(p->ua.user);
    sim_cpu_reset(p->cfg.cpu);
    sim_stack_crash(p->cfg.stack);
    sim_conntab_clear_rows(p->tab);
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
 * sim_proxy_set_ua:
 * @p: a proxy
 * @hooks: (nullable): the node's user agent (copied); %NULL unregisters it
 *
 * Registers the user agent the proxy hands the requests that end at the
 * node, and tells of a crash.
 */
void
sim_proxy_set_ua(SimProxy *p, const SimProxyUaHooks *hooks)
{
    if (hooks)
        p->ua = *hooks;
    else
        memset(&p->ua, 0, sizeof p->ua);
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
 * Returns: %TRUE unless crashed (or not started).
 */
gboolean
sim_proxy_is_up(const SimProxy *p)
{
    return p->up;
}

/**
 * sim_proxy_acct:
 * @p: a proxy
 *
 * Returns: (transfer none): the account of the SIP messages it sent
 *   (SimMsgAcct: sent, delivered, dropped by reason, in flight).
 */
const SimMsgAcct *
sim_proxy_acct(const SimProxy *p)
{
    return &p->acct;
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
 * Returns: (transfer none): its settings (t1 and sctp_streams with their
 *   defaults applied).
 */
const SimProxyConfig *
sim_proxy_config(const SimProxy *p)
{
    return &p->cfg;
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

/**
 * sim_proxy_record_route_host:
 * @p: a proxy
 *
 * Returns: (transfer none): the host of its Record-Route (R16): the
 *   configured one (a farm's domain), else its own host.
 */
const char *
sim_proxy_record_route_host(const SimProxy *p)
{
    return p->rr_host;
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
    return sim_conntab_serves(p->tab, domain);
}

/**
 * sim_proxy_is_own_host:
 * @p: a proxy
 * @host: a URI host
 *
 * Returns: %TRUE when @host names this node: its host, its Record-Route
 *   host, a domain it serves (a Route entry it pops, a Record-Route entry
 *   a dialog skips, a Request-URI it does not forward), or the host it
 *   claims (spoof_as: its Contact names it, so in-dialog requests sent
 *   to that Contact are its own).
 */
gboolean
sim_proxy_is_own_host(const SimProxy *p, const char *host)
{
    return sim_sip_host_equal(host, p->cfg.host) ||
           sim_sip_host_equal(host, p->rr_host) ||
           (p->cfg.spoof_as && sim_sip_host_equal(host, p->cfg.spoof_as)) ||
           sim_proxy_serves(p, host);
}

/**
 * sim_proxy_conntab:
 * @p: a proxy
 *
 * Returns: (transfer none): its connection and alias tables.
 */
SimConnTab *
sim_proxy_conntab(SimProxy *p)
{
    return p->tab;
}
