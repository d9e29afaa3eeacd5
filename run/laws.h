/* SPDX-License-Identifier: MIT */
/*
 * The conservation laws every run keeps, checked on its result when the run
 * ends.  A broken law is a model bug, never bad input: the run fails (exit
 * 1) naming the law and the figures.
 */
#pragma once

#include <glib.h>

#include "run/result.h"

G_BEGIN_DECLS

#define SIM_LAWS_ERROR (sim_laws_error_quark())
GQuark sim_laws_error_quark(void);

typedef enum {
    /* A conservation law does not hold. */
    SIM_LAWS_ERROR_BROKEN,
} SimLawsError;

gboolean sim_laws_check(const SimRunResult *r, GError **error);

G_END_DECLS
