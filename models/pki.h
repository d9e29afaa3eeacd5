/* SPDX-License-Identifier: MIT */
/*
 * Public-key infrastructure of a run, made and checked with OpenSSL for real:
 * a CA (generated or loaded), one certificate chain per node whose
 * subjectAltName is the node's cert-san list, chain validation against the
 * CA at one instant per PKI (a fixed reference time for generated material,
 * or the verify time the caller gives, e.g. now for certificates loaded from
 * files), and the SIP identities of a certificate
 * following RFC 5922 (sip-URI SANs first, dNSName only without them, CN only
 * without any SAN; exact, case-insensitive, no wildcards).  Generated
 * material has deterministic DER sizes so that handshake byte counts do not
 * change between generations.  OpenSSL stays inside pki.c (and tls.c).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SIM_PKI_ERROR (sim_pki_error_quark())
GQuark sim_pki_error_quark(void);

typedef enum {
    SIM_PKI_ERROR_FAILED,
    /* A PEM file could not be read or parsed. */
    SIM_PKI_ERROR_FILE,
    /* A subjectAltName entry is not valid OpenSSL syntax. */
    SIM_PKI_ERROR_SAN,
    /* A certificate and key do not belong together. */
    SIM_PKI_ERROR_KEY_MISMATCH,
    /* The generated-PKI cache folder cannot be created (a run-time
     * failure, not bad input). */
    SIM_PKI_ERROR_CACHE,
} SimPkiError;

typedef enum {
    SIM_KEY_RSA_2048,
    SIM_KEY_RSA_3072,
    SIM_KEY_ECDSA_P256,
    SIM_KEY_ED25519,
    SIM_KEY_N_TYPES
} SimKeyType;

/* Outcome of validating a peer's certificate chain. */
typedef enum {
    SIM_PKI_OK,
    /* The peer sent no certificate. */
    SIM_PKI_NO_CERT,
    /* Past its validity period (notAfter) at the verify time. */
    SIM_PKI_EXPIRED,
    /* Before its validity period (notBefore) at the verify time. */
    SIM_PKI_NOT_YET_VALID,
    /* Does not chain to the run's trusted CA. */
    SIM_PKI_UNTRUSTED,
    /* Any other validation failure. */
    SIM_PKI_INVALID,
    SIM_PKI_N_VERDICTS
} SimPkiVerdict;

/* The fixed instant chains are validated at unless SimPkiParams gives
 * another (2025-01-01T00:00:00Z): generated certificates are valid from
 * 2024-01-01 to 2035-01-01, expired ones from 2023-01-01 to 2024-01-01, so
 * runs on generated material involve no wall clock. */
#define SIM_PKI_REFERENCE_TIME G_GINT64_CONSTANT(1735689600)

typedef struct _SimPki SimPki;
typedef struct _SimPkiCreds SimPkiCreds;

/* What a handshake learnt of the peer; immutable, shared by reference. */
typedef struct {
    /* Reference count. */
    gint refcount;
    /* Chain validation result. */
    SimPkiVerdict verdict;
    /* RFC 5922 SIP identities (lower case, sorted, NULL-terminated); empty
     * unless verdict is SIM_PKI_OK. */
    char **identities;
    /* Every dNSName SAN, whatever the URI SANs (for strict-3263 checks). */
    char **dns_names;
} SimPeerId;

/* What a PEM file must hold (sim_pki_check_pem_file). */
typedef enum {
    /* One or more certificates, every block parsing (a chain or a CA). */
    SIM_PKI_PEM_CERTS,
    /* A private key, of any type (a CA's). */
    SIM_PKI_PEM_KEY,
    /* A private key of a type nodes use (rsa-2048, rsa-3072, ecdsa-p256,
     * ed25519). */
    SIM_PKI_PEM_LEAF_KEY,
} SimPkiPemKind;

/* Parameters of the run's PKI. */
typedef struct {
    /* Key type of the CA and of generated node keys. */
    SimKeyType key;
    /* Common name of the generated CA. */
    const char *ca_name;
    /* (nullable): PEM CA certificate to trust instead of generating one. */
    const char *ca_file;
    /* (nullable): PEM key of ca_file, to issue node certificates with it. */
    const char *ca_key_file;
    /* (nullable): folder for the generated-material cache. */
    const char *cache_dir;
    /* TRUE: validate chains at verify_time instead of
     * SIM_PKI_REFERENCE_TIME. */
    gboolean verify_time_set;
    /* Seconds since the epoch (UTC); used only if verify_time_set. */
    gint64 verify_time;
} SimPkiParams;

/* Life cycle. */
SimPki *sim_pki_new(const SimPkiParams *params, GError **error);
void sim_pki_free(SimPki *pki);

/* Credentials of nodes. */
SimPkiCreds *sim_pki_issue(SimPki *pki, const char *node,
                           const char *const *san, gboolean expired,
                           gboolean untrusted, GError **error);
SimPkiCreds *sim_pki_load(SimPki *pki, const char *cert_file,
                          const char *key_file, GError **error);
void sim_pki_creds_free(SimPkiCreds *creds);
gboolean sim_pki_check_pem_file(const char *path, SimPkiPemKind kind,
                                GError **error);
gboolean sim_pki_check_pem_pair(const char *cert_file, const char *key_file,
                                GError **error);
guint sim_pki_creds_chain_len(const SimPkiCreds *creds);
guint sim_pki_creds_leaf_len(const SimPkiCreds *creds);
guint sim_pki_creds_sig_len(const SimPkiCreds *creds);
SimKeyType sim_pki_creds_key_type(const SimPkiCreds *creds);

/* Validation and identities. */
gint64 sim_pki_verify_time(const SimPki *pki);
gboolean sim_pki_host_equal(const char *a, const char *b);
SimPeerId *sim_pki_verify(SimPki *pki, const SimPkiCreds *peer);
SimPeerId *sim_peer_id_ref(SimPeerId *id);
void sim_peer_id_unref(SimPeerId *id);
gboolean sim_peer_id_matches(const SimPeerId *id, const char *domain);
gboolean sim_peer_id_has_dns(const SimPeerId *id, const char *name);

/* Export and inspection (tests, `sipreuse` tooling). */
guint sim_pki_creds_n_certs(const SimPkiCreds *creds);
GBytes *sim_pki_creds_cert_der(const SimPkiCreds *creds, guint index);
gboolean sim_pki_creds_write_pem(const SimPkiCreds *creds,
                                 const char *cert_file, const char *key_file,
                                 GError **error);
gboolean sim_pki_write_ca(SimPki *pki, const char *cert_file,
                          const char *key_file, GError **error);

/* Key types by name ("rsa-2048", "rsa-3072", "ecdsa-p256", "ed25519"). */
const char *sim_key_type_name(SimKeyType key);
gboolean sim_key_type_from_name(const char *name, SimKeyType *key);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimPki, sim_pki_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimPkiCreds, sim_pki_creds_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimPeerId, sim_peer_id_unref)

G_END_DECLS
