/* SPDX-License-Identifier: MIT */
/*
 * Resource limits of a batch of runs: how many runs a grid may hold, how
 * much memory a run is expected to need (estimated from the topology
 * before anything is simulated) and a watchdog that stops the process when
 * its resident memory passes --max-memory while runs are going.
 */
#pragma once

#include <glib.h>

#include "run/topo.h"

G_BEGIN_DECLS

/* Runs a compare or sweep may hold without --force. */
#define SIM_LIMITS_MAX_RUNS 100000u

/* Memory assumed per call in progress (measured: about 1.6 KiB on the
 * trunk topology for every strategy; twice that for safety). */
#define SIM_LIMITS_CALL_BYTES 3072u
/* Memory assumed per run besides its calls (worlds, tables, certificates,
 * statistics). */
#define SIM_LIMITS_RUN_BYTES (4u << 20)
/* Simulator events assumed per call (measured: about 30 for rfc3261 and
 * 80 for per-transaction over TLS on the trunk topology). */
#define SIM_LIMITS_CALL_EVENTS 100u

/* What one run is expected to need. */
typedef struct {
    /* Calls in progress at once, summed over the traffic flows (rate x
     * (holding time + answer delay + Timer B), capped by the flow's
     * window and count). */
    double calls_in_progress;
    /* Calls over the whole run. */
    double calls;
    /* Simulator events over the whole run. */
    double events;
    /* Memory, bytes. */
    double bytes;
} SimRunEstimate;

gboolean sim_limits_parse_size(const char *text, guint64 *bytes);
guint64 sim_limits_default_max_memory(void);
guint64 sim_limits_rss(void);
void sim_limits_estimate(const SimTopo *topo, SimRunEstimate *est);
char *sim_limits_estimate_text(const SimRunEstimate *est);

void sim_limits_watch_start(guint64 max_bytes, const char *who);
void sim_limits_watch_stop(void);

G_END_DECLS
