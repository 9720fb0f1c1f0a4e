/*  =========================================================================
    test_bounded - calls bounded in time, against real processes

    A zaf-broker and zaf-node processes on 127.0.0.1. A broker frozen with
    SIGSTOP for 5 s kills nothing that is alive: when it runs again, every
    actor answers through the same handle, and every call made meanwhile
    ends (ok or with an error), none hangs.
    =========================================================================
*/

#include "testutil.h"
#include <criterion/criterion.h>
#include <signal.h>

//  The default heartbeat (1 s; 3 s of silence before a peer is lost) for
//  the tests that flood a node, so that a loaded machine (sanitizers, two
//  cores) does not look like a lost node; a faster one where a node is lost
#define HEARTBEAT_MS 0
#define FAST_HEARTBEAT_MS 500

static void
s_setup (void)
{
    zsys_set_logstream (stderr);
}

TestSuite (bounded, .init = s_setup, .fini = zt_cleanup, .timeout = 90);

#define PAUSE_ACTORS 6
#define PAUSE_CALLS  200

Test (bounded, a_paused_broker_kills_nothing_that_is_alive)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, HEARTBEAT_MS, "p", 2, NULL);
    zaf_t *z = cluster.z;
    zaf_error_t err;
    zaf_actor_t *actors [PAUSE_ACTORS];
    for (int index = 0; index < PAUSE_ACTORS; index++) {
        zaf_spawn_opts_t opts = { .node = index % 2 ? "p2" : "p1" };
        actors [index] = zaf_spawn (z, "Counter", zaf_json ("[%d]", index * 10), &opts, &err);
        cr_assert_not_null (actors [index], "spawn: %s", err.message);
        cJSON_Delete (zt_call (z, actors [index], "add", zaf_json ("[1]"), 10000, &err));
    }
    //  Freeze the broker for 5 s (20 heartbeats); calls made meanwhile
    pid_t broker = zt_proc_pid (cluster.broker);
    cr_assert_eq (kill (broker, SIGSTOP), 0);
    zaf_future_t *futures [PAUSE_CALLS];
    for (int index = 0; index < PAUSE_CALLS; index++)
        futures [index] = zaf_call (z, actors [index % PAUSE_ACTORS], "get", NULL);
    usleep (5000 * 1000);       //  The behaviour under test: a 5 s pause
    cr_assert_eq (kill (broker, SIGCONT), 0);

    //  Every call made during the pause ends, none hangs
    int ok = 0, failed = 0;
    for (int index = 0; index < PAUSE_CALLS; index++) {
        cJSON *value = zaf_get (z, &futures [index], 20000, &err);
        if (value)
            ok++;
        else {
            cr_expect_neq (err.code, ZAF_TIMEOUT, "call %d hangs", index);
            cr_expect_neq (err.code, ZAF_ACTOR_DIED, "call %d: %s", index, err.message);
            if (err.code == ZAF_TIMEOUT)
                zaf_future_destroy (&futures [index]);
            failed++;
        }
        cJSON_Delete (value);
    }
    cr_log_info ("paused broker: %d ok, %d failed of %d", ok, failed, PAUSE_CALLS);
    cr_expect_eq (ok + failed, PAUSE_CALLS);

    //  Every actor still answers through the same handle, state kept
    for (int index = 0; index < PAUSE_ACTORS; index++) {
        cJSON *value = zt_call_until (z, actors [index], "get", NULL, 2000, 15000, &err);
        cr_assert_not_null (value, "actor %d did not answer: %s %s", index,
                            zaf_code_name (err.code), err.message);
        cr_expect_eq (value->valueint, index * 10 + 1);
        cJSON_Delete (value);
    }
    cr_expect_eq (zt_status_count (z, "nodes"), 2);
    for (int index = 0; index < PAUSE_ACTORS; index++)
        zaf_actor_destroy (&actors [index]);
    cr_expect (zt_cluster_stop (&cluster));
}

//  --------------------------------------------------------------------------
//  Deadlines in the envelope

#define DEADLINE_CALLS 1000

