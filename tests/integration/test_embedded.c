/*  =========================================================================
    test_embedded - the public API on an embedded cluster

    Each test starts zaf_init (NULL): a real broker and a real node as
    threads of the test process, talking over inproc sockets, serving the
    test actors. Covers spawn/call/get/tell/kill, every error code that
    applies, timeouts, ordering of 10,000 calls, handles passed to tasks
    and to other actors, methods blocking on other actors, names, owners.
    =========================================================================
*/

#include "testutil.h"
#include <criterion/criterion.h>

static zaf_t *z = NULL;

static void
s_setup (void)
{
    zsys_set_logstream (stderr);
    cr_assert_eq (test_actors_register (), 0);
    z = zaf_init (NULL);
    cr_assert_not_null (z);
}

static void
s_teardown (void)
{
    zaf_shutdown (&z);
}

TestSuite (embedded, .init = s_setup, .fini = s_teardown, .timeout = 60);

//  Call a method and wait; returns the result or NULL with err
static cJSON *
s_call (zaf_actor_t *actor, const char *method, cJSON *args, zaf_error_t *err)
{
    return zt_call (z, actor, method, args, 10000, err);
}

//  Call a method that must answer a number; returns it
static double
s_call_number (zaf_actor_t *actor, const char *method, cJSON *args)
{
    return zt_call_number (z, actor, method, args, 10000);
}

//  Arguments [handle, method, args] for the relaying methods and tasks;
//  args are taken
static cJSON *
s_relay_args (zaf_actor_t *target, const char *method, cJSON *args)
{
    cJSON *relay = cJSON_CreateArray ();
    cJSON_AddItemToArray (relay, zaf_actor_to_json (target));
    cJSON_AddItemToArray (relay, cJSON_CreateString (method));
    cJSON_AddItemToArray (relay, args ? args : cJSON_CreateArray ());
    return relay;
}

static zaf_actor_t *
s_spawn_counter (double start)
{
    zaf_error_t err;
    zaf_actor_t *actor = zaf_spawn (z, "Counter", zaf_json ("[%g]", start), NULL, &err);
    cr_assert_not_null (actor, "spawn failed: %s", err.message);
    return actor;
}

//  Call until the answer is an error with the given code (asynchronous
//  effects such as owner kills land shortly after the request returns)
typedef struct {
    zaf_actor_t *actor;
    zaf_code_t code;
} code_wait_t;

static bool
s_fails_with_code (void *arg)
{
    code_wait_t *wait = (code_wait_t *) arg;
    zaf_error_t err;
    cJSON *result = s_call (wait->actor, "get", NULL, &err);
    cJSON_Delete (result);
    return !result && err.code == wait->code;
}

static bool
s_eventually_code (zaf_actor_t *actor, zaf_code_t code, int timeout_ms)
{
    code_wait_t wait = { actor, code };
    return zt_wait_until (s_fails_with_code, &wait, timeout_ms);
}

Test (embedded, spawn_call_get)
{
    zaf_actor_t *counter = s_spawn_counter (5);
    cr_assert (zaf_actor_owned (counter));
    cr_assert_eq (strlen (zaf_actor_id (counter)), 32);     //  base64url, 24 bytes
    cr_assert_eq (s_call_number (counter, "add", zaf_json ("[3]")), 8);
    cr_assert_eq (s_call_number (counter, "get", NULL), 8);
    //  A JSON null result comes back as a null item
    zaf_error_t err;
    cJSON *result = s_call (counter, "echo", zaf_json ("[null]"), &err);
    cr_assert (cJSON_IsNull (result));
    cJSON_Delete (result);
    result = s_call (counter, "echo", zaf_json ("[{\"a\":[1,2,\"x\"]}]"), &err);
    char *text = cJSON_PrintUnformatted (result);
    cr_assert_str_eq (text, "{\"a\":[1,2,\"x\"]}");
    cJSON_free (text);
    cJSON_Delete (result);
    zaf_actor_destroy (&counter);
    cr_assert_null (counter);
}

Test (embedded, tell_then_call_in_order)
{
    zaf_actor_t *counter = s_spawn_counter (0);
    for (int index = 0; index < 100; index++)
        cr_assert_eq (zaf_tell (z, counter, "add", zaf_json ("[1]")), 0);
    cr_assert_eq (s_call_number (counter, "get", NULL), 100);
    zaf_actor_destroy (&counter);
}

