/* SPDX-License-Identifier: MIT */
/*
 * The DNS model: A records (several addresses per host, handed out round
 * robin: each resolver rotates a host's list by one per new lookup, RFC
 * 1794; an in-dialog request's lookup does not rotate and puts the
 * dialog's peer first among the host's addresses, so it follows the
 * dialog's remote target and route set to the node it was set up with,
 * RFC 3261 12.2.1.1) and SRV
 * records per domain and transport, resolved as RFC 3263 section 4.2 says:
 * an explicit port gives an A lookup with that port; otherwise SRV for the
 * transport, sorted by priority and, within a priority, by a weighted draw
 * redone on every resolution (R23; SPEC D4: weight/sum by default, the
 * literal RFC 2782 draw as a knob); no SRV gives A records with the default
 * port.  One SRV answer carries its targets' A records (the additional
 * section), so a miss costs one lookup_delay.  The TTL cache holds the fact
 * that records were fetched, never an ordering; records are immutable
 * during a run.  Targets that failed are tried last for blacklist_time.
 * Each resolver works out once, per (name, port, transport), which records
 * and cache keys a resolution involves (a memo redone whenever records are
 * added), so a resolution formats and lower-cases nothing.
 */
#define G_LOG_DOMAIN "sim-dns"

#include "models/dns.h"

#include <string.h>

/* One SRV record. */
typedef struct {
    guint priority;
    guint weight;
    guint16 port;
    /* Target host name, as given. */
    char *target;
} DnsSrv;

/* One host's A records. */
typedef struct _DnsHost {
    /* The host name as first given (answers borrow it). */
    char *name;
    /* Its addresses in the order given. */
    GArray *ips;
} DnsHost;

struct _SimDns {
    /* Lower-case host -> DnsHost. */
    GHashTable *hosts;
    /* "transport\tlower-case domain" -> GArray of DnsSrv. */
    GHashTable *srv;
    /* Domain names as first given, for answers (lower-case -> name). */
    GHashTable *names;
    /* Bumped by every record added: resolvers' memos of older
     * generations are stale. */
    guint generation;
};

/* The freshness of one cache key ("A\thost" or "S\ttransport\tdomain"),
 * shared by every resolution that checks that key. */
typedef struct {
    /* Expiry + 1 of the records behind the key; 0: never fetched. */
    SimTime until1;
} DnsFresh;

/* What resolving one (name, port, transport) involves, worked out once
 * per record generation. */
typedef struct _DnsQuery DnsQuery;
struct _DnsQuery {
    /* The name as asked (answers copy it). */
    char *name;
    /* The explicit port (0: none) and the transport. */
    guint16 port;
    SimTransportKind transport;
    /* The SimDns generation the fields below reflect. */
    guint generation;
    /* (nullable): the name's SRV records, borrowed from the SimDns. */
    GArray *srv;
    /* Per SRV record, in record order, its target's A records (or NULL). */
    const struct _DnsHost **srv_hosts;
    /* (nullable): the name's own A records (explicit port, or no SRV). */
    const struct _DnsHost *host;
    /* The cache keys' entries (DnsFresh *, owned by the cache), in the
     * order the keys are checked. */
    GPtrArray *fresh;
    /* TRUE if the name is a numeric IPv4 address (RFC 3263 4.2: no DNS
     * lookup; the URI port or the transport's default), and that address. */
    gboolean literal;
    SimIp literal_ip;
    /* The next query of the same name (other port or transport). */
    DnsQuery *next;
};

/* A blacklisted tuple: for every name (a transport failure or timeout),
 * or for one name only (it failed to authenticate as that name). */
typedef struct {
    SimTuple tuple;
    SimTime until;
    /* (nullable): the one name; owned. */
    char *name;
} DnsBlack;

static void
dns_black_clear(gpointer p)
{
    g_free(((DnsBlack *)p)->name);
}

/* A resolution waiting for its lookup delay or its zero-delay hit event. */
typedef struct {
    SimResolver *res;
    /* What it resolves (owned by the resolver's memo). */
    DnsQuery *query;
    SimDnsAnswerFunc func;
    gpointer user;
    /* An in-dialog look-up: no rotation, the dialog's peer first. */
    gboolean pinned;
    SimIp peer;
    /* Its link in res->pending. */
    GList link;
    SimEventId event;
} DnsPending;

