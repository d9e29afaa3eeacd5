/* SPDX-License-Identifier: MIT */
/*
 * `sipreuse list`: the strategies (from the strategy registry, with their
 * descriptions), the transports (sim_transport_all), the PKI key types and
 * the value types of topology keys (docs/topology.md has every key).
 * Everything but the value types is read from the registries, so a new
 * model shows up without editing this.
 */
#include <stdio.h>
#include <string.h>

#include "models/pki.h"
#include "models/strategy/strategy.h"
#include "cli/cli.h"

/* Value types of topology keys, as run/topo_values.c reads them. */
static const char *const list_value_types[][2] = {
    { "duration", "number with ns, us, ms, s, min or h; bare = seconds" },
    { "bandwidth", "number with bps, Kbps, Mbps or Gbps; bare = bps" },
    { "rate", "calls per second: N or N/s (also N/min, N/h)" },
    { "loss", "probability in [0, 1): 0.01 or 1%" },
    { "list", "values separated by ';' or ','" },
    { "boolean", "true or false (also yes/no, 1/0)" },
    { "address", "dotted IPv4" },
    { "srv", "PRIORITY WEIGHT PORT TARGET; ..." },
    { "number", "a plain decimal number ([simulation] rate-scale)" },
};

static void
list_wrapped(const char *text)
{
    g_auto(GStrv) words = g_strsplit(text, " ", -1);
    guint col = 4;
    printf("    ");
    for (guint i = 0; words[i]; i++) {
        guint n = (guint)strlen(words[i]);
        if (col > 4 && col + 1 + n > 78) {
            printf("\n    ");
            col = 4;
        } else if (col > 4) {
            printf(" ");
            col++;
        }
        printf("%s", words[i]);
        col += n;
    }
    printf("\n");
}

/**
 * sim_cmd_list:
 * @argc: argument count
 * @argv: arguments; argv[0] is "list"
 *
 * Returns: the exit status.
 */
int
sim_cmd_list(int argc, char **argv)
{
    int rc = sim_cli_parse(sim_cli_context("list", NULL), &argc, &argv);
    if (rc)
        return rc;
    if (argc > 1)
        return sim_cli_usage_error("list", "takes no arguments, found %d",
                                   argc - 1);
    const SimStrategyOps *const *s = sim_strategy_all();
    printf("Strategies (--strategy, [node] strategy):\n");
    for (guint i = 0; s[i]; i++) {
        printf("  %s\n", s[i]->name);
        list_wrapped(s[i]->description);
    }
    const SimTransportOps *const *t = sim_transport_all();
    printf("\nTransports ([transport] protocol):\n");
    for (guint i = 0; t[i]; i++) {
        printf("  %s\n", t[i]->name);
        list_wrapped(t[i]->description);
    }
    printf("\nKey types ([pki] key):\n");
    for (guint k = 0; k < SIM_KEY_N_TYPES; k++)
        printf("  %s\n", sim_key_type_name((SimKeyType)k));
    printf("\nTopology value types:\n");
    for (guint i = 0; i < G_N_ELEMENTS(list_value_types); i++)
        printf("  %-10s %s\n", list_value_types[i][0],
               list_value_types[i][1]);
    printf("\nThe rules (R), threats (T) and decisions (D) named above are "
           "defined in\ndocs/model.md; every topology key with its type, "
           "unit and default is in\ndocs/topology.md (sipreuse check "
           "--defaults --format markdown).\n");
    return SIM_EXIT_OK;
}
