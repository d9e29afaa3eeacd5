/* SPDX-License-Identifier: MIT */
/*
 * SCTP (RFC 9260) at chunk level: one single-homed association per SimConn.
 * Set-up is the four-way handshake with a state cookie, the acceptor keeping
 * no state until COOKIE-ECHO; queued DATA rides with the COOKIE-ECHO unless
 * the stack sets cfg.sctp_no_bundle (first message at 1.5 RTT, else 2.5).
 * Data moves as DATA chunks (TSN, stream, SSN, B/E fragment bits) under a
 * congestion window (7.2), acknowledged by SACKs (cumulative TSN plus gap
 * blocks, delayed 200 ms or every second packet), recovered by T3-rtx with
 * backoff and by fast retransmit; each stream is delivered in order, with no
 * head-of-line blocking across streams.  Messages are never copied: chunks
 * hold references.  Invariants: tx entry i has TSN tx_base + i and entries
 * below tx_sent have been sent; rx entry i has TSN rx_base + i and every TSN
 * up to cum_tsn is present or already delivered.  Kept as one piece: the
 * association's state machine, chunk handlers and retransmission queues
 * share one private struct whose TSN invariants no other module may see
 * (the Linux and FreeBSD stacks keep their state tables private the same
 * way); split, they would need a header exposing those internals.
 */
#define G_LOG_DOMAIN "sim-sctp"

#include <string.h>

#include "models/capture.h"

/* RFC 9260 section 16 parameters (RTO.Min is cfg.rto_min when set). */
#define SIM_SCTP_RTO_INITIAL SIM_S(1)
#define SIM_SCTP_RTO_MIN SIM_S(1)
#define SIM_SCTP_RTO_MAX SIM_S(60)
#define SIM_SCTP_MAX_BURST 4
#define SIM_SCTP_COOKIE_LIFE SIM_S(60)
#define SIM_SCTP_ASSOC_MAX_RETRANS 10
#define SIM_SCTP_MAX_INIT_RETRANS 8
/* Delayed SACK: at most this long, or every second DATA packet (6.2). */
#define SIM_SCTP_SACK_DELAY SIM_MS(200)
/* Outbound streams when the opener asks for 0. */
#define SIM_SCTP_DEFAULT_STREAMS 10
/* Inbound streams every endpoint accepts (MIS). */
#define SIM_SCTP_MAX_IN_STREAMS 65535
/* Modelled kernel memory per association endpoint (Linux: the association
 * plus its socket, about 4 KB), held from the TCB's creation, plus the
 * user bytes it buffers (queued or unacknowledged, or received and not yet
 * delivered). */
#define SIM_SCTP_ASSOC_MEM 4096
/* Wire sizes in bytes: common header, DATA chunk header, INIT (20 fixed
 * plus supported address types and forward-TSN parameters), state cookie
 * (Linux-like: a copy of the INIT, tags, timestamp and HMAC), SACK without
 * gap blocks, one gap block, SHUTDOWN, and the 4-byte bodiless chunks. */
#define SIM_SCTP_COMMON_HEADER 12
#define SIM_SCTP_DATA_HEADER 16
#define SIM_SCTP_INIT_SIZE 32
#define SIM_SCTP_COOKIE_SIZE 196
#define SIM_SCTP_INIT_ACK_SIZE (SIM_SCTP_INIT_SIZE + 4 + SIM_SCTP_COOKIE_SIZE)
#define SIM_SCTP_COOKIE_ECHO_SIZE (4 + SIM_SCTP_COOKIE_SIZE)
#define SIM_SCTP_SACK_SIZE 16
#define SIM_SCTP_GAP_SIZE 4
#define SIM_SCTP_SHUTDOWN_SIZE 8
#define SIM_SCTP_SMALL_CHUNK 4
/* Model limits: chunks per packet, gap blocks per SACK, control chunks
 * queued per packet, receive window in TSNs. */
#define SIM_SCTP_MAX_CHUNKS 8
#define SIM_SCTP_MAX_GAPS 4
#define SIM_SCTP_MAX_CTL 4
#define SIM_SCTP_RX_WINDOW 16384
/* Ephemeral ports (RFC 6056 range) and payload pool block size. */
#define SIM_SCTP_EPHEMERAL_LO 49152
#define SIM_SCTP_PKT_BLOCK 32
/* DATA chunk flags: first and last fragment of a message. */
#define SIM_SCTP_FLAG_E 0x01
#define SIM_SCTP_FLAG_B 0x02
/* ABORT, SHUTDOWN-COMPLETE: the tag is the sender's own (reflected). */
#define SIM_SCTP_FLAG_T 0x01
/* Sender entry flags: gap-acknowledged, marked for retransmission,
 * already fast-retransmitted once. */
#define SIM_SCTP_TX_GAP 0x01
#define SIM_SCTP_TX_RTX 0x02
#define SIM_SCTP_TX_FR 0x04
/* Receiver entry flags. */
#define SIM_SCTP_RX_PRESENT 0x01
#define SIM_SCTP_RX_DELIVERED 0x02

#define SIM_SCTP_TSN_LT(a, b) ((gint32)((guint32)(a) - (guint32)(b)) < 0)
#define SIM_SCTP_TSN_LE(a, b) ((gint32)((guint32)(a) - (guint32)(b)) <= 0)

/* Association states (RFC 9260 4); CLOSED means "no TCB". */
typedef enum {
    SIM_SCTPS_CLOSED,
    SIM_SCTPS_COOKIE_WAIT,
    SIM_SCTPS_COOKIE_ECHOED,
    SIM_SCTPS_ESTABLISHED,
    SIM_SCTPS_SHUTDOWN_PENDING,
    SIM_SCTPS_SHUTDOWN_SENT,
    SIM_SCTPS_SHUTDOWN_RECEIVED,
    SIM_SCTPS_SHUTDOWN_ACK_SENT,
    SIM_SCTPS_N_STATES
} SimSctpState;

static const char *const sctp_state_names[SIM_SCTPS_N_STATES] = {
    "CLOSED", "COOKIE-WAIT", "COOKIE-ECHOED", "ESTABLISHED",
    "SHUTDOWN-PENDING", "SHUTDOWN-SENT", "SHUTDOWN-RECEIVED",
    "SHUTDOWN-ACK-SENT",
};

/* Chunk types modelled (RFC 9260 3.2), in table order. */
typedef enum {
    SIM_SCTP_CID_DATA,
    SIM_SCTP_CID_INIT,
    SIM_SCTP_CID_INIT_ACK,
    SIM_SCTP_CID_SACK,
    SIM_SCTP_CID_ABORT,
    SIM_SCTP_CID_SHUTDOWN,
    SIM_SCTP_CID_SHUTDOWN_ACK,
    SIM_SCTP_CID_COOKIE_ECHO,
    SIM_SCTP_CID_COOKIE_ACK,
    SIM_SCTP_CID_SHUTDOWN_COMPLETE,
    SIM_SCTP_CID_N
} SimSctpChunkType;

static const char *const sctp_chunk_names[SIM_SCTP_CID_N] = {
    "DATA", "INIT", "INIT-ACK", "SACK", "ABORT", "SHUTDOWN", "SHUTDOWN-ACK",
    "COOKIE-ECHO", "COOKIE-ACK", "SHUTDOWN-COMPLETE",
};

/* The state cookie, seen from the acceptor ("my" = acceptor). */
typedef struct {
    /* Verification tags. */
    guint32 my_tag, peer_tag;
    /* Initial TSNs. */
    guint32 my_tsn, peer_tsn;
    /* Negotiated outbound and inbound streams of the acceptor. */
    guint16 os, is;
    /* When the INIT-ACK was sent (Valid.Cookie.Life). */
    SimTime born;
} SctpCookie;

/* One chunk on the wire (the fields its type uses). */
typedef struct {
    /* SimSctpChunkType. */
    guint8 type;
    /* DATA: B/E bits; ABORT, SHUTDOWN-COMPLETE: T bit. */
    guint8 flags;
    /* DATA: stream and stream sequence number. */
    guint16 stream, ssn;
    /* SACK: gap blocks used. */
    guint16 ngaps;
    /* DATA: TSN; SACK, SHUTDOWN: cumulative TSN ack; INIT: initial TSN. */
    guint32 tsn;
    union {
        /* DATA: the message (a reference) and the bytes carried. */
        struct {
            SimMsg *msg;
            guint32 len;
        } data;
        /* INIT: initiate tag, outbound streams, inbound streams. */
        struct {
            guint32 tag;
            guint16 os, is;
        } init;
        /* INIT-ACK, COOKIE-ECHO. */
        SctpCookie cookie;
        /* SACK: received TSNs cum+start .. cum+end. */
        struct {
            guint16 start, end;
        } gaps[SIM_SCTP_MAX_GAPS];
    } u;
} SctpChunk;

typedef struct _SctpEp SctpEp;

/* An SCTP packet's payload (pooled per endpoint). */
typedef struct _SctpPkt {
    /* The pool it returns to. */
    SctpEp *pool;
    /* Next free payload. */
    struct _SctpPkt *next_free;
    /* TRUE from allocation until release. */
    gboolean in_use;
    /* Verification tag of the common header. */
    guint32 vtag;
    /* Chunks, bundled in order. */
    guint nchunks;
    SctpChunk chunks[SIM_SCTP_MAX_CHUNKS];
} SctpPkt;

/* One queued or outstanding DATA chunk (sender). */
typedef struct {
    /* The message (a reference per fragment). */
    SimMsg *msg;
    /* When it was last sent. */
    SimTime sent_at;
    /* User bytes in this fragment. */
    guint32 len;
    /* Stream and stream sequence number. */
    guint16 stream, ssn;
    /* B/E fragment bits. */
    guint8 frag;
    /* SIM_SCTP_TX_* flags. */
    guint8 flags;
    /* Transmissions so far. */
    guint8 tx_count;
    /* Missing reports (7.2.4). */
    guint8 miss;
} SctpTx;

/* One received DATA chunk not yet released (receiver). */
typedef struct {
    /* The message (a reference until delivery). */
    SimMsg *msg;
    /* User bytes in this fragment. */
    guint32 len;
    /* Stream and stream sequence number. */
    guint16 stream, ssn;
    /* B/E fragment bits. */
    guint8 frag;
    /* SIM_SCTP_RX_* flags. */
    guint8 flags;
} SctpRxE;

typedef struct _SctpStack SctpStack;

