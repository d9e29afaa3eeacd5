/* SPDX-License-Identifier: MIT */
/*
 * TLS 1.2 (RFC 5246) and TLS 1.3 (RFC 8446) over TCP or SCTP (RFC 3436),
 * modelled as handshake flights: each flight is one SimMsg, sized from SPEC
 * 3.2 message lengths with Certificate messages computed from the real DER
 * chains, sent over the lower connection.  Round trips follow SPEC 3.1
 * (1.2 full: 2 after the lower handshake; 1.2 resumed and 1.3: 1), mutual
 * authentication adds none, resumption carries the peer identities in the
 * session (D6), and each side's handshake CPU runs as jobs on the node's
 * CPU before its next flight leaves.  Over SCTP one TLS connection runs on
 * stream 0 (RFC 3436 per-stream handshakes are not modelled).  The
 * measurement of real OpenSSL handshakes behind `sipreuse calibrate` is
 * apart, in tls_calibrate.c.
 */
#define G_LOG_DOMAIN "sim-tls"

#include "models/tls.h"

#include "models/capture.h"

#include <string.h>

/* Handshake message lengths (4-byte header included), SPEC 3.2. */
#define TLS12_CLIENT_HELLO 197
#define TLS13_CLIENT_HELLO 222
#define TLS12_SERVER_HELLO 65
#define TLS13_SERVER_HELLO 122
#define TLS13_ENCRYPTED_EXTENSIONS 6
#define TLS12_CERTIFICATE_REQUEST 97
#define TLS13_CERTIFICATE_REQUEST 96
#define TLS12_SERVER_HELLO_DONE 4
#define TLS12_CLIENT_KEY_EXCHANGE 37
#define TLS13_FINISHED 52
/* ServerKeyExchange without its signature: X25519 params + sigalg + len. */
#define TLS12_SKE_BASE 44
/* CertificateVerify without its signature: header + sigalg + length. */
#define TLS_CV_BASE 8
/* Record overheads: the 5-byte header; a record protected with
 * AES-128-GCM adds, in TLS 1.2, an 8-byte explicit nonce and a 16-byte tag
 * (RFC 5288 section 3: 29 B in all), in TLS 1.3 the inner content type
 * byte and the tag (RFC 8446 section 5.2: 22 B in all). */
#define TLS_RECORD_HEADER 5
#define TLS12_PROTECTED_OVERHEAD 29
#define TLS13_PROTECTED_OVERHEAD 22
#define TLS_MAX_PLAINTEXT 16384
/* A TLS 1.2 Finished record (16 B message, protected: 45 B, SPEC 3.2)
 * and a CCS record. */
#define TLS12_FINISHED_RECORD (16 + TLS12_PROTECTED_OVERHEAD)
#define TLS_CCS_RECORD 6
/* server_name extension without the name: type, lengths, name type. */
#define TLS_SNI_EXT_BASE 9
/* Session ticket: NewSessionTicket and ClientHello growth without the
 * client leaf certificate the ticket embeds (fitted to SPEC 3.2). */
#define TLS12_NST_BASE 187
#define TLS13_NST_BASE 234
#define TLS12_TICKET_EXT_BASE 209
#define TLS13_PSK_EXT_BASE 272
/* An alert message (close_notify or fatal). */
#define TLS_ALERT 2
/* Modelled memory of one TLS endpoint: SSL object, handshake state and
 * two 16 KB record buffers partly allocated (the 22-34 KB of OpenSSL). */
#define TLS_ENDPOINT_MEM 28672

/* Connection states (the side is implied by SimConn.initiator). */
typedef enum {
    /* Client: created, the lower connection not yet asked for. */
    SIM_TLSS_LOWER_CONNECTING,
    /* Client: ClientHello sent. */
    SIM_TLSS_WAIT_SERVER_FLIGHT,
    /* Client (1.2 full): client flight sent, awaiting server Finished. */
    SIM_TLSS_WAIT_SERVER_FINISHED,
    /* Server: awaiting ClientHello. */
    SIM_TLSS_WAIT_CLIENT_HELLO,
    /* Server: its flight sent, awaiting the client's Finished. */
    SIM_TLSS_WAIT_CLIENT_FLIGHT,
    /* A handshake CPU job is running. */
    SIM_TLSS_CPU,
    /* Handshake complete. */
    SIM_TLSS_ESTABLISHED,
    /* Closed or failed. */
    SIM_TLSS_CLOSED,
    SIM_TLSS_N_STATES
} SimTlsState;

static const char *const tls_state_names[SIM_TLSS_N_STATES] = {
    [SIM_TLSS_LOWER_CONNECTING] = "LOWER_CONNECTING",
    [SIM_TLSS_WAIT_SERVER_FLIGHT] = "WAIT_SERVER_FLIGHT",
    [SIM_TLSS_WAIT_SERVER_FINISHED] = "WAIT_SERVER_FINISHED",
    [SIM_TLSS_WAIT_CLIENT_HELLO] = "WAIT_CLIENT_HELLO",
    [SIM_TLSS_WAIT_CLIENT_FLIGHT] = "WAIT_CLIENT_FLIGHT",
    [SIM_TLSS_CPU] = "CPU",
    [SIM_TLSS_ESTABLISHED] = "ESTABLISHED",
    [SIM_TLSS_CLOSED] = "CLOSED",
};

/* What a record (a flight) carries. */
typedef enum {
    TLS_REC_CLIENT_HELLO,
    TLS_REC_SERVER_FLIGHT,
    TLS_REC_CLIENT_FLIGHT,
    TLS_REC_SERVER_FINISHED,
    TLS_REC_TICKET,
    TLS_REC_APP,
    TLS_REC_ALERT,
    TLS_REC_CLOSE_NOTIFY,
} TlsRecKind;

/* Resumption state: what the server's ticket holds (the client's proven
 * identity) plus what the client keeps beside it (the server's). */
typedef struct {
    /* Reference count. */
    guint refcount;
    /* Protocol version it belongs to. */
    guint version;
    /* The client's identity as the server verified it. */
    SimPeerId *client_id;
    /* Whether the client presented a certificate. */
    gboolean client_presented_cert;
    /* DER bytes of the client leaf embedded in the ticket (0: none). */
    guint client_leaf_len;
    /* (nullable): the server's identity as the client verified it. */
    SimPeerId *server_id;
} TlsSession;

/* A flight or an application record on the lower connection. */
typedef struct {
    /* Length = bytes on the wire of every record of the flight. */
    SimMsg msg;
    /* What it is. */
    TlsRecKind kind;
    /* ClientHello: the client accepts tickets.  Server flight: CR sent. */
    gboolean flag;
    /* Client and server hello: a session offered / resumed. */
    TlsSession *session;
    /* (nullable): certificate chain carried (server or client flight). */
    const SimPkiCreds *creds;
    /* (nullable): ClientHello server_name. */
    char *sni;
    /* Application data: the upper message and its stream. */
    SimMsg *app;
    guint stream;
    /* For a capture's description (sim_tls_describe): the connection's
     * version, and whether its handshake is resumed and asked for a
     * client certificate, when the record was sent. */
    guint8 version, resumed, cert_request;
} TlsRecord;

