/* SPDX-License-Identifier: MIT */
/*
 * The topology loader (DESIGN.md section 7): a GKeyFile in, the plain
 * structs of run/topo.h out, with every validation done here.  A schema
 * table lists each group kind's keys and their defaults as text, so absent
 * keys go through the same parsers as written ones and `check --defaults`
 * prints exactly what the loader uses.  Every error names the file, the
 * line when it can be found, the group and the key, what was expected and
 * what was found, and suggests the nearest valid name for a misspelling.
 * A load goes on past problems (a bad value falls back to its default,
 * checks that depend on it are skipped) so that one error lists them all.
 * What GKeyFile hides is read from the raw text: repeated groups and keys,
 * keys with a [LOCALE] suffix.  Files are parsed as the run will parse
 * them (profiles with the profile reader, PEM through models/pki.c), and
 * strategy names are checked against the registry.  Contradictions
 * rejected: tls-version with a non-TLS protocol, warmup >= duration, an
 * explicit strategy that cannot run over the protocol, cert-file without
 * key-file (or with cert-expired/untrusted, or a key of another
 * certificate), ca-key-file without ca-file, two nodes on one {address,
 * port}, an SRV {target, port} no node listens on, traffic with from ==
 * to or start >= stop, a fault at or after the end of the run;
 * mutual-auth and resumption are ignored on non-TLS protocols (so one file
 * serves every --set protocol), and a [link A A] sets the path inside one
 * site.
 */
#define G_LOG_DOMAIN "sim-topo"

#include "run/topo.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/net.h"
#include "models/pki.h"
#include "models/strategy/strategy.h"
#include "run/profile.h"

G_DEFINE_QUARK(sim-topo-error-quark, sim_topo_error)

/* Longest certificate, key or profile file the loader reads. */
#define TOPO_MAX_FILE (1u << 20)
/* Durations must be shorter: 1e9 s, about 31 years of simulated time. */
#define TOPO_MAX_NS 1e18
/* Longest run ([simulation] duration): 365 days.  Long runs sample their
 * time series less often (sim_world_sample_interval), so this bounds the
 * run's own cost, not the series'. */
#define TOPO_MAX_RUN_NS (G_GUINT64_CONSTANT(365) * 86400 * 1000000000)
/* Longest value quoted in an error message. */
#define TOPO_QUOTE_MAX 60
/* Problems listed in one error; the rest are counted. */
#define TOPO_MAX_PROBLEMS 100

/* One key of a group kind. */
typedef struct {
    /* Key name. */
    const char *key;
    /* (nullable): default as parseable text, used when the key is absent. */
    const char *def;
    /* (nullable): the default when it is not a constant, for --defaults. */
    const char *note;
} TopoKey;

/* One group kind. */
typedef struct {
    /* The first word of the group name. */
    const char *kind;
    /* How many words follow the kind: 0, 1 (NAME) or 2 (SITE_A SITE_B). */
    guint n_words;
    /* Keys, terminated by a zeroed entry. */
    const TopoKey *keys;
} TopoKind;

static const TopoKey topo_keys_simulation[] = {
    { "duration", "60s", NULL },
    { "warmup", "0", NULL },
    { "seed", "1", NULL },
    { "strategy", "reuse", NULL },
    { "cpu-profile", NULL, "none: SPEC 3.3 costs" },
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
    { "site", NULL, "a site of the node's own name" },
    { "domains", NULL, "none" },
    { "cert-san", NULL, "URI:sip:HOST plus URI:sip:DOMAIN per domain" },
    { "client-cert", "true", NULL },
    { "cert-file", NULL, "none: a certificate is generated" },
    { "key-file", NULL, "none" },
    { "cert-expired", "false", NULL },
    { "cert-untrusted", "false", NULL },
    { "accept-alias", "true", NULL },
    { "strategy", NULL, "the run's strategy" },
    { "cores", "1", NULL },
    { "sip-cost", "50us", NULL },
    { "tls-full-cost", NULL, "from the cpu profile or SPEC 3.3" },
    { "tls-resumed-cost", NULL, "from the cpu profile or SPEC 3.3" },
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
    { NULL, NULL, NULL },
};

static const TopoKey topo_keys_fault[] = {
    { "node", NULL, "required" },
    { "at", "0", NULL },
    { "duration", NULL, "until the end of the run" },
    { NULL, NULL, NULL },
};

enum {
    TOPO_SIMULATION,
    TOPO_TRANSPORT,
    TOPO_NETWORK,
    TOPO_PKI,
    TOPO_DNS,
    TOPO_DOMAIN,
    TOPO_NODE,
    TOPO_LINK,
    TOPO_TRAFFIC,
    TOPO_FAULT,
    TOPO_N_KINDS
};

