/* SPDX-License-Identifier: MIT */
/*
 * The run's PKI with OpenSSL: a generated (or loaded) CA, one leaf per node
 * whose subjectAltName is exactly the node's cert-san list, chains sent as
 * leaf + issuing CA, X509_verify_cert at one instant per PKI (the fixed
 * SIM_PKI_REFERENCE_TIME unless the caller gives a verify time), and the
 * RFC 5922 section 7.1 identities extracted by hand (no OpenSSL host
 * matching, no wildcards).  DER sizes never vary between generations: names,
 * serials and validity are fixed, key sizes are fixed, and ECDSA signatures
 * are re-drawn until their DER has its maximum length.  Generated material is
 * cached under cache_dir/<hash of the CA inputs>/, published atomically with
 * link(2) so that concurrent runs converge on the first writer's files.
 */
#define G_LOG_DOMAIN "sim-pki"

#include "models/pki.h"

#include "models/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EVP_PKEY, EVP_PKEY_free)

/* Validity windows (seconds since the epoch, UTC). */
#define PKI_VALID_FROM G_GINT64_CONSTANT(1704067200)   /* 2024-01-01 */
#define PKI_VALID_UNTIL G_GINT64_CONSTANT(2051222400)  /* 2035-01-01 */
#define PKI_EXPIRED_FROM G_GINT64_CONSTANT(1672531200) /* 2023-01-01 */
#define PKI_EXPIRED_UNTIL PKI_VALID_FROM

/* Attempts at drawing a maximum-length ECDSA signature (p = 1/4 each). */
#define PKI_MAX_SIGN_TRIES 400

/* A certificate and its private key. */
typedef struct {
    /* The certificate. */
    X509 *cert;
    /* (nullable): its key; NULL for material read from the cache, whose
     * key is decoded from key_file only when something needs it (issuing
     * a new leaf, writing the key out): a simulated handshake needs only
     * the key's type and size, which the certificate gives. */
    EVP_PKEY *key;
    /* (nullable): the cache file holding the key when key is NULL. */
    char *key_file;
} PkiPair;

struct _SimPki {
    /* Key type of generated material. */
    SimKeyType key;
    /* Common name of the generated CA. */
    char *ca_name;
    /* The trusted CA; its key is NULL when ca_file came without a key. */
    PkiPair ca;
    /* The CA nobody trusts (for cert-untrusted), made on first use. */
    PkiPair rogue;
    /* Trust store holding ca.cert only. */
    X509_STORE *store;
    /* The instant chains are validated at (seconds since the epoch). */
    gint64 verify_time;
    /* (nullable): cache folder of this CA's material. */
    char *cache_dir;
    /* "<SHA-256 of ca.cert's DER>\n<verify_time>\n": the prefix of this
     * PKI's keys in pki_verified. */
    char *verify_key;
    /* Guards rogue: runs may share one PKI across threads. */
    GMutex lock;
};

struct _SimPkiCreds {
    /* Leaf certificate and key. */
    PkiPair pair;
    /* Certificates sent in the Certificate message: leaf first. */
    STACK_OF(X509) *chain;
    /* Key type of the leaf. */
    SimKeyType key_type;
    /* Sum of the DER lengths of chain. */
    guint chain_len;
    /* DER length of the leaf alone. */
    guint leaf_len;
    /* Length of this key's signatures (the maximum DER length for ECDSA). */
    guint sig_len;
    /* SHA-256 of the chain's DER, hex (verification cache key). */
    char digest[65];
};

static const char *const key_type_names[SIM_KEY_N_TYPES] = {
    [SIM_KEY_RSA_2048] = "rsa-2048",
    [SIM_KEY_RSA_3072] = "rsa-3072",
    [SIM_KEY_ECDSA_P256] = "ecdsa-p256",
    [SIM_KEY_ED25519] = "ed25519",
};

G_DEFINE_QUARK(sim-pki-error-quark, sim_pki_error)

/* 64 hex digits of the SHA-256 of @x's DER (what X509_digest hashes);
 * FALSE if it cannot be encoded. */
static gboolean
pki_cert_hex(X509 *x, char hex[65])
{
    guchar *der = NULL;
    int n = i2d_X509(x, &der);
    if (n <= 0) {
        ERR_clear_error();
        return FALSE;
    }
    sim_sha256_hex(der, (gsize)n, hex);
    OPENSSL_free(der);
    return TRUE;
}

/* Moves OpenSSL's error queue into a GError. */
static void
pki_set_ssl_error(GError **error, gint code, const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[256] = "unknown OpenSSL error";
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    g_set_error(error, SIM_PKI_ERROR, code, "%s: %s", what, buf);
}

static void
pki_pair_clear(PkiPair *p)
{
    g_clear_pointer(&p->cert, X509_free);
    g_clear_pointer(&p->key, EVP_PKEY_free);
    g_clear_pointer(&p->key_file, g_free);
}

/* @p's private key, or NULL if it has none: decoded from its cache file
 * (and checked against the certificate) when it was not in memory.
 * Returns a new reference. */
static EVP_PKEY *
pki_pair_key(const PkiPair *p)
{
    if (p->key) {
        EVP_PKEY_up_ref(p->key);
        return p->key;
    }
    g_autofree char *data = NULL;
    gsize len;
    if (!p->key_file || !g_file_get_contents(p->key_file, &data, &len, NULL))
        return NULL;
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (key && X509_check_private_key(p->cert, key) != 1)
        g_clear_pointer(&key, EVP_PKEY_free);
    ERR_clear_error();
    return key;
}

/* ---- key types ---------------------------------------------------------- */

/**
 * sim_key_type_name:
 * @key: a key type
 *
 * Returns: its name ("rsa-2048", "rsa-3072", "ecdsa-p256", "ed25519").
 */
const char *
sim_key_type_name(SimKeyType key)
{
    g_return_val_if_fail(key < SIM_KEY_N_TYPES, "?");
    return key_type_names[key];
}

/**
 * sim_key_type_from_name:
 * @name: a key type name
 * @key: (out): the key type
 *
 * Returns: %TRUE if @name is a known key type.
 */
gboolean
sim_key_type_from_name(const char *name, SimKeyType *key)
{
    for (guint k = 0; k < SIM_KEY_N_TYPES; k++) {
        if (g_str_equal(name, key_type_names[k])) {
            *key = k;
            return TRUE;
        }
    }
    return FALSE;
}

