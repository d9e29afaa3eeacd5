/* SPDX-License-Identifier: MIT */
/*
 * Tests of the DNS model.  SRV shares are checked over 30,000 resolutions
 * with a fixed seed against 4-sigma binomial bounds computed here
 * (sigma = sqrt(N p (1 - p)); a two-sided 4-sigma miss has probability
 * 6.3e-5 per check for a correct draw).  Expected shares come from
 * SPEC D4 (weight/sum, uniform for all-zero weights) and SPEC 3.7 (the
 * literal RFC 2782 draw on a fixed arrangement gives the first record
 * (w1 + 1)/(S + 1)).  Timing follows the resolver contract: a miss answers
 * after lookup_delay, a hit through a zero-delay event.
 */
#include <math.h>
#include <string.h>

#include "models/dns.h"

#define N_DRAWS 30000

typedef struct {
    SimCtx ctx;
    SimDns *dns;
    SimResolver *res;
    SimResolverConfig cfg;
} Fix;

static void
fix_setup(Fix *f, gconstpointer data)
{
    f->ctx.evq = sim_evq_new();
    f->ctx.seed = 20240601;
    f->ctx.stats = sim_stats_new();
    f->dns = sim_dns_new();
    f->cfg = (SimResolverConfig){ .ttl = SIM_S(300),
                                  .lookup_delay = SIM_MS(1),
                                  .rfc2782_select = FALSE,
                                  .blacklist_time = SIM_S(60) };
    /* Hosts s1..s3 at 10.0.0.1..3; a farm host with three addresses. */
    sim_dns_add_a(f->dns, "s1.example.net", 0x0a000001);
    sim_dns_add_a(f->dns, "s2.example.net", 0x0a000002);
    sim_dns_add_a(f->dns, "s3.example.net", 0x0a000003);
    sim_dns_add_a(f->dns, "farm.example.org", 0x0a000101);
    sim_dns_add_a(f->dns, "farm.example.org", 0x0a000102);
    sim_dns_add_a(f->dns, "farm.example.org", 0x0a000103);
}

static void
fix_resolver(Fix *f)
{
    f->res = sim_resolver_new(&f->ctx, f->dns, "a", &f->cfg);
}

static void
fix_teardown(Fix *f, gconstpointer data)
{
    sim_resolver_free(f->res);
    sim_dns_free(f->dns);
    sim_stats_free(f->ctx.stats);
    sim_evq_free(f->ctx.evq);
}

/* Asserts that @count of N_DRAWS is within 4 binomial sigmas of @p. */
static void
assert_share(guint count, double p)
{
    double mean = N_DRAWS * p, sigma = sqrt(N_DRAWS * p * (1 - p));
    g_assert_cmpfloat(fabs(count - mean), <=, 4 * sigma);
}

/* Counts, over N_DRAWS resolutions, which address comes first. */
static void
first_counts(Fix *f, const char *name, guint counts[3])
{
    memset(counts, 0, 3 * sizeof(guint));
    for (guint i = 0; i < N_DRAWS; i++) {
        g_autoptr(SimDnsAnswer) a =
            sim_resolver_resolve_now(f->res, name, 0, SIM_TRANSPORT_TLS);
        g_assert_cmpuint(a->n, ==, 3);
        counts[a->targets[0].tuple.ip - 0x0a000001]++;
    }
}

static void
add_farm(Fix *f, guint w1, guint w2, guint w3)
{
    sim_dns_add_srv(f->dns, "example.net", SIM_TRANSPORT_TLS, 10, w1, 5061,
                    "s1.example.net");
    sim_dns_add_srv(f->dns, "example.net", SIM_TRANSPORT_TLS, 10, w2, 5061,
                    "s2.example.net");
    sim_dns_add_srv(f->dns, "example.net", SIM_TRANSPORT_TLS, 10, w3, 5061,
                    "s3.example.net");
}

static void
test_shares_proportional(Fix *f, gconstpointer data)
{
    guint c[3];
    add_farm(f, 1, 3, 6);
    fix_resolver(f);
    first_counts(f, "example.net", c);
    /* P(first) = w / sum = 0.1, 0.3, 0.6 (SPEC D4). */
    assert_share(c[0], 0.1);
    assert_share(c[1], 0.3);
    assert_share(c[2], 0.6);
}

