/* SPDX-License-Identifier: MIT */
/*
 * Completion markers and fingerprints: every input a run depends on
 * changes its fingerprint (the program revision, the topology text, the
 * files it names, each override and their split, the strategy, the seed,
 * the timing flag); a run folder is reusable only when its marker records
 * the expected fingerprint and every file it lists is there with the
 * SHA-256 recorded (computed here with GLib's checksum, independently of
 * the writer), and its runs.tsv row holds numbers where numbers belong;
 * leftovers of interrupted writes are recognized by name.
 */
#include <glib/gstdio.h>
#include <string.h>

#include "run/out.h"
#include "run/topo.h"

static char *
tmp_dir(void)
{
    char *d = g_dir_make_tmp("sipreuse-marker-XXXXXX", NULL);
    g_assert_nonnull(d);
    return d;
}

static void
rm_tree(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(dir, name, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR) &&
            !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
            rm_tree(p);
        else
            g_unlink(p);
    }
    g_rmdir(dir);
}

static SimRunResult *
make_result(void)
{
    SimRunResult *r = sim_run_result_new();
    r->topology = g_strdup("t");
    r->strategy = g_strdup("reuse");
    r->seed = 3;
    r->protocol = g_strdup("tls");
    r->calls_attempted = 10;
    r->calls_completed = 9;
    r->latency_setup_ms_mean = 1.5;
    r->n_nodes = 1;
    r->nodes = g_new0(SimNodeResult, 1);
    r->nodes[0].node = g_strdup("pa");
    return r;
}

static void
test_fingerprint_fields(void)
{
    const char *ov[] = { "a=1", "b=2", NULL };
    const char *ov_order[] = { "b=2", "a=1", NULL };
    const char *ov_split[] = { "a=1b=2", NULL };
    const char *ov_none[] = { NULL };
    SimOutFingerprint base = {
        .topo_text = "[simulation]\n", .topo_len = 13,
        .files_digest = "sha256:00", .overrides = ov, .strategy = "reuse",
        .seed = 1, .no_timing = FALSE, .revision = "src:one",
    };
    g_autofree char *fp = sim_out_fingerprint(&base);
    g_assert_true(g_str_has_prefix(fp, "sha256:"));
    g_assert_cmpuint(strlen(fp), ==, 7 + 64);
    g_autofree char *again = sim_out_fingerprint(&base);
    g_assert_cmpstr(fp, ==, again);
    SimOutFingerprint v[9];
    for (guint i = 0; i < G_N_ELEMENTS(v); i++)
        v[i] = base;
    v[0].revision = "src:two";
    v[1].topo_text = "[simulation]\r";
    v[2].files_digest = NULL;
    v[3].overrides = ov_order;
    v[4].overrides = ov_split;
    v[5].overrides = ov_none;
    v[6].strategy = "rfc3261";
    v[7].seed = 2;
    v[8].no_timing = TRUE;
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                             NULL);
    g_hash_table_add(seen, g_strdup(fp));
    for (guint i = 0; i < G_N_ELEMENTS(v); i++) {
        char *other = sim_out_fingerprint(&v[i]);
        g_test_message("field %u: %s", i, other);
        g_assert_false(g_hash_table_contains(seen, other));
        g_hash_table_add(seen, other);
    }
    g_hash_table_unref(seen);
    /* No revision given: this program's. */
    SimOutFingerprint own = base;
    own.revision = NULL;
    g_autofree char *a = sim_out_fingerprint(&own);
    own.revision = sim_out_revision();
    g_autofree char *b = sim_out_fingerprint(&own);
    g_assert_cmpstr(a, ==, b);
    const char *rev = sim_out_revision();
    g_assert_true(g_str_has_prefix(rev, "src:") ||
                  g_str_has_prefix(rev, "exe:") ||
                  g_str_has_prefix(rev, "git:"));
}

/* Rewrites @dir/@name. */
static void
put(const char *dir, const char *name, const char *text)
{
    g_autofree char *p = g_build_filename(dir, name, NULL);
    g_assert_true(g_file_set_contents(p, text, -1, NULL));
}

static SimOutRunState
check(const char *dir, const char *fp, char **why)
{
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) row = NULL;
    g_autofree char *rev = NULL;
    SimOutRunState st = sim_out_run_check(dir, fp, &row, &rev, &error);
    g_assert_true((st == SIM_OUT_RUN_OK) == (row != NULL));
    if (why)
        *why = error ? g_strdup(error->message) : NULL;
    return st;
}

