/* SPDX-License-Identifier: MIT */
/*
 * Hold-model benchmark of the event queue, after ns-3's bench-scheduler: a
 * constant population of Q pending events; each executed event schedules
 * one more at now + Exp(mean).  Each case runs in a child process so that its
 * peak RSS is its own.  Prints one `bench hold ...` line per Q.
 */
#include "sim/evq.h"
#include "sim/rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    SimRng rng;
    double mean_ns;
} Hold;

static void
hold_fire(SimEvq *q, gpointer data)
{
    Hold *h = data;
    sim_evq_after(q, (SimTime)sim_rng_exp(&h->rng, h->mean_ns), hold_fire, h,
                  NULL);
}

static void
hold_case(guint q_size, guint64 events)
{
    Hold h = { .mean_ns = 1e6 };
    sim_rng_init(&h.rng, 1, 1);
    SimEvq *q = sim_evq_new();
    for (guint i = 0; i < q_size; i++)
        sim_evq_at(q, (SimTime)sim_rng_exp(&h.rng, h.mean_ns), hold_fire, &h,
                   NULL);
    /* Warm up: one pass over the population. */
    for (guint i = 0; i < q_size; i++)
        sim_evq_step(q);

    gint64 t0 = g_get_monotonic_time();
    for (guint64 i = 0; i < events; i++)
        sim_evq_step(q);
    gint64 t1 = g_get_monotonic_time();

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double wall = (t1 - t0) / 1e6;
    printf("bench hold q=%u events=%" G_GUINT64_FORMAT
           " wall_s=%.3f events_per_s=%.0f peak_rss_kb=%ld\n",
           q_size, events, wall, events / wall, ru.ru_maxrss);
    fflush(stdout);
    sim_evq_free(q);
}

int
main(int argc, char **argv)
{
    const struct {
        guint q;
        guint64 events;
    } cases[] = { { 100, 20000000 }, { 10000, 20000000 }, { 1000000, 5000000 } };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            hold_case(cases[i].q, cases[i].events);
            _exit(0);
        }
        int status;
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
            WEXITSTATUS(status))
            return 1;
    }
    return 0;
}
