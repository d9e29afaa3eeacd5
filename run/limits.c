/* SPDX-License-Identifier: MIT */
/*
 * Resource limits.  The estimate is deliberately simple (Little's law per
 * traffic flow: calls in progress = rate x how long a call lives) and
 * errs high by a factor of about two; it exists to refuse at once what
 * cannot fit (`--set traffic.a-to-b.rate=1e9`), not to predict.  What it
 * misses is caught by the watchdog, which reads the resident set size
 * from /proc/self/statm every 20 ms and ends the process with exit status
 * 1 when it passes the limit: the run folders being written then lack
 * their completion marker, so `--resume` runs them again, and the results
 * folder lock goes with the process.
 */
#define G_LOG_DOMAIN "sim-limits"

#include "run/limits.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "run/input.h"
#include "run/status.h"

/**
 * sim_limits_parse_size:
 * @text: a size: a number of bytes, or a number with K, M, G or T
 *   (powers of 1024; "KiB", "MB", "k" and the like are read the same)
 * @bytes: (out): its value
 *
 * Returns: FALSE if @text is not a size, is 0 or does not fit 64 bits.
 */
gboolean
sim_limits_parse_size(const char *text, guint64 *bytes)
{
    if (!text)
        return FALSE;
    char *end = NULL;
    while (g_ascii_isspace(*text))
        text++;
    if (!g_ascii_isdigit(*text) && *text != '.')
        return FALSE;
    double v = g_ascii_strtod(text, &end);
    if (end == text || !isfinite(v) || v <= 0)
        return FALSE;
    while (g_ascii_isspace(*end))
        end++;
    double mul = 1;
    switch (g_ascii_toupper(*end)) {
    case 'K': mul = 1024.0; end++; break;
    case 'M': mul = 1024.0 * 1024; end++; break;
    case 'G': mul = 1024.0 * 1024 * 1024; end++; break;
    case 'T': mul = 1024.0 * 1024 * 1024 * 1024; end++; break;
    default: break;
    }
    if (mul > 1 && (*end == 'i' || *end == 'I'))
        end++;
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end != '\0')
        return FALSE;
    double b = v * mul;
    if (b < 1 || b >= 18446744073709551615.0)
        return FALSE;
    *bytes = (guint64)b;
    return TRUE;
}

/* The cgroup (v2) memory limit of this process, or 0 if none. */
static guint64
limits_cgroup_max(void)
{
    g_autofree char *text = NULL;
    if (!sim_input_read_file("/sys/fs/cgroup/memory.max", 64, &text, NULL,
                             NULL))
        return 0;
    guint64 v = 0;
    g_strstrip(text);
    return g_ascii_string_to_unsigned(text, 10, 1, G_MAXUINT64, &v, NULL)
               ? v
               : 0;
}

/**
 * sim_limits_default_max_memory:
 *
 * Returns: the default of --max-memory: half the physical memory, or half
 *   the cgroup's memory limit if that is lower; 0 if neither is known.
 */
guint64
sim_limits_default_max_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES);
    long size = sysconf(_SC_PAGESIZE);
    guint64 phys = pages > 0 && size > 0 ? (guint64)pages * (guint64)size : 0;
    guint64 cg = limits_cgroup_max();
    if (cg && (!phys || cg < phys))
        phys = cg;
    return phys / 2;
}

/**
 * sim_limits_rss:
 *
 * Returns: this process's resident set size in bytes (0 if unknown).
 */
guint64
sim_limits_rss(void)
{
    char buf[128];
    FILE *f = fopen("/proc/self/statm", "re");
    if (!f)
        return 0;
    unsigned long long total = 0, resident = 0;
    gboolean ok = fgets(buf, sizeof buf, f) &&
                  sscanf(buf, "%llu %llu", &total, &resident) == 2;
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return ok && page > 0 ? (guint64)resident * (guint64)page : 0;
}

/**
 * sim_limits_estimate:
 * @topo: a loaded topology (overrides applied)
 * @est: (out): what one run of it is expected to need
 *
 * Per traffic flow, calls live for the holding time plus the answer delay
 * plus Timer B (64 x T1, the longest an unanswered INVITE is kept), so
 * rate x that many are in progress at once, at most the flow's count and
 * at most what its window (start to stop or the end of the run) lets
 * arrive.
 */
