/* SPDX-License-Identifier: MIT */
/*
 * The program's version and the exit statuses every verb and batch returns:
 * 0 success, 2 bad input (a topology, experiment or option the user can
 * fix), 1 a run-time failure (a model bug, a full disk, an unwritable
 * folder).  Shared by run/ (batches, writers) and cli/ (the verbs).
 */
#pragma once

#define SIM_VERSION "0.1.0"

#define SIM_EXIT_OK 0
#define SIM_EXIT_FAILURE 1
#define SIM_EXIT_USAGE 2
