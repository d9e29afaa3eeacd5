/* SPDX-License-Identifier: MIT */
/*
 * Random valid topologies from a byte string (util_gentopo.h).  Each choice
 * takes one byte; when the bytes run out every choice is its first option,
 * which is always the simplest (fewest nodes, no loss, no fault), so
 * truncating an input simplifies the world it describes.  What is made:
 * 1-30 nodes on up to four sites, two to five domains (SRV farms with
 * priorities and weights, A-record farms, virtual hosts serving several
 * domains), every transport and strategy that applies to it (per-node
 * strategies mixed), links with delay, jitter, loss, bandwidth and MTU,
 * loaded and light CPUs, certificate misconfigurations, idle timeouts,
 * CANCEL traffic, callee BYEs and crash faults.
 */
#include "run/tests/util_gentopo.h"

#include <string.h>

typedef struct {
    const guint8 *p;
    gsize n;
    gsize i;
} Gen;

/* A choice among @n options; 0 once the bytes are used up. */
static guint
gen_pick(Gen *g, guint n)
{
    if (n <= 1 || g->i >= g->n)
        return 0;
    return g->p[g->i++] % n;
}

/* TRUE with about @pct percent; FALSE once the bytes are used up. */
static gboolean
gen_chance(Gen *g, guint pct)
{
    if (g->i >= g->n)
        return FALSE;
    return g->p[g->i++] % 100 >= 100 - pct;
}

/* One of @v (NULL-terminated). */
static const char *
gen_one(Gen *g, const char *const *v)
{
    return v[gen_pick(g, g_strv_length((char **)v))];
}

static const char *const protocols[] = { "tls", "tcp", "udp", "sctp",
                                         "tls-sctp", NULL };
static const char *const tls_strategies[] = {
    "reuse", "rfc3261", "two-connection", "per-transaction",
    "virtual-server", "reuse-unauthenticated", NULL
};
static const char *const stream_strategies[] = {
    "rfc3261", "two-connection", "per-transaction", "reuse-unauthenticated",
    NULL
};
static const char *const udp_strategies[] = {
    "rfc3261", "per-transaction", "reuse-unauthenticated", NULL
};

static const char *const *
gen_strategies(const char *protocol)
{
    if (g_str_has_prefix(protocol, "tls"))
        return tls_strategies;
    if (g_str_equal(protocol, "udp"))
        return udp_strategies;
    return stream_strategies;
}

/* [simulation], [transport], [network], [dns]; returns the protocol. */
static const char *
gen_globals(Gen *g, GString *t, const SimGenTopoLimits *lim, guint *dur)
{
    *dur = 3 + gen_pick(g, MAX(lim->max_duration_s, 4) - 2);
    const char *protocol = gen_one(g, protocols);
    gboolean tls = g_str_has_prefix(protocol, "tls");
    static const char *const warmups[] = { "0", "1s", "2s", NULL };
    g_string_append_printf(t,
                           "[simulation]\nduration = %us\nwarmup = %s\n"
                           "seed = %u\nstrategy = %s\n",
                           *dur, gen_one(g, warmups), 1 + gen_pick(g, 250),
                           gen_one(g, gen_strategies(protocol)));
    static const char *const idles[] = { "120s", "0", "1s", "2s", "5s",
                                         NULL };
    g_string_append_printf(t, "[transport]\nprotocol = %s\nidle-timeout = %s\n",
                           protocol, gen_one(g, idles));
    if (tls) {
        static const char *const versions[] = { "1.3", "1.2", NULL };
        g_string_append_printf(t,
                               "tls-version = %s\nmutual-auth = %s\n"
                               "resumption = %s\n",
                               gen_one(g, versions),
                               gen_chance(g, 20) ? "false" : "true",
                               gen_chance(g, 30) ? "false" : "true");
    }
    static const char *const delays[] = { "10ms", "1ms", "50ms", "150ms",
                                          NULL };
    static const char *const losses[] = { "0", "0", "0", "1%", "5%", "10%",
                                          NULL };
    static const char *const jitters[] = { "0", "0", "1ms", "5ms", NULL };
    g_string_append_printf(t,
                           "[network]\ndefault-delay = %s\nloss = %s\n"
                           "jitter = %s\n",
                           gen_one(g, delays), gen_one(g, losses),
                           gen_one(g, jitters));
    static const char *const selects[] = { "proportional", "rfc2782", NULL };
    g_string_append_printf(t, "[dns]\nsrv-select = %s\n", gen_one(g, selects));
    return protocol;
}

