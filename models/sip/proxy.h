/* SPDX-License-Identifier: MIT */
/*
 * A SIP proxy node: stateful transaction handling (RFC 3261 17, timers as
 * on reliable transports, retransmission over UDP), next-hop resolution by
 * RFC 3263 with failover (R15: a TLS server that does not prove the AUS
 * domain is closed and the next target tried), a connection table indexed
 * by far-end tuple (R26), an alias table as a multimap purged on close
 * (R11, R18, R22), responses on the incoming connection with the R28
 * fallback, a CPU cost per SIP message, and the call model: the origin
 * proxy acts for the caller, the node serving the target domain answers as
 * the callee.  Which connection carries a request is the strategy's choice
 * (models/strategy/strategy.h).
 *
 * Statistics fed (run-wide unless "node.<name>."; counters unless noted):
 *   calls.attempted, calls.completed, calls.failed, calls.cancelled (at
 *     the origin proxy; completed = 2xx to the INVITE received; cancelled
 *     = the caller abandoned the call (CANCEL, RFC 3261 9.1) and its
 *     INVITE ended with 487 Request Terminated; failed = any other final
 *     non-2xx, Timer B or no reachable target);
 *   latency.setup (histogram, ns): from sim_proxy_originate_call, before any
 *     DNS lookup or connection set-up, to the 200 received there;
 *   calls.in_progress (gauge): originated calls not yet ended (BYE done or
 *     failed);
 *   bye.completed, bye.failed;
 *   calls.teardown_failed: answered calls whose BYE never arrived from
 *     the callee (lost, hijacked or the callee gone): the origin ends them
 *     hold + 64*T1 after the 200 (so calls.in_progress stays honest);
 *   calls.callee_expired: the same at the callee when the caller's BYE
 *     never came (hold + 2*64*T1 after its 200);
 *   responses.r28_fallback: responses sent on a connection opened to the
 *     received IP and sent-by port because theirs was gone (R28);
 *   cancel.matched, cancel.unmatched: CANCELs a callee matched to a
 *     pending INVITE server transaction (answered 200, the INVITE 487),
 *     or not (answered 481: the final response had left);
 *   sip.connections.drained: TLS connections this node closed under R20
 *     (idle timeout or sim_proxy_conn_reclaim), letting what was on them
 *     finish first; sip.connections.drain_abandoned: those it closed at
 *     the 64*T1 limit with exchanges still on them;
 *   sip.connections.retired: opened connections replaced as their
 *     tuple's row (`reuse`);
 *   alias.added, alias.rejected, alias.rejected.<reason> (reasons: policy,
 *     unsupported, transport, no-cert, unauthenticated,
 *     sent-by-not-in-cert), alias.hits (a request sent on an aliased
 *     connection), alias.misses (a request for which no row matched and a
 *     connection was opened although the node holds alias rows),
 *     alias.r29_violations (an aliased send whose connection does not
 *     reach the RFC 3263 target's IP; only the unsafe strategy has any);
 *   requests.hijacked: requests delivered to a node other than the one the
 *     sender's RFC 3263 choice designated (SPEC D5);
 *   requests.failover: a target failed and the next one was tried;
 *   sip.connections.opened, sip.connections.closed, sip.connections.failed,
 *     sip.connections.open (gauge): counted once per connection, at the
 *     side that opened it (the transports feed connections.* themselves);
 *   node.<name>.calls.originated, node.<name>.calls.received,
 *   node.<name>.requests.received, node.<name>.responses.received,
 *   node.<name>.handshakes (connections set up, both sides),
 *   node.<name>.sip.connections.opened, node.<name>.sip.connections.accepted,
 *   node.<name>.sip.connections.open (gauge, both sides),
 *   node.<name>.peer.<ip>.sip.connections.opened (opened toward that peer).
 */
#pragma once

#include "models/cpu.h"
#include "models/dns.h"
#include "models/sip/message.h"
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
    /* CPU per SIP message received or sent. */
    SimTime sip_cost;
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
    /* (nullable): Record-Route URI host (R16); NULL: the first served
     * domain, else the host. */
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

/* Who sends the BYE of a call. */
typedef enum {
    SIM_BYE_FROM_CALLER,
    SIM_BYE_FROM_CALLEE,
} SimByeFrom;

/* One call, as the traffic generator hands it to the origin proxy. */
typedef struct {
    /* The callee's domain (the AUS of the INVITE). */
    const char *to_domain;
    /* Time from the 200 to the BYE. */
    SimTime hold;
    /* Time the callee waits between 180 and 200. */
    SimTime answer_delay;
    /* Which side hangs up. */
    SimByeFrom bye_by;
    /* The caller abandons the call if it has no final response this long
     * after it started: CANCEL (RFC 3261 9.1), then the 487 counts in
     * calls.cancelled; 0: it waits. */
    SimTime cancel_after;
} SimCallParams;

