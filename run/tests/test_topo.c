/* SPDX-License-Identifier: MIT */
/*
 * Tests of the topology loader: every default against the values written
 * in DESIGN.md section 7, each unit suffix, lists, --set overrides
 * (including dotted names and link groups), every error class with its
 * malformed fixture in run/tests/data/ (code, file, group, key and the
 * expectation in the message), nearest-name hints, address assignment and
 * that every sample topology in topologies/ loads.
 */
#include <glib/gstdio.h>
#include <string.h>

#include "run/topo.h"
#include "run/world.h"

/* The source tree (make check sets SIPREUSE_SRCDIR; else the cwd). */
static char *
srcpath(const char *rel)
{
    const char *dir = g_getenv("SIPREUSE_SRCDIR");
    return g_build_filename(dir ? dir : ".", rel, NULL);
}

/* The same as an absolute path (topology files resolve relative ones
 * against their own folder). */
static char *
abspath(const char *rel)
{
    g_autofree char *p = srcpath(rel);
    return g_canonicalize_filename(p, NULL);
}

static SimTopo *
load_text(const char *text, const char *const *ov, GError **error)
{
    return sim_topo_load_data("test.topo", text, strlen(text), ov, error);
}

static SimTopo *
load_ok(const char *text, const char *const *ov)
{
    g_autoptr(GError) error = NULL;
    SimTopo *t = load_text(text, ov, &error);
    g_assert_no_error(error);
    g_assert_nonnull(t);
    return t;
}

static void
test_defaults(void)
{
    g_autoptr(SimTopo) t = load_ok("[node pa]\n", NULL);
    /* [simulation]: duration 60s, warmup 0, seed 1, strategy reuse. */
    g_assert_cmpuint(t->simulation.duration, ==, 60000000000ull);
    g_assert_cmpuint(t->simulation.warmup, ==, 0);
    g_assert_cmpuint(t->simulation.seed, ==, 1);
    g_assert_cmpstr(t->simulation.strategy, ==, "reuse");
    g_assert_null(t->simulation.cpu_profile);
    /* [pki] verify-time: unset (the world picks the instant). */
    g_assert_false(t->pki.verify_time_set);
    /* [transport]. */
    g_assert_cmpint(t->transport.protocol, ==, SIM_PROTO_TLS);
    g_assert_cmpuint(t->transport.tls_version, ==, 13);
    g_assert_true(t->transport.mutual_auth);
    g_assert_true(t->transport.resumption);
    g_assert_cmpuint(t->transport.idle_timeout, ==, 120000000000ull);
    g_assert_cmpuint(t->transport.t1, ==, 500000000ull);
    g_assert_true(t->transport.alias_insert_check);
    g_assert_cmpuint(t->transport.initial_window, ==, 10);
    g_assert_cmpuint(t->transport.rto_min, ==, 1000000000ull);
    g_assert_cmpuint(t->transport.connect_timeout, ==, 0);
    g_assert_true(t->transport.sctp_bundle);
    /* [network]: 10ms, 1Gbps, mtu 1500, loss 0. */
    g_assert_cmpuint(t->network.delay, ==, 10000000ull);
    g_assert_cmpuint(t->network.jitter, ==, 0);
    g_assert_cmpuint(t->network.bandwidth_bps, ==, 1000000000ull);
    g_assert_cmpuint(t->network.mtu, ==, 1500);
    g_assert_cmpfloat(t->network.loss, ==, 0.0);
    /* [pki] and [dns]. */
    g_assert_cmpstr(t->pki.key, ==, "ecdsa-p256");
    g_assert_null(t->pki.ca_file);
    g_assert_cmpuint(t->dns.ttl, ==, 300000000000ull);
    g_assert_cmpuint(t->dns.lookup_delay, ==, 1000000ull);
    g_assert_cmpint(t->dns.srv_select, ==, SIM_SRV_SELECT_PROPORTIONAL);
    g_assert_false(t->dns.strict_3263);
    /* [node]: host = name, own site, port 5061 for TLS, 10.0.0.1. */
    g_assert_cmpuint(t->n_nodes, ==, 1);
    const SimTopoNode *n = &t->nodes[0];
    g_assert_cmpstr(n->name, ==, "pa");
    g_assert_cmpstr(n->host, ==, "pa");
    g_assert_cmpstr(n->address, ==, "10.0.0.1");
    g_assert_cmpuint(n->port, ==, 5061);
    g_assert_true(n->advertise_port);
    g_assert_cmpuint(t->n_sites, ==, 1);
    g_assert_cmpstr(t->sites[n->site], ==, "pa");
    g_assert_cmpuint(n->n_domains, ==, 0);
    g_assert_cmpstr(n->cert_san[0], ==, "URI:sip:pa");
    g_assert_null(n->cert_san[1]);
    g_assert_true(n->client_cert);
    g_assert_null(n->cert_file);
    g_assert_false(n->cert_expired);
    g_assert_false(n->cert_untrusted);
    g_assert_true(n->accept_alias);
    g_assert_null(n->strategy);
    g_assert_cmpuint(n->cores, ==, 1);
    g_assert_false(n->sip_cost_set);
    g_assert_cmpuint(n->cost_set, ==, 0);
    g_assert_cmpuint(n->memory_set, ==, 0);
    g_assert_false(n->tls_full_cost_set);
    g_assert_false(n->tls_resumed_cost_set);
    g_assert_true(n->up);
    g_assert_null(n->spoof_as);
    g_assert_cmpstr(t->name, ==, "test");
    /* [pki] ca-name and [dns] blacklist-time (additions). */
    g_assert_cmpstr(t->pki.ca_name, ==, "sipreuse CA");
    g_assert_null(t->pki.ca_key_file);
    g_assert_cmpuint(t->dns.blacklist_time, ==, 60000000000ull);
}

/* [fault] at 0 and until the end of the run; a [link] without keys takes
 * every path value from [network], one with some keys the others. */
static void
test_defaults_fault_link(void)
{
    g_autoptr(SimTopo) t = load_ok(
        "[network]\ndefault-delay = 7ms\njitter = 2ms\nloss = 0.5%\n"
        "bandwidth = 10Mbps\nmtu = 9000\n"
        "[node pa]\nsite = east\n[node pb]\nsite = west\n[node pc]\n"
        "[link east west]\n[link west pc]\ndelay = 40ms\nmtu = 1280\n"
        "[fault crash]\nnode = pb\n",
        NULL);
    g_assert_cmpuint(t->n_faults, ==, 1);
    g_assert_cmpuint(t->faults[0].node, ==, 1);
    g_assert_cmpuint(t->faults[0].at, ==, 0);
    g_assert_cmpuint(t->faults[0].duration, ==, SIM_TIME_NEVER);
    g_assert_cmpuint(t->n_links, ==, 2);
    const SimTopoPath *all = &t->links[0].path;
    g_assert_cmpuint(all->delay, ==, 7000000);
    g_assert_cmpuint(all->jitter, ==, 2000000);
    g_assert_cmpfloat_with_epsilon(all->loss, 0.005, 1e-12);
    g_assert_cmpuint(all->bandwidth_bps, ==, 10000000);
    g_assert_cmpuint(all->mtu, ==, 9000);
    const SimTopoPath *some = &t->links[1].path;
    g_assert_cmpuint(some->delay, ==, 40000000);
    g_assert_cmpuint(some->jitter, ==, 2000000);
    g_assert_cmpfloat_with_epsilon(some->loss, 0.005, 1e-12);
    g_assert_cmpuint(some->bandwidth_bps, ==, 10000000);
    g_assert_cmpuint(some->mtu, ==, 1280);
}

/* [dns] srv-select = rfc2782, from the file or --set, reaches the
 * resolver settings the world gives every node; the default is the
 * proportional selection (SPEC D4). */
static void
test_srv_select(void)
{
    const char *text = "[dns]\nsrv-select = rfc2782\nttl = 30s\n"
                       "lookup-delay = 2ms\nblacklist-time = 5s\n[node pa]\n";
    g_autoptr(SimTopo) t = load_ok(text, NULL);
    g_assert_cmpint(t->dns.srv_select, ==, SIM_SRV_SELECT_RFC2782);
    SimResolverConfig c = sim_world_resolver_config(t);
    g_assert_true(c.rfc2782_select);
    g_assert_cmpuint(c.ttl, ==, 30000000000ull);
    g_assert_cmpuint(c.lookup_delay, ==, 2000000);
    g_assert_cmpuint(c.blacklist_time, ==, 5000000000ull);
    g_autoptr(SimTopo) d = load_ok("[node pa]\n", NULL);
    g_assert_false(sim_world_resolver_config(d).rfc2782_select);
    const char *const ov[] = { "dns.srv-select=rfc2782", NULL };
    g_autoptr(SimTopo) o = load_ok("[node pa]\n", ov);
    g_assert_true(sim_world_resolver_config(o).rfc2782_select);
}

static void
test_defaults_traffic(void)
{
    g_autoptr(SimTopo) t = load_ok("[domain a.test]\n[domain b.test]\n"
                                   "[node pa]\ndomains = a.test\n"
                                   "[node pb]\ndomains = b.test\n"
                                   "[traffic x]\nfrom = a.test\n"
                                   "to = b.test\n",
                                   NULL);
    const SimTopoTraffic *tr = &t->traffic[0];
    /* rate 1/s, hold 60s, answer-delay 0, bye-by caller, start 0, stop
     * the end, no count limit. */
    g_assert_cmpfloat(tr->rate, ==, 1.0);
    g_assert_cmpuint(tr->hold, ==, 60000000000ull);
    g_assert_cmpuint(tr->answer_delay, ==, 0);
    g_assert_cmpint(tr->bye_by, ==, SIM_BYE_BY_CALLER);
    g_assert_cmpuint(tr->start, ==, 0);
    g_assert_cmpuint(tr->stop, ==, SIM_TIME_NEVER);
    g_assert_cmpuint(tr->count, ==, 0);
    /* Default cert-san: URI:sip:HOST plus URI:sip:DOMAIN. */
    g_assert_cmpstr(t->nodes[0].cert_san[0], ==, "URI:sip:pa");
    g_assert_cmpstr(t->nodes[0].cert_san[1], ==, "URI:sip:a.test");
    g_assert_null(t->nodes[0].cert_san[2]);
    /* Addresses in file order. */
    g_assert_cmpstr(t->nodes[1].address, ==, "10.0.0.2");
}

