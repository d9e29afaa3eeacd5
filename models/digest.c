/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 as hex digits through OpenSSL: the same digits as GChecksum's
 * G_CHECKSUM_SHA256, in a fraction of the instructions (OpenSSL uses the
 * processor's SHA extensions where it has them).  Completion markers hash
 * every file of every run, and credentials are keyed by digests.
 */
#define G_LOG_DOMAIN "sim-digest"

#include "models/digest.h"

#include <openssl/err.h>
#include <openssl/evp.h>

/* SHA-256, fetched once per process: an implicit fetch per digest (what
 * EVP_sha256() costs in OpenSSL 3) takes the provider store's lock every
 * time. */
static EVP_MD *
digest_sha256(void)
{
    static gsize once = 0;
    static EVP_MD *md = NULL;
    if (g_once_init_enter(&once)) {
        md = EVP_MD_fetch(NULL, "SHA256", NULL);
        g_once_init_leave(&once, 1);
    }
    return md;
}

/* 32 bytes as 64 lowercase hex digits and a NUL. */
static void
digest_hex32(const guint8 *md, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    for (guint i = 0; i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
}

/**
 * sim_sha256_hex:
 * @data: bytes
 * @len: how many
 * @hex: (out caller-allocates): 64 lowercase hex digits and a NUL
 *
 * The SHA-256 of @data, the same digits as GChecksum's, computed by OpenSSL
 * (with the processor's SHA instructions where it has them: several times
 * fewer instructions than GChecksum).
 */
void
sim_sha256_hex(const void *data, gsize len, char hex[65])
{
    guint8 md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_MD *sha = digest_sha256();
    if (!sha || !EVP_Digest(data, len, md, &n, sha, NULL) || n != 32) {
        /* No provider: GLib's own implementation gives the same digits. */
        g_autofree char *g = g_compute_checksum_for_data(
            G_CHECKSUM_SHA256, (const guchar *)data, len);
        ERR_clear_error();
        g_strlcpy(hex, g, 65);
        return;
    }
    digest_hex32(md, hex);
}
