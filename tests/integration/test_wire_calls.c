/*  =========================================================================
    test_wire_calls - ZAF1 requests routed to actors and tasks

    SPAWN, CALL, TELL and SUBMIT routed through the broker to a real node
    and answered: results, order of a TELL before a CALL, unknown actors,
    the bound on requests pending for one actor, and a correlation id
    reused while its request is still in flight.

    The client side is raw frames (tests/support/zt_peer): nothing here
    uses the codec or the client library. The other side is a real broker
    and node in this process. Every hostile test ends by checking that a
    well-behaved client is still served in full.
    =========================================================================
*/

#include "zt_peer.h"
#include <criterion/criterion.h>

TestSuite (wire, .fini = zt_peer_teardown, .timeout = 60);

Test (wire, spawn_call_reply, .timeout = 60)
{
    zt_peer_start (NULL);
    void *client = zt_peer_socket ();
    cJSON *welcome = zt_peer_hello (client, "driver", "{}");
    byte routing_id [255];
    size_t routing_size = zt_peer_unhex (zt_peer_jstr (welcome, "peer", ""), routing_id);
    zt_peer_json_free (welcome);

    zt_msg_t *spawned = zt_peer_spawn (client, "Counter", "{}", "[5]");
    cr_assert (zt_peer_answer_ok (spawned), "spawn failed: %s", zt_peer_describe (spawned));
    char actor [65];
    snprintf (actor, sizeof (actor), "%s", spawned->data [4]);
    cr_assert_gt (strlen (actor), 0);
    zt_peer_msg_destroy (&spawned);

    //  CALL add -> REPLY ok with the value; the caller frame carries our
    //  routing id (informational), the corr is echoed byte for byte
    zt_corr_t corr = zt_peer_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS (actor), FS ("add"), FS ("[2]"));
    zt_msg_t *reply = zt_peer_answer (client, "REPLY", corr);
    cr_assert (zt_peer_frame_eq (reply, 2, routing_id, routing_size));
    cJSON *result = zt_peer_answer_result (reply);
    cr_assert (cJSON_IsNumber (result) && result->valuedouble == 7, "got %s", zt_peer_describe (reply));
    zt_peer_json_free (result);
    zt_peer_msg_destroy (&reply);
    cr_assert_eq (zt_peer_call_number (client, actor, "add", "[3]"), 10);
    cr_assert_eq (zt_peer_call_number (client, actor, "get", "[]"), 10);

    //  Whatever a client puts in caller is replaced by the broker
    corr = zt_peer_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("CALL"), FS ("forged"), FC (corr), FS (actor), FS ("get"), FS ("[]"));
    reply = zt_peer_answer (client, "REPLY", corr);
    cr_assert (zt_peer_frame_eq (reply, 2, routing_id, routing_size));
    zt_peer_msg_destroy (&reply);

    //  A null result is the body null
    reply = zt_peer_call (client, actor, "echo", "[null]");
    result = zt_peer_answer_result (reply);
    cr_assert (cJSON_IsNull (result));
    zt_peer_json_free (result);
    zt_peer_msg_destroy (&reply);

    //  Errors from the actor runtime
    zt_peer_call_fails (client, actor, "no_such_method", "[]", "NO_SUCH_METHOD");
    zt_peer_call_fails (client, actor, "add", "[1,", "BAD_ARGS");
    zt_peer_call_fails (client, actor, "add", "", "BAD_ARGS");
    zt_peer_call_fails (client, actor, "fail", "[\"boom\"]", "METHOD_FAILED");
    zt_peer_call_fails (client, actor, "fail_code", "[\"NAME_TAKEN\",\"custom\"]", "NAME_TAKEN");
    //  A failed method does not end the actor
    cr_assert_eq (zt_peer_call_number (client, actor, "get", "[]"), 10);

    //  Constructor failure: SPAWNED error, with the constructor's code
    spawned = zt_peer_spawn (client, "Refuser", "{}", "[]");
    zt_peer_assert_answer_error (spawned, "BAD_ARGS");
    zt_peer_msg_destroy (&spawned);
    //  Constructor args that are not JSON
    spawned = zt_peer_spawn (client, "Counter", "{}", "[oops");
    zt_peer_assert_answer_error (spawned, "BAD_ARGS");
    zt_peer_msg_destroy (&spawned);
    //  Empty options and empty args mean {} and []
    char other [65];
    zt_peer_spawn_ok (client, "Counter", "", "", other);
    cr_assert_eq (zt_peer_call_number (client, other, "get", "[]"), 0);
    cr_assert_str_neq (other, actor);
}