/* One line of `check --defaults`: "GROUP.KEY = " then @value exactly, or
 * for a default that is not a constant, "(...)" containing @value. */
typedef struct {
    const char *key;
    const char *value;
    gboolean note;
} DefaultLine;

/* Every line of `check --defaults`, written from DESIGN.md section 7 (the
 * defaults paragraph and the key list), not from the loader's table. */
static const DefaultLine design_defaults[] = {
    /* "duration 60s, warmup 0, seed 1, strategy reuse". */
    { "simulation.duration", "60s", FALSE },
    { "simulation.warmup", "0", FALSE },
    { "simulation.seed", "1", FALSE },
    { "simulation.strategy", "reuse", FALSE },
    /* cpu-profile: the built-in "proxy" profile of the cost model
     * (issue 13), "bare-crypto" the other built-in one. */
    { "simulation.cpu-profile", "proxy (built in; bare-crypto", TRUE },
    /* "protocol tls, tls-version 1.3, mutual-auth true, resumption true,
     * idle-timeout 120s, t1 500ms, alias-insert-check true,
     * initial-window 10, rto-min 1s". */
    { "transport.protocol", "tls", FALSE },
    { "transport.tls-version", "1.3", FALSE },
    { "transport.mutual-auth", "true", FALSE },
    { "transport.resumption", "true", FALSE },
    { "transport.idle-timeout", "120s", FALSE },
    { "transport.t1", "500ms", FALSE },
    { "transport.alias-insert-check", "true", FALSE },
    { "transport.initial-window", "10", FALSE },
    { "transport.rto-min", "1s", FALSE },
    /* Issue 16: TCP delayed ACK, 40 ms = Linux's TCP_ATO_MIN (RFC 1122
     * 4.2.3.2 allows up to 500 ms). */
    { "transport.delayed-ack", "40ms", FALSE },
    /* "default-delay 10ms, bandwidth 1Gbps, mtu 1500, loss 0". */
    { "network.default-delay", "10ms", FALSE },
    { "network.bandwidth", "1Gbps", FALSE },
    { "network.mtu", "1500", FALSE },
    { "network.loss", "0", FALSE },
    /* "key ecdsa-p256"; ca-file: "use this CA instead of generating
     * one". */
    { "pki.key", "ecdsa-p256", FALSE },
    { "pki.ca-file", "generated", TRUE },
    /* "ttl 300s, lookup-delay 1ms, srv-select proportional, strict-3263
     * false". */
    { "dns.ttl", "300s", FALSE },
    { "dns.lookup-delay", "1ms", FALSE },
    { "dns.srv-select", "proportional", FALSE },
    { "dns.strict-3263", "false", FALSE },
    /* "no srv: the domain's nodes by A record". */
    { "domain.srv", "by A record", TRUE },
    /* [node]: address "default assigned", "port 5061 for TLS and 5060
     * otherwise", "advertise-port true", "a node without site sits in a
     * site of its own name", cert-san "default URI:sip:HOST plus
     * URI:sip:DOMAIN for each served domain", "client-cert true",
     * cert-file "instead of a generated certificate", "accept-alias
     * true", strategy "overriding the run's", "cores 1", "up (default
     * true)". */
    { "node.address", "in file order", TRUE },
    { "node.port", "5061 for tls and tls-sctp, 5060 otherwise", TRUE },
    { "node.advertise-port", "true", FALSE },
    { "node.record-route", "host", FALSE },
    { "node.source-port", "ephemeral", FALSE },
    { "node.site", "own name", TRUE },
    { "node.cert-san", "URI:sip:HOST plus URI:sip:DOMAIN", TRUE },
    { "node.sni-cert-san", "none", TRUE },
    { "node.client-cert", "true", FALSE },
    { "node.cert-file", "generated", TRUE },
    { "node.accept-alias", "true", FALSE },
    { "node.strategy", "the run's", TRUE },
    { "node.cores", "1", FALSE },
    /* The cost model (issue 13): sip-cost is no longer a flat 50us but
     * the profile's per-kind figures; every cost key defaults to the cpu
     * profile. */
    { "node.sip-cost", "per-kind costs (proxy: 150us INVITE", TRUE },
    { "node.sip-invite-cost", "cpu profile (proxy: 150us)", TRUE },
    { "node.sip-request-cost", "cpu profile (proxy: 70us)", TRUE },
    { "node.sip-response-cost", "cpu profile (proxy: 50us)", TRUE },
    { "node.stream-framing-cost", "cpu profile (proxy: 10us)", TRUE },
    { "node.connect-cost", "cpu profile (proxy: 30us)", TRUE },
    { "node.accept-cost", "cpu profile (proxy: 30us)", TRUE },
    { "node.close-cost", "cpu profile (proxy: 15us)", TRUE },
    { "node.tls-record-cost", "cpu profile (proxy: 4us)", TRUE },
    { "node.tls-aead-cost", "cpu profile (proxy: 0.5us per KiB)", TRUE },
    { "node.tls-full-cost", "cpu profile, per role", TRUE },
    { "node.tls-resumed-cost", "cpu profile, per role", TRUE },
    { "node.tls-full-server-cost", "tls-full-cost, else", TRUE },
    { "node.tls-full-client-cost", "tls-full-cost, else", TRUE },
    { "node.tls-resumed-server-cost", "tls-resumed-cost, else", TRUE },
    { "node.tls-resumed-client-cost", "tls-resumed-cost, else", TRUE },
    { "node.queue-limit", "cpu profile (proxy: 200ms", TRUE },
    { "node.memory-socket", "cpu profile (proxy: 4096)", TRUE },
    { "node.memory-tls", "cpu profile (proxy: 57344)", TRUE },
    { "node.memory-proxy", "cpu profile (proxy: 4608)", TRUE },
    { "node.up", "true", FALSE },
    /* [link]: the [network] values where unset. */
    { "link.delay", "[network] default-delay", TRUE },
    { "link.jitter", "[network] jitter", TRUE },
    { "link.loss", "[network] loss", TRUE },
    { "link.bandwidth", "[network] bandwidth", TRUE },
    /* "rate 1/s, hold 60s, answer-delay 0, bye-by caller, start 0, stop =
     * end"; from and to have no default. */
    { "traffic.from", "required", TRUE },
    { "traffic.to", "required", TRUE },
    { "traffic.rate", "1/s", FALSE },
    { "traffic.hold", "60s", FALSE },
    { "traffic.answer-delay", "0", FALSE },
    { "traffic.bye-by", "caller", FALSE },
    { "traffic.start", "0", FALSE },
    { "traffic.stop", "end of the run", TRUE },
    { "traffic.via", "round robin", TRUE },
    /* [fault] node (required), at, duration. */
    { "fault.node", "required", TRUE },

    /* Additions to DESIGN section 7 (documented in run/topo.h and the
     * README): their defaults keep DESIGN's behaviour. */
    { "transport.connect-timeout", "0", FALSE },
    { "transport.sctp-bundle", "true", FALSE },
    { "network.jitter", "0", FALSE },
    { "pki.ca-name", "sipreuse CA", FALSE },
    { "pki.ca-key-file", "none", TRUE },
    { "pki.verify-time", "the current time when ca-file or cert-file is "
                         "used, else 2025-01-01T00:00:00Z", TRUE },
    { "dns.blacklist-time", "60s", FALSE },
    { "node.host", "the node's name", TRUE },
    { "node.domains", "none", TRUE },
    { "node.key-file", "none", TRUE },
    { "node.cert-expired", "false", FALSE },
    { "node.cert-untrusted", "false", FALSE },
    { "node.spoof-as", "none", TRUE },
    { "link.mtu", "[network] mtu", TRUE },
    { "traffic.count", "0", FALSE },
    { "fault.at", "0", FALSE },
    { "fault.duration", "until the end of the run", TRUE },
    { "transport.sctp-streams", "10", FALSE },
    { "traffic.cancel-after", "never", TRUE },
    { "traffic.cancel", "1", FALSE },
    /* A load factor that leaves every rate as written. */
    { "simulation.rate-scale", "1", FALSE },
};

/* `check --defaults` prints exactly one line per key, each with the
 * default the design gives. */
static void
test_defaults_text(void)
{
    g_autofree char *text = sim_topo_defaults_text();
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    guint n = g_strv_length(lines);
    g_assert_cmpstr(lines[n - 1], ==, "");
    g_assert_cmpuint(n - 1, ==, G_N_ELEMENTS(design_defaults));
    for (guint i = 0; i < G_N_ELEMENTS(design_defaults); i++) {
        const DefaultLine *d = &design_defaults[i];
        g_autofree char *prefix = g_strdup_printf("%s = ", d->key);
        const char *line = NULL;
        for (guint j = 0; j + 1 < n && !line; j++)
            if (g_str_has_prefix(lines[j], prefix))
                line = lines[j];
        g_test_message("%s: %s", d->key, line ? line : "(missing)");
        g_assert_nonnull(line);
        const char *v = line + strlen(prefix);
        if (!d->note) {
            g_assert_cmpstr(v, ==, d->value);
            continue;
        }
        g_assert_true(v[0] == '(' && g_str_has_suffix(v, ")"));
        g_assert_nonnull(strstr(v, d->value));
    }
}

/* [simulation] duration = @v must give @ns. */
static void
check_duration(const char *v, SimTime ns)
{
    g_autofree char *text =
        g_strdup_printf("[simulation]\nduration = %s\n[node pa]\n", v);
    g_autoptr(SimTopo) t = load_ok(text, NULL);
    g_assert_cmpuint(t->simulation.duration, ==, ns);
}

static void
test_units_duration(void)
{
    check_duration("250ns", 250);
    check_duration("3us", 3000);
    check_duration("7ms", 7000000);
    check_duration("2s", 2000000000ull);
    check_duration("2", 2000000000ull);
    check_duration("0.25", 250000000ull);
    check_duration("1.5min", 90000000000ull);
    check_duration("1h", 3600000000000ull);
    check_duration("10 ms", 10000000);
}

