/* SPDX-License-Identifier: MIT */
/*
 * Batches over MPI ranks (`make MPI=1`, then `mpirun -np N sipreuse sweep
 * ...`): rank 0 runs the verb as usual and, instead of running a batch's
 * jobs on its own threads, hands them to the other ranks (longest expected
 * first), receives every finished run's row and files and writes them
 * itself, so it is the only writer of the results folder.  The other ranks
 * run no verb: they serve jobs until rank 0 stops them.  Built without MPI
 * (run/mpi_none.c), or started without an MPI launcher, there is one rank
 * and every function below is a no-op.
 */
#pragma once

#include <glib.h>

#include "run/batch.h"

G_BEGIN_DECLS

/* Process set-up and tear-down (cli/main.c). */
gboolean sim_mpi_init(int *argc, char ***argv);
int sim_mpi_worker_main(void);
int sim_mpi_finish(int status);

/* Where this process stands. */
int sim_mpi_ranks(void);
int sim_mpi_rank(void);
const char *sim_mpi_library(void);

/* The MPI executor of sim_batch_run(). */
guint sim_mpi_batch_run(GPtrArray *jobs, const SimBatchOptions *opt);
SimBatchExecFunc sim_mpi_executor(void);

G_END_DECLS
