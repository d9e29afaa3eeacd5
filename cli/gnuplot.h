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


/* Plot data helpers shared by the layouts (cli/cmd_plot.c: compare and
 * single runs; cli/sweep_plot.c: sweeps). */
/* A TSV file with a header line. */
typedef struct {
    char **header;
    GPtrArray *rows;   /* of char ** */
} SimPlotTable;

/* Where and how to draw. */
typedef struct {
    /* The results folder and its plots/ folder. */
    char *dir;
    char *plots;
    SimGnuplot *gp;
} SimPlotEnv;

void sim_plot_table_free(SimPlotTable *t);
SimPlotTable *sim_plot_table_read(const char *path, GError **error);
gint sim_plot_table_col(const SimPlotTable *t, const char *name);
const char *sim_plot_table_get(const SimPlotTable *t, guint row, gint col);
const char *sim_plot_key_label(const char *key);
char *sim_plot_x_label(const char *key);
char *sim_plot_label(const char *text);
char *sim_plot_data_name(const char *text);

/* Linetypes plots/common.gp defines, one per strategy of the registry and
 * one for any other name. */
#define SIM_PLOT_N_STYLES 7
guint sim_plot_style(const char *strategy);
double sim_plot_run_warmup(const char *run_dir);
char *sim_plot_window_text(double warmup_s);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimPlotTable, sim_plot_table_free)

G_END_DECLS