static EVP_PKEY *
pki_keygen(SimKeyType key, GError **error)
{
    EVP_PKEY *pk = NULL;
    switch (key) {
    case SIM_KEY_RSA_2048:
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        break;
    case SIM_KEY_RSA_3072:
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
        break;
    case SIM_KEY_ECDSA_P256:
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        break;
    case SIM_KEY_ED25519:
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        break;
    default:
        g_assert_not_reached();
    }
    if (!pk)
        pki_set_ssl_error(error, SIM_PKI_ERROR_FAILED, "key generation");
    return pk;
}

/* The key type of @pk, or FALSE if it is none the model knows. */
static gboolean
pki_key_type_of(EVP_PKEY *pk, SimKeyType *out)
{
    int bits = EVP_PKEY_get_bits(pk);
    if (EVP_PKEY_is_a(pk, "RSA") && (bits == 2048 || bits == 3072)) {
        *out = bits == 2048 ? SIM_KEY_RSA_2048 : SIM_KEY_RSA_3072;
        return TRUE;
    }
    if (EVP_PKEY_is_a(pk, "EC") && bits == 256) {
        *out = SIM_KEY_ECDSA_P256;
        return TRUE;
    }
    if (EVP_PKEY_is_a(pk, "ED25519")) {
        *out = SIM_KEY_ED25519;
        return TRUE;
    }
    return FALSE;
}

/* ---- certificate generation --------------------------------------------- */

/* What a generated certificate says. */
typedef struct {
    /* Subject common name. */
    const char *cn;
    /* (nullable): subjectAltName in OpenSSL syntax, comma-joined. */
    const char *san;
    /* TRUE for a CA certificate. */
    gboolean ca;
    /* TRUE for a validity window before the reference time. */
    gboolean expired;
} PkiCertSpec;

/* A fixed-length (16 byte) positive serial derived from the subject. */
static gboolean
pki_set_serial(X509 *x, const PkiCertSpec *spec)
{
    guint8 md[32];
    gsize md_len = sizeof md;
    g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(ck, (const guchar *)spec->cn, -1);
    g_checksum_update(ck, (const guchar *)"\n", 1);
    if (spec->san)
        g_checksum_update(ck, (const guchar *)spec->san, -1);
    g_checksum_get_digest(ck, md, &md_len);
    md[0] = 0x40 | (md[0] & 0x3f);
    BIGNUM *bn = BN_bin2bn(md, 16, NULL);
    gboolean ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
    BN_free(bn);
    return ok;
}

static gboolean
pki_add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (!ext)
        return FALSE;
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok == 1;
}

static gboolean
pki_set_body(X509 *x, EVP_PKEY *key, const PkiCertSpec *spec, X509 *issuer)
{
    gint64 from = spec->expired ? PKI_EXPIRED_FROM : PKI_VALID_FROM;
    gint64 until = spec->expired ? PKI_EXPIRED_UNTIL : PKI_VALID_UNTIL;
    X509_NAME *name = X509_get_subject_name(x);
    if (!X509_set_version(x, 2) || !pki_set_serial(x, spec) ||
        !ASN1_TIME_set(X509_getm_notBefore(x), (time_t)from) ||
        !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)until) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                    (const guchar *)spec->cn, -1, -1, 0) ||
        !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer)
                                        : name) ||
        !X509_set_pubkey(x, key))
        return FALSE;
    if (spec->ca)
        return pki_add_ext(x, NULL, NID_basic_constraints, "critical,CA:TRUE") &&
               pki_add_ext(x, NULL, NID_key_usage,
                           "critical,keyCertSign,cRLSign") &&
               pki_add_ext(x, NULL, NID_subject_key_identifier, "hash");
    if (!pki_add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE") ||
        !pki_add_ext(x, issuer, NID_key_usage, "critical,digitalSignature") ||
        !pki_add_ext(x, issuer, NID_ext_key_usage, "serverAuth,clientAuth") ||
        !pki_add_ext(x, issuer, NID_authority_key_identifier, "keyid:always"))
        return FALSE;
    return !spec->san || pki_add_ext(x, issuer, NID_subject_alt_name, spec->san);
}

/* Signs @x until its signature has the key's maximum length, so that the
 * certificate's DER length does not depend on the draw. */
static gboolean
pki_sign_fixed(X509 *x, EVP_PKEY *issuer_key)
{
    const EVP_MD *md = EVP_PKEY_is_a(issuer_key, "ED25519") ? NULL
                                                             : EVP_sha256();
    int want = EVP_PKEY_get_size(issuer_key);
    for (guint i = 0; i < PKI_MAX_SIGN_TRIES; i++) {
        const ASN1_BIT_STRING *sig = NULL;
        if (X509_sign(x, issuer_key, md) <= 0)
            return FALSE;
        X509_get0_signature(&sig, NULL, x);
        if (ASN1_STRING_length(sig) == want)
            return TRUE;
    }
    return FALSE;
}

/* Generates a key and a certificate for it, issued by @issuer (or
 * self-signed when @issuer is NULL). */
static gboolean
pki_generate(SimKeyType key, const PkiCertSpec *spec, const PkiPair *issuer,
             PkiPair *out, GError **error)
{
    PkiPair p = { X509_new(), pki_keygen(key, error), NULL };
    if (!p.key) {
        pki_pair_clear(&p);
        return FALSE;
    }
    X509 *icert = issuer ? issuer->cert : NULL;
    g_autoptr(EVP_PKEY) ikey = pki_pair_key(issuer ? issuer : &p);
    if (!ikey || !pki_set_body(p.cert, p.key, spec, icert) ||
        !pki_sign_fixed(p.cert, ikey)) {
        pki_set_ssl_error(error, SIM_PKI_ERROR_FAILED,
                          "cannot make a certificate");
        pki_pair_clear(&p);
        return FALSE;
    }
    *out = p;
    return TRUE;
}

/* ---- the cache ---------------------------------------------------------- */

static char *
pki_hash_hex(const char *text)
{
    char *full = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
    full[32] = '\0';
    return full;
}

/* Reads the certificate of a key + certificate PEM file (the key stays on
 * disk, see PkiPair); FALSE (no error) if absent or bad. */
