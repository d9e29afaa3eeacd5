/* SPDX-License-Identifier: MIT */
/*
 * Event queue: a 4-ary min-heap of 16-byte entries (time, key) laid out so
 * that the four children of a node share one 64-byte cache line, plus a slab
 * of event records recycled through a free list, so the hot path never
 * allocates.  The key packs the insertion sequence (high 40 bits) above the
 * slab slot (low 24 bits): comparing (time, key) orders by (time, sequence),
 * which makes equal-time events FIFO, and the key doubles as the event id.
 * Cancel releases the record at once and leaves the entry, which no longer
 * matches its slot's key, to be skipped when it surfaces; entries are
 * compacted when dead ones outnumber live ones.
 *
 * Far events stay out of the heap: time is cut into buckets of
 * 2^EVQ_BUCKET_SHIFT ns, the heap holds every event of the buckets up to
 * hb, and an event of a later bucket is appended to that bucket's vector
 * (a ring of EVQ_NBUCKETS, beyond it an overflow vector).  Before the heap's
 * root is taken, the next bucket is poured into the heap whenever the root
 * is not earlier than that bucket's start, so the root is always the
 * earliest event and the (time, sequence) order is exactly the one a single
 * heap gives; timers that are cancelled before their bucket comes (most
 * protocol timers) never enter the heap, and the heap stays small.
 *
 * Lanes carry the bulk of the near events: a model whose events come in
 * non-decreasing time order (the packets of one transmit queue, the jobs of
 * one CPU) appends them to a lane, a FIFO ring of which only the head is in
 * the heap.  When the head fires, the lane's next entry replaces it at the
 * root.  Lane entries get their sequence numbers like any other, so the
 * merged order is again exactly (time, sequence).  A cancelled lane event
 * keeps its record, without handler, until it reaches the front.
 */
#define G_LOG_DOMAIN "sim-evq"

#include "sim/evq.h"

#include <stdlib.h>
#include <string.h>

#define EVQ_SLOT_BITS 24
#define EVQ_SLOT_MASK ((1ull << EVQ_SLOT_BITS) - 1)
#define EVQ_MAX_SLOTS (1u << EVQ_SLOT_BITS)
#define EVQ_MAX_SEQ ((1ull << (64 - EVQ_SLOT_BITS)) - 1)
#define EVQ_ARITY 4
#define EVQ_LINE 64
/* Heaps larger than this (1 MiB of entries) outgrow the L2 cache; only
 * then does prefetching the next level pay for itself. */
#define EVQ_PREFETCH_MIN 65536
/* Buckets of far events: 2^24 ns (16.8 ms) each, a ring of 8192 (137 s). */
#define EVQ_BUCKET_SHIFT 24
#define EVQ_NBUCKETS 8192

/* One heap entry: time in the high 64 bits, key in the low 64 bits, so
 * that one unsigned 128-bit comparison orders by (time, sequence). */
typedef unsigned __int128 EvqEntry;

#define EVQ_ENTRY(time, key) (((EvqEntry)(time) << 64) | (key))
#define EVQ_TIME(e) ((SimTime)((e) >> 64))
#define EVQ_KEY(e) ((guint64)(e))

/* A FIFO lane: entries in (time, sequence) order; the first is also in
 * the heap while the lane is not empty. */
typedef struct {
    /* Ring of entries, cap a power of two. */
    EvqEntry *ring;
    guint head;
    guint len;
    guint cap;
    /* Time of the last entry appended. */
    SimTime last;
} EvqLane;

/* One scheduled event's payload. */
typedef struct {
    /* Handler. */
    SimEventFunc func;
    /* Handler argument. */
    gpointer data;
    /* Called exactly once on data: after firing, on cancel or at free. */
    GDestroyNotify destroy;
    /* Key of the event occupying the slot; 0 when the slot is free.  An
     * entry whose key differs from its slot's is dead (run or cancelled). */
    guint64 key;
    /* (nullable): the lane of a lane event (whose record stays, with a
     * NULL func, when it is cancelled). */
    EvqLane *lane;
} EvqSlot;

/* A growable vector of entries (one bucket of far events). */
typedef struct {
    EvqEntry *v;
    guint n;
    guint cap;
} EvqVec;

