/* SPDX-License-Identifier: MIT */
/*
 * Measurement, not simulation: times real loopback TCP connections
 * (127.0.0.1) in one thread with the thread's CPU clock, for `sipreuse
 * calibrate` only.  Each connection: socket + non-blocking connect, accept
 * from a listening socket, close of the connecting end, then of the
 * accepted end.  What the thread clock counts is the work the kernel does
 * inside this thread's system calls; on loopback that usually includes
 * the peer's half of the packet processing (the SYN, SYN-ACK, FIN and ACK
 * are delivered in the sender's softirq context), but a kernel that
 * accounts softirq time apart (CONFIG_IRQ_TIME_ACCOUNTING) or defers it to
 * ksoftirqd charges part of it to no thread of ours.
 */
#define _GNU_SOURCE
#define G_LOG_DOMAIN "sim-sock"

#include "models/sock_calibrate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static SimTime
sock_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return SIM_S(ts.tv_sec) + (SimTime)ts.tv_nsec;
}

static gboolean
sock_fail(GError **error, const char *what, int e)
{
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                "loopback TCP: %s: %s", what, g_strerror(e));
    return FALSE;
}

/* Waits (not CPU) until @fd is ready for @events, at most 2 s. */
static gboolean
sock_wait(int fd, short events)
{
    struct pollfd p = { .fd = fd, .events = events };
    return poll(&p, 1, 2000) == 1;
}

/* One connection through @lfd (listening at @addr); adds each
 * operation's CPU to @acc. */
static gboolean
sock_one(int lfd, const struct sockaddr_in *addr, SimSockCalibration *acc,
         GError **error)
{
    SimTime t0 = sock_cpu_now();
    int cfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (cfd < 0)
        return sock_fail(error, "socket", errno);
    int rc = connect(cfd, (const struct sockaddr *)addr, sizeof *addr);
    int e = errno;
    SimTime t1 = sock_cpu_now();
    if (rc != 0 && e != EINPROGRESS) {
        close(cfd);
        return sock_fail(error, "connect", e);
    }
    /* A non-blocking client learns the outcome when the socket turns
     * writable: on loopback it usually already has. */
    if (rc != 0 && !sock_wait(cfd, POLLOUT)) {
        close(cfd);
        return sock_fail(error, "connect", ETIMEDOUT);
    }
    SimTime t2 = sock_cpu_now();
    int soerr = 0;
    socklen_t len = sizeof soerr;
    getsockopt(cfd, SOL_SOCKET, SO_ERROR, &soerr, &len);
    SimTime t3 = sock_cpu_now();
    if (soerr) {
        close(cfd);
        return sock_fail(error, "connect", soerr);
    }
    int afd;
    SimTime acc_cpu = 0;
    for (;;) {
        SimTime u = sock_cpu_now();
        afd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        e = errno;
        acc_cpu += sock_cpu_now() - u;
        if (afd >= 0 || e != EAGAIN || !sock_wait(lfd, POLLIN))
            break;
    }
    if (afd < 0) {
        close(cfd);
        return sock_fail(error, "accept", e);
    }
    SimTime t4 = sock_cpu_now();
    close(cfd);
    SimTime t5 = sock_cpu_now();
    close(afd);
    SimTime t6 = sock_cpu_now();
    acc->connect += (t1 - t0) + (t3 - t2);
    acc->accept += acc_cpu;
    acc->close_client += t5 - t4;
    acc->close_server += t6 - t5;
    acc->n++;
    return TRUE;
}

/**
 * sim_sock_calibrate:
 * @budget: stop once the connections have used this much CPU...
 * @min_iter: ...and at least this many connections were made
 * @max_iter: never more than this many
 * @out: (out caller-allocates): mean CPU per operation
 * @error: return location for a #G_FILE_ERROR naming the call that failed
 *
 * Opens, accepts and closes loopback TCP connections in this thread and
 * reports the mean CPU of each operation (thread CPU clock).  A few
 * connections are made first, untimed, so the listening socket and the
 * kernel's caches are warm.
 *
 * Returns: %TRUE on success.
 */
gboolean
sim_sock_calibrate(SimTime budget, guint min_iter, guint max_iter,
                   SimSockCalibration *out, GError **error)
{
    *out = (SimSockCalibration){ 0 };
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0)
        return sock_fail(error, "socket", errno);
    struct sockaddr_in addr = { .sin_family = AF_INET,
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof addr;
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(lfd, 64) != 0 ||
        getsockname(lfd, (struct sockaddr *)&addr, &len) != 0) {
        int e = errno;
        close(lfd);
        return sock_fail(error, "listen on 127.0.0.1", e);
    }
    SimSockCalibration warm = { 0 };
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < 3; i++)
        ok = sock_one(lfd, &addr, &warm, error);
    SimSockCalibration acc = { 0 };
    while (ok && (acc.n < min_iter ||
                  (acc.n < max_iter &&
                   acc.connect + acc.accept + acc.close_client +
                           acc.close_server <
                       budget)))
        ok = sock_one(lfd, &addr, &acc, error);
    close(lfd);
    if (!ok)
        return FALSE;
    if (!acc.n)
        return sock_fail(error, "no connection measured", EINVAL);
    out->n = acc.n;
    out->connect = acc.connect / acc.n;
    out->accept = acc.accept / acc.n;
    out->close_client = acc.close_client / acc.n;
    out->close_server = acc.close_server / acc.n;
    return TRUE;
}