static gboolean
pki_cache_read(const char *path, PkiPair *out)
{
    g_autofree char *data = NULL;
    gsize len;
    if (!path || !g_file_get_contents(path, &data, &len, NULL))
        return FALSE;
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    X509 *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    ERR_clear_error();
    if (!cert)
        return FALSE;
    *out = (PkiPair){ cert, NULL, g_strdup(path) };
    return TRUE;
}

/* Certificates read from cache files and found valid, shared read-only by
 * every PKI of the process (every run of a batch): "<path>\n<issuer>" ->
 * X509 (one reference held), where <issuer> is the SHA-256 of the
 * issuing certificate ("self" for a CA).  A file is parsed and its
 * signature checked once per process; the files never change but by
 * pki_obtain replacing a stale one, which updates the entry. */
static GMutex pki_disk_lock;
static GHashTable *pki_disk;

/* Verification results shared by every PKI of the process (every run of a
 * batch validates a chain once): "<CA digest>\n<verify time>\n<chain
 * digest>" (see SimPki.verify_key) -> SimPeerId reference.  A verdict and
 * the identities depend only on the chain, the trusted CA and the instant,
 * all in the key; entries are never modified. */
static GMutex pki_verified_lock;
static GHashTable *pki_verified;

static char *
pki_disk_key(const char *path, const PkiPair *issuer)
{
    if (!issuer)
        return g_strconcat(path, "\nself", NULL);
    char hex[65] = "";
    pki_cert_hex(issuer->cert, hex);
    return g_strconcat(path, "\n", hex, NULL);
}

/* The shared certificate of @key (a new reference), or NULL. */
static X509 *
pki_disk_get(const char *key)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&pki_disk_lock);
    X509 *cert = pki_disk ? g_hash_table_lookup(pki_disk, key) : NULL;
    if (cert)
        X509_up_ref(cert);
    return cert;
}

static void
pki_disk_put(const char *key, X509 *cert)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&pki_disk_lock);
    if (!pki_disk)
        pki_disk = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify)X509_free);
    X509_up_ref(cert);
    g_hash_table_replace(pki_disk, g_strdup(key), cert);
}

static char *
pki_pair_to_pem(const PkiPair *p, gsize *len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *text = NULL;
    if (PEM_write_bio_PrivateKey(bio, p->key, NULL, NULL, 0, NULL, NULL) &&
        PEM_write_bio_X509(bio, p->cert)) {
        char *mem;
        long n = BIO_get_mem_data(bio, &mem);
        text = g_strndup(mem, n);
        *len = n;
    }
    BIO_free(bio);
    return text;
}

/* Publishes @p at @path unless someone already did (first writer wins;
 * @replace overwrites a stale file).  Failures only cost a regeneration
 * next time, so they are not errors. */
static void
pki_cache_write(const char *path, const PkiPair *p, gboolean replace)
{
    gsize len = 0;
    g_autofree char *pem = pki_pair_to_pem(p, &len);
    g_autofree char *tmp = g_strdup_printf("%s.tmp-XXXXXX", path);
    if (!pem)
        return;
    int fd = g_mkstemp_full(tmp, O_WRONLY, 0600);
    if (fd < 0)
        return;
    gboolean ok = write(fd, pem, len) == (gssize)len;
    ok = close(fd) == 0 && ok;
    if (ok && replace)
        ok = g_rename(tmp, path) == 0;
    else if (ok && link(tmp, path) != 0 && errno != EEXIST)
        g_debug("cannot publish %s: %s", path, g_strerror(errno));
    g_unlink(tmp);
}

/* Finds @file in the cache (and valid per @issuer), or generates it,
 * publishes it and re-reads what was published.  Material from the cache
 * comes without its private key (PkiPair.key_file). */
static gboolean
pki_obtain(SimPki *pki, const char *file, const PkiCertSpec *spec,
           const PkiPair *issuer, PkiPair *out, GError **error)
{
    g_autofree char *path =
        pki->cache_dir ? g_build_filename(pki->cache_dir, file, NULL) : NULL;
    g_autofree char *key = path ? pki_disk_key(path, issuer) : NULL;
    X509 *shared = key ? pki_disk_get(key) : NULL;
    if (shared) {
        *out = (PkiPair){ shared, NULL, g_strdup(path) };
        return TRUE;
    }
    gboolean stale = FALSE;
    if (pki_cache_read(path, out)) {
        EVP_PKEY *ik = X509_get0_pubkey(issuer ? issuer->cert : out->cert);
        if (X509_verify(out->cert, ik) == 1) {
            pki_disk_put(key, out->cert);
            return TRUE;
        }
        ERR_clear_error();
        pki_pair_clear(out);
        stale = TRUE;
    }
    if (!pki_generate(pki->key, spec, issuer, out, error))
        return FALSE;
    if (!path)
        return TRUE;
    pki_cache_write(path, out, stale);
    PkiPair disk = { 0 };
    if (!stale && pki_cache_read(path, &disk)) {
        /* Another process may have published first: its material wins. */
        pki_pair_clear(out);
        *out = disk;
    }
    pki_disk_put(key, out->cert);
    return TRUE;
}

static gboolean
pki_read_file(const char *what, const char *path, char **data, gsize *len,
              GError **error)
{
    GError *local = NULL;
    if (g_file_get_contents(path, data, len, &local))
        return TRUE;
    g_set_error(error, SIM_PKI_ERROR, SIM_PKI_ERROR_FILE, "%s: %s", what,
                local->message);
    g_error_free(local);
    return FALSE;
}

/* ---- life cycle ----------------------------------------------------------- */

static gboolean
pki_load_ca_files(SimPki *pki, const SimPkiParams *params, GError **error)
{
    g_autofree char *data = NULL;
    g_autofree char *kdata = NULL;
    gsize len;
    if (!pki_read_file("ca-file", params->ca_file, &data, &len, error))
        return FALSE;
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    pki->ca.cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!pki->ca.cert) {
        pki_set_ssl_error(error, SIM_PKI_ERROR_FILE, params->ca_file);
        g_prefix_error(error, "ca-file: no PEM certificate in ");
        return FALSE;
    }
    if (!params->ca_key_file)
        return TRUE;
    if (!pki_read_file("ca-key-file", params->ca_key_file, &kdata, &len,
                       error))
        return FALSE;
    bio = BIO_new_mem_buf(kdata, (int)len);
    pki->ca.key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!pki->ca.key) {
        pki_set_ssl_error(error, SIM_PKI_ERROR_FILE, params->ca_key_file);
        g_prefix_error(error, "ca-key-file: no PEM private key in ");
        return FALSE;
    }
    if (X509_check_private_key(pki->ca.cert, pki->ca.key) != 1) {
        ERR_clear_error();
        g_set_error(error, SIM_PKI_ERROR, SIM_PKI_ERROR_KEY_MISMATCH,
                    "ca-key-file %s does not match ca-file %s",
                    params->ca_key_file, params->ca_file);
        return FALSE;
    }
    return TRUE;
}

