/* SPDX-License-Identifier: MIT */
/*
 * Tests of the world builder in whole runs: the strategy applicability rules and errors, determinism (same topology,
 * strategy and seed give the same bytes in every output but the wall
 * clock), the results contract and the run invariants (one sample per
 * second, connections opened = closed + open at the end), warm-up, a
 * crashed node's peers reaching it again, and every sample topology with
 * every applicable strategy.
 */
#include "models/strategy/strategy.h"
#include "run/out.h"
#include "run/world.h"

#include <math.h>
#include <string.h>

/* ---- Whole runs ---------------------------------------------------------- */

/* A small string topology: A serves a.test, B serves b.test, 50 ms apart;
 * calls both ways.  %s is the protocol. */
static const char world_pair_fmt[] =
    "[simulation]\nduration = 20s\nseed = 3\n"
    "[transport]\nprotocol = %s\n"
    "[network]\ndefault-delay = 25ms\n"
    "[domain a.test]\n[domain b.test]\n"
    "[node A]\nhost = pa.a.test\naddress = 10.1.0.1\ndomains = a.test\n"
    "[node B]\nhost = pb.b.test\naddress = 10.2.0.1\ndomains = b.test\n"
    "[traffic ab]\nfrom = a.test\nto = b.test\nrate = 5\nhold = 2s\n"
    "[traffic ba]\nfrom = b.test\nto = a.test\nrate = 5\nhold = 2s\n"
    "bye-by = random\n";

static SimTopo *
world_pair(const char *protocol, const char *const *overrides)
{
    g_autofree char *text = g_strdup_printf(world_pair_fmt, protocol);
    g_autoptr(GError) error = NULL;
    SimTopo *topo = sim_topo_load_data("pair-test", text, strlen(text),
                                       overrides, &error);
    g_assert_no_error(error);
    return topo;
}

static SimRunResult *
world_run_ok(const SimTopo *topo, const char *strategy, guint64 seed)
{
    SimRunOptions opt = { .strategy = strategy, .seed = seed,
                          .seed_set = seed != 0 };
    g_autoptr(GError) error = NULL;
    SimRunResult *r = sim_world_run(topo, &opt, &error);
    g_assert_no_error(error);
    g_assert_nonnull(r);
    return r;
}

/* Every field of the results contract is filled and consistent. */
static void
check_contract(const SimTopo *topo, const SimRunResult *r,
               const char *strategy)
{
    g_assert_cmpstr(r->topology, ==, topo->name);
    g_assert_cmpstr(r->strategy, ==, strategy);
    g_assert_cmpstr(r->protocol, ==,
                    sim_protocol_name(topo->transport.protocol));
    g_assert_nonnull(r->overrides);
    g_assert_cmpuint(r->duration, ==, topo->simulation.duration);
    /* Outcomes count in the window of their attempt (warm-up too). */
    g_assert_cmpuint(r->calls_completed + r->calls_failed, <=,
                     r->calls_attempted);
    /* No completed call: no latency at all (null, never 0). */
    if (r->calls_completed == 0) {
        g_assert_true(isnan(r->latency_setup_ms_p50));
        g_assert_true(isnan(r->latency_setup_ms_max));
    } else {
        g_assert_cmpfloat(r->latency_setup_ms_p50, <=,
                          r->latency_setup_ms_p95);
        g_assert_cmpfloat(r->latency_setup_ms_p95, <=,
                          r->latency_setup_ms_p99);
        g_assert_cmpfloat(r->latency_setup_ms_p99, <=,
                          r->latency_setup_ms_max * 1.01);
    }
    g_assert_cmpuint(r->connections_peak, >=, r->connections_per_node_peak_max
                     > 0 ? 1 : 0);
    g_assert_cmpfloat(r->connections_mean, <=, r->connections_peak + 1e-9);
    g_assert_cmpfloat(r->cpu_util_max, >=, 0);
    g_assert_cmpfloat(r->cpu_util_max, <=, 1.0 + 1e-9);
    g_assert_cmpuint(r->sim_events, >, 0);
    /* Per node, topology order. */
    g_assert_cmpuint(r->n_nodes, ==, topo->n_nodes);
    for (guint i = 0; i < r->n_nodes; i++)
        g_assert_cmpstr(r->nodes[i].node, ==, topo->nodes[i].name);
    /* One sample per second from 0 to the end, times increasing. */
    g_assert_cmpuint(r->sample_interval, ==, SIM_S(1));
    g_assert_cmpuint(r->n_samples, ==,
                     topo->simulation.duration / SIM_S(1) + 1);
    for (guint i = 0; i < r->n_samples; i++) {
        g_assert_cmpuint(r->samples[i].t, ==, i * SIM_S(1));
        g_assert_cmpfloat(r->samples[i].cpu_util, <=, 1.0);
    }
    /* Latency buckets: increasing, non-empty, counting the window. */
    guint64 n = 0;
    for (guint i = 0; i < r->n_latency; i++) {
        g_assert_cmpuint(r->latency[i].lo, <, r->latency[i].hi);
        g_assert_cmpuint(r->latency[i].count, >, 0);
        if (i)
            g_assert_cmpuint(r->latency[i].lo, >=, r->latency[i - 1].hi);
        n += r->latency[i].count;
    }
    g_assert_cmpuint(n, <=, r->calls_completed);
    /* Every connection is accounted for: opened = closed + open at end. */
    g_assert_cmpuint(r->connections_opened_run, ==,
                     r->connections_closed_run +
                         r->samples[r->n_samples - 1].open_connections);
}

/* Random streams belong to model instances, not to addresses (DESIGN 3):
 * an idle node listed first shifts every address assigned in file order,
 * yet a lossy, jittery run between the other two draws exactly the same
 * numbers, so every result is the same. */
static void
test_streams_by_node(void)
{
    static const char fmt[] =
        "[simulation]\nduration = 30s\nseed = 7\n"
        "[transport]\nprotocol = tcp\n"
        "[network]\ndefault-delay = 20ms\njitter = 5ms\nloss = 0.02\n"
        "[domain a.test]\n[domain b.test]\n%s"
        "[node A]\nhost = pa.a.test\ndomains = a.test\n"
        "[node B]\nhost = pb.b.test\ndomains = b.test\n"
        "[traffic ab]\nfrom = a.test\nto = b.test\nrate = 20\nhold = 1s\n";
    const char *idle = "[node Z]\nhost = pz.z.test\n";
    SimRunResult *r[2];
    for (guint i = 0; i < 2; i++) {
        g_autofree char *text = g_strdup_printf(fmt, i ? idle : "");
        g_autoptr(GError) error = NULL;
        g_autoptr(SimTopo) topo = sim_topo_load_data("streams", text,
                                                     strlen(text), NULL,
                                                     &error);
        g_assert_no_error(error);
        r[i] = world_run_ok(topo, "rfc3261", 0);
    }
    g_assert_cmpuint(r[0]->calls_completed, >, 0);
    g_assert_cmpuint(r[0]->calls_attempted, ==, r[1]->calls_attempted);
    g_assert_cmpuint(r[0]->calls_completed, ==, r[1]->calls_completed);
    g_assert_cmpuint(r[0]->bytes_wire, ==, r[1]->bytes_wire);
    g_assert_cmpfloat(r[0]->latency_setup_ms_mean, ==,
                      r[1]->latency_setup_ms_mean);
    g_assert_cmpfloat(r[0]->latency_setup_ms_max, ==,
                      r[1]->latency_setup_ms_max);
    /* Loss did bite: some segment was retransmitted. */
    g_assert_cmpfloat(r[0]->latency_setup_ms_max, >, 1000);
    for (guint i = 0; i < 2; i++)
        sim_run_result_free(r[i]);
}