struct _SimResolver {
    SimCtx *ctx;
    /* (transfer none): the run's records; outlives the resolver. */
    SimDns *dns;
    char *node;
    SimResolverConfig cfg;
    /* Weighted draws (R23). */
    SimRng rng;
    /* Cache key ("A\thost" or "S\ttransport\tdomain") -> DnsFresh. */
    GHashTable *cache;
    /* Name as asked -> its DnsQuery list (the memo). */
    GHashTable *memo;
    /* DnsHost * -> rotation counter of that host in this resolver. */
    GHashTable *rotation;
    /* DnsBlack entries. */
    GArray *blacklist;
    /* DnsPending in request order. */
    GQueue pending;
    /* While an in-dialog answer is built: no rotation, and pin_ip first
     * among a host's addresses. */
    gboolean pin;
    SimIp pin_ip;
    /* "dns.queries" and "dns.cache_hits" (or the local ones). */
    SimCounter *queries, *hits;
    SimCounter own_queries, own_hits;
};

static void
dns_srv_array_free(gpointer p)
{
    GArray *a = p;
    for (guint i = 0; i < a->len; i++)
        g_free(g_array_index(a, DnsSrv, i).target);
    g_array_free(a, TRUE);
}

static void
dns_host_free(gpointer p)
{
    DnsHost *h = p;
    g_free(h->name);
    g_array_free(h->ips, TRUE);
    g_free(h);
}

/**
 * sim_dns_new:
 *
 * Returns: (transfer full): an empty record set.
 */
SimDns *
sim_dns_new(void)
{
    SimDns *dns = g_new0(SimDns, 1);
    dns->hosts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       dns_host_free);
    dns->srv = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                     dns_srv_array_free);
    dns->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       g_free);
    return dns;
}

/**
 * sim_dns_free:
 * @dns: (nullable): records
 *
 * Frees @dns; every resolver using it must be freed first.
 */
void
sim_dns_free(SimDns *dns)
{
    if (!dns)
        return;
    g_hash_table_unref(dns->hosts);
    g_hash_table_unref(dns->srv);
    g_hash_table_unref(dns->names);
    g_free(dns);
}

/**
 * sim_dns_add_a:
 * @dns: records
 * @host: a host name (case-insensitive)
 * @ip: one of its addresses
 *
 * Adds an A record; a host with several addresses is handed out round
 * robin.  Adding the same address twice has no effect.
 */
void
sim_dns_add_a(SimDns *dns, const char *host, SimIp ip)
{
    g_return_if_fail(dns != NULL && host != NULL);
    g_autofree char *key = g_ascii_strdown(host, -1);
    DnsHost *h = g_hash_table_lookup(dns->hosts, key);
    if (!h) {
        h = g_new0(DnsHost, 1);
        h->name = g_strdup(host);
        h->ips = g_array_new(FALSE, FALSE, sizeof(SimIp));
        g_hash_table_insert(dns->hosts, g_steal_pointer(&key), h);
    }
    for (guint i = 0; i < h->ips->len; i++)
        if (g_array_index(h->ips, SimIp, i) == ip)
            return;
    g_array_append_val(h->ips, ip);
    dns->generation++;
}

/**
 * sim_dns_add_srv:
 * @dns: records
 * @domain: the SIP domain (case-insensitive)
 * @transport: the transport the record is for (_sips._tcp for TLS, ...)
 * @priority: lower is tried first
 * @weight: share within the priority
 * @port: the target's port
 * @target: the target host name (an A record name)
 *
 * Adds an SRV record; records keep the order they were added in, which is
 * the fixed arrangement of the rfc2782 draw.
 */
void
sim_dns_add_srv(SimDns *dns, const char *domain, SimTransportKind transport,
                guint priority, guint weight, guint16 port,
                const char *target)
{
    g_return_if_fail(dns != NULL && domain != NULL && target != NULL);
    g_return_if_fail(transport < SIM_TRANSPORT_N);
    g_autofree char *lower = g_ascii_strdown(domain, -1);
    char *key = g_strdup_printf("%d\t%s", transport, lower);
    GArray *a = g_hash_table_lookup(dns->srv, key);
    if (!a) {
        a = g_array_new(FALSE, FALSE, sizeof(DnsSrv));
        g_hash_table_insert(dns->srv, key, a);
    } else {
        g_free(key);
    }
    if (!g_hash_table_contains(dns->names, lower))
        g_hash_table_insert(dns->names, g_strdup(lower), g_strdup(domain));
    DnsSrv s = { priority, weight, port, g_strdup(target) };
    g_array_append_val(a, s);
    dns->generation++;
}

