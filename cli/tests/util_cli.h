/* SPDX-License-Identifier: MIT */
/*
 * Running the built CLI ($SIPREUSE_BIN) from tests, with what the
 * hardening tests need besides its output and exit status: the wall time
 * and peak resident memory of the child (wait4), a working folder, extra
 * environment and a file-size limit (RLIMIT_FSIZE with SIGXFSZ ignored,
 * which makes every write past the limit fail like a full disk, without
 * root).  Also scratch folders and independent checks that an image is a
 * complete PNG or SVG.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What one invocation did. */
typedef struct {
    int status;
    char *out;
    char *err;
    double seconds;
    /* Peak resident set size of the child, KiB. */
    glong maxrss_kb;
} HCli;

/* How to run it (all optional). */
typedef struct {
    /* Working folder (default $SIPREUSE_SRCDIR). */
    const char *cwd;
    /* "NAME=VALUE" to set in the environment, NULL-terminated. */
    const char *const *env;
    /* Program to run instead of $SIPREUSE_BIN. */
    const char *bin;
    /* RLIMIT_FSIZE in bytes (0: none). */
    guint64 fsize;
    /* Seconds after which the child is killed (0: 60), so that a guard
     * that stops working fails the test instead of hanging it. */
    guint timeout;
} HCliOpts;

void hcli_clear(HCli *c);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HCli, hcli_clear)

gboolean hcli_have(void);
void hcli_runv(HCli *c, const HCliOpts *o, const char *const *args);
void hcli_run(HCli *c, const HCliOpts *o, const char *first, ...)
    G_GNUC_NULL_TERMINATED;
char *hcli_scratch(const char *name);
char *hcli_read(const char *dir, const char *name);
gboolean hcli_png_complete(const char *path);
gboolean hcli_svg_complete(const char *path);
void hcli_assert_images(const char *plots, const char *name);
void hcli_assert_same_tree(const char *a, const char *b);
guint hcli_count_files(const char *dir, const char *name);

G_END_DECLS
