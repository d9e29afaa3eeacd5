/* SPDX-License-Identifier: MIT */
/*
 * sweep and compare under mpirun (a `make MPI=1` build; `make check MPI=1`
 * and `make check-mpi` set $SIPREUSE_MPIRUN, and without it every case is
 * skipped).  What must hold, whatever the order ranks finish in: with
 * --no-timing the results folder of `mpirun --oversubscribe -np 3` is the
 * one of `--jobs 1` file for file (runs.tsv, aggregate.tsv, knees.tsv and
 * every run folder, completion markers included), with one rank, with
 * threads on the ranks, and for compare; a resumed campaign runs nothing;
 * a run that fails on a rank fails with the local exit status and
 * message; a killed rank (Open MPI then ends the whole job) or a rank
 * that stops answering leaves the finished runs on disk and --resume
 * completes the campaign to the same files.  Runs as root add
 * --allow-run-as-root.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/tests/util_cli.h"

static const char exp_path[] = "cli/tests/data/small.exp";

/* TRUE if mpirun is known; else the test is skipped. */
static gboolean
have_mpi(void)
{
    const char *m = g_getenv("SIPREUSE_MPIRUN");
    if (!hcli_have())
        return FALSE;
    if (!m || !*m) {
        g_test_skip("not an MPI build (make check MPI=1 or make check-mpi)");
        return FALSE;
    }
    return TRUE;
}

/* mpirun's arguments for @np ranks, then the program (NULL-terminated
 * GPtrArray without its terminator, for appending). */
static GPtrArray *
mpi_argv(int np)
{
    GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(a, g_strdup("--oversubscribe"));
    g_ptr_array_add(a, g_strdup("-np"));
    g_ptr_array_add(a, g_strdup_printf("%d", np));
    if (geteuid() == 0)
        g_ptr_array_add(a, g_strdup("--allow-run-as-root"));
    g_ptr_array_add(a, g_strdup(g_getenv("SIPREUSE_BIN")));
    return a;
}

/* Environment of every mpirun: no single-copy transfers between ranks
 * (containers often forbid the ptrace they need). */
static const char *const mpi_env[] = {
    "OMPI_MCA_btl_vader_single_copy_mechanism=none", NULL,
};

/* Runs @args (NULL-terminated) under mpirun -np @np, or directly when
 * @np is 0, with @env ("NAME=VALUE", NULL-terminated, nullable) added to
 * the environment; fills @c. */
static void
run_env(HCli *c, int np, const char *const *args, const char *const *env)
{
    g_autoptr(GPtrArray) a = np ? mpi_argv(np)
                                : g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; args[i]; i++)
        g_ptr_array_add(a, g_strdup(args[i]));
    g_ptr_array_add(a, NULL);
    g_autoptr(GPtrArray) e = g_ptr_array_new();
    for (guint i = 0; mpi_env[i]; i++)
        g_ptr_array_add(e, (char *)mpi_env[i]);
    for (guint i = 0; env && env[i]; i++)
        g_ptr_array_add(e, (char *)env[i]);
    g_ptr_array_add(e, NULL);
    HCliOpts o = { .env = (const char *const *)e->pdata, .timeout = 120,
                   .bin = np ? g_getenv("SIPREUSE_MPIRUN") : NULL };
    hcli_runv(c, &o, (const char *const *)a->pdata);
    g_test_message("%s%s", c->out, c->err);
}

static void
run(HCli *c, int np, const char *const *args)
{
    run_env(c, np, args, NULL);
}

/* The small sweep into @out with @extra arguments (NULL-terminated). */
static int
sweep(int np, const char *out, const char *const *extra, char **err,
      char **outp)
{
    g_autoptr(GPtrArray) a = g_ptr_array_new();
    const char *fixed[] = { "sweep", exp_path, "--no-timing", "--no-plots",
                            "--out", out };
    for (guint i = 0; i < G_N_ELEMENTS(fixed); i++)
        g_ptr_array_add(a, (char *)fixed[i]);
    for (guint i = 0; extra && extra[i]; i++)
        g_ptr_array_add(a, (char *)extra[i]);
    g_ptr_array_add(a, NULL);
    g_auto(HCli) c = { 0 };
    run(&c, np, (const char *const *)a->pdata);
    if (err)
        *err = g_steal_pointer(&c.err);
    if (outp)
        *outp = g_steal_pointer(&c.out);
    return c.status;
}

