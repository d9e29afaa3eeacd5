/* SPDX-License-Identifier: MIT */
/*
 * Proxy and strategy scenarios of SPEC section 4 on hand-built worlds
 * (util_sip): connection counts per strategy (scenarios 1-3, 5, 9, 24),
 * set-up latency from RTT counts (SPEC 3.1: a call answered at once costs
 * k + 1 round trips at the origin), alias rows (R11), the T1 hijack of the
 * unsafe variant against zero for the others, and the full-mesh closed
 * forms N(N-1)/2 (reuse over TLS) and N(N-1) (two-connection).
 */
#include "models/tests/util_sip.h"

/* R = 100 ms as in SPEC section 4. */
#define ONE_WAY SIM_MS(50)
#define RTT SIM_MS(100)

static const SimTestNodeSpec pair[] = {
    { .name = "a", .host = "p1.example.com", .ip = "192.0.2.1",
      .domains = { "example.com", NULL },
      .san = { "URI:sip:example.com", "URI:sip:p1.example.com", NULL } },
    { .name = "b", .host = "p2.example.net", .ip = "192.0.2.128",
      .domains = { "example.net", NULL },
      .san = { "URI:sip:example.net", "URI:sip:p2.example.net", NULL } },
};

static SimTestWorld *
run_pair(const SimTransportOps *t, const SimStrategyOps *s, guint tls,
         const SimTestNodeSpec *specs, SimByeFrom bye_by)
{
    SimTestWorld *w = sim_test_world_new(t, s, ONE_WAY, tls, specs, 2);
    sim_test_call(w, 0, "example.net", SIM_S(5), bye_by);
    sim_evq_run_until(w->ctx.evq, SIM_S(20));
    return w;
}

static double
setup_ms(SimTestWorld *w)
{
    SimHistogram *h = sim_stats_histogram(w->ctx.stats, "latency.setup");
    return sim_histogram_mean(h) / 1e6;
}

static void
assert_call_ok(SimTestWorld *w)
{
    g_assert_cmpuint(sim_test_counter(w, "calls.attempted"), ==, 1);
    g_assert_cmpuint(sim_test_counter(w, "calls.completed"), ==, 1);
    g_assert_cmpuint(sim_test_counter(w, "calls.failed"), ==, 0);
    g_assert_cmpuint(sim_test_counter(w, "bye.completed"), ==, 1);
    g_assert_cmpuint(sim_test_counter(w, "requests.hijacked"), ==, 0);
}

/* TCP, rfc3261, BYE by the callee: B cannot use A's connection (R7, R26),
 * so it opens its own: 2 connections.  Set-up = TCP k=1, + 1 RTT for the
 * INVITE/200 exchange = 2 R. */
static void
test_tcp_rfc3261(void)
{
    SimTestWorld *w = run_pair(&sim_transport_tcp, &sim_strategy_rfc3261, 13,
                               pair, SIM_BYE_FROM_CALLEE);
    assert_call_ok(w);
    g_assert_cmpuint(sim_test_counter(w, "sip.connections.opened"), ==, 2);
    g_assert_cmpfloat_with_epsilon(setup_ms(w), 2.0 * RTT / 1e6, 2.0);
    g_assert_cmpuint(sim_test_counter(w, "alias.added"), ==, 0);
    sim_test_world_free(w);
}

/* Scenario 24: two-connection over TCP: B opens its connection toward A
 * on first contact, long before any backward request (hold 5 s). */
static void
test_tcp_two_connection_proactive(void)
{
    SimTestWorld *w = sim_test_world_new(&sim_transport_tcp,
                                         &sim_strategy_two_connection,
                                         ONE_WAY, 13, pair, 2);
    sim_test_call(w, 0, "example.net", SIM_S(5), SIM_BYE_FROM_CALLEE);
    sim_evq_run_until(w->ctx.evq, SIM_S(1));
    g_assert_cmpuint(sim_test_counter(w, "sip.connections.opened"), ==, 2);
    g_assert_cmpuint(sim_test_counter(w, "node.b.sip.connections.opened"), ==,
                     1);
    sim_evq_run_until(w->ctx.evq, SIM_S(20));
    assert_call_ok(w);
    g_assert_cmpuint(sim_test_counter(w, "sip.connections.opened"), ==, 2);
    sim_test_world_free(w);
}

/* Scenario 1: REUSE over TLS 1.2: B's BYE rides A's connection: Conns = 1;
 * B's row is {192.0.2.1, 5061, TLS} with A's identities.  Set-up: TLS 1.2
 * full k = 3, + 1 = 4 R. */
