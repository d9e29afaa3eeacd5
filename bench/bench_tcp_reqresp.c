/* SPDX-License-Identifier: MIT */
/*
 * Request/response benchmark of the TCP transport: 100 clients and one
 * server, each at its own site, 1 Gbps paths with 10 ms one-way delay (RTT
 * 20 ms), no loss, no CPU cost.  Each client runs sequential transactions
 * (1000-byte request, 500-byte response) either all on one persistent
 * connection (mode=reuse, 100 per client) or each on a new connection
 * closed afterwards (mode=new, 20 per client).  Each case runs in a child
 * process so that its peak RSS is its own; the world is built and run
 * BENCH_REPS times and the rates are total work over total wall time of the
 * runs (building excluded).  conn_bytes is measured: the heap growth
 * (mallinfo2) from opening 2000 idle connections one after the other,
 * divided by 2000, so it covers both endpoints, their table entries and
 * send queues.
 */
#include "models/transport.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define BENCH_CLIENTS 100
#define BENCH_REQ_LEN 1000
#define BENCH_RESP_LEN 500
#define BENCH_REPS 5
#define BENCH_MEM_CONNS 2000
#define BENCH_SERVER_IP 0x0A000001u
#define BENCH_CLIENT_IP(i) (0x0A010000u + (i) + 1)
#define BENCH_PORT 5060

typedef struct _World World;

typedef struct {
    World *w;
    SimStack *st;
    SimConn *conn;
    guint done;
} Client;

struct _World {
    SimCtx ctx;
    SimNet *net;
    SimStack *server;
    Client clients[BENCH_CLIENTS];
    gboolean reuse;
    guint txns;
    guint64 completed;
    SimTime first_txn;
    /* Shared messages: never freed (static refcount base). */
    SimMsg req, resp;
};

static void
msg_keep(SimMsg *m)
{
    (void)m;
}

static void client_start(Client *cl);

static void
client_message(SimConn *c, guint stream, SimMsg *m, gpointer user)
{
    Client *cl = user;
    World *w = cl->w;
    if (!w->completed)
        w->first_txn = sim_ctx_now(&w->ctx);
    w->completed++;
    if (++cl->done == w->txns) {
        sim_conn_close(c);
        return;
    }
    if (w->reuse) {
        sim_conn_send(c, 0, &w->req);
        return;
    }
    sim_conn_close(c);
    client_start(cl);
}

static void
client_closed(SimConn *c, SimCloseReason reason, gpointer user)
{
    Client *cl = user;
    if (cl->conn == c)
        cl->conn = NULL;
}

static const SimConnCallbacks client_cb = {
    .message = client_message,
    .closed = client_closed,
};

static void
server_message(SimConn *c, guint stream, SimMsg *m, gpointer user)
{
    World *w = user;
    sim_conn_send(c, 0, &w->resp);
}

static const SimConnCallbacks server_cb = { .message = server_message };

static void
server_accept(SimStack *st, SimConn *c, gpointer user)
{
    sim_conn_set_callbacks(c, &server_cb, user);
}

static void
client_start(Client *cl)
{
    World *w = cl->w;
    SimConnectParams p = { .ip = BENCH_SERVER_IP, .port = BENCH_PORT };
    cl->conn = sim_transport_connect(&sim_transport_tcp, cl->st, &p,
                                     &client_cb, cl);
    sim_conn_send(cl->conn, 0, &w->req);
}

static char *
node_name(guint i)
{
    return g_strdup_printf("c%u", i);
}

