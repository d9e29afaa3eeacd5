/* SPDX-License-Identifier: MIT */
/*
 * Tests of the SCTP transport (RFC 9260) on a two-node network built by
 * hand: one-way delay 50 ms (R = 100 ms), infinite bandwidth, MTU 1500, no
 * CPU cost.  Expected times come from RTT counting and the RFC's timers
 * (RTO.Initial 1 s doubling, RTO.Min 1 s, delayed SACK 200 ms), never from
 * the model's output.  Packet losses are made by taking the receiving
 * interface down for the instant the chosen packet arrives.
 */
#include "models/transport.h"

#define CLI_IP 0x0a000001u
#define SRV_IP 0x0a000002u
#define SRV_PORT 5060
#define ONE_WAY SIM_MS(50)

/* A test message: a SimMsg with an id; frees are counted. */
typedef struct {
    SimMsg base;
    guint id;
    guint *freed;
} TestMsg;

/* One message seen by an upper layer. */
typedef struct {
    guint id;
    guint stream;
    guint32 len;
    SimTime at;
} Arrival;

/* One end's upper layer. */
typedef struct {
    SimConn *conn;
    gboolean connected, closed;
    SimTime connected_at, closed_at;
    SimCloseReason reason;
    GArray *arrivals;
} End;

typedef struct {
    SimCtx ctx;
    SimNet *net;
    SimStack *cli, *srv;
    End c, s;
    guint made, freed;
} Fx;

static void
test_msg_free(SimMsg *m)
{
    TestMsg *t = (TestMsg *)m;
    (*t->freed)++;
    g_free(t);
}

static SimMsg *
fx_msg(Fx *fx, guint id, guint32 len)
{
    TestMsg *t = g_new0(TestMsg, 1);
    t->base.len = len;
    t->base.refcount = 1;
    t->base.free = test_msg_free;
    t->id = id;
    t->freed = &fx->freed;
    fx->made++;
    return &t->base;
}

static SimTime
fx_now(Fx *fx)
{
    return sim_evq_now(fx->ctx.evq);
}

static void
end_connected(SimConn *c, gpointer user)
{
    End *e = user;
    e->connected = TRUE;
    e->connected_at = sim_ctx_now(c->stack->ctx);
}

static void
end_message(SimConn *c, guint stream, SimMsg *m, gpointer user)
{
    End *e = user;
    Arrival a = { ((TestMsg *)m)->id, stream, m->len,
                  sim_ctx_now(c->stack->ctx) };
    g_array_append_val(e->arrivals, a);
}

static void
end_closed(SimConn *c, SimCloseReason reason, gpointer user)
{
    End *e = user;
    e->closed = TRUE;
    e->closed_at = sim_ctx_now(c->stack->ctx);
    e->reason = reason;
    e->conn = NULL;
}

static const SimConnCallbacks end_cb = {
    .connected = end_connected,
    .message = end_message,
    .closed = end_closed,
};

static void
srv_accept(SimStack *st, SimConn *c, gpointer user)
{
    Fx *fx = user;
    fx->s.conn = c;
    fx->s.connected = TRUE;
    fx->s.connected_at = sim_ctx_now(st->ctx);
    sim_conn_set_callbacks(c, &end_cb, &fx->s);
}

