/* SPDX-License-Identifier: MIT */
/*
 * Sharded sweeps, for clusters without MPI or for array jobs: shard I of N
 * holds the runs whose index in the grid's run order (points, then
 * strategies, then replications) is I-1 modulo N, so the partition is
 * deterministic and each shard gets a share of every load.  A shard
 * folder records its I/N and the campaign it belongs to: the SHA-256 of
 * every run's fingerprint in order (which covers the experiment, its
 * topology and the files it names, the command line's --set, --reps and
 * --seed, the timing flag and the program's build).  A merge recomputes
 * the campaign from the experiment and refuses (exit 2) a folder that is
 * not a shard, a shard of another campaign, two shards with the same I or
 * different N, a missing shard and a run not complete and intact in the
 * shard that owns it; it then copies every run folder into --out the way
 * an MPI rank 0 writes one (marker last), so the merged folder is the
 * whole sweep's and --resume works in it.
 */
#include "cli/sweep_shard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "run/batch.h"
#include "run/ship.h"

/**
 * sim_sweep_shard_parse:
 * @text: "I/N"
 * @index: (out): I, from 1 to N
 * @count: (out): N, at least 1
 *
 * Returns: TRUE if @text is a shard of that form.
 */
gboolean
sim_sweep_shard_parse(const char *text, guint *index, guint *count)
{
    guint64 i = 0, n = 0;
    g_auto(GStrv) parts = g_strsplit(text, "/", -1);
    if (g_strv_length(parts) != 2 ||
        !g_ascii_string_to_unsigned(parts[0], 10, 1, G_MAXUINT, &i, NULL) ||
        !g_ascii_string_to_unsigned(parts[1], 10, 1, G_MAXUINT, &n, NULL) ||
        i > n)
        return FALSE;
    *index = (guint)i;
    *count = (guint)n;
    return TRUE;
}

/**
 * sim_sweep_shard_jobs:
 * @jobs: (element-type SimBatchJob): every job of the grid, in order
 * @index: the shard, from 1 to @count
 * @count: the number of shards
 *
 * Returns: (transfer container): the shard's jobs (borrowed from @jobs).
 */
GPtrArray *
sim_sweep_shard_jobs(GPtrArray *jobs, guint index, guint count)
{
    GPtrArray *mine = g_ptr_array_new();
    for (guint k = index - 1; k < jobs->len; k += count)
        g_ptr_array_add(mine, g_ptr_array_index(jobs, k));
    return mine;
}

/**
 * sim_sweep_campaign:
 * @jobs: (element-type SimBatchJob): every job of the grid, in order
 *
 * Returns: (transfer full): "sha256:HEX" over every job's fingerprint.
 */
char *
sim_sweep_campaign(GPtrArray *jobs)
{
    g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);
    for (guint k = 0; k < jobs->len; k++) {
        SimBatchJob *job = g_ptr_array_index(jobs, k);
        const char *f = job->fingerprint ? job->fingerprint : "-";
        g_checksum_update(ck, (const guchar *)f, -1);
        g_checksum_update(ck, (const guchar *)"\n", 1);
    }
    return g_strconcat("sha256:", g_checksum_get_string(ck), NULL);
}

/**
 * sim_sweep_shard_write:
 * @out: the shard's folder
 * @index: the shard, from 1 to @count
 * @count: the number of shards
 * @jobs: (element-type SimBatchJob): every job of the grid, in order
 * @error: return location for a GError
 *
 * Writes @out/shard: the shard's I/N, the campaign and the runs it holds.
 *
 * Returns: TRUE on success.
 */
gboolean
sim_sweep_shard_write(const char *out, guint index, guint count,
                      GPtrArray *jobs, GError **error)
{
    g_autofree char *campaign = sim_sweep_campaign(jobs);
    g_autofree char *path = g_build_filename(out, SIM_SWEEP_SHARD_FILE,
                                             NULL);
    g_autofree char *text = g_strdup_printf(
        "shard %u/%u\ncampaign %s\nruns %u\n", index, count, campaign,
        jobs->len / count + (index - 1 < jobs->len % count));
    return sim_out_write_file(path, text, error);
}

/* A shard folder as read. */
typedef struct {
    const char *dir;
    guint index;
    guint count;
    char *campaign;
    SimLock *lock;
} Shard;

static void
shard_clear(Shard *s)
{
    g_free(s->campaign);
    g_clear_pointer(&s->lock, sim_lock_release);
}

/* Reads @dir/shard into @s.  Returns the exit status (0: read). */
static int
shard_read(const char *dir, Shard *s)
{
    g_autofree char *path = g_build_filename(dir, SIM_SWEEP_SHARD_FILE,
                                             NULL);
    g_autofree char *text = NULL;
    char campaign[80] = "";
    s->dir = dir;
    if (!g_file_get_contents(path, &text, NULL, NULL) ||
        sscanf(text, "shard %u/%u\ncampaign %79s", &s->index, &s->count,
               campaign) != 3 ||
        s->index < 1 || s->index > s->count)
        return sim_cli_usage_error("sweep", "--merge: %s is not a shard "
                                   "folder (no readable %s file: made by "
                                   "sweep --shard I/N)", dir,
                                   SIM_SWEEP_SHARD_FILE);
    s->campaign = g_strdup(campaign);
    return SIM_EXIT_OK;
}

