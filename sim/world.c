/* SPDX-License-Identifier: MIT */
/*
 * Placeholder until the proxy models land: every run fails with a clear
 * error.  Replaced wholesale by the world builder.
 */
#define G_LOG_DOMAIN "sim-world"

#include "sim/world.h"

G_DEFINE_QUARK(sim-world-error-quark, sim_world_error)

SimRunResult *
sim_world_run(const SimTopo *topo, const SimRunOptions *opt, GError **error)
{
    g_set_error(error, SIM_WORLD_ERROR, SIM_WORLD_ERROR_FAILED,
                "the proxy models are not built yet");
    return NULL;
}

gboolean
sim_world_strategy_applicable(const SimTopo *topo, const char *strategy)
{
    return FALSE;
}
