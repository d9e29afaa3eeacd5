/* SPDX-License-Identifier: MIT */
/*
 * The MPI executor of a batch (run/mpi.h; compiled only by `make MPI=1`).
 * Rank 0 is the coordinator: it checks --resume itself, sorts the jobs
 * left longest expected first (the events sim_limits_estimate() expects),
 * sends each as bytes (run/ship.h) to a rank that asked for work and
 * writes every finished run the rank sends back into the run's folder, the
 * completion marker last: it is the only writer of the results folder,
 * and the verb then writes runs.tsv, the aggregate and the plots from the
 * job records exactly as after a local batch.  The other ranks run jobs on
 * their own threads (--jobs, or their own cores), each into a private
 * scratch folder whose files they send and remove.  Only the main thread
 * of a rank calls MPI (MPI_THREAD_FUNNELED).  Ranks are polled with
 * MPI_Iprobe and a short sleep, never a blocking wait, so an idle rank
 * does not spin a core and rank 0 notices a rank that has gone silent:
 * a rank with runs in hand sends a heartbeat every few seconds, and one
 * silent for SIPREUSE_MPI_TIMEOUT seconds (default 300) or whose messages
 * fail (the communicator returns errors instead of aborting) is given up:
 * nothing more is handed out, the runs it held are failures, the other
 * ranks' runs in hand are waited for and kept, and the process ends with
 * MPI_Abort after the verb has written what finished.  MPI state is one
 * per process, so it lives in the file's one static record.
 */
#define G_LOG_DOMAIN "sim-mpi"

#include "run/mpi.h"

#include <limits.h>
#include <math.h>
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/limits.h"
#include "run/ship.h"
#include "run/status.h"

#define SIM_MPI_ERROR (sim_mpi_error_quark())
static GQuark sim_mpi_error_quark(void);
G_DEFINE_QUARK(sim-mpi-error-quark, sim_mpi_error)

/* Message tags. */
enum {
    /* 0 -> rank: a batch starts; u32 threads per rank (0: its cores), u32
     * milliseconds between heartbeats. */
    TAG_START = 1,
    /* rank -> 0: u32 more jobs it can take. */
    TAG_REQUEST,
    /* 0 -> rank: a job (sim_ship_job_encode). */
    TAG_JOB,
    /* rank -> 0: a finished job (sim_ship_result_encode). */
    TAG_RESULT,
    /* rank -> 0: still working (no payload). */
    TAG_BEAT,
    /* 0 -> rank: the batch is over. */
    TAG_END,
    /* 0 -> rank: exit. */
    TAG_STOP,
    /* rank -> 0: exiting (the answer to TAG_STOP; no payload). */
    TAG_BYE,
};

/* Most seconds between heartbeats of a rank with runs in hand (a quarter
 * of the timeout when that is shorter). */
#define MPI_BEAT_S 5
/* Longest sleep between two polls, microseconds. */
#define MPI_POLL_MAX_US 5000

/* This process's MPI state. */
static struct {
    /* MPI_Init_thread was called. */
    gboolean on;
    int rank;
    int size;
    /* A duplicate of MPI_COMM_WORLD that returns errors. */
    MPI_Comm comm;
    /* A rank was given up: end with MPI_Abort, not MPI_Finalize. */
    gboolean broken;
    /* Rank 0: ranks given up (size entries). */
    gboolean *dead;
    /* Seconds of silence after which a rank with runs is given up. */
    double timeout;
    /* Buffers of requests left pending when their rank was given up:
     * MPI may still write into them until the job ends (MPI_Abort). */
    GPtrArray *orphans;
    char library[MPI_MAX_LIBRARY_VERSION_STRING];
} mpi = { .size = 1 };

/* TRUE when started by an MPI launcher (mpirun, srun with PMI/PMIx):
 * otherwise MPI is not initialised at all and this is a plain process. */
static gboolean
mpi_launched(void)
{
    static const char *const vars[] = { "OMPI_COMM_WORLD_SIZE", "PMIX_RANK",
                                        "PMI_RANK", "PMI_SIZE", NULL };
    for (guint i = 0; vars[i]; i++)
        if (g_getenv(vars[i]))
            return TRUE;
    return FALSE;
}

/**
 * sim_mpi_init:
 * @argc: (inout): argument count
 * @argv: (inout): arguments
 *
 * Initialises MPI when the process was started by an MPI launcher, with
 * errors returned rather than fatal.  A failure to initialise is fatal
 * (exit 1).
 *
 * Returns: TRUE if this process is a worker rank (rank > 0): it must then
 *   call sim_mpi_worker_main() instead of running a verb.
 */