Test (bounded, calls_past_their_deadline_end_timeout_without_running)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, HEARTBEAT_MS, "d", 1, NULL);
    zaf_t *z = cluster.z;
    zaf_error_t err;
    zaf_actor_t *busy = zaf_spawn (z, "Counter", NULL, NULL, &err);
    cr_assert_not_null (busy, "%s", err.message);
    //  The actor is busy for 1.5 s; 1,000 calls with 50 ms deadlines queue
    //  behind it
    zaf_future_t *sleeping = zaf_call (z, busy, "sleep", zaf_json ("[1500]"));
    zaf_future_t **futures = (zaf_future_t **) calloc (DEADLINE_CALLS, sizeof (zaf_future_t *));
    zaf_call_opts_t opts = { .timeout_ms = 50 };
    for (int index = 0; index < DEADLINE_CALLS; index++)
        futures [index] = zaf_call_opts (z, busy, "add", zaf_json ("[1]"), &opts);
    int timeouts = 0, other = 0;
    for (int index = 0; index < DEADLINE_CALLS; index++) {
        cJSON *value = zaf_get (z, &futures [index], 20000, &err);
        cr_expect_null (value, "call %d ran", index);
        cJSON_Delete (value);
        if (!value && err.code == ZAF_TIMEOUT && strstr (err.message, "did not run"))
            timeouts++;
        else
            other++;
        if (!value && err.code == ZAF_TIMEOUT && !strstr (err.message, "did not run"))
            zaf_future_destroy (&futures [index]);     //  Still pending: a hang
    }
    free (futures);
    cr_log_info ("1,000 calls past their deadline: %d TIMEOUT, %d other", timeouts, other);
    cr_expect_eq (timeouts, DEADLINE_CALLS, "%d ended TIMEOUT, %d otherwise", timeouts, other);
    cJSON *slept = zaf_get (z, &sleeping, 20000, &err);
    cr_expect_not_null (slept, "%s", err.message);
    cJSON_Delete (slept);
    //  None of them ran; calls within their deadline do
    cr_expect_eq (zt_call_number (z, busy, "get", NULL, 10000), 0);
    opts.timeout_ms = 10000;
    for (int index = 0; index < 10; index++) {
        zaf_future_t *future = zaf_call_opts (z, busy, "add", zaf_json ("[1]"), &opts);
        cJSON *value = zaf_get (z, &future, 10000, &err);
        cr_expect_not_null (value, "%s", err.message);
        cJSON_Delete (value);
    }
    cr_expect_eq (zt_call_number (z, busy, "get", NULL, 10000), 10);
    //  A task past its deadline does not run either
    zaf_future_t *tasks [8];
    for (int index = 0; index < 8; index++)
        tasks [index] = zaf_submit (z, "sleep", zaf_json ("[800]"));
    opts.timeout_ms = 50;
    zaf_future_t *late = zaf_submit_opts (z, "add", zaf_json ("[1, 2]"), &opts);
    cJSON *value = zaf_get (z, &late, 20000, &err);
    cr_expect_null (value);
    cr_expect_eq (err.code, ZAF_TIMEOUT, "%s %s", zaf_code_name (err.code), err.message);
    cJSON_Delete (value);
    if (!value && err.code == ZAF_TIMEOUT)
        zaf_future_destroy (&late);
    for (int index = 0; index < 8; index++)
        cJSON_Delete (zaf_get (z, &tasks [index], 20000, &err));
    //  Bad options change nothing else
    opts.timeout_ms = -1;
    zaf_future_t *bad = zaf_call_opts (z, busy, "add", NULL, &opts);
    cr_expect_null (zaf_get (z, &bad, 1000, &err));
    cr_expect_eq (err.code, ZAF_BAD_ARGS);
    cr_expect_eq (zt_call_number (z, busy, "get", NULL, 10000), 10);
    zaf_actor_destroy (&busy);
    cr_expect (zt_cluster_stop (&cluster));
}

Test (bounded, a_deadline_propagates_two_actors_deep)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, HEARTBEAT_MS, "e", 2, NULL);
    zaf_t *z = cluster.z;
    zaf_error_t err;
    zaf_spawn_opts_t on1 = { .node = "e1" }, on2 = { .node = "e2" };
    zaf_actor_t *first = zaf_spawn (z, "Counter", NULL, &on1, &err);
    zaf_actor_t *second = zaf_spawn (z, "Counter", NULL, &on2, &err);
    cr_assert (first && second);
    cJSON *second_json = zaf_actor_to_json (second);
    char *handle = cJSON_PrintUnformatted (second_json);
    cJSON_Delete (second_json);

    //  No deadline anywhere: the second actor has none
    cJSON *args = zaf_json ("[%s, \"deadline\", [], 10000]", handle);
    cr_expect_eq (zt_call_number (z, first, "call", args, 10000), -1);
    //  The driver's 2 s deadline reaches the second actor, through the
    //  first one whose own call asks for 60 s: the smaller wins
    zaf_call_opts_t opts = { .timeout_ms = 2000 };
    zaf_future_t *future = zaf_call_opts (z, first, "call_within",
                                          zaf_json ("[%s, \"deadline\", [], 60000]", handle), &opts);
    cJSON *left = zaf_get (z, &future, 10000, &err);
    cr_assert_not_null (left, "%s %s", zaf_code_name (err.code), err.message);
    cr_expect (left->valueint > 0 && left->valueint <= 2000, "%d ms left", left->valueint);
    cJSON_Delete (left);
    //  The first actor's own, smaller deadline wins over the driver's
    opts.timeout_ms = 60000;
    future = zaf_call_opts (z, first, "call_within",
                            zaf_json ("[%s, \"deadline\", [], 1500]", handle), &opts);
    left = zaf_get (z, &future, 10000, &err);
    cr_assert_not_null (left, "%s %s", zaf_code_name (err.code), err.message);
    cr_expect (left->valueint > 0 && left->valueint <= 1500, "%d ms left", left->valueint);
    cJSON_Delete (left);
    //  A deadline that passes while the second actor is busy: the nested
    //  call does not run there, and the first actor hears TIMEOUT
    zaf_future_t *busy = zaf_call (z, second, "sleep", zaf_json ("[1000]"));
    opts.timeout_ms = 300;
    future = zaf_call_opts (z, first, "call_within",
                            zaf_json ("[%s, \"add\", [5], 60000]", handle), &opts);
    cJSON *value = zaf_get (z, &future, 10000, &err);
    cr_expect_null (value);
    cr_expect_eq (err.code, ZAF_TIMEOUT, "%s %s", zaf_code_name (err.code), err.message);
    cJSON_Delete (value);
    if (!value && err.code == ZAF_TIMEOUT && !zaf_future_ready (future))
        zaf_future_destroy (&future);
    cJSON_Delete (zaf_get (z, &busy, 10000, &err));
    cr_expect_eq (zt_call_number (z, second, "get", NULL, 10000), 0);
    free (handle);
    zaf_actor_destroy (&first);
    zaf_actor_destroy (&second);
    cr_expect (zt_cluster_stop (&cluster));
}