/* ---- Resolver ---------------------------------------------------------- */

static void dns_query_free_list(gpointer head);

/**
 * sim_resolver_new:
 * @ctx: the run
 * @dns: (transfer none): the run's records; must outlive the resolver
 * @node: the owning node's name (names the random stream)
 * @cfg: settings
 *
 * Returns: (transfer full): a resolver with an empty cache.
 */
SimResolver *
sim_resolver_new(SimCtx *ctx, SimDns *dns, const char *node,
                 const SimResolverConfig *cfg)
{
    g_return_val_if_fail(ctx != NULL && dns != NULL && cfg != NULL, NULL);
    SimResolver *res = g_new0(SimResolver, 1);
    res->ctx = ctx;
    res->dns = dns;
    res->node = g_strdup(node ? node : "");
    res->cfg = *cfg;
    sim_ctx_rng_init(ctx, &res->rng, "dns", res->node);
    res->cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       g_free);
    res->memo = g_hash_table_new(g_str_hash, g_str_equal);
    res->rotation = g_hash_table_new(g_direct_hash, NULL);
    res->blacklist = g_array_new(FALSE, FALSE, sizeof(DnsBlack));
    g_array_set_clear_func(res->blacklist, dns_black_clear);
    g_queue_init(&res->pending);
    res->queries = ctx->stats ? sim_stats_counter(ctx->stats, "dns.queries")
                              : &res->own_queries;
    res->hits = ctx->stats ? sim_stats_counter(ctx->stats, "dns.cache_hits")
                           : &res->own_hits;
    return res;
}

/**
 * sim_resolver_free:
 * @res: (nullable): a resolver
 *
 * Frees @res; resolutions still pending are cancelled without calling
 * their callbacks.
 */
void
sim_resolver_free(SimResolver *res)
{
    if (!res)
        return;
    while (!g_queue_is_empty(&res->pending)) {
        DnsPending *pd = g_queue_peek_head(&res->pending);
        /* The destroy notify unlinks and frees it. */
        sim_evq_cancel(res->ctx->evq, pd->event);
    }
    GHashTableIter it;
    gpointer head;
    g_hash_table_iter_init(&it, res->memo);
    while (g_hash_table_iter_next(&it, NULL, &head))
        dns_query_free_list(head);
    g_hash_table_unref(res->memo);
    g_hash_table_unref(res->cache);
    g_hash_table_unref(res->rotation);
    g_array_free(res->blacklist, TRUE);
    g_free(res->node);
    g_free(res);
}

/* TRUE if every key of @q is cached and fresh; otherwise marks them all as
 * fetched now (fresh until now + delay + ttl). */
static gboolean
dns_cache_check(SimResolver *res, const DnsQuery *q)
{
    SimTime now = sim_ctx_now(res->ctx);
    gboolean hit = TRUE;
    for (guint i = 0; i < q->fresh->len; i++) {
        const DnsFresh *f = q->fresh->pdata[i];
        hit &= f->until1 && f->until1 - 1 > now;
    }
    if (hit || res->cfg.ttl == 0)
        return hit;
    SimTime until = now + res->cfg.lookup_delay + res->cfg.ttl;
    for (guint i = 0; i < q->fresh->len; i++)
        ((DnsFresh *)q->fresh->pdata[i])->until1 = until + 1;
    return FALSE;
}

static const DnsHost *
dns_host(const SimDns *dns, const char *name)
{
    g_autofree char *key = g_ascii_strdown(name, -1);
    return g_hash_table_lookup(dns->hosts, key);
}

static GArray *
dns_srv_records(const SimDns *dns, const char *name, SimTransportKind t)
{
    g_autofree char *lower = g_ascii_strdown(name, -1);
    g_autofree char *key = g_strdup_printf("%d\t%s", t, lower);
    return g_hash_table_lookup(dns->srv, key);
}

/* The cache entry of @key (taken), created never fetched. */
static DnsFresh *
dns_fresh(SimResolver *res, char *key)
{
    DnsFresh *f = g_hash_table_lookup(res->cache, key);
    if (f) {
        g_free(key);
        return f;
    }
    f = g_new0(DnsFresh, 1);
    g_hash_table_insert(res->cache, key, f);
    return f;
}

