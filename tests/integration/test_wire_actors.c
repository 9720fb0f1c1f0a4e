/*  =========================================================================
    test_wire_actors - ZAF1 actor lifetimes: spawn, kill, lookup, status

    Named actors found with LOOKUP, the STATUS snapshot, KILL and calls
    after it, and SPAWN refused: an unknown class, a node that does not
    exist, options over 1 MB.

    The client side is raw frames (tests/support/zt_peer): nothing here
    uses the codec or the client library. The other side is a real broker
    and node in this process. Every hostile test ends by checking that a
    well-behaved client is still served in full.
    =========================================================================
*/

#include "zt_peer.h"
#include <criterion/criterion.h>

TestSuite (wire, .fini = zt_peer_teardown, .timeout = 60);

Test (wire, lookup_named_actor, .timeout = 60)
{
    zt_peer_start (NULL);
    void *client = zt_peer_client ("driver");
    char actor [65];
    zt_peer_spawn_ok (client, "Counter", "{\"name\":\"wire-counter\"}", "[3]", actor);

    zt_msg_t *reply = zt_peer_lookup (client, "wire-counter");
    cr_assert_eq (reply->count, 6);
    cJSON *result = zt_peer_answer_result (reply);
    cr_assert_str_eq (zt_peer_jstr (result, "actor", ""), actor);
    cr_assert_str_eq (zt_peer_jstr (result, "class", ""), "Counter");
    cr_assert_str_eq (zt_peer_jstr (result, "node", ""), "wire-node");
    zt_peer_json_free (result);
    zt_peer_msg_destroy (&reply);

    //  Another client finds it by name and calls it
    void *other = zt_peer_client ("cli");
    reply = zt_peer_lookup (other, "wire-counter");
    result = zt_peer_answer_result (reply);
    cr_assert_eq (zt_peer_call_number (other, zt_peer_jstr (result, "actor", ""), "get", "[]"), 3);
    zt_peer_json_free (result);
    zt_peer_msg_destroy (&reply);

    reply = zt_peer_lookup (client, "nobody");
    zt_peer_assert_answer_error (reply, "NO_SUCH_ACTOR");
    zt_peer_msg_destroy (&reply);

    //  The name is held while the actor lives
    zt_msg_t *spawned = zt_peer_spawn (client, "Counter", "{\"name\":\"wire-counter\"}", "[]");
    zt_peer_assert_answer_error (spawned, "NAME_TAKEN");
    zt_peer_msg_destroy (&spawned);

    //  ... and freed when it ends
    zt_peer_kill_ok (client, actor);
    reply = zt_peer_lookup (client, "wire-counter");
    zt_peer_assert_answer_error (reply, "NO_SUCH_ACTOR");
    zt_peer_msg_destroy (&reply);
    char again [65];
    zt_peer_spawn_ok (client, "Counter", "{\"name\":\"wire-counter\"}", "[]", again);
    cr_assert_str_neq (again, actor);
}

