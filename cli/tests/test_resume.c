/* SPDX-License-Identifier: MIT */
/*
 * `sweep --resume` reuses a run folder only when it holds what this
 * program would write now: the fingerprint in its completion marker must
 * cover the program's revision (a marker of another revision, or a rebuilt
 * binary, reruns the run and says so on stderr), the files the topology
 * names and the timing flag; every file the marker lists must be there and
 * unchanged (a lost summary.json, an edited number are rerun); the runs.tsv
 * row must hold numbers where numbers belong even when the marker was
 * rewritten to match; and the leftovers of interrupted writes are removed.
 * Each case compares the resumed sweep's runs.tsv with the one of the
 * uninterrupted sweep before it.
 */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/tests/util_cli.h"
#include "run/out.h"

/* Two runs (rfc3261, seeds 1 and 2) at one point of the trunk. */
typedef struct {
    char *dir;
    char *exp;
    char *out;
    char *topo;
    /* runs.tsv of the first, complete sweep. */
    char *runs;
} Fx;

static void
fx_clear(Fx *fx)
{
    g_free(fx->dir);
    g_free(fx->exp);
    g_free(fx->out);
    g_free(fx->topo);
    g_free(fx->runs);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Fx, fx_clear)

/* The overrides each run gets: the fixed ones, then the varied key. */
static const char *const fx_overrides[] = {
    "simulation.duration=3s", "simulation.warmup=1s",
    "traffic.a-to-b.rate=10", NULL,
};

static void
fx_write_exp(Fx *fx, const char *extra_set)
{
    g_autofree char *text = g_strdup_printf(
        "[experiment]\ntopology = %s\nstrategies = rfc3261\nreps = 2\n"
        "set = simulation.duration=3s; simulation.warmup=1s%s%s\n"
        "[vary]\ntraffic.a-to-b.rate = 10\n",
        fx->topo, extra_set ? "; " : "", extra_set ? extra_set : "");
    g_assert_true(g_file_set_contents(fx->exp, text, -1, NULL));
}

/* Runs the sweep (with --no-timing unless @timing) and returns stdout;
 * stderr into @err if asked. */
static char *
fx_sweep(Fx *fx, const HCliOpts *o, gboolean resume, gboolean timing,
         char **err)
{
    g_auto(HCli) c = { 0 };
    const char *args[] = { "sweep", fx->exp, "--out", fx->out, "--jobs",
                           "1", "--no-plots", NULL, NULL, NULL };
    guint n = 7;
    if (!timing)
        args[n++] = "--no-timing";
    if (resume)
        args[n++] = "--resume";
    hcli_runv(&c, o, args);
    g_test_message("%s%s", c.out, c.err);
    g_assert_cmpint(c.status, ==, 0);
    if (err)
        *err = g_steal_pointer(&c.err);
    return g_steal_pointer(&c.out);
}

static gboolean
fx_init(Fx *fx, const char *name)
{
    if (!hcli_have())
        return FALSE;
    fx->dir = hcli_scratch(name);
    fx->exp = g_build_filename(fx->dir, "two.exp", NULL);
    fx->out = g_build_filename(fx->dir, "out", NULL);
    fx->topo = g_build_filename(g_getenv("SIPREUSE_SRCDIR"), "topologies",
                                "trunk.topo", NULL);
    fx_write_exp(fx, NULL);
    g_autofree char *o = fx_sweep(fx, NULL, FALSE, FALSE, NULL);
    g_assert_nonnull(strstr(o, "2 ran (0 of them stale"));
    fx->runs = hcli_read(fx->out, "runs.tsv");
    return TRUE;
}

/* The folder of seed @seed. */
static char *
fx_run(const Fx *fx, guint seed)
{
    g_autofree char *leaf = g_strdup_printf("rfc3261-seed%u", seed);
    return g_build_filename(fx->out, "runs", "traffic.a-to-b.rate=10", leaf,
                            NULL);
}

/* The value of marker line KEY in run folder @dir. */
static char *
marker_get(const char *dir, const char *key)
{
    g_autofree char *text = hcli_read(dir, SIM_OUT_COMPLETE);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    gsize k = strlen(key);
    for (guint i = 0; lines[i]; i++)
        if (g_str_has_prefix(lines[i], key) && lines[i][k] == ' ')
            return g_strdup(lines[i] + k + 1);
    return NULL;
}

