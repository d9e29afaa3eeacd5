/* SPDX-License-Identifier: MIT */
/*
 * Reading and writing CPU profiles (GKeyFile: [host] plus one group per key
 * type, values in microseconds) and the defaults of SPEC 3.3 (D7).  The
 * default full handshake per side is one signature + three verifications
 * (peer CertificateVerify, leaf and CA signatures) + one X25519; resumed
 * handshakes cost 50 us per side.  Files are written atomically.
 */
#define G_LOG_DOMAIN "sim-profile"

#include "run/profile.h"

#include "run/input.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>

/* One key of a key-type group and where it lives in SimCpuKeyCosts. */
typedef struct {
    const char *name;
    gsize offset;
} ProfileKey;

static const ProfileKey profile_keys[] = {
    { "tls-full-server", offsetof(SimCpuKeyCosts, tls_full_server) },
    { "tls-full-client", offsetof(SimCpuKeyCosts, tls_full_client) },
    { "tls-resumed-server", offsetof(SimCpuKeyCosts, tls_resumed_server) },
    { "tls-resumed-client", offsetof(SimCpuKeyCosts, tls_resumed_client) },
    { "tls12-full-server", offsetof(SimCpuKeyCosts, tls12_full_server) },
    { "tls12-full-client", offsetof(SimCpuKeyCosts, tls12_full_client) },
    { "tls12-resumed-server", offsetof(SimCpuKeyCosts, tls12_resumed_server) },
    { "tls12-resumed-client", offsetof(SimCpuKeyCosts, tls12_resumed_client) },
    { "tls-full-server-oneway",
      offsetof(SimCpuKeyCosts, tls_full_server_oneway) },
    { "tls-full-client-oneway",
      offsetof(SimCpuKeyCosts, tls_full_client_oneway) },
    { "tls12-full-server-oneway",
      offsetof(SimCpuKeyCosts, tls12_full_server_oneway) },
    { "tls12-full-client-oneway",
      offsetof(SimCpuKeyCosts, tls12_full_client_oneway) },
    { "tls-resumed-server-oneway",
      offsetof(SimCpuKeyCosts, tls_resumed_server_oneway) },
    { "tls-resumed-client-oneway",
      offsetof(SimCpuKeyCosts, tls_resumed_client_oneway) },
    { "tls12-resumed-server-oneway",
      offsetof(SimCpuKeyCosts, tls12_resumed_server_oneway) },
    { "tls12-resumed-client-oneway",
      offsetof(SimCpuKeyCosts, tls12_resumed_client_oneway) },
    { "sign", offsetof(SimCpuKeyCosts, sign) },
    { "verify", offsetof(SimCpuKeyCosts, verify) },
    { "ecdh", offsetof(SimCpuKeyCosts, ecdh) },
};

/* Each handshake figure and its one-way counterpart. */
static const char *const profile_oneway_of[][2] = {
    { "tls-full-server", "tls-full-server-oneway" },
    { "tls-full-client", "tls-full-client-oneway" },
    { "tls12-full-server", "tls12-full-server-oneway" },
    { "tls12-full-client", "tls12-full-client-oneway" },
    { "tls-resumed-server", "tls-resumed-server-oneway" },
    { "tls-resumed-client", "tls-resumed-client-oneway" },
    { "tls12-resumed-server", "tls12-resumed-server-oneway" },
    { "tls12-resumed-client", "tls12-resumed-client-oneway" },
};

/* The index of key @name in profile_keys (it is there). */
static guint
profile_key_index(const char *name)
{
    guint i = 0;
    while (!g_str_equal(profile_keys[i].name, name))
        i++;
    return i;
}

/* One key of the host groups and where it lives in SimCpuHostCosts;
 * @bytes: a byte count, else microseconds. */
typedef struct {
    const char *group;
    const char *name;
    gsize offset;
    gboolean bytes;
} ProfileHostKey;

