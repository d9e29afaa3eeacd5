/* SPDX-License-Identifier: MIT */
/*
 * The statistics collector of one run: counters, time-weighted gauges and
 * log-linear (HDR-style) latency histograms that keep no samples.  A
 * histogram bucket is at most 2^-SIM_HISTOGRAM_SUB_BITS of its lower bound
 * wide, so a quantile (reported as its bucket's midpoint, clamped to the
 * exact minimum and maximum) is within half that relative error of the
 * exact sample quantile; count, mean (running sum) and max are exact.
 * Gauge integrals are exact 128-bit sums of level x nanoseconds.  Names are
 * held in hash tables for idempotent registration only; every walk that can
 * reach results goes through registration-ordered arrays or sorted names.
 */
#define G_LOG_DOMAIN "sim-stats"

#include "sim/stats.h"

#include <math.h>
#include <string.h>

/* Sub-buckets per power of two. */
#define HIST_SUB (1u << SIM_HISTOGRAM_SUB_BITS)

struct _SimGauge {
    /* Current level. */
    gint64 level;
    /* Highest level since the window began. */
    gint64 peak;
    /* Highest level over the whole run. */
    gint64 peak_run;
    /* Time up to which the integrals are accumulated. */
    SimTime last;
    /* Start of the measurement window. */
    SimTime window_start;
    /* End of the run (set by sim_stats_finish). */
    SimTime end;
    /* Integral of the level over the window, level x ns. */
    __int128 integral;
    /* Integral of the level over the whole run. */
    __int128 integral_run;
    /* Sample interval of the time series (0: no series). */
    SimTime interval;
    /* Start of the current series interval and its accumulated integral. */
    SimTime seg_start;
    __int128 seg_acc;
    /* Where the current series interval ends (SIM_TIME_NEVER without a
     * series): updates before it only accumulate. */
    SimTime seg_end;
    /* Highest level held in the current series interval (the level at its
     * start counts). */
    gint64 seg_max;
    /* Series: time-weighted mean (double), closing level and highest level
     * (gint64). */
    GArray *means;
    GArray *levels;
    GArray *maxes;
};

struct _SimHistogram {
    /* Bucket counts (window); grown on demand up to the highest bucket. */
    guint64 *counts;
    guint n_counts;
    /* Window count, exact sum, minimum and maximum. */
    guint64 count;
    unsigned __int128 sum;
    guint64 min;
    guint64 max;
    /* Whole-run count. */
    guint64 count_run;
};

struct _SimStats {
    /* Name to handle, one table per kind (registration only). */
    GHashTable *by_name[3];
    /* Handles in registration order, one array per kind. */
    GPtrArray *all[3];
    /* Start of the measurement window (0 until begun). */
    SimTime window_start;
    /* Time-series sample interval (0: none). */
    SimTime interval;
};

/* Life cycle. */

static void
gauge_free(gpointer p)
{
    SimGauge *g = p;
    g_array_unref(g->means);
    g_array_unref(g->levels);
    g_array_unref(g->maxes);
    g_free(g);
}

/**
 * sim_histogram_new:
 *
 * Returns: (transfer full): an empty histogram not owned by a collector;
 *   free with sim_histogram_free().
 */
SimHistogram *
sim_histogram_new(void)
{
    SimHistogram *h = g_new0(SimHistogram, 1);
    h->min = G_MAXUINT64;
    return h;
}

/**
 * sim_histogram_free:
 * @h: (nullable): a histogram from sim_histogram_new()
 */
void
sim_histogram_free(SimHistogram *h)
{
    if (!h)
        return;
    g_free(h->counts);
    g_free(h);
}

static void
histogram_free_cb(gpointer p)
{
    sim_histogram_free(p);
}

/**
 * sim_stats_new:
 *
 * Returns: (transfer full): an empty collector; free with sim_stats_free().
 */
