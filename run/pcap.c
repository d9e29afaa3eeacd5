/* SPDX-License-Identifier: MIT */
/*
 * Packet capture of the simulated SIP traffic in the classic libpcap format
 * with LINKTYPE_RAW (bare IPv4), so tcpdump, tshark and Wireshark read it
 * as they are.  Each SIP message handed to a transport becomes one IPv4
 * packet carrying its RFC 3261 text: a UDP datagram over UDP, a TCP segment
 * (PSH|ACK, sequence numbers counting the SIP bytes of each direction of
 * each connection) over TCP and TLS, an SCTP DATA chunk (RFC 9260 3.3.1,
 * on the message's stream, TSN per direction and stream sequence per
 * direction and stream) over SCTP and TLS-SCTP.  TLS payloads are written as the SIP they protect (as if
 * decrypted), which is what a study of the signalling needs; handshakes,
 * ACKs and retransmissions are the transports' business and are not
 * written.  Every checksum is valid, so replay tools and Wireshark's
 * checksum validation accept the capture: the IPv4 header checksum and the
 * TCP and UDP checksums (RFC 791, RFC 9293 3.1 and RFC 768: the ones'
 * complement sum over a pseudo-header and the segment) and SCTP's CRC32c
 * (RFC 9260 6.8 and appendix A).  The capture is built in memory and
 * written atomically.
 */
#define G_LOG_DOMAIN "sim-pcap"

#include "run/pcap.h"

#include <string.h>

#define PCAP_MAGIC 0xa1b2c3d4u
#define PCAP_SNAPLEN 262144u
#define PCAP_LINKTYPE_RAW 101u
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_SCTP_ 132

/* One direction of a connection, as both ends see it. */
typedef struct {
    guint32 src, dst;
    guint16 sport, dport;
} PcapFlowKey;

/* SCTP streams whose sequence numbers a flow keeps (RFC 4168 lets SIP
 * ask for up to 65535; the model asks for a few). */
#define PCAP_SCTP_STREAMS 256

/* Per direction of a connection: the next TCP sequence number or SCTP
 * TSN, and each SCTP stream's next stream sequence number. */
typedef struct {
    PcapFlowKey key;
    guint32 seq;
    guint16 ssn[PCAP_SCTP_STREAMS];
} PcapFlow;

struct _SimPcap {
    /* The file's bytes after the global header. */
    GByteArray *buf;
    /* Records written. */
    gsize n;
    /* PcapFlow by its key (looked up only, never iterated). */
    GHashTable *flows;
};

G_DEFINE_QUARK(sim-pcap-error-quark, sim_pcap_error)

static guint
pcap_flow_hash(gconstpointer p)
{
    const PcapFlowKey *k = p;
    return (k->src * 31u + k->dst) * 31u + ((guint)k->sport << 16 | k->dport);
}

static gboolean
pcap_flow_equal(gconstpointer a, gconstpointer b)
{
    const PcapFlowKey *x = a, *y = b;
    return x->src == y->src && x->dst == y->dst && x->sport == y->sport &&
           x->dport == y->dport;
}

/**
 * sim_pcap_new:
 *
 * Returns: (transfer full): an empty capture.
 */
SimPcap *
sim_pcap_new(void)
{
    SimPcap *pc = g_new0(SimPcap, 1);
    pc->buf = g_byte_array_new();
    pc->flows = g_hash_table_new_full(pcap_flow_hash, pcap_flow_equal, NULL,
                                      g_free);
    return pc;
}

/**
 * sim_pcap_free:
 * @pc: (nullable): a capture
 */
void
sim_pcap_free(SimPcap *pc)
{
    if (!pc)
        return;
    g_byte_array_unref(pc->buf);
    g_hash_table_unref(pc->flows);
    g_free(pc);
}

static PcapFlow *
pcap_flow(SimPcap *pc, const SimTuple *src, const SimTuple *dst)
{
    PcapFlowKey key = { src->ip, dst->ip, src->port, dst->port };
    PcapFlow *f = g_hash_table_lookup(pc->flows, &key);
    if (!f) {
        f = g_new0(PcapFlow, 1);
        f->key = key;
        /* Deterministic initial sequence numbers, distinct per flow. */
        f->seq = pcap_flow_hash(&key) * 2654435761u;
        g_hash_table_insert(pc->flows, &f->key, f);
    }
    return f;
}

