/* SPDX-License-Identifier: MIT */
/*
 * Tests of the cost model against figures derived by hand from the
 * protocol flows and the built-in "proxy" profile (run/profile.c, the
 * table in docs/model.md), never read back from a run:
 * - the first request's set-up latency over a new TCP, TLS 1.3 and TLS 1.2
 *   connection is its round-trip count times R plus the CPU on its
 *   critical path (both sides' handshakes and the messages);
 * - a server's CPU per call for UDP, TCP and TLS, persistent and
 *   per-transaction, is the sum of its messages', connections' and
 *   handshakes' costs, and saturation throughput (its inverse) orders
 *   the configurations as real servers do;
 * - past the saturation throughput calls stop completing and the bounded
 *   queue refuses them (503 over TCP and TLS, drops over UDP, new
 *   connections ignored), below it nothing is refused: the knee lies
 *   within 10% of the closed form;
 * - memory.node_bytes_peak is the connections' count times the profile's
 *   bytes per connection.
 */
#include "run/world.h"

#include <math.h>
#include <string.h>

/* The proxy profile (microseconds): per message, framing, TLS record,
 * connection and handshake figures (P-256, mutual authentication). */
#define US_INVITE 150.0
#define US_REQUEST 70.0
#define US_RESPONSE 50.0
#define US_FRAMING 10.0
#define US_RECORD 4.0
#define US_CONNECT 30.0
#define US_ACCEPT 30.0
#define US_CLOSE 15.0
#define US_TLS_SERVER 3500.0
#define US_TLS_CLIENT 2500.0
#define MEM_SOCKET 4096
#define MEM_TLS 57344
#define MEM_PROXY 4608

/* An extra figure of @r (sip.dropped.<reason>, ...); 0 when absent. */
static double
extra(const SimRunResult *r, const char *name)
{
    for (guint i = 0; r->extra_names && i < r->extra_names->len; i++)
        if (g_str_equal(g_array_index(r->extra_names, char *, i), name))
            return g_array_index(r->extra_values, double, i);
    return 0;
}

static SimRunResult *
run_text(const char *text)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) topo = sim_topo_load_data("costs", text, strlen(text),
                                                 NULL, &error);
    g_assert_no_error(error);
    SimRunResult *r = sim_world_run(topo, NULL, &error);
    g_assert_no_error(error);
    return r;
}

/* ---- First request over a new connection ---------------------------- */

/* One call from A to B, 25 ms apart (R = 50 ms), on a fast link, with no
 * DNS delay.  %s: protocol, TLS version line, strategy, cost keys. */
static const char first_fmt[] =
    "[simulation]\nduration = 10s\nstrategy = %s\n%s"
    "[transport]\nprotocol = %s\n%s"
    "[network]\ndefault-delay = 1ms\nbandwidth = 100Gbps\n"
    "[dns]\nlookup-delay = 0\n"
    "[domain a.test]\n[domain b.test]\n"
    "[node A]\nhost = pa.a.test\ndomains = a.test\nsite = west\n%s"
    "[node B]\nhost = pb.b.test\ndomains = b.test\nsite = east\n%s"
    "[link west east]\ndelay = 25ms\n"
    "[traffic ab]\nfrom = a.test\nto = b.test\ncount = 1\nhold = 1s\n";

static double
first_latency_ms(const char *proto, const char *version, const char *strategy,
                 gboolean free)
{
    const char *none = "sip-cost = 0\ntls-full-cost = 0\n";
    g_autofree char *ver =
        version ? g_strdup_printf("tls-version = %s\n", version)
                : g_strdup("");
    g_autofree char *text = g_strdup_printf(
        first_fmt, strategy, free ? "cpu-profile = bare-crypto\n" : "", proto,
        ver, free ? none : "", free ? none : "");
    g_autoptr(SimRunResult) r = run_text(text);
    g_assert_cmpuint(r->calls_completed, ==, 1);
    g_test_message("%s %s %s: %.6f ms", proto, version ? version : "",
                   free ? "free" : "proxy", r->latency_setup_ms_mean);
    return r->latency_setup_ms_mean;
}

