/* SPDX-License-Identifier: MIT */
/*
 * Connection strategies of a SIP proxy (DESIGN section 5): one const ops
 * table per strategy, one file per strategy, found by name in an explicit
 * static registry.  A strategy decides which connection carries an outgoing
 * request, whether a request carries `;alias` (RFC 5923 / draft-09), whether
 * an incoming alias becomes a row of the alias table, and what happens when
 * connections open and close.  Members are commented required or optional;
 * callers use the sim_strategy_* inline wrappers, which supply the defaults
 * of the optional members.  Strategies see only the narrow proxy API of
 * proxy.h ("For strategies").
 */
#pragma once

#include "models/dns.h"
#include "models/sip/message.h"

G_BEGIN_DECLS

typedef struct _SimProxy SimProxy;
typedef struct _SimProxyConn SimProxyConn;

/* One row of a proxy's alias table (R11, R22: a multimap, several rows may
 * share a tuple and differ in identities and connection). */
typedef struct {
    /* {received IP, sent-by port or default, Via transport}. */
    SimTuple tuple;
    /* (nullable): the sent-by host name, for name-keyed rows
     * (reuse-unauthenticated, NAIVE-NAME); owned. */
    char *name;
    /* (nullable): the identities the client certificate proved (a
     * reference, owned by the row). */
    SimPeerId *ids;
    /* The accepted connection the row points at (borrowed; the row is
     * purged when it closes, R18). */
    SimProxyConn *pc;
} SimAliasRow;

/* What a strategy is asked to route: one request to one RFC 3263 target. */
typedef struct {
    /* The host of the URI fed to RFC 3263 (the AUS domain, R6(b), R24). */
    const char *aus;
    /* The target RFC 3263 selected for this request (R6(a), R23). */
    const SimDnsTarget *target;
    /* The request being sent. */
    const SimSipMsg *msg;
} SimStrategyTarget;

/* One strategy.  Members are required unless marked optional. */
typedef struct {
    /* Registry key, CLI value and run metadata: "reuse", ... */
    const char *name;
    /* One paragraph for `sipreuse list`. */
    const char *description;
    /* Optional (default FALSE): the alias table is a multimap (R22):
     * several rows may share a tuple, one per accepted connection.
     * FALSE: one row per tuple, a newer alias replacing the older row. */
    gboolean alias_multimap;
    /* Optional: whether the strategy can run over @kind (default: all). */
    gboolean (*applicable)(SimTransportKind kind);
    /* Optional: creates the instance's private state
     * (sim_proxy_set_strategy_priv); FALSE with @error refuses. */
    gboolean (*init)(SimProxy *p, GError **error);
    /* Optional: frees the instance's private state. */
    void (*finalize)(SimProxy *p);
    /* Required: a connection to reuse for @t, or NULL to open a new one
     * (which the proxy records as opened for t->aus at t->target). */
    SimProxyConn *(*select_conn)(SimProxy *p, const SimStrategyTarget *t);
    /* Optional: whether a request sent on @pc carries ;alias (default
     * FALSE).  Draft-09 (R3): never over plain TCP or SCTP. */
    gboolean (*want_alias)(SimProxy *p, SimProxyConn *pc);
    /* Optional: an incoming request on accepted @pc carries ;alias in its
     * topmost Via and local policy allows aliasing.  Fill @row (tuple,
     * name, ids; pc is set by the proxy) and return TRUE to add it, or
     * set @reason (a static string: "transport", "no-cert",
     * "sent-by-not-in-cert", ...) and return FALSE.  Default: reject with
     * reason "unsupported" (R8: processed as if absent). */
    gboolean (*accept_alias)(SimProxy *p, SimProxyConn *pc,
                             const SimSipVia *via, SimAliasRow *row,
                             const char **reason);
    /* Optional: a request arrived on @pc (after alias handling). */
    void (*on_request)(SimProxy *p, SimProxyConn *pc, const SimSipMsg *m);
    /* Optional: @pc is open (for TLS: authenticated). */
    void (*on_conn_up)(SimProxy *p, SimProxyConn *pc);
    /* Optional: @pc closed or failed; its rows are already purged. */
    void (*on_conn_down)(SimProxy *p, SimProxyConn *pc,
                         SimCloseReason reason);
    /* Optional: the idle timeout for @pc (default: the node's). */
    SimTime (*idle_timeout)(SimProxy *p, SimProxyConn *pc);
    /* Optional: TRUE to close @pc, opened for one transaction, once that
     * transaction ends (default FALSE). */
    gboolean (*close_after_txn)(SimProxy *p, SimProxyConn *pc);
} SimStrategyOps;

