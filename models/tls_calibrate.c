/* SPDX-License-Identifier: MIT */
/*
 * Measurement, not simulation: `sipreuse calibrate` times this host's real
 * OpenSSL (sign, verify, X25519 and whole handshakes between two SSL
 * objects over an in-memory BIO pair) with the thread's CPU clock, the
 * only clock read anywhere in the models.  What it measures becomes a CPU
 * profile that runs load (run/profile.c); the simulated TLS of tls.c never
 * calls OpenSSL.
 */
#define G_LOG_DOMAIN "sim-tls"

#include "models/tls.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
/* One key type's credentials as OpenSSL contexts. */
typedef struct {
    SSL_CTX *server;
    SSL_CTX *client;
} CalCtx;

/* Files of one key type's lab chain, written by the PKI module. */
typedef struct {
    char *dir, *ca, *scert, *skey, *ccert, *ckey;
} CalFiles;

static SimTime
cal_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return SIM_S(ts.tv_sec) + (SimTime)ts.tv_nsec;
}

static gboolean
cal_more(const SimTlsCalBudget *b, guint iter, SimTime spent)
{
    return iter < b->min_iter || (iter < b->max_iter && spent < b->budget);
}

static SimTime
cal_sign_verify(EVP_PKEY *key, const SimTlsCalBudget *b, gboolean verify)
{
    const EVP_MD *md = EVP_PKEY_is_a(key, "ED25519") ? NULL : EVP_sha256();
    const guchar msg[32] = { 1, 2, 3 };
    guchar sig[1024];
    size_t sig_len = sizeof sig;
    EVP_MD_CTX *mc = EVP_MD_CTX_new();
    EVP_DigestSignInit(mc, NULL, md, NULL, key);
    EVP_DigestSign(mc, sig, &sig_len, msg, sizeof msg);
    guint iter = 0;
    SimTime spent = 0;
    while (cal_more(b, iter, spent)) {
        SimTime t = cal_cpu_now();
        EVP_MD_CTX_reset(mc);
        if (verify) {
            EVP_DigestVerifyInit(mc, NULL, md, NULL, key);
            EVP_DigestVerify(mc, sig, sig_len, msg, sizeof msg);
        } else {
            size_t n = sizeof sig;
            EVP_DigestSignInit(mc, NULL, md, NULL, key);
            EVP_DigestSign(mc, sig, &n, msg, sizeof msg);
        }
        spent += cal_cpu_now() - t;
        iter++;
    }
    EVP_MD_CTX_free(mc);
    return iter ? spent / iter : 0;
}

static SimTime
cal_x25519(const SimTlsCalBudget *b)
{
    EVP_PKEY *peer = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    guint iter = 0;
    SimTime spent = 0;
    while (cal_more(b, iter, spent)) {
        SimTime t = cal_cpu_now();
        EVP_PKEY *mine = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
        EVP_PKEY_CTX *dc = EVP_PKEY_CTX_new(mine, NULL);
        guchar secret[32];
        size_t n = sizeof secret;
        EVP_PKEY_derive_init(dc);
        EVP_PKEY_derive_set_peer(dc, peer);
        EVP_PKEY_derive(dc, secret, &n);
        EVP_PKEY_CTX_free(dc);
        EVP_PKEY_free(mine);
        spent += cal_cpu_now() - t;
        iter++;
    }
    EVP_PKEY_free(peer);
    return iter ? spent / iter : 0;
}