static void
test_tls_reuse(void)
{
    SimTestWorld *w = sim_test_world_new(&sim_transport_tls,
                                         &sim_strategy_reuse, ONE_WAY, 12,
                                         pair, 2);
    sim_test_call(w, 0, "example.net", SIM_S(5), SIM_BYE_FROM_CALLEE);
    sim_evq_run_until(w->ctx.evq, SIM_S(1));
    SimProxy *b = w->nodes[1].proxy;
    g_assert_cmpuint(sim_conntab_n_rows(sim_proxy_conntab(b)), ==, 1);
    const SimAliasRow *row = sim_conntab_row(sim_proxy_conntab(b), 0);
    SimIp a_ip;
    g_assert_true(sim_ip_parse("192.0.2.1", &a_ip));
    g_assert_cmpuint(row->tuple.ip, ==, a_ip);
    g_assert_cmpuint(row->tuple.port, ==, 5061);
    g_assert_cmpint(row->tuple.transport, ==, SIM_TRANSPORT_TLS);
    g_assert_true(sim_peer_id_matches(row->ids, "example.com"));
    g_assert_true(sim_peer_id_matches(row->ids, "p1.example.com"));
    sim_evq_run_until(w->ctx.evq, SIM_S(20));
    assert_call_ok(w);
    g_assert_cmpuint(sim_test_counter(w, "sip.connections.opened"), ==, 1);
    g_assert_cmpuint(sim_test_counter(w, "alias.added"), ==, 1);
    g_assert_cmpuint(sim_test_counter(w, "alias.hits"), ==, 1);
    g_assert_cmpuint(sim_test_counter(w, "alias.r29_violations"), ==, 0);
    g_assert_cmpfloat_with_epsilon(setup_ms(w), 4.0 * RTT / 1e6, 2.0);
    sim_test_world_free(w);
}

/* Scenario 2: BASE over TLS: Conns = 2; TLS 1.3 set-up 3 R. */
static void
test_tls_rfc3261(void)
{
    SimTestWorld *w = run_pair(&sim_transport_tls, &sim_strategy_rfc3261, 13,
                               pair, SIM_BYE_FROM_CALLEE);
    assert_call_ok(w);
    g_assert_cmpuint(sim_test_counter(w, "sip.connections.opened"), ==, 2);
    g_assert_cmpfloat_with_epsilon(setup_ms(w), 3.0 * RTT / 1e6, 2.0);
    sim_test_world_free(w);
}

/* Scenario 3: B declines aliasing (R8): same call, Conns = 2, no row; A
 * sent two requests with ;alias on its connection (INVITE, ACK), each
 * declined. */
static void
test_tls_declined(void)
{
    SimTestNodeSpec specs[2] = { pair[0], pair[1] };
    specs[1].decline_alias = TRUE;
    SimTestWorld *w = run_pair(&sim_transport_tls, &sim_strategy_reuse, 13,
                               specs, SIM_BYE_FROM_CALLEE);
    assert_call_ok(w);
    g_assert_cmpuint(sim_test_counter(w, "sip.connections.opened"), ==, 2);
    g_assert_cmpuint(sim_test_counter(w, "alias.rejected.policy"), ==, 2);
    g_assert_cmpuint(sim_conntab_n_rows(sim_test_tab(w, 1)), ==, 0);
    sim_test_world_free(w);
}

/* Scenario 9 / T4: no client certificate: no row, Conns = 2 (R9); both
 * aliased requests (INVITE, ACK) are refused a row. */
static void
test_tls_no_client_cert(void)
{
    SimTestNodeSpec specs[2] = { pair[0], pair[1] };
    specs[0].no_client_cert = TRUE;
    SimTestWorld *w = run_pair(&sim_transport_tls, &sim_strategy_reuse, 13,
                               specs, SIM_BYE_FROM_CALLEE);
    assert_call_ok(w);
    g_assert_cmpuint(sim_test_counter(w, "sip.connections.opened"), ==, 2);
    g_assert_cmpuint(sim_test_counter(w, "alias.rejected.no-cert"), ==, 2);
    sim_test_world_free(w);
}

/* T1 over TCP: rogue M claims p1.example.com;alias.  B then calls
 * example.com 10 times.  NAIVE-NAME: all 10 INVITEs (and their ACKs) reach
 * M; two-connection: none. */
static const SimTestNodeSpec trio[] = {
    { .name = "a", .host = "p1.example.com", .ip = "192.0.2.1",
      .domains = { "example.com", NULL },
      .san = { "URI:sip:example.com", NULL } },
    { .name = "b", .host = "p2.example.net", .ip = "192.0.2.128",
      .domains = { "example.net", NULL },
      .san = { "URI:sip:example.net", NULL } },
    { .name = "m", .host = "m.evil.org", .ip = "192.0.4.33",
      .domains = { "evil.org", NULL }, .san = { "URI:sip:evil.org", NULL },
      .spoof_as = "p1.example.com" },
};

