/* SPDX-License-Identifier: MIT */
/*
 * The result formats of DESIGN.md section 8, written from a SimRunResult:
 * one fixed runs.tsv schema (the contract keys, in contract order), a
 * summary.json with every key plus the extras and a "meta" object, the
 * per-node, time-series and latency-histogram tables, and the aggregate of
 * many runs with Student-t 95% confidence intervals.  Doubles are printed
 * with g_ascii_formatd("%.6f"), which ignores the locale, so a run's bytes
 * depend only on its values.  Run folders (atomic files, the completion
 * marker written last, and their check) are run/out_folder.c's.
 */
#define G_LOG_DOMAIN "sim-out"

#include "run/out.h"

#include "run/profile.h"
#include "run/input.h"
#include "run/status.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>


G_DEFINE_QUARK(sim-out-error-quark, sim_out_error)

/* How a runs.tsv column is stored in SimRunResult. */
typedef enum {
    OUT_STR,
    OUT_U64,
    OUT_F64,
} OutType;

/* One column of runs.tsv. */
typedef struct {
    /* Contract key. */
    const char *key;
    OutType type;
    /* Offset of the field in SimRunResult. */
    size_t offset;
    /* A wall-clock measurement (zeroed by no_timing). */
    gboolean timing;
} OutColumn;

#define COL(k, t, f) { k, t, offsetof(SimRunResult, f), FALSE }
#define COL_T(k, f) { k, OUT_F64, offsetof(SimRunResult, f), TRUE }

static const OutColumn out_columns[] = {
    COL("topology", OUT_STR, topology),
    COL("strategy", OUT_STR, strategy),
    COL("seed", OUT_U64, seed),
    COL("protocol", OUT_STR, protocol),
    COL("calls.attempted", OUT_U64, calls_attempted),
    COL("calls.completed", OUT_U64, calls_completed),
    COL("calls.failed", OUT_U64, calls_failed),
    COL("latency.setup_ms.mean", OUT_F64, latency_setup_ms_mean),
    COL("latency.setup_ms.p50", OUT_F64, latency_setup_ms_p50),
    COL("latency.setup_ms.p95", OUT_F64, latency_setup_ms_p95),
    COL("latency.setup_ms.p99", OUT_F64, latency_setup_ms_p99),
    COL("latency.setup_ms.max", OUT_F64, latency_setup_ms_max),
    COL("connections.opened", OUT_U64, connections_opened),
    COL("connections.closed", OUT_U64, connections_closed),
    COL("connections.peak", OUT_U64, connections_peak),
    COL("connections.mean", OUT_F64, connections_mean),
    COL("connections.per_node_peak_max", OUT_U64,
        connections_per_node_peak_max),
    COL("handshakes.tcp", OUT_U64, handshakes_tcp),
    COL("handshakes.sctp", OUT_U64, handshakes_sctp),
    COL("handshakes.tls_full", OUT_U64, handshakes_tls_full),
    COL("handshakes.tls_resumed", OUT_U64, handshakes_tls_resumed),
    COL("handshakes.failed", OUT_U64, handshakes_failed),
    COL("alias.added", OUT_U64, alias_added),
    COL("alias.rejected", OUT_U64, alias_rejected),
    COL("alias.hits", OUT_U64, alias_hits),
    COL("requests.hijacked", OUT_U64, requests_hijacked),
    COL("cpu.util_max", OUT_F64, cpu_util_max),
    COL("cpu.crypto_s", OUT_F64, cpu_crypto_s),
    COL("bytes.wire", OUT_U64, bytes_wire),
    COL("memory.conn_bytes_peak", OUT_U64, memory_conn_bytes_peak),
    COL("sim.events", OUT_U64, sim_events),
    COL_T("sim.wall_s", sim_wall_s),
    COL_T("sim.events_per_s", sim_events_per_s),
    /* The laws (added after the first contract: appended, so that no
     * column moves). */
    COL("calls.cancelled", OUT_U64, calls_cancelled),
    COL("calls.unfinished", OUT_U64, calls_unfinished),
    COL("sip.sent", OUT_U64, sip_sent),
    COL("sip.delivered", OUT_U64, sip_delivered),
    COL("sip.dropped", OUT_U64, sip_dropped),
    COL("sip.in_flight_end", OUT_U64, sip_in_flight_end),
    COL("connections.opened_run", OUT_U64, connections_opened_run),
    COL("connections.closed_run", OUT_U64, connections_closed_run),
    COL("connections.open_end", OUT_U64, connections_open_end),
    /* Capacity (issue 14; appended): the completion ratio and set-up
     * latency quantiles over every attempted call. */
    COL("calls.completion_ratio", OUT_F64, calls_completion_ratio),
    COL("latency.setup_ms.p50_all", OUT_F64, latency_setup_ms_p50_all),
    COL("latency.setup_ms.p95_all", OUT_F64, latency_setup_ms_p95_all),
    COL("latency.setup_ms.p99_all", OUT_F64, latency_setup_ms_p99_all),
    /* The window made explicit (issue 14; appended): rates over it. */
    COL("handshakes.per_s", OUT_F64, handshakes_per_s),
    COL("cpu.crypto_cores_per_node", OUT_F64, cpu_crypto_cores_per_node),
    /* The cost model (issue 13; appended): overload refusals and the
     * memory real servers would hold. */
    COL("calls.rejected", OUT_U64, calls_rejected),
    COL("memory.node_bytes_peak", OUT_U64, memory_node_bytes_peak),
};

