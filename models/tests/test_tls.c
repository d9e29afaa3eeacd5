/* SPDX-License-Identifier: MIT */
/*
 * Tests of the TLS transports over the real TCP (and SCTP when registered):
 * first-request arrival times against SPEC 3.1 (R = 100 ms, infinite
 * bandwidth, zero CPU: 1.2 full at 3.5 R, 1.3 and resumed at 2.5 R; over
 * SCTP one R more when data waits for COOKIE ACK), handshake bytes
 * against flights summed here from SPEC 3.2 message sizes and the DER of
 * the generated P-256 and RSA-2048 chains, application record overhead
 * (1.2: 29 B, 1.3: 22 B), per-role handshake CPU, resumption carrying
 * identities without CertificateRequest (D6, scenario 17), a client
 * without a certificate (R9), name and chain failures (R15),
 * close_notify, and N simultaneous full handshakes queueing on a one-core
 * server.
 */
#include "models/tls.h"

#include <string.h>

#define DELAY_MS 50
#define REQ_LEN 1000

/* Material shared by every test: one CA, three nodes' credentials. */
static SimPki *test_pki;
static SimPkiCreds *creds_a, *creds_b, *creds_expired, *creds_rogue;

typedef struct {
    SimMsg msg;
} TestMsg;

static void
test_msg_free(SimMsg *m)
{
    g_free(m);
}

static SimMsg *
test_msg_new(guint32 len)
{
    TestMsg *t = g_new0(TestMsg, 1);
    t->msg = (SimMsg){ .len = len, .refcount = 1, .free = test_msg_free };
    return &t->msg;
}

/* Two nodes, a (client, 10.0.0.1) and b (server, 10.0.0.2, port 5061). */
typedef struct {
    SimCtx ctx;
    SimNet *net;
    SimCpu *cpu_a, *cpu_b;
    SimStack *a, *b;
    const SimTransportOps *ops;
    /* Client side. */
    SimConn *client;
    SimTime connected_at;
    gboolean client_closed;
    SimCloseReason client_reason;
    /* Server side: accepted connections and their times. */
    GPtrArray *accepted;
    GArray *accepted_at;
    SimTime request_at;
    gboolean server_closed;
    SimCloseReason server_reason;
    /* Send a request when the client connects. */
    gboolean send_on_connect;
} World;

static SimStackConfig
config(guint version, const SimPkiCreds *creds)
{
    return (SimStackConfig){
        .initial_window = 10,
        .rto_min = SIM_S(1),
        .tls_version = version,
        .mutual_auth = TRUE,
        .client_cert = TRUE,
        .resumption = TRUE,
        .creds = creds,
        .pki = test_pki,
    };
}

static void
srv_message(SimConn *c, guint stream, SimMsg *m, gpointer user)
{
    World *w = user;
    if (!w->request_at)
        w->request_at = sim_ctx_now(&w->ctx);
}

static void
srv_closed(SimConn *c, SimCloseReason reason, gpointer user)
{
    World *w = user;
    w->server_closed = TRUE;
    w->server_reason = reason;
    g_ptr_array_remove(w->accepted, c);
}

static const SimConnCallbacks srv_cb = {
    .message = srv_message,
    .closed = srv_closed,
};

static void
srv_accept(SimStack *st, SimConn *c, gpointer user)
{
    World *w = user;
    SimTime now = sim_ctx_now(&w->ctx);
    sim_conn_set_callbacks(c, &srv_cb, w);
    g_ptr_array_add(w->accepted, c);
    g_array_append_val(w->accepted_at, now);
}

static void
cli_connected(SimConn *c, gpointer user)
{
    World *w = user;
    w->connected_at = sim_ctx_now(&w->ctx);
    if (w->send_on_connect) {
        SimMsg *m = test_msg_new(REQ_LEN);
        sim_conn_send(c, 0, m);
        sim_msg_unref(m);
    }
}

static void
cli_closed(SimConn *c, SimCloseReason reason, gpointer user)
{
    World *w = user;
    w->client_closed = TRUE;
    w->client_reason = reason;
    if (w->client == c)
        w->client = NULL;
}

static const SimConnCallbacks cli_cb = {
    .connected = cli_connected,
    .closed = cli_closed,
};

