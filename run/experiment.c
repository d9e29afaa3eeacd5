/* SPDX-License-Identifier: MIT */
/*
 * The experiment file parser (run/experiment.h): the [experiment] and
 * [vary] groups checked and parsed, the rest kept for the plot driver.
 * Errors name the file, the group and the key; nothing here runs anything.
 */
#include "run/experiment.h"

#include <string.h>

#include "models/strategy/strategy.h"
#include "run/input.h"

/* A ';'- or ','-separated list, blanks trimmed, empties dropped. */
static char **
split_list(const char *text, const char *seps)
{
    g_auto(GStrv) parts = g_strsplit_set(text ? text : "", seps, -1);
    GPtrArray *out = g_ptr_array_new();
    for (guint i = 0; parts[i]; i++)
        if (*g_strstrip(parts[i]))
            g_ptr_array_add(out, g_strdup(parts[i]));
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

static gboolean
experiment_check_keys(GKeyFile *kf, const char *path, GError **error)
{
    static const char *const known[] = { "topology", "strategies", "reps",
                                         "seed", "set", NULL };
    g_auto(GStrv) keys = g_key_file_get_keys(kf, "experiment", NULL, error);
    if (!keys)
        return FALSE;
    for (guint i = 0; keys[i]; i++) {
        if (!g_strv_contains(known, keys[i])) {
            g_set_error(error, G_KEY_FILE_ERROR,
                        G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                        "%s: [experiment] has no key '%s' (known: topology, "
                        "strategies, reps, seed, set)", path, keys[i]);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
experiment_vary(SimExperiment *e, GKeyFile *kf, const char *path,
                GError **error)
{
    e->values = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    e->keys = g_key_file_has_group(kf, "vary")
                  ? g_key_file_get_keys(kf, "vary", NULL, NULL)
                  : g_new0(char *, 1);
    for (guint i = 0; e->keys[i]; i++) {
        g_autofree char *v = g_key_file_get_value(kf, "vary", e->keys[i],
                                                  NULL);
        char **vals = split_list(v, ",;");
        g_ptr_array_add(e->values, vals);
        if (!vals[0]) {
            g_set_error(error, G_KEY_FILE_ERROR,
                        G_KEY_FILE_ERROR_INVALID_VALUE,
                        "%s: [vary] %s has no values", path, e->keys[i]);
            return FALSE;
        }
    }
    return TRUE;
}


/* [experiment] seed: decimal digits only, 0 to 2^64 - 1 (the range of a
 * topology's seed), and room for every replication's seed after it
 * (GKeyFile's own reader takes "-1" and wraps it). */
static gboolean
experiment_seed(SimExperiment *e, GKeyFile *kf, const char *path,
                GError **error)
{
    g_autofree char *text = g_key_file_get_value(kf, "experiment", "seed",
                                                 NULL);
    e->seed = 1;
    if (!text)
        return TRUE;
    g_strstrip(text);
    gboolean digits = text[0] != '\0';
    for (const char *c = text; *c; c++)
        digits &= g_ascii_isdigit(*c);
    if (!digits || !g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT64,
                                               &e->seed, NULL) ||
        e->seed > G_MAXUINT64 - (guint64)(e->reps - 1)) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "%s: [experiment] seed: expected an integer from 0 to "
                    "%" G_GUINT64_FORMAT " less the replications, found "
                    "'%s'",
                    path, G_MAXUINT64, text);
        return FALSE;
    }
    return TRUE;
}

/* [experiment] strategies: each a registered strategy. */
static gboolean
experiment_strategies(SimExperiment *e, const char *path, GError **error)
{
    for (guint i = 0; e->strategies && e->strategies[i]; i++) {
        g_autoptr(GError) bad = NULL;
        if (!sim_strategy_by_name(e->strategies[i], &bad)) {
            g_set_error(error, G_KEY_FILE_ERROR,
                        G_KEY_FILE_ERROR_INVALID_VALUE,
                        "%s: [experiment] strategies: %s", path,
                        bad->message);
            return FALSE;
        }
    }
    return TRUE;
}

/**
 * sim_experiment_load_data:
 * @path: the file's name (messages, the results folder name, and the
 *   folder relative topology paths resolve against)
 * @data: its text
 * @len: its length
 * @read_topology: whether to read the topology file it names
 * @error: return location for a G_KEY_FILE_ERROR or a file error, which
 *   names the file, group and key
 *
 * Parses an experiment: only the groups [experiment], [vary] and
 * [plot NAME] (the plot driver checks the last), known [experiment] keys,
 * registered strategies, reps at least 1, a seed with room for every
 * replication, at least one value per varied key.
 *
 * Returns: (transfer full) (nullable): the experiment, or %NULL with
 *   @error set.
 */
SimExperiment *
sim_experiment_load_data(const char *path, const char *data, gsize len,
                         gboolean read_topology, GError **error)
{
    g_autoptr(SimExperiment) e = g_new0(SimExperiment, 1);
    e->kf = g_key_file_new();
    if (!g_key_file_load_from_data(e->kf, data, len, G_KEY_FILE_NONE,
                                   error)) {
        g_prefix_error(error, "%s: ", path);
        return NULL;
    }
    if (!experiment_check_keys(e->kf, path, error))
        return NULL;
    /* GKeyFile returns a string even when it also reports that the value
     * is malformed (an unknown escape): the error decides. */
    GError *bad = NULL;
    g_autofree char *topo = g_key_file_get_string(e->kf, "experiment",
                                                  "topology", &bad);
    if (bad) {
        g_propagate_prefixed_error(error, bad, "%s: [experiment] topology: ",
                                   path);
        return NULL;
    }
    g_autofree char *base = g_path_get_dirname(path);
    e->topology = g_path_is_absolute(topo)
                      ? g_strdup(topo)
                      : g_build_filename(base, topo, NULL);
    if (read_topology &&
        !sim_input_read_file(e->topology, SIM_INPUT_MAX_TOPOLOGY,
                             &e->topo_text, &e->topo_len, error)) {
        g_prefix_error(error, "%s: [experiment] topology: ", path);
        return NULL;
    }
    g_autofree char *file = g_path_get_basename(path);
    char *dot = strrchr(file, '.');
    e->name = dot ? g_strndup(file, dot - file) : g_strdup(file);
    g_autofree char *st = g_key_file_get_string(e->kf, "experiment",
                                                "strategies", &bad);
    if (g_error_matches(bad, G_KEY_FILE_ERROR,
                        G_KEY_FILE_ERROR_KEY_NOT_FOUND))
        g_clear_error(&bad);
    if (bad) {
        g_propagate_prefixed_error(error, bad,
                                   "%s: [experiment] strategies: ", path);
        return NULL;
    }
    e->strategies = st ? split_list(st, ",;") : NULL;
    if (!experiment_strategies(e, path, error))
        return NULL;
    e->reps = 3;
    if (g_key_file_has_key(e->kf, "experiment", "reps", NULL)) {
        e->reps = g_key_file_get_integer(e->kf, "experiment", "reps", &bad);
        if (bad) {
            g_propagate_prefixed_error(error, bad, "%s: [experiment] reps: ",
                                       path);
            return NULL;
        }
    }
    if (e->reps < 1) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "%s: [experiment] reps must be at least 1", path);
        return NULL;
    }
    if (!experiment_seed(e, e->kf, path, error))
        return NULL;
    g_autofree char *sets = g_key_file_get_string(e->kf, "experiment", "set",
                                                  &bad);
    if (g_error_matches(bad, G_KEY_FILE_ERROR,
                        G_KEY_FILE_ERROR_KEY_NOT_FOUND))
        g_clear_error(&bad);
    if (bad) {
        g_propagate_prefixed_error(error, bad, "%s: [experiment] set: ", path);
        return NULL;
    }
    e->sets = split_list(sets, ";");
    if (!experiment_vary(e, e->kf, path, error))
        return NULL;
    return g_steal_pointer(&e);
}

/**
 * sim_experiment_load:
 * @path: an experiment file (a regular file under the size cap)
 * @error: return location for an error naming file, group and key
 *
 * Reads and parses @path and the topology it names.
 *
 * Returns: (transfer full) (nullable): the experiment.
 */
SimExperiment *
sim_experiment_load(const char *path, GError **error)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    if (!sim_input_read_file(path, SIM_INPUT_MAX_EXPERIMENT, &data, &len,
                             error)) {
        g_prefix_error(error, "experiment ");
        return NULL;
    }
    return sim_experiment_load_data(path, data, len, TRUE, error);
}

/**
 * sim_experiment_free:
 * @e: (nullable): an experiment
 */
void
sim_experiment_free(SimExperiment *e)
{
    if (!e)
        return;
    g_free(e->name);
    g_free(e->topology);
    g_free(e->topo_text);
    g_strfreev(e->strategies);
    g_strfreev(e->sets);
    g_strfreev(e->keys);
    if (e->values)
        g_ptr_array_unref(e->values);
    if (e->kf)
        g_key_file_unref(e->kf);
    g_free(e);
}
