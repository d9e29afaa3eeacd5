/* SPDX-License-Identifier: MIT */
/*
 * TCP at segment level over models/net (RFC 9293): three-way handshake with
 * the first data riding on the third segment, MSS = path MTU - 40, initial
 * window of cfg.initial_window segments (RFC 6928), slow start, congestion
 * avoidance and fast retransmit/recovery with NewReno partial ACKs (RFC 5681,
 * RFC 6582), the RFC 6298 retransmission timer (1 s initial, doubling to
 * 60 s), FIN and RST, and timestamps as Linux uses them (RFC 7323): every
 * segment carries the time it was sent and echoes the peer's TS.Recent, so
 * every ACK of new data is an RTT sample, retransmitted segments and a
 * retransmitted SYN or SYN-ACK included (in place of Karn's rule and RFC
 * 6298 5.7's 3 s), and a retransmission whose ACK echoes a time before it
 * was sent was spurious: the window cut it caused is undone (Eifel
 * detection, RFC 3522, with RFC 4015's response; a handshake answered
 * before its retransmission keeps the initial window, as Linux's
 * tcp_try_undo_spurious_syn does).  At an RTT above the 1 s initial RTO
 * (scenario 40) a new connection then costs its round trips and no more.
 *
 * Framing: SIP over TCP has no framing bytes (Content-Length delimits), so a
 * message costs exactly its len bytes of stream.  No byte is copied: the
 * sender keeps (message, end sequence) pairs and every segment carries
 * references to the messages that end inside it; the receiver delivers a
 * message once its end is in order, so one lost segment holds back every
 * later message of the connection (head-of-line blocking).
 *
 * Delayed ACK (RFC 1122 4.2.3.2, RFC 5681 4.2) after Linux's rules, when
 * cfg.delayed_ack is set (the topology's default is 40 ms, Linux's
 * TCP_ATO_MIN; 0 ACKs every segment at once): an ACK owed for in-order data
 * waits for data going the other way to carry it, at most that long and
 * no longer than the smoothed RTT (or 40 ms if that is longer; Linux's
 * cap, so that the ACK never outlasts the sender's RTO).  It is sent at
 * once instead for: the first SIM_TCP_QUICKACKS data segments of a
 * connection, and of one that resumes after a silence longer than the RTO
 * (Linux's quick-ack mode); a segment that leaves more than one receive MSS
 * unacknowledged (rcv_mss: the largest segment seen, at least 536 bytes,
 * so every second SIP message); a segment shorter than rcv_mss (the end of
 * a message, pushed) unless the endpoint is in interactive ("pingpong")
 * mode, which it enters by sending data within the delayed-ACK timeout of
 * receiving some and leaves when its delayed-ACK timer has to send a bare
 * ACK; out-of-order, duplicate and hole-filling segments; FINs.  An ACK
 * owed after delivering data is held until the upper layer has reacted,
 * so a response sent synchronously carries it.
 *
 * Simplifications (documented in docs/model.md): the delayed-ACK timeout is
 * fixed (Linux adapts it between 40 and 200 ms to the arrival pattern);
 * slow start grows the window by min(acked, MSS) per ACK (RFC 5681 3.1), so
 * it grows more slowly under delayed ACKs than Linux's packet counting; the
 * receive window never limits the sender; no TIME_WAIT (the endpoint is
 * freed when both FINs are acknowledged); the passive side closes as soon
 * as the peer's FIN arrives (a SIP stack closes on read() = 0), so
 * CLOSE_WAIT is never observed; no SACK; wire size = 20 IP + 20 TCP (+20
 * option bytes on SYN and SYN-ACK, +12 for the timestamps option on the
 * others) + payload.
 *
 * Kept as one piece: the connection state machine, the send queue, the
 * RFC 6298 / RFC 7323 timing and the congestion and undo state share one
 * private endpoint struct whose sequence invariants no other module may see
 * (as in sctp.c and the Linux stack); split, they would need a header
 * exposing those internals.
 */
#define G_LOG_DOMAIN "sim-tcp"

#include "models/capture.h"

/* TCP header bytes without options. */
#define SIM_TCP_HEADER 20
/* Option bytes on SYN and SYN-ACK: MSS, SACK-permitted, timestamps, window
 * scale, as a Linux client sends them. */
#define SIM_TCP_SYN_OPTIONS 20
/* Option bytes on every other segment but a RST: NOP, NOP, timestamps
 * (RFC 7323 appendix A), which also come out of each segment's payload
 * (Linux: MSS 1448 on a 1500-byte MTU). */
#define SIM_TCP_TS_OPTIONS 12
/* Modelled kernel memory of one endpoint (struct tcp_sock and friends)
 * before buffered bytes. */
#define SIM_TCP_MEM_BASE 2048
/* RFC 6298 2.1 initial RTO and 5.5 cap (RFC 6298 allows any cap >= 60 s);
 * with timestamps the handshake always gives a sample, so 5.7's 3 s after
 * a timed-out SYN never applies. */
#define SIM_TCP_RTO_INITIAL SIM_S(1)
#define SIM_TCP_RTO_MAX SIM_S(60)
/* Default minimum RTO when the stack leaves it at 0 (SPEC D7). */
#define SIM_TCP_RTO_MIN_DEFAULT SIM_S(1)
/* Default initial window in segments when the stack leaves it at 0. */
#define SIM_TCP_IW_DEFAULT 10
/* SYN retransmissions before giving up: SYNs at 0, 1, 3, 7, 15, 31 s and
 * failure at 63 s (SPEC 41). */
#define SIM_TCP_SYN_RETRIES 5
/* SYN-ACK retransmissions of a half-open accepted connection. */
#define SIM_TCP_SYNACK_RETRIES 5
/* Consecutive data timeouts before the connection is declared dead (Linux
 * tcp_retries2). */
#define SIM_TCP_DATA_RETRIES 15
/* How long an orphaned FIN_WAIT_2 waits for the peer's FIN (Linux
 * tcp_fin_timeout). */
#define SIM_TCP_FIN_WAIT2_TIMEOUT SIM_S(60)
/* Duplicate ACKs that trigger fast retransmit (RFC 5681 3.2). */
#define SIM_TCP_DUPACK_THRESHOLD 3
/* RFC 6056 ephemeral port range. */
#define SIM_TCP_EPHEMERAL_LOW 49152
#define SIM_TCP_EPHEMERAL_N 16384
/* Message references stored inside a segment before spilling to the heap. */
#define SIM_TCP_SEG_INLINE 2

/* Data segments ACKed at once at the start of a connection before delayed
 * ACKs begin (Linux's TCP_MAX_QUICKACKS). */
#define SIM_TCP_QUICKACKS 16

/* The receive MSS estimate starts here (RFC 9293's default MSS, Linux's
 * TCP_MSS_DEFAULT). */
#define SIM_TCP_RCV_MSS_MIN 536

/* The shortest delayed-ACK timeout the RTT cap leaves (Linux's
 * TCP_DELACK_MIN). */
#define SIM_TCP_DELACK_MIN SIM_MS(40)

/* Segment flags. */
#define SIM_TCPF_SYN 0x01
#define SIM_TCPF_ACK 0x02
#define SIM_TCPF_FIN 0x04
#define SIM_TCPF_RST 0x08

/* Endpoint states (RFC 9293 3.3.2; CLOSE_WAIT and TIME_WAIT are never
 * entered, see the file comment). */
typedef enum {
    SIM_TCPS_CLOSED,
    SIM_TCPS_SYN_SENT,
    SIM_TCPS_SYN_RECEIVED,
    SIM_TCPS_ESTABLISHED,
    SIM_TCPS_FIN_WAIT_1,
    SIM_TCPS_FIN_WAIT_2,
    SIM_TCPS_CLOSING,
    SIM_TCPS_LAST_ACK,
    SIM_TCPS_N_STATES
} TcpState;

static const char *const tcp_state_names[SIM_TCPS_N_STATES] = {
    [SIM_TCPS_CLOSED] = "CLOSED",
    [SIM_TCPS_SYN_SENT] = "SYN_SENT",
    [SIM_TCPS_SYN_RECEIVED] = "SYN_RECEIVED",
    [SIM_TCPS_ESTABLISHED] = "ESTABLISHED",
    [SIM_TCPS_FIN_WAIT_1] = "FIN_WAIT_1",
    [SIM_TCPS_FIN_WAIT_2] = "FIN_WAIT_2",
    [SIM_TCPS_CLOSING] = "CLOSING",
    [SIM_TCPS_LAST_ACK] = "LAST_ACK",
};

