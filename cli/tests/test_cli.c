/* SPDX-License-Identifier: MIT */
/*
 * Tests of the built CLI ($SIPREUSE_BIN, with the source tree in
 * $SIPREUSE_SRCDIR and a scratch folder in $SIPREUSE_TMPDIR): --help, bad
 * flags exit 2 with a message, `run` writes its files, equal seeds give
 * byte-identical runs.tsv (with --no-timing, and apart from the two
 * wall-clock columns without it), --jobs does not change results, an
 * interrupted sweep resumed gives the results of an uninterrupted one, and
 * `plot` turns result files into non-empty images.  Runs are kept short
 * with --set simulation.duration.
 */
#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "models/tests/util_pem.h"
#include "run/out.h"
#include "run/world.h"

/* Output of one CLI invocation. */
typedef struct {
    int status;
    char *out;
    char *err;
} Cli;

static void
cli_clear(Cli *c)
{
    g_free(c->out);
    g_free(c->err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Cli, cli_clear)

static const char *
env_or_skip(const char *name)
{
    const char *v = g_getenv(name);
    return v && *v ? v : NULL;
}

/* Runs sipreuse with the NULL-terminated arguments. */
static void
cli_run(Cli *c, const char *first, ...)
{
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, (char *)g_getenv("SIPREUSE_BIN"));
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *))
        g_ptr_array_add(argv, (char *)a);
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    gint wait = 0;
    g_autoptr(GError) error = NULL;
    gboolean ok = g_spawn_sync(g_getenv("SIPREUSE_SRCDIR"),
                               (char **)argv->pdata, NULL, 0, NULL, NULL,
                               &c->out, &c->err, &wait, &error);
    g_assert_no_error(error);
    g_assert_true(ok);
    c->status = WIFEXITED(wait) ? WEXITSTATUS(wait) : 128;
    g_ptr_array_unref(argv);
}

static gboolean
have_cli(void)
{
    if (env_or_skip("SIPREUSE_BIN") && env_or_skip("SIPREUSE_SRCDIR") &&
        env_or_skip("SIPREUSE_TMPDIR"))
        return TRUE;
    g_test_skip("SIPREUSE_BIN, SIPREUSE_SRCDIR or SIPREUSE_TMPDIR unset "
                "(run through make check)");
    return FALSE;
}

/* A fresh scratch folder under $SIPREUSE_TMPDIR. */
static char *
scratch(const char *name)
{
    g_autofree char *tmpl = g_strdup_printf("%s-XXXXXX", name);
    g_mkdir_with_parents(g_getenv("SIPREUSE_TMPDIR"), 0755);
    g_autofree char *path = g_build_filename(g_getenv("SIPREUSE_TMPDIR"),
                                             tmpl, NULL);
    return g_mkdtemp(g_steal_pointer(&path));
}

static char *
read_file(const char *dir, const char *name)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return text;
}

/* Short runs of trunk.topo: 3 s simulated after a 1 s warm-up. */
#define SHORT "--set", "simulation.duration=3s", "--set", \
              "simulation.warmup=1s"

static void
test_help(void)
{
    if (!have_cli())
        return;
    const char *verbs[] = { "run", "compare", "sweep", "plot" };
    const char *expect[] = { "--strategy", "--reps", "--resume", "RESULTS" };
    for (guint i = 0; i < G_N_ELEMENTS(verbs); i++) {
        g_auto(Cli) c = { 0 };
        cli_run(&c, verbs[i], "--help", NULL);
        g_assert_cmpint(c.status, ==, 0);
        g_assert_nonnull(strstr(c.out, expect[i]));
    }
}

/* Each invocation must exit 2 and name the verb in its message. */
static void
test_bad_flags(void)
{
    if (!have_cli())
        return;
    const char *cases[][6] = {
        { "run", NULL },
        { "run", "--format", "xml", "topologies/trunk.topo", NULL },
        { "run", "--bogus", "topologies/trunk.topo", NULL },
        { "run", "--seed", "x", "topologies/trunk.topo", NULL },
        { "run", "--seed", "-1", "topologies/trunk.topo", NULL },
        { "run", "--seed", "18446744073709551616", "topologies/trunk.topo",
          NULL },
        { "run", "--seed", "+3", "topologies/trunk.topo", NULL },
        { "compare", "--seed", "-1", "topologies/trunk.topo", NULL },
        { "run", "no-such-file.topo", NULL },
        { "run", "topologies/trunk.topo", "--set", "nosuch.key=1", NULL },
        { "run", "--strategy", "nosuch", "topologies/trunk.topo", NULL },
        { "compare", "--reps", "0", "topologies/trunk.topo", NULL },
        { "compare", "--jobs", "-1", "topologies/trunk.topo", NULL },
        { "sweep", "no-such.exp", NULL },
        { "sweep", NULL },
        { "plot", "no-such-folder", NULL },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_auto(Cli) c = { 0 };
        const char *const *a = cases[i];
        cli_run(&c, a[0], a[1], a[2], a[3], a[4], NULL);
        g_test_message("case %u: %s", i, c.err);
        g_assert_cmpint(c.status, ==, 2);
        g_autofree char *prefix = g_strdup_printf("sipreuse %s", a[0]);
        g_assert_nonnull(strstr(c.err, prefix));
    }
}

/* `check` reports every problem of a file, each on its own line with
 * file, line, group and key, then their count; `run` lists them too. */
static void
test_check_all_problems(void)
{
    if (!have_cli())
        return;
    const char *file = "run/tests/data/several-problems.topo";
    g_auto(Cli) c = { 0 };
    cli_run(&c, "check", file, NULL);
    g_test_message("%s", c.err);
    g_assert_cmpint(c.status, ==, 2);
    g_auto(GStrv) lines = g_strsplit(c.err, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 7);
    for (guint i = 0; i < 5; i++) {
        g_autofree char *prefix = g_strdup_printf("sipreuse check: %s:", file);
        g_assert_true(g_str_has_prefix(lines[i], prefix));
        g_assert_nonnull(strstr(lines[i], "] "));
    }
    g_assert_nonnull(strstr(lines[5], "5 problems"));
    g_assert_cmpstr(lines[6], ==, "");
    g_auto(Cli) r = { 0 };
    cli_run(&r, "run", file, NULL);
    g_assert_cmpint(r.status, ==, 2);
    g_assert_nonnull(strstr(r.err, "sipreuse run: run/tests/data/several-"
                                   "problems.topo:25: [traffic a-to-a] to"));
}

/* A strategy that cannot run over the transport: set in the file, check
 * and run refuse it, unless run --strategy picks another; left to the
 * default, check passes with a note and run asks for --strategy. */
static void
test_check_strategy(void)
{
    if (!have_cli())
        return;
    g_auto(Cli) a = { 0 };
    cli_run(&a, "check", "topologies/pair.topo", "--set",
            "transport.protocol=tcp", NULL);
    g_assert_cmpint(a.status, ==, 0);
    g_assert_nonnull(strstr(a.out, "note: the default strategy reuse "
                                   "cannot run over transport tcp: run "
                                   "needs --strategy (one of rfc3261, "));
    g_auto(Cli) b = { 0 };
    cli_run(&b, "run", "topologies/pair.topo", "--set",
            "transport.protocol=tcp", NULL);
    g_assert_cmpint(b.status, ==, 2);
    g_assert_nonnull(strstr(b.err, "sipreuse run: topologies/pair.topo: "
                                   "the default strategy reuse cannot run "
                                   "over transport tcp: choose one with "
                                   "--strategy"));
    g_auto(Cli) c = { 0 };
    cli_run(&c, "check", "topologies/virtual-hosting.topo", "--set",
            "transport.protocol=tcp", NULL);
    g_assert_cmpint(c.status, ==, 2);
    g_assert_nonnull(strstr(c.err, "[simulation] strategy: expected a "
                                   "strategy that runs over protocol tcp"));
    g_auto(Cli) d = { 0 };
    cli_run(&d, "check", "topologies/pair.topo", "--set",
            "simulation.strategy=reuse-unauthentcated", NULL);
    g_assert_cmpint(d.status, ==, 2);
    g_assert_nonnull(strstr(d.err, "did you mean \"reuse-unauthenticated\""));
    if (!have_cli())
        return;
    g_autofree char *dir = scratch("strategy");
    g_auto(Cli) e = { 0 };
    cli_run(&e, "run", "topologies/virtual-hosting.topo", "--set",
            "transport.protocol=tcp", "--set", "simulation.duration=8s",
            "--strategy", "rfc3261", "--out", dir, "--format", "tsv", NULL);
    g_test_message("%s", e.err);
    g_assert_cmpint(e.status, ==, 0);
}

/* Seeds span 0..2^64-1 on the command line as in a topology, parsed
 * strictly; compare refuses a first seed whose replications would wrap. */