//  --------------------------------------------------------------------------
//  Cancellation

static bool
s_recorded_one (void *arg)
{
    zaf_t *z = ((zt_cluster_t *) ((void **) arg) [0])->z;
    zaf_actor_t *recorder = (zaf_actor_t *) ((void **) arg) [1];
    zaf_error_t err;
    cJSON *list = zt_call (z, recorder, "recorded", NULL, 5000, &err);
    bool one = list && cJSON_GetArraySize (list) >= 1;
    cJSON_Delete (list);
    return one;
}

static bool
s_call_bool (zaf_t *z, zaf_actor_t *actor, const char *method)
{
    zaf_error_t err;
    cJSON *value = zt_call (z, actor, method, NULL, 15000, &err);
    cr_assert_not_null (value, "%s: %s", method, err.message);
    bool result = cJSON_IsTrue (value);
    cJSON_Delete (value);
    return result;
}

Test (bounded, a_cancelled_call_never_runs_or_sees_the_flag)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, HEARTBEAT_MS, "c", 1, NULL);
    zaf_t *z = cluster.z;
    zaf_error_t err;
    zaf_actor_t *counter = zaf_spawn (z, "Counter", NULL, NULL, &err);
    zaf_actor_t *recorder = zaf_spawn (z, "Counter", NULL, NULL, &err);
    zaf_actor_t *spinner = zaf_spawn (z, "Counter", NULL, NULL, &err);
    zaf_actor_t *middle = zaf_spawn (z, "Counter", NULL, NULL, &err);
    cr_assert (counter && recorder && spinner && middle);

    //  Queued: cancelled while the actor is busy, it never runs
    zaf_future_t *busy = zaf_call (z, counter, "sleep", zaf_json ("[800]"));
    zaf_future_t *queued = zaf_call (z, counter, "add", zaf_json ("[1]"));
    cr_assert (zt_wait_pending (z, zaf_actor_id (counter), 2, 5000));
    cr_expect_eq (zaf_cancel (z, queued, false), 0);
    cr_expect_null (zaf_get (z, &queued, 5000, &err));
    cr_expect_eq (err.code, ZAF_CANCELLED, "%s", zaf_code_name (err.code));
    cJSON_Delete (zaf_get (z, &busy, 10000, &err));
    cr_expect_eq (zt_call_number (z, counter, "get", NULL, 10000), 0, "the cancelled call ran");
    //  An ended future cannot be cancelled: its outcome stands
    zaf_future_t *done = zaf_call (z, counter, "add", zaf_json ("[2]"));
    cr_assert_eq (zaf_wait (z, &done, 1, 1, 10000), 1);
    cr_expect_eq (zaf_cancel (z, done, false), -1);
    cJSON *value = zaf_get (z, &done, 0, &err);
    cr_expect (value && value->valueint == 2);
    cJSON_Delete (value);

    //  Running: the method sees the flag, the caller gets CANCELLED at once
    cJSON *recorder_json = zaf_actor_to_json (recorder);
    char *recorder_text = cJSON_PrintUnformatted (recorder_json);
    cJSON_Delete (recorder_json);
    zaf_future_t *running = zaf_call (z, spinner, "spin", zaf_json ("[%s, 10000]", recorder_text));
    void *arg [2] = { &cluster, recorder };
    cr_assert (zt_wait_until (s_recorded_one, arg, 10000), "the spin did not start");
    cr_expect_eq (zaf_cancel (z, running, false), 0);
    cr_expect_null (zaf_get (z, &running, 0, &err));
    cr_expect_eq (err.code, ZAF_CANCELLED);
    cr_expect (s_call_bool (z, spinner, "saw_cancel"), "the running method did not see the flag");

    //  Recursive: the call the method waits on is cancelled too
    cJSON_Delete (zt_call (z, recorder, "recorded", NULL, 5000, &err));
    zaf_actor_t *fresh = zaf_spawn (z, "Counter", NULL, NULL, &err);
    cJSON *fresh_json = zaf_actor_to_json (fresh);
    char *fresh_text = cJSON_PrintUnformatted (fresh_json);
    cJSON_Delete (fresh_json);
    cJSON *spinner_json = zaf_actor_to_json (spinner);
    char *spinner_text = cJSON_PrintUnformatted (spinner_json);
    cJSON_Delete (spinner_json);
    void *fresh_arg [2] = { &cluster, fresh };
    zaf_future_t *outer = zaf_call (z, middle, "call",
                                    zaf_json ("[%s, \"spin\", [%s, 10000], 20000]", spinner_text, fresh_text));
    cr_assert (zt_wait_until (s_recorded_one, fresh_arg, 10000), "the nested spin did not start");
    cr_expect_eq (zaf_cancel (z, outer, true), 0);
    cr_expect_null (zaf_get (z, &outer, 0, &err));
    cr_expect_eq (err.code, ZAF_CANCELLED);
    cr_expect (s_call_bool (z, spinner, "saw_cancel"), "the nested call did not see the flag");
    free (recorder_text);
    free (fresh_text);
    free (spinner_text);
    zaf_actor_destroy (&fresh);
    zaf_actor_destroy (&counter);
    zaf_actor_destroy (&recorder);
    zaf_actor_destroy (&spinner);
    zaf_actor_destroy (&middle);
    cr_expect (zt_cluster_stop (&cluster));
}

