/* SPDX-License-Identifier: MIT */
/*
 * Tests of the experiment parser: a sample experiment parses into what its
 * text says; [zip NAME] keys move together while [vary] keys multiply
 * (the points enumerated by hand from the definition of a cartesian
 * product of axes); each malformed file is refused with a message naming
 * the file, the line, the group and the key (the fixtures under
 * run/tests/data/exp/, one rule each; a malformed escape once parsed with
 * its error left set, found by fuzzing).
 */
#include "run/experiment.h"

#include <string.h>

#include "run/topo.h"

static SimExperiment *
parse(const char *text, GError **error)
{
    return sim_experiment_load_data("dir/study.exp", text, strlen(text),
                                    FALSE, error);
}

static void
test_parses(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SimExperiment) e = parse(
        "[experiment]\ntopology = t.topo\nstrategies = reuse, rfc3261\n"
        "reps = 4\nseed = 10\nset = simulation.duration=5s; dns.ttl=1s\n"
        "[vary]\ntraffic.a-to-b.rate = 10, 20; 40\n"
        "[plot p]\nx = traffic.a-to-b.rate\n",
        &error);
    g_assert_no_error(error);
    g_assert_cmpstr(e->name, ==, "study");
    g_assert_cmpstr(e->topology, ==, "dir/t.topo");
    g_assert_cmpuint(g_strv_length(e->strategies), ==, 2);
    g_assert_cmpstr(e->strategies[1], ==, "rfc3261");
    g_assert_cmpint(e->reps, ==, 4);
    g_assert_cmpuint(e->seed, ==, 10);
    g_assert_cmpuint(g_strv_length(e->sets), ==, 2);
    g_assert_cmpstr(e->keys[0], ==, "traffic.a-to-b.rate");
    char **v = g_ptr_array_index(e->values, 0);
    g_assert_cmpuint(g_strv_length(v), ==, 3);
    g_assert_cmpstr(v[2], ==, "40");
    g_assert_true(g_key_file_has_group(e->kf, "plot p"));
    g_assert_cmpuint(sim_experiment_n_points(e), ==, 3);
}

static SimExperiment *
load_fixture(const char *name, GError **error)
{
    const char *src = g_getenv("SIPREUSE_SRCDIR");
    g_autofree char *path = g_build_filename(src ? src : ".", "run", "tests",
                                             "data", "exp", name, NULL);
    g_autofree char *text = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, &text, &len, NULL));
    return sim_experiment_load_data(path, text, len, FALSE, error);
}

/* zip.exp: [vary] link delay (2 values) x [zip load] (3 pairs): 6 points,
 * the delay slowest; within a point both rates take the same position;
 * [experiment] unset becomes loader unsets after the sets; a relative
 * file name in set is relative to the experiment's folder. */
static void
test_zip(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SimExperiment) e = load_fixture("zip.exp", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(e->n_axes, ==, 2);
    g_assert_cmpuint(g_strv_length(e->keys), ==, 3);
    g_assert_cmpuint(e->axis[0], ==, 0);
    g_assert_cmpuint(e->axis[1], ==, 1);
    g_assert_cmpuint(e->axis[2], ==, 1);
    g_assert_cmpuint(sim_experiment_n_points(e), ==, 6);
    static const char *const want[6][3] = {
        { "10ms", "10", "5" },  { "10ms", "20", "10" }, { "10ms", "40", "20" },
        { "40ms", "10", "5" },  { "40ms", "20", "10" }, { "40ms", "40", "20" },
    };
    for (guint i = 0; i < 6; i++) {
        g_auto(GStrv) labels = NULL, ov = NULL;
        sim_experiment_point(e, i, &labels, &ov);
        for (guint k = 0; k < 3; k++)
            g_assert_cmpstr(labels[k], ==, want[i][k]);
        /* 2 sets, 2 unsets, 3 varied keys. */
        g_assert_cmpuint(g_strv_length(ov), ==, 7);
        g_assert_cmpstr(ov[2], ==, SIM_TOPO_UNSET "transport.tls-version");
        g_assert_cmpstr(ov[3], ==, SIM_TOPO_UNSET "node.*.cores");
        g_autofree char *rate = g_strdup_printf("traffic.b-to-a.rate=%s",
                                                want[i][2]);
        g_assert_cmpstr(ov[6], ==, rate);
    }
    g_assert_true(g_str_has_suffix(e->sets[1],
                                   "exp/certs/a.crt"));
    g_assert_true(g_str_has_prefix(e->sets[1], "node.a.cert-file="));
    g_auto(GStrv) varied = sim_experiment_varied_keys(e->kf);
    g_assert_cmpuint(g_strv_length(varied), ==, 3);
    g_auto(GStrv) partners =
        sim_experiment_axis_keys(e->kf, "traffic.a-to-b.rate");
    g_assert_cmpuint(g_strv_length(partners), ==, 2);
    g_auto(GStrv) alone = sim_experiment_axis_keys(e->kf,
                                                   "link.west.east.delay");
    g_assert_cmpuint(g_strv_length(alone), ==, 1);
}

/* Each fixture: what the message must contain (file and line, group and
 * key, and the rule). */
