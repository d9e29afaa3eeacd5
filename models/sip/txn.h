/* SPDX-License-Identifier: MIT */
/*
 * The SIP transaction layer of one proxy (RFC 3261 17, SPEC 3.6).  Client
 * transactions resolve their next hop (RFC 3263), ask the proxy for a
 * connection per target, fail over to the next target with a new branch
 * (RFC 3263 4.3), and run Timer B/F = 64*T1 from their start, so connection
 * and handshake time count.  Over UDP they retransmit (Timer A doubling;
 * Timer E doubling up to T2 = 4 s) and linger for Timer D (32 s) / K (T4);
 * on reliable transports A/E are never armed and D/I/J/K are 0.  Server
 * transactions absorb retransmissions and send responses through the proxy.
 * An INVITE is cancelled by a CANCEL transaction sent where it went (RFC
 * 3261 9.1, R19), which the server matches to it (9.2).
 */
#pragma once

#include "models/sip/conntab.h"
#include "models/sip/message.h"

G_BEGIN_DECLS

typedef struct _SimSipTxnLayer SimSipTxnLayer;
typedef struct _SimSipClientTxn SimSipClientTxn;
typedef struct _SimSipServerTxn SimSipServerTxn;

/* A client transaction's news for its user: a provisional or final
 * response (@resp lent), or a local failure (@resp NULL: 408 for Timer
 * B/F, 503 when no target could be reached). */
typedef void (*SimSipTxnFunc)(SimSipClientTxn *t, guint status,
                              const SimSipMsg *resp, gpointer user);

/* What the layer needs from its proxy. */
typedef struct {
    /* The connection to carry @m to @target (never NULL). */
    SimProxyConn *(*route)(SimSipClientTxn *t, const char *aus,
                           const SimDnsTarget *target, const SimSipMsg *m,
                           gpointer user);
    /* Put @m (a request) on the open @pc. */
    void (*transmit)(SimSipClientTxn *t, SimProxyConn *pc, SimSipMsg *m,
                     gpointer user);
    /* @tuple failed; the next target is about to be tried.  @auth_name:
     * NULL for a transport failure or timeout (the target is down); the
     * request's name when the target failed to authenticate as it (that
     * target-and-name pair failed, RFC 3263 4.3, RFC 5922 7.2). */
    void (*failover)(SimSipClientTxn *t, const SimTuple *tuple,
                     const char *auth_name, gpointer user);
    /* The transaction let go of @pc. */
    void (*unbind)(SimSipClientTxn *t, SimProxyConn *pc, gpointer user);
    /* A new request (@stx NULL for ACK); @m is the layer's copy, with
     * received= set, and may be modified. */
    void (*request)(SimSipServerTxn *stx, SimProxyConn *pc, SimSipMsg *m,
                    gpointer user);
    /* Send @resp back toward the request's sender (@pc may be closed). */
    void (*respond)(SimSipServerTxn *stx, SimProxyConn *pc, SimSipMsg *resp,
                    gpointer user);
    /* Argument of every hook. */
    gpointer user;
} SimSipTxnHooks;

/* Layer. */
SimSipTxnLayer *sim_sip_txn_layer_new(SimCtx *ctx, SimResolver *res,
                                      SimTransportKind kind, SimTime t1,
                                      const SimSipTxnHooks *hooks);
void sim_sip_txn_layer_free(SimSipTxnLayer *l);
void sim_sip_txn_layer_reset(SimSipTxnLayer *l);

/* Client transactions. */
void sim_sip_txn_start(SimSipTxnLayer *l, SimSipMsg *req, const char *host,
                       guint16 port, SimSipTxnFunc func, gpointer user);

/* Cancelling an INVITE (RFC 3261 9); references on client transactions. */
gboolean sim_sip_txn_cancel(SimSipClientTxn *t);
SimSipClientTxn *sim_sip_client_txn_ref(SimSipClientTxn *t);
void sim_sip_client_txn_unref(SimSipClientTxn *t);
SimIp sim_sip_client_txn_peer(const SimSipClientTxn *t);

/* Events from the proxy. */
void sim_sip_txn_conn_up(SimSipTxnLayer *l, SimProxyConn *pc);
void sim_sip_txn_conn_down(SimSipTxnLayer *l, SimProxyConn *pc,
                           gboolean was_up, gboolean discarded,
                           gboolean auth_failed);
void sim_sip_txn_receive(SimSipTxnLayer *l, SimProxyConn *pc,
                         const SimSipMsg *m);

/* Server transactions. */
SimSipServerTxn *sim_sip_txn_match_cancel(SimSipTxnLayer *l,
                                          const SimSipMsg *cancel);
SimSipServerTxn *sim_sip_server_txn_ref(SimSipServerTxn *stx);
void sim_sip_server_txn_unref(SimSipServerTxn *stx);
SimSipMsg *sim_sip_server_txn_response(SimSipServerTxn *stx, guint status);
void sim_sip_server_txn_send(SimSipServerTxn *stx, SimSipMsg *resp);
void sim_sip_server_txn_resend(SimSipServerTxn *stx);

/* RFC 3261 T2: the cap of doubling retransmission intervals. */
#define SIM_SIP_T2 SIM_S(4)

/* Timer values (SPEC 3.6), for tests. */
SimTime sim_sip_timer_b(SimTime t1);
SimTime sim_sip_timer_d(SimTransportKind kind);

G_END_DECLS
