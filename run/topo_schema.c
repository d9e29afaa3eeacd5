/* SPDX-License-Identifier: MIT */
/*
 * The schema of topology files: every group kind and its keys with their
 * defaults as parseable text (absent keys go through the same parsers as
 * written ones, so `sipreuse check --defaults` prints exactly what the
 * loader uses), the names of enumerated values and the units that tools
 * read keys back in.  It also recognizes what a file holds: group kinds
 * and their name words, unknown keys (with the nearest valid name as a
 * hint), and what GKeyFile hides, read from the raw text: repeated groups
 * and keys, keys with a [LOCALE] suffix.
 */
#define G_LOG_DOMAIN "sim-topo"

#include "run/topo.h"

#include <string.h>

#include "run/input.h"
#include "run/topo_priv.h"

/* ---- The schema ------------------------------------------------------- */

/* [node] cost keys by SimTopoCost and SimTopoMemory. */
const char *const sim_topo_cost_keys[SIM_TOPO_N_COSTS] = {
    [SIM_TOPO_COST_SIP_INVITE] = "sip-invite-cost",
    [SIM_TOPO_COST_SIP_REQUEST] = "sip-request-cost",
    [SIM_TOPO_COST_SIP_RESPONSE] = "sip-response-cost",
    [SIM_TOPO_COST_STREAM_FRAMING] = "stream-framing-cost",
    [SIM_TOPO_COST_CONNECT] = "connect-cost",
    [SIM_TOPO_COST_ACCEPT] = "accept-cost",
    [SIM_TOPO_COST_CLOSE] = "close-cost",
    [SIM_TOPO_COST_TLS_RECORD] = "tls-record-cost",
    [SIM_TOPO_COST_TLS_AEAD] = "tls-aead-cost",
    [SIM_TOPO_COST_TLS_FULL_SERVER] = "tls-full-server-cost",
    [SIM_TOPO_COST_TLS_FULL_CLIENT] = "tls-full-client-cost",
    [SIM_TOPO_COST_TLS_RESUMED_SERVER] = "tls-resumed-server-cost",
    [SIM_TOPO_COST_TLS_RESUMED_CLIENT] = "tls-resumed-client-cost",
    [SIM_TOPO_COST_QUEUE_LIMIT] = "queue-limit",
};

const char *const sim_topo_memory_keys[SIM_TOPO_N_MEMORY] = {
    [SIM_TOPO_MEMORY_SOCKET] = "memory-socket",
    [SIM_TOPO_MEMORY_TLS] = "memory-tls",
    [SIM_TOPO_MEMORY_PROXY] = "memory-proxy",
};

static const TopoKey topo_keys_simulation[] = {
    { "duration", "60s", NULL },
    { "warmup", "0", NULL },
    { "seed", "1", NULL },
    { "strategy", "reuse", NULL },
    { "cpu-profile", NULL, "proxy (built in; bare-crypto is the other)" },
    { "rate-scale", "1", NULL },
    { NULL, NULL, NULL },
};

static const TopoKey topo_keys_transport[] = {
    { "protocol", "tls", NULL },
    { "tls-version", "1.3", NULL },
    { "mutual-auth", "true", NULL },
    { "resumption", "true", NULL },
    { "idle-timeout", "120s", NULL },
    { "t1", "500ms", NULL },
    { "alias-insert-check", "true", NULL },
    { "initial-window", "10", NULL },
    { "rto-min", "1s", NULL },
    { "delayed-ack", "40ms", NULL },
    { "connect-timeout", "0", NULL },
    { "sctp-bundle", "true", NULL },
    { "sctp-streams", "10", NULL },
    { NULL, NULL, NULL },
};

static const TopoKey topo_keys_network[] = {
    { "default-delay", "10ms", NULL },
    { "jitter", "0", NULL },
    { "bandwidth", "1Gbps", NULL },
    { "mtu", "1500", NULL },
    { "loss", "0", NULL },
    { NULL, NULL, NULL },
};

static const TopoKey topo_keys_pki[] = {
    { "key", "ecdsa-p256", NULL },
    { "ca-name", "sipreuse CA", NULL },
    { "ca-file", NULL, "none: a CA is generated" },
    { "ca-key-file", NULL, "none" },
    { "verify-time", NULL,
      "the current time when ca-file or cert-file is used, else "
      "2025-01-01T00:00:00Z" },
    { NULL, NULL, NULL },
};

