/* SPDX-License-Identifier: MIT */
/*
 * `rfc3261`: plain RFC 3261 section 18 behaviour, the BASE of SPEC section
 * 2.  A request reuses only a connection this node opened to the same
 * far-end tuple (R26, R27; over TLS only one opened for the same AUS
 * domain); accepted connections carry responses only, and no alias is
 * sent or honoured, so two peering proxies end with two connections.
 */
#define G_LOG_DOMAIN "sim-strategy"

#include "models/strategy/strategy.h"

static SimProxyConn *
rfc3261_select_conn(SimConnTab *tab, const SimStrategyTarget *t)
{
    return sim_strategy_find_opened(tab, t);
}

const SimStrategyOps sim_strategy_rfc3261 = {
    .name = "rfc3261",
    .description =
        "Plain RFC 3261: a request reuses only a connection this node "
        "opened to the same {IP, port, transport}; accepted connections "
        "carry only responses; no alias.  Two peering proxies end with "
        "two connections (the baseline of the threat table in "
        "docs/model.md).",
    .select_conn = rfc3261_select_conn,
};