static void
fx_setup_full(Fx *fx, const SimStackConfig *ccfg, double loss)
{
    fx->ctx.evq = sim_evq_new();
    fx->ctx.stats = sim_stats_new();
    fx->ctx.seed = 7;
    SimPathParams path = { .delay = ONE_WAY, .mtu = 1500, .loss = loss };
    fx->net = sim_net_new(&fx->ctx, &path);
    guint a = sim_net_add_site(fx->net, "a");
    guint b = sim_net_add_site(fx->net, "b");
    sim_net_add_interface(fx->net, CLI_IP, a);
    sim_net_add_interface(fx->net, SRV_IP, b);
    SimStackConfig scfg = { .rto_min = SIM_S(1) };
    fx->cli = sim_stack_new(&fx->ctx, fx->net, "cli", CLI_IP, NULL, ccfg);
    fx->srv = sim_stack_new(&fx->ctx, fx->net, "srv", SRV_IP, NULL, &scfg);
    sim_stack_set_accept(fx->srv, srv_accept, fx);
    fx->c.arrivals = g_array_new(FALSE, FALSE, sizeof(Arrival));
    fx->s.arrivals = g_array_new(FALSE, FALSE, sizeof(Arrival));
    g_autoptr(GError) error = NULL;
    g_assert_true(sim_transport_sctp.listen(fx->srv, SRV_PORT, &error));
    g_assert_no_error(error);
}

static void
fx_setup(Fx *fx, gconstpointer data)
{
    SimStackConfig ccfg = { .rto_min = SIM_S(1) };
    fx_setup_full(fx, &ccfg, 0.0);
}

static void
fx_teardown(Fx *fx, gconstpointer data)
{
    sim_evq_free(fx->ctx.evq);
    sim_stack_free(fx->cli);
    sim_stack_free(fx->srv);
    sim_net_free(fx->net);
    sim_stats_free(fx->ctx.stats);
    g_array_unref(fx->c.arrivals);
    g_array_unref(fx->s.arrivals);
    /* Every reference the transport took was released. */
    g_assert_cmpuint(fx->freed, ==, fx->made);
}

static SimConn *
fx_connect(Fx *fx, guint16 port, guint streams)
{
    SimConnectParams p = { .ip = SRV_IP, .port = port, .streams = streams };
    fx->c.conn = sim_transport_connect(&sim_transport_sctp, fx->cli, &p,
                                       &end_cb, &fx->c);
    return fx->c.conn;
}

/* Sends a new message of @len bytes with @id on @stream. */
static void
fx_send(Fx *fx, SimConn *c, guint stream, guint id, guint32 len)
{
    SimMsg *m = fx_msg(fx, id, len);
    sim_conn_send(c, stream, m);
    sim_msg_unref(m);
}

/* Runs the queue up to (and including) @t. */
static void
fx_run_to(Fx *fx, SimTime t)
{
    sim_evq_run_until(fx->ctx.evq, t);
}

/* Advances the clock to exactly @t (an empty event), so that actions taken
 * next happen at @t. */
static void
fx_noop(SimEvq *q, gpointer data)
{
}

static void
fx_at(Fx *fx, SimTime t)
{
    sim_evq_at(fx->ctx.evq, t, fx_noop, NULL, NULL);
    fx_run_to(fx, t);
    g_assert_cmpuint(fx_now(fx), ==, t);
}

static void
iface_down(SimEvq *q, gpointer data)
{
    Fx *fx = data;
    sim_net_set_interface_up(fx->net, SRV_IP, FALSE);
}

static void
iface_up(SimEvq *q, gpointer data)
{
    Fx *fx = data;
    sim_net_set_interface_up(fx->net, SRV_IP, TRUE);
}

/* Loses whatever reaches the server at exactly @t. */
static void
fx_lose_at_server(Fx *fx, SimTime t)
{
    sim_evq_at(fx->ctx.evq, t - 1, iface_down, fx, NULL);
    sim_evq_at(fx->ctx.evq, t + 1, iface_up, fx, NULL);
}

static guint64
fx_counter(Fx *fx, const char *name)
{
    return sim_stats_counter(fx->ctx.stats, name)->value;
}

static const Arrival *
arrival(End *e, guint i)
{
    g_assert_cmpuint(i, <, e->arrivals->len);
    return &g_array_index(e->arrivals, Arrival, i);
}

/* Opens an association at 0 with message 0 queued at once; returns when
 * the opener has heard COOKIE-ACK. */
static void
fx_open(Fx *fx, guint streams)
{
    fx_send(fx, fx_connect(fx, SRV_PORT, streams), 0, 0, 500);
    fx_run_to(fx, SIM_MS(200));
    g_assert_true(fx->c.connected);
}

