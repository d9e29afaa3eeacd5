/* SPDX-License-Identifier: MIT */
/*
 * The transport registry, node stacks and the connection helpers shared by
 * every transport: ids, state changes, upper-layer notification, idle
 * timeouts (one lazy timer per connection: activity only moves a timestamp,
 * the timer re-arms itself when it fires early) and memory accounting.
 */
#define G_LOG_DOMAIN "sim-transport"

#include "models/transport.h"

/* Every transport, in `sipreuse list` order; NULL-terminated. */
static const SimTransportOps *const transport_registry[] = {
    &sim_transport_udp,
    &sim_transport_tcp,
    &sim_transport_sctp,
    &sim_transport_tls,
    &sim_transport_tls_sctp,
    NULL,
};

static const char *const transport_kind_names[SIM_TRANSPORT_N] = {
    [SIM_TRANSPORT_UDP] = "UDP",
    [SIM_TRANSPORT_TCP] = "TCP",
    [SIM_TRANSPORT_SCTP] = "SCTP",
    [SIM_TRANSPORT_TLS] = "TLS",
    [SIM_TRANSPORT_TLS_SCTP] = "TLS-SCTP",
};

static const char *const close_reason_names[SIM_CLOSE_N_REASONS] = {
    [SIM_CLOSE_LOCAL] = "local",
    [SIM_CLOSE_PEER] = "peer",
    [SIM_CLOSE_RESET] = "reset",
    [SIM_CLOSE_REFUSED] = "refused",
    [SIM_CLOSE_TIMEOUT] = "timeout",
    [SIM_CLOSE_IDLE] = "idle",
    [SIM_CLOSE_TLS_FAILED] = "tls-failed",
    [SIM_CLOSE_HOST_DOWN] = "host-down",
};

G_DEFINE_QUARK(sim-transport-error-quark, sim_transport_error)

static void
transport_check_ops(const SimTransportOps *ops)
{
    if (!ops->name || !ops->description || !ops->listen || !ops->connect ||
        !ops->send || !ops->close)
        g_error("transport '%s' lacks a required member",
                ops->name ? ops->name : "?");
}

/**
 * sim_transport_all:
 *
 * Returns: (transfer none): every registered transport, NULL-terminated;
 *   each table was checked for its required members.
 */
const SimTransportOps *const *
sim_transport_all(void)
{
    for (guint i = 0; transport_registry[i]; i++)
        transport_check_ops(transport_registry[i]);
    return transport_registry;
}

/**
 * sim_transport_by_name:
 * @name: "udp", "tcp", "sctp", "tls" or "tls-sctp"
 * @error: return location for a %SIM_TRANSPORT_ERROR listing valid names
 *
 * Returns: (transfer none) (nullable): the transport, or %NULL.
 */
const SimTransportOps *
sim_transport_by_name(const char *name, GError **error)
{
    const SimTransportOps *const *all = sim_transport_all();
    g_autoptr(GString) names = g_string_new(NULL);
    for (guint i = 0; all[i]; i++) {
        if (g_str_equal(all[i]->name, name))
            return all[i];
        g_string_append_printf(names, "%s%s", i ? ", " : "", all[i]->name);
    }
    g_set_error(error, sim_transport_error_quark(), 0,
                "unknown transport '%s' (valid: %s)", name, names->str);
    return NULL;
}

/**
 * sim_transport_by_kind:
 * @kind: a Via transport
 *
 * Returns: (transfer none) (nullable): its implementation, if registered.
 */
const SimTransportOps *
sim_transport_by_kind(SimTransportKind kind)
{
    const SimTransportOps *const *all = sim_transport_all();
    for (guint i = 0; all[i]; i++)
        if (all[i]->kind == kind)
            return all[i];
    return NULL;
}

/**
 * sim_transport_kind_name:
 * @kind: a Via transport
 *
 * Returns: its Via token ("TLS", "TLS-SCTP", ...).
 */
const char *
sim_transport_kind_name(SimTransportKind kind)
{
    g_return_val_if_fail(kind < SIM_TRANSPORT_N, "?");
    return transport_kind_names[kind];
}

/**
 * sim_transport_kind_reliable:
 * @kind: a Via transport
 *
 * Returns: %TRUE for connection-oriented transports (all but UDP).
 */
gboolean
sim_transport_kind_reliable(SimTransportKind kind)
{
    return kind != SIM_TRANSPORT_UDP;
}

