/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target of the simulation itself (`make fuzz-model`): each
 * input is a string of choices that util_gentopo.c turns into a valid
 * topology (1-30 nodes, SRV farms, mixed strategies, lossy links, crash
 * faults, CANCEL traffic, idle timeouts, certificate misconfigurations),
 * which is run to its end under ASan and UBSan with GLib criticals and
 * warnings fatal.  The run's conservation laws are checked
 * (run/laws.c), and under the strategies that authenticate or never
 * alias no request may be hijacked.  On a failure the topology is written
 * to fuzz-model-failure.topo (or $SIPREUSE_FUZZ_FAILURE) before the
 * process traps, so it can be kept as a regression topology.
 */
#include <stdio.h>
#include <string.h>

#include "run/laws.h"
#include "run/tests/util_gentopo.h"
#include "run/topo.h"
#include "run/world.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

static char *fuzz_cache;
/* The topology of the input being run, for a failure reported by GLib. */
static const char *fuzz_text;

G_GNUC_NORETURN static void fuzz_fail(const char *text, const char *why);

/* A GLib warning or critical (fatal here) saves the topology that caused
 * it before the process stops: GLib's own fatal path ends in SIGTRAP,
 * which libFuzzer does not catch, so no input would be kept. */
static GLogWriterOutput
fuzz_log_writer(GLogLevelFlags level, const GLogField *fields, gsize n,
                gpointer user)
{
    g_log_writer_default(level, fields, n, user);
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL |
                 G_LOG_LEVEL_WARNING)) {
        const char *msg = "GLib warning or critical";
        for (gsize i = 0; i < n; i++)
            if (g_str_equal(fields[i].key, "MESSAGE") && fields[i].length < 0)
                msg = fields[i].value;
        fuzz_fail(fuzz_text ? fuzz_text : "", msg);
    }
    return G_LOG_WRITER_HANDLED;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    g_log_set_writer_func(fuzz_log_writer, NULL, NULL);
    /* Generated certificates are cached across inputs (ECDSA keys take
     * most of a small run's time otherwise). */
    const char *c = g_getenv("SIPREUSE_CACHE");
    fuzz_cache = c ? g_strdup(c) : g_dir_make_tmp("fuzz-model-XXXXXX", NULL);
    return 0;
}

/* Writes @text where a failure is kept, then stops the process. */
G_GNUC_NORETURN static void
fuzz_fail(const char *text, const char *why)
{
    const char *path = g_getenv("SIPREUSE_FUZZ_FAILURE");
    if (!path)
        path = "fuzz-model-failure.topo";
    g_autofree char *body = g_strdup_printf("# %s\n%s", why, text);
    g_file_set_contents(path, body, -1, NULL);
    fprintf(stderr, "fuzz-model: %s (topology in %s)\n", why, path);
    __builtin_trap();
}

/* Whether every node of @topo runs a strategy that must never hijack and
 * nobody spoofs. */
static gboolean
fuzz_all_safe(const SimTopo *topo)
{
    const char *run = topo->simulation.strategy;
    if (!run || g_str_equal(run, "reuse-unauthenticated"))
        return FALSE;
    for (guint i = 0; i < topo->n_nodes; i++) {
        const SimTopoNode *n = &topo->nodes[i];
        if (n->spoof_as ||
            (n->strategy && g_str_equal(n->strategy,
                                        "reuse-unauthenticated")))
            return FALSE;
    }
    return TRUE;
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    SimGenTopoLimits lim = { .max_nodes = 30, .max_duration_s = 20 };
    g_autofree char *text = sim_gentopo(data, size, &lim);
    fuzz_text = text;
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) topo = sim_topo_load_data("fuzz-model", text,
                                                 strlen(text), NULL, &error);
    if (!topo)
        fuzz_fail(text, error->message);
    SimRunOptions opt = { .cache_dir = fuzz_cache };
    g_autoptr(SimRunResult) r = sim_world_run(topo, &opt, &error);
    if (!r)
        fuzz_fail(text, error->message);
    if (!sim_laws_check(r, &error))
        fuzz_fail(text, error->message);
    if (fuzz_all_safe(topo) && r->requests_hijacked > 0)
        fuzz_fail(text, "requests.hijacked > 0 under a safe strategy");
    return 0;
}
