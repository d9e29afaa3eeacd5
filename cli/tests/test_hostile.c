/* SPDX-License-Identifier: MIT */
/*
 * Hostile names and paths against every verb that plots (compare, sweep,
 * plot): results folders, experiment paths, plot titles and labels made
 * of single and double quotes, blanks, ';', $(...), backquotes, gnuplot's
 * pipe prefixes '<' and '|', line breaks, backslashes, non-ASCII text and
 * very long strings, each carrying a command that would create a canary
 * file if any of it were ever run.  Every test asserts that the canary
 * never appears and that every image is drawn complete (a PNG from its
 * signature to its IEND chunk, an SVG closed by </svg>, checked here
 * independently of the program's own check).  Experiments whose [plot
 * NAME] is not a name, and results folders whose runs.tsv names a
 * strategy that is not one, are bad input (exit 2, naming file and group)
 * before anything runs.  Finally, an image that cannot be written (a file
 * size limit standing for a full disk, or a folder in the image's place)
 * makes the verb exit 1 naming it, and no partial image is left.
 */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/tests/util_cli.h"

/* 3 s runs of the trunk after a 1 s warm-up. */
#define SHORT "--set", "simulation.duration=3s", "--set", \
              "simulation.warmup=1s"

/* The images `compare` draws. */
static const char *const compare_images[] = { "compare", "latency-cdf",
                                              "open-connections",
                                              "load-per-node" };

/* A scratch folder and the absolute path of its canary file. */
typedef struct {
    char *dir;
    char *canary;
} Fx;

static void
fx_init(Fx *fx, const char *name)
{
    fx->dir = hcli_scratch(name);
    fx->canary = g_build_filename(fx->dir, "CANARY", NULL);
}

static void
fx_clear(Fx *fx)
{
    g_free(fx->dir);
    g_free(fx->canary);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Fx, fx_clear)

/* Hostile text: every way a value could become gnuplot or shell code,
 * each creating @canary if it ran. */
static char *
hostile(const char *canary, guint kind)
{
    switch (kind) {
    case 0:
        return g_strdup_printf("x'; system(\"touch %s\"); a='", canary);
    case 1:
        return g_strdup_printf("a\" . system(\"touch %s\") . \"b", canary);
    case 2:
        return g_strdup_printf("$(touch %s) `touch %s`", canary, canary);
    case 3:
        return g_strdup_printf("<touch %s", canary);
    case 4:
        return g_strdup_printf("|touch %s", canary);
    case 5:
        return g_strdup_printf("line\nbreak'; system('touch %s') #",
                               canary);
    case 6:
        return g_strdup("ünïcødé ☃ 漢字 a b; c \\ back\\slash\\'");
    default:
        return NULL;
    }
}

/* A folder under @base whose path holds every hostile text (each becomes
 * one or more path components) and a very long component. */
static char *
hostile_dir(const char *base, const char *canary)
{
    GString *s = g_string_new(base);
    for (guint k = 0; k < 7; k++) {
        g_autofree char *h = hostile(canary, k);
        g_string_append_printf(s, "/%s", h);
    }
    g_string_append_c(s, '/');
    for (guint i = 0; i < 200; i++)
        g_string_append_c(s, "long-name "[i % 10]);
    return g_string_free(s, FALSE);
}

/* @text as a GKeyFile value: backslashes doubled, line breaks as \n. */
static char *
keyfile_escape(const char *text)
{
    GString *s = g_string_new(NULL);
    for (const char *c = text; *c; c++) {
        if (*c == '\\')
            g_string_append(s, "\\\\");
        else if (*c == '\n')
            g_string_append(s, "\\n");
        else
            g_string_append_c(s, *c);
    }
    return g_string_free(s, FALSE);
}

static void
assert_no_canary(const Fx *fx)
{
    g_assert_false(g_file_test(fx->canary, G_FILE_TEST_EXISTS));
}

/* No working folder of the plot driver is left in @plots. */
static void
assert_no_leftovers(const char *plots)
{
    g_autoptr(GDir) d = g_dir_open(plots, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d)))
        g_assert_false(g_str_has_prefix(name, ".gnuplot-"));
}