static World *
world_new(const SimTransportOps *ops, const SimStackConfig *ca,
          const SimStackConfig *cb, SimTime delay)
{
    World *w = g_new0(World, 1);
    w->ctx.evq = sim_evq_new();
    w->ctx.stats = sim_stats_new();
    w->ctx.seed = 1;
    SimPathParams path = { .delay = delay, .mtu = 1500 };
    w->net = sim_net_new(&w->ctx, &path);
    guint sa = sim_net_add_site(w->net, "a");
    guint sb = sim_net_add_site(w->net, "b");
    sim_net_set_path(w->net, sa, sb, &path);
    SimIp ia, ib;
    g_assert_true(sim_ip_parse("10.0.0.1", &ia));
    g_assert_true(sim_ip_parse("10.0.0.2", &ib));
    sim_net_add_interface(w->net, ia, sa);
    sim_net_add_interface(w->net, ib, sb);
    w->cpu_a = sim_cpu_new(&w->ctx, "a", 1);
    w->cpu_b = sim_cpu_new(&w->ctx, "b", 1);
    w->a = sim_stack_new(&w->ctx, w->net, "a", ia, w->cpu_a, ca);
    w->b = sim_stack_new(&w->ctx, w->net, "b", ib, w->cpu_b, cb);
    w->ops = ops;
    w->accepted = g_ptr_array_new();
    w->accepted_at = g_array_new(FALSE, FALSE, sizeof(SimTime));
    w->send_on_connect = TRUE;
    sim_stack_set_accept(w->b, srv_accept, w);
    g_autoptr(GError) error = NULL;
    g_assert_true(ops->listen(w->b, 5061, &error));
    g_assert_no_error(error);
    return w;
}

static void
world_free(World *w)
{
    sim_evq_free(w->ctx.evq);
    sim_stack_free(w->a);
    sim_stack_free(w->b);
    sim_cpu_free(w->cpu_a);
    sim_cpu_free(w->cpu_b);
    sim_net_free(w->net);
    sim_stats_free(w->ctx.stats);
    g_ptr_array_free(w->accepted, TRUE);
    g_array_free(w->accepted_at, TRUE);
    g_free(w);
}

static SimConn *
world_connect(World *w, const char *server_name)
{
    SimConnectParams p = { .ip = w->b->ip, .port = 5061,
                           .server_name = server_name, .streams = 1 };
    w->connected_at = 0;
    w->request_at = 0;
    w->client_closed = FALSE;
    w->client = sim_transport_connect(w->ops, w->a, &p, &cli_cb, w);
    return w->client;
}

static guint64
counter(World *w, const char *name)
{
    return sim_stats_counter(w->ctx.stats, name)->value;
}

static const SimTransportOps *
ops_or_skip(const char *name)
{
    g_autoptr(GError) error = NULL;
    const SimTransportOps *ops = sim_transport_by_name(name, &error);
    const char *lower = g_str_equal(name, "tls") ? "tcp" : "sctp";
    if (!ops || !sim_transport_by_name(lower, NULL)) {
        g_test_skip("lower transport not registered yet");
        return NULL;
    }
    return ops;
}

/* ---- round trips (SPEC 3.1) ------------------------------------------- */

static void
check_arrival(const char *name, guint version, SimTime want)
{
    const SimTransportOps *ops = ops_or_skip(name);
    if (!ops)
        return;
    SimStackConfig ca = config(version, creds_a), cb = config(version,
                                                              creds_b);
    World *w = world_new(ops, &ca, &cb, SIM_MS(DELAY_MS));
    world_connect(w, "example.net");
    sim_evq_run_until(w->ctx.evq, SIM_S(5));
    g_assert_cmpuint(w->request_at, ==, want);
    g_assert_cmpuint(counter(w, "handshakes.tls_full"), ==, 1);
    g_assert_cmpuint(counter(w, "handshakes.failed"), ==, 0);
    world_free(w);
}

static void
test_rtt_tls12_full(void)
{
    /* 1 RTT TCP + 2 RTT TLS + half an RTT for the request: 3.5 R. */
    check_arrival("tls", 12, SIM_MS(350));
}

static void
test_rtt_tls13_full(void)
{
    check_arrival("tls", 13, SIM_MS(250));
}

static void
test_rtt_tls12_sctp(void)
{
    /* ClientHello bundled with COOKIE ECHO: as over TCP, 3.5 R. */
    check_arrival("tls-sctp", 12, SIM_MS(350));
}

/* TLS over SCTP (SPEC 3.1, last row): k = SCTP k + TLS part, with SCTP k
 * = 1 when the ClientHello rides with COOKIE ECHO and 2 when data waits
 * for COOKIE ACK, and the TLS part 2 (1.2 full) or 1 (1.3 full, any
 * resumed); the request arrives at (k + 1/2) R.  A resumed handshake is
 * measured on a second association after the first closed. */
static void
check_sctp_arrival(guint version, gboolean bundle, gboolean resumed,
                   guint k)
{
    const SimTransportOps *ops = ops_or_skip("tls-sctp");
    if (!ops)
        return;
    SimStackConfig ca = config(version, creds_a), cb = config(version,
                                                              creds_b);
    ca.sctp_no_bundle = cb.sctp_no_bundle = !bundle;
    World *w = world_new(ops, &ca, &cb, SIM_MS(DELAY_MS));
    SimTime t0 = 0;
    if (resumed) {
        world_connect(w, "example.net");
        sim_evq_run_until(w->ctx.evq, SIM_S(2));
        g_assert_nonnull(w->client);
        sim_conn_close(w->client);
        sim_evq_run_until(w->ctx.evq, SIM_S(4));
        t0 = sim_ctx_now(&w->ctx);
    }
    SimConn *c = world_connect(w, "example.net");
    sim_evq_run_until(w->ctx.evq, t0 + SIM_S(3));
    g_assert_cmpuint(w->request_at, ==, t0 + k * SIM_MS(100) + SIM_MS(50));
    g_assert_cmpint(c->resumed, ==, resumed);
    g_assert_cmpuint(counter(w, "handshakes.tls_full"), ==, 1);
    g_assert_cmpuint(counter(w, "handshakes.tls_resumed"), ==, resumed);
    g_assert_cmpuint(counter(w, "handshakes.failed"), ==, 0);
    world_free(w);
}

