/* SPDX-License-Identifier: MIT */
/*
 * SIP message values: the counted wire size equals the length of the
 * generated RFC 3261 text; `;alias` adds exactly its 6 bytes; realistic
 * sizes (SPEC 3.2: INVITE with SDP 0.9-1.3 KB, ACK/BYE 0.35-0.5 KB) come
 * from real headers and a body of stated size.
 */
#include <string.h>

#include "models/sip/message.h"

static SimSipMsg *
make_request(SimSipMethod method, guint body)
{
    SimSipUri ruri;
    sim_sip_uri_set(&ruri, TRUE, "callee", "example.net", 0, FALSE);
    SimSipMsg *m = sim_sip_msg_new_request(method, &ruri);
    SimSipVia *v = sim_sip_msg_push_via(m);
    v->transport = SIM_TRANSPORT_TLS;
    g_strlcpy(v->host, "p1.example.com", sizeof v->host);
    v->port = 5061;
    g_strlcpy(v->branch, "z9hG4bKa.12345", sizeof v->branch);
    sim_sip_uri_set(&m->from, TRUE, "caller", "example.com", 0, FALSE);
    sim_sip_uri_set(&m->to, TRUE, "callee", "example.net", 0, FALSE);
    g_strlcpy(m->from_tag, "a.67890", sizeof m->from_tag);
    g_strlcpy(m->call_id, "4711@p1.example.com", sizeof m->call_id);
    m->cseq = 1;
    sim_sip_uri_set(&m->contact, TRUE, "u", "p1.example.com", 5061, FALSE);
    m->has_contact = TRUE;
    sim_sip_uri_set(&m->rr[0], TRUE, NULL, "example.com", 0, TRUE);
    m->n_rr = 1;
    m->body_len = body;
    sim_sip_msg_finish(m);
    return m;
}

static void
test_size_is_text_length(void)
{
    g_autoptr(SimSipMsg) m = make_request(SIM_SIP_INVITE, 300);
    g_autofree char *text = sim_sip_msg_to_text(m);
    g_assert_cmpuint(m->base.len, ==, strlen(text));
    g_assert_true(g_str_has_prefix(text, "INVITE sips:callee@example.net "
                                         "SIP/2.0\r\n"));
    g_assert_nonnull(strstr(text, "Content-Length: 300\r\n\r\n"));
    g_autoptr(SimSipMsg) r = sim_sip_msg_new_response(m, 200);
    sim_sip_msg_finish(r);
    g_autofree char *rt = sim_sip_msg_to_text(r);
    g_assert_cmpuint(r->base.len, ==, strlen(rt));
    g_assert_true(g_str_has_prefix(rt, "SIP/2.0 200 OK\r\n"));
}

/* The body is one SDP description (RFC 4566) of exactly Content-Length
 * bytes, whatever that length: one "v=0" line first, every line ending in
 * CRLF, never a second, truncated copy of the description. */
static void
check_sdp_body(guint len)
{
    g_autoptr(SimSipMsg) m = make_request(SIM_SIP_INVITE, len);
    g_autofree char *text = sim_sip_msg_to_text(m);
    g_assert_cmpuint(m->base.len, ==, strlen(text));
    const char *body = strstr(text, "\r\n\r\n");
    g_assert_nonnull(body);
    body += 4;
    g_assert_cmpuint(strlen(body), ==, len);
    g_assert_true(g_str_has_prefix(body, "v=0\r\n"));
    g_assert_null(strstr(body + 1, "v=0"));
    g_assert_true(g_str_has_suffix(body, "\r\n"));
    g_auto(GStrv) lines = g_strsplit(body, "\r\n", -1);
    for (guint i = 0; lines[i + 1]; i++) {
        /* Every line is <type>=<value> with a one-letter type. */
        g_assert_cmpuint(strlen(lines[i]), >=, 2);
        g_assert_true(g_ascii_islower(lines[i][0]));
        g_assert_cmpint(lines[i][1], ==, '=');
        g_assert_null(strchr(lines[i], '\n'));
    }
}

static void
test_sdp_body(void)
{
    /* The model's own size, one just past the bare description, one that
     * leaves too little room for a pad line after it, a large one. */
    check_sdp_body(SIM_SIP_SDP_BYTES);
    check_sdp_body(300);
    check_sdp_body(260);
    check_sdp_body(4000);
}

