/* SPDX-License-Identifier: MIT */
/*
 * Packet trace of the simulated network in the libpcap format with
 * nanosecond timestamps (magic 0xa1b23c4d) and LINKTYPE_RAW (bare IPv4),
 * in the manner of ns-3's PcapHelper and OMNeT++'s PcapRecorder: one record
 * per IP packet, timestamped with the simulated clock.
 *
 * Capture points.  With a FILE, one capture point sees every packet as its
 * source puts it on the wire (the packets counted in bytes.wire, the ones a
 * lossy path then drops included): a loss shows as a retransmission.  With
 * a DIR, each node gets DIR/NODE.pcap holding what it sent (at send time)
 * and what reached it (at arrival): a lost packet is only in its sender's
 * file, so losses show as gaps at the receiver, as on a real host.
 *
 * What is written.  IPv4 headers (DF set for TCP and SCTP; UDP datagrams
 * larger than the path MTU become IP fragments, as the model counts them),
 * with valid header checksums and valid TCP and UDP checksums and SCTP
 * CRC32c.  TCP segments carry the model's flags, its sequence and
 * acknowledgement numbers offset by a per-connection initial sequence
 * number, a window of 65535 (scale 7 announced on the SYN), and the RFC 7323
 * timestamps option in milliseconds of simulated time: on SYN and SYN-ACK
 * in the 20 option bytes the model counts (MSS, timestamps, window scale;
 * no SACK-permitted, as the model has no SACK), and on every other segment
 * but RST as 12 option bytes the model does not count (so such a frame is
 * 12 bytes longer than the model's packet).  Payloads are the bytes of the
 * stream: SIP text over TCP, TLS records over TLS.  SCTP packets carry
 * their chunks (INIT, INIT-ACK with its cookie, COOKIE-ECHO, COOKIE-ACK,
 * DATA with TSN, stream and SSN, SACK with gap blocks, SHUTDOWN,
 * SHUTDOWN-ACK, SHUTDOWN-COMPLETE, ABORT) at the model's sizes.  TLS
 * records have real headers; plaintext handshake messages (ClientHello with
 * SNI, ServerHello, TLS 1.2 Certificate with the real DER chain,
 * ServerKeyExchange, CertificateRequest, ServerHelloDone,
 * ClientKeyExchange, CertificateVerify, NewSessionTicket) have real framing
 * with filler where secrets would be, padded with the RFC 7685 padding
 * extension to the model's sizes; protected records are filler, except
 * that an application data record holds the SIP message it protects in
 * the clear in place of ciphertext, so a hex dump shows which message a
 * record carries (Wireshark shows it as encrypted application data).
 *
 * Bytes of a TCP stream are kept per direction from the model's stream
 * writes (sim_net_capture_stream) and copied into each segment, so a
 * retransmission carries the same bytes as the original; bytes the peer
 * has acknowledged are dropped as the run goes (keeping a margin for a late
 * duplicate a per-node file shows arriving).  Files are written as the run
 * goes, a megabyte at a time, to a temporary file beside the target that
 * is renamed into place at the end, so a long capture does not sit in
 * memory and a failed run leaves no partial file.
 */
#define G_LOG_DOMAIN "sim-pcap"

#include "run/pcap_trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "models/capture.h"
#include "models/sip/message.h"
#include "run/pcap.h"

#define TRACE_MAGIC_NS 0xa1b23c4du
#define TRACE_SNAPLEN 262144u
#define TRACE_LINKTYPE_RAW 101u
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_SCTP_ 132
/* TCP option bytes: on SYN and SYN-ACK (counted by the model), on other
 * segments (the timestamps option alone, not counted). */
#define TRACE_TCP_SYN_OPTS 20
#define TRACE_TCP_TS_OPTS 12
/* Window scale announced on the SYN. */
#define TRACE_TCP_WSCALE 7

/* One direction of a TCP connection. */
typedef struct {
    SimIp src, dst;
    guint16 sport, dport;
} TraceKey;

typedef struct {
    TraceKey key;
    /* Incarnation of the port pair (a new SYN after a FIN or RST). */
    guint gen;
    /* A FIN or RST went this way in the current incarnation. */
    gboolean closed;
    /* Stream bytes from sequence number base + 1 (the first data byte is
     * sequence number 1); what the peer acknowledged is dropped, less a
     * margin, once it grows past TRACE_TRIM. */
    guint64 base;
    GByteArray *bytes;
} TraceFlow;

/* Acknowledged stream bytes dropped at once, and those kept below the
 * acknowledgement (for a late duplicate a per-node file shows arriving). */
#define TRACE_TRIM (256u * 1024u)
#define TRACE_TRIM_KEEP (64u * 1024u)
/* Bytes a file keeps in memory before appending them to its file. */
#define TRACE_SPILL (1u << 20)

/* One output file: written to a temporary file beside it as the run goes
 * (a megabyte at a time), renamed into place at the end. */
typedef struct {
    char *path;
    char *tmp;
    /* The option that named it, for messages. */
    const char *opt;
    GByteArray *buf;
    /* errno of the first failed append, 0 if none. */
    int err;
} TraceFile;

