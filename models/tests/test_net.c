/* SPDX-License-Identifier: MIT */
/*
 * Tests of the network model with a bare protocol handler: serialisation
 * plus propagation times from first principles, FIFO transmit queues, loss
 * counts within binomial bounds, jitter that never reorders, unknown and
 * down interfaces, the fault-injection drop hook, and release of in-flight
 * payloads when the network is freed.
 */
#include "models/net.h"

#define A_IP 0xC0000201u
#define B_IP 0xC0000280u

typedef struct {
    SimCtx ctx;
    SimNet *net;
    guint sa, sb;
    /* Arrival times and payload tags at B. */
    GArray *times;
    GArray *tags;
    /* Payloads released (delivered or dropped or freed at the end). */
    guint freed;
} Fx;

/* A payload: which fixture counts its release, and a tag. */
typedef struct {
    Fx *fx;
    guint tag;
} Payload;

static void
fx_payload_free(gpointer p)
{
    Payload *pl = p;
    pl->fx->freed++;
    g_free(pl);
}

static void
fx_recv(SimNet *net, SimPacket *pkt, gpointer data)
{
    Fx *fx = data;
    SimTime now = sim_ctx_now(&fx->ctx);
    guint tag = ((Payload *)pkt->payload)->tag;
    g_array_append_val(fx->times, now);
    g_array_append_val(fx->tags, tag);
    sim_net_packet_free(net, pkt);
}

static void
fx_setup(Fx *fx, gconstpointer data)
{
    fx->ctx.evq = sim_evq_new();
    fx->ctx.seed = 42;
    fx->ctx.stats = sim_stats_new();
    SimPathParams p = { .delay = SIM_MS(5), .bandwidth_bps = 1000000,
                        .mtu = 1500 };
    fx->net = sim_net_new(&fx->ctx, &p);
    fx->sa = sim_net_add_site(fx->net, "a");
    fx->sb = sim_net_add_site(fx->net, "b");
    g_assert_true(sim_net_add_interface(fx->net, A_IP, fx->sa));
    g_assert_true(sim_net_add_interface(fx->net, B_IP, fx->sb));
    g_assert_false(sim_net_add_interface(fx->net, B_IP, fx->sa));
    sim_net_set_handler(fx->net, B_IP, SIM_IPPROTO_UDP, fx_recv, fx, NULL);
    fx->times = g_array_new(FALSE, FALSE, sizeof(SimTime));
    fx->tags = g_array_new(FALSE, FALSE, sizeof(guint));
    fx->freed = 0;
}

static void
fx_teardown(Fx *fx, gconstpointer data)
{
    sim_evq_free(fx->ctx.evq);
    sim_net_free(fx->net);
    sim_stats_free(fx->ctx.stats);
    g_array_unref(fx->times);
    g_array_unref(fx->tags);
}

static void
fx_send(Fx *fx, SimIp dst, guint32 size, guint tag)
{
    SimPacket *pkt = sim_net_packet_new(fx->net);
    pkt->src = A_IP;
    pkt->dst = dst;
    pkt->proto = SIM_IPPROTO_UDP;
    pkt->size = size;
    Payload *pl = g_new(Payload, 1);
    *pl = (Payload){ fx, tag };
    pkt->payload = pl;
    pkt->payload_free = fx_payload_free;
    sim_net_send(fx->net, pkt);
}

static void
fx_run(Fx *fx)
{
    sim_evq_run_until(fx->ctx.evq, SIM_TIME_NEVER);
}

/* 1250 bytes at 1 Mbps take 10 ms to serialise; plus 5 ms of propagation
 * the first arrives at 15 ms.  A second packet queued behind it starts at
 * 10 ms and arrives at 25 ms. */
static void
test_serialisation(Fx *fx, gconstpointer data)
{
    fx_send(fx, B_IP, 1250, 1);
    fx_send(fx, B_IP, 1250, 2);
    fx_run(fx);
    g_assert_cmpuint(fx->times->len, ==, 2);
    g_assert_cmpuint(g_array_index(fx->times, SimTime, 0), ==, SIM_MS(15));
    g_assert_cmpuint(g_array_index(fx->times, SimTime, 1), ==, SIM_MS(25));
    g_assert_cmpuint(sim_stats_counter(fx->ctx.stats, "bytes.wire")->value,
                     ==, 2500);
    /* Rounding up to the nanosecond: 1 byte at 3 bps is 8/3 s. */
    g_assert_cmpuint(sim_net_serialization_time(1, 3), ==, 2666666667ull);
    g_assert_cmpuint(sim_net_serialization_time(1000, 0), ==, 0);
}

/* 20000 packets with loss 0.1: the count is Binomial(20000, 0.1), mean
 * 2000 and sigma = sqrt(20000 * 0.1 * 0.9) = 42.4; accept 5 sigma. */