SimStats *
sim_stats_new(void)
{
    static const GDestroyNotify free_funcs[3] = {
        g_free, gauge_free, histogram_free_cb,
    };
    SimStats *s = g_new0(SimStats, 1);
    for (guint k = 0; k < 3; k++) {
        s->by_name[k] = g_hash_table_new_full(g_str_hash, g_str_equal,
                                              g_free, NULL);
        s->all[k] = g_ptr_array_new_with_free_func(free_funcs[k]);
    }
    return s;
}

/**
 * sim_stats_free:
 * @s: (nullable): a collector; every handle it gave out dies with it
 */
void
sim_stats_free(SimStats *s)
{
    if (!s)
        return;
    for (guint k = 0; k < 3; k++) {
        g_hash_table_destroy(s->by_name[k]);
        g_ptr_array_unref(s->all[k]);
    }
    g_free(s);
}

/* Registration. */

static gpointer
stats_register(SimStats *s, SimStatKind kind, const char *name,
               gpointer fresh)
{
    g_hash_table_insert(s->by_name[kind], g_strdup(name), fresh);
    g_ptr_array_add(s->all[kind], fresh);
    return fresh;
}

/**
 * sim_stats_counter:
 * @s: a collector
 * @name: dotted name
 *
 * Returns: (transfer none): the counter called @name, created at zero on
 *   first use; the same handle on every later call.
 */
SimCounter *
sim_stats_counter(SimStats *s, const char *name)
{
    g_return_val_if_fail(s != NULL && name != NULL, NULL);
    SimCounter *c = g_hash_table_lookup(s->by_name[SIM_STAT_COUNTER], name);
    if (c)
        return c;
    return stats_register(s, SIM_STAT_COUNTER, name, g_new0(SimCounter, 1));
}

/* The end of the series interval that contains seg_start. */
static SimTime
gauge_seg_end(const SimGauge *g)
{
    if (!g->interval)
        return SIM_TIME_NEVER;
    return (g->seg_start / g->interval + 1) * g->interval;
}

static void
gauge_set_interval(SimGauge *g, SimTime interval)
{
    g->interval = interval;
    g->seg_start = g->last;
    g->seg_acc = 0;
    g->seg_end = gauge_seg_end(g);
    g->seg_max = g->level;
    g_array_set_size(g->means, 0);
    g_array_set_size(g->levels, 0);
    g_array_set_size(g->maxes, 0);
}

/**
 * sim_stats_gauge:
 * @s: a collector
 * @name: dotted name
 *
 * Returns: (transfer none): the gauge called @name, created at level 0 on
 *   first use (as if it had been at 0 since time 0).
 */
SimGauge *
sim_stats_gauge(SimStats *s, const char *name)
{
    g_return_val_if_fail(s != NULL && name != NULL, NULL);
    SimGauge *g = g_hash_table_lookup(s->by_name[SIM_STAT_GAUGE], name);
    if (g)
        return g;
    g = g_new0(SimGauge, 1);
    g->window_start = s->window_start;
    g->means = g_array_new(FALSE, FALSE, sizeof(double));
    g->levels = g_array_new(FALSE, FALSE, sizeof(gint64));
    g->maxes = g_array_new(FALSE, FALSE, sizeof(gint64));
    gauge_set_interval(g, s->interval);
    return stats_register(s, SIM_STAT_GAUGE, name, g);
}

/**
 * sim_stats_histogram:
 * @s: a collector
 * @name: dotted name
 *
 * Returns: (transfer none): the histogram called @name, empty on first use.
 */
SimHistogram *
sim_stats_histogram(SimStats *s, const char *name)
{
    g_return_val_if_fail(s != NULL && name != NULL, NULL);
    SimHistogram *h = g_hash_table_lookup(s->by_name[SIM_STAT_HISTOGRAM],
                                          name);
    if (h)
        return h;
    return stats_register(s, SIM_STAT_HISTOGRAM, name, sim_histogram_new());
}

/* Gauges. */

