/* SPDX-License-Identifier: MIT */
/*
 * Read-only descriptions of the packets the network carries, for a packet
 * capture installed with sim_net_set_capture(): each protocol describes its
 * own payload (TCP segment header fields, SCTP chunk list, UDP datagram),
 * TLS describes the records of a message it handed to TCP or SCTP, and the
 * capture renders them as bytes.  Nothing here changes a model: describing
 * only reads.
 */
#pragma once

#include "models/transport.h"

G_BEGIN_DECLS

/* TCP flags as they appear in the header (RFC 9293 3.1). */
#define SIM_PKT_TCP_FIN 0x01
#define SIM_PKT_TCP_SYN 0x02
#define SIM_PKT_TCP_RST 0x04
#define SIM_PKT_TCP_ACK 0x10

/* SCTP chunk types, with their RFC 9260 3.2 type codes. */
typedef enum {
    SIM_PKT_SCTP_DATA = 0,
    SIM_PKT_SCTP_INIT = 1,
    SIM_PKT_SCTP_INIT_ACK = 2,
    SIM_PKT_SCTP_SACK = 3,
    SIM_PKT_SCTP_ABORT = 6,
    SIM_PKT_SCTP_SHUTDOWN = 7,
    SIM_PKT_SCTP_SHUTDOWN_ACK = 8,
    SIM_PKT_SCTP_COOKIE_ECHO = 10,
    SIM_PKT_SCTP_COOKIE_ACK = 11,
    SIM_PKT_SCTP_SHUTDOWN_COMPLETE = 14,
} SimPktChunkType;

/* Chunks per packet and gap blocks per SACK a description holds. */
#define SIM_PKT_MAX_CHUNKS 8
#define SIM_PKT_MAX_GAPS 4

/* One SCTP chunk (the fields its type uses). */
typedef struct {
    SimPktChunkType type;
    /* Chunk flags as on the wire (DATA: B = 0x02, E = 0x01; ABORT,
     * SHUTDOWN-COMPLETE: T = 0x01). */
    guint8 flags;
    /* Bytes the model counts for the chunk, padding included. */
    guint32 size;
    /* DATA: TSN; SACK, SHUTDOWN: cumulative TSN ack; INIT, INIT-ACK:
     * initial TSN. */
    guint32 tsn;
    /* DATA: stream, stream sequence number, user bytes, the message. */
    guint16 stream, ssn;
    guint32 len;
    const SimMsg *msg;
    /* INIT, INIT-ACK: initiate tag, outbound and inbound streams. */
    guint32 tag;
    guint16 os, is;
    /* SACK: gap blocks, as offsets from the cumulative TSN ack. */
    guint16 ngaps;
    guint16 gap_start[SIM_PKT_MAX_GAPS], gap_end[SIM_PKT_MAX_GAPS];
} SimPktChunk;

/* One packet, as its protocol describes it. */
typedef struct {
    SimIpProto proto;
    /* TCP: SIM_PKT_TCP_* flags, the stream offsets of the first byte (the
     * SYN is offset 0, data starts at 1) and of the cumulative ACK,
     * payload bytes, RFC 7323 TSval and TSecr (simulated times). */
    guint8 tcp_flags;
    guint64 seq, ack;
    guint32 len;
    SimTime tsval, tsecr;
    /* SCTP: verification tag and chunks. */
    guint32 vtag;
    guint nchunks;
    SimPktChunk chunks[SIM_PKT_MAX_CHUNKS];
    /* UDP: the datagram's message. */
    const SimMsg *msg;
} SimPktInfo;

gboolean sim_packet_describe(const SimPacket *pkt, SimPktInfo *out);
void sim_tcp_describe(const SimPacket *pkt, SimPktInfo *out);
void sim_sctp_describe(const SimPacket *pkt, SimPktInfo *out);
void sim_udp_describe(const SimPacket *pkt, SimPktInfo *out);

/* TLS record content types (RFC 8446 5.1). */
#define SIM_TLS_CT_CCS 20
#define SIM_TLS_CT_ALERT 21
#define SIM_TLS_CT_HANDSHAKE 22
#define SIM_TLS_CT_APP 23

/* Handshake message types (RFC 8446 4, RFC 5246 7.4). */
#define SIM_TLS_HS_CLIENT_HELLO 1
#define SIM_TLS_HS_SERVER_HELLO 2
#define SIM_TLS_HS_NEW_SESSION_TICKET 4
#define SIM_TLS_HS_ENCRYPTED_EXTENSIONS 8
#define SIM_TLS_HS_CERTIFICATE 11
#define SIM_TLS_HS_SERVER_KEY_EXCHANGE 12
#define SIM_TLS_HS_CERTIFICATE_REQUEST 13
#define SIM_TLS_HS_SERVER_HELLO_DONE 14
#define SIM_TLS_HS_CERTIFICATE_VERIFY 15
#define SIM_TLS_HS_CLIENT_KEY_EXCHANGE 16
#define SIM_TLS_HS_FINISHED 20

/* Records one message of TLS holds at most. */
#define SIM_TLS_MAX_RECORDS 32

/* One TLS record as it goes on the wire. */
typedef struct {
    /* Outer content type (a TLS 1.3 protected record says application
     * data whatever it hides). */
    guint8 type;
    /* Inner type of a protected TLS 1.3 record; else as type. */
    guint8 inner;
    /* Handshake message type of a handshake record (0 otherwise); for a
     * protected TLS 1.2 Finished this is SIM_TLS_HS_FINISHED too. */
    guint8 hs;
    /* TRUE when the fragment is encrypted. */
    gboolean protected;
    /* Bytes on the wire, the 5-byte header included. */
    guint32 len;
    /* Protected application data: the message it carries. */
    const SimMsg *app;
    /* A plaintext Certificate: the chain it carries (NULL: empty). */
    const SimPkiCreds *creds;
} SimTlsRecordInfo;

/* The records of a TLS message handed to the lower transport. */
typedef struct {
    /* 12 or 13. */
    guint version;
    /* (nullable): a ClientHello's server_name. */
    const char *sni;
    guint n;
    SimTlsRecordInfo rec[SIM_TLS_MAX_RECORDS];
} SimTlsRecords;

gboolean sim_tls_describe(const SimMsg *m, SimTlsRecords *out);

G_END_DECLS
