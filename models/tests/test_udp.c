/* SPDX-License-Identifier: MIT */
/*
 * Tests of the UDP transport on a two-node network (one-way delay 50 ms,
 * infinite bandwidth): flows open at once, a datagram takes exactly the
 * one-way delay, replies come back on the accepted flow, losses are
 * binomial and never recovered, oversized datagrams pay one IP header per
 * fragment, and datagrams to a closed port vanish.
 */
#include "models/transport.h"

#define A_IP 0xC0000201u
#define B_IP 0xC0000280u
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

static void
send_msg(SimConn *c, guint id, guint32 len)
{
    TestMsg *t = g_new0(TestMsg, 1);
    t->base = (SimMsg){ .len = len, .refcount = 1, .free = test_msg_free };
    t->id = id;
    sim_conn_send(c, 0, &t->base);
    sim_msg_unref(&t->base);
}

typedef struct {
    SimCtx *ctx;
    SimConn *conn;
    guint accepts;
    SimTime connected_at;
    GArray *times;
    gboolean closed;
    SimCloseReason reason;
    SimTime closed_at;
} Side;

typedef struct {
    SimCtx ctx;
    SimNet *net;
    SimStack *a, *b;
    guint sa, sb;
    Side ca, sb_side;
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
    SimTime now = sim_ctx_now(s->ctx);
    g_array_append_val(s->times, now);
}

static void
side_closed(SimConn *c, SimCloseReason reason, gpointer user)
{
    Side *s = user;
    s->closed = TRUE;
    s->reason = reason;
    s->closed_at = sim_ctx_now(s->ctx);
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
    s->accepts++;
    sim_conn_set_callbacks(c, &side_cb, s);
}

static void
fx_setup(Fx *fx, gconstpointer data)
{
    fx->ctx.evq = sim_evq_new();
    fx->ctx.seed = 3;
    fx->ctx.stats = sim_stats_new();
    SimPathParams p = { .delay = SIM_MS(50), .mtu = 1500 };
    fx->net = sim_net_new(&fx->ctx, &p);
    fx->sa = sim_net_add_site(fx->net, "a");
    fx->sb = sim_net_add_site(fx->net, "b");
    sim_net_add_interface(fx->net, A_IP, fx->sa);
    sim_net_add_interface(fx->net, B_IP, fx->sb);
    SimStackConfig cfg = { 0 };
    fx->a = sim_stack_new(&fx->ctx, fx->net, "a", A_IP, NULL, &cfg);
    fx->b = sim_stack_new(&fx->ctx, fx->net, "b", B_IP, NULL, &cfg);
    for (Side *s = &fx->ca; s <= &fx->sb_side; s++) {
        *s = (Side){ 0 };
        s->ctx = &fx->ctx;
        s->times = g_array_new(FALSE, FALSE, sizeof(SimTime));
    }
    g_autoptr(GError) error = NULL;
    g_assert_true(sim_transport_udp.listen(fx->b, SIP_PORT, &error));
    g_assert_no_error(error);
    g_assert_false(sim_transport_udp.listen(fx->b, SIP_PORT, &error));
    g_assert_error(error, SIM_TRANSPORT_ERROR, 0);
    sim_stack_set_accept(fx->b, server_accept, &fx->sb_side);
}

static void
fx_teardown(Fx *fx, gconstpointer data)
{
    sim_evq_free(fx->ctx.evq);
    sim_stack_free(fx->a);
    sim_stack_free(fx->b);
    sim_net_free(fx->net);
    sim_stats_free(fx->ctx.stats);
    g_array_unref(fx->ca.times);
    g_array_unref(fx->sb_side.times);
}

static void
noop(SimEvq *q, gpointer data)
{
}

static void
fx_run(Fx *fx, SimTime until)
{
    sim_evq_at(fx->ctx.evq, until, noop, NULL, NULL);
    sim_evq_run_until(fx->ctx.evq, until);
}

static SimConn *
fx_connect(Fx *fx, guint16 port)
{
    SimConnectParams p = { .ip = B_IP, .port = port };
    fx->ca.conn = sim_transport_connect(&sim_transport_udp, fx->a, &p,
                                        &side_cb, &fx->ca);
    return fx->ca.conn;
}

/* No handshake: open at once; a datagram takes the one-way delay (50 ms)
 * and the reply comes back on the same flow 50 ms after it is sent. */
