/* SPDX-License-Identifier: MIT */
/*
 * `two-connection`: the draft-09 section 9.3 remedy for TCP and SCTP (R21).
 * On first contact from a peer, the node resolves the peer's name (the
 * host of the request's topmost Record-Route, else its sent-by) by RFC
 * 3263 and, unless a connection it opened to a resolved tuple already
 * proves that name (or is still being set up), opens its own toward it at
 * once, without waiting for a backward request, and again after losing
 * it; backward requests use that connection, never the peer's, and no
 * alias is ever sent.  Exception: an accepted connection whose source
 * address and port equal the peer's DNS-resolved tuple may be reused.
 * Result: two connections per pair.
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
    guint n;
    SimProxyConn *const *at = sim_conntab_at_addr(tab, t->ip, t->port, &n);
    for (guint i = 0; i < n; i++)
        if (!at[i]->initiator && at[i]->reusable_inbound &&
            !at[i]->closing && at[i]->key.transport == t->transport)
            return at[i];
    return NULL;
}

static SimProxyConn *
two_connection_select_conn(SimConnTab *tab, const SimStrategyTarget *t)
{
    SimProxyConn *pc = sim_strategy_find_opened(tab, t);
    return pc ? pc : two_connection_find_inbound(tab, &t->target->tuple);
}

/* The peer's name: the host of the topmost Record-Route (R16: the hop
 * that sent the request put it there; RFC 3261 16.6 step 4), else its
 * sent-by. */
static const char *
two_connection_peer_domain(const SimSipMsg *m)
{
    if (m->n_rr > 0)
        return m->rr[0].host;
    return m->n_via > 0 ? m->via[0].host : NULL;
}

/* Whether this node already has a connection of its own toward the peer:
 * one it opened to a tuple @a resolved @domain to, whose server proved
 * @domain (or that is still being set up).  By address and proven
 * identity, never by comparing the name it was opened for. */
static gboolean
two_connection_have_opened(SimConnTab *tab, const SimDnsAnswer *a,
                           const char *domain)
{
    for (guint i = 0; a && i < a->n; i++) {
        SimStrategyTarget st = { domain, &a->targets[i], NULL };
        if (sim_strategy_find_opened(tab, &st))
            return TRUE;
    }
    return FALSE;
}

/* R21 exception: the inbound source tuple is the peer's resolved tuple. */
static gboolean
two_connection_source_is_listener(const SimDnsAnswer *a, SimProxyConn *pc)
{
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
    g_autoptr(SimDnsAnswer) a = sim_resolver_resolve_now(
        sim_conntab_resolver(tab), domain, 0, pc->key.transport);
    if (two_connection_source_is_listener(a, pc)) {
        pc->reusable_inbound = TRUE;
        return;
    }
    if (!two_connection_have_opened(tab, a, domain))
        sim_conntab_connect_toward(tab, domain);
}

static void
two_connection_on_conn_down(SimConnTab *tab, SimProxyConn *pc,
                            SimCloseReason reason)
{
    /* Re-open a lost proactive connection (not one we closed, nor one that
     * never opened: the next contact will try again), unless another of
     * this node's connections to the same address proves its name. */
    if (!pc->initiator || !pc->up || !pc->aus || reason == SIM_CLOSE_LOCAL ||
        reason == SIM_CLOSE_IDLE || reason == SIM_CLOSE_HOST_DOWN)
        return;
    SimDnsTarget target = { .tuple = pc->key, .host = pc->target_host };
    SimStrategyTarget st = { pc->aus, &target, NULL };
    if (!sim_strategy_find_opened(tab, &st))
        sim_conntab_connect_toward(tab, pc->aus);
}

const SimStrategyOps sim_strategy_two_connection = {
    .name = "two-connection",
    .description =
        "Draft-09 remedy for TCP/SCTP: on first contact from a peer "
        "each side proactively opens its own connection toward the RFC "
        "3263 address of the peer's Record-Route host, unless one it "
        "opened to that address already proves the peer's identity (and "
        "again after a loss); backward "
        "requests never ride the peer's connection, except when its source "
        "port is the peer's DNS-resolved port.  Never aliases.",
    .applicable = two_connection_applicable,
    .select_conn = two_connection_select_conn,
    .on_request = two_connection_on_request,
    .on_conn_down = two_connection_on_conn_down,
};
