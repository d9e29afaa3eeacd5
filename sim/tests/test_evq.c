/* SPDX-License-Identifier: MIT */
/*
 * Tests of the event queue: (time, sequence) order checked against an
 * independent reference model, FIFO ties, cancel in every situation,
 * destroy-exactly-once, horizons, stop, step, compaction and determinism.
 */
#include "sim/evq.h"
#include "sim/rng.h"

/* A log of fired event tags. */
typedef struct {
    GArray *fired;
    SimEvq *q;
} Log;

typedef struct {
    Log *log;
    guint tag;
    SimEventId cancel;
    /* (nullable): counts this event's destroy calls. */
    guint *destroyed;
} Ev;

static void
ev_fire(SimEvq *q, gpointer data)
{
    Ev *e = data;
    g_array_append_val(e->log->fired, e->tag);
    if (e->cancel)
        sim_evq_cancel(q, e->cancel);
}

static void
count_destroy(gpointer data)
{
    (*(guint *)data)++;
}

static void
noop(SimEvq *q, gpointer data)
{
}

static void
ev_destroy(gpointer data)
{
    Ev *e = data;
    (*e->destroyed)++;
}

static void
test_fifo_on_tie(void)
{
    g_autoptr(SimEvq) q = sim_evq_new();
    Log log = { g_array_new(FALSE, FALSE, sizeof(guint)), q };
    Ev ev[100];

    /* Interleave two times so that ties are not simply consecutive. */
    for (guint i = 0; i < 100; i++) {
        ev[i] = (Ev){ &log, i, 0, NULL };
        sim_evq_at(q, (i % 2) ? SIM_MS(5) : SIM_MS(3), ev_fire, &ev[i], NULL);
    }
    g_assert_cmpuint(sim_evq_run_until(q, SIM_TIME_NEVER), ==, 100);
    for (guint i = 0; i < 50; i++) {
        g_assert_cmpuint(g_array_index(log.fired, guint, i), ==, 2 * i);
        g_assert_cmpuint(g_array_index(log.fired, guint, 50 + i), ==, 2 * i + 1);
    }
    g_assert_cmpuint(sim_evq_now(q), ==, SIM_MS(5));
    g_array_free(log.fired, TRUE);
}

/* Reference model: a flat list, the minimum (time, seq) found by scanning. */
typedef struct {
    SimTime time;
    guint64 seq;
    guint tag;
    gboolean live;
} RefEv;

static void
test_against_reference(void)
{
    g_autoptr(SimEvq) q = sim_evq_new();
    Log log = { g_array_new(FALSE, FALSE, sizeof(guint)), q };
    GArray *ref = g_array_new(FALSE, FALSE, sizeof(RefEv));
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(SimEventId));
    GPtrArray *evs = g_ptr_array_new_with_free_func(g_free);
    GArray *expect = g_array_new(FALSE, FALSE, sizeof(guint));
    SimRng rng;

    sim_rng_init(&rng, 42, 1);
    /* Schedule 5000 events over a coarse time grid (many ties) and cancel
     * a quarter of them at random. */
    for (guint i = 0; i < 5000; i++) {
        Ev *e = g_new0(Ev, 1);
        *e = (Ev){ &log, i, 0, NULL };
        g_ptr_array_add(evs, e);
        SimTime t = sim_rng_below(&rng, 300) * SIM_US(10);
        SimEventId id = sim_evq_at(q, t, ev_fire, e, NULL);
        g_array_append_val(ids, id);
        RefEv r = { t, i, i, TRUE };
        g_array_append_val(ref, r);
    }
    for (guint k = 0; k < 1250; k++) {
        guint i = sim_rng_below(&rng, 5000);
        gboolean was_live = g_array_index(ref, RefEv, i).live;
        g_assert_cmpint(sim_evq_cancel(q, g_array_index(ids, SimEventId, i)),
                        ==, was_live);
        g_array_index(ref, RefEv, i).live = FALSE;
    }
    for (;;) {
        gint best = -1;
        for (guint i = 0; i < ref->len; i++) {
            RefEv *r = &g_array_index(ref, RefEv, i);
            if (!r->live)
                continue;
            RefEv *b = best < 0 ? NULL : &g_array_index(ref, RefEv, best);
            if (!b || r->time < b->time ||
                (r->time == b->time && r->seq < b->seq))
                best = i;
        }
        if (best < 0)
            break;
        g_array_index(ref, RefEv, best).live = FALSE;
        g_array_append_val(expect, g_array_index(ref, RefEv, best).tag);
    }
    g_assert_cmpuint(sim_evq_pending(q), ==, expect->len);
    sim_evq_run_until(q, SIM_TIME_NEVER);
    g_assert_cmpuint(log.fired->len, ==, expect->len);
    for (guint i = 0; i < expect->len; i++)
        g_assert_cmpuint(g_array_index(log.fired, guint, i), ==,
                         g_array_index(expect, guint, i));
    g_assert_cmpuint(sim_evq_pending(q), ==, 0);
    g_array_free(log.fired, TRUE);
    g_array_free(ref, TRUE);
    g_array_free(ids, TRUE);
    g_array_free(expect, TRUE);
    g_ptr_array_unref(evs);
}