#define RACE_CALLS 10000

Test (bounded, cancels_racing_replies_end_every_future_exactly_once)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, HEARTBEAT_MS, "r", 1, NULL);
    zaf_t *z = cluster.z;
    zaf_error_t err;
    zaf_actor_t *counter = zaf_spawn (z, "Counter", NULL, NULL, &err);
    cr_assert_not_null (counter);
    zaf_future_t **futures = (zaf_future_t **) calloc (RACE_CALLS, sizeof (zaf_future_t *));
    bool *cancelled = (bool *) calloc (RACE_CALLS, sizeof (bool));
    int cancels = 0;
    for (int index = 0; index < RACE_CALLS; index++) {
        futures [index] = zaf_call (z, counter, "add", zaf_json ("[1]"));
        //  Now and then let answers in, so that some cancels come too late
        if (index % 64 == 63)
            zaf_wait (z, futures, (size_t) index + 1, (size_t) index + 1, 0);
        //  Cancel half of the calls, each a few calls after it was made,
        //  racing its answer on the way back
        int victim = index - (int) (index % 64 % 5);
        if ((victim % 2 == 0) && !cancelled [victim] && zaf_cancel (z, futures [victim], false) == 0) {
            cancelled [victim] = true;
            cancels++;
        }
    }
    int ok = 0, cancelled_ends = 0, other = 0;
    for (int index = 0; index < RACE_CALLS; index++) {
        cJSON *value = zaf_get (z, &futures [index], 20000, &err);
        if (value)
            ok++;
        else
        if (err.code == ZAF_CANCELLED)
            cancelled_ends++;
        else
            other++;
        cr_expect (value ? !cancelled [index] : cancelled [index] || err.code != ZAF_CANCELLED,
                   "future %d: cancel said %d, outcome %s", index, cancelled [index],
                   value ? "ok" : zaf_code_name (err.code));
        cJSON_Delete (value);
        zaf_future_destroy (&futures [index]);
    }
    cr_log_info ("10,000 calls: %d cancels accepted, %d ok, %d CANCELLED, %d other",
                 cancels, ok, cancelled_ends, other);
    cr_expect_eq (other, 0);
    cr_expect_eq (ok + cancelled_ends, RACE_CALLS);
    cr_expect_eq (cancelled_ends, cancels);
    cr_expect_gt (cancels, 0);
    //  Every call that answered ok ran; the cancelled ones at most once
    int ran = (int) zt_call_number (z, counter, "get", NULL, 10000);
    cr_log_info ("10,000 calls: the actor ran %d of them", ran);
    cr_expect (ran >= ok && ran <= RACE_CALLS, "ran %d, ok %d", ran, ok);
    //  Nothing stays in flight at the broker
    cr_expect_eq (zt_actor_pending (z, zaf_actor_id (counter)), 0);
    free (futures);
    free (cancelled);
    zaf_actor_destroy (&counter);
    cr_expect (zt_cluster_stop (&cluster));
}

//  --------------------------------------------------------------------------
//  Task retries

//  True once every node the broker lists runs at least one task
static bool
s_tasks_on_every_node (void *arg)
{
    zaf_error_t err;
    cJSON *status = zaf_client_status ((zaf_t *) arg, NULL, 2000, &err);
    const cJSON *nodes = cJSON_GetObjectItem (status, "nodes");
    bool all = cJSON_GetArraySize (nodes) > 0;
    const cJSON *node;
    cJSON_ArrayForEach (node, nodes)
        if (zaf_json_int (node, "tasks", 0) < 1)
            all = false;
    cJSON_Delete (status);
    return all;
}