struct _SimPcapTrace {
    SimNet *net;
    SimNetCapture cap;
    /* (nullable): the one capture point's file. */
    TraceFile *file;
    /* (nullable): per-node folder; files by interface address. */
    char *dir;
    GHashTable *nodes;
    /* Node files in the order they were added (for writing). */
    GPtrArray *node_files;
    /* TraceFlow by TraceKey; looked up only, never iterated. */
    GHashTable *flows;
    /* Last IP identification of fragmented datagrams, per source. */
    GHashTable *ip_ids;
    /* The identification of each fragmented datagram in flight, by
     * packet, so its arrival shows the same one. */
    GHashTable *in_flight_ids;
    /* Packets written (records, counting each IP fragment). */
    gsize n;
    /* Scratch for one packet. */
    GByteArray *pkt;
    /* Scratch for a rendered message. */
    GByteArray *msgbuf;
};

/* ---- bytes ----------------------------------------------------------- */

static void
put24(GByteArray *b, guint32 v)
{
    guint8 x[3] = { (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff };
    g_byte_array_append(b, x, 3);
}

/* @n filler bytes: a fixed pattern standing for keys, signatures and
 * ciphertext. */
static void
put_fill(GByteArray *b, gsize n)
{
    for (gsize i = 0; i < n; i++)
        sim_pcap_put8(b, (guint8)(0xa5 ^ (i * 29)));
}

static void
put_zero(GByteArray *b, gsize n)
{
    guint at = b->len;
    g_byte_array_set_size(b, at + (guint)n);
    memset(b->data + at, 0, n);
}

/* Writes the 16-bit big-endian @v at @b[@off]. */
static void
set16(GByteArray *b, guint off, guint16 v)
{
    b->data[off] = v >> 8;
    b->data[off + 1] = v & 0xff;
}

/* ---- flows ------------------------------------------------------------ */

static guint
trace_key_hash(gconstpointer p)
{
    const TraceKey *k = p;
    return (k->src * 31u + k->dst) * 31u + ((guint)k->sport << 16 | k->dport);
}

static gboolean
trace_key_equal(gconstpointer a, gconstpointer b)
{
    const TraceKey *x = a, *y = b;
    return x->src == y->src && x->dst == y->dst && x->sport == y->sport &&
           x->dport == y->dport;
}

static void
trace_flow_free(gpointer p)
{
    TraceFlow *f = p;
    g_byte_array_unref(f->bytes);
    g_free(f);
}

static TraceFlow *
trace_flow(SimPcapTrace *tr, SimIp src, guint16 sport, SimIp dst,
           guint16 dport)
{
    TraceKey key = { src, dst, sport, dport };
    TraceFlow *f = g_hash_table_lookup(tr->flows, &key);
    if (!f) {
        f = g_new0(TraceFlow, 1);
        f->key = key;
        f->bytes = g_byte_array_new();
        g_hash_table_insert(tr->flows, &f->key, f);
    }
    return f;
}

/* The initial sequence number of a direction in its incarnation:
 * deterministic, distinct per flow and incarnation. */
static guint32
trace_isn(const TraceFlow *f)
{
    return (trace_key_hash(&f->key) + f->gen * 0x9e3779b9u) * 2654435761u;
}

/* ---- files ------------------------------------------------------------ */


/* Creates the temporary file beside @path and writes the libpcap global
 * header into it. */
static TraceFile *
trace_file_new(const char *path, const char *opt, GError **error)
{
    g_autofree char *tmp = g_strdup_printf("%s.XXXXXX", path);
    int fd = g_mkstemp_full(tmp, O_WRONLY, 0644);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, SIM_PCAP_ERROR, SIM_PCAP_ERROR_WRITE, "%s %s: %s",
                    opt, path, g_strerror(e));
        return NULL;
    }
    close(fd);
    TraceFile *f = g_new0(TraceFile, 1);
    f->path = g_strdup(path);
    f->tmp = g_steal_pointer(&tmp);
    f->opt = opt;
    f->buf = g_byte_array_new();
    sim_pcap_put32_host(f->buf, TRACE_MAGIC_NS);
    guint16 v[2] = { 2, 4 };
    g_byte_array_append(f->buf, (const guint8 *)v, 4);
    sim_pcap_put32_host(f->buf, 0);
    sim_pcap_put32_host(f->buf, 0);
    sim_pcap_put32_host(f->buf, TRACE_SNAPLEN);
    sim_pcap_put32_host(f->buf, TRACE_LINKTYPE_RAW);
    return f;
}

/* Appends what @f holds in memory to its temporary file. */
static void
trace_file_spill(TraceFile *f)
{
    if (!f->buf->len || f->err)
        return;
    FILE *fp = fopen(f->tmp, "ab");
    if (!fp || fwrite(f->buf->data, 1, f->buf->len, fp) != f->buf->len)
        f->err = errno ? errno : EIO;
    if (fp && fclose(fp) != 0 && !f->err)
        f->err = errno ? errno : EIO;
    g_byte_array_set_size(f->buf, 0);
}

static void
trace_file_free(gpointer p)
{
    TraceFile *f = p;
    if (!f)
        return;
    if (f->tmp)
        g_remove(f->tmp);
    g_free(f->tmp);
    g_free(f->path);
    g_byte_array_unref(f->buf);
    g_free(f);
}

static void
trace_record(SimPcapTrace *tr, TraceFile *f, SimTime when, const guint8 *pkt,
             guint len)
{
    sim_pcap_put32_host(f->buf, (guint32)(when / 1000000000u));
    sim_pcap_put32_host(f->buf, (guint32)(when % 1000000000u));
    sim_pcap_put32_host(f->buf, len);
    sim_pcap_put32_host(f->buf, len);
    g_byte_array_append(f->buf, pkt, len);
    if (f->buf->len >= TRACE_SPILL)
        trace_file_spill(f);
    tr->n++;
}