/* The reference: the same sweep with --jobs 1 in @dir/ref. */
static char *
reference(const char *dir, const char *const *extra)
{
    g_autofree char *out = g_build_filename(dir, "ref", NULL);
    g_autoptr(GPtrArray) a = g_ptr_array_new();
    g_ptr_array_add(a, (char *)"--jobs");
    g_ptr_array_add(a, (char *)"1");
    for (guint i = 0; extra && extra[i]; i++)
        g_ptr_array_add(a, (char *)extra[i]);
    g_ptr_array_add(a, NULL);
    g_assert_cmpint(sweep(0, out, (const char *const *)a->pdata, NULL,
                          NULL), ==, 0);
    return g_steal_pointer(&out);
}

/* Three ranks (two workers), one rank, and two ranks of two threads
 * each give the --jobs 1 folder; a resumed campaign runs nothing. */
static void
test_sweep_identical(void)
{
    if (!have_mpi())
        return;
    g_autofree char *dir = hcli_scratch("mpi-sweep");
    g_autofree char *ref = reference(dir, NULL);
    static const struct {
        int np;
        const char *jobs;
    } cases[] = { { 3, "1" }, { 1, "1" }, { 2, "2" } };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *leaf = g_strdup_printf("np%d-jobs%s", cases[i].np,
                                                cases[i].jobs);
        g_autofree char *out = g_build_filename(dir, leaf, NULL);
        const char *extra[] = { "--jobs", cases[i].jobs, NULL };
        g_autofree char *o = NULL;
        g_assert_cmpint(sweep(cases[i].np, out, extra, NULL, &o), ==, 0);
        g_assert_nonnull(strstr(o, "12 runs: 12 ran"));
        g_autofree char *a = hcli_read(ref, "runs.tsv");
        g_autofree char *b = hcli_read(out, "runs.tsv");
        g_assert_cmpstr(a, ==, b);
        g_autofree char *c = hcli_read(ref, "aggregate.tsv");
        g_autofree char *d = hcli_read(out, "aggregate.tsv");
        g_assert_cmpstr(c, ==, d);
        hcli_assert_same_tree(ref, out);
    }
    g_autofree char *out = g_build_filename(dir, "np3-jobs1", NULL);
    const char *resume[] = { "--resume", NULL };
    g_autofree char *o = NULL;
    g_assert_cmpint(sweep(3, out, resume, NULL, &o), ==, 0);
    g_assert_nonnull(strstr(o, "12 runs: 0 ran"));
    g_assert_nonnull(strstr(o, "12 already complete"));
}

/* The "sipreuse compare: ..." lines of @err, in order. */
static char *
compare_errors(const char *err)
{
    GString *s = g_string_new(NULL);
    g_auto(GStrv) lines = g_strsplit(err, "\n", -1);
    for (guint i = 0; lines[i]; i++)
        if (g_str_has_prefix(lines[i], "sipreuse compare: "))
            g_string_append_printf(s, "%s\n", lines[i]);
    return g_string_free(s, FALSE);
}

/* compare locally (--jobs 1) and over 3 ranks into @dir/local and
 * @dir/ranks with @env; asserts the same exit status, error lines, table
 * and folder, and returns the exit status. */
