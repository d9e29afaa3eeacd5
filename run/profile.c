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
    { "sign", offsetof(SimCpuKeyCosts, sign) },
    { "verify", offsetof(SimCpuKeyCosts, verify) },
    { "ecdh", offsetof(SimCpuKeyCosts, ecdh) },
};

/* SPEC 3.3 operation costs in microseconds: sign, verify.  RSA-2048 and
 * P-256 are the measured table; RSA-3072 and Ed25519 are typical
 * `openssl speed` ratios on the same class of core (RSA-3072 sign 3.1x,
 * verify 2.2x RSA-2048; Ed25519 sign 22 us, verify 66 us). */
static const guint profile_default_ops[SIM_KEY_N_TYPES][2] = {
    [SIM_KEY_RSA_2048] = { 1050, 30 },
    [SIM_KEY_RSA_3072] = { 3250, 65 },
    [SIM_KEY_ECDSA_P256] = { 36, 102 },
    [SIM_KEY_ED25519] = { 22, 66 },
};

/* X25519 and the resumed handshake per side (SPEC 3.3), microseconds. */
#define PROFILE_DEFAULT_ECDH_US 41
#define PROFILE_DEFAULT_RESUMED_US 50

G_DEFINE_QUARK(sim-profile-error-quark, sim_profile_error)

static SimTime *
profile_field(SimCpuKeyCosts *k, guint i)
{
    return (SimTime *)((char *)k + profile_keys[i].offset);
}

/**
 * sim_cpu_profile_init_defaults:
 * @p: a profile to fill
 *
 * Fills @p with the SPEC 3.3 defaults: per side, a full handshake costs
 * sign + 3 verify + ECDH (RSA-2048 1.181 ms, P-256 0.383 ms, RSA-3072
 * 3.486 ms, Ed25519 0.261 ms), a resumed one 50 us.
 */
void
sim_cpu_profile_init_defaults(SimCpuProfile *p)
{
    *p = (SimCpuProfile){ 0 };
    for (guint t = 0; t < SIM_KEY_N_TYPES; t++) {
        SimCpuKeyCosts *k = &p->key[t];
        k->sign = SIM_US(profile_default_ops[t][0]);
        k->verify = SIM_US(profile_default_ops[t][1]);
        k->ecdh = SIM_US(PROFILE_DEFAULT_ECDH_US);
        k->tls_full_server = k->sign + 3 * k->verify + k->ecdh;
        k->tls_full_client = k->tls_full_server;
        k->tls_resumed_server = SIM_US(PROFILE_DEFAULT_RESUMED_US);
        k->tls_resumed_client = SIM_US(PROFILE_DEFAULT_RESUMED_US);
        k->tls12_full_server = k->tls_full_server;
        k->tls12_full_client = k->tls_full_client;
        k->tls12_resumed_server = k->tls_resumed_server;
        k->tls12_resumed_client = k->tls_resumed_client;
    }
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
    return TRUE;
}

/**
 * sim_cpu_profile_load:
 * @p: the profile to fill (starts from the defaults)
 * @path: a file written by `sipreuse calibrate`
 * @error: return location for a %SIM_PROFILE_ERROR naming the file, group
 *   and key
 *
 * Reads a profile; key types or keys absent from the file keep their
 * defaults.  On failure @p holds the defaults.
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
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    for (guint g = 0; groups[g]; g++) {
        SimKeyType t;
        gboolean ok = TRUE;
        if (g_str_equal(groups[g], "host")) {
            g_free(p->host);
            p->host = g_key_file_get_value(kf, "host", "cpu", NULL);
            continue;
        }
        if (!sim_key_type_from_name(groups[g], &t)) {
            g_set_error(error, SIM_PROFILE_ERROR, SIM_PROFILE_ERROR_UNKNOWN,
                        "%s: [%s]: unknown group (expected host or a key "
                        "type: rsa-2048, rsa-3072, ecdsa-p256, ed25519)",
                        path, groups[g]);
            ok = FALSE;
        }
        if (!ok || !profile_load_group(p, kf, path, groups[g], t, error)) {
            sim_cpu_profile_clear(p);
            sim_cpu_profile_init_defaults(p);
            return FALSE;
        }
    }
    return TRUE;
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
 * Writes @p in the format sim_cpu_profile_load() reads.
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
                           "microseconds, per key type", NULL);
    if (p->host)
        g_key_file_set_value(kf, "host", "cpu", p->host);
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
        (SimTlsCost){ k->tls_full_server, k->tls_resumed_server };
    out[SIM_TLS_V13][SIM_TLS_ROLE_CLIENT] =
        (SimTlsCost){ k->tls_full_client, k->tls_resumed_client };
    out[SIM_TLS_V12][SIM_TLS_ROLE_SERVER] =
        (SimTlsCost){ k->tls12_full_server, k->tls12_resumed_server };
    out[SIM_TLS_V12][SIM_TLS_ROLE_CLIENT] =
        (SimTlsCost){ k->tls12_full_client, k->tls12_resumed_client };
}