/* Replaces marker line KEY of run folder @dir by "KEY @value". */
static void
marker_set(const char *dir, const char *key, const char *value)
{
    g_autofree char *text = hcli_read(dir, SIM_OUT_COMPLETE);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    gsize k = strlen(key);
    for (guint i = 0; lines[i]; i++)
        if (g_str_has_prefix(lines[i], key) && lines[i][k] == ' ') {
            g_free(lines[i]);
            lines[i] = g_strdup_printf("%s %s", key, value);
        }
    g_autofree char *joined = g_strjoinv("\n", lines);
    g_autofree char *path = g_build_filename(dir, SIM_OUT_COMPLETE, NULL);
    g_assert_true(g_file_set_contents(path, joined, -1, NULL));
}

static void
fx_assert_same_runs(const Fx *fx)
{
    g_autofree char *runs = hcli_read(fx->out, "runs.tsv");
    g_assert_cmpstr(runs, ==, fx->runs);
}

/* The marker's fingerprint is what sim_out_fingerprint() makes of this
 * run's inputs and the marker's revision; a marker whose revision (and
 * fingerprint) is another program's is run again and reported. */
static void
test_other_revision(void)
{
    g_auto(Fx) fx = { 0 };
    if (!fx_init(&fx, "resume-rev"))
        return;
    g_autofree char *run = fx_run(&fx, 1);
    g_autofree char *rev = marker_get(run, "revision");
    g_autofree char *fp = marker_get(run, "fingerprint");
    g_assert_nonnull(rev);
    g_autofree char *topo_text = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(fx.topo, &topo_text, &len, NULL));
    SimOutFingerprint in = {
        .topo_text = topo_text, .topo_len = len,
        .overrides = fx_overrides, .strategy = "rfc3261", .seed = 1,
        .no_timing = TRUE, .revision = rev,
    };
    g_autofree char *mine = sim_out_fingerprint(&in);
    g_assert_cmpstr(fp, ==, mine);
    /* Another program's run of the same inputs. */
    in.revision = "src:another-build";
    g_autofree char *theirs = sim_out_fingerprint(&in);
    g_assert_cmpstr(theirs, !=, mine);
    marker_set(run, "fingerprint", theirs);
    marker_set(run, "revision", "src:another-build");
    g_autofree char *err = NULL;
    g_autofree char *o = fx_sweep(&fx, NULL, TRUE, FALSE, &err);
    g_assert_nonnull(strstr(o, "1 ran (1 of them stale"));
    g_assert_nonnull(strstr(o, "1 already complete"));
    g_assert_nonnull(strstr(err, "mixed revisions: 1 complete run was made "
                                 "by revision src:another-build"));
    fx_assert_same_runs(&fx);
    g_autofree char *now = marker_get(run, "revision");
    g_assert_cmpstr(now, ==, rev);
}

/* A rebuilt program: a copy of the binary with bytes appended (an ELF
 * file runs the same with trailing bytes) is another executable.  When
 * the revision is the executable's hash, every run is run again. */
static void
test_rebuilt_binary(void)
{
    g_auto(Fx) fx = { 0 };
    if (!fx_init(&fx, "resume-bin"))
        return;
    g_autofree char *run = fx_run(&fx, 1);
    g_autofree char *rev = marker_get(run, "revision");
    if (!g_str_has_prefix(rev, "exe:")) {
        g_test_skip("the revision is a source hash (SIM_SOURCE_HASH): a "
                    "rebuilt binary of the same sources is the same "
                    "revision");
        return;
    }
    g_autofree char *bin = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(g_getenv("SIPREUSE_BIN"), &bin, &len,
                                      NULL));
    g_autofree char *copy = g_build_filename(fx.dir, "sipreuse-rebuilt",
                                             NULL);
    g_autoptr(GString) data = g_string_new_len(bin, (gssize)len);
    g_string_append(data, "rebuilt with another model constant\n");
    g_assert_true(g_file_set_contents(copy, data->str, (gssize)data->len,
                                      NULL));
    g_assert_cmpint(g_chmod(copy, 0755), ==, 0);
    HCliOpts o = { .bin = copy };
    g_autofree char *err = NULL;
    g_autofree char *out = fx_sweep(&fx, &o, TRUE, FALSE, &err);
    g_assert_nonnull(strstr(out, "2 ran (2 of them stale"));
    g_autofree char *msg = g_strdup_printf("mixed revisions: 2 complete runs "
                                           "were made by revision %s", rev);
    g_assert_nonnull(strstr(err, msg));
    fx_assert_same_runs(&fx);
    g_autofree char *now = marker_get(run, "revision");
    g_assert_cmpstr(now, !=, rev);
    /* The original binary now sees the copy's runs as another build's. */
    g_autofree char *back = fx_sweep(&fx, NULL, TRUE, FALSE, NULL);
    g_assert_nonnull(strstr(back, "2 ran (2 of them stale"));
}

