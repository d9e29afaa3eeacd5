/* SPDX-License-Identifier: MIT */
/*
 * The project checks its own architecture (docs/architecture.md): every
 * `#include "..."` of every C file under sim/, models/, run/, cli/ and
 * bench/ is read, and the tree fails when a file includes a higher layer
 * (sim < models < run < cli; bench sits on top), when a model includes a
 * run/ header, when modules (X.c with X.h) include each other in a circle,
 * or when a .c file past 1,500 lines does not say in its opening comment
 * why it is one piece.  The checker is first run on small hand-made trees
 * whose faults are known, so a checker that finds nothing fails too.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

/* Layers, lowest first; a file may include its own layer and lower ones. */
static const char *const layers[] = { "sim", "models", "run", "cli", "bench" };

/* A .c file past this many lines says why it is one piece. */
#define LAYERS_LONG_FILE 1500

/* What one check of a tree found: one line per problem. */
typedef struct {
    /* Module ("models/sip/proxy") -> GPtrArray of included modules. */
    GHashTable *edges;
    /* Problems found, one line each. */
    GPtrArray *problems;
} Layering;

/* The rank of the layer @path lies in, or -1 outside every layer. */
static int
layer_rank(const char *path)
{
    for (guint i = 0; i < G_N_ELEMENTS(layers); i++) {
        gsize n = strlen(layers[i]);
        if (strncmp(path, layers[i], n) == 0 && path[n] == '/')
            return (int)i;
    }
    return -1;
}

/* @path without its extension: the module it belongs to; a private
 * header X_priv.h belongs to module X. */
static char *
layer_module(const char *path)
{
    const char *dot = strrchr(path, '.');
    char *m = dot ? g_strndup(path, (gsize)(dot - path)) : g_strdup(path);
    if (g_str_has_suffix(m, "_priv"))
        m[strlen(m) - strlen("_priv")] = '\0';
    return m;
}

/* Whether the opening comment of @text says why the file is one piece. */
static gboolean
layer_says_one_piece(const char *text)
{
    const char *end = strstr(text, "*/");
    /* Past the SPDX line, the opening comment is the next block. */
    if (end && strstr(text, "SPDX") && strstr(text, "SPDX") < end)
        end = strstr(end + 2, "*/");
    g_autofree char *head = g_ascii_strdown(text, end ? end - text : -1);
    g_autofree char *flat = g_strdelimit(g_strdup(head), "\n*", ' ');
    g_autoptr(GRegex) re = g_regex_new("one\\s+piece", 0, 0, NULL);
    return g_regex_match(re, flat, 0, NULL);
}

/* Reads one file's includes into @l. */
static void
layer_scan_file(Layering *l, const char *root, const char *rel)
{
    g_autofree char *full = g_build_filename(root, rel, NULL);
    g_autofree char *text = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(full, &text, &len, NULL));
    int rank = layer_rank(rel);
    gboolean is_test = strstr(rel, "/tests/") != NULL;
    char *module = layer_module(rel);
    GPtrArray *out = g_hash_table_lookup(l->edges, module);
    if (!out) {
        out = g_ptr_array_new_with_free_func(g_free);
        g_hash_table_insert(l->edges, module, out);
    } else {
        g_free(module);
    }
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    guint n_lines = 0;
    for (const char *c = text; *c; c++)
        n_lines += *c == '\n';
    for (guint i = 0; lines[i]; i++) {
        const char *s = lines[i];
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s != '#')
            continue;
        s++;
        while (*s == ' ' || *s == '\t')
            s++;
        if (!g_str_has_prefix(s, "include") || !strchr(s, '"'))
            continue;
        const char *a = strchr(s, '"') + 1;
        const char *b = strchr(a, '"');
        if (!b)
            continue;
        g_autofree char *inc = g_strndup(a, (gsize)(b - a));
        int inc_rank = layer_rank(inc);
        if (inc_rank < 0)
            continue;
        if (inc_rank > rank)
            g_ptr_array_add(l->problems,
                            g_strdup_printf("%s:%u: upward include of %s "
                                            "(%s may use %s and lower only)",
                                            rel, i + 1, inc, layers[rank],
                                            layers[rank]));
        if (rank == 1 && inc_rank == 2)
            g_ptr_array_add(l->problems,
                            g_strdup_printf("%s:%u: a model includes the run/ "
                                            "header %s",
                                            rel, i + 1, inc));
        g_autofree char *target = layer_module(inc);
        g_autofree char *self = layer_module(rel);
        if (!is_test && strcmp(target, self) != 0)
            g_ptr_array_add(out, g_steal_pointer(&target));
    }
    if (!is_test && g_str_has_suffix(rel, ".c") &&
        n_lines > LAYERS_LONG_FILE && !layer_says_one_piece(text))
        g_ptr_array_add(l->problems,
                        g_strdup_printf("%s: %u lines, and its opening "
                                        "comment does not say why it is "
                                        "one piece",
                                        rel, n_lines));
}

