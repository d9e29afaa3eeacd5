/* SPDX-License-Identifier: MIT */
/*
 * The statistics collector of one run.  Models register named statistics
 * once, at build time, and keep the returned handle: the hot path is a plain
 * increment through a pointer.  Three kinds: counters, time-weighted gauges
 * (open connections, CPU use, calls in progress: mean, peak, time series) and
 * latency histograms (log-linear buckets, bounded relative error, no stored
 * samples).  Names are dotted ("connections.opened"); per-node statistics
 * are "node.<name>.<stat>".  The collector knows nothing of SIP: run/out.c
 * picks the names the results contract needs.
 *
 * Warm-up: sim_stats_begin_window() marks the end of the warm-up; reported
 * values cover [window start, end], and whole-run totals stay available.
 */
#pragma once

#include <glib.h>

#include "sim/evq.h"

G_BEGIN_DECLS

typedef struct _SimStats SimStats;

/* A monotonically increasing count.  Increment value directly. */
typedef struct {
    /* Count over the whole run. */
    guint64 value;
    /* Value when the measurement window began. */
    guint64 at_window;
} SimCounter;

/* A level that changes over time (e.g. open connections). */
typedef struct _SimGauge SimGauge;

/* A distribution of non-negative values (e.g. latencies in ns). */
typedef struct _SimHistogram SimHistogram;

/* Life cycle. */
SimStats *sim_stats_new(void);
void sim_stats_free(SimStats *s);

/* Registration (idempotent: the same name returns the same handle). */
SimCounter *sim_stats_counter(SimStats *s, const char *name);
SimGauge *sim_stats_gauge(SimStats *s, const char *name);
SimHistogram *sim_stats_histogram(SimStats *s, const char *name);

/* Recording. */
static inline void
sim_counter_add(SimCounter *c, guint64 n)
{
    c->value += n;
}
void sim_gauge_add(SimGauge *g, SimTime now, gint64 delta);
void sim_gauge_set(SimGauge *g, SimTime now, gint64 level);
void sim_histogram_record(SimHistogram *h, guint64 value);

/* Measurement window and time series. */
void sim_stats_begin_window(SimStats *s, SimTime now);
gboolean sim_stats_in_window(const SimStats *s, SimTime t);
void sim_stats_finish(SimStats *s, SimTime end);
void sim_stats_set_sample_interval(SimStats *s, SimTime interval);

/* Reading (after sim_stats_finish). */
guint64 sim_counter_window(const SimCounter *c);
gint64 sim_gauge_level(const SimGauge *g);
gint64 sim_gauge_peak(const SimGauge *g);
gint64 sim_gauge_peak_run(const SimGauge *g);
double sim_gauge_mean(const SimGauge *g);
guint64 sim_histogram_count(const SimHistogram *h);
double sim_histogram_mean(const SimHistogram *h);
guint64 sim_histogram_quantile(const SimHistogram *h, double q);
guint64 sim_histogram_max(const SimHistogram *h);

/* Whole-run figures (warm-up included). */
guint64 sim_counter_run(const SimCounter *c);
double sim_gauge_mean_run(const SimGauge *g);
guint64 sim_histogram_count_run(const SimHistogram *h);
guint64 sim_histogram_min(const SimHistogram *h);

/* Histogram buckets: non-empty ones in increasing order; *iter starts at 0.
 * Each bucket is [lo, hi) and at most SIM_HISTOGRAM_REL_ERROR * lo wide. */
#define SIM_HISTOGRAM_SUB_BITS 7
#define SIM_HISTOGRAM_REL_ERROR (1.0 / (1 << SIM_HISTOGRAM_SUB_BITS))
gboolean sim_histogram_next_bucket(const SimHistogram *h, guint *iter,
                                   guint64 *lo, guint64 *hi, guint64 *count);
void sim_histogram_merge(SimHistogram *dst, const SimHistogram *src);

/* Time series of a gauge (one entry per sample interval, warm-up
 * included): the time-weighted mean over the interval, the level at its
 * end and the highest level in it.  The last entry may cover a partial
 * interval. */
guint sim_gauge_n_samples(const SimGauge *g);
double sim_gauge_sample_mean(const SimGauge *g, guint i);
gint64 sim_gauge_sample_level(const SimGauge *g, guint i);
gint64 sim_gauge_sample_max(const SimGauge *g, guint i);
SimTime sim_stats_sample_interval(const SimStats *s);

/* Sorted look-up: names of every statistic of one kind, in strcmp order
 * (never hash-table order), and look-up without registering. */
typedef enum {
    SIM_STAT_COUNTER,
    SIM_STAT_GAUGE,
    SIM_STAT_HISTOGRAM,
} SimStatKind;
char **sim_stats_names(const SimStats *s, SimStatKind kind,
                       const char *prefix);
gpointer sim_stats_lookup(const SimStats *s, SimStatKind kind,
                          const char *name);

/* A stand-alone histogram (tests, merged replications). */
SimHistogram *sim_histogram_new(void);
void sim_histogram_free(SimHistogram *h);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimStats, sim_stats_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimHistogram, sim_histogram_free)

G_END_DECLS
