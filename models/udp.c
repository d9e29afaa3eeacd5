/* SPDX-License-Identifier: MIT */
/*
 * UDP, the connectionless reference (RFC 768; SIP over UDP per RFC 3261
 * 18.1.1).  A "connection" is a flow: connect yields a SimConn that is open
 * at once and sends datagrams to the destination; the first datagram from a
 * new remote tuple to a listening port creates an accepted flow, handed to
 * the accept handler before the message is delivered.  A datagram carries a
 * reference to its SimMsg (no copy); a lost datagram is simply gone (the SIP
 * layer retransmits).  A datagram larger than the path MTU is sent as one
 * packet carrying the IP headers of all its fragments, with one loss draw.
 * Datagrams to a port nobody listens on are dropped (ICMP not modelled).
 */
#define G_LOG_DOMAIN "sim-udp"

#include "models/capture.h"

/* UDP header bytes. */
#define SIM_UDP_HEADER 8
/* RFC 6056 ephemeral port range. */
#define SIM_UDP_EPHEMERAL_LOW 49152
#define SIM_UDP_EPHEMERAL_N 16384

typedef struct _UdpHost UdpHost;
typedef struct _UdpStack UdpStack;
typedef struct _UdpConn UdpConn;

/* A listening port. */
typedef struct {
    /* The port. */
    guint16 port;
    /* The stack owning it. */
    UdpStack *us;
    /* Receives new inbound flows; NULL: the stack's accept handler. */
    SimAcceptFunc func;
    /* Its argument. */
    gpointer user;
} UdpListener;

/* UDP on one IP address, shared by every stack on it (the net handler). */
struct _UdpHost {
    /* References: the net handler and every stack on the address. */
    guint refcount;
    /* The network. */
    SimNet *net;
    /* Flows by key (remote IP, remote port, local port). */
    GHashTable *flows;
    /* Listening ports (UdpListener). */
    GArray *listeners;
    /* Datagrams dropped for want of a listener (NULL without stats). */
    SimCounter *no_port;
};

/* UDP state of one stack (SimStack.priv[SIM_TRANSPORT_UDP]). */
struct _UdpStack {
    /* The stack. */
    SimStack *st;
    /* The address's shared state (a reference). */
    UdpHost *host;
    /* This stack's flows, newest first. */
    UdpConn *flows;
    /* Datagrams sent and delivered. */
    SimCounter *sent, *received;
    /* Scratch counter for runs without statistics. */
    SimCounter scratch;
};

/* One flow endpoint.  The SimConn comes first. */
struct _UdpConn {
    /* Common state. */
    SimConn base;
    /* Its stack's UDP state. */
    UdpStack *us;
    /* Neighbours in the stack's list. */
    UdpConn *prev, *next;
    /* Demultiplexing key. */
    guint64 key;
    /* TRUE while in the host's table. */
    gboolean in_table;
    /* Why it ended, reported by the reap event. */
    SimCloseReason reason;
    /* TRUE once closed (reap pending). */
    gboolean dead;
};

const SimTransportOps sim_transport_udp;

static inline guint64
udp_key(SimIp rip, guint16 rport, guint16 lport)
{
    return (guint64)rip << 32 | (guint64)rport << 16 | lport;
}

static void
udp_host_unref(gpointer p)
{
    UdpHost *h = p;
    if (--h->refcount)
        return;
    g_hash_table_destroy(h->flows);
    g_array_unref(h->listeners);
    g_free(h);
}

static void udp_host_recv(SimNet *net, SimPacket *pkt, gpointer data);

static UdpHost *
udp_host_get(SimNet *net, SimIp ip)
{
    UdpHost *h = sim_net_get_handler_data(net, ip, SIM_IPPROTO_UDP);
    if (!h) {
        h = g_new0(UdpHost, 1);
        h->refcount = 1;
        h->net = net;
        h->flows = g_hash_table_new(g_int64_hash, g_int64_equal);
        h->listeners = g_array_new(FALSE, FALSE, sizeof(UdpListener));
        sim_net_set_handler(net, ip, SIM_IPPROTO_UDP, udp_host_recv, h,
                            udp_host_unref);
    }
    h->refcount++;
    return h;
}

static void
udp_conn_free(UdpConn *c)
{
    if (c->in_table)
        g_hash_table_remove(c->us->host->flows, &c->key);
    if (c->prev)
        c->prev->next = c->next;
    else
        c->us->flows = c->next;
    if (c->next)
        c->next->prev = c->prev;
    g_free(c);
}

static void
udp_remove_listeners(UdpStack *us)
{
    GArray *ls = us->host->listeners;
    for (guint i = ls->len; i-- > 0;)
        if (g_array_index(ls, UdpListener, i).us == us)
            g_array_remove_index(ls, i);
}

static void
udp_stack_free(gpointer p)
{
    /* Runs after the event queue is gone: touch no event or statistic. */
    UdpStack *us = p;
    while (us->flows)
        udp_conn_free(us->flows);
    udp_remove_listeners(us);
    udp_host_unref(us->host);
    g_free(us);
}

