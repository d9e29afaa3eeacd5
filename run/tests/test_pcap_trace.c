/* SPDX-License-Identifier: MIT */
/*
 * The packet trace (`run --pcap`, `--pcap-per-node`) as a second witness.
 * Runs of pair.topo over each transport write a trace that a reader of its
 * own, written from the RFCs and not from run/pcap_trace.c, parses back:
 * libpcap with nanosecond timestamps, IPv4 (RFC 791, header checksum), TCP
 * (RFC 9293 header and checksum, RFC 7323 timestamps option), UDP (RFC 768,
 * the checksum over the reassembled datagram), SCTP (RFC 9260 chunks and
 * CRC32c, computed here bit by bit from the reflected Castagnoli
 * polynomial), TLS records (RFC 5246 / RFC 8446 5.1 record header,
 * handshake message headers inside plaintext records) and SIP messages
 * (RFC 3261 7.5: a message ends Content-Length bytes after its blank
 * line).  What it counts is compared with the run's own counters:
 * - TCP: SYNs and SYN-ACKs = handshakes.tcp; data and FIN segments below
 *   the highest sequence already sent = tcp.retransmits, and they carry
 *   the bytes first sent there (also on a connection carrying megabytes,
 *   whose acknowledged bytes the writer drops as it goes); new data always
 *   starts where the direction's stream ends (no hole) and no ACK covers
 *   bytes never sent;
 * - TLS: ClientHello = ServerHello = tls_full + tls_resumed; over TLS 1.2
 *   the server's Certificate messages = tls_full; the stream of each
 *   direction is an exact sequence of records; records holding a SIP
 *   message (TLS 1.2: every application data record) = sip.sent;
 * - SCTP: INIT = COOKIE-ACK = handshakes.sctp; first transmissions of DATA
 *   (by TSN) = sip.sent;
 * - UDP (576-byte MTU, so INVITEs fragment): reassembled datagrams =
 *   sip.sent;
 * - bytes.wire = the frames' bytes, less the 12 timestamp-option bytes the
 *   model does not count on each TCP segment other than SYN and RST;
 *   net.packets = the frames, less the extra fragments of each datagram;
 * - on a lossy path, one capture point per node: each packet is in its
 *   sender's file and, unless lost, its receiver's: the files hold
 *   2 * net.packets - net.lost records.
 */
#include "run/topo.h"
#include "run/world.h"

#include <glib/gstdio.h>
#include <string.h>

/* ---- reading ------------------------------------------------------------ */

static guint32
be32(const guint8 *p)
{
    return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 |
           p[3];
}

static guint
be16(const guint8 *p)
{
    return (guint)p[0] << 8 | p[1];
}

static guint
be24(const guint8 *p)
{
    return (guint)p[0] << 16 | (guint)p[1] << 8 | p[2];
}

/* RFC 1071: the 16-bit ones' complement sum, unfolded. */
static guint32
ones_sum(guint32 sum, const guint8 *p, gsize n)
{
    for (gsize i = 0; i + 1 < n; i += 2)
        sum += be16(p + i);
    if (n & 1)
        sum += (guint32)p[n - 1] << 8;
    return sum;
}

static gboolean
ones_ok(guint32 sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return sum == 0xffff;
}

/* RFC 9260 appendix A: CRC32c, reflected, init and final xor all ones. */
static guint32
crc32c(const guint8 *p, gsize n)
{
    guint32 crc = ~0u;
    for (gsize i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = crc & 1 ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
    }
    return ~crc;
}

/* One direction of a TCP connection. */
typedef struct {
    guint32 isn;
    /* Highest relative sequence number sent + 1 (SYN counts one). */
    guint64 end;
    /* This direction answered a SYN (the acceptor's). */
    gboolean acceptor;
    /* TLS: a ChangeCipherSpec went this way (later handshake records are
     * encrypted). */
    gboolean ccs;
    GByteArray *stream;
    gsize parsed;
} Dir;

typedef enum { MODE_SIP, MODE_TLS } Mode;

