/* SPDX-License-Identifier: MIT */
/*
 * The sipreuse command: dispatches `sipreuse VERB ...` to the verb table in
 * cli.c.  This is the only main() of the project.
 */
#include "cli/cli.h"

#include <locale.h>
#include <stdio.h>

static void
main_usage(FILE *f)
{
    fprintf(f, "Usage: sipreuse VERB [OPTION...]\n\n"
               "Simulates SIP proxy connection strategies (RFC 5923 "
               "connection reuse and its alternatives).\n\nVerbs:\n");
    for (const SimCmd *c = sim_cmds; c->name; c++)
        fprintf(f, "  %-10s %-12s %s\n", c->name, c->args, c->summary);
    fprintf(f, "\n`sipreuse VERB --help` describes a verb's options; "
               "`sipreuse --version` prints the version.\n");
}

int
main(int argc, char **argv)
{
    setlocale(LC_ALL, "C");
    if (argc < 2) {
        main_usage(stderr);
        return SIM_EXIT_USAGE;
    }
    if (g_str_equal(argv[1], "--help") || g_str_equal(argv[1], "-h") ||
        g_str_equal(argv[1], "help")) {
        main_usage(stdout);
        return SIM_EXIT_OK;
    }
    if (g_str_equal(argv[1], "--version")) {
        printf("sipreuse %s\n", SIM_VERSION);
        return SIM_EXIT_OK;
    }
    for (const SimCmd *c = sim_cmds; c->name; c++)
        if (g_str_equal(c->name, argv[1]))
            return c->func(argc - 1, argv + 1);
    fprintf(stderr, "sipreuse: unknown verb '%s'\n\n", argv[1]);
    main_usage(stderr);
    return SIM_EXIT_USAGE;
}
