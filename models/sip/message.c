/* SPDX-License-Identifier: MIT */
/*
 * SIP message values and their RFC 3261 wire form.  One writer walks the
 * message once, either counting bytes (the hot path: sim_sip_msg_finish
 * stores the size in base.len without formatting anything) or copying text
 * (captures, tests).  Both paths share every literal, so the counted size is
 * the length of the text by construction, and a test checks it anyway.  The
 * writer is inlined into each path, so counting never tests for a buffer and
 * takes literal lengths from sizeof.
 * Header set and order follow a typical proxy-to-proxy exchange (RFC 3261
 * 20, RFC 3665 examples); the SDP body is generated to its stated size.
 */
#define G_LOG_DOMAIN "sim-sip"

#include <string.h>

#include "models/sip/message.h"

/* Writes into buf when it is non-NULL, else only counts. */
typedef struct {
    char *buf;
    gsize len;
} SipWriter;

static const char *const sip_method_names[SIM_SIP_N_METHODS] = {
    [SIM_SIP_INVITE] = "INVITE",
    [SIM_SIP_ACK] = "ACK",
    [SIM_SIP_BYE] = "BYE",
    [SIM_SIP_CANCEL] = "CANCEL",
    [SIM_SIP_OPTIONS] = "OPTIONS",
};

/* A plausible SDP offer/answer (RFC 4566); padded or cut to body_len. */
static const char sip_sdp_template[] =
    "v=0\r\n"
    "o=- 3724394400 3724394400 IN IP4 192.0.2.10\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0 8 9 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n";

/* The writer's helpers are always inlined so that, in the counting path
 * (buf NULL), every test of buf folds away. */
#define SIP_INLINE static inline __attribute__((always_inline))

/* A string literal, its length known at compile time. */
#define sip_lit(w, s) sip_put((w), "" s, sizeof(s) - 1)

SIP_INLINE void
sip_put(SipWriter *w, const char *s, gsize n)
{
    if (w->buf)
        memcpy(w->buf + w->len, s, n);
    w->len += n;
}

SIP_INLINE void
sip_puts(SipWriter *w, const char *s)
{
    sip_put(w, s, strlen(s));
}

