/* SPDX-License-Identifier: MIT */
/*
 * One simulation run: builds the models of a loaded topology (network, PKI,
 * DNS, transports, proxies with their strategies, traffic and faults) on a
 * fresh SimCtx, runs it for the topology's duration and fills a
 * SimRunResult.  A run shares nothing mutable with any other, so compare and
 * sweep run several at once on a thread pool.
 */
#pragma once

#include "models/dns.h"
#include "run/result.h"
#include "run/topo.h"

G_BEGIN_DECLS

#define SIM_WORLD_ERROR (sim_world_error_quark())
GQuark sim_world_error_quark(void);

typedef enum {
    SIM_WORLD_ERROR_FAILED,
    /* Unknown strategy name. */
    SIM_WORLD_ERROR_STRATEGY,
    /* The strategy cannot run on this topology's transport (e.g. reuse
     * needs TLS). */
    SIM_WORLD_ERROR_NOT_APPLICABLE,
    /* Certificates, keys or the cpu profile could not be made or used. */
    SIM_WORLD_ERROR_PKI,
} SimWorldError;

/* What the CLI adds to the topology. */
typedef struct {
    /* (nullable): strategy; NULL takes [simulation] strategy. */
    const char *strategy;
    /* Seed; used only if seed_set. */
    guint64 seed;
    gboolean seed_set;
    /* (nullable): the --set overrides already applied to the topology,
     * recorded in the result. */
    const char *const *overrides;
    /* (nullable): folder for the generated-PKI cache. */
    const char *cache_dir;
    /* (nullable): write a packet trace of everything the network carries
     * here (one capture point, at the senders). */
    const char *pcap;
    /* (nullable): write one packet trace per node into this folder. */
    const char *pcap_dir;
    /* (nullable): write a pcap of the SIP messages (as cleartext over
     * their transport, one packet per message) here. */
    const char *pcap_sip;
    /* Unix time at which certificate files are validated when [pki]
     * verify-time is unset; 0: when the run starts.  A batch gives all its
     * runs one instant. */
    gint64 files_verify_time;
    /* (nullable): called with the simulated time now and at the end of
     * the run, about every hundredth of the run (the CLI's progress; the
     * events run are the same with or without it). */
    void (*progress)(SimTime now, SimTime end, gpointer data);
    gpointer progress_data;
} SimRunOptions;

SimRunResult *sim_world_run(const SimTopo *topo, const SimRunOptions *opt,
                            GError **error);
SimTime sim_world_sample_interval(SimTime duration);
SimResolverConfig sim_world_resolver_config(const SimTopo *topo);
gboolean sim_world_strategy_applicable(const SimTopo *topo,
                                       const char *strategy);
char **sim_world_strategy_warnings(const SimTopo *topo,
                                   const char *strategy);

G_END_DECLS