static const TopoKey topo_keys_dns[] = {
    { "ttl", "300s", NULL },
    { "lookup-delay", "1ms", NULL },
    { "srv-select", "proportional", NULL },
    { "strict-3263", "false", NULL },
    { "blacklist-time", "60s", NULL },
    { NULL, NULL, NULL },
};

static const TopoKey topo_keys_domain[] = {
    { "srv", NULL, "none: the domain's nodes by A record" },
    { NULL, NULL, NULL },
};

static const TopoKey topo_keys_node[] = {
    { "host", NULL, "the node's name" },
    { "address", NULL, "10.0.0.1, 10.0.0.2, ... in file order" },
    { "port", NULL, "5061 for tls and tls-sctp, 5060 otherwise" },
    { "advertise-port", "true", NULL },
    { "record-route", "host", NULL },
    { "source-port", "ephemeral", NULL },
    { "site", NULL, "a site of the node's own name" },
    { "domains", NULL, "none" },
    { "cert-san", NULL, "URI:sip:HOST plus URI:sip:DOMAIN per domain" },
    { "sni-cert-san", NULL, "none: one certificate for every SNI" },
    { "client-cert", "true", NULL },
    { "cert-file", NULL, "none: a certificate is generated" },
    { "key-file", NULL, "none" },
    { "cert-expired", "false", NULL },
    { "cert-untrusted", "false", NULL },
    { "accept-alias", "true", NULL },
    { "strategy", NULL, "the run's strategy" },
    { "cores", "1", NULL },
    { "sip-cost", NULL,
      "the cpu profile's per-kind costs (proxy: 150us INVITE, 70us other "
      "requests, 50us responses)" },
    { "sip-invite-cost", NULL, "sip-cost, else the cpu profile (proxy: 150us)" },
    { "sip-request-cost", NULL,
      "sip-cost, else the cpu profile (proxy: 70us)" },
    { "sip-response-cost", NULL,
      "sip-cost, else the cpu profile (proxy: 50us)" },
    { "stream-framing-cost", NULL, "the cpu profile (proxy: 10us)" },
    { "connect-cost", NULL, "the cpu profile (proxy: 30us)" },
    { "accept-cost", NULL, "the cpu profile (proxy: 30us)" },
    { "close-cost", NULL, "the cpu profile (proxy: 15us)" },
    { "tls-record-cost", NULL, "the cpu profile (proxy: 4us)" },
    { "tls-aead-cost", NULL, "the cpu profile (proxy: 0.5us per KiB)" },
    { "tls-full-cost", NULL,
      "the cpu profile, per role, version, key type and client "
      "authentication (proxy, P-256: 3.5ms server, 2.5ms client)" },
    { "tls-resumed-cost", NULL,
      "the cpu profile, per role and version (proxy: 2ms server, 1.5ms "
      "client)" },
    { "tls-full-server-cost", NULL, "tls-full-cost, else the cpu profile" },
    { "tls-full-client-cost", NULL, "tls-full-cost, else the cpu profile" },
    { "tls-resumed-server-cost", NULL,
      "tls-resumed-cost, else the cpu profile" },
    { "tls-resumed-client-cost", NULL,
      "tls-resumed-cost, else the cpu profile" },
    { "queue-limit", NULL, "the cpu profile (proxy: 200ms; 0: unbounded)" },
    { "memory-socket", NULL, "the cpu profile (proxy: 4096)" },
    { "memory-tls", NULL, "the cpu profile (proxy: 57344)" },
    { "memory-proxy", NULL, "the cpu profile (proxy: 4608)" },
    { "up", "true", NULL },
    { "spoof-as", NULL, "none" },
    { NULL, NULL, NULL },
};

static const TopoKey topo_keys_link[] = {
    { "delay", NULL, "[network] default-delay" },
    { "jitter", NULL, "[network] jitter" },
    { "loss", NULL, "[network] loss" },
    { "bandwidth", NULL, "[network] bandwidth" },
    { "mtu", NULL, "[network] mtu" },
    { NULL, NULL, NULL },
};

