/* SPDX-License-Identifier: MIT */
/*
 * Read-only accessors of a TLS connection (SIM_TRANSPORT_TLS or
 * SIM_TRANSPORT_TLS_SCTP) for the SIP layer and tests: what the handshake
 * exchanged beyond SimConn.peer.  The transport itself is the ops tables
 * sim_transport_tls and sim_transport_tls_sctp (transport.h).
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

gboolean sim_tls_conn_certificate_request(const SimConn *c);
const char *sim_tls_conn_server_name(const SimConn *c);
SimTlsHandshakeBytes sim_tls_conn_handshake_bytes(const SimConn *c);
guint sim_tls_record_overhead(guint tls_version, guint64 len);

G_END_DECLS
