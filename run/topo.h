/* SPDX-License-Identifier: MIT */
/*
 * The topology of a run as plain structs (DESIGN.md section 7): what the
 * loader (run/topo.c) hands to the world builder.  The loader owns every
 * validation: once sim_topo_load() returns a SimTopo, every name reference
 * resolves (indices below), every value is in range and every default is
 * filled in.  Models never see the key file.  Durations are SimTime (ns),
 * bandwidths bits per second, rates calls per second.
 */
#pragma once

#include <glib.h>

#include "models/traffic.h"
#include "models/transport.h"
#include "sim/evq.h"

G_BEGIN_DECLS

#define SIM_TOPO_ERROR (sim_topo_error_quark())
GQuark sim_topo_error_quark(void);

/* Error codes of the loader; each has a malformed fixture in tests.  One
 * error reports every problem of a load, one per line in file order; its
 * code is the problems' code when they all share one, else FAILED. */
typedef enum {
    /* Several problems of different kinds. */
    SIM_TOPO_ERROR_FAILED,
    /* The file cannot be read or is not a key file. */
    SIM_TOPO_ERROR_FILE,
    /* A group whose kind is unknown. */
    SIM_TOPO_ERROR_UNKNOWN_GROUP,
    /* A key unknown in its group. */
    SIM_TOPO_ERROR_UNKNOWN_KEY,
    /* A value that does not parse or is out of range. */
    SIM_TOPO_ERROR_BAD_VALUE,
    /* A name that refers to nothing (domain, node, site, SRV target). */
    SIM_TOPO_ERROR_BAD_REFERENCE,
    /* Two groups of one kind with the same name. */
    SIM_TOPO_ERROR_DUPLICATE,
    /* Settings that contradict each other. */
    SIM_TOPO_ERROR_CONFLICT,
    /* A required key or group is absent. */
    SIM_TOPO_ERROR_MISSING,
    /* A certificate, key or profile file cannot be read or used. */
    SIM_TOPO_ERROR_CREDENTIALS,
    /* A --set override that names no group or key, or has no '='. */
    SIM_TOPO_ERROR_OVERRIDE,
} SimTopoError;

/* [transport] protocol. */
typedef enum {
    SIM_PROTO_UDP,
    SIM_PROTO_TCP,
    SIM_PROTO_SCTP,
    SIM_PROTO_TLS,
    SIM_PROTO_TLS_SCTP,
    SIM_PROTO_N
} SimProtocol;

/* [dns] srv-select (SPEC D4). */
typedef enum {
    SIM_SRV_SELECT_PROPORTIONAL,
    SIM_SRV_SELECT_RFC2782,
} SimSrvSelect;


/* [simulation]. */
typedef struct {
    /* Simulated time to run. */
    SimTime duration;
    /* Start of the measurement window. */
    SimTime warmup;
    /* Default seed (the CLI's --seed wins). */
    guint64 seed;
    /* Default strategy name (the CLI's --strategy wins). */
    char *strategy;
    /* TRUE if the file (or --set) names it; FALSE: the default, which
     * may not run over the transport (`run` then needs --strategy). */
    gboolean strategy_set;
    /* (nullable): path of a `sipreuse calibrate` profile. */
    char *cpu_profile;
    /* [simulation] rate-scale: every [traffic] rate below is already
     * multiplied by it (a load sweep over several traffic groups). */
    double rate_scale;
} SimTopoSimulation;

/* [transport]. */
typedef struct {
    SimProtocol protocol;
    /* 12 or 13. */
    guint tls_version;
    gboolean mutual_auth;
    gboolean resumption;
    /* 0 = never. */
    SimTime idle_timeout;
    /* SIP T1. */
    SimTime t1;
    /* SPEC D3. */
    gboolean alias_insert_check;
    /* TCP initial window, segments. */
    guint initial_window;
    SimTime rto_min;
    SimTime delayed_ack;
    /* Give up connecting to one target after this long (0: Timer B only);
     * an addition to DESIGN section 7 (SPEC scenario 41). */
    SimTime connect_timeout;
    /* SCTP: DATA rides with COOKIE-ECHO (RFC 9260 5.1); an addition to
     * DESIGN section 7 (SPEC scenario 38 compares both). */
    gboolean sctp_bundle;
    /* SCTP and TLS-SCTP: outbound streams the SIP layer asks for (RFC
     * 4168: transactions spread over them); an addition to DESIGN
     * section 7. */
    guint sctp_streams;
} SimTopoTransport;

