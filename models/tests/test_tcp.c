/* SPDX-License-Identifier: MIT */
/*
 * Tests of the TCP transport on a two-node network built by hand (A =
 * 192.0.2.1, B = 192.0.2.128, one-way delay 50 ms so R = 100 ms, infinite
 * bandwidth so times are pure RTT arithmetic).  Every expected time is
 * derived in the comments from RTT counts, RFC 6298 timers or the slow-start
 * closed form, never taken from the code's output.
 */
#include "models/transport.h"

#define A_IP 0xC0000201u /* 192.0.2.1 */
#define B_IP 0xC0000280u /* 192.0.2.128 */
#define HOLE_IP 0xC0000263u /* 192.0.2.99: no interface */
#define SIP_PORT 5060

typedef struct {
    SimMsg base;
    guint id;
} TestMsg;

static void
test_msg_free(SimMsg *m)
{
    g_free(m);
}

static SimMsg *
test_msg_new(guint id, guint32 len)
{
    TestMsg *t = g_new0(TestMsg, 1);
    t->base.len = len;
    t->base.refcount = 1;
    t->base.free = test_msg_free;
    t->id = id;
    return &t->base;
}

/* What one side saw. */
typedef struct {
    SimConn *conn;
    SimTime connected_at;
    /* Message ids and arrival times, in delivery order. */
    GArray *ids;
    GArray *times;
    gboolean closed;
    SimCloseReason reason;
    SimTime closed_at;
    SimCtx *ctx;
} Side;

/* Packets A put on the wire, and which of them to drop. */
typedef struct {
    GArray *times;
    GArray *flags_syn;
    /* Drop A's data segments number drop_first .. drop_last (1-based,
     * counting only A's packets carrying payload) sent at or after
     * drop_after. */
    guint data_seen;
    guint drop_first, drop_last;
    SimTime drop_after;
    /* Drop A's SYNs number 1 .. drop_syns. */
    guint syn_seen, drop_syns;
    /* Drop everything A sends at or after black_hole_at (0: never). */
    SimTime black_hole_at;
    /* When B sent its pure ACKs (20 IP + 20 TCP + 12 timestamps option
     * bytes, no payload). */
    GArray *b_acks;
    SimCtx *ctx;
} Wire;

typedef struct {
    SimCtx ctx;
    SimNet *net;
    SimStack *a, *b;
    Side ca, sb;
    Wire wire;
    guint site_a, site_b;
} Fx;

static void
side_connected(SimConn *c, gpointer user)
{
    Side *s = user;
    s->connected_at = sim_ctx_now(s->ctx);
}

static void
side_message(SimConn *c, guint stream, SimMsg *m, gpointer user)
{
    Side *s = user;
    guint id = ((TestMsg *)m)->id;
    SimTime now = sim_ctx_now(s->ctx);
    g_array_append_val(s->ids, id);
    g_array_append_val(s->times, now);
}

static void
side_closed(SimConn *c, SimCloseReason reason, gpointer user)
{
    Side *s = user;
    s->closed = TRUE;
    s->reason = reason;
    s->closed_at = sim_ctx_now(s->ctx);
    s->conn = NULL;
}

static const SimConnCallbacks side_cb = {
    .connected = side_connected,
    .message = side_message,
    .closed = side_closed,
};

static void
server_accept(SimStack *st, SimConn *c, gpointer user)
{
    Side *s = user;
    s->conn = c;
    s->connected_at = sim_ctx_now(s->ctx);
    sim_conn_set_callbacks(c, &side_cb, s);
}

static gboolean
wire_hook(SimNet *net, const SimPacket *pkt, gpointer data)
{
    Wire *w = data;
    SimTime now = sim_ctx_now(w->ctx);
    if (pkt->src == B_IP && pkt->size == 52)
        g_array_append_val(w->b_acks, now);
    if (pkt->src != A_IP)
        return FALSE;
    g_array_append_val(w->times, now);
    /* A SYN is 60 bytes (20 IP + 20 TCP + 20 options); pure ACKs are 52
     * (20 IP + 20 TCP + 12 timestamps option) and no test sends a message
     * of 12 bytes or less. */
    gboolean syn = pkt->size == 60;
    g_array_append_val(w->flags_syn, syn);
    if (w->black_hole_at && now >= w->black_hole_at)
        return TRUE;
    if (syn && ++w->syn_seen <= w->drop_syns)
        return TRUE;
    if (w->drop_last && pkt->size > 52 && !syn && now >= w->drop_after) {
        w->data_seen++;
        return w->data_seen >= w->drop_first && w->data_seen <= w->drop_last;
    }
    return FALSE;
}

static void
side_init(Side *s, SimCtx *ctx)
{
    *s = (Side){ 0 };
    s->ctx = ctx;
    s->ids = g_array_new(FALSE, FALSE, sizeof(guint));
    s->times = g_array_new(FALSE, FALSE, sizeof(SimTime));
}

static void
fx_setup_cfg(Fx *fx, const SimStackConfig *cfg)
{
    fx->ctx.evq = sim_evq_new();
    fx->ctx.seed = 1;
    fx->ctx.stats = sim_stats_new();
    SimPathParams p = { .delay = SIM_MS(50), .mtu = 1500 };
    fx->net = sim_net_new(&fx->ctx, &p);
    fx->site_a = sim_net_add_site(fx->net, "a");
    fx->site_b = sim_net_add_site(fx->net, "b");
    sim_net_add_interface(fx->net, A_IP, fx->site_a);
    sim_net_add_interface(fx->net, B_IP, fx->site_b);
    fx->a = sim_stack_new(&fx->ctx, fx->net, "a", A_IP, NULL, cfg);
    fx->b = sim_stack_new(&fx->ctx, fx->net, "b", B_IP, NULL, cfg);
    side_init(&fx->ca, &fx->ctx);
    side_init(&fx->sb, &fx->ctx);
    fx->wire = (Wire){ 0 };
    fx->wire.ctx = &fx->ctx;
    fx->wire.times = g_array_new(FALSE, FALSE, sizeof(SimTime));
    fx->wire.flags_syn = g_array_new(FALSE, FALSE, sizeof(gboolean));
    fx->wire.b_acks = g_array_new(FALSE, FALSE, sizeof(SimTime));
    sim_net_set_drop_hook(fx->net, wire_hook, &fx->wire);
    g_autoptr(GError) error = NULL;
    g_assert_true(sim_transport_tcp.listen(fx->b, SIP_PORT, &error));
    g_assert_no_error(error);
    sim_stack_set_accept(fx->b, server_accept, &fx->sb);
}

static void
fx_setup(Fx *fx, gconstpointer data)
{
    SimStackConfig cfg = { .initial_window = 10, .rto_min = SIM_S(1) };
    fx_setup_cfg(fx, &cfg);
}

static void
fx_teardown(Fx *fx, gconstpointer data)
{
    sim_evq_free(fx->ctx.evq);
    sim_stack_free(fx->a);
    sim_stack_free(fx->b);
    sim_net_free(fx->net);
    sim_stats_free(fx->ctx.stats);
    for (Side *s = &fx->ca; s <= &fx->sb; s++) {
        g_array_unref(s->ids);
        g_array_unref(s->times);
    }
    g_array_unref(fx->wire.times);
    g_array_unref(fx->wire.flags_syn);
    g_array_unref(fx->wire.b_acks);
}