/* Closes every series interval that ends at or before @now. */
static void
gauge_series_advance(SimGauge *g, SimTime now)
{
    SimTime boundary = (g->seg_start / g->interval + 1) * g->interval;
    while (boundary <= now) {
        g->seg_acc += (__int128)g->level * (boundary - g->seg_start);
        double mean = (double)g->seg_acc / (double)g->interval;
        g_array_append_val(g->means, mean);
        g_array_append_val(g->levels, g->level);
        g_array_append_val(g->maxes, g->seg_max);
        g->seg_max = g->level;
        g->seg_acc = 0;
        g->seg_start = boundary;
        boundary += g->interval;
    }
    g->seg_acc += (__int128)g->level * (now - g->seg_start);
    g->seg_start = now;
    g->seg_end = boundary;
}

static inline void
gauge_advance(SimGauge *g, SimTime now)
{
    if (now <= g->last)
        return;
    __int128 area = (__int128)g->level * (now - g->last);
    g->integral += area;
    g->integral_run += area;
    if (now < g->seg_end) {
        /* Within the current series interval (seg_start is last). */
        g->seg_acc += area;
        g->seg_start = now;
    } else if (g->interval) {
        gauge_series_advance(g, now);
    }
    g->last = now;
}

/**
 * sim_gauge_set:
 * @g: a gauge
 * @now: the current simulated time (never before the previous update)
 * @level: the new level
 */
void
sim_gauge_set(SimGauge *g, SimTime now, gint64 level)
{
    gauge_advance(g, now);
    g->level = level;
    if (level > g->peak)
        g->peak = level;
    if (level > g->peak_run)
        g->peak_run = level;
    if (level > g->seg_max)
        g->seg_max = level;
}

/**
 * sim_gauge_add:
 * @g: a gauge
 * @now: the current simulated time
 * @delta: change of level (may be negative)
 */
void
sim_gauge_add(SimGauge *g, SimTime now, gint64 delta)
{
    sim_gauge_set(g, now, g->level + delta);
}

/* Histograms. */

static inline guint
hist_index(guint64 v)
{
    if (v < HIST_SUB)
        return (guint)v;
    guint k = 63 - (guint)__builtin_clzll(v);
    guint shift = k - SIM_HISTOGRAM_SUB_BITS;
    return shift * HIST_SUB + (guint)(v >> shift);
}

static void
hist_bounds(guint idx, guint64 *lo, guint64 *hi)
{
    if (idx < HIST_SUB) {
        *lo = idx;
        *hi = (guint64)idx + 1;
        return;
    }
    guint shift = idx / HIST_SUB - 1;
    guint64 mant = idx - shift * HIST_SUB;
    *lo = mant << shift;
    /* The top bucket's bound would be 2^64. */
    *hi = (mant + 1 == 2 * HIST_SUB && shift == 64 - 1 - SIM_HISTOGRAM_SUB_BITS)
              ? G_MAXUINT64
              : (mant + 1) << shift;
}

static void
hist_grow(SimHistogram *h, guint idx)
{
    guint n = MAX(idx + 1, MAX(h->n_counts * 2, 4 * HIST_SUB));
    h->counts = g_renew(guint64, h->counts, n);
    memset(h->counts + h->n_counts, 0, (n - h->n_counts) * sizeof(guint64));
    h->n_counts = n;
}

static void
hist_add(SimHistogram *h, guint idx, guint64 n)
{
    if (G_UNLIKELY(idx >= h->n_counts))
        hist_grow(h, idx);
    h->counts[idx] += n;
}

/**
 * sim_histogram_record:
 * @h: a histogram
 * @value: a non-negative value (latencies in ns)
 */
void
sim_histogram_record(SimHistogram *h, guint64 value)
{
    hist_add(h, hist_index(value), 1);
    h->count++;
    h->count_run++;
    h->sum += value;
    if (value < h->min)
        h->min = value;
    if (value > h->max)
        h->max = value;
}

/**
 * sim_histogram_merge:
 * @dst: a histogram
 * @src: another; its window contents are added to @dst
 */
