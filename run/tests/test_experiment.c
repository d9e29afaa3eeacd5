/* SPDX-License-Identifier: MIT */
/*
 * Tests of the experiment parser: a sample experiment parses into what its
 * text says; each malformed [experiment] or [vary] is refused with a
 * message naming the file, the group and the key (a malformed escape
 * once parsed with its error left set, found by fuzzing).
 */
#include "run/experiment.h"

#include <string.h>

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
}

/* Each case: the text and what the message must contain. */
static const struct {
    const char *text;
    const char *needle;
} bad_cases[] = {
    { "[experiment]\ntopology = a\\qb\n",
      "dir/study.exp: [experiment] topology: " },
    { "[experiment]\ntopology = t.topo\nstrategies = a\\q\n",
      "[experiment] strategies: " },
    { "[experiment]\ntopology = t.topo\ncolour = red\n",
      "[experiment] has no key 'colour'" },
    { "[experiment]\ntopology = t.topo\nreps = 0\n",
      "[experiment] reps must be at least 1" },
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
      "[vary] transport.t1 has no values" },
    { "[experiment]\nreps = 2\n", "dir/study.exp: " },
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
    g_test_summary("Experiment parser: what a file says, and every "
                   "malformed [experiment] or [vary] refused by name.");
    g_test_add_func("/experiment/parses", test_parses);
    g_test_add_func("/experiment/refused", test_refused);
    return g_test_run();
}
