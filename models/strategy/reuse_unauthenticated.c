/* SPDX-License-Identifier: MIT */
/*
 * `reuse-unauthenticated`: the unsafe variant the drafts warn against
 * (SPEC D5, NAIVE-NAME): `;alias` is sent and honoured over any transport,
 * and the row is keyed by the sent-by host NAME with no proof and no
 * address check, as deployed practice comes close to (SPEC 6).  Being
 * keyed by a name, a row matches only requests whose next-hop lookup
 * goes through that name (an SRV target or the host itself), never a
 * domain resolved by A record.  A rogue
 * node claiming another's host in its Via (spoof-as) captures the requests
 * meant for it, which the receiver counts as requests.hijacked (T1, T2).
 */
#define G_LOG_DOMAIN "sim-strategy"

#include "models/strategy/strategy.h"

static SimProxyConn *
reuse_unauthenticated_select_conn(SimConnTab *tab, const SimStrategyTarget *t)
{
    SimProxyConn *pc = sim_strategy_find_opened(tab, t);
    return pc ? pc : sim_strategy_find_alias(tab, t, TRUE);
}

static gboolean
reuse_unauthenticated_want_alias(SimConnTab *tab, SimProxyConn *pc)
{
    return TRUE;
}

static gboolean
reuse_unauthenticated_accept_alias(SimConnTab *tab, SimProxyConn *pc,
                                   const SimSipVia *via, SimAliasRow *row,
                                   const char **reason)
{
    gboolean tls = sim_strategy_kind_is_tls(via->transport);
    row->tuple.ip = pc->conn->remote.ip;
    row->tuple.port = via->port ? via->port
                                : (tls ? SIM_SIPS_PORT : SIM_SIP_PORT);
    row->tuple.transport = via->transport;
    row->name = g_ascii_strdown(via->host, -1);
    return TRUE;
}

static SimTime
reuse_unauthenticated_idle_timeout(SimConnTab *tab, SimProxyConn *pc)
{
    /* Aliased connections idle out like others, never sooner than a
     * transaction can outlive its last message (64*T1, R26). */
    if (pc->alias_sent || pc->aliased)
        return sim_conntab_idle_timeout_aliased(tab);
    return sim_conntab_idle_timeout(tab);
}

const SimStrategyOps sim_strategy_reuse_unauthenticated = {
    .name = "reuse-unauthenticated",
    .description =
        "UNSAFE contrast (threat T1 in docs/model.md): ;alias sent and "
        "honoured over any transport, rows keyed by the Via sent-by host "
        "name with no certificate and no address check.  A row matches "
        "only a request whose next-hop lookup goes through that name (an "
        "SRV target, or a next hop naming the host itself, such as its "
        "Record-Route entry) at the row's port and transport; requests "
        "for a domain resolved by A record never use it.  Shows the "
        "hijacking threat: a node claiming another's name receives its "
        "requests.  Aliased connections idle out like others, never "
        "sooner than 64*T1.",
    .alias_multimap = TRUE,
    .select_conn = reuse_unauthenticated_select_conn,
    .want_alias = reuse_unauthenticated_want_alias,
    .accept_alias = reuse_unauthenticated_accept_alias,
    .idle_timeout = reuse_unauthenticated_idle_timeout,
};