/* SPEC 3.1: DATA bundled with COOKIE-ECHO leaves after one RTT, so the
 * first message arrives at 1.5 R = 150 ms; COOKIE-ACK reaches the opener
 * at 2 R = 200 ms.  The acceptor keeps no state before COOKIE-ECHO. */
static void
test_handshake_bundled(Fx *fx, gconstpointer data)
{
    fx_send(fx, fx_connect(fx, SRV_PORT, 0), 0, 0, 500);
    fx_run_to(fx, SIM_MS(149));
    g_assert_false(fx->s.connected);
    /* Only the opener holds memory: its 4 KB TCB plus the 500 bytes it
     * buffers until they are acknowledged. */
    g_assert_cmpint(sim_gauge_level(sim_stats_gauge(fx->ctx.stats,
                                                    "memory.conn_bytes")),
                    ==, 4096 + 500);
    fx_run_to(fx, SIM_S(1));
    g_assert_true(fx->s.connected);
    g_assert_cmpuint(fx->s.connected_at, ==, SIM_MS(150));
    g_assert_cmpuint(fx->s.arrivals->len, ==, 1);
    g_assert_cmpuint(arrival(&fx->s, 0)->at, ==, SIM_MS(150));
    g_assert_cmpuint(arrival(&fx->s, 0)->len, ==, 500);
    g_assert_cmpuint(fx->c.connected_at, ==, SIM_MS(200));
    g_assert_true(sim_conn_is_open(fx->c.conn));
    g_assert_cmpuint(fx->c.conn->remote.port, ==, SRV_PORT);
    g_assert_cmpuint(fx->s.conn->remote.port, ==,
                     fx->c.conn->local.port);

    /* Later messages, either way, take R/2 = 50 ms. */
    fx_at(fx, SIM_S(1));
    fx_send(fx, fx->c.conn, 3, 1, 800);
    fx_send(fx, fx->s.conn, 3, 2, 300);
    fx_run_to(fx, SIM_S(2));
    g_assert_cmpuint(arrival(&fx->s, 1)->at, ==, SIM_S(1) + ONE_WAY);
    g_assert_cmpuint(arrival(&fx->s, 1)->stream, ==, 3);
    g_assert_cmpuint(arrival(&fx->c, 0)->at, ==, SIM_S(1) + ONE_WAY);
    g_assert_cmpuint(arrival(&fx->c, 0)->id, ==, 2);
    /* Two endpoints of one association, each 4 KB (documented); every
     * message has been delivered and acknowledged. */
    g_assert_cmpint(sim_gauge_level(sim_stats_gauge(fx->ctx.stats,
                                                    "memory.conn_bytes")),
                    ==, 2 * 4096);
    g_assert_cmpuint(fx_counter(fx, "handshakes.sctp"), ==, 1);
    g_assert_cmpuint(fx_counter(fx, "connections.opened"), ==, 1);
    g_assert_cmpuint(fx_counter(fx, "sctp.retransmissions"), ==, 0);
}

/* SPEC 3.1: data held until COOKIE-ACK leaves at 2 R, arrives at 2.5 R. */
static void
test_handshake_unbundled(Fx *fx, gconstpointer data)
{
    SimStackConfig ccfg = { .rto_min = SIM_S(1), .sctp_no_bundle = TRUE };
    fx_setup_full(fx, &ccfg, 0.0);
    fx_send(fx, fx_connect(fx, SRV_PORT, 0), 0, 0, 500);
    fx_run_to(fx, SIM_S(1));
    g_assert_cmpuint(fx->s.connected_at, ==, SIM_MS(150));
    g_assert_cmpuint(fx->c.connected_at, ==, SIM_MS(200));
    g_assert_cmpuint(fx->s.arrivals->len, ==, 1);
    g_assert_cmpuint(arrival(&fx->s, 0)->at, ==, SIM_MS(250));
}

