/* SPDX-License-Identifier: MIT */
/*
 * The documentation users get stands alone and stays true:
 * - docs/topology.md is exactly what `sipreuse check --defaults --format
 *   markdown` prints (the loader's own schema), so a key added, removed or
 *   given a new default fails here until `make docs` is run;
 * - the integer ranges that reference states are the loader's (the
 *   bounds load, one past them is refused);
 * - user-facing text (README.md, docs/, results/README.md, the sample
 *   topologies and experiments, `sipreuse list`, every --help, `check
 *   --defaults`) points to no private design notes and uses only the
 *   requirement (R), threat (T), decision (D) and scenario numbers that
 *   docs/model.md defines.
 */
#include <string.h>

#include "cli/tests/util_cli.h"
#include "run/topo.h"
#include "run/topo_doc.h"

static char *
src_file(const char *rel)
{
    g_autofree char *path =
        g_build_filename(g_getenv("SIPREUSE_SRCDIR"), rel, NULL);
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;
    if (!g_file_get_contents(path, &text, NULL, &error))
        g_error("%s", error->message);
    return g_steal_pointer(&text);
}

/* docs/topology.md equals what the binary prints. */
static void
test_topology_md(void)
{
    if (!hcli_have())
        return;
    g_auto(HCli) c = { 0 };
    hcli_run(&c, NULL, "check", "--defaults", "--format", "markdown", NULL);
    g_assert_cmpstr(c.err, ==, "");
    g_assert_cmpint(c.status, ==, 0);
    g_autofree char *committed = src_file("docs/topology.md");
    if (g_str_equal(committed, c.out))
        return;
    g_auto(GStrv) a = g_strsplit(committed, "\n", -1);
    g_auto(GStrv) b = g_strsplit(c.out, "\n", -1);
    guint i = 0;
    while (a[i] && b[i] && g_str_equal(a[i], b[i]))
        i++;
    g_test_message("docs/topology.md differs from `sipreuse check "
                   "--defaults --format markdown` at line %u:\n"
                   "  committed: %s\n  printed:   %s\n"
                   "run `make docs` and commit docs/topology.md",
                   i + 1, a[i] ? a[i] : "(end of file)",
                   b[i] ? b[i] : "(end of output)");
    g_test_fail();
}

/* `--format` goes with --defaults and takes text or markdown; text is
 * the plain list. */
static void
test_format_flag(void)
{
    if (!hcli_have())
        return;
    g_auto(HCli) plain = { 0 };
    hcli_run(&plain, NULL, "check", "--defaults", NULL);
    g_auto(HCli) text = { 0 };
    hcli_run(&text, NULL, "check", "--defaults", "--format", "text", NULL);
    g_assert_cmpint(text.status, ==, 0);
    g_assert_cmpstr(text.out, ==, plain.out);
    g_auto(HCli) bad = { 0 };
    hcli_run(&bad, NULL, "check", "--defaults", "--format", "html", NULL);
    g_assert_cmpint(bad.status, ==, 2);
    g_assert_nonnull(strstr(bad.err, "markdown"));
    g_auto(HCli) alone = { 0 };
    hcli_run(&alone, NULL, "check", "--format", "markdown",
             "topologies/pair.topo", NULL);
    g_assert_cmpint(alone.status, ==, 2);
    g_assert_nonnull(strstr(alone.err, "--defaults"));
}

/* A world with one group of every named kind that has integer keys. */
static const char doc_world[] =
    "[domain a.example]\n"
    "[domain b.example]\n"
    "[node A]\nhost = a.example\ndomains = a.example\nsite = x\n"
    "[node B]\nhost = b.example\ndomains = b.example\nsite = y\n"
    "[link x y]\n"
    "[traffic t]\nfrom = a.example\nto = b.example\n";

/* Loads doc_world with KEY=VALUE; TRUE if it loads. */
static gboolean
doc_loads(const char *key, guint64 value)
{
    const char *dot = strchr(key, '.');
    g_autofree char *kind = g_strndup(key, dot - key);
    const char *group = g_str_equal(kind, "node")      ? "A."
                        : g_str_equal(kind, "link")    ? "x.y."
                        : g_str_equal(kind, "traffic") ? "t."
                                                       : "";
    g_autofree char *set = g_strdup_printf(
        "%s.%s%s=%" G_GUINT64_FORMAT, kind, group, dot + 1, value);
    const char *ov[] = { set, NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) t = sim_topo_load_data(
        "doc.topo", doc_world, strlen(doc_world), ov, &error);
    g_test_message("%s: %s", set, t ? "loads" : error->message);
    return t != NULL;
}

/* Each integer range in the reference is the loader's. */
static void
test_ranges(void)
{
    guint n = 0;
    const SimTopoDocRange *r = sim_topo_doc_ranges(&n);
    g_assert_cmpuint(n, >, 0);
    for (guint i = 0; i < n; i++) {
        g_assert_true(doc_loads(r[i].key, r[i].min));
        g_assert_true(doc_loads(r[i].key, r[i].max));
        if (r[i].min > 0)
            g_assert_false(doc_loads(r[i].key, r[i].min - 1));
        if (r[i].max < G_MAXUINT64)
            g_assert_false(doc_loads(r[i].key, r[i].max + 1));
    }
}

