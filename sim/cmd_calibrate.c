/* SPDX-License-Identifier: MIT */
/*
 * `sipreuse calibrate`: measures this host's TLS costs with OpenSSL for
 * real and writes a CPU profile (sim/profile.h).  Per key type: one
 * signature, one verification, one X25519 agreement, and whole TLS 1.2 and
 * 1.3 handshakes (full with mutual authentication, and resumed) run between
 * two SSL objects over an in-memory BIO pair, timing each role's CPU
 * separately (thread CPU clock).  Each figure repeats until it has used
 * about 0.2 s of CPU (--quick: a few iterations), so the whole run takes
 * roughly 10-15 s.  Measurement, not simulation: the clock is real here.
 */
#include "sim/cli.h"
#include "sim/profile.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

/* How long and how often each figure is measured. */
typedef struct {
    /* Stop once this much CPU has been spent (ns)... */
    SimTime budget;
    /* ...and at least this many iterations ran. */
    guint min_iter;
    /* Never more than this many. */
    guint max_iter;
} CalBudget;

/* One key type's credentials as OpenSSL contexts. */
typedef struct {
    SSL_CTX *server;
    SSL_CTX *client;
    EVP_PKEY *key;
} CalCtx;

static SimTime
cal_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return SIM_S(ts.tv_sec) + (SimTime)ts.tv_nsec;
}

static gboolean
cal_more(const CalBudget *b, guint iter, SimTime spent)
{
    return iter < b->min_iter || (iter < b->max_iter && spent < b->budget);
}

/* ---- operations ---------------------------------------------------------- */

static SimTime
cal_sign_verify(EVP_PKEY *key, const CalBudget *b, gboolean verify)
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
    return spent / iter;
}

static SimTime
cal_x25519(const CalBudget *b)
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
    return spent / iter;
}

/* ---- handshakes ------------------------------------------------------------ */

/* Runs one handshake between fresh SSL objects; adds each role's CPU. */
static gboolean
cal_handshake(CalCtx *cc, SSL_SESSION **session, SimTime *srv, SimTime *cli,
              gboolean *reused)
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
    for (guint round = 0; round < 20 && !(sdone && cdone); round++) {
        SimTime t = cal_cpu_now();
        cdone = cdone || SSL_do_handshake(c) == 1;
        SimTime u = cal_cpu_now();
        sdone = sdone || SSL_do_handshake(s) == 1;
        *cli += u - t;
        *srv += cal_cpu_now() - u;
    }
    /* Let the client read the TLS 1.3 tickets. */
    guchar buf[1];
    SSL_read(c, buf, sizeof buf);
    ERR_clear_error();
    gboolean ok = sdone && cdone;
    *reused = SSL_session_reused(c) == 1;
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

