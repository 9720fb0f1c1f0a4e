/*  =========================================================================
    test_processes - zaf-broker and zaf-node as real processes

    Each test starts its own zaf-broker on an ephemeral 127.0.0.1 port and
    zaf-node processes loading the test actors module, and drives them from
    the test process over TCP. Faults are injected for real: kill -9 of a
    node with calls in flight, kill -9 of the broker, a broker restarted on
    the same port. Every process is tracked by pid and reaped in .fini.
    =========================================================================
*/

#include "testutil.h"
#include <criterion/criterion.h>
#include <signal.h>

static void
s_setup (void)
{
    zsys_set_logstream (stderr);
}

TestSuite (processes, .init = s_setup, .fini = zt_cleanup, .timeout = 120);

static zaf_actor_t *
s_spawn_on (zaf_t *z, const char *node)
{
    zaf_spawn_opts_t opts = { .node = node };
    zaf_error_t err;
    zaf_actor_t *actor = zaf_spawn (z, "Counter", NULL, &opts, &err);
    cr_assert_not_null (actor, "spawn on %s failed: %s", node ? node : "any", err.message);
    return actor;
}

Test (processes, actors_are_placed_on_both_nodes)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 0, "n", 2, NULL);
    zaf_actor_t *actors [6];
    int on_n1 = 0, on_n2 = 0;
    for (int index = 0; index < 6; index++) {
        actors [index] = s_spawn_on (cluster.z, NULL);
        char *node = zt_actor_node (cluster.z, zaf_actor_id (actors [index]));
        cr_assert_not_null (node);
        on_n1 += streq (node, "n1");
        on_n2 += streq (node, "n2");
        free (node);
    }
    //  Fewest actors first: three on each
    cr_assert_eq (on_n1, 3);
    cr_assert_eq (on_n2, 3);
    for (int index = 0; index < 6; index++) {
        zaf_error_t err;
        cJSON *result = zt_call (cluster.z, actors [index], "add", zaf_json ("[%d]", index),
                                 10000, &err);
        cr_assert_not_null (result, "%s", err.message);
        cr_assert_eq (result->valuedouble, index);
        cJSON_Delete (result);
    }
    //  An actor on n1 calls one on n2 through the broker
    cJSON *args = cJSON_CreateArray ();
    cJSON_AddItemToArray (args, zaf_actor_to_json (actors [1]));
    cJSON_AddItemToArray (args, cJSON_CreateString ("add"));
    cJSON_AddItemToArray (args, zaf_json ("[100]"));
    zaf_error_t err;
    cJSON *result = zt_call (cluster.z, actors [0], "call", args, 10000, &err);
    cr_assert_not_null (result, "%s", err.message);
    cr_assert_eq (result->valuedouble, 101);
    cJSON_Delete (result);
    for (int index = 0; index < 6; index++)
        zaf_actor_destroy (&actors [index]);
    cr_expect (zt_cluster_stop (&cluster), "every process stops cleanly on SIGTERM");
}

Test (processes, param_server_driver_against_two_nodes)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 0, "n", 2, zt_path ("lib", "libparam_server.so"));
    const char *argv [] = {
        zt_path ("bin", "param_server"), "--address", cluster.endpoint,
        "--updates", "5", "--interval-ms", "20", NULL
    };
    zt_proc_t *driver = zt_proc_start (argv, true);
    cr_assert_not_null (driver);
    int rc = zt_proc_wait (driver, 60000);
    char *output = zt_proc_read_all (driver, 1000);
    cr_assert_eq (rc, 0, "param_server exited %d:\n%s", rc, output);
    cr_assert (strstr (output, "Initial params: [0. 0. 0. 0. 0. 0. 0. 0. 0. 0.]"), "%s", output);
    cr_assert (strstr (output, "Updated params: ["), "%s", output);
    cr_assert (strstr (output, "Final params: [-15. -15. -15. -15. -15. -15. -15. -15. -15. -15.]"),
               "%s", output);
    free (output);
    zt_proc_stop (&driver, 0, 1000);
    cr_expect (zt_cluster_stop (&cluster), "every process stops cleanly on SIGTERM");
}

