/* SPDX-License-Identifier: MIT */
/*
 * SPEC section 4 scenarios on hand-built worlds (util_sip), one test per
 * scenario, with expected values derived from first principles: RTT
 * counts of SPEC 3.1 (R = 100 ms, zero CPU and DNS delay), RFC 3261 timers
 * (T1 = 500 ms, Timer B = 64*T1), closed forms of connection counts, and
 * binomial bounds for SRV shares.  Covers reuse against virtual-server
 * (29, 30), many dialogs (5), ports (6, 35), identities (10, 11, 14-16),
 * resumption (17), lifetime (18, 21, 22), TCP/SCTP (23-28), SRV farms
 * (32-36, 33 a reverse one), first-request arrival (38; at R = 10 s, 40),
 * timers (39, 41), the per-transaction baseline, UDP retransmission
 * (Timer A, the callee's 2xx), the callee's BYE only after the ACK (RFC
 * 3261 15.1.2), and a caller abandoning its call (CANCEL, RFC 3261 9;
 * scenario 20, R19).
 * Scenarios 1-4, 9 and the full-mesh closed forms are in test_proxy.c.
 */
#include <math.h>

#include "models/sip/txn.h"
#include "models/tests/util_sip.h"

#define ONE_WAY SIM_MS(50)
#define RTT SIM_MS(100)
#define T1 SIM_MS(500)

#define A_BASE                                                              \
    .name = "a", .host = "p1.example.com", .ip = "192.0.2.1",               \
    .domains = { "example.com", NULL }
#define NODE_A(...)                                                         \
    { A_BASE,                                                               \
      .san = { "URI:sip:example.com", "URI:sip:p1.example.com", NULL },     \
      __VA_ARGS__ }
#define NODE_A_SAN(...) { A_BASE, __VA_ARGS__ }
#define NODE_B(...)                                                         \
    { .name = "b", .host = "p2.example.net", .ip = "192.0.2.128",          \
      .domains = { "example.net", NULL },                                   \
      .san = { "URI:sip:example.net", "URI:sip:p2.example.net", NULL },     \
      __VA_ARGS__ }

static SimTestWorld *
world(const SimTransportOps *t, const SimStrategyOps *s, guint tls,
      const SimTestNodeSpec *specs, guint n)
{
    return sim_test_world_new(t, s, ONE_WAY, tls, specs, n);
}

static guint64
ctr(SimTestWorld *w, const char *name)
{
    return sim_test_counter(w, name);
}

static void
run_to(SimTestWorld *w, SimTime t)
{
    sim_evq_run_until(w->ctx.evq, t);
}

static double
setup_ms(SimTestWorld *w)
{
    SimHistogram *h = sim_stats_histogram(w->ctx.stats, "latency.setup");
    return sim_histogram_mean(h) / 1e6;
}

/* Connections in a node's table that are open. */
static guint
open_conns(SimTestWorld *w, guint i)
{
    SimConnTab *tab = sim_test_tab(w, i);
    guint n = 0;
    for (SimProxyConn *pc = sim_conntab_first(tab); pc;
         pc = sim_conntab_next(tab, pc))
        n += pc->up && pc->conn && !pc->closing;
    return n;
}

/* ------------------------------------------------------------------ */
/* Virtual servers: reuse against virtual-server (29, 30)              */

/* V serves example.com and example.org on one tuple.  Its main
 * certificate proves example.com (and its host, which it Record-Routes
 * with so that ACKs are proven by either certificate); for SNI
 * example.org it presents a second certificate. */
static const SimTestNodeSpec vhost_split[] = {
    { .name = "v", .host = "v.example.com", .ip = "192.0.2.1",
      .domains = { "example.com", "example.org", NULL },
      .san = { "URI:sip:example.com", "URI:sip:v.example.com", NULL },
      .sni_san = { "URI:sip:example.org", "URI:sip:v.example.com", NULL },
      .rr_host = "v.example.com" },
    NODE_B(),
};

static const SimTestNodeSpec vhost_both[] = {
    { .name = "v", .host = "v.example.com", .ip = "192.0.2.1",
      .domains = { "example.com", "example.org", NULL },
      .san = { "URI:sip:example.com", "URI:sip:example.org",
               "URI:sip:v.example.com", NULL },
      .rr_host = "v.example.com" },
    NODE_B(),
};

/* B sends 6 INVITEs alternating example.com, example.org, one a second;
 * the calls stay up (hold 100 s), so nothing but the INVITEs and their
 * ACKs picks connections. */
static guint64
run_alternating(const SimStrategyOps *s, const SimTestNodeSpec *specs)
{
    SimTestWorld *w = world(&sim_transport_tls, s, 13, specs, 2);
    for (guint i = 0; i < 6; i++) {
        run_to(w, SIM_S(i));
        sim_test_call(w, 1, i % 2 ? "example.org" : "example.com",
                      SIM_S(100), SIM_BYE_FROM_CALLER);
    }
    run_to(w, SIM_S(7));
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 6);
    g_assert_cmpuint(ctr(w, "requests.hijacked"), ==, 0);
    g_assert_cmpuint(ctr(w, "handshakes.failed"), ==, 0);
    guint64 n = ctr(w, "node.b.sip.connections.opened");
    sim_test_world_free(w);
    return n;
}

static void
test_vhost_alternating(void)
{
    /* reuse: one row per tuple, so every switch of domain replaces it: a
     * connection per INVITE.  virtual-server: one per identity set. */
    g_assert_cmpuint(run_alternating(&sim_strategy_reuse, vhost_split), ==,
                     6);
    g_assert_cmpuint(
        run_alternating(&sim_strategy_virtual_server, vhost_split), ==, 2);
    /* Scenario 30: a certificate proving both domains: 1 for both. */
    g_assert_cmpuint(run_alternating(&sim_strategy_reuse, vhost_both), ==,
                     1);
    g_assert_cmpuint(
        run_alternating(&sim_strategy_virtual_server, vhost_both), ==, 1);
}

/* V's one certificate proves example.com only (no second one for
 * example.org). */
static const SimTestNodeSpec vhost_one_cert[] = {
    { .name = "v", .host = "v.example.com", .ip = "192.0.2.1",
      .domains = { "example.com", "example.org", NULL },
      .san = { "URI:sip:example.com", "URI:sip:v.example.com", NULL } },
    NODE_B(),
};

/* Issue 12: `reuse` replaces its tuple's row only once the new connection
 * has authenticated.  B calls example.com (connection 1, the row), then
 * example.org on the same tuple: the row does not prove it, so a second
 * connection opens with SNI example.org and fails authentication (V
 * cannot prove it: the call fails, one failed handshake); the row stays,
 * and B's next call to example.com rides it: 2 connections opened, not 3
 * (the old row was retired before the new one authenticated). */
static void
test_reuse_replace_after_auth(void)
{
    SimTestWorld *w = world(&sim_transport_tls, &sim_strategy_reuse, 13,
                            vhost_one_cert, 2);
    sim_test_call(w, 1, "example.com", SIM_S(100), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(1));
    sim_test_call(w, 1, "example.org", SIM_S(100), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(2));
    g_assert_cmpuint(ctr(w, "handshakes.failed"), ==, 1);
    g_assert_cmpuint(ctr(w, "sip.connections.retired"), ==, 0);
    sim_test_call(w, 1, "example.com", SIM_S(100), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(3));
    g_assert_cmpuint(ctr(w, "node.b.sip.connections.opened"), ==, 2);
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 2);
    g_assert_cmpuint(ctr(w, "calls.failed"), ==, 1);
    g_assert_cmpuint(open_conns(w, 1), ==, 1);
    sim_test_world_free(w);
}

/* Issue 12, item 6: failover and blacklisting by cause (RFC 3263 4.3).
 * v (priority 10) and w (priority 20) both serve example.com and
 * example.org; v's certificate proves example.com only.  B calls
 * example.org: v fails to authenticate as it, the call fails over to w
 * (one failover, counted as an authentication one) and completes.  B then
 * calls example.com: v failed for example.org only, so it is still first
 * for example.com and takes the call (with v blacklisted as a whole, w
 * would have).  Then v crashes: B's next example.com call times out on v
 * (a transport failure), fails over to w, and v is now last for every
 * name: the following example.org call goes straight to w. */
static const SimTestNodeSpec failover_by_cause[] = {
    { .name = "v", .host = "v.example.com", .ip = "192.0.2.1",
      .domains = { "example.com", "example.org", NULL },
      .san = { "URI:sip:example.com", "URI:sip:v.example.com", NULL },
      .priority = 10 },
    { .name = "w", .host = "w.example.com", .ip = "192.0.2.2",
      .domains = { "example.com", "example.org", NULL },
      .san = { "URI:sip:example.com", "URI:sip:example.org",
               "URI:sip:w.example.com", NULL },
      .priority = 20 },
    NODE_B(),
};

static void
test_failover_by_cause(void)
{
    SimTestWorld *w = world(&sim_transport_tls, &sim_strategy_rfc3261, 13,
                            failover_by_cause, 3);
    sim_test_call(w, 2, "example.org", SIM_S(1), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(5));
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 1);
    g_assert_cmpuint(ctr(w, "requests.failover"), ==, 1);
    g_assert_cmpuint(ctr(w, "requests.failover.auth"), ==, 1);
    g_assert_cmpuint(ctr(w, "node.w.calls.received"), ==, 1);
    sim_test_call(w, 2, "example.com", SIM_S(1), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(10));
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 2);
    g_assert_cmpuint(ctr(w, "requests.failover"), ==, 1);
    g_assert_cmpuint(ctr(w, "node.v.calls.received"), ==, 1);
    sim_proxy_crash(w->nodes[0].proxy);
    sim_test_call(w, 2, "example.com", SIM_S(1), SIM_BYE_FROM_CALLER);
    /* Timer B (64*T1 = 32 s) on v, then w answers. */
    run_to(w, SIM_S(50));
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 3);
    g_assert_cmpuint(ctr(w, "requests.failover"), ==, 2);
    g_assert_cmpuint(ctr(w, "requests.failover.auth"), ==, 1);
    g_assert_cmpuint(ctr(w, "node.w.calls.received"), ==, 2);
    sim_test_call(w, 2, "example.org", SIM_S(1), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(55));
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 4);
    g_assert_cmpuint(ctr(w, "requests.failover"), ==, 2);
    g_assert_cmpuint(ctr(w, "node.w.calls.received"), ==, 3);
    sim_test_world_free(w);
}

/* Scenario 29 as SPEC words it: V connects to B as example.com (alias row
 * at B); B then calls example.org on the same tuple: the row does not
 * prove it, so a new connection with SNI example.org opens (Conns = 2); a
 * later call to example.com rides the alias (Conns stays 2). */
static void
run_scenario29(const SimStrategyOps *s)
{
    SimTestWorld *w = world(&sim_transport_tls, s, 13, vhost_split, 2);
    sim_test_call(w, 0, "example.net", SIM_S(100), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(1));
    g_assert_cmpuint(sim_conntab_n_rows(sim_test_tab(w, 1)), ==, 1);
    guint64 sni0 = ctr(w, "tls.sni_sent");
    sim_test_call(w, 1, "example.org", SIM_S(100), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(2));
    g_assert_cmpuint(ctr(w, "sip.connections.opened"), ==, 2);
    g_assert_cmpuint(ctr(w, "tls.sni_sent"), ==, sni0 + 1);
    sim_test_call(w, 1, "example.com", SIM_S(100), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(3));
    g_assert_cmpuint(ctr(w, "sip.connections.opened"), ==, 2);
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 3);
    g_assert_cmpuint(ctr(w, "requests.hijacked"), ==, 0);
    /* The SNI connection succeeded: V answered it with its second
     * certificate, which proves example.org (R17). */
    g_assert_cmpuint(ctr(w, "handshakes.failed"), ==, 0);
    g_assert_cmpuint(ctr(w, "requests.failover"), ==, 0);
    g_assert_cmpuint(ctr(w, "node.v.calls.received"), ==, 2);
    sim_test_world_free(w);
}

static void
test_vhost_scenario29(void)
{
    run_scenario29(&sim_strategy_virtual_server);
    run_scenario29(&sim_strategy_reuse);
}

/* Scenario 30: as 29, but V's certificate proves both domains (DC 7.8):
 * B's calls to example.org and example.com both ride the alias row of
 * V's one connection: Conns = 1, no SNI beyond V's own handshake. */
static void
run_scenario30(const SimStrategyOps *s)
{
    SimTestWorld *w = world(&sim_transport_tls, s, 13, vhost_both, 2);
    sim_test_call(w, 0, "example.net", SIM_S(100), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(1));
    g_assert_cmpuint(sim_conntab_n_rows(sim_test_tab(w, 1)), ==, 1);
    guint64 sni0 = ctr(w, "tls.sni_sent");
    sim_test_call(w, 1, "example.org", SIM_S(100), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(2));
    sim_test_call(w, 1, "example.com", SIM_S(100), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(3));
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 3);
    g_assert_cmpuint(ctr(w, "sip.connections.opened"), ==, 1);
    g_assert_cmpuint(ctr(w, "tls.sni_sent"), ==, sni0);
    /* Each call's INVITE and ACK rode the alias. */
    g_assert_cmpuint(ctr(w, "alias.hits"), ==, 4);
    g_assert_cmpuint(ctr(w, "requests.hijacked"), ==, 0);
    sim_test_world_free(w);
}

static void
test_vhost_scenario30(void)
{
    run_scenario30(&sim_strategy_virtual_server);
    run_scenario30(&sim_strategy_reuse);
}

/* Scenario 31: over TCP no strategy reuses across or within domains
 * (two-connection: B's backward requests ride B's own connection). */
