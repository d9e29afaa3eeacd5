/* SPDX-License-Identifier: MIT */
/*
 * `sweep --shard I/N` and `sweep --merge DIR...`: the shards of a grid,
 * merged, equal the whole sweep file for file (runs.tsv, aggregate.tsv,
 * knees.tsv and every run folder, with --no-timing); shard I holds the
 * runs I-1, I-1+N, ... of the grid's order (points, then strategies, then
 * replications); a merge refuses with exit 2 a missing shard, the same
 * shard twice, a shard of another campaign (another --seed) and a shard
 * whose run is incomplete.  The experiment is cli/tests/data/small.exp:
 * 3 loads x 2 strategies x 2 replications = 12 runs.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "cli/tests/util_cli.h"

/* The experiment, relative to the source folder (the CLI's cwd). */
static const char exp_path[] = "cli/tests/data/small.exp";

/* Runs `sweep small.exp --no-timing --no-plots` with @extra arguments
 * (NULL-terminated) and returns the exit status; stdout and stderr go to
 * the test log, stderr also to @err if asked. */
static int
sweep(char **err, const char *first, ...)
{
    g_autoptr(GPtrArray) args = g_ptr_array_new();
    g_ptr_array_add(args, (char *)"sweep");
    g_ptr_array_add(args, (char *)exp_path);
    g_ptr_array_add(args, (char *)"--no-timing");
    g_ptr_array_add(args, (char *)"--no-plots");
    g_ptr_array_add(args, (char *)"--jobs");
    g_ptr_array_add(args, (char *)"1");
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *))
        g_ptr_array_add(args, (char *)a);
    va_end(ap);
    g_ptr_array_add(args, NULL);
    g_auto(HCli) c = { 0 };
    hcli_runv(&c, NULL, (const char *const *)args->pdata);
    g_test_message("%s%s", c.out, c.err);
    if (err)
        *err = g_steal_pointer(&c.err);
    return c.status;
}

/* A scratch folder with the whole sweep in whole/ and three shards in
 * s1/, s2/, s3/. */
typedef struct {
    char *dir;
    char *whole;
    char *s[3];
} Fx;

static void
fx_clear(Fx *fx)
{
    g_free(fx->dir);
    g_free(fx->whole);
    for (guint i = 0; i < 3; i++)
        g_free(fx->s[i]);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Fx, fx_clear)

static gboolean
fx_init(Fx *fx, const char *name)
{
    if (!hcli_have())
        return FALSE;
    fx->dir = hcli_scratch(name);
    fx->whole = g_build_filename(fx->dir, "whole", NULL);
    g_assert_cmpint(sweep(NULL, "--out", fx->whole, NULL), ==, 0);
    for (guint i = 0; i < 3; i++) {
        g_autofree char *leaf = g_strdup_printf("s%u", i + 1);
        g_autofree char *shard = g_strdup_printf("%u/3", i + 1);
        fx->s[i] = g_build_filename(fx->dir, leaf, NULL);
        g_assert_cmpint(sweep(NULL, "--shard", shard, "--out", fx->s[i],
                              NULL), ==, 0);
    }
    return TRUE;
}

/* Merged, the shards are the whole sweep, file for file. */
static void
test_merge_equals_whole(void)
{
    g_auto(Fx) fx = { 0 };
    if (!fx_init(&fx, "shard-merge"))
        return;
    g_autofree char *merged = g_build_filename(fx.dir, "merged", NULL);
    /* Any order of the shard folders. */
    g_assert_cmpint(sweep(NULL, "--merge", fx.s[2], fx.s[0], fx.s[1],
                          "--out", merged, NULL), ==, 0);
    g_autofree char *a = hcli_read(fx.whole, "runs.tsv");
    g_autofree char *b = hcli_read(merged, "runs.tsv");
    g_assert_cmpstr(a, ==, b);
    g_autofree char *c = hcli_read(fx.whole, "aggregate.tsv");
    g_autofree char *d = hcli_read(merged, "aggregate.tsv");
    g_assert_cmpstr(c, ==, d);
    hcli_assert_same_tree(fx.whole, merged);
    /* The merged folder is a complete sweep: resuming runs nothing. */
    g_autofree char *again = g_build_filename(fx.dir, "again", NULL);
    g_auto(HCli) r = { 0 };
    hcli_run(&r, NULL, "sweep", exp_path, "--no-timing", "--no-plots",
             "--resume", "--out", merged, NULL);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_nonnull(strstr(r.out, "12 runs: 0 ran"));
}

