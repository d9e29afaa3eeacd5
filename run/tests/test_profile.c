/* SPDX-License-Identifier: MIT */
/*
 * Tests of the CPU profile: the built-in profiles (bare-crypto: sign + 3
 * verify + X25519 per side, the same for both roles and versions; proxy:
 * the real-stack handshake figures and the per-message, connection and
 * memory costs), a save/load round trip, partial files keeping the base
 * profile's figures, every error code with the file, group
 * and key in the message, and whole runs charging each node its own
 * role's cost for the run's TLS version.
 */
#include "run/profile.h"
#include "run/world.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static void
test_bare(void)
{
    g_auto(SimCpuProfile) p = { 0 };
    g_assert_true(sim_cpu_profile_init_named(&p, "bare-crypto"));
    /* RSA-2048: 1050 + 3 * 30 + 41 us; P-256: 36 + 3 * 102 + 41 us. */
    g_assert_cmpuint(p.key[SIM_KEY_RSA_2048].tls_full_server, ==,
                     SIM_US(1181));
    /* SPEC 3.3 gives one figure per side: both roles, both versions. */
    SimTlsCost c[SIM_TLS_N_VERSIONS][SIM_TLS_N_ROLES];
    static const struct {
        SimKeyType key;
        SimTime full;
    } want[] = {
        { SIM_KEY_RSA_2048, SIM_US(1181) },
        { SIM_KEY_ECDSA_P256, SIM_US(383) },
        { SIM_KEY_RSA_3072, SIM_US(3250 + 3 * 65 + 41) },
        { SIM_KEY_ED25519, SIM_US(22 + 3 * 66 + 41) },
    };
    for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
        sim_cpu_profile_tls_costs(&p, want[i].key, c);
        for (guint v = 0; v < SIM_TLS_N_VERSIONS; v++)
            for (guint r = 0; r < SIM_TLS_N_ROLES; r++) {
                g_assert_cmpuint(c[v][r].full, ==, want[i].full);
                g_assert_cmpuint(c[v][r].resumed, ==, SIM_US(50));
            }
        /* One-way: the server verifies no client chain (2 verify), the
         * client makes no signature. */
        const SimCpuKeyCosts *k = &p.key[want[i].key];
        g_assert_cmpuint(c[SIM_TLS_V13][SIM_TLS_ROLE_SERVER].full_oneway, ==,
                         want[i].full - 2 * k->verify);
        g_assert_cmpuint(c[SIM_TLS_V12][SIM_TLS_ROLE_CLIENT].full_oneway, ==,
                         want[i].full - k->sign);
    }
    /* Nothing but handshakes and a flat 50 us per message. */
    const SimCpuHostCosts *h = &p.host_costs;
    g_assert_cmpuint(h->sip_invite, ==, SIM_US(50));
    g_assert_cmpuint(h->sip_request, ==, SIM_US(50));
    g_assert_cmpuint(h->sip_response, ==, SIM_US(50));
    g_assert_cmpuint(h->stream_framing + h->conn_connect + h->conn_accept +
                         h->conn_close + h->tls_record +
                         h->tls_aead_per_kib + h->queue_limit,
                     ==, 0);
    g_assert_cmpuint(h->mem_socket + h->mem_tls + h->mem_proxy, ==, 0);
}

/* The default "proxy" profile: the real-stack handshake figures of a TLS
 * proxy (full mutual-auth handshake 3-5 ms per side; RSA-2048 server
 * 4.5 ms, client 3.5 ms, ECDSA 1 ms less; resumed 1.3-2.6 ms) and the
 * per-message, connection, record and memory figures of docs/model.md. */