static const TopoKey topo_keys_traffic[] = {
    { "from", NULL, "required" },
    { "to", NULL, "required" },
    { "rate", "1/s", NULL },
    { "hold", "60s", NULL },
    { "answer-delay", "0", NULL },
    { "bye-by", "caller", NULL },
    { "cancel-after", NULL, "never: callers wait for the final response" },
    { "cancel", "1", NULL },
    { "start", "0", NULL },
    { "stop", NULL, "the end of the run" },
    { "count", "0", NULL },
    { "via", NULL, "round robin over the up nodes serving from" },
    { NULL, NULL, NULL },
};

static const TopoKey topo_keys_fault[] = {
    { "node", NULL, "required" },
    { "at", "0", NULL },
    { "duration", NULL, "until the end of the run" },
    { NULL, NULL, NULL },
};

const TopoKind topo_kinds[TOPO_N_KINDS] = {
    [TOPO_SIMULATION] = { "simulation", 0, topo_keys_simulation },
    [TOPO_TRANSPORT] = { "transport", 0, topo_keys_transport },
    [TOPO_NETWORK] = { "network", 0, topo_keys_network },
    [TOPO_PKI] = { "pki", 0, topo_keys_pki },
    [TOPO_DNS] = { "dns", 0, topo_keys_dns },
    [TOPO_DOMAIN] = { "domain", 1, topo_keys_domain },
    [TOPO_NODE] = { "node", 1, topo_keys_node },
    [TOPO_LINK] = { "link", 2, topo_keys_link },
    [TOPO_TRAFFIC] = { "traffic", 1, topo_keys_traffic },
    [TOPO_FAULT] = { "fault", 1, topo_keys_fault },
};

const char *const topo_protocol_names[SIM_PROTO_N + 1] = {
    [SIM_PROTO_UDP] = "udp",
    [SIM_PROTO_TCP] = "tcp",
    [SIM_PROTO_SCTP] = "sctp",
    [SIM_PROTO_TLS] = "tls",
    [SIM_PROTO_TLS_SCTP] = "tls-sctp",
};

/* The Via transport of each protocol (what strategies are checked
 * against). */
const SimTransportKind topo_protocol_kinds[SIM_PROTO_N] = {
    [SIM_PROTO_UDP] = SIM_TRANSPORT_UDP,
    [SIM_PROTO_TCP] = SIM_TRANSPORT_TCP,
    [SIM_PROTO_SCTP] = SIM_TRANSPORT_SCTP,
    [SIM_PROTO_TLS] = SIM_TRANSPORT_TLS,
    [SIM_PROTO_TLS_SCTP] = SIM_TRANSPORT_TLS_SCTP,
};

const char *const topo_srv_select_names[] = {
    "proportional", "rfc2782", NULL
};
const char *const topo_record_route_names[] = {
    "host", "domain", NULL
};
const char *const topo_source_port_names[] = {
    "ephemeral", "listen", NULL
};
const char *const topo_bye_by_names[] = {
    "caller", "callee", "random", NULL
};
const char *const topo_pki_key_names[] = {
    "rsa-2048", "rsa-3072", "ecdsa-p256", "ed25519", NULL
};

/* The group kinds by name, for hints and messages (same order as
 * topo_kinds). */
const char *const topo_kind_names[] = {
    "simulation", "transport", "network", "pki", "dns",
    "domain", "node", "link", "traffic", "fault", NULL
};

/* The kinds whose groups a [defaults KIND] group gives keys to. */
const char *const topo_defaults_kinds[] = { "node", "traffic", "link",
                                            NULL };

/* The form of each kind's groups (same order as topo_kinds). */
static const char *const topo_kind_forms[TOPO_N_KINDS] = {
    "[simulation]", "[transport]", "[network]", "[pki]", "[dns]",
    "[domain NAME]", "[node NAME]", "[link SITE_A SITE_B]",
    "[traffic NAME]", "[fault NAME]",
};