#define SIM_STRATEGY_ERROR (sim_strategy_error_quark())
GQuark sim_strategy_error_quark(void);

typedef enum {
    SIM_STRATEGY_ERROR_FAILED,
    /* No strategy by that name. */
    SIM_STRATEGY_ERROR_UNKNOWN,
    /* The strategy cannot run over the chosen transport. */
    SIM_STRATEGY_ERROR_NOT_APPLICABLE,
} SimStrategyError;

/* Registry. */
const SimStrategyOps *const *sim_strategy_all(void);
const SimStrategyOps *sim_strategy_by_name(const char *name, GError **error);
void sim_strategy_check(const SimStrategyOps *ops);

/* Helpers shared by strategy files (strategy.c). */
SimProxyConn *sim_strategy_find_opened(SimProxy *p, const SimStrategyTarget *t,
                                       gboolean any_proven_domain);
SimProxyConn *sim_strategy_find_alias(SimProxy *p, const SimStrategyTarget *t,
                                      gboolean by_name);
gboolean sim_strategy_tls_alias_row(SimProxy *p, SimProxyConn *pc,
                                    const SimSipVia *via, SimAliasRow *row,
                                    const char **reason);
gboolean sim_strategy_kind_is_tls(SimTransportKind kind);

/* Dispatch wrappers: defaults for the optional members. */
static inline gboolean
sim_strategy_applicable(const SimStrategyOps *s, SimTransportKind kind)
{
    return s->applicable ? s->applicable(kind) : TRUE;
}

static inline gboolean
sim_strategy_init(const SimStrategyOps *s, SimProxy *p, GError **error)
{
    return s->init ? s->init(p, error) : TRUE;
}

static inline void
sim_strategy_finalize(const SimStrategyOps *s, SimProxy *p)
{
    if (s->finalize)
        s->finalize(p);
}

static inline SimProxyConn *
sim_strategy_select_conn(const SimStrategyOps *s, SimProxy *p,
                         const SimStrategyTarget *t)
{
    return s->select_conn(p, t);
}

static inline gboolean
sim_strategy_want_alias(const SimStrategyOps *s, SimProxy *p,
                        SimProxyConn *pc)
{
    return s->want_alias ? s->want_alias(p, pc) : FALSE;
}

static inline gboolean
sim_strategy_accept_alias(const SimStrategyOps *s, SimProxy *p,
                          SimProxyConn *pc, const SimSipVia *via,
                          SimAliasRow *row, const char **reason)
{
    if (!s->accept_alias) {
        *reason = "unsupported";
        return FALSE;
    }
    return s->accept_alias(p, pc, via, row, reason);
}

static inline void
sim_strategy_on_request(const SimStrategyOps *s, SimProxy *p,
                        SimProxyConn *pc, const SimSipMsg *m)
{
    if (s->on_request)
        s->on_request(p, pc, m);
}

static inline void
sim_strategy_on_conn_up(const SimStrategyOps *s, SimProxy *p,
                        SimProxyConn *pc)
{
    if (s->on_conn_up)
        s->on_conn_up(p, pc);
}

static inline void
sim_strategy_on_conn_down(const SimStrategyOps *s, SimProxy *p,
                          SimProxyConn *pc, SimCloseReason reason)
{
    if (s->on_conn_down)
        s->on_conn_down(p, pc, reason);
}

static inline gboolean
sim_strategy_close_after_txn(const SimStrategyOps *s, SimProxy *p,
                             SimProxyConn *pc)
{
    return s->close_after_txn ? s->close_after_txn(p, pc) : FALSE;
}

/* The strategies (each file exports only its table). */
extern const SimStrategyOps sim_strategy_rfc3261;
extern const SimStrategyOps sim_strategy_per_transaction;
extern const SimStrategyOps sim_strategy_two_connection;
extern const SimStrategyOps sim_strategy_reuse;
extern const SimStrategyOps sim_strategy_virtual_server;
extern const SimStrategyOps sim_strategy_reuse_unauthenticated;

G_END_DECLS