/* The life of one connection as the run counts it (connections.open,
 * .opened, .closed): from the first of its endpoints established to the
 * last one closed, since either end may outlive the other (a crashed peer,
 * a lost FIN).  Both endpoints share it; the acceptor finds it on the
 * opener's endpoint when the SYN arrives. */
typedef struct {
    /* Endpoints referring to it. */
    guint refs;
    /* Endpoints counted open. */
    guint ends_open;
} TcpLife;

typedef struct _TcpSeg TcpSeg;
typedef struct _TcpHost TcpHost;
typedef struct _TcpStack TcpStack;
typedef struct _TcpConn TcpConn;

/* A message and the sequence number just past its last byte. */
typedef struct {
    /* The message (a reference). */
    SimMsg *m;
    /* Sequence number following its last byte. */
    guint64 end;
} TcpMsgRef;

/* One segment in flight or waiting out of order (the packet payload). */
struct _TcpSeg {
    /* Owner of the free list it returns to. */
    TcpHost *host;
    /* Next segment in the free list or the out-of-order list. */
    TcpSeg *next;
    /* Sequence number of the first byte (or of the SYN/FIN). */
    guint64 seq;
    /* Cumulative acknowledgement, valid with SIM_TCPF_ACK. */
    guint64 ack;
    /* Payload bytes. */
    guint32 len;
    /* SIM_TCPF_* bits. */
    guint16 flags;
    /* Messages ending inside [seq, seq + len). */
    guint16 nmsgs;
    /* RFC 7323 timestamps option: when the segment was sent (TSval) and
     * the peer's TSval it echoes (TSecr). */
    SimTime tsval, tsecr;
    /* Their references: inline_msgs or a heap array. */
    TcpMsgRef *msgs;
    /* Storage for the common case of few messages per segment. */
    TcpMsgRef inline_msgs[SIM_TCP_SEG_INLINE];
};

/* A listening port. */
typedef struct {
    /* The port. */
    guint16 port;
    /* The stack owning it. */
    TcpStack *ts;
    /* Receives accepted connections; NULL: the stack's accept handler. */
    SimAcceptFunc func;
    /* Its argument. */
    gpointer user;
} TcpListener;

/* TCP on one IP address, shared by every stack on it (the net handler). */
struct _TcpHost {
    /* References: the net handler and every stack on the address. */
    guint refcount;
    /* The network. */
    SimNet *net;
    /* Connections by demultiplexing key (tcp_key). */
    GHashTable *conns;
    /* Listening ports (TcpListener), in listen order. */
    GArray *listeners;
    /* Recycled segments. */
    TcpSeg *free_segs;
};

/* TCP state of one stack (SimStack.priv[SIM_TRANSPORT_TCP]). */
struct _TcpStack {
    /* The stack. */
    SimStack *st;
    /* The address's shared state (a reference). */
    TcpHost *host;
    /* This stack's connections, newest first. */
    TcpConn *conns;
    /* Counters; they point at scratch when the run has no collector. */
    SimCounter *opened, *closed, *handshakes, *retransmits, *timeouts;
    SimCounter *fast_retransmits, *syn_retransmits, *resets, *failed;
    /* Retransmissions found spurious and undone (RFC 3522). */
    SimCounter *undos;
    /* Scratch counters for runs without statistics. */
    SimCounter scratch;
    /* Open connections opened here (run gauge) and open endpoints of
     * this node (per-node gauge); NULL without statistics. */
    SimGauge *open_gauge, *node_open_gauge;
};

/* One endpoint.  The SimConn comes first so the two convert freely. */
struct _TcpConn {
    /* Common state. */
    SimConn base;
    /* Its stack's TCP state. */
    TcpStack *ts;
    /* Neighbours in the stack's list. */
    TcpConn *prev, *next;
    /* Demultiplexing key: remote IP, remote port, local port. */
    guint64 key;
    /* TcpState. */
    guint8 state;
    /* Consecutive timeouts of the current SYN, SYN-ACK or data. */
    guint8 retries;
    /* Duplicate ACKs in a row. */
    guint8 dupacks;
    /* Data segments still to be ACKed at once (quick-ack mode). */
    guint8 quickacks;
    /* Receive MSS estimate for delayed ACKs: the largest data segment
     * received, at least 536 bytes (Linux's icsk_ack.rcv_mss). */
    guint16 rcv_mss;
    /* Path MSS. */
    guint16 mss;
    /* TRUE once the upper layer asked to close: FIN follows the data. */
    guint fin_queued : 1;
    /* TRUE while our FIN is out and not timed out. */
    guint fin_sent : 1;
    /* TRUE once the peer's FIN was received in order. */
    guint peer_fin : 1;
    /* TRUE if an ACK is owed to the peer. */
    guint ack_pending : 1;
    /* TRUE while that ACK may wait (until ack_due) for data to carry it. */
    guint ack_delayed : 1;
    /* TRUE in interactive mode: data sent within the delayed-ACK timeout
     * of data received, and no delayed ACK missed since (Linux's
     * pingpong mode): a pushed segment's ACK then waits too. */
    guint pingpong : 1;
    /* TRUE during fast recovery. */
    guint in_recovery : 1;
    /* TRUE once an RTT sample was taken (SRTT and RTTVAR valid). */
    guint have_srtt : 1;
    /* TRUE if the SYN or SYN-ACK was retransmitted. */
    guint syn_rexmit : 1;
    /* TRUE while undo_cwnd and undo_ssthresh hold the window before a
     * retransmission (RFC 3522). */
    guint undo_armed : 1;
    /* TRUE while counted in the open gauges. */
    guint counted_open : 1;
    /* TRUE while in the host's table. */
    guint in_table : 1;
    /* Congestion window and slow-start threshold, bytes. */
    guint32 cwnd, ssthresh;
    /* Oldest unacknowledged, next to send, highest sent. */
    guint64 snd_una, snd_nxt, snd_max;
    /* Sequence number after the last byte queued by the upper layer. */
    guint64 snd_end;
    /* snd_max when fast recovery began (RFC 6582 "recover"). */
    guint64 recover;
    /* When the first retransmission of the current episode (SYN,
     * SYN-ACK, timeout or fast retransmit) was sent: an ACK echoing an
     * earlier time was caused by the original (RFC 3522 2). */
    SimTime rexmit_at;
    /* The window and threshold before that retransmission. */
    guint32 undo_cwnd, undo_ssthresh;
    /* RFC 7323 4.3: the TSval to echo, and the ACK we last sent. */
    SimTime ts_recent;
    guint64 last_ack_sent;
    /* Next sequence number expected from the peer. */
    guint64 rcv_nxt;
    /* RFC 6298 state. */
    SimTime srtt, rttvar, rto;
    /* When the retransmission (or handshake, or FIN_WAIT_2) timer
     * expires; SIM_TIME_NEVER when stopped. */
    SimTime deadline;
    /* The pending timer event and its time (it may fire before deadline
     * and re-arm: restarting the timer never cancels). */
    SimEventId timer_ev;
    SimTime timer_at;
    /* Give up connecting at this time (0: no connect timeout). */
    SimTime connect_deadline;
    /* A delayed ACK is sent at ack_due; its pending timer event, and the
     * time it fires (like the retransmission timer, it re-arms). */
    SimTime ack_due;
    SimEventId delack_ev;
    SimTime delack_at;
    /* When in-order data last arrived (0: never). */
    SimTime last_data_at;
    /* Send queue: ring of messages not yet fully acknowledged. */
    TcpMsgRef *q;
    guint32 q_head, q_len, q_cap;
    /* Bytes waiting in the out-of-order list. */
    guint32 ooo_bytes;
    /* Out-of-order segments, sorted by seq. */
    TcpSeg *ooo;
    /* Accepted connections: where to hand them. */
    SimAcceptFunc accept_func;
    gpointer accept_user;
    /* Why it ended, reported by the reap event. */
    SimCloseReason reason;
    /* The pending reap event (deferred notify and free). */
    SimEventId reap_ev;
    /* The connection's life, shared with the other endpoint. */
    TcpLife *life;
};

const SimTransportOps sim_transport_tcp;

static void tcp_output(TcpConn *c);
static void tcp_finish(TcpConn *c, SimCloseReason reason);

static inline SimTime
tcp_now(const TcpConn *c)
{
    return sim_ctx_now(c->base.stack->ctx);
}