#define N_COLUMNS G_N_ELEMENTS(out_columns)

static const char *const out_keys[N_COLUMNS + 1] = {
    "topology", "strategy", "seed", "protocol",
    "calls.attempted", "calls.completed", "calls.failed",
    "latency.setup_ms.mean", "latency.setup_ms.p50", "latency.setup_ms.p95",
    "latency.setup_ms.p99", "latency.setup_ms.max",
    "connections.opened", "connections.closed", "connections.peak",
    "connections.mean", "connections.per_node_peak_max",
    "handshakes.tcp", "handshakes.sctp", "handshakes.tls_full",
    "handshakes.tls_resumed", "handshakes.failed",
    "alias.added", "alias.rejected", "alias.hits", "requests.hijacked",
    "cpu.util_max", "cpu.crypto_s", "bytes.wire", "memory.conn_bytes_peak",
    "sim.events", "sim.wall_s", "sim.events_per_s",
    "calls.cancelled", "calls.unfinished",
    "sip.sent", "sip.delivered", "sip.dropped", "sip.in_flight_end",
    "connections.opened_run", "connections.closed_run",
    "connections.open_end",
    "calls.completion_ratio", "latency.setup_ms.p50_all",
    "latency.setup_ms.p95_all", "latency.setup_ms.p99_all",
    "handshakes.per_s", "cpu.crypto_cores_per_node",
    "calls.rejected", "memory.node_bytes_peak",
    NULL,
};

/* The rows of the compare table: (key, label).  A label starting with
 * "+" is a whole-run figure shown under its window figure only when there
 * is a warm-up (without one both are the same). */
static const char *const out_compare_rows[][2] = {
    { "calls.completed", "calls completed" },
    { "calls.failed", "calls failed" },
    { "calls.rejected", "  refused (overload, 503)" },
    { "calls.completion_ratio", "completion ratio" },
    { "latency.setup_ms.mean", "setup latency mean (ms)" },
    { "latency.setup_ms.p95", "setup latency p95 (ms)" },
    { "latency.setup_ms.p95_all", "setup p95, all calls (ms)" },
    { "connections.peak", "connections peak" },
    { "connections.mean", "connections mean" },
    { "connections.opened", "connections opened" },
    { "connections.opened_run", "+  whole run, with warm-up" },
    { "handshakes.tcp", "TCP handshakes" },
    { "handshakes.tls_full", "TLS full handshakes" },
    { "handshakes.tls_resumed", "TLS resumed handshakes" },
    { "handshakes.per_s", "handshakes per second" },
    { "alias.hits", "alias hits" },
    { "requests.hijacked", "requests hijacked" },
    { "cpu.util_max", "CPU utilisation max" },
    { "cpu.crypto_s", "crypto CPU (s)" },
    { "cpu.crypto_cores_per_node", "crypto CPU (cores per node)" },
    { "bytes.wire", "wire bytes" },
    { "memory.conn_bytes_peak", "connection memory peak (B)" },
    { "memory.node_bytes_peak", "server memory peak (B)" },
};

/* Contract. */

/**
 * sim_out_run_keys:
 *
 * Returns: (transfer none): the runs.tsv columns, NULL-terminated.
 */
const char *const *
sim_out_run_keys(void)
{
    return out_keys;
}

/**
 * sim_out_n_run_keys:
 *
 * Returns: the number of runs.tsv columns.
 */
guint
sim_out_n_run_keys(void)
{
    return N_COLUMNS;
}

/**
 * sim_out_run_key_type:
 * @key: a runs.tsv column name
 *
 * Returns: what the column holds, %SIM_OUT_KEY_UNKNOWN if @key is not one
 *   of this version's runs.tsv keys.
 */
SimOutKeyType
sim_out_run_key_type(const char *key)
{
    g_return_val_if_fail(key != NULL, SIM_OUT_KEY_UNKNOWN);
    for (guint i = 0; i < N_COLUMNS; i++) {
        if (!g_str_equal(out_columns[i].key, key))
            continue;
        switch (out_columns[i].type) {
        case OUT_STR:
            return SIM_OUT_KEY_TEXT;
        case OUT_U64:
            return SIM_OUT_KEY_INTEGER;
        case OUT_F64:
        default:
            return SIM_OUT_KEY_REAL;
        }
    }
    return SIM_OUT_KEY_UNKNOWN;
}

/**
 * sim_out_git_revision:
 *
 * Returns: (transfer none): the git revision compiled in via
 *   -DSIM_GIT_REVISION, or "unknown".
 */
const char *
sim_out_git_revision(void)
{
#ifdef SIM_GIT_REVISION
    return SIM_GIT_REVISION;
#else
    return "unknown";
#endif
}

/* Number formatting. */

static void
put_double(GString *s, double v, gboolean json)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    if (!isfinite(v)) {
        g_string_append(s, json ? "null" : "nan");
        return;
    }
    g_string_append(s, g_ascii_formatd(buf, sizeof buf, "%.6f", v));
}

/* @v in decimal (what "%" G_GUINT64_FORMAT prints). */
static void
put_u64(GString *s, guint64 v)
{
    char buf[24];
    char *p = buf + sizeof buf;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    g_string_append_len(s, p, buf + sizeof buf - p);
}