Test (embedded, kill_then_calls_fail_with_actor_died)
{
    zaf_actor_t *counter = s_spawn_counter (0);
    zaf_actor_t *borrowed = zaf_actor_dup (counter);
    zaf_error_t err;
    cr_assert_eq (zaf_kill (z, counter, &err), 0, "kill failed: %s", err.message);
    cJSON *result = s_call (borrowed, "get", NULL, &err);
    cr_assert_null (result);
    cr_assert_eq (err.code, ZAF_ACTOR_DIED, "got %s", zaf_code_name (err.code));
    cr_assert (strstr (err.message, zaf_actor_id (counter)));
    //  Killing a dead actor again is not an error
    cr_assert_eq (zaf_kill (z, borrowed, &err), 0);
    zaf_actor_destroy (&borrowed);
    zaf_actor_destroy (&counter);
}

Test (embedded, kill_ends_queued_calls)
{
    zaf_actor_t *counter = s_spawn_counter (0);
    //  One long call runs; the rest queue behind it
    zaf_future_t *futures [20];
    futures [0] = zaf_call (z, counter, "sleep", zaf_json ("[300]"));
    for (int index = 1; index < 20; index++)
        futures [index] = zaf_call (z, counter, "add", zaf_json ("[1]"));
    //  All 20 are in flight: the broker holds them
    cr_assert (zt_wait_pending (z, zaf_actor_id (counter), 20, 5000), "the calls did not reach the broker");
    zaf_error_t err;
    cr_assert_eq (zaf_kill (z, counter, &err), 0);
    for (int index = 0; index < 20; index++) {
        cJSON *result = zaf_get (z, &futures [index], 5000, &err);
        cr_assert_null (result, "call %d ran after the kill", index);
        cr_assert_eq (err.code, ZAF_ACTOR_DIED, "call %d ended %s", index, zaf_code_name (err.code));
        cr_assert_null (futures [index]);
    }
    zaf_actor_destroy (&counter);
}

Test (embedded, unknown_method_and_failures_leave_the_actor_alive)
{
    zaf_actor_t *counter = s_spawn_counter (1);
    zaf_error_t err;
    cr_assert_null (s_call (counter, "no_such_method", NULL, &err));
    cr_assert_eq (err.code, ZAF_NO_SUCH_METHOD);
    cr_assert (strstr (err.message, "no_such_method"));

    cr_assert_null (s_call (counter, "fail", zaf_json ("[\"boom\"]"), &err));
    cr_assert_eq (err.code, ZAF_METHOD_FAILED);
    cr_assert_str_eq (err.message, "boom");

    cr_assert_null (s_call (counter, "fail_code", zaf_json ("[\"OVERLOADED\", \"busy\"]"), &err));
    cr_assert_eq (err.code, ZAF_OVERLOADED);
    cr_assert_str_eq (err.message, "busy");

    //  Still alive and its state intact
    cr_assert_eq (s_call_number (counter, "add", zaf_json ("[1]")), 2);
    zaf_actor_destroy (&counter);
}

Test (embedded, spawn_errors)
{
    zaf_error_t err;
    cr_assert_null (zaf_spawn (z, "NoSuchClass", NULL, NULL, &err));
    cr_assert_eq (err.code, ZAF_NO_SUCH_CLASS);
    cr_assert (strstr (err.message, "NoSuchClass"));

    cr_assert_null (zaf_spawn (z, "Refuser", NULL, NULL, &err));
    cr_assert_eq (err.code, ZAF_BAD_ARGS);
    cr_assert_str_eq (err.message, "refused by constructor");

    zaf_spawn_opts_t opts = { .node = "elsewhere" };
    cr_assert_null (zaf_spawn (z, "Counter", NULL, &opts, &err));
    cr_assert_eq (err.code, ZAF_NO_SUCH_NODE);

    opts.node = "embedded";
    zaf_actor_t *pinned = zaf_spawn (z, "Counter", NULL, &opts, &err);
    cr_assert_not_null (pinned, "%s", err.message);
    zaf_actor_destroy (&pinned);

    cr_assert_null (zaf_spawn (z, "bad name", NULL, NULL, &err));
    cr_assert_eq (err.code, ZAF_BAD_ARGS);
}