#define RETRY_TASKS 8
#define PLAIN_TASKS 4

Test (bounded, tasks_lost_with_their_node_run_again_elsewhere)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, FAST_HEARTBEAT_MS, "t", 2, NULL);
    zaf_t *z = cluster.z;
    zaf_error_t err;
    //  Tasks that may run again when their node is lost, and plain ones
    zaf_call_opts_t opts = { .max_task_retries = 2, .retry_on = ZAF_RETRY_NODE_LOST };
    zaf_future_t *retried [RETRY_TASKS], *plain [PLAIN_TASKS];
    for (int index = 0; index < RETRY_TASKS; index++)
        retried [index] = zaf_submit_opts (z, "sleep", zaf_json ("[1500]"), &opts);
    for (int index = 0; index < PLAIN_TASKS; index++)
        plain [index] = zaf_submit (z, "sleep", zaf_json ("[1500]"));
    cr_assert (zt_wait_until (s_tasks_on_every_node, z, 5000), "tasks did not reach both nodes");
    kill (zt_proc_pid (cluster.nodes [0]), SIGKILL);
    zt_proc_stop (&cluster.nodes [0], 0, 5000);

    //  Every retryable task completes on the other node
    for (int index = 0; index < RETRY_TASKS; index++) {
        cJSON *value = zaf_get (z, &retried [index], 20000, &err);
        cr_expect_not_null (value, "retryable task %d: %s %s", index, zaf_code_name (err.code), err.message);
        cr_expect (!value || value->valueint == 1500);
        cJSON_Delete (value);
        zaf_future_destroy (&retried [index]);
    }
    //  Plain tasks on the lost node end NODE_LOST, as before
    int ok = 0, lost = 0;
    for (int index = 0; index < PLAIN_TASKS; index++) {
        cJSON *value = zaf_get (z, &plain [index], 20000, &err);
        if (value)
            ok++;
        else
        if (err.code == ZAF_NODE_LOST)
            lost++;
        cJSON_Delete (value);
        zaf_future_destroy (&plain [index]);
    }
    cr_log_info ("kill -9 with tasks running: %d retryable all done; plain: %d ok, %d NODE_LOST",
                 RETRY_TASKS, ok, lost);
    cr_expect_eq (ok + lost, PLAIN_TASKS);
    cr_expect_gt (lost, 0, "no plain task was on the lost node");
    //  Bad retry options are refused and change nothing else
    zaf_call_opts_t bad = { .max_task_retries = 1000, .retry_on = ZAF_RETRY_NODE_LOST };
    zaf_future_t *refused = zaf_submit_opts (z, "add", zaf_json ("[1, 2]"), &bad);
    cr_expect_null (zaf_get (z, &refused, 1000, &err));
    cr_expect_eq (err.code, ZAF_BAD_ARGS);
    cr_expect (zt_cluster_stop (&cluster));
}

//  --------------------------------------------------------------------------
//  retry_on method_failed: calls and tasks answered METHOD_FAILED run again