/* Drops A's data segments number @first .. @last sent from @after on. */
static void
fx_drop(Fx *fx, SimTime after, guint first, guint last)
{
    fx->wire.data_seen = 0;
    fx->wire.drop_after = after;
    fx->wire.drop_first = first;
    fx->wire.drop_last = last;
}

static SimConn *
fx_connect(Fx *fx, SimIp ip, guint16 port)
{
    SimConnectParams p = { .ip = ip, .port = port };
    fx->ca.conn = sim_transport_connect(&sim_transport_tcp, fx->a, &p,
                                        &side_cb, &fx->ca);
    return fx->ca.conn;
}

static void
noop(SimEvq *q, gpointer data)
{
}

/* Runs the world up to @until and leaves the clock there (the queue only
 * moves the clock when it pops an event). */
static void
fx_run(Fx *fx, SimTime until)
{
    if (until > sim_ctx_now(&fx->ctx))
        sim_evq_at(fx->ctx.evq, until, noop, NULL, NULL);
    sim_evq_run_until(fx->ctx.evq, until);
}

static void
fx_send(SimConn *c, guint id, guint32 len)
{
    SimMsg *m = test_msg_new(id, len);
    sim_conn_send(c, 0, m);
    sim_msg_unref(m);
}

static SimTime
arrival(const Side *s, guint i)
{
    g_assert_cmpuint(i, <, s->times->len);
    return g_array_index(s->times, SimTime, i);
}

static guint64
counter(Fx *fx, const char *name)
{
    return sim_stats_counter(fx->ctx.stats, name)->value;
}

/* SPEC 38: the request rides on the third handshake segment, so it arrives
 * after 1.5 R = 150 ms; the opener is connected after 1 R.  On the open
 * connection a message takes R / 2 = 50 ms. */
static void
test_first_message(Fx *fx, gconstpointer data)
{
    SimConn *c = fx_connect(fx, B_IP, SIP_PORT);
    fx_send(c, 1, 500);
    fx_run(fx, SIM_S(1));
    g_assert_cmpuint(fx->ca.connected_at, ==, SIM_MS(100));
    g_assert_cmpuint(fx->sb.connected_at, ==, SIM_MS(150));
    g_assert_cmpuint(fx->sb.ids->len, ==, 1);
    g_assert_cmpuint(arrival(&fx->sb, 0), ==, SIM_MS(150));
    g_assert_true(sim_conn_is_open(c));
    g_assert_cmpuint(c->local.port, >=, 49152);
    g_assert_cmpuint(fx->sb.conn->remote.port, ==, c->local.port);
    g_assert_cmpuint(fx->sb.conn->remote.ip, ==, A_IP);
    g_assert_cmpuint(fx->sb.conn->local.port, ==, SIP_PORT);

    fx_send(c, 2, 800);
    fx_send(fx->sb.conn, 3, 300);
    fx_run(fx, SIM_S(2));
    g_assert_cmpuint(arrival(&fx->sb, 1), ==, SIM_MS(1050));
    g_assert_cmpuint(arrival(&fx->ca, 0), ==, SIM_MS(1050));
    g_assert_cmpuint(counter(fx, "handshakes.tcp"), ==, 1);
    g_assert_cmpuint(counter(fx, "connections.opened"), ==, 1);
    g_assert_cmpuint(counter(fx, "tcp.retransmits"), ==, 0);
    SimGauge *open = sim_stats_gauge(fx->ctx.stats, "connections.open");
    SimGauge *na = sim_stats_gauge(fx->ctx.stats, "node.a.connections.open");
    SimGauge *nb = sim_stats_gauge(fx->ctx.stats, "node.b.connections.open");
    g_assert_cmpint(sim_gauge_level(open), ==, 1);
    g_assert_cmpint(sim_gauge_level(na), ==, 1);
    g_assert_cmpint(sim_gauge_level(nb), ==, 1);
}

/* Slow start with IW = 10 segments of MSS = 1500 - 40 - 12 = 1448 bytes
 * (the RFC 7323 timestamps option rides on every segment) and an
 * ACK per segment: each round trip doubles the window, so round k (k = 0,
 * 1, ...) carries 10 * 2^k segments and after k rounds 10 * (2^k - 1) are
 * out.  A message of n segments sent at connect time starts flowing when
 * the SYN-ACK arrives (1 R) and its last segment leaves in round
 * K = min{k : 10 * (2^(k+1) - 1) >= n}, arriving at (1 + K + 0.5) R.
 *   14480 B = 10 segments: K = 0, 150 ms.   14481 B = 11 segments: K = 1,
 *   250 ms.   100 KB = 102400 B = 71 segments (70 * 1448 = 101360): 10 + 20
 *   + 40 = 70 < 71, so K = 3, 450 ms. */
static void
test_slow_start(Fx *fx, gconstpointer data)
{
    const struct {
        guint32 bytes;
        SimTime expect;
    } cases[] = { { 14480, SIM_MS(150) }, { 14481, SIM_MS(250) },
                  { 102400, SIM_MS(450) } };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        SimTime t0 = SIM_S(10) * i;
        fx_run(fx, t0);
        SimConn *c = fx_connect(fx, B_IP, SIP_PORT);
        fx_send(c, i, cases[i].bytes);
        fx_run(fx, t0 + SIM_S(5));
        g_assert_cmpuint(fx->sb.ids->len, ==, i + 1);
        g_assert_cmpuint(arrival(&fx->sb, i) - t0, ==, cases[i].expect);
        sim_conn_close(c);
    }
    g_assert_cmpuint(counter(fx, "tcp.retransmits"), ==, 0);
}

/* RFC 6928's IW is capped in bytes: min(10*MSS, max(2*MSS, 14600)).  On
 * a 9000-byte MTU path MSS = 9000 - 40 - 12 = 8948, so IW = max(17896,
 * 14600) = 17896 B, two segments (not ten): a 17896-byte message leaves
 * at once and arrives at
 * 1.5 R = 150 ms; one more byte needs a third segment, sent after the first
 * ACK returns, so it arrives at 2.5 R = 250 ms. */
static void
test_iw_jumbo(Fx *fx, gconstpointer data)
{
    SimPathParams p = { .delay = SIM_MS(50), .mtu = 9000 };
    sim_net_set_path(fx->net, fx->site_a, fx->site_b, &p);
    const guint32 bytes[] = { 17896, 17897 };
    const SimTime expect[] = { SIM_MS(150), SIM_MS(250) };
    for (guint i = 0; i < G_N_ELEMENTS(bytes); i++) {
        SimTime t0 = SIM_S(10) * i;
        fx_run(fx, t0);
        SimConn *c = fx_connect(fx, B_IP, SIP_PORT);
        fx_send(c, i, bytes[i]);
        fx_run(fx, t0 + SIM_S(5));
        g_assert_cmpuint(fx->sb.ids->len, ==, i + 1);
        g_assert_cmpuint(arrival(&fx->sb, i) - t0, ==, expect[i]);
        sim_conn_close(c);
    }
}

