/* SPDX-License-Identifier: MIT */
/*
 * The world builder: one run of a topology under one strategy and seed.  It
 * builds every model on a fresh SimCtx (network, PKI and credentials, DNS
 * A/SRV records for the run's transport, per node a CPU, a transport stack,
 * an RFC 3263 resolver, a SIP proxy and its user agent), adds the call
 * generators and the fault schedule, runs the event loop to the topology's
 * duration and turns the statistics into a SimRunResult (DESIGN section
 * 8).  Nothing is shared between runs, so runs may execute on several
 * threads at once; the wall clock is read here only, for the sim.* fields.
 */
#define G_LOG_DOMAIN "sim-world"

#include "run/world.h"

#include <math.h>
#include <string.h>

#include "models/fault.h"
#include "models/sip/ua.h"
#include "models/traffic.h"
#include "run/laws.h"
#include "run/pcap.h"
#include "run/pcap_trace.h"
#include "run/profile.h"

G_DEFINE_QUARK(sim-world-error-quark, sim_world_error)

/* Interval of the time series (timeseries.tsv) of runs up to
 * WORLD_MAX_SAMPLES seconds long; longer runs sample less often. */
#define WORLD_SAMPLE_INTERVAL SIM_S(1)
/* Most rows of a time series (plus the one at time 0). */
#define WORLD_MAX_SAMPLES 10000

/* One node's models. */
typedef struct {
    /* Its [node] group. */
    const SimTopoNode *cfg;
    /* Its address. */
    SimIp ip;
    /* The domains it serves, NULL-terminated (strings borrowed). */
    const char **domains;
    /* (nullable): its certificate and key (TLS runs only). */
    SimPkiCreds *creds;
    /* (nullable): its second certificate, for SNIs the first does not
     * prove ([node] sni-cert-san), and the NULL-terminated list the
     * stack takes. */
    SimPkiCreds *sni_creds;
    const SimPkiCreds *sni_list[2];
    /* Its models. */
    SimCpu *cpu;
    SimStack *stack;
    SimResolver *resolver;
    SimProxy *proxy;
    SimUa *ua;
    /* Statistics read at every sample and at the end. */
    SimGauge *busy_cores;
    SimGauge *conns_open;
} WorldNode;

/* Everything one run owns. */
typedef struct {
    /* Clock, queue, seed and statistics. */
    SimCtx ctx;
    /* The topology and options (borrowed). */
    const SimTopo *topo;
    const SimRunOptions *opt;
    /* The run's strategy and transport. */
    const SimStrategyOps *strategy;
    SimTransportKind kind;
    /* Shared models. */
    SimNet *net;
    SimPki *pki;
    SimDns *dns;
    /* Per node, topology order. */
    WorldNode *nodes;
    /* Generators and their settings (built from the topology). */
    SimTraffic **traffic;
    SimTrafficConfig *traffic_cfg;
    guint *traffic_origins;
    SimFault *fault;
    SimFaultConfig fault_cfg;
    SimFaultSpec *fault_specs;
    gboolean *node_up;
    /* Time series (of SimSample) and its interval. */
    GArray *samples;
    SimTime sample_interval;
    /* Run-wide statistics the sampler reads. */
    SimGauge *conns_open;
    SimGauge *calls_in_progress;
    SimCounter *calls_attempted;
    SimCounter *calls_failed;
    /* (nullable): the SIP capture (--pcap-sip). */
    SimPcap *pcap;
    /* (nullable): the packet trace (--pcap, --pcap-per-node). */
    SimPcapTrace *trace;
} World;

/* ---- Strategy choice ---------------------------------------------------- */

/**
 * sim_world_strategy_applicable:
 * @topo: a topology
 * @strategy: a strategy name
 *
 * Whether @strategy can run over @topo's transport.  The strategy's own
 * table decides: `reuse` and `virtual-server` need TLS (tls, tls-sctp),
 * `two-connection` runs over any reliable transport (it is meant for TCP
 * and SCTP, where it is the draft-09 remedy, and is harmless over TLS),
 * the others run everywhere.  Nodes with their own `strategy` key must be
 * able to run theirs too.
 *
 * Returns: %FALSE for an unknown name or a transport it cannot use.
 */
gboolean
sim_world_strategy_applicable(const SimTopo *topo, const char *strategy)
{
    g_return_val_if_fail(topo && strategy, FALSE);
    SimTransportKind kind = sim_protocol_kind(topo->transport.protocol);
    const SimStrategyOps *ops = sim_strategy_by_name(strategy, NULL);
    return ops && sim_strategy_applicable(ops, kind);
}

/**
 * sim_world_strategy_warnings:
 * @topo: a topology
 * @strategy: the run's strategy name
 *
 * The keys @topo sets that do not apply under @strategy: the alias keys
 * (alias-insert-check, accept-alias) when neither the strategy nor any
 * node's own strategy keeps an alias table (RFC 5923 aliases).
 *
 * Returns: (transfer full) (nullable): one sentence per key,
 *   NULL-terminated, or %NULL when there are none.
 */
char **
sim_world_strategy_warnings(const SimTopo *topo, const char *strategy)
{
    g_return_val_if_fail(topo && strategy, NULL);
    const SimStrategyOps *ops = sim_strategy_by_name(strategy, NULL);
    if (!topo->alias_keys || !ops || ops->accept_alias)
        return NULL;
    for (guint i = 0; i < topo->n_nodes; i++) {
        const SimStrategyOps *own =
            topo->nodes[i].strategy
                ? sim_strategy_by_name(topo->nodes[i].strategy, NULL)
                : NULL;
        if (own && own->accept_alias)
            return NULL;
    }
    GPtrArray *w = g_ptr_array_new();
    for (guint i = 0; topo->alias_keys[i]; i++)
        g_ptr_array_add(w, g_strdup_printf("%s does not apply to strategy "
                                           "%s (it keeps no alias table): "
                                           "ignored",
                                           topo->alias_keys[i], strategy));
    g_ptr_array_add(w, NULL);
    return (char **)g_ptr_array_free(w, FALSE);
}

/* The run's strategy, or an error naming the valid ones. */
static const SimStrategyOps *
world_strategy(const SimTopo *topo, const char *name, GError **error)
{
    g_autoptr(GError) local = NULL;
    const SimStrategyOps *ops = sim_strategy_by_name(name, &local);
    if (!ops) {
        g_set_error(error, SIM_WORLD_ERROR, SIM_WORLD_ERROR_STRATEGY, "%s",
                    local->message);
        return NULL;
    }
    SimProtocol proto = topo->transport.protocol;
    if (!sim_strategy_applicable(ops, sim_protocol_kind(proto))) {
        g_set_error(error, SIM_WORLD_ERROR, SIM_WORLD_ERROR_NOT_APPLICABLE,
                    "strategy '%s' cannot run over transport '%s'", name,
                    sim_protocol_name(proto));
        return NULL;
    }
    return ops;
}

/* ---- Building ----------------------------------------------------------- */

/**
 * sim_world_resolver_config:
 * @topo: a topology
 *
 * Returns: the settings of every node's RFC 3263 resolver, from [dns].
 */
