/* SPDX-License-Identifier: MIT */
/*
 * A SIP proxy node (RFC 3261 16-18): stateful transaction handling through
 * the transaction layer (models/sip/txn.h), next hops by RFC 3263 with
 * failover (R15: a TLS server that does not prove the AUS domain is closed
 * and the next target tried), Record-Route (R16), connections opened and
 * accepted into the node's table (models/sip/conntab.h) as its strategy
 * chooses (models/strategy/strategy.h), ;alias admission (R7-R11),
 * responses on the incoming connection with the R28 fallback, and a CPU
 * cost per SIP message.  Requests that end at the node go to the user agent
 * registered on it (models/sip/ua.h), which sits above the proxy.
 *
 * Statistics fed (run-wide unless "node.<name>."; counters unless noted):
 *   responses.r28_fallback: responses sent on a connection opened to the
 *     received IP and sent-by port because theirs was gone (R28);
 *   alias.added, alias.rejected, alias.rejected.<reason> (reasons: policy,
 *     unsupported, transport, no-cert, unauthenticated,
 *     sent-by-not-in-cert), alias.hits (a request sent on an aliased
 *     connection), inbound.reuse (a request sent on an accepted connection
 *     that is no alias: two-connection's R21 exception), alias.misses
 *     (a request for which no row matched and a
 *     connection was opened although the node holds alias rows),
 *     alias.r29_violations (an aliased send whose connection does not
 *     reach the RFC 3263 target's IP; only the unsafe strategy has any);
 *   requests.hijacked: requests delivered to a node other than the one the
 *     sender's RFC 3263 choice designated (SPEC D5);
 *   requests.failover: a target failed and the next one was tried;
 *   requests.forwarded: in-dialog requests this node forwarded on their
 *     next Route entry or Request-URI after popping its own Route entry
 *     (a farm Record-Routing with its domain, record_route_host);
 *   sip.connections.opened, sip.connections.closed, sip.connections.failed,
 *     sip.connections.open (gauge): counted once per connection, at the
 *     side that opened it (the transports feed connections.* themselves);
 *   node.<name>.requests.received, node.<name>.responses.received,
 *   node.<name>.handshakes (connections set up, both sides),
 *   node.<name>.sip.connections.opened, node.<name>.sip.connections.accepted,
 *   node.<name>.sip.connections.open (gauge, both sides),
 *   node.<name>.peer.<ip>.sip.connections.opened (opened toward that peer).
 * The connection table feeds sip.connections.retired, .drained and
 * .drain_abandoned (conntab.h); the user agent the call statistics (ua.h).
 */
#pragma once

#include "models/cpu.h"
#include "models/dns.h"
#include "models/sip/conntab.h"
#include "models/sip/message.h"
#include "models/sip/txn.h"
#include "models/strategy/strategy.h"

G_BEGIN_DECLS

#define SIM_PROXY_ERROR (sim_proxy_error_quark())
GQuark sim_proxy_error_quark(void);

typedef enum {
    SIM_PROXY_ERROR_FAILED,
    /* The strategy cannot run over the node's transport. */
    SIM_PROXY_ERROR_STRATEGY,
    /* The transport refused to listen (port in use). */
    SIM_PROXY_ERROR_LISTEN,
} SimProxyError;

/* Sees a SIP message @m as it is handed to connection @c. */
typedef void (*SimSipTraceFunc)(const SimConn *c, const SimSipMsg *m,
                                gpointer user);

/* What the node's CPU and memory spend (the cost model: a cpu profile
 * and the [node] cost keys).  All zero: nothing costs anything. */
typedef struct {
    /* Per SIP message received or sent: an INVITE, another request, a
     * response. */
    SimTime invite;
    SimTime request;
    SimTime response;
    /* Added per message on a stream transport (TCP, SCTP, TLS). */
    SimTime framing;
    /* Per connection this end opens, accepts, closes (not UDP). */
    SimTime connect;
    SimTime accept;
    SimTime close;
    /* TLS: per application record sealed or opened, and per KiB of it. */
    SimTime tls_record;
    SimTime tls_aead_per_kib;
    /* CPU backlog beyond which a new INVITE is refused; 0: never. */
    SimTime queue_limit;
    /* Bytes per open connection at this node (kernel socket, TLS state,
     * the proxy's record and buffer; 0 over UDP). */
    guint64 conn_memory;
} SimProxyCosts;

/* A node's proxy settings (from [node], [transport], [dns]); every pointer
 * is borrowed and must outlive the proxy. */
