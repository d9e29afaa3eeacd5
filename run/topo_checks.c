/* SPDX-License-Identifier: MIT */
/*
 * The cross-checks of the topology loader, for what one value cannot say
 * alone.  Files are parsed as the run will parse them (profiles with the
 * profile reader, PEM through models/pki.c) and a key file must be the key
 * of the certificate beside it; explicit strategies must run over the
 * transport; names must refer to a domain, site or node that exists; nodes
 * get their addresses here, no two on one {address, port}, and an SRV
 * {target, port} must be one that a node listens on.  Contradictions
 * within one section (tls-version with a non-TLS protocol, warmup >=
 * duration, cert-file without key-file, ca-key-file without ca-file,
 * traffic with from == to or start >= stop, a fault at or after the end of
 * the run) are rejected where run/topo.c parses that section.
 */
#define G_LOG_DOMAIN "sim-topo"

#include "run/topo.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "models/net.h"
#include "models/pki.h"
#include "models/strategy/strategy.h"
#include "run/profile.h"
#include "run/topo_priv.h"

/* Longest certificate, key or profile file the loader reads. */
#define TOPO_MAX_FILE (1u << 20)

/* ---- Files: profiles, certificates, keys ------------------------------ */

/* What each file kind must hold, for messages. */
static const char *const topo_file_kinds[] = {
    [TOPO_FILE_PROFILE] = "a CPU profile written by sipreuse calibrate",
    [TOPO_FILE_CHAIN] = "a PEM certificate chain, leaf first",
    [TOPO_FILE_CA] = "a PEM CA certificate",
    [TOPO_FILE_LEAF_KEY] = ("a PEM private key (rsa-2048, rsa-3072, "
                            "ecdsa-p256 or ed25519, unencrypted)"),
    [TOPO_FILE_CA_KEY] = "an unencrypted PEM private key",
};

/* Parses @path as the run will: a profile with the profile reader,
 * certificates and keys with OpenSSL (through models/pki.c). */
static gboolean
topo_file_content(TopoFileKind kind, const char *path, GError **error)
{
    switch (kind) {
    case TOPO_FILE_PROFILE: {
        g_auto(SimCpuProfile) profile = { 0 };
        return sim_cpu_profile_load(&profile, path, error);
    }
    case TOPO_FILE_CHAIN:
    case TOPO_FILE_CA:
        return sim_pki_check_pem_file(path, SIM_PKI_PEM_CERTS, error);
    case TOPO_FILE_LEAF_KEY:
        return sim_pki_check_pem_file(path, SIM_PKI_PEM_LEAF_KEY, error);
    case TOPO_FILE_CA_KEY:
    default:
        return sim_pki_check_pem_file(path, SIM_PKI_PEM_KEY, error);
    }
}

/* The folder-relative path of a readable file of @kind (credentials,
 * profiles), parsed as the run will parse it. */
gboolean
topo_file(TopoParser *p, const TopoGroup *g, const char *key,
          TopoFileKind kind, char **out)
{
    g_autofree char *v = topo_value(p, g, key);
    if (!v)
        return TRUE;
    g_autofree char *path = g_path_is_absolute(v)
                                ? g_strdup(v)
                                : g_build_filename(p->dir, v, NULL);
    g_autofree char *q = topo_quote(path);
    GStatBuf st;
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR) || g_stat(path, &st))
        return topo_fail(p, SIM_TOPO_ERROR_CREDENTIALS, g->group, key,
                         "expected a readable file, found no file %s", q);
    if (st.st_size == 0 || st.st_size > TOPO_MAX_FILE)
        return topo_fail(p, SIM_TOPO_ERROR_CREDENTIALS, g->group, key,
                         "expected %s (at most 1 MiB), found %s%s",
                         topo_file_kinds[kind],
                         st.st_size ? "a larger file " : "an empty file ",
                         q);
    FILE *f = fopen(path, "rb");
    if (!f)
        return topo_fail(p, SIM_TOPO_ERROR_CREDENTIALS, g->group, key,
                         "expected a readable file, cannot open %s: %s", q,
                         g_strerror(errno));
    fclose(f);
    g_autoptr(GError) bad = NULL;
    if (!topo_file_content(kind, path, &bad))
        return topo_fail(p, SIM_TOPO_ERROR_CREDENTIALS, g->group, key,
                         "expected %s, found a file that is not: %s",
                         topo_file_kinds[kind], bad->message);
    g_free(*out);
    *out = g_steal_pointer(&path);
    return TRUE;
}