static gint
path_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sample topologies, sorted. */
static char **
world_topology_files(void)
{
    const char *src = g_getenv("SIPREUSE_SRCDIR");
    g_autofree char *dir = g_build_filename(src ? src : ".", "topologies",
                                            NULL);
    g_autoptr(GPtrArray) files = g_ptr_array_new();
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d)))
        if (g_str_has_suffix(name, ".topo"))
            g_ptr_array_add(files, g_build_filename(dir, name, NULL));
    g_ptr_array_sort(files, path_cmp);
    g_ptr_array_add(files, NULL);
    return (char **)g_ptr_array_free(g_steal_pointer(&files), FALSE);
}

/* Overrides that shorten the run in @file to 4 s with a 1 s warm-up; its
 * faults move to 2 s for 1 s, so that they still fire (a fault at or after
 * the end of the run is an error). */
static char **
world_shorten(const char *file)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_assert_true(g_key_file_load_from_file(kf, file, G_KEY_FILE_NONE, NULL));
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    GPtrArray *ov = g_ptr_array_new();
    g_ptr_array_add(ov, g_strdup("simulation.duration=4s"));
    g_ptr_array_add(ov, g_strdup("simulation.warmup=1s"));
    for (guint i = 0; groups[i]; i++) {
        if (!g_str_has_prefix(groups[i], "fault "))
            continue;
        const char *name = groups[i] + strlen("fault ");
        g_ptr_array_add(ov, g_strdup_printf("fault.%s.at=2s", name));
        g_ptr_array_add(ov, g_strdup_printf("fault.%s.duration=1s", name));
    }
    g_ptr_array_add(ov, NULL);
    return (char **)g_ptr_array_free(ov, FALSE);
}

/* Every sample topology runs with every applicable strategy (4 s of
 * simulated time, 1 s warm-up); inapplicable ones are refused. */
static void
test_topologies(void)
{
    g_auto(GStrv) files = world_topology_files();
    g_assert_nonnull(files[0]);
    for (guint f = 0; files[f]; f++) {
        g_autoptr(GError) error = NULL;
        g_auto(GStrv) shorten = world_shorten(files[f]);
        g_autoptr(SimTopo) topo = sim_topo_load(
            files[f], (const char *const *)shorten, &error);
        g_assert_no_error(error);
        const SimStrategyOps *const *all = sim_strategy_all();
        for (guint s = 0; all[s]; s++) {
            const char *name = all[s]->name;
            SimRunOptions opt = { .strategy = name };
            g_test_message("%s with %s", files[f], name);
            g_autoptr(SimRunResult) r = sim_world_run(topo, &opt, &error);
            if (!sim_world_strategy_applicable(topo, name)) {
                g_assert_error(error, SIM_WORLD_ERROR,
                               SIM_WORLD_ERROR_NOT_APPLICABLE);
                g_assert_null(r);
                g_clear_error(&error);
                continue;
            }
            g_assert_no_error(error);
            check_contract(topo, r, name);
        }
    }
}

/* reuse and virtual-server need TLS; two-connection any reliable
 * transport; the others run everywhere; unknown names nowhere. */
static void
test_applicable(void)
{
    static const struct {
        const char *proto, *strategy;
        gboolean ok;
    } cases[] = {
        { "tls", "reuse", TRUE },
        { "tls-sctp", "reuse", TRUE },
        { "tcp", "reuse", FALSE },
        { "udp", "virtual-server", FALSE },
        { "tls", "virtual-server", TRUE },
        { "tcp", "two-connection", TRUE },
        { "sctp", "two-connection", TRUE },
        { "udp", "two-connection", FALSE },
        { "udp", "rfc3261", TRUE },
        { "sctp", "per-transaction", TRUE },
        { "tcp", "reuse-unauthenticated", TRUE },
        { "tls", "no-such-strategy", FALSE },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(SimTopo) topo = world_pair(cases[i].proto, NULL);
        g_assert_cmpint(sim_world_strategy_applicable(topo,
                                                      cases[i].strategy),
                        ==, cases[i].ok);
    }
}

/* Long runs sample their time series less often: at most 10,000
 * intervals of 1, 2 or 5 times a power of ten seconds; an idle node for a
 * million seconds costs 10,001 rows, not a million. */
static void
test_long_run(void)
{
    g_assert_cmpuint(sim_world_sample_interval(SIM_S(60)), ==, SIM_S(1));
    g_assert_cmpuint(sim_world_sample_interval(SIM_S(10000)), ==, SIM_S(1));
    g_assert_cmpuint(sim_world_sample_interval(SIM_S(10001)), ==, SIM_S(2));
    g_assert_cmpuint(sim_world_sample_interval(SIM_S(45000)), ==, SIM_S(5));
    g_assert_cmpuint(sim_world_sample_interval(SIM_S(1000000)), ==,
                     SIM_S(100));
    g_assert_cmpuint(sim_world_sample_interval(SIM_S(365 * 86400)), ==,
                     SIM_S(5000));
    const char *text = "[simulation]\nduration = 1000000s\n"
                       "[transport]\nprotocol = tcp\n[node a]\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) topo = sim_topo_load_data("long", text, strlen(text),
                                                 NULL, &error);
    g_assert_no_error(error);
    SimRunOptions opt = { .strategy = "rfc3261" };
    g_autoptr(SimRunResult) r = sim_world_run(topo, &opt, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(r->sample_interval, ==, SIM_S(100));
    g_assert_cmpuint(r->n_samples, ==, 10001);
    g_assert_cmpuint(r->samples[r->n_samples - 1].t, ==, SIM_S(1000000));
}

static void
test_errors(void)
{
    g_autoptr(SimTopo) tcp = world_pair("tcp", NULL);
    g_autoptr(GError) error = NULL;
    SimRunOptions opt = { .strategy = "no-such-strategy" };
    g_assert_null(sim_world_run(tcp, &opt, &error));
    g_assert_error(error, SIM_WORLD_ERROR, SIM_WORLD_ERROR_STRATEGY);
    /* The message lists the valid names. */
    g_assert_nonnull(strstr(error->message, "rfc3261"));
    g_clear_error(&error);
    opt.strategy = "reuse";
    g_assert_null(sim_world_run(tcp, &opt, &error));
    g_assert_error(error, SIM_WORLD_ERROR, SIM_WORLD_ERROR_NOT_APPLICABLE);
}

/* Every output of a run but the wall-clock fields, as one string. */
static char *
world_fingerprint(const SimRunResult *r)
{
    SimOutOptions o = { .no_timing = TRUE };
    g_autofree char *row = sim_out_runs_row(r, &o);
    g_autofree char *json = sim_out_summary_json(r, &o);
    g_autofree char *nodes = sim_out_nodes_tsv(r);
    g_autofree char *pairs = sim_out_pairs_tsv(r);
    g_autofree char *ts = sim_out_timeseries_tsv(r);
    g_autofree char *lat = sim_out_latency_tsv(r);
    return g_strconcat(row, json, nodes, pairs, ts, lat, NULL);
}

/* Same topology, strategy and seed: identical results; another seed
 * draws other arrivals. */