/* [simulation] duration is at most 365 days, other durations under 1e9 s;
 * the messages say so. */
static void
test_duration_limits(void)
{
    check_duration("8760h", 8760 * 3600 * 1000000000ull);
    check_duration("365 h", 365 * 3600 * 1000000000ull);
    g_autoptr(GError) e1 = NULL;
    g_autoptr(SimTopo) t1 = load_text(
        "[simulation]\nduration = 31536001s\n[node pa]\n", NULL, &e1);
    g_assert_error(e1, SIM_TOPO_ERROR, SIM_TOPO_ERROR_BAD_VALUE);
    g_assert_nonnull(strstr(e1->message, "of at most 365 days"));
    g_autoptr(GError) e2 = NULL;
    g_autoptr(SimTopo) t2 = load_text(
        "[transport]\nidle-timeout = 1e300\n[node pa]\n", NULL, &e2);
    g_assert_error(e2, SIM_TOPO_ERROR, SIM_TOPO_ERROR_BAD_VALUE);
    g_assert_nonnull(strstr(e2->message, "expected a duration under 1e9 s "
                                         "(about 31 years)"));
    g_autoptr(SimTopo) t3 = load_ok(
        "[transport]\nidle-timeout = 999999999s\n[node pa]\n", NULL);
    g_assert_cmpuint(t3->transport.idle_timeout, ==,
                     999999999 * 1000000000ull);
}

static void
check_bandwidth(const char *v, guint64 bps)
{
    g_autofree char *text =
        g_strdup_printf("[network]\nbandwidth = %s\n[node pa]\n", v);
    g_autoptr(SimTopo) t = load_ok(text, NULL);
    g_assert_cmpuint(t->network.bandwidth_bps, ==, bps);
}

static void
test_units_bandwidth(void)
{
    check_bandwidth("9600bps", 9600);
    check_bandwidth("9600", 9600);
    check_bandwidth("64Kbps", 64000);
    check_bandwidth("100Mbps", 100000000);
    check_bandwidth("10Gbps", 10000000000ull);
}

static void
test_units_rate_loss(void)
{
    static const char *const rates[] = { "20", "20/s", "1200/min" };
    for (guint i = 0; i < G_N_ELEMENTS(rates); i++) {
        g_autofree char *text = g_strdup_printf(
            "[domain a.t]\n[domain b.t]\n[node pa]\ndomains = a.t\n"
            "[node pb]\ndomains = b.t\n[traffic x]\nfrom = a.t\nto = b.t\n"
            "rate = %s\n",
            rates[i]);
        g_autoptr(SimTopo) t = load_ok(text, NULL);
        g_assert_cmpfloat_with_epsilon(t->traffic[0].rate, 20.0, 1e-9);
    }
    g_autoptr(SimTopo) a = load_ok("[network]\nloss = 0.01\n[node p]\n", NULL);
    g_autoptr(SimTopo) b = load_ok("[network]\nloss = 1%\n[node p]\n", NULL);
    g_assert_cmpfloat_with_epsilon(a->network.loss, 0.01, 1e-12);
    g_assert_cmpfloat_with_epsilon(b->network.loss, 0.01, 1e-12);
}

/* Caller abandonment: cancel-after (default never) and the fraction
 * cancel (default all, as a fraction or a percentage); sctp-streams
 * (default 10). */
static void
test_cancel_streams(void)
{
    static const char base[] =
        "[domain a.t]\n[domain b.t]\n[node pa]\ndomains = a.t\n"
        "[node pb]\ndomains = b.t\n[traffic x]\nfrom = a.t\nto = b.t\n";
    g_autoptr(SimTopo) d = load_ok(base, NULL);
    g_assert_cmpuint(d->traffic[0].cancel_after, ==, 0);
    g_assert_cmpfloat(d->traffic[0].cancel, ==, 1.0);
    g_assert_cmpuint(d->transport.sctp_streams, ==, 10);
    g_autofree char *text = g_strconcat(
        base, "cancel-after = 4s\ncancel = 30%\n"
        "[transport]\nprotocol = sctp\nsctp-streams = 4\n", NULL);
    g_autoptr(SimTopo) t = load_ok(text, NULL);
    g_assert_cmpuint(t->traffic[0].cancel_after, ==, SIM_S(4));
    g_assert_cmpfloat_with_epsilon(t->traffic[0].cancel, 0.3, 1e-12);
    g_assert_cmpuint(t->transport.sctp_streams, ==, 4);
    g_assert_cmpint(sim_topo_key_unit("traffic.x.cancel-after"), ==,
                    SIM_TOPO_UNIT_DURATION);
}

static void
test_lists(void)
{
    g_autoptr(SimTopo) t = load_ok(
        "[domain a.t]\n[domain b.t]\n[domain c.t]\n"
        "srv = 10 60 5061 h1; 20 0 5062 h2, 10 30 5061 h1\n"
        "[node p1]\nhost = h1\ndomains = a.t; b.t,c.t\n"
        "cert-san = URI:sip:a.t, DNS:h1\n"
        "[node p2]\nhost = h2\ndomains = c.t\nport = 5062\n",
        NULL);
    const SimTopoNode *n = &t->nodes[0];
    g_assert_cmpuint(n->n_domains, ==, 3);
    g_assert_cmpuint(n->domains[2], ==, 2);
    g_assert_cmpstr(n->cert_san[1], ==, "DNS:h1");
    const SimTopoDomain *d = &t->domains[2];
    g_assert_cmpuint(d->n_srv, ==, 3);
    g_assert_cmpuint(d->srv[1].priority, ==, 20);
    g_assert_cmpuint(d->srv[1].weight, ==, 0);
    g_assert_cmpuint(d->srv[1].port, ==, 5062);
    g_assert_cmpstr(d->srv[1].target, ==, "h2");
    g_assert_cmpuint(d->srv[2].weight, ==, 30);
}

/* Issue 12's node keys: record-route (host by default, or domain; any
 * other value refused naming the choices) and sni-cert-san (none by
 * default; entries in OpenSSL syntax, like cert-san). */
static void
test_issue12_node_keys(void)
{
    g_autoptr(SimTopo) t = load_ok(
        "[domain a.t]\n"
        "[node p1]\nhost = h1\ndomains = a.t\n"
        "[node p2]\nhost = h2\ndomains = a.t\nrecord-route = domain\n"
        "sni-cert-san = URI:sip:b.t, DNS:h2\n",
        NULL);
    g_assert_false(t->nodes[0].record_route_domain);
    g_assert_null(t->nodes[0].sni_cert_san);
    g_assert_true(t->nodes[1].record_route_domain);
    g_assert_cmpstr(t->nodes[1].sni_cert_san[0], ==, "URI:sip:b.t");
    g_assert_cmpstr(t->nodes[1].sni_cert_san[1], ==, "DNS:h2");
    g_assert_null(t->nodes[1].sni_cert_san[2]);
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) bad =
        load_text("[node p1]\nrecord-route = farm\n", NULL, &error);
    g_assert_null(bad);
    g_assert_nonnull(error);
    g_assert_nonnull(strstr(error->message, "record-route"));
    g_assert_nonnull(strstr(error->message, "host|domain"));
    g_clear_error(&error);
    g_autoptr(SimTopo) bad2 =
        load_text("[node p1]\nsni-cert-san = blog.example\n", NULL, &error);
    g_assert_null(bad2);
    g_assert_nonnull(error);
    g_assert_nonnull(strstr(error->message, "sni-cert-san"));
    g_assert_nonnull(strstr(error->message, "OpenSSL syntax"));
}

/* Issue 12, item 7: [node] source-port (ephemeral by default, or
 * listen; other values refused naming the choices) and [traffic] via
 * (none by default; a node serving the group's from domain, else refused
 * naming the key, with a hint for a misspelt node). */
static void
test_issue12_via_source_port(void)
{
    static const char base[] =
        "[domain a.t]\n[domain b.t]\n"
        "[node p1]\ndomains = a.t\n"
        "[node p2]\ndomains = a.t\nsource-port = listen\n"
        "[node p3]\ndomains = b.t\nsource-port = ephemeral\n"
        "[traffic ab]\nfrom = a.t\nto = b.t\n%s"
        "[traffic ba]\nfrom = b.t\nto = a.t\n";
    g_autofree char *ok = g_strdup_printf(base, "via = p2\n");
    g_autoptr(SimTopo) t = load_ok(ok, NULL);
    g_assert_false(t->nodes[0].source_port_listen);
    g_assert_true(t->nodes[1].source_port_listen);
    g_assert_false(t->nodes[2].source_port_listen);
    g_assert_cmpuint(t->traffic[0].via, ==, 1);
    g_assert_cmpuint(t->traffic[1].via, ==, G_MAXUINT);
    static const struct {
        const char *via;
        const char *key, *says;
    } bad[] = {
        { "via = p4\n", "via", "[node NAME]" },
        { "via = p3\n", "via", "serving the from domain" },
        { "", "source-port", "ephemeral|listen" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *text = g_strdup_printf(base, bad[i].via);
        if (!*bad[i].via) {
            g_free(text);
            text = g_strdup("[node p1]\nsource-port = 5060\n");
        }
        g_autoptr(GError) error = NULL;
        g_autoptr(SimTopo) b = load_text(text, NULL, &error);
        g_assert_null(b);
        g_assert_nonnull(error);
        g_test_message("%s", error->message);
        g_assert_nonnull(strstr(error->message, bad[i].key));
        g_assert_nonnull(strstr(error->message, bad[i].says));
    }
}

static void
test_srv_any_port(void)
{
    /* "*" takes the target node's port, which follows the protocol: 5061
     * under TLS (the default), 5060 under TCP, or the node's own. */
    const char *text = "[domain a.t]\nsrv = 10 10 * h1; 20 5 * h2\n"
                       "[node p1]\nhost = h1\ndomains = a.t\n"
                       "[node p2]\nhost = h2\nport = 5071\n";
    g_autoptr(SimTopo) tls = load_ok(text, NULL);
    g_assert_cmpuint(tls->domains[0].srv[0].port, ==, 5061);
    g_assert_cmpuint(tls->domains[0].srv[1].port, ==, 5071);
    const char *const ov[] = { "transport.protocol=tcp", NULL };
    g_autoptr(SimTopo) tcp = load_ok(text, ov);
    g_assert_cmpuint(tcp->domains[0].srv[0].port, ==, 5060);
    g_assert_cmpuint(tcp->domains[0].srv[1].port, ==, 5071);

    /* An explicit port must be one a node of the target listens on, and
     * node ports follow the protocol: 5061 is right under TLS only. */
    const char *fixed = "[domain a.t]\nsrv = 10 10 5061 h1\n"
                        "[node p1]\nhost = h1\ndomains = a.t\n";
    g_autoptr(SimTopo) fixed_tls = load_ok(fixed, NULL);
    g_autoptr(GError) e2 = NULL;
    g_autoptr(SimTopo) fixed_tcp = load_text(fixed, ov, &e2);
    g_assert_error(e2, SIM_TOPO_ERROR, SIM_TOPO_ERROR_BAD_REFERENCE);
    g_assert_nonnull(strstr(e2->message, "found 5061, so every call"));
    const char *const ov2[] = { "transport.protocol=tcp", "node.p1.port=5061",
                                NULL };
    g_autoptr(SimTopo) fixed_tcp2 = load_ok(fixed, ov2);

    /* Two nodes on one host with different ports: "*" is ambiguous. */
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) bad = load_text(
        "[domain a.t]\nsrv = 10 10 * h1\n"
        "[node p1]\nhost = h1\ndomains = a.t\n"
        "[node p2]\nhost = h1\nport = 5062\n",
        NULL, &error);
    g_assert_null(bad);
    g_assert_error(error, SIM_TOPO_ERROR, SIM_TOPO_ERROR_CONFLICT);
    g_assert_nonnull(strstr(error->message, "[domain a.t]"));
    g_assert_nonnull(strstr(error->message, "srv"));
    g_assert_nonnull(strstr(error->message, "explicit port"));
}

