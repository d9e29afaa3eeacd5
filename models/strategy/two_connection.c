/* SPDX-License-Identifier: MIT */
/*
 * `two-connection`: the draft-09 section 9.3 remedy for TCP and SCTP (R21).
 * On first contact from a peer domain, the node resolves that domain by
 * RFC 3263 and opens its own connection toward it at once, without waiting
 * for a backward request, and again after losing it; backward requests use
 * that connection, never the peer's, and no alias is ever sent.  Exception:
 * an accepted connection whose source address and port equal the peer's
 * DNS-resolved tuple may be reused.  Result: two connections per pair.
 */
#define G_LOG_DOMAIN "sim-strategy"

#include "models/strategy/strategy.h"

static gboolean
two_connection_applicable(SimTransportKind kind)
{
    return sim_transport_kind_reliable(kind);
}

static SimProxyConn *
two_connection_find_inbound(SimConnTab *tab, const SimTuple *t)
{
    for (SimProxyConn *pc = sim_conntab_first(tab); pc;
         pc = sim_conntab_next(tab, pc))
        if (!pc->initiator && pc->reusable_inbound && !pc->closing &&
            pc->key.ip == t->ip && pc->key.port == t->port &&
            pc->key.transport == t->transport)
            return pc;
    return NULL;
}

static SimProxyConn *
two_connection_select_conn(SimConnTab *tab, const SimStrategyTarget *t)
{
    SimProxyConn *pc = sim_strategy_find_opened(tab, t, TRUE);
    return pc ? pc : two_connection_find_inbound(tab, &t->target->tuple);
}

/* The peer's domain: the host of its Record-Route (R16), else its sent-by. */
static const char *
two_connection_peer_domain(const SimSipMsg *m)
{
    if (m->n_rr > 0)
        return m->rr[m->n_rr - 1].host;
    return m->n_via > 0 ? m->via[0].host : NULL;
}

static gboolean
two_connection_have_opened(SimConnTab *tab, const char *domain)
{
    for (SimProxyConn *pc = sim_conntab_first(tab); pc;
         pc = sim_conntab_next(tab, pc))
        if (pc->initiator && !pc->closing && pc->aus &&
            sim_sip_host_equal(pc->aus, domain))
            return TRUE;
    return FALSE;
}

/* R21 exception: the inbound source tuple is the peer's resolved tuple. */
static gboolean
two_connection_source_is_listener(SimConnTab *tab, SimProxyConn *pc,
                                  const char *domain)
{
    g_autoptr(SimDnsAnswer) a = sim_resolver_resolve_now(
        sim_conntab_resolver(tab), domain, 0, pc->key.transport);
    for (guint i = 0; a && i < a->n; i++)
        if (a->targets[i].tuple.ip == pc->key.ip &&
            a->targets[i].tuple.port == pc->key.port)
            return TRUE;
    return FALSE;
}

static void
two_connection_on_request(SimConnTab *tab, SimProxyConn *pc,
                          const SimSipMsg *m)
{
    const char *domain = two_connection_peer_domain(m);
    if (pc->initiator || pc->reusable_inbound || pc->strategy_data || !domain)
        return;
    /* Checked once per accepted connection. */
    pc->strategy_data = GUINT_TO_POINTER(1);
    if (two_connection_source_is_listener(tab, pc, domain)) {
        pc->reusable_inbound = TRUE;
        return;
    }
    if (!two_connection_have_opened(tab, domain))
        sim_conntab_connect_toward(tab, domain);
}

static void
two_connection_on_conn_down(SimConnTab *tab, SimProxyConn *pc,
                            SimCloseReason reason)
{
    /* Re-open a lost proactive connection (not one we closed, nor one that
     * never opened: the next contact will try again). */
    if (!pc->initiator || !pc->up || !pc->aus || reason == SIM_CLOSE_LOCAL ||
        reason == SIM_CLOSE_IDLE || reason == SIM_CLOSE_HOST_DOWN)
        return;
    if (!two_connection_have_opened(tab, pc->aus))
        sim_conntab_connect_toward(tab, pc->aus);
}

const SimStrategyOps sim_strategy_two_connection = {
    .name = "two-connection",
    .description =
        "Draft-09 remedy for TCP/SCTP: on first contact from a peer "
        "domain each side proactively opens its own connection toward "
        "the peer's RFC 3263 address (and again after a loss); backward "
        "requests never ride the peer's connection, except when its source "
        "port is the peer's DNS-resolved port.  Never aliases.",
    .applicable = two_connection_applicable,
    .select_conn = two_connection_select_conn,
    .on_request = two_connection_on_request,
    .on_conn_down = two_connection_on_conn_down,
};
