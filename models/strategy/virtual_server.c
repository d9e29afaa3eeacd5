/* SPDX-License-Identifier: MIT */
/*
 * `virtual-server`: connection reuse for hosts serving several domains
 * (draft-09 section 10, RFC 5923 9.3, DC 7.8).  Like `reuse`, but a
 * connection this node opened may also carry requests for any other domain
 * its server's certificate proves; the alias table is a multimap whose rows
 * share a tuple and differ in identity set, and a domain the identities do
 * not cover gets a new connection whose SNI names it (R17, R22).  Only TLS
 * connections are ever reused (R22 MUST NOT for other transports).
 */
#define G_LOG_DOMAIN "sim-strategy"

#include "models/sip/proxy.h"

static gboolean
virtual_server_applicable(SimTransportKind kind)
{
    return sim_strategy_kind_is_tls(kind);
}

static SimProxyConn *
virtual_server_select_conn(SimProxy *p, const SimStrategyTarget *t)
{
    if (!sim_strategy_kind_is_tls(t->target->tuple.transport))
        return NULL;
    SimProxyConn *pc = sim_strategy_find_opened(p, t, TRUE);
    return pc ? pc : sim_strategy_find_alias(p, t, FALSE);
}

static gboolean
virtual_server_want_alias(SimProxy *p, SimProxyConn *pc)
{
    return sim_strategy_kind_is_tls(pc->key.transport);
}

static SimTime
virtual_server_idle_timeout(SimProxy *p, SimProxyConn *pc)
{
    if (pc->alias_sent || pc->aliased)
        return 0;
    return sim_proxy_config(p)->idle_timeout;
}

const SimStrategyOps sim_strategy_virtual_server = {
    .name = "virtual-server",
    .description =
        "Reuse across the domains a peer's certificate proves, for hosts "
        "serving several domains: rows are per identity set (a multimap "
        "on the tuple), a domain not covered gets a new connection with "
        "SNI naming it, and non-TLS connections are never reused.",
    .applicable = virtual_server_applicable,
    .select_conn = virtual_server_select_conn,
    .want_alias = virtual_server_want_alias,
    .accept_alias = sim_strategy_tls_alias_row,
    .idle_timeout = virtual_server_idle_timeout,
};
