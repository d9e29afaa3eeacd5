/* SPDX-License-Identifier: MIT */
/*
 * The combinatorial matrix: every sample topology x every strategy x
 * udp/tcp/sctp/tls/tls-sctp x TLS 1.2/1.3 x resumption on/off x mutual
 * authentication on/off x loss 0/5% x with and without a crash fault x
 * light and loaded CPU.  `make check` runs a pairwise-reduced set (every
 * pair of values of any two factors appears in some run, greedily, in the
 * manner of AETG); `make matrix` (SIPREUSE_MATRIX=full) runs the whole
 * product.  Strategies run only over the transports they apply to, and the
 * TLS factors pair only with TLS transports.  Every run must keep its
 * conservation laws (run/laws.c); a run with no loss, no fault and a
 * topology without designed failures (no fault, attacker or certificate
 * misconfiguration of its own) must also complete every call and every
 * BYE and drop no message; strategies other than reuse-unauthenticated
 * must never hijack a request.  Runs are cut to 20 s of simulated time.
 */
#include "run/laws.h"
#include "run/topo.h"
#include "run/world.h"

#include <string.h>

enum {
    F_TOPO,
    F_STRATEGY,
    F_PROTO,
    F_VERSION,
    F_RESUME,
    F_MUTUAL,
    F_LOSS,
    F_FAULT,
    F_CPU,
    N_FACTORS
};

static const char *const topos[] = { "failover", "hijack", "mesh", "pair",
                                     "srv-farm", "trunk", "virtual-hosting" };
static const char *const strategies[] = { "rfc3261", "per-transaction",
                                          "two-connection", "reuse",
                                          "virtual-server",
                                          "reuse-unauthenticated" };
static const char *const protos[] = { "udp", "tcp", "sctp", "tls",
                                      "tls-sctp" };
static const guint n_levels[N_FACTORS] = { G_N_ELEMENTS(topos),
                                           G_N_ELEMENTS(strategies),
                                           G_N_ELEMENTS(protos),
                                           2, 2, 2, 2, 2, 2 };

typedef struct {
    guint v[N_FACTORS];
} Row;

static gboolean
proto_tls(guint p)
{
    return g_str_has_prefix(protos[p], "tls");
}

/* Whether strategy @s runs over protocol @p (the strategies' own rules:
 * reuse and virtual-server need TLS, two-connection a reliable
 * transport). */
static gboolean
applies(guint s, guint p)
{
    const char *st = strategies[s];
    if (g_str_equal(st, "reuse") || g_str_equal(st, "virtual-server"))
        return proto_tls(p);
    if (g_str_equal(st, "two-connection"))
        return !g_str_equal(protos[p], "udp");
    return TRUE;
}

/* Whether a (possibly partial, -1 = unset) row breaks a constraint. */
static gboolean
row_ok(const int *v)
{
    if (v[F_STRATEGY] >= 0 && v[F_PROTO] >= 0 &&
        !applies(v[F_STRATEGY], v[F_PROTO]))
        return FALSE;
    /* The TLS factors stay at their first level over other transports. */
    if (v[F_PROTO] >= 0 && !proto_tls(v[F_PROTO]))
        for (guint f = F_VERSION; f <= F_MUTUAL; f++)
            if (v[f] > 0)
                return FALSE;
    return TRUE;
}

/* Whether the pair (fa = a, fb = b) can occur in a valid row. */
static gboolean
pair_needed(guint fa, guint a, guint fb, guint b)
{
    int v[N_FACTORS];
    for (guint f = 0; f < N_FACTORS; f++)
        v[f] = -1;
    v[fa] = (int)a;
    v[fb] = (int)b;
    if (!row_ok(v))
        return FALSE;
    /* A TLS factor pairs only with TLS transports: complete the row with
     * some protocol and strategy to see whether one exists. */
    for (guint p = 0; p < G_N_ELEMENTS(protos); p++) {
        if (v[F_PROTO] >= 0 && (guint)v[F_PROTO] != p)
            continue;
        for (guint s = 0; s < G_N_ELEMENTS(strategies); s++) {
            if (v[F_STRATEGY] >= 0 && (guint)v[F_STRATEGY] != s)
                continue;
            int w[N_FACTORS];
            memcpy(w, v, sizeof w);
            w[F_PROTO] = (int)p;
            w[F_STRATEGY] = (int)s;
            if (row_ok(w))
                return TRUE;
        }
    }
    return FALSE;
}