/* The cache folder of this CA: keyed by what determines the material. */
static gboolean
pki_init_cache(SimPki *pki, const SimPkiParams *params, GError **error)
{
    g_autofree char *inputs = NULL;
    if (params->ca_file) {
        guint8 md[32];
        unsigned int n = sizeof md;
        X509_digest(pki->ca.cert, EVP_sha256(), md, &n);
        g_autofree char *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
                                                           md, n);
        inputs = g_strdup_printf("sipreuse-pki 1\nkey=%s\nca-file=%s\n",
                                 key_type_names[pki->key], hex);
    } else {
        inputs = g_strdup_printf("sipreuse-pki 1\nkey=%s\nca=%s\n",
                                 key_type_names[pki->key], pki->ca_name);
    }
    g_autofree char *hash = pki_hash_hex(inputs);
    pki->cache_dir = g_build_filename(params->cache_dir, hash, NULL);
    if (g_mkdir_with_parents(pki->cache_dir, 0700) != 0) {
        int e = errno;
        g_set_error(error, SIM_PKI_ERROR, SIM_PKI_ERROR_CACHE,
                    "cannot create the PKI cache %s: %s", pki->cache_dir,
                    g_strerror(e));
        return FALSE;
    }
    return TRUE;
}

/**
 * sim_pki_new:
 * @params: the run's PKI parameters
 * @error: return location for a %SIM_PKI_ERROR
 *
 * Loads or generates (or finds in the cache) the run's CA.  Key generation
 * happens here and in sim_pki_issue(), outside simulated time.
 *
 * Returns: (transfer full) (nullable): the PKI, or %NULL on error.
 */
SimPki *
sim_pki_new(const SimPkiParams *params, GError **error)
{
    g_return_val_if_fail(params && params->key < SIM_KEY_N_TYPES, NULL);
    g_autoptr(SimPki) pki = g_new0(SimPki, 1);
    g_mutex_init(&pki->lock);
    pki->key = params->key;
    pki->verify_time = params->verify_time_set ? params->verify_time
                                               : SIM_PKI_REFERENCE_TIME;
    pki->ca_name = g_strdup(params->ca_name ? params->ca_name : "sipreuse CA");
    if (params->ca_file && !pki_load_ca_files(pki, params, error))
        return NULL;
    if (params->cache_dir && !pki_init_cache(pki, params, error))
        return NULL;
    if (!params->ca_file) {
        PkiCertSpec spec = { .cn = pki->ca_name, .ca = TRUE };
        if (!pki_obtain(pki, "ca.pem", &spec, NULL, &pki->ca, error))
            return NULL;
    }
    pki->store = X509_STORE_new();
    X509_STORE_add_cert(pki->store, pki->ca.cert);
    char hex[65];
    /* Without a digest, results are not cached (verify_key NULL). */
    if (pki_cert_hex(pki->ca.cert, hex))
        pki->verify_key = g_strdup_printf("%s\n%" G_GINT64_FORMAT "\n", hex,
                                          pki->verify_time);
    return g_steal_pointer(&pki);
}

/**
 * sim_pki_free:
 * @pki: (nullable): a PKI
 *
 * Frees the PKI.  Credentials issued by it stay valid.
 */
void
sim_pki_free(SimPki *pki)
{
    if (!pki)
        return;
    pki_pair_clear(&pki->ca);
    pki_pair_clear(&pki->rogue);
    g_clear_pointer(&pki->store, X509_STORE_free);
    g_free(pki->verify_key);
    g_mutex_clear(&pki->lock);
    g_free(pki->cache_dir);
    g_free(pki->ca_name);
    g_free(pki);
}

/* ---- credentials ------------------------------------------------------------ */

static SimPkiCreds *
pki_creds_new(PkiPair *pair, STACK_OF(X509) *chain, SimKeyType key_type)
{
    SimPkiCreds *c = g_new0(SimPkiCreds, 1);
    g_autoptr(GByteArray) ders = g_byte_array_sized_new(2048);
    c->pair = *pair;
    *pair = (PkiPair){ 0 };
    c->chain = chain;
    c->key_type = key_type;
    /* The size of the key's signatures, a property of its public half. */
    c->sig_len = (guint)EVP_PKEY_get_size(X509_get0_pubkey(c->pair.cert));
    for (int i = 0; i < sk_X509_num(chain); i++) {
        guchar *der = NULL;
        int n = i2d_X509(sk_X509_value(chain, i), &der);
        g_assert_cmpint(n, >, 0);
        c->chain_len += (guint)n;
        if (i == 0)
            c->leaf_len = (guint)n;
        g_byte_array_append(ders, der, (guint)n);
        OPENSSL_free(der);
    }
    sim_sha256_hex(ders->data, ders->len, c->digest);
    return c;
}

/* Validates and joins the cert-san list for X509V3_EXT_conf. */
static char *
pki_join_san(const char *const *san, GError **error)
{
    if (!san || !san[0])
        return NULL;
    for (guint i = 0; san[i]; i++) {
        const char *colon = strchr(san[i], ':');
        if (!colon || colon == san[i] || !colon[1] || strchr(san[i], ',')) {
            g_set_error(error, SIM_PKI_ERROR, SIM_PKI_ERROR_SAN,
                        "cert-san entry '%s' is not TYPE:VALUE (e.g. "
                        "URI:sip:example.com, DNS:p1.example.com)", san[i]);
            return NULL;
        }
    }
    return g_strjoinv(",", (char **)san);
}

/* The untrusted CA, generated on first use. */
static const PkiPair *
pki_rogue(SimPki *pki, GError **error)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&pki->lock);
    if (pki->rogue.cert)
        return &pki->rogue;
    g_autofree char *cn = g_strdup_printf("%s (untrusted)", pki->ca_name);
    PkiCertSpec spec = { .cn = cn, .ca = TRUE };
    if (!pki_obtain(pki, "rogue.pem", &spec, NULL, &pki->rogue, error))
        return NULL;
    return &pki->rogue;
}