Test (processes, kill_9_node_ends_every_pending_call, .timeout = 120)
{
    const int heartbeat_ms = 250;
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, heartbeat_ms, "n", 2, NULL);
    zaf_actor_t *doomed = s_spawn_on (cluster.z, "n1");
    zaf_actor_t *survivor = s_spawn_on (cluster.z, "n2");

    //  1,000 calls in flight to the actor on n1: each sleeps 10 ms, so most
    //  are still queued when the node dies
    const int count = 1000;
    zaf_future_t **futures = (zaf_future_t **) calloc (count, sizeof (zaf_future_t *));
    for (int index = 0; index < count; index++)
        futures [index] = zaf_call (cluster.z, doomed, "sleep", zaf_json ("[10]"));
    zaf_future_t *task = zaf_submit (cluster.z, "sleep", zaf_json ("[2000]"));
    //  The first call answered: the node is running them, the rest queue
    cr_assert_geq (zaf_wait (cluster.z, futures, count, 1, 10000), 1, "no call ran");
    kill (zt_proc_pid (cluster.nodes [0]), SIGKILL);
    int64_t killed_at = zclock_mono ();

    int ok = 0, died = 0, lost = 0;
    int64_t last_end = killed_at;
    for (int index = 0; index < count; index++) {
        zaf_error_t err;
        cJSON *result = zaf_get (cluster.z, &futures [index], 10000, &err);
        if (result) {
            ok++;
            cJSON_Delete (result);
            continue;
        }
        cr_assert (err.code == ZAF_ACTOR_DIED || err.code == ZAF_NODE_LOST,
                   "call %d ended %s: %s", index, zaf_code_name (err.code), err.message);
        died += err.code == ZAF_ACTOR_DIED;
        lost += err.code == ZAF_NODE_LOST;
        last_end = zclock_mono ();
    }
    free (futures);
    cr_assert_eq (ok + died + lost, count);
    cr_assert_gt (died + lost, 0, "no call was in flight when the node died");
    cr_assert_leq (last_end - killed_at, 3 * heartbeat_ms + 1000,
                   "pending calls took %" PRId64 " ms to end", last_end - killed_at);
    //  The task ends with NODE_LOST if it landed on the lost node, and
    //  runs to the end if it landed on the other
    zaf_error_t err;
    cJSON *result = zaf_get (cluster.z, &task, 10000, &err);
    if (result)
        cr_assert_eq (result->valuedouble, 2000);
    else
        cr_assert_eq (err.code, ZAF_NODE_LOST, "task ended %s: %s", zaf_code_name (err.code),
                      err.message);
    cJSON_Delete (result);

    //  The broker serves the other node
    cr_assert (zt_wait_nodes (cluster.z, 1, 5000));
    for (int index = 0; index < 100; index++) {
        result = zt_call (cluster.z, survivor, "add", zaf_json ("[1]"), 10000, &err);
        cr_assert_not_null (result, "%s", err.message);
        cr_assert_eq (result->valuedouble, index + 1);
        cJSON_Delete (result);
    }
    //  And the dead actor stays dead
    result = zt_call (cluster.z, doomed, "get", NULL, 10000, &err);
    cr_assert_null (result);
    cr_assert_eq (err.code, ZAF_ACTOR_DIED);
    cr_assert (strstr (err.message, "node_lost"), "%s", err.message);
    zaf_actor_destroy (&doomed);
    zaf_actor_destroy (&survivor);
    zt_proc_stop (&cluster.nodes [0], 0, 1000);
    cr_expect (zt_cluster_stop (&cluster), "every process stops cleanly on SIGTERM");
}