static void
test_rtt_sctp_tls12_full_unbundled(void)
{
    check_sctp_arrival(12, FALSE, FALSE, 4);
}

static void
test_rtt_sctp_tls13_full(void)
{
    check_sctp_arrival(13, TRUE, FALSE, 2);
}

static void
test_rtt_sctp_tls13_full_unbundled(void)
{
    check_sctp_arrival(13, FALSE, FALSE, 3);
}

static void
test_rtt_sctp_tls13_resumed(void)
{
    check_sctp_arrival(13, TRUE, TRUE, 2);
}

static void
test_rtt_sctp_tls13_resumed_unbundled(void)
{
    check_sctp_arrival(13, FALSE, TRUE, 3);
}

static void
test_rtt_sctp_tls12_resumed(void)
{
    check_sctp_arrival(12, TRUE, TRUE, 2);
}

static void
test_rtt_sctp_tls12_resumed_unbundled(void)
{
    check_sctp_arrival(12, FALSE, TRUE, 3);
}

/* ---- bytes (SPEC 3.2) -------------------------------------------------- */

/* Independently derived: DER of every certificate, parsed here. */
static guint
der_sum(const SimPkiCreds *c, guint *n, guint *leaf)
{
    guint total = 0;
    *n = 0;
    for (GBytes *b; (b = sim_pki_creds_cert_der(c, *n)); (*n)++) {
        if (*n == 0)
            *leaf = (guint)g_bytes_get_size(b);
        total += (guint)g_bytes_get_size(b);
        g_bytes_unref(b);
    }
    return total;
}

/* Full mutual TLS 1.3 handshake between @a (client) and @b (server) whose
 * keys sign with @sig-byte signatures. */
static void
check_bytes_tls13(SimPki *pki, const SimPkiCreds *a, const SimPkiCreds *b,
                  guint sig)
{
    const SimTransportOps *ops = ops_or_skip("tls");
    if (!ops)
        return;
    SimStackConfig ca = config(13, a), cb = config(13, b);
    ca.pki = cb.pki = pki;
    World *w = world_new(ops, &ca, &cb, SIM_MS(DELAY_MS));
    SimConn *c = world_connect(w, "example.net");
    sim_evq_run_until(w->ctx.evq, SIM_S(5));
    g_assert_cmpuint(counter(w, "handshakes.tls_full"), ==, 1);
    guint na, nb, leaf_a, leaf_b;
    guint da = der_sum(a, &na, &leaf_a), db = der_sum(b, &nb, &leaf_b);
    /* Protected record: +22; plaintext record: +5; CCS record: 6.
     * Certificate = 4 + 1 + 3 + per entry (3 + DER + 2).  CertificateVerify
     * = 8 + signature.  SNI extension 9 + name. */
    guint ch = 222 + 9 + strlen("example.net") + 5;
    guint cert_a = 8 + 5 * na + da + 22, cert_b = 8 + 5 * nb + db + 22;
    guint cv = 8 + sig + 22, fin = 52 + 22;
    guint client_sent = ch + 6 + cert_a + cv + fin;
    guint server_flight = 122 + 5 + 6 + (6 + 22) + (96 + 22) + cert_b + cv +
                          fin;
    guint tickets = 2 * (234 + leaf_a + 22);
    SimTlsHandshakeBytes hc = sim_tls_conn_handshake_bytes(c);
    g_assert_cmpuint(hc.sent, ==, client_sent);
    g_assert_cmpuint(hc.received, ==, server_flight + tickets);
    g_assert_cmpuint(w->accepted->len, ==, 1);
    SimTlsHandshakeBytes hs = sim_tls_conn_handshake_bytes(
        g_ptr_array_index(w->accepted, 0));
    g_assert_cmpuint(hs.sent, ==, hc.received);
    g_assert_cmpuint(hs.received, ==, hc.sent);
    world_free(w);
}

static void
test_bytes_tls13(void)
{
    /* P-256 signatures: 72 B, the maximum DER length of the generated
     * material (SEQUENCE of two 33-byte INTEGERs). */
    check_bytes_tls13(test_pki, creds_a, creds_b, 72);
}

