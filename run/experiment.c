/* SPDX-License-Identifier: MIT */
/*
 * The experiment file parser (run/experiment.h): the [experiment], [vary]
 * and [zip NAME] groups checked and parsed, [plot NAME] groups kept for
 * the plot driver (which checks their keys).  Like the topology loader it
 * reads the raw text too, for what GKeyFile hides (a group or key written
 * twice) and for line numbers, and it goes on past a problem so that one
 * error lists every problem, each as "FILE:LINE: [GROUP] KEY: message".
 * Nothing here runs anything.
 */
#include "run/experiment.h"

#include <string.h>

#include "models/strategy/strategy.h"
#include "run/input.h"
#include "run/profile.h"
#include "run/topo.h"

/* The keys of [experiment]. */
static const char *const exp_keys[] = { "topology", "strategies", "reps",
                                        "seed", "set", "unset", NULL };
/* The group kinds of an experiment, for hints. */
static const char *const exp_groups[] = { "experiment", "vary", "zip",
                                          "plot", NULL };

/* One problem: its line (0: none) and text. */
typedef struct {
    guint line;
    char *text;
} ExpProblem;

static void
exp_problem_free(gpointer data)
{
    g_free(((ExpProblem *)data)->text);
    g_free(data);
}

/* File order; problems without a line first, else in the order found. */
static gint
exp_problem_cmp(gconstpointer a, gconstpointer b)
{
    const ExpProblem *x = *(ExpProblem *const *)a;
    const ExpProblem *y = *(ExpProblem *const *)b;
    return (x->line > y->line) - (x->line < y->line);
}

/* One load: the text for line numbers and the problems found. */
typedef struct {
    const char *path;
    const char *text;
    gsize len;
    /* Of ExpProblem. */
    GPtrArray *problems;
} ExpParser;

/**
 * sim_experiment_line:
 * @text: a key file's text
 * @len: its length
 * @group: a group name
 * @key: (nullable): a key of it
 *
 * Returns: the line (1-based) of @group's header, or of @key inside the
 *   group's first occurrence, or 0 when not found.
 */
guint
sim_experiment_line(const char *text, gsize len, const char *group,
                    const char *key)
{
    const char *s = text, *end = text + len;
    guint line = 0;
    gboolean inside = FALSE, seen = FALSE;
    while (s && s < end) {
        const char *nl = memchr(s, '\n', end - s);
        const char *e = nl ? nl : end;
        g_autofree char *l = g_strstrip(g_strndup(s, e - s));
        line++;
        s = e + 1;
        if (l[0] == '[') {
            char *close = strrchr(l, ']');
            if (close)
                *close = '\0';
            if (inside)
                return 0;
            inside = close && !seen && g_str_equal(l + 1, group);
            seen |= inside;
            if (inside && !key)
                return line;
            continue;
        }
        char *eq = strchr(l, '=');
        if (inside && key && l[0] != '#' && eq) {
            *eq = '\0';
            if (g_str_equal(g_strstrip(l), key))
                return line;
        }
    }
    return 0;
}

static void exp_fail_at(ExpParser *p, guint line, const char *group,
                        const char *key, const char *fmt, ...)
    G_GNUC_PRINTF(5, 6);

/* Records "FILE:LINE: [GROUP] KEY: message" (@line 0: the line of the
 * key, else of the group, when found). */
static void
exp_fail_at(ExpParser *p, guint line, const char *group, const char *key,
            const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (group && key && !line)
        line = sim_experiment_line(p->text, p->len, group, key);
    if (group && !line)
        line = sim_experiment_line(p->text, p->len, group, NULL);
    g_autofree char *where = line ? g_strdup_printf("%s:%u", p->path, line)
                                  : g_strdup(p->path);
    ExpProblem *pb = g_new(ExpProblem, 1);
    pb->line = line;
    pb->text = group ? g_strdup_printf("%s: [%s]%s%s: %s", where, group,
                                       key ? " " : "", key ? key : "", msg)
                     : g_strdup_printf("%s: %s", where, msg);
    g_ptr_array_add(p->problems, pb);
}

