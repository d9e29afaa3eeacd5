/* SPDX-License-Identifier: MIT */
/*
 * Tests of the fault injector: its nesting rules (a node is down while any
 * fault on it lasts; a node configured down never comes back) and stop, on
 * hand-built schedules whose transition logs are exact.
 */
#include "models/fault.h"

/* Three nodes (n1 configured down) and four faults. */
typedef struct {
    SimFaultConfig cfg;
    gboolean up[3];
    SimFaultSpec faults[4];
} FaultFixture;

/* Transitions as "<time ms><+|-><node>" strings. */
typedef struct {
    SimCtx *ctx;
    GString *log;
} FaultLog;

static void
log_edge(FaultLog *l, guint node, char sign)
{
    g_string_append_printf(l->log, "%" G_GUINT64_FORMAT "%c%u ",
                           (guint64)(sim_ctx_now(l->ctx) / SIM_MS(1)), sign,
                           node);
}

static void
log_down(guint node, gpointer user)
{
    log_edge(user, node, '-');
}

static void
log_up(guint node, gpointer user)
{
    log_edge(user, node, '+');
}

static const SimFaultHooks log_hooks = { .down = log_down, .up = log_up };

static void
fault_fixture_init(FaultFixture *f)
{
    *f = (FaultFixture){ 0 };
    for (guint i = 0; i < 3; i++)
        f->up[i] = i != 1;
    /* n0: 100-300 and 200-500 overlap: down 100, up 500.  n1 starts down
     * and stays down.  n2: 400-450. */
    f->faults[0] = (SimFaultSpec){ 0, SIM_MS(100), SIM_MS(200) };
    f->faults[1] = (SimFaultSpec){ 0, SIM_MS(200), SIM_MS(300) };
    f->faults[2] = (SimFaultSpec){ 1, SIM_MS(50), SIM_MS(100) };
    f->faults[3] = (SimFaultSpec){ 2, SIM_MS(400), SIM_MS(50) };
    f->cfg = (SimFaultConfig){ .n_nodes = 3, .node_up = f->up,
                               .faults = f->faults, .n_faults = 4 };
}

static void
test_fault_nesting(void)
{
    FaultFixture f;
    fault_fixture_init(&f);
    SimCtx ctx = { .evq = sim_evq_new(), .seed = 1 };
    FaultLog l = { &ctx, g_string_new(NULL) };
    g_autoptr(SimFault) inj = sim_fault_new(&ctx, &f.cfg, &log_hooks, &l);
    g_assert_cmpint(sim_fault_node_up(inj, 0), ==, TRUE);
    g_assert_cmpint(sim_fault_node_up(inj, 1), ==, FALSE);
    sim_fault_start(inj);
    sim_evq_run_until(ctx.evq, SIM_MS(250));
    g_assert_cmpint(sim_fault_node_up(inj, 0), ==, FALSE);
    sim_evq_run_until(ctx.evq, SIM_S(10));
    g_assert_cmpstr(l.log->str, ==, "100-0 400-2 450+2 500+0 ");
    g_assert_cmpint(sim_fault_node_up(inj, 0), ==, TRUE);
    g_assert_cmpint(sim_fault_node_up(inj, 1), ==, FALSE);
    g_assert_cmpuint(sim_fault_downs(inj), ==, 2);
    g_assert_cmpuint(sim_fault_ups(inj), ==, 2);
    g_assert_cmpuint(sim_evq_pending(ctx.evq), ==, 0);
    g_string_free(l.log, TRUE);
    sim_evq_free(ctx.evq);
}

/* Stopping cancels what is pending: the node stays as it was. */
static void
test_fault_stop(void)
{
    FaultFixture f;
    fault_fixture_init(&f);
    SimCtx ctx = { .evq = sim_evq_new(), .seed = 1 };
    FaultLog l = { &ctx, g_string_new(NULL) };
    g_autoptr(SimFault) inj = sim_fault_new(&ctx, &f.cfg, &log_hooks, &l);
    sim_fault_start(inj);
    sim_evq_run_until(ctx.evq, SIM_MS(420));
    sim_fault_stop(inj);
    sim_evq_run_until(ctx.evq, SIM_S(10));
    g_assert_cmpstr(l.log->str, ==, "100-0 400-2 ");
    g_assert_cmpuint(sim_evq_pending(ctx.evq), ==, 0);
    g_string_free(l.log, TRUE);
    sim_evq_free(ctx.evq);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("Fault injector: nesting of overlapping faults, nodes "
                   "configured down, stop.");
    g_test_add_func("/fault/schedule/nesting", test_fault_nesting);
    g_test_add_func("/fault/schedule/stop", test_fault_stop);
    return g_test_run();
}