static int
compare_both(const char *dir, const char *const *env)
{
    g_autofree char *local = g_build_filename(dir, "local", NULL);
    g_autofree char *ranks = g_build_filename(dir, "ranks", NULL);
    const char *args[] = { "compare", "topologies/trunk.topo",
                           "--strategies", "rfc3261,reuse", "--reps", "2",
                           "--set", "simulation.duration=3s", "--set",
                           "simulation.warmup=1s", "--no-timing",
                           "--no-plots", "--jobs", "1", "--out", NULL,
                           NULL };
    guint n = G_N_ELEMENTS(args) - 2;
    args[n] = local;
    g_auto(HCli) a = { 0 };
    run_env(&a, 0, args, env);
    args[n] = ranks;
    g_auto(HCli) b = { 0 };
    run_env(&b, 3, args, env);
    g_assert_cmpint(b.status, ==, a.status);
    g_autofree char *ea = compare_errors(a.err);
    g_autofree char *eb = compare_errors(b.err);
    g_assert_cmpstr(ea, ==, eb);
    /* The same table; only the results folder named last differs. */
    char *ra = strstr(a.out, "results: "), *rb = strstr(b.out, "results: ");
    g_assert_nonnull(ra);
    g_assert_nonnull(rb);
    *ra = *rb = '\0';
    g_assert_cmpstr(a.out, ==, b.out);
    hcli_assert_same_tree(local, ranks);
    return a.status;
}

/* compare over ranks: the same folder as locally; a run that fails on a
 * rank fails as it fails locally.  The failure: the PKI cache folder is
 * usable (the check before the runs passes) but the subfolder the runs'
 * credentials go to is a file, so every TLS run fails when it starts
 * (exit 1, the same message locally and on the ranks). */
static void
test_compare(void)
{
    if (!have_mpi())
        return;
    g_autofree char *dir = hcli_scratch("mpi-compare");
    g_autofree char *ok = g_build_filename(dir, "ok", NULL);
    g_autofree char *c1 = g_build_filename(dir, "cache1", NULL);
    g_autofree char *env1 = g_strconcat("SIPREUSE_CACHE=", c1, NULL);
    const char *e1[] = { env1, NULL };
    g_assert_cmpint(g_mkdir_with_parents(ok, 0755), ==, 0);
    g_assert_cmpint(compare_both(ok, e1), ==, 0);
    /* The cache's subfolder name, made a file in another cache. */
    g_autoptr(GDir) d = g_dir_open(c1, 0, NULL);
    g_assert_nonnull(d);
    const char *sub = NULL;
    while ((sub = g_dir_read_name(d)) && sub[0] == '.')
        ;
    g_assert_nonnull(sub);
    g_autofree char *c2 = g_build_filename(dir, "cache2", NULL);
    g_autofree char *blocker = g_build_filename(c2, sub, NULL);
    g_assert_cmpint(g_mkdir_with_parents(c2, 0755), ==, 0);
    g_assert_true(g_file_set_contents(blocker, "not a folder", -1, NULL));
    g_autofree char *env2 = g_strconcat("SIPREUSE_CACHE=", c2, NULL);
    const char *e2[] = { env2, NULL };
    g_autofree char *bad = g_build_filename(dir, "bad", NULL);
    g_assert_cmpint(g_mkdir_with_parents(bad, 0755), ==, 0);
    g_assert_cmpint(compare_both(bad, e2), ==, 1);
}

/* Bad input is refused by rank 0 with exit 2, the other ranks stopped. */
static void
test_bad_input(void)
{
    if (!have_mpi())
        return;
    g_auto(HCli) c = { 0 };
    const char *args[] = { "sweep", "cli/tests/data/no-such.exp", NULL };
    run(&c, 3, args);
    g_assert_cmpint(c.status, ==, 2);
    g_assert_nonnull(strstr(c.err, "no-such.exp"));
}

/* The pid of MPI rank @rank among the children of @parent, or 0. */
static GPid
rank_pid(GPid parent, int rank)
{
    g_autoptr(GDir) d = g_dir_open("/proc", 0, NULL);
    g_autofree char *want = g_strdup_printf("OMPI_COMM_WORLD_RANK=%d", rank);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *stat_path = g_build_filename("/proc", name, "stat",
                                                      NULL);
        g_autofree char *stat = NULL;
        if (!g_ascii_isdigit(name[0]) ||
            !g_file_get_contents(stat_path, &stat, NULL, NULL))
            continue;
        const char *p = strrchr(stat, ')');
        int ppid = 0;
        if (!p || sscanf(p + 2, "%*c %d", &ppid) != 1 || ppid != parent)
            continue;
        g_autofree char *env_path = g_build_filename("/proc", name,
                                                     "environ", NULL);
        g_autofree char *env = NULL;
        gsize len = 0;
        if (!g_file_get_contents(env_path, &env, &len, NULL))
            continue;
        for (gsize i = 0; i < len; i += strlen(env + i) + 1)
            if (g_str_equal(env + i, want))
                return (GPid)atoi(name);
    }
    return 0;
}

