/* SPDX-License-Identifier: MIT */
/*
 * SIP messages as structured values (RFC 3261 section 7, 20) with a real
 * serializer: the size a transport puts on the wire is the length of the
 * RFC 3261 text the message would have (a Via carrying `;alias` per RFC 5923
 * / draft-09 section 7 is longer, a body of N bytes adds N).  Each message
 * embeds SimMsg first, so transports carry it by reference; it is one
 * allocation with fixed-size fields (no per-header allocation).  The Via,
 * Route and Record-Route arrays come last and only their first n_via,
 * n_route and n_rr entries are defined: messages are created and copied
 * without touching the unused rest.  Simulation
 * metadata (who the sender meant to reach, the call's answer delay) rides
 * beside the headers and is never counted on the wire.
 */
#pragma once

#include "models/transport.h"

G_BEGIN_DECLS

/* Longest host name, tag, branch or Call-ID kept (longer ones truncate). */
#define SIM_SIP_HOST_MAX 64
#define SIM_SIP_TOKEN_MAX 40
/* Via, Route and Record-Route depth kept per message. */
#define SIM_SIP_VIA_MAX 4
#define SIM_SIP_ROUTE_MAX 4
/* Default ports (RFC 3261 18.1.1, 19.1.2). */
#define SIM_SIP_PORT 5060
#define SIM_SIPS_PORT 5061
/* Body of the call model's offer and answer: an audio SDP with four
 * codecs, ICE-less (RFC 4566); typical of trunk traffic. */
#define SIM_SIP_SDP_BYTES 450

/* Request methods used by the call model. */
typedef enum {
    SIM_SIP_INVITE,
    SIM_SIP_ACK,
    SIM_SIP_BYE,
    SIM_SIP_CANCEL,
    SIM_SIP_OPTIONS,
    SIM_SIP_N_METHODS
} SimSipMethod;

/* A SIP or SIPS URI (RFC 3261 19.1). */
typedef struct {
    /* TRUE for sips:. */
    gboolean sips;
    /* User part; empty for none. */
    char user[SIM_SIP_TOKEN_MAX];
    /* Host (name or dotted IPv4). */
    char host[SIM_SIP_HOST_MAX];
    /* Port; 0 when absent. */
    guint16 port;
    /* TRUE when the URI carries ;lr (RFC 3261 16.12). */
    gboolean lr;
} SimSipUri;

/* One Via header field value (RFC 3261 20.42; alias: RFC 5923 / D9 7). */
typedef struct {
    /* Transport token. */
    SimTransportKind transport;
    /* sent-by host. */
    char host[SIM_SIP_HOST_MAX];
    /* sent-by port; 0 when absent (advertise-port false). */
    guint16 port;
    /* Branch parameter (starts with the magic cookie z9hG4bK). */
    char branch[SIM_SIP_TOKEN_MAX];
    /* received= added by the next hop (RFC 3261 18.2.1); 0 when absent. */
    SimIp received;
    /* TRUE when the valueless alias parameter is present. */
    gboolean alias;
} SimSipVia;

/* Simulation metadata: never on the wire. */
typedef struct {
    /* The tuple the sender's RFC 3263 choice (and authentication) meant
     * the request to reach; the receiver counts requests.hijacked when
     * it is not there (SPEC D5, R29). */
    SimTuple intended;
    /* TRUE when intended is set. */
    gboolean has_intended;
    /* INVITE only: the call's answer delay and holding time, and whether
     * the callee sends the BYE (the call model travels with the INVITE). */
    SimTime answer_delay;
    SimTime hold;
    gboolean bye_by_callee;
    /* In-dialog requests: the address of the node the dialog was set up
     * with (0: unknown); its next hop's look-up puts it first among a
     * host's addresses and does not rotate them. */
    SimIp dialog_peer;
    /* Responses: a node past its queue limit refused the request (the
     * caller counts calls.rejected). */
    gboolean overload;
} SimSipMeta;

/* A free list of message records (one run, one thread). */
typedef struct _SimSipMsgPool SimSipMsgPool;