static void
test_determinism(void)
{
    static const char *const protos[] = { "tcp", "tls" };
    for (guint i = 0; i < G_N_ELEMENTS(protos); i++) {
        g_autoptr(SimTopo) topo = world_pair(protos[i], NULL);
        g_autoptr(SimRunResult) a = world_run_ok(topo, "rfc3261", 5);
        g_autoptr(SimRunResult) b = world_run_ok(topo, "rfc3261", 5);
        g_autoptr(SimRunResult) c = world_run_ok(topo, "rfc3261", 6);
        g_autofree char *fa = world_fingerprint(a);
        g_autofree char *fb = world_fingerprint(b);
        g_autofree char *fc = world_fingerprint(c);
        g_assert_cmpstr(fa, ==, fb);
        g_assert_cmpstr(fa, !=, fc);
        check_contract(topo, a, "rfc3261");
    }
}

/* Warm-up: window statistics exclude it, run totals do not. */
static void
test_warmup(void)
{
    static const char *const warm[] = { "simulation.warmup=10s", NULL };
    g_autoptr(SimTopo) topo = world_pair("tcp", warm);
    g_autoptr(SimRunResult) r = world_run_ok(topo, "rfc3261", 0);
    check_contract(topo, r, "rfc3261");
    g_assert_cmpuint(r->warmup, ==, SIM_S(10));
    /* Calls both ways start the two connections within the first
     * second (probability 1 - e^-5 each); none opens in the window. */
    g_assert_cmpuint(r->connections_opened_run, >=, 1);
    g_assert_cmpuint(r->connections_opened, <, r->connections_opened_run);
    /* About 2 x 5/s x 10 s = 100 calls fall in the window, far fewer
     * than in the whole run (200). */
    g_assert_cmpuint(r->calls_attempted, <=, 150);
}

/* A call counts in the window of its attempt.  With 1 s one-way delay a
 * call's set-up takes at least one round trip (INVITE out, 200 back: 2 s),
 * so in a 1 s window after a 10 s warm-up none of the window's calls can
 * complete, while calls attempted during the warm-up complete inside it:
 * they must not count, nor their latency. */
static void
test_warmup_cohort(void)
{
    static const char *const o[] = { "simulation.warmup=10s",
                                     "simulation.duration=11s",
                                     "network.default-delay=1s", NULL };
    g_autoptr(SimTopo) topo = world_pair("tcp", o);
    g_autoptr(SimRunResult) r = world_run_ok(topo, "rfc3261", 0);
    check_contract(topo, r, "rfc3261");
    g_assert_cmpuint(r->calls_attempted, >, 0);
    g_assert_cmpuint(r->calls_completed, ==, 0);
    g_assert_cmpuint(r->n_latency, ==, 0);
}

/* Connection memory per node (nodes.tsv memory.conn_bytes_peak) on a TLS
 * run: every node holds some; none holds more than all nodes together at
 * their peak, and the node peaks, which need not coincide in time, add up
 * to at least the run's peak. */
static void
test_node_memory(void)
{
    g_autoptr(SimTopo) topo = world_pair("tls", NULL);
    g_autoptr(SimRunResult) r = world_run_ok(topo, "rfc3261", 5);
    check_contract(topo, r, "rfc3261");
    g_assert_cmpuint(r->memory_conn_bytes_peak, >, 0);
    guint64 sum = 0;
    for (guint i = 0; i < r->n_nodes; i++) {
        guint64 peak = r->nodes[i].memory_conn_bytes_peak;
        g_assert_cmpuint(peak, >, 0);
        g_assert_cmpuint(peak, <=, r->memory_conn_bytes_peak);
        sum += peak;
    }
    g_assert_cmpuint(sum, >=, r->memory_conn_bytes_peak);
}

/* nodes.tsv handshakes: the transport handshakes each node took part in,
 * as opener or acceptor.  Over UDP there are none, although calls
 * complete.  Otherwise every handshake of the run counts at both of its
 * ends: the nodes' sum is twice the run's TCP, SCTP and TLS handshakes (no
 * warm-up, no loss, and the connections of this topology open at the
 * start and stay open, so none is half-done at the end). */
static void
test_node_handshakes(void)
{
    static const char *const protos[] = { "udp", "tcp", "sctp", "tls" };
    for (guint p = 0; p < G_N_ELEMENTS(protos); p++) {
        g_autoptr(SimTopo) topo = world_pair(protos[p], NULL);
        g_autoptr(SimRunResult) r = world_run_ok(topo, "rfc3261", 5);
        g_test_message("%s", protos[p]);
        g_assert_cmpuint(r->calls_completed, >, 0);
        guint64 sum = 0;
        for (guint i = 0; i < r->n_nodes; i++)
            sum += r->nodes[i].handshakes;
        guint64 run = r->handshakes_tcp + r->handshakes_sctp +
                      r->handshakes_tls_full + r->handshakes_tls_resumed;
        if (g_str_equal(protos[p], "udp")) {
            g_assert_cmpuint(run, ==, 0);
            for (guint i = 0; i < r->n_nodes; i++)
                g_assert_cmpuint(r->nodes[i].handshakes, ==, 0);
            continue;
        }
        g_assert_cmpuint(run, >, 0);
        g_assert_cmpuint(sum, ==, 2 * run);
    }
}

/* pairs.tsv: under rfc3261 each proxy opens one connection toward the
 * other, named by the node at the peer's address; under per-transaction
 * the pairs add up to the proxies' own sip.connections.opened total. */
static void
test_pairs(void)
{
    g_autoptr(SimTopo) topo = world_pair("tcp", NULL);
    g_autoptr(SimRunResult) r = world_run_ok(topo, "rfc3261", 5);
    g_assert_cmpuint(r->n_pairs, ==, 2);
    g_assert_cmpstr(r->pairs[0].node, ==, "A");
    g_assert_cmpstr(r->pairs[0].peer, ==, "B");
    g_assert_cmpstr(r->pairs[0].peer_ip, ==, "10.2.0.1");
    g_assert_cmpuint(r->pairs[0].connections_opened_run, ==, 1);
    g_assert_cmpstr(r->pairs[1].node, ==, "B");
    g_assert_cmpstr(r->pairs[1].peer, ==, "A");
    g_assert_cmpstr(r->pairs[1].peer_ip, ==, "10.1.0.1");
    g_assert_cmpuint(r->pairs[1].connections_opened_run, ==, 1);
    g_autoptr(SimRunResult) t = world_run_ok(topo, "per-transaction", 5);
    guint64 sum = 0, total = 0;
    for (guint i = 0; i < t->n_pairs; i++)
        sum += t->pairs[i].connections_opened;
    for (guint i = 0; i < t->extra_names->len; i++)
        if (g_str_equal(g_array_index(t->extra_names, char *, i),
                        "sip.connections.opened"))
            total = (guint64)g_array_index(t->extra_values, double, i);
    g_assert_cmpuint(total, >, 10);
    g_assert_cmpuint(sum, ==, total);
}

/* pairs.tsv of a generated topology of 3,000 nodes, nearly all idle,
 * whose names share prefixes (n1, n10, n100, n1000): a.test (n0) calls
 * b.test (n1) and c.test (n1000) over TCP under rfc3261, the callee
 * hanging up, so n0 opens one connection to each for its INVITEs and each
 * opens one back for its BYEs (RFC 3261 18.1, no reuse), and no other node
 * appears.  Rows come in topology order, peers sorted
 * by name, each named after the node at its address. */