static UdpStack *
udp_stack(SimStack *st)
{
    UdpStack *us = st->priv[SIM_TRANSPORT_UDP];
    if (us)
        return us;
    us = g_new0(UdpStack, 1);
    us->st = st;
    us->host = udp_host_get(st->net, st->ip);
    SimStats *stats = st->ctx->stats;
    us->sent = stats ? sim_stats_counter(stats, "udp.datagrams_sent")
                     : &us->scratch;
    us->received = stats ? sim_stats_counter(stats, "udp.datagrams_received")
                         : &us->scratch;
    if (stats)
        us->host->no_port = sim_stats_counter(stats, "udp.no_listener");
    st->priv[SIM_TRANSPORT_UDP] = us;
    st->priv_free[SIM_TRANSPORT_UDP] = udp_stack_free;
    return us;
}

static UdpListener *
udp_listener(UdpHost *h, guint16 port)
{
    for (guint i = 0; i < h->listeners->len; i++) {
        UdpListener *l = &g_array_index(h->listeners, UdpListener, i);
        if (l->port == port)
            return l;
    }
    return NULL;
}

static UdpConn *
udp_conn_new(UdpStack *us, gboolean initiator, SimIp rip, guint16 rport,
             guint16 lport)
{
    UdpConn *c = g_new0(UdpConn, 1);
    sim_conn_init(&c->base, &sim_transport_udp, us->st, initiator);
    c->us = us;
    c->base.remote.ip = rip;
    c->base.remote.port = rport;
    c->base.local.port = lport;
    c->next = us->flows;
    if (us->flows)
        us->flows->prev = c;
    us->flows = c;
    if (lport) {
        c->key = udp_key(rip, rport, lport);
        g_hash_table_insert(us->host->flows, &c->key, c);
        c->in_table = TRUE;
    }
    return c;
}

static void
udp_reap(SimEvq *q, gpointer data)
{
    UdpConn *c = data;
    sim_conn_notify_closed(&c->base, c->reason);
    sim_conn_clear(&c->base);
    udp_conn_free(c);
}

/* Ends the flow; the upper layer hears @reason from a zero-delay event,
 * which then frees it. */
static void
udp_finish(UdpConn *c, SimCloseReason reason)
{
    if (c->dead)
        return;
    c->dead = TRUE;
    c->reason = reason;
    c->base.state = SIM_CONNS_CLOSING;
    if (c->in_table) {
        g_hash_table_remove(c->us->host->flows, &c->key);
        c->in_table = FALSE;
    }
    sim_evq_after(c->base.stack->ctx->evq, 0, udp_reap, c, NULL);
}

static void
udp_msg_unref(gpointer p)
{
    sim_msg_unref(p);
}

/* The network lost a datagram: its message's send is dropped. */
static void
udp_payload_dropped(gpointer p, SimNetDrop why)
{
    static const SimDropReason reasons[] = {
        [SIM_NET_DROP_LOSS] = SIM_DROP_LOSS,
        [SIM_NET_DROP_DOWN] = SIM_DROP_HOST_DOWN,
        [SIM_NET_DROP_NO_ROUTE] = SIM_DROP_NO_ROUTE,
        [SIM_NET_DROP_NO_HANDLER] = SIM_DROP_NO_LISTENER,
    };
    sim_msg_acct_drop(p, reasons[why]);
}

static void
udp_host_recv(SimNet *net, SimPacket *pkt, gpointer data)
{
    UdpHost *h = data;
    guint64 key = udp_key(pkt->src, pkt->sport, pkt->dport);
    UdpConn *c = g_hash_table_lookup(h->flows, &key);
    if (!c) {
        UdpListener *l = udp_listener(h, pkt->dport);
        if (!l) {
            if (h->no_port)
                h->no_port->value++;
            sim_msg_acct_drop(pkt->payload, SIM_DROP_NO_LISTENER);
            sim_net_packet_free(net, pkt);
            return;
        }
        c = udp_conn_new(l->us, FALSE, pkt->src, pkt->sport, pkt->dport);
        c->base.state = SIM_CONNS_OPEN;
        sim_conn_touch(&c->base);
        SimStack *st = l->us->st;
        if (l->func)
            l->func(st, &c->base, l->user);
        else if (st->accept)
            st->accept(st, &c->base, st->accept_user);
    }
    if (!c->dead) {
        c->us->received->value++;
        sim_conn_notify_message(&c->base, 0, pkt->payload);
    } else {
        sim_msg_acct_drop(pkt->payload, SIM_DROP_CONN_CLOSED);
    }
    sim_net_packet_free(net, pkt);
}