/* A node's optional keys: CPU, certificates, policy, strategy. */
static void
gen_node_extras(Gen *g, GString *t, const char *protocol)
{
    gboolean tls = g_str_has_prefix(protocol, "tls");
    if (gen_chance(g, 25)) {
        static const char *const costs[] = { "400us", "50us", "2ms", NULL };
        g_string_append_printf(t, "cores = %u\nsip-cost = %s\n",
                               1 + gen_pick(g, 2), gen_one(g, costs));
        if (tls)
            g_string_append(t, "tls-full-cost = 4ms\n"
                               "tls-resumed-cost = 2ms\n");
    }
    if (gen_chance(g, 15))
        g_string_append_printf(t, "strategy = %s\n",
                               gen_one(g, gen_strategies(protocol)));
    if (tls && gen_chance(g, 6))
        g_string_append(t, gen_chance(g, 50) ? "cert-expired = true\n"
                                             : "cert-untrusted = true\n");
    if (tls && gen_chance(g, 6))
        g_string_append(t, "client-cert = false\n");
    if (gen_chance(g, 6))
        g_string_append(t, "accept-alias = false\n");
    if (gen_chance(g, 5))
        g_string_append(t, "advertise-port = false\n");
}

/* Nodes and the domains they serve; fills @serves[node] with a bit per
 * domain. */
static guint
gen_nodes(Gen *g, GString *t, guint n_nodes, guint n_dom, guint n_sites,
          const char *protocol, guint *serves)
{
    guint sites = 0;
    for (guint i = 0; i < n_nodes; i++)
        serves[i] = 0;
    /* Every domain has a node; a virtual host serves a second one. */
    for (guint d = 0; d < MAX(n_dom, n_nodes); d++)
        serves[d % n_nodes] |= 1u << (d % n_dom);
    for (guint i = 0; i < n_nodes; i++) {
        if (gen_chance(g, 15))
            serves[i] |= 1u << gen_pick(g, n_dom);
        guint site = gen_pick(g, n_sites);
        sites |= 1u << site;
        g_string_append_printf(t, "[node n%u]\nhost = n%u.test\n", i, i);
        g_string_append_printf(t, "site = s%u\ndomains = ", site);
        gboolean first = TRUE;
        for (guint d = 0; d < n_dom; d++)
            if (serves[i] & (1u << d)) {
                g_string_append_printf(t, "%sd%u.test", first ? "" : ", ", d);
                first = FALSE;
            }
        g_string_append_c(t, '\n');
        gen_node_extras(g, t, protocol);
    }
    return sites;
}

/* [domain] groups: an SRV farm, or A records (no srv key). */
static void
gen_domains(Gen *g, GString *t, guint n_nodes, guint n_dom,
            const guint *serves)
{
    for (guint d = 0; d < n_dom; d++) {
        g_string_append_printf(t, "[domain d%u.test]\n", d);
        if (gen_chance(g, 25))
            continue;
        g_string_append(t, "srv = ");
        gboolean first = TRUE;
        for (guint i = 0; i < n_nodes; i++)
            if (serves[i] & (1u << d)) {
                g_string_append_printf(t, "%s%u %u * n%u.test",
                                       first ? "" : "; ",
                                       10 * (1 + gen_pick(g, 2)),
                                       gen_pick(g, 4) * 10, i);
                first = FALSE;
            }
        g_string_append_c(t, '\n');
    }
}