#define exp_fail(p, group, key, ...) \
    exp_fail_at((p), 0, (group), (key), __VA_ARGS__)

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

/* The value of @key in @group as a string (escapes decoded), or NULL with
 * a problem recorded when it is malformed; *present says whether the key
 * is there. */
static char *
exp_string(ExpParser *p, GKeyFile *kf, const char *group, const char *key,
           gboolean *present)
{
    *present = g_key_file_has_key(kf, group, key, NULL);
    if (!*present)
        return NULL;
    g_autoptr(GError) bad = NULL;
    char *v = g_key_file_get_string(kf, group, key, &bad);
    if (bad) {
        exp_fail(p, group, key, "%s", bad->message);
        g_free(v);
        return NULL;
    }
    return g_strstrip(v);
}

/* A group written twice (merged by GKeyFile) or a key written twice in
 * one group (the last would win): sim_input_ini_scan()'s callback. */
static gboolean
exp_duplicate(const char *group, const char *key, guint line, guint first,
              gpointer user)
{
    ExpParser *p = user;
    if (first && !key)
        exp_fail_at(p, line, group, NULL,
                    "expected each group once, found it at lines %u and %u",
                    first, line);
    else if (first)
        exp_fail_at(p, line, group, key,
                    "expected each key once per group, found it at lines "
                    "%u and %u (the last would win)",
                    first, line);
    return TRUE;
}

/* Every group is [experiment], [vary], [zip NAME] or [plot NAME]. */
static void
exp_groups_known(ExpParser *p, GKeyFile *kf)
{
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    for (guint i = 0; groups[i]; i++) {
        g_auto(GStrv) w = g_strsplit_set(groups[i], " \t", 2);
        const char *kind = w[0] ? w[0] : "";
        const char *name = w[0] && w[1] ? g_strstrip(w[1]) : NULL;
        gboolean named = g_str_equal(kind, "zip") ||
                         g_str_equal(kind, "plot");
        gboolean single = g_str_equal(kind, "experiment") ||
                          g_str_equal(kind, "vary");
        if (single && !name)
            continue;
        if (named && name && *name && !strpbrk(name, " \t"))
            continue;
        if (named || single) {
            exp_fail(p, groups[i], NULL, "expected [%s%s]%s", kind,
                     named ? " NAME" : "",
                     named ? " with one word as NAME" : " with no name");
            continue;
        }
        g_autofree char *hint = sim_topo_hint(kind, exp_groups);
        exp_fail(p, groups[i], NULL,
                 "unknown group%s; expected [experiment], [vary], "
                 "[zip NAME] or [plot NAME]",
                 hint);
    }
    if (!g_key_file_has_group(kf, "experiment"))
        exp_fail(p, NULL, NULL,
                 "expected an [experiment] group (with at least topology = "
                 "FILE), found none");
}

/* [experiment] keys: each known. */
static void
exp_keys_known(ExpParser *p, GKeyFile *kf)
{
    g_auto(GStrv) keys = g_key_file_get_keys(kf, "experiment", NULL, NULL);
    for (guint i = 0; keys && keys[i]; i++) {
        if (g_strv_contains(exp_keys, keys[i]))
            continue;
        g_autofree char *hint = sim_topo_hint(keys[i], exp_keys);
        exp_fail(p, "experiment", keys[i],
                 "unknown key%s; expected one of topology, strategies, "
                 "reps, seed, set, unset",
                 hint);
    }
}