/* Starts the sweep of @out under mpirun -np 3, waits for two finished
 * runs, sends @sig to rank 1 and returns mpirun's exit status (stderr in
 * @err). */
static int
sweep_and_signal(const char *out, const char *const *extra, int sig,
                 const char *const *env_extra, char **err)
{
    g_autoptr(GPtrArray) a = mpi_argv(3);
    g_ptr_array_insert(a, 0, g_strdup(g_getenv("SIPREUSE_MPIRUN")));
    const char *fixed[] = { "sweep", exp_path, "--no-timing", "--no-plots",
                            "--out", out };
    for (guint i = 0; i < G_N_ELEMENTS(fixed); i++)
        g_ptr_array_add(a, g_strdup(fixed[i]));
    for (guint i = 0; extra[i]; i++)
        g_ptr_array_add(a, g_strdup(extra[i]));
    g_ptr_array_add(a, NULL);
    g_auto(GStrv) env = g_get_environ();
    for (guint k = 0; k < 2; k++) {
        const char *const *vars = k ? env_extra : mpi_env;
        for (guint i = 0; vars && vars[i]; i++) {
            g_auto(GStrv) kv = g_strsplit(vars[i], "=", 2);
            env = g_environ_setenv(env, kv[0], kv[1], TRUE);
        }
    }
    g_autofree char *parent = g_path_get_dirname(out);
    g_autofree char *errpath = g_build_filename(parent, "stderr.txt", NULL);
    GPid pid = 0;
    g_autoptr(GError) error = NULL;
    int errfd = g_open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    g_assert_true(g_spawn_async_with_fds(
        g_getenv("SIPREUSE_SRCDIR"), (char **)a->pdata, env,
        G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
        &pid, -1, -1, errfd, &error));
    g_assert_no_error(error);
    close(errfd);
    gint64 deadline = g_get_monotonic_time() + 60 * G_TIME_SPAN_SECOND;
    while (hcli_count_files(out, "complete") < 2 &&
           g_get_monotonic_time() < deadline)
        g_usleep(20000);
    GPid victim = rank_pid(pid, 1);
    g_assert_cmpint(victim, >, 0);
    g_assert_cmpint(kill(victim, sig), ==, 0);
    int status = 0;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(20000);
    }
    if (sig == SIGSTOP)
        kill(victim, SIGKILL);
    g_spawn_close_pid(pid);
    g_assert_true(g_file_get_contents(errpath, err, NULL, NULL));
    g_test_message("%s", *err);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* After the stop, the runs kept are complete and --resume (under mpirun)
 * finishes the campaign to the reference's files. */
static void
assert_resumes(const char *out, const char *ref, const char *const *extra)
{
    guint kept = hcli_count_files(out, "complete");
    g_assert_cmpuint(kept, >=, 2);
    g_assert_cmpuint(kept, <, 18);
    g_autoptr(GPtrArray) a = g_ptr_array_new();
    for (guint i = 0; extra[i]; i++)
        g_ptr_array_add(a, (char *)extra[i]);
    g_ptr_array_add(a, (char *)"--resume");
    g_ptr_array_add(a, NULL);
    g_autofree char *o = NULL;
    g_assert_cmpint(sweep(3, out, (const char *const *)a->pdata, NULL, &o),
                    ==, 0);
    g_autofree char *done = g_strdup_printf("%u already complete", kept);
    g_assert_nonnull(strstr(o, done));
    hcli_assert_same_tree(ref, out);
}

/* Longer runs (so the campaign is under way when a rank is stopped). */
static const char *const long_runs[] = {
    "--set", "simulation.duration=150s", "--reps", "3", NULL,
};