/* Checks that @shards are the @n shards of @campaign, each once. */
static int
shard_check_set(Shard *shards, guint n, const char *campaign)
{
    for (guint a = 0; a < n; a++) {
        if (!g_str_equal(shards[a].campaign, campaign))
            return sim_cli_usage_error(
                "sweep", "--merge: %s is a shard of another campaign (another "
                "experiment or topology, other --set, --reps, --seed or "
                "--no-timing, or another build of the program)",
                shards[a].dir);
        if (shards[a].count != shards[0].count)
            return sim_cli_usage_error(
                "sweep", "--merge: %s is shard %u/%u but %s is shard %u/%u: "
                "shards of one split only", shards[a].dir, shards[a].index,
                shards[a].count, shards[0].dir, shards[0].index,
                shards[0].count);
        for (guint b = 0; b < a; b++)
            if (shards[b].index == shards[a].index)
                return sim_cli_usage_error(
                    "sweep", "--merge: %s and %s are both shard %u/%u "
                    "(overlapping runs)", shards[b].dir, shards[a].dir,
                    shards[a].index, shards[a].count);
    }
    if (n != shards[0].count)
        return sim_cli_usage_error(
            "sweep", "--merge: %u shard folder%s given, the split has %u: "
            "every shard 1/%u to %u/%u is needed", n, n == 1 ? "" : "s",
            shards[0].count, shards[0].count, shards[0].count,
            shards[0].count);
    return SIM_EXIT_OK;
}

/* The folder of @job inside @shard_dir (job->dir is under @out). */
static char *
shard_run_dir(const SimBatchJob *job, const char *out, const char *shard_dir)
{
    const char *rel = job->dir + strlen(out);
    while (*rel == G_DIR_SEPARATOR)
        rel++;
    return g_build_filename(shard_dir, rel, NULL);
}

/* Checks that every job is complete in the shard that owns it and takes
 * its row.  Returns the exit status. */
static int
shard_check_runs(GPtrArray *jobs, const char *out, Shard **by_index)
{
    guint missing = 0;
    for (guint k = 0; k < jobs->len; k++) {
        SimBatchJob *job = g_ptr_array_index(jobs, k);
        const Shard *s = by_index[k % by_index[0]->count];
        g_autofree char *src = shard_run_dir(job, out, s->dir);
        g_auto(GStrv) row = NULL;
        if (sim_out_run_check(src, job->fingerprint, &row, NULL, NULL) ==
            SIM_OUT_RUN_OK) {
            g_strfreev(job->row);
            job->row = g_steal_pointer(&row);
        } else if (missing++ < 10) {
            fprintf(stderr, "sipreuse sweep: --merge: %s: not a complete, "
                            "intact run of this campaign\n", src);
        }
    }
    if (missing)
        return sim_cli_usage_error(
            "sweep", "--merge: %u run%s missing from the shards (run their "
            "shard again with --resume, then merge)", missing,
            missing == 1 ? " is" : "s are");
    return SIM_EXIT_OK;
}

/* Copies every job's run folder from its shard into its own folder. */
static int
shard_copy_runs(GPtrArray *jobs, const char *out, Shard **by_index)
{
    for (guint k = 0; k < jobs->len; k++) {
        SimBatchJob *job = g_ptr_array_index(jobs, k);
        const Shard *s = by_index[k % by_index[0]->count];
        g_autofree char *src = shard_run_dir(job, out, s->dir);
        g_autoptr(GError) error = NULL;
        /* Copied even over a complete run of the same fingerprint already
         * there: its timing columns may differ from the shard's row. */
        g_autoptr(GBytes) packed = sim_ship_dir_pack(src, &error);
        if (!packed || !sim_ship_dir_unpack(packed, job->dir, &error)) {
            sim_cli_error("sweep", "--merge: %s", error->message);
            return SIM_EXIT_FAILURE;
        }
    }
    return SIM_EXIT_OK;
}

/**
 * sim_sweep_merge:
 * @jobs: (element-type SimBatchJob): every job of the grid, in order,
 *   each with its folder under @out; their rows are filled in
 * @out: the merged folder (created and locked by the caller)
 * @dirs: the shard folders, NULL-terminated
 *
 * Checks the shards (see the file's comment, every refusal printed, exit
 * 2) and copies every run into its folder under @out.
 *
 * Returns: the exit status (0: every job has its row).
 */
