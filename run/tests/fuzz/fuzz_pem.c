/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target of the PEM loaders (certificate chains and keys a
 * topology names with cert-file, key-file, ca-file): each input is written
 * to a file and checked as a chain, as a key, as a node's key, as a
 * certificate-and-key pair, and loaded as a node's credentials under a
 * generated CA.  Every call must return its answer or a GError, never
 * crash, leak, hang or emit a GLib critical or warning (all made fatal).
 */
#include <glib/gstdio.h>
#include <string.h>

#include "models/pki.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

static char *fuzz_dir;
static char *fuzz_file;
static SimPki *fuzz_pki;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    fuzz_dir = g_dir_make_tmp("fuzz-pem-XXXXXX", NULL);
    fuzz_file = g_build_filename(fuzz_dir, "input.pem", NULL);
    SimPkiParams p = { .key = SIM_KEY_ECDSA_P256, .ca_name = "fuzz CA" };
    fuzz_pki = sim_pki_new(&p, NULL);
    return 0;
}

/* Exactly one of a result and an error, and the error has a message. */
static void
fuzz_one(gboolean ok, GError *error)
{
    if (ok == (error != NULL) || (error && !error->message))
        __builtin_trap();
    g_clear_error(&error);
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    if (!g_file_set_contents(fuzz_file, (const char *)data, (gssize)size,
                             NULL))
        __builtin_trap();
    static const SimPkiPemKind kinds[] = { SIM_PKI_PEM_CERTS, SIM_PKI_PEM_KEY,
                                           SIM_PKI_PEM_LEAF_KEY };
    for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
        GError *error = NULL;
        gboolean ok = sim_pki_check_pem_file(fuzz_file, kinds[i], &error);
        fuzz_one(ok, error);
    }
    GError *error = NULL;
    gboolean ok = sim_pki_check_pem_pair(fuzz_file, fuzz_file, &error);
    fuzz_one(ok, error);
    if (fuzz_pki) {
        error = NULL;
        SimPkiCreds *c = sim_pki_load(fuzz_pki, fuzz_file, fuzz_file, &error);
        fuzz_one(c != NULL, error);
        sim_pki_creds_free(c);
    }
    return 0;
}
