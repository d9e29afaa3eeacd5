/* SPDX-License-Identifier: MIT */
/*
 * What one run produces (DESIGN.md section 8), as plain values: the world
 * fills a SimRunResult when a run ends, run/out.c writes it (summary.json,
 * runs.tsv, nodes.tsv, timeseries.tsv, latency histogram, metadata) and the
 * compare and sweep verbs aggregate it.  Nothing here knows SIP; the field
 * names map one to one onto the dotted result keys of the contract.
 * Statistics cover the measurement window (after warm-up) unless the field
 * says "run".
 */
#pragma once

#include <glib.h>

#include "sim/evq.h"

G_BEGIN_DECLS

/* One row of nodes.tsv. */
typedef struct {
    char *node;
    guint64 calls_originated;
    guint64 calls_received;
    guint64 requests_received;
    /* SIP responses the node's proxy received (retransmissions
     * included). */
    guint64 responses_received;
    guint64 connections_peak;
    guint64 handshakes;
    /* Busy fraction of the node's cores over the window, in [0, 1]. */
    double cpu_util;
    guint64 memory_conn_bytes_peak;
    /* Peak memory of the node's open connections as a real server holds
     * it (kernel socket, TLS state, proxy record: the cost model). */
    guint64 memory_node_bytes_peak;
    /* Its originated calls an overloaded node refused (503). */
    guint64 calls_rejected;
    /* The node's calls as their origin, in the window: attempted =
     * completed + failed + cancelled + unfinished. */
    guint64 calls_attempted;
    guint64 calls_completed;
    guint64 calls_failed;
    guint64 calls_cancelled;
    guint64 calls_unfinished;
    /* SIP messages the node handed to its transport over the whole run:
     * sent = delivered + dropped + in_flight_end. */
    guint64 sip_sent;
    guint64 sip_delivered;
    guint64 sip_dropped;
    guint64 sip_in_flight_end;
    /* (nullable): the domain of the node's SRV farm (the first domain whose
     * SRV records point at it), and its expected share of that domain's
     * SRV selections (weight / sum within the lowest priority; NAN when
     * srv_domain is NULL). */
    char *srv_domain;
    double srv_share;
} SimNodeResult;

/* One row of pairs.tsv: connections a node opened toward one peer. */
typedef struct {
    /* The node that opened them. */
    char *node;
    /* The peer: the name of the node at peer_ip ("a|b" when several nodes
     * share the address, "-" when none has it). */
    char *peer;
    /* The peer's address, dotted. */
    char *peer_ip;
    /* Connections the node's proxy opened toward the peer, failed
     * attempts included: in the window, and over the whole run. */
    guint64 connections_opened;
    guint64 connections_opened_run;
} SimPairResult;

/* One row of timeseries.tsv (sampled every SimRunResult.sample_interval). */
typedef struct {
    SimTime t;
    guint64 open_connections;
    /* Mean busy fraction over all nodes' cores during the interval. */
    double cpu_util;
    guint64 calls_in_progress;
    /* Highest number of open connections during the interval that ends at
     * the sample (and at the sample itself): the series' mean misses
     * short-lived peaks. */
    guint64 open_connections_max;
    /* Time-weighted mean of open connections over that interval (the
     * level itself for the sample at time 0). */
    double open_connections_mean;
} SimSample;

/* One bucket of the call set-up latency histogram. */
typedef struct {
    /* Bucket bounds in nanoseconds: [lo, hi). */
    guint64 lo, hi;
    guint64 count;
} SimLatencyBucket;