static const ProfileHostKey profile_host_keys[] = {
    { "sip", "invite", offsetof(SimCpuHostCosts, sip_invite), FALSE },
    { "sip", "request", offsetof(SimCpuHostCosts, sip_request), FALSE },
    { "sip", "response", offsetof(SimCpuHostCosts, sip_response), FALSE },
    { "sip", "stream-framing", offsetof(SimCpuHostCosts, stream_framing),
      FALSE },
    { "conn", "connect", offsetof(SimCpuHostCosts, conn_connect), FALSE },
    { "conn", "accept", offsetof(SimCpuHostCosts, conn_accept), FALSE },
    { "conn", "close", offsetof(SimCpuHostCosts, conn_close), FALSE },
    { "conn", "tls-record", offsetof(SimCpuHostCosts, tls_record), FALSE },
    { "conn", "tls-aead-per-kib", offsetof(SimCpuHostCosts, tls_aead_per_kib),
      FALSE },
    { "overload", "queue-limit", offsetof(SimCpuHostCosts, queue_limit),
      FALSE },
    { "memory", "socket", offsetof(SimCpuHostCosts, mem_socket), TRUE },
    { "memory", "tls", offsetof(SimCpuHostCosts, mem_tls), TRUE },
    { "memory", "proxy", offsetof(SimCpuHostCosts, mem_proxy), TRUE },
};

/* The bare public-key operations of one core (`openssl speed`, AMD EPYC)
 * in microseconds: sign, verify.  RSA-2048 and P-256 measured; RSA-3072
 * and Ed25519 are typical `openssl speed` ratios on the same class of core
 * (RSA-3072 sign 3.1x, verify 2.2x RSA-2048; Ed25519 sign 22 us, verify
 * 66 us). */
static const guint profile_default_ops[SIM_KEY_N_TYPES][2] = {
    [SIM_KEY_RSA_2048] = { 1050, 30 },
    [SIM_KEY_RSA_3072] = { 3250, 65 },
    [SIM_KEY_ECDSA_P256] = { 36, 102 },
    [SIM_KEY_ED25519] = { 22, 66 },
};

/* X25519 and the bare-crypto resumed handshake per side, microseconds. */
#define PROFILE_DEFAULT_ECDH_US 41
#define PROFILE_DEFAULT_RESUMED_US 50

/* The "proxy" profile's whole handshakes per side, microseconds: what a
 * real proxy's TLS stack (OpenSSL 3.0 under Kamailio 5.6, measured on
 * this class of machine) spends, not only the public-key math.  Full
 * mutual-authentication handshakes: RSA-2048 server 4.5 ms, client
 * 3.5 ms; ECDSA about 1 ms cheaper; RSA-3072 adds the dearer signature
 * (2.2 ms more than RSA-2048) on the side that signs; Ed25519 as P-256
 * less its cheaper operations.  Resumed: 2.0 ms server, 1.5 ms client (in
 * the measured 1.3-2.6 ms).  Without a client certificate: the shares of
 * profile_oneway_pct. */
static const guint profile_proxy_full[SIM_KEY_N_TYPES][2] = {
    /* server, client */
    [SIM_KEY_RSA_2048] = { 4500, 3500 },
    [SIM_KEY_RSA_3072] = { 6700, 5700 },
    [SIM_KEY_ECDSA_P256] = { 3500, 2500 },
    [SIM_KEY_ED25519] = { 3400, 2400 },
};

/* The share of a full mutual-authentication handshake that a one-way one
 * (no client certificate) still costs, per key type and role, in percent:
 * `sipreuse calibrate` on this class of machine (OpenSSL 3.0, three runs,
 * TLS 1.3, mid values).  The server saves decoding and validating the
 * client's chain and its CertificateVerify, far more than the two bare
 * verifications; the client saves its signature. */
