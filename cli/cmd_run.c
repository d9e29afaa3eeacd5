/* SPDX-License-Identifier: MIT */
/*
 * `sipreuse run TOPOLOGY`: one topology, one strategy, one seed.  Loads the
 * topology with the --set overrides, runs the world, writes the run folder
 * (DESIGN.md section 8) and prints the summary as text, JSON or TSV.  Exit
 * status: 0 ok, 2 bad input (topology, strategy, flag value, an --out that
 * is a file, a run whose estimated memory exceeds --max-memory), 1 a run
 * that failed, passed --max-memory while running, or results that could
 * not be written (the --out folder is created, locked and test-written
 * before the run, so an unusable one is found first).
 */
#include "cli/cli.h"

#include <stdio.h>

#include "models/strategy/strategy.h"
#include "run/batch.h"
#include "run/input.h"
#include "run/out.h"
#include "run/world.h"

/* The parsed command line. */
typedef struct {
    char *strategy;
    /* (nullable): --seed as typed; seed is its value. */
    char *seed_text;
    guint64 seed;
    char **sets;
    char **unsets;
    char *out;
    char *format;
    char *pcap;
    char *pcap_sip;
    char *pcap_dir;
    gboolean no_timing;
    /* --progress, --quiet. */
    gboolean progress;
    gboolean quiet;
    char *max_memory_text;
    guint64 max_memory;
    gboolean force;
} RunArgs;

static void
run_args_clear(RunArgs *a)
{
    g_free(a->strategy);
    g_free(a->seed_text);
    g_strfreev(a->sets);
    g_strfreev(a->unsets);
    g_free(a->out);
    g_free(a->format);
    g_free(a->pcap);
    g_free(a->pcap_sip);
    g_free(a->pcap_dir);
    g_free(a->max_memory_text);
}

static int
run_print(const SimRunResult *r, const RunArgs *a, const SimOutOptions *o,
          const char *dir)
{
    g_autofree char *text = NULL;
    if (g_str_equal(a->format, "json")) {
        text = sim_out_summary_json(r, o);
    } else if (g_str_equal(a->format, "tsv")) {
        g_autofree char *h = sim_out_runs_header();
        g_autofree char *row = sim_out_runs_row(r, o);
        text = g_strconcat(h, row, NULL);
    } else {
        g_autofree char *t = sim_out_summary_text(r, o);
        text = g_strdup_printf("%s\nresults: %s\n", t, dir);
    }
    fputs(text, stdout);
    return fflush(stdout) == 0 ? SIM_EXIT_OK : SIM_EXIT_FAILURE;
}

/* Exit 2 for a strategy that cannot run over the topology's transport,
 * naming those that can; @chosen: it came from --strategy, else it is the
 * default of a topology that sets none. */
static int
run_not_applicable(const char *path, const SimTopo *topo,
                   const char *strategy, gboolean chosen)
{
    g_autoptr(GString) list = g_string_new(NULL);
    for (const SimStrategyOps *const *s = sim_strategy_all(); *s; s++)
        if (sim_world_strategy_applicable(topo, (*s)->name))
            g_string_append_printf(list, "%s%s", list->len ? ", " : "",
                                   (*s)->name);
    const char *proto = sim_protocol_name(topo->transport.protocol);
    if (chosen)
        return sim_cli_usage_error("run", "--strategy %s cannot run over "
                                   "transport %s; expected one of %s",
                                   strategy, proto, list->str);
    return sim_cli_usage_error("run", "%s: the default strategy %s cannot "
                               "run over transport %s: choose one with "
                               "--strategy (%s) or set [simulation] "
                               "strategy",
                               path, strategy, proto, list->str);
}

/* The capture files must be regular files or new (they are replaced by
 * rename): 2 naming the option and the path otherwise. */
static int
run_check_outputs(const SimTopo *topo, const RunArgs *a)
{
    g_autoptr(GError) error = NULL;
    if (a->pcap && !sim_input_check_output(a->pcap, &error))
        return sim_cli_usage_error("run", "--pcap %s", error->message);
    if (a->pcap_sip && !sim_input_check_output(a->pcap_sip, &error))
        return sim_cli_usage_error("run", "--pcap-sip %s", error->message);
    for (guint i = 0; a->pcap_dir && i < topo->n_nodes; i++) {
        g_autofree char *base = g_strdup_printf("%s.pcap",
                                                topo->nodes[i].name);
        g_autofree char *file = g_build_filename(a->pcap_dir, base, NULL);
        if (!sim_input_check_output(file, &error))
            return sim_cli_usage_error("run", "--pcap-per-node %s",
                                       error->message);
    }
    return SIM_EXIT_OK;
}