static void
fx_setup_bare(Fx *fx, gconstpointer data)
{
}

/* INIT into a black hole: T1-init starts at RTO.Initial = 1 s and doubles
 * up to RTO.Max = 60 s, so INITs leave at 0, 1, 3, 7, 15, 31, 63, then
 * 123, 183 (8 retransmissions = Max.Init.Retransmits); the next expiry,
 * at 183 + 60 = 243 s, fails the association. */
static void
test_handshake_black_hole(Fx *fx, gconstpointer data)
{
    static const guint sends[] = { 0, 1, 3, 7, 15, 31, 63, 123, 183 };
    sim_net_set_interface_up(fx->net, SRV_IP, FALSE);
    fx_connect(fx, SRV_PORT, 0);
    for (guint k = 1; k < G_N_ELEMENTS(sends); k++) {
        fx_run_to(fx, SIM_S(sends[k]) - 1);
        g_assert_cmpuint(fx_counter(fx, "net.packets"), ==, k);
        fx_run_to(fx, SIM_S(sends[k]));
        g_assert_cmpuint(fx_counter(fx, "net.packets"), ==, k + 1);
    }
    fx_run_to(fx, SIM_S(243) - 1);
    g_assert_false(fx->c.closed);
    fx_run_to(fx, SIM_S(300));
    g_assert_true(fx->c.closed);
    g_assert_cmpuint(fx->c.closed_at, ==, SIM_S(243));
    g_assert_cmpint(fx->c.reason, ==, SIM_CLOSE_TIMEOUT);
    g_assert_false(fx->c.connected);
    g_assert_cmpuint(fx_counter(fx, "net.packets"), ==, 9);
    g_assert_cmpuint(fx_counter(fx, "sctp.init_retransmissions"), ==, 8);
    g_assert_cmpuint(fx_counter(fx, "connections.opened"), ==, 0);
    g_assert_cmpuint(sim_evq_pending(fx->ctx.evq), ==, 0);
}

/* cfg.connect_timeout cuts the INIT schedule short: INITs at 0, 1, 3, 7,
 * 15 and 31 s, failure at 32 s. */
static void
test_handshake_connect_timeout(Fx *fx, gconstpointer data)
{
    SimStackConfig ccfg = { .rto_min = SIM_S(1),
                            .connect_timeout = SIM_S(32) };
    fx_setup_full(fx, &ccfg, 0.0);
    sim_net_set_interface_up(fx->net, SRV_IP, FALSE);
    fx_connect(fx, SRV_PORT, 0);
    fx_run_to(fx, SIM_S(100));
    g_assert_cmpuint(fx->c.closed_at, ==, SIM_S(32));
    g_assert_cmpint(fx->c.reason, ==, SIM_CLOSE_TIMEOUT);
    g_assert_cmpuint(fx_counter(fx, "net.packets"), ==, 6);
}

/* 5.1: INIT to a port nobody listens on gets an ABORT one RTT later. */
static void
test_handshake_refused(Fx *fx, gconstpointer data)
{
    fx_connect(fx, SRV_PORT + 10, 0);
    fx_run_to(fx, SIM_S(5));
    g_assert_true(fx->c.closed);
    g_assert_cmpint(fx->c.reason, ==, SIM_CLOSE_REFUSED);
    g_assert_cmpuint(fx->c.closed_at, ==, SIM_MS(100));
    g_assert_false(fx->c.connected);
    g_assert_false(fx->s.connected);
    g_assert_cmpuint(fx_counter(fx, "net.packets"), ==, 2);
    g_assert_cmpuint(fx_counter(fx, "connections.opened"), ==, 0);
}

/* 9.2: close right after a send.  Message 1 (sent at 1 s) arrives at
 * 1.05 s; the acceptor's SACK is delayed 200 ms (6.2) and reaches the
 * closer at 1.30 s, which then sends SHUTDOWN (all data acked); SHUTDOWN
 * arrives 1.35, SHUTDOWN-ACK 1.40 (closer done, SHUTDOWN-COMPLETE out),
 * SHUTDOWN-COMPLETE 1.45 (acceptor done). */