static void
test_pairs_many_nodes(void)
{
    enum { N = 3000 };
    GString *t = g_string_new(
        "[simulation]\nduration = 5s\nseed = 1\n"
        "[transport]\nprotocol = tcp\n"
        "[network]\ndefault-delay = 5ms\n"
        "[domain a.test]\n[domain b.test]\n[domain c.test]\n");
    for (guint i = 0; i < N; i++) {
        const char *dom = i == 0      ? "a.test"
                          : i == 1    ? "b.test"
                          : i == 1000 ? "c.test"
                                      : NULL;
        g_string_append_printf(t,
                               "[node n%u]\nhost = n%u.%s\n"
                               "address = 10.%u.%u.%u\n",
                               i, i, dom ? dom : "idle.test",
                               (i + 1) >> 16, (i + 1) >> 8 & 255,
                               (i + 1) & 255);
        if (dom)
            g_string_append_printf(t, "domains = %s\n", dom);
    }
    g_string_append(t, "[traffic ab]\nfrom = a.test\nto = b.test\n"
                       "rate = 2\nhold = 1s\nbye-by = callee\n"
                       "[traffic ac]\nfrom = a.test\nto = c.test\n"
                       "rate = 2\nhold = 1s\nbye-by = callee\n");
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) topo = sim_topo_load_data("many-nodes", t->str, t->len,
                                                 NULL, &error);
    g_assert_no_error(error);
    g_string_free(t, TRUE);
    g_autoptr(SimRunResult) r = world_run_ok(topo, "rfc3261", 1);
    g_assert_cmpuint(r->n_nodes, ==, N);
    g_assert_cmpuint(r->calls_completed, >, 0);
    static const char *const want[][3] = {
        { "n0", "n1", "10.0.0.2" },
        { "n0", "n1000", "10.0.3.233" },
        { "n1", "n0", "10.0.0.1" },
        { "n1000", "n0", "10.0.0.1" },
    };
    g_assert_cmpuint(r->n_pairs, ==, G_N_ELEMENTS(want));
    for (guint i = 0; i < r->n_pairs && i < G_N_ELEMENTS(want); i++) {
        g_assert_cmpstr(r->pairs[i].node, ==, want[i][0]);
        g_assert_cmpstr(r->pairs[i].peer, ==, want[i][1]);
        g_assert_cmpstr(r->pairs[i].peer_ip, ==, want[i][2]);
        g_assert_cmpuint(r->pairs[i].connections_opened_run, ==, 1);
    }
}

/* The extra (run-wide counter) @name of @r; -1 when absent. */
static double
world_extra(const SimRunResult *r, const char *name)
{
    for (guint i = 0; i < r->extra_names->len; i++)
        if (g_str_equal(g_array_index(r->extra_names, char *, i), name))
            return g_array_index(r->extra_values, double, i);
    return -1;
}

/* Caller abandonment from the topology: calls arrive for 15 s, callees
 * answer after 10 s, callers give up after 2 s, so every call is
 * cancelled (by 17 s + R, inside the 20 s run) and none completes or
 * fails; summary.json reports calls.cancelled.  With cancel = 50% and an
 * answer after 3 s, each call is cancelled or completed, both happen, and
 * the cancelled ones are about half. */
static void
test_cancel(void)
{
    static const char *const all[] = {
        "traffic.ab.answer-delay=10s", "traffic.ab.cancel-after=2s",
        "traffic.ab.stop=15s", "traffic.ba.answer-delay=10s",
        "traffic.ba.cancel-after=2s", "traffic.ba.stop=15s", NULL,
    };
    g_autoptr(SimTopo) topo = world_pair("tls", all);
    g_autoptr(SimRunResult) r = world_run_ok(topo, "reuse", 0);
    check_contract(topo, r, "reuse");
    g_assert_cmpuint(r->calls_attempted, >, 100);
    g_assert_cmpuint(r->calls_completed, ==, 0);
    g_assert_cmpuint(r->calls_failed, ==, 0);
    g_assert_cmpfloat((double)r->calls_cancelled, ==,
                      (double)r->calls_attempted);
    SimOutOptions o = { .no_timing = TRUE };
    g_autofree char *json = sim_out_summary_json(r, &o);
    g_autofree char *want = g_strdup_printf(
        "\"calls.cancelled\": %" G_GUINT64_FORMAT, r->calls_attempted);
    g_assert_nonnull(strstr(json, want));

    static const char *const half[] = {
        "traffic.ab.answer-delay=3s", "traffic.ab.cancel-after=1s",
        "traffic.ab.cancel=50%", "traffic.ab.stop=15s",
        "traffic.ba.answer-delay=3s", "traffic.ba.cancel-after=1s",
        "traffic.ba.cancel=0.5", "traffic.ba.stop=15s", NULL,
    };
    g_autoptr(SimTopo) t2 = world_pair("tls", half);
    g_autoptr(SimRunResult) h = world_run_ok(t2, "reuse", 0);
    double cancelled = (double)h->calls_cancelled;
    double n = (double)h->calls_attempted;
    g_assert_cmpuint(h->calls_failed, ==, 0);
    g_assert_cmpfloat(cancelled + (double)h->calls_completed, ==, n);
    /* Binomial(n, 1/2) within 4 standard deviations. */
    g_assert_cmpfloat(fabs(cancelled - n / 2), <=, 4 * sqrt(n / 4));
}

/* Expected SRV shares (nodes.tsv srv.domain, srv.share): weights 3, 1
 * and 0 share priority 10 as 3/4, 1/4 and 0; the priority-20 backup gets
 * 0; a record whose host two nodes share splits its share between them; a
 * node that no SRV record points at has none. */
static void
test_srv_share(void)
{
    static const char text[] =
        "[simulation]\nduration = 2s\n[transport]\nprotocol = tcp\n"
        "[domain a.test]\n"
        "[domain b.test]\nsrv = 10 3 * p1.b.test; 10 1 * p2.b.test; "
        "10 0 * p3.b.test; 20 5 * p4.b.test\n"
        "[node A]\nhost = pa.a.test\ndomains = a.test\n"
        "[node B1]\nhost = p1.b.test\ndomains = b.test\n"
        "[node B2]\nhost = p2.b.test\naddress = 10.9.0.1\n"
        "domains = b.test\n"
        "[node B2b]\nhost = p2.b.test\naddress = 10.9.0.2\n"
        "domains = b.test\n"
        "[node B3]\nhost = p3.b.test\ndomains = b.test\n"
        "[node B4]\nhost = p4.b.test\ndomains = b.test\n"
        "[traffic ab]\nfrom = a.test\nto = b.test\nrate = 5\nhold = 1s\n";
    static const double want[] = { NAN, 0.75, 0.125, 0.125, 0, 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) topo = sim_topo_load_data("srv-test", text,
                                                 strlen(text), NULL, &error);
    g_assert_no_error(error);
    g_autoptr(SimRunResult) r = world_run_ok(topo, "rfc3261", 0);
    g_assert_cmpuint(r->n_nodes, ==, G_N_ELEMENTS(want));
    g_assert_null(r->nodes[0].srv_domain);
    g_assert_true(isnan(r->nodes[0].srv_share));
    for (guint i = 1; i < r->n_nodes; i++) {
        g_assert_cmpstr(r->nodes[i].srv_domain, ==, "b.test");
        g_assert_cmpfloat_with_epsilon(r->nodes[i].srv_share, want[i], 1e-12);
    }
}

/* B crashes at 10 s for 5 s.  With 10 calls/s from A, about 100 calls
 * arrive before the crash (sd 10) and about 245 after B's return (from
 * 15.5 s to 40 s); more than 100 + 5 sd completions prove that A reached B
 * again, over a connection opened after the return. */
