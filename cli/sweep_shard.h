/* SPDX-License-Identifier: MIT */
/*
 * Sharded sweeps (cli/sweep_shard.c): `sweep --shard I/N` runs every N-th
 * run of the grid into a folder of its own, `sweep --merge DIR...` checks
 * that the shard folders hold every run of the grid exactly once, of the
 * same experiment and build, and gathers them into one sweep folder.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The file a shard folder carries at its root. */
#define SIM_SWEEP_SHARD_FILE "shard"

gboolean sim_sweep_shard_parse(const char *text, guint *index, guint *count);
GPtrArray *sim_sweep_shard_jobs(GPtrArray *jobs, guint index, guint count);
char *sim_sweep_campaign(GPtrArray *jobs);
gboolean sim_sweep_shard_write(const char *out, guint index, guint count,
                               GPtrArray *jobs, GError **error);
int sim_sweep_shard_check_out(const char *out, guint index, guint count,
                              GPtrArray *jobs);
int sim_sweep_merge_check_out(const char *out, const char *const *dirs);
int sim_sweep_merge(GPtrArray *jobs, const char *out,
                    const char *const *dirs);

G_END_DECLS