typedef struct _TlsConn TlsConn;

/* Per stack and TLS kind. */
typedef struct {
    /* The stack. */
    SimStack *st;
    /* Which ops table (tls or tls-sctp). */
    const SimTransportOps *ops;
    /* Client session cache: "server_name|ip:port" -> TlsSession.  Only
     * looked up, never iterated. */
    GHashTable *sessions;
    /* Every live connection (for stack teardown). */
    GQueue conns;
    /* Counters (NULL without statistics). */
    SimCounter *full, *resumed, *failed, *cert_requests, *sni_sent;
} TlsStackPriv;

/* A pending handshake CPU job; tc is cleared if the connection goes. */
typedef struct {
    TlsConn *tc;
    void (*next)(TlsConn *tc);
} TlsJob;

struct _TlsConn {
    /* The connection the upper layer sees. */
    SimConn base;
    /* Link in TlsStackPriv.conns. */
    GList link;
    /* Its stack's TLS state. */
    TlsStackPriv *priv;
    /* (nullable): the lower connection, owned by its transport. */
    SimConn *lower;
    /* Handshake state. */
    SimTlsState state;
    /* 12 or 13. */
    guint version;
    /* TRUE once the lower connection reported closed. */
    gboolean lower_closed;
    /* Server: CertificateRequest sent; client: received. */
    gboolean cert_request;
    /* Client: the server accepted the offered session. */
    gboolean resumed;
    /* Client: SNI sent and the name to prove; server: SNI received. */
    char *sni;
    /* Client: strict-3263 dNSName to prove. */
    char *also_dns;
    /* Client: session cache key. */
    char *cache_key;
    /* Client: the session offered; server: the one resumed or issued. */
    TlsSession *session;
    /* (nullable): the chain the peer presented in its flight. */
    const SimPkiCreds *peer_creds;
    /* Server: whether the client accepts tickets. */
    gboolean peer_wants_ticket;
    /* Server: application records that arrived before the handshake
     * completed (TlsRecord references). */
    GQueue early;
    /* (nullable): the running CPU job. */
    TlsJob *job;
    /* Server: the peer's close (close_notify, or the lower connection's
     * end) arrived during the last handshake CPU step, behind application
     * records still queued in early: like a real TLS stack, which reads
     * records in order, it is acted on once those are delivered. */
    gboolean close_deferred;
    SimCloseReason deferred_reason;
    /* Handshake bytes written and read. */
    SimTlsHandshakeBytes hs;
    /* The pending reap event. */
    SimEventId reap;
};

/* ---- sessions and records ---------------------------------------------- */

static TlsSession *
tls_session_ref(TlsSession *s)
{
    s->refcount++;
    return s;
}

static void
tls_session_unref(TlsSession *s)
{
    if (!s || --s->refcount)
        return;
    sim_peer_id_unref(s->client_id);
    sim_peer_id_unref(s->server_id);
    g_free(s);
}

static void
tls_record_free(SimMsg *m)
{
    TlsRecord *r = (TlsRecord *)m;
    tls_session_unref(r->session);
    if (r->app)
        sim_msg_unref(r->app);
    g_free(r->sni);
    g_free(r);
}

/* One record per message sent: g_new and an explicit zeroing, since
 * calloc (g_new0) bypasses glibc's per-thread cache. */
static TlsRecord *
tls_record_new(TlsRecKind kind, guint32 len)
{
    TlsRecord *r = g_new(TlsRecord, 1);
    *r = (TlsRecord){ 0 };
    r->msg.len = len;
    r->msg.refcount = 1;
    r->msg.free = tls_record_free;
    r->kind = kind;
    return r;
}

/* ---- sizes ---------------------------------------------------------------- */

/* Overhead of one record protected with the traffic keys. */
static guint
tls_protected_overhead(guint v)
{
    return v == 13 ? TLS13_PROTECTED_OVERHEAD : TLS12_PROTECTED_OVERHEAD;
}

/**
 * sim_tls_record_overhead:
 * @tls_version: 12 or 13
 * @len: plaintext bytes of application data
 *
 * Returns: the record overhead for @len bytes: per record of at most 16384
 *   plaintext bytes, 29 B in TLS 1.2 (header, explicit nonce, GCM tag) or
 *   22 B in TLS 1.3 (header, inner content type, GCM tag).
 */
guint
sim_tls_record_overhead(guint tls_version, guint64 len)
{
    guint64 records = MAX((len + TLS_MAX_PLAINTEXT - 1) / TLS_MAX_PLAINTEXT,
                          1);
    return (guint)records * tls_protected_overhead(tls_version);
}

/* A handshake message in its own record: plaintext in 1.2, and in 1.3
 * for the hellos; protected otherwise. */
static guint
tls_rec(guint v, gboolean protected, guint len)
{
    return len + (v == 13 && protected ? TLS13_PROTECTED_OVERHEAD
                                       : TLS_RECORD_HEADER);
}

/* A Certificate message: 1.2 has a 3-byte list length and 3 bytes per
 * entry; 1.3 adds a context byte and 2 bytes of extensions per entry. */
static guint
tls_cert_msg(guint v, const SimPkiCreds *c)
{
    guint n = c ? sim_pki_creds_n_certs(c) : 0;
    guint der = c ? sim_pki_creds_chain_len(c) : 0;
    return v == 13 ? 8 + 5 * n + der : 7 + 3 * n + der;
}

static guint
tls_client_hello_len(guint v, const char *sni, const TlsSession *offer)
{
    guint len = v == 13 ? TLS13_CLIENT_HELLO : TLS12_CLIENT_HELLO;
    if (sni)
        len += TLS_SNI_EXT_BASE + (guint)strlen(sni);
    if (offer)
        len += (v == 13 ? TLS13_PSK_EXT_BASE : TLS12_TICKET_EXT_BASE) +
               offer->client_leaf_len;
    return tls_rec(v, FALSE, len);
}

static guint
tls_ticket_len(guint v, const TlsSession *s)
{
    guint base = v == 13 ? TLS13_NST_BASE : TLS12_NST_BASE;
    return tls_rec(v, TRUE, base + s->client_leaf_len);
}

/* Server flight of a full handshake. */
static guint
tls_server_flight_len(guint v, const SimPkiCreds *c, gboolean cr)
{
    guint sig = sim_pki_creds_sig_len(c);
    if (v == 13)
        return tls_rec(13, FALSE, TLS13_SERVER_HELLO) + TLS_CCS_RECORD +
               tls_rec(13, TRUE, TLS13_ENCRYPTED_EXTENSIONS) +
               (cr ? tls_rec(13, TRUE, TLS13_CERTIFICATE_REQUEST) : 0) +
               tls_rec(13, TRUE, tls_cert_msg(13, c)) +
               tls_rec(13, TRUE, TLS_CV_BASE + sig) +
               tls_rec(13, TRUE, TLS13_FINISHED);
    return tls_rec(12, FALSE, TLS12_SERVER_HELLO) +
           tls_rec(12, FALSE, tls_cert_msg(12, c)) +
           tls_rec(12, FALSE, TLS12_SKE_BASE + sig) +
           (cr ? tls_rec(12, FALSE, TLS12_CERTIFICATE_REQUEST) : 0) +
           tls_rec(12, FALSE, TLS12_SERVER_HELLO_DONE);
}

