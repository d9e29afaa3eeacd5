/* SPDX-License-Identifier: MIT */
/*
 * Packet capture of the simulated SIP traffic (`sipreuse run --pcap-sip`): one
 * libpcap record per SIP message handed to a transport, timestamped with
 * the simulated clock.
 */
#pragma once

#include <glib.h>

#include "models/transport.h"

G_BEGIN_DECLS

#define SIM_PCAP_ERROR (sim_pcap_error_quark())
GQuark sim_pcap_error_quark(void);

typedef enum {
    SIM_PCAP_ERROR_FAILED,
    /* The capture file could not be written. */
    SIM_PCAP_ERROR_WRITE,
} SimPcapError;

typedef struct _SimPcap SimPcap;

SimPcap *sim_pcap_new(void);
void sim_pcap_free(SimPcap *pc);
void sim_pcap_add(SimPcap *pc, SimTime when, const SimTuple *src,
                  const SimTuple *dst, guint stream, const char *text,
                  gsize len);
gsize sim_pcap_n_records(const SimPcap *pc);
void sim_pcap_fill_checksums(guint8 *pkt, guint total);
gboolean sim_pcap_write(const SimPcap *pc, const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimPcap, sim_pcap_free)

/* Byte writers shared by the capture writers (pcap.c, pcap_trace.c):
 * network order, and host order for libpcap's own headers. */
static inline void
sim_pcap_put8(GByteArray *b, guint8 v)
{
    g_byte_array_append(b, &v, 1);
}

static inline void
sim_pcap_put16(GByteArray *b, guint16 v)
{
    guint8 x[2] = { v >> 8, v & 0xff };
    g_byte_array_append(b, x, 2);
}

static inline void
sim_pcap_put32(GByteArray *b, guint32 v)
{
    guint8 x[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff };
    g_byte_array_append(b, x, 4);
}

static inline void
sim_pcap_put32_host(GByteArray *b, guint32 v)
{
    g_byte_array_append(b, (const guint8 *)&v, 4);
}

G_END_DECLS