/* [network] and [link A B]: path characteristics. */
typedef struct {
    SimTime delay;
    SimTime jitter;
    double loss;
    guint64 bandwidth_bps;
    guint mtu;
} SimTopoPath;

/* [pki]. */
typedef struct {
    /* "rsa-2048", "rsa-3072", "ecdsa-p256" or "ed25519". */
    char *key;
    char *ca_name;
    /* (nullable): PEM CA to trust; ca_key_file issues with it. */
    char *ca_file;
    char *ca_key_file;
    /* verify-time: the instant chains are validated at, seconds since the
     * epoch (UTC); set only if verify_time_set.  Unset, the world uses the
     * current time when certificate files are loaded, else the PKI's fixed
     * reference time. */
    gint64 verify_time;
    gboolean verify_time_set;
} SimTopoPki;

/* [dns]. */
typedef struct {
    SimTime ttl;
    SimTime lookup_delay;
    SimSrvSelect srv_select;
    gboolean strict_3263;
    /* How long a target that failed is tried last; an addition to DESIGN
     * section 7 ([dns] blacklist-time). */
    SimTime blacklist_time;
} SimTopoDns;

/* One SRV record of a domain. */
typedef struct {
    guint priority;
    guint weight;
    guint port;
    /* Target host name, as written. */
    char *target;
} SimTopoSrv;

/* [domain NAME]. */
typedef struct {
    char *name;
    /* SRV records in file order; n_srv == 0: the domain's nodes by A. */
    SimTopoSrv *srv;
    guint n_srv;
} SimTopoDomain;

/* The cost-model keys of [node] that are durations, in schema order. */
typedef enum {
    SIM_TOPO_COST_SIP_INVITE,
    SIM_TOPO_COST_SIP_REQUEST,
    SIM_TOPO_COST_SIP_RESPONSE,
    SIM_TOPO_COST_STREAM_FRAMING,
    SIM_TOPO_COST_CONNECT,
    SIM_TOPO_COST_ACCEPT,
    SIM_TOPO_COST_CLOSE,
    SIM_TOPO_COST_TLS_RECORD,
    SIM_TOPO_COST_TLS_AEAD,
    SIM_TOPO_COST_TLS_FULL_SERVER,
    SIM_TOPO_COST_TLS_FULL_CLIENT,
    SIM_TOPO_COST_TLS_RESUMED_SERVER,
    SIM_TOPO_COST_TLS_RESUMED_CLIENT,
    SIM_TOPO_COST_QUEUE_LIMIT,
    SIM_TOPO_N_COSTS
} SimTopoCost;

/* The memory keys of [node]. */
typedef enum {
    SIM_TOPO_MEMORY_SOCKET,
    SIM_TOPO_MEMORY_TLS,
    SIM_TOPO_MEMORY_PROXY,
    SIM_TOPO_N_MEMORY
} SimTopoMemory;

extern const char *const sim_topo_cost_keys[SIM_TOPO_N_COSTS];
extern const char *const sim_topo_memory_keys[SIM_TOPO_N_MEMORY];