static void
put_json_string(GString *s, const char *str)
{
    g_string_append_c(s, '"');
    const char *p = str ? str : "";
    for (;;) {
        /* The longest run of characters that need no escape, at once. */
        const char *q = p;
        while ((unsigned char)*q >= 0x20 && *q != '"' && *q != '\\')
            q++;
        g_string_append_len(s, p, q - p);
        unsigned char c = (unsigned char)*q;
        if (!c)
            break;
        if (c == '"' || c == '\\')
            g_string_append_printf(s, "\\%c", c);
        else
            g_string_append_printf(s, "\\u%04x", c);
        p = q + 1;
    }
    g_string_append_c(s, '"');
}

/* A TSV field: labels may not hold tabs or newlines. */
static void
put_tsv_string(GString *s, const char *str)
{
    for (const char *p = str ? str : ""; *p; p++)
        g_string_append_c(s, (*p == '\t' || *p == '\n') ? ' ' : *p);
}

static void
put_column(GString *s, const SimRunResult *r, const OutColumn *c,
           const SimOutOptions *opt, gboolean json)
{
    const char *base = (const char *)r;
    switch (c->type) {
    case OUT_STR: {
        const char *v = *(char *const *)(base + c->offset);
        if (json)
            put_json_string(s, v);
        else
            put_tsv_string(s, v);
        break;
    }
    case OUT_U64:
        put_u64(s, *(const guint64 *)(base + c->offset));
        break;
    case OUT_F64: {
        double v = *(const double *)(base + c->offset);
        put_double(s, (c->timing && opt && opt->no_timing) ? 0.0 : v, json);
        break;
    }
    }
}

/* runs.tsv */

/**
 * sim_out_runs_header:
 *
 * Returns: (transfer full): the header line of runs.tsv, newline included.
 */
char *
sim_out_runs_header(void)
{
    static gsize once = 0;
    static char *header = NULL;
    if (g_once_init_enter(&once)) {
        GString *s = g_string_new(NULL);
        for (guint i = 0; i < N_COLUMNS; i++) {
            if (i)
                g_string_append_c(s, '\t');
            g_string_append(s, out_columns[i].key);
        }
        g_string_append_c(s, '\n');
        header = g_string_free(s, FALSE);
        g_once_init_leave(&once, 1);
    }
    return g_strdup(header);
}

/**
 * sim_out_runs_row:
 * @r: a run's result
 * @opt: (nullable): options
 *
 * Returns: (transfer full): the run's runs.tsv line, newline included.
 */
char *
sim_out_runs_row(const SimRunResult *r, const SimOutOptions *opt)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < N_COLUMNS; i++) {
        if (i)
            g_string_append_c(s, '\t');
        put_column(s, r, &out_columns[i], opt, FALSE);
    }
    g_string_append_c(s, '\n');
    return g_string_free(s, FALSE);
}

/* summary.json */

static void
json_key(GString *s, const char *indent, const char *key)
{
    g_string_append(s, ",\n");
    g_string_append(s, indent);
    put_json_string(s, key);
    g_string_append(s, ": ");
}

static void
json_time(GString *s, const char *key, SimTime t)
{
    json_key(s, "    ", key);
    put_double(s, (double)t / 1e9, TRUE);
}

static void
json_meta(GString *s, const SimRunResult *r, const SimOutOptions *opt)
{
    g_string_append(s, "  \"meta\": {\n    \"program\": \"sipreuse\"");
    json_key(s, "    ", "version");
    put_json_string(s, SIM_VERSION);
    json_key(s, "    ", "git_revision");
    put_json_string(s, sim_out_git_revision());
    json_key(s, "    ", "topology");
    put_json_string(s, r->topology);
    json_key(s, "    ", "strategy");
    put_json_string(s, r->strategy);
    json_key(s, "    ", "seed");
    put_u64(s, r->seed);
    json_key(s, "    ", "protocol");
    put_json_string(s, r->protocol);
    json_key(s, "    ", "overrides");
    g_string_append_c(s, '[');
    for (guint i = 0; r->overrides && r->overrides[i]; i++) {
        if (i)
            g_string_append(s, ", ");
        put_json_string(s, r->overrides[i]);
    }
    g_string_append_c(s, ']');
    json_time(s, "duration_s", r->duration);
    json_time(s, "warmup_s", r->warmup);
    json_time(s, "sample_interval_s", r->sample_interval);
    json_key(s, "    ", "pki_verify_time");
    if (r->pki_verify_time)
        put_json_string(s, r->pki_verify_time);
    else
        g_string_append(s, "null");
    json_key(s, "    ", "timing");
    g_string_append(s, opt && opt->no_timing ? "false" : "true");
    json_key(s, "    ", "warnings");
    g_string_append_c(s, '[');
    for (guint i = 0; r->warnings && r->warnings[i]; i++) {
        if (i)
            g_string_append(s, ", ");
        put_json_string(s, r->warnings[i]);
    }
    g_string_append_c(s, ']');
    g_string_append(s, "\n  }");
}

/**
 * sim_out_summary_json:
 * @r: a run's result
 * @opt: (nullable): options
 *
 * One flat object of dotted keys: the runs.tsv keys, the whole-run
 * connection totals, the extras, then "meta".
 *
 * Returns: (transfer full): summary.json, newline-terminated.
 */
