/* SPDX-License-Identifier: MIT */
/*
 * The gnuplot runner of `sipreuse plot` (see gnuplot.h for the rules).
 * Why no value is ever spliced into gnuplot text: gnuplot's system(),
 * backquotes, `load "<cmd"`, `set output "|cmd"` and data files named
 * "<cmd" all run shell commands, and quoting a string for gnuplot is easy
 * to get wrong.  So the only text this file hands gnuplot is fixed: the
 * absolute path of a script (which starts with '/', never '<' or '|'),
 * and the scripts open only fixed relative names in their working folder.
 * gnuplot exits 0 when it cannot write an image (a full disk leaves a
 * truncated file), so an image counts only if it is complete: a PNG from
 * its signature to its IEND chunk, an SVG closed by </svg>.
 */
#define G_LOG_DOMAIN "sim-gnuplot"

#include "cli/gnuplot.h"

#include <errno.h>
#include <math.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "models/strategy/strategy.h"
#include "run/input.h"
#include "run/out.h"
#include "run/topo.h"

G_DEFINE_QUARK(sim-gnuplot-error-quark, sim_gnuplot_error)

/* The working folder's prefix inside plots/. */
#define WORK_PREFIX ".gnuplot-"

struct SimGnuplot {
    /* Absolute path of the plots/ scripts folder. */
    char *scripts;
    const char *png_term;
    char *plots;
    /* The private working folder. */
    char *work;
    /* One line per image that could not be drawn. */
    GString *failures;
};

/* Removes the files directly inside @dir, then @dir. */
static void
remove_flat_dir(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(dir, name, NULL);
        g_unlink(p);
    }
    g_rmdir(dir);
}

/* Working folders left by a plot that was killed. */
static void
remove_stale_work(const char *plots)
{
    g_autoptr(GDir) d = g_dir_open(plots, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        if (!g_str_has_prefix(name, WORK_PREFIX))
            continue;
        g_autofree char *p = g_build_filename(plots, name, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR) &&
            !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
            remove_flat_dir(p);
    }
}

static char *
scripts_dir(void)
{
    const char *env = g_getenv("SIPREUSE_PLOTS");
    if (env && *env)
        return g_canonicalize_filename(env, NULL);
    /* Beside the program only: never the working folder, which may be a
     * results folder someone else filled (its plots/ is ours to write). */
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    if (!exe)
        return NULL;
    g_autofree char *bin = g_path_get_dirname(exe);
    char *cands[] = {
        g_build_filename(bin, "plots", NULL),
        g_build_filename(bin, "..", "plots", NULL),
        g_build_filename(bin, "..", "share", "sipreuse", "plots", NULL),
    };
    char *found = NULL;
    for (guint i = 0; i < G_N_ELEMENTS(cands); i++) {
        g_autofree char *probe = g_build_filename(cands[i], "sweep.gp", NULL);
        if (!found && g_file_test(probe, G_FILE_TEST_IS_REGULAR))
            found = g_canonicalize_filename(cands[i], NULL);
        g_free(cands[i]);
    }
    return found;
}

static const char *
png_terminal(void)
{
    const char *argv[] = { "gnuplot", "-e", "set terminal pngcairo", NULL };
    gint status = 0;
    if (g_spawn_sync(NULL, (char **)argv, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                         G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, NULL, NULL, &status, NULL) &&
        g_spawn_check_wait_status(status, NULL))
        return "pngcairo";
    return "png";
}

/**
 * sim_gnuplot_new:
 * @plots: the folder the images go to (created if missing)
 * @error: return location for a GError
 *
 * Finds gnuplot and the scripts, removes working folders a killed plot
 * left in @plots and makes a fresh one.
 *
 * Returns: (transfer full) (nullable): the runner, or NULL with @error
 *   set (%SIM_GNUPLOT_ERROR_MISSING, or a %G_FILE_ERROR).
 */