/* The stack's settings, with the defaults for fields left at 0. */
static inline SimTime
tcp_rto_min(const TcpConn *c)
{
    SimTime v = c->base.stack->cfg.rto_min;
    return v ? v : SIM_TCP_RTO_MIN_DEFAULT;
}

/* Initial window in bytes: RFC 6928's min(10*MSS, max(2*MSS, 14600)) for
 * the configured number of segments n, i.e. min(n*MSS, max(2*MSS,
 * n*1460)): n segments at the standard MSS, capped in bytes for larger
 * segments, never below two segments. */
static inline guint32
tcp_iw_bytes(const TcpConn *c)
{
    guint v = c->base.stack->cfg.initial_window;
    guint32 n = v ? v : SIM_TCP_IW_DEFAULT;
    return MIN(n * c->mss, MAX(2 * c->mss, n * 1460u));
}

static inline guint64
tcp_key(SimIp rip, guint16 rport, guint16 lport)
{
    return (guint64)rip << 32 | (guint64)rport << 16 | lport;
}

/* ---- Segments ---------------------------------------------------------- */

static TcpSeg *
tcp_seg_new(TcpHost *h)
{
    TcpSeg *s = h->free_segs;
    if (s)
        h->free_segs = s->next;
    else
        s = g_new(TcpSeg, 1);
    s->host = h;
    s->next = NULL;
    s->seq = s->ack = 0;
    s->tsval = s->tsecr = 0;
    s->len = 0;
    s->flags = 0;
    s->nmsgs = 0;
    s->msgs = s->inline_msgs;
    return s;
}

static void
tcp_seg_free(gpointer p)
{
    TcpSeg *s = p;
    for (guint i = 0; i < s->nmsgs; i++)
        sim_msg_unref(s->msgs[i].m);
    if (s->msgs != s->inline_msgs)
        g_free(s->msgs);
    s->next = s->host->free_segs;
    s->host->free_segs = s;
}

/* ---- Hosts and stacks -------------------------------------------------- */

static void
tcp_host_unref(gpointer p)
{
    TcpHost *h = p;
    if (--h->refcount)
        return;
    while (h->free_segs) {
        TcpSeg *s = h->free_segs;
        h->free_segs = s->next;
        g_free(s);
    }
    g_hash_table_destroy(h->conns);
    g_array_unref(h->listeners);
    g_free(h);
}

static void tcp_host_recv(SimNet *net, SimPacket *pkt, gpointer data);

static TcpHost *
tcp_host_get(SimNet *net, SimIp ip)
{
    TcpHost *h = sim_net_get_handler_data(net, ip, SIM_IPPROTO_TCP);
    if (!h) {
        h = g_new0(TcpHost, 1);
        h->refcount = 1;
        h->net = net;
        h->conns = g_hash_table_new(g_int64_hash, g_int64_equal);
        h->listeners = g_array_new(FALSE, FALSE, sizeof(TcpListener));
        sim_net_set_handler(net, ip, SIM_IPPROTO_TCP, tcp_host_recv, h,
                            tcp_host_unref);
    }
    h->refcount++;
    return h;
}

static void
tcp_life_unref(TcpLife *life)
{
    if (life && --life->refs == 0)
        g_free(life);
}

static void
tcp_conn_free(TcpConn *c)
{
    tcp_life_unref(c->life);
    for (guint32 i = 0; i < c->q_len; i++)
        sim_msg_unref(c->q[(c->q_head + i) % c->q_cap].m);
    g_free(c->q);
    while (c->ooo) {
        TcpSeg *s = c->ooo;
        c->ooo = s->next;
        tcp_seg_free(s);
    }
    if (c->in_table)
        g_hash_table_remove(c->ts->host->conns, &c->key);
    if (c->prev)
        c->prev->next = c->next;
    else
        c->ts->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    g_free(c);
}

static void
tcp_stack_free(gpointer p)
{
    /* Runs after the event queue is gone: touch no event or statistic. */
    TcpStack *ts = p;
    while (ts->conns)
        tcp_conn_free(ts->conns);
    GArray *ls = ts->host->listeners;
    for (guint i = ls->len; i-- > 0;)
        if (g_array_index(ls, TcpListener, i).ts == ts)
            g_array_remove_index(ls, i);
    tcp_host_unref(ts->host);
    g_free(ts);
}

static SimCounter *
tcp_counter(TcpStack *ts, const char *name)
{
    SimStats *stats = ts->st->ctx->stats;
    return stats ? sim_stats_counter(stats, name) : &ts->scratch;
}

static void
tcp_stack_stats(TcpStack *ts)
{
    SimStats *stats = ts->st->ctx->stats;
    ts->opened = tcp_counter(ts, "connections.opened");
    ts->closed = tcp_counter(ts, "connections.closed");
    ts->handshakes = tcp_counter(ts, "handshakes.tcp");
    ts->retransmits = tcp_counter(ts, "tcp.retransmits");
    ts->timeouts = tcp_counter(ts, "tcp.rto_timeouts");
    ts->fast_retransmits = tcp_counter(ts, "tcp.fast_retransmits");
    ts->syn_retransmits = tcp_counter(ts, "tcp.syn_retransmits");
    ts->resets = tcp_counter(ts, "tcp.resets_received");
    ts->failed = tcp_counter(ts, "tcp.connect_failed");
    ts->undos = tcp_counter(ts, "tcp.spurious_undone");
    if (stats) {
        g_autofree char *node = g_strdup_printf("node.%s.connections.open",
                                                ts->st->node);
        ts->open_gauge = sim_stats_gauge(stats, "connections.open");
        ts->node_open_gauge = sim_stats_gauge(stats, node);
    }
}

static TcpStack *
tcp_stack(SimStack *st)
{
    TcpStack *ts = st->priv[SIM_TRANSPORT_TCP];
    if (ts)
        return ts;
    ts = g_new0(TcpStack, 1);
    ts->st = st;
    ts->host = tcp_host_get(st->net, st->ip);
    tcp_stack_stats(ts);
    st->priv[SIM_TRANSPORT_TCP] = ts;
    st->priv_free[SIM_TRANSPORT_TCP] = tcp_stack_free;
    return ts;
}

static TcpListener *
tcp_listener(TcpHost *h, guint16 port)
{
    for (guint i = 0; i < h->listeners->len; i++) {
        TcpListener *l = &g_array_index(h->listeners, TcpListener, i);
        if (l->port == port)
            return l;
    }
    return NULL;
}

/* ---- Connections: creation, accounting, timers ------------------------- */

static TcpConn *
tcp_conn_new(TcpStack *ts, gboolean initiator, SimIp rip, guint16 rport)
{
    TcpConn *c = g_new0(TcpConn, 1);
    sim_conn_init(&c->base, &sim_transport_tcp, ts->st, initiator);
    c->ts = ts;
    c->base.remote.ip = rip;
    c->base.remote.port = rport;
    c->deadline = SIM_TIME_NEVER;
    c->rto = SIM_TCP_RTO_INITIAL;
    c->ssthresh = G_MAXUINT32;
    c->quickacks = SIM_TCP_QUICKACKS;
    const SimPathParams *p = sim_net_path(ts->st->net, ts->st->ip, rip);
    guint mtu = p->mtu ? p->mtu : 1500;
    c->mss = mtu > 40 + SIM_TCP_TS_OPTIONS + 64
                 ? mtu - 40 - SIM_TCP_TS_OPTIONS
                 : 64;
    c->rcv_mss = MIN(c->mss, SIM_TCP_RCV_MSS_MIN);
    c->next = ts->conns;
    if (ts->conns)
        ts->conns->prev = c;
    ts->conns = c;
    c->life = g_new0(TcpLife, 1);
    c->life->refs = 1;
    return c;
}

/* The acceptor @c shares the life of the opener's endpoint, if that is
 * still there (it is, unless it already gave up). */
static void
tcp_life_join(TcpConn *c)
{
    SimNet *net = c->ts->st->net;
    TcpHost *peer = sim_net_get_handler_data(net, c->base.remote.ip,
                                             SIM_IPPROTO_TCP);
    if (!peer)
        return;
    guint64 key = tcp_key(c->ts->st->ip, c->base.local.port,
                          c->base.remote.port);
    TcpConn *opener = g_hash_table_lookup(peer->conns, &key);
    if (!opener || !opener->base.initiator)
        return;
    tcp_life_unref(c->life);
    c->life = opener->life;
    c->life->refs++;
}

