/* SPDX-License-Identifier: MIT */
/*
 * The verb table and the helpers the verbs share: building a per-verb
 * GOptionContext whose --help names the verb, turning option errors into exit
 * status 2 with a message naming the verb.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <unistd.h>

#include "run/batch.h"
#include "run/input.h"
#include "run/sqlite.h"
#include "run/world.h"

const SimCmd sim_cmds[] = {
    { "run", "TOPOLOGY", "simulate one topology with one strategy and seed",
      sim_cmd_run },
    { "compare", "TOPOLOGY", "run every strategy with replications, side by side",
      sim_cmd_compare },
    { "sweep", "EXPERIMENT", "vary topology keys over a grid of runs",
      sim_cmd_sweep },
    { "plot", "RESULTS_DIR", "draw the plots of a results folder with gnuplot",
      sim_cmd_plot },
    { "export", "RESULTS_DIR", "a results folder's tables as CSV, JSON or SQLite",
      sim_cmd_export },
    { "check", "TOPOLOGY", "validate a topology without running it",
      sim_cmd_check },
    { "list", "", "list strategies, transports and topology key types",
      sim_cmd_list },
    { "calibrate", "", "measure this host's TLS, TCP and memory costs",
      sim_cmd_calibrate },
    { NULL, NULL, NULL, NULL },
};

/**
 * sim_cli_context:
 * @verb: the verb
 * @entries: (nullable): its options, terminated by a zeroed entry
 *
 * Returns: (transfer full): an option context for `sipreuse VERB`.
 */
GOptionContext *
sim_cli_context(const char *verb, const GOptionEntry *entries)
{
    const SimCmd *cmd = NULL;
    for (const SimCmd *c = sim_cmds; c->name; c++)
        if (g_str_equal(c->name, verb))
            cmd = c;
    g_assert(cmd != NULL);

    /* Usage lines then read "sipreuse VERB [OPTION...] ARGS". */
    g_autofree char *prgname = g_strdup_printf("sipreuse %s", verb);
    g_set_prgname(prgname);
    GOptionContext *ctx = g_option_context_new(cmd->args);
    g_option_context_set_summary(ctx, cmd->summary);
    if (entries)
        g_option_context_add_main_entries(ctx, entries, NULL);
    return ctx;
}

/**
 * sim_cli_parse:
 * @ctx: (transfer full): the verb's option context; freed here
 * @argc: argument count, updated
 * @argv: arguments, updated to the positional ones (argv[0] is the verb)
 *
 * Returns: 0 on success, or %SIM_EXIT_USAGE after printing the error.
 */
int
sim_cli_parse(GOptionContext *ctx, int *argc, char ***argv)
{
    g_autoptr(GError) error = NULL;
    gboolean ok = g_option_context_parse(ctx, argc, argv, &error);
    g_option_context_free(ctx);
    if (!ok) {
        fprintf(stderr, "sipreuse %s: %s (see sipreuse %s --help)\n",
                (*argv)[0], error->message, (*argv)[0]);
        return SIM_EXIT_USAGE;
    }
    return 0;
}

/**
 * sim_cli_usage_error:
 * @verb: the verb
 * @fmt: printf-style message
 *
 * Prints "sipreuse VERB: message" to stderr; a message of several lines
 * (a topology with several problems) gets the prefix on each line.
 *
 * Returns: %SIM_EXIT_USAGE.
 */
int
sim_cli_usage_error(const char *verb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_auto(GStrv) lines = g_strsplit(msg, "\n", -1);
    for (guint i = 0; lines[i]; i++)
        fprintf(stderr, "sipreuse %s: %s\n", verb, lines[i]);
    return SIM_EXIT_USAGE;
}

/**
 * sim_cli_seed:
 * @verb: the verb, for the message
 * @text: the --seed value as typed
 * @seed: (out): its value
 *
 * Parses a seed strictly: decimal digits only (no sign, blanks or
 * suffix), 0 to 2^64 - 1, the range a topology's seed key accepts.
 *
 * Returns: 0, or %SIM_EXIT_USAGE after printing what was expected.
 */
int
sim_cli_seed(const char *verb, const char *text, guint64 *seed)
{
    gboolean digits = text[0] != '\0';
    for (const char *c = text; *c; c++)
        digits &= g_ascii_isdigit(*c);
    if (digits && g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT64, seed,
                                             NULL))
        return 0;
    return sim_cli_usage_error(verb, "--seed: expected an integer from 0 "
                               "to %" G_GUINT64_FORMAT ", found '%s'%s",
                               G_MAXUINT64, text,
                               text[0] == '-' ? " (seeds are not negative)"
                                              : "");
}


