/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target of the experiment parser (run/experiment.c): every
 * input is parsed as an experiment file without reading the topology it
 * names.  The parser must return an experiment or a GError naming the
 * file, never crash, leak, hang or emit a GLib critical or warning (made
 * fatal); a parsed experiment keeps its own invariants (reps at least 1,
 * a value list per varied key, a seed with room for every replication).
 */
#include "run/experiment.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    return 0;
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    GError *error = NULL;
    SimExperiment *e = sim_experiment_load_data(
        "fuzz.exp", (const char *)data, size, FALSE, &error);
    if ((e == NULL) == (error == NULL))
        __builtin_trap();
    if (error && !error->message)
        __builtin_trap();
    if (e) {
        if (e->reps < 1 || !e->keys || !e->values ||
            e->values->len != g_strv_length(e->keys) ||
            e->seed > G_MAXUINT64 - (guint64)(e->reps - 1))
            __builtin_trap();
        for (guint i = 0; i < e->values->len; i++)
            if (!((char **)g_ptr_array_index(e->values, i))[0])
                __builtin_trap();
    }
    g_clear_error(&error);
    sim_experiment_free(e);
    return 0;
}