/* ---- IPv4 ------------------------------------------------------------- */

static guint16
trace_ip_checksum(const guint8 *h)
{
    guint32 sum = 0;
    for (guint i = 0; i < 20; i += 2)
        sum += (guint32)h[i] << 8 | h[i + 1];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (guint16)~sum;
}

static void
trace_ipv4(GByteArray *b, SimIp src, SimIp dst, guint8 proto, guint total,
           guint16 id, guint16 frag)
{
    sim_pcap_put8(b, 0x45);
    sim_pcap_put8(b, 0);
    sim_pcap_put16(b, total);
    sim_pcap_put16(b, id);
    sim_pcap_put16(b, frag);
    sim_pcap_put8(b, 64);
    sim_pcap_put8(b, proto);
    sim_pcap_put16(b, 0);
    sim_pcap_put32(b, src);
    sim_pcap_put32(b, dst);
}

/* ---- TLS records ------------------------------------------------------ */

/* Hello extensions after the fixed part, padded to @body bytes in all
 * (the hello's body, after its 4-byte header); @start is where the
 * hello's body begins in @b and @ext_len_at where its extensions length
 * goes. */
static void
trace_hello_pad(GByteArray *b, guint start, guint ext_len_at, guint body)
{
    guint have = b->len - start;
    if (have + 4 <= body) {
        sim_pcap_put16(b, 21); /* padding (RFC 7685) */
        sim_pcap_put16(b, (guint16)(body - have - 4));
        put_zero(b, body - have - 4);
    } else {
        put_zero(b, body > have ? body - have : 0);
    }
    set16(b, ext_len_at, (guint16)(b->len - ext_len_at - 2));
}

/* A ClientHello or ServerHello body of @body bytes. */
static void
trace_hello(GByteArray *b, const SimTlsRecords *t, gboolean client,
            guint body)
{
    guint start = b->len;
    gboolean v13 = t->version == 13;
    /* A session id takes up what the padding extension cannot (1 to 3
     * bytes); compute what the fixed part and extensions need first. */
    gsize sni = client && t->sni ? strlen(t->sni) : 0;
    guint need = 2 + 32 + 1 + (client ? 2 + 2 + 2 : 2 + 1) + 2;
    if (client) {
        need += sni ? 9 + (guint)sni : 0;
        need += v13 ? 7 : 0;
    } else {
        need += v13 ? 6 + 40 : 5;
    }
    guint sid = body > need && body - need < 4 ? body - need : 0;
    sim_pcap_put16(b, 0x0303);
    for (guint i = 0; i < 32; i++)
        sim_pcap_put8(b, (guint8)(client ? 0x10 + i : 0x80 + i));
    sim_pcap_put8(b, (guint8)sid);
    put_fill(b, sid);
    guint16 suite = v13 ? 0x1301 : 0xc02b; /* AES-128-GCM */
    if (client) {
        sim_pcap_put16(b, 2);
        sim_pcap_put16(b, suite);
        sim_pcap_put8(b, 1);
        sim_pcap_put8(b, 0);
    } else {
        sim_pcap_put16(b, suite);
        sim_pcap_put8(b, 0);
    }
    guint ext_len_at = b->len;
    sim_pcap_put16(b, 0);
    if (client && sni) {
        sim_pcap_put16(b, 0); /* server_name */
        sim_pcap_put16(b, (guint16)(5 + sni));
        sim_pcap_put16(b, (guint16)(3 + sni));
        sim_pcap_put8(b, 0);
        sim_pcap_put16(b, (guint16)sni);
        g_byte_array_append(b, (const guint8 *)t->sni, (guint)sni);
    }
    if (v13) {
        sim_pcap_put16(b, 43); /* supported_versions */
        if (client) {
            sim_pcap_put16(b, 3);
            sim_pcap_put8(b, 2);
            sim_pcap_put16(b, 0x0304);
        } else {
            sim_pcap_put16(b, 2);
            sim_pcap_put16(b, 0x0304);
            sim_pcap_put16(b, 51); /* key_share: X25519 */
            sim_pcap_put16(b, 36);
            sim_pcap_put16(b, 0x001d);
            sim_pcap_put16(b, 32);
            put_fill(b, 32);
        }
    } else if (!client) {
        sim_pcap_put16(b, 0xff01); /* renegotiation_info */
        sim_pcap_put16(b, 1);
        sim_pcap_put8(b, 0);
    }
    trace_hello_pad(b, start, ext_len_at, body);
}

/* A Certificate body of @body bytes (TLS 1.2): the real DER chain when its
 * length is what the model counted, else one filler entry. */
static void
trace_certificate(GByteArray *b, const SimPkiCreds *c, guint body)
{
    guint start = b->len;
    put24(b, body >= 3 ? body - 3 : 0);
    guint n = c ? sim_pki_creds_n_certs(c) : 0;
    guint der = 0;
    for (guint i = 0; i < n; i++) {
        g_autoptr(GBytes) d = sim_pki_creds_cert_der(c, i);
        der += d ? (guint)g_bytes_get_size(d) + 3 : 0;
    }
    if (der == body - 3) {
        for (guint i = 0; i < n; i++) {
            g_autoptr(GBytes) d = sim_pki_creds_cert_der(c, i);
            gsize len = 0;
            const guint8 *p = g_bytes_get_data(d, &len);
            put24(b, (guint32)len);
            g_byte_array_append(b, p, (guint)len);
        }
    } else if (body >= 6) {
        put24(b, body - 6);
        put_fill(b, body - 6);
    }
    if (b->len - start < body)
        put_zero(b, body - (b->len - start));
}