/* [experiment] topology: required; relative to the experiment's folder. */
static void
exp_topology(ExpParser *p, SimExperiment *e, gboolean read_topology)
{
    gboolean present;
    g_autofree char *topo = exp_string(p, e->kf, "experiment", "topology",
                                       &present);
    if (!present && g_key_file_has_group(e->kf, "experiment"))
        exp_fail(p, "experiment", "topology",
                 "expected the topology file (relative to the experiment's "
                 "folder), found no topology key");
    if (!topo)
        return;
    if (!*topo) {
        exp_fail(p, "experiment", "topology",
                 "expected the topology file, found an empty value");
        return;
    }
    g_autofree char *base = g_path_get_dirname(p->path);
    e->topology = g_path_is_absolute(topo)
                      ? g_strdup(topo)
                      : g_build_filename(base, topo, NULL);
    g_autoptr(GError) io = NULL;
    if (read_topology &&
        !sim_input_read_file(e->topology, SIM_INPUT_MAX_TOPOLOGY,
                             &e->topo_text, &e->topo_len, &io))
        exp_fail(p, "experiment", "topology", "%s", io->message);
}

/* [experiment] strategies: one or more, each registered, each once. */
static void
exp_strategies(ExpParser *p, SimExperiment *e)
{
    gboolean present;
    g_autofree char *st = exp_string(p, e->kf, "experiment", "strategies",
                                     &present);
    if (!st)
        return;
    g_autofree const char **names = sim_strategy_names();
    g_autofree char *all = g_strjoinv(", ", (char **)names);
    e->strategies = split_list(st, ",;");
    if (!e->strategies[0]) {
        exp_fail(p, "experiment", "strategies",
                 "expected one or more strategies (%s), found none; leave "
                 "the key out to run every strategy that applies",
                 all);
        g_clear_pointer(&e->strategies, g_strfreev);
        return;
    }
    for (guint i = 0; e->strategies[i]; i++) {
        const char *s = e->strategies[i];
        if (!sim_strategy_by_name(s, NULL)) {
            g_autofree char *hint = sim_topo_hint(s, names);
            exp_fail(p, "experiment", "strategies",
                     "unknown strategy \"%s\"%s; expected some of %s", s,
                     hint, all);
        }
        for (guint j = 0; j < i; j++)
            if (g_str_equal(e->strategies[j], s))
                exp_fail(p, "experiment", "strategies",
                         "expected each strategy once, found \"%s\" twice "
                         "(its runs would count twice)",
                         s);
    }
}

/* TRUE if @text is decimal digits only, read into *out within [min, max]. */
static gboolean
exp_digits(const char *text, guint64 min, guint64 max, guint64 *out)
{
    gboolean digits = text && text[0] != '\0';
    for (const char *c = text; digits && *c; c++)
        digits = g_ascii_isdigit(*c);
    return digits &&
           g_ascii_string_to_unsigned(text, 10, min, max, out, NULL);
}

/* [experiment] reps (default 3) and seed (default 1), with room for every
 * replication's seed after the first. */
static void
exp_reps_seed(ExpParser *p, SimExperiment *e)
{
    gboolean present;
    g_autofree char *reps = exp_string(p, e->kf, "experiment", "reps",
                                       &present);
    guint64 v = 3;
    if (reps && !exp_digits(reps, 1, 1000000, &v))
        exp_fail(p, "experiment", "reps",
                 "expected an integer from 1 to 1000000 (replications per "
                 "point and strategy), found \"%s\"",
                 reps);
    e->reps = (gint)v;
    g_autofree char *seed = exp_string(p, e->kf, "experiment", "seed",
                                       &present);
    e->seed = 1;
    if (seed && (!exp_digits(seed, 0, G_MAXUINT64, &e->seed) ||
                 e->seed > G_MAXUINT64 - (guint64)(e->reps - 1)))
        exp_fail(p, "experiment", "seed",
                 "expected an integer from 0 to %" G_GUINT64_FORMAT
                 " less the replications, found \"%s\"",
                 G_MAXUINT64, seed);
}

/* An override's value rewritten for the working directory: a relative
 * file name in a file key is relative to the experiment's folder. */