static void
test_addresses(void)
{
    /* Two nodes share a host: distinct addresses; an explicit 10.0.0.1
     * is skipped by the assignment. */
    g_autoptr(SimTopo) t = load_ok("[node a]\nhost = farm\n"
                                   "[node b]\nhost = farm\n"
                                   "[node c]\naddress = 10.0.0.1\n",
                                   NULL);
    g_assert_cmpstr(t->nodes[0].address, ==, "10.0.0.2");
    g_assert_cmpstr(t->nodes[1].address, ==, "10.0.0.3");
    g_assert_cmpstr(t->nodes[2].address, ==, "10.0.0.1");
    g_assert_cmpstr(t->nodes[0].host, ==, t->nodes[1].host);
}

static const char topo_ov[] =
    "[domain a.test]\n[domain b.test]\n"
    "[node pa]\ndomains = a.test\nsite = east\n"
    "[node pb]\nhost = pb.b.test\ndomains = b.test\nsite = west\n"
    "[node pc]\nhost = pc.b.test\ndomains = b.test\nsite = west\n"
    "[link east west]\ndelay = 20ms\n"
    "[traffic a-to-b]\nfrom = a.test\nto = b.test\n";

static void
test_overrides(void)
{
    const char *const ov[] = {
        "transport.protocol=tcp",
        "traffic.a-to-b.rate=200",
        "node.pa.port=5071",
        "link.east.west.delay=5s",
        "domain.b.test.srv=10 1 5060 pb.b.test; 20 1 5060 pc.b.test",
        NULL,
    };
    g_autoptr(SimTopo) t = load_ok(topo_ov, ov);
    g_assert_cmpint(t->transport.protocol, ==, SIM_PROTO_TCP);
    g_assert_cmpfloat(t->traffic[0].rate, ==, 200.0);
    g_assert_cmpuint(t->nodes[0].port, ==, 5071);
    /* The protocol override changes the derived default port. */
    g_assert_cmpuint(t->nodes[1].port, ==, 5060);
    g_assert_cmpuint(t->links[0].path.delay, ==, 5000000000ull);
    /* Unset link keys take [network] values. */
    g_assert_cmpuint(t->links[0].path.bandwidth_bps, ==, 1000000000ull);
    g_assert_cmpuint(t->domains[1].n_srv, ==, 2);
    g_assert_cmpstr(t->domains[1].srv[1].target, ==, "pc.b.test");
    /* A link may be named in either site order. */
    const char *const rev[] = { "link.west.east.jitter=1ms", NULL };
    g_autoptr(SimTopo) r = load_ok(topo_ov, rev);
    g_assert_cmpuint(r->links[0].path.jitter, ==, 1000000ull);
}

/* TLS keys with a protocol without TLS are ignored with a warning, not an
 * error, so a topology pinned to TLS 1.2 still runs (and sweeps) over
 * udp, tcp and sctp; over tls it has no warning. */
static void
test_tls_keys_warn(void)
{
    const char *src = g_getenv("SIPREUSE_SRCDIR");
    g_autofree char *path = g_build_filename(src ? src : ".", "run", "tests",
                                             "data", "tls-version-tcp.topo",
                                             NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) t = sim_topo_load(path, NULL, &error);
    g_assert_no_error(error);
    g_assert_nonnull(t->warnings);
    g_assert_cmpuint(g_strv_length(t->warnings), ==, 1);
    g_assert_nonnull(strstr(t->warnings[0], "[transport] tls-version does "
                                            "not apply to protocol tcp"));
    static const char *const protos[] = { "udp", "tcp", "sctp", "tls",
                                          "tls-sctp" };
    for (guint i = 0; i < G_N_ELEMENTS(protos); i++) {
        g_autofree char *ov = g_strdup_printf("transport.protocol=%s",
                                              protos[i]);
        const char *const ovs[] = { ov, "transport.mutual-auth=false",
                                    NULL };
        g_autoptr(SimTopo) u = sim_topo_load(path, ovs, &error);
        g_assert_no_error(error);
        gboolean tls = g_str_has_prefix(protos[i], "tls");
        g_assert_cmpuint(u->warnings ? g_strv_length(u->warnings) : 0, ==,
                         tls ? 0 : 2);
        g_assert_cmpuint(u->transport.tls_version, ==, 12);
    }
}

/* [transport] delayed-ack: 40 ms by default; under 500 ms (RFC 1122
 * 4.2.3.2 says less than 0.5 s), so 500ms is refused naming the key; one
 * not shorter than rto-min is a warning (a delayed ACK can then outlast
 * the sender's retransmission timer), over TCP only. */
static void
test_delayed_ack(void)
{
    g_autoptr(SimTopo) t = load_ok("[node pa]\n[transport]\nprotocol = tcp\n", NULL);
    g_assert_cmpuint(t->transport.delayed_ack, ==, 40000000ull);
    g_assert_null(t->warnings);
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) bad = load_text(
        "[node pa]\n[transport]\nprotocol = tcp\ndelayed-ack = 500ms\n", NULL, &error);
    g_assert_null(bad);
    g_assert_nonnull(error);
    g_assert_nonnull(strstr(error->message, "[transport] delayed-ack"));
    g_autoptr(SimTopo) w = load_ok("[node pa]\n[transport]\nprotocol = tls\n"
                                   "delayed-ack = 200ms\nrto-min = 200ms\n",
                                   NULL);
    g_assert_cmpuint(w->warnings ? g_strv_length(w->warnings) : 0, ==, 1);
    g_assert_nonnull(strstr(w->warnings[0], "delayed-ack is not shorter "
                                            "than rto-min"));
    g_autoptr(SimTopo) off = load_ok("[node pa]\n[transport]\nprotocol = tcp\n"
                                     "delayed-ack = 0\nrto-min = 1ms\n",
                                     NULL);
    g_assert_cmpuint(off->transport.delayed_ack, ==, 0);
    g_assert_null(off->warnings);
}

/* A group name in --set may be a glob: the key goes to every group of the
 * kind whose --set name it matches, and only to those. */
static void
test_override_globs(void)
{
    const char *const glob[] = {
        "node.*.cores=3",
        "node.p?.sip-cost=2ms",
        "node.pb.sip-cost=7ms",
        "traffic.*.rate=9",
        "link.*.delay=4ms",
        NULL,
    };
    g_autoptr(SimTopo) t = load_ok(topo_ov, glob);
    for (guint i = 0; i < t->n_nodes; i++)
        g_assert_cmpuint(t->nodes[i].cores, ==, 3);
    /* A later exact override wins over the glob for its group. */
    g_assert_cmpuint(t->nodes[0].sip_cost, ==, 2000000ull);
    g_assert_cmpuint(t->nodes[1].sip_cost, ==, 7000000ull);
    g_assert_cmpuint(t->nodes[2].sip_cost, ==, 2000000ull);
    g_assert_cmpfloat(t->traffic[0].rate, ==, 9.0);
    g_assert_cmpuint(t->links[0].path.delay, ==, 4000000ull);
    /* Only the matching names: pc, not pa or pb. */
    const char *const sub[] = { "node.*c.cores=5", NULL };
    g_autoptr(SimTopo) u = load_ok(topo_ov, sub);
    g_assert_cmpuint(u->nodes[0].cores, ==, 1);
    g_assert_cmpuint(u->nodes[1].cores, ==, 1);
    g_assert_cmpuint(u->nodes[2].cores, ==, 5);
}

/* [defaults node], [defaults traffic], [defaults link]: every group of
 * the kind that does not set a key takes it; a group's own key, and an
 * exact --set, win; --set defaults.KIND.KEY reaches the groups without
 * the key. */
static const char topo_defs[] =
    "[defaults node]\ncores = 4\nsip-cost = 80us\n"
    "[defaults traffic]\nhold = 30s\nrate = 6\n"
    "[defaults link]\njitter = 2ms\n"
    "[domain a.test]\n[domain b.test]\n"
    "[node pa]\ndomains = a.test\nsite = east\n"
    "[node pb]\nhost = pb.b.test\ndomains = b.test\nsite = west\ncores = 2\n"
    "[node pc]\nhost = pc.b.test\ndomains = b.test\nsite = west\n"
    "[link east west]\ndelay = 20ms\n"
    "[traffic a-to-b]\nfrom = a.test\nto = b.test\n"
    "[traffic b-to-a]\nfrom = b.test\nto = a.test\nrate = 2\n";