typedef struct {
    Mode mode;
    guint tls_version;
    /* Frames, their bytes, TCP frames with the uncounted option. */
    guint frames;
    guint64 bytes;
    guint ts_frames;
    guint bad_ip, bad_l4, bad_crc;
    guint64 last_time;
    gboolean time_backwards;
    /* TCP. */
    guint syn, synack, fin, rst, rexmit, holes, ack_beyond;
    /* Retransmitted bytes that differ from the original's. */
    guint rexmit_diff;
    GHashTable *dirs;
    /* TLS. */
    guint bad_records, records;
    guint client_hello, server_hello, cert_server, cert_client;
    guint app_records, sip_records;
    /* SIP messages and INVITEs found in streams, datagrams or chunks. */
    guint sip, invites, bad_sip;
    /* SCTP. */
    guint init, init_ack, cookie_echo, cookie_ack, sack, shutdown,
        shutdown_ack, shutdown_complete, abort, data, data_first;
    GHashTable *tsns;
    /* UDP. */
    guint datagrams, fragments, fragmented;
    GHashTable *frags;
} Cap;

static guint
key_hash(gconstpointer p)
{
    const guint8 *k = p;
    return (be32(k) * 31u + be32(k + 4)) * 31u + be32(k + 8);
}

static gboolean
key_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, 12) == 0;
}

static void
dir_free(gpointer p)
{
    Dir *d = p;
    g_byte_array_unref(d->stream);
    g_free(d);
}

static void
cap_init(Cap *c, Mode mode, guint tls_version)
{
    memset(c, 0, sizeof *c);
    c->mode = mode;
    c->tls_version = tls_version;
    c->dirs = g_hash_table_new_full(key_hash, key_equal, g_free, dir_free);
    c->tsns = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
                                    NULL);
    c->frags = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
                                     (GDestroyNotify)g_byte_array_unref);
}

static void
cap_clear(Cap *c)
{
    g_hash_table_unref(c->dirs);
    g_hash_table_unref(c->tsns);
    g_hash_table_unref(c->frags);
}

static Dir *
cap_dir(Cap *c, const guint8 *ip, const guint8 *tcp, gboolean reverse)
{
    guint8 *k = g_malloc0(12);
    memcpy(k, ip + (reverse ? 16 : 12), 4);
    memcpy(k + 4, ip + (reverse ? 12 : 16), 4);
    memcpy(k + 8, tcp + (reverse ? 2 : 0), 2);
    memcpy(k + 10, tcp + (reverse ? 0 : 2), 2);
    Dir *d = g_hash_table_lookup(c->dirs, k);
    if (!d) {
        d = g_new0(Dir, 1);
        d->stream = g_byte_array_new();
        g_hash_table_insert(c->dirs, k, d);
    } else {
        g_free(k);
    }
    return d;
}

/* Counts the SIP message starting at @p (@n bytes of it). */
static void
sip_message(Cap *c, const guint8 *p, gsize n)
{
    c->sip++;
    if (n >= 7 && memcmp(p, "INVITE ", 7) == 0)
        c->invites++;
}

/* The length of the SIP message at @p, or 0 if it is not complete in @n
 * bytes (RFC 3261 7.5 and 20.14: Content-Length, or l). */
static gsize
sip_length(const guint8 *p, gsize n)
{
    const char *s = (const char *)p;
    const char *end = g_strstr_len(s, (gssize)n, "\r\n\r\n");
    if (!end)
        return 0;
    gsize head = (gsize)(end - s) + 4;
    gsize body = 0;
    for (const char *l = s; l < end;) {
        const char *eol = g_strstr_len(l, end + 2 - l, "\r\n");
        if (g_ascii_strncasecmp(l, "Content-Length:", 15) == 0)
            body = g_ascii_strtoull(l + 15, NULL, 10);
        else if (g_ascii_strncasecmp(l, "l:", 2) == 0)
            body = g_ascii_strtoull(l + 2, NULL, 10);
        l = eol + 2;
    }
    return head + body <= n ? head + body : 0;
}

/* 1 if @p starts like a SIP message, 0 if it cannot, -1 if its @n bytes
 * are too few to say. */
static int
sip_start_of(const guint8 *p, gsize n)
{
    static const char *const starts[] = { "SIP/2.0 ", "INVITE ", "ACK ",
                                          "BYE ", "CANCEL ", "OPTIONS ",
                                          "REGISTER " };
    int r = 0;
    for (guint i = 0; i < G_N_ELEMENTS(starts); i++) {
        gsize k = strlen(starts[i]);
        if (memcmp(p, starts[i], MIN(n, k)) == 0) {
            if (n >= k)
                return 1;
            r = -1;
        }
    }
    return r;
}

static gboolean
sip_start(const guint8 *p, gsize n)
{
    return sip_start_of(p, n) == 1;
}