/* The keys whose values carry units: (group kind, key, unit). */
static const struct {
    const char *kind;
    const char *key;
    SimTopoUnit unit;
} topo_key_units[] = {
    { "simulation", "duration", SIM_TOPO_UNIT_DURATION },
    { "simulation", "warmup", SIM_TOPO_UNIT_DURATION },
    { "transport", "idle-timeout", SIM_TOPO_UNIT_DURATION },
    { "transport", "t1", SIM_TOPO_UNIT_DURATION },
    { "transport", "rto-min", SIM_TOPO_UNIT_DURATION },
    { "transport", "delayed-ack", SIM_TOPO_UNIT_DURATION },
    { "transport", "connect-timeout", SIM_TOPO_UNIT_DURATION },
    { "network", "default-delay", SIM_TOPO_UNIT_DURATION },
    { "network", "jitter", SIM_TOPO_UNIT_DURATION },
    { "network", "bandwidth", SIM_TOPO_UNIT_BANDWIDTH },
    { "dns", "ttl", SIM_TOPO_UNIT_DURATION },
    { "dns", "lookup-delay", SIM_TOPO_UNIT_DURATION },
    { "dns", "blacklist-time", SIM_TOPO_UNIT_DURATION },
    { "node", "sip-cost", SIM_TOPO_UNIT_DURATION },
    { "node", "tls-full-cost", SIM_TOPO_UNIT_DURATION },
    { "node", "tls-resumed-cost", SIM_TOPO_UNIT_DURATION },
    { "node", "sip-invite-cost", SIM_TOPO_UNIT_DURATION },
    { "node", "sip-request-cost", SIM_TOPO_UNIT_DURATION },
    { "node", "sip-response-cost", SIM_TOPO_UNIT_DURATION },
    { "node", "stream-framing-cost", SIM_TOPO_UNIT_DURATION },
    { "node", "connect-cost", SIM_TOPO_UNIT_DURATION },
    { "node", "accept-cost", SIM_TOPO_UNIT_DURATION },
    { "node", "close-cost", SIM_TOPO_UNIT_DURATION },
    { "node", "tls-record-cost", SIM_TOPO_UNIT_DURATION },
    { "node", "tls-aead-cost", SIM_TOPO_UNIT_DURATION },
    { "node", "tls-full-server-cost", SIM_TOPO_UNIT_DURATION },
    { "node", "tls-full-client-cost", SIM_TOPO_UNIT_DURATION },
    { "node", "tls-resumed-server-cost", SIM_TOPO_UNIT_DURATION },
    { "node", "tls-resumed-client-cost", SIM_TOPO_UNIT_DURATION },
    { "node", "queue-limit", SIM_TOPO_UNIT_DURATION },
    { "link", "delay", SIM_TOPO_UNIT_DURATION },
    { "link", "jitter", SIM_TOPO_UNIT_DURATION },
    { "link", "bandwidth", SIM_TOPO_UNIT_BANDWIDTH },
    { "traffic", "rate", SIM_TOPO_UNIT_RATE },
    { "traffic", "hold", SIM_TOPO_UNIT_DURATION },
    { "traffic", "answer-delay", SIM_TOPO_UNIT_DURATION },
    { "traffic", "cancel-after", SIM_TOPO_UNIT_DURATION },
    { "traffic", "start", SIM_TOPO_UNIT_DURATION },
    { "traffic", "stop", SIM_TOPO_UNIT_DURATION },
    { "fault", "at", SIM_TOPO_UNIT_DURATION },
    { "fault", "duration", SIM_TOPO_UNIT_DURATION },
};

/* ---- Look-ups --------------------------------------------------------- */

/* Key names of a kind as a NULL-terminated array (transfer container). */
const char **
topo_key_names(const TopoKind *k)
{
    GPtrArray *a = g_ptr_array_new();
    for (const TopoKey *key = k->keys; key->key; key++)
        g_ptr_array_add(a, (gpointer)key->key);
    g_ptr_array_add(a, NULL);
    return (const char **)g_ptr_array_free(a, FALSE);
}

const char *
topo_kinds_form(const TopoKind *k)
{
    return topo_kind_forms[k - topo_kinds];
}

const TopoKind *
topo_kind_find(const char *kind)
{
    for (guint i = 0; i < TOPO_N_KINDS; i++)
        if (g_str_equal(topo_kinds[i].kind, kind))
            return &topo_kinds[i];
    return NULL;
}

