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

/* What calibration measured for one key type: CPU time of one core. */
typedef struct {
    /* Whole handshakes with mutual authentication, full and resumed, by
     * version (SIM_TLS_V12, SIM_TLS_V13) and role (SIM_TLS_ROLE_*). */
    SimTlsCost handshake[SIM_TLS_N_VERSIONS][SIM_TLS_N_ROLES];
    /* One signature and one verification with the key type. */
    SimTime sign;
    SimTime verify;
    /* One X25519 key agreement (key generation included). */
    SimTime ecdh;
} SimTlsCalibration;

/* Connections. */
gboolean sim_tls_conn_certificate_request(const SimConn *c);
const char *sim_tls_conn_server_name(const SimConn *c);
SimTlsHandshakeBytes sim_tls_conn_handshake_bytes(const SimConn *c);
guint sim_tls_record_overhead(guint tls_version, guint64 len);

/* Measurement of this host with the real OpenSSL (sipreuse calibrate). */
gboolean sim_tls_calibrate(SimKeyType key, const SimTlsCalBudget *budget,
                           SimTlsCalibration *out, GError **error);
const char *sim_tls_library_version(void);

G_END_DECLS