/* Works out @q's records and cache keys from the current records. */
static void
dns_query_fill(SimResolver *res, DnsQuery *q)
{
    const SimDns *dns = res->dns;
    SimTransportKind t = q->transport;
    g_ptr_array_set_size(q->fresh, 0);
    q->generation = dns->generation;
    if (q->literal)
        return;
    g_autofree char *lower = g_ascii_strdown(q->name, -1);
    q->srv = q->port ? NULL : dns_srv_records(dns, q->name, t);
    q->host = dns_host(dns, q->name);
    if (!q->port)
        g_ptr_array_add(q->fresh,
                        dns_fresh(res, g_strdup_printf("S\t%d\t%s", t, lower)));
    if (!q->srv)
        g_ptr_array_add(q->fresh,
                        dns_fresh(res, g_strdup_printf("A\t%s", lower)));
    guint n = q->srv ? q->srv->len : 0;
    q->srv_hosts = g_renew(const DnsHost *, q->srv_hosts, MAX(n, 1));
    for (guint i = 0; i < n; i++) {
        const char *target = g_array_index(q->srv, DnsSrv, i).target;
        g_autofree char *tl = g_ascii_strdown(target, -1);
        g_ptr_array_add(q->fresh,
                        dns_fresh(res, g_strdup_printf("A\t%s", tl)));
        q->srv_hosts[i] = dns_host(dns, target);
    }
}

static void
dns_query_free_list(gpointer head)
{
    for (DnsQuery *q = head, *next; q; q = next) {
        next = q->next;
        g_ptr_array_unref(q->fresh);
        g_free(q->srv_hosts);
        g_free(q->name);
        g_free(q);
    }
}

/* Brings @q up to the current records. */
static inline void
dns_query_refresh(SimResolver *res, DnsQuery *q)
{
    if (q->generation != res->dns->generation)
        dns_query_fill(res, q);
}

/* The memo of (@name, @port, @t), up to date. */
static DnsQuery *
dns_query(SimResolver *res, const char *name, guint16 port,
          SimTransportKind t)
{
    DnsQuery *head = g_hash_table_lookup(res->memo, name);
    for (DnsQuery *q = head; q; q = q->next) {
        if (q->port == port && q->transport == t) {
            dns_query_refresh(res, q);
            return q;
        }
    }
    DnsQuery *q = g_new0(DnsQuery, 1);
    q->name = g_strdup(name);
    q->port = port;
    q->transport = t;
    q->fresh = g_ptr_array_new();
    q->literal = sim_ip_parse(name, &q->literal_ip);
    q->next = head;
    g_hash_table_replace(res->memo, q->name, q);
    dns_query_fill(res, q);
    return q;
}

/* Targets being collected for an answer: on the stack while few. */
typedef struct {
    SimDnsTarget *v;
    guint n;
    guint cap;
    SimDnsTarget small[8];
} DnsOut;

static void
dns_out_push(DnsOut *out, const SimDnsTarget *d)
{
    if (G_UNLIKELY(out->n == out->cap)) {
        guint cap = 2 * out->cap;
        SimDnsTarget *v = g_new(SimDnsTarget, cap);
        memcpy(v, out->v, out->n * sizeof *v);
        if (out->v != out->small)
            g_free(out->v);
        out->v = v;
        out->cap = cap;
    }
    out->v[out->n++] = *d;
}

/* Appends the addresses of @h (nullable), rotated by this resolver's
 * counter, which a new lookup advances (RFC 1794 round robin); an
 * in-dialog one (res->pin) leaves it and puts the dialog's peer first. */
static void
dns_append_a(SimResolver *res, DnsOut *out, const DnsHost *h, guint16 port,
             SimTransportKind t, guint priority, guint weight)
{
    if (!h || h->ips->len == 0)
        return;
    guint rot = GPOINTER_TO_UINT(g_hash_table_lookup(res->rotation, h));
    if (!res->pin)
        g_hash_table_insert(res->rotation, (gpointer)h,
                            GUINT_TO_POINTER(rot + 1));
    guint first = out->n;
    for (guint i = 0; i < h->ips->len; i++) {
        SimDnsTarget d = {
            .tuple = { g_array_index(h->ips, SimIp, (rot + i) % h->ips->len),
                       port, t },
            .host = h->name,
            .priority = priority,
            .weight = weight,
        };
        dns_out_push(out, &d);
    }
    for (guint i = first; res->pin && i < out->n; i++) {
        if (out->v[i].tuple.ip != res->pin_ip)
            continue;
        SimDnsTarget peer = out->v[i];
        memmove(&out->v[first + 1], &out->v[first],
                (i - first) * sizeof peer);
        out->v[first] = peer;
        break;
    }
}