/* The critical path, from the flows (R = 50 ms; every message job on a
 * stream adds framing, on TLS a record):
 * - TCP, 2R: A's connect charge ends long before the SYN-ACK; A sends
 *   the INVITE once connected; B accepted on the ACK, R/2 before the
 *   INVITE, so its accept is off the path.  Then B's INVITE job, B's
 *   100, 180 and 200 sends one after another, and A's job for the 200
 *   (its jobs for the 100 and 180 end as the next response arrives).
 * - TLS 1.3, 3R: both full handshakes are on the path (server half, then
 *   the client's, then the server's second half); A's INVITE job runs
 *   while B finishes its handshake, and B's accept (TLS hands B the
 *   connection when established) comes just before its INVITE job.
 * - TLS 1.2, 4R: the client waits for the server's Finished, so A's
 *   INVITE job is on the path and B's accept, R/2 earlier, is not. */
static void
test_first_request(void)
{
    const double R = 50.0;
    double msg_tcp = US_FRAMING, msg_tls = US_FRAMING + US_RECORD;
    double path_tcp = (US_INVITE + msg_tcp) * 2 + (US_RESPONSE + msg_tcp) * 4;
    double tail_tls = (US_INVITE + msg_tls) + (US_RESPONSE + msg_tls) * 4;
    double hs = US_TLS_SERVER + US_TLS_CLIENT;
    struct {
        const char *proto, *version, *strategy;
        double rtts, cpu_us;
    } cases[] = {
        { "tcp", NULL, "rfc3261", 2, path_tcp },
        { "tls", "1.3", "reuse", 3, hs + US_ACCEPT + tail_tls },
        { "tls", "1.2", "reuse", 4, hs + (US_INVITE + msg_tls) + tail_tls },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        double free = first_latency_ms(cases[i].proto, cases[i].version,
                                       cases[i].strategy, TRUE);
        double real = first_latency_ms(cases[i].proto, cases[i].version,
                                       cases[i].strategy, FALSE);
        /* Without costs: the round trips (plus serialisation on a
         * 100 Gbps link, under 1 us). */
        g_assert_cmpfloat(fabs(free - cases[i].rtts * R), <, 0.001);
        /* With the proxy profile: the round trips plus the CPU on the
         * path; AEAD at 0.5 us per KiB over a few messages of under
         * 1 KiB stays within 10 us. */
        double want = cases[i].rtts * R + cases[i].cpu_us / 1000.0;
        g_test_message("want %.6f ms", want);
        g_assert_cmpfloat(fabs(real - want), <, 0.010);
    }
}

/* ---- A server's CPU per call and its saturation ----------------------- */

/* One server S (one core) called by four clients of 64 cores each; the
 * callee answers at once and hangs up after 1 s.  %s: protocol, strategy,
 * resumption, rate per client. */
static const char server_fmt[] =
    "[simulation]\nduration = %s\nwarmup = 2s\nstrategy = %s\n"
    "[transport]\nprotocol = %s\n%s"
    "[network]\ndefault-delay = 1ms\n"
    "[domain s.test]\n[node S]\nhost = h.s.test\ndomains = s.test\n"
    "[domain c1.test]\n[node C1]\nhost = h.c1.test\ndomains = c1.test\n"
    "cores = 64\n"
    "[domain c2.test]\n[node C2]\nhost = h.c2.test\ndomains = c2.test\n"
    "cores = 64\n"
    "[domain c3.test]\n[node C3]\nhost = h.c3.test\ndomains = c3.test\n"
    "cores = 64\n"
    "[domain c4.test]\n[node C4]\nhost = h.c4.test\ndomains = c4.test\n"
    "cores = 64\n"
    "[traffic t1]\nfrom = c1.test\nto = s.test\nrate = %g\nhold = 1s\n"
    "[traffic t2]\nfrom = c2.test\nto = s.test\nrate = %g\nhold = 1s\n"
    "[traffic t3]\nfrom = c3.test\nto = s.test\nrate = %g\nhold = 1s\n"
    "[traffic t4]\nfrom = c4.test\nto = s.test\nrate = %g\nhold = 1s\n";

