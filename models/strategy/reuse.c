/* SPDX-License-Identifier: MIT */
/*
 * `reuse`: RFC 5923 connection reuse as draft-09 specifies it (SPEC D1),
 * for single-domain peers.  The client adds `;alias` only over TLS (R3);
 * the server adds a row only after mutual authentication (R9, R10) and,
 * by default, only when the sent-by host is a proven identity (D3); the
 * row is {received IP, sent-by port or 5061, transport} + identities +
 * connection (R11).  Each table holds ONE row per tuple: on the opener
 * side the connection it opened to that tuple, on the acceptor side the
 * latest alias for it.  A request rides a row only when RFC 3263 selected
 * exactly its tuple and the AUS domain is among its identities (R6, R12),
 * so SRV load balancing is unchanged (R23).  When that identity test fails
 * for a domain on the same tuple (a virtual host whose certificate does
 * not prove it), a new connection is opened and, once it has
 * authenticated, REPLACES the tuple's row: the old one is retired and
 * closes when idle (use `virtual-server` to keep both); until then, and
 * for good if the new one fails, the old row stays.  Rows die with their
 * connection (R18); aliased connections idle out like others, never
 * sooner than 64*T1 (R26).  Never misdelivers: hijacked = 0.
 */
#define G_LOG_DOMAIN "sim-strategy"

#include "models/strategy/strategy.h"

static gboolean
reuse_applicable(SimTransportKind kind)
{
    return sim_strategy_kind_is_tls(kind);
}

static gboolean
reuse_same_tuple(const SimProxyConn *pc, const SimTuple *tuple)
{
    return pc->key.ip == tuple->ip && pc->key.port == tuple->port &&
           pc->key.transport == tuple->transport;
}

/* R6: the tuple's row if its server proved the AUS, else a connection to
 * the tuple still being set up (the request waits for it: it may become
 * the row), else an alias row proving the AUS (R12); NULL: a new
 * connection, which replaces the row once authenticated. */
static SimProxyConn *
reuse_select_conn(SimConnTab *tab, const SimStrategyTarget *t)
{
    SimProxyConn *pending = NULL;
    const SimTuple *tt = &t->target->tuple;
    guint n;
    SimProxyConn *const *at = sim_conntab_at_addr(tab, tt->ip, tt->port, &n);
    for (guint i = 0; i < n; i++) {
        SimProxyConn *pc = at[i];
        if (!sim_conntab_conn_usable(pc) || !pc->aus ||
            !reuse_same_tuple(pc, &t->target->tuple))
            continue;
        if (!pc->up) {
            if (!pending)
                pending = pc;
        } else if (sim_conntab_conn_proves(pc, t->aus)) {
            return pc;
        }
    }
    if (pending)
        return pending;
    return sim_strategy_find_alias(tab, t, FALSE);
}

/* A connection this node opened has authenticated: it is now its
 * tuple's row, and the one it replaces (opened earlier to the same
 * tuple, for a domain this one was opened because that one did not
 * prove) is retired. */
static void
reuse_on_conn_up(SimConnTab *tab, SimProxyConn *up)
{
    if (!up->initiator || up->per_txn || !up->aus)
        return;
    /* A copy: retiring may reach the transport, which must not change
     * the list being walked. */
    guint n;
    SimProxyConn *const *at = sim_conntab_at_addr(tab, up->key.ip,
                                                  up->key.port, &n);
    g_autofree SimProxyConn **copy = g_memdup2(at, n * sizeof *at);
    for (guint i = 0; i < n; i++) {
        SimProxyConn *pc = copy[i];
        if (pc != up && pc->up && sim_conntab_conn_usable(pc) && pc->aus &&
            reuse_same_tuple(pc, &up->key))
            sim_conntab_retire(tab, pc);
    }
}

static gboolean
reuse_want_alias(SimConnTab *tab, SimProxyConn *pc)
{
    return sim_strategy_kind_is_tls(pc->key.transport);
}

static SimTime
reuse_idle_timeout(SimConnTab *tab, SimProxyConn *pc)
{
    /* Aliased connections idle out like others, never sooner than a
     * transaction can outlive its last message (64*T1, R26). */
    if (pc->alias_sent || pc->aliased)
        return sim_conntab_idle_timeout_aliased(tab);
    return sim_conntab_idle_timeout(tab);
}

const SimStrategyOps sim_strategy_reuse = {
    .name = "reuse",
    .description =
        "RFC 5923 (draft-09 rules) for single-domain peers: ;alias only "
        "over TLS; the server aliases only a mutually authenticated client "
        "whose certificate proves the sent-by host; one row per tuple, "
        "used only when RFC 3263 yields exactly its tuple and the next-hop "
        "domain is among its identities; a domain the row does not prove "
        "gets a new connection that replaces the row once it has "
        "authenticated (the old one closes when idle).  Aliased "
        "connections idle out like others, never sooner than 64*T1.",
    .applicable = reuse_applicable,
    .select_conn = reuse_select_conn,
    .on_conn_up = reuse_on_conn_up,
    .want_alias = reuse_want_alias,
    .accept_alias = sim_strategy_tls_alias_row,
    .idle_timeout = reuse_idle_timeout,
};