/* One association endpoint; the SimConn comes first. */
/* The life of one association as the run counts it (connections.open,
 * .opened, .closed): from the first of its endpoints established (the
 * acceptor, at COOKIE-ECHO) to the last one closed.  Both endpoints
 * share it; the acceptor finds it on the opener's association. */
typedef struct {
    /* Endpoints referring to it. */
    guint refs;
    /* Endpoints counted open. */
    guint ends_open;
} SctpLife;

typedef struct _SctpAssoc {
    /* Common connection state. */
    SimConn conn;
    /* The association's life, shared with the other endpoint. */
    SctpLife *life;
    /* The stack it belongs to. */
    SctpStack *ss;
    /* Demultiplexing key: local port, remote port, remote IP. */
    guint64 key;
    /* The stack's list of associations (until reaped). */
    struct _SctpAssoc *prev, *next;
    /* Protocol state. */
    SimSctpState state;
    /* TRUE once terminated; freed by the reap event. */
    gboolean dead;
    /* TRUE while counted in connections.open. */
    gboolean counted_open;
    /* Hold DATA until COOKIE-ACK (cfg.sctp_no_bundle). */
    gboolean no_bundle;
    /* Why it ended, for the reap event. */
    SimCloseReason reason;
    /* Verification tags: ours (peers put it in packets to us), theirs. */
    guint32 my_tag, peer_tag;
    /* Negotiated outbound and inbound streams. */
    guint16 os, is;
    /* Next SSN per outbound stream, next expected per inbound stream. */
    guint16 *out_ssn, *in_ssn;
    /* The cookie to echo (initiator). */
    SctpCookie cookie;
    /* Sender ring: TSN of tx[0], capacity, head, length, entries sent. */
    guint32 tx_base;
    SctpTx *tx;
    guint tx_cap, tx_head, tx_len, tx_sent;
    /* Entries marked for retransmission. */
    guint nrtx;
    /* Path MTU, congestion window, slow-start threshold, partial bytes
     * acked, and bytes outstanding (sent, not acked, not marked). */
    guint32 mtu, cwnd, ssthresh, pba, flight;
    /* Fast recovery and its exit point (7.2.4). */
    gboolean fast_recovery;
    guint32 recover;
    /* One fast-retransmit packet may ignore cwnd. */
    gboolean fast_rtx;
    /* RTO state (6.3.1) and the one RTT measurement in progress. */
    SimTime srtt, rttvar, rto;
    gboolean rtt_valid, rtt_pending;
    guint32 rtt_tsn;
    /* T1-init/cookie RTO and its retransmission count. */
    SimTime t1_rto;
    guint init_tries;
    /* Association error count (8.1). */
    guint errors;
    /* Timers: T1, T2-shutdown, T3-rtx, delayed SACK, connect timeout,
     * reap. */
    SimEventId t1, t2, t3, sack_timer, conn_timer, reap;
    /* Receiver ring: TSN of rx[0], highest in-sequence TSN. */
    guint32 rx_base, cum_tsn;
    SctpRxE *rx;
    guint rx_cap, rx_head, rx_len;
    /* User bytes buffered (the modelled memory beyond the TCB). */
    guint32 buf_bytes;
    /* DATA packets not yet acknowledged; acknowledge at once. */
    guint sack_pkts;
    gboolean sack_now;
    /* Control chunks for the next packet (COOKIE-ECHO first). */
    SctpChunk ctl[SIM_SCTP_MAX_CTL];
    guint32 ctl_size[SIM_SCTP_MAX_CTL];
    guint nctl;
} SctpAssoc;

/* An SCTP port accepting associations. */
typedef struct {
    /* The stack listening. */
    SctpStack *ss;
    /* Where inbound associations go; NULL: the stack's accept handler. */
    SimAcceptFunc func;
    gpointer user;
} SctpListener;

/* SCTP on one IP address: the demultiplexer shared by the stacks there,
 * the payload pool and the statistics.  Reference counted: held by the
 * network's handler and by each stack using it. */
struct _SctpEp {
    /* References. */
    gint ref;
    /* The run and the network. */
    SimCtx *ctx;
    SimNet *net;
    /* The address. */
    SimIp ip;
    /* Listeners by port (owned). */
    GHashTable *listeners;
    /* Associations by key (borrowed). */
    GHashTable *assocs;
    /* Free payloads and every block allocated. */
    SctpPkt *free_pkts;
    GPtrArray *blocks;
    /* Statistics (point at the fallbacks when the run has none). */
    SimCounter *handshakes, *opened, *closed, *rtx, *fast_rtx, *t3,
        *init_rtx, *dropped;
    SimGauge *open;
    SimCounter fallback[8];
};

/* Per-stack SCTP state (SimStack.priv[SIM_TRANSPORT_SCTP]). */
struct _SctpStack {
    /* The stack. */
    SimStack *st;
    /* Its address's endpoint (a reference). */
    SctpEp *ep;
    /* Its associations, including terminated ones not yet reaped. */
    SctpAssoc *assocs;
    /* "node.<name>.connections.open": both ends of each association. */
    SimGauge *node_open;
};

/* What a chunk handler sees of the packet being processed. */
typedef struct {
    /* The receiving endpoint. */
    SctpEp *ep;
    /* The packet. */
    const SimPacket *pkt;
    const SctpPkt *sp;
    /* The association (NULL: none; a handler may create it). */
    SctpAssoc *a;
    /* TRUE if the packet carried DATA for the association. */
    gboolean got_data;
} SctpRx;

/* A packet being filled by sctp_output(). */
typedef struct {
    /* The association. */
    SctpAssoc *a;
    /* The payload being filled, or NULL. */
    SctpPkt *p;
    /* Its wire size. */
    guint32 size;
    /* Packets sent. */
    guint npkts;
} SctpOut;

extern const SimTransportOps sim_transport_sctp;

static void sctp_output(SctpAssoc *a);
static void sctp_ep_recv(SimNet *net, SimPacket *pkt, gpointer data);

/* ---- Endpoint, payload pool, wire ---------------------------------- */

static SctpEp *
sctp_ep_ref(SctpEp *ep)
{
    ep->ref++;
    return ep;
}

static void
sctp_ep_release_pkts(SctpEp *ep)
{
    for (guint b = 0; b < ep->blocks->len; b++) {
        SctpPkt *blk = g_ptr_array_index(ep->blocks, b);
        for (guint i = 0; i < SIM_SCTP_PKT_BLOCK; i++) {
            if (!blk[i].in_use)
                continue;
            for (guint k = 0; k < blk[i].nchunks; k++)
                if (blk[i].chunks[k].type == SIM_SCTP_CID_DATA)
                    sim_msg_unref(blk[i].chunks[k].u.data.msg);
            blk[i].in_use = FALSE;
        }
    }
}

static void
sctp_ep_unref(gpointer data)
{
    SctpEp *ep = data;
    if (--ep->ref > 0)
        return;
    /* Payloads still in flight when the run ended: drop their message
     * references (the network frees its packets without payload_free). */
    sctp_ep_release_pkts(ep);
    g_ptr_array_unref(ep->blocks);
    g_hash_table_destroy(ep->listeners);
    g_hash_table_destroy(ep->assocs);
    g_free(ep);
}

static SimCounter *
sctp_ep_counter(SctpEp *ep, const char *name, guint i)
{
    return ep->ctx->stats ? sim_stats_counter(ep->ctx->stats, name)
                          : &ep->fallback[i];
}

static SctpEp *
sctp_ep_new(SimStack *st)
{
    SctpEp *ep = g_new0(SctpEp, 1);
    ep->ref = 1;
    ep->ctx = st->ctx;
    ep->net = st->net;
    ep->ip = st->ip;
    ep->listeners = g_hash_table_new_full(g_direct_hash, g_direct_equal,
                                          NULL, g_free);
    ep->assocs = g_hash_table_new(g_int64_hash, g_int64_equal);
    ep->blocks = g_ptr_array_new_with_free_func(g_free);
    ep->handshakes = sctp_ep_counter(ep, "handshakes.sctp", 0);
    ep->opened = sctp_ep_counter(ep, "connections.opened", 1);
    ep->closed = sctp_ep_counter(ep, "connections.closed", 2);
    ep->rtx = sctp_ep_counter(ep, "sctp.retransmissions", 3);
    ep->fast_rtx = sctp_ep_counter(ep, "sctp.fast_retransmits", 4);
    ep->t3 = sctp_ep_counter(ep, "sctp.t3_expiries", 5);
    ep->init_rtx = sctp_ep_counter(ep, "sctp.init_retransmissions", 6);
    ep->dropped = sctp_ep_counter(ep, "sctp.send_dropped", 7);
    if (ep->ctx->stats)
        ep->open = sim_stats_gauge(ep->ctx->stats, "connections.open");
    return ep;
}

static SctpPkt *
sctp_pkt_new(SctpEp *ep)
{
    if (G_UNLIKELY(!ep->free_pkts)) {
        SctpPkt *blk = g_new0(SctpPkt, SIM_SCTP_PKT_BLOCK);
        g_ptr_array_add(ep->blocks, blk);
        for (guint i = 0; i < SIM_SCTP_PKT_BLOCK; i++) {
            blk[i].pool = ep;
            blk[i].next_free = ep->free_pkts;
            ep->free_pkts = &blk[i];
        }
    }
    SctpPkt *p = ep->free_pkts;
    ep->free_pkts = p->next_free;
    p->in_use = TRUE;
    p->nchunks = 0;
    p->vtag = 0;
    return p;
}

static void
sctp_pkt_release(gpointer data)
{
    SctpPkt *p = data;
    for (guint k = 0; k < p->nchunks; k++)
        if (p->chunks[k].type == SIM_SCTP_CID_DATA)
            sim_msg_unref(p->chunks[k].u.data.msg);
    p->in_use = FALSE;
    p->nchunks = 0;
    p->next_free = p->pool->free_pkts;
    p->pool->free_pkts = p;
}

/* Puts a payload on the wire from @ep's address. */
static void
sctp_xmit(SctpEp *ep, SimIp dst, guint16 sport, guint16 dport, SctpPkt *p,
          guint32 size)
{
    SimPacket *pkt = sim_net_packet_new(ep->net);
    pkt->src = ep->ip;
    pkt->dst = dst;
    pkt->sport = sport;
    pkt->dport = dport;
    pkt->proto = SIM_IPPROTO_SCTP;
    pkt->size = size;
    pkt->payload = p;
    pkt->payload_free = sctp_pkt_release;
    sim_net_send(ep->net, pkt);
}

