/* SPDX-License-Identifier: MIT */
/*
 * A generator of random valid topologies for the model fuzzer and the
 * combinatorial tests: every choice is read from a byte string (a
 * libFuzzer input, or bytes drawn from a seeded stream), so a shorter
 * input gives a smaller world and libFuzzer's minimiser shrinks a failing
 * world along with its bytes.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Limits of what the generator makes. */
typedef struct {
    /* At most this many nodes (1..30). */
    guint max_nodes;
    /* Simulated duration at most this many seconds. */
    guint max_duration_s;
} SimGenTopoLimits;

char *sim_gentopo(const guint8 *data, gsize size,
                  const SimGenTopoLimits *limits);

G_END_DECLS