/* A folder marked complete without its summary.json, and one whose
 * runs.tsv holds a damaged number, are run again. */
static void
test_damaged(void)
{
    g_auto(Fx) fx = { 0 };
    if (!fx_init(&fx, "resume-damaged"))
        return;
    g_autofree char *run1 = fx_run(&fx, 1), *run2 = fx_run(&fx, 2);
    g_autofree char *summary = g_build_filename(run1, "summary.json", NULL);
    g_assert_cmpint(g_unlink(summary), ==, 0);
    g_autofree char *rows = hcli_read(run2, "runs.tsv");
    g_autoptr(GString) bad = g_string_new(rows);
    /* calls.attempted (column 5) of the row: a digit becomes a letter. */
    gchar *row = strchr(bad->str, '\n') + 1;
    gchar *field = row;
    for (guint i = 0; i < 4; i++)
        field = strchr(field, '\t') + 1;
    g_assert_true(g_ascii_isdigit(*field));
    *field = 'x';
    g_autofree char *runs_path = g_build_filename(run2, "runs.tsv", NULL);
    g_assert_true(g_file_set_contents(runs_path, bad->str, -1, NULL));
    g_autofree char *err = NULL;
    g_autofree char *o = fx_sweep(&fx, NULL, TRUE, FALSE, &err);
    g_assert_nonnull(strstr(o, "2 ran (0 of them stale"));
    g_assert_nonnull(strstr(o, "2 damaged"));
    g_assert_nonnull(strstr(err, "summary.json: cannot open: No such file or "
                                 "directory (a file the completion marker "
                                 "lists)"));
    g_assert_nonnull(strstr(err, "runs.tsv does not match its completion "
                                 "marker"));
    fx_assert_same_runs(&fx);
    g_assert_true(g_file_test(summary, G_FILE_TEST_IS_REGULAR));
    /* The damaged number again, with the marker's checksum rewritten to
     * match it: the row itself is still checked. */
    g_assert_true(g_file_set_contents(runs_path, bad->str, -1, NULL));
    g_autofree char *hex = g_compute_checksum_for_string(G_CHECKSUM_SHA256,
                                                         bad->str, -1);
    g_autofree char *sum = g_strconcat("sha256:", hex, NULL);
    marker_set(run2, "file runs.tsv", sum);
    g_autofree char *err2 = NULL;
    g_autofree char *o2 = fx_sweep(&fx, NULL, TRUE, FALSE, &err2);
    g_assert_nonnull(strstr(o2, "1 ran (0 of them stale"));
    g_assert_nonnull(strstr(o2, "1 damaged"));
    g_assert_nonnull(strstr(err2, "calls.attempted is '"));
    fx_assert_same_runs(&fx);
}

/* Leftovers of interrupted atomic writes (NAME.XXXXXX beside the files
 * the program writes) go on resume; other files stay. */
