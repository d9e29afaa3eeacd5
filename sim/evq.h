/* SPDX-License-Identifier: MIT */
/*
 * The event queue and clock of one simulation run.  Time is integer
 * nanoseconds; events are totally ordered by (time, insertion sequence) so
 * that equal-time events run first-in first-out and every run is
 * reproducible.  Cancel is O(1) and lazy: the event is marked and skipped when
 * it reaches the front.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Simulated time in nanoseconds since the start of the run. */
typedef guint64 SimTime;

/* Handle of a scheduled event; never 0. */
typedef guint64 SimEventId;

#define SIM_TIME_NEVER G_MAXUINT64
#define SIM_NS(x) ((SimTime)(x))
#define SIM_US(x) ((SimTime)(x) * 1000ull)
#define SIM_MS(x) ((SimTime)(x) * 1000000ull)
#define SIM_S(x) ((SimTime)(x) * 1000000000ull)

typedef struct _SimEvq SimEvq;

typedef void (*SimEventFunc)(SimEvq *q, gpointer data);

/* Life cycle. */
SimEvq *sim_evq_new(void);
void sim_evq_free(SimEvq *q);

/* Scheduling. */
SimEventId sim_evq_at(SimEvq *q, SimTime when, SimEventFunc func,
                      gpointer data, GDestroyNotify destroy);
SimEventId sim_evq_after(SimEvq *q, SimTime delay, SimEventFunc func,
                         gpointer data, GDestroyNotify destroy);
gboolean sim_evq_cancel(SimEvq *q, SimEventId id);

/* Lanes: FIFO streams of events with non-decreasing times (packets of one
 * link, jobs of one CPU), kept out of the heap but for their head.  A lane
 * belongs to its queue and is named by a number (0: none). */
typedef guint SimEvqLane;
SimEvqLane sim_evq_lane_new(SimEvq *q);
SimEventId sim_evq_lane_at(SimEvq *q, SimEvqLane lane, SimTime when,
                           SimEventFunc func, gpointer data,
                           GDestroyNotify destroy);

/* Clock and inspection. */
SimTime sim_evq_now(const SimEvq *q);
SimTime sim_evq_peek_time(SimEvq *q);
guint sim_evq_pending(const SimEvq *q);
guint64 sim_evq_executed(const SimEvq *q);

/* Running. */
gboolean sim_evq_step(SimEvq *q);
guint64 sim_evq_run_until(SimEvq *q, SimTime horizon);
void sim_evq_stop(SimEvq *q);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimEvq, sim_evq_free)

G_END_DECLS
