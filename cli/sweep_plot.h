/* SPDX-License-Identifier: MIT */
/*
 * Sweep plots (cli/sweep_plot.c): [plot NAME] groups checked before the
 * first run, their data, knees (knees.tsv) and the sweep's closing table.
 * sim_plot_check_experiment() is declared in cli/cli.h.
 */
#pragma once

#include <glib.h>

#include "cli/gnuplot.h"
#include "run/topo.h"

G_BEGIN_DECLS

gboolean sim_plot_sweep(const SimPlotEnv *env, const char *exp,
                        GError **error);
/* Writes DIR/knees.tsv (also with --no-plots); @text: the knees to print. */
gboolean sim_plot_knees(const char *dir, char **text, GError **error);
/* The sweep's closing table of the plotted keys per point and strategy. */
gboolean sim_plot_summary(const char *dir, char **text, GError **error);
/* Per-node plot keys name nodes and domains of the topology. */
gboolean sim_plot_check_names(GKeyFile *kf, const char *path,
                              const SimTopo *topo, GError **error);

G_END_DECLS