/* SPEC 41: SYNs at 0, 1, 3, 7, 15 and 31 s (RTO 1 s doubling, RFC 6298
 * 2.1 and 5.5); after the fifth retransmission the timer (32 s) expires
 * at 63 s and the connect fails with SIM_CLOSE_TIMEOUT. */
static void
test_syn_black_hole(Fx *fx, gconstpointer data)
{
    fx_connect(fx, HOLE_IP, SIP_PORT);
    fx_run(fx, SIM_S(200));
    const guint expect[] = { 0, 1, 3, 7, 15, 31 };
    g_assert_cmpuint(fx->wire.times->len, ==, G_N_ELEMENTS(expect));
    for (guint i = 0; i < G_N_ELEMENTS(expect); i++)
        g_assert_cmpuint(g_array_index(fx->wire.times, SimTime, i), ==,
                         SIM_S(expect[i]));
    g_assert_true(fx->ca.closed);
    g_assert_cmpint(fx->ca.reason, ==, SIM_CLOSE_TIMEOUT);
    g_assert_cmpuint(fx->ca.closed_at, ==, SIM_S(63));
    g_assert_cmpuint(counter(fx, "tcp.syn_retransmits"), ==, 5);
    g_assert_cmpuint(counter(fx, "tcp.connect_failed"), ==, 1);
    g_assert_cmpuint(counter(fx, "connections.opened"), ==, 0);
}

/* A connect timeout of 5 s (below Timer B): SYNs at 0, 1, 3 s, failure at
 * exactly 5 s. */
static void
test_syn_connect_timeout(Fx *fx, gconstpointer data)
{
    fx->a->cfg.connect_timeout = SIM_S(5);
    fx_connect(fx, HOLE_IP, SIP_PORT);
    fx_run(fx, SIM_S(100));
    g_assert_cmpuint(fx->wire.times->len, ==, 3);
    g_assert_cmpuint(g_array_index(fx->wire.times, SimTime, 2), ==, SIM_S(3));
    g_assert_cmpint(fx->ca.reason, ==, SIM_CLOSE_TIMEOUT);
    g_assert_cmpuint(fx->ca.closed_at, ==, SIM_S(5));
}

/* Nothing listens on B:5070: B answers the SYN with RST, which reaches A
 * after one R. */
static void
test_refused(Fx *fx, gconstpointer data)
{
    SimConn *c = fx_connect(fx, B_IP, 5070);
    fx_send(c, 1, 100);
    fx_run(fx, SIM_S(10));
    g_assert_true(fx->ca.closed);
    g_assert_cmpint(fx->ca.reason, ==, SIM_CLOSE_REFUSED);
    g_assert_cmpuint(fx->ca.closed_at, ==, SIM_MS(100));
    g_assert_cmpuint(fx->sb.ids->len, ==, 0);
    g_assert_cmpuint(fx->wire.times->len, ==, 1);
}

/* FIN close at t = 1 s: B learns at 1.05 s (PEER) and closes its half at
 * once; A has both FINs at 1.1 s (LOCAL).  A message queued before the
 * close is delivered before the FIN. */
static void
test_fin_close(Fx *fx, gconstpointer data)
{
    SimConn *c = fx_connect(fx, B_IP, SIP_PORT);
    fx_run(fx, SIM_S(1));
    fx_send(c, 7, 1000);
    sim_conn_close(c);
    g_assert_false(sim_conn_is_open(c));
    fx_run(fx, SIM_S(10));
    g_assert_cmpuint(arrival(&fx->sb, 0), ==, SIM_MS(1050));
    g_assert_true(fx->sb.closed);
    g_assert_cmpint(fx->sb.reason, ==, SIM_CLOSE_PEER);
    g_assert_cmpuint(fx->sb.closed_at, ==, SIM_MS(1050));
    g_assert_true(fx->ca.closed);
    g_assert_cmpint(fx->ca.reason, ==, SIM_CLOSE_LOCAL);
    g_assert_cmpuint(fx->ca.closed_at, ==, SIM_MS(1100));
    g_assert_cmpuint(counter(fx, "connections.closed"), ==, 1);
    SimGauge *open = sim_stats_gauge(fx->ctx.stats, "connections.open");
    SimGauge *mem = sim_stats_gauge(fx->ctx.stats, "memory.conn_bytes");
    g_assert_cmpint(sim_gauge_level(open), ==, 0);
    g_assert_cmpint(sim_gauge_level(mem), ==, 0);
    g_assert_cmpuint(sim_evq_pending(fx->ctx.evq), ==, 0);
}

/* A spurious FIN timeout: with rto_min = 1 ms the RTO is 300 ms (from the
 * 100 ms handshake sample), then the path delay grows to 500 ms.  A's FIN
 * at 1 s times out at 1.3 s and again at 1.9 s (RTO doubled) before the
 * peer's FIN+ACK of the original arrives at 2 s = 1 s + 2 * 500 ms: A must
 * still see its FIN acknowledged and report LOCAL then; B heard PEER at
 * 1.5 s.  B (same RTO) resends its own FIN at 1.8 and 2.4 s before A's
 * ACK reaches it at 2.5 s: 4 retransmissions in all. */
static void
test_fin_spurious_timeout(Fx *fx, gconstpointer data)
{
    fx->a->cfg.rto_min = SIM_MS(1);
    fx->b->cfg.rto_min = SIM_MS(1);
    SimConn *c = fx_connect(fx, B_IP, SIP_PORT);
    fx_run(fx, SIM_MS(500));
    SimPathParams slow = { .delay = SIM_MS(500), .mtu = 1500 };
    sim_net_set_path(fx->net, fx->site_a, fx->site_b, &slow);
    fx_run(fx, SIM_S(1));
    sim_conn_close(c);
    fx_run(fx, SIM_S(20));
    g_assert_cmpint(fx->sb.reason, ==, SIM_CLOSE_PEER);
    g_assert_cmpuint(fx->sb.closed_at, ==, SIM_MS(1500));
    g_assert_true(fx->ca.closed);
    g_assert_cmpint(fx->ca.reason, ==, SIM_CLOSE_LOCAL);
    g_assert_cmpuint(fx->ca.closed_at, ==, SIM_S(2));
    g_assert_cmpuint(counter(fx, "tcp.retransmits"), ==, 4);
}

static void
idle_connected(SimConn *c, gpointer user)
{
    side_connected(c, user);
    sim_conn_set_idle_timeout(c, SIM_S(10));
}

static const SimConnCallbacks idle_cb = {
    .connected = idle_connected,
    .message = side_message,
    .closed = side_closed,
};

/* Idle timeout of 10 s set when A is connected (100 ms; the last activity):
 * A closes at 10.1 s, B hears the FIN at 10.15 s, A reports IDLE at
 * 10.2 s. */