/* Full mutual TLS 1.2 handshake, as check_bytes_tls13(). */
static void
check_bytes_tls12(SimPki *pki, const SimPkiCreds *a, const SimPkiCreds *b,
                  guint sig)
{
    const SimTransportOps *ops = ops_or_skip("tls");
    if (!ops)
        return;
    SimStackConfig ca = config(12, a), cb = config(12, b);
    ca.pki = cb.pki = pki;
    World *w = world_new(ops, &ca, &cb, SIM_MS(DELAY_MS));
    SimConn *c = world_connect(w, "example.net");
    sim_evq_run_until(w->ctx.evq, SIM_S(5));
    g_assert_cmpuint(counter(w, "handshakes.tls_full"), ==, 1);
    guint na, nb, leaf_a, leaf_b;
    guint da = der_sum(a, &na, &leaf_a), db = der_sum(b, &nb, &leaf_b);
    /* Every handshake message in its own 5-byte-header record; Certificate
     * = 4 + 3 + per entry (3 + DER); ServerKeyExchange = 44 + signature,
     * CertificateVerify = 8 + signature; Finished record 45, CCS 6. */
    guint ch = 197 + 9 + strlen("example.net") + 5;
    guint client_sent = ch + (7 + 3 * na + da + 5) + (37 + 5) +
                        (8 + sig + 5) + 6 + 45;
    guint server_sent = (65 + 5) + (7 + 3 * nb + db + 5) + (44 + sig + 5) +
                        (97 + 5) + (4 + 5) + (187 + leaf_a + 5) + 6 + 45;
    SimTlsHandshakeBytes hc = sim_tls_conn_handshake_bytes(c);
    g_assert_cmpuint(hc.sent, ==, client_sent);
    g_assert_cmpuint(hc.received, ==, server_sent);
    world_free(w);
}

static void
test_bytes_tls12(void)
{
    check_bytes_tls12(test_pki, creds_a, creds_b, 72);
}

/* RSA-2048 chains from a PKI of their own: signatures are as long as the
 * modulus, 2048 / 8 = 256 B (SPEC 3.2: CertificateVerify 264 = 8 + 256,
 * ServerKeyExchange 300 = 44 + 256); certificates from their DER. */
static void
test_bytes_rsa(void)
{
    SimPkiParams p = { .key = SIM_KEY_RSA_2048, .ca_name = "TLS RSA CA" };
    g_autoptr(GError) error = NULL;
    g_autoptr(SimPki) pki = sim_pki_new(&p, &error);
    g_assert_no_error(error);
    const char *san_a[] = { "URI:sip:example.com", NULL };
    const char *san_b[] = { "URI:sip:example.net", "DNS:p2.example.net",
                            NULL };
    g_autoptr(SimPkiCreds) a = sim_pki_issue(pki, "a", san_a, FALSE, FALSE,
                                             &error);
    g_assert_no_error(error);
    g_autoptr(SimPkiCreds) b = sim_pki_issue(pki, "b", san_b, FALSE, FALSE,
                                             &error);
    g_assert_no_error(error);
    g_assert_cmpint(sim_pki_creds_key_type(b), ==, SIM_KEY_RSA_2048);
    check_bytes_tls13(pki, a, b, 256);
    check_bytes_tls12(pki, a, b, 256);
}

/* Bytes on the wire for one application message of @len bytes sent once
 * the handshake is over: the TLS records (at most 16384 plaintext bytes
 * each) plus @per_record each, carried in MSS = 1500 - 40 - 12 = 1448
 * byte segments of 40 B TCP/IP headers plus 12 B of timestamps, each
 * answered by a 52 B pure ACK (the receiver sends nothing back). */
static void
check_app_bytes(guint version, guint32 len, guint per_record)
{
    const SimTransportOps *ops = ops_or_skip("tls");
    if (!ops)
        return;
    SimStackConfig ca = config(version, creds_a), cb = config(version,
                                                              creds_b);
    World *w = world_new(ops, &ca, &cb, SIM_MS(DELAY_MS));
    w->send_on_connect = FALSE;
    SimConn *c = world_connect(w, "example.net");
    sim_evq_run_until(w->ctx.evq, SIM_S(2));
    g_assert_true(sim_conn_is_open(c));
    guint64 before = counter(w, "bytes.wire");
    SimMsg *m = test_msg_new(len);
    sim_conn_send(c, 0, m);
    sim_msg_unref(m);
    sim_evq_run_until(w->ctx.evq, SIM_S(3));
    g_assert_cmpuint(w->request_at, >, 0);
    guint records = (len + 16383) / 16384;
    guint stream = len + records * per_record;
    /* MSS 1500 - 40 - 12 (RFC 7323 timestamps on every segment); each
     * data segment and its ACK carry 40 header bytes plus the 12-byte
     * timestamps option. */
    guint segments = (stream + 1447) / 1448;
    g_test_message("TLS 1.%u, %u B: %u records, %u segments", version % 10,
                   len, records, segments);
    g_assert_cmpuint(counter(w, "bytes.wire") - before, ==,
                     stream + segments * 52 + segments * 52);
    world_free(w);
}