gboolean
sim_mpi_init(int *argc, char ***argv)
{
    if (!mpi_launched())
        return FALSE;
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) !=
        MPI_SUCCESS) {
        fprintf(stderr, "sipreuse: MPI_Init_thread failed\n");
        exit(SIM_EXIT_FAILURE);
    }
    mpi.on = TRUE;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_dup(MPI_COMM_WORLD, &mpi.comm);
    MPI_Comm_set_errhandler(mpi.comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(mpi.comm, &mpi.rank);
    MPI_Comm_size(mpi.comm, &mpi.size);
    mpi.dead = g_new0(gboolean, mpi.size);
    const char *t = g_getenv("SIPREUSE_MPI_TIMEOUT");
    double v = t ? g_ascii_strtod(t, NULL) : 0;
    /* Positive and finite, at most a day (inf or 1e300 would overflow the
     * microseconds it becomes); anything else: the default. */
    mpi.timeout = isfinite(v) && v > 0 ? MIN(v, 86400.0) : 300.0;
    return mpi.rank > 0;
}

/**
 * sim_mpi_ranks:
 *
 * Returns: the number of ranks (1 without an MPI launcher).
 */
int
sim_mpi_ranks(void)
{
    return mpi.size;
}

/**
 * sim_mpi_rank:
 *
 * Returns: this process's rank (0 without an MPI launcher).
 */
int
sim_mpi_rank(void)
{
    return mpi.rank;
}

/**
 * sim_mpi_library:
 *
 * Returns: (transfer none): the first line of the MPI library's version.
 */
const char *
sim_mpi_library(void)
{
    if (!mpi.library[0]) {
        int len = 0;
        MPI_Get_library_version(mpi.library, &len);
        mpi.library[strcspn(mpi.library, "\n,")] = '\0';
    }
    return mpi.library;
}

/* ---- messages ------------------------------------------------------------ */

/* How long a send or receive may wait for the other side, seconds: rank
 * 0 gives up a rank after the timeout; the other ranks wait longer, since
 * rank 0 may itself spend the timeout on each of the other ranks in turn
 * (a send to each of several stopped ranks) before it answers. */
static double
mpi_send_limit(void)
{
    return mpi.rank == 0 ? mpi.timeout : (mpi.size + 2) * mpi.timeout;
}

/* Keeps @b alive to the end of the process: a request left pending on it
 * may still write into it. */
static void
mpi_orphan(GBytes *b)
{
    if (!mpi.orphans)
        mpi.orphans = g_ptr_array_new();
    g_ptr_array_add(mpi.orphans, g_bytes_ref(b));
}

/* Waits, at most mpi_send_limit(), for @req to complete: a large message
 * in either direction needs its other side to take part (a rank stopped
 * half-way through one must not hold this one forever).  On a timeout the
 * request stays pending with a reference to @b, its buffer, kept on
 * purpose (the job then ends with MPI_Abort). */
