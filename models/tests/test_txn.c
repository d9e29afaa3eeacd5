/* SPDX-License-Identifier: MIT */
/*
 * The transaction layer alone, driven through its hooks (no proxy, no
 * transport): the retransmission timers of RFC 3261 17.1 over UDP, whose
 * instants follow from T1 = 500 ms and T2 = 4 s by hand.
 */
#include "models/sip/txn.h"

#include <string.h>

typedef struct {
    SimCtx ctx;
    SimDns *dns;
    SimResolver *res;
    SimSipTxnLayer *l;
    /* The one connection every request is routed to (never freed: the
     * test holds a reference). */
    SimProxyConn pc;
    /* Instants of the transmissions, in order. */
    GArray *sent;
    guint final_status;
} TxnFixture;

static SimProxyConn *
fx_route(SimSipClientTxn *t, const char *aus, const SimDnsTarget *target,
         const SimSipMsg *m, gpointer user)
{
    TxnFixture *f = user;
    return &f->pc;
}

static void
fx_transmit(SimSipClientTxn *t, SimProxyConn *pc, SimSipMsg *m,
            gpointer user)
{
    TxnFixture *f = user;
    SimTime now = sim_ctx_now(&f->ctx);
    g_array_append_val(f->sent, now);
}

static void
fx_failover(SimSipClientTxn *t, const SimTuple *tuple, const char *name,
            gpointer user)
{
}

static void
fx_unbind(SimSipClientTxn *t, SimProxyConn *pc, gpointer user)
{
}

static void
fx_request(SimSipServerTxn *stx, SimProxyConn *pc, SimSipMsg *m,
           gpointer user)
{
}

static void
fx_respond(SimSipServerTxn *stx, SimProxyConn *pc, SimSipMsg *resp,
           gpointer user)
{
}

static void
fx_result(SimSipClientTxn *t, guint status, const SimSipMsg *resp,
          gpointer user)
{
    TxnFixture *f = user;
    if (status >= 200)
        f->final_status = status;
}

static void
fx_init(TxnFixture *f)
{
    memset(f, 0, sizeof *f);
    f->ctx.evq = sim_evq_new();
    f->ctx.seed = 1;
    f->dns = sim_dns_new();
    SimIp ip;
    g_assert_true(sim_ip_parse("10.0.0.2", &ip));
    sim_dns_add_a(f->dns, "p.test", ip);
    SimResolverConfig rcfg = { .ttl = SIM_S(300) };
    f->res = sim_resolver_new(&f->ctx, f->dns, "a", &rcfg);
    SimSipTxnHooks hooks = {
        .route = fx_route, .transmit = fx_transmit,
        .failover = fx_failover, .unbind = fx_unbind,
        .request = fx_request, .respond = fx_respond, .user = f,
    };
    f->l = sim_sip_txn_layer_new(&f->ctx, f->res, SIM_TRANSPORT_UDP,
                                 SIM_MS(500), &hooks);
    f->pc.up = TRUE;
    /* Only tested for presence by the layer. */
    f->pc.conn = (SimConn *)&f->pc;
    f->pc.key.transport = SIM_TRANSPORT_UDP;
    f->pc.refcount = 1;
    f->sent = g_array_new(FALSE, FALSE, sizeof(SimTime));
}

static void
fx_clear(TxnFixture *f)
{
    sim_sip_txn_layer_free(f->l);
    sim_resolver_free(f->res);
    sim_dns_free(f->dns);
    sim_evq_free(f->ctx.evq);
    g_array_free(f->sent, TRUE);
}

/* A BYE from the test, its copy kept for building responses. */
static SimSipMsg *
fx_bye(TxnFixture *f, SimSipMsg **copy)
{
    SimSipUri ruri;
    sim_sip_uri_set(&ruri, FALSE, "u", "p.test", 5060, FALSE);
    SimSipMsg *m = sim_sip_msg_new_request(SIM_SIP_BYE, &ruri);
    SimSipVia *v = sim_sip_msg_push_via(m);
    v->transport = SIM_TRANSPORT_UDP;
    g_strlcpy(v->host, "a.test", sizeof v->host);
    g_strlcpy(v->branch, "z9hG4bKtest.1", sizeof v->branch);
    g_strlcpy(m->call_id, "1@a.test", sizeof m->call_id);
    m->cseq = 1;
    *copy = sim_sip_msg_copy(m);
    return m;
}

static void
fx_deliver(TxnFixture *f, const SimSipMsg *req, guint status, SimTime at)
{
    sim_evq_run_until(f->ctx.evq, at);
    g_autoptr(SimSipMsg) r = sim_sip_msg_new_response(req, status);
    sim_sip_txn_receive(f->l, &f->pc, r);
}

/* Timer E (RFC 3261 17.1.2.2): while Trying it doubles from T1 up to T2,
 * so without a response a BYE leaves at 0, 0.5, 1.5, 3.5, 7.5, 11.5 s
 * (intervals 0.5, 1, 2, 4, 4); once a provisional response has moved the
 * transaction to Proceeding, the next firing retransmits and resets E to
 * T2: a 100 at 0.6 s leaves the firing due at 1.5 s, then every 4 s
 * (5.5, 9.5, 13.5 s), where doubling and capping would have given 3.5,
 * 7.5 s. */
static void
test_timer_e(void)
{
    static const double trying[] = { 0, 0.5, 1.5, 3.5, 7.5, 11.5 };
    static const double proceeding[] = { 0, 0.5, 1.5, 5.5, 9.5, 13.5 };
    for (guint pass = 0; pass < 2; pass++) {
        TxnFixture f;
        fx_init(&f);
        g_autoptr(SimSipMsg) copy = NULL;
        SimSipMsg *bye = fx_bye(&f, &copy);
        sim_sip_txn_start(f.l, bye, "p.test", 5060, fx_result, &f);
        if (pass == 1)
            fx_deliver(&f, copy, 100, SIM_MS(600));
        const double *want = pass ? proceeding : trying;
        sim_evq_run_until(f.ctx.evq, SIM_MS(13600));
        g_assert_cmpuint(f.sent->len, >=, 6);
        for (guint i = 0; i < 6; i++)
            g_assert_cmpint(g_array_index(f.sent, SimTime, i), ==,
                            (SimTime)(want[i] * 1e9));
        fx_deliver(&f, copy, 200, SIM_MS(13700));
        g_assert_cmpuint(f.final_status, ==, 200);
        sim_evq_run_until(f.ctx.evq, SIM_S(60));
        fx_clear(&f);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("SIP transactions alone: RFC 3261 17.1 timers.");
    g_test_add_func("/txn/timer-e/proceeding-resets-to-t2", test_timer_e);
    return g_test_run();
}
