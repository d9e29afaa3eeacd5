/* SPDX-License-Identifier: MIT */
/*
 * The result formats of DESIGN.md section 8, written from a SimRunResult:
 * one fixed runs.tsv schema (the contract keys, in contract order), a
 * summary.json with every key plus the extras and a "meta" object, the
 * per-node, time-series and latency-histogram tables, and the aggregate of
 * many runs with Student-t 95% confidence intervals.  Doubles are printed
 * with g_ascii_formatd("%.6f"), which ignores the locale, so a run's bytes
 * depend only on its values.  Files are replaced by rename(2) of a complete
 * temporary file (g_file_set_contents_full, CONSISTENT mode); the
 * completion marker of a run folder is written last.
 */
#define G_LOG_DOMAIN "sim-out"

#include "run/out.h"
#include "run/status.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stddef.h>
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
    NULL,
};

/* The rows of the compare table: (key, label). */
static const char *const out_compare_rows[][2] = {
    { "calls.completed", "calls completed" },
    { "calls.failed", "calls failed" },
    { "latency.setup_ms.mean", "setup latency mean (ms)" },
    { "latency.setup_ms.p95", "setup latency p95 (ms)" },
    { "connections.peak", "connections peak" },
    { "connections.mean", "connections mean" },
    { "handshakes.tcp", "TCP handshakes" },
    { "handshakes.tls_full", "TLS full handshakes" },
    { "handshakes.tls_resumed", "TLS resumed handshakes" },
    { "alias.hits", "alias hits" },
    { "requests.hijacked", "requests hijacked" },
    { "cpu.util_max", "CPU utilisation max" },
    { "cpu.crypto_s", "crypto CPU (s)" },
    { "bytes.wire", "wire bytes" },
    { "memory.conn_bytes_peak", "connection memory peak (B)" },
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

static void
put_json_string(GString *s, const char *str)
{
    g_string_append_c(s, '"');
    for (const char *p = str ? str : ""; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\')
            g_string_append_printf(s, "\\%c", c);
        else if (c < 0x20)
            g_string_append_printf(s, "\\u%04x", c);
        else
            g_string_append_c(s, (char)c);
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
        g_string_append_printf(s, "%" G_GUINT64_FORMAT,
                               *(const guint64 *)(base + c->offset));
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
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < N_COLUMNS; i++)
        g_string_append_printf(s, "%s%s", i ? "\t" : "", out_columns[i].key);
    g_string_append_c(s, '\n');
    return g_string_free(s, FALSE);
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
    g_string_append_printf(s, ",\n%s", indent);
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
    g_string_append_printf(s, "%" G_GUINT64_FORMAT, r->seed);
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
    json_key(s, "  ", "connections.opened_run");
    g_string_append_printf(s, "%" G_GUINT64_FORMAT, r->connections_opened_run);
    json_key(s, "  ", "connections.closed_run");
    g_string_append_printf(s, "%" G_GUINT64_FORMAT, r->connections_closed_run);
    for (guint i = 0; r->extra_names && i < r->extra_names->len; i++) {
        double v = g_array_index(r->extra_values, double, i);
        json_key(s, "  ", g_array_index(r->extra_names, char *, i));
        if (g_array_index(r->extra_counts, gboolean, i) && isfinite(v) &&
            v >= 0)
            g_string_append_printf(s, "%" G_GUINT64_FORMAT, (guint64)v);
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
                              "srv.share\n");
    for (guint i = 0; i < r->n_nodes; i++) {
        const SimNodeResult *n = &r->nodes[i];
        put_tsv_string(s, n->node);
        g_string_append_printf(s,
                               "\t%" G_GUINT64_FORMAT "\t%" G_GUINT64_FORMAT
                               "\t%" G_GUINT64_FORMAT "\t%" G_GUINT64_FORMAT
                               "\t%" G_GUINT64_FORMAT "\t",
                               n->calls_originated, n->calls_received,
                               n->requests_received, n->connections_peak,
                               n->handshakes);
        put_double(s, n->cpu_util, FALSE);
        g_string_append_printf(s, "\t%" G_GUINT64_FORMAT "\t",
                               n->memory_conn_bytes_peak);
        put_tsv_string(s, n->srv_domain ? n->srv_domain : "-");
        g_string_append_c(s, '\t');
        put_double(s, n->srv_domain ? n->srv_share : NAN, FALSE);
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
        g_string_append_printf(s, "\t%" G_GUINT64_FORMAT
                                  "\t%" G_GUINT64_FORMAT "\n",
                               p->connections_opened,
                               p->connections_opened_run);
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
                              "calls_in_progress\n");
    for (guint i = 0; i < r->n_samples; i++) {
        const SimSample *x = &r->samples[i];
        put_double(s, (double)x->t / 1e9, FALSE);
        g_string_append_printf(s, "\t%" G_GUINT64_FORMAT "\t",
                               x->open_connections);
        put_double(s, x->cpu_util, FALSE);
        g_string_append_printf(s, "\t%" G_GUINT64_FORMAT "\n",
                               x->calls_in_progress);
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
        g_string_append_printf(s, "\t%" G_GUINT64_FORMAT "\t", b->count);
        put_double(s, (double)cum / (double)total, FALSE);
        g_string_append_c(s, '\t');
        cum += b->count;
        put_double(s, (double)cum / (double)total, FALSE);
        g_string_append_c(s, '\n');
    }
    return g_string_free(s, FALSE);
}

/* Files. */

/**
 * sim_out_write_file:
 * @path: file to replace
 * @contents: its new contents (a C string)
 * @error: return location for a GError
 *
 * Writes @contents to a temporary file beside @path and renames it over
 * @path: readers see the old file or the new one, never a mix, and a
 * failure leaves no temporary file behind.
 *
 * Returns: TRUE on success.
 */
gboolean
sim_out_write_file(const char *path, const char *contents, GError **error)
{
    return g_file_set_contents_full(path, contents, -1,
                                    G_FILE_SET_CONTENTS_CONSISTENT |
                                        G_FILE_SET_CONTENTS_ONLY_EXISTING,
                                    0644, error);
}

static gboolean
write_owned(const char *dir, const char *name, char *contents,
            GError **error)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autofree char *owned = contents;
    return sim_out_write_file(path, owned, error);
}

