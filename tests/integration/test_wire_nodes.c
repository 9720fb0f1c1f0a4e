/*  =========================================================================
    test_wire_nodes - the node side of ZAF1, played by fake nodes

    The test plays a node itself (HELLO with role node, heartbeats kept
    up) to send what a broken or hostile node could: answers to requests
    it never got, a REPLY where a SPAWNED is due, and a SPAWNED arriving
    after its requester has left.

    The client side is raw frames (tests/support/zt_peer): nothing here
    uses the codec or the client library. The other side is a real broker
    and node in this process. Every hostile test ends by checking that a
    well-behaved client is still served in full.
    =========================================================================
*/

#include "zt_peer.h"
#include <criterion/criterion.h>

TestSuite (wire, .fini = zt_peer_teardown, .timeout = 60);

Test (wire, hostile_fake_node_replies, .timeout = 60)
{
    zt_peer_start (NULL);
    void *node_a = zt_peer_fake_node ("fake-a", "[\"Fake\"]", true);
    void *node_b = zt_peer_fake_node ("fake-b", "[]", true);
    void *client = zt_peer_socket ();
    cJSON *welcome = zt_peer_hello (client, "driver", "{}");
    byte routing_id [255];
    size_t routing_size = zt_peer_unhex (zt_peer_jstr (welcome, "peer", ""), routing_id);
    zt_peer_json_free (welcome);

    //  Only fake-a serves Fake: the SPAWN goes there, laid out per the spec
    zt_corr_t spawn_corr = zt_peer_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("SPAWN"), FS (""), FC (spawn_corr), FS (""), FS ("Fake"),
          FS ("{\"name\":\"faked\"}"), FS ("[1,2]"));
    zt_msg_t *spawn = zt_peer_expect (node_a);
    cr_assert (zt_peer_is (spawn, "SPAWN") && spawn->count == 8, "fake-a got %s", zt_peer_describe (spawn));
    cr_assert (zt_peer_frame_eq (spawn, 2, routing_id, routing_size), "caller is the driver's routing id");
    cr_assert (zt_peer_frame_eq (spawn, 3, spawn_corr.data, 8));
    cr_assert (spawn->size [4] > 0 && spawn->size [4] <= 64);
    cr_assert_str_eq (spawn->data [5], "Fake");
    cr_assert_str_eq (spawn->data [6], "{\"name\":\"faked\"}");
    cr_assert_str_eq (spawn->data [7], "[1,2]");
    char actor [65];
    snprintf (actor, sizeof (actor), "%s", spawn->data [4]);
    //  A SPAWNED for it from fake-b is dropped (wrong peer), and fake-b told so
    SEND (node_b, FS ("ZAF1"), FS ("SPAWNED"), FB (routing_id, routing_size), FC (spawn_corr),
          FS (actor), FS ("ok"), FS ("{}"));
    zt_peer_expect_error (node_b, "PROTOCOL");
    SEND (node_a, FS ("ZAF1"), FS ("SPAWNED"), FB (routing_id, routing_size), FC (spawn_corr),
          FS (actor), FS ("ok"), FS ("{}"));
    zt_peer_msg_destroy (&spawn);
    zt_msg_t *msg = zt_peer_answer (client, "SPAWNED", spawn_corr);
    cr_assert (zt_peer_answer_ok (msg));
    cr_assert_str_eq (msg->data [4], actor);
    zt_peer_msg_destroy (&msg);

    //  A CALL reaches fake-a with the caller filled in
    zt_corr_t corr = zt_peer_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS (actor), FS ("ping"), FS ("[]"));
    zt_msg_t *call = zt_peer_expect (node_a);
    cr_assert (zt_peer_is (call, "CALL") && call->count == 7, "fake-a got %s", zt_peer_describe (call));
    cr_assert (zt_peer_frame_eq (call, 2, routing_id, routing_size));
    cr_assert (zt_peer_frame_eq (call, 3, corr.data, 8));
    cr_assert_str_eq (call->data [4], actor);
    cr_assert_str_eq (call->data [5], "ping");
    zt_peer_msg_destroy (&call);

    //  fake-b answers a call it never received: dropped, and told so
    SEND (node_b, FS ("ZAF1"), FS ("REPLY"), FB (routing_id, routing_size), FC (corr),
          FS ("ok"), FS ("666"));
    zt_peer_expect_error (node_b, "PROTOCOL");
    //  The real answer from fake-a reaches the client, once
    SEND (node_a, FS ("ZAF1"), FS ("REPLY"), FB (routing_id, routing_size), FC (corr),
          FS ("ok"), FS ("42"));
    msg = zt_peer_answer (client, "REPLY", corr);
    cJSON *result = zt_peer_answer_result (msg);
    cr_assert_eq (result->valuedouble, 42);
    zt_peer_json_free (result);
    zt_peer_msg_destroy (&msg);
    //  Late answers: a second REPLY, a REPLY for nothing, a SPAWNED for nothing
    SEND (node_a, FS ("ZAF1"), FS ("REPLY"), FB (routing_id, routing_size), FC (corr),
          FS ("ok"), FS ("43"));
    zt_corr_t random = zt_peer_corr (0xdeadbeefULL);
    SEND (node_b, FS ("ZAF1"), FS ("REPLY"), FS ("nobody"), FC (random), FS ("error"),
          FS ("{\"code\":\"METHOD_FAILED\",\"message\":\"x\"}"));
    SEND (node_a, FS ("ZAF1"), FS ("SPAWNED"), FB (routing_id, routing_size), FC (random),
          FS ("ffffffff00000001"), FS ("ok"), FS ("{}"));
    //  Each fake node's messages are handled in order: once their STATUS is
    //  answered, the late answers above have been handled
    zt_peer_json_free (zt_peer_status (node_a, "{}"));
    zt_peer_json_free (zt_peer_status (node_b, "{}"));
    //  Nothing reached the client but the answer to its own STATUS
    cJSON *status = zt_peer_status (client, "{\"actors\":true}");
    cr_assert_eq (zt_peer_counter (status, "wrong_peer"), 2);
    cr_assert_eq (zt_peer_counter (status, "late_replies"), 3);
    cr_assert_eq (zt_peer_array_size (status, "nodes"), 3);
    zt_peer_json_free (status);

    //  An EXIT from fake-b for fake-a's actor changes nothing
    SEND (node_b, FS ("ZAF1"), FS ("EXIT"), FS (actor), FS ("{\"reason\":\"forged\"}"));
    zt_peer_json_free (zt_peer_status (node_b, "{}"));
    msg = zt_peer_lookup (client, "faked");
    result = zt_peer_answer_result (msg);
    cr_assert_str_eq (zt_peer_jstr (result, "actor", ""), actor);
    cr_assert_str_eq (zt_peer_jstr (result, "node", ""), "fake-a");
    zt_peer_json_free (result);
    zt_peer_msg_destroy (&msg);
    //  An EXIT from fake-a ends it: later calls get ACTOR_DIED
    SEND (node_a, FS ("ZAF1"), FS ("EXIT"), FS (actor), FS ("{\"reason\":\"crashed\"}"));
    zt_peer_json_free (zt_peer_status (node_a, "{}"));
    msg = zt_peer_call (client, actor, "ping", "[]");
    zt_peer_assert_answer_error (msg, "ACTOR_DIED");
    cJSON *body = zt_peer_body (msg);
    cr_assert (strstr (zt_peer_jstr (body, "message", ""), "crashed"));
    zt_peer_json_free (body);
    zt_peer_msg_destroy (&msg);
    zt_peer_good_client_works ();
}

