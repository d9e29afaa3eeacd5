/* SPDX-License-Identifier: MIT */
/*
 * The transport interface every link model implements (UDP, TCP, SCTP, TLS
 * over TCP, TLS over SCTP): one const ops table per transport, found by name
 * or by kind, wrapped by the inline sim_conn_* helpers below (redis
 * connection.h style).  A node's transports hang off its SimStack: its IP,
 * CPU, credentials and settings, plus the accept handler that receives
 * inbound connections.
 *
 * Ownership: the transport owns every SimConn.  The upper layer holds a
 * borrowed pointer that stays valid until its closed callback has returned;
 * the transport frees the connection afterwards (deferred reap).  Messages
 * are reference counted SimMsg: send takes its own reference, delivery lends
 * one for the duration of the callback.  Simulated failures (refused,
 * timed out, handshake failed) are close reasons, never GErrors.
 */
#pragma once

#include "models/cpu.h"
#include "models/net.h"
#include "models/pki.h"

G_BEGIN_DECLS

/* SIP transports, as named in Via headers (RFC 3261, RFC 4168). */
typedef enum {
    SIM_TRANSPORT_UDP,
    SIM_TRANSPORT_TCP,
    SIM_TRANSPORT_SCTP,
    SIM_TRANSPORT_TLS,
    SIM_TRANSPORT_TLS_SCTP,
    SIM_TRANSPORT_N
} SimTransportKind;

/* A transport-level address: {IP, port, transport}. */
typedef struct {
    /* Address. */
    SimIp ip;
    /* Port. */
    guint16 port;
    /* Transport. */
    SimTransportKind transport;
} SimTuple;

/* Generic connection states; each transport refines them privately. */
typedef enum {
    SIM_CONNS_CONNECTING,
    SIM_CONNS_OPEN,
    SIM_CONNS_CLOSING,
    SIM_CONNS_CLOSED,
    SIM_CONNS_N_STATES
} SimConnState;

/* Why a connection ended (or never opened). */
typedef enum {
    /* This side closed gracefully. */
    SIM_CLOSE_LOCAL,
    /* The peer closed gracefully (FIN, close_notify, SHUTDOWN). */
    SIM_CLOSE_PEER,
    /* Reset by the peer (RST, ABORT). */
    SIM_CLOSE_RESET,
    /* Connection refused: nothing listens there. */
    SIM_CLOSE_REFUSED,
    /* Retransmissions exhausted or connect timeout. */
    SIM_CLOSE_TIMEOUT,
    /* Idle timeout. */
    SIM_CLOSE_IDLE,
    /* TLS handshake failed: bad chain, no certificate where required, or
     * the peer does not prove the expected name. */
    SIM_CLOSE_TLS_FAILED,
    /* The local node went down (fault injection). */
    SIM_CLOSE_HOST_DOWN,
    SIM_CLOSE_N_REASONS
} SimCloseReason;

/* Why a message handed to a transport never reached the other end. */
typedef enum {
    /* Nobody named a reason: the message was freed while still in
     * flight.  Always a model bug (a broken law). */
    SIM_DROP_UNKNOWN,
    /* The path lost the datagram (UDP; stream transports retransmit). */
    SIM_DROP_LOSS,
    /* The sending or receiving node was down. */
    SIM_DROP_HOST_DOWN,
    /* No interface has the destination address. */
    SIM_DROP_NO_ROUTE,
    /* Nothing listens on the destination port (UDP). */
    SIM_DROP_NO_LISTENER,
    /* The connection was already closed or closing when it was sent. */
    SIM_DROP_CONN_CLOSED,
    /* The connection ended before the message got through: reset,
     * refused, timed out, closed abortively by this side, or its TLS
     * handshake failed. */
    SIM_DROP_RESET,
    SIM_DROP_REFUSED,
    SIM_DROP_TIMEOUT,
    SIM_DROP_ABORTED,
    SIM_DROP_TLS_FAILED,
    /* A new INVITE over UDP at a node past its queue limit. */
    SIM_DROP_OVERLOAD,
    SIM_DROP_N_REASONS
} SimDropReason;

