/* SPDX-License-Identifier: MIT */
/*
 * What the files of the topology loader share, and nothing else includes:
 * the schema's types, the state of one load (TopoParser) and the functions
 * each file offers the others.  run/topo.c drives a load and records its
 * problems, run/topo_schema.c holds the schema and recognizes groups and
 * keys, run/topo_values.c parses typed values and run/topo_checks.c
 * cross-checks what was parsed.  Other modules use run/topo.h.
 */
#pragma once

/* run/topo.h comes first, included by the file itself: included from
 * here, the layering check (cli/tests/test_layers.c) would see run/topo.c
 * and this header include each other. */
#ifndef SIM_TOPO_ERROR
#error "include run/topo.h before run/topo_priv.h"
#endif

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

/* The group kinds: indices into topo_kinds. */
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

/* One group of the file as the loader sees it. */
typedef struct {
    /* The group name as written in the file (GKeyFile's name). */
    char *group;
    /* Its kind. */
    const TopoKind *kind;
    /* (nullable): the words after the kind (owned by the parser). */
    char **words;
    /* TRUE for a [defaults KIND] group (kind NULL): its keys were given
     * to the groups of KIND that do not set them (topo_apply_defaults). */
    gboolean defaults;
} TopoGroup;

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
    /* "group\nkey" -> the [defaults KIND] group it was inherited from. */
    GHashTable *inherited;
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
    /* Keys ignored because they do not apply (of char *). */
    GPtrArray *warnings;
    /* Alias keys set explicitly (of char *; SimTopo.alias_keys). */
    GPtrArray *alias_keys;
} TopoParser;

/* Flags of the numeric getters. */
enum {
    /* Zero is not allowed. */
    TOPO_POSITIVE = 1 << 0,
};

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

/* ---- run/topo.c: problems and sections --------------------------------- */

/* topo_fail() records a problem and returns FALSE; loading goes on. */
const char *topo_nearest(const char *word, const char *const *cand, gsize n);
char *topo_hint(const char *word, const char *const *cand, gsize n);
char *topo_quote(const char *value);
guint topo_line(const TopoParser *p, const char *group, const char *key);
gboolean topo_fail(TopoParser *p, SimTopoError code, const char *group,
                   const char *key, const char *fmt, ...)
    G_GNUC_PRINTF(5, 6);
gboolean topo_is_bad(const TopoParser *p, const char *group,
                     const char *key);
const TopoGroup *topo_singleton(TopoParser *p, guint kind, TopoGroup *tmp);

/* ---- run/topo_overrides.c: --set, --unset, [defaults KIND] ------------ */

/* Applies one override (GROUP.KEY=VALUE, or SIM_TOPO_UNSET "GROUP.KEY"). */
gboolean topo_apply_override(TopoParser *p, const char *ov);
/* Gives the keys of the [defaults KIND] groups to the groups of KIND. */
void topo_apply_defaults(TopoParser *p);

/* ---- run/topo_schema.c: the schema and group/key recognition ----------- */

/* Every group kind with its keys, and the kinds' names (NULL-terminated),
 * both in the order of the TOPO_SIMULATION... enum. */
extern const TopoKind topo_kinds[TOPO_N_KINDS];
extern const char *const topo_kind_names[];
/* The values of [transport] protocol and the Via transport of each. */
extern const char *const topo_protocol_names[SIM_PROTO_N + 1];
extern const SimTransportKind topo_protocol_kinds[SIM_PROTO_N];
/* The values of [dns] srv-select, [traffic] bye-by, [node] record-route
 * and source-port and [pki] key
 * (NULL-terminated, in the order of their enums). */
extern const char *const topo_srv_select_names[];
extern const char *const topo_bye_by_names[];
extern const char *const topo_record_route_names[];
extern const char *const topo_source_port_names[];
extern const char *const topo_pki_key_names[];

const char **topo_key_names(const TopoKind *k);
/* "[node NAME]" and the like, for messages. */
const char *topo_kinds_form(const TopoKind *k);
/* The kind or key of that name, or NULL. */
const TopoKind *topo_kind_find(const char *kind);
const TopoKey *topo_key_find(const TopoKind *k, const char *key);
gboolean topo_check_duplicates(TopoParser *p);
/* The kinds a [defaults KIND] group may name (NULL-terminated). */
extern const char *const topo_defaults_kinds[];
/* Checks a [defaults KIND] group's name and keys (unknown ones reported
 * with a hint); TRUE if its keys can be given to the groups of KIND. */