char *
sim_out_summary_json(const SimRunResult *r, const SimOutOptions *opt)
{
    GString *s = g_string_new("{\n");
    for (guint i = 0; i < N_COLUMNS; i++) {
        g_string_append(s, i ? ",\n  " : "  ");
        put_json_string(s, out_columns[i].key);
        g_string_append(s, ": ");
        put_column(s, r, &out_columns[i], opt, TRUE);
    }
    for (guint i = 0; r->extra_names && i < r->extra_names->len; i++) {
        double v = g_array_index(r->extra_values, double, i);
        json_key(s, "  ", g_array_index(r->extra_names, char *, i));
        if (g_array_index(r->extra_counts, gboolean, i) && isfinite(v) &&
            v >= 0)
            put_u64(s, (guint64)v);
        else
            put_double(s, v, TRUE);
    }
    g_string_append(s, ",\n");
    json_meta(s, r, opt);
    g_string_append(s, "\n}\n");
    return g_string_free(s, FALSE);
}

/**
 * sim_out_summary_text:
 * @r: a run's result
 * @opt: (nullable): options
 *
 * Returns: (transfer full): a readable two-column table of the run's keys
 *   followed by the per-node table.
 */
char *
sim_out_summary_text(const SimRunResult *r, const SimOutOptions *opt)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < N_COLUMNS; i++) {
        g_string_append_printf(s, "%-32s ", out_columns[i].key);
        put_column(s, r, &out_columns[i], opt, FALSE);
        g_string_append_c(s, '\n');
    }
    if (r->n_nodes) {
        g_string_append_printf(s, "\n%-12s %10s %10s %10s %8s %10s %8s\n",
                               "node", "originated", "received", "requests",
                               "conns", "handshakes", "cpu");
    }
    for (guint i = 0; i < r->n_nodes; i++) {
        const SimNodeResult *n = &r->nodes[i];
        g_string_append_printf(s,
                               "%-12s %10" G_GUINT64_FORMAT
                               " %10" G_GUINT64_FORMAT
                               " %10" G_GUINT64_FORMAT
                               " %8" G_GUINT64_FORMAT
                               " %10" G_GUINT64_FORMAT " %8.3f\n",
                               n->node, n->calls_originated,
                               n->calls_received, n->requests_received,
                               n->connections_peak, n->handshakes,
                               n->cpu_util);
    }
    return g_string_free(s, FALSE);
}

/* Side tables. */

/**
 * sim_out_nodes_tsv:
 * @r: a run's result
 *
 * Returns: (transfer full): nodes.tsv, one row per node in topology order.
 */
char *
sim_out_nodes_tsv(const SimRunResult *r)
{
    GString *s = g_string_new("node\tcalls.originated\tcalls.received\t"
                              "requests.received\tconnections.peak\t"
                              "handshakes\tcpu.util\t"
                              "memory.conn_bytes_peak\tsrv.domain\t"
                              "srv.share\tcalls.attempted\t"
                              "calls.completed\tcalls.failed\t"
                              "calls.cancelled\tcalls.unfinished\t"
                              "sip.sent\tsip.delivered\tsip.dropped\t"
                              "sip.in_flight_end\tresponses.received\t"
                              "calls.rejected\tmemory.node_bytes_peak\n");
    for (guint i = 0; i < r->n_nodes; i++) {
        const SimNodeResult *n = &r->nodes[i];
        put_tsv_string(s, n->node);
        const guint64 counts[] = { n->calls_originated, n->calls_received,
                                   n->requests_received, n->connections_peak,
                                   n->handshakes };
        for (guint k = 0; k < G_N_ELEMENTS(counts); k++) {
            g_string_append_c(s, '\t');
            put_u64(s, counts[k]);
        }
        g_string_append_c(s, '\t');
        put_double(s, n->cpu_util, FALSE);
        g_string_append_c(s, '\t');
        put_u64(s, n->memory_conn_bytes_peak);
        g_string_append_c(s, '\t');
        put_tsv_string(s, n->srv_domain ? n->srv_domain : "-");
        g_string_append_c(s, '\t');
        put_double(s, n->srv_domain ? n->srv_share : NAN, FALSE);
        const guint64 laws[] = { n->calls_attempted, n->calls_completed,
                                 n->calls_failed, n->calls_cancelled,
                                 n->calls_unfinished, n->sip_sent,
                                 n->sip_delivered, n->sip_dropped,
                                 n->sip_in_flight_end,
                                 n->responses_received,
                                 n->calls_rejected,
                                 n->memory_node_bytes_peak };
        for (guint k = 0; k < G_N_ELEMENTS(laws); k++) {
            g_string_append_c(s, '\t');
            put_u64(s, laws[k]);
        }
        g_string_append_c(s, '\n');
    }
    return g_string_free(s, FALSE);
}

/**
 * sim_out_pairs_tsv:
 * @r: a run's result
 *
 * Returns: (transfer full): pairs.tsv: per node (topology order) and peer
 *   (sorted by name, then address), the connections the node opened toward
 *   the peer, in the window and over the whole run.
 */