static void
test_vhost_tcp(void)
{
    SimTestWorld *w = world(&sim_transport_tcp, &sim_strategy_two_connection,
                            13, vhost_split, 2);
    sim_test_call(w, 0, "example.net", SIM_S(100), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(1));
    sim_test_call(w, 1, "example.org", SIM_S(100), SIM_BYE_FROM_CALLER);
    sim_test_call(w, 1, "example.com", SIM_S(100), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(3));
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 3);
    g_assert_cmpuint(ctr(w, "alias.hits"), ==, 0);
    g_assert_cmpuint(ctr(w, "requests.hijacked"), ==, 0);
    /* V's connection to B plus B's proactive one to V. */
    g_assert_cmpuint(ctr(w, "sip.connections.opened"), ==, 2);
    sim_test_world_free(w);
}

/* ------------------------------------------------------------------ */
/* Core reuse                                                          */

static const SimTestNodeSpec pair[] = { NODE_A(), NODE_B() };

/* Scenario 5: 100 dialogs over 10 min, alternately started by A and B,
 * caller hangs up after 1 s. */
static void
run_many(const SimTransportOps *t, const SimStrategyOps *s, guint64 conns,
         guint64 handshakes)
{
    SimTestWorld *w = world(t, s, 13, pair, 2);
    for (guint i = 0; i < 100; i++) {
        run_to(w, SIM_S(6) * i);
        sim_test_call(w, i % 2, i % 2 ? "example.com" : "example.net",
                      SIM_S(1), SIM_BYE_FROM_CALLER);
    }
    run_to(w, SIM_S(610));
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 100);
    g_assert_cmpuint(ctr(w, "bye.completed"), ==, 100);
    g_assert_cmpuint(ctr(w, "sip.connections.opened"), ==, conns);
    if (handshakes)
        g_assert_cmpuint(ctr(w, "handshakes.tls_full") +
                             ctr(w, "handshakes.tls_resumed"),
                         ==, handshakes);
    sim_test_world_free(w);
}

static void
test_many_dialogs(void)
{
    run_many(&sim_transport_tls, &sim_strategy_reuse, 1, 1);
    run_many(&sim_transport_tls, &sim_strategy_rfc3261, 2, 2);
    run_many(&sim_transport_tcp, &sim_strategy_two_connection, 2, 0);
}

/* Scenario 6: A listens on 5071, advertised in Via and SRV: B's row port
 * is 5071 and B's BYE reuses it: Conns = 1. */
static void
test_port_5071(void)
{
    static const SimTestNodeSpec specs[] = { NODE_A(.port = 5071), NODE_B() };
    SimTestWorld *w = world(&sim_transport_tls, &sim_strategy_reuse, 13,
                            specs, 2);
    sim_test_call(w, 0, "example.net", SIM_S(2), SIM_BYE_FROM_CALLEE);
    run_to(w, SIM_S(1));
    const SimAliasRow *row = sim_conntab_row(sim_test_tab(w, 1), 0);
    g_assert_cmpuint(row->tuple.port, ==, 5071);
    run_to(w, SIM_S(10));
    g_assert_cmpuint(ctr(w, "bye.completed"), ==, 1);
    g_assert_cmpuint(ctr(w, "alias.hits"), ==, 1);
    g_assert_cmpuint(ctr(w, "sip.connections.opened"), ==, 1);
    sim_test_world_free(w);
}

/* ------------------------------------------------------------------ */
/* Authentication and identity                                         */

/* A call from A, BYE by B over Record-Route @rr; returns alias hits. */
static SimTestWorld *
run_backward(const SimTestNodeSpec *specs)
{
    SimTestWorld *w = world(&sim_transport_tls, &sim_strategy_reuse, 13,
                            specs, 2);
    sim_test_call(w, 0, "example.net", SIM_S(2), SIM_BYE_FROM_CALLEE);
    run_to(w, SIM_S(40));
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 1);
    g_assert_cmpuint(ctr(w, "requests.hijacked"), ==, 0);
    return w;
}

/* Scenario 10: A's certificate proves only other.org.  With B's D3 check
 * off a row holds {other.org}; B's BYE for example.com fails R12(b), so B
 * opens its own connection (whose authentication of A then fails: R15). */
static void
test_identity_other_org(void)
{
    static const SimTestNodeSpec specs[] = {
        NODE_A_SAN(.san = { "URI:sip:other.org", NULL }),
        NODE_B(.no_insert_check = TRUE),
    };
    SimTestWorld *w = world(&sim_transport_tls, &sim_strategy_reuse, 13,
                            specs, 2);
    sim_test_call(w, 0, "example.net", SIM_S(2), SIM_BYE_FROM_CALLEE);
    run_to(w, SIM_S(1));
    const SimAliasRow *row = sim_conntab_row(sim_test_tab(w, 1), 0);
    g_assert_true(sim_peer_id_matches(row->ids, "other.org"));
    g_assert_false(sim_peer_id_matches(row->ids, "example.com"));
    run_to(w, SIM_S(40));
    g_assert_cmpuint(ctr(w, "alias.hits"), ==, 0);
    g_assert_cmpuint(ctr(w, "node.b.sip.connections.opened"), ==, 1);
    g_assert_cmpuint(ctr(w, "handshakes.failed"), >=, 1);
    g_assert_cmpuint(ctr(w, "requests.hijacked"), ==, 0);
    sim_test_world_free(w);
    /* With the D3 check on, no row at all (INVITE and ACK refused). */
    static const SimTestNodeSpec strict[] = {
        NODE_A_SAN(.san = { "URI:sip:other.org", NULL }), NODE_B(),
    };
    w = run_backward(strict);
    g_assert_cmpuint(ctr(w, "alias.rejected.sent-by-not-in-cert"), ==, 2);
    sim_test_world_free(w);
}

/* Scenario 11: only DNS:p1.example.com, so the identity set is
 * {p1.example.com}: a BYE routed by Record-Route sips:p1.example.com
 * (the default: a node Record-Routes with its own host) reuses; one
 * routed to example.com (record-route = domain) does not (and fails
 * R15). */
static void
test_identity_dns_name(void)
{
    static const SimTestNodeSpec by_host[] = {
        NODE_A_SAN(.san = { "DNS:p1.example.com", NULL },
               .rr_host = "p1.example.com"),
        NODE_B(),
    };
    SimTestWorld *w = run_backward(by_host);
    g_assert_cmpuint(ctr(w, "alias.hits"), ==, 1);
    g_assert_cmpuint(ctr(w, "bye.completed"), ==, 1);
    g_assert_cmpuint(ctr(w, "sip.connections.opened"), ==, 1);
    sim_test_world_free(w);
    static const SimTestNodeSpec by_domain[] = {
        NODE_A_SAN(.san = { "DNS:p1.example.com", NULL },
                   .rr_host = "example.com"),
        NODE_B(),
    };
    w = run_backward(by_domain);
    g_assert_cmpuint(ctr(w, "alias.hits"), ==, 0);
    g_assert_cmpuint(ctr(w, "node.b.sip.connections.opened"), ==, 1);
    g_assert_cmpuint(ctr(w, "bye.completed"), ==, 0);
    sim_test_world_free(w);
}

/* Scenario 14: identity example.com does not prove foo.example.com (no
 * suffix match); scenario 15: EXAMPLE.com proves example.COM. */
static void
test_identity_suffix_case(void)
{
    static const SimTestNodeSpec suffix[] = {
        NODE_A(.rr_host = "foo.example.com"), NODE_B(),
    };
    SimTestWorld *w = run_backward(suffix);
    g_assert_cmpuint(ctr(w, "alias.hits"), ==, 0);
    g_assert_cmpuint(ctr(w, "node.b.sip.connections.opened"), ==, 1);
    sim_test_world_free(w);
    static const SimTestNodeSpec upper[] = {
        NODE_A_SAN(.san = { "URI:sip:EXAMPLE.com", "URI:sip:p1.example.com",
                        NULL },
               .rr_host = "example.COM"),
        NODE_B(),
    };
    w = run_backward(upper);
    g_assert_cmpuint(ctr(w, "alias.hits"), ==, 1);
    g_assert_cmpuint(ctr(w, "bye.completed"), ==, 1);
    g_assert_cmpuint(ctr(w, "sip.connections.opened"), ==, 1);
    sim_test_world_free(w);
}

/* Scenario 16: A Record-Routes sips:example.com and its certificate
 * proves it: the BYE reuses, Conns = 1. */
static void
test_identity_record_route(void)
{
    SimTestWorld *w = run_backward(pair);
    g_assert_cmpuint(ctr(w, "alias.hits"), ==, 1);
    g_assert_cmpuint(ctr(w, "sip.connections.opened"), ==, 1);
    sim_test_world_free(w);
}

/* The connection A opened (its first record). */
static SimConn *
first_conn(SimTestWorld *w, guint i)
{
    SimProxyConn *pc = sim_conntab_first(sim_test_tab(w, i));
    g_assert_nonnull(pc);
    return pc->conn;
}

/* Scenario 17: TLS 1.3 resumption: the second connection's handshake has
 * no CertificateRequest, yet B builds the row from the session's stored
 * client identity. */
static void
test_resumed_row(void)
{
    SimTestWorld *w = world(&sim_transport_tls, &sim_strategy_reuse, 13,
                            pair, 2);
    sim_test_call(w, 0, "example.net", SIM_MS(500), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(2));
    sim_conn_close(first_conn(w, 0));
    run_to(w, SIM_S(3));
    g_assert_cmpuint(sim_conntab_n_rows(sim_test_tab(w, 1)), ==, 0);
    sim_test_call(w, 0, "example.net", SIM_MS(500), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(5));
    g_assert_cmpuint(ctr(w, "handshakes.tls_resumed"), ==, 1);
    g_assert_cmpuint(ctr(w, "tls.certificate_requests"), ==, 1);
    g_assert_cmpuint(ctr(w, "alias.added"), ==, 2);
    const SimAliasRow *row = sim_conntab_row(sim_test_tab(w, 1), 0);
    g_assert_true(sim_peer_id_matches(row->ids, "example.com"));
    sim_test_world_free(w);
}

/* ------------------------------------------------------------------ */
/* Lifetime                                                            */

/* Scenario 18: A closes the aliased connection; B's row goes; B's BYE
 * opens a new connection (+1) and is delivered. */
static void
test_close_purges_row(void)
{
    SimTestWorld *w = world(&sim_transport_tls, &sim_strategy_reuse, 12,
                            pair, 2);
    sim_test_call(w, 0, "example.net", SIM_S(5), SIM_BYE_FROM_CALLEE);
    run_to(w, SIM_S(1));
    g_assert_cmpuint(sim_conntab_n_rows(sim_test_tab(w, 1)), ==, 1);
    sim_conn_close(first_conn(w, 0));
    run_to(w, SIM_S(2));
    g_assert_cmpuint(sim_conntab_n_rows(sim_test_tab(w, 1)), ==, 0);
    run_to(w, SIM_S(40));
    g_assert_cmpuint(ctr(w, "sip.connections.opened"), ==, 2);
    g_assert_cmpuint(ctr(w, "node.b.sip.connections.opened"), ==, 1);
    g_assert_cmpuint(ctr(w, "bye.completed"), ==, 1);
    g_assert_cmpuint(ctr(w, "calls.teardown_failed"), ==, 0);
    sim_test_world_free(w);
}

/* Steps @w one event at a time until node @i's alias table has @n rows,
 * and returns the time it did. */
static SimTime
step_until_rows(SimTestWorld *w, guint i, guint n, SimTime horizon)
{
    while (sim_conntab_n_rows(sim_test_tab(w, i)) != n) {
        g_assert_true(sim_evq_step(w->ctx.evq));
        g_assert_cmpuint(sim_evq_now(w->ctx.evq), <=, horizon);
    }
    return sim_evq_now(w->ctx.evq);
}

static SimTime step_until_count(SimTestWorld *w, const char *name,
                                SimTime horizon);

/* Scenario 19 (R20, RFC 5923 8.3), reuse over TLS 1.3.  A's call to B
 * aliases A's connection (its ACK is at B at 7R/2); at 1 s B calls A over
 * that alias, and A, the callee, will answer 5 s after the INVITE arrives
 * (1 s + R/2).  At 2 s A reclaims the connection: it starts no new
 * transaction there and its close waits for B's INVITE exchange, so B's
 * row stays.  A's 200 leaves at t_a = 6 s + R/2 and B's ACK is back at
 * t_a + R: only then does A send its close_notify, which reaches B at
 * t_a + 3R/2, when B's row goes.  B's next call starts at t_a + 5R/4,
 * while the alert is on its way, so its INVITE still takes the alias
 * and A discards it (after its own alert it discards what comes); on
 * the alert B starts the INVITE again on a new connection to A (a full
 * TLS 1.3 handshake, k = 2): it reaches A at t_a + 3R/2 + 5R/2.  One more
 * connection opened, no request lost, nothing failed over. */
