/* SPDX-License-Identifier: MIT */
/*
 * `sipreuse check TOPOLOGY`: validate only.
 */
#include "sim/cli.h"

/**
 * sim_cmd_check:
 * @argc: argument count
 * @argv: arguments; argv[0] is "check"
 *
 * Returns: the exit status.
 */
int
sim_cmd_check(int argc, char **argv)
{
    gboolean defaults = FALSE;
    g_auto(GStrv) sets = NULL;
    const GOptionEntry entries[] = {
        { "defaults", 0, 0, G_OPTION_ARG_NONE, &defaults,
          "Print every key's default value", NULL },
        { "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets,
          "Override a topology key (repeatable)", "GROUP.KEY=VALUE" },
        G_OPTION_ENTRY_NULL
    };
    int rc = sim_cli_parse(sim_cli_context("check", entries), &argc, &argv);
    if (rc)
        return rc;
    return sim_cli_not_built("check");
}