char *
sim_out_pairs_tsv(const SimRunResult *r)
{
    GString *s = g_string_new("node\tpeer\tpeer_ip\tconnections.opened\t"
                              "connections.opened_run\n");
    for (guint i = 0; i < r->n_pairs; i++) {
        const SimPairResult *p = &r->pairs[i];
        put_tsv_string(s, p->node);
        g_string_append_c(s, '\t');
        put_tsv_string(s, p->peer);
        g_string_append_c(s, '\t');
        put_tsv_string(s, p->peer_ip);
        g_string_append_c(s, '\t');
        put_u64(s, p->connections_opened);
        g_string_append_c(s, '\t');
        put_u64(s, p->connections_opened_run);
        g_string_append_c(s, '\n');
    }
    return g_string_free(s, FALSE);
}

/**
 * sim_out_timeseries_tsv:
 * @r: a run's result
 *
 * Returns: (transfer full): timeseries.tsv (time in seconds).
 */
char *
sim_out_timeseries_tsv(const SimRunResult *r)
{
    GString *s = g_string_new("time_s\topen_connections\tcpu_util\t"
                              "calls_in_progress\topen_connections_max\t"
                              "open_connections_mean\n");
    for (guint i = 0; i < r->n_samples; i++) {
        const SimSample *x = &r->samples[i];
        put_double(s, (double)x->t / 1e9, FALSE);
        g_string_append_c(s, '\t');
        put_u64(s, x->open_connections);
        g_string_append_c(s, '\t');
        put_double(s, x->cpu_util, FALSE);
        g_string_append_c(s, '\t');
        put_u64(s, x->calls_in_progress);
        g_string_append_c(s, '\t');
        put_u64(s, x->open_connections_max);
        g_string_append_c(s, '\t');
        put_double(s, x->open_connections_mean, FALSE);
        g_string_append_c(s, '\n');
    }
    return g_string_free(s, FALSE);
}

/**
 * sim_out_latency_tsv:
 * @r: a run's result
 *
 * Returns: (transfer full): latency.tsv: the set-up latency histogram,
 *   buckets [lo_ms, hi_ms) with their count, the fraction of calls below
 *   the bucket (cdf_lo) and below its upper bound (cdf).
 */
char *
sim_out_latency_tsv(const SimRunResult *r)
{
    GString *s = g_string_new("lo_ms\thi_ms\tcount\tcdf_lo\tcdf\n");
    guint64 total = 0, cum = 0;
    for (guint i = 0; i < r->n_latency; i++)
        total += r->latency[i].count;
    for (guint i = 0; i < r->n_latency; i++) {
        const SimLatencyBucket *b = &r->latency[i];
        put_double(s, (double)b->lo / 1e6, FALSE);
        g_string_append_c(s, '\t');
        put_double(s, (double)b->hi / 1e6, FALSE);
        g_string_append_c(s, '\t');
        put_u64(s, b->count);
        g_string_append_c(s, '\t');
        put_double(s, (double)cum / (double)total, FALSE);
        g_string_append_c(s, '\t');
        cum += b->count;
        put_double(s, (double)cum / (double)total, FALSE);
        g_string_append_c(s, '\n');
    }
    return g_string_free(s, FALSE);
}

/* ---- fingerprints -------------------------------------------------------- */

/* One length-prefixed field of a fingerprint, so that no two different
 * field lists hash the same bytes. */
static void
fingerprint_field(GChecksum *ck, const char *s, gsize len)
{
    guint64 n = GUINT64_TO_LE((guint64)len);
    g_checksum_update(ck, (const guchar *)&n, sizeof n);
    g_checksum_update(ck, (const guchar *)s, len);
}

static void
fingerprint_str(GChecksum *ck, const char *s)
{
    fingerprint_field(ck, s ? s : "", s ? strlen(s) : 0);
}

#ifndef SIM_SOURCE_HASH
/* SHA-256 of this program's executable, "exe:" and 32 hex digits, or
 * NULL (builds without the Makefile's source hash). */
static char *
revision_of_exe(void)
{
    FILE *f = fopen("/proc/self/exe", "rbe");
    if (!f)
        return NULL;
    g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);
    g_autofree guchar *buf = g_malloc(1 << 16);
    size_t n;
    while ((n = fread(buf, 1, 1 << 16, f)) > 0)
        g_checksum_update(ck, buf, n);
    gboolean ok = !ferror(f);
    fclose(f);
    return ok ? g_strdup_printf("exe:%.32s", g_checksum_get_string(ck))
              : NULL;
}
#endif

/**
 * sim_out_revision:
 *
 * What produced a result, for fingerprints and completion markers:
 * "src:" and the hash of the simulator's sources when the build defines
 * SIM_SOURCE_HASH (a hash of every sim/, models/ and run/ source file),
 * else "exe:" and the SHA-256 of the running executable (any rebuild that
 * changes the code changes it), else "git:" and the git revision.
 *
 * Returns: (transfer none): the revision string.
 */
const char *
sim_out_revision(void)
{
    static gsize once = 0;
    static char *revision = NULL;
    if (g_once_init_enter(&once)) {
#ifdef SIM_SOURCE_HASH
        revision = g_strdup("src:" SIM_SOURCE_HASH);
#else
        revision = revision_of_exe();
        if (!revision)
            revision = g_strdup_printf("git:%s", sim_out_git_revision());
#endif
        g_once_init_leave(&once, 1);
    }
    return revision;
}

/**
 * sim_out_files_digest:
 * @topo: a loaded topology
 *
 * The files a topology names and their contents (the cpu profile, the CA
 * and node certificates and keys), as one checksum, so that a fingerprint
 * changes when one of them is edited.  A file that cannot be read counts
 * as its path alone.
 *
 * Returns: (transfer full) (nullable): "sha256:" and 64 hex digits, or
 *   NULL when the topology names no file.
 */