static void
test_idle_close(Fx *fx, gconstpointer data)
{
    SimConnectParams p = { .ip = B_IP, .port = SIP_PORT };
    fx->ca.conn = sim_transport_connect(&sim_transport_tcp, fx->a, &p,
                                        &idle_cb, &fx->ca);
    fx_run(fx, SIM_S(30));
    g_assert_cmpint(fx->ca.reason, ==, SIM_CLOSE_IDLE);
    g_assert_cmpuint(fx->ca.closed_at, ==, SIM_MS(10200));
    g_assert_cmpint(fx->sb.reason, ==, SIM_CLOSE_PEER);
    g_assert_cmpuint(fx->sb.closed_at, ==, SIM_MS(10150));
}

/* An idle timeout set when the connection has already been idle longer
 * than it: A connects at 100 ms (the last activity) with no timeout, and
 * at 5 s gets one of 2 s, which expired at 2.1 s.  The connection closes
 * at once (5 s), as a stack arming an expired timer does; it used to be
 * scheduled in the past, which aborts the run ("event scheduled before
 * now"). */
static void
test_idle_set_late(Fx *fx, gconstpointer data)
{
    SimConn *c = fx_connect(fx, B_IP, SIP_PORT);
    fx_run(fx, SIM_S(5));
    g_assert_false(fx->ca.closed);
    sim_conn_set_idle_timeout(c, SIM_S(2));
    fx_run(fx, SIM_S(30));
    g_assert_cmpint(fx->ca.reason, ==, SIM_CLOSE_IDLE);
    g_assert_cmpuint(fx->ca.closed_at, ==, SIM_S(5) + SIM_MS(100));
    g_assert_cmpint(fx->sb.reason, ==, SIM_CLOSE_PEER);
    g_assert_cmpuint(fx->sb.closed_at, ==, SIM_S(5) + SIM_MS(50));
}

/* Abort: RST; B hears RESET after R / 2. */
static void
test_abort(Fx *fx, gconstpointer data)
{
    SimConn *c = fx_connect(fx, B_IP, SIP_PORT);
    fx_run(fx, SIM_S(1));
    sim_conn_abort(c);
    fx_run(fx, SIM_S(10));
    g_assert_cmpint(fx->ca.reason, ==, SIM_CLOSE_LOCAL);
    g_assert_cmpuint(fx->ca.closed_at, ==, SIM_S(1));
    g_assert_cmpint(fx->sb.reason, ==, SIM_CLOSE_RESET);
    g_assert_cmpuint(fx->sb.closed_at, ==, SIM_MS(1050));
}

/* A crashes at 1 s: its endpoint vanishes silently (HOST_DOWN locally, B
 * hears nothing).  B sends at 2 s; A's address answers with RST, which
 * reaches B at 2.1 s. */
static void
test_crash(Fx *fx, gconstpointer data)
{
    fx_connect(fx, B_IP, SIP_PORT);
    fx_run(fx, SIM_S(1));
    sim_stack_crash(fx->a);
    fx_run(fx, SIM_S(2));
    g_assert_cmpint(fx->ca.reason, ==, SIM_CLOSE_HOST_DOWN);
    g_assert_cmpuint(fx->ca.closed_at, ==, SIM_S(1));
    g_assert_false(fx->sb.closed);
    fx_send(fx->sb.conn, 1, 100);
    fx_run(fx, SIM_S(10));
    g_assert_cmpint(fx->sb.reason, ==, SIM_CLOSE_RESET);
    g_assert_cmpuint(fx->sb.closed_at, ==, SIM_MS(2100));
}

/* HOL with RTO recovery: at 1 s A sends m1 and m2 (one segment each) and
 * the segment of m1 is lost.  m2 arrives at 1.05 s but waits; one
 * duplicate ACK is no fast retransmit, so m1 is resent when the RTO
 * expires.  RTO = max(rto_min = 1 s, SRTT + 4 RTTVAR = 100 + 4 * 50 ms)
 * = 1 s from the handshake sample, so the resend leaves at 2 s and both
 * messages are delivered at 2.05 s (m2 would have arrived at 1.05 s). */
static void
test_hol_rto(Fx *fx, gconstpointer data)
{
    SimConn *c = fx_connect(fx, B_IP, SIP_PORT);
    fx_run(fx, SIM_S(1));
    fx_drop(fx, SIM_S(1), 1, 1);
    fx_send(c, 1, 1000);
    fx_send(c, 2, 1000);
    fx_run(fx, SIM_S(10));
    g_assert_cmpuint(fx->sb.ids->len, ==, 2);
    g_assert_cmpuint(g_array_index(fx->sb.ids, guint, 0), ==, 1);
    g_assert_cmpuint(arrival(&fx->sb, 0), ==, SIM_MS(2050));
    g_assert_cmpuint(arrival(&fx->sb, 1), ==, SIM_MS(2050));
    g_assert_cmpuint(counter(fx, "tcp.rto_timeouts"), ==, 1);
    g_assert_cmpuint(counter(fx, "tcp.retransmits"), ==, 1);
}

/* HOL with fast retransmit: five 1000-byte messages at 1 s, the first
 * segment lost.  B gets four later segments at 1.05 s and sends four
 * duplicate ACKs; the third reaches A at 1.1 s and triggers the fast
 * retransmit (RFC 5681 3.2), which arrives at 1.15 s: all five messages
 * are delivered then, in order. */
static void
test_hol_fast_retransmit(Fx *fx, gconstpointer data)
{
    SimConn *c = fx_connect(fx, B_IP, SIP_PORT);
    fx_run(fx, SIM_S(1));
    fx_drop(fx, SIM_S(1), 1, 1);
    for (guint i = 1; i <= 5; i++)
        fx_send(c, i, 1000);
    fx_run(fx, SIM_S(10));
    g_assert_cmpuint(fx->sb.ids->len, ==, 5);
    for (guint i = 0; i < 5; i++) {
        g_assert_cmpuint(g_array_index(fx->sb.ids, guint, i), ==, i + 1);
        g_assert_cmpuint(arrival(&fx->sb, i), ==, SIM_MS(1150));
    }
    g_assert_cmpuint(counter(fx, "tcp.fast_retransmits"), ==, 1);
    g_assert_cmpuint(counter(fx, "tcp.rto_timeouts"), ==, 0);
}

/* RFC 6298 arithmetic with rto_min = 1 ms so the formula shows:
 *   handshake sample R1 = 100 ms: SRTT = 100, RTTVAR = 50 (2.2).
 *   the path delay becomes 100 ms; m1 at 1 s is acked at 1.2 s, R2 = 200:
 *   RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5, SRTT = 7/8 * 100 + 1/8 *
 *   200 = 112.5 (2.3), RTO = 112.5 + 4 * 62.5 = 362.5 ms.
 * m2 at 2 s is dropped twice: resends at 2 + 0.3625 = 2.3625 s and, with
 * the RTO doubled (5.5), at 2.3625 + 0.725 = 3.0875 s; it arrives 100 ms
 * later. */
