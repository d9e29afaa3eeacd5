/* SPDX-License-Identifier: MIT */
/*
 * The sipreuse command: dispatches `sipreuse VERB ...` to the verb table in
 * cli.c.  This is the only main() of the project.  Started by an MPI
 * launcher (a `make MPI=1` build under mpirun or srun), rank 0 runs the
 * verb and the other ranks serve its batches (run/mpi.h).
 */
#include "cli/cli.h"

#include <locale.h>
#include <stdio.h>

#include "run/mpi.h"

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

static int
main_verb(int argc, char **argv)
{
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
        if (sim_mpi_library())
            printf("MPI: %s (mpirun -np N sipreuse sweep|compare ...)\n",
                   sim_mpi_library());
        return SIM_EXIT_OK;
    }
    for (const SimCmd *c = sim_cmds; c->name; c++)
        if (g_str_equal(c->name, argv[1]))
            return c->func(argc - 1, argv + 1);
    fprintf(stderr, "sipreuse: unknown verb '%s'\n\n", argv[1]);
    main_usage(stderr);
    return SIM_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
    setlocale(LC_ALL, "C");
    if (sim_mpi_init(&argc, &argv))
        return sim_mpi_worker_main();
    return sim_mpi_finish(main_verb(argc, argv));
}