char *
sim_out_files_digest(const SimTopo *topo)
{
    GPtrArray *paths = g_ptr_array_new();
    const char *top[] = { topo->simulation.cpu_profile, topo->pki.ca_file,
                          topo->pki.ca_key_file };
    for (guint i = 0; i < G_N_ELEMENTS(top); i++)
        g_ptr_array_add(paths, (gpointer)top[i]);
    for (guint i = 0; i < topo->n_nodes; i++) {
        g_ptr_array_add(paths, topo->nodes[i].cert_file);
        g_ptr_array_add(paths, topo->nodes[i].key_file);
    }
    g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);
    guint n = 0;
    for (guint i = 0; i < paths->len; i++) {
        const char *p = g_ptr_array_index(paths, i);
        g_autofree char *slot = g_strdup_printf("%u", i);
        fingerprint_str(ck, slot);
        fingerprint_str(ck, p);
        /* A built-in profile's name is no file (a file of that name in
         * the working directory must not change the fingerprint). */
        if (!p || (i == 0 && sim_cpu_profile_is_builtin(p)))
            continue;
        n++;
        g_autofree char *data = NULL;
        gsize len = 0;
        if (sim_input_read_file(p, SIM_INPUT_MAX_TOPOLOGY, &data, &len, NULL))
            fingerprint_field(ck, data, len);
        else
            fingerprint_str(ck, "(unreadable)");
    }
    g_ptr_array_unref(paths);
    return n ? g_strconcat("sha256:", g_checksum_get_string(ck), NULL) : NULL;
}

/**
 * sim_out_fingerprint:
 * @in: what a run depends on
 *
 * What a run's results depend on, as one checksum: the program revision
 * (sim_out_revision() unless @in names one), the topology text as loaded,
 * the digest of the files it names, the overrides, the strategy, the seed
 * and whether the timing columns are written.
 *
 * Returns: (transfer full): "sha256:" and 64 hex digits.
 */
char *
sim_out_fingerprint(const SimOutFingerprint *in)
{
    g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);
    const char *version = "sipreuse " SIM_VERSION " fingerprint 2";
    g_autofree char *s = g_strdup_printf("%" G_GUINT64_FORMAT, in->seed);
    guint n = in->overrides ? g_strv_length((char **)in->overrides) : 0;
    g_autofree char *count = g_strdup_printf("%u overrides", n);
    fingerprint_str(ck, version);
    fingerprint_str(ck, in->revision ? in->revision : sim_out_revision());
    fingerprint_field(ck, in->topo_text ? in->topo_text : "",
                      in->topo_text ? in->topo_len : 0);
    fingerprint_str(ck, in->files_digest);
    fingerprint_str(ck, count);
    for (guint i = 0; i < n; i++)
        fingerprint_str(ck, in->overrides[i]);
    fingerprint_str(ck, in->strategy);
    fingerprint_str(ck, s);
    fingerprint_str(ck, in->no_timing ? "timing off" : "timing on");
    return g_strconcat("sha256:", g_checksum_get_string(ck), NULL);
}

/* TRUE if @text is a whole number (digits only) or, for @real, a decimal
 * number or "nan" as the writers print them. */
static gboolean
out_numeric(const char *text, gboolean real)
{
    if (!*text)
        return FALSE;
    if (real && g_str_equal(text, "nan"))
        return TRUE;
    const char *p = text;
    if (real && *p == '-')
        p++;
    gboolean digits = FALSE, dot = FALSE;
    for (; *p; p++) {
        if (g_ascii_isdigit(*p))
            digits = TRUE;
        else if (real && *p == '.' && !dot)
            dot = TRUE;
        else
            return FALSE;
    }
    return digits;
}

/* Checks the text of a run's runs.tsv and returns its row's fields. */
static char **
out_parse_run_row(const char *path, const char *text, GError **error)
{
    g_autofree char *header = sim_out_runs_header();
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_autofree char *first = lines[0] ? g_strconcat(lines[0], "\n", NULL)
                                      : NULL;
    if (!first || !g_str_equal(first, header) || !lines[1]) {
        g_set_error(error, SIM_OUT_ERROR, SIM_OUT_ERROR_PARSE,
                    "%s: not a runs.tsv of this version", path);
        return NULL;
    }
    if (g_strv_length(lines) != 3 || *lines[2]) {
        g_set_error(error, SIM_OUT_ERROR, SIM_OUT_ERROR_PARSE,
                    "%s: expected a header and one row", path);
        return NULL;
    }
    char **fields = g_strsplit(lines[1], "\t", -1);
    if (g_strv_length(fields) != N_COLUMNS) {
        g_strfreev(fields);
        g_set_error(error, SIM_OUT_ERROR, SIM_OUT_ERROR_PARSE,
                    "%s: row has the wrong number of columns", path);
        return NULL;
    }
    for (guint i = 0; i < N_COLUMNS; i++) {
        if (out_columns[i].type == OUT_STR
                ? *fields[i] != '\0'
                : out_numeric(fields[i], out_columns[i].type == OUT_F64))
            continue;
        g_set_error(error, SIM_OUT_ERROR, SIM_OUT_ERROR_PARSE,
                    "%s: %s is '%s', not a %s", path, out_columns[i].key,
                    fields[i],
                    out_columns[i].type == OUT_STR ? "name" : "number");
        g_strfreev(fields);
        return NULL;
    }
    return fields;
}

