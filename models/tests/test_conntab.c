/* SPDX-License-Identifier: MIT */
/*
 * Tests of the connection table's indexes against a reference: records
 * added and removed at random (removals leave holes that are compacted
 * later) must walk in creation order, and the records of one address and
 * the alias rows of one tuple must be exactly what filtering a full scan
 * gives, in the same order; replacing and purging rows keeps each
 * connection's aliased flag.  The records carry no transport connection.
 */
#include "models/sip/conntab.h"
#include "sim/rng.h"

static void
noop_connect(SimConnTab *t, const char *domain, gpointer user)
{
}

typedef struct {
    SimEvq *q;
    SimCtx ctx;
    SimConnTab *tab;
    /* Reference: records in creation order (removed ones dropped). */
    GPtrArray *conns;
    /* Reference: rows in insertion order. */
    GPtrArray *rows;
    SimRng rng;
} Fix;

static void
fix_init(Fix *f, guint64 seed)
{
    f->q = sim_evq_new();
    f->ctx = (SimCtx){ .evq = f->q, .seed = seed };
    SimConnTabConfig cfg = { .kind = SIM_TRANSPORT_TLS };
    SimConnTabHooks hooks = { .connect_toward = noop_connect };
    f->tab = sim_conntab_new(&f->ctx, &cfg, &hooks);
    f->conns = g_ptr_array_new();
    f->rows = g_ptr_array_new();
    sim_rng_init(&f->rng, seed, 5);
}

static void
fix_clear(Fix *f)
{
    sim_conntab_free(f->tab);
    sim_evq_free(f->q);
    g_ptr_array_unref(f->conns);
    g_ptr_array_unref(f->rows);
}

/* A tuple from a small space, so that many records share one. */
static SimTuple
fix_tuple(Fix *f)
{
    SimTuple t = { 0x0a000000u + sim_rng_below(&f->rng, 6),
                   (guint16)(5060 + sim_rng_below(&f->rng, 3)),
                   sim_rng_below(&f->rng, 4) ? SIM_TRANSPORT_TLS
                                             : SIM_TRANSPORT_TCP };
    return t;
}

static gboolean
tuple_eq(const SimTuple *a, const SimTuple *b)
{
    return a->ip == b->ip && a->port == b->port &&
           a->transport == b->transport;
}

/* Every index agrees with the reference. */
static void
fix_check(Fix *f)
{
    guint k = 0;
    for (SimProxyConn *pc = sim_conntab_first(f->tab); pc;
         pc = sim_conntab_next(f->tab, pc), k++) {
        g_assert_cmpuint(k, <, f->conns->len);
        g_assert_true(pc == g_ptr_array_index(f->conns, k));
    }
    g_assert_cmpuint(k, ==, f->conns->len);
    g_assert_cmpuint(sim_conntab_n_conns(f->tab), ==, f->conns->len);
    for (guint i = 0; i < f->conns->len; i++)
        g_assert_true(sim_conntab_conn(f->tab, i) ==
                      g_ptr_array_index(f->conns, i));
    /* Per address (any transport), and per row tuple. */
    for (guint a = 0; a < 6; a++) {
        for (guint16 port = 5060; port < 5063; port++) {
            guint n;
            SimProxyConn *const *at =
                sim_conntab_at_addr(f->tab, 0x0a000000u + a, port, &n);
            guint m = 0;
            for (guint i = 0; i < f->conns->len; i++) {
                SimProxyConn *pc = g_ptr_array_index(f->conns, i);
                if (pc->key.ip != 0x0a000000u + a || pc->key.port != port)
                    continue;
                g_assert_cmpuint(m, <, n);
                g_assert_true(at[m++] == pc);
            }
            g_assert_cmpuint(m, ==, n);
            for (SimTransportKind tk = SIM_TRANSPORT_TCP;
                 tk <= SIM_TRANSPORT_TLS; tk += SIM_TRANSPORT_TLS -
                                                  SIM_TRANSPORT_TCP) {
                SimTuple t = { 0x0a000000u + a, port, tk };
                SimAliasRow *const *rows = sim_conntab_rows_at(f->tab, &t, &n);
                m = 0;
                for (guint i = 0; i < f->rows->len; i++) {
                    SimAliasRow *row = g_ptr_array_index(f->rows, i);
                    if (!tuple_eq(&row->tuple, &t))
                        continue;
                    g_assert_cmpuint(m, <, n);
                    g_assert_true(rows[m++] == row);
                }
                g_assert_cmpuint(m, ==, n);
            }
        }
    }
    g_assert_cmpuint(sim_conntab_n_rows(f->tab), ==, f->rows->len);
    for (guint i = 0; i < f->rows->len; i++)
        g_assert_true(sim_conntab_row(f->tab, i) ==
                      g_ptr_array_index(f->rows, i));
    /* A record is aliased exactly while a row points at it. */
    for (guint i = 0; i < f->conns->len; i++) {
        SimProxyConn *pc = g_ptr_array_index(f->conns, i);
        gboolean has = FALSE;
        for (guint r = 0; r < f->rows->len; r++)
            has |= ((SimAliasRow *)g_ptr_array_index(f->rows, r))->pc == pc;
        g_assert_cmpint(pc->aliased, ==, has);
    }
}

