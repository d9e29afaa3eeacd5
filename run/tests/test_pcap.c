/* SPDX-License-Identifier: MIT */
/*
 * The packet capture as a second witness.  Every sample topology runs with
 * --pcap-sip; the capture is read back here with a parser of its own (libpcap
 * record headers, IPv4, UDP/TCP/SCTP headers) and, for each node, the SIP
 * requests and responses addressed to it are counted and compared with
 * what the node itself counted (nodes.tsv requests.received and
 * responses.received).  Runs end 20 s after their traffic stops, with
 * calls of 1 s, so that nothing is in flight at the end; the comparison
 * holds for every run that dropped nothing (sip.dropped = 0), which must
 * include every topology without faults.  The capture's own checks: every
 * IPv4 header checksum and TCP/UDP checksum verifies (the ones'
 * complement sum over header and pseudo-header is 0xFFFF), and SCTP
 * DATA chunks use more than one stream when the model spreads calls over
 * streams.
 */
#include "run/laws.h"
#include "run/topo.h"
#include "run/world.h"

#include <glib/gstdio.h>
#include <string.h>

/* What the capture says about one run. */
typedef struct {
    /* Per destination address: requests and responses. */
    GHashTable *requests, *responses;
    /* Packets, and those whose checksums do not verify. */
    guint packets, bad_checksums;
    /* SCTP DATA stream ids seen (a bit per stream below 64). */
    guint64 sctp_streams;
} Capture;

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

/* The 16-bit ones' complement sum of @n bytes, unfolded, added to @sum. */
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

static void
count(GHashTable *t, guint32 ip)
{
    gpointer k = GUINT_TO_POINTER(ip);
    g_hash_table_replace(t, k,
                         GUINT_TO_POINTER(GPOINTER_TO_UINT(
                                              g_hash_table_lookup(t, k)) +
                                          1));
}

/* One IPv4 packet of @len bytes. */
static void
capture_packet(Capture *c, const guint8 *ip, guint len)
{
    g_assert_cmpuint(len, >=, 20);
    g_assert_cmpuint(ip[0], ==, 0x45);
    c->packets++;
    if (!ones_ok(ones_sum(0, ip, 20)))
        c->bad_checksums++;
    guint proto = ip[9];
    guint32 dst = be32(ip + 16);
    const guint8 *l4 = ip + 20;
    guint l4_len = len - 20;
    guint hdr = proto == 17 ? 8 : proto == 6 ? 20 : 28;
    if (proto != 132) {
        guint32 sum = ones_sum(0, ip + 12, 8) + proto + l4_len;
        if (!ones_ok(ones_sum(sum, l4, l4_len)))
            c->bad_checksums++;
    } else {
        guint sid = be16(l4 + 12 + 8);
        c->sctp_streams |= sid < 64 ? G_GUINT64_CONSTANT(1) << sid : 0;
    }
    g_assert_cmpuint(l4_len, >, hdr);
    const char *sip = (const char *)l4 + hdr;
    gboolean response = l4_len - hdr >= 7 && strncmp(sip, "SIP/2.0", 7) == 0;
    count(response ? c->responses : c->requests, dst);
}

/* Reads the capture file @path. */
static void
capture_read(Capture *c, const char *path)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    g_assert_cmpuint(len, >=, 24);
    const guint8 *p = (const guint8 *)data;
    guint32 magic;
    memcpy(&magic, p, 4);
    g_assert_cmpuint(magic, ==, 0xa1b2c3d4u);
    guint32 linktype;
    memcpy(&linktype, p + 20, 4);
    g_assert_cmpuint(linktype, ==, 101);
    for (gsize off = 24; off < len;) {
        guint32 incl;
        g_assert_cmpuint(off + 16, <=, len);
        memcpy(&incl, p + off + 8, 4);
        g_assert_cmpuint(off + 16 + incl, <=, len);
        capture_packet(c, p + off + 16, incl);
        off += 16 + incl;
    }
}

static guint
lookup(GHashTable *t, guint32 ip)
{
    return GPOINTER_TO_UINT(g_hash_table_lookup(t, GUINT_TO_POINTER(ip)));
}

/* Overrides for a run whose calls all end well before it does. */
static GPtrArray *
quiet_end(const SimTopo *t)
{
    GPtrArray *ov = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(ov, g_strdup("simulation.duration=40s"));
    g_ptr_array_add(ov, g_strdup("simulation.warmup=0"));
    for (guint i = 0; i < t->n_traffic; i++) {
        const char *n = t->traffic[i].name;
        g_ptr_array_add(ov, g_strdup_printf("traffic.%s.stop=20s", n));
        g_ptr_array_add(ov, g_strdup_printf("traffic.%s.hold=1s", n));
        g_ptr_array_add(ov, g_strdup_printf("traffic.%s.start=0", n));
    }
    for (guint i = 0; i < t->n_faults; i++) {
        g_ptr_array_add(ov, g_strdup_printf("fault.%s.at=5s",
                                            t->faults[i].name));
        g_ptr_array_add(ov, g_strdup_printf("fault.%s.duration=2s",
                                            t->faults[i].name));
    }
    g_ptr_array_add(ov, NULL);
    return ov;
}