static void
test_run_check(void)
{
    g_autofree char *tmp = tmp_dir();
    g_autofree char *dir = g_build_filename(tmp, "run", NULL);
    g_autoptr(SimRunResult) r = make_result();
    SimOutOptions o = { .fingerprint = "sha256:abc" };
    g_autoptr(GError) error = NULL;
    g_assert_true(sim_out_write_run(r, dir, &o, &error));
    g_assert_no_error(error);
    /* The marker: fingerprint, revision and each file's SHA-256. */
    g_autofree char *marker = NULL;
    g_autofree char *mpath = g_build_filename(dir, SIM_OUT_COMPLETE, NULL);
    g_assert_true(g_file_get_contents(mpath, &marker, NULL, NULL));
    g_assert_true(g_str_has_prefix(marker, "complete\nfingerprint "
                                           "sha256:abc\nrevision "));
    const char *files[] = { "summary.json", "runs.tsv", "nodes.tsv",
                            "pairs.tsv", "timeseries.tsv", "latency.tsv" };
    for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *p = g_build_filename(dir, files[i], NULL);
        g_autofree char *text = NULL;
        gsize len = 0;
        g_assert_true(g_file_get_contents(p, &text, &len, NULL));
        g_autofree char *hex = g_compute_checksum_for_data(
            G_CHECKSUM_SHA256, (const guchar *)text, len);
        g_autofree char *line = g_strdup_printf("\nfile %s sha256:%s\n",
                                                files[i], hex);
        g_assert_nonnull(strstr(marker, line));
    }
    g_assert_cmpint(check(dir, "sha256:abc", NULL), ==, SIM_OUT_RUN_OK);
    g_assert_cmpint(check(dir, "sha256:abd", NULL), ==, SIM_OUT_RUN_STALE);
    /* A lost file. */
    g_autofree char *pairs = g_build_filename(dir, "pairs.tsv", NULL);
    g_autofree char *pairs_text = NULL;
    g_assert_true(g_file_get_contents(pairs, &pairs_text, NULL, NULL));
    g_unlink(pairs);
    g_autofree char *why = NULL;
    g_assert_cmpint(check(dir, "sha256:abc", &why), ==, SIM_OUT_RUN_DAMAGED);
    g_assert_nonnull(strstr(why, "pairs.tsv"));
    put(dir, "pairs.tsv", pairs_text);
    g_assert_cmpint(check(dir, "sha256:abc", NULL), ==, SIM_OUT_RUN_OK);
    /* An edited file (one byte). */
    g_autofree char *json = NULL;
    g_autofree char *jpath = g_build_filename(dir, "summary.json", NULL);
    g_assert_true(g_file_get_contents(jpath, &json, NULL, NULL));
    g_autofree char *edited = g_strdup(json);
    edited[strlen(edited) - 2] = ' ';
    put(dir, "summary.json", edited);
    g_autofree char *why2 = NULL;
    g_assert_cmpint(check(dir, "sha256:abc", &why2), ==,
                    SIM_OUT_RUN_DAMAGED);
    g_assert_nonnull(strstr(why2, "summary.json"));
    put(dir, "summary.json", json);
    /* A marker of the older format (no file list): not reusable. */
    put(dir, SIM_OUT_COMPLETE, "complete\nfingerprint sha256:abc\n");
    g_assert_cmpint(check(dir, "sha256:abc", NULL), ==,
                    SIM_OUT_RUN_DAMAGED);
    /* No marker: never finished. */
    g_unlink(mpath);
    g_assert_cmpint(check(dir, "sha256:abc", NULL), ==, SIM_OUT_RUN_ABSENT);
    rm_tree(tmp);
}

/* The row check on its own: numbers where the header says numbers. */
static void
test_row_numbers(void)
{
    g_autofree char *tmp = tmp_dir();
    g_autoptr(SimRunResult) r = make_result();
    g_assert_true(sim_out_write_run(r, tmp, NULL, NULL));
    g_autofree char *header = sim_out_runs_header();
    g_autofree char *row = g_strchomp(sim_out_runs_row(r, NULL));
    const char *const *keys = sim_out_run_keys();
    const char *bad[] = { "", "1x", "x", "1.2.3", "--1", "1e5", " 1" };
    for (guint k = 4; keys[k]; k++) {
        for (guint b = 0; b < G_N_ELEMENTS(bad); b++) {
            g_auto(GStrv) f = g_strsplit(row, "\t", -1);
            g_free(f[k]);
            f[k] = g_strdup(bad[b]);
            g_autofree char *line = g_strjoinv("\t", f);
            g_autofree char *text = g_strdup_printf("%s%s\n", header, line);
            put(tmp, "runs.tsv", text);
            g_autoptr(GError) error = NULL;
            g_auto(GStrv) got = sim_out_read_run_row(tmp, &error);
            g_assert_null(got);
            g_assert_nonnull(error);
        }
    }
    /* What the writer prints for a figure with no samples is accepted. */
    g_auto(GStrv) f = g_strsplit(row, "\t", -1);
    g_free(f[7]);
    f[7] = g_strdup("nan");
    g_autofree char *line = g_strjoinv("\t", f);
    g_autofree char *text = g_strdup_printf("%s%s\n", header, line);
    put(tmp, "runs.tsv", text);
    g_auto(GStrv) got = sim_out_read_run_row(tmp, NULL);
    g_assert_nonnull(got);
    rm_tree(tmp);
}