static char *
exp_resolve(const char *path, const char *key, const char *value)
{
    g_autofree char *base = g_path_get_dirname(path);
    if (!sim_topo_key_is_file(key) || !value[0] ||
        g_path_is_absolute(value) || g_str_equal(base, ".") ||
        sim_cpu_profile_is_builtin(value))
        return g_strdup(value);
    return g_build_filename(base, value, NULL);
}

/* [experiment] set (GROUP.KEY=VALUE; ...) and unset (GROUP.KEY; ...). */
static void
exp_sets(ExpParser *p, SimExperiment *e)
{
    gboolean present;
    g_autofree char *sets = exp_string(p, e->kf, "experiment", "set",
                                       &present);
    g_autofree char *unsets = exp_string(p, e->kf, "experiment", "unset",
                                         &present);
    g_auto(GStrv) set = split_list(sets, ";");
    g_auto(GStrv) unset = split_list(unsets, ";,");
    GPtrArray *all = g_ptr_array_new();
    for (guint i = 0; set[i]; i++) {
        const char *eq = strchr(set[i], '=');
        if (!eq) {
            exp_fail(p, "experiment", "set",
                     "expected GROUP.KEY=VALUE items separated by ';', "
                     "found \"%s\" without '='",
                     set[i]);
            continue;
        }
        g_autofree char *key = g_strstrip(g_strndup(set[i], eq - set[i]));
        g_autofree char *value = g_strstrip(g_strdup(eq + 1));
        g_autofree char *v = exp_resolve(p->path, key, value);
        g_ptr_array_add(all, g_strdup_printf("%s=%s", key, v));
    }
    for (guint i = 0; unset[i]; i++) {
        if (strchr(unset[i], '='))
            exp_fail(p, "experiment", "unset",
                     "expected GROUP.KEY items (no value), found \"%s\"",
                     unset[i]);
        else
            g_ptr_array_add(all, g_strconcat(SIM_TOPO_UNSET, unset[i], NULL));
    }
    g_ptr_array_add(all, NULL);
    e->sets = (char **)g_ptr_array_free(all, FALSE);
}

/* One varied key of @group: values listed, each once, and not the run's
 * strategy (which [experiment] strategies chooses). */
static void
exp_varied_key(ExpParser *p, SimExperiment *e, const char *group,
               const char *key, guint axis)
{
    gboolean present;
    g_autofree char *v = exp_string(p, e->kf, group, key, &present);
    char **vals = split_list(v, ",;");
    guint n = e->values->len;
    g_ptr_array_add(e->values, vals);
    e->keys = g_renew(char *, e->keys, n + 2);
    e->keys[n] = g_strdup(key);
    e->keys[n + 1] = NULL;
    e->axis = g_renew(guint, e->axis, n + 1);
    e->axis[n] = axis;
    if (g_str_equal(key, "simulation.strategy"))
        exp_fail(p, group, key,
                 "the strategy is not varied here: list the strategies in "
                 "[experiment] strategies (every point runs each of them)");
    if (!vals[0] && v)
        exp_fail(p, group, key, "expected one or more values, found none");
    for (guint i = 0; vals[i]; i++)
        for (guint j = 0; j < i; j++)
            if (g_str_equal(vals[i], vals[j])) {
                exp_fail(p, group, key,
                         "expected each value once, found \"%s\" twice "
                         "(its runs would count twice)",
                         vals[i]);
                i = g_strv_length(vals) - 1;
                break;
            }
    for (guint k = 0; k < n; k++)
        if (g_str_equal(e->keys[k], key))
            exp_fail(p, group, key,
                     "expected each key varied once, found it in another "
                     "[vary] or [zip] group too");
}

/* [vary]: one axis per key; [zip NAME]: one axis per group, its keys of
 * equal length. */