/* A key file and the certificate file it must be the key of (both
 * parsed already; either may be unset). */
gboolean
topo_key_pair(TopoParser *p, const TopoGroup *g, const char *key,
              const char *cert_file, const char *key_file)
{
    g_autoptr(GError) bad = NULL;
    if (!cert_file || !key_file ||
        sim_pki_check_pem_pair(cert_file, key_file, &bad))
        return TRUE;
    return topo_fail(p, SIM_TOPO_ERROR_CREDENTIALS, g->group, key,
                     "expected the private key of the certificate beside "
                     "it, found another: %s",
                     bad->message);
}

/* ---- Strategies against the transport --------------------------------- */

/* The strategies that can run over @proto, ", "-separated. */
static char *
topo_applicable_list(SimProtocol proto)
{
    const SimStrategyOps *const *all = sim_strategy_all();
    GString *s = g_string_new(NULL);
    for (guint i = 0; all[i]; i++)
        if (sim_strategy_applicable(all[i], topo_protocol_kinds[proto]))
            g_string_append_printf(s, "%s%s", s->len ? ", " : "",
                                   all[i]->name);
    return g_string_free(s, FALSE);
}

/* An explicitly set strategy @name (in @g's @key) must run over the
 * topology's transport (SimStrategyOps.applicable). */
static gboolean
topo_strategy_runs(TopoParser *p, const SimTopo *t, const char *group,
                   const char *name)
{
    SimProtocol proto = t->transport.protocol;
    const SimStrategyOps *ops = sim_strategy_by_name(name, NULL);
    if (!ops || sim_strategy_applicable(ops, topo_protocol_kinds[proto]))
        return TRUE;
    g_autofree char *list = topo_applicable_list(proto);
    return topo_fail(p, SIM_TOPO_ERROR_CONFLICT, group, "strategy",
                     "expected a strategy that runs over protocol %s (%s), "
                     "found \"%s\", which cannot",
                     topo_protocol_names[proto], list, name);
}

/* Explicit strategies against the transport: the nodes' always (every
 * run uses them), the run's unless the caller picks the run's strategy.
 * Skipped when the protocol itself had a problem. */
gboolean
topo_check_strategies(TopoParser *p, const SimTopo *t)
{
    TopoGroup tmp;
    const char *tr = topo_singleton(p, TOPO_TRANSPORT, &tmp)->group;
    if (topo_is_bad(p, tr, "protocol"))
        return TRUE;
    const char *sim = topo_singleton(p, TOPO_SIMULATION, &tmp)->group;
    gboolean ok = TRUE;
    if (t->simulation.strategy_set &&
        !(p->flags & SIM_TOPO_LOAD_CALLER_STRATEGY))
        ok = topo_strategy_runs(p, t, sim, t->simulation.strategy);
    guint n = 0;
    for (guint i = 0; i < p->n_groups; i++) {
        if (p->groups[i].kind != &topo_kinds[TOPO_NODE])
            continue;
        const SimTopoNode *node = &t->nodes[n++];
        if (node->strategy)
            ok &= topo_strategy_runs(p, t, p->groups[i].group,
                                     node->strategy);
    }
    return ok;
}

/* ---- References: domains, sites, traffic, faults ---------------------- */

/* Records that @name (the value of @key) is none of the @n @names of the
 * groups of @kind ("domain", "node"), with a hint; returns FALSE. */
static gboolean
topo_ref_fail(TopoParser *p, const TopoGroup *g, const char *key,
              const char *kind, const char *const *names, guint n,
              const char *name)
{
    g_autofree char *hint = topo_hint(name, names, n);
    g_autofree char *q = topo_quote(name);
    return topo_fail(p, SIM_TOPO_ERROR_BAD_REFERENCE, g->group, key,
                     "expected the name of a [%s NAME] group, found %s, "
                     "which no group defines%s",
                     kind, q, hint);
}

/* A reference to a domain, with a hint on failure. */
gboolean
topo_domain_ref(TopoParser *p, const SimTopo *t, const TopoGroup *g,
                const char *key, const char *name, guint *out)
{
    gint i = sim_topo_domain_index(t, name);
    if (i >= 0) {
        *out = (guint)i;
        return TRUE;
    }
    g_autofree const char **names = g_new0(const char *, t->n_domains + 1);
    for (guint j = 0; j < t->n_domains; j++)
        names[j] = t->domains[j].name;
    return topo_ref_fail(p, g, key, "domain", names, t->n_domains, name);
}

