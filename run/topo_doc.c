/* SPDX-License-Identifier: MIT */
/*
 * docs/topology.md, generated: `sipreuse check --defaults --format
 * markdown` prints it and `make docs` writes it.  What the loader knows is
 * read from its schema (run/topo_schema.c: group kinds, keys, defaults,
 * units, enumerated values) and from the strategy registry; this file adds
 * only what the schema does not hold: each key's type, range and meaning,
 * and the prose around the tables.  Every key of the schema must have its
 * row here, with a type that carries the unit the loader reads it in, or
 * nothing is printed: a new key cannot reach the reference undocumented.
 */
#define G_LOG_DOMAIN "sim-topo"

#include "run/topo.h"

#include <string.h>

#include "models/strategy/strategy.h"
#include "run/topo_doc.h"
#include "run/topo_priv.h"

/* A key's value type. */
typedef enum {
    DOC_DURATION,
    DOC_BANDWIDTH,
    DOC_RATE,
    DOC_BOOL,
    DOC_INT,
    DOC_ENUM,
    DOC_STRATEGY,
    DOC_NAME,
    DOC_LIST,
    DOC_FILE,
    DOC_PROBABILITY,
    DOC_FRACTION,
    DOC_DATE,
    DOC_TEXT,
    DOC_SRV,
    DOC_NUMBER,
} DocType;

static const char *const doc_type_names[] = {
    [DOC_DURATION] = "duration",
    [DOC_BANDWIDTH] = "bandwidth",
    [DOC_RATE] = "rate",
    [DOC_BOOL] = "boolean",
    [DOC_INT] = "integer",
    [DOC_ENUM] = "one of",
    [DOC_STRATEGY] = "strategy",
    [DOC_NAME] = "name",
    [DOC_LIST] = "list",
    [DOC_FILE] = "file",
    [DOC_PROBABILITY] = "probability",
    [DOC_FRACTION] = "fraction",
    [DOC_DATE] = "date",
    [DOC_TEXT] = "text",
    [DOC_SRV] = "SRV records",
    [DOC_NUMBER] = "number",
};

/* The values of [transport] tls-version (run/topo.c keeps its own). */
static const char *const doc_tls_versions[] = { "1.2", "1.3", NULL };

/* One key's documentation. */
typedef struct {
    const char *kind;
    const char *key;
    DocType type;
    /* DOC_INT: the accepted range. */
    guint64 min, max;
    /* DOC_ENUM: the accepted names. */
    const char *const *names;
    /* (nullable): what values are accepted, beyond the type. */
    const char *values;
    /* What the key does. */
    const char *what;
} DocKey;

#define INT(lo, hi) DOC_INT, (lo), (hi), NULL
#define T(type) (type), 0, 0, NULL
#define ENUM(names) DOC_ENUM, 0, 0, (names)

