/* SPDX-License-Identifier: MIT */
/*
 * Tests of the PKI: RFC 5922 identity extraction and comparison (section
 * 7.1, 7.2: sip URI before dNSName, CN only without SAN, no userpart, no
 * sips, case-insensitive exact match, no wildcard or suffix semantics),
 * OpenSSL chain validation at the reference time (expired, wrong CA) and at
 * a given verify time (PEM files made around now by OpenSSL directly: valid,
 * not yet valid, expired, told apart), PEM loading and its errors, DER sizes that do not change between generations,
 * and the on-disk cache.  ECDSA P-256 keys keep generation cheap.
 */
#include "models/pki.h"
#include "models/tests/util_pem.h"

#include <glib/gstdio.h>
#include <string.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* Shared by the tests of this program: one CA, generated once. */
static SimPki *test_pki;

static SimPkiCreds *
issue(const char *node, const char *const *san)
{
    g_autoptr(GError) error = NULL;
    SimPkiCreds *c = sim_pki_issue(test_pki, node, san, FALSE, FALSE, &error);
    g_assert_no_error(error);
    return c;
}

static SimPeerId *
identities_of(const char *node, const char *const *san)
{
    g_autoptr(SimPkiCreds) c = issue(node, san);
    SimPeerId *id = sim_pki_verify(test_pki, c);
    g_assert_cmpint(id->verdict, ==, SIM_PKI_OK);
    return id;
}

static void
assert_strv(char **got, const char *const *want)
{
    g_assert_cmpuint(g_strv_length(got), ==, g_strv_length((char **)want));
    for (guint i = 0; want[i]; i++)
        g_assert_cmpstr(got[i], ==, want[i]);
}

static void
test_identity_uri_before_dns(void)
{
    const char *san[] = { "DNS:p1.example.com", "URI:sip:example.com",
                          "URI:sip:p1.example.com", NULL };
    g_autoptr(SimPeerId) id = identities_of("p1", san);
    const char *want[] = { "example.com", "p1.example.com", NULL };
    const char *dns[] = { "p1.example.com", NULL };
    assert_strv(id->identities, want);
    assert_strv(id->dns_names, dns);
    g_assert_true(sim_peer_id_has_dns(id, "P1.example.com"));
    g_assert_false(sim_peer_id_has_dns(id, "example.com"));
}

static void
test_identity_dns_only(void)
{
    const char *san[] = { "DNS:p1.example.com", NULL };
    g_autoptr(SimPeerId) id = identities_of("p1", san);
    const char *want[] = { "p1.example.com", NULL };
    assert_strv(id->identities, want);
}

static void
test_identity_dns_ignored_beside_sip(void)
{
    const char *san[] = { "URI:sip:other.org", "DNS:p1.example.com", NULL };
    g_autoptr(SimPeerId) id = identities_of("p1", san);
    g_assert_true(sim_peer_id_matches(id, "other.org"));
    g_assert_false(sim_peer_id_matches(id, "p1.example.com"));
}

static void
test_identity_userpart_ignored(void)
{
    const char *san[] = { "URI:sip:alice@example.com", "DNS:p1.example.com",
                          NULL };
    g_autoptr(SimPeerId) id = identities_of("p1", san);
    const char *want[] = { "p1.example.com", NULL };
    assert_strv(id->identities, want);
    g_assert_false(sim_peer_id_matches(id, "example.com"));
}

static void
test_identity_sips_ignored(void)
{
    const char *san[] = { "URI:sips:example.com", "URI:https://example.org",
                          "DNS:p1.example.com", NULL };
    g_autoptr(SimPeerId) id = identities_of("p1", san);
    const char *want[] = { "p1.example.com", NULL };
    assert_strv(id->identities, want);
}

static void
test_identity_port_and_params(void)
{
    const char *san[] = { "URI:sip:Example.COM:5061;transport=tls", NULL };
    g_autoptr(SimPeerId) id = identities_of("p1", san);
    const char *want[] = { "example.com", NULL };
    assert_strv(id->identities, want);
}

static void
test_identity_cn_without_san(void)
{
    g_autoptr(SimPeerId) id = identities_of("P9.Example.net", NULL);
    const char *want[] = { "p9.example.net", NULL };
    assert_strv(id->identities, want);
    g_assert_cmpuint(g_strv_length(id->dns_names), ==, 0);
}

