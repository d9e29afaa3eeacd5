/* SPDX-License-Identifier: MIT */
/*
 * CPU model tests: c cores serving one FIFO queue.  Expected completion
 * times follow from queueing arithmetic (job k of N equal jobs of cost s on
 * one core ends at k*s; on c cores, at ceil(k/c)*s), the busy-cores gauge
 * integrates to the total service time, a reset loses queued jobs without
 * running them, and every job's destroy runs exactly once: after it was
 * served, after a reset lost it, or when the run ends with it still queued.
 */
#include "models/cpu.h"

#include "sim/ctx.h"

typedef struct {
    SimCtx ctx;
    SimCpu *cpu;
    /* Completion time of each job, in submission order. */
    SimTime done_at[16];
    /* How often each job's done and destroy functions ran. */
    guint done[16];
    guint destroyed[16];
} Fixture;

typedef struct {
    Fixture *f;
    guint i;
} Job;

static void
job_done(gpointer data)
{
    Job *j = data;
    j->f->done[j->i]++;
    j->f->done_at[j->i] = sim_evq_now(j->f->ctx.evq);
}

static void
job_destroy(gpointer data)
{
    Job *j = data;
    j->f->destroyed[j->i]++;
    g_free(j);
}

static void
submit(Fixture *f, guint i, SimTime cost)
{
    Job *j = g_new(Job, 1);
    *j = (Job){ f, i };
    sim_cpu_submit(f->cpu, cost, job_done, j, job_destroy);
}

static void
fixture_set_up(Fixture *f, gconstpointer cores)
{
    f->ctx.evq = sim_evq_new();
    f->ctx.stats = sim_stats_new();
    f->ctx.seed = 1;
    f->cpu = sim_cpu_new(&f->ctx, "n", GPOINTER_TO_UINT(cores));
}

static void
fixture_tear_down(Fixture *f, gconstpointer cores)
{
    g_clear_pointer(&f->ctx.evq, sim_evq_free);
    sim_cpu_free(f->cpu);
    sim_stats_free(f->ctx.stats);
}

/* N equal jobs submitted at once on c cores: job k (from 1) ends at
 * ceil(k/c) * s, and a job submitted next at t = 0 would start when job
 * N + 1 of the sequence does, after floor(N/c) * s. */
static void
test_fifo(Fixture *f, gconstpointer cores)
{
    const guint c = GPOINTER_TO_UINT(cores), n = 7;
    const SimTime s = SIM_MS(3);
    for (guint i = 0; i < n; i++)
        submit(f, i, s);
    g_assert_cmpuint(sim_cpu_cores(f->cpu), ==, c);
    g_assert_cmpuint(sim_cpu_backlog(f->cpu), ==, n / c * s);
    sim_evq_run_until(f->ctx.evq, SIM_S(1));
    for (guint k = 1; k <= n; k++) {
        g_assert_cmpuint(f->done[k - 1], ==, 1);
        g_assert_cmpuint(f->destroyed[k - 1], ==, 1);
        g_assert_cmpuint(f->done_at[k - 1], ==, (k + c - 1) / c * s);
    }
    g_assert_cmpuint(sim_cpu_busy_time(f->cpu), ==, n * s);
    g_assert_cmpuint(sim_cpu_backlog(f->cpu), ==, 0);
}

static void
submit_later(SimEvq *q, gpointer data)
{
    Fixture *f = data;
    if (sim_evq_now(q) == SIM_MS(4)) {
        /* The first job has 6 ms of service left. */
        g_assert_cmpuint(sim_cpu_backlog(f->cpu), ==, SIM_MS(6));
        submit(f, 1, SIM_MS(5));
    } else {
        g_assert_cmpuint(sim_cpu_backlog(f->cpu), ==, 0);
        submit(f, 2, SIM_MS(2));
    }
}

/* A job arriving while the core is busy waits for it; one arriving after
 * an idle gap starts at once.  (The clock moves only when events run, so
 * the later arrivals are events.) */
