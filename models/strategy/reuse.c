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
 * not prove it), a new connection is opened and REPLACES the tuple's row:
 * the old one is retired and closes when idle (use `virtual-server` to
 * keep both).  Rows die with their connection (R18); aliased connections
 * are kept open (R4).  Never misdelivers: hijacked = 0.
 */
#define G_LOG_DOMAIN "sim-strategy"

#include "models/strategy/strategy.h"

static gboolean
reuse_applicable(SimTransportKind kind)
{
    return sim_strategy_kind_is_tls(kind);
}

/* The tuple's opener-side row, if any: the one live connection this node
 * opened to that tuple (others were retired when it replaced them). */
static SimProxyConn *
reuse_tuple_row(SimConnTab *tab, const SimTuple *tuple)
{
    for (SimProxyConn *pc = sim_conntab_first(tab); pc;
         pc = sim_conntab_next(tab, pc))
        if (sim_conntab_conn_usable(pc) && pc->aus &&
            pc->key.ip == tuple->ip &&
            pc->key.port == tuple->port &&
            pc->key.transport == tuple->transport)
            return pc;
    return NULL;
}

static SimProxyConn *
reuse_select_conn(SimConnTab *tab, const SimStrategyTarget *t)
{
    SimProxyConn *row = reuse_tuple_row(tab, &t->target->tuple);
    if (row) {
        /* R6(b): its server proved the AUS, or it is still being set
         * up (the request waits for it). */
        if (sim_conntab_conn_proves(row, t->aus))
            return row;
    }
    SimProxyConn *alias = sim_strategy_find_alias(tab, t, FALSE);
    if (alias)
        return alias;
    /* A new connection for this tuple: it replaces the row. */
    if (row)
        sim_conntab_retire(tab, row);
    return NULL;
}

static gboolean
reuse_want_alias(SimConnTab *tab, SimProxyConn *pc)
{
    return sim_strategy_kind_is_tls(pc->key.transport);
}

static SimTime
reuse_idle_timeout(SimConnTab *tab, SimProxyConn *pc)
{
    if (pc->alias_sent || pc->aliased)
        return 0;
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
        "gets a new connection that replaces the row (the old one closes "
        "when idle).  Aliased connections are kept open.",
    .applicable = reuse_applicable,
    .select_conn = reuse_select_conn,
    .want_alias = reuse_want_alias,
    .accept_alias = sim_strategy_tls_alias_row,
    .idle_timeout = reuse_idle_timeout,
};
