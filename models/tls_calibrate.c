/* SPDX-License-Identifier: MIT */
/*
 * Measurement, not simulation: `sipreuse calibrate` times this host's real
 * OpenSSL with the thread's CPU clock: sign, verify, X25519, whole
 * handshakes between two SSL objects over an in-memory BIO pair (per role;
 * TLS 1.2 and 1.3; with and without a client certificate; full and
 * resumed), sealing and opening application records, and the heap an
 * established connection holds (mallinfo2).  What it measures becomes a
 * CPU profile that runs load (run/profile.c); the simulated TLS of tls.c
 * never calls OpenSSL, and no simulation code calls this file.
 */
#define G_LOG_DOMAIN "sim-tls"

#include "models/tls.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#if defined(__SANITIZE_ADDRESS__)
#define CAL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CAL_ASAN 1
#endif
#endif
#ifdef CAL_ASAN
/* From the sanitizer runtime (sanitizer/allocator_interface.h, a header
 * GCC does not install). */
size_t __sanitizer_get_current_allocated_bytes(void);
#else
#define CAL_ASAN 0
#include <malloc.h>
#endif

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

/* Records the type of each handshake message a role sends (the message
 * callback of both contexts; arg is that SSL's guint32 mask). */
static void
cal_msg_cb(int write_p, int version, int content_type, const void *buf,
           size_t len, SSL *ssl, void *arg)
{
    if (!write_p || content_type != SSL3_RT_HANDSHAKE || len < 1 || !arg)
        return;
    guint type = ((const guchar *)buf)[0];
    if (type < 32)
        *(guint32 *)arg |= 1u << type;
}

/* Runs one handshake between fresh SSL objects and adds each role's CPU
 * to cpu[]: SSL_new (with the session to offer, for the client), every
 * SSL_do_handshake call of that role (client and server take turns in
 * this thread, so each call is charged to the role that made it), the
 * client's read of the TLS 1.3 session tickets, and SSL_free.  The
 * memory BIO pair standing for the socket is made and freed untimed.
 * Returns FALSE if the handshake did not complete. */