/* gnuplot and the CLI are there. */
static gboolean
have_all(void)
{
    if (!hcli_have())
        return FALSE;
    g_autofree char *gp = g_find_program_in_path("gnuplot");
    if (!gp)
        g_test_skip("gnuplot is not installed");
    return gp != NULL;
}

/* compare --out into a hostile folder, then plot it again. */
static void
test_compare_hostile_out(void)
{
    if (!have_all())
        return;
    g_auto(Fx) fx = { 0 };
    fx_init(&fx, "hostile-compare");
    g_autofree char *out = hostile_dir(fx.dir, fx.canary);
    HCliOpts o = { .cwd = fx.dir };
    g_auto(HCli) c = { 0 };
    g_autofree char *topo = g_build_filename(g_getenv("SIPREUSE_SRCDIR"),
                                             "topologies", "trunk.topo",
                                             NULL);
    hcli_run(&c, &o, "compare", topo, SHORT, "--strategies", "reuse,rfc3261",
             "--reps", "1", "--no-timing", "--out", out, NULL);
    g_test_message("%s", c.err);
    g_assert_cmpint(c.status, ==, 0);
    assert_no_canary(&fx);
    g_autofree char *plots = g_build_filename(out, "plots", NULL);
    for (guint i = 0; i < G_N_ELEMENTS(compare_images); i++)
        hcli_assert_images(plots, compare_images[i]);
    assert_no_leftovers(plots);
    /* `plot` reads the folder back and draws the same images. */
    for (guint i = 0; i < G_N_ELEMENTS(compare_images); i++) {
        g_autofree char *png = g_strdup_printf("%s/%s.png", plots,
                                               compare_images[i]);
        g_assert_cmpint(g_unlink(png), ==, 0);
    }
    g_auto(HCli) p = { 0 };
    hcli_run(&p, &o, "plot", out, NULL);
    g_test_message("%s", p.err);
    g_assert_cmpint(p.status, ==, 0);
    assert_no_canary(&fx);
    for (guint i = 0; i < G_N_ELEMENTS(compare_images); i++)
        hcli_assert_images(plots, compare_images[i]);
    /* A single run's folder, hostile too. */
    g_autofree char *run = g_build_filename(out, "reuse-seed1", NULL);
    g_auto(HCli) r = { 0 };
    hcli_run(&r, &o, "plot", run, NULL);
    g_test_message("%s", r.err);
    g_assert_cmpint(r.status, ==, 0);
    g_autofree char *rplots = g_build_filename(run, "plots", NULL);
    hcli_assert_images(rplots, "latency-cdf");
    assert_no_canary(&fx);
}

/* An experiment (hostile titles and labels, a line break among them, a
 * 10,000-character title) at a hostile path, swept into a hostile folder
 * and plotted again. */