/* Events scheduled by handlers at the current time run after those already
 * queued for that time. */
typedef struct {
    Log *log;
    guint depth;
} Chain;

static void
chain_fire(SimEvq *q, gpointer data)
{
    Chain *c = data;
    guint tag = 1000 + c->depth;
    g_array_append_val(c->log->fired, tag);
    if (c->depth < 3) {
        c->depth++;
        sim_evq_after(q, 0, chain_fire, c, NULL);
    }
}

static void
test_zero_delay_from_handler(void)
{
    g_autoptr(SimEvq) q = sim_evq_new();
    Log log = { g_array_new(FALSE, FALSE, sizeof(guint)), q };
    Chain c = { &log, 0 };
    Ev a = { &log, 1, 0, NULL }, b = { &log, 2, 0, NULL };

    sim_evq_at(q, SIM_S(1), chain_fire, &c, NULL);
    sim_evq_at(q, SIM_S(1), ev_fire, &a, NULL);
    sim_evq_at(q, SIM_S(1), ev_fire, &b, NULL);
    sim_evq_run_until(q, SIM_TIME_NEVER);
    guint want[] = { 1000, 1, 2, 1001, 1002, 1003 };
    g_assert_cmpuint(log.fired->len, ==, G_N_ELEMENTS(want));
    for (guint i = 0; i < G_N_ELEMENTS(want); i++)
        g_assert_cmpuint(g_array_index(log.fired, guint, i), ==, want[i]);
    g_array_free(log.fired, TRUE);
}

static void
test_cancel_pending(void)
{
    g_autoptr(SimEvq) q = sim_evq_new();
    Log log = { g_array_new(FALSE, FALSE, sizeof(guint)), q };
    guint destroyed = 0;
    Ev e = { &log, 7, 0, NULL };

    SimEventId id = sim_evq_at(q, SIM_S(1), ev_fire, &e, NULL);
    SimEventId id2 = sim_evq_at(q, SIM_S(2), noop, &destroyed, count_destroy);
    g_assert_cmpuint(id, !=, 0);
    g_assert_true(sim_evq_cancel(q, id2));
    g_assert_cmpuint(destroyed, ==, 1);
    g_assert_false(sim_evq_cancel(q, id2));
    g_assert_cmpuint(destroyed, ==, 1);
    g_assert_cmpuint(sim_evq_pending(q), ==, 1);
    g_assert_cmpuint(sim_evq_run_until(q, SIM_TIME_NEVER), ==, 1);
    g_assert_cmpuint(log.fired->len, ==, 1);
    g_assert_cmpuint(sim_evq_now(q), ==, SIM_S(1));
    g_array_free(log.fired, TRUE);
}

static void
test_cancel_after_run(void)
{
    g_autoptr(SimEvq) q = sim_evq_new();
    guint destroyed = 0;

    SimEventId id = sim_evq_at(q, 5, noop, &destroyed, count_destroy);
    g_assert_true(sim_evq_step(q));
    g_assert_cmpuint(destroyed, ==, 1);
    g_assert_false(sim_evq_cancel(q, id));
    g_assert_false(sim_evq_cancel(q, 0));
    g_assert_false(sim_evq_cancel(q, G_MAXUINT64));
    g_assert_cmpuint(destroyed, ==, 1);
}

/* An id whose slot was recycled for a newer event must not cancel it. */
static void
test_cancel_stale_id(void)
{
    g_autoptr(SimEvq) q = sim_evq_new();
    guint fired = 0;

    SimEventId old = sim_evq_at(q, 1, noop, NULL, NULL);
    sim_evq_step(q);
    SimEventId fresh = sim_evq_at(q, 2, noop, &fired, count_destroy);
    g_assert_cmpuint(old, !=, fresh);
    g_assert_cmpuint(old & 0xffffff, ==, fresh & 0xffffff);
    g_assert_false(sim_evq_cancel(q, old));
    g_assert_cmpuint(sim_evq_pending(q), ==, 1);
    sim_evq_run_until(q, SIM_TIME_NEVER);
    g_assert_cmpuint(fired, ==, 1);
}