/* Handshake messages inside one plaintext handshake record. */
static void
tls_handshake(Cap *c, Dir *d, const guint8 *p, guint n)
{
    for (guint off = 0; off < n;) {
        if (off + 4 > n || off + 4 + be24(p + off + 1) > n) {
            c->bad_records++;
            return;
        }
        switch (p[off]) {
        case 1: c->client_hello++; break;
        case 2: c->server_hello++; break;
        case 11:
            if (d->acceptor)
                c->cert_server++;
            else
                c->cert_client++;
            break;
        default: break;
        }
        off += 4 + be24(p + off + 1);
    }
}

/* Parses the complete records of @d's stream. */
static void
tls_records(Cap *c, Dir *d)
{
    const guint8 *s = d->stream->data;
    while (d->parsed + 5 <= d->stream->len) {
        const guint8 *r = s + d->parsed;
        guint len = be16(r + 3);
        guint ver = be16(r + 1);
        if (r[0] < 20 || r[0] > 23 || (ver != 0x0303 && ver != 0x0301) ||
            len > 16384 + 256) {
            c->bad_records++;
            d->parsed = d->stream->len;
            return;
        }
        if (d->parsed + 5 + len > d->stream->len)
            return;
        c->records++;
        const guint8 *f = r + 5;
        if (r[0] == 20) {
            d->ccs = TRUE;
            if (len != 1 || f[0] != 1)
                c->bad_records++;
        } else if (r[0] == 22 && !(c->tls_version == 12 && d->ccs)) {
            tls_handshake(c, d, f, len);
        } else if (r[0] == 23) {
            c->app_records++;
            guint skip = c->tls_version == 12 ? 8 : 0;
            if (len > skip && sip_start(f + skip, len - skip)) {
                c->sip_records++;
                gsize m = sip_length(f + skip, len - skip);
                if (m)
                    sip_message(c, f + skip, m);
                else
                    c->bad_sip++;
            }
        }
        d->parsed += 5 + len;
    }
}

/* Parses the complete SIP messages of @d's stream. */
static void
sip_stream(Cap *c, Dir *d)
{
    while (d->parsed < d->stream->len) {
        const guint8 *p = d->stream->data + d->parsed;
        gsize n = d->stream->len - d->parsed;
        int start = sip_start_of(p, n);
        if (start < 0)
            return;
        if (!start) {
            c->bad_sip++;
            d->parsed = d->stream->len;
            return;
        }
        gsize m = sip_length(p, n);
        if (!m)
            return;
        sip_message(c, p, m);
        d->parsed += m;
    }
}

static void
cap_tcp(Cap *c, const guint8 *ip, const guint8 *t, guint len)
{
    guint hl = (t[12] >> 4) * 4;
    guint8 fl = t[13];
    guint32 seq = be32(t + 4), ack = be32(t + 8);
    Dir *d = cap_dir(c, ip, t, FALSE);
    Dir *back = cap_dir(c, ip, t, TRUE);
    gboolean syn = fl & 0x02, fin = fl & 0x01, rst = fl & 0x04;
    gboolean has_ack = fl & 0x10;
    if (!syn && !rst) {
        /* Every other segment carries NOP, NOP, timestamps (RFC 7323
         * appendix A layout). */
        if (hl != 32 || t[20] != 1 || t[21] != 1 || t[22] != 8 ||
            t[23] != 10)
            c->bad_l4++;
        c->ts_frames++;
    }
    if (syn) {
        if (has_ack) {
            c->synack++;
            d->acceptor = TRUE;
        } else {
            c->syn++;
        }
        /* A new connection: this direction starts at its ISN. */
        if (d->end == 0 || seq != d->isn) {
            d->isn = seq;
            d->end = 1;
            d->ccs = FALSE;
            g_byte_array_set_size(d->stream, 0);
            d->parsed = 0;
            if (!has_ack)
                d->acceptor = FALSE;
        }
        return;
    }
    if (rst) {
        c->rst++;
        return;
    }
    guint64 rel = (guint32)(seq - d->isn);
    guint plen = len - hl;
    if (has_ack && back->end && (guint32)(ack - back->isn) > back->end)
        c->ack_beyond++;
    if (plen || fin) {
        if (rel < d->end)
            c->rexmit++;
        else if (rel > d->end)
            c->holes++;
    }
    if (plen && rel < d->end && rel >= 1) {
        guint64 upto = MIN(rel + plen, d->end);
        upto = MIN(upto, (guint64)d->stream->len + 1);
        if (upto > rel &&
            memcmp(d->stream->data + rel - 1, t + hl, (gsize)(upto - rel)))
            c->rexmit_diff++;
    }
    if (plen && rel + plen > d->end) {
        if (rel <= d->end) {
            guint skip = (guint)(d->end - rel);
            g_byte_array_append(d->stream, t + hl + skip, plen - skip);
        }
        d->end = MAX(d->end, rel + plen);
        if (c->mode == MODE_TLS)
            tls_records(c, d);
        else
            sip_stream(c, d);
    }
    if (fin) {
        if (rel + plen >= d->end) {
            c->fin++;
            d->end = rel + plen + 1;
        }
    }
}

