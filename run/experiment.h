/* SPDX-License-Identifier: MIT */
/*
 * Experiment files (`sipreuse sweep EXPERIMENT`): [experiment] names the
 * topology, strategies, replications, first seed, fixed overrides and
 * keys to unset; [vary] lists values per topology key, each key an axis of
 * the cartesian product; each [zip NAME] group lists keys whose values
 * move together (the i-th value of every key at once: one axis); [plot
 * NAME] groups are kept for the plot driver, which checks them.  The file
 * is as strict as a topology: unknown groups and keys (with the nearest
 * valid name), duplicate groups, keys and values, and bad values are
 * refused with the file, line, group and key.  run/ is the only reader of
 * input files: the sweep verb and the fuzzer load experiments through
 * here.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A parsed experiment. */
typedef struct {
    /* The file's base name without its extension (results folder). */
    char *name;
    /* The file as named (relative paths in it resolve against its
     * folder). */
    char *path;
    /* The topology file (relative paths resolved against the experiment's
     * folder), and its text, read once: every point loads it, the
     * fingerprints hash it and the results folder keeps a copy (NULL when
     * loaded without reading it). */
    char *topology;
    char *topo_text;
    gsize topo_len;
    /* (nullable): explicit strategies, each registered, each once. */
    char **strategies;
    /* Replications (at least 1) and the first seed. */
    gint reps;
    guint64 seed;
    /* Fixed overrides: [experiment] set, then SIM_TOPO_UNSET "GROUP.KEY"
     * for each [experiment] unset.  File values relative to the
     * experiment's folder are rewritten relative to the working
     * directory. */
    char **sets;
    /* Varied keys and their values (of char **), in file order: the keys
     * of [vary], then those of each [zip NAME] group. */
    char **keys;
    GPtrArray *values;
    /* The axis of each key (keys of one [zip NAME] share one; each [vary]
     * key is one) and how many axes there are; axes are the cartesian
     * product's factors, the first slowest. */
    guint *axis;
    guint n_axes;
    /* The file as read, for the plot driver's [plot NAME] groups. */
    GKeyFile *kf;
} SimExperiment;

SimExperiment *sim_experiment_load(const char *path, GError **error);
SimExperiment *sim_experiment_load_data(const char *path, const char *data,
                                        gsize len, gboolean read_topology,
                                        GError **error);
void sim_experiment_free(SimExperiment *e);

/* Grid points: how many (saturating at G_MAXUINT64), and point @idx's
 * value of each key (labels, NULL-terminated) and its overrides (the fixed
 * ones, then KEY=VALUE per varied key). */
guint64 sim_experiment_n_points(const SimExperiment *e);
void sim_experiment_point(const SimExperiment *e, guint64 idx,
                          char ***labels, char ***overrides);
/* The keys of @kf's [vary] and [zip NAME] groups (transfer full). */
char **sim_experiment_varied_keys(GKeyFile *kf);
/* The keys that move with @key (its [zip NAME] partners, and itself),
 * transfer full. */
char **sim_experiment_axis_keys(GKeyFile *kf, const char *key);
/* Line (1-based) of [@group] @key in @text (@key NULL: of the header); 0
 * when not found. */
guint sim_experiment_line(const char *text, gsize len, const char *group,
                          const char *key);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimExperiment, sim_experiment_free)

G_END_DECLS
