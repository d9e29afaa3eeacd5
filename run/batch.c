/* SPDX-License-Identifier: MIT */
/*
 * The batch runner of `compare` and `sweep`: a fixed set of joined worker
 * threads taking jobs in order from a shared index.  Jobs share only the
 * read-only SimTopo; each worker builds its own world (sim_world_run gives
 * every run its own SimCtx), writes its own folder and fills its own job
 * record, so the order threads finish in never reaches the results.  The
 * only shared mutable state is the job index and the completion count,
 * under a mutex; the calling thread reads the count for the progress bar
 * (wall clock: it is CLI plumbing, not model code).
 */
#define G_LOG_DOMAIN "sim-batch"

#include "run/batch.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <unistd.h>

#include "run/status.h"
#include "run/world.h"

/* What the workers share with the calling thread. */
typedef struct {
    const SimBatchOptions *opt;
    GPtrArray *jobs;
    GMutex lock;
    GCond cond;
    /* Next job to hand out and jobs finished, under lock. */
    guint next;
    guint done;
    /* The job that finished last (progress: the current point). */
    guint last;
} BatchState;

/**
 * sim_batch_job_new:
 * @topo: (transfer none): the loaded topology; must outlive the job
 * @strategy: strategy name
 * @seed: seed
 * @overrides: (nullable): the overrides @topo was loaded with
 * @dir: the run's results folder
 *
 * Returns: (transfer full): a job; free with sim_batch_job_free().
 */
SimBatchJob *
sim_batch_job_new(const SimTopo *topo, const char *strategy, guint64 seed,
                  const char *const *overrides, const char *dir)
{
    SimBatchJob *job = g_new0(SimBatchJob, 1);
    job->topo = topo;
    job->strategy = g_strdup(strategy);
    job->seed = seed;
    job->overrides = g_strdupv((char **)overrides);
    job->dir = g_strdup(dir);
    return job;
}

/**
 * sim_batch_job_free:
 * @job: (nullable): a job
 */
void
sim_batch_job_free(SimBatchJob *job)
{
    if (!job)
        return;
    g_free(job->strategy);
    g_strfreev(job->overrides);
    g_free(job->dir);
    g_free(job->fingerprint);
    g_strfreev(job->labels);
    g_strfreev(job->row);
    g_clear_error(&job->error);
    g_free(job->stale_revision);
    g_free(job->damaged);
    g_free(job);
}

/**
 * sim_batch_cache_dir:
 *
 * Returns: (transfer full): the folder for the generated-PKI cache:
 *   $SIPREUSE_CACHE, or the user cache folder's "sipreuse".
 */
char *
sim_batch_cache_dir(void)
{
    const char *env = g_getenv("SIPREUSE_CACHE");
    if (env && *env)
        return g_strdup(env);
    return g_build_filename(g_get_user_cache_dir(), "sipreuse", NULL);
}

/**
 * sim_batch_no_timing_env:
 *
 * Returns: TRUE if $SIPREUSE_NO_TIMING is set to a non-empty value other
 *   than "0": the sim.* wall-clock columns are then written as 0.
 */
gboolean
sim_batch_no_timing_env(void)
{
    const char *env = g_getenv("SIPREUSE_NO_TIMING");
    return env && *env && !g_str_equal(env, "0");
}

/**
 * sim_batch_job_resume:
 * @job: a job of a resumed batch
 *
 * A complete folder of another fingerprint (or of none, while the job has
 * one) is stale, one whose files do not agree with its marker is damaged
 * (both recorded in @job).  Leftovers of an interrupted write are removed
 * either way.
 *
 * Returns: TRUE if @job's folder holds a complete, intact run of the same
 *   fingerprint, whose row is then taken.
 */
gboolean
sim_batch_job_resume(SimBatchJob *job)
{
    g_autoptr(GError) why = NULL;
    g_autofree char *revision = NULL;
    sim_out_clean_temps(job->dir);
    switch (sim_out_run_check(job->dir, job->fingerprint, &job->row,
                              &revision, &why)) {
    case SIM_OUT_RUN_OK:
        return TRUE;
    case SIM_OUT_RUN_STALE:
        job->stale = TRUE;
        if (revision && !g_str_equal(revision, sim_out_revision()))
            job->stale_revision = g_steal_pointer(&revision);
        return FALSE;
    case SIM_OUT_RUN_DAMAGED:
        job->damaged = g_strdup(why ? why->message : "damaged");
        return FALSE;
    case SIM_OUT_RUN_ABSENT:
    default:
        return FALSE;
    }
}