/* Runs one handshake between fresh SSL objects; adds each role's CPU. */
static gboolean
cal_handshake(CalCtx *cc, SSL_SESSION **session, SimTlsCost *srv,
              SimTlsCost *cli, gboolean *reused)
{
    SSL *s = SSL_new(cc->server), *c = SSL_new(cc->client);
    BIO *bs, *bc;
    BIO_new_bio_pair(&bs, 0, &bc, 0);
    SSL_set_bio(s, bs, bs);
    SSL_set_bio(c, bc, bc);
    SSL_set_accept_state(s);
    SSL_set_connect_state(c);
    if (*session)
        SSL_set_session(c, *session);
    gboolean sdone = FALSE, cdone = FALSE;
    SimTime st = 0, ct = 0;
    for (guint round = 0; round < 20 && !(sdone && cdone); round++) {
        SimTime t = cal_cpu_now();
        cdone = cdone || SSL_do_handshake(c) == 1;
        SimTime u = cal_cpu_now();
        sdone = sdone || SSL_do_handshake(s) == 1;
        ct += u - t;
        st += cal_cpu_now() - u;
    }
    /* Let the client read the TLS 1.3 tickets. */
    guchar buf[1];
    SSL_read(c, buf, sizeof buf);
    ERR_clear_error();
    gboolean ok = sdone && cdone;
    *reused = SSL_session_reused(c) == 1;
    if (*reused) {
        srv->resumed += st;
        cli->resumed += ct;
    } else {
        srv->full += st;
        cli->full += ct;
    }
    /* TLS 1.3 tickets are single-use: keep the newest session. */
    if (ok) {
        SSL_SESSION *fresh = SSL_get1_session(c);
        SSL_SESSION_free(*session);
        *session = fresh;
    }
    /* Freeing without a shutdown would mark the session not resumable. */
    SSL_set_shutdown(c, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_set_shutdown(s, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(s);
    SSL_free(c);
    return ok;
}

/* Mean per-role CPU of full (@resumed FALSE) or resumed handshakes, added
 * to srv and cli. */
static gboolean
cal_handshakes(CalCtx *cc, gboolean resumed, const SimTlsCalBudget *b,
               SimTlsCost *srv, SimTlsCost *cli)
{
    SSL_SESSION *session = NULL;
    SimTlsCost s = { 0 }, c = { 0 };
    gboolean reused;
    if (resumed && !cal_handshake(cc, &session, &s, &c, &reused))
        return FALSE;
    s = c = (SimTlsCost){ 0 };
    guint iter = 0;
    while (cal_more(b, iter, s.full + c.full + s.resumed + c.resumed)) {
        SSL_SESSION *use = resumed ? session : NULL;
        gboolean ok = cal_handshake(cc, &use, &s, &c, &reused);
        if (resumed)
            session = use;
        else
            SSL_SESSION_free(use);
        if (!ok || reused != resumed) {
            SSL_SESSION_free(session);
            return FALSE;
        }
        iter++;
    }
    SSL_SESSION_free(session);
    if (!iter)
        return FALSE;
    if (resumed) {
        srv->resumed = s.resumed / iter;
        cli->resumed = c.resumed / iter;
    } else {
        srv->full = s.full / iter;
        cli->full = c.full / iter;
    }
    return TRUE;
}

static int
cal_verify_cb(int ok, X509_STORE_CTX *x)
{
    return ok;
}

static SSL_CTX *
cal_ssl_ctx(gboolean server, int version, const char *cert, const char *key,
            const char *ca)
{
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method()
                                      : TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, version);
    SSL_CTX_set_max_proto_version(ctx, version);
    SSL_CTX_use_certificate_chain_file(ctx, cert);
    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM);
    SSL_CTX_load_verify_locations(ctx, ca, NULL);
    /* P-256 listed too: TLS 1.2 needs it for ECDSA P-256 certificates;
     * X25519 is preferred for the key exchange. */
    SSL_CTX_set1_groups_list(ctx, "X25519:P-256");
    /* The generated lab chain is valid at the PKI's reference time. */
    X509_VERIFY_PARAM_set_time(SSL_CTX_get0_param(ctx),
                               (time_t)SIM_PKI_REFERENCE_TIME);
    SSL_CTX_set_verify(ctx,
                       SSL_VERIFY_PEER |
                           (server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                       cal_verify_cb);
    if (server) {
        SSL_CTX_set_session_id_context(ctx, (const guchar *)"sipreuse", 8);
        SSL_CTX_set_num_tickets(ctx, 1);
    } else {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT);
    }
    return ctx;
}

static void
cal_files_clear(CalFiles *f)
{
    const char *const all[] = { f->ca, f->scert, f->skey, f->ccert, f->ckey };
    for (guint i = 0; i < G_N_ELEMENTS(all); i++)
        if (all[i])
            g_unlink(all[i]);
    if (f->dir)
        g_rmdir(f->dir);
    g_free(f->dir);
    g_free(f->ca);
    g_free(f->scert);
    g_free(f->skey);
    g_free(f->ccert);
    g_free(f->ckey);
}

/* A lab chain per role (SPEC 3.2 names), generated by the PKI module and
 * written to a temporary folder for SSL_CTX. */