/* Replies to @pkt with one bodiless chunk and no association. */
static void
sctp_reply(SctpEp *ep, const SimPacket *pkt, guint8 type, guint8 flags,
           guint32 vtag)
{
    SctpPkt *p = sctp_pkt_new(ep);
    p->vtag = vtag;
    p->chunks[0] = (SctpChunk){ .type = type, .flags = flags };
    p->nchunks = 1;
    sctp_xmit(ep, pkt->src, pkt->dport, pkt->sport, p,
              SIM_IPV4_HEADER + SIM_SCTP_COMMON_HEADER + SIM_SCTP_SMALL_CHUNK);
}

static inline guint64
sctp_key(guint16 lport, SimIp rip, guint16 rport)
{
    return ((guint64)lport << 48) | ((guint64)rport << 32) | rip;
}

static inline guint32
sctp_pad4(guint32 n)
{
    return (n + 3) & ~3u;
}

/* ---- Rings ---------------------------------------------------------- */

static gpointer
sctp_ring_grow(gpointer buf, guint *cap, guint *head, guint len, gsize elt)
{
    guint ncap = *cap ? *cap * 2 : 8;
    guint8 *nb = g_malloc0(ncap * elt);
    for (guint i = 0; i < len; i++)
        memcpy(nb + i * elt,
               (guint8 *)buf + ((*head + i) & (*cap - 1)) * elt, elt);
    g_free(buf);
    *cap = ncap;
    *head = 0;
    return nb;
}

static inline SctpTx *
sctp_tx_at(SctpAssoc *a, guint i)
{
    return &a->tx[(a->tx_head + i) & (a->tx_cap - 1)];
}

static inline SctpRxE *
sctp_rx_at(SctpAssoc *a, guint i)
{
    return &a->rx[(a->rx_head + i) & (a->rx_cap - 1)];
}

static SctpTx *
sctp_tx_push(SctpAssoc *a)
{
    if (a->tx_len == a->tx_cap)
        a->tx = sctp_ring_grow(a->tx, &a->tx_cap, &a->tx_head, a->tx_len,
                               sizeof(SctpTx));
    SctpTx *e = sctp_tx_at(a, a->tx_len++);
    *e = (SctpTx){ 0 };
    return e;
}

static void
sctp_tx_pop(SctpAssoc *a)
{
    SctpTx *e = sctp_tx_at(a, 0);
    sim_msg_unref(e->msg);
    e->msg = NULL;
    a->buf_bytes -= e->len;
    a->tx_head = (a->tx_head + 1) & (a->tx_cap - 1);
    a->tx_len--;
    a->tx_base++;
}

/* Pops delivered entries off the front of the receive ring. */
static void
sctp_rx_compact(SctpAssoc *a)
{
    while (a->rx_len && SIM_SCTP_TSN_LE(a->rx_base, a->cum_tsn)) {
        SctpRxE *e = sctp_rx_at(a, 0);
        if (!(e->flags & SIM_SCTP_RX_DELIVERED))
            return;
        *e = (SctpRxE){ 0 };
        a->rx_head = (a->rx_head + 1) & (a->rx_cap - 1);
        a->rx_len--;
        a->rx_base++;
    }
}

/* Brings the modelled memory up to date with the buffered bytes. */
static void
sctp_mem_update(SctpAssoc *a)
{
    guint32 bytes = SIM_SCTP_ASSOC_MEM + a->buf_bytes;
    if (!a->dead && bytes != a->conn.mem_bytes)
        sim_conn_set_mem(&a->conn, bytes);
}

/* ---- Associations --------------------------------------------------- */

static void sctp_stack_free(gpointer p);

static SctpStack *
sctp_stack(SimStack *st)
{
    SctpStack *ss = st->priv[SIM_TRANSPORT_SCTP];
    if (ss)
        return ss;
    ss = g_new0(SctpStack, 1);
    ss->st = st;
    SctpEp *ep = sim_net_get_handler_data(st->net, st->ip, SIM_IPPROTO_SCTP);
    if (!ep) {
        ep = sctp_ep_new(st);
        sim_net_set_handler(st->net, st->ip, SIM_IPPROTO_SCTP, sctp_ep_recv,
                            ep, sctp_ep_unref);
    }
    ss->ep = sctp_ep_ref(ep);
    if (st->ctx->stats) {
        g_autofree char *name = g_strdup_printf("node.%s.connections.open",
                                                st->node);
        ss->node_open = sim_stats_gauge(st->ctx->stats, name);
    }
    st->priv[SIM_TRANSPORT_SCTP] = ss;
    st->priv_free[SIM_TRANSPORT_SCTP] = sctp_stack_free;
    return ss;
}

static SctpAssoc *
sctp_assoc_new(SctpStack *ss, gboolean initiator, guint16 lport, SimIp rip,
               guint16 rport)
{
    SctpAssoc *a = g_new0(SctpAssoc, 1);
    SimStack *st = ss->st;
    sim_conn_init(&a->conn, &sim_transport_sctp, st, initiator);
    a->conn.local.port = lport;
    a->conn.remote.ip = rip;
    a->conn.remote.port = rport;
    a->ss = ss;
    a->key = sctp_key(lport, rip, rport);
    a->no_bundle = st->cfg.sctp_no_bundle;
    a->mtu = sim_net_path(st->net, st->ip, rip)->mtu;
    if (a->mtu < 576)
        a->mtu = 576;
    /* 7.2.1: min(4 MTU, max(2 MTU, 4380)); ssthresh starts at the peer's
     * receive window, which the model does not limit (Linux default). */
    a->cwnd = MIN(4 * a->mtu, MAX(2 * a->mtu, 4380u));
    a->ssthresh = 106496;
    a->rto = MAX(SIM_SCTP_RTO_INITIAL, st->cfg.rto_min);
    a->t1_rto = SIM_SCTP_RTO_INITIAL;
    a->next = ss->assocs;
    if (ss->assocs)
        ss->assocs->prev = a;
    ss->assocs = a;
    g_hash_table_insert(ss->ep->assocs, &a->key, a);
    sim_conn_set_mem(&a->conn, SIM_SCTP_ASSOC_MEM);
    a->life = g_new0(SctpLife, 1);
    a->life->refs = 1;
    return a;
}

/* The accepting end of an association the node opened to itself. */
static gboolean
sctp_self_acceptor(const SctpAssoc *a)
{
    return !a->conn.initiator && a->conn.remote.ip == a->ss->st->ip;
}

static void
sctp_life_unref(SctpLife *life)
{
    if (life && --life->refs == 0)
        g_free(life);
}

/* The acceptor @a shares the life of the opener's association, if that is
 * still there. */
static void
sctp_life_join(SctpAssoc *a)
{
    SimStack *st = a->ss->st;
    SctpEp *peer = sim_net_get_handler_data(st->net, a->conn.remote.ip,
                                            SIM_IPPROTO_SCTP);
    if (!peer)
        return;
    guint64 key = sctp_key(a->conn.remote.port, st->ip, a->conn.local.port);
    SctpAssoc *opener = g_hash_table_lookup(peer->assocs, &key);
    if (!opener || !opener->conn.initiator)
        return;
    sctp_life_unref(a->life);
    a->life = opener->life;
    a->life->refs++;
}

static void
sctp_assoc_free(SctpAssoc *a)
{
    SctpStack *ss = a->ss;
    sctp_life_unref(a->life);
    if (a->prev)
        a->prev->next = a->next;
    else
        ss->assocs = a->next;
    if (a->next)
        a->next->prev = a->prev;
    for (guint i = 0; i < a->tx_len; i++)
        sim_msg_unref(sctp_tx_at(a, i)->msg);
    for (guint i = 0; i < a->rx_len; i++)
        if (sctp_rx_at(a, i)->msg)
            sim_msg_unref(sctp_rx_at(a, i)->msg);
    g_free(a->tx);
    g_free(a->rx);
    g_free(a->out_ssn);
    g_free(a->in_ssn);
    g_free(a);
}

static void
sctp_cancel(SctpAssoc *a, SimEventId *id)
{
    if (*id)
        sim_evq_cancel(a->conn.stack->ctx->evq, *id);
    *id = 0;
}

static void
sctp_reap(SimEvq *q, gpointer data)
{
    SctpAssoc *a = data;
    a->reap = 0;
    sim_conn_notify_closed(&a->conn, a->reason);
    sim_conn_clear(&a->conn);
    sctp_assoc_free(a);
}

/* Ends the association: timers stop, the TCB leaves the demultiplexer, the
 * upper layer hears @reason from a zero-delay event that then frees it. */
static void
sctp_terminate(SctpAssoc *a, SimCloseReason reason)
{
    if (a->dead)
        return;
    SctpEp *ep = a->ss->ep;
    SimCtx *ctx = a->conn.stack->ctx;
    g_debug("assoc %" G_GUINT64_FORMAT " %s -> closed (%s)", a->conn.id,
            sctp_state_names[a->state], sim_close_reason_name(reason));
    a->dead = TRUE;
    a->reason = reason;
    a->state = SIM_SCTPS_CLOSED;
    /* A message whose last fragment is not acknowledged may never arrive
     * (one still in the network that does counts delivered after all). */
    SimDropReason why = sim_drop_reason_of_close(reason);
    for (guint i = 0; i < a->tx_len; i++)
        if (sctp_tx_at(a, i)->frag & SIM_SCTP_FLAG_E)
            sim_msg_acct_drop(sctp_tx_at(a, i)->msg, why);
    a->conn.state = SIM_CONNS_CLOSED;
    sctp_cancel(a, &a->t1);
    sctp_cancel(a, &a->t2);
    sctp_cancel(a, &a->t3);
    sctp_cancel(a, &a->sack_timer);
    sctp_cancel(a, &a->conn_timer);
    g_hash_table_remove(ep->assocs, &a->key);
    if (a->counted_open) {
        a->counted_open = FALSE;
        if (a->ss->node_open && !sctp_self_acceptor(a))
            sim_gauge_add(a->ss->node_open, sim_ctx_now(ctx), -1);
        /* The life ends with its last endpoint closed. */
        if (--a->life->ends_open == 0) {
            ep->closed->value++;
            if (ep->open)
                sim_gauge_add(ep->open, sim_ctx_now(ctx), -1);
        }
    }
    a->reap = sim_evq_after(ctx->evq, 0, sctp_reap, a, NULL);
}