/**
 * sim_pki_issue:
 * @pki: the PKI
 * @node: the node's name (the certificate's CN)
 * @san: (nullable) (array zero-terminated=1): subjectAltName entries in
 *   OpenSSL syntax; %NULL or empty: no SAN extension at all
 * @expired: %TRUE for a certificate expired at the reference time
 * @untrusted: %TRUE for one issued by a CA the run does not trust
 * @error: return location for a %SIM_PKI_ERROR
 *
 * Issues (or finds in the cache) a node's credentials; the chain sent is
 * the leaf followed by its issuing CA.
 *
 * Returns: (transfer full) (nullable): the credentials, or %NULL.
 */
SimPkiCreds *
sim_pki_issue(SimPki *pki, const char *node, const char *const *san,
              gboolean expired, gboolean untrusted, GError **error)
{
    g_return_val_if_fail(pki && node, NULL);
    GError *local = NULL;
    g_autofree char *joined = pki_join_san(san, &local);
    if (local) {
        g_propagate_prefixed_error(error, local, "node %s: ", node);
        return NULL;
    }
    const PkiPair *issuer = untrusted ? pki_rogue(pki, error) : &pki->ca;
    if (!issuer)
        return NULL;
    if (!issuer->key && !issuer->key_file) {
        g_set_error(error, SIM_PKI_ERROR, SIM_PKI_ERROR_FAILED,
                    "node %s: ca-file has no ca-key-file to issue a "
                    "certificate with; give the node a cert-file", node);
        return NULL;
    }
    PkiCertSpec spec = { node, joined, FALSE, expired };
    g_autofree char *inputs =
        g_strdup_printf("node=%s\nsan=%s\nexpired=%d\nuntrusted=%d\n", node,
                        joined ? joined : "", expired, untrusted);
    g_autofree char *hash = pki_hash_hex(inputs);
    g_autofree char *file = g_strdup_printf("leaf-%s.pem", hash);
    PkiPair pair = { 0 };
    if (!pki_obtain(pki, file, &spec, issuer, &pair, &local)) {
        if (g_error_matches(local, SIM_PKI_ERROR, SIM_PKI_ERROR_FAILED) &&
            joined)
            local->code = SIM_PKI_ERROR_SAN;
        g_propagate_prefixed_error(error, local, "node %s: ", node);
        return NULL;
    }
    /* Certificates are shared, never modified: references, not copies. */
    STACK_OF(X509) *chain = sk_X509_new_null();
    X509_up_ref(pair.cert);
    sk_X509_push(chain, pair.cert);
    X509_up_ref(issuer->cert);
    sk_X509_push(chain, issuer->cert);
    return pki_creds_new(&pair, chain, pki->key);
}

/* Every certificate of a PEM file, in file order. */
static STACK_OF(X509) *
pki_read_certs(const char *path, GError **error)
{
    g_autofree char *data = NULL;
    gsize len;
    if (!pki_read_file("cert-file", path, &data, &len, error))
        return NULL;
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    STACK_OF(X509) *chain = sk_X509_new_null();
    X509 *x;
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)))
        sk_X509_push(chain, x);
    BIO_free(bio);
    ERR_clear_error();
    if (sk_X509_num(chain) == 0) {
        sk_X509_free(chain);
        g_set_error(error, SIM_PKI_ERROR, SIM_PKI_ERROR_FILE,
                    "cert-file %s: no PEM certificate in it", path);
        return NULL;
    }
    return chain;
}

static EVP_PKEY *
pki_read_key(const char *path, GError **error)
{
    g_autofree char *data = NULL;
    gsize len;
    if (!pki_read_file("key-file", path, &data, &len, error))
        return NULL;
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!key) {
        pki_set_ssl_error(error, SIM_PKI_ERROR_FILE, path);
        g_prefix_error(error, "key-file: no PEM private key in ");
    }
    return key;
}

/**
 * sim_pki_load:
 * @pki: the PKI (unused but for symmetry with sim_pki_issue)
 * @cert_file: PEM file: the leaf, then the chain to send
 * @key_file: PEM private key of the leaf
 * @error: return location for a %SIM_PKI_ERROR naming the file
 *
 * Loads a node's credentials from files; the chain sent is the file's
 * certificates in order.
 *
 * Returns: (transfer full) (nullable): the credentials, or %NULL.
 */
SimPkiCreds *
sim_pki_load(SimPki *pki, const char *cert_file, const char *key_file,
             GError **error)
{
    g_return_val_if_fail(cert_file && key_file, NULL);
    STACK_OF(X509) *chain = pki_read_certs(cert_file, error);
    if (!chain)
        return NULL;
    PkiPair pair = { X509_dup(sk_X509_value(chain, 0)),
                     pki_read_key(key_file, error), NULL };
    SimKeyType kt = SIM_KEY_ECDSA_P256;
    if (!pair.key)
        goto out_fail;
    if (X509_check_private_key(pair.cert, pair.key) != 1) {
        ERR_clear_error();
        g_set_error(error, SIM_PKI_ERROR, SIM_PKI_ERROR_KEY_MISMATCH,
                    "key-file %s does not match cert-file %s", key_file,
                    cert_file);
        goto out_fail;
    }
    if (!pki_key_type_of(pair.key, &kt)) {
        g_set_error(error, SIM_PKI_ERROR, SIM_PKI_ERROR_FILE,
                    "key-file %s: unsupported key (use rsa-2048, rsa-3072, "
                    "ecdsa-p256 or ed25519)", key_file);
        goto out_fail;
    }
    return pki_creds_new(&pair, chain, kt);

out_fail:
    pki_pair_clear(&pair);
    sk_X509_pop_free(chain, X509_free);
    return NULL;
}

/* A passphrase callback that gives none: encrypted keys fail instead of
 * prompting on the terminal. */
static int
pki_no_passphrase(char *buf, int size, int rwflag, void *u)
{
    return -1;
}

/* Checks that every PEM certificate block of @bio parses and that there
 * is at least one. */