static void
test_close_graceful(void)
{
    const SimTime t_a = SIM_S(6) + RTT / 2;
    SimTestWorld *w = world(&sim_transport_tls, &sim_strategy_reuse, 13,
                            pair, 2);
    sim_test_call(w, 0, "example.net", SIM_S(100), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(1));
    g_assert_cmpuint(sim_conntab_n_rows(sim_test_tab(w, 1)), ==, 1);
    SimCallParams c = { .to_domain = "example.com", .hold = SIM_S(100),
                        .answer_delay = SIM_S(5),
                        .bye_by = SIM_BYE_FROM_CALLER };
    sim_ua_originate_call(w->nodes[1].ua, &c);
    run_to(w, SIM_S(2));
    g_assert_cmpuint(ctr(w, "node.a.calls.received"), ==, 1);
    SimConnTab *a = sim_test_tab(w, 0);
    sim_conntab_reclaim(a, sim_conntab_first(a));
    sim_test_call_at(w, t_a + 5 * RTT / 4, 1, "example.com", SIM_S(100),
                     SIM_BYE_FROM_CALLER);
    run_to(w, t_a - 1);
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 1);
    g_assert_cmpuint(sim_conntab_n_rows(sim_test_tab(w, 1)), ==, 1);
    g_assert_cmpuint(open_conns(w, 1), ==, 1);
    SimTime at = step_until_rows(w, 1, 0, t_a + SIM_S(1));
    g_assert_cmpuint(at, ==, t_a + 3 * RTT / 2);
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 2);
    /* B's first INVITE and its ACK. */
    g_assert_cmpuint(ctr(w, "node.a.requests.received"), ==, 2);
    at = step_until_count(w, "node.a.calls.received", t_a + SIM_S(1));
    g_assert_cmpuint(at, ==, t_a + 3 * RTT / 2 + 5 * RTT / 2);
    /* The copy A discarded never reached its SIP layer. */
    g_assert_cmpuint(ctr(w, "node.a.requests.received"), ==, 3);
    run_to(w, SIM_S(20));
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 3);
    g_assert_cmpuint(ctr(w, "calls.failed"), ==, 0);
    g_assert_cmpuint(ctr(w, "requests.failover"), ==, 0);
    g_assert_cmpuint(ctr(w, "node.b.sip.connections.opened"), ==, 1);
    g_assert_cmpuint(ctr(w, "sip.connections.opened"), ==, 2);
    g_assert_cmpuint(ctr(w, "sip.connections.drained"), ==, 1);
    g_assert_cmpuint(ctr(w, "sip.connections.drain_abandoned"), ==, 0);
    g_assert_cmpuint(ctr(w, "responses.r28_fallback"), ==, 0);
    sim_test_world_free(w);
}

/* Scenario 18 with the close an aliased connection now gets (D8): reuse
 * over TLS 1.3, idle timeout 2 s, so the aliased connection of A's call
 * (B's BYE rides it) idles out 64*T1 = 32 s after its last message.  Its
 * last message at B is the BYE's 200, at t_bye; A's, the 200 leaving, at
 * t_bye - R/2.  Whichever end's timer acts, B's row goes at t_bye + 64*T1:
 * B's own timer fires then, and A's close_notify, sent 64*T1 after
 * t_bye - R/2, arrives then.  Both ends close gracefully (drained, none
 * abandoned).  B's next call, at 40 s, opens a new connection (+1) and
 * completes; nothing failed or failed over. */
static void
test_close_notify_idle(void)
{
    SimTestWorldOpts o = { .transport = &sim_transport_tls,
                           .strategy = &sim_strategy_reuse,
                           .one_way = ONE_WAY, .idle_timeout = SIM_S(2) };
    SimTestWorld *w = sim_test_world_new_opts(&o, pair, 2);
    sim_test_call(w, 0, "example.net", SIM_S(1), SIM_BYE_FROM_CALLEE);
    SimTime t_bye = step_until_count(w, "bye.completed", SIM_S(5));
    g_assert_cmpuint(ctr(w, "alias.hits"), >=, 1);
    g_assert_cmpuint(sim_conntab_n_rows(sim_test_tab(w, 1)), ==, 1);
    SimTime at = step_until_rows(w, 1, 0, SIM_S(40));
    g_assert_cmpuint(at, ==, t_bye + 64 * T1);
    run_to(w, t_bye + 64 * T1 + RTT);
    g_assert_cmpuint(open_conns(w, 0), ==, 0);
    g_assert_cmpuint(open_conns(w, 1), ==, 0);
    g_assert_cmpuint(ctr(w, "sip.connections.drained"), >=, 1);
    g_assert_cmpuint(ctr(w, "sip.connections.drain_abandoned"), ==, 0);
    sim_test_call_at(w, SIM_S(40), 1, "example.com", SIM_S(1),
                     SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(50));
    g_assert_cmpuint(ctr(w, "node.b.sip.connections.opened"), ==, 1);
    g_assert_cmpuint(ctr(w, "sip.connections.opened"), ==, 2);
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 2);
    g_assert_cmpuint(ctr(w, "bye.completed"), ==, 2);
    g_assert_cmpuint(ctr(w, "calls.failed"), ==, 0);
    g_assert_cmpuint(ctr(w, "requests.failover"), ==, 0);
    g_assert_cmpuint(ctr(w, "calls.teardown_failed"), ==, 0);
    sim_test_world_free(w);
}

/* The idle close is graceful too (R20): idle timeout 2 s, rfc3261 over
 * TLS, B answers 5 s after the INVITE arrives.  Both ends' idle timers
 * expire while the INVITE is pending; each waits for it (A for its
 * client transaction, B for the ACK of its 200) instead of cutting the
 * connection, so B's 200 needs no R28 fallback connection.  A's close
 * follows the 200 (the ACK of a 2xx is a transaction of its own, RFC 3261
 * 17.1.1.3, and takes a new connection); B's follows that ACK. */
static void
test_idle_graceful(void)
{
    SimTestWorldOpts o = { .transport = &sim_transport_tls,
                           .strategy = &sim_strategy_rfc3261,
                           .one_way = ONE_WAY, .idle_timeout = SIM_S(2) };
    SimTestWorld *w = sim_test_world_new_opts(&o, pair, 2);
    SimCallParams c = { .to_domain = "example.net", .hold = SIM_S(1),
                        .answer_delay = SIM_S(5),
                        .bye_by = SIM_BYE_FROM_CALLER };
    sim_ua_originate_call(w->nodes[0].ua, &c);
    run_to(w, SIM_S(20));
    g_assert_cmpuint(ctr(w, "responses.r28_fallback"), ==, 0);
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 1);
    g_assert_cmpuint(ctr(w, "bye.completed"), ==, 1);
    g_assert_cmpuint(ctr(w, "sip.connections.drained"), >=, 2);
    g_assert_cmpuint(ctr(w, "sip.connections.drain_abandoned"), ==, 0);
    g_assert_cmpuint(ctr(w, "calls.teardown_failed") +
                         ctr(w, "calls.callee_expired"),
                     ==, 0);
    sim_test_world_free(w);
}

/* Scenario 21, as issue 12 has it: idle timeout @idle, one call whose
 * BYE ends by about 1.2 s, then silence; open connections at A and B at
 * @at.  BASE closes both @idle after the last message; REUSE's aliased
 * connection idles out like them, but never sooner than 64*T1 = 32 s
 * after its last message (R26), where SPEC scenario 21 kept it for good
 * (R4). */
static void
run_idle(const SimStrategyOps *s, SimTime idle, SimTime at, guint a_open,
         guint b_open)
{
    SimTestWorldOpts o = { .transport = &sim_transport_tls, .strategy = s,
                           .one_way = ONE_WAY, .idle_timeout = idle };
    SimTestWorld *w = sim_test_world_new_opts(&o, pair, 2);
    sim_test_call(w, 0, "example.net", SIM_S(1), SIM_BYE_FROM_CALLEE);
    run_to(w, at);
    g_assert_cmpuint(ctr(w, "bye.completed"), ==, 1);
    g_assert_cmpuint(open_conns(w, 0), ==, a_open);
    g_assert_cmpuint(open_conns(w, 1), ==, b_open);
    sim_test_world_free(w);
}

static void
test_idle(void)
{
    run_idle(&sim_strategy_rfc3261, SIM_S(32), SIM_S(62), 0, 0);
    run_idle(&sim_strategy_reuse, SIM_S(32), SIM_S(62), 0, 0);
    /* Idle timeout 2 s: BASE closes at about 3.2 s; the aliased
     * connection lasts until about 33.2 s (64*T1 after the BYE). */
    run_idle(&sim_strategy_rfc3261, SIM_S(2), SIM_S(20), 0, 0);
    run_idle(&sim_strategy_reuse, SIM_S(2), SIM_S(20), 1, 1);
    run_idle(&sim_strategy_reuse, SIM_S(2), SIM_S(40), 0, 0);
}

/* Scenario 22 (R28): the INVITE's connection dies after the 180, before
 * B answers (answer delay 2 s): B opens a connection to the received IP at
 * the sent-by port and the 200 arrives there; +1 connection. */
static void
test_r28_fallback(void)
{
    SimTestWorld *w = world(&sim_transport_tls, &sim_strategy_rfc3261, 13,
                            pair, 2);
    SimCallParams c = { .to_domain = "example.net", .hold = SIM_S(1),
                        .answer_delay = SIM_S(2),
                        .bye_by = SIM_BYE_FROM_CALLER };
    sim_ua_originate_call(w->nodes[0].ua, &c);
    run_to(w, SIM_S(1));
    sim_conn_close(first_conn(w, 0));
    run_to(w, SIM_S(10));
    g_assert_cmpuint(ctr(w, "responses.r28_fallback"), ==, 1);
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 1);
    g_assert_cmpuint(ctr(w, "node.b.sip.connections.opened"), ==, 1);
    g_assert_cmpuint(ctr(w, "bye.completed"), ==, 1);
    sim_test_world_free(w);
}

/* ------------------------------------------------------------------ */
/* TCP and SCTP without TLS                                            */

/* Scenario 23: A wrongly sends ;alias over TCP; B ignores it (R7):
 * Conns = 2 and the call succeeds.  `reuse` itself refuses TCP (R3). */
static void
test_tcp_alias_ignored(void)
{
    static const SimTestNodeSpec specs[] = {
        NODE_A(.strategy = &sim_strategy_reuse_unauthenticated), NODE_B(),
    };
    SimTestWorld *w = world(&sim_transport_tcp, &sim_strategy_rfc3261, 13,
                            specs, 2);
    sim_test_call(w, 0, "example.net", SIM_S(1), SIM_BYE_FROM_CALLEE);
    run_to(w, SIM_S(10));
    g_assert_cmpuint(ctr(w, "bye.completed"), ==, 1);
    g_assert_cmpuint(ctr(w, "alias.added"), ==, 0);
    g_assert_cmpuint(ctr(w, "alias.rejected"), ==, 2);
    g_assert_cmpuint(ctr(w, "sip.connections.opened"), ==, 2);
    sim_test_world_free(w);
    g_assert_false(sim_strategy_applicable(&sim_strategy_reuse,
                                           SIM_TRANSPORT_TCP));
}

/* Scenario 25: two-connection over SCTP: B opens its association toward
 * A on first contact; Conns = 2. */
static void
test_sctp_two_connection(void)
{
    SimTestWorld *w = world(&sim_transport_sctp,
                            &sim_strategy_two_connection, 13, pair, 2);
    sim_test_call(w, 0, "example.net", SIM_S(5), SIM_BYE_FROM_CALLEE);
    run_to(w, SIM_S(1));
    g_assert_cmpuint(ctr(w, "node.b.sip.connections.opened"), ==, 1);
    run_to(w, SIM_S(20));
    g_assert_cmpuint(ctr(w, "bye.completed"), ==, 1);
    g_assert_cmpuint(ctr(w, "sip.connections.opened"), ==, 2);
    sim_test_world_free(w);
}

/* The streams A's INVITEs went on. */
typedef struct {
    SimIp a;
    guint stream[4];
    guint n;
} InviteStreams;

static void
log_invite_streams(const SimConn *c, const SimSipMsg *m, gpointer data)
{
    InviteStreams *l = data;
    if (m->is_request && m->method == SIM_SIP_INVITE && c->local.ip == l->a &&
        l->n < G_N_ELEMENTS(l->stream))
        l->stream[l->n++] = sim_proxy_stream(c, m);
}

/* Drops the first packet @from sends at or after @at. */
typedef struct {
    SimEvq *q;
    SimIp from;
    SimTime at;
    gboolean done;
} DropFirstAfter;

static gboolean
drop_first_after(SimNet *net, const SimPacket *pkt, gpointer data)
{
    DropFirstAfter *d = data;
    if (d->done || pkt->src != d->from || sim_evq_now(d->q) < d->at)
        return FALSE;
    d->done = TRUE;
    return TRUE;
}

/* SCTP streams against TCP's head-of-line blocking (SPEC 3.5, RFC 4168).
 * A first call opens the connection (and stays up).  At t0 = 1 s A starts
 * call X, whose INVITE (the packet A sends at t0) is lost; 10 ms later
 * call Y.  Nothing is in flight before t0, so X's loss is repaired by the
 * retransmission timer, RTO = 1 s (RFC 6298 / RFC 9260 minimum; SRTT +
 * 4 RTTVAR is below it with R = 100 ms): X reaches B at t0 + 1 s + R/2.
 * Y's INVITE alone cannot trigger a fast retransmit.  Over SCTP, Y's
 * Call-ID maps to another stream than X's, so Y is delivered as it
 * arrives, at t0 + 10 ms + R/2, while X is being retransmitted; over
 * TCP, one byte stream, Y waits for X: both at t0 + 1 s + R/2. */
static void
run_stream_hol(const SimTransportOps *t, SimTime y_at)
{
    const SimTime t0 = SIM_S(1), rto = SIM_S(1);
    InviteStreams l = { .a = sim_test_ip("192.0.2.1") };
    SimTestWorldOpts o = { .transport = t, .strategy = &sim_strategy_rfc3261,
                           .one_way = ONE_WAY, .trace = log_invite_streams,
                           .trace_data = &l };
    SimTestWorld *w = sim_test_world_new_opts(&o, pair, 2);
    DropFirstAfter d = { w->ctx.evq, l.a, t0, FALSE };
    sim_net_set_drop_hook(w->net, drop_first_after, &d);
    sim_test_call(w, 0, "example.net", SIM_S(100), SIM_BYE_FROM_CALLER);
    sim_test_call_at(w, t0, 0, "example.net", SIM_S(100),
                     SIM_BYE_FROM_CALLER);
    sim_test_call_at(w, t0 + SIM_MS(10), 0, "example.net", SIM_S(100),
                     SIM_BYE_FROM_CALLER);
    run_to(w, t0 - 1);
    g_assert_cmpuint(ctr(w, "node.b.calls.received"), ==, 1);
    g_assert_false(d.done);
    SimTime first = step_until_count(w, "node.b.calls.received",
                                     t0 + SIM_S(3));
    g_assert_cmpuint(first, ==, y_at);
    SimTime second = first;
    if (ctr(w, "node.b.calls.received") < 3)
        second = step_until_count(w, "node.b.calls.received",
                                  t0 + SIM_S(3));
    g_assert_cmpuint(second, ==, t0 + rto + RTT / 2);
    g_assert_true(d.done);
    run_to(w, SIM_S(10));
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 3);
    g_assert_cmpuint(ctr(w, "sip.retransmissions"), ==, 0);
    if (t->kind == SIM_TRANSPORT_SCTP) {
        g_assert_cmpuint(l.n, ==, 3);
        g_assert_cmpuint(l.stream[1], !=, l.stream[2]);
        g_assert_cmpuint(ctr(w, "sctp.t3_expiries"), ==, 1);
        g_assert_cmpuint(ctr(w, "sctp.fast_retransmits"), ==, 0);
    }
    sim_test_world_free(w);
}