/**
 * sim_close_reason_name:
 * @reason: a close reason
 *
 * Returns: a short name for statistics ("refused", "tls-failed", ...).
 */
const char *
sim_close_reason_name(SimCloseReason reason)
{
    g_return_val_if_fail(reason < SIM_CLOSE_N_REASONS, "?");
    return close_reason_names[reason];
}

/**
 * sim_stack_config_set_tls_cost:
 * @cfg: transport settings
 * @full: CPU per full handshake
 * @resumed: CPU per resumed handshake
 *
 * Sets the same handshake CPU for both TLS versions and both roles, with
 * or without a client certificate (a test's single figure).
 */
void
sim_stack_config_set_tls_cost(SimStackConfig *cfg, SimTime full,
                              SimTime resumed)
{
    for (guint v = 0; v < SIM_TLS_N_VERSIONS; v++)
        for (guint r = 0; r < SIM_TLS_N_ROLES; r++)
            cfg->tls_cost[v][r] = (SimTlsCost){ full, resumed, full, resumed };
}

/**
 * sim_stack_new:
 * @ctx: the run
 * @net: the network; @ip must be one of its interfaces
 * @node: (transfer none): the node's name; must outlive the stack
 * @ip: the stack's address
 * @cpu: (nullable) (transfer none): the node's CPU
 * @cfg: transport settings (copied)
 *
 * Returns: (transfer full): a stack with no listeners.
 */
SimStack *
sim_stack_new(SimCtx *ctx, SimNet *net, const char *node, SimIp ip,
              SimCpu *cpu, const SimStackConfig *cfg)
{
    SimStack *st = g_new0(SimStack, 1);
    st->ctx = ctx;
    st->net = net;
    st->node = node;
    st->ip = ip;
    st->cpu = cpu;
    st->cfg = *cfg;
    st->up = TRUE;
    sim_ctx_rng_init(ctx, &st->rng, "stack", node);
    if (ctx->stats) {
        g_autofree char *name = g_strdup_printf("node.%s.memory.conn_bytes",
                                                node);
        st->mem_gauge = sim_stats_gauge(ctx->stats, "memory.conn_bytes");
        st->node_mem_gauge = sim_stats_gauge(ctx->stats, name);
    }
    return st;
}

/**
 * sim_stack_free:
 * @st: (nullable): a stack
 *
 * Frees the stack's transport state.  Free the event queue first.
 */
void
sim_stack_free(SimStack *st)
{
    if (!st)
        return;
    for (guint k = 0; k < SIM_TRANSPORT_N; k++)
        if (st->priv[k] && st->priv_free[k])
            st->priv_free[k](st->priv[k]);
    g_free(st);
}

/**
 * sim_stack_set_accept:
 * @st: a stack
 * @func: receives inbound connections once open
 * @user: its argument
 *
 * Sets the stack's accept handler.
 */
void
sim_stack_set_accept(SimStack *st, SimAcceptFunc func, gpointer user)
{
    st->accept = func;
    st->accept_user = user;
}

/**
 * sim_stack_set_admit:
 * @st: a stack
 * @func: (nullable): says whether the node takes new connections now
 * @user: its argument
 *
 * Sets the stack's admission check: while @func returns %FALSE its
 * listeners ignore SYNs and SCTP INITs, as a full accept queue does
 * (Linux with tcp_abort_on_overflow = 0): the opener retransmits them.
 */
void
sim_stack_set_admit(SimStack *st, SimAdmitFunc func, gpointer user)
{
    st->admit = func;
    st->admit_user = user;
    if (func && !st->syn_dropped && st->ctx->stats)
        st->syn_dropped =
            sim_stats_counter(st->ctx->stats, "overload.syn_dropped");
}

/**
 * sim_stack_admits:
 * @st: a stack
 *
 * A listener asks this before answering a connection attempt; a refusal
 * is counted in "overload.syn_dropped".
 *
 * Returns: %TRUE if the node takes a new connection now.
 */
gboolean
sim_stack_admits(SimStack *st)
{
    if (!st->admit || st->admit(st->admit_user))
        return TRUE;
    if (st->syn_dropped)
        sim_counter_add(st->syn_dropped, 1);
    return FALSE;
}

/**
 * sim_stack_crash:
 * @st: a stack
 *
 * Drops every connection and listener of every transport at once (node
 * crash); connections report %SIM_CLOSE_HOST_DOWN.
 */