/**
 * sim_batch_job_run:
 * @job: a job
 * @opt: the batch's options (files_verify_time pinned)
 *
 * Runs @job and writes its folder (job->dir), setting job->row, or
 * job->error on failure.  Every executor runs a job through here: the
 * local threads and the ranks of an MPI batch (run/mpi.c).
 */
void
sim_batch_job_run(SimBatchJob *job, const SimBatchOptions *opt)
{
    g_autofree char *cache = sim_batch_cache_dir();
    SimRunOptions ro = {
        .strategy = job->strategy,
        .seed = job->seed,
        .seed_set = TRUE,
        .overrides = (const char *const *)job->overrides,
        .cache_dir = cache,
        .files_verify_time = opt->files_verify_time,
    };
    g_autoptr(SimRunResult) r = sim_world_run(job->topo, &ro, &job->error);
    if (!r)
        return;
    SimOutOptions out = opt->out;
    out.fingerprint = job->fingerprint;
    if (!sim_out_write_run(r, job->dir, &out, &job->error))
        return;
    g_autofree char *row = sim_out_runs_row(r, &opt->out);
    job->row = g_strsplit(g_strchomp(row), "\t", -1);
}

static void
batch_do(SimBatchJob *job, const SimBatchOptions *opt)
{
    if (opt->resume && sim_batch_job_resume(job)) {
        job->resumed = TRUE;
        return;
    }
    sim_batch_job_run(job, opt);
}

/* A worker thread: takes the next job until none is left. */
static gpointer
batch_worker(gpointer data)
{
    BatchState *st = data;
    for (;;) {
        g_mutex_lock(&st->lock);
        guint i = st->next++;
        g_mutex_unlock(&st->lock);
        if (i >= st->jobs->len)
            return NULL;
        batch_do(g_ptr_array_index(st->jobs, i), st->opt);
        g_mutex_lock(&st->lock);
        st->done++;
        st->last = i;
        g_cond_signal(&st->cond);
        g_mutex_unlock(&st->lock);
    }
}

/* The last two parts of a job's folder ("POINT/STRATEGY-seedN" of a
 * sweep, "compare/STRATEGY-seedN"), for the progress line. */
static char *
batch_job_name(const SimBatchJob *job)
{
    g_autofree char *leaf = g_path_get_basename(job->dir);
    g_autofree char *up = g_path_get_dirname(job->dir);
    g_autofree char *point = g_path_get_basename(up);
    return g_strdup_printf("%s/%s", point, leaf);
}

/* One progress report: a bar redrawn in place on a terminal, else a line
 * per report (--progress into a file or pipe).  Wall-clock ETA: CLI
 * plumbing, never written into results. */
static void
batch_progress(guint done, guint total, gint64 start, const char *current,
               gboolean tty)
{
    const int width = 30;
    int fill = total ? (int)((guint64)done * width / total) : width;
    double elapsed = (double)(g_get_monotonic_time() - start) / 1e6;
    if (tty)
        fprintf(stderr, "\r[%.*s%*s] ", fill,
                "##############################", width - fill, "");
    else
        fprintf(stderr, "progress: ");
    fprintf(stderr, "%u/%u runs", done, total);
    if (done && done < total) {
        double eta = elapsed * (total - done) / done;
        fprintf(stderr, ", ETA %dm%02ds", (int)eta / 60, (int)eta % 60);
    } else {
        fprintf(stderr, ", %.0fs", elapsed);
    }
    if (current && done < total)
        fprintf(stderr, ", last %s", current);
    fprintf(stderr, tty ? "\033[K" : "\n");
    fflush(stderr);
}

/* Waits for every job, reporting progress if asked: on a terminal redrawn
 * four times a second, else a line whenever runs finished, at most one
 * a second. */