static void
tcp_insert(TcpConn *c)
{
    c->key = tcp_key(c->base.remote.ip, c->base.remote.port,
                     c->base.local.port);
    g_hash_table_insert(c->ts->host->conns, &c->key, c);
    c->in_table = TRUE;
}

static void
tcp_update_mem(TcpConn *c)
{
    /* Sequence number 0 is the SYN, not a buffered byte. */
    guint64 una = MAX(c->snd_una, 1);
    guint64 unacked = c->snd_end > una ? c->snd_end - una : 0;
    guint64 bytes = SIM_TCP_MEM_BASE + unacked + c->ooo_bytes;
    if (bytes != c->base.mem_bytes)
        sim_conn_set_mem(&c->base, (guint32)MIN(bytes, G_MAXUINT32));
}

/* The accepting end of a connection the node opened to itself. */
static gboolean
tcp_self_acceptor(const TcpConn *c)
{
    return !c->base.initiator && c->base.remote.ip == c->ts->st->ip;
}

static void
tcp_count_open(TcpConn *c)
{
    TcpStack *ts = c->ts;
    SimTime now = tcp_now(c);
    c->counted_open = TRUE;
    /* A node's connections: a connection to itself counts once. */
    if (ts->node_open_gauge && !tcp_self_acceptor(c))
        sim_gauge_add(ts->node_open_gauge, now, 1);
    if (c->base.initiator)
        ts->handshakes->value++;
    /* The connection's life begins with its first endpoint open. */
    if (c->life->ends_open++ == 0) {
        ts->opened->value++;
        if (ts->open_gauge)
            sim_gauge_add(ts->open_gauge, now, 1);
    }
}

/* Tells the upper layer once, and takes the endpoint out of the gauges. */
static void
tcp_notify_closed(TcpConn *c, SimCloseReason reason)
{
    TcpStack *ts = c->ts;
    if (c->counted_open) {
        SimTime now = tcp_now(c);
        c->counted_open = FALSE;
        if (ts->node_open_gauge && !tcp_self_acceptor(c))
            sim_gauge_add(ts->node_open_gauge, now, -1);
        /* ... and ends with its last endpoint closed. */
        if (--c->life->ends_open == 0) {
            ts->closed->value++;
            if (ts->open_gauge)
                sim_gauge_add(ts->open_gauge, now, -1);
        }
    }
    if (!c->base.closed_notified)
        sim_conn_notify_closed(&c->base, reason);
}

static void tcp_timeout(TcpConn *c);

static void
tcp_timer_fire(SimEvq *q, gpointer data)
{
    TcpConn *c = data;
    c->timer_ev = 0;
    if (c->deadline == SIM_TIME_NEVER)
        return;
    if (sim_evq_now(q) < c->deadline) {
        c->timer_at = c->deadline;
        c->timer_ev = sim_evq_at(q, c->deadline, tcp_timer_fire, c, NULL);
        return;
    }
    c->deadline = SIM_TIME_NEVER;
    tcp_timeout(c);
}

/* Sets the timer to expire at @when (SIM_TIME_NEVER stops it).  Moving it
 * later costs nothing: the pending event re-arms when it fires. */
static void
tcp_timer_set(TcpConn *c, SimTime when)
{
    SimEvq *q = c->base.stack->ctx->evq;
    c->deadline = when;
    if (when == SIM_TIME_NEVER || (c->timer_ev && c->timer_at <= when))
        return;
    if (c->timer_ev)
        sim_evq_cancel(q, c->timer_ev);
    c->timer_at = when;
    c->timer_ev = sim_evq_at(q, when, tcp_timer_fire, c, NULL);
}

static void
tcp_reap(SimEvq *q, gpointer data)
{
    TcpConn *c = data;
    c->reap_ev = 0;
    tcp_notify_closed(c, c->reason);
    sim_conn_clear(&c->base);
    tcp_conn_free(c);
}

/* Ends the endpoint: no more segments, out of the demultiplexing table;
 * the upper layer hears @reason (unless already told) from a zero-delay
 * event, which then frees the endpoint. */
static void
tcp_finish(TcpConn *c, SimCloseReason reason)
{
    if (c->state == SIM_TCPS_CLOSED)
        return;
    g_debug("conn %" G_GUINT64_FORMAT " %s -> CLOSED (%s)", c->base.id,
            tcp_state_names[c->state], sim_close_reason_name(reason));
    c->state = SIM_TCPS_CLOSED;
    c->reason = reason;
    /* What is not acknowledged may never arrive (a copy still in the
     * network that does is counted delivered after all). */
    SimDropReason why = sim_drop_reason_of_close(reason);
    for (guint32 i = 0; i < c->q_len; i++)
        sim_msg_acct_drop(c->q[(c->q_head + i) % c->q_cap].m, why);
    if (c->base.state != SIM_CONNS_CLOSED)
        c->base.state = SIM_CONNS_CLOSING;
    if (c->timer_ev)
        sim_evq_cancel(c->base.stack->ctx->evq, c->timer_ev);
    c->timer_ev = 0;
    c->deadline = SIM_TIME_NEVER;
    if (c->delack_ev)
        sim_evq_cancel(c->base.stack->ctx->evq, c->delack_ev);
    c->delack_ev = 0;
    c->ack_pending = c->ack_delayed = FALSE;
    if (c->in_table) {
        g_hash_table_remove(c->ts->host->conns, &c->key);
        c->in_table = FALSE;
    }
    c->reap_ev = sim_evq_after(c->base.stack->ctx->evq, 0, tcp_reap, c, NULL);
}

/* ---- RFC 6298 ---------------------------------------------------------- */

static void
tcp_rtt_sample(TcpConn *c, SimTime r)
{
    if (!c->have_srtt) {
        /* 2.2: first measurement. */
        c->srtt = r;
        c->rttvar = r / 2;
        c->have_srtt = TRUE;
    } else {
        /* 2.3: beta = 1/4, alpha = 1/8; RTTVAR uses the old SRTT. */
        SimTime diff = c->srtt > r ? c->srtt - r : r - c->srtt;
        c->rttvar = (3 * c->rttvar + diff) / 4;
        c->srtt = (7 * c->srtt + r) / 8;
    }
    /* 2.2/2.3 with G = 0 (the clock is exact), then 2.4 and 2.5. */
    c->rto = CLAMP(c->srtt + 4 * c->rttvar, tcp_rto_min(c),
                   SIM_TCP_RTO_MAX);
}

static inline void
tcp_rto_backoff(TcpConn *c)
{
    /* 5.5: double, up to the maximum. */
    c->rto = MIN(2 * c->rto, SIM_TCP_RTO_MAX);
}

/* ---- Sending ----------------------------------------------------------- */

static void
tcp_q_push(TcpConn *c, SimMsg *m, guint64 end)
{
    if (c->q_len == c->q_cap) {
        guint32 cap = c->q_cap ? 2 * c->q_cap : 4;
        TcpMsgRef *q = g_new(TcpMsgRef, cap);
        for (guint32 i = 0; i < c->q_len; i++)
            q[i] = c->q[(c->q_head + i) % c->q_cap];
        g_free(c->q);
        c->q = q;
        c->q_head = 0;
        c->q_cap = cap;
    }
    c->q[(c->q_head + c->q_len) % c->q_cap] = (TcpMsgRef){ m, end };
    c->q_len++;
}

/* Drops the messages the peer has acknowledged in full. */
static void
tcp_q_release(TcpConn *c)
{
    while (c->q_len && c->q[c->q_head].end <= c->snd_una) {
        sim_msg_unref(c->q[c->q_head].m);
        c->q_head = (c->q_head + 1) % c->q_cap;
        c->q_len--;
    }
}

/* Attaches to @s a reference to every queued message ending inside it. */
static void
tcp_q_collect(TcpConn *c, TcpSeg *s)
{
    guint64 seg_end = s->seq + s->len;
    guint32 first = 0, n = 0, hi = c->q_len;
    /* Ends are increasing: binary search for the first ending after seq. */
    while (first < hi) {
        guint32 mid = first + (hi - first) / 2;
        if (c->q[(c->q_head + mid) % c->q_cap].end <= s->seq)
            first = mid + 1;
        else
            hi = mid;
    }
    while (first + n < c->q_len &&
           c->q[(c->q_head + first + n) % c->q_cap].end <= seg_end)
        n++;
    if (n > SIM_TCP_SEG_INLINE)
        s->msgs = g_new(TcpMsgRef, n);
    for (guint32 i = 0; i < n; i++) {
        TcpMsgRef r = c->q[(c->q_head + first + i) % c->q_cap];
        s->msgs[i] = (TcpMsgRef){ sim_msg_ref(r.m), r.end };
    }
    s->nmsgs = n;
}