static void
test_defaults_groups(void)
{
    g_autoptr(SimTopo) t = load_ok(topo_defs, NULL);
    g_assert_cmpuint(t->nodes[0].cores, ==, 4);
    g_assert_cmpuint(t->nodes[1].cores, ==, 2);
    g_assert_cmpuint(t->nodes[2].cores, ==, 4);
    for (guint i = 0; i < 3; i++)
        g_assert_cmpuint(t->nodes[i].sip_cost, ==, 80000ull);
    g_assert_cmpuint(t->traffic[0].hold, ==, 30000000000ull);
    g_assert_cmpuint(t->traffic[1].hold, ==, 30000000000ull);
    g_assert_cmpfloat(t->traffic[0].rate, ==, 6.0);
    g_assert_cmpfloat(t->traffic[1].rate, ==, 2.0);
    g_assert_cmpuint(t->links[0].path.jitter, ==, 2000000ull);
    g_assert_cmpuint(t->links[0].path.delay, ==, 20000000ull);
    const char *const ov[] = { "defaults.node.cores=8", "node.pc.cores=3",
                               NULL };
    g_autoptr(SimTopo) u = load_ok(topo_defs, ov);
    g_assert_cmpuint(u->nodes[0].cores, ==, 8);
    g_assert_cmpuint(u->nodes[1].cores, ==, 2);
    g_assert_cmpuint(u->nodes[2].cores, ==, 3);
    /* A [defaults] group the file does not have is made by --set. */
    const char *const mk[] = { "defaults.link.loss=1%", NULL };
    g_autoptr(SimTopo) v = load_ok(topo_ov, mk);
    g_assert_cmpfloat(v->links[0].path.loss, ==, 0.01);
}

/* Each case: a [defaults] problem and what the message must say. */
static void
test_defaults_groups_bad(void)
{
    static const struct {
        const char *text;
        const char *const ov[2];
        SimTopoError code;
        const char *needle;
    } cases[] = {
        { "[defaults node]\ncors = 2\n[node pa]\n", { NULL },
          SIM_TOPO_ERROR_UNKNOWN_KEY,
          "test.topo:2: [defaults node] cors: unknown key (did you mean "
          "\"cores\"?)" },
        { "[defaults fault]\nat = 1s\n[node pa]\n", { NULL },
          SIM_TOPO_ERROR_UNKNOWN_GROUP,
          "test.topo:1: [defaults fault]: expected [defaults node]" },
        { "[defaults node]\ncores = many\n[node pa]\n[node pb]\n", { NULL },
          SIM_TOPO_ERROR_BAD_VALUE,
          "test.topo:2: [node pa] cores (from [defaults node]): expected "
          "an integer" },
        { "[node pa]\n", { "defaults.fault.at=1s" },
          SIM_TOPO_ERROR_OVERRIDE, "expected defaults.KIND.KEY" },
        { "[node pa]\n", { "defaults.node.corez=1" },
          SIM_TOPO_ERROR_OVERRIDE, "did you mean \"cores\"?" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(SimTopo) t = load_text(cases[i].text, cases[i].ov, &error);
        g_assert_null(t);
        g_test_message("%s", error->message);
        g_assert_error(error, SIM_TOPO_ERROR, (gint)cases[i].code);
        g_assert_nonnull(strstr(error->message, cases[i].needle));
    }
}

/* --unset GROUP.KEY: the key takes its default ([defaults KIND]'s first);
 * a group that does not set it is a warning; a group that does not exist
 * an error. */
static void
test_unset(void)
{
    const char *const ov[] = { SIM_TOPO_UNSET "node.pb.cores",
                               SIM_TOPO_UNSET "link.east.west.delay",
                               SIM_TOPO_UNSET "transport.t1", NULL };
    g_autoptr(SimTopo) t = load_ok(topo_defs, ov);
    g_assert_cmpuint(t->nodes[1].cores, ==, 4);
    /* [network] default-delay: 10ms. */
    g_assert_cmpuint(t->links[0].path.delay, ==, 10000000ull);
    g_assert_nonnull(t->warnings);
    g_assert_cmpuint(g_strv_length(t->warnings), ==, 1);
    g_assert_nonnull(strstr(t->warnings[0], "--unset transport.t1: "
                                            "[transport] does not set t1"));
    /* Set then unset: unset wins; a glob reaches every node. */
    const char *const glob[] = { "node.pa.cores=7",
                                 SIM_TOPO_UNSET "node.*.cores", NULL };
    g_autoptr(SimTopo) u = load_ok(topo_ov, glob);
    for (guint i = 0; i < u->n_nodes; i++)
        g_assert_cmpuint(u->nodes[i].cores, ==, 1);
    g_assert_cmpuint(g_strv_length(u->warnings), ==, 2);
    const char *const bad[] = { SIM_TOPO_UNSET "node.zz.cores", NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) v = load_text(topo_ov, bad, &error);
    g_assert_null(v);
    g_assert_error(error, SIM_TOPO_ERROR, SIM_TOPO_ERROR_OVERRIDE);
    g_assert_nonnull(strstr(error->message, "--unset \"node.zz.cores\""));
}

/* Keys of a transport the protocol does not use are warnings, each once;
 * alias keys are recorded for the strategy check. */
static void
test_scoped_warnings(void)
{
    static const struct {
        const char *proto;
        guint warnings;
    } cases[] = {
        /* idle-timeout, rto-min, sctp-streams, tls-version, cert-san. */
        { "udp", 5 },
        /* sctp-streams, tls-version, cert-san. */
        { "tcp", 3 },
        /* tls-version, cert-san. */
        { "sctp", 2 },
        /* sctp-streams. */
        { "tls", 1 },
        { "tls-sctp", 0 },
    };
    const char *text =
        "[transport]\nidle-timeout = 30s\nrto-min = 200ms\n"
        "sctp-streams = 4\ntls-version = 1.2\nalias-insert-check = false\n"
        "[node pa]\ncert-san = DNS:pa\naccept-alias = false\n"
        "[node pb]\ncert-san = DNS:pb\n";
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *ov = g_strdup_printf("transport.protocol=%s",
                                              cases[i].proto);
        const char *const ovs[] = { ov, NULL };
        g_autoptr(SimTopo) t = load_ok(text, ovs);
        guint n = t->warnings ? g_strv_length(t->warnings) : 0;
        for (guint k = 0; k < n; k++)
            g_test_message("%s: %s", cases[i].proto, t->warnings[k]);
        g_assert_cmpuint(n, ==, cases[i].warnings);
        g_assert_cmpuint(g_strv_length(t->alias_keys), ==, 2);
        g_assert_cmpstr(t->alias_keys[0], ==,
                        "[transport] alias-insert-check");
        g_assert_cmpstr(t->alias_keys[1], ==, "[node pa] accept-alias");
    }
}

/* [simulation] rate-scale multiplies every traffic group's rate. */
static void
test_rate_scale(void)
{
    const char *const ov[] = { "simulation.rate-scale=2.5",
                               "traffic.a-to-b.rate=4", NULL };
    g_autoptr(SimTopo) t = load_ok(topo_ov, ov);
    g_assert_cmpfloat(t->simulation.rate_scale, ==, 2.5);
    g_assert_cmpfloat(t->traffic[0].rate, ==, 10.0);
    g_autoptr(SimTopo) u = load_ok(topo_ov, NULL);
    g_assert_cmpfloat(u->traffic[0].rate, ==, 1.0);
    static const char *const bad[] = { "0", "-1", "x", "2e7", "" };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *o = g_strdup_printf("simulation.rate-scale=%s",
                                             bad[i]);
        const char *const ovs[] = { o, NULL };
        g_autoptr(GError) error = NULL;
        g_autoptr(SimTopo) v = load_text(topo_ov, ovs, &error);
        g_assert_null(v);
        g_assert_nonnull(strstr(error->message,
                                "[simulation] rate-scale (from --set"));
    }
}

/* File keys: relative to the working directory in --set, to the
 * topology's folder in the file. */
