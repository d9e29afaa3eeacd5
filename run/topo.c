/* SPDX-License-Identifier: MIT */
/*
 * The topology loader (DESIGN.md section 7): a GKeyFile in, the plain
 * structs of run/topo.h out, with every validation done by the loader.
 * This file drives a load: it reads the text, applies the --set overrides
 * and [defaults KIND] groups (run/topo_overrides.c), parses each section into a SimTopo and turns the problems found into one
 * error.  Every problem names the file, the line when it can be found, the
 * group and the key, what was expected and what was found, and suggests
 * the nearest valid name for a misspelling.  A load goes on past problems
 * (a bad value falls back to its default, checks that depend on it are
 * skipped) so that one error lists them all.  mutual-auth and resumption
 * are ignored on non-TLS protocols (so one file serves every --set
 * protocol), and a [link A A] sets the path inside one site.  The schema
 * and the recognition of groups and keys are in run/topo_schema.c, the
 * typed value parsers in run/topo_values.c and the cross-checks in
 * run/topo_checks.c; run/topo_priv.h is what they share.
 */
#define G_LOG_DOMAIN "sim-topo"

#include "run/topo.h"

#include <math.h>
#include <string.h>

#include "models/net.h"
#include "run/input.h"
#include "run/profile.h"
#include "run/topo_priv.h"

G_DEFINE_QUARK(sim-topo-error-quark, sim_topo_error)

/* Longest run ([simulation] duration): 365 days.  Long runs sample their
 * time series less often (sim_world_sample_interval), so this bounds the
 * run's own cost, not the series'. */
#define TOPO_MAX_RUN_NS (G_GUINT64_CONSTANT(365) * 86400 * 1000000000)

/* ---- Problems --------------------------------------------------------- */

/* Longest value quoted in an error message. */
#define TOPO_QUOTE_MAX 60

/* Problems listed in one error; the rest are counted. */
#define TOPO_MAX_PROBLEMS 100

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
const char *
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
char *
topo_hint(const char *word, const char *const *cand, gsize n)
{
    const char *near = topo_nearest(word, cand, n);
    return near ? g_strdup_printf(" (did you mean \"%s\"?)", near)
                : g_strdup("");
}

/**
 * sim_topo_hint:
 * @word: a misspelt name
 * @cand: the valid names, NULL-terminated
 *
 * Returns: (transfer full): " (did you mean \"X\"?)" with the nearest
 *   valid name by edit distance, or "" when none is close.
 */
char *
sim_topo_hint(const char *word, const char *const *cand)
{
    return topo_hint(word, cand, G_MAXSIZE);
}

/* A value quoted for a message: escaped and shortened. */
char *
topo_quote(const char *value)
{
    g_autofree char *cut = g_strndup(value, TOPO_QUOTE_MAX);
    g_autofree char *esc = g_strescape(cut, NULL);
    return g_strdup_printf("\"%s%s\"", esc,
                           strlen(value) > TOPO_QUOTE_MAX ? "..." : "");
}

/* Line number (1-based) of the group header, or of the key inside it when
 * @key is not NULL; 0 when not found. */
guint
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
gboolean G_GNUC_PRINTF(5, 6)
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
    const char *set = NULL, *from = NULL;
    if (group && key) {
        g_autofree char *k = g_strdup_printf("%s\n%s", group, key);
        set = g_hash_table_lookup(p->overridden, k);
        from = set ? NULL : g_hash_table_lookup(p->inherited, k);
    }
    guint line = from             ? topo_line(p, from, key)
                 : group && !set ? topo_line(p, group, key)
                                 : 0;
    if (line == 0 && key && !set)
        line = topo_line(p, from ? from : group, NULL);
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
                                   set    ? " (from --set "
                                   : from ? " (from ["
                                          : "",
                                   set ? set : from ? from : "",
                                   set ? ")" : from ? "])" : "", msg);
    g_ptr_array_add(p->problems, pb);
    return FALSE;
}