static void
tcp_send_packet(TcpHost *h, const SimTuple *from, const SimTuple *to,
                TcpSeg *s)
{
    SimPacket *pkt = sim_net_packet_new(h->net);
    pkt->src = from->ip;
    pkt->dst = to->ip;
    pkt->sport = from->port;
    pkt->dport = to->port;
    pkt->proto = SIM_IPPROTO_TCP;
    pkt->size = SIM_IPV4_HEADER + SIM_TCP_HEADER + s->len +
                (s->flags & SIM_TCPF_SYN   ? SIM_TCP_SYN_OPTIONS
                 : s->flags & SIM_TCPF_RST ? 0
                                           : SIM_TCP_TS_OPTIONS);
    pkt->payload = s;
    pkt->payload_free = tcp_seg_free;
    sim_net_send(h->net, pkt);
}

/* Sends one segment of this connection; every segment but the first SYN
 * carries the current cumulative ACK. */
static void
tcp_xmit(TcpConn *c, guint flags, guint64 seq, guint32 len)
{
    TcpSeg *s = tcp_seg_new(c->ts->host);
    s->seq = seq;
    s->len = len;
    s->flags = flags;
    if (c->state != SIM_TCPS_SYN_SENT)
        s->flags |= SIM_TCPF_ACK;
    s->ack = c->rcv_nxt;
    s->tsval = tcp_now(c);
    s->tsecr = c->ts_recent;
    c->last_ack_sent = c->rcv_nxt;
    if (len)
        tcp_q_collect(c, s);
    c->ack_pending = c->ack_delayed = FALSE;
    tcp_send_packet(c->ts->host, &c->base.local, &c->base.remote, s);
}

/* Sends data [seq, seq + len) and starts the retransmission timer if it
 * is stopped (RFC 6298 5.1); the ACK's echoed timestamp times it. */
static void
tcp_send_data(TcpConn *c, guint64 seq, guint32 len)
{
    SimTime now = tcp_now(c);
    if (seq < c->snd_max)
        c->ts->retransmits->value++;
    tcp_xmit(c, 0, seq, len);
    if (c->deadline == SIM_TIME_NEVER)
        tcp_timer_set(c, now + c->rto);
}

static void
tcp_send_fin(TcpConn *c)
{
    if (c->snd_end < c->snd_max)
        c->ts->retransmits->value++;
    tcp_xmit(c, SIM_TCPF_FIN, c->snd_end, 0);
    c->fin_sent = TRUE;
    c->snd_nxt = c->snd_end + 1;
    c->snd_max = MAX(c->snd_max, c->snd_nxt);
    if (c->deadline == SIM_TIME_NEVER)
        tcp_timer_set(c, tcp_now(c) + c->rto);
}

/* Sends what the congestion window allows, then the FIN once every byte
 * is out, then any ACK still owed. */
static void
tcp_output(TcpConn *c)
{
    if (c->state < SIM_TCPS_ESTABLISHED)
        return;
    while (c->snd_nxt < c->snd_end) {
        guint32 len = (guint32)MIN(c->mss, c->snd_end - c->snd_nxt);
        if (c->snd_nxt - c->snd_una + len > c->cwnd)
            break;
        /* A reply within the delayed-ACK timeout: interactive. */
        if (c->last_data_at &&
            tcp_now(c) - c->last_data_at < c->base.stack->cfg.delayed_ack)
            c->pingpong = TRUE;
        tcp_send_data(c, c->snd_nxt, len);
        c->snd_nxt += len;
        c->snd_max = MAX(c->snd_max, c->snd_nxt);
    }
    if (c->fin_queued && !c->fin_sent && c->snd_nxt == c->snd_end)
        tcp_send_fin(c);
    if (c->ack_pending && !c->ack_delayed)
        tcp_xmit(c, 0, c->snd_nxt, 0);
}

/* The delayed-ACK timer: sends the ACK if it is still owed and due. */
static void
tcp_delack_fire(SimEvq *q, gpointer data)
{
    TcpConn *c = data;
    c->delack_ev = 0;
    if (!c->ack_delayed)
        return;
    if (sim_evq_now(q) < c->ack_due) {
        c->delack_at = c->ack_due;
        c->delack_ev = sim_evq_at(q, c->ack_due, tcp_delack_fire, c, NULL);
        return;
    }
    /* A delayed ACK missed: no longer interactive. */
    c->ack_delayed = FALSE;
    c->pingpong = FALSE;
    tcp_output(c);
    tcp_update_mem(c);
}

/* An ACK is owed: at once, or (@may_wait) after the delayed-ACK timeout
 * unless data carries it first. */
static void
tcp_owe_ack(TcpConn *c, gboolean may_wait)
{
    SimTime delay = c->base.stack->cfg.delayed_ack;
    if (!may_wait || !delay) {
        c->ack_pending = TRUE;
        c->ack_delayed = FALSE;
        return;
    }
    if (c->ack_pending)
        return;
    /* Never longer than the smoothed RTT (at least 40 ms), so that the
     * ACK comes before the sender's retransmission timer. */
    if (c->have_srtt)
        delay = MIN(delay, MAX(c->srtt, SIM_TCP_DELACK_MIN));
    c->ack_pending = c->ack_delayed = TRUE;
    c->ack_due = tcp_now(c) + delay;
    if (c->delack_ev && c->delack_at <= c->ack_due)
        return;
    SimEvq *q = c->base.stack->ctx->evq;
    if (c->delack_ev)
        sim_evq_cancel(q, c->delack_ev);
    c->delack_at = c->ack_due;
    c->delack_ev = sim_evq_at(q, c->ack_due, tcp_delack_fire, c, NULL);
}

/* Retransmits the oldest unacknowledged segment (fast retransmit, NewReno
 * partial ACK). */
static void
tcp_retransmit_head(TcpConn *c)
{
    if (c->snd_una < c->snd_end) {
        guint32 len = (guint32)MIN(c->mss, c->snd_end - c->snd_una);
        tcp_send_data(c, c->snd_una, len);
    } else if (c->fin_sent) {
        tcp_send_fin(c);
    }
}

static void
tcp_send_syn(TcpConn *c)
{
    guint flags = SIM_TCPF_SYN;
    if (c->state == SIM_TCPS_SYN_RECEIVED)
        flags |= SIM_TCPF_ACK;
    tcp_xmit(c, flags, 0, 0);
}

/* ---- Timeouts ---------------------------------------------------------- */

/* The SYN or SYN-ACK is about to go again: the first time, note when. */
static void
tcp_mark_syn_rexmit(TcpConn *c)
{
    if (!c->syn_rexmit)
        c->rexmit_at = tcp_now(c);
    c->syn_rexmit = TRUE;
}

/* A timeout or fast retransmit is about to cut the window: the first of
 * an episode keeps the window to restore if it proves spurious. */
static void
tcp_arm_undo(TcpConn *c)
{
    if (c->undo_armed)
        return;
    c->undo_armed = TRUE;
    c->undo_cwnd = c->cwnd;
    c->undo_ssthresh = c->ssthresh;
    c->rexmit_at = tcp_now(c);
}

static void
tcp_timeout_syn(TcpConn *c)
{
    SimTime now = tcp_now(c);
    gboolean gone = c->connect_deadline && now >= c->connect_deadline;
    guint limit = c->state == SIM_TCPS_SYN_SENT ? SIM_TCP_SYN_RETRIES
                                                : SIM_TCP_SYNACK_RETRIES;
    if (gone || c->retries >= limit) {
        if (c->base.initiator)
            c->ts->failed->value++;
        tcp_finish(c, SIM_CLOSE_TIMEOUT);
        return;
    }
    c->retries++;
    tcp_mark_syn_rexmit(c);
    c->ts->syn_retransmits->value++;
    tcp_rto_backoff(c);
    tcp_send_syn(c);
    SimTime when = now + c->rto;
    if (c->connect_deadline)
        when = MIN(when, c->connect_deadline);
    tcp_timer_set(c, when);
}