static void
test_override_paths(void)
{
    const char *src = g_getenv("SIPREUSE_SRCDIR");
    g_autofree char *old = g_get_current_dir();
    g_autofree char *tests = g_build_filename(src ? src : ".", "run",
                                              "tests", NULL);
    g_assert_cmpint(g_chdir(tests), ==, 0);
    const char *const ov[] = { "node.pa.cert-file=data/pem-a.crt",
                               "node.pa.key-file=data/pem-a.key", NULL };
    g_autoptr(GError) error = NULL;
    /* The topology's own folder has no data/ beside it. */
    g_autoptr(SimTopo) t = sim_topo_load_data("elsewhere/x.topo", topo_ov,
                                              strlen(topo_ov), ov, &error);
    g_assert_no_error(error);
    g_assert_true(g_path_is_absolute(t->nodes[0].cert_file));
    g_assert_true(g_str_has_suffix(t->nodes[0].cert_file,
                                   "/run/tests/data/pem-a.crt"));
    /* Written in the file: relative to its folder (run/tests/data). */
    g_autoptr(SimTopo) u = sim_topo_load_data(
        "data/x.topo",
        "[node pa]\ncert-file = pem-a.crt\nkey-file = pem-a.key\n",
        strlen("[node pa]\ncert-file = pem-a.crt\nkey-file = pem-a.key\n"),
        NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(u->nodes[0].cert_file, ==, "data/pem-a.crt");
    g_assert_cmpint(g_chdir(old), ==, 0);
    g_assert_true(sim_topo_key_is_file("node.a.b.cert-file"));
    g_assert_true(sim_topo_key_is_file("defaults.node.key-file"));
    g_assert_true(sim_topo_key_is_file("simulation.cpu-profile"));
    g_assert_false(sim_topo_key_is_file("node.a.cores"));
    /* A built-in profile's name is not a file name. */
    const char *const builtin[] = { "simulation.cpu-profile=bare-crypto",
                                    NULL };
    g_autoptr(SimTopo) w = load_ok(topo_ov, builtin);
    g_assert_cmpstr(w->simulation.cpu_profile, ==, "bare-crypto");
}

/* [pki] verify-time = @v gives @t (seconds since the epoch, from
 * `date -u -d @v +%s`), in the file and through --set. */
static void
check_verify_time(const char *v, gint64 t)
{
    g_autofree char *text =
        g_strdup_printf("[pki]\nverify-time = %s\n[node pa]\n", v);
    g_autoptr(SimTopo) a = load_ok(text, NULL);
    g_assert_true(a->pki.verify_time_set);
    g_assert_cmpint(a->pki.verify_time, ==, t);
    g_autofree char *ov = g_strdup_printf("pki.verify-time=%s", v);
    const char *const ovs[] = { ov, NULL };
    g_autoptr(SimTopo) b = load_ok("[node pa]\n", ovs);
    g_assert_true(b->pki.verify_time_set);
    g_assert_cmpint(b->pki.verify_time, ==, t);
}

static void
test_verify_time(void)
{
    check_verify_time("2026-12-03", 1796256000);
    check_verify_time("2026-12-03T12:00:00Z", 1796299200);
    check_verify_time("2026-12-03T13:30:00+01:30", 1796299200);
    check_verify_time("2026-12-03T12:00:00", 1796299200);
    check_verify_time("2024-02-29T23:59:59Z", 1709251199);
    static const char *const bad[] = {
        "2026-02-30", "2026-12-3", "yesterday", "2026-12-03 12:00:00",
        "12/03/2026", "1969-12-31", "2026-12-03T25:00:00Z", "",
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *ov = g_strdup_printf("pki.verify-time=%s", bad[i]);
        const char *const ovs[] = { ov, NULL };
        g_autoptr(GError) error = NULL;
        g_autoptr(SimTopo) t = load_text("[node pa]\n", ovs, &error);
        g_test_message("%s: %s", bad[i], error ? error->message : "loaded");
        g_assert_error(error, SIM_TOPO_ERROR, SIM_TOPO_ERROR_BAD_VALUE);
        g_assert_nonnull(strstr(error->message, "[pki] verify-time"));
        g_assert_nonnull(strstr(error->message, "ISO-8601"));
    }
}

static void
check_override_error(const char *ov, const char *part)
{
    const char *const ovs[] = { ov, NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) t = load_text(topo_ov, ovs, &error);
    g_assert_null(t);
    g_test_message("%s", error->message);
    g_assert_error(error, SIM_TOPO_ERROR, SIM_TOPO_ERROR_OVERRIDE);
    g_assert_nonnull(strstr(error->message, ov));
    g_assert_nonnull(strstr(error->message, part));
}

static void
test_override_errors(void)
{
    check_override_error("transport.protocol", "no '='");
    check_override_error("transprt.protocol=tcp", "did you mean \"transport\"");
    check_override_error("traffic.a-to-b.rtae=2", "did you mean \"rate\"");
    check_override_error("node.pz.port=5071", "no [node pz]");
    check_override_error("node.port=5071", "need a name");
    /* A group that does not exist: the groups of that kind, and the
     * nearest one (names compare case-insensitively for the hint). */
    check_override_error("node.PA.port=1",
                         "expected the name of a [node NAME] group of the "
                         "file ([node pa], [node pb], [node pc]), found no "
                         "[node PA] group (did you mean [node pa]?)");
    check_override_error("traffic.a-to-c.rate=1",
                         "found no [traffic a-to-c] group (did you mean "
                         "[traffic a-to-b]?)");
    check_override_error("domain.b.tesst.srv=1",
                         "found no [domain b.tesst] group (did you mean "
                         "[domain b.test]?)");
    /* A link's two sites are shown apart, as the file writes them. */
    check_override_error("link.west.eest.delay=1ms",
                         "found no [link west eest] group (did you mean "
                         "[link east west]?)");
    check_override_error("fault.x.at=1", "(there are none), found no "
                                         "[fault x] group");
    /* A glob that matches no group of its kind. */
    check_override_error("node.z*.cores=2",
                         "expected a pattern that matches [node NAME] "
                         "groups of the file (3 of them), found none it "
                         "matches");
    /* Empty parts, names where none belong, unknown keys. */
    check_override_error("simulation..duration=1",
                         "no empty part between dots, found part 2 empty");
    check_override_error("node.pa..port=1", "found part 3 empty");
    check_override_error(".duration=1", "found part 1 empty");
    check_override_error("simulation.x.duration=1", "the group takes no "
                                                    "name), found a name");
    check_override_error("transport.protocl=tcp",
                         "expected a key of [transport] groups (protocol, "
                         "tls-version,");
    check_override_error("transprt.protocol=tcp",
                         "found the unknown kind \"transprt\"");
    /* Sites with dots make a dotted name ambiguous: both are listed. */
    const char *const amb[] = { "link.a.b.c.delay=1ms", NULL };
    g_autoptr(GError) e2 = NULL;
    g_autoptr(SimTopo) t2 = load_text(
        "[node w]\nsite = a.b\n[node x]\nsite = c\n[node y]\nsite = a\n"
        "[node z]\nsite = b.c\n[link a.b c]\n[link a b.c]\n",
        amb, &e2);
    g_assert_error(e2, SIM_TOPO_ERROR, SIM_TOPO_ERROR_OVERRIDE);
    g_assert_nonnull(strstr(e2->message, "found several ([link a.b c], "
                                         "[link a b.c])"));
    /* A bad value through --set is a value error naming the override. */
    const char *const ovs[] = { "node.pa.cores=0", NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) t = load_text(topo_ov, ovs, &error);
    g_assert_error(error, SIM_TOPO_ERROR, SIM_TOPO_ERROR_BAD_VALUE);
    g_assert_nonnull(strstr(error->message, "--set node.pa.cores=0"));
}

/* One malformed fixture and what its error must say. */
typedef struct {
    const char *file;
    SimTopoError code;
    /* Substrings: group (with brackets), key, expectation; NULL: none. */
    const char *group, *key, *expect;
} Fixture;

static const Fixture fixtures[] = {
    { "unknown-group.topo", SIM_TOPO_ERROR_UNKNOWN_GROUP, "[nodde pa]",
      NULL, "did you mean \"node\"" },
    { "unknown-key.topo", SIM_TOPO_ERROR_UNKNOWN_KEY, "[traffic a-to-b]",
      "rtae", "did you mean \"rate\"" },
    { "bad-unit.topo", SIM_TOPO_ERROR_BAD_VALUE, "[network]",
      "default-delay", "found \"10 parsecs\"" },
    { "zero-rate.topo", SIM_TOPO_ERROR_BAD_VALUE, "[traffic a-to-b]", "rate",
      "expected a positive rate" },
    { "negative-cores.topo", SIM_TOPO_ERROR_BAD_VALUE, "[node pa]", "cores",
      "negative" },
    { "unknown-domain.topo", SIM_TOPO_ERROR_BAD_REFERENCE, "[node pa]",
      "domains", "did you mean \"a.test\"" },
    { "srv-no-node.topo", SIM_TOPO_ERROR_BAD_REFERENCE, "[domain a.test]",
      "srv", "found \"pz.a.test\"" },
    { "duplicate-group.topo", SIM_TOPO_ERROR_DUPLICATE, "[node pa]", NULL,
      "lines 3 and 6" },
    { "traffic-unknown-domain.topo", SIM_TOPO_ERROR_BAD_REFERENCE,
      "[traffic a-to-x]", "to", "found \"x.test\"" },
    { "fault-unknown-node.topo", SIM_TOPO_ERROR_BAD_REFERENCE,
      "[fault crash]", "node", "found \"pc\"" },
    { "cert-unreadable.topo", SIM_TOPO_ERROR_CREDENTIALS, "[node pa]",
      "cert-file", "expected a readable file" },
    { "warmup-duration.topo", SIM_TOPO_ERROR_CONFLICT, "[simulation]",
      "warmup", "shorter than the duration" },
    { "pki-verify-time-bad.topo", SIM_TOPO_ERROR_BAD_VALUE, "[pki]",
      "verify-time", "expected an ISO-8601 date or date-time" },
    { "no-nodes.topo", SIM_TOPO_ERROR_MISSING, NULL, NULL,
      "at least one [node NAME]" },
    { "link-no-nodes.topo", SIM_TOPO_ERROR_FAILED, "[link a b]", NULL,
      "the file has no node), found \"a\"" },
    { "traffic-unserved.topo", SIM_TOPO_ERROR_BAD_REFERENCE,
      "[traffic a-to-b]", "from", "no node lists" },
    { "not-keyfile.topo", SIM_TOPO_ERROR_FILE, NULL, NULL,
      "expected a key file" },
    { "group-words.topo", SIM_TOPO_ERROR_BAD_VALUE, "[node pa pb]", NULL,
      "of the form [node NAME] (one name after the kind), found 2 name "
      "words" },
    { "duration-huge.topo", SIM_TOPO_ERROR_BAD_VALUE, "[simulation]",
      "duration", "expected a positive duration of at most 365 days" },
    { "link-node-site.topo", SIM_TOPO_ERROR_BAD_REFERENCE, "[link pa west]",
      NULL, "node pa has site = east" },
    { "fault-after-end.topo", SIM_TOPO_ERROR_CONFLICT, "[fault crash]", "at",
      "expected at < duration (the run ends at 30 s), found 30 s" },
    { "several-problems.topo", SIM_TOPO_ERROR_FAILED, "[node pb]", "domains",
      "found \"b.test\"" },
    { "locale-key.topo", SIM_TOPO_ERROR_UNKNOWN_KEY, "[simulation]",
      "duration[en]", "without a [LOCALE] suffix" },
    { "duplicate-key.topo", SIM_TOPO_ERROR_DUPLICATE, "[node pa]", "cores",
      "found it at lines 3 and 5" },
    { "domain-case.topo", SIM_TOPO_ERROR_DUPLICATE, "[domain A.TEST]", NULL,
      "(DNS names are case-insensitive), found [domain a.test] at line 3 "
      "and [domain A.TEST] at line 8" },
    { "strategy-unknown.topo", SIM_TOPO_ERROR_BAD_VALUE, "[simulation]",
      "strategy", "did you mean \"reuse\"" },
    { "strategy-transport.topo", SIM_TOPO_ERROR_CONFLICT, "[simulation]",
      "strategy", "expected a strategy that runs over protocol tcp "
      "(rfc3261, per-transaction, two-connection, reuse-unauthenticated), "
      "found \"reuse\"" },
    { "key-unreadable.topo", SIM_TOPO_ERROR_CREDENTIALS, "[node pa]",
      "key-file", "expected a readable file, found no file" },
    { "pem-garbage.topo", SIM_TOPO_ERROR_CREDENTIALS, "[node pa]",
      "cert-file", "expected a PEM certificate chain, leaf first, found a "
      "file that is not: certificate 1 of" },
    { "key-garbage.topo", SIM_TOPO_ERROR_CREDENTIALS, "[node pa]",
      "key-file", "no unencrypted PEM private key in" },
    { "key-mismatch.topo", SIM_TOPO_ERROR_CREDENTIALS, "[node pa]",
      "key-file", "expected the private key of the certificate beside it" },
    { "profile-bad.topo", SIM_TOPO_ERROR_CREDENTIALS, "[simulation]",
      "cpu-profile", "expected a CPU profile written by sipreuse calibrate, "
      "found a file that is not: " },
    { "srv-port.topo", SIM_TOPO_ERROR_BAD_REFERENCE, "[domain a.test]", "srv",
      "expected an SRV port that a node of target y listens on (node y on "
      "5060; protocol tcp, whose default port is 5060), found 5061" },
    { "cancel-without-after.topo", SIM_TOPO_ERROR_CONFLICT,
      "[traffic a-to-b]", "cancel", "expected cancel-after" },
    { "cancel-range.topo", SIM_TOPO_ERROR_BAD_VALUE, "[traffic a-to-b]",
      "cancel", "expected a fraction in [0, 1]" },
    { "sctp-streams-zero.topo", SIM_TOPO_ERROR_BAD_VALUE, "[transport]",
      "sctp-streams", "an integer in 1..65535" },
    { "bad-unit-bandwidth.topo", SIM_TOPO_ERROR_BAD_VALUE, "[network]",
      "bandwidth", "expected a positive bandwidth below 1e15 bps (e.g. "
      "100Mbps, 1Gbps, 64Kbps; a bare number is bits per second), found "
      "\"100 Mbit/s\"" },
    { "bad-unit-rate.topo", SIM_TOPO_ERROR_BAD_VALUE, "[traffic a-to-b]",
      "rate", "(N, N/s, N/min or N/h, e.g. 20/s), found \"5 calls/s\"" },
    /* Fuzzer finds. */
    { "fuzz-protocol-overflow.topo", SIM_TOPO_ERROR_BAD_VALUE,
      "[transport]", "protocol", "did you mean \"tls\"" },
};

static void
test_fixture(gconstpointer data)
{
    const Fixture *f = data;
    g_autofree char *rel = g_build_filename("run/tests/data", f->file, NULL);
    g_autofree char *path = srcpath(rel);
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) t = sim_topo_load(path, NULL, &error);
    g_assert_null(t);
    g_assert_error(error, SIM_TOPO_ERROR, (gint)f->code);
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, f->file));
    g_assert_nonnull(strstr(error->message, "expected"));
    if (f->group)
        g_assert_nonnull(strstr(error->message, f->group));
    if (f->key) {
        g_autofree char *k = g_strdup_printf("] %s", f->key);
        g_assert_nonnull(strstr(error->message, k));
    }
    g_assert_nonnull(strstr(error->message, f->expect));
}