static void
test_identity_cn_ignored_with_san(void)
{
    /* A SAN extension exists but holds nothing acceptable: no identity,
     * and the CN is not consulted. */
    const char *san[] = { "URI:sips:example.com", NULL };
    g_autoptr(SimPeerId) id = identities_of("p1.example.com", san);
    g_assert_cmpuint(g_strv_length(id->identities), ==, 0);
    g_assert_false(sim_peer_id_matches(id, "p1.example.com"));
}

static void
test_match_case(void)
{
    const char *san[] = { "URI:sip:EXAMPLE.com", NULL };
    g_autoptr(SimPeerId) id = identities_of("p1", san);
    g_assert_true(sim_peer_id_matches(id, "example.COM"));
}

static void
test_match_no_suffix(void)
{
    const char *san[] = { "URI:sip:example.com", NULL };
    g_autoptr(SimPeerId) id = identities_of("p1", san);
    g_assert_false(sim_peer_id_matches(id, "foo.example.com"));
    g_assert_false(sim_peer_id_matches(id, "com"));
    g_assert_false(sim_peer_id_matches(id, "example.co"));
    g_assert_false(sim_peer_id_matches(id, NULL));
}

static void
test_match_no_wildcard(void)
{
    const char *san[] = { "DNS:*.example.com", NULL };
    g_autoptr(SimPeerId) id = identities_of("p1", san);
    g_assert_true(sim_peer_id_matches(id, "*.example.com"));
    g_assert_false(sim_peer_id_matches(id, "foo.example.com"));
    g_assert_false(sim_peer_id_matches(id, "example.com"));
}