static const char world_failover[] =
    "[simulation]\nduration = 40s\nseed = 2\n"
    "[transport]\nprotocol = tcp\n"
    "[network]\ndefault-delay = 10ms\n"
    "[domain a.test]\n[domain b.test]\n"
    "[node A]\nhost = pa.a.test\naddress = 10.1.0.1\ndomains = a.test\n"
    "[node B]\nhost = pb.b.test\naddress = 10.2.0.1\ndomains = b.test\n"
    "[traffic ab]\nfrom = a.test\nto = b.test\nrate = 10\nhold = 1s\n"
    "[fault crash-b]\nnode = B\nat = 10s\nduration = 5s\n";

static void
test_failover(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) topo = sim_topo_load_data(
        "failover-test", world_failover, strlen(world_failover), NULL,
        &error);
    g_assert_no_error(error);
    g_autoptr(SimRunResult) r = world_run_ok(topo, "rfc3261", 0);
    check_contract(topo, r, "rfc3261");
    g_assert_cmpuint(r->calls_completed, >, 150);
    g_assert_cmpuint(r->connections_opened_run, >=, 2);
    gboolean down = FALSE, up = FALSE;
    for (guint i = 0; i < r->extra_names->len; i++) {
        const char *k = g_array_index(r->extra_names, char *, i);
        double v = g_array_index(r->extra_values, double, i);
        down |= g_str_equal(k, "faults.down") && v == 1;
        up |= g_str_equal(k, "faults.up") && v == 1;
    }
    g_assert_cmpint(down, ==, TRUE);
    g_assert_cmpint(up, ==, TRUE);
}

/* A node crashes over UDP while one of its non-INVITE client transactions
 * (a BYE to a callee that went down first) is still retransmitting.
 * Completing a UDP transaction arms its linger timer (Timer K, T4); a
 * crash completed the transaction inside the layer reset, which then freed
 * it with that timer armed, and the timer wrote to freed memory 5 s later
 * (found under ASan; the normal build exits 0).  B goes down at 1.5 s,
 * while the calls of 1 s hold are up; A's BYEs from then on retransmit
 * into nothing until A itself crashes at 3 s.  The run must end cleanly
 * with its laws kept (make asan checks the memory). */
static const char world_udp_crash[] =
    "[simulation]\nduration = 20s\nseed = 3\n"
    "[transport]\nprotocol = udp\n"
    "[network]\ndefault-delay = 10ms\n"
    "[domain a.test]\n[domain b.test]\n"
    "[node A]\nhost = pa.a.test\naddress = 10.1.0.1\ndomains = a.test\n"
    "[node B]\nhost = pb.b.test\naddress = 10.2.0.1\ndomains = b.test\n"
    "[traffic ab]\nfrom = a.test\nto = b.test\nrate = 20\nhold = 1s\n"
    "stop = 1400ms\n"
    "[fault crash-b]\nnode = B\nat = 1500ms\nduration = 10s\n"
    "[fault crash-a]\nnode = A\nat = 3s\nduration = 10s\n";

static void
test_udp_crash_pending(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) topo = sim_topo_load_data(
        "udp-crash", world_udp_crash, strlen(world_udp_crash), NULL, &error);
    g_assert_no_error(error);
    g_autoptr(SimRunResult) r = world_run_ok(topo, "rfc3261", 0);
    /* Calls were up when B went down, so BYEs were pending at A. */
    g_assert_cmpuint(r->calls_completed, >, 0);
    g_assert_cmpfloat(world_extra(r, "bye.completed") +
                          world_extra(r, "bye.failed"),
                      <, (double)r->calls_completed);
}

/* A farm member that crashes silently: its peer's TCP connection to it
 * looks open, so requests sent on it meet no response until Timer B
 * (64 x T1 = 32 s).  That timeout is a failure of the target (RFC 3263
 * 4.3): the request moves to the other member and the dead one is
 * blacklisted (60 s, refreshed by every later timeout).  S1 crashes at
 * 5 s; the first timeouts come at 37 s, after which no new request picks
 * S1.  So in the window [40 s, 80 s) no call fails, every call's set-up
 * is one quick round trip to S2, and requests sent before 37 s still fail
 * over inside the window. */
static const char world_silent_crash[] =
    "[simulation]\nduration = 80s\nwarmup = 40s\nseed = 4\n"
    "[transport]\nprotocol = tcp\n"
    "[network]\ndefault-delay = 10ms\n"
    "[domain a.test]\n"
    "[domain b.test]\nsrv = 10 10 * s1.b.test; 10 10 * s2.b.test\n"
    "[node A]\nhost = pa.a.test\ndomains = a.test\n"
    "[node S1]\nhost = s1.b.test\ndomains = b.test\n"
    "[node S2]\nhost = s2.b.test\ndomains = b.test\n"
    "[traffic ab]\nfrom = a.test\nto = b.test\nrate = 10\nhold = 1s\n"
    "[fault crash-s1]\nnode = S1\nat = 5s\nduration = 200s\n";

static void
test_failover_on_timeout(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) topo = sim_topo_load_data(
        "silent-crash", world_silent_crash, strlen(world_silent_crash),
        NULL, &error);
    g_assert_no_error(error);
    g_autoptr(SimRunResult) r = world_run_ok(topo, "rfc3261", 0);
    check_contract(topo, r, "rfc3261");
    /* About 10/s x 40 s = 400 calls in the window. */
    g_assert_cmpuint(r->calls_attempted, >, 300);
    g_assert_cmpuint(r->calls_failed, ==, 0);
    /* Only calls started in the last set-up time may still be open. */
    g_assert_cmpuint(r->calls_completed, >=, r->calls_attempted - 5);
    g_assert_cmpfloat(r->latency_setup_ms_max, <, 1000);
    double failovers = 0;
    for (guint i = 0; i < r->extra_names->len; i++)
        if (g_str_equal(g_array_index(r->extra_names, char *, i),
                        "requests.failover"))
            failovers = g_array_index(r->extra_values, double, i);
    g_assert_cmpfloat(failovers, >, 0);
}

/* Failover under loss never misdelivers: on the carrier trunk with 20%
 * loss (seed 3: one whose losses time requests out; at 10% TCP with
 * timestamps and undo, issue 12 item 8, recovers every loss inside Timer
 * B), requests time out and fail over to the next SRV target
 * (RFC 3263 4.3) while a copy sent to the first target may still be on
 * its way; that copy must arrive with its own branch and intended target,
 * so under rfc3261, which never aliases, no request is hijacked.  The
 * shared message once took the new target's name and 8 such copies
 * counted as hijacked. */
static void
test_failover_no_hijack(void)
{
    const char *src = g_getenv("SIPREUSE_SRCDIR");
    g_autofree char *path = g_build_filename(src ? src : ".", "topologies",
                                             "trunk.topo", NULL);
    const char *ov[] = { "network.loss=20%", NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) topo = sim_topo_load(path, ov, &error);
    g_assert_no_error(error);
    g_autoptr(SimRunResult) r = world_run_ok(topo, "rfc3261", 3);
    g_assert_cmpfloat(world_extra(r, "requests.failover"), >, 0);
    g_assert_cmpuint(r->requests_hijacked, ==, 0);
}

/* ---- Farms and meshes: every call and every BYE, closed-form counts --- */