static void
test_sctp_streams(void)
{
    const SimTime t0 = SIM_S(1);
    run_stream_hol(&sim_transport_sctp, t0 + SIM_MS(10) + RTT / 2);
    run_stream_hol(&sim_transport_tcp, t0 + SIM_S(1) + RTT / 2);
}

/* Scenario 26 over TLS: rogue M claims p1.example.com;alias but its
 * certificate proves evil.org: no row, 0 hijacked. */
static void
test_t1_tls(void)
{
    static const SimTestNodeSpec specs[] = {
        NODE_A(), NODE_B(),
        { .name = "m", .host = "m.evil.org", .ip = "192.0.4.33",
          .domains = { "evil.org", NULL },
          .san = { "URI:sip:evil.org", NULL },
          .spoof_as = "p1.example.com" },
    };
    SimTestWorld *w = world(&sim_transport_tls, &sim_strategy_reuse, 13,
                            specs, 3);
    sim_test_call(w, 2, "example.net", SIM_S(100), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(1));
    for (guint i = 0; i < 10; i++)
        sim_test_call(w, 1, "example.com", SIM_S(1), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(5));
    g_assert_cmpuint(ctr(w, "requests.hijacked"), ==, 0);
    g_assert_cmpuint(ctr(w, "node.a.calls.received"), ==, 10);
    /* M's INVITE and ACK are refused a row (D3); B holds none. */
    g_assert_cmpuint(ctr(w, "alias.rejected.sent-by-not-in-cert"), ==, 2);
    g_assert_cmpuint(sim_conntab_n_rows(sim_test_tab(w, 1)), ==, 0);
    sim_test_world_free(w);
}

/* Scenario 27 (T2): X shares A's IP and claims A's port in its Via.
 * NAIVE-NAME hijacks B's requests for example.com; two-connection and
 * reuse over TLS deliver all of them to A. */
static guint64
run_t2(const SimTransportOps *t, const SimStrategyOps *s)
{
    gboolean tls = sim_strategy_kind_is_tls(t->kind);
    SimTestNodeSpec specs[] = {
        NODE_A(), NODE_B(),
        { .name = "x", .host = "x.example.com", .ip = "192.0.2.1",
          .port = 5062, .domains = { "x.org", NULL },
          .san = { "URI:sip:x.org", NULL }, .spoof_as = "p1.example.com",
          .spoof_port = tls ? 5061 : 5060 },
    };
    SimTestWorld *w = world(t, s, 13, specs, 3);
    sim_test_call(w, 2, "example.net", SIM_S(100), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(1));
    for (guint i = 0; i < 10; i++)
        sim_test_call(w, 1, "example.com", SIM_S(1), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(5));
    guint64 h = ctr(w, "requests.hijacked");
    g_assert_cmpuint(h + ctr(w, "node.a.calls.received"), >=, 10);
    sim_test_world_free(w);
    return h;
}

static void
test_t2(void)
{
    /* 10 INVITEs and the 10 ACKs of their 404s. */
    g_assert_cmpuint(run_t2(&sim_transport_tcp,
                            &sim_strategy_reuse_unauthenticated), ==, 20);
    g_assert_cmpuint(run_t2(&sim_transport_tcp, &sim_strategy_two_connection),
                     ==, 0);
    g_assert_cmpuint(run_t2(&sim_transport_tls, &sim_strategy_reuse), ==, 0);
}

/* Scenario 28 (R21 exception): A originates from its listening port, so
 * B's DNS answer for A equals the inbound source: B reuses it, Conns = 1,
 * and its BYE counts in inbound.reuse, not in alias.hits (no alias is
 * involved); from an ephemeral port, Conns = 2. */
static void
run_r21(gboolean listen, guint64 conns)
{
    SimTestNodeSpec specs[] = { NODE_A(.source_port_listen = listen),
                                NODE_B() };
    SimTestWorld *w = world(&sim_transport_tcp, &sim_strategy_two_connection,
                            13, specs, 2);
    sim_test_call(w, 0, "example.net", SIM_S(2), SIM_BYE_FROM_CALLEE);
    run_to(w, SIM_S(10));
    g_assert_cmpuint(ctr(w, "bye.completed"), ==, 1);
    g_assert_cmpuint(ctr(w, "sip.connections.opened"), ==, conns);
    g_assert_cmpuint(ctr(w, "requests.hijacked"), ==, 0);
    g_assert_cmpuint(ctr(w, "alias.hits"), ==, 0);
    g_assert_cmpuint(ctr(w, "inbound.reuse"), ==, listen ? 1 : 0);
    sim_test_world_free(w);
}

static void
test_r21_exception(void)
{
    run_r21(TRUE, 1);
    run_r21(FALSE, 2);
}

/* ------------------------------------------------------------------ */
/* First-request arrival (38) and backward requests (24)               */

/* Steps @w one event at a time until counter @name grows, and returns
 * the time it did: with zero CPU cost, when the request arrived. */
static SimTime
step_until_count(SimTestWorld *w, const char *name, SimTime horizon)
{
    guint64 before = ctr(w, name);
    while (ctr(w, name) == before) {
        g_assert_true(sim_evq_step(w->ctx.evq));
        g_assert_cmpuint(sim_evq_now(w->ctx.evq), <=, horizon);
    }
    return sim_evq_now(w->ctx.evq);
}

/* Sum of every set-up latency recorded so far, in ns (exact: the
 * histogram keeps the exact sum). */
static double
setup_sum_ns(SimTestWorld *w)
{
    SimHistogram *h = sim_stats_histogram(w->ctx.stats, "latency.setup");
    return sim_histogram_mean(h) * (double)sim_histogram_count(h);
}

/* One row of SPEC 3.1: round trips before the opener's first SIP byte,
 * split into the transport's handshake and TLS's. */
typedef struct {
    const char *what;
    const SimTransportOps *t;
    guint tls_version;
    gboolean sctp_no_bundle;
    gboolean resumed;
    /* TCP: SYN, SYN-ACK, then data with the ACK: 1.  SCTP: INIT, INIT-ACK,
     * then DATA bundled with COOKIE-ECHO: 1; held until COOKIE-ACK: 2. */
    guint conn_rtts;
    /* TLS 1.2 full: ClientHello..ServerHelloDone, then the client's flight
     * and the server's Finished: 2 (the ClientHello rides with the
     * transport's last handshake segment).  TLS 1.2 resumed, TLS 1.3
     * full and resumed: 1 (the request rides with the client Finished). */
    guint tls_rtts;
} ArrivalCase;

static const ArrivalCase arrival_cases[] = {
    { "tcp", &sim_transport_tcp, 13, FALSE, FALSE, 1, 0 },
    { "sctp-bundled", &sim_transport_sctp, 13, FALSE, FALSE, 1, 0 },
    { "sctp-unbundled", &sim_transport_sctp, 13, TRUE, FALSE, 2, 0 },
    { "tls13-full", &sim_transport_tls, 13, FALSE, FALSE, 1, 1 },
    { "tls13-resumed", &sim_transport_tls, 13, FALSE, TRUE, 1, 1 },
    { "tls12-resumed", &sim_transport_tls, 12, FALSE, TRUE, 1, 1 },
    { "tls12-full", &sim_transport_tls, 12, FALSE, FALSE, 1, 2 },
    { "tls12-sctp-bundled", &sim_transport_tls_sctp, 12, FALSE, FALSE, 1,
      2 },
};

/* A's first INVITE on a new connection (for the resumed rows: the
 * second, after the first connection closed).  It reaches B at
 * (k + 1/2) R; the 200 (answer delay 0) is back at A at (k + 1) R. */
static void
run_arrival(const ArrivalCase *c)
{
    SimTestWorldOpts o = { .transport = c->t,
                           .strategy = &sim_strategy_rfc3261,
                           .one_way = ONE_WAY,
                           .tls_version = c->tls_version,
                           .sctp_no_bundle = c->sctp_no_bundle };
    SimTestWorld *w = sim_test_world_new_opts(&o, pair, 2);
    double sum0 = 0;
    if (c->resumed) {
        sim_test_call(w, 0, "example.net", SIM_S(100), SIM_BYE_FROM_CALLER);
        run_to(w, SIM_S(1));
        sim_conn_close(first_conn(w, 0));
        run_to(w, SIM_S(2));
        g_assert_cmpuint(open_conns(w, 0), ==, 0);
        sum0 = setup_sum_ns(w);
    }
    SimTime k = c->conn_rtts + c->tls_rtts;
    SimTime t0 = sim_evq_now(w->ctx.evq);
    sim_test_call(w, 0, "example.net", SIM_S(100), SIM_BYE_FROM_CALLER);
    SimTime at = step_until_count(w, "node.b.requests.received",
                                  t0 + SIM_S(10));
    g_test_message("%s: first request after %.1f ms", c->what,
                   (at - t0) / 1e6);
    g_assert_cmpuint(at - t0, ==, k * RTT + RTT / 2);
    run_to(w, t0 + SIM_S(10));
    g_assert_cmpfloat(setup_sum_ns(w) - sum0, ==, (double)((k + 1) * RTT));
    if (sim_strategy_kind_is_tls(c->t->kind))
        g_assert_cmpuint(ctr(w, c->resumed ? "handshakes.tls_resumed"
                                           : "handshakes.tls_full"),
                         ==, 1);
    sim_test_world_free(w);
}

/* Scenario 38: first-request arrival with R = 100 ms: TCP and SCTP
 * bundled 150, SCTP unbundled 250, TLS 1.3 full or resumed and TLS 1.2
 * resumed 250, TLS 1.2 full and TLS 1.2 over bundled SCTP 350 ms. */
static void
test_arrival(void)
{
    for (guint i = 0; i < G_N_ELEMENTS(arrival_cases); i++)
        run_arrival(&arrival_cases[i]);
}

/* Scenario 40: TCP as Linux behaves at long RTT.  R = 10 s, ten times
 * the 1 s initial RTO, so the opener's SYN times out at 1, 3 and 7 s and
 * the acceptor's SYN-ACK at 1, 3 and 7 s after it leaves, all before the
 * first answers arrive; and the first data of each side times out before
 * its ACK can come back.  Timestamps (RFC 7323 4.1) tell which SYN a
 * SYN-ACK answers, so the handshake gives an RTT sample of R and the
 * data's RTO is R + 4 R/2 = 3R, and the spurious timeouts that do fire
 * are undone (RFC 3522, RFC 5682): nothing is held back.  The first
 * INVITE then costs the round trips of scenario 38 and no more: over
 * TCP (k = 1) it reaches B at 3R/2 and its 200 is back at 2R = 20 s;
 * over TLS 1.3 (k = 2) at 5R/2 and 3R = 30 s, inside Timer B (64*T1 =
 * 32 s), where a Karn-bound RTO of 3 s once failed the call. */
static void
run_long_rtt(const SimTransportOps *t, SimTime k)
{
    const SimTime r = SIM_S(10);
    SimTestWorldOpts o = { .transport = t,
                           .strategy = &sim_strategy_rfc3261,
                           .one_way = r / 2, .tls_version = 13 };
    SimTestWorld *w = sim_test_world_new_opts(&o, pair, 2);
    sim_test_call(w, 0, "example.net", SIM_S(100), SIM_BYE_FROM_CALLER);
    SimTime at = step_until_count(w, "node.b.requests.received", 4 * r);
    g_test_message("%s: INVITE at B after %.3f s, setup %.3f s", t->name,
                   at / 1e9, setup_sum_ns(w) / 1e9);
    g_assert_cmpuint(at, ==, k * r + r / 2);
    run_to(w, SIM_S(60));
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 1);
    g_assert_cmpuint(ctr(w, "calls.failed"), ==, 0);
    g_assert_cmpfloat(setup_sum_ns(w), ==, (double)((k + 1) * r));
    g_test_message("%s: %" G_GUINT64_FORMAT " SYN retransmissions, %"
                   G_GUINT64_FORMAT " undone, %" G_GUINT64_FORMAT
                   " timeouts, %" G_GUINT64_FORMAT " fast retransmits",
                   t->name, ctr(w, "tcp.syn_retransmits"),
                   ctr(w, "tcp.spurious_undone"), ctr(w, "tcp.rto_timeouts"),
                   ctr(w, "tcp.fast_retransmits"));
    /* SYNs at 0, 1, 3, 7 s and SYN-ACKs at 5, 6, 8, 12 s (besides
     * those answering the SYN copies): six timer retransmissions.  Both
     * ends' handshake retransmissions are undone, and so is B's fast
     * retransmit, set off by the ACKs A returns for the SYN-ACK copies
     * while B's first answer is on its way; no data timeout (RTO = R + 4
     * R/2 = 30 s from the handshake's sample). */
    g_assert_cmpuint(ctr(w, "tcp.syn_retransmits"), ==, 6);
    g_assert_cmpuint(ctr(w, "tcp.fast_retransmits"), ==, 1);
    g_assert_cmpuint(ctr(w, "tcp.spurious_undone"), ==, 3);
    g_assert_cmpuint(ctr(w, "tcp.rto_timeouts"), ==, 0);
    sim_test_world_free(w);
}

