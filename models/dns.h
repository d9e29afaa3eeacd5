/* SPDX-License-Identifier: MIT */
/*
 * The DNS model: A records (several nodes may share a host name: round
 * robin) and SRV records per SIP domain, and one resolver per node that
 * follows RFC 3263 section 4 (transport, then SRV, then A with the default
 * port) with RFC 2782 priority/weight ordering as decided in SPEC D4
 * (proportional by default, the literal biased draw as a knob), a TTL cache
 * per resolver, a lookup delay on cache misses and temporary blacklisting of
 * targets that failed.  Every weighted draw comes from the resolver's own
 * stream, so per-request SRV selection is reproducible (R23).
 */
#pragma once

#include "models/transport.h"

G_BEGIN_DECLS

/* The records of a run; immutable once the run starts. */
typedef struct _SimDns SimDns;

/* One node's stub resolver: cache, blacklist, random stream. */
typedef struct _SimResolver SimResolver;

/* One place to try, in the order RFC 3263 says to try them. */
typedef struct {
    /* {IP, port, transport}. */
    SimTuple tuple;
    /* The SRV target (or A) host name the address came from. */
    const char *host;
    /* SRV priority and weight (0, 0 for an A-record fallback). */
    guint priority;
    guint weight;
} SimDnsTarget;

/* Ordered targets of one resolution; owned by the caller. */
typedef struct {
    /* The name that was resolved (the AUS host, e.g. "example.net"). */
    char *name;
    /* Targets in trying order; n == 0: the name does not resolve. */
    SimDnsTarget *targets;
    guint n;
} SimDnsAnswer;

/* Delivers an answer (transfer full) after the lookup delay, or at once
 * from the cache. */
typedef void (*SimDnsAnswerFunc)(SimDnsAnswer *answer, gpointer user);

/* Resolver settings ([dns]). */
typedef struct {
    SimTime ttl;
    SimTime lookup_delay;
    /* TRUE: literal RFC 2782 draw (biased); FALSE: weight/sum (SPEC D4). */
    gboolean rfc2782_select;
    /* How long a failed target is skipped (sorted last). */
    SimTime blacklist_time;
} SimResolverConfig;

/* Records. */
SimDns *sim_dns_new(void);
void sim_dns_free(SimDns *dns);
void sim_dns_add_a(SimDns *dns, const char *host, SimIp ip);
void sim_dns_add_srv(SimDns *dns, const char *domain,
                     SimTransportKind transport, guint priority,
                     guint weight, guint16 port, const char *target);

/* Resolvers. */
SimResolver *sim_resolver_new(SimCtx *ctx, SimDns *dns, const char *node,
                              const SimResolverConfig *cfg);
void sim_resolver_free(SimResolver *res);
void sim_resolver_resolve(SimResolver *res, const char *name, guint16 port,
                          SimTransportKind transport, SimDnsAnswerFunc func,
                          gpointer user);
void sim_resolver_resolve_in_dialog(SimResolver *res, const char *name,
                                    guint16 port, SimTransportKind transport,
                                    SimIp peer, SimDnsAnswerFunc func,
                                    gpointer user);
SimDnsAnswer *sim_resolver_resolve_now(SimResolver *res, const char *name,
                                       guint16 port,
                                       SimTransportKind transport);
void sim_resolver_mark_failed(SimResolver *res, const SimTuple *tuple);
void sim_resolver_mark_failed_for_name(SimResolver *res,
                                       const SimTuple *tuple,
                                       const char *name);
void sim_dns_answer_free(SimDnsAnswer *answer);

/* RFC 2782 ordering of one priority group (exported for tests). */
void sim_dns_order_group(SimRng *rng, gboolean rfc2782, SimDnsTarget *t,
                         guint n);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimDns, sim_dns_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimDnsAnswer, sim_dns_answer_free)

G_END_DECLS
