/* SPDX-License-Identifier: MIT */
/*
 * Event queue: a ladder queue (Tang, Goh and Thng, "Ladder queue: an O(1)
 * priority queue structure for large-scale discrete event simulation",
 * ACM TOMACS 15(3), 2005) over a slab of event records recycled through a
 * free list, so the hot path never allocates.
 *
 * Order.  Every event has a key that packs its insertion sequence (high 40
 * bits) above its slab slot (low 24 bits); an entry is (time, key) in one
 * unsigned 128-bit number, so comparing entries orders by (time, sequence):
 * equal-time events run first-in first-out and the key doubles as the
 * event's id.
 *
 * The ladder has three parts, each holding events later than the one
 * below it:
 * - top: an unsorted list of the far events, every one at or after
 *   top_start, with its minimum and maximum time;
 * - rungs: up to EVQ_RUNGS arrays of buckets, each an unsorted list.
 *   Bucket widths are powers of two, so a bucket is found with a shift.
 *   Rung 0 is made from top when everything below it is empty; a bucket
 *   with more than EVQ_THRES events becomes the next rung down, with about
 *   one bucket per event, splitting its width;
 * - bottom: a small sorted array of the events earlier than the current
 *   bucket of the lowest rung, filled from that bucket when it runs dry.
 * An event is inserted in the part whose range holds its time: top, the
 * highest rung whose current bucket does not start after it, else bottom
 * (by insertion from the end, so an event at the current time is one
 * comparison).  The front is bottom's first entry.  Each event is moved a
 * bounded number of times (at most once per rung), so insertion and
 * removal are O(1) amortised whatever the distribution of times; the lists
 * are linked through a dense array of 32-bit links indexed by slot, beside
 * a dense array of the slots' entries, so that moving a list reads 20
 * bytes per event and never the 32-byte record (a pointer chase through
 * 64-byte records missed the cache once per event beyond about 1e4
 * pending events).  The records of a bucket moved to bottom are
 * prefetched, since they fire next.
 *
 * Cancel is O(1) and lazy: the record loses its handler, its link gets a
 * drop mark, and it stays, linked, until its entry is reached (bucket to
 * bottom, top to rung, a crowded bottom made a rung, or the front), where
 * it is dropped unsorted; records are compacted out when
 * cancelled ones outnumber half of the entries (most protocol timers are
 * cancelled before their bucket comes, so they are never sorted).
 *
 * Lanes carry the bulk of the near events: a model whose events come in
 * non-decreasing time order (the packets of one transmit queue, the jobs of
 * one CPU) appends them to a lane, a FIFO ring of which only the head is in
 * the ladder.  When the head leaves, the lane's next entry is inserted.
 * Lane entries get their sequence numbers like any other, so the merged
 * order is again exactly (time, sequence).
 */
#define G_LOG_DOMAIN "sim-evq"

#include "sim/evq.h"

#include <stdlib.h>
#include <string.h>

#define EVQ_SLOT_BITS 24
#define EVQ_SLOT_MASK ((1ull << EVQ_SLOT_BITS) - 1)
#define EVQ_MAX_SLOTS (1u << EVQ_SLOT_BITS)
#define EVQ_MAX_SEQ ((1ull << (64 - EVQ_SLOT_BITS)) - 1)
/* Rungs at most (the paper's 8); a bucket with more events than
 * EVQ_THRES becomes a rung while there is room and its width splits (the
 * paper's 50 is for linked lists sorted by insertion; sorting fewer costs
 * less than the extra move, in the hold model). */
#define EVQ_RUNGS 8
#define EVQ_THRES 16
/* Buckets of rung 0 per event of top, at most (a rung made from top gets
 * the narrowest power-of-two width that needs no more). */
#define EVQ_RUNG0_PER 2
/* Bottom insertions that would move more entries than this turn bottom
 * into a rung (the paper's bottom overflow). */
#define EVQ_BOTTOM_SPILL 256