static void
test_long_rtt(void)
{
    run_long_rtt(&sim_transport_tcp, 1);
    run_long_rtt(&sim_transport_tls, 2);
}

/* After A's call aliased its connection (reuse, TLS 1.3), B's call to
 * example.com rides it: its INVITE reaches A after R/2 (k = 0), the 200
 * is back after R. */
static void
test_arrival_alias(void)
{
    SimTestWorld *w = world(&sim_transport_tls, &sim_strategy_reuse, 13,
                            pair, 2);
    sim_test_call(w, 0, "example.net", SIM_S(100), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(1));
    g_assert_cmpuint(sim_conntab_n_rows(sim_test_tab(w, 1)), ==, 1);
    double sum0 = setup_sum_ns(w);
    SimTime t0 = sim_evq_now(w->ctx.evq);
    sim_test_call(w, 1, "example.com", SIM_S(100), SIM_BYE_FROM_CALLER);
    SimTime at = step_until_count(w, "node.a.requests.received",
                                  t0 + SIM_S(10));
    g_assert_cmpuint(at - t0, ==, RTT / 2);
    run_to(w, t0 + SIM_S(10));
    g_assert_cmpfloat(setup_sum_ns(w) - sum0, ==, (double)RTT);
    g_assert_cmpuint(ctr(w, "alias.hits"), >=, 1);
    g_assert_cmpuint(ctr(w, "sip.connections.opened"), ==, 1);
    sim_test_world_free(w);
}

/* Scenario 24: two-connection over TCP.  After A's first call, B has
 * opened its own connection toward A's DNS-resolved address without
 * waiting for a backward request; B's first backward request then
 * reaches A R/2 after it is sent (no handshake wait).  Conns = 2. */
static void
test_two_connection_backward(void)
{
    SimTestWorld *w = world(&sim_transport_tcp,
                            &sim_strategy_two_connection, 13, pair, 2);
    sim_test_call(w, 0, "example.net", SIM_S(100), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(1));
    g_assert_cmpuint(ctr(w, "node.b.sip.connections.opened"), ==, 1);
    g_assert_cmpuint(ctr(w, "node.a.requests.received"), ==, 0);
    double sum0 = setup_sum_ns(w);
    SimTime t0 = sim_evq_now(w->ctx.evq);
    sim_test_call(w, 1, "example.com", SIM_S(100), SIM_BYE_FROM_CALLER);
    SimTime at = step_until_count(w, "node.a.requests.received",
                                  t0 + SIM_S(10));
    g_assert_cmpuint(at - t0, ==, RTT / 2);
    run_to(w, t0 + SIM_S(10));
    g_assert_cmpfloat(setup_sum_ns(w) - sum0, ==, (double)RTT);
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 2);
    g_assert_cmpuint(ctr(w, "sip.connections.opened"), ==, 2);
    sim_test_world_free(w);
}

/* ------------------------------------------------------------------ */
/* SRV farms (32, 34, 35, 36)                                          */

#define FARM_NODE(n, addr, ...)                                             \
    { .name = "s" #n, .host = "s" #n ".example.net", .ip = addr,            \
      .domains = { "example.net", NULL }, __VA_ARGS__ }
#define FARM_SAN(n) { "URI:sip:example.net", "URI:sip:s" #n ".example.net",  \
                      NULL }

/* S1, S2, S3 at priority 10, weight 10 each, all proving example.net
 * (and their own host, the Contact that in-dialog requests go to). */
static const SimTestNodeSpec farm[] = {
    NODE_A(),
    FARM_NODE(1, "192.0.2.11", .san = FARM_SAN(1)),
    FARM_NODE(2, "192.0.2.12", .san = FARM_SAN(2)),
    FARM_NODE(3, "192.0.2.13", .san = FARM_SAN(3)),
};

/* Counter "node.<node>.peer.<ip>.sip.connections.opened". */
static guint64
peer_opened(SimTestWorld *w, const char *node, const char *ip)
{
    g_autofree char *name = g_strdup_printf(
        "node.%s.peer.%s.sip.connections.opened", node, ip);
    return ctr(w, name);
}

/* Asserts that @count successes out of @n independent trials of
 * probability @p lie within Z binomial standard deviations of n p.  Z = 4:
 * a two-sided normal tail of 6.3e-5 per count, so with a fixed seed a
 * failure means a biased draw, not bad luck. */
#define BINOMIAL_Z 4.0
static void
assert_binomial(guint64 count, guint n, double p)
{
    double mean = n * p, sd = sqrt(n * p * (1 - p));
    g_test_message("%" G_GUINT64_FORMAT " of %u, expected %.1f +- %.1f",
                   count, n, mean, BINOMIAL_Z * sd);
    g_assert_cmpfloat(count, >=, mean - BINOMIAL_Z * sd);
    g_assert_cmpfloat(count, <=, mean + BINOMIAL_Z * sd);
}

#define FARM_CALLS 3000

/* A sends @n calls to sips:example.net within 30 s, each held 1 s and
 * hung up by A; returns the world at 40 s, every call done. */
static SimTestWorld *
run_farm(const SimStrategyOps *s, gboolean rfc2782, guint n)
{
    SimTestWorldOpts o = { .transport = &sim_transport_tls, .strategy = s,
                           .one_way = ONE_WAY, .srv_rfc2782 = rfc2782 };
    SimTestWorld *w = sim_test_world_new_opts(&o, farm, G_N_ELEMENTS(farm));
    for (guint i = 0; i < n; i++)
        sim_test_call_at(w, SIM_S(30) * i / n, 0, "example.net", SIM_S(1),
                         SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(40));
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, n);
    g_assert_cmpuint(ctr(w, "bye.completed"), ==, n);
    g_assert_cmpuint(ctr(w, "requests.hijacked"), ==, 0);
    g_assert_cmpuint(ctr(w, "node.s1.calls.received") +
                         ctr(w, "node.s2.calls.received") +
                         ctr(w, "node.s3.calls.received"),
                     ==, n);
    return w;
}

/* Exactly one connection per target, all still open (R23: reuse does
 * not make the client stick to one target). */
static void
assert_farm_conns(SimTestWorld *w)
{
    g_assert_cmpuint(ctr(w, "sip.connections.opened"), ==, 3);
    for (guint i = 1; i <= 3; i++)
        g_assert_cmpuint(peer_opened(w, "a", farm[i].ip), ==, 1);
    g_assert_cmpuint(open_conns(w, 0), ==, 3);
}

/* Scenario 32: proportional selection (SPEC D4) of three weight-10
 * records gives each target p = 10/30 per INVITE; the counts are
 * binomial(3000, 1/3): 1000 +- 4 sd (sd = 25.8). */
static void
test_farm_shares(void)
{
    const SimStrategyOps *s[] = { &sim_strategy_reuse,
                                  &sim_strategy_rfc3261 };
    for (guint k = 0; k < G_N_ELEMENTS(s); k++) {
        SimTestWorld *w = run_farm(s[k], FALSE, FARM_CALLS);
        assert_farm_conns(w);
        assert_binomial(ctr(w, "node.s1.calls.received"), FARM_CALLS,
                        1.0 / 3);
        assert_binomial(ctr(w, "node.s2.calls.received"), FARM_CALLS,
                        1.0 / 3);
        assert_binomial(ctr(w, "node.s3.calls.received"), FARM_CALLS,
                        1.0 / 3);
        sim_test_world_free(w);
    }
}

/* Scenario 32, literal RFC 2782 draw over the fixed order S1, S2, S3: r is
 * uniform in [0, S] (S = 30) and the first record whose running sum
 * reaches r wins, so S1 takes r in [0, 10] (11 values), S2 (10, 20] and
 * S3 (20, 30] (10 each): 11/31, 10/31, 10/31.  With 31000 calls S1's
 * window, 11000 +- 4 sd = 337, excludes the unbiased 31000/3 = 10333, so
 * the test tells the literal draw from weight/sum (3000 could not). */
static void
test_farm_rfc2782(void)
{
    static const guint weight[] = { 10, 10, 10 };
    const guint n = 31000;
    guint sum = 0;
    for (guint i = 0; i < 3; i++)
        sum += weight[i];
    double p1 = (weight[0] + 1) / (double)(sum + 1);
    g_assert_cmpfloat(n * weight[0] / (double)sum, <,
                      n * p1 - BINOMIAL_Z * sqrt(n * p1 * (1 - p1)));
    SimTestWorld *w = run_farm(&sim_strategy_reuse, TRUE, n);
    assert_farm_conns(w);
    for (guint i = 0; i < 3; i++) {
        g_autofree char *name = g_strdup_printf("node.s%u.calls.received",
                                                i + 1);
        double p = (weight[i] + (i == 0)) / (double)(sum + 1);
        assert_binomial(ctr(w, name), n, p);
    }
    sim_test_world_free(w);
}

/* Runs @n calls from A to sips:example.net on the farm @specs (A and
 * three members), each one blacklist period plus 1 s after the last, so
 * that every call ranks the targets afresh (a failed one is sorted last
 * for SIM_TEST_BLACKLIST); every call must complete. */
static SimTestWorld *
run_farm_spaced(const SimTestNodeSpec *specs, gboolean strict, guint n)
{
    SimTestWorldOpts o = { .transport = &sim_transport_tls,
                           .strategy = &sim_strategy_reuse,
                           .one_way = ONE_WAY, .strict_3263 = strict };
    SimTestWorld *w = sim_test_world_new_opts(&o, specs, 4);
    SimTime gap = SIM_TEST_BLACKLIST + SIM_S(1);
    for (guint i = 0; i < n; i++)
        sim_test_call_at(w, gap * i, 0, "example.net", SIM_S(1),
                         SIM_BYE_FROM_CALLER);
    run_to(w, gap * n);
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, n);
    g_assert_cmpuint(ctr(w, "bye.completed"), ==, n);
    g_assert_cmpuint(ctr(w, "requests.hijacked"), ==, 0);
    return w;
}

/* S1 failed A's authentication each time it was ranked first: every such
 * attempt was closed by A (never opened), counted as a failover, and
 * the call went on to S2 or S3; S1 got no call.  S1 ranks first with
 * p = 10/30 per call, so the attempts are binomial(n, 1/3) and, for
 * n = 24, P(none) = (2/3)^24 = 6e-5. */
static void
assert_s1_refused(SimTestWorld *w, guint n, const char *reason)
{
    guint64 tries = peer_opened(w, "a", "192.0.2.11");
    assert_binomial(tries, n, 1.0 / 3);
    g_assert_cmpuint(tries, >=, 1);
    g_assert_cmpuint(ctr(w, "requests.failover"), ==, tries);
    g_assert_cmpuint(ctr(w, "node.a.sip.connections.opened") -
                         ctr(w, "sip.connections.opened"),
                     ==, tries);
    g_assert_cmpuint(ctr(w, reason), ==, tries);
    g_assert_cmpuint(ctr(w, "node.s1.calls.received"), ==, 0);
    g_assert_cmpuint(ctr(w, "node.s2.calls.received") +
                         ctr(w, "node.s3.calls.received"),
                     ==, n);
}

/* Scenario 33, a reverse farm: S1, S2, S3 (priority 10, weight 10 each)
 * prove only the service domain example.net, not their host names.  Each
 * first calls A with alias; then A sends FARM_CALLS calls to
 * sips:example.net.  With the insert-time check (D3) the members'
 * aliases are refused (their sent-by host is not among their identities:
 * each member's INVITE and ACK) and A opens its own connection to each
 * member; without it each member's connection gets a row {its address,
 * 5061, TLS} proving example.net, and A's INVITEs ride them.  A's ACKs go
 * to the member's Contact host, which its certificate does not prove:
 * they fail authentication (R15), and that blacklists the member for its
 * host name only (D12), so every INVITE's target is still drawn as
 * before (R23): each member's count is binomial(FARM_CALLS, 1/3), 1000
 * +- 4 sd (sd = 25.8). */
static void
run_reverse_farm(gboolean insert_check)
{
#define REVERSE_NODE(n, addr)                                               \
    { .name = "s" #n, .host = "s" #n ".example.net", .ip = addr,            \
      .domains = { "example.net", NULL },                                   \
      .san = { "URI:sip:example.net", NULL } }
    const SimTestNodeSpec specs[] = {
        NODE_A(.no_insert_check = !insert_check),
        REVERSE_NODE(1, "192.0.2.11"),
        REVERSE_NODE(2, "192.0.2.12"),
        REVERSE_NODE(3, "192.0.2.13"),
    };
#undef REVERSE_NODE
    SimTestWorld *w = world(&sim_transport_tls, &sim_strategy_reuse, 13,
                            specs, G_N_ELEMENTS(specs));
    for (guint i = 1; i <= 3; i++)
        sim_test_call(w, i, "example.com", SIM_S(100), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(1));
    g_assert_cmpuint(ctr(w, "node.a.calls.received"), ==, 3);
    g_assert_cmpuint(sim_conntab_n_rows(sim_test_tab(w, 0)), ==,
                     insert_check ? 0 : 3);
    for (guint i = 0; i < FARM_CALLS; i++)
        sim_test_call_at(w, SIM_S(1) + SIM_S(30) * i / FARM_CALLS, 0,
                         "example.net", SIM_S(100), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(40));
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, FARM_CALLS + 3);
    g_assert_cmpuint(ctr(w, "requests.hijacked"), ==, 0);
    guint64 sum = 0;
    for (guint i = 1; i <= 3; i++) {
        g_autofree char *name =
            g_strdup_printf("node.s%u.calls.received", i);
        assert_binomial(ctr(w, name), FARM_CALLS, 1.0 / 3);
        sum += ctr(w, name);
    }
    g_assert_cmpuint(sum, ==, FARM_CALLS);
    g_assert_cmpuint(ctr(w, "tls.failed.name_mismatch"), >, 0);
    if (insert_check) {
        g_assert_cmpuint(ctr(w, "alias.rejected.sent-by-not-in-cert"), ==, 6);
        g_assert_cmpuint(ctr(w, "alias.hits"), ==, 0);
        for (guint i = 1; i <= 3; i++)
            g_assert_cmpuint(peer_opened(w, "a", specs[i].ip), >=, 1);
    } else {
        g_assert_cmpuint(ctr(w, "alias.rejected"), ==, 0);
        g_assert_cmpuint(ctr(w, "alias.hits"), >=, FARM_CALLS);
    }
    sim_test_world_free(w);
}