static void
test_close_graceful(Fx *fx, gconstpointer data)
{
    fx_open(fx, 0);
    fx_at(fx, SIM_S(1));
    fx_send(fx, fx->c.conn, 1, 1, 700);
    sim_conn_close(fx->c.conn);
    g_assert_false(sim_conn_is_open(fx->c.conn));
    fx_run_to(fx, SIM_S(10));
    g_assert_cmpuint(fx->s.arrivals->len, ==, 2);
    g_assert_cmpuint(arrival(&fx->s, 1)->at, ==, SIM_MS(1050));
    g_assert_true(fx->c.closed);
    g_assert_cmpint(fx->c.reason, ==, SIM_CLOSE_LOCAL);
    g_assert_cmpuint(fx->c.closed_at, ==, SIM_MS(1400));
    g_assert_true(fx->s.closed);
    g_assert_cmpint(fx->s.reason, ==, SIM_CLOSE_PEER);
    g_assert_cmpuint(fx->s.closed_at, ==, SIM_MS(1450));
    g_assert_cmpuint(fx_counter(fx, "connections.opened"), ==, 1);
    g_assert_cmpuint(fx_counter(fx, "connections.closed"), ==, 1);
    g_assert_cmpint(sim_gauge_level(sim_stats_gauge(fx->ctx.stats,
                                                    "connections.open")),
                    ==, 0);
    g_assert_cmpint(sim_gauge_level(sim_stats_gauge(
                        fx->ctx.stats, "node.srv.connections.open")),
                    ==, 0);
    g_assert_cmpint(sim_gauge_level(sim_stats_gauge(fx->ctx.stats,
                                                    "memory.conn_bytes")),
                    ==, 0);
    g_assert_cmpuint(sim_evq_pending(fx->ctx.evq), ==, 0);
}

/* ABORT: the local side ends at once, the peer sees a reset R/2 later. */
static void
test_close_abort(Fx *fx, gconstpointer data)
{
    fx_open(fx, 0);
    fx_at(fx, SIM_S(1));
    sim_conn_abort(fx->c.conn);
    fx_run_to(fx, SIM_S(10));
    g_assert_cmpuint(fx->c.closed_at, ==, SIM_S(1));
    g_assert_cmpint(fx->c.reason, ==, SIM_CLOSE_LOCAL);
    g_assert_cmpuint(fx->s.closed_at, ==, SIM_MS(1050));
    g_assert_cmpint(fx->s.reason, ==, SIM_CLOSE_RESET);
    g_assert_cmpuint(sim_evq_pending(fx->ctx.evq), ==, 0);
}

/* Idle timeout: the last activity is COOKIE-ACK at 200 ms, so a 5 s
 * timeout closes at 5.2 s; SHUTDOWN-ACK returns at 5.3 s (the opener's
 * close, reported as idle), SHUTDOWN-COMPLETE reaches the peer at 5.35 s. */
static void
test_close_idle(Fx *fx, gconstpointer data)
{
    fx_open(fx, 0);
    sim_conn_set_idle_timeout(fx->c.conn, SIM_S(5));
    fx_run_to(fx, SIM_S(20));
    g_assert_cmpuint(fx->c.closed_at, ==, SIM_MS(5300));
    g_assert_cmpint(fx->c.reason, ==, SIM_CLOSE_IDLE);
    g_assert_cmpuint(fx->s.closed_at, ==, SIM_MS(5350));
    g_assert_cmpint(fx->s.reason, ==, SIM_CLOSE_PEER);
}

/* Crash: the local side reports host-down at once and tells nobody; the
 * peer's next DATA (2 s) is out of the blue at the crashed stack's
 * address and draws an ABORT with the T bit: reset at 2.1 s. */
