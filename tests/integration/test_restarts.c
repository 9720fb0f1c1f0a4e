/*  =========================================================================
    test_restarts - max_restarts and max_call_retries under real faults

    A broker and two zaf-node processes; nodes are killed with SIGKILL or
    frozen with SIGSTOP by the test. Actors spawned with max_restarts come
    back, with the same id, on the surviving node; calls caught by the
    failure end with ACTOR_DIED (at-most-once) unless max_call_retries
    sends them again (at-least-once).
    =========================================================================
*/

#include "testutil.h"
#include <criterion/criterion.h>
#include <signal.h>

#define HEARTBEAT_MS 250

static void
s_setup (void)
{
    zsys_set_logstream (stderr);
}

TestSuite (restarts, .init = s_setup, .fini = zt_cleanup, .timeout = 120);

static zaf_actor_t *
s_spawn (zaf_t *z, const char *node, int max_restarts, int max_call_retries)
{
    zaf_spawn_opts_t opts = {
        .node = node, .max_restarts = max_restarts, .max_call_retries = max_call_retries
    };
    zaf_error_t err;
    zaf_actor_t *actor = zaf_spawn (z, "Counter", NULL, &opts, &err);
    cr_assert_not_null (actor, "spawn failed: %s", err.message);
    return actor;
}

static int
s_get (zaf_t *z, zaf_actor_t *actor)
{
    zaf_error_t err;
    cJSON *value = zt_call (z, actor, "get", NULL, 10000, &err);
    cr_assert_not_null (value, "get failed: %s %s", zaf_code_name (err.code), err.message);
    int result = value->valueint;
    cJSON_Delete (value);
    return result;
}

Test (restarts, a_lost_node_s_actors_come_back_on_the_other_node)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, HEARTBEAT_MS, "n", 2, NULL);
    zaf_t *z = cluster.z;
    zaf_actor_t *phoenix = s_spawn (z, "n1", 1, 0);
    zaf_actor_t *mortal = s_spawn (z, "n1", 0, 0);
    zaf_actor_t *bystander = s_spawn (z, "n2", 0, 0);
    zaf_error_t err;
    cJSON *value = zt_call (z, phoenix, "add", zaf_json ("[5]"), 10000, &err);
    cr_assert_not_null (value);
    cJSON_Delete (value);
    zaf_future_t *watch = zaf_monitor (z, phoenix);

    //  1,000 calls in flight to the n1 actors, then n1 dies
    enum { CALLS = 1000 };
    zaf_future_t *futures [CALLS];
    for (int index = 0; index < CALLS; index++)
        futures [index] = zaf_call (z, index % 2 ? phoenix : mortal, "sleep", zaf_json ("[1]"));
    //  A call answered: n1 is running them, the rest are on their way
    cr_assert_geq (zaf_wait (z, futures, CALLS, 1, 10000), 1, "no call ran");
    int64_t killed_at = zclock_mono ();
    kill (zt_proc_pid (cluster.nodes [0]), SIGKILL);
    size_t ok = 0, died = 0;
    for (int index = 0; index < CALLS; index++) {
        cJSON *result = zaf_get (z, &futures [index], 3 * HEARTBEAT_MS + 1000, &err);
        if (result) {
            ok++;
            cJSON_Delete (result);
        }
        else {
            cr_assert (err.code == ZAF_ACTOR_DIED || err.code == ZAF_NODE_LOST,
                       "call %d ended with %s %s", index, zaf_code_name (err.code), err.message);
            died++;
        }
        zaf_future_destroy (&futures [index]);
    }
    cr_expect_eq (ok + died, CALLS, "every call ended");
    cr_expect_gt (died, 0, "the kill caught calls in flight");
    cr_expect_lt (zclock_mono () - killed_at, 3 * HEARTBEAT_MS + 2000);
    zt_proc_stop (&cluster.nodes [0], 0, 5000);

    //  The restartable actor answers again, from n2, constructor re-run
    cJSON *back = zt_call_until (z, phoenix, "get", NULL, 10000, 5000, &err);
    cr_assert_not_null (back, "the actor did not come back: %s", err.message);
    cr_expect_eq (back->valueint, 0, "a new incarnation starts from its constructor");
    cJSON_Delete (back);
    char *where = zt_actor_node (z, zaf_actor_id (phoenix));
    cr_expect_str_eq (where ? where : "", "n2");
    free (where);
    cr_expect_not (zaf_future_ready (watch), "a restart is not an end");
    //  The other one is gone; the bystander never noticed
    value = zt_call (z, mortal, "get", NULL, 10000, &err);
    cr_expect_null (value);
    cr_expect_eq (err.code, ZAF_ACTOR_DIED);
    cr_expect_eq (s_get (z, bystander), 0);
    for (int index = 0; index < 100; index++) {
        value = zt_call (z, bystander, "add", zaf_json ("[1]"), 10000, &err);
        cr_assert_not_null (value, "%s", err.message);
        cJSON_Delete (value);
    }

    //  Its one restart is used: losing n2 too ends it for good
    kill (zt_proc_pid (cluster.nodes [1]), SIGKILL);
    cJSON *reason = zaf_get (z, &watch, 5000, &err);
    cr_assert_not_null (reason, "%s", err.message);
    cr_expect_str_eq (zaf_json_string (reason, "reason", ""), "restart_limit");
    cJSON_Delete (reason);
    zt_proc_stop (&cluster.nodes [1], 0, 5000);

    zaf_actor_destroy (&phoenix);
    zaf_actor_destroy (&mortal);
    zaf_actor_destroy (&bystander);
    zt_cluster_stop (&cluster);
}

