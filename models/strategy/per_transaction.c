/* SPDX-License-Identifier: MIT */
/*
 * `per-transaction`: the pessimistic baseline.  Every client transaction
 * opens its own connection (full handshake cost each time, resumption
 * aside) and closes it when the transaction ends; nothing is reused and no
 * alias is sent or honoured.
 */
#define G_LOG_DOMAIN "sim-strategy"

#include "models/strategy/strategy.h"

static SimProxyConn *
per_transaction_select_conn(SimConnTab *tab, const SimStrategyTarget *t)
{
    return NULL;
}

static gboolean
per_transaction_close_after_txn(SimConnTab *tab, SimProxyConn *pc)
{
    return TRUE;
}

const SimStrategyOps sim_strategy_per_transaction = {
    .name = "per-transaction",
    .description =
        "No persistent connections: a new connection for every client "
        "transaction, closed when the transaction ends.  The pessimistic "
        "baseline for handshake count, CPU and set-up latency.",
    .select_conn = per_transaction_select_conn,
    .close_after_txn = per_transaction_close_after_txn,
};