Test (bounded, calls_that_fail_run_again_up_to_max_call_retries)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, HEARTBEAT_MS, "r", 1, NULL);
    zaf_t *z = cluster.z;
    zaf_error_t err;
    //  flaky (2) fails on its first two runs: with 3 retries the caller
    //  sees one success, from the third run
    zaf_spawn_opts_t retrying = { .max_call_retries = 3, .retry_on = ZAF_RETRY_METHOD_FAILED };
    zaf_actor_t *actor = zaf_spawn (z, "Counter", NULL, &retrying, &err);
    cr_assert_not_null (actor, "%s", err.message);
    cJSON *value = zt_call (z, actor, "flaky", zaf_json ("[2]"), 10000, &err);
    cr_assert_not_null (value, "%s %s", zaf_code_name (err.code), err.message);
    cr_expect_eq (value->valueint, 3);
    cJSON_Delete (value);
    cr_expect_eq (zt_call_number (z, actor, "get", NULL, 10000), 3, "not run exactly 3 times");
    //  Retries stop at max_call_retries: 1 run + 3 retries, then the failure
    cJSON_Delete (zt_call (z, actor, "add", zaf_json ("[-3]"), 10000, &err));
    cr_expect_null (zt_call (z, actor, "flaky", zaf_json ("[10]"), 10000, &err));
    cr_expect_eq (err.code, ZAF_METHOD_FAILED, "%s", zaf_code_name (err.code));
    cr_expect (strstr (err.message, "run 4 fails"), "%s", err.message);
    cr_expect_eq (zt_call_number (z, actor, "get", NULL, 10000), 4, "not run 1 + 3 times");
    //  Other errors are not retried
    cr_expect_null (zt_call (z, actor, "fail_code", zaf_json ("[\"BAD_ARGS\", \"no\"]"), 10000, &err));
    cr_expect_eq (err.code, ZAF_BAD_ARGS);
    //  Nor past the call's deadline: spin_fail runs 300 ms and fails, the
    //  deadline is 500 ms, so a second run may start but never a third
    cJSON_Delete (zt_call (z, actor, "add", zaf_json ("[-4]"), 10000, &err));
    zaf_call_opts_t within = { .timeout_ms = 500 };
    zaf_future_t *late = zaf_call_opts (z, actor, "spin_fail", zaf_json ("[null, 300]"), &within);
    cr_expect_null (zaf_get (z, &late, 10000, &err));
    cr_expect (err.code == ZAF_TIMEOUT || err.code == ZAF_METHOD_FAILED, "%s", zaf_code_name (err.code));
    zaf_future_destroy (&late);
    //  A retry would be queued by the time the first get is answered
    cJSON_Delete (zt_call (z, actor, "get", NULL, 10000, &err));
    int runs = zt_call_number (z, actor, "get", NULL, 10000);
    cr_expect (runs >= 1 && runs <= 2, "spin_fail ran %d times past its deadline", runs);

    //  Without retry_on the first failure is the answer
    zaf_spawn_opts_t plain = { .max_call_retries = 3 };
    zaf_actor_t *once = zaf_spawn (z, "Counter", NULL, &plain, &err);
    cr_assert_not_null (once, "%s", err.message);
    cr_expect_null (zt_call (z, once, "flaky", zaf_json ("[2]"), 10000, &err));
    cr_expect_eq (err.code, ZAF_METHOD_FAILED);
    cr_expect (strstr (err.message, "run 1 fails"), "%s", err.message);
    cr_expect_eq (zt_call_number (z, once, "get", NULL, 10000), 1);

    //  Bad retry options are refused at spawn and spawn nothing
    int actors = zt_status_count (z, "actors");
    zaf_spawn_opts_t bad_bits = { .max_call_retries = 1, .retry_on = 8 };
    cr_expect_null (zaf_spawn (z, "Counter", NULL, &bad_bits, &err));
    cr_expect_eq (err.code, ZAF_BAD_ARGS, "%s", zaf_code_name (err.code));
    zaf_spawn_opts_t unbounded = { .max_call_retries = -1, .retry_on = ZAF_RETRY_METHOD_FAILED };
    cr_expect_null (zaf_spawn (z, "Counter", NULL, &unbounded, &err));
    cr_expect_eq (err.code, ZAF_BAD_ARGS, "%s", zaf_code_name (err.code));
    cr_expect (strstr (err.message, "retry_on"), "%s", err.message);
    cr_expect_eq (zt_status_count (z, "actors"), actors);
    zaf_actor_destroy (&actor);
    zaf_actor_destroy (&once);
    cr_expect (zt_cluster_stop (&cluster));
}

Test (bounded, a_cancelled_call_is_never_retried)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, HEARTBEAT_MS, "x", 1, NULL);
    zaf_t *z = cluster.z;
    zaf_error_t err;
    zaf_spawn_opts_t retrying = { .max_call_retries = 3, .retry_on = ZAF_RETRY_METHOD_FAILED };
    zaf_actor_t *spinner = zaf_spawn (z, "Counter", NULL, &retrying, &err);
    zaf_actor_t *recorder = zaf_spawn (z, "Counter", NULL, NULL, &err);
    cr_assert (spinner && recorder);
    cJSON *recorder_json = zaf_actor_to_json (recorder);
    char *recorder_text = cJSON_PrintUnformatted (recorder_json);
    cJSON_Delete (recorder_json);
    //  spin_fail fails with METHOD_FAILED after its cancel: that failure
    //  must not send it again
    zaf_future_t *running = zaf_call (z, spinner, "spin_fail", zaf_json ("[%s, 3000]", recorder_text));
    void *arg [2] = { &cluster, recorder };
    cr_assert (zt_wait_until (s_recorded_one, arg, 10000), "the spin did not start");
    cr_expect_eq (zaf_cancel (z, running, false), 0);
    cr_expect_null (zaf_get (z, &running, 0, &err));
    cr_expect_eq (err.code, ZAF_CANCELLED);
    //  The spin's failure reaches the broker before this call's answer
    //  does; a retry would then be queued before the next call
    cr_expect (s_call_bool (z, spinner, "saw_cancel"), "the method did not see the flag");
    cr_expect_eq (zt_call_number (z, spinner, "get", NULL, 10000), 1, "the cancelled call ran again");
    free (recorder_text);
    zaf_actor_destroy (&spinner);
    zaf_actor_destroy (&recorder);
    cr_expect (zt_cluster_stop (&cluster));
}