//  A node answers a SPAWN with a REPLY: the wrong kind of answer must not
//  reach the requester, whose spawn still gets its one SPAWNED
Test (wire, hostile_fake_node_answers_spawn_with_reply, .timeout = 60)
{
    zt_peer_start (NULL);
    void *node_a = zt_peer_fake_node ("fake-a", "[\"Fake\"]", true);
    void *client = zt_peer_client ("driver");
    zt_corr_t corr = zt_peer_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("SPAWN"), FS (""), FC (corr), FS (""), FS ("Fake"),
          FS ("{\"name\":\"ghost\"}"), FS ("[]"));
    zt_msg_t *spawn = zt_peer_expect (node_a);
    cr_assert (zt_peer_is (spawn, "SPAWN") && spawn->count == 8, "fake-a got %s", zt_peer_describe (spawn));
    char actor [65];
    snprintf (actor, sizeof (actor), "%s", spawn->data [4]);
    SEND (node_a, FS ("ZAF1"), FS ("REPLY"), FB (spawn->data [2], spawn->size [2]),
          FB (spawn->data [3], spawn->size [3]), FS ("ok"), FS ("{}"));
    zt_peer_expect_error (node_a, "PROTOCOL");        //  Refused: SPAWN wants SPAWNED
    SEND (node_a, FS ("ZAF1"), FS ("SPAWNED"), FB (spawn->data [2], spawn->size [2]),
          FB (spawn->data [3], spawn->size [3]), FS (actor), FS ("ok"), FS ("{}"));
    zt_peer_msg_destroy (&spawn);

    zt_msg_t *msg = zt_peer_expect (client);
    cr_assert (zt_peer_is (msg, "SPAWNED"), "the SPAWN was answered with %s", zt_peer_describe (msg));
    cr_assert (zt_peer_frame_eq (msg, 3, corr.data, 8) && zt_peer_answer_ok (msg));
    cr_assert_str_eq (msg->data [4], actor);
    zt_peer_msg_destroy (&msg);
    msg = zt_peer_lookup (client, "ghost");
    cJSON *result = zt_peer_answer_result (msg);
    cr_assert_str_eq (zt_peer_jstr (result, "actor", ""), actor);
    zt_peer_json_free (result);
    zt_peer_msg_destroy (&msg);
    zt_peer_good_client_works ();
}