static void
exp_vary(ExpParser *p, SimExperiment *e)
{
    e->values = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    e->keys = g_new0(char *, 1);
    if (g_key_file_has_group(e->kf, "vary")) {
        g_auto(GStrv) keys = g_key_file_get_keys(e->kf, "vary", NULL, NULL);
        for (guint i = 0; keys && keys[i]; i++)
            exp_varied_key(p, e, "vary", keys[i], e->n_axes++);
    }
    g_auto(GStrv) groups = g_key_file_get_groups(e->kf, NULL);
    for (guint g = 0; groups[g]; g++) {
        if (!g_str_has_prefix(groups[g], "zip "))
            continue;
        g_auto(GStrv) keys = g_key_file_get_keys(e->kf, groups[g], NULL,
                                                 NULL);
        if (!keys || !keys[0]) {
            exp_fail(p, groups[g], NULL,
                     "expected keys whose values move together, found "
                     "none");
            continue;
        }
        guint first = e->values->len, axis = e->n_axes++;
        for (guint i = 0; keys[i]; i++)
            exp_varied_key(p, e, groups[g], keys[i], axis);
        guint len0 = g_strv_length(g_ptr_array_index(e->values, first));
        for (guint i = first + 1; i < e->values->len; i++) {
            guint len = g_strv_length(g_ptr_array_index(e->values, i));
            if (len != len0)
                exp_fail(p, groups[g], e->keys[i],
                         "expected as many values as %s (%u: the keys of a "
                         "[zip] group move together), found %u",
                         e->keys[first], len0, len);
        }
    }
}

/**
 * sim_experiment_load_data:
 * @path: the file's name (messages, the results folder name, and the
 *   folder relative topology paths resolve against)
 * @data: its text
 * @len: its length
 * @read_topology: whether to read the topology file it names
 * @error: return location for a G_KEY_FILE_ERROR or a file error, which
 *   names the file, line, group and key of every problem, one per line
 *
 * Parses an experiment: only the groups [experiment], [vary], [zip NAME]
 * and [plot NAME] (the plot driver checks the last), each once, with
 * each key once; known [experiment] keys; one or more registered
 * strategies, each once, when the key is there; reps from 1; a seed with
 * room for every replication; at least one value per varied key, each
 * once; the keys of a [zip NAME] group with as many values each; the
 * strategy never varied.
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
    g_autoptr(GPtrArray) problems =
        g_ptr_array_new_with_free_func(exp_problem_free);
    ExpParser p = { .path = path, .text = data, .len = len,
                    .problems = problems };
    e->path = g_strdup(path);
    sim_input_ini_scan(p.text, p.len, exp_duplicate, &p);
    exp_groups_known(&p, e->kf);
    exp_keys_known(&p, e->kf);
    exp_topology(&p, e, read_topology);
    g_autofree char *file = g_path_get_basename(path);
    char *dot = strrchr(file, '.');
    e->name = dot ? g_strndup(file, dot - file) : g_strdup(file);
    exp_strategies(&p, e);
    exp_reps_seed(&p, e);
    exp_sets(&p, e);
    exp_vary(&p, e);
    if (problems->len) {
        /* One per line, in file order (g_ptr_array_sort is stable). */
        g_ptr_array_sort(problems, exp_problem_cmp);
        GString *all = g_string_new(NULL);
        for (guint i = 0; i < problems->len; i++)
            g_string_append_printf(
                all, "%s%s", i ? "\n" : "",
                ((ExpProblem *)g_ptr_array_index(problems, i))->text);
        g_set_error_literal(error, G_KEY_FILE_ERROR,
                            G_KEY_FILE_ERROR_INVALID_VALUE, all->str);
        g_string_free(all, TRUE);
        return NULL;
    }
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
 * sim_experiment_n_points:
 * @e: an experiment
 *
 * Returns: the number of grid points: the product of the axes' lengths
 *   (saturating at G_MAXUINT64).
 */
guint64
sim_experiment_n_points(const SimExperiment *e)
{
    guint64 n = 1;
    for (guint a = 0; a < e->n_axes; a++) {
        for (guint k = 0; e->keys[k]; k++) {
            if (e->axis[k] != a)
                continue;
            guint64 v = g_strv_length(g_ptr_array_index(e->values, k));
            n = v && n > G_MAXUINT64 / v ? G_MAXUINT64 : n * v;
            break;
        }
    }
    return n;
}