/* Index of pair (fa, a, fb, b) in the coverage bitmap. */
static guint
pair_index(guint fa, guint a, guint fb, guint b)
{
    return ((fa * 8 + a) * N_FACTORS + fb) * 8 + b;
}

#define PAIRS_MAX (N_FACTORS * 8 * N_FACTORS * 8)

/* New pairs row @v would cover. */
static guint
row_gain(const int *v, const gboolean *todo)
{
    guint n = 0;
    for (guint fa = 0; fa < N_FACTORS; fa++)
        for (guint fb = fa + 1; fb < N_FACTORS; fb++)
            if (v[fa] >= 0 && v[fb] >= 0 &&
                todo[pair_index(fa, v[fa], fb, v[fb])])
                n++;
    return n;
}

/* A pairwise covering set of rows (greedy, deterministic). */
static GArray *
rows_pairwise(void)
{
    static gboolean todo[PAIRS_MAX];
    guint left = 0;
    for (guint fa = 0; fa < N_FACTORS; fa++)
        for (guint fb = fa + 1; fb < N_FACTORS; fb++)
            for (guint a = 0; a < n_levels[fa]; a++)
                for (guint b = 0; b < n_levels[fb]; b++) {
                    gboolean need = pair_needed(fa, a, fb, b);
                    todo[pair_index(fa, a, fb, b)] = need;
                    left += need;
                }
    GArray *rows = g_array_new(FALSE, FALSE, sizeof(Row));
    while (left > 0) {
        int v[N_FACTORS];
        for (guint f = 0; f < N_FACTORS; f++)
            v[f] = -1;
        /* Seed the row with the first pair still to cover. */
        for (guint fa = 0; fa < N_FACTORS && v[0] < 0 && v[1] < 0; fa++)
            for (guint fb = fa + 1; fb < N_FACTORS; fb++)
                for (guint a = 0; a < n_levels[fa]; a++)
                    for (guint b = 0; b < n_levels[fb]; b++)
                        if (v[fa] < 0 && todo[pair_index(fa, a, fb, b)]) {
                            v[fa] = (int)a;
                            v[fb] = (int)b;
                        }
        /* Fill the other factors, each with the value covering most. */
        for (guint f = 0; f < N_FACTORS; f++) {
            if (v[f] >= 0)
                continue;
            int best = -1;
            guint best_gain = 0;
            for (guint x = 0; x < n_levels[f]; x++) {
                v[f] = (int)x;
                if (!row_ok(v))
                    continue;
                guint g = row_gain(v, todo);
                if (best < 0 || g > best_gain) {
                    best = (int)x;
                    best_gain = g;
                }
            }
            v[f] = best;
            g_assert_cmpint(best, >=, 0);
        }
        g_assert_true(row_ok(v));
        for (guint fa = 0; fa < N_FACTORS; fa++)
            for (guint fb = fa + 1; fb < N_FACTORS; fb++) {
                guint k = pair_index(fa, v[fa], fb, v[fb]);
                if (todo[k]) {
                    todo[k] = FALSE;
                    left--;
                }
            }
        Row r;
        for (guint f = 0; f < N_FACTORS; f++)
            r.v[f] = (guint)v[f];
        g_array_append_val(rows, r);
    }
    return rows;
}

/* Every valid row of the full product. */
static GArray *
rows_full(void)
{
    GArray *rows = g_array_new(FALSE, FALSE, sizeof(Row));
    guint total = 1;
    for (guint f = 0; f < N_FACTORS; f++)
        total *= n_levels[f];
    for (guint k = 0; k < total; k++) {
        int v[N_FACTORS];
        guint rest = k;
        for (guint f = 0; f < N_FACTORS; f++) {
            v[f] = (int)(rest % n_levels[f]);
            rest /= n_levels[f];
        }
        if (!row_ok(v))
            continue;
        Row r;
        for (guint f = 0; f < N_FACTORS; f++)
            r.v[f] = (guint)v[f];
        g_array_append_val(rows, r);
    }
    return rows;
}

