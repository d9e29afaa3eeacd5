/* SPDX-License-Identifier: MIT */
/*
 * Life cycle of SimRunResult, the plain record of one run's outputs.
 */
#define G_LOG_DOMAIN "sim-result"

#include "run/result.h"

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