/* Server flight of a resumed handshake. */
static guint
tls_server_resumed_len(guint v)
{
    if (v == 13)
        return tls_rec(13, FALSE, TLS13_SERVER_HELLO) + TLS_CCS_RECORD +
               tls_rec(13, TRUE, TLS13_ENCRYPTED_EXTENSIONS) +
               tls_rec(13, TRUE, TLS13_FINISHED);
    return tls_rec(12, FALSE, TLS12_SERVER_HELLO) + TLS_CCS_RECORD +
           TLS12_FINISHED_RECORD;
}

/* Client flight: certificate (when asked; empty without credentials),
 * key exchange (1.2), CertificateVerify (with a certificate), Finished. */
static guint
tls_client_flight_len(guint v, gboolean cr, const SimPkiCreds *c,
                      gboolean resumed)
{
    guint len = TLS_CCS_RECORD;
    if (resumed)
        return len + (v == 13 ? tls_rec(13, TRUE, TLS13_FINISHED)
                              : TLS12_FINISHED_RECORD);
    if (cr)
        len += tls_rec(v, TRUE, tls_cert_msg(v, c));
    if (v == 12)
        len += tls_rec(12, FALSE, TLS12_CLIENT_KEY_EXCHANGE);
    if (cr && c)
        len += tls_rec(v, TRUE, TLS_CV_BASE + sim_pki_creds_sig_len(c));
    return len + (v == 13 ? tls_rec(13, TRUE, TLS13_FINISHED)
                          : TLS12_FINISHED_RECORD);
}

/* ---- helpers ----------------------------------------------------------------- */

static const char *
tls_state_name(SimTlsState s)
{
    return s < SIM_TLSS_N_STATES ? tls_state_names[s] : "?";
}

static SimCounter *
tls_counter(TlsStackPriv *priv, const char *name)
{
    SimStats *stats = priv->st->ctx->stats;
    return stats ? sim_stats_counter(stats, name) : NULL;
}

static void
tls_count(SimCounter *c)
{
    if (c)
        sim_counter_add(c, 1);
}

static void
tls_priv_free(gpointer data);

static TlsStackPriv *
tls_priv(SimStack *st, const SimTransportOps *ops)
{
    TlsStackPriv *priv = st->priv[ops->kind];
    if (priv)
        return priv;
    priv = g_new0(TlsStackPriv, 1);
    priv->st = st;
    priv->ops = ops;
    priv->sessions = g_hash_table_new_full(
        g_str_hash, g_str_equal, g_free, (GDestroyNotify)tls_session_unref);
    g_queue_init(&priv->conns);
    priv->full = tls_counter(priv, "handshakes.tls_full");
    priv->resumed = tls_counter(priv, "handshakes.tls_resumed");
    priv->failed = tls_counter(priv, "handshakes.failed");
    priv->cert_requests = tls_counter(priv, "tls.certificate_requests");
    priv->sni_sent = tls_counter(priv, "tls.sni_sent");
    st->priv[ops->kind] = priv;
    st->priv_free[ops->kind] = tls_priv_free;
    return priv;
}

static const SimTransportOps *
tls_lower_ops(const SimTransportOps *ops)
{
    return sim_transport_by_kind(ops->kind == SIM_TRANSPORT_TLS_SCTP
                                     ? SIM_TRANSPORT_SCTP
                                     : SIM_TRANSPORT_TCP);
}

static guint
tls_version_of(const SimStack *st)
{
    return st->cfg.tls_version == 12 ? 12 : 13;
}

static void tls_reap_fire(SimEvq *q, gpointer data);

static void
tls_conn_free(TlsConn *tc)
{
    if (tc->job)
        tc->job->tc = NULL;
    /* Records held for a handshake that never completed. */
    while (!g_queue_is_empty(&tc->early)) {
        SimMsg *m = g_queue_pop_head(&tc->early);
        sim_msg_acct_drop(m, SIM_DROP_TLS_FAILED);
        sim_msg_unref(m);
    }
    g_queue_unlink(&tc->priv->conns, &tc->link);
    tls_session_unref(tc->session);
    sim_peer_id_unref(tc->base.peer);
    g_free(tc->sni);
    g_free(tc->also_dns);
    g_free(tc->cache_key);
    sim_conn_clear(&tc->base);
    g_free(tc);
}

/* Frees the connection from a later event once both the upper layer was
 * told and the lower connection is gone. */
static void
tls_maybe_reap(TlsConn *tc)
{
    if (tc->reap || !tc->base.closed_notified || !tc->lower_closed)
        return;
    tc->reap = sim_evq_after(tc->base.stack->ctx->evq, 0, tls_reap_fire, tc,
                             NULL);
}

static void
tls_reap_fire(SimEvq *q, gpointer data)
{
    tls_conn_free(data);
}

static void
tls_send_record(TlsConn *tc, TlsRecord *r, gboolean handshake)
{
    if (handshake)
        tc->hs.sent += r->msg.len;
    r->version = (guint8)tc->version;
    r->resumed = (guint8)tc->resumed;
    r->cert_request = (guint8)tc->cert_request;
    /* Lower transports queue data while they open (TCP sends it with the
     * third segment, SCTP bundles it with COOKIE-ECHO). */
    if (tc->lower && !tc->lower_closed &&
        (tc->lower->state == SIM_CONNS_OPEN ||
         tc->lower->state == SIM_CONNS_CONNECTING))
        sim_conn_send(tc->lower, 0, &r->msg);
    else
        sim_msg_acct_drop(&r->msg, SIM_DROP_CONN_CLOSED);
    sim_msg_unref(&r->msg);
}

/* Ends the connection: tells the upper layer (an acceptor that was never
 * accepted has no upper layer), closes the lower connection. */
static void
tls_finish(TlsConn *tc, SimCloseReason reason, gboolean abortive)
{
    gboolean was_established = tc->state == SIM_TLSS_ESTABLISHED;
    tc->state = SIM_TLSS_CLOSED;
    if (tc->lower && !tc->lower_closed) {
        if (abortive)
            sim_conn_abort(tc->lower);
        else
            sim_conn_close(tc->lower);
    }
    if (tc->base.initiator || was_established)
        sim_conn_notify_closed(&tc->base, reason);
    else
        tc->base.closed_notified = TRUE;
    tc->base.state = SIM_CONNS_CLOSED;
    tls_maybe_reap(tc);
}