const TopoKey *
topo_key_find(const TopoKind *k, const char *key)
{
    for (const TopoKey *e = k->keys; e->key; e++)
        if (g_str_equal(e->key, key))
            return e;
    return NULL;
}

/* ---- Recognition: groups, keys, duplicates ---------------------------- */

/* What GKeyFile would hide or let pass silently: a group written twice, a
 * key written twice in one group, a key with a [LOCALE] suffix (not
 * returned by g_key_file_get_keys).  sim_input_ini_scan()'s callback;
 * @user is a TopoCheck. */
typedef struct {
    TopoParser *p;
    gboolean ok;
} TopoCheck;

static gboolean
topo_check_item(const char *group, const char *key, guint line, guint first,
                gpointer user)
{
    TopoCheck *c = user;
    if (!key) {
        if (first)
            c->ok = topo_fail(c->p, SIM_TOPO_ERROR_DUPLICATE, group, NULL,
                              "expected each group once, found it at "
                              "lines %u and %u",
                              first, line);
        return TRUE;
    }
    if (strchr(key, '[')) {
        g_autofree char *q = topo_quote(key);
        c->ok = topo_fail(c->p, SIM_TOPO_ERROR_UNKNOWN_KEY, group, key,
                          "expected a key without a [LOCALE] suffix (the "
                          "format has no localized keys), found %s",
                          q);
        return FALSE;
    }
    if (first)
        c->ok = topo_fail(c->p, SIM_TOPO_ERROR_DUPLICATE, group, key,
                          "expected each key once per group, found it at "
                          "lines %u and %u (the last would win)",
                          first, line);
    return TRUE;
}

/* Scans the raw text for what GKeyFile hides (topo_check_item()). */
gboolean
topo_check_duplicates(TopoParser *p)
{
    TopoCheck c = { p, TRUE };
    sim_input_ini_scan(p->text, p->len, topo_check_item, &c);
    return c.ok;
}

/* Splits "kind word word" into kind and words. */
char **
topo_words(const char *group)
{
    g_auto(GStrv) raw = g_strsplit_set(group, " \t", -1);
    GPtrArray *a = g_ptr_array_new();
    for (guint i = 0; raw[i]; i++)
        if (raw[i][0])
            g_ptr_array_add(a, g_strdup(raw[i]));
    g_ptr_array_add(a, NULL);
    return (char **)g_ptr_array_free(a, FALSE);
}

/* A [defaults KIND] group: KIND one of topo_defaults_kinds, every key
 * one of KIND's.  *kind is set when KIND is valid (its known keys can be
 * given then, even if others are unknown). */
gboolean
topo_check_defaults_group(TopoParser *p, const char *group,
                          const TopoKind **kind)
{
    g_auto(GStrv) w = topo_words(group);
    *kind = NULL;
    if (g_strv_length(w) != 2 ||
        !g_strv_contains(topo_defaults_kinds, w[1])) {
        g_autofree char *hint =
            w[1] ? topo_hint(w[1], topo_defaults_kinds, G_MAXSIZE)
                 : g_strdup("");
        return topo_fail(p, SIM_TOPO_ERROR_UNKNOWN_GROUP, group, NULL,
                         "expected [defaults node], [defaults traffic] or "
                         "[defaults link] (keys given to every group of "
                         "that kind that does not set them)%s",
                         hint);
    }
    *kind = topo_kind_find(w[1]);
    g_auto(GStrv) keys = g_key_file_get_keys(p->kf, group, NULL, NULL);
    gboolean ok = TRUE;
    for (guint i = 0; keys && keys[i]; i++) {
        if (topo_key_find(*kind, keys[i]))
            continue;
        g_autofree const char **names = topo_key_names(*kind);
        g_autofree char *hint = topo_hint(keys[i], names, G_MAXSIZE);
        g_autofree char *all = g_strjoinv(", ", (char **)names);
        ok = topo_fail(p, SIM_TOPO_ERROR_UNKNOWN_KEY, group, keys[i],
                       "unknown key%s; expected one of the keys of %s "
                       "groups: %s",
                       hint, topo_kinds_form(*kind), all);
    }
    return ok;
}