static const TopoKind topo_kinds[TOPO_N_KINDS] = {
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

static const char *const topo_protocol_names[SIM_PROTO_N + 1] = {
    [SIM_PROTO_UDP] = "udp",
    [SIM_PROTO_TCP] = "tcp",
    [SIM_PROTO_SCTP] = "sctp",
    [SIM_PROTO_TLS] = "tls",
    [SIM_PROTO_TLS_SCTP] = "tls-sctp",
};

/* The Via transport of each protocol (what strategies are checked
 * against). */
static const SimTransportKind topo_protocol_kinds[SIM_PROTO_N] = {
    [SIM_PROTO_UDP] = SIM_TRANSPORT_UDP,
    [SIM_PROTO_TCP] = SIM_TRANSPORT_TCP,
    [SIM_PROTO_SCTP] = SIM_TRANSPORT_SCTP,
    [SIM_PROTO_TLS] = SIM_TRANSPORT_TLS,
    [SIM_PROTO_TLS_SCTP] = SIM_TRANSPORT_TLS_SCTP,
};

static const char *const topo_srv_select_names[] = {
    "proportional", "rfc2782", NULL
};
static const char *const topo_bye_by_names[] = {
    "caller", "callee", "random", NULL
};
static const char *const topo_pki_key_names[] = {
    "rsa-2048", "rsa-3072", "ecdsa-p256", "ed25519", NULL
};

/* One group of the file as the loader sees it. */
typedef struct {
    /* The group name as written in the file (GKeyFile's name). */
    char *group;
    /* Its kind. */
    const TopoKind *kind;
    /* (nullable): the words after the kind (owned by the parser). */
    char **words;
} TopoGroup;

/* One problem of a file. */
typedef struct {
    /* The line it is reported at (0: none, e.g. a --set problem). */
    guint line;
    /* "FILE:LINE: [GROUP] KEY: message". */
    char *text;
} TopoProblem;

static void
topo_problem_free(gpointer data)
{
    TopoProblem *pb = data;
    g_free(pb->text);
    g_free(pb);
}

/* State of one load. */
typedef struct {
    /* The key file. */
    GKeyFile *kf;
    /* File name for messages. */
    const char *file;
    /* Folder that relative file names are resolved against. */
    char *dir;
    /* The raw text, for line numbers. */
    const char *text;
    gsize len;
    /* "group\nkey" -> the --set text that set it. */
    GHashTable *overridden;
    /* Groups in file order. */
    TopoGroup *groups;
    guint n_groups;
    /* Lower-case host name -> first node index + 1. */
    GHashTable *hosts;
    /* Site name -> index + 1. */
    GHashTable *sites;
    /* Every problem found (of TopoProblem; at most TOPO_MAX_PROBLEMS). */
    GPtrArray *problems;
    /* How many problems were found (also those not kept). */
    guint n_problems;
    /* The code of every problem, or SIM_TOPO_ERROR_FAILED once two
     * differ. */
    SimTopoError code;
    /* "group\nkey" of every key (and "group\n" of every group) with a
     * problem: checks that depend on them are skipped. */
    GHashTable *bad;
    /* Groups of an unknown kind or form were found (whatever they meant
     * to define may be missing). */
    gboolean bad_groups;
    /* Some node's host or site key had a problem: references to unknown
     * hosts or sites are not reported (they may be meant for it). */
    gboolean bad_hosts;
    gboolean bad_sites;
    /* The protocol or some node's port had a problem: SRV ports are not
     * checked against the nodes' (which follow the protocol). */
    gboolean bad_ports;
    /* How [simulation] strategy is checked. */
    SimTopoLoadFlags flags;
} TopoParser;

/* ---- Small helpers ---------------------------------------------------- */

/* Edit distance between two short strings (G_MAXUINT if either is long). */
static guint
topo_distance(const char *a, const char *b)
{
    gsize la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return G_MAXUINT;
    guint row[65];
    for (gsize j = 0; j <= lb; j++)
        row[j] = j;
    for (gsize i = 1; i <= la; i++) {
        guint diag = row[0];
        row[0] = i;
        for (gsize j = 1; j <= lb; j++) {
            guint up = row[j];
            guint sub = diag + (g_ascii_tolower(a[i - 1]) !=
                                g_ascii_tolower(b[j - 1]));
            row[j] = MIN(MIN(row[j - 1] + 1, up + 1), sub);
            diag = up;
        }
    }
    return row[lb];
}

/* The nearest of @n candidates to @word, or NULL if none is close. */
static const char *
topo_nearest(const char *word, const char *const *cand, gsize n)
{
    const char *best = NULL;
    guint best_d = G_MAXUINT;
    guint limit = MAX(2, strlen(word) / 3);
    for (gsize i = 0; i < n && cand[i]; i++) {
        guint d = topo_distance(word, cand[i]);
        if (d < best_d && d <= limit && d < strlen(cand[i])) {
            best = cand[i];
            best_d = d;
        }
    }
    return best;
}

/* " (did you mean "X"?)" or "". */
static char *
topo_hint(const char *word, const char *const *cand, gsize n)
{
    const char *near = topo_nearest(word, cand, n);
    return near ? g_strdup_printf(" (did you mean \"%s\"?)", near)
                : g_strdup("");
}

/* A value quoted for a message: escaped and shortened. */
static char *
topo_quote(const char *value)
{
    g_autofree char *cut = g_strndup(value, TOPO_QUOTE_MAX);
    g_autofree char *esc = g_strescape(cut, NULL);
    return g_strdup_printf("\"%s%s\"", esc,
                           strlen(value) > TOPO_QUOTE_MAX ? "..." : "");
}

/* Key names of a kind as a NULL-terminated array (transfer container). */
static const char **
topo_key_names(const TopoKind *k)
{
    GPtrArray *a = g_ptr_array_new();
    for (const TopoKey *key = k->keys; key->key; key++)
        g_ptr_array_add(a, (gpointer)key->key);
    g_ptr_array_add(a, NULL);
    return (const char **)g_ptr_array_free(a, FALSE);
}

/* The group kinds by name, for hints and messages (same order as
 * topo_kinds). */
static const char *const topo_kind_names[] = {
    "simulation", "transport", "network", "pki", "dns",
    "domain", "node", "link", "traffic", "fault", NULL
};

/* The form of each kind's groups (same order as topo_kinds). */
static const char *const topo_kind_forms[TOPO_N_KINDS] = {
    "[simulation]", "[transport]", "[network]", "[pki]", "[dns]",
    "[domain NAME]", "[node NAME]", "[link SITE_A SITE_B]",
    "[traffic NAME]", "[fault NAME]",
};

static const char *
topo_kinds_form(const TopoKind *k)
{
    return topo_kind_forms[k - topo_kinds];
}

static const TopoKind *
topo_kind_find(const char *kind)
{
    for (guint i = 0; i < TOPO_N_KINDS; i++)
        if (g_str_equal(topo_kinds[i].kind, kind))
            return &topo_kinds[i];
    return NULL;
}

static const TopoKey *
topo_key_find(const TopoKind *k, const char *key)
{
    for (const TopoKey *e = k->keys; e->key; e++)
        if (g_str_equal(e->key, key))
            return e;
    return NULL;
}

/* Line number (1-based) of the group header, or of the key inside it when
 * @key is not NULL; 0 when not found. */
static guint
topo_line(const TopoParser *p, const char *group, const char *key)
{
    const char *s = p->text, *end = p->text + p->len;
    guint line = 0, found = 0;
    gboolean inside = FALSE;
    while (s < end) {
        const char *nl = memchr(s, '\n', end - s);
        const char *e = nl ? nl : end;
        g_autofree char *l = g_strstrip(g_strndup(s, e - s));
        line++;
        if (l[0] == '[') {
            char *close = strrchr(l, ']');
            if (close)
                *close = '\0';
            inside = close && g_str_equal(l + 1, group);
            if (inside && !key)
                return line;
        } else if (inside && key && l[0] != '#') {
            char *eq = strchr(l, '=');
            if (eq) {
                *eq = '\0';
                if (g_str_equal(g_strstrip(l), key))
                    found = line;
            }
        }
        s = e + 1;
    }
    return found;
}

/* Records a problem, "FILE:LINE: [GROUP] KEY (from --set ...): message",
 * and returns FALSE; loading goes on so that every problem is reported. */
static gboolean G_GNUC_PRINTF(5, 6)
topo_fail(TopoParser *p, SimTopoError code, const char *group,
          const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    p->code = p->n_problems == 0 || p->code == code ? code
                                                    : SIM_TOPO_ERROR_FAILED;
    if (group)
        g_hash_table_add(p->bad, g_strdup_printf("%s\n%s", group,
                                                 key ? key : ""));
    if (p->n_problems++ >= TOPO_MAX_PROBLEMS)
        return FALSE;
    g_autofree char *where = NULL;
    const char *set = NULL;
    if (group && key) {
        g_autofree char *k = g_strdup_printf("%s\n%s", group, key);
        set = g_hash_table_lookup(p->overridden, k);
    }
    guint line = group && !set ? topo_line(p, group, key) : 0;
    if (line == 0 && key && !set)
        line = topo_line(p, group, NULL);
    where = line ? g_strdup_printf("%s:%u", p->file, line)
                 : g_strdup(p->file);
    TopoProblem *pb = g_new(TopoProblem, 1);
    pb->line = line;
    if (!group)
        pb->text = g_strdup_printf("%s: %s", where, msg);
    else if (!key)
        pb->text = g_strdup_printf("%s: [%s]: %s", where, group, msg);
    else
        pb->text = g_strdup_printf("%s: [%s] %s%s%s%s: %s", where, group, key,
                                   set ? " (from --set " : "",
                                   set ? set : "", set ? ")" : "", msg);
    g_ptr_array_add(p->problems, pb);
    return FALSE;
}

/* TRUE if @key of @group (NULL: the group itself) had a problem. */
static gboolean
topo_is_bad(const TopoParser *p, const char *group, const char *key)
{
    g_autofree char *k = g_strdup_printf("%s\n%s", group, key ? key : "");
    return g_hash_table_contains(p->bad, k);
}

/* ---- Value parsers ---------------------------------------------------- */

/* The value of @key: as written, else the schema default, else NULL. */
static char *
topo_value(TopoParser *p, const TopoGroup *g, const char *key)
{
    char *v = g->group ? g_key_file_get_value(p->kf, g->group, key, NULL)
                       : NULL;
    if (v)
        return g_strstrip(v);
    const TopoKey *k = topo_key_find(g->kind, key);
    g_assert(k != NULL);
    return g_strdup(k->def);
}

/* Parses a non-negative decimal number at @s; returns the characters
 * consumed (0: none). */
static gsize
topo_number(const char *s, double *out)
{
    gsize i = 0, digits = 0;
    while (g_ascii_isdigit(s[i]))
        i++, digits++;
    if (s[i] == '.') {
        i++;
        while (g_ascii_isdigit(s[i]))
            i++, digits++;
    }
    if (digits == 0)
        return 0;
    if ((s[i] == 'e' || s[i] == 'E') &&
        (g_ascii_isdigit(s[i + 1]) ||
         ((s[i + 1] == '-' || s[i + 1] == '+') && g_ascii_isdigit(s[i + 2])))) {
        i += 2;
        while (g_ascii_isdigit(s[i]))
            i++;
    }
    g_autofree char *num = g_strndup(s, i);
    *out = g_ascii_strtod(num, NULL);
    return isfinite(*out) ? i : 0;
}

/* A number followed by one of @n unit suffixes (scale factors); the
 * empty suffix is units[0] when @bare is TRUE. */
typedef struct {
    const char *suffix;
    double scale;
} TopoUnit;

static gboolean
topo_scaled(const char *v, const TopoUnit *units, gsize n, double *out)
{
    double x;
    gsize used = topo_number(v, &x);
    if (used == 0)
        return FALSE;
    const char *u = v + used;
    while (*u == ' ' || *u == '\t')
        u++;
    for (gsize i = 0; i < n; i++) {
        if (g_str_equal(u, units[i].suffix)) {
            *out = x * units[i].scale;
            return isfinite(*out);
        }
    }
    return FALSE;
}

/* Flags of the numeric getters. */
enum {
    /* Zero is not allowed. */
    TOPO_POSITIVE = 1 << 0,
};

static gboolean
topo_bad(TopoParser *p, const TopoGroup *g, const char *key, const char *v,
         const char *expected)
{
    g_autofree char *q = topo_quote(v);
    gboolean neg = v[0] == '-';
    return topo_fail(p, SIM_TOPO_ERROR_BAD_VALUE, g->group, key,
                     "expected %s, found %s%s", expected, q,
                     neg ? " (negative values are not allowed)" : "");
}

/* The schema default of @key in @g's kind (NULL: none). */
static const char *
topo_default(const TopoGroup *g, const char *key)
{
    const TopoKey *k = topo_key_find(g->kind, key);
    g_assert(k != NULL);
    return k->def;
}

static const TopoUnit topo_time_units[] = {
    { "", 1e9 }, { "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 },
    { "s", 1e9 }, { "min", 60e9 }, { "h", 3600e9 },
};

/* Parses a duration of @flags, at most @max_ns, into *out. */
static gboolean
topo_duration_text(const char *v, guint flags, SimTime max_ns, SimTime *out)
{
    double ns;
    if (!topo_scaled(v, topo_time_units, G_N_ELEMENTS(topo_time_units), &ns) ||
        ns >= TOPO_MAX_NS)
        return FALSE;
    SimTime x = (SimTime)llround(ns);
    if (x > max_ns || ((flags & TOPO_POSITIVE) && x == 0))
        return FALSE;
    *out = x;
    return TRUE;
}

/* A duration of at most @max_ns (@limit says it in words):
 * ns/us/ms/s/min/h, bare number = seconds.  A bad value leaves the default
 * in *out (as does every getter below). */
static gboolean
topo_duration_max(TopoParser *p, const TopoGroup *g, const char *key,
                  guint flags, SimTime max_ns, const char *limit,
                  SimTime *out)
{
    g_autofree char *v = topo_value(p, g, key);
    if (!v || topo_duration_text(v, flags, max_ns, out))
        return TRUE;
    const char *def = topo_default(g, key);
    if (def)
        topo_duration_text(def, flags, max_ns, out);
    g_autofree char *exp = g_strdup_printf(
        "a %sduration %s, e.g. %s500ms, 2s or 1min (a bare number is "
        "seconds)",
        flags & TOPO_POSITIVE ? "positive " : "", limit,
        flags & TOPO_POSITIVE ? "" : "0, ");
    return topo_bad(p, g, key, v, exp);
}

/* A duration under TOPO_MAX_NS. */
static gboolean
topo_duration(TopoParser *p, const TopoGroup *g, const char *key,
              guint flags, SimTime *out)
{
    return topo_duration_max(p, g, key, flags, SIM_TIME_NEVER,
                             "under 1e9 s (about 31 years)", out);
}

static const TopoUnit topo_bw_units[] = {
    { "", 1 }, { "bps", 1 }, { "Kbps", 1e3 }, { "kbps", 1e3 },
    { "Mbps", 1e6 }, { "mbps", 1e6 }, { "Gbps", 1e9 }, { "gbps", 1e9 },
};

static gboolean
topo_bandwidth_text(const char *v, guint64 *out)
{
    double bps;
    if (!topo_scaled(v, topo_bw_units, G_N_ELEMENTS(topo_bw_units), &bps) ||
        bps < 1 || bps >= 1e15)
        return FALSE;
    *out = (guint64)llround(bps);
    return TRUE;
}

/* A bandwidth: bps/Kbps/Mbps/Gbps, bare number = bits per second. */
static gboolean
topo_bandwidth(TopoParser *p, const TopoGroup *g, const char *key,
               guint64 *out)
{
    g_autofree char *v = topo_value(p, g, key);
    if (!v || topo_bandwidth_text(v, out))
        return TRUE;
    const char *def = topo_default(g, key);
    if (def)
        topo_bandwidth_text(def, out);
    return topo_bad(p, g, key, v,
                    "a positive bandwidth below 1e15 bps (e.g. 100Mbps, "
                    "1Gbps, 64Kbps; a bare number is bits per second)");
}

static const TopoUnit topo_rate_units[] = {
    { "", 1 }, { "/s", 1 }, { "/min", 1.0 / 60 }, { "/h", 1.0 / 3600 },
};

static gboolean
topo_rate_text(const char *v, double *out)
{
    double r;
    if (!topo_scaled(v, topo_rate_units, G_N_ELEMENTS(topo_rate_units), &r) ||
        r <= 0 || r > 1e9)
        return FALSE;
    *out = r;
    return TRUE;
}

/* A rate in calls per second: N, N/s (also N/min, N/h). */
static gboolean
topo_rate(TopoParser *p, const TopoGroup *g, const char *key, double *out)
{
    g_autofree char *v = topo_value(p, g, key);
    if (!v || topo_rate_text(v, out))
        return TRUE;
    const char *def = topo_default(g, key);
    if (def)
        topo_rate_text(def, out);
    return topo_bad(p, g, key, v,
                    "a positive rate of at most 1e9 calls per second (N, "
                    "N/s, N/min or N/h, e.g. 20/s)");
}

static gboolean
topo_loss_text(const char *v, double *out)
{
    static const TopoUnit units[] = { { "", 1 }, { "%", 0.01 } };
    double x;
    if (!topo_scaled(v, units, G_N_ELEMENTS(units), &x) || x >= 1)
        return FALSE;
    *out = x;
    return TRUE;
}

/* A probability in [0, 1): a fraction or a percentage. */
static gboolean
topo_loss(TopoParser *p, const TopoGroup *g, const char *key, double *out)
{
    g_autofree char *v = topo_value(p, g, key);
    if (!v || topo_loss_text(v, out))
        return TRUE;
    const char *def = topo_default(g, key);
    if (def)
        topo_loss_text(def, out);
    return topo_bad(p, g, key, v,
                    "a loss probability in [0, 1) (e.g. 0.01 or 1%)");
}

static gboolean
topo_fraction_text(const char *v, double *out)
{
    static const TopoUnit units[] = { { "", 1 }, { "%", 0.01 } };
    double x;
    if (!topo_scaled(v, units, G_N_ELEMENTS(units), &x) || x > 1)
        return FALSE;
    *out = x;
    return TRUE;
}

/* A probability in [0, 1]: a fraction or a percentage. */
static gboolean
topo_fraction(TopoParser *p, const TopoGroup *g, const char *key,
              double *out)
{
    g_autofree char *v = topo_value(p, g, key);
    if (!v || topo_fraction_text(v, out))
        return TRUE;
    const char *def = topo_default(g, key);
    if (def)
        topo_fraction_text(def, out);
    return topo_bad(p, g, key, v,
                    "a fraction in [0, 1] (e.g. 0.3 or 30%)");
}

static gboolean
topo_uint_text(const char *v, guint64 min, guint64 max, guint64 *out)
{
    guint64 x = 0;
    gboolean ok = v[0] != '\0';
    for (const char *s = v; ok && *s; s++) {
        guint d = (guint)(*s - '0');
        ok = g_ascii_isdigit(*s) && x <= (G_MAXUINT64 - d) / 10;
        x = ok ? x * 10 + d : x;
    }
    if (!ok || x < min || x > max)
        return FALSE;
    *out = x;
    return TRUE;
}

/* An unsigned integer in [min, max]. */
static gboolean
topo_uint(TopoParser *p, const TopoGroup *g, const char *key, guint64 min,
          guint64 max, guint64 *out)
{
    g_autofree char *v = topo_value(p, g, key);
    if (!v || topo_uint_text(v, min, max, out))
        return TRUE;
    const char *def = topo_default(g, key);
    if (def)
        topo_uint_text(def, min, max, out);
    g_autofree char *exp = g_strdup_printf(
        "an integer in %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT, min, max);
    return topo_bad(p, g, key, v, exp);
}

static gboolean
topo_guint(TopoParser *p, const TopoGroup *g, const char *key, guint min,
           guint max, guint *out)
{
    guint64 x = *out;
    gboolean ok = topo_uint(p, g, key, min, max, &x);
    *out = (guint)x;
    return ok;
}

static gboolean
topo_bool_text(const char *v, gboolean *out)
{
    if (!g_ascii_strcasecmp(v, "true") || !g_ascii_strcasecmp(v, "yes") ||
        g_str_equal(v, "1"))
        *out = TRUE;
    else if (!g_ascii_strcasecmp(v, "false") ||
             !g_ascii_strcasecmp(v, "no") || g_str_equal(v, "0"))
        *out = FALSE;
    else
        return FALSE;
    return TRUE;
}

/* A boolean: true/false, yes/no, 1/0. */
static gboolean
topo_bool(TopoParser *p, const TopoGroup *g, const char *key, gboolean *out)
{
    g_autofree char *v = topo_value(p, g, key);
    if (!v || topo_bool_text(v, out))
        return TRUE;
    const char *def = topo_default(g, key);
    if (def)
        topo_bool_text(def, out);
    return topo_bad(p, g, key, v, "true or false");
}

/* The index of @v in a NULL-terminated list of names, or -1. */
static gint
topo_enum_index(const char *v, const char *const *names)
{
    for (guint i = 0; v && names[i]; i++)
        if (g_str_equal(v, names[i]))
            return (gint)i;
    return -1;
}

/* One of a NULL-terminated list of names; *out is its index. */
static gboolean
topo_enum(TopoParser *p, const TopoGroup *g, const char *key,
          const char *const *names, guint *out)
{
    g_autofree char *v = topo_value(p, g, key);
    gint i = topo_enum_index(v, names);
    if (!v || i >= 0) {
        *out = v ? (guint)i : *out;
        return TRUE;
    }
    i = topo_enum_index(topo_default(g, key), names);
    *out = i >= 0 ? (guint)i : *out;
    g_autofree char *list = g_strjoinv("|", (char **)names);
    g_autofree char *hint = topo_hint(v, names, G_MAXSIZE);
    g_autofree char *q = topo_quote(v);
    return topo_fail(p, SIM_TOPO_ERROR_BAD_VALUE, g->group, key,
                     "expected one of %s, found %s%s", list, q, hint);
}

/* TRUE if @s is a name without blanks, separators or control bytes. */
static gboolean
topo_is_token(const char *s)
{
    if (!*s)
        return FALSE;
    for (; *s; s++)
        if ((guchar)*s <= ' ' || *s == ';' || *s == ',' || *s == '[' ||
            *s == ']' || *s == '=' || *s == 0x7f)
            return FALSE;
    return TRUE;
}

/* A single name (host, site, strategy...); NULL if absent. */
static gboolean
topo_token(TopoParser *p, const TopoGroup *g, const char *key, char **out)
{
    g_autofree char *v = topo_value(p, g, key);
    const char *def = topo_default(g, key);
    if (v && !topo_is_token(v)) {
        if (def) {
            g_free(*out);
            *out = g_strdup(def);
        }
        return topo_bad(p, g, key, v,
                        "a single name without blanks, ';' or ','");
    }
    if (v) {
        g_free(*out);
        *out = g_steal_pointer(&v);
    }
    return TRUE;
}

/* The registered strategy names, NULL-terminated (transfer container). */
static const char **
topo_strategy_names(void)
{
    const SimStrategyOps *const *all = sim_strategy_all();
    GPtrArray *a = g_ptr_array_new();
    for (guint i = 0; all[i]; i++)
        g_ptr_array_add(a, (gpointer)all[i]->name);
    g_ptr_array_add(a, NULL);
    return (const char **)g_ptr_array_free(a, FALSE);
}

/* A strategy name from the registry (models/strategy), with a hint. */
static gboolean
topo_strategy(TopoParser *p, const TopoGroup *g, const char *key, char **out)
{
    if (!topo_token(p, g, key, out))
        return FALSE;
    if (!*out || sim_strategy_by_name(*out, NULL))
        return TRUE;
    g_autofree const char **names = topo_strategy_names();
    g_autofree char *list = g_strjoinv("|", (char **)names);
    g_autofree char *hint = topo_hint(*out, names, G_MAXSIZE);
    g_autofree char *q = topo_quote(*out);
    const char *def = topo_default(g, key);
    g_free(*out);
    *out = g_strdup(def);
    return topo_fail(p, SIM_TOPO_ERROR_BAD_VALUE, g->group, key,
                     "expected a strategy, one of %s (see sipreuse list), "
                     "found %s%s",
                     list, q, hint);
}

/* A `;`- or `,`-separated list; empty items are dropped. */
static char **
topo_split(const char *v)
{
    g_auto(GStrv) parts = g_strsplit_set(v, ";,", -1);
    GPtrArray *a = g_ptr_array_new();
    for (guint i = 0; parts[i]; i++) {
        g_strstrip(parts[i]);
        if (parts[i][0])
            g_ptr_array_add(a, g_strdup(parts[i]));
    }
    g_ptr_array_add(a, NULL);
    return (char **)g_ptr_array_free(a, FALSE);
}

/* What a file key names (topo_file). */
typedef enum {
    /* A `sipreuse calibrate` CPU profile. */
    TOPO_FILE_PROFILE,
    /* PEM certificates: a node's chain, leaf first. */
    TOPO_FILE_CHAIN,
    /* A PEM CA certificate. */
    TOPO_FILE_CA,
    /* A node's PEM private key (a type nodes use). */
    TOPO_FILE_LEAF_KEY,
    /* A CA's PEM private key. */
    TOPO_FILE_CA_KEY,
} TopoFileKind;

/* What each file kind must hold, for messages. */
static const char *const topo_file_kinds[] = {
    [TOPO_FILE_PROFILE] = "a CPU profile written by sipreuse calibrate",
    [TOPO_FILE_CHAIN] = "a PEM certificate chain, leaf first",
    [TOPO_FILE_CA] = "a PEM CA certificate",
    [TOPO_FILE_LEAF_KEY] = ("a PEM private key (rsa-2048, rsa-3072, "
                            "ecdsa-p256 or ed25519, unencrypted)"),
    [TOPO_FILE_CA_KEY] = "an unencrypted PEM private key",
};

/* Parses @path as the run will: a profile with the profile reader,
 * certificates and keys with OpenSSL (through models/pki.c). */
static gboolean
topo_file_content(TopoFileKind kind, const char *path, GError **error)
{
    switch (kind) {
    case TOPO_FILE_PROFILE: {
        g_auto(SimCpuProfile) profile = { 0 };
        return sim_cpu_profile_load(&profile, path, error);
    }
    case TOPO_FILE_CHAIN:
    case TOPO_FILE_CA:
        return sim_pki_check_pem_file(path, SIM_PKI_PEM_CERTS, error);
    case TOPO_FILE_LEAF_KEY:
        return sim_pki_check_pem_file(path, SIM_PKI_PEM_LEAF_KEY, error);
    case TOPO_FILE_CA_KEY:
    default:
        return sim_pki_check_pem_file(path, SIM_PKI_PEM_KEY, error);
    }
}

/* The folder-relative path of a readable file of @kind (credentials,
 * profiles), parsed as the run will parse it. */
static gboolean
topo_file(TopoParser *p, const TopoGroup *g, const char *key,
          TopoFileKind kind, char **out)
{
    g_autofree char *v = topo_value(p, g, key);
    if (!v)
        return TRUE;
    g_autofree char *path = g_path_is_absolute(v)
                                ? g_strdup(v)
                                : g_build_filename(p->dir, v, NULL);
    g_autofree char *q = topo_quote(path);
    GStatBuf st;
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR) || g_stat(path, &st))
        return topo_fail(p, SIM_TOPO_ERROR_CREDENTIALS, g->group, key,
                         "expected a readable file, found no file %s", q);
    if (st.st_size == 0 || st.st_size > TOPO_MAX_FILE)
        return topo_fail(p, SIM_TOPO_ERROR_CREDENTIALS, g->group, key,
                         "expected %s (at most 1 MiB), found %s%s",
                         topo_file_kinds[kind],
                         st.st_size ? "a larger file " : "an empty file ",
                         q);
    FILE *f = fopen(path, "rb");
    if (!f)
        return topo_fail(p, SIM_TOPO_ERROR_CREDENTIALS, g->group, key,
                         "expected a readable file, cannot open %s: %s", q,
                         g_strerror(errno));
    fclose(f);
    g_autoptr(GError) bad = NULL;
    if (!topo_file_content(kind, path, &bad))
        return topo_fail(p, SIM_TOPO_ERROR_CREDENTIALS, g->group, key,
                         "expected %s, found a file that is not: %s",
                         topo_file_kinds[kind], bad->message);
    g_free(*out);
    *out = g_steal_pointer(&path);
    return TRUE;
}

/* A key file and the certificate file it must be the key of (both
 * parsed already; either may be unset). */
static gboolean
topo_key_pair(TopoParser *p, const TopoGroup *g, const char *key,
              const char *cert_file, const char *key_file)
{
    g_autoptr(GError) bad = NULL;
    if (!cert_file || !key_file ||
        sim_pki_check_pem_pair(cert_file, key_file, &bad))
        return TRUE;
    return topo_fail(p, SIM_TOPO_ERROR_CREDENTIALS, g->group, key,
                     "expected the private key of the certificate beside "
                     "it, found another: %s",
                     bad->message);
}

/* ---- Structure: groups, duplicates, overrides -------------------------- */

/* One key line of the raw text, inside group @group (NULL: none yet):
 * rejects localized keys and keys written twice in one group, which
 * GKeyFile would hide or let the last win silently.  @keys maps the keys
 * seen since the group header to their lines. */
static gboolean
topo_check_key_line(TopoParser *p, const char *group, char *l, guint line,
                    GHashTable *keys)
{
    char *eq = strchr(l, '=');
    if (!group || !eq || l[0] == '#')
        return TRUE;
    *eq = '\0';
    const char *key = g_strstrip(l);
    if (strchr(key, '[')) {
        g_autofree char *q = topo_quote(key);
        return topo_fail(p, SIM_TOPO_ERROR_UNKNOWN_KEY, group, key,
                         "expected a key without a [LOCALE] suffix (the "
                         "format has no localized keys), found %s",
                         q);
    }
    guint first = GPOINTER_TO_UINT(g_hash_table_lookup(keys, key));
    if (first)
        return topo_fail(p, SIM_TOPO_ERROR_DUPLICATE, group, key,
                         "expected each key once per group, found it at "
                         "lines %u and %u (the last would win)",
                         first, line);
    g_hash_table_insert(keys, g_strdup(key), GUINT_TO_POINTER(line));
    return TRUE;
}

/* Scans the raw text for what GKeyFile hides: a group written twice
 * (merged), a key written twice in a group (the last wins), a key with a
 * [LOCALE] suffix (not returned by g_key_file_get_keys). */
static gboolean
topo_check_duplicates(TopoParser *p)
{
    g_autoptr(GHashTable) seen =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) keys =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autofree char *group = NULL;
    const char *s = p->text, *end = p->text + p->len;
    guint line = 0;
    gboolean ok = TRUE;
    while (s < end) {
        const char *nl = memchr(s, '\n', end - s);
        const char *e = nl ? nl : end;
        g_autofree char *l = g_strstrip(g_strndup(s, e - s));
        line++;
        s = e + 1;
        char *close = strrchr(l, ']');
        if (l[0] != '[' || !close) {
            ok &= topo_check_key_line(p, group, l, line, keys);
            continue;
        }
        *close = '\0';
        g_free(group);
        group = g_strdup(l + 1);
        g_hash_table_remove_all(keys);
        guint first = GPOINTER_TO_UINT(g_hash_table_lookup(seen, group));
        if (first)
            ok = topo_fail(p, SIM_TOPO_ERROR_DUPLICATE, group, NULL,
                           "expected each group once, found it at lines "
                           "%u and %u",
                           first, line);
        else
            g_hash_table_insert(seen, g_strdup(group),
                                GUINT_TO_POINTER(line));
    }
    return ok;
}