Test (bounded, a_task_that_fails_once_runs_again)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, HEARTBEAT_MS, "f", 1, NULL);
    zaf_t *z = cluster.z;
    zaf_error_t err;
    char path [] = "/tmp/zaf-flaky-XXXXXX";
    int fd = mkstemp (path);
    cr_assert (fd >= 0);
    close (fd);
    //  flaky_file (path, 1) fails on its first run, succeeds on the second
    zaf_call_opts_t opts = { .max_task_retries = 2, .retry_on = ZAF_RETRY_METHOD_FAILED };
    zaf_future_t *task = zaf_submit_opts (z, "flaky_file", zaf_json ("[\"%s\", 1]", path), &opts);
    cJSON *value = zaf_get (z, &task, 10000, &err);
    cr_expect_not_null (value, "%s %s", zaf_code_name (err.code), err.message);
    cr_expect (value && value->valueint == 2, "not run exactly twice");
    cJSON_Delete (value);
    //  Without method_failed in retry_on the first failure is the answer
    cr_assert_eq (truncate (path, 0), 0);
    zaf_call_opts_t lost_only = { .max_task_retries = 2, .retry_on = ZAF_RETRY_NODE_LOST };
    task = zaf_submit_opts (z, "flaky_file", zaf_json ("[\"%s\", 1]", path), &lost_only);
    cr_expect_null (zaf_get (z, &task, 10000, &err));
    cr_expect_eq (err.code, ZAF_METHOD_FAILED, "%s", zaf_code_name (err.code));
    //  Retries stop at max_task_retries: 1 run + 2 retries
    cr_assert_eq (truncate (path, 0), 0);
    task = zaf_submit_opts (z, "flaky_file", zaf_json ("[\"%s\", 10]", path), &opts);
    cr_expect_null (zaf_get (z, &task, 10000, &err));
    cr_expect_eq (err.code, ZAF_METHOD_FAILED);
    cr_expect (strstr (err.message, "run 3 fails"), "%s", err.message);
    unlink (path);
    cr_expect (zt_cluster_stop (&cluster));
}

//  --------------------------------------------------------------------------
//  Drain

#define DRAIN_DRIVERS 3
#define DRAIN_MOVERS  4

static bool
s_proc_exited (void *arg)
{
    int *status = (int *) ((void **) arg) [1];
    *status = zt_proc_wait ((zt_proc_t *) ((void **) arg) [0], 0);
    return *status != -1;
}