typedef struct {
    const char *name, *proto, *strategy;
    /* Server CPU per call, microseconds, from the flows. */
    double us;
} ServerCase;

/* Per call the server receives an INVITE, the ACK and the BYE and sends
 * 100, 180, 200 and the BYE's 200: 150 + 2 x 70 + 4 x 50 = 490 us over
 * UDP.  Streams add framing to each of the 7 messages, TLS a record
 * each.  Per-transaction opens a connection for each of the INVITE, the
 * ACK (a transaction of its own) and the BYE: the server accepts and
 * closes 3 per call, and over TLS is the server of 3 full handshakes
 * (resumption off). */
static ServerCase *
server_cases(guint *n)
{
    static ServerCase c[5];
    double base = US_INVITE + 2 * US_REQUEST + 4 * US_RESPONSE;
    double stream = base + 7 * US_FRAMING;
    double tls = stream + 7 * US_RECORD;
    double conns = 3 * (US_ACCEPT + US_CLOSE);
    c[0] = (ServerCase){ "udp", "udp", "rfc3261", base };
    c[1] = (ServerCase){ "tcp", "tcp", "rfc3261", stream };
    c[2] = (ServerCase){ "tls", "tls", "reuse", tls };
    c[3] = (ServerCase){ "tcp-ptx", "tcp", "per-transaction", stream + conns };
    c[4] = (ServerCase){ "tls-ptx", "tls", "per-transaction",
                         tls + conns + 3 * US_TLS_SERVER };
    *n = G_N_ELEMENTS(c);
    return c;
}

static SimRunResult *
server_run(const ServerCase *c, double calls_per_s, const char *duration)
{
    double per = calls_per_s / 4;
    const char *tls = g_str_equal(c->proto, "tls") ? "resumption = false\n"
                                                   : "";
    g_autofree char *text =
        g_strdup_printf(server_fmt, duration, c->strategy, c->proto, tls, per,
                        per, per, per);
    return run_text(text);
}

/* S is node 0; its busy fraction over the window, per completed call. */
static double
server_us_per_call(const SimRunResult *r, double window_s)
{
    return r->nodes[0].cpu_util * window_s * 1e6 /
           (double)r->calls_completed;
}

/* At a light load (a fifth of capacity) the server's CPU per call is the
 * closed form's, within 1% (AEAD by size and calls straddling the window
 * edges); the closed forms order UDP > TCP > TLS > TCP per-transaction >
 * TLS per-transaction in throughput, each step at least 3%, with UDP
 * between 8 and 30 times TLS per-transaction. */
static void
test_server_cpu(void)
{
    guint n;
    ServerCase *c = server_cases(&n);
    for (guint i = 0; i < n; i++) {
        double load = 0.2 * 1e6 / c[i].us;
        g_autoptr(SimRunResult) r = server_run(&c[i], load, "12s");
        double got = server_us_per_call(r, 10.0);
        g_test_message("%s: %.1f us per call, closed form %.1f", c[i].name,
                       got, c[i].us);
        g_assert_cmpuint(r->calls_failed, ==, 0);
        g_assert_cmpfloat(fabs(got - c[i].us) / c[i].us, <, 0.01);
        if (i > 0)
            g_assert_cmpfloat(c[i].us, >, 1.03 * c[i - 1].us);
    }
    double ratio = c[n - 1].us / c[0].us;
    g_test_message("UDP / TLS per-transaction: %.1f", ratio);
    g_assert_cmpfloat(ratio, >=, 8);
    g_assert_cmpfloat(ratio, <=, 30);
}