static void
test_app_bytes_tls12(void)
{
    /* RFC 5246 6.2.3.3 with AES-GCM (RFC 5288 3): 5 B header, 8 B
     * explicit nonce, 16 B tag: 29 B per record.  1000 B: one record of
     * 1029 B in one segment, 1029 + 40 + 40 = 1109 B. */
    check_app_bytes(12, 1000, 5 + 8 + 16);
    check_app_bytes(12, 20000, 5 + 8 + 16);
}

static void
test_app_bytes_tls13(void)
{
    /* RFC 8446 5.2: 5 B header, 1 B inner content type, 16 B tag: 22 B
     * per record (SPEC 3.2).  1000 B: 1022 + 40 + 40 = 1102 B. */
    check_app_bytes(13, 1000, 5 + 1 + 16);
    check_app_bytes(13, 20000, 5 + 1 + 16);
}

/* ---- resumption (D6, scenario 17) ----------------------------------------- */

static void
check_resumption(guint version)
{
    const SimTransportOps *ops = ops_or_skip("tls");
    if (!ops)
        return;
    SimStackConfig ca = config(version, creds_a), cb = config(version,
                                                              creds_b);
    World *w = world_new(ops, &ca, &cb, SIM_MS(DELAY_MS));
    world_connect(w, "example.net");
    sim_evq_run_until(w->ctx.evq, SIM_S(1));
    g_assert_nonnull(w->client);
    sim_conn_close(w->client);
    sim_evq_run_until(w->ctx.evq, SIM_S(2));
    g_assert_true(w->server_closed);
    g_assert_cmpint(w->server_reason, ==, SIM_CLOSE_PEER);
    g_assert_cmpint(w->client_reason, ==, SIM_CLOSE_LOCAL);

    SimTime t1 = sim_ctx_now(&w->ctx);
    SimConn *c = world_connect(w, "example.net");
    sim_evq_run_until(w->ctx.evq, SIM_S(4));
    /* Resumed: 1 RTT after TCP whatever the version, request at 2.5 R. */
    g_assert_cmpuint(w->request_at, ==, t1 + SIM_MS(250));
    g_assert_true(c->resumed);
    g_assert_true(sim_peer_id_matches(c->peer, "example.net"));
    g_assert_cmpuint(w->accepted->len, ==, 1);
    SimConn *s = g_ptr_array_index(w->accepted, 0);
    g_assert_true(s->resumed);
    g_assert_false(sim_tls_conn_certificate_request(s));
    g_assert_true(s->peer_presented_cert);
    g_assert_true(sim_peer_id_matches(s->peer, "example.com"));
    g_assert_cmpuint(counter(w, "handshakes.tls_full"), ==, 1);
    g_assert_cmpuint(counter(w, "handshakes.tls_resumed"), ==, 1);
    g_assert_cmpuint(counter(w, "tls.certificate_requests"), ==, 1);
    /* No certificate crossed the wire in either direction. */
    SimTlsHandshakeBytes hc = sim_tls_conn_handshake_bytes(c);
    g_assert_cmpuint(hc.received, <, sim_pki_creds_chain_len(creds_b));
    world_free(w);
}

static void
test_resumption_tls13(void)
{
    check_resumption(13);
}

static void
test_resumption_tls12(void)
{
    check_resumption(12);
}

/* TLS 1.2 with resumption off on both sides: no ticket is issued, and the
 * full handshake still completes (the server's Finished went out with a
 * ticket it did not have: a crash).  SPEC 3.1: first request at 3.5 R. */
static void
test_tls12_no_resumption(void)
{
    const SimTransportOps *ops = ops_or_skip("tls");
    if (!ops)
        return;
    SimStackConfig ca = config(12, creds_a), cb = config(12, creds_b);
    ca.resumption = FALSE;
    cb.resumption = FALSE;
    World *w = world_new(ops, &ca, &cb, SIM_MS(DELAY_MS));
    world_connect(w, "example.net");
    sim_evq_run_until(w->ctx.evq, SIM_S(5));
    g_assert_cmpuint(w->request_at, ==, 7 * SIM_MS(DELAY_MS));
    g_assert_cmpuint(counter(w, "handshakes.tls_full"), ==, 1);
    g_assert_cmpuint(counter(w, "handshakes.failed"), ==, 0);
    world_free(w);
}

/* The client sends a request and closes right after its handshake flight,
 * while the server is still in its last handshake CPU step.  TLS reads
 * records in order, so the request is delivered and only then the close
 * (the server discarded the queued request at close_notify: a third of
 * per-transaction ACKs vanished under a loaded CPU).  With R = 100 ms and
 * the server's 10 ms handshake CPU split 5 + 5 (client 0): ClientHello
 * leaves at 1 R, the server flight at 1.5 R + 5 ms, the client's flight,
 * request and close_notify at 2 R + 5 ms, delivered at 2.5 R + 10 ms. */
static void
cli_connected_send_close(SimConn *c, gpointer user)
{
    World *w = user;
    w->connected_at = sim_ctx_now(&w->ctx);
    SimMsg *m = test_msg_new(REQ_LEN);
    sim_conn_send(c, 0, m);
    sim_msg_unref(m);
    sim_conn_close(c);
}