static const guint profile_oneway_pct[SIM_KEY_N_TYPES][2] = {
    /* server, client */
    [SIM_KEY_RSA_2048] = { 52, 54 },
    [SIM_KEY_RSA_3072] = { 70, 29 },
    [SIM_KEY_ECDSA_P256] = { 29, 92 },
    [SIM_KEY_ED25519] = { 29, 89 },
};
#define PROFILE_PROXY_RESUMED_SERVER_US 2000
#define PROFILE_PROXY_RESUMED_CLIENT_US 1500
/* A TLS 1.3 resumption of a session without a client certificate: the
 * server has no client chain to decode from the ticket; calibrate finds
 * it 40-45% of a resumption after mutual authentication, the client's
 * the same. */
#define PROFILE_RESUMED_ONEWAY_SERVER_PCT 44

G_DEFINE_QUARK(sim-profile-error-quark, sim_profile_error)

static SimTime *
profile_field(SimCpuKeyCosts *k, guint i)
{
    return (SimTime *)((char *)k + profile_keys[i].offset);
}

/* The bare-crypto figures of one key type: per side, a full handshake
 * costs sign + 3 verify + ECDH (peer CertificateVerify, leaf and CA
 * signatures), the same for both roles and versions; one-way saves the
 * client's signature and the server's two verifications of the client
 * chain; resumed 50 us. */
static void
profile_bare_key(SimCpuKeyCosts *k, SimKeyType t)
{
    k->sign = SIM_US(profile_default_ops[t][0]);
    k->verify = SIM_US(profile_default_ops[t][1]);
    k->ecdh = SIM_US(PROFILE_DEFAULT_ECDH_US);
    k->tls_full_server = k->sign + 3 * k->verify + k->ecdh;
    k->tls_full_client = k->tls_full_server;
    k->tls_resumed_server = SIM_US(PROFILE_DEFAULT_RESUMED_US);
    k->tls_resumed_client = SIM_US(PROFILE_DEFAULT_RESUMED_US);
    k->tls_full_server_oneway = k->tls_full_server - 2 * k->verify;
    k->tls_full_client_oneway = k->tls_full_client - k->sign;
    k->tls12_full_server = k->tls_full_server;
    k->tls12_full_client = k->tls_full_client;
    k->tls12_resumed_server = k->tls_resumed_server;
    k->tls12_resumed_client = k->tls_resumed_client;
    k->tls12_full_server_oneway = k->tls_full_server_oneway;
    k->tls12_full_client_oneway = k->tls_full_client_oneway;
    k->tls_resumed_server_oneway = k->tls_resumed_server;
    k->tls_resumed_client_oneway = k->tls_resumed_client;
    k->tls12_resumed_server_oneway = k->tls_resumed_server;
    k->tls12_resumed_client_oneway = k->tls_resumed_client;
}

/**
 * sim_cpu_profile_init_bare:
 * @p: a profile to fill
 *
 * Fills @p with the "bare-crypto" profile: handshakes cost only their
 * public-key operations (per side, sign + 3 verify + ECDH: RSA-2048
 * 1.181 ms, P-256 0.383 ms, RSA-3072 3.486 ms, Ed25519 0.261 ms; resumed
 * 50 us), every SIP message 50 us whatever its kind and transport, and
 * nothing else: no connection, framing or record CPU, no memory beyond
 * the simulator's own records, no queue limit.  The model before the
 * cost model; kept for comparison.
 */
void
sim_cpu_profile_init_bare(SimCpuProfile *p)
{
    *p = (SimCpuProfile){ 0 };
    p->base = "bare-crypto";
    for (guint t = 0; t < SIM_KEY_N_TYPES; t++)
        profile_bare_key(&p->key[t], t);
    SimCpuHostCosts *h = &p->host_costs;
    h->sip_invite = h->sip_request = h->sip_response = SIM_US(50);
}

/**
 * sim_cpu_profile_init_defaults:
 * @p: a profile to fill
 *
 * Fills @p with the "proxy" profile, the default: what a real SIP proxy
 * spends (docs/model.md, "The cost model", gives each figure's source).
 * Per message 150 us for an INVITE, 70 us for another request, 50 us
 * for a response, plus 10 us of framing on a stream transport; 30 us per
 * connect or accept and 15 us per close; per TLS record 4 us plus 0.5 us
 * per KiB; whole handshakes of 2.4-6.7 ms per side (the table above);
 * 4 KiB of kernel socket, 56 KiB of TLS state and 4.5 KiB of proxy state
 * per connection; new INVITEs refused beyond 200 ms of CPU backlog.  The
 * bare operation figures (sign, verify, ecdh) are those of
 * sim_cpu_profile_init_bare().
 */