/* Below capacity (0.9x the closed form) every call completes and none is
 * refused; above it (1.1x) the queue passes its 200 ms limit and the
 * server refuses new calls: 503 on connections (calls.rejected), drops
 * over UDP (sip.dropped.overload).  The knee is within 10%. */
static void
test_knee(void)
{
    guint n;
    ServerCase *c = server_cases(&n);
    const guint pick[] = { 0, 2, 4 };
    for (guint k = 0; k < G_N_ELEMENTS(pick); k++) {
        const ServerCase *sc = &c[pick[k]];
        double cap = 1e6 / sc->us;
        g_autoptr(SimRunResult) lo = server_run(sc, 0.9 * cap, "10s");
        g_autoptr(SimRunResult) hi = server_run(sc, 1.1 * cap, "10s");
        g_test_message("%s: capacity %.0f calls/s; 0.9x: %" G_GUINT64_FORMAT
                       " of %" G_GUINT64_FORMAT " completed; 1.1x: %"
                       G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                       ", %" G_GUINT64_FORMAT " rejected",
                       sc->name, cap, lo->calls_completed,
                       lo->calls_attempted, hi->calls_completed,
                       hi->calls_attempted, hi->calls_rejected);
        g_assert_cmpuint(lo->calls_rejected, ==, 0);
        g_assert_cmpfloat(lo->calls_completion_ratio, >=, 0.99);
        g_assert_cmpfloat(hi->calls_completion_ratio, <, 0.97);
        double dropped = extra(hi, "sip.dropped.overload");
        g_assert_cmpuint(hi->calls_rejected, <=, hi->calls_failed);
        if (g_str_equal(sc->proto, "udp"))
            g_assert_cmpfloat(dropped, >, 0);
        else if (!g_str_equal(sc->strategy, "per-transaction"))
            g_assert_cmpuint(hi->calls_rejected, >, 0);
        /* Per-transaction TLS spends its CPU on handshakes: at twice its
         * capacity the server, past its queue limit, ignores new SYNs (a
         * full accept queue) as well as refusing INVITEs. */
        if (g_str_equal(sc->strategy, "per-transaction")) {
            g_autoptr(SimRunResult) x2 = server_run(sc, 2 * cap, "10s");
            g_assert_cmpfloat(extra(x2, "overload.syn_dropped"), >, 0);
            g_assert_cmpfloat(x2->calls_completion_ratio, <, 0.8);
        }
    }
}

/* ---- Memory ------------------------------------------------------------ */

/* One call A -> B over one connection: each node holds one connection,
 * at the same time, so the run's peak is two connections' bytes. */
static void
test_memory(void)
{
    struct {
        const char *proto, *strategy;
        guint64 per_conn;
    } cases[] = {
        { "tls", "reuse", MEM_SOCKET + MEM_TLS + MEM_PROXY },
        { "tcp", "rfc3261", MEM_SOCKET + MEM_PROXY },
        { "udp", "rfc3261", 0 },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text = g_strdup_printf(
            first_fmt, cases[i].strategy, "", cases[i].proto, "", "", "");
        g_autoptr(SimRunResult) r = run_text(text);
        g_assert_cmpuint(r->calls_completed, ==, 1);
        g_assert_cmpuint(r->nodes[0].memory_node_bytes_peak, ==,
                         cases[i].per_conn);
        g_assert_cmpuint(r->nodes[1].memory_node_bytes_peak, ==,
                         cases[i].per_conn);
        g_assert_cmpuint(r->memory_node_bytes_peak, ==,
                         2 * cases[i].per_conn);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("The cost model against closed forms: first-request "
                   "latency, CPU per call, the overload knee, memory");
    g_test_add_func("/costs/first-request", test_first_request);
    g_test_add_func("/costs/server-cpu", test_server_cpu);
    g_test_add_func("/costs/knee", test_knee);
    g_test_add_func("/costs/memory", test_memory);
    return g_test_run();
}
