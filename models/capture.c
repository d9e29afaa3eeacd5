/* SPDX-License-Identifier: MIT */
/*
 * Packet descriptions for a capture: the dispatch to the protocol that owns
 * a packet's payload.  The protocols' describe functions live beside their
 * private payload structs (tcp.c, sctp.c, udp.c; TLS records in tls.c).
 */
#define G_LOG_DOMAIN "sim-capture"

#include "models/capture.h"

#include <string.h>

/**
 * sim_packet_describe:
 * @pkt: a packet the network carries (as a capture callback sees it)
 * @out: (out): its description
 *
 * Returns: %FALSE if the packet has no payload to describe.
 */
gboolean
sim_packet_describe(const SimPacket *pkt, SimPktInfo *out)
{
    memset(out, 0, sizeof *out);
    out->proto = pkt->proto;
    if (!pkt->payload)
        return FALSE;
    switch (pkt->proto) {
    case SIM_IPPROTO_TCP:
        sim_tcp_describe(pkt, out);
        return TRUE;
    case SIM_IPPROTO_SCTP:
        sim_sctp_describe(pkt, out);
        return TRUE;
    case SIM_IPPROTO_UDP:
        sim_udp_describe(pkt, out);
        return TRUE;
    default:
        return FALSE;
    }
}