static void
cap_sctp(Cap *c, guint8 *s, guint len)
{
    guint32 want = (guint32)s[8] | (guint32)s[9] << 8 |
                   (guint32)s[10] << 16 | (guint32)s[11] << 24;
    guint8 save[4];
    memcpy(save, s + 8, 4);
    memset(s + 8, 0, 4);
    if (crc32c(s, len) != want)
        c->bad_crc++;
    memcpy(s + 8, save, 4);
    guint32 vtag = be32(s + 4);
    for (guint off = 12; off < len;) {
        const guint8 *ch = s + off;
        guint clen = be16(ch + 2);
        if (clen < 4 || off + clen > len) {
            c->bad_l4++;
            return;
        }
        switch (ch[0]) {
        case 0: {
            c->data++;
            gint64 *k = g_new(gint64, 1);
            *k = (gint64)((guint64)vtag << 32 | be32(ch + 4));
            if (!g_hash_table_contains(c->tsns, k)) {
                g_hash_table_add(c->tsns, k);
                c->data_first++;
                const guint8 *u = ch + 16;
                gsize n = clen - 16;
                if ((ch[1] & 3) == 3 && c->mode == MODE_SIP) {
                    if (sip_start(u, n) && sip_length(u, n) == n)
                        sip_message(c, u, n);
                    else
                        c->bad_sip++;
                } else if ((ch[1] & 3) == 3) {
                    /* A whole TLS message: its records. */
                    Dir d = { .stream = g_byte_array_new() };
                    g_byte_array_append(d.stream, u, (guint)n);
                    tls_records(c, &d);
                    if (d.parsed != n)
                        c->bad_records++;
                    g_byte_array_unref(d.stream);
                }
            } else {
                g_free(k);
            }
            break;
        }
        case 1: c->init++; break;
        case 2: c->init_ack++; break;
        case 3: c->sack++; break;
        case 6: c->abort++; break;
        case 7: c->shutdown++; break;
        case 8: c->shutdown_ack++; break;
        case 10: c->cookie_echo++; break;
        case 11: c->cookie_ack++; break;
        case 14: c->shutdown_complete++; break;
        default: c->bad_l4++; break;
        }
        off += (clen + 3) & ~3u;
    }
}

/* A whole UDP datagram (reassembled) after the IPv4 header @ip. */
static void
cap_udp(Cap *c, const guint8 *ip, const guint8 *u, guint len)
{
    guint32 sum = ones_sum(0, ip + 12, 8) + 17 + len;
    if (be16(u + 6) && !ones_ok(ones_sum(sum, u, len)))
        c->bad_l4++;
    if (be16(u + 4) != len)
        c->bad_l4++;
    c->datagrams++;
    if (sip_start(u + 8, len - 8) && sip_length(u + 8, len - 8) == len - 8)
        sip_message(c, u + 8, len - 8);
    else
        c->bad_sip++;
}