static void
test_farm_reverse(void)
{
    run_reverse_farm(TRUE);
    run_reverse_farm(FALSE);
}

#define FARM_SPACED_CALLS 24

/* Scenario 34: S1's certificate has only DNS:s1.example.net, which counts
 * because there is no sip URI (R13): its identity set {s1.example.net}
 * does not prove the AUS example.net (R15, R24), so A closes it and
 * falls back to S2 or S3. */
static void
test_farm_dns_only(void)
{
    static const SimTestNodeSpec specs[] = {
        NODE_A(),
        FARM_NODE(1, "192.0.2.11", .san = { "DNS:s1.example.net", NULL }),
        FARM_NODE(2, "192.0.2.12", .san = FARM_SAN(2)),
        FARM_NODE(3, "192.0.2.13", .san = FARM_SAN(3)),
    };
    SimTestWorld *w = run_farm_spaced(specs, FALSE, FARM_SPACED_CALLS);
    assert_s1_refused(w, FARM_SPACED_CALLS, "tls.failed.name_mismatch");
    sim_test_world_free(w);
}

/* Scenario 34, strict-3263 (R24, RFC 3263 4.1): the SRV target must be
 * proven too (a dNSName equal to it).  S2 and S3 carry DNS:sN.example.net
 * and pass; S1 with only sip URIs (the domain alone, as SPEC words it, or
 * with its host) passes by default and fails when strict. */
static void
test_farm_strict(void)
{
#define STRICT_FARM(...)                                                    \
    { NODE_A(), FARM_NODE(1, "192.0.2.11", .san = __VA_ARGS__),             \
      FARM_NODE(2, "192.0.2.12",                                            \
                .san = { "URI:sip:example.net", "URI:sip:s2.example.net",   \
                         "DNS:s2.example.net", NULL }),                     \
      FARM_NODE(3, "192.0.2.13",                                            \
                .san = { "URI:sip:example.net", "URI:sip:s3.example.net",   \
                         "DNS:s3.example.net", NULL }) }
    static const SimTestNodeSpec uris[] = STRICT_FARM(FARM_SAN(1));
    static const SimTestNodeSpec domain_only[] =
        STRICT_FARM({ "URI:sip:example.net", NULL });
#undef STRICT_FARM
    SimTestWorld *w = run_farm_spaced(uris, FALSE, FARM_SPACED_CALLS);
    assert_binomial(ctr(w, "node.s1.calls.received"), FARM_SPACED_CALLS,
                    1.0 / 3);
    g_assert_cmpuint(ctr(w, "node.s1.calls.received"), >=, 1);
    g_assert_cmpuint(ctr(w, "requests.failover"), ==, 0);
    g_assert_cmpuint(ctr(w, "handshakes.failed"), ==, 0);
    sim_test_world_free(w);
    w = run_farm_spaced(uris, TRUE, FARM_SPACED_CALLS);
    assert_s1_refused(w, FARM_SPACED_CALLS, "tls.failed.dns_name_mismatch");
    sim_test_world_free(w);
    w = run_farm_spaced(domain_only, TRUE, FARM_SPACED_CALLS);
    assert_s1_refused(w, FARM_SPACED_CALLS, "tls.failed.dns_name_mismatch");
    sim_test_world_free(w);
}

/* Scenario 35: two processes on host s1.example.net (one IP), ports 5061
 * and 5062, both serving example.net; SRV lists both.  The 5061 process
 * calls A first, so A holds its alias row {IP, 5061, TLS}.  Of A's calls
 * to example.net (p = 1/2 each way), those selected for 5061 ride the
 * row and those for 5062 never do: A opens one connection to 5062, and
 * every request reaches the process RFC 3263 chose (hijacked = 0). */
static void
test_farm_ports(void)
{
    static const SimTestNodeSpec specs[] = {
        NODE_A(),
        { .name = "s1a", .host = "s1.example.net", .ip = "192.0.2.11",
          .port = 5061, .domains = { "example.net", NULL },
          .san = FARM_SAN(1) },
        { .name = "s1b", .host = "s1.example.net", .ip = "192.0.2.11",
          .port = 5062, .domains = { "example.net", NULL },
          .san = FARM_SAN(1) },
    };
    const guint n = 40;
    SimTestWorld *w = world(&sim_transport_tls, &sim_strategy_reuse, 13,
                            specs, 3);
    sim_test_call(w, 1, "example.com", SIM_S(100), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(1));
    g_assert_cmpuint(sim_conntab_n_rows(sim_test_tab(w, 0)), ==, 1);
    g_assert_cmpuint(sim_conntab_row(sim_test_tab(w, 0), 0)->tuple.port,
                     ==, 5061);
    for (guint i = 0; i < n; i++)
        sim_test_call_at(w, SIM_S(1) + SIM_MS(100) * i, 0, "example.net",
                         SIM_S(50), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(20));
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, n + 1);
    guint64 to_a = ctr(w, "node.s1a.calls.received");
    guint64 to_b = ctr(w, "node.s1b.calls.received");
    g_assert_cmpuint(to_a + to_b, ==, n);
    assert_binomial(to_b, n, 0.5);
    g_assert_cmpuint(to_b, >=, 1);
    g_assert_cmpuint(ctr(w, "requests.hijacked"), ==, 0);
    g_assert_cmpuint(ctr(w, "alias.r29_violations"), ==, 0);
    g_assert_cmpuint(ctr(w, "node.a.sip.connections.opened"), ==, 1);
    /* The row carried A's INVITE and ACK of each call to 5061, and
     * nothing else. */
    g_assert_cmpuint(ctr(w, "alias.hits"), ==, 2 * to_a);
    sim_test_world_free(w);
}

/* Scenario 36: S1 at priority 10, S2 at 20.  Every call goes to S1
 * (RFC 2782: lowest priority first).  With S1's certificate from a CA
 * nobody trusts, the first call's handshake fails when S1's flight
 * reaches A (2 R: TCP, then TLS 1.3's first flight), A moves to S2
 * (RFC 3263 4.3) and opens a new connection there (3 R): set-up 5 R
 * instead of 3 R, one failover.  Later calls (S1 sorted last for the
 * blacklist period) ride that connection: R each. */
static SimTestWorld *
run_priorities(gboolean s1_untrusted, guint n)
{
    SimTestNodeSpec specs[] = {
        NODE_A(),
        FARM_NODE(1, "192.0.2.11", .san = FARM_SAN(1), .priority = 10,
                  .cert_untrusted = s1_untrusted),
        FARM_NODE(2, "192.0.2.12", .san = FARM_SAN(2), .priority = 20),
    };
    SimTestWorld *w = world(&sim_transport_tls, &sim_strategy_reuse, 13,
                            specs, 3);
    for (guint i = 0; i < n; i++)
        sim_test_call_at(w, SIM_S(1) * i, 0, "example.net", SIM_S(1),
                         SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(n + 5));
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, n);
    g_assert_cmpuint(ctr(w, "bye.completed"), ==, n);
    return w;
}

static void
test_farm_priorities(void)
{
    const guint n = 20;
    g_assert_cmpuint(n, <, SIM_TEST_BLACKLIST / SIM_S(1));
    SimTestWorld *w = run_priorities(FALSE, n);
    g_assert_cmpuint(ctr(w, "node.s1.calls.received"), ==, n);
    g_assert_cmpuint(ctr(w, "node.s2.calls.received"), ==, 0);
    g_assert_cmpuint(ctr(w, "requests.failover"), ==, 0);
    SimHistogram *h = sim_stats_histogram(w->ctx.stats, "latency.setup");
    g_assert_cmpuint(sim_histogram_max(h), ==, 3 * RTT);
    g_assert_cmpuint(sim_histogram_min(h), ==, RTT);
    sim_test_world_free(w);

    w = run_priorities(TRUE, n);
    g_assert_cmpuint(ctr(w, "node.s1.calls.received"), ==, 0);
    g_assert_cmpuint(ctr(w, "node.s2.calls.received"), ==, n);
    g_assert_cmpuint(ctr(w, "tls.failed.server_untrusted"), ==, 1);
    g_assert_cmpuint(ctr(w, "requests.failover"), ==, 1);
    h = sim_stats_histogram(w->ctx.stats, "latency.setup");
    g_assert_cmpuint(sim_histogram_max(h), ==, 2 * RTT + 3 * RTT);
    g_assert_cmpuint(sim_histogram_min(h), ==, RTT);
    g_assert_cmpfloat(setup_sum_ns(w), ==,
                      (double)(5 * RTT + (n - 1) * RTT));
    sim_test_world_free(w);
}

/* ------------------------------------------------------------------ */
/* Timers (39, 41), the per-transaction baseline, UDP                  */

/* Records when packets to one address leave, and drops them all. */
typedef struct {
    SimEvq *q;
    SimIp hole;
    GArray *times;
} BlackHole;

static gboolean
black_hole_drop(SimNet *net, const SimPacket *pkt, gpointer data)
{
    BlackHole *h = data;
    if (pkt->dst != h->hole)
        return FALSE;
    SimTime now = sim_evq_now(h->q);
    g_array_append_val(h->times, now);
    return TRUE;
}

static void
black_hole_init(BlackHole *h, SimTestWorld *w, const char *ip)
{
    h->q = w->ctx.evq;
    h->hole = sim_test_ip(ip);
    h->times = g_array_new(FALSE, FALSE, sizeof(SimTime));
    sim_net_set_drop_hook(w->net, black_hole_drop, h);
}

/* Asserts that the packets into the hole left at exactly @want[0..n). */
static void
assert_sends(const BlackHole *h, const SimTime *want, guint n)
{
    g_assert_cmpuint(h->times->len, ==, n);
    for (guint i = 0; i < n; i++)
        g_assert_cmpuint(g_array_index(h->times, SimTime, i), ==, want[i]);
}

/* Send times of a handshake or request retransmitted from @first on,
 * the interval doubling each time, while before @until: RFC 6298 SYNs
 * (first 1 s, 2.1 and 5.5) or RFC 3261 Timer A (first T1, 17.1.1.2). */
static guint
doubling_schedule(SimTime first, SimTime until, SimTime *out, guint max)
{
    guint n = 0;
    for (SimTime t = 0, d = first; t < until && n < max; t += d, d *= 2)
        out[n++] = t;
    return n;
}

/* Scenario 41: B is a black hole.  A's (TLS over) TCP sends SYNs at 0, 1,
 * 3, 7, 15 and 31 s; Timer B (64 T1 = 32 s, started with the transaction)
 * fails the call at exactly 32 s, long before TCP would give up (63 s). */
static void
test_syn_black_hole(void)
{
    SimTestWorld *w = world(&sim_transport_tls, &sim_strategy_reuse, 13,
                            pair, 2);
    BlackHole h;
    black_hole_init(&h, w, "192.0.2.128");
    SimTime timer_b = sim_sip_timer_b(T1), want[16] = { 0 };
    guint n = doubling_schedule(SIM_S(1), timer_b, want, 16);
    g_assert_cmpuint(n, ==, 6);
    g_assert_cmpuint(want[n - 1], ==, SIM_S(31));
    sim_test_call(w, 0, "example.net", SIM_S(1), SIM_BYE_FROM_CALLER);
    run_to(w, timer_b - 1);
    g_assert_cmpuint(ctr(w, "calls.failed"), ==, 0);
    run_to(w, timer_b);
    g_assert_cmpuint(ctr(w, "calls.failed"), ==, 1);
    assert_sends(&h, want, n);
    g_assert_cmpuint(ctr(w, "node.b.requests.received"), ==, 0);
    sim_test_world_free(w);
    g_array_free(h.times, TRUE);
}

/* Scenario 41 with an SRV alternative: S1 (priority 10) is a black hole,
 * S2 (priority 20) is fine.  With a 5 s connect timeout (below Timer B),
 * SYNs go to S1 at 0, 1 and 3 s, the connect fails at 5 s, and S2 gets
 * the INVITE on a new TLS 1.3 connection: set-up 5 s + 3 R.  Without the
 * knob, S2 is tried only when Timer B fires at 32 s: a transaction timeout
 * is a failure of the target too (RFC 3263 4.3, SPEC 3.7 step 4), so the
 * request moves to S2 as a new transaction: set-up 32 s + 3 R. */
