/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target of the topology loader: every input is loaded twice,
 * once as a whole and once with its first line taken as a --set override
 * of the rest.  The loader must return a topology or a GError, never
 * crash, leak or hang (the sanitizers and -timeout check that), and never
 * emit a GLib critical or warning: both are made fatal, so a finding
 * stops the fuzzer instead of scrolling by.
 */
#include <string.h>

#include "run/topo.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    return 0;
}

static void
fuzz_load(const char *text, gsize len, const char *override)
{
    const char *ov[] = { override, NULL };
    GError *error = NULL;
    SimTopo *topo = sim_topo_load_data("fuzz.topo", text, len,
                                       override ? ov : NULL, &error);
    /* Exactly one of the two is set. */
    if ((topo == NULL) == (error == NULL))
        __builtin_trap();
    if (error && (error->domain != SIM_TOPO_ERROR || !error->message))
        __builtin_trap();
    g_clear_error(&error);
    sim_topo_free(topo);
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    const char *text = (const char *)data;
    fuzz_load(text, size, NULL);
    const char *nl = memchr(text, '\n', size);
    if (nl) {
        char *override = g_strndup(text, nl - text);
        if (strlen(override) == (gsize)(nl - text))
            fuzz_load(nl + 1, size - (nl + 1 - text), override);
        g_free(override);
    }
    return 0;
}