SimResolverConfig
sim_world_resolver_config(const SimTopo *topo)
{
    return (SimResolverConfig){
        .ttl = topo->dns.ttl,
        .lookup_delay = topo->dns.lookup_delay,
        .rfc2782_select = topo->dns.srv_select == SIM_SRV_SELECT_RFC2782,
        .blacklist_time = topo->dns.blacklist_time,
    };
}

static SimPathParams
world_path(const SimTopoPath *p)
{
    return (SimPathParams){
        .delay = p->delay,
        .jitter = p->jitter,
        .loss = p->loss,
        .bandwidth_bps = p->bandwidth_bps,
        .mtu = p->mtu,
    };
}

/* Network: sites in topology order, [link] paths, one interface per
 * distinct node address. */
static gboolean
world_build_net(World *w, GError **error)
{
    const SimTopo *topo = w->topo;
    SimPathParams defaults = world_path(&topo->network);
    w->net = sim_net_new(&w->ctx, &defaults);
    for (guint i = 0; i < topo->n_sites; i++)
        g_assert_cmpuint(sim_net_add_site(w->net, topo->sites[i]), ==, i);
    for (guint i = 0; i < topo->n_links; i++) {
        SimPathParams p = world_path(&topo->links[i].path);
        sim_net_set_path(w->net, topo->links[i].site_a,
                         topo->links[i].site_b, &p);
    }
    for (guint i = 0; i < topo->n_nodes; i++) {
        const SimTopoNode *n = &topo->nodes[i];
        if (!n->address || !sim_ip_parse(n->address, &w->nodes[i].ip)) {
            g_set_error(error, SIM_WORLD_ERROR, SIM_WORLD_ERROR_FAILED,
                        "node '%s': no usable address", n->name);
            return FALSE;
        }
        if (sim_net_add_interface(w->net, w->nodes[i].ip, n->site))
            sim_net_name_interface(w->net, w->nodes[i].ip, n->name);
    }
    if (w->opt->pcap || w->opt->pcap_dir) {
        w->trace = sim_pcap_trace_new(w->net, w->opt->pcap, w->opt->pcap_dir,
                                      error);
        if (!w->trace)
            return FALSE;
        for (guint i = 0; i < topo->n_nodes; i++)
            if (!sim_pcap_trace_add_node(w->trace, w->nodes[i].ip,
                                         topo->nodes[i].name, error))
                return FALSE;
        sim_pcap_trace_install(w->trace);
    }
    return TRUE;
}

/* Credentials of node @n: loaded from its files or issued by the PKI. */
static SimPkiCreds *
world_creds(SimPki *pki, const SimTopoNode *n, GError **error)
{
    if (n->cert_file)
        return sim_pki_load(pki, n->cert_file, n->key_file, error);
    return sim_pki_issue(pki, n->name, (const char *const *)n->cert_san,
                         n->cert_expired, n->cert_untrusted, error);
}

/* TRUE if the topology trusts or presents certificates from files. */
static gboolean
world_loads_files(const SimTopo *topo)
{
    if (topo->pki.ca_file)
        return TRUE;
    for (guint i = 0; i < topo->n_nodes; i++)
        if (topo->nodes[i].cert_file)
            return TRUE;
    return FALSE;
}

/* The instant chains are validated at: [pki] verify-time if set; the
 * current time (whole seconds) when certificate files are loaded, since
 * real certificates are valid around now; otherwise the PKI's fixed
 * reference time, so that runs on generated material stay deterministic. */
static void
world_verify_time(const SimTopo *topo, const SimRunOptions *opt,
                  SimPkiParams *params)
{
    if (topo->pki.verify_time_set) {
        params->verify_time_set = TRUE;
        params->verify_time = topo->pki.verify_time;
    } else if (world_loads_files(topo)) {
        params->verify_time_set = TRUE;
        params->verify_time = opt->files_verify_time
                                  ? opt->files_verify_time
                                  : g_get_real_time() / G_USEC_PER_SEC;
    }
}

/* PKI and per-node credentials, for TLS runs only. */
static gboolean
world_build_pki(World *w, GError **error)
{
    const SimTopo *topo = w->topo;
    g_autoptr(GError) local = NULL;
    if (w->kind != SIM_TRANSPORT_TLS && w->kind != SIM_TRANSPORT_TLS_SCTP)
        return TRUE;
    SimPkiParams params = {
        .ca_name = topo->pki.ca_name,
        .ca_file = topo->pki.ca_file,
        .ca_key_file = topo->pki.ca_key_file,
        .cache_dir = w->opt->cache_dir,
    };
    if (!params.cache_dir)
        params.cache_dir = g_getenv("SIPREUSE_CACHE");
    if (!params.cache_dir)
        params.cache_dir = "cache";
    world_verify_time(topo, w->opt, &params);
    if (!sim_key_type_from_name(topo->pki.key, &params.key)) {
        g_set_error(error, SIM_WORLD_ERROR, SIM_WORLD_ERROR_PKI,
                    "[pki] key: unknown key type '%s'", topo->pki.key);
        return FALSE;
    }
    w->pki = sim_pki_new(&params, &local);
    if (!w->pki) {
        /* An unusable cache folder is the machine's fault, not the
         * topology's: a run-time failure (exit 1). */
        g_set_error(error, SIM_WORLD_ERROR,
                    g_error_matches(local, SIM_PKI_ERROR, SIM_PKI_ERROR_CACHE)
                        ? SIM_WORLD_ERROR_FAILED
                        : SIM_WORLD_ERROR_PKI,
                    "[pki]: %s", local->message);
        return FALSE;
    }
    for (guint i = 0; i < topo->n_nodes; i++) {
        const SimTopoNode *n = &topo->nodes[i];
        w->nodes[i].creds = world_creds(w->pki, n, &local);
        if (!w->nodes[i].creds) {
            g_set_error(error, SIM_WORLD_ERROR, SIM_WORLD_ERROR_PKI,
                        "node '%s': %s", n->name, local->message);
            return FALSE;
        }
        if (!n->sni_cert_san)
            continue;
        g_autofree char *alt = g_strconcat(n->name, "-sni", NULL);
        w->nodes[i].sni_creds = sim_pki_issue(
            w->pki, alt, (const char *const *)n->sni_cert_san, FALSE, FALSE,
            &local);
        if (!w->nodes[i].sni_creds) {
            g_set_error(error, SIM_WORLD_ERROR, SIM_WORLD_ERROR_PKI,
                        "node '%s': sni-cert-san: %s", n->name,
                        local->message);
            return FALSE;
        }
        w->nodes[i].sni_list[0] = w->nodes[i].sni_creds;
    }
    return TRUE;
}

/* DNS: an A record per node host, SRV records per domain for the run's
 * transport; a domain without SRV resolves by A to its nodes. */