Test (processes, broker_killed_ends_pending_calls_at_once)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 0, "n", 2, NULL);
    zaf_actor_t *actor = s_spawn_on (cluster.z, NULL);
    zaf_future_t *future = zaf_call (cluster.z, actor, "sleep", zaf_json ("[5000]"));
    //  The call is in flight: the broker holds it
    cr_assert (zt_wait_pending (cluster.z, zaf_actor_id (actor), 1, 5000), "the call did not reach the broker");
    kill (zt_proc_pid (cluster.broker), SIGKILL);
    int64_t killed_at = zclock_mono ();
    zaf_error_t err;
    cJSON *result = zaf_get (cluster.z, &future, 10000, &err);
    cr_assert_null (result);
    cr_assert_eq (err.code, ZAF_BROKER_LOST, "got %s", zaf_code_name (err.code));
    cr_assert_lt (zclock_mono () - killed_at, 1000, "BROKER_LOST took %" PRId64 " ms",
                  zclock_mono () - killed_at);
    //  With no broker, new calls fail fast instead of hanging
    int64_t started = zclock_mono ();
    result = zt_call (cluster.z, actor, "get", NULL, 10000, &err);
    cr_assert_null (result);
    cr_assert_eq (err.code, ZAF_BROKER_LOST, "got %s: %s", zaf_code_name (err.code), err.message);
    cr_assert_lt (zclock_mono () - started, 5000);
    zaf_actor_destroy (&actor);
    zt_proc_stop (&cluster.broker, 0, 1000);
    cr_expect (zt_cluster_stop (&cluster), "every process stops cleanly on SIGTERM");
}

Test (processes, nodes_and_drivers_come_back_after_a_broker_restart)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 250, "n", 2, NULL);
    //  Same endpoint, new broker
    zt_cluster_broker_restart (&cluster, 250);
    //  The nodes dial again and register; the driver's next call reconnects
    cr_assert (zt_wait_nodes (cluster.z, 2, 15000), "nodes did not re-register with the new broker");
    zaf_actor_t *actor = s_spawn_on (cluster.z, "n2");
    zaf_error_t err;
    cJSON *result = zt_call (cluster.z, actor, "add", zaf_json ("[2]"), 10000, &err);
    cr_assert_not_null (result, "%s", err.message);
    cr_assert_eq (result->valuedouble, 2);
    cJSON_Delete (result);
    zaf_actor_destroy (&actor);
    cr_expect (zt_cluster_stop (&cluster), "every process stops cleanly on SIGTERM");
}

Test (processes, garbage_to_the_broker_leaves_it_serving)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 0, "n", 2, NULL);
    zsock_t *rogue = zsock_new_dealer (cluster.endpoint);
    cr_assert_not_null (rogue);
    for (int index = 0; index < 2000; index++) {
        switch (index % 5) {
            case 0: zstr_send (rogue, "garbage"); break;
            case 1: zstr_sendx (rogue, "ZAF1", "NOPE", NULL); break;
            case 2: zstr_sendx (rogue, "ZAF1", "CALL", "", NULL); break;
            case 3: zstr_sendx (rogue, "ZAF1", "HELLO", "node", "{not json", NULL); break;
            case 4: zstr_sendx (rogue, "ZAF1", "REPLY", "x", "y", "ok", "{}", NULL); break;
        }
    }
    zaf_actor_t *actor = s_spawn_on (cluster.z, NULL);
    for (int index = 0; index < 100; index++) {
        zaf_error_t err;
        cJSON *result = zt_call (cluster.z, actor, "add", zaf_json ("[1]"), 10000, &err);
        cr_assert_not_null (result, "%s", err.message);
        cJSON_Delete (result);
    }
    zaf_error_t err;
    cJSON *status = zaf_client_status (cluster.z, NULL, 5000, &err);
    cJSON *counters = cJSON_GetObjectItem (status, "counters");
    cr_assert_gt (zaf_json_int (counters, "malformed", 0) + zaf_json_int (counters, "unknown_peer", 0),
                  0);
    cr_assert_eq (cJSON_GetArraySize (cJSON_GetObjectItem (status, "nodes")), 2);
    cJSON_Delete (status);
    zsock_destroy (&rogue);
    zaf_actor_destroy (&actor);
    cr_expect (zt_cluster_stop (&cluster), "every process stops cleanly on SIGTERM");
}