static void
test_shares_zero_uniform(Fix *f, gconstpointer data)
{
    guint c[3];
    add_farm(f, 0, 0, 0);
    fix_resolver(f);
    first_counts(f, "example.net", c);
    for (guint i = 0; i < 3; i++)
        assert_share(c[i], 1.0 / 3);
}

/* The draw function alone, on a fixed arrangement of @n weights: counts
 * how often each index (by its original position) is picked first. */
static void
draw_first(gboolean rfc2782, const guint *w, guint n, guint *counts)
{
    SimRng rng;
    sim_rng_init(&rng, 7, 1);
    for (guint i = 0; i < N_DRAWS; i++) {
        SimDnsTarget t[4];
        for (guint j = 0; j < n; j++)
            t[j] = (SimDnsTarget){ .tuple = { .ip = j }, .weight = w[j] };
        sim_dns_order_group(&rng, rfc2782, t, n);
        counts[t[0].tuple.ip]++;
    }
}

static void
test_rfc2782_bias(void)
{
    /* Weights [1, 3] in fixed order: (1+1)/(4+1) = 0.4, not 0.25. */
    static const guint w13[] = { 1, 3 };
    guint c[4] = { 0 };
    draw_first(TRUE, w13, 2, c);
    assert_share(c[0], 0.4);
    assert_share(c[1], 0.6);
    /* Three weight-10 records: 11/31, 10/31, 10/31 (SPEC scenario 32). */
    static const guint w10[] = { 10, 10, 10 };
    memset(c, 0, sizeof c);
    draw_first(TRUE, w10, 3, c);
    assert_share(c[0], 11.0 / 31);
    assert_share(c[1], 10.0 / 31);
    /* A weight-0 record is laid out first and wins with 1/(S+1). */
    static const guint w20[] = { 2, 0 };
    memset(c, 0, sizeof c);
    draw_first(TRUE, w20, 2, c);
    assert_share(c[1], 1.0 / 3);
    /* The proportional draw on the same [1, 3]: 0.25. */
    memset(c, 0, sizeof c);
    draw_first(FALSE, w13, 2, c);
    assert_share(c[0], 0.25);
}

static void
test_priorities(Fix *f, gconstpointer data)
{
    sim_dns_add_srv(f->dns, "example.net", SIM_TRANSPORT_TLS, 20, 100, 5061,
                    "s2.example.net");
    sim_dns_add_srv(f->dns, "example.net", SIM_TRANSPORT_TLS, 10, 1, 5061,
                    "s1.example.net");
    sim_dns_add_srv(f->dns, "example.net", SIM_TRANSPORT_TLS, 30, 1, 5070,
                    "s3.example.net");
    fix_resolver(f);
    for (guint i = 0; i < 100; i++) {
        g_autoptr(SimDnsAnswer) a =
            sim_resolver_resolve_now(f->res, "example.net", 0,
                                     SIM_TRANSPORT_TLS);
        g_assert_cmpuint(a->n, ==, 3);
        g_assert_cmpuint(a->targets[0].priority, ==, 10);
        g_assert_cmpuint(a->targets[1].priority, ==, 20);
        g_assert_cmpuint(a->targets[2].tuple.port, ==, 5070);
        g_assert_cmpstr(a->targets[2].host, ==, "s3.example.net");
    }
}

static void
test_a_fallback(Fix *f, gconstpointer data)
{
    fix_resolver(f);
    /* No SRV: A records with 5061 for TLS, 5060 otherwise (RFC 3263). */
    g_autoptr(SimDnsAnswer) tls =
        sim_resolver_resolve_now(f->res, "s1.example.net", 0,
                                 SIM_TRANSPORT_TLS);
    g_autoptr(SimDnsAnswer) tcp =
        sim_resolver_resolve_now(f->res, "s1.example.net", 0,
                                 SIM_TRANSPORT_TCP);
    g_autoptr(SimDnsAnswer) none =
        sim_resolver_resolve_now(f->res, "nowhere.test", 0,
                                 SIM_TRANSPORT_TCP);
    g_assert_cmpuint(tls->n, ==, 1);
    g_assert_cmpuint(tls->targets[0].tuple.port, ==, 5061);
    g_assert_cmpuint(tls->targets[0].tuple.ip, ==, 0x0a000001);
    g_assert_cmpint(tls->targets[0].tuple.transport, ==, SIM_TRANSPORT_TLS);
    g_assert_cmpuint(tcp->targets[0].tuple.port, ==, 5060);
    g_assert_cmpuint(none->n, ==, 0);
}