static int
run_main(const char *path, RunArgs *a)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;
    gsize len = 0;
    if (!sim_input_read_file(path, SIM_INPUT_MAX_TOPOLOGY, &text, &len,
                             &error))
        return sim_cli_usage_error("run", "topology %s", error->message);
    /* With --strategy, [simulation] strategy is not the run's: it need
     * not run over the transport. */
    g_autoptr(SimTopo) topo = sim_topo_load_data_full(
        path, text, len, (const char *const *)a->sets,
        a->strategy ? SIM_TOPO_LOAD_CALLER_STRATEGY : SIM_TOPO_LOAD_DEFAULT,
        &error);
    if (!topo)
        return sim_cli_usage_error("run", "%s", error->message);
    sim_cli_warnings("run", path, (const char *const *)topo->warnings, NULL);
    const char *strategy = a->strategy ? a->strategy
                                       : topo->simulation.strategy;
    if (!sim_strategy_by_name(strategy, &error))
        return sim_cli_usage_error("run", "%s", error->message);
    if (!sim_world_strategy_applicable(topo, strategy))
        return run_not_applicable(path, topo, strategy, a->strategy != NULL);
    sim_cli_strategy_warnings("run", path, topo, strategy, NULL);
    int rc = run_check_outputs(topo, a);
    if (rc)
        return rc;
    guint64 seed = a->seed_text ? a->seed : topo->simulation.seed;
    g_autofree char *dir = NULL;
    if (a->out) {
        dir = g_strdup(a->out);
    } else {
        g_autofree char *leaf = g_strdup_printf("%s-seed%" G_GUINT64_FORMAT,
                                                strategy, seed);
        dir = g_build_filename("results", topo->name, leaf, NULL);
    }
    SimRunEstimate est;
    sim_limits_estimate(topo, &est);
    rc = sim_cli_check_memory("run", path, &est, 1, a->max_memory,
                                  a->force);
    g_autoptr(SimLock) lock = NULL;
    g_autofree char *cache = NULL;
    if (rc || (rc = sim_cli_lock("run", dir, &lock)) ||
        (rc = sim_cli_cache("run", sim_batch_topo_needs_pki(topo), &cache)))
        return rc;
    g_autofree char *files = sim_out_files_digest(topo);
    SimOutFingerprint fin = {
        .topo_text = text,
        .topo_len = len,
        .files_digest = files,
        .overrides = (const char *const *)a->sets,
        .strategy = strategy,
        .seed = seed,
        .no_timing = a->no_timing,
    };
    g_autofree char *fp = sim_out_fingerprint(&fin);
    SimRunOptions ro = {
        .strategy = strategy,
        .seed = seed,
        .seed_set = TRUE,
        .overrides = (const char *const *)a->sets,
        .cache_dir = cache,
        .pcap = a->pcap,
        .pcap_sip = a->pcap_sip,
        .pcap_dir = a->pcap_dir,
    };
    /* Progress of a run longer than a few seconds (from the start with
     * --progress). */
    SimCliRunProgress pr = { .what = "sipreuse run",
                             .after_s = a->progress ? 0 : 3 };
    if (sim_cli_progress_wanted(a->progress, a->quiet)) {
        ro.progress = sim_cli_run_progress;
        ro.progress_data = &pr;
    }
    sim_limits_watch_start(a->max_memory, "sipreuse run");
    g_autoptr(SimRunResult) r = sim_world_run(topo, &ro, &error);
    sim_limits_watch_stop();
    sim_cli_run_progress_end(&pr);
    if (!r) {
        fprintf(stderr, "sipreuse run: %s\n", error->message);
        return sim_batch_exit_status(error);
    }
    SimOutOptions o = { .no_timing = a->no_timing, .fingerprint = fp };
    if (!sim_out_write_run(r, dir, &o, &error)) {
        fprintf(stderr, "sipreuse run: %s\n", error->message);
        return SIM_EXIT_FAILURE;
    }
    /* Each call once: GLib's MAX evaluates its arguments twice. */
    rc = sim_cli_database("run", dir);
    int printed = run_print(r, a, &o, dir);
    return MAX(rc, printed);
}