/* One entry: time in the high 64 bits, key in the low 64 bits, so that
 * one unsigned 128-bit comparison orders by (time, sequence). */
typedef unsigned __int128 EvqEntry;

#define EVQ_ENTRY(time, key) (((EvqEntry)(time) << 64) | (key))
#define EVQ_TIME(e) ((SimTime)((e) >> 64))
#define EVQ_KEY(e) ((guint64)(e))

/* A FIFO lane: entries in (time, sequence) order; the first is also in
 * the ladder while the lane is not empty. */
typedef struct {
    /* Ring of entries, cap a power of two. */
    EvqEntry *ring;
    guint head;
    guint len;
    guint cap;
    /* Time of the last entry appended. */
    SimTime last;
} EvqLane;

/* One scheduled event's record, read when the event is scheduled,
 * cancelled or fired; moving it through the ladder reads only its entry
 * and link (below), which are kept apart in dense arrays so that walking
 * a list does not miss the cache once per record.  Half a cache line. */
typedef struct {
    /* Handler; NULL once cancelled. */
    SimEventFunc func;
    /* (nullable): the lane of a lane event. */
    EvqLane *lane;
    /* Handler argument. */
    gpointer data;
    /* Called exactly once on data: after firing, on cancel or at free. */
    GDestroyNotify destroy;
} __attribute__((aligned(32))) EvqSlot;

/* A slot's link: the next slot of the same top or bucket list, and
 * EVQ_DROP if the event was cancelled and is not a lane event (so its
 * entry is dropped wherever it is met). */
#define EVQ_DROP (1u << 31)
#define EVQ_LINK_MASK (EVQ_DROP - 1)

/* An unsorted list of records. */
typedef struct {
    guint32 head;
    guint32 n;
} EvqList;

typedef struct {
    /* Buckets; bucket i covers [start + i 2^shift, start + (i+1) 2^shift). */
    EvqList *b;
    guint nb;
    guint cap;
    /* First bucket that may hold events: events before its start are
     * below this rung. */
    guint cur;
    guint shift;
    SimTime start;
    /* Records in the buckets, cancelled ones included. */
    guint n;
} EvqRung;