static const SimConnCallbacks cli_send_close_cb = {
    .connected = cli_connected_send_close,
    .closed = cli_closed,
};

static void
check_close_behind_request(guint version)
{
    const SimTransportOps *ops = ops_or_skip("tls");
    if (!ops)
        return;
    SimStackConfig ca = config(version, creds_a), cb = config(version,
                                                              creds_b);
    sim_stack_config_set_tls_cost(&cb, SIM_MS(10), SIM_MS(10));
    World *w = world_new(ops, &ca, &cb, SIM_MS(DELAY_MS));
    SimConnectParams p = { .ip = w->b->ip, .port = 5061,
                           .server_name = "example.net", .streams = 1 };
    w->client = sim_transport_connect(ops, w->a, &p, &cli_send_close_cb, w);
    sim_evq_run_until(w->ctx.evq, SIM_S(5));
    SimTime r = 2 * SIM_MS(DELAY_MS);
    /* TLS 1.2 full takes one round trip more than 1.3. */
    SimTime extra = version == 12 ? r : 0;
    g_assert_cmpuint(w->request_at, ==, 5 * r / 2 + extra + SIM_MS(10));
    g_assert_true(w->server_closed);
    g_assert_cmpint(w->server_reason, ==, SIM_CLOSE_PEER);
    g_assert_cmpuint(counter(w, "handshakes.tls_full"), ==, 1);
    world_free(w);
}

static void
test_close_behind_request_tls13(void)
{
    check_close_behind_request(13);
}

static void
test_close_behind_request_tls12(void)
{
    check_close_behind_request(12);
}

/* ---- authentication --------------------------------------------------------- */

static void
test_client_without_cert(void)
{
    const SimTransportOps *ops = ops_or_skip("tls");
    if (!ops)
        return;
    SimStackConfig ca = config(13, creds_a), cb = config(13, creds_b);
    ca.client_cert = FALSE;
    World *w = world_new(ops, &ca, &cb, SIM_MS(DELAY_MS));
    SimConn *c = world_connect(w, "example.net");
    sim_evq_run_until(w->ctx.evq, SIM_S(1));
    g_assert_true(sim_conn_is_open(c));
    g_assert_cmpuint(w->request_at, ==, SIM_MS(250));
    SimConn *s = g_ptr_array_index(w->accepted, 0);
    g_assert_true(sim_conn_is_open(s));
    g_assert_false(s->peer_presented_cert);
    g_assert_cmpint(s->peer->verdict, ==, SIM_PKI_NO_CERT);
    g_assert_true(sim_tls_conn_certificate_request(s));
    g_assert_true(sim_tls_conn_certificate_request(c));
    g_assert_cmpstr(sim_tls_conn_server_name(s), ==, "example.net");
    g_assert_cmpuint(counter(w, "tls.sni_sent"), ==, 1);
    g_assert_cmpuint(counter(w, "handshakes.failed"), ==, 0);
    world_free(w);
}

static void
check_client_failure(const SimPkiCreds *server_creds, const char *name,
                     const char *also_dns, const char *counter_name)
{
    const SimTransportOps *ops = ops_or_skip("tls");
    if (!ops)
        return;
    SimStackConfig ca = config(13, creds_a), cb = config(13, server_creds);
    World *w = world_new(ops, &ca, &cb, SIM_MS(DELAY_MS));
    SimConnectParams p = { .ip = w->b->ip, .port = 5061, .server_name = name,
                           .also_dns_name = also_dns };
    w->client = sim_transport_connect(ops, w->a, &p, &cli_cb, w);
    sim_evq_run_until(w->ctx.evq, SIM_S(5));
    g_assert_true(w->client_closed);
    g_assert_cmpint(w->client_reason, ==, SIM_CLOSE_TLS_FAILED);
    g_assert_cmpuint(w->connected_at, ==, 0);
    g_assert_cmpuint(w->accepted_at->len, ==, 0);
    g_assert_cmpuint(counter(w, "handshakes.failed"), ==, 1);
    g_assert_cmpuint(counter(w, counter_name), ==, 1);
    g_assert_cmpuint(counter(w, "handshakes.tls_full"), ==, 0);
    world_free(w);
}

static void
test_name_mismatch(void)
{
    check_client_failure(creds_b, "example.com", NULL,
                         "tls.failed.name_mismatch");
}

static void
test_dns_name_mismatch(void)
{
    /* b proves sip:example.net and DNS:p2.example.net, not p3. */
    check_client_failure(creds_b, "example.net", "p3.example.net",
                         "tls.failed.dns_name_mismatch");
}

static void
test_server_expired(void)
{
    check_client_failure(creds_expired, "example.net", NULL,
                         "tls.failed.server_expired");
}