void
sim_histogram_merge(SimHistogram *dst, const SimHistogram *src)
{
    for (guint i = 0; i < src->n_counts; i++)
        if (src->counts[i])
            hist_add(dst, i, src->counts[i]);
    dst->count += src->count;
    dst->count_run += src->count_run;
    dst->sum += src->sum;
    dst->min = MIN(dst->min, src->min);
    dst->max = MAX(dst->max, src->max);
}

static void
hist_reset_window(SimHistogram *h)
{
    if (h->counts)
        memset(h->counts, 0, h->n_counts * sizeof(guint64));
    h->count = 0;
    h->sum = 0;
    h->min = G_MAXUINT64;
    h->max = 0;
}

/* Window and series. */

/**
 * sim_stats_begin_window:
 * @s: a collector
 * @now: end of the warm-up
 *
 * Starts the measurement window: window counts, gauge means and peaks and
 * histograms cover only what happens from @now on.
 */
void
sim_stats_begin_window(SimStats *s, SimTime now)
{
    s->window_start = now;
    for (guint i = 0; i < s->all[SIM_STAT_COUNTER]->len; i++) {
        SimCounter *c = g_ptr_array_index(s->all[SIM_STAT_COUNTER], i);
        c->at_window = c->value;
    }
    for (guint i = 0; i < s->all[SIM_STAT_GAUGE]->len; i++) {
        SimGauge *g = g_ptr_array_index(s->all[SIM_STAT_GAUGE], i);
        gauge_advance(g, now);
        g->integral = 0;
        g->window_start = now;
        g->peak = g->level;
    }
    for (guint i = 0; i < s->all[SIM_STAT_HISTOGRAM]->len; i++)
        hist_reset_window(g_ptr_array_index(s->all[SIM_STAT_HISTOGRAM], i));
}

/**
 * sim_stats_in_window:
 * @s: (nullable): a collector
 * @t: when something began (a call's arrival, say)
 *
 * Tells whether what began at @t belongs to the measurement window, for
 * outcomes counted when they end: a call started during the warm-up and
 * answered after it is not the window's (its attempt was not counted
 * there either), so window counts of outcomes never exceed the attempts.
 * Before the window begins everything belongs to it (and is discounted
 * when it begins).
 *
 * Returns: TRUE if @t is not before the window's start.
 */
gboolean
sim_stats_in_window(const SimStats *s, SimTime t)
{
    return !s || t >= s->window_start;
}

/**
 * sim_stats_finish:
 * @s: a collector
 * @end: the end of the run
 *
 * Brings every gauge up to @end and closes the last (possibly partial)
 * series interval.  Read results only after this.
 */
void
sim_stats_finish(SimStats *s, SimTime end)
{
    for (guint i = 0; i < s->all[SIM_STAT_GAUGE]->len; i++) {
        SimGauge *g = g_ptr_array_index(s->all[SIM_STAT_GAUGE], i);
        gauge_advance(g, end);
        g->end = MAX(end, g->last);
        if (g->interval && g->seg_start % g->interval && g->seg_start > 0) {
            /* Partial last interval: its mean over the time it covers. */
            SimTime from = g->seg_start - g->seg_start % g->interval;
            double mean = (double)g->seg_acc / (double)(g->seg_start - from);
            g_array_append_val(g->means, mean);
            g_array_append_val(g->levels, g->level);
            g_array_append_val(g->maxes, g->seg_max);
            g->seg_max = g->level;
            g->seg_acc = 0;
            g->seg_start = from + g->interval;
            g->seg_end = gauge_seg_end(g);
        }
    }
}

/**
 * sim_stats_set_sample_interval:
 * @s: a collector
 * @interval: time-series interval (0: no series); call before the run
 *   starts, since it restarts every gauge's series
 */
void
sim_stats_set_sample_interval(SimStats *s, SimTime interval)
{
    s->interval = interval;
    for (guint i = 0; i < s->all[SIM_STAT_GAUGE]->len; i++)
        gauge_set_interval(g_ptr_array_index(s->all[SIM_STAT_GAUGE], i),
                           interval);
}