/* [node NAME]. */
typedef struct {
    char *name;
    /* Host name (A record); defaults to NAME. */
    char *host;
    /* Dotted IPv4 address (assigned 10.0.x.y in file order if absent). */
    char *address;
    guint port;
    gboolean advertise_port;
    /* [node] record-route: FALSE (host, the default): the node
     * Record-Routes with its own host, which its certificate proves (RFC
     * 5922 7.5), so in-dialog requests come back to it; TRUE (domain):
     * with its first served domain, for farms that share dialog state (a
     * member that pops the domain's Route forwards on the Request-URI). */
    gboolean record_route_domain;
    /* [node] source-port: TRUE (listen) opens connections from the
     * listening port, so the peer sees the port DNS gives for the node
     * (two-connection's R21 exception); FALSE (ephemeral, the default)
     * from an ephemeral port. */
    gboolean source_port_listen;
    /* Index into SimTopo.sites. */
    guint site;
    /* Indices into SimTopo.domains. */
    guint *domains;
    guint n_domains;
    /* subjectAltName entries in OpenSSL syntax (NULL-terminated). */
    char **cert_san;
    /* (nullable): those of a second generated certificate, presented to
     * a client whose SNI the first does not prove (a virtual host, R17,
     * R22); NULL-terminated. */
    char **sni_cert_san;
    gboolean client_cert;
    /* (nullable): PEM certificate chain and key to use instead. */
    char *cert_file;
    char *key_file;
    gboolean cert_expired;
    gboolean cert_untrusted;
    gboolean accept_alias;
    /* (nullable): this node's own strategy. */
    char *strategy;
    guint cores;
    /* CPU per SIP message of any kind; with sip_cost_set FALSE the cpu
     * profile's per-kind figures apply. */
    SimTime sip_cost;
    gboolean sip_cost_set;
    /* CPU per full / resumed handshake per side, both roles; 0 with *_set
     * FALSE means "from the cpu profile". */
    SimTime tls_full_cost;
    gboolean tls_full_cost_set;
    SimTime tls_resumed_cost;
    gboolean tls_resumed_cost_set;
    /* The other cost-model keys (SimTopoCost); bit i of cost_set: cost[i]
     * was given, else the cpu profile's figure applies.  A more specific
     * key wins over sip-cost, tls-full-cost and tls-resumed-cost. */
    SimTime cost[SIM_TOPO_N_COSTS];
    guint32 cost_set;
    /* memory-socket, memory-tls, memory-proxy in bytes (SimTopoMemory);
     * bit i of memory_set: given. */
    guint64 memory[SIM_TOPO_N_MEMORY];
    guint32 memory_set;
    gboolean up;
    /* (nullable): attack: the host name it claims in its Via sent-by. */
    char *spoof_as;
} SimTopoNode;

/* [link SITE_A SITE_B]: unset keys take [network] values. */
typedef struct {
    /* Indices into SimTopo.sites. */
    guint site_a, site_b;
    SimTopoPath path;
} SimTopoLink;

/* [traffic NAME]. */
typedef struct {
    char *name;
    /* Indices into SimTopo.domains. */
    guint from, to;
    /* Calls per second (Poisson). */
    double rate;
    /* Mean holding time (exponential). */
    SimTime hold;
    SimTime answer_delay;
    SimByeBy bye_by;
    /* A caller abandons a call that has no final response this long
     * after it started: it sends CANCEL (RFC 3261 9.1); 0: never.  An
     * addition to DESIGN section 7. */
    SimTime cancel_after;
    /* The fraction of calls whose callers abandon them (with
     * cancel_after). */
    double cancel;
    SimTime start;
    /* SIM_TIME_NEVER: the end of the run. */
    SimTime stop;
    /* 0: no limit. */
    guint64 count;
    /* [traffic] via: index into SimTopo.nodes of the node every call
     * starts at (it serves from), or G_MAXUINT: round robin over the up
     * nodes serving from. */
    guint via;
} SimTopoTraffic;

/* [fault NAME]. */
typedef struct {
    char *name;
    /* Index into SimTopo.nodes. */
    guint node;
    SimTime at;
    SimTime duration;
} SimTopoFault;