static void
test_proxy(void)
{
    g_auto(SimCpuProfile) p = { 0 };
    sim_cpu_profile_init_defaults(&p);
    g_assert_cmpstr(p.base, ==, "proxy");
    g_assert_true(sim_cpu_profile_is_builtin("proxy"));
    g_assert_true(sim_cpu_profile_is_builtin("bare-crypto"));
    g_assert_false(sim_cpu_profile_is_builtin("proxy.profile"));
    SimTlsCost c[SIM_TLS_N_VERSIONS][SIM_TLS_N_ROLES];
    sim_cpu_profile_tls_costs(&p, SIM_KEY_RSA_2048, c);
    g_assert_cmpuint(c[SIM_TLS_V13][SIM_TLS_ROLE_SERVER].full, ==,
                     SIM_US(4500));
    g_assert_cmpuint(c[SIM_TLS_V13][SIM_TLS_ROLE_CLIENT].full, ==,
                     SIM_US(3500));
    sim_cpu_profile_tls_costs(&p, SIM_KEY_ECDSA_P256, c);
    for (guint v = 0; v < SIM_TLS_N_VERSIONS; v++) {
        g_assert_cmpuint(c[v][SIM_TLS_ROLE_SERVER].full, ==, SIM_US(3500));
        g_assert_cmpuint(c[v][SIM_TLS_ROLE_CLIENT].full, ==, SIM_US(2500));
        for (guint r = 0; r < SIM_TLS_N_ROLES; r++) {
            g_assert_cmpuint(c[v][r].resumed, >=, SIM_US(1300));
            g_assert_cmpuint(c[v][r].resumed, <=, SIM_US(2600));
            g_assert_cmpuint(c[v][r].full_oneway, <, c[v][r].full);
        }
        /* P-256 one-way: calibrate found the server spends 29% of its
         * mutual figure and the client 92%. */
        g_assert_cmpuint(c[v][SIM_TLS_ROLE_SERVER].full_oneway, ==,
                         SIM_US(1015));
        g_assert_cmpuint(c[v][SIM_TLS_ROLE_CLIENT].full_oneway, ==,
                         SIM_US(2300));
    }
    const SimCpuHostCosts *h = &p.host_costs;
    g_assert_cmpuint(h->sip_invite, ==, SIM_US(150));
    g_assert_cmpuint(h->sip_request, ==, SIM_US(70));
    g_assert_cmpuint(h->sip_response, ==, SIM_US(50));
    g_assert_cmpuint(h->stream_framing, ==, SIM_US(10));
    g_assert_cmpuint(h->queue_limit, ==, SIM_MS(200));
    g_assert_cmpuint(h->mem_socket + h->mem_tls + h->mem_proxy, ==,
                     4096 + 57344 + 4608);
}

static char *
tmp_file(const char *name, const char *contents)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("test_profile-XXXXXX", &error);
    g_assert_no_error(error);
    char *path = g_build_filename(dir, name, NULL);
    if (contents)
        g_assert_true(g_file_set_contents(path, contents, -1, NULL));
    return path;
}

static void
tmp_remove(const char *path)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_unlink(path);
    g_rmdir(dir);
}