/**
 * sim_stats_sample_interval:
 * @s: a collector
 *
 * Returns: the time-series interval (0: none).
 */
SimTime
sim_stats_sample_interval(const SimStats *s)
{
    return s->interval;
}

/* Sorted names. */

static gint
name_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/**
 * sim_stats_names:
 * @s: a collector
 * @kind: which statistics
 * @prefix: (nullable): keep only names starting with this
 *
 * Returns: (transfer full): the names in strcmp order, NULL-terminated.
 */
char **
sim_stats_names(const SimStats *s, SimStatKind kind, const char *prefix)
{
    GPtrArray *names = g_ptr_array_new();
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, s->by_name[kind]);
    while (g_hash_table_iter_next(&it, &key, NULL))
        if (!prefix || g_str_has_prefix(key, prefix))
            g_ptr_array_add(names, g_strdup(key));
    /* Sorting removes the hash-table order. */
    g_ptr_array_sort(names, name_cmp);
    g_ptr_array_add(names, NULL);
    return (char **)g_ptr_array_free(names, FALSE);
}

/**
 * sim_stats_lookup:
 * @s: a collector
 * @kind: which statistics
 * @name: dotted name
 *
 * Returns: (transfer none) (nullable): the SimCounter, SimGauge or
 *   SimHistogram called @name, without creating it.
 */
gpointer
sim_stats_lookup(const SimStats *s, SimStatKind kind, const char *name)
{
    return g_hash_table_lookup(s->by_name[kind], name);
}

/* Reading. */

/**
 * sim_counter_window:
 * @c: a counter
 *
 * Returns: the count since the window began.
 */
guint64
sim_counter_window(const SimCounter *c)
{
    return c->value - c->at_window;
}

/**
 * sim_counter_run:
 * @c: a counter
 *
 * Returns: the count over the whole run.
 */
guint64
sim_counter_run(const SimCounter *c)
{
    return c->value;
}

/**
 * sim_gauge_level:
 * @g: a gauge
 *
 * Returns: the current level.
 */
gint64
sim_gauge_level(const SimGauge *g)
{
    return g->level;
}

/**
 * sim_gauge_peak:
 * @g: a gauge
 *
 * Returns: the highest level in the window (the level at its start counts).
 */
gint64
sim_gauge_peak(const SimGauge *g)
{
    return g->peak;
}

/**
 * sim_gauge_peak_run:
 * @g: a gauge
 *
 * Returns: the highest level over the whole run.
 */
gint64
sim_gauge_peak_run(const SimGauge *g)
{
    return g->peak_run;
}

/**
 * sim_gauge_mean:
 * @g: a gauge
 *
 * Returns: the time-weighted mean level over the window; the level itself
 *   if the window is empty.
 */
double
sim_gauge_mean(const SimGauge *g)
{
    if (g->end <= g->window_start)
        return (double)g->level;
    return (double)g->integral / (double)(g->end - g->window_start);
}

/**
 * sim_gauge_mean_run:
 * @g: a gauge
 *
 * Returns: the time-weighted mean level over [0, end].
 */
double
sim_gauge_mean_run(const SimGauge *g)
{
    if (g->end == 0)
        return (double)g->level;
    return (double)g->integral_run / (double)g->end;
}

/**
 * sim_gauge_n_samples:
 * @g: a gauge
 *
 * Returns: the number of time-series entries.
 */
guint
sim_gauge_n_samples(const SimGauge *g)
{
    return g->means->len;
}

/**
 * sim_gauge_sample_mean:
 * @g: a gauge
 * @i: entry index, below sim_gauge_n_samples()
 *
 * Returns: the time-weighted mean over interval @i.
 */
double
sim_gauge_sample_mean(const SimGauge *g, guint i)
{
    g_return_val_if_fail(i < g->means->len, 0.0);
    return g_array_index(g->means, double, i);
}

/**
 * sim_gauge_sample_level:
 * @g: a gauge
 * @i: entry index, below sim_gauge_n_samples()
 *
 * Returns: the level at the end of interval @i.
 */