void
sim_cpu_profile_init_defaults(SimCpuProfile *p)
{
    *p = (SimCpuProfile){ 0 };
    p->base = "proxy";
    for (guint t = 0; t < SIM_KEY_N_TYPES; t++) {
        SimCpuKeyCosts *k = &p->key[t];
        profile_bare_key(k, t);
        k->tls_full_server = SIM_US(profile_proxy_full[t][0]);
        k->tls_full_client = SIM_US(profile_proxy_full[t][1]);
        k->tls_resumed_server = SIM_US(PROFILE_PROXY_RESUMED_SERVER_US);
        k->tls_resumed_client = SIM_US(PROFILE_PROXY_RESUMED_CLIENT_US);
        k->tls_full_server_oneway =
            k->tls_full_server * profile_oneway_pct[t][0] / 100;
        k->tls_full_client_oneway =
            k->tls_full_client * profile_oneway_pct[t][1] / 100;
        k->tls12_full_server = k->tls_full_server;
        k->tls12_full_client = k->tls_full_client;
        k->tls12_resumed_server = k->tls_resumed_server;
        k->tls12_resumed_client = k->tls_resumed_client;
        k->tls12_full_server_oneway = k->tls_full_server_oneway;
        k->tls12_full_client_oneway = k->tls_full_client_oneway;
        k->tls_resumed_server_oneway =
            k->tls_resumed_server * PROFILE_RESUMED_ONEWAY_SERVER_PCT / 100;
        k->tls_resumed_client_oneway = k->tls_resumed_client;
        k->tls12_resumed_server_oneway = k->tls_resumed_server_oneway;
        k->tls12_resumed_client_oneway = k->tls_resumed_client_oneway;
    }
    SimCpuHostCosts *h = &p->host_costs;
    h->sip_invite = SIM_US(150);
    h->sip_request = SIM_US(70);
    h->sip_response = SIM_US(50);
    h->stream_framing = SIM_US(10);
    h->conn_connect = SIM_US(30);
    h->conn_accept = SIM_US(30);
    h->conn_close = SIM_US(15);
    h->tls_record = SIM_US(4);
    h->tls_aead_per_kib = 500;
    h->queue_limit = SIM_MS(200);
    h->mem_socket = 4096;
    h->mem_tls = 57344;
    h->mem_proxy = 4608;
}

/**
 * sim_cpu_profile_init_named:
 * @p: a profile to fill
 * @name: "proxy" or "bare-crypto"
 *
 * Fills @p with a built-in profile.
 *
 * Returns: %FALSE (and @p the default) if @name is not one.
 */
gboolean
sim_cpu_profile_init_named(SimCpuProfile *p, const char *name)
{
    if (g_strcmp0(name, "bare-crypto") == 0) {
        sim_cpu_profile_init_bare(p);
        return TRUE;
    }
    sim_cpu_profile_init_defaults(p);
    return g_strcmp0(name, "proxy") == 0;
}

/**
 * sim_cpu_profile_is_builtin:
 * @name: a cpu-profile value
 *
 * Returns: %TRUE if @name names a built-in profile, not a file.
 */
gboolean
sim_cpu_profile_is_builtin(const char *name)
{
    return g_strcmp0(name, "proxy") == 0 ||
           g_strcmp0(name, "bare-crypto") == 0;
}

/**
 * sim_cpu_profile_clear:
 * @p: a profile
 *
 * Frees what @p owns (the host description).
 */
void
sim_cpu_profile_clear(SimCpuProfile *p)
{
    g_clear_pointer(&p->host, g_free);
}