/* Adds a row for a random record; with @replace the tuple's rows of other
 * records go first (one row per tuple).  Mirrors the reference. */
static void
fix_add_row(Fix *f, gboolean replace)
{
    if (!f->conns->len)
        return;
    SimProxyConn *pc = g_ptr_array_index(
        f->conns, sim_rng_below(&f->rng, f->conns->len));
    SimAliasRow *row = sim_conntab_row_new(pc);
    row->tuple = fix_tuple(f);
    gboolean exists = FALSE;
    for (guint i = 0; i < f->rows->len; i++) {
        SimAliasRow *r = g_ptr_array_index(f->rows, i);
        exists |= r->pc == pc && tuple_eq(&r->tuple, &row->tuple);
    }
    /* The reference first: the table frees the rows it replaces. */
    if (!exists && replace)
        for (guint i = f->rows->len; i-- > 0;) {
            SimAliasRow *r = g_ptr_array_index(f->rows, i);
            if (r->pc != pc && tuple_eq(&r->tuple, &row->tuple))
                g_ptr_array_remove_index(f->rows, i);
        }
    gboolean added = sim_conntab_row_add(f->tab, row, replace);
    g_assert_cmpint(added, ==, !exists);
    if (!added)
        return;
    g_ptr_array_add(f->rows, row);
}

/* Removes a random record as a close does (its rows go too). */
static void
fix_remove(Fix *f)
{
    if (!f->conns->len)
        return;
    guint i = sim_rng_below(&f->rng, f->conns->len);
    SimProxyConn *pc = g_ptr_array_index(f->conns, i);
    for (guint r = f->rows->len; r-- > 0;)
        if (((SimAliasRow *)g_ptr_array_index(f->rows, r))->pc == pc)
            g_ptr_array_remove_index(f->rows, r);
    g_ptr_array_remove_index(f->conns, i);
    sim_conntab_remove(f->tab, pc);
    g_assert_null(sim_conntab_next(f->tab, pc));
    sim_conntab_conn_unref(pc);
}

static void
test_random(void)
{
    for (guint64 seed = 1; seed <= 4; seed++) {
        Fix f;
        fix_init(&f, seed);
        for (guint step = 0; step < 3000; step++) {
            switch (sim_rng_below(&f.rng, 6)) {
            case 0:
            case 1: {
                SimTuple key = fix_tuple(&f);
                SimProxyConn *pc = sim_conntab_add(
                    f.tab, NULL, sim_rng_below(&f.rng, 2), &key);
                g_ptr_array_add(f.conns, pc);
                break;
            }
            case 2:
                fix_remove(&f);
                break;
            case 3:
                fix_add_row(&f, TRUE);
                break;
            case 4:
                fix_add_row(&f, FALSE);
                break;
            default:
                if (f.conns->len && sim_rng_below(&f.rng, 4) == 0) {
                    SimProxyConn *pc = g_ptr_array_index(
                        f.conns, sim_rng_below(&f.rng, f.conns->len));
                    for (guint r = f.rows->len; r-- > 0;)
                        if (((SimAliasRow *)g_ptr_array_index(f.rows, r))
                                ->pc == pc)
                            g_ptr_array_remove_index(f.rows, r);
                    sim_conntab_purge_rows(f.tab, pc);
                }
                break;
            }
            if (step % 50 == 0)
                fix_check(&f);
        }
        /* Emptied, then refilled: the holes are all compacted away. */
        while (f.conns->len)
            fix_remove(&f);
        fix_check(&f);
        SimTuple key = fix_tuple(&f);
        g_ptr_array_add(f.conns, sim_conntab_add(f.tab, NULL, TRUE, &key));
        fix_check(&f);
        sim_conntab_clear_rows(f.tab);
        g_ptr_array_set_size(f.rows, 0);
        fix_check(&f);
        fix_clear(&f);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("Connection table: creation-order walks, per-address "
                   "records and per-tuple alias rows against a reference, "
                   "under random adds, removals, row replacement and "
                   "purges.");
    g_test_set_nonfatal_assertions();
    g_test_add_func("/conntab/index/random", test_random);
    return g_test_run();
}
