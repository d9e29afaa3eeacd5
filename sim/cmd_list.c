/* SPDX-License-Identifier: MIT */
/*
 * `sipreuse list`: strategies, transports and key types.
 */
#include "sim/cli.h"

/**
 * sim_cmd_list:
 * @argc: argument count
 * @argv: arguments; argv[0] is "list"
 *
 * Returns: the exit status.
 */
int
sim_cmd_list(int argc, char **argv)
{
    int rc = sim_cli_parse(sim_cli_context("list", NULL), &argc, &argv);
    if (rc)
        return rc;
    return sim_cli_not_built("list");
}
