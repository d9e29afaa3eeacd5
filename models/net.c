/* SPDX-License-Identifier: MIT */
/*
 * Network model.  Interfaces (IPv4 addresses) sit at sites; each ordered pair
 * of sites has path parameters (or the defaults).  A packet leaving an
 * interface waits in a FIFO transmit queue for that interface and
 * destination site, is serialised at the path's bandwidth, then propagates
 * for the path's delay plus a uniform jitter that never reorders packets of
 * one queue.  Losses are Bernoulli draws from the sending interface's own
 * stream.  Packets come from a free list, so steady-state sending does not
 * allocate; interfaces are found through a small open-addressing table and
 * each transmit queue remembers its path's parameters, so sending hashes
 * nothing.  Invariant: arrival times per (interface, destination site) are
 * non-decreasing.
 */
#define G_LOG_DOMAIN "sim-net"

#include "models/net.h"

#include <math.h>

/* Transmit queue state of one interface towards one destination site. */
typedef struct {
    /* When the transmitter is next free. */
    SimTime tx_free;
    /* Arrival time of the last packet sent, so jitter never reorders. */
    SimTime last_arrival;
    /* The path's parameters, valid while path_gen is the network's. */
    const SimPathParams *path;
    guint path_gen;
    /* The event-queue lane of its arrivals (their times never decrease),
     * made at the first packet; 0 before. */
    SimEvqLane lane;
} NetQueue;

/* One protocol handler of an interface. */
typedef struct {
    SimNetRecvFunc func;
    gpointer data;
    GDestroyNotify destroy;
} NetHandler;

/* One interface (IPv4 address). */
typedef struct _NetIface {
    /* Address. */
    SimIp ip;
    /* Index of its site. */
    guint site;
    /* FALSE while its node is down: packets to it are dropped. */
    gboolean up;
    /* Receive handlers by protocol. */
    NetHandler handlers[SIM_IPPROTO_N];
    /* Transmit queues by destination site (grown on demand). */
    NetQueue *queues;
    guint nqueues;
    /* Loss and jitter draws. */
    SimRng rng;
} NetIface;

struct _SimNet {
    /* Public head (the capture), first so sim_net_capturing() sees it. */
    SimNetHead head;
    /* The run. */
    SimCtx *ctx;
    /* Parameters of unlisted site pairs. */
    SimPathParams defaults;
    /* Site names, by index. */
    GPtrArray *sites;
    /* Site name to index + 1 (registration only: a topology may give
     * every node a site of its own, so a scan per site would be
     * quadratic). */
    GHashTable *site_index;
    /* Explicit paths: key (a << 32 | b) -> SimPathParams*, both directions
     * stored. */
    GHashTable *paths;
    /* Interfaces by address (owns them). */
    GHashTable *ifaces;
    /* The same, as an open-addressing table for look-ups (power-of-two
     * size, at most half full; NULL marks an empty slot). */
    struct _NetIface **by_ip;
    guint by_ip_mask;
    /* Bumped whenever a path changes: cached parameters are stale. */
    guint path_gen;
    /* Free packets. */
    SimPacket *free_packets;
    /* Every packet allocated, for freeing at the end. */
    GPtrArray *packet_blocks;
    /* Statistics. */
    SimCounter *bytes_wire;
    SimCounter *packets_sent;
    SimCounter *packets_lost;
    /* Fault injection (tests): drops the packets it returns TRUE for. */
    SimNetDropFunc drop_hook;
    gpointer drop_hook_data;
};

#define NET_PACKET_BLOCK 256

static void
net_iface_free(gpointer p)
{
    NetIface *ifc = p;
    for (guint i = 0; i < SIM_IPPROTO_N; i++)
        if (ifc->handlers[i].destroy)
            ifc->handlers[i].destroy(ifc->handlers[i].data);
    g_free(ifc->queues);
    g_free(ifc);
}

/**
 * sim_net_new:
 * @ctx: the run
 * @defaults: parameters of every site pair without its own path
 *
 * Returns: (transfer full): an empty network.
 */
SimNet *
sim_net_new(SimCtx *ctx, const SimPathParams *defaults)
{
    SimNet *net = g_new0(SimNet, 1);
    net->ctx = ctx;
    net->defaults = *defaults;
    net->sites = g_ptr_array_new_with_free_func(g_free);
    net->site_index = g_hash_table_new(g_str_hash, g_str_equal);
    net->paths = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
                                       g_free);
    net->ifaces = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                        net_iface_free);
    net->packet_blocks = g_ptr_array_new_with_free_func(g_free);
    if (ctx->stats) {
        net->bytes_wire = sim_stats_counter(ctx->stats, "bytes.wire");
        net->packets_sent = sim_stats_counter(ctx->stats, "net.packets");
        net->packets_lost = sim_stats_counter(ctx->stats, "net.lost");
    }
    return net;
}