static World *
world_new(gboolean reuse, guint txns, guint nclients)
{
    World *w = g_new0(World, 1);
    w->ctx.evq = sim_evq_new();
    w->ctx.seed = 1;
    w->ctx.stats = sim_stats_new();
    w->reuse = reuse;
    w->txns = txns;
    w->req = (SimMsg){ .len = BENCH_REQ_LEN, .refcount = 1,
                       .free = msg_keep };
    w->resp = (SimMsg){ .len = BENCH_RESP_LEN, .refcount = 1,
                        .free = msg_keep };
    SimPathParams path = { .delay = SIM_MS(10),
                           .bandwidth_bps = 1000000000ull,
                           .mtu = 1500 };
    w->net = sim_net_new(&w->ctx, &path);
    SimStackConfig cfg = { .initial_window = 10, .rto_min = SIM_S(1) };
    sim_net_add_interface(w->net, BENCH_SERVER_IP,
                          sim_net_add_site(w->net, "server"));
    w->server = sim_stack_new(&w->ctx, w->net, "server", BENCH_SERVER_IP,
                              NULL, &cfg);
    g_autoptr(GError) error = NULL;
    if (!sim_transport_tcp.listen(w->server, BENCH_PORT, &error))
        g_error("%s", error->message);
    sim_stack_set_accept(w->server, server_accept, w);
    for (guint i = 0; i < nclients; i++) {
        g_autofree char *name = node_name(i);
        Client *cl = &w->clients[i];
        cl->w = w;
        sim_net_add_interface(w->net, BENCH_CLIENT_IP(i),
                              sim_net_add_site(w->net, name));
        /* Stacks keep the name pointer: intern it for the process. */
        cl->st = sim_stack_new(&w->ctx, w->net, g_intern_string(name),
                               BENCH_CLIENT_IP(i), NULL, &cfg);
    }
    return w;
}

static void
world_free(World *w, guint nclients)
{
    sim_evq_free(w->ctx.evq);
    for (guint i = 0; i < nclients; i++)
        sim_stack_free(w->clients[i].st);
    sim_stack_free(w->server);
    sim_net_free(w->net);
    sim_stats_free(w->ctx.stats);
    g_free(w);
}

/* Heap bytes per connection: 2000 idle connections from one client. */
static guint64
measure_conn_bytes(void)
{
    World *w = world_new(TRUE, 1, 1);
    Client *cl = &w->clients[0];
    SimConnectParams p = { .ip = BENCH_SERVER_IP, .port = BENCH_PORT };
    /* Warm up the free lists and tables with one connection. */
    sim_transport_connect(&sim_transport_tcp, cl->st, &p, &client_cb, cl);
    sim_evq_run_until(w->ctx.evq, SIM_TIME_NEVER);
    struct mallinfo2 before = mallinfo2();
    for (guint i = 0; i < BENCH_MEM_CONNS; i++) {
        sim_transport_connect(&sim_transport_tcp, cl->st, &p, &client_cb,
                              cl);
        sim_evq_run_until(w->ctx.evq, SIM_TIME_NEVER);
    }
    struct mallinfo2 after = mallinfo2();
    world_free(w, 1);
    return (after.uordblks - before.uordblks) / BENCH_MEM_CONNS;
}

static void
bench_case(gboolean reuse, guint txns)
{
    double wall = 0;
    guint64 events = 0, completed = 0;
    SimTime first = 0;
    for (guint rep = 0; rep < BENCH_REPS; rep++) {
        World *w = world_new(reuse, txns, BENCH_CLIENTS);
        gint64 t0 = g_get_monotonic_time();
        for (guint i = 0; i < BENCH_CLIENTS; i++)
            client_start(&w->clients[i]);
        events += sim_evq_run_until(w->ctx.evq, SIM_TIME_NEVER);
        wall += (g_get_monotonic_time() - t0) / 1e6;
        if (w->completed != (guint64)txns * BENCH_CLIENTS)
            g_error("only %" G_GUINT64_FORMAT " transactions completed",
                    w->completed);
        completed += w->completed;
        first = w->first_txn;
        world_free(w, BENCH_CLIENTS);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    guint64 conn_bytes = measure_conn_bytes();
    printf("bench tcp_reqresp mode=%s clients=%u txns=%u txns_per_wall_s=%.0f"
           " events_per_s=%.0f first_txn_ms=%.1f peak_rss_kb=%ld"
           " conn_bytes=%" G_GUINT64_FORMAT "\n",
           reuse ? "reuse" : "new", BENCH_CLIENTS, txns, completed / wall,
           events / wall, first / 1e6, ru.ru_maxrss, conn_bytes);
    fflush(stdout);
}

int
main(int argc, char **argv)
{
    const struct {
        gboolean reuse;
        guint txns;
    } cases[] = { { TRUE, 100 }, { FALSE, 20 } };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            bench_case(cases[i].reuse, cases[i].txns);
            _exit(0);
        }
        int status;
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
            WEXITSTATUS(status))
            return 1;
    }
    return 0;
}