/* Every problem of a file is reported, each on its own line naming file,
 * line, group and key; the code is theirs when they share one, else
 * SIM_TOPO_ERROR_FAILED. */
static void
test_all_problems(void)
{
    g_autofree char *path = srcpath("run/tests/data/several-problems.topo");
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) t = sim_topo_load(path, NULL, &error);
    g_assert_null(t);
    g_assert_error(error, SIM_TOPO_ERROR, SIM_TOPO_ERROR_FAILED);
    static const char *const lines[] = {
        "several-problems.topo:5: [simulation] duration: expected a "
        "positive duration",
        "several-problems.topo:9: [transport] protocl: unknown key (did you "
        "mean \"protocol\"?)",
        "several-problems.topo:16: [node pa] cores: expected an integer in "
        "1..4096, found \"0\"",
        "several-problems.topo:20: [node pb] domains: expected the name of a "
        "[domain NAME] group",
        "several-problems.topo:25: [traffic a-to-a] to: expected a domain "
        "other than from",
    };
    g_auto(GStrv) got = g_strsplit(error->message, "\n", -1);
    g_assert_cmpuint(g_strv_length(got), ==, G_N_ELEMENTS(lines));
    for (guint i = 0; i < G_N_ELEMENTS(lines); i++) {
        g_test_message("%s", got[i]);
        g_assert_nonnull(strstr(got[i], lines[i]));
    }

    /* Problems of one kind keep their code. */
    g_autoptr(GError) same = NULL;
    g_autoptr(SimTopo) t2 = load_text("[node pa]\ncores = 0\nup = maybe\n",
                                      NULL, &same);
    g_assert_error(same, SIM_TOPO_ERROR, SIM_TOPO_ERROR_BAD_VALUE);
    g_assert_nonnull(strstr(same->message, "] cores: "));
    g_assert_nonnull(strstr(same->message, "\ntest.topo:3: [node pa] up: "));

    /* A bad value does not hide a contradiction in another group, and
     * checks that depend on a bad value are skipped (no pile-up). */
    g_autoptr(GError) two = NULL;
    g_autoptr(SimTopo) t3 = load_text(
        "[simulation]\nduration = forever\nwarmup = 90s\n"
        "[pki]\nca-key-file = no-such-key.pem\n[node pa]\n",
        NULL, &two);
    g_auto(GStrv) two_lines = g_strsplit(two->message, "\n", -1);
    g_assert_cmpuint(g_strv_length(two_lines), ==, 2);
    g_assert_nonnull(strstr(two_lines[0], "[simulation] duration"));
    g_assert_nonnull(strstr(two_lines[1], "[pki] ca-key-file"));
}

/* What GKeyFile hides is reported with its line: every localized key (in
 * any group), the second of two equal keys. */
static void
test_hidden_keys(void)
{
    g_autofree char *path = srcpath("run/tests/data/locale-key.topo");
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) t = sim_topo_load(path, NULL, &error);
    g_assert_error(error, SIM_TOPO_ERROR, SIM_TOPO_ERROR_UNKNOWN_KEY);
    g_assert_nonnull(strstr(error->message,
                            "locale-key.topo:4: [simulation] duration[en]"));
    g_assert_nonnull(strstr(error->message,
                            "locale-key.topo:7: [node pa] bogus[fr]"));
    g_autoptr(GError) dup = NULL;
    g_autoptr(SimTopo) t2 = load_text("[node pa]\ncores = 2\n[node pb]\n"
                                      "cores = 2\n[node pa]\n",
                                      NULL, &dup);
    /* Equal keys in different groups are fine; the repeated group is
     * the one problem. */
    g_assert_error(dup, SIM_TOPO_ERROR, SIM_TOPO_ERROR_DUPLICATE);
    g_assert_null(strchr(dup->message, '\n'));
    g_assert_nonnull(strstr(dup->message, "lines 1 and 5"));
}

/* SIM_TOPO_ERROR_OVERRIDE's fixture: a valid file and a --set that names
 * no group of it. */
static void
test_override_fixture(void)
{
    g_autofree char *path = srcpath("run/tests/data/override-no-group.topo");
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) ok = sim_topo_load(path, NULL, &error);
    g_assert_no_error(error);
    const char *const sets[] = { "node.a.port=5071", NULL };
    g_autoptr(SimTopo) t = sim_topo_load(path, sets, &error);
    g_assert_null(t);
    g_assert_error(error, SIM_TOPO_ERROR, SIM_TOPO_ERROR_OVERRIDE);
    g_assert_nonnull(strstr(error->message, "override-no-group.topo: --set "
                                            "\"node.a.port=5071\": expected"));
    g_assert_nonnull(strstr(error->message, "found no [node a] group (did "
                                            "you mean [node A]?)"));
}

/* Strategies are names from the registry; explicitly set ones must run
 * over the transport, the run's only when the file's strategy is the
 * run's (SIM_TOPO_LOAD_DEFAULT); an unset one is the default, reuse,
 * whatever the transport. */
static void
test_strategies(void)
{
    const char *tcp = "[transport]\nprotocol = tcp\n[node pa]\n";
    g_autoptr(SimTopo) t = load_ok(tcp, NULL);
    g_assert_cmpstr(t->simulation.strategy, ==, "reuse");
    g_assert_false(t->simulation.strategy_set);
    const char *const set[] = { "simulation.strategy=two-connection", NULL };
    g_autoptr(SimTopo) t2 = load_ok(tcp, set);
    g_assert_cmpstr(t2->simulation.strategy, ==, "two-connection");
    g_assert_true(t2->simulation.strategy_set);

    const char *reuse = "[simulation]\nstrategy = reuse\n"
                        "[transport]\nprotocol = tcp\n[node pa]\n";
    g_autoptr(GError) e1 = NULL;
    g_autoptr(SimTopo) t3 = load_text(reuse, NULL, &e1);
    g_assert_error(e1, SIM_TOPO_ERROR, SIM_TOPO_ERROR_CONFLICT);
    g_autoptr(SimTopo) t4 = sim_topo_load_data_full(
        "test.topo", reuse, strlen(reuse), NULL,
        SIM_TOPO_LOAD_CALLER_STRATEGY, &e1);
    g_assert_nonnull(t4);
    g_assert_cmpstr(t4->simulation.strategy, ==, "reuse");

    /* A node's own strategy: known, and runs over the transport even
     * when the caller picks the run's. */
    const char *node = "[transport]\nprotocol = udp\n[node pa]\n"
                       "strategy = two-connection\n[node pb]\n"
                       "strategy = per-transactoin\n";
    g_autoptr(GError) e2 = NULL;
    g_autoptr(SimTopo) t5 = sim_topo_load_data_full(
        "test.topo", node, strlen(node), NULL,
        SIM_TOPO_LOAD_CALLER_STRATEGY, &e2);
    g_assert_error(e2, SIM_TOPO_ERROR, SIM_TOPO_ERROR_FAILED);
    g_test_message("%s", e2->message);
    g_assert_nonnull(strstr(e2->message, "test.topo:4: [node pa] strategy: "
                                         "expected a strategy that runs "
                                         "over protocol udp (rfc3261, "
                                         "per-transaction, "
                                         "reuse-unauthenticated), found "
                                         "\"two-connection\""));
    g_assert_nonnull(strstr(e2->message, "test.topo:6: [node pb] strategy: "
                                         "expected a strategy, one of "));
    g_assert_nonnull(strstr(e2->message,
                            "(did you mean \"per-transaction\"?)"));
    /* A bad protocol hides the transport checks (no pile-up). */
    g_autoptr(GError) e3 = NULL;
    g_autoptr(SimTopo) t6 = load_text(
        "[simulation]\nstrategy = reuse\n[transport]\nprotocol = tpc\n"
        "[node pa]\n", NULL, &e3);
    g_assert_error(e3, SIM_TOPO_ERROR, SIM_TOPO_ERROR_BAD_VALUE);
    g_assert_null(strchr(e3->message, '\n'));
}