static void
test_rto_arithmetic(Fx *fx, gconstpointer data)
{
    fx->a->cfg.rto_min = SIM_MS(1);
    SimConn *c = fx_connect(fx, B_IP, SIP_PORT);
    fx_run(fx, SIM_MS(500));
    SimPathParams slow = { .delay = SIM_MS(100), .mtu = 1500 };
    sim_net_set_path(fx->net, fx->site_a, fx->site_b, &slow);
    fx_run(fx, SIM_S(1));
    fx_send(c, 1, 500);
    fx_run(fx, SIM_S(2));
    guint before = fx->wire.times->len;
    fx_drop(fx, SIM_S(2), 1, 2);
    fx_send(c, 2, 500);
    fx_run(fx, SIM_S(10));
    g_assert_cmpuint(fx->wire.times->len, ==, before + 3);
    g_assert_cmpuint(g_array_index(fx->wire.times, SimTime, before), ==,
                     SIM_S(2));
    g_assert_cmpuint(g_array_index(fx->wire.times, SimTime, before + 1), ==,
                     SIM_US(2362500));
    g_assert_cmpuint(g_array_index(fx->wire.times, SimTime, before + 2), ==,
                     SIM_US(3087500));
    g_assert_cmpuint(arrival(&fx->sb, 1), ==, SIM_US(3187500));
}

/* RTO backoff into a black hole (RFC 6298 5.5, cap 60 s): data sent at
 * 1 s with RTO 1 s is resent at 2, 4, 8, 16, 32, 64 s, then every 60 s;
 * after 15 resends (the last at 64 + 9 * 60 = 604 s) the 16th expiry at
 * 664 s ends the connection with SIM_CLOSE_TIMEOUT. */
static void
test_rto_backoff(Fx *fx, gconstpointer data)
{
    SimConn *c = fx_connect(fx, B_IP, SIP_PORT);
    fx_run(fx, SIM_S(1));
    fx->wire.black_hole_at = SIM_S(1);
    guint before = fx->wire.times->len;
    fx_send(c, 1, 500);
    fx_run(fx, SIM_S(1000));
    const guint expect[] = { 1, 2, 4, 8, 16, 32, 64, 124, 184 };
    for (guint i = 0; i < G_N_ELEMENTS(expect); i++)
        g_assert_cmpuint(g_array_index(fx->wire.times, SimTime, before + i),
                         ==, SIM_S(expect[i]));
    g_assert_cmpuint(fx->wire.times->len, ==, before + 16);
    g_assert_cmpint(fx->ca.reason, ==, SIM_CLOSE_TIMEOUT);
    g_assert_cmpuint(fx->ca.closed_at, ==, SIM_S(664));
}

/* The first SYN is lost and the second (1 s) is answered at 1.1 s.  The
 * SYN-ACK echoes the second SYN's timestamp (RFC 7323 4.1), so it is an
 * RTT sample of 100 ms, where Karn's rule gave none and RFC 6298 5.7 a
 * 3 s RTO: RTO = max(1 s, 100 + 4 * 50 ms) = 1 s.  The original SYN was
 * lost (the echo is not earlier than the retransmission), so the window
 * is one segment (RFC 5681 3.1) and nothing is undone.  Data at 2 s,
 * dropped once, is resent at 3 s and arrives at 3.05 s. */
static void
test_rto_after_syn_timeout(Fx *fx, gconstpointer data)
{
    fx->wire.drop_syns = 1;
    SimConn *c = fx_connect(fx, B_IP, SIP_PORT);
    fx_run(fx, SIM_S(2));
    g_assert_cmpuint(fx->ca.connected_at, ==, SIM_MS(1100));
    fx_drop(fx, SIM_S(2), 1, 1);
    fx_send(c, 1, 500);
    fx_run(fx, SIM_S(20));
    g_assert_cmpuint(arrival(&fx->sb, 0), ==, SIM_MS(3050));
    g_assert_cmpuint(counter(fx, "tcp.spurious_undone"), ==, 0);
}

/* A spurious timeout undone (RFC 3522 Eifel detection with timestamps,
 * RFC 4015's response).  Handshake at R = 100 ms: RTO = max(1 s, 100 + 4
 * * 50 ms) = 1 s.  At 0.5 s the path grows to R = 2 s; m1, sent at 1 s,
 * times out at 2 s and goes again (window cut to one segment).  The
 * original reaches B at 2 s and B's ACK, back at 3 s, echoes m1's first
 * TSval (1 s), earlier than the retransmission: spurious, so the initial
 * window of 10 segments comes back.  Eight one-segment messages queued at
 * 3 s all leave at once (after the cut, slow start from one segment would
 * have let 2 go) and arrive at 4 s; m1 is delivered once.  The ACK is also
 * an RTT sample of 2 s (RFC 7323 4.1): RTTVAR = 3/4 * 50 + 1/4 * |100 -
 * 2000| = 512.5 ms, SRTT = 7/8 * 100 + 1/8 * 2000 = 337.5 ms, RTO =
 * 337.5 + 4 * 512.5 = 2387.5 ms (the duplicate's ACK at 4 s acknowledges
 * nothing new and is no sample), where Karn's rule would have kept the
 * doubled 2 s. */
static void
test_undo_spurious_timeout(Fx *fx, gconstpointer data)
{
    SimConn *c = fx_connect(fx, B_IP, SIP_PORT);
    fx_run(fx, SIM_MS(500));
    SimPathParams slow = { .delay = SIM_S(1), .mtu = 1500 };
    sim_net_set_path(fx->net, fx->site_a, fx->site_b, &slow);
    fx_run(fx, SIM_S(1));
    fx_send(c, 1, 500);
    fx_run(fx, SIM_S(3));
    g_assert_cmpuint(counter(fx, "tcp.rto_timeouts"), ==, 1);
    g_assert_cmpuint(counter(fx, "tcp.spurious_undone"), ==, 1);
    guint before = fx->wire.times->len;
    for (guint i = 0; i < 8; i++)
        fx_send(c, 2 + i, 1400);
    g_assert_cmpuint(fx->wire.times->len, ==, before + 8);
    fx_run(fx, SIM_S(10));
    g_assert_cmpuint(fx->sb.times->len, ==, 9);
    g_assert_cmpuint(arrival(&fx->sb, 0), ==, SIM_S(2));
    for (guint i = 1; i < 9; i++)
        g_assert_cmpuint(arrival(&fx->sb, i), ==, SIM_S(4));
    g_assert_cmpuint(counter(fx, "tcp.rto_timeouts"), ==, 1);
    /* The eight ACKs at 5 s are eight more samples of 2 s (RFC 6298
     * 2.3 in integer nanoseconds, as after the first); the RTO they leave
     * shows on the next loss: m10 at 10 s into a black hole goes again one
     * RTO later. */
    SimTime srtt = SIM_US(337500), rttvar = SIM_US(512500);
    for (guint i = 0; i < 8; i++) {
        SimTime r = SIM_S(2);
        rttvar = (3 * rttvar + (srtt > r ? srtt - r : r - srtt)) / 4;
        srtt = (7 * srtt + r) / 8;
    }
    SimTime rto = srtt + 4 * rttvar;
    g_test_message("RTO after nine samples of 2 s: %.3f ms", rto / 1e6);
    g_assert_cmpuint(rto / SIM_MS(1), ==, 4872);
    fx->wire.black_hole_at = SIM_S(10);
    before = fx->wire.times->len;
    fx_send(c, 10, 500);
    fx_run(fx, SIM_S(16));
    g_assert_cmpuint(fx->wire.times->len, ==, before + 2);
    g_assert_cmpuint(g_array_index(fx->wire.times, SimTime, before + 1), ==,
                     SIM_S(10) + rto);
}