/**
 * sim_out_read_run_row:
 * @dir: a complete run's folder
 * @error: return location for a GError
 *
 * Returns: (transfer full): the fields of the run's runs.tsv row, checked
 *   against the current header (every number a number), or NULL with
 *   @error set.
 */
char **
sim_out_read_run_row(const char *dir, GError **error)
{
    g_autofree char *path = g_build_filename(dir, "runs.tsv", NULL);
    g_autofree char *text = NULL;
    if (!sim_input_read_file(path, 1 << 20, &text, NULL, error))
        return NULL;
    return out_parse_run_row(path, text, error);
}

/* Aggregation. */

/* t(0.975, dof) for dof = 1..30. */
static const double out_t975[30] = {
    12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060,
    2.2622, 2.2281, 2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199,
    2.1098, 2.1009, 2.0930, 2.0860, 2.0796, 2.0739, 2.0687, 2.0639,
    2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
};

/**
 * sim_out_t975:
 * @dof: degrees of freedom, at least 1
 *
 * Returns: the 0.975 quantile of Student's t: a table up to 30 degrees of
 *   freedom, the Cornish-Fisher expansion around the normal quantile
 *   beyond (error below 1e-4).
 */
double
sim_out_t975(guint dof)
{
    g_return_val_if_fail(dof >= 1, NAN);
    if (dof <= 30)
        return out_t975[dof - 1];
    const double z = 1.959963985, v = dof;
    double z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z;
    return z + (z3 + z) / (4 * v) + (5 * z5 + 16 * z3 + 3 * z) / (96 * v * v) +
           (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * v * v * v);
}

/**
 * sim_out_stat:
 * @x: values
 * @n: how many
 * @st: (out): their mean, sample standard deviation and 95% confidence
 *   half-width t(0.975, n-1) s / sqrt(n) (0 when n < 2)
 */
void
sim_out_stat(const double *x, guint n, SimOutStat *st)
{
    double sum = 0, ss = 0;
    for (guint i = 0; i < n; i++)
        sum += x[i];
    st->n = n;
    st->mean = n ? sum / n : NAN;
    for (guint i = 0; i < n; i++)
        ss += (x[i] - st->mean) * (x[i] - st->mean);
    st->sd = n > 1 ? sqrt(ss / (n - 1)) : 0.0;
    st->ci95 = n > 1 ? sim_out_t975(n - 1) * st->sd / sqrt(n) : 0.0;
}

static gint
key_index(const char *key)
{
    for (guint i = 0; i < N_COLUMNS; i++)
        if (g_str_equal(out_keys[i], key))
            return (gint)i;
    return -1;
}

/**
 * sim_out_group_stat:
 * @g: a group of runs.tsv rows
 * @key: a numeric runs.tsv key
 * @st: (out): the statistic of @key over the group
 *
 * Returns: FALSE if @key is not a numeric runs.tsv column.
 */
gboolean
sim_out_group_stat(const SimOutGroup *g, const char *key, SimOutStat *st)
{
    gint k = key_index(key);
    if (k < SIM_OUT_N_LABEL_KEYS)
        return FALSE;
    g_autofree double *x = g_new(double, MAX(g->rows->len, 1));
    guint n = 0;
    for (guint i = 0; i < g->rows->len; i++) {
        char **row = g_ptr_array_index(g->rows, i);
        if (g_strv_length(row) != N_COLUMNS)
            continue;
        /* A null (nan) is no sample: it is left out, and st->n says how
         * many runs had one. */
        double v = g_ascii_strtod(row[k], NULL);
        if (!isnan(v))
            x[n++] = v;
    }
    sim_out_stat(x, n, st);
    return TRUE;
}

/* TRUE for a runs.tsv key that may be null (a figure over no samples):
 * the aggregate shows how many runs had a value (KEY.n). */
static gboolean
key_nullable(guint k)
{
    return out_columns[k].type == OUT_F64 && !out_columns[k].timing &&
           (g_str_has_prefix(out_keys[k], "latency.") ||
            g_str_equal(out_keys[k], "calls.completion_ratio"));
}

/**
 * sim_out_aggregate_tsv:
 * @label_names: names of the label columns (NULL-terminated)
 * @groups: the groups, in output order
 * @n_groups: how many
 *
 * Returns: (transfer full): aggregate.tsv: the label columns, n, then
 *   KEY.mean and KEY.ci95 for every numeric runs.tsv key.
 */