/* The row's topology text: the sample file, plus a crash fault of its
 * first node for 2 s from t = 5 s when the row asks for one. */
static char *
row_text(const Row *r, const SimTopo *plain)
{
    const char *src = g_getenv("SIPREUSE_SRCDIR");
    g_autofree char *path = g_strdup_printf("%s/topologies/%s.topo",
                                            src ? src : ".",
                                            topos[r->v[F_TOPO]]);
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    if (!r->v[F_FAULT])
        return g_steal_pointer(&text);
    return g_strdup_printf("%s\n[fault matrix-crash]\nnode = %s\nat = 5s\n"
                           "duration = 2s\n",
                           text, plain->nodes[0].name);
}

/* The row's overrides (--set form). */
static GPtrArray *
row_overrides(const Row *r, const SimTopo *plain)
{
    GPtrArray *ov = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(ov, g_strdup("simulation.duration=20s"));
    g_ptr_array_add(ov, g_strdup("simulation.warmup=2s"));
    g_ptr_array_add(ov, g_strdup_printf("transport.protocol=%s",
                                        protos[r->v[F_PROTO]]));
    if (proto_tls(r->v[F_PROTO])) {
        g_ptr_array_add(ov, g_strdup_printf("transport.tls-version=%s",
                                            r->v[F_VERSION] ? "1.2" : "1.3"));
        g_ptr_array_add(ov, g_strdup_printf("transport.resumption=%s",
                                            r->v[F_RESUME] ? "false"
                                                           : "true"));
        g_ptr_array_add(ov, g_strdup_printf("transport.mutual-auth=%s",
                                            r->v[F_MUTUAL] ? "false"
                                                           : "true"));
    }
    if (r->v[F_LOSS])
        g_ptr_array_add(ov, g_strdup("network.loss=5%"));
    /* The topology's own faults move inside the shorter run. */
    for (guint i = 0; i < plain->n_faults; i++) {
        g_ptr_array_add(ov, g_strdup_printf("fault.%s.at=3s",
                                            plain->faults[i].name));
        g_ptr_array_add(ov, g_strdup_printf("fault.%s.duration=2s",
                                            plain->faults[i].name));
    }
    for (guint i = 0; r->v[F_CPU] && i < plain->n_nodes; i++) {
        const char *n = plain->nodes[i].name;
        g_ptr_array_add(ov, g_strdup_printf("node.%s.cores=1", n));
        g_ptr_array_add(ov, g_strdup_printf("node.%s.sip-cost=400us", n));
        g_ptr_array_add(ov, g_strdup_printf("node.%s.tls-full-cost=4ms", n));
        g_ptr_array_add(ov, g_strdup_printf("node.%s.tls-resumed-cost=2ms",
                                            n));
    }
    g_ptr_array_add(ov, NULL);
    return ov;
}

/* Whether the topology has failures by design: a fault, an attacker or a
 * certificate that proves less than the node serves. */
static gboolean
topo_designed_failures(const SimTopo *t)
{
    if (t->n_faults)
        return TRUE;
    for (guint i = 0; i < t->n_nodes; i++) {
        const SimTopoNode *n = &t->nodes[i];
        if (n->spoof_as || n->cert_san || n->cert_expired ||
            n->cert_untrusted || !n->client_cert)
            return TRUE;
    }
    return FALSE;
}