typedef struct _SimMsg SimMsg;

/* A sender's account of the messages it handed to transports: every send
 * ends delivered (to the upper layer at the other end), dropped for a
 * named reason, or in flight, on the list of messages with open sends. */
typedef struct {
    guint64 sent;
    guint64 delivered;
    guint64 dropped[SIM_DROP_N_REASONS];
    /* Deliveries of a send already delivered (not a send of their own:
     * an SCTP COOKIE-ECHO retransmitted to a restarted node makes a new
     * association that delivers its bundled DATA again). */
    guint64 duplicates;
    /* Messages with sends still open (SimMsg.open_next). */
    SimMsg *open_head;
} SimMsgAcct;

/* A framed upper-layer message (a SIP message) as transports see it.  The
 * upper layer embeds it as the first member of its own message type. */
struct _SimMsg {
    /* Bytes of the message itself (the SIP text), without any framing. */
    guint32 len;
    /* Reference count. */
    guint32 refcount;
    /* Frees the enclosing object when the count drops to zero. */
    void (*free)(SimMsg *m);
    /* (nullable): the account of the node that sent it (set by
     * sim_msg_acct_send; only SIP messages have one). */
    SimMsgAcct *acct;
    /* (nullable): the message this one carries (a TLS record's SIP
     * message), so that a lower layer's drop reaches the SIP account. */
    SimMsg *carried;
    /* Sends of this message not yet delivered nor dropped, and its place
     * on acct's open list while there are any. */
    guint16 open;
    /* The reason of its last drop, and whether that drop may still be
     * undone (it arrives after all). */
    guint8 last_drop;
    guint8 drop_undoable;
    SimMsg *open_prev, *open_next;
};

void sim_msg_acct_lost(SimMsg *m);

static inline SimMsg *
sim_msg_ref(SimMsg *m)
{
    m->refcount++;
    return m;
}

static inline void
sim_msg_unref(SimMsg *m)
{
    if (--m->refcount == 0) {
        /* Freed with sends open: a drop nobody named. */
        if (G_UNLIKELY(m->open))
            sim_msg_acct_lost(m);
        m->free(m);
    }
}

/* Message accounting (sim_msg_acct_*). */
void sim_msg_track_clear(SimMsg *m);
void sim_msg_acct_send(SimMsg *m, SimMsgAcct *acct);
void sim_msg_acct_deliver(SimMsg *m);
void sim_msg_acct_drop(SimMsg *m, SimDropReason reason);
SimDropReason sim_drop_reason_of_close(SimCloseReason reason);
const char *sim_drop_reason_name(SimDropReason reason);
guint64 sim_msg_acct_dropped(const SimMsgAcct *acct);
guint64 sim_msg_acct_in_flight(const SimMsgAcct *acct);
void sim_msg_acct_detach(SimMsgAcct *acct);

typedef struct _SimConn SimConn;
typedef struct _SimStack SimStack;

/* Upper-layer callbacks of one connection; all optional. */
typedef struct {
    /* The connection is open (for TLS: handshake done, peer verified). */
    void (*connected)(SimConn *c, gpointer user);
    /* A whole message arrived, in order per connection (per stream for
     * SCTP); @m is lent for the duration of the call. */
    void (*message)(SimConn *c, guint stream, SimMsg *m, gpointer user);
    /* The connection ended or failed to open; @c is freed after return. */
    void (*closed)(SimConn *c, SimCloseReason reason, gpointer user);
    /* The idle timeout expired.  Without this member the transport
     * closes at once; with it, closing is left to the upper layer, which
     * may first let what is outstanding finish (RFC 5923 8.3); a close
     * that follows is still reported as %SIM_CLOSE_IDLE. */
    void (*idle)(SimConn *c, gpointer user);
} SimConnCallbacks;

/* Receives each inbound connection once it is open (for TLS: after the
 * handshake).  The handler sets the connection's callbacks. */
