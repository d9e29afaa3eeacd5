/* SPDX-License-Identifier: MIT */
/*
 * Read-only accessors of a TLS connection (SIM_TRANSPORT_TLS or
 * SIM_TRANSPORT_TLS_SCTP) for the SIP layer and tests: what the handshake
 * exchanged beyond SimConn.peer.  The transport itself is the ops tables
 * sim_transport_tls and sim_transport_tls_sctp (transport.h).  Also the
 * measurement behind `sipreuse calibrate`: real OpenSSL handshakes timed
 * per role, so that OpenSSL stays inside pki.c and tls.c.
 */
#pragma once

#include "models/transport.h"

G_BEGIN_DECLS

/* Bytes of handshake records (record headers included) one side sent and
 * received on a connection. */
typedef struct {
    /* Handshake and ChangeCipherSpec records this side wrote. */
    guint64 sent;
    /* Those it read. */
    guint64 received;
} SimTlsHandshakeBytes;

/* How long calibration measures each figure. */
typedef struct {
    /* Stop once this much CPU has been spent... */
    SimTime budget;
    /* ...and at least this many iterations ran. */
    guint min_iter;
    /* Never more than this many. */
    guint max_iter;
} SimTlsCalBudget;

/* Which handshakes calibration times: with a client certificate or
 * without (the server sends no CertificateRequest), full or resumed. */
typedef enum {
    SIM_TLS_CAL_MUTUAL,
    SIM_TLS_CAL_ONEWAY,
    SIM_TLS_CAL_N_AUTH
} SimTlsCalAuth;

typedef enum {
    SIM_TLS_CAL_FULL,
    SIM_TLS_CAL_RESUMED,
    SIM_TLS_CAL_N_KINDS
} SimTlsCalKind;

/* What the handshakes of one kind exchanged, for tests to check that the
 * intended handshake was timed. */
typedef struct {
    /* Handshake messages each role (SIM_TLS_ROLE_*) sent in the last
     * handshake timed: bit n for message type n (RFC 8446 4, RFC 5246
     * 7.4), types below 32. */
    guint32 sent[SIM_TLS_N_ROLES];
    /* Handshakes timed, and how many resumed a session. */
    guint n;
    guint reused;
    /* Protocol version negotiated (0x0303 TLS 1.2, 0x0304 TLS 1.3). */
    guint version;
} SimTlsCalRun;

/* What calibration measured for one key type: CPU time of one core. */
typedef struct {
    /* Whole handshakes with mutual authentication, full and resumed, by
     * version (SIM_TLS_V12, SIM_TLS_V13) and role (SIM_TLS_ROLE_*). */
    SimTlsCost handshake[SIM_TLS_N_VERSIONS][SIM_TLS_N_ROLES];
    /* The same without a client certificate. */
    SimTlsCost oneway[SIM_TLS_N_VERSIONS][SIM_TLS_N_ROLES];
    /* What each configuration's handshakes exchanged. */
    SimTlsCalRun runs[SIM_TLS_CAL_N_AUTH][SIM_TLS_N_VERSIONS]
                     [SIM_TLS_CAL_N_KINDS];
    /* One signature and one verification with the key type. */
    SimTime sign;
    SimTime verify;
    /* One X25519 key agreement (key generation included). */
    SimTime ecdh;
} SimTlsCalibration;

/* What calibration measured of established TLS connections: application
 * records and memory.  CPU time of one core; bytes of heap. */
typedef struct {
    /* Per application-data record sealed (SSL_write) and opened
     * (SSL_read) on an established TLS 1.3 connection: the fixed cost of
     * one record and the cost per KiB of its payload, fitted by least
     * squares over record sizes. */
    SimTime seal_record;
    SimTime seal_per_kib;
    SimTime open_record;
    SimTime open_per_kib;
    /* (transfer none): the cipher suite the records used. */
    const char *cipher;
    /* Record sizes measured, smallest and largest (payload bytes). */
    guint min_size;
    guint max_size;
    /* Over all record runs: records and payload bytes written, payload
     * bytes read back, and bytes that crossed the BIO pair. */
    guint64 records;
    guint64 payload_written;
    guint64 payload_read;
    guint64 wire_bytes;
    /* Heap bytes per established connection end, idle after a full
     * TLS 1.3 handshake with mutual authentication: OpenSSL's default
     * mode (read and write buffers kept) and with SSL_MODE_RELEASE_BUFFERS
     * (buffers freed when idle), server and client ends apart. */
    guint64 mem_server;
    guint64 mem_client;
    guint64 mem_server_release;
    guint64 mem_client_release;
    /* Connection pairs the memory figures are averaged over; 0 if this
     * process has no heap statistics (e.g. under valgrind) and the memory
     * figures were not measured. */
    guint mem_pairs;
} SimTlsHostCalibration;

/* Connections. */
gboolean sim_tls_conn_certificate_request(const SimConn *c);
const char *sim_tls_conn_server_name(const SimConn *c);
SimTlsHandshakeBytes sim_tls_conn_handshake_bytes(const SimConn *c);
guint sim_tls_record_overhead(guint tls_version, guint64 len);

/* Measurement of this host with the real OpenSSL (sipreuse calibrate). */
gboolean sim_tls_calibrate(SimKeyType key, const char *cache_dir,
                           const SimTlsCalBudget *budget,
                           SimTlsCalibration *out, GError **error);
gboolean sim_tls_calibrate_host(SimKeyType key, const char *cache_dir,
                                const SimTlsCalBudget *budget,
                                SimTlsHostCalibration *out, GError **error);
const char *sim_tls_library_version(void);

G_END_DECLS