Test (embedded, unknown_actor_and_bad_handles)
{
    cJSON *json = zaf_json ("{\"$actor\":\"00000000deadbeef\"}");
    zaf_actor_t *ghost = zaf_actor_from_json (json);
    cJSON_Delete (json);
    cr_assert_not_null (ghost);
    cr_assert_not (zaf_actor_owned (ghost));
    zaf_error_t err;
    cr_assert_null (s_call (ghost, "get", NULL, &err));
    cr_assert_eq (err.code, ZAF_NO_SUCH_ACTOR);
    cr_assert_eq (zaf_kill (z, ghost, &err), -1);
    cr_assert_eq (err.code, ZAF_NO_SUCH_ACTOR);
    zaf_actor_destroy (&ghost);

    //  Not handles
    json = zaf_json ("[{\"actor\":\"x\"}, {\"$actor\":5}, {\"$actor\":\"\"}, \"$actor\"]");
    const cJSON *item;
    cJSON_ArrayForEach (item, json)
        cr_assert_null (zaf_actor_from_json (item));
    cJSON_Delete (json);

    //  A missing handle or a bad method name fails the future, not the process
    zaf_future_t *future = zaf_call (z, NULL, "get", NULL);
    cr_assert (zaf_future_ready (future));
    cr_assert_null (zaf_get (z, &future, 0, &err));
    cr_assert_eq (err.code, ZAF_BAD_ARGS);
    zaf_actor_t *counter = s_spawn_counter (0);
    cr_assert_null (s_call (counter, "", NULL, &err));
    cr_assert_eq (err.code, ZAF_BAD_ARGS);
    cr_assert_eq (zaf_tell (z, counter, NULL, NULL), -1);
    zaf_actor_destroy (&counter);
}

Test (embedded, tasks)
{
    zaf_error_t err;
    zaf_future_t *future = zaf_submit (z, "add", zaf_json ("[2, 3]"));
    cJSON *result = zaf_get (z, &future, 5000, &err);
    cr_assert_not_null (result, "%s", err.message);
    cr_assert_eq (result->valuedouble, 5);
    cJSON_Delete (result);

    future = zaf_submit (z, "fail", zaf_json ("[\"task broke\"]"));
    cr_assert_null (zaf_get (z, &future, 5000, &err));
    cr_assert_eq (err.code, ZAF_METHOD_FAILED);
    cr_assert_str_eq (err.message, "task broke");

    future = zaf_submit (z, "no_such_function", NULL);
    cr_assert_null (zaf_get (z, &future, 5000, &err));
    cr_assert_eq (err.code, ZAF_NO_SUCH_FUNCTION);

    //  More tasks than workers: they queue and all finish
    zaf_future_t *futures [40];
    for (int index = 0; index < 40; index++)
        futures [index] = zaf_submit (z, "add", zaf_json ("[%d, 1]", index));
    cJSON *results [40];
    cr_assert_eq (zaf_get_all (z, futures, 40, 10000, results, NULL), 0);
    for (int index = 0; index < 40; index++) {
        cr_assert_eq (results [index]->valuedouble, index + 1);
        cJSON_Delete (results [index]);
    }
}

Test (embedded, get_timeout_leaves_the_future_pending)
{
    zaf_actor_t *counter = s_spawn_counter (0);
    zaf_future_t *future = zaf_call (z, counter, "sleep", zaf_json ("[400]"));
    zaf_error_t err;
    int64_t started = zclock_mono ();
    cr_assert_null (zaf_get (z, &future, 50, &err));
    cr_assert_eq (err.code, ZAF_TIMEOUT);
    cr_assert_lt (zclock_mono () - started, 390);
    cr_assert_not_null (future);
    cr_assert_not (zaf_future_ready (future));
    cJSON *result = zaf_get (z, &future, 5000, &err);
    cr_assert_not_null (result);
    cr_assert_eq (result->valuedouble, 400);
    cr_assert_null (future);
    cJSON_Delete (result);
    zaf_actor_destroy (&counter);
}