static void
test_alias_adds_its_bytes(void)
{
    g_autoptr(SimSipMsg) m = make_request(SIM_SIP_BYE, 0);
    guint plain = m->base.len;
    m->via[0].alias = TRUE;
    sim_sip_msg_finish(m);
    g_assert_cmpuint(m->base.len, ==, plain + strlen(";alias"));
    g_autofree char *text = sim_sip_msg_to_text(m);
    g_assert_nonnull(strstr(text, ";branch=z9hG4bKa.12345;alias\r\n"));
}

static void
test_realistic_sizes(void)
{
    g_autoptr(SimSipMsg) inv = make_request(SIM_SIP_INVITE, SIM_SIP_SDP_BYTES);
    g_autoptr(SimSipMsg) bye = make_request(SIM_SIP_BYE, 0);
    g_autoptr(SimSipMsg) ack = make_request(SIM_SIP_ACK, 0);
    g_assert_cmpuint(inv->base.len, >=, 900);
    g_assert_cmpuint(inv->base.len, <=, 1300);
    g_assert_cmpuint(bye->base.len, >=, 350);
    g_assert_cmpuint(bye->base.len, <=, 500);
    g_assert_cmpuint(ack->base.len, >=, 350);
    g_assert_cmpuint(ack->base.len, <=, 500);
}

static void
test_via_stack(void)
{
    g_autoptr(SimSipMsg) m = make_request(SIM_SIP_OPTIONS, 0);
    SimSipVia *v = sim_sip_msg_push_via(m);
    g_strlcpy(v->host, "proxy.example.org", sizeof v->host);
    g_assert_cmpuint(m->n_via, ==, 2);
    g_assert_cmpstr(m->via[1].host, ==, "p1.example.com");
    sim_sip_msg_pop_via(m);
    g_assert_cmpuint(m->n_via, ==, 1);
    g_assert_cmpstr(m->via[0].host, ==, "p1.example.com");
}

/* Pooled records are reused; copies and responses share their source's
 * pool; the pool outlives its owner's reference while messages are out
 * (AddressSanitizer and valgrind check the frees). */
static void
test_pool(void)
{
    SimSipMsgPool *pool = sim_sip_msg_pool_new();
    SimSipUri ruri;
    sim_sip_uri_set(&ruri, TRUE, "callee", "example.net", 0, FALSE);
    SimSipMsg *a = sim_sip_msg_new_request_in(pool, SIM_SIP_BYE, &ruri);
    g_assert_true(a->pool == pool);
    gpointer rec = a;
    sim_sip_msg_unref(a);
    SimSipMsg *b = sim_sip_msg_new_request_in(pool, SIM_SIP_INVITE, &ruri);
    g_assert_true((gpointer)b == rec);
    g_assert_cmpuint(b->n_via, ==, 0);
    g_assert_cmpuint(b->cseq, ==, 0);
    SimSipMsg *c = sim_sip_msg_copy(b);
    SimSipMsg *r = sim_sip_msg_new_response(b, 200);
    g_assert_true(c->pool == pool && r->pool == pool);
    sim_sip_msg_pool_unref(pool);
    sim_sip_msg_unref(b);
    sim_sip_msg_unref(c);
    sim_sip_msg_finish(r);
    g_assert_cmpuint(r->base.len, >, 0);
    sim_sip_msg_unref(r);
}

static void
test_host_equal(void)
{
    /* RFC 5922 7.2: case-insensitive, whole name, no wildcard. */
    g_assert_true(sim_sip_host_equal("EXAMPLE.com", "example.COM"));
    g_assert_false(sim_sip_host_equal("example.com", "foo.example.com"));
    g_assert_false(sim_sip_host_equal("*.example.com", "a.example.com"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_summary("SIP messages: RFC 3261 wire size equals the text, "
                   "alias bytes, realistic sizes, Via stack, host match");
    g_test_add_func("/sip/message/size-is-text-length",
                    test_size_is_text_length);
    g_test_add_func("/sip/message/alias-adds-its-bytes",
                    test_alias_adds_its_bytes);
    g_test_add_func("/sip/message/sdp-body", test_sdp_body);
    g_test_add_func("/sip/message/pool", test_pool);
    g_test_add_func("/sip/message/realistic-sizes", test_realistic_sizes);
    g_test_add_func("/sip/message/via-stack", test_via_stack);
    g_test_add_func("/sip/message/host-equal", test_host_equal);
    return g_test_run();
}
