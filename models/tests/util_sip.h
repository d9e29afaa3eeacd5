/* SPDX-License-Identifier: MIT */
/*
 * Shared fixture of the SIP tests: a small world built by hand (SimCtx,
 * SimNet with one site per node and a fixed one-way delay, a real PKI,
 * DNS with one SRV record per served domain, stacks, CPUs, resolvers and
 * proxies) so that expected values follow from RTT counts alone: no DNS
 * delay, no CPU cost, no handshake CPU.
 */
#pragma once

#include "models/sip/ua.h"

G_BEGIN_DECLS

#define SIM_TEST_MAX_NODES 8

/* How long every resolver sorts a failed target last (RFC 3263 4.3). */
#define SIM_TEST_BLACKLIST SIM_S(30)

/* One node to build. */
typedef struct {
    const char *name;
    const char *host;
    const char *ip;
    /* Served domains and certificate SANs, NULL-terminated. */
    const char *domains[4];
    const char *san[4];
    /* (nullable): this node's strategy instead of the world's. */
    const SimStrategyOps *strategy;
    gboolean decline_alias;
    gboolean no_client_cert;
    const char *spoof_as;
    /* Attack: port claimed in the Via sent-by; 0: its own. */
    guint16 spoof_port;
    /* Listening port (and SRV port); 0: 5061 for TLS, else 5060. */
    guint16 port;
    /* SRV priority of its domains; 0: 10. */
    guint priority;
    /* SANs of a second certificate presented to an SNI the main one does
     * not prove (virtual host, R17); empty: none. */
    const char *sni_san[4];
    /* SPEC D3 insert-time check off. */
    gboolean no_insert_check;
    /* (nullable): Record-Route host (R16). */
    const char *rr_host;
    /* Originate connections from the listening port (R21 exception). */
    gboolean source_port_listen;
    /* Served domains get no SRV record (A-record fallback). */
    gboolean no_srv;
    /* Its certificate is issued by a CA nobody trusts (TLS handshakes
     * with it fail at the client: server_untrusted). */
    gboolean cert_untrusted;
} SimTestNodeSpec;

/* World-wide settings; zero fields take the defaults noted. */
typedef struct {
    const SimTransportOps *transport;
    const SimStrategyOps *strategy;
    /* One-way delay of every path (R = 2 * one_way). */
    SimTime one_way;
    /* 12 or 13; 0: 13. */
    guint tls_version;
    /* Idle timeout; 0: 120 s; SIM_TIME_NEVER: never. */
    SimTime idle_timeout;
    /* Transport connect timeout; 0: the protocol's own. */
    SimTime connect_timeout;
    /* Packet loss probability of every path. */
    double loss;
    /* SCTP: DATA held until COOKIE-ACK. */
    gboolean sctp_no_bundle;
    /* R24 strict-3263. */
    gboolean strict_3263;
    /* SPEC D4 knob: the literal RFC 2782 draw over the records in node
     * order instead of weight/sum. */
    gboolean srv_rfc2782;
    /* Random seed; 0: 1. */
    guint64 seed;
    /* SCTP: outbound streams the proxies ask for; 0: the proxy's 10. */
    guint sctp_streams;
    /* (nullable): sees every SIP message a proxy hands to a transport. */
    SimSipTraceFunc trace;
    gpointer trace_data;
} SimTestWorldOpts;

typedef struct {
    SimStack *st;
    SimCpu *cpu;
    SimResolver *res;
    SimProxy *proxy;
    SimUa *ua;
    SimPkiCreds *creds;
    SimPkiCreds *sni_creds;
    const SimPkiCreds *sni_list[2];
    SimIp ip;
} SimTestNode;

typedef struct {
    SimCtx ctx;
    SimNet *net;
    SimDns *dns;
    guint n;
    SimTestNode nodes[SIM_TEST_MAX_NODES];
} SimTestWorld;

SimTestWorld *sim_test_world_new(const SimTransportOps *transport,
                                 const SimStrategyOps *strategy,
                                 SimTime one_way, guint tls_version,
                                 const SimTestNodeSpec *specs, guint n);
SimTestWorld *sim_test_world_new_opts(const SimTestWorldOpts *opts,
                                      const SimTestNodeSpec *specs, guint n);
void sim_test_world_free(SimTestWorld *w);
guint64 sim_test_counter(SimTestWorld *w, const char *name);
void sim_test_call(SimTestWorld *w, guint from, const char *to_domain,
                   SimTime hold, SimByeFrom bye_by);
void sim_test_call_at(SimTestWorld *w, SimTime when, guint from,
                      const char *to_domain, SimTime hold,
                      SimByeFrom bye_by);
SimConnTab *sim_test_tab(SimTestWorld *w, guint i);
SimIp sim_test_ip(const char *dotted);

G_END_DECLS
