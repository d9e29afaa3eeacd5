/* SPDX-License-Identifier: MIT */
/*
 * The typed value parsers of the topology loader: durations, bandwidths,
 * rates, probabilities and fractions, integers, booleans, enumerations,
 * names, strategy names (checked against the registry of models/strategy),
 * lists and dates.  Each getter reads a key as written, else its schema
 * default; a bad value is recorded as a problem saying what was expected,
 * and the default stays in place so that the load goes on.  The unit
 * tables also serve sim_topo_unit_value(), for tools that read values
 * back.
 */
#define G_LOG_DOMAIN "sim-topo"

#include "run/topo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/strategy/strategy.h"
#include "run/topo_priv.h"

/* Durations must be shorter: 1e9 s, about 31 years of simulated time. */
#define TOPO_MAX_NS 1e18

/* The value of @key: as written, else the schema default, else NULL. */
char *
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

gboolean
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

/* ---- Numbers with units ----------------------------------------------- */

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
gboolean
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
gboolean
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
gboolean
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
gboolean
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

/* A positive factor: a plain number in (0, 1e6] ([simulation]
 * rate-scale). */
gboolean
topo_factor(TopoParser *p, const TopoGroup *g, const char *key, double *out)
{
    static const TopoUnit units[] = { { "", 1 } };
    g_autofree char *v = topo_value(p, g, key);
    double x;
    if (!v || (topo_scaled(v, units, 1, &x) && x > 0 && x <= 1e6)) {
        if (v)
            *out = x;
        return TRUE;
    }
    const char *def = topo_default(g, key);
    if (def)
        topo_scaled(def, units, 1, out);
    return topo_bad(p, g, key, v,
                    "a positive number of at most 1e6 (e.g. 0.5 or 2)");
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
gboolean
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
gboolean
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
gboolean
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

gboolean
topo_guint(TopoParser *p, const TopoGroup *g, const char *key, guint min,
           guint max, guint *out)
{
    guint64 x = *out;
    gboolean ok = topo_uint(p, g, key, min, max, &x);
    *out = (guint)x;
    return ok;
}

/* ---- Booleans, names, lists, dates ------------------------------------ */

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
gboolean
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
gboolean
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
gboolean
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

/* A strategy name from the registry (models/strategy), with a hint. */
gboolean
topo_strategy(TopoParser *p, const TopoGroup *g, const char *key, char **out)
{
    if (!topo_token(p, g, key, out))
        return FALSE;
    if (!*out || sim_strategy_by_name(*out, NULL))
        return TRUE;
    g_autofree const char **names = sim_strategy_names();
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
char **
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

/* An ISO-8601 date (midnight UTC) or date-time (UTC unless it says
 * otherwise), as seconds since the epoch; absent: *set stays FALSE. */
gboolean
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

/* ---- Public API ------------------------------------------------------- */

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
 * sim_topo_numeric_column:
 * @key: a key as --set writes it
 *
 * Returns: (transfer full) (nullable): the name of the numeric column that
 *   holds @key's values in its unit: KEY_ms for durations, KEY_Mbps for
 *   bandwidths, KEY_per_s for rates; %NULL for keys without a unit.
 */
char *
sim_topo_numeric_column(const char *key)
{
    switch (sim_topo_key_unit(key)) {
    case SIM_TOPO_UNIT_DURATION:
        return g_strconcat(key, "_ms", NULL);
    case SIM_TOPO_UNIT_BANDWIDTH:
        return g_strconcat(key, "_Mbps", NULL);
    case SIM_TOPO_UNIT_RATE:
        return g_strconcat(key, "_per_s", NULL);
    default:
        return NULL;
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
