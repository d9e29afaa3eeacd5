/* SPDX-License-Identifier: MIT */
/*
 * `reuse`: RFC 5923 connection reuse as draft-09 specifies it (SPEC D1).
 * The client adds `;alias` only over TLS (R3); the server adds a row only
 * after mutual authentication (R9, R10) and, by default, only when the
 * sent-by host is a proven identity (D3); the row is {received IP, sent-by
 * port or 5061, transport} + identities + connection (R11).  A request
 * rides an existing connection only when RFC 3263 selected exactly the
 * connection's tuple and the AUS domain is proven (R6, R12), so SRV load
 * balancing is unchanged (R23).  Rows die with their connection (R18);
 * aliased connections are kept open (R4).
 */
#define G_LOG_DOMAIN "sim-strategy"

#include "models/sip/proxy.h"

static gboolean
reuse_applicable(SimTransportKind kind)
{
    return sim_strategy_kind_is_tls(kind);
}

static SimProxyConn *
reuse_select_conn(SimProxy *p, const SimStrategyTarget *t)
{
    SimProxyConn *pc = sim_strategy_find_opened(p, t, TRUE);
    return pc ? pc : sim_strategy_find_alias(p, t, FALSE);
}

static gboolean
reuse_want_alias(SimProxy *p, SimProxyConn *pc)
{
    return sim_strategy_kind_is_tls(pc->key.transport);
}

static SimTime
reuse_idle_timeout(SimProxy *p, SimProxyConn *pc)
{
    if (pc->alias_sent || pc->aliased)
        return 0;
    return sim_proxy_config(p)->idle_timeout;
}

const SimStrategyOps sim_strategy_reuse = {
    .name = "reuse",
    .description =
        "RFC 5923 (draft-09 rules): ;alias only over TLS; the server "
        "aliases only a mutually authenticated client whose certificate "
        "proves the sent-by host; a row is reused only when RFC 3263 "
        "yields exactly its tuple and the next-hop domain is among its "
        "identities.  Aliased connections are kept open.",
    .applicable = reuse_applicable,
    .select_conn = reuse_select_conn,
    .want_alias = reuse_want_alias,
    .accept_alias = sim_strategy_tls_alias_row,
    .idle_timeout = reuse_idle_timeout,
};
