/* SPDX-License-Identifier: MIT */
/*
 * The README's examples work as written, in order, from a copy of the
 * sample topologies: every line of its ```sh blocks that starts with
 * ./sipreuse or make runs and exits 0.  So that `make check` stays fast,
 * simulated runs are shortened (--set simulation.duration=3s and
 * simulation.warmup=1s after the example's own options, one replication
 * per sweep point, no plots), `calibrate` measures with --quick, a
 * pipeline keeps only its sipreuse command (tcpdump may be absent), `make
 * results` runs the command the Makefile gives it and `make check` (this
 * very test's runner) is skipped.
 *
 * Its ```ini key-file listings parse as written: one that starts with a
 * topology group is written to a file next to the sample topologies and
 * passes `sipreuse check`; one that starts with [experiment] runs as a
 * sweep (shortened like the examples above) from that same folder, so
 * its `topology =` names a shipped sample.
 */
#include <string.h>

#include "cli/tests/util_cli.h"

/* Copies SRC/topologies into @dir (the folder the examples run in). */
static void
copy_topologies(const char *src, const char *dir)
{
    g_autofree char *from = g_build_filename(src, "topologies", NULL);
    g_autofree char *to = g_build_filename(dir, "topologies", NULL);
    g_assert_cmpint(g_mkdir_with_parents(to, 0755), ==, 0);
    g_autoptr(GDir) d = g_dir_open(from, 0, NULL);
    g_assert_nonnull(d);
    const char *name;
    while ((name = g_dir_read_name(d)) != NULL) {
        g_autofree char *a = g_build_filename(from, name, NULL);
        g_autofree char *b = g_build_filename(to, name, NULL);
        g_autofree char *text = NULL;
        gsize len = 0;
        if (!g_file_test(a, G_FILE_TEST_IS_REGULAR))
            continue;
        g_assert_true(g_file_get_contents(a, &text, &len, NULL));
        g_assert_true(g_file_set_contents(b, text, (gssize)len, NULL));
    }
}

/* The command lines of the README's ```sh blocks, comments and
 * pipelines cut off. */
static GPtrArray *
readme_commands(const char *readme)
{
    GPtrArray *cmds = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) lines = g_strsplit(readme, "\n", -1);
    gboolean in_sh = FALSE;
    for (guint i = 0; lines[i]; i++) {
        char *l = lines[i];
        if (g_str_has_prefix(l, "```")) {
            in_sh = !in_sh && g_str_has_prefix(l, "```sh");
            continue;
        }
        if (!in_sh)
            continue;
        g_autofree char *cmd = g_strdup(l);
        char *cut;
        if ((cut = strstr(cmd, " #")) != NULL)
            *cut = '\0';
        if ((cut = strstr(cmd, "&&")) != NULL)
            *cut = '\0';
        if ((cut = strchr(cmd, '|')) != NULL)
            *cut = '\0';
        g_strstrip(cmd);
        if (g_str_has_prefix(cmd, "./sipreuse ") ||
            g_str_has_prefix(cmd, "make"))
            g_ptr_array_add(cmds, g_steal_pointer(&cmd));
    }
    return cmds;
}

/* The arguments to run for README command @cmd (without the program), or
 * NULL to skip it. */
static GPtrArray *
example_args(const char *cmd, const char *makefile)
{
    g_autofree char *line = NULL;
    if (g_str_equal(cmd, "make results")) {
        /* What the Makefile runs for it: "$(CLI) compare ...". */
        const char *rule = strstr(makefile, "\nresults:");
        g_assert_nonnull(rule);
        const char *cli = strstr(rule, "$(CLI) ");
        g_assert_nonnull(cli);
        const char *eol = strchr(cli, '\n');
        line = g_strndup(cli + strlen("$(CLI) "), eol - cli - 7);
    } else if (g_str_has_prefix(cmd, "./sipreuse ")) {
        line = g_strdup(cmd + strlen("./sipreuse "));
    } else {
        return NULL;
    }
    g_auto(GStrv) argv = NULL;
    g_assert_true(g_shell_parse_argv(line, NULL, &argv, NULL));
    GPtrArray *args = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; argv[i]; i++)
        g_ptr_array_add(args, g_strdup(argv[i]));
    const char *verb = argv[0];
    if (g_str_equal(verb, "run") || g_str_equal(verb, "compare") ||
        g_str_equal(verb, "sweep")) {
        g_ptr_array_add(args, g_strdup("--set"));
        g_ptr_array_add(args, g_strdup("simulation.duration=3s"));
        g_ptr_array_add(args, g_strdup("--set"));
        g_ptr_array_add(args, g_strdup("simulation.warmup=1s"));
    }
    if (g_str_equal(verb, "compare") || g_str_equal(verb, "sweep"))
        g_ptr_array_add(args, g_strdup("--no-plots"));
    if (g_str_equal(verb, "sweep")) {
        g_ptr_array_add(args, g_strdup("--reps"));
        g_ptr_array_add(args, g_strdup("1"));
    }
    if (g_str_equal(verb, "calibrate"))
        g_ptr_array_add(args, g_strdup("--quick"));
    g_ptr_array_add(args, NULL);
    return args;
}

/* The ```ini blocks of the README, each as its text. */
static GPtrArray *
readme_ini_blocks(const char *readme)
{
    GPtrArray *blocks = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) lines = g_strsplit(readme, "\n", -1);
    GString *cur = NULL;
    gboolean in_block = FALSE;
    for (guint i = 0; lines[i]; i++) {
        const char *l = lines[i];
        if (g_str_has_prefix(l, "```")) {
            if (cur) {
                g_ptr_array_add(blocks, g_string_free(cur, FALSE));
                cur = NULL;
            } else if (!in_block && g_str_equal(l, "```ini")) {
                cur = g_string_new(NULL);
            }
            in_block = !in_block;
            continue;
        }
        if (cur)
            g_string_append_printf(cur, "%s\n", l);
    }
    g_assert_null(cur);
    return blocks;
}