static void
test_explicit_port(Fix *f, gconstpointer data)
{
    /* An explicit port skips SRV even where SRV exists. */
    sim_dns_add_srv(f->dns, "s1.example.net", SIM_TRANSPORT_TLS, 10, 1, 5999,
                    "s2.example.net");
    fix_resolver(f);
    g_autoptr(SimDnsAnswer) a =
        sim_resolver_resolve_now(f->res, "s1.example.net", 5071,
                                 SIM_TRANSPORT_TLS);
    g_assert_cmpuint(a->n, ==, 1);
    g_assert_cmpuint(a->targets[0].tuple.ip, ==, 0x0a000001);
    g_assert_cmpuint(a->targets[0].tuple.port, ==, 5071);
}

static void
test_round_robin(Fix *f, gconstpointer data)
{
    fix_resolver(f);
    /* Three addresses: each query rotates the list by one. */
    for (guint i = 0; i < 6; i++) {
        g_autoptr(SimDnsAnswer) a =
            sim_resolver_resolve_now(f->res, "farm.example.org", 0,
                                     SIM_TRANSPORT_TCP);
        g_assert_cmpuint(a->n, ==, 3);
        g_assert_cmpuint(a->targets[0].tuple.ip, ==, 0x0a000101 + i % 3);
        g_assert_cmpuint(a->targets[1].tuple.ip, ==,
                         0x0a000101 + (i + 1) % 3);
    }
}

/* An in-dialog look-up's answer. */
static void
got_answer(SimDnsAnswer *a, gpointer user)
{
    SimDnsAnswer **out = user;
    *out = a;
}

static SimDnsAnswer *
resolve_in_dialog(Fix *f, SimIp peer)
{
    SimDnsAnswer *a = NULL;
    sim_resolver_resolve_in_dialog(f->res, "farm.example.org", 0,
                                   SIM_TRANSPORT_TCP, peer, got_answer, &a);
    sim_evq_run_until(f->ctx.evq, sim_evq_now(f->ctx.evq) + SIM_S(1));
    g_assert_nonnull(a);
    return a;
}

/* New look-ups rotate a host's addresses (RFC 1794); in-dialog ones (RFC
 * 3261 12.2.1.1: the dialog's remote target) do not: between new
 * look-ups 0 and 1, three in-dialog ones leave the rotation where it was
 * (the next new one starts at the second address), and each puts the
 * dialog's peer first, the others in their rotated order; a peer that is
 * not among the addresses changes nothing. */
static void
test_in_dialog_no_rotation(Fix *f, gconstpointer data)
{
    fix_resolver(f);
    g_autoptr(SimDnsAnswer) a0 = sim_resolver_resolve_now(
        f->res, "farm.example.org", 0, SIM_TRANSPORT_TCP);
    g_assert_cmpuint(a0->targets[0].tuple.ip, ==, 0x0a000101);
    for (guint i = 0; i < 3; i++) {
        g_autoptr(SimDnsAnswer) d = resolve_in_dialog(f, 0x0a000103);
        g_assert_cmpuint(d->n, ==, 3);
        /* Rotated by one (0x102, 0x103, 0x101), the peer moved first. */
        g_assert_cmpuint(d->targets[0].tuple.ip, ==, 0x0a000103);
        g_assert_cmpuint(d->targets[1].tuple.ip, ==, 0x0a000102);
        g_assert_cmpuint(d->targets[2].tuple.ip, ==, 0x0a000101);
    }
    g_autoptr(SimDnsAnswer) other = resolve_in_dialog(f, 0x0a0000ff);
    g_assert_cmpuint(other->targets[0].tuple.ip, ==, 0x0a000102);
    g_autoptr(SimDnsAnswer) a1 = sim_resolver_resolve_now(
        f->res, "farm.example.org", 0, SIM_TRANSPORT_TCP);
    g_assert_cmpuint(a1->targets[0].tuple.ip, ==, 0x0a000102);
    g_autoptr(SimDnsAnswer) a2 = sim_resolver_resolve_now(
        f->res, "farm.example.org", 0, SIM_TRANSPORT_TCP);
    g_assert_cmpuint(a2->targets[0].tuple.ip, ==, 0x0a000103);
}