struct _SimEvq {
    /* Heap array; heap[1] is cache-line aligned (see evq_heap_reserve). */
    EvqEntry *heap;
    /* The allocation behind heap. */
    void *heap_mem;
    /* Entries in the heap, dead ones included. */
    guint n;
    /* Capacity of heap. */
    guint cap;
    /* Entries, in the heap or in buckets, whose event was cancelled. */
    guint dead;
    /* Absolute number of the last bucket whose events are in the heap;
     * every later event waits in far (within EVQ_NBUCKETS buckets of hb)
     * or in overflow. */
    guint64 hb;
    /* Ring of far buckets, indexed by bucket number % EVQ_NBUCKETS. */
    EvqVec *far;
    /* Events beyond the ring. */
    EvqVec overflow;
    /* Entries in far and overflow, dead ones included. */
    guint far_n;
    /* Every lane (owned), entries of lanes that are not in the heap, and
     * cancelled lane events not yet reached. */
    GPtrArray *lanes;
    guint lane_tail_n;
    guint lane_dead;
    /* Event records, indexed by slot. */
    EvqSlot *slots;
    /* Slots ever created. */
    guint nslots;
    /* Capacity of slots and free_slots. */
    guint slots_cap;
    /* Stack of free slot indices. */
    guint32 *free_slots;
    /* Entries in free_slots. */
    guint nfree;
    /* Next insertion sequence number (starts at 1, so ids are never 0). */
    guint64 seq;
    /* Current simulated time. */
    SimTime now;
    /* Events executed since creation. */
    guint64 executed;
    /* Set by sim_evq_stop, cleared when a run starts. */
    gboolean stopped;
};

/*
 * Grows the heap so that it holds at least want entries.  The array is
 * offset by 48 bytes from a 64-byte boundary so that the children of node i,
 * heap[4i+1 .. 4i+4], always start on a cache line.
 */
static void
evq_heap_reserve(SimEvq *q, guint want)
{
    guint cap = q->cap ? q->cap : 64;
    void *mem;

    while (cap < want)
        cap *= 2;
    if (cap == q->cap)
        return;
    if (posix_memalign(&mem, EVQ_LINE, (gsize)(cap + 4) * sizeof(EvqEntry)))
        g_error("evq: out of memory for %u events", cap);
    EvqEntry *heap = (EvqEntry *)((char *)mem + EVQ_LINE - sizeof(EvqEntry));
    if (q->n)
        memcpy(heap, q->heap, (gsize)q->n * sizeof(EvqEntry));
    free(q->heap_mem);
    q->heap_mem = mem;
    q->heap = heap;
    q->cap = cap;
}