/* Stable sort by priority (insertion sort: record lists are short, and
 * stability keeps file order within a priority). */
static void
dns_sort_priority(SimDnsTarget *r, guint n)
{
    for (guint i = 1; i < n; i++) {
        SimDnsTarget x = r[i];
        guint j = i;
        for (; j > 0 && r[j - 1].priority > x.priority; j--)
            r[j] = r[j - 1];
        r[j] = x;
    }
}

/* SRV records in trying order: by priority, weighted within each.  While
 * they are ordered, each record's index rides in its tuple's ip, to find
 * its target's addresses afterwards. */
static void
dns_order_srv(SimResolver *res, const DnsQuery *q, DnsOut *out)
{
    GArray *srv = q->srv;
    SimDnsTarget small[8];
    g_autofree SimDnsTarget *big = srv->len > G_N_ELEMENTS(small)
                                       ? g_new(SimDnsTarget, srv->len)
                                       : NULL;
    SimDnsTarget *r = big ? big : small;
    for (guint i = 0; i < srv->len; i++) {
        const DnsSrv *s = &g_array_index(srv, DnsSrv, i);
        r[i] = (SimDnsTarget){ .tuple = { i, s->port, q->transport },
                               .host = s->target,
                               .priority = s->priority,
                               .weight = s->weight };
    }
    dns_sort_priority(r, srv->len);
    for (guint i = 0, j; i < srv->len; i = j) {
        for (j = i + 1; j < srv->len && r[j].priority == r[i].priority; j++)
            ;
        sim_dns_order_group(&res->rng, res->cfg.rfc2782_select, r + i, j - i);
    }
    for (guint i = 0; i < srv->len; i++)
        dns_append_a(res, out, q->srv_hosts[r[i].tuple.ip], r[i].tuple.port,
                     q->transport, r[i].priority, r[i].weight);
}

/* Moves the targets blacklisted for @name after the others, keeping both
 * orders. */
static void
dns_apply_blacklist(SimResolver *res, const char *name, SimDnsTarget *t,
                    guint n)
{
    if (res->blacklist->len == 0)
        return;
    SimTime now = sim_ctx_now(res->ctx);
    g_autofree SimDnsTarget *late = g_new(SimDnsTarget, n + 1);
    guint k = 0, m = 0;
    for (guint i = 0; i < n; i++) {
        gboolean black = FALSE;
        for (guint b = 0; b < res->blacklist->len; b++) {
            const DnsBlack *e = &g_array_index(res->blacklist, DnsBlack, b);
            black |= e->until > now && e->tuple.ip == t[i].tuple.ip &&
                     e->tuple.port == t[i].tuple.port &&
                     e->tuple.transport == t[i].tuple.transport &&
                     (!e->name || sim_pki_host_equal(e->name, name));
        }
        if (black)
            late[m++] = t[i];
        else
            t[k++] = t[i];
    }
    if (m)
        memcpy(t + k, late, m * sizeof(SimDnsTarget));
}

/* Builds the ordered answer for one resolution. */
static SimDnsAnswer *
dns_answer(SimResolver *res, DnsQuery *q)
{
    dns_query_refresh(res, q);
    SimTransportKind t = q->transport;
    DnsOut out;
    out.v = out.small;
    out.n = 0;
    out.cap = G_N_ELEMENTS(out.small);
    guint16 default_port =
        t == SIM_TRANSPORT_TLS || t == SIM_TRANSPORT_TLS_SCTP ? 5061 : 5060;
    if (q->literal) {
        SimDnsTarget d = {
            .tuple = { q->literal_ip, q->port ? q->port : default_port, t },
            .host = q->name,
        };
        dns_out_push(&out, &d);
    } else if (q->port)
        dns_append_a(res, &out, q->host, q->port, t, 0, 0);
    else if (q->srv)
        dns_order_srv(res, q, &out);
    else
        dns_append_a(res, &out, q->host, default_port, t, 0, 0);
    SimDnsAnswer *a = g_new(SimDnsAnswer, 1);
    a->name = g_strdup(q->name);
    a->n = out.n;
    /* One block for the caller (never NULL, as g_array_free gave). */
    a->targets = g_new(SimDnsTarget, MAX(out.n, 1));
    memcpy(a->targets, out.v, out.n * sizeof(SimDnsTarget));
    if (out.v != out.small)
        g_free(out.v);
    dns_apply_blacklist(res, q->name, a->targets, a->n);
    return a;
}