Test (embedded, ten_thousand_calls_arrive_in_order, .timeout = 120)
{
    zaf_actor_t *counter = s_spawn_counter (0);
    const int count = 10000;
    zaf_future_t **futures = (zaf_future_t **) calloc (count, sizeof (zaf_future_t *));
    for (int index = 0; index < count; index++)
        futures [index] = zaf_call (z, counter, "record", zaf_json ("[%d]", index));
    for (int index = 0; index < count; index++) {
        zaf_error_t err;
        cJSON *result = zaf_get (z, &futures [index], 30000, &err);
        cr_assert_not_null (result, "call %d: %s", index, err.message);
        cr_assert_eq (result->valuedouble, index + 1);
        cJSON_Delete (result);
    }
    free (futures);
    zaf_error_t err;
    cJSON *recorded = s_call (counter, "recorded", NULL, &err);
    cr_assert_eq (cJSON_GetArraySize (recorded), count);
    int expected = 0;
    const cJSON *item;
    cJSON_ArrayForEach (item, recorded)
        cr_assert_eq (item->valueint, expected++);
    cJSON_Delete (recorded);
    zaf_actor_destroy (&counter);
}

Test (embedded, handle_passed_to_a_task_and_to_another_actor)
{
    zaf_actor_t *target = s_spawn_counter (10);
    zaf_actor_t *relay = s_spawn_counter (0);

    //  To a task
    cJSON *args = s_relay_args (target, "add", zaf_json ("[5]"));
    zaf_future_t *future = zaf_submit (z, "call_actor", args);
    zaf_error_t err;
    cJSON *result = zaf_get (z, &future, 5000, &err);
    cr_assert_not_null (result, "%s", err.message);
    cr_assert_eq (result->valuedouble, 15);
    cJSON_Delete (result);

    //  To another actor's method, which calls it from inside
    args = s_relay_args (target, "add", zaf_json ("[1]"));
    cr_assert_eq (s_call_number (relay, "call", args), 16);

    //  Errors come through the relay with their code
    args = s_relay_args (target, "fail", zaf_json ("[\"inner\"]"));
    cr_assert_null (s_call (relay, "call", args, &err));
    cr_assert_eq (err.code, ZAF_METHOD_FAILED);
    cr_assert_str_eq (err.message, "inner");

    //  Decoded handles are borrowed: the target is still alive
    cr_assert_eq (s_call_number (target, "get", NULL), 16);
    zaf_actor_destroy (&relay);
    zaf_actor_destroy (&target);
}

Test (embedded, method_blocking_on_another_actor_queues_later_calls)
{
    zaf_actor_t *slow = s_spawn_counter (0);
    zaf_actor_t *waiter = s_spawn_counter (0);
    //  waiter.call (slow.sleep (300)) blocks waiter for 300 ms; a call to
    //  waiter made meanwhile runs after it, in order
    cJSON *args = s_relay_args (slow, "sleep", zaf_json ("[300]"));
    zaf_future_t *blocked = zaf_call (z, waiter, "call", args);
    zaf_future_t *first = zaf_call (z, waiter, "record", zaf_json ("[\"first\"]"));
    zaf_future_t *second = zaf_call (z, waiter, "record", zaf_json ("[\"second\"]"));
    zaf_error_t err;
    cJSON *result = zaf_get (z, &first, 100, &err);
    cr_assert_null (result, "a call ran while the method was blocked");
    cr_assert_eq (err.code, ZAF_TIMEOUT);
    result = zaf_get (z, &blocked, 5000, &err);
    cr_assert_not_null (result, "%s", err.message);
    cr_assert_eq (result->valuedouble, 300);
    cJSON_Delete (result);
    result = zaf_get (z, &first, 5000, &err);
    cr_assert_eq (result->valuedouble, 1);
    cJSON_Delete (result);
    result = zaf_get (z, &second, 5000, &err);
    cr_assert_eq (result->valuedouble, 2);
    cJSON_Delete (result);
    zaf_actor_destroy (&waiter);
    zaf_actor_destroy (&slow);
}

Test (embedded, zero_timeouts_poll)
{
    zaf_actor_t *counter = s_spawn_counter (41);
    zaf_future_t *future = zaf_call (z, counter, "add", zaf_json ("[1]"));
    //  Polling with no wait still sees the answer once it has arrived
    zaf_error_t err;
    cJSON *result = NULL;
    int64_t deadline = zclock_mono () + 5000;
    while (!result && zclock_mono () < deadline) {
        result = zaf_get (z, &future, 0, &err);
        if (!result)
            cr_assert_eq (err.code, ZAF_TIMEOUT);
    }
    cr_assert_not_null (result);
    cr_assert_eq (result->valuedouble, 42);
    cJSON_Delete (result);
    future = zaf_call (z, counter, "get", NULL);
    deadline = zclock_mono () + 5000;
    while (zaf_wait (z, &future, 1, 1, 0) == 0 && zclock_mono () < deadline)
        ;
    cr_assert (zaf_future_ready (future));
    zaf_future_destroy (&future);
    zaf_actor_destroy (&counter);
}