static void
test_seed_range(void)
{
    if (!have_cli())
        return;
    g_auto(Cli) c = { 0 };
    cli_run(&c, "compare", "--seed", "18446744073709551615", "--reps", "2",
            "topologies/trunk.topo", NULL);
    g_assert_cmpint(c.status, ==, 2);
    g_assert_nonnull(strstr(c.err, "expected a first seed of at most "
                                   "18446744073709551614 for 2 "
                                   "replications"));
    if (!have_cli())
        return;
    g_autofree char *dir = scratch("seed-max");
    g_auto(Cli) r = { 0 };
    cli_run(&r, "run", "topologies/trunk.topo", SHORT, "--seed",
            "18446744073709551615", "--out", dir, "--format", "tsv", NULL);
    g_assert_cmpint(r.status, ==, 0);
    g_autofree char *runs = read_file(dir, "runs.tsv");
    g_assert_nonnull(strstr(runs, "\t18446744073709551615\t"));
}

static void
test_run_files(void)
{
    if (!have_cli())
        return;
    g_autofree char *dir = scratch("run");
    g_auto(Cli) c = { 0 };
    cli_run(&c, "run", "topologies/trunk.topo", SHORT, "--seed", "3", "--out",
            dir, "--format", "json", NULL);
    g_assert_cmpint(c.status, ==, 0);
    g_assert_nonnull(strstr(c.out, "\"meta\": {"));
    const char *files[] = { "summary.json", "runs.tsv", "nodes.tsv",
                            "timeseries.tsv", "latency.tsv",
                            SIM_OUT_COMPLETE };
    for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *p = g_build_filename(dir, files[i], NULL);
        g_assert_true(g_file_test(p, G_FILE_TEST_IS_REGULAR));
    }
    g_autofree char *runs = read_file(dir, "runs.tsv");
    g_autofree char *header = sim_out_runs_header();
    g_assert_true(g_str_has_prefix(runs, header));
    /* The run's further counters are integers in summary.json. */
    g_autofree char *json = read_file(dir, "summary.json");
    const char *bye = strstr(json, "\"bye.completed\": ");
    g_assert_nonnull(bye);
    bye += strlen("\"bye.completed\": ");
    g_assert_true(g_ascii_isdigit(*bye));
    while (g_ascii_isdigit(*bye))
        bye++;
    g_assert_cmpint(*bye, ==, ',');
    g_auto(GStrv) row = g_strsplit(runs + strlen(header), "\t", -1);
    g_assert_cmpstr(row[0], ==, "trunk");
    g_assert_cmpstr(row[2], ==, "3");
}

/* Blanks the two wall-clock columns (sim.wall_s, sim.events_per_s),
 * found by name in the header line, of each line. */
static char *
strip_timing(const char *tsv)
{
    g_auto(GStrv) lines = g_strsplit(tsv, "\n", -1);
    g_auto(GStrv) head = g_strsplit(lines[0], "\t", -1);
    GString *s = g_string_new(NULL);
    for (guint i = 0; lines[i] && *lines[i]; i++) {
        g_auto(GStrv) f = g_strsplit(lines[i], "\t", -1);
        for (guint k = 0; f[k]; k++) {
            gboolean timing = k < g_strv_length(head) &&
                              (g_str_equal(head[k], "sim.wall_s") ||
                               g_str_equal(head[k], "sim.events_per_s"));
            g_string_append_printf(s, "%s%s", k ? "\t" : "",
                                   timing && i ? "-" : f[k]);
        }
        g_string_append_c(s, '\n');
    }
    return g_string_free(s, FALSE);
}

static void
test_run_determinism(void)
{
    if (!have_cli())
        return;
    g_autofree char *a = scratch("det-a"), *b = scratch("det-b");
    g_autofree char *c1 = scratch("det-c"), *c2 = scratch("det-d");
    g_auto(Cli) x = { 0 }, y = { 0 }, z = { 0 }, w = { 0 };
    cli_run(&x, "run", "topologies/trunk.topo", SHORT, "--out", a,
            "--no-timing", NULL);
    cli_run(&y, "run", "topologies/trunk.topo", SHORT, "--out", b,
            "--no-timing", NULL);
    g_assert_cmpint(x.status, ==, 0);
    g_assert_cmpint(y.status, ==, 0);
    g_autofree char *ra = read_file(a, "runs.tsv");
    g_autofree char *rb = read_file(b, "runs.tsv");
    g_assert_cmpstr(ra, ==, rb);
    g_autofree char *sa = read_file(a, "summary.json");
    g_autofree char *sb = read_file(b, "summary.json");
    g_assert_cmpstr(sa, ==, sb);
    /* With timing, only the two wall-clock columns may differ. */
    cli_run(&z, "run", "topologies/trunk.topo", SHORT, "--out", c1, NULL);
    cli_run(&w, "run", "topologies/trunk.topo", SHORT, "--out", c2, NULL);
    g_autofree char *r1 = read_file(c1, "runs.tsv");
    g_autofree char *r2 = read_file(c2, "runs.tsv");
    g_autofree char *t1 = strip_timing(r1), *t2 = strip_timing(r2);
    g_autofree char *ta = strip_timing(ra);
    g_assert_cmpstr(t1, ==, t2);
    g_assert_cmpstr(t1, ==, ta);
    /* A different seed gives a different run. */
    g_autofree char *d = scratch("det-e");
    g_auto(Cli) v = { 0 };
    cli_run(&v, "run", "topologies/trunk.topo", SHORT, "--seed", "2",
            "--out", d, "--no-timing", NULL);
    g_autofree char *rd = read_file(d, "runs.tsv");
    g_assert_cmpstr(rd, !=, ra);
}

/* A number from summary.json ("KEY": VALUE). */
static guint64
summary_value(const char *json, const char *key)
{
    g_autofree char *k = g_strdup_printf("\"%s\": ", key);
    const char *p = strstr(json, k);
    g_assert_nonnull(p);
    return g_ascii_strtoull(p + strlen(k), NULL, 10);
}

/* Counts, in a libpcap file of raw IPv4 packets carrying SIP over TCP,
 * the packets whose payload starts with @prefix; checks the framing of
 * every record (lengths agree, timestamps never decrease). */
static guint
pcap_count(const char *data, gsize len, const char *prefix)
{
    guint32 hdr[6];
    g_assert_cmpuint(len, >=, sizeof hdr);
    memcpy(hdr, data, sizeof hdr);
    g_assert_cmphex(hdr[0], ==, 0xa1b2c3d4);
    g_assert_cmpuint(hdr[5], ==, 101); /* LINKTYPE_RAW */
    guint n = 0;
    guint64 last = 0;
    for (gsize off = sizeof hdr; off < len;) {
        guint32 rec[4];
        g_assert_cmpuint(off + sizeof rec, <=, len);
        memcpy(rec, data + off, sizeof rec);
        const guint8 *ip = (const guint8 *)data + off + sizeof rec;
        g_assert_cmpuint(rec[2], ==, rec[3]);
        g_assert_cmpuint(off + sizeof rec + rec[2], <=, len);
        g_assert_cmphex(ip[0], ==, 0x45);
        g_assert_cmpuint(ip[9], ==, 6); /* TCP: pair.topo runs TLS */
        g_assert_cmpuint((guint)ip[2] << 8 | ip[3], ==, rec[2]);
        guint64 t = (guint64)rec[0] * 1000000 + rec[1];
        g_assert_cmpuint(t, >=, last);
        last = t;
        const char *payload = (const char *)ip + 40;
        n += strncmp(payload, prefix, strlen(prefix)) == 0;
        off += sizeof rec + rec[2];
    }
    return n;
}

/* --pcap-sip writes every SIP message: one INVITE per call on this one-hop
 * topology and a 200 for each answered INVITE and each completed BYE, as
 * the run's own counters say; the same seed gives the same bytes. */
static void
test_run_pcap(void)
{
    if (!have_cli())
        return;
    g_autofree char *dir = scratch("pcap");
    g_autofree char *cap = g_build_filename(dir, "a.pcap", NULL);
    g_autofree char *cap2 = g_build_filename(dir, "b.pcap", NULL);
    g_auto(Cli) x = { 0 }, y = { 0 };
    cli_run(&x, "run", "topologies/pair.topo", "--out", dir, "--pcap-sip", cap,
            "--no-timing", NULL);
    g_assert_cmpint(x.status, ==, 0);
    cli_run(&y, "run", "topologies/pair.topo", "--out", dir, "--pcap-sip", cap2,
            "--no-timing", NULL);
    g_assert_cmpint(y.status, ==, 0);
    g_autofree char *json = read_file(dir, "summary.json");
    g_autofree char *a = NULL, *b = NULL;
    gsize na = 0, nb = 0;
    g_assert_true(g_file_get_contents(cap, &a, &na, NULL));
    g_assert_true(g_file_get_contents(cap2, &b, &nb, NULL));
    g_assert_cmpmem(a, na, b, nb);
    guint64 calls = summary_value(json, "calls.attempted");
    g_assert_cmpuint(calls, >, 0);
    g_assert_cmpuint(pcap_count(a, na, "INVITE "), ==, calls);
    g_assert_cmpuint(pcap_count(a, na, "SIP/2.0 200 "), ==,
                     summary_value(json, "calls.completed") +
                         summary_value(json, "bye.completed"));
    /* An unwritable capture is a run-time failure with a message. */
    g_auto(Cli) z = { 0 };
    cli_run(&z, "run", "topologies/pair.topo", "--out", dir, "--pcap-sip",
            "/nonexistent/dir/x.pcap", NULL);
    g_assert_cmpint(z.status, !=, 0);
    g_assert_nonnull(strstr(z.err, "--pcap-sip"));
}