static void
world_build_dns(World *w)
{
    const SimTopo *topo = w->topo;
    w->dns = sim_dns_new();
    for (guint i = 0; i < topo->n_nodes; i++)
        sim_dns_add_a(w->dns, topo->nodes[i].host, w->nodes[i].ip);
    for (guint d = 0; d < topo->n_domains; d++) {
        const SimTopoDomain *dom = &topo->domains[d];
        for (guint s = 0; s < dom->n_srv; s++)
            sim_dns_add_srv(w->dns, dom->name, w->kind, dom->srv[s].priority,
                            dom->srv[s].weight, (guint16)dom->srv[s].port,
                            dom->srv[s].target);
        if (dom->n_srv)
            continue;
        for (guint i = 0; i < topo->n_nodes; i++)
            for (guint k = 0; k < topo->nodes[i].n_domains; k++)
                if (topo->nodes[i].domains[k] == d)
                    sim_dns_add_a(w->dns, dom->name, w->nodes[i].ip);
    }
}

/* The transport settings of node @i. */
static SimStackConfig
world_stack_config(World *w, guint i)
{
    const SimTopoTransport *t = &w->topo->transport;
    const SimTopoNode *n = &w->topo->nodes[i];
    SimStackConfig cfg = {
        .initial_window = t->initial_window,
        .rto_min = t->rto_min,
        .delayed_ack = t->delayed_ack,
        .connect_timeout = t->connect_timeout,
        .sctp_no_bundle = !t->sctp_bundle,
        .tls_version = t->tls_version,
        .mutual_auth = t->mutual_auth,
        .client_cert = n->client_cert,
        .resumption = t->resumption,
        .creds = w->nodes[i].creds,
        .sni_creds = w->nodes[i].sni_creds ? w->nodes[i].sni_list : NULL,
        .pki = w->pki,
    };
    return cfg;
}

/* Handshake CPU per version and role from the cpu profile for the node's
 * key type; the node's tls-full-cost and tls-resumed-cost replace it for
 * both versions and both roles (one-way full handshakes included), and
 * its per-role keys replace those. */
static void
world_tls_costs(World *w, const SimCpuProfile *profile, guint i,
                SimStackConfig *cfg)
{
    const SimTopoNode *n = &w->topo->nodes[i];
    SimKeyType key = SIM_KEY_ECDSA_P256;
    if (w->nodes[i].creds)
        key = sim_pki_creds_key_type(w->nodes[i].creds);
    else
        sim_key_type_from_name(w->topo->pki.key, &key);
    sim_cpu_profile_tls_costs(profile, key, cfg->tls_cost);
    static const SimTopoCost full[SIM_TLS_N_ROLES] = {
        [SIM_TLS_ROLE_SERVER] = SIM_TOPO_COST_TLS_FULL_SERVER,
        [SIM_TLS_ROLE_CLIENT] = SIM_TOPO_COST_TLS_FULL_CLIENT,
    };
    static const SimTopoCost resumed[SIM_TLS_N_ROLES] = {
        [SIM_TLS_ROLE_SERVER] = SIM_TOPO_COST_TLS_RESUMED_SERVER,
        [SIM_TLS_ROLE_CLIENT] = SIM_TOPO_COST_TLS_RESUMED_CLIENT,
    };
    for (guint v = 0; v < SIM_TLS_N_VERSIONS; v++) {
        for (guint r = 0; r < SIM_TLS_N_ROLES; r++) {
            SimTlsCost *c = &cfg->tls_cost[v][r];
            if (n->cost_set & (1u << full[r]))
                c->full = c->full_oneway = n->cost[full[r]];
            else if (n->tls_full_cost_set)
                c->full = c->full_oneway = n->tls_full_cost;
            if (n->cost_set & (1u << resumed[r]))
                c->resumed = c->resumed_oneway = n->cost[resumed[r]];
            else if (n->tls_resumed_cost_set)
                c->resumed = c->resumed_oneway = n->tls_resumed_cost;
        }
    }
}

/* A cost of node @n: its own key, else @fallback. */
static SimTime
world_cost(const SimTopoNode *n, SimTopoCost k, SimTime fallback)
{
    return n->cost_set & (1u << k) ? n->cost[k] : fallback;
}

static guint64
world_memory(const SimTopoNode *n, SimTopoMemory k, guint64 fallback)
{
    return n->memory_set & (1u << k) ? n->memory[k] : fallback;
}

/* The node's CPU and memory costs: its [node] keys over the profile's
 * (sip-cost over the per-kind figures, a per-kind key over sip-cost). */
static SimProxyCosts
world_proxy_costs(const World *w, const SimTopoNode *n,
                  const SimCpuProfile *profile)
{
    const SimCpuHostCosts *h = &profile->host_costs;
    SimTime inv = n->sip_cost_set ? n->sip_cost : h->sip_invite;
    SimTime req = n->sip_cost_set ? n->sip_cost : h->sip_request;
    SimTime resp = n->sip_cost_set ? n->sip_cost : h->sip_response;
    gboolean tls = sim_strategy_kind_is_tls(w->kind);
    guint64 mem = world_memory(n, SIM_TOPO_MEMORY_SOCKET, h->mem_socket) +
                  world_memory(n, SIM_TOPO_MEMORY_PROXY, h->mem_proxy) +
                  (tls ? world_memory(n, SIM_TOPO_MEMORY_TLS, h->mem_tls)
                       : 0);
    return (SimProxyCosts){
        .invite = world_cost(n, SIM_TOPO_COST_SIP_INVITE, inv),
        .request = world_cost(n, SIM_TOPO_COST_SIP_REQUEST, req),
        .response = world_cost(n, SIM_TOPO_COST_SIP_RESPONSE, resp),
        .framing = world_cost(n, SIM_TOPO_COST_STREAM_FRAMING,
                              h->stream_framing),
        .connect = world_cost(n, SIM_TOPO_COST_CONNECT, h->conn_connect),
        .accept = world_cost(n, SIM_TOPO_COST_ACCEPT, h->conn_accept),
        .close = world_cost(n, SIM_TOPO_COST_CLOSE, h->conn_close),
        .tls_record = world_cost(n, SIM_TOPO_COST_TLS_RECORD, h->tls_record),
        .tls_aead_per_kib = world_cost(n, SIM_TOPO_COST_TLS_AEAD,
                                       h->tls_aead_per_kib),
        .queue_limit = world_cost(n, SIM_TOPO_COST_QUEUE_LIMIT,
                                  h->queue_limit),
        .conn_memory = mem,
    };
}

/* CPU, stack, resolver and proxy of node @i. */
/* Writes each SIP message a proxy hands to a transport into the capture,
 * as its RFC 3261 text between the connection's tuples. */
static void
world_trace(const SimConn *c, const SimSipMsg *m, gpointer data)
{
    World *w = data;
    g_autofree char *text = sim_sip_msg_to_text(m);
    sim_pcap_add(w->pcap, sim_evq_now(w->ctx.evq), &c->local, &c->remote,
                 sim_proxy_stream(c, m), text, strlen(text));
}

