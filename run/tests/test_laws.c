/* SPDX-License-Identifier: MIT */
/*
 * Tests of the conservation-law checker on hand-made results: a result
 * whose figures add up passes, and each way a figure can fail to add up
 * (calls, SIP messages, drops without a named reason, connections, the
 * per-node peak, a latency over no calls) is reported under its law's
 * name.  Whole runs keep the laws in test_matrix and test_world.
 */
#include "run/laws.h"

#include <math.h>
#include <string.h>

/* A consistent result: 10 calls (7 completed, 1 failed, 1 cancelled, 1
 * unfinished) from one node; 40 messages sent (35 delivered, 3 lost, 2
 * in flight); 5 connections opened, 4 closed, 1 open. */
static SimRunResult *
result_ok(void)
{
    SimRunResult *r = sim_run_result_new();
    r->calls_attempted = 10;
    r->calls_completed = 7;
    r->calls_failed = 1;
    r->calls_cancelled = 1;
    r->calls_unfinished = 1;
    r->sip_sent = 40;
    r->sip_delivered = 35;
    r->sip_dropped = 3;
    r->sip_in_flight_end = 2;
    sim_run_result_add_extra_count(r, "sip.dropped.loss", 3);
    sim_run_result_add_extra_count(r, "sip.dropped.unknown", 0);
    r->connections_opened_run = 5;
    r->connections_closed_run = 4;
    r->connections_open_end = 1;
    r->connections_peak = 3;
    r->connections_per_node_peak_max = 3;
    r->latency_setup_ms_mean = r->latency_setup_ms_p50 = 10;
    r->latency_setup_ms_p95 = r->latency_setup_ms_p99 = 20;
    r->latency_setup_ms_max = 30;
    r->n_nodes = 1;
    r->nodes = g_new0(SimNodeResult, 1);
    SimNodeResult *n = &r->nodes[0];
    n->node = g_strdup("a");
    n->calls_attempted = 10;
    n->calls_completed = 7;
    n->calls_failed = 1;
    n->calls_cancelled = 1;
    n->calls_unfinished = 1;
    n->sip_sent = 40;
    n->sip_delivered = 35;
    n->sip_dropped = 3;
    n->sip_in_flight_end = 2;
    return r;
}

/* @r breaks a law whose message contains @needle. */
static void
expect_broken(SimRunResult *r, const char *needle)
{
    g_autoptr(GError) error = NULL;
    g_assert_false(sim_laws_check(r, &error));
    g_assert_error(error, SIM_LAWS_ERROR, SIM_LAWS_ERROR_BROKEN);
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, needle));
    sim_run_result_free(r);
}

static void
test_consistent(void)
{
    g_autoptr(SimRunResult) r = result_ok();
    g_autoptr(GError) error = NULL;
    g_assert_true(sim_laws_check(r, &error));
    g_assert_no_error(error);
}

static void
test_calls(void)
{
    SimRunResult *r = result_ok();
    r->calls_unfinished = 0;
    expect_broken(r, "calls: run: attempted 10 != completed 7 + failed 1 "
                     "+ cancelled 1 + unfinished 0");
    r = result_ok();
    r->nodes[0].calls_failed = 2;
    expect_broken(r, "calls: node a: attempted 10");
}

static void
test_sip(void)
{
    SimRunResult *r = result_ok();
    r->sip_in_flight_end = 1;
    expect_broken(r, "sip: run: sent 40 != delivered 35 + dropped 3 + in "
                     "flight at the end 1");
    r = result_ok();
    r->nodes[0].sip_delivered = 34;
    expect_broken(r, "sip: node a: sent 40");
}

static void
test_drop_reasons(void)
{
    SimRunResult *r = result_ok();
    g_array_index(r->extra_values, double, 0) = 2;
    expect_broken(r, "sip.dropped 3 != the sum of sip.dropped.<reason> 2");
    r = result_ok();
    g_array_index(r->extra_values, double, 0) = 2;
    g_array_index(r->extra_values, double, 1) = 1;
    expect_broken(r, "1 message(s) dropped for no named reason");
}

static void
test_connections(void)
{
    SimRunResult *r = result_ok();
    r->connections_open_end = 0;
    expect_broken(r, "connections: opened_run 5 - closed_run 4 != "
                     "open_end 0");
    r = result_ok();
    r->connections_per_node_peak_max = 4;
    expect_broken(r, "per_node_peak_max 4 > peak 3");
}

static void
test_no_data(void)
{
    /* No completed call but a latency of 0: a number over no samples. */
    SimRunResult *r = result_ok();
    r->calls_completed = 0;
    r->calls_failed = 8;
    r->nodes[0].calls_completed = 0;
    r->nodes[0].calls_failed = 8;
    r->latency_setup_ms_mean = r->latency_setup_ms_p50 = 0;
    r->latency_setup_ms_p95 = r->latency_setup_ms_p99 = 0;
    r->latency_setup_ms_max = 0;
    expect_broken(r, "no-data: latency.setup_ms is a number with 0");
    /* The same with null latency holds. */
    r = result_ok();
    r->calls_completed = 0;
    r->calls_failed = 8;
    r->nodes[0].calls_completed = 0;
    r->nodes[0].calls_failed = 8;
    r->latency_setup_ms_mean = r->latency_setup_ms_p50 = NAN;
    r->latency_setup_ms_p95 = r->latency_setup_ms_p99 = NAN;
    r->latency_setup_ms_max = NAN;
    g_autoptr(GError) error = NULL;
    g_assert_true(sim_laws_check(r, &error));
    sim_run_result_free(r);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("Conservation-law checker: consistent results pass, each "
                   "broken law is named with its figures.");
    g_test_add_func("/laws/consistent", test_consistent);
    g_test_add_func("/laws/calls", test_calls);
    g_test_add_func("/laws/sip", test_sip);
    g_test_add_func("/laws/drop-reasons", test_drop_reasons);
    g_test_add_func("/laws/connections", test_connections);
    g_test_add_func("/laws/no-data", test_no_data);
    return g_test_run();
}