/* The group's name words with blanks written as dots (override matching). */
static char *
topo_dotted(char **words)
{
    return g_strjoinv(".", words);
}

/* Splits "kind word word" into kind and words. */
static char **
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

/* The groups of kind @k (their names as written) and, in the same order,
 * their names as --set writes them (words joined by dots; a link also in
 * the other order of its sites). */
static void
topo_override_candidates(TopoParser *p, const TopoKind *k, GPtrArray *groups,
                         GPtrArray *dotted)
{
    g_auto(GStrv) all = g_key_file_get_groups(p->kf, NULL);
    for (guint i = 0; all[i]; i++) {
        g_auto(GStrv) w = topo_words(all[i]);
        if (!w[0] || !g_str_equal(w[0], k->kind))
            continue;
        g_ptr_array_add(groups, g_strdup(all[i]));
        g_ptr_array_add(dotted, topo_dotted(w + 1));
        if (k->n_words == 2 && w[1] && w[2] && !w[3]) {
            g_ptr_array_add(groups, g_strdup(all[i]));
            g_ptr_array_add(dotted, g_strdup_printf("%s.%s", w[2], w[1]));
        }
    }
}

/* "[kind a b]" for the group an override's middle part names, as far as
 * the dots allow telling its words apart. */
static char *
topo_override_display(const TopoKind *k, const char *middle)
{
    const char *dot = strchr(middle, '.');
    if (k->n_words == 2 && dot && !strchr(dot + 1, '.'))
        return g_strdup_printf("[%s %.*s %s]", k->kind, (int)(dot - middle),
                               middle, dot + 1);
    return g_strdup_printf("[%s %s]", k->kind, middle);
}

