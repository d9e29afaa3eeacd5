/* SPDX-License-Identifier: MIT */
/*
 * `sipreuse calibrate`: measures this host for real and writes a CPU
 * profile (run/profile.h).  Per key type (models/tls_calibrate.c, where
 * OpenSSL stays): one signature, one verification, one X25519 agreement,
 * and whole TLS 1.2 and 1.3 handshakes with and without mutual
 * authentication, full and resumed, each role's CPU apart.  Once: the CPU
 * of sealing and opening TLS 1.3 records (fixed + per KiB), the heap per
 * established TLS connection, and the CPU of loopback TCP connect, accept
 * and close (models/sock_calibrate.c).  SIP message costs, kernel socket
 * and proxy memory and the queue limit cannot be measured here: the
 * built-in profile's figures are written.  Each figure repeats until it
 * has used about 0.2 s of CPU (--quick: two iterations), so the whole run
 * takes about 15 s of CPU; --key measures one key type and leaves the
 * others at the built-in defaults.
 */
#include "models/sock_calibrate.h"
#include "models/tls.h"
#include "cli/cli.h"
#include "run/batch.h"
#include "run/input.h"
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
    const SimTlsCost *o13 = m->oneway[SIM_TLS_V13];
    const SimTlsCost *o12 = m->oneway[SIM_TLS_V12];
    k->tls_full_server_oneway = o13[SIM_TLS_ROLE_SERVER].full;
    k->tls_full_client_oneway = o13[SIM_TLS_ROLE_CLIENT].full;
    k->tls12_full_server_oneway = o12[SIM_TLS_ROLE_SERVER].full;
    k->tls12_full_client_oneway = o12[SIM_TLS_ROLE_CLIENT].full;
    k->tls_resumed_server_oneway = o13[SIM_TLS_ROLE_SERVER].resumed;
    k->tls_resumed_client_oneway = o13[SIM_TLS_ROLE_CLIENT].resumed;
    k->tls12_resumed_server_oneway = o12[SIM_TLS_ROLE_SERVER].resumed;
    k->tls12_resumed_client_oneway = o12[SIM_TLS_ROLE_CLIENT].resumed;
    k->sign = m->sign;
    k->verify = m->verify;
    k->ecdh = m->ecdh;
}

/* The key-independent figures calibration measures: records, memory and
 * loopback TCP.  Each side of a connection pays the mean of sealing and
 * opening a record (one seals what the other opens), and the mean of the
 * two ends' close. */