//  The requester of a SPAWN leaves before the SPAWNED: nobody holds the new
//  actor, so the broker kills it and its name is free again
Test (wire, spawn_orphaned_by_leaving_requester, .timeout = 60)
{
    zt_peer_start (NULL);
    void *node_a = zt_peer_fake_node ("fake-a", "[\"Fake\"]", true);
    void *client = zt_peer_client ("driver");
    zt_corr_t corr = zt_peer_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("SPAWN"), FS (""), FC (corr), FS (""), FS ("Fake"),
          FS ("{\"name\":\"orphan\"}"), FS ("[]"));
    zt_msg_t *spawn = zt_peer_expect (node_a);
    cr_assert (zt_peer_is (spawn, "SPAWN") && spawn->count == 8, "fake-a got %s", zt_peer_describe (spawn));
    char actor [65];
    snprintf (actor, sizeof (actor), "%s", spawn->data [4]);

    //  The requester says BYE; once its next message gets BYE, it is gone
    SEND (client, FS ("ZAF1"), FS ("BYE"), FS ("{\"reason\":\"leaving\"}"));
    zt_corr_t probe = zt_peer_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("STATUS"), FS (""), FC (probe), FS ("{}"));
    zt_msg_t *msg = zt_peer_expect (client);
    zt_peer_assert_bye (msg);
    zt_peer_msg_destroy (&msg);

    //  The node reports the actor ready: the broker must not keep it
    SEND (node_a, FS ("ZAF1"), FS ("SPAWNED"), FB (spawn->data [2], spawn->size [2]),
          FB (spawn->data [3], spawn->size [3]), FS (actor), FS ("ok"), FS ("{}"));
    zt_peer_msg_destroy (&spawn);
    msg = zt_peer_expect_within (node_a, 5000);
    cr_assert (msg && zt_peer_is (msg, "KILL") && msg->count == 6,
               "the orphaned actor was not killed: fake-a got %s", zt_peer_describe (msg));
    cr_assert_str_eq (msg->data [4], actor);
    cJSON *body = zt_peer_body (msg);
    cr_assert_str_eq (zt_peer_jstr (body, "reason", ""), "owner_died");
    zt_peer_json_free (body);
    zt_peer_msg_destroy (&msg);
    SEND (node_a, FS ("ZAF1"), FS ("EXIT"), FS (actor), FS ("{\"reason\":\"killed\"}"));
    zt_peer_json_free (zt_peer_status (node_a, "{}"));

    //  The name is free and the actor is forgotten
    void *other = zt_peer_client ("driver");
    char again [65];
    zt_peer_spawn_ok (other, "Counter", "{\"name\":\"orphan\"}", "[]", again);
    cJSON *status = zt_peer_status (other, "{}");
    cr_assert_eq (zt_peer_jnum (status, "actors_total", -1), 1);
    zt_peer_json_free (status);
    zt_peer_good_client_works ();
}