static guint
pcap_l4_header_len(guint8 proto)
{
    switch (proto) {
    case IPPROTO_UDP_: return 8;
    case IPPROTO_TCP_: return 20;
    default: return 12 + 16; /* SCTP common header + DATA chunk header */
    }
}

static guint8
pcap_proto(SimTransportKind kind)
{
    switch (kind) {
    case SIM_TRANSPORT_UDP: return IPPROTO_UDP_;
    case SIM_TRANSPORT_SCTP:
    case SIM_TRANSPORT_TLS_SCTP: return IPPROTO_SCTP_;
    default: return IPPROTO_TCP_;
    }
}

/* The ones' complement sum of @len bytes at @p (big-endian 16-bit words,
 * an odd last byte padded with zero), added to @sum; not yet folded. */
static guint32
pcap_sum(guint32 sum, const guint8 *p, gsize len)
{
    for (gsize i = 0; i + 1 < len; i += 2)
        sum += (guint32)p[i] << 8 | p[i + 1];
    if (len & 1)
        sum += (guint32)p[len - 1] << 8;
    return sum;
}

/* Folds @sum to 16 bits and complements it (RFC 1071). */
static guint16
pcap_fold(guint32 sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (guint16)~sum;
}

/* CRC32c (Castagnoli, reflected polynomial 0x82F63B78), bit by bit: the
 * capture is written once per run, so a table buys nothing. */
