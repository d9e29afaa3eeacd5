/* SPDX-License-Identifier: MIT */
/*
 * Packet trace of everything the simulated network carries (`sipreuse run
 * --pcap FILE`, `--pcap-per-node DIR`): TCP segments, SCTP packets, UDP
 * datagrams and TLS records with real headers, as network simulators'
 * capture helpers write them.  The models hand read-only packet
 * descriptions to the capture installed here (models/capture.h).
 */
#pragma once

#include <glib.h>

#include "models/net.h"

G_BEGIN_DECLS

typedef struct _SimPcapTrace SimPcapTrace;

SimPcapTrace *sim_pcap_trace_new(SimNet *net, const char *file,
                                 const char *dir, GError **error);
gboolean sim_pcap_trace_add_node(SimPcapTrace *tr, SimIp ip,
                                 const char *name, GError **error);
void sim_pcap_trace_install(SimPcapTrace *tr);
gsize sim_pcap_trace_n_packets(const SimPcapTrace *tr);
gboolean sim_pcap_trace_write(SimPcapTrace *tr, GError **error);
void sim_pcap_trace_free(SimPcapTrace *tr);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimPcapTrace, sim_pcap_trace_free)

G_END_DECLS