struct _SimEvq {
    /* Far events, all at or after top_start. */
    EvqList top;
    SimTime top_min;
    SimTime top_max;
    SimTime top_start;
    /* Rungs, 0 the highest (coarsest); rungs[nrungs - 1] the lowest. */
    EvqRung rungs[EVQ_RUNGS];
    guint nrungs;
    /* Sorted entries bot[bh .. bn): the front of the queue. */
    EvqEntry *bot;
    guint bh;
    guint bn;
    guint bcap;
    /* Entries in the ladder (top, rungs, bottom), cancelled ones included. */
    guint n;
    /* Cancelled events in the ladder that are not lane events. */
    guint dead;
    /* Every lane (owned), entries of lanes that are not in the ladder, and
     * cancelled lane events not yet reached. */
    GPtrArray *lanes;
    guint lane_tail_n;
    guint lane_dead;
    /* Event records, indexed by slot. */
    EvqSlot *slots;
    /* Per slot: the event's entry (whose key is 0 while the slot is
     * free), and its link. */
    EvqEntry *ent;
    guint32 *link;
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

static inline void
evq_slot_release(SimEvq *q, guint32 slot)
{
    q->ent[slot] = 0;
    q->free_slots[q->nfree++] = slot;
}

/* Moves the first @used of @old's elements of @size bytes to a new
 * cache-line-aligned array of @cap (@old is freed). */
static void *
evq_realloc_aligned(void *old, guint32 used, guint32 cap, gsize size)
{
    void *fresh;
    if (posix_memalign(&fresh, 64, (gsize)cap * size))
        g_error("evq: out of memory for %u events", cap);
    if (used)
        memcpy(fresh, old, (gsize)used * size);
    free(old);
    return fresh;
}

/* A slot never used yet (the slab grows by doubling). */
static G_GNUC_NO_INLINE guint32
evq_slot_new(SimEvq *q)
{
    if (q->nslots == EVQ_MAX_SLOTS)
        g_error("evq: more than %u pending events", EVQ_MAX_SLOTS);
    if (q->nslots == q->slots_cap) {
        q->slots_cap = q->slots_cap ? q->slots_cap * 2 : 64;
        q->slots = evq_realloc_aligned(q->slots, q->nslots, q->slots_cap,
                                       sizeof(EvqSlot));
        q->free_slots = g_renew(guint32, q->free_slots, q->slots_cap);
        q->link = g_renew(guint32, q->link, q->slots_cap);
        q->ent = evq_realloc_aligned(q->ent, q->nslots, q->slots_cap,
                                     sizeof(EvqEntry));
    }
    return q->nslots++;
}

static inline guint32
evq_slot_take(SimEvq *q)
{
    if (G_LIKELY(q->nfree))
        return q->free_slots[--q->nfree];
    return evq_slot_new(q);
}

static inline void
evq_list_push(guint32 *link, EvqList *l, guint32 slot)
{
    link[slot] = l->head;
    l->head = slot;
    l->n++;
}

/* Drops a record reached while cancelled (never a lane event's: those
 * leave through the front, in their lane's order). */
static inline void
evq_drop(SimEvq *q, guint32 slot)
{
    evq_slot_release(q, slot);
    q->n--;
    q->dead--;
}

/* TRUE if the entry of @slot must be dropped where it is met: the event
 * was cancelled and is not a lane event. */
static inline gboolean
evq_droppable(const SimEvq *q, guint32 slot)
{
    return q->link[slot] & EVQ_DROP;
}

/* Grows bottom to hold @want entries from index 0. */
static void
evq_bottom_reserve(SimEvq *q, guint want)
{
    if (want <= q->bcap)
        return;
    guint cap = q->bcap ? q->bcap : 64;
    while (cap < want)
        cap *= 2;
    q->bot = g_renew(EvqEntry, q->bot, cap);
    q->bcap = cap;
}

/* Sorts @v[0 .. n): insertion sort, or quicksort's partition around a
 * median of three above a few dozen entries. */
static void
evq_sort(EvqEntry *v, guint n)
{
    while (n > 24) {
        EvqEntry a = v[0], b = v[n / 2], c = v[n - 1];
        EvqEntry p = a < b ? (b < c ? b : (a < c ? c : a))
                           : (a < c ? a : (b < c ? c : b));
        guint i = 0, j = n - 1;
        for (;;) {
            while (v[i] < p)
                i++;
            while (p < v[j])
                j--;
            if (i >= j)
                break;
            EvqEntry t = v[i];
            v[i] = v[j];
            v[j] = t;
            i++;
            j--;
        }
        /* Recurse into the smaller part, loop on the larger. */
        guint left = j + 1;
        if (left < n - left) {
            evq_sort(v, left);
            v += left;
            n -= left;
        } else {
            evq_sort(v + left, n - left);
            n = left;
        }
    }
    for (guint i = 1; i < n; i++) {
        EvqEntry x = v[i];
        guint j = i;
        while (j > 0 && x < v[j - 1]) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

/* Makes @r a rung of 2^@m buckets of 2^@shift ns from @start, empty. */
static void
evq_rung_init(EvqRung *r, SimTime start, guint shift, guint nb)
{
    if (nb > r->cap) {
        g_free(r->b);
        r->cap = MAX(nb, 64);
        r->b = g_new(EvqList, r->cap);
    }
    memset(r->b, 0, (gsize)nb * sizeof(EvqList));
    r->nb = nb;
    r->cur = 0;
    r->shift = shift;
    r->start = start;
    r->n = 0;
}

/* Moves list @l's records into rung @r's buckets (every time within the
 * rung), dropping cancelled ones. */
static void
evq_list_to_rung(SimEvq *q, EvqList l, EvqRung *r)
{
    guint32 *link = q->link;
    const EvqEntry *ent = q->ent;
    guint32 s = l.head;
    for (guint i = 0; i < l.n; i++) {
        guint32 v = link[s];
        if (G_UNLIKELY(v & EVQ_DROP)) {
            evq_drop(q, s);
        } else {
            guint64 b = (EVQ_TIME(ent[s]) - r->start) >> r->shift;
            evq_list_push(link, &r->b[b], s);
            r->n++;
        }
        s = v & EVQ_LINK_MASK;
    }
}

/* Makes rung 0 from top (rung 0 and every lower rung are empty). */
static void
evq_top_to_rung(SimEvq *q)
{
    SimTime lo = q->top_min, hi = q->top_max;
    guint n = q->top.n, shift = 0;
    /* The narrowest power-of-two width that needs at most n buckets. */
    while (shift < 63 &&
           (hi >> shift) - (lo >> shift) >= (guint64)n * EVQ_RUNG0_PER)
        shift++;
    guint64 nb = (hi >> shift) - (lo >> shift) + 1;
    SimTime start = (lo >> shift) << shift;
    EvqRung *r = &q->rungs[0];
    evq_rung_init(r, start, shift, (guint)nb);
    q->nrungs = 1;
    /* Every later event goes to top; if the rung reaches the end of time,
     * top takes only events at its last nanosecond (after the rung's in
     * (time, sequence) order, since they were inserted later). */
    guint64 last = hi >> shift;
    q->top_start = last == (G_MAXUINT64 >> shift) ? G_MAXUINT64
                                                  : (last + 1) << shift;
    EvqList l = q->top;
    q->top = (EvqList){ 0, 0 };
    q->top_min = G_MAXUINT64;
    q->top_max = 0;
    evq_list_to_rung(q, l, r);
}

/* Bucket @bi of the lowest rung @r, holding @l, becomes a rung below it
 * with about one bucket per record. */
static void
evq_spawn_rung(SimEvq *q, EvqRung *r, guint bi, EvqList l)
{
    guint m = g_bit_storage(l.n - 1);
    if (m > r->shift)
        m = r->shift;
    EvqRung *c = &q->rungs[q->nrungs++];
    evq_rung_init(c, r->start + ((SimTime)bi << r->shift), r->shift - m,
                  1u << m);
    evq_list_to_rung(q, l, c);
}

/* Moves list @l's records to bottom (empty, with room for them) and
 * sorts them, dropping cancelled ones. */
static void
evq_list_to_bottom(SimEvq *q, EvqList l)
{
    const guint32 *link = q->link;
    const EvqEntry *ent = q->ent;
    EvqEntry *bot = q->bot;
    guint k = 0;
    guint32 s = l.head;
    for (guint i = 0; i < l.n; i++) {
        guint32 v = link[s];
        if (G_UNLIKELY(v & EVQ_DROP)) {
            evq_drop(q, s);
        } else {
            bot[k++] = ent[s];
            /* Its record is read when it fires, soon. */
            __builtin_prefetch(&q->slots[s]);
        }
        s = v & EVQ_LINK_MASK;
    }
    q->bh = 0;
    q->bn = k;
    evq_sort(bot, k);
}

/* With bottom empty, fills it from the ladder; FALSE if the ladder is
 * empty. */
static gboolean
evq_refill(SimEvq *q)
{
    q->bh = q->bn = 0;
    for (;;) {
        while (q->nrungs > 1 && !q->rungs[q->nrungs - 1].n)
            q->nrungs--;
        /* Rung 0 stays while it is the only one, so that events before
         * top_start keep going to it rather than to bottom. */
        if (!q->nrungs || (q->nrungs == 1 && !q->rungs[0].n)) {
            if (!q->top.n)
                return FALSE;
            evq_top_to_rung(q);
            continue;
        }
        EvqRung *r = &q->rungs[q->nrungs - 1];
        while (!r->b[r->cur].n)
            r->cur++;
        guint bi = r->cur++;
        EvqList l = r->b[bi];
        r->b[bi].n = 0;
        r->n -= l.n;
        if (l.n > EVQ_THRES && r->shift > 0 && q->nrungs < EVQ_RUNGS) {
            evq_spawn_rung(q, r, bi, l);
            continue;
        }
        if (G_UNLIKELY(l.n > q->bcap))
            evq_bottom_reserve(q, l.n);
        evq_list_to_bottom(q, l);
        if (q->bn)
            return TRUE;
    }
}

/* Turns bottom, crowded, into a rung below the lowest (room permitting,
 * and its times not all equal).  The rung reaches up to where the lowest
 * rung's current bucket starts, since every event before that goes below
 * it. */
static gboolean
evq_bottom_spill(SimEvq *q)
{
    guint n = q->bn - q->bh;
    SimTime lo = EVQ_TIME(q->bot[q->bh]), hi = EVQ_TIME(q->bot[q->bn - 1]);
    if (!q->nrungs || q->nrungs >= EVQ_RUNGS || lo == hi)
        return FALSE;
    const EvqRung *p = &q->rungs[q->nrungs - 1];
    SimTime upper = p->start + ((SimTime)p->cur << p->shift);
    g_assert(hi < upper);
    hi = upper - 1;
    guint shift = 0;
    while ((hi >> shift) - (lo >> shift) >= n)
        shift++;
    EvqRung *r = &q->rungs[q->nrungs++];
    evq_rung_init(r, (lo >> shift) << shift, shift,
                  (guint)((hi >> shift) - (lo >> shift) + 1));
    for (guint i = q->bh; i < q->bn; i++) {
        guint32 s = EVQ_KEY(q->bot[i]) & EVQ_SLOT_MASK;
        if (evq_droppable(q, s)) {
            evq_drop(q, s);
            continue;
        }
        guint64 b = (EVQ_TIME(q->bot[i]) - r->start) >> r->shift;
        evq_list_push(q->link, &r->b[b], s);
        r->n++;
    }
    q->bh = q->bn = 0;
    return TRUE;
}

/* Inserts @e (of record @slot, time @t) in sorted bottom. */
static void
evq_bottom_insert(SimEvq *q, guint32 slot, SimTime t, EvqEntry e)
{
    /* Where @e goes: at the end (an event at the current time), else
     * found by binary search. */
    guint j = q->bn;
    if (j > q->bh && e < q->bot[j - 1]) {
        guint lo = q->bh, hi = j - 1;
        while (lo < hi) {
            guint mid = lo + (hi - lo) / 2;
            if (e < q->bot[mid])
                hi = mid;
            else
                lo = mid + 1;
        }
        j = lo;
    }
    if (G_UNLIKELY(q->bn - j > EVQ_BOTTOM_SPILL) && evq_bottom_spill(q)) {
        EvqRung *r = &q->rungs[q->nrungs - 1];
        if (t >= r->start) {
            evq_list_push(q->link, &r->b[(t - r->start) >> r->shift], slot);
            r->n++;
            return;
        }
        j = 0;
    }
    if (G_UNLIKELY(q->bn == q->bcap)) {
        if (q->bh) {
            memmove(q->bot, q->bot + q->bh,
                    (gsize)(q->bn - q->bh) * sizeof(EvqEntry));
            j -= q->bh;
            q->bn -= q->bh;
            q->bh = 0;
        } else {
            evq_bottom_reserve(q, q->bn + 1);
        }
    }
    memmove(q->bot + j + 1, q->bot + j, (gsize)(q->bn - j) * sizeof(EvqEntry));
    q->bot[j] = e;
    q->bn++;
}

/* Inserts the record at @slot, time @t, key @key in the ladder. */
static inline void
evq_push(SimEvq *q, guint32 slot, SimTime t, guint64 key)
{
    guint32 *link = q->link;
    q->n++;
    if (t >= q->top_start) {
        evq_list_push(link, &q->top, slot);
        q->top_min = MIN(q->top_min, t);
        q->top_max = MAX(q->top_max, t);
        return;
    }
    for (guint i = 0; i < q->nrungs; i++) {
        EvqRung *r = &q->rungs[i];
        if (t >= r->start) {
            guint64 b = (t - r->start) >> r->shift;
            if (b >= r->cur) {
                evq_list_push(link, &r->b[b], slot);
                r->n++;
                return;
            }
        }
    }
    evq_bottom_insert(q, slot, t, EVQ_ENTRY(t, key));
}

/* Drops cancelled records from @l. */
static guint
evq_list_filter(SimEvq *q, EvqList *l)
{
    guint32 *link = q->link;
    EvqList kept = { 0, 0 };
    guint32 s = l->head;
    guint n = l->n;
    for (guint i = 0; i < n; i++) {
        guint32 v = link[s];
        if (v & EVQ_DROP)
            evq_drop(q, s);
        else
            evq_list_push(link, &kept, s);
        s = v & EVQ_LINK_MASK;
    }
    *l = kept;
    return n - kept.n;
}

/* Drops every cancelled record that is not a lane event's. */
static void
evq_compact(SimEvq *q)
{
    evq_list_filter(q, &q->top);
    for (guint i = 0; i < q->nrungs; i++) {
        EvqRung *r = &q->rungs[i];
        for (guint b = r->cur; r->n && b < r->nb; b++)
            if (r->b[b].n)
                r->n -= evq_list_filter(q, &r->b[b]);
    }
    guint k = q->bh;
    for (guint i = q->bh; i < q->bn; i++) {
        guint32 s = EVQ_KEY(q->bot[i]) & EVQ_SLOT_MASK;
        if (evq_droppable(q, s))
            evq_drop(q, s);
        else
            q->bot[k++] = q->bot[i];
    }
    q->bn = k;
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
    q->top_min = G_MAXUINT64;
    q->lanes = g_ptr_array_new();
    return q;
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
    /* Every pending event has a record with its handler, wherever its
     * entry is (ladder or lane). */
    for (guint i = 0; i < q->nslots; i++) {
        EvqSlot *s = &q->slots[i];
        if (EVQ_KEY(q->ent[i]) && s->func && s->destroy)
            s->destroy(s->data);
    }
    for (guint i = 0; i < q->lanes->len; i++) {
        EvqLane *lane = g_ptr_array_index(q->lanes, i);
        g_free(lane->ring);
        g_free(lane);
    }
    g_ptr_array_unref(q->lanes);
    for (guint i = 0; i < EVQ_RUNGS; i++)
        g_free(q->rungs[i].b);
    g_free(q->bot);
    free(q->slots);
    free(q->ent);
    g_free(q->link);
    g_free(q->free_slots);
    g_free(q);
}

static G_GNUC_NO_INLINE G_GNUC_NORETURN void
evq_record_fail(SimEvq *q, SimTime when)
{
    if (when < q->now)
        g_error("evq: event scheduled at %" G_GUINT64_FORMAT
                " ns, before now (%" G_GUINT64_FORMAT " ns)",
                when, q->now);
    g_error("evq: insertion sequence exhausted");
}

/* Checks @when, takes a slot and the next sequence number and fills the
 * event's record and entry; returns its key. */
static inline guint64
evq_record(SimEvq *q, SimTime when, SimEventFunc func, gpointer data,
           GDestroyNotify destroy, EvqLane *lane)
{
    if (G_UNLIKELY(when < q->now || q->seq > EVQ_MAX_SEQ))
        evq_record_fail(q, when);
    guint32 slot = evq_slot_take(q);
    EvqSlot *s = &q->slots[slot];
    s->func = func;
    s->data = data;
    s->destroy = destroy;
    s->lane = lane;
    guint64 key = (q->seq++ << EVQ_SLOT_BITS) | slot;
    q->ent[slot] = EVQ_ENTRY(when, key);
    q->link[slot] = 0;
    return key;
}

static inline SimEventId
evq_at(SimEvq *q, SimTime when, SimEventFunc func, gpointer data,
       GDestroyNotify destroy)
{
    guint64 key = evq_record(q, when, func, data, destroy, NULL);
    evq_push(q, key & EVQ_SLOT_MASK, when, key);
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
    return evq_at(q, when, func, data, destroy);
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
    g_return_val_if_fail(func != NULL, 0);
    return evq_at(q, q->now + delay, func, data, destroy);
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
    guint32 slot = key & EVQ_SLOT_MASK;
    if (G_UNLIKELY(lane->len == lane->cap))
        evq_lane_grow(lane);
    lane->ring[(lane->head + lane->len) & (lane->cap - 1)] =
        EVQ_ENTRY(when, key);
    if (lane->len++)
        q->lane_tail_n++;
    else
        evq_push(q, slot, when, key);
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
    if (EVQ_KEY(q->ent[slot]) != id || !s->func)
        return FALSE;
    GDestroyNotify destroy = s->destroy;
    gpointer data = s->data;
    s->func = NULL;
    s->data = NULL;
    s->destroy = NULL;
    /* The record stays until its entry is reached. */
    if (s->lane) {
        q->lane_dead++;
    } else {
        q->dead++;
        q->link[slot] |= EVQ_DROP;
    }
    if (destroy)
        destroy(data);
    if (q->dead > 1024 && q->dead > q->n / 2)
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

/* Takes the front entry, of record @s, out of the ladder: a lane's next
 * entry, if any, goes in. */
static inline void
evq_take_front(SimEvq *q, EvqSlot *s)
{
    q->bh++;
    q->n--;
    EvqLane *lane = s->lane;
    if (lane) {
        lane->head = (lane->head + 1) & (lane->cap - 1);
        if (--lane->len) {
            EvqEntry next = lane->ring[lane->head];
            q->lane_tail_n--;
            evq_push(q, EVQ_KEY(next) & EVQ_SLOT_MASK, EVQ_TIME(next),
                     EVQ_KEY(next));
        }
    }
}

/* Makes bot[bh], if any, the earliest pending event: drops cancelled
 * entries from the front and refills bottom when it runs dry.  FALSE if
 * nothing is pending. */
static inline gboolean
evq_settle(SimEvq *q)
{
    for (;;) {
        if (G_LIKELY(q->bh < q->bn)) {
            guint32 slot = EVQ_KEY(q->bot[q->bh]) & EVQ_SLOT_MASK;
            EvqSlot *s = &q->slots[slot];
            if (G_LIKELY(s->func != NULL))
                return TRUE;
            /* Cancelled: a lane event's record is released only now. */
            if (s->lane)
                q->lane_dead--;
            else
                q->dead--;
            evq_take_front(q, s);
            evq_slot_release(q, slot);
            continue;
        }
        if (!evq_refill(q))
            return FALSE;
    }
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
    return evq_settle(q) ? EVQ_TIME(q->bot[q->bh]) : SIM_TIME_NEVER;
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
    return q->n + q->lane_tail_n - q->dead - q->lane_dead;
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

/* Takes the (live) front event and runs it. */
static inline void
evq_fire_front(SimEvq *q)
{
    EvqEntry top = q->bot[q->bh];
    guint32 slot = EVQ_KEY(top) & EVQ_SLOT_MASK;
    EvqSlot *s = &q->slots[slot];
    SimEventFunc func = s->func;
    gpointer data = s->data;
    GDestroyNotify destroy = s->destroy;

    evq_take_front(q, s);
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
    if (!evq_settle(q))
        return FALSE;
    evq_fire_front(q);
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
        if (!evq_settle(q) || EVQ_TIME(q->bot[q->bh]) > horizon)
            break;
        evq_fire_front(q);
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