/* What a user reads: files of the source tree and the CLI's own texts. */
static GPtrArray *
user_texts(void)
{
    static const char *const files[] = {
        "README.md", "docs/architecture.md", "docs/testing.md",
        "docs/model.md", "docs/topology.md", "docs/pcap.md",
        "results/README.md",
    };
    GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < G_N_ELEMENTS(files); i++)
        g_ptr_array_add(a, g_strdup(files[i]));
    g_autofree char *dir =
        g_build_filename(g_getenv("SIPREUSE_SRCDIR"), "topologies", NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_assert_nonnull(d);
    for (const char *n; (n = g_dir_read_name(d));)
        if (g_str_has_suffix(n, ".topo") || g_str_has_suffix(n, ".exp"))
            g_ptr_array_add(a, g_strdup_printf("topologies/%s", n));
    g_ptr_array_sort(a, (GCompareFunc)g_strcmp0);
    return a;
}

/* The CLI's texts: --help of the program and of every verb, list,
 * check --defaults. */
static char *
cli_texts(void)
{
    static const char *const verbs[] = { "run", "compare", "sweep", "plot",
                                         "export", "check", "list",
                                         "calibrate" };
    GString *s = g_string_new(NULL);
    g_auto(HCli) top = { 0 };
    hcli_run(&top, NULL, "--help", NULL);
    g_string_append(s, top.out);
    for (guint i = 0; i < G_N_ELEMENTS(verbs); i++) {
        g_auto(HCli) c = { 0 };
        hcli_run(&c, NULL, verbs[i], "--help", NULL);
        g_string_append(s, c.out);
    }
    g_auto(HCli) list = { 0 };
    hcli_run(&list, NULL, "list", NULL);
    g_string_append(s, list.out);
    g_auto(HCli) defs = { 0 };
    hcli_run(&defs, NULL, "check", "--defaults", NULL);
    g_string_append(s, defs.out);
    return g_string_free(s, FALSE);
}

/* Problems of one text: private references and numbers docs/model.md
 * does not define, appended to @bad. */
static void
check_text(GString *bad, const char *name, const char *text,
           const char *model)
{
    static const char *const private[] = { "../shared", "SPEC", "DESIGN" };
    for (guint i = 0; i < G_N_ELEMENTS(private); i++)
        if (strstr(text, private[i]))
            g_string_append_printf(bad, "\n  %s: mentions %s", name,
                                   private[i]);
    /* R12, D3, threat T1 / threats T1-T8: defined as **R12** etc. */
    static const char *const ids[] = {
        "\\b([RD][0-9]{1,2})\\b",
        "\\b[Tt]hreats? (T[0-9])\\b",
    };
    for (guint i = 0; i < G_N_ELEMENTS(ids); i++) {
        g_autoptr(GRegex) re = g_regex_new(ids[i], 0, 0, NULL);
        g_autoptr(GMatchInfo) m = NULL;
        g_regex_match(re, text, 0, &m);
        for (; g_match_info_matches(m); g_match_info_next(m, NULL)) {
            g_autofree char *id = g_match_info_fetch(m, 1);
            g_autofree char *def = g_strdup_printf("**%s**", id);
            if (!strstr(model, def))
                g_string_append_printf(bad, "\n  %s: %s is not defined in "
                                            "docs/model.md",
                                       name, id);
        }
    }
    /* scenario 21, scenarios 1, 2 and 5: a row "| 21 |" of the table. */
    g_autoptr(GRegex) sc = g_regex_new(
        "[Ss]cenarios? ([0-9]+(?:(?:, | and |-| to )[0-9]+)*)", 0, 0, NULL);
    g_autoptr(GRegex) num = g_regex_new("[0-9]+", 0, 0, NULL);
    g_autoptr(GMatchInfo) m = NULL;
    g_regex_match(sc, text, 0, &m);
    for (; g_match_info_matches(m); g_match_info_next(m, NULL)) {
        g_autofree char *list = g_match_info_fetch(m, 1);
        g_autoptr(GMatchInfo) n = NULL;
        g_regex_match(num, list, 0, &n);
        for (; g_match_info_matches(n); g_match_info_next(n, NULL)) {
            g_autofree char *id = g_match_info_fetch(n, 0);
            g_autofree char *row = g_strdup_printf("\n| %s |", id);
            if (!strstr(model, row))
                g_string_append_printf(bad, "\n  %s: scenario %s is not "
                                            "defined in docs/model.md",
                                       name, id);
        }
    }
}

static void
test_user_facing(void)
{
    if (!hcli_have())
        return;
    g_autofree char *model = src_file("docs/model.md");
    g_autoptr(GString) bad = g_string_new(NULL);
    g_autoptr(GPtrArray) files = user_texts();
    for (guint i = 0; i < files->len; i++) {
        const char *f = g_ptr_array_index(files, i);
        g_autofree char *text = src_file(f);
        check_text(bad, f, text, model);
    }
    g_autofree char *cli = cli_texts();
    check_text(bad, "the CLI's output", cli, model);
    if (bad->len) {
        g_test_message("user-facing text refers to what users do not "
                       "have:%s",
                       bad->str);
        g_test_fail();
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("docs/topology.md is what the loader prints; its "
                   "ranges are the loader's; user-facing text refers only "
                   "to the project's own docs");
    g_test_add_func("/docs/topology/up-to-date", test_topology_md);
    g_test_add_func("/docs/topology/format-flag", test_format_flag);
    g_test_add_func("/docs/topology/ranges", test_ranges);
    g_test_add_func("/docs/user-facing/self-contained", test_user_facing);
    return g_test_run();
}