/* The first group header of key-file @text ("[node A]"), or NULL. */
static char *
first_group(const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        const char *l = lines[i];
        if (*l == '\0' || *l == '#')
            continue;
        if (*l != '[')
            return NULL;
        const char *end = strchr(l, ']');
        return end ? g_strndup(l, end - l + 1) : NULL;
    }
    return NULL;
}

static void
test_ini_blocks(void)
{
    if (!hcli_have()) {
        g_test_skip("SIPREUSE_BIN is not set");
        return;
    }
    /* Group kinds of a topology (docs/topology.md). */
    static const char *const topo_kinds[] = {
        "simulation", "transport", "network", "pki", "dns", "domain",
        "node", "link", "traffic", "fault", "defaults", NULL,
    };
    const char *src = g_getenv("SIPREUSE_SRCDIR");
    g_autofree char *readme_path = g_build_filename(src, "README.md", NULL);
    g_autofree char *readme = NULL;
    g_assert_true(g_file_get_contents(readme_path, &readme, NULL, NULL));
    g_autofree char *dir = hcli_scratch("readme-ini");
    copy_topologies(src, dir);
    g_autofree char *topos = g_build_filename(dir, "topologies", NULL);
    g_autoptr(GPtrArray) blocks = readme_ini_blocks(readme);
    guint topologies = 0, experiments = 0;
    for (guint i = 0; i < blocks->len; i++) {
        const char *text = g_ptr_array_index(blocks, i);
        g_autofree char *group = first_group(text);
        g_assert_nonnull(group);
        g_autofree char *kind = g_strndup(group + 1, strcspn(group + 1,
                                                              " ]"));
        gboolean is_exp = g_str_equal(kind, "experiment");
        if (!is_exp && !g_strv_contains(topo_kinds, kind)) {
            g_test_message("ini block %u starts with %s: not checked", i,
                           group);
            continue;
        }
        g_autofree char *name = g_strdup_printf("readme-block-%u.%s", i,
                                                is_exp ? "exp" : "topo");
        g_autofree char *path = g_build_filename(topos, name, NULL);
        g_assert_true(g_file_set_contents(path, text, -1, NULL));
        g_autofree char *out = g_strdup_printf("out-%u", i);
        g_auto(HCli) c = { 0 };
        HCliOpts o = { .cwd = dir, .timeout = 120 };
        g_autofree char *rel = g_build_filename("topologies", name, NULL);
        if (is_exp) {
            hcli_run(&c, &o, "sweep", rel, "--reps", "1", "--no-plots",
                     "--set", "simulation.duration=2s", "--set",
                     "simulation.warmup=0", "--out", out, NULL);
            experiments++;
        } else {
            hcli_run(&c, &o, "check", rel, NULL);
            topologies++;
        }
        g_test_message("ini block %u (%s): exit %d in %.1f s%s%s", i, group,
                       c.status, c.seconds, c.status ? "\n" : "",
                       c.status ? c.err : "");
        g_assert_cmpint(c.status, ==, 0);
    }
    /* The README shows a topology (pair.topo) and an experiment. */
    g_assert_cmpuint(topologies, >=, 1);
    g_assert_cmpuint(experiments, >=, 1);
}

static void
test_examples(void)
{
    if (!hcli_have()) {
        g_test_skip("SIPREUSE_BIN is not set");
        return;
    }
    const char *src = g_getenv("SIPREUSE_SRCDIR");
    g_autofree char *readme_path = g_build_filename(src, "README.md", NULL);
    g_autofree char *make_path = g_build_filename(src, "Makefile", NULL);
    g_autofree char *readme = NULL, *makefile = NULL;
    g_assert_true(g_file_get_contents(readme_path, &readme, NULL, NULL));
    g_assert_true(g_file_get_contents(make_path, &makefile, NULL, NULL));
    g_autofree char *dir = hcli_scratch("readme");
    copy_topologies(src, dir);
    g_autoptr(GPtrArray) cmds = readme_commands(readme);
    guint ran = 0;
    gint64 start = g_get_monotonic_time();
    for (guint i = 0; i < cmds->len; i++) {
        const char *cmd = g_ptr_array_index(cmds, i);
        g_autoptr(GPtrArray) args = example_args(cmd, makefile);
        if (!args) {
            g_test_message("skipped: %s", cmd);
            continue;
        }
        g_auto(HCli) c = { 0 };
        HCliOpts o = { .cwd = dir, .timeout = 120 };
        hcli_runv(&c, &o, (const char *const *)args->pdata);
        g_test_message("%s: exit %d in %.1f s%s%s", cmd, c.status,
                       c.seconds, c.status ? "\n" : "",
                       c.status ? c.err : "");
        g_assert_cmpint(c.status, ==, 0);
        ran++;
    }
    g_test_message("%u examples in %.1f s", ran,
                   (double)(g_get_monotonic_time() - start) / 1e6);
    /* The README shows run, compare, sweep and calibrate at least. */
    g_assert_cmpuint(ran, >=, 8);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("Every README example (./sipreuse and make lines of its "
                   "sh blocks) runs in order from a copy of the samples "
                   "and exits 0; its ```ini topology listings pass "
                   "check and its experiment listings run.");
    g_test_add_func("/readme/examples", test_examples);
    g_test_add_func("/readme/ini-blocks", test_ini_blocks);
    return g_test_run();
}