static void
test_cancel_from_handler(void)
{
    g_autoptr(SimEvq) q = sim_evq_new();
    Log log = { g_array_new(FALSE, FALSE, sizeof(guint)), q };
    Ev a = { &log, 1, 0, NULL }, b = { &log, 2, 0, NULL };
    Ev c = { &log, 3, 0, NULL };

    /* a cancels b (same time, later in FIFO) and c (later time); a's own
     * id is no longer pending while it runs. */
    SimEventId ida = sim_evq_at(q, 10, ev_fire, &a, NULL);
    SimEventId idb = sim_evq_at(q, 10, ev_fire, &b, NULL);
    SimEventId idc = sim_evq_at(q, 20, ev_fire, &c, NULL);
    a.cancel = idb;
    sim_evq_run_until(q, 10);
    g_assert_cmpuint(log.fired->len, ==, 1);
    g_assert_false(sim_evq_cancel(q, ida));
    g_assert_true(sim_evq_cancel(q, idc));
    g_assert_cmpuint(sim_evq_run_until(q, SIM_TIME_NEVER), ==, 0);
    g_assert_cmpuint(log.fired->len, ==, 1);
    g_array_free(log.fired, TRUE);
}

static void
self_cancel(SimEvq *q, gpointer data)
{
    SimEventId *id = data;
    g_assert_false(sim_evq_cancel(q, *id));
}

static void
test_cancel_self(void)
{
    g_autoptr(SimEvq) q = sim_evq_new();
    SimEventId id = 0;
    id = sim_evq_at(q, 3, self_cancel, &id, NULL);
    g_assert_cmpuint(sim_evq_run_until(q, SIM_TIME_NEVER), ==, 1);
}

/* Mass cancellation triggers compaction; the survivors still fire in order
 * and every destroy runs exactly once. */
static void
test_cancel_compaction(void)
{
    g_autoptr(SimEvq) q = sim_evq_new();
    enum { N = 20000 };
    guint *destroyed = g_new0(guint, N);
    SimEventId *ids = g_new(SimEventId, N);
    Log log = { g_array_new(FALSE, FALSE, sizeof(guint)), q };
    Ev *evs = g_new(Ev, N);

    for (guint i = 0; i < N; i++) {
        evs[i] = (Ev){ &log, i, 0, &destroyed[i] };
        ids[i] = sim_evq_at(q, (N - i) * 7 % 1000, ev_fire, &evs[i],
                            ev_destroy);
    }
    for (guint i = 0; i < N; i++)
        if (i % 10 != 0)
            g_assert_true(sim_evq_cancel(q, ids[i]));
    g_assert_cmpuint(sim_evq_pending(q), ==, N / 10);
    /* Cancelled events are destroyed at once, the others when they run. */
    for (guint i = 0; i < N; i++)
        g_assert_cmpuint(destroyed[i], ==, i % 10 != 0);
    sim_evq_run_until(q, SIM_TIME_NEVER);
    for (guint i = 0; i < N; i++)
        g_assert_cmpuint(destroyed[i], ==, 1);
    g_assert_cmpuint(log.fired->len, ==, N / 10);
    for (guint k = 1; k < log.fired->len; k++) {
        guint a = g_array_index(log.fired, guint, k - 1);
        guint b = g_array_index(log.fired, guint, k);
        SimTime ta = (N - a) * 7 % 1000, tb = (N - b) * 7 % 1000;
        g_assert_true(ta < tb || (ta == tb && a < b));
    }
    g_free(destroyed);
    g_free(ids);
    g_free(evs);
    g_array_free(log.fired, TRUE);
}

/* Far events: seconds to days ahead (past the heap's buckets and past
 * their ring), on a coarse grid so that many tie, scheduled up front and
 * from handlers, half of them through three lanes (out-of-order ones fall
 * back to the heap), a fifth cancelled.  Every live event fires once, in
 * (time, insertion) order, and is destroyed once, also when the queue is
 * freed before the end. */
typedef struct {
    SimEvq *q;
    SimRng rng;
    SimEvqLane lanes[3];
    /* FarEv * in insertion order. */
    GPtrArray *evs;
    /* Tags in firing order. */
    GArray *fired;
    /* Pending destroys (each event is destroyed exactly once). */
    guint alive;
} Far;