Test (bounded, a_drained_node_finishes_its_work_and_exits)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, HEARTBEAT_MS, "g", 2, NULL);
    zaf_error_t err;
    //  Restartable actors on the node to drain, and one that is not
    zaf_actor_t *movers [DRAIN_MOVERS];
    zaf_spawn_opts_t restartable = { .node = "g1", .max_restarts = 1 };
    for (int index = 0; index < DRAIN_MOVERS; index++) {
        movers [index] = zaf_spawn (cluster.z, "Counter", NULL, &restartable, &err);
        cr_assert_not_null (movers [index], "%s", err.message);
    }
    //  One that is not restartable stays until its node ends it; its
    //  destructor writes why to a file, as does one killed before
    zaf_spawn_opts_t on2 = { .node = "g2" }, on1 = { .node = "g1" };
    zaf_actor_t *stayer = zaf_spawn (cluster.z, "Counter", NULL, &on1, &err);
    zaf_actor_t *killed = zaf_spawn (cluster.z, "Counter", NULL, &on2, &err);
    cr_assert (stayer && killed);
    char stayer_path [] = "/tmp/zaf-drain-XXXXXX", killed_path [] = "/tmp/zaf-kill-XXXXXX";
    int fd = mkstemp (stayer_path);
    cr_assert (fd >= 0);
    close (fd);
    fd = mkstemp (killed_path);
    cr_assert (fd >= 0);
    close (fd);
    cJSON_Delete (zt_call (cluster.z, stayer, "report_end", zaf_json ("[\"%s\"]", stayer_path), 5000, &err));
    cJSON_Delete (zt_call (cluster.z, killed, "report_end", zaf_json ("[\"%s\"]", killed_path), 5000, &err));
    cr_expect_eq (zaf_kill (cluster.z, killed, &err), 0);
    //  Three drivers call them all the while
    zaf_t *drivers [DRAIN_DRIVERS];
    for (int index = 0; index < DRAIN_DRIVERS; index++) {
        drivers [index] = zaf_init (cluster.endpoint);
        cr_assert_not_null (drivers [index]);
    }
    int sent = 0, ok = 0, failed = 0;
    zaf_future_t *window [DRAIN_DRIVERS][8] = { { NULL } };
    cr_expect_eq (zaf_drain (cluster.z, "nobody", 0, &err), -1);
    cr_expect_eq (err.code, ZAF_NO_SUCH_NODE);
    bool drained = false;
    int status = -1;
    void *arg [2] = { cluster.nodes [0], &status };
    int64_t until = zclock_mono () + 30000;
    for (int round = 0; zclock_mono () < until; round++) {
        for (int driver = 0; driver < DRAIN_DRIVERS; driver++)
            for (int slot = 0; slot < 8; slot++) {
                zaf_future_t **future = &window [driver][slot];
                if (*future) {
                    cJSON *value = zaf_get (drivers [driver], future, 20000, &err);
                    if (value)
                        ok++;
                    else {
                        failed++;
                        cr_expect_neq (err.code, ZAF_TIMEOUT, "a call hangs");
                        cr_log_warn ("call failed: %s %s", zaf_code_name (err.code), err.message);
                        zaf_future_destroy (future);
                    }
                    cJSON_Delete (value);
                }
                *future = zaf_call (drivers [driver], movers [(slot + round) % DRAIN_MOVERS], "add",
                                    zaf_json ("[1]"));
                sent++;
            }
        if (round == 3) {
            cr_assert_eq (zaf_drain (cluster.z, "g1", 10000, &err), 0, "%s", err.message);
            drained = true;
        }
        if (drained && s_proc_exited (arg))
            break;
    }
    for (int driver = 0; driver < DRAIN_DRIVERS; driver++)
        for (int slot = 0; slot < 8; slot++)
            if (window [driver][slot]) {
                cJSON *value = zaf_get (drivers [driver], &window [driver][slot], 20000, &err);
                if (value)
                    ok++;
                else {
                    failed++;
                    zaf_future_destroy (&window [driver][slot]);
                }
                cJSON_Delete (value);
            }
    cr_log_info ("drain under load: %d sent, %d ok, %d failed; the node exited with %d",
                 sent, ok, failed, status);
    cr_expect_eq (ok + failed, sent);
    cr_expect_eq (failed, 0, "calls to restartable actors failed during the drain");
    cr_expect_eq (status, 0, "the drained node exited with %d", status);
    zt_proc_stop (&cluster.nodes [0], 0, 5000);
    //  The restartable actors answer from the other node, state kept in
    //  none of them but each answering
    for (int index = 0; index < DRAIN_MOVERS; index++) {
        cJSON *value = zt_call (cluster.z, movers [index], "get", NULL, 10000, &err);
        cr_expect_not_null (value, "mover %d: %s %s", index, zaf_code_name (err.code), err.message);
        cJSON_Delete (value);
        char *where = zt_actor_node (cluster.z, zaf_actor_id (movers [index]));
        cr_expect_str_eq (where ? where : "", "g2");
        free (where);
    }
    //  Destructors were told why: killed, and drained (the node has exited,
    //  so its destructors have run)
    char line [64] = "";
    FILE *file = fopen (killed_path, "r");
    cr_expect (file && fgets (line, sizeof (line), file), "the killed actor's destructor wrote nothing");
    cr_expect_str_eq (line, "killed\n");
    if (file)
        fclose (file);
    line [0] = 0;
    file = fopen (stayer_path, "r");
    cr_expect (file && fgets (line, sizeof (line), file), "the drained actor's destructor wrote nothing");
    cr_expect_str_eq (line, "drained\n");
    if (file)
        fclose (file);
    unlink (killed_path);
    unlink (stayer_path);
    zaf_actor_destroy (&stayer);
    zaf_actor_destroy (&killed);
    for (int driver = 0; driver < DRAIN_DRIVERS; driver++)
        zaf_shutdown (&drivers [driver]);
    for (int index = 0; index < DRAIN_MOVERS; index++)
        zaf_actor_destroy (&movers [index]);
    cr_expect (zt_cluster_stop (&cluster));
}

//  A drained node waits for the tasks it runs: they end ok, and the node
//  exits as soon as they are done, long before drain_ms
Test (bounded, a_drained_node_waits_for_its_tasks)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, HEARTBEAT_MS, "w", 1, NULL);
    zaf_error_t err;
    zaf_future_t *tasks [3];
    for (int index = 0; index < 3; index++) {
        tasks [index] = zaf_submit (cluster.z, "sleep", zaf_json ("[1500]"));
        cr_assert_not_null (tasks [index]);
    }
    //  The SUBMITs reach the node before the DRAIN does (one connection)
    cr_assert_eq (zaf_drain (cluster.z, "w1", 60000, &err), 0, "%s", err.message);
    int64_t drained_at = zclock_mono ();
    for (int index = 0; index < 3; index++) {
        cJSON *value = zaf_get (cluster.z, &tasks [index], 20000, &err);
        cr_expect_not_null (value, "task %d: %s %s", index, zaf_code_name (err.code), err.message);
        cJSON_Delete (value);
    }
    int status = -1;
    void *arg [2] = { cluster.nodes [0], &status };
    cr_expect (zt_wait_until (s_proc_exited, arg, 20000), "the drained node did not exit");
    cr_expect_eq (status, 0);
    cr_expect_lt (zclock_mono () - drained_at, 30000, "the node waited for drain_ms, not for its tasks");
    //  A new task finds no node to run on
    zaf_future_t *late = zaf_submit (cluster.z, "sleep", zaf_json ("[1]"));
    cJSON *value = zaf_get (cluster.z, &late, 10000, &err);
    cr_expect_null (value);
    cJSON_Delete (value);
    zaf_future_destroy (&late);
    zt_cluster_stop (&cluster);
}

