/* SPDX-License-Identifier: MIT */
/*
 * Whole-call benchmark: a two-carrier trunk (two proxies per carrier, each
 * carrier's domain on SRV records over both, TLS between them, calls both
 * ways at a high rate) simulated once per strategy.  Each case runs in a
 * child process so that its peak RSS is its own, and prints
 * `bench calls strategy=NAME calls=N calls_per_wall_s=... events=...
 * events_per_call=... events_per_s=... peak_rss_kb=...` (events_per_call:
 * every event of the run over the calls attempted).  Calls are the calls
 * attempted in the run; the target is 200,000 simulated calls per
 * wall-clock second with persistent connections.  The PKI cache is $SIPREUSE_CACHE or ./cache.
 *
 * For profiling, `bench_calls [DURATION [STRATEGY]]` shortens every case to
 * DURATION of simulated time (a topology duration such as `2s`) and runs
 * only STRATEGY when it is given, e.g. under valgrind --tool=callgrind.
 */
#include "models/strategy/strategy.h"
#include "run/world.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* %g: calls per second each way; %s: duration.  The bench measures the
 * simulator, not a server: the bare-crypto profile keeps every node far
 * below saturation (the default proxy profile's handshakes would saturate
 * per-transaction's nodes at this rate and turn it into an overload
 * study), so its workload is the same as before the cost model. */
static const char trunk_fmt[] =
    "[simulation]\nduration = %s\nseed = 1\ncpu-profile = bare-crypto\n"
    "[transport]\nprotocol = tls\n"
    "[network]\ndefault-delay = 15ms\n"
    "[domain carrier-a.test]\n"
    "srv = 10 10 5061 a1.carrier-a.test; 10 10 5061 a2.carrier-a.test\n"
    "[domain carrier-b.test]\n"
    "srv = 10 10 5061 b1.carrier-b.test; 10 10 5061 b2.carrier-b.test\n"
    "[node a1]\nhost = a1.carrier-a.test\naddress = 10.1.0.1\n"
    "site = a\ndomains = carrier-a.test\ncores = 8\nsip-cost = 5us\n"
    "[node a2]\nhost = a2.carrier-a.test\naddress = 10.1.0.2\n"
    "site = a\ndomains = carrier-a.test\ncores = 8\nsip-cost = 5us\n"
    "[node b1]\nhost = b1.carrier-b.test\naddress = 10.2.0.1\n"
    "site = b\ndomains = carrier-b.test\ncores = 8\nsip-cost = 5us\n"
    "[node b2]\nhost = b2.carrier-b.test\naddress = 10.2.0.2\n"
    "site = b\ndomains = carrier-b.test\ncores = 8\nsip-cost = 5us\n"
    "[link a b]\ndelay = 15ms\n"
    "[traffic a-to-b]\nfrom = carrier-a.test\nto = carrier-b.test\n"
    "rate = %g\nhold = 5s\n"
    "[traffic b-to-a]\nfrom = carrier-b.test\nto = carrier-a.test\n"
    "rate = %g\nhold = 5s\nbye-by = random\n";

static int
calls_case(const char *strategy, double rate, const char *duration)
{
    g_autofree char *text = g_strdup_printf(trunk_fmt, duration, rate, rate);
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) topo = sim_topo_load_data("trunk-bench", text,
                                                 strlen(text), NULL, &error);
    if (!topo) {
        fprintf(stderr, "bench calls: %s\n", error->message);
        return 1;
    }
    SimRunOptions opt = { .strategy = strategy };
    g_autoptr(SimRunResult) r = sim_world_run(topo, &opt, &error);
    if (!r) {
        fprintf(stderr, "bench calls: %s: %s\n", strategy, error->message);
        return 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("bench calls strategy=%s calls=%" G_GUINT64_FORMAT
           " completed=%" G_GUINT64_FORMAT " wall_s=%.3f"
           " calls_per_wall_s=%.0f events=%" G_GUINT64_FORMAT
           " events_per_call=%.2f events_per_s=%.0f peak_rss_kb=%ld\n",
           strategy, r->calls_attempted, r->calls_completed, r->sim_wall_s,
           r->sim_wall_s > 0 ? r->calls_attempted / r->sim_wall_s : 0.0,
           r->sim_events,
           r->calls_attempted ? (double)r->sim_events / r->calls_attempted
                              : 0.0,
           r->sim_events_per_s, ru.ru_maxrss);
    fflush(stdout);
    return 0;
}

/* The simulated duration of @strategy's case: @forced if given, else 20 s;
 * a connection per transaction costs a TLS handshake per call, so a
 * shorter run keeps that case to seconds. */
static const char *
calls_duration(const char *strategy, const char *forced)
{
    if (forced)
        return forced;
    return g_str_equal(strategy, "per-transaction") ? "4s" : "20s";
}

int
main(int argc, char **argv)
{
    const char *forced = argc > 1 ? argv[1] : NULL;
    const char *only = argc > 2 ? argv[2] : NULL;
    const SimStrategyOps *const *all = sim_strategy_all();
    for (guint i = 0; all[i]; i++) {
        if (only && !g_str_equal(all[i]->name, only))
            continue;
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0)
            _exit(calls_case(all[i]->name, 5000,
                             calls_duration(all[i]->name, forced)));
        int status;
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
            WEXITSTATUS(status))
            return 1;
    }
    return 0;
}