static gboolean
udp_listen_with(SimStack *st, guint16 port, SimAcceptFunc func, gpointer user,
                GError **error)
{
    UdpStack *us = udp_stack(st);
    if (udp_listener(us->host, port)) {
        g_autofree char *ip = sim_ip_to_string(st->ip);
        g_set_error(error, SIM_TRANSPORT_ERROR, 0,
                    "UDP port %s:%u is already bound", ip, port);
        return FALSE;
    }
    UdpListener l = { port, us, func, user };
    g_array_append_val(us->host->listeners, l);
    return TRUE;
}

static gboolean
udp_listen(SimStack *st, guint16 port, GError **error)
{
    return udp_listen_with(st, port, NULL, NULL, error);
}

static guint16
udp_ephemeral_port(UdpStack *us, SimIp rip, guint16 rport)
{
    guint start = (guint)sim_rng_below(&us->st->rng, SIM_UDP_EPHEMERAL_N);
    for (guint i = 0; i < SIM_UDP_EPHEMERAL_N; i++) {
        guint16 port = SIM_UDP_EPHEMERAL_LOW +
                       (guint16)((start + i) % SIM_UDP_EPHEMERAL_N);
        guint64 key = udp_key(rip, rport, port);
        if (!g_hash_table_contains(us->host->flows, &key) &&
            !udp_listener(us->host, port))
            return port;
    }
    return 0;
}

static void
udp_connected(SimEvq *q, gpointer data)
{
    UdpConn *c = data;
    if (!c->dead)
        sim_conn_notify_connected(&c->base);
}

static SimConn *
udp_connect(SimStack *st, const SimConnectParams *p, const SimConnCallbacks *cb,
            gpointer user)
{
    UdpStack *us = udp_stack(st);
    guint16 port = p->local_port;
    guint64 key = udp_key(p->ip, p->port, port);
    if (!port)
        port = udp_ephemeral_port(us, p->ip, p->port);
    else if (g_hash_table_contains(us->host->flows, &key))
        port = 0;
    UdpConn *c = udp_conn_new(us, TRUE, p->ip, p->port, port);
    sim_conn_set_callbacks(&c->base, cb, user);
    if (!port) {
        udp_finish(c, SIM_CLOSE_REFUSED);
        return &c->base;
    }
    /* Open at once; the connected callback follows from an event so that
     * it never runs inside connect. */
    c->base.state = SIM_CONNS_OPEN;
    sim_evq_after(st->ctx->evq, 0, udp_connected, c, NULL);
    return &c->base;
}

static void
udp_send(SimConn *conn, guint stream, SimMsg *m)
{
    UdpConn *c = (UdpConn *)conn;
    if (c->dead) {
        sim_msg_acct_drop(m, SIM_DROP_CONN_CLOSED);
        return;
    }
    SimNet *net = c->us->host->net;
    const SimPathParams *path = sim_net_path(net, conn->local.ip,
                                             conn->remote.ip);
    guint mtu = path->mtu ? path->mtu : 1500;
    guint per_frag = (mtu - SIM_IPV4_HEADER) & ~7u;
    guint payload = m->len + SIM_UDP_HEADER;
    guint frags = (payload + per_frag - 1) / per_frag;
    SimPacket *pkt = sim_net_packet_new(net);
    pkt->src = conn->local.ip;
    pkt->dst = conn->remote.ip;
    pkt->sport = conn->local.port;
    pkt->dport = conn->remote.port;
    pkt->proto = SIM_IPPROTO_UDP;
    pkt->size = payload + frags * SIM_IPV4_HEADER;
    pkt->payload = sim_msg_ref(m);
    pkt->payload_free = udp_msg_unref;
    pkt->payload_dropped = udp_payload_dropped;
    c->us->sent->value++;
    sim_conn_touch(conn);
    sim_net_send(net, pkt);
}

static void
udp_close(SimConn *conn)
{
    udp_finish((UdpConn *)conn, SIM_CLOSE_LOCAL);
}

static void
udp_crash(SimStack *st)
{
    UdpStack *us = st->priv[SIM_TRANSPORT_UDP];
    if (!us)
        return;
    for (UdpConn *c = us->flows; c; c = c->next)
        udp_finish(c, SIM_CLOSE_HOST_DOWN);
    udp_remove_listeners(us);
}

const SimTransportOps sim_transport_udp = {
    .name = "udp",
    .description =
        "UDP, the connectionless reference: no handshake, no connection "
        "state on the wire; a flow per remote tuple, datagrams lost on "
        "the path are gone and the SIP layer retransmits (Timers A, E).",
    .kind = SIM_TRANSPORT_UDP,
    .listen = udp_listen,
    .listen_with = udp_listen_with,
    .connect = udp_connect,
    .send = udp_send,
    .close = udp_close,
    .abort = udp_close,
    .crash = udp_crash,
};

/* ---- Capture ----------------------------------------------------------- */

/**
 * sim_udp_describe:
 * @pkt: a UDP packet
 * @out: (out): its datagram's message (proto already set)
 *
 * Describes a datagram for a packet capture; reads only.
 */
void
sim_udp_describe(const SimPacket *pkt, SimPktInfo *out)
{
    out->msg = pkt->payload;
}