/* Decimal digits of @v. */
static guint
sip_digits(guint64 v)
{
    guint n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

static void
sip_format_uint(char *out, guint64 v, guint n)
{
    do {
        out[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (n);
}

SIP_INLINE void
sip_put_uint(SipWriter *w, guint64 v)
{
    guint n = sip_digits(v);
    if (w->buf)
        sip_format_uint(w->buf + w->len, v, n);
    w->len += n;
}

SIP_INLINE void
sip_put_ip(SipWriter *w, SimIp ip)
{
    for (int shift = 24; shift >= 0; shift -= 8) {
        sip_put_uint(w, (ip >> shift) & 0xff);
        if (shift)
            sip_lit(w, ".");
    }
}

SIP_INLINE void
sip_put_uri(SipWriter *w, const SimSipUri *u)
{
    if (u->sips)
        sip_lit(w, "sips:");
    else
        sip_lit(w, "sip:");
    if (u->user[0]) {
        sip_puts(w, u->user);
        sip_lit(w, "@");
    }
    sip_puts(w, u->host);
    if (u->port) {
        sip_lit(w, ":");
        sip_put_uint(w, u->port);
    }
    if (u->lr)
        sip_lit(w, ";lr");
}

/* "NAME: <uri>;tag=TAG\r\n"; @name_len is strlen(@name). */
SIP_INLINE void
sip_put_header_uri(SipWriter *w, const char *name, gsize name_len,
                   const SimSipUri *u, const char *tag)
{
    sip_put(w, name, name_len);
    sip_lit(w, ": <");
    sip_put_uri(w, u);
    sip_lit(w, ">");
    if (tag && tag[0]) {
        sip_lit(w, ";tag=");
        sip_puts(w, tag);
    }
    sip_lit(w, "\r\n");
}

SIP_INLINE void
sip_put_via(SipWriter *w, const SimSipVia *v)
{
    sip_lit(w, "Via: SIP/2.0/");
    sip_puts(w, sim_transport_kind_name(v->transport));
    sip_lit(w, " ");
    sip_puts(w, v->host);
    if (v->port) {
        sip_lit(w, ":");
        sip_put_uint(w, v->port);
    }
    sip_lit(w, ";branch=");
    sip_puts(w, v->branch);
    if (v->received) {
        sip_lit(w, ";received=");
        sip_put_ip(w, v->received);
    }
    if (v->alias)
        sip_lit(w, ";alias");
    sip_lit(w, "\r\n");
}

SIP_INLINE void
sip_put_start_line(SipWriter *w, const SimSipMsg *m)
{
    if (m->is_request) {
        sip_puts(w, sip_method_names[m->method]);
        sip_lit(w, " ");
        sip_put_uri(w, &m->ruri);
        sip_lit(w, " SIP/2.0\r\n");
        return;
    }
    sip_lit(w, "SIP/2.0 ");
    sip_put_uint(w, m->status);
    sip_lit(w, " ");
    sip_puts(w, sim_sip_reason_phrase(m->status));
    sip_lit(w, "\r\n");
}

/* The body is one SDP description of exactly @len bytes: the template,
 * then an attribute line "a=x-pad:xxx...\r\n" filling the rest (RFC 4566
 * 5.13 lets a receiver ignore attributes it does not know); a length
 * below the template's cuts it. */
SIP_INLINE void
sip_put_body(SipWriter *w, guint len)
{
    static const char pad_head[] = "a=x-pad:";
    const gsize head = sizeof pad_head - 1, tail = 2;
    gsize t = sizeof sip_sdp_template - 1;
    if (!w->buf) {
        w->len += len;
        return;
    }
    if (len <= t) {
        sip_put(w, sip_sdp_template, len);
        return;
    }
    /* Too little room for a pad line after the whole template: end the
     * template before its last line ("a=sendrecv", the default). */
    if (len - t < head + tail + 1)
        t -= sizeof "a=sendrecv\r\n" - 1;
    sip_put(w, sip_sdp_template, t);
    sip_put(w, pad_head, head);
    gsize fill = len - t - head - tail;
    memset(w->buf + w->len, 'x', fill);
    w->len += fill;
    sip_lit(w, "\r\n");
}

#define sip_header_uri(w, name, u, tag) \
    sip_put_header_uri((w), "" name, sizeof(name) - 1, (u), (tag))

SIP_INLINE void
sip_write(const SimSipMsg *m, SipWriter *w)
{
    sip_put_start_line(w, m);
    for (guint i = 0; i < m->n_via; i++)
        sip_put_via(w, &m->via[i]);
    if (m->is_request) {
        sip_lit(w, "Max-Forwards: ");
        sip_put_uint(w, m->max_forwards);
        sip_lit(w, "\r\n");
    }
    for (guint i = 0; i < m->n_route; i++)
        sip_header_uri(w, "Route", &m->route[i], NULL);
    for (guint i = 0; i < m->n_rr; i++)
        sip_header_uri(w, "Record-Route", &m->rr[i], NULL);
    sip_header_uri(w, "From", &m->from, m->from_tag);
    sip_header_uri(w, "To", &m->to, m->to_tag);
    sip_lit(w, "Call-ID: ");
    sip_puts(w, m->call_id);
    sip_lit(w, "\r\nCSeq: ");
    sip_put_uint(w, m->cseq);
    sip_lit(w, " ");
    sip_puts(w, sip_method_names[m->method]);
    sip_lit(w, "\r\n");
    if (m->has_contact)
        sip_header_uri(w, "Contact", &m->contact, NULL);
    if (m->method == SIM_SIP_INVITE && (m->is_request || m->status < 300))
        sip_lit(w, "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE\r\n"
                   "Supported: replaces, timer\r\n"
                   "Session-Expires: 1800\r\n");
    if (m->retry_after) {
        sip_lit(w, "Retry-After: ");
        sip_put_uint(w, m->retry_after);
        sip_lit(w, "\r\n");
    }
    sip_lit(w, "User-Agent: sipreuse/0.1\r\n");
    if (m->body_len)
        sip_lit(w, "Content-Type: application/sdp\r\n");
    sip_lit(w, "Content-Length: ");
    sip_put_uint(w, m->body_len);
    sip_lit(w, "\r\n\r\n");
    sip_put_body(w, m->body_len);
}

/* The counting path: the writer with no buffer. */
static gsize
sip_count(const SimSipMsg *m)
{
    SipWriter w = { NULL, 0 };
    sip_write(m, &w);
    return w.len;
}

/* The text path: writes into @buf, which has room for the whole text. */
static gsize
sip_text(const SimSipMsg *m, char *buf)
{
    SipWriter w = { buf, 0 };
    sip_write(m, &w);
    return w.len;
}

/* Records a pool keeps for reuse at most (the rest are freed). */
#define SIP_POOL_KEEP 4096

struct _SimSipMsgPool {
    /* The owner's reference plus one per message record out. */
    guint refcount;
    /* Records ready for reuse, linked through their first word. */
    gpointer free_list;
    guint n_free;
};

/**
 * sim_sip_msg_pool_new:
 *
 * Returns: (transfer full): an empty pool; drop it with
 *   sim_sip_msg_pool_unref() (messages still out keep it alive).
 */
SimSipMsgPool *
sim_sip_msg_pool_new(void)
{
    SimSipMsgPool *pool = g_new0(SimSipMsgPool, 1);
    pool->refcount = 1;
    return pool;
}

/**
 * sim_sip_msg_pool_unref:
 * @pool: (nullable): a pool
 *
 * Drops a reference; the last one frees the pool and its free records.
 */
void
sim_sip_msg_pool_unref(SimSipMsgPool *pool)
{
    if (!pool || --pool->refcount)
        return;
    while (pool->free_list) {
        gpointer rec = pool->free_list;
        pool->free_list = *(gpointer *)rec;
        g_free(rec);
    }
    g_free(pool);
}

static void
sip_msg_free(SimMsg *base)
{
    SimSipMsg *m = sim_sip_msg_from_msg(base);
    SimSipMsgPool *pool = m->pool;
    if (!pool) {
        g_free(m);
        return;
    }
    if (pool->n_free < SIP_POOL_KEEP) {
        *(gpointer *)m = pool->free_list;
        pool->free_list = m;
        pool->n_free++;
    } else {
        g_free(m);
    }
    sim_sip_msg_pool_unref(pool);
}

/* An uninitialised record from @pool (nullable), which it references. */
static SimSipMsg *
sip_msg_take(SimSipMsgPool *pool)
{
    if (!pool)
        return g_malloc(sizeof(SimSipMsg));
    pool->refcount++;
    SimSipMsg *m = pool->free_list;
    if (!m)
        return g_malloc(sizeof *m);
    pool->free_list = *(gpointer *)m;
    pool->n_free--;
    return m;
}

/* A message of @pool with every field before the Via array zeroed, no
 * Via, Route or Record-Route entry, and one reference. */
static SimSipMsg *
sip_msg_alloc(SimSipMsgPool *pool)
{
    SimSipMsg *m = sip_msg_take(pool);
    memset(m, 0, G_STRUCT_OFFSET(SimSipMsg, via));
    m->base.refcount = 1;
    m->base.free = sip_msg_free;
    m->pool = pool;
    return m;
}

/* g_strlcpy without measuring the whole source: copies at most size - 1
 * bytes of @src (nullable: empty) and terminates. */
static void
sip_strlcpy(char *dst, const char *src, gsize size)
{
    gsize i = 0;
    for (; src && i + 1 < size && src[i]; i++)
        dst[i] = src[i];
    dst[i] = '\0';
}

/**
 * sim_sip_msg_new_request:
 * @method: the method
 * @ruri: the Request-URI (copied)
 *
 * Returns: (transfer full): a request with Max-Forwards 70 and no other
 *   header; fill it, then call sim_sip_msg_finish().
 */
SimSipMsg *
sim_sip_msg_new_request(SimSipMethod method, const SimSipUri *ruri)
{
    return sim_sip_msg_new_request_in(NULL, method, ruri);
}

/**
 * sim_sip_msg_new_request_in:
 * @pool: (nullable): the pool to take the record from
 * @method: the method
 * @ruri: the Request-URI (copied)
 *
 * Like sim_sip_msg_new_request(), with the record from @pool.
 *
 * Returns: (transfer full): the request.
 */
SimSipMsg *
sim_sip_msg_new_request_in(SimSipMsgPool *pool, SimSipMethod method,
                           const SimSipUri *ruri)
{
    g_return_val_if_fail(method < SIM_SIP_N_METHODS, NULL);
    SimSipMsg *m = sip_msg_alloc(pool);
    m->is_request = TRUE;
    m->method = method;
    m->ruri = *ruri;
    m->max_forwards = 70;
    return m;
}

/**
 * sim_sip_msg_new_response:
 * @request: the request answered
 * @status: the status code
 *
 * Builds a response per RFC 3261 8.2.6: Via stack, From, To, Call-ID, CSeq
 * and Record-Route copied from the request (RFC 3261 12.1.1); no body.
 * Its record comes from the request's pool.
 *
 * Returns: (transfer full): the response, to be finished.
 */
SimSipMsg *
sim_sip_msg_new_response(const SimSipMsg *request, guint status)
{
    g_return_val_if_fail(request->is_request, NULL);
    SimSipMsg *m = sip_msg_alloc(request->pool);
    m->method = request->method;
    m->status = status;
    memcpy(m->via, request->via, request->n_via * sizeof m->via[0]);
    m->n_via = request->n_via;
    memcpy(m->rr, request->rr, request->n_rr * sizeof m->rr[0]);
    m->n_rr = request->n_rr;
    m->from = request->from;
    m->to = request->to;
    memcpy(m->from_tag, request->from_tag, sizeof m->from_tag);
    memcpy(m->to_tag, request->to_tag, sizeof m->to_tag);
    memcpy(m->call_id, request->call_id, sizeof m->call_id);
    m->cseq = request->cseq;
    return m;
}

/**
 * sim_sip_msg_copy:
 * @m: a message
 *
 * Returns: (transfer full): an independent copy with refcount 1, in
 *   @m's pool (a proxy forwards a copy it can modify).
 */
SimSipMsg *
sim_sip_msg_copy(const SimSipMsg *m)
{
    SimSipMsg *c = sip_msg_take(m->pool);
    memcpy(c, m, G_STRUCT_OFFSET(SimSipMsg, via));
    memcpy(c->via, m->via, m->n_via * sizeof m->via[0]);
    memcpy(c->route, m->route, m->n_route * sizeof m->route[0]);
    memcpy(c->rr, m->rr, m->n_rr * sizeof m->rr[0]);
    c->base.refcount = 1;
    /* The copy has sent nothing yet. */
    sim_msg_track_clear(&c->base);
    return c;
}

/**
 * sim_sip_msg_ref:
 * @m: a message
 *
 * Returns: (transfer full): @m with one more reference.
 */
SimSipMsg *
sim_sip_msg_ref(SimSipMsg *m)
{
    sim_msg_ref(&m->base);
    return m;
}

/**
 * sim_sip_msg_unref:
 * @m: (nullable): a message
 *
 * Drops a reference; frees the message with the last one.
 */
void
sim_sip_msg_unref(SimSipMsg *m)
{
    if (m)
        sim_msg_unref(&m->base);
}

/**
 * sim_sip_msg_push_via:
 * @m: a request
 *
 * Returns: (transfer none): a new, zeroed topmost Via (the others shift
 *   down; the bottom one is dropped when the stack is full).
 */
SimSipVia *
sim_sip_msg_push_via(SimSipMsg *m)
{
    guint keep = MIN(m->n_via, (guint)SIM_SIP_VIA_MAX - 1);
    memmove(&m->via[1], &m->via[0], keep * sizeof m->via[0]);
    memset(&m->via[0], 0, sizeof m->via[0]);
    m->n_via = keep + 1;
    return &m->via[0];
}

/**
 * sim_sip_msg_pop_via:
 * @m: a response
 *
 * Removes the topmost Via (a proxy forwarding a response, RFC 3261 16.7).
 */
void
sim_sip_msg_pop_via(SimSipMsg *m)
{
    g_return_if_fail(m->n_via > 0);
    memmove(&m->via[0], &m->via[1], (m->n_via - 1) * sizeof m->via[0]);
    m->n_via--;
}

/**
 * sim_sip_msg_finish:
 * @m: a message whose headers are final
 *
 * Stores the size of its wire text in m->base.len.  Call it again after
 * changing a header.
 */
void
sim_sip_msg_finish(SimSipMsg *m)
{
    m->base.len = sim_sip_msg_wire_size(m);
}

/**
 * sim_sip_msg_check:
 * @m: a message a transport carries
 *
 * Returns: (nullable): @m as a SIP message, or %NULL if it is not one.
 */
const SimSipMsg *
sim_sip_msg_check(const SimMsg *m)
{
    return m && m->free == sip_msg_free ? (const SimSipMsg *)m : NULL;
}

/**
 * sim_sip_msg_wire_size:
 * @m: a message
 *
 * Returns: the length in bytes of sim_sip_msg_to_text(), counted without
 *   formatting.
 */
guint
sim_sip_msg_wire_size(const SimSipMsg *m)
{
    return (guint)sip_count(m);
}

/**
 * sim_sip_msg_to_text:
 * @m: a message
 *
 * Returns: (transfer full): the RFC 3261 text (start line, headers, CRLF,
 *   body), NUL-terminated.
 */
char *
sim_sip_msg_to_text(const SimSipMsg *m)
{
    gsize n = sip_count(m);
    char *buf = g_malloc(n + 1);
    gsize written = sip_text(m, buf);
    g_assert_cmpuint(written, ==, n);
    buf[n] = '\0';
    return buf;
}

/**
 * sim_sip_method_name:
 * @method: a method
 *
 * Returns: its name ("INVITE", ...).
 */
const char *
sim_sip_method_name(SimSipMethod method)
{
    g_return_val_if_fail(method < SIM_SIP_N_METHODS, "?");
    return sip_method_names[method];
}

/**
 * sim_sip_reason_phrase:
 * @status: a status code
 *
 * Returns: the RFC 3261 21 reason phrase, or a class default.
 */
const char *
sim_sip_reason_phrase(guint status)
{
    switch (status) {
    case 100: return "Trying";
    case 180: return "Ringing";
    case 200: return "OK";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 481: return "Call/Transaction Does Not Exist";
    case 483: return "Too Many Hops";
    case 487: return "Request Terminated";
    case 503: return "Service Unavailable";
    default: break;
    }
    if (status < 200)
        return "Session Progress";
    if (status < 300)
        return "OK";
    return status < 500 ? "Client Error" : "Server Error";
}

/**
 * sim_sip_uri_set:
 * @u: the URI to fill
 * @sips: %TRUE for a SIPS URI
 * @user: (nullable): user part
 * @host: host
 * @port: port, 0 for none
 * @lr: %TRUE to add ;lr
 *
 * Fills @u (long values truncate).
 */
void
sim_sip_uri_set(SimSipUri *u, gboolean sips, const char *user,
                const char *host, guint16 port, gboolean lr)
{
    u->sips = sips;
    sip_strlcpy(u->user, user, sizeof u->user);
    sip_strlcpy(u->host, host, sizeof u->host);
    u->port = port;
    u->lr = lr;
}

/**
 * sim_sip_uri_to_string:
 * @u: a URI
 *
 * Returns: (transfer full): its text ("sips:example.com;lr").
 */
char *
sim_sip_uri_to_string(const SimSipUri *u)
{
    SipWriter w = { NULL, 0 };
    sip_put_uri(&w, u);
    gsize n = w.len;
    w.buf = g_malloc(n + 1);
    w.len = 0;
    sip_put_uri(&w, u);
    w.buf[n] = '\0';
    return w.buf;
}

/**
 * sim_sip_key_hash:
 * @key: a NUL-terminated string
 *
 * Hashes @key eight bytes at a time (a multiply-xorshift mix per word):
 * branch keys and Call-IDs differ mostly in their digits, which g_str_hash
 * digests one byte at a time.  Tables hashed with it are never walked,
 * so the hash reaches no result.
 *
 * Returns: the hash.
 */
guint
sim_sip_key_hash(gconstpointer key)
{
    const char *s = key;
    gsize n = strlen(s);
    guint64 h = 0x9e3779b97f4a7c15ull ^ n;
    for (; n >= 8; s += 8, n -= 8) {
        guint64 w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    guint64 w = 0;
    for (gsize i = 0; i < n; i++)
        w |= (guint64)(guchar)s[i] << (8 * i);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    return (guint)(h ^ (h >> 29));
}

/**
 * sim_sip_text_init:
 * @t: the text to start
 * @buf: its buffer
 * @size: the buffer's size, at least 1
 *
 * Starts an empty text in @buf.
 */
void
sim_sip_text_init(SimSipText *t, char *buf, gsize size)
{
    g_return_if_fail(size > 0);
    t->buf = buf;
    t->size = size;
    t->len = 0;
    buf[0] = '\0';
}

/* Appends @n bytes of @s, as far as they fit. */
static void
sip_text_add_len(SimSipText *t, const char *s, gsize n)
{
    gsize room = t->size - 1 - t->len;
    n = MIN(n, room);
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

/**
 * sim_sip_text_add:
 * @t: a text
 * @s: a string
 *
 * Appends @s, truncated to the room left (as g_snprintf truncates).
 */
void
sim_sip_text_add(SimSipText *t, const char *s)
{
    sip_text_add_len(t, s, strlen(s));
}

/**
 * sim_sip_text_add_uint:
 * @t: a text
 * @v: a number
 *
 * Appends @v in decimal, truncated to the room left.
 */
void
sim_sip_text_add_uint(SimSipText *t, guint64 v)
{
    char tmp[24];
    guint n = sip_digits(v);
    sip_format_uint(tmp, v, n);
    sip_text_add_len(t, tmp, n);
}