static void
batch_wait(BatchState *st, gboolean bar)
{
    gint64 start = g_get_monotonic_time(), printed = 0;
    gboolean tty = isatty(STDERR_FILENO);
    guint shown = G_MAXUINT;
    g_mutex_lock(&st->lock);
    while (st->done < st->jobs->len) {
        guint done = st->done;
        gint64 now = g_get_monotonic_time();
        if (bar && (tty || (done != shown &&
                            now - printed >= G_TIME_SPAN_SECOND))) {
            g_autofree char *current =
                done ? batch_job_name(g_ptr_array_index(st->jobs, st->last))
                     : NULL;
            g_mutex_unlock(&st->lock);
            batch_progress(done, st->jobs->len, start, current, tty);
            shown = done;
            printed = now;
            g_mutex_lock(&st->lock);
        }
        g_cond_wait_until(&st->cond, &st->lock,
                          g_get_monotonic_time() + G_TIME_SPAN_SECOND / 4);
    }
    g_mutex_unlock(&st->lock);
    if (bar) {
        batch_progress(st->jobs->len, st->jobs->len, start, NULL, tty);
        if (tty)
            fputc('\n', stderr);
    }
}

/**
 * sim_batch_run:
 * @jobs: (element-type SimBatchJob): the jobs; their outputs are filled in
 * @options: how to run them
 *
 * Runs every job on options->jobs worker threads and waits for all of them.
 * The workers are joined before this returns (not pooled), so per-thread
 * library state (OpenSSL's) is released with them.
 *
 * Returns: the number of jobs that failed (their error is set).
 */
guint
sim_batch_run(GPtrArray *jobs, const SimBatchOptions *options)
{
    SimBatchOptions pinned = *options;
    const SimBatchOptions *opt = &pinned;
    if (!pinned.files_verify_time)
        pinned.files_verify_time = g_get_real_time() / G_USEC_PER_SEC;
    if (opt->exec)
        return opt->exec(jobs, opt);
    BatchState st = { .opt = opt, .jobs = jobs };
    g_mutex_init(&st.lock);
    g_cond_init(&st.cond);
    gint n = opt->jobs > 0 ? opt->jobs : (gint)g_get_num_processors();
    n = MAX(1, MIN(n, (gint)MAX(jobs->len, 1)));
    g_autofree GThread **threads = g_new(GThread *, n);
    for (gint i = 0; i < n; i++)
        threads[i] = g_thread_new("sipreuse-run", batch_worker, &st);
    batch_wait(&st, opt->progress);
    for (gint i = 0; i < n; i++)
        g_thread_join(threads[i]);
    g_mutex_clear(&st.lock);
    g_cond_clear(&st.cond);

    guint failed = 0;
    for (guint i = 0; i < jobs->len; i++)
        failed += ((SimBatchJob *)g_ptr_array_index(jobs, i))->row == NULL;
    return failed;
}

/**
 * sim_batch_exit_status:
 * @error: (nullable): why a run failed
 *
 * Returns: %SIM_EXIT_USAGE (2) for bad input (topology, strategy, a
 *   strategy that cannot run there, credentials), 1 for anything else.
 */
int
sim_batch_exit_status(const GError *error)
{
    if (!error)
        return 0;
    if (error->domain == SIM_TOPO_ERROR)
        return SIM_EXIT_USAGE;
    if (error->domain == SIM_WORLD_ERROR &&
        (error->code == SIM_WORLD_ERROR_STRATEGY ||
         error->code == SIM_WORLD_ERROR_NOT_APPLICABLE ||
         error->code == SIM_WORLD_ERROR_PKI))
        return SIM_EXIT_USAGE;
    return SIM_EXIT_FAILURE;
}

/* A label field: no tabs or newlines. */
static void
batch_put_label(GString *s, const char *label)
{
    for (const char *p = label ? label : ""; *p; p++)
        g_string_append_c(s, (*p == '\t' || *p == '\n') ? ' ' : *p);
    g_string_append_c(s, '\t');
}

/**
 * sim_batch_runs_tsv:
 * @jobs: (element-type SimBatchJob): finished jobs
 * @label_names: (nullable): names of leading columns (a sweep's varied
 *   keys), whose values are each job's labels; NULL-terminated
 *
 * Returns: (transfer full): runs.tsv of every successful job, in job order:
 *   the label columns, then the contract columns in contract order.
 */