static gboolean
world_build_node(World *w, guint i, const SimCpuProfile *profile,
                 GError **error)
{
    const SimTopo *topo = w->topo;
    const SimTopoNode *n = &topo->nodes[i];
    WorldNode *wn = &w->nodes[i];
    const SimTransportOps *ops = sim_transport_by_kind(w->kind);
    if (!ops) {
        g_set_error(error, SIM_WORLD_ERROR, SIM_WORLD_ERROR_FAILED,
                    "transport '%s' is not available",
                    sim_protocol_name(topo->transport.protocol));
        return FALSE;
    }
    const SimStrategyOps *strategy = w->strategy;
    if (n->strategy) {
        strategy = world_strategy(topo, n->strategy, error);
        if (!strategy) {
            g_prefix_error(error, "node '%s': ", n->name);
            return FALSE;
        }
    }
    wn->cfg = n;
    wn->domains = g_new0(const char *, n->n_domains + 1);
    for (guint k = 0; k < n->n_domains; k++)
        wn->domains[k] = topo->domains[n->domains[k]].name;
    wn->cpu = sim_cpu_new(&w->ctx, n->name, n->cores);
    SimStackConfig scfg = world_stack_config(w, i);
    world_tls_costs(w, profile, i, &scfg);
    wn->stack = sim_stack_new(&w->ctx, w->net, n->name, wn->ip, wn->cpu,
                              &scfg);
    SimResolverConfig rcfg = sim_world_resolver_config(topo);
    wn->resolver = sim_resolver_new(&w->ctx, w->dns, n->name, &rcfg);
    SimProxyConfig pcfg = {
        .node = n->name,
        .host = n->host,
        .domains = wn->domains,
        .stack = wn->stack,
        .transport = ops,
        .port = (guint16)n->port,
        .advertise_port = n->advertise_port,
        .resolver = wn->resolver,
        .cpu = wn->cpu,
        .costs = world_proxy_costs(w, n, profile),
        .t1 = topo->transport.t1,
        .sctp_streams = topo->transport.sctp_streams,
        .idle_timeout = topo->transport.idle_timeout,
        .accept_alias = n->accept_alias,
        .alias_insert_check = topo->transport.alias_insert_check,
        .spoof_as = n->spoof_as,
        .strict_3263 = topo->dns.strict_3263,
        .strategy = strategy,
        .source_port_listen = n->source_port_listen,
        .record_route_host = n->record_route_domain && wn->domains[0]
                                 ? wn->domains[0]
                                 : NULL,
        .trace = w->pcap ? world_trace : NULL,
        .trace_data = w,
    };
    wn->proxy = sim_proxy_new(&w->ctx, &pcfg, error);
    if (!wn->proxy) {
        g_prefix_error(error, "node '%s': ", n->name);
        return FALSE;
    }
    wn->ua = sim_ua_new(wn->proxy);
    g_autofree char *busy = g_strdup_printf("node.%s.cpu.busy_cores",
                                            n->name);
    g_autofree char *open = g_strdup_printf("node.%s.connections.open",
                                            n->name);
    wn->busy_cores = sim_stats_gauge(w->ctx.stats, busy);
    wn->conns_open = sim_stats_gauge(w->ctx.stats, open);
    return TRUE;
}

/* Starts every proxy that is up; a node configured down is unreachable. */
static gboolean
world_start_nodes(World *w, GError **error)
{
    for (guint i = 0; i < w->topo->n_nodes; i++) {
        WorldNode *wn = &w->nodes[i];
        if (!wn->cfg->up) {
            sim_net_set_interface_up(w->net, wn->ip, FALSE);
            continue;
        }
        if (!sim_proxy_start(wn->proxy, error)) {
            g_prefix_error(error, "node '%s': ", wn->cfg->name);
            return FALSE;
        }
    }
    return TRUE;
}

/* ---- Traffic and faults ------------------------------------------------- */

static void
world_originate(const SimTrafficCall *call, gpointer user)
{
    World *w = user;
    SimCallParams p = {
        .to_domain = w->topo->domains[call->to].name,
        .hold = call->hold,
        .answer_delay = call->answer_delay,
        .bye_by = call->bye_by_caller ? SIM_BYE_FROM_CALLER
                                      : SIM_BYE_FROM_CALLEE,
        .cancel_after = call->cancel_after,
    };
    sim_ua_originate_call(w->nodes[call->origin].ua, &p);
}

static gboolean
world_node_up(guint node, gpointer user)
{
    World *w = user;
    return sim_fault_node_up(w->fault, node) &&
           sim_proxy_is_up(w->nodes[node].proxy);
}

/* A call with no origin node up: attempted and failed at once. */
static void
world_call_lost(const SimTrafficCall *call, gpointer user)
{
    World *w = user;
    sim_counter_add(w->calls_attempted, 1);
    sim_counter_add(w->calls_failed, 1);
    sim_counter_add(sim_stats_counter(w->ctx.stats, "calls.no_origin"), 1);
}

static const SimTrafficHooks world_traffic_hooks = {
    .originate = world_originate,
    .node_up = world_node_up,
    .lost = world_call_lost,
};

/* Crash: the proxy loses its transactions, calls and aliases, its stack
 * drops every connection without telling peers and its queued CPU work is
 * lost (sim_proxy_crash does all three); the interface drops every
 * packet until the node returns. */
static void
world_node_down(guint node, gpointer user)
{
    World *w = user;
    WorldNode *wn = &w->nodes[node];
    sim_proxy_crash(wn->proxy);
    sim_net_set_interface_up(w->net, wn->ip, FALSE);
    sim_counter_add(sim_stats_counter(w->ctx.stats, "faults.down"), 1);
}

static void
world_node_up_again(guint node, gpointer user)
{
    World *w = user;
    WorldNode *wn = &w->nodes[node];
    sim_net_set_interface_up(w->net, wn->ip, TRUE);
    sim_proxy_restart(wn->proxy);
    sim_counter_add(sim_stats_counter(w->ctx.stats, "faults.up"), 1);
}

static const SimFaultHooks world_fault_hooks = {
    .down = world_node_down,
    .up = world_node_up_again,
};

/* ---- Sampling ----------------------------------------------------------- */

/**
 * sim_world_sample_interval:
 * @duration: a run's simulated duration
 *
 * The interval of a run's time series: 1 s, or for runs longer than
 * 10,000 s the shortest 1, 2 or 5 times a power of ten seconds that keeps
 * the series at 10,000 intervals at most, so that long runs cost neither
 * memory nor huge timeseries.tsv files.
 *
 * Returns: the interval.
 */
SimTime
sim_world_sample_interval(SimTime duration)
{
    static const guint steps[] = { 1, 2, 5 };
    SimTime want = duration / WORLD_MAX_SAMPLES +
                   (duration % WORLD_MAX_SAMPLES != 0);
    for (SimTime decade = WORLD_SAMPLE_INTERVAL;; decade *= 10)
        for (guint i = 0; i < G_N_ELEMENTS(steps); i++)
            if (steps[i] * decade >= want)
                return steps[i] * decade;
}

/* Records one SimSample at now: open connections and calls in progress at
 * that instant (CPU use is filled in after the run, from the series). */
