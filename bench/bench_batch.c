/* SPDX-License-Identifier: MIT */
/*
 * Batch throughput: 300 runs of topologies/pair.topo shortened to 1 s of
 * simulated time (--set simulation.duration=1s), through sim_batch_run as
 * compare and sweep run them (worker threads, each run written atomically
 * to its own folder, here under a temporary folder removed afterwards),
 * strategies taken in turn over the ones that run over TLS, seeds 1, 2, ...
 * Prints `bench batch runs=300 threads=N runs_per_s=... peak_rss_kb=...`.
 * The PKI cache is $SIPREUSE_CACHE or ./cache; the first run of a fresh
 * cache generates keys, so one untimed run warms it first.
 * `bench_batch [RUNS [THREADS]]` changes the counts.
 */
#include "models/strategy/strategy.h"
#include "run/batch.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

static void
batch_rm_tree(const char *path)
{
    GDir *d = g_dir_open(path, 0, NULL);
    if (d) {
        const char *name;
        while ((name = g_dir_read_name(d))) {
            g_autofree char *sub = g_build_filename(path, name, NULL);
            batch_rm_tree(sub);
        }
        g_dir_close(d);
    }
    g_remove(path);
}

static guint
batch_once(const SimTopo *topo, const char *root, guint runs, gint threads,
           const char *const *sets)
{
    const SimStrategyOps *const *all = sim_strategy_all();
    guint n_strat = 0;
    while (all[n_strat])
        n_strat++;
    g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func(
        (GDestroyNotify)sim_batch_job_free);
    for (guint i = 0; i < runs; i++) {
        const char *s = all[i % n_strat]->name;
        g_autofree char *dir = g_strdup_printf("%s/%s-seed%u", root, s, i + 1);
        g_ptr_array_add(jobs, sim_batch_job_new(topo, s, i + 1, sets, dir));
    }
    SimBatchOptions bo = { .jobs = threads, .out.no_timing = TRUE };
    guint failed = sim_batch_run(jobs, &bo);
    for (guint i = 0; i < jobs->len; i++) {
        SimBatchJob *job = g_ptr_array_index(jobs, i);
        if (job->error) {
            fprintf(stderr, "bench batch: %s\n", job->error->message);
            break;
        }
    }
    return failed;
}

int
main(int argc, char **argv)
{
    guint runs = argc > 1 ? (guint)strtoul(argv[1], NULL, 10) : 300;
    gint threads = argc > 2 ? (gint)strtol(argv[2], NULL, 10) : 0;
    static const char *const sets[] = { "simulation.duration=1s", NULL };
    g_autoptr(GError) error = NULL;
    const char *src = g_getenv("SIPREUSE_SRCDIR");
    g_autofree char *path = g_build_filename(src ? src : ".", "topologies",
                                             "pair.topo", NULL);
    g_autoptr(SimTopo) topo = sim_topo_load(path, sets, &error);
    if (!topo) {
        fprintf(stderr, "bench batch: %s\n", error->message);
        return 1;
    }
    g_autofree char *root = g_dir_make_tmp("sipreuse-bench-batch-XXXXXX",
                                           &error);
    if (!root) {
        fprintf(stderr, "bench batch: %s\n", error->message);
        return 1;
    }
    g_autofree char *warm = g_build_filename(root, "warm", NULL);
    guint failed = batch_once(topo, warm, 1, 1, sets);
    g_autofree char *timed = g_build_filename(root, "timed", NULL);
    gint64 t0 = g_get_monotonic_time();
    failed += batch_once(topo, timed, runs, threads, sets);
    gint64 t1 = g_get_monotonic_time();
    batch_rm_tree(root);
    if (failed)
        return 1;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double wall = (t1 - t0) / 1e6;
    printf("bench batch runs=%u threads=%d wall_s=%.3f runs_per_s=%.0f "
           "peak_rss_kb=%ld\n",
           runs, threads > 0 ? threads : (gint)g_get_num_processors(), wall,
           runs / wall, ru.ru_maxrss);
    return 0;
}