Test (embedded, wait_and_get_all)
{
    zaf_actor_t *actors [3];
    zaf_future_t *futures [3];
    int sleeps [3] = { 10, 30, 3000 };
    for (int index = 0; index < 3; index++) {
        actors [index] = s_spawn_counter (0);
        futures [index] = zaf_call (z, actors [index], "sleep", zaf_json ("[%d]", sleeps [index]));
    }
    cr_assert_eq (zaf_wait (z, futures, 3, 2, 2000), 2);
    cr_assert (zaf_future_ready (futures [0]));
    cr_assert (zaf_future_ready (futures [1]));
    cr_assert_not (zaf_future_ready (futures [2]));
    //  get_all with a short deadline: two succeed, the slow one times out
    cJSON *results [3];
    zaf_error_t errs [3];
    cr_assert_eq (zaf_get_all (z, futures, 3, 100, results, errs), -1);
    cr_assert_eq (results [0]->valuedouble, 10);
    cr_assert_eq (results [1]->valuedouble, 30);
    cr_assert_null (results [2]);
    cr_assert_eq (errs [2].code, ZAF_TIMEOUT);
    cr_assert_null (futures [0]);
    cr_assert_not_null (futures [2]);
    cJSON_Delete (results [0]);
    cJSON_Delete (results [1]);
    zaf_future_destroy (&futures [2]);
    for (int index = 0; index < 3; index++)
        zaf_actor_destroy (&actors [index]);
}

Test (embedded, names_and_lookup)
{
    zaf_spawn_opts_t opts = { .name = "counter.main" };
    zaf_error_t err;
    zaf_actor_t *named = zaf_spawn (z, "Counter", zaf_json ("[7]"), &opts, &err);
    cr_assert_not_null (named, "%s", err.message);
    cr_assert_null (zaf_spawn (z, "Counter", NULL, &opts, &err));
    cr_assert_eq (err.code, ZAF_NAME_TAKEN);
    zaf_actor_t *found = zaf_lookup (z, "counter.main", &err);
    cr_assert_not_null (found, "%s", err.message);
    cr_assert_str_eq (zaf_actor_id (found), zaf_actor_id (named));
    cr_assert_not (zaf_actor_owned (found));
    cr_assert_eq (s_call_number (found, "get", NULL), 7);
    cr_assert_null (zaf_lookup (z, "nobody", &err));
    cr_assert_eq (err.code, ZAF_NO_SUCH_ACTOR);
    //  The name is free again once its holder is gone
    cr_assert_eq (zaf_kill (z, named, &err), 0);
    cr_assert_null (zaf_lookup (z, "counter.main", &err));
    zaf_actor_t *again = zaf_spawn (z, "Counter", NULL, &opts, &err);
    cr_assert_not_null (again, "%s", err.message);
    zaf_actor_destroy (&again);
    zaf_actor_destroy (&found);
    zaf_actor_destroy (&named);
}

Test (embedded, self_handle_inside_a_method)
{
    zaf_actor_t *counter = s_spawn_counter (0);
    zaf_error_t err;
    cJSON *result = s_call (counter, "whoami", NULL, &err);
    zaf_actor_t *me = zaf_actor_from_json (result);
    cr_assert_not_null (me);
    cr_assert_str_eq (zaf_actor_id (me), zaf_actor_id (counter));
    cJSON_Delete (result);
    zaf_actor_destroy (&me);
    cr_assert_null (zaf_self (z));   //  Drivers are not actors
    zaf_actor_destroy (&counter);
}