/* Counts a resolution and says whether the cache answers it. */
static gboolean
dns_lookup(SimResolver *res, const DnsQuery *q)
{
    /* A numeric address needs no query: it answers as a hit would. */
    if (q->literal)
        return TRUE;
    sim_counter_add(res->queries, 1);
    gboolean hit = dns_cache_check(res, q);
    if (hit)
        sim_counter_add(res->hits, 1);
    return hit;
}

static void
dns_pending_fire(SimEvq *q, gpointer data)
{
    DnsPending *pd = data;
    pd->res->pin = pd->pinned;
    pd->res->pin_ip = pd->peer;
    SimDnsAnswer *a = dns_answer(pd->res, pd->query);
    pd->res->pin = FALSE;
    pd->func(a, pd->user);
}

static void
dns_pending_free(gpointer data)
{
    DnsPending *pd = data;
    g_queue_unlink(&pd->res->pending, &pd->link);
    g_free(pd);
}

/**
 * sim_resolver_resolve:
 * @res: a resolver
 * @name: the host part of the URI to resolve (a domain or host name)
 * @port: the URI's explicit port, or 0
 * @transport: the transport chosen for the request (RFC 3263 4.1)
 * @func: receives the answer (transfer full)
 * @user: its argument
 *
 * Resolves @name as RFC 3263 4.2 says.  A cache miss delivers the answer
 * after lookup_delay; a hit delivers it through a zero-delay event (never
 * from inside this call), so callers see one behaviour either way.  The
 * weighted SRV order is drawn when the answer is delivered, as is the
 * blacklist check.
 */
void
sim_resolver_resolve(SimResolver *res, const char *name, guint16 port,
                     SimTransportKind transport, SimDnsAnswerFunc func,
                     gpointer user)
{
    g_return_if_fail(res != NULL && name != NULL && func != NULL);
    DnsQuery *q = dns_query(res, name, port, transport);
    gboolean hit = dns_lookup(res, q);
    /* g_new, not g_new0: calloc bypasses glibc's per-thread cache. */
    DnsPending *pd = g_new(DnsPending, 1);
    *pd = (DnsPending){ 0 };
    pd->res = res;
    pd->query = q;
    pd->func = func;
    pd->user = user;
    pd->link.data = pd;
    g_queue_push_tail_link(&res->pending, &pd->link);
    pd->event = sim_evq_after(res->ctx->evq, hit ? 0 : res->cfg.lookup_delay,
                              dns_pending_fire, pd, dns_pending_free);
}

/**
 * sim_resolver_resolve_in_dialog:
 * @res: a resolver
 * @name: the host part of an in-dialog request's next hop (its top Route
 *   or its remote target)
 * @port: the URI's explicit port, or 0
 * @transport: the transport
 * @peer: the address of the node the dialog was set up with (0: none)
 * @func: receives the answer (transfer full)
 * @user: its argument
 *
 * Like sim_resolver_resolve(), for a request within a dialog (RFC 3261
 * 12.2.1.1: it follows the dialog's remote target and route set): a
 * host's A records are not rotated (round robin is for new lookups, RFC
 * 1794), and among a host's addresses @peer, if there, comes first, so a
 * name several nodes share leads back to the dialog's node.  SRV order
 * is drawn as for any lookup.
 */
void
sim_resolver_resolve_in_dialog(SimResolver *res, const char *name,
                               guint16 port, SimTransportKind transport,
                               SimIp peer, SimDnsAnswerFunc func,
                               gpointer user)
{
    sim_resolver_resolve(res, name, port, transport, func, user);
    DnsPending *pd = g_queue_peek_tail(&res->pending);
    pd->pinned = TRUE;
    pd->peer = peer;
}

/**
 * sim_resolver_resolve_now:
 * @res: a resolver
 * @name: the host part of the URI
 * @port: the explicit port, or 0
 * @transport: the transport
 *
 * Like sim_resolver_resolve() but answers at once, without the lookup
 * delay (the cache and counters are updated the same way): for tests and
 * for callers that model the delay themselves.
 *
 * Returns: (transfer full): the ordered answer.
 */