static const struct {
    const char *file;
    const char *needle;
    const char *rule;
} fixture_cases[] = {
    { "unknown-group.exp", "unknown-group.exp:5: [vray]",
      "did you mean \"vary\"?" },
    { "unknown-key.exp", "unknown-key.exp:3: [experiment] stratgies",
      "did you mean \"strategies\"?" },
    { "duplicate-key.exp", "duplicate-key.exp:4: [experiment] reps",
      "lines 3 and 4" },
    { "duplicate-group.exp", "duplicate-group.exp:7: [vary]",
      "lines 4 and 7" },
    { "strategy-twice.exp", "strategy-twice.exp:3: [experiment] strategies",
      "\"reuse\" twice" },
    { "strategy-misspelt.exp",
      "strategy-misspelt.exp:3: [experiment] strategies",
      "did you mean \"reuse\"?" },
    { "strategies-empty.exp",
      "strategies-empty.exp:3: [experiment] strategies",
      "expected one or more strategies" },
    { "vary-strategy.exp", "vary-strategy.exp:5: [vary] simulation.strategy",
      "[experiment] strategies" },
    { "vary-repeated.exp", "vary-repeated.exp:5: [vary] traffic.a-to-b.rate",
      "\"10\" twice" },
    { "zip-lengths.exp", "zip-lengths.exp:6: [zip load] traffic.b-to-a.rate",
      "as many values as traffic.a-to-b.rate (3" },
    { "zip-and-vary.exp",
      "zip-and-vary.exp:8: [zip load] traffic.a-to-b.rate",
      "varied once" },
    { "reps-bad.exp", "reps-bad.exp:3: [experiment] reps",
      "expected an integer from 1" },
    { "set-no-equals.exp", "set-no-equals.exp:3: [experiment] set",
      "without '='" },
    { "unset-value.exp", "unset-value.exp:3: [experiment] unset",
      "no value" },
    { "no-topology.exp", "no-topology.exp:1: [experiment] topology",
      "found no topology key" },
};

static void
test_fixtures(void)
{
    for (guint i = 0; i < G_N_ELEMENTS(fixture_cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(SimExperiment) e = load_fixture(fixture_cases[i].file,
                                                  &error);
        g_test_message("%s: %s", fixture_cases[i].file,
                       error ? error->message : "(accepted)");
        g_assert_null(e);
        g_assert_nonnull(error);
        g_assert_nonnull(strstr(error->message, fixture_cases[i].needle));
        g_assert_nonnull(strstr(error->message, fixture_cases[i].rule));
    }
}

/* Several problems: every one is reported, one per line. */
static void
test_all_problems(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SimExperiment) e = parse(
        "[experiment]\ntopology = t.topo\ncolour = red\nreps = 0\n"
        "[vary]\ntransport.t1 = 1s, 1s\n",
        &error);
    g_assert_null(e);
    g_auto(GStrv) lines = g_strsplit(error->message, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 3);
    g_assert_nonnull(strstr(lines[0], "study.exp:3: [experiment] colour"));
    g_assert_nonnull(strstr(lines[1], "study.exp:4: [experiment] reps"));
    g_assert_nonnull(strstr(lines[2], "study.exp:6: [vary] transport.t1"));
}

/* Each case: the text and what the message must contain. */
static const struct {
    const char *text;
    const char *needle;
} bad_cases[] = {
    { "[experiment]\ntopology = a\\qb\n",
      "dir/study.exp:2: [experiment] topology: " },
    { "[experiment]\ntopology = t.topo\nstrategies = a\\q\n",
      "[experiment] strategies: " },
    { "[experiment]\ntopology = t.topo\ncolour = red\n",
      "[experiment] colour: unknown key" },
    { "[experiment]\ntopology = t.topo\nreps = 0\n",
      "[experiment] reps: expected an integer from 1" },
    { "[experiment]\ntopology = t.topo\nreps = many\n",
      "[experiment] reps: " },
    { "[experiment]\ntopology = t.topo\nstrategies = reuze\n",
      "[experiment] strategies: " },
    { "[experiment]\ntopology = t.topo\nreps = 2\n"
      "seed = 18446744073709551615\n",
      "[experiment] seed: expected an integer" },
    { "[experiment]\ntopology = t.topo\nseed = -1\n",
      "[experiment] seed: expected an integer" },
    { "[experiment]\ntopology = t.topo\n[vary]\ntransport.t1 = ;,\n",
      "[vary] transport.t1: expected one or more values" },
    { "[experiment]\nreps = 2\n", "dir/study.exp" },
    { "[vary]\ntransport.t1 = 1s\n", "expected an [experiment] group" },
    { "[experiment]\ntopology = t.topo\n[zip]\na.b = 1\n",
      "[zip]: expected [zip NAME]" },
    { "[experiment]\ntopology = t.topo\n[zip load]\n",
      "[zip load]: expected keys" },
};

static void
test_refused(void)
{
    for (guint i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(SimExperiment) e = parse(bad_cases[i].text, &error);
        g_assert_null(e);
        g_assert_nonnull(error);
        g_test_message("%s", error->message);
        g_assert_nonnull(strstr(error->message, bad_cases[i].needle));
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("Experiment parser: what a file says, [zip] axes, and "
                   "every malformed file refused by file, line, group and "
                   "key.");
    g_test_add_func("/experiment/parses", test_parses);
    g_test_add_func("/experiment/zip", test_zip);
    g_test_add_func("/experiment/fixtures", test_fixtures);
    g_test_add_func("/experiment/all-problems", test_all_problems);
    g_test_add_func("/experiment/refused", test_refused);
    return g_test_run();
}