static void
test_verify_expired(void)
{
    const char *san[] = { "URI:sip:example.com", NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(SimPkiCreds) c =
        sim_pki_issue(test_pki, "old", san, TRUE, FALSE, &error);
    g_assert_no_error(error);
    g_autoptr(SimPeerId) id = sim_pki_verify(test_pki, c);
    g_assert_cmpint(id->verdict, ==, SIM_PKI_EXPIRED);
    g_assert_false(sim_peer_id_matches(id, "example.com"));
    g_assert_cmpuint(g_strv_length(id->identities), ==, 0);
}

static void
test_verify_untrusted(void)
{
    const char *san[] = { "URI:sip:example.com", NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(SimPkiCreds) c =
        sim_pki_issue(test_pki, "rogue", san, FALSE, TRUE, &error);
    g_assert_no_error(error);
    g_autoptr(SimPeerId) id = sim_pki_verify(test_pki, c);
    g_assert_cmpint(id->verdict, ==, SIM_PKI_UNTRUSTED);
    g_assert_false(sim_peer_id_matches(id, "example.com"));
}

static void
test_verify_other_run_ca(void)
{
    /* A chain from another run's CA (same name, other key) is untrusted. */
    SimPkiParams p = { .key = SIM_KEY_ECDSA_P256, .ca_name = "sipreuse CA" };
    g_autoptr(GError) error = NULL;
    g_autoptr(SimPki) other = sim_pki_new(&p, &error);
    g_assert_no_error(error);
    const char *san[] = { "URI:sip:example.com", NULL };
    g_autoptr(SimPkiCreds) c =
        sim_pki_issue(other, "x", san, FALSE, FALSE, &error);
    g_assert_no_error(error);
    /* Valid for the run whose CA issued it, first: verification results
     * are shared by the runs of a process, and must not carry over to a
     * run that trusts another CA. */
    g_autoptr(SimPeerId) own = sim_pki_verify(other, c);
    g_assert_cmpint(own->verdict, ==, SIM_PKI_OK);
    g_assert_true(sim_peer_id_matches(own, "example.com"));
    g_autoptr(SimPeerId) id = sim_pki_verify(test_pki, c);
    g_assert_cmpint(id->verdict, ==, SIM_PKI_UNTRUSTED);
    g_assert_false(sim_peer_id_matches(id, "example.com"));
}

static void
test_verify_no_cert(void)
{
    g_autoptr(SimPeerId) id = sim_pki_verify(test_pki, NULL);
    g_assert_cmpint(id->verdict, ==, SIM_PKI_NO_CERT);
    g_assert_false(sim_peer_id_matches(id, "example.com"));
}

/* Sum of the DER lengths, parsed independently of the PKI code. */
static guint
der_total(const SimPkiCreds *c, const char *want_san_uri)
{
    guint total = 0;
    for (guint i = 0;; i++) {
        g_autoptr(GBytes) der = sim_pki_creds_cert_der(c, i);
        if (!der)
            break;
        gsize n;
        const guchar *p = g_bytes_get_data(der, &n);
        X509 *x = d2i_X509(NULL, &p, (long)n);
        g_assert_nonnull(x);
        if (i == 0 && want_san_uri) {
            GENERAL_NAMES *g =
                X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
            g_assert_cmpint(sk_GENERAL_NAME_num(g), ==, 1);
            const GENERAL_NAME *gn = sk_GENERAL_NAME_value(g, 0);
            g_assert_cmpint(gn->type, ==, GEN_URI);
            g_assert_cmpstr((const char *)ASN1_STRING_get0_data(gn->d.ia5),
                            ==, want_san_uri);
            GENERAL_NAMES_free(g);
        }
        X509_free(x);
        total += (guint)n;
    }
    return total;
}

static void
test_der_fixed_sizes(void)
{
    /* Ten fresh generations (new CA and leaf keys each time) give the same
     * chain length; the ECDSA P-256 signature has its 72-byte maximum
     * (SEQUENCE of two 33-byte INTEGERs: 2 + 2 * (2 + 33)). */
    const char *san[] = { "URI:sip:example.net", NULL };
    guint first = 0;
    for (guint i = 0; i < 10; i++) {
        SimPkiParams p = { .key = SIM_KEY_ECDSA_P256, .ca_name = "Lab CA" };
        g_autoptr(GError) error = NULL;
        g_autoptr(SimPki) pki = sim_pki_new(&p, &error);
        g_assert_no_error(error);
        g_autoptr(SimPkiCreds) c =
            sim_pki_issue(pki, "p2", san, FALSE, FALSE, &error);
        g_assert_no_error(error);
        guint len = sim_pki_creds_chain_len(c);
        g_assert_cmpuint(sim_pki_creds_n_certs(c), ==, 2);
        g_assert_cmpuint(len, ==, der_total(c, "sip:example.net"));
        g_assert_cmpuint(sim_pki_creds_sig_len(c), ==, 72);
        g_assert_cmpint(sim_pki_creds_key_type(c), ==, SIM_KEY_ECDSA_P256);
        if (i == 0)
            first = len;
        g_assert_cmpuint(len, ==, first);
    }
}

static char *
tmp_dir(void)
{
    g_autoptr(GError) error = NULL;
    char *d = g_dir_make_tmp("test_pki-XXXXXX", &error);
    g_assert_no_error(error);
    return d;
}

static void
rm_rf(const char *path)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
        const char *name;
        while (d && (name = g_dir_read_name(d))) {
            g_autofree char *child = g_build_filename(path, name, NULL);
            rm_rf(child);
        }
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}

static void
test_load_roundtrip(void)
{
    g_autofree char *dir = tmp_dir();
    g_autofree char *cf = g_build_filename(dir, "p1.crt", NULL);
    g_autofree char *kf = g_build_filename(dir, "p1.key", NULL);
    const char *san[] = { "URI:sip:example.com", "DNS:p1.example.com", NULL };
    g_autoptr(SimPkiCreds) c = issue("p1", san);
    g_autoptr(GError) error = NULL;
    g_assert_true(sim_pki_creds_write_pem(c, cf, kf, &error));
    g_autoptr(SimPkiCreds) l = sim_pki_load(test_pki, cf, kf, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(sim_pki_creds_chain_len(l), ==,
                     sim_pki_creds_chain_len(c));
    g_assert_cmpint(sim_pki_creds_key_type(l), ==, SIM_KEY_ECDSA_P256);
    g_autoptr(SimPeerId) id = sim_pki_verify(test_pki, l);
    g_assert_cmpint(id->verdict, ==, SIM_PKI_OK);
    g_assert_true(sim_peer_id_matches(id, "example.com"));
    rm_rf(dir);
}

static void
test_load_errors(void)
{
    g_autofree char *dir = tmp_dir();
    g_autofree char *cf = g_build_filename(dir, "a.crt", NULL);
    g_autofree char *kf = g_build_filename(dir, "a.key", NULL);
    g_autofree char *kb = g_build_filename(dir, "b.key", NULL);
    g_autofree char *junk = g_build_filename(dir, "junk.pem", NULL);
    g_autofree char *missing = g_build_filename(dir, "missing.pem", NULL);
    g_autoptr(SimPkiCreds) a = issue("a", NULL);
    g_autoptr(SimPkiCreds) b = issue("b", NULL);
    g_autoptr(GError) error = NULL;
    g_assert_true(sim_pki_creds_write_pem(a, cf, kf, &error));
    g_assert_true(sim_pki_creds_write_pem(b, junk, kb, &error));
    g_assert_true(g_file_set_contents(junk, "not a certificate\n", -1, NULL));

    SimPkiCreds *l = sim_pki_load(test_pki, missing, kf, &error);
    g_assert_null(l);
    g_assert_error(error, SIM_PKI_ERROR, SIM_PKI_ERROR_FILE);
    g_assert_nonnull(strstr(error->message, missing));
    g_clear_error(&error);

    l = sim_pki_load(test_pki, junk, kf, &error);
    g_assert_null(l);
    g_assert_error(error, SIM_PKI_ERROR, SIM_PKI_ERROR_FILE);
    g_assert_nonnull(strstr(error->message, junk));
    g_clear_error(&error);

    l = sim_pki_load(test_pki, cf, junk, &error);
    g_assert_null(l);
    g_assert_error(error, SIM_PKI_ERROR, SIM_PKI_ERROR_FILE);
    g_assert_nonnull(strstr(error->message, junk));
    g_clear_error(&error);

    l = sim_pki_load(test_pki, cf, kb, &error);
    g_assert_null(l);
    g_assert_error(error, SIM_PKI_ERROR, SIM_PKI_ERROR_KEY_MISMATCH);
    g_assert_nonnull(strstr(error->message, kb));
    g_assert_nonnull(strstr(error->message, cf));
    rm_rf(dir);
}

static void
test_ca_file(void)
{
    g_autofree char *dir = tmp_dir();
    g_autofree char *caf = g_build_filename(dir, "ca.crt", NULL);
    g_autofree char *cak = g_build_filename(dir, "ca.key", NULL);
    g_autofree char *other = g_build_filename(dir, "other.key", NULL);
    g_autoptr(GError) error = NULL;
    g_assert_true(sim_pki_write_ca(test_pki, caf, cak, &error));

    SimPkiParams p = { .key = SIM_KEY_ECDSA_P256, .ca_file = caf,
                       .ca_key_file = cak };
    g_autoptr(SimPki) loaded = sim_pki_new(&p, &error);
    g_assert_no_error(error);
    const char *san[] = { "URI:sip:example.org", NULL };
    g_autoptr(SimPkiCreds) c =
        sim_pki_issue(loaded, "n", san, FALSE, FALSE, &error);
    g_assert_no_error(error);
    /* Issued with the same CA: both PKIs trust it. */
    g_autoptr(SimPeerId) id1 = sim_pki_verify(loaded, c);
    g_autoptr(SimPeerId) id2 = sim_pki_verify(test_pki, c);
    g_assert_cmpint(id1->verdict, ==, SIM_PKI_OK);
    g_assert_cmpint(id2->verdict, ==, SIM_PKI_OK);

    /* A CA key that is not the CA's. */
    g_autoptr(SimPkiCreds) b = issue("b", NULL);
    g_autofree char *bc = g_build_filename(dir, "b.crt", NULL);
    g_assert_true(sim_pki_creds_write_pem(b, bc, other, &error));
    p.ca_key_file = other;
    SimPki *bad = sim_pki_new(&p, &error);
    g_assert_null(bad);
    g_assert_error(error, SIM_PKI_ERROR, SIM_PKI_ERROR_KEY_MISMATCH);
    g_clear_error(&error);

    /* Without a key the CA can be trusted but cannot issue. */
    p.ca_key_file = NULL;
    g_autoptr(SimPki) trust_only = sim_pki_new(&p, &error);
    g_assert_no_error(error);
    SimPkiCreds *none = sim_pki_issue(trust_only, "n", san, FALSE, FALSE,
                                      &error);
    g_assert_null(none);
    g_assert_error(error, SIM_PKI_ERROR, SIM_PKI_ERROR_FAILED);
    rm_rf(dir);
}

static void
test_bad_san(void)
{
    const char *bad1[] = { "example.com", NULL };
    const char *bad2[] = { "BOGUS:example.com", NULL };
    g_autoptr(GError) error = NULL;
    SimPkiCreds *c = sim_pki_issue(test_pki, "n", bad1, FALSE, FALSE, &error);
    g_assert_null(c);
    g_assert_error(error, SIM_PKI_ERROR, SIM_PKI_ERROR_SAN);
    g_assert_nonnull(strstr(error->message, "example.com"));
    g_clear_error(&error);
    c = sim_pki_issue(test_pki, "n", bad2, FALSE, FALSE, &error);
    g_assert_null(c);
    g_assert_error(error, SIM_PKI_ERROR, SIM_PKI_ERROR_SAN);
}

static GBytes *
leaf_der(SimPki *pki, const char *const *san)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SimPkiCreds) c = sim_pki_issue(pki, "p1", san, FALSE, FALSE,
                                             &error);
    g_assert_no_error(error);
    return sim_pki_creds_cert_der(c, 0);
}