static void
world_sample(SimEvq *q, gpointer data)
{
    World *w = data;
    SimTime now = sim_evq_now(q);
    SimSample s = {
        .t = now,
        .open_connections = (guint64)MAX(sim_gauge_level(w->conns_open), 0),
        .calls_in_progress =
            (guint64)MAX(sim_gauge_level(w->calls_in_progress), 0),
    };
    s.open_connections_max = s.open_connections;
    s.open_connections_mean = (double)s.open_connections;
    g_array_append_val(w->samples, s);
    if (now + w->sample_interval <= w->topo->simulation.duration)
        sim_evq_at(q, now + w->sample_interval, world_sample, w, NULL);
}

/* CPU use of each sample: the busy fraction of all cores over the
 * interval that ends at the sample (series entry k - 1 for sample k); and
 * the highest and the mean number of open connections in that interval. */
static void
world_fill_sample_cpu(World *w)
{
    for (guint k = 1; k < w->samples->len; k++) {
        SimSample *x = &g_array_index(w->samples, SimSample, k);
        if (k - 1 >= sim_gauge_n_samples(w->conns_open))
            continue;
        x->open_connections_max = (guint64)MAX(
            (gint64)x->open_connections,
            sim_gauge_sample_max(w->conns_open, k - 1));
        x->open_connections_mean =
            MAX(sim_gauge_sample_mean(w->conns_open, k - 1), 0.0);
    }
    double cores = 0;
    for (guint i = 0; i < w->topo->n_nodes; i++)
        cores += sim_cpu_cores(w->nodes[i].cpu);
    for (guint k = 1; k < w->samples->len && cores > 0; k++) {
        double busy = 0;
        for (guint i = 0; i < w->topo->n_nodes; i++) {
            SimGauge *g = w->nodes[i].busy_cores;
            if (k - 1 < sim_gauge_n_samples(g))
                busy += sim_gauge_sample_mean(g, k - 1);
        }
        g_array_index(w->samples, SimSample, k).cpu_util =
            CLAMP(busy / cores, 0.0, 1.0);
    }
}

static void
world_begin_window(SimEvq *q, gpointer data)
{
    World *w = data;
    sim_stats_begin_window(w->ctx.stats, sim_evq_now(q));
}

/* ---- Results ------------------------------------------------------------ */

static guint64
world_counter(World *w, const char *name)
{
    return sim_counter_window(sim_stats_counter(w->ctx.stats, name));
}

static guint64
world_counter_run(World *w, const char *name)
{
    return sim_stats_counter(w->ctx.stats, name)->value;
}

static guint64
world_node_counter(World *w, const char *node, const char *stat)
{
    g_autofree char *name = g_strdup_printf("node.%s.%s", node, stat);
    return world_counter(w, name);
}

/* Transport handshakes per connection set up over @kind: the TCP or SCTP
 * handshake, plus the TLS handshake (full or resumed) over it; none over
 * UDP. */
static guint64
world_handshakes_per_conn(SimTransportKind kind)
{
    switch (kind) {
    case SIM_TRANSPORT_UDP:
        return 0;
    case SIM_TRANSPORT_TLS:
    case SIM_TRANSPORT_TLS_SCTP:
        return 2;
    default:
        return 1;
    }
}

/* Per-node rows; also the CPU and connection maxima over nodes. */
/* The law figures of node @i (calls as their origin, SIP messages it
 * sent), added into the run's too. */
static void
world_fill_node_laws(World *w, guint i, SimNodeResult *nr, SimRunResult *r)
{
    WorldNode *wn = &w->nodes[i];
    const char *name = w->topo->nodes[i].name;
    nr->calls_attempted = nr->calls_originated;
    nr->calls_completed = world_node_counter(w, name, "calls.completed");
    nr->calls_failed = world_node_counter(w, name, "calls.failed");
    nr->calls_cancelled = world_node_counter(w, name, "calls.cancelled");
    nr->calls_unfinished = sim_ua_calls_unfinished(wn->ua);
    r->calls_unfinished += nr->calls_unfinished;
    const SimMsgAcct *a = sim_proxy_acct(wn->proxy);
    nr->sip_sent = a->sent;
    nr->sip_delivered = a->delivered;
    nr->sip_dropped = sim_msg_acct_dropped(a);
    nr->sip_in_flight_end = sim_msg_acct_in_flight(a);
    r->sip_sent += nr->sip_sent;
    r->sip_delivered += nr->sip_delivered;
    r->sip_dropped += nr->sip_dropped;
    r->sip_in_flight_end += nr->sip_in_flight_end;
}

/* sip.dropped.<reason>, summed over the nodes (every reason listed, so a
 * reader sees which were possible). */
static void
world_fill_drops(World *w, SimRunResult *r)
{
    for (guint k = 0; k < SIM_DROP_N_REASONS; k++) {
        guint64 n = 0;
        for (guint i = 0; i < w->topo->n_nodes; i++)
            n += sim_proxy_acct(w->nodes[i].proxy)->dropped[k];
        g_autofree char *name = g_strdup_printf("sip.dropped.%s",
                                                sim_drop_reason_name(k));
        sim_run_result_add_extra_count(r, name, n);
    }
    guint64 dup = 0;
    for (guint i = 0; i < w->topo->n_nodes; i++)
        dup += sim_proxy_acct(w->nodes[i].proxy)->duplicates;
    sim_run_result_add_extra_count(r, "sip.duplicates", dup);
}

static void
world_fill_nodes(World *w, SimRunResult *r)
{
    const SimTopo *topo = w->topo;
    r->n_nodes = topo->n_nodes;
    r->nodes = g_new0(SimNodeResult, MAX(topo->n_nodes, 1));
    for (guint i = 0; i < topo->n_nodes; i++) {
        WorldNode *wn = &w->nodes[i];
        SimNodeResult *nr = &r->nodes[i];
        const char *name = topo->nodes[i].name;
        nr->node = g_strdup(name);
        nr->calls_originated = world_node_counter(w, name,
                                                  "calls.originated");
        nr->calls_received = world_node_counter(w, name, "calls.received");
        world_fill_node_laws(w, i, nr, r);
        nr->requests_received = world_node_counter(w, name,
                                                   "requests.received");
        nr->responses_received = world_node_counter(w, name,
                                                    "responses.received");
        /* The proxy counts the connections that came up at the node, as
         * opener or acceptor ("node.<name>.handshakes"); every one of the
         * run's connections uses the run's transport. */
        nr->handshakes = world_handshakes_per_conn(w->kind) *
                         world_node_counter(w, name, "handshakes");
        nr->connections_peak = (guint64)MAX(sim_gauge_peak(wn->conns_open), 0);
        nr->cpu_util = sim_gauge_mean(wn->busy_cores) / sim_cpu_cores(wn->cpu);
        g_autofree char *mem = g_strdup_printf("node.%s.memory.conn_bytes",
                                               name);
        nr->memory_conn_bytes_peak = (guint64)MAX(
            sim_gauge_peak(sim_stats_gauge(w->ctx.stats, mem)), 0);
        g_autofree char *nmem = g_strdup_printf("node.%s.memory.node_bytes",
                                                name);
        nr->memory_node_bytes_peak = (guint64)MAX(
            sim_gauge_peak(sim_stats_gauge(w->ctx.stats, nmem)), 0);
        nr->calls_rejected = world_node_counter(w, name, "calls.rejected");
        gint farm = sim_topo_srv_share(topo, i, &nr->srv_share);
        if (farm >= 0)
            nr->srv_domain = g_strdup(topo->domains[farm].name);
        r->cpu_util_max = MAX(r->cpu_util_max, nr->cpu_util);
        r->connections_per_node_peak_max =
            MAX(r->connections_per_node_peak_max, nr->connections_peak);
        g_autofree char *crypto = g_strdup_printf("node.%s.cpu.crypto_ns",
                                                  name);
        r->cpu_crypto_s += world_counter(w, crypto) / 1e9;
    }
}