static void
test_temp_leftovers(void)
{
    g_auto(Fx) fx = { 0 };
    if (!fx_init(&fx, "resume-temps"))
        return;
    g_autofree char *run = fx_run(&fx, 1);
    const char *stale[][2] = {
        { "run", "summary.json.Ab12Cd" },
        { "run", "timeseries.tsv.ZZ99zz" },
        { "run", "complete.Q1w2E3" },
        { "top", "runs.tsv.Xy34Zw" },
        { "top", "aggregate.tsv.a1B2c3" },
    };
    const char *kept[][2] = {
        { "run", "notes.txt" },
        { "run", "notes.txt.Ab12Cd" },
        { "top", "mine.tsv.abc" },
        { "top", "README" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(stale) + G_N_ELEMENTS(kept); i++) {
        const char *const *f = i < G_N_ELEMENTS(stale)
                                   ? stale[i]
                                   : kept[i - G_N_ELEMENTS(stale)];
        g_autofree char *p = g_build_filename(
            g_str_equal(f[0], "run") ? run : fx.out, f[1], NULL);
        g_assert_true(g_file_set_contents(p, "half a file", -1, NULL));
    }
    g_autofree char *o = fx_sweep(&fx, NULL, TRUE, FALSE, NULL);
    g_assert_nonnull(strstr(o, "2 already complete"));
    for (guint i = 0; i < G_N_ELEMENTS(stale); i++) {
        g_autofree char *p = g_build_filename(
            g_str_equal(stale[i][0], "run") ? run : fx.out, stale[i][1],
            NULL);
        g_assert_false(g_file_test(p, G_FILE_TEST_EXISTS));
    }
    for (guint i = 0; i < G_N_ELEMENTS(kept); i++) {
        g_autofree char *p = g_build_filename(
            g_str_equal(kept[i][0], "run") ? run : fx.out, kept[i][1], NULL);
        g_assert_true(g_file_test(p, G_FILE_TEST_EXISTS));
    }
    fx_assert_same_runs(&fx);
}

/* The timing flag is part of the fingerprint: runs written with the
 * wall-clock columns zeroed are not reused for a sweep that wants them. */
static void
test_timing_flag(void)
{
    g_auto(Fx) fx = { 0 };
    if (!fx_init(&fx, "resume-timing"))
        return;
    g_autofree char *o = fx_sweep(&fx, NULL, TRUE, TRUE, NULL);
    g_assert_nonnull(strstr(o, "2 ran (2 of them stale"));
    g_autofree char *o2 = fx_sweep(&fx, NULL, TRUE, TRUE, NULL);
    g_assert_nonnull(strstr(o2, "2 already complete"));
}

/* A file the topology names (here a CPU profile) is part of the
 * fingerprint: editing it reruns the runs, even though the topology text
 * and the overrides did not change. */
static void
test_named_file(void)
{
    g_auto(Fx) fx = { 0 };
    if (!fx_init(&fx, "resume-file"))
        return;
    g_autofree char *profile = g_build_filename(fx.dir, "host.profile",
                                                NULL);
    g_assert_true(g_file_set_contents(profile, "[host]\ncpu = one\n", -1,
                                      NULL));
    g_autofree char *set = g_strdup_printf("simulation.cpu-profile=%s",
                                           profile);
    fx_write_exp(&fx, set);
    g_autofree char *o1 = fx_sweep(&fx, NULL, TRUE, FALSE, NULL);
    g_assert_nonnull(strstr(o1, "2 ran (2 of them stale"));
    g_autofree char *o2 = fx_sweep(&fx, NULL, TRUE, FALSE, NULL);
    g_assert_nonnull(strstr(o2, "2 already complete"));
    g_assert_true(g_file_set_contents(profile, "[host]\ncpu = two\n", -1,
                                      NULL));
    g_autofree char *o3 = fx_sweep(&fx, NULL, TRUE, FALSE, NULL);
    g_assert_nonnull(strstr(o3, "2 ran (2 of them stale"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("sweep --resume reuses only intact runs of the same "
                   "inputs, flags and program revision, and cleans up "
                   "interrupted writes.");
    g_test_add_func("/resume/other-revision", test_other_revision);
    g_test_add_func("/resume/rebuilt-binary", test_rebuilt_binary);
    g_test_add_func("/resume/damaged", test_damaged);
    g_test_add_func("/resume/temp-leftovers", test_temp_leftovers);
    g_test_add_func("/resume/timing-flag", test_timing_flag);
    g_test_add_func("/resume/named-file", test_named_file);
    return g_test_run();
}