/* Links between the sites in use (@sites, a bit per site). */
static void
gen_links(Gen *g, GString *t, guint n_sites, guint sites)
{
    static const char *const bws[] = { "1Gbps", "10Mbps", "1Mbps", NULL };
    static const char *const mtus[] = { "1500", "1280", "576", "9000", NULL };
    static const char *const losses[] = { "0", "2%", "10%", NULL };
    for (guint a = 0; a < n_sites; a++)
        for (guint b = a + 1; b < n_sites; b++) {
            if (!(sites & (1u << a)) || !(sites & (1u << b)) ||
                !gen_chance(g, 50))
                continue;
            g_string_append_printf(t,
                                   "[link s%u s%u]\ndelay = %ums\n"
                                   "jitter = %ums\nloss = %s\n"
                                   "bandwidth = %s\nmtu = %s\n",
                                   a, b, 1 + gen_pick(g, 120), gen_pick(g, 6),
                                   gen_one(g, losses), gen_one(g, bws),
                                   gen_one(g, mtus));
        }
}

static void
gen_traffic(Gen *g, GString *t, guint n_dom, guint dur)
{
    guint n = 1 + gen_pick(g, 4);
    static const char *const byes[] = { "caller", "callee", "random", NULL };
    static const char *const answers[] = { "0", "500ms", "2s", "5s", NULL };
    for (guint k = 0; k < n; k++) {
        guint from = gen_pick(g, n_dom);
        guint to = (from + 1 + gen_pick(g, n_dom - 1)) % n_dom;
        g_string_append_printf(t,
                               "[traffic t%u]\nfrom = d%u.test\nto = d%u.test\n"
                               "rate = %u/s\nhold = %ums\nanswer-delay = %s\n"
                               "bye-by = %s\n",
                               k, from, to, 1 + gen_pick(g, 40),
                               200 + 100 * gen_pick(g, 100),
                               gen_one(g, answers), gen_one(g, byes));
        if (gen_chance(g, 15))
            g_string_append_printf(t, "cancel-after = %us\ncancel = %s\n",
                                   1 + gen_pick(g, 3),
                                   gen_chance(g, 50) ? "1" : "0.5");
        if (gen_chance(g, 10))
            g_string_append_printf(t, "start = %us\n", gen_pick(g, dur));
        if (gen_chance(g, 10))
            g_string_append_printf(t, "count = %u\n", 1 + gen_pick(g, 20));
    }
}

static void
gen_faults(Gen *g, GString *t, guint n_nodes, guint dur)
{
    guint n = gen_chance(g, 30) ? 1 + gen_pick(g, 2) : 0;
    for (guint k = 0; k < n; k++) {
        g_string_append_printf(t, "[fault f%u]\nnode = n%u\nat = %ums\n", k,
                               gen_pick(g, n_nodes),
                               100 * gen_pick(g, dur * 10));
        if (gen_chance(g, 70))
            g_string_append_printf(t, "duration = %ums\n",
                                   200 + 100 * gen_pick(g, 50));
    }
}

/**
 * sim_gentopo:
 * @data: the choices, one byte each
 * @size: how many
 * @limits: (nullable): bounds on size and duration (default 12 nodes,
 *   20 s)
 *
 * Returns: (transfer full): a topology file's text that the loader
 *   accepts.
 */
char *
sim_gentopo(const guint8 *data, gsize size, const SimGenTopoLimits *limits)
{
    SimGenTopoLimits lim = limits ? *limits
                                  : (SimGenTopoLimits){ 12, 20 };
    lim.max_nodes = CLAMP(lim.max_nodes, 1, 30);
    Gen g = { data, size, 0 };
    GString *t = g_string_new("# generated by sim_gentopo\n");
    guint dur = 0;
    const char *protocol = gen_globals(&g, t, &lim, &dur);
    guint n_nodes = 1 + gen_pick(&g, lim.max_nodes);
    guint n_dom = 2 + gen_pick(&g, MIN(n_nodes, 4));
    guint n_sites = 1 + gen_pick(&g, 4);
    guint serves[30];
    guint sites = gen_nodes(&g, t, n_nodes, n_dom, n_sites, protocol, serves);
    gen_domains(&g, t, n_nodes, n_dom, serves);
    gen_links(&g, t, n_sites, sites);
    gen_traffic(&g, t, n_dom, dur);
    gen_faults(&g, t, n_nodes, dur);
    return g_string_free(t, FALSE);
}