/* Classifies every group: kind, name words, keys. */
static gboolean
topo_check_group(TopoParser *p, TopoGroup *tg)
{
    g_auto(GStrv) w = topo_words(tg->group);
    /* Checked when its keys were given (topo_apply_defaults). */
    if (w[0] && g_str_equal(w[0], "defaults")) {
        tg->defaults = TRUE;
        return TRUE;
    }
    if (!w[0])
        return topo_fail(p, SIM_TOPO_ERROR_UNKNOWN_GROUP, tg->group, NULL,
                         "expected a group kind, found an empty name");
    const TopoKind *kind = topo_kind_find(w[0]);
    if (!kind) {
        g_autofree char *hint = topo_hint(w[0], topo_kind_names, G_MAXSIZE);
        if (!hint[0]) {
            g_free(hint);
            hint = topo_hint(w[0], (const char *const[]){ "defaults", NULL },
                             1);
        }
        g_autofree char *all = g_strjoinv(", ", (char **)topo_kind_names);
        return topo_fail(p, SIM_TOPO_ERROR_UNKNOWN_GROUP, tg->group, NULL,
                         "unknown group kind \"%s\"%s; expected one of %s, "
                         "defaults",
                         w[0], hint, all);
    }
    guint nw = g_strv_length(w) - 1;
    tg->kind = kind;
    if (nw != tg->kind->n_words) {
        static const char *const forms[] = {
            "[%s] (no name after the kind)",
            "[%s NAME] (one name after the kind)",
            "[%s SITE_A SITE_B] (two site names after the kind)" };
        g_autofree char *form =
            g_strdup_printf(forms[tg->kind->n_words], tg->kind->kind);
        /* Its keys are not checked: what the group is remains unknown. */
        tg->kind = NULL;
        return topo_fail(p, SIM_TOPO_ERROR_BAD_VALUE, tg->group, NULL,
                         "expected a group name of the form %s, found %u "
                         "name word%s",
                         form, nw, nw == 1 ? "" : "s");
    }
    tg->words = g_strdupv(w + 1);
    g_auto(GStrv) keys = g_key_file_get_keys(p->kf, tg->group, NULL, NULL);
    gboolean ok = TRUE;
    for (guint i = 0; keys && keys[i]; i++) {
        if (topo_key_find(tg->kind, keys[i]))
            continue;
        g_autofree const char **names = topo_key_names(tg->kind);
        g_autofree char *hint = topo_hint(keys[i], names, G_MAXSIZE);
        g_autofree char *all = g_strjoinv(", ", (char **)names);
        ok = topo_fail(p, SIM_TOPO_ERROR_UNKNOWN_KEY, tg->group, keys[i],
                       "unknown key%s; expected one of %s", hint, all);
    }
    return ok;
}

gboolean
topo_classify(TopoParser *p)
{
    g_auto(GStrv) groups = g_key_file_get_groups(p->kf, NULL);
    /* Canonical name ("kind word word") -> the group first so named. */
    g_autoptr(GHashTable) names =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    gboolean ok = TRUE;
    p->n_groups = g_strv_length(groups);
    p->groups = g_new0(TopoGroup, p->n_groups);
    for (guint i = 0; i < p->n_groups; i++) {
        TopoGroup *tg = &p->groups[i];
        tg->group = g_strdup(groups[i]);
        ok &= topo_check_group(p, tg);
        if (tg->defaults)
            continue;
        if (!tg->kind) {
            p->bad_groups = TRUE;
            continue;
        }
        /* Link groups are unordered pairs of sites; domain names are
         * DNS names, which are case-insensitive. */
        gboolean swap = tg->kind->n_words == 2 &&
                        strcmp(tg->words[0], tg->words[1]) > 0;
        gboolean domain = tg->kind == &topo_kinds[TOPO_DOMAIN];
        g_autofree char *canon = g_strdup_printf(
            "%s %s %s", tg->kind->kind, tg->words[0] ? tg->words[swap] : "",
            tg->words[0] && tg->words[1] ? tg->words[!swap] : "");
        if (domain) {
            g_autofree char *low = g_ascii_strdown(canon, -1);
            g_free(canon);
            canon = g_steal_pointer(&low);
        }
        const char *first = g_hash_table_lookup(names, canon);
        if (!first) {
            g_hash_table_insert(names, g_steal_pointer(&canon), tg->group);
            continue;
        }
        ok = topo_fail(p, SIM_TOPO_ERROR_DUPLICATE, tg->group, NULL,
                       "expected each %s group once%s, found [%s] at line "
                       "%u and [%s] at line %u",
                       tg->kind->kind,
                       domain ? " (DNS names are case-insensitive)"
                       : swap ? " (SITE_A SITE_B and SITE_B SITE_A are one "
                                "link)"
                              : "",
                       first, topo_line(p, first, NULL), tg->group,
                       topo_line(p, tg->group, NULL));
    }
    return ok;
}

