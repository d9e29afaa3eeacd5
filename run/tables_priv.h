/* SPDX-License-Identifier: MIT */
/*
 * What the files of the tables module (run/tables*.c) share and nothing
 * else uses.
 */
#pragma once

#include <glib.h>

#include "run/tables.h"

G_BEGIN_DECLS

gboolean sim_tables_run_meta(const char *dir, GPtrArray *kv, GError **error);

G_END_DECLS