static void
test_close_crash(Fx *fx, gconstpointer data)
{
    fx_open(fx, 0);
    fx_at(fx, SIM_S(1));
    sim_stack_crash(fx->cli);
    fx_run_to(fx, SIM_MS(1500));
    g_assert_cmpuint(fx->c.closed_at, ==, SIM_S(1));
    g_assert_cmpint(fx->c.reason, ==, SIM_CLOSE_HOST_DOWN);
    g_assert_false(fx->s.closed);
    fx_at(fx, SIM_S(2));
    fx_send(fx, fx->s.conn, 0, 9, 400);
    fx_run_to(fx, SIM_S(10));
    g_assert_cmpuint(fx->s.closed_at, ==, SIM_MS(2100));
    g_assert_cmpint(fx->s.reason, ==, SIM_CLOSE_RESET);
}

/* No head-of-line blocking across streams.  After the handshake the RTO
 * is max(RTO.Min 1 s, SRTT + 4 RTTVAR = 100 + 4 * 50 ms) = 1 s (one
 * sample of R = 100 ms: message 0 sent at 100 ms, acked at 200 ms).
 * At 1.000 s A leaves on stream 1 and is lost; B (stream 2) leaves at
 * 1.010 s and arrives on time at 1.060 s; C (stream 1) leaves at 1.020 s,
 * arrives at 1.070 s but waits for A.  Two missing reports are too few
 * for fast retransmit, so T3-rtx, started with A at 1.000 s, fires at
 * 2.000 s; A arrives at 2.050 s and A then C are delivered. */
static void
test_streams_no_hol(Fx *fx, gconstpointer data)
{
    fx_open(fx, 4);
    fx_lose_at_server(fx, SIM_S(1) + ONE_WAY);
    fx_at(fx, SIM_S(1));
    fx_send(fx, fx->c.conn, 1, 'A', 600);
    fx_at(fx, SIM_MS(1010));
    fx_send(fx, fx->c.conn, 2, 'B', 600);
    fx_at(fx, SIM_MS(1020));
    fx_send(fx, fx->c.conn, 1, 'C', 600);
    fx_run_to(fx, SIM_S(10));
    g_assert_cmpuint(fx->s.arrivals->len, ==, 4);
    g_assert_cmpuint(arrival(&fx->s, 1)->id, ==, 'B');
    g_assert_cmpuint(arrival(&fx->s, 1)->stream, ==, 2);
    g_assert_cmpuint(arrival(&fx->s, 1)->at, ==, SIM_MS(1060));
    g_assert_cmpuint(arrival(&fx->s, 2)->id, ==, 'A');
    g_assert_cmpuint(arrival(&fx->s, 2)->at, ==, SIM_MS(2050));
    g_assert_cmpuint(arrival(&fx->s, 3)->id, ==, 'C');
    g_assert_cmpuint(arrival(&fx->s, 3)->stream, ==, 1);
    g_assert_cmpuint(arrival(&fx->s, 3)->at, ==, SIM_MS(2050));
    g_assert_cmpuint(fx_counter(fx, "sctp.t3_expiries"), ==, 1);
    g_assert_cmpuint(fx_counter(fx, "sctp.retransmissions"), ==, 1);
    g_assert_cmpuint(fx_counter(fx, "sctp.fast_retransmits"), ==, 0);
}

/* Fast retransmit (7.2.4): with A lost and three later packets each
 * drawing an immediate SACK (out of order, 6.7), the third missing report
 * arrives at 1.000 + 3 * 0.001 + R = 1.103 s and A is resent at once,
 * arriving 1.153 s, long before T3-rtx (2 s). */