/* Shard 1/3 holds runs 0, 3, 6 and 9 of the grid's order: (rate 5,
 * rfc3261, seed 1), (5, reuse, 2), (10, reuse, 1), (20, rfc3261, 2). */
static void
test_partition(void)
{
    g_auto(Fx) fx = { 0 };
    if (!fx_init(&fx, "shard-partition"))
        return;
    static const char *const mine[] = {
        "traffic.a-to-b.rate=5/rfc3261-seed1",
        "traffic.a-to-b.rate=5/reuse-seed2",
        "traffic.a-to-b.rate=10/reuse-seed1",
        "traffic.a-to-b.rate=20/rfc3261-seed2",
    };
    for (guint i = 0; i < G_N_ELEMENTS(mine); i++) {
        g_autofree char *p = g_build_filename(fx.s[0], "runs", mine[i],
                                              "complete", NULL);
        g_assert_true(g_file_test(p, G_FILE_TEST_IS_REGULAR));
    }
    for (guint i = 0; i < 3; i++)
        g_assert_cmpuint(hcli_count_files(fx.s[i], "complete"), ==, 4);
    g_autofree char *text = hcli_read(fx.s[1], "shard");
    g_assert_true(g_str_has_prefix(text, "shard 2/3\ncampaign sha256:"));
}

/* Every refusal is bad input (exit 2) and names what is wrong. */
static void
test_refusals(void)
{
    g_auto(Fx) fx = { 0 };
    if (!fx_init(&fx, "shard-refuse"))
        return;
    g_autofree char *out = g_build_filename(fx.dir, "out", NULL);
    g_autofree char *err = NULL;
    g_assert_cmpint(sweep(&err, "--merge", fx.s[0], fx.s[1], "--out", out,
                          NULL), ==, 2);
    g_assert_nonnull(strstr(err, "every shard 1/3 to 3/3 is needed"));
    g_clear_pointer(&err, g_free);
    g_assert_cmpint(sweep(&err, "--merge", fx.s[0], fx.s[1], fx.s[1],
                          "--out", out, NULL), ==, 2);
    g_assert_nonnull(strstr(err, "overlapping runs"));
    g_clear_pointer(&err, g_free);
    /* Another first seed: another campaign. */
    g_assert_cmpint(sweep(&err, "--seed", "7", "--merge", fx.s[0], fx.s[1],
                          fx.s[2], "--out", out, NULL), ==, 2);
    g_assert_nonnull(strstr(err, "another campaign"));
    g_clear_pointer(&err, g_free);
    g_assert_cmpint(sweep(&err, "--merge", fx.whole, "--out", out, NULL),
                    ==, 2);
    g_assert_nonnull(strstr(err, "not a shard folder"));
    g_clear_pointer(&err, g_free);
    /* A run of shard 2 (run 4: rate 10, rfc3261, seed 1) interrupted
     * before its marker. */
    g_autofree char *marker = g_build_filename(
        fx.s[1], "runs", "traffic.a-to-b.rate=10", "rfc3261-seed1",
        "complete", NULL);
    g_assert_cmpint(g_unlink(marker), ==, 0);
    g_assert_cmpint(sweep(&err, "--merge", fx.s[0], fx.s[1], fx.s[2],
                          "--out", out, NULL), ==, 2);
    g_assert_nonnull(strstr(err, "1 run is missing"));
    g_assert_nonnull(strstr(err, "rate=10/rfc3261-seed1"));
    g_clear_pointer(&err, g_free);
    /* Resuming the shard completes it, and the merge then goes through. */
    g_assert_cmpint(sweep(NULL, "--shard", "2/3", "--resume", "--out",
                          fx.s[1], NULL), ==, 0);
    g_assert_cmpint(sweep(NULL, "--merge", fx.s[0], fx.s[1], fx.s[2],
                          "--out", out, NULL), ==, 0);
    hcli_assert_same_tree(fx.whole, out);
}

