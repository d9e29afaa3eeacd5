/* SPDX-License-Identifier: MIT */
/*
 * `sipreuse compare TOPOLOGY`: every strategy, with replications, in parallel.
 */
#include "sim/cli.h"

/**
 * sim_cmd_compare:
 * @argc: argument count
 * @argv: arguments; argv[0] is "compare"
 *
 * Returns: the exit status.
 */
int
sim_cmd_compare(int argc, char **argv)
{
    g_autofree char *strategies = NULL, *out = NULL;
    gint reps = 5, jobs = 0;
    const GOptionEntry entries[] = {
        { "strategies", 0, 0, G_OPTION_ARG_STRING, &strategies,
          "Comma-separated strategies (default: all applicable)", "A,B,..." },
        { "reps", 0, 0, G_OPTION_ARG_INT, &reps,
          "Replications per strategy (default 5)", "N" },
        { "jobs", 0, 0, G_OPTION_ARG_INT, &jobs,
          "Parallel runs (default: number of cores)", "N" },
        { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "Results folder", "DIR" },
        G_OPTION_ENTRY_NULL
    };
    int rc = sim_cli_parse(sim_cli_context("compare", entries), &argc, &argv);
    if (rc)
        return rc;
    return sim_cli_not_built("compare");
}