gboolean
topo_site_ref(TopoParser *p, const SimTopo *t, const TopoGroup *g,
              const char *name, guint *out)
{
    gpointer idx = g_hash_table_lookup(p->sites, name);
    if (idx) {
        *out = GPOINTER_TO_UINT(idx) - 1;
        return TRUE;
    }
    if (p->bad_sites)
        return FALSE;
    g_autofree char *hint =
        topo_hint(name, (const char *const *)t->sites, t->n_sites);
    g_autofree char *q = topo_quote(name);
    /* A file without nodes has no sites at all. */
    g_autofree char *all = t->sites && t->n_sites
                               ? g_strjoinv(", ", t->sites)
                               : g_strdup("none: the file has no node");
    /* A node's name is its site only when it has no site key. */
    gint n = sim_topo_node_index(t, name);
    g_autofree char *moved =
        n >= 0 ? g_strdup_printf(" (node %s has site = %s: name that site)",
                                 name, t->sites[t->nodes[n].site])
               : g_strdup("");
    return topo_fail(p, SIM_TOPO_ERROR_BAD_REFERENCE, g->group, NULL,
                     "expected two sites that nodes sit in (the site key "
                     "of a node, or the name of a node without one: %s), "
                     "found %s%s%s",
                     all, q, moved, n >= 0 ? "" : hint);
}

/* TRUE if some node serves domain @d. */
static gboolean
topo_served(const SimTopo *t, guint d)
{
    for (guint i = 0; i < t->n_nodes; i++)
        for (guint j = 0; j < t->nodes[i].n_domains; j++)
            if (t->nodes[i].domains[j] == d)
                return TRUE;
    return FALSE;
}

gboolean
topo_traffic_domain(TopoParser *p, const SimTopo *t, const TopoGroup *g,
                    const char *key, guint *out)
{
    g_autofree char *v = topo_value(p, g, key);
    if (!v)
        return topo_fail(p, SIM_TOPO_ERROR_MISSING, g->group, key,
                         "expected a domain name, found no %s key", key);
    if (!topo_domain_ref(p, t, g, key, v, out))
        return FALSE;
    gboolean from = g_str_equal(key, "from");
    if (topo_served(t, *out) || (!from && t->domains[*out].n_srv > 0))
        return TRUE;
    return topo_fail(p, SIM_TOPO_ERROR_BAD_REFERENCE, g->group, key,
                     "expected a domain %s, found \"%s\", which no node "
                     "lists in its domains%s",
                     from ? "some node serves (calls originate there)"
                          : "that resolves (served by a node or with srv)",
                     v, from ? "" : " and which has no srv records");
}

/* The node @name (the value of @key) refers to, with a hint on
 * failure. */
static gboolean
topo_node_ref(TopoParser *p, const SimTopo *t, const TopoGroup *g,
              const char *key, const char *name, guint *out)
{
    gint n = sim_topo_node_index(t, name);
    if (n >= 0) {
        *out = (guint)n;
        return TRUE;
    }
    g_autofree const char **names = g_new0(const char *, t->n_nodes + 1);
    for (guint j = 0; j < t->n_nodes; j++)
        names[j] = t->nodes[j].name;
    return topo_ref_fail(p, g, key, "node", names, t->n_nodes, name);
}

/* The node a fault names. */
gboolean
topo_fault_node(TopoParser *p, const SimTopo *t, const TopoGroup *g,
                guint *out)
{
    g_autofree char *node = topo_value(p, g, "node");
    if (!node)
        return topo_fail(p, SIM_TOPO_ERROR_MISSING, g->group, "node",
                         "expected the name of the node to fail, found no "
                         "node key");
    return topo_node_ref(p, t, g, "node", node, out);
}

/* [traffic] via: the node every call of the group starts at, which must
 * serve the group's from domain (its callers' From names it). */
gboolean
topo_traffic_via(TopoParser *p, const SimTopo *t, const TopoGroup *g,
                 SimTopoTraffic *tr)
{
    g_autofree char *via = topo_value(p, g, "via");
    guint n = 0;
    if (!via)
        return TRUE;
    if (!topo_node_ref(p, t, g, "via", via, &n))
        return FALSE;
    const SimTopoNode *node = &t->nodes[n];
    for (guint k = 0; k < node->n_domains; k++)
        if (node->domains[k] == tr->from) {
            tr->via = n;
            return TRUE;
        }
    g_autofree char *q = topo_quote(via);
    return topo_fail(p, SIM_TOPO_ERROR_CONFLICT, g->group, "via",
                     "expected a node serving the from domain \"%s\", "
                     "found %s, whose domains do not include it",
                     t->domains[tr->from].name, q);
}