static void
test_client_untrusted(void)
{
    /* An invalid client chain fails at the server; in TLS 1.3 the client
     * had completed, so its connection ends with TLS_FAILED. */
    const SimTransportOps *ops = ops_or_skip("tls");
    if (!ops)
        return;
    SimStackConfig ca = config(13, creds_rogue), cb = config(13, creds_b);
    World *w = world_new(ops, &ca, &cb, SIM_MS(DELAY_MS));
    world_connect(w, "example.net");
    sim_evq_run_until(w->ctx.evq, SIM_S(5));
    g_assert_cmpuint(w->accepted_at->len, ==, 0);
    g_assert_cmpuint(w->request_at, ==, 0);
    g_assert_true(w->client_closed);
    g_assert_cmpint(w->client_reason, ==, SIM_CLOSE_TLS_FAILED);
    g_assert_cmpuint(counter(w, "tls.failed.client_untrusted"), ==, 1);
    world_free(w);
}

/* ---- CPU (issue item 7) -------------------------------------------------------- */

static void
test_cpu_queueing(void)
{
    /* N clients connect at 0 over paths of one-way delay d = 100 us
     * (R = 200 us), infinite bandwidth.  The ClientHellos reach b together
     * at t0 = 1.5 R.  The server spends c/2 before its flight and c/2 on
     * the client's flight; the one core serves FIFO, so the N first halves
     * run back to back (until t0 + N c/2), the second halves queue behind
     * them (they arrive from t0 + c/2 + R < t0 + N c/2), and the k-th
     * acceptance (k = 1..N) happens at t0 + N c/2 + k c/2: the last at
     * t0 + N c. */
    const SimTransportOps *ops = ops_or_skip("tls");
    if (!ops)
        return;
    const guint n = 10;
    const SimTime c = SIM_MS(1), d = SIM_US(100), t0 = 3 * d;
    SimStackConfig ca = config(13, creds_a), cb = config(13, creds_b);
    sim_stack_config_set_tls_cost(&cb, c, 0);
    World *w = world_new(ops, &ca, &cb, d);
    w->send_on_connect = FALSE;
    for (guint i = 0; i < n; i++)
        world_connect(w, "example.net");
    sim_evq_run_until(w->ctx.evq, SIM_S(1));
    g_assert_cmpuint(w->accepted_at->len, ==, n);
    for (guint k = 1; k <= n; k++)
        g_assert_cmpuint(g_array_index(w->accepted_at, SimTime, k - 1), ==,
                         t0 + n * c / 2 + k * c / 2);
    g_assert_cmpuint(sim_cpu_crypto_time(w->cpu_b), ==, n * c);
    world_free(w);
}

/* Handshake CPU by version and role (microseconds), all different, as a
 * calibrated profile gives them: [version][role] = { full, resumed }. */
static const SimTime role_cost_us[SIM_TLS_N_VERSIONS][SIM_TLS_N_ROLES][2] = {
    [SIM_TLS_V12] = { [SIM_TLS_ROLE_SERVER] = { 4500, 1300 },
                      [SIM_TLS_ROLE_CLIENT] = { 3500, 900 } },
    [SIM_TLS_V13] = { [SIM_TLS_ROLE_SERVER] = { 3000, 700 },
                      [SIM_TLS_ROLE_CLIENT] = { 2000, 500 } },
};

static void
set_role_costs(SimStackConfig *cfg)
{
    for (guint v = 0; v < SIM_TLS_N_VERSIONS; v++)
        for (guint r = 0; r < SIM_TLS_N_ROLES; r++)
            cfg->tls_cost[v][r] = (SimTlsCost){
                SIM_US(role_cost_us[v][r][0]), SIM_US(role_cost_us[v][r][1]),
                SIM_US(role_cost_us[v][r][0]), SIM_US(role_cost_us[v][r][1])
            };
}

/* One full handshake charges the opener (a) exactly the client's full
 * cost of the version and the acceptor (b) the server's; a resumed one
 * then adds the resumed costs of each role. */
static void
check_role_costs(guint version)
{
    const SimTransportOps *ops = ops_or_skip("tls");
    if (!ops)
        return;
    SimStackConfig ca = config(version, creds_a), cb = config(version,
                                                              creds_b);
    set_role_costs(&ca);
    set_role_costs(&cb);
    guint v = version == 12 ? SIM_TLS_V12 : SIM_TLS_V13;
    const SimTime (*c)[2] = role_cost_us[v];
    World *w = world_new(ops, &ca, &cb, SIM_MS(DELAY_MS));
    world_connect(w, "example.net");
    sim_evq_run_until(w->ctx.evq, SIM_S(1));
    g_assert_cmpuint(counter(w, "handshakes.tls_full"), ==, 1);
    g_assert_cmpuint(sim_cpu_crypto_time(w->cpu_a), ==,
                     SIM_US(c[SIM_TLS_ROLE_CLIENT][0]));
    g_assert_cmpuint(sim_cpu_crypto_time(w->cpu_b), ==,
                     SIM_US(c[SIM_TLS_ROLE_SERVER][0]));
    sim_conn_close(w->client);
    sim_evq_run_until(w->ctx.evq, SIM_S(2));
    world_connect(w, "example.net");
    sim_evq_run_until(w->ctx.evq, SIM_S(3));
    g_assert_cmpuint(counter(w, "handshakes.tls_resumed"), ==, 1);
    g_assert_cmpuint(sim_cpu_crypto_time(w->cpu_a), ==,
                     SIM_US(c[SIM_TLS_ROLE_CLIENT][0] +
                            c[SIM_TLS_ROLE_CLIENT][1]));
    g_assert_cmpuint(sim_cpu_crypto_time(w->cpu_b), ==,
                     SIM_US(c[SIM_TLS_ROLE_SERVER][0] +
                            c[SIM_TLS_ROLE_SERVER][1]));
    world_free(w);
}

