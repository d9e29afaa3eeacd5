/* SPDX-License-Identifier: MIT */
/*
 * `virtual-server`: connection reuse for hosts serving several domains
 * (draft-09 section 10, RFC 5923 9.3, DC 7.8), implementing R22 fully.
 * Both tables are multimaps: several rows share a tuple and differ in
 * identity set and connection.  A connection is reused for any domain its
 * peer's certificate proves (opened ones: the server's; aliased ones: the
 * client's), and a domain none of them proves gets a new connection whose
 * SNI names it (R17), kept beside the others (unlike `reuse`, which
 * replaces the tuple's row).  Only TLS connections are ever reused (R22
 * MUST NOT for other transports).  Never misdelivers: hijacked = 0.
 */
#define G_LOG_DOMAIN "sim-strategy"

#include "models/strategy/strategy.h"

static gboolean
virtual_server_applicable(SimTransportKind kind)
{
    return sim_strategy_kind_is_tls(kind);
}

static SimProxyConn *
virtual_server_select_conn(SimConnTab *tab, const SimStrategyTarget *t)
{
    if (!sim_strategy_kind_is_tls(t->target->tuple.transport))
        return NULL;
    SimProxyConn *pc = sim_strategy_find_opened(tab, t);
    return pc ? pc : sim_strategy_find_alias(tab, t, FALSE);
}

static gboolean
virtual_server_want_alias(SimConnTab *tab, SimProxyConn *pc)
{
    return sim_strategy_kind_is_tls(pc->key.transport);
}

static SimTime
virtual_server_idle_timeout(SimConnTab *tab, SimProxyConn *pc)
{
    /* Aliased connections idle out like others, never sooner than a
     * transaction can outlive its last message (64*T1, R26). */
    if (pc->alias_sent || pc->aliased)
        return sim_conntab_idle_timeout_aliased(tab);
    return sim_conntab_idle_timeout(tab);
}

const SimStrategyOps sim_strategy_virtual_server = {
    .name = "virtual-server",
    .description =
        "RFC 5923 for virtual hosts serving several domains (R22): rows "
        "form a multimap on the tuple, one per identity set and "
        "connection; a connection is reused for any domain its peer's "
        "certificate proves, a domain none proves gets a new connection "
        "(SNI naming it) beside the others, and non-TLS connections are "
        "never reused.  Aliased connections idle out like others, "
        "never sooner than 64*T1.",
    .alias_multimap = TRUE,
    .applicable = virtual_server_applicable,
    .select_conn = virtual_server_select_conn,
    .want_alias = virtual_server_want_alias,
    .accept_alias = sim_strategy_tls_alias_row,
    .idle_timeout = virtual_server_idle_timeout,
};
