/* SPDX-License-Identifier: MIT */
/*
 * Jobs and finished runs as bytes (run/ship.c), without MPI: a run folder
 * written elsewhere and shipped is rewritten with the same bytes, marker
 * included, so sim_out_run_check() takes it as complete and intact under
 * its fingerprint; a job survives its encoding field for field; an error
 * keeps its domain, code and message (hence its exit status); a
 * fingerprint computed by a receiver with other inputs is refused; every
 * truncation of a message is refused, never read past.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "run/ship.h"
#include "run/world.h"

/* The carrier trunk over UDP (no PKI) for 2 s. */
static const char *const overrides[] = {
    "simulation.duration=2s", "simulation.warmup=0",
    "transport.protocol=udp", NULL,
};

typedef struct {
    char *dir;
    char *text;
    gsize len;
    SimTopo *topo;
    SimBatchJob *job;
    SimBatchOptions opt;
} Fx;

static void
fx_clear(Fx *fx)
{
    sim_batch_job_free(fx->job);
    sim_topo_free(fx->topo);
    g_free(fx->text);
    g_free(fx->dir);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Fx, fx_clear)

/* A job of the trunk topology whose folder is @dir/@leaf. */
static gboolean
fx_init(Fx *fx, const char *leaf)
{
    const char *src = g_getenv("SIPREUSE_SRCDIR");
    const char *tmp = g_getenv("SIPREUSE_TMPDIR");
    if (!src || !tmp) {
        g_test_skip("SIPREUSE_SRCDIR or SIPREUSE_TMPDIR unset");
        return FALSE;
    }
    g_mkdir_with_parents(tmp, 0755);
    g_autofree char *tmpl = g_build_filename(tmp, "ship-XXXXXX", NULL);
    fx->dir = g_mkdtemp(g_steal_pointer(&tmpl));
    g_autofree char *path = g_build_filename(src, "topologies", "trunk.topo",
                                             NULL);
    g_assert_true(g_file_get_contents(path, &fx->text, &fx->len, NULL));
    g_autoptr(GError) error = NULL;
    fx->topo = sim_topo_load_data_full(path, fx->text, fx->len, overrides,
                                       SIM_TOPO_LOAD_CALLER_STRATEGY,
                                       &error);
    g_assert_no_error(error);
    g_autofree char *dir = g_build_filename(fx->dir, leaf, NULL);
    fx->job = sim_batch_job_new(fx->topo, "rfc3261", 3, overrides, dir);
    fx->job->topo_path = fx->topo->path;
    fx->job->topo_text = fx->text;
    fx->job->topo_len = fx->len;
    fx->job->topo_flags = SIM_TOPO_LOAD_CALLER_STRATEGY;
    g_autofree char *files = sim_out_files_digest(fx->topo);
    SimOutFingerprint fin = { .topo_text = fx->text, .topo_len = fx->len,
                              .files_digest = files,
                              .overrides = overrides,
                              .strategy = "rfc3261", .seed = 3,
                              .no_timing = TRUE };
    fx->job->fingerprint = sim_out_fingerprint(&fin);
    fx->opt = (SimBatchOptions){ .jobs = 1, .out.no_timing = TRUE,
                                 .files_verify_time = 1700000000 };
    return TRUE;
}

/* The bytes of @dir/@name. */
static GBytes *
slurp(const char *dir, const char *name)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    char *data = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    return g_bytes_new_take(data, len);
}

/* A run shipped from a scratch folder lands with the same bytes, and
 * its marker vouches for it under the job's fingerprint. */
