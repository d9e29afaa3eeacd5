/* SPDX-License-Identifier: MIT */
/*
 * CPU model: c identical cores serving one FIFO queue.  Because jobs are
 * served in arrival order and each takes the earliest free core, a job's
 * start and end are known when it is submitted: start = max(now, earliest
 * core free time).  One event fires at the end (plus one at the start when
 * the job has to wait, to keep the busy-cores gauge exact).  A reset (node
 * crash) bumps a generation so completions of lost jobs are dropped.  Job
 * records are recycled through a free list.
 */
#define G_LOG_DOMAIN "sim-cpu"

#include "models/cpu.h"

struct _SimCpu {
    /* The run. */
    SimCtx *ctx;
    /* When each core is next free. */
    SimTime *free_at;
    /* Number of cores. */
    guint cores;
    /* Incremented by sim_cpu_reset; jobs of older generations are lost. */
    guint generation;
    /* Service time of every job submitted, and of crypto work. */
    SimTime busy;
    SimTime crypto;
    /* Busy cores over time (utilisation = its mean / cores). */
    SimGauge *busy_cores;
    /* Per-node and run-wide crypto seconds. */
    SimCounter *crypto_ns;
    /* Job records ready for reuse (linked through next). */
    struct _CpuJob *free_jobs;
    /* The event-queue lane of job ends (with one service time, they come
     * in order), made at the first job; 0 before. */
    SimEvqLane lane;
};

/* A job in service. */
typedef struct _CpuJob {
    SimCpu *cpu;
    guint generation;
    SimCpuDoneFunc done;
    gpointer data;
    GDestroyNotify destroy;
    /* Next record in the free list. */
    struct _CpuJob *next;
} CpuJob;

/**
 * sim_cpu_new:
 * @ctx: the run
 * @node: the owning node's name (statistics are "node.<node>.cpu.*")
 * @cores: number of cores, at least 1
 *
 * Returns: (transfer full): an idle CPU.
 */
SimCpu *
sim_cpu_new(SimCtx *ctx, const char *node, guint cores)
{
    g_return_val_if_fail(cores >= 1, NULL);
    SimCpu *cpu = g_new0(SimCpu, 1);
    cpu->ctx = ctx;
    cpu->cores = cores;
    cpu->free_at = g_new0(SimTime, cores);
    if (ctx->stats) {
        g_autofree char *g = g_strdup_printf("node.%s.cpu.busy_cores", node);
        g_autofree char *c = g_strdup_printf("node.%s.cpu.crypto_ns", node);
        cpu->busy_cores = sim_stats_gauge(ctx->stats, g);
        cpu->crypto_ns = sim_stats_counter(ctx->stats, c);
    }
    return cpu;
}

/**
 * sim_cpu_free:
 * @cpu: (nullable): a CPU
 *
 * Frees the CPU.  Its pending completion events must be gone (free the
 * event queue first: their records go back to the CPU's free list).
 */
void
sim_cpu_free(SimCpu *cpu)
{
    if (!cpu)
        return;
    while (cpu->free_jobs) {
        CpuJob *job = cpu->free_jobs;
        cpu->free_jobs = job->next;
        g_free(job);
    }
    g_free(cpu->free_at);
    g_free(cpu);
}

static void
cpu_job_start(SimEvq *q, gpointer data)
{
    CpuJob *job = data;
    if (job->generation == job->cpu->generation && job->cpu->busy_cores)
        sim_gauge_add(job->cpu->busy_cores, sim_evq_now(q), 1);
}

/* The end event owns the job: this runs once, after the job was served,
 * when it was lost in a reset, or when the run ends with it still queued. */
static void
cpu_job_free(gpointer data)
{
    CpuJob *job = data;
    if (job->destroy)
        job->destroy(job->data);
    job->next = job->cpu->free_jobs;
    job->cpu->free_jobs = job;
}

static void
cpu_job_end(SimEvq *q, gpointer data)
{
    CpuJob *job = data;
    SimCpu *cpu = job->cpu;
    if (job->generation != cpu->generation)
        return;
    if (cpu->busy_cores)
        sim_gauge_add(cpu->busy_cores, sim_evq_now(q), -1);
    if (job->done)
        job->done(job->data);
}

