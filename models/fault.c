/* SPDX-License-Identifier: MIT */
/*
 * Fault schedule of a run.  Each [fault] gives two events, down at `at` and
 * up at `at + duration`; a per-node depth counts the faults in force (plus
 * one for a node configured down), and the hooks run only on the 0 -> 1
 * and 1 -> 0 transitions, so a node is never crashed twice or revived while
 * another fault still holds it.  Events are scheduled in topology order,
 * so equal-time faults act in file order.
 */
#define G_LOG_DOMAIN "sim-fault"

#include "models/fault.h"

/* One scheduled transition; events point into SimFault.edges. */
typedef struct {
    /* The injector. */
    SimFault *f;
    /* The node. */
    guint node;
    /* TRUE for the down edge, FALSE for the up edge. */
    gboolean down;
    /* The pending event (0 once fired or cancelled). */
    SimEventId id;
} FaultEdge;

struct _SimFault {
    /* The run. */
    SimCtx *ctx;
    /* The settings (borrowed). */
    const SimFaultConfig *cfg;
    /* Hooks and their argument. */
    SimFaultHooks hooks;
    gpointer user;
    /* Faults in force per node (a node configured down counts one). */
    guint *depth;
    /* Two edges per [fault]: down then up. */
    FaultEdge *edges;
    guint n_edges;
    /* Transitions done. */
    guint64 downs, ups;
};

/**
 * sim_fault_new:
 * @ctx: the run
 * @cfg: (transfer none): the faults; must outlive the injector
 * @hooks: what to call (copied); both members are required
 * @user: argument of the hooks
 *
 * Returns: (transfer full): an idle injector; sim_fault_start() arms it.
 */
SimFault *
sim_fault_new(SimCtx *ctx, const SimFaultConfig *cfg,
              const SimFaultHooks *hooks, gpointer user)
{
    g_return_val_if_fail(hooks && hooks->down && hooks->up, NULL);
    SimFault *f = g_new0(SimFault, 1);
    f->ctx = ctx;
    f->cfg = cfg;
    f->hooks = *hooks;
    f->user = user;
    f->depth = g_new0(guint, MAX(cfg->n_nodes, 1));
    for (guint i = 0; i < cfg->n_nodes; i++)
        f->depth[i] = !cfg->node_up || cfg->node_up[i] ? 0 : 1;
    f->edges = g_new0(FaultEdge, MAX(2 * cfg->n_faults, 1));
    return f;
}

/**
 * sim_fault_free:
 * @f: (nullable): an injector
 *
 * Frees the injector.  Call sim_fault_stop() first unless the event queue
 * is already gone.
 */
void
sim_fault_free(SimFault *f)
{
    if (!f)
        return;
    g_free(f->depth);
    g_free(f->edges);
    g_free(f);
}

static void
fault_fire(SimEvq *q, gpointer data)
{
    FaultEdge *e = data;
    SimFault *f = e->f;
    e->id = 0;
    if (e->down) {
        if (f->depth[e->node]++ == 0) {
            f->downs++;
            f->hooks.down(e->node, f->user);
        }
    } else {
        g_assert_cmpuint(f->depth[e->node], >, 0);
        if (--f->depth[e->node] == 0) {
            f->ups++;
            f->hooks.up(e->node, f->user);
        }
    }
}

static void
fault_arm(SimFault *f, guint node, SimTime when, gboolean down)
{
    FaultEdge *e = &f->edges[f->n_edges++];
    *e = (FaultEdge){ .f = f, .node = node, .down = down };
    e->id = sim_evq_at(f->ctx->evq, when, fault_fire, e, NULL);
}

/**
 * sim_fault_start:
 * @f: an injector
 *
 * Schedules every fault's down and up edges (an up edge past the end of
 * time is left out: the node stays down).
 */
void
sim_fault_start(SimFault *f)
{
    g_return_if_fail(f->n_edges == 0);
    SimTime now = sim_evq_now(f->ctx->evq);
    for (guint i = 0; i < f->cfg->n_faults; i++) {
        const SimFaultSpec *t = &f->cfg->faults[i];
        SimTime at = MAX(t->at, now);
        fault_arm(f, t->node, at, TRUE);
        if (t->duration != SIM_TIME_NEVER && at + t->duration >= at)
            fault_arm(f, t->node, at + t->duration, FALSE);
    }
}

/**
 * sim_fault_stop:
 * @f: an injector
 *
 * Cancels every transition still pending.
 */
void
sim_fault_stop(SimFault *f)
{
    for (guint i = 0; i < f->n_edges; i++)
        if (f->edges[i].id) {
            sim_evq_cancel(f->ctx->evq, f->edges[i].id);
            f->edges[i].id = 0;
        }
}

/**
 * sim_fault_node_up:
 * @f: an injector
 * @node: index of a node in the topology
 *
 * Returns: %TRUE unless a fault (or the node's configuration) holds it
 *   down.
 */
gboolean
sim_fault_node_up(const SimFault *f, guint node)
{
    g_return_val_if_fail(node < f->cfg->n_nodes, FALSE);
    return f->depth[node] == 0;
}

/**
 * sim_fault_downs:
 * @f: an injector
 *
 * Returns: how many times a node went down.
 */
guint64
sim_fault_downs(const SimFault *f)
{
    return f->downs;
}

/**
 * sim_fault_ups:
 * @f: an injector
 *
 * Returns: how many times a node came back.
 */
guint64
sim_fault_ups(const SimFault *f)
{
    return f->ups;
}
