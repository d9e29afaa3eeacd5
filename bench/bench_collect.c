/* SPDX-License-Identifier: MIT */
/*
 * Result collection at scale: a generated topology of 30,000 nodes, all
 * idle but two (one call per second between them over TCP), simulated
 * for 10 s under rfc3261.  Collecting the results (node rows, per-peer
 * pairs, run-wide counters) must cost O(total counters), not O(nodes x
 * counters).  Prints `bench collect nodes=N load_s=... run_s=... sim_s=...
 * peak_rss_kb=...`: load_s parses the topology, run_s is the whole of
 * sim_world_run (world build, simulation, collection), sim_s the
 * simulation alone.  `bench_collect [NODES]` changes the node count.
 */
#include "models/strategy/strategy.h"
#include "run/world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static char *
collect_topology(guint n)
{
    GString *t = g_string_new(
        "[simulation]\nduration = 10s\nseed = 1\n"
        "[transport]\nprotocol = tcp\n"
        "[network]\ndefault-delay = 5ms\n"
        "[domain a.test]\n[domain b.test]\n");
    for (guint i = 0; i < n; i++) {
        const char *dom = i == 0 ? "a.test" : i == 1 ? "b.test" : NULL;
        g_string_append_printf(t,
                               "[node n%u]\nhost = n%u.%s\n"
                               "address = 10.%u.%u.%u\n",
                               i, i, dom ? dom : "idle.test", (i + 1) >> 16,
                               (i + 1) >> 8 & 255, (i + 1) & 255);
        if (dom)
            g_string_append_printf(t, "domains = %s\n", dom);
    }
    g_string_append(t, "[traffic ab]\nfrom = a.test\nto = b.test\n"
                       "rate = 1\nhold = 1s\n");
    return g_string_free(t, FALSE);
}

int
main(int argc, char **argv)
{
    guint n = argc > 1 ? (guint)strtoul(argv[1], NULL, 10) : 30000;
    g_autofree char *text = collect_topology(n);
    g_autoptr(GError) error = NULL;

    gint64 t0 = g_get_monotonic_time();
    g_autoptr(SimTopo) topo = sim_topo_load_data("collect-bench", text,
                                                 strlen(text), NULL, &error);
    if (!topo) {
        fprintf(stderr, "bench collect: %s\n", error->message);
        return 1;
    }
    gint64 t1 = g_get_monotonic_time();
    SimRunOptions opt = { .strategy = "rfc3261" };
    g_autoptr(SimRunResult) r = sim_world_run(topo, &opt, &error);
    if (!r) {
        fprintf(stderr, "bench collect: %s\n", error->message);
        return 1;
    }
    gint64 t2 = g_get_monotonic_time();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("bench collect nodes=%u calls=%" G_GUINT64_FORMAT
           " pairs=%u load_s=%.3f run_s=%.3f sim_s=%.3f peak_rss_kb=%ld\n",
           n, r->calls_attempted, r->n_pairs, (t1 - t0) / 1e6,
           (t2 - t1) / 1e6, r->sim_wall_s, ru.ru_maxrss);
    return 0;
}
