/* SPDX-License-Identifier: MIT */
/*
 * Connection scaling: a TLS full mesh of N proxies (N = 50 and 200), each
 * serving its own domain at its own site, 20 ms apart, with calls between
 * every ordered pair (0.2 calls/s each way, 100 ms hold, so that nearly
 * every pair has connected within the run and few calls are in progress
 * at once), 20 s simulated under `reuse` (one connection per pair once
 * aliased).  Each case runs in
 * a child process so that its peak RSS is its own, and prints
 * `bench mesh n=N conns=... events=... events_per_s=...
 * rss_per_conn_bytes=... peak_rss_kb=...`: events per wall second of the
 * simulation, and the growth of the resident set from before the run to
 * its peak (mallinfo2 heap in use would miss freed-but-kept pages) divided
 * by the peak of connections open at once (one per connection, both of its
 * ends included).  The PKI cache is $SIPREUSE_CACHE or ./cache (the first
 * run against a fresh cache spends its time generating keys).
 * `bench_mesh [N]` runs one case.
 */
#include "run/world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static char *
mesh_topology(guint n)
{
    GString *t = g_string_new("[simulation]\nduration = 20s\nseed = 1\n"
                              "[transport]\nprotocol = tls\n"
                              "[network]\ndefault-delay = 20ms\n");
    for (guint i = 1; i <= n; i++)
        g_string_append_printf(t, "[domain d%u.test]\n", i);
    for (guint i = 1; i <= n; i++)
        g_string_append_printf(t,
                               "[node p%u]\nhost = p%u.d%u.test\n"
                               "domains = d%u.test\n",
                               i, i, i, i);
    for (guint i = 1; i <= n; i++)
        for (guint j = 1; j <= n; j++)
            if (i != j)
                g_string_append_printf(t,
                                       "[traffic d%u-d%u]\nfrom = d%u.test\n"
                                       "to = d%u.test\nrate = 0.2/s\n"
                                       "hold = 100ms\n",
                                       i, j, i, j);
    return g_string_free(t, FALSE);
}

/* Resident set now, in bytes (from /proc/self/statm). */
static guint64
mesh_rss(void)
{
    g_autofree char *text = NULL;
    unsigned long size = 0, resident = 0;
    if (g_file_get_contents("/proc/self/statm", &text, NULL, NULL))
        sscanf(text, "%lu %lu", &size, &resident);
    return (guint64)resident * (guint64)sysconf(_SC_PAGESIZE);
}

static int
mesh_case(guint n)
{
    g_autofree char *text = mesh_topology(n);
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) topo = sim_topo_load_data("mesh-bench", text,
                                                 strlen(text), NULL, &error);
    if (!topo) {
        fprintf(stderr, "bench mesh: %s\n", error->message);
        return 1;
    }
    guint64 before = mesh_rss();
    SimRunOptions opt = { .strategy = "reuse" };
    g_autoptr(SimRunResult) r = sim_world_run(topo, &opt, &error);
    if (!r) {
        fprintf(stderr, "bench mesh: %s\n", error->message);
        return 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    guint64 peak = (guint64)ru.ru_maxrss * 1024;
    guint64 conns = r->connections_peak;
    printf("bench mesh n=%u conns=%" G_GUINT64_FORMAT
           " calls=%" G_GUINT64_FORMAT " events=%" G_GUINT64_FORMAT
           " wall_s=%.3f events_per_s=%.0f rss_per_conn_bytes=%.0f"
           " peak_rss_kb=%ld\n",
           n, conns, r->calls_attempted, r->sim_events, r->sim_wall_s,
           r->sim_events_per_s,
           conns && peak > before ? (double)(peak - before) / conns : 0.0,
           ru.ru_maxrss);
    fflush(stdout);
    return 0;
}

int
main(int argc, char **argv)
{
    static const guint sizes[] = { 50, 200 };
    for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
        guint n = argc > 1 ? (guint)strtoul(argv[1], NULL, 10) : sizes[i];
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0)
            _exit(mesh_case(n));
        int status;
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
            WEXITSTATUS(status))
            return 1;
        if (argc > 1)
            break;
    }
    return 0;
}