static void
cap_packet(Cap *c, guint8 *ip, guint len)
{
    g_assert_cmpuint(len, >=, 20);
    g_assert_cmphex(ip[0], ==, 0x45);
    g_assert_cmpuint(be16(ip + 2), ==, len);
    if (!ones_ok(ones_sum(0, ip, 20)))
        c->bad_ip++;
    guint8 proto = ip[9];
    guint8 *l4 = ip + 20;
    guint n = len - 20;
    guint frag = be16(ip + 6);
    if (proto == 17 && (frag & 0x3fff)) {
        /* A fragment: gather by (source, id) until the last one. */
        c->fragments++;
        gint64 k = (gint64)((guint64)be32(ip + 12) << 16 | be16(ip + 4));
        GByteArray *b = g_hash_table_lookup(c->frags, &k);
        if (!b) {
            b = g_byte_array_new();
            g_hash_table_insert(c->frags, g_memdup2(&k, sizeof k), b);
        }
        g_assert_cmpuint((frag & 0x1fff) * 8, ==, b->len);
        g_byte_array_append(b, l4, n);
        if (!(frag & 0x2000)) {
            c->fragmented++;
            cap_udp(c, ip, b->data, b->len);
            g_hash_table_remove(c->frags, &k);
        }
        return;
    }
    if (proto == 6) {
        guint32 sum = ones_sum(0, ip + 12, 8) + 6 + n;
        if (!ones_ok(ones_sum(sum, l4, n)))
            c->bad_l4++;
        cap_tcp(c, ip, l4, n);
    } else if (proto == 17) {
        cap_udp(c, ip, l4, n);
    } else if (proto == 132) {
        cap_sctp(c, l4, n);
    } else {
        c->bad_l4++;
    }
}

/* Reads a trace; returns its records. */
static guint
cap_read(Cap *c, const char *path)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    g_assert_cmpuint(len, >=, 24);
    guint8 *p = (guint8 *)data;
    guint32 magic, linktype;
    memcpy(&magic, p, 4);
    memcpy(&linktype, p + 20, 4);
    g_assert_cmphex(magic, ==, 0xa1b23c4du); /* nanosecond timestamps */
    g_assert_cmpuint(linktype, ==, 101);     /* raw IPv4 */
    guint n = 0;
    c->last_time = 0;
    for (gsize off = 24; off < len;) {
        guint32 h[4];
        g_assert_cmpuint(off + 16, <=, len);
        memcpy(h, p + off, 16);
        g_assert_cmpuint(h[1], <, 1000000000u);
        g_assert_cmpuint(h[2], ==, h[3]);
        g_assert_cmpuint(off + 16 + h[2], <=, len);
        guint64 t = (guint64)h[0] * 1000000000u + h[1];
        if (t < c->last_time)
            c->time_backwards = TRUE;
        c->last_time = t;
        c->frames++;
        c->bytes += h[2];
        cap_packet(c, p + off + 16, h[2]);
        off += 16 + h[2];
        n++;
    }
    return n;
}

/* ---- runs ---------------------------------------------------------------- */

static double
extra(const SimRunResult *r, const char *name)
{
    for (guint i = 0; i < r->extra_names->len; i++)
        if (g_str_equal(g_array_index(r->extra_names, char *, i), name))
            return g_array_index(r->extra_values, double, i);
    g_assert_not_reached();
    return 0;
}

/* Runs pair.topo with @sets (NULL-terminated) and the quiet end of
 * test_pcap.c (calls of 1 s stopping at 20 s, 40 s in all), tracing into
 * @file and/or @dir. */
static SimRunResult *
run_pair(const char *strategy, const char *const *sets, const char *file,
         const char *dir)
{
    const char *src = g_getenv("SIPREUSE_SRCDIR");
    g_autofree char *path = g_build_filename(src ? src : ".", "topologies",
                                             "pair.topo", NULL);
    g_autoptr(GPtrArray) ov = g_ptr_array_new();
    static const char *const quiet[] = {
        "simulation.duration=40s", "simulation.warmup=0",
        "traffic.*.stop=20s",      "traffic.*.hold=1s",
        "traffic.*.rate=0.5",
    };
    for (guint i = 0; i < G_N_ELEMENTS(quiet); i++)
        g_ptr_array_add(ov, (gpointer)quiet[i]);
    for (guint i = 0; sets && sets[i]; i++)
        g_ptr_array_add(ov, (gpointer)sets[i]);
    g_ptr_array_add(ov, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) topo = sim_topo_load_full(
        path, (const char *const *)ov->pdata, SIM_TOPO_LOAD_CALLER_STRATEGY,
        &error);
    g_assert_no_error(error);
    SimRunOptions opt = { .strategy = strategy, .pcap = file,
                          .pcap_dir = dir,
                          .cache_dir = g_getenv("SIPREUSE_CACHE") };
    SimRunResult *r = sim_world_run(topo, &opt, &error);
    g_assert_no_error(error);
    return r;
}

static char *
scratch(const char *name)
{
    const char *tmp = g_getenv("SIPREUSE_TMPDIR");
    return g_strdup_printf("%s/trace-%s", tmp ? tmp : g_get_tmp_dir(), name);
}