static void
test_cache_reuse(void)
{
    /* A second PKI with the same inputs finds the first one's material:
     * identical bytes, so no regeneration happened. */
    g_autofree char *dir = tmp_dir();
    SimPkiParams p = { .key = SIM_KEY_ECDSA_P256, .ca_name = "Cache CA",
                       .cache_dir = dir };
    const char *san[] = { "URI:sip:example.com", NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(SimPki) a = sim_pki_new(&p, &error);
    g_assert_no_error(error);
    g_autoptr(SimPki) b = sim_pki_new(&p, &error);
    g_assert_no_error(error);
    g_autoptr(GBytes) da = leaf_der(a, san);
    g_autoptr(GBytes) db = leaf_der(b, san);
    g_assert_true(g_bytes_equal(da, db));
    p.ca_name = "Other CA";
    g_autoptr(SimPki) c = sim_pki_new(&p, &error);
    g_assert_no_error(error);
    g_autoptr(GBytes) dc = leaf_der(c, san);
    g_assert_false(g_bytes_equal(da, dc));
    rm_rf(dir);
}

/* Certificates made now by OpenSSL directly (not by the PKI), as real ones
 * are: a CA valid from a day ago for a year; leaves valid from now for 30
 * days, from 10 days ahead, and until 10 days ago.  At the current time
 * they are valid, not yet valid and expired; at the fixed reference time
 * (2025-01-01, before all of them) the current one is not yet valid, which
 * must not be reported as expired. */
static void
test_verify_pem_now(void)
{
    const gint64 day = 86400, now = g_get_real_time() / G_USEC_PER_SEC;
    g_autofree char *dir = tmp_dir();
    g_autofree char *caf = g_build_filename(dir, "ca.crt", NULL);
    g_autofree char *cak = g_build_filename(dir, "ca.key", NULL);
    sim_test_pem_ca(caf, cak, now - day, now + 365 * day);
    static const struct {
        const char *name;
        gint64 from, until;
        SimPkiVerdict want;
    } leaves[] = {
        { "current", 0, 30, SIM_PKI_OK },
        { "future", 10, 40, SIM_PKI_NOT_YET_VALID },
        { "old", -40, -10, SIM_PKI_EXPIRED },
    };
    SimPkiParams p = { .key = SIM_KEY_ECDSA_P256, .ca_file = caf,
                       .verify_time_set = TRUE, .verify_time = now };
    g_autoptr(GError) error = NULL;
    g_autoptr(SimPki) at_now = sim_pki_new(&p, &error);
    g_assert_no_error(error);
    g_assert_cmpint(sim_pki_verify_time(at_now), ==, now);
    p.verify_time_set = FALSE;
    g_autoptr(SimPki) at_ref = sim_pki_new(&p, &error);
    g_assert_no_error(error);
    g_assert_cmpint(sim_pki_verify_time(at_ref), ==, 1735689600);
    for (guint i = 0; i < G_N_ELEMENTS(leaves); i++) {
        g_autofree char *base = g_build_filename(dir, leaves[i].name, NULL);
        g_autofree char *cf = g_strconcat(base, ".crt", NULL);
        g_autofree char *kf = g_strconcat(base, ".key", NULL);
        sim_test_pem_leaf(caf, cak, cf, kf, leaves[i].name,
                          "URI:sip:example.com", now + leaves[i].from * day,
                          now + leaves[i].until * day);
        g_autoptr(SimPkiCreds) c = sim_pki_load(at_now, cf, kf, &error);
        g_assert_no_error(error);
        g_autoptr(SimPeerId) id = sim_pki_verify(at_now, c);
        g_test_message("%s: verdict %d", leaves[i].name, id->verdict);
        g_assert_cmpint(id->verdict, ==, leaves[i].want);
        g_assert_cmpint(sim_peer_id_matches(id, "example.com"), ==,
                        leaves[i].want == SIM_PKI_OK);
        g_autoptr(SimPeerId) ref = sim_pki_verify(at_ref, c);
        g_assert_cmpint(ref->verdict, ==, SIM_PKI_NOT_YET_VALID);
    }
    rm_rf(dir);
}

static void
test_key_type_names(void)
{
    for (guint k = 0; k < SIM_KEY_N_TYPES; k++) {
        SimKeyType back;
        g_assert_true(sim_key_type_from_name(sim_key_type_name(k), &back));
        g_assert_cmpint(back, ==, k);
    }
    SimKeyType x;
    g_assert_false(sim_key_type_from_name("dsa-1024", &x));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("PKI: RFC 5922 identities, OpenSSL validation, PEM "
                   "files, fixed DER sizes, cache");
    SimPkiParams p = { .key = SIM_KEY_ECDSA_P256, .ca_name = "Test CA" };
    g_autoptr(GError) error = NULL;
    test_pki = sim_pki_new(&p, &error);
    g_assert_no_error(error);

    g_test_add_func("/pki/identity/uri-before-dns",
                    test_identity_uri_before_dns);
    g_test_add_func("/pki/identity/dns-only", test_identity_dns_only);
    g_test_add_func("/pki/identity/dns-ignored-beside-sip",
                    test_identity_dns_ignored_beside_sip);
    g_test_add_func("/pki/identity/userpart-ignored",
                    test_identity_userpart_ignored);
    g_test_add_func("/pki/identity/sips-ignored", test_identity_sips_ignored);
    g_test_add_func("/pki/identity/port-and-params",
                    test_identity_port_and_params);
    g_test_add_func("/pki/identity/cn-without-san",
                    test_identity_cn_without_san);
    g_test_add_func("/pki/identity/cn-ignored-with-san",
                    test_identity_cn_ignored_with_san);
    g_test_add_func("/pki/match/case", test_match_case);
    g_test_add_func("/pki/match/no-suffix", test_match_no_suffix);
    g_test_add_func("/pki/match/no-wildcard", test_match_no_wildcard);
    g_test_add_func("/pki/verify/expired", test_verify_expired);
    g_test_add_func("/pki/verify/untrusted", test_verify_untrusted);
    g_test_add_func("/pki/verify/other-run-ca", test_verify_other_run_ca);
    g_test_add_func("/pki/verify/no-cert", test_verify_no_cert);
    g_test_add_func("/pki/verify/pem-files-now", test_verify_pem_now);
    g_test_add_func("/pki/der/fixed-sizes", test_der_fixed_sizes);
    g_test_add_func("/pki/load/roundtrip", test_load_roundtrip);
    g_test_add_func("/pki/load/errors", test_load_errors);
    g_test_add_func("/pki/ca-file/issue-and-mismatch", test_ca_file);
    g_test_add_func("/pki/san/bad", test_bad_san);
    g_test_add_func("/pki/cache/reuse", test_cache_reuse);
    g_test_add_func("/pki/key-type/names", test_key_type_names);
    int rc = g_test_run();
    sim_pki_free(test_pki);
    return rc;
}