static gboolean
pki_check_certs(BIO *bio, const char *path, GError **error)
{
    guint n = 0;
    X509 *x;
    ERR_clear_error();
    while ((x = PEM_read_bio_X509(bio, NULL, pki_no_passphrase, NULL))) {
        X509_free(x);
        n++;
    }
    unsigned long e = ERR_peek_last_error();
    gboolean end = ERR_GET_LIB(e) == ERR_LIB_PEM &&
                   ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
    if (end && n > 0) {
        ERR_clear_error();
        return TRUE;
    }
    if (end) {
        ERR_clear_error();
        g_set_error(error, SIM_PKI_ERROR, SIM_PKI_ERROR_FILE,
                    "no PEM certificate (-----BEGIN CERTIFICATE-----) in %s",
                    path);
        return FALSE;
    }
    g_autofree char *what = g_strdup_printf(
        "certificate %u of %s does not parse", n + 1, path);
    pki_set_ssl_error(error, SIM_PKI_ERROR_FILE, what);
    return FALSE;
}

/**
 * sim_pki_check_pem_file:
 * @path: a PEM file
 * @kind: what it must hold
 * @error: return location for a %SIM_PKI_ERROR naming the file and, from
 *   OpenSSL, why
 *
 * Parses @path as sim_pki_new() and sim_pki_load() would, without
 * building anything: for the topology loader, which must find every
 * problem before a run.
 *
 * Returns: %TRUE if @path holds @kind.
 */
gboolean
sim_pki_check_pem_file(const char *path, SimPkiPemKind kind, GError **error)
{
    g_return_val_if_fail(path != NULL, FALSE);
    g_autofree char *data = NULL;
    gsize len;
    if (!pki_read_file(path, path, &data, &len, error))
        return FALSE;
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    if (kind == SIM_PKI_PEM_CERTS) {
        gboolean ok = pki_check_certs(bio, path, error);
        BIO_free(bio);
        return ok;
    }
    ERR_clear_error();
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, pki_no_passphrase,
                                            NULL);
    BIO_free(bio);
    if (!key) {
        g_autofree char *what = g_strdup_printf(
            "no unencrypted PEM private key in %s", path);
        pki_set_ssl_error(error, SIM_PKI_ERROR_FILE, what);
        return FALSE;
    }
    SimKeyType kt;
    gboolean ok = kind != SIM_PKI_PEM_LEAF_KEY || pki_key_type_of(key, &kt);
    if (!ok)
        g_set_error(error, SIM_PKI_ERROR, SIM_PKI_ERROR_FILE,
                    "%s: an unsupported %s key of %d bits (nodes use "
                    "rsa-2048, rsa-3072, ecdsa-p256 or ed25519)",
                    path, EVP_PKEY_get0_type_name(key),
                    EVP_PKEY_get_bits(key));
    EVP_PKEY_free(key);
    return ok;
}

/**
 * sim_pki_check_pem_pair:
 * @cert_file: a PEM file whose first certificate is checked
 * @key_file: a PEM private key
 * @error: return location for %SIM_PKI_ERROR_KEY_MISMATCH (or a
 *   %SIM_PKI_ERROR_FILE if either does not parse)
 *
 * Returns: %TRUE if @key_file holds the private key of @cert_file's first
 *   certificate.
 */
gboolean
sim_pki_check_pem_pair(const char *cert_file, const char *key_file,
                       GError **error)
{
    g_return_val_if_fail(cert_file && key_file, FALSE);
    g_autofree char *cdata = NULL, *kdata = NULL;
    gsize clen, klen;
    if (!pki_read_file(cert_file, cert_file, &cdata, &clen, error) ||
        !pki_read_file(key_file, key_file, &kdata, &klen, error))
        return FALSE;
    BIO *cb = BIO_new_mem_buf(cdata, (int)clen);
    BIO *kb = BIO_new_mem_buf(kdata, (int)klen);
    PkiPair pair = { PEM_read_bio_X509(cb, NULL, pki_no_passphrase, NULL),
                     PEM_read_bio_PrivateKey(kb, NULL, pki_no_passphrase,
                                             NULL),
                     NULL };
    BIO_free(cb);
    BIO_free(kb);
    gboolean ok = pair.cert && pair.key &&
                  X509_check_private_key(pair.cert, pair.key) == 1;
    ERR_clear_error();
    if (!ok && pair.cert && pair.key)
        g_set_error(error, SIM_PKI_ERROR, SIM_PKI_ERROR_KEY_MISMATCH,
                    "%s does not hold the key of %s's certificate",
                    key_file, cert_file);
    else if (!ok)
        g_set_error(error, SIM_PKI_ERROR, SIM_PKI_ERROR_FILE,
                    "%s or %s does not parse", cert_file, key_file);
    pki_pair_clear(&pair);
    return ok;
}

/**
 * sim_pki_creds_free:
 * @creds: (nullable): credentials
 *
 * Frees them.
 */
void
sim_pki_creds_free(SimPkiCreds *creds)
{
    if (!creds)
        return;
    pki_pair_clear(&creds->pair);
    sk_X509_pop_free(creds->chain, X509_free);
    g_free(creds);
}

/**
 * sim_pki_creds_chain_len:
 * @creds: credentials
 *
 * Returns: the DER bytes of the chain sent (leaf and CA certificates), the
 *   certificate_list payload of a Certificate message without its length
 *   fields.
 */
guint
sim_pki_creds_chain_len(const SimPkiCreds *creds)
{
    return creds->chain_len;
}

/**
 * sim_pki_creds_leaf_len:
 * @creds: credentials
 *
 * Returns: the DER bytes of the leaf certificate alone (what a session
 *   ticket embeds of a client's chain).
 */
guint
sim_pki_creds_leaf_len(const SimPkiCreds *creds)
{
    return creds->leaf_len;
}

/**
 * sim_pki_creds_sig_len:
 * @creds: credentials
 *
 * Returns: the length of this key's signatures (CertificateVerify,
 *   ServerKeyExchange); for ECDSA the maximum DER length (72 for P-256).
 */
guint
sim_pki_creds_sig_len(const SimPkiCreds *creds)
{
    return creds->sig_len;
}

/**
 * sim_pki_creds_key_type:
 * @creds: credentials
 *
 * Returns: the leaf's key type.
 */
SimKeyType
sim_pki_creds_key_type(const SimPkiCreds *creds)
{
    return creds->key_type;
}

/**
 * sim_pki_creds_n_certs:
 * @creds: credentials
 *
 * Returns: the number of certificates in the chain sent.
 */
guint
sim_pki_creds_n_certs(const SimPkiCreds *creds)
{
    return (guint)sk_X509_num(creds->chain);
}

