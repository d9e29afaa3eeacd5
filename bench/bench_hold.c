/* SPDX-License-Identifier: MIT */
/*
 * Hold-model benchmark of the event queue, after ns-3's bench-scheduler: a
 * constant population of Q pending events; each executed event schedules
 * one more at now + Exp(mean).  Each case runs in a child process so that its
 * peak RSS is its own.  Prints one `bench hold ...` line per Q, and beside
 * it a `bench hold_heap4 ...` line: the same workload (same records, same
 * random times, same handler) on a plain 4-ary min-heap of 16-byte
 * (time, sequence) entries with Floyd's bottom-up sift, children on one
 * cache line, for the ratio.
 */
#include "sim/evq.h"
#include "sim/rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* The reference: a plain 4-ary heap with the evq's record layout (handler,
 * data, destroy, key in a slab with a free list) and its entry encoding. */
typedef unsigned __int128 H4Entry;
typedef struct H4 H4;
typedef void (*H4Func)(H4 *q, gpointer data);
typedef struct {
    H4Func func;
    gpointer data;
    GDestroyNotify destroy;
    guint64 key;
} H4Slot;
struct H4 {
    H4Entry *heap;
    void *mem;
    guint n;
    guint cap;
    H4Slot *slots;
    guint32 *free_slots;
    guint nslots;
    guint nfree;
    guint slots_cap;
    guint64 seq;
    SimTime now;
};

static void
h4_reserve(H4 *q, guint want)
{
    guint cap = q->cap ? q->cap : 64;
    while (cap < want)
        cap *= 2;
    void *mem;
    if (posix_memalign(&mem, 64, (gsize)(cap + 4) * sizeof(H4Entry)))
        abort();
    H4Entry *heap = (H4Entry *)((char *)mem + 64 - sizeof(H4Entry));
    if (q->n)
        memcpy(heap, q->heap, (gsize)q->n * sizeof(H4Entry));
    free(q->mem);
    q->mem = mem;
    q->heap = heap;
    q->cap = cap;
}

static void
h4_at(H4 *q, SimTime when, H4Func func, gpointer data)
{
    guint32 slot;
    if (q->nfree) {
        slot = q->free_slots[--q->nfree];
    } else {
        if (q->nslots == q->slots_cap) {
            q->slots_cap = q->slots_cap ? 2 * q->slots_cap : 64;
            q->slots = g_renew(H4Slot, q->slots, q->slots_cap);
            q->free_slots = g_renew(guint32, q->free_slots, q->slots_cap);
        }
        slot = q->nslots++;
    }
    guint64 key = (q->seq++ << 24) | slot;
    q->slots[slot] = (H4Slot){ func, data, NULL, key };
    if (q->n == q->cap)
        h4_reserve(q, q->n + 1);
    H4Entry x = ((H4Entry)when << 64) | key, *h = q->heap;
    guint i = q->n++;
    while (i > 0) {
        guint p = (i - 1) / 4;
        if (h[p] <= x)
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = x;
}

static void
h4_step(H4 *q)
{
    H4Entry *h = q->heap, top = h[0];
    guint n = --q->n, i = 0;
    H4Entry x = h[n];
    for (;;) {
        guint c = 4 * i + 1;
        if (c >= n)
            break;
        guint m = c;
        if (c + 3 < n) {
            guint a = h[c + 1] < h[c] ? c + 1 : c;
            guint b = h[c + 3] < h[c + 2] ? c + 3 : c + 2;
            m = h[b] < h[a] ? b : a;
        } else {
            for (guint j = c + 1; j < n; j++)
                if (h[j] < h[m])
                    m = j;
        }
        h[i] = h[m];
        i = m;
    }
    while (i > 0) {
        guint p = (i - 1) / 4;
        if (h[p] <= x)
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = x;
    guint32 slot = (guint64)top & 0xffffff;
    H4Slot s = q->slots[slot];
    q->slots[slot].key = 0;
    q->free_slots[q->nfree++] = slot;
    q->now = (SimTime)(top >> 64);
    s.func(q, s.data);
    if (s.destroy)
        s.destroy(s.data);
}

static void
h4_hold_fire(H4 *q, gpointer data)
{
    Hold *h = data;
    h4_at(q, q->now + (SimTime)sim_rng_exp(&h->rng, h->mean_ns), h4_hold_fire,
          h);
}

static void
hold_report(const char *name, guint q_size, guint64 events, gint64 t0,
            gint64 t1)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double wall = (t1 - t0) / 1e6;
    printf("bench %s q=%u events=%" G_GUINT64_FORMAT
           " wall_s=%.3f events_per_s=%.0f peak_rss_kb=%ld\n",
           name, q_size, events, wall, events / wall, ru.ru_maxrss);
    fflush(stdout);
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
    hold_report("hold", q_size, events, t0, t1);
    sim_evq_free(q);
}

static void
heap4_case(guint q_size, guint64 events)
{
    Hold h = { .mean_ns = 1e6 };
    sim_rng_init(&h.rng, 1, 1);
    H4 q = { .seq = 1 };
    for (guint i = 0; i < q_size; i++)
        h4_at(&q, (SimTime)sim_rng_exp(&h.rng, h.mean_ns), h4_hold_fire, &h);
    for (guint i = 0; i < q_size; i++)
        h4_step(&q);

    gint64 t0 = g_get_monotonic_time();
    for (guint64 i = 0; i < events; i++)
        h4_step(&q);
    gint64 t1 = g_get_monotonic_time();
    hold_report("hold_heap4", q_size, events, t0, t1);
    free(q.mem);
    g_free(q.slots);
    g_free(q.free_slots);
}

/* Runs @fn(q, events) in a child; FALSE if it failed. */
static gboolean
hold_child(void (*fn)(guint, guint64), guint q_size, guint64 events)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        fn(q_size, events);
        _exit(0);
    }
    int status;
    return pid >= 0 && waitpid(pid, &status, 0) >= 0 && WIFEXITED(status) &&
           !WEXITSTATUS(status);
}

/* `bench_hold [Q EVENTS [heap4]]` runs one case only (for profiling). */
int
main(int argc, char **argv)
{
    if (argc > 2) {
        guint q = (guint)g_ascii_strtoull(argv[1], NULL, 10);
        guint64 events = g_ascii_strtoull(argv[2], NULL, 10);
        if (argc > 3)
            heap4_case(q, events);
        else
            hold_case(q, events);
        return 0;
    }
    const struct {
        guint q;
        guint64 events;
    } cases[] = { { 100, 20000000 },
                  { 10000, 20000000 },
                  { 100000, 10000000 },
                  { 1000000, 5000000 } };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        if (!hold_child(hold_case, cases[i].q, cases[i].events) ||
            !hold_child(heap4_case, cases[i].q, cases[i].events))
            return 1;
    }
    return 0;
}