/* What an asynchronous resolution delivered, and when. */
typedef struct {
    SimEvq *evq;
    SimTime at;
    guint n;
} Got;

static void
on_answer(SimDnsAnswer *a, gpointer user)
{
    Got *g = user;
    g->n = a->n;
    g->at = sim_evq_now(g->evq);
    sim_dns_answer_free(a);
}

/* Resolves example.net at @when and returns the delay of the answer. */
static SimTime
resolve_at(Fix *f, SimTime when)
{
    Got g = { f->ctx.evq, 0, 0 };
    sim_evq_run_until(f->ctx.evq, when);
    g_assert_cmpuint(sim_evq_now(f->ctx.evq), <=, when);
    /* Advance the clock exactly to @when with an empty event. */
    sim_evq_run_until(f->ctx.evq, when);
    SimTime start = sim_evq_now(f->ctx.evq);
    sim_resolver_resolve(f->res, "example.net", 0, SIM_TRANSPORT_TLS,
                         on_answer, &g);
    /* Never answered from inside the call. */
    g_assert_cmpuint(g.n, ==, 0);
    sim_evq_run_until(f->ctx.evq, when + SIM_S(1));
    g_assert_cmpuint(g.n, ==, 3);
    return g.at - start;
}

static void
noop(SimEvq *q, gpointer data)
{
}

static void
test_ttl(Fix *f, gconstpointer data)
{
    add_farm(f, 1, 1, 1);
    f->cfg.ttl = SIM_S(10);
    fix_resolver(f);
    /* Anchor the clock with events at the query times. */
    static const SimTime at[] = { 0, SIM_S(5), SIM_S(12), SIM_S(20) };
    for (guint i = 0; i < G_N_ELEMENTS(at); i++)
        sim_evq_at(f->ctx.evq, at[i], noop, NULL, NULL);
    /* t=0 miss: lookup_delay.  Records fetched at 1 ms live until
     * 10.001 s: t=5 s hits (zero delay); t=12 s misses again; t=20 s
     * hits (fetched at 12.001 s, fresh until 22.001 s). */
    g_assert_cmpuint(resolve_at(f, at[0]), ==, SIM_MS(1));
    g_assert_cmpuint(resolve_at(f, at[1]), ==, 0);
    g_assert_cmpuint(resolve_at(f, at[2]), ==, SIM_MS(1));
    g_assert_cmpuint(resolve_at(f, at[3]), ==, 0);
    g_assert_cmpuint(sim_stats_counter(f->ctx.stats, "dns.queries")->value,
                     ==, 4);
    g_assert_cmpuint(
        sim_stats_counter(f->ctx.stats, "dns.cache_hits")->value, ==, 2);
}

static void
test_blacklist(Fix *f, gconstpointer data)
{
    add_farm(f, 100, 0, 0);
    f->cfg.blacklist_time = SIM_S(30);
    fix_resolver(f);
    /* s1 carries all the weight, so it is first unless blacklisted. */
    SimTuple s1 = { 0x0a000001, 5061, SIM_TRANSPORT_TLS };
    sim_resolver_mark_failed(f->res, &s1);
    for (guint i = 0; i < 50; i++) {
        g_autoptr(SimDnsAnswer) a = sim_resolver_resolve_now(
            f->res, "example.net", 0, SIM_TRANSPORT_TLS);
        /* Sorted last, not removed. */
        g_assert_cmpuint(a->n, ==, 3);
        g_assert_cmpuint(a->targets[2].tuple.ip, ==, s1.ip);
    }
    sim_evq_at(f->ctx.evq, SIM_S(30), noop, NULL, NULL);
    sim_evq_run_until(f->ctx.evq, SIM_S(30));
    g_autoptr(SimDnsAnswer) a =
        sim_resolver_resolve_now(f->res, "example.net", 0, SIM_TRANSPORT_TLS);
    g_assert_cmpuint(a->targets[0].tuple.ip, ==, s1.ip);
}