/* The checks every trace passes, and the byte and packet witnesses. */
static void
check_common(const Cap *c, const SimRunResult *r)
{
    g_assert_cmpuint(c->frames, >, 0);
    g_assert_cmpuint(c->bad_ip, ==, 0);
    g_assert_cmpuint(c->bad_l4, ==, 0);
    g_assert_cmpuint(c->bad_crc, ==, 0);
    g_assert_false(c->time_backwards);
    g_assert_cmpuint(c->holes, ==, 0);
    g_assert_cmpuint(c->rexmit_diff, ==, 0);
    g_assert_cmpuint(c->ack_beyond, ==, 0);
    g_assert_cmpuint(c->bad_records, ==, 0);
    g_assert_cmpuint(c->bad_sip, ==, 0);
    /* Every frame's bytes are counted, the TCP timestamps option on
     * every segment included (ts_frames counts those that carry it). */
    g_assert_cmpuint(c->bytes, ==, r->bytes_wire);
    /* Each datagram cut in k fragments adds k - 1 frames. */
    guint extra_frags = c->fragments - c->fragmented;
    g_assert_cmpfloat(c->frames - extra_frags, ==, extra(r, "net.packets"));
}

/* A run that lost nothing and left nothing in flight. */
static void
check_clean(const SimRunResult *r)
{
    g_assert_cmpuint(r->sip_sent, >, 0);
    g_assert_cmpuint(r->sip_dropped, ==, 0);
    g_assert_cmpuint(r->sip_in_flight_end, ==, 0);
    g_assert_cmpuint(r->handshakes_failed, ==, 0);
    g_assert_cmpfloat(extra(r, "net.lost"), ==, 0);
}

static void
check_tcp_witness(const Cap *c, const SimRunResult *r)
{
    g_assert_cmpuint(c->syn, >, 0);
    g_assert_cmpuint(c->syn, ==, r->handshakes_tcp);
    g_assert_cmpuint(c->synack, ==, r->handshakes_tcp);
    g_assert_cmpfloat(c->rexmit, ==, extra(r, "tcp.retransmits"));
}

/* TCP, per-transaction: every call opens and closes connections. */
static void
test_tcp(void)
{
    g_autofree char *f = scratch("tcp.pcap");
    const char *sets[] = { "transport.protocol=tcp", NULL };
    g_autoptr(SimRunResult) r = run_pair("per-transaction", sets, f, NULL);
    Cap c;
    cap_init(&c, MODE_SIP, 0);
    cap_read(&c, f);
    g_remove(f);
    check_common(&c, r);
    check_clean(r);
    check_tcp_witness(&c, r);
    g_assert_cmpuint(c.sip, ==, r->sip_sent);
    g_assert_cmpuint(c.invites, ==, r->calls_attempted);
    /* Both ends of every closed connection sent one FIN. */
    g_assert_cmpuint(c.fin, ==, 2 * r->connections_closed_run);
    g_test_message("tcp: %u frames, %u SYN, %u FIN, %u SIP", c.frames, c.syn,
                   c.fin, c.sip);
    cap_clear(&c);
}

static void
tls_run(const char *version, const char *strategy)
{
    g_autofree char *name = g_strdup_printf("tls%s-%s.pcap", version,
                                            strategy);
    g_autofree char *f = scratch(name);
    g_autofree char *v = g_strdup_printf("transport.tls-version=%s",
                                         version);
    const char *sets[] = { "transport.protocol=tls", v, NULL };
    g_autoptr(SimRunResult) r = run_pair(strategy, sets, f, NULL);
    Cap c;
    cap_init(&c, MODE_TLS, g_str_equal(version, "1.2") ? 12 : 13);
    cap_read(&c, f);
    g_remove(f);
    check_common(&c, r);
    check_clean(r);
    check_tcp_witness(&c, r);
    guint64 hs = r->handshakes_tls_full + r->handshakes_tls_resumed;
    g_assert_cmpuint(hs, >, 0);
    g_assert_cmpuint(c.client_hello, ==, hs);
    g_assert_cmpuint(c.server_hello, ==, hs);
    g_assert_cmpuint(c.sip_records, ==, r->sip_sent);
    g_assert_cmpuint(c.sip, ==, r->sip_sent);
    g_assert_cmpuint(c.invites, ==, r->calls_attempted);
    if (c.tls_version == 12) {
        g_assert_cmpuint(c.cert_server, ==, r->handshakes_tls_full);
        /* Every application data record is a SIP message. */
        g_assert_cmpuint(c.app_records, ==, r->sip_sent);
    } else {
        /* TLS 1.3 encrypts the certificates. */
        g_assert_cmpuint(c.cert_server + c.cert_client, ==, 0);
    }
    g_test_message("tls %s %s: %u frames, %u records, %" G_GUINT64_FORMAT
                   " full + %" G_GUINT64_FORMAT " resumed",
                   version, strategy, c.frames, c.records,
                   r->handshakes_tls_full, r->handshakes_tls_resumed);
    cap_clear(&c);
}

