/* SPDX-License-Identifier: MIT */
/*
 * SPEC section 4 scenarios on hand-built worlds (util_sip), one test per
 * scenario, with expected values derived from first principles: RTT
 * counts of SPEC 3.1 (R = 100 ms, zero CPU and DNS delay), RFC 3261 timers
 * (T1 = 500 ms, Timer B = 64*T1), closed forms of connection counts, and
 * binomial bounds for SRV shares.  Covers reuse against virtual-server
 * (29, 30), many dialogs (5), ports (6, 35), identities (10, 11, 14, 15),
 * resumption (17), lifetime (18, 21, 22), TCP/SCTP (23, 25, 26, 27, 28),
 * SRV farms (32, 34, 36), first-request arrival (38), timers (39, 41), the
 * per-transaction baseline and UDP retransmission.
 */
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
    SimProxy *p = w->nodes[i].proxy;
    guint n = 0;
    for (SimProxyConn *pc = sim_proxy_conn_first(p); pc;
         pc = sim_proxy_conn_next(p, pc))
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
    g_assert_cmpuint(sim_proxy_n_alias_rows(w->nodes[1].proxy), ==, 1);
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
    sim_test_world_free(w);
}

static void
test_vhost_scenario29(void)
{
    run_scenario29(&sim_strategy_virtual_server);
    run_scenario29(&sim_strategy_reuse);
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
    const SimAliasRow *row = sim_proxy_alias_row(w->nodes[1].proxy, 0);
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
    const SimAliasRow *row = sim_proxy_alias_row(w->nodes[1].proxy, 0);
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
 * reuses; one routed to example.com does not (and fails R15). */
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
        NODE_A_SAN(.san = { "DNS:p1.example.com", NULL }), NODE_B(),
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
    SimProxyConn *pc = sim_proxy_conn_first(w->nodes[i].proxy);
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
    g_assert_cmpuint(sim_proxy_n_alias_rows(w->nodes[1].proxy), ==, 0);
    sim_test_call(w, 0, "example.net", SIM_MS(500), SIM_BYE_FROM_CALLER);
    run_to(w, SIM_S(5));
    g_assert_cmpuint(ctr(w, "handshakes.tls_resumed"), ==, 1);
    g_assert_cmpuint(ctr(w, "tls.certificate_requests"), ==, 1);
    g_assert_cmpuint(ctr(w, "alias.added"), ==, 2);
    const SimAliasRow *row = sim_proxy_alias_row(w->nodes[1].proxy, 0);
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
    g_assert_cmpuint(sim_proxy_n_alias_rows(w->nodes[1].proxy), ==, 1);
    sim_conn_close(first_conn(w, 0));
    run_to(w, SIM_S(2));
    g_assert_cmpuint(sim_proxy_n_alias_rows(w->nodes[1].proxy), ==, 0);
    run_to(w, SIM_S(40));
    g_assert_cmpuint(ctr(w, "sip.connections.opened"), ==, 2);
    g_assert_cmpuint(ctr(w, "node.b.sip.connections.opened"), ==, 1);
    g_assert_cmpuint(ctr(w, "bye.completed"), ==, 1);
    g_assert_cmpuint(ctr(w, "calls.teardown_failed"), ==, 0);
    sim_test_world_free(w);
}

/* Scenario 21: idle close 32 s, then 60 s without traffic: BASE closed
 * both connections, REUSE keeps the aliased one (R4). */
static void
run_idle(const SimStrategyOps *s, guint a_open, guint b_open)
{
    SimTestWorldOpts o = { .transport = &sim_transport_tls, .strategy = s,
                           .one_way = ONE_WAY, .idle_timeout = SIM_S(32) };
    SimTestWorld *w = sim_test_world_new_opts(&o, pair, 2);
    sim_test_call(w, 0, "example.net", SIM_S(1), SIM_BYE_FROM_CALLEE);
    run_to(w, SIM_S(62));
    g_assert_cmpuint(ctr(w, "bye.completed"), ==, 1);
    g_assert_cmpuint(open_conns(w, 0), ==, a_open);
    g_assert_cmpuint(open_conns(w, 1), ==, b_open);
    sim_test_world_free(w);
}

static void
test_idle(void)
{
    run_idle(&sim_strategy_rfc3261, 0, 0);
    run_idle(&sim_strategy_reuse, 1, 1);
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
    sim_proxy_originate_call(w->nodes[0].proxy, &c);
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
    g_assert_cmpuint(sim_proxy_n_alias_rows(w->nodes[1].proxy), ==, 0);
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
 * B's DNS answer for A equals the inbound source: B reuses it, Conns = 1;
 * from an ephemeral port, Conns = 2. */
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
    if (c->t != &sim_transport_tls && c->t != &sim_transport_tls_sctp)
        ;
    else if (c->resumed)
        g_assert_cmpuint(ctr(w, "handshakes.tls_resumed"), ==, 1);
    else
        g_assert_cmpuint(ctr(w, "handshakes.tls_full"), ==, 1);
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
    g_assert_cmpuint(sim_proxy_n_alias_rows(w->nodes[1].proxy), ==, 1);
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

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("SPEC section 4 scenarios: virtual servers, many "
                   "dialogs, ports, identities, resumption, lifetime, "
                   "TCP/SCTP threats, SRV farms, arrival times, timers");
    g_test_add_func("/scenario/vhost/alternating", test_vhost_alternating);
    g_test_add_func("/scenario/vhost/29", test_vhost_scenario29);
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
    g_test_add_func("/scenario/lifetime/21-idle", test_idle);
    g_test_add_func("/scenario/lifetime/22-r28", test_r28_fallback);
    g_test_add_func("/scenario/tcp/23-alias-ignored", test_tcp_alias_ignored);
    g_test_add_func("/scenario/sctp/25-two-connection",
                    test_sctp_two_connection);
    g_test_add_func("/scenario/threat/26-t1-tls", test_t1_tls);
    g_test_add_func("/scenario/threat/27-t2", test_t2);
    g_test_add_func("/scenario/tcp/28-r21-exception", test_r21_exception);
    g_test_add_func("/scenario/tcp/24-two-connection-backward",
                    test_two_connection_backward);
    g_test_add_func("/scenario/latency/38-first-request", test_arrival);
    g_test_add_func("/scenario/latency/38-alias", test_arrival_alias);
    return g_test_run();
}
