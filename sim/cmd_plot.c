/* SPDX-License-Identifier: MIT */
/*
 * `sipreuse plot RESULTS_DIR`: gnuplot scripts over result files.
 */
#include "sim/cli.h"

/**
 * sim_cmd_plot:
 * @argc: argument count
 * @argv: arguments; argv[0] is "plot"
 *
 * Returns: the exit status.
 */
int
sim_cmd_plot(int argc, char **argv)
{
    int rc = sim_cli_parse(sim_cli_context("plot", NULL), &argc, &argv);
    if (rc)
        return rc;
    return sim_cli_not_built("plot");
}