/* RFC 6298 5.4-5.6 and RFC 5681 3.1 (loss detected by the timer). */
static void
tcp_timeout_data(TcpConn *c)
{
    TcpStack *ts = c->ts;
    if (c->snd_una >= c->snd_max)
        return;
    if (c->retries >= SIM_TCP_DATA_RETRIES) {
        tcp_finish(c, SIM_CLOSE_TIMEOUT);
        return;
    }
    c->retries++;
    ts->timeouts->value++;
    tcp_arm_undo(c);
    guint64 flight = c->snd_max - c->snd_una;
    c->ssthresh = (guint32)MAX(flight / 2, 2 * (guint64)c->mss);
    c->cwnd = c->mss;
    c->in_recovery = FALSE;
    c->dupacks = 0;
    tcp_rto_backoff(c);
    /* Go back: resend from the oldest unacknowledged byte. */
    c->snd_nxt = c->snd_una;
    if (c->fin_sent && c->snd_una <= c->snd_end)
        c->fin_sent = FALSE;
    tcp_output(c);
}

static void
tcp_timeout(TcpConn *c)
{
    switch (c->state) {
    case SIM_TCPS_SYN_SENT:
    case SIM_TCPS_SYN_RECEIVED:
        tcp_timeout_syn(c);
        break;
    case SIM_TCPS_FIN_WAIT_2:
        tcp_finish(c, SIM_CLOSE_LOCAL);
        break;
    case SIM_TCPS_CLOSED:
        break;
    default:
        tcp_timeout_data(c);
        break;
    }
}

/* ---- Receiving: ACKs --------------------------------------------------- */

/* RFC 5681 3.1 growth and RFC 6582 recovery on an ACK of new data. */
static void
tcp_cc_ack(TcpConn *c, guint64 acked)
{
    if (c->in_recovery) {
        if (c->snd_una >= c->recover) {
            c->in_recovery = FALSE;
            c->cwnd = c->ssthresh;
        } else {
            tcp_retransmit_head(c);
            guint64 w = c->cwnd > acked ? c->cwnd - acked : 0;
            c->cwnd = (guint32)MIN(w + c->mss, G_MAXUINT32);
        }
    } else if (c->cwnd < c->ssthresh) {
        c->cwnd += (guint32)MIN(acked, c->mss);
    } else {
        c->cwnd += MAX(1u, (guint32)((guint64)c->mss * c->mss / c->cwnd));
    }
}

static void
tcp_fin_acked(TcpConn *c)
{
    switch (c->state) {
    case SIM_TCPS_FIN_WAIT_1:
        c->state = SIM_TCPS_FIN_WAIT_2;
        tcp_timer_set(c, tcp_now(c) + SIM_TCP_FIN_WAIT2_TIMEOUT);
        break;
    case SIM_TCPS_CLOSING:
        tcp_finish(c, SIM_CLOSE_LOCAL);
        break;
    case SIM_TCPS_LAST_ACK:
        tcp_finish(c, SIM_CLOSE_PEER);
        break;
    default:
        break;
    }
}

static void
tcp_fast_retransmit(TcpConn *c)
{
    guint64 flight = c->snd_max - c->snd_una;
    tcp_arm_undo(c);
    c->ssthresh = (guint32)MAX(flight / 2, 2 * (guint64)c->mss);
    c->recover = c->snd_max;
    c->in_recovery = TRUE;
    c->ts->fast_retransmits->value++;
    tcp_retransmit_head(c);
    c->cwnd = c->ssthresh + 3 * c->mss;
}

/* RFC 3522 2: the first ACK of new data after a retransmission echoes a
 * time before it was sent, so the original arrived and the retransmission
 * was spurious; RFC 4015's response restores the window and goes on with
 * new data instead of resending what is in flight. */
static void
tcp_undo_spurious(TcpConn *c, const TcpSeg *s)
{
    if (!c->undo_armed)
        return;
    c->undo_armed = FALSE;
    if (s->tsecr >= c->rexmit_at)
        return;
    c->ts->undos->value++;
    c->cwnd = MAX(c->cwnd, c->undo_cwnd);
    c->ssthresh = MAX(c->ssthresh, c->undo_ssthresh);
    c->in_recovery = FALSE;
    c->snd_nxt = c->snd_max;
}

static void
tcp_ack(TcpConn *c, const TcpSeg *s)
{
    guint64 ack = s->ack;
    if (ack > c->snd_max)
        return;
    if (ack > c->snd_una) {
        guint64 acked = ack - c->snd_una;
        SimTime now = tcp_now(c);
        c->snd_una = ack;
        c->snd_nxt = MAX(c->snd_nxt, ack);
        c->retries = 0;
        c->dupacks = 0;
        /* RFC 7323 4.1: the echoed TSval times the ACK, retransmission
         * or not. */
        tcp_rtt_sample(c, now - MIN(s->tsecr, now));
        tcp_undo_spurious(c, s);
        tcp_q_release(c);
        tcp_cc_ack(c, acked);
        /* RFC 6298 5.2 and 5.3. */
        if (c->state != SIM_TCPS_FIN_WAIT_2)
            tcp_timer_set(c, c->snd_una >= c->snd_max ? SIM_TIME_NEVER
                                                      : now + c->rto);
        /* Only a FIN (possibly one a timeout has since marked for
         * resending) can take snd_una past the last data byte. */
        if (c->fin_queued && c->snd_una == c->snd_end + 1) {
            c->fin_sent = TRUE;
            tcp_fin_acked(c);
        }
    } else if (ack == c->snd_una && c->snd_max > c->snd_una && !s->len &&
               !(s->flags & (SIM_TCPF_SYN | SIM_TCPF_FIN))) {
        c->dupacks++;
        if (c->in_recovery)
            c->cwnd += c->mss;
        else if (c->dupacks == SIM_TCP_DUPACK_THRESHOLD)
            tcp_fast_retransmit(c);
    }
}

/* ---- Receiving: data and FIN ------------------------------------------- */

/* The peer's FIN arrived in order. */
static void
tcp_peer_fin(TcpConn *c)
{
    switch (c->state) {
    case SIM_TCPS_ESTABLISHED:
        /* Close our half at once (after queued data) and tell the upper
         * layer; the endpoint lives on until our FIN is acknowledged. */
        c->state = SIM_TCPS_LAST_ACK;
        c->fin_queued = TRUE;
        tcp_notify_closed(c, SIM_CLOSE_PEER);
        break;
    case SIM_TCPS_FIN_WAIT_1:
        c->state = SIM_TCPS_CLOSING;
        break;
    case SIM_TCPS_FIN_WAIT_2:
        tcp_xmit(c, 0, c->snd_nxt, 0);
        tcp_finish(c, SIM_CLOSE_LOCAL);
        break;
    default:
        break;
    }
}

/* Takes the in-order part of @s: delivers every message it completes,
 * then its FIN. */
static void
tcp_accept_seg(TcpConn *c, const TcpSeg *s)
{
    guint64 from = c->rcv_nxt, end = s->seq + s->len;
    if (end > c->rcv_nxt) {
        c->rcv_nxt = end;
        for (guint i = 0; i < s->nmsgs; i++) {
            if (s->msgs[i].end <= from || c->base.closed_notified)
                continue;
            sim_conn_notify_message(&c->base, 0, s->msgs[i].m);
            if (c->state == SIM_TCPS_CLOSED)
                return;
        }
    }
    if ((s->flags & SIM_TCPF_FIN) && end == c->rcv_nxt && !c->peer_fin) {
        c->rcv_nxt++;
        c->peer_fin = TRUE;
        tcp_peer_fin(c);
    }
}

static void
tcp_ooo_insert(TcpConn *c, TcpSeg *s)
{
    TcpSeg **pp = &c->ooo;
    while (*pp && (*pp)->seq < s->seq)
        pp = &(*pp)->next;
    if (*pp && (*pp)->seq == s->seq && (*pp)->len >= s->len &&
        ((*pp)->flags & SIM_TCPF_FIN) >= (s->flags & SIM_TCPF_FIN)) {
        tcp_seg_free(s);
        return;
    }
    s->next = *pp;
    *pp = s;
    c->ooo_bytes += s->len;
}