static gboolean
profile_bad(GError **error, gint code, const char *path, const char *group,
            const char *key, const char *what)
{
    g_set_error(error, SIM_PROFILE_ERROR, code, "%s: [%s] %s: %s", path,
                group, key, what);
    return FALSE;
}

/* Parses a microsecond value into nanoseconds. */
static gboolean
profile_parse_us(const char *text, SimTime *out)
{
    char *end = NULL;
    errno = 0;
    double us = g_ascii_strtod(text, &end);
    if (errno || end == text || *end || !isfinite(us) || us < 0 ||
        us > 1e12)
        return FALSE;
    *out = (SimTime)llround(us * 1000.0);
    return TRUE;
}

static gboolean
profile_load_group(SimCpuProfile *p, GKeyFile *kf, const char *path,
                   const char *group, SimKeyType t, GError **error)
{
    g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);
    for (guint j = 0; keys && keys[j]; j++) {
        guint i = 0;
        while (i < G_N_ELEMENTS(profile_keys) &&
               !g_str_equal(profile_keys[i].name, keys[j]))
            i++;
        if (i == G_N_ELEMENTS(profile_keys))
            return profile_bad(error, SIM_PROFILE_ERROR_UNKNOWN, path, group,
                               keys[j], "unknown key");
        g_autofree char *v = g_key_file_get_value(kf, group, keys[j], NULL);
        if (!profile_parse_us(v, profile_field(&p->key[t], i)))
            return profile_bad(error, SIM_PROFILE_ERROR_BAD_VALUE, path,
                               group, keys[j],
                               "expected a non-negative number of "
                               "microseconds");
    }
    /* A file that gives a handshake figure but not its one-way
     * counterpart (a profile written before one-way figures existed, or
     * by hand) means that figure without a client certificate too, not
     * the base profile's. */
    for (guint i = 0; i < G_N_ELEMENTS(profile_oneway_of); i++) {
        const char *with = profile_oneway_of[i][0];
        const char *without = profile_oneway_of[i][1];
        if (g_key_file_has_key(kf, group, with, NULL) &&
            !g_key_file_has_key(kf, group, without, NULL))
            *profile_field(&p->key[t], profile_key_index(without)) =
                *profile_field(&p->key[t], profile_key_index(with));
    }
    return TRUE;
}

/* Parses a byte count. */
static gboolean
profile_parse_bytes(const char *text, guint64 *out)
{
    char *end = NULL;
    if (!text || !g_ascii_isdigit(*text))
        return FALSE;
    errno = 0;
    guint64 v = g_ascii_strtoull(text, &end, 10);
    if (errno || *end || v > (G_GUINT64_CONSTANT(1) << 40))
        return FALSE;
    *out = v;
    return TRUE;
}

/* A key of a host group ([sip], [conn], [overload], [memory]). */
static gboolean
profile_load_host_key(SimCpuProfile *p, GKeyFile *kf, const char *path,
                      const char *group, const char *key, GError **error)
{
    for (guint i = 0; i < G_N_ELEMENTS(profile_host_keys); i++) {
        const ProfileHostKey *hk = &profile_host_keys[i];
        if (!g_str_equal(hk->group, group) || !g_str_equal(hk->name, key))
            continue;
        g_autofree char *v = g_key_file_get_value(kf, group, key, NULL);
        char *field = (char *)&p->host_costs + hk->offset;
        if (hk->bytes ? profile_parse_bytes(v, (guint64 *)field)
                      : profile_parse_us(v, (SimTime *)field))
            return TRUE;
        return profile_bad(error, SIM_PROFILE_ERROR_BAD_VALUE, path, group,
                           key,
                           hk->bytes ? "expected a number of bytes"
                                     : "expected a non-negative number of "
                                       "microseconds");
    }
    return profile_bad(error, SIM_PROFILE_ERROR_UNKNOWN, path, group, key,
                       "unknown key");
}

static gboolean
profile_is_host_group(const char *group)
{
    for (guint i = 0; i < G_N_ELEMENTS(profile_host_keys); i++)
        if (g_str_equal(profile_host_keys[i].group, group))
            return TRUE;
    return FALSE;
}

