/* SPDX-License-Identifier: MIT */
/*
 * `sipreuse run TOPOLOGY`: one topology, one strategy, one seed.
 */
#include "sim/cli.h"

/**
 * sim_cmd_run:
 * @argc: argument count
 * @argv: arguments; argv[0] is "run"
 *
 * Returns: the exit status.
 */
int
sim_cmd_run(int argc, char **argv)
{
    g_autofree char *strategy = NULL, *out = NULL, *format = NULL;
    g_autofree char *pcap = NULL;
    g_auto(GStrv) sets = NULL;
    gint64 seed = -1;
    const GOptionEntry entries[] = {
        { "strategy", 0, 0, G_OPTION_ARG_STRING, &strategy,
          "Connection strategy (see sipreuse list)", "NAME" },
        { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Random seed", "N" },
        { "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets,
          "Override a topology key (repeatable)", "GROUP.KEY=VALUE" },
        { "out", 0, 0, G_OPTION_ARG_FILENAME, &out,
          "Results folder (default results/<topology>/<strategy>-seed<N>)",
          "DIR" },
        { "format", 0, 0, G_OPTION_ARG_STRING, &format,
          "Print the summary to stdout as text, json or tsv", "FMT" },
        { "pcap", 0, 0, G_OPTION_ARG_FILENAME, &pcap,
          "Write the simulated SIP traffic as a packet capture", "FILE" },
        G_OPTION_ENTRY_NULL
    };
    int rc = sim_cli_parse(sim_cli_context("run", entries), &argc, &argv);
    if (rc)
        return rc;
    return sim_cli_not_built("run");
}