Test (wire, status_snapshot, .timeout = 60)
{
    zt_peer_start (NULL);
    void *client = zt_peer_socket ();
    cJSON *welcome = zt_peer_hello (client, "driver", "{\"name\":\"wire-driver\",\"host\":\"h\",\"pid\":7}");
    char actor [65];
    zt_peer_spawn_ok (client, "Counter", "{\"name\":\"status-counter\"}", "[]", actor);

    cJSON *status = zt_peer_status (client, "{}");
    cr_assert_str_eq (zt_peer_jstr (status, "session", ""), zt_peer_jstr (welcome, "session", "?"));
    cr_assert (strstr (zt_peer_jstr (status, "endpoints", ""), zt_peer_endpoint ()));
    cr_assert_eq (zt_peer_jnum (status, "heartbeat_ms", 0), 1000);
    cr_assert_eq (zt_peer_jnum (status, "actors_total", 0), 1);
    cr_assert (cJSON_IsNumber (cJSON_GetObjectItemCaseSensitive (status, "uptime_s")));
    cr_assert (cJSON_IsNumber (cJSON_GetObjectItemCaseSensitive (status, "flights")));
    cr_assert_null (cJSON_GetObjectItemCaseSensitive (status, "actors"));

    cr_assert_eq (zt_peer_array_size (status, "nodes"), 1);
    const cJSON *node = cJSON_GetArrayItem (cJSON_GetObjectItemCaseSensitive (status, "nodes"), 0);
    cr_assert_str_eq (zt_peer_jstr (node, "name", ""), "wire-node");
    cr_assert_str_eq (zt_peer_jstr (node, "role", ""), "node");
    cr_assert_eq (zt_peer_jnum (node, "cpus", 0), 2);
    cr_assert_eq (zt_peer_jnum (node, "actors", -1), 1);
    cr_assert (zt_peer_string_in (cJSON_GetObjectItemCaseSensitive (node, "classes"), "Counter"));
    cr_assert (zt_peer_string_in (cJSON_GetObjectItemCaseSensitive (node, "classes"), "Refuser"));
    cr_assert (zt_peer_string_in (cJSON_GetObjectItemCaseSensitive (node, "functions"), "add"));

    cr_assert_eq (zt_peer_array_size (status, "clients"), 1);
    const cJSON *me = cJSON_GetArrayItem (cJSON_GetObjectItemCaseSensitive (status, "clients"), 0);
    cr_assert_str_eq (zt_peer_jstr (me, "peer", ""), zt_peer_jstr (welcome, "peer", "?"));
    cr_assert_str_eq (zt_peer_jstr (me, "role", ""), "driver");
    cr_assert_str_eq (zt_peer_jstr (me, "name", ""), "wire-driver");
    cr_assert_eq (zt_peer_jnum (me, "pid", 0), 7);

    const char *counters [] = {
        "calls", "tells", "replies", "spawns", "submits", "kills", "lookups", "errors_sent",
        "malformed", "unknown_peer", "late_replies", "wrong_peer", "unroutable", "overloaded",
        "peers_lost"
    };
    for (size_t index = 0; index < sizeof (counters) / sizeof (counters [0]); index++)
        zt_peer_counter (status, counters [index]);
    cr_assert_eq (zt_peer_counter (status, "spawns"), 1);
    cr_assert_eq (zt_peer_counter (status, "malformed"), 0);
    zt_peer_json_free (status);

    //  With actors: true, the actor list
    status = zt_peer_status (client, "{\"actors\":true}");
    cr_assert_eq (zt_peer_array_size (status, "actors"), 1);
    const cJSON *item = cJSON_GetArrayItem (cJSON_GetObjectItemCaseSensitive (status, "actors"), 0);
    cr_assert_str_eq (zt_peer_jstr (item, "id", ""), actor);
    cr_assert_str_eq (zt_peer_jstr (item, "class", ""), "Counter");
    cr_assert_str_eq (zt_peer_jstr (item, "node", ""), "wire-node");
    cr_assert_str_eq (zt_peer_jstr (item, "name", ""), "status-counter");
    cr_assert (zt_peer_jbool (item, "ready", false));
    cr_assert_eq (zt_peer_jnum (item, "pending", -1), 0);
    zt_peer_json_free (status);
    status = zt_peer_status (client, "{\"actors\":true,\"limit\":0}");
    cr_assert_eq (zt_peer_array_size (status, "actors"), 0);
    zt_peer_json_free (status);

    //  An empty request is {}; one that is not JSON is BAD_ARGS
    status = zt_peer_status (client, "");
    cr_assert_eq (zt_peer_array_size (status, "nodes"), 1);
    zt_peer_json_free (status);
    zt_corr_t corr = zt_peer_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("STATUS"), FS (""), FC (corr), FS ("not json"));
    zt_msg_t *reply = zt_peer_answer (client, "REPLY", corr);
    zt_peer_assert_answer_error (reply, "BAD_ARGS");
    zt_peer_msg_destroy (&reply);
    zt_peer_json_free (welcome);
}