static const DocKey doc_keys[] = {
    /* [simulation] */
    { "simulation", "duration", T(DOC_DURATION), "positive, at most 365 days",
      "Simulated time of the run. Runs over 10,000 s sample their time "
      "series less often than every second." },
    { "simulation", "warmup", T(DOC_DURATION), "shorter than duration",
      "Statistics ignore what happens before this instant; connection "
      "totals for the whole run are reported apart (`*_run`)." },
    { "simulation", "seed", INT(0, G_MAXUINT64), NULL,
      "Seed of every random stream of the run (`--seed` overrides it)." },
    { "simulation", "strategy", T(DOC_STRATEGY), NULL,
      "The run's connection strategy, when `run` gets no `--strategy`; "
      "`compare` and `sweep` choose their own." },
    { "simulation", "cpu-profile", T(DOC_FILE), "`proxy`, `bare-crypto`, "
      "or a file written by `sipreuse calibrate` (or by hand)",
      "The cost model's figures (CPU per message, connection, record and "
      "handshake; memory per connection; the queue limit) for every node "
      "that sets no cost of its own. `proxy`, the default, stands for a "
      "real SIP proxy; `bare-crypto` charges handshakes only their "
      "public-key operations and nothing but a flat 50 us per message "
      "otherwise. `profiles/` holds both as files." },
    { "simulation", "rate-scale", T(DOC_NUMBER), "positive, at most 1e6",
      "Multiplies the rate of every `[traffic]` group: a load sweep over "
      "several traffic groups varies `simulation.rate-scale` and keeps "
      "their proportions." },
    /* [transport] */
    { "transport", "protocol", ENUM(topo_protocol_names), NULL,
      "The transport every proxy listens on and connects with "
      "(`tls-sctp`: TLS over SCTP, one TLS connection on stream 0)." },
    { "transport", "tls-version", ENUM(doc_tls_versions), NULL,
      "TLS version of `tls` and `tls-sctp` connections." },
    { "transport", "mutual-auth", T(DOC_BOOL), NULL,
      "Servers ask the connecting proxy for its certificate "
      "(CertificateRequest); without it no server can authenticate an "
      "alias." },
    { "transport", "resumption", T(DOC_BOOL), NULL,
      "A proxy that reconnects to a peer resumes its earlier TLS session "
      "(cheaper handshake; the peer's identity comes from the session)." },
    { "transport", "idle-timeout", T(DOC_DURATION), "0 = never",
      "A connection that carried nothing this long is closed (TLS: after "
      "its transactions end, with close_notify). Aliased connections "
      "wait at least 64*T1." },
    { "transport", "t1", T(DOC_DURATION), "positive",
      "SIP timer T1 (RFC 3261 17): the RTT estimate that Timers A, B, E, "
      "F and H derive from (Timer B = 64*T1)." },
    { "transport", "alias-insert-check", T(DOC_BOOL), NULL,
      "`reuse` and `virtual-server` add an alias row only when the Via "
      "sent-by host is among the identities the client's certificate "
      "proves (see docs/model.md, decision D3)." },
    { "transport", "initial-window", INT(1, 1000), "segments",
      "TCP initial congestion window (RFC 6928: 10)." },
    { "transport", "rto-min", T(DOC_DURATION), "positive",
      "Lower bound of TCP's retransmission timeout (RFC 6298 2.4 says "
      "1 s; Linux uses 200ms)." },
    { "transport", "delayed-ack", T(DOC_DURATION),
      "0 = off (every segment ACKed at once); under 500ms",
      "TCP delayed-ACK timeout (RFC 1122 4.2.3.2, RFC 5681 4.2): an ACK "
      "for in-order data waits up to this long (and no longer than the "
      "smoothed RTT, if that is above 40ms) for data going back to carry "
      "it, after Linux's rules: quick ACKs for a connection's first 16 "
      "data segments and after a silence longer than the RTO, an ACK for "
      "every second SIP message, and a message's ACK delayed only while "
      "the endpoint answers within the timeout (interactive mode); see "
      "docs/model.md." },
    { "transport", "connect-timeout", T(DOC_DURATION),
      "0 = none (SIP Timer B or F decides)",
      "A connection attempt not established after this long fails, and "
      "the next RFC 3263 target is tried." },
    { "transport", "sctp-bundle", T(DOC_BOOL), NULL,
      "SCTP sends the first DATA chunk with COOKIE ECHO (RFC 9260 5.1), "
      "saving one round trip." },
    { "transport", "sctp-streams", INT(1, 65535), NULL,
      "Outbound SCTP streams SIP asks for (RFC 4168); each call's messages "
      "go on the stream its Call-ID hashes to. Unused by `tls-sctp`." },
    /* [network] */
    { "network", "default-delay", T(DOC_DURATION), NULL,
      "One-way delay between two sites that have no `[link]`, and within "
      "a site." },
    { "network", "jitter", T(DOC_DURATION), NULL,
      "Extra delay per packet, drawn uniformly from 0 to this (never "
      "reordering a path's packets)." },
    { "network", "bandwidth", T(DOC_BANDWIDTH), "positive, below 1e15 bps",
      "Bandwidth of each path; packets are serialised behind a FIFO." },
    { "network", "mtu", INT(576, 65535), "bytes", "Path MTU." },
    { "network", "loss", T(DOC_PROBABILITY), NULL,
      "Probability that a packet is lost." },
    /* [pki] */
    { "pki", "key", ENUM(topo_pki_key_names), NULL,
      "Key type of the generated CA and node certificates." },
    { "pki", "ca-name", T(DOC_TEXT), NULL,
      "Common name of the generated CA." },
    { "pki", "ca-file", T(DOC_FILE), "PEM certificate",
      "Use this CA (e.g. the one that issued your `cert-file`s) instead of "
      "generating one." },
    { "pki", "ca-key-file", T(DOC_FILE), "PEM private key",
      "The CA's key, so that generated node certificates are issued by "
      "`ca-file`." },
    { "pki", "verify-time", T(DOC_DATE),
      "ISO-8601 date or date-time, 1970 on (UTC unless an offset is "
      "given)",
      "The instant certificate chains are validated at "
      "(`meta.pki_verify_time` in summary.json)." },
    /* [dns] */
    { "dns", "ttl", T(DOC_DURATION), NULL,
      "How long a node caches a DNS answer." },
    { "dns", "lookup-delay", T(DOC_DURATION), NULL,
      "Time a lookup that misses the cache takes." },
    { "dns", "srv-select", ENUM(topo_srv_select_names), NULL,
      "How a target is drawn within an SRV priority: `proportional` with "
      "probability weight/sum, `rfc2782` by RFC 2782's literal running-sum "
      "draw (which favours the first record slightly)." },
    { "dns", "strict-3263", T(DOC_BOOL), NULL,
      "Also require the SRV target host among the server's certificate "
      "identities (RFC 3263 4.1), not only the domain." },
    { "dns", "blacklist-time", T(DOC_DURATION), NULL,
      "How long a target that refused, timed out or failed authentication "
      "is tried last." },
    /* [domain NAME] */
    { "domain", "srv", T(DOC_SRV),
      "`PRIORITY WEIGHT PORT TARGET` records separated by `;` or `,`; "
      "priority and weight 0..65535, port 1..65535 or `*` (the target "
      "node's port), target a node's `host`",
      "The domain's SRV records (RFC 2782). Without them the domain "
      "resolves to the nodes that serve it, by A record." },
    /* [node NAME] */
    { "node", "host", T(DOC_NAME), "a DNS name; several nodes may share one",
      "The proxy's host name (its Via sent-by, Record-Route and default "
      "certificate identity). Nodes sharing a host are round-robin A "
      "records." },
    { "node", "address", T(DOC_NAME), "dotted IPv4",
      "The proxy's IP address; no two nodes on one {address, port}." },
    { "node", "port", INT(1, 65535), NULL,
      "The port the proxy listens on." },
    { "node", "advertise-port", T(DOC_BOOL), NULL,
      "Put the port in the Via sent-by (without it, the transport's "
      "default port is implied)." },
    { "node", "record-route", ENUM(topo_record_route_names), NULL,
      "What the proxy puts in Record-Route: `host` its own host and port, "
      "`domain` its first served domain (for farms that share dialog "
      "state)." },
    { "node", "source-port", ENUM(topo_source_port_names), NULL,
      "The port the proxy opens connections from: `ephemeral` a fresh "
      "one per connection, `listen` its listening port, so a peer sees "
      "the port DNS gives for it (`two-connection` may then reuse the "
      "connection, R21)." },
    { "node", "site", T(DOC_NAME), NULL,
      "The site the proxy sits in (`[link]` groups join sites)." },
    { "node", "domains", T(DOC_LIST), "names of `[domain]` groups",
      "The domains the proxy serves: calls to them end here, calls from "
      "them start here." },
    { "node", "cert-san", T(DOC_LIST),
      "subjectAltName entries in OpenSSL syntax: `URI:sip:example.com`, "
      "`DNS:p1.example.com`, `IP:...`",
      "The identities of the proxy's generated certificate (RFC 5922: sip "
      "URIs first, dNSName only without any)." },
    { "node", "sni-cert-san", T(DOC_LIST), "as cert-san",
      "The identities of a second generated certificate, presented to a "
      "client whose SNI the first one does not prove (a virtual host "
      "serving domains its main certificate does not cover)." },
    { "node", "client-cert", T(DOC_BOOL), NULL,
      "Present a certificate when asked as a TLS client." },
    { "node", "cert-file", T(DOC_FILE), "PEM chain, leaf first",
      "Use this certificate instead of a generated one (needs "
      "`key-file`)." },
    { "node", "key-file", T(DOC_FILE), "PEM private key",
      "The private key of `cert-file`." },
    { "node", "cert-expired", T(DOC_BOOL), NULL,
      "Generate an expired certificate (misconfiguration studies)." },
    { "node", "cert-untrusted", T(DOC_BOOL), NULL,
      "Generate a certificate issued by a CA nobody trusts." },
    { "node", "accept-alias", T(DOC_BOOL), NULL,
      "Local policy: honour `;alias` from peers at all." },
    { "node", "strategy", T(DOC_STRATEGY), NULL,
      "This proxy's own strategy, for mixed deployments." },
    { "node", "cores", INT(1, 4096), NULL,
      "CPU cores serving the proxy's FIFO job queue." },
    { "node", "sip-cost", T(DOC_DURATION), NULL,
      "CPU time per SIP message received or sent, whatever its kind "
      "(replaces the three per-kind costs below)." },
    { "node", "sip-invite-cost", T(DOC_DURATION), NULL,
      "CPU time per INVITE received or sent." },
    { "node", "sip-request-cost", T(DOC_DURATION), NULL,
      "CPU time per other request received or sent." },
    { "node", "sip-response-cost", T(DOC_DURATION), NULL,
      "CPU time per response received or sent (also what refusing an "
      "INVITE under overload costs)." },
    { "node", "stream-framing-cost", T(DOC_DURATION), NULL,
      "Added per message on TCP, SCTP and TLS: stream reads and writes, "
      "framing by Content-Length." },
    { "node", "connect-cost", T(DOC_DURATION), NULL,
      "CPU time per connection this node opens (TCP or SCTP)." },
    { "node", "accept-cost", T(DOC_DURATION), NULL,
      "CPU time per connection this node accepts." },
    { "node", "close-cost", T(DOC_DURATION), NULL,
      "CPU time per connection end this node closes." },
    { "node", "tls-record-cost", T(DOC_DURATION), NULL,
      "TLS: CPU time per application record sealed or opened." },
    { "node", "tls-aead-cost", T(DOC_DURATION), "per KiB",
      "TLS: CPU time per KiB of application data sealed or opened." },
    { "node", "tls-full-cost", T(DOC_DURATION), NULL,
      "CPU time per full TLS handshake, per side, both roles." },
    { "node", "tls-resumed-cost", T(DOC_DURATION), NULL,
      "CPU time per resumed TLS handshake, per side, both roles." },
    { "node", "tls-full-server-cost", T(DOC_DURATION), NULL,
      "CPU time per full handshake this node accepts." },
    { "node", "tls-full-client-cost", T(DOC_DURATION), NULL,
      "CPU time per full handshake this node opens." },
    { "node", "tls-resumed-server-cost", T(DOC_DURATION), NULL,
      "CPU time per resumed handshake this node accepts." },
    { "node", "tls-resumed-client-cost", T(DOC_DURATION), NULL,
      "CPU time per resumed handshake this node opens." },
    { "node", "queue-limit", T(DOC_DURATION), "0: unbounded",
      "Overload: past this much queued CPU work the node answers a new "
      "INVITE 503 with Retry-After (drops it over UDP); its own callers' "
      "new calls are refused too (`calls.rejected`)." },
    { "node", "memory-socket", INT(0, 1099511627776), "bytes",
      "Memory per open connection in the kernel (`memory.node_bytes`)." },
    { "node", "memory-tls", INT(0, 1099511627776), "bytes",
      "Memory per open TLS connection in the TLS library." },
    { "node", "memory-proxy", INT(0, 1099511627776), "bytes",
      "Memory per open connection in the proxy (record, read buffer)." },
    { "node", "up", T(DOC_BOOL), NULL,
      "`false`: the node is down from the start (see `[fault]` for "
      "crashes during a run)." },
    { "node", "spoof-as", T(DOC_NAME), "a host name",
      "Attack: the node claims this host as its Via sent-by, to capture "
      "requests meant for it (threat T1 in model.md)." },
    /* [link SITE_A SITE_B] */
    { "link", "delay", T(DOC_DURATION), NULL,
      "One-way delay between the two sites (either direction)." },
    { "link", "jitter", T(DOC_DURATION), NULL,
      "Extra delay per packet, drawn uniformly from 0 to this." },
    { "link", "loss", T(DOC_PROBABILITY), NULL,
      "Probability that a packet is lost." },
    { "link", "bandwidth", T(DOC_BANDWIDTH), "positive, below 1e15 bps",
      "Bandwidth of the path." },
    { "link", "mtu", INT(576, 65535), "bytes", "Path MTU." },
    /* [traffic NAME] */
    { "traffic", "from", T(DOC_NAME), "a `[domain]` name",
      "The callers' domain: calls start at a node that serves it." },
    { "traffic", "to", T(DOC_NAME), "a `[domain]` name other than from",
      "The callees' domain." },
    { "traffic", "rate", T(DOC_RATE), "positive, at most 1e9/s",
      "Mean rate of Poisson call arrivals." },
    { "traffic", "hold", T(DOC_DURATION), "positive",
      "Mean call holding time (exponential), from the answer to the "
      "BYE." },
    { "traffic", "answer-delay", T(DOC_DURATION), NULL,
      "Time the callee rings (180) before it answers (200)." },
    { "traffic", "bye-by", ENUM(topo_bye_by_names), NULL,
      "Who hangs up: `caller`, `callee` (its BYE travels the reverse "
      "direction, the case connection reuse is about), or `random` "
      "(each call draws one of the two with equal odds)." },
    { "traffic", "cancel-after", T(DOC_DURATION), NULL,
      "Callers abandon a call with no final response this long after it "
      "started: CANCEL (RFC 3261 9.1), 200 and 487; counted in "
      "`calls.cancelled`." },
    { "traffic", "cancel", T(DOC_FRACTION), "needs cancel-after",
      "Fraction of the group's callers that abandon (the others "
      "wait)." },
    { "traffic", "start", T(DOC_DURATION), "before stop and the end of "
      "the run",
      "First instant a call may arrive." },
    { "traffic", "stop", T(DOC_DURATION), "positive",
      "No call arrives from this instant on." },
    { "traffic", "count", INT(0, G_MAXUINT64), "0 = no limit",
      "Stop after this many calls." },
    { "traffic", "via", T(DOC_NAME), "a `[node]` name serving from",
      "The node every call of the group starts at (its origin proxy); "
      "while it is down the group's calls fail at once. Without it, "
      "calls start at the up nodes serving from in turn." },
    /* [fault NAME] */
    { "fault", "node", T(DOC_NAME), "a `[node]` name",
      "The node that crashes: it loses its connections and state and "
      "answers nothing until it returns." },
    { "fault", "at", T(DOC_DURATION), "before the end of the run",
      "When it crashes." },
    { "fault", "duration", T(DOC_DURATION), "positive",
      "How long it stays down." },
};