/* A handshake failure detected by this side: fatal alert, counters. */
static void
tls_fail(TlsConn *tc, const char *why)
{
    g_autofree char *name = g_strdup_printf("tls.failed.%s", why);
    g_debug("%s: handshake failed in %s: %s", tc->base.stack->node,
            tls_state_name(tc->state), why);
    tls_count(tc->priv->failed);
    tls_count(tls_counter(tc->priv, name));
    TlsRecord *r = tls_record_new(TLS_REC_ALERT,
                                  tls_rec(tc->version, TRUE, TLS_ALERT));
    tls_send_record(tc, r, TRUE);
    tls_finish(tc, SIM_CLOSE_TLS_FAILED, FALSE);
}

/* ---- CPU --------------------------------------------------------------------- */

static void
tls_job_done(gpointer data)
{
    TlsJob *job = data;
    TlsConn *tc = job->tc;
    if (!tc)
        return;
    tc->job = NULL;
    job->tc = NULL;
    if (tc->state == SIM_TLSS_CPU)
        job->next(tc);
}

static void
tls_job_free(gpointer data)
{
    TlsJob *job = data;
    if (job->tc)
        job->tc->job = NULL;
    g_free(job);
}

/* Runs @next after @cost of CPU on the node (at once without a CPU). */
static void
tls_after_cpu(TlsConn *tc, SimTime cost, void (*next)(TlsConn *tc))
{
    SimCpu *cpu = tc->base.stack->cpu;
    tc->state = SIM_TLSS_CPU;
    if (!cpu || !cost) {
        next(tc);
        return;
    }
    TlsJob *job = g_new(TlsJob, 1);
    *job = (TlsJob){ tc, next };
    tc->job = job;
    sim_cpu_add_crypto(cpu, cost);
    sim_cpu_submit(cpu, cost, tls_job_done, job, tls_job_free);
}

/* This side's handshake CPU: its own role's cost for the connection's
 * version and handshake kind, full handshakes without a client
 * certificate (@oneway) at their own figure.  The server spends half
 * before its flight (signature, key exchange) and the rest on the
 * client's flight (verifications, Finished); the client spends all of it
 * on the server's flight (verifications, key exchange, its signature). */
static SimTime
tls_cost(const TlsConn *tc, gboolean resumed, gboolean oneway)
{
    const SimStackConfig *cfg = &tc->base.stack->cfg;
    SimTlsVersionIndex v = tc->version == 12 ? SIM_TLS_V12 : SIM_TLS_V13;
    SimTlsRole r = tc->base.initiator ? SIM_TLS_ROLE_CLIENT
                                      : SIM_TLS_ROLE_SERVER;
    const SimTlsCost *c = &cfg->tls_cost[v][r];
    if (resumed)
        return oneway ? c->resumed_oneway : c->resumed;
    return oneway ? c->full_oneway : c->full;
}

/* A resumed handshake is one-way when the session had no client
 * certificate. */
static gboolean
tls_session_oneway(const TlsConn *tc)
{
    return !tc->session || !tc->session->client_presented_cert;
}

/* The server's first half: it knows whether it will ask for a client
 * certificate (or, resuming, whether the session had one), not yet
 * whether one comes. */
static SimTime
tls_server_first_cost(const TlsConn *tc)
{
    gboolean oneway = tc->resumed ? tls_session_oneway(tc)
                                  : !tc->base.stack->cfg.mutual_auth;
    return tls_cost(tc, tc->resumed, oneway) / 2;
}

/* ---- completion ----------------------------------------------------------------- */

static void
tls_deliver(TlsConn *tc, TlsRecord *r)
{
    sim_conn_notify_message(&tc->base, r->stream, r->app);
}

static void
tls_established(TlsConn *tc)
{
    tc->state = SIM_TLSS_ESTABLISHED;
    tc->base.resumed = tc->resumed;
    sim_conn_set_mem(&tc->base, TLS_ENDPOINT_MEM);
    sim_conn_notify_connected(&tc->base);
    /* The server delivers what arrived during its last CPU step, then
     * acts on a close that arrived behind it. */
    while (tc->state == SIM_TLSS_ESTABLISHED &&
           !g_queue_is_empty(&tc->early)) {
        TlsRecord *r = g_queue_pop_head(&tc->early);
        tls_deliver(tc, r);
        sim_msg_unref(&r->msg);
    }
    if (tc->close_deferred && tc->state == SIM_TLSS_ESTABLISHED) {
        tc->close_deferred = FALSE;
        tls_finish(tc, tc->deferred_reason, FALSE);
    }
}

/* Server: TRUE if a close from the peer must wait for the handshake CPU
 * step in progress (records are read in order, RFC 8446 5 / RFC 5246 6);
 * it is then remembered with @reason. */
static gboolean
tls_defer_close(TlsConn *tc, SimCloseReason reason)
{
    if (tc->base.initiator || tc->state != SIM_TLSS_CPU)
        return FALSE;
    if (!tc->close_deferred) {
        tc->close_deferred = TRUE;
        tc->deferred_reason = reason;
    }
    return TRUE;
}

/* Client: checks what the server proved (RFC 5922 7.3, R15). */
static gboolean
tls_client_check(TlsConn *tc, SimPeerId *id)
{
    if (id->verdict != SIM_PKI_OK) {
        static const char *const why[SIM_PKI_N_VERDICTS] = {
            [SIM_PKI_NO_CERT] = "server_no_cert",
            [SIM_PKI_EXPIRED] = "server_expired",
            [SIM_PKI_NOT_YET_VALID] = "server_not_yet_valid",
            [SIM_PKI_UNTRUSTED] = "server_untrusted",
            [SIM_PKI_INVALID] = "server_invalid",
        };
        tls_fail(tc, why[id->verdict]);
        return FALSE;
    }
    if (tc->sni && !sim_peer_id_matches(id, tc->sni)) {
        tls_fail(tc, "name_mismatch");
        return FALSE;
    }
    if (tc->also_dns && !sim_peer_id_has_dns(id, tc->also_dns)) {
        tls_fail(tc, "dns_name_mismatch");
        return FALSE;
    }
    return TRUE;
}

/* Server: issues a ticket (the session) if both sides want resumption. */
static TlsRecord *
tls_make_ticket(TlsConn *tc)
{
    if (!tc->peer_wants_ticket || !tc->base.stack->cfg.resumption)
        return NULL;
    TlsSession *s = g_new0(TlsSession, 1);
    s->refcount = 1;
    s->version = tc->version;
    s->client_id = sim_peer_id_ref(tc->base.peer);
    s->client_presented_cert = tc->base.peer_presented_cert;
    s->client_leaf_len = tc->peer_creds && tc->base.peer_presented_cert
                             ? sim_pki_creds_leaf_len(tc->peer_creds)
                             : 0;
    guint n = tc->version == 13 && !tc->resumed ? 2 : 1;
    TlsRecord *r = tls_record_new(TLS_REC_TICKET, n * tls_ticket_len(
                                                          tc->version, s));
    r->session = s;
    return r;
}

/* Client: keeps a ticket for the next connection to this server. */
static void
tls_store_ticket(TlsConn *tc, TlsSession *s)
{
    if (!s || !tc->cache_key || !tc->base.peer ||
        !tc->base.stack->cfg.resumption)
        return;
    g_clear_pointer(&s->server_id, sim_peer_id_unref);
    s->server_id = sim_peer_id_ref(tc->base.peer);
    g_hash_table_replace(tc->priv->sessions, g_strdup(tc->cache_key),
                         tls_session_ref(s));
}