/* TLS 1.2 and 1.3 over TCP, full and resumed handshakes (per-transaction
 * resumes), and one long connection (reuse). */
static void
test_tls(void)
{
    tls_run("1.2", "per-transaction");
    tls_run("1.3", "per-transaction");
    tls_run("1.2", "reuse");
    tls_run("1.3", "reuse");
}

static void
sctp_run(const char *protocol)
{
    g_autofree char *name = g_strdup_printf("%s.pcap", protocol);
    g_autofree char *f = scratch(name);
    g_autofree char *p = g_strdup_printf("transport.protocol=%s", protocol);
    const char *sets[] = { p, NULL };
    gboolean tls = g_str_equal(protocol, "tls-sctp");
    g_autoptr(SimRunResult) r = run_pair(tls ? "per-transaction" : "rfc3261",
                                         sets, f, NULL);
    Cap c;
    cap_init(&c, tls ? MODE_TLS : MODE_SIP, 13);
    cap_read(&c, f);
    g_remove(f);
    check_common(&c, r);
    check_clean(r);
    g_assert_cmpuint(c.init, >, 0);
    g_assert_cmpuint(c.init, ==, r->handshakes_sctp);
    g_assert_cmpuint(c.init_ack, ==, r->handshakes_sctp);
    g_assert_cmpuint(c.cookie_echo, ==, r->handshakes_sctp);
    g_assert_cmpuint(c.cookie_ack, ==, r->handshakes_sctp);
    g_assert_cmpuint(c.sack, >, 0);
    g_assert_cmpuint(c.sip, ==, r->sip_sent);
    g_assert_cmpuint(c.invites, ==, r->calls_attempted);
    if (tls) {
        guint64 hs = r->handshakes_tls_full + r->handshakes_tls_resumed;
        g_assert_cmpuint(c.client_hello, ==, hs);
        g_assert_cmpuint(c.server_hello, ==, hs);
        /* Per-transaction closes associations: SHUTDOWN, its ACK and
         * COMPLETE. */
        g_assert_cmpuint(c.shutdown, >, 0);
        g_assert_cmpuint(c.shutdown_ack, >, 0);
        g_assert_cmpuint(c.shutdown_complete, >, 0);
    } else {
        g_assert_cmpuint(c.data_first, ==, r->sip_sent);
    }
    g_test_message("%s: %u frames, %u INIT, %u DATA, %u SACK", protocol,
                   c.frames, c.init, c.data, c.sack);
    cap_clear(&c);
}

static void
test_sctp(void)
{
    sctp_run("sctp");
    sctp_run("tls-sctp");
}

/* UDP on a 576-byte MTU: INVITEs with SDP go as IP fragments. */
static void
test_udp(void)
{
    g_autofree char *f = scratch("udp.pcap");
    const char *sets[] = { "transport.protocol=udp", "network.mtu=576",
                           NULL };
    g_autoptr(SimRunResult) r = run_pair("rfc3261", sets, f, NULL);
    Cap c;
    cap_init(&c, MODE_SIP, 0);
    cap_read(&c, f);
    g_remove(f);
    check_common(&c, r);
    check_clean(r);
    g_assert_cmpuint(c.fragments, >, 0);
    g_assert_cmpuint(c.datagrams, ==, r->sip_sent);
    g_assert_cmpuint(c.sip, ==, r->sip_sent);
    g_assert_cmpuint(c.invites, ==, r->calls_attempted);
    g_assert_cmpuint(g_hash_table_size(c.frags), ==, 0);
    g_test_message("udp: %u frames, %u datagrams, %u fragments", c.frames,
                   c.datagrams, c.fragments);
    cap_clear(&c);
}

/* A lossy path over TCP: retransmissions in the trace are the model's; per
 * node, a lost packet is only in its sender's file. */