/* Everything a run reports. */
typedef struct {
    /* Identity of the run. */
    char *topology;
    char *strategy;
    guint64 seed;
    /* "udp", "tcp", "sctp", "tls" or "tls-sctp". */
    char *protocol;
    /* --set overrides applied, NULL-terminated (may be empty). */
    char **overrides;
    SimTime duration;
    SimTime warmup;
    /* (nullable): TLS runs: the instant certificate chains were validated
     * at, ISO 8601 UTC ("2026-12-03T12:00:00Z"), which [pki] verify-time
     * takes to reproduce the run; NULL without a PKI. */
    char *pki_verify_time;
    /* (nullable): the topology's warnings (keys ignored because they do
     * not apply), NULL-terminated. */
    char **warnings;

    /* calls.* */
    guint64 calls_attempted;
    guint64 calls_completed;
    guint64 calls_failed;
    /* The caller abandoned the call (CANCEL, 487). */
    guint64 calls_cancelled;
    /* Attempted in the window with no final outcome at the end. */
    guint64 calls_unfinished;
    /* Failed calls an overloaded node refused (503 with Retry-After, or
     * the origin's own refusal); a part of calls_failed. */
    guint64 calls_rejected;
    /* Peak memory of all nodes' open connections as real servers hold it
     * (the cost model: kernel socket, TLS state, proxy record). */
    guint64 memory_node_bytes_peak;

    /* sip.*: every SIP message a node handed to its transport over the
     * whole run ends delivered (to the next proxy), dropped (for a named
     * reason: sip.dropped.<reason> in the extras) or still in flight at
     * the end. */
    guint64 sip_sent;
    guint64 sip_delivered;
    guint64 sip_dropped;
    guint64 sip_in_flight_end;

    /* latency.setup_ms.*: arrival at the origin proxy to the 200 there. */
    double latency_setup_ms_mean;
    double latency_setup_ms_p50;
    double latency_setup_ms_p95;
    double latency_setup_ms_p99;
    double latency_setup_ms_max;
    /* latency.setup_ms.p50_all, .p95_all, .p99_all: quantiles over every
     * call attempted in the window, a call that did not complete (failed,
     * cancelled, unfinished) ranking above every completed one; NAN when
     * the quantile's rank falls among those (sim_run_result_derive). */
    double latency_setup_ms_p50_all;
    double latency_setup_ms_p95_all;
    double latency_setup_ms_p99_all;
    /* Exact smallest and largest set-up latency of the window in ns (0
     * with no completed call): quantiles are clamped to them.  Not result
     * keys. */
    guint64 latency_min_ns;
    guint64 latency_max_ns;
    /* calls.completion_ratio: completed / attempted, NAN with no attempt
     * (sim_run_result_derive). */
    double calls_completion_ratio;

    /* connections.* (window) and whole-run totals. */
    guint64 connections_opened;
    guint64 connections_closed;
    guint64 connections_peak;
    double connections_mean;
    guint64 connections_per_node_peak_max;
    guint64 connections_opened_run;
    guint64 connections_closed_run;
    /* Connections open at the end: opened_run - closed_run. */
    guint64 connections_open_end;

    /* handshakes.* */
    guint64 handshakes_tcp;
    guint64 handshakes_sctp;
    guint64 handshakes_tls_full;
    guint64 handshakes_tls_resumed;
    guint64 handshakes_failed;

    /* alias.* and requests.hijacked */
    guint64 alias_added;
    guint64 alias_rejected;
    guint64 alias_hits;
    guint64 requests_hijacked;

    /* cpu.*: highest node utilisation; crypto CPU seconds over all nodes. */
    double cpu_util_max;
    double cpu_crypto_s;
    /* Rates over the window (sim_run_result_derive; NAN for an empty
     * window): handshakes.per_s, the transport handshakes (tcp + sctp +
     * tls_full + tls_resumed) per second, and cpu.crypto_cores_per_node,
     * cpu.crypto_s / window seconds / nodes: the cores an average node
     * keeps busy with handshake crypto. */
    double handshakes_per_s;
    double cpu_crypto_cores_per_node;

    /* bytes.wire: every byte put on the wire (IP headers included). */
    guint64 bytes_wire;

    /* memory.conn_bytes_peak: peak modelled connection memory, all nodes. */
    guint64 memory_conn_bytes_peak;

    /* sim.*: the simulator itself (not deterministic: wall clock). */
    guint64 sim_events;
    double sim_wall_s;
    double sim_events_per_s;

    /* Further counters as (dotted name, value), sorted by name: alias
     * rejections by reason, per-peer connection counts, failovers, SRV
     * target shares ("srv.<domain>.<target>:<port>") and the like.  They go
     * to summary.json only: runs.tsv keeps one fixed schema for all runs. */
    GArray *extra_names;   /* of char * (owned) */
    GArray *extra_values;  /* of double */
    /* Of gboolean: TRUE where the value is a count, written as an
     * integer; FALSE for gauges and means, written with %.6f. */
    GArray *extra_counts;

    /* Per node, in topology order. */
    SimNodeResult *nodes;
    guint n_nodes;

    /* Per (node, peer) with a connection opened in the run: nodes in
     * topology order, then peers by name and address. */
    SimPairResult *pairs;
    guint n_pairs;

    /* Time series. */
    SimTime sample_interval;
    SimSample *samples;
    guint n_samples;

    /* Set-up latency histogram, non-empty buckets in increasing order. */
    SimLatencyBucket *latency;
    guint n_latency;
} SimRunResult;

SimRunResult *sim_run_result_new(void);
void sim_run_result_free(SimRunResult *r);
void sim_run_result_add_extra(SimRunResult *r, const char *name,
                              double value);
void sim_run_result_add_extra_count(SimRunResult *r, const char *name,
                                    guint64 value);
double sim_run_result_setup_quantile_all(const SimRunResult *r, double q);
void sim_run_result_derive(SimRunResult *r);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimRunResult, sim_run_result_free)

G_END_DECLS