/**
 * sim_net_free:
 * @net: (nullable): a network
 *
 * Frees the network; packets still in flight must have been drained (free
 * the event queue first, then the network).
 */
void
sim_net_free(SimNet *net)
{
    if (!net)
        return;
    /* Packets whose arrival event died with the event queue still hold
     * their payload: release it while the protocol handlers (which may own
     * the payload's allocator) are alive.  A packet is in flight, or held
     * by a handler, exactly when its net field is set. */
    for (guint b = 0; b < net->packet_blocks->len; b++) {
        SimPacket *block = g_ptr_array_index(net->packet_blocks, b);
        for (guint i = 0; i < NET_PACKET_BLOCK; i++)
            if (block[i].net == net && block[i].payload &&
                block[i].payload_free)
                block[i].payload_free(block[i].payload);
    }
    g_hash_table_destroy(net->ifaces);
    g_free(net->by_ip);
    g_hash_table_destroy(net->paths);
    g_hash_table_unref(net->site_index);
    g_ptr_array_unref(net->sites);
    g_ptr_array_unref(net->packet_blocks);
    g_free(net);
}

/**
 * sim_net_add_site:
 * @net: a network
 * @name: the site's name
 *
 * Returns: the index of the site named @name, added if new.
 */
guint
sim_net_add_site(SimNet *net, const char *name)
{
    gpointer idx = g_hash_table_lookup(net->site_index, name);
    if (idx)
        return GPOINTER_TO_UINT(idx) - 1;
    char *copy = g_strdup(name);
    g_ptr_array_add(net->sites, copy);
    g_hash_table_insert(net->site_index, copy,
                        GUINT_TO_POINTER(net->sites->len));
    return net->sites->len - 1;
}

static inline gint64
net_path_key(guint a, guint b)
{
    return ((gint64)a << 32) | b;
}

/**
 * sim_net_set_path:
 * @net: a network
 * @site_a: a site index
 * @site_b: another (or the same) site index
 * @params: the path's parameters, used in both directions
 *
 * Sets the path between two sites.
 */
void
sim_net_set_path(SimNet *net, guint site_a, guint site_b,
                 const SimPathParams *params)
{
    g_return_if_fail(site_a < net->sites->len && site_b < net->sites->len);
    for (int dir = 0; dir < 2; dir++) {
        gint64 *key = g_new(gint64, 1);
        *key = dir ? net_path_key(site_b, site_a)
                   : net_path_key(site_a, site_b);
        g_hash_table_replace(net->paths, key,
                             g_memdup2(params, sizeof(*params)));
    }
    net->path_gen++;
}

/* The slot of @ip in the look-up table: its interface's, or the empty
 * one where it would go. */
static inline guint
net_by_ip_slot(const SimNet *net, SimIp ip)
{
    guint i = (ip * 2654435761u) & net->by_ip_mask;
    while (net->by_ip[i] && net->by_ip[i]->ip != ip)
        i = (i + 1) & net->by_ip_mask;
    return i;
}

/* Adds @ifc to the look-up table, doubling it past half full. */
static void
net_by_ip_add(SimNet *net, struct _NetIface *ifc)
{
    guint n = g_hash_table_size(net->ifaces);
    if (!net->by_ip || 2 * n > net->by_ip_mask + 1) {
        guint size = net->by_ip ? 2 * (net->by_ip_mask + 1) : 16;
        while (2 * n > size)
            size *= 2;
        g_free(net->by_ip);
        net->by_ip = g_new0(struct _NetIface *, size);
        net->by_ip_mask = size - 1;
        GHashTableIter it;
        gpointer v;
        g_hash_table_iter_init(&it, net->ifaces);
        while (g_hash_table_iter_next(&it, NULL, &v))
            net->by_ip[net_by_ip_slot(net, ((struct _NetIface *)v)->ip)] = v;
        return;
    }
    net->by_ip[net_by_ip_slot(net, ifc->ip)] = ifc;
}

/**
 * sim_net_add_interface:
 * @net: a network
 * @ip: the address
 * @site: the index of its site
 *
 * Returns: %FALSE if @ip already exists (nothing is changed).
 */