/* Two SRV farms over %s (protocol): a.test has 2 members, b.test 3, all
 * equal weight; a.test calls b.test from 0 to 10 s, b.test calls a.test
 * from 5 s to 15 s (so each member pair's first calls do not cross: at
 * 10 calls/s each of the 6 pairs is missed by the first 50 calls with
 * probability under 6 (2/3)^25 < 3e-4), 2 s holds, BYEs by %s; the run
 * lasts 60 s, so every BYE is over by its end (holds are exponential: one
 * over 45 s has probability e^-22.5).  The %s is a node key line
 * added to every member ("" or "record-route = domain"). */
static const char world_farms_fmt[] =
    "[simulation]\nduration = 60s\nseed = 7\n"
    "[transport]\nprotocol = %s\n"
    "[network]\ndefault-delay = 10ms\n"
    "[domain a.test]\nsrv = 10 10 * a1.a.test; 10 10 * a2.a.test\n"
    "[domain b.test]\nsrv = 10 10 * b1.b.test; 10 10 * b2.b.test; "
    "10 10 * b3.b.test\n"
    "[node a1]\nhost = a1.a.test\ndomains = a.test\n%s\n"
    "[node a2]\nhost = a2.a.test\ndomains = a.test\n%s\n"
    "[node b1]\nhost = b1.b.test\ndomains = b.test\n%s\n"
    "[node b2]\nhost = b2.b.test\ndomains = b.test\n%s\n"
    "[node b3]\nhost = b3.b.test\ndomains = b.test\n%s\n"
    "[traffic ab]\nfrom = a.test\nto = b.test\nrate = 10\nhold = 2s\n"
    "stop = 10s\nbye-by = %s\n"
    "[traffic ba]\nfrom = b.test\nto = a.test\nrate = 10\nhold = 2s\n"
    "start = 5s\nstop = 15s\nbye-by = %s\n";

static SimTopo *
world_farms(const char *protocol, const char *bye_by, const char *node_key)
{
    g_autofree char *text =
        g_strdup_printf(world_farms_fmt, protocol, node_key, node_key,
                        node_key, node_key, node_key, bye_by, bye_by);
    g_autoptr(GError) error = NULL;
    SimTopo *topo = sim_topo_load_data("farms-test", text, strlen(text),
                                       NULL, &error);
    g_assert_no_error(error);
    return topo;
}

/* Every call completes and every BYE with it: none failed, none answered
 * 481, no dialog left to expire. */
static void
check_every_call_and_bye(const SimRunResult *r)
{
    g_assert_cmpuint(r->calls_attempted, >, 0);
    g_assert_cmpuint(r->calls_failed, ==, 0);
    g_assert_cmpuint(r->calls_completed, ==, r->calls_attempted);
    g_assert_cmpfloat(world_extra(r, "bye.completed"), ==,
                      (double)r->calls_completed);
    g_assert_cmpfloat(MAX(world_extra(r, "bye.failed"), 0), ==, 0);
    g_assert_cmpfloat(MAX(world_extra(r, "calls.teardown_failed"), 0), ==,
                      0);
    g_assert_cmpfloat(MAX(world_extra(r, "calls.callee_expired"), 0), ==, 0);
    g_assert_cmpuint(r->requests_hijacked, ==, 0);
}

/* Issue 12: members Record-Route with their own host (RFC 3261 16.6 step
 * 4, which their certificate proves, RFC 5922 7.5), so a callee's BYE
 * reaches the member holding the caller's dialog.  Two farms of m = 2
 * and n = 3 members calling each other, BYEs by caller, callee or either:
 * every strategy completes every call and every BYE; connections follow
 * the closed forms: 2mn = 12 (rfc3261: each member opens its own toward
 * each member of the other farm it calls; two-connection: each side opens
 * its own on first contact) and mn = 6 under reuse and virtual-server
 * (TLS: the pair's one connection carries both ways). */
static void
test_farms(void)
{
    static const char *const protocols[] = { "tls", "tcp" };
    static const char *const byes[] = { "caller", "callee", "random" };
    const SimStrategyOps *const *all = sim_strategy_all();
    for (guint p = 0; p < G_N_ELEMENTS(protocols); p++)
        for (guint b = 0; b < G_N_ELEMENTS(byes); b++) {
            g_autoptr(SimTopo) topo = world_farms(protocols[p], byes[b], "");
            for (guint s = 0; all[s]; s++) {
                const char *name = all[s]->name;
                if (!sim_world_strategy_applicable(topo, name))
                    continue;
                g_test_message("farms %s bye-by %s %s", protocols[p],
                               byes[b], name);
                g_autoptr(SimRunResult) r = world_run_ok(topo, name, 0);
                check_contract(topo, r, name);
                check_every_call_and_bye(r);
                guint64 want = 0;
                if (g_str_equal(name, "rfc3261") ||
                    g_str_equal(name, "two-connection"))
                    want = 2 * 2 * 3;
                else if (g_str_equal(name, "reuse") ||
                         g_str_equal(name, "virtual-server"))
                    want = 2 * 3;
                if (want)
                    g_assert_cmpuint(r->connections_opened_run, ==, want);
            }
        }
}

/* record-route = domain keeps the farm's domain in Record-Route, for
 * farms that share dialog state: a callee's BYE reaches any member of
 * the caller's farm by SRV, which pops its Route entry and forwards on
 * the Request-URI (the caller's Contact, RFC 3261 16.4, 16.6) to the
 * member holding the dialog; every BYE completes.  With BYEs by callee
 * and 3 b.test members spreading them over 2 a.test members, about half
 * of the a.test-bound BYEs land on the wrong member and are forwarded:
 * Binomial(k, 1/2) for the k BYEs toward a.test, within 4 standard
 * deviations. */
static void
test_farms_record_route_domain(void)
{
    g_autoptr(SimTopo) topo =
        world_farms("tls", "callee", "record-route = domain");
    g_autoptr(SimRunResult) r = world_run_ok(topo, "rfc3261", 0);
    check_contract(topo, r, "rfc3261");
    check_every_call_and_bye(r);
    double fwd = world_extra(r, "requests.forwarded");
    g_assert_cmpfloat(fwd, >, 0);
    g_autoptr(SimTopo) host = world_farms("tls", "callee", "");
    g_autoptr(SimRunResult) h = world_run_ok(host, "rfc3261", 0);
    g_assert_cmpfloat(MAX(world_extra(h, "requests.forwarded"), 0), ==, 0);
}

/* A full mesh of @n proxies, each serving its own domain, calling every
 * other; calls from a lower to a higher index start at 0, the others at
 * 5 s, so that no pair's first calls cross.  BYEs by @bye_by. */
static SimTopo *
world_mesh(const char *protocol, guint n, const char *bye_by)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s,
                           "[simulation]\nduration = 60s\nseed = 5\n"
                           "[transport]\nprotocol = %s\n"
                           "[network]\ndefault-delay = 10ms\n",
                           protocol);
    for (guint i = 0; i < n; i++)
        g_string_append_printf(s,
                               "[domain d%u.test]\n"
                               "[node p%u]\nhost = p%u.d%u.test\n"
                               "domains = d%u.test\n",
                               i, i, i, i, i);
    for (guint i = 0; i < n; i++)
        for (guint j = 0; j < n; j++)
            if (i != j)
                g_string_append_printf(
                    s,
                    "[traffic t%u-%u]\nfrom = d%u.test\nto = d%u.test\n"
                    "rate = 1\nhold = 2s\nbye-by = %s\n"
                    "start = %s\nstop = %s\n",
                    i, j, i, j, bye_by, i < j ? "0" : "5s",
                    i < j ? "10s" : "15s");
    g_autoptr(GError) error = NULL;
    SimTopo *topo = sim_topo_load_data("mesh-test", s->str, s->len, NULL,
                                       &error);
    g_string_free(s, TRUE);
    g_assert_no_error(error);
    return topo;
}