/* One SIP request or response. */
typedef struct {
    /* Transport view: length of the text, refcount, free (first!). */
    SimMsg base;
    /* (nullable): the pool the record returns to; copies and responses
     * share their source's.  Not on the wire. */
    SimSipMsgPool *pool;
    /* TRUE for a request. */
    gboolean is_request;
    /* Request method, or the CSeq method of a response. */
    SimSipMethod method;
    /* Response status code (0 for requests). */
    guint status;
    /* Request-URI (requests only). */
    SimSipUri ruri;
    /* Entries in use in via, route and rr below. */
    guint n_via;
    guint n_route;
    guint n_rr;
    /* From and To (URIs and tags; to_tag empty until the UAS sets it). */
    SimSipUri from, to;
    char from_tag[SIM_SIP_TOKEN_MAX];
    char to_tag[SIM_SIP_TOKEN_MAX];
    /* Call-ID (RFC 3261 20.8). */
    char call_id[SIM_SIP_HOST_MAX];
    /* CSeq number. */
    guint32 cseq;
    /* Contact; has_contact FALSE when absent. */
    SimSipUri contact;
    gboolean has_contact;
    /* Max-Forwards (requests). */
    guint max_forwards;
    /* Bytes of body (SDP); its text is generated for captures. */
    guint body_len;
    /* Retry-After in seconds (RFC 3261 20.33); 0: absent. */
    guint retry_after;
    /* Not on the wire. */
    SimSipMeta meta;
    /* Via stack, topmost first (entries past n_via are undefined). */
    SimSipVia via[SIM_SIP_VIA_MAX];
    /* Route and Record-Route sets, topmost first (entries past n_route
     * and n_rr are undefined). */
    SimSipUri route[SIM_SIP_ROUTE_MAX];
    SimSipUri rr[SIM_SIP_ROUTE_MAX];
} SimSipMsg;

/* Life cycle (refcounted through base; sim_sip_msg_unref frees). */
SimSipMsg *sim_sip_msg_new_request(SimSipMethod method, const SimSipUri *ruri);
SimSipMsg *sim_sip_msg_new_request_in(SimSipMsgPool *pool,
                                      SimSipMethod method,
                                      const SimSipUri *ruri);
SimSipMsg *sim_sip_msg_new_response(const SimSipMsg *request, guint status);
SimSipMsg *sim_sip_msg_copy(const SimSipMsg *m);
SimSipMsg *sim_sip_msg_ref(SimSipMsg *m);
void sim_sip_msg_unref(SimSipMsg *m);

/* Pools: messages created in a pool return their records to it; the pool
 * lives until its owner and every such message let go of it. */
SimSipMsgPool *sim_sip_msg_pool_new(void);
void sim_sip_msg_pool_unref(SimSipMsgPool *pool);

/* Headers. */
SimSipVia *sim_sip_msg_push_via(SimSipMsg *m);
void sim_sip_msg_pop_via(SimSipMsg *m);
void sim_sip_msg_finish(SimSipMsg *m);

/* Wire form. */
guint sim_sip_msg_wire_size(const SimSipMsg *m);
char *sim_sip_msg_to_text(const SimSipMsg *m);

/* Bounded text (g_snprintf's truncation, without the format parsing): for
 * branches, tags and Call-IDs built on every request. */
typedef struct {
    /* The buffer and its size (room for size - 1 characters). */
    char *buf;
    gsize size;
    /* Characters written so far. */
    gsize len;
} SimSipText;

void sim_sip_text_init(SimSipText *t, char *buf, gsize size);
void sim_sip_text_add(SimSipText *t, const char *s);
void sim_sip_text_add_uint(SimSipText *t, guint64 v);

/* A string hash for the keys SIP tables use (branches, Call-IDs): eight
 * bytes a step, for GHashTable with g_str_equal. */
guint sim_sip_key_hash(gconstpointer key);

/* Names and URIs. */
const char *sim_sip_method_name(SimSipMethod method);
const char *sim_sip_reason_phrase(guint status);
void sim_sip_uri_set(SimSipUri *u, gboolean sips, const char *user,
                     const char *host, guint16 port, gboolean lr);
char *sim_sip_uri_to_string(const SimSipUri *u);

/* Host names compare as DNS names: case-insensitive, whole name, no
 * wildcard (RFC 5922 7.2); the comparison lives in pki, which needs it for
 * certificate identities. */
static inline gboolean
sim_sip_host_equal(const char *a, const char *b)
{
    return sim_pki_host_equal(a, b);
}

/* Casting from the transport view. */
static inline SimSipMsg *
sim_sip_msg_from_msg(SimMsg *m)
{
    return (SimSipMsg *)m;
}

/* The SIP message a transport carries, or NULL if @m is something else
 * (a TLS record): for packet captures. */
const SimSipMsg *sim_sip_msg_check(const SimMsg *m);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimSipMsg, sim_sip_msg_unref)

G_END_DECLS