Test (restarts, call_retries_deliver_calls_caught_by_the_failure)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, HEARTBEAT_MS, "n", 2, NULL);
    zaf_t *z = cluster.z;
    zaf_actor_t *actor = s_spawn (z, "n1", -1, -1);
    zaf_actor_t *strict = s_spawn (z, "n1", -1, 0);
    //  Retries on method_failed only: a node loss is not a reason
    zaf_spawn_opts_t failed_only = { .node = "n1", .max_restarts = -1, .max_call_retries = 5,
                                     .retry_on = ZAF_RETRY_METHOD_FAILED };
    zaf_error_t err;
    zaf_actor_t *other = zaf_spawn (z, "Counter", NULL, &failed_only, &err);
    cr_assert_not_null (other, "%s", err.message);
    cr_assert_eq (s_get (z, actor), 0);

    //  Freeze n1 so the calls are in flight, then kill it
    kill (zt_proc_pid (cluster.nodes [0]), SIGSTOP);
    enum { CALLS = 50 };
    zaf_future_t *futures [CALLS], *strict_futures [CALLS], *other_future;
    for (int index = 0; index < CALLS; index++) {
        futures [index] = zaf_call (z, actor, "add", zaf_json ("[1]"));
        strict_futures [index] = zaf_call (z, strict, "add", zaf_json ("[1]"));
    }
    other_future = zaf_call (z, other, "add", zaf_json ("[1]"));
    //  Every call is in flight: the broker holds them all
    cr_assert (zt_wait_pending (z, zaf_actor_id (actor), CALLS, 5000)
            && zt_wait_pending (z, zaf_actor_id (strict), CALLS, 5000)
            && zt_wait_pending (z, zaf_actor_id (other), 1, 5000),
               "the calls did not reach the broker");
    kill (zt_proc_pid (cluster.nodes [0]), SIGKILL);
    zt_proc_stop (&cluster.nodes [0], 0, 5000);

    //  With retries: every call runs once on the next incarnation, in order
    for (int index = 0; index < CALLS; index++) {
        cJSON *result = zaf_get (z, &futures [index], 10000, &err);
        cr_assert_not_null (result, "retried call %d: %s %s", index, zaf_code_name (err.code),
                            err.message);
        cr_expect_eq (result->valueint, index + 1, "calls keep their order");
        cJSON_Delete (result);
    }
    cr_expect_eq (s_get (z, actor), CALLS);
    //  Without: each ends with ACTOR_DIED, saying the call may have run
    for (int index = 0; index < CALLS; index++) {
        cJSON *result = zaf_get (z, &strict_futures [index], 10000, &err);
        cr_expect_null (result);
        cr_expect_eq (err.code, ZAF_ACTOR_DIED, "%s", err.message);
        cJSON_Delete (result);
        zaf_future_destroy (&strict_futures [index]);
    }
    cr_expect (strstr (err.message, "may have run"), "%s", err.message);
    //  ... and the actor itself is back
    cr_expect_eq (s_get (z, strict), 0);
    cr_expect_null (zaf_get (z, &other_future, 10000, &err), "retried on a node loss");
    cr_expect_eq (err.code, ZAF_ACTOR_DIED, "%s", err.message);
    zaf_future_destroy (&other_future);
    cr_expect_eq (s_get (z, other), 0);
    zaf_actor_destroy (&other);

    zaf_actor_destroy (&actor);
    zaf_actor_destroy (&strict);
    zt_cluster_stop (&cluster);
}

