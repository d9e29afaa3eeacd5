/* SPDX-License-Identifier: MIT */
/*
 * PEM certificates for tests, made with OpenSSL directly (not through
 * models/pki.c) so that what the PKI makes of them is checked against
 * material it did not produce.  Validity bounds are seconds since the
 * epoch; failures abort the test.
 */
#include "models/tests/util_pem.h"

#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static void
pem_add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    g_assert_nonnull(ext);
    g_assert_cmpint(X509_add_ext(x, ext, -1), ==, 1);
    X509_EXTENSION_free(ext);
}

/* A certificate for @key named @cn, valid [@from, @until], issued by
 * @issuer (self-signed when NULL) and signed with @issuer_key. */
static X509 *
pem_cert(EVP_PKEY *key, const char *cn, gint64 from, gint64 until,
         X509 *issuer, EVP_PKEY *issuer_key)
{
    static long serial = 1;
    X509 *x = X509_new();
    X509_NAME *name = X509_get_subject_name(x);
    g_assert_cmpint(X509_set_version(x, 2), ==, 1);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    g_assert_nonnull(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)from));
    g_assert_nonnull(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)until));
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               (const guchar *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    X509_set_pubkey(x, key);
    return x;
}

static void
pem_write(const char *cert_file, X509 *const *certs, guint n,
          const char *key_file, EVP_PKEY *key)
{
    FILE *f = fopen(cert_file, "w");
    g_assert_nonnull(f);
    for (guint i = 0; i < n; i++)
        g_assert_cmpint(PEM_write_X509(f, certs[i]), ==, 1);
    fclose(f);
    f = fopen(key_file, "w");
    g_assert_nonnull(f);
    g_assert_cmpint(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL),
                    ==, 1);
    fclose(f);
}

static X509 *
pem_read_cert(const char *path)
{
    FILE *f = fopen(path, "r");
    g_assert_nonnull(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    g_assert_nonnull(x);
    return x;
}

static EVP_PKEY *
pem_read_key(const char *path)
{
    FILE *f = fopen(path, "r");
    g_assert_nonnull(f);
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    g_assert_nonnull(k);
    return k;
}

/**
 * sim_test_pem_ca:
 * @cert_file: where to write the CA certificate (PEM)
 * @key_file: where to write its private key (PEM)
 * @not_before: start of validity, seconds since the epoch
 * @not_after: end of validity
 *
 * Makes a self-signed P-256 CA ("Test PEM CA").
 */
void
sim_test_pem_ca(const char *cert_file, const char *key_file,
                gint64 not_before, gint64 not_after)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    g_assert_nonnull(key);
    X509 *x = pem_cert(key, "Test PEM CA", not_before, not_after, NULL, key);
    pem_add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
    pem_add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
    pem_add_ext(x, x, NID_subject_key_identifier, "hash");
    g_assert_cmpint(X509_sign(x, key, EVP_sha256()), >, 0);
    pem_write(cert_file, &x, 1, key_file, key);
    X509_free(x);
    EVP_PKEY_free(key);
}

/**
 * sim_test_pem_leaf:
 * @ca_cert: the issuing CA's certificate (PEM file)
 * @ca_key: its key (PEM file)
 * @cert_file: where to write the leaf followed by the CA (PEM)
 * @key_file: where to write the leaf's key (PEM)
 * @cn: subject common name
 * @san: subjectAltName in OpenSSL syntax (e.g. "URI:sip:example.com")
 * @not_before: start of validity, seconds since the epoch
 * @not_after: end of validity
 *
 * Makes a P-256 leaf for client and server authentication.
 */
void
sim_test_pem_leaf(const char *ca_cert, const char *ca_key,
                  const char *cert_file, const char *key_file, const char *cn,
                  const char *san, gint64 not_before, gint64 not_after)
{
    X509 *ca = pem_read_cert(ca_cert);
    EVP_PKEY *cakey = pem_read_key(ca_key);
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    g_assert_nonnull(key);
    X509 *x = pem_cert(key, cn, not_before, not_after, ca, cakey);
    pem_add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE");
    pem_add_ext(x, ca, NID_key_usage, "critical,digitalSignature");
    pem_add_ext(x, ca, NID_ext_key_usage, "serverAuth,clientAuth");
    pem_add_ext(x, ca, NID_authority_key_identifier, "keyid:always");
    pem_add_ext(x, ca, NID_subject_alt_name, san);
    g_assert_cmpint(X509_sign(x, cakey, EVP_sha256()), >, 0);
    X509 *chain[] = { x, ca };
    pem_write(cert_file, chain, 2, key_file, key);
    X509_free(x);
    X509_free(ca);
    EVP_PKEY_free(key);
    EVP_PKEY_free(cakey);
}