/* The association reached ESTABLISHED: count it (handshakes at the opener,
 * as TCP does; connections when its life begins; the node gauge at both
 * ends) and tell the upper layer; FALSE if the upper layer closed it from
 * its callback. */
static gboolean
sctp_established(SctpAssoc *a, const SctpListener *lst)
{
    SctpEp *ep = a->ss->ep;
    SimTime now = sim_ctx_now(ep->ctx);
    a->state = SIM_SCTPS_ESTABLISHED;
    a->counted_open = TRUE;
    /* A node's connections: one to itself counts once. */
    if (a->ss->node_open && !sctp_self_acceptor(a))
        sim_gauge_add(a->ss->node_open, now, 1);
    /* The life begins with its first endpoint established. */
    if (a->life->ends_open++ == 0) {
        ep->opened->value++;
        if (ep->open)
            sim_gauge_add(ep->open, now, 1);
    }
    if (a->conn.initiator) {
        ep->handshakes->value++;
        sim_conn_notify_connected(&a->conn);
    } else if (lst && lst->func) {
        a->conn.state = SIM_CONNS_OPEN;
        sim_conn_touch(&a->conn);
        lst->func(a->conn.stack, &a->conn, lst->user);
    } else {
        sim_conn_notify_connected(&a->conn);
    }
    return !a->dead;
}

/* ---- RTO (6.3) ------------------------------------------------------ */

static SimTime
sctp_rto_min(const SctpAssoc *a)
{
    SimTime m = a->conn.stack->cfg.rto_min;
    return m ? m : SIM_SCTP_RTO_MIN;
}

static void
sctp_rtt_sample(SctpAssoc *a, SimTime r)
{
    if (!a->rtt_valid) {
        a->srtt = r;
        a->rttvar = r / 2;
        a->rtt_valid = TRUE;
    } else {
        SimTime d = a->srtt > r ? a->srtt - r : r - a->srtt;
        a->rttvar = (3 * a->rttvar + d) / 4;
        a->srtt = (7 * a->srtt + r) / 8;
    }
    a->rto = a->srtt + 4 * a->rttvar;
    a->rto = CLAMP(a->rto, sctp_rto_min(a), SIM_SCTP_RTO_MAX);
}

/* ---- Output --------------------------------------------------------- */

static void
sctp_out_flush(SctpOut *o)
{
    if (!o->p)
        return;
    SctpAssoc *a = o->a;
    sctp_xmit(a->ss->ep, a->conn.remote.ip, a->conn.local.port,
              a->conn.remote.port, o->p, o->size);
    o->p = NULL;
    o->npkts++;
}

static gboolean
sctp_out_fits(const SctpOut *o, guint32 size)
{
    return o->p && o->size + size <= o->a->mtu &&
           o->p->nchunks < SIM_SCTP_MAX_CHUNKS;
}

static void
sctp_out_add(SctpOut *o, const SctpChunk *ch, guint32 size)
{
    if (o->p && !sctp_out_fits(o, size))
        sctp_out_flush(o);
    if (!o->p) {
        o->p = sctp_pkt_new(o->a->ss->ep);
        o->p->vtag = o->a->peer_tag;
        o->size = SIM_IPV4_HEADER + SIM_SCTP_COMMON_HEADER;
    }
    o->p->chunks[o->p->nchunks++] = *ch;
    if (ch->type == SIM_SCTP_CID_DATA)
        sim_msg_ref(ch->u.data.msg);
    o->size += size;
}

static void
sctp_ctl_queue(SctpAssoc *a, const SctpChunk *ch, guint32 size)
{
    g_assert_cmpuint(a->nctl, <, SIM_SCTP_MAX_CTL);
    a->ctl[a->nctl] = *ch;
    a->ctl_size[a->nctl++] = size;
}

static void
sctp_sack_build(SctpAssoc *a, SctpChunk *ch, guint32 *size)
{
    *ch = (SctpChunk){ .type = SIM_SCTP_CID_SACK, .tsn = a->cum_tsn };
    guint first = a->cum_tsn + 1 - a->rx_base;
    gboolean in_run = FALSE;
    for (guint i = first; i < a->rx_len; i++) {
        gboolean have = sctp_rx_at(a, i)->flags & SIM_SCTP_RX_PRESENT;
        guint16 off = (guint16)(i - first + 1);
        if (have && !in_run) {
            if (ch->ngaps == SIM_SCTP_MAX_GAPS)
                break;
            ch->u.gaps[ch->ngaps].start = off;
            ch->u.gaps[ch->ngaps++].end = off;
            in_run = TRUE;
        } else if (have) {
            ch->u.gaps[ch->ngaps - 1].end = off;
        } else {
            in_run = FALSE;
        }
    }
    *size = SIM_SCTP_SACK_SIZE + SIM_SCTP_GAP_SIZE * ch->ngaps;
}

static gboolean
sctp_data_state(const SctpAssoc *a)
{
    return a->state == SIM_SCTPS_ESTABLISHED ||
           a->state == SIM_SCTPS_SHUTDOWN_PENDING ||
           a->state == SIM_SCTPS_SHUTDOWN_RECEIVED;
}

static void
sctp_out_data(SctpOut *o, SctpTx *e, guint32 tsn)
{
    SctpChunk ch = {
        .type = SIM_SCTP_CID_DATA, .flags = e->frag, .stream = e->stream,
        .ssn = e->ssn, .tsn = tsn, .u.data = { e->msg, e->len },
    };
    sctp_out_add(o, &ch, SIM_SCTP_DATA_HEADER + sctp_pad4(e->len));
    e->sent_at = sim_ctx_now(o->a->ss->ep->ctx);
    e->tx_count++;
    e->miss = 0;
    o->a->flight += e->len;
}

/* Retransmissions first (6.1 C), within cwnd except one fast-retransmit
 * packet; @only_this_packet: COOKIE-ECHOED, bundle into the cookie's. */
static void
sctp_out_rtx(SctpOut *o, gboolean only_this_packet)
{
    SctpAssoc *a = o->a;
    guint first_pkt = o->npkts;
    for (guint i = 0; i < a->tx_sent && a->nrtx; i++) {
        SctpTx *e = sctp_tx_at(a, i);
        guint32 sz = SIM_SCTP_DATA_HEADER + sctp_pad4(e->len);
        if (!(e->flags & SIM_SCTP_TX_RTX))
            continue;
        gboolean fast = a->fast_rtx &&
                        (o->npkts == first_pkt && (!o->p || sctp_out_fits(o, sz)));
        if ((only_this_packet && !sctp_out_fits(o, sz)) ||
            (!fast && a->flight >= a->cwnd))
            break;
        e->flags &= ~SIM_SCTP_TX_RTX;
        a->nrtx--;
        if (a->rtt_pending && a->rtt_tsn == a->tx_base + i)
            a->rtt_pending = FALSE;
        a->ss->ep->rtx->value++;
        sctp_out_data(o, e, a->tx_base + i);
    }
    a->fast_rtx = FALSE;
}

/* New data within cwnd and Max.Burst (6.1, 7.2). */
static void
sctp_out_new(SctpOut *o, gboolean only_this_packet)
{
    SctpAssoc *a = o->a;
    guint burst = o->npkts + SIM_SCTP_MAX_BURST;
    while (a->tx_sent < a->tx_len && a->flight < a->cwnd &&
           o->npkts < burst) {
        SctpTx *e = sctp_tx_at(a, a->tx_sent);
        guint32 tsn = a->tx_base + a->tx_sent;
        if (only_this_packet &&
            !sctp_out_fits(o, SIM_SCTP_DATA_HEADER + sctp_pad4(e->len)))
            break;
        if (!a->rtt_pending) {
            a->rtt_pending = TRUE;
            a->rtt_tsn = tsn;
        }
        sctp_out_data(o, e, tsn);
        a->tx_sent++;
    }
}

static void sctp_t3_fire(SimEvq *q, gpointer data);
static void sctp_sack_fire(SimEvq *q, gpointer data);

/* Sends what is due: queued control chunks, a SACK, retransmissions and
 * new data, bundled into as few packets as the MTU allows. */
static void
sctp_output(SctpAssoc *a)
{
    if (a->dead)
        return;
    SctpOut o = { .a = a };
    gboolean cookie = a->nctl && a->ctl[0].type == SIM_SCTP_CID_COOKIE_ECHO;
    gboolean data_ok = sctp_data_state(a) || (cookie && !a->no_bundle);
    gboolean will_data = data_ok && (a->nrtx || (a->tx_sent < a->tx_len &&
                                                 a->flight < a->cwnd));
    for (guint i = 0; i < a->nctl; i++)
        sctp_out_add(&o, &a->ctl[i], a->ctl_size[i]);
    a->nctl = 0;
    if (a->sack_now || (a->sack_pkts && (o.p || will_data))) {
        SctpChunk ch;
        guint32 size;
        sctp_sack_build(a, &ch, &size);
        sctp_out_add(&o, &ch, size);
        a->sack_now = FALSE;
        a->sack_pkts = 0;
        sctp_cancel(a, &a->sack_timer);
    }
    if (data_ok) {
        sctp_out_rtx(&o, !sctp_data_state(a));
        sctp_out_new(&o, !sctp_data_state(a));
    }
    sctp_out_flush(&o);
    SimEvq *q = a->ss->ep->ctx->evq;
    if (sctp_data_state(a) && a->tx_sent && !a->t3)
        a->t3 = sim_evq_after(q, a->rto, sctp_t3_fire, a, NULL);
    if (a->sack_pkts && !a->sack_timer)
        a->sack_timer = sim_evq_after(q, SIM_SCTP_SACK_DELAY, sctp_sack_fire,
                                      a, NULL);
}

/* Sends one bodiless chunk to the peer at once (ABORT, SHUTDOWN-ACK...). */
static void
sctp_send_now(SctpAssoc *a, guint8 type, guint8 flags)
{
    SctpPkt *p = sctp_pkt_new(a->ss->ep);
    p->vtag = a->peer_tag;
    p->chunks[0] = (SctpChunk){ .type = type, .flags = flags };
    p->nchunks = 1;
    sctp_xmit(a->ss->ep, a->conn.remote.ip, a->conn.local.port,
              a->conn.remote.port, p,
              SIM_IPV4_HEADER + SIM_SCTP_COMMON_HEADER + SIM_SCTP_SMALL_CHUNK);
}