void
sim_stack_crash(SimStack *st)
{
    const SimTransportOps *const *all = sim_transport_all();
    for (guint i = 0; all[i]; i++)
        if (all[i]->crash)
            all[i]->crash(st);
}

/**
 * sim_conn_init:
 * @c: the common part of a new connection
 * @ops: its transport
 * @st: its stack
 * @initiator: %TRUE if this side opens it
 *
 * Initialises the common state: id, local IP, state CONNECTING.
 */
void
sim_conn_init(SimConn *c, const SimTransportOps *ops, SimStack *st,
              gboolean initiator)
{
    *c = (SimConn){ 0 };
    c->ops = ops;
    c->stack = st;
    c->id = ++st->ctx->next_conn_id;
    c->local.ip = st->ip;
    c->local.transport = ops->kind;
    c->remote.transport = ops->kind;
    c->initiator = initiator;
    c->streams = 1;
    c->state = SIM_CONNS_CONNECTING;
    c->last_activity = sim_ctx_now(st->ctx);
}

static void conn_idle_fire(SimEvq *q, gpointer data);

static void
conn_idle_arm(SimConn *c)
{
    if (c->idle_timer || !c->idle_timeout || c->state != SIM_CONNS_OPEN)
        return;
    /* A timeout set (or shortened) after the connection has been idle
     * longer than it expires now, not in the past. */
    SimTime when = MAX(c->last_activity + c->idle_timeout,
                       sim_evq_now(c->stack->ctx->evq));
    c->idle_timer = sim_evq_at(c->stack->ctx->evq, when, conn_idle_fire, c,
                               NULL);
}

static void
conn_idle_fire(SimEvq *q, gpointer data)
{
    SimConn *c = data;
    c->idle_timer = 0;
    if (c->state != SIM_CONNS_OPEN || !c->idle_timeout)
        return;
    if (sim_evq_now(q) - c->last_activity < c->idle_timeout) {
        conn_idle_arm(c);
        return;
    }
    c->idle_expired = TRUE;
    if (c->cb && c->cb->idle)
        c->cb->idle(c, c->user);
    else
        sim_conn_close(c);
}

/**
 * sim_conn_touch:
 * @c: a connection
 *
 * Records activity (restarts the idle timeout lazily).
 */
void
sim_conn_touch(SimConn *c)
{
    c->last_activity = sim_ctx_now(c->stack->ctx);
    conn_idle_arm(c);
}

/**
 * sim_conn_set_idle_timeout:
 * @c: a connection
 * @timeout: close after this long without activity; 0 = never
 *
 * Sets the idle timeout, counted from the last activity.
 */
void
sim_conn_set_idle_timeout(SimConn *c, SimTime timeout)
{
    c->idle_timeout = timeout;
    if (!timeout && c->idle_timer) {
        sim_evq_cancel(c->stack->ctx->evq, c->idle_timer);
        c->idle_timer = 0;
    }
    conn_idle_arm(c);
}

/**
 * sim_conn_notify_connected:
 * @c: a connection that just opened
 *
 * Moves it to OPEN and tells the upper layer: the connected callback for
 * the opener, the stack's accept handler for the acceptor.
 */
void
sim_conn_notify_connected(SimConn *c)
{
    c->state = SIM_CONNS_OPEN;
    sim_conn_touch(c);
    if (c->initiator) {
        if (c->cb && c->cb->connected)
            c->cb->connected(c, c->user);
    } else if (c->stack->accept) {
        c->stack->accept(c->stack, c, c->stack->accept_user);
    }
}

/**
 * sim_conn_notify_message:
 * @c: a connection
 * @stream: the stream it arrived on (0 unless SCTP)
 * @m: (transfer none): the message
 *
 * Hands a whole message to the upper layer.
 */
void
sim_conn_notify_message(SimConn *c, guint stream, SimMsg *m)
{
    sim_conn_touch(c);
    if (c->cb && c->cb->message)
        c->cb->message(c, stream, m, c->user);
    else
        sim_msg_acct_drop(m, SIM_DROP_CONN_CLOSED);
}

/**
 * sim_conn_notify_closed:
 * @c: a connection
 * @reason: why it ended
 *
 * Moves it to CLOSED and tells the upper layer once.  A local close caused
 * by the idle timeout is reported as %SIM_CLOSE_IDLE.  The transport frees
 * @c afterwards, from a later event.
 */
