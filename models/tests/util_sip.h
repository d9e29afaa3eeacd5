/* SPDX-License-Identifier: MIT */
/*
 * Shared fixture of the SIP tests: a small world built by hand (SimCtx,
 * SimNet with one site per node and a fixed one-way delay, a real PKI,
 * DNS with one SRV record per served domain, stacks, CPUs, resolvers and
 * proxies) so that expected values follow from RTT counts alone: no DNS
 * delay, no CPU cost, no handshake CPU.
 */
#pragma once

#include "models/sip/proxy.h"

G_BEGIN_DECLS

#define SIM_TEST_MAX_NODES 8

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
} SimTestNodeSpec;

typedef struct {
    SimStack *st;
    SimCpu *cpu;
    SimResolver *res;
    SimProxy *proxy;
    SimPkiCreds *creds;
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
void sim_test_world_free(SimTestWorld *w);
guint64 sim_test_counter(SimTestWorld *w, const char *name);
void sim_test_call(SimTestWorld *w, guint from, const char *to_domain,
                   SimTime hold, SimByeFrom bye_by);

G_END_DECLS