/* The body of a plaintext handshake message of type @hs. */
static void
trace_hs_body(GByteArray *b, const SimTlsRecords *t,
              const SimTlsRecordInfo *r, guint body)
{
    guint start = b->len;
    switch (r->hs) {
    case SIM_TLS_HS_CLIENT_HELLO:
    case SIM_TLS_HS_SERVER_HELLO:
        trace_hello(b, t, r->hs == SIM_TLS_HS_CLIENT_HELLO, body);
        break;
    case SIM_TLS_HS_CERTIFICATE:
        trace_certificate(b, r->creds, body);
        break;
    case SIM_TLS_HS_SERVER_KEY_EXCHANGE:
        if (body < 40)
            break;
        sim_pcap_put8(b, 3); /* named_curve */
        sim_pcap_put16(b, 0x001d);
        sim_pcap_put8(b, 32);
        put_fill(b, 32);
        sim_pcap_put16(b, 0x0403);
        sim_pcap_put16(b, (guint16)(body - 40));
        put_fill(b, body - 40);
        break;
    case SIM_TLS_HS_CERTIFICATE_REQUEST: {
        if (body < 7)
            break;
        guint rest = body - 5;
        guint k = rest % 2 ? 1 : 2;
        sim_pcap_put8(b, (guint8)k);
        sim_pcap_put8(b, 64); /* ecdsa_sign */
        if (k == 2)
            sim_pcap_put8(b, 1); /* rsa_sign */
        sim_pcap_put16(b, (guint16)(rest - k));
        for (guint i = 0; i < (rest - k) / 2; i++)
            sim_pcap_put16(b, i % 2 ? 0x0804 : 0x0403);
        sim_pcap_put16(b, 0); /* no CA names */
        break;
    }
    case SIM_TLS_HS_CLIENT_KEY_EXCHANGE:
        sim_pcap_put8(b, (guint8)(body - 1));
        put_fill(b, body - 1);
        break;
    case SIM_TLS_HS_CERTIFICATE_VERIFY:
        if (body < 4)
            break;
        sim_pcap_put16(b, 0x0403);
        sim_pcap_put16(b, (guint16)(body - 4));
        put_fill(b, body - 4);
        break;
    case SIM_TLS_HS_NEW_SESSION_TICKET:
        if (body < 6)
            break;
        sim_pcap_put32(b, 7200);
        sim_pcap_put16(b, (guint16)(body - 6));
        put_fill(b, body - 6);
        break;
    default:
        break;
    }
    if (b->len - start < body)
        put_fill(b, body - (b->len - start));
    g_byte_array_set_size(b, start + body);
}

/* The record @r's fragment (after its 5-byte header). */
static void
trace_tls_fragment(GByteArray *b, const SimTlsRecords *t,
                   const SimTlsRecordInfo *r)
{
    guint len = r->len > 5 ? r->len - 5 : 0;
    guint start = b->len;
    if (r->inner == SIM_TLS_CT_CCS) {
        sim_pcap_put8(b, 1);
    } else if (r->protected) {
        /* TLS 1.2: an explicit nonce first; then the SIP text in place of
         * ciphertext, then filler for the tag. */
        const SimSipMsg *sip = r->app ? sim_sip_msg_check(r->app) : NULL;
        if (t->version == 12)
            put_zero(b, MIN(8u, len));
        if (sip && r->app->len <= len - (b->len - start)) {
            g_autofree char *text = sim_sip_msg_to_text(sip);
            g_byte_array_append(b, (const guint8 *)text, r->app->len);
        }
    } else if (r->inner == SIM_TLS_CT_ALERT) {
        sim_pcap_put8(b, 2);  /* fatal */
        sim_pcap_put8(b, 40); /* handshake_failure */
    } else if (r->inner == SIM_TLS_CT_HANDSHAKE && len >= 4) {
        sim_pcap_put8(b, r->hs);
        put24(b, len - 4);
        trace_hs_body(b, t, r, len - 4);
    }
    if (b->len - start < len)
        put_fill(b, len - (b->len - start));
    g_byte_array_set_size(b, start + len);
}

/* Renders a message a transport carries: TLS records, SIP text, or
 * filler. */
static void
trace_render_msg(GByteArray *b, const SimMsg *m)
{
    SimTlsRecords t;
    if (sim_tls_describe(m, &t)) {
        guint start = b->len;
        for (guint i = 0; i < t.n; i++) {
            const SimTlsRecordInfo *r = &t.rec[i];
            sim_pcap_put8(b, r->type);
            sim_pcap_put16(b, r->hs == SIM_TLS_HS_CLIENT_HELLO ? 0x0301 : 0x0303);
            sim_pcap_put16(b, (guint16)(r->len - 5));
            trace_tls_fragment(b, &t, r);
        }
        /* The records add up to the message; never more, never less. */
        g_byte_array_set_size(b, start + m->len);
        return;
    }
    const SimSipMsg *sip = sim_sip_msg_check(m);
    if (sip) {
        g_autofree char *text = sim_sip_msg_to_text(sip);
        g_byte_array_append(b, (const guint8 *)text, m->len);
        return;
    }
    put_fill(b, m->len);
}

