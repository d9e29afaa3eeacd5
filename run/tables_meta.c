/* SPDX-License-Identifier: MIT */
/*
 * The meta table's source (run/tables_priv.h): the "meta" object of a
 * run's summary.json, read with a small JSON reader (objects, arrays,
 * strings with every escape, numbers, true, false, null; GLib has no JSON
 * parser), and the completion marker's fingerprint and revision.  Only
 * the top-level object is walked; every other member is skipped whole.
 */
#define G_LOG_DOMAIN "sim-tables"

#include "run/tables_priv.h"

#include <string.h>

#include "run/input.h"
#include "run/out.h"

/* A JSON reader for summary.json's "meta" object. */
typedef struct {
    const char *p;
    /* Objects and arrays open around p (at most JSON_MAX_DEPTH: a
     * hostile summary.json must not exhaust the stack). */
    guint depth;
} Json;

/* Deeper nesting than summary.json ever has is refused. */
#define JSON_MAX_DEPTH 64

static void
json_ws(Json *j)
{
    while (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r')
        j->p++;
}

static guint
json_hex4(const char *p)
{
    guint v = 0;
    for (guint i = 0; i < 4; i++) {
        if (!g_ascii_isxdigit(p[i]))
            return G_MAXUINT;
        v = v * 16 + (guint)g_ascii_xdigit_value(p[i]);
    }
    return v;
}

/* A string (at its opening quote), unescaped into @out. */
static gboolean
json_string(Json *j, GString *out)
{
    if (*j->p != '"')
        return FALSE;
    for (j->p++; *j->p && *j->p != '"'; j->p++) {
        if (*j->p != '\\') {
            g_string_append_c(out, *j->p);
            continue;
        }
        j->p++;
        const char *esc = strchr("\"\\/bfnrt", *j->p);
        if (*j->p && esc) {
            g_string_append_c(out, "\"\\/\b\f\n\r\t"[esc - "\"\\/bfnrt"]);
        } else if (*j->p == 'u') {
            guint u = json_hex4(j->p + 1);
            if (u == G_MAXUINT)
                return FALSE;
            j->p += 4;
            if (u >= 0xd800 && u < 0xdc00 && j->p[1] == '\\' &&
                j->p[2] == 'u') {
                guint lo = json_hex4(j->p + 3);
                if (lo >= 0xdc00 && lo < 0xe000) {
                    u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                    j->p += 6;
                }
            }
            g_string_append_unichar(out, g_unichar_validate(u) ? u : 0xfffd);
        } else {
            return FALSE;
        }
    }
    if (*j->p != '"')
        return FALSE;
    j->p++;
    return TRUE;
}

static gboolean json_skip(Json *j);

/* An object's or array's members, skipped. */
static gboolean
json_skip_group(Json *j, char close)
{
    if (j->depth >= JSON_MAX_DEPTH)
        return FALSE;
    j->depth++;
    j->p++;
    json_ws(j);
    if (*j->p == close) {
        j->p++;
        j->depth--;
        return TRUE;
    }
    for (;;) {
        if (close == '}') {
            g_autoptr(GString) key = g_string_new(NULL);
            json_ws(j);
            if (!json_string(j, key))
                return FALSE;
            json_ws(j);
            if (*j->p++ != ':')
                return FALSE;
        }
        if (!json_skip(j))
            return FALSE;
        json_ws(j);
        if (*j->p == close) {
            j->p++;
            j->depth--;
            return TRUE;
        }
        if (*j->p++ != ',')
            return FALSE;
    }
}

/* Any value, skipped. */
static gboolean
json_skip(Json *j)
{
    json_ws(j);
    if (*j->p == '{')
        return json_skip_group(j, '}');
    if (*j->p == '[')
        return json_skip_group(j, ']');
    if (*j->p == '"') {
        g_autoptr(GString) s = g_string_new(NULL);
        return json_string(j, s);
    }
    const char *start = j->p;
    while (*j->p && strchr("-+.eE0123456789truefalsn", *j->p))
        j->p++;
    return j->p > start;
}

/* A value as meta stores it: a string's text, a number or true/false as
 * written, NULL for null; an object or array as its JSON text. */
static gboolean
json_value_text(Json *j, char **text)
{
    json_ws(j);
    const char *start = j->p;
    if (*j->p == '"') {
        GString *s = g_string_new(NULL);
        gboolean ok = json_string(j, s);
        *text = g_string_free(s, !ok);
        return ok;
    }
    if (!json_skip(j))
        return FALSE;
    *text = g_str_has_prefix(start, "null") && j->p == start + 4
                ? NULL
                : g_strndup(start, j->p - start);
    return TRUE;
}

/* Appends "key" and value pairs (@text NULL for null) to @kv. */
static void
kv_add(GPtrArray *kv, const char *key, char *value)
{
    g_ptr_array_add(kv, g_strdup(key));
    g_ptr_array_add(kv, value);
}

/* The members of the "meta" object at @j: one pair per member, one per
 * element of an array member. */
static gboolean
json_meta(Json *j, GPtrArray *kv)
{
    json_ws(j);
    if (*j->p++ != '{')
        return FALSE;
    json_ws(j);
    if (*j->p == '}')
        return TRUE;
    for (;;) {
        g_autoptr(GString) key = g_string_new(NULL);
        json_ws(j);
        if (!json_string(j, key))
            return FALSE;
        json_ws(j);
        if (*j->p++ != ':')
            return FALSE;
        json_ws(j);
        if (*j->p == '[') {
            j->p++;
            json_ws(j);
            while (*j->p != ']') {
                char *v = NULL;
                if (!json_value_text(j, &v))
                    return FALSE;
                kv_add(kv, key->str, v);
                json_ws(j);
                if (*j->p == ',')
                    j->p++;
                else if (*j->p != ']')
                    return FALSE;
            }
            j->p++;
        } else {
            char *v = NULL;
            if (!json_value_text(j, &v))
                return FALSE;
            kv_add(kv, key->str, v);
        }
        json_ws(j);
        if (*j->p == '}')
            return TRUE;
        if (*j->p++ != ',')
            return FALSE;
    }
}

/* Key/value pairs of @text's top-level "meta" object. */
static gboolean
json_find_meta(const char *text, GPtrArray *kv)
{
    Json j = { text, 0 };
    json_ws(&j);
    if (*j.p++ != '{')
        return FALSE;
    for (;;) {
        g_autoptr(GString) key = g_string_new(NULL);
        json_ws(&j);
        if (!json_string(&j, key))
            return FALSE;
        json_ws(&j);
        if (*j.p++ != ':')
            return FALSE;
        if (g_str_equal(key->str, "meta"))
            return json_meta(&j, kv);
        if (!json_skip(&j))
            return FALSE;
        json_ws(&j);
        if (*j.p++ != ',')
            return FALSE;
    }
}

/**
 * sim_tables_run_meta:
 * @dir: a run's folder
 * @kv: (element-type utf8): where to append key, value, key, value...
 *   (a value NULL for a JSON null)
 * @error: return location for a GError
 *
 * Reads the run's meta: summary.json's "meta" object, one pair per member
 * (one per element of an array member; a string as its text, a number or
 * true/false as written, an object as its JSON text), then the completion
 * marker's fingerprint and revision if it has them.
 *
 * Returns: FALSE with @error set if summary.json is unreadable or has no
 *   "meta" object.
 */
gboolean
sim_tables_run_meta(const char *dir, GPtrArray *kv, GError **error)
{
    g_autofree char *path = g_build_filename(dir, "summary.json", NULL);
    g_autofree char *text = NULL;
    if (!sim_input_read_file(path, SIM_INPUT_MAX_RESULTS, &text, NULL,
                             error))
        return FALSE;
    if (!json_find_meta(text, kv)) {
        g_set_error(error, SIM_TABLES_ERROR, SIM_TABLES_ERROR_PARSE,
                    "%s: expected a JSON object with a \"meta\" object",
                    path);
        return FALSE;
    }
    g_autofree char *marker = g_build_filename(dir, SIM_OUT_COMPLETE, NULL);
    g_autofree char *mtext = NULL;
    if (!g_file_test(marker, G_FILE_TEST_IS_REGULAR) ||
        !sim_input_read_file(marker, 1 << 20, &mtext, NULL, NULL))
        return TRUE;
    g_auto(GStrv) lines = g_strsplit(mtext, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        char *sp = strchr(lines[i], ' ');
        if (!sp)
            continue;
        *sp = '\0';
        if (g_str_equal(lines[i], "fingerprint") ||
            g_str_equal(lines[i], "revision"))
            kv_add(kv, lines[i], g_strdup(sp + 1));
    }
    return TRUE;
}