Test (wire, kill_then_call, .timeout = 60)
{
    zt_peer_start (NULL);
    void *client = zt_peer_client ("driver");
    char actor [65];
    zt_peer_spawn_ok (client, "Counter", "{}", "[1]", actor);
    cr_assert_eq (zt_peer_call_number (client, actor, "get", "[]"), 1);

    //  KILL with a corr: exactly one REPLY ok null
    zt_peer_kill_ok (client, actor);
    zt_peer_call_fails (client, actor, "get", "[]", "ACTOR_DIED");
    //  Killing it again is not an error
    zt_peer_kill_ok (client, actor);
    //  A TELL to it: ERROR ACTOR_DIED to the sender
    zt_peer_tell (client, actor, "add", "[1]");
    zt_peer_expect_error (client, "ACTOR_DIED");

    //  KILL without corr: no answer, and the actor is gone
    char second [65];
    zt_peer_spawn_ok (client, "Counter", "{}", "[]", second);
    SEND (client, FS ("ZAF1"), FS ("KILL"), FS (""), FS (""), FS (second), FS ("{\"reason\":\"killed\"}"));
    zt_peer_call_fails (client, second, "get", "[]", "ACTOR_DIED");
    zt_peer_expect_nothing (client, 200);

    //  Calls queued behind a running method end ACTOR_DIED when it is killed
    char third [65];
    zt_peer_spawn_ok (client, "Counter", "{}", "[]", third);
    zt_corr_t slow = zt_peer_next_corr ();
    zt_corr_t queued = zt_peer_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("CALL"), FS (""), FC (slow), FS (third), FS ("sleep"), FS ("[300]"));
    SEND (client, FS ("ZAF1"), FS ("CALL"), FS (""), FC (queued), FS (third), FS ("get"), FS ("[]"));
    zt_corr_t kill = zt_peer_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("KILL"), FS (""), FC (kill), FS (third), FS ("{}"));
    int answered = 0;
    while (answered < 3) {
        zt_msg_t *msg = zt_peer_expect (client);
        cr_assert (zt_peer_is (msg, "REPLY") && msg->count == 6, "got %s", zt_peer_describe (msg));
        if (zt_peer_frame_eq (msg, 3, kill.data, 8)) {
            cr_assert (zt_peer_answer_ok (msg));
        }
        else {
            cr_assert (zt_peer_frame_eq (msg, 3, slow.data, 8) || zt_peer_frame_eq (msg, 3, queued.data, 8));
            zt_peer_assert_answer_error (msg, "ACTOR_DIED");
        }
        zt_peer_msg_destroy (&msg);
        answered++;
    }
    zt_peer_expect_nothing (client, 500);     //  The sleeper's own answer is dropped
}

Test (wire, spawn_unknown_class, .timeout = 60)
{
    zt_peer_start (NULL);
    void *client = zt_peer_client ("driver");
    zt_msg_t *spawned = zt_peer_spawn (client, "NoSuchClass", "{}", "[]");
    zt_peer_assert_answer_error (spawned, "NO_SUCH_CLASS");
    zt_peer_msg_destroy (&spawned);
    //  Pinned to a node that does not serve the class
    spawned = zt_peer_spawn (client, "NoSuchClass", "{\"node\":\"wire-node\"}", "[]");
    zt_peer_assert_answer_error (spawned, "NO_SUCH_CLASS");
    zt_peer_msg_destroy (&spawned);
    zt_peer_good_client_works ();
}

Test (wire, spawn_pinned_to_missing_node, .timeout = 60)
{
    zt_peer_start (NULL);
    void *client = zt_peer_client ("driver");
    zt_msg_t *spawned = zt_peer_spawn (client, "Counter", "{\"node\":\"no-such-node\"}", "[]");
    zt_peer_assert_answer_error (spawned, "NO_SUCH_NODE");
    zt_peer_msg_destroy (&spawned);
    //  Pinned to the node that exists: placed there
    char actor [65];
    zt_peer_spawn_ok (client, "Counter", "{\"node\":\"wire-node\"}", "[4]", actor);
    cr_assert_eq (zt_peer_call_number (client, actor, "get", "[]"), 4);
}

Test (wire, hostile_spawn_options_over_1mb, .timeout = 60)
{
    zt_peer_start (NULL);
    void *hostile = zt_peer_client ("driver");
    size_t size = 1024 * 1024 + 16;
    char *options = (char *) malloc (size + 1);
    memset (options, 'x', size);
    memcpy (options, "{\"pad\":\"", 8);
    options [size - 2] = '"';
    options [size - 1] = '}';
    options [size] = 0;
    zt_corr_t corr = zt_peer_next_corr ();
    SEND (hostile, FS ("ZAF1"), FS ("SPAWN"), FS (""), FC (corr), FS (""), FS ("Counter"),
          FB (options, size), FS ("[]"));
    free (options);
    zt_msg_t *msg = zt_peer_answer (hostile, "SPAWNED", corr);
    zt_peer_assert_answer_error (msg, "BAD_ARGS");
    cr_assert_eq (msg->size [4], 0, "refusals carry no actor id");
    zt_peer_msg_destroy (&msg);

    const char *bad [] = { "[1]", "{bad", "\"node\"", "{\"name\":\"has space\"}", "{\"name\":\"\"}" };
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad [0]); index++) {
        msg = zt_peer_spawn (hostile, "Counter", bad [index], "[]");
        zt_peer_assert_answer_error (msg, "BAD_ARGS");
        zt_peer_msg_destroy (&msg);
    }
    //  Unknown members are ignored
    char actor [65];
    zt_peer_spawn_ok (hostile, "Counter", "{\"pad\":\"xxxxxxxxxxxxxxxx\",\"gpu\":1}", "[]", actor);
    cJSON *status = zt_peer_status (hostile, "{}");
    cr_assert_eq (zt_peer_jnum (status, "actors_total", -1), 1);
    zt_peer_json_free (status);
    zt_peer_good_client_works ();
}