/* ---- protocols -------------------------------------------------------- */

static guint
trace_mtu(SimPcapTrace *tr, SimIp a, SimIp b)
{
    guint mtu = sim_net_path(tr->net, a, b)->mtu;
    return mtu ? mtu : 1500;
}

/* The TCP segment of @pkt into tr->pkt (IPv4 header included). */
static void
trace_tcp(SimPcapTrace *tr, const SimPacket *pkt, const SimPktInfo *d,
          SimNetCapPoint where)
{
    TraceFlow *f = trace_flow(tr, pkt->src, pkt->sport, pkt->dst, pkt->dport);
    TraceFlow *back = trace_flow(tr, pkt->dst, pkt->dport, pkt->src,
                                 pkt->sport);
    guint8 fl = d->tcp_flags;
    if (where == SIM_NET_CAP_SEND) {
        /* A new connection on a port pair that carried one. */
        if ((fl & (SIM_PKT_TCP_SYN | SIM_PKT_TCP_ACK)) == SIM_PKT_TCP_SYN &&
            (f->closed || back->closed)) {
            f->gen++;
            back->gen = f->gen;
            f->closed = back->closed = FALSE;
        }
        if (fl & (SIM_PKT_TCP_FIN | SIM_PKT_TCP_RST))
            f->closed = TRUE;
    }
    guint opts = fl & SIM_PKT_TCP_SYN ? TRACE_TCP_SYN_OPTS
                 : fl & SIM_PKT_TCP_RST ? 0
                                        : TRACE_TCP_TS_OPTS;
    guint total = 20 + 20 + opts + d->len;
    GByteArray *b = tr->pkt;
    trace_ipv4(b, pkt->src, pkt->dst, IPPROTO_TCP_, total, 0, 0x4000);
    sim_pcap_put16(b, pkt->sport);
    sim_pcap_put16(b, pkt->dport);
    sim_pcap_put32(b, trace_isn(f) + (guint32)d->seq);
    sim_pcap_put32(b, fl & SIM_PKT_TCP_ACK ? trace_isn(back) + (guint32)d->ack : 0);
    sim_pcap_put8(b, (guint8)(((20 + opts) / 4) << 4));
    sim_pcap_put8(b, fl);
    sim_pcap_put16(b, 65535);
    sim_pcap_put16(b, 0);
    sim_pcap_put16(b, 0);
    guint32 tsval = (guint32)(d->tsval / 1000000u);
    guint32 tsecr = (guint32)(d->tsecr / 1000000u);
    if (opts == TRACE_TCP_SYN_OPTS) {
        guint mss = trace_mtu(tr, pkt->src, pkt->dst);
        mss = mss > 40 + 64 ? mss - 40 : 64;
        sim_pcap_put8(b, 2); /* MSS */
        sim_pcap_put8(b, 4);
        sim_pcap_put16(b, (guint16)mss);
        sim_pcap_put8(b, 1); /* NOP, NOP */
        sim_pcap_put8(b, 1);
        sim_pcap_put8(b, 8); /* timestamps */
        sim_pcap_put8(b, 10);
        sim_pcap_put32(b, tsval);
        sim_pcap_put32(b, fl & SIM_PKT_TCP_ACK ? tsecr : 0);
        sim_pcap_put8(b, 1); /* NOP */
        sim_pcap_put8(b, 3); /* window scale */
        sim_pcap_put8(b, 3);
        sim_pcap_put8(b, TRACE_TCP_WSCALE);
    } else if (opts == TRACE_TCP_TS_OPTS) {
        sim_pcap_put8(b, 1);
        sim_pcap_put8(b, 1);
        sim_pcap_put8(b, 8);
        sim_pcap_put8(b, 10);
        sim_pcap_put32(b, tsval);
        sim_pcap_put32(b, tsecr);
    }
    if (d->len) {
        /* Stream bytes [seq, seq + len): zeros for any already dropped. */
        guint64 off = d->seq ? d->seq - 1 : 0;
        guint32 gone = off < f->base
                           ? (guint32)MIN(f->base - off, (guint64)d->len)
                           : 0;
        put_zero(b, gone);
        off += gone;
        guint64 at = off - f->base;
        guint64 have = f->bytes->len > at ? f->bytes->len - at : 0;
        guint32 n = (guint32)MIN(have, (guint64)(d->len - gone));
        if (n)
            g_byte_array_append(b, f->bytes->data + at, n);
        put_zero(b, d->len - gone - n);
    }
    /* What the peer acknowledged is never sent again. */
    if (where == SIM_NET_CAP_SEND && (fl & SIM_PKT_TCP_ACK) &&
        d->ack > back->base + TRACE_TRIM + TRACE_TRIM_KEEP + 1) {
        guint64 upto = MIN(d->ack - 1 - TRACE_TRIM_KEEP,
                           back->base + back->bytes->len);
        g_byte_array_remove_range(back->bytes, 0,
                                  (guint)(upto - back->base));
        back->base = upto;
    }
    /* Once both directions have closed, an ACK frees all it covers at
     * once (with a FIN counted as one sequence number): a capture of many
     * short connections must not keep every one's bytes to the end. */
    if (where == SIM_NET_CAP_SEND && (fl & SIM_PKT_TCP_ACK) && f->closed &&
        back->closed && back->bytes->len && d->ack > back->base + 1) {
        guint64 upto = MIN(d->ack - 1, back->base + back->bytes->len);
        if (upto == back->base + back->bytes->len) {
            g_byte_array_unref(back->bytes);
            back->bytes = g_byte_array_new();
        } else {
            g_byte_array_remove_range(back->bytes, 0,
                                      (guint)(upto - back->base));
        }
        back->base = upto;
    }
}