static guint64
run_hijack(const SimStrategyOps *s)
{
    SimTestWorld *w = sim_test_world_new(&sim_transport_tcp, s, ONE_WAY, 13,
                                         trio, 3);
    sim_test_call(w, 2, "example.net", SIM_S(100), SIM_BYE_FROM_CALLER);
    sim_evq_run_until(w->ctx.evq, SIM_S(1));
    for (guint i = 0; i < 10; i++)
        sim_test_call(w, 1, "example.com", SIM_S(1), SIM_BYE_FROM_CALLER);
    sim_evq_run_until(w->ctx.evq, SIM_S(3));
    guint64 invites_at_m = sim_test_counter(w, "node.m.requests.received");
    guint64 hijacked = sim_test_counter(w, "requests.hijacked");
    g_assert_cmpuint(hijacked, <=, invites_at_m);
    sim_test_world_free(w);
    return hijacked;
}

static void
test_tcp_hijack(void)
{
    /* All 10 INVITEs hijacked, and the ACK each 404 draws (RFC 3261
     * 17.1.1.3, sent on the INVITE's connection): 20 requests. */
    g_assert_cmpuint(run_hijack(&sim_strategy_reuse_unauthenticated), ==, 20);
    g_assert_cmpuint(run_hijack(&sim_strategy_two_connection), ==, 0);
    g_assert_cmpuint(run_hijack(&sim_strategy_rfc3261), ==, 0);
}

/* Full mesh of N = 4: every ordered pair places a call, the callee hangs
 * up (backward requests both ways).  Certificates prove both the domain
 * and the host (the sent-by), as the D3 insert-time check requires.  Reuse over TLS: N(N-1)/2 = 6;
 * two-connection over TCP: N(N-1) = 12. */
static const SimTestNodeSpec mesh[] = {
    { .name = "n0", .host = "h0.d0.org", .ip = "10.1.0.1",
      .domains = { "d0.org", NULL }, .san = { "URI:sip:d0.org", "URI:sip:h0.d0.org", NULL } },
    { .name = "n1", .host = "h1.d1.org", .ip = "10.1.0.2",
      .domains = { "d1.org", NULL }, .san = { "URI:sip:d1.org", "URI:sip:h1.d1.org", NULL } },
    { .name = "n2", .host = "h2.d2.org", .ip = "10.1.0.3",
      .domains = { "d2.org", NULL }, .san = { "URI:sip:d2.org", "URI:sip:h2.d2.org", NULL } },
    { .name = "n3", .host = "h3.d3.org", .ip = "10.1.0.4",
      .domains = { "d3.org", NULL }, .san = { "URI:sip:d3.org", "URI:sip:h3.d3.org", NULL } },
};

static guint64
run_mesh(const SimTransportOps *t, const SimStrategyOps *s)
{
    static const char *const dom[] = { "d0.org", "d1.org", "d2.org",
                                       "d3.org" };
    SimTestWorld *w = sim_test_world_new(t, s, ONE_WAY, 13, mesh, 4);
    /* Lower-index nodes call first, so each pair's first contact has one
     * direction; the reverse calls follow once connections are up. */
    for (guint i = 0; i < 4; i++)
        for (guint j = i + 1; j < 4; j++)
            sim_test_call(w, i, dom[j], SIM_S(2), SIM_BYE_FROM_CALLEE);
    sim_evq_run_until(w->ctx.evq, SIM_S(5));
    for (guint i = 0; i < 4; i++)
        for (guint j = 0; j < i; j++)
            sim_test_call(w, i, dom[j], SIM_S(2), SIM_BYE_FROM_CALLEE);
    sim_evq_run_until(w->ctx.evq, SIM_S(20));
    g_assert_cmpuint(sim_test_counter(w, "calls.completed"), ==, 12);
    g_assert_cmpuint(sim_test_counter(w, "requests.hijacked"), ==, 0);
    guint64 n = sim_test_counter(w, "sip.connections.opened");
    sim_test_world_free(w);
    return n;
}

static void
test_mesh(void)
{
    g_assert_cmpuint(run_mesh(&sim_transport_tls, &sim_strategy_reuse), ==,
                     4 * 3 / 2);
    g_assert_cmpuint(
        run_mesh(&sim_transport_tcp, &sim_strategy_two_connection), ==,
        4 * 3);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("SIP proxy and strategies: SPEC section 4 connection "
                   "counts, RTT-derived set-up latency, alias rows, T1 "
                   "hijacking, full-mesh closed forms");
    g_test_add_func("/proxy/tcp/rfc3261/two-connections", test_tcp_rfc3261);
    g_test_add_func("/proxy/tcp/two-connection/proactive",
                    test_tcp_two_connection_proactive);
    g_test_add_func("/proxy/tls/reuse/one-connection", test_tls_reuse);
    g_test_add_func("/proxy/tls/rfc3261/two-connections", test_tls_rfc3261);
    g_test_add_func("/proxy/tls/reuse/declined", test_tls_declined);
    g_test_add_func("/proxy/tls/reuse/no-client-cert",
                    test_tls_no_client_cert);
    g_test_add_func("/proxy/tcp/hijack/t1", test_tcp_hijack);
    g_test_add_func("/proxy/mesh/closed-forms", test_mesh);
    return g_test_run();
}