static void
test_loss_binomial(Fx *fx, gconstpointer data)
{
    SimPathParams p = { .delay = SIM_MS(5), .loss = 0.1, .mtu = 1500 };
    sim_net_set_path(fx->net, fx->sa, fx->sb, &p);
    const guint n = 20000;
    for (guint i = 0; i < n; i++)
        fx_send(fx, B_IP, 100, i);
    fx_run(fx);
    guint64 lost = sim_stats_counter(fx->ctx.stats, "net.lost")->value;
    g_assert_cmpuint(lost, >=, 2000 - 212);
    g_assert_cmpuint(lost, <=, 2000 + 212);
    g_assert_cmpuint(fx->times->len + lost, ==, n);
    g_assert_cmpuint(fx->freed, ==, n);
}

/* Jitter up to 20 ms on packets sent 1 ms apart: arrivals keep the send
 * order and each lies in [send + delay, send + delay + jitter]. */
static void
test_jitter_no_reorder(Fx *fx, gconstpointer data)
{
    SimPathParams p = { .delay = SIM_MS(5), .jitter = SIM_MS(20),
                        .mtu = 1500 };
    sim_net_set_path(fx->net, fx->sa, fx->sb, &p);
    for (guint i = 0; i < 500; i++) {
        sim_evq_run_until(fx->ctx.evq, SIM_MS(i));
        fx_send(fx, B_IP, 100, i);
    }
    fx_run(fx);
    g_assert_cmpuint(fx->tags->len, ==, 500);
    gboolean some_jitter = FALSE;
    for (guint i = 0; i < 500; i++) {
        SimTime t = g_array_index(fx->times, SimTime, i);
        g_assert_cmpuint(g_array_index(fx->tags, guint, i), ==, i);
        g_assert_cmpuint(t, >=, SIM_MS(i) + SIM_MS(5));
        g_assert_cmpuint(t, <=, SIM_MS(i) + SIM_MS(25));
        some_jitter |= t > SIM_MS(i) + SIM_MS(5);
    }
    g_assert_true(some_jitter);
}

/* Unknown destinations and down interfaces swallow packets (black hole);
 * the payload is released either way. */
static void
test_black_holes(Fx *fx, gconstpointer data)
{
    fx_send(fx, 0x0A000001u, 100, 1);
    sim_net_set_interface_up(fx->net, B_IP, FALSE);
    fx_send(fx, B_IP, 100, 2);
    fx_run(fx);
    g_assert_cmpuint(fx->times->len, ==, 0);
    g_assert_cmpuint(fx->freed, ==, 2);
}

static gboolean
drop_third(SimNet *net, const SimPacket *pkt, gpointer data)
{
    guint *n = data;
    return ++*n == 3;
}

/* The drop hook removes exactly the packet it picks. */
static void
test_drop_hook(Fx *fx, gconstpointer data)
{
    guint n = 0;
    sim_net_set_drop_hook(fx->net, drop_third, &n);
    for (guint i = 1; i <= 5; i++)
        fx_send(fx, B_IP, 100, i);
    fx_run(fx);
    g_assert_cmpuint(fx->tags->len, ==, 4);
    const guint expect[] = { 1, 2, 4, 5 };
    for (guint i = 0; i < 4; i++)
        g_assert_cmpuint(g_array_index(fx->tags, guint, i), ==, expect[i]);
    g_assert_cmpuint(sim_stats_counter(fx->ctx.stats, "net.lost")->value, ==,
                     1);
}

/* Packets in flight when the queue is freed are released by
 * sim_net_free (checked by the count, and by ASan's leak checker). */
static void
test_free_in_flight(Fx *fx, gconstpointer data)
{
    for (guint i = 0; i < 300; i++)
        fx_send(fx, B_IP, 100, i);
    sim_evq_run_until(fx->ctx.evq, SIM_MS(100));
    guint delivered = fx->times->len;
    g_assert_cmpuint(delivered, <, 300);
    sim_evq_free(fx->ctx.evq);
    fx->ctx.evq = sim_evq_new();
    sim_net_free(fx->net);
    fx->net = NULL;
    g_assert_cmpuint(fx->freed, ==, 300);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("Network model: serialisation and propagation, loss, "
                   "jitter order, black holes, drop hook, teardown.");
    g_test_add("/net/timing/serialisation", Fx, NULL, fx_setup,
               test_serialisation, fx_teardown);
    g_test_add("/net/loss/binomial", Fx, NULL, fx_setup, test_loss_binomial,
               fx_teardown);
    g_test_add("/net/jitter/no-reorder", Fx, NULL, fx_setup,
               test_jitter_no_reorder, fx_teardown);
    g_test_add("/net/drop/black-holes", Fx, NULL, fx_setup, test_black_holes,
               fx_teardown);
    g_test_add("/net/drop/hook", Fx, NULL, fx_setup, test_drop_hook,
               fx_teardown);
    g_test_add("/net/teardown/in-flight", Fx, NULL, fx_setup,
               test_free_in_flight, fx_teardown);
    return g_test_run();
}