/**
 * sim_cpu_submit:
 * @cpu: a CPU
 * @cost: service time of the job
 * @done: (nullable): runs when the job has been served
 * @data: (nullable): its argument
 * @destroy: (nullable): frees @data after @done, or when the job is lost
 *   in a reset
 *
 * Queues a job (FIFO across all cores).
 */
void
sim_cpu_submit(SimCpu *cpu, SimTime cost, SimCpuDoneFunc done, gpointer data,
               GDestroyNotify destroy)
{
    SimTime now = sim_evq_now(cpu->ctx->evq);
    guint best = 0;
    for (guint i = 1; i < cpu->cores; i++)
        if (cpu->free_at[i] < cpu->free_at[best])
            best = i;
    SimTime start = MAX(now, cpu->free_at[best]);
    cpu->free_at[best] = start + cost;
    cpu->busy += cost;

    CpuJob *job = cpu->free_jobs;
    if (job)
        cpu->free_jobs = job->next;
    else
        job = g_new(CpuJob, 1);
    *job = (CpuJob){ cpu, cpu->generation, done, data, destroy, NULL };
    if (start > now)
        sim_evq_at(cpu->ctx->evq, start, cpu_job_start, job, NULL);
    else if (cpu->busy_cores)
        sim_gauge_add(cpu->busy_cores, now, 1);
    if (G_UNLIKELY(!cpu->lane))
        cpu->lane = sim_evq_lane_new(cpu->ctx->evq);
    sim_evq_lane_at(cpu->ctx->evq, cpu->lane, start + cost, cpu_job_end, job,
                    cpu_job_free);
}

/**
 * sim_cpu_add_crypto:
 * @cpu: a CPU
 * @cost: part of a submitted job's cost that is handshake cryptography
 *
 * Accounts crypto CPU ("cpu.crypto_s"); the time itself is charged by
 * sim_cpu_submit().
 */
/**
 * sim_cpu_charge:
 * @cpu: a CPU
 * @cost: service time
 *
 * Work nothing waits for (a connect or close system call, a refused
 * request's parsing): it occupies a core for @cost, so the jobs behind it
 * wait, and nothing runs when it is done.  Nothing happens for a zero
 * cost.
 */
void
sim_cpu_charge(SimCpu *cpu, SimTime cost)
{
    if (cost)
        sim_cpu_submit(cpu, cost, NULL, NULL, NULL);
}

void
sim_cpu_add_crypto(SimCpu *cpu, SimTime cost)
{
    cpu->crypto += cost;
    if (cpu->crypto_ns)
        cpu->crypto_ns->value += cost;
}

/**
 * sim_cpu_reset:
 * @cpu: a CPU
 *
 * Loses every queued and running job (node crash): their done functions
 * never run; their destroy functions do.
 */
void
sim_cpu_reset(SimCpu *cpu)
{
    SimTime now = sim_evq_now(cpu->ctx->evq);
    cpu->generation++;
    for (guint i = 0; i < cpu->cores; i++)
        cpu->free_at[i] = MIN(cpu->free_at[i], now);
    if (cpu->busy_cores)
        sim_gauge_set(cpu->busy_cores, now, 0);
}

/**
 * sim_cpu_cores:
 * @cpu: a CPU
 *
 * Returns: the number of cores.
 */
guint
sim_cpu_cores(const SimCpu *cpu)
{
    return cpu->cores;
}

/**
 * sim_cpu_busy_time:
 * @cpu: a CPU
 *
 * Returns: the service time of every job submitted so far.
 */
SimTime
sim_cpu_busy_time(const SimCpu *cpu)
{
    return cpu->busy;
}

/**
 * sim_cpu_crypto_time:
 * @cpu: a CPU
 *
 * Returns: the crypto time accounted with sim_cpu_add_crypto().
 */
SimTime
sim_cpu_crypto_time(const SimCpu *cpu)
{
    return cpu->crypto;
}

/**
 * sim_cpu_backlog:
 * @cpu: a CPU
 *
 * Returns: how long a job submitted now would wait before starting.
 */
SimTime
sim_cpu_backlog(const SimCpu *cpu)
{
    SimTime now = sim_evq_now(cpu->ctx->evq);
    SimTime earliest = cpu->free_at[0];
    for (guint i = 1; i < cpu->cores; i++)
        earliest = MIN(earliest, cpu->free_at[i]);
    return earliest > now ? earliest - now : 0;
}