char *
sim_out_aggregate_tsv(const char *const *label_names,
                      const SimOutGroup *groups, guint n_groups)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; label_names[i]; i++)
        g_string_append_printf(s, "%s\t", label_names[i]);
    g_string_append(s, "n");
    for (guint k = SIM_OUT_N_LABEL_KEYS; k < N_COLUMNS; k++)
        g_string_append_printf(s, "\t%s.mean\t%s.ci95", out_keys[k],
                               out_keys[k]);
    for (guint k = SIM_OUT_N_LABEL_KEYS; k < N_COLUMNS; k++)
        if (key_nullable(k))
            g_string_append_printf(s, "\t%s.n", out_keys[k]);
    g_string_append_c(s, '\n');
    for (guint gi = 0; gi < n_groups; gi++) {
        const SimOutGroup *g = &groups[gi];
        for (guint i = 0; label_names[i]; i++) {
            put_tsv_string(s, g->labels[i]);
            g_string_append_c(s, '\t');
        }
        g_string_append_printf(s, "%u", g->rows->len);
        for (guint k = SIM_OUT_N_LABEL_KEYS; k < N_COLUMNS; k++) {
            SimOutStat st;
            sim_out_group_stat(g, out_keys[k], &st);
            g_string_append_c(s, '\t');
            put_double(s, st.mean, FALSE);
            g_string_append_c(s, '\t');
            put_double(s, st.ci95, FALSE);
        }
        for (guint k = SIM_OUT_N_LABEL_KEYS; k < N_COLUMNS; k++) {
            if (!key_nullable(k))
                continue;
            SimOutStat st;
            sim_out_group_stat(g, out_keys[k], &st);
            g_string_append_printf(s, "\t%u", st.n);
        }
        g_string_append_c(s, '\n');
    }
    return g_string_free(s, FALSE);
}

/* "mean ± ci"; "null" when no run had a value, and "(n=K)" after it
 * when only K of the group's @runs had one. */
static char *
compare_cell(const SimOutStat *st, guint runs)
{
    if (st->n == 0)
        return g_strdup("null");
    char m[G_ASCII_DTOSTR_BUF_SIZE], c[G_ASCII_DTOSTR_BUF_SIZE];
    const char *fmt = fabs(st->mean) >= 1000 ? "%.0f" : "%.3f";
    g_ascii_formatd(m, sizeof m, fmt, st->mean);
    g_ascii_formatd(c, sizeof c, fmt, st->ci95);
    if (st->n < runs)
        return g_strdup_printf("%s ± %s (n=%u)", m, c, st->n);
    return g_strdup_printf("%s ± %s", m, c);
}

static void
pad_utf8(GString *s, const char *text, glong width)
{
    glong len = g_utf8_strlen(text, -1);
    for (glong i = len; i < width; i++)
        g_string_append_c(s, ' ');
    g_string_append(s, text);
}

/**
 * sim_out_seconds_text:
 * @t: a duration
 *
 * Returns: (transfer full): @t in seconds as a person writes it: "10",
 *   "2.5", "0.001" (at most six significant digits, no trailing zeros).
 */
char *
sim_out_seconds_text(SimTime t)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    return g_strdup(g_ascii_formatd(buf, sizeof buf, "%.6g", (double)t / 1e9));
}

/**
 * sim_out_compare_text:
 * @groups: one group per strategy (labels[0] is its name)
 * @n_groups: how many
 * @warmup: the runs' warm-up (0: none)
 *
 * Returns: (transfer full): the side-by-side table of `sipreuse compare`:
 *   key metrics as rows, strategies as columns, "mean ± 95% CI".  With a
 *   warm-up, a first line says the figures cover the window after it, and
 *   whole-run counts follow their window counts.
 */
char *
sim_out_compare_text(const SimOutGroup *groups, guint n_groups,
                     SimTime warmup)
{
    const guint n_rows = G_N_ELEMENTS(out_compare_rows);
    g_autofree char **cells = g_new0(char *, n_rows * n_groups + 1);
    g_autofree glong *width = g_new0(glong, n_groups);
    for (guint g = 0; g < n_groups; g++) {
        width[g] = g_utf8_strlen(groups[g].labels[0], -1);
        for (guint r = 0; r < n_rows; r++) {
            SimOutStat st;
            if (out_compare_rows[r][1][0] == '+' && warmup == 0)
                continue;
            sim_out_group_stat(&groups[g], out_compare_rows[r][0], &st);
            cells[r * n_groups + g] = compare_cell(&st, groups[g].rows->len);
            width[g] = MAX(width[g],
                           g_utf8_strlen(cells[r * n_groups + g], -1));
        }
    }
    GString *s = g_string_new(NULL);
    if (warmup > 0) {
        g_autofree char *w = sim_out_seconds_text(warmup);
        g_string_append_printf(s, "measured after %s s warm-up (whole-run "
                                  "rows include it)\n", w);
    }
    /* 29 columns: "±" is two bytes but one column wide. */
    g_string_append_printf(s, "%-29s", "mean ± 95% CI");
    for (guint g = 0; g < n_groups; g++) {
        g_string_append(s, "  ");
        pad_utf8(s, groups[g].labels[0], width[g]);
    }
    g_string_append_printf(s, "\n%-28s", "runs");
    for (guint g = 0; g < n_groups; g++) {
        g_autofree char *n = g_strdup_printf("%u", groups[g].rows->len);
        g_string_append(s, "  ");
        pad_utf8(s, n, width[g]);
    }
    for (guint r = 0; r < n_rows; r++) {
        const char *label = out_compare_rows[r][1];
        if (label[0] == '+') {
            if (warmup == 0)
                continue;
            label++;
        }
        g_string_append_printf(s, "\n%-28s", label);
        for (guint g = 0; g < n_groups; g++) {
            g_string_append(s, "  ");
            pad_utf8(s, cells[r * n_groups + g], width[g]);
            g_free(cells[r * n_groups + g]);
        }
    }
    g_string_append_c(s, '\n');
    return g_string_free(s, FALSE);
}