/* TRUE if @key of @group (NULL: the group itself) had a problem. */
gboolean
topo_is_bad(const TopoParser *p, const char *group, const char *key)
{
    g_autofree char *k = g_strdup_printf("%s\n%s", group, key ? key : "");
    return g_hash_table_contains(p->bad, k);
}

/* ---- Sections --------------------------------------------------------- */

/* The group of a nameless kind, or a stand-in for it when absent. */
const TopoGroup *
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
    g_autofree char *prof = topo_value(p, g, "cpu-profile");
    if (prof && sim_cpu_profile_is_builtin(prof)) {
        g_free(s->cpu_profile);
        s->cpu_profile = g_steal_pointer(&prof);
    } else {
        ok &= topo_file(p, g, "cpu-profile", TOPO_FILE_PROFILE,
                        &s->cpu_profile);
    }
    ok &= topo_factor(p, g, "rate-scale", &s->rate_scale);
    if (!times)
        return FALSE;
    if (s->warmup >= s->duration)
        return topo_fail(p, SIM_TOPO_ERROR_CONFLICT, g->group, "warmup",
                         "expected a warm-up shorter than the duration "
                         "(%.9g s), found %.9g s",
                         s->duration / 1e9, s->warmup / 1e9);
    return ok;
}

/* A key that only some protocols use. */
typedef struct {
    const char *key;
    /* Bit (1 << SimProtocol) of each protocol that uses it. */
    guint protocols;
    /* Which protocols use it, for the warning. */
    const char *why;
} TopoScoped;

#define TOPO_P(x) (1u << SIM_PROTO_##x)
#define TOPO_P_TLS (TOPO_P(TLS) | TOPO_P(TLS_SCTP))
#define TOPO_P_CONN (TOPO_P(TCP) | TOPO_P(SCTP) | TOPO_P_TLS)

static const TopoScoped topo_transport_scoped[] = {
    { "tls-version", TOPO_P_TLS, "only tls and tls-sctp use TLS" },
    { "mutual-auth", TOPO_P_TLS, "only tls and tls-sctp use TLS" },
    { "resumption", TOPO_P_TLS, "only tls and tls-sctp use TLS" },
    { "sctp-bundle", TOPO_P(SCTP) | TOPO_P(TLS_SCTP),
      "only sctp and tls-sctp use SCTP" },
    { "sctp-streams", TOPO_P(SCTP) | TOPO_P(TLS_SCTP),
      "only sctp and tls-sctp use SCTP" },
    { "initial-window", TOPO_P(TCP) | TOPO_P(TLS),
      "only tcp and tls use TCP" },
    { "rto-min", TOPO_P_CONN, "udp has no transport retransmissions" },
    { "delayed-ack", TOPO_P(TCP) | TOPO_P(TLS),
      "only tcp and tls use TCP; SCTP delays its own SACKs" },
    { "connect-timeout", TOPO_P_CONN, "udp opens no connections" },
    { "idle-timeout", TOPO_P_CONN, "udp has no connections" },
};

/* The [node] keys only some protocols use: warned once per key over
 * another protocol, with the number of groups that set it. */
static const TopoScoped topo_node_scoped_keys[] = {
    { "client-cert", TOPO_P_TLS, "only tls and tls-sctp use TLS" },
    { "cert-san", TOPO_P_TLS, "only tls and tls-sctp use TLS" },
    { "sni-cert-san", TOPO_P_TLS, "only tls and tls-sctp use TLS" },
    { "cert-file", TOPO_P_TLS, "only tls and tls-sctp use TLS" },
    { "key-file", TOPO_P_TLS, "only tls and tls-sctp use TLS" },
    { "cert-expired", TOPO_P_TLS, "only tls and tls-sctp use TLS" },
    { "cert-untrusted", TOPO_P_TLS, "only tls and tls-sctp use TLS" },
    { "tls-full-cost", TOPO_P_TLS, "only tls and tls-sctp use TLS" },
    { "tls-resumed-cost", TOPO_P_TLS, "only tls and tls-sctp use TLS" },
    { "tls-full-server-cost", TOPO_P_TLS, "only tls and tls-sctp use TLS" },
    { "tls-full-client-cost", TOPO_P_TLS, "only tls and tls-sctp use TLS" },
    { "tls-resumed-server-cost", TOPO_P_TLS,
      "only tls and tls-sctp use TLS" },
    { "tls-resumed-client-cost", TOPO_P_TLS,
      "only tls and tls-sctp use TLS" },
    { "tls-record-cost", TOPO_P_TLS, "only tls and tls-sctp use TLS" },
    { "tls-aead-cost", TOPO_P_TLS, "only tls and tls-sctp use TLS" },
    { "memory-tls", TOPO_P_TLS, "only tls and tls-sctp use TLS" },
    { "stream-framing-cost", TOPO_P_CONN, "udp has no streams" },
    { "connect-cost", TOPO_P_CONN, "udp has no connections" },
    { "accept-cost", TOPO_P_CONN, "udp has no connections" },
    { "close-cost", TOPO_P_CONN, "udp has no connections" },
};