/* ---- Addresses and ports ---------------------------------------------- */

/* Assigns 10.0.0.1, 10.0.0.2 ... in file order to nodes without an
 * address, skipping addresses written in the file; rejects two nodes on
 * one {address, port}. */
gboolean
topo_assign_addresses(TopoParser *p, SimTopo *t, const TopoGroup **ng)
{
    g_autoptr(GHashTable) used = g_hash_table_new(g_direct_hash, NULL);
    g_autoptr(GHashTable) socks =
        g_hash_table_new(g_int64_hash, g_int64_equal);
    g_autofree gint64 *keys = g_new(gint64, t->n_nodes);
    gboolean ok = TRUE;
    for (guint i = 0; i < t->n_nodes; i++) {
        SimIp ip;
        if (t->nodes[i].address && sim_ip_parse(t->nodes[i].address, &ip))
            g_hash_table_add(used, GUINT_TO_POINTER(ip));
    }
    SimIp next = (10u << 24) + 1;
    for (guint i = 0; i < t->n_nodes; i++) {
        SimTopoNode *n = &t->nodes[i];
        SimIp ip;
        if (!n->address) {
            while ((next & 255) == 0 || (next & 255) == 255 ||
                   g_hash_table_contains(used, GUINT_TO_POINTER(next)))
                next++;
            ip = next++;
            n->address = sim_ip_to_string(ip);
        } else {
            sim_ip_parse(n->address, &ip);
        }
        keys[i] = ((gint64)ip << 16) | n->port;
        if (!g_hash_table_add(socks, &keys[i]))
            ok = topo_fail(p, SIM_TOPO_ERROR_CONFLICT, ng[i]->group,
                           "address",
                           "expected a distinct {address, port} per node, "
                           "found %s:%u used by another node too",
                           n->address, n->port);
    }
    return ok;
}

/*
 * The port of the nodes whose host is @host, for an SRV record written with
 * port "*" (so that one file serves every protocol: the node ports follow
 * the protocol's default).  Nodes sharing the host must agree on it.
 */
gboolean
topo_srv_node_port(TopoParser *p, const SimTopo *t, const TopoGroup *g,
                   const char *host, guint64 *port)
{
    *port = 0;
    for (guint i = 0; i < t->n_nodes; i++) {
        if (g_ascii_strcasecmp(t->nodes[i].host, host) != 0)
            continue;
        if (*port && *port != t->nodes[i].port)
            return topo_fail(p, SIM_TOPO_ERROR_CONFLICT, g->group, "srv",
                             "expected an explicit port for target %s, "
                             "whose nodes listen on different ports (%u "
                             "and %u), found *",
                             host, (guint)*port, t->nodes[i].port);
        *port = t->nodes[i].port;
    }
    return TRUE;
}

/* An SRV record's {target, port} must be some node's {host, port}, or
 * every call routed by it fails.  Not checked when ports are unknown
 * (the protocol or a port key had a problem). */
gboolean
topo_srv_listens(TopoParser *p, const SimTopo *t, const TopoGroup *g,
                 const char *target, guint port)
{
    TopoGroup tmp;
    if (p->bad_ports ||
        topo_is_bad(p, topo_singleton(p, TOPO_TRANSPORT, &tmp)->group,
                    "protocol"))
        return TRUE;
    g_autoptr(GString) ports = g_string_new(NULL);
    for (guint i = 0; i < t->n_nodes; i++) {
        if (g_ascii_strcasecmp(t->nodes[i].host, target) != 0)
            continue;
        if (t->nodes[i].port == port)
            return TRUE;
        g_string_append_printf(ports, "%s%s on %u", ports->len ? ", " : "",
                               t->nodes[i].name, t->nodes[i].port);
    }
    return topo_fail(p, SIM_TOPO_ERROR_BAD_REFERENCE, g->group, "srv",
                     "expected an SRV port that a node of target %s listens "
                     "on (node %s; protocol %s, whose default port is %u), "
                     "found %u, so every call it routes would fail (write * "
                     "for the node's port)",
                     target, ports->str,
                     topo_protocol_names[t->transport.protocol],
                     t->transport.protocol == SIM_PROTO_TLS ||
                             t->transport.protocol == SIM_PROTO_TLS_SCTP
                         ? 5061
                         : 5060,
                     port);
}