static void
test_lossy(void)
{
    g_autofree char *f = scratch("lossy.pcap");
    g_autofree char *dir = scratch("lossy-nodes");
    const char *sets[] = { "transport.protocol=tcp", "network.loss=0.03",
                           "traffic.*.rate=2", NULL };
    g_autoptr(SimRunResult) r = run_pair("per-transaction", sets, f, dir);
    g_assert_cmpfloat(extra(r, "net.lost"), >, 0);
    g_assert_cmpfloat(extra(r, "tcp.retransmits"), >, 0);
    Cap c;
    cap_init(&c, MODE_SIP, 0);
    cap_read(&c, f);
    g_remove(f);
    check_common(&c, r);
    g_assert_cmpfloat(c.rexmit, ==, extra(r, "tcp.retransmits"));
    g_assert_cmpuint(c.rexmit, >, 0);
    cap_clear(&c);
    /* Per node: sends plus arrivals. */
    guint records = 0;
    static const char *const nodes[] = { "A", "B" };
    for (guint i = 0; i < G_N_ELEMENTS(nodes); i++) {
        g_autofree char *base = g_strdup_printf("%s.pcap", nodes[i]);
        g_autofree char *path = g_build_filename(dir, base, NULL);
        Cap n;
        cap_init(&n, MODE_SIP, 0);
        records += cap_read(&n, path);
        g_assert_cmpuint(n.bad_ip + n.bad_l4, ==, 0);
        g_assert_false(n.time_backwards);
        cap_clear(&n);
        g_remove(path);
    }
    g_rmdir(dir);
    g_assert_cmpfloat(records, ==,
                      2 * extra(r, "net.packets") - extra(r, "net.lost"));
    g_test_message("lossy tcp: %u frames, %u retransmissions, %.0f lost",
                   c.frames, c.rexmit, extra(r, "net.lost"));
}

/* A long-lived connection carrying megabytes over a lossy path: the
 * writer drops acknowledged stream bytes as it goes, and every segment,
 * retransmissions included, still carries the right bytes (each stream
 * parses as whole SIP messages to its end). */
static void
test_long(void)
{
    g_autofree char *f = scratch("long.pcap");
    const char *sets[] = { "transport.protocol=tcp", "network.loss=0.01",
                           "traffic.*.rate=40", "traffic.*.count=1000",
                           NULL };
    g_autoptr(SimRunResult) r = run_pair("rfc3261", sets, f, NULL);
    Cap c;
    cap_init(&c, MODE_SIP, 0);
    cap_read(&c, f);
    g_remove(f);
    check_common(&c, r);
    g_assert_cmpfloat(c.rexmit, ==, extra(r, "tcp.retransmits"));
    g_assert_cmpuint(c.rexmit, >, 0);
    /* More than the writer keeps per direction. */
    g_assert_cmpuint(c.bytes, >, 4 * 1024 * 1024);
    g_assert_cmpuint(c.sip, >=, r->sip_delivered);
    g_test_message("long tcp: %u frames, %" G_GUINT64_FORMAT " bytes, %u SIP",
                   c.frames, c.bytes, c.sip);
    cap_clear(&c);
}

/* The same run gives the same trace, byte for byte. */
static void
test_deterministic(void)
{
    g_autofree char *a = scratch("det-a.pcap");
    g_autofree char *b = scratch("det-b.pcap");
    g_autoptr(SimRunResult) r1 = run_pair(NULL, NULL, a, NULL);
    g_autoptr(SimRunResult) r2 = run_pair(NULL, NULL, b, NULL);
    g_autofree char *x = NULL, *y = NULL;
    gsize nx = 0, ny = 0;
    g_assert_true(g_file_get_contents(a, &x, &nx, NULL));
    g_assert_true(g_file_get_contents(b, &y, &ny, NULL));
    g_assert_cmpmem(x, nx, y, ny);
    g_remove(a);
    g_remove(b);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("The packet trace read back by a parser of its own: "
                   "checksums, TCP sequence continuity, TLS record framing, "
                   "SCTP chunks, and counts equal to the run's counters");
    g_test_add_func("/pcap-trace/tcp", test_tcp);
    g_test_add_func("/pcap-trace/tls", test_tls);
    g_test_add_func("/pcap-trace/sctp", test_sctp);
    g_test_add_func("/pcap-trace/udp", test_udp);
    g_test_add_func("/pcap-trace/lossy", test_lossy);
    g_test_add_func("/pcap-trace/long", test_long);
    g_test_add_func("/pcap-trace/deterministic", test_deterministic);
    return g_test_run();
}