static guint32
pcap_crc32c(const guint8 *p, gsize len)
{
    guint32 crc = 0xffffffffu;
    for (gsize i = 0; i < len; i++) {
        crc ^= p[i];
        for (guint k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
    }
    return ~crc;
}

/**
 * sim_pcap_fill_checksums:
 * @pkt: an IPv4 packet (20-byte header, then the transport header and
 *   payload), checksum fields zero
 * @total: its length
 *
 * Fills in the IPv4 header checksum and the TCP, UDP or SCTP checksum.
 */
void
sim_pcap_fill_checksums(guint8 *pkt, guint total)
{
    guint8 *l4 = pkt + 20;
    guint l4_len = total - 20;
    guint16 ip_sum = pcap_fold(pcap_sum(0, pkt, 20));
    pkt[10] = ip_sum >> 8;
    pkt[11] = ip_sum & 0xff;
    guint8 proto = pkt[9];
    if (proto == IPPROTO_SCTP_) {
        /* RFC 9260 appendix A: the CRC goes in with its least significant
         * byte first. */
        guint32 crc = pcap_crc32c(l4, l4_len);
        for (guint i = 0; i < 4; i++)
            l4[8 + i] = (crc >> (8 * i)) & 0xff;
        return;
    }
    guint off = proto == IPPROTO_TCP_ ? 16 : 6;
    /* Pseudo-header: source, destination, zero, protocol, length. */
    guint32 sum = pcap_sum(0, pkt + 12, 8);
    sum += proto;
    sum += l4_len;
    guint16 c = pcap_fold(pcap_sum(sum, l4, l4_len));
    /* UDP sends a computed 0 as all ones (RFC 768). */
    if (proto == IPPROTO_UDP_ && c == 0)
        c = 0xffff;
    l4[off] = c >> 8;
    l4[off + 1] = c & 0xff;
}

static void
pcap_ipv4(GByteArray *b, const SimTuple *src, const SimTuple *dst,
          guint8 proto, guint total)
{
    sim_pcap_put8(b, 0x45);
    sim_pcap_put8(b, 0);
    sim_pcap_put16(b, total);
    sim_pcap_put16(b, 0);
    sim_pcap_put16(b, 0x4000); /* DF */
    sim_pcap_put8(b, 64);
    sim_pcap_put8(b, proto);
    sim_pcap_put16(b, 0);
    sim_pcap_put32(b, src->ip);
    sim_pcap_put32(b, dst->ip);
}

static void
pcap_l4(SimPcap *pc, guint8 proto, const SimTuple *src, const SimTuple *dst,
        guint stream, guint32 len)
{
    GByteArray *b = pc->buf;
    sim_pcap_put16(b, src->port);
    sim_pcap_put16(b, dst->port);
    if (proto == IPPROTO_UDP_) {
        sim_pcap_put16(b, 8 + len);
        sim_pcap_put16(b, 0);
        return;
    }
    PcapFlow *f = pcap_flow(pc, src, dst);
    PcapFlow *back = pcap_flow(pc, dst, src);
    if (proto == IPPROTO_TCP_) {
        sim_pcap_put32(b, f->seq);
        sim_pcap_put32(b, back->seq);
        sim_pcap_put8(b, 5 << 4);
        sim_pcap_put8(b, 0x18); /* PSH | ACK */
        sim_pcap_put16(b, 65535);
        sim_pcap_put16(b, 0);
        sim_pcap_put16(b, 0);
        f->seq += len;
        return;
    }
    sim_pcap_put32(b, pcap_flow_hash(&f->key)); /* verification tag */
    sim_pcap_put32(b, 0);
    sim_pcap_put8(b, 0);    /* DATA */
    sim_pcap_put8(b, 0x03); /* B | E: a whole message */
    sim_pcap_put16(b, 16 + len);
    sim_pcap_put32(b, f->seq++);
    sim_pcap_put16(b, (guint16)stream);
    sim_pcap_put16(b, f->ssn[stream % PCAP_SCTP_STREAMS]++);
    sim_pcap_put32(b, 0); /* payload protocol identifier: unspecified */
}

/**
 * sim_pcap_add:
 * @pc: a capture
 * @when: simulated time the message was handed to the transport
 * @src: sender's tuple (its transport chooses the IP protocol)
 * @dst: receiver's tuple
 * @stream: the SCTP stream it goes on (0 for other transports)
 * @text: the message's RFC 3261 text
 * @len: its length in bytes
 *
 * Appends one packet carrying @text.
 */
void
sim_pcap_add(SimPcap *pc, SimTime when, const SimTuple *src,
             const SimTuple *dst, guint stream, const char *text, gsize len)
{
    guint8 proto = pcap_proto(src->transport);
    guint hdr = 20 + pcap_l4_header_len(proto);
    gsize pad = (proto == IPPROTO_SCTP_) ? (4 - len % 4) % 4 : 0;
    guint32 total = (guint32)(hdr + len + pad);
    guint64 us = when / 1000;
    sim_pcap_put32_host(pc->buf, (guint32)(us / 1000000));
    sim_pcap_put32_host(pc->buf, (guint32)(us % 1000000));
    sim_pcap_put32_host(pc->buf, total);
    sim_pcap_put32_host(pc->buf, total);
    guint start = pc->buf->len;
    pcap_ipv4(pc->buf, src, dst, proto, total);
    pcap_l4(pc, proto, src, dst, stream, (guint32)len);
    g_byte_array_append(pc->buf, (const guint8 *)text, len);
    static const guint8 zeros[4] = { 0 };
    g_byte_array_append(pc->buf, zeros, pad);
    sim_pcap_fill_checksums(pc->buf->data + start, total);
    pc->n++;
}

/**
 * sim_pcap_n_records:
 * @pc: a capture
 *
 * Returns: how many packets the capture holds.
 */
gsize
sim_pcap_n_records(const SimPcap *pc)
{
    return pc->n;
}

/**
 * sim_pcap_write:
 * @pc: a capture
 * @path: file to write (replaced atomically)
 * @error: return location for a #SIM_PCAP_ERROR
 *
 * Returns: TRUE if the whole capture was written.
 */
gboolean
sim_pcap_write(const SimPcap *pc, const char *path, GError **error)
{
    g_autoptr(GByteArray) file = g_byte_array_sized_new(pc->buf->len + 24);
    sim_pcap_put32_host(file, PCAP_MAGIC);
    guint16 v[2] = { 2, 4 };
    g_byte_array_append(file, (const guint8 *)v, 4);
    sim_pcap_put32_host(file, 0);
    sim_pcap_put32_host(file, 0);
    sim_pcap_put32_host(file, PCAP_SNAPLEN);
    sim_pcap_put32_host(file, PCAP_LINKTYPE_RAW);
    g_byte_array_append(file, pc->buf->data, pc->buf->len);
    g_autoptr(GError) e = NULL;
    if (!g_file_set_contents_full(path, (const char *)file->data, file->len,
                                  G_FILE_SET_CONTENTS_CONSISTENT, 0644, &e)) {
        g_set_error(error, SIM_PCAP_ERROR, SIM_PCAP_ERROR_WRITE,
                    "--pcap-sip %s: %s", path, e->message);
        return FALSE;
    }
    return TRUE;
}
