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
    /* Connection records (SimProxyConn *) in creation order, NULL where
     * one was removed (pc->tab_index is its slot); compacted, in order,
     * when the holes outnumber the records. */
    GPtrArray *conns;
    guint n_holes;
    /* Records by far-end address (ct_addr_key of key.ip, key.port): a
     * GPtrArray of them in creation order. */
    GHashTable *by_addr;
    /* Alias rows (SimAliasRow *) in insertion order. */
    GPtrArray *rows;
    /* Rows by tuple (ct_tuple_key): a GPtrArray of them in insertion
     * order. */
    GHashTable *rows_by_tuple;
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

/* Index keys: integers packed into a pointer (64 bits). */
G_STATIC_ASSERT(sizeof(gpointer) >= sizeof(guint64));

static gpointer
ct_addr_key(SimIp ip, guint16 port)
{
    return GSIZE_TO_POINTER(((gsize)ip << 16) | port);
}

static gpointer
ct_tuple_key(const SimTuple *t)
{
    return GSIZE_TO_POINTER(((gsize)t->ip << 24) | ((gsize)t->port << 8) |
                            (gsize)t->transport);
}

static guint
ct_key_hash(gconstpointer key)
{
    guint64 v = GPOINTER_TO_SIZE(key);
    v ^= v >> 29;
    v *= G_GUINT64_CONSTANT(0xbf58476d1ce4e5b9);
    return (guint)(v ^ (v >> 32));
}

/* Appends @item to the list of @key in @index. */
static void
ct_index_add(GHashTable *index, gpointer key, gpointer item)
{
    GPtrArray *list = g_hash_table_lookup(index, key);
    if (!list) {
        list = g_ptr_array_new();
        g_hash_table_insert(index, key, list);
    }
    g_ptr_array_add(list, item);
}