/* ---- Public API ------------------------------------------------------- */

/**
 * sim_topo_key_unit:
 * @key: a key as --set writes it: GROUP-KIND[.NAME...].KEY, e.g.
 *   "link.west.east.delay" or "traffic.a-to-b.rate"
 *
 * Returns: the unit the loader reads the key's values in, or
 *   %SIM_TOPO_UNIT_NONE.
 */
SimTopoUnit
sim_topo_key_unit(const char *key)
{
    g_return_val_if_fail(key != NULL, SIM_TOPO_UNIT_NONE);
    if (g_str_has_prefix(key, "defaults.") && strchr(key + 9, '.'))
        key += strlen("defaults.");
    const char *dot = strchr(key, '.');
    const char *last = strrchr(key, '.');
    if (!dot)
        return SIM_TOPO_UNIT_NONE;
    g_autofree char *kind = g_strndup(key, dot - key);
    for (guint i = 0; i < G_N_ELEMENTS(topo_key_units); i++)
        if (g_str_equal(topo_key_units[i].kind, kind) &&
            g_str_equal(topo_key_units[i].key, last + 1))
            return topo_key_units[i].unit;
    return SIM_TOPO_UNIT_NONE;
}

/**
 * sim_topo_key_is_file:
 * @key: a key as --set writes it: GROUP-KIND[.NAME...].KEY
 *
 * Returns: TRUE if the key's value is a file name (certificates, keys,
 *   profiles).
 */
gboolean
sim_topo_key_is_file(const char *key)
{
    static const char *const files[] = {
        "simulation.cpu-profile", "pki.ca-file", "pki.ca-key-file",
        "node.cert-file", "node.key-file", NULL
    };
    g_return_val_if_fail(key != NULL, FALSE);
    const char *dot = strchr(key, '.');
    const char *last = strrchr(key, '.');
    if (!dot)
        return FALSE;
    if (g_str_has_prefix(key, "defaults.") && dot != last) {
        key = dot + 1;
        dot = strchr(key, '.');
    }
    g_autofree char *name = g_strdup_printf("%.*s%s", (int)(dot - key), key,
                                            last);
    return g_strv_contains(files, name);
}

/**
 * sim_protocol_name:
 * @p: a protocol
 *
 * Returns: (transfer none): its [transport] protocol name, e.g. "tls-sctp".
 */
const char *
sim_protocol_name(SimProtocol p)
{
    g_return_val_if_fail(p < SIM_PROTO_N, "?");
    return topo_protocol_names[p];
}

/**
 * sim_protocol_kind:
 * @p: a protocol
 *
 * Returns: the Via transport a [transport] protocol runs as (what
 *   strategies are checked against and what the world builds).
 */
SimTransportKind
sim_protocol_kind(SimProtocol p)
{
    g_return_val_if_fail(p < SIM_PROTO_N, SIM_TRANSPORT_UDP);
    return topo_protocol_kinds[p];
}

/**
 * sim_topo_defaults_text:
 *
 * Returns: (transfer full): every key's default as "group.key = value"
 *   lines, in schema order; keys without a constant default say in words
 *   what they default to.
 */
char *
sim_topo_defaults_text(void)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < TOPO_N_KINDS; i++)
        for (const TopoKey *k = topo_kinds[i].keys; k->key; k++)
            g_string_append_printf(s, "%s.%s = %s%s%s\n", topo_kinds[i].kind,
                                   k->key, k->def ? k->def : "(",
                                   k->def ? "" : k->note,
                                   k->def ? "" : ")");
    return g_string_free(s, FALSE);
}