gboolean topo_check_defaults_group(TopoParser *p, const char *group,
                                   const TopoKind **kind);
char **topo_words(const char *group);
/* Fills TopoParser.groups: each group's kind and name words; reports
 * unknown kinds and keys, wrong name words and groups named twice. */
gboolean topo_classify(TopoParser *p);

/* ---- run/topo_values.c: typed values ----------------------------------- */

/* The value of @key as written, else its schema default, else NULL. */
char *topo_value(TopoParser *p, const TopoGroup *g, const char *key);
gboolean topo_bad(TopoParser *p, const TopoGroup *g, const char *key,
                  const char *v, const char *expected);
/* The getters read @key of @g into *out: TRUE if absent or valid, else
 * FALSE with a problem recorded and *out left at the key's default. */
gboolean topo_duration_max(TopoParser *p, const TopoGroup *g,
                           const char *key, guint flags, SimTime max_ns,
                           const char *limit, SimTime *out);
gboolean topo_duration(TopoParser *p, const TopoGroup *g, const char *key,
                       guint flags, SimTime *out);
gboolean topo_bandwidth(TopoParser *p, const TopoGroup *g, const char *key,
                        guint64 *out);
gboolean topo_rate(TopoParser *p, const TopoGroup *g, const char *key,
                   double *out);
gboolean topo_factor(TopoParser *p, const TopoGroup *g, const char *key,
                     double *out);
gboolean topo_loss(TopoParser *p, const TopoGroup *g, const char *key,
                   double *out);
gboolean topo_fraction(TopoParser *p, const TopoGroup *g, const char *key,
                       double *out);
gboolean topo_uint(TopoParser *p, const TopoGroup *g, const char *key,
                   guint64 min, guint64 max, guint64 *out);
gboolean topo_guint(TopoParser *p, const TopoGroup *g, const char *key,
                    guint min, guint max, guint *out);
gboolean topo_bool(TopoParser *p, const TopoGroup *g, const char *key,
                   gboolean *out);
gboolean topo_enum(TopoParser *p, const TopoGroup *g, const char *key,
                   const char *const *names, guint *out);
gboolean topo_token(TopoParser *p, const TopoGroup *g, const char *key,
                    char **out);
gboolean topo_strategy(TopoParser *p, const TopoGroup *g, const char *key,
                       char **out);
char **topo_split(const char *v);
gboolean topo_instant(TopoParser *p, const TopoGroup *g, const char *key,
                      gint64 *out, gboolean *set);

/* ---- run/topo_checks.c: files, references, conflicts ------------------- */

gboolean topo_file(TopoParser *p, const TopoGroup *g, const char *key,
                   TopoFileKind kind, char **out);
gboolean topo_key_pair(TopoParser *p, const TopoGroup *g, const char *key,
                       const char *cert_file, const char *key_file);
gboolean topo_check_strategies(TopoParser *p, const SimTopo *t);
gboolean topo_domain_ref(TopoParser *p, const SimTopo *t, const TopoGroup *g,
                         const char *key, const char *name, guint *out);
gboolean topo_site_ref(TopoParser *p, const SimTopo *t, const TopoGroup *g,
                       const char *name, guint *out);
gboolean topo_traffic_domain(TopoParser *p, const SimTopo *t,
                             const TopoGroup *g, const char *key,
                             guint *out);
gboolean topo_fault_node(TopoParser *p, const SimTopo *t, const TopoGroup *g,
                         guint *out);
gboolean topo_traffic_via(TopoParser *p, const SimTopo *t, const TopoGroup *g,
                          SimTopoTraffic *tr);
gboolean topo_assign_addresses(TopoParser *p, SimTopo *t,
                               const TopoGroup **ng);
gboolean topo_srv_node_port(TopoParser *p, const SimTopo *t,
                            const TopoGroup *g, const char *host,
                            guint64 *port);
gboolean topo_srv_listens(TopoParser *p, const SimTopo *t, const TopoGroup *g,
                          const char *target, guint port);
