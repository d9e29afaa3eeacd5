/* SPDX-License-Identifier: MIT */
/*
 * The conservation laws of a run (DESIGN results contract): calls,
 * SIP messages and connections are each accounted for exactly, run-wide and
 * per node, every dropped message has a named reason, a peak over nodes
 * never exceeds the run's peak, and a figure over no samples is no figure
 * (NaN, written null), never a number.  The counts are fed by independent
 * events in the models (an outcome at the caller, a delivery at the
 * receiving proxy, a drop where a transport or the network loses a message,
 * a scan of what is alive at the end), so a law that fails is a path that
 * lost or double-counted something.
 */
#include "run/laws.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK(sim-laws-error-quark, sim_laws_error)

/* Appends "law: detail" to @errs. */
G_GNUC_PRINTF(3, 4)
static void
laws_broken(GString *errs, const char *law, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_string_append_printf(errs, "%s%s: ", errs->len ? "; " : "", law);
    g_string_append_vprintf(errs, fmt, ap);
    va_end(ap);
}

static void
laws_calls(GString *errs, const char *who, guint64 att, guint64 done,
           guint64 failed, guint64 cancelled, guint64 unfinished)
{
    if (att != done + failed + cancelled + unfinished)
        laws_broken(errs, "calls",
                    "%s: attempted %" G_GUINT64_FORMAT " != completed %"
                    G_GUINT64_FORMAT " + failed %" G_GUINT64_FORMAT
                    " + cancelled %" G_GUINT64_FORMAT " + unfinished %"
                    G_GUINT64_FORMAT,
                    who, att, done, failed, cancelled, unfinished);
}

static void
laws_sip(GString *errs, const char *who, guint64 sent, guint64 delivered,
         guint64 dropped, guint64 in_flight)
{
    if (sent != delivered + dropped + in_flight)
        laws_broken(errs, "sip",
                    "%s: sent %" G_GUINT64_FORMAT " != delivered %"
                    G_GUINT64_FORMAT " + dropped %" G_GUINT64_FORMAT
                    " + in flight at the end %" G_GUINT64_FORMAT,
                    who, sent, delivered, dropped, in_flight);
}

/* sip.dropped is the sum of sip.dropped.<reason>, and no reason is
 * "unknown" (a drop nobody named). */
static void
laws_drop_reasons(GString *errs, const SimRunResult *r)
{
    double sum = 0;
    const char *prefix = "sip.dropped.";
    for (guint i = 0; r->extra_names && i < r->extra_names->len; i++) {
        const char *name = g_array_index(r->extra_names, char *, i);
        if (!g_str_has_prefix(name, prefix) || strchr(name + strlen(prefix),
                                                      '.'))
            continue;
        double v = g_array_index(r->extra_values, double, i);
        sum += v;
        if (g_str_equal(name + strlen(prefix), "unknown") && v > 0)
            laws_broken(errs, "sip", "%.0f message(s) dropped for no named "
                        "reason (sip.dropped.unknown)", v);
    }
    if (sum != (double)r->sip_dropped)
        laws_broken(errs, "sip",
                    "sip.dropped %" G_GUINT64_FORMAT " != the sum of "
                    "sip.dropped.<reason> %.0f", r->sip_dropped, sum);
}

/* The extra counter @name, 0 when absent. */
static double
laws_extra(const SimRunResult *r, const char *name)
{
    for (guint i = 0; r->extra_names && i < r->extra_names->len; i++)
        if (g_str_equal(g_array_index(r->extra_names, char *, i), name))
            return g_array_index(r->extra_values, double, i);
    return 0;
}

/* A latency figure is NaN exactly when no call completed in the window. */
static void
laws_no_data(GString *errs, const SimRunResult *r)
{
    const double v[] = { r->latency_setup_ms_mean, r->latency_setup_ms_p50,
                         r->latency_setup_ms_p95, r->latency_setup_ms_p99,
                         r->latency_setup_ms_max };
    for (guint i = 0; i < G_N_ELEMENTS(v); i++)
        if (isnan(v[i]) != (r->calls_completed == 0)) {
            laws_broken(errs, "no-data",
                        "latency.setup_ms is %s with %" G_GUINT64_FORMAT
                        " completed call(s)",
                        isnan(v[i]) ? "null" : "a number",
                        r->calls_completed);
            return;
        }
}