Test (processes, programs_answer_help_and_refuse_bad_flags)
{
    const char *help [] = { zt_path ("bin", "zaf-broker"), "--help", NULL };
    zt_proc_t *proc = zt_proc_start (help, true);
    cr_assert_eq (zt_proc_wait (proc, 5000), 0);
    char *output = zt_proc_read_all (proc, 1000);
    cr_assert (strstr (output, "Usage: zaf-broker"));
    free (output);
    zt_proc_stop (&proc, 0, 100);

    const char *node_help [] = { zt_path ("bin", "zaf-node"), "--help", NULL };
    proc = zt_proc_start (node_help, true);
    cr_assert_eq (zt_proc_wait (proc, 5000), 0);
    output = zt_proc_read_all (proc, 1000);
    cr_assert (strstr (output, "--module PATH"));
    free (output);
    zt_proc_stop (&proc, 0, 100);

    const char *bad [] = { zt_path ("bin", "zaf-broker"), "--no-such-flag", NULL };
    proc = zt_proc_start (bad, false);
    cr_assert_eq (zt_proc_wait (proc, 5000), 2);
    zt_proc_stop (&proc, 0, 100);

    const char *bad_cpus [] = { zt_path ("bin", "zaf-node"), "--cpus", "zero", NULL };
    proc = zt_proc_start (bad_cpus, false);
    cr_assert_eq (zt_proc_wait (proc, 5000), 2);
    zt_proc_stop (&proc, 0, 100);

    const char *bad_module [] = { zt_path ("bin", "zaf-node"), "--module", "/nonexistent/lib.so", NULL };
    proc = zt_proc_start (bad_module, false);
    cr_assert_eq (zt_proc_wait (proc, 5000), 1);
    zt_proc_stop (&proc, 0, 100);

    const char *driver_help [] = { zt_path ("bin", "param_server"), "--help", NULL };
    proc = zt_proc_start (driver_help, true);
    cr_assert_eq (zt_proc_wait (proc, 5000), 0);
    zt_proc_stop (&proc, 0, 100);

    //  A driver with nobody to talk to says so and exits non-zero
    const char *lonely [] = { zt_path ("bin", "param_server"), "--address", "tcp://127.0.0.1:1", NULL };
    proc = zt_proc_start (lonely, false);
    cr_assert_eq (zt_proc_wait (proc, 20000), 1);
    zt_proc_stop (&proc, 0, 100);
}

Test (processes, ctrl_c_stops_an_embedded_driver_promptly)
{
    const char *argv [] = {
        zt_path ("bin", "param_server"), "--updates", "100", "--interval-ms", "100", NULL
    };
    zt_proc_t *driver = zt_proc_start (argv, true);
    cr_assert_not_null (driver);
    char *line = zt_proc_read_line (driver, 10000);
    cr_assert (line && strstr (line, "embedded"), "first line: %s", line ? line : "(none)");
    free (line);
    line = zt_proc_read_line (driver, 10000);
    if (line && strncmp (line, "Dashboard: ", 11) == 0) {
        free (line);            //  The embedded cluster's dashboard URL
        line = zt_proc_read_line (driver, 10000);
    }
    cr_assert (line && strstr (line, "Initial params"), "second line: %s", line ? line : "(none)");
    free (line);
    kill (zt_proc_pid (driver), SIGINT);
    int64_t started = zclock_mono ();
    int rc = zt_proc_wait (driver, 10000);
    cr_assert_eq (rc, 130, "param_server exited %d after SIGINT", rc);
    cr_assert_lt (zclock_mono () - started, 5000, "took %" PRId64 " ms to stop",
                  zclock_mono () - started);
    zt_proc_stop (&driver, 0, 100);
}

//  A Counter can be spawned again (only OVERLOADED may refuse it)
typedef struct {
    zaf_t *z;
    zaf_actor_t *actor;
    zaf_error_t err;
} spawn_wait_t;