int
sim_sweep_merge(GPtrArray *jobs, const char *out, const char *const *dirs)
{
    guint n = g_strv_length((char **)dirs);
    g_autofree Shard *shards = g_new0(Shard, n);
    g_autofree char *campaign = sim_sweep_campaign(jobs);
    int rc = SIM_EXIT_OK;
    for (guint a = 0; a < n && !rc; a++)
        rc = shard_read(dirs[a], &shards[a]);
    if (!rc)
        rc = shard_check_set(shards, n, campaign);
    /* Held while they are read: no shard is being written meanwhile. */
    for (guint a = 0; a < n && !rc; a++)
        rc = sim_cli_lock("sweep", shards[a].dir, &shards[a].lock);
    if (!rc) {
        g_autofree Shard **by_index = g_new0(Shard *, n);
        for (guint a = 0; a < n; a++)
            by_index[shards[a].index - 1] = &shards[a];
        rc = shard_check_runs(jobs, out, by_index);
        if (!rc)
            rc = shard_copy_runs(jobs, out, by_index);
    }
    for (guint a = 0; a < n; a++)
        shard_clear(&shards[a]);
    return rc;
}

/**
 * sim_sweep_shard_check_out:
 * @out: the shard's folder (created and locked by the caller)
 * @index: the shard, from 1 to @count
 * @count: the number of shards
 * @jobs: (element-type SimBatchJob): every job of the grid, in order, each
 *   with its folder under @out
 *
 * Before any run of shard @index/@count into @out: refuses (exit 2) an
 * @out holding another shard (another I or N: its runs would mix) or a
 * sweep that is not a shard (a runs.tsv or complete runs without a shard
 * file).  Then writes @out's shard file, so that a shard interrupted
 * before its end is still known as this shard when resumed.
 *
 * Returns: the exit status (0: go).
 */
int
sim_sweep_shard_check_out(const char *out, guint index, guint count,
                          GPtrArray *jobs)
{
    g_autofree char *path = g_build_filename(out, SIM_SWEEP_SHARD_FILE,
                                             NULL);
    if (g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_autofree char *text = NULL;
        guint i = 0, n = 0;
        if (!g_file_get_contents(path, &text, NULL, NULL) ||
            sscanf(text, "shard %u/%u", &i, &n) != 2)
            return sim_cli_usage_error("sweep", "--out %s: its %s file is "
                                       "unreadable; give a new folder",
                                       out, SIM_SWEEP_SHARD_FILE);
        if (i != index || n != count)
            return sim_cli_usage_error(
                "sweep", "--out %s holds shard %u/%u, not %u/%u: give each "
                "shard a folder of its own", out, i, n, index, count);
    } else {
        g_autofree char *runs = g_build_filename(out, "runs.tsv", NULL);
        gboolean whole = g_file_test(runs, G_FILE_TEST_EXISTS);
        for (guint k = 0; k < jobs->len && !whole; k++) {
            const SimBatchJob *job = g_ptr_array_index(jobs, k);
            g_autofree char *marker = g_build_filename(job->dir,
                                                       SIM_OUT_COMPLETE,
                                                       NULL);
            whole = g_file_test(marker, G_FILE_TEST_EXISTS);
        }
        if (whole)
            return sim_cli_usage_error(
                "sweep", "--out %s holds a sweep that is not a shard (runs "
                "without a %s file): give each shard a folder of its own",
                out, SIM_SWEEP_SHARD_FILE);
    }
    g_autoptr(GError) error = NULL;
    if (!sim_sweep_shard_write(out, index, count, jobs, &error)) {
        sim_cli_error("sweep", "%s", error->message);
        return SIM_EXIT_FAILURE;
    }
    return SIM_EXIT_OK;
}

/* @path resolved: its longest existing ancestor through realpath, the
 * rest appended as written (canonicalized). */
static char *
shard_resolve(const char *path)
{
    g_autofree char *abs = g_canonicalize_filename(path, NULL);
    g_autofree char *head = g_strdup(abs);
    GString *tail = g_string_new(NULL);
    for (;;) {
        char *real = realpath(head, NULL);
        if (real) {
            char *r = g_build_filename(real, tail->str, NULL);
            free(real);
            g_string_free(tail, TRUE);
            return r;
        }
        char *slash = strrchr(head, G_DIR_SEPARATOR);
        if (!slash || slash == head) {
            g_string_free(tail, TRUE);
            return g_steal_pointer(&abs);
        }
        g_string_prepend(tail, slash + 1);
        g_string_prepend_c(tail, G_DIR_SEPARATOR);
        *slash = '\0';
    }
}

/**
 * sim_sweep_merge_check_out:
 * @out: the merged folder
 * @dirs: the shard folders, NULL-terminated
 *
 * Refuses (exit 2) an @out that is one of @dirs or lies inside one: the
 * merge would write into a shard it reads.
 *
 * Returns: the exit status (0: go).
 */
int
sim_sweep_merge_check_out(const char *out, const char *const *dirs)
{
    g_autofree char *rout = shard_resolve(out);
    for (guint a = 0; dirs[a]; a++) {
        g_autofree char *rdir = shard_resolve(dirs[a]);
        gsize n = strlen(rdir);
        if (g_str_equal(rout, rdir) ||
            (g_str_has_prefix(rout, rdir) &&
             (rout[n] == G_DIR_SEPARATOR || g_str_equal(rdir, "/"))))
            return sim_cli_usage_error(
                "sweep", "--merge: --out %s %s the shard folder %s: merge "
                "into a folder of its own", out,
                g_str_equal(rout, rdir) ? "is" : "lies inside", dirs[a]);
    }
    return SIM_EXIT_OK;
}