/* Memory: 2048 bytes of kernel state per endpoint plus unacknowledged
 * bytes; released at close. */
static void
test_memory(Fx *fx, gconstpointer data)
{
    SimConn *c = fx_connect(fx, B_IP, SIP_PORT);
    fx_run(fx, SIM_S(1));
    SimGauge *mem = sim_stats_gauge(fx->ctx.stats, "memory.conn_bytes");
    g_assert_cmpuint(c->mem_bytes, ==, 2048);
    g_assert_cmpuint(fx->sb.conn->mem_bytes, ==, 2048);
    g_assert_cmpint(sim_gauge_level(mem), ==, 4096);
    fx_send(c, 1, 1000);
    g_assert_cmpuint(c->mem_bytes, ==, 3048);
    g_assert_cmpint(sim_gauge_level(mem), ==, 5096);
    fx_run(fx, SIM_S(2));
    g_assert_cmpuint(c->mem_bytes, ==, 2048);
    sim_conn_close(c);
    fx_run(fx, SIM_S(3));
    g_assert_cmpint(sim_gauge_level(mem), ==, 0);
}

/* An explicit local port is used (SPEC 28); a second connection from the
 * same port to the same destination is refused locally. */
static void
test_local_port(Fx *fx, gconstpointer data)
{
    SimConnectParams p = { .ip = B_IP, .port = SIP_PORT,
                           .local_port = SIP_PORT };
    SimConn *c = sim_transport_connect(&sim_transport_tcp, fx->a, &p,
                                       &side_cb, &fx->ca);
    fx_run(fx, SIM_S(1));
    g_assert_cmpuint(c->local.port, ==, SIP_PORT);
    g_assert_cmpuint(fx->sb.conn->remote.port, ==, SIP_PORT);
    Side other;
    side_init(&other, &fx->ctx);
    sim_transport_connect(&sim_transport_tcp, fx->a, &p, &side_cb, &other);
    fx_run(fx, SIM_S(2));
    g_assert_true(other.closed);
    g_assert_cmpint(other.reason, ==, SIM_CLOSE_REFUSED);
    g_array_unref(other.ids);
    g_array_unref(other.times);
}

/* 300 messages of pseudo-random sizes over a 5 %-loss path in both
 * directions: each is delivered exactly once, in order. */
static void
test_lossy_order(Fx *fx, gconstpointer data)
{
    SimPathParams lossy = { .delay = SIM_MS(50), .mtu = 1500,
                            .loss = 0.05 };
    sim_net_set_path(fx->net, fx->site_a, fx->site_b, &lossy);
    SimConn *c = fx_connect(fx, B_IP, SIP_PORT);
    SimRng rng;
    sim_rng_init(&rng, 7, 7);
    for (guint i = 0; i < 300; i++) {
        fx_send(c, i, 200 + (guint32)sim_rng_below(&rng, 4000));
        fx_run(fx, sim_ctx_now(&fx->ctx) + sim_rng_below(&rng, SIM_MS(30)));
    }
    fx_run(fx, SIM_S(3000));
    g_assert_cmpuint(fx->sb.ids->len, ==, 300);
    for (guint i = 0; i < 300; i++)
        g_assert_cmpuint(g_array_index(fx->sb.ids, guint, i), ==, i);
    g_assert_cmpuint(counter(fx, "net.lost"), >, 0);
    g_assert_cmpuint(counter(fx, "tcp.retransmits"), >, 0);
    sim_conn_close(c);
    fx_run(fx, SIM_S(6000));
    g_assert_true(fx->ca.closed);
    g_assert_true(fx->sb.closed);
}

/* Packets still in flight at the end are released by sim_net_free (the
 * teardown runs under ASan with leak detection). */
static void
test_teardown_in_flight(Fx *fx, gconstpointer data)
{
    SimConn *c = fx_connect(fx, B_IP, SIP_PORT);
    fx_run(fx, SIM_S(1));
    for (guint i = 0; i < 20; i++)
        fx_send(c, i, 1000);
    fx_run(fx, SIM_MS(1020));
    g_assert_cmpuint(sim_evq_pending(fx->ctx.evq), >, 0);
}

/* ---- Delayed ACK (RFC 1122 4.2.3.2, RFC 5681 4.2; Linux's rules) -------
 * B delays its ACKs by 40 ms.  The quick phase: after the handshake (done
 * at 150 ms), A sends sixteen 100-byte messages, one every 200 ms from
 * 1.8 s, each its own segment arriving 50 ms later; B ACKs each at once
 * (quick-ack mode covers a connection's first 16 data segments), so its
 * pure ACKs leave at 1.85 + 0.2 k s, k = 0 .. 15.  The last arrives at
 * 4.85 s, less than an RTO before the tests' 5 s.  With @reply, B answers
 * each message at once with 100 bytes: an answer within the delayed-ACK
 * timeout puts it in interactive (pingpong) mode. */
static SimConn *
delack_quick_phase(Fx *fx, SimTime delay, gboolean reply)
{
    fx->b->cfg.delayed_ack = delay;
    SimConn *c = fx_connect(fx, B_IP, SIP_PORT);
    for (guint k = 0; k < 16; k++) {
        fx_run(fx, SIM_MS(1800) + k * SIM_MS(200));
        fx_send(c, k, 100);
        fx_run(fx, SIM_MS(1850) + k * SIM_MS(200));
        if (reply)
            fx_send(fx->sb.conn, 1000 + k, 100);
    }
    fx_run(fx, SIM_S(5));
    g_assert_cmpuint(fx->sb.ids->len, ==, 16);
    g_assert_cmpuint(fx->wire.b_acks->len, ==, 16);
    for (guint k = 0; k < 16; k++)
        g_assert_cmpuint(g_array_index(fx->wire.b_acks, SimTime, k), ==,
                         SIM_MS(1850) + k * SIM_MS(200));
    return c;
}

/* B's pure ACKs from @from on: @n of them, at the times in @want. */
static void
assert_b_acks_after(Fx *fx, guint from, guint n, const SimTime *want)
{
    g_assert_cmpuint(fx->wire.b_acks->len, ==, from + n);
    for (guint i = 0; i < n; i++)
        g_assert_cmpuint(g_array_index(fx->wire.b_acks, SimTime, from + i),
                         ==, want[i]);
}

/* Interactive B: the 17th data segment (sent at 5 s, in at 5.05 s) is
 * ACKed when the delayed-ACK timer expires, 40 ms later; with the timer
 * off (0) at once. */
static void
test_delack_timer(Fx *fx, gconstpointer data)
{
    SimTime delay = GPOINTER_TO_UINT(data) ? SIM_MS(40) : 0;
    SimConn *c = delack_quick_phase(fx, delay, TRUE);
    fx_send(c, 16, 100);
    fx_run(fx, SIM_S(6));
    SimTime want = SIM_MS(5050) + delay;
    assert_b_acks_after(fx, 16, 1, &want);
    g_assert_cmpuint(arrival(&fx->sb, 16), ==, SIM_MS(5050));
    g_assert_cmpuint(counter(fx, "tcp.retransmits"), ==, 0);
}