static void
test_cpu_roles_tls12(void)
{
    check_role_costs(12);
}

static void
test_cpu_roles_tls13(void)
{
    check_role_costs(13);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("TLS transports: SPEC 3.1 round trips, SPEC 3.2 flight "
                   "bytes from real DER, resumption, R9/R15 checks, CPU");
    SimPkiParams p = { .key = SIM_KEY_ECDSA_P256, .ca_name = "TLS Test CA" };
    g_autoptr(GError) error = NULL;
    test_pki = sim_pki_new(&p, &error);
    g_assert_no_error(error);
    const char *san_a[] = { "URI:sip:example.com", "DNS:p1.example.com",
                            NULL };
    const char *san_b[] = { "URI:sip:example.net", "DNS:p2.example.net",
                            NULL };
    creds_a = sim_pki_issue(test_pki, "a", san_a, FALSE, FALSE, &error);
    creds_b = sim_pki_issue(test_pki, "b", san_b, FALSE, FALSE, &error);
    creds_expired = sim_pki_issue(test_pki, "b", san_b, TRUE, FALSE, &error);
    creds_rogue = sim_pki_issue(test_pki, "a", san_a, FALSE, TRUE, &error);
    g_assert_no_error(error);

    g_test_add_func("/tls/rtt/tls12-full", test_rtt_tls12_full);
    g_test_add_func("/tls/rtt/tls13-full", test_rtt_tls13_full);
    g_test_add_func("/tls/rtt/tls12-sctp-bundled", test_rtt_tls12_sctp);
    g_test_add_func("/tls/rtt/tls12-sctp-unbundled",
                    test_rtt_sctp_tls12_full_unbundled);
    g_test_add_func("/tls/rtt/tls13-sctp-bundled", test_rtt_sctp_tls13_full);
    g_test_add_func("/tls/rtt/tls13-sctp-unbundled",
                    test_rtt_sctp_tls13_full_unbundled);
    g_test_add_func("/tls/rtt/tls13-sctp-resumed-bundled",
                    test_rtt_sctp_tls13_resumed);
    g_test_add_func("/tls/rtt/tls13-sctp-resumed-unbundled",
                    test_rtt_sctp_tls13_resumed_unbundled);
    g_test_add_func("/tls/rtt/tls12-sctp-resumed-bundled",
                    test_rtt_sctp_tls12_resumed);
    g_test_add_func("/tls/rtt/tls12-sctp-resumed-unbundled",
                    test_rtt_sctp_tls12_resumed_unbundled);
    g_test_add_func("/tls/bytes/tls13-full-mutual", test_bytes_tls13);
    g_test_add_func("/tls/bytes/tls12-full-mutual", test_bytes_tls12);
    g_test_add_func("/tls/bytes/rsa-2048-full-mutual", test_bytes_rsa);
    g_test_add_func("/tls/bytes/app-record/tls12", test_app_bytes_tls12);
    g_test_add_func("/tls/bytes/app-record/tls13", test_app_bytes_tls13);
    g_test_add_func("/tls/resumption/tls13", test_resumption_tls13);
    g_test_add_func("/tls/resumption/tls12", test_resumption_tls12);
    g_test_add_func("/tls/resumption/tls12-off", test_tls12_no_resumption);
    g_test_add_func("/tls/close/behind-request-in-cpu/tls13",
                    test_close_behind_request_tls13);
    g_test_add_func("/tls/close/behind-request-in-cpu/tls12",
                    test_close_behind_request_tls12);
    g_test_add_func("/tls/auth/client-without-cert",
                    test_client_without_cert);
    g_test_add_func("/tls/auth/name-mismatch", test_name_mismatch);
    g_test_add_func("/tls/auth/dns-name-mismatch", test_dns_name_mismatch);
    g_test_add_func("/tls/auth/server-expired", test_server_expired);
    g_test_add_func("/tls/auth/client-untrusted", test_client_untrusted);
    g_test_add_func("/tls/cpu/queueing", test_cpu_queueing);
    g_test_add_func("/tls/cpu/per-role/tls12", test_cpu_roles_tls12);
    g_test_add_func("/tls/cpu/per-role/tls13", test_cpu_roles_tls13);
    int rc = g_test_run();
    sim_pki_creds_free(creds_a);
    sim_pki_creds_free(creds_b);
    sim_pki_creds_free(creds_expired);
    sim_pki_creds_free(creds_rogue);
    sim_pki_free(test_pki);
    return rc;
}
