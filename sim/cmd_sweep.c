/* SPDX-License-Identifier: MIT */
/*
 * `sipreuse sweep EXPERIMENT`: a grid of runs over topology keys.
 */
#include "sim/cli.h"

/**
 * sim_cmd_sweep:
 * @argc: argument count
 * @argv: arguments; argv[0] is "sweep"
 *
 * Returns: the exit status.
 */
int
sim_cmd_sweep(int argc, char **argv)
{
    g_autofree char *out = NULL;
    gint jobs = 0;
    gboolean resume = FALSE;
    const GOptionEntry entries[] = {
        { "jobs", 0, 0, G_OPTION_ARG_INT, &jobs,
          "Parallel runs (default: number of cores)", "N" },
        { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "Results folder", "DIR" },
        { "resume", 0, 0, G_OPTION_ARG_NONE, &resume,
          "Skip runs whose results are already complete", NULL },
        G_OPTION_ENTRY_NULL
    };
    int rc = sim_cli_parse(sim_cli_context("sweep", entries), &argc, &argv);
    if (rc)
        return rc;
    return sim_cli_not_built("sweep");
}