static void
test_roundtrip(void)
{
    g_auto(SimCpuProfile) p = { 0 };
    g_auto(SimCpuProfile) q = { 0 };
    sim_cpu_profile_init_defaults(&p);
    p.host = g_strdup("Test CPU @ 1 GHz");
    p.key[SIM_KEY_RSA_3072].tls_full_server = SIM_NS(4500123);
    p.key[SIM_KEY_RSA_3072].tls_resumed_client = SIM_NS(1300500);
    p.host_costs.conn_close = SIM_NS(17250);
    p.host_costs.mem_tls = 12345;
    g_autofree char *path = tmp_file("profile.ini", NULL);
    g_autoptr(GError) error = NULL;
    g_assert_true(sim_cpu_profile_save(&p, path, &error));
    g_assert_true(sim_cpu_profile_load(&q, path, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(q.host, ==, "Test CPU @ 1 GHz");
    g_assert_cmpmem(q.key, sizeof q.key, p.key, sizeof p.key);
    g_assert_cmpmem(&q.host_costs, sizeof q.host_costs, &p.host_costs,
                    sizeof p.host_costs);
    g_assert_cmpstr(q.base, ==, "proxy");
    /* Each role keeps its own figure (no averaging). */
    SimTlsCost c[SIM_TLS_N_VERSIONS][SIM_TLS_N_ROLES];
    sim_cpu_profile_tls_costs(&q, SIM_KEY_RSA_3072, c);
    g_assert_cmpuint(c[SIM_TLS_V13][SIM_TLS_ROLE_SERVER].full, ==,
                     SIM_NS(4500123));
    g_assert_cmpuint(c[SIM_TLS_V13][SIM_TLS_ROLE_CLIENT].full, ==,
                     SIM_US(5700));
    g_assert_cmpuint(c[SIM_TLS_V13][SIM_TLS_ROLE_CLIENT].resumed, ==,
                     SIM_NS(1300500));
    g_assert_cmpuint(c[SIM_TLS_V12][SIM_TLS_ROLE_SERVER].full, ==,
                     SIM_US(6700));
    tmp_remove(path);
}

static void
test_partial(void)
{
    g_auto(SimCpuProfile) p = { 0 };
    g_autofree char *path =
        tmp_file("p.ini", "[ecdsa-p256]\ntls-full-server = 2500.5\n"
                          "[sip]\ninvite = 99\n[memory]\ntls = 1000\n");
    g_autoptr(GError) error = NULL;
    g_assert_true(sim_cpu_profile_load(&p, path, &error));
    g_assert_cmpuint(p.key[SIM_KEY_ECDSA_P256].tls_full_server, ==,
                     SIM_NS(2500500));
    /* Its one-way counterpart, absent from the file, follows it (not the
     * base profile's one-way figure). */
    g_assert_cmpuint(p.key[SIM_KEY_ECDSA_P256].tls_full_server_oneway, ==,
                     SIM_NS(2500500));
    g_assert_cmpuint(p.key[SIM_KEY_ECDSA_P256].tls12_full_server_oneway, ==,
                     SIM_US(1015));
    /* The rest from the proxy profile. */
    g_assert_cmpuint(p.key[SIM_KEY_ECDSA_P256].tls_full_client, ==,
                     SIM_US(2500));
    g_assert_cmpuint(p.key[SIM_KEY_RSA_2048].sign, ==, SIM_US(1050));
    g_assert_cmpuint(p.host_costs.sip_invite, ==, SIM_US(99));
    g_assert_cmpuint(p.host_costs.sip_request, ==, SIM_US(70));
    g_assert_cmpuint(p.host_costs.mem_tls, ==, 1000);
    tmp_remove(path);
    /* [profile] base = bare-crypto: the rest from the bare profile. */
    g_auto(SimCpuProfile) b = { 0 };
    g_autofree char *bpath =
        tmp_file("b.ini", "[profile]\nbase = bare-crypto\n"
                          "[conn]\naccept = 12\n");
    g_assert_true(sim_cpu_profile_load(&b, bpath, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(b.base, ==, "bare-crypto");
    g_assert_cmpuint(b.key[SIM_KEY_ECDSA_P256].tls_full_client, ==,
                     SIM_US(383));
    g_assert_cmpuint(b.host_costs.conn_accept, ==, SIM_US(12));
    g_assert_cmpuint(b.host_costs.conn_connect, ==, 0);
    tmp_remove(bpath);
}

typedef struct {
    const char *contents;
    gint code;
    const char *needle;
} BadCase;

static void
test_errors(void)
{
    const BadCase cases[] = {
        { "[rsa-2048]\nsign = fast\n", SIM_PROFILE_ERROR_BAD_VALUE,
          "[rsa-2048] sign" },
        { "[rsa-2048]\nverify = -3\n", SIM_PROFILE_ERROR_BAD_VALUE,
          "[rsa-2048] verify" },
        { "[ed25519]\nsigne = 3\n", SIM_PROFILE_ERROR_UNKNOWN,
          "[ed25519] signe" },
        { "[dsa-1024]\nsign = 3\n", SIM_PROFILE_ERROR_UNKNOWN, "[dsa-1024]" },
        { "sign = 3\n", SIM_PROFILE_ERROR_FILE, "" },
        { "[sip]\ninvite = slow\n", SIM_PROFILE_ERROR_BAD_VALUE,
          "[sip] invite" },
        { "[conn]\nopen = 3\n", SIM_PROFILE_ERROR_UNKNOWN, "[conn] open" },
        { "[memory]\ntls = 1.5\n", SIM_PROFILE_ERROR_BAD_VALUE,
          "[memory] tls" },
        { "[profile]\nbase = fast\n", SIM_PROFILE_ERROR_BAD_VALUE,
          "[profile] base" },
        { "[profile]\nbasis = proxy\n", SIM_PROFILE_ERROR_UNKNOWN,
          "[profile] basis" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_auto(SimCpuProfile) p = { 0 };
        g_autofree char *path = tmp_file("bad.ini", cases[i].contents);
        g_autoptr(GError) error = NULL;
        g_assert_false(sim_cpu_profile_load(&p, path, &error));
        g_assert_error(error, SIM_PROFILE_ERROR, cases[i].code);
        g_assert_nonnull(strstr(error->message, path));
        g_assert_nonnull(strstr(error->message, cases[i].needle));
        /* A failed load leaves the defaults. */
        g_assert_cmpuint(p.key[SIM_KEY_RSA_2048].sign, ==, SIM_US(1050));
        tmp_remove(path);
    }
    g_auto(SimCpuProfile) p = { 0 };
    g_autoptr(GError) error = NULL;
    g_assert_false(sim_cpu_profile_load(&p, "/nonexistent/x.ini", &error));
    g_assert_error(error, SIM_PROFILE_ERROR, SIM_PROFILE_ERROR_FILE);
    g_assert_nonnull(strstr(error->message, "/nonexistent/x.ini"));
}

/* A profile whose figures differ by role and by version (microseconds):
 * TLS 1.3 full server 3000, client 1000; TLS 1.2 full server 5000, client
 * 2000; resumed ones that no run below uses. */
static const char role_profile[] =
    "[profile]\nbase = bare-crypto\n"
    "[ecdsa-p256]\n"
    "tls-full-server-oneway = 900\ntls-full-client-oneway = 700\n"
    "tls-resumed-server-oneway = 30\ntls-resumed-client-oneway = 10\n"
    "tls-full-server = 3000\ntls-full-client = 1000\n"
    "tls-resumed-server = 300\ntls-resumed-client = 100\n"
    "tls12-full-server = 5000\ntls12-full-client = 2000\n"
    "tls12-resumed-server = 500\ntls12-resumed-client = 200\n";

/* One call from A to B over one TLS connection that A opens (reuse: the
 * responses and the caller's BYE ride on it), no SIP CPU: A is the client
 * of exactly one full handshake and B its server.  %s: profile, TLS
 * version, extra [node A] keys. */
static const char role_topo_fmt[] =
    "[simulation]\nduration = 10s\nstrategy = reuse\ncpu-profile = %s\n"
    "[transport]\nprotocol = tls\ntls-version = %s\n"
    "[domain a.test]\n[domain b.test]\n"
    "[node A]\nhost = pa.a.test\ndomains = a.test\nsip-cost = 0\n%s"
    "[node B]\nhost = pb.b.test\ndomains = b.test\nsip-cost = 0\n"
    "[traffic ab]\nfrom = a.test\nto = b.test\ncount = 1\nhold = 1s\n";

/* CPU seconds of node @i over the run: its one core's busy fraction times
 * the duration (only handshakes use CPU here). */
static double
node_cpu_s(const SimRunResult *r, guint i)
{
    return r->nodes[i].cpu_util * (double)r->duration / 1e9;
}

static void
check_role_run(const char *profile, const char *version, const char *extra,
               double client_s, double server_s)
{
    g_autofree char *text = g_strdup_printf(role_topo_fmt, profile, version,
                                            extra);
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) topo = sim_topo_load_data("roles", text, strlen(text),
                                                 NULL, &error);
    g_assert_no_error(error);
    g_autoptr(SimRunResult) r = sim_world_run(topo, NULL, &error);
    g_assert_no_error(error);
    g_test_message("TLS %s: A %.9f s, B %.9f s, crypto %.9f s", version,
                   node_cpu_s(r, 0), node_cpu_s(r, 1), r->cpu_crypto_s);
    g_assert_cmpuint(r->calls_completed, ==, 1);
    g_assert_cmpuint(r->handshakes_tls_full, ==, 1);
    g_assert_cmpuint(r->handshakes_tls_resumed, ==, 0);
    g_assert_cmpfloat(fabs(node_cpu_s(r, 0) - client_s), <, 1e-9);
    g_assert_cmpfloat(fabs(node_cpu_s(r, 1) - server_s), <, 1e-9);
    g_assert_cmpfloat(fabs(r->cpu_crypto_s - (client_s + server_s)), <,
                      1e-9);
}

/* The opener is charged the client cost and the acceptor the server cost
 * of the run's version, exactly as the profile says; a node's
 * tls-full-cost replaces its figure whatever its role. */
static void
test_run_roles(void)
{
    g_autofree char *path = tmp_file("roles.ini", role_profile);
    check_role_run(path, "1.3", "", 1000e-6, 3000e-6);
    check_role_run(path, "1.2", "", 2000e-6, 5000e-6);
    check_role_run(path, "1.3", "tls-full-cost = 7ms\n", 7e-3, 3000e-6);
    /* A role's own key wins over tls-full-cost. */
    check_role_run(path, "1.3",
                   "tls-full-cost = 7ms\ntls-full-client-cost = 4ms\n", 4e-3,
                   3000e-6);
    tmp_remove(path);
}

/* The shipped files profiles/NAME.profile hold the built-in profiles'
 * figures exactly. */
static void
test_shipped(void)
{
    const char *src = g_getenv("SIPREUSE_SRCDIR");
    const char *names[] = { "proxy", "bare-crypto" };
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *file = g_strdup_printf("%s.profile", names[i]);
        g_autofree char *path =
            g_build_filename(src ? src : ".", "profiles", file, NULL);
        g_auto(SimCpuProfile) shipped = { 0 };
        g_auto(SimCpuProfile) builtin = { 0 };
        g_autoptr(GError) error = NULL;
        g_assert_true(sim_cpu_profile_load(&shipped, path, &error));
        g_assert_no_error(error);
        g_assert_true(sim_cpu_profile_init_named(&builtin, names[i]));
        g_assert_cmpstr(shipped.base, ==, names[i]);
        g_assert_cmpmem(shipped.key, sizeof shipped.key, builtin.key,
                        sizeof builtin.key);
        g_assert_cmpmem(&shipped.host_costs, sizeof shipped.host_costs,
                        &builtin.host_costs, sizeof builtin.host_costs);
    }
}

/* Two calls from A to B, 10 s apart, on connections closed after 2 s
 * idle: the first opens with a full handshake, the second resumes its
 * session.  With mutual authentication B is charged 3000 + 300 us and A
 * 1000 + 100 us; without, the one-way figures: B 900 + 30, A 700 + 10
 * (the session had no client certificate). */
static void
test_run_oneway(void)
{
    g_autofree char *path = tmp_file("oneway.ini", role_profile);
    const struct {
        const char *mutual;
        double a_us, b_us;
    } cases[] = {
        { "true", 1000 + 100, 3000 + 300 },
        { "false", 700 + 10, 900 + 30 },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text = g_strdup_printf(
            "[simulation]\nduration = 20s\nstrategy = rfc3261\n"
            "cpu-profile = %s\n"
            "[transport]\nprotocol = tls\nmutual-auth = %s\n"
            "idle-timeout = 2s\n"
            "[domain a.test]\n[domain b.test]\n"
            "[node A]\nhost = pa.a.test\ndomains = a.test\nsip-cost = 0\n"
            "[node B]\nhost = pb.b.test\ndomains = b.test\nsip-cost = 0\n"
            "[traffic ab]\nfrom = a.test\nto = b.test\ncount = 1\n"
            "hold = 1s\n"
            "[traffic later]\nfrom = a.test\nto = b.test\ncount = 1\n"
            "hold = 1s\nstart = 10s\n",
            path, cases[i].mutual);
        g_autoptr(GError) error = NULL;
        g_autoptr(SimTopo) topo = sim_topo_load_data(
            "oneway", text, strlen(text), NULL, &error);
        g_assert_no_error(error);
        g_autoptr(SimRunResult) r = sim_world_run(topo, NULL, &error);
        g_assert_no_error(error);
        g_test_message("mutual-auth %s: A %.9f s, B %.9f s",
                       cases[i].mutual, node_cpu_s(r, 0), node_cpu_s(r, 1));
        g_assert_cmpuint(r->calls_completed, ==, 2);
        g_assert_cmpuint(r->handshakes_tls_full, ==, 1);
        g_assert_cmpuint(r->handshakes_tls_resumed, ==, 1);
        g_assert_cmpfloat(fabs(node_cpu_s(r, 0) - cases[i].a_us / 1e6), <,
                          1e-9);
        g_assert_cmpfloat(fabs(node_cpu_s(r, 1) - cases[i].b_us / 1e6), <,
                          1e-9);
    }
    tmp_remove(path);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("CPU profile: the built-in proxy and bare-crypto "
                   "profiles, file round trip, errors");
    g_test_add_func("/profile/builtin/bare-crypto", test_bare);
    g_test_add_func("/profile/builtin/proxy", test_proxy);
    g_test_add_func("/profile/file/roundtrip", test_roundtrip);
    g_test_add_func("/profile/file/shipped", test_shipped);
    g_test_add_func("/profile/file/partial", test_partial);
    g_test_add_func("/profile/file/errors", test_errors);
    g_test_add_func("/profile/run/per-role-per-version", test_run_roles);
    g_test_add_func("/profile/run/one-way", test_run_oneway);
    return g_test_run();
}