/* [profile] base = proxy | bare-crypto: the built-in profile the file's
 * figures start from (default proxy). */
static gboolean
profile_load_base(SimCpuProfile *p, GKeyFile *kf, const char *path,
                  GError **error)
{
    g_auto(GStrv) keys = g_key_file_get_keys(kf, "profile", NULL, NULL);
    for (guint j = 0; keys && keys[j]; j++) {
        if (!g_str_equal(keys[j], "base"))
            return profile_bad(error, SIM_PROFILE_ERROR_UNKNOWN, path,
                               "profile", keys[j], "unknown key");
        g_autofree char *v = g_key_file_get_value(kf, "profile", "base",
                                                  NULL);
        if (!sim_cpu_profile_init_named(p, v))
            return profile_bad(error, SIM_PROFILE_ERROR_BAD_VALUE, path,
                               "profile", "base",
                               "expected proxy or bare-crypto");
    }
    return TRUE;
}

/**
 * sim_cpu_profile_load:
 * @p: the profile to fill (starts from the built-in profile the file's
 *   [profile] base names, "proxy" if none)
 * @path: a file written by `sipreuse calibrate` or by hand
 * @error: return location for a %SIM_PROFILE_ERROR naming the file, group
 *   and key
 *
 * Reads a profile; groups or keys absent from the file keep the base
 * profile's figures.  On failure @p holds the defaults.
 *
 * Returns: %TRUE on success.
 */
gboolean
sim_cpu_profile_load(SimCpuProfile *p, const char *path, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    GError *local = NULL;
    g_autofree char *text = NULL;
    gsize len = 0;
    sim_cpu_profile_init_defaults(p);
    /* A regular file of at most 1 MiB (the loader's cap on files a
     * topology names), so that a FIFO or a device is refused at once. */
    if (!sim_input_read_file(path, 1u << 20, &text, &len, &local) ||
        !g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, &local)) {
        g_set_error(error, SIM_PROFILE_ERROR, SIM_PROFILE_ERROR_FILE,
                    "%s%s%s", local->domain == SIM_INPUT_ERROR ? "" : path,
                    local->domain == SIM_INPUT_ERROR ? "" : ": ",
                    local->message);
        g_error_free(local);
        return FALSE;
    }
    gboolean ok = profile_load_base(p, kf, path, error);
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    for (guint g = 0; ok && groups[g]; g++) {
        SimKeyType t;
        if (g_str_equal(groups[g], "host")) {
            g_free(p->host);
            p->host = g_key_file_get_value(kf, "host", "cpu", NULL);
        } else if (g_str_equal(groups[g], "profile")) {
            continue;
        } else if (profile_is_host_group(groups[g])) {
            g_auto(GStrv) keys = g_key_file_get_keys(kf, groups[g], NULL,
                                                     NULL);
            for (guint j = 0; ok && keys && keys[j]; j++)
                ok = profile_load_host_key(p, kf, path, groups[g], keys[j],
                                           error);
        } else if (sim_key_type_from_name(groups[g], &t)) {
            ok = profile_load_group(p, kf, path, groups[g], t, error);
        } else {
            g_set_error(error, SIM_PROFILE_ERROR, SIM_PROFILE_ERROR_UNKNOWN,
                        "%s: [%s]: unknown group (expected profile, host, "
                        "sip, conn, overload, memory or a key type: "
                        "rsa-2048, rsa-3072, ecdsa-p256, ed25519)",
                        path, groups[g]);
            ok = FALSE;
        }
    }
    if (!ok) {
        sim_cpu_profile_clear(p);
        sim_cpu_profile_init_defaults(p);
    }
    return ok;
}

static void
profile_set_us(GKeyFile *kf, const char *group, const char *key, SimTime ns)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_formatd(buf, sizeof buf, "%.3f", ns / 1000.0);
    g_key_file_set_value(kf, group, key, buf);
}

