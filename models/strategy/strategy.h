/* SPDX-License-Identifier: MIT */
/*
 * Connection strategies of a SIP node (DESIGN section 5): one const ops
 * table per strategy, one file per strategy, found by name in an explicit
 * static registry.  A strategy decides which connection carries an outgoing
 * request, whether a request carries `;alias` (RFC 5923 / draft-09), whether
 * an incoming alias becomes a row of the alias table, and what happens when
 * connections open and close.  Members are commented required or optional;
 * callers use the sim_strategy_* inline wrappers, which supply the defaults
 * of the optional members.  Strategies decide over the node's connection
 * table (models/sip/conntab.h) and never see the proxy.
 */
#pragma once

#include "models/dns.h"
#include "models/sip/conntab.h"
#include "models/sip/message.h"

G_BEGIN_DECLS

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
     * (sim_conntab_set_strategy_priv); FALSE with @error refuses. */
    gboolean (*init)(SimConnTab *tab, GError **error);
    /* Optional: frees the instance's private state. */
    void (*finalize)(SimConnTab *tab);
    /* Required: a connection to reuse for @t, or NULL to open a new one
     * (which the node records as opened for t->aus at t->target). */
    SimProxyConn *(*select_conn)(SimConnTab *tab, const SimStrategyTarget *t);
    /* Optional: whether a request sent on @pc carries ;alias (default
     * FALSE).  Draft-09 (R3): never over plain TCP or SCTP. */
    gboolean (*want_alias)(SimConnTab *tab, SimProxyConn *pc);
    /* Optional: an incoming request on accepted @pc carries ;alias in its
     * topmost Via and local policy allows aliasing.  Fill @row (tuple,
     * name, ids; pc is set by the node) and return TRUE to add it, or
     * set @reason (a static string: "transport", "no-cert",
     * "sent-by-not-in-cert", ...) and return FALSE.  Default: reject with
     * reason "unsupported" (R8: processed as if absent). */
    gboolean (*accept_alias)(SimConnTab *tab, SimProxyConn *pc,
                             const SimSipVia *via, SimAliasRow *row,
                             const char **reason);
    /* Optional: a request arrived on @pc (after alias handling). */
    void (*on_request)(SimConnTab *tab, SimProxyConn *pc,
                       const SimSipMsg *m);
    /* Optional: @pc is open (for TLS: authenticated). */
    void (*on_conn_up)(SimConnTab *tab, SimProxyConn *pc);
    /* Optional: @pc closed or failed; its rows are already purged. */
    void (*on_conn_down)(SimConnTab *tab, SimProxyConn *pc,
                         SimCloseReason reason);
    /* Optional: the idle timeout for @pc (default: the node's). */
    SimTime (*idle_timeout)(SimConnTab *tab, SimProxyConn *pc);
    /* Optional: TRUE to close @pc, opened for one transaction, once that
     * transaction ends (default FALSE). */
    gboolean (*close_after_txn)(SimConnTab *tab, SimProxyConn *pc);
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
const char **sim_strategy_names(void);
const SimStrategyOps *sim_strategy_by_name(const char *name, GError **error);
void sim_strategy_check(const SimStrategyOps *ops);

/* Helpers shared by strategy files (strategy.c). */
SimProxyConn *sim_strategy_find_opened(SimConnTab *tab,
                                       const SimStrategyTarget *t);
SimProxyConn *sim_strategy_find_alias(SimConnTab *tab,
                                      const SimStrategyTarget *t,
                                      gboolean by_name);
gboolean sim_strategy_tls_alias_row(SimConnTab *tab, SimProxyConn *pc,
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
sim_strategy_init(const SimStrategyOps *s, SimConnTab *tab, GError **error)
{
    return s->init ? s->init(tab, error) : TRUE;
}

static inline void
sim_strategy_finalize(const SimStrategyOps *s, SimConnTab *tab)
{
    if (s->finalize)
        s->finalize(tab);
}

static inline SimProxyConn *
sim_strategy_select_conn(const SimStrategyOps *s, SimConnTab *tab,
                         const SimStrategyTarget *t)
{
    return s->select_conn(tab, t);
}

static inline gboolean
sim_strategy_want_alias(const SimStrategyOps *s, SimConnTab *tab,
                        SimProxyConn *pc)
{
    return s->want_alias ? s->want_alias(tab, pc) : FALSE;
}

static inline gboolean
sim_strategy_accept_alias(const SimStrategyOps *s, SimConnTab *tab,
                          SimProxyConn *pc, const SimSipVia *via,
                          SimAliasRow *row, const char **reason)
{
    if (!s->accept_alias) {
        *reason = "unsupported";
        return FALSE;
    }
    return s->accept_alias(tab, pc, via, row, reason);
}

static inline void
sim_strategy_on_request(const SimStrategyOps *s, SimConnTab *tab,
                        SimProxyConn *pc, const SimSipMsg *m)
{
    if (s->on_request)
        s->on_request(tab, pc, m);
}

static inline void
sim_strategy_on_conn_up(const SimStrategyOps *s, SimConnTab *tab,
                        SimProxyConn *pc)
{
    if (s->on_conn_up)
        s->on_conn_up(tab, pc);
}

static inline void
sim_strategy_on_conn_down(const SimStrategyOps *s, SimConnTab *tab,
                          SimProxyConn *pc, SimCloseReason reason)
{
    if (s->on_conn_down)
        s->on_conn_down(tab, pc, reason);
}

static inline SimTime
sim_strategy_idle_timeout(const SimStrategyOps *s, SimConnTab *tab,
                          SimProxyConn *pc)
{
    return s->idle_timeout ? s->idle_timeout(tab, pc)
                           : sim_conntab_idle_timeout(tab);
}

static inline gboolean
sim_strategy_close_after_txn(const SimStrategyOps *s, SimConnTab *tab,
                             SimProxyConn *pc)
{
    return s->close_after_txn ? s->close_after_txn(tab, pc) : FALSE;
}

/* The strategies (each file exports only its table). */
extern const SimStrategyOps sim_strategy_rfc3261;
extern const SimStrategyOps sim_strategy_per_transaction;
extern const SimStrategyOps sim_strategy_two_connection;
extern const SimStrategyOps sim_strategy_reuse;
extern const SimStrategyOps sim_strategy_virtual_server;
extern const SimStrategyOps sim_strategy_reuse_unauthenticated;

G_END_DECLS