Test (restarts, a_kill_is_final_and_a_name_follows_the_restart)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, HEARTBEAT_MS, "n", 2, NULL);
    zaf_t *z = cluster.z;
    zaf_error_t err;
    zaf_actor_t *killed = s_spawn (z, NULL, -1, 0);
    zaf_future_t *watch = zaf_monitor (z, killed);
    cr_assert_eq (zaf_kill (z, killed, &err), 0);
    cJSON *reason = zaf_get (z, &watch, 5000, &err);
    cr_assert_not_null (reason);
    cr_expect_str_eq (zaf_json_string (reason, "reason", ""), "killed");
    cJSON_Delete (reason);
    zaf_actor_destroy (&killed);

    zaf_spawn_opts_t opts = { .node = "n2", .name = "phoenix", .max_restarts = 2 };
    zaf_actor_t *named = zaf_spawn (z, "Counter", NULL, &opts, &err);
    cr_assert_not_null (named, "%s", err.message);
    kill (zt_proc_pid (cluster.nodes [1]), SIGKILL);
    zt_proc_stop (&cluster.nodes [1], 0, 5000);
    //  Calls made while it is being restarted wait for it
    cJSON *value = zt_call_until (z, named, "add", "[2]", 10000, 5000, &err);
    cr_assert_not_null (value, "%s", err.message);
    cJSON_Delete (value);
    zaf_actor_t *found = zaf_lookup (z, "phoenix", &err);
    cr_assert_not_null (found, "the name survives the restart: %s", err.message);
    cr_expect_str_eq (zaf_actor_id (found), zaf_actor_id (named));
    zaf_actor_destroy (&found);
    cr_expect_eq (s_get (z, named), 2);

    //  Bad restart options are refused
    zaf_spawn_opts_t bad = { .max_restarts = -2 };
    cr_expect_null (zaf_spawn (z, "Counter", NULL, &bad, &err));
    cr_expect_eq (err.code, ZAF_BAD_ARGS);
    zaf_actor_destroy (&named);
    zt_cluster_stop (&cluster);
}

Test (restarts, a_frozen_node_is_lost_and_comes_back_as_a_new_incarnation)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, HEARTBEAT_MS, "n", 2, NULL);
    zaf_t *z = cluster.z;
    zaf_error_t err;
    zaf_actor_t *frozen = s_spawn (z, "n1", 0, 0);
    zaf_actor_t *phoenix = s_spawn (z, "n1", -1, 0);
    zaf_actor_t *other = s_spawn (z, "n2", 0, 0);
    char *before = zt_node_peer (z, "n1");
    cr_assert_not_null (before);

    //  Calls in flight, some of them mid-method when the node freezes
    enum { CALLS = 200 };
    zaf_future_t *futures [CALLS];
    for (int index = 0; index < CALLS; index++)
        futures [index] = zaf_call (z, index % 2 ? frozen : phoenix, "sleep", zaf_json ("[5]"));
    //  A call answered: n1 is running them, some mid-method
    cr_assert_geq (zaf_wait (z, futures, CALLS, 1, 10000), 1, "no call ran");
    kill (zt_proc_pid (cluster.nodes [0]), SIGSTOP);
    int64_t stopped_at = zclock_mono ();
    size_t ended = 0;
    for (int index = 0; index < CALLS; index++) {
        cJSON *result = zaf_get (z, &futures [index], 3 * HEARTBEAT_MS + 2000, &err);
        if (!result)
            cr_assert (err.code == ZAF_ACTOR_DIED || err.code == ZAF_NODE_LOST,
                       "call %d: %s %s", index, zaf_code_name (err.code), err.message);
        cJSON_Delete (result);
        cr_assert_null (futures [index], "call %d did not end", index);
        ended++;
    }
    cr_expect_eq (ended, CALLS);
    //  Frozen for 5 heartbeats in all, then thawed
    int64_t frozen_for = zclock_mono () - stopped_at;
    if (frozen_for < 5 * HEARTBEAT_MS)
        //  The behaviour under test: the node stays frozen for 5
        //  heartbeats, well past the broker's 3, before it thaws
        zclock_sleep ((int) (5 * HEARTBEAT_MS - frozen_for));
    kill (zt_proc_pid (cluster.nodes [0]), SIGCONT);

    //  It registers again under its name, as a new peer
    char *after = zt_wait_new_peer (z, "n1", before, 10000);
    cr_assert_not_null (after, "n1 did not come back");
    cr_expect_str_neq (after, before, "a new incarnation has a new peer id");
    //  Its old actors stay dead; the restartable one lives (on n2, or on
    //  n1 again); new spawns on n1 work; nothing answered twice
    cJSON *value = zt_call (z, frozen, "get", NULL, 10000, &err);
    cr_expect_null (value);
    cr_expect_eq (err.code, ZAF_ACTOR_DIED);
    cr_expect_eq (s_get (z, phoenix), 0);
    zaf_actor_t *fresh = s_spawn (z, "n1", 0, 0);
    cr_expect_eq (s_get (z, fresh), 0);
    cr_expect_eq (s_get (z, other), 0);
    zaf_actor_destroy (&fresh);
    free (before);
    free (after);
    zaf_actor_destroy (&frozen);
    zaf_actor_destroy (&phoenix);
    zaf_actor_destroy (&other);
    zt_cluster_stop (&cluster);
}