/* --pcap writes the packet trace (nanosecond libpcap, raw IPv4, starting
 * with the first connection's SYN), --pcap-per-node one file per node,
 * both at once; unwritable places are run-time failures naming the
 * option.  (run/tests/test_pcap_trace.c reads traces in depth.) */
static void
test_run_pcap_trace(void)
{
    if (!have_cli())
        return;
    g_autofree char *dir = scratch("pcap-trace");
    g_autofree char *cap = g_build_filename(dir, "t.pcap", NULL);
    g_autofree char *nodes = g_build_filename(dir, "nodes", NULL);
    g_auto(Cli) x = { 0 };
    cli_run(&x, "run", "topologies/pair.topo", "--out", dir, "--pcap", cap,
            "--pcap-per-node", nodes, "--set", "simulation.duration=10s",
            "--no-timing", NULL);
    g_assert_cmpint(x.status, ==, 0);
    g_autofree char *a = NULL;
    gsize na = 0;
    g_assert_true(g_file_get_contents(cap, &a, &na, NULL));
    g_assert_cmpuint(na, >, 24 + 16 + 40);
    guint32 magic;
    memcpy(&magic, a, 4);
    g_assert_cmphex(magic, ==, 0xa1b23c4d);
    const guint8 *ip = (const guint8 *)a + 24 + 16;
    g_assert_cmpuint(ip[9], ==, 6);
    g_assert_cmphex(ip[20 + 13], ==, 0x02); /* SYN */
    for (guint i = 0; i < 2; i++) {
        g_autofree char *f = g_build_filename(nodes, i ? "B.pcap" : "A.pcap",
                                              NULL);
        g_assert_true(g_file_test(f, G_FILE_TEST_IS_REGULAR));
    }
    g_auto(Cli) y = { 0 }, z = { 0 };
    cli_run(&y, "run", "topologies/pair.topo", "--out", dir, "--pcap",
            "/nonexistent/dir/x.pcap", NULL);
    g_assert_cmpint(y.status, ==, 1);
    g_assert_nonnull(strstr(y.err, "--pcap /nonexistent"));
    cli_run(&z, "run", "topologies/pair.topo", "--out", dir,
            "--pcap-per-node", cap, NULL);
    g_assert_cmpint(z.status, ==, 1);
    g_assert_nonnull(strstr(z.err, "--pcap-per-node"));
}

static void
test_compare_jobs(void)
{
    if (!have_cli())
        return;
    g_autofree char *a = scratch("cmp-1"), *b = scratch("cmp-2");
    g_auto(Cli) x = { 0 }, y = { 0 };
    cli_run(&x, "compare", "topologies/trunk.topo", SHORT, "--strategies",
            "reuse,rfc3261", "--reps", "2", "--jobs", "1", "--out", a,
            "--no-timing", "--no-plots", NULL);
    cli_run(&y, "compare", "topologies/trunk.topo", SHORT, "--strategies",
            "reuse,rfc3261", "--reps", "2", "--jobs", "2", "--out", b,
            "--no-timing", "--no-plots", NULL);
    g_assert_cmpint(x.status, ==, 0);
    g_assert_cmpint(y.status, ==, 0);
    g_assert_nonnull(strstr(x.out, "calls completed"));
    const char *files[] = { "runs.tsv", "aggregate.tsv" };
    for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *ta = read_file(a, files[i]);
        g_autofree char *tb = read_file(b, files[i]);
        g_assert_cmpstr(ta, ==, tb);
    }
    /* Header plus 2 strategies x 2 seeds, in strategy then seed order. */
    g_autofree char *runs = read_file(a, "runs.tsv");
    g_auto(GStrv) lines = g_strsplit(runs, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 6);
    g_assert_true(g_str_has_prefix(lines[1], "trunk\treuse\t1\t"));
    g_assert_true(g_str_has_prefix(lines[4], "trunk\trfc3261\t2\t"));
    /* The folder keeps the topology file as loaded, before the --set
     * overrides. */
    g_autofree char *src = g_build_filename(g_getenv("SIPREUSE_SRCDIR"),
                                            "topologies", "trunk.topo",
                                            NULL);
    g_autofree char *orig = NULL;
    g_assert_true(g_file_get_contents(src, &orig, NULL, NULL));
    g_autofree char *copy = read_file(a, "topology.topo");
    g_assert_cmpstr(copy, ==, orig);
}

static char *
write_experiment(const char *dir)
{
    g_autofree char *topo = g_build_filename(g_getenv("SIPREUSE_SRCDIR"),
                                             "topologies", "trunk.topo",
                                             NULL);
    g_autofree char *text = g_strdup_printf(
        "[experiment]\ntopology = %s\nstrategies = reuse, rfc3261\n"
        "reps = 2\nseed = 5\n"
        "set = simulation.duration=3s; simulation.warmup=1s\n"
        "[vary]\ntraffic.a-to-b.rate = 10, 20, 40\n"
        "[plot connections]\nx = traffic.a-to-b.rate\n"
        "y = connections.peak\nknee = latency.setup_ms.p95 < 500\n", topo);
    char *path = g_build_filename(dir, "small.exp", NULL);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return path;
}

/* [experiment] seed is read strictly: a negative, a word, or a first seed
 * whose replications would pass 2^64 - 1 is refused (exit 2, naming the
 * group and key) before anything runs. */
static void
test_sweep_bad_seed(void)
{
    if (!have_cli())
        return;
    g_autofree char *tmp = scratch("sweep-seed");
    g_autofree char *exp = write_experiment(tmp);
    g_autofree char *good = NULL;
    g_assert_true(g_file_get_contents(exp, &good, NULL, NULL));
    const char *bad[] = { "-1", "five", "18446744073709551615" };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *seed = g_strdup_printf("seed = %s\n", bad[i]);
        g_autoptr(GString) text = g_string_new(good);
        g_string_replace(text, "seed = 5\n", seed, 1);
        g_assert_true(g_file_set_contents(exp, text->str, -1, NULL));
        g_autofree char *out = g_build_filename(tmp, "out", NULL);
        g_auto(Cli) c = { 0 };
        cli_run(&c, "sweep", exp, "--out", out, "--no-plots", NULL);
        g_assert_cmpint(c.status, ==, 2);
        g_assert_nonnull(strstr(c.err, "[experiment] seed"));
        g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    }
}

/* Counts complete run folders under @dir/runs. */
static guint
count_complete(const char *dir)
{
    g_autofree char *runs = g_build_filename(dir, "runs", NULL);
    g_autoptr(GDir) pts = g_dir_open(runs, 0, NULL);
    guint n = 0;
    const char *p;
    while (pts && (p = g_dir_read_name(pts))) {
        g_autofree char *pd = g_build_filename(runs, p, NULL);
        g_autoptr(GDir) rd = g_dir_open(pd, 0, NULL);
        const char *r;
        while (rd && (r = g_dir_read_name(rd))) {
            g_autofree char *d = g_build_filename(pd, r, NULL);
            n += sim_out_run_complete(d);
        }
    }
    return n;
}

/* Starts a sweep, kills it with SIGTERM once a run is complete. */
static void
sweep_interrupted(const char *exp, const char *out)
{
    const char *argv[] = { g_getenv("SIPREUSE_BIN"), "sweep", exp, "--out",
                           out, "--jobs", "1", "--no-timing", "--no-plots",
                           NULL };
    GPid pid;
    g_autoptr(GError) error = NULL;
    g_assert_true(g_spawn_async(NULL, (char **)argv, NULL,
                                G_SPAWN_DO_NOT_REAP_CHILD |
                                    G_SPAWN_STDOUT_TO_DEV_NULL,
                                NULL, NULL, &pid, &error));
    int status = 0;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (count_complete(out) >= 1) {
            kill(pid, SIGTERM);
            waitpid(pid, &status, 0);
            break;
        }
        g_usleep(2000);
    }
    g_spawn_close_pid(pid);
}