/**
 * sim_cpu_profile_save:
 * @p: a profile
 * @path: where to write it (atomically: temporary file + rename)
 * @error: return location for a %SIM_PROFILE_ERROR
 *
 * Writes @p in the format sim_cpu_profile_load() reads: every figure, so
 * the file does not depend on the built-in profile it started from.
 *
 * Returns: %TRUE on success.
 */
gboolean
sim_cpu_profile_save(const SimCpuProfile *p, const char *path,
                     GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_key_file_set_comment(kf, NULL, NULL,
                           " sipreuse CPU profile: CPU time of one core in "
                           "microseconds ([memory]: bytes per connection)",
                           NULL);
    g_key_file_set_value(kf, "profile", "base",
                         p->base ? p->base : "proxy");
    if (p->host)
        g_key_file_set_value(kf, "host", "cpu", p->host);
    for (guint i = 0; i < G_N_ELEMENTS(profile_host_keys); i++) {
        const ProfileHostKey *hk = &profile_host_keys[i];
        const char *field = (const char *)&p->host_costs + hk->offset;
        if (hk->bytes) {
            char buf[32];
            g_snprintf(buf, sizeof buf, "%" G_GUINT64_FORMAT,
                       *(const guint64 *)field);
            g_key_file_set_value(kf, hk->group, hk->name, buf);
        } else {
            profile_set_us(kf, hk->group, hk->name, *(const SimTime *)field);
        }
    }
    for (guint t = 0; t < SIM_KEY_N_TYPES; t++) {
        const char *group = sim_key_type_name(t);
        for (guint i = 0; i < G_N_ELEMENTS(profile_keys); i++)
            profile_set_us(kf, group, profile_keys[i].name,
                           *profile_field((SimCpuKeyCosts *)&p->key[t], i));
    }
    gsize len;
    g_autofree char *data = g_key_file_to_data(kf, &len, NULL);
    GError *local = NULL;
    if (g_file_set_contents(path, data, len, &local))
        return TRUE;
    g_set_error(error, SIM_PROFILE_ERROR, SIM_PROFILE_ERROR_FILE, "%s",
                local->message);
    g_error_free(local);
    return FALSE;
}

/**
 * sim_cpu_profile_tls_costs:
 * @p: a profile
 * @key: the node's key type
 * @out: (out caller-allocates): the node's handshake CPU by TLS version
 *   and role (SimStackConfig.tls_cost)
 *
 * Each role keeps its own figure: a node is charged the server cost when
 * it accepts the connection and the client cost when it opens it, for
 * the version the run negotiates (tls12-* for 1.2, tls-* for 1.3).
 */
void
sim_cpu_profile_tls_costs(const SimCpuProfile *p, SimKeyType key,
                          SimTlsCost out[SIM_TLS_N_VERSIONS][SIM_TLS_N_ROLES])
{
    g_return_if_fail(key < SIM_KEY_N_TYPES);
    const SimCpuKeyCosts *k = &p->key[key];
    out[SIM_TLS_V13][SIM_TLS_ROLE_SERVER] =
        (SimTlsCost){ k->tls_full_server, k->tls_resumed_server,
                      k->tls_full_server_oneway,
                      k->tls_resumed_server_oneway };
    out[SIM_TLS_V13][SIM_TLS_ROLE_CLIENT] =
        (SimTlsCost){ k->tls_full_client, k->tls_resumed_client,
                      k->tls_full_client_oneway,
                      k->tls_resumed_client_oneway };
    out[SIM_TLS_V12][SIM_TLS_ROLE_SERVER] =
        (SimTlsCost){ k->tls12_full_server, k->tls12_resumed_server,
                      k->tls12_full_server_oneway,
                      k->tls12_resumed_server_oneway };
    out[SIM_TLS_V12][SIM_TLS_ROLE_CLIENT] =
        (SimTlsCost){ k->tls12_full_client, k->tls12_resumed_client,
                      k->tls12_full_client_oneway,
                      k->tls12_resumed_client_oneway };
}
