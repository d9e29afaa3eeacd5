/* SPDX-License-Identifier: MIT */
/*
 * The results-folder lock.  The lock file is never removed: removing it
 * while another process has it open would let a third process lock a new
 * file of the same name while the second locks the old one.  It is opened
 * without O_TRUNC, so a process that fails to lock it never erases the
 * holder's pid; the holder truncates it when it locks and when it lets go.
 * The descriptor is close-on-exec, so gnuplot never inherits the lock.
 */
#define G_LOG_DOMAIN "sim-lock"

#include "run/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/status.h"

G_DEFINE_QUARK(sim-lock-error-quark, sim_lock_error)

struct SimLock {
    int fd;
    char *path;
};

static gboolean
lock_fail(GError **error, SimLockError code, const char *dir,
          const char *what, int e)
{
    g_set_error(error, SIM_LOCK_ERROR, code, "%s: %s: %s", dir, what,
                g_strerror(e));
    return FALSE;
}

/* The folder exists (created with its parents if needed) and is one. */
static gboolean
lock_make_dir(const char *dir, GError **error)
{
    GStatBuf st;
    if (g_stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
        g_set_error(error, SIM_LOCK_ERROR, SIM_LOCK_ERROR_NOT_DIR,
                    "%s: expected a folder for the results, found %s", dir,
                    S_ISREG(st.st_mode) ? "a regular file"
                                        : "something that is not a folder");
        return FALSE;
    }
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        int e = errno;
        return lock_fail(error,
                         e == ENOTDIR || e == EEXIST ? SIM_LOCK_ERROR_NOT_DIR
                                                     : SIM_LOCK_ERROR_IO,
                         dir, "cannot create the results folder", e);
    }
    return TRUE;
}

/* The pid recorded in the lock file, or 0. */
static long
lock_holder(int fd)
{
    char buf[32];
    gssize n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *end = NULL;
    long pid = strtol(buf, &end, 10);
    return end != buf && pid > 0 ? pid : 0;
}

/**
 * sim_lock_acquire:
 * @dir: a results folder (created with its parents if missing)
 * @error: return location for a %SIM_LOCK_ERROR
 *
 * Creates @dir, takes an exclusive non-blocking lock on @dir/.sipreuse.lock
 * and writes this process's pid into it.  The lock lasts until
 * sim_lock_release() or the end of the process.
 *
 * Returns: (transfer full) (nullable): the lock, or NULL with @error set:
 *   %SIM_LOCK_ERROR_BUSY naming the holder's pid, %SIM_LOCK_ERROR_NOT_DIR
 *   if @dir (or a parent) is a file, %SIM_LOCK_ERROR_IO if the folder
 *   cannot be created or written.
 */
SimLock *
sim_lock_acquire(const char *dir, GError **error)
{
    g_return_val_if_fail(dir != NULL, NULL);
    if (!lock_make_dir(dir, error))
        return NULL;
    g_autofree char *path = g_build_filename(dir, SIM_LOCK_FILE, NULL);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        lock_fail(error, SIM_LOCK_ERROR_IO, dir,
                  "cannot write in the results folder", errno);
        return NULL;
    }
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EINTR)
            continue;
        if (e == EWOULDBLOCK) {
            long pid = lock_holder(fd);
            g_autofree char *who = pid ? g_strdup_printf("pid %ld", pid)
                                       : g_strdup("pid unknown");
            g_set_error(error, SIM_LOCK_ERROR, SIM_LOCK_ERROR_BUSY,
                        "%s: another sipreuse (%s) is writing this results "
                        "folder; wait for it to finish or choose another "
                        "--out",
                        dir, who);
        } else {
            lock_fail(error, SIM_LOCK_ERROR_IO, dir,
                      "cannot lock the results folder", e);
        }
        close(fd);
        return NULL;
    }
    char pid[32];
    int n = g_snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, n, 0) != n) {
        int e = errno ? errno : ENOSPC;
        close(fd);
        lock_fail(error, SIM_LOCK_ERROR_IO, dir,
                  "cannot write in the results folder", e);
        return NULL;
    }
    SimLock *lock = g_new0(SimLock, 1);
    lock->fd = fd;
    lock->path = g_steal_pointer(&path);
    return lock;
}

/**
 * sim_lock_release:
 * @lock: (nullable) (transfer full): a lock
 *
 * Empties the lock file (it no longer names a holder) and lets go.
 */
void
sim_lock_release(SimLock *lock)
{
    if (!lock)
        return;
    if (ftruncate(lock->fd, 0) != 0)
        g_debug("cannot empty %s: %s", lock->path, g_strerror(errno));
    close(lock->fd);
    g_free(lock->path);
    g_free(lock);
}

/**
 * sim_lock_exit_status:
 * @error: a %SIM_LOCK_ERROR
 *
 * Returns: %SIM_EXIT_USAGE (2) when the folder is a file (bad input),
 *   %SIM_EXIT_FAILURE (1) when it is busy or cannot be written.
 */
int
sim_lock_exit_status(const GError *error)
{
    return g_error_matches(error, SIM_LOCK_ERROR, SIM_LOCK_ERROR_NOT_DIR)
               ? SIM_EXIT_USAGE
               : SIM_EXIT_FAILURE;
}