/**
 * sim_pki_creds_cert_der:
 * @creds: credentials
 * @index: position in the chain (0 = leaf)
 *
 * Returns: (transfer full) (nullable): the DER of that certificate, or
 *   %NULL past the end.
 */
GBytes *
sim_pki_creds_cert_der(const SimPkiCreds *creds, guint index)
{
    if (index >= sim_pki_creds_n_certs(creds))
        return NULL;
    guchar *der = NULL;
    int n = i2d_X509(sk_X509_value(creds->chain, (int)index), &der);
    GBytes *b = g_bytes_new(der, n);
    OPENSSL_free(der);
    return b;
}

static gboolean
pki_write_pem(const char *path, BIO *bio, GError **error)
{
    char *mem;
    long n = BIO_get_mem_data(bio, &mem);
    GError *local = NULL;
    if (g_file_set_contents_full(path, mem, n, G_FILE_SET_CONTENTS_CONSISTENT,
                                 0600, &local))
        return TRUE;
    g_set_error(error, SIM_PKI_ERROR, SIM_PKI_ERROR_FILE, "%s",
                local->message);
    g_error_free(local);
    return FALSE;
}

static gboolean
pki_write_pair(STACK_OF(X509) *certs, X509 *one, EVP_PKEY *key,
               const char *cert_file, const char *key_file, GError **error)
{
    BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
    for (int i = 0; certs && i < sk_X509_num(certs); i++)
        PEM_write_bio_X509(cb, sk_X509_value(certs, i));
    if (one)
        PEM_write_bio_X509(cb, one);
    gboolean ok = pki_write_pem(cert_file, cb, error);
    if (ok && key_file && key) {
        PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL);
        ok = pki_write_pem(key_file, kb, error);
    }
    BIO_free(cb);
    BIO_free(kb);
    return ok;
}

/**
 * sim_pki_creds_write_pem:
 * @creds: credentials
 * @cert_file: where to write the chain (PEM, leaf first)
 * @key_file: (nullable): where to write the private key (PEM)
 * @error: return location for a %SIM_PKI_ERROR
 *
 * Writes the credentials in the format sim_pki_load() reads.
 *
 * Returns: %TRUE on success.
 */
gboolean
sim_pki_creds_write_pem(const SimPkiCreds *creds, const char *cert_file,
                        const char *key_file, GError **error)
{
    g_autoptr(EVP_PKEY) key = pki_pair_key(&creds->pair);
    return pki_write_pair(creds->chain, NULL, key, cert_file, key_file,
                          error);
}

/**
 * sim_pki_write_ca:
 * @pki: a PKI
 * @cert_file: where to write the CA certificate (PEM)
 * @key_file: (nullable): where to write its key, if the PKI has it
 * @error: return location for a %SIM_PKI_ERROR
 *
 * Writes the trusted CA in the format of [pki] ca-file / ca-key-file.
 *
 * Returns: %TRUE on success.
 */
gboolean
sim_pki_write_ca(SimPki *pki, const char *cert_file, const char *key_file,
                 GError **error)
{
    g_autoptr(EVP_PKEY) key = pki_pair_key(&pki->ca);
    return pki_write_pair(NULL, pki->ca.cert, key, cert_file, key_file,
                          error);
}

/* ---- identities (RFC 5922 section 7.1) ------------------------------------ */

/* The host of a SAN URI if it is an acceptable SIP identity: scheme "sip"
 * (not "sips"), no userpart; port and parameters dropped.  NULL otherwise. */
static char *
pki_sip_uri_host(const char *uri, gsize len)
{
    if (len < 4 || g_ascii_strncasecmp(uri, "sip:", 4) != 0)
        return NULL;
    const char *host = uri + 4, *end = uri + len;
    if (memchr(host, '@', end - host))
        return NULL;
    const char *stop = host;
    while (stop < end && !strchr(":;?>", *stop))
        stop++;
    if (stop == host)
        return NULL;
    return g_ascii_strdown(host, stop - host);
}

static gint
pki_cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts, removes duplicates, NULL-terminates and frees the array. */
static char **
pki_sorted_strv(GPtrArray *a)
{
    g_ptr_array_sort(a, pki_cmp_str);
    for (guint i = 1; i < a->len;) {
        if (strcmp(a->pdata[i - 1], a->pdata[i]) == 0)
            g_ptr_array_remove_index(a, i);
        else
            i++;
    }
    g_ptr_array_add(a, NULL);
    return (char **)g_ptr_array_free(a, FALSE);
}

static char *
pki_common_name(X509 *leaf)
{
    X509_NAME *name = X509_get_subject_name(leaf);
    int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (i < 0)
        return NULL;
    ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    return g_ascii_strdown((const char *)ASN1_STRING_get0_data(s),
                           ASN1_STRING_length(s));
}

/* Fills id->identities and id->dns_names from the leaf. */
static void
pki_extract_identities(X509 *leaf, SimPeerId *id)
{
    GPtrArray *sip = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *dns = g_ptr_array_new_with_free_func(g_free);
    GENERAL_NAMES *gens =
        X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        const ASN1_IA5STRING *s = g->d.ia5;
        const char *text = (const char *)ASN1_STRING_get0_data(s);
        if (g->type == GEN_URI) {
            char *host = pki_sip_uri_host(text, ASN1_STRING_length(s));
            if (host)
                g_ptr_array_add(sip, host);
        } else if (g->type == GEN_DNS) {
            g_ptr_array_add(dns, g_ascii_strdown(text, ASN1_STRING_length(s)));
        }
    }
    if (!gens) {
        char *cn = pki_common_name(leaf);
        if (cn)
            g_ptr_array_add(sip, cn);
    } else if (sip->len == 0) {
        for (guint i = 0; i < dns->len; i++)
            g_ptr_array_add(sip, g_strdup(dns->pdata[i]));
    }
    GENERAL_NAMES_free(gens);
    id->identities = pki_sorted_strv(sip);
    id->dns_names = pki_sorted_strv(dns);
}

/* ---- validation -------------------------------------------------------------- */

static SimPeerId *
pki_peer_id_new(SimPkiVerdict verdict)
{
    SimPeerId *id = g_new0(SimPeerId, 1);
    id->refcount = 1;
    id->verdict = verdict;
    return id;
}