/* What each group kind is (same order as topo_kinds). */
static const char *const doc_kind_what[TOPO_N_KINDS] = {
    [TOPO_SIMULATION] = "The run as a whole.",
    [TOPO_TRANSPORT] = "The SIP transport and how every proxy's "
                       "connections behave.",
    [TOPO_NETWORK] = "The paths between sites that have no `[link]`.",
    [TOPO_PKI] = "The certificate authority and the generated "
                 "certificates.",
    [TOPO_DNS] = "How every node resolves names (RFC 3263, RFC 2782).",
    [TOPO_DOMAIN] = "A SIP domain and its DNS SRV records.",
    [TOPO_NODE] = "A SIP proxy: its names, address, certificate, CPU and "
                  "local policy.",
    [TOPO_LINK] = "The path between two sites (`[link a b]` and "
                  "`[link b a]` are the same link).",
    [TOPO_TRAFFIC] = "Poisson calls from one domain to another.",
    [TOPO_FAULT] = "A node that crashes and, optionally, returns.",
};

static const char doc_intro[] =
    "# Topology files\n"
    "\n"
    "<!-- Generated by `sipreuse check --defaults --format markdown` "
    "(`make docs`)\n"
    "     from the loader's schema; edit run/topo_doc.c, not this file. "
    "-->\n"
    "\n"
    "A topology is a GLib key file: groups in brackets, `key = value` "
    "lines,\n"
    "and comment lines that start with `#` (a `#` after a value is part "
    "of the\n"
    "value: put comments on lines of their own). Every key is optional "
    "unless\n"
    "its default says *required*; a key that is absent takes the default "
    "below,\n"
    "read by the same parser as a written value. An unknown group kind or "
    "key,\n"
    "a group or key written twice, and a bad value are errors that name "
    "the\n"
    "file, line, group and key (exit status 2); `sipreuse check "
    "TOPOLOGY`\n"
    "reports all of them at once. What the model does with these values "
    "is in\n"
    "[model.md](model.md).\n"
    "\n"
    "## Group kinds\n"
    "\n";