/**
 * sim_out_write_run:
 * @r: a run's result
 * @dir: the run's folder (created with its parents)
 * @opt: (nullable): options
 * @error: return location for a GError
 *
 * Writes summary.json, runs.tsv (header and one row), nodes.tsv,
 * pairs.tsv, timeseries.tsv and latency.tsv, then the completion marker, each
 * atomically.  An older marker is removed first, so a folder is marked
 * complete only when all its files belong to one run.
 *
 * Returns: TRUE on success.
 */
gboolean
sim_out_write_run(const SimRunResult *r, const char *dir,
                  const SimOutOptions *opt, GError **error)
{
    g_autofree char *marker = g_build_filename(dir, SIM_OUT_COMPLETE, NULL);
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                    "cannot create %s: %s", dir, g_strerror(e));
        return FALSE;
    }
    if (g_unlink(marker) != 0 && errno != ENOENT) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                    "cannot remove %s: %s", marker, g_strerror(e));
        return FALSE;
    }
    g_autofree char *header = sim_out_runs_header();
    g_autofree char *row = sim_out_runs_row(r, opt);
    if (!write_owned(dir, "summary.json", sim_out_summary_json(r, opt),
                     error) ||
        !write_owned(dir, "runs.tsv", g_strconcat(header, row, NULL),
                     error) ||
        !write_owned(dir, "nodes.tsv", sim_out_nodes_tsv(r), error) ||
        !write_owned(dir, "pairs.tsv", sim_out_pairs_tsv(r), error) ||
        !write_owned(dir, "timeseries.tsv", sim_out_timeseries_tsv(r),
                     error) ||
        !write_owned(dir, "latency.tsv", sim_out_latency_tsv(r), error))
        return FALSE;
    g_autofree char *done = opt && opt->fingerprint
                                ? g_strdup_printf("complete\nfingerprint %s\n",
                                                  opt->fingerprint)
                                : g_strdup("complete\n");
    return sim_out_write_file(marker, done, error);
}

/* One length-prefixed field of a fingerprint, so that no two different
 * field lists hash the same bytes. */
static void
fingerprint_field(GChecksum *ck, const char *s, gsize len)
{
    guint64 n = GUINT64_TO_LE((guint64)len);
    g_checksum_update(ck, (const guchar *)&n, sizeof n);
    g_checksum_update(ck, (const guchar *)s, len);
}

/**
 * sim_out_fingerprint:
 * @topo_text: the topology file's text as loaded (before overrides)
 * @topo_len: its length in bytes
 * @overrides: (nullable): the run's --set overrides, in order
 * @strategy: the run's strategy
 * @seed: the run's seed
 *
 * What a run's results depend on, as one checksum: the program version, the
 * topology text, the overrides, the strategy and the seed.  Files the
 * topology names (certificates, a cpu profile) are not included.
 *
 * Returns: (transfer full): "sha256:" and 64 hex digits.
 */
char *
sim_out_fingerprint(const char *topo_text, gsize topo_len,
                    const char *const *overrides, const char *strategy,
                    guint64 seed)
{
    g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);
    const char *version = "sipreuse " SIM_VERSION;
    g_autofree char *s = g_strdup_printf("%" G_GUINT64_FORMAT, seed);
    guint n = overrides ? g_strv_length((char **)overrides) : 0;
    g_autofree char *count = g_strdup_printf("%u overrides", n);
    fingerprint_field(ck, version, strlen(version));
    fingerprint_field(ck, topo_text ? topo_text : "", topo_text ? topo_len : 0);
    fingerprint_field(ck, count, strlen(count));
    for (guint i = 0; i < n; i++)
        fingerprint_field(ck, overrides[i], strlen(overrides[i]));
    fingerprint_field(ck, strategy, strlen(strategy));
    fingerprint_field(ck, s, strlen(s));
    return g_strconcat("sha256:", g_checksum_get_string(ck), NULL);
}

