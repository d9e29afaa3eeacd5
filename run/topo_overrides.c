/* SPDX-License-Identifier: MIT */
/*
 * What the topology loader changes in the key file before it parses it:
 * the --set overrides (GROUP.KEY=VALUE, the group name possibly a glob),
 * the --unset ones (SIM_TOPO_UNSET "GROUP.KEY": the key is removed, so it
 * takes its default) and the keys of [defaults node|traffic|link] groups,
 * given to every group of the kind that does not set them.  Each change
 * is recorded so that a problem with the value names where it came from
 * (--set, or the [defaults] line).  A file name given in --set is
 * relative to the working directory (a built-in profile name is not a
 * file).
 */
#define G_LOG_DOMAIN "sim-topo"

#include "run/topo.h"

#include <string.h>

#include "run/profile.h"
#include "run/topo_priv.h"

/* ---- Overrides (--set) ------------------------------------------------ */

/* The group's name words with blanks written as dots (override matching). */
static char *
topo_dotted(char **words)
{
    return g_strjoinv(".", words);
}

/* The groups of kind @k (their names as written) and, in the same order,
 * their names as --set writes them (words joined by dots; a link also in
 * the other order of its sites). */
static void
topo_override_candidates(TopoParser *p, const TopoKind *k, GPtrArray *groups,
                         GPtrArray *dotted)
{
    g_auto(GStrv) all = g_key_file_get_groups(p->kf, NULL);
    for (guint i = 0; all[i]; i++) {
        g_auto(GStrv) w = topo_words(all[i]);
        if (!w[0] || !g_str_equal(w[0], k->kind))
            continue;
        g_ptr_array_add(groups, g_strdup(all[i]));
        g_ptr_array_add(dotted, topo_dotted(w + 1));
        if (k->n_words == 2 && w[1] && w[2] && !w[3]) {
            g_ptr_array_add(groups, g_strdup(all[i]));
            g_ptr_array_add(dotted, g_strdup_printf("%s.%s", w[2], w[1]));
        }
    }
}

/* "[kind a b]" for the group an override's middle part names, as far as
 * the dots allow telling its words apart. */
static char *
topo_override_display(const TopoKind *k, const char *middle)
{
    const char *dot = strchr(middle, '.');
    if (k->n_words == 2 && dot && !strchr(dot + 1, '.'))
        return g_strdup_printf("[%s %.*s %s]", k->kind, (int)(dot - middle),
                               middle, dot + 1);
    return g_strdup_printf("[%s %s]", k->kind, middle);
}

/* Finds the one group an override's middle part names (transfer full), or
 * records why there is none. */
static char *
topo_override_group(TopoParser *p, const char *opt, const TopoKind *k,
                    const char *ov, const char *middle)
{
    g_autoptr(GPtrArray) groups = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) dotted = g_ptr_array_new_with_free_func(g_free);
    topo_override_candidates(p, k, groups, dotted);
    g_autoptr(GPtrArray) hits = g_ptr_array_new();
    for (guint i = 0; i < groups->len; i++)
        if (g_str_equal(g_ptr_array_index(dotted, i), middle) &&
            !g_ptr_array_find_with_equal_func(
                hits, g_ptr_array_index(groups, i), g_str_equal, NULL))
            g_ptr_array_add(hits, g_ptr_array_index(groups, i));
    if (hits->len == 1)
        return g_strdup(g_ptr_array_index(hits, 0));
    g_autofree char *q = topo_quote(ov);
    g_autofree char *want = topo_override_display(k, middle);
    GString *list = g_string_new(NULL);
    GPtrArray *shown = hits->len ? hits : groups;
    for (guint i = 0; i < shown->len && i < 8; i++)
        if (!i || !g_str_equal(g_ptr_array_index(shown, i),
                               g_ptr_array_index(shown, i - 1)))
            g_string_append_printf(list, "%s[%s]", list->len ? ", " : "",
                                   (char *)g_ptr_array_index(shown, i));
    if (shown->len > 8)
        g_string_append(list, ", ...");
    g_autofree char *all = g_string_free(list, FALSE);
    if (hits->len > 1) {
        topo_fail(p, SIM_TOPO_ERROR_OVERRIDE, NULL, NULL,
                  "%s %s: expected one group named %s, found several "
                  "(%s): rename one",
                  opt, q, want, all);
        return NULL;
    }
    g_ptr_array_add(dotted, NULL);
    const char *near = topo_nearest(middle, (const char *const *)dotted->pdata,
                                    dotted->len - 1);
    g_autofree char *hint = NULL;
    for (guint i = 0; near && i < groups->len; i++)
        if (g_ptr_array_index(dotted, i) == near)
            hint = g_strdup_printf(" (did you mean [%s]?)",
                                   (char *)g_ptr_array_index(groups, i));
    topo_fail(p, SIM_TOPO_ERROR_OVERRIDE, NULL, NULL,
              "%s %s: expected the name of a %s group of the file (%s), "
              "found no %s group%s",
              opt, q, topo_kinds_form(k), all[0] ? all : "there are none",
              want, hint ? hint : "");
    return NULL;
}

