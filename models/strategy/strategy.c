/* SPDX-License-Identifier: MIT */
/*
 * The strategy registry (an explicit static const array, checked for
 * required members) and the look-ups the strategy files share: the
 * client-side test of R6 on connections this node opened, the server-side
 * test of R12 on alias rows (or the name-keyed look-up of the unsafe
 * NAIVE-NAME variant), and the TLS alias-row admission of R7-R11 with the
 * SPEC D3 insert-time check.  Identity comparison is RFC 5922 7.2 (exact,
 * case-insensitive, no wildcards) through sim_peer_id_matches().
 */
#define G_LOG_DOMAIN "sim-strategy"

#include "models/strategy/strategy.h"

/* Every strategy, in `sipreuse list` order; NULL-terminated. */
static const SimStrategyOps *const strategy_registry[] = {
    &sim_strategy_rfc3261,
    &sim_strategy_per_transaction,
    &sim_strategy_two_connection,
    &sim_strategy_reuse,
    &sim_strategy_virtual_server,
    &sim_strategy_reuse_unauthenticated,
    NULL,
};

G_DEFINE_QUARK(sim-strategy-error-quark, sim_strategy_error)

/**
 * sim_strategy_check:
 * @ops: a strategy table
 *
 * Calls g_error() when a required member is missing (a programming error).
 */
void
sim_strategy_check(const SimStrategyOps *ops)
{
    if (!ops->name || !ops->description || !ops->select_conn)
        g_error("strategy '%s' lacks a required member",
                ops->name ? ops->name : "?");
}

/**
 * sim_strategy_all:
 *
 * Returns: (transfer none): every strategy, NULL-terminated; each table was
 *   checked for its required members.
 */
const SimStrategyOps *const *
sim_strategy_all(void)
{
    for (guint i = 0; strategy_registry[i]; i++)
        sim_strategy_check(strategy_registry[i]);
    return strategy_registry;
}

/**
 * sim_strategy_names:
 *
 * Returns: (transfer container): the registered strategy names in
 *   registry order, NULL-terminated (free the array, not the names).
 */
const char **
sim_strategy_names(void)
{
    const SimStrategyOps *const *all = sim_strategy_all();
    GPtrArray *a = g_ptr_array_new();
    for (guint i = 0; all[i]; i++)
        g_ptr_array_add(a, (gpointer)all[i]->name);
    g_ptr_array_add(a, NULL);
    return (const char **)g_ptr_array_free(a, FALSE);
}

/**
 * sim_strategy_by_name:
 * @name: a strategy name
 * @error: return location for %SIM_STRATEGY_ERROR_UNKNOWN, whose message
 *   lists the valid names
 *
 * Returns: (transfer none) (nullable): the strategy, or %NULL.
 */
const SimStrategyOps *
sim_strategy_by_name(const char *name, GError **error)
{
    const SimStrategyOps *const *all = sim_strategy_all();
    g_autoptr(GString) names = g_string_new(NULL);
    for (guint i = 0; all[i]; i++) {
        if (g_str_equal(all[i]->name, name))
            return all[i];
        g_string_append_printf(names, "%s%s", i ? ", " : "", all[i]->name);
    }
    g_set_error(error, SIM_STRATEGY_ERROR, SIM_STRATEGY_ERROR_UNKNOWN,
                "unknown strategy '%s' (valid: %s)", name, names->str);
    return NULL;
}

/**
 * sim_strategy_kind_is_tls:
 * @kind: a Via transport
 *
 * Returns: %TRUE for TLS and TLS-SCTP.
 */
gboolean
sim_strategy_kind_is_tls(SimTransportKind kind)
{
    return kind == SIM_TRANSPORT_TLS || kind == SIM_TRANSPORT_TLS_SCTP;
}

static gboolean
strategy_tuple_equal(const SimTuple *a, const SimTuple *b)
{
    return a->ip == b->ip && a->port == b->port &&
           a->transport == b->transport;
}

/**
 * sim_strategy_find_opened:
 * @tab: the node's connection table
 * @t: the request and its RFC 3263 target
 *
 * The client-side test (R6, R26): a connection this node opened to exactly
 * the target's resolved tuple, not closing, not retired, not bound to one
 * transaction, whose server proved t->aus over TLS (whatever name it was
 * opened for: virtual servers, DC 7.8) or that is still being set up (the
 * request waits for it rather than opening a second one, and is routed
 * again if the identity proven does not cover t->aus).  Names are never
 * compared as strings.
 *
 * Returns: (transfer none) (nullable): the connection (possibly still
 *   connecting), or %NULL.
 */
