/* SPDX-License-Identifier: MIT */
/*
 * One writer per results folder.  compare, sweep, run and plot create
 * their --out folder before anything is simulated and hold an exclusive
 * flock(2) on DIR/.sipreuse.lock (which holds the holder's pid) until they
 * exit, so a second writer on the same folder stops at once, naming the
 * first, instead of mixing its files with the first one's.  Creating the
 * folder and writing the pid is also the test that the folder is usable.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SIM_LOCK_ERROR (sim_lock_error_quark())
GQuark sim_lock_error_quark(void);

typedef enum {
    /* Another process holds the folder (exit 1). */
    SIM_LOCK_ERROR_BUSY,
    /* The path, or one of its parents, is not a folder (exit 2: bad
     * input). */
    SIM_LOCK_ERROR_NOT_DIR,
    /* The folder cannot be created or written (exit 1). */
    SIM_LOCK_ERROR_IO,
} SimLockError;

/* The lock file's name inside a results folder. */
#define SIM_LOCK_FILE ".sipreuse.lock"

typedef struct SimLock SimLock;

SimLock *sim_lock_acquire(const char *dir, GError **error);
void sim_lock_release(SimLock *lock);
int sim_lock_exit_status(const GError *error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimLock, sim_lock_release)

G_END_DECLS
