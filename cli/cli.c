/* SPDX-License-Identifier: MIT */
/*
 * The verb table and the helpers the verbs share: building a per-verb
 * GOptionContext whose --help names the verb, turning option errors into exit
 * status 2 with a message naming the verb.
 */
#include "cli/cli.h"

#include <stdio.h>

const SimCmd sim_cmds[] = {
    { "run", "TOPOLOGY", "simulate one topology with one strategy and seed",
      sim_cmd_run },
    { "compare", "TOPOLOGY", "run every strategy with replications, side by side",
      sim_cmd_compare },
    { "sweep", "EXPERIMENT", "vary topology keys over a grid of runs",
      sim_cmd_sweep },
    { "plot", "RESULTS_DIR", "draw the plots of a results folder with gnuplot",
      sim_cmd_plot },
    { "check", "TOPOLOGY", "validate a topology without running it",
      sim_cmd_check },
    { "list", "", "list strategies, transports and topology key types",
      sim_cmd_list },
    { "calibrate", "", "measure this host's TLS crypto costs with OpenSSL",
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