static const char doc_values[] =
    "\n"
    "The singletons (no name after the kind) appear at most once. Named "
    "groups\n"
    "appear once per name; domain names compare case-insensitively.\n"
    "\n"
    "## Values\n"
    "\n"
    "| type | written as |\n"
    "| --- | --- |\n"
    "| duration | a number and a unit: `ns`, `us`, `ms`, `s`, `min`, `h`; "
    "a bare number is seconds (`500ms`, `1.5s`, `2min`, `30`). Durations "
    "are under 1e9 s unless the key says less. |\n"
    "| rate | calls per second: `N`, `N/s`, or `N/min`, `N/h` (`20`, "
    "`0.5/s`, `90/min`). |\n"
    "| bandwidth | a number and a unit: `bps`, `Kbps`, `Mbps`, `Gbps` (or "
    "`kbps`, `mbps`, `gbps`); a bare number is bits per second. |\n"
    "| probability | in [0, 1): a fraction or a percentage (`0.01`, "
    "`1%`). |\n"
    "| fraction | in [0, 1]: a fraction or a percentage (`0.3`, `30%`). |\n"
    "| boolean | `true`, `false` (also `yes`/`no`, `1`/`0`). |\n"
    "| integer | decimal digits, within the range shown. |\n"
    "| one of | exactly one of the names listed. |\n"
    "| name | one word: no blanks, `;`, `,`, `[`, `]` or `=`. |\n"
    "| list | items separated by `;` or `,`; blanks around items are "
    "dropped. |\n"
    "| strategy | a strategy name (`sipreuse list`). |\n"
    "| file | a path, relative to the topology file's folder; a regular "
    "file of at most 1 MiB. |\n"
    "| date | ISO-8601 `2026-12-03` (midnight UTC) or "
    "`2026-12-03T12:00:00Z`. |\n"
    "| text | the rest of the line. |\n"
    "| SRV records | see `[domain NAME] srv`. |\n"
    "| number | a plain decimal number (`0.5`, `2`, `1e3`). |\n"
    "\n"
    "## Overriding keys: `--set`\n"
    "\n"
    "`run`, `compare`, `sweep` and `check` take `--set GROUP.KEY=VALUE`, "
    "and\n"
    "an experiment's `[vary]` group uses the same names: the first "
    "dot-separated\n"
    "part names the group kind, the last the key, and what lies between "
    "names\n"
    "the group, with dots for spaces: `--set transport.protocol=tcp`,\n"
    "`--set traffic.a-to-b.rate=200`, `--set node.A.cores=4`,\n"
    "`--set link.west.east.delay=40ms`. The group name may be a glob "
    "(`*` any\n"
    "run of characters, `?` one): `--set 'node.*.cores=2'` sets the key "
    "in every\n"
    "group of that kind whose name matches, and a later exact override "
    "still\n"
    "wins for its group. Overriding a key or group that does not exist, "
    "or a\n"
    "glob that matches no group, is an error. A key that does not apply "
    "to the\n"
    "protocol or strategy of a run (`tls-version` over `tcp`, "
    "`sctp-streams`\n"
    "over `tls`, `accept-alias` under a strategy without aliases) is "
    "ignored with\n"
    "a warning, printed once and recorded in `summary.json` "
    "(`meta.warnings`),\n"
    "so that any key can be swept.\n"
    "\n"
    "`--unset GROUP.KEY` (in `run`, `compare`, `sweep` and `check`; `unset "
    "=` in an\n"
    "experiment's `[experiment]` group) removes a key, which then takes "
    "its\n"
    "default: `--unset transport.tls-version`. The group may be a glob too; "
    "a\n"
    "group that does not exist is an error, a group that does not set the "
    "key a\n"
    "warning. Paths given in `--set` (`cert-file`, `cpu-profile`, ...) "
    "are\n"
    "relative to the working directory; those written in the file, to "
    "the\n"
    "file's folder.\n"
    "\n"
    "## Defaults for many groups: `[defaults KIND]`\n"
    "\n"
    "`[defaults node]`, `[defaults traffic]` and `[defaults link]` hold "
    "keys of\n"
    "that kind's groups; every group of the kind that does not set a key "
    "takes\n"
    "it from there, parsed and checked as if written in the group (a "
    "problem\n"
    "names both). An unknown key there is an error. `--set "
    "defaults.node.cores=2`\n"
    "sets it; a group's own key, or `--set node.a.cores=4`, still wins "
    "for that\n"
    "group.\n"
    "\n"
    "```\n"
    "[defaults node]\n"
    "cores = 4\n"
    "sip-cost = 80us\n"
    "\n"
    "[defaults traffic]\n"
    "hold = 120s\n"
    "```\n"
    "\n"
    "## Keys\n"
    "\n"
    "Each table lists the keys of one group kind. *Default* is the value "
    "used\n"
    "when the key is absent (in italics when it is not a constant).\n";

