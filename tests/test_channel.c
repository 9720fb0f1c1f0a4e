/*  =========================================================================
    test_channel - one socket end, by value or by reference

    A DEALER and a ROUTER over inproc in this process: a message sent by
    value arrives field by field and can be read by either kind of
    receiver's codec; sent by reference it arrives whole through a
    by-reference channel, with the same fields. Nothing waits: nowait
    receives on an empty socket say EAGAIN.
    =========================================================================
*/

#include "testutil.h"
#include <criterion/criterion.h>

static void
s_pair (zsock_t **router, zsock_t **dealer)
{
    static int seq = 0;
    char endpoint [64];
    snprintf (endpoint, sizeof (endpoint), "inproc://test-channel-%d-%d", (int) getpid (), ++seq);
    *router = zsock_new_router (endpoint);
    *dealer = zsock_new (ZMQ_DEALER);
    zmq_setsockopt (zsock_resolve (*dealer), ZMQ_ROUTING_ID, "D1", 2);
    cr_assert_eq (zsock_connect (*dealer, "%s", endpoint), 0);
}

static void
s_round_trip (bool by_reference)
{
    zsock_t *router, *dealer;
    s_pair (&router, &dealer);
    zaf_channel_t *out = zaf_channel_new (dealer, by_reference);
    zaf_channel_t *in = zaf_channel_new (router, by_reference);
    cr_assert_eq (zaf_channel_socket (out), dealer);

    zaf_proto_t *msg = zaf_proto_new ();
    cr_assert_eq (zaf_channel_recv_nowait (in, msg), -1);
    cr_assert_eq (errno, EAGAIN);
    zaf_proto_set_id (msg, ZAF_PROTO_CALL);
    zaf_proto_set_actor (msg, "a-1");
    zaf_proto_set_name (msg, "get");
    zaf_proto_set_body (msg, "[1]", 3);
    zaf_proto_set_corr (msg, "c1", 2);
    cr_assert_eq (zaf_channel_send (out, msg), 0);
    zaf_proto_destroy (&msg);

    zaf_proto_t *got = zaf_proto_new ();
    cr_assert_eq (zaf_channel_recv (in, got), 0, "%s", zaf_proto_fault (got));
    cr_assert_eq (zaf_proto_id (got), ZAF_PROTO_CALL);
    cr_assert_str_eq (zaf_proto_actor (got), "a-1");
    cr_assert_str_eq (zaf_proto_name (got), "get");
    size_t size;
    const char *body = zaf_proto_body (got, &size);
    cr_assert_eq (size, 3);
    cr_assert (memcmp (body, "[1]", 3) == 0);
    const void *routing_id = zaf_proto_routing_id (got, &size);
    cr_assert_eq (size, 2);
    cr_assert (memcmp (routing_id, "D1", 2) == 0);
    zaf_proto_destroy (&got);

    zaf_channel_destroy (&out);
    zaf_channel_destroy (&in);
    cr_assert_null (out);
    zsock_destroy (&dealer);
    zsock_destroy (&router);
}

Test (channel, by_value_round_trip, .timeout = 10)
{
    s_round_trip (false);
}

Test (channel, by_reference_round_trip, .timeout = 10)
{
    s_round_trip (true);
}

Test (channel, a_message_sent_by_value_reads_with_the_plain_codec, .timeout = 10)
{
    zsock_t *router, *dealer;
    s_pair (&router, &dealer);
    zaf_channel_t *out = zaf_channel_new (dealer, false);
    zaf_proto_t *msg = zaf_proto_new ();
    zaf_proto_set_id (msg, ZAF_PROTO_HEARTBEAT);
    cr_assert_eq (zaf_channel_send (out, msg), 0);
    cr_assert_eq (zaf_proto_recv (msg, router), 0);
    cr_assert_eq (zaf_proto_id (msg), ZAF_PROTO_HEARTBEAT);
    zaf_proto_destroy (&msg);
    zaf_channel_destroy (&out);
    zsock_destroy (&dealer);
    zsock_destroy (&router);
}
