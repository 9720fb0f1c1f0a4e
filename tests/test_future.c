/*  =========================================================================
    test_future - futures and the pending map of one connection

    No sockets: requests are built with the codec and answers are made by
    hand, as a broker would send them. Covers correlation ids (8 bytes,
    never zero, distinct), exactly one end per future (the first answer
    wins, a late or duplicate one finds nothing), answers with results,
    errors and blobs, spawn answers, the bound on pending futures, failing
    everything at once, orphaning on destroy, and abandoned spawns.
    =========================================================================
*/

#include "testutil.h"
#include <criterion/criterion.h>

//  A REPLY for the request msg, as the broker would route it back
static zaf_proto_t *
s_reply (zaf_proto_t *request, const char *body, bool ok)
{
    zaf_proto_t *reply = zaf_proto_new ();
    zaf_proto_set_id (reply, ZAF_PROTO_REPLY);
    size_t size;
    const void *corr = zaf_proto_corr (request, &size);
    zaf_proto_set_corr (reply, corr, size);
    if (ok) {
        zaf_proto_set_ok (reply, true);
        zaf_proto_set_body (reply, body, strlen (body));
    }
    else
        zaf_proto_set_error (reply, ZAF_METHOD_FAILED, "%s", body);
    return reply;
}

//  Start a request of this kind; returns the future, request in *msg_p
static zaf_future_t *
s_start (zaf_pending_t *pending, zaf_future_kind_t kind, zaf_proto_t **msg_p)
{
    zaf_proto_t *msg = zaf_proto_new ();
    zaf_proto_set_id (msg, ZAF_PROTO_CALL);
    zaf_future_t *future = zaf_pending_request (pending, kind, msg);
    *msg_p = msg;
    return future;
}

Test (future, corr_ids_are_eight_bytes_distinct_and_never_zero)
{
    zaf_pending_t *pending = zaf_pending_new (100);
    byte seen [10][8];
    for (int index = 0; index < 10; index++) {
        zaf_proto_t *msg;
        zaf_future_t *future = s_start (pending, ZAF_FUTURE_CALL, &msg);
        size_t size;
        const byte *corr = (const byte *) zaf_proto_corr (msg, &size);
        cr_assert_eq (size, 8);
        byte zero [8] = { 0 };
        cr_assert (memcmp (corr, zero, 8) != 0);
        for (int other = 0; other < index; other++)
            cr_assert (memcmp (corr, seen [other], 8) != 0);
        memcpy (seen [index], corr, 8);
        cr_assert_not (zaf_future_ready (future));
        zaf_future_destroy (&future);
        cr_assert_null (future);
        zaf_proto_destroy (&msg);
    }
    cr_assert_eq (zaf_pending_size (pending), 0, "destroyed futures leave the map");
    zaf_pending_destroy (&pending);
    cr_assert_null (pending);
}

Test (future, first_answer_wins_and_a_late_one_finds_nothing)
{
    zaf_pending_t *pending = zaf_pending_new (100);
    zaf_proto_t *msg;
    zaf_future_t *future = s_start (pending, ZAF_FUTURE_CALL, &msg);
    cr_assert_eq (zaf_pending_size (pending), 1);

    zaf_proto_t *reply = s_reply (msg, "[1,2,3]", true);
    size_t size;
    const void *corr = zaf_proto_corr (reply, &size);
    zaf_future_t *taken = zaf_pending_take (pending, corr, size);
    cr_assert_eq (taken, future);
    zaf_future_resolve (taken, reply);
    cr_assert (zaf_future_ready (future));
    cr_assert_eq (zaf_pending_size (pending), 0);
    //  The same answer again, or a failure afterwards, changes nothing
    cr_assert_null (zaf_pending_take (pending, corr, size));
    zaf_future_fail (future, ZAF_TIMEOUT, "too late");
    zaf_error_t err;
    cJSON *result = zaf_future_take_result (future, &err);
    cr_assert (cJSON_IsArray (result));
    cr_assert_eq (cJSON_GetArraySize (result), 3);
    cJSON_Delete (result);
    zaf_future_destroy (&future);
    zaf_proto_destroy (&reply);
    zaf_proto_destroy (&msg);
    zaf_pending_destroy (&pending);
}

Test (future, unknown_and_malformed_corr_ids_find_nothing)
{
    zaf_pending_t *pending = zaf_pending_new (100);
    zaf_proto_t *msg;
    zaf_future_t *future = s_start (pending, ZAF_FUTURE_CALL, &msg);
    byte wrong [8] = { 0, 0, 0, 0, 0, 0, 0, 99 };
    byte zero [8] = { 0 };
    cr_assert_null (zaf_pending_take (pending, wrong, 8));
    cr_assert_null (zaf_pending_take (pending, zero, 8));
    cr_assert_null (zaf_pending_take (pending, wrong, 7));
    cr_assert_null (zaf_pending_take (pending, NULL, 0));
    cr_assert_eq (zaf_pending_size (pending), 1);
    zaf_future_destroy (&future);
    zaf_proto_destroy (&msg);
    zaf_pending_destroy (&pending);
}