/* ---- client side ------------------------------------------------------------------ */

static void
tls_client_send_hello(TlsConn *tc)
{
    SimStack *st = tc->base.stack;
    TlsSession *offer = st->cfg.resumption && tc->cache_key
                            ? g_hash_table_lookup(tc->priv->sessions,
                                                  tc->cache_key)
                            : NULL;
    if (offer && offer->version != tc->version)
        offer = NULL;
    TlsRecord *r = tls_record_new(TLS_REC_CLIENT_HELLO,
                                  tls_client_hello_len(tc->version, tc->sni,
                                                       offer));
    r->flag = st->cfg.resumption;
    r->session = offer ? tls_session_ref(offer) : NULL;
    r->sni = g_strdup(tc->sni);
    if (tc->sni)
        tls_count(tc->priv->sni_sent);
    g_clear_pointer(&tc->session, tls_session_unref);
    tc->session = offer ? tls_session_ref(offer) : NULL;
    tc->state = SIM_TLSS_WAIT_SERVER_FLIGHT;
    tls_send_record(tc, r, TRUE);
}

/* The client's CPU step is over: verify, answer, maybe complete. */
static void
tls_client_answer(TlsConn *tc)
{
    const SimStackConfig *cfg = &tc->base.stack->cfg;
    SimPeerId *id = tc->resumed ? sim_peer_id_ref(tc->session->server_id)
                                : sim_pki_verify(cfg->pki, tc->peer_creds);
    g_clear_pointer(&tc->base.peer, sim_peer_id_unref);
    tc->base.peer = id;
    tc->base.peer_presented_cert = tc->resumed || tc->peer_creds != NULL;
    if (!tls_client_check(tc, id))
        return;
    const SimPkiCreds *mine =
        tc->cert_request && cfg->client_cert ? cfg->creds : NULL;
    TlsRecord *r = tls_record_new(
        TLS_REC_CLIENT_FLIGHT,
        tls_client_flight_len(tc->version, tc->cert_request, mine,
                              tc->resumed));
    r->creds = mine;
    tls_send_record(tc, r, TRUE);
    if (tc->version == 13 || tc->resumed)
        tls_established(tc);
    else
        tc->state = SIM_TLSS_WAIT_SERVER_FINISHED;
}

static void
tls_client_on_server_flight(TlsConn *tc, TlsRecord *r)
{
    tc->resumed = r->session != NULL;
    tc->cert_request = r->flag;
    tc->peer_creds = r->creds;
    if (!tc->resumed)
        g_clear_pointer(&tc->session, tls_session_unref);
    const SimStackConfig *cfg = &tc->base.stack->cfg;
    gboolean sends_cert = tc->cert_request && cfg->client_cert && cfg->creds;
    gboolean oneway = tc->resumed ? tls_session_oneway(tc) : !sends_cert;
    tls_after_cpu(tc, tls_cost(tc, tc->resumed, oneway), tls_client_answer);
}

/* ---- server side --------------------------------------------------------------- */

/* Server: the certificate to present: the main one, or for a virtual host
 * the first extra one proving the SNI when the main one does not (R17). */
static const SimPkiCreds *
tls_server_creds(TlsConn *tc)
{
    const SimStackConfig *cfg = &tc->base.stack->cfg;
    if (!tc->sni || !cfg->sni_creds || !cfg->creds)
        return cfg->creds;
    g_autoptr(SimPeerId) main_id = sim_pki_verify(cfg->pki, cfg->creds);
    if (sim_peer_id_matches(main_id, tc->sni))
        return cfg->creds;
    for (guint i = 0; cfg->sni_creds[i]; i++) {
        g_autoptr(SimPeerId) id = sim_pki_verify(cfg->pki, cfg->sni_creds[i]);
        if (sim_peer_id_matches(id, tc->sni))
            return cfg->sni_creds[i];
    }
    return cfg->creds;
}

static void
tls_server_send_flight(TlsConn *tc)
{
    const SimStackConfig *cfg = &tc->base.stack->cfg;
    TlsRecord *r;
    if (tc->resumed) {
        r = tls_record_new(TLS_REC_SERVER_FLIGHT,
                           tls_server_resumed_len(tc->version));
        r->session = tls_session_ref(tc->session);
    } else {
        const SimPkiCreds *creds = tls_server_creds(tc);
        tc->cert_request = cfg->mutual_auth;
        if (tc->cert_request)
            tls_count(tc->priv->cert_requests);
        r = tls_record_new(TLS_REC_SERVER_FLIGHT,
                           tls_server_flight_len(tc->version, creds,
                                                 tc->cert_request));
        r->flag = tc->cert_request;
        r->creds = creds;
    }
    tc->state = SIM_TLSS_WAIT_CLIENT_FLIGHT;
    tls_send_record(tc, r, TRUE);
}

static void
tls_server_on_hello(TlsConn *tc, TlsRecord *r)
{
    const SimStackConfig *cfg = &tc->base.stack->cfg;
    tc->sni = g_strdup(r->sni);
    tc->peer_wants_ticket = r->flag;
    if (!cfg->creds) {
        tls_fail(tc, "server_no_credentials");
        return;
    }
    if (r->session && cfg->resumption && r->session->version == tc->version) {
        tc->resumed = TRUE;
        tc->session = tls_session_ref(r->session);
    }
    tls_after_cpu(tc, tls_server_first_cost(tc), tls_server_send_flight);
}

/* The server's last CPU step is over: verify the client, complete. */
static void
tls_server_complete(TlsConn *tc)
{
    g_clear_pointer(&tc->base.peer, sim_peer_id_unref);
    if (tc->resumed) {
        tc->base.peer = sim_peer_id_ref(tc->session->client_id);
        tc->base.peer_presented_cert = tc->session->client_presented_cert;
    } else {
        tc->base.peer =
            sim_pki_verify(tc->base.stack->cfg.pki, tc->peer_creds);
        tc->base.peer_presented_cert = tc->peer_creds != NULL;
        SimPkiVerdict v = tc->base.peer->verdict;
        if (v != SIM_PKI_OK && v != SIM_PKI_NO_CERT) {
            static const char *const why[SIM_PKI_N_VERDICTS] = {
                [SIM_PKI_EXPIRED] = "client_expired",
                [SIM_PKI_NOT_YET_VALID] = "client_not_yet_valid",
                [SIM_PKI_UNTRUSTED] = "client_untrusted",
                [SIM_PKI_INVALID] = "client_invalid",
            };
            tls_fail(tc, why[v]);
            return;
        }
    }
    TlsRecord *ticket = tls_make_ticket(tc);
    if (tc->version == 12 && !tc->resumed) {
        guint len = (ticket ? ticket->msg.len : 0) + TLS_CCS_RECORD +
                    TLS12_FINISHED_RECORD;
        TlsRecord *fin = tls_record_new(TLS_REC_SERVER_FINISHED, len);
        fin->session = ticket ? tls_session_ref(ticket->session) : NULL;
        tls_send_record(tc, fin, TRUE);
        if (ticket)
            sim_msg_unref(&ticket->msg);
        ticket = NULL;
    }
    tls_count(tc->resumed ? tc->priv->resumed : tc->priv->full);
    if (ticket)
        tls_send_record(tc, ticket, TRUE);
    tls_established(tc);
}