/* Issue 12: a TLS or TCP full mesh of N proxies with calls both ways
 * keeps N(N-1) connections under rfc3261 and two-connection (one each
 * way per pair: two-connection matches "a connection to this peer" by
 * resolved address and proven identity, not by the name it was opened
 * for, which once opened 45 for N = 6) and N(N-1)/2 under reuse, for
 * N = 4 and 6, BYEs by callee or either side; every call and BYE
 * completes. */
static void
test_mesh(void)
{
    static const char *const protocols[] = { "tls", "tcp" };
    static const char *const strategies[] = { "rfc3261", "two-connection",
                                              "reuse" };
    static const char *const byes[] = { "callee", "random" };
    static const guint sizes[] = { 4, 6 };
    for (guint z = 0; z < G_N_ELEMENTS(sizes); z++)
        for (guint p = 0; p < G_N_ELEMENTS(protocols); p++)
            for (guint b = 0; b < G_N_ELEMENTS(byes); b++) {
                guint n = sizes[z];
                g_autoptr(SimTopo) topo = world_mesh(protocols[p], n, byes[b]);
                for (guint s = 0; s < G_N_ELEMENTS(strategies); s++) {
                    const char *name = strategies[s];
                    if (!sim_world_strategy_applicable(topo, name))
                        continue;
                    g_test_message("mesh N=%u %s bye-by %s %s", n,
                                   protocols[p], byes[b], name);
                    g_autoptr(SimRunResult) r = world_run_ok(topo, name, 0);
                    check_every_call_and_bye(r);
                    guint64 want = g_str_equal(name, "reuse")
                                       ? n * (n - 1) / 2
                                       : n * (n - 1);
                    g_assert_cmpuint(r->connections_opened_run, ==, want);
                }
            }
}

/* Issue 12: on every sample topology without faults (a crash loses the
 * dialogs it held), with every applicable strategy and BYEs by caller,
 * callee or either, shortened (5 calls/s per traffic group for 4 s, 1 s
 * holds, exponential: a 40 s run),
 * every call completes and every BYE with it; reuse-unauthenticated on
 * hijack.topo is the threat T1 at work and is checked to hijack. */
static void
test_sample_topologies_byes(void)
{
    static const char *const byes[] = { "caller", "callee", "random" };
    g_auto(GStrv) files = world_topology_files();
    for (guint f = 0; files[f]; f++) {
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_assert_true(
            g_key_file_load_from_file(kf, files[f], G_KEY_FILE_NONE, NULL));
        g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
        gboolean faults = FALSE;
        for (guint i = 0; groups[i]; i++)
            faults |= g_str_has_prefix(groups[i], "fault ");
        if (faults)
            continue;
        for (guint b = 0; b < G_N_ELEMENTS(byes); b++) {
            g_autoptr(GPtrArray) ov = g_ptr_array_new_with_free_func(g_free);
            g_ptr_array_add(ov, g_strdup("simulation.duration=40s"));
            g_ptr_array_add(ov, g_strdup("simulation.warmup=0"));
            for (guint i = 0; groups[i]; i++) {
                if (!g_str_has_prefix(groups[i], "traffic "))
                    continue;
                const char *name = groups[i] + strlen("traffic ");
                g_ptr_array_add(ov, g_strdup_printf("traffic.%s.hold=1s",
                                                    name));
                g_ptr_array_add(ov, g_strdup_printf("traffic.%s.rate=5",
                                                    name));
                g_ptr_array_add(ov, g_strdup_printf("traffic.%s.stop=4s",
                                                    name));
                g_ptr_array_add(ov, g_strdup_printf("traffic.%s.bye-by=%s",
                                                    name, byes[b]));
            }
            g_ptr_array_add(ov, NULL);
            g_autoptr(GError) error = NULL;
            g_autoptr(SimTopo) topo = sim_topo_load(
                files[f], (const char *const *)ov->pdata, &error);
            g_assert_no_error(error);
            const SimStrategyOps *const *all = sim_strategy_all();
            for (guint s = 0; all[s]; s++) {
                const char *name = all[s]->name;
                if (!sim_world_strategy_applicable(topo, name))
                    continue;
                g_test_message("%s bye-by %s %s", files[f], byes[b], name);
                g_autoptr(SimRunResult) r = world_run_ok(topo, name, 0);
                if (g_str_has_suffix(files[f], "/hijack.topo") &&
                    g_str_equal(name, "reuse-unauthenticated")) {
                    g_assert_cmpuint(r->requests_hijacked, >, 0);
                    continue;
                }
                check_every_call_and_bye(r);
            }
        }
    }
}

/* Two nodes share the host pool.b.test (two A records) behind b.test's
 * one SRV record; a.test (one node) and b.test call each other for 10 s,
 * 4 calls/s each way, 2 s holds, BYEs by either side. */
static const char world_shared_host[] =
    "[simulation]\nduration = 60s\nseed = 1\n"
    "[transport]\nprotocol = tls\n"
    "[network]\ndefault-delay = 10ms\n"
    "[domain a.test]\nsrv = 10 10 * pa.a.test\n"
    "[domain b.test]\nsrv = 10 10 * pool.b.test\n"
    "[node a]\nhost = pa.a.test\ndomains = a.test\n"
    "[node b1]\nhost = pool.b.test\ndomains = b.test\n"
    "[node b2]\nhost = pool.b.test\ndomains = b.test\n"
    "[traffic ab]\nfrom = a.test\nto = b.test\nrate = 4\nhold = 2s\n"
    "stop = 10s\nbye-by = random\n"
    "[traffic ba]\nfrom = b.test\nto = a.test\nrate = 4\nhold = 2s\n"
    "stop = 10s\nbye-by = random\n";

/* Issue 12: in-dialog requests follow the dialog's remote target and
 * route set (RFC 3261 12.2.1.1) back to the node the dialog was set up
 * with, though its host name is shared; only new look-ups rotate the A
 * records (RFC 1794: once 32 of 40 ACKs reached the other node and BYEs
 * were answered 481), and the two nodes' Call-IDs no longer collide.
 * Every call and BYE completes under every safe strategy (the unsafe
 * reuse-unauthenticated keys its rows by the shared name and hijacks, as
 * threat T1 says it would); under rfc3261 the
 * INVITEs are a's only look-ups of pool.b.test, which alternate between
 * the two addresses: b1 and b2 receive within one call of each other. */
static void
test_shared_host_dialogs(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) topo =
        sim_topo_load_data("shared-host", world_shared_host,
                           strlen(world_shared_host), NULL, &error);
    g_assert_no_error(error);
    const SimStrategyOps *const *all = sim_strategy_all();
    for (guint s = 0; all[s]; s++) {
        const char *name = all[s]->name;
        g_test_message("shared host %s", name);
        g_autoptr(SimRunResult) r = world_run_ok(topo, name, 0);
        if (g_str_equal(name, "reuse-unauthenticated")) {
            g_assert_cmpuint(r->requests_hijacked, >, 0);
            continue;
        }
        check_every_call_and_bye(r);
        if (!g_str_equal(name, "rfc3261"))
            continue;
        g_assert_cmpstr(r->nodes[1].node, ==, "b1");
        gint64 d = (gint64)r->nodes[1].calls_received -
                   (gint64)r->nodes[2].calls_received;
        g_assert_cmpint(ABS(d), <=, 1);
        g_assert_cmpuint(r->nodes[1].calls_received, >, 0);
    }
}