Test (embedded, owner_death_and_handle_destroy_end_children)
{
    zaf_actor_t *parent = s_spawn_counter (0);
    zaf_error_t err;
    cJSON *result = s_call (parent, "spawn", zaf_json ("[\"Counter\", [3]]"), &err);
    cr_assert_not_null (result, "%s", err.message);
    zaf_actor_t *child = zaf_actor_from_json (result);
    cJSON_Delete (result);
    cr_assert_eq (s_call_number (child, "get", NULL), 3);
    cr_assert_eq (zaf_kill (z, parent, &err), 0);
    cr_assert (s_eventually_code (child, ZAF_ACTOR_DIED, 5000), "child outlived its owner");
    zaf_actor_destroy (&child);
    zaf_actor_destroy (&parent);

    //  Destroying an owning handle kills the actor
    zaf_actor_t *owned = s_spawn_counter (0);
    zaf_actor_t *borrowed = zaf_actor_dup (owned);
    zaf_actor_destroy (&owned);
    cr_assert (s_eventually_code (borrowed, ZAF_ACTOR_DIED, 5000));
    //  Destroying a borrowed handle does not
    zaf_actor_t *kept = s_spawn_counter (4);
    zaf_actor_t *copy = zaf_actor_dup (kept);
    zaf_actor_destroy (&copy);
    cr_assert_eq (s_call_number (kept, "get", NULL), 4);
    zaf_actor_destroy (&kept);
    zaf_actor_destroy (&borrowed);
}

Test (embedded, tasks_and_actors_call_each_other)
{
    zaf_actor_t *counter = s_spawn_counter (0);
    //  An actor that submits a task and waits for it
    cr_assert_eq (s_call_number (counter, "submit", zaf_json ("[\"add\", [20, 22]]")), 42);
    //  A task that tells an actor many times, then calls it: order kept
    cJSON *args = cJSON_CreateArray ();
    cJSON_AddItemToArray (args, zaf_actor_to_json (counter));
    cJSON_AddItemToArray (args, cJSON_CreateString ("record"));
    cJSON_AddItemToArray (args, cJSON_CreateNumber (50));
    cJSON_AddItemToArray (args, cJSON_CreateNumber (7));
    zaf_future_t *future = zaf_submit (z, "tell_many", args);
    zaf_error_t err;
    cJSON *result = zaf_get (z, &future, 10000, &err);
    cr_assert_not_null (result, "%s", err.message);
    cJSON_Delete (result);
    cJSON *recorded = s_call (counter, "recorded", NULL, &err);
    cr_assert_eq (cJSON_GetArraySize (recorded), 50);
    for (int index = 0; index < 50; index++)
        cr_assert_eq (cJSON_GetArrayItem (cJSON_GetArrayItem (recorded, index), 1)->valueint, index);
    cJSON_Delete (recorded);
    zaf_actor_destroy (&counter);
}

Test (embedded, cluster_info)
{
    cJSON *info = zaf_cluster_info (z);
    cr_assert_not_null (info);
    cr_assert (cJSON_IsTrue (cJSON_GetObjectItem (info, "embedded")));
    cr_assert (strncmp (zaf_json_string (info, "broker", ""), "inproc://", 9) == 0);
    cr_assert_eq (strlen (zaf_json_string (info, "session", "")), 36);
    cJSON *nodes = cJSON_GetObjectItem (info, "nodes");
    cr_assert_eq (cJSON_GetArraySize (nodes), 1);
    cr_assert_str_eq (zaf_json_string (cJSON_GetArrayItem (nodes, 0), "name", ""), "embedded");
    cr_assert (cJSON_HasObjectItem (info, "dashboard"));
    cJSON_Delete (info);
}

Test (embedded, tell_to_a_dead_actor_is_harmless)
{
    zaf_actor_t *counter = s_spawn_counter (0);
    zaf_actor_t *borrowed = zaf_actor_dup (counter);
    zaf_error_t err;
    cr_assert_eq (zaf_kill (z, counter, &err), 0);
    cr_assert_eq (zaf_tell (z, borrowed, "add", NULL), 0);
    //  The connection still works
    zaf_actor_t *other = s_spawn_counter (1);
    cr_assert_eq (s_call_number (other, "get", NULL), 1);
    zaf_actor_destroy (&other);
    zaf_actor_destroy (&borrowed);
    zaf_actor_destroy (&counter);
}

Test (embedded, pending_futures_end_at_shutdown)
{
    zaf_actor_t *counter = s_spawn_counter (0);
    zaf_future_t *future = zaf_call (z, counter, "sleep", zaf_json ("[2000]"));
    zaf_shutdown (&z);
    cr_assert (zaf_future_ready (future));
    zaf_future_destroy (&future);
    zaf_actor_destroy (&counter);   //  Its connection is gone: just freed
}