static void
test_arrivals(Fixture *f, gconstpointer cores)
{
    submit(f, 0, SIM_MS(10));
    sim_evq_at(f->ctx.evq, SIM_MS(4), submit_later, f, NULL);
    sim_evq_at(f->ctx.evq, SIM_MS(50), submit_later, f, NULL);
    sim_evq_run_until(f->ctx.evq, SIM_S(1));
    g_assert_cmpuint(f->done_at[0], ==, SIM_MS(10));
    g_assert_cmpuint(f->done_at[1], ==, SIM_MS(15));
    g_assert_cmpuint(f->done_at[2], ==, SIM_MS(52));
}

/* The busy-cores gauge's time integral equals the service time given, so
 * its mean over [0, T] is busy / T; its peak is min(c, jobs at once). */
static void
test_busy_gauge(Fixture *f, gconstpointer cores)
{
    const guint c = GPOINTER_TO_UINT(cores);
    for (guint i = 0; i < 5; i++)
        submit(f, i, SIM_MS(20));
    sim_evq_run_until(f->ctx.evq, SIM_S(1));
    sim_stats_finish(f->ctx.stats, SIM_S(1));
    SimGauge *g = sim_stats_gauge(f->ctx.stats, "node.n.cpu.busy_cores");
    g_assert_cmpint(sim_gauge_peak(g), ==, MIN(c, 5));
    g_assert_cmpfloat_with_epsilon(sim_gauge_mean(g), 5 * 0.020, 1e-9);
    g_assert_cmpint(sim_gauge_level(g), ==, 0);
}

/* A crash loses the queue: done never runs for the lost jobs, destroy does
 * (once), and the CPU is free at once for new work. */
static void
crash(SimEvq *q, gpointer data)
{
    Fixture *f = data;
    sim_cpu_reset(f->cpu);
    submit(f, 3, SIM_MS(1));
}

static void
test_reset(Fixture *f, gconstpointer cores)
{
    for (guint i = 0; i < 3; i++)
        submit(f, i, SIM_MS(10));
    sim_evq_at(f->ctx.evq, SIM_MS(15), crash, f, NULL);
    sim_evq_run_until(f->ctx.evq, SIM_S(1));
    g_assert_cmpuint(f->done[0], ==, 1);
    g_assert_cmpuint(f->done[1], ==, 0);
    g_assert_cmpuint(f->done[2], ==, 0);
    g_assert_cmpuint(f->done_at[3], ==, SIM_MS(16));
    for (guint i = 0; i < 4; i++)
        g_assert_cmpuint(f->destroyed[i], ==, 1);
}

/* A run that ends with jobs still queued frees them with the queue: their
 * destroy runs exactly once, their done never. */
static void
test_end_of_run(Fixture *f, gconstpointer cores)
{
    for (guint i = 0; i < 4; i++)
        submit(f, i, SIM_MS(10));
    sim_evq_run_until(f->ctx.evq, SIM_MS(25));
    g_clear_pointer(&f->ctx.evq, sim_evq_free);
    g_assert_cmpuint(f->done[0] + f->done[1], ==, 2);
    g_assert_cmpuint(f->done[2] + f->done[3], ==, 0);
    for (guint i = 0; i < 4; i++)
        g_assert_cmpuint(f->destroyed[i], ==, 1);
}

static void
add(const char *path, guint cores,
    void (*func)(Fixture *, gconstpointer))
{
    g_test_add(path, Fixture, GUINT_TO_POINTER(cores), fixture_set_up, func,
               fixture_tear_down);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("CPU model: FIFO service on c cores, busy-time gauge, "
                   "reset, and job ownership at the end of a run.");
    add("/cpu/fifo/one-core", 1, test_fifo);
    add("/cpu/fifo/two-cores", 2, test_fifo);
    add("/cpu/fifo/three-cores", 3, test_fifo);
    add("/cpu/fifo/arrivals", 1, test_arrivals);
    add("/cpu/gauge/one-core", 1, test_busy_gauge);
    add("/cpu/gauge/two-cores", 2, test_busy_gauge);
    add("/cpu/reset/loses-queue", 1, test_reset);
    add("/cpu/ownership/end-of-run", 1, test_end_of_run);
    return g_test_run();
}