/* The groups of kind @k whose --set names match the glob @middle ('*' any
 * run of characters, dots included; '?' one character), each once, in
 * file order; records why when none does. */
static GPtrArray *
topo_override_glob(TopoParser *p, const char *opt, const TopoKind *k,
                   const char *ov, const char *middle)
{
    g_autoptr(GPtrArray) groups = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) dotted = g_ptr_array_new_with_free_func(g_free);
    topo_override_candidates(p, k, groups, dotted);
    GPtrArray *hits = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPatternSpec) ps = g_pattern_spec_new(middle);
    for (guint i = 0; i < groups->len; i++) {
        const char *g = g_ptr_array_index(groups, i);
        if (g_pattern_spec_match_string(ps, g_ptr_array_index(dotted, i)) &&
            !g_ptr_array_find_with_equal_func(hits, g, g_str_equal, NULL))
            g_ptr_array_add(hits, g_strdup(g));
    }
    if (hits->len)
        return hits;
    g_ptr_array_unref(hits);
    g_autofree char *q = topo_quote(ov);
    topo_fail(p, SIM_TOPO_ERROR_OVERRIDE, NULL, NULL,
              "%s %s: expected a pattern that matches %s groups of the "
              "file (%u of them), found none it matches",
              opt, q, topo_kinds_form(k), groups->len);
    return NULL;
}

/* The target of @lhs ("GROUP.KEY" of option @opt, "--set" or "--unset";
 * @ov is the option's text for messages): the key (*key) and the groups
 * it names, as written in the key file (a singleton's or a [defaults
 * KIND] group's name even when the file has none), each once, in file
 * order; NULL with the problem recorded when it names none.  The group
 * name may be a glob ('*', '?'), which must match at least one group. */