static void
sctp_send_init(SctpAssoc *a)
{
    SctpPkt *p = sctp_pkt_new(a->ss->ep);
    p->vtag = 0;
    p->chunks[0] = (SctpChunk){
        .type = SIM_SCTP_CID_INIT, .tsn = a->tx_base,
        .u.init = { a->my_tag, a->os, SIM_SCTP_MAX_IN_STREAMS },
    };
    p->nchunks = 1;
    sctp_xmit(a->ss->ep, a->conn.remote.ip, a->conn.local.port,
              a->conn.remote.port, p,
              SIM_IPV4_HEADER + SIM_SCTP_COMMON_HEADER + SIM_SCTP_INIT_SIZE);
}

static void
sctp_queue_cookie_echo(SctpAssoc *a)
{
    SctpChunk ch = { .type = SIM_SCTP_CID_COOKIE_ECHO, .u.cookie = a->cookie };
    sctp_ctl_queue(a, &ch, SIM_SCTP_COOKIE_ECHO_SIZE);
}

/* ---- Timers --------------------------------------------------------- */

static void
sctp_t1_fire(SimEvq *q, gpointer data)
{
    SctpAssoc *a = data;
    a->t1 = 0;
    if (++a->init_tries > SIM_SCTP_MAX_INIT_RETRANS) {
        sctp_terminate(a, SIM_CLOSE_TIMEOUT);
        return;
    }
    a->ss->ep->init_rtx->value++;
    a->t1_rto = MIN(2 * a->t1_rto, SIM_SCTP_RTO_MAX);
    if (a->state == SIM_SCTPS_COOKIE_WAIT) {
        sctp_send_init(a);
    } else {
        /* Bundled DATA goes again with the cookie (5.1 D, 6.3.3). */
        for (guint i = 0; i < a->tx_sent; i++) {
            SctpTx *e = sctp_tx_at(a, i);
            if (!(e->flags & SIM_SCTP_TX_RTX)) {
                e->flags |= SIM_SCTP_TX_RTX;
                a->nrtx++;
                a->flight -= e->len;
            }
        }
        a->rtt_pending = FALSE;
        sctp_queue_cookie_echo(a);
        sctp_output(a);
    }
    a->t1 = sim_evq_after(q, a->t1_rto, sctp_t1_fire, a, NULL);
}

static void
sctp_t3_fire(SimEvq *q, gpointer data)
{
    SctpAssoc *a = data;
    a->t3 = 0;
    if (!a->tx_sent)
        return;
    if (++a->errors > SIM_SCTP_ASSOC_MAX_RETRANS) {
        sctp_terminate(a, SIM_CLOSE_TIMEOUT);
        return;
    }
    a->ss->ep->t3->value++;
    /* 7.2.3 and 6.3.3: collapse cwnd, back off, mark all outstanding. */
    a->ssthresh = MAX(a->cwnd / 2, 4 * a->mtu);
    a->cwnd = a->mtu;
    a->pba = 0;
    a->fast_recovery = FALSE;
    a->rto = MIN(2 * a->rto, SIM_SCTP_RTO_MAX);
    for (guint i = 0; i < a->tx_sent; i++) {
        SctpTx *e = sctp_tx_at(a, i);
        if (e->flags & (SIM_SCTP_TX_GAP | SIM_SCTP_TX_RTX))
            continue;
        e->flags |= SIM_SCTP_TX_RTX;
        a->nrtx++;
        a->flight -= e->len;
    }
    a->rtt_pending = FALSE;
    sctp_output(a);
}

static void
sctp_sack_fire(SimEvq *q, gpointer data)
{
    SctpAssoc *a = data;
    a->sack_timer = 0;
    a->sack_now = TRUE;
    sctp_output(a);
}

static void
sctp_send_shutdown(SctpAssoc *a)
{
    SctpChunk ch = { .type = SIM_SCTP_CID_SHUTDOWN, .tsn = a->cum_tsn };
    sctp_ctl_queue(a, &ch, SIM_SCTP_SHUTDOWN_SIZE);
    /* The SHUTDOWN acknowledges everything received (9.2). */
    a->sack_pkts = 0;
    a->sack_now = FALSE;
    sctp_cancel(a, &a->sack_timer);
    sctp_output(a);
}

static void
sctp_t2_fire(SimEvq *q, gpointer data)
{
    SctpAssoc *a = data;
    a->t2 = 0;
    if (++a->errors > SIM_SCTP_ASSOC_MAX_RETRANS) {
        sctp_terminate(a, SIM_CLOSE_TIMEOUT);
        return;
    }
    a->rto = MIN(2 * a->rto, SIM_SCTP_RTO_MAX);
    if (a->state == SIM_SCTPS_SHUTDOWN_SENT)
        sctp_send_shutdown(a);
    else
        sctp_send_now(a, SIM_SCTP_CID_SHUTDOWN_ACK, 0);
    a->t2 = sim_evq_after(q, a->rto, sctp_t2_fire, a, NULL);
}

static void
sctp_conn_timeout(SimEvq *q, gpointer data)
{
    SctpAssoc *a = data;
    a->conn_timer = 0;
    if (a->state != SIM_SCTPS_COOKIE_WAIT &&
        a->state != SIM_SCTPS_COOKIE_ECHOED)
        return;
    if (a->state == SIM_SCTPS_COOKIE_ECHOED)
        sctp_send_now(a, SIM_SCTP_CID_ABORT, 0);
    sctp_terminate(a, SIM_CLOSE_TIMEOUT);
}

/* Graceful close, once all queued and outstanding data is acked (9.2). */
static void
sctp_shutdown_check(SctpAssoc *a)
{
    if (a->dead || a->tx_len)
        return;
    SimEvq *q = a->ss->ep->ctx->evq;
    if (a->state == SIM_SCTPS_SHUTDOWN_PENDING) {
        a->state = SIM_SCTPS_SHUTDOWN_SENT;
        sctp_cancel(a, &a->t3);
        sctp_send_shutdown(a);
        a->t2 = sim_evq_after(q, a->rto, sctp_t2_fire, a, NULL);
    } else if (a->state == SIM_SCTPS_SHUTDOWN_RECEIVED) {
        a->state = SIM_SCTPS_SHUTDOWN_ACK_SENT;
        sctp_cancel(a, &a->t3);
        sctp_send_now(a, SIM_SCTP_CID_SHUTDOWN_ACK, 0);
        a->t2 = sim_evq_after(q, a->rto, sctp_t2_fire, a, NULL);
    }
}

/* ---- SACK processing (6.2.1, 7.2) ----------------------------------- */

/* Acknowledges tx[0]; returns the bytes newly acknowledged. */
static guint32
sctp_ack_front(SctpAssoc *a)
{
    SctpTx *e = sctp_tx_at(a, 0);
    guint32 newly = (e->flags & SIM_SCTP_TX_GAP) ? 0 : e->len;
    if (e->flags & SIM_SCTP_TX_RTX)
        a->nrtx--;
    else if (!(e->flags & SIM_SCTP_TX_GAP))
        a->flight -= e->len;
    if (a->rtt_pending && a->rtt_tsn == a->tx_base) {
        a->rtt_pending = FALSE;
        if (e->tx_count == 1)
            sctp_rtt_sample(a, sim_ctx_now(a->ss->ep->ctx) - e->sent_at);
    }
    sctp_tx_pop(a);
    a->tx_sent--;
    return newly;
}

/* Marks gap-acknowledged entries; returns the highest TSN gap-acked
 * (tx_base - 1 if none). */
static guint32
sctp_ack_gaps(SctpAssoc *a, const SctpChunk *ch, guint32 *newly)
{
    guint32 highest = a->tx_base - 1;
    for (guint g = 0; g < ch->ngaps; g++) {
        for (guint32 off = ch->u.gaps[g].start; off <= ch->u.gaps[g].end;
             off++) {
            guint32 i = ch->tsn + off - a->tx_base;
            if (i >= a->tx_sent)
                break;
            SctpTx *e = sctp_tx_at(a, i);
            highest = ch->tsn + off;
            if (e->flags & SIM_SCTP_TX_GAP)
                continue;
            if (e->flags & SIM_SCTP_TX_RTX) {
                e->flags &= ~SIM_SCTP_TX_RTX;
                a->nrtx--;
            } else {
                a->flight -= e->len;
            }
            e->flags |= SIM_SCTP_TX_GAP;
            *newly += e->len;
        }
    }
    return highest;
}

/* Counts missing reports below @highest; fast retransmit at 3 (7.2.4). */
static void
sctp_fast_retransmit_check(SctpAssoc *a, guint32 highest)
{
    gboolean fire = FALSE;
    for (guint i = 0; i < a->tx_sent; i++) {
        SctpTx *e = sctp_tx_at(a, i);
        if (!SIM_SCTP_TSN_LT(a->tx_base + i, highest))
            break;
        if (e->flags & (SIM_SCTP_TX_GAP | SIM_SCTP_TX_RTX | SIM_SCTP_TX_FR))
            continue;
        if (++e->miss < 3)
            continue;
        e->flags |= SIM_SCTP_TX_RTX | SIM_SCTP_TX_FR;
        a->nrtx++;
        a->flight -= e->len;
        if (a->rtt_pending && a->rtt_tsn == a->tx_base + i)
            a->rtt_pending = FALSE;
        fire = TRUE;
    }
    if (!fire)
        return;
    a->ss->ep->fast_rtx->value++;
    a->fast_rtx = TRUE;
    if (!a->fast_recovery) {
        a->ssthresh = MAX(a->cwnd / 2, 4 * a->mtu);
        a->cwnd = a->ssthresh;
        a->pba = 0;
        a->fast_recovery = TRUE;
        a->recover = a->tx_base + a->tx_sent - 1;
    }
}

static void
sctp_cwnd_update(SctpAssoc *a, guint32 acked, guint32 flight_before)
{
    if (!acked || a->fast_recovery)
        return;
    if (a->cwnd <= a->ssthresh) {
        if (flight_before >= a->cwnd)
            a->cwnd += MIN(acked, a->mtu);
        return;
    }
    a->pba += acked;
    if (a->pba >= a->cwnd && flight_before >= a->cwnd) {
        a->pba -= a->cwnd;
        a->cwnd += a->mtu;
    }
}