/* A rank killed by a signal: Open MPI ends the whole job (mpirun exits
 * non-zero); the finished runs are kept and --resume completes them. */
static void
test_killed_rank(void)
{
    if (!have_mpi())
        return;
    g_autofree char *dir = hcli_scratch("mpi-kill");
    g_autofree char *ref = reference(dir, long_runs);
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    g_autofree char *err = NULL;
    int st = sweep_and_signal(out, long_runs, SIGKILL, NULL, &err);
    g_assert_cmpint(st, !=, 0);
    assert_resumes(out, ref, long_runs);
}

/* A rank that stops answering is given up after SIPREUSE_MPI_TIMEOUT
 * (3 s here):
 * rank 0 writes what finished, names the rank, exits 1; --resume then
 * completes the campaign. */
static void
test_silent_rank(void)
{
    if (!have_mpi())
        return;
    g_autofree char *dir = hcli_scratch("mpi-silent");
    g_autofree char *ref = reference(dir, long_runs);
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    g_autofree char *err = NULL;
    const char *env[] = { "SIPREUSE_MPI_TIMEOUT=3", NULL };
    int st = sweep_and_signal(out, long_runs, SIGSTOP, env, &err);
    g_assert_cmpint(st, ==, 1);
    /* Given up while waiting for its message, for it to take a job, or
     * for the rest of a result it began to send when it was stopped (on a
     * loaded machine the other rank may be given up too).  Never rank 0
     * silent to the others: it must not wait on a stopped rank forever. */
    g_assert_null(strstr(err, "lost contact with rank 0"));
    g_assert_true(strstr(err, "MPI rank 1 sent nothing for 3 s") ||
                  strstr(err, "MPI rank 1 took no job for 3 s") ||
                  strstr(err, "MPI rank 1 began a message and sent no more "
                              "of it for 3 s") ||
                  strstr(err, "MPI rank 2 sent nothing for 3 s"));
    g_autofree char *runs = hcli_read(out, "runs.tsv");
    g_assert_true(g_str_has_prefix(runs, "traffic.a-to-b.rate\t"));
    assert_resumes(out, ref, long_runs);
}

/* A rank that stops answering after the last batch (a hung node) must
 * not hold the finished job forever in MPI_Finalize: rank 0 waits
 * SIPREUSE_MPI_TIMEOUT for each rank's answer to the end, names the one
 * that did not answer and ends the job; the results are complete. */
static void
test_hang_at_end(void)
{
    if (!have_mpi())
        return;
    g_autofree char *dir = hcli_scratch("mpi-hang-end");
    g_autofree char *ref = reference(dir, NULL);
    g_autofree char *out = g_build_filename(dir, "out", NULL);
    const char *args[] = { "sweep", exp_path, "--no-timing", "--no-plots",
                           "--out", out, NULL };
    const char *env[] = { "SIPREUSE_MPI_TIMEOUT=3",
                          "SIPREUSE_MPI_TEST_HANG_AT_END=1", NULL };
    g_auto(HCli) c = { 0 };
    run_env(&c, 3, args, env);
    g_assert_nonnull(strstr(c.err, "MPI rank 1 did not answer the end of "
                                   "the job within 3 s"));
    g_assert_null(strstr(c.err, "lost contact with rank 0"));
    hcli_assert_same_tree(ref, out);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("mpirun -np N sipreuse sweep|compare: byte-identical to "
                   "--jobs 1; failures reported as locally; a lost rank "
                   "keeps the finished runs and --resume completes them.");
    g_test_add_func("/mpi/sweep/identical", test_sweep_identical);
    g_test_add_func("/mpi/compare/identical-and-failure", test_compare);
    g_test_add_func("/mpi/sweep/bad-input", test_bad_input);
    g_test_add_func("/mpi/sweep/killed-rank", test_killed_rank);
    g_test_add_func("/mpi/sweep/silent-rank", test_silent_rank);
    g_test_add_func("/mpi/sweep/hang-at-end", test_hang_at_end);
    return g_test_run();
}