SimGnuplot *
sim_gnuplot_new(const char *plots, GError **error)
{
    g_autofree char *gp = g_find_program_in_path("gnuplot");
    if (!gp) {
        g_set_error(error, SIM_GNUPLOT_ERROR, SIM_GNUPLOT_ERROR_MISSING,
                    "gnuplot not found (install gnuplot-nox)");
        return NULL;
    }
    g_autofree char *scripts = scripts_dir();
    if (!scripts) {
        g_set_error(error, SIM_GNUPLOT_ERROR, SIM_GNUPLOT_ERROR_MISSING,
                    "the plots/ scripts folder was not found (set "
                    "$SIPREUSE_PLOTS)");
        return NULL;
    }
    if (g_file_test(plots, G_FILE_TEST_IS_SYMLINK)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                    "%s is a symbolic link: images are written only into a "
                    "folder of the results folder itself", plots);
        return NULL;
    }
    if (g_mkdir_with_parents(plots, 0755) != 0) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                    "cannot create %s: %s", plots, g_strerror(e));
        return NULL;
    }
    remove_stale_work(plots);
    g_autofree char *tmpl = g_build_filename(plots, WORK_PREFIX "XXXXXX",
                                             NULL);
    if (!g_mkdtemp(tmpl)) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                    "cannot create a working folder in %s: %s", plots,
                    g_strerror(e));
        return NULL;
    }
    SimGnuplot *g = g_new0(SimGnuplot, 1);
    g->scripts = g_steal_pointer(&scripts);
    g->png_term = png_terminal();
    g->plots = g_strdup(plots);
    g->work = g_steal_pointer(&tmpl);
    g->failures = g_string_new(NULL);
    return g;
}

/* Copies @target to @path (when a symbolic link cannot be made). */
static gboolean
copy_file(const char *target, const char *path, GError **error)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    return sim_input_read_file(target, SIM_INPUT_MAX_RESULTS, &data, &len,
                               error) &&
           g_file_set_contents(path, data, (gssize)len, error);
}

/**
 * sim_gnuplot_link:
 * @gp: the runner
 * @name: a fixed file name the scripts open ("aggregate.tsv")
 * @target: the file it stands for, any path
 * @error: return location for a GError
 *
 * Makes @name in the working folder refer to @target (a symbolic link to
 * its absolute path, or a copy), so that @target's path never reaches
 * gnuplot.
 *
 * Returns: TRUE on success.
 */
gboolean
sim_gnuplot_link(SimGnuplot *gp, const char *name, const char *target,
                 GError **error)
{
    g_autofree char *path = g_build_filename(gp->work, name, NULL);
    g_autofree char *abs = g_canonicalize_filename(target, NULL);
    g_unlink(path);
    if (symlink(abs, path) == 0)
        return TRUE;
    return copy_file(target, path, error);
}

/**
 * sim_gnuplot_fail:
 * @gp: the runner
 * @image: the image ("compare.png")
 * @why: what went wrong
 *
 * Records a failed image; sim_gnuplot_finish() then fails, naming it.
 */
void
sim_gnuplot_fail(SimGnuplot *gp, const char *image, const char *why)
{
    g_string_append_printf(gp->failures, "%s%s/%s: %s",
                           gp->failures->len ? "\n" : "", gp->plots, image,
                           why);
}

static gboolean
png_complete(const guchar *d, gsize n)
{
    static const guchar sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a,
                                   '\n' };
    static const guchar iend[12] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D',
                                      0xae, 0x42, 0x60, 0x82 };
    return n >= sizeof sig + sizeof iend && memcmp(d, sig, sizeof sig) == 0 &&
           memcmp(d + n - sizeof iend, iend, sizeof iend) == 0;
}

static gboolean
svg_complete(const char *d, gsize n)
{
    while (n && g_ascii_isspace(d[n - 1]))
        n--;
    return n > 6 && memcmp(d + n - 6, "</svg>", 6) == 0 &&
           g_strstr_len(d, (gssize)MIN(n, 4096), "<svg") != NULL;
}

/**
 * sim_gnuplot_image_ok:
 * @path: an image file
 * @svg: TRUE for SVG, FALSE for PNG
 * @error: return location for why it is not a complete image
 *
 * Returns: TRUE if @path is a complete PNG (signature to IEND chunk) or a
 *   complete SVG (an <svg> element closed at the end of the file).
 */