SimDnsAnswer *
sim_resolver_resolve_now(SimResolver *res, const char *name, guint16 port,
                         SimTransportKind transport)
{
    g_return_val_if_fail(res != NULL && name != NULL, NULL);
    DnsQuery *q = dns_query(res, name, port, transport);
    dns_lookup(res, q);
    return dns_answer(res, q);
}

/**
 * sim_resolver_mark_failed:
 * @res: a resolver
 * @tuple: a target that failed (refused, timed out, TLS failure, 503)
 *
 * Sorts @tuple after every other target for blacklist_time from now; it is
 * still returned, last, so a lone target stays reachable.
 */
void
sim_resolver_mark_failed(SimResolver *res, const SimTuple *tuple)
{
    sim_resolver_mark_failed_for_name(res, tuple, NULL);
}

/**
 * sim_resolver_mark_failed_for_name:
 * @res: a resolver
 * @tuple: a target that failed
 * @name: (nullable): the name it failed for (its server did not
 *   authenticate as that name, RFC 5922 7.2): only resolutions of @name
 *   sort it last; %NULL: every resolution (a transport failure or
 *   timeout, RFC 3263 4.3)
 *
 * Sorts @tuple after every other target of the resolutions concerned for
 * blacklist_time from now.
 */
void
sim_resolver_mark_failed_for_name(SimResolver *res, const SimTuple *tuple,
                                  const char *name)
{
    g_return_if_fail(res != NULL && tuple != NULL);
    SimTime until = sim_ctx_now(res->ctx) + res->cfg.blacklist_time;
    for (guint i = 0; i < res->blacklist->len; i++) {
        DnsBlack *e = &g_array_index(res->blacklist, DnsBlack, i);
        if (e->tuple.ip == tuple->ip && e->tuple.port == tuple->port &&
            e->tuple.transport == tuple->transport &&
            (e->name == name ||
             (e->name && name && sim_pki_host_equal(e->name, name)))) {
            e->until = until;
            return;
        }
    }
    DnsBlack e = { *tuple, until, g_strdup(name) };
    g_array_append_val(res->blacklist, e);
}

/**
 * sim_dns_answer_free:
 * @answer: (nullable): an answer
 *
 * Frees @answer (the target host names are borrowed from the SimDns).
 */
void
sim_dns_answer_free(SimDnsAnswer *answer)
{
    if (!answer)
        return;
    g_free(answer->name);
    g_free(answer->targets);
    g_free(answer);
}

/* Moves t[k] to t[0], shifting t[0..k-1] up by one. */
static void
dns_take(SimDnsTarget *t, guint k)
{
    SimDnsTarget chosen = t[k];
    memmove(t + 1, t, k * sizeof(SimDnsTarget));
    t[0] = chosen;
}

/**
 * sim_dns_order_group:
 * @rng: the draw stream
 * @rfc2782: %TRUE for the literal RFC 2782 draw, %FALSE for weight/sum
 * @t: (inout): the targets of one priority, in their arrangement
 * @n: their number
 *
 * Orders one priority group in place.  Proportional (SPEC D4): each pick
 * takes a remaining record with probability weight/sum; zero-weight
 * records come after every weighted one, in uniform random order.
 * rfc2782: the arrangement is the given order with zero-weight records
 * moved first; r is uniform in [0, sum] inclusive and the first record
 * whose running sum reaches r is taken, so the first record of the
 * arrangement gets (w1 + 1)/(S + 1).
 */
void
sim_dns_order_group(SimRng *rng, gboolean rfc2782, SimDnsTarget *t, guint n)
{
    if (rfc2782) {
        /* Stable partition: zero weights first. */
        for (guint i = 0, z = 0; i < n; i++)
            if (t[i].weight == 0) {
                dns_take(t + z, i - z);
                z++;
            }
    }
    for (guint i = 0; i + 1 < n; i++) {
        guint64 sum = 0, run = 0;
        guint k = 0;
        for (guint j = i; j < n; j++)
            sum += t[j].weight;
        if (!rfc2782 && sum == 0) {
            k = (guint)sim_rng_below(rng, n - i);
        } else {
            guint64 r = rfc2782 ? sim_rng_below(rng, sum + 1)
                                : sim_rng_below(rng, sum);
            for (k = 0; i + k < n; k++) {
                run += t[i + k].weight;
                if (rfc2782 ? run >= r : run > r)
                    break;
            }
        }
        dns_take(t + i, k);
    }
}