static void
test_sweep_hostile(void)
{
    if (!have_all())
        return;
    g_auto(Fx) fx = { 0 };
    fx_init(&fx, "hostile-sweep");
    g_autofree char *home = hostile_dir(fx.dir, fx.canary);
    g_assert_cmpint(g_mkdir_with_parents(home, 0755), ==, 0);
    g_autofree char *out = g_build_filename(home, "out $(x) 'y'", NULL);
    g_autofree char *topo = g_build_filename(g_getenv("SIPREUSE_SRCDIR"),
                                             "topologies", "trunk.topo",
                                             NULL);
    g_autoptr(GString) text = g_string_new(NULL);
    g_string_append_printf(text,
                           "[experiment]\ntopology = %s\n"
                           "strategies = rfc3261\nreps = 1\n"
                           "set = simulation.duration=3s; "
                           "simulation.warmup=1s\n"
                           "[vary]\ntraffic.a-to-b.rate = 10, 20\n",
                           topo);
    const char *labels[] = { "title", "xlabel", "ylabel" };
    for (guint k = 0; k < 7; k++) {
        g_autofree char *h = hostile(fx.canary, k);
        g_autofree char *esc = keyfile_escape(h);
        g_string_append_printf(text,
                               "[plot p%u]\nx = traffic.a-to-b.rate\n"
                               "y = connections.peak\nknee = "
                               "latency.setup_ms.p95 < 500\n%s = %s\n",
                               k, labels[k % 3], esc);
    }
    g_string_append(text, "[plot long]\nx = traffic.a-to-b.rate\n"
                          "y = connections.peak, connections.mean\n"
                          "title = ");
    for (guint i = 0; i < 10000; i++)
        g_string_append_c(text, "title \" ' "[i % 10]);
    g_string_append_c(text, '\n');
    g_autofree char *exp = g_build_filename(home, "it's \"an\" exp.exp",
                                            NULL);
    g_assert_true(g_file_set_contents(exp, text->str, -1, NULL));
    HCliOpts o = { .cwd = fx.dir };
    g_auto(HCli) c = { 0 };
    hcli_run(&c, &o, "sweep", exp, "--out", out, "--jobs", "2",
             "--no-timing", NULL);
    g_test_message("%s", c.err);
    g_assert_cmpint(c.status, ==, 0);
    assert_no_canary(&fx);
    g_autofree char *plots = g_build_filename(out, "plots", NULL);
    for (guint k = 0; k < 7; k++) {
        g_autofree char *name = g_strdup_printf("p%u", k);
        hcli_assert_images(plots, name);
        /* The knee criterion is in the legend, and the knee (every point
         * meets p95 < 500 ms here: not reached) is drawn: the SVG's group
         * of not-reached knees holds a point. */
        g_autofree char *file = g_strdup_printf("%s.svg", name);
        g_autofree char *svg = hcli_read(plots, file);
        g_assert_nonnull(strstr(svg, "<title>knee: "));
        const char *knee = strstr(svg, "<title>knee not reached: ");
        g_assert_nonnull(knee);
        const char *end = strstr(knee + 1, "<title>");
        if (!end)
            end = knee + strlen(knee);
        g_assert_nonnull(g_strstr_len(knee, end - knee, "<use "));
    }
    hcli_assert_images(plots, "long");
    assert_no_leftovers(plots);
    g_auto(HCli) p = { 0 };
    hcli_run(&p, &o, "plot", out, NULL);
    g_test_message("%s", p.err);
    g_assert_cmpint(p.status, ==, 0);
    assert_no_canary(&fx);
    hcli_assert_images(plots, "p0");
}

/* [plot NAME] that is not a name: sweep refuses the experiment before
 * anything runs (exit 2, naming file and group), and `plot` refuses a
 * results folder whose copied experiment was edited so. */