Test (wire, tell_then_call_keeps_order, .timeout = 60)
{
    zt_peer_start (NULL);
    void *client = zt_peer_client ("driver");
    char actor [65];
    zt_peer_spawn_ok (client, "Counter", "{}", "[0]", actor);
    zt_peer_tell (client, actor, "add", "[5]");
    cr_assert_eq (zt_peer_call_number (client, actor, "get", "[]"), 5);

    //  200 tells, interleaved with calls, then the record: all in order
    for (int index = 0; index < 200; index++) {
        char args [32];
        snprintf (args, sizeof (args), "[%d]", index);
        zt_peer_tell (client, actor, "record", args);
        if (index % 50 == 49) {
            zt_corr_t corr = zt_peer_next_corr ();
            SEND (client, FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS (actor),
                  FS ("record"), FS ("[\"call\"]"));
            zt_msg_t *reply = zt_peer_answer (client, "REPLY", corr);
            cJSON *result = zt_peer_answer_result (reply);
            cr_assert_eq (result->valuedouble, index + 1 + (index / 50) + 1);
            zt_peer_json_free (result);
            zt_peer_msg_destroy (&reply);
        }
    }
    zt_msg_t *reply = zt_peer_call (client, actor, "recorded", "[]");
    cJSON *list = zt_peer_answer_result (reply);
    cr_assert_eq (cJSON_GetArraySize (list), 204);
    int expected = 0;
    int position = 0;
    const cJSON *item;
    cJSON_ArrayForEach (item, list) {
        if (position % 51 == 50)
            cr_assert (cJSON_IsString (item), "call not in its place at %d", position);
        else {
            cr_assert (cJSON_IsNumber (item) && item->valuedouble == expected,
                       "tell %d out of order at %d", expected, position);
            expected++;
        }
        position++;
    }
    zt_peer_json_free (list);
    zt_peer_msg_destroy (&reply);
    //  Tells are never answered
    zt_peer_expect_nothing (client, 200);
}

Test (wire, submit_runs_a_function, .timeout = 60)
{
    zt_peer_start (NULL);
    void *client = zt_peer_client ("driver");
    zt_corr_t corr = zt_peer_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("SUBMIT"), FS (""), FC (corr), FS ("add"), FS ("[2,3]"));
    zt_msg_t *reply = zt_peer_answer (client, "REPLY", corr);
    cJSON *result = zt_peer_answer_result (reply);
    cr_assert (cJSON_IsNumber (result) && result->valuedouble == 5);
    zt_peer_json_free (result);
    zt_peer_msg_destroy (&reply);

    corr = zt_peer_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("SUBMIT"), FS (""), FC (corr), FS ("no_such_function"), FS ("[]"));
    reply = zt_peer_answer (client, "REPLY", corr);
    zt_peer_assert_answer_error (reply, "NO_SUCH_FUNCTION");
    zt_peer_msg_destroy (&reply);

    corr = zt_peer_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("SUBMIT"), FS (""), FC (corr), FS ("fail"), FS ("[\"boom\"]"));
    reply = zt_peer_answer (client, "REPLY", corr);
    zt_peer_assert_answer_error (reply, "METHOD_FAILED");
    cJSON *body = zt_peer_body (reply);
    cr_assert_str_eq (zt_peer_jstr (body, "message", ""), "boom");
    zt_peer_json_free (body);
    zt_peer_msg_destroy (&reply);

    //  Several in flight at once, each answered once on its own corr
    bool seen [10] = { false };
    for (int index = 0; index < 10; index++) {
        zt_corr_t task = zt_peer_corr (1000 + index);
        char args [32];
        snprintf (args, sizeof (args), "[%d,1]", index);
        SEND (client, FS ("ZAF1"), FS ("SUBMIT"), FS (""), FC (task), FS ("add"), FS (args));
    }
    for (int count = 0; count < 10; count++) {
        zt_msg_t *msg = zt_peer_expect (client);
        cr_assert (zt_peer_is (msg, "REPLY") && msg->count == 6 && msg->size [3] == 8);
        int index = (byte) msg->data [3] [7] + 256 * (byte) msg->data [3] [6] - 1000;
        cr_assert (index >= 0 && index < 10 && !seen [index]);
        seen [index] = true;
        result = zt_peer_answer_result (msg);
        cr_assert_eq (result->valuedouble, index + 1);
        zt_peer_json_free (result);
        zt_peer_msg_destroy (&msg);
    }
}