char *
sim_batch_runs_tsv(GPtrArray *jobs, const char *const *label_names)
{
    GString *s = g_string_new(NULL);
    g_autofree char *header = sim_out_runs_header();
    guint nl = label_names ? g_strv_length((char **)label_names) : 0;
    for (guint k = 0; k < nl; k++)
        batch_put_label(s, label_names[k]);
    g_string_append(s, header);
    for (guint i = 0; i < jobs->len; i++) {
        SimBatchJob *job = g_ptr_array_index(jobs, i);
        if (!job->row)
            continue;
        guint have = job->labels ? g_strv_length(job->labels) : 0;
        for (guint k = 0; k < nl; k++)
            batch_put_label(s, k < have ? job->labels[k] : "");
        g_autofree char *line = g_strjoinv("\t", job->row);
        g_string_append_printf(s, "%s\n", line);
    }
    return g_string_free(s, FALSE);
}

/**
 * sim_batch_report_resume:
 * @jobs: (element-type SimBatchJob): finished jobs of a resumed batch
 * @who: the message prefix ("sipreuse sweep")
 *
 * Prints to stderr what resuming found besides reusable runs: runs made
 * by another build of the program (a mixed-revision folder: they were run
 * again), and folders marked complete whose files did not agree with
 * their marker (run again, each named, the first ten).
 */
void
sim_batch_report_resume(GPtrArray *jobs, const char *who)
{
    g_autoptr(GHashTable) revs = g_hash_table_new(g_str_hash, g_str_equal);
    guint damaged = 0;
    for (guint i = 0; i < jobs->len; i++) {
        SimBatchJob *job = g_ptr_array_index(jobs, i);
        if (job->stale_revision) {
            guint n = GPOINTER_TO_UINT(
                g_hash_table_lookup(revs, job->stale_revision));
            g_hash_table_insert(revs, job->stale_revision,
                                GUINT_TO_POINTER(n + 1));
        }
        if (job->damaged && damaged++ < 10)
            fprintf(stderr, "%s: run again: %s\n", who, job->damaged);
    }
    if (damaged > 10)
        fprintf(stderr, "%s: ... and %u more damaged run folders, run "
                        "again\n", who, damaged - 10);
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, revs);
    while (g_hash_table_iter_next(&it, &key, &value))
        fprintf(stderr,
                "%s: mixed revisions: %u complete run%s made by revision %s, "
                "not by this program (revision %s): run again\n",
                who, GPOINTER_TO_UINT(value),
                GPOINTER_TO_UINT(value) == 1 ? " was" : "s were",
                (const char *)key, sim_out_revision());
}

/**
 * sim_batch_topo_needs_pki:
 * @topo: a loaded topology
 *
 * Returns: TRUE if its runs make or load certificates (TLS transports).
 */
gboolean
sim_batch_topo_needs_pki(const SimTopo *topo)
{
    SimTransportKind k = sim_protocol_kind(topo->transport.protocol);
    return k == SIM_TRANSPORT_TLS || k == SIM_TRANSPORT_TLS_SCTP;
}

/**
 * sim_batch_cache_ready:
 * @dir: the generated-PKI cache folder (sim_batch_cache_dir())
 * @error: return location for a GError
 *
 * Creates @dir if needed and writes and removes a file in it, so that an
 * unusable cache is found before any run (a run-time failure, exit 1,
 * not bad input).
 *
 * Returns: TRUE if the cache can be written.
 */
gboolean
sim_batch_cache_ready(const char *dir, GError **error)
{
    if (g_mkdir_with_parents(dir, 0700) != 0) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                    "the PKI cache %s cannot be created: %s (set "
                    "$SIPREUSE_CACHE to a writable folder)",
                    dir, g_strerror(e));
        return FALSE;
    }
    g_autofree char *probe = g_build_filename(dir, ".probe-XXXXXX", NULL);
    int fd = g_mkstemp_full(probe, O_WRONLY, 0600);
    if (fd < 0 || write(fd, "x", 1) != 1) {
        int e = errno ? errno : EIO;
        if (fd >= 0) {
            close(fd);
            g_unlink(probe);
        }
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                    "the PKI cache %s cannot be written: %s (set "
                    "$SIPREUSE_CACHE to a writable folder)",
                    dir, g_strerror(e));
        return FALSE;
    }
    close(fd);
    g_unlink(probe);
    return TRUE;
}