/* Data or FIN in @s (owned). */
static void
tcp_data(TcpConn *c, TcpSeg *s)
{
    if (c->peer_fin || s->seq > c->rcv_nxt) {
        /* RFC 5681 4.2: an out-of-order segment is ACKed at once (the
         * duplicate ACK that drives fast retransmit). */
        tcp_owe_ack(c, FALSE);
        if (c->peer_fin)
            tcp_seg_free(s);
        else
            tcp_ooo_insert(c, s);
        return;
    }
    /* At once: a duplicate, a FIN, a segment filling a hole, during
     * quick-ack mode, a pushed segment outside interactive mode, or once
     * more than one receive MSS is unacknowledged (RFC 1122 4.2.3.2);
     * otherwise the ACK may wait (see the file comment). */
    gboolean dup = s->seq + s->len <= c->rcv_nxt;
    if (!dup) {
        SimTime t = tcp_now(c);
        if (c->last_data_at && t - c->last_data_at > c->rto)
            c->quickacks = SIM_TCP_QUICKACKS;
        c->last_data_at = t;
        if (s->len > c->rcv_mss)
            c->rcv_mss = (guint16)MIN(s->len, c->mss);
    }
    gboolean pushed = s->len < c->rcv_mss;
    gboolean now = dup || (s->flags & SIM_TCPF_FIN) || c->ooo != NULL ||
                   (pushed && !c->pingpong);
    if (c->quickacks) {
        c->quickacks--;
        now = TRUE;
    }
    tcp_accept_seg(c, s);
    tcp_seg_free(s);
    while (c->ooo && c->ooo->seq <= c->rcv_nxt &&
           c->state != SIM_TCPS_CLOSED) {
        TcpSeg *o = c->ooo;
        c->ooo = o->next;
        c->ooo_bytes -= o->len;
        tcp_accept_seg(c, o);
        tcp_seg_free(o);
    }
    /* Nothing is owed if a segment the upper layer sent while the data was
     * delivered already carried the ACK. */
    if (c->state == SIM_TCPS_CLOSED || (!dup && c->last_ack_sent >= c->rcv_nxt))
        return;
    now = now || c->rcv_nxt - c->last_ack_sent > c->rcv_mss;
    tcp_owe_ack(c, !now);
}

/* ---- Receiving: handshake ---------------------------------------------- */

/* @s completes the handshake (the SYN-ACK at the opener, the ACK at the
 * acceptor); it echoes the TSval of the SYN or SYN-ACK it answers. */
static void
tcp_established_common(TcpConn *c, const TcpSeg *s)
{
    SimTime now = tcp_now(c);
    c->snd_una = 1;
    c->retries = 0;
    c->deadline = SIM_TIME_NEVER;
    /* RFC 7323 4.1: a sample even when the SYN or SYN-ACK went again. */
    tcp_rtt_sample(c, now - MIN(s->tsecr, now));
    /* RFC 6928 IW; one segment after a lost SYN or SYN-ACK (RFC 5681
     * 3.1), unless the answer echoes the original: then the
     * retransmission was spurious and is undone (RFC 3522). */
    gboolean lost = c->syn_rexmit && s->tsecr >= c->rexmit_at;
    if (c->syn_rexmit && !lost)
        c->ts->undos->value++;
    c->cwnd = lost ? c->mss : tcp_iw_bytes(c);
    c->state = SIM_TCPS_ESTABLISHED;
    tcp_count_open(c);
}

static void
tcp_established_client(TcpConn *c, const TcpSeg *s)
{
    c->rcv_nxt = s->seq + 1;
    tcp_established_common(c, s);
    tcp_owe_ack(c, FALSE);
    g_debug("conn %" G_GUINT64_FORMAT " ESTABLISHED (client)", c->base.id);
    sim_conn_notify_connected(&c->base);
}

static void
tcp_established_server(TcpConn *c, const TcpSeg *s)
{
    tcp_established_common(c, s);
    c->base.state = SIM_CONNS_OPEN;
    sim_conn_touch(&c->base);
    g_debug("conn %" G_GUINT64_FORMAT " ESTABLISHED (server)", c->base.id);
    SimStack *st = c->base.stack;
    if (c->accept_func)
        c->accept_func(st, &c->base, c->accept_user);
    else if (st->accept)
        st->accept(st, &c->base, st->accept_user);
}

/* Handles the handshake states; returns TRUE if @s is consumed. */
static gboolean
tcp_input_handshake(TcpConn *c, TcpSeg *s)
{
    if (c->state == SIM_TCPS_SYN_SENT) {
        if ((s->flags & SIM_TCPF_SYN) && (s->flags & SIM_TCPF_ACK) &&
            s->ack == 1) {
            tcp_established_client(c, s);
            if (c->state != SIM_TCPS_CLOSED)
                tcp_output(c);
        }
        return TRUE;
    }
    /* SYN_RECEIVED. */
    if (s->flags & SIM_TCPF_SYN) {
        tcp_mark_syn_rexmit(c);
        tcp_send_syn(c);
        return TRUE;
    }
    if (!(s->flags & SIM_TCPF_ACK) || s->ack < 1)
        return TRUE;
    tcp_established_server(c, s);
    return c->state == SIM_TCPS_CLOSED;
}

/* A segment for an existing endpoint; takes @s. */
static void
tcp_input(TcpConn *c, TcpSeg *s)
{
    if (s->flags & SIM_TCPF_RST) {
        c->ts->resets->value++;
        if (c->state == SIM_TCPS_SYN_SENT)
            c->ts->failed->value++;
        tcp_finish(c, c->state == SIM_TCPS_SYN_SENT ? SIM_CLOSE_REFUSED
                                                    : SIM_CLOSE_RESET);
        tcp_seg_free(s);
        return;
    }
    /* RFC 7323 4.3: echo the TSval of the segment that reached the left
     * edge of the window we last acknowledged. */
    if (s->seq <= c->last_ack_sent && s->tsval >= c->ts_recent)
        c->ts_recent = s->tsval;
    if (c->state <= SIM_TCPS_SYN_RECEIVED &&
        (c->state == SIM_TCPS_CLOSED || tcp_input_handshake(c, s))) {
        tcp_seg_free(s);
        if (c->state != SIM_TCPS_CLOSED)
            tcp_update_mem(c);
        return;
    }
    if (s->flags & SIM_TCPF_SYN) {
        /* A retransmitted SYN-ACK: our ACK was lost; repeat it. */
        tcp_owe_ack(c, FALSE);
        tcp_seg_free(s);
        tcp_output(c);
        return;
    }
    if (s->flags & SIM_TCPF_ACK)
        tcp_ack(c, s);
    if (c->state == SIM_TCPS_CLOSED) {
        tcp_seg_free(s);
        return;
    }
    if (s->len || (s->flags & SIM_TCPF_FIN))
        tcp_data(c, s);
    else
        tcp_seg_free(s);
    if (c->state != SIM_TCPS_CLOSED) {
        tcp_output(c);
        tcp_update_mem(c);
    }
}

/* Answers a segment nobody owns with RST (RFC 9293 3.10.7.1). */
static void
tcp_reply_rst(TcpHost *h, const SimPacket *pkt, const TcpSeg *s)
{
    TcpSeg *r = tcp_seg_new(h);
    if (s->flags & SIM_TCPF_ACK) {
        r->flags = SIM_TCPF_RST;
        r->seq = s->ack;
    } else {
        r->flags = SIM_TCPF_RST | SIM_TCPF_ACK;
        r->ack = s->seq + s->len + (s->flags & SIM_TCPF_SYN ? 1 : 0) +
                 (s->flags & SIM_TCPF_FIN ? 1 : 0);
    }
    SimTuple from = { pkt->dst, pkt->dport, SIM_TRANSPORT_TCP };
    SimTuple to = { pkt->src, pkt->sport, SIM_TRANSPORT_TCP };
    tcp_send_packet(h, &from, &to, r);
}

/* A SYN for a listening port: a new endpoint in SYN_RECEIVED. */
static void
tcp_input_listen(TcpListener *l, const SimPacket *pkt, const TcpSeg *s)
{
    TcpConn *c = tcp_conn_new(l->ts, FALSE, pkt->src, pkt->sport);
    c->base.local.port = pkt->dport;
    tcp_life_join(c);
    c->accept_func = l->func;
    c->accept_user = l->user;
    tcp_insert(c);
    c->state = SIM_TCPS_SYN_RECEIVED;
    c->rcv_nxt = s->seq + 1;
    c->ts_recent = s->tsval;
    tcp_send_syn(c);
    c->snd_nxt = c->snd_max = c->snd_end = 1;
    tcp_timer_set(c, tcp_now(c) + c->rto);
    tcp_update_mem(c);
}