/* Appends the chunk @c to tr->pkt. */
static void
trace_sctp_chunk(SimPcapTrace *tr, const SimPktChunk *c)
{
    GByteArray *b = tr->pkt;
    guint start = b->len;
    guint16 len = (guint16)c->size;
    sim_pcap_put8(b, (guint8)c->type);
    sim_pcap_put8(b, c->flags);
    guint len_at = b->len;
    sim_pcap_put16(b, 0);
    switch (c->type) {
    case SIM_PKT_SCTP_DATA: {
        len = (guint16)(16 + c->len);
        sim_pcap_put32(b, c->tsn);
        sim_pcap_put16(b, c->stream);
        sim_pcap_put16(b, c->ssn);
        sim_pcap_put32(b, 0); /* payload protocol identifier */
        g_byte_array_set_size(tr->msgbuf, 0);
        if (c->msg)
            trace_render_msg(tr->msgbuf, c->msg);
        /* Whole message, first fragment, last fragment, or a middle one
         * (filler). */
        guint mlen = tr->msgbuf->len;
        if ((c->flags & 0x03) == 0x03 && mlen == c->len)
            g_byte_array_append(b, tr->msgbuf->data, mlen);
        else if ((c->flags & 0x02) && mlen >= c->len)
            g_byte_array_append(b, tr->msgbuf->data, c->len);
        else if ((c->flags & 0x01) && mlen >= c->len)
            g_byte_array_append(b, tr->msgbuf->data + mlen - c->len,
                                c->len);
        else
            put_fill(b, c->len);
        break;
    }
    case SIM_PKT_SCTP_INIT:
    case SIM_PKT_SCTP_INIT_ACK:
        sim_pcap_put32(b, c->tag);
        sim_pcap_put32(b, 106496); /* a_rwnd */
        sim_pcap_put16(b, c->os);
        sim_pcap_put16(b, c->is);
        sim_pcap_put32(b, c->tsn);
        if (c->type == SIM_PKT_SCTP_INIT) {
            sim_pcap_put16(b, 12); /* Supported Address Types: IPv4 */
            sim_pcap_put16(b, 6);
            sim_pcap_put16(b, 5);
            sim_pcap_put16(b, 0);
        } else {
            guint cookie = c->size > 20 + 4 + 12 ? c->size - 20 - 4 - 12 : 0;
            sim_pcap_put16(b, 7); /* State Cookie */
            sim_pcap_put16(b, (guint16)(4 + cookie));
            put_fill(b, cookie);
            sim_pcap_put16(b, 0x8008); /* Supported Extensions: FORWARD-TSN */
            sim_pcap_put16(b, 5);
            sim_pcap_put8(b, 192);
            put_zero(b, 3);
        }
        sim_pcap_put16(b, 0xc000); /* Forward-TSN-Supported */
        sim_pcap_put16(b, 4);
        break;
    case SIM_PKT_SCTP_COOKIE_ECHO:
        put_fill(b, c->size > 4 ? c->size - 4 : 0);
        break;
    case SIM_PKT_SCTP_SACK:
        sim_pcap_put32(b, c->tsn);
        sim_pcap_put32(b, 106496);
        sim_pcap_put16(b, c->ngaps);
        sim_pcap_put16(b, 0);
        for (guint g = 0; g < c->ngaps; g++) {
            sim_pcap_put16(b, c->gap_start[g]);
            sim_pcap_put16(b, c->gap_end[g]);
        }
        break;
    case SIM_PKT_SCTP_SHUTDOWN:
        sim_pcap_put32(b, c->tsn);
        break;
    default:
        break;
    }
    if (c->type != SIM_PKT_SCTP_DATA)
        len = (guint16)(b->len - start);
    set16(b, len_at, len);
    /* Pad to the size the model counts (a multiple of 4). */
    guint want = start + MAX(c->size, (guint32)((len + 3u) & ~3u));
    if (b->len < want)
        put_zero(b, want - b->len);
}

static void
trace_sctp(SimPcapTrace *tr, const SimPacket *pkt, const SimPktInfo *d)
{
    GByteArray *b = tr->pkt;
    trace_ipv4(b, pkt->src, pkt->dst, IPPROTO_SCTP_, 0, 0, 0x4000);
    sim_pcap_put16(b, pkt->sport);
    sim_pcap_put16(b, pkt->dport);
    sim_pcap_put32(b, d->vtag);
    sim_pcap_put32(b, 0);
    for (guint k = 0; k < d->nchunks; k++)
        trace_sctp_chunk(tr, &d->chunks[k]);
    set16(b, 2, (guint16)b->len);
}

/* The IP identification of a fragmented datagram: the next of its
 * source when sent, the same when it arrives. */