gboolean
sim_gnuplot_image_ok(const char *path, gboolean svg, GError **error)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    if (!sim_input_read_file(path, 256u << 20, &data, &len, error))
        return FALSE;
    if (len == 0) {
        g_set_error(error, SIM_GNUPLOT_ERROR, SIM_GNUPLOT_ERROR_FAILED,
                    "gnuplot wrote an empty file");
        return FALSE;
    }
    if (svg ? svg_complete(data, len)
            : png_complete((const guchar *)data, len))
        return TRUE;
    g_set_error(error, SIM_GNUPLOT_ERROR, SIM_GNUPLOT_ERROR_FAILED,
                "gnuplot wrote an incomplete %s (%" G_GSIZE_FORMAT
                " bytes; is the disk full?)",
                svg ? "SVG" : "PNG", len);
    return FALSE;
}

/* The lines of gnuplot's error output that say a plot went wrong, or NULL
 * if there are none (warnings about data, such as "Skipping data file
 * with no valid points", are not failures). */
static char *
gnuplot_complaints(const char *err)
{
    static const char *const bad[] = { "error", "cannot", "can't", "could not",
                                       "output", "no space", "write",
                                       "undefined", NULL };
    if (!err)
        return NULL;
    g_autofree char *low = g_ascii_strdown(err, -1);
    for (guint i = 0; bad[i]; i++)
        if (strstr(low, bad[i]))
            return g_strstrip(g_strdup(err));
    return NULL;
}

/* Draws one image: gnuplot -c SCRIPT SCRIPTS TERM ARGS... in the working
 * folder, then checks and renames "image" to plots/@image. */