typedef struct {
    Far *f;
    guint tag;
    SimTime when;
    SimEventId id;
    gboolean cancelled;
} FarEv;

static SimTime
far_delay(SimRng *rng)
{
    switch (sim_rng_below(rng, 5)) {
    case 0:
        return 0;
    case 1:
        return sim_rng_below(rng, 4) * SIM_MS(50);
    case 2:
        return sim_rng_below(rng, 400) * SIM_S(1) / 2;
    case 3:
        return SIM_S(3600) * (1 + sim_rng_below(rng, 48));
    default:
        return sim_rng_below(rng, 20) * SIM_S(7);
    }
}

static void far_fire(SimEvq *q, gpointer data);

static void
far_destroy(gpointer data)
{
    FarEv *e = data;
    e->f->alive--;
}

static void
far_add(Far *f, SimTime when)
{
    FarEv *e = g_new0(FarEv, 1);
    *e = (FarEv){ f, f->evs->len, when, 0, FALSE };
    g_ptr_array_add(f->evs, e);
    f->alive++;
    guint lane = sim_rng_below(&f->rng, 6);
    if (lane < 3)
        e->id = sim_evq_lane_at(f->q, f->lanes[lane], when, far_fire, e,
                                far_destroy);
    else
        e->id = sim_evq_at(f->q, when, far_fire, e, far_destroy);
}

static void
far_setup(Far *f, guint64 seed)
{
    *f = (Far){ .q = sim_evq_new(),
                .evs = g_ptr_array_new_with_free_func(g_free),
                .fired = g_array_new(FALSE, FALSE, sizeof(guint)) };
    sim_rng_init(&f->rng, seed, 3);
    for (guint i = 0; i < 3; i++)
        f->lanes[i] = sim_evq_lane_new(f->q);
    for (guint i = 0; i < 5000; i++)
        far_add(f, far_delay(&f->rng));
}

static void
far_fire(SimEvq *q, gpointer data)
{
    FarEv *e = data;
    Far *f = e->f;
    g_assert_cmpuint(sim_evq_now(q), ==, e->when);
    g_array_append_val(f->fired, e->tag);
    if (f->evs->len < 20000 && sim_rng_below(&f->rng, 3) == 0)
        far_add(f, sim_evq_now(q) + far_delay(&f->rng));
    if (sim_rng_below(&f->rng, 5) == 0) {
        FarEv *v = g_ptr_array_index(f->evs,
                                     sim_rng_below(&f->rng, f->evs->len));
        if (sim_evq_cancel(q, v->id))
            v->cancelled = TRUE;
    }
}

static void
test_far_events(void)
{
    Far f;
    far_setup(&f, 99);
    sim_evq_run_until(f.q, SIM_TIME_NEVER);
    g_assert_cmpuint(sim_evq_pending(f.q), ==, 0);
    g_assert_cmpuint(f.alive, ==, 0);
    guint n_live = 0;
    for (guint i = 0; i < f.evs->len; i++)
        n_live += !((FarEv *)g_ptr_array_index(f.evs, i))->cancelled;
    g_assert_cmpuint(f.fired->len, ==, n_live);
    for (guint k = 1; k < f.fired->len; k++) {
        FarEv *a = g_ptr_array_index(f.evs, g_array_index(f.fired, guint,
                                                          k - 1));
        FarEv *b = g_ptr_array_index(f.evs, g_array_index(f.fired, guint, k));
        g_assert_true(a->when < b->when ||
                      (a->when == b->when && a->tag < b->tag));
    }
    sim_evq_free(f.q);
    g_ptr_array_unref(f.evs);
    g_array_unref(f.fired);
}

/* Freed half-way: pending events, in the heap, in buckets and deep in
 * lanes, are destroyed exactly once; the pending count was right. */
static void
test_far_free_midway(void)
{
    Far f;
    far_setup(&f, 7);
    sim_evq_run_until(f.q, SIM_S(60));
    guint fired = f.fired->len, cancelled = 0;
    for (guint i = 0; i < f.evs->len; i++)
        cancelled += ((FarEv *)g_ptr_array_index(f.evs, i))->cancelled;
    g_assert_cmpuint(sim_evq_pending(f.q), ==,
                     f.evs->len - fired - cancelled);
    g_assert_cmpuint(f.alive, ==, f.evs->len - fired - cancelled);
    sim_evq_free(f.q);
    g_assert_cmpuint(f.alive, ==, 0);
    g_ptr_array_unref(f.evs);
    g_array_unref(f.fired);
}

