/* SPDX-License-Identifier: MIT */
/*
 * Tests of the measurements behind `sipreuse calibrate` (real OpenSSL,
 * real loopback sockets, quick budgets).  No timing is compared: each
 * test checks that every figure was measured (positive) and that the
 * measurement ran what it claims: the handshake messages each role sent
 * (RFC 8446 4.4.2-4.4.4 and 4.3.2, RFC 5246 7.4), that resumed handshakes
 * resumed, that records carried their bytes with TLS 1.3's record
 * overhead (RFC 8446 5.2: 5 B header, 1 B content type, 16 B AEAD tag),
 * and that releasing idle buffers holds less memory than keeping them.
 */
#include "models/sock_calibrate.h"
#include "models/tls.h"

#include <stdlib.h>

/* Handshake message types (RFC 8446 4, RFC 5246 7.4). */
enum {
    HS_CLIENT_HELLO = 1,
    HS_SERVER_HELLO = 2,
    HS_NEW_SESSION_TICKET = 4,
    HS_ENCRYPTED_EXTENSIONS = 8,
    HS_CERTIFICATE = 11,
    HS_SERVER_KEY_EXCHANGE = 12,
    HS_CERTIFICATE_REQUEST = 13,
    HS_SERVER_HELLO_DONE = 14,
    HS_CERTIFICATE_VERIFY = 15,
    HS_CLIENT_KEY_EXCHANGE = 16,
    HS_FINISHED = 20,
};

#define SENT(mask, type) (((mask) >> (type)) & 1u)

static const SimTlsCalBudget quick = { 0, 2, 2 };

/* What each role must (1) and must not (0) have sent in one run. */
static void
check_run(const SimTlsCalRun *r, guint v, guint a, guint k)
{
    gboolean v13 = v == SIM_TLS_V13;
    gboolean mutual = a == SIM_TLS_CAL_MUTUAL;
    gboolean full = k == SIM_TLS_CAL_FULL;
    guint32 s = r->sent[SIM_TLS_ROLE_SERVER];
    guint32 c = r->sent[SIM_TLS_ROLE_CLIENT];
    g_test_message("v%s %s %s: server %08x client %08x", v13 ? "1.3" : "1.2",
                   mutual ? "mutual" : "one-way", full ? "full" : "resumed",
                   s, c);
    g_assert_cmpuint(r->n, ==, quick.min_iter);
    g_assert_cmpuint(r->reused, ==, full ? 0 : r->n);
    g_assert_cmpuint(r->version, ==, v13 ? 0x0304 : 0x0303);
    g_assert_true(SENT(c, HS_CLIENT_HELLO));
    g_assert_true(SENT(s, HS_SERVER_HELLO));
    g_assert_true(SENT(s, HS_FINISHED));
    g_assert_true(SENT(c, HS_FINISHED));
    /* The server's certificate and signature in full handshakes only. */
    g_assert_cmpuint(SENT(s, HS_CERTIFICATE), ==, full);
    g_assert_cmpuint(SENT(s, HS_CERTIFICATE_VERIFY), ==, full && v13);
    /* A CertificateRequest only in a full mutual handshake (never when
     * resuming: RFC 8446 4.3.2, RFC 5246 7.3), and the client's
     * Certificate and CertificateVerify only then. */
    g_assert_cmpuint(SENT(s, HS_CERTIFICATE_REQUEST), ==, full && mutual);
    g_assert_cmpuint(SENT(c, HS_CERTIFICATE), ==, full && mutual);
    g_assert_cmpuint(SENT(c, HS_CERTIFICATE_VERIFY), ==, full && mutual);
    if (v13) {
        g_assert_true(SENT(s, HS_ENCRYPTED_EXTENSIONS));
        /* A ticket for the next resumption. */
        g_assert_true(SENT(s, HS_NEW_SESSION_TICKET));
    } else {
        g_assert_cmpuint(SENT(s, HS_SERVER_KEY_EXCHANGE), ==, full);
        g_assert_cmpuint(SENT(s, HS_SERVER_HELLO_DONE), ==, full);
        g_assert_cmpuint(SENT(c, HS_CLIENT_KEY_EXCHANGE), ==, full);
    }
}

static void
check_cost(const SimTlsCost *c)
{
    g_assert_cmpuint(c->full, >, 0);
    g_assert_cmpuint(c->resumed, >, 0);
}