static void
witness(const char *file, const char *protocol, const char *strategy)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) plain = sim_topo_load_full(
        file, NULL, SIM_TOPO_LOAD_CALLER_STRATEGY, &error);
    g_assert_no_error(error);
    g_autoptr(GPtrArray) ov = quiet_end(plain);
    if (protocol) {
        g_ptr_array_remove_index(ov, ov->len - 1);
        g_ptr_array_add(ov, g_strdup_printf("transport.protocol=%s",
                                            protocol));
        g_ptr_array_add(ov, NULL);
    }
    g_autoptr(SimTopo) topo = sim_topo_load_full(
        file, (const char *const *)ov->pdata, SIM_TOPO_LOAD_CALLER_STRATEGY,
        &error);
    g_assert_no_error(error);
    const char *tmp = g_getenv("SIPREUSE_TMPDIR");
    g_autofree char *path = g_strdup_printf("%s/witness-%s-%s.pcap",
                                            tmp ? tmp : g_get_tmp_dir(),
                                            plain->name,
                                            protocol ? protocol : "own");
    SimRunOptions opt = { .strategy = strategy, .pcap_sip = path,
                          .cache_dir = g_getenv("SIPREUSE_CACHE") };
    g_autoptr(SimRunResult) r = sim_world_run(topo, &opt, &error);
    g_assert_no_error(error);
    Capture c = { g_hash_table_new(NULL, NULL), g_hash_table_new(NULL, NULL),
                  0, 0, 0 };
    capture_read(&c, path);
    g_remove(path);
    g_assert_cmpuint(c.packets, >, 0);
    g_assert_cmpuint(c.bad_checksums, ==, 0);
    g_assert_cmpuint(c.packets, <=, r->sip_sent);
    if (r->sip_dropped == 0 && r->sip_in_flight_end == 0) {
        g_test_message("%s over %s: %u packets", plain->name,
                       protocol ? protocol : "its own transport", c.packets);
        for (guint i = 0; i < r->n_nodes; i++) {
            SimIp ip = 0;
            g_assert_true(sim_ip_parse(topo->nodes[i].address, &ip));
            g_assert_cmpuint(lookup(c.requests, ip), ==,
                             r->nodes[i].requests_received);
            g_assert_cmpuint(lookup(c.responses, ip), ==,
                             r->nodes[i].responses_received);
        }
    } else {
        /* Only a run with faults or losses may drop. */
        g_assert_true(plain->n_faults > 0);
    }
    if (protocol && g_str_equal(protocol, "sctp"))
        g_assert_cmpuint(__builtin_popcountll(c.sctp_streams), >, 1);
    g_hash_table_unref(c.requests);
    g_hash_table_unref(c.responses);
}

/* Every sample topology, over its own transport. */
static void
test_samples(void)
{
    const char *src = g_getenv("SIPREUSE_SRCDIR");
    g_autofree char *dir = g_build_filename(src ? src : ".", "topologies",
                                            NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_assert_nonnull(d);
    guint n = 0;
    const char *name;
    while ((name = g_dir_read_name(d))) {
        if (!g_str_has_suffix(name, ".topo"))
            continue;
        g_autofree char *file = g_build_filename(dir, name, NULL);
        witness(file, NULL, NULL);
        n++;
    }
    g_assert_cmpuint(n, >=, 7);
}

/* The trunk over every transport (its strategy where it applies, rfc3261
 * elsewhere); over SCTP, calls use several streams. */
static void
test_transports(void)
{
    const char *src = g_getenv("SIPREUSE_SRCDIR");
    g_autofree char *file = g_build_filename(src ? src : ".", "topologies",
                                             "trunk.topo", NULL);
    static const char *const protos[] = { "udp", "tcp", "sctp", "tls",
                                          "tls-sctp" };
    for (guint i = 0; i < G_N_ELEMENTS(protos); i++)
        witness(file, protos[i], "rfc3261");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("The pcap read back: per-node request and response counts "
                   "equal nodes.tsv, checksums verify, SCTP streams vary.");
    g_test_add_func("/pcap/witness/samples", test_samples);
    g_test_add_func("/pcap/witness/transports", test_transports);
    return g_test_run();
}