static void
tls_server_on_client_flight(TlsConn *tc, TlsRecord *r)
{
    tc->peer_creds = r->creds;
    SimTime cost =
        tls_cost(tc, tc->resumed,
                 tc->resumed ? tls_session_oneway(tc) : r->creds == NULL);
    SimTime first = tls_server_first_cost(tc);
    tls_after_cpu(tc, cost > first ? cost - first : 0, tls_server_complete);
}

/* ---- records from the lower connection --------------------------------------------- */

static void
tls_on_app(TlsConn *tc, TlsRecord *r)
{
    if (tc->state == SIM_TLSS_ESTABLISHED)
        tls_deliver(tc, r);
    else if (!tc->base.initiator && tc->state != SIM_TLSS_CLOSED)
        g_queue_push_tail(&tc->early, sim_msg_ref(&r->msg));
    else
        sim_msg_acct_drop(&r->msg, SIM_DROP_CONN_CLOSED);
}

static void
tls_lower_message(SimConn *lower, guint stream, SimMsg *m, gpointer user)
{
    TlsConn *tc = user;
    TlsRecord *r = (TlsRecord *)m;
    if (r->kind != TLS_REC_APP)
        tc->hs.received += m->len;
    switch (r->kind) {
    case TLS_REC_CLIENT_HELLO:
        if (tc->state == SIM_TLSS_WAIT_CLIENT_HELLO)
            tls_server_on_hello(tc, r);
        break;
    case TLS_REC_SERVER_FLIGHT:
        if (tc->state == SIM_TLSS_WAIT_SERVER_FLIGHT)
            tls_client_on_server_flight(tc, r);
        break;
    case TLS_REC_CLIENT_FLIGHT:
        if (tc->state == SIM_TLSS_WAIT_CLIENT_FLIGHT)
            tls_server_on_client_flight(tc, r);
        break;
    case TLS_REC_SERVER_FINISHED:
        if (tc->state != SIM_TLSS_WAIT_SERVER_FINISHED)
            break;
        tls_store_ticket(tc, r->session);
        tls_established(tc);
        break;
    case TLS_REC_TICKET:
        tls_store_ticket(tc, r->session);
        break;
    case TLS_REC_APP:
        tls_on_app(tc, r);
        break;
    case TLS_REC_ALERT:
        if (tc->state != SIM_TLSS_CLOSED)
            tls_finish(tc, SIM_CLOSE_TLS_FAILED, FALSE);
        break;
    case TLS_REC_CLOSE_NOTIFY:
        if (tc->state != SIM_TLSS_CLOSED &&
            !tls_defer_close(tc, SIM_CLOSE_PEER))
            tls_finish(tc, SIM_CLOSE_PEER, FALSE);
        break;
    }
}

static void
tls_lower_connected(SimConn *lower, gpointer user)
{
    TlsConn *tc = user;
    tc->lower = lower;
    tc->base.local.port = lower->local.port;
}

static void
tls_lower_closed(SimConn *lower, SimCloseReason reason, gpointer user)
{
    TlsConn *tc = user;
    tc->lower_closed = TRUE;
    if (tc->state != SIM_TLSS_CLOSED) {
        /* Without close_notify a graceful end is still the peer's doing;
         * a failure before the handshake keeps the lower reason.  A
         * graceful end behind records still queued waits for them. */
        if (reason == SIM_CLOSE_PEER && tls_defer_close(tc, reason))
            return;
        tls_finish(tc, reason, FALSE);
        return;
    }
    tls_maybe_reap(tc);
}

static const SimConnCallbacks tls_lower_callbacks = {
    .connected = tls_lower_connected,
    .message = tls_lower_message,
    .closed = tls_lower_closed,
};

/* ---- ops ------------------------------------------------------------------------- */

static TlsConn *
tls_conn_new(TlsStackPriv *priv, gboolean initiator)
{
    TlsConn *tc = g_new0(TlsConn, 1);
    sim_conn_init(&tc->base, priv->ops, priv->st, initiator);
    tc->priv = priv;
    tc->link.data = tc;
    tc->version = tls_version_of(priv->st);
    g_queue_init(&tc->early);
    g_queue_push_tail_link(&priv->conns, &tc->link);
    return tc;
}

static void
tls_lower_accept(SimStack *st, SimConn *lower, gpointer user)
{
    TlsStackPriv *priv = user;
    TlsConn *tc = tls_conn_new(priv, FALSE);
    tc->lower = lower;
    tc->base.local = lower->local;
    tc->base.remote = lower->remote;
    tc->base.local.transport = priv->ops->kind;
    tc->base.remote.transport = priv->ops->kind;
    tc->state = SIM_TLSS_WAIT_CLIENT_HELLO;
    sim_conn_set_callbacks(lower, &tls_lower_callbacks, tc);
}

static gboolean
tls_listen_common(const SimTransportOps *ops, SimStack *st, guint16 port,
                  GError **error)
{
    const SimTransportOps *lower = tls_lower_ops(ops);
    if (!lower || !lower->listen_with) {
        g_set_error(error, SIM_TRANSPORT_ERROR, 0,
                    "%s needs a registered %s transport with listen_with",
                    ops->name,
                    ops->kind == SIM_TRANSPORT_TLS_SCTP ? "sctp" : "tcp");
        return FALSE;
    }
    return lower->listen_with(st, port, tls_lower_accept,
                              tls_priv(st, ops), error);
}

static void
tls_refused_fire(SimEvq *q, gpointer data)
{
    TlsConn *tc = data;
    tc->lower_closed = TRUE;
    tls_finish(tc, SIM_CLOSE_REFUSED, FALSE);
}

static SimConn *
tls_connect_common(const SimTransportOps *ops, SimStack *st,
                   const SimConnectParams *p, const SimConnCallbacks *cb,
                   gpointer user)
{
    TlsStackPriv *priv = tls_priv(st, ops);
    TlsConn *tc = tls_conn_new(priv, TRUE);
    sim_conn_set_callbacks(&tc->base, cb, user);
    tc->base.remote.ip = p->ip;
    tc->base.remote.port = p->port;
    tc->sni = g_strdup(p->server_name);
    tc->also_dns = g_strdup(p->also_dns_name);
    g_autofree char *ip = sim_ip_to_string(p->ip);
    tc->cache_key = g_strdup_printf("%s|%s:%u", p->server_name ? p->server_name
                                                               : "",
                                    ip, p->port);
    tc->state = SIM_TLSS_LOWER_CONNECTING;
    const SimTransportOps *lower = tls_lower_ops(ops);
    if (!lower) {
        sim_evq_after(st->ctx->evq, 0, tls_refused_fire, tc, NULL);
        return &tc->base;
    }
    SimConnectParams lp = *p;
    lp.server_name = NULL;
    lp.also_dns_name = NULL;
    SimConn *lc = sim_transport_connect(lower, st, &lp, &tls_lower_callbacks,
                                        tc);
    if (!tc->lower_closed) {
        tc->lower = lc;
        tc->base.local.port = lc->local.port;
        /* The ClientHello is queued at once so that it leaves with the
         * lower handshake's last segment. */
        tls_client_send_hello(tc);
    }
    return &tc->base;
}