static gboolean
cal_files(SimKeyType kt, CalFiles *f, GError **error)
{
    SimPkiParams p = { .key = kt, .ca_name = "sipreuse calibrate CA" };
    g_autoptr(SimPki) pki = sim_pki_new(&p, error);
    if (!pki)
        return FALSE;
    const char *ss[] = { "URI:sip:example.net", "DNS:p2.example.net", NULL };
    const char *cs[] = { "URI:sip:example.com", "DNS:p1.example.com", NULL };
    g_autoptr(SimPkiCreds) s = sim_pki_issue(pki, "p2", ss, FALSE, FALSE,
                                             error);
    g_autoptr(SimPkiCreds) c = s ? sim_pki_issue(pki, "p1", cs, FALSE, FALSE,
                                                 error)
                                 : NULL;
    if (!c)
        return FALSE;
    f->dir = g_dir_make_tmp("sipreuse-calibrate-XXXXXX", error);
    if (!f->dir)
        return FALSE;
    f->ca = g_build_filename(f->dir, "ca.pem", NULL);
    f->scert = g_build_filename(f->dir, "s.crt", NULL);
    f->skey = g_build_filename(f->dir, "s.key", NULL);
    f->ccert = g_build_filename(f->dir, "c.crt", NULL);
    f->ckey = g_build_filename(f->dir, "c.key", NULL);
    return sim_pki_write_ca(pki, f->ca, NULL, error) &&
           sim_pki_creds_write_pem(s, f->scert, f->skey, error) &&
           sim_pki_creds_write_pem(c, f->ccert, f->ckey, error);
}

static EVP_PKEY *
cal_load_key(const char *path)
{
    FILE *fp = fopen(path, "r");
    EVP_PKEY *k = fp ? PEM_read_PrivateKey(fp, NULL, NULL, NULL) : NULL;
    if (fp)
        fclose(fp);
    return k;
}

/* Full then resumed handshakes of one version, both roles. */
static gboolean
cal_version(const CalFiles *f, int version, const SimTlsCalBudget *b,
            SimTlsCost cost[SIM_TLS_N_ROLES])
{
    CalCtx cc = { cal_ssl_ctx(TRUE, version, f->scert, f->skey, f->ca),
                  cal_ssl_ctx(FALSE, version, f->ccert, f->ckey, f->ca) };
    SimTlsCost *srv = &cost[SIM_TLS_ROLE_SERVER];
    SimTlsCost *cli = &cost[SIM_TLS_ROLE_CLIENT];
    gboolean ok = cal_handshakes(&cc, FALSE, b, srv, cli) &&
                  cal_handshakes(&cc, TRUE, b, srv, cli);
    SSL_CTX_free(cc.server);
    SSL_CTX_free(cc.client);
    return ok;
}

/**
 * sim_tls_calibrate:
 * @key: the key type to measure
 * @budget: how long to measure each figure
 * @out: (out caller-allocates): the figures
 * @error: return location for a %SIM_TRANSPORT_ERROR (or a %SIM_PKI_ERROR
 *   if the lab chain cannot be made)
 *
 * Measures this host with the real OpenSSL: one signature and one
 * verification with @key, one X25519 agreement, and whole TLS 1.2 and 1.3
 * handshakes with mutual authentication (full, then resumed) between two
 * SSL objects over an in-memory BIO pair, each role's CPU timed apart on
 * the thread's CPU clock.  The chain is a generated lab chain of @key
 * (leaf + CA).  Real time passes here; nothing is simulated.
 *
 * Returns: %TRUE on success.
 */
gboolean
sim_tls_calibrate(SimKeyType key, const SimTlsCalBudget *budget,
                  SimTlsCalibration *out, GError **error)
{
    g_return_val_if_fail(key < SIM_KEY_N_TYPES && budget && out, FALSE);
    CalFiles f = { 0 };
    *out = (SimTlsCalibration){ 0 };
    gboolean ok = cal_files(key, &f, error);
    EVP_PKEY *pk = ok ? cal_load_key(f.skey) : NULL;
    if (ok && pk) {
        out->sign = cal_sign_verify(pk, budget, FALSE);
        out->verify = cal_sign_verify(pk, budget, TRUE);
        out->ecdh = cal_x25519(budget);
        ok = cal_version(&f, TLS1_2_VERSION, budget,
                         out->handshake[SIM_TLS_V12]) &&
             cal_version(&f, TLS1_3_VERSION, budget,
                         out->handshake[SIM_TLS_V13]);
        if (!ok)
            g_set_error(error, SIM_TRANSPORT_ERROR, 0,
                        "%s: an OpenSSL handshake failed",
                        sim_key_type_name(key));
    } else if (ok) {
        ok = FALSE;
        g_set_error(error, SIM_TRANSPORT_ERROR, 0,
                    "%s: cannot read the generated key",
                    sim_key_type_name(key));
    }
    ERR_clear_error();
    EVP_PKEY_free(pk);
    cal_files_clear(&f);
    return ok;
}

/**
 * sim_tls_library_version:
 *
 * Returns: (transfer none): the TLS library's version text (for the
 *   profile's host description).
 */
const char *
sim_tls_library_version(void)
{
    return OpenSSL_version(OPENSSL_VERSION);
}
