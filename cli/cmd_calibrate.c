/* SPDX-License-Identifier: MIT */
/*
 * `sipreuse calibrate`: measures this host's TLS costs with OpenSSL for
 * real (sim_tls_calibrate in models/tls.c, where OpenSSL stays) and writes
 * a CPU profile (run/profile.h).  Per key type: one signature, one
 * verification, one X25519 agreement, and whole TLS 1.2 and 1.3 handshakes
 * (full with mutual authentication, and resumed), each role's CPU apart.
 * Each figure repeats until it has used about 0.2 s of CPU (--quick: two
 * iterations), so the whole run takes roughly 10-15 s; --key measures one
 * key type and leaves the others at the built-in defaults (the table in
 * docs/model.md, "TLS sizes and CPU").
 */
#include "models/tls.h"
#include "cli/cli.h"
#include "run/profile.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Copies what calibration measured into the profile's figures. */
static void
cal_to_profile(const SimTlsCalibration *m, SimCpuKeyCosts *k)
{
    const SimTlsCost *v13 = m->handshake[SIM_TLS_V13];
    const SimTlsCost *v12 = m->handshake[SIM_TLS_V12];
    k->tls_full_server = v13[SIM_TLS_ROLE_SERVER].full;
    k->tls_full_client = v13[SIM_TLS_ROLE_CLIENT].full;
    k->tls_resumed_server = v13[SIM_TLS_ROLE_SERVER].resumed;
    k->tls_resumed_client = v13[SIM_TLS_ROLE_CLIENT].resumed;
    k->tls12_full_server = v12[SIM_TLS_ROLE_SERVER].full;
    k->tls12_full_client = v12[SIM_TLS_ROLE_CLIENT].full;
    k->tls12_resumed_server = v12[SIM_TLS_ROLE_SERVER].resumed;
    k->tls12_resumed_client = v12[SIM_TLS_ROLE_CLIENT].resumed;
    k->sign = m->sign;
    k->verify = m->verify;
    k->ecdh = m->ecdh;
}

static char *
cal_host_info(void)
{
    g_autofree char *cpuinfo = NULL;
    g_autofree char *model = NULL;
    if (g_file_get_contents("/proc/cpuinfo", &cpuinfo, NULL, NULL)) {
        char *m = strstr(cpuinfo, "model name");
        char *colon = m ? strchr(m, ':') : NULL;
        if (colon)
            model = g_strndup(colon + 2, strcspn(colon + 2, "\n"));
    }
    return g_strdup_printf("%s; %s; %u threads", model ? model : "unknown",
                           sim_tls_library_version(),
                           g_get_num_processors());
}

static void
cal_print(SimKeyType t, const SimCpuKeyCosts *k)
{
    printf("%-10s full server %8.1f us  client %8.1f us  resumed server "
           "%7.1f us  client %7.1f us  sign %7.1f  verify %7.1f  ecdh "
           "%5.1f\n",
           sim_key_type_name(t), k->tls_full_server / 1e3,
           k->tls_full_client / 1e3, k->tls_resumed_server / 1e3,
           k->tls_resumed_client / 1e3, k->sign / 1e3, k->verify / 1e3,
           k->ecdh / 1e3);
}

/* The profile can be written at @path: checked before the measurements
 * (which take seconds) by making and removing a file beside it.  Returns
 * the exit status: 2 if @path is a folder or lies under a file, 1 if its
 * folder cannot be written. */
static int
cal_check_out(const char *path)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR))
        return sim_cli_usage_error("calibrate", "--out %s: expected a file "
                                   "name, found a folder", path);
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *probe = g_build_filename(dir, ".sipreuse-probe-XXXXXX",
                                              NULL);
    int fd = g_mkstemp(probe);
    if (fd < 0) {
        int e = errno;
        fprintf(stderr, "sipreuse calibrate: --out %s: cannot write in %s: "
                        "%s\n", path, dir, g_strerror(e));
        return e == ENOTDIR ? SIM_EXIT_USAGE : SIM_EXIT_FAILURE;
    }
    close(fd);
    g_unlink(probe);
    return SIM_EXIT_OK;
}

/**
 * sim_cmd_calibrate:
 * @argc: argument count
 * @argv: arguments; argv[0] is "calibrate"
 *
 * Returns: the exit status.
 */
int
sim_cmd_calibrate(int argc, char **argv)
{
    g_autofree char *out = NULL;
    g_autofree char *only = NULL;
    gboolean quick = FALSE;
    const GOptionEntry entries[] = {
        { "out", 0, 0, G_OPTION_ARG_FILENAME, &out,
          "Profile file to write (default cpu-profile.ini)", "FILE" },
        { "quick", 0, 0, G_OPTION_ARG_NONE, &quick,
          "A few iterations only (tests; figures are rough)", NULL },
        { "key", 0, 0, G_OPTION_ARG_STRING, &only,
          "Measure this key type only (rsa-2048, rsa-3072, ecdsa-p256, "
          "ed25519); the others keep the built-in defaults of "
          "docs/model.md", "TYPE" },
        G_OPTION_ENTRY_NULL
    };
    int rc = sim_cli_parse(sim_cli_context("calibrate", entries), &argc, &argv);
    if (rc)
        return rc;
    SimKeyType one = SIM_KEY_N_TYPES;
    if (only && !sim_key_type_from_name(only, &one)) {
        fprintf(stderr, "sipreuse calibrate: --key: unknown key type '%s' "
                        "(expected rsa-2048, rsa-3072, ecdsa-p256 or "
                        "ed25519)\n", only);
        return SIM_EXIT_USAGE;
    }
    const char *path = out ? out : "cpu-profile.ini";
    if ((rc = cal_check_out(path)))
        return rc;
    SimTlsCalBudget b = quick ? (SimTlsCalBudget){ 0, 2, 2 }
                              : (SimTlsCalBudget){ SIM_MS(200), 5, 100000 };
    g_auto(SimCpuProfile) p = { 0 };
    sim_cpu_profile_init_defaults(&p);
    p.host = cal_host_info();
    for (guint t = 0; t < SIM_KEY_N_TYPES; t++) {
        if (only && t != one)
            continue;
        g_autoptr(GError) error = NULL;
        SimTlsCalibration m;
        if (!sim_tls_calibrate(t, &b, &m, &error)) {
            fprintf(stderr, "sipreuse calibrate: %s\n", error->message);
            return SIM_EXIT_FAILURE;
        }
        cal_to_profile(&m, &p.key[t]);
        cal_print(t, &p.key[t]);
    }
    g_autoptr(GError) error = NULL;
    if (!sim_cpu_profile_save(&p, path, &error)) {
        fprintf(stderr, "sipreuse calibrate: %s\n", error->message);
        return SIM_EXIT_FAILURE;
    }
    printf("wrote %s\n", path);
    return SIM_EXIT_OK;
}