static gboolean
cal_handshake(CalCtx *cc, SSL_SESSION **session, SimTime cpu[2],
              SimTlsCalRun *run)
{
    guint32 sent[SIM_TLS_N_ROLES] = { 0 };
    SimTime t0 = cal_cpu_now();
    SSL *s = SSL_new(cc->server);
    SimTime t1 = cal_cpu_now();
    SSL *c = SSL_new(cc->client);
    if (*session)
        SSL_set_session(c, *session);
    SimTime t2 = cal_cpu_now();
    SimTime st = t1 - t0, ct = t2 - t1;
    BIO *bs, *bc;
    BIO_new_bio_pair(&bs, 0, &bc, 0);
    SSL_set_bio(s, bs, bs);
    SSL_set_bio(c, bc, bc);
    SSL_set_msg_callback_arg(s, &sent[SIM_TLS_ROLE_SERVER]);
    SSL_set_msg_callback_arg(c, &sent[SIM_TLS_ROLE_CLIENT]);
    SSL_set_accept_state(s);
    SSL_set_connect_state(c);
    gboolean sdone = FALSE, cdone = FALSE;
    for (guint round = 0; round < 20 && !(sdone && cdone); round++) {
        SimTime t = cal_cpu_now();
        cdone = cdone || SSL_do_handshake(c) == 1;
        SimTime u = cal_cpu_now();
        sdone = sdone || SSL_do_handshake(s) == 1;
        ct += u - t;
        st += cal_cpu_now() - u;
    }
    /* The client reads the TLS 1.3 tickets (nothing under TLS 1.2). */
    guchar buf[1];
    SimTime t = cal_cpu_now();
    SSL_read(c, buf, sizeof buf);
    ct += cal_cpu_now() - t;
    ERR_clear_error();
    gboolean ok = sdone && cdone;
    gboolean reused = SSL_session_reused(c) == 1;
    if (ok) {
        run->n++;
        run->reused += reused;
        run->version = (guint)SSL_version(c);
        memcpy(run->sent, sent, sizeof sent);
        /* TLS 1.3 tickets are single-use: keep the newest session. */
        SSL_SESSION *fresh = SSL_get1_session(c);
        SSL_SESSION_free(*session);
        *session = fresh;
    }
    /* Freeing without a shutdown would mark the session not resumable. */
    SSL_set_shutdown(c, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_set_shutdown(s, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_set_bio(s, NULL, NULL);
    SSL_set_bio(c, NULL, NULL);
    t = cal_cpu_now();
    SSL_free(s);
    SimTime u = cal_cpu_now();
    SSL_free(c);
    ct += cal_cpu_now() - u;
    st += u - t;
    cpu[SIM_TLS_ROLE_SERVER] += st;
    cpu[SIM_TLS_ROLE_CLIENT] += ct;
    return ok;
}

static int
cal_verify_cb(int ok, X509_STORE_CTX *x)
{
    return ok;
}

/* A context of one role pinned to @version; a server asks for a client
 * certificate (and requires one) only if @mutual. */
static SSL_CTX *
cal_ssl_ctx(gboolean server, int version, const char *cert, const char *key,
            const char *ca, gboolean mutual)
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
    if (server && !mutual)
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    else
        SSL_CTX_set_verify(ctx,
                           SSL_VERIFY_PEER |
                               (server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                           cal_verify_cb);
    SSL_CTX_set_msg_callback(ctx, cal_msg_cb);
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

/* A lab chain per role, generated by the PKI module (or taken from its
 * cache at @cache_dir, if not NULL) and written to a temporary folder for
 * SSL_CTX. */
static gboolean
cal_files(SimKeyType kt, const char *cache_dir, CalFiles *f, GError **error)
{
    SimPkiParams p = { .key = kt, .ca_name = "sipreuse calibrate CA",
                       .cache_dir = cache_dir };
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

/* The context pair of one version and authentication. */
static CalCtx
cal_ctx_pair(const CalFiles *f, int version, gboolean mutual)
{
    return (CalCtx){
        cal_ssl_ctx(TRUE, version, f->scert, f->skey, f->ca, mutual),
        cal_ssl_ctx(FALSE, version, f->ccert, f->ckey, f->ca, TRUE),
    };
}

static void
cal_ctx_clear(CalCtx *cc)
{
    SSL_CTX_free(cc->server);
    SSL_CTX_free(cc->client);
}

/* One handshake configuration being timed: a context pair, full or
 * resumed, and what its handshakes have used so far. */
typedef struct {
    CalCtx *cc;
    gboolean resumed;
    /* The session the next resumed handshake offers. */
    SSL_SESSION *session;
    SimTime cpu[SIM_TLS_N_ROLES];
    guint iter;
    gboolean ok;
    SimTlsCalRun *run;
    SimTlsCost *srv, *cli;
} CalConf;

/* A first full handshake, untimed, warms OpenSSL's lazy initialisation up
 * and gives a resumed configuration its session. */
static void
cal_conf_start(CalConf *c)
{
    SimTime scratch[SIM_TLS_N_ROLES] = { 0 };
    c->ok = cal_handshake(c->cc, &c->session, scratch, c->run);
    if (!c->resumed)
        g_clear_pointer(&c->session, SSL_SESSION_free);
    *c->run = (SimTlsCalRun){ 0 };
}

static void
cal_conf_step(CalConf *c)
{
    SSL_SESSION *use = c->resumed ? c->session : NULL;
    c->ok = cal_handshake(c->cc, &use, c->cpu, c->run);
    if (c->resumed)
        c->session = use;
    else
        SSL_SESSION_free(use);
    c->iter++;
}

/* Mean per-role CPU into srv and cli.  Fails if a handshake failed, or a
 * full one resumed, or a resumed one did not. */
static gboolean
cal_conf_finish(CalConf *c)
{
    g_clear_pointer(&c->session, SSL_SESSION_free);
    if (!c->ok || !c->iter ||
        c->run->reused != (c->resumed ? c->run->n : 0))
        return FALSE;
    SimTime s = c->cpu[SIM_TLS_ROLE_SERVER] / c->iter;
    SimTime k = c->cpu[SIM_TLS_ROLE_CLIENT] / c->iter;
    *(c->resumed ? &c->srv->resumed : &c->srv->full) = s;
    *(c->resumed ? &c->cli->resumed : &c->cli->full) = k;
    return TRUE;
}

/* Every handshake configuration of one key type: TLS 1.2 and 1.3, mutual
 * and one-way, full and resumed.  They take turns, one handshake each per
 * round, until each has used its budget: a slow spell of the host (other
 * processes sharing its caches) then weighs on all of them alike rather
 * than on whichever was being timed. */
static gboolean
cal_all_handshakes(const CalFiles *f, const SimTlsCalBudget *b,
                   SimTlsCalibration *out)
{
    static const int versions[SIM_TLS_N_VERSIONS] = {
        [SIM_TLS_V12] = TLS1_2_VERSION,
        [SIM_TLS_V13] = TLS1_3_VERSION,
    };
    enum { N = SIM_TLS_CAL_N_AUTH * SIM_TLS_N_VERSIONS * SIM_TLS_CAL_N_KINDS };
    CalCtx cc[SIM_TLS_CAL_N_AUTH][SIM_TLS_N_VERSIONS];
    CalConf conf[N];
    guint n = 0;
    for (guint a = 0; a < SIM_TLS_CAL_N_AUTH; a++) {
        for (guint v = 0; v < SIM_TLS_N_VERSIONS; v++) {
            gboolean mutual = a == SIM_TLS_CAL_MUTUAL;
            cc[a][v] = cal_ctx_pair(f, versions[v], mutual);
            SimTlsCost *cost = mutual ? out->handshake[v] : out->oneway[v];
            for (guint k = 0; k < SIM_TLS_CAL_N_KINDS; k++)
                conf[n++] = (CalConf){
                    .cc = &cc[a][v],
                    .resumed = k == SIM_TLS_CAL_RESUMED,
                    .run = &out->runs[a][v][k],
                    .srv = &cost[SIM_TLS_ROLE_SERVER],
                    .cli = &cost[SIM_TLS_ROLE_CLIENT],
                };
        }
    }
    for (guint i = 0; i < N; i++)
        cal_conf_start(&conf[i]);
    for (gboolean more = TRUE; more;) {
        more = FALSE;
        for (guint i = 0; i < N; i++) {
            CalConf *c = &conf[i];
            if (c->ok && cal_more(b, c->iter, c->cpu[0] + c->cpu[1])) {
                cal_conf_step(c);
                more = TRUE;
            }
        }
    }
    gboolean ok = TRUE;
    for (guint i = 0; i < N; i++)
        ok = cal_conf_finish(&conf[i]) && ok;
    for (guint a = 0; a < SIM_TLS_CAL_N_AUTH; a++)
        for (guint v = 0; v < SIM_TLS_N_VERSIONS; v++)
            cal_ctx_clear(&cc[a][v]);
    return ok;
}

/**
 * sim_tls_calibrate:
 * @key: the key type to measure
 * @cache_dir: (nullable): the PKI cache to take the lab chain from (and
 *   keep it in), as a run does; %NULL: generate it
 * @budget: how long to measure each figure
 * @out: (out caller-allocates): the figures
 * @error: return location for a %SIM_TRANSPORT_ERROR (or a %SIM_PKI_ERROR
 *   if the lab chain cannot be made)
 *
 * Measures this host with the real OpenSSL: one signature and one
 * verification with @key, one X25519 agreement, and whole TLS 1.2 and 1.3
 * handshakes, with mutual authentication and without (the server sends no
 * CertificateRequest), full then resumed, between two SSL objects over an
 * in-memory BIO pair, each role's CPU timed apart on the thread's CPU
 * clock (cal_handshake says what is included).  The chain is a lab chain
 * of @key made as a run makes it (leaf + CA, the CA's key of the same
 * type).  Real time passes here; nothing is simulated.
 *
 * Returns: %TRUE on success.
 */
gboolean
sim_tls_calibrate(SimKeyType key, const char *cache_dir,
                  const SimTlsCalBudget *budget, SimTlsCalibration *out,
                  GError **error)
{
    g_return_val_if_fail(key < SIM_KEY_N_TYPES && budget && out, FALSE);
    CalFiles f = { 0 };
    *out = (SimTlsCalibration){ 0 };
    gboolean ok = cal_files(key, cache_dir, &f, error);
    EVP_PKEY *pk = ok ? cal_load_key(f.skey) : NULL;
    if (ok && pk) {
        out->sign = cal_sign_verify(pk, budget, FALSE);
        out->verify = cal_sign_verify(pk, budget, TRUE);
        out->ecdh = cal_x25519(budget);
        ok = cal_all_handshakes(&f, budget, out);
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

/* ---- established connections: records and memory ------------------------ */

/* Heap bytes in use: glibc's mallinfo2 (arenas and mmapped chunks, chunk
 * headers included), or the sanitizer allocator's count under ASan, whose
 * allocations glibc does not see. */
static guint64
cal_heap(void)
{
#if CAL_ASAN
    return __sanitizer_get_current_allocated_bytes();
#else
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
#endif
}

/* Two fresh SSL objects of @cc, handshaken over a BIO pair of @bufsize
 * bytes each way (0: OpenSSL's default, 17 KiB); the client has read the
 * session tickets.  NULL objects if the handshake failed. */
static gboolean
cal_connect(CalCtx *cc, size_t bufsize, SSL **sp, SSL **cp)
{
    SSL *s = SSL_new(cc->server), *c = SSL_new(cc->client);
    BIO *bs, *bc;
    BIO_new_bio_pair(&bs, bufsize, &bc, bufsize);
    SSL_set_bio(s, bs, bs);
    SSL_set_bio(c, bc, bc);
    SSL_set_accept_state(s);
    SSL_set_connect_state(c);
    gboolean sdone = FALSE, cdone = FALSE;
    for (guint round = 0; round < 20 && !(sdone && cdone); round++) {
        cdone = cdone || SSL_do_handshake(c) == 1;
        sdone = sdone || SSL_do_handshake(s) == 1;
    }
    guchar buf[1];
    SSL_read(c, buf, sizeof buf);
    ERR_clear_error();
    if (!(sdone && cdone)) {
        SSL_free(s);
        SSL_free(c);
        *sp = *cp = NULL;
        return FALSE;
    }
    *sp = s;
    *cp = c;
    return TRUE;
}

/* Frees a connection pair as cal_handshake does. */
static void
cal_disconnect(SSL *s, SSL *c)
{
    if (s)
        SSL_set_shutdown(s, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    if (c)
        SSL_set_shutdown(c, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(s);
    SSL_free(c);
}

/* Least-squares line y = a + b x through n points (weights 1/y^2: each
 * point's error relative to its size).  FALSE if degenerate. */
static gboolean
cal_fit(const double *x, const double *y, guint n, double *a, double *b)
{
    double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (guint i = 0; i < n; i++) {
        if (!(y[i] > 0))
            return FALSE;
        double w = 1 / (y[i] * y[i]);
        sw += w;
        sx += w * x[i];
        sy += w * y[i];
        sxx += w * x[i] * x[i];
        sxy += w * x[i] * y[i];
    }
    double d = sw * sxx - sx * sx;
    if (!(d > 0))
        return FALSE;
    *b = (sw * sxy - sx * sy) / d;
    *a = (sy - *b * sx) / sw;
    return isfinite(*a) && isfinite(*b);
}

/* Application-record sizes timed (payload bytes; 16384 is TLS's largest
 * record, RFC 8446 5.1). */
static const guint cal_record_sizes[] = { 200, 512, 1024, 2048, 4096, 8192,
                                          16384 };

/* Seals (client SSL_write) and opens (server SSL_read) batches of records
 * of each size on an established TLS 1.3 connection; fits fixed + per
 * KiB costs.  FALSE if a transfer fails or a fit is not positive. */
static gboolean
cal_records_once(CalCtx *cc, const SimTlsCalBudget *b,
                 SimTlsHostCalibration *out)
{
    enum { N = G_N_ELEMENTS(cal_record_sizes) };
    const size_t bufsize = 1 << 20;
    SSL *s, *c;
    if (!cal_connect(cc, bufsize, &s, &c))
        return FALSE;
    out->cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(c));
    BIO *rb = SSL_get_rbio(s);
    g_autofree guchar *data = g_malloc(16384);
    g_autofree guchar *back = g_malloc(16384);
    for (guint i = 0; i < 16384; i++)
        data[i] = (guchar)(i * 7 + 1);
    double x[N], ys[N], yo[N];
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < N; i++) {
        guint size = cal_record_sizes[i];
        /* About 256 KiB per batch, well inside the BIO pair's buffer. */
        guint k = CLAMP((256u << 10) / size, 8, 512);
        SimTime seal = 0, open = 0;
        guint iter = 0;
        SimTlsCalBudget part = *b;
        part.budget = b->budget / 2;
        while (ok && cal_more(&part, iter, seal + open)) {
            SimTime t0 = cal_cpu_now();
            for (guint j = 0; ok && j < k; j++)
                ok = SSL_write(c, data, (int)size) == (int)size;
            SimTime t1 = cal_cpu_now();
            out->wire_bytes += BIO_ctrl_pending(rb);
            guint64 got = 0;
            for (guint j = 0; ok && j < k; j++) {
                int n = SSL_read(s, back, (int)size);
                ok = n > 0;
                got += ok ? (guint)n : 0;
            }
            SimTime t2 = cal_cpu_now();
            ok = ok && got == (guint64)k * size &&
                 memcmp(back, data, size) == 0;
            seal += t1 - t0;
            open += t2 - t1;
            out->records += k;
            out->payload_written += (guint64)k * size;
            out->payload_read += got;
            iter++;
        }
        x[i] = size;
        ys[i] = (double)seal / ((double)iter * k);
        yo[i] = (double)open / ((double)iter * k);
    }
    cal_disconnect(s, c);
    double sa, sb, oa, ob;
    if (!ok || !cal_fit(x, ys, N, &sa, &sb) || !cal_fit(x, yo, N, &oa, &ob) ||
        sa <= 0 || sb <= 0 || oa <= 0 || ob <= 0)
        return FALSE;
    out->seal_record = (SimTime)llround(sa);
    out->seal_per_kib = (SimTime)llround(sb * 1024);
    out->open_record = (SimTime)llround(oa);
    out->open_per_kib = (SimTime)llround(ob * 1024);
    out->min_size = cal_record_sizes[0];
    out->max_size = cal_record_sizes[N - 1];
    return out->seal_record > 0 && out->seal_per_kib > 0 &&
           out->open_record > 0 && out->open_per_kib > 0;
}

/* Heap per connection end of @n established pairs, idle: server and
 * client ends apart.  Warmed up by one pair first (lazy initialisation
 * inside OpenSSL is not per connection).  The BIO pairs standing for the
 * sockets are freed before the heap is read. */
static gboolean
cal_memory(CalCtx *cc, guint n, guint64 *srv, guint64 *cli)
{
    SSL *s, *c;
    if (!cal_connect(cc, 0, &s, &c))
        return FALSE;
    cal_disconnect(s, c);
    g_autofree SSL **ss = g_new0(SSL *, n);
    g_autofree SSL **cs = g_new0(SSL *, n);
    gboolean ok = TRUE;
    guint64 h0 = cal_heap();
    for (guint i = 0; ok && i < n; i++) {
        ok = cal_connect(cc, 0, &ss[i], &cs[i]);
        if (ok) {
            SSL_set_bio(ss[i], NULL, NULL);
            SSL_set_bio(cs[i], NULL, NULL);
        }
    }
    guint64 h1 = cal_heap();
    for (guint i = 0; i < n; i++) {
        if (cs[i])
            SSL_set_shutdown(cs[i], SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
        SSL_free(cs[i]);
    }
    guint64 h2 = cal_heap();
    for (guint i = 0; i < n; i++)
        cal_disconnect(ss[i], NULL);
    if (!ok || h1 < h2 || h2 < h0)
        return FALSE;
    *cli = (h1 - h2) / n;
    *srv = (h2 - h0) / n;
    return *cli > 0 && *srv > 0;
}

/**
 * sim_tls_calibrate_host:
 * @key: the key type of the chain the connections use
 * @cache_dir: (nullable): as for sim_tls_calibrate()
 * @budget: how long to measure each record size
 * @out: (out caller-allocates): the figures
 * @error: return location for a %SIM_TRANSPORT_ERROR (or a %SIM_PKI_ERROR)
 *
 * Measures established TLS 1.3 connections (mutual authentication, @key's
 * lab chain) with the real OpenSSL: the CPU of sealing and opening
 * application records through SSL_write and SSL_read over a memory BIO
 * pair, fixed per record plus per KiB (least squares over record sizes of
 * 200 B to 16 KiB, retried up to three times if noise makes a figure
 * non-positive); and the heap each connection end holds once idle
 * (session caches off, so only the connection's own state counts: the
 * SSL object, its buffers, the session and the peer's certificates).
 * Real time passes here; nothing is simulated.
 *
 * Returns: %TRUE on success.
 */
gboolean
sim_tls_calibrate_host(SimKeyType key, const char *cache_dir,
                       const SimTlsCalBudget *budget,
                       SimTlsHostCalibration *out, GError **error)
{
    g_return_val_if_fail(key < SIM_KEY_N_TYPES && budget && out, FALSE);
    CalFiles f = { 0 };
    *out = (SimTlsHostCalibration){ 0 };
    if (!cal_files(key, cache_dir, &f, error)) {
        cal_files_clear(&f);
        return FALSE;
    }
    CalCtx cc = cal_ctx_pair(&f, TLS1_3_VERSION, TRUE);
    const char *what = "sealing and opening records";
    gboolean ok = FALSE;
    for (guint attempt = 0; !ok && attempt < 3; attempt++) {
        SimTlsHostCalibration again = { 0 };
        ok = cal_records_once(&cc, budget, &again);
        if (ok || attempt == 2)
            *out = again;
    }
    /* Memory: no session cache on either side, so what is counted is the
     * connection's own state. */
    SSL_CTX_set_session_cache_mode(cc.server, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_session_cache_mode(cc.client, SSL_SESS_CACHE_OFF);
    out->mem_pairs = budget->budget ? 64 : 4;
    /* No heap statistics (under valgrind, mallinfo2 reads 0): the memory
     * figures stay 0, "not measured". */
    if (ok && cal_heap() == 0)
        out->mem_pairs = 0;
    if (ok && out->mem_pairs) {
        what = "memory per connection";
        ok = cal_memory(&cc, out->mem_pairs, &out->mem_server,
                        &out->mem_client);
    }
    if (ok && out->mem_pairs) {
        SSL_CTX_set_mode(cc.server, SSL_MODE_RELEASE_BUFFERS);
        SSL_CTX_set_mode(cc.client, SSL_MODE_RELEASE_BUFFERS);
        ok = cal_memory(&cc, out->mem_pairs, &out->mem_server_release,
                        &out->mem_client_release);
    }
    if (!ok)
        g_set_error(error, SIM_TRANSPORT_ERROR, 0,
                    "%s: measuring %s with OpenSSL failed",
                    sim_key_type_name(key), what);
    ERR_clear_error();
    cal_ctx_clear(&cc);
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
