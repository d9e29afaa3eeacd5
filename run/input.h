/* SPDX-License-Identifier: MIT */
/*
 * Reading an input file the user names (a topology, an experiment, a
 * profile, a results table): only a regular file, and only up to a size
 * cap, so that /dev/zero, a FIFO, a directory or a huge file is refused at
 * once instead of eating memory or blocking forever.  And checking an
 * output file the user names: it is replaced by rename, so it must be a
 * regular file or not exist (never a symlink, device or FIFO).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SIM_INPUT_ERROR (sim_input_error_quark())
GQuark sim_input_error_quark(void);

typedef enum {
    /* The file could not be opened or read (errno in the message). */
    SIM_INPUT_ERROR_IO,
    /* It is not a regular file (a directory, FIFO, device, socket). */
    SIM_INPUT_ERROR_NOT_REGULAR,
    /* It is larger than the cap. */
    SIM_INPUT_ERROR_TOO_LARGE,
} SimInputError;

/* Caps of the files sipreuse reads. */
#define SIM_INPUT_MAX_TOPOLOGY (8u << 20)
#define SIM_INPUT_MAX_EXPERIMENT (1u << 20)
/* Result tables `plot` reads back (runs.tsv of a large sweep). */
#define SIM_INPUT_MAX_RESULTS (512u << 20)

gboolean sim_input_read_file(const char *path, gsize max_bytes,
                             char **contents, gsize *length, GError **error);
char *sim_input_size_text(guint64 bytes);
gboolean sim_input_check_output(const char *path, GError **error);

/* sim_input_ini_scan(): one group header (@key NULL) or key line of an
 * ini text; @first is the line where the same group, or the same key in
 * this group, was seen before (0: not seen).  Returns FALSE to leave a
 * key out of the keys seen (one the callee refused). */
typedef gboolean (*SimIniItemFunc)(const char *group, const char *key,
                                   guint line, guint first, gpointer user);
void sim_input_ini_scan(const char *text, gsize len, SimIniItemFunc func,
                        gpointer user);

G_END_DECLS
