/* SPDX-License-Identifier: MIT */
/*
 * A results folder's tables as text (run/tables.h): CSV after RFC 4180
 * (CRLF line ends, fields with a comma, quote or line break quoted, quotes
 * doubled; a null an empty field, empty text "") and JSON (one object, a
 * member per table holding an array of row objects, numbers as numbers).
 * Values are written as the TSVs hold them, so the text equals the
 * database value for value.
 */
#define G_LOG_DOMAIN "sim-tables"

#include "run/tables.h"

#include <string.h>

/* A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line
 * break, or is empty text (an empty unquoted field is a null). */
static void
csv_field(GString *s, const char *text, gboolean is_text)
{
    if (!text)
        return;
    if (!(is_text && !*text) && !strpbrk(text, ",\"\r\n")) {
        g_string_append(s, text);
        return;
    }
    g_string_append_c(s, '"');
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            g_string_append_c(s, '"');
        g_string_append_c(s, *p);
    }
    g_string_append_c(s, '"');
}

/* What the row writers need. */
typedef struct {
    GString *s;
    GPtrArray *columns;
    guint rows;
} TextOut;

static SimTablesType
column_type(const TextOut *o, guint k)
{
    return ((SimTablesColumn *)g_ptr_array_index(o->columns, k))->type;
}

/* A number's text: as written, with ".0" after a value of a REAL column
 * written without a decimal point or exponent, so that it reads back as a
 * real number (a seed too big for SQLite's integers stays as written). */
static void
put_number(GString *s, const SimTablesCell *c, SimTablesType column)
{
    g_string_append(s, c->text);
    if (column == SIM_TABLES_REAL && !strpbrk(c->text, ".eEn"))
        g_string_append(s, ".0");
}

static gboolean
csv_row(const SimTablesCell *cells, guint n, gpointer data, GError **error)
{
    TextOut *o = data;
    for (guint k = 0; k < n; k++) {
        if (k)
            g_string_append_c(o->s, ',');
        if (cells[k].null)
            continue;
        if (cells[k].type == SIM_TABLES_TEXT)
            csv_field(o->s, cells[k].text, TRUE);
        else
            put_number(o->s, &cells[k], column_type(o, k));
    }
    g_string_append(o->s, "\r\n");
    return TRUE;
}

/**
 * sim_tables_csv:
 * @t: an opened folder
 * @table: a table name
 * @error: return location for a GError
 *
 * Returns: (transfer full): @table as CSV (RFC 4180: a header line of the
 *   column names, CRLF line ends, fields holding a comma, a quote or a
 *   line break quoted with quotes doubled); a null is an empty field, empty
 *   text is "", or NULL with @error set.
 */
char *
sim_tables_csv(SimTables *t, const char *table, GError **error)
{
    g_autoptr(GPtrArray) cols = sim_tables_columns(t, table, error);
    TextOut o = { NULL, cols, 0 };
    if (!cols)
        return NULL;
    GString *s = g_string_new(NULL);
    for (guint k = 0; k < cols->len; k++) {
        if (k)
            g_string_append_c(s, ',');
        csv_field(s, ((SimTablesColumn *)g_ptr_array_index(cols, k))->name,
                  TRUE);
    }
    g_string_append(s, "\r\n");
    o.s = s;
    if (!sim_tables_foreach(t, table, csv_row, &o, error)) {
        g_string_free(s, TRUE);
        return NULL;
    }
    return g_string_free(s, FALSE);
}

static void
json_put_string(GString *s, const char *str)
{
    g_string_append_c(s, '"');
    for (const char *p = str; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\')
            g_string_append_printf(s, "\\%c", c);
        else if (c < 0x20)
            g_string_append_printf(s, "\\u%04x", c);
        else
            g_string_append_c(s, (char)c);
    }
    g_string_append_c(s, '"');
}

static gboolean
json_row(const SimTablesCell *cells, guint n, gpointer data, GError **error)
{
    TextOut *o = data;
    g_string_append(o->s, o->rows++ ? ",\n    {" : "\n    {");
    for (guint k = 0; k < n; k++) {
        if (k)
            g_string_append(o->s, ", ");
        json_put_string(o->s,
                        ((SimTablesColumn *)g_ptr_array_index(o->columns, k))
                            ->name);
        g_string_append(o->s, ": ");
        if (cells[k].null)
            g_string_append(o->s, "null");
        else if (cells[k].type == SIM_TABLES_TEXT)
            json_put_string(o->s, cells[k].text);
        else
            put_number(o->s, &cells[k], column_type(o, k));
    }
    g_string_append_c(o->s, '}');
    return TRUE;
}

/**
 * sim_tables_json:
 * @t: an opened folder
 * @tables: (nullable): the tables to write, NULL-terminated; NULL: all
 * @error: return location for a GError
 *
 * Returns: (transfer full): one JSON object with a member per table, in
 *   the order given, each an array of row objects (column name to value:
 *   numbers as numbers, null for no value), or NULL with @error set.
 */
char *
sim_tables_json(SimTables *t, const char *const *tables, GError **error)
{
    if (!tables)
        tables = sim_tables_names();
    GString *s = g_string_new("{");
    for (guint i = 0; tables[i]; i++) {
        TextOut o = { s, sim_tables_columns(t, tables[i], error), 0 };
        if (!o.columns) {
            g_string_free(s, TRUE);
            return NULL;
        }
        g_string_append(s, i ? ",\n  " : "\n  ");
        json_put_string(s, tables[i]);
        g_string_append(s, ": [");
        gboolean ok = sim_tables_foreach(t, tables[i], json_row, &o, error);
        g_ptr_array_unref(o.columns);
        if (!ok) {
            g_string_free(s, TRUE);
            return NULL;
        }
        g_string_append(s, o.rows ? "\n  ]" : "]");
    }
    g_string_append(s, "\n}\n");
    return g_string_free(s, FALSE);
}