static void
test_streams_fast_retransmit(Fx *fx, gconstpointer data)
{
    fx_open(fx, 4);
    fx_lose_at_server(fx, SIM_S(1) + ONE_WAY);
    fx_at(fx, SIM_S(1));
    fx_send(fx, fx->c.conn, 1, 'A', 300);
    for (guint i = 1; i <= 3; i++) {
        fx_at(fx, SIM_S(1) + SIM_MS(i));
        fx_send(fx, fx->c.conn, 2, 'A' + i, 300);
    }
    fx_run_to(fx, SIM_S(10));
    g_assert_cmpuint(fx->s.arrivals->len, ==, 5);
    g_assert_cmpuint(arrival(&fx->s, 4)->id, ==, 'A');
    g_assert_cmpuint(arrival(&fx->s, 4)->at, ==, SIM_MS(1153));
    g_assert_cmpuint(fx_counter(fx, "sctp.fast_retransmits"), ==, 1);
    g_assert_cmpuint(fx_counter(fx, "sctp.t3_expiries"), ==, 0);
}

/* Fragmentation: one DATA chunk carries at most 1500 - 20 (IP) - 12
 * (common header) - 16 (DATA header) = 1452 bytes.  5000 bytes make 4
 * chunks; the initial cwnd min(4 MTU, max(2 MTU, 4380)) = 4380 lets all
 * four go at once (new data may leave while flight < cwnd: 3 * 1452 =
 * 4356 < 4380), so the message arrives whole R/2 later. */
static void
test_data_fragmented(Fx *fx, gconstpointer data)
{
    fx_open(fx, 0);
    guint64 before = fx_counter(fx, "net.packets");
    fx_at(fx, SIM_S(1));
    fx_send(fx, fx->c.conn, 0, 1, 5000);
    fx_run_to(fx, SIM_MS(1050) - 1);
    g_assert_cmpuint(fx_counter(fx, "net.packets") - before, ==, 4);
    fx_run_to(fx, SIM_MS(1050));
    g_assert_cmpuint(fx->s.arrivals->len, ==, 2);
    g_assert_cmpuint(arrival(&fx->s, 1)->len, ==, 5000);
    g_assert_cmpuint(arrival(&fx->s, 1)->at, ==, SIM_MS(1050));
}

/* Slow start (7.2.1) over a 20000-byte message: 14 chunks (13 * 1452 +
 * 1124).  Round 1: 4 chunks (cwnd 4380).  The receiver SACKs every
 * second packet, so two SACKs come back at R; each acks 2904 bytes with
 * cwnd fully used and adds one MTU: cwnd 5880 then 7380, releasing 3 and
 * 3 chunks (round 2: 6 chunks).  At 2 R the first two SACKs of round 2
 * raise cwnd to 8880 and 10380 and release the last 4 chunks, which land
 * at 2.5 R: the message is whole at 1 s + 250 ms. */
static void
test_data_slow_start(Fx *fx, gconstpointer data)
{
    fx_open(fx, 0);
    fx_at(fx, SIM_S(1));
    fx_send(fx, fx->c.conn, 0, 1, 20000);
    fx_run_to(fx, SIM_S(10));
    g_assert_cmpuint(fx->s.arrivals->len, ==, 2);
    g_assert_cmpuint(arrival(&fx->s, 1)->len, ==, 20000);
    g_assert_cmpuint(arrival(&fx->s, 1)->at, ==, SIM_MS(1250));
}

/* 5 % loss both ways, 300 messages of up to 4000 bytes on 5 streams:
 * every message arrives exactly once and in order on its stream, and the
 * association then closes gracefully. */