/**
 * sim_cmd_run:
 * @argc: argument count
 * @argv: arguments; argv[0] is "run"
 *
 * Returns: the exit status.
 */
int
sim_cmd_run(int argc, char **argv)
{
    RunArgs a = { .no_timing = sim_batch_no_timing_env() };
    const GOptionEntry entries[] = {
        { "strategy", 0, 0, G_OPTION_ARG_STRING, &a.strategy,
          "Connection strategy (see sipreuse list)", "NAME" },
        { "seed", 0, 0, G_OPTION_ARG_STRING, &a.seed_text,
          "Random seed, 0 to 2^64-1 (default: the topology's)", "N" },
        { "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a.sets,
          "Override a topology key (repeatable)", "GROUP.KEY=VALUE" },
        { "unset", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a.unsets,
          "Remove a topology key: it takes its default (repeatable)",
          "GROUP.KEY" },
        { "progress", 0, 0, G_OPTION_ARG_NONE, &a.progress,
          "Report progress on stderr even when it is not a terminal",
          NULL },
        { "quiet", 0, 0, G_OPTION_ARG_NONE, &a.quiet,
          "Report no progress", NULL },
        { "out", 0, 0, G_OPTION_ARG_FILENAME, &a.out,
          "Results folder (default results/<topology>/<strategy>-seed<N>)",
          "DIR" },
        { "format", 0, 0, G_OPTION_ARG_STRING, &a.format,
          "Print the summary to stdout as text, json or tsv", "FMT" },
        { "pcap", 0, 0, G_OPTION_ARG_FILENAME, &a.pcap,
          "Write every packet the simulated network carries (TCP, SCTP, "
          "UDP, TLS records, as each sender puts them on the wire) as a "
          "packet capture", "FILE" },
        { "pcap-per-node", 0, 0, G_OPTION_ARG_FILENAME, &a.pcap_dir,
          "Write one packet capture per node, DIR/NODE.pcap, with what it "
          "sent and what reached it (losses show as gaps)", "DIR" },
        { "pcap-sip", 0, 0, G_OPTION_ARG_FILENAME, &a.pcap_sip,
          "Write each SIP message as cleartext over its transport, one "
          "packet per message (no handshakes, ACKs or retransmissions)",
          "FILE" },
        { "no-timing", 0, 0, G_OPTION_ARG_NONE, &a.no_timing,
          "Write the wall-clock columns sim.wall_s and sim.events_per_s "
          "as 0 (also $SIPREUSE_NO_TIMING=1)", NULL },
        { "max-memory", 0, 0, G_OPTION_ARG_STRING, &a.max_memory_text,
          "Refuse a run estimated to need more memory, and stop one that "
          "uses more (exit 1); K, M, G suffixes (default: half the "
          "physical memory)", "SIZE" },
        { "force", 0, 0, G_OPTION_ARG_NONE, &a.force,
          "Run even if the memory estimate exceeds --max-memory (the "
          "limit still stops the run)", NULL },
        G_OPTION_ENTRY_NULL
    };
    int rc = sim_cli_parse(sim_cli_context("run", entries), &argc, &argv);
    sim_cli_add_unsets(&a.sets, a.unsets);
    if (!rc && argc != 2)
        rc = sim_cli_usage_error("run", "expected one TOPOLOGY, got %d "
                                 "arguments", argc - 1);
    if (!rc && !a.format)
        a.format = g_strdup("text");
    if (!rc && !g_strv_contains((const char *const[]){ "text", "json", "tsv",
                                                       NULL },
                                a.format))
        rc = sim_cli_usage_error("run", "--format must be text, json or tsv, "
                                 "not '%s'", a.format);
    if (!rc && a.seed_text)
        rc = sim_cli_seed("run", a.seed_text, &a.seed);
    if (!rc)
        rc = sim_cli_max_memory("run", a.max_memory_text, &a.max_memory);
    if (!rc)
        rc = run_main(argv[1], &a);
    run_args_clear(&a);
    return rc;
}