/**
 * sim_laws_check:
 * @r: a finished run's result
 * @error: return location for a #SIM_LAWS_ERROR_BROKEN naming every
 *   broken law
 *
 * Checks: calls.attempted = completed + failed + cancelled + unfinished
 * (run and per node); sip.sent = delivered + dropped + in_flight_end (run
 * and per node), with sip.dropped the sum of its named reasons;
 * calls.rejected a part of calls.failed and the sum of the nodes';
 * connections.opened_run - closed_run = open_end; the per-node connection
 * peak never above the run's; latency null exactly when no call completed.
 *
 * Returns: %TRUE if every law holds.
 */
gboolean
sim_laws_check(const SimRunResult *r, GError **error)
{
    g_autoptr(GString) errs = g_string_new(NULL);
    laws_calls(errs, "run", r->calls_attempted, r->calls_completed,
               r->calls_failed, r->calls_cancelled, r->calls_unfinished);
    laws_sip(errs, "run", r->sip_sent, r->sip_delivered, r->sip_dropped,
             r->sip_in_flight_end);
    laws_drop_reasons(errs, r);
    guint64 att = 0;
    for (guint i = 0; i < r->n_nodes; i++) {
        const SimNodeResult *n = &r->nodes[i];
        g_autofree char *who = g_strdup_printf("node %s", n->node);
        laws_calls(errs, who, n->calls_attempted, n->calls_completed,
                   n->calls_failed, n->calls_cancelled, n->calls_unfinished);
        laws_sip(errs, who, n->sip_sent, n->sip_delivered, n->sip_dropped,
                 n->sip_in_flight_end);
        att += n->calls_attempted;
    }
    /* Calls no node could start (none serving the origin domain was up)
     * are the run's alone. */
    guint64 no_origin = (guint64)laws_extra(r, "calls.no_origin");
    if (r->n_nodes && att + no_origin != r->calls_attempted)
        laws_broken(errs, "calls",
                    "the nodes attempted %" G_GUINT64_FORMAT " calls and %"
                    G_GUINT64_FORMAT " found no origin node, the run %"
                    G_GUINT64_FORMAT, att, no_origin, r->calls_attempted);
    if (r->connections_opened_run - r->connections_closed_run !=
            r->connections_open_end ||
        r->connections_closed_run > r->connections_opened_run)
        laws_broken(errs, "connections",
                    "opened_run %" G_GUINT64_FORMAT " - closed_run %"
                    G_GUINT64_FORMAT " != open_end %" G_GUINT64_FORMAT,
                    r->connections_opened_run, r->connections_closed_run,
                    r->connections_open_end);
    guint64 rej = 0;
    for (guint i = 0; i < r->n_nodes; i++)
        rej += r->nodes[i].calls_rejected;
    if (r->calls_rejected > r->calls_failed || rej != r->calls_rejected)
        laws_broken(errs, "calls",
                    "rejected %" G_GUINT64_FORMAT " (nodes: %"
                    G_GUINT64_FORMAT ") is not a part of failed %"
                    G_GUINT64_FORMAT, r->calls_rejected, rej,
                    r->calls_failed);
    if (r->connections_per_node_peak_max > r->connections_peak)
        laws_broken(errs, "connections",
                    "per_node_peak_max %" G_GUINT64_FORMAT " > peak %"
                    G_GUINT64_FORMAT, r->connections_per_node_peak_max,
                    r->connections_peak);
    laws_no_data(errs, r);
    if (errs->len) {
        g_set_error(error, SIM_LAWS_ERROR, SIM_LAWS_ERROR_BROKEN,
                    "conservation law broken (a model bug): %s", errs->str);
        return FALSE;
    }
    return TRUE;
}