static void
test_bad_plot_names(void)
{
    if (!have_all())
        return;
    g_auto(Fx) fx = { 0 };
    fx_init(&fx, "hostile-names");
    g_autofree char *topo = g_build_filename(g_getenv("SIPREUSE_SRCDIR"),
                                             "topologies", "trunk.topo",
                                             NULL);
    g_autofree char *long_name = g_strnfill(65, 'a');
    g_autofree char *h0 = hostile(fx.canary, 0);
    g_autofree char *h2 = hostile(fx.canary, 2);
    g_autofree char *h3 = hostile(fx.canary, 3);
    const char *names[] = { h0, h2, h3, "a b", "ü", "semi;colon",
                            long_name, "" };
    const char *head =
        "[experiment]\ntopology = %s\nstrategies = rfc3261\nreps = 1\n"
        "set = simulation.duration=3s; simulation.warmup=1s\n"
        "[vary]\ntraffic.a-to-b.rate = 10\n";
    HCliOpts o = { .cwd = fx.dir };
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *text = g_strdup_printf(
            "%s[plot %s]\nx = traffic.a-to-b.rate\ny = connections.peak\n",
            head, names[i]);
        g_autofree char *h = g_strdup_printf(text, topo);
        g_autofree char *exp = g_build_filename(fx.dir, "bad.exp", NULL);
        g_assert_true(g_file_set_contents(exp, h, -1, NULL));
        g_autofree char *out = g_build_filename(fx.dir, "out", NULL);
        g_auto(HCli) c = { 0 };
        hcli_run(&c, &o, "sweep", exp, "--out", out, NULL);
        g_test_message("case %u: %s", i, c.err);
        g_assert_cmpint(c.status, ==, 2);
        g_assert_nonnull(strstr(c.err, "bad.exp:8: [plot "));
        g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
        assert_no_canary(&fx);
    }
    /* Other groups and keys of [plot] are checked too. */
    const char *bad_specs[] = {
        "[plott x]\n",
        "[plot x]\nx = traffic.a-to-b.rate\ny = no.such.key\n",
        "[plot x]\nx = simulation.duration\ny = connections.peak\n",
        "[plot x]\nx = traffic.a-to-b.rate\ny = connections.peak\n"
        "knee = connections.peak < 5; system(\"x\")\n",
        "[plot x]\nx = traffic.a-to-b.rate\ny = connections.peak\n"
        "shell = 1\n",
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad_specs); i++) {
        g_autofree char *fmt = g_strconcat(head, bad_specs[i], NULL);
        g_autofree char *h = g_strdup_printf(fmt, topo);
        g_autofree char *exp = g_build_filename(fx.dir, "bad.exp", NULL);
        g_assert_true(g_file_set_contents(exp, h, -1, NULL));
        g_autofree char *out = g_build_filename(fx.dir, "out", NULL);
        g_auto(HCli) c = { 0 };
        hcli_run(&c, &o, "sweep", exp, "--out", out, NULL);
        g_test_message("spec %u: %s", i, c.err);
        g_assert_cmpint(c.status, ==, 2);
        g_assert_nonnull(strstr(c.err, "bad.exp:"));
        g_assert_nonnull(strstr(c.err, ": [plot"));
        g_assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
    }
    /* A good sweep, then its copied experiment edited. */
    g_autofree char *good = g_strdup_printf(
        "%s[plot ok]\nx = traffic.a-to-b.rate\ny = connections.peak\n",
        head);
    g_autofree char *gtext = g_strdup_printf(good, topo);
    g_autofree char *gexp = g_build_filename(fx.dir, "good.exp", NULL);
    g_assert_true(g_file_set_contents(gexp, gtext, -1, NULL));
    g_autofree char *out = g_build_filename(fx.dir, "good", NULL);
    g_auto(HCli) s = { 0 };
    hcli_run(&s, &o, "sweep", gexp, "--out", out, "--no-plots", NULL);
    g_assert_cmpint(s.status, ==, 0);
    g_autofree char *copy = g_build_filename(out, "experiment.exp", NULL);
    g_autoptr(GString) edited = g_string_new(gtext);
    g_autofree char *hostile_group = g_strdup_printf("[plot %s]", h0);
    g_string_replace(edited, "[plot ok]", hostile_group, 1);
    g_assert_true(g_file_set_contents(copy, edited->str, -1, NULL));
    g_auto(HCli) p = { 0 };
    hcli_run(&p, &o, "plot", out, NULL);
    g_test_message("%s", p.err);
    g_assert_cmpint(p.status, ==, 2);
    g_assert_nonnull(strstr(p.err, "experiment.exp:8: [plot x'"));
    assert_no_canary(&fx);
}

/* A results folder whose runs.tsv names a strategy that is not a name
 * (it would become a path and a plot label) is refused by `plot`. */
static void
test_bad_runs_names(void)
{
    if (!have_all())
        return;
    g_auto(Fx) fx = { 0 };
    fx_init(&fx, "hostile-runs");
    g_autofree char *out = g_build_filename(fx.dir, "cmp", NULL);
    g_autofree char *topo = g_build_filename(g_getenv("SIPREUSE_SRCDIR"),
                                             "topologies", "trunk.topo",
                                             NULL);
    HCliOpts o = { .cwd = fx.dir };
    g_auto(HCli) c = { 0 };
    hcli_run(&c, &o, "compare", topo, SHORT, "--strategies", "reuse",
             "--reps", "1", "--no-plots", "--out", out, NULL);
    g_assert_cmpint(c.status, ==, 0);
    g_autofree char *runs = hcli_read(out, "runs.tsv");
    g_autofree char *h = hostile(fx.canary, 0);
    g_autofree char *bad = g_strdup_printf("\t%s\t", h);
    g_autoptr(GString) edited = g_string_new(runs);
    g_assert_cmpuint(g_string_replace(edited, "\treuse\t", bad, 1), ==, 1);
    g_autofree char *path = g_build_filename(out, "runs.tsv", NULL);
    g_assert_true(g_file_set_contents(path, edited->str, -1, NULL));
    g_auto(HCli) p = { 0 };
    hcli_run(&p, &o, "plot", out, NULL);
    g_test_message("%s", p.err);
    g_assert_cmpint(p.status, ==, 2);
    g_assert_nonnull(strstr(p.err, "runs.tsv: row 1"));
    assert_no_canary(&fx);
}