static void
sctp_sack_process(SctpAssoc *a, const SctpChunk *ch)
{
    guint32 cum = ch->tsn, acked = 0, flight_before = a->flight;
    gboolean advanced = FALSE;
    if (SIM_SCTP_TSN_LT(cum, a->tx_base - 1))
        return;
    while (a->tx_sent && SIM_SCTP_TSN_LE(a->tx_base, cum)) {
        acked += sctp_ack_front(a);
        advanced = TRUE;
    }
    if (a->fast_recovery && SIM_SCTP_TSN_LE(a->recover, cum))
        a->fast_recovery = FALSE;
    guint32 highest = sctp_ack_gaps(a, ch, &acked);
    if (ch->ngaps)
        sctp_fast_retransmit_check(a, highest);
    sctp_cwnd_update(a, acked, flight_before);
    if (advanced) {
        a->errors = 0;
        sctp_cancel(a, &a->t3);
        if (a->tx_sent)
            a->t3 = sim_evq_after(a->ss->ep->ctx->evq, a->rto, sctp_t3_fire,
                                  a, NULL);
    }
}

/* ---- Receiving DATA (6.2, 6.5, 6.6) --------------------------------- */

/* Index one past the end of the complete message whose B chunk is at
 * @b, or 0 if a fragment is still missing. */
static guint
sctp_rx_complete(SctpAssoc *a, guint b)
{
    for (guint i = b; i < a->rx_len; i++) {
        SctpRxE *e = sctp_rx_at(a, i);
        if (!(e->flags & SIM_SCTP_RX_PRESENT))
            return 0;
        if (e->frag & SIM_SCTP_FLAG_E)
            return i + 1;
    }
    return 0;
}

static guint
sctp_rx_find(SctpAssoc *a, guint16 stream, guint16 ssn)
{
    for (guint i = 0; i < a->rx_len; i++) {
        SctpRxE *e = sctp_rx_at(a, i);
        if ((e->flags & (SIM_SCTP_RX_PRESENT | SIM_SCTP_RX_DELIVERED)) ==
                SIM_SCTP_RX_PRESENT &&
            (e->frag & SIM_SCTP_FLAG_B) && e->stream == stream &&
            e->ssn == ssn)
            return i;
    }
    return G_MAXUINT;
}

/* Delivers every complete message now in order on @stream. */
static void
sctp_rx_deliver(SctpAssoc *a, guint16 stream)
{
    for (;;) {
        guint b = sctp_rx_find(a, stream, a->in_ssn[stream]);
        guint end = b == G_MAXUINT ? 0 : sctp_rx_complete(a, b);
        if (!end)
            return;
        SimMsg *m = sim_msg_ref(sctp_rx_at(a, b)->msg);
        for (guint i = b; i < end; i++) {
            SctpRxE *e = sctp_rx_at(a, i);
            e->flags |= SIM_SCTP_RX_DELIVERED;
            a->buf_bytes -= e->len;
            sim_msg_unref(e->msg);
            e->msg = NULL;
        }
        a->in_ssn[stream]++;
        sim_conn_notify_message(&a->conn, stream, m);
        sim_msg_unref(m);
        if (a->dead)
            return;
    }
}

/* Stores one DATA chunk; FALSE if it is a duplicate or out of window. */
static gboolean
sctp_rx_store(SctpAssoc *a, const SctpChunk *ch)
{
    if (SIM_SCTP_TSN_LE(ch->tsn, a->cum_tsn))
        return FALSE;
    guint idx = ch->tsn - a->rx_base;
    if (idx >= SIM_SCTP_RX_WINDOW)
        return FALSE;
    while (idx >= a->rx_cap)
        a->rx = sctp_ring_grow(a->rx, &a->rx_cap, &a->rx_head, a->rx_len,
                               sizeof(SctpRxE));
    if (idx >= a->rx_len)
        a->rx_len = idx + 1;
    SctpRxE *e = sctp_rx_at(a, idx);
    if (e->flags & SIM_SCTP_RX_PRESENT)
        return FALSE;
    a->buf_bytes += ch->u.data.len;
    *e = (SctpRxE){
        .msg = sim_msg_ref(ch->u.data.msg), .len = ch->u.data.len,
        .stream = ch->stream,
        .ssn = ch->ssn, .frag = ch->flags, .flags = SIM_SCTP_RX_PRESENT,
    };
    while (a->cum_tsn + 1 - a->rx_base < a->rx_len &&
           (sctp_rx_at(a, a->cum_tsn + 1 - a->rx_base)->flags &
            SIM_SCTP_RX_PRESENT))
        a->cum_tsn++;
    return TRUE;
}

/* ---- Chunk handlers ([chunk][state] table, after Linux sm_statetable) -- */

typedef gboolean (*SctpChunkFunc)(SctpRx *rx, const SctpChunk *ch);

static gboolean
sctp_sf_discard(SctpRx *rx, const SctpChunk *ch)
{
    return TRUE;
}

/* 8.4: an out-of-the-blue packet gets an ABORT with the T bit. */
static gboolean
sctp_sf_ootb(SctpRx *rx, const SctpChunk *ch)
{
    sctp_reply(rx->ep, rx->pkt, SIM_SCTP_CID_ABORT, SIM_SCTP_FLAG_T,
               rx->sp->vtag);
    return FALSE;
}

/* 8.4 (5): a stray SHUTDOWN-ACK gets a SHUTDOWN-COMPLETE with the T bit. */
static gboolean
sctp_sf_ootb_shutdown_ack(SctpRx *rx, const SctpChunk *ch)
{
    sctp_reply(rx->ep, rx->pkt, SIM_SCTP_CID_SHUTDOWN_COMPLETE,
               SIM_SCTP_FLAG_T, rx->sp->vtag);
    return FALSE;
}

/* 5.1 B: answer an INIT statelessly with an INIT-ACK carrying the cookie,
 * or with an ABORT when nothing listens on the port. */
static gboolean
sctp_sf_init(SctpRx *rx, const SctpChunk *ch)
{
    SctpEp *ep = rx->ep;
    SctpListener *lst = g_hash_table_lookup(
        ep->listeners, GUINT_TO_POINTER((guint)rx->pkt->dport));
    if (!lst || !lst->ss->st->up) {
        sctp_reply(ep, rx->pkt, SIM_SCTP_CID_ABORT, 0, ch->u.init.tag);
        return FALSE;
    }
    /* A full accept queue ignores the INIT; the opener resends it. */
    if (!sim_stack_admits(lst->ss->st))
        return FALSE;
    SimRng *rng = &lst->ss->st->rng;
    SctpPkt *p = sctp_pkt_new(ep);
    SctpCookie ck = {
        .my_tag = (guint32)sim_rng_below(rng, G_MAXUINT32) + 1,
        .peer_tag = ch->u.init.tag,
        .my_tsn = (guint32)sim_rng_u64(rng),
        .peer_tsn = ch->tsn,
        .os = MIN(MAX(SIM_SCTP_DEFAULT_STREAMS, ch->u.init.os),
                  ch->u.init.is),
        .is = MIN(SIM_SCTP_MAX_IN_STREAMS, ch->u.init.os),
        .born = sim_ctx_now(ep->ctx),
    };
    p->vtag = ch->u.init.tag;
    p->chunks[0] = (SctpChunk){ .type = SIM_SCTP_CID_INIT_ACK,
                                .u.cookie = ck };
    p->nchunks = 1;
    sctp_xmit(ep, rx->pkt->src, rx->pkt->dport, rx->pkt->sport, p,
              SIM_IPV4_HEADER + SIM_SCTP_COMMON_HEADER +
                  SIM_SCTP_INIT_ACK_SIZE);
    return FALSE;
}

/* An INIT for an existing association: the peer restarted.  The model
 * resets the old association (the RFC's restart keeps it, 5.2.2) and
 * answers as for a new one. */
static gboolean
sctp_sf_init_restart(SctpRx *rx, const SctpChunk *ch)
{
    sctp_terminate(rx->a, SIM_CLOSE_RESET);
    rx->a = NULL;
    return sctp_sf_init(rx, ch);
}

/* 5.1 C: COOKIE-WAIT gets the INIT-ACK; echo the cookie. */
static gboolean
sctp_sf_init_ack(SctpRx *rx, const SctpChunk *ch)
{
    SctpAssoc *a = rx->a;
    const SctpCookie *ck = &ch->u.cookie;
    sctp_cancel(a, &a->t1);
    a->peer_tag = ck->my_tag;
    a->os = MIN(a->os, ck->is);
    a->conn.streams = a->os;
    a->is = ck->os;
    a->in_ssn = g_new0(guint16, MAX(a->is, 1));
    a->rx_base = ck->my_tsn;
    a->cum_tsn = ck->my_tsn - 1;
    a->cookie = *ck;
    a->state = SIM_SCTPS_COOKIE_ECHOED;
    a->init_tries = 0;
    a->t1_rto = a->rto;
    sctp_queue_cookie_echo(a);
    sctp_output(a);
    a->t1 = sim_evq_after(rx->ep->ctx->evq, a->t1_rto, sctp_t1_fire, a,
                          NULL);
    return FALSE;
}

/* 5.1 D: a valid cookie creates the association, ESTABLISHED at once. */
static gboolean
sctp_sf_cookie_echo(SctpRx *rx, const SctpChunk *ch)
{
    SctpEp *ep = rx->ep;
    const SctpCookie *ck = &ch->u.cookie;
    SctpListener *lst = g_hash_table_lookup(
        ep->listeners, GUINT_TO_POINTER((guint)rx->pkt->dport));
    if (rx->sp->vtag != ck->my_tag ||
        sim_ctx_now(ep->ctx) - ck->born > SIM_SCTP_COOKIE_LIFE)
        return FALSE;
    if (!lst || !lst->ss->st->up) {
        sctp_reply(ep, rx->pkt, SIM_SCTP_CID_ABORT, 0, ck->peer_tag);
        return FALSE;
    }
    SctpAssoc *a = sctp_assoc_new(lst->ss, FALSE, rx->pkt->dport,
                                  rx->pkt->src, rx->pkt->sport);
    sctp_life_join(a);
    a->my_tag = ck->my_tag;
    a->peer_tag = ck->peer_tag;
    a->os = ck->os;
    a->conn.streams = a->os;
    a->is = ck->is;
    a->out_ssn = g_new0(guint16, MAX(a->os, 1));
    a->in_ssn = g_new0(guint16, MAX(a->is, 1));
    a->tx_base = ck->my_tsn;
    a->rx_base = ck->peer_tsn;
    a->cum_tsn = ck->peer_tsn - 1;
    rx->a = a;
    SctpChunk ack = { .type = SIM_SCTP_CID_COOKIE_ACK };
    sctp_ctl_queue(a, &ack, SIM_SCTP_SMALL_CHUNK);
    return sctp_established(a, lst);
}