static void
world_gstring_free(gpointer s)
{
    g_string_free(s, TRUE);
}

/* Address to the names of the nodes there, "a|b" if several share it
 * (topology order): built once, so naming every pair's peer is O(pairs +
 * nodes) rather than a scan of the nodes per pair. */
static GHashTable *
world_peer_names(World *w)
{
    GHashTable *t = g_hash_table_new_full(g_direct_hash, g_direct_equal,
                                          NULL, world_gstring_free);
    for (guint i = 0; i < w->topo->n_nodes; i++) {
        gpointer key = GUINT_TO_POINTER(w->nodes[i].ip);
        GString *s = g_hash_table_lookup(t, key);
        if (!s)
            g_hash_table_insert(t, key, s = g_string_new(NULL));
        g_string_append_printf(s, "%s%s", s->len ? "|" : "",
                               w->topo->nodes[i].name);
    }
    return t;
}

/* The nodes at @ip per @names (world_peer_names), "-" if none. */
static char *
world_peer_name(GHashTable *names, SimIp ip)
{
    GString *s = g_hash_table_lookup(names, GUINT_TO_POINTER(ip));
    return g_strdup(s ? s->str : "-");
}

/* The index of the first of the @n sorted @names not before @key. */
static guint
world_lower_bound(char *const *names, guint n, const char *key)
{
    guint lo = 0, hi = n;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (strcmp(names[mid], key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static gint
world_pair_cmp(gconstpointer a, gconstpointer b, gpointer data)
{
    const SimPairResult *x = a, *y = b;
    SimIp ix = 0, iy = 0;
    gint c = strcmp(x->peer, y->peer);
    if (c)
        return c;
    sim_ip_parse(x->peer_ip, &ix);
    sim_ip_parse(y->peer_ip, &iy);
    return ix < iy ? -1 : ix > iy;
}

/* pairs.tsv: the proxies' per-peer counters
 * "node.<name>.peer.<ip>.sip.connections.opened", with the address mapped
 * to node names; nodes in topology order, peers sorted.  The counter names
 * are listed and sorted once; each node's are the run of them that starts
 * with its prefix, found by binary search, so collecting is O(counters
 * log counters + nodes log counters) whatever the number of nodes. */
static void
world_fill_pairs(World *w, SimRunResult *r)
{
    static const char suffix[] = ".sip.connections.opened";
    GArray *pairs = g_array_new(FALSE, TRUE, sizeof(SimPairResult));
    g_auto(GStrv) names = sim_stats_names(w->ctx.stats, SIM_STAT_COUNTER,
                                          "node.");
    guint n_names = g_strv_length(names);
    GHashTable *peer_names = NULL;
    for (guint i = 0; i < w->topo->n_nodes; i++) {
        const char *node = w->topo->nodes[i].name;
        g_autofree char *prefix = g_strdup_printf("node.%s.peer.", node);
        guint first = pairs->len;
        for (guint k = world_lower_bound(names, n_names, prefix);
             k < n_names && g_str_has_prefix(names[k], prefix); k++) {
            if (!g_str_has_suffix(names[k], suffix))
                continue;
            SimCounter *c = sim_stats_lookup(w->ctx.stats, SIM_STAT_COUNTER,
                                             names[k]);
            const char *ip = names[k] + strlen(prefix);
            SimPairResult pr = {
                .node = g_strdup(node),
                .peer_ip = g_strndup(ip, strlen(ip) - strlen(suffix)),
                .connections_opened = sim_counter_window(c),
                .connections_opened_run = c->value,
            };
            SimIp addr = 0;
            if (!peer_names)
                peer_names = world_peer_names(w);
            pr.peer = sim_ip_parse(pr.peer_ip, &addr)
                          ? world_peer_name(peer_names, addr)
                          : g_strdup("-");
            g_array_append_val(pairs, pr);
        }
        if (pairs->len > first)
            g_qsort_with_data(&g_array_index(pairs, SimPairResult, first),
                              (gint)(pairs->len - first),
                              sizeof(SimPairResult), world_pair_cmp, NULL);
    }
    if (peer_names)
        g_hash_table_unref(peer_names);
    r->n_pairs = pairs->len;
    r->pairs = (SimPairResult *)g_array_free(pairs, FALSE);
}

static void
world_fill_latency(World *w, SimRunResult *r)
{
    SimHistogram *h = sim_stats_histogram(w->ctx.stats, "latency.setup");
    /* No completed call, no latency: null, never 0. */
    gboolean none = sim_histogram_count(h) == 0;
    r->latency_setup_ms_mean = none ? NAN : sim_histogram_mean(h) / 1e6;
    r->latency_setup_ms_p50 =
        none ? NAN : sim_histogram_quantile(h, 0.50) / 1e6;
    r->latency_setup_ms_p95 =
        none ? NAN : sim_histogram_quantile(h, 0.95) / 1e6;
    r->latency_setup_ms_p99 =
        none ? NAN : sim_histogram_quantile(h, 0.99) / 1e6;
    r->latency_setup_ms_max = none ? NAN : sim_histogram_max(h) / 1e6;
    r->latency_min_ns = none ? 0 : sim_histogram_min(h);
    r->latency_max_ns = none ? 0 : sim_histogram_max(h);
    GArray *b = g_array_new(FALSE, FALSE, sizeof(SimLatencyBucket));
    SimLatencyBucket lb;
    guint iter = 0;
    while (sim_histogram_next_bucket(h, &iter, &lb.lo, &lb.hi, &lb.count))
        g_array_append_val(b, lb);
    r->n_latency = b->len;
    r->latency = (SimLatencyBucket *)g_array_free(b, FALSE);
}

/* Names the fixed fields already report; the rest become extras. */
static const char *const world_fixed[] = {
    "alias.added", "alias.hits", "alias.rejected", "bytes.wire",
    "calls.attempted", "calls.cancelled", "calls.completed", "calls.failed",
    "connections.closed", "connections.opened", "handshakes.failed",
    "handshakes.sctp", "handshakes.tcp", "handshakes.tls_full",
    "handshakes.tls_resumed", "requests.hijacked", NULL,
};

/* Every other run-wide counter (not node.*), window values, sorted. */
static void
world_fill_extras(World *w, SimRunResult *r)
{
    g_auto(GStrv) names = sim_stats_names(w->ctx.stats, SIM_STAT_COUNTER,
                                          NULL);
    for (guint i = 0; names[i]; i++) {
        if (g_str_has_prefix(names[i], "node.") ||
            g_strv_contains(world_fixed, names[i]))
            continue;
        SimCounter *c = sim_stats_lookup(w->ctx.stats, SIM_STAT_COUNTER,
                                         names[i]);
        sim_run_result_add_extra_count(r, names[i], sim_counter_window(c));
    }
}

static void
world_fill(World *w, SimRunResult *r)
{
    r->calls_attempted = world_counter(w, "calls.attempted");
    r->calls_completed = world_counter(w, "calls.completed");
    r->calls_failed = world_counter(w, "calls.failed");
    r->calls_cancelled = world_counter(w, "calls.cancelled");
    r->calls_rejected = world_counter(w, "calls.rejected");
    r->memory_node_bytes_peak = (guint64)MAX(
        sim_gauge_peak(sim_stats_gauge(w->ctx.stats, "memory.node_bytes")),
        0);
    r->connections_opened = world_counter(w, "connections.opened");
    r->connections_closed = world_counter(w, "connections.closed");
    r->connections_opened_run = world_counter_run(w, "connections.opened");
    r->connections_closed_run = world_counter_run(w, "connections.closed");
    r->connections_open_end = (guint64)MAX(
        sim_gauge_level(w->conns_open), 0);
    r->connections_peak = (guint64)MAX(sim_gauge_peak(w->conns_open), 0);
    r->connections_mean = sim_gauge_mean(w->conns_open);
    r->handshakes_tcp = world_counter(w, "handshakes.tcp");
    r->handshakes_sctp = world_counter(w, "handshakes.sctp");
    r->handshakes_tls_full = world_counter(w, "handshakes.tls_full");
    r->handshakes_tls_resumed = world_counter(w, "handshakes.tls_resumed");
    r->handshakes_failed = world_counter(w, "handshakes.failed");
    r->alias_added = world_counter(w, "alias.added");
    r->alias_rejected = world_counter(w, "alias.rejected");
    r->alias_hits = world_counter(w, "alias.hits");
    r->requests_hijacked = world_counter(w, "requests.hijacked");
    r->bytes_wire = world_counter(w, "bytes.wire");
    r->memory_conn_bytes_peak = (guint64)MAX(
        sim_gauge_peak(sim_stats_gauge(w->ctx.stats, "memory.conn_bytes")), 0);
    world_fill_nodes(w, r);
    world_fill_pairs(w, r);
    world_fill_latency(w, r);
    sim_run_result_derive(r);
    world_fill_extras(w, r);
    world_fill_drops(w, r);
    world_fill_sample_cpu(w);
    r->sample_interval = w->sample_interval;
    r->n_samples = w->samples->len;
    r->samples = (SimSample *)g_array_free(g_steal_pointer(&w->samples),
                                           FALSE);
}

/* ---- Life cycle --------------------------------------------------------- */

static void
world_free(World *w)
{
    const SimTopo *topo = w->topo;
    /* Proxies cancel their call timers when they drop their calls, which
     * needs the queue; then pending events, which reference the models,
     * go before the models do. */
    for (guint i = 0; w->nodes && i < topo->n_nodes; i++)
        if (w->nodes[i].proxy)
            sim_proxy_crash(w->nodes[i].proxy);
    g_clear_pointer(&w->ctx.evq, sim_evq_free);
    for (guint i = 0; w->traffic && i < topo->n_traffic; i++)
        sim_traffic_free(w->traffic[i]);
    g_free(w->traffic);
    g_free(w->traffic_cfg);
    g_free(w->traffic_origins);
    sim_fault_free(w->fault);
    g_free(w->fault_specs);
    g_free(w->node_up);
    for (guint i = 0; w->nodes && i < topo->n_nodes; i++) {
        WorldNode *wn = &w->nodes[i];
        sim_ua_free(wn->ua);
        sim_proxy_free(wn->proxy);
        sim_resolver_free(wn->resolver);
        sim_stack_free(wn->stack);
        sim_cpu_free(wn->cpu);
        sim_pki_creds_free(wn->creds);
        sim_pki_creds_free(wn->sni_creds);
        g_free(wn->domains);
    }
    g_free(w->nodes);
    sim_dns_free(w->dns);
    sim_pki_free(w->pki);
    sim_net_free(w->net);
    sim_stats_free(w->ctx.stats);
    sim_pcap_free(w->pcap);
    sim_pcap_trace_free(w->trace);
    if (w->samples)
        g_array_unref(w->samples);
    g_free(w);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(World, world_free)

static World *
world_new(const SimTopo *topo, const SimRunOptions *opt)
{
    World *w = g_new0(World, 1);
    w->topo = topo;
    w->opt = opt;
    w->kind = sim_protocol_kind(topo->transport.protocol);
    w->ctx.evq = sim_evq_new();
    w->ctx.seed = opt->seed_set ? opt->seed : topo->simulation.seed;
    w->ctx.stats = sim_stats_new();
    w->sample_interval = sim_world_sample_interval(topo->simulation.duration);
    sim_stats_set_sample_interval(w->ctx.stats, w->sample_interval);
    w->nodes = g_new0(WorldNode, MAX(topo->n_nodes, 1));
    w->samples = g_array_new(FALSE, FALSE, sizeof(SimSample));
    w->conns_open = sim_stats_gauge(w->ctx.stats, "connections.open");
    w->calls_in_progress = sim_stats_gauge(w->ctx.stats, "calls.in_progress");
    w->calls_attempted = sim_stats_counter(w->ctx.stats, "calls.attempted");
    w->calls_failed = sim_stats_counter(w->ctx.stats, "calls.failed");
    if (opt->pcap_sip)
        w->pcap = sim_pcap_new();
    return w;
}

/* The nodes serving domain @d, topology order, into @out; returns how
 * many. */
static guint
world_domain_nodes(const SimTopo *topo, guint d, guint *out)
{
    guint n = 0;
    for (guint i = 0; i < topo->n_nodes; i++)
        for (guint k = 0; k < topo->nodes[i].n_domains; k++)
            if (topo->nodes[i].domains[k] == d) {
                out[n++] = i;
                break;
            }
    return n;
}

/* The fault injector and the call generators, from [fault] and
 * [traffic]: each model gets its own config struct. */
static void
world_build_generators(World *w)
{
    const SimTopo *topo = w->topo;
    guint n_nodes = topo->n_nodes;
    w->node_up = g_new0(gboolean, MAX(n_nodes, 1));
    for (guint i = 0; i < n_nodes; i++)
        w->node_up[i] = topo->nodes[i].up;
    w->fault_specs = g_new0(SimFaultSpec, MAX(topo->n_faults, 1));
    for (guint i = 0; i < topo->n_faults; i++)
        w->fault_specs[i] = (SimFaultSpec){ .node = topo->faults[i].node,
                                            .at = topo->faults[i].at,
                                            .duration =
                                                topo->faults[i].duration };
    w->fault_cfg = (SimFaultConfig){ .n_nodes = n_nodes,
                                     .node_up = w->node_up,
                                     .faults = w->fault_specs,
                                     .n_faults = topo->n_faults };
    w->fault = sim_fault_new(&w->ctx, &w->fault_cfg, &world_fault_hooks, w);
    guint n_traffic = topo->n_traffic;
    w->traffic = g_new0(SimTraffic *, MAX(n_traffic, 1));
    w->traffic_cfg = g_new0(SimTrafficConfig, MAX(n_traffic, 1));
    w->traffic_origins = g_new0(guint, MAX(n_traffic * n_nodes, 1));
    for (guint i = 0; i < n_traffic; i++) {
        const SimTopoTraffic *tt = &topo->traffic[i];
        guint *origins = w->traffic_origins + (gsize)i * n_nodes;
        w->traffic_cfg[i] = (SimTrafficConfig){
            .name = tt->name, .from = tt->from, .to = tt->to,
            .rate = tt->rate, .hold = tt->hold,
            .answer_delay = tt->answer_delay, .bye_by = tt->bye_by,
            .cancel_after = tt->cancel_after, .cancel = tt->cancel,
            .start = tt->start, .stop = tt->stop, .count = tt->count,
            .origins = origins,
            .n_origins = tt->via != G_MAXUINT
                             ? (origins[0] = tt->via, 1)
                             : world_domain_nodes(topo, tt->from, origins),
        };
        w->traffic[i] = sim_traffic_new(&w->ctx, &w->traffic_cfg[i],
                                        &world_traffic_hooks, w);
    }
}

/* Builds every model of the run. */
static gboolean
world_build(World *w, const char *strategy, GError **error)
{
    const SimTopo *topo = w->topo;
    w->strategy = world_strategy(topo, strategy, error);
    if (!w->strategy || !world_build_net(w, error) ||
        !world_build_pki(w, error))
        return FALSE;
    world_build_dns(w);
    g_auto(SimCpuProfile) profile = { 0 };
    g_autoptr(GError) local = NULL;
    sim_cpu_profile_init_defaults(&profile);
    const char *prof = topo->simulation.cpu_profile;
    if (prof && sim_cpu_profile_is_builtin(prof)) {
        sim_cpu_profile_init_named(&profile, prof);
    } else if (prof && !sim_cpu_profile_load(&profile, prof, &local)) {
        g_set_error(error, SIM_WORLD_ERROR, SIM_WORLD_ERROR_PKI,
                    "[simulation] cpu-profile: %s", local->message);
        return FALSE;
    }
    for (guint i = 0; i < topo->n_nodes; i++)
        if (!world_build_node(w, i, &profile, error))
            return FALSE;
    world_build_generators(w);
    return world_start_nodes(w, error);
}

/* Runs the event loop to the end; event times never decrease. */
static void
world_loop(World *w)
{
    SimEvq *q = w->ctx.evq;
    SimTime end = w->topo->simulation.duration;
    SimTime warmup = MIN(w->topo->simulation.warmup, end);
    if (warmup > 0)
        sim_evq_at(q, warmup, world_begin_window, w, NULL);
    sim_evq_at(q, 0, world_sample, w, NULL);
    sim_fault_start(w->fault);
    for (guint i = 0; i < w->topo->n_traffic; i++)
        sim_traffic_start(w->traffic[i], end);
    /* With a progress callback the run goes in slices: every event at or
     * before a slice's end runs before the next slice, so the order is
     * the same as in one call. */
    if (w->opt->progress) {
        SimTime step = MAX(end / 100, 1);
        for (SimTime t = step; t < end; t += step) {
            sim_evq_run_until(q, t);
            w->opt->progress(t, end, w->opt->progress_data);
        }
    }
    sim_evq_run_until(q, end);
    sim_stats_finish(w->ctx.stats, end);
}

/**
 * sim_world_run:
 * @topo: a loaded topology
 * @opt: (nullable): the CLI's additions (strategy, seed, PKI cache)
 * @error: return location for a %SIM_WORLD_ERROR
 *
 * Builds the topology's world, simulates it for its duration and reports.
 * Statistics cover the window after warm-up; connection totals are also
 * given for the whole run.
 *
 * Returns: (transfer full) (nullable): the run's result, or %NULL with
 *   @error set (unknown or inapplicable strategy, credentials that cannot
 *   be made, a node that cannot listen).
 */
SimRunResult *
sim_world_run(const SimTopo *topo, const SimRunOptions *opt, GError **error)
{
    g_return_val_if_fail(topo != NULL, NULL);
    static const SimRunOptions no_options = { 0 };
    if (!opt)
        opt = &no_options;
    const char *strategy = opt->strategy ? opt->strategy
                                         : topo->simulation.strategy;
    g_autoptr(World) w = world_new(topo, opt);
    if (!world_build(w, strategy, error))
        return NULL;
    gint64 wall0 = g_get_monotonic_time();
    world_loop(w);
    double wall = (double)(g_get_monotonic_time() - wall0) / 1e6;
    if (w->pcap && !sim_pcap_write(w->pcap, opt->pcap_sip, error))
        return NULL;
    if (w->trace) {
        /* What teardown sends is not part of the run. */
        sim_net_set_capture(w->net, NULL);
        if (!sim_pcap_trace_write(w->trace, error))
            return NULL;
    }

    g_autoptr(SimRunResult) r = sim_run_result_new();
    r->topology = g_strdup(topo->name);
    r->strategy = g_strdup(strategy);
    r->seed = w->ctx.seed;
    r->protocol = g_strdup(sim_protocol_name(topo->transport.protocol));
    r->overrides = opt->overrides ? g_strdupv((char **)opt->overrides)
                                  : g_new0(char *, 1);
    r->duration = topo->simulation.duration;
    r->warmup = MIN(topo->simulation.warmup, r->duration);
    if (w->pki) {
        g_autoptr(GDateTime) vt =
            g_date_time_new_from_unix_utc(sim_pki_verify_time(w->pki));
        r->pki_verify_time = g_date_time_format(vt, "%Y-%m-%dT%H:%M:%SZ");
    }
    g_auto(GStrv) own = sim_world_strategy_warnings(topo, strategy);
    g_autoptr(GStrvBuilder) wb = g_strv_builder_new();
    if (topo->warnings)
        g_strv_builder_addv(wb, (const char **)topo->warnings);
    if (own)
        g_strv_builder_addv(wb, (const char **)own);
    r->warnings = g_strv_builder_end(wb);
    if (!r->warnings[0])
        g_clear_pointer(&r->warnings, g_strfreev);
    world_fill(w, r);
    r->sim_events = sim_evq_executed(w->ctx.evq);
    r->sim_wall_s = wall;
    r->sim_events_per_s = wall > 0 ? r->sim_events / wall : 0;
    /* A broken conservation law is a model bug: the run fails (exit 1)
     * instead of reporting figures that do not add up. */
    if (!sim_laws_check(r, error))
        return NULL;
    return g_steal_pointer(&r);
}