static gint
strcmp_ptr(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static double
extra(const SimRunResult *r, const char *name)
{
    for (guint i = 0; i < r->extra_names->len; i++)
        if (g_str_equal(g_array_index(r->extra_names, char *, i), name))
            return g_array_index(r->extra_values, double, i);
    return 0;
}

static void
run_row(gconstpointer data)
{
    const Row *r = data;
    const char *src = g_getenv("SIPREUSE_SRCDIR");
    g_autofree char *path = g_strdup_printf("%s/topologies/%s.topo",
                                            src ? src : ".",
                                            topos[r->v[F_TOPO]]);
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) plain = sim_topo_load_full(
        path, NULL, SIM_TOPO_LOAD_CALLER_STRATEGY, &error);
    g_assert_no_error(error);
    gboolean designed = topo_designed_failures(plain);
    g_autofree char *text = row_text(r, plain);
    g_autoptr(GPtrArray) ov = row_overrides(r, plain);
    g_autoptr(SimTopo) topo = sim_topo_load_data_full(
        topos[r->v[F_TOPO]], text, strlen(text),
        (const char *const *)ov->pdata, SIM_TOPO_LOAD_CALLER_STRATEGY,
        &error);
    g_assert_no_error(error);
    SimRunOptions opt = { .strategy = strategies[r->v[F_STRATEGY]],
                          .cache_dir = g_getenv("SIPREUSE_CACHE") };
    g_autoptr(SimRunResult) res = sim_world_run(topo, &opt, &error);
    g_assert_no_error(error);
    g_assert_nonnull(res);
    sim_laws_check(res, &error);
    g_assert_no_error(error);
    if (!g_str_equal(strategies[r->v[F_STRATEGY]], "reuse-unauthenticated") &&
        !designed)
        g_assert_cmpuint(res->requests_hijacked, ==, 0);
    if (!designed && !r->v[F_LOSS] && !r->v[F_FAULT]) {
        g_assert_cmpuint(res->calls_failed, ==, 0);
        g_assert_cmpfloat(extra(res, "bye.failed"), ==, 0);
        g_assert_cmpuint(res->sip_dropped, ==, 0);
    }
}

/* A regression topology kept from the model fuzzer: it runs with its own
 * strategy and keeps its laws (under ASan in make asan, where the bug it
 * found shows). */
static void
run_regression(gconstpointer data)
{
    const char *path = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) topo = sim_topo_load(path, NULL, &error);
    g_assert_no_error(error);
    SimRunOptions opt = { .cache_dir = g_getenv("SIPREUSE_CACHE") };
    g_autoptr(SimRunResult) res = sim_world_run(topo, &opt, &error);
    g_assert_no_error(error);
    g_assert_nonnull(res);
}

/* Adds a test per regression topology in run/tests/data/model/. */
static void
add_regressions(void)
{
    const char *src = g_getenv("SIPREUSE_SRCDIR");
    g_autofree char *dir = g_build_filename(src ? src : ".", "run", "tests",
                                            "data", "model", NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    while (d && (n = g_dir_read_name(d)))
        if (g_str_has_suffix(n, ".topo"))
            g_ptr_array_add(names, g_strdup(n));
    g_ptr_array_sort(names, (GCompareFunc)strcmp_ptr);
    for (guint i = 0; i < names->len; i++) {
        char *name = names->pdata[i];
        g_autofree char *test = g_strdup_printf("/matrix/regression/%s",
                                                name);
        g_test_add_data_func_full(test, g_build_filename(dir, name, NULL),
                                  run_regression, g_free);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    gboolean full = g_strcmp0(g_getenv("SIPREUSE_MATRIX"), "full") == 0;
    g_test_summary("Combinatorial matrix of sample topologies, strategies, "
                   "transports, TLS settings, loss, faults and CPU load "
                   "(pairwise in make check, the full product in make "
                   "matrix): the conservation laws hold in every run, and "
                   "clean runs lose nothing.");
    g_autoptr(GArray) rows = full ? rows_full() : rows_pairwise();
    for (guint i = 0; i < rows->len; i++) {
        const Row *r = &g_array_index(rows, Row, i);
        g_autofree char *name = g_strdup_printf(
            "/matrix/%s/%s/%s/tls%s-%s-%s/loss%s/%s/%s",
            topos[r->v[F_TOPO]], strategies[r->v[F_STRATEGY]],
            protos[r->v[F_PROTO]], r->v[F_VERSION] ? "12" : "13",
            r->v[F_RESUME] ? "noresume" : "resume",
            r->v[F_MUTUAL] ? "oneway" : "mutual", r->v[F_LOSS] ? "5" : "0",
            r->v[F_FAULT] ? "crash" : "nofault",
            r->v[F_CPU] ? "loaded" : "light");
        g_test_add_data_func(name, r, run_row);
    }
    add_regressions();
    return g_test_run();
}
