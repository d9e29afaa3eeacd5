/* SPDX-License-Identifier: MIT */
/*
 * The connection table (R26) and the alias multimap (R11, R22) of one SIP
 * node, and the life of its connection records: idle timeouts (an
 * aliased connection idles out no sooner than 64*T1), retirement of a replaced row (`reuse`),
 * the graceful TLS close of R20 (RFC 5923 8.3) that lets the exchanges
 * still on a connection finish first, and the close of a per-transaction
 * connection once unused.  Invariants: rows are purged when their
 * connection closes or drains (R18); records and rows keep creation and
 * insertion order, so no hash-table order reaches a strategy's choice.
 */
#define G_LOG_DOMAIN "sim-conntab"

#include "models/sip/conntab.h"

#include "models/sip/message.h"

struct _SimConnTab {
    SimCtx *ctx;
    SimConnTabConfig cfg;
    SimConnTabHooks hooks;
    /* Connection records (SimProxyConn *) in creation order. */
    GPtrArray *conns;
    /* Alias rows (SimAliasRow *) in insertion order. */
    GPtrArray *rows;
    /* The strategy's private state. */
    gpointer priv;
    /* Counted into when the run keeps no statistics. */
    SimCounter dummy;
};

static SimCounter *
ct_counter(SimConnTab *t, const char *name)
{
    return t->ctx->stats ? sim_stats_counter(t->ctx->stats, name)
                         : &t->dummy;
}

/* TLS and TLS-SCTP: the transports whose closes drain under R20. */
static gboolean
ct_kind_is_tls(SimTransportKind kind)
{
    return kind == SIM_TRANSPORT_TLS || kind == SIM_TRANSPORT_TLS_SCTP;
}

