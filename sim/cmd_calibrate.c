/* SPDX-License-Identifier: MIT */
/*
 * `sipreuse calibrate`: measure this host's TLS costs with OpenSSL.
 */
#include "sim/cli.h"

/**
 * sim_cmd_calibrate:
 * @argc: argument count
 * @argv: arguments; argv[0] is "calibrate"
 *
 * Returns: the exit status.
 */
int
sim_cmd_calibrate(int argc, char **argv)
{
    g_autofree char *out = NULL;
    const GOptionEntry entries[] = {
        { "out", 0, 0, G_OPTION_ARG_FILENAME, &out,
          "Profile file to write (default cpu-profile.ini)", "FILE" },
        G_OPTION_ENTRY_NULL
    };
    int rc = sim_cli_parse(sim_cli_context("calibrate", entries), &argc, &argv);
    if (rc)
        return rc;
    return sim_cli_not_built("calibrate");
}