static void
test_clean_temps(void)
{
    g_autofree char *dir = tmp_dir();
    const char *gone[] = { "summary.json.A1b2C3", "runs.tsv.zzzzzz",
                           "complete.000000", "x.dat.Qw12Er",
                           "experiment.exp.aaaaaa", "topology.topo.BBBBBB" };
    const char *kept[] = { "summary.json", "notes.txt.A1b2C3",
                           "runs.tsv.abc", "runs.tsv.ab-cde", ".tsv.abcdef",
                           "runs.tsv.abcdefg" };
    for (guint i = 0; i < G_N_ELEMENTS(gone); i++)
        put(dir, gone[i], "x");
    for (guint i = 0; i < G_N_ELEMENTS(kept); i++)
        put(dir, kept[i], "x");
    g_assert_cmpuint(sim_out_clean_temps(dir), ==, G_N_ELEMENTS(gone));
    for (guint i = 0; i < G_N_ELEMENTS(gone); i++) {
        g_autofree char *p = g_build_filename(dir, gone[i], NULL);
        g_assert_false(g_file_test(p, G_FILE_TEST_EXISTS));
    }
    for (guint i = 0; i < G_N_ELEMENTS(kept); i++) {
        g_autofree char *p = g_build_filename(dir, kept[i], NULL);
        g_assert_true(g_file_test(p, G_FILE_TEST_EXISTS));
    }
    rm_tree(dir);
}

/* The files a topology names are part of its digest. */
static void
test_files_digest(void)
{
    const char *src = g_getenv("SIPREUSE_SRCDIR");
    g_autofree char *path = g_build_filename(src ? src : ".", "topologies",
                                             "trunk.topo", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) plain = sim_topo_load(path, NULL, &error);
    g_assert_no_error(error);
    g_assert_null(sim_out_files_digest(plain));
    g_autofree char *dir = tmp_dir();
    g_autofree char *prof = g_build_filename(dir, "p.profile", NULL);
    g_assert_true(g_file_set_contents(prof, "[host]\ncpu = a\n", -1, NULL));
    g_autofree char *set = g_strdup_printf("simulation.cpu-profile=%s", prof);
    const char *sets[] = { set, NULL };
    g_autoptr(SimTopo) t = sim_topo_load(path, sets, &error);
    g_assert_no_error(error);
    g_autofree char *d1 = sim_out_files_digest(t);
    g_assert_nonnull(d1);
    g_autofree char *d1b = sim_out_files_digest(t);
    g_assert_cmpstr(d1, ==, d1b);
    g_assert_true(g_file_set_contents(prof, "[host]\ncpu = b\n", -1, NULL));
    g_autofree char *d2 = sim_out_files_digest(t);
    g_assert_cmpstr(d1, !=, d2);
    /* A built-in profile names no file, even when the working directory
     * holds a file of that name. */
    const char *builtin[] = { "simulation.cpu-profile=bare-crypto", NULL };
    g_autoptr(SimTopo) b = sim_topo_load(path, builtin, &error);
    g_assert_no_error(error);
    g_autofree char *cwd = g_get_current_dir();
    g_assert_cmpint(g_chdir(dir), ==, 0);
    g_assert_true(g_file_set_contents("bare-crypto", "junk", -1, NULL));
    g_autofree char *d3 = sim_out_files_digest(b);
    g_assert_cmpint(g_unlink("bare-crypto"), ==, 0);
    g_assert_cmpint(g_chdir(cwd), ==, 0);
    g_assert_null(d3);
    rm_tree(dir);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("Fingerprints cover every input; completion markers "
                   "list every file's checksum and are checked.");
    g_test_add_func("/marker/fingerprint-fields", test_fingerprint_fields);
    g_test_add_func("/marker/run-check", test_run_check);
    g_test_add_func("/marker/row-numbers", test_row_numbers);
    g_test_add_func("/marker/clean-temps", test_clean_temps);
    g_test_add_func("/marker/files-digest", test_files_digest);
    return g_test_run();
}
