/* SPDX-License-Identifier: MIT */
/*
 * Contracts of the verbs found in review, each checked on the built CLI:
 * - every verb prints its summary once (a GLib MAX() around a call ran the
 *   call twice: two summaries, two writes of results.sqlite);
 * - a user-given output file that exists and is not a regular file (a
 *   symlink, a FIFO, a folder) is refused (exit 2, naming the option and
 *   the path) before any run, never replaced by rename;
 * - export never writes inside the folder it reads, except that folder's
 *   own results.sqlite;
 * - sweep --shard refuses an --out holding another shard or a whole sweep,
 *   sweep --merge an --out that is one of its shards;
 * - calibrate, list and check --defaults refuse stray arguments;
 * - an error in an experiment's own set/unset lines names the experiment
 *   file, group and line, not the command line;
 * - an experiment file named ".exp" (an empty name) is refused.
 */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "cli/tests/util_cli.h"

#define SHORT "--set", "simulation.duration=3s", "--set", \
              "simulation.warmup=1s"

static char *
src(const char *rel)
{
    return g_build_filename(g_getenv("SIPREUSE_SRCDIR"), rel, NULL);
}

/* Lines of @text that start with @prefix. */
static guint
count_lines(const char *text, const char *prefix)
{
    guint n = 0;
    gsize len = strlen(prefix);
    for (const char *p = text; p && *p;) {
        if (strncmp(p, prefix, len) == 0)
            n++;
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    return n;
}

/* run prints one summary: one "topology" line in text, one top-level JSON
 * object (one '{' and one '}' at column 0) in json. */
static void
test_run_prints_once(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("once");
    g_autofree char *topo = src("topologies/pair.topo");
    g_auto(HCli) t = { 0 }, j = { 0 };
    hcli_run(&t, NULL, "run", topo, "--out", dir, "--no-timing", SHORT, NULL);
    g_assert_cmpint(t.status, ==, 0);
    g_assert_cmpuint(count_lines(t.out, "topology "), ==, 1);
    hcli_run(&j, NULL, "run", topo, "--out", dir, "--no-timing", "--format",
             "json", SHORT, NULL);
    g_assert_cmpint(j.status, ==, 0);
    g_assert_cmpuint(count_lines(j.out, "{"), ==, 1);
    g_assert_cmpuint(count_lines(j.out, "}"), ==, 1);
}

/* Asserts that @c exited 2 before writing, naming @option and @path, and
 * that @path is still what it was (a symlink to @target, or a FIFO). */
static void
assert_refused(const HCli *c, const char *option, const char *path,
               const char *target)
{
    g_test_message("%s", c->err);
    g_assert_cmpint(c->status, ==, 2);
    g_assert_nonnull(strstr(c->err, option));
    g_assert_nonnull(strstr(c->err, path));
    struct stat st;
    g_assert_cmpint(lstat(path, &st), ==, 0);
    if (target) {
        g_assert_true(S_ISLNK(st.st_mode));
        g_autofree char *to = g_file_read_link(path, NULL);
        g_assert_cmpstr(to, ==, target);
    } else {
        g_assert_true(S_ISFIFO(st.st_mode));
    }
}

/* Output files that exist and are not regular files (a symlink, a FIFO)
 * are refused with exit 2 before any run, and left as they were:
 * --pcap, --pcap-sip, the --pcap-per-node files, export --out, calibrate
 * --out.  A regular file there is replaced as before. */
static void
test_output_not_regular(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("outreg");
    g_autofree char *res = g_build_filename(dir, "res", NULL);
    g_autofree char *target = g_build_filename(dir, "precious", NULL);
    g_assert_true(g_file_set_contents(target, "keep", -1, NULL));
    g_autofree char *link = g_build_filename(dir, "link.pcap", NULL);
    g_autofree char *fifo = g_build_filename(dir, "fifo.pcap", NULL);
    g_autofree char *nodes = g_build_filename(dir, "nodes", NULL);
    g_autofree char *node_fifo = g_build_filename(nodes, "B.pcap", NULL);
    g_assert_cmpint(symlink(target, link), ==, 0);
    g_assert_cmpint(mkfifo(fifo, 0644), ==, 0);
    g_assert_cmpint(g_mkdir(nodes, 0755), ==, 0);
    g_assert_cmpint(mkfifo(node_fifo, 0644), ==, 0);
    g_autofree char *topo = src("topologies/pair.topo");
    const struct {
        /* The option's argument, the file it names, where a link
         * points. */
        const char *option, *arg, *path, *target;
    } cases[] = {
        { "--pcap", link, link, target },
        { "--pcap", fifo, fifo, NULL },
        { "--pcap-sip", link, link, target },
        { "--pcap-sip", fifo, fifo, NULL },
        { "--pcap-per-node", nodes, node_fifo, NULL },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_auto(HCli) c = { 0 };
        hcli_run(&c, &(HCliOpts){ .timeout = 30 }, "run", topo, "--out", res,
                 "--no-timing", cases[i].option, cases[i].arg, SHORT, NULL);
        assert_refused(&c, cases[i].option, cases[i].path, cases[i].target);
        /* Refused before any run: no results written. */
        g_assert_false(g_file_test(res, G_FILE_TEST_EXISTS) &&
                       hcli_count_files(res, "complete") > 0);
    }
    g_autofree char *kept = NULL;
    g_assert_true(g_file_get_contents(target, &kept, NULL, NULL));
    g_assert_cmpstr(kept, ==, "keep");
    /* A run to export from. */
    g_auto(HCli) r = { 0 };
    hcli_run(&r, NULL, "run", topo, "--out", res, "--no-timing", SHORT,
             NULL);
    g_assert_cmpint(r.status, ==, 0);
    const char *formats[] = { "csv", "json", "sqlite" };
    for (guint i = 0; i < G_N_ELEMENTS(formats); i++) {
        g_auto(HCli) l = { 0 }, f = { 0 };
        hcli_run(&l, NULL, "export", res, "--format", formats[i], "--out",
                 link, NULL);
        assert_refused(&l, "--out", link, target);
        hcli_run(&f, &(HCliOpts){ .timeout = 30 }, "export", res, "--format",
                 formats[i], "--out", fifo, NULL);
        assert_refused(&f, "--out", fifo, NULL);
    }
    g_auto(HCli) cl = { 0 }, cf = { 0 };
    hcli_run(&cl, NULL, "calibrate", "--quick", "--key", "ed25519", "--out",
             link, NULL);
    assert_refused(&cl, "--out", link, target);
    hcli_run(&cf, &(HCliOpts){ .timeout = 30 }, "calibrate", "--quick",
             "--key", "ed25519", "--out", fifo, NULL);
    assert_refused(&cf, "--out", fifo, NULL);
    g_autofree char *kept2 = NULL;
    g_assert_true(g_file_get_contents(target, &kept2, NULL, NULL));
    g_assert_cmpstr(kept2, ==, "keep");
    /* A regular file is replaced as before. */
    g_autofree char *plain = g_build_filename(dir, "plain.csv", NULL);
    g_assert_true(g_file_set_contents(plain, "old", -1, NULL));
    g_auto(HCli) p = { 0 };
    hcli_run(&p, NULL, "export", res, "--format", "csv", "--out", plain,
             NULL);
    g_assert_cmpint(p.status, ==, 0);
    g_autofree char *csv = NULL;
    g_assert_true(g_file_get_contents(plain, &csv, NULL, NULL));
    g_assert_cmpstr(csv, !=, "old");
    g_assert_nonnull(strchr(csv, ','));
}

/* export never writes inside the folder it reads (runs.tsv overwritten by
 * a database was the bug), whatever the format, also through "..": exit 2
 * and the folder unchanged.  Its own results.sqlite with --format sqlite
 * is its default target and stays allowed; outside the folder is fine. */
static void
test_export_not_inside(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("expin");
    g_autofree char *res = g_build_filename(dir, "res", NULL);
    g_autofree char *topo = src("topologies/pair.topo");
    g_auto(HCli) r = { 0 };
    hcli_run(&r, NULL, "run", topo, "--out", res, "--no-timing", SHORT,
             NULL);
    g_assert_cmpint(r.status, ==, 0);
    g_autofree char *runs = hcli_read(res, "runs.tsv");
    g_autofree char *tsv = g_build_filename(res, "runs.tsv", NULL);
    g_autofree char *dotted = g_build_filename(res, "..", "res", "x.csv",
                                               NULL);
    g_autofree char *own = g_build_filename(res, "results.sqlite", NULL);
    const char *const bad[][2] = {
        { "sqlite", tsv }, { "csv", tsv }, { "json", tsv },
        { "csv", dotted }, { "json", own },
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_auto(HCli) c = { 0 };
        hcli_run(&c, NULL, "export", res, "--format", bad[i][0], "--out",
                 bad[i][1], NULL);
        g_test_message("%s", c.err);
        g_assert_cmpint(c.status, ==, 2);
        g_assert_nonnull(strstr(c.err, "--out"));
        g_autofree char *now = hcli_read(res, "runs.tsv");
        g_assert_cmpstr(now, ==, runs);
    }
    g_assert_false(g_file_test(dotted, G_FILE_TEST_EXISTS));
    g_autofree char *outside = g_build_filename(dir, "r.sqlite", NULL);
    g_auto(HCli) o = { 0 }, s = { 0 };
    hcli_run(&s, NULL, "export", res, "--format", "sqlite", "--out", own,
             NULL);
    g_assert_cmpint(s.status, ==, 0);
    hcli_run(&o, NULL, "export", res, "--format", "sqlite", "--out", outside,
             NULL);
    g_assert_cmpint(o.status, ==, 0);
    g_assert_true(g_file_test(outside, G_FILE_TEST_IS_REGULAR));
}

/* One sweep of cli/tests/data/small.exp with one replication (6 runs);
 * returns its exit status and its stderr in @err if wanted. */
static int
small_sweep(char **err, const char *first, ...)
{
    g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
    const char *base[] = { "sweep", "cli/tests/data/small.exp", "--no-timing",
                           "--no-plots", "--jobs", "1", "--reps", "1" };
    for (guint i = 0; i < G_N_ELEMENTS(base); i++)
        g_ptr_array_add(args, g_strdup(base[i]));
    va_list ap;
    va_start(ap, first);
    for (const char *s = first; s; s = va_arg(ap, const char *))
        g_ptr_array_add(args, g_strdup(s));
    va_end(ap);
    g_ptr_array_add(args, NULL);
    g_auto(HCli) c = { 0 };
    hcli_runv(&c, NULL, (const char *const *)args->pdata);
    g_test_message("%s", c.err);
    if (err)
        *err = g_steal_pointer(&c.err);
    return c.status;
}

/* sweep --shard I/N refuses, before any run, an --out holding another
 * shard (other I or N) or a whole sweep; the same shard resumes.  sweep
 * --merge refuses an --out that is one of its shards or inside one (exit
 * 2 naming it, not a lock conflict with itself). */
static void
test_shard_out(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("shardout");
    g_autofree char *s1 = g_build_filename(dir, "s1", NULL);
    g_autofree char *s2 = g_build_filename(dir, "s2", NULL);
    g_autofree char *whole = g_build_filename(dir, "whole", NULL);
    g_autofree char *inside = g_build_filename(s1, "merged", NULL);
    g_assert_cmpint(small_sweep(NULL, "--shard", "1/2", "--out", s1, NULL),
                    ==, 0);
    g_assert_cmpint(small_sweep(NULL, "--shard", "2/2", "--out", s2, NULL),
                    ==, 0);
    g_assert_cmpint(small_sweep(NULL, "--out", whole, NULL), ==, 0);
    /* Shard 1 of 2 holds runs 1, 3, 5 of 6. */
    g_assert_cmpuint(hcli_count_files(s1, "complete"), ==, 3);
    const char *const bad[][2] = {
        { "2/2", s1 }, { "1/3", s1 }, { "1/2", whole },
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *err = NULL;
        guint before = hcli_count_files(bad[i][1], "complete");
        g_assert_cmpint(small_sweep(&err, "--shard", bad[i][0], "--out",
                                    bad[i][1], NULL), ==, 2);
        g_assert_nonnull(strstr(err, bad[i][1]));
        g_assert_cmpuint(hcli_count_files(bad[i][1], "complete"), ==,
                         before);
    }
    g_assert_cmpint(small_sweep(NULL, "--shard", "1/2", "--resume", "--out",
                                s1, NULL), ==, 0);
    const char *const merge_out[] = { s1, s2, inside };
    for (guint i = 0; i < G_N_ELEMENTS(merge_out); i++) {
        g_autofree char *err = NULL;
        g_assert_cmpint(small_sweep(&err, "--merge", s1, s2, "--out",
                                    merge_out[i], NULL), ==, 2);
        g_assert_nonnull(strstr(err, "shard folder"));
        g_assert_null(strstr(err, "another sipreuse"));
    }
    g_assert_false(g_file_test(inside, G_FILE_TEST_EXISTS));
    g_autofree char *merged = g_build_filename(dir, "merged", NULL);
    g_assert_cmpint(small_sweep(NULL, "--merge", s1, s2, "--out", merged,
                                NULL), ==, 0);
    g_assert_cmpuint(hcli_count_files(merged, "complete"), ==, 6);
}

/* scripts/slurm-sweep.sh in an array job gives each task's shard a
 * folder of its own: --out DIR becomes DIR-shard-I-of-N (run with echo
 * as the program, so only the command line it builds is checked). */
static void
test_slurm_shard_out(void)
{
    if (!hcli_have())
        return;
    const char *env[] = { "SIPREUSE=/bin/echo", "SLURM_ARRAY_TASK_ID=2",
                          "SLURM_ARRAY_TASK_COUNT=3",
                          "SLURM_ARRAY_TASK_MIN=1", "SLURM_CPUS_PER_TASK=1",
                          NULL };
    g_auto(HCli) a = { 0 }, b = { 0 };
    hcli_run(&a, &(HCliOpts){ .bin = "/bin/sh", .env = env },
             "scripts/slurm-sweep.sh", "x.exp", "--reps", "2", "--out",
             "res/x", NULL);
    g_assert_cmpint(a.status, ==, 0);
    g_assert_cmpstr(a.out, ==, "sweep x.exp --shard 2/3 --resume --jobs 1 "
                               "--reps 2 --out res/x-shard-2-of-3\n");
    hcli_run(&b, &(HCliOpts){ .bin = "/bin/sh", .env = env },
             "scripts/slurm-sweep.sh", "x.exp", "--out=res/x", NULL);
    g_assert_cmpint(b.status, ==, 0);
    g_assert_cmpstr(b.out, ==, "sweep x.exp --shard 2/3 --resume --jobs 1 "
                               "--out=res/x-shard-2-of-3\n");
}

/* The merge must be given every option the campaign digest covers (see
 * sim_sweep_campaign: the runs' fingerprints, which include --unset and
 * --no-timing): the hint a shard prints and sweep --help name them all. */
static void
test_merge_hint(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("hint");
    g_autofree char *s = g_build_filename(dir, "s", NULL);
    g_auto(HCli) h = { 0 }, r = { 0 };
    hcli_run(&h, NULL, "sweep", "--help", NULL);
    g_assert_cmpint(h.status, ==, 0);
    hcli_run(&r, NULL, "sweep", "cli/tests/data/small.exp", "--no-timing",
             "--no-plots", "--jobs", "1", "--reps", "1", "--shard", "3/3",
             "--out", s, NULL);
    g_assert_cmpint(r.status, ==, 0);
    const char *texts[] = { h.out, r.out };
    const char *opts[] = { "--set", "--unset", "--reps", "--seed",
                           "--no-timing" };
    for (guint t = 0; t < G_N_ELEMENTS(texts); t++) {
        const char *same = strstr(texts[t], "the same --set");
        g_assert_nonnull(same);
        g_autofree char *sentence = g_strndup(same, strcspn(same, ")."));
        for (guint o = 0; o < G_N_ELEMENTS(opts); o++)
            g_assert_nonnull(strstr(sentence, opts[o]));
    }
}

/* calibrate, list and check --defaults take no positional argument: one
 * is refused at once (exit 2), not ignored (calibrate my.profile wrote
 * ./cpu-profile.ini after 15 s). */
static void
test_stray_arguments(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("stray");
    const char *const cases[][4] = {
        { "calibrate", "--quick", "my-host.profile", NULL },
        { "list", "extra", NULL, NULL },
        { "check", "--defaults", "topologies/pair.topo", NULL },
        { "check", "--defaults", "--format", "markdown" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GPtrArray) args = g_ptr_array_new();
        for (guint k = 0; k < 4 && cases[i][k]; k++)
            g_ptr_array_add(args, (char *)cases[i][k]);
        if (i == 3)
            g_ptr_array_add(args, "x.topo");
        g_ptr_array_add(args, NULL);
        g_auto(HCli) c = { 0 };
        hcli_runv(&c, &(HCliOpts){ .cwd = dir, .timeout = 30 },
                  (const char *const *)args->pdata);
        g_test_message("%s", c.err);
        g_assert_cmpint(c.status, ==, 2);
        g_assert_cmpstr(c.out, ==, "");
        g_assert_nonnull(strstr(c.err, cases[i][0]));
    }
    g_assert_cmpuint(hcli_count_files(dir, "cpu-profile.ini"), ==, 0);
}

/* Writes an experiment over trunk.topo with @lines in [experiment] (from
 * line 5 on) into @dir/@name; returns its path. */
static char *
write_exp(const char *dir, const char *name, const char *lines)
{
    g_autofree char *topo = src("topologies/trunk.topo");
    g_autofree char *text = g_strdup_printf(
        "[experiment]\ntopology = %s\nstrategies = reuse\nreps = 1\n%s\n"
        "[vary]\ntraffic.a-to-b.rate = 5, 10\n", topo, lines);
    char *path = g_build_filename(dir, name, NULL);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return path;
}

/* An error caused by the experiment's own set / unset lines names the
 * experiment file, line and key, never "--set" / "--unset" (which the
 * command line did not give); a command-line --set is still named so. */
static void
test_experiment_sets_blamed(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("expsets");
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    g_autofree char *bad_set = write_exp(
        dir, "a.exp", "set = simulation.duration=3s; simulation.warmup=10s");
    g_autofree char *bad_unset = write_exp(
        dir, "b.exp", "set = simulation.duration=3s\nunset = "
                      "simulation.bogus");
    g_autofree char *bad_key = write_exp(
        dir, "c.exp", "set = simulation.duration=3s; simulation.nokey=1");
    const struct {
        const char *path, *want;
    } cases[] = {
        { bad_set, "a.exp:5: [experiment] set simulation.warmup=10s" },
        { bad_unset, "b.exp:6: [experiment] unset \"simulation.bogus\"" },
        { bad_key, "c.exp:5: [experiment] set \"simulation.nokey=1\"" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_auto(HCli) c = { 0 };
        hcli_run(&c, NULL, "sweep", cases[i].path, "--out", out, NULL);
        g_test_message("%s", c.err);
        g_assert_cmpint(c.status, ==, 2);
        g_assert_nonnull(strstr(c.err, cases[i].want));
        g_assert_null(strstr(c.err, "--set"));
        g_assert_null(strstr(c.err, "--unset"));
    }
    g_auto(HCli) cli = { 0 };
    hcli_run(&cli, NULL, "sweep", bad_key, "--out", out, "--set",
             "simulation.warmup=1min", NULL);
    g_test_message("%s", cli.err);
    g_assert_cmpint(cli.status, ==, 2);
    g_assert_nonnull(strstr(cli.err, "(from --set simulation.warmup=1min)"));
}

/* An experiment file named ".exp" has an empty name: its default folder
 * would be results/ itself (and "..exp" results/.): refused with exit 2
 * before any run, nothing written; with --out it runs. */
static void
test_experiment_empty_name(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("expname");
    g_autofree char *results = g_build_filename(dir, "results", NULL);
    g_assert_cmpint(g_mkdir(results, 0755), ==, 0);
    const char *names[] = { ".exp", "..exp" };
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *exp = write_exp(
            dir, names[i], "set = simulation.duration=3s; "
                           "simulation.warmup=1s");
        g_auto(HCli) c = { 0 };
        hcli_run(&c, &(HCliOpts){ .cwd = dir }, "sweep", exp, "--no-timing",
                 "--no-plots", "--jobs", "1", NULL);
        g_test_message("%s", c.err);
        g_assert_cmpint(c.status, ==, 2);
        g_assert_nonnull(strstr(c.err, names[i]));
        g_assert_nonnull(strstr(c.err, "--out"));
        g_assert_cmpuint(hcli_count_files(dir, "runs.tsv"), ==, 0);
        g_assert_cmpuint(hcli_count_files(dir, "complete"), ==, 0);
    }
    g_autofree char *exp = g_build_filename(dir, ".exp", NULL);
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    g_auto(HCli) ok = { 0 };
    hcli_run(&ok, &(HCliOpts){ .cwd = dir }, "sweep", exp, "--no-timing",
             "--no-plots", "--jobs", "1", "--out", out, NULL);
    g_assert_cmpint(ok.status, ==, 0);
    g_assert_cmpuint(hcli_count_files(out, "complete"), ==, 2);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("Verb contracts found in review: one summary, output "
                   "paths, stray arguments, experiment errors");
    g_test_add_func("/verbs/run-prints-once", test_run_prints_once);
    g_test_add_func("/verbs/output-not-regular", test_output_not_regular);
    g_test_add_func("/verbs/export-not-inside", test_export_not_inside);
    g_test_add_func("/verbs/shard-out", test_shard_out);
    g_test_add_func("/verbs/slurm-shard-out", test_slurm_shard_out);
    g_test_add_func("/verbs/merge-hint", test_merge_hint);
    g_test_add_func("/verbs/stray-arguments", test_stray_arguments);
    g_test_add_func("/verbs/experiment-sets-blamed",
                    test_experiment_sets_blamed);
    g_test_add_func("/verbs/experiment-empty-name",
                    test_experiment_empty_name);
    return g_test_run();
}
