/* SPDX-License-Identifier: MIT */
/*
 * Golden runs (STYLE 2.9, after SimGrid's tesh files): every transport x
 * applicable strategy runs one tiny topology with a fixed seed, and its
 * runs.tsv header and row, without the sim.* columns (the simulator's own
 * counts and the wall clock), must match run/tests/golden/<name>.tsv
 * byte for byte.  A change to any model's behaviour shows up here as a
 * diff to review; `make regen-golden` (SIPREUSE_REGEN_GOLDEN=1) rewrites
 * the files, and only then.
 */
#include "models/strategy/strategy.h"
#include "run/out.h"
#include "run/world.h"

#include <string.h>

/* Two proxies 20 ms apart, each domain on its own SRV record, calls both
 * ways for 20 s of simulated time.  %s: protocol; %u: port. */
static const char golden_fmt[] =
    "[simulation]\nduration = 20s\nseed = 42\n"
    "[transport]\nprotocol = %s\n"
    "[network]\ndefault-delay = 10ms\n"
    "[domain a.test]\nsrv = 10 10 %u pa.a.test\n"
    "[domain b.test]\nsrv = 10 10 %u pb.b.test\n"
    "[node A]\nhost = pa.a.test\naddress = 10.1.0.1\ndomains = a.test\n"
    "cert-san = URI:sip:a.test, URI:sip:pa.a.test\n"
    "[node B]\nhost = pb.b.test\naddress = 10.2.0.1\ndomains = b.test\n"
    "cert-san = URI:sip:b.test, URI:sip:pb.b.test\n"
    "[link A B]\ndelay = 10ms\n"
    "[traffic ab]\nfrom = a.test\nto = b.test\nrate = 2\nhold = 3s\n"
    "[traffic ba]\nfrom = b.test\nto = a.test\nrate = 1\nhold = 3s\n"
    "bye-by = random\n";

static const char *const golden_protocols[] = { "udp", "tcp", "sctp", "tls",
                                                "tls-sctp" };

/* One case: "<protocol>-<strategy>". */
typedef struct {
    const char *protocol;
    const char *strategy;
} GoldenCase;

/* Drops the tab-separated columns whose header starts with "sim.". */
static char *
golden_strip(const char *header, const char *row)
{
    g_auto(GStrv) h = g_strsplit(header, "\t", -1);
    g_auto(GStrv) v = g_strsplit(row, "\t", -1);
    g_assert_cmpuint(g_strv_length(h), ==, g_strv_length(v));
    GString *out = g_string_new(NULL);
    for (guint pass = 0; pass < 2; pass++) {
        gboolean first = TRUE;
        char **cols = pass ? v : h;
        for (guint i = 0; cols[i]; i++) {
            g_strchomp(h[i]);
            if (g_str_has_prefix(h[i], "sim."))
                continue;
            g_strchomp(cols[i]);
            g_string_append_printf(out, "%s%s", first ? "" : "\t", cols[i]);
            first = FALSE;
        }
        g_string_append_c(out, '\n');
    }
    return g_string_free(out, FALSE);
}

static char *
golden_path(const GoldenCase *c)
{
    const char *src = g_getenv("SIPREUSE_SRCDIR");
    g_autofree char *file = g_strdup_printf("%s-%s.tsv", c->protocol,
                                            c->strategy);
    return g_build_filename(src ? src : ".", "run", "tests", "golden",
                            file, NULL);
}

static void
test_golden(gconstpointer data)
{
    const GoldenCase *c = data;
    gboolean tls = g_str_has_prefix(c->protocol, "tls");
    g_autofree char *text = g_strdup_printf(golden_fmt, c->protocol,
                                            tls ? 5061 : 5060,
                                            tls ? 5061 : 5060);
    g_autoptr(GError) error = NULL;
    g_autoptr(SimTopo) topo = sim_topo_load_data("golden", text, strlen(text),
                                                 NULL, &error);
    g_assert_no_error(error);
    SimRunOptions opt = { .strategy = c->strategy };
    g_autoptr(SimRunResult) r = sim_world_run(topo, &opt, &error);
    g_assert_no_error(error);
    SimOutOptions o = { .no_timing = TRUE };
    g_autofree char *header = sim_out_runs_header();
    g_autofree char *row = sim_out_runs_row(r, &o);
    g_autofree char *got = golden_strip(header, row);
    g_autofree char *path = golden_path(c);
    if (g_getenv("SIPREUSE_REGEN_GOLDEN")) {
        g_autofree char *dir = g_path_get_dirname(path);
        g_mkdir_with_parents(dir, 0755);
        g_file_set_contents(path, got, -1, &error);
        g_assert_no_error(error);
        return;
    }
    g_autofree char *want = NULL;
    if (!g_file_get_contents(path, &want, NULL, NULL)) {
        g_test_message("%s is missing: run make regen-golden", path);
        g_test_fail();
        return;
    }
    g_assert_cmpstr(got, ==, want);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("Golden runs: each transport x strategy on a tiny "
                   "topology must reproduce run/tests/golden/*.tsv.");
    g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func(g_free);
    const SimStrategyOps *const *all = sim_strategy_all();
    for (guint p = 0; p < G_N_ELEMENTS(golden_protocols); p++)
        for (guint s = 0; all[s]; s++) {
            guint port = g_str_has_prefix(golden_protocols[p], "tls") ? 5061
                                                                       : 5060;
            g_autofree char *text = g_strdup_printf(
                golden_fmt, golden_protocols[p], port, port);
            g_autoptr(GError) error = NULL;
            g_autoptr(SimTopo) topo = sim_topo_load_data(
                "golden", text, strlen(text), NULL, &error);
            /* A topology that does not load would drop its cases. */
            if (!topo)
                g_error("golden topology over %s: %s", golden_protocols[p],
                        error->message);
            if (!sim_world_strategy_applicable(topo, all[s]->name))
                continue;
            GoldenCase *c = g_new(GoldenCase, 1);
            *c = (GoldenCase){ golden_protocols[p], all[s]->name };
            g_ptr_array_add(cases, c);
            g_autofree char *path = g_strdup_printf(
                "/golden/%s/%s", c->protocol, c->strategy);
            g_test_add_data_func(path, c, test_golden);
        }
    return g_test_run();
}