/* Every handshake configuration ran what it says, for one key type. */
static void
test_handshakes(gconstpointer data)
{
    SimKeyType kt = GPOINTER_TO_UINT(data);
    g_autoptr(GError) error = NULL;
    SimTlsCalibration m;
    g_assert_true(sim_tls_calibrate(kt, g_getenv("SIPREUSE_CACHE"), &quick,
                                    &m, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(m.sign, >, 0);
    g_assert_cmpuint(m.verify, >, 0);
    g_assert_cmpuint(m.ecdh, >, 0);
    for (guint v = 0; v < SIM_TLS_N_VERSIONS; v++) {
        for (guint r = 0; r < SIM_TLS_N_ROLES; r++) {
            check_cost(&m.handshake[v][r]);
            check_cost(&m.oneway[v][r]);
        }
        for (guint a = 0; a < SIM_TLS_CAL_N_AUTH; a++)
            for (guint k = 0; k < SIM_TLS_CAL_N_KINDS; k++)
                check_run(&m.runs[a][v][k], v, a, k);
    }
}

/* Records carried their bytes; memory is measured and smaller when idle
 * buffers are released. */
static void
test_records_memory(void)
{
    g_autoptr(GError) error = NULL;
    SimTlsHostCalibration h;
    g_assert_true(sim_tls_calibrate_host(SIM_KEY_ECDSA_P256,
                                         g_getenv("SIPREUSE_CACHE"), &quick,
                                         &h, &error));
    g_assert_no_error(error);
    g_test_message("%s: seal %" G_GUINT64_FORMAT " ns + %" G_GUINT64_FORMAT
                   " ns/KiB, open %" G_GUINT64_FORMAT " + %" G_GUINT64_FORMAT
                   "; memory %" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT,
                   h.cipher, h.seal_record, h.seal_per_kib, h.open_record,
                   h.open_per_kib, h.mem_server, h.mem_client);
    g_assert_cmpuint(h.seal_record, >, 0);
    g_assert_cmpuint(h.seal_per_kib, >, 0);
    g_assert_cmpuint(h.open_record, >, 0);
    g_assert_cmpuint(h.open_per_kib, >, 0);
    g_assert_nonnull(h.cipher);
    /* Records of 200 B up to the largest a record holds (2^14). */
    g_assert_cmpuint(h.min_size, <=, 200);
    g_assert_cmpuint(h.max_size, ==, 16384);
    g_assert_cmpuint(h.records, >, 0);
    g_assert_cmpuint(h.payload_written, >=, (guint64)h.records * h.min_size);
    g_assert_cmpuint(h.payload_read, ==, h.payload_written);
    g_assert_cmpuint(h.wire_bytes, ==, h.payload_written + 22 * h.records);
    if (g_getenv("SIPREUSE_VALGRIND")) {
        g_assert_cmpuint(h.mem_pairs, ==, 0);
        return;
    }
    g_assert_cmpuint(h.mem_pairs, >, 0);
    g_assert_cmpuint(h.mem_server_release, >, 0);
    g_assert_cmpuint(h.mem_client_release, >, 0);
    /* Default mode keeps a read and a write buffer per connection. */
    g_assert_cmpuint(h.mem_server, >, h.mem_server_release);
    g_assert_cmpuint(h.mem_client, >, h.mem_client_release);
}

/* Loopback connections were made, each operation measured. */
static void
test_sockets(void)
{
    g_autoptr(GError) error = NULL;
    SimSockCalibration k;
    g_assert_true(sim_sock_calibrate(0, 3, 3, &k, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(k.n, ==, 3);
    g_assert_cmpuint(k.connect, >, 0);
    g_assert_cmpuint(k.accept, >, 0);
    g_assert_cmpuint(k.close_client, >, 0);
    g_assert_cmpuint(k.close_server, >, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/calibrate/handshakes/ecdsa-p256",
                         GUINT_TO_POINTER(SIM_KEY_ECDSA_P256),
                         test_handshakes);
    g_test_add_data_func("/calibrate/handshakes/rsa-2048",
                         GUINT_TO_POINTER(SIM_KEY_RSA_2048), test_handshakes);
    g_test_add_data_func("/calibrate/handshakes/ed25519",
                         GUINT_TO_POINTER(SIM_KEY_ED25519), test_handshakes);
    g_test_add_func("/calibrate/records-memory", test_records_memory);
    g_test_add_func("/calibrate/sockets", test_sockets);
    return g_test_run();
}