/* A results folder that carries gnuplot scripts of its own in plots/
 * (where the images go): `plot .` run inside it uses the program's
 * scripts, never these.  A plots/ that is a symbolic link to elsewhere is
 * refused (images are written only inside the results folder). */
static void
test_planted_scripts(void)
{
    if (!have_all())
        return;
    g_auto(Fx) fx = { 0 };
    fx_init(&fx, "hostile-planted");
    g_autofree char *out = g_build_filename(fx.dir, "cmp", NULL);
    g_autofree char *topo = g_build_filename(g_getenv("SIPREUSE_SRCDIR"),
                                             "topologies", "trunk.topo",
                                             NULL);
    HCliOpts o = { .cwd = fx.dir };
    g_auto(HCli) c = { 0 };
    hcli_run(&c, &o, "compare", topo, SHORT, "--strategies", "reuse",
             "--reps", "1", "--no-plots", "--out", out, NULL);
    g_assert_cmpint(c.status, ==, 0);
    g_autofree char *plots = g_build_filename(out, "plots", NULL);
    g_assert_cmpint(g_mkdir(plots, 0755), ==, 0);
    const char *scripts[] = { "common.gp", "compare.gp", "latency_cdf.gp",
                              "timeseries.gp", "nodes.gp", "sweep.gp" };
    g_autofree char *evil = g_strdup_printf("system(\"touch %s\")\n",
                                            fx.canary);
    for (guint i = 0; i < G_N_ELEMENTS(scripts); i++) {
        g_autofree char *p = g_build_filename(plots, scripts[i], NULL);
        g_assert_true(g_file_set_contents(p, evil, -1, NULL));
    }
    HCliOpts inside = { .cwd = out };
    g_auto(HCli) p = { 0 };
    hcli_run(&p, &inside, "plot", ".", NULL);
    g_test_message("%s", p.err);
    g_assert_cmpint(p.status, ==, 0);
    assert_no_canary(&fx);
    for (guint i = 0; i < G_N_ELEMENTS(compare_images); i++)
        hcli_assert_images(plots, compare_images[i]);
    /* plots/ as a link to another folder. */
    g_autofree char *elsewhere = g_build_filename(fx.dir, "elsewhere", NULL);
    g_assert_cmpint(g_mkdir(elsewhere, 0755), ==, 0);
    g_autofree char *out2 = g_build_filename(fx.dir, "cmp2", NULL);
    g_auto(HCli) c2 = { 0 };
    hcli_run(&c2, &o, "compare", topo, SHORT, "--strategies", "reuse",
             "--reps", "1", "--no-plots", "--out", out2, NULL);
    g_assert_cmpint(c2.status, ==, 0);
    g_autofree char *link = g_build_filename(out2, "plots", NULL);
    g_assert_cmpint(symlink(elsewhere, link), ==, 0);
    g_auto(HCli) q = { 0 };
    hcli_run(&q, &o, "plot", out2, NULL);
    g_test_message("%s", q.err);
    g_assert_cmpint(q.status, ==, 1);
    g_assert_nonnull(strstr(q.err, "symbolic link"));
    g_autoptr(GDir) d = g_dir_open(elsewhere, 0, NULL);
    g_assert_null(g_dir_read_name(d));
}

/* No file in @plots is a PNG or an SVG (complete or not). */
static void
assert_no_images(const char *plots)
{
    g_autoptr(GDir) d = g_dir_open(plots, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        g_test_message("left in plots/: %s", name);
        g_assert_false(g_str_has_suffix(name, ".png") ||
                       g_str_has_suffix(name, ".svg"));
        g_assert_false(g_str_has_prefix(name, ".gnuplot-"));
    }
}

/* Images that cannot be written, as on a full disk: with writes limited
 * to 12 KiB per file (RLIMIT_FSIZE, no root needed; every image here is
 * larger, the data files and run results smaller), gnuplot still exits 0
 * with truncated files, and compare, sweep and plot must exit 1 naming
 * each image and leave none behind.  A folder standing where an image
 * goes fails that image alone. */