/* Appends @s with Markdown table cells' `|` escaped. */
static void
doc_cell(GString *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            g_string_append_c(out, '\\');
        g_string_append_c(out, *s);
    }
}

/* "`a`, `b`, `c`" from a NULL-terminated list. */
static void
doc_names(GString *out, const char *const *names)
{
    for (guint i = 0; names[i]; i++)
        g_string_append_printf(out, "%s`%s`", i ? ", " : "", names[i]);
}

static const DocKey *
doc_find(const char *kind, const char *key)
{
    for (guint i = 0; i < G_N_ELEMENTS(doc_keys); i++)
        if (g_str_equal(doc_keys[i].kind, kind) &&
            g_str_equal(doc_keys[i].key, key))
            return &doc_keys[i];
    return NULL;
}

/* The unit the loader reads a documented type in. */
static SimTopoUnit
doc_unit(DocType t)
{
    switch (t) {
    case DOC_DURATION:
        return SIM_TOPO_UNIT_DURATION;
    case DOC_BANDWIDTH:
        return SIM_TOPO_UNIT_BANDWIDTH;
    case DOC_RATE:
        return SIM_TOPO_UNIT_RATE;
    default:
        return SIM_TOPO_UNIT_NONE;
    }
}

static const char *
doc_unit_name(const char *key)
{
    const char *u = sim_topo_unit_name(sim_topo_key_unit(key));
    return u ? u : "no unit";
}

