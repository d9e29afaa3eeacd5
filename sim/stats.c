/* SPDX-License-Identifier: MIT */
/*
 * Interim statistics collector: counters, time-weighted gauges and
 * histograms that keep their samples.  It implements sim/stats.h exactly and
 * is replaced wholesale by the HDR-histogram collector.
 */
#define G_LOG_DOMAIN "sim-stats"

#include "sim/stats.h"

#include <math.h>

struct _SimGauge {
    gint64 level;
    gint64 peak;
    gint64 peak_run;
    SimTime last;
    SimTime window_start;
    double integral;
    SimTime end;
};

struct _SimHistogram {
    GArray *values;
    gboolean sorted;
};

struct _SimStats {
    GHashTable *counters;
    GHashTable *gauges;
    GHashTable *histograms;
};

static void
histogram_free(gpointer p)
{
    SimHistogram *h = p;
    g_array_unref(h->values);
    g_free(h);
}

SimStats *
sim_stats_new(void)
{
    SimStats *s = g_new0(SimStats, 1);
    s->counters = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                        g_free);
    s->gauges = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    s->histograms = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                          histogram_free);
    return s;
}

void
sim_stats_free(SimStats *s)
{
    if (!s)
        return;
    g_hash_table_destroy(s->counters);
    g_hash_table_destroy(s->gauges);
    g_hash_table_destroy(s->histograms);
    g_free(s);
}

SimCounter *
sim_stats_counter(SimStats *s, const char *name)
{
    SimCounter *c = g_hash_table_lookup(s->counters, name);
    if (!c) {
        c = g_new0(SimCounter, 1);
        g_hash_table_insert(s->counters, g_strdup(name), c);
    }
    return c;
}

SimGauge *
sim_stats_gauge(SimStats *s, const char *name)
{
    SimGauge *g = g_hash_table_lookup(s->gauges, name);
    if (!g) {
        g = g_new0(SimGauge, 1);
        g_hash_table_insert(s->gauges, g_strdup(name), g);
    }
    return g;
}

SimHistogram *
sim_stats_histogram(SimStats *s, const char *name)
{
    SimHistogram *h = g_hash_table_lookup(s->histograms, name);
    if (!h) {
        h = g_new0(SimHistogram, 1);
        h->values = g_array_new(FALSE, FALSE, sizeof(guint64));
        g_hash_table_insert(s->histograms, g_strdup(name), h);
    }
    return h;
}

void
sim_gauge_set(SimGauge *g, SimTime now, gint64 level)
{
    if (now > g->last) {
        if (now > g->window_start)
            g->integral += (double)g->level *
                           (double)(now - MAX(g->last, g->window_start));
        g->last = now;
    }
    g->level = level;
    g->peak = MAX(g->peak, level);
    g->peak_run = MAX(g->peak_run, level);
}

void
sim_gauge_add(SimGauge *g, SimTime now, gint64 delta)
{
    sim_gauge_set(g, now, g->level + delta);
}

void
sim_histogram_record(SimHistogram *h, guint64 value)
{
    g_array_append_val(h->values, value);
    h->sorted = FALSE;
}

void
sim_stats_begin_window(SimStats *s, SimTime now)
{
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, s->counters);
    while (g_hash_table_iter_next(&it, NULL, &v))
        ((SimCounter *)v)->at_window = ((SimCounter *)v)->value;
    g_hash_table_iter_init(&it, s->gauges);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        SimGauge *g = v;
        sim_gauge_add(g, now, 0);
        g->integral = 0;
        g->window_start = now;
        g->peak = g->level;
    }
    g_hash_table_iter_init(&it, s->histograms);
    while (g_hash_table_iter_next(&it, NULL, &v))
        g_array_set_size(((SimHistogram *)v)->values, 0);
}

void
sim_stats_finish(SimStats *s, SimTime end)
{
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, s->gauges);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        sim_gauge_add(v, end, 0);
        ((SimGauge *)v)->end = end;
    }
}

void
sim_stats_set_sample_interval(SimStats *s, SimTime interval)
{
}

guint64
sim_counter_window(const SimCounter *c)
{
    return c->value - c->at_window;
}

gint64
sim_gauge_level(const SimGauge *g)
{
    return g->level;
}

gint64
sim_gauge_peak(const SimGauge *g)
{
    return g->peak;
}

gint64
sim_gauge_peak_run(const SimGauge *g)
{
    return g->peak_run;
}

double
sim_gauge_mean(const SimGauge *g)
{
    if (g->end <= g->window_start)
        return (double)g->level;
    return g->integral / (double)(g->end - g->window_start);
}

guint64
sim_histogram_count(const SimHistogram *h)
{
    return h->values->len;
}

double
sim_histogram_mean(const SimHistogram *h)
{
    double sum = 0;
    for (guint i = 0; i < h->values->len; i++)
        sum += (double)g_array_index(h->values, guint64, i);
    return h->values->len ? sum / h->values->len : 0.0;
}

static gint
u64_cmp(gconstpointer a, gconstpointer b)
{
    guint64 x = *(const guint64 *)a, y = *(const guint64 *)b;
    return x < y ? -1 : x > y;
}

guint64
sim_histogram_quantile(const SimHistogram *h, double q)
{
    SimHistogram *m = (SimHistogram *)h;
    if (!m->values->len)
        return 0;
    if (!m->sorted) {
        g_array_sort(m->values, u64_cmp);
        m->sorted = TRUE;
    }
    guint64 n = m->values->len;
    guint64 k = (guint64)ceil(q * (double)n);
    if (k < 1)
        k = 1;
    return g_array_index(m->values, guint64, k - 1);
}

guint64
sim_histogram_max(const SimHistogram *h)
{
    guint64 mx = 0;
    for (guint i = 0; i < h->values->len; i++)
        mx = MAX(mx, g_array_index(h->values, guint64, i));
    return mx;
}