static void
run_syn_failover(SimTime connect_timeout)
{
    static const SimTestNodeSpec specs[] = {
        NODE_A(),
        FARM_NODE(1, "192.0.2.11", .san = FARM_SAN(1), .priority = 10),
        FARM_NODE(2, "192.0.2.12", .san = FARM_SAN(2), .priority = 20),
    };
    SimTestWorldOpts o = { .transport = &sim_transport_tls,
                           .strategy = &sim_strategy_reuse,
                           .one_way = ONE_WAY,
                           .connect_timeout = connect_timeout };
    SimTestWorld *w = sim_test_world_new_opts(&o, specs, 3);
    BlackHole h;
    black_hole_init(&h, w, "192.0.2.11");
    SimTime timer_b = sim_sip_timer_b(T1), want[16] = { 0 };
    SimTime give_up = connect_timeout ? connect_timeout : timer_b;
    guint n = doubling_schedule(SIM_S(1), give_up, want, 16);
    sim_test_call(w, 0, "example.net", SIM_S(1), SIM_BYE_FROM_CALLER);
    run_to(w, timer_b);
    assert_sends(&h, want, n);
    if (connect_timeout) {
        g_assert_cmpuint(ctr(w, "calls.completed"), ==, 1);
        g_assert_cmpuint(ctr(w, "requests.failover"), ==, 1);
        g_assert_cmpuint(ctr(w, "node.s2.calls.received"), ==, 1);
        g_assert_cmpfloat(setup_ms(w), ==,
                          (connect_timeout + 3 * RTT) / 1e6);
    } else {
        g_assert_cmpuint(ctr(w, "node.s2.calls.received"), ==, 0);
        run_to(w, timer_b + SIM_S(2));
        g_assert_cmpuint(ctr(w, "calls.failed"), ==, 0);
        g_assert_cmpuint(ctr(w, "calls.completed"), ==, 1);
        g_assert_cmpuint(ctr(w, "requests.failover"), ==, 1);
        g_assert_cmpuint(ctr(w, "node.s2.calls.received"), ==, 1);
        g_assert_cmpfloat(setup_ms(w), ==, (timer_b + 3 * RTT) / 1e6);
    }
    sim_test_world_free(w);
    g_array_free(h.times, TRUE);
}

static void
test_syn_failover(void)
{
    run_syn_failover(SIM_S(5));
    run_syn_failover(0);
}

/* Scenario 39: 5 % loss on every path; the SIP layer of reliable
 * transports never retransmits (Timers A and E are not armed), TCP or
 * SCTP recovers every loss.  A call can fail only if one packet is lost
 * five times running (RTOs 1 + 2 + 4 + 8 + 16 s before Timer B), about
 * 3e-7 per packet, so all of them complete. */
static void
run_lossy(const SimTransportOps *t, const SimStrategyOps *s, guint n)
{
    SimTestWorldOpts o = { .transport = t, .strategy = s,
                           .one_way = ONE_WAY, .loss = 0.05 };
    SimTestWorld *w = sim_test_world_new_opts(&o, pair, 2);
    for (guint i = 0; i < n; i++)
        sim_test_call_at(w, SIM_S(1) * i, i % 2,
                         i % 2 ? "example.com" : "example.net", SIM_S(1),
                         i % 4 < 2 ? SIM_BYE_FROM_CALLER
                                   : SIM_BYE_FROM_CALLEE);
    run_to(w, SIM_S(n + 60));
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, n);
    g_assert_cmpuint(ctr(w, "bye.completed"), ==, n);
    g_assert_cmpuint(ctr(w, "net.lost"), >, 0);
    g_assert_cmpuint(ctr(w, "sip.retransmissions"), ==, 0);
    g_assert_cmpuint(ctr(w, "tcp.retransmits") +
                         ctr(w, "tcp.syn_retransmits") +
                         ctr(w, "sctp.retransmissions") +
                         ctr(w, "sctp.init_retransmissions"),
                     >, 0);
    sim_test_world_free(w);
}

static void
test_no_sip_retransmissions(void)
{
    run_lossy(&sim_transport_tcp, &sim_strategy_two_connection, 40);
    run_lossy(&sim_transport_sctp, &sim_strategy_rfc3261, 40);
    run_lossy(&sim_transport_tls, &sim_strategy_reuse, 40);
    run_lossy(&sim_transport_tls_sctp, &sim_strategy_reuse, 40);
    /* Timer D (and I, J, K) are 0 on reliable transports, D >= 32 s
     * over UDP (RFC 3261 17.1.1.2). */
    g_assert_cmpuint(sim_sip_timer_d(SIM_TRANSPORT_TCP), ==, 0);
    g_assert_cmpuint(sim_sip_timer_d(SIM_TRANSPORT_SCTP), ==, 0);
    g_assert_cmpuint(sim_sip_timer_d(SIM_TRANSPORT_TLS), ==, 0);
    g_assert_cmpuint(sim_sip_timer_d(SIM_TRANSPORT_TLS_SCTP), ==, 0);
    g_assert_cmpuint(sim_sip_timer_d(SIM_TRANSPORT_UDP), >=, SIM_S(32));
}

/* With R = 600 ms > T1, no loss: an armed Timer A (INVITE) or E (BYE)
 * would fire at T1, before the first response arrives at R.  Over UDP
 * each does once (the 100 Trying, then the 200, stop them): 2 SIP
 * retransmissions; over TCP, SCTP and TLS none. */
static guint64
run_slow_path(const SimTransportOps *t, const SimStrategyOps *s)
{
    SimTestWorldOpts o = { .transport = t, .strategy = s,
                           .one_way = SIM_MS(300) };
    SimTestWorld *w = sim_test_world_new_opts(&o, pair, 2);
    g_assert_cmpuint(2 * o.one_way, >, T1);
    g_assert_cmpuint(2 * o.one_way, <, 3 * T1);
    sim_test_call(w, 0, "example.net", SIM_S(5), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(60));
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 1);
    g_assert_cmpuint(ctr(w, "bye.completed"), ==, 1);
    guint64 n = ctr(w, "sip.retransmissions");
    sim_test_world_free(w);
    return n;
}

static void
test_timers_not_armed(void)
{
    g_assert_cmpuint(run_slow_path(&sim_transport_udp,
                                   &sim_strategy_rfc3261), ==, 2);
    g_assert_cmpuint(run_slow_path(&sim_transport_tcp,
                                   &sim_strategy_rfc3261), ==, 0);
    g_assert_cmpuint(run_slow_path(&sim_transport_sctp,
                                   &sim_strategy_rfc3261), ==, 0);
    g_assert_cmpuint(run_slow_path(&sim_transport_tls, &sim_strategy_reuse),
                     ==, 0);
}

/* The per-transaction baseline: every request A sends (the INVITE and
 * BYE transactions, and the ACK of each 2xx, its own request in RFC 3261
 * 13.2.2.4) opens a connection, which closes when that ends; B, whose
 * responses ride A's connections, opens none.  So connections opened =
 * requests sent = 3 per call, all closed, none open even mid-call, and
 * over TLS one handshake per connection. */
static void
run_per_transaction(const SimTransportOps *t, guint n)
{
    SimTestWorld *w = world(t, &sim_strategy_per_transaction, 13, pair, 2);
    for (guint i = 0; i < n; i++)
        sim_test_call_at(w, SIM_S(10) * i, 0, "example.net", SIM_S(5),
                         SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(3));
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 1);
    g_assert_cmpuint(open_conns(w, 0) + open_conns(w, 1), ==, 0);
    run_to(w, SIM_S(10) * n + SIM_S(10));
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, n);
    g_assert_cmpuint(ctr(w, "bye.completed"), ==, n);
    g_assert_cmpuint(ctr(w, "sip.connections.opened"), ==, 3 * n);
    g_assert_cmpuint(ctr(w, "node.b.requests.received"), ==, 3 * n);
    g_assert_cmpuint(ctr(w, "node.b.sip.connections.opened"), ==, 0);
    g_assert_cmpuint(ctr(w, "sip.connections.closed"), ==, 3 * n);
    g_assert_cmpuint(ctr(w, "connections.opened"), ==, 3 * n);
    g_assert_cmpuint(open_conns(w, 0) + open_conns(w, 1), ==, 0);
    if (sim_strategy_kind_is_tls(t->kind))
        g_assert_cmpuint(ctr(w, "handshakes.tls_full") +
                             ctr(w, "handshakes.tls_resumed"),
                         ==, 3 * n);
    g_assert_cmpuint(ctr(w, "alias.hits"), ==, 0);
    sim_test_world_free(w);
}

static void
test_per_transaction(void)
{
    run_per_transaction(&sim_transport_tcp, 10);
    run_per_transaction(&sim_transport_sctp, 10);
    run_per_transaction(&sim_transport_tls, 10);
}

/* UDP, B a black hole: the INVITE leaves at 0 and Timer A resends it at
 * T1, 3 T1, 7 T1, ... (the interval doubling from T1, RFC 3261
 * 17.1.1.2) while before Timer B = 64 T1: 7 sends, 6 retransmissions, and
 * the call fails at exactly 64 T1. */
static void
test_udp_timer_a(void)
{
    SimTestWorld *w = world(&sim_transport_udp, &sim_strategy_rfc3261, 13,
                            pair, 2);
    BlackHole h;
    black_hole_init(&h, w, "192.0.2.128");
    SimTime timer_b = sim_sip_timer_b(T1), want[16] = { 0 };
    guint n = doubling_schedule(T1, timer_b, want, 16);
    g_assert_cmpuint(n, ==, 7);
    sim_test_call(w, 0, "example.net", SIM_S(1), SIM_BYE_FROM_CALLER);
    run_to(w, timer_b - 1);
    g_assert_cmpuint(ctr(w, "calls.failed"), ==, 0);
    run_to(w, timer_b);
    g_assert_cmpuint(ctr(w, "calls.failed"), ==, 1);
    assert_sends(&h, want, n);
    g_assert_cmpuint(ctr(w, "sip.retransmissions"), ==, n - 1);
    sim_test_world_free(w);
    g_array_free(h.times, TRUE);
}

/* UDP with 5 % loss: the SIP layer recovers (a call fails only if seven
 * sends of its INVITE all go unanswered, about 0.1^7), and there are no
 * connections, handshakes or transport retransmissions. */
static void
test_udp_loss(void)
{
    const guint n = 100;
    SimTestWorldOpts o = { .transport = &sim_transport_udp,
                           .strategy = &sim_strategy_rfc3261,
                           .one_way = ONE_WAY, .loss = 0.05 };
    SimTestWorld *w = sim_test_world_new_opts(&o, pair, 2);
    for (guint i = 0; i < n; i++)
        sim_test_call_at(w, SIM_S(1) * i, i % 2,
                         i % 2 ? "example.com" : "example.net", SIM_S(1),
                         SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(n + 60));
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, n);
    g_assert_cmpuint(ctr(w, "net.lost"), >, 0);
    g_assert_cmpuint(ctr(w, "sip.retransmissions"), >, 0);
    g_assert_cmpuint(ctr(w, "connections.opened"), ==, 0);
    g_assert_cmpuint(ctr(w, "handshakes.tcp") + ctr(w, "handshakes.sctp") +
                         ctr(w, "handshakes.tls_full"),
                     ==, 0);
    sim_test_world_free(w);
}

/* Drops the @nth packet (from 1) sent from one address. */
typedef struct {
    SimIp from;
    guint nth;
    guint seen;
} DropNth;

static gboolean
drop_nth(SimNet *net, const SimPacket *pkt, gpointer data)
{
    DropNth *d = data;
    return pkt->src == d->from && ++d->seen == d->nth;
}

/* UDP: B's 200 is lost once.  B sends 100, 180 and 200 as the INVITE
 * arrives (R/2); the provisionals stop A's Timer A, so only B can repair
 * the loss: the UAS core resends its 2xx after T1 until the ACK comes
 * (RFC 3261 13.3.1.4).  Set-up: R/2 + T1 + R/2 = R + T1. */
static void
test_udp_2xx_retransmission(void)
{
    SimTestWorld *w = world(&sim_transport_udp, &sim_strategy_rfc3261, 13,
                            pair, 2);
    DropNth d = { .from = sim_test_ip("192.0.2.128"), .nth = 3 };
    sim_net_set_drop_hook(w->net, drop_nth, &d);
    sim_test_call(w, 0, "example.net", SIM_S(1), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(10));
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 1);
    g_assert_cmpuint(ctr(w, "bye.completed"), ==, 1);
    g_assert_cmpuint(ctr(w, "net.lost"), ==, 1);
    g_assert_cmpfloat(setup_ms(w), ==, (RTT + T1) / 1e6);
    g_assert_cmpuint(ctr(w, "sip.retransmissions"), ==, 0);
    sim_test_world_free(w);
}

/* RFC 3261 15.1.2: the callee sends no BYE before the ACK of its 2xx.
 * TCP, rfc3261, the callee hangs up at once (hold 0): the 200 leaves B at
 * 1.5 R, A's ACK reaches B at 2.5 R, and only then does B open its own
 * connection (accepted ones carry no requests) for the BYE: it reaches
 * A at 2.5 R + 1.5 R = 4 R, not 3 R. */
static void
test_bye_after_ack(void)
{
    SimTestWorld *w = world(&sim_transport_tcp, &sim_strategy_rfc3261, 13,
                            pair, 2);
    sim_test_call(w, 0, "example.net", 0, SIM_BYE_FROM_CALLEE);
    SimTime at = step_until_count(w, "node.a.requests.received", SIM_S(10));
    g_assert_cmpuint(at, ==, 4 * RTT);
    g_assert_cmpuint(ctr(w, "node.b.requests.received"), ==, 2);
    run_to(w, SIM_S(10));
    g_assert_cmpuint(ctr(w, "bye.completed"), ==, 1);
    sim_test_world_free(w);
}

/* ------------------------------------------------------------------ */
/* CANCEL (RFC 3261 9) and scenario 20 (R19)                          */

/* A calls B; B would answer after @answer_delay, A abandons the call
 * @cancel_after after it started. */
static void
call_cancelled(SimTestWorld *w, SimTime answer_delay, SimTime cancel_after)
{
    SimCallParams c = { .to_domain = "example.net", .hold = SIM_S(1),
                        .answer_delay = answer_delay,
                        .cancel_after = cancel_after,
                        .bye_by = SIM_BYE_FROM_CALLER };
    sim_ua_originate_call(w->nodes[0].ua, &c);
}