static gint
layer_cmp_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walks @rel under @root (sorted, so problems come in a fixed order). */
static void
layer_scan_dir(Layering *l, const char *root, const char *rel)
{
    g_autofree char *full = g_build_filename(root, rel, NULL);
    GDir *dir = g_dir_open(full, 0, NULL);
    if (!dir)
        return;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(dir)))
        g_ptr_array_add(names, g_strdup(name));
    g_dir_close(dir);
    g_ptr_array_sort(names, layer_cmp_names);
    for (guint i = 0; i < names->len; i++) {
        const char *n = names->pdata[i];
        g_autofree char *child = g_build_filename(rel, n, NULL);
        g_autofree char *child_full = g_build_filename(root, child, NULL);
        if (g_file_test(child_full, G_FILE_TEST_IS_DIR))
            layer_scan_dir(l, root, child);
        else if (g_str_has_suffix(n, ".c") || g_str_has_suffix(n, ".h"))
            layer_scan_file(l, root, child);
    }
}

/* Depth-first search from @m; @path holds the modules on the current
 * path, @state is 0 unseen / 1 on the path / 2 done.  Each edge back into
 * the path is one circle, reported once. */
static void
layer_find_cycles(Layering *l, const char *m, GHashTable *state,
                  GPtrArray *path)
{
    g_hash_table_insert(state, (gpointer)m, GINT_TO_POINTER(1));
    g_ptr_array_add(path, (gpointer)m);
    GPtrArray *out = g_hash_table_lookup(l->edges, m);
    for (guint i = 0; out && i < out->len; i++) {
        gpointer key = NULL;
        if (!g_hash_table_lookup_extended(l->edges, out->pdata[i], &key,
                                          NULL))
            continue;
        int st = GPOINTER_TO_INT(g_hash_table_lookup(state, key));
        if (st == 0) {
            layer_find_cycles(l, key, state, path);
        } else if (st == 1) {
            GString *s = g_string_new("include cycle between modules: ");
            gboolean on = FALSE;
            for (guint k = 0; k < path->len; k++) {
                on = on || strcmp(path->pdata[k], key) == 0;
                if (on)
                    g_string_append_printf(s, "%s -> ",
                                           (char *)path->pdata[k]);
            }
            g_string_append(s, key);
            g_ptr_array_add(l->problems, g_string_free(s, FALSE));
        }
    }
    g_hash_table_insert(state, (gpointer)m, GINT_TO_POINTER(2));
    g_ptr_array_set_size(path, path->len - 1);
}

/* Checks the tree at @root; returns the problems found (one per line). */
static GPtrArray *
layers_check(const char *root)
{
    Layering l = {
        .edges = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify)g_ptr_array_unref),
        .problems = g_ptr_array_new_with_free_func(g_free),
    };
    for (guint i = 0; i < G_N_ELEMENTS(layers); i++)
        layer_scan_dir(&l, root, layers[i]);
    /* Modules in sorted order, so the first cycle reported is fixed. */
    GList *mods = g_list_sort(g_hash_table_get_keys(l.edges),
                              (GCompareFunc)strcmp);
    g_autoptr(GHashTable) state = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) path = g_ptr_array_new();
    for (GList *m = mods; m; m = m->next)
        if (!g_hash_table_contains(state, m->data))
            layer_find_cycles(&l, m->data, state, path);
    g_list_free(mods);
    g_hash_table_unref(l.edges);
    return l.problems;
}

/* Writes @text to @rel under @root, making folders. */
static void
put(const char *root, const char *rel, const char *text)
{
    g_autofree char *full = g_build_filename(root, rel, NULL);
    g_autofree char *dir = g_path_get_dirname(full);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_true(g_file_set_contents(full, text, -1, NULL));
}