Test (restarts, a_flooded_actor_answers_overloaded_at_its_bound)
{
    //  A broker with a small per-actor bound
    char *endpoint = NULL;
    const char *argv [] = {
        zt_path ("bin", "zaf-broker"), "--bind", "tcp://127.0.0.1:0", "--max-pending", "100", NULL
    };
    zt_proc_t *broker = zt_proc_start (argv, true);
    cr_assert_not_null (broker);
    char *line = zt_proc_read_line (broker, 10000);
    cr_assert (line && strncmp (line, "listening ", 10) == 0, "%s", line ? line : "no line");
    endpoint = strdup (line + 10);
    free (line);
    zt_proc_t *node = zt_node_start (endpoint, "n1", NULL);
    zaf_t *z = zaf_init (endpoint);
    cr_assert_not_null (z);
    cr_assert (zt_wait_nodes (z, 1, 10000));
    zaf_actor_t *actor = s_spawn (z, NULL, 0, 0);

    enum { CALLS = 1000 };
    zaf_future_t *futures [CALLS];
    for (int index = 0; index < CALLS; index++)
        futures [index] = zaf_call (z, actor, "sleep", zaf_json ("[2]"));
    size_t ok = 0, overloaded = 0;
    zaf_error_t err;
    for (int index = 0; index < CALLS; index++) {
        cJSON *result = zaf_get (z, &futures [index], 30000, &err);
        if (result)
            ok++;
        else {
            cr_assert_eq (err.code, ZAF_OVERLOADED, "call %d: %s", index, err.message);
            overloaded++;
        }
        cJSON_Delete (result);
    }
    cr_expect_eq (ok + overloaded, CALLS, "every call ended");
    cr_expect_geq (ok, 100, "the first 100 fit under the bound");
    cr_expect_gt (overloaded, 0, "the flood past the bound was refused");
    //  It still serves afterwards
    cr_expect_eq (s_get (z, actor), 0);
    zaf_actor_destroy (&actor);
    zaf_shutdown (&z);
    zt_proc_stop (&node, SIGTERM, 10000);
    zt_proc_stop (&broker, SIGTERM, 10000);
    free (endpoint);
}

//  Call until it answers (the driver dials again on its next request)
static cJSON *
s_call_until (zaf_t *z, zaf_actor_t *actor, const char *method, int timeout_ms, zaf_error_t *err)
{
    return zt_call_until (z, actor, method, NULL, 10000, timeout_ms, err);
}