Test (future, error_answers_carry_code_and_message)
{
    zaf_pending_t *pending = zaf_pending_new (100);
    zaf_proto_t *msg;
    zaf_future_t *future = s_start (pending, ZAF_FUTURE_CALL, &msg);
    zaf_proto_t *reply = s_reply (msg, "division by zero", false);
    size_t size;
    const void *corr = zaf_proto_corr (reply, &size);
    zaf_future_resolve (zaf_pending_take (pending, corr, size), reply);
    zaf_error_t err;
    cr_assert_null (zaf_future_take_result (future, &err));
    cr_assert_eq (err.code, ZAF_METHOD_FAILED);
    cr_assert_str_eq (err.message, "division by zero");
    zaf_future_destroy (&future);
    zaf_proto_destroy (&reply);
    zaf_proto_destroy (&msg);
    zaf_pending_destroy (&pending);
}

Test (future, answer_that_is_not_json_is_a_protocol_error)
{
    zaf_pending_t *pending = zaf_pending_new (100);
    zaf_proto_t *msg;
    zaf_future_t *future = s_start (pending, ZAF_FUTURE_CALL, &msg);
    zaf_proto_t *reply = s_reply (msg, "{not json", true);
    size_t size;
    const void *corr = zaf_proto_corr (reply, &size);
    zaf_future_resolve (zaf_pending_take (pending, corr, size), reply);
    zaf_error_t err;
    cr_assert_null (zaf_future_take_result (future, &err));
    cr_assert_eq (err.code, ZAF_PROTOCOL);
    zaf_future_destroy (&future);
    zaf_proto_destroy (&reply);
    zaf_proto_destroy (&msg);
    zaf_pending_destroy (&pending);
}

Test (future, blobs_move_from_the_answer_to_the_caller)
{
    zaf_pending_t *pending = zaf_pending_new (100);
    zaf_proto_t *msg;
    zaf_future_t *future = s_start (pending, ZAF_FUTURE_CALL, &msg);
    zaf_proto_t *reply = s_reply (msg, "{\"$blob\":0}", true);
    zaf_blob_t *blob = zaf_blob_new ("abcdef", 6);
    cr_assert_eq (zaf_blob_attach_all (reply, &blob, 1), 0);
    cr_assert_null (blob);
    size_t size;
    const void *corr = zaf_proto_corr (reply, &size);
    zaf_future_resolve (zaf_pending_take (pending, corr, size), reply);
    zaf_blob_t *blobs [ZAF_BLOBS_MAX] = { NULL };
    cr_assert_eq (zaf_future_take_blobs (future, blobs), 1);
    cr_assert_eq (zaf_blob_size (blobs [0]), 6);
    cr_assert (memcmp (zaf_blob_data (blobs [0]), "abcdef", 6) == 0);
    zaf_blob_destroy (&blobs [0]);
    zaf_future_destroy (&future);
    zaf_proto_destroy (&reply);
    zaf_proto_destroy (&msg);
    zaf_pending_destroy (&pending);
}

Test (future, spawn_answers_name_the_actor)
{
    zaf_pending_t *pending = zaf_pending_new (100);
    zaf_proto_t *msg;
    zaf_future_t *future = s_start (pending, ZAF_FUTURE_SPAWN, &msg);
    zaf_proto_t *spawned = zaf_proto_new ();
    zaf_proto_set_id (spawned, ZAF_PROTO_SPAWNED);
    size_t size;
    const void *corr = zaf_proto_corr (msg, &size);
    zaf_proto_set_corr (spawned, corr, size);
    zaf_proto_set_actor (spawned, "s1-42");
    zaf_proto_set_ok (spawned, true);
    zaf_proto_set_body (spawned, "{\"existing\":true}", 17);
    cr_assert (zaf_future_spawned_existing (spawned));
    zaf_future_resolve (zaf_pending_take (pending, corr, size), spawned);
    zaf_error_t err;
    cJSON *result = zaf_future_take_result (future, &err);
    cr_assert_str_eq (zaf_json_string (result, "actor", ""), "s1-42");
    cr_assert (zaf_json_bool (result, "existing", false));
    cJSON_Delete (result);
    zaf_future_destroy (&future);
    zaf_proto_destroy (&spawned);
    zaf_proto_destroy (&msg);
    zaf_pending_destroy (&pending);
}