typedef void (*SimAcceptFunc)(SimStack *st, SimConn *c, gpointer user);
/* FALSE while the node takes no new connections (its accept queue is
 * full: the node is past its queue limit). */
typedef gboolean (*SimAdmitFunc)(gpointer user);

typedef struct _SimTransportOps SimTransportOps;

/* State common to every connection; transports embed it first. */
struct _SimConn {
    /* The transport implementing this connection. */
    const SimTransportOps *ops;
    /* The stack (node endpoint) this connection belongs to. */
    SimStack *stack;
    /* Unique id within the run, in creation order. */
    guint64 id;
    /* Local and remote tuples (the remote port of an accepted connection
     * is the peer's source port, usually ephemeral). */
    SimTuple local, remote;
    /* TRUE if this side opened the connection. */
    gboolean initiator;
    /* Outbound streams send() takes (0 .. streams - 1): 1, or for SCTP
     * the number negotiated (asked for at connect, final at INIT-ACK). */
    guint streams;
    /* Generic state. */
    SimConnState state;
    /* Upper-layer callbacks and their argument. */
    const SimConnCallbacks *cb;
    gpointer user;
    /* (nullable): what the handshake proved of the peer (TLS only; a
     * reference owned and released by the TLS transport). */
    SimPeerId *peer;
    /* TRUE if the peer presented a certificate (TLS only). */
    gboolean peer_presented_cert;
    /* TRUE if the TLS handshake was a resumption. */
    gboolean resumed;
    /* Modelled memory held by this endpoint (kernel + TLS state), bytes. */
    guint32 mem_bytes;
    /* Idle timeout (0 = never) and the time of the last activity. */
    SimTime idle_timeout;
    SimTime last_activity;
    /* The pending idle-check event, if any. */
    SimEventId idle_timer;
    /* TRUE once the closed callback has run. */
    gboolean closed_notified;
    /* TRUE if the idle timeout started the close. */
    gboolean idle_expired;
    /* Transport-private link for lists of connections. */
    SimConn *next;
};

/* What the opener asks for. */
typedef struct {
    /* Destination {IP, port}; transport is the ops' kind. */
    SimIp ip;
    guint16 port;
    /* Local source port; 0 picks an ephemeral one (RFC 6056 range). */
    guint16 local_port;
    /* TLS: SNI and the name the server must prove (RFC 5922 7.3), the
     * AUS domain; NULL skips the name check. */
    const char *server_name;
    /* TLS, strict-3263: a dNSName the server must also prove; or NULL. */
    const char *also_dns_name;
    /* SCTP: outbound streams requested. */
    guint streams;
} SimConnectParams;

/* The two ends of a TLS handshake. */
typedef enum {
    SIM_TLS_ROLE_SERVER,
    SIM_TLS_ROLE_CLIENT,
    SIM_TLS_N_ROLES
} SimTlsRole;

/* TLS versions as indices of per-version tables. */
typedef enum {
    SIM_TLS_V12,
    SIM_TLS_V13,
    SIM_TLS_N_VERSIONS
} SimTlsVersionIndex;

/* CPU one end spends on one TLS handshake. */
typedef struct {
    /* Full handshake (certificates, signatures, key exchange). */
    SimTime full;
    /* Resumed handshake. */
    SimTime resumed;
    /* Full handshake without a client certificate. */
    SimTime full_oneway;
    /* Resumed handshake of a session without a client certificate (a
     * TLS 1.3 ticket then carries no client chain to decode). */
    SimTime resumed_oneway;
} SimTlsCost;