/* Takes @item out of the list of @key in @index, keeping the order. */
static void
ct_index_remove(GHashTable *index, gpointer key, gpointer item)
{
    GPtrArray *list = g_hash_table_lookup(index, key);
    if (!list)
        return;
    g_ptr_array_remove(list, item);
    if (!list->len)
        g_hash_table_remove(index, key);
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
    t->by_addr = g_hash_table_new_full(ct_key_hash, g_direct_equal, NULL,
                                       (GDestroyNotify)g_ptr_array_unref);
    t->rows = g_ptr_array_new_with_free_func(
        (GDestroyNotify)sim_conntab_row_free);
    t->rows_by_tuple = g_hash_table_new_full(
        ct_key_hash, g_direct_equal, NULL, (GDestroyNotify)g_ptr_array_unref);
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
    g_hash_table_unref(t->rows_by_tuple);
    g_ptr_array_free(t->rows, TRUE);
    g_hash_table_unref(t->by_addr);
    for (guint i = 0; i < t->conns->len; i++) {
        SimProxyConn *pc = g_ptr_array_index(t->conns, i);
        if (!pc)
            continue;
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
 * @key: its far-end tuple (R26), fixed for its life
 *
 * Records @c last in creation order; the caller sets (for opened ones)
 * aus and target_host, and its callbacks.
 *
 * Returns: (transfer none): the record, holding the table's reference.
 */
SimProxyConn *
sim_conntab_add(SimConnTab *t, SimConn *c, gboolean initiator,
                const SimTuple *key)
{
    SimProxyConn *pc = g_new0(SimProxyConn, 1);
    pc->conn = c;
    pc->tab = t;
    pc->initiator = initiator;
    pc->key = *key;
    pc->refcount = 1;
    pc->tab_index = t->conns->len;
    g_ptr_array_add(t->conns, pc);
    ct_index_add(t->by_addr, ct_addr_key(key->ip, key->port), pc);
    return pc;
}

/* Closes the holes of the record array, keeping the order. */
static void
ct_compact(SimConnTab *t)
{
    guint k = 0;
    for (guint i = 0; i < t->conns->len; i++) {
        SimProxyConn *pc = g_ptr_array_index(t->conns, i);
        if (!pc)
            continue;
        pc->tab_index = k;
        g_ptr_array_index(t->conns, k++) = pc;
    }
    g_ptr_array_set_size(t->conns, k);
    t->n_holes = 0;
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
    if (pc->tab_index >= t->conns->len ||
        g_ptr_array_index(t->conns, pc->tab_index) != pc)
        return;
    g_ptr_array_index(t->conns, pc->tab_index) = NULL;
    pc->tab_index = G_MAXUINT;
    t->n_holes++;
    ct_index_remove(t->by_addr, ct_addr_key(pc->key.ip, pc->key.port), pc);
    if (t->n_holes > 16 && t->n_holes > t->conns->len / 2)
        ct_compact(t);
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
    return t->conns->len - t->n_holes;
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
    g_return_val_if_fail(i < sim_conntab_n_conns(t), NULL);
    if (t->n_holes)
        ct_compact((SimConnTab *)t);
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
    for (guint i = 0; i < t->conns->len; i++)
        if (g_ptr_array_index(t->conns, i))
            return g_ptr_array_index(t->conns, i);
    return NULL;
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
    if (pc->tab != t || pc->tab_index >= t->conns->len)
        return NULL;
    for (guint i = pc->tab_index + 1; i < t->conns->len; i++)
        if (g_ptr_array_index(t->conns, i))
            return g_ptr_array_index(t->conns, i);
    return NULL;
}

/**
 * sim_conntab_at_addr:
 * @t: a table
 * @ip: a far-end address
 * @port: a far-end port
 * @n: (out): how many
 *
 * The records whose key has @ip and @port (any transport), in creation
 * order: what a walk from sim_conntab_first() would meet of them, in
 * O(1).  Valid until the table next changes.
 *
 * Returns: (transfer none) (array length=n) (nullable): the records, or
 *   %NULL when there are none.
 */
SimProxyConn *const *
sim_conntab_at_addr(SimConnTab *t, SimIp ip, guint16 port, guint *n)
{
    GPtrArray *list = g_hash_table_lookup(t->by_addr, ct_addr_key(ip, port));
    *n = list ? list->len : 0;
    return list ? (SimProxyConn *const *)list->pdata : NULL;
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

/* Takes @row out of the rows, its tuple's list and its connection's
 * count, and frees it. */
static void
ct_row_remove(SimConnTab *t, SimAliasRow *row)
{
    ct_index_remove(t->rows_by_tuple, ct_tuple_key(&row->tuple), row);
    row->pc->n_rows--;
    g_ptr_array_remove(t->rows, row);
}

/* Without a multimap, the tuple's older rows (other connections) go: the
 * newer alias replaces them (`reuse`: one row per tuple), latest first. */
static void
ct_replace_rows(SimConnTab *t, const SimAliasRow *row)
{
    GPtrArray *list = g_hash_table_lookup(t->rows_by_tuple,
                                          ct_tuple_key(&row->tuple));
    for (guint i = list ? list->len : 0; i-- > 0;) {
        SimAliasRow *r = g_ptr_array_index(list, i);
        if (r->pc == row->pc || !ct_tuple_equal(&r->tuple, &row->tuple))
            continue;
        SimProxyConn *old = r->pc;
        gboolean last = list->len == 1;
        ct_row_remove(t, r);
        if (!old->n_rows) {
            old->aliased = FALSE;
            sim_conntab_update_idle(t, old);
        }
        if (last)
            break;
    }
}

static gboolean
ct_row_exists(SimConnTab *t, const SimAliasRow *row)
{
    guint n;
    SimAliasRow *const *rows = sim_conntab_rows_at(t, &row->tuple, &n);
    for (guint i = 0; i < n; i++)
        if (rows[i]->pc == row->pc &&
            ct_tuple_equal(&rows[i]->tuple, &row->tuple))
            return TRUE;
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
    ct_index_add(t->rows_by_tuple, ct_tuple_key(&row->tuple), row);
    row->pc->n_rows++;
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
    for (guint i = t->rows->len; pc->n_rows && i-- > 0;) {
        SimAliasRow *row = g_ptr_array_index(t->rows, i);
        if (row->pc == pc)
            ct_row_remove(t, row);
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
    for (guint i = 0; i < t->rows->len; i++)
        ((SimAliasRow *)g_ptr_array_index(t->rows, i))->pc->n_rows = 0;
    g_hash_table_remove_all(t->rows_by_tuple);
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

/**
 * sim_conntab_rows_at:
 * @t: a table
 * @tuple: a tuple
 * @n: (out): how many
 *
 * The rows for exactly @tuple, in insertion order (what a walk over
 * sim_conntab_row() would meet of them), in O(1).  Valid until the rows
 * next change.
 *
 * Returns: (transfer none) (array length=n) (nullable): the rows, or %NULL
 *   when there are none.
 */
SimAliasRow *const *
sim_conntab_rows_at(SimConnTab *t, const SimTuple *tuple, guint *n)
{
    GPtrArray *list = g_hash_table_lookup(t->rows_by_tuple,
                                          ct_tuple_key(tuple));
    *n = list ? list->len : 0;
    return list ? (SimAliasRow *const *)list->pdata : NULL;
}