/* Credentials and profiles are parsed as the run will parse them: a
 * valid pair loads, a CA file that is no certificate or a profile with a
 * bad value does not. */
static void
test_files(void)
{
    g_autofree char *crt = abspath("run/tests/data/pem-a.crt");
    g_autofree char *key = abspath("run/tests/data/pem-a.key");
    g_autofree char *junk = abspath("run/tests/data/pem-garbage.crt");
    g_autofree char *good = g_strdup_printf(
        "[pki]\nca-file = %s\nca-key-file = %s\n"
        "[node pa]\ncert-file = %s\nkey-file = %s\n",
        crt, key, crt, key);
    g_autoptr(SimTopo) t = load_ok(good, NULL);
    g_assert_cmpstr(t->nodes[0].cert_file, ==, crt);
    g_assert_cmpstr(t->pki.ca_key_file, ==, key);
    g_autofree char *ca = g_strdup_printf("[pki]\nca-file = %s\n[node pa]\n",
                                          junk);
    g_autoptr(GError) e1 = NULL;
    g_autoptr(SimTopo) t1 = load_text(ca, NULL, &e1);
    g_assert_error(e1, SIM_TOPO_ERROR, SIM_TOPO_ERROR_CREDENTIALS);
    g_assert_nonnull(strstr(e1->message, "[pki] ca-file: expected a PEM CA "
                                         "certificate"));
    /* A profile with a value that is not microseconds. */
    g_autofree char *dir = g_dir_make_tmp("topo-XXXXXX", NULL);
    g_autofree char *prof = g_build_filename(dir, "host.profile", NULL);
    g_assert_true(g_file_set_contents(prof, "[ecdsa-p256]\nsign = fast\n",
                                      -1, NULL));
    g_autofree char *pt = g_strdup_printf(
        "[simulation]\ncpu-profile = %s\n[node pa]\n", prof);
    g_autoptr(GError) e2 = NULL;
    g_autoptr(SimTopo) t2 = load_text(pt, NULL, &e2);
    g_assert_error(e2, SIM_TOPO_ERROR, SIM_TOPO_ERROR_CREDENTIALS);
    g_assert_nonnull(strstr(e2->message, "[ecdsa-p256] sign"));
    g_assert_true(g_file_set_contents(prof, "[ecdsa-p256]\nsign = 40\n",
                                      -1, NULL));
    g_autoptr(SimTopo) t3 = load_ok(pt, NULL);
    g_assert_cmpstr(t3->simulation.cpu_profile, ==, prof);
    g_remove(prof);
    g_rmdir(dir);
}

static void
test_line_numbers(void)
{
    /* unknown-key.topo has "rtae = 5" on line 12. */
    g_autofree char *path = srcpath("run/tests/data/unknown-key.topo");
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) t = sim_topo_load(path, NULL, &error);
    g_assert_nonnull(strstr(error->message, "unknown-key.topo:12:"));
}

static void
test_samples(void)
{
    static const char *const samples[] = {
        "pair", "mesh", "srv-farm", "trunk", "virtual-hosting", "hijack",
        "failover",
    };
    for (guint i = 0; i < G_N_ELEMENTS(samples); i++) {
        g_autofree char *rel =
            g_strdup_printf("topologies/%s.topo", samples[i]);
        g_autofree char *path = srcpath(rel);
        g_autoptr(GError) error = NULL;
        g_autoptr(SimTopo) t = sim_topo_load(path, NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(t->name, ==, samples[i]);
    }
}

/* The largest seed a guint64 holds is accepted; one more is not. */
static void
test_seed_max(void)
{
    g_autoptr(SimTopo) t =
        load_ok("[simulation]\nseed = 18446744073709551615\n[node pa]\n",
                NULL);
    g_assert_cmpuint(t->simulation.seed, ==, G_MAXUINT64);
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) bad = load_text(
        "[simulation]\nseed = 18446744073709551616\n[node pa]\n", NULL,
        &error);
    g_assert_error(error, SIM_TOPO_ERROR, SIM_TOPO_ERROR_BAD_VALUE);
    g_assert_nonnull(strstr(error->message, "18446744073709551615"));
}

/* A UTF-8 byte-order mark before the first group is skipped; line
 * numbers stay those of the file. */
static void
test_bom(void)
{
    g_autoptr(SimTopo) t = load_ok("\xef\xbb\xbf[node pa]\ncores = 2\n", NULL);
    g_assert_cmpuint(t->nodes[0].cores, ==, 2);
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) bad =
        load_text("\xef\xbb\xbf[node pa]\ncores = 0\n", NULL, &error);
    g_assert_error(error, SIM_TOPO_ERROR, SIM_TOPO_ERROR_BAD_VALUE);
    g_assert_nonnull(strstr(error->message, "test.topo:2: [node pa] cores"));
}

static void
test_garbage(void)
{
    /* Inputs that must give errors, never crashes: NUL bytes, empty. */
    static const char nul[] = "[node a]\nhost = a\0b\n";
    g_autoptr(GError) e1 = NULL, e2 = NULL;
    g_assert_null(sim_topo_load_data("x", nul, sizeof nul - 1, NULL, &e1));
    g_assert_error(e1, SIM_TOPO_ERROR, SIM_TOPO_ERROR_FILE);
    g_assert_null(sim_topo_load_data("x", "", 0, NULL, &e2));
    g_assert_error(e2, SIM_TOPO_ERROR, SIM_TOPO_ERROR_MISSING);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("Topology loader: defaults, units, lists, overrides, "
                   "every error class with its fixture, sample files.");
    g_test_add_func("/topo/defaults/every-key", test_defaults);
    g_test_add_func("/topo/defaults/traffic-and-san", test_defaults_traffic);
    g_test_add_func("/topo/defaults/text", test_defaults_text);
    g_test_add_func("/topo/defaults/fault-and-link", test_defaults_fault_link);
    g_test_add_func("/topo/dns/srv-select-reaches-resolver", test_srv_select);
    g_test_add_func("/topo/units/duration", test_units_duration);
    g_test_add_func("/topo/units/duration-limits", test_duration_limits);
    g_test_add_func("/topo/units/bandwidth", test_units_bandwidth);
    g_test_add_func("/topo/units/rate-and-loss", test_units_rate_loss);
    g_test_add_func("/topo/values/cancel-and-streams", test_cancel_streams);
    g_test_add_func("/topo/lists/domains-san-srv", test_lists);
    g_test_add_func("/topo/node/issue12-keys", test_issue12_node_keys);
    g_test_add_func("/topo/issue12/via-and-source-port",
                    test_issue12_via_source_port);
    g_test_add_func("/topo/lists/srv-any-port", test_srv_any_port);
    g_test_add_func("/topo/nodes/addresses", test_addresses);
    g_test_add_func("/topo/overrides/apply", test_overrides);
    g_test_add_func("/topo/overrides/errors", test_override_errors);
    g_test_add_func("/topo/overrides/globs", test_override_globs);
    g_test_add_func("/topo/transport/tls-keys-warn", test_tls_keys_warn);
    g_test_add_func("/topo/transport/delayed-ack", test_delayed_ack);
    g_test_add_func("/topo/defaults-groups", test_defaults_groups);
    g_test_add_func("/topo/defaults-groups/bad", test_defaults_groups_bad);
    g_test_add_func("/topo/overrides/unset", test_unset);
    g_test_add_func("/topo/transport/scoped-warnings", test_scoped_warnings);
    g_test_add_func("/topo/rate-scale", test_rate_scale);
    g_test_add_func("/topo/overrides/paths", test_override_paths);
    g_test_add_func("/topo/pki/verify-time", test_verify_time);
    for (guint i = 0; i < G_N_ELEMENTS(fixtures); i++) {
        g_autofree char *name = g_strndup(fixtures[i].file,
                                          strlen(fixtures[i].file) - 5);
        g_autofree char *p = g_strdup_printf("/topo/errors/%s", name);
        g_test_add_data_func(p, &fixtures[i], test_fixture);
    }
    g_test_add_func("/topo/errors/line-number", test_line_numbers);
    g_test_add_func("/topo/files/parsed", test_files);
    g_test_add_func("/topo/values/strategies", test_strategies);
    g_test_add_func("/topo/errors/override-no-group", test_override_fixture);
    g_test_add_func("/topo/errors/all-problems", test_all_problems);
    g_test_add_func("/topo/errors/hidden-keys", test_hidden_keys);
    g_test_add_func("/topo/errors/garbage", test_garbage);
    g_test_add_func("/topo/values/seed-max", test_seed_max);
    g_test_add_func("/topo/file/utf8-bom", test_bom);
    g_test_add_func("/topo/samples/all-load", test_samples);
    return g_test_run();
}