static void
test_sweep_resume(void)
{
    if (!have_cli())
        return;
    g_autofree char *tmp = scratch("sweep");
    g_autofree char *exp = write_experiment(tmp);
    g_autofree char *full = g_build_filename(tmp, "full", NULL);
    g_autofree char *cut = g_build_filename(tmp, "cut", NULL);
    g_auto(Cli) a = { 0 }, b = { 0 };
    cli_run(&a, "sweep", exp, "--out", full, "--jobs", "2", "--no-timing",
            NULL);
    g_assert_cmpint(a.status, ==, 0);
    g_assert_cmpuint(count_complete(full), ==, 12);
    sweep_interrupted(exp, cut);
    guint before = count_complete(cut);
    g_test_message("interrupted after %u of 12 runs", before);
    g_assert_cmpuint(before, >=, 1);
    cli_run(&b, "sweep", exp, "--out", cut, "--resume", "--jobs", "2",
            "--no-timing", "--no-plots", NULL);
    g_assert_cmpint(b.status, ==, 0);
    g_autofree char *msg = g_strdup_printf("%u already complete", before);
    g_assert_nonnull(strstr(b.out, msg));
    g_assert_nonnull(strstr(b.out, "(0 of them stale"));
    const char *files[] = { "runs.tsv", "aggregate.tsv" };
    for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *ta = read_file(full, files[i]);
        g_autofree char *tb = read_file(cut, files[i]);
        g_assert_cmpstr(ta, ==, tb);
    }
    /* runs.tsv leads with the varied key, then the contract columns, then
     * the varied rate as a number in calls/s; rows in point, strategy,
     * seed order. */
    g_autofree char *runs = read_file(full, "runs.tsv");
    g_autofree char *contract = g_strchomp(sim_out_runs_header());
    g_autofree char *header = g_strconcat("traffic.a-to-b.rate\t", contract,
                                          "\ttraffic.a-to-b.rate_per_s\n",
                                          NULL);
    g_assert_true(g_str_has_prefix(runs, header));
    g_auto(GStrv) lines = g_strsplit(runs, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 14);
    g_assert_true(g_str_has_prefix(lines[1], "10\ttrunk\treuse\t5\t"));
    g_assert_true(g_str_has_prefix(lines[4], "10\ttrunk\trfc3261\t6\t"));
    g_assert_true(g_str_has_prefix(lines[5], "20\ttrunk\treuse\t5\t"));
    g_assert_true(g_str_has_prefix(lines[12], "40\ttrunk\trfc3261\t6\t"));
    for (guint i = 1; i < 13; i++) {
        g_auto(GStrv) f = g_strsplit(lines[i], "\t", -1);
        g_assert_cmpuint(g_strv_length(f), ==, 2 + sim_out_n_run_keys());
        /* The trailing numeric column is the rate of the leading one. */
        g_assert_cmpstr(f[1 + sim_out_n_run_keys()], ==, f[0]);
    }
    /* The folder keeps the experiment and the topology file. */
    g_autofree char *src = g_build_filename(g_getenv("SIPREUSE_SRCDIR"),
                                            "topologies", "trunk.topo",
                                            NULL);
    g_autofree char *orig = NULL, *exp_text = NULL;
    g_assert_true(g_file_get_contents(src, &orig, NULL, NULL));
    g_assert_true(g_file_get_contents(exp, &exp_text, NULL, NULL));
    g_autofree char *topo_copy = read_file(full, "topology.topo");
    g_autofree char *exp_copy = read_file(full, "experiment.exp");
    g_assert_cmpstr(topo_copy, ==, orig);
    g_assert_cmpstr(exp_copy, ==, exp_text);
    /* The uninterrupted sweep drew its plot. */
    g_autofree char *png = g_build_filename(full, "plots", "connections.png",
                                            NULL);
    g_assert_true(g_file_test(png, G_FILE_TEST_IS_REGULAR));
}

/* Two runs (one point, rfc3261, seeds 1 and 2) with simulation.duration
 * fixed to @duration. */
static char *
write_stale_experiment(const char *dir, const char *duration)
{
    g_autofree char *topo = g_build_filename(g_getenv("SIPREUSE_SRCDIR"),
                                             "topologies", "trunk.topo",
                                             NULL);
    g_autofree char *text = g_strdup_printf(
        "[experiment]\ntopology = %s\nstrategies = rfc3261\nreps = 2\n"
        "set = simulation.duration=%s; simulation.warmup=1s\n"
        "[vary]\ntraffic.a-to-b.rate = 10\n", topo, duration);
    char *path = g_build_filename(dir, "stale.exp", NULL);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return path;
}

/* Runs `sweep EXP --out OUT [--resume]` and returns its stdout. */
static char *
sweep_out(const char *exp, const char *out, gboolean resume)
{
    g_auto(Cli) c = { 0 };
    cli_run(&c, "sweep", exp, "--out", out, "--jobs", "1", "--no-timing",
            "--no-plots", resume ? "--resume" : NULL, NULL);
    g_test_message("%s%s", c.out, c.err);
    g_assert_cmpint(c.status, ==, 0);
    return g_steal_pointer(&c.out);
}

/* sweep --reps, --seed and --set override the experiment: the stale
 * experiment's two rfc3261 runs (seeds 1, 2) become one run of seed 9
 * whose topology has the extra override, recorded in the run's
 * summary.json after the experiment's own. */
static void
test_sweep_overrides(void)
{
    if (!have_cli())
        return;
    g_autofree char *tmp = scratch("sweep-args");
    g_autofree char *exp = write_stale_experiment(tmp, "3s");
    g_autofree char *out = g_build_filename(tmp, "out", NULL);
    g_auto(Cli) c = { 0 }, bad = { 0 }, zero = { 0 };
    cli_run(&c, "sweep", exp, "--out", out, "--jobs", "1", "--no-plots",
            "--reps", "1", "--seed", "9", "--set", "node.a1.cores=3", NULL);
    g_test_message("%s%s", c.out, c.err);
    g_assert_cmpint(c.status, ==, 0);
    g_autofree char *runs = read_file(out, "runs.tsv");
    g_auto(GStrv) lines = g_strsplit(runs, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 3);
    g_assert_true(g_str_has_prefix(lines[1], "10\ttrunk\trfc3261\t9\t"));
    g_autofree char *dir = g_build_filename(out, "runs",
                                            "traffic.a-to-b.rate=10",
                                            "rfc3261-seed9", NULL);
    g_autofree char *json = read_file(dir, "summary.json");
    g_assert_nonnull(strstr(json, "\"simulation.warmup=1s\", "
                                  "\"node.a1.cores=3\""));
    cli_run(&bad, "sweep", exp, "--out", out, "--seed", "-1", NULL);
    g_assert_cmpint(bad.status, ==, 2);
    cli_run(&zero, "sweep", exp, "--out", out, "--reps", "0", NULL);
    g_assert_cmpint(zero.status, ==, 2);
}

/* --resume reuses a complete run only if its fingerprint (topology text,
 * overrides, strategy, seed, version) matches: no edit reruns nothing, a
 * marker without a fingerprint is stale, an edited fixed override makes
 * every run stale, and the rerun gives what a fresh sweep gives. */
static void
test_sweep_stale(void)
{
    if (!have_cli())
        return;
    g_autofree char *tmp = scratch("stale");
    g_autofree char *out = g_build_filename(tmp, "out", NULL);
    g_autofree char *fresh = g_build_filename(tmp, "fresh", NULL);
    g_autofree char *exp = write_stale_experiment(tmp, "3s");
    g_autofree char *o1 = sweep_out(exp, out, FALSE);
    g_assert_nonnull(strstr(o1, "2 ran (0 of them stale"));
    g_autofree char *runs1 = read_file(out, "runs.tsv");
    g_autofree char *o2 = sweep_out(exp, out, TRUE);
    g_assert_nonnull(strstr(o2, "0 ran (0 of them stale"));
    g_assert_nonnull(strstr(o2, "2 already complete"));
    g_autofree char *runs2 = read_file(out, "runs.tsv");
    g_assert_cmpstr(runs2, ==, runs1);
    g_autofree char *marker = g_build_filename(
        out, "runs", "traffic.a-to-b.rate=10", "rfc3261-seed2",
        SIM_OUT_COMPLETE, NULL);
    g_autofree char *mark = NULL;
    g_assert_true(g_file_get_contents(marker, &mark, NULL, NULL));
    g_assert_true(g_str_has_prefix(mark, "complete\nfingerprint sha256:"));
    g_assert_true(g_file_set_contents(marker, "complete\n", -1, NULL));
    g_autofree char *o3 = sweep_out(exp, out, TRUE);
    g_assert_nonnull(strstr(o3, "1 ran (1 of them stale"));
    g_assert_nonnull(strstr(o3, "1 already complete"));
    g_autofree char *runs3 = read_file(out, "runs.tsv");
    g_assert_cmpstr(runs3, ==, runs1);
    g_free(write_stale_experiment(tmp, "2s"));
    g_autofree char *o4 = sweep_out(exp, out, TRUE);
    g_assert_nonnull(strstr(o4, "2 ran (2 of them stale"));
    g_assert_nonnull(strstr(o4, "0 already complete"));
    g_autofree char *runs4 = read_file(out, "runs.tsv");
    g_assert_cmpstr(runs4, !=, runs1);
    g_autofree char *o5 = sweep_out(exp, fresh, FALSE);
    g_autofree char *runs5 = read_file(fresh, "runs.tsv");
    g_assert_cmpstr(runs4, ==, runs5);
}