//  A SUBMIT's envelope options may place it (docs/PROTOCOL.md 9.7, 11)
Test (wire, submit_placement_options, .timeout = 60)
{
    zt_peer_start (NULL);
    void *client = zt_peer_client ("driver");
    struct {
        const char *options;
        const char *code;           //  NULL: runs
    } cases [] = {
        { "{\"resources\":{\"cpu\":-1}}", "BAD_ARGS" },
        { "{\"resources\":[1]}", "BAD_ARGS" },
        { "{\"labels\":{\"zone\":3}}", "BAD_ARGS" },
        { "{\"affinity\":\"n1\"}", "BAD_ARGS" },
        { "{\"strategy\":\"wide\"}", "BAD_ARGS" },
        { "{\"labels\":{\"zone\":\"a\"}}", "NO_RESOURCES" },
        { "{\"resources\":{\"gpu\":1}}", "NO_RESOURCES" },
        { "{\"affinity\":{\"node\":\"nowhere\"}}", "NO_SUCH_NODE" },
        { "{\"strategy\":\"pack\"}", NULL },
        { "{}", NULL }
    };
    for (size_t index = 0; index < sizeof (cases) / sizeof (cases [0]); index++) {
        zt_corr_t corr = zt_peer_next_corr ();
        SEND (client, FS ("ZAF1"), FS ("SUBMIT"), FS (""), FC (corr), FS ("add"),
              FS (cases [index].options), FS ("[2,3]"));
        zt_msg_t *reply = zt_peer_answer (client, "REPLY", corr);
        if (cases [index].code)
            zt_peer_assert_answer_error (reply, cases [index].code);
        else {
            cJSON *result = zt_peer_answer_result (reply);
            cr_assert (cJSON_IsNumber (result) && result->valuedouble == 5,
                       "options %s", cases [index].options);
            zt_peer_json_free (result);
        }
        zt_peer_msg_destroy (&reply);
    }
}

Test (wire, pending_bound_overloads, .timeout = 60)
{
    zt_peer_config_t config = { .max_pending = "2" };
    zt_peer_start (&config);
    void *fake = zt_peer_fake_node ("slow-node", "[\"Fake\"]", true);
    void *client = zt_peer_client ("driver");
    zt_corr_t corr = zt_peer_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("SPAWN"), FS (""), FC (corr), FS (""), FS ("Fake"), FS ("{}"), FS ("[]"));
    zt_msg_t *spawn = zt_peer_expect (fake);
    cr_assert (zt_peer_is (spawn, "SPAWN"));
    SEND (fake, FS ("ZAF1"), FS ("SPAWNED"), FB (spawn->data [2], spawn->size [2]),
          FB (spawn->data [3], spawn->size [3]), FS (spawn->data [4]), FS ("ok"), FS ("{}"));
    char actor [65];
    snprintf (actor, sizeof (actor), "%s", spawn->data [4]);
    zt_peer_msg_destroy (&spawn);
    zt_msg_t *msg = zt_peer_answer (client, "SPAWNED", corr);
    cr_assert (zt_peer_answer_ok (msg));
    zt_peer_msg_destroy (&msg);

    //  Two calls in flight fill the bound; the third is refused at once
    zt_corr_t calls [3] = { zt_peer_next_corr (), zt_peer_next_corr (), zt_peer_next_corr () };
    for (int index = 0; index < 3; index++)
        SEND (client, FS ("ZAF1"), FS ("CALL"), FS (""), FC (calls [index]), FS (actor),
              FS ("ping"), FS ("[]"));
    msg = zt_peer_answer (client, "REPLY", calls [2]);
    zt_peer_assert_answer_error (msg, "OVERLOADED");
    zt_peer_msg_destroy (&msg);
    //  The node answers the two it got, in order
    for (int index = 0; index < 2; index++) {
        zt_msg_t *call = zt_peer_expect (fake);
        cr_assert (zt_peer_is (call, "CALL") && zt_peer_frame_eq (call, 3, calls [index].data, 8));
        SEND (fake, FS ("ZAF1"), FS ("REPLY"), FB (call->data [2], call->size [2]),
              FB (call->data [3], call->size [3]), FS ("ok"), FS ("\"pong\""));
        zt_peer_msg_destroy (&call);
        msg = zt_peer_answer (client, "REPLY", calls [index]);
        cJSON *result = zt_peer_answer_result (msg);
        cr_assert_str_eq (result->valuestring, "pong");
        zt_peer_json_free (result);
        zt_peer_msg_destroy (&msg);
    }
    cJSON *status = zt_peer_status (client, "{}");
    cr_assert_eq (zt_peer_counter (status, "overloaded"), 1);
    zt_peer_json_free (status);
}