/* Issue 12: advertise-port = false leaves the port out of the Via
 * sent-by only; the Contact names the listening port (5071 here, not the
 * 5061 default), so the in-dialog requests reach it: every call and BYE
 * completes (once 15 of 39 BYEs failed). */
static void
test_advertise_port_false(void)
{
    static const char text[] =
        "[simulation]\nduration = 60s\n"
        "[transport]\nprotocol = tls\n"
        "[network]\ndefault-delay = 10ms\n"
        "[domain a.test]\nsrv = 10 10 5071 pa.a.test\n"
        "[domain b.test]\n"
        "[node A]\nhost = pa.a.test\ndomains = a.test\nport = 5071\n"
        "advertise-port = false\n"
        "[node B]\nhost = pb.b.test\ndomains = b.test\n"
        "[traffic ab]\nfrom = a.test\nto = b.test\nrate = 4\nhold = 2s\n"
        "stop = 10s\nbye-by = random\n"
        "[traffic ba]\nfrom = b.test\nto = a.test\nrate = 4\nhold = 2s\n"
        "stop = 10s\nbye-by = random\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) topo =
        sim_topo_load_data("advertise", text, strlen(text), NULL, &error);
    g_assert_no_error(error);
    static const char *const names[] = { "rfc3261", "reuse",
                                         "two-connection" };
    for (guint s = 0; s < G_N_ELEMENTS(names); s++) {
        g_autoptr(SimRunResult) r = world_run_ok(topo, names[s], 0);
        check_every_call_and_bye(r);
    }
}

/* Issue 12, item 7: [traffic] via pins a group's calls to one origin
 * node, and [node] source-port = listen opens connections from the
 * listening port.  a.test is served by a1 and a2 (its SRV names a2
 * only), b.test by b; over TCP, 4 calls/s for 10 s each way, 2 s holds,
 * BYEs by either side.  Without via the round robin gives a1 and a2 half
 * of a.test's calls each (within one).  With via = a2, a1 originates
 * nothing and holds no connection; under two-connection, with ephemeral
 * source ports b and a2 each open their own connection: 2; with
 * source-port = listen on both each accepted connection comes from the
 * port DNS gives for its peer, which R21 lets the acceptor reuse: 1
 * connection in all, counted in inbound.reuse (scenario 28 from a
 * topology file). */
static const char world_via_fmt[] =
    "[simulation]\nduration = 60s\n"
    "[transport]\nprotocol = tcp\n"
    "[network]\ndefault-delay = 10ms\n"
    "[domain a.test]\nsrv = 10 10 5060 pa2.a.test\n"
    "[domain b.test]\n"
    "[node a1]\nhost = pa1.a.test\ndomains = a.test\n"
    "[node a2]\nhost = pa2.a.test\ndomains = a.test\nsource-port = %s\n"
    "[node b]\nhost = pb.b.test\ndomains = b.test\nsource-port = %s\n"
    "[traffic ab]\nfrom = a.test\nto = b.test\nrate = 4\nhold = 2s\n"
    "stop = 10s\nbye-by = random\n%s"
    "[traffic ba]\nfrom = b.test\nto = a.test\nrate = 4\nhold = 2s\n"
    "stop = 10s\nbye-by = random\n";

static SimTopo *
world_via(const char *source_port, const char *via)
{
    g_autofree char *text =
        g_strdup_printf(world_via_fmt, source_port, source_port, via);
    g_autoptr(GError) error = NULL;
    SimTopo *topo =
        sim_topo_load_data("via", text, strlen(text), NULL, &error);
    g_assert_no_error(error);
    return topo;
}

static void
test_via_source_port(void)
{
    /* Round robin over a1 and a2 without via. */
    g_autoptr(SimTopo) rr = world_via("ephemeral", "");
    g_autoptr(SimRunResult) r0 = world_run_ok(rr, "rfc3261", 0);
    check_every_call_and_bye(r0);
    gint64 d = (gint64)r0->nodes[0].calls_originated -
               (gint64)r0->nodes[1].calls_originated;
    g_assert_cmpint(ABS(d), <=, 1);
    g_assert_cmpuint(r0->nodes[0].calls_originated, >, 0);
    static const char *const ports[] = { "ephemeral", "listen" };
    for (guint k = 0; k < G_N_ELEMENTS(ports); k++) {
        g_autoptr(SimTopo) topo = world_via(ports[k], "via = a2\n");
        g_assert_cmpuint(topo->traffic[0].via, ==, 1);
        g_assert_cmpuint(topo->traffic[1].via, ==, G_MAXUINT);
        g_assert_true(topo->nodes[1].source_port_listen == (k == 1));
        g_autoptr(SimRunResult) r = world_run_ok(topo, "two-connection", 0);
        g_test_message("source-port %s: peak %" G_GUINT64_FORMAT, ports[k],
                       r->connections_peak);
        check_every_call_and_bye(r);
        g_assert_cmpuint(r->nodes[0].calls_originated, ==, 0);
        g_assert_cmpuint(r->nodes[0].connections_peak, ==, 0);
        g_assert_cmpuint(r->nodes[1].calls_originated, >, 0);
        g_assert_cmpuint(r->connections_peak, ==, k == 1 ? 1 : 2);
        g_assert_cmpuint(r->connections_opened_run, ==, k == 1 ? 1 : 2);
        if (k == 1)
            g_assert_cmpfloat(world_extra(r, "inbound.reuse"), >, 0);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("World builder: fault schedule, whole runs of the sample "
                   "topologies, determinism, invariants, failover.");
    g_test_add_func("/world/strategy/applicable", test_applicable);
    g_test_add_func("/world/series/long-run", test_long_run);
    g_test_add_func("/world/strategy/errors", test_errors);
    g_test_add_func("/world/run/determinism", test_determinism);
    g_test_add_func("/world/run/warmup", test_warmup);
    g_test_add_func("/world/run/warmup-cohort", test_warmup_cohort);
    g_test_add_func("/world/run/failover", test_failover);
    g_test_add_func("/world/run/udp-crash-pending", test_udp_crash_pending);
    g_test_add_func("/world/run/failover-no-hijack", test_failover_no_hijack);
    g_test_add_func("/world/run/failover-on-timeout",
                    test_failover_on_timeout);
    g_test_add_func("/world/nodes/memory", test_node_memory);
    g_test_add_func("/world/nodes/handshakes", test_node_handshakes);
    g_test_add_func("/world/pairs", test_pairs);
    g_test_add_func("/world/pairs/many-nodes", test_pairs_many_nodes);
    g_test_add_func("/world/farms/every-call-and-bye", test_farms);
    g_test_add_func("/world/farms/record-route-domain",
                    test_farms_record_route_domain);
    g_test_add_func("/world/mesh/closed-form", test_mesh);
    g_test_add_func("/world/topologies/every-call-and-bye",
                    test_sample_topologies_byes);
    g_test_add_func("/world/dns/shared-host-dialogs",
                    test_shared_host_dialogs);
    g_test_add_func("/world/sip/advertise-port-false",
                    test_advertise_port_false);
    g_test_add_func("/world/traffic/via-and-source-port",
                    test_via_source_port);
    g_test_add_func("/world/run/cancel", test_cancel);
    g_test_add_func("/world/nodes/srv-share", test_srv_share);
    g_test_add_func("/world/rng/streams-by-node", test_streams_by_node);
    g_test_add_func("/world/topologies/every-strategy", test_topologies);
    return g_test_run();
}