static guint16
trace_frag_id(SimPcapTrace *tr, const SimPacket *pkt, SimNetCapPoint where)
{
    gpointer p = (gpointer)pkt;
    if (where == SIM_NET_CAP_DELIVER) {
        guint id = GPOINTER_TO_UINT(g_hash_table_lookup(tr->in_flight_ids,
                                                        p));
        g_hash_table_remove(tr->in_flight_ids, p);
        return (guint16)id;
    }
    gpointer key = GUINT_TO_POINTER(pkt->src);
    guint id = (GPOINTER_TO_UINT(g_hash_table_lookup(tr->ip_ids, key)) + 1) &
               0xffff;
    g_hash_table_replace(tr->ip_ids, key, GUINT_TO_POINTER(id));
    g_hash_table_replace(tr->in_flight_ids, p, GUINT_TO_POINTER(id));
    return (guint16)id;
}

/* Writes one packet (or its IP fragments, identified by @id) to @f. */
static void
trace_emit(SimPcapTrace *tr, TraceFile *f, SimTime when,
           const SimPacket *pkt, const SimPktInfo *d, guint16 id)
{
    if (d->proto != SIM_IPPROTO_UDP) {
        trace_record(tr, f, when, tr->pkt->data, tr->pkt->len);
        return;
    }
    /* UDP: the datagram (its checksum covers all of it), cut into
     * fragments of at most the path MTU, as the model counts them. */
    guint l4 = tr->pkt->len - 20;
    guint mtu = trace_mtu(tr, pkt->src, pkt->dst);
    guint per = (mtu - 20) & ~7u;
    if (l4 <= per) {
        trace_record(tr, f, when, tr->pkt->data, tr->pkt->len);
        return;
    }
    g_autoptr(GByteArray) frag = g_byte_array_new();
    for (guint off = 0; off < l4; off += per) {
        guint n = MIN(per, l4 - off);
        gboolean more = off + n < l4;
        g_byte_array_set_size(frag, 0);
        trace_ipv4(frag, pkt->src, pkt->dst, IPPROTO_UDP_, 20 + n,
                   id, (guint16)((more ? 0x2000 : 0) | off / 8));
        set16(frag, 10, trace_ip_checksum(frag->data));
        g_byte_array_append(frag, tr->pkt->data + 20 + off, n);
        trace_record(tr, f, when, frag->data, frag->len);
    }
}

/* Builds @pkt's bytes into tr->pkt; FALSE if it has nothing to show. */
static gboolean
trace_build(SimPcapTrace *tr, const SimPacket *pkt, SimNetCapPoint where,
            SimPktInfo *d)
{
    if (!sim_packet_describe(pkt, d))
        return FALSE;
    g_byte_array_set_size(tr->pkt, 0);
    switch (d->proto) {
    case SIM_IPPROTO_TCP:
        trace_tcp(tr, pkt, d, where);
        break;
    case SIM_IPPROTO_SCTP:
        trace_sctp(tr, pkt, d);
        break;
    case SIM_IPPROTO_UDP: {
        g_byte_array_set_size(tr->msgbuf, 0);
        if (d->msg)
            trace_render_msg(tr->msgbuf, d->msg);
        guint len = tr->msgbuf->len;
        trace_ipv4(tr->pkt, pkt->src, pkt->dst, IPPROTO_UDP_, 28 + len, 0,
                   0);
        sim_pcap_put16(tr->pkt, pkt->sport);
        sim_pcap_put16(tr->pkt, pkt->dport);
        sim_pcap_put16(tr->pkt, (guint16)(8 + len));
        sim_pcap_put16(tr->pkt, 0);
        g_byte_array_append(tr->pkt, tr->msgbuf->data, len);
        break;
    }
    default:
        return FALSE;
    }
    sim_pcap_fill_checksums(tr->pkt->data, tr->pkt->len);
    return TRUE;
}

/* ---- capture callbacks ------------------------------------------------ */

static void
trace_on_packet(SimNet *net, const SimPacket *pkt, SimNetCapPoint where,
                gpointer data)
{
    SimPcapTrace *tr = data;
    TraceFile *one = tr->file && where == SIM_NET_CAP_SEND ? tr->file : NULL;
    TraceFile *node = g_hash_table_lookup(
        tr->nodes,
        GUINT_TO_POINTER(where == SIM_NET_CAP_SEND ? pkt->src : pkt->dst));
    if (!one && !node)
        return;
    SimPktInfo d;
    if (!trace_build(tr, pkt, where, &d))
        return;
    SimTime now = sim_evq_now(sim_net_ctx(net)->evq);
    guint16 id = 0;
    if (d.proto == SIM_IPPROTO_UDP &&
        tr->pkt->len - 20 > ((trace_mtu(tr, pkt->src, pkt->dst) - 20) & ~7u))
        id = trace_frag_id(tr, pkt, where);
    if (one)
        trace_emit(tr, one, now, pkt, &d, id);
    if (node)
        trace_emit(tr, node, now, pkt, &d, id);
}

static void
trace_on_stream(SimNet *net, const SimNetStreamWrite *w, gpointer data)
{
    SimPcapTrace *tr = data;
    TraceFlow *f = trace_flow(tr, w->src, w->sport, w->dst, w->dport);
    /* Offset 1 again: a new connection on the port pair. */
    if (w->seq <= 1) {
        g_byte_array_set_size(f->bytes, 0);
        f->base = 0;
    }
    guint64 off = w->seq ? w->seq - 1 : 0;
    if (off < f->base)
        return;
    off -= f->base;
    if (f->bytes->len < off)
        put_zero(f->bytes, off - f->bytes->len);
    g_byte_array_set_size(f->bytes, (guint)off);
    trace_render_msg(f->bytes, (const SimMsg *)w->msg);
}

/* ---- API -------------------------------------------------------------- */