static void
cal_host_to_profile(const SimTlsHostCalibration *h,
                    const SimSockCalibration *k, SimCpuHostCosts *c)
{
    c->tls_record = (h->seal_record + h->open_record) / 2;
    c->tls_aead_per_kib = (h->seal_per_kib + h->open_per_kib) / 2;
    if (h->mem_pairs)
        c->mem_tls = (h->mem_server + h->mem_client) / 2;
    c->conn_connect = k->connect;
    c->conn_accept = k->accept;
    c->conn_close = (k->close_client + k->close_server) / 2;
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

static double
cal_us(SimTime t)
{
    return (double)t / 1e3;
}

static void
cal_print_handshakes_head(void)
{
    printf("TLS handshakes: CPU per side in microseconds (thread CPU clock; "
           "SSL_new to SSL_free\nover a memory BIO pair; the lab chain of "
           "the key type, leaf + CA)\n");
    printf("%-10s %-7s %-7s %11s %11s %14s %14s\n", "key", "version", "auth",
           "full server", "full client", "resumed server", "resumed client");
}

static void
cal_print_handshakes(SimKeyType t, const SimTlsCalibration *m)
{
    static const char *const vname[SIM_TLS_N_VERSIONS] = {
        [SIM_TLS_V12] = "1.2", [SIM_TLS_V13] = "1.3"
    };
    const guint order[] = { SIM_TLS_V13, SIM_TLS_V12 };
    for (guint i = 0; i < G_N_ELEMENTS(order); i++) {
        guint v = order[i];
        for (guint a = 0; a < SIM_TLS_CAL_N_AUTH; a++) {
            const SimTlsCost *c = a == SIM_TLS_CAL_MUTUAL ? m->handshake[v]
                                                          : m->oneway[v];
            printf("%-10s %-7s %-7s %11.1f %11.1f %14.1f %14.1f\n",
                   sim_key_type_name(t), vname[v],
                   a == SIM_TLS_CAL_MUTUAL ? "mutual" : "one-way",
                   cal_us(c[SIM_TLS_ROLE_SERVER].full),
                   cal_us(c[SIM_TLS_ROLE_CLIENT].full),
                   cal_us(c[SIM_TLS_ROLE_SERVER].resumed),
                   cal_us(c[SIM_TLS_ROLE_CLIENT].resumed));
        }
    }
}

static void
cal_print_ops(guint n, const SimKeyType *types, const SimTlsCalibration *m)
{
    printf("\nPublic-key operations: CPU in microseconds\n");
    printf("%-10s %9s %9s %9s\n", "key", "sign", "verify", "x25519");
    for (guint i = 0; i < n; i++)
        printf("%-10s %9.1f %9.1f %9.1f\n", sim_key_type_name(types[i]),
               cal_us(m[i].sign), cal_us(m[i].verify), cal_us(m[i].ecdh));
}

static void
cal_print_host(SimKeyType t, const SimTlsHostCalibration *h,
               const SimSockCalibration *k, const SimCpuHostCosts *c)
{
    printf("\nTLS 1.3 application records (%s, %u B to %u KiB, "
           "%" G_GUINT64_FORMAT " records): CPU in microseconds\n",
           h->cipher ? h->cipher : "?", h->min_size, h->max_size / 1024,
           h->records);
    printf("%-26s %11s %9s\n", "", "per record", "per KiB");
    printf("%-26s %11.2f %9.3f\n", "seal (SSL_write)", cal_us(h->seal_record),
           cal_us(h->seal_per_kib));
    printf("%-26s %11.2f %9.3f\n", "open (SSL_read)", cal_us(h->open_record),
           cal_us(h->open_per_kib));
    printf("%-26s %11.2f %9.3f\n", "per side (profile)",
           cal_us(c->tls_record), cal_us(c->tls_aead_per_kib));
    printf("\nLoopback TCP (127.0.0.1, %u connections): CPU in microseconds "
           "per operation\n", k->n);
    printf("%-26s %9.1f\n", "connect", cal_us(k->connect));
    printf("%-26s %9.1f\n", "accept", cal_us(k->accept));
    printf("%-26s %9.1f\n", "close, connecting end", cal_us(k->close_client));
    printf("%-26s %9.1f\n", "close, accepted end", cal_us(k->close_server));
    printf("%-26s %9.1f\n", "close per end (profile)", cal_us(c->conn_close));
    if (!h->mem_pairs) {
        printf("\nHeap per TLS connection end: not measured (no heap "
               "statistics in this process);\nthe built-in profile's %"
               G_GUINT64_FORMAT " B is written\n", c->mem_tls);
        return;
    }
    printf("\nHeap per TLS connection end, idle after a full TLS 1.3 "
           "handshake (%s chain,\n%u pairs): bytes\n", sim_key_type_name(t),
           h->mem_pairs);
    printf("%-44s %8s %8s %8s\n", "", "server", "client", "mean");
    printf("%-44s %8" G_GUINT64_FORMAT " %8" G_GUINT64_FORMAT
           " %8" G_GUINT64_FORMAT "\n",
           "default mode, buffers kept (profile)", h->mem_server,
           h->mem_client, c->mem_tls);
    printf("%-44s %8" G_GUINT64_FORMAT " %8" G_GUINT64_FORMAT
           " %8" G_GUINT64_FORMAT "\n",
           "SSL_MODE_RELEASE_BUFFERS", h->mem_server_release,
           h->mem_client_release,
           (h->mem_server_release + h->mem_client_release) / 2);
}

/* What calibration cannot measure: the built-in profile's figures. */
static void
cal_print_builtin(const SimCpuHostCosts *c, const char *base)
{
    printf("\nNot measured here (the %s profile's figures are written):\n",
           base ? base : "built-in");
    printf("  SIP message CPU: INVITE %.1f us, other request %.1f us, "
           "response %.1f us;\n  stream framing %.1f us per message; "
           "queue limit %.1f ms;\n  memory per connection: kernel socket "
           "%" G_GUINT64_FORMAT " B, proxy %" G_GUINT64_FORMAT " B\n",
           cal_us(c->sip_invite), cal_us(c->sip_request),
           cal_us(c->sip_response), cal_us(c->stream_framing),
           (double)c->queue_limit / 1e6, c->mem_socket, c->mem_proxy);
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
    g_autoptr(GError) error = NULL;
    if (!sim_input_check_output(path, &error))
        return sim_cli_usage_error("calibrate", "--out %s", error->message);
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
          "ed25519; also the chain of the record and memory figures, "
          "default ecdsa-p256); the others keep the built-in defaults of "
          "docs/model.md", "TYPE" },
        G_OPTION_ENTRY_NULL
    };
    GOptionContext *ctx = sim_cli_context("calibrate", entries);
    g_option_context_set_description(
        ctx,
        "Measures, on the thread CPU clock, with the real OpenSSL and "
        "kernel:\n"
        "  TLS handshakes per key type (a generated leaf + CA chain), TLS "
        "1.3 and 1.2,\n"
        "    mutual and one-way, full and resumed, server and client "
        "apart;\n"
        "  sign, verify and X25519;\n"
        "  TLS 1.3 application records: seal and open, per record and "
        "per KiB;\n"
        "  loopback TCP connect, accept and close;\n"
        "  heap per established TLS connection (OpenSSL's default "
        "buffers).\n"
        "Prints every figure and writes them as a profile for "
        "[simulation] cpu-profile.\n"
        "SIP message costs, stream framing, the queue limit, and kernel "
        "socket and\nproxy memory per connection cannot be measured "
        "here: the proxy profile's\nfigures are written.  The full "
        "run takes about 15 s of CPU; calibrate an idle host.");
    int rc = sim_cli_parse(ctx, &argc, &argv);
    if (rc)
        return rc;
    if (argc > 1)
        return sim_cli_usage_error("calibrate", "takes no arguments, found "
                                   "%d (the profile file is --out FILE)",
                                   argc - 1);
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
    /* The lab chains come from the PKI cache runs use, when it can be
     * written (key generation, RSA-3072's above all, is slower than a
     * quick calibration); otherwise they are generated each time. */
    g_autofree char *cache = sim_batch_cache_dir();
    if (!sim_batch_cache_ready(cache, NULL))
        g_clear_pointer(&cache, g_free);
    SimKeyType types[SIM_KEY_N_TYPES];
    SimTlsCalibration m[SIM_KEY_N_TYPES];
    guint n = 0;
    cal_print_handshakes_head();
    for (guint t = 0; t < SIM_KEY_N_TYPES; t++) {
        if (only && t != one)
            continue;
        g_autoptr(GError) error = NULL;
        if (!sim_tls_calibrate(t, cache, &b, &m[n], &error)) {
            fprintf(stderr, "sipreuse calibrate: %s\n", error->message);
            return SIM_EXIT_FAILURE;
        }
        cal_to_profile(&m[n], &p.key[t]);
        cal_print_handshakes(t, &m[n]);
        fflush(stdout);
        types[n++] = t;
    }
    cal_print_ops(n, types, m);
    /* Records and memory with the chain measured (--key) or the default
     * [pki] key. */
    SimKeyType hk = only ? one : SIM_KEY_ECDSA_P256;
    SimTlsHostCalibration h;
    SimSockCalibration k;
    g_autoptr(GError) herror = NULL;
    if (!sim_tls_calibrate_host(hk, cache, &b, &h, &herror) ||
        !sim_sock_calibrate(b.budget, b.min_iter, b.max_iter, &k, &herror)) {
        fprintf(stderr, "sipreuse calibrate: %s\n", herror->message);
        return SIM_EXIT_FAILURE;
    }
    cal_host_to_profile(&h, &k, &p.host_costs);
    cal_print_host(hk, &h, &k, &p.host_costs);
    cal_print_builtin(&p.host_costs, p.base);
    g_autoptr(GError) error = NULL;
    if (!sim_cpu_profile_save(&p, path, &error)) {
        fprintf(stderr, "sipreuse calibrate: %s\n", error->message);
        return SIM_EXIT_FAILURE;
    }
    printf("wrote %s\n", path);
    return SIM_EXIT_OK;
}
