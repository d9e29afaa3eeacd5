/* SPDX-License-Identifier: MIT */
/*
 * The reference of topology keys as Markdown (docs/topology.md), made from
 * the loader's own schema: group kinds and keys, defaults, enumerated
 * values and units come from run/topo_schema.c and the strategy registry;
 * run/topo_doc.c adds each key's type, range and meaning, and refuses to
 * print when the two disagree (a key without its documentation, or a
 * unit that differs).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *sim_topo_doc_markdown(GError **error);

/* One integer key's range as the reference states it, for the test that
 * checks it against the loader. */
typedef struct {
    /* "kind.key", e.g. "transport.initial-window". */
    const char *key;
    guint64 min;
    guint64 max;
} SimTopoDocRange;

const SimTopoDocRange *sim_topo_doc_ranges(guint *n);

G_END_DECLS