/* Finds the one group an override's middle part names (transfer full), or
 * records why there is none. */
static char *
topo_override_group(TopoParser *p, const TopoKind *k, const char *ov,
                    const char *middle)
{
    g_autoptr(GPtrArray) groups = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) dotted = g_ptr_array_new_with_free_func(g_free);
    topo_override_candidates(p, k, groups, dotted);
    g_autoptr(GPtrArray) hits = g_ptr_array_new();
    for (guint i = 0; i < groups->len; i++)
        if (g_str_equal(g_ptr_array_index(dotted, i), middle) &&
            !g_ptr_array_find_with_equal_func(
                hits, g_ptr_array_index(groups, i), g_str_equal, NULL))
            g_ptr_array_add(hits, g_ptr_array_index(groups, i));
    if (hits->len == 1)
        return g_strdup(g_ptr_array_index(hits, 0));
    g_autofree char *q = topo_quote(ov);
    g_autofree char *want = topo_override_display(k, middle);
    GString *list = g_string_new(NULL);
    GPtrArray *shown = hits->len ? hits : groups;
    for (guint i = 0; i < shown->len && i < 8; i++)
        if (!i || !g_str_equal(g_ptr_array_index(shown, i),
                               g_ptr_array_index(shown, i - 1)))
            g_string_append_printf(list, "%s[%s]", list->len ? ", " : "",
                                   (char *)g_ptr_array_index(shown, i));
    if (shown->len > 8)
        g_string_append(list, ", ...");
    g_autofree char *all = g_string_free(list, FALSE);
    if (hits->len > 1) {
        topo_fail(p, SIM_TOPO_ERROR_OVERRIDE, NULL, NULL,
                  "--set %s: expected one group named %s, found several "
                  "(%s): rename one",
                  q, want, all);
        return NULL;
    }
    g_ptr_array_add(dotted, NULL);
    const char *near = topo_nearest(middle, (const char *const *)dotted->pdata,
                                    dotted->len - 1);
    g_autofree char *hint = NULL;
    for (guint i = 0; near && i < groups->len; i++)
        if (g_ptr_array_index(dotted, i) == near)
            hint = g_strdup_printf(" (did you mean [%s]?)",
                                   (char *)g_ptr_array_index(groups, i));
    topo_fail(p, SIM_TOPO_ERROR_OVERRIDE, NULL, NULL,
              "--set %s: expected the name of a %s group of the file (%s), "
              "found no %s group%s",
              q, topo_kinds_form(k), all[0] ? all : "there are none", want,
              hint ? hint : "");
    return NULL;
}

/* Applies one GROUP.KEY=VALUE override to the key file. */
static gboolean
topo_apply_override(TopoParser *p, const char *ov)
{
    const char *eq = strchr(ov, '=');
    g_autofree char *q = topo_quote(ov);
    if (!eq)
        return topo_fail(p, SIM_TOPO_ERROR_OVERRIDE, NULL, NULL,
                         "--set %s: expected GROUP.KEY=VALUE, found no '='",
                         q);
    g_autofree char *lhs = g_strndup(ov, eq - ov);
    g_auto(GStrv) parts = g_strsplit(g_strstrip(lhs), ".", -1);
    guint n = g_strv_length(parts);
    for (guint i = 0; i < n; i++)
        if (!parts[i][0])
            return topo_fail(p, SIM_TOPO_ERROR_OVERRIDE, NULL, NULL,
                             "--set %s: expected GROUP.KEY=VALUE with no "
                             "empty part between dots, found part %u empty",
                             q, i + 1);
    const TopoKind *k = n >= 2 ? topo_kind_find(parts[0]) : NULL;
    if (!k) {
        g_autofree char *hint =
            topo_hint(parts[0] ? parts[0] : "", topo_kind_names, G_MAXSIZE);
        g_autofree char *kinds = g_strjoinv(", ", (char **)topo_kind_names);
        g_autofree char *first = topo_quote(parts[0] ? parts[0] : "");
        return topo_fail(p, SIM_TOPO_ERROR_OVERRIDE, NULL, NULL,
                         "--set %s: expected GROUP.KEY=VALUE with a group "
                         "kind first (%s), found %s%s%s",
                         q, kinds, n >= 2 ? "the unknown kind " : "no '.'",
                         n >= 2 ? first : "", hint);
    }
    g_autofree char *key = g_strdup(parts[n - 1]);
    if (!topo_key_find(k, key)) {
        g_autofree const char **names = topo_key_names(k);
        g_autofree char *hint = topo_hint(key, names, G_MAXSIZE);
        g_autofree char *keys = g_strjoinv(", ", (char **)names);
        g_autofree char *kq = topo_quote(key);
        return topo_fail(p, SIM_TOPO_ERROR_OVERRIDE, NULL, NULL,
                         "--set %s: expected a key of %s groups (%s), found "
                         "%s%s",
                         q, topo_kinds_form(k), keys, kq, hint);
    }
    g_free(parts[n - 1]);
    parts[n - 1] = NULL;
    g_autofree char *middle = g_strjoinv(".", parts + 1);
    if ((k->n_words == 0) != (middle[0] == '\0'))
        return topo_fail(p, SIM_TOPO_ERROR_OVERRIDE, NULL, NULL,
                         "--set %s: expected %s, found %s", q,
                         k->n_words ? "a group name between kind and key "
                                      "(groups of this kind need a name)"
                                    : "the key right after the kind (the "
                                      "group takes no name)",
                         k->n_words ? "none" : "a name");
    g_autofree char *group = k->n_words
                                 ? topo_override_group(p, k, ov, middle)
                                 : g_strdup(k->kind);
    if (!group)
        return FALSE;
    g_autofree char *value = g_strstrip(g_strdup(eq + 1));
    g_key_file_set_value(p->kf, group, key, value);
    g_hash_table_insert(p->overridden, g_strdup_printf("%s\n%s", group, key),
                        g_strdup(ov));
    return TRUE;
}

