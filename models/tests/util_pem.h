/* SPDX-License-Identifier: MIT */
/*
 * Test helper: PEM certificates made directly with OpenSSL, independently
 * of models/pki.c, with validity windows chosen by the test (typically
 * around the current time, as real certificates are): a self-signed CA and
 * leaves it issues, all ECDSA P-256.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void sim_test_pem_ca(const char *cert_file, const char *key_file,
                     gint64 not_before, gint64 not_after);
void sim_test_pem_leaf(const char *ca_cert, const char *ca_key,
                       const char *cert_file, const char *key_file,
                       const char *cn, const char *san, gint64 not_before,
                       gint64 not_after);

G_END_DECLS