/* A compare folder made from hand-built results, for the plot scripts. */
static void
fake_compare(const char *dir)
{
    const char *strategies[] = { "reuse", "rfc3261" };
    GString *runs = g_string_new(NULL);
    g_autofree char *header = sim_out_runs_header();
    g_string_append(runs, header);
    for (guint s = 0; s < 2; s++) {
        g_autoptr(SimRunResult) r = sim_run_result_new();
        r->topology = g_strdup("fake");
        r->strategy = g_strdup(strategies[s]);
        r->seed = 1;
        r->protocol = g_strdup("tls");
        r->connections_peak = 2 + 10 * s;
        r->n_nodes = 1;
        r->nodes = g_new0(SimNodeResult, 1);
        r->nodes[0].node = g_strdup("p1");
        r->nodes[0].requests_received = 10;
        r->n_samples = 2;
        r->samples = g_new0(SimSample, 2);
        r->samples[0] = (SimSample){ .t = 1000000000, .open_connections = 1,
                                      .cpu_util = 0.1,
                                      .calls_in_progress = 1 };
        r->samples[1] = (SimSample){ .t = 2000000000, .open_connections = 2,
                                      .cpu_util = 0.1,
                                      .calls_in_progress = 1 };
        r->n_latency = 2;
        r->latency = g_new0(SimLatencyBucket, 2);
        r->latency[0] = (SimLatencyBucket){ 1000000, 1010000, 1 };
        r->latency[1] = (SimLatencyBucket){ 9000000, 9070000, 1 };
        g_autofree char *leaf = g_strdup_printf("%s-seed1", strategies[s]);
        g_autofree char *rd = g_build_filename(dir, leaf, NULL);
        g_assert_true(sim_out_write_run(r, rd, NULL, NULL));
        g_autofree char *row = sim_out_runs_row(r, NULL);
        g_string_append(runs, row);
    }
    g_autofree char *rp = g_build_filename(dir, "runs.tsv", NULL);
    g_assert_true(sim_out_write_file(rp, runs->str, NULL));
    g_string_free(runs, TRUE);
    /* aggregate.tsv from the runs just written. */
    g_autofree char *ap = g_build_filename(dir, "aggregate.tsv", NULL);
    g_autofree char *text = read_file(dir, "runs.tsv");
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    SimOutGroup groups[2];
    for (guint s = 0; s < 2; s++) {
        groups[s].labels = (char **)&strategies[s];
        groups[s].rows = g_ptr_array_new_with_free_func(
            (GDestroyNotify)g_strfreev);
        g_ptr_array_add(groups[s].rows, g_strsplit(lines[1 + s], "\t", -1));
    }
    const char *names[] = { "strategy", NULL };
    g_autofree char *agg = sim_out_aggregate_tsv(names, groups, 2);
    g_assert_true(sim_out_write_file(ap, agg, NULL));
    for (guint s = 0; s < 2; s++)
        g_ptr_array_unref(groups[s].rows);
}

/* TRUE if gnuplot is installed; skips the test otherwise. */
static gboolean
have_gnuplot(void)
{
    g_autofree char *gp = g_find_program_in_path("gnuplot");
    if (!gp)
        g_test_skip("gnuplot is not installed");
    return gp != NULL;
}

/* Asserts that @dir/plots holds a non-trivial NAME.png and NAME.svg. */
static void
assert_images(const char *dir, const char *name)
{
    const char *ext[] = { "png", "svg" };
    for (guint e = 0; e < 2; e++) {
        g_autofree char *file = g_strdup_printf("%s.%s", name, ext[e]);
        g_autofree char *p = g_build_filename(dir, "plots", file, NULL);
        GStatBuf st;
        g_assert_cmpint(g_stat(p, &st), ==, 0);
        g_assert_cmpint(st.st_size, >, 1000);
    }
}

/* The x column of every data line of a sweep plot's .dat file, in file
 * order, as space-separated text (block headers and blank lines skipped). */
static char *
dat_xs(const char *dat)
{
    g_auto(GStrv) lines = g_strsplit(dat, "\n", -1);
    GString *s = g_string_new(NULL);
    for (guint i = 0; lines[i]; i++) {
        if (!*lines[i] || g_str_has_prefix(lines[i], "x\t"))
            continue;
        g_auto(GStrv) f = g_strsplit(lines[i], "\t", 2);
        g_string_append_printf(s, "%s%s", s->len ? " " : "", f[0]);
    }
    return g_string_free(s, FALSE);
}

/* A sweep over a duration-valued key, values written in several units and
 * out of order: the plot data reads them in ms and sorts them numerically
 * (20ms, 1s, 2s, not 1s, 2s, 20ms), the default x label names the unit and
 * the default y label names both y keys. */
static void
test_plot_sweep_units(void)
{
    if (!have_cli() || !have_gnuplot())
        return;
    g_autofree char *tmp = scratch("units");
    g_autofree char *topo = g_build_filename(g_getenv("SIPREUSE_SRCDIR"),
                                             "topologies", "trunk.topo",
                                             NULL);
    g_autofree char *text = g_strdup_printf(
        "[experiment]\ntopology = %s\nstrategies = rfc3261\nreps = 1\n"
        "set = simulation.duration=3s; simulation.warmup=1s\n"
        "[vary]\nlink.a-dc.b-dc.delay = 2s, 20ms, 1s\n"
        "[plot delay]\nx = link.a-dc.b-dc.delay\n"
        "y = connections.peak, connections.mean\n", topo);
    g_autofree char *exp = g_build_filename(tmp, "units.exp", NULL);
    g_assert_true(g_file_set_contents(exp, text, -1, NULL));
    g_autofree char *out = g_build_filename(tmp, "out", NULL);
    g_auto(Cli) c = { 0 };
    cli_run(&c, "sweep", exp, "--out", out, "--jobs", "1", "--no-timing",
            NULL);
    g_test_message("%s", c.err);
    g_assert_cmpint(c.status, ==, 0);
    g_autofree char *plots = g_build_filename(out, "plots", NULL);
    g_autofree char *dat = read_file(plots, "delay.dat");
    g_autofree char *xs = dat_xs(dat);
    g_assert_cmpstr(xs, ==, "20 1000 2000");
    g_assert_nonnull(strstr(dat, "\"rfc3261: peak open connections\""));
    assert_images(out, "delay");
    g_autofree char *svg = read_file(plots, "delay.svg");
    g_assert_nonnull(strstr(svg, "link.a-dc.b-dc.delay (ms)"));
    g_assert_nonnull(strstr(svg, "peak open connections, mean open "
                                 "connections"));
}

/* `plot` on a single run's folder draws what one run has: open
 * connections over time, the latency CDF and the load per node. */
static void
test_plot_single_run(void)
{
    if (!have_cli() || !have_gnuplot())
        return;
    g_autofree char *dir = scratch("plot-run");
    g_auto(Cli) r = { 0 }, p = { 0 };
    cli_run(&r, "run", "topologies/trunk.topo", SHORT, "--out", dir,
            "--no-timing", NULL);
    g_assert_cmpint(r.status, ==, 0);
    cli_run(&p, "plot", dir, NULL);
    g_test_message("%s", p.err);
    g_assert_cmpint(p.status, ==, 0);
    assert_images(dir, "open-connections");
    assert_images(dir, "latency-cdf");
    assert_images(dir, "load-per-node");
}

/* The value of column @col in the row of @tsv whose first field is @key. */
static double
tsv_value(const char *tsv, const char *key, const char *col)
{
    g_auto(GStrv) lines = g_strsplit(tsv, "\n", -1);
    g_auto(GStrv) head = g_strsplit(lines[0], "\t", -1);
    gint c = -1;
    for (guint i = 0; head[i]; i++)
        if (g_str_equal(head[i], col) && c < 0)
            c = (gint)i;
    g_assert_cmpint(c, >=, 0);
    for (guint i = 1; lines[i]; i++) {
        g_auto(GStrv) f = g_strsplit(lines[i], "\t", -1);
        if (f[0] && g_str_equal(f[0], key))
            return g_ascii_strtod(f[c], NULL);
    }
    g_assert_not_reached();
    return NAN;
}

/* Load per node of a compare over srv-farm.topo (farm s1-s3 at equal
 * weights, backup s4 at a lower priority; node a alone serves its domain):
 * only the farm members are shown; per strategy the mean and 95% CI of
 * requests received over the two replications, recomputed here from the
 * run folders (t(0.975, 1) = 12.7062), and the expected load: 1/3 of the
 * farm's total for s1-s3, 0 for s4. */
