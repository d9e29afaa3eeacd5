/* SPDX-License-Identifier: MIT */
/*
 * Tests of sim_sha256_hex against the SHA-256 examples of FIPS 180-2
 * (appendix B: "abc", the 448-bit two-block message, one million "a")
 * and the empty message, and against GLib's own SHA-256 on buffers of
 * every length around the 64-byte block boundary.
 */
#include "models/digest.h"

#include <string.h>

static void
test_fips_vectors(void)
{
    static const struct {
        const char *msg;
        const char *hex;
    } v[] = {
        { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
        { "abc",
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
        { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(v); i++) {
        char hex[65];
        sim_sha256_hex(v[i].msg, strlen(v[i].msg), hex);
        g_assert_cmpstr(hex, ==, v[i].hex);
    }
    g_autofree char *million = g_malloc(1000000);
    memset(million, 'a', 1000000);
    char hex[65];
    sim_sha256_hex(million, 1000000, hex);
    g_assert_cmpstr(
        hex, ==,
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void
test_same_as_glib(void)
{
    guint8 buf[300];
    for (guint i = 0; i < sizeof buf; i++)
        buf[i] = (guint8)(i * 131 + 7);
    for (gsize len = 0; len <= sizeof buf; len++) {
        char hex[65];
        sim_sha256_hex(buf, len, hex);
        g_autofree char *want =
            g_compute_checksum_for_data(G_CHECKSUM_SHA256, buf, len);
        g_assert_cmpstr(hex, ==, want);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("SHA-256 hex digests: FIPS 180-2 examples and GLib's "
                   "digits for every length up to 300 bytes.");
    g_test_add_func("/digest/fips-180-2", test_fips_vectors);
    g_test_add_func("/digest/same-as-glib", test_same_as_glib);
    return g_test_run();
}