static void
test_result_roundtrip(void)
{
    g_auto(Fx) fx = { 0 };
    if (!fx_init(&fx, "scratch"))
        return;
    sim_batch_job_run(fx.job, &fx.opt);
    g_assert_no_error(fx.job->error);
    g_autoptr(GBytes) msg = sim_ship_result_encode(7, fx.job);
    guint idx = 0;
    g_assert_true(sim_ship_result_index(msg, &idx, NULL));
    g_assert_cmpuint(idx, ==, 7);
    g_autofree char *dest = g_build_filename(fx.dir, "final", NULL);
    g_autoptr(SimBatchJob) there = sim_batch_job_new(fx.topo, "rfc3261", 3,
                                                     overrides, dest);
    g_autoptr(GError) error = NULL;
    g_assert_true(sim_ship_result_apply(msg, there, &error));
    g_assert_no_error(error);
    g_assert_no_error(there->error);
    g_assert_cmpstrv(there->row, fx.job->row);
    static const char *const files[] = { "summary.json", "runs.tsv",
                                         "nodes.tsv", "pairs.tsv",
                                         "timeseries.tsv", "latency.tsv",
                                         "complete" };
    for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autoptr(GBytes) a = slurp(fx.job->dir, files[i]);
        g_autoptr(GBytes) b = slurp(dest, files[i]);
        g_assert_true(g_bytes_equal(a, b));
    }
    g_auto(GStrv) row = NULL;
    g_assert_cmpint(sim_out_run_check(dest, fx.job->fingerprint, &row, NULL,
                                      NULL), ==, SIM_OUT_RUN_OK);
    g_assert_cmpstrv(row, fx.job->row);
    /* Every truncation is refused as malformed. */
    gsize len = g_bytes_get_size(msg);
    for (gsize cut = 0; cut < len; cut += 1 + cut / 8) {
        g_autoptr(GBytes) part = g_bytes_new_from_bytes(msg, 0, cut);
        g_autoptr(SimBatchJob) j = sim_batch_job_new(fx.topo, "rfc3261", 3,
                                                     overrides, dest);
        g_autoptr(GError) e = NULL;
        g_assert_false(sim_ship_result_apply(part, j, &e));
        g_assert_error(e, SIM_SHIP_ERROR, SIM_SHIP_ERROR_FORMAT);
    }
}

/* A failed run travels as its error: same domain, code, message. */
static void
test_result_error(void)
{
    g_auto(Fx) fx = { 0 };
    if (!fx_init(&fx, "failed"))
        return;
    fx.job->error = g_error_new_literal(SIM_WORLD_ERROR,
                                        SIM_WORLD_ERROR_NOT_APPLICABLE,
                                        "strategy 'x' cannot run here");
    g_autoptr(GBytes) msg = sim_ship_result_encode(0, fx.job);
    g_autoptr(SimBatchJob) there = sim_batch_job_new(fx.topo, "rfc3261", 3,
                                                     NULL, fx.job->dir);
    g_assert_true(sim_ship_result_apply(msg, there, NULL));
    g_assert_null(there->row);
    g_assert_error(there->error, SIM_WORLD_ERROR,
                   SIM_WORLD_ERROR_NOT_APPLICABLE);
    g_assert_cmpstr(there->error->message, ==, "strategy 'x' cannot run here");
    g_assert_cmpint(sim_batch_exit_status(there->error), ==, 2);
}

/* A job survives encoding; a receiver that computes another fingerprint
 * (here: other overrides than the sender's) refuses it. */