/* The CANCEL on the INVITE's open connection: B's 180 reached A at (k +
 * 1) R, long before t_c = 2 s.  A's CANCEL, sent at t_c, reaches B R/2
 * later and is matched to the INVITE; B answers 200 to it and 487 to the
 * INVITE at once, on the same connection: the 487 is at A at t_c + R, and
 * A's ACK at B at t_c + 3R/2, which ends B's call.  No call completes or
 * fails; no other connection opens; B got INVITE, CANCEL and ACK. */
static void
run_cancel_timing(const SimTransportOps *t, const SimStrategyOps *s)
{
    const SimTime t_c = SIM_S(2);
    SimTestWorld *w = world(t, s, 13, pair, 2);
    call_cancelled(w, SIM_S(10), t_c);
    run_to(w, t_c - 1);
    g_assert_cmpuint(ctr(w, "node.b.requests.received"), ==, 1);
    SimTime at = step_until_count(w, "cancel.matched", t_c + SIM_S(1));
    g_assert_cmpuint(at, ==, t_c + RTT / 2);
    at = step_until_count(w, "calls.cancelled", t_c + SIM_S(1));
    g_assert_cmpuint(at, ==, t_c + RTT);
    at = step_until_count(w, "node.b.requests.received", t_c + SIM_S(1));
    g_assert_cmpuint(at, ==, t_c + 3 * RTT / 2);
    run_to(w, SIM_S(20));
    g_assert_cmpuint(ctr(w, "calls.attempted"), ==, 1);
    g_assert_cmpuint(ctr(w, "calls.cancelled"), ==, 1);
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 0);
    g_assert_cmpuint(ctr(w, "calls.failed"), ==, 0);
    g_assert_cmpuint(ctr(w, "cancel.unmatched"), ==, 0);
    g_assert_cmpuint(ctr(w, "node.b.requests.received"), ==, 3);
    g_assert_cmpuint(ctr(w, "node.b.calls.received"), ==, 1);
    /* (Over UDP, the proxy's one flow to B.) */
    g_assert_cmpuint(ctr(w, "sip.connections.opened"), ==, 1);
    g_assert_cmpuint(ctr(w, "sip.retransmissions"), ==, 0);
    g_assert_cmpuint(sim_ua_calls_active(w->nodes[0].ua), ==, 0);
    g_assert_cmpuint(sim_ua_calls_active(w->nodes[1].ua), ==, 0);
    sim_test_world_free(w);
}

static void
test_cancel_timing(void)
{
    run_cancel_timing(&sim_transport_tls, &sim_strategy_reuse);
    run_cancel_timing(&sim_transport_tcp, &sim_strategy_rfc3261);
    run_cancel_timing(&sim_transport_sctp, &sim_strategy_rfc3261);
    run_cancel_timing(&sim_transport_udp, &sim_strategy_rfc3261);
}

/* Scenario 20 (R19), reuse over TLS 1.3: the INVITE's connection closes at
 * 1 s, after the 180, so A's INVITE transaction waits for its final
 * response on any connection.  At t_c = 2 s A abandons the call: the
 * CANCEL goes to the INVITE's resolved address {192.0.2.128, 5061, TLS} on
 * a new connection (TLS 1.3 resumed with the first connection's ticket: k
 * = 2), so it reaches B at t_c + 5R/2, where it is matched to the INVITE
 * server transaction.  B's 200 to the CANCEL rides the CANCEL's
 * connection; the INVITE's is gone, so B sends the 487 on a connection it
 * opens to the received IP at the sent-by port (R28; a full TLS 1.3
 * handshake, B has no ticket for A): it reaches A 5R/2 later, at t_c + 5R,
 * and A, whose INVITE connection is gone too, acknowledges it on its
 * CANCEL connection (R19 for the ACK of a non-2xx).  A opened 2
 * connections, B 1. */
static void
test_cancel_scenario20(void)
{
    const SimTime t_c = SIM_S(2);
    SimTestWorld *w = world(&sim_transport_tls, &sim_strategy_reuse, 13,
                            pair, 2);
    call_cancelled(w, SIM_S(10), t_c);
    run_to(w, SIM_S(1));
    g_assert_cmpuint(ctr(w, "node.b.requests.received"), ==, 1);
    sim_conn_close(first_conn(w, 0));
    run_to(w, t_c);
    g_assert_cmpuint(open_conns(w, 0), ==, 0);
    g_assert_cmpuint(open_conns(w, 1), ==, 0);
    SimTime at = step_until_count(w, "cancel.matched", t_c + SIM_S(1));
    g_assert_cmpuint(at, ==, t_c + 5 * RTT / 2);
    g_assert_cmpuint(ctr(w, "node.a.sip.connections.opened"), ==, 2);
    g_assert_cmpuint(peer_opened(w, "a", "192.0.2.128"), ==, 2);
    at = step_until_count(w, "calls.cancelled", t_c + SIM_S(1));
    g_assert_cmpuint(at, ==, t_c + 5 * RTT);
    g_assert_cmpuint(ctr(w, "responses.r28_fallback"), ==, 1);
    run_to(w, SIM_S(20));
    g_assert_cmpuint(ctr(w, "calls.cancelled"), ==, 1);
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 0);
    g_assert_cmpuint(ctr(w, "calls.failed"), ==, 0);
    g_assert_cmpuint(ctr(w, "cancel.unmatched"), ==, 0);
    g_assert_cmpuint(ctr(w, "requests.failover"), ==, 0);
    /* INVITE, CANCEL, ACK of the 487. */
    g_assert_cmpuint(ctr(w, "node.b.requests.received"), ==, 3);
    g_assert_cmpuint(ctr(w, "node.a.sip.connections.opened"), ==, 2);
    g_assert_cmpuint(ctr(w, "node.b.sip.connections.opened"), ==, 1);
    g_assert_cmpuint(ctr(w, "handshakes.tls_resumed"), ==, 1);
    g_assert_cmpuint(ctr(w, "handshakes.tls_full"), ==, 2);
    g_assert_cmpuint(sim_ua_calls_active(w->nodes[0].ua), ==, 0);
    g_assert_cmpuint(sim_ua_calls_active(w->nodes[1].ua), ==, 0);
    sim_test_world_free(w);
}

/* A caller that gives up before any provisional response waits for one
 * (RFC 3261 9.1).  B is 4 s away over TCP (R = 8 s): the 180 reaches A
 * at 2 R = 16 s, after t_c = 1 s; the CANCEL leaves then and the 487 is
 * at A one round trip later, 3 R.  A CANCEL sent at t_c would have
 * reached B before the INVITE and gone unmatched (481). */
static void
test_cancel_before_provisional(void)
{
    SimTestWorldOpts o = { .transport = &sim_transport_tcp,
                           .strategy = &sim_strategy_rfc3261,
                           .one_way = SIM_S(4) };
    SimTestWorld *w = sim_test_world_new_opts(&o, pair, 2);
    call_cancelled(w, SIM_S(60), SIM_S(1));
    SimTime at = step_until_count(w, "calls.cancelled", SIM_S(30));
    g_assert_cmpuint(at, ==, 3 * SIM_S(8));
    run_to(w, SIM_S(60));
    g_assert_cmpuint(ctr(w, "cancel.matched"), ==, 1);
    g_assert_cmpuint(ctr(w, "cancel.unmatched"), ==, 0);
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 0);
    sim_test_world_free(w);
}

/* The 200 crosses the CANCEL (TCP, rfc3261, answer delay 1 s): the
 * INVITE reaches B at 3R/2, B answers at 3R/2 + 1 s, and the 200 is at A
 * R/2 later, at 2R + 1 s.  A abandons at t_c = 3R/2 + 1 s, while the 200
 * is on its way: its CANCEL reaches B after the 200 left, matches no
 * pending INVITE transaction and gets a 481 (it arrives as the 200
 * reaches A, at 2R + 1 s).  The call completed (the
 * caller has its 200), and the caller, who gave up on it, ACKs and hangs
 * up at once: its BYE reaches B at 5R/2 + 1 s, with the ACK. */
static void
test_cancel_crossing_200(void)
{
    SimTestWorld *w = world(&sim_transport_tcp, &sim_strategy_rfc3261, 13,
                            pair, 2);
    call_cancelled(w, SIM_S(1), 3 * RTT / 2 + SIM_S(1));
    run_to(w, 2 * RTT + SIM_S(1) - 1);
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 0);
    g_assert_cmpuint(ctr(w, "node.b.requests.received"), ==, 1);
    run_to(w, 2 * RTT + SIM_S(1));
    g_assert_cmpuint(ctr(w, "calls.completed"), ==, 1);
    g_assert_cmpuint(ctr(w, "node.b.requests.received"), ==, 2);
    g_assert_cmpuint(ctr(w, "cancel.unmatched"), ==, 1);
    run_to(w, 5 * RTT / 2 + SIM_S(1) - 1);
    g_assert_cmpuint(ctr(w, "node.b.requests.received"), ==, 2);
    run_to(w, 5 * RTT / 2 + SIM_S(1));
    g_assert_cmpuint(ctr(w, "node.b.requests.received"), ==, 4);
    run_to(w, SIM_S(10));
    g_assert_cmpuint(ctr(w, "bye.completed"), ==, 1);
    g_assert_cmpuint(ctr(w, "calls.cancelled"), ==, 0);
    g_assert_cmpuint(ctr(w, "calls.failed"), ==, 0);
    g_assert_cmpuint(ctr(w, "cancel.matched"), ==, 0);
    sim_test_world_free(w);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("SPEC section 4 scenarios: virtual servers, many "
                   "dialogs, ports, identities, resumption, lifetime, "
                   "TCP/SCTP threats, SRV farms, arrival times, timers, "
                   "the per-transaction baseline, UDP");
    g_test_add_func("/scenario/vhost/alternating", test_vhost_alternating);
    g_test_add_func("/scenario/vhost/29", test_vhost_scenario29);
    g_test_add_func("/scenario/vhost/30-both-domains", test_vhost_scenario30);
    g_test_add_func("/scenario/failover/by-cause", test_failover_by_cause);
    g_test_add_func("/scenario/vhost/reuse-replace-after-auth",
                    test_reuse_replace_after_auth);
    g_test_add_func("/scenario/vhost/31-tcp", test_vhost_tcp);
    g_test_add_func("/scenario/reuse/5-many-dialogs", test_many_dialogs);
    g_test_add_func("/scenario/reuse/6-port", test_port_5071);
    g_test_add_func("/scenario/identity/10-other-org",
                    test_identity_other_org);
    g_test_add_func("/scenario/identity/11-dns-name", test_identity_dns_name);
    g_test_add_func("/scenario/identity/14-15-suffix-case",
                    test_identity_suffix_case);
    g_test_add_func("/scenario/identity/16-record-route",
                    test_identity_record_route);
    g_test_add_func("/scenario/identity/17-resumed", test_resumed_row);
    g_test_add_func("/scenario/lifetime/18-close", test_close_purges_row);
    g_test_add_func("/scenario/lifetime/18-idle-close-notify",
                    test_close_notify_idle);
    g_test_add_func("/scenario/lifetime/19-graceful-close",
                    test_close_graceful);
    g_test_add_func("/scenario/lifetime/19-idle-graceful",
                    test_idle_graceful);
    g_test_add_func("/scenario/lifetime/21-idle", test_idle);
    g_test_add_func("/scenario/lifetime/22-r28", test_r28_fallback);
    g_test_add_func("/scenario/tcp/23-alias-ignored", test_tcp_alias_ignored);
    g_test_add_func("/scenario/sctp/25-two-connection",
                    test_sctp_two_connection);
    g_test_add_func("/scenario/sctp/streams-no-hol", test_sctp_streams);
    g_test_add_func("/scenario/threat/26-t1-tls", test_t1_tls);
    g_test_add_func("/scenario/threat/27-t2", test_t2);
    g_test_add_func("/scenario/tcp/28-r21-exception", test_r21_exception);
    g_test_add_func("/scenario/tcp/24-two-connection-backward",
                    test_two_connection_backward);
    g_test_add_func("/scenario/srv/32-shares", test_farm_shares);
    g_test_add_func("/scenario/srv/32-rfc2782", test_farm_rfc2782);
    g_test_add_func("/scenario/srv/33-reverse-farm", test_farm_reverse);
    g_test_add_func("/scenario/srv/34-dns-only", test_farm_dns_only);
    g_test_add_func("/scenario/srv/34-strict-3263", test_farm_strict);
    g_test_add_func("/scenario/srv/35-ports", test_farm_ports);
    g_test_add_func("/scenario/srv/36-priorities", test_farm_priorities);
    g_test_add_func("/scenario/latency/38-first-request", test_arrival);
    g_test_add_func("/scenario/latency/38-alias", test_arrival_alias);
    g_test_add_func("/scenario/latency/40-long-rtt", test_long_rtt);
    g_test_add_func("/scenario/timer/39-no-sip-retransmissions",
                    test_no_sip_retransmissions);
    g_test_add_func("/scenario/timer/39-not-armed", test_timers_not_armed);
    g_test_add_func("/scenario/timer/41-syn-black-hole",
                    test_syn_black_hole);
    g_test_add_func("/scenario/timer/41-srv-failover", test_syn_failover);
    g_test_add_func("/scenario/baseline/per-transaction",
                    test_per_transaction);
    g_test_add_func("/scenario/udp/timer-a", test_udp_timer_a);
    g_test_add_func("/scenario/udp/loss", test_udp_loss);
    g_test_add_func("/scenario/udp/2xx-retransmission",
                    test_udp_2xx_retransmission);
    g_test_add_func("/scenario/call/bye-after-ack", test_bye_after_ack);
    g_test_add_func("/scenario/cancel/timing", test_cancel_timing);
    g_test_add_func("/scenario/cancel/20-new-connection",
                    test_cancel_scenario20);
    g_test_add_func("/scenario/cancel/before-provisional",
                    test_cancel_before_provisional);
    g_test_add_func("/scenario/cancel/crossing-200",
                    test_cancel_crossing_200);
    return g_test_run();
}