/* With the wall-clock columns on, shards merged into the folder of a
 * whole sweep of the same campaign replace its runs: every row of the
 * merged runs.tsv is its run folder's own (the merge writes
 * results.sqlite, which checks exactly that, and exits 0). */
static void
test_merge_over_timed(void)
{
    if (!hcli_have())
        return;
    g_autofree char *dir = hcli_scratch("shard-timed");
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    const char *base[] = { "sweep", exp_path, "--no-plots", "--jobs", "1",
                           "--out", NULL, NULL, NULL };
    base[6] = out;
    g_auto(HCli) w = { 0 };
    hcli_runv(&w, NULL, base);
    g_assert_cmpint(w.status, ==, 0);
    g_autofree char *s1 = g_build_filename(dir, "s1", NULL);
    g_autofree char *s2 = g_build_filename(dir, "s2", NULL);
    const char *shards[] = { s1, s2 };
    for (guint i = 0; i < 2; i++) {
        g_autofree char *which = g_strdup_printf("%u/2", i + 1);
        g_auto(HCli) c = { 0 };
        hcli_run(&c, NULL, "sweep", exp_path, "--no-plots", "--jobs", "1",
                 "--shard", which, "--out", shards[i], NULL);
        g_assert_cmpint(c.status, ==, 0);
    }
    g_auto(HCli) m = { 0 };
    hcli_run(&m, NULL, "sweep", exp_path, "--no-plots", "--merge", s1, s2,
             "--out", out, NULL);
    g_test_message("%s%s", m.out, m.err);
    g_assert_cmpint(m.status, ==, 0);
    g_autofree char *one = hcli_read(s1, "runs.tsv");
    g_autofree char *all = hcli_read(out, "runs.tsv");
    g_auto(GStrv) rows = g_strsplit(one, "\n", -1);
    g_assert_nonnull(rows[1]);
    g_assert_nonnull(strstr(all, rows[1]));
}

/* --shard must be I/N with 1 <= I <= N; --merge takes no --shard. */
static void
test_bad_options(void)
{
    if (!hcli_have())
        return;
    static const char *const bad[] = { "0/2", "3/2", "1", "a/b", "1/0",
                                       "1/2/3" };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *err = NULL;
        g_assert_cmpint(sweep(&err, "--shard", bad[i], NULL), ==, 2);
        g_assert_nonnull(strstr(err, "--shard: expected I/N"));
    }
    g_autofree char *err = NULL;
    g_assert_cmpint(sweep(&err, "--merge", NULL), ==, 2);
    g_assert_cmpint(sweep(NULL, "--merge", "x", "--shard", "1/2", NULL), ==,
                    2);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("sweep --shard I/N and --merge: shards merged equal the "
                   "whole sweep; every inconsistent set of shards is "
                   "refused with exit 2.");
    g_test_add_func("/shard/merge/equals-whole", test_merge_equals_whole);
    g_test_add_func("/shard/partition", test_partition);
    g_test_add_func("/shard/merge/refusals", test_refusals);
    g_test_add_func("/shard/merge/over-timed-sweep", test_merge_over_timed);
    g_test_add_func("/shard/options", test_bad_options);
    return g_test_run();
}