static bool
s_spawned_again (void *arg)
{
    spawn_wait_t *wait = (spawn_wait_t *) arg;
    wait->actor = zaf_spawn (wait->z, "Counter", NULL, NULL, &wait->err);
    if (!wait->actor)
        cr_assert_eq (wait->err.code, ZAF_OVERLOADED, "%s", wait->err.message);
    return wait->actor != NULL;
}

Test (processes, a_node_out_of_sockets_refuses_spawns_and_keeps_serving, .timeout = 120)
{
    char *endpoint = NULL;
    zt_proc_t *broker = zt_broker_start (0, &endpoint);
    cr_assert_not_null (broker);
    //  A node allowed only 256 open files: far fewer than 400 actors
    const char *argv [] = {
        "/usr/bin/prlimit", "--nofile=256", zt_path ("bin", "zaf-node"), "--broker", endpoint,
        "--name", "small", "--cpus", "2", "--module", zt_path ("lib", "libzaf_test_actors.so"), NULL
    };
    zt_proc_t *node = zt_proc_start (argv, false);
    zaf_t *z = zaf_init (endpoint);
    cr_assert_not_null (z);
    if (!zt_wait_nodes (z, 1, 10000) && zt_proc_wait (node, 0) != -1) {
        //  prlimit could not lower the limit here (valgrind refuses it)
        zaf_shutdown (&z);
        zt_proc_stop (&node, 0, 100);
        zt_proc_stop (&broker, SIGTERM, 10000);
        free (endpoint);
        cr_skip_test ("the node could not start under a 256-file limit here");
    }
    cr_assert (zt_wait_nodes (z, 1, 1000), "node did not register");
    zaf_actor_t *actors [400] = { NULL };
    int spawned = 0, refused = 0;
    for (int index = 0; index < 400; index++) {
        zaf_error_t err;
        zaf_spawn_opts_t opts = { .timeout_ms = 10000 };
        actors [index] = zaf_spawn (z, "Counter", zaf_json ("[%d]", index), &opts, &err);
        if (actors [index])
            spawned++;
        else {
            cr_assert_eq (err.code, ZAF_OVERLOADED, "spawn %d: %s %s", index,
                          zaf_code_name (err.code), err.message);
            refused++;
        }
    }
    cr_assert_gt (spawned, 50);
    cr_assert_gt (refused, 0);
    //  The actors it has still answer
    int first = -1, last = -1;
    for (int index = 0; index < 400; index++)
        if (actors [index]) {
            if (first < 0)
                first = index;
            last = index;
        }
    zaf_error_t err;
    zaf_future_t *future = zaf_call (z, actors [last], "get", NULL);
    cJSON *result = zaf_get (z, &future, 5000, &err);
    cr_assert_not_null (result, "%s", err.message);
    cr_assert_eq (result->valuedouble, last);
    cJSON_Delete (result);
    //  Room made is room to spawn again
    for (int index = first, killed = 0; index < 400 && killed < 10; index++)
        if (actors [index]) {
            cr_assert_eq (zaf_kill (z, actors [index], &err), 0, "%s", err.message);
            zaf_actor_destroy (&actors [index]);
            killed++;
        }
    //  (a killed actor's socket is closed by libzmq's reaper a moment after
    //  its EXIT: the room comes, not at once)
    spawn_wait_t wait = { z, NULL, { 0 } };
    zt_wait_until (s_spawned_again, &wait, 10000);
    zaf_actor_t *again = wait.actor;
    err = wait.err;
    cr_assert_not_null (again, "%s %s", zaf_code_name (err.code), err.message);
    zaf_actor_destroy (&again);
    for (int index = 0; index < 400; index++)
        zaf_actor_destroy (&actors [index]);
    zaf_shutdown (&z);
    cr_expect_eq (zt_proc_stop (&node, SIGTERM, 20000), 0);
    cr_expect_eq (zt_proc_stop (&broker, SIGTERM, 10000), 0);
    free (endpoint);
}