static void
tcp_host_recv(SimNet *net, SimPacket *pkt, gpointer data)
{
    TcpHost *h = data;
    TcpSeg *s = pkt->payload;
    guint64 key = tcp_key(pkt->src, pkt->sport, pkt->dport);
    TcpConn *c = g_hash_table_lookup(h->conns, &key);
    if (c) {
        pkt->payload = NULL;
        sim_net_packet_free(net, pkt);
        tcp_input(c, s);
        return;
    }
    TcpListener *l = tcp_listener(h, pkt->dport);
    if (l && (s->flags & (SIM_TCPF_SYN | SIM_TCPF_ACK | SIM_TCPF_RST)) ==
                 SIM_TCPF_SYN) {
        /* A full accept queue ignores the SYN; the opener resends it. */
        if (sim_stack_admits(l->ts->st))
            tcp_input_listen(l, pkt, s);
    }
    else if (!(s->flags & SIM_TCPF_RST))
        tcp_reply_rst(h, pkt, s);
    sim_net_packet_free(net, pkt);
}

/* ---- Ops --------------------------------------------------------------- */

static gboolean
tcp_listen_with(SimStack *st, guint16 port, SimAcceptFunc func, gpointer user,
                GError **error)
{
    TcpStack *ts = tcp_stack(st);
    if (tcp_listener(ts->host, port)) {
        g_autofree char *ip = sim_ip_to_string(st->ip);
        g_set_error(error, SIM_TRANSPORT_ERROR, 0,
                    "TCP port %s:%u is already listening", ip, port);
        return FALSE;
    }
    TcpListener l = { port, ts, func, user };
    g_array_append_val(ts->host->listeners, l);
    return TRUE;
}

static gboolean
tcp_listen(SimStack *st, guint16 port, GError **error)
{
    return tcp_listen_with(st, port, NULL, NULL, error);
}

/* Picks a local port for a connection to rip:rport (RFC 6056 range, random
 * from the stack's stream); 0 if every port is taken. */
static guint16
tcp_ephemeral_port(TcpStack *ts, SimIp rip, guint16 rport)
{
    guint16 start = SIM_TCP_EPHEMERAL_LOW +
                    (guint16)sim_rng_below(&ts->st->rng, SIM_TCP_EPHEMERAL_N);
    for (guint i = 0; i < SIM_TCP_EPHEMERAL_N; i++) {
        guint16 port = SIM_TCP_EPHEMERAL_LOW +
                       (start - SIM_TCP_EPHEMERAL_LOW + i) %
                           SIM_TCP_EPHEMERAL_N;
        guint64 key = tcp_key(rip, rport, port);
        if (!g_hash_table_contains(ts->host->conns, &key) &&
            !tcp_listener(ts->host, port))
            return port;
    }
    return 0;
}

static SimConn *
tcp_connect(SimStack *st, const SimConnectParams *p, const SimConnCallbacks *cb,
            gpointer user)
{
    TcpStack *ts = tcp_stack(st);
    TcpConn *c = tcp_conn_new(ts, TRUE, p->ip, p->port);
    sim_conn_set_callbacks(&c->base, cb, user);
    guint16 port = p->local_port;
    guint64 key = tcp_key(p->ip, p->port, port);
    if (!port)
        port = tcp_ephemeral_port(ts, p->ip, p->port);
    else if (g_hash_table_contains(ts->host->conns, &key))
        port = 0;
    c->state = SIM_TCPS_SYN_SENT;
    if (!port) {
        /* EADDRINUSE: reported like a refusal, from a later event. */
        ts->failed->value++;
        tcp_finish(c, SIM_CLOSE_REFUSED);
        return &c->base;
    }
    c->base.local.port = port;
    tcp_insert(c);
    SimTime now = tcp_now(c);
    tcp_send_syn(c);
    c->snd_nxt = c->snd_max = c->snd_end = 1;
    SimTime when = now + c->rto;
    if (st->cfg.connect_timeout) {
        c->connect_deadline = now + st->cfg.connect_timeout;
        when = MIN(when, c->connect_deadline);
    }
    tcp_timer_set(c, when);
    tcp_update_mem(c);
    return &c->base;
}

static void
tcp_send(SimConn *conn, guint stream, SimMsg *m)
{
    TcpConn *c = (TcpConn *)conn;
    g_return_if_fail(m->len > 0);
    if (c->state == SIM_TCPS_CLOSED || c->fin_queued) {
        g_debug("conn %" G_GUINT64_FORMAT ": send after close dropped",
                conn->id);
        sim_msg_acct_drop(m, SIM_DROP_CONN_CLOSED);
        return;
    }
    c->snd_end += m->len;
    tcp_q_push(c, sim_msg_ref(m), c->snd_end);
    if (sim_net_capturing(c->ts->host->net))
        sim_net_capture_stream(c->ts->host->net, &(SimNetStreamWrite){
            .src = conn->local.ip, .dst = conn->remote.ip,
            .sport = conn->local.port, .dport = conn->remote.port,
            .proto = SIM_IPPROTO_TCP, .seq = c->snd_end - m->len, .msg = m });
    sim_conn_touch(conn);
    tcp_output(c);
    tcp_update_mem(c);
}

static void
tcp_close(SimConn *conn)
{
    TcpConn *c = (TcpConn *)conn;
    switch (c->state) {
    case SIM_TCPS_SYN_SENT:
        tcp_finish(c, SIM_CLOSE_LOCAL);
        break;
    case SIM_TCPS_ESTABLISHED:
        c->fin_queued = TRUE;
        c->state = SIM_TCPS_FIN_WAIT_1;
        c->base.state = SIM_CONNS_CLOSING;
        tcp_output(c);
        break;
    default:
        break;
    }
}

static void
tcp_abort(SimConn *conn)
{
    TcpConn *c = (TcpConn *)conn;
    if (c->state == SIM_TCPS_CLOSED)
        return;
    if (c->state != SIM_TCPS_SYN_SENT)
        tcp_xmit(c, SIM_TCPF_RST, c->snd_nxt, 0);
    tcp_finish(c, SIM_CLOSE_LOCAL);
}

static void
tcp_crash(SimStack *st)
{
    TcpStack *ts = st->priv[SIM_TRANSPORT_TCP];
    if (!ts)
        return;
    for (TcpConn *c = ts->conns; c; c = c->next)
        tcp_finish(c, SIM_CLOSE_HOST_DOWN);
    GArray *ls = ts->host->listeners;
    for (guint i = ls->len; i-- > 0;)
        if (g_array_index(ls, TcpListener, i).ts == ts)
            g_array_remove_index(ls, i);
}

const SimTransportOps sim_transport_tcp = {
    .name = "tcp",
    .description =
        "TCP at segment level: 3-way handshake with the first request on "
        "the third segment (1.5 RTT), MSS from the path MTU, initial window "
        "10 (RFC 6928), slow start and congestion avoidance, RFC 6298 "
        "retransmission timer with RFC 7323 timestamps and backoff, fast "
        "retransmit, delayed ACK after Linux's rules (delayed-ack, quick "
        "and interactive modes), FIN and RST; one lost segment delays every "
        "later message on the connection (head-of-line blocking).",
    .kind = SIM_TRANSPORT_TCP,
    .listen = tcp_listen,
    .listen_with = tcp_listen_with,
    .connect = tcp_connect,
    .send = tcp_send,
    .close = tcp_close,
    .abort = tcp_abort,
    .crash = tcp_crash,
};

/* ---- Capture ----------------------------------------------------------- */

/**
 * sim_tcp_describe:
 * @pkt: a TCP packet
 * @out: (out): its segment's header fields (proto already set)
 *
 * Describes a segment for a packet capture; reads only.
 */
void
sim_tcp_describe(const SimPacket *pkt, SimPktInfo *out)
{
    const TcpSeg *s = pkt->payload;
    out->tcp_flags = (s->flags & SIM_TCPF_SYN ? SIM_PKT_TCP_SYN : 0) |
                     (s->flags & SIM_TCPF_ACK ? SIM_PKT_TCP_ACK : 0) |
                     (s->flags & SIM_TCPF_FIN ? SIM_PKT_TCP_FIN : 0) |
                     (s->flags & SIM_TCPF_RST ? SIM_PKT_TCP_RST : 0);
    out->seq = s->seq;
    out->ack = s->ack;
    out->len = s->len;
    out->tsval = s->tsval;
    out->tsecr = s->tsecr;
}
