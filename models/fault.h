/* SPDX-License-Identifier: MIT */
/*
 * Fault injection, one schedule for all [fault] groups of a topology: at
 * `at` a node goes down, after `duration` it comes back.  Overlapping faults
 * on one node nest (the node is down while any of them lasts, and a node
 * configured `up = false` never comes back).  The injector decides when;
 * the down and up hooks do the crash itself (the world resets the node's
 * stack, takes its interface down and crashes its proxy, then reverses
 * that), so peers see connection resets and fail over.
 */
#pragma once

#include "sim/ctx.h"

G_BEGIN_DECLS

typedef struct _SimFault SimFault;

/* One fault: node @node is down from @at for @duration. */
typedef struct {
    /* Index of the node (as the hooks number nodes). */
    guint node;
    /* When it goes down. */
    SimTime at;
    /* How long it stays down; SIM_TIME_NEVER: for good. */
    SimTime duration;
} SimFaultSpec;

/* The injector's settings; the arrays are borrowed and must outlive it. */
typedef struct {
    /* Number of nodes. */
    guint n_nodes;
    /* (nullable): per node, FALSE if it is configured down for the whole
     * run (it never comes back); NULL: every node starts up. */
    const gboolean *node_up;
    /* The faults, in the order their events are scheduled. */
    const SimFaultSpec *faults;
    guint n_faults;
} SimFaultConfig;

/* What the injector calls; both members are required. */
typedef struct {
    /* Node @node goes down now. */
    void (*down)(guint node, gpointer user);
    /* Node @node comes back now. */
    void (*up)(guint node, gpointer user);
} SimFaultHooks;

/* Life cycle. */
SimFault *sim_fault_new(SimCtx *ctx, const SimFaultConfig *cfg,
                        const SimFaultHooks *hooks, gpointer user);
void sim_fault_free(SimFault *f);
void sim_fault_start(SimFault *f);
void sim_fault_stop(SimFault *f);

/* State and counts. */
gboolean sim_fault_node_up(const SimFault *f, guint node);
guint64 sim_fault_downs(const SimFault *f);
guint64 sim_fault_ups(const SimFault *f);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimFault, sim_fault_free)

G_END_DECLS