/* Checks that the documentation and the schema name the same keys, with
 * the same units. */
static gboolean
doc_check(GError **error)
{
    g_autoptr(GString) bad = g_string_new(NULL);
    for (guint i = 0; i < TOPO_N_KINDS; i++) {
        const TopoKind *k = &topo_kinds[i];
        for (const TopoKey *key = k->keys; key->key; key++) {
            const DocKey *d = doc_find(k->kind, key->key);
            g_autofree char *name =
                g_strdup_printf("%s.%s%s", k->kind,
                                k->n_words == 2 ? "a.b." :
                                k->n_words ? "x." : "", key->key);
            if (!d)
                g_string_append_printf(bad, "; %s.%s has no documentation",
                                       k->kind, key->key);
            else if (doc_unit(d->type) != sim_topo_key_unit(name))
                g_string_append_printf(bad,
                                       "; %s.%s is documented as a %s but "
                                       "the loader reads it in %s",
                                       k->kind, key->key,
                                       doc_type_names[d->type],
                                       doc_unit_name(name));
        }
    }
    /* A row for a key the loader does not have is not printed (the tables
     * follow the schema); it is tolerated so that a key can be documented
     * before the loader that reads it is committed. */
    if (!bad->len)
        return TRUE;
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                "run/topo_doc.c and the topology schema disagree%s",
                bad->str);
    return FALSE;
}

