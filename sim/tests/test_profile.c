/* SPDX-License-Identifier: MIT */
/*
 * Tests of the CPU profile: the SPEC 3.3 defaults (sign + 3 verify + X25519
 * per side), a save/load round trip, partial files keeping defaults, and
 * every error code with the file, group and key in the message.
 */
#include "sim/profile.h"

#include <glib/gstdio.h>
#include <string.h>

static void
test_defaults(void)
{
    g_auto(SimCpuProfile) p = { 0 };
    sim_cpu_profile_init_defaults(&p);
    /* RSA-2048: 1050 + 3 * 30 + 41 us; P-256: 36 + 3 * 102 + 41 us. */
    g_assert_cmpuint(p.key[SIM_KEY_RSA_2048].tls_full_server, ==,
                     SIM_US(1181));
    g_assert_cmpuint(sim_cpu_profile_tls_full_cost(&p, SIM_KEY_RSA_2048), ==,
                     SIM_US(1181));
    g_assert_cmpuint(sim_cpu_profile_tls_full_cost(&p, SIM_KEY_ECDSA_P256),
                     ==, SIM_US(383));
    g_assert_cmpuint(sim_cpu_profile_tls_resumed_cost(&p, SIM_KEY_ED25519),
                     ==, SIM_US(50));
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
    g_autofree char *path = tmp_file("profile.ini", NULL);
    g_autoptr(GError) error = NULL;
    g_assert_true(sim_cpu_profile_save(&p, path, &error));
    g_assert_true(sim_cpu_profile_load(&q, path, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(q.host, ==, "Test CPU @ 1 GHz");
    g_assert_cmpmem(q.key, sizeof q.key, p.key, sizeof p.key);
    /* (4500123 + 1181000) / 2 with the default client role. */
    g_assert_cmpuint(sim_cpu_profile_tls_full_cost(&q, SIM_KEY_RSA_3072), ==,
                     (SIM_NS(4500123) + SIM_US(3486)) / 2);
    tmp_remove(path);
}

static void
test_partial(void)
{
    g_auto(SimCpuProfile) p = { 0 };
    g_autofree char *path =
        tmp_file("p.ini", "[ecdsa-p256]\ntls-full-server = 2500.5\n");
    g_autoptr(GError) error = NULL;
    g_assert_true(sim_cpu_profile_load(&p, path, &error));
    g_assert_cmpuint(p.key[SIM_KEY_ECDSA_P256].tls_full_server, ==,
                     SIM_NS(2500500));
    g_assert_cmpuint(p.key[SIM_KEY_ECDSA_P256].tls_full_client, ==,
                     SIM_US(383));
    g_assert_cmpuint(p.key[SIM_KEY_RSA_2048].sign, ==, SIM_US(1050));
    tmp_remove(path);
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

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("CPU profile: SPEC 3.3 defaults, file round trip, errors");
    g_test_add_func("/profile/defaults/spec", test_defaults);
    g_test_add_func("/profile/file/roundtrip", test_roundtrip);
    g_test_add_func("/profile/file/partial", test_partial);
    g_test_add_func("/profile/file/errors", test_errors);
    return g_test_run();
}