/* Mean per-role CPU of full (resumed = FALSE) or resumed handshakes. */
static gboolean
cal_handshakes(CalCtx *cc, gboolean resumed, const CalBudget *b,
               SimTime *srv, SimTime *cli)
{
    SSL_SESSION *session = NULL;
    SimTime s = 0, c = 0;
    gboolean reused;
    if (resumed && !cal_handshake(cc, &session, &s, &c, &reused))
        return FALSE;
    s = c = 0;
    guint iter = 0;
    while (cal_more(b, iter, s + c)) {
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
    *srv = s / iter;
    *cli = c / iter;
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

/* Files of one key type's lab chain, written by the PKI module. */
typedef struct {
    char *dir, *ca, *scert, *skey, *ccert, *ckey;
} CalFiles;

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

static gboolean
cal_files(SimKeyType kt, CalFiles *f, SimPkiCreds **server, GError **error)
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
    *server = g_steal_pointer(&s);
    return sim_pki_write_ca(pki, f->ca, NULL, error) &&
           sim_pki_creds_write_pem(*server, f->scert, f->skey, error) &&
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

static gboolean
cal_version(const CalFiles *f, int version, const CalBudget *b,
            SimTime out[4])
{
    CalCtx cc = { cal_ssl_ctx(TRUE, version, f->scert, f->skey, f->ca),
                  cal_ssl_ctx(FALSE, version, f->ccert, f->ckey, f->ca),
                  NULL };
    gboolean ok = cal_handshakes(&cc, FALSE, b, &out[0], &out[1]) &&
                  cal_handshakes(&cc, TRUE, b, &out[2], &out[3]);
    SSL_CTX_free(cc.server);
    SSL_CTX_free(cc.client);
    return ok;
}

static gboolean
cal_key_type(SimKeyType kt, const CalBudget *b, SimCpuKeyCosts *k,
             GError **error)
{
    CalFiles f = { 0 };
    g_autoptr(SimPkiCreds) server = NULL;
    gboolean ok = cal_files(kt, &f, &server, error);
    EVP_PKEY *key = ok ? cal_load_key(f.skey) : NULL;
    SimTime v13[4], v12[4];
    if (ok && key) {
        k->sign = cal_sign_verify(key, b, FALSE);
        k->verify = cal_sign_verify(key, b, TRUE);
        k->ecdh = cal_x25519(b);
        ok = cal_version(&f, TLS1_2_VERSION, b, v12) &&
             cal_version(&f, TLS1_3_VERSION, b, v13);
        if (!ok)
            g_set_error(error, SIM_PROFILE_ERROR, SIM_PROFILE_ERROR_FAILED,
                        "%s: an OpenSSL handshake failed",
                        sim_key_type_name(kt));
    }
    if (ok) {
        *k = (SimCpuKeyCosts){ v13[0], v13[1], v13[2], v13[3], v12[0], v12[1],
                               v12[2], v12[3], k->sign, k->verify, k->ecdh };
    }
    EVP_PKEY_free(key);
    cal_files_clear(&f);
    return ok;
}

static char *
cal_host_info(void)
{
    g_autofree char *cpuinfo = NULL;
    g_autofree char *model = NULL;
    if (g_file_get_contents("/proc/cpuinfo", &cpuinfo, NULL, NULL)) {
        char *m = strstr(cpuinfo, "model name");
        char *colon = m ? strchr(m, ':') : NULL;
        if (colon)
            model = g_strndup(colon + 2, strcspn(colon + 2, "\n"));
    }
    return g_strdup_printf("%s; %s; %u threads", model ? model : "unknown",
                           OpenSSL_version(OPENSSL_VERSION),
                           g_get_num_processors());
}

/**
 * sim_cmd_calibrate:
 * @argc: argument count
 * @argv: arguments; argv[0] is "calibrate"
 *
 * Returns: the exit status.
 */
int
sim_cmd_calibrate(int argc, char **argv)
{
    g_autofree char *out = NULL;
    gboolean quick = FALSE;
    const GOptionEntry entries[] = {
        { "out", 0, 0, G_OPTION_ARG_FILENAME, &out,
          "Profile file to write (default cpu-profile.ini)", "FILE" },
        { "quick", 0, 0, G_OPTION_ARG_NONE, &quick,
          "A few iterations only (tests; figures are rough)", NULL },
        G_OPTION_ENTRY_NULL
    };
    int rc = sim_cli_parse(sim_cli_context("calibrate", entries), &argc, &argv);
    if (rc)
        return rc;
    CalBudget b = quick ? (CalBudget){ 0, 2, 2 }
                        : (CalBudget){ SIM_MS(200), 5, 100000 };
    g_auto(SimCpuProfile) p = { 0 };
    sim_cpu_profile_init_defaults(&p);
    p.host = cal_host_info();
    for (guint t = 0; t < SIM_KEY_N_TYPES; t++) {
        g_autoptr(GError) error = NULL;
        if (!cal_key_type(t, &b, &p.key[t], &error)) {
            fprintf(stderr, "sipreuse calibrate: %s\n", error->message);
            return SIM_EXIT_FAILURE;
        }
        const SimCpuKeyCosts *k = &p.key[t];
        printf("%-10s full server %8.1f us  client %8.1f us  resumed server "
               "%7.1f us  client %7.1f us  sign %7.1f  verify %7.1f  ecdh "
               "%5.1f\n",
               sim_key_type_name(t), k->tls_full_server / 1e3,
               k->tls_full_client / 1e3, k->tls_resumed_server / 1e3,
               k->tls_resumed_client / 1e3, k->sign / 1e3, k->verify / 1e3,
               k->ecdh / 1e3);
    }
    g_autoptr(GError) error = NULL;
    const char *path = out ? out : "cpu-profile.ini";
    if (!sim_cpu_profile_save(&p, path, &error)) {
        fprintf(stderr, "sipreuse calibrate: %s\n", error->message);
        return SIM_EXIT_FAILURE;
    }
    printf("wrote %s\n", path);
    return SIM_EXIT_OK;
}