/**
 * sim_cli_error:
 * @verb: the verb
 * @fmt: printf-style message
 *
 * Prints "sipreuse VERB: message" to stderr, the prefix on every line.
 */
void
sim_cli_error(const char *verb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_auto(GStrv) lines = g_strsplit(msg, "\n", -1);
    for (guint i = 0; lines[i]; i++)
        fprintf(stderr, "sipreuse %s: %s\n", verb, lines[i]);
}

/**
 * sim_cli_name_ok:
 * @name: a name from a file (a [plot NAME], a strategy in runs.tsv)
 *
 * Returns: TRUE if @name is 1 to 64 characters of [A-Za-z0-9_.-], the
 *   names that can become file names and plot labels as they are.
 */
gboolean
sim_cli_name_ok(const char *name)
{
    gsize n = 0;
    for (const char *c = name; *c; c++, n++)
        if (!g_ascii_isalnum(*c) && *c != '_' && *c != '.' && *c != '-')
            return FALSE;
    return n >= 1 && n <= 64;
}

/**
 * sim_cli_max_memory:
 * @verb: the verb
 * @text: (nullable): --max-memory as typed
 * @bytes: (out): the limit: @text's value, or the default (half the
 *   physical memory)
 *
 * Returns: 0, or %SIM_EXIT_USAGE after printing what was expected.
 */
int
sim_cli_max_memory(const char *verb, const char *text, guint64 *bytes)
{
    if (!text) {
        *bytes = sim_limits_default_max_memory();
        return 0;
    }
    if (sim_limits_parse_size(text, bytes))
        return 0;
    return sim_cli_usage_error(verb, "--max-memory: expected a size such as "
                               "512M, 4G or 1073741824 (bytes), found '%s'",
                               text);
}

/**
 * sim_cli_check_runs:
 * @verb: the verb
 * @what: what holds the runs ("the grid of topologies/x.exp")
 * @runs: how many runs it holds
 * @force: --force was given
 *
 * Returns: 0 if @runs is within %SIM_LIMITS_MAX_RUNS (or @force), else
 *   %SIM_EXIT_USAGE after naming the count.
 */
int
sim_cli_check_runs(const char *verb, const char *what, guint64 runs,
                   gboolean force)
{
    if (runs <= SIM_LIMITS_MAX_RUNS || (force && runs <= G_MAXUINT / 2))
        return 0;
    if (runs > G_MAXUINT / 2)
        return sim_cli_usage_error(verb, "%s holds %" G_GUINT64_FORMAT
                                   " runs, more than this program can hold "
                                   "even with --force",
                                   what, runs);
    return sim_cli_usage_error(verb, "%s holds %" G_GUINT64_FORMAT " runs, "
                               "more than the limit of %u; pass --force to "
                               "run them anyway",
                               what, runs, SIM_LIMITS_MAX_RUNS);
}

/**
 * sim_cli_check_memory:
 * @verb: the verb
 * @what: the topology or grid point the estimate is of
 * @est: the estimate of its biggest run
 * @parallel: how many runs go at once
 * @max_bytes: --max-memory
 * @force: --force was given
 *
 * Compares what @parallel runs like @est need, plus what the process
 * already uses, with @max_bytes.
 *
 * Returns: 0 if it fits (or @force), else %SIM_EXIT_USAGE after printing
 *   the estimate.
 */
int
sim_cli_check_memory(const char *verb, const char *what,
                     const SimRunEstimate *est, guint parallel,
                     guint64 max_bytes, gboolean force)
{
    double need = (double)sim_limits_rss() + est->bytes * MAX(parallel, 1);
    if (force || !max_bytes || need <= (double)max_bytes)
        return 0;
    g_autofree char *e = sim_limits_estimate_text(est);
    g_autofree char *m = sim_input_size_text(max_bytes);
    g_autofree char *times = parallel > 1
        ? g_strdup_printf(", times %u runs at once", parallel)
        : g_strdup("");
    return sim_cli_usage_error(
        verb,
        "%s: a run needs %s%s: more than --max-memory %s; lower the call "
        "rates, holding times or duration, raise --max-memory, or pass "
        "--force (a run that passes the limit is still stopped)",
        what, e, times, m);
}

/**
 * sim_cli_lock:
 * @verb: the verb
 * @dir: the results folder
 * @lock: (out): the lock on it
 *
 * Creates @dir and locks it (run/lock.h) before anything is simulated.
 *
 * Returns: 0, 2 if @dir is a file, or 1 if it cannot be created or
 *   written or another sipreuse holds it (each after printing why).
 */
