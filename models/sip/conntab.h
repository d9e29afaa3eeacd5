/* SPDX-License-Identifier: MIT */
/*
 * A SIP node's connection table and alias table: the state connection
 * strategies decide over (RFC 5923 / draft-09), behind a narrow API.
 * Connection records are indexed by far-end tuple (R26) and kept in
 * creation order; alias rows form a multimap, in insertion order, whose
 * rows die with their connection (R11, R18, R22).  Walking the records,
 * removing one and finding those of one address or the rows of one tuple
 * cost O(1) or O(matches), whatever the number of connections: the
 * lookups return the matches in the same creation (insertion) order, so a
 * strategy's first match is the one a full scan would find.  Invariants: a record
 * lives while referenced, and no row outlives its connection's close; what
 * the table needs from its node (the strategy's idle timeout, opening a
 * connection toward a domain) comes through hooks, so it knows no proxy.
 *
 * Statistics fed (run-wide counters):
 *   sip.connections.retired: opened connections replaced as their tuple's
 *     row (sim_conntab_retire, `reuse`);
 *   sip.connections.drained: TLS connections this node closed under R20
 *     (idle timeout or sim_conntab_reclaim), letting what was on them
 *     finish first; sip.connections.drain_abandoned: those it closed at
 *     the 64*T1 limit with exchanges still on them.
 */
#pragma once

#include "models/dns.h"

G_BEGIN_DECLS

typedef struct _SimConnTab SimConnTab;
typedef struct _SimProxyConn SimProxyConn;

/* The node's record of one transport connection.  Strategies read it;
 * the node writes it (except reusable_inbound and strategy_data). */
struct _SimProxyConn {
    /* The transport connection (borrowed until it closes). */
    SimConn *conn;
    /* The table holding it. */
    SimConnTab *tab;
    /* Far-end tuple: the destination for opened connections, the source
     * (usually an ephemeral port) for accepted ones (R26). */
    SimTuple key;
    /* TRUE if this node opened it. */
    gboolean initiator;
    /* (nullable): opened connections: the AUS domain (RFC 3263 input host)
     * it was opened and authenticated for; owned. */
    char *aus;
    /* (nullable): opened connections: the SRV target host; owned. */
    char *target_host;
    /* TRUE once open (for TLS: authenticated). */
    gboolean up;
    /* TRUE once this node sent ;alias on it (its idle timeout is then
     * at least 64*T1). */
    gboolean alias_sent;
    /* TRUE while an alias row points at it. */
    gboolean aliased;
    /* Set by a strategy: an accepted connection that may carry requests
     * (R21 exception: source port = DNS-resolved port). */
    gboolean reusable_inbound;
    /* TRUE when opened for one transaction only (per-transaction). */
    gboolean per_txn;
    /* Transactions currently bound to it. */
    guint txns;
    /* Messages waiting for the CPU to send them on it. */
    guint sends;
    /* TRUE once closing: no new transactions (R20). */
    gboolean closing;
    /* TRUE while an R20 close (RFC 5923 8.3) waits for the exchanges
     * still on it: closing is set, so no new transaction starts here, but
     * responses, a CANCEL and the ACK of a non-2xx still use it; the TLS
     * close_notify leaves once txns, holds and sends are all 0, or after
     * 64*T1 (the rest abandoned). */
    gboolean draining;
    /* The 64*T1 limit of the drain. */
    SimEventId drain_timer;
    /* INVITE exchanges this node serves that arrived on it and are not
     * over: until the ACK of their final response (reliable transports;
     * RFC 3261 17.2.1 Completed, RFC 6026 Accepted), so that a close waits
     * for them (R20). */
    guint holds;
    /* TRUE once a newer connection replaced it as its tuple's row
     * (`reuse`): it carries no new requests, still carries the responses
     * and transactions it has, and closes when idle. */
    gboolean retired;
    /* Messages (SimSipMsg) queued until the connection opens. */
    GQueue pending;
    /* Client transactions waiting on it (the transaction layer's). */
    GQueue waiters;
    /* Strategy-owned word of state. */
    gpointer strategy_data;
    /* References held by the table, queued CPU jobs, transactions and
     * calls; the record outlives its connection until the last one is
     * dropped. */
    guint refcount;
    /* The table's: the record's slot in creation order (G_MAXUINT once
     * out of the table) and its alias rows. */
    guint tab_index;
    guint n_rows;
};

/* One row of the alias table (R11, R22: a multimap, several rows may
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

/* The node's settings the table and its strategy read; every pointer is
 * borrowed and must outlive the table. */