static void
test_plot_load_per_node(void)
{
    if (!have_cli() || !have_gnuplot())
        return;
    g_autofree char *dir = scratch("load");
    g_auto(Cli) c = { 0 };
    cli_run(&c, "compare", "topologies/srv-farm.topo", SHORT,
            "--strategies", "reuse,rfc3261", "--reps", "2", "--out", dir,
            "--no-timing", NULL);
    g_test_message("%s", c.err);
    g_assert_cmpint(c.status, ==, 0);
    assert_images(dir, "load-per-node");
    g_autofree char *plots = g_build_filename(dir, "plots", NULL);
    g_autofree char *dat = read_file(plots, "load-per-node.dat");
    g_assert_true(g_str_has_prefix(dat, "node\tsrv.domain\tsrv.share\t"
                                        "reuse\tci\texpected\trfc3261\tci\t"
                                        "expected\ns1\texample.net\t"));
    g_assert_null(strstr(dat, "\na\t"));
    static const char *const farm[] = { "s1", "s2", "s3", "s4" };
    static const double share[] = { 1.0 / 3, 1.0 / 3, 1.0 / 3, 0 };
    const char *strategies[] = { "reuse", "rfc3261" };
    for (guint s = 0; s < 2; s++) {
        double mean[4], ci[4], total = 0;
        for (guint n = 0; n < 4; n++) {
            double x[2];
            for (guint r = 0; r < 2; r++) {
                g_autofree char *leaf = g_strdup_printf("%s-seed%u",
                                                        strategies[s], r + 1);
                g_autofree char *rd = g_build_filename(dir, leaf, NULL);
                g_autofree char *nodes = read_file(rd, "nodes.tsv");
                x[r] = tsv_value(nodes, farm[n], "requests.received");
            }
            mean[n] = (x[0] + x[1]) / 2;
            ci[n] = 12.7062 * fabs(x[0] - x[1]) / sqrt(2) / sqrt(2);
            total += mean[n];
        }
        g_assert_cmpfloat(total, >, 0);
        g_auto(GStrv) lines = g_strsplit(dat, "\n", -1);
        for (guint n = 0; n < 4; n++) {
            g_auto(GStrv) f = g_strsplit(lines[1 + n], "\t", -1);
            g_assert_cmpstr(f[0], ==, farm[n]);
            g_assert_cmpfloat_with_epsilon(g_ascii_strtod(f[3 + 3 * s], NULL),
                                           mean[n], 1e-5);
            g_assert_cmpfloat_with_epsilon(g_ascii_strtod(f[4 + 3 * s], NULL),
                                           ci[n], 1e-3);
            g_assert_cmpfloat_with_epsilon(g_ascii_strtod(f[5 + 3 * s], NULL),
                                           share[n] * total, 1e-4);
        }
    }
}

static void
test_plot_images(void)
{
    if (!have_cli())
        return;
    g_autofree char *gp = g_find_program_in_path("gnuplot");
    if (!gp) {
        g_test_skip("gnuplot is not installed");
        return;
    }
    g_autofree char *dir = scratch("plot");
    fake_compare(dir);
    g_auto(Cli) c = { 0 };
    cli_run(&c, "plot", dir, NULL);
    g_test_message("%s", c.err);
    g_assert_cmpint(c.status, ==, 0);
    const char *images[] = { "compare", "latency-cdf", "open-connections",
                             "load-per-node" };
    const char *ext[] = { "png", "svg" };
    for (guint i = 0; i < G_N_ELEMENTS(images); i++) {
        for (guint e = 0; e < 2; e++) {
            g_autofree char *name = g_strdup_printf("%s.%s", images[i],
                                                    ext[e]);
            g_autofree char *p = g_build_filename(dir, "plots", name, NULL);
            GStatBuf st;
            g_assert_cmpint(g_stat(p, &st), ==, 0);
            g_assert_cmpint(st.st_size, >, 1000);
        }
    }
}
/* ---- certificates from files, validated at [pki] verify-time ---------- */

/* Two proxies presenting certificate files; %s %s: B's cert and key. */
static const char pem_topo_fmt[] =
    "[simulation]\nduration = 4s\n"
    "[transport]\nprotocol = tls\n"
    "[pki]\nca-file = ca.crt\n"
    "[domain a.test]\n[domain b.test]\n"
    "[node A]\nhost = pa.a.test\ndomains = a.test\n"
    "cert-file = a.crt\nkey-file = a.key\n"
    "[node B]\nhost = pb.b.test\ndomains = b.test\n"
    "cert-file = %s\nkey-file = %s\n"
    "[traffic ab]\nfrom = a.test\nto = b.test\nrate = 2\nhold = 1s\n";

/* Runs @topo with @set (or none) into a fresh folder; returns its
 * summary.json. */
static char *
pem_run(const char *topo, const char *set)
{
    g_autofree char *out = scratch("pem-run");
    g_auto(Cli) c = { 0 };
    if (set)
        cli_run(&c, "run", topo, "--out", out, "--no-timing", "--set", set,
                NULL);
    else
        cli_run(&c, "run", topo, "--out", out, "--no-timing", NULL);
    g_test_message("run %s: %s", set ? set : "", c.err);
    g_assert_cmpint(c.status, ==, 0);
    return read_file(out, "summary.json");
}

/* The "pki_verify_time" of a summary.json, as seconds since the epoch. */
static gint64
pem_verify_time(const char *json, char **text)
{
    const char *key = "\"pki_verify_time\": \"";
    const char *p = strstr(json, key);
    g_assert_nonnull(p);
    p += strlen(key);
    *text = g_strndup(p, strcspn(p, "\""));
    g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(*text, NULL);
    g_assert_nonnull(dt);
    return g_date_time_to_unix(dt);
}

/* Certificates made now with OpenSSL (a CA from a day ago for a year,
 * leaves from now for 30 days): a run loading them validates at the
 * current time, succeeds and records that time in meta.pki_verify_time;
 * setting [pki] verify-time to the recorded value reproduces it.  A server
 * leaf valid only from 10 days ahead fails as not yet valid, one valid
 * until 10 days ago as expired, a client leaf from 10 days ahead as the
 * client's not yet valid; at the fixed 2025-01-01 all of them are not yet
 * valid (formerly reported as expired). */