/* Settings of a node's transports (from [transport] and [node]). */
typedef struct {
    /* TCP initial window in segments (RFC 6928). */
    guint initial_window;
    /* Minimum retransmission timeout (RFC 6298 2.4). */
    SimTime rto_min;
    /* TCP delayed-ACK timeout (RFC 1122 4.2.3.2); 0: every segment is
     * ACKed at once. */
    SimTime delayed_ack;
    /* Give up connecting after this long (0: the protocol's own limit). */
    SimTime connect_timeout;
    /* TLS version: 12 or 13. */
    guint tls_version;
    /* Server asks for a client certificate (CertificateRequest). */
    gboolean mutual_auth;
    /* Client presents a certificate when asked. */
    gboolean client_cert;
    /* Session resumption offered and accepted. */
    gboolean resumption;
    /* CPU this node spends per handshake, by version (SIM_TLS_V12,
     * SIM_TLS_V13) and by its role in the handshake (SIM_TLS_ROLE_*). */
    SimTlsCost tls_cost[SIM_TLS_N_VERSIONS][SIM_TLS_N_ROLES];
    /* (nullable): this node's certificate and key. */
    const SimPkiCreds *creds;
    /* (nullable): NULL-terminated extra certificates of a virtual host
     * (RFC 5922 7.8, R17): a TLS server whose main certificate does not
     * prove the ClientHello's SNI presents the first of these that does. */
    const SimPkiCreds *const *sni_creds;
    /* (nullable): the trust store for peers' chains. */
    SimPki *pki;
    /* SCTP: hold DATA until COOKIE-ACK instead of bundling it with
     * COOKIE-ECHO (RFC 9260 5.1); FALSE, the default, bundles. */
    gboolean sctp_no_bundle;
} SimStackConfig;

/* A node's transport endpoint on one IP address.  Several stacks may share
 * an IP (different ports): transports demultiplex by port. */
struct _SimStack {
    /* The run. */
    SimCtx *ctx;
    /* The network. */
    SimNet *net;
    /* Name of the owning node (for statistics and streams). */
    const char *node;
    /* Address. */
    SimIp ip;
    /* The node's CPU, charged for handshakes. */
    SimCpu *cpu;
    /* Settings. */
    SimStackConfig cfg;
    /* Inbound connections go here. */
    SimAcceptFunc accept;
    gpointer accept_user;
    /* (nullable): asked before a listener answers a SYN or INIT. */
    SimAdmitFunc admit;
    gpointer admit_user;
    /* Connection attempts refused by admit ("overload.syn_dropped"). */
    SimCounter *syn_dropped;
    /* Transport-private per-stack state, indexed by kind. */
    gpointer priv[SIM_TRANSPORT_N];
    /* Frees priv[kind] at sim_stack_free. */
    GDestroyNotify priv_free[SIM_TRANSPORT_N];
    /* FALSE while the node is down (fault). */
    gboolean up;
    /* Random stream for ephemeral ports and similar choices. */
    SimRng rng;
    /* (nullable): modelled connection memory, the run's total
     * ("memory.conn_bytes") and this node's
     * ("node.<name>.memory.conn_bytes"); NULL without statistics. */
    SimGauge *mem_gauge;
    SimGauge *node_mem_gauge;
};

/* One transport.  Members are required unless marked optional. */
struct _SimTransportOps {
    /* Registry key and CLI value: "udp", "tcp", "sctp", "tls", "tls-sctp". */
    const char *name;
    /* One paragraph for `sipreuse list`. */
    const char *description;
    /* The Via transport this implements. */
    SimTransportKind kind;
    /* Optional (default FALSE): send() takes messages while the
     * connection is still connecting and sends them as early as the
     * handshake allows (SCTP: DATA bundled with COOKIE-ECHO, RFC 9260
     * 5.1, unless the stack holds it until COOKIE-ACK), so an upper layer
     * with nothing to verify first need not wait for connected(). */
    gboolean early_send;
    /* Starts accepting connections on @port of the stack's IP. */
    gboolean (*listen)(SimStack *st, guint16 port, GError **error);
    /* Optional, but required of the transports TLS layers on (tcp,
     * sctp): like listen, but inbound connections go to @func instead of
     * the stack's accept handler. */
    gboolean (*listen_with)(SimStack *st, guint16 port, SimAcceptFunc func,
                            gpointer user, GError **error);
    /* Starts opening a connection; callbacks follow.  Never NULL: a
     * failure is reported through closed(). */
    SimConn *(*connect)(SimStack *st, const SimConnectParams *p,
                        const SimConnCallbacks *cb, gpointer user);
    /* Queues @m on @stream (0 unless SCTP); takes its own reference. */
    void (*send)(SimConn *c, guint stream, SimMsg *m);
    /* Graceful close after queued data (FIN, close_notify, SHUTDOWN). */
    void (*close)(SimConn *c);
    /* Optional: abortive close (RST, ABORT); defaults to close. */
    void (*abort)(SimConn *c);
    /* Optional: drops every connection and listener of the stack at once,
     * without telling peers (node crash). */
    void (*crash)(SimStack *st);
};

