/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 digests as hex digits (models/digest.c).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void sim_sha256_hex(const void *data, gsize len, char hex[65]);

G_END_DECLS