static void
test_destroy_at_free(void)
{
    guint destroyed = 0;
    SimEvq *q = sim_evq_new();
    sim_evq_at(q, 1, noop, &destroyed, count_destroy);
    sim_evq_at(q, 2, noop, &destroyed, count_destroy);
    SimEventId id = sim_evq_at(q, 3, noop, &destroyed, count_destroy);
    sim_evq_cancel(q, id);
    g_assert_cmpuint(destroyed, ==, 1);
    sim_evq_free(q);
    g_assert_cmpuint(destroyed, ==, 3);
}

static void
test_horizon(void)
{
    g_autoptr(SimEvq) q = sim_evq_new();
    for (guint i = 1; i <= 10; i++)
        sim_evq_at(q, SIM_S(i), noop, NULL, NULL);
    g_assert_cmpuint(sim_evq_run_until(q, SIM_S(4)), ==, 4);
    g_assert_cmpuint(sim_evq_now(q), ==, SIM_S(4));
    g_assert_cmpuint(sim_evq_peek_time(q), ==, SIM_S(5));
    g_assert_cmpuint(sim_evq_run_until(q, SIM_S(4) + 999999999), ==, 0);
    g_assert_cmpuint(sim_evq_now(q), ==, SIM_S(4));
    g_assert_cmpuint(sim_evq_run_until(q, SIM_TIME_NEVER), ==, 6);
    g_assert_cmpuint(sim_evq_peek_time(q), ==, SIM_TIME_NEVER);
    g_assert_cmpuint(sim_evq_executed(q), ==, 10);
}

static void
stopper(SimEvq *q, gpointer data)
{
    sim_evq_stop(q);
}

static void
test_stop_and_step(void)
{
    g_autoptr(SimEvq) q = sim_evq_new();
    sim_evq_at(q, 1, noop, NULL, NULL);
    sim_evq_at(q, 2, stopper, NULL, NULL);
    sim_evq_at(q, 3, noop, NULL, NULL);
    sim_evq_at(q, 4, noop, NULL, NULL);
    g_assert_cmpuint(sim_evq_run_until(q, SIM_TIME_NEVER), ==, 2);
    g_assert_cmpuint(sim_evq_now(q), ==, 2);
    g_assert_true(sim_evq_step(q));
    g_assert_cmpuint(sim_evq_now(q), ==, 3);
    /* A new run clears the stop flag. */
    g_assert_cmpuint(sim_evq_run_until(q, SIM_TIME_NEVER), ==, 1);
    g_assert_false(sim_evq_step(q));
}