static gboolean
mpi_wait(MPI_Request *req, GBytes *b)
{
    gint64 until = g_get_monotonic_time() +
                   (gint64)(mpi_send_limit() * G_USEC_PER_SEC);
    guint us = 20;
    for (;;) {
        int done = 0;
        if (MPI_Test(req, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) {
            mpi_orphan(b);
            return FALSE;
        }
        if (done)
            return TRUE;
        if (g_get_monotonic_time() > until) {
            mpi_orphan(b);
            return FALSE;
        }
        g_usleep(us);
        us = MIN(us * 2, MPI_POLL_MAX_US);
    }
}

/* Sends @b to @dest and waits for the send to complete (mpi_wait). */
static gboolean
mpi_send_bytes(int dest, int tag, GBytes *b)
{
    gsize len = 0;
    const void *data = g_bytes_get_data(b, &len);
    MPI_Request req;
    if (len > INT_MAX || MPI_Isend(data, (int)len, MPI_BYTE, dest, tag,
                                   mpi.comm, &req) != MPI_SUCCESS)
        return FALSE;
    return mpi_wait(&req, b);
}

static gboolean
mpi_send(int dest, int tag, const void *data, gsize len)
{
    g_autoptr(GBytes) b = g_bytes_new(data, len);
    return mpi_send_bytes(dest, tag, b);
}

static gboolean
mpi_send_u32(int dest, int tag, guint32 v)
{
    guint32 le = GUINT32_TO_LE(v);
    return mpi_send(dest, tag, &le, sizeof le);
}

/* The @i-th u32 of a message (0 if it is too short). */
static guint32
mpi_u32(GBytes *b, guint i)
{
    gsize len = 0;
    const guint8 *p = g_bytes_get_data(b, &len);
    guint32 le = 0;
    if (len >= (i + 1) * sizeof le)
        memcpy(&le, p + i * sizeof le, sizeof le);
    return GUINT32_FROM_LE(le);
}

/* Polls for a message from @source (or MPI_ANY_SOURCE) and receives it,
 * waiting for its sender at most mpi_send_limit(): a message larger than
 * the eager limit is moved only while its sender takes part, and a sender
 * stopped after announcing one would otherwise hold this rank in a
 * blocking receive forever (seen as rank 0 silent to every other rank).
 * Returns 1 with *msg and *st set, 0 if none is waiting, -1 on an error
 * or when the message did not arrive in time.  (Rank 0's batch loop keeps
 * one receive per rank instead: farm_poll_rank().) */
static int
mpi_poll(int source, MPI_Status *st, GBytes **msg)
{
    int flag = 0, count = 0;
    if (MPI_Iprobe(source, MPI_ANY_TAG, mpi.comm, &flag, st) != MPI_SUCCESS)
        return -1;
    if (!flag)
        return 0;
    if (MPI_Get_count(st, MPI_BYTE, &count) != MPI_SUCCESS || count < 0)
        return -1;
    g_autoptr(GBytes) b = g_bytes_new_take(g_malloc(count ? (gsize)count : 1),
                                           (gsize)count);
    MPI_Request req;
    if (MPI_Irecv((void *)g_bytes_get_data(b, NULL), count, MPI_BYTE,
                  st->MPI_SOURCE, st->MPI_TAG, mpi.comm, &req) !=
            MPI_SUCCESS ||
        !mpi_wait(&req, b))
        return -1;
    *msg = g_steal_pointer(&b);
    return 1;
}

/* Sleeps between polls: short after a message, longer while idle. */
static void
mpi_backoff(guint *us, gboolean got)
{
    if (got) {
        *us = 200;
        return;
    }
    g_usleep(*us);
    *us = MIN(*us * 2, MPI_POLL_MAX_US);
}

/* ---- rank 0: the coordinator ---------------------------------------------- */

/* One batch handed out over the ranks. */
typedef struct {
    GPtrArray *jobs;
    const SimBatchOptions *opt;
    /* Job indices still to hand out, longest expected first. */
    GArray *order;
    guint next;
    /* Per rank: the job indices it holds (GArray of guint). */
    GArray **held;
    /* Per rank: monotonic time of its last message; asked for work. */
    gint64 *seen;
    gboolean *asked;
    /* Runs handed out and not yet answered; answered. */
    guint outstanding;
    guint done;
    /* A rank was given up: nothing more is handed out. */
    int failed_rank;
    /* Per rank: the message being received (NULL: none), its request,
     * tag and deadline.  One per rank, so that a rank stopped half-way
     * through a message never keeps rank 0 from the others. */
    GBytes **rbuf;
    MPI_Request *rreq;
    int *rtag;
    gint64 *runtil;
} Farm;

/* The work a job is expected to need, for ordering. */
typedef struct {
    guint index;
    double events;
} Cost;

static gint
cost_cmp(gconstpointer a, gconstpointer b)
{
    const Cost *x = a, *y = b;
    if (x->events != y->events)
        return x->events > y->events ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Checks --resume and sorts the other jobs longest expected first. */
static GArray *
farm_order(GPtrArray *jobs, const SimBatchOptions *opt)
{
    g_autoptr(GArray) costs = g_array_new(FALSE, FALSE, sizeof(Cost));
    const SimTopo *last = NULL;
    SimRunEstimate est = { 0 };
    for (guint i = 0; i < jobs->len; i++) {
        SimBatchJob *job = g_ptr_array_index(jobs, i);
        if (opt->resume && sim_batch_job_resume(job)) {
            job->resumed = TRUE;
            continue;
        }
        if (job->topo != last)
            sim_limits_estimate(job->topo, &est);
        last = job->topo;
        Cost c = { i, est.events };
        g_array_append_val(costs, c);
    }
    g_array_sort(costs, cost_cmp);
    GArray *order = g_array_sized_new(FALSE, FALSE, sizeof(guint),
                                      costs->len);
    for (guint i = 0; i < costs->len; i++)
        g_array_append_val(order, g_array_index(costs, Cost, i).index);
    return order;
}

/* Gives up rank @w: the runs it held fail, nothing more is handed out. */
static void
farm_rank_failed(Farm *f, int w, const char *why)
{
    if (mpi.dead[w])
        return;
    mpi.dead[w] = TRUE;
    mpi.broken = TRUE;
    if (!f->failed_rank)
        f->failed_rank = w;
    fprintf(stderr, "sipreuse: MPI rank %d %s: the campaign stops; the "
                    "finished runs are kept (run the same command with "
                    "--resume to complete it)\n", w, why);
    GArray *held = f->held[w];
    for (guint i = 0; i < held->len; i++) {
        SimBatchJob *job = g_ptr_array_index(f->jobs,
                                             g_array_index(held, guint, i));
        g_clear_error(&job->error);
        job->error = g_error_new(SIM_MPI_ERROR, 0,
                                 "lost with MPI rank %d, which %s", w, why);
    }
    f->outstanding -= held->len;
    g_array_set_size(held, 0);
}

/* Hands the next job to rank @w.  Returns FALSE if there is none. */
static gboolean
farm_give(Farm *f, int w)
{
    if (f->failed_rank || mpi.dead[w] || f->next >= f->order->len)
        return FALSE;
    guint idx = g_array_index(f->order, guint, f->next++);
    g_autoptr(GBytes) msg = sim_ship_job_encode(
        idx, g_ptr_array_index(f->jobs, idx), f->opt);
    g_array_append_val(f->held[w], idx);
    f->outstanding++;
    if (!mpi_send_bytes(w, TAG_JOB, msg)) {
        g_autofree char *why = g_strdup_printf(
            "took no job for %.0f s (SIPREUSE_MPI_TIMEOUT) or failed (MPI "
            "error)", mpi.timeout);
        farm_rank_failed(f, w, why);
        return FALSE;
    }
    return TRUE;
}

/* Takes rank @w's result @msg. */
static void
farm_result(Farm *f, int w, GBytes *msg)
{
    g_autoptr(GError) error = NULL;
    guint idx = 0;
    GArray *held = f->held[w];
    guint k = 0;
    if (sim_ship_result_index(msg, &idx, &error))
        while (k < held->len && g_array_index(held, guint, k) != idx)
            k++;
    if (error || k == held->len) {
        farm_rank_failed(f, w, "sent a result that is not one of its runs");
        return;
    }
    SimBatchJob *job = g_ptr_array_index(f->jobs, idx);
    if (!sim_ship_result_apply(msg, job, &error)) {
        job->error = g_error_new(SIM_MPI_ERROR, 0, "from MPI rank %d: %s",
                                 w, error->message);
    }
    g_array_remove_index_fast(held, k);
    f->outstanding--;
    f->done++;
    farm_give(f, w);
}

static void
farm_message(Farm *f, int w, int tag, GBytes *msg)
{
    if (w <= 0 || w >= mpi.size || mpi.dead[w])
        return;
    f->seen[w] = g_get_monotonic_time();
    switch (tag) {
    case TAG_REQUEST:
        f->asked[w] = TRUE;
        for (guint32 n = mpi_u32(msg, 0); n > 0 && farm_give(f, w); n--)
            ;
        break;
    case TAG_RESULT:
        farm_result(f, w, msg);
        break;
    case TAG_BEAT:
    default:
        break;
    }
}

/* Gives up the ranks with runs in hand that have been silent too long. */
static void
farm_check_silence(Farm *f)
{
    gint64 now = g_get_monotonic_time();
    for (int w = 1; w < mpi.size; w++) {
        if (mpi.dead[w] || (f->held[w]->len == 0 && f->asked[w]))
            continue;
        if ((double)(now - f->seen[w]) / G_USEC_PER_SEC > mpi.timeout) {
            g_autofree char *why = g_strdup_printf(
                "sent nothing for %.0f s (SIPREUSE_MPI_TIMEOUT)",
                mpi.timeout);
            farm_rank_failed(f, w, why);
        }
    }
}

/* TRUE while the batch waits for something: runs in hand, ranks that have
 * not asked for work yet, or jobs to hand out to a rank still alive. */
static gboolean
farm_busy(const Farm *f)
{
    if (f->outstanding > 0)
        return TRUE;
    gboolean alive = FALSE;
    for (int w = 1; w < mpi.size; w++) {
        if (mpi.dead[w])
            continue;
        alive = TRUE;
        if (!f->asked[w])
            return TRUE;
    }
    return alive && !f->failed_rank && f->next < f->order->len;
}

static void
farm_progress(const Farm *f, gint64 *last)
{
    gint64 now = g_get_monotonic_time();
    if (!f->opt->progress || !isatty(STDERR_FILENO) ||
        now - *last < G_USEC_PER_SEC)
        return;
    *last = now;
    fprintf(stderr, "\r%u/%u runs over %d MPI ranks   ", f->done,
            f->order->len, mpi.size - 1);
    fflush(stderr);
}

/* Gives up rank @w while a receive from it is pending: its buffer stays
 * alive (the request may still complete). */
static void
farm_drop_receive(Farm *f, int w, const char *why)
{
    mpi_orphan(f->rbuf[w]);
    g_clear_pointer(&f->rbuf[w], g_bytes_unref);
    farm_rank_failed(f, w, why);
}

/* Moves rank @w's messages on: starts receiving the next one, or takes
 * the one being received if it has arrived.  Never waits.  Returns TRUE
 * if a message was taken. */
static gboolean
farm_poll_rank(Farm *f, int w)
{
    if (!f->rbuf[w]) {
        int flag = 0, count = 0;
        MPI_Status st;
        if (MPI_Iprobe(w, MPI_ANY_TAG, mpi.comm, &flag, &st) != MPI_SUCCESS) {
            farm_rank_failed(f, w, "failed (MPI error while polling)");
            return FALSE;
        }
        if (!flag)
            return FALSE;
        if (MPI_Get_count(&st, MPI_BYTE, &count) != MPI_SUCCESS ||
            count < 0) {
            farm_rank_failed(f, w, "failed (MPI error while polling)");
            return FALSE;
        }
        GBytes *b = g_bytes_new_take(g_malloc(count ? (gsize)count : 1),
                                     (gsize)count);
        if (MPI_Irecv((void *)g_bytes_get_data(b, NULL), count, MPI_BYTE, w,
                      st.MPI_TAG, mpi.comm, &f->rreq[w]) != MPI_SUCCESS) {
            g_bytes_unref(b);
            farm_rank_failed(f, w, "failed (MPI error while receiving)");
            return FALSE;
        }
        f->rbuf[w] = b;
        f->rtag[w] = st.MPI_TAG;
        f->runtil[w] = g_get_monotonic_time() +
                       (gint64)(mpi.timeout * G_USEC_PER_SEC);
    }
    int done = 0;
    if (MPI_Test(&f->rreq[w], &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) {
        farm_drop_receive(f, w, "failed (MPI error while receiving)");
        return FALSE;
    }
    if (!done) {
        if (g_get_monotonic_time() > f->runtil[w]) {
            g_autofree char *why = g_strdup_printf(
                "began a message and sent no more of it for %.0f s "
                "(SIPREUSE_MPI_TIMEOUT) or failed (MPI error)", mpi.timeout);
            farm_drop_receive(f, w, why);
        }
        return FALSE;
    }
    GBytes *msg = g_steal_pointer(&f->rbuf[w]);
    farm_message(f, w, f->rtag[w], msg);
    g_bytes_unref(msg);
    return TRUE;
}

static void
farm_loop(Farm *f)
{
    guint us = 200;
    gint64 shown = 0;
    while (farm_busy(f)) {
        gboolean got = FALSE;
        for (int w = 1; w < mpi.size; w++)
            if (!mpi.dead[w] && farm_poll_rank(f, w))
                got = TRUE;
        if (!got)
            farm_check_silence(f);
        farm_progress(f, &shown);
        mpi_backoff(&us, got);
    }
    if (shown)
        fprintf(stderr, "\r%u/%u runs over %d MPI ranks\n", f->done,
                f->order->len, mpi.size - 1);
}

/**
 * sim_mpi_batch_run:
 * @jobs: (element-type SimBatchJob): the jobs; their outputs are filled in
 * @opt: how to run them (files_verify_time pinned)
 *
 * Rank 0's executor of sim_batch_run() when there are other ranks: see the
 * file's comment.  Jobs never handed out because a rank was given up are
 * failures that name it.
 *
 * Returns: the number of jobs that failed (their error is set).
 */
guint
sim_mpi_batch_run(GPtrArray *jobs, const SimBatchOptions *opt)
{
    Farm f = { .jobs = jobs, .opt = opt };
    f.order = farm_order(jobs, opt);
    f.held = g_new0(GArray *, mpi.size);
    f.seen = g_new0(gint64, mpi.size);
    f.asked = g_new0(gboolean, mpi.size);
    f.rbuf = g_new0(GBytes *, mpi.size);
    f.rreq = g_new0(MPI_Request, mpi.size);
    f.rtag = g_new0(int, mpi.size);
    f.runtil = g_new0(gint64, mpi.size);
    guint32 start[2] = {
        GUINT32_TO_LE((guint32)MAX(opt->jobs, 0)),
        GUINT32_TO_LE((guint32)MIN(MPI_BEAT_S * 1000.0, mpi.timeout * 250)),
    };
    for (int w = 1; w < mpi.size; w++) {
        f.held[w] = g_array_new(FALSE, FALSE, sizeof(guint));
        f.seen[w] = g_get_monotonic_time();
        if (!mpi.dead[w] && !mpi_send(w, TAG_START, start, sizeof start))
            farm_rank_failed(&f, w, "could not be started (MPI error)");
    }
    farm_loop(&f);
    /* A message of a live rank still arriving (a heartbeat, say) is taken
     * and dropped: the batch is over. */
    for (int w = 1; w < mpi.size; w++) {
        if (!f.rbuf[w])
            continue;
        if (mpi.dead[w]) {
            mpi_orphan(f.rbuf[w]);
            g_clear_pointer(&f.rbuf[w], g_bytes_unref);
            continue;
        }
        if (!mpi_wait(&f.rreq[w], f.rbuf[w])) {
            g_clear_pointer(&f.rbuf[w], g_bytes_unref);
            farm_rank_failed(&f, w, "failed (MPI error while receiving)");
        }
        g_clear_pointer(&f.rbuf[w], g_bytes_unref);
    }
    for (int w = 1; w < mpi.size; w++)
        if (!mpi.dead[w] && !mpi_send(w, TAG_END, NULL, 0))
            farm_rank_failed(&f, w, "could not be told the batch is over");
    guint failed = 0;
    for (guint i = 0; i < jobs->len; i++) {
        SimBatchJob *job = g_ptr_array_index(jobs, i);
        if (!job->row && !job->error && f.failed_rank)
            job->error = g_error_new(
                SIM_MPI_ERROR, 0, "not run: the campaign stopped when MPI "
                "rank %d was given up", f.failed_rank);
        failed += job->row == NULL;
    }
    for (int w = 1; w < mpi.size; w++)
        g_array_unref(f.held[w]);
    g_free(f.held);
    g_free(f.seen);
    g_free(f.asked);
    g_free(f.rbuf);
    g_free(f.rreq);
    g_free(f.rtag);
    g_free(f.runtil);
    g_array_unref(f.order);
    return failed;
}

/**
 * sim_mpi_finish:
 * @status: the exit status of the verb
 *
 * Rank 0 at exit: stops the other ranks and finalises MPI, or, when a rank
 * was given up, flushes the output and ends the whole job with MPI_Abort
 * (a finalise could wait forever for the lost rank).
 *
 * Returns: @status.
 */
int
sim_mpi_finish(int status)
{
    if (!mpi.on)
        return status;
    fflush(stdout);
    fflush(stderr);
    if (mpi.broken)
        MPI_Abort(MPI_COMM_WORLD, status ? status : SIM_EXIT_FAILURE);
    for (int w = 1; w < mpi.size; w++)
        if (!mpi.dead[w])
            mpi_send(w, TAG_STOP, NULL, 0);
    /* MPI_Finalize waits for every rank: one that stopped answering after
     * the last batch would hold the finished job forever.  Each rank
     * answers TAG_STOP with TAG_BYE; one that has not within the timeout
     * is named and the job ends with MPI_Abort (the results are written). */
    gint64 until = g_get_monotonic_time() +
                   (gint64)(mpi.timeout * G_USEC_PER_SEC);
    guint us = 200;
    for (int w = 1; w < mpi.size; w++) {
        while (!mpi.dead[w]) {
            MPI_Status st;
            GBytes *msg = NULL;
            int got = mpi_poll(w, &st, &msg);
            if (msg)
                g_bytes_unref(msg);
            if (got == 1 && st.MPI_TAG == TAG_BYE)
                break;
            if (got < 0 || g_get_monotonic_time() > until) {
                fprintf(stderr, "sipreuse: MPI rank %d did not answer the "
                                "end of the job within %.0f s "
                                "(SIPREUSE_MPI_TIMEOUT): ending it with "
                                "MPI_Abort; the results are complete\n",
                        w, mpi.timeout);
                fflush(stderr);
                MPI_Abort(MPI_COMM_WORLD, status);
            }
            mpi_backoff(&us, got == 1);
        }
    }
    MPI_Comm_free(&mpi.comm);
    MPI_Finalize();
    g_free(mpi.dead);
    return status;
}

/* ---- the other ranks: workers ------------------------------------------- */

/* What a rank's run threads share with its main thread. */
typedef struct {
    /* Jobs received (SimShipJob *) and results to send (GBytes *). */
    GAsyncQueue *in;
    GAsyncQueue *out;
    /* This rank's scratch folder. */
    char *scratch;
} Crew;

/* The end-of-work mark pushed into Crew.in, once per thread. */
static int crew_quit;

/* The topology a thread loaded last, reused while jobs share it. */
typedef struct {
    SimTopo *topo;
    char *key;
} TopoCache;

static char *
crew_topo_key(const SimShipJob *j)
{
    g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(ck, (const guchar *)j->topo_path, -1);
    g_checksum_update(ck, (const guchar *)"\n", 1);
    g_checksum_update(ck, (const guchar *)j->topo_text, j->topo_len);
    for (guint i = 0; j->overrides && j->overrides[i]; i++) {
        g_checksum_update(ck, (const guchar *)"\n", 1);
        g_checksum_update(ck, (const guchar *)j->overrides[i], -1);
    }
    char flags[16];
    g_snprintf(flags, sizeof flags, "\n%u", j->topo_flags);
    g_checksum_update(ck, (const guchar *)flags, -1);
    return g_strdup(g_checksum_get_string(ck));
}

static const SimTopo *
crew_topo(TopoCache *c, const SimShipJob *j, GError **error)
{
    g_autofree char *key = crew_topo_key(j);
    if (c->topo && g_str_equal(key, c->key))
        return c->topo;
    g_clear_pointer(&c->topo, sim_topo_free);
    g_clear_pointer(&c->key, g_free);
    c->topo = sim_topo_load_data_full(j->topo_path, j->topo_text,
                                      j->topo_len,
                                      (const char *const *)j->overrides,
                                      j->topo_flags, error);
    if (c->topo)
        c->key = g_steal_pointer(&key);
    return c->topo;
}

/* Runs one received job in the scratch folder and returns its result. */
static GBytes *
crew_run(Crew *crew, TopoCache *cache, const SimShipJob *j)
{
    g_autofree char *leaf = g_strdup_printf("run%u", j->index);
    g_autofree char *dir = g_build_filename(crew->scratch, leaf, NULL);
    GError *error = NULL;
    const SimTopo *topo = crew_topo(cache, j, &error);
    g_autoptr(SimBatchJob) job = sim_batch_job_new(
        topo, j->strategy, j->seed, (const char *const *)j->overrides, dir);
    job->fingerprint = g_strdup(j->fingerprint);
    if (topo && sim_ship_job_check(j, topo, &error)) {
        SimBatchOptions opt = { .jobs = 1,
                                .out.no_timing = j->no_timing,
                                .files_verify_time = j->files_verify_time };
        sim_batch_job_run(job, &opt);
    } else {
        g_prefix_error(&error, "on MPI rank %d: ", mpi.rank);
        job->error = error;
    }
    GBytes *res = sim_ship_result_encode(j->index, job);
    sim_ship_dir_remove(dir);
    return res;
}

static gpointer
crew_thread(gpointer data)
{
    Crew *crew = data;
    TopoCache cache = { 0 };
    for (;;) {
        gpointer item = g_async_queue_pop(crew->in);
        if (item == &crew_quit)
            break;
        SimShipJob *j = item;
        g_async_queue_push(crew->out, crew_run(crew, &cache, j));
        sim_ship_job_free(j);
    }
    sim_topo_free(cache.topo);
    g_free(cache.key);
    return NULL;
}

/* Takes one message from rank 0 during a batch.  Returns FALSE on an MPI
 * error; sets *end at the batch's end and *stop when told to exit. */
static gboolean
crew_message(Crew *crew, const MPI_Status *st, GBytes *msg, guint *in_hand,
             gboolean *end, gboolean *stop)
{
    g_autoptr(GError) error = NULL;
    SimShipJob *j;
    switch (st->MPI_TAG) {
    case TAG_JOB:
        if (!(j = sim_ship_job_decode(msg, &error))) {
            fprintf(stderr, "sipreuse: MPI rank %d: %s\n", mpi.rank,
                    error->message);
            return FALSE;
        }
        (*in_hand)++;
        g_async_queue_push(crew->in, j);
        return TRUE;
    case TAG_STOP:
        *stop = TRUE;
        /* fall through */
    case TAG_END:
        *end = TRUE;
        return TRUE;
    default:
        return TRUE;
    }
}

/* Serves one batch: runs jobs on @threads threads until rank 0 ends it.
 * Returns FALSE on an MPI error; sets *stop when told to exit. */
static gboolean
crew_serve(Crew *crew, guint threads, guint beat_ms, gboolean *stop)
{
    guint in_hand = 0, us = 200;
    /* One job more than threads: the next one waits here while the
     * others run, so a thread never idles for a round trip to rank 0. */
    gboolean end = FALSE, ok = mpi_send_u32(0, TAG_REQUEST, threads + 1);
    gint64 beat = g_get_monotonic_time();
    while (ok && (!end || in_hand > 0)) {
        MPI_Status st;
        GBytes *msg = NULL;
        int got = end ? 0 : mpi_poll(0, &st, &msg);
        if (got > 0) {
            ok = crew_message(crew, &st, msg, &in_hand, &end, stop);
            g_bytes_unref(msg);
            us = 200;
        }
        ok = ok && got >= 0;
        /* Waiting for a finished run is the pause between two polls. */
        GBytes *res = got > 0 ? g_async_queue_try_pop(crew->out)
                              : g_async_queue_timeout_pop(crew->out, us);
        if (res) {
            ok = ok && mpi_send_bytes(0, TAG_RESULT, res);
            g_bytes_unref(res);
            in_hand--;
            beat = g_get_monotonic_time();
            us = 200;
        } else if (in_hand > 0 &&
                   g_get_monotonic_time() - beat > (gint64)beat_ms * 1000) {
            ok = ok && mpi_send(0, TAG_BEAT, NULL, 0);
            beat = g_get_monotonic_time();
        } else if (!got) {
            us = MIN(us * 2, MPI_POLL_MAX_US);
        }
    }
    return ok;
}

/* One batch on this rank: threads started, served, joined. */
static gboolean
crew_batch(guint32 threads, guint32 beat_ms, gboolean *stop)
{
    guint n = threads ? threads : g_get_num_processors();
    g_autofree char *tmpl = g_strdup_printf("sipreuse-rank%d-XXXXXX",
                                            mpi.rank);
    g_autoptr(GError) error = NULL;
    Crew crew = { g_async_queue_new(), g_async_queue_new(),
                  g_dir_make_tmp(tmpl, &error) };
    if (!crew.scratch) {
        fprintf(stderr, "sipreuse: MPI rank %d: %s\n", mpi.rank,
                error->message);
        return FALSE;
    }
    g_autofree GThread **t = g_new(GThread *, n);
    for (guint i = 0; i < n; i++)
        t[i] = g_thread_new("sipreuse-rank", crew_thread, &crew);
    gboolean ok = crew_serve(&crew, n, MAX(beat_ms, 100), stop);
    for (guint i = 0; i < n; i++)
        g_async_queue_push(crew.in, &crew_quit);
    for (guint i = 0; i < n; i++)
        g_thread_join(t[i]);
    g_async_queue_unref(crew.in);
    g_async_queue_unref(crew.out);
    sim_ship_dir_remove(crew.scratch);
    g_free(crew.scratch);
    return ok;
}

/**
 * sim_mpi_worker_main:
 *
 * The life of a rank other than 0: serves every batch rank 0 starts until
 * it is told to stop, then finalises MPI.
 *
 * Returns: the process's exit status (1 after an MPI error).
 */
int
sim_mpi_worker_main(void)
{
    gboolean stop = FALSE, ok = TRUE;
    guint us = 200;
    while (ok && !stop) {
        MPI_Status st;
        GBytes *msg = NULL;
        int got = mpi_poll(0, &st, &msg);
        if (got < 0) {
            ok = FALSE;
            break;
        }
        if (got && st.MPI_TAG == TAG_START)
            ok = crew_batch(mpi_u32(msg, 0), mpi_u32(msg, 1), &stop);
        else if (got && st.MPI_TAG == TAG_STOP)
            stop = TRUE;
        if (msg)
            g_bytes_unref(msg);
        mpi_backoff(&us, got > 0);
    }
    if (!ok) {
        fprintf(stderr, "sipreuse: MPI rank %d: lost contact with rank 0\n",
                mpi.rank);
        MPI_Abort(MPI_COMM_WORLD, SIM_EXIT_FAILURE);
    }
    /* For the tests: this rank stops (SIGSTOP) instead of answering the
     * end of the job, as a hung node would. */
    const char *hang = g_getenv("SIPREUSE_MPI_TEST_HANG_AT_END");
    if (hang && atoi(hang) == mpi.rank)
        raise(SIGSTOP);
    if (!mpi_send(0, TAG_BYE, NULL, 0)) {
        fprintf(stderr, "sipreuse: MPI rank %d: lost contact with rank 0\n",
                mpi.rank);
        MPI_Abort(MPI_COMM_WORLD, SIM_EXIT_FAILURE);
    }
    MPI_Comm_free(&mpi.comm);
    MPI_Finalize();
    g_free(mpi.dead);
    return SIM_EXIT_OK;
}

/**
 * sim_mpi_executor:
 *
 * Returns: (nullable): the executor for SimBatchOptions.exec: the other
 *   ranks' when there are some, NULL (this process's threads) otherwise.
 */
SimBatchExecFunc
sim_mpi_executor(void)
{
    return sim_mpi_ranks() > 1 ? sim_mpi_batch_run : NULL;
}