static gboolean
ct_tuple_equal(const SimTuple *a, const SimTuple *b)
{
    return a->ip == b->ip && a->port == b->port &&
           a->transport == b->transport;
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */

/**
 * sim_conntab_new:
 * @ctx: the run
 * @cfg: the node's settings (copied; the pointers in it are borrowed)
 * @hooks: what the table asks of its node (copied)
 *
 * Returns: (transfer full): an empty table.
 */
SimConnTab *
sim_conntab_new(SimCtx *ctx, const SimConnTabConfig *cfg,
                const SimConnTabHooks *hooks)
{
    g_return_val_if_fail(hooks->connect_toward, NULL);
    SimConnTab *t = g_new0(SimConnTab, 1);
    t->ctx = ctx;
    t->cfg = *cfg;
    t->hooks = *hooks;
    t->conns = g_ptr_array_new();
    t->rows = g_ptr_array_new_with_free_func(
        (GDestroyNotify)sim_conntab_row_free);
    return t;
}

/**
 * sim_conntab_free:
 * @t: (nullable): a table
 *
 * Frees the rows and drops the table's reference on every record; the
 * transport connections still open lose their callbacks (their stack
 * frees them).  Free the event queue first.
 */
void
sim_conntab_free(SimConnTab *t)
{
    if (!t)
        return;
    g_ptr_array_free(t->rows, TRUE);
    for (guint i = 0; i < t->conns->len; i++) {
        SimProxyConn *pc = g_ptr_array_index(t->conns, i);
        if (pc->conn)
            sim_conn_set_callbacks(pc->conn, NULL, NULL);
        pc->conn = NULL;
        sim_conntab_conn_unref(pc);
    }
    g_ptr_array_free(t->conns, TRUE);
    g_free(t);
}

/* ------------------------------------------------------------------ */
/* The node                                                            */

/**
 * sim_conntab_ctx:
 * @t: a table
 *
 * Returns: (transfer none): its run.
 */
SimCtx *
sim_conntab_ctx(SimConnTab *t)
{
    return t->ctx;
}

/**
 * sim_conntab_user:
 * @t: a table
 *
 * Returns: (transfer none): the hooks' argument (the node owning @t).
 */
gpointer
sim_conntab_user(SimConnTab *t)
{
    return t->hooks.user;
}

/**
 * sim_conntab_kind:
 * @t: a table
 *
 * Returns: the Via transport of the node's SIP traffic.
 */
SimTransportKind
sim_conntab_kind(const SimConnTab *t)
{
    return t->cfg.kind;
}

/**
 * sim_conntab_resolver:
 * @t: a table
 *
 * Returns: (transfer none): the node's RFC 3263 resolver.
 */
SimResolver *
sim_conntab_resolver(SimConnTab *t)
{
    return t->cfg.resolver;
}

/**
 * sim_conntab_idle_timeout:
 * @t: a table
 *
 * Returns: the node's connection idle timeout (0: never).
 */
SimTime
sim_conntab_idle_timeout(const SimConnTab *t)
{
    return t->cfg.idle_timeout;
}

/**
 * sim_conntab_idle_timeout_aliased:
 * @t: a table
 *
 * The idle timeout of a connection an alias was sent or honoured on: the
 * node's, but never under the longest a transaction lasts (64*T1, R26:
 * kept at least as long as a transaction can live after its last
 * message); 0 (never) when the node's is never.
 *
 * Returns: the timeout.
 */
SimTime
sim_conntab_idle_timeout_aliased(const SimConnTab *t)
{
    if (!t->cfg.idle_timeout)
        return 0;
    return MAX(t->cfg.idle_timeout, t->cfg.txn_limit);
}

/**
 * sim_conntab_alias_insert_check:
 * @t: a table
 *
 * Returns: %TRUE when a row needs its sent-by host among the proven
 *   identities (SPEC D3).
 */
gboolean
sim_conntab_alias_insert_check(const SimConnTab *t)
{
    return t->cfg.alias_insert_check;
}

/**
 * sim_conntab_serves:
 * @t: a table
 * @domain: a domain
 *
 * Returns: %TRUE when @domain is one of the node's domains.
 */
gboolean
sim_conntab_serves(const SimConnTab *t, const char *domain)
{
    for (guint i = 0; t->cfg.domains && t->cfg.domains[i]; i++)
        if (sim_sip_host_equal(t->cfg.domains[i], domain))
            return TRUE;
    return FALSE;
}

/**
 * sim_conntab_connect_toward:
 * @t: a table
 * @domain: a peer domain
 *
 * Asks the node to resolve @domain by RFC 3263 and open a connection to
 * the first target unless one it opened is already there
 * (two-connection, R21).  The record joins the table when the node opens
 * the connection.
 */
void
sim_conntab_connect_toward(SimConnTab *t, const char *domain)
{
    t->hooks.connect_toward(t, domain, t->hooks.user);
}

/**
 * sim_conntab_strategy_priv:
 * @t: a table
 *
 * Returns: (transfer none): the strategy's private state.
 */
gpointer
sim_conntab_strategy_priv(SimConnTab *t)
{
    return t->priv;
}

/**
 * sim_conntab_set_strategy_priv:
 * @t: a table
 * @priv: the strategy's private state (freed by its finalize)
 *
 * Stores the strategy's state.
 */
void
sim_conntab_set_strategy_priv(SimConnTab *t, gpointer priv)
{
    t->priv = priv;
}

/* ------------------------------------------------------------------ */
/* Connection records                                                  */

/**
 * sim_conntab_conn_proves:
 * @pc: a connection record
 * @domain: a domain a request is for (its RFC 3263 input host)
 *
 * Whether @pc may carry a request for @domain as far as identity goes:
 * over TLS once authenticated, the peer's certificate proves @domain (RFC
 * 5922 7.2: exact, case-insensitive, no wildcards); while still being set
 * up, yes: the request waits for it and is routed again should the
 * identity proven then not cover @domain (sim_sip_txn_conn_up).  Other
 * transports prove nothing: the address alone decides.  Never a name
 * compared as a string.
 *
 * Returns: %TRUE if @pc may carry it.
 */
gboolean
sim_conntab_conn_proves(const SimProxyConn *pc, const char *domain)
{
    if (!ct_kind_is_tls(pc->key.transport) || !pc->up)
        return TRUE;
    return pc->conn && pc->conn->peer &&
           sim_peer_id_matches(pc->conn->peer, domain);
}

/**
 * sim_conntab_conn_usable:
 * @pc: a connection record
 *
 * Returns: %TRUE when @pc is one this node opened that still takes new
 *   requests: not closing, not retired, not bound to one transaction.
 */
gboolean
sim_conntab_conn_usable(const SimProxyConn *pc)
{
    return pc->initiator && !pc->closing && !pc->retired && !pc->per_txn &&
           pc->conn;
}

/**
 * sim_conntab_add:
 * @t: a table
 * @c: a transport connection the node opened or accepted (borrowed)
 * @initiator: %TRUE if the node opened it
 *
 * Records @c last in creation order; the caller sets its key (and, for
 * opened ones, aus and target_host) and its callbacks.
 *
 * Returns: (transfer none): the record, holding the table's reference.
 */
SimProxyConn *
sim_conntab_add(SimConnTab *t, SimConn *c, gboolean initiator)
{
    SimProxyConn *pc = g_new0(SimProxyConn, 1);
    pc->conn = c;
    pc->tab = t;
    pc->initiator = initiator;
    pc->refcount = 1;
    g_ptr_array_add(t->conns, pc);
    return pc;
}

/**
 * sim_conntab_remove:
 * @t: a table
 * @pc: one of its records, whose connection closed or failed
 *
 * Purges @pc's rows (R18), ends a drain in progress, marks it closing
 * without a connection and takes it out of the table.  The table's
 * reference passes to the caller, who drops it with
 * sim_conntab_conn_unref() once done with @pc.
 */
void
sim_conntab_remove(SimConnTab *t, SimProxyConn *pc)
{
    sim_conntab_purge_rows(t, pc);
    if (pc->drain_timer)
        sim_evq_cancel(t->ctx->evq, pc->drain_timer);
    pc->drain_timer = 0;
    pc->draining = FALSE;
    pc->closing = TRUE;
    pc->conn = NULL;
    g_ptr_array_remove(t->conns, pc);
}

/**
 * sim_conntab_n_conns:
 * @t: a table
 *
 * Returns: records in the table (opening, open or closing).
 */
guint
sim_conntab_n_conns(const SimConnTab *t)
{
    return t->conns->len;
}

/**
 * sim_conntab_conn:
 * @t: a table
 * @i: index below sim_conntab_n_conns()
 *
 * Returns: (transfer none): the record, in creation order.
 */
SimProxyConn *
sim_conntab_conn(const SimConnTab *t, guint i)
{
    g_return_val_if_fail(i < t->conns->len, NULL);
    return g_ptr_array_index(t->conns, i);
}

/**
 * sim_conntab_first:
 * @t: a table
 *
 * Returns: (transfer none) (nullable): its oldest record.
 */
SimProxyConn *
sim_conntab_first(SimConnTab *t)
{
    return t->conns->len ? g_ptr_array_index(t->conns, 0) : NULL;
}

/**
 * sim_conntab_next:
 * @t: a table
 * @pc: one of its records
 *
 * Returns: (transfer none) (nullable): the next one in creation order.
 */
SimProxyConn *
sim_conntab_next(SimConnTab *t, SimProxyConn *pc)
{
    guint i;
    if (!g_ptr_array_find(t->conns, pc, &i) || i + 1 >= t->conns->len)
        return NULL;
    return g_ptr_array_index(t->conns, i + 1);
}

/**
 * sim_conntab_conn_ref:
 * @pc: a connection record
 *
 * Returns: (transfer full): @pc, kept alive past its connection's close.
 */
SimProxyConn *
sim_conntab_conn_ref(SimProxyConn *pc)
{
    pc->refcount++;
    return pc;
}

/**
 * sim_conntab_conn_unref:
 * @pc: a connection record
 *
 * Drops a reference; the last one frees the record and the messages
 * still queued on it.
 */
void
sim_conntab_conn_unref(SimProxyConn *pc)
{
    if (--pc->refcount)
        return;
    g_assert_cmpuint(g_queue_get_length(&pc->waiters), ==, 0);
    g_queue_clear_full(&pc->pending, (GDestroyNotify)sim_sip_msg_unref);
    g_free(pc->aus);
    g_free(pc->target_host);
    g_free(pc);
}

/* ------------------------------------------------------------------ */
/* Connection life                                                     */

/**
 * sim_conntab_update_idle:
 * @t: a table
 * @pc: one of its records
 *
 * Gives @pc's open connection the idle timeout its state calls for: the
 * strategy's (through the idle_timeout hook; aliased ones no sooner than
 * 64*T1),
 * or for a retired one the node's, at the latest once no transaction can
 * use it any more (R26: 64*T1).
 */
void
sim_conntab_update_idle(SimConnTab *t, SimProxyConn *pc)
{
    SimTime idle = t->hooks.idle_timeout
                       ? t->hooks.idle_timeout(t, pc, t->hooks.user)
                       : t->cfg.idle_timeout;
    if (pc->retired)
        idle = t->cfg.idle_timeout ? t->cfg.idle_timeout : t->cfg.txn_limit;
    if (pc->conn && pc->up && idle != pc->conn->idle_timeout)
        sim_conn_set_idle_timeout(pc->conn, idle);
}

/* The end of an R20 drain (RFC 5923 8.3): nothing is left on @pc, or
 * its 64*T1 are over (@abandoned: what is left is abandoned).  The TLS
 * close_notify leaves now; what arrives after it is discarded (the TLS
 * connection is closed on this side), and the peer, once it has the alert,
 * starts no new transaction on the connection. */
static void
ct_drained(SimProxyConn *pc, gboolean abandoned)
{
    SimConnTab *t = pc->tab;
    if (pc->drain_timer)
        sim_evq_cancel(t->ctx->evq, pc->drain_timer);
    pc->drain_timer = 0;
    pc->draining = FALSE;
    if (abandoned)
        sim_counter_add(ct_counter(t, "sip.connections.drain_abandoned"), 1);
    if (pc->conn)
        sim_conn_close(pc->conn);
}

static void
ct_drain_expire(SimEvq *q, gpointer data)
{
    SimProxyConn *pc = data;
    pc->drain_timer = 0;
    ct_drained(pc, TRUE);
}

/**
 * sim_conntab_settle:
 * @pc: a record whose transactions, holds or queued sends just went down,
 *   or whose connection just opened
 *
 * Closes @pc when nothing keeps it any more: a draining one (R20) once no
 * transaction, INVITE exchange or send is left on it; one opened for one
 * transaction once no transaction holds it and its messages have left the
 * CPU (an ACK's transaction ends as it is handed over, before it is
 * sent).  One still connecting that took a request early (SCTP: it leaves
 * with COOKIE-ECHO) closes only once open, or the request would be
 * discarded with it.
 */
void
sim_conntab_settle(SimProxyConn *pc)
{
    if (pc->draining) {
        if (!pc->txns && !pc->holds && !pc->sends)
            ct_drained(pc, FALSE);
        return;
    }
    if (!pc->per_txn || pc->txns || pc->sends || !pc->conn || pc->closing)
        return;
    if (!pc->up && sim_conn_can_send(pc->conn))
        return;
    pc->closing = TRUE;
    sim_conn_close(pc->conn);
}

/**
 * sim_conntab_retire:
 * @t: a table
 * @pc: a connection the node opened
 *
 * A newer connection replaces @pc as its tuple's row: @pc carries no new
 * requests, keeps serving what is bound to it and closes once idle for the
 * node's idle timeout (64*T1 when that is "never").
 */
void
sim_conntab_retire(SimConnTab *t, SimProxyConn *pc)
{
    if (pc->retired)
        return;
    pc->retired = TRUE;
    sim_counter_add(ct_counter(t, "sip.connections.retired"), 1);
    sim_conntab_update_idle(t, pc);
}

/**
 * sim_conntab_reclaim:
 * @t: a table
 * @pc: one of its records
 *
 * Closes @pc to reclaim its resources (R18), as the idle timeout does.
 * Over TLS the close is graceful in the sense of R20 (RFC 5923 8.3): no
 * new transaction starts on @pc and its alias rows go at once, but the
 * transactions and INVITE exchanges still on it (either direction) may
 * finish; then the close_notify leaves, at most 64*T1 later (the rest
 * abandoned).  Other transports close at once.
 */
void
sim_conntab_reclaim(SimConnTab *t, SimProxyConn *pc)
{
    g_return_if_fail(pc->tab == t);
    if (!pc->conn || pc->closing)
        return;
    pc->closing = TRUE;
    if (!ct_kind_is_tls(t->cfg.kind) || !pc->up) {
        sim_conn_close(pc->conn);
        return;
    }
    pc->draining = TRUE;
    sim_conntab_purge_rows(t, pc);
    sim_counter_add(ct_counter(t, "sip.connections.drained"), 1);
    pc->drain_timer = sim_evq_after(t->ctx->evq, t->cfg.txn_limit,
                                    ct_drain_expire, pc, NULL);
    sim_conntab_settle(pc);
}

/**
 * sim_conntab_hold:
 * @pc: the record of the connection an INVITE this node serves came on
 *
 * Holds @pc for the INVITE exchange (until the ACK of its final response),
 * so that an R20 close waits for it.
 *
 * Returns: (transfer full): @pc, to be given to sim_conntab_release().
 */
SimProxyConn *
sim_conntab_hold(SimProxyConn *pc)
{
    pc->holds++;
    return sim_conntab_conn_ref(pc);
}

/**
 * sim_conntab_release:
 * @pc: (transfer full): a record from sim_conntab_hold()
 * @settle: %TRUE to let @pc close now if nothing else keeps it
 *   (sim_conntab_settle()); %FALSE while the node is down or being freed,
 *   when its connections are gone or going without a word
 *
 * Ends a hold.
 */
void
sim_conntab_release(SimProxyConn *pc, gboolean settle)
{
    pc->holds--;
    if (settle)
        sim_conntab_settle(pc);
    sim_conntab_conn_unref(pc);
}

/* ------------------------------------------------------------------ */
/* Alias rows                                                          */

/**
 * sim_conntab_row_new:
 * @pc: the accepted connection a request with ;alias came on
 *
 * Returns: (transfer full): an empty row pointing at @pc, for the
 *   strategy to fill.
 */
SimAliasRow *
sim_conntab_row_new(SimProxyConn *pc)
{
    SimAliasRow *row = g_new0(SimAliasRow, 1);
    row->pc = pc;
    return row;
}

/**
 * sim_conntab_row_free:
 * @row: a row not in a table
 *
 * Frees it, with its name and its reference on the identities.
 */
void
sim_conntab_row_free(SimAliasRow *row)
{
    g_clear_pointer(&row->ids, sim_peer_id_unref);
    g_free(row->name);
    g_free(row);
}

static gboolean
ct_conn_has_rows(SimConnTab *t, SimProxyConn *pc)
{
    for (guint i = 0; i < t->rows->len; i++)
        if (((SimAliasRow *)g_ptr_array_index(t->rows, i))->pc == pc)
            return TRUE;
    return FALSE;
}

/* Without a multimap, the tuple's older rows (other connections) go: the
 * newer alias replaces them (`reuse`: one row per tuple). */
static void
ct_replace_rows(SimConnTab *t, const SimAliasRow *row)
{
    for (guint i = t->rows->len; i-- > 0;) {
        SimAliasRow *r = g_ptr_array_index(t->rows, i);
        if (r->pc == row->pc || !ct_tuple_equal(&r->tuple, &row->tuple))
            continue;
        SimProxyConn *old = r->pc;
        g_ptr_array_remove_index(t->rows, i);
        if (!ct_conn_has_rows(t, old)) {
            old->aliased = FALSE;
            sim_conntab_update_idle(t, old);
        }
    }
}

static gboolean
ct_row_exists(SimConnTab *t, const SimAliasRow *row)
{
    for (guint i = 0; i < t->rows->len; i++) {
        const SimAliasRow *r = g_ptr_array_index(t->rows, i);
        if (r->pc == row->pc && ct_tuple_equal(&r->tuple, &row->tuple))
            return TRUE;
    }
    return FALSE;
}

/**
 * sim_conntab_row_add:
 * @t: a table
 * @row: (transfer full): a filled row
 * @replace: %TRUE: one row per tuple, @row replaces the tuple's rows of
 *   other connections (whose connections lose their alias once they have
 *   no row left); %FALSE: a multimap (R22)
 *
 * Adds @row last unless its connection already has a row for its tuple
 * (then @row is freed), marks the connection aliased and gives it the
 * strategy's idle timeout for aliased connections (idle_timeout hook).
 *
 * Returns: %TRUE when @row was added.
 */
gboolean
sim_conntab_row_add(SimConnTab *t, SimAliasRow *row, gboolean replace)
{
    if (ct_row_exists(t, row)) {
        sim_conntab_row_free(row);
        return FALSE;
    }
    if (replace)
        ct_replace_rows(t, row);
    g_ptr_array_add(t->rows, row);
    row->pc->aliased = TRUE;
    sim_conntab_update_idle(t, row->pc);
    return TRUE;
}

/**
 * sim_conntab_purge_rows:
 * @t: a table
 * @pc: one of its records
 *
 * Removes every row pointing at @pc (R18).
 */
void
sim_conntab_purge_rows(SimConnTab *t, SimProxyConn *pc)
{
    for (guint i = t->rows->len; i-- > 0;) {
        SimAliasRow *row = g_ptr_array_index(t->rows, i);
        if (row->pc == pc)
            g_ptr_array_remove_index(t->rows, i);
    }
    pc->aliased = FALSE;
}

/**
 * sim_conntab_clear_rows:
 * @t: a table
 *
 * Removes every row (the node crashed), leaving the records as they are.
 */
void
sim_conntab_clear_rows(SimConnTab *t)
{
    g_ptr_array_set_size(t->rows, 0);
}

/**
 * sim_conntab_n_rows:
 * @t: a table
 *
 * Returns: rows in its alias table.
 */
guint
sim_conntab_n_rows(const SimConnTab *t)
{
    return t->rows->len;
}

/**
 * sim_conntab_row:
 * @t: a table
 * @i: index below sim_conntab_n_rows()
 *
 * Returns: (transfer none): the row, in insertion order.
 */
const SimAliasRow *
sim_conntab_row(const SimConnTab *t, guint i)
{
    g_return_val_if_fail(i < t->rows->len, NULL);
    return g_ptr_array_index(t->rows, i);
}