typedef struct _SimProxy SimProxy;
typedef struct _SimProxyConn SimProxyConn;

/* The proxy's record of one transport connection.  Strategies read it;
 * the proxy writes it (except reusable_inbound and strategy_data). */
struct _SimProxyConn {
    /* The transport connection (borrowed until it closes). */
    SimConn *conn;
    /* The owning proxy. */
    SimProxy *proxy;
    /* Far-end tuple: the destination for opened connections, the source
     * (usually an ephemeral port) for accepted ones (R26). */
    SimTuple key;
    /* TRUE if this node opened it. */
    gboolean initiator;
    /* (nullable): opened connections: the AUS domain (RFC 3263 input host)
     * it was opened and authenticated for; owned. */
    char *aus;
    /* (nullable): opened connections: the SRV target host; owned. */
    char *target_host;
    /* TRUE once open (for TLS: authenticated). */
    gboolean up;
    /* TRUE once this node sent ;alias on it (R4: keep it up). */
    gboolean alias_sent;
    /* TRUE while an alias row points at it. */
    gboolean aliased;
    /* Set by a strategy: an accepted connection that may carry requests
     * (R21 exception: source port = DNS-resolved port). */
    gboolean reusable_inbound;
    /* TRUE when opened for one transaction only (per-transaction). */
    gboolean per_txn;
    /* Transactions currently bound to it. */
    guint txns;
    /* Messages waiting for the CPU to send them on it. */
    guint sends;
    /* TRUE once closing: no new transactions (R20). */
    gboolean closing;
    /* TRUE while an R20 close (RFC 5923 8.3) waits for the exchanges
     * still on it: closing is set, so no new transaction starts here, but
     * responses, a CANCEL and the ACK of a non-2xx still use it; the TLS
     * close_notify leaves once txns, holds and sends are all 0, or after
     * 64*T1 (the rest abandoned). */
    gboolean draining;
    /* The 64*T1 limit of the drain. */
    SimEventId drain_timer;
    /* INVITE exchanges this node serves that arrived on it and are not
     * over: until the ACK of their final response (reliable transports;
     * RFC 3261 17.2.1 Completed, RFC 6026 Accepted), so that a close waits
     * for them (R20). */
    guint holds;
    /* TRUE once a newer connection replaced it as its tuple's row
     * (`reuse`): it carries no new requests, still carries the responses
     * and transactions it has, and closes when idle. */
    gboolean retired;
    /* Messages queued until the connection opens. */
    GQueue pending;
    /* Requests waiting on it (SimProxy-private send attempts). */
    GQueue waiters;
    /* Strategy-owned word of state. */
    gpointer strategy_data;
    /* References held by queued CPU jobs and transactions; the record
     * outlives its connection until the last one is dropped. */
    guint refcount;
};

/* Life cycle. */
SimProxy *sim_proxy_new(SimCtx *ctx, const SimProxyConfig *cfg,
                        GError **error);
void sim_proxy_free(SimProxy *p);
gboolean sim_proxy_start(SimProxy *p, GError **error);

/* Traffic and faults. */
void sim_proxy_originate_call(SimProxy *p, const SimCallParams *call);
void sim_proxy_crash(SimProxy *p);
void sim_proxy_restart(SimProxy *p);

/* Queries (tests, world). */
const char *sim_proxy_node(const SimProxy *p);
gboolean sim_proxy_is_up(const SimProxy *p);
guint sim_proxy_n_conns(const SimProxy *p);
guint sim_proxy_n_alias_rows(const SimProxy *p);
const SimAliasRow *sim_proxy_alias_row(const SimProxy *p, guint i);
guint sim_proxy_calls_active(const SimProxy *p);

/* For strategies: the narrow context API. */
SimCtx *sim_proxy_ctx(SimProxy *p);
const SimProxyConfig *sim_proxy_config(const SimProxy *p);
gpointer sim_proxy_strategy_priv(SimProxy *p);
void sim_proxy_set_strategy_priv(SimProxy *p, gpointer priv);
SimProxyConn *sim_proxy_conn_first(SimProxy *p);
SimProxyConn *sim_proxy_conn_next(SimProxy *p, SimProxyConn *pc);
gboolean sim_proxy_serves(const SimProxy *p, const char *domain);
void sim_proxy_connect_toward(SimProxy *p, const char *domain);
void sim_proxy_conn_retire(SimProxy *p, SimProxyConn *pc);
void sim_proxy_conn_reclaim(SimProxy *p, SimProxyConn *pc);
SimTransportKind sim_proxy_transport_kind(const SimProxy *p);

/* The SCTP stream a message goes on. */
guint sim_proxy_stream(const SimConn *c, const SimSipMsg *m);

/* For the transaction layer: references on connection records. */
SimProxyConn *sim_proxy_conn_ref(SimProxyConn *pc);
void sim_proxy_conn_unref(SimProxyConn *pc);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimProxy, sim_proxy_free)

G_END_DECLS