static GPtrArray *
topo_override_target(TopoParser *p, const char *opt, const char *ov,
                     const char *lhs, char **key_out)
{
    g_autofree char *q = topo_quote(ov);
    g_autofree char *copy = g_strstrip(g_strdup(lhs));
    g_auto(GStrv) parts = g_strsplit(copy, ".", -1);
    guint n = g_strv_length(parts);
    for (guint i = 0; i < n; i++)
        if (!parts[i][0]) {
            topo_fail(p, SIM_TOPO_ERROR_OVERRIDE, NULL, NULL,
                      "%s %s: expected GROUP.KEY with no empty part "
                      "between dots, found part %u empty",
                      opt, q, i + 1);
            return NULL;
        }
    gboolean defaults = n >= 1 && g_str_equal(parts[0], "defaults");
    if (defaults && (n != 3 || !g_strv_contains(topo_defaults_kinds,
                                                parts[1]))) {
        topo_fail(p, SIM_TOPO_ERROR_OVERRIDE, NULL, NULL,
                  "%s %s: expected defaults.KIND.KEY with KIND node, "
                  "traffic or link",
                  opt, q);
        return NULL;
    }
    const TopoKind *k = defaults ? topo_kind_find(parts[1])
                        : n >= 2 ? topo_kind_find(parts[0])
                                 : NULL;
    if (!k) {
        g_autofree char *hint =
            topo_hint(parts[0] ? parts[0] : "", topo_kind_names, G_MAXSIZE);
        g_autofree char *kinds = g_strjoinv(", ", (char **)topo_kind_names);
        g_autofree char *first = topo_quote(parts[0] ? parts[0] : "");
        topo_fail(p, SIM_TOPO_ERROR_OVERRIDE, NULL, NULL,
                  "%s %s: expected GROUP.KEY%s with a group kind first (%s, "
                  "or defaults.KIND), found %s%s%s",
                  opt, q, g_str_equal(opt, "--set") ? "=VALUE" : "", kinds,
                  n >= 2 ? "the unknown kind " : "no '.'",
                  n >= 2 ? first : "", hint);
        return NULL;
    }
    const char *key = parts[n - 1];
    if (!topo_key_find(k, key)) {
        g_autofree const char **names = topo_key_names(k);
        g_autofree char *hint = topo_hint(key, names, G_MAXSIZE);
        g_autofree char *keys = g_strjoinv(", ", (char **)names);
        g_autofree char *kq = topo_quote(key);
        topo_fail(p, SIM_TOPO_ERROR_OVERRIDE, NULL, NULL,
                  "%s %s: expected a key of %s groups (%s), found %s%s", opt,
                  q, topo_kinds_form(k), keys, kq, hint);
        return NULL;
    }
    *key_out = g_strdup(key);
    GPtrArray *groups = g_ptr_array_new_with_free_func(g_free);
    if (defaults) {
        g_ptr_array_add(groups, g_strdup_printf("defaults %s", k->kind));
        return groups;
    }
    g_free(parts[n - 1]);
    parts[n - 1] = NULL;
    g_autofree char *middle = g_strjoinv(".", parts + 1);
    if ((k->n_words == 0) != (middle[0] == '\0')) {
        topo_fail(p, SIM_TOPO_ERROR_OVERRIDE, NULL, NULL,
                  "%s %s: expected %s, found %s", opt, q,
                  k->n_words ? "a group name between kind and key "
                               "(groups of this kind need a name)"
                             : "the key right after the kind (the "
                               "group takes no name)",
                  k->n_words ? "none" : "a name");
        g_clear_pointer(key_out, g_free);
        g_ptr_array_unref(groups);
        return NULL;
    }
    if (k->n_words && strpbrk(middle, "*?")) {
        g_ptr_array_unref(groups);
        groups = topo_override_glob(p, opt, k, ov, middle);
    } else {
        char *group = k->n_words ? topo_override_group(p, opt, k, ov, middle)
                                 : g_strdup(k->kind);
        if (group)
            g_ptr_array_add(groups, group);
        else
            g_clear_pointer(&groups, g_ptr_array_unref);
    }
    if (!groups)
        g_clear_pointer(key_out, g_free);
    return groups;
}

/* A value of a file key given in an override: relative to the working
 * directory (the topology's own values are relative to its folder). */
static char *
topo_override_path(const char *kind, const char *key, const char *value)
{
    g_autofree char *name = g_strdup_printf("%s.x.%s", kind, key);
    if (!value[0] || g_path_is_absolute(value) ||
        !sim_topo_key_is_file(name) || sim_cpu_profile_is_builtin(value))
        return g_strdup(value);
    return g_canonicalize_filename(value, NULL);
}

/* Applies one GROUP.KEY=VALUE override to the key file: the key is set in
 * every group it names (topo_override_target). */