/**
 * sim_pcap_trace_new:
 * @net: the network to capture
 * @file: (nullable): one capture point, at the senders, into this file
 * @dir: (nullable): one capture point per node, into DIR/NODE.pcap
 *   (created if needed)
 * @error: return location for a #SIM_PCAP_ERROR
 *
 * Returns: (transfer full) (nullable): a trace, whose file is already
 *   being written (as a temporary file beside it); add the nodes (for
 *   @dir), then install it before the run starts.  %NULL if the file or
 *   folder cannot be created.
 */
SimPcapTrace *
sim_pcap_trace_new(SimNet *net, const char *file, const char *dir,
                   GError **error)
{
    g_autoptr(SimPcapTrace) tr = g_new0(SimPcapTrace, 1);
    tr->net = net;
    tr->cap = (SimNetCapture){ trace_on_packet, trace_on_stream, tr };
    tr->dir = g_strdup(dir);
    tr->nodes = g_hash_table_new(g_direct_hash, g_direct_equal);
    tr->node_files = g_ptr_array_new_with_free_func(trace_file_free);
    tr->flows = g_hash_table_new_full(trace_key_hash, trace_key_equal, NULL,
                                      trace_flow_free);
    tr->ip_ids = g_hash_table_new(g_direct_hash, g_direct_equal);
    tr->in_flight_ids = g_hash_table_new(g_direct_hash, g_direct_equal);
    tr->pkt = g_byte_array_new();
    tr->msgbuf = g_byte_array_new();
    if (file && !(tr->file = trace_file_new(file, "--pcap", error)))
        return NULL;
    if (dir && g_mkdir_with_parents(dir, 0755) != 0) {
        int e = errno;
        g_set_error(error, SIM_PCAP_ERROR, SIM_PCAP_ERROR_WRITE,
                    "--pcap-per-node %s: %s", dir, g_strerror(e));
        return NULL;
    }
    return g_steal_pointer(&tr);
}

/**
 * sim_pcap_trace_add_node:
 * @tr: a trace
 * @ip: a node's address
 * @name: its name (the file DIR/NAME.pcap)
 * @error: return location for a #SIM_PCAP_ERROR
 *
 * Gives the node its own capture point (per-node mode only; nodes sharing
 * an address share the first one's).
 *
 * Returns: %FALSE if its file cannot be created.
 */
gboolean
sim_pcap_trace_add_node(SimPcapTrace *tr, SimIp ip, const char *name,
                        GError **error)
{
    if (!tr->dir || g_hash_table_contains(tr->nodes, GUINT_TO_POINTER(ip)))
        return TRUE;
    g_autofree char *base = g_strdup_printf("%s.pcap", name);
    g_autofree char *path = g_build_filename(tr->dir, base, NULL);
    TraceFile *f = trace_file_new(path, "--pcap-per-node", error);
    if (!f)
        return FALSE;
    g_ptr_array_add(tr->node_files, f);
    g_hash_table_insert(tr->nodes, GUINT_TO_POINTER(ip), f);
    return TRUE;
}

/**
 * sim_pcap_trace_install:
 * @tr: a trace
 *
 * Installs the trace's capture on its network.
 */
void
sim_pcap_trace_install(SimPcapTrace *tr)
{
    sim_net_set_capture(tr->net, &tr->cap);
}

/**
 * sim_pcap_trace_n_packets:
 * @tr: a trace
 *
 * Returns: the records written so far, in every file.
 */
gsize
sim_pcap_trace_n_packets(const SimPcapTrace *tr)
{
    return tr->n;
}

/* Appends the rest of @f and renames it into place. */
static gboolean
trace_file_finish(TraceFile *f, GError **error)
{
    trace_file_spill(f);
    if (!f->err && g_rename(f->tmp, f->path) != 0)
        f->err = errno;
    if (f->err) {
        g_set_error(error, SIM_PCAP_ERROR, SIM_PCAP_ERROR_WRITE, "%s %s: %s",
                    f->opt, f->path, g_strerror(f->err));
        return FALSE;
    }
    g_clear_pointer(&f->tmp, g_free);
    return TRUE;
}

/**
 * sim_pcap_trace_write:
 * @tr: a trace (uninstalled: nothing more is captured)
 * @error: return location for a #SIM_PCAP_ERROR
 *
 * Finishes the capture file and every node's file, each renamed into place
 * whole.
 *
 * Returns: TRUE if everything was written.
 */
gboolean
sim_pcap_trace_write(SimPcapTrace *tr, GError **error)
{
    if (tr->file && !trace_file_finish(tr->file, error))
        return FALSE;
    for (guint i = 0; i < tr->node_files->len; i++)
        if (!trace_file_finish(g_ptr_array_index(tr->node_files, i), error))
            return FALSE;
    return TRUE;
}

/**
 * sim_pcap_trace_free:
 * @tr: (nullable): a trace (uninstall it first, or free the network first)
 */
void
sim_pcap_trace_free(SimPcapTrace *tr)
{
    if (!tr)
        return;
    trace_file_free(tr->file);
    g_free(tr->dir);
    g_hash_table_unref(tr->nodes);
    g_ptr_array_unref(tr->node_files);
    g_hash_table_unref(tr->flows);
    g_hash_table_unref(tr->ip_ids);
    g_hash_table_unref(tr->in_flight_ids);
    g_byte_array_unref(tr->pkt);
    g_byte_array_unref(tr->msgbuf);
    g_free(tr);
}
