/* SPDX-License-Identifier: MIT */
/*
 * CPU model of a node: a number of cores serving one FIFO queue of jobs,
 * each with a service time (a SIP message's processing, a handshake
 * operation).  A job's completion handler runs when a core has served it,
 * so a loaded node really delays its work.  Utilisation is recorded as a
 * time-weighted gauge of busy cores.
 */
#pragma once

#include "sim/ctx.h"

G_BEGIN_DECLS

typedef struct _SimCpu SimCpu;

/* Runs when a job has been served. */
typedef void (*SimCpuDoneFunc)(gpointer data);

SimCpu *sim_cpu_new(SimCtx *ctx, const char *node, guint cores);
void sim_cpu_free(SimCpu *cpu);
void sim_cpu_submit(SimCpu *cpu, SimTime cost, SimCpuDoneFunc done,
                    gpointer data, GDestroyNotify destroy);
void sim_cpu_charge(SimCpu *cpu, SimTime cost);
void sim_cpu_add_crypto(SimCpu *cpu, SimTime cost);
void sim_cpu_reset(SimCpu *cpu);
guint sim_cpu_cores(const SimCpu *cpu);
SimTime sim_cpu_busy_time(const SimCpu *cpu);
SimTime sim_cpu_crypto_time(const SimCpu *cpu);
SimTime sim_cpu_backlog(const SimCpu *cpu);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimCpu, sim_cpu_free)

G_END_DECLS