/* Interactive B leaves interactive mode when its delayed-ACK timer has
 * to send a bare ACK (Linux: "delayed ACK missed"): the 17th message's
 * ACK waits until 5.09 s, and the 18th, sent at 5.1 s, is pushed and
 * ACKed at once on arrival at 5.15 s. */
static void
test_delack_leave_interactive(Fx *fx, gconstpointer data)
{
    SimConn *c = delack_quick_phase(fx, SIM_MS(40), TRUE);
    fx_send(c, 16, 100);
    fx_run(fx, SIM_MS(5100));
    fx_send(c, 17, 100);
    fx_run(fx, SIM_S(6));
    const SimTime want[] = { SIM_MS(5090), SIM_MS(5150) };
    assert_b_acks_after(fx, 16, 2, want);
}

/* B never answers, so it is not interactive: a message's last (pushed)
 * segment is ACKed at once, as Linux does when the application reads it
 * outside pingpong mode. */
static void
test_delack_quiet(Fx *fx, gconstpointer data)
{
    SimConn *c = delack_quick_phase(fx, SIM_MS(40), FALSE);
    fx_send(c, 16, 100);
    fx_run(fx, SIM_S(6));
    SimTime want = SIM_MS(5050);
    assert_b_acks_after(fx, 16, 1, &want);
}

/* A message interactive B answers 39 ms after it arrived: the answer
 * carries the ACK and B sends no pure ACK; answered 41 ms after, the
 * delayed ACK has gone at 40 ms on its own. */
static void
test_delack_piggyback(Fx *fx, gconstpointer data)
{
    SimTime after = SIM_MS(GPOINTER_TO_UINT(data));
    SimConn *c = delack_quick_phase(fx, SIM_MS(40), TRUE);
    guint replies = fx->ca.ids->len;
    fx_send(c, 16, 100);
    fx_run(fx, SIM_MS(5050) + after);
    fx_send(fx->sb.conn, 100, 300);
    fx_run(fx, SIM_S(6));
    SimTime want = SIM_MS(5090);
    assert_b_acks_after(fx, 16, after < SIM_MS(40) ? 0 : 1, &want);
    g_assert_cmpuint(fx->ca.ids->len, ==, replies + 1);
    g_assert_cmpuint(arrival(&fx->ca, replies), ==, SIM_MS(5100) + after);
}

/* A 4344-byte message is three full-sized segments (MSS 1448) arriving
 * together at 5.05 s.  The first raises B's receive MSS estimate to 1448
 * and waits; the second leaves 2896 bytes, more than one receive MSS,
 * unacknowledged and is ACKed at once (RFC 1122 4.2.3.2: at least every
 * second full-sized segment); the third, full-sized and so not pushed,
 * waits for the timer, 40 ms. */
static void
test_delack_two_segments(Fx *fx, gconstpointer data)
{
    SimConn *c = delack_quick_phase(fx, SIM_MS(40), FALSE);
    fx_send(c, 16, 3 * 1448);
    fx_run(fx, SIM_S(6));
    const SimTime want[] = { SIM_MS(5050), SIM_MS(5090) };
    assert_b_acks_after(fx, 16, 2, want);
    g_assert_cmpuint(arrival(&fx->sb, 16), ==, SIM_MS(5050));
}

/* Interactive B and four 500-byte messages sent 1 ms apart from 5 s: the
 * receive MSS estimate stays at 536, so every second message leaves more
 * than it unacknowledged and is ACKed at once (5.051 and 5.053 s); the
 * others wait and are covered by those ACKs. */
static void
test_delack_small_segments(Fx *fx, gconstpointer data)
{
    SimConn *c = delack_quick_phase(fx, SIM_MS(40), TRUE);
    for (guint i = 0; i < 4; i++) {
        fx_run(fx, SIM_S(5) + i * SIM_MS(1));
        fx_send(c, 100 + i, 500);
    }
    fx_run(fx, SIM_S(6));
    const SimTime want[] = { SIM_MS(5051), SIM_MS(5053) };
    assert_b_acks_after(fx, 16, 2, want);
}

/* Out of order is ACKed at once (RFC 5681 4.2): five 1000-byte messages
 * at 5 s with the first segment lost, after an interactive quick phase.
 * The four later segments reach B at 5.05 s and each is answered at once
 * with a duplicate ACK; the third reaches A at 5.1 s and triggers the fast
 * retransmit, which arrives at 5.15 s, fills the hole and is ACKed at
 * once.  Delayed, the duplicate ACKs would have held the retransmission
 * back by the timer. */
static void
test_delack_out_of_order(Fx *fx, gconstpointer data)
{
    SimConn *c = delack_quick_phase(fx, SIM_MS(40), TRUE);
    fx_drop(fx, SIM_S(5), 1, 1);
    for (guint i = 1; i <= 5; i++)
        fx_send(c, 100 + i, 1000);
    fx_run(fx, SIM_S(10));
    g_assert_cmpuint(fx->sb.ids->len, ==, 21);
    for (guint i = 16; i < 21; i++)
        g_assert_cmpuint(arrival(&fx->sb, i), ==, SIM_MS(5150));
    const SimTime want[] = { SIM_MS(5050), SIM_MS(5050), SIM_MS(5050),
                             SIM_MS(5050), SIM_MS(5150) };
    assert_b_acks_after(fx, 16, 5, want);
    g_assert_cmpuint(counter(fx, "tcp.fast_retransmits"), ==, 1);
    g_assert_cmpuint(counter(fx, "tcp.rto_timeouts"), ==, 0);
}

/* Quick ACKs again after a silence longer than the RTO (Linux's
 * tcp_event_data_recv): three 1000-byte messages at 5 s (segments of
 * 1448, 1448 and 104 bytes) are all lost; the RTO (1 s, rto-min) resends
 * the first at 6 s with a window of one segment.  It reaches B at 6.05 s,
 * 1.2 s after B's last data, and is ACKed at once, so the other two leave
 * when that ACK reaches A at 6.1 s and arrive at 6.15 s, with the timer
 * on as with it off.  A delayed ACK there would have added 40 ms. */
static void
test_delack_quick_after_silence(Fx *fx, gconstpointer data)
{
    SimTime delay = GPOINTER_TO_UINT(data) ? SIM_MS(40) : 0;
    SimConn *c = delack_quick_phase(fx, delay, TRUE);
    fx_drop(fx, SIM_S(5), 1, 3);
    for (guint i = 1; i <= 3; i++)
        fx_send(c, 100 + i, 1000);
    fx_run(fx, SIM_S(10));
    g_assert_cmpuint(fx->sb.ids->len, ==, 19);
    g_assert_cmpuint(arrival(&fx->sb, 16), ==, SIM_MS(6050));
    g_assert_cmpuint(arrival(&fx->sb, 17), ==, SIM_MS(6150));
    g_assert_cmpuint(arrival(&fx->sb, 18), ==, SIM_MS(6150));
    g_assert_cmpuint(counter(fx, "tcp.rto_timeouts"), ==, 1);
}

