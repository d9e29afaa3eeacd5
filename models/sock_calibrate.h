/* SPDX-License-Identifier: MIT */
/*
 * Measurement, not simulation: the CPU this host spends opening, accepting
 * and closing a loopback TCP connection, for `sipreuse calibrate`.  Real
 * sockets, real time; no simulation code may call it.
 */
#pragma once

#include <glib.h>

#include "sim/evq.h"

G_BEGIN_DECLS

/* CPU time of one core per operation, on the thread's CPU clock. */
typedef struct {
    /* socket() + non-blocking connect() + getsockopt(SO_ERROR). */
    SimTime connect;
    /* accept4() of the connection from the listening socket. */
    SimTime accept;
    /* close() of the connecting end (closed first) and of the accepted
     * end. */
    SimTime close_client;
    SimTime close_server;
    /* Connections measured. */
    guint n;
} SimSockCalibration;

gboolean sim_sock_calibrate(SimTime budget, guint min_iter, guint max_iter,
                            SimSockCalibration *out, GError **error);

G_END_DECLS