Test (restarts, a_restarted_broker_serves_the_same_actors_again)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, HEARTBEAT_MS, "n", 2, NULL);
    zaf_t *z = cluster.z;
    zaf_error_t err;
    zaf_actor_t *owned = s_spawn (z, "n1", 0, 0);
    zaf_actor_t *phoenix = s_spawn (z, "n1", -1, 0);
    zaf_spawn_opts_t named = { .node = "n2", .name = "keeper", .detached = true };
    zaf_actor_t *keeper = zaf_spawn (z, "Counter", zaf_json ("[40]"), &named, &err);
    cr_assert_not_null (keeper, "%s", err.message);
    zaf_spawn_opts_t retrying = { .node = "n2", .max_call_retries = 2, .retry_on = ZAF_RETRY_METHOD_FAILED };
    zaf_actor_t *retrier = zaf_spawn (z, "Counter", NULL, &retrying, &err);
    cr_assert_not_null (retrier, "%s", err.message);
    cJSON_Delete (zt_call (z, owned, "add", zaf_json ("[3]"), 10000, &err));
    //  An actor owned by another driver that will not come back
    const char *argv [] = { zt_path ("bin", "zt_driver"), cluster.endpoint, "--owned", "1", NULL };
    zt_proc_t *driver = zt_proc_start (argv, true);
    char *line = zt_proc_read_line (driver, 20000);
    cr_assert (line && strncmp (line, "owned ", 6) == 0, "%s", line ? line : "no line");
    char orphan_id [64];
    snprintf (orphan_id, sizeof (orphan_id), "%s", line + 6);
    free (line);

    //  A call in flight when the broker dies ends at once, "may have run"
    zaf_future_t *pending = zaf_call (z, owned, "sleep", zaf_json ("[3000]"));
    cr_assert (zt_wait_pending (z, zaf_actor_id (owned), 1, 5000), "the call did not reach the broker");
    int64_t killed_at = zclock_mono ();
    kill (zt_proc_pid (cluster.broker), SIGKILL);
    cJSON *result = zaf_get (z, &pending, 5000, &err);
    cr_expect_null (result);
    cr_expect_eq (err.code, ZAF_BROKER_LOST, "%s", err.message);
    cr_expect (strstr (err.message, "may"), "%s", err.message);
    cr_expect_lt (zclock_mono () - killed_at, 3 * HEARTBEAT_MS + 1500);
    zt_proc_stop (&driver, SIGKILL, 5000);      //  Gone for good
    zt_cluster_broker_restart (&cluster, HEARTBEAT_MS);

    //  The same actors answer again, state kept, through the same handles
    cJSON *value = s_call_until (z, owned, "get", 10000, &err);
    cr_assert_not_null (value, "the owned actor did not come back: %s", err.message);
    cr_expect_eq (value->valueint, 3);
    cJSON_Delete (value);
    value = s_call_until (z, phoenix, "get", 5000, &err);
    cr_assert_not_null (value, "%s", err.message);
    cJSON_Delete (value);
    zaf_t *other = zaf_init (cluster.endpoint);
    cr_assert_not_null (other);
    zaf_actor_t *found = zaf_lookup (other, "keeper", &err);
    cr_assert_not_null (found, "the name came back: %s", err.message);
    cr_expect_str_eq (zaf_actor_id (found), zaf_actor_id (keeper));
    value = zt_call (other, found, "get", NULL, 10000, &err);
    cr_assert_not_null (value, "%s", err.message);
    cr_expect_eq (value->valueint, 40);
    cJSON_Delete (value);
    zaf_actor_destroy (&found);
    //  An actor's retry_on came back with it: flaky (1) fails once, then
    //  answers from its second run
    value = zt_call (z, retrier, "flaky", zaf_json ("[1]"), 10000, &err);
    cr_expect_not_null (value, "retry_on lost in the broker restart: %s", err.message);
    cr_expect (value && value->valueint == 2);
    cJSON_Delete (value);
    zaf_actor_destroy (&retrier);

    //  The actor of the driver that never came back ends, owner_died
    zaf_actor_t *orphan = zt_actor_handle (orphan_id);
    zaf_future_t *watch = zaf_monitor (other, orphan);
    cJSON *why = zaf_get (other, &watch, 20 * HEARTBEAT_MS + 5000, &err);
    cr_assert_not_null (why, "the unclaimed actor did not end: %s", err.message);
    cr_expect_str_eq (zaf_json_string (why, "reason", ""), "owner_died");
    cJSON_Delete (why);
    zaf_actor_destroy (&orphan);

    //  Restarts survive the broker restart: lose n1, the phoenix comes back
    kill (zt_proc_pid (cluster.nodes [0]), SIGKILL);
    zt_proc_stop (&cluster.nodes [0], 0, 5000);
    value = s_call_until (z, phoenix, "get", 5000, &err);
    cr_assert_not_null (value, "the restartable actor did not come back: %s", err.message);
    cJSON_Delete (value);
    char *where = zt_actor_node (z, zaf_actor_id (phoenix));
    cr_expect_str_eq (where ? where : "", "n2");
    free (where);
    //  Ownership came back too: the driver's actors go when it leaves
    zaf_actor_t *watched = zaf_actor_dup (phoenix);
    watch = zaf_monitor (other, watched);
    zaf_actor_destroy (&owned);
    zaf_actor_destroy (&phoenix);
    zaf_actor_destroy (&keeper);
    zaf_shutdown (&cluster.z);
    why = zaf_get (other, &watch, 5000, &err);
    cr_assert_not_null (why, "%s", err.message);
    cJSON_Delete (why);
    zaf_actor_destroy (&watched);
    zaf_shutdown (&other);
    zt_cluster_stop (&cluster);
}