gboolean
sim_net_add_interface(SimNet *net, SimIp ip, guint site)
{
    g_return_val_if_fail(site < net->sites->len, FALSE);
    if (g_hash_table_contains(net->ifaces, GUINT_TO_POINTER(ip)))
        return FALSE;
    NetIface *ifc = g_new0(NetIface, 1);
    ifc->ip = ip;
    ifc->site = site;
    ifc->up = TRUE;
    g_autofree char *name = sim_ip_to_string(ip);
    sim_ctx_rng_init(net->ctx, &ifc->rng, "net", name);
    g_hash_table_insert(net->ifaces, GUINT_TO_POINTER(ip), ifc);
    net_by_ip_add(net, ifc);
    return TRUE;
}

static inline NetIface *
net_iface(SimNet *net, SimIp ip)
{
    return net->by_ip ? net->by_ip[net_by_ip_slot(net, ip)] : NULL;
}

/**
 * sim_net_name_interface:
 * @net: a network
 * @ip: an interface's address
 * @name: the name of the node it belongs to
 *
 * Derives the interface's random stream (jitter and loss of what it sends)
 * from @name instead of its address, so that a node's draws do not change
 * when addresses assigned in file order shift because another node was
 * added.  Call before anything is sent.
 */
void
sim_net_name_interface(SimNet *net, SimIp ip, const char *name)
{
    NetIface *ifc = net_iface(net, ip);
    g_return_if_fail(ifc != NULL);
    sim_ctx_rng_init(net->ctx, &ifc->rng, "net", name);
}

/**
 * sim_net_set_handler:
 * @net: a network
 * @ip: an interface's address
 * @proto: the protocol
 * @func: (nullable): receives packets of @proto arriving at @ip
 * @data: (nullable): its argument
 * @destroy: (nullable): frees @data when replaced or at sim_net_free()
 *
 * Registers the receive handler of a protocol at an interface.
 */
void
sim_net_set_handler(SimNet *net, SimIp ip, SimIpProto proto,
                    SimNetRecvFunc func, gpointer data, GDestroyNotify destroy)
{
    NetIface *ifc = net_iface(net, ip);
    g_return_if_fail(ifc != NULL && proto < SIM_IPPROTO_N);
    NetHandler *h = &ifc->handlers[proto];
    if (h->destroy)
        h->destroy(h->data);
    *h = (NetHandler){ func, data, destroy };
}

/**
 * sim_net_get_handler_data:
 * @net: a network
 * @ip: an interface's address
 * @proto: the protocol
 *
 * Returns: (nullable) (transfer none): the data registered with the
 *   protocol's handler at @ip, or %NULL.
 */
gpointer
sim_net_get_handler_data(SimNet *net, SimIp ip, SimIpProto proto)
{
    NetIface *ifc = net_iface(net, ip);
    return ifc && proto < SIM_IPPROTO_N ? ifc->handlers[proto].data : NULL;
}

/**
 * sim_net_set_interface_up:
 * @net: a network
 * @ip: an interface's address
 * @up: %FALSE to drop every packet to and from it
 *
 * Takes an interface down (node crash) or back up.
 */
void
sim_net_set_interface_up(SimNet *net, SimIp ip, gboolean up)
{
    NetIface *ifc = net_iface(net, ip);
    g_return_if_fail(ifc != NULL);
    ifc->up = up;
}

/**
 * sim_net_set_drop_hook:
 * @net: a network
 * @func: (nullable): decides which packets to drop, or %NULL for none
 * @data: its argument
 *
 * Installs the fault-injection hook (tests: drop the Nth segment, black-hole
 * one direction).  It is called for every packet from an up interface that
 * survives the path's own loss draw (packets to unknown addresses
 * included), so installing it never changes the random draws of a run.
 */
void
sim_net_set_drop_hook(SimNet *net, SimNetDropFunc func, gpointer data)
{
    net->drop_hook = func;
    net->drop_hook_data = data;
}

/**
 * sim_net_set_capture:
 * @net: a network
 * @capture: (nullable): callbacks, kept by pointer until replaced; %NULL
 *   for none
 *
 * Installs a packet capture: @capture->packet sees every packet put on the
 * wire (the bytes counted in "bytes.wire") and every packet handed to a
 * protocol handler; @capture->stream sees what stream protocols append to
 * their byte streams.  Capturing changes nothing in the run.
 */
void
sim_net_set_capture(SimNet *net, const SimNetCapture *capture)
{
    net->head.capture = capture;
}