/* The timer re-arms: interactive B gets a message at 5.05 s (ACK due at
 * 5.09), answers it at 5.06 s (the answer carries that ACK), and gets
 * another at 5.085 s, whose ACK is due at 5.125: the timer event set for
 * 5.09 moves there, and that is B's only pure ACK. */
static void
test_delack_rearm(Fx *fx, gconstpointer data)
{
    SimConn *c = delack_quick_phase(fx, SIM_MS(40), TRUE);
    fx_send(c, 16, 100);
    fx_run(fx, SIM_MS(5035));
    fx_send(c, 17, 100);
    fx_run(fx, SIM_MS(5060));
    fx_send(fx->sb.conn, 200, 300);
    fx_run(fx, SIM_S(6));
    const SimTime want[] = { SIM_MS(5125) };
    assert_b_acks_after(fx, 16, 1, want);
}

/* A delayed ACK owed when B's endpoint ends (abort, or a crash of B's
 * host): no ACK is sent afterwards and the pending timer must not touch
 * the freed endpoint (ASan and valgrind would see it). */
static void
test_delack_end_pending(Fx *fx, gconstpointer data)
{
    SimConn *c = delack_quick_phase(fx, SIM_MS(40), TRUE);
    fx_send(c, 16, 100);
    fx_run(fx, SIM_MS(5060));
    if (GPOINTER_TO_UINT(data))
        sim_stack_crash(fx->b);
    else
        sim_conn_abort(fx->sb.conn);
    fx_run(fx, SIM_S(7));
    assert_b_acks_after(fx, 16, 0, NULL);
}

/* The delay never outlasts the smoothed RTT (at least 40 ms): with
 * delayed-ack = 499ms and rto-min = 300ms, interactive B ACKs the 17th
 * message after SRTT = 100 ms, at 5.15 s; the ACK reaches A at 5.2 s,
 * before its RTO (at least 300 ms) fires at 5.3 s, so nothing is
 * retransmitted.  Uncapped, the ACK would leave at 5.549 s. */
static void
test_delack_rtt_cap(Fx *fx, gconstpointer data)
{
    fx->a->cfg.rto_min = fx->b->cfg.rto_min = SIM_MS(300);
    SimConn *c = delack_quick_phase(fx, SIM_MS(499), TRUE);
    fx_send(c, 16, 100);
    fx_run(fx, SIM_S(7));
    const SimTime want[] = { SIM_MS(5150) };
    assert_b_acks_after(fx, 16, 1, want);
    g_assert_cmpuint(counter(fx, "tcp.rto_timeouts"), ==, 0);
    g_assert_cmpuint(counter(fx, "tcp.retransmits"), ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("TCP transport: handshake timing, slow start, RFC 6298 "
                   "timers, SYN retries, FIN/RST/idle/crash, head-of-line "
                   "blocking, memory accounting.");
    const struct {
        const char *path;
        void (*func)(Fx *, gconstpointer);
    } tests[] = {
        { "/tcp/handshake/first-message-1.5rtt", test_first_message },
        { "/tcp/slow-start/closed-form", test_slow_start },
        { "/tcp/slow-start/iw-byte-cap", test_iw_jumbo },
        { "/tcp/syn/black-hole", test_syn_black_hole },
        { "/tcp/syn/connect-timeout", test_syn_connect_timeout },
        { "/tcp/connect/refused", test_refused },
        { "/tcp/close/fin-both-ends", test_fin_close },
        { "/tcp/close/fin-spurious-timeout", test_fin_spurious_timeout },
        { "/tcp/close/idle", test_idle_close },
        { "/tcp/close/idle-set-late", test_idle_set_late },
        { "/tcp/close/abort-rst", test_abort },
        { "/tcp/close/crash", test_crash },
        { "/tcp/hol/rto", test_hol_rto },
        { "/tcp/hol/fast-retransmit", test_hol_fast_retransmit },
        { "/tcp/rto/rfc6298-arithmetic", test_rto_arithmetic },
        { "/tcp/rto/backoff-black-hole", test_rto_backoff },
        { "/tcp/rto/after-syn-timeout", test_rto_after_syn_timeout },
        { "/tcp/undo/spurious-timeout", test_undo_spurious_timeout },
        { "/tcp/memory/accounting", test_memory },
        { "/tcp/ports/local-port", test_local_port },
        { "/tcp/loss/in-order-exactly-once", test_lossy_order },
        { "/tcp/teardown/in-flight", test_teardown_in_flight },
    };
    for (guint i = 0; i < G_N_ELEMENTS(tests); i++)
        g_test_add(tests[i].path, Fx, NULL, fx_setup, tests[i].func,
                   fx_teardown);
    g_test_add("/tcp/delack/timer-40ms", Fx, GUINT_TO_POINTER(1), fx_setup,
               test_delack_timer, fx_teardown);
    g_test_add("/tcp/delack/off", Fx, GUINT_TO_POINTER(0), fx_setup,
               test_delack_timer, fx_teardown);
    g_test_add("/tcp/delack/quiet-acks-at-once", Fx, NULL, fx_setup,
               test_delack_quiet, fx_teardown);
    g_test_add("/tcp/delack/leave-interactive", Fx, NULL, fx_setup,
               test_delack_leave_interactive, fx_teardown);
    g_test_add("/tcp/delack/every-second-small-message", Fx, NULL, fx_setup,
               test_delack_small_segments, fx_teardown);
    g_test_add("/tcp/delack/quick-after-silence", Fx, GUINT_TO_POINTER(1),
               fx_setup, test_delack_quick_after_silence, fx_teardown);
    g_test_add("/tcp/delack/quick-after-silence-off", Fx,
               GUINT_TO_POINTER(0), fx_setup,
               test_delack_quick_after_silence, fx_teardown);
    g_test_add("/tcp/delack/rearm", Fx, NULL, fx_setup, test_delack_rearm,
               fx_teardown);
    g_test_add("/tcp/delack/abort-pending", Fx, GUINT_TO_POINTER(0),
               fx_setup, test_delack_end_pending, fx_teardown);
    g_test_add("/tcp/delack/crash-pending", Fx, GUINT_TO_POINTER(1),
               fx_setup, test_delack_end_pending, fx_teardown);
    g_test_add("/tcp/delack/rtt-cap", Fx, NULL, fx_setup,
               test_delack_rtt_cap, fx_teardown);
    g_test_add("/tcp/delack/piggyback-39ms", Fx, GUINT_TO_POINTER(39),
               fx_setup, test_delack_piggyback, fx_teardown);
    g_test_add("/tcp/delack/timer-before-answer-41ms", Fx,
               GUINT_TO_POINTER(41), fx_setup, test_delack_piggyback,
               fx_teardown);
    g_test_add("/tcp/delack/two-full-segments", Fx, NULL, fx_setup,
               test_delack_two_segments, fx_teardown);
    g_test_add("/tcp/delack/out-of-order-at-once", Fx, NULL, fx_setup,
               test_delack_out_of_order, fx_teardown);
    return g_test_run();
}