static gboolean
topo_apply_set(TopoParser *p, const char *ov)
{
    const char *eq = strchr(ov, '=');
    g_autofree char *q = topo_quote(ov);
    if (!eq)
        return topo_fail(p, SIM_TOPO_ERROR_OVERRIDE, NULL, NULL,
                         "--set %s: expected GROUP.KEY=VALUE, found no '='",
                         q);
    g_autofree char *lhs = g_strndup(ov, eq - ov);
    g_autofree char *key = NULL;
    g_autoptr(GPtrArray) hits = topo_override_target(p, "--set", ov, lhs,
                                                     &key);
    if (!hits)
        return FALSE;
    g_autofree char *value = g_strstrip(g_strdup(eq + 1));
    for (guint i = 0; i < hits->len; i++) {
        const char *g = g_ptr_array_index(hits, i);
        g_auto(GStrv) w = topo_words(g);
        g_autofree char *v = topo_override_path(
            g_str_equal(w[0], "defaults") && w[1] ? w[1] : w[0], key, value);
        g_key_file_set_value(p->kf, g, key, v);
        g_hash_table_insert(p->overridden, g_strdup_printf("%s\n%s", g, key),
                            g_strdup(ov));
    }
    return TRUE;
}

/* Applies one --unset GROUP.KEY: the key is removed from every group it
 * names, so it takes its default; a group that does not set it is a
 * warning (nothing to unset), a group that does not exist an error. */
static gboolean
topo_apply_unset(TopoParser *p, const char *what)
{
    g_autofree char *key = NULL;
    g_autoptr(GPtrArray) hits = topo_override_target(p, "--unset", what,
                                                     what, &key);
    if (!hits)
        return FALSE;
    for (guint i = 0; i < hits->len; i++) {
        const char *g = g_ptr_array_index(hits, i);
        g_autofree char *k = g_strdup_printf("%s\n%s", g, key);
        g_hash_table_remove(p->overridden, k);
        if (!g_key_file_remove_key(p->kf, g, key, NULL))
            g_ptr_array_add(p->warnings,
                            g_strdup_printf("--unset %s: [%s] does not set "
                                            "%s: nothing to unset",
                                            what, g, key));
    }
    return TRUE;
}

gboolean
topo_apply_override(TopoParser *p, const char *ov)
{
    if (g_str_has_prefix(ov, SIM_TOPO_UNSET))
        return topo_apply_unset(p, ov + strlen(SIM_TOPO_UNSET));
    return topo_apply_set(p, ov);
}

/* Gives the keys of every [defaults KIND] group to the groups of KIND
 * that do not set them (after the overrides: --set defaults.node.cores
 * reaches every node without cores of its own, --set node.a.cores only
 * a).  A problem with an inherited value names the [defaults] group. */
void
topo_apply_defaults(TopoParser *p)
{
    g_auto(GStrv) groups = g_key_file_get_groups(p->kf, NULL);
    for (guint i = 0; groups[i]; i++) {
        g_auto(GStrv) w = topo_words(groups[i]);
        const TopoKind *k = NULL;
        if (!w[0] || !g_str_equal(w[0], "defaults") ||
            (topo_check_defaults_group(p, groups[i], &k), !k))
            continue;
        g_auto(GStrv) keys = g_key_file_get_keys(p->kf, groups[i], NULL,
                                                 NULL);
        for (guint j = 0; groups[j]; j++) {
            g_auto(GStrv) wj = topo_words(groups[j]);
            if (!wj[0] || !g_str_equal(wj[0], k->kind))
                continue;
            for (guint n = 0; keys && keys[n]; n++) {
                if (!topo_key_find(k, keys[n]) ||
                    g_key_file_has_key(p->kf, groups[j], keys[n], NULL))
                    continue;
                g_autofree char *v = g_key_file_get_value(p->kf, groups[i],
                                                          keys[n], NULL);
                g_key_file_set_value(p->kf, groups[j], keys[n], v);
                g_autofree char *from = g_strdup_printf("%s\n%s", groups[i],
                                                        keys[n]);
                char *to = g_strdup_printf("%s\n%s", groups[j], keys[n]);
                const char *set = g_hash_table_lookup(p->overridden, from);
                if (set)
                    g_hash_table_insert(p->overridden, g_strdup(to),
                                        g_strdup(set));
                g_hash_table_insert(p->inherited, to, g_strdup(groups[i]));
            }
        }
    }
}
