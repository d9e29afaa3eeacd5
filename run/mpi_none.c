/* SPDX-License-Identifier: MIT */
/*
 * The MPI interface (run/mpi.h) of a build without MPI (the default; `make
 * MPI=1` compiles run/mpi.c instead): one rank, no workers, nothing to
 * set up or tear down.
 */
#include "run/mpi.h"

/**
 * sim_mpi_init:
 * @argc: (inout): argument count
 * @argv: (inout): arguments
 *
 * Returns: FALSE: this process is rank 0 of one.
 */
gboolean
sim_mpi_init(int *argc, char ***argv)
{
    return FALSE;
}

/**
 * sim_mpi_worker_main:
 *
 * Returns: 0 (never called: there are no worker ranks).
 */
int
sim_mpi_worker_main(void)
{
    return 0;
}

/**
 * sim_mpi_finish:
 * @status: the exit status of the verb
 *
 * Returns: @status.
 */
int
sim_mpi_finish(int status)
{
    return status;
}

/**
 * sim_mpi_ranks:
 *
 * Returns: 1.
 */
int
sim_mpi_ranks(void)
{
    return 1;
}

/**
 * sim_mpi_rank:
 *
 * Returns: 0.
 */
int
sim_mpi_rank(void)
{
    return 0;
}

/**
 * sim_mpi_library:
 *
 * Returns: (nullable): NULL: built without MPI.
 */
const char *
sim_mpi_library(void)
{
    return NULL;
}

/**
 * sim_mpi_batch_run:
 * @jobs: (element-type SimBatchJob): jobs
 * @opt: options
 *
 * Never called (sim_mpi_ranks() is 1).
 *
 * Returns: the number of jobs, all failed.
 */
guint
sim_mpi_batch_run(GPtrArray *jobs, const SimBatchOptions *opt)
{
    g_return_val_if_reached(jobs->len);
}

/**
 * sim_mpi_executor:
 *
 * Returns: (nullable): the executor for SimBatchOptions.exec: the other
 *   ranks' when there are some, NULL (this process's threads) otherwise.
 */
SimBatchExecFunc
sim_mpi_executor(void)
{
    return sim_mpi_ranks() > 1 ? sim_mpi_batch_run : NULL;
}