gint64
sim_gauge_sample_level(const SimGauge *g, guint i)
{
    g_return_val_if_fail(i < g->levels->len, 0);
    return g_array_index(g->levels, gint64, i);
}

/**
 * sim_gauge_sample_max:
 * @g: a gauge
 * @i: entry index, below sim_gauge_n_samples()
 *
 * Returns: the highest level the gauge held or reached during interval
 *   @i (the level at its start counts; a level set and changed again at
 *   the same instant counts too, as it does for the peak).
 */
gint64
sim_gauge_sample_max(const SimGauge *g, guint i)
{
    g_return_val_if_fail(i < g->maxes->len, 0);
    return g_array_index(g->maxes, gint64, i);
}

/**
 * sim_histogram_count:
 * @h: a histogram
 *
 * Returns: values recorded in the window.
 */
guint64
sim_histogram_count(const SimHistogram *h)
{
    return h->count;
}

/**
 * sim_histogram_count_run:
 * @h: a histogram
 *
 * Returns: values recorded over the whole run.
 */
guint64
sim_histogram_count_run(const SimHistogram *h)
{
    return h->count_run;
}

/**
 * sim_histogram_mean:
 * @h: a histogram
 *
 * Returns: the exact mean of the window's values (0 if none).
 */
double
sim_histogram_mean(const SimHistogram *h)
{
    return h->count ? (double)h->sum / (double)h->count : 0.0;
}

/**
 * sim_histogram_quantile:
 * @h: a histogram
 * @q: quantile in [0, 1]
 *
 * The q-quantile is the ceil(q n)-th smallest value (the first for q = 0);
 * it is reported as the midpoint of its bucket, clamped to the exact
 * minimum and maximum, so its relative error is at most
 * SIM_HISTOGRAM_REL_ERROR / 2.
 *
 * Returns: the quantile, or 0 if the histogram is empty.
 */
guint64
sim_histogram_quantile(const SimHistogram *h, double q)
{
    if (!h->count)
        return 0;
    guint64 rank = (guint64)ceil(CLAMP(q, 0.0, 1.0) * (double)h->count);
    rank = CLAMP(rank, 1, h->count);
    guint64 cum = 0;
    for (guint i = 0; i < h->n_counts; i++) {
        cum += h->counts[i];
        if (cum >= rank) {
            guint64 lo, hi;
            hist_bounds(i, &lo, &hi);
            guint64 mid = lo + (hi - lo) / 2;
            return CLAMP(mid, h->min, h->max);
        }
    }
    g_assert_not_reached();
    return h->max;
}

/**
 * sim_histogram_max:
 * @h: a histogram
 *
 * Returns: the exact largest value of the window (0 if none).
 */
guint64
sim_histogram_max(const SimHistogram *h)
{
    return h->max;
}

/**
 * sim_histogram_min:
 * @h: a histogram
 *
 * Returns: the exact smallest value of the window (0 if none).
 */
guint64
sim_histogram_min(const SimHistogram *h)
{
    return h->count ? h->min : 0;
}

/**
 * sim_histogram_next_bucket:
 * @h: a histogram
 * @iter: (inout): 0 to start; advanced past the bucket returned
 * @lo: (out): the bucket's lower bound (inclusive)
 * @hi: (out): its upper bound (exclusive)
 * @count: (out): values in it
 *
 * Walks the non-empty buckets of the window in increasing order.
 *
 * Returns: FALSE when there are no more buckets.
 */
gboolean
sim_histogram_next_bucket(const SimHistogram *h, guint *iter, guint64 *lo,
                          guint64 *hi, guint64 *count)
{
    for (guint i = *iter; i < h->n_counts; i++) {
        if (h->counts[i]) {
            hist_bounds(i, lo, hi);
            *count = h->counts[i];
            *iter = i + 1;
            return TRUE;
        }
    }
    *iter = h->n_counts;
    return FALSE;
}