static void
test_run_pem_now(void)
{
    if (!have_cli())
        return;
    const gint64 day = 86400, t0 = g_get_real_time() / G_USEC_PER_SEC;
    g_autofree char *dir = scratch("pem");
    g_autofree char *ca = g_build_filename(dir, "ca.crt", NULL);
    g_autofree char *cak = g_build_filename(dir, "ca.key", NULL);
    sim_test_pem_ca(ca, cak, t0 - day, t0 + 365 * day);
    static const struct {
        const char *name, *san;
        gint64 from, until;
    } leaves[] = {
        { "a", "URI:sip:a.test, URI:sip:pa.a.test", 0, 30 },
        { "a-future", "URI:sip:a.test, URI:sip:pa.a.test", 10, 40 },
        { "b", "URI:sip:b.test, URI:sip:pb.b.test", 0, 30 },
        { "b-future", "URI:sip:b.test, URI:sip:pb.b.test", 10, 40 },
        { "b-old", "URI:sip:b.test, URI:sip:pb.b.test", -40, -10 },
    };
    for (guint i = 0; i < G_N_ELEMENTS(leaves); i++) {
        g_autofree char *crt = g_strdup_printf("%s/%s.crt", dir,
                                               leaves[i].name);
        g_autofree char *key = g_strdup_printf("%s/%s.key", dir,
                                               leaves[i].name);
        sim_test_pem_leaf(ca, cak, crt, key, leaves[i].name, leaves[i].san,
                          t0 + leaves[i].from * day,
                          t0 + leaves[i].until * day);
    }
    g_autofree char *text = g_strdup_printf(pem_topo_fmt, "b.crt", "b.key");
    g_autofree char *topo = g_build_filename(dir, "pem.topo", NULL);
    g_assert_true(g_file_set_contents(topo, text, -1, NULL));

    g_autofree char *ok = pem_run(topo, NULL);
    gint64 t1 = g_get_real_time() / G_USEC_PER_SEC;
    g_autofree char *recorded = NULL;
    gint64 vt = pem_verify_time(ok, &recorded);
    g_assert_cmpint(vt, >=, t0);
    g_assert_cmpint(vt, <=, t1);
    g_assert_cmpuint(summary_value(ok, "calls.completed"), >, 0);
    g_assert_cmpuint(summary_value(ok, "handshakes.failed"), ==, 0);
    g_autofree char *pin = g_strdup_printf("pki.verify-time=%s", recorded);
    g_autofree char *again = pem_run(topo, pin);
    g_autofree char *recorded2 = NULL;
    g_assert_cmpint(pem_verify_time(again, &recorded2), ==, vt);
    /* Every statistic is the same; meta differs by the override. */
    *strstr(again, "\"meta\"") = '\0';
    *strstr(ok, "\"meta\"") = '\0';
    g_assert_cmpstr(again, ==, ok);

    static const struct {
        const char *node, *leaf, *counter;
    } fails[] = {
        { "B", "b-future", "tls.failed.server_not_yet_valid" },
        { "B", "b-old", "tls.failed.server_expired" },
        { "A", "a-future", "tls.failed.client_not_yet_valid" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(fails); i++) {
        g_autofree char *cert = g_strdup_printf(
            "node.%s.cert-file=%s/%s.crt", fails[i].node, dir, fails[i].leaf);
        g_autofree char *key = g_strdup_printf(
            "node.%s.key-file=%s/%s.key", fails[i].node, dir, fails[i].leaf);
        g_autofree char *out = scratch("pem-fail");
        g_auto(Cli) c = { 0 };
        cli_run(&c, "run", topo, "--out", out, "--no-timing", "--set", cert,
                "--set", key, NULL);
        g_assert_cmpint(c.status, ==, 0);
        g_autofree char *json = read_file(out, "summary.json");
        g_test_message("%s", fails[i].leaf);
        g_assert_cmpuint(summary_value(json, fails[i].counter), >, 0);
        g_assert_cmpuint(summary_value(json, "calls.completed"), ==, 0);
    }
    g_autofree char *ref = pem_run(topo, "pki.verify-time=2025-01-01");
    g_autofree char *ref_text = NULL;
    g_assert_cmpint(pem_verify_time(ref, &ref_text), ==, 1735689600);
    g_assert_cmpuint(summary_value(ref, "tls.failed.server_not_yet_valid"),
                     >, 0);
    g_assert_null(strstr(ref, "tls.failed.server_expired"));
    g_assert_cmpuint(summary_value(ref, "calls.completed"), ==, 0);

    /* A run told the instant (as a compare or sweep tells all of its
     * runs one) validates at it and records it. */
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) t = sim_topo_load(topo, NULL, &error);
    g_assert_no_error(error);
    SimRunOptions o = { .files_verify_time = t0 + 5 * day };
    g_autoptr(SimRunResult) r = sim_world_run(t, &o, &error);
    g_assert_no_error(error);
    g_autoptr(GDateTime) want = g_date_time_new_from_unix_utc(t0 + 5 * day);
    g_autofree char *want_text = g_date_time_format(want,
                                                    "%Y-%m-%dT%H:%M:%SZ");
    g_assert_cmpstr(r->pki_verify_time, ==, want_text);
    /* A compare's replications share one instant. */
    g_autofree char *cmp = scratch("pem-cmp");
    g_auto(Cli) c = { 0 };
    cli_run(&c, "compare", topo, "--strategies", "reuse", "--reps", "3",
            "--out", cmp, "--no-timing", "--no-plots", NULL);
    g_assert_cmpint(c.status, ==, 0);
    g_autofree char *first = NULL;
    for (guint i = 1; i <= 3; i++) {
        g_autofree char *sub = g_strdup_printf("reuse-seed%u", i);
        g_autofree char *rd = g_build_filename(cmp, sub, NULL);
        g_autofree char *json = read_file(rd, "summary.json");
        g_autofree char *vt_text = NULL;
        pem_verify_time(json, &vt_text);
        if (!first)
            first = g_strdup(vt_text);
        g_assert_cmpstr(vt_text, ==, first);
    }
}

/* ---- calibrate writes a profile that runs then use ------------------------- */

/* One call from A to B over one TLS connection A opens (reuse), so the
 * run's crypto CPU is one full handshake: A's client figure plus B's
 * server figure.  %s: TLS version. */
static const char cal_topo_fmt[] =
    "[simulation]\nduration = 5s\nstrategy = reuse\n"
    "[transport]\nprotocol = tls\ntls-version = %s\n"
    "[domain a.test]\n[domain b.test]\n"
    "[node A]\nhost = pa.a.test\ndomains = a.test\n"
    "[node B]\nhost = pb.b.test\ndomains = b.test\n"
    "[traffic ab]\nfrom = a.test\nto = b.test\ncount = 1\nhold = 1s\n";

/* A floating-point value from summary.json ("KEY": VALUE). */
static double
summary_double(const char *json, const char *key)
{
    g_autofree char *k = g_strdup_printf("\"%s\": ", key);
    const char *p = strstr(json, k);
    g_assert_nonnull(p);
    return g_ascii_strtod(p + strlen(k), NULL);
}

/* Crypto CPU seconds of the one-call run under TLS @version, with the
 * profile @profile (NULL: none). */
static double
cal_run_crypto(const char *dir, const char *version, const char *profile)
{
    g_autofree char *text = g_strdup_printf(cal_topo_fmt, version);
    g_autofree char *topo = g_build_filename(dir, "cal.topo", NULL);
    g_assert_true(g_file_set_contents(topo, text, -1, NULL));
    g_autofree char *out = scratch("cal-run");
    g_autofree char *set = g_strdup_printf("simulation.cpu-profile=%s",
                                           profile ? profile : "");
    g_auto(Cli) c = { 0 };
    if (profile)
        cli_run(&c, "run", topo, "--out", out, "--no-timing", "--set", set,
                NULL);
    else
        cli_run(&c, "run", topo, "--out", out, "--no-timing", NULL);
    g_test_message("run %s %s: %s", version, set, c.err);
    g_assert_cmpint(c.status, ==, 0);
    g_autofree char *json = read_file(out, "summary.json");
    g_assert_cmpuint(summary_value(json, "handshakes.tls_full"), ==, 1);
    g_assert_cmpuint(summary_value(json, "handshakes.tls_resumed"), ==, 0);
    return summary_double(json, "cpu.crypto_s");
}

/* Microseconds of [GROUP] KEY in a profile, read here with GKeyFile. */
static double
cal_us(GKeyFile *kf, const char *group, const char *key)
{
    g_autoptr(GError) error = NULL;
    double v = g_key_file_get_double(kf, group, key, &error);
    g_assert_no_error(error);
    return v;
}

/* `calibrate --quick --key ecdsa-p256` writes a profile (the other key
 * types at the built-in figures); a run that loads it through
 * [simulation] cpu-profile charges its one full handshake the measured
 * server + client figures of the run's TLS version. */
static void
test_calibrate_profile(void)
{
    if (!have_cli())
        return;
    g_autofree char *dir = scratch("cal");
    g_autofree char *prof = g_build_filename(dir, "host.profile", NULL);
    g_auto(Cli) c = { 0 };
    cli_run(&c, "calibrate", "--quick", "--key", "ecdsa-p256", "--out",
            prof, NULL);
    g_test_message("%s%s", c.out, c.err);
    g_assert_cmpint(c.status, ==, 0);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) error = NULL;
    g_assert_true(g_key_file_load_from_file(kf, prof, 0, &error));
    g_assert_cmpfloat(cal_us(kf, "rsa-2048", "sign"), ==, 1050);
    const char *g = "ecdsa-p256";
    double s13 = cal_us(kf, g, "tls-full-server");
    double c13 = cal_us(kf, g, "tls-full-client");
    double s12 = cal_us(kf, g, "tls12-full-server");
    double c12 = cal_us(kf, g, "tls12-full-client");
    g_assert_cmpfloat(s13, >, 0);
    g_assert_cmpfloat(c12, >, 0);
    /* Printed with 6 decimals: within 1 us.  Without a profile, the
     * built-in proxy profile's P-256 figures: 3.5 ms server + 2.5 ms
     * client. */
    g_assert_cmpfloat(fabs(cal_run_crypto(dir, "1.3", NULL) - 6000e-6), <,
                      1e-6);
    g_assert_cmpfloat(fabs(cal_run_crypto(dir, "1.3", prof) -
                           (s13 + c13) / 1e6), <, 1e-6);
    g_assert_cmpfloat(fabs(cal_run_crypto(dir, "1.2", prof) -
                           (s12 + c12) / 1e6), <, 1e-6);
}

/* The figure after @label at the start of a line of @out (a table
 * row). */
static double
cal_table_value(const char *out, const char *label)
{
    g_autofree char *row = g_strconcat("\n", label, " ", NULL);
    const char *p = strstr(out, row);
    g_assert_nonnull(p);
    return g_ascii_strtod(p + strlen(row), NULL);
}

/* `calibrate --quick --key ecdsa-p256` prints every figure it measures:
 * four handshake rows (TLS 1.3 and 1.2, mutual and one-way) of four
 * positive figures each, records, loopback TCP and memory, and says which
 * figures come from the built-in profile; the profile it writes holds the
 * measured connection, record, memory and one-way figures, and the shipped
 * proxy profile's for what it cannot measure. */
