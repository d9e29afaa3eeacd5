/* SPDX-License-Identifier: MIT */
/*
 * `sipreuse check TOPOLOGY [--set GROUP.KEY=VALUE]...`: load and validate a
 * topology without running it, then print a one-paragraph summary (exit 0)
 * or every problem the loader found, one per line naming file, line, group
 * and key, and their count (exit 2).  `sipreuse check --defaults` prints
 * the default of every key; with `--format markdown`, the whole reference
 * of topology keys (docs/topology.md, which `make docs` writes with it).
 */
#include "cli/cli.h"

#include <stdio.h>

#include "models/strategy/strategy.h"
#include "run/input.h"
#include "run/topo.h"
#include "run/topo_doc.h"
#include "run/world.h"

/* "N things" with the plural when N != 1. */
static void
check_count(GString *s, guint n, const char *what, const char *sep)
{
    g_string_append_printf(s, "%u %s%s%s", n, what, n == 1 ? "" : "s", sep);
}

/* The one-paragraph summary of a loaded topology. */
static char *
check_summary(const SimTopo *t)
{
    GString *s = g_string_new(NULL);
    guint srv = 0;
    for (guint i = 0; i < t->n_domains; i++)
        srv += t->domains[i].n_srv;
    double rate = 0;
    for (guint i = 0; i < t->n_traffic; i++)
        rate += t->traffic[i].rate;
    g_string_append_printf(s, "%s: ", t->path);
    check_count(s, t->n_nodes, "node", ", ");
    check_count(s, t->n_sites, "site", ", ");
    check_count(s, t->n_domains, "domain", ", ");
    check_count(s, srv, "SRV record", ", ");
    check_count(s, t->n_links, "link", ", ");
    check_count(s, t->n_traffic, "traffic flow", "");
    g_string_append_printf(s, " (%.6g calls/s in total), ", rate);
    check_count(s, t->n_faults, "fault", "; ");
    g_string_append_printf(s,
                           "protocol %s, strategy %s, duration %.9g s "
                           "(warm-up %.9g s), seed %" G_GUINT64_FORMAT
                           ". OK.\n",
                           sim_protocol_name(t->transport.protocol),
                           t->simulation.strategy,
                           t->simulation.duration / 1e9,
                           t->simulation.warmup / 1e9, t->simulation.seed);
    return g_string_free(s, FALSE);
}

/* A topology that sets no strategy, over a transport the default cannot
 * run on, is valid (compare and sweep pick the strategies that apply) but
 * `run` needs --strategy: say so. */
static void
check_default_strategy(const SimTopo *t)
{
    if (t->simulation.strategy_set ||
        sim_world_strategy_applicable(t, t->simulation.strategy))
        return;
    g_autoptr(GString) list = g_string_new(NULL);
    for (const SimStrategyOps *const *s = sim_strategy_all(); *s; s++)
        if (sim_world_strategy_applicable(t, (*s)->name))
            g_string_append_printf(list, "%s%s", list->len ? ", " : "",
                                   (*s)->name);
    printf("note: the default strategy %s cannot run over transport %s: "
           "run needs --strategy (one of %s); compare and sweep use "
           "those.\n",
           t->simulation.strategy, sim_protocol_name(t->transport.protocol),
           list->str);
}

/**
 * sim_cmd_check:
 * @argc: argument count
 * @argv: arguments; argv[0] is "check"
 *
 * Returns: the exit status: 0 valid, 2 invalid or bad usage.
 */
int
sim_cmd_check(int argc, char **argv)
{
    gboolean defaults = FALSE;
    g_autofree char *format = NULL;
    g_auto(GStrv) sets = NULL;
    g_auto(GStrv) unsets = NULL;
    const GOptionEntry entries[] = {
        { "defaults", 0, 0, G_OPTION_ARG_NONE, &defaults,
          "Print every key's default value", NULL },
        { "format", 0, 0, G_OPTION_ARG_STRING, &format,
          "With --defaults: text (group.key = default lines, the default) "
          "or markdown (every key with type, values, unit, default and "
          "meaning: docs/topology.md)",
          "text|markdown" },
        { "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets,
          "Override a topology key (repeatable)", "GROUP.KEY=VALUE" },
        { "unset", 0, 0, G_OPTION_ARG_STRING_ARRAY, &unsets,
          "Remove a topology key: it takes its default (repeatable)",
          "GROUP.KEY" },
        G_OPTION_ENTRY_NULL
    };
    int rc = sim_cli_parse(sim_cli_context("check", entries), &argc, &argv);
    if (rc)
        return rc;
    sim_cli_add_unsets(&sets, unsets);
    if (format && !defaults)
        return sim_cli_usage_error("check", "--format goes with --defaults");
    if (defaults && argc > 1)
        return sim_cli_usage_error("check", "--defaults takes no TOPOLOGY, "
                                   "found %d argument%s", argc - 1,
                                   argc == 2 ? "" : "s");
    if (format && !g_str_equal(format, "text") &&
        !g_str_equal(format, "markdown"))
        return sim_cli_usage_error("check",
                                   "--format: expected text or markdown, "
                                   "found \"%s\"",
                                   format);
    if (defaults && format && g_str_equal(format, "markdown")) {
        g_autoptr(GError) error = NULL;
        g_autofree char *md = sim_topo_doc_markdown(&error);
        if (!md) {
            sim_cli_error("check", "%s", error->message);
            return SIM_EXIT_FAILURE;
        }
        fputs(md, stdout);
        return SIM_EXIT_OK;
    }
    if (defaults) {
        g_autofree char *text = sim_topo_defaults_text();
        fputs(text, stdout);
        return SIM_EXIT_OK;
    }
    if (argc != 2)
        return sim_cli_usage_error("check", "expected one TOPOLOGY file, "
                                            "found %d arguments",
                                   argc - 1);
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;
    gsize len = 0;
    /* A regular file under the size cap only: /dev/zero, a FIFO or a
     * huge file is refused at once. */
    if (!sim_input_read_file(argv[1], SIM_INPUT_MAX_TOPOLOGY, &text, &len,
                             &error))
        return sim_cli_usage_error("check", "topology %s", error->message);
    g_autoptr(SimTopo) topo = sim_topo_load_data_full(
        argv[1], text, len, (const char *const *)sets, SIM_TOPO_LOAD_DEFAULT,
        &error);
    if (topo) {
        sim_cli_warnings("check", argv[1],
                         (const char *const *)topo->warnings, NULL);
        sim_cli_strategy_warnings("check", argv[1], topo,
                                  topo->simulation.strategy, NULL);
    }
    if (!topo) {
        g_auto(GStrv) lines = g_strsplit(error->message, "\n", -1);
        for (guint i = 0; lines[i]; i++)
            fprintf(stderr, "sipreuse check: %s\n", lines[i]);
        if (g_strv_length(lines) > 1)
            fprintf(stderr, "sipreuse check: %s: %u problems\n", argv[1],
                    g_strv_length(lines));
        return SIM_EXIT_USAGE;
    }
    g_autofree char *summary = check_summary(topo);
    fputs(summary, stdout);
    check_default_strategy(topo);
    return SIM_EXIT_OK;
}
