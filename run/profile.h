/* SPDX-License-Identifier: MIT */
/*
 * The CPU profile of a host: what `sipreuse calibrate` measured with
 * OpenSSL (sign, verify, ECDH, and whole TLS handshakes per role, full and
 * resumed, per key type), saved as a GKeyFile with one group per key type
 * and every figure in microseconds.  Without a profile the defaults come
 * from the operation table of SPEC 3.3 (D7).  The world builder turns a
 * profile into SimStackConfig.tls_cost: each node is charged its own
 * role's cost (server or client) for the run's TLS version, full or
 * resumed.
 */
#pragma once

#include <glib.h>

#include "models/pki.h"
#include "models/transport.h"
#include "sim/evq.h"

G_BEGIN_DECLS

#define SIM_PROFILE_ERROR (sim_profile_error_quark())
GQuark sim_profile_error_quark(void);

typedef enum {
    SIM_PROFILE_ERROR_FAILED,
    /* The file cannot be read, written or is not a key file. */
    SIM_PROFILE_ERROR_FILE,
    /* A group or key the format does not have. */
    SIM_PROFILE_ERROR_UNKNOWN,
    /* A value that is not a non-negative number of microseconds. */
    SIM_PROFILE_ERROR_BAD_VALUE,
} SimProfileError;

/* Costs of one key type (all CPU time of one core). */
typedef struct {
    /* Whole TLS 1.3 full handshake with mutual authentication, per
     * role. */
    SimTime tls_full_server;
    SimTime tls_full_client;
    /* Whole TLS 1.3 resumed handshake, per role. */
    SimTime tls_resumed_server;
    SimTime tls_resumed_client;
    /* The same four for TLS 1.2. */
    SimTime tls12_full_server;
    SimTime tls12_full_client;
    SimTime tls12_resumed_server;
    SimTime tls12_resumed_client;
    /* Full handshakes without a client certificate (mutual-auth false, or
     * a client that presents none), per version and role: the server
     * verifies no client chain, the client signs nothing. */
    SimTime tls_full_server_oneway;
    SimTime tls_full_client_oneway;
    SimTime tls12_full_server_oneway;
    SimTime tls12_full_client_oneway;
    /* Resumed handshakes of sessions without a client certificate, per
     * version and role. */
    SimTime tls_resumed_server_oneway;
    SimTime tls_resumed_client_oneway;
    SimTime tls12_resumed_server_oneway;
    SimTime tls12_resumed_client_oneway;
    /* One signature, one verification, one X25519 key agreement. */
    SimTime sign;
    SimTime verify;
    SimTime ecdh;
} SimCpuKeyCosts;

/* What a SIP server spends apart from handshakes: CPU time of one core
 * per unit of work, and memory per open connection.  Group [sip], [conn],
 * [memory] and [overload] of a profile file. */
typedef struct {
    /* Per SIP message received or sent, by kind: an INVITE, any other
     * request, a response. */
    SimTime sip_invite;
    SimTime sip_request;
    SimTime sip_response;
    /* Extra per message on a stream transport (TCP, SCTP, TLS): framing
     * by Content-Length, the stream read/write system calls. */
    SimTime stream_framing;
    /* Per connection opened (connect), accepted (accept) and closed, on
     * either end, TCP or SCTP (TLS adds its handshake). */
    SimTime conn_connect;
    SimTime conn_accept;
    SimTime conn_close;
    /* Per TLS application-data record sealed or opened, and per KiB of
     * its payload (AEAD). */
    SimTime tls_record;
    SimTime tls_aead_per_kib;
    /* CPU backlog beyond which a node refuses a new INVITE (503 with
     * Retry-After on a connection, a drop over UDP). */
    SimTime queue_limit;
    /* Bytes per open connection: kernel socket, TLS library state (TLS
     * connections only), the proxy's own record and read buffer. */
    guint64 mem_socket;
    guint64 mem_tls;
    guint64 mem_proxy;
} SimCpuHostCosts;

/* A host's profile. */
typedef struct {
    /* Costs per key type. */
    SimCpuKeyCosts key[SIM_KEY_N_TYPES];
    /* Costs that do not depend on the key type. */
    SimCpuHostCosts host_costs;
    /* Name of the built-in profile this one started from ("proxy" or
     * "bare-crypto"); static. */
    const char *base;
    /* (nullable): free-form host description ([host] group), owned. */
    char *host;
} SimCpuProfile;

/* Life cycle. */
void sim_cpu_profile_init_defaults(SimCpuProfile *p);
void sim_cpu_profile_init_bare(SimCpuProfile *p);
gboolean sim_cpu_profile_init_named(SimCpuProfile *p, const char *name);
gboolean sim_cpu_profile_is_builtin(const char *name);
void sim_cpu_profile_clear(SimCpuProfile *p);

/* Files. */
gboolean sim_cpu_profile_load(SimCpuProfile *p, const char *path,
                              GError **error);
gboolean sim_cpu_profile_save(const SimCpuProfile *p, const char *path,
                              GError **error);

/* Handshake CPU for SimStackConfig.tls_cost, per version and role. */
void sim_cpu_profile_tls_costs(
    const SimCpuProfile *p, SimKeyType key,
    SimTlsCost out[SIM_TLS_N_VERSIONS][SIM_TLS_N_ROLES]);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(SimCpuProfile, sim_cpu_profile_clear)

G_END_DECLS