/* The "values" cell of @d. */
static void
doc_values_cell(GString *out, const DocKey *d)
{
    g_autoptr(GString) v = g_string_new(NULL);
    if (d->type == DOC_INT)
        g_string_append_printf(v, "%" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT,
                               d->min, d->max);
    else if (d->type == DOC_ENUM)
        doc_names(v, d->names);
    else if (d->type == DOC_STRATEGY) {
        const SimStrategyOps *const *all = sim_strategy_all();
        for (guint i = 0; all[i]; i++)
            g_string_append_printf(v, "%s`%s`", i ? ", " : "", all[i]->name);
    } else if (d->type == DOC_BOOL)
        g_string_append(v, "`true`, `false`");
    else if (d->type == DOC_DURATION)
        g_string_append(v, "ns, us, ms, s, min, h");
    else if (d->type == DOC_BANDWIDTH)
        g_string_append(v, "bps, Kbps, Mbps, Gbps");
    else if (d->type == DOC_RATE)
        g_string_append(v, "calls/s: N, N/s, N/min, N/h");
    else if (d->type == DOC_PROBABILITY)
        g_string_append(v, "[0, 1) or %");
    else if (d->type == DOC_FRACTION)
        g_string_append(v, "[0, 1] or %");
    if (d->values)
        g_string_append_printf(v, "%s%s", v->len ? "; " : "", d->values);
    doc_cell(out, v->str);
}