/* A whole topology. */
typedef struct {
    /* The file's base name without ".topo" (results folder names). */
    char *name;
    /* The path it was loaded from. */
    char *path;
    SimTopoSimulation simulation;
    SimTopoTransport transport;
    /* [network]: defaults of every path. */
    SimTopoPath network;
    SimTopoPki pki;
    SimTopoDns dns;
    /* Site names; a node without `site` gets a site of its own name. */
    char **sites;
    guint n_sites;
    SimTopoDomain *domains;
    guint n_domains;
    SimTopoNode *nodes;
    guint n_nodes;
    SimTopoLink *links;
    guint n_links;
    SimTopoTraffic *traffic;
    guint n_traffic;
    SimTopoFault *faults;
    guint n_faults;
    /* (nullable): keys set for what the topology does not use (TLS keys
     * with a protocol without TLS, SCTP keys without SCTP, ...), ignored,
     * and --unset of keys the topology does not set: one sentence each,
     * NULL-terminated.  The verbs print them once; runs record them. */
    char **warnings;
    /* (nullable): the alias keys set explicitly ("[transport]
     * alias-insert-check", "[node a] accept-alias", ...), NULL-terminated:
     * ignored with a warning under a strategy that keeps no alias table
     * (sim_world_strategy_warnings()). */
    char **alias_keys;
} SimTopo;

/* How a load checks [simulation] strategy. */
typedef enum {
    /* The strategy is the run's (check, run without --strategy): set
     * explicitly, it must run over the transport. */
    SIM_TOPO_LOAD_DEFAULT = 0,
    /* The caller picks the run's strategies (run --strategy, compare,
     * sweep): it need only name a strategy.  [node] strategies must run
     * over the transport either way. */
    SIM_TOPO_LOAD_CALLER_STRATEGY = 1 << 0,
} SimTopoLoadFlags;

/* An override entry that removes a key (the key reverts to its default):
 * SIM_TOPO_UNSET "GROUP.KEY", e.g. "unset transport.tls-version" (what
 * --unset and [experiment] unset pass to the loader). */
#define SIM_TOPO_UNSET "unset "

/* Loading. */
SimTopo *sim_topo_load(const char *path, const char *const *overrides,
                       GError **error);
SimTopo *sim_topo_load_full(const char *path, const char *const *overrides,
                            SimTopoLoadFlags flags, GError **error);
SimTopo *sim_topo_load_data(const char *name, const char *data, gsize len,
                            const char *const *overrides, GError **error);
SimTopo *sim_topo_load_data_full(const char *name, const char *data,
                                 gsize len, const char *const *overrides,
                                 SimTopoLoadFlags flags, GError **error);
void sim_topo_free(SimTopo *topo);

/* Look-ups (NULL or -1 when absent). */
gint sim_topo_domain_index(const SimTopo *topo, const char *name);
gint sim_topo_node_index(const SimTopo *topo, const char *name);
const char *sim_protocol_name(SimProtocol p);
SimTransportKind sim_protocol_kind(SimProtocol p);
gint sim_topo_srv_share(const SimTopo *topo, guint node, double *share);

/* Units of values, for tools that read keys back (sweep plots). */
typedef enum {
    /* A plain number (or not a number). */
    SIM_TOPO_UNIT_NONE,
    /* A duration, read back in milliseconds. */
    SIM_TOPO_UNIT_DURATION,
    /* A bandwidth, read back in Mbps. */
    SIM_TOPO_UNIT_BANDWIDTH,
    /* A call rate, read back in calls per second. */
    SIM_TOPO_UNIT_RATE,
} SimTopoUnit;
SimTopoUnit sim_topo_key_unit(const char *key);
gboolean sim_topo_unit_value(SimTopoUnit unit, const char *text,
                             double *out);
const char *sim_topo_unit_name(SimTopoUnit unit);
char *sim_topo_numeric_column(const char *key);
/* TRUE if @key (as --set writes it) names a file (cert-file, cpu-profile,
 * ...): a relative path resolves against the topology's folder in the
 * file, against the working directory in an override. */
gboolean sim_topo_key_is_file(const char *key);

/* " (did you mean \"X\"?)" for a misspelling, or "". */
char *sim_topo_hint(const char *word, const char *const *cand);

/* The defaults of DESIGN section 7 as `group.key = value` lines. */
char *sim_topo_defaults_text(void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimTopo, sim_topo_free)

G_END_DECLS
