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
 *
 * The temporary folder is made in $SIPREUSE_TMPDIR (`make bench` gives
 * the build folder's tmp/, as for the tests) or else the system's
 * temporary folder.  Every run creates eight files and folders, and on
 * some file systems creating one costs more the more files were deleted
 * near it in the last minutes (ext4 without a journal skips the inodes
 * freed in the last 1 to 6 minutes, one by one, on every creation: 10 to
 * 50 us a file when quiet, over 1 ms after a few thousand deletions), so
 * the machine-wide /tmp, where every compiler and test suite deletes
 * files, makes the figure depend on what else ran there; this bench's own
 * clean-up does the same to a run of it that follows within minutes.
 */
#include "models/strategy/strategy.h"
#include "run/batch.h"

#include <errno.h>
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
    const char *scratch = g_getenv("SIPREUSE_TMPDIR");
    if (!scratch || !*scratch)
        scratch = g_get_tmp_dir();
    g_autofree char *root =
        g_build_filename(scratch, "sipreuse-bench-batch-XXXXXX", NULL);
    if (g_mkdir_with_parents(scratch, 0755) != 0 || !g_mkdtemp(root)) {
        fprintf(stderr, "bench batch: cannot create a folder in %s: %s\n",
                scratch, g_strerror(errno));
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
