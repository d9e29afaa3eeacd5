/* SPDX-License-Identifier: MIT */
/*
 * Running the plot scripts of plots/ with gnuplot so that nothing from a
 * results folder, an experiment or the command line can become gnuplot
 * code, and so that every image either is drawn completely or is not
 * there.  gnuplot runs in a private working folder inside plots/ where the
 * driver links the data files under fixed names ("aggregate.tsv",
 * "run1.latency.tsv", "data.dat"...), so no path ever reaches a script;
 * strings (titles, labels, strategy names) and numbers are handed over as
 * call arguments (gnuplot -c SCRIPT ARG1 ... ARG9), which gnuplot stores
 * as string variables and never evaluates.  Each image is written to the
 * fixed name "image" in the working folder, checked (gnuplot's status and
 * error output, a complete PNG or SVG) and only then renamed into plots/.
 */
#pragma once

#include <glib.h>

#include "run/topo.h"

G_BEGIN_DECLS

#define SIM_GNUPLOT_ERROR (sim_gnuplot_error_quark())
GQuark sim_gnuplot_error_quark(void);

typedef enum {
    /* gnuplot or the plots/ scripts are not installed. */
    SIM_GNUPLOT_ERROR_MISSING,
    /* One or more images could not be drawn or written. */
    SIM_GNUPLOT_ERROR_FAILED,
} SimGnuplotError;

/* Script arguments after the scripts folder and the terminal. */
#define SIM_GNUPLOT_MAX_ARGS 7

typedef struct SimGnuplot SimGnuplot;

SimGnuplot *sim_gnuplot_new(const char *plots, GError **error);
gboolean sim_gnuplot_link(SimGnuplot *gp, const char *name,
                          const char *target, GError **error);
void sim_gnuplot_draw(SimGnuplot *gp, const char *script, const char *image,
                      const char *const *args);
void sim_gnuplot_fail(SimGnuplot *gp, const char *image, const char *why);
gboolean sim_gnuplot_finish(SimGnuplot *gp, GError **error);
void sim_gnuplot_free(SimGnuplot *gp);

gboolean sim_gnuplot_image_ok(const char *path, gboolean svg,
                              GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimGnuplot, sim_gnuplot_free)

/* Sweep knees (cli/cmd_plot.c, which prepares every plot's data): writes
 * DIR/knees.tsv, also with --no-plots. */
gboolean sim_plot_knees(const char *dir, char **text, GError **error);
/* Per-node plot keys name nodes and domains of the topology. */
gboolean sim_plot_check_names(GKeyFile *kf, const char *path,
                              const SimTopo *topo, GError **error);

G_END_DECLS