static void
test_calibrate_table(void)
{
    if (!have_cli())
        return;
    g_autofree char *dir = scratch("cal-table");
    g_autofree char *prof = g_build_filename(dir, "host.profile", NULL);
    g_auto(Cli) c = { 0 };
    cli_run(&c, "calibrate", "--quick", "--key", "ecdsa-p256", "--out",
            prof, NULL);
    g_test_message("%s%s", c.out, c.err);
    g_assert_cmpint(c.status, ==, 0);
    const char *const rows[] = { "1.3     mutual", "1.3     one-way",
                                 "1.2     mutual", "1.2     one-way" };
    for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autofree char *row = g_strconcat("ecdsa-p256 ", rows[i], NULL);
        const char *p = strstr(c.out, row);
        g_assert_nonnull(p);
        p += strlen(row);
        for (guint j = 0; j < 4; j++) {
            char *end = NULL;
            double v = g_ascii_strtod(p, &end);
            g_assert_true(end > p);
            g_assert_cmpfloat(v, >, 0);
            p = end;
        }
    }
    const char *const labels[] = {
        "seal (SSL_write)", "open (SSL_read)", "per side (profile)",
        "connect", "accept", "close, connecting end", "close, accepted end",
        "close per end (profile)",
    };
    for (guint i = 0; i < G_N_ELEMENTS(labels); i++)
        g_assert_cmpfloat(cal_table_value(c.out, labels[i]), >, 0);
    g_assert_cmpfloat(
        cal_table_value(c.out, "default mode, buffers kept (profile)"), >, 0);
    g_assert_nonnull(strstr(c.out, "Not measured here"));
    g_assert_nonnull(strstr(c.out, "SIP message CPU"));
    /* The profile holds what was measured... */
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) error = NULL;
    g_assert_true(g_key_file_load_from_file(kf, prof, 0, &error));
    const char *const conn[] = { "connect", "accept", "close", "tls-record",
                                 "tls-aead-per-kib" };
    for (guint i = 0; i < G_N_ELEMENTS(conn); i++)
        g_assert_cmpfloat(cal_us(kf, "conn", conn[i]), >, 0);
    const char *const oneway[] = {
        "tls-full-server-oneway", "tls-full-client-oneway",
        "tls12-full-server-oneway", "tls12-full-client-oneway"
    };
    for (guint i = 0; i < G_N_ELEMENTS(oneway); i++)
        g_assert_cmpfloat(cal_us(kf, "ecdsa-p256", oneway[i]), >, 0);
    /* [memory] tls is the mean of the two ends printed (third figure). */
    const char *row = strstr(c.out, "\ndefault mode, buffers kept (profile)");
    g_assert_nonnull(row);
    char *p = (char *)row + strlen("\ndefault mode, buffers kept (profile)");
    double mean = 0;
    for (guint j = 0; j < 3; j++)
        mean = g_ascii_strtod(p, &p);
    g_assert_cmpfloat(mean, >, 0);
    g_assert_cmpfloat(cal_us(kf, "memory", "tls"), ==, mean);
    /* ...and, for what cannot be measured here, the shipped proxy
     * profile's figures. */
    g_autofree char *shipped = g_build_filename(
        g_getenv("SIPREUSE_SRCDIR"), "profiles", "proxy.profile", NULL);
    g_autoptr(GKeyFile) pk = g_key_file_new();
    g_assert_true(g_key_file_load_from_file(pk, shipped, 0, &error));
    const char *const builtin[][2] = {
        { "sip", "invite" },        { "sip", "request" },
        { "sip", "response" },      { "sip", "stream-framing" },
        { "overload", "queue-limit" }, { "memory", "socket" },
        { "memory", "proxy" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(builtin); i++)
        g_assert_cmpfloat(cal_us(kf, builtin[i][0], builtin[i][1]), ==,
                          cal_us(pk, builtin[i][0], builtin[i][1]));
}

/* ---- the PKI cache of test runs ------------------------------------------- */

/* Names in folder @dir (empty if it does not exist). */
static GHashTable *
dir_names(const char *dir)
{
    GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                          NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d)))
        g_hash_table_add(h, g_strdup(name));
    return h;
}

/* Checks that a TLS run with a CA name never used before made its cache
 * folder under $SIPREUSE_CACHE and none under the source tree's cache/. */
static void
check_new_cache_entry(GHashTable *before)
{
    const char *cache = g_getenv("SIPREUSE_CACHE");
    g_autoptr(GHashTable) after = dir_names(cache);
    guint fresh = 0;
    GHashTableIter it;
    gpointer name;
    g_hash_table_iter_init(&it, after);
    while (g_hash_table_iter_next(&it, &name, NULL)) {
        if (g_hash_table_contains(before, name))
            continue;
        g_autofree char *in_src = g_build_filename(
            g_getenv("SIPREUSE_SRCDIR"), "cache", (char *)name, NULL);
        g_assert_false(g_file_test(in_src, G_FILE_TEST_EXISTS));
        fresh++;
    }
    g_assert_cmpuint(fresh, >=, 1);
}

/* make check puts the generated-PKI cache under the scratch folder
 * ($SIPREUSE_CACHE inside $SIPREUSE_TMPDIR), for the CLI and for runs
 * that test programs start themselves alike: a fresh CA's cache folder
 * appears there, never in the source tree. */
static void
test_cache_under_tmpdir(void)
{
    if (!have_cli())
        return;
    const char *tmp = g_getenv("SIPREUSE_TMPDIR");
    const char *cache = g_getenv("SIPREUSE_CACHE");
    if (!cache || !*cache) {
        g_test_skip("SIPREUSE_CACHE unset (make check sets it)");
        return;
    }
    g_assert_true(g_str_has_prefix(cache, tmp));
    g_autofree char *ca = g_strdup_printf(
        "cache test %" G_GINT64_FORMAT " %d", g_get_real_time(), getpid());
    g_autofree char *text = g_strdup_printf(
        "[simulation]\nduration = 2s\n[pki]\nca-name = %s\n"
        "[domain a.test]\n[node A]\nhost = pa.a.test\ndomains = a.test\n",
        ca);
    g_autofree char *dir = scratch("cache");
    g_autofree char *topo = g_build_filename(dir, "cache.topo", NULL);
    g_assert_true(g_file_set_contents(topo, text, -1, NULL));
    g_autoptr(GHashTable) before = dir_names(cache);
    g_auto(Cli) c = { 0 };
    cli_run(&c, "run", topo, "--out", dir, "--no-timing", NULL);
    g_assert_cmpint(c.status, ==, 0);
    check_new_cache_entry(before);

    g_autofree char *ca2 = g_strconcat(ca, " world", NULL);
    g_autofree char *set = g_strdup_printf("pki.ca-name=%s", ca2);
    const char *const ovs[] = { set, NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) t = sim_topo_load(topo, ovs, &error);
    g_assert_no_error(error);
    g_autoptr(GHashTable) before2 = dir_names(cache);
    g_autoptr(SimRunResult) r = sim_world_run(t, NULL, &error);
    g_assert_no_error(error);
    check_new_cache_entry(before2);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("The sipreuse CLI end to end: help, bad input, run "
                   "files, determinism, --jobs, sweep resume, plots.");
    g_test_add_func("/cli/help/verbs", test_help);
    g_test_add_func("/cli/errors/bad-flags", test_bad_flags);
    g_test_add_func("/cli/check/all-problems", test_check_all_problems);
    g_test_add_func("/cli/check/strategy", test_check_strategy);
    g_test_add_func("/cli/run/seed-range", test_seed_range);
    g_test_add_func("/cli/run/files", test_run_files);
    g_test_add_func("/cli/run/determinism", test_run_determinism);
    g_test_add_func("/cli/run/pcap", test_run_pcap);
    g_test_add_func("/cli/run/pcap-trace", test_run_pcap_trace);
    g_test_add_func("/cli/run/pki-files-now", test_run_pem_now);
    g_test_add_func("/cli/calibrate/profile-run", test_calibrate_profile);
    g_test_add_func("/cli/calibrate/table", test_calibrate_table);
    g_test_add_func("/cli/env/pki-cache-under-tmpdir",
                    test_cache_under_tmpdir);
    g_test_add_func("/cli/compare/jobs", test_compare_jobs);
    g_test_add_func("/cli/sweep/resume", test_sweep_resume);
    g_test_add_func("/cli/sweep/bad-seed", test_sweep_bad_seed);
    g_test_add_func("/cli/sweep/stale", test_sweep_stale);
    g_test_add_func("/cli/sweep/overrides", test_sweep_overrides);
    g_test_add_func("/cli/plot/images", test_plot_images);
    g_test_add_func("/cli/plot/sweep-units", test_plot_sweep_units);
    g_test_add_func("/cli/plot/single-run", test_plot_single_run);
    g_test_add_func("/cli/plot/load-per-node", test_plot_load_per_node);
    return g_test_run();
}