/* 5.2.4 D: a repeated COOKIE-ECHO (our COOKIE-ACK was lost). */
static gboolean
sctp_sf_cookie_echo_dup(SctpRx *rx, const SctpChunk *ch)
{
    SctpChunk ack = { .type = SIM_SCTP_CID_COOKIE_ACK };
    if (rx->a->nctl < SIM_SCTP_MAX_CTL)
        sctp_ctl_queue(rx->a, &ack, SIM_SCTP_SMALL_CHUNK);
    return TRUE;
}

/* 5.1 E: the COOKIE-ACK completes the handshake. */
static gboolean
sctp_sf_cookie_ack(SctpRx *rx, const SctpChunk *ch)
{
    SctpAssoc *a = rx->a;
    sctp_cancel(a, &a->t1);
    return sctp_established(a, NULL);
}

static gboolean
sctp_sf_data(SctpRx *rx, const SctpChunk *ch)
{
    SctpAssoc *a = rx->a;
    rx->got_data = TRUE;
    if (ch->stream >= a->is)
        return TRUE;
    guint32 cum_before = a->cum_tsn;
    if (!sctp_rx_store(a, ch)) {
        a->sack_now = TRUE;
        return TRUE;
    }
    /* 6.7: report gaps, and their filling, at once. */
    if (a->cum_tsn + 1 - a->rx_base < a->rx_len ||
        a->cum_tsn != ch->tsn || cum_before + 1 != ch->tsn)
        a->sack_now = TRUE;
    sctp_rx_deliver(a, ch->stream);
    if (a->dead)
        return FALSE;
    sctp_rx_compact(a);
    return TRUE;
}

static gboolean
sctp_sf_sack(SctpRx *rx, const SctpChunk *ch)
{
    sctp_sack_process(rx->a, ch);
    return TRUE;
}

/* ABORT: refused while opening, reset once established. */
static gboolean
sctp_sf_abort(SctpRx *rx, const SctpChunk *ch)
{
    SctpAssoc *a = rx->a;
    gboolean opening = a->state == SIM_SCTPS_COOKIE_WAIT ||
                       a->state == SIM_SCTPS_COOKIE_ECHOED;
    sctp_terminate(a, opening ? SIM_CLOSE_REFUSED : SIM_CLOSE_RESET);
    return FALSE;
}

/* 9.2: the peer closes; finish our data, then SHUTDOWN-ACK. */
static gboolean
sctp_sf_shutdown(SctpRx *rx, const SctpChunk *ch)
{
    SctpAssoc *a = rx->a;
    SctpChunk sack = { .type = SIM_SCTP_CID_SACK, .tsn = ch->tsn };
    sctp_sack_process(a, &sack);
    a->state = SIM_SCTPS_SHUTDOWN_RECEIVED;
    a->conn.state = SIM_CONNS_CLOSING;
    sctp_shutdown_check(a);
    return TRUE;
}

/* 9.2: SHUTDOWN crossed ours. */
static gboolean
sctp_sf_shutdown_collision(SctpRx *rx, const SctpChunk *ch)
{
    SctpAssoc *a = rx->a;
    a->state = SIM_SCTPS_SHUTDOWN_ACK_SENT;
    sctp_send_now(a, SIM_SCTP_CID_SHUTDOWN_ACK, 0);
    return TRUE;
}

static gboolean
sctp_sf_shutdown_ack(SctpRx *rx, const SctpChunk *ch)
{
    SctpAssoc *a = rx->a;
    sctp_send_now(a, SIM_SCTP_CID_SHUTDOWN_COMPLETE, 0);
    sctp_terminate(a, SIM_CLOSE_LOCAL);
    return FALSE;
}

static gboolean
sctp_sf_shutdown_complete(SctpRx *rx, const SctpChunk *ch)
{
    sctp_terminate(rx->a, SIM_CLOSE_PEER);
    return FALSE;
}

#define DISC sctp_sf_discard
/* Columns: CLOSED (no TCB), COOKIE-WAIT, COOKIE-ECHOED, ESTABLISHED,
 * SHUTDOWN-PENDING, SHUTDOWN-SENT, SHUTDOWN-RECEIVED, SHUTDOWN-ACK-SENT. */
static const SctpChunkFunc sctp_state_table[SIM_SCTP_CID_N]
                                           [SIM_SCTPS_N_STATES] = {
    [SIM_SCTP_CID_DATA] = { sctp_sf_ootb, DISC, DISC, sctp_sf_data,
                            sctp_sf_data, sctp_sf_data, DISC, DISC },
    [SIM_SCTP_CID_INIT] = { sctp_sf_init, DISC, DISC, sctp_sf_init_restart,
                            sctp_sf_init_restart, sctp_sf_init_restart,
                            sctp_sf_init_restart, sctp_sf_init_restart },
    [SIM_SCTP_CID_INIT_ACK] = { DISC, sctp_sf_init_ack, DISC, DISC, DISC,
                                DISC, DISC, DISC },
    [SIM_SCTP_CID_SACK] = { sctp_sf_ootb, DISC, DISC, sctp_sf_sack,
                            sctp_sf_sack, sctp_sf_sack, sctp_sf_sack, DISC },
    [SIM_SCTP_CID_ABORT] = { DISC, sctp_sf_abort, sctp_sf_abort,
                             sctp_sf_abort, sctp_sf_abort, sctp_sf_abort,
                             sctp_sf_abort, sctp_sf_abort },
    [SIM_SCTP_CID_SHUTDOWN] = { sctp_sf_ootb, DISC, DISC, sctp_sf_shutdown,
                                sctp_sf_shutdown, sctp_sf_shutdown_collision,
                                DISC, DISC },
    [SIM_SCTP_CID_SHUTDOWN_ACK] = { sctp_sf_ootb_shutdown_ack, DISC, DISC,
                                    DISC, DISC, sctp_sf_shutdown_ack, DISC,
                                    sctp_sf_shutdown_ack },
    [SIM_SCTP_CID_COOKIE_ECHO] = { sctp_sf_cookie_echo, DISC, DISC,
                                   sctp_sf_cookie_echo_dup,
                                   sctp_sf_cookie_echo_dup, DISC, DISC,
                                   DISC },
    [SIM_SCTP_CID_COOKIE_ACK] = { DISC, DISC, sctp_sf_cookie_ack, DISC, DISC,
                                  DISC, DISC, DISC },
    [SIM_SCTP_CID_SHUTDOWN_COMPLETE] = { DISC, DISC, DISC, DISC, DISC, DISC,
                                         DISC, sctp_sf_shutdown_complete },
};
#undef DISC

/* 8.5: the verification tag rules for a packet to an existing TCB. */
static gboolean
sctp_vtag_ok(const SctpAssoc *a, const SctpPkt *p)
{
    const SctpChunk *ch = &p->chunks[0];
    if (ch->type == SIM_SCTP_CID_INIT)
        return p->vtag == 0;
    if ((ch->type == SIM_SCTP_CID_ABORT ||
         ch->type == SIM_SCTP_CID_SHUTDOWN_COMPLETE) &&
        (ch->flags & SIM_SCTP_FLAG_T))
        return p->vtag == a->peer_tag;
    return p->vtag == a->my_tag;
}

/* The network handler of an address: demultiplex, run the chunks through
 * the state table, then send what they made due. */
static void
sctp_ep_recv(SimNet *net, SimPacket *pkt, gpointer data)
{
    SctpEp *ep = data;
    const SctpPkt *sp = pkt->payload;
    guint64 key = sctp_key(pkt->dport, pkt->src, pkt->sport);
    SctpRx rx = { .ep = ep, .pkt = pkt, .sp = sp };
    rx.a = g_hash_table_lookup(ep->assocs, &key);
    if (rx.a && !sctp_vtag_ok(rx.a, sp))
        goto out;
    for (guint i = 0; i < sp->nchunks; i++) {
        const SctpChunk *ch = &sp->chunks[i];
        SimSctpState s = rx.a ? rx.a->state : SIM_SCTPS_CLOSED;
        SctpChunkFunc f = sctp_state_table[ch->type][s];
        if (G_UNLIKELY(!f))
            g_error("sctp: no handler for %s in %s",
                    sctp_chunk_names[ch->type], sctp_state_names[s]);
        if (!f(&rx, ch))
            break;
    }
    if (!rx.a || rx.a->dead)
        goto out;
    if (rx.got_data && ++rx.a->sack_pkts >= 2)
        rx.a->sack_now = TRUE;
    if (rx.got_data && rx.a->state == SIM_SCTPS_SHUTDOWN_SENT)
        rx.a->sack_now = TRUE;
    sctp_output(rx.a);
    sctp_shutdown_check(rx.a);
    sctp_mem_update(rx.a);
out:
    sim_net_packet_free(net, pkt);
}

/* ---- Ops ------------------------------------------------------------ */

static gboolean
sctp_listen_with(SimStack *st, guint16 port, SimAcceptFunc func,
                 gpointer user, GError **error)
{
    SctpStack *ss = sctp_stack(st);
    gpointer k = GUINT_TO_POINTER((guint)port);
    if (g_hash_table_contains(ss->ep->listeners, k)) {
        g_autofree char *ip = sim_ip_to_string(st->ip);
        g_set_error(error, SIM_TRANSPORT_ERROR, 0,
                    "SCTP port %s:%u is already listening", ip, port);
        return FALSE;
    }
    SctpListener *lst = g_new0(SctpListener, 1);
    lst->ss = ss;
    lst->func = func;
    lst->user = user;
    g_hash_table_insert(ss->ep->listeners, k, lst);
    return TRUE;
}

static gboolean
sctp_listen(SimStack *st, guint16 port, GError **error)
{
    return sctp_listen_with(st, port, NULL, NULL, error);
}