static void
test_unwritable_images(void)
{
    if (!have_all())
        return;
    g_auto(Fx) fx = { 0 };
    fx_init(&fx, "full-disk");
    g_autofree char *topo = g_build_filename(g_getenv("SIPREUSE_SRCDIR"),
                                             "topologies", "trunk.topo",
                                             NULL);
    g_autofree char *out = g_build_filename(fx.dir, "cmp", NULL);
    HCliOpts full = { .cwd = fx.dir, .fsize = 12 * 1024 };
    g_auto(HCli) c = { 0 };
    hcli_run(&c, &full, "compare", topo, SHORT, "--strategies",
             "reuse,rfc3261", "--reps", "1", "--no-timing", "--out", out,
             NULL);
    g_test_message("%s", c.err);
    g_assert_cmpint(c.status, ==, 1);
    g_autofree char *plots = g_build_filename(out, "plots", NULL);
    for (guint i = 0; i < G_N_ELEMENTS(compare_images); i++) {
        g_autofree char *png = g_strdup_printf("plots/%s.png: ",
                                               compare_images[i]);
        g_assert_nonnull(strstr(c.err, png));
    }
    assert_no_images(plots);
    /* The results themselves were written: plot draws them normally. */
    HCliOpts o = { .cwd = fx.dir };
    g_auto(HCli) ok = { 0 };
    hcli_run(&ok, &o, "plot", out, NULL);
    g_assert_cmpint(ok.status, ==, 0);
    hcli_assert_images(plots, "compare");
    /* plot on a full disk: exit 1 and the old images go too (they would
     * pass for new ones). */
    g_auto(HCli) p = { 0 };
    hcli_run(&p, &full, "plot", out, NULL);
    g_test_message("%s", p.err);
    g_assert_cmpint(p.status, ==, 1);
    g_assert_nonnull(strstr(p.err, "compare.svg: "));
    assert_no_images(plots);
    /* A folder where compare.png goes. */
    g_autofree char *blocker = g_build_filename(plots, "compare.png", NULL);
    g_assert_cmpint(g_mkdir(blocker, 0755), ==, 0);
    g_auto(HCli) q = { 0 };
    hcli_run(&q, &o, "plot", out, NULL);
    g_test_message("%s", q.err);
    g_assert_cmpint(q.status, ==, 1);
    g_assert_nonnull(strstr(q.err, "compare.png: "));
    g_assert_null(strstr(q.err, "compare.svg"));
    g_assert_true(g_file_test(blocker, G_FILE_TEST_IS_DIR));
    g_autofree char *svg = g_build_filename(plots, "compare.svg", NULL);
    g_assert_true(hcli_svg_complete(svg));
    hcli_assert_images(plots, "latency-cdf");
    assert_no_leftovers(plots);
    /* sweep on a full disk. */
    g_autofree char *text = g_strdup_printf(
        "[experiment]\ntopology = %s\nstrategies = rfc3261\nreps = 1\n"
        "set = simulation.duration=3s; simulation.warmup=1s\n"
        "[vary]\ntraffic.a-to-b.rate = 10, 20\n"
        "[plot peak]\nx = traffic.a-to-b.rate\ny = connections.peak\n",
        topo);
    g_autofree char *exp = g_build_filename(fx.dir, "s.exp", NULL);
    g_assert_true(g_file_set_contents(exp, text, -1, NULL));
    g_autofree char *sout = g_build_filename(fx.dir, "sweep", NULL);
    g_auto(HCli) s = { 0 };
    hcli_run(&s, &full, "sweep", exp, "--out", sout, "--no-timing", NULL);
    g_test_message("%s", s.err);
    g_assert_cmpint(s.status, ==, 1);
    g_assert_nonnull(strstr(s.err, "plots/peak.png: "));
    g_autofree char *splots = g_build_filename(sout, "plots", NULL);
    assert_no_images(splots);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("Hostile names and paths never run code in gnuplot and "
                   "every image is drawn complete; bad plot and strategy "
                   "names are bad input; an image that cannot be written "
                   "fails the verb and leaves nothing behind.");
    g_test_add_func("/hostile/compare-out", test_compare_hostile_out);
    g_test_add_func("/hostile/sweep", test_sweep_hostile);
    g_test_add_func("/hostile/plot-names", test_bad_plot_names);
    g_test_add_func("/hostile/runs-names", test_bad_runs_names);
    g_test_add_func("/hostile/planted-scripts", test_planted_scripts);
    g_test_add_func("/hostile/unwritable-images", test_unwritable_images);
    return g_test_run();
}