/* Whether some problem contains @needle. */
static gboolean
found(GPtrArray *problems, const char *needle)
{
    for (guint i = 0; i < problems->len; i++)
        if (strstr(problems->pdata[i], needle))
            return TRUE;
    return FALSE;
}

static void
remove_tree(const char *path)
{
    GDir *dir = g_dir_open(path, 0, NULL);
    if (dir) {
        const char *n;
        while ((n = g_dir_read_name(dir))) {
            g_autofree char *child = g_build_filename(path, n, NULL);
            remove_tree(child);
        }
        g_dir_close(dir);
    }
    g_remove(path);
}

/* A clean hand-made tree passes; each planted fault is found. */
static void
test_checker_finds_faults(void)
{
    g_autofree char *root = g_dir_make_tmp("layers-XXXXXX", NULL);
    g_assert_nonnull(root);
    put(root, "sim/evq.h", "#pragma once\n");
    put(root, "sim/evq.c", "#include \"sim/evq.h\"\n");
    put(root, "models/net.h", "#include \"sim/evq.h\"\n");
    put(root, "models/net.c", "#include \"models/net.h\"\n");
    put(root, "run/world.c", "#include \"models/net.h\"\n");
    put(root, "cli/main.c", "#include \"run/world.h\"\n");
    /* A private header is part of its module: no circle through it. */
    put(root, "run/topo.h", "#pragma once\n");
    put(root, "run/topo_priv.h", "#include \"run/topo.h\"\n");
    put(root, "run/topo.c", "#include \"run/topo_priv.h\"\n");
    g_autoptr(GPtrArray) clean = layers_check(root);
    g_assert_cmpuint(clean->len, ==, 0);

    put(root, "sim/stats.c", "  #  include \"models/net.h\"\n");
    put(root, "models/traffic.h", "#include \"run/topo.h\"\n");
    put(root, "models/a.h", "#include \"models/b.h\"\n");
    put(root, "models/b.c", "#include \"models/a.h\"\n");
    GString *big = g_string_new("/* A long file with no reason. */\n");
    for (guint i = 0; i < LAYERS_LONG_FILE; i++)
        g_string_append(big, "int x;\n");
    put(root, "models/big.c", big->str);
    g_string_free(big, TRUE);
    g_autoptr(GPtrArray) bad = layers_check(root);
    g_assert_true(found(bad, "sim/stats.c:1: upward include of models/net.h"));
    g_assert_true(found(bad, "models/traffic.h:1: a model includes the run/ "
                             "header run/topo.h"));
    g_assert_true(found(bad, "include cycle between modules: models/a -> "
                             "models/b -> models/a"));
    g_assert_true(found(bad, "models/big.c: 1501 lines"));
    g_assert_cmpuint(bad->len, ==, 5);

    /* Saying why it is one piece is enough for a long file. */
    GString *ok = g_string_new("/*\n * Kept as one piece: the state\n"
                               " * machine's handlers share a table. */\n");
    for (guint i = 0; i < LAYERS_LONG_FILE; i++)
        g_string_append(ok, "int x;\n");
    put(root, "models/big.c", ok->str);
    g_string_free(ok, TRUE);
    g_autoptr(GPtrArray) again = layers_check(root);
    g_assert_false(found(again, "models/big.c"));
    remove_tree(root);
}

/* The project's own tree keeps every rule. */
static void
test_tree_is_layered(void)
{
    const char *src = g_getenv("SIPREUSE_SRCDIR");
    g_autofree char *root = g_strdup(src ? src : ".");
    g_autofree char *probe = g_build_filename(root, "sim", "evq.h", NULL);
    g_assert_true(g_file_test(probe, G_FILE_TEST_EXISTS));
    g_autoptr(GPtrArray) problems = layers_check(root);
    /* Every problem is listed; a failure, not a bail-out, so prove still
     * runs the other programs. */
    for (guint i = 0; i < problems->len; i++)
        g_test_message("%s", (char *)problems->pdata[i]);
    if (problems->len)
        g_test_fail_printf("%u layering problem(s), listed above",
                           problems->len);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("Layering: no upward include (sim < models < run < cli), "
                   "no model including run/, no include cycle between "
                   "modules, long files say why they are one piece.");
    g_test_add_func("/layers/checker/finds-faults", test_checker_finds_faults);
    g_test_add_func("/layers/tree", test_tree_is_layered);
    return g_test_run();
}