static guint16
sctp_ephemeral_port(SctpStack *ss, SimIp rip, guint16 rport)
{
    SctpEp *ep = ss->ep;
    guint range = 65536 - SIM_SCTP_EPHEMERAL_LO;
    guint16 port = 0;
    for (guint tries = 0; tries < range; tries++) {
        port = (guint16)(SIM_SCTP_EPHEMERAL_LO +
                         sim_rng_below(&ss->st->rng, range));
        guint64 key = sctp_key(port, rip, rport);
        if (!g_hash_table_contains(ep->assocs, &key) &&
            !g_hash_table_contains(ep->listeners, GUINT_TO_POINTER((guint)port)))
            return port;
    }
    return port;
}

static SimConn *
sctp_connect(SimStack *st, const SimConnectParams *p,
             const SimConnCallbacks *cb, gpointer user)
{
    SctpStack *ss = sctp_stack(st);
    guint16 lport = p->local_port ? p->local_port
                                  : sctp_ephemeral_port(ss, p->ip, p->port);
    SctpAssoc *a = sctp_assoc_new(ss, TRUE, lport, p->ip, p->port);
    sim_conn_set_callbacks(&a->conn, cb, user);
    a->os = (guint16)CLAMP(p->streams ? p->streams : SIM_SCTP_DEFAULT_STREAMS,
                           1, 65535);
    a->conn.streams = a->os;
    a->out_ssn = g_new0(guint16, a->os);
    a->my_tag = (guint32)sim_rng_below(&st->rng, G_MAXUINT32) + 1;
    a->tx_base = (guint32)sim_rng_u64(&st->rng);
    a->state = SIM_SCTPS_COOKIE_WAIT;
    sctp_send_init(a);
    SimEvq *q = st->ctx->evq;
    a->t1 = sim_evq_after(q, a->t1_rto, sctp_t1_fire, a, NULL);
    if (st->cfg.connect_timeout)
        a->conn_timer = sim_evq_after(q, st->cfg.connect_timeout,
                                      sctp_conn_timeout, a, NULL);
    return &a->conn;
}

static void
sctp_send(SimConn *c, guint stream, SimMsg *m)
{
    SctpAssoc *a = (SctpAssoc *)c;
    if (a->dead || a->state > SIM_SCTPS_ESTABLISHED || stream >= a->os) {
        a->ss->ep->dropped->value++;
        sim_msg_acct_drop(m, SIM_DROP_CONN_CLOSED);
        return;
    }
    guint32 maxf = (a->mtu - SIM_IPV4_HEADER - SIM_SCTP_COMMON_HEADER -
                    SIM_SCTP_DATA_HEADER) & ~3u;
    guint32 left = m->len;
    guint16 ssn = a->out_ssn[stream]++;
    guint8 first = SIM_SCTP_FLAG_B;
    do {
        guint32 n = MIN(left, maxf);
        SctpTx *e = sctp_tx_push(a);
        e->msg = sim_msg_ref(m);
        e->len = n;
        a->buf_bytes += n;
        e->stream = (guint16)stream;
        e->ssn = ssn;
        left -= n;
        e->frag = first | (left ? 0 : SIM_SCTP_FLAG_E);
        first = 0;
    } while (left);
    sim_conn_touch(c);
    if (sctp_data_state(a))
        sctp_output(a);
    sctp_mem_update(a);
}

static void
sctp_close(SimConn *c)
{
    SctpAssoc *a = (SctpAssoc *)c;
    if (a->dead)
        return;
    switch (a->state) {
    case SIM_SCTPS_COOKIE_WAIT:
        sctp_terminate(a, SIM_CLOSE_LOCAL);
        break;
    case SIM_SCTPS_COOKIE_ECHOED:
        sctp_send_now(a, SIM_SCTP_CID_ABORT, 0);
        sctp_terminate(a, SIM_CLOSE_LOCAL);
        break;
    case SIM_SCTPS_ESTABLISHED:
        a->state = SIM_SCTPS_SHUTDOWN_PENDING;
        a->conn.state = SIM_CONNS_CLOSING;
        sctp_shutdown_check(a);
        break;
    default:
        break;
    }
}

static void
sctp_abort(SimConn *c)
{
    SctpAssoc *a = (SctpAssoc *)c;
    if (a->dead)
        return;
    if (a->state != SIM_SCTPS_COOKIE_WAIT)
        sctp_send_now(a, SIM_SCTP_CID_ABORT, 0);
    sctp_terminate(a, SIM_CLOSE_LOCAL);
}

static gboolean
sctp_listener_of(gpointer key, gpointer value, gpointer user)
{
    return ((SctpListener *)value)->ss == user;
}

static void
sctp_crash(SimStack *st)
{
    SctpStack *ss = st->priv[SIM_TRANSPORT_SCTP];
    if (!ss)
        return;
    g_hash_table_foreach_remove(ss->ep->listeners, sctp_listener_of, ss);
    for (SctpAssoc *a = ss->assocs; a; a = a->next)
        sctp_terminate(a, SIM_CLOSE_HOST_DOWN);
}

/* Frees the stack's SCTP state at sim_stack_free (after the event queue:
 * touches neither the queue nor the statistics). */
static void
sctp_stack_free(gpointer p)
{
    SctpStack *ss = p;
    g_hash_table_foreach_remove(ss->ep->listeners, sctp_listener_of, ss);
    while (ss->assocs) {
        SctpAssoc *a = ss->assocs;
        if (!a->dead)
            g_hash_table_remove(ss->ep->assocs, &a->key);
        sctp_assoc_free(a);
    }
    sctp_ep_unref(ss->ep);
    g_free(ss);
}

const SimTransportOps sim_transport_sctp = {
    .name = "sctp",
    .description =
        "SCTP (RFC 9260): four-way handshake with a state cookie and DATA "
        "bundled with COOKIE-ECHO (first message after 1.5 RTT), "
        "congestion window, SACK with gap blocks, T3-rtx and fast "
        "retransmit, several ordered streams without head-of-line "
        "blocking between them, SHUTDOWN and ABORT.  SIP asks for "
        "[transport] sctp-streams streams (default 10) and sends each "
        "call's messages on the stream its Call-ID hashes to.",
    .kind = SIM_TRANSPORT_SCTP,
    .early_send = TRUE,
    .listen = sctp_listen,
    .listen_with = sctp_listen_with,
    .connect = sctp_connect,
    .send = sctp_send,
    .close = sctp_close,
    .abort = sctp_abort,
    .crash = sctp_crash,
};

/* ---- Capture ----------------------------------------------------------- */

/* The RFC 9260 type code of each modelled chunk type. */
static const SimPktChunkType sctp_chunk_codes[SIM_SCTP_CID_N] = {
    [SIM_SCTP_CID_DATA] = SIM_PKT_SCTP_DATA,
    [SIM_SCTP_CID_INIT] = SIM_PKT_SCTP_INIT,
    [SIM_SCTP_CID_INIT_ACK] = SIM_PKT_SCTP_INIT_ACK,
    [SIM_SCTP_CID_SACK] = SIM_PKT_SCTP_SACK,
    [SIM_SCTP_CID_ABORT] = SIM_PKT_SCTP_ABORT,
    [SIM_SCTP_CID_SHUTDOWN] = SIM_PKT_SCTP_SHUTDOWN,
    [SIM_SCTP_CID_SHUTDOWN_ACK] = SIM_PKT_SCTP_SHUTDOWN_ACK,
    [SIM_SCTP_CID_COOKIE_ECHO] = SIM_PKT_SCTP_COOKIE_ECHO,
    [SIM_SCTP_CID_COOKIE_ACK] = SIM_PKT_SCTP_COOKIE_ACK,
    [SIM_SCTP_CID_SHUTDOWN_COMPLETE] = SIM_PKT_SCTP_SHUTDOWN_COMPLETE,
};

/* Bytes the model counts for chunk @ch (the sizes given to
 * sctp_out_add and sctp_reply). */
static guint32
sctp_chunk_size(const SctpChunk *ch)
{
    switch (ch->type) {
    case SIM_SCTP_CID_DATA:
        return SIM_SCTP_DATA_HEADER + sctp_pad4(ch->u.data.len);
    case SIM_SCTP_CID_INIT: return SIM_SCTP_INIT_SIZE;
    case SIM_SCTP_CID_INIT_ACK: return SIM_SCTP_INIT_ACK_SIZE;
    case SIM_SCTP_CID_COOKIE_ECHO: return SIM_SCTP_COOKIE_ECHO_SIZE;
    case SIM_SCTP_CID_SACK:
        return SIM_SCTP_SACK_SIZE + SIM_SCTP_GAP_SIZE * ch->ngaps;
    case SIM_SCTP_CID_SHUTDOWN: return SIM_SCTP_SHUTDOWN_SIZE;
    default: return SIM_SCTP_SMALL_CHUNK;
    }
}

/**
 * sim_sctp_describe:
 * @pkt: an SCTP packet
 * @out: (out): its verification tag and chunks (proto already set)
 *
 * Describes a packet for a packet capture; reads only.
 */
void
sim_sctp_describe(const SimPacket *pkt, SimPktInfo *out)
{
    const SctpPkt *p = pkt->payload;
    out->vtag = p->vtag;
    out->nchunks = MIN(p->nchunks, SIM_PKT_MAX_CHUNKS);
    for (guint k = 0; k < out->nchunks; k++) {
        const SctpChunk *ch = &p->chunks[k];
        SimPktChunk *o = &out->chunks[k];
        o->type = sctp_chunk_codes[ch->type];
        o->flags = ch->flags;
        o->size = sctp_chunk_size(ch);
        o->tsn = ch->tsn;
        switch (ch->type) {
        case SIM_SCTP_CID_DATA:
            o->stream = ch->stream;
            o->ssn = ch->ssn;
            o->len = ch->u.data.len;
            o->msg = ch->u.data.msg;
            break;
        case SIM_SCTP_CID_INIT:
            o->tag = ch->u.init.tag;
            o->os = ch->u.init.os;
            o->is = ch->u.init.is;
            break;
        case SIM_SCTP_CID_INIT_ACK:
            o->tag = ch->u.cookie.my_tag;
            o->tsn = ch->u.cookie.my_tsn;
            o->os = ch->u.cookie.os;
            o->is = ch->u.cookie.is;
            break;
        case SIM_SCTP_CID_SACK:
            o->ngaps = MIN(ch->ngaps, SIM_PKT_MAX_GAPS);
            for (guint g = 0; g < o->ngaps; g++) {
                o->gap_start[g] = ch->u.gaps[g].start;
                o->gap_end[g] = ch->u.gaps[g].end;
            }
            break;
        default:
            break;
        }
    }
}