static void
tls_send(SimConn *c, guint stream, SimMsg *m)
{
    TlsConn *tc = (TlsConn *)c;
    if (tc->state == SIM_TLSS_CLOSED) {
        sim_msg_acct_drop(m, SIM_DROP_CONN_CLOSED);
        return;
    }
    TlsRecord *r = tls_record_new(
        TLS_REC_APP, m->len + sim_tls_record_overhead(tc->version, m->len));
    r->app = sim_msg_ref(m);
    r->msg.carried = m;
    r->stream = stream;
    sim_conn_touch(c);
    tls_send_record(tc, r, FALSE);
}

static void
tls_close(SimConn *c)
{
    TlsConn *tc = (TlsConn *)c;
    if (tc->state == SIM_TLSS_CLOSED)
        return;
    if (tc->state == SIM_TLSS_ESTABLISHED) {
        /* After the handshake alerts are protected in both versions. */
        TlsRecord *r = tls_record_new(
            TLS_REC_CLOSE_NOTIFY,
            TLS_ALERT + tls_protected_overhead(tc->version));
        tls_send_record(tc, r, FALSE);
    }
    tls_finish(tc, SIM_CLOSE_LOCAL, FALSE);
}

static void
tls_abort(SimConn *c)
{
    TlsConn *tc = (TlsConn *)c;
    if (tc->state != SIM_TLSS_CLOSED)
        tls_finish(tc, SIM_CLOSE_LOCAL, TRUE);
}

/* Stack teardown: frees what is left without callbacks (the lower
 * transports free their own connections). */
static void
tls_priv_free(gpointer data)
{
    TlsStackPriv *priv = data;
    while (!g_queue_is_empty(&priv->conns)) {
        TlsConn *tc = priv->conns.head->data;
        /* The event queue is already gone: nothing to cancel. */
        tc->reap = 0;
        tc->base.idle_timer = 0;
        tc->base.mem_bytes = 0;
        tls_conn_free(tc);
    }
    g_hash_table_unref(priv->sessions);
    g_free(priv);
}

static gboolean
tls_listen(SimStack *st, guint16 port, GError **error)
{
    return tls_listen_common(&sim_transport_tls, st, port, error);
}

static SimConn *
tls_connect(SimStack *st, const SimConnectParams *p,
            const SimConnCallbacks *cb, gpointer user)
{
    return tls_connect_common(&sim_transport_tls, st, p, cb, user);
}

static gboolean
tls_sctp_listen(SimStack *st, guint16 port, GError **error)
{
    return tls_listen_common(&sim_transport_tls_sctp, st, port, error);
}

static SimConn *
tls_sctp_connect(SimStack *st, const SimConnectParams *p,
                 const SimConnCallbacks *cb, gpointer user)
{
    return tls_connect_common(&sim_transport_tls_sctp, st, p, cb, user);
}

const SimTransportOps sim_transport_tls = {
    .name = "tls",
    .description =
        "TLS 1.2 or 1.3 over TCP: handshake flights sized from the real "
        "certificate chains, full and resumed handshakes, mutual "
        "authentication, RFC 5922 name checks, handshake CPU on the node.",
    .kind = SIM_TRANSPORT_TLS,
    .listen = tls_listen,
    .connect = tls_connect,
    .send = tls_send,
    .close = tls_close,
    .abort = tls_abort,
};

const SimTransportOps sim_transport_tls_sctp = {
    .name = "tls-sctp",
    .description =
        "TLS over SCTP (RFC 3436): one TLS connection on stream 0 of the "
        "association (per-stream handshakes are not modelled), so SIP over "
        "it keeps TCP's head-of-line blocking and sctp-streams does not "
        "apply; otherwise as tls.",
    .kind = SIM_TRANSPORT_TLS_SCTP,
    .listen = tls_sctp_listen,
    .connect = tls_sctp_connect,
    .send = tls_send,
    .close = tls_close,
    .abort = tls_abort,
};

/* ---- accessors (models/tls.h) --------------------------------------------------- */

static const TlsConn *
tls_conn_of(const SimConn *c)
{
    g_return_val_if_fail(c && (c->ops == &sim_transport_tls ||
                               c->ops == &sim_transport_tls_sctp),
                         NULL);
    return (const TlsConn *)c;
}

/**
 * sim_tls_conn_certificate_request:
 * @c: a TLS connection
 *
 * Returns: %TRUE if a CertificateRequest was part of this handshake (sent,
 *   on the server; received, on the client).
 */
gboolean
sim_tls_conn_certificate_request(const SimConn *c)
{
    const TlsConn *tc = tls_conn_of(c);
    return tc && tc->cert_request;
}

/**
 * sim_tls_conn_server_name:
 * @c: a TLS connection
 *
 * Returns: (nullable): the SNI the client sent (on either side).
 */
const char *
sim_tls_conn_server_name(const SimConn *c)
{
    const TlsConn *tc = tls_conn_of(c);
    return tc ? tc->sni : NULL;
}

/**
 * sim_tls_conn_handshake_bytes:
 * @c: a TLS connection
 *
 * Returns: the handshake bytes (records included, tickets included,
 *   application data excluded) this side wrote and read so far.
 */
SimTlsHandshakeBytes
sim_tls_conn_handshake_bytes(const SimConn *c)
{
    const TlsConn *tc = tls_conn_of(c);
    return tc ? tc->hs : (SimTlsHandshakeBytes){ 0 };
}

/* ---- Capture ----------------------------------------------------------- */

/* Appends a record to @out (the last slot absorbs any overflow). */
static void
tls_describe_add(SimTlsRecords *out, guint8 type, guint8 hs, gboolean prot,
                 guint32 len)
{
    if (out->n == SIM_TLS_MAX_RECORDS) {
        out->rec[out->n - 1].len += len;
        return;
    }
    gboolean v13p = out->version == 13 && prot;
    out->rec[out->n++] = (SimTlsRecordInfo){
        .type = v13p ? SIM_TLS_CT_APP : type,
        .inner = type,
        .hs = hs,
        .protected = prot,
        .len = len,
    };
}

/* A handshake message of @len bytes (header included) in its own record,
 * sized as tls_rec() does. */
static void
tls_describe_hs(SimTlsRecords *out, guint8 hs, gboolean prot, guint len)
{
    guint v = out->version;
    tls_describe_add(out, SIM_TLS_CT_HANDSHAKE, hs, v == 13 && prot,
                     tls_rec(v, prot, len));
}