static inline void
evq_sift_up(EvqEntry *h, guint i, EvqEntry x)
{
    while (i > 0) {
        guint p = (i - 1) / EVQ_ARITY;
        if (h[p] <= x)
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = x;
}

/* Index of the smallest of the children c .. min(c + 3, n - 1). */
static inline guint
evq_min_child(const EvqEntry *h, guint c, guint n)
{
    if (G_LIKELY(c + 3 < n)) {
        guint a = h[c + 1] < h[c] ? c + 1 : c;
        guint b = h[c + 3] < h[c + 2] ? c + 3 : c + 2;
        return h[b] < h[a] ? b : a;
    }
    guint m = c;
    for (guint j = c + 1; j < n; j++)
        if (h[j] < h[m])
            m = j;
    return m;
}

/*
 * Fills the hole at i with x (Floyd's bottom-up variant): the hole first
 * walks down along smallest children to a leaf without comparing against
 * x, then x rises from there.  The element placed is usually the former
 * last leaf, which belongs near the bottom, so this saves a comparison per
 * level over the classic top-down loop.  With @prefetch, the four cache
 * lines of the level below next are requested while this level's minimum
 * is found (worth it only once the heap outgrows the caches).
 */
static inline __attribute__((always_inline)) void
evq_sift_down_impl(EvqEntry *h, guint n, guint i, EvqEntry x,
                   gboolean prefetch)
{
    for (;;) {
        guint c = EVQ_ARITY * i + 1;
        if (c >= n)
            break;
        if (prefetch) {
            guint g = EVQ_ARITY * c + 1;
            if (g < n) {
                __builtin_prefetch(&h[g]);
                __builtin_prefetch(&h[g + 4]);
                __builtin_prefetch(&h[g + 8]);
                __builtin_prefetch(&h[g + 12]);
            }
        }
        guint m = evq_min_child(h, c, n);
        h[i] = h[m];
        i = m;
    }
    evq_sift_up(h, i, x);
}

static void
evq_sift_down_small(EvqEntry *h, guint n, guint i, EvqEntry x)
{
    evq_sift_down_impl(h, n, i, x, FALSE);
}

static void
evq_sift_down_large(EvqEntry *h, guint n, guint i, EvqEntry x)
{
    evq_sift_down_impl(h, n, i, x, TRUE);
}

/* Classic top-down sift, for heapify (where x is usually small). */
static void
evq_sift_down_topdown(EvqEntry *h, guint n, guint i, EvqEntry x)
{
    for (;;) {
        guint c = EVQ_ARITY * i + 1;
        if (c >= n)
            break;
        guint m = evq_min_child(h, c, n);
        if (x <= h[m])
            break;
        h[i] = h[m];
        i = m;
    }
    h[i] = x;
}

/* Removes the root entry; the caller has read it. */
static inline void
evq_pop_root(SimEvq *q)
{
    guint n = --q->n;
    if (n > EVQ_PREFETCH_MIN) {
        evq_sift_down_large(q->heap, n, 0, q->heap[n]);
        /* The new root's record is needed next: start loading it now. */
        __builtin_prefetch(&q->slots[EVQ_KEY(q->heap[0]) & EVQ_SLOT_MASK]);
    } else if (n > 0) {
        evq_sift_down_small(q->heap, n, 0, q->heap[n]);
    }
}

static inline void
evq_slot_release(SimEvq *q, guint32 slot)
{
    q->slots[slot].key = 0;
    q->free_slots[q->nfree++] = slot;
}

static guint32
evq_slot_take(SimEvq *q)
{
    if (q->nfree)
        return q->free_slots[--q->nfree];
    if (q->nslots == EVQ_MAX_SLOTS)
        g_error("evq: more than %u pending events", EVQ_MAX_SLOTS);
    if (q->nslots == q->slots_cap) {
        q->slots_cap = q->slots_cap ? q->slots_cap * 2 : 64;
        q->slots = g_renew(EvqSlot, q->slots, q->slots_cap);
        q->free_slots = g_renew(guint32, q->free_slots, q->slots_cap);
    }
    return q->nslots++;
}

/* TRUE while entry @e holds a record: its event is pending or, for a lane
 * event, cancelled but not yet reached. */
static inline gboolean
evq_present(const SimEvq *q, EvqEntry e)
{
    return q->slots[EVQ_KEY(e) & EVQ_SLOT_MASK].key == EVQ_KEY(e);
}

/* TRUE while the event of entry @e is pending. */
static inline gboolean
evq_live(const SimEvq *q, EvqEntry e)
{
    const EvqSlot *s = &q->slots[EVQ_KEY(e) & EVQ_SLOT_MASK];
    return s->key == EVQ_KEY(e) && s->func;
}

/* Drops the dead entries of @v; returns how many went. */
static guint
evq_vec_filter(const SimEvq *q, EvqVec *v)
{
    guint live = 0;
    for (guint i = 0; i < v->n; i++)
        if (evq_present(q, v->v[i]))
            v->v[live++] = v->v[i];
    guint gone = v->n - live;
    v->n = live;
    return gone;
}

static void
evq_vec_push(EvqVec *v, EvqEntry e)
{
    if (G_UNLIKELY(v->n == v->cap)) {
        v->cap = v->cap ? 2 * v->cap : 16;
        v->v = g_renew(EvqEntry, v->v, v->cap);
    }
    v->v[v->n++] = e;
}

/* Drops dead entries everywhere and rebuilds the heap in O(n). */
static void
evq_compact(SimEvq *q)
{
    EvqVec heap = { q->heap, q->n, q->cap };
    evq_vec_filter(q, &heap);
    q->n = heap.n;
    for (guint i = q->n; i-- > 0;)
        evq_sift_down_topdown(q->heap, q->n, i, q->heap[i]);
    for (guint b = 0; q->far_n && b < EVQ_NBUCKETS; b++)
        q->far_n -= evq_vec_filter(q, &q->far[b]);
    q->far_n -= evq_vec_filter(q, &q->overflow);
    q->dead = 0;
}

/* Adds @e, of a bucket after hb, to its bucket or to the overflow. */
static void
evq_push_far(SimEvq *q, EvqEntry e)
{
    guint64 b = EVQ_TIME(e) >> EVQ_BUCKET_SHIFT;
    if (b - q->hb < EVQ_NBUCKETS)
        evq_vec_push(&q->far[b % EVQ_NBUCKETS], e);
    else
        evq_vec_push(&q->overflow, e);
    q->far_n++;
}

/* Adds @e to the heap. */
static inline void
evq_heap_push(SimEvq *q, EvqEntry e)
{
    if (G_UNLIKELY(q->n == q->cap))
        evq_heap_reserve(q, q->n + 1);
    evq_sift_up(q->heap, q->n++, e);
}

/* Moves the overflow entries that now fall within the ring into it. */
static void
evq_overflow_to_ring(SimEvq *q)
{
    EvqVec *o = &q->overflow;
    guint keep = 0;
    for (guint i = 0; i < o->n; i++) {
        guint64 b = EVQ_TIME(o->v[i]) >> EVQ_BUCKET_SHIFT;
        if (b - q->hb < EVQ_NBUCKETS)
            evq_vec_push(&q->far[b % EVQ_NBUCKETS], o->v[i]);
        else
            o->v[keep++] = o->v[i];
    }
    o->n = keep;
}

/* With the heap and the ring empty: moves hb to just before the earliest
 * overflow bucket, so that it is reached without stepping through empty
 * ones, and pours what now fits into the ring. */
static void
evq_skip_to_overflow(SimEvq *q)
{
    guint64 first = G_MAXUINT64;
    for (guint i = 0; i < q->overflow.n; i++)
        first = MIN(first, EVQ_TIME(q->overflow.v[i]) >> EVQ_BUCKET_SHIFT);
    q->hb = first - 1;
    evq_overflow_to_ring(q);
}

/* Brings the next bucket into the heap (its dead entries are dropped) and
 * frees its vector, so idle buckets hold no memory. */
static void
evq_next_bucket(SimEvq *q)
{
    if (!q->n && q->far_n == q->overflow.n)
        evq_skip_to_overflow(q);
    q->hb++;
    if (q->hb % EVQ_NBUCKETS == 0 && q->overflow.n)
        evq_overflow_to_ring(q);
    EvqVec *v = &q->far[q->hb % EVQ_NBUCKETS];
    if (!v->n)
        return;
    for (guint i = 0; i < v->n; i++) {
        if (evq_present(q, v->v[i]))
            evq_heap_push(q, v->v[i]);
        else
            q->dead--;
    }
    q->far_n -= v->n;
    g_clear_pointer(&v->v, g_free);
    v->n = v->cap = 0;
}

/**
 * sim_evq_new:
 *
 * Creates an empty queue whose clock reads 0.
 *
 * Returns: (transfer full): the queue; free with sim_evq_free().
 */
SimEvq *
sim_evq_new(void)
{
    SimEvq *q = g_new0(SimEvq, 1);
    q->seq = 1;
    q->far = g_new0(EvqVec, EVQ_NBUCKETS);
    q->lanes = g_ptr_array_new();
    evq_heap_reserve(q, 64);
    return q;
}

/* Calls the destroy function of every pending event of @v. */
static void
evq_vec_destroy(SimEvq *q, const EvqEntry *v, guint n)
{
    for (guint i = 0; i < n; i++) {
        EvqSlot *s = &q->slots[EVQ_KEY(v[i]) & EVQ_SLOT_MASK];
        if (s->key == EVQ_KEY(v[i]) && s->func && s->destroy)
            s->destroy(s->data);
    }
}

/* Calls the destroy function of every pending event of @lane but its
 * head (which is in the heap), and frees the lane. */
static void
evq_lane_free(SimEvq *q, EvqLane *lane)
{
    for (guint i = 1; i < lane->len; i++) {
        EvqEntry e = lane->ring[(lane->head + i) & (lane->cap - 1)];
        evq_vec_destroy(q, &e, 1);
    }
    g_free(lane->ring);
    g_free(lane);
}

/**
 * sim_evq_free:
 * @q: (nullable): a queue
 *
 * Frees the queue, calling the destroy function of every pending event.
 */
void
sim_evq_free(SimEvq *q)
{
    if (!q)
        return;
    evq_vec_destroy(q, q->heap, q->n);
    for (guint b = 0; b < EVQ_NBUCKETS; b++) {
        evq_vec_destroy(q, q->far[b].v, q->far[b].n);
        g_free(q->far[b].v);
    }
    evq_vec_destroy(q, q->overflow.v, q->overflow.n);
    g_free(q->overflow.v);
    for (guint i = 0; i < q->lanes->len; i++)
        evq_lane_free(q, g_ptr_array_index(q->lanes, i));
    g_ptr_array_unref(q->lanes);
    g_free(q->far);
    free(q->heap_mem);
    g_free(q->slots);
    g_free(q->free_slots);
    g_free(q);
}

/* Checks @when, takes a slot and the next sequence number and fills the
 * event's record; returns its key. */
static inline guint64
evq_record(SimEvq *q, SimTime when, SimEventFunc func, gpointer data,
           GDestroyNotify destroy, EvqLane *lane)
{
    if (G_UNLIKELY(when < q->now))
        g_error("evq: event scheduled at %" G_GUINT64_FORMAT
                " ns, before now (%" G_GUINT64_FORMAT " ns)",
                when, q->now);
    if (G_UNLIKELY(q->seq > EVQ_MAX_SEQ))
        g_error("evq: insertion sequence exhausted");
    guint32 slot = evq_slot_take(q);
    guint64 key = (q->seq++ << EVQ_SLOT_BITS) | slot;
    EvqSlot *s = &q->slots[slot];
    s->func = func;
    s->data = data;
    s->destroy = destroy;
    s->key = key;
    s->lane = lane;
    return key;
}

/**
 * sim_evq_at:
 * @q: a queue
 * @when: absolute time, not before sim_evq_now()
 * @func: the handler
 * @data: (nullable): handler argument
 * @destroy: (nullable): called on @data exactly once, after the handler ran,
 *   when the event is cancelled, or when the queue is freed
 *
 * Schedules @func at @when.  Events at equal times run in the order they
 * were scheduled.  Scheduling in the past is a programming error.
 *
 * Returns: the event's id, never 0.
 */
SimEventId
sim_evq_at(SimEvq *q, SimTime when, SimEventFunc func, gpointer data,
           GDestroyNotify destroy)
{
    g_return_val_if_fail(q != NULL && func != NULL, 0);
    guint64 key = evq_record(q, when, func, data, destroy, NULL);
    if (G_LIKELY(when >> EVQ_BUCKET_SHIFT <= q->hb))
        evq_heap_push(q, EVQ_ENTRY(when, key));
    else
        evq_push_far(q, EVQ_ENTRY(when, key));
    return key;
}

/**
 * sim_evq_after:
 * @q: a queue
 * @delay: nanoseconds from now
 * @func: the handler
 * @data: (nullable): handler argument
 * @destroy: (nullable): as for sim_evq_at()
 *
 * Schedules @func at now + @delay.
 *
 * Returns: the event's id, never 0.
 */
SimEventId
sim_evq_after(SimEvq *q, SimTime delay, SimEventFunc func, gpointer data,
              GDestroyNotify destroy)
{
    g_return_val_if_fail(q != NULL, 0);
    if (G_UNLIKELY(delay > SIM_TIME_NEVER - q->now))
        g_error("evq: delay %" G_GUINT64_FORMAT " ns overflows the clock",
                delay);
    return sim_evq_at(q, q->now + delay, func, data, destroy);
}

/**
 * sim_evq_lane_new:
 * @q: a queue
 *
 * Creates a lane: a FIFO stream for events scheduled in non-decreasing
 * time order, such as the packets of one link.  A lane is a number, so a
 * caller that outlives its queue holds nothing dangling: with another
 * queue the number names some other lane or none, which only costs speed.
 *
 * Returns: the lane's number (never 0), valid while @q lives.
 */
SimEvqLane
sim_evq_lane_new(SimEvq *q)
{
    g_return_val_if_fail(q != NULL, 0);
    g_ptr_array_add(q->lanes, g_new0(EvqLane, 1));
    return q->lanes->len;
}

static void
evq_lane_grow(EvqLane *lane)
{
    guint cap = lane->cap ? 2 * lane->cap : 16;
    EvqEntry *ring = g_new(EvqEntry, cap);
    for (guint i = 0; i < lane->len; i++)
        ring[i] = lane->ring[(lane->head + i) & (lane->cap - 1)];
    g_free(lane->ring);
    lane->ring = ring;
    lane->head = 0;
    lane->cap = cap;
}

/**
 * sim_evq_lane_at:
 * @q: a queue
 * @lane_id: one of its lanes (another number falls back to sim_evq_at)
 * @when: absolute time, not before sim_evq_now()
 * @func: the handler
 * @data: (nullable): handler argument
 * @destroy: (nullable): as for sim_evq_at()
 *
 * Schedules @func at @when like sim_evq_at(), with the same ordering: the
 * lane only makes it cheaper.  An event earlier than the lane's last one
 * is scheduled as sim_evq_at() would.
 *
 * Returns: the event's id, never 0.
 */
SimEventId
sim_evq_lane_at(SimEvq *q, SimEvqLane lane_id, SimTime when,
                SimEventFunc func, gpointer data, GDestroyNotify destroy)
{
    g_return_val_if_fail(q != NULL && func != NULL, 0);
    if (G_UNLIKELY(lane_id == 0 || lane_id > q->lanes->len))
        return sim_evq_at(q, when, func, data, destroy);
    EvqLane *lane = g_ptr_array_index(q->lanes, lane_id - 1);
    if (G_UNLIKELY(when < lane->last))
        return sim_evq_at(q, when, func, data, destroy);
    guint64 key = evq_record(q, when, func, data, destroy, lane);
    if (G_UNLIKELY(lane->len == lane->cap))
        evq_lane_grow(lane);
    lane->ring[(lane->head + lane->len) & (lane->cap - 1)] =
        EVQ_ENTRY(when, key);
    if (lane->len++)
        q->lane_tail_n++;
    else
        evq_heap_push(q, EVQ_ENTRY(when, key));
    lane->last = when;
    return key;
}

/**
 * sim_evq_cancel:
 * @q: a queue
 * @id: an id returned by sim_evq_at() or sim_evq_after(), or 0
 *
 * Cancels a pending event in O(1) and runs its destroy function.  May be
 * called from any handler, including the event's own.
 *
 * Returns: %TRUE if the event was pending; %FALSE if it already ran, was
 *   already cancelled, or @id is 0.
 */
gboolean
sim_evq_cancel(SimEvq *q, SimEventId id)
{
    g_return_val_if_fail(q != NULL, FALSE);
    guint32 slot = id & EVQ_SLOT_MASK;
    if (id == 0 || slot >= q->nslots)
        return FALSE;
    EvqSlot *s = &q->slots[slot];
    if (s->key != id || !s->func)
        return FALSE;
    GDestroyNotify destroy = s->destroy;
    gpointer data = s->data;
    s->func = NULL;
    s->data = NULL;
    s->destroy = NULL;
    if (s->lane) {
        /* The record stays until the entry reaches its lane's front. */
        q->lane_dead++;
    } else {
        evq_slot_release(q, slot);
        q->dead++;
    }
    if (destroy)
        destroy(data);
    if (q->dead > 1024 && q->dead > (q->n + q->far_n) / 2)
        evq_compact(q);
    return TRUE;
}

/**
 * sim_evq_now:
 * @q: a queue
 *
 * Returns: the current time: that of the event running or last run.
 */
SimTime
sim_evq_now(const SimEvq *q)
{
    return q->now;
}

/* Removes the root, the front entry of @lane: the lane's next entry, if
 * any, takes its place in the heap. */
static void
evq_lane_pop(SimEvq *q, EvqLane *lane)
{
    lane->head = (lane->head + 1) & (lane->cap - 1);
    if (--lane->len == 0) {
        evq_pop_root(q);
        return;
    }
    q->lane_tail_n--;
    evq_sift_down_small(q->heap, q->n, 0, lane->ring[lane->head]);
}

/* Removes the root, whose event is cancelled. */
static void
evq_drop_root(SimEvq *q)
{
    guint32 slot = EVQ_KEY(q->heap[0]) & EVQ_SLOT_MASK;
    EvqSlot *s = &q->slots[slot];
    if (s->key != EVQ_KEY(q->heap[0])) {
        evq_pop_root(q);
        q->dead--;
        return;
    }
    /* A cancelled lane event, reached at last. */
    evq_lane_pop(q, s->lane);
    evq_slot_release(q, slot);
    q->lane_dead--;
}

/* The slow path of evq_settle. */
static void
evq_settle_slow(SimEvq *q)
{
    for (;;) {
        if (q->n && G_UNLIKELY(!evq_live(q, q->heap[0]))) {
            evq_drop_root(q);
            continue;
        }
        if (!q->far_n ||
            (q->n && EVQ_TIME(q->heap[0]) >> EVQ_BUCKET_SHIFT <= q->hb))
            return;
        evq_next_bucket(q);
    }
}

/* Makes the heap's root, if any, the earliest pending event: drops dead
 * entries from the front and brings in the next bucket while the root is
 * not before its start. */
static inline void
evq_settle(SimEvq *q)
{
    if (G_LIKELY(q->n && evq_live(q, q->heap[0]) &&
                 (!q->far_n ||
                  EVQ_TIME(q->heap[0]) >> EVQ_BUCKET_SHIFT <= q->hb)))
        return;
    evq_settle_slow(q);
}

/**
 * sim_evq_peek_time:
 * @q: a queue
 *
 * Returns: the time of the next pending event, or %SIM_TIME_NEVER.
 */
SimTime
sim_evq_peek_time(SimEvq *q)
{
    evq_settle(q);
    return q->n ? EVQ_TIME(q->heap[0]) : SIM_TIME_NEVER;
}

/**
 * sim_evq_pending:
 * @q: a queue
 *
 * Returns: the number of events scheduled and neither run nor cancelled.
 */
guint
sim_evq_pending(const SimEvq *q)
{
    return q->n + q->far_n + q->lane_tail_n - q->dead - q->lane_dead;
}

/**
 * sim_evq_executed:
 * @q: a queue
 *
 * Returns: the number of events run since the queue was created.
 */
guint64
sim_evq_executed(const SimEvq *q)
{
    return q->executed;
}

/* Pops the (live) root and runs it. */
static inline void
evq_fire_root(SimEvq *q)
{
    EvqEntry top = q->heap[0];
    guint32 slot = EVQ_KEY(top) & EVQ_SLOT_MASK;
    EvqSlot *s = &q->slots[slot];
    SimEventFunc func = s->func;
    gpointer data = s->data;
    GDestroyNotify destroy = s->destroy;

    if (s->lane)
        evq_lane_pop(q, s->lane);
    else
        evq_pop_root(q);
    evq_slot_release(q, slot);
    q->now = EVQ_TIME(top);
    q->executed++;
    func(q, data);
    if (destroy)
        destroy(data);
}

/**
 * sim_evq_step:
 * @q: a queue
 *
 * Runs exactly one event, advancing the clock to its time.
 *
 * Returns: %TRUE if an event ran, %FALSE if none was pending.
 */
gboolean
sim_evq_step(SimEvq *q)
{
    g_return_val_if_fail(q != NULL, FALSE);
    evq_settle(q);
    if (!q->n)
        return FALSE;
    evq_fire_root(q);
    return TRUE;
}

/**
 * sim_evq_run_until:
 * @q: a queue
 * @horizon: last time at which events run (inclusive)
 *
 * Runs events in (time, sequence) order until none is left at or before
 * @horizon, or a handler calls sim_evq_stop().  The clock is left at the
 * time of the last event run.
 *
 * Returns: the number of events run.
 */
guint64
sim_evq_run_until(SimEvq *q, SimTime horizon)
{
    g_return_val_if_fail(q != NULL, 0);
    guint64 before = q->executed;

    q->stopped = FALSE;
    while (!q->stopped) {
        evq_settle(q);
        if (!q->n || EVQ_TIME(q->heap[0]) > horizon)
            break;
        evq_fire_root(q);
    }
    return q->executed - before;
}

/**
 * sim_evq_stop:
 * @q: a queue
 *
 * Makes the running sim_evq_run_until() return after the current event.
 */
void
sim_evq_stop(SimEvq *q)
{
    g_return_if_fail(q != NULL);
    q->stopped = TRUE;
}