static void
test_data_lossy(Fx *fx, gconstpointer data)
{
    SimStackConfig ccfg = { .rto_min = SIM_S(1) };
    fx_setup_full(fx, &ccfg, 0.05);
    SimConn *c = fx_connect(fx, SRV_PORT, 5);
    SimRng rng;
    sim_rng_init(&rng, 99, 1);
    guint n = 300;
    for (guint i = 0; i < n; i++) {
        fx_send(fx, c, i % 5, i, 1 + (guint32)sim_rng_below(&rng, 4000));
        fx_at(fx, SIM_MS(10) * (i + 1));
    }
    fx_run_to(fx, SIM_S(600));
    g_assert_true(fx->c.connected);
    g_assert_cmpuint(fx->s.arrivals->len, ==, n);
    guint next[5] = { 0, 1, 2, 3, 4 };
    for (guint i = 0; i < n; i++) {
        const Arrival *a = arrival(&fx->s, i);
        g_assert_cmpuint(a->id, ==, next[a->stream]);
        next[a->stream] += 5;
    }
    g_assert_cmpuint(fx_counter(fx, "sctp.retransmissions"), >, 0);
    g_test_message("lossy: %" G_GUINT64_FORMAT " packets, %" G_GUINT64_FORMAT
                   " lost, %" G_GUINT64_FORMAT " retransmitted chunks, %"
                   G_GUINT64_FORMAT " fast retransmits, %" G_GUINT64_FORMAT
                   " T3 expiries, last arrival %.3f s",
                   fx_counter(fx, "net.packets"), fx_counter(fx, "net.lost"),
                   fx_counter(fx, "sctp.retransmissions"),
                   fx_counter(fx, "sctp.fast_retransmits"),
                   fx_counter(fx, "sctp.t3_expiries"),
                   arrival(&fx->s, n - 1)->at / 1e9);
    sim_conn_close(c);
    fx_run_to(fx, SIM_S(1200));
    g_assert_true(fx->c.closed);
    g_assert_true(fx->s.closed);
    g_assert_cmpint(fx->s.reason, ==, SIM_CLOSE_PEER);
}

/* The ops table is complete and registered. */
static void
test_registry(void)
{
    g_autoptr(GError) error = NULL;
    const SimTransportOps *ops = sim_transport_by_name("sctp", &error);
    g_assert_no_error(error);
    g_assert_true(ops == &sim_transport_sctp);
    g_assert_true(sim_transport_by_kind(SIM_TRANSPORT_SCTP) ==
                  &sim_transport_sctp);
    g_assert_nonnull(ops->listen_with);
    g_assert_nonnull(ops->abort);
    g_assert_nonnull(ops->crash);
}

/* Listening twice on one port is a configuration error. */
static void
test_listen_twice(Fx *fx, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_assert_false(sim_transport_sctp.listen(fx->srv, SRV_PORT, &error));
    g_assert_error(error, SIM_TRANSPORT_ERROR, 0);
}

#define ADD(path, setup, func)                                              \
    g_test_add(path, Fx, NULL, setup, func, fx_teardown)

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("SCTP transport: handshake timing, timers, close, "
                   "streams, fragmentation, loss recovery, counters.");
    g_test_add_func("/sctp/registry/table", test_registry);
    ADD("/sctp/listen/twice", fx_setup, test_listen_twice);
    ADD("/sctp/handshake/bundled", fx_setup, test_handshake_bundled);
    ADD("/sctp/handshake/unbundled", fx_setup_bare,
        test_handshake_unbundled);
    ADD("/sctp/handshake/init-black-hole", fx_setup,
        test_handshake_black_hole);
    ADD("/sctp/handshake/connect-timeout", fx_setup_bare,
        test_handshake_connect_timeout);
    ADD("/sctp/handshake/refused", fx_setup, test_handshake_refused);
    ADD("/sctp/close/graceful", fx_setup, test_close_graceful);
    ADD("/sctp/close/abort", fx_setup, test_close_abort);
    ADD("/sctp/close/idle", fx_setup, test_close_idle);
    ADD("/sctp/close/crash", fx_setup, test_close_crash);
    ADD("/sctp/streams/no-hol", fx_setup, test_streams_no_hol);
    ADD("/sctp/streams/fast-retransmit", fx_setup,
        test_streams_fast_retransmit);
    ADD("/sctp/data/fragmented", fx_setup, test_data_fragmented);
    ADD("/sctp/data/slow-start", fx_setup, test_data_slow_start);
    ADD("/sctp/data/lossy", fx_setup_bare, test_data_lossy);
    return g_test_run();
}