Test (future, past_the_bound_requests_fail_at_once_with_overloaded)
{
    zaf_pending_t *pending = zaf_pending_new (3);
    zaf_future_t *futures [4];
    zaf_proto_t *msgs [4];
    for (int index = 0; index < 4; index++)
        futures [index] = s_start (pending, ZAF_FUTURE_CALL, &msgs [index]);
    cr_assert_eq (zaf_pending_size (pending), 3);
    cr_assert_not (zaf_future_ready (futures [2]));
    cr_assert (zaf_future_ready (futures [3]));
    zaf_error_t err;
    cr_assert_null (zaf_future_take_result (futures [3], &err));
    cr_assert_eq (err.code, ZAF_OVERLOADED);
    for (int index = 0; index < 4; index++) {
        zaf_future_destroy (&futures [index]);
        zaf_proto_destroy (&msgs [index]);
    }
    zaf_pending_destroy (&pending);
}

Test (future, fail_all_ends_every_pending_future_once)
{
    zaf_pending_t *pending = zaf_pending_new (100);
    zaf_proto_t *msg1, *msg2;
    zaf_future_t *one = s_start (pending, ZAF_FUTURE_CALL, &msg1);
    zaf_future_t *two = s_start (pending, ZAF_FUTURE_SUBMIT, &msg2);
    zaf_pending_fail_all (pending, ZAF_BROKER_LOST, "broker lost");
    cr_assert_eq (zaf_pending_size (pending), 0);
    cr_assert (zaf_future_ready (one) && zaf_future_ready (two));
    cr_assert_eq (zaf_future_owner (one), pending, "still ours: the connection lives");
    //  An answer that comes afterwards finds nothing
    zaf_proto_t *reply = s_reply (msg1, "1", true);
    size_t size;
    const void *corr = zaf_proto_corr (reply, &size);
    cr_assert_null (zaf_pending_take (pending, corr, size));
    zaf_error_t err;
    cr_assert_null (zaf_future_take_result (two, &err));
    cr_assert_eq (err.code, ZAF_BROKER_LOST);
    zaf_future_destroy (&one);
    zaf_future_destroy (&two);
    zaf_proto_destroy (&reply);
    zaf_proto_destroy (&msg1);
    zaf_proto_destroy (&msg2);
    zaf_pending_destroy (&pending);
}

Test (future, destroying_the_map_orphans_what_is_pending)
{
    zaf_pending_t *pending = zaf_pending_new (100);
    zaf_proto_t *msg;
    zaf_future_t *future = s_start (pending, ZAF_FUTURE_CALL, &msg);
    zaf_pending_destroy (&pending);
    cr_assert (zaf_future_ready (future));
    cr_assert_null (zaf_future_owner (future));
    zaf_error_t err;
    cr_assert_null (zaf_future_take_result (future, &err));
    cr_assert_eq (err.code, ZAF_BROKER_LOST);
    zaf_future_destroy (&future);       //  Safe after its map is gone
    zaf_proto_destroy (&msg);
}

Test (future, abandoned_spawns_are_freed_by_whoever_ends_them)
{
    //  By the map's destruction (run under a leak checker to see it)
    zaf_pending_t *pending = zaf_pending_new (100);
    zaf_proto_t *msg;
    zaf_future_t *future = s_start (pending, ZAF_FUTURE_SPAWN, &msg);
    zaf_future_abandon (future);
    cr_assert_eq (zaf_pending_size (pending), 1, "the map keeps it for its answer");
    zaf_pending_destroy (&pending);
    zaf_proto_destroy (&msg);

    //  By its answer
    pending = zaf_pending_new (100);
    future = s_start (pending, ZAF_FUTURE_SPAWN, &msg);
    zaf_future_abandon (future);
    size_t size;
    const void *corr = zaf_proto_corr (msg, &size);
    zaf_future_t *taken = zaf_pending_take (pending, corr, size);
    cr_assert_eq (taken, future);
    cr_assert (zaf_future_abandoned (taken));
    zaf_future_destroy (&taken);
    cr_assert_eq (zaf_pending_size (pending), 0);
    zaf_proto_destroy (&msg);

    //  By a lost broker
    future = s_start (pending, ZAF_FUTURE_SPAWN, &msg);
    zaf_future_abandon (future);
    zaf_pending_fail_all (pending, ZAF_BROKER_LOST, "gone");
    cr_assert_eq (zaf_pending_size (pending), 0);
    zaf_pending_destroy (&pending);
    zaf_proto_destroy (&msg);
}

Test (future, failed_futures_are_ready_and_belong_to_the_map)
{
    zaf_pending_t *pending = zaf_pending_new (100);
    zaf_future_t *future = zaf_pending_failed (pending, ZAF_BAD_ARGS, "no actor handle given");
    cr_assert (zaf_future_ready (future));
    cr_assert_eq (zaf_future_owner (future), pending);
    cr_assert_eq (zaf_pending_size (pending), 0);
    zaf_error_t err;
    cr_assert_null (zaf_future_take_result (future, &err));
    cr_assert_eq (err.code, ZAF_BAD_ARGS);
    cr_assert_str_eq (err.message, "no actor handle given");
    zaf_future_destroy (&future);
    zaf_pending_destroy (&pending);
}