/* RFC 3263 4.2: a numeric host is its own target, at the URI's port or
 * the transport's default (5061 for TLS, 5060 otherwise), whether or not a
 * node has that address, and resolving it queries nothing: the answer
 * comes through a zero-delay event, as a cache hit's does. */
static void
test_ip_literal(Fix *f, gconstpointer data)
{
    fix_resolver(f);
    const struct {
        guint16 port;
        SimTransportKind t;
        guint16 expect;
    } cases[] = { { 0, SIM_TRANSPORT_TLS, 5061 },
                  { 0, SIM_TRANSPORT_TCP, 5060 },
                  { 0, SIM_TRANSPORT_UDP, 5060 },
                  { 5070, SIM_TRANSPORT_TLS, 5070 } };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(SimDnsAnswer) a = sim_resolver_resolve_now(
            f->res, "10.9.8.7", cases[i].port, cases[i].t);
        g_assert_cmpuint(a->n, ==, 1);
        g_assert_cmphex(a->targets[0].tuple.ip, ==, 0x0a090807);
        g_assert_cmpuint(a->targets[0].tuple.port, ==, cases[i].expect);
        g_assert_cmpint(a->targets[0].tuple.transport, ==, cases[i].t);
    }
    /* A node's own address resolves the same way. */
    g_autoptr(SimDnsAnswer) b = sim_resolver_resolve_now(
        f->res, "10.0.0.2", 0, SIM_TRANSPORT_TLS);
    g_assert_cmpuint(b->n, ==, 1);
    g_assert_cmphex(b->targets[0].tuple.ip, ==, 0x0a000002);
    g_assert_cmpuint(
        sim_stats_counter(f->ctx.stats, "dns.queries")->value, ==, 0);
    Got g = { f->ctx.evq, 0, 0 };
    sim_resolver_resolve(f->res, "10.9.8.7", 0, SIM_TRANSPORT_TLS,
                         on_answer, &g);
    g_assert_cmpuint(g.n, ==, 0);
    sim_evq_run_until(f->ctx.evq, SIM_S(1));
    g_assert_cmpuint(g.n, ==, 1);
    g_assert_cmpuint(g.at, ==, 0);
}

static void
test_free_pending(Fix *f, gconstpointer data)
{
    /* Freeing a resolver with a resolution in flight cancels it. */
    Got g = { f->ctx.evq, 0, 0 };
    add_farm(f, 1, 1, 1);
    fix_resolver(f);
    sim_resolver_resolve(f->res, "example.net", 0, SIM_TRANSPORT_TLS,
                         on_answer, &g);
    g_clear_pointer(&f->res, sim_resolver_free);
    sim_evq_run_until(f->ctx.evq, SIM_S(1));
    g_assert_cmpuint(g.n, ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("DNS model: SRV shares, the RFC 2782 bias, priorities, "
                   "A fallback, explicit port, round robin, TTL cache, "
                   "blacklisting.");
#define ADD(path, fn)                                                         \
    g_test_add(path, Fix, NULL, fix_setup, fn, fix_teardown)
    ADD("/dns/srv/proportional-shares", test_shares_proportional);
    ADD("/dns/srv/zero-weights-uniform", test_shares_zero_uniform);
    g_test_add_func("/dns/srv/rfc2782-bias", test_rfc2782_bias);
    ADD("/dns/srv/priorities", test_priorities);
    ADD("/dns/a/fallback-default-port", test_a_fallback);
    ADD("/dns/a/explicit-port", test_explicit_port);
    ADD("/dns/a/round-robin", test_round_robin);
    ADD("/dns/a/in-dialog-no-rotation", test_in_dialog_no_rotation);
    ADD("/dns/a/ip-literal", test_ip_literal);
    ADD("/dns/cache/ttl", test_ttl);
    ADD("/dns/blacklist/sorted-last", test_blacklist);
    ADD("/dns/resolver/free-pending", test_free_pending);
    return g_test_run();
}
