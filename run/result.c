/* SPDX-License-Identifier: MIT */
/*
 * Life cycle of SimRunResult, the plain record of one run's outputs.
 */
#define G_LOG_DOMAIN "sim-result"

#include "run/result.h"

#include <math.h>

/**
 * sim_run_result_new:
 *
 * Returns: (transfer full): an empty result; free with
 *   sim_run_result_free().
 */
SimRunResult *
sim_run_result_new(void)
{
    SimRunResult *r = g_new0(SimRunResult, 1);
    r->extra_names = g_array_new(FALSE, FALSE, sizeof(char *));
    r->extra_values = g_array_new(FALSE, FALSE, sizeof(double));
    r->extra_counts = g_array_new(FALSE, FALSE, sizeof(gboolean));
    return r;
}

/**
 * sim_run_result_free:
 * @r: (nullable): a result
 */
void
sim_run_result_free(SimRunResult *r)
{
    if (!r)
        return;
    g_free(r->topology);
    g_free(r->strategy);
    g_free(r->protocol);
    g_strfreev(r->overrides);
    g_free(r->pki_verify_time);
    g_strfreev(r->warnings);
    for (guint i = 0; i < r->extra_names->len; i++)
        g_free(g_array_index(r->extra_names, char *, i));
    g_array_unref(r->extra_names);
    g_array_unref(r->extra_values);
    g_array_unref(r->extra_counts);
    for (guint i = 0; i < r->n_nodes; i++) {
        g_free(r->nodes[i].node);
        g_free(r->nodes[i].srv_domain);
    }
    g_free(r->nodes);
    for (guint i = 0; i < r->n_pairs; i++) {
        g_free(r->pairs[i].node);
        g_free(r->pairs[i].peer);
        g_free(r->pairs[i].peer_ip);
    }
    g_free(r->pairs);
    g_free(r->samples);
    g_free(r->latency);
    g_free(r);
}

static void
result_add_extra(SimRunResult *r, const char *name, double value,
                 gboolean count)
{
    char *copy = g_strdup(name);
    g_array_append_val(r->extra_names, copy);
    g_array_append_val(r->extra_values, value);
    g_array_append_val(r->extra_counts, count);
}

/**
 * sim_run_result_add_extra:
 * @r: a result
 * @name: a dotted key not among the fixed fields
 * @value: its value: a gauge, mean or fraction (written with %.6f)
 *
 * Records a further statistic; callers add them in sorted name order.
 */
void
sim_run_result_add_extra(SimRunResult *r, const char *name, double value)
{
    result_add_extra(r, name, value, FALSE);
}

/**
 * sim_run_result_add_extra_count:
 * @r: a result
 * @name: a dotted key not among the fixed fields
 * @value: a count (written as an integer)
 *
 * Records a further counter; callers add them in sorted name order.
 */
void
sim_run_result_add_extra_count(SimRunResult *r, const char *name,
                               guint64 value)
{
    result_add_extra(r, name, (double)value, TRUE);
}

/**
 * sim_run_result_setup_quantile_all:
 * @r: a result with its latency histogram, latency_min_ns, latency_max_ns
 *   and calls_attempted filled
 * @q: quantile in [0, 1]
 *
 * The q-quantile of the set-up latency over every call attempted in the
 * window, N = calls_attempted of them: the ceil(q N)-th smallest (the
 * first for q = 0), where the C completed calls are the histogram's and
 * the N - C others (failed, cancelled, unfinished) rank above all of them.
 * Within the histogram the value is reported as sim_histogram_quantile()
 * does: its bucket's midpoint clamped to the exact minimum and maximum.
 *
 * Returns: the quantile in ms, or NAN when no call was attempted or the
 *   rank falls among the calls that did not complete.
 */
double
sim_run_result_setup_quantile_all(const SimRunResult *r, double q)
{
    guint64 completed = 0;
    for (guint i = 0; i < r->n_latency; i++)
        completed += r->latency[i].count;
    guint64 n = MAX(r->calls_attempted, completed);
    if (n == 0)
        return NAN;
    guint64 rank = (guint64)ceil(CLAMP(q, 0.0, 1.0) * (double)n);
    rank = CLAMP(rank, 1, n);
    if (rank > completed)
        return NAN;
    guint64 cum = 0;
    for (guint i = 0; i < r->n_latency; i++) {
        const SimLatencyBucket *b = &r->latency[i];
        cum += b->count;
        if (cum >= rank) {
            guint64 mid = b->lo + (b->hi - b->lo) / 2;
            if (r->latency_max_ns >= r->latency_min_ns &&
                r->latency_max_ns > 0)
                mid = CLAMP(mid, r->latency_min_ns, r->latency_max_ns);
            return (double)mid / 1e6;
        }
    }
    g_assert_not_reached();
    return NAN;
}

/**
 * sim_run_result_derive:
 * @r: a result whose calls.* counts and latency histogram are filled
 *
 * Fills the figures computed from others: calls.completion_ratio, the
 * latency.setup_ms.*_all quantiles, and (from duration, warmup, n_nodes,
 * the handshake counts and cpu.crypto_s) handshakes.per_s and
 * cpu.crypto_cores_per_node.
 */
void
sim_run_result_derive(SimRunResult *r)
{
    r->calls_completion_ratio =
        r->calls_attempted
            ? (double)r->calls_completed / (double)r->calls_attempted
            : NAN;
    r->latency_setup_ms_p50_all = sim_run_result_setup_quantile_all(r, 0.50);
    r->latency_setup_ms_p95_all = sim_run_result_setup_quantile_all(r, 0.95);
    r->latency_setup_ms_p99_all = sim_run_result_setup_quantile_all(r, 0.99);
    double window_s = r->duration > r->warmup
                          ? (double)(r->duration - r->warmup) / 1e9
                          : 0.0;
    guint64 handshakes = r->handshakes_tcp + r->handshakes_sctp +
                         r->handshakes_tls_full + r->handshakes_tls_resumed;
    r->handshakes_per_s = window_s > 0 ? (double)handshakes / window_s : NAN;
    r->cpu_crypto_cores_per_node =
        window_s > 0 && r->n_nodes > 0
            ? r->cpu_crypto_s / window_s / (double)r->n_nodes
            : NAN;
}