/* The table of one group kind. */
static void
doc_kind(GString *out, const TopoKind *k)
{
    g_string_append_printf(out, "\n### `%s`\n\n%s\n\n", topo_kinds_form(k),
                           doc_kind_what[k - topo_kinds]);
    g_string_append(out, "| key | type | values | default | meaning |\n"
                         "| --- | --- | --- | --- | --- |\n");
    for (const TopoKey *key = k->keys; key->key; key++) {
        const DocKey *d = doc_find(k->kind, key->key);
        g_string_append_printf(out, "| `%s` | %s | ", key->key,
                               doc_type_names[d->type]);
        doc_values_cell(out, d);
        g_string_append(out, " | ");
        if (key->def) {
            g_string_append_c(out, '`');
            doc_cell(out, key->def);
            g_string_append_c(out, '`');
        } else {
            g_string_append_c(out, '*');
            doc_cell(out, key->note);
            g_string_append_c(out, '*');
        }
        g_string_append(out, " | ");
        doc_cell(out, d->what);
        g_string_append(out, " |\n");
    }
}

/**
 * sim_topo_doc_markdown:
 * @error: return location for a #GError
 *
 * The reference of every topology key, as docs/topology.md holds it.
 *
 * Returns: (transfer full) (nullable): the Markdown text, or %NULL with
 *   @error set when this file's documentation and the loader's schema
 *   disagree (a schema key without its row here, or a unit that differs).
 */
char *
sim_topo_doc_markdown(GError **error)
{
    if (!doc_check(error))
        return NULL;
    GString *out = g_string_new(doc_intro);
    g_string_append(out, "| group | what it describes |\n| --- | --- |\n");
    for (guint i = 0; i < TOPO_N_KINDS; i++)
        g_string_append_printf(out, "| `%s` | %s |\n",
                               topo_kinds_form(&topo_kinds[i]),
                               doc_kind_what[i]);
    g_string_append(out, doc_values);
    for (guint i = 0; i < TOPO_N_KINDS; i++)
        doc_kind(out, &topo_kinds[i]);
    return g_string_free(out, FALSE);
}

/**
 * sim_topo_doc_ranges:
 * @n: (out): how many
 *
 * Returns: (transfer none): the range the reference states for every
 *   integer key, to be checked against the loader.
 */
const SimTopoDocRange *
sim_topo_doc_ranges(guint *n)
{
    static SimTopoDocRange r[G_N_ELEMENTS(doc_keys)];
    static char names[G_N_ELEMENTS(doc_keys)][64];
    static gsize once = 0;
    static guint count = 0;
    if (g_once_init_enter(&once)) {
        for (guint i = 0; i < G_N_ELEMENTS(doc_keys); i++) {
            if (doc_keys[i].type != DOC_INT)
                continue;
            g_snprintf(names[count], sizeof names[count], "%s.%s",
                       doc_keys[i].kind, doc_keys[i].key);
            r[count] = (SimTopoDocRange){ names[count], doc_keys[i].min,
                                          doc_keys[i].max };
            count++;
        }
        g_once_init_leave(&once, 1);
    }
    *n = count;
    return r;
}