/* Classifies every group: kind, name words, keys. */
static gboolean
topo_check_group(TopoParser *p, TopoGroup *tg)
{
    g_auto(GStrv) w = topo_words(tg->group);
    if (!w[0])
        return topo_fail(p, SIM_TOPO_ERROR_UNKNOWN_GROUP, tg->group, NULL,
                         "expected a group kind, found an empty name");
    const TopoKind *kind = topo_kind_find(w[0]);
    if (!kind) {
        g_autofree char *hint =
            topo_hint(w[0], topo_kind_names, G_MAXSIZE);
        g_autofree char *all = g_strjoinv(", ", (char **)topo_kind_names);
        return topo_fail(p, SIM_TOPO_ERROR_UNKNOWN_GROUP, tg->group, NULL,
                         "unknown group kind \"%s\"%s; expected one of %s",
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

static gboolean
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

/* ---- Sections ----------------------------------------------------------- */

/* The group of a nameless kind, or a stand-in for it when absent. */
static const TopoGroup *
topo_singleton(TopoParser *p, guint kind, TopoGroup *tmp)
{
    for (guint i = 0; i < p->n_groups; i++)
        if (p->groups[i].kind == &topo_kinds[kind])
            return &p->groups[i];
    tmp->group = (char *)topo_kinds[kind].kind;
    tmp->kind = &topo_kinds[kind];
    tmp->words = NULL;
    return tmp;
}

static gboolean
topo_has(TopoParser *p, const TopoGroup *g, const char *key)
{
    return g_key_file_has_key(p->kf, g->group, key, NULL);
}

/* TRUE if [simulation] duration had a problem (checks against the end of
 * the run are skipped then). */
static gboolean
topo_run_length_bad(TopoParser *p)
{
    TopoGroup tmp;
    return topo_is_bad(p, topo_singleton(p, TOPO_SIMULATION, &tmp)->group,
                       "duration");
}

static gboolean
topo_parse_simulation(TopoParser *p, SimTopo *t)
{
    TopoGroup tmp;
    const TopoGroup *g = topo_singleton(p, TOPO_SIMULATION, &tmp);
    SimTopoSimulation *s = &t->simulation;
    gboolean times = topo_duration_max(p, g, "duration", TOPO_POSITIVE,
                                       TOPO_MAX_RUN_NS,
                                       "of at most 365 days", &s->duration);
    times &= topo_duration(p, g, "warmup", 0, &s->warmup);
    gboolean ok = topo_uint(p, g, "seed", 0, G_MAXUINT64, &s->seed);
    ok &= topo_strategy(p, g, "strategy", &s->strategy);
    s->strategy_set = topo_has(p, g, "strategy");
    ok &= topo_file(p, g, "cpu-profile", TOPO_FILE_PROFILE, &s->cpu_profile);
    if (!times)
        return FALSE;
    if (s->warmup >= s->duration)
        return topo_fail(p, SIM_TOPO_ERROR_CONFLICT, g->group, "warmup",
                         "expected a warm-up shorter than the duration "
                         "(%.9g s), found %.9g s",
                         s->duration / 1e9, s->warmup / 1e9);
    return ok;
}

static gboolean
topo_parse_transport(TopoParser *p, SimTopo *t)
{
    static const char *const versions[] = { "1.2", "1.3", NULL };
    TopoGroup tmp;
    const TopoGroup *g = topo_singleton(p, TOPO_TRANSPORT, &tmp);
    SimTopoTransport *tr = &t->transport;
    guint proto = 0, version = 0;
    gboolean proto_ok = topo_enum(p, g, "protocol", topo_protocol_names,
                                  &proto);
    gboolean ok = topo_enum(p, g, "tls-version", versions, &version);
    ok &= topo_bool(p, g, "mutual-auth", &tr->mutual_auth);
    ok &= topo_bool(p, g, "resumption", &tr->resumption);
    ok &= topo_duration(p, g, "idle-timeout", 0, &tr->idle_timeout);
    ok &= topo_duration(p, g, "t1", TOPO_POSITIVE, &tr->t1);
    ok &= topo_bool(p, g, "alias-insert-check", &tr->alias_insert_check);
    ok &= topo_guint(p, g, "initial-window", 1, 1000, &tr->initial_window);
    ok &= topo_duration(p, g, "rto-min", TOPO_POSITIVE, &tr->rto_min);
    ok &= topo_duration(p, g, "connect-timeout", 0, &tr->connect_timeout);
    ok &= topo_bool(p, g, "sctp-bundle", &tr->sctp_bundle);
    ok &= topo_guint(p, g, "sctp-streams", 1, 65535, &tr->sctp_streams);
    tr->protocol = proto;
    tr->tls_version = version ? 13 : 12;
    gboolean tls = proto == SIM_PROTO_TLS || proto == SIM_PROTO_TLS_SCTP;
    if (!proto_ok)
        return FALSE;
    if (!tls && topo_has(p, g, "tls-version"))
        return topo_fail(p, SIM_TOPO_ERROR_CONFLICT, g->group, "tls-version",
                         "expected no tls-version with protocol %s (only "
                         "tls and tls-sctp use TLS), found it set",
                         topo_protocol_names[proto]);
    return ok;
}

static gboolean
topo_parse_path(TopoParser *p, const TopoGroup *g, const char *delay_key,
                SimTopoPath *path)
{
    gboolean ok = topo_duration(p, g, delay_key, 0, &path->delay);
    ok &= topo_duration(p, g, "jitter", 0, &path->jitter);
    ok &= topo_bandwidth(p, g, "bandwidth", &path->bandwidth_bps);
    ok &= topo_guint(p, g, "mtu", 576, 65535, &path->mtu);
    ok &= topo_loss(p, g, "loss", &path->loss);
    return ok;
}

/* An ISO-8601 date (midnight UTC) or date-time (UTC unless it says
 * otherwise), as seconds since the epoch; absent: *set stays FALSE. */
static gboolean
topo_instant(TopoParser *p, const TopoGroup *g, const char *key, gint64 *out,
             gboolean *set)
{
    g_autofree char *v = topo_value(p, g, key);
    if (!v)
        return TRUE;
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    g_autoptr(GDateTime) dt = NULL;
    if (g_regex_match_simple("^[0-9]{4}-[0-9]{2}-[0-9]{2}$", v, 0, 0))
        dt = g_date_time_new_utc(atoi(v), atoi(v + 5), atoi(v + 8), 0, 0, 0);
    else if (strchr(v, 'T') && g_ascii_isdigit(v[0]))
        dt = g_date_time_new_from_iso8601(v, utc);
    if (!dt || g_date_time_get_year(dt) < 1970)
        return topo_bad(p, g, key, v,
                        "an ISO-8601 date or date-time from 1970 on (e.g. "
                        "2026-12-03 or 2026-12-03T12:00:00Z; UTC unless "
                        "an offset is given)");
    *out = g_date_time_to_unix(dt);
    *set = TRUE;
    return TRUE;
}

static gboolean
topo_parse_pki_dns(TopoParser *p, SimTopo *t)
{
    TopoGroup tmp;
    const TopoGroup *g = topo_singleton(p, TOPO_PKI, &tmp);
    guint key = 0, sel = 0;
    gboolean ok = topo_enum(p, g, "key", topo_pki_key_names, &key);
    gboolean files = topo_file(p, g, "ca-file", TOPO_FILE_CA, &t->pki.ca_file);
    files &= topo_file(p, g, "ca-key-file", TOPO_FILE_CA_KEY,
                       &t->pki.ca_key_file);
    ok &= files && topo_key_pair(p, g, "ca-key-file", t->pki.ca_file,
                                 t->pki.ca_key_file);
    ok &= topo_instant(p, g, "verify-time", &t->pki.verify_time,
                       &t->pki.verify_time_set);
    t->pki.key = g_strdup(topo_pki_key_names[key]);
    t->pki.ca_name = topo_value(p, g, "ca-name");
    if (!t->pki.ca_name[0] || strpbrk(t->pki.ca_name, "\n\r"))
        ok = topo_bad(p, g, "ca-name", t->pki.ca_name,
                      "a non-empty one-line name");
    if (t->pki.ca_key_file && !t->pki.ca_file && !topo_is_bad(p, g->group,
                                                              "ca-file"))
        ok = topo_fail(p, SIM_TOPO_ERROR_CONFLICT, g->group, "ca-key-file",
                       "expected ca-file with ca-key-file (the key belongs "
                       "to a CA certificate), found no ca-file");
    g = topo_singleton(p, TOPO_DNS, &tmp);
    ok &= topo_duration(p, g, "ttl", 0, &t->dns.ttl);
    ok &= topo_duration(p, g, "lookup-delay", 0, &t->dns.lookup_delay);
    ok &= topo_enum(p, g, "srv-select", topo_srv_select_names, &sel);
    ok &= topo_bool(p, g, "strict-3263", &t->dns.strict_3263);
    ok &= topo_duration(p, g, "blacklist-time", 0, &t->dns.blacklist_time);
    t->dns.srv_select = sel;
    return ok;
}

/* The strategies that can run over @proto, ", "-separated. */
static char *
topo_applicable_list(SimProtocol proto)
{
    const SimStrategyOps *const *all = sim_strategy_all();
    GString *s = g_string_new(NULL);
    for (guint i = 0; all[i]; i++)
        if (sim_strategy_applicable(all[i], topo_protocol_kinds[proto]))
            g_string_append_printf(s, "%s%s", s->len ? ", " : "",
                                   all[i]->name);
    return g_string_free(s, FALSE);
}

/* An explicitly set strategy @name (in @g's @key) must run over the
 * topology's transport (SimStrategyOps.applicable). */
static gboolean
topo_strategy_runs(TopoParser *p, const SimTopo *t, const char *group,
                   const char *name)
{
    SimProtocol proto = t->transport.protocol;
    const SimStrategyOps *ops = sim_strategy_by_name(name, NULL);
    if (!ops || sim_strategy_applicable(ops, topo_protocol_kinds[proto]))
        return TRUE;
    g_autofree char *list = topo_applicable_list(proto);
    return topo_fail(p, SIM_TOPO_ERROR_CONFLICT, group, "strategy",
                     "expected a strategy that runs over protocol %s (%s), "
                     "found \"%s\", which cannot",
                     topo_protocol_names[proto], list, name);
}

/* Explicit strategies against the transport: the nodes' always (every
 * run uses them), the run's unless the caller picks the run's strategy.
 * Skipped when the protocol itself had a problem. */
static gboolean
topo_check_strategies(TopoParser *p, const SimTopo *t)
{
    TopoGroup tmp;
    const char *tr = topo_singleton(p, TOPO_TRANSPORT, &tmp)->group;
    if (topo_is_bad(p, tr, "protocol"))
        return TRUE;
    const char *sim = topo_singleton(p, TOPO_SIMULATION, &tmp)->group;
    gboolean ok = TRUE;
    if (t->simulation.strategy_set &&
        !(p->flags & SIM_TOPO_LOAD_CALLER_STRATEGY))
        ok = topo_strategy_runs(p, t, sim, t->simulation.strategy);
    guint n = 0;
    for (guint i = 0; i < p->n_groups; i++) {
        if (p->groups[i].kind != &topo_kinds[TOPO_NODE])
            continue;
        const SimTopoNode *node = &t->nodes[n++];
        if (node->strategy)
            ok &= topo_strategy_runs(p, t, p->groups[i].group,
                                     node->strategy);
    }
    return ok;
}

/* Domain names, before nodes refer to them. */
static gboolean
topo_parse_domain_names(TopoParser *p, SimTopo *t)
{
    GArray *a = g_array_new(FALSE, TRUE, sizeof(SimTopoDomain));
    for (guint i = 0; i < p->n_groups; i++) {
        if (p->groups[i].kind != &topo_kinds[TOPO_DOMAIN])
            continue;
        SimTopoDomain d = { .name = g_strdup(p->groups[i].words[0]) };
        g_array_append_val(a, d);
    }
    t->n_domains = a->len;
    t->domains = (SimTopoDomain *)g_array_free(a, FALSE);
    return TRUE;
}

/* A reference to a domain, with a hint on failure. */
static gboolean
topo_domain_ref(TopoParser *p, const SimTopo *t, const TopoGroup *g,
                const char *key, const char *name, guint *out)
{
    gint i = sim_topo_domain_index(t, name);
    if (i >= 0) {
        *out = (guint)i;
        return TRUE;
    }
    g_autofree const char **names = g_new0(const char *, t->n_domains + 1);
    for (guint j = 0; j < t->n_domains; j++)
        names[j] = t->domains[j].name;
    g_autofree char *hint = topo_hint(name, names, t->n_domains);
    g_autofree char *q = topo_quote(name);
    return topo_fail(p, SIM_TOPO_ERROR_BAD_REFERENCE, g->group, key,
                     "expected the name of a [domain NAME] group, found "
                     "%s, which no group defines%s",
                     q, hint);
}

static gboolean
topo_parse_node_domains(TopoParser *p, const SimTopo *t, const TopoGroup *g,
                        SimTopoNode *n)
{
    g_autofree char *v = topo_value(p, g, "domains");
    g_auto(GStrv) items = topo_split(v ? v : "");
    n->domains = g_new0(guint, g_strv_length(items) + 1);
    gboolean ok = TRUE;
    for (guint i = 0; items[i]; i++) {
        guint d = 0;
        if (!topo_domain_ref(p, t, g, "domains", items[i], &d)) {
            ok = FALSE;
            continue;
        }
        gboolean dup = FALSE;
        for (guint j = 0; j < n->n_domains; j++)
            dup |= n->domains[j] == d;
        if (!dup)
            n->domains[n->n_domains++] = d;
    }
    return ok;
}

/* cert-san: as written, else URI:sip:HOST plus URI:sip:DOMAIN each. */
static gboolean
topo_parse_node_san(TopoParser *p, const SimTopo *t, const TopoGroup *g,
                    SimTopoNode *n)
{
    static const char *const prefixes[] = { "URI:", "DNS:", "IP:", "email:",
                                            "RID:" };
    g_autofree char *v = topo_value(p, g, "cert-san");
    if (!v) {
        GPtrArray *a = g_ptr_array_new();
        g_ptr_array_add(a, g_strdup_printf("URI:sip:%s", n->host));
        for (guint i = 0; i < n->n_domains; i++) {
            const char *d = t->domains[n->domains[i]].name;
            if (g_ascii_strcasecmp(d, n->host))
                g_ptr_array_add(a, g_strdup_printf("URI:sip:%s", d));
        }
        g_ptr_array_add(a, NULL);
        n->cert_san = (char **)g_ptr_array_free(a, FALSE);
        return TRUE;
    }
    n->cert_san = topo_split(v);
    for (guint i = 0; n->cert_san[i]; i++) {
        gboolean ok = FALSE;
        for (guint j = 0; j < G_N_ELEMENTS(prefixes); j++)
            ok |= g_str_has_prefix(n->cert_san[i], prefixes[j]) &&
                  n->cert_san[i][strlen(prefixes[j])] != '\0';
        if (!ok)
            return topo_bad(p, g, "cert-san", n->cert_san[i],
                            "subjectAltName entries in OpenSSL syntax "
                            "(URI:sip:example.com, DNS:p1.example.com, "
                            "IP:10.0.0.1)");
    }
    return TRUE;
}

static gboolean
topo_parse_node_creds(TopoParser *p, const TopoGroup *g, SimTopoNode *n)
{
    gboolean ok = topo_bool(p, g, "client-cert", &n->client_cert);
    gboolean files = topo_file(p, g, "cert-file", TOPO_FILE_CHAIN,
                               &n->cert_file);
    files &= topo_file(p, g, "key-file", TOPO_FILE_LEAF_KEY, &n->key_file);
    files = files && topo_key_pair(p, g, "key-file", n->cert_file,
                                   n->key_file);
    ok &= topo_bool(p, g, "cert-expired", &n->cert_expired);
    ok &= topo_bool(p, g, "cert-untrusted", &n->cert_untrusted);
    ok &= topo_bool(p, g, "accept-alias", &n->accept_alias);
    if (!files)
        return FALSE;
    if (!n->cert_file != !n->key_file)
        return topo_fail(p, SIM_TOPO_ERROR_CONFLICT, g->group,
                         n->cert_file ? "cert-file" : "key-file",
                         "expected cert-file and key-file together, found "
                         "only %s",
                         n->cert_file ? "cert-file" : "key-file");
    if (n->cert_file && (n->cert_expired || n->cert_untrusted))
        return topo_fail(p, SIM_TOPO_ERROR_CONFLICT, g->group,
                         n->cert_expired ? "cert-expired" : "cert-untrusted",
                         "expected it unset with cert-file (it shapes a "
                         "generated certificate), found it true");
    return ok;
}

static gboolean
topo_parse_node_cpu(TopoParser *p, const TopoGroup *g, SimTopoNode *n)
{
    gboolean ok = topo_strategy(p, g, "strategy", &n->strategy);
    ok &= topo_guint(p, g, "cores", 1, 4096, &n->cores);
    ok &= topo_duration(p, g, "sip-cost", 0, &n->sip_cost);
    ok &= topo_duration(p, g, "tls-full-cost", 0, &n->tls_full_cost);
    ok &= topo_duration(p, g, "tls-resumed-cost", 0, &n->tls_resumed_cost);
    ok &= topo_bool(p, g, "up", &n->up);
    ok &= topo_token(p, g, "spoof-as", &n->spoof_as);
    n->tls_full_cost_set = topo_has(p, g, "tls-full-cost");
    n->tls_resumed_cost_set = topo_has(p, g, "tls-resumed-cost");
    return ok;
}

static gboolean
topo_parse_node(TopoParser *p, const SimTopo *t, const TopoGroup *g,
                SimTopoNode *n, char **site)
{
    gboolean tls = t->transport.protocol == SIM_PROTO_TLS ||
                   t->transport.protocol == SIM_PROTO_TLS_SCTP;
    n->name = g_strdup(g->words[0]);
    n->host = g_strdup(n->name);
    *site = g_strdup(n->name);
    n->port = tls ? 5061 : 5060;
    gboolean ok = topo_token(p, g, "host", &n->host);
    ok &= topo_token(p, g, "address", &n->address);
    ok &= topo_guint(p, g, "port", 1, 65535, &n->port);
    ok &= topo_bool(p, g, "advertise-port", &n->advertise_port);
    ok &= topo_token(p, g, "site", site);
    ok &= topo_parse_node_domains(p, t, g, n);
    ok &= topo_parse_node_san(p, t, g, n);
    ok &= topo_parse_node_creds(p, g, n);
    ok &= topo_parse_node_cpu(p, g, n);
    SimIp ip;
    if (n->address && !sim_ip_parse(n->address, &ip)) {
        ok = topo_bad(p, g, "address", n->address,
                      "a dotted IPv4 address (e.g. 192.0.2.1)");
        /* Assigned one like a node without address, to go on. */
        g_clear_pointer(&n->address, g_free);
    }
    return ok;
}

/* Assigns 10.0.0.1, 10.0.0.2 ... in file order to nodes without an
 * address, skipping addresses written in the file; rejects two nodes on
 * one {address, port}. */
static gboolean
topo_assign_addresses(TopoParser *p, SimTopo *t, const TopoGroup **ng)
{
    g_autoptr(GHashTable) used = g_hash_table_new(g_direct_hash, NULL);
    g_autoptr(GHashTable) socks =
        g_hash_table_new(g_int64_hash, g_int64_equal);
    g_autofree gint64 *keys = g_new(gint64, t->n_nodes);
    gboolean ok = TRUE;
    for (guint i = 0; i < t->n_nodes; i++) {
        SimIp ip;
        if (t->nodes[i].address && sim_ip_parse(t->nodes[i].address, &ip))
            g_hash_table_add(used, GUINT_TO_POINTER(ip));
    }
    SimIp next = (10u << 24) + 1;
    for (guint i = 0; i < t->n_nodes; i++) {
        SimTopoNode *n = &t->nodes[i];
        SimIp ip;
        if (!n->address) {
            while ((next & 255) == 0 || (next & 255) == 255 ||
                   g_hash_table_contains(used, GUINT_TO_POINTER(next)))
                next++;
            ip = next++;
            n->address = sim_ip_to_string(ip);
        } else {
            sim_ip_parse(n->address, &ip);
        }
        keys[i] = ((gint64)ip << 16) | n->port;
        if (!g_hash_table_add(socks, &keys[i]))
            ok = topo_fail(p, SIM_TOPO_ERROR_CONFLICT, ng[i]->group,
                           "address",
                           "expected a distinct {address, port} per node, "
                           "found %s:%u used by another node too",
                           n->address, n->port);
    }
    return ok;
}

static gboolean
topo_parse_nodes(TopoParser *p, SimTopo *t)
{
    g_autofree const TopoGroup **ng = g_new0(const TopoGroup *, p->n_groups);
    g_autoptr(GPtrArray) sites = g_ptr_array_new_with_free_func(g_free);
    gboolean ok = TRUE;
    t->nodes = g_new0(SimTopoNode, p->n_groups);
    for (guint i = 0; i < p->n_groups; i++) {
        if (p->groups[i].kind != &topo_kinds[TOPO_NODE])
            continue;
        char *site = NULL;
        ng[t->n_nodes] = &p->groups[i];
        SimTopoNode *n = &t->nodes[t->n_nodes++];
        ok &= topo_parse_node(p, t, &p->groups[i], n, &site);
        g_ptr_array_add(sites, site);
        p->bad_hosts |= topo_is_bad(p, p->groups[i].group, "host");
        p->bad_sites |= topo_is_bad(p, p->groups[i].group, "site");
        p->bad_ports |= topo_is_bad(p, p->groups[i].group, "port");
    }
    /* An unknown group may have been meant as the node. */
    if (t->n_nodes == 0 && !p->bad_groups)
        ok = topo_fail(p, SIM_TOPO_ERROR_MISSING, NULL, NULL,
                       "expected at least one [node NAME] group, found "
                       "none");
    for (guint i = 0; i < t->n_nodes; i++) {
        const char *site = g_ptr_array_index(sites, i);
        gpointer idx = g_hash_table_lookup(p->sites, site);
        if (!idx) {
            idx = GUINT_TO_POINTER(t->n_sites + 1);
            g_hash_table_insert(p->sites, g_strdup(site), idx);
            t->sites = g_renew(char *, t->sites, t->n_sites + 2);
            t->sites[t->n_sites++] = g_strdup(site);
            t->sites[t->n_sites] = NULL;
        }
        t->nodes[i].site = GPOINTER_TO_UINT(idx) - 1;
        g_hash_table_insert(p->hosts, g_ascii_strdown(t->nodes[i].host, -1),
                            GUINT_TO_POINTER(i + 1));
    }
    return topo_assign_addresses(p, t, ng) && ok;
}

/*
 * The port of the nodes whose host is @host, for an SRV record written with
 * port "*" (so that one file serves every protocol: the node ports follow
 * the protocol's default).  Nodes sharing the host must agree on it.
 */
static gboolean
topo_srv_node_port(TopoParser *p, const SimTopo *t, const TopoGroup *g,
                   const char *host, guint64 *port)
{
    *port = 0;
    for (guint i = 0; i < t->n_nodes; i++) {
        if (g_ascii_strcasecmp(t->nodes[i].host, host) != 0)
            continue;
        if (*port && *port != t->nodes[i].port)
            return topo_fail(p, SIM_TOPO_ERROR_CONFLICT, g->group, "srv",
                             "expected an explicit port for target %s, "
                             "whose nodes listen on different ports (%u "
                             "and %u), found *",
                             host, (guint)*port, t->nodes[i].port);
        *port = t->nodes[i].port;
    }
    return TRUE;
}

/* An SRV record's {target, port} must be some node's {host, port}, or
 * every call routed by it fails.  Not checked when ports are unknown
 * (the protocol or a port key had a problem). */
static gboolean
topo_srv_listens(TopoParser *p, const SimTopo *t, const TopoGroup *g,
                 const char *target, guint port)
{
    TopoGroup tmp;
    if (p->bad_ports ||
        topo_is_bad(p, topo_singleton(p, TOPO_TRANSPORT, &tmp)->group,
                    "protocol"))
        return TRUE;
    g_autoptr(GString) ports = g_string_new(NULL);
    for (guint i = 0; i < t->n_nodes; i++) {
        if (g_ascii_strcasecmp(t->nodes[i].host, target) != 0)
            continue;
        if (t->nodes[i].port == port)
            return TRUE;
        g_string_append_printf(ports, "%s%s on %u", ports->len ? ", " : "",
                               t->nodes[i].name, t->nodes[i].port);
    }
    return topo_fail(p, SIM_TOPO_ERROR_BAD_REFERENCE, g->group, "srv",
                     "expected an SRV port that a node of target %s listens "
                     "on (node %s; protocol %s, whose default port is %u), "
                     "found %u, so every call it routes would fail (write * "
                     "for the node's port)",
                     target, ports->str,
                     topo_protocol_names[t->transport.protocol],
                     t->transport.protocol == SIM_PROTO_TLS ||
                             t->transport.protocol == SIM_PROTO_TLS_SCTP
                         ? 5061
                         : 5060,
                     port);
}

/* One "PRIORITY WEIGHT PORT TARGET" record. */
static gboolean
topo_parse_srv_record(TopoParser *p, const SimTopo *t, const TopoGroup *g,
                      const char *rec, SimTopoSrv *srv)
{
    g_auto(GStrv) f = topo_words(rec);
    guint64 v[3];
    gboolean ok = g_strv_length(f) == 4;
    gboolean any_port = ok && g_str_equal(f[2], "*");
    for (guint i = 0; ok && i < 3; i++) {
        char *end;
        if (i == 2 && any_port) {
            v[i] = 0;
            continue;
        }
        ok = g_ascii_isdigit(f[i][0]) &&
             (v[i] = g_ascii_strtoull(f[i], &end, 10), *end == '\0') &&
             v[i] <= 65535 && (i < 2 || v[i] > 0);
    }
    if (!ok)
        return topo_bad(p, g, "srv", rec,
                        "records PRIORITY WEIGHT PORT TARGET separated by "
                        "';' (priority and weight 0..65535, port "
                        "1..65535 or * for the target node's port)");
    g_autofree char *host = g_ascii_strdown(f[3], -1);
    if (!g_hash_table_contains(p->hosts, host) && p->bad_hosts)
        return FALSE;
    if (!g_hash_table_contains(p->hosts, host)) {
        g_autofree char *q = topo_quote(f[3]);
        return topo_fail(p, SIM_TOPO_ERROR_BAD_REFERENCE, g->group, "srv",
                         "expected an SRV target that is some node's host, "
                         "found %s, which no [node] has as host",
                         q);
    }
    if (any_port && !topo_srv_node_port(p, t, g, host, &v[2]))
        return FALSE;
    if (!any_port && !topo_srv_listens(p, t, g, f[3], (guint)v[2]))
        return FALSE;
    srv->priority = v[0];
    srv->weight = v[1];
    srv->port = v[2];
    srv->target = g_strdup(f[3]);
    return TRUE;
}

static gboolean
topo_parse_srv(TopoParser *p, SimTopo *t)
{
    guint d = 0;
    gboolean ok = TRUE;
    for (guint i = 0; i < p->n_groups; i++) {
        const TopoGroup *g = &p->groups[i];
        if (g->kind != &topo_kinds[TOPO_DOMAIN])
            continue;
        SimTopoDomain *dom = &t->domains[d++];
        g_autofree char *v = topo_value(p, g, "srv");
        g_auto(GStrv) recs = topo_split(v ? v : "");
        dom->srv = g_new0(SimTopoSrv, g_strv_length(recs) + 1);
        for (guint r = 0; recs[r]; r++) {
            if (topo_parse_srv_record(p, t, g, recs[r],
                                      &dom->srv[dom->n_srv]))
                dom->n_srv++;
            else
                ok = FALSE;
        }
    }
    return ok;
}

static gboolean
topo_site_ref(TopoParser *p, const SimTopo *t, const TopoGroup *g,
              const char *name, guint *out)
{
    gpointer idx = g_hash_table_lookup(p->sites, name);
    if (idx) {
        *out = GPOINTER_TO_UINT(idx) - 1;
        return TRUE;
    }
    if (p->bad_sites)
        return FALSE;
    g_autofree char *hint =
        topo_hint(name, (const char *const *)t->sites, t->n_sites);
    g_autofree char *q = topo_quote(name);
    g_autofree char *all = g_strjoinv(", ", t->sites);
    /* A node's name is its site only when it has no site key. */
    gint n = sim_topo_node_index(t, name);
    g_autofree char *moved =
        n >= 0 ? g_strdup_printf(" (node %s has site = %s: name that site)",
                                 name, t->sites[t->nodes[n].site])
               : g_strdup("");
    return topo_fail(p, SIM_TOPO_ERROR_BAD_REFERENCE, g->group, NULL,
                     "expected two sites that nodes sit in (the site key "
                     "of a node, or the name of a node without one: %s), "
                     "found %s%s%s",
                     all, q, moved, n >= 0 ? "" : hint);
}

static gboolean
topo_parse_links(TopoParser *p, SimTopo *t)
{
    gboolean ok = TRUE;
    t->links = g_new0(SimTopoLink, p->n_groups);
    for (guint i = 0; i < p->n_groups; i++) {
        const TopoGroup *g = &p->groups[i];
        if (g->kind != &topo_kinds[TOPO_LINK])
            continue;
        SimTopoLink *l = &t->links[t->n_links++];
        l->path = t->network;
        gboolean sites = topo_site_ref(p, t, g, g->words[0], &l->site_a);
        /* One message per link when both sites are unknown. */
        sites = sites && topo_site_ref(p, t, g, g->words[1], &l->site_b);
        ok &= topo_parse_path(p, g, "delay", &l->path) && sites;
    }
    return ok;
}

/* TRUE if some node serves domain @d. */
static gboolean
topo_served(const SimTopo *t, guint d)
{
    for (guint i = 0; i < t->n_nodes; i++)
        for (guint j = 0; j < t->nodes[i].n_domains; j++)
            if (t->nodes[i].domains[j] == d)
                return TRUE;
    return FALSE;
}

static gboolean
topo_traffic_domain(TopoParser *p, const SimTopo *t, const TopoGroup *g,
                    const char *key, guint *out)
{
    g_autofree char *v = topo_value(p, g, key);
    if (!v)
        return topo_fail(p, SIM_TOPO_ERROR_MISSING, g->group, key,
                         "expected a domain name, found no %s key", key);
    if (!topo_domain_ref(p, t, g, key, v, out))
        return FALSE;
    gboolean from = g_str_equal(key, "from");
    if (topo_served(t, *out) || (!from && t->domains[*out].n_srv > 0))
        return TRUE;
    return topo_fail(p, SIM_TOPO_ERROR_BAD_REFERENCE, g->group, key,
                     "expected a domain %s, found \"%s\", which no node "
                     "lists in its domains%s",
                     from ? "some node serves (calls originate there)"
                          : "that resolves (served by a node or with srv)",
                     v, from ? "" : " and which has no srv records");
}

/* cancel-after and cancel: callers abandon unanswered calls (CANCEL,
 * RFC 3261 9.1); a fraction without a delay would never act. */
static gboolean
topo_traffic_cancel(TopoParser *p, const TopoGroup *g, SimTopoTraffic *tr)
{
    gboolean ok = topo_duration(p, g, "cancel-after", 0, &tr->cancel_after);
    gboolean frac = topo_fraction(p, g, "cancel", &tr->cancel);
    if (ok && frac && !tr->cancel_after && topo_has(p, g, "cancel"))
        return topo_fail(p, SIM_TOPO_ERROR_CONFLICT, g->group, "cancel",
                         "expected cancel-after (how long a caller waits "
                         "before it abandons the call) with cancel, found "
                         "no cancel-after");
    return ok && frac;
}

static gboolean
topo_parse_one_traffic(TopoParser *p, const SimTopo *t, const TopoGroup *g,
                       SimTopoTraffic *tr)
{
    guint bye = 0;
    tr->name = g_strdup(g->words[0]);
    tr->stop = SIM_TIME_NEVER;
    gboolean ends = topo_traffic_domain(p, t, g, "from", &tr->from);
    ends &= topo_traffic_domain(p, t, g, "to", &tr->to);
    gboolean ok = topo_rate(p, g, "rate", &tr->rate);
    ok &= topo_duration(p, g, "hold", TOPO_POSITIVE, &tr->hold);
    ok &= topo_duration(p, g, "answer-delay", 0, &tr->answer_delay);
    ok &= topo_enum(p, g, "bye-by", topo_bye_by_names, &bye);
    ok &= topo_traffic_cancel(p, g, tr);
    gboolean times = topo_duration(p, g, "start", 0, &tr->start);
    times &= topo_duration(p, g, "stop", TOPO_POSITIVE, &tr->stop);
    ok &= topo_uint(p, g, "count", 0, G_MAXUINT64, &tr->count);
    tr->bye_by = bye;
    if (ends && tr->from == tr->to)
        ends = topo_fail(p, SIM_TOPO_ERROR_CONFLICT, g->group, "to",
                         "expected a domain other than from, found \"%s\" "
                         "for both",
                         t->domains[tr->to].name);
    if (times && !topo_run_length_bad(p) &&
        (tr->start >= tr->stop || tr->start >= t->simulation.duration))
        times = topo_fail(p, SIM_TOPO_ERROR_CONFLICT, g->group, "start",
                          "expected a start before stop and before the end "
                          "of the run, found %.9g s",
                          tr->start / 1e9);
    return ok && ends && times;
}

/* The node a fault names, with a hint on failure. */
static gboolean
topo_fault_node(TopoParser *p, const SimTopo *t, const TopoGroup *g,
                guint *out)
{
    g_autofree char *node = topo_value(p, g, "node");
    if (!node)
        return topo_fail(p, SIM_TOPO_ERROR_MISSING, g->group, "node",
                         "expected the name of the node to fail, found no "
                         "node key");
    gint n = sim_topo_node_index(t, node);
    if (n >= 0) {
        *out = (guint)n;
        return TRUE;
    }
    g_autofree const char **names = g_new0(const char *, t->n_nodes + 1);
    for (guint j = 0; j < t->n_nodes; j++)
        names[j] = t->nodes[j].name;
    g_autofree char *hint = topo_hint(node, names, t->n_nodes);
    g_autofree char *q = topo_quote(node);
    return topo_fail(p, SIM_TOPO_ERROR_BAD_REFERENCE, g->group, "node",
                     "expected the name of a [node NAME] group, found %s, "
                     "which no group defines%s",
                     q, hint);
}

static gboolean
topo_parse_fault(TopoParser *p, const SimTopo *t, const TopoGroup *g,
                 SimTopoFault *f)
{
    f->name = g_strdup(g->words[0]);
    f->duration = SIM_TIME_NEVER;
    gboolean ok = topo_fault_node(p, t, g, &f->node);
    gboolean at = topo_duration(p, g, "at", 0, &f->at);
    ok &= topo_duration(p, g, "duration", TOPO_POSITIVE, &f->duration);
    /* A fault from the end of the run on would never fire. */
    if (at && !topo_run_length_bad(p) && f->at >= t->simulation.duration)
        at = topo_fail(p, SIM_TOPO_ERROR_CONFLICT, g->group, "at",
                       "expected at < duration (the run ends at %.9g s), "
                       "found %.9g s",
                       t->simulation.duration / 1e9, f->at / 1e9);
    return ok && at;
}

static gboolean
topo_parse_traffic_faults(TopoParser *p, SimTopo *t)
{
    gboolean ok = TRUE;
    t->traffic = g_new0(SimTopoTraffic, p->n_groups);
    t->faults = g_new0(SimTopoFault, p->n_groups);
    for (guint i = 0; i < p->n_groups; i++) {
        const TopoGroup *g = &p->groups[i];
        if (g->kind == &topo_kinds[TOPO_TRAFFIC])
            ok &= topo_parse_one_traffic(p, t, g,
                                         &t->traffic[t->n_traffic++]);
        if (g->kind == &topo_kinds[TOPO_FAULT])
            ok &= topo_parse_fault(p, t, g, &t->faults[t->n_faults++]);
    }
    return ok;
}

/* ---- Loading ------------------------------------------------------------ */

static void
topo_parser_clear(TopoParser *p)
{
    for (guint i = 0; i < p->n_groups; i++) {
        g_free(p->groups[i].group);
        g_strfreev(p->groups[i].words);
    }
    g_free(p->groups);
    g_clear_pointer(&p->kf, g_key_file_free);
    g_clear_pointer(&p->overridden, g_hash_table_unref);
    g_clear_pointer(&p->hosts, g_hash_table_unref);
    g_clear_pointer(&p->sites, g_hash_table_unref);
    g_clear_pointer(&p->problems, g_ptr_array_unref);
    g_clear_pointer(&p->bad, g_hash_table_unref);
    g_free(p->dir);
}

static gint
topo_problem_cmp(gconstpointer a, gconstpointer b)
{
    const TopoProblem *x = *(TopoProblem *const *)a;
    const TopoProblem *y = *(TopoProblem *const *)b;
    return (x->line > y->line) - (x->line < y->line);
}

/* The error listing every problem, one per line, in file order (those
 * without a line, such as --set problems, first). */
static void
topo_set_error(TopoParser *p, GError **error)
{
    GString *s = g_string_new(NULL);
    g_ptr_array_sort(p->problems, topo_problem_cmp);
    for (guint i = 0; i < p->problems->len; i++) {
        const TopoProblem *pb = g_ptr_array_index(p->problems, i);
        g_string_append_printf(s, "%s%s", i ? "\n" : "", pb->text);
    }
    if (p->n_problems > p->problems->len)
        g_string_append_printf(s, "\n%s: ... and %u more problems", p->file,
                               p->n_problems - p->problems->len);
    g_set_error_literal(error, SIM_TOPO_ERROR, p->code, s->str);
    g_string_free(s, TRUE);
}

static gboolean
topo_parse(TopoParser *p, const char *const *overrides, SimTopo *t)
{
    g_autoptr(GError) kf_error = NULL;
    if (!g_utf8_validate(p->text, p->len, NULL))
        return topo_fail(p, SIM_TOPO_ERROR_FILE, NULL, NULL,
                         "expected UTF-8 text without NUL bytes, found "
                         "other bytes");
    if (!g_key_file_load_from_data(p->kf, p->text, p->len, G_KEY_FILE_NONE,
                                   &kf_error))
        return topo_fail(p, SIM_TOPO_ERROR_FILE, NULL, NULL,
                         "expected a key file of [group] headers and "
                         "key = value lines: %s",
                         kf_error->message);
    /* From here on, problems are recorded and loading goes on, so that
     * one pass reports all of them. */
    topo_check_duplicates(p);
    for (guint i = 0; overrides && overrides[i]; i++)
        topo_apply_override(p, overrides[i]);
    topo_classify(p);
    topo_parse_simulation(p, t);
    topo_parse_transport(p, t);
    TopoGroup tmp;
    topo_parse_path(p, topo_singleton(p, TOPO_NETWORK, &tmp),
                    "default-delay", &t->network);
    topo_parse_pki_dns(p, t);
    topo_parse_domain_names(p, t);
    topo_parse_nodes(p, t);
    topo_check_strategies(p, t);
    topo_parse_srv(p, t);
    topo_parse_links(p, t);
    topo_parse_traffic_faults(p, t);
    return p->n_problems == 0;
}

/**
 * sim_topo_load_data_full:
 * @name: the file name used in messages and as SimTopo.path
 * @data: key-file text
 * @len: its length in bytes
 * @overrides: (nullable): NULL-terminated "GROUP.KEY=VALUE" overrides,
 *   applied to the key file before validation
 * @flags: how [simulation] strategy is checked
 * @error: return location for a %SIM_TOPO_ERROR listing every problem
 *
 * Parses and validates a topology.  Relative file names inside it
 * (certificates, profiles) are resolved against @name's folder.
 *
 * Returns: (transfer full) (nullable): the topology, or NULL with @error
 *   set.
 */
SimTopo *
sim_topo_load_data_full(const char *name, const char *data, gsize len,
                        const char *const *overrides, SimTopoLoadFlags flags,
                        GError **error)
{
    g_return_val_if_fail(name != NULL, NULL);
    g_return_val_if_fail(data != NULL || len == 0, NULL);
    g_autoptr(SimTopo) t = g_new0(SimTopo, 1);
    /* A UTF-8 byte-order mark (some Windows editors write one) is not
     * part of the first line. */
    if (data && len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
        data += 3;
        len -= 3;
    }
    TopoParser p = {
        .kf = g_key_file_new(),
        .file = name,
        .dir = g_path_get_dirname(name),
        .text = data ? data : "",
        .len = len,
        .overridden = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                            g_free),
        .hosts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
        .sites = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
        .problems = g_ptr_array_new_with_free_func(topo_problem_free),
        .bad = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
        .flags = flags,
    };
    g_autofree char *base = g_path_get_basename(name);
    t->path = g_strdup(name);
    t->name = g_str_has_suffix(base, ".topo")
                  ? g_strndup(base, strlen(base) - 5)
                  : g_strdup(base);
    gboolean ok = topo_parse(&p, overrides, t);
    if (!ok)
        topo_set_error(&p, error);
    topo_parser_clear(&p);
    return ok ? g_steal_pointer(&t) : NULL;
}

/**
 * sim_topo_load_data:
 * @name: the file name used in messages and as SimTopo.path
 * @data: key-file text
 * @len: its length in bytes
 * @overrides: (nullable): NULL-terminated "GROUP.KEY=VALUE" overrides
 * @error: return location for a %SIM_TOPO_ERROR
 *
 * sim_topo_load_data_full() with %SIM_TOPO_LOAD_DEFAULT.
 *
 * Returns: (transfer full) (nullable): the topology, or NULL with @error
 *   set.
 */
SimTopo *
sim_topo_load_data(const char *name, const char *data, gsize len,
                   const char *const *overrides, GError **error)
{
    return sim_topo_load_data_full(name, data, len, overrides,
                                   SIM_TOPO_LOAD_DEFAULT, error);
}

/**
 * sim_topo_load_full:
 * @path: a topology file
 * @overrides: (nullable): NULL-terminated "GROUP.KEY=VALUE" overrides
 * @flags: how [simulation] strategy is checked
 * @error: return location for a %SIM_TOPO_ERROR
 *
 * Reads and validates the topology at @path (see
 * sim_topo_load_data_full()).
 *
 * Returns: (transfer full) (nullable): the topology, or NULL with @error
 *   set.
 */
SimTopo *
sim_topo_load_full(const char *path, const char *const *overrides,
                   SimTopoLoadFlags flags, GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);
    g_autofree char *data = NULL;
    gsize len = 0;
    g_autoptr(GError) io = NULL;
    if (!g_file_get_contents(path, &data, &len, &io)) {
        g_set_error(error, SIM_TOPO_ERROR, SIM_TOPO_ERROR_FILE,
                    "%s: expected a readable topology file: %s", path,
                    io->message);
        return NULL;
    }
    return sim_topo_load_data_full(path, data, len, overrides, flags, error);
}

/**
 * sim_topo_load:
 * @path: a topology file
 * @overrides: (nullable): NULL-terminated "GROUP.KEY=VALUE" overrides
 * @error: return location for a %SIM_TOPO_ERROR
 *
 * sim_topo_load_full() with %SIM_TOPO_LOAD_DEFAULT: what `check` and a
 * `run` without --strategy use.
 *
 * Returns: (transfer full) (nullable): the topology, or NULL with @error
 *   set.
 */
SimTopo *
sim_topo_load(const char *path, const char *const *overrides, GError **error)
{
    return sim_topo_load_full(path, overrides, SIM_TOPO_LOAD_DEFAULT, error);
}

/**
 * sim_topo_free:
 * @topo: (nullable): a topology
 *
 * Frees @topo and everything it holds.
 */
void
sim_topo_free(SimTopo *topo)
{
    if (!topo)
        return;
    g_free(topo->name);
    g_free(topo->path);
    g_free(topo->simulation.strategy);
    g_free(topo->simulation.cpu_profile);
    g_free(topo->pki.key);
    g_free(topo->pki.ca_name);
    g_free(topo->pki.ca_file);
    g_free(topo->pki.ca_key_file);
    g_strfreev(topo->sites);
    for (guint i = 0; topo->domains && i < topo->n_domains; i++) {
        for (guint j = 0; topo->domains[i].srv && j < topo->domains[i].n_srv;
             j++)
            g_free(topo->domains[i].srv[j].target);
        g_free(topo->domains[i].srv);
        g_free(topo->domains[i].name);
    }
    g_free(topo->domains);
    for (guint i = 0; i < topo->n_nodes; i++) {
        SimTopoNode *n = &topo->nodes[i];
        g_free(n->name);
        g_free(n->host);
        g_free(n->address);
        g_free(n->domains);
        g_strfreev(n->cert_san);
        g_free(n->cert_file);
        g_free(n->key_file);
        g_free(n->strategy);
        g_free(n->spoof_as);
    }
    g_free(topo->nodes);
    g_free(topo->links);
    for (guint i = 0; i < topo->n_traffic; i++)
        g_free(topo->traffic[i].name);
    g_free(topo->traffic);
    for (guint i = 0; i < topo->n_faults; i++)
        g_free(topo->faults[i].name);
    g_free(topo->faults);
    g_free(topo);
}

/**
 * sim_topo_domain_index:
 * @topo: a topology
 * @name: a domain name (compared case-insensitively)
 *
 * Returns: the index of the domain in @topo->domains, or -1.
 */
gint
sim_topo_domain_index(const SimTopo *topo, const char *name)
{
    for (guint i = 0; i < topo->n_domains; i++)
        if (!g_ascii_strcasecmp(topo->domains[i].name, name))
            return (gint)i;
    return -1;
}

/**
 * sim_topo_node_index:
 * @topo: a topology
 * @name: a node name
 *
 * Returns: the index of the node in @topo->nodes, or -1.
 */
gint
sim_topo_node_index(const SimTopo *topo, const char *name)
{
    for (guint i = 0; i < topo->n_nodes; i++)
        if (g_str_equal(topo->nodes[i].name, name))
            return (gint)i;
    return -1;
}

/* TRUE if SRV record @s points at node @n (host and port). */
static gboolean
topo_srv_targets(const SimTopoSrv *s, const SimTopoNode *n)
{
    return s->port == n->port && g_ascii_strcasecmp(s->target, n->host) == 0;
}

/* The expected share of record @r of @d: records of the lowest priority
 * value share by weight (equally if their weights are all 0), the others
 * get none; split equally among the nodes the record points at. */
static double
topo_srv_record_share(const SimTopo *topo, const SimTopoDomain *d, guint r)
{
    guint best = G_MAXUINT, n_best = 0, n_nodes = 0;
    double sum = 0;
    for (guint k = 0; k < d->n_srv; k++)
        best = MIN(best, d->srv[k].priority);
    for (guint k = 0; k < d->n_srv; k++) {
        if (d->srv[k].priority != best)
            continue;
        n_best++;
        sum += d->srv[k].weight;
    }
    for (guint i = 0; i < topo->n_nodes; i++)
        n_nodes += topo_srv_targets(&d->srv[r], &topo->nodes[i]);
    if (d->srv[r].priority != best || n_nodes == 0)
        return 0;
    double share = sum > 0 ? d->srv[r].weight / sum : 1.0 / n_best;
    return share / n_nodes;
}

/**
 * sim_topo_srv_share:
 * @topo: a topology
 * @node: a node index
 * @share: (out): the node's expected share of its domain's SRV selections
 *
 * The node's SRV farm: the first domain (file order) whose SRV records
 * point at the node (its host and port).  Its expected share follows RFC
 * 2782: the records of the lowest priority value share the selections by
 * weight (weight / sum of their weights; equally if all are 0), records of
 * other priorities (backups) get none, and a record pointing at several
 * nodes (one host on several addresses) is split equally among them.
 *
 * Returns: the farm's domain index, or -1 (@share set to NAN) if no SRV
 *   record points at the node.
 */
gint
sim_topo_srv_share(const SimTopo *topo, guint node, double *share)
{
    g_return_val_if_fail(topo && node < topo->n_nodes && share, -1);
    const SimTopoNode *n = &topo->nodes[node];
    *share = NAN;
    for (guint d = 0; d < topo->n_domains; d++) {
        const SimTopoDomain *dom = &topo->domains[d];
        gboolean member = FALSE;
        double s = 0;
        for (guint r = 0; r < dom->n_srv; r++) {
            if (!topo_srv_targets(&dom->srv[r], n))
                continue;
            member = TRUE;
            s += topo_srv_record_share(topo, dom, r);
        }
        if (member) {
            *share = s;
            return (gint)d;
        }
    }
    return -1;
}

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
 * sim_topo_unit_value:
 * @unit: how @text is to be read
 * @text: a value as a topology file writes it ("20ms", "1Gbps", "40/s")
 * @out: (out): its value in the unit's reading unit: durations in
 *   milliseconds (a bare number is seconds), bandwidths in Mbps (a bare
 *   number is bits per second), rates in calls per second; a plain number
 *   for %SIM_TOPO_UNIT_NONE
 *
 * Reads @text with the loader's own unit tables.
 *
 * Returns: FALSE if @text is not such a value.
 */
gboolean
sim_topo_unit_value(SimTopoUnit unit, const char *text, double *out)
{
    g_return_val_if_fail(text && out, FALSE);
    g_autofree char *v = g_strstrip(g_strdup(text));
    double x;
    switch (unit) {
    case SIM_TOPO_UNIT_DURATION:
        if (!topo_scaled(v, topo_time_units, G_N_ELEMENTS(topo_time_units),
                         &x))
            return FALSE;
        *out = x / 1e6;
        return TRUE;
    case SIM_TOPO_UNIT_BANDWIDTH:
        if (!topo_scaled(v, topo_bw_units, G_N_ELEMENTS(topo_bw_units), &x))
            return FALSE;
        *out = x / 1e6;
        return TRUE;
    case SIM_TOPO_UNIT_RATE:
        return topo_scaled(v, topo_rate_units, G_N_ELEMENTS(topo_rate_units),
                           out);
    case SIM_TOPO_UNIT_NONE:
    default: {
        char *end = NULL;
        x = g_ascii_strtod(v, &end);
        if (end == v || *end || !isfinite(x))
            return FALSE;
        *out = x;
        return TRUE;
    }
    }
}

/**
 * sim_topo_unit_name:
 * @unit: a unit
 *
 * Returns: (transfer none) (nullable): how sim_topo_unit_value() reads it
 *   back ("ms", "Mbps", "calls/s"), or NULL for plain numbers.
 */
const char *
sim_topo_unit_name(SimTopoUnit unit)
{
    switch (unit) {
    case SIM_TOPO_UNIT_DURATION:
        return "ms";
    case SIM_TOPO_UNIT_BANDWIDTH:
        return "Mbps";
    case SIM_TOPO_UNIT_RATE:
        return "calls/s";
    default:
        return NULL;
    }
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