void
sim_conn_notify_closed(SimConn *c, SimCloseReason reason)
{
    c->state = SIM_CONNS_CLOSED;
    if (c->idle_timer) {
        sim_evq_cancel(c->stack->ctx->evq, c->idle_timer);
        c->idle_timer = 0;
    }
    if (c->closed_notified)
        return;
    c->closed_notified = TRUE;
    if (reason == SIM_CLOSE_LOCAL && c->idle_expired)
        reason = SIM_CLOSE_IDLE;
    if (c->cb && c->cb->closed)
        c->cb->closed(c, reason, c->user);
}

/**
 * sim_conn_set_mem:
 * @c: a connection
 * @bytes: modelled memory this endpoint now holds
 *
 * Updates the connection's memory, the run's "memory.conn_bytes" gauge and
 * its node's "node.<name>.memory.conn_bytes" gauge.
 */
void
sim_conn_set_mem(SimConn *c, guint32 bytes)
{
    SimStack *st = c->stack;
    gint64 delta = (gint64)bytes - (gint64)c->mem_bytes;
    if (st->mem_gauge)
        sim_gauge_add(st->mem_gauge, sim_ctx_now(st->ctx), delta);
    if (st->node_mem_gauge)
        sim_gauge_add(st->node_mem_gauge, sim_ctx_now(st->ctx), delta);
    c->mem_bytes = bytes;
}

/**
 * sim_conn_clear:
 * @c: a connection about to be freed
 *
 * Releases the common state: the idle timer and the accounted memory.
 * (The peer identity belongs to the TLS transport, which releases it.)
 */
void
sim_conn_clear(SimConn *c)
{
    if (c->idle_timer) {
        sim_evq_cancel(c->stack->ctx->evq, c->idle_timer);
        c->idle_timer = 0;
    }
    if (c->mem_bytes)
        sim_conn_set_mem(c, 0);
}

/* ---- message accounting ------------------------------------------------ */

static const char *const drop_reason_names[SIM_DROP_N_REASONS] = {
    [SIM_DROP_UNKNOWN] = "unknown",
    [SIM_DROP_LOSS] = "loss",
    [SIM_DROP_HOST_DOWN] = "host-down",
    [SIM_DROP_NO_ROUTE] = "no-route",
    [SIM_DROP_NO_LISTENER] = "no-listener",
    [SIM_DROP_CONN_CLOSED] = "conn-closed",
    [SIM_DROP_RESET] = "reset",
    [SIM_DROP_REFUSED] = "refused",
    [SIM_DROP_TIMEOUT] = "timeout",
    [SIM_DROP_ABORTED] = "aborted",
    [SIM_DROP_TLS_FAILED] = "tls-failed",
    [SIM_DROP_OVERLOAD] = "overload",
};

/**
 * sim_drop_reason_name:
 * @reason: a drop reason
 *
 * Returns: its name in statistics ("sip.dropped.<name>").
 */
const char *
sim_drop_reason_name(SimDropReason reason)
{
    g_return_val_if_fail(reason < SIM_DROP_N_REASONS, "?");
    return drop_reason_names[reason];
}

/**
 * sim_drop_reason_of_close:
 * @reason: why a connection ended
 *
 * Returns: why a message still on it when it ended is lost.
 */
SimDropReason
sim_drop_reason_of_close(SimCloseReason reason)
{
    switch (reason) {
    case SIM_CLOSE_RESET: return SIM_DROP_RESET;
    case SIM_CLOSE_REFUSED: return SIM_DROP_REFUSED;
    case SIM_CLOSE_TIMEOUT: return SIM_DROP_TIMEOUT;
    case SIM_CLOSE_TLS_FAILED: return SIM_DROP_TLS_FAILED;
    case SIM_CLOSE_HOST_DOWN: return SIM_DROP_HOST_DOWN;
    case SIM_CLOSE_LOCAL:
    case SIM_CLOSE_IDLE: return SIM_DROP_ABORTED;
    case SIM_CLOSE_PEER:
    default: return SIM_DROP_CONN_CLOSED;
    }
}

static void
msg_open_link(SimMsg *m)
{
    SimMsgAcct *a = m->acct;
    m->open_prev = NULL;
    m->open_next = a->open_head;
    if (a->open_head)
        a->open_head->open_prev = m;
    a->open_head = m;
}

static void
msg_open_unlink(SimMsg *m)
{
    SimMsgAcct *a = m->acct;
    if (m->open_prev)
        m->open_prev->open_next = m->open_next;
    else
        a->open_head = m->open_next;
    if (m->open_next)
        m->open_next->open_prev = m->open_prev;
    m->open_prev = m->open_next = NULL;
}