static void
test_job(void)
{
    g_auto(Fx) fx = { 0 };
    if (!fx_init(&fx, "job"))
        return;
    g_autoptr(GBytes) msg = sim_ship_job_encode(41, fx.job, &fx.opt);
    g_autoptr(GError) error = NULL;
    g_autoptr(SimShipJob) j = sim_ship_job_decode(msg, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(j->index, ==, 41);
    g_assert_cmpstr(j->topo_path, ==, fx.topo->path);
    g_assert_cmpmem(j->topo_text, j->topo_len, fx.text, fx.len);
    g_assert_cmpuint(j->topo_flags, ==, SIM_TOPO_LOAD_CALLER_STRATEGY);
    g_assert_cmpstr(j->strategy, ==, "rfc3261");
    g_assert_cmpuint(j->seed, ==, 3);
    g_assert_cmpstrv(j->overrides, overrides);
    g_assert_cmpstr(j->fingerprint, ==, fx.job->fingerprint);
    g_assert_true(j->no_timing);
    g_assert_cmpint(j->files_verify_time, ==, 1700000000);
    g_assert_true(sim_ship_job_check(j, fx.topo, &error));
    g_assert_no_error(error);
    g_free(j->overrides[0]);
    j->overrides[0] = g_strdup("simulation.duration=3s");
    g_assert_false(sim_ship_job_check(j, fx.topo, &error));
    g_assert_error(error, SIM_SHIP_ERROR, SIM_SHIP_ERROR_MISMATCH);
    gsize len = g_bytes_get_size(msg);
    for (gsize cut = 0; cut < len; cut++) {
        g_autoptr(GBytes) part = g_bytes_new_from_bytes(msg, 0, cut);
        g_autoptr(GError) e = NULL;
        g_assert_null(sim_ship_job_decode(part, &e));
        g_assert_error(e, SIM_SHIP_ERROR, SIM_SHIP_ERROR_FORMAT);
    }
}

/* A folder of any bytes (a NUL included) packed and unpacked elsewhere
 * holds the same bytes and its marker; a scratch folder is removed. */
static void
test_dir(void)
{
    g_auto(Fx) fx = { 0 };
    if (!fx_init(&fx, "dir"))
        return;
    g_autofree char *src = g_build_filename(fx.dir, "src", NULL);
    g_autofree char *dst = g_build_filename(fx.dir, "dst", NULL);
    g_assert_cmpint(g_mkdir_with_parents(src, 0755), ==, 0);
    g_autofree char *a = g_build_filename(src, "a.tsv", NULL);
    g_autofree char *m = g_build_filename(src, "complete", NULL);
    g_assert_true(g_file_set_contents(a, "x\t\001\0y", 5, NULL));
    g_assert_true(g_file_set_contents(m, "complete\n", -1, NULL));
    g_autoptr(GBytes) packed = sim_ship_dir_pack(src, NULL);
    g_assert_nonnull(packed);
    g_assert_true(sim_ship_dir_unpack(packed, dst, NULL));
    g_autoptr(GBytes) x = slurp(src, "a.tsv");
    g_autoptr(GBytes) y = slurp(dst, "a.tsv");
    g_assert_true(g_bytes_equal(x, y));
    g_assert_cmpuint(g_bytes_get_size(y), ==, 5);
    g_assert_true(sim_out_run_complete(dst));
    sim_ship_dir_remove(src);
    g_assert_false(g_file_test(src, G_FILE_TEST_EXISTS));
}

/* A folder whose marker lists its files ships only those and the marker:
 * a file planted beside them (a hostile shard) stays behind. */
static void
test_dir_listed(void)
{
    g_auto(Fx) fx = { 0 };
    if (!fx_init(&fx, "listed"))
        return;
    g_autofree char *src = g_build_filename(fx.dir, "src", NULL);
    g_autofree char *dst = g_build_filename(fx.dir, "dst", NULL);
    g_assert_cmpint(g_mkdir_with_parents(src, 0755), ==, 0);
    g_autofree char *a = g_build_filename(src, "a.tsv", NULL);
    g_autofree char *j = g_build_filename(src, "junk.txt", NULL);
    g_autofree char *m = g_build_filename(src, "complete", NULL);
    g_assert_true(g_file_set_contents(a, "x\n", -1, NULL));
    g_assert_true(g_file_set_contents(j, "planted\n", -1, NULL));
    g_assert_true(g_file_set_contents(
        m, "complete\nfile a.tsv sha256:00\n", -1, NULL));
    g_autoptr(GBytes) packed = sim_ship_dir_pack(src, NULL);
    g_assert_nonnull(packed);
    g_assert_true(sim_ship_dir_unpack(packed, dst, NULL));
    g_autofree char *da = g_build_filename(dst, "a.tsv", NULL);
    g_autofree char *dj = g_build_filename(dst, "junk.txt", NULL);
    g_autofree char *dm = g_build_filename(dst, "complete", NULL);
    g_assert_true(g_file_test(da, G_FILE_TEST_IS_REGULAR));
    g_assert_true(g_file_test(dm, G_FILE_TEST_IS_REGULAR));
    g_assert_false(g_file_test(dj, G_FILE_TEST_EXISTS));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("Jobs and finished runs as bytes: same files, same "
                   "marker, same errors; malformed messages refused.");
    g_test_add_func("/ship/result/roundtrip", test_result_roundtrip);
    g_test_add_func("/ship/result/error", test_result_error);
    g_test_add_func("/ship/job", test_job);
    g_test_add_func("/ship/dir", test_dir);
    g_test_add_func("/ship/dir/listed-only", test_dir_listed);
    return g_test_run();
}