static SimPkiVerdict
pki_verdict_of(int err)
{
    switch (err) {
    case X509_V_OK:
        return SIM_PKI_OK;
    case X509_V_ERR_CERT_HAS_EXPIRED:
        return SIM_PKI_EXPIRED;
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return SIM_PKI_NOT_YET_VALID;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
        return SIM_PKI_UNTRUSTED;
    default:
        return SIM_PKI_INVALID;
    }
}

/* Runs OpenSSL's path validation at the PKI's verify time. */
static SimPkiVerdict
pki_validate(SimPki *pki, const SimPkiCreds *peer)
{
    X509_STORE_CTX *sc = X509_STORE_CTX_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    for (int i = 1; i < sk_X509_num(peer->chain); i++)
        sk_X509_push(untrusted, sk_X509_value(peer->chain, i));
    SimPkiVerdict v = SIM_PKI_INVALID;
    if (X509_STORE_CTX_init(sc, pki->store, peer->pair.cert, untrusted) == 1) {
        X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(sc);
        X509_VERIFY_PARAM_set_time(vp, (time_t)pki->verify_time);
        int ok = X509_verify_cert(sc);
        v = ok == 1 ? SIM_PKI_OK
                    : pki_verdict_of(X509_STORE_CTX_get_error(sc));
    }
    ERR_clear_error();
    sk_X509_free(untrusted);
    X509_STORE_CTX_free(sc);
    return v;
}

/**
 * sim_pki_verify_time:
 * @pki: a PKI
 *
 * Returns: the instant chains are validated at, in seconds since the epoch
 *   (UTC): SimPkiParams.verify_time if it was set, else
 *   %SIM_PKI_REFERENCE_TIME.
 */
gint64
sim_pki_verify_time(const SimPki *pki)
{
    g_return_val_if_fail(pki, SIM_PKI_REFERENCE_TIME);
    return pki->verify_time;
}

/* Validates @peer against @pki and extracts what it proves. */
static SimPeerId *
pki_peer_id_checked(SimPki *pki, const SimPkiCreds *peer)
{
    SimPeerId *id = pki_peer_id_new(pki_validate(pki, peer));
    if (id->verdict == SIM_PKI_OK) {
        pki_extract_identities(peer->pair.cert, id);
    } else {
        id->identities = g_new0(char *, 1);
        id->dns_names = g_new0(char *, 1);
    }
    return id;
}

/**
 * sim_pki_verify:
 * @pki: the run's PKI (trust store)
 * @peer: (nullable): the chain the peer presented; %NULL if none
 *
 * Validates the chain with OpenSSL at the PKI's verify time and extracts the
 * RFC 5922 identities.  Results are cached per chain, trusted CA and
 * verify time for the whole process, so repeated handshakes with one peer,
 * in this run or any other run of a batch, cost one real validation.
 *
 * Returns: (transfer full): what the chain proves; identities are empty
 *   unless the verdict is %SIM_PKI_OK.
 */
SimPeerId *
sim_pki_verify(SimPki *pki, const SimPkiCreds *peer)
{
    g_return_val_if_fail(pki, NULL);
    if (!peer)
        return pki_peer_id_new(SIM_PKI_NO_CERT);
    if (!pki->verify_key)
        return pki_peer_id_checked(pki, peer);
    g_autofree char *key = g_strconcat(pki->verify_key, peer->digest, NULL);
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&pki_verified_lock);
    if (!pki_verified)
        pki_verified = g_hash_table_new_full(
            g_str_hash, g_str_equal, g_free,
            (GDestroyNotify)sim_peer_id_unref);
    SimPeerId *id = g_hash_table_lookup(pki_verified, key);
    if (id)
        return sim_peer_id_ref(id);
    id = pki_peer_id_checked(pki, peer);
    g_hash_table_insert(pki_verified, g_steal_pointer(&key),
                        sim_peer_id_ref(id));
    return id;
}

/**
 * sim_peer_id_ref:
 * @id: a peer identity
 *
 * Returns: (transfer full): @id with one more reference.
 */
SimPeerId *
sim_peer_id_ref(SimPeerId *id)
{
    g_atomic_int_inc(&id->refcount);
    return id;
}

/**
 * sim_peer_id_unref:
 * @id: (nullable): a peer identity
 *
 * Drops a reference; frees it at zero.
 */
void
sim_peer_id_unref(SimPeerId *id)
{
    if (!id || !g_atomic_int_dec_and_test(&id->refcount))
        return;
    g_strfreev(id->identities);
    g_strfreev(id->dns_names);
    g_free(id);
}

/**
 * sim_pki_host_equal:
 * @a: a host name
 * @b: another
 *
 * Returns: %TRUE when they are the same DNS name: case-insensitive, whole
 *   name, no wildcard (RFC 5922 7.2).
 */
gboolean
sim_pki_host_equal(const char *a, const char *b)
{
    for (;; a++, b++) {
        guchar x = (guchar)*a, y = (guchar)*b;
        if (x != y && g_ascii_tolower(x) != g_ascii_tolower(y))
            return FALSE;
        if (!x)
            return TRUE;
    }
}

static gboolean
pki_strv_has(char *const *v, const char *name)
{
    for (guint i = 0; v && v[i]; i++)
        if (sim_pki_host_equal(v[i], name))
            return TRUE;
    return FALSE;
}

/**
 * sim_peer_id_matches:
 * @id: (nullable): what a handshake proved
 * @domain: a SIP domain (the AUS host, a next-hop host)
 *
 * RFC 5922 section 7.2: exact, case-insensitive, whole-name comparison with
 * the identities; no suffix match, and "*" has no wildcard meaning.
 *
 * Returns: %TRUE if the chain was valid and proves @domain.
 */
gboolean
sim_peer_id_matches(const SimPeerId *id, const char *domain)
{
    return id && domain && id->verdict == SIM_PKI_OK &&
           pki_strv_has(id->identities, domain);
}

/**
 * sim_peer_id_has_dns:
 * @id: (nullable): what a handshake proved
 * @name: a host name (an SRV target, for strict RFC 3263)
 *
 * Returns: %TRUE if the chain was valid and has a dNSName SAN equal to
 *   @name (case-insensitive, whole name).
 */
gboolean
sim_peer_id_has_dns(const SimPeerId *id, const char *name)
{
    return id && name && id->verdict == SIM_PKI_OK &&
           pki_strv_has(id->dns_names, name);
}