static void
tls_describe_ccs(SimTlsRecords *out)
{
    tls_describe_add(out, SIM_TLS_CT_CCS, 0, FALSE, TLS_CCS_RECORD);
    out->rec[out->n - 1].type = SIM_TLS_CT_CCS;
}

/* The protected Finished: its own record in 1.3, TLS 1.2's 45 B record. */
static void
tls_describe_finished(SimTlsRecords *out)
{
    if (out->version == 13)
        tls_describe_hs(out, SIM_TLS_HS_FINISHED, TRUE, TLS13_FINISHED);
    else
        tls_describe_add(out, SIM_TLS_CT_HANDSHAKE, SIM_TLS_HS_FINISHED, TRUE,
                         TLS12_FINISHED_RECORD);
}

static void
tls_describe_cert(SimTlsRecords *out, const SimPkiCreds *c)
{
    tls_describe_hs(out, SIM_TLS_HS_CERTIFICATE, TRUE,
                    tls_cert_msg(out->version, c));
    out->rec[out->n - 1].creds = c;
}

/**
 * sim_tls_describe:
 * @m: a message a transport carries
 * @out: (out): the TLS records it is made of, in wire order
 *
 * Describes a TLS message (a handshake flight, an application record, an
 * alert) as its records, with the sizes the model gives them: their
 * lengths add up to @m's.  Reads only.
 *
 * Returns: %FALSE if @m is not a TLS message.
 */
gboolean
sim_tls_describe(const SimMsg *m, SimTlsRecords *out)
{
    memset(out, 0, sizeof *out);
    if (m->free != tls_record_free)
        return FALSE;
    const TlsRecord *r = (const TlsRecord *)m;
    guint v = r->version == 12 ? 12 : 13;
    out->version = v;
    switch (r->kind) {
    case TLS_REC_CLIENT_HELLO:
        tls_describe_add(out, SIM_TLS_CT_HANDSHAKE, SIM_TLS_HS_CLIENT_HELLO,
                         FALSE, m->len);
        out->sni = r->sni;
        break;
    case TLS_REC_SERVER_FLIGHT:
        if (r->session) {
            tls_describe_hs(out, SIM_TLS_HS_SERVER_HELLO, FALSE,
                            v == 13 ? TLS13_SERVER_HELLO
                                    : TLS12_SERVER_HELLO);
            tls_describe_ccs(out);
            if (v == 13)
                tls_describe_hs(out, SIM_TLS_HS_ENCRYPTED_EXTENSIONS, TRUE,
                                TLS13_ENCRYPTED_EXTENSIONS);
            tls_describe_finished(out);
        } else if (v == 13) {
            guint sig = sim_pki_creds_sig_len(r->creds);
            tls_describe_hs(out, SIM_TLS_HS_SERVER_HELLO, FALSE,
                            TLS13_SERVER_HELLO);
            tls_describe_ccs(out);
            tls_describe_hs(out, SIM_TLS_HS_ENCRYPTED_EXTENSIONS, TRUE,
                            TLS13_ENCRYPTED_EXTENSIONS);
            if (r->flag)
                tls_describe_hs(out, SIM_TLS_HS_CERTIFICATE_REQUEST, TRUE,
                                TLS13_CERTIFICATE_REQUEST);
            tls_describe_cert(out, r->creds);
            tls_describe_hs(out, SIM_TLS_HS_CERTIFICATE_VERIFY, TRUE,
                            TLS_CV_BASE + sig);
            tls_describe_finished(out);
        } else {
            guint sig = sim_pki_creds_sig_len(r->creds);
            tls_describe_hs(out, SIM_TLS_HS_SERVER_HELLO, FALSE,
                            TLS12_SERVER_HELLO);
            tls_describe_cert(out, r->creds);
            tls_describe_hs(out, SIM_TLS_HS_SERVER_KEY_EXCHANGE, FALSE,
                            TLS12_SKE_BASE + sig);
            if (r->flag)
                tls_describe_hs(out, SIM_TLS_HS_CERTIFICATE_REQUEST, FALSE,
                                TLS12_CERTIFICATE_REQUEST);
            tls_describe_hs(out, SIM_TLS_HS_SERVER_HELLO_DONE, FALSE,
                            TLS12_SERVER_HELLO_DONE);
        }
        break;
    case TLS_REC_CLIENT_FLIGHT:
        /* 1.3: CCS, [Certificate, [CertificateVerify]], Finished;
         * 1.2: [Certificate], ClientKeyExchange, [CertificateVerify], CCS,
         * Finished; resumed: CCS, Finished. */
        if (v == 13 || r->resumed)
            tls_describe_ccs(out);
        if (!r->resumed) {
            if (r->cert_request)
                tls_describe_cert(out, r->creds);
            if (v == 12)
                tls_describe_hs(out, SIM_TLS_HS_CLIENT_KEY_EXCHANGE, FALSE,
                                TLS12_CLIENT_KEY_EXCHANGE);
            if (r->cert_request && r->creds)
                tls_describe_hs(out, SIM_TLS_HS_CERTIFICATE_VERIFY, TRUE,
                                TLS_CV_BASE +
                                    sim_pki_creds_sig_len(r->creds));
            if (v == 12)
                tls_describe_ccs(out);
        }
        tls_describe_finished(out);
        break;
    case TLS_REC_SERVER_FINISHED: {
        /* TLS 1.2 full: [NewSessionTicket], CCS, Finished. */
        guint32 ticket = m->len - TLS_CCS_RECORD - TLS12_FINISHED_RECORD;
        if (ticket)
            tls_describe_add(out, SIM_TLS_CT_HANDSHAKE,
                             SIM_TLS_HS_NEW_SESSION_TICKET, FALSE, ticket);
        tls_describe_ccs(out);
        tls_describe_finished(out);
        break;
    }
    case TLS_REC_TICKET: {
        guint n = v == 13 && !r->resumed ? 2 : 1;
        for (guint i = 0; i < n; i++)
            tls_describe_add(out, SIM_TLS_CT_HANDSHAKE,
                             SIM_TLS_HS_NEW_SESSION_TICKET, v == 13,
                             m->len / n);
        break;
    }
    case TLS_REC_APP: {
        guint32 plain = r->app ? r->app->len : 0;
        guint over = tls_protected_overhead(v);
        do {
            guint32 part = MIN(plain, TLS_MAX_PLAINTEXT);
            tls_describe_add(out, SIM_TLS_CT_APP, 0, TRUE, part + over);
            out->rec[out->n - 1].app = r->app;
            plain -= part;
        } while (plain);
        break;
    }
    case TLS_REC_ALERT:
        tls_describe_add(out, SIM_TLS_CT_ALERT, 0, v == 13,
                         tls_rec(v, TRUE, TLS_ALERT));
        break;
    case TLS_REC_CLOSE_NOTIFY:
        tls_describe_add(out, SIM_TLS_CT_ALERT, 0, TRUE,
                         TLS_ALERT + tls_protected_overhead(v));
        break;
    }
    return TRUE;
}