/**
 * sim_experiment_point:
 * @e: an experiment
 * @idx: a point, below sim_experiment_n_points()
 * @labels: (out) (transfer full): the point's value of each key
 * @overrides: (out) (transfer full): the fixed overrides, then KEY=VALUE
 *   per varied key (file values resolved as in SimExperiment.sets)
 *
 * Point @idx in mixed radix over the axes, the last axis fastest.
 */
void
sim_experiment_point(const SimExperiment *e, guint64 idx, char ***labels,
                     char ***overrides)
{
    guint nk = g_strv_length(e->keys);
    g_autofree guint64 *at = g_new0(guint64, MAX(e->n_axes, 1));
    for (guint a = e->n_axes; a-- > 0;) {
        guint64 nv = 1;
        for (guint k = 0; k < nk; k++)
            if (e->axis[k] == a) {
                nv = MAX(g_strv_length(g_ptr_array_index(e->values, k)), 1);
                break;
            }
        at[a] = idx % nv;
        idx /= nv;
    }
    *labels = g_new0(char *, nk + 1);
    GPtrArray *ov = g_ptr_array_new();
    for (guint i = 0; e->sets && e->sets[i]; i++)
        g_ptr_array_add(ov, g_strdup(e->sets[i]));
    for (guint k = 0; k < nk; k++) {
        char **vals = g_ptr_array_index(e->values, k);
        guint nv = g_strv_length(vals);
        (*labels)[k] = g_strdup(nv ? vals[MIN(at[e->axis[k]], nv - 1)] : "");
        g_autofree char *v = exp_resolve(e->path ? e->path : ".",
                                         e->keys[k], (*labels)[k]);
        g_ptr_array_add(ov, g_strdup_printf("%s=%s", e->keys[k], v));
    }
    g_ptr_array_add(ov, NULL);
    *overrides = (char **)g_ptr_array_free(ov, FALSE);
}

/**
 * sim_experiment_varied_keys:
 * @kf: an experiment's key file
 *
 * Returns: (transfer full): the keys of [vary] and of every [zip NAME]
 *   group, in file order, NULL-terminated.
 */
char **
sim_experiment_varied_keys(GKeyFile *kf)
{
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    if (g_key_file_has_group(kf, "vary")) {
        g_auto(GStrv) keys = g_key_file_get_keys(kf, "vary", NULL, NULL);
        g_strv_builder_addv(b, (const char **)keys);
    }
    for (guint g = 0; groups[g]; g++) {
        if (!g_str_has_prefix(groups[g], "zip "))
            continue;
        g_auto(GStrv) keys = g_key_file_get_keys(kf, groups[g], NULL, NULL);
        if (keys)
            g_strv_builder_addv(b, (const char **)keys);
    }
    return g_strv_builder_end(b);
}

/**
 * sim_experiment_axis_keys:
 * @kf: an experiment's key file
 * @key: a varied key
 *
 * Returns: (transfer full): @key and, when it is in a [zip NAME] group,
 *   the other keys of that group (they move together), NULL-terminated.
 */
char **
sim_experiment_axis_keys(GKeyFile *kf, const char *key)
{
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    for (guint g = 0; groups[g]; g++)
        if (g_str_has_prefix(groups[g], "zip ") &&
            g_key_file_has_key(kf, groups[g], key, NULL))
            return g_key_file_get_keys(kf, groups[g], NULL, NULL);
    char **one = g_new0(char *, 2);
    one[0] = g_strdup(key);
    return one;
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
    g_free(e->path);
    g_free(e->topology);
    g_free(e->topo_text);
    g_strfreev(e->strategies);
    g_strfreev(e->sets);
    g_strfreev(e->keys);
    g_free(e->axis);
    if (e->values)
        g_ptr_array_unref(e->values);
    if (e->kf)
        g_key_file_unref(e->kf);
    g_free(e);
}
