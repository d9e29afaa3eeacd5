/* SPDX-License-Identifier: MIT */
/*
 * Experiment files (`sipreuse sweep EXPERIMENT`): [experiment] names the
 * topology, strategies, replications, first seed and fixed overrides;
 * [vary] lists values per topology key; [plot NAME] groups are kept for
 * the plot driver, which checks them.  run/ is the only reader of input
 * files: the sweep verb and the fuzzer load experiments through here.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A parsed experiment. */
typedef struct {
    /* The file's base name without its extension (results folder). */
    char *name;
    /* The topology file (relative paths resolved against the experiment's
     * folder), and its text, read once: every point loads it, the
     * fingerprints hash it and the results folder keeps a copy (NULL when
     * loaded without reading it). */
    char *topology;
    char *topo_text;
    gsize topo_len;
    /* (nullable): explicit strategies, each registered. */
    char **strategies;
    /* Replications (at least 1) and the first seed. */
    gint reps;
    guint64 seed;
    /* Fixed overrides. */
    char **sets;
    /* Varied keys and their values (of char **), in file order. */
    char **keys;
    GPtrArray *values;
    /* The file as read, for the plot driver's [plot NAME] groups. */
    GKeyFile *kf;
} SimExperiment;

SimExperiment *sim_experiment_load(const char *path, GError **error);
SimExperiment *sim_experiment_load_data(const char *path, const char *data,
                                        gsize len, gboolean read_topology,
                                        GError **error);
void sim_experiment_free(SimExperiment *e);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimExperiment, sim_experiment_free)

G_END_DECLS