static void
draw_one(SimGnuplot *gp, const char *script, const char *term,
         const char *image, const char *const *args)
{
    g_autofree char *path = g_build_filename(gp->scripts, script, NULL);
    g_autofree char *out = g_build_filename(gp->work, "image", NULL);
    g_autofree char *dest = g_build_filename(gp->plots, image, NULL);
    const char *argv[5 + SIM_GNUPLOT_MAX_ARGS + 1] = {
        "gnuplot", "-c", path, gp->scripts, term,
    };
    guint n = 5;
    for (guint i = 0; args && args[i] && i < SIM_GNUPLOT_MAX_ARGS; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    g_unlink(out);
    g_autofree char *err = NULL;
    g_autoptr(GError) error = NULL;
    gint status = 0;
    g_autofree char *complaint = NULL;
    gboolean ok =
        g_spawn_sync(gp->work, (char **)argv, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                         G_SPAWN_STDIN_FROM_DEV_NULL,
                     NULL, NULL, NULL, &err, &status, &error) &&
        g_spawn_check_wait_status(status, &error);
    if (ok && (complaint = gnuplot_complaints(err)) != NULL)
        g_set_error(&error, SIM_GNUPLOT_ERROR, SIM_GNUPLOT_ERROR_FAILED,
                    "gnuplot: %s", complaint);
    else if (!ok && err && *err)
        g_prefix_error(&error, "%s: ", g_strstrip(err));
    ok = ok && !error && sim_gnuplot_image_ok(out, g_str_has_suffix(image,
                                                                    ".svg"),
                                              &error);
    if (ok && g_rename(out, dest) != 0) {
        int e = errno;
        g_set_error(&error, G_FILE_ERROR, g_file_error_from_errno(e),
                    "cannot write the image: %s", g_strerror(e));
        ok = FALSE;
    }
    if (ok)
        return;
    g_unlink(out);
    /* An older image of the same name would pass for this one. */
    if (g_file_test(dest, G_FILE_TEST_IS_REGULAR))
        g_unlink(dest);
    sim_gnuplot_fail(gp, image, error ? error->message : "not drawn");
}

/**
 * sim_gnuplot_draw:
 * @gp: the runner
 * @script: a script of plots/ ("compare.gp")
 * @image: the image's base name in plots/ ("compare"): NAME.png and
 *   NAME.svg are drawn
 * @args: (nullable): up to %SIM_GNUPLOT_MAX_ARGS strings, NULL-terminated,
 *   the script's ARG3 ... (ARG1 is the scripts folder, ARG2 the terminal)
 *
 * Draws @image as PNG and SVG.  A failure is recorded (see
 * sim_gnuplot_finish()) and leaves no image of that name.
 */
void
sim_gnuplot_draw(SimGnuplot *gp, const char *script, const char *image,
                 const char *const *args)
{
    g_autofree char *png = g_strdup_printf("%s.png", image);
    g_autofree char *svg = g_strdup_printf("%s.svg", image);
    draw_one(gp, script, gp->png_term, png, args);
    draw_one(gp, script, "svg", svg, args);
}

/**
 * sim_gnuplot_finish:
 * @gp: the runner
 * @error: return location for the failed images
 *
 * Returns: TRUE if every image was drawn; FALSE with a
 *   %SIM_GNUPLOT_ERROR_FAILED naming each one that was not.
 */
gboolean
sim_gnuplot_finish(SimGnuplot *gp, GError **error)
{
    if (!gp->failures->len)
        return TRUE;
    g_set_error(error, SIM_GNUPLOT_ERROR, SIM_GNUPLOT_ERROR_FAILED,
                "%s", gp->failures->str);
    return FALSE;
}

/**
 * sim_gnuplot_free:
 * @gp: (nullable): the runner
 *
 * Removes the working folder and frees @gp.
 */
void
sim_gnuplot_free(SimGnuplot *gp)
{
    if (!gp)
        return;
    remove_flat_dir(gp->work);
    g_free(gp->scripts);
    g_free(gp->plots);
    g_free(gp->work);
    g_string_free(gp->failures, TRUE);
    g_free(gp);
}

/* Plot data helpers. */

void
sim_plot_table_free(SimPlotTable *t)
{
    if (!t)
        return;
    g_strfreev(t->header);
    g_ptr_array_unref(t->rows);
    g_free(t);
}


SimPlotTable *
sim_plot_table_read(const char *path, GError **error)
{
    g_autofree char *text = NULL;
    if (!sim_input_read_file(path, SIM_INPUT_MAX_RESULTS, &text, NULL,
                             error))
        return NULL;
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    SimPlotTable *t = g_new0(SimPlotTable, 1);
    t->header = g_strsplit(lines[0], "\t", -1);
    t->rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    for (guint i = 1; lines[0] && lines[i]; i++)
        if (*lines[i])
            g_ptr_array_add(t->rows, g_strsplit(lines[i], "\t", -1));
    return t;
}

gint
sim_plot_table_col(const SimPlotTable *t, const char *name)
{
    for (guint i = 0; t->header[i]; i++)
        if (g_str_equal(t->header[i], name))
            return (gint)i;
    return -1;
}

const char *
sim_plot_table_get(const SimPlotTable *t, guint row, gint col)
{
    char **r = g_ptr_array_index(t->rows, row);
    return col >= 0 && (guint)col < g_strv_length(r) ? r[col] : "";
}

/* Human labels of the common result keys, with units. */
static const char *const plot_labels[][2] = {
    { "calls.attempted", "calls attempted" },
    { "calls.completed", "calls completed" },
    { "calls.failed", "calls failed" },
    { "latency.setup_ms.mean", "set-up latency mean (ms)" },
    { "latency.setup_ms.p50", "set-up latency median (ms)" },
    { "latency.setup_ms.p95", "set-up latency p95 (ms)" },
    { "latency.setup_ms.p99", "set-up latency p99 (ms)" },
    { "latency.setup_ms.max", "set-up latency max (ms)" },
    { "latency.setup_ms.p50_all", "set-up latency median, all calls (ms)" },
    { "latency.setup_ms.p95_all", "set-up latency p95, all calls (ms)" },
    { "latency.setup_ms.p99_all", "set-up latency p99, all calls (ms)" },
    { "calls.completion_ratio", "completion ratio (0-1)" },
    { "connections.opened", "connections opened" },
    { "connections.closed", "connections closed" },
    { "connections.peak", "peak open connections" },
    { "connections.mean", "mean open connections" },
    { "connections.per_node_peak_max", "busiest node's peak open connections" },
    { "handshakes.tcp", "TCP handshakes" },
    { "handshakes.sctp", "SCTP handshakes" },
    { "handshakes.tls_full", "full TLS handshakes" },
    { "handshakes.tls_resumed", "resumed TLS handshakes" },
    { "handshakes.failed", "failed handshakes" },
    { "alias.added", "aliases added" },
    { "alias.rejected", "aliases rejected" },
    { "alias.hits", "alias hits" },
    { "requests.hijacked", "requests hijacked" },
    { "cpu.util_max", "busiest node CPU utilisation (0-1)" },
    { "cpu.crypto_s", "crypto CPU (s)" },
    { "handshakes.per_s", "handshakes per second" },
    { "cpu.crypto_cores_per_node", "crypto CPU (cores per node)" },
    { "connections.opened_run", "connections opened, whole run" },
    { "bytes.wire", "bytes on the wire" },
    { "memory.conn_bytes_peak", "connection memory peak (bytes)" },
    { "sim.events", "simulator events" },
};

/* (transfer none): the human label of result key @key, or @key itself. */
const char *
sim_plot_key_label(const char *key)
{
    for (guint i = 0; i < G_N_ELEMENTS(plot_labels); i++)
        if (g_str_equal(plot_labels[i][0], key))
            return plot_labels[i][1];
    return key;
}

/* (transfer full): the label of varied key @key: the key and the unit its
 * values are read in ("link.west.east.delay (ms)"). */
char *
sim_plot_x_label(const char *key)
{
    const char *unit = sim_topo_unit_name(sim_topo_key_unit(key));
    return unit ? g_strdup_printf("%s (%s)", key, unit) : g_strdup(key);
}

/* A plot label handed to gnuplot: at most 200 characters (a command-line
 * argument has a size limit; a longer title does not fit an image). */
char *
sim_plot_label(const char *text)
{
    const char *s = text ? text : "";
    if (!g_utf8_validate(s, -1, NULL))
        return g_utf8_make_valid(s, -1);
    if (g_utf8_strlen(s, -1) <= 200)
        return g_strdup(s);
    g_autofree char *head = g_utf8_substring(s, 0, 199);
    return g_strconcat(head, "\u2026", NULL);
}

/* A name as it may appear inside a gnuplot data file's header: no tab,
 * line break or double quote (which would end the field). */
char *
sim_plot_data_name(const char *text)
{
    char *s = g_strdup(text ? text : "");
    for (char *c = s; *c; c++)
        if (*c == '\t' || *c == '\n' || *c == '\r')
            *c = ' ';
        else if (*c == '"')
            *c = '\'';
    return s;
}

/**
 * sim_plot_style:
 * @strategy: a strategy name
 *
 * The style (a linetype of plots/common.gp: colour, dash and marker) of
 * @strategy in every plot: 1 + its place in the strategy registry, so a
 * strategy looks the same in every image whichever others are drawn with
 * it; a name the registry does not hold gets the last style.
 *
 * Returns: the linetype, 1 to %SIM_PLOT_N_STYLES.
 */
guint
sim_plot_style(const char *strategy)
{
    guint i = 0;
    for (const SimStrategyOps *const *s = sim_strategy_all(); *s; s++, i++)
        if (strategy && g_str_equal((*s)->name, strategy))
            return MIN(i + 1, SIM_PLOT_N_STYLES);
    return SIM_PLOT_N_STYLES;
}

/**
 * sim_plot_run_warmup:
 * @run_dir: a run's folder
 *
 * Returns: the warm-up of the run in seconds, read from its summary.json
 *   (meta.warmup_s), or NAN when the file or the value is missing.
 */
double
sim_plot_run_warmup(const char *run_dir)
{
    g_autofree char *path = g_build_filename(run_dir, "summary.json", NULL);
    g_autofree char *text = NULL;
    gsize len = 0;
    if (!sim_input_read_file(path, SIM_INPUT_MAX_RESULTS, &text, &len, NULL))
        return NAN;
    const char *k = strstr(text, "\"warmup_s\":");
    if (!k)
        return NAN;
    char *end = NULL;
    double v = g_ascii_strtod(k + strlen("\"warmup_s\":"), &end);
    return end && end != k + strlen("\"warmup_s\":") && v >= 0 ? v : NAN;
}

/**
 * sim_plot_window_text:
 * @warmup_s: a warm-up in seconds (0 or NAN: none, or unknown)
 *
 * Returns: (transfer full) (nullable): "after 10 s warm-up", or NULL when
 *   there is no warm-up to mention.
 */
char *
sim_plot_window_text(double warmup_s)
{
    if (!isfinite(warmup_s) || warmup_s <= 0)
        return NULL;
    g_autofree char *w = sim_out_seconds_text((SimTime)llround(warmup_s * 1e9));
    return g_strdup_printf("after %s s warm-up", w);
}