static void
test_delivery(Fx *fx, gconstpointer data)
{
    SimConn *c = fx_connect(fx, SIP_PORT);
    g_assert_true(sim_conn_is_open(c));
    send_msg(c, 1, 500);
    fx_run(fx, SIM_MS(500));
    g_assert_cmpuint(fx->ca.connected_at, ==, 0);
    g_assert_cmpuint(fx->sb_side.accepts, ==, 1);
    g_assert_cmpuint(fx->sb_side.times->len, ==, 1);
    g_assert_cmpuint(g_array_index(fx->sb_side.times, SimTime, 0), ==,
                     SIM_MS(50));
    SimConn *s = fx->sb_side.conn;
    g_assert_cmpuint(s->remote.ip, ==, A_IP);
    g_assert_cmpuint(s->remote.port, ==, c->local.port);
    g_assert_cmpuint(c->local.port, >=, 49152);
    g_assert_cmpint(s->remote.transport, ==, SIM_TRANSPORT_UDP);
    send_msg(s, 2, 300);
    send_msg(c, 3, 300);
    fx_run(fx, SIM_S(1));
    g_assert_cmpuint(fx->ca.times->len, ==, 1);
    g_assert_cmpuint(g_array_index(fx->ca.times, SimTime, 0), ==,
                     SIM_MS(550));
    g_assert_cmpuint(fx->sb_side.accepts, ==, 1);
    g_assert_cmpuint(fx->sb_side.times->len, ==, 2);
    g_assert_cmpuint(
        sim_stats_counter(fx->ctx.stats, "connections.opened")->value, ==, 0);
}

/* 2000 datagrams at loss 0.2: the losses are Binomial(2000, 0.2), mean
 * 400, sigma = sqrt(2000 * 0.2 * 0.8) = 17.9; accept 5 sigma.  Nothing is
 * retransmitted: received + lost = sent. */
static void
test_loss(Fx *fx, gconstpointer data)
{
    SimPathParams p = { .delay = SIM_MS(50), .mtu = 1500, .loss = 0.2 };
    sim_net_set_path(fx->net, fx->sa, fx->sb, &p);
    SimConn *c = fx_connect(fx, SIP_PORT);
    for (guint i = 0; i < 2000; i++)
        send_msg(c, i, 400);
    fx_run(fx, SIM_S(10));
    guint64 lost = sim_stats_counter(fx->ctx.stats, "net.lost")->value;
    g_assert_cmpuint(lost, >=, 400 - 90);
    g_assert_cmpuint(lost, <=, 400 + 90);
    g_assert_cmpuint(fx->sb_side.times->len + lost, ==, 2000);
    g_assert_cmpuint(
        sim_stats_counter(fx->ctx.stats, "udp.datagrams_received")->value, ==,
        fx->sb_side.times->len);
}

/* Wire size: 20 IP + 8 UDP + payload; a 3000-byte message needs
 * ceil(3008 / 1480) = 3 fragments, so 3008 + 3 * 20 = 3068 bytes. */
static void
test_fragments(Fx *fx, gconstpointer data)
{
    SimConn *c = fx_connect(fx, SIP_PORT);
    send_msg(c, 1, 1000);
    fx_run(fx, SIM_S(1));
    SimCounter *wire = sim_stats_counter(fx->ctx.stats, "bytes.wire");
    g_assert_cmpuint(wire->value, ==, 1028);
    send_msg(c, 2, 3000);
    fx_run(fx, SIM_S(2));
    g_assert_cmpuint(wire->value, ==, 1028 + 3068);
    g_assert_cmpuint(fx->sb_side.times->len, ==, 2);
}

/* A datagram to a port nobody listens on vanishes; closing a flow reports
 * LOCAL at once and nothing reaches the peer. */
static void
test_no_listener_and_close(Fx *fx, gconstpointer data)
{
    SimConn *c = fx_connect(fx, 5070);
    send_msg(c, 1, 100);
    fx_run(fx, SIM_S(1));
    g_assert_cmpuint(fx->sb_side.accepts, ==, 0);
    g_assert_cmpuint(
        sim_stats_counter(fx->ctx.stats, "udp.no_listener")->value, ==, 1);
    sim_conn_close(c);
    g_assert_false(sim_conn_is_open(c));
    fx_run(fx, SIM_S(2));
    g_assert_true(fx->ca.closed);
    g_assert_cmpint(fx->ca.reason, ==, SIM_CLOSE_LOCAL);
    g_assert_cmpuint(fx->ca.closed_at, ==, SIM_S(1));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("UDP transport: delivery times, flows per remote tuple, "
                   "binomial loss without recovery, fragment overhead, "
                   "closed ports.");
    g_test_add("/udp/delivery/one-way-delay", Fx, NULL, fx_setup,
               test_delivery, fx_teardown);
    g_test_add("/udp/loss/binomial", Fx, NULL, fx_setup, test_loss,
               fx_teardown);
    g_test_add("/udp/size/fragments", Fx, NULL, fx_setup, test_fragments,
               fx_teardown);
    g_test_add("/udp/ports/no-listener-and-close", Fx, NULL, fx_setup,
               test_no_listener_and_close, fx_teardown);
    return g_test_run();
}