/**
 * sim_out_run_fingerprint:
 * @dir: a run's folder
 *
 * Returns: (transfer full) (nullable): the fingerprint recorded in the
 *   folder's completion marker, or NULL (no marker, or a marker written
 *   without one).
 */
char *
sim_out_run_fingerprint(const char *dir)
{
    g_autofree char *marker = g_build_filename(dir, SIM_OUT_COMPLETE, NULL);
    g_autofree char *text = NULL;
    if (!g_file_get_contents(marker, &text, NULL, NULL))
        return NULL;
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++)
        if (g_str_has_prefix(lines[i], "fingerprint "))
            return g_strdup(g_strstrip(lines[i] + strlen("fingerprint ")));
    return NULL;
}

/**
 * sim_out_run_complete:
 * @dir: a run's folder
 *
 * Returns: TRUE if the folder holds a complete run (its marker exists).
 */
gboolean
sim_out_run_complete(const char *dir)
{
    g_autofree char *marker = g_build_filename(dir, SIM_OUT_COMPLETE, NULL);
    return g_file_test(marker, G_FILE_TEST_IS_REGULAR);
}

/**
 * sim_out_read_run_row:
 * @dir: a complete run's folder
 * @error: return location for a GError
 *
 * Returns: (transfer full): the fields of the run's runs.tsv row, checked
 *   against the current header, or NULL with @error set.
 */
char **
sim_out_read_run_row(const char *dir, GError **error)
{
    g_autofree char *path = g_build_filename(dir, "runs.tsv", NULL);
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, error))
        return NULL;
    g_autofree char *header = sim_out_runs_header();
    g_auto(GStrv) lines = g_strsplit(text, "\n", 3);
    g_autofree char *first = lines[0] ? g_strconcat(lines[0], "\n", NULL)
                                      : NULL;
    if (!first || !g_str_equal(first, header) || !lines[1]) {
        g_set_error(error, SIM_OUT_ERROR, SIM_OUT_ERROR_PARSE,
                    "%s: not a runs.tsv of this version", path);
        return NULL;
    }
    char **fields = g_strsplit(lines[1], "\t", -1);
    if (g_strv_length(fields) != N_COLUMNS) {
        g_strfreev(fields);
        g_set_error(error, SIM_OUT_ERROR, SIM_OUT_ERROR_PARSE,
                    "%s: row has the wrong number of columns", path);
        return NULL;
    }
    return fields;
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
        if (g_strv_length(row) == N_COLUMNS)
            x[n++] = g_ascii_strtod(row[k], NULL);
    }
    sim_out_stat(x, n, st);
    return TRUE;
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
        g_string_append_c(s, '\n');
    }
    return g_string_free(s, FALSE);
}

static char *
compare_cell(const SimOutStat *st)
{
    char m[G_ASCII_DTOSTR_BUF_SIZE], c[G_ASCII_DTOSTR_BUF_SIZE];
    const char *fmt = fabs(st->mean) >= 1000 ? "%.0f" : "%.3f";
    g_ascii_formatd(m, sizeof m, fmt, st->mean);
    g_ascii_formatd(c, sizeof c, fmt, st->ci95);
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
 * sim_out_compare_text:
 * @groups: one group per strategy (labels[0] is its name)
 * @n_groups: how many
 *
 * Returns: (transfer full): the side-by-side table of `sipreuse compare`:
 *   key metrics as rows, strategies as columns, "mean ± 95% CI".
 */
char *
sim_out_compare_text(const SimOutGroup *groups, guint n_groups)
{
    const guint n_rows = G_N_ELEMENTS(out_compare_rows);
    g_autofree char **cells = g_new0(char *, n_rows * n_groups + 1);
    g_autofree glong *width = g_new0(glong, n_groups);
    for (guint g = 0; g < n_groups; g++) {
        width[g] = g_utf8_strlen(groups[g].labels[0], -1);
        for (guint r = 0; r < n_rows; r++) {
            SimOutStat st;
            sim_out_group_stat(&groups[g], out_compare_rows[r][0], &st);
            cells[r * n_groups + g] = compare_cell(&st);
            width[g] = MAX(width[g],
                           g_utf8_strlen(cells[r * n_groups + g], -1));
        }
    }
    GString *s = g_string_new(NULL);
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
        g_string_append_printf(s, "\n%-28s", out_compare_rows[r][1]);
        for (guint g = 0; g < n_groups; g++) {
            g_string_append(s, "  ");
            pad_utf8(s, cells[r * n_groups + g], width[g]);
            g_free(cells[r * n_groups + g]);
        }
    }
    g_string_append_c(s, '\n');
    return g_string_free(s, FALSE);
}