typedef struct {
    /* Domains the node serves, NULL-terminated (nullable). */
    const char *const *domains;
    /* The node's RFC 3263 resolver. */
    SimResolver *resolver;
    /* The Via transport of the node's SIP traffic. */
    SimTransportKind kind;
    /* Connection idle timeout; 0 = never. */
    SimTime idle_timeout;
    /* The longest a transaction lasts (Timer B = 64*T1): the limit of an
     * R20 drain, and a retired connection's idle timeout when the node's
     * is "never". */
    SimTime txn_limit;
    /* SPEC D3: refuse a row whose sent-by host is not a proven identity. */
    gboolean alias_insert_check;
} SimConnTabConfig;

/* What the table asks of the node that owns it. */
typedef struct {
    /* Optional: the idle timeout @pc should have (the strategy's choice;
     * default: the node's). */
    SimTime (*idle_timeout)(SimConnTab *t, SimProxyConn *pc, gpointer user);
    /* Required: resolve @domain by RFC 3263 and open a connection to its
     * first target unless one this node opened is there. */
    void (*connect_toward)(SimConnTab *t, const char *domain, gpointer user);
    /* Argument of every hook. */
    gpointer user;
} SimConnTabHooks;

/* Life cycle. */
SimConnTab *sim_conntab_new(SimCtx *ctx, const SimConnTabConfig *cfg,
                            const SimConnTabHooks *hooks);
void sim_conntab_free(SimConnTab *t);

/* The node, as strategies see it. */
SimCtx *sim_conntab_ctx(SimConnTab *t);
gpointer sim_conntab_user(SimConnTab *t);
SimTransportKind sim_conntab_kind(const SimConnTab *t);
SimResolver *sim_conntab_resolver(SimConnTab *t);
SimTime sim_conntab_idle_timeout(const SimConnTab *t);
SimTime sim_conntab_idle_timeout_aliased(const SimConnTab *t);
gboolean sim_conntab_alias_insert_check(const SimConnTab *t);
gboolean sim_conntab_serves(const SimConnTab *t, const char *domain);
void sim_conntab_connect_toward(SimConnTab *t, const char *domain);
gpointer sim_conntab_strategy_priv(SimConnTab *t);
void sim_conntab_set_strategy_priv(SimConnTab *t, gpointer priv);

/* Connection records. */
SimProxyConn *sim_conntab_add(SimConnTab *t, SimConn *c, gboolean initiator,
                              const SimTuple *key);
void sim_conntab_remove(SimConnTab *t, SimProxyConn *pc);
guint sim_conntab_n_conns(const SimConnTab *t);
SimProxyConn *sim_conntab_conn(const SimConnTab *t, guint i);
SimProxyConn *sim_conntab_first(SimConnTab *t);
SimProxyConn *sim_conntab_next(SimConnTab *t, SimProxyConn *pc);
SimProxyConn *const *sim_conntab_at_addr(SimConnTab *t, SimIp ip,
                                         guint16 port, guint *n);
SimProxyConn *sim_conntab_conn_ref(SimProxyConn *pc);
void sim_conntab_conn_unref(SimProxyConn *pc);

/* Matching by address and proven identity. */
gboolean sim_conntab_conn_proves(const SimProxyConn *pc, const char *domain);
gboolean sim_conntab_conn_usable(const SimProxyConn *pc);

/* Connection life: idle timeouts, R20 closes, holds. */
void sim_conntab_update_idle(SimConnTab *t, SimProxyConn *pc);
void sim_conntab_settle(SimProxyConn *pc);
void sim_conntab_retire(SimConnTab *t, SimProxyConn *pc);
void sim_conntab_reclaim(SimConnTab *t, SimProxyConn *pc);
SimProxyConn *sim_conntab_hold(SimProxyConn *pc);
void sim_conntab_release(SimProxyConn *pc, gboolean settle);

/* Alias rows. */
SimAliasRow *sim_conntab_row_new(SimProxyConn *pc);
void sim_conntab_row_free(SimAliasRow *row);
gboolean sim_conntab_row_add(SimConnTab *t, SimAliasRow *row,
                             gboolean replace);
void sim_conntab_purge_rows(SimConnTab *t, SimProxyConn *pc);
void sim_conntab_clear_rows(SimConnTab *t);
guint sim_conntab_n_rows(const SimConnTab *t);
const SimAliasRow *sim_conntab_row(const SimConnTab *t, guint i);
SimAliasRow *const *sim_conntab_rows_at(SimConnTab *t, const SimTuple *tuple,
                                        guint *n);

G_END_DECLS