/**
 * sim_msg_track_clear:
 * @m: a message being made (or copied)
 *
 * Clears its accounting: no account, nothing carried, no open send.
 */
void
sim_msg_track_clear(SimMsg *m)
{
    m->acct = NULL;
    m->carried = NULL;
    m->open = 0;
    m->last_drop = SIM_DROP_UNKNOWN;
    m->drop_undoable = FALSE;
    m->open_prev = m->open_next = NULL;
}

/**
 * sim_msg_acct_send:
 * @m: a message about to be handed to a transport
 * @acct: the sending node's account
 *
 * Opens one send of @m; it must end in sim_msg_acct_deliver() or
 * sim_msg_acct_drop(), or be in flight when the run ends.
 */
void
sim_msg_acct_send(SimMsg *m, SimMsgAcct *acct)
{
    /* A message changes hands only between sends. */
    g_return_if_fail(m->open == 0 || m->acct == acct);
    if (m->open == 0) {
        m->acct = acct;
        msg_open_link(m);
    }
    m->open++;
    acct->sent++;
}

/* Closes one open send of @m (the last one unlinks it). */
static void
msg_close_send(SimMsg *m)
{
    if (--m->open == 0)
        msg_open_unlink(m);
}

/**
 * sim_msg_acct_deliver:
 * @m: a message the upper layer at the far end received
 *
 * One send of @m was delivered.  A copy counted dropped earlier (its
 * connection ended while it was still in the network, which delivered it
 * after all) moves from that reason to delivered; a send delivered a
 * second time counts as a duplicate, outside the law.
 */
void
sim_msg_acct_deliver(SimMsg *m)
{
    SimMsgAcct *a = m->acct;
    if (!a)
        return;
    if (m->open) {
        msg_close_send(m);
    } else if (m->drop_undoable && a->dropped[m->last_drop] > 0) {
        a->dropped[m->last_drop]--;
        m->drop_undoable = FALSE;
    } else {
        a->duplicates++;
        return;
    }
    a->delivered++;
}

/**
 * sim_msg_acct_drop:
 * @m: a message a transport gives up on
 * @reason: why
 *
 * One open send of @m (or of the message it carries, for a TLS record) is
 * lost for @reason.  A message with no open send (already delivered, or
 * not a tracked one) is left alone.
 */
void
sim_msg_acct_drop(SimMsg *m, SimDropReason reason)
{
    for (; m; m = m->carried) {
        if (!m->acct || !m->open)
            continue;
        m->acct->dropped[reason]++;
        m->last_drop = reason;
        m->drop_undoable = TRUE;
        msg_close_send(m);
        return;
    }
}

/**
 * sim_msg_acct_lost:
 * @m: a message freed with sends open
 *
 * Counts them as dropped for no named reason (a model bug the laws
 * report), so that no send is left open on a freed message.
 */
void
sim_msg_acct_lost(SimMsg *m)
{
    while (m->open) {
        m->acct->dropped[SIM_DROP_UNKNOWN]++;
        msg_close_send(m);
    }
}

/**
 * sim_msg_acct_dropped:
 * @acct: an account
 *
 * Returns: sends dropped, all reasons.
 */
guint64
sim_msg_acct_dropped(const SimMsgAcct *acct)
{
    guint64 n = 0;
    for (guint i = 0; i < SIM_DROP_N_REASONS; i++)
        n += acct->dropped[i];
    return n;
}

/**
 * sim_msg_acct_in_flight:
 * @acct: an account
 *
 * Walks the messages with open sends (not the counters), so that the law
 * sent = delivered + dropped + in flight compares two records.
 *
 * Returns: sends still open.
 */
guint64
sim_msg_acct_in_flight(const SimMsgAcct *acct)
{
    guint64 n = 0;
    for (const SimMsg *m = acct->open_head; m; m = m->open_next)
        n += m->open;
    return n;
}

/**
 * sim_msg_acct_detach:
 * @acct: an account about to be freed
 *
 * Forgets the sends still open (the run is over and its figures are
 * taken): messages still held elsewhere no longer refer to @acct.
 */
void
sim_msg_acct_detach(SimMsgAcct *acct)
{
    while (acct->open_head) {
        SimMsg *m = acct->open_head;
        acct->open_head = m->open_next;
        m->open = 0;
        m->acct = NULL;
        m->open_prev = m->open_next = NULL;
    }
}