/**
 * sim_net_capture_stream:
 * @net: a network with a capture installed
 * @w: what was appended
 *
 * Tells the capture that a stream protocol appended a message.
 */
void
sim_net_capture_stream(SimNet *net, const SimNetStreamWrite *w)
{
    const SimNetCapture *cap = net->head.capture;
    if (cap && cap->stream)
        cap->stream(net, w, cap->data);
}

/**
 * sim_net_packet_new:
 * @net: a network
 *
 * Returns: (transfer full): a zeroed packet from the free list.
 */
SimPacket *
sim_net_packet_new(SimNet *net)
{
    if (G_UNLIKELY(!net->free_packets)) {
        /* Zeroed: sim_net_free reads the net field of every packet. */
        SimPacket *block = g_new0(SimPacket, NET_PACKET_BLOCK);
        g_ptr_array_add(net->packet_blocks, block);
        for (guint i = 0; i < NET_PACKET_BLOCK; i++) {
            block[i].next = net->free_packets;
            net->free_packets = &block[i];
        }
    }
    SimPacket *pkt = net->free_packets;
    net->free_packets = pkt->next;
    *pkt = (SimPacket){ 0 };
    return pkt;
}

/**
 * sim_net_packet_free:
 * @net: a network
 * @pkt: (transfer full): a packet
 *
 * Frees the packet's payload (through payload_free) and recycles it.
 */
void
sim_net_packet_free(SimNet *net, SimPacket *pkt)
{
    if (pkt->payload_free && pkt->payload)
        pkt->payload_free(pkt->payload);
    pkt->payload = NULL;
    pkt->net = NULL;
    pkt->next = net->free_packets;
    net->free_packets = pkt;
}

/**
 * sim_net_path:
 * @net: a network
 * @a: source address
 * @b: destination address
 *
 * Returns: (transfer none): the parameters of the path from @a's site to
 *   @b's site (the defaults when none was set or an address is unknown).
 */
const SimPathParams *
sim_net_path(SimNet *net, SimIp a, SimIp b)
{
    NetIface *ia = net_iface(net, a), *ib = net_iface(net, b);
    if (!ia || !ib)
        return &net->defaults;
    gint64 key = net_path_key(ia->site, ib->site);
    const SimPathParams *p = g_hash_table_lookup(net->paths, &key);
    return p ? p : &net->defaults;
}

static void net_drop(SimNet *net, SimPacket *pkt, SimNetDrop why);

static void
net_deliver(SimEvq *q, gpointer data)
{
    SimPacket *pkt = data;
    SimNet *net = pkt->net;
    NetIface *ifc = net_iface(net, pkt->dst);
    if (!ifc || !ifc->up || !ifc->handlers[pkt->proto].func) {
        net_drop(net, pkt, !ifc ? SIM_NET_DROP_NO_ROUTE
                           : !ifc->up ? SIM_NET_DROP_DOWN
                                      : SIM_NET_DROP_NO_HANDLER);
        return;
    }
    if (G_UNLIKELY(net->head.capture))
        net->head.capture->packet(net, pkt, SIM_NET_CAP_DELIVER,
                                  net->head.capture->data);
    ifc->handlers[pkt->proto].func(net, pkt, ifc->handlers[pkt->proto].data);
}

/* Drops @pkt for @why: its protocol hears it, then the packet is freed. */
static void
net_drop(SimNet *net, SimPacket *pkt, SimNetDrop why)
{
    if (pkt->payload_dropped && pkt->payload)
        pkt->payload_dropped(pkt->payload, why);
    sim_net_packet_free(net, pkt);
}

static NetQueue *
net_queue(NetIface *ifc, guint site)
{
    if (G_UNLIKELY(site >= ifc->nqueues)) {
        guint n = site + 1;
        ifc->queues = g_renew(NetQueue, ifc->queues, n);
        for (guint i = ifc->nqueues; i < n; i++)
            ifc->queues[i] = (NetQueue){ 0 };
        ifc->nqueues = n;
    }
    return &ifc->queues[site];
}

/* The parameters of the path from site @a to site @b, whose queue at the
 * sending interface is @nq. */
static inline const SimPathParams *
net_queue_path(SimNet *net, NetQueue *nq, guint a, guint b)
{
    if (G_UNLIKELY(!nq->path || nq->path_gen != net->path_gen)) {
        gint64 key = net_path_key(a, b);
        const SimPathParams *p = g_hash_table_lookup(net->paths, &key);
        nq->path = p ? p : &net->defaults;
        nq->path_gen = net->path_gen;
    }
    return nq->path;
}