void
sim_limits_estimate(const SimTopo *topo, SimRunEstimate *est)
{
    memset(est, 0, sizeof *est);
    double duration = (double)topo->simulation.duration / 1e9;
    double timer_b = 64.0 * (double)topo->transport.t1 / 1e9;
    for (guint i = 0; i < topo->n_traffic; i++) {
        const SimTopoTraffic *t = &topo->traffic[i];
        double start = (double)t->start / 1e9;
        double stop = t->stop == SIM_TIME_NEVER
                          ? duration
                          : MIN(duration, (double)t->stop / 1e9);
        double window = MAX(0.0, stop - start);
        double life = ((double)t->hold + (double)t->answer_delay) / 1e9 +
                      timer_b;
        double calls = t->rate * window;
        double live = t->rate * MIN(window, life);
        if (t->count) {
            calls = MIN(calls, (double)t->count);
            live = MIN(live, (double)t->count);
        }
        est->calls += calls;
        est->calls_in_progress += live;
    }
    est->events = est->calls * SIM_LIMITS_CALL_EVENTS;
    est->bytes = SIM_LIMITS_RUN_BYTES +
                 est->calls_in_progress * SIM_LIMITS_CALL_BYTES;
}

/**
 * sim_limits_estimate_text:
 * @est: an estimate
 *
 * Returns: (transfer full): "about 6e+10 calls in progress at once (6e+10
 *   calls, 6e+12 events), 168 TiB of memory".
 */
char *
sim_limits_estimate_text(const SimRunEstimate *est)
{
    g_autofree char *mem = sim_input_size_text(
        est->bytes >= 1.8e19 ? G_MAXUINT64 : (guint64)est->bytes);
    char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE],
        c[G_ASCII_DTOSTR_BUF_SIZE];
    return g_strdup_printf(
        "about %s calls in progress at once (%s calls, %s simulator events "
        "in all), %s of memory",
        g_ascii_formatd(a, sizeof a, "%.3g", est->calls_in_progress),
        g_ascii_formatd(b, sizeof b, "%.3g", est->calls),
        g_ascii_formatd(c, sizeof c, "%.3g", est->events), mem);
}

/* ---- the watchdog ------------------------------------------------------- */

typedef struct {
    GMutex lock;
    GCond cond;
    gboolean stop;
    guint64 max;
    char *who;
    GThread *thread;
} Watch;

static Watch watch = { 0 };

static gpointer
watch_main(gpointer data)
{
    Watch *w = data;
    g_mutex_lock(&w->lock);
    while (!w->stop) {
        guint64 rss = sim_limits_rss();
        if (rss > w->max) {
            g_autofree char *used = sim_input_size_text(rss);
            g_autofree char *max = sim_input_size_text(w->max);
            fprintf(stderr,
                    "%s: stopped: the runs use %s of memory, more than "
                    "--max-memory %s allows (unfinished runs are not "
                    "marked complete; --resume runs them again)\n",
                    w->who, used, max);
            fflush(stderr);
            _exit(SIM_EXIT_FAILURE);
        }
        g_cond_wait_until(&w->cond, &w->lock,
                          g_get_monotonic_time() + 20 * G_TIME_SPAN_MILLISECOND);
    }
    g_mutex_unlock(&w->lock);
    return NULL;
}

/**
 * sim_limits_watch_start:
 * @max_bytes: the most resident memory the process may use (0: no watch)
 * @who: the message prefix ("sipreuse sweep")
 *
 * Starts the memory watchdog thread: while it runs, a resident set size
 * over @max_bytes prints a message naming the limit and ends the process
 * with exit status 1.  One watchdog per process.
 */
void
sim_limits_watch_start(guint64 max_bytes, const char *who)
{
    if (!max_bytes || watch.thread)
        return;
    g_mutex_init(&watch.lock);
    g_cond_init(&watch.cond);
    watch.stop = FALSE;
    watch.max = max_bytes;
    watch.who = g_strdup(who);
    watch.thread = g_thread_new("sipreuse-memory", watch_main, &watch);
}

/**
 * sim_limits_watch_stop:
 *
 * Stops the watchdog (if running) and waits for its thread.
 */
void
sim_limits_watch_stop(void)
{
    if (!watch.thread)
        return;
    g_mutex_lock(&watch.lock);
    watch.stop = TRUE;
    g_cond_signal(&watch.cond);
    g_mutex_unlock(&watch.lock);
    g_thread_join(watch.thread);
    watch.thread = NULL;
    g_free(watch.who);
    watch.who = NULL;
    g_mutex_clear(&watch.lock);
    g_cond_clear(&watch.cond);
}