typedef struct {
    /* Node name (statistics "node.<node>.*"). */
    const char *node;
    /* Host name: Via sent-by, Contact and the default Record-Route. */
    const char *host;
    /* Domains this node serves (it answers calls to them), NULL-terminated. */
    const char *const *domains;
    /* The node's transport endpoint and the transport its SIP uses. */
    SimStack *stack;
    const SimTransportOps *transport;
    /* Listening port; and whether the Via sent-by carries it. */
    guint16 port;
    gboolean advertise_port;
    /* The node's RFC 3263 resolver and CPU. */
    SimResolver *resolver;
    SimCpu *cpu;
    /* CPU and memory per unit of work. */
    SimProxyCosts costs;
    /* SIP T1 (Timer B/F = 64*T1); 0 = 500 ms. */
    SimTime t1;
    /* SCTP: outbound streams asked for on opened associations (RFC 4168);
     * 0 = 10.  TLS over SCTP uses one (RFC 3436 is not modelled). */
    guint sctp_streams;
    /* Connection idle timeout; 0 = never. */
    SimTime idle_timeout;
    /* Local policy: honour ;alias at all (R8). */
    gboolean accept_alias;
    /* SPEC D3: refuse a row whose sent-by host is not a proven identity. */
    gboolean alias_insert_check;
    /* (nullable): attack: host claimed in the Via sent-by (T1). */
    const char *spoof_as;
    /* Attack: port claimed in the Via sent-by (T2: a co-located attacker
     * claiming its victim's port); 0: the listening port. */
    guint16 spoof_port;
    /* R24 strict-3263: the SRV target host must be proven too. */
    gboolean strict_3263;
    /* The node's strategy. */
    const SimStrategyOps *strategy;
    /* (nullable): Record-Route URI host (R16); NULL: the node's own host
     * (RFC 3261 16.6 step 4: in-dialog requests come back to this node;
     * RFC 5922 7.5: its certificate proves it), with its port unless the
     * default.  A farm sharing dialog state sets its domain: members then
     * forward in-dialog requests on their Request-URI. */
    const char *record_route_host;
    /* TRUE: originate connections from the listening port instead of an
     * ephemeral one ([node] source-port = listen), which lets a
     * two-connection peer reuse them (R21 exception). */
    gboolean source_port_listen;
    /* (nullable): called with every SIP message the proxy hands to a
     * transport, and @trace_data (the run's packet capture). */
    SimSipTraceFunc trace;
    gpointer trace_data;
} SimProxyConfig;

typedef struct _SimProxy SimProxy;

/* What the node's user agent (models/sip/ua.h) is handed by its proxy;
 * responses to the requests it sends come through the SimSipTxnFunc of
 * sim_proxy_send_request(). */
typedef struct {
    /* A request that ends at this node: an INVITE for a served domain, an
     * ACK (@stx NULL), a BYE or a CANCEL.  @pc is the connection it came
     * on; the UA answers through @stx (sim_sip_server_txn_*). */
    void (*request)(SimSipServerTxn *stx, SimProxyConn *pc,
                    const SimSipMsg *m, gpointer user);
    /* The node crashed: its transactions are already lost (no callback
     * runs for them), and its calls are lost now. */
    void (*crashed)(gpointer user);
    /* Argument of every hook. */
    gpointer user;
} SimProxyUaHooks;

/* Life cycle. */
SimProxy *sim_proxy_new(SimCtx *ctx, const SimProxyConfig *cfg,
                        GError **error);
void sim_proxy_free(SimProxy *p);
gboolean sim_proxy_start(SimProxy *p, GError **error);

/* Faults. */
void sim_proxy_crash(SimProxy *p);
void sim_proxy_restart(SimProxy *p);

/* For the user agent above the proxy. */
void sim_proxy_set_ua(SimProxy *p, const SimProxyUaHooks *hooks);
void sim_proxy_new_call_id(SimProxy *p, char *buf, gsize size);
void sim_proxy_new_tag(SimProxy *p, char *buf, gsize size);
void sim_proxy_record_route(SimProxy *p, SimSipMsg *m);
void sim_proxy_send_request(SimProxy *p, SimSipMsg *m, SimSipTxnFunc func,
                            gpointer user);
SimSipServerTxn *sim_proxy_match_cancel(SimProxy *p,
                                        const SimSipMsg *cancel);

/* Queries. */
const char *sim_proxy_node(const SimProxy *p);
gboolean sim_proxy_is_up(const SimProxy *p);
gboolean sim_proxy_overloaded(const SimProxy *p);
const SimMsgAcct *sim_proxy_acct(const SimProxy *p);
SimCtx *sim_proxy_ctx(SimProxy *p);
const SimProxyConfig *sim_proxy_config(const SimProxy *p);
SimTransportKind sim_proxy_transport_kind(const SimProxy *p);
const char *sim_proxy_record_route_host(const SimProxy *p);
gboolean sim_proxy_serves(const SimProxy *p, const char *domain);
gboolean sim_proxy_is_own_host(const SimProxy *p, const char *host);
SimConnTab *sim_proxy_conntab(SimProxy *p);

/* The SCTP stream a message goes on. */
guint sim_proxy_stream(const SimConn *c, const SimSipMsg *m);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimProxy, sim_proxy_free)

G_END_DECLS