/* Warnings for [node] keys that do not apply to the protocol; alias keys
 * are recorded for the strategy check. */
static void
topo_node_scoped(TopoParser *p, const SimTopo *t)
{
    SimProtocol proto = t->transport.protocol;
    for (guint k = 0; k < G_N_ELEMENTS(topo_node_scoped_keys); k++) {
        const TopoScoped *sc = &topo_node_scoped_keys[k];
        guint n = 0;
        const char *one = NULL;
        for (guint i = 0; !(sc->protocols & (1u << proto)) &&
                          i < p->n_groups;
             i++)
            if (p->groups[i].kind == &topo_kinds[TOPO_NODE] &&
                topo_has(p, &p->groups[i], sc->key)) {
                one = p->groups[i].group;
                n++;
            }
        if (n == 1)
            g_ptr_array_add(p->warnings,
                            g_strdup_printf("[%s] %s does not apply to "
                                            "protocol %s (%s): ignored",
                                            one, sc->key,
                                            topo_protocol_names[proto],
                                            sc->why));
        else if (n > 1)
            g_ptr_array_add(p->warnings,
                            g_strdup_printf("[node] %s (set in %u node "
                                            "groups) does not apply to "
                                            "protocol %s (%s): ignored",
                                            sc->key, n,
                                            topo_protocol_names[proto],
                                            sc->why));
    }
    for (guint i = 0; i < p->n_groups; i++)
        if (p->groups[i].kind == &topo_kinds[TOPO_NODE] &&
            topo_has(p, &p->groups[i], "accept-alias"))
            g_ptr_array_add(p->alias_keys,
                            g_strdup_printf("[%s] accept-alias",
                                            p->groups[i].group));
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
    ok &= topo_duration_max(p, g, "delayed-ack", 0, SIM_MS(500) - 1,
                            "under 500ms (RFC 1122 4.2.3.2)",
                            &tr->delayed_ack);
    ok &= topo_duration(p, g, "connect-timeout", 0, &tr->connect_timeout);
    ok &= topo_bool(p, g, "sctp-bundle", &tr->sctp_bundle);
    ok &= topo_guint(p, g, "sctp-streams", 1, 65535, &tr->sctp_streams);
    tr->protocol = proto;
    tr->tls_version = version ? 13 : 12;
    if (!proto_ok)
        return FALSE;
    /* Keys of a transport the protocol does not use are ignored with a
     * warning, so that a topology written for one protocol still runs,
     * and sweeps, over every other. */
    for (guint i = 0; i < G_N_ELEMENTS(topo_transport_scoped); i++) {
        const TopoScoped *sc = &topo_transport_scoped[i];
        if (!(sc->protocols & (1u << proto)) && topo_has(p, g, sc->key))
            g_ptr_array_add(p->warnings,
                            g_strdup_printf("[transport] %s does not apply "
                                            "to protocol %s (%s): ignored",
                                            sc->key,
                                            topo_protocol_names[proto],
                                            sc->why));
    }
    if (topo_has(p, g, "alias-insert-check"))
        g_ptr_array_add(p->alias_keys,
                        g_strdup("[transport] alias-insert-check"));
    /* A delayed ACK that can outlast the sender's retransmission timer
     * makes spurious retransmissions (as on a real stack); the model caps
     * the delay at the smoothed RTT, which is not always enough. */
    if (ok && (tr->protocol == SIM_PROTO_TCP || tr->protocol == SIM_PROTO_TLS) &&
        tr->delayed_ack && tr->delayed_ack >= tr->rto_min)
        g_ptr_array_add(p->warnings,
                        g_strdup("[transport] delayed-ack is not shorter "
                                 "than rto-min: a delayed ACK can outlast "
                                 "the sender's retransmission timer and "
                                 "cause spurious retransmissions"));
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

/* Every entry of @san (the value of @key) is a subjectAltName entry in
 * OpenSSL syntax. */
static gboolean
topo_san_list_ok(TopoParser *p, const TopoGroup *g, const char *key,
                 char **san)
{
    static const char *const prefixes[] = { "URI:", "DNS:", "IP:", "email:",
                                            "RID:" };
    for (guint i = 0; san[i]; i++) {
        gboolean ok = FALSE;
        for (guint j = 0; j < G_N_ELEMENTS(prefixes); j++)
            ok |= g_str_has_prefix(san[i], prefixes[j]) &&
                  san[i][strlen(prefixes[j])] != '\0';
        if (!ok)
            return topo_bad(p, g, key, san[i],
                            "subjectAltName entries in OpenSSL syntax "
                            "(URI:sip:example.com, DNS:p1.example.com, "
                            "IP:10.0.0.1)");
    }
    return TRUE;
}

/* cert-san: as written, else URI:sip:HOST plus URI:sip:DOMAIN each;
 * sni-cert-san: as written, else none. */
static gboolean
topo_parse_node_san(TopoParser *p, const SimTopo *t, const TopoGroup *g,
                    SimTopoNode *n)
{
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
    } else {
        n->cert_san = topo_split(v);
        if (!topo_san_list_ok(p, g, "cert-san", n->cert_san))
            return FALSE;
    }
    g_autofree char *sni = topo_value(p, g, "sni-cert-san");
    if (!sni)
        return TRUE;
    n->sni_cert_san = topo_split(sni);
    return topo_san_list_ok(p, g, "sni-cert-san", n->sni_cert_san);
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
    n->sip_cost_set = topo_has(p, g, "sip-cost");
    n->tls_full_cost_set = topo_has(p, g, "tls-full-cost");
    n->tls_resumed_cost_set = topo_has(p, g, "tls-resumed-cost");
    for (guint i = 0; i < SIM_TOPO_N_COSTS; i++) {
        if (!topo_has(p, g, sim_topo_cost_keys[i]))
            continue;
        ok &= topo_duration(p, g, sim_topo_cost_keys[i], 0, &n->cost[i]);
        n->cost_set |= 1u << i;
    }
    for (guint i = 0; i < SIM_TOPO_N_MEMORY; i++) {
        if (!topo_has(p, g, sim_topo_memory_keys[i]))
            continue;
        ok &= topo_uint(p, g, sim_topo_memory_keys[i], 0,
                        G_GUINT64_CONSTANT(1) << 40, &n->memory[i]);
        n->memory_set |= 1u << i;
    }
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
    /* A node's name names files (--pcap-per-node DIR/NAME.pcap) and TSV
     * cells: no path separator, no "." or "..", no control character. */
    gboolean name_ok = !g_str_equal(n->name, ".") &&
                       !g_str_equal(n->name, "..");
    for (const char *c = n->name; *c; c++)
        name_ok &= *c != '/' && *c != '\\' && (guchar)*c >= 0x20 &&
                   *c != 0x7f;
    if (!name_ok)
        return topo_fail(p, SIM_TOPO_ERROR_BAD_VALUE, g->group, NULL,
                         "expected a node name without '/', '\\' or control "
                         "characters, and not '.' or '..'");
    gboolean ok = topo_token(p, g, "host", &n->host);
    ok &= topo_token(p, g, "address", &n->address);
    ok &= topo_guint(p, g, "port", 1, 65535, &n->port);
    ok &= topo_bool(p, g, "advertise-port", &n->advertise_port);
    guint rr = 0;
    ok &= topo_enum(p, g, "record-route", topo_record_route_names, &rr);
    n->record_route_domain = rr == 1;
    guint sp = 0;
    ok &= topo_enum(p, g, "source-port", topo_source_port_names, &sp);
    n->source_port_listen = sp == 1;
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
    tr->rate *= t->simulation.rate_scale;
    ok &= topo_duration(p, g, "hold", TOPO_POSITIVE, &tr->hold);
    ok &= topo_duration(p, g, "answer-delay", 0, &tr->answer_delay);
    ok &= topo_enum(p, g, "bye-by", topo_bye_by_names, &bye);
    ok &= topo_traffic_cancel(p, g, tr);
    gboolean times = topo_duration(p, g, "start", 0, &tr->start);
    times &= topo_duration(p, g, "stop", TOPO_POSITIVE, &tr->stop);
    ok &= topo_uint(p, g, "count", 0, G_MAXUINT64, &tr->count);
    tr->bye_by = bye;
    tr->via = G_MAXUINT;
    if (ends)
        ends = topo_traffic_via(p, t, g, tr);
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

/* ---- Loading ---------------------------------------------------------- */

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
    g_clear_pointer(&p->inherited, g_hash_table_unref);
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
    topo_apply_defaults(p);
    topo_classify(p);
    topo_parse_simulation(p, t);
    topo_parse_transport(p, t);
    TopoGroup tmp;
    topo_parse_path(p, topo_singleton(p, TOPO_NETWORK, &tmp),
                    "default-delay", &t->network);
    topo_parse_pki_dns(p, t);
    topo_parse_domain_names(p, t);
    topo_parse_nodes(p, t);
    if (!topo_is_bad(p, topo_singleton(p, TOPO_TRANSPORT, &tmp)->group,
                     "protocol"))
        topo_node_scoped(p, t);
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
        .inherited = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                           g_free),
        .hosts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
        .sites = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
        .problems = g_ptr_array_new_with_free_func(topo_problem_free),
        .bad = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
        .flags = flags,
        .warnings = g_ptr_array_new_with_free_func(g_free),
        .alias_keys = g_ptr_array_new_with_free_func(g_free),
    };
    g_autofree char *base = g_path_get_basename(name);
    t->path = g_strdup(name);
    t->name = g_str_has_suffix(base, ".topo")
                  ? g_strndup(base, strlen(base) - 5)
                  : g_strdup(base);
    gboolean ok = topo_parse(&p, overrides, t);
    if (!ok)
        topo_set_error(&p, error);
    if (ok && p.warnings->len) {
        g_ptr_array_add(p.warnings, NULL);
        t->warnings = (char **)g_ptr_array_free(
            g_steal_pointer(&p.warnings), FALSE);
    }
    if (ok && p.alias_keys->len) {
        g_ptr_array_add(p.alias_keys, NULL);
        t->alias_keys = (char **)g_ptr_array_free(
            g_steal_pointer(&p.alias_keys), FALSE);
    }
    g_clear_pointer(&p.warnings, g_ptr_array_unref);
    g_clear_pointer(&p.alias_keys, g_ptr_array_unref);
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
    /* A regular file under the size cap: never /dev/zero, a FIFO or a
     * file too large to be a topology. */
    if (!sim_input_read_file(path, SIM_INPUT_MAX_TOPOLOGY, &data, &len,
                             &io)) {
        g_set_error(error, SIM_TOPO_ERROR, SIM_TOPO_ERROR_FILE,
                    "expected a readable topology file: %s", io->message);
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
    g_strfreev(topo->warnings);
    g_strfreev(topo->alias_keys);
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
        g_strfreev(n->sni_cert_san);
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

/* ---- Look-ups --------------------------------------------------------- */

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