/**
 * sim_net_serialization_time:
 * @bytes: packet size on the wire
 * @bandwidth_bps: bits per second, 0 for infinite
 *
 * Returns: the time to put @bytes on a link, rounded up to a nanosecond.
 */
SimTime
sim_net_serialization_time(guint64 bytes, guint64 bandwidth_bps)
{
    if (!bandwidth_bps)
        return 0;
    return (bytes * 8ull * 1000000000ull + bandwidth_bps - 1) / bandwidth_bps;
}

/**
 * sim_net_send:
 * @net: a network
 * @pkt: (transfer full): a packet with src, dst, proto and size set
 *
 * Queues the packet at its source interface and schedules its arrival, or
 * drops it (lost, source down, unknown address).  Its bytes count as put on
 * the wire unless the source is down or unknown.
 */
void
sim_net_send(SimNet *net, SimPacket *pkt)
{
    NetIface *src = net_iface(net, pkt->src);
    NetIface *dst = net_iface(net, pkt->dst);
    if (G_UNLIKELY(!src || !src->up)) {
        net_drop(net, pkt, src ? SIM_NET_DROP_DOWN : SIM_NET_DROP_NO_ROUTE);
        return;
    }
    if (net->bytes_wire) {
        net->bytes_wire->value += pkt->size;
        net->packets_sent->value++;
    }
    if (G_UNLIKELY(net->head.capture))
        net->head.capture->packet(net, pkt, SIM_NET_CAP_SEND,
                                  net->head.capture->data);
    guint dsite = dst ? dst->site : src->site;
    NetQueue *nq = net_queue(src, dsite);
    const SimPathParams *p = dst ? net_queue_path(net, nq, src->site, dsite)
                                 : &net->defaults;

    SimTime now = sim_evq_now(net->ctx->evq);
    SimTime start = MAX(now, nq->tx_free);
    nq->tx_free = start + sim_net_serialization_time(pkt->size,
                                                     p->bandwidth_bps);
    SimTime arrival = nq->tx_free + p->delay;
    if (p->jitter)
        arrival += sim_rng_below(&src->rng, p->jitter + 1);
    if ((p->loss > 0.0 && sim_rng_uniform(&src->rng) < p->loss) ||
        (net->drop_hook && net->drop_hook(net, pkt, net->drop_hook_data))) {
        if (net->packets_lost)
            net->packets_lost->value++;
        net_drop(net, pkt, SIM_NET_DROP_LOSS);
        return;
    }
    if (!dst) {
        net_drop(net, pkt, SIM_NET_DROP_NO_ROUTE);
        return;
    }
    arrival = MAX(arrival, nq->last_arrival);
    nq->last_arrival = arrival;
    pkt->net = net;
    if (G_UNLIKELY(!nq->lane))
        nq->lane = sim_evq_lane_new(net->ctx->evq);
    sim_evq_lane_at(net->ctx->evq, nq->lane, arrival, net_deliver, pkt, NULL);
}

/**
 * sim_net_ctx:
 * @net: a network
 *
 * Returns: (transfer none): the run the network belongs to.
 */
SimCtx *
sim_net_ctx(SimNet *net)
{
    return net->ctx;
}

/**
 * sim_ip_to_string:
 * @ip: an address
 *
 * Returns: (transfer full): dotted-quad text.
 */
char *
sim_ip_to_string(SimIp ip)
{
    return g_strdup_printf("%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255,
                           (ip >> 8) & 255, ip & 255);
}

/**
 * sim_ip_parse:
 * @text: dotted-quad text
 * @ip: (out): the address
 *
 * Returns: %TRUE if @text is a valid IPv4 address.
 */
gboolean
sim_ip_parse(const char *text, SimIp *ip)
{
    guint v = 0;
    const char *s = text;
    for (int i = 0; i < 4; i++) {
        if (!g_ascii_isdigit(*s))
            return FALSE;
        guint octet = 0;
        int digits = 0;
        while (g_ascii_isdigit(*s) && digits < 4) {
            octet = octet * 10 + (*s++ - '0');
            digits++;
        }
        if (octet > 255 || digits > 3)
            return FALSE;
        v = v << 8 | octet;
        if (i < 3 && *s++ != '.')
            return FALSE;
    }
    if (*s)
        return FALSE;
    *ip = v;
    return TRUE;
}
