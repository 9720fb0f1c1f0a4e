/*  =========================================================================
    test_node_relay - how a node addresses what its parties ask the broker

    Pure message work, no sockets: a request's corr gets the party's
    routing id in front and loses its caller; an answer carrying that corr
    is routed back to the party with the corr it first had; corrs that are
    too long, or answers whose corr is not ours, are refused and left as
    they were; a refused request becomes SPAWNED or REPLY with the error.
    =========================================================================
*/

#include "testutil.h"
#include "zaf_node_relay.h"
#include <criterion/criterion.h>

TestSuite (node_relay, .timeout = 10);

static const byte s_routing [ZAF_INNER_ID_SIZE] = { 0x80, 0x00, 0x01, 0x02 };

static zaf_proto_t *
s_request (zaf_proto_id_t id, const char *corr)
{
    zaf_proto_t *msg = zaf_proto_new ();
    zaf_proto_set_id (msg, id);
    zaf_proto_set_caller (msg, "someone", 7);
    zaf_proto_set_corr (msg, corr, strlen (corr));
    return msg;
}

Test (node_relay, prefix_route_round_trip)
{
    zaf_proto_t *msg = s_request (ZAF_PROTO_CALL, "c-17");
    cr_assert_eq (zaf_node_relay_prefix (msg, s_routing), 0);
    size_t size;
    const byte *corr = (const byte *) zaf_proto_corr (msg, &size);
    cr_assert_eq (size, ZAF_INNER_ID_SIZE + 4);
    cr_assert_eq (memcmp (corr, s_routing, ZAF_INNER_ID_SIZE), 0);
    cr_assert_eq (memcmp (corr + ZAF_INNER_ID_SIZE, "c-17", 4), 0);
    zaf_proto_caller (msg, &size);
    cr_assert_eq (size, 0, "the broker sets the caller, not the party");

    //  The broker echoes the corr in its answer
    zaf_proto_set_id (msg, ZAF_PROTO_REPLY);
    cr_assert_eq (zaf_node_relay_route (msg), 0x80000102u);
    const byte *routing = (const byte *) zaf_proto_routing_id (msg, &size);
    cr_assert_eq (size, ZAF_INNER_ID_SIZE);
    cr_assert_eq (memcmp (routing, s_routing, ZAF_INNER_ID_SIZE), 0);
    corr = (const byte *) zaf_proto_corr (msg, &size);
    cr_assert_eq (size, 4);
    cr_assert_eq (memcmp (corr, "c-17", 4), 0);
    zaf_proto_destroy (&msg);
}

Test (node_relay, unprefix_restores_the_corr)
{
    zaf_proto_t *msg = s_request (ZAF_PROTO_SPAWN, "abc");
    cr_assert_eq (zaf_node_relay_prefix (msg, s_routing), 0);
    zaf_node_relay_unprefix (msg);
    size_t size;
    const char *corr = (const char *) zaf_proto_corr (msg, &size);
    cr_assert_eq (size, 3);
    cr_assert_eq (memcmp (corr, "abc", 3), 0);
    zaf_proto_destroy (&msg);
}

Test (node_relay, no_corr_no_prefix)
{
    zaf_proto_t *msg = s_request (ZAF_PROTO_TELL, "");
    cr_assert_eq (zaf_node_relay_prefix (msg, s_routing), 0);
    size_t size;
    zaf_proto_corr (msg, &size);
    cr_assert_eq (size, 0, "a tell has no answer to route");
    zaf_proto_destroy (&msg);
}

Test (node_relay, too_long_corr_is_refused_unchanged)
{
    char corr [ZAF_PROTO_ID_MAX + 1];
    memset (corr, 'x', ZAF_PROTO_ID_MAX - ZAF_INNER_ID_SIZE + 1);
    corr [ZAF_PROTO_ID_MAX - ZAF_INNER_ID_SIZE + 1] = 0;
    zaf_proto_t *msg = s_request (ZAF_PROTO_CALL, corr);
    cr_assert_eq (zaf_node_relay_prefix (msg, s_routing), -1);
    size_t size;
    zaf_proto_corr (msg, &size);
    cr_assert_eq (size, strlen (corr));
    zaf_proto_caller (msg, &size);
    cr_assert_eq (size, 7);
    zaf_proto_destroy (&msg);

    //  One byte less fits exactly
    corr [strlen (corr) - 1] = 0;
    msg = s_request (ZAF_PROTO_CALL, corr);
    cr_assert_eq (zaf_node_relay_prefix (msg, s_routing), 0);
    zaf_proto_corr (msg, &size);
    cr_assert_eq (size, ZAF_PROTO_ID_MAX);
    zaf_proto_destroy (&msg);
}

Test (node_relay, answers_not_ours_are_not_routed)
{
    //  Too short to carry a prefix and a corr
    zaf_proto_t *msg = s_request (ZAF_PROTO_REPLY, "abcd");
    cr_assert_eq (zaf_node_relay_route (msg), 0);
    size_t size;
    zaf_proto_corr (msg, &size);
    cr_assert_eq (size, 4, "left as it was");
    zaf_proto_destroy (&msg);
    //  Long enough, but the first byte lacks the inner id's top bit
    msg = s_request (ZAF_PROTO_REPLY, "plain-corr");
    cr_assert_eq (zaf_node_relay_route (msg), 0);
    zaf_proto_corr (msg, &size);
    cr_assert_eq (size, 10);
    zaf_proto_destroy (&msg);
}

Test (node_relay, refusals_answer_in_kind)
{
    zaf_proto_t *msg = s_request (ZAF_PROTO_SPAWN, "s1");
    zaf_node_relay_refuse (msg, ZAF_BROKER_LOST, "node has no broker right now");
    cr_assert_eq (zaf_proto_id (msg), ZAF_PROTO_SPAWNED);
    cr_assert_not (zaf_proto_ok (msg));
    zaf_proto_destroy (&msg);

    msg = s_request (ZAF_PROTO_CALL, "c1");
    zaf_node_relay_refuse (msg, ZAF_OVERLOADED, "queue to the broker is full");
    cr_assert_eq (zaf_proto_id (msg), ZAF_PROTO_REPLY);
    cr_assert_not (zaf_proto_ok (msg));
    size_t size;
    const char *body = zaf_proto_body (msg, &size);
    zaf_error_t err;
    zaf_error_parse (body, size, &err);
    cr_assert_eq (err.code, ZAF_OVERLOADED);
    cr_assert_str_eq (err.message, "queue to the broker is full");
    zaf_proto_destroy (&msg);
}
