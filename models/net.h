/* SPDX-License-Identifier: MIT */
/*
 * The network model: IPv4 interfaces placed at sites, and paths between
 * sites with one-way delay, jitter, loss probability, bandwidth and MTU
 * (defaults for unlisted pairs).  A packet is serialised at the sender's
 * access to the path (a FIFO queue per sender interface and path), then
 * propagates; loss is drawn from the path's own random stream.  Packets to an
 * interface are demultiplexed by protocol to the handler registered there.
 * Every byte put on the wire is counted ("bytes.wire").
 */
#pragma once

#include "sim/ctx.h"

G_BEGIN_DECLS

/* IP protocols the transports register handlers for. */
typedef enum {
    SIM_IPPROTO_UDP,
    SIM_IPPROTO_TCP,
    SIM_IPPROTO_SCTP,
    SIM_IPPROTO_N
} SimIpProto;

/* IPv4 address in host byte order. */
typedef guint32 SimIp;

/* Bytes of IPv4 header per packet. */
#define SIM_IPV4_HEADER 20

/* Characteristics of the path between two sites (or the defaults). */
typedef struct {
    /* One-way propagation delay. */
    SimTime delay;
    /* Jitter: a uniform extra delay in [0, jitter]; packets of one path
     * are never reordered by it. */
    SimTime jitter;
    /* Probability that a packet is lost, in [0, 1). */
    double loss;
    /* Bits per second; 0 means infinite. */
    guint64 bandwidth_bps;
    /* Largest IP packet in bytes. */
    guint mtu;
} SimPathParams;

/* Why the network dropped a packet. */
typedef enum {
    /* The path's loss draw (or the fault-injection hook). */
    SIM_NET_DROP_LOSS,
    /* The source or the destination interface is down. */
    SIM_NET_DROP_DOWN,
    /* No interface has the destination address. */
    SIM_NET_DROP_NO_ROUTE,
    /* The destination has no handler for the protocol. */
    SIM_NET_DROP_NO_HANDLER,
} SimNetDrop;

/* One packet in flight.  Owned by the network from sim_net_send() until it
 * is handed to the receiving handler, which then owns it and must release it
 * with sim_net_packet_free(). */
typedef struct _SimPacket {
    /* Source and destination addresses. */
    SimIp src, dst;
    /* Source and destination ports (protocol-specific meaning). */
    guint16 sport, dport;
    /* Protocol demultiplexing key. */
    SimIpProto proto;
    /* Size on the wire in bytes, IP header included. */
    guint32 size;
    /* Protocol payload (segment, chunk list, datagram): owned by the
     * protocol, which frees it through payload_free. */
    gpointer payload;
    /* Frees payload when the packet is dropped or freed. */
    GDestroyNotify payload_free;
    /* (nullable): told, before payload_free, when the network drops the
     * packet (a protocol whose payload is a message it accounts for). */
    void (*payload_dropped)(gpointer payload, SimNetDrop why);
    /* Next packet in a free list or queue (network-internal). */
    struct _SimPacket *next;
    /* The network carrying it (network-internal). */
    struct _SimNet *net;
} SimPacket;

typedef struct _SimNet SimNet;

/* Called when a packet arrives at an interface; takes ownership of pkt. */
typedef void (*SimNetRecvFunc)(SimNet *net, SimPacket *pkt, gpointer data);

/* Fault-injection hook: sees every packet sim_net_send() accepts that the
 * path's loss draw spared; returning TRUE drops it (counted in "net.lost"). */
typedef gboolean (*SimNetDropFunc)(SimNet *net, const SimPacket *pkt,
                                   gpointer data);

/* Packet capture (the run layer's --pcap): where a packet was seen. */
typedef enum {
    /* Put on the wire by its source (every packet counted in
     * "bytes.wire", the ones the path then loses included). */
    SIM_NET_CAP_SEND,
    /* Handed to the destination's protocol handler. */
    SIM_NET_CAP_DELIVER,
} SimNetCapPoint;

/* A message appended to a byte stream (TCP): its first byte has stream
 * offset @seq on the connection @src -> @dst. */
typedef struct {
    SimIp src, dst;
    guint16 sport, dport;
    SimIpProto proto;
    guint64 seq;
    /* The message (a SimMsg, opaque here), valid during the call. */
    gconstpointer msg;
} SimNetStreamWrite;

/* The capture callbacks; read-only views, valid during the call only.  A
 * capture never changes what the network or a protocol does. */
typedef struct {
    void (*packet)(SimNet *net, const SimPacket *pkt, SimNetCapPoint where,
                   gpointer data);
    void (*stream)(SimNet *net, const SimNetStreamWrite *w, gpointer data);
    gpointer data;
} SimNetCapture;

/* The public head of a SimNet: lets protocols test for a capture inline. */
typedef struct {
    /* (nullable): the installed capture. */
    const SimNetCapture *capture;
} SimNetHead;

/* Life cycle and set-up. */
SimNet *sim_net_new(SimCtx *ctx, const SimPathParams *defaults);
void sim_net_free(SimNet *net);
guint sim_net_add_site(SimNet *net, const char *name);
void sim_net_set_path(SimNet *net, guint site_a, guint site_b,
                      const SimPathParams *params);
gboolean sim_net_add_interface(SimNet *net, SimIp ip, guint site);
void sim_net_name_interface(SimNet *net, SimIp ip, const char *name);
void sim_net_set_handler(SimNet *net, SimIp ip, SimIpProto proto,
                         SimNetRecvFunc func, gpointer data,
                         GDestroyNotify destroy);
gpointer sim_net_get_handler_data(SimNet *net, SimIp ip, SimIpProto proto);
void sim_net_set_interface_up(SimNet *net, SimIp ip, gboolean up);
void sim_net_set_drop_hook(SimNet *net, SimNetDropFunc func, gpointer data);
void sim_net_set_capture(SimNet *net, const SimNetCapture *capture);

/* TRUE when a capture is installed: the one branch a protocol pays. */
static inline gboolean
sim_net_capturing(const SimNet *net)
{
    return G_UNLIKELY(((const SimNetHead *)net)->capture != NULL);
}

void sim_net_capture_stream(SimNet *net, const SimNetStreamWrite *w);

/* Packets. */
SimPacket *sim_net_packet_new(SimNet *net);
void sim_net_packet_free(SimNet *net, SimPacket *pkt);
void sim_net_send(SimNet *net, SimPacket *pkt);

/* Queries. */
const SimPathParams *sim_net_path(SimNet *net, SimIp a, SimIp b);
SimCtx *sim_net_ctx(SimNet *net);
SimTime sim_net_serialization_time(guint64 bytes, guint64 bandwidth_bps);
char *sim_ip_to_string(SimIp ip);
gboolean sim_ip_parse(const char *text, SimIp *ip);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimNet, sim_net_free)

G_END_DECLS