int
sim_cli_lock(const char *verb, const char *dir, SimLock **lock)
{
    g_autoptr(GError) error = NULL;
    *lock = sim_lock_acquire(dir, &error);
    if (*lock)
        return 0;
    sim_cli_error(verb, "%s", error->message);
    return sim_lock_exit_status(error);
}

/**
 * sim_cli_cache:
 * @verb: the verb
 * @needed: the runs make certificates (TLS)
 * @cache_dir: (out) (transfer full): the PKI cache folder
 *
 * Returns: 0, or 1 after printing why when @needed and the cache cannot
 *   be written (a run-time failure, found before any run).
 */
int
sim_cli_cache(const char *verb, gboolean needed, char **cache_dir)
{
    *cache_dir = sim_batch_cache_dir();
    g_autoptr(GError) error = NULL;
    if (!needed || sim_batch_cache_ready(*cache_dir, &error))
        return 0;
    sim_cli_error(verb, "%s", error->message);
    return SIM_EXIT_FAILURE;
}

/**
 * sim_cli_database:
 * @verb: the verb
 * @dir: a results folder whose TSVs are written, locked by the caller
 *
 * Writes @dir/results.sqlite from the folder's TSVs (run/sqlite.h).  A
 * failure does not stop the verb (its TSVs, table and plots are still
 * good): it is printed and makes the exit status 1.
 *
 * Returns: 0, or 1 after printing why the database was not written.
 */
int
sim_cli_database(const char *verb, const char *dir)
{
    g_autoptr(GError) error = NULL;
    if (sim_sqlite_write_dir(dir, &error))
        return 0;
    sim_cli_error(verb, "%s", error->message);
    return SIM_EXIT_FAILURE;
}

/**
 * sim_cli_printable:
 * @text: text from a file or the command line
 *
 * Returns: (transfer full): @text fit for a one-line message: valid UTF-8
 *   kept as it is, control characters written as \n, \t or \xNN.
 */
char *
sim_cli_printable(const char *text)
{
    g_autofree char *valid = g_utf8_make_valid(text ? text : "", -1);
    GString *s = g_string_new(NULL);
    for (const char *c = valid; *c; c++) {
        unsigned char u = (unsigned char)*c;
        if (u == '\n')
            g_string_append(s, "\\n");
        else if (u == '\t')
            g_string_append(s, "\\t");
        else if (u < 0x20 || u == 0x7f)
            g_string_append_printf(s, "\\x%02x", u);
        else
            g_string_append_c(s, *c);
    }
    return g_string_free(s, FALSE);
}

/**
 * sim_cli_warnings:
 * @verb: the verb
 * @path: the topology file
 * @warnings: (nullable): a loaded topology's warnings
 * @seen: (nullable): warnings already printed (a sweep's points share
 *   most of theirs), added to
 *
 * Prints each warning once on stderr ("sipreuse VERB: PATH: warning: ...").
 */
void
sim_cli_warnings(const char *verb, const char *path,
                 const char *const *warnings, GHashTable *seen)
{
    for (guint i = 0; warnings && warnings[i]; i++) {
        if (seen && !g_hash_table_add(seen, g_strdup(warnings[i])))
            continue;
        fprintf(stderr, "sipreuse %s: %s: warning: %s\n", verb, path,
                warnings[i]);
    }
}

/**
 * sim_cli_add_unsets:
 * @sets: (inout) (transfer full) (nullable): the --set overrides
 * @unsets: (nullable): the --unset GROUP.KEY options
 *
 * Appends each --unset as a loader override (SIM_TOPO_UNSET "GROUP.KEY")
 * after the --set ones, so that an unset wins over a set of the same key.
 */
void
sim_cli_add_unsets(char ***sets, char **unsets)
{
    if (!unsets || !unsets[0])
        return;
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    if (*sets)
        g_strv_builder_addv(b, (const char **)*sets);
    for (guint i = 0; unsets[i]; i++) {
        g_autofree char *u = g_strconcat(SIM_TOPO_UNSET,
                                         g_strstrip(unsets[i]), NULL);
        g_strv_builder_add(b, u);
    }
    g_strfreev(*sets);
    *sets = g_strv_builder_end(b);
}

/**
 * sim_cli_strategy_warnings:
 * @verb: the verb
 * @path: the topology file
 * @topo: the loaded topology
 * @strategy: a strategy it runs with
 * @seen: (nullable): warnings already printed, added to
 *
 * Prints the keys of @topo that do not apply under @strategy
 * (sim_world_strategy_warnings()), each once.
 */
void
sim_cli_strategy_warnings(const char *verb, const char *path,
                          const SimTopo *topo, const char *strategy,
                          GHashTable *seen)
{
    g_auto(GStrv) w = sim_world_strategy_warnings(topo, strategy);
    sim_cli_warnings(verb, path, (const char *const *)w, seen);
}

