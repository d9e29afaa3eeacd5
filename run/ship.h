/* SPDX-License-Identifier: MIT */
/*
 * Batch jobs and finished runs as bytes, for a batch run by other
 * processes (run/mpi.c) or gathered from other folders (sweep --merge):
 * a job travels as everything needed to run it again elsewhere (the
 * topology's text, overrides, strategy, seed, fingerprint); a finished run
 * travels as its runs.tsv row and the bytes of every file of its folder,
 * which the receiver writes into the run's own folder with the completion
 * marker last, exactly as the local writer leaves it.  The format is
 * private to one build of the program (the fingerprint check refuses
 * mixed builds).
 */
#pragma once

#include <glib.h>

#include "run/batch.h"

G_BEGIN_DECLS

#define SIM_SHIP_ERROR (sim_ship_error_quark())
GQuark sim_ship_error_quark(void);

typedef enum {
    /* Bytes that are not a message of this format. */
    SIM_SHIP_ERROR_FORMAT,
    /* The receiving process computes another fingerprint for the job (its
     * build or the files the topology names differ). */
    SIM_SHIP_ERROR_MISMATCH,
} SimShipError;

/* A job as received: what is needed to load its topology and run it. */
typedef struct {
    /* The job's index in the sender's list. */
    guint index;
    /* The topology's name (path) and text, and how it was loaded. */
    char *topo_path;
    char *topo_text;
    gsize topo_len;
    guint topo_flags;
    char *strategy;
    guint64 seed;
    /* (nullable): overrides, NULL-terminated. */
    char **overrides;
    /* (nullable): the sender's fingerprint of the run. */
    char *fingerprint;
    /* The sender's output options and pinned certificate time. */
    gboolean no_timing;
    gint64 files_verify_time;
} SimShipJob;

/* Jobs. */
GBytes *sim_ship_job_encode(guint index, const SimBatchJob *job,
                            const SimBatchOptions *opt);
SimShipJob *sim_ship_job_decode(GBytes *msg, GError **error);
void sim_ship_job_free(SimShipJob *job);
gboolean sim_ship_job_check(const SimShipJob *job, const SimTopo *topo,
                            GError **error);

/* Finished runs. */
GBytes *sim_ship_result_encode(guint index, const SimBatchJob *job);
gboolean sim_ship_result_index(GBytes *msg, guint *index, GError **error);
gboolean sim_ship_result_apply(GBytes *msg, SimBatchJob *job,
                               GError **error);

/* Run folders. */
GBytes *sim_ship_dir_pack(const char *dir, GError **error);
gboolean sim_ship_dir_unpack(GBytes *packed, const char *dir,
                             GError **error);
void sim_ship_dir_remove(const char *dir);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimShipJob, sim_ship_job_free)

G_END_DECLS