#define SIM_TRANSPORT_ERROR (sim_transport_error_quark())
GQuark sim_transport_error_quark(void);

/* Registry. */
extern const SimTransportOps sim_transport_udp;
extern const SimTransportOps sim_transport_tcp;
extern const SimTransportOps sim_transport_sctp;
extern const SimTransportOps sim_transport_tls;
extern const SimTransportOps sim_transport_tls_sctp;
const SimTransportOps *sim_transport_by_name(const char *name, GError **error);
const SimTransportOps *sim_transport_by_kind(SimTransportKind kind);
const SimTransportOps *const *sim_transport_all(void);
const char *sim_transport_kind_name(SimTransportKind kind);
gboolean sim_transport_kind_reliable(SimTransportKind kind);
const char *sim_close_reason_name(SimCloseReason reason);

/* Stacks. */
void sim_stack_config_set_tls_cost(SimStackConfig *cfg, SimTime full,
                                   SimTime resumed);
SimStack *sim_stack_new(SimCtx *ctx, SimNet *net, const char *node, SimIp ip,
                        SimCpu *cpu, const SimStackConfig *cfg);
void sim_stack_free(SimStack *st);
void sim_stack_set_accept(SimStack *st, SimAcceptFunc func, gpointer user);
void sim_stack_set_admit(SimStack *st, SimAdmitFunc func, gpointer user);
gboolean sim_stack_admits(SimStack *st);
void sim_stack_crash(SimStack *st);

/* Helpers for transport implementations. */
void sim_conn_init(SimConn *c, const SimTransportOps *ops, SimStack *st,
                   gboolean initiator);
void sim_conn_notify_connected(SimConn *c);
void sim_conn_notify_message(SimConn *c, guint stream, SimMsg *m);
void sim_conn_notify_closed(SimConn *c, SimCloseReason reason);
void sim_conn_touch(SimConn *c);
void sim_conn_set_idle_timeout(SimConn *c, SimTime timeout);
void sim_conn_set_mem(SimConn *c, guint32 bytes);
void sim_conn_clear(SimConn *c);

/* Dispatch wrappers for the upper layer. */
static inline void
sim_conn_set_callbacks(SimConn *c, const SimConnCallbacks *cb, gpointer user)
{
    c->cb = cb;
    c->user = user;
}

static inline SimConn *
sim_transport_connect(const SimTransportOps *ops, SimStack *st,
                      const SimConnectParams *p, const SimConnCallbacks *cb,
                      gpointer user)
{
    return ops->connect(st, p, cb, user);
}

static inline void
sim_conn_send(SimConn *c, guint stream, SimMsg *m)
{
    c->ops->send(c, stream, m);
}

static inline void
sim_conn_close(SimConn *c)
{
    c->ops->close(c);
}

static inline void
sim_conn_abort(SimConn *c)
{
    if (c->ops->abort)
        c->ops->abort(c);
    else
        c->ops->close(c);
}

static inline gboolean
sim_conn_is_open(const SimConn *c)
{
    return c->state == SIM_CONNS_OPEN;
}

/* TRUE when send() may be called now: open, or connecting over a
 * transport that takes early data. */
static inline gboolean
sim_conn_can_send(const SimConn *c)
{
    return c->state == SIM_CONNS_OPEN ||
           (c->state == SIM_CONNS_CONNECTING && c->ops->early_send);
}

G_END_DECLS