static void
test_past_is_fatal(void)
{
    if (g_test_subprocess()) {
        SimEvq *q = sim_evq_new();
        sim_evq_at(q, SIM_S(2), noop, NULL, NULL);
        sim_evq_step(q);
        sim_evq_at(q, SIM_S(1), noop, NULL, NULL);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*before now*");
}

/* Determinism: a self-driving random workload (handlers schedule and cancel)
 * hashed over its (time, tag) trace. */
typedef struct {
    SimRng rng;
    SimEvq *q;
    guint64 hash;
    guint remaining;
    SimEventId last;
} Work;

static void
work_fire(SimEvq *q, gpointer data)
{
    Work *w = data;
    w->hash = (w->hash ^ sim_evq_now(q)) * 0x100000001b3ull;
    if (!w->remaining)
        return;
    w->remaining--;
    guint n = 1 + sim_rng_below(&w->rng, 2);
    for (guint i = 0; i < n; i++)
        w->last = sim_evq_after(q, sim_rng_below(&w->rng, 1000), work_fire,
                                w, NULL);
    if (sim_rng_below(&w->rng, 4) == 0)
        sim_evq_cancel(q, w->last);
}

static guint64
work_trace(guint64 seed)
{
    Work w = { .remaining = 50000, .hash = 0xcbf29ce484222325ull };
    g_autoptr(SimEvq) q = sim_evq_new();
    sim_rng_init(&w.rng, seed, 7);
    w.q = q;
    for (guint i = 0; i < 16; i++)
        sim_evq_at(q, i, work_fire, &w, NULL);
    sim_evq_run_until(q, SIM_TIME_NEVER);
    return w.hash ^ sim_evq_executed(q);
}

static void
test_determinism(void)
{
    g_assert_cmpuint(work_trace(1), ==, work_trace(1));
    g_assert_cmpuint(work_trace(2), ==, work_trace(2));
    g_assert_cmpuint(work_trace(1), !=, work_trace(2));
}

/* Random workloads against a reference binary heap keyed by (time, order of
 * scheduling), independent of the queue: handlers schedule and cancel as a
 * simulation does, with delays mixing zero (ties at now), bursts of many
 * near events in random order, exponential and far ones, some through
 * lanes; every event fired must be the reference's minimum, and the
 * pending counts must agree throughout. */
typedef struct {
    SimTime time;
    guint64 seq;
    guint tag;
} HeapRef;

typedef struct {
    SimEvq *q;
    SimRng rng;
    /* Reference min-heap of HeapRef. */
    GArray *heap;
    /* Per tag: the queue's id, and whether it is cancelled or has run. */
    GArray *ids;
    GArray *gone;
    SimEvqLane lanes[4];
    SimTime lane_last[4];
    guint64 seq;
    guint budget;
    guint live;
    guint fired;
    guint mismatches;
    /* Hold model: each event fired schedules one (and one more per
     * pending event it cancels), so the population stays constant and the
     * ladder reaches its steady state: crowded buckets of near events,
     * split buckets, rung 0 remade from top again and again. */
    gboolean hold;
    guint hold_q;
} RefRun;

static gboolean
heapref_less(const HeapRef *a, const HeapRef *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static void
heapref_push(GArray *h, HeapRef x)
{
    g_array_append_val(h, x);
    guint i = h->len - 1;
    while (i > 0) {
        guint p = (i - 1) / 2;
        HeapRef *hp = &g_array_index(h, HeapRef, p);
        if (!heapref_less(&x, hp))
            break;
        g_array_index(h, HeapRef, i) = *hp;
        i = p;
    }
    g_array_index(h, HeapRef, i) = x;
}

static HeapRef
heapref_pop(GArray *h)
{
    HeapRef top = g_array_index(h, HeapRef, 0);
    HeapRef x = g_array_index(h, HeapRef, h->len - 1);
    g_array_set_size(h, h->len - 1);
    guint n = h->len, i = 0;
    if (!n)
        return top;
    for (;;) {
        guint c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && heapref_less(&g_array_index(h, HeapRef, c + 1),
                                      &g_array_index(h, HeapRef, c)))
            c++;
        if (!heapref_less(&g_array_index(h, HeapRef, c), &x))
            break;
        g_array_index(h, HeapRef, i) = g_array_index(h, HeapRef, c);
        i = c;
    }
    g_array_index(h, HeapRef, i) = x;
    return top;
}

static void refrun_fire(SimEvq *q, gpointer data);

static SimTime
refrun_delay(RefRun *r)
{
    if (r->hold) {
        switch (sim_rng_below(&r->rng, 40)) {
        case 0:
            return 0;
        case 1:
        case 2:
            /* Whole microseconds: many ties in one bucket. */
            return SIM_US(sim_rng_below(&r->rng, 2000));
        case 3:
            return SIM_S(1) * (1 + sim_rng_below(&r->rng, 30));
        default:
            return (SimTime)sim_rng_exp(&r->rng, 1e6);
        }
    }
    switch (sim_rng_below(&r->rng, 8)) {
    case 0:
        return 0;
    case 1:
        return sim_rng_below(&r->rng, 3);
    case 2:
        return sim_rng_below(&r->rng, 1000);
    case 3:
        return (SimTime)sim_rng_exp(&r->rng, 1e6);
    case 4:
        return SIM_MS(1) * sim_rng_below(&r->rng, 64);
    case 5:
        return SIM_S(1) * (1 + sim_rng_below(&r->rng, 600));
    case 6:
        return (SimTime)sim_rng_exp(&r->rng, 1e3);
    default:
        return SIM_S(86400) * (1 + sim_rng_below(&r->rng, 3));
    }
}

static void
refrun_add(RefRun *r, SimTime when)
{
    guint tag = r->ids->len;
    guint lane = sim_rng_below(&r->rng, 8);
    SimEventId id;
    if (lane < 4 && when >= r->lane_last[lane]) {
        id = sim_evq_lane_at(r->q, r->lanes[lane], when, refrun_fire,
                             GUINT_TO_POINTER(tag), NULL);
        r->lane_last[lane] = when;
    } else {
        id = sim_evq_at(r->q, when, refrun_fire, GUINT_TO_POINTER(tag), NULL);
    }
    gboolean gone = FALSE;
    g_array_append_val(r->ids, id);
    g_array_append_val(r->gone, gone);
    heapref_push(r->heap, (HeapRef){ when, r->seq++, tag });
    r->live++;
}

static RefRun *refrun_current;

static void
refrun_fire(SimEvq *q, gpointer data)
{
    RefRun *r = refrun_current;
    guint tag = GPOINTER_TO_UINT(data);
    /* The reference's minimum, skipping cancelled entries. */
    HeapRef want;
    do
        want = heapref_pop(r->heap);
    while (g_array_index(r->gone, gboolean, want.tag));
    if (want.tag != tag || want.time != sim_evq_now(q))
        r->mismatches++;
    g_array_index(r->gone, gboolean, tag) = TRUE;
    r->live--;
    r->fired++;
    if (sim_evq_pending(q) != r->live)
        r->mismatches++;
    if (!r->budget)
        return;
    if (r->hold) {
        guint n = 1;
        /* Cancel one event in eight, pending or not; now and then a
         * burst of near events, which the next events replace. */
        if (sim_rng_below(&r->rng, 8) == 0) {
            guint victim = sim_rng_below(&r->rng, r->ids->len);
            gboolean pending = !g_array_index(r->gone, gboolean, victim);
            if (sim_evq_cancel(q, g_array_index(r->ids, SimEventId,
                                                victim)) != pending)
                r->mismatches++;
            if (pending) {
                g_array_index(r->gone, gboolean, victim) = TRUE;
                r->live--;
                n++;
            }
        }
        if (sim_rng_below(&r->rng, 20000) == 0)
            n += 500;
        else if (r->live > r->hold_q && n > 0)
            n--;
        for (guint i = 0; i < n && r->budget; i++, r->budget--)
            refrun_add(r, sim_evq_now(q) + refrun_delay(r));
        return;
    }
    guint n = sim_rng_below(&r->rng, 4);
    if (sim_rng_below(&r->rng, 500) == 0)
        n = 300 + sim_rng_below(&r->rng, 700); /* a burst */
    for (guint i = 0; i < n && r->budget; i++, r->budget--)
        refrun_add(r, sim_evq_now(q) + refrun_delay(r));
    /* Cancel one event in four (any tag, pending or not), now and then
     * thousands at once, so that compaction runs with events in every
     * part of the queue. */
    guint cancels = sim_rng_below(&r->rng, 4) == 0;
    if (sim_rng_below(&r->rng, 3000) == 0)
        cancels = 3000;
    for (guint c = 0; c < cancels; c++) {
        guint victim = cancels == 1
                           ? sim_rng_below(&r->rng, r->ids->len)
                           : r->ids->len - 1 -
                                 sim_rng_below(&r->rng,
                                               MIN(r->ids->len, 4000));
        gboolean pending = !g_array_index(r->gone, gboolean, victim);
        if (sim_evq_cancel(q, g_array_index(r->ids, SimEventId, victim)) !=
            pending)
            r->mismatches++;
        if (pending) {
            g_array_index(r->gone, gboolean, victim) = TRUE;
            r->live--;
        }
    }
}

/* With @purge, nine pending events in ten are cancelled after the first
 * thousand steps (events are then in every part of the queue, so the
 * compaction that follows sees them all). */
static void
refrun_mode(guint64 seed, guint initial, guint budget, gboolean purge,
            gboolean hold)
{
    RefRun r = { .q = sim_evq_new(),
                 .heap = g_array_new(FALSE, FALSE, sizeof(HeapRef)),
                 .ids = g_array_new(FALSE, FALSE, sizeof(SimEventId)),
                 .gone = g_array_new(FALSE, FALSE, sizeof(gboolean)),
                 .budget = budget,
                 .hold = hold,
                 .hold_q = initial };
    sim_rng_init(&r.rng, seed, 11);
    refrun_current = &r;
    for (guint i = 0; i < 4; i++)
        r.lanes[i] = sim_evq_lane_new(r.q);
    for (guint i = 0; i < initial; i++)
        refrun_add(&r, refrun_delay(&r));
    /* Part of the run in single steps, with peeks, the rest at once. */
    for (guint i = 0; i < 1000; i++) {
        SimTime next = sim_evq_peek_time(r.q);
        if (!sim_evq_step(r.q))
            break;
        g_assert_cmpuint(sim_evq_now(r.q), ==, next);
    }
    for (guint tag = 0; purge && tag < r.ids->len; tag++) {
        if (g_array_index(r.gone, gboolean, tag) ||
            sim_rng_below(&r.rng, 10) == 0)
            continue;
        g_assert_true(sim_evq_cancel(r.q, g_array_index(r.ids, SimEventId,
                                                        tag)));
        g_array_index(r.gone, gboolean, tag) = TRUE;
        r.live--;
    }
    g_assert_cmpuint(sim_evq_pending(r.q), ==, r.live);
    sim_evq_run_until(r.q, SIM_TIME_NEVER);
    g_assert_cmpuint(r.mismatches, ==, 0);
    g_assert_cmpuint(r.live, ==, 0);
    g_assert_cmpuint(sim_evq_pending(r.q), ==, 0);
    g_assert_cmpuint(sim_evq_executed(r.q), ==, r.fired);
    g_assert_cmpuint(r.fired, >, purge ? 1000 : budget / 2);
    sim_evq_free(r.q);
    g_array_free(r.heap, TRUE);
    g_array_free(r.ids, TRUE);
    g_array_free(r.gone, TRUE);
}

static void
refrun(guint64 seed, guint initial, guint budget, gboolean purge)
{
    refrun_mode(seed, initial, budget, purge, FALSE);
}

/* The hold model of the benchmark, with ties, cancels, lanes, far timers
 * and bursts, at sizes where rung 0 holds several events per bucket and
 * crowded buckets are split. */
static void
test_hold_against_heap(void)
{
    refrun_mode(5, 3000, 300000, FALSE, TRUE);
    refrun_mode(6, 30000, 300000, FALSE, TRUE);
    refrun_mode(7, 30000, 60000, TRUE, TRUE);
}

static void
test_against_heap(void)
{
    refrun(1, 10, 50000, FALSE);
    refrun(2, 1000, 100000, FALSE);
    refrun(3, 20000, 100000, FALSE);
    refrun(4, 20000, 20000, TRUE);
}

/* Many events at one time, in one bucket that no width can split: FIFO. */
static void
test_ties_unsplittable(void)
{
    g_autoptr(SimEvq) q = sim_evq_new();
    Log log = { g_array_new(FALSE, FALSE, sizeof(guint)), q };
    enum { N = 5000 };
    Ev *ev = g_new(Ev, N);
    for (guint i = 0; i < N; i++) {
        ev[i] = (Ev){ &log, i, 0, NULL };
        sim_evq_at(q, i % 3 ? SIM_S(7) : SIM_S(7) + 1, ev_fire, &ev[i], NULL);
    }
    g_assert_cmpuint(sim_evq_run_until(q, SIM_TIME_NEVER), ==, N);
    guint k = 0;
    for (guint i = 0; i < N; i++)
        if (i % 3)
            g_assert_cmpuint(g_array_index(log.fired, guint, k++), ==, i);
    for (guint i = 0; i < N; i += 3)
        g_assert_cmpuint(g_array_index(log.fired, guint, k++), ==, i);
    g_free(ev);
    g_array_free(log.fired, TRUE);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("Event queue: (time, sequence) order with FIFO ties "
                   "against a reference model, cancellation in every "
                   "situation, destroy exactly once, horizon, stop, step, "
                   "scheduling in the past, determinism.");
    g_test_set_nonfatal_assertions();
    g_test_add_func("/evq/order/fifo-on-tie", test_fifo_on_tie);
    g_test_add_func("/evq/order/reference-model", test_against_reference);
    g_test_add_func("/evq/order/zero-delay-from-handler",
                    test_zero_delay_from_handler);
    g_test_add_func("/evq/cancel/pending", test_cancel_pending);
    g_test_add_func("/evq/cancel/after-run", test_cancel_after_run);
    g_test_add_func("/evq/cancel/stale-id", test_cancel_stale_id);
    g_test_add_func("/evq/cancel/from-handler", test_cancel_from_handler);
    g_test_add_func("/evq/cancel/self", test_cancel_self);
    g_test_add_func("/evq/cancel/compaction", test_cancel_compaction);
    g_test_add_func("/evq/order/far-events", test_far_events);
    g_test_add_func("/evq/order/against-heap", test_against_heap);
    g_test_add_func("/evq/order/hold-against-heap", test_hold_against_heap);
    g_test_add_func("/evq/order/ties-unsplittable", test_ties_unsplittable);
    g_test_add_func("/evq/destroy/far-free-midway", test_far_free_midway);
    g_test_add_func("/evq/destroy/at-free", test_destroy_at_free);
    g_test_add_func("/evq/run/horizon", test_horizon);
    g_test_add_func("/evq/run/stop-and-step", test_stop_and_step);
    g_test_add_func("/evq/run/past-is-fatal", test_past_is_fatal);
    g_test_add_func("/evq/determinism/trace-hash", test_determinism);
    return g_test_run();
}