Test (wire, hostile_corr_reused_in_flight, .timeout = 60)
{
    zt_peer_start (NULL);
    void *hostile = zt_peer_client ("driver");
    char actor [65];
    zt_peer_spawn_ok (hostile, "Counter", "{}", "[0]", actor);

    //  Two CALLs on one corr: the second is refused at once and never runs
    zt_corr_t corr = zt_peer_next_corr ();
    SEND (hostile, FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS (actor), FS ("sleep"), FS ("[400]"));
    SEND (hostile, FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS (actor), FS ("add"), FS ("[1]"));
    bool refused = false, answered = false;
    for (int count = 0; count < 2; count++) {
        zt_msg_t *msg = zt_peer_answer (hostile, "REPLY", corr);
        if (zt_peer_answer_ok (msg)) {
            cJSON *result = zt_peer_answer_result (msg);
            cr_assert_eq (result->valuedouble, 400);
            zt_peer_json_free (result);
            answered = true;
        }
        else {
            zt_peer_assert_answer_error (msg, "PROTOCOL");
            refused = true;
        }
        zt_peer_msg_destroy (&msg);
    }
    cr_assert (refused && answered);
    //  Once answered, the corr may be used again; the refused add never ran
    SEND (hostile, FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS (actor), FS ("get"), FS ("[]"));
    zt_msg_t *msg = zt_peer_answer (hostile, "REPLY", corr);
    cJSON *result = zt_peer_answer_result (msg);
    cr_assert_eq (result->valuedouble, 0);
    zt_peer_json_free (result);
    zt_peer_msg_destroy (&msg);

    //  A SPAWN on a corr that a CALL holds is refused too
    corr = zt_peer_next_corr ();
    SEND (hostile, FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS (actor), FS ("sleep"), FS ("[300]"));
    SEND (hostile, FS ("ZAF1"), FS ("SPAWN"), FS (""), FC (corr), FS (""), FS ("Counter"), FS ("{}"), FS ("[]"));
    refused = answered = false;
    for (int count = 0; count < 2; count++) {
        msg = zt_peer_expect (hostile);
        cr_assert (zt_peer_frame_eq (msg, 3, corr.data, 8), "got %s", zt_peer_describe (msg));
        if (zt_peer_is (msg, "SPAWNED")) {
            zt_peer_assert_answer_error (msg, "PROTOCOL");
            refused = true;
        }
        else {
            cr_assert (zt_peer_is (msg, "REPLY") && zt_peer_answer_ok (msg));
            answered = true;
        }
        zt_peer_msg_destroy (&msg);
    }
    cr_assert (refused && answered);
    cJSON *status = zt_peer_status (hostile, "{\"actors\":true}");
    cr_assert_eq (zt_peer_jnum (status, "actors_total", -1), 1);
    cr_assert_eq (zt_peer_jnum (status, "flights", -1), 0);
    zt_peer_json_free (status);
    zt_peer_good_client_works ();
}

Test (wire, unknown_actor, .timeout = 60)
{
    zt_peer_start (NULL);
    void *client = zt_peer_client ("driver");
    zt_peer_call_fails (client, "ffffffff00000999", "get", "[]", "NO_SUCH_ACTOR");
    zt_peer_tell (client, "ffffffff00000999", "get", "[]");
    zt_peer_expect_error (client, "NO_SUCH_ACTOR");
    zt_msg_t *reply = zt_peer_kill (client, "ffffffff00000999");
    zt_peer_assert_answer_error (reply, "NO_SUCH_ACTOR");
    zt_peer_msg_destroy (&reply);
    //  KILL without corr of an unknown actor: nothing at all
    SEND (client, FS ("ZAF1"), FS ("KILL"), FS (""), FS (""), FS ("ffffffff00000999"), FS ("{}"));
    zt_peer_expect_nothing (client, 200);
}