/**
 * sim_cli_numeric_columns:
 * @tsv: a table with a header line (runs.tsv, aggregate.tsv of a sweep)
 * @first: the column of the first varied key
 * @keys: the varied keys, in column order from @first
 *
 * Appends, at the end of every line, one numeric column per varied key
 * with a unit (sim_topo_numeric_column(): `link.a.b.delay_ms` = 10 for
 * "10ms"), so that tools sort and plot the values as numbers; the text
 * columns stay where they are.  A value that does not parse is nan.
 *
 * Returns: (transfer full): the table with the columns added (a copy of
 *   @tsv when no key has a unit).
 */
char *
sim_cli_numeric_columns(const char *tsv, guint first, const char *const *keys)
{
    guint nk = keys ? g_strv_length((char **)keys) : 0;
    g_autofree char **cols = g_new0(char *, nk + 1);
    gboolean any = FALSE;
    for (guint k = 0; k < nk; k++)
        any |= (cols[k] = sim_topo_numeric_column(keys[k])) != NULL;
    if (!any) {
        g_free(cols[nk]);
        return g_strdup(tsv);
    }
    GString *out = g_string_new(NULL);
    g_auto(GStrv) lines = g_strsplit(tsv, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        if (!lines[i][0]) {
            if (lines[i + 1])
                g_string_append_c(out, '\n');
            continue;
        }
        g_auto(GStrv) cells = g_strsplit(lines[i], "\t", -1);
        guint nc = g_strv_length(cells);
        g_string_append(out, lines[i]);
        for (guint k = 0; k < nk; k++) {
            if (!cols[k])
                continue;
            if (i == 0) {
                g_string_append_printf(out, "\t%s", cols[k]);
                continue;
            }
            double x = 0;
            const char *text = first + k < nc ? cells[first + k] : "";
            if (sim_topo_unit_value(sim_topo_key_unit(keys[k]), text, &x)) {
                char buf[G_ASCII_DTOSTR_BUF_SIZE];
                g_ascii_formatd(buf, sizeof buf, "%.12g", x);
                g_string_append_printf(out, "\t%s", buf);
            } else {
                g_string_append(out, "\tnan");
            }
        }
        g_string_append_c(out, '\n');
    }
    for (guint k = 0; k < nk; k++)
        g_free(cols[k]);
    return g_string_free(out, FALSE);
}

/**
 * sim_cli_progress_wanted:
 * @force: --progress was given
 * @quiet: --quiet was given
 *
 * Returns: whether to report progress on stderr: never with --quiet,
 *   always with --progress, else when stderr is a terminal.
 */
gboolean
sim_cli_progress_wanted(gboolean force, gboolean quiet)
{
    return !quiet && (force || isatty(STDERR_FILENO));
}

/**
 * sim_cli_run_progress:
 * @now: simulated time reached
 * @end: the run's end
 * @data: a SimCliRunProgress
 *
 * The progress of one long run (SimRunOptions.progress): after a few
 * seconds of wall clock, the simulated time reached, its share of the
 * run and an ETA, redrawn on a terminal, else a line at most every few
 * seconds.  Wall clock only here, in the CLI: never in results.
 */
void
sim_cli_run_progress(SimTime now, SimTime end, gpointer data)
{
    SimCliRunProgress *pr = data;
    gint64 wall = g_get_monotonic_time();
    if (!pr->start)
        pr->start = wall;
    double elapsed = (double)(wall - pr->start) / 1e6;
    gboolean tty = isatty(STDERR_FILENO);
    if (elapsed < pr->after_s ||
        (double)(wall - pr->printed) / 1e6 < (tty ? 0.25 : 2.0))
        return;
    pr->printed = wall;
    double share = end ? (double)now / (double)end : 1;
    double eta = share > 0 ? elapsed * (1 - share) / share : 0;
    fprintf(stderr, "%s%s: simulated %.1f s of %.1f s (%.0f%%), ETA "
                    "%dm%02ds%s",
            tty ? "\r" : "", pr->what, now / 1e9, end / 1e9, 100 * share,
            (int)eta / 60, (int)eta % 60, tty ? "\033[K" : "\n");
    pr->drawn = TRUE;
    fflush(stderr);
}

/**
 * sim_cli_run_progress_end:
 * @pr: the progress of a run that ended
 *
 * Ends a progress line drawn in place on a terminal.
 */
void
sim_cli_run_progress_end(SimCliRunProgress *pr)
{
    if (pr->drawn && isatty(STDERR_FILENO))
        fputc('\n', stderr);
}