SimProxyConn *
sim_strategy_find_opened(SimConnTab *tab, const SimStrategyTarget *t)
{
    const SimTuple *tt = &t->target->tuple;
    guint n;
    SimProxyConn *const *at = sim_conntab_at_addr(tab, tt->ip, tt->port, &n);
    for (guint i = 0; i < n; i++)
        if (sim_conntab_conn_usable(at[i]) && at[i]->aus &&
            strategy_tuple_equal(&at[i]->key, tt) &&
            sim_conntab_conn_proves(at[i], t->aus))
            return at[i];
    return NULL;
}

static gboolean
strategy_row_matches(const SimAliasRow *row, const SimStrategyTarget *t,
                     gboolean by_name)
{
    const SimTuple *tt = &t->target->tuple;
    if (by_name)
        return row->name && row->tuple.port == tt->port &&
               row->tuple.transport == tt->transport &&
               (sim_sip_host_equal(row->name, t->target->host) ||
                sim_sip_host_equal(row->name, t->aus));
    return strategy_tuple_equal(&row->tuple, tt) && row->ids &&
           sim_peer_id_matches(row->ids, t->aus);
}

/**
 * sim_strategy_find_alias:
 * @tab: the node's connection table
 * @t: the request and its RFC 3263 target
 * @by_name: %TRUE: match rows by sent-by name and port, no address check
 *   (NAIVE-NAME, unsafe); %FALSE: R12, the row's tuple equals the target's
 *   and t->aus is one of the row's identities
 *
 * Returns: (transfer none) (nullable): the aliased connection, or %NULL.
 */
SimProxyConn *
sim_strategy_find_alias(SimConnTab *tab, const SimStrategyTarget *t,
                        gboolean by_name)
{
    if (!by_name) {
        /* R12 needs the row's tuple to be the target's: its rows only. */
        guint n;
        SimAliasRow *const *rows = sim_conntab_rows_at(
            tab, &t->target->tuple, &n);
        for (guint i = 0; i < n; i++)
            if (!rows[i]->pc->closing &&
                strategy_row_matches(rows[i], t, FALSE))
                return rows[i]->pc;
        return NULL;
    }
    guint n = sim_conntab_n_rows(tab);
    for (guint i = 0; i < n; i++) {
        const SimAliasRow *row = sim_conntab_row(tab, i);
        if (!row->pc->closing && strategy_row_matches(row, t, by_name))
            return row->pc;
    }
    return NULL;
}

/**
 * sim_strategy_tls_alias_row:
 * @tab: the node's connection table
 * @pc: the accepted connection the request came on
 * @via: its topmost Via (with ;alias)
 * @row: (out): the row to add
 * @reason: (out): why not, when %FALSE
 *
 * Admission of an alias per draft-09: only over TLS (R7), only from a
 * client that presented a certificate (R9) which validated (R10), with the
 * sent-by host among its identities when alias-insert-check is on (D3).
 * The row is {received IP, sent-by port or 5061, Via transport} plus the
 * identities (R11).
 *
 * Returns: %TRUE when @row was filled.
 */
gboolean
sim_strategy_tls_alias_row(SimConnTab *tab, SimProxyConn *pc,
                           const SimSipVia *via, SimAliasRow *row,
                           const char **reason)
{
    const SimConn *c = pc->conn;
    if (!sim_strategy_kind_is_tls(c->ops->kind) ||
        via->transport != c->ops->kind) {
        *reason = "transport";
        return FALSE;
    }
    if (!c->peer_presented_cert || !c->peer) {
        *reason = "no-cert";
        return FALSE;
    }
    if (c->peer->verdict != SIM_PKI_OK) {
        *reason = "unauthenticated";
        return FALSE;
    }
    if (sim_conntab_alias_insert_check(tab) &&
        !sim_peer_id_matches(c->peer, via->host)) {
        *reason = "sent-by-not-in-cert";
        return FALSE;
    }
    row->tuple.ip = c->remote.ip;
    row->tuple.port = via->port ? via->port : SIM_SIPS_PORT;
    row->tuple.transport = via->transport;
    row->ids = sim_peer_id_ref(c->peer);
    return TRUE;
}
