/*  =========================================================================
    test_isolate - zaf-node --isolate: one process per actor

    Each test starts its own zaf-broker and one zaf-node --isolate loading
    the test actors module, and drives them over TCP. Counter's crash and
    abort methods take their process down for real; the tests check that
    only that actor dies (its calls end ACTOR_DIED naming what killed it),
    that the node and its other actors carry on, and that no actor process
    outlives a kill, a node stop or a node's kill -9. Actor processes are
    found by the pid their pid method returns. Under a sanitizer a
    segfaulting child reports and exits with a code instead of dying by
    SIGSEGV, so either is accepted.
    =========================================================================
*/

#include "testutil.h"
#include "zaf_isolate.h"
#include <criterion/criterion.h>
#include <signal.h>

static void
s_setup (void)
{
    zsys_set_logstream (stderr);
}

TestSuite (isolate, .init = s_setup, .fini = zt_cleanup, .timeout = 120);

//  Generous: under valgrind every actor process starts under valgrind too
#define WAIT_MS 60000

//  A broker, one zaf-node --isolate ("iso") and a driver
static void
s_cluster_start (zt_cluster_t *cluster)
{
    zt_cluster_start (cluster, 0, "n", 0, NULL);
    const char *argv [] = {
        zt_path ("bin", "zaf-node"), "--broker", cluster->endpoint, "--name", "iso",
        "--cpus", "2", "--isolate", "--module", zt_path ("lib", "libzaf_test_actors.so"), NULL
    };
    cluster->nodes [0] = zt_proc_start (argv, false);
    cluster->nodes_count = 1;
    cr_assert_not_null (cluster->nodes [0]);
    cr_assert (zt_wait_nodes (cluster->z, 1, 10000), "node did not register");
}

static zaf_actor_t *
s_spawn (zaf_t *z)
{
    zaf_spawn_opts_t opts = { .timeout_ms = WAIT_MS };
    zaf_error_t err;
    zaf_actor_t *actor = zaf_spawn (z, "Counter", NULL, &opts, &err);
    cr_assert_not_null (actor, "spawn failed: %s", err.message);
    return actor;
}

//  The process an actor runs in
static pid_t
s_pid (zaf_t *z, zaf_actor_t *actor)
{
    return (pid_t) zt_call_number (z, actor, "pid", NULL, WAIT_MS);
}

//  Whether a process exists; a zombie counts unless zombies_too is false
static bool
s_exists (pid_t pid, bool zombies_too)
{
    if (kill (pid, 0) == -1 && errno == ESRCH)
        return false;
    if (zombies_too)
        return true;
    char path [64], state = 0;
    snprintf (path, sizeof (path), "/proc/%d/stat", (int) pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return false;
    //  pid (comm) state ...: comm may hold spaces, so look after the last ')'
    char line [512] = "";
    if (fgets (line, sizeof (line), file)) {
        char *end = strrchr (line, ')');
        if (end && end [1] == ' ')
            state = end [2];
    }
    fclose (file);
    return state && state != 'Z' && state != 'X';
}

//  Wait up to timeout_ms for a process to be gone. strict: not even a
//  zombie (its parent, the node, reaped it); else a zombie counts as gone
//  (an orphan waits for init, which may not reap here)
typedef struct {
    pid_t pid;
    bool strict;
} gone_wait_t;

static bool
s_not_there (void *arg)
{
    gone_wait_t *wait = (gone_wait_t *) arg;
    return !s_exists (wait->pid, wait->strict);
}

static bool
s_gone (pid_t pid, int timeout_ms, bool strict)
{
    gone_wait_t wait = { pid, strict };
    return zt_wait_until (s_not_there, &wait, timeout_ms);
}

//  A crash in a method (SIGSEGV or SIGABRT) ends that actor alone
static void
s_crash_ends_only_its_actor (const char *method, const char *signal_name)
{
    zt_cluster_t cluster;
    s_cluster_start (&cluster);
    zaf_actor_t *doomed = s_spawn (cluster.z);
    zaf_actor_t *survivor = s_spawn (cluster.z);
    pid_t node_pid = zt_proc_pid (cluster.nodes [0]);
    pid_t doomed_pid = s_pid (cluster.z, doomed);
    pid_t survivor_pid = s_pid (cluster.z, survivor);
    cr_assert_neq (doomed_pid, node_pid, "actor runs in the node's process");
    cr_assert_neq (survivor_pid, node_pid);
    cr_assert_neq (doomed_pid, survivor_pid, "two actors share a process");
    cr_assert_eq (zt_call_number (cluster.z, doomed, "add", zaf_json ("[7]"), WAIT_MS), 7);
    cr_assert_eq (zt_call_number (cluster.z, survivor, "add", zaf_json ("[5]"), WAIT_MS), 5);

    //  The crash, and a call queued behind it
    zaf_future_t *crash = zaf_call (cluster.z, doomed, method, NULL);
    zaf_future_t *queued = zaf_call (cluster.z, doomed, "get", NULL);
    zaf_error_t err;
    cJSON *result = zaf_get (cluster.z, &crash, WAIT_MS, &err);
    cr_assert_null (result, "%s answered", method);
    cr_assert_eq (err.code, ZAF_ACTOR_DIED, "%s ended %s: %s", method, zaf_code_name (err.code),
                  err.message);
    //  It says what killed it, and where: a signal, or (under a sanitizer,
    //  which reports and exits) an exit code
    cr_assert (strstr (err.message, signal_name) || strstr (err.message, "exit code"),
               "message names no signal or exit code: %s", err.message);
    cr_assert (strstr (err.message, method), "message names no method: %s", err.message);
    result = zaf_get (cluster.z, &queued, WAIT_MS, &err);
    cr_assert_null (result);
    cr_assert_eq (err.code, ZAF_ACTOR_DIED, "queued call ended %s: %s", zaf_code_name (err.code),
                  err.message);

    //  Later calls: the actor failed
    result = zt_call (cluster.z, doomed, "get", NULL, WAIT_MS, &err);
    cr_assert_null (result);
    cr_assert_eq (err.code, ZAF_ACTOR_DIED, "later call ended %s: %s", zaf_code_name (err.code),
                  err.message);
    cr_assert (strstr (err.message, "failed"), "%s", err.message);

    //  The other actor, in its process, has its state; the node reaped the
    //  dead one and carries on
    cr_assert_eq (zt_call_number (cluster.z, survivor, "get", NULL, WAIT_MS), 5);
    cr_assert_eq (s_pid (cluster.z, survivor), survivor_pid);
    cr_assert (s_gone (doomed_pid, 5000, true), "crashed actor process %d not reaped",
               (int) doomed_pid);
    cr_assert_eq (zt_proc_wait (cluster.nodes [0], 0), -1, "the node died");
    zaf_actor_t *fresh = s_spawn (cluster.z);
    cr_assert_eq (zt_call_number (cluster.z, fresh, "add", zaf_json ("[3]"), WAIT_MS), 3);
    pid_t fresh_pid = s_pid (cluster.z, fresh);
    cr_assert (fresh_pid != node_pid && fresh_pid != doomed_pid && fresh_pid != survivor_pid);
    //  Tasks still run on the node's workers
    zaf_future_t *task = zaf_submit (cluster.z, "add", zaf_json ("[2, 3]"));
    result = zaf_get (cluster.z, &task, WAIT_MS, &err);
    cr_assert_not_null (result, "task failed: %s", err.message);
    cr_assert_eq (result->valuedouble, 5);
    cJSON_Delete (result);

    zaf_actor_destroy (&doomed);
    zaf_actor_destroy (&survivor);
    zaf_actor_destroy (&fresh);
    cr_expect (zt_cluster_stop (&cluster), "every process stops cleanly on SIGTERM");
    cr_assert (s_gone (survivor_pid, 5000, false));
    cr_assert (s_gone (fresh_pid, 5000, false));
}

Test (isolate, segfault_in_a_method_kills_only_its_actor)
{
    s_crash_ends_only_its_actor ("crash", "SIGSEGV");
}

Test (isolate, abort_in_a_method_kills_only_its_actor)
{
    s_crash_ends_only_its_actor ("abort", "SIGABRT");
}

//  Actors in processes call each other, spawn children and submit tasks
Test (isolate, actors_call_actors)
{
    zt_cluster_t cluster;
    s_cluster_start (&cluster);
    zaf_actor_t *first = s_spawn (cluster.z);
    zaf_actor_t *second = s_spawn (cluster.z);
    cr_assert_neq (s_pid (cluster.z, first), s_pid (cluster.z, second));

    //  first calls second, and second first
    cJSON *args = cJSON_CreateArray ();
    cJSON_AddItemToArray (args, zaf_actor_to_json (second));
    cJSON_AddItemToArray (args, cJSON_CreateString ("add"));
    cJSON_AddItemToArray (args, zaf_json ("[100]"));
    cr_assert_eq (zt_call_number (cluster.z, first, "call", args, WAIT_MS), 100);
    args = cJSON_CreateArray ();
    cJSON_AddItemToArray (args, zaf_actor_to_json (first));
    cJSON_AddItemToArray (args, cJSON_CreateString ("add"));
    cJSON_AddItemToArray (args, zaf_json ("[1]"));
    cr_assert_eq (zt_call_number (cluster.z, second, "call", args, WAIT_MS), 1);
    cr_assert_eq (zt_call_number (cluster.z, second, "get", NULL, WAIT_MS), 100);

    //  A child spawned by an actor, called through its handle
    zaf_error_t err;
    cJSON *handle = zt_call (cluster.z, first, "spawn", zaf_json ("[\"Counter\", [40]]"), WAIT_MS,
                             &err);
    cr_assert_not_null (handle, "spawn from an actor failed: %s", err.message);
    zaf_actor_t *child = zaf_actor_from_json (handle);
    cJSON_Delete (handle);
    cr_assert_not_null (child);
    cr_assert_eq (zt_call_number (cluster.z, child, "add", zaf_json ("[2]"), WAIT_MS), 42);

    //  A task submitted by an actor runs on the node's worker threads
    cr_assert_eq (zt_call_number (cluster.z, first, "submit", zaf_json ("[\"add\", [20, 22]]"),
                                  WAIT_MS), 42);

    //  The owner's end takes its child along
    pid_t child_pid = s_pid (cluster.z, child);
    zaf_actor_destroy (&first);
    cr_assert (s_gone (child_pid, 10000, true), "child of a killed actor lives on");
    cJSON *result = zt_call (cluster.z, child, "get", NULL, WAIT_MS, &err);
    cr_assert_null (result);
    cr_assert_eq (err.code, ZAF_ACTOR_DIED, "%s: %s", zaf_code_name (err.code), err.message);

    zaf_actor_destroy (&child);
    zaf_actor_destroy (&second);
    cr_expect (zt_cluster_stop (&cluster), "every process stops cleanly on SIGTERM");
}

//  An actor that crashes takes the children it owns along, as any
//  other end of an owner does
Test (isolate, crash_of_an_owner_ends_its_children)
{
    zt_cluster_t cluster;
    s_cluster_start (&cluster);
    zaf_actor_t *owner = s_spawn (cluster.z);
    zaf_error_t err;
    cJSON *handle = zt_call (cluster.z, owner, "spawn", zaf_json ("[\"Counter\", [1]]"), WAIT_MS,
                             &err);
    cr_assert_not_null (handle, "spawn from an actor failed: %s", err.message);
    zaf_actor_t *child = zaf_actor_from_json (handle);
    cJSON_Delete (handle);
    cr_assert_not_null (child);
    pid_t child_pid = s_pid (cluster.z, child);
    cr_assert_eq (zt_call_number (cluster.z, child, "get", NULL, WAIT_MS), 1);

    cJSON *result = zt_call (cluster.z, owner, "crash", NULL, WAIT_MS, &err);
    cr_assert_null (result);
    cr_assert_eq (err.code, ZAF_ACTOR_DIED, "%s: %s", zaf_code_name (err.code), err.message);
    cr_assert (s_gone (child_pid, 10000, true), "child of a crashed actor lives on");
    result = zt_call (cluster.z, child, "get", NULL, WAIT_MS, &err);
    cr_assert_null (result);
    cr_assert_eq (err.code, ZAF_ACTOR_DIED, "%s: %s", zaf_code_name (err.code), err.message);

    zaf_actor_destroy (&child);
    zaf_actor_destroy (&owner);
    cr_expect (zt_cluster_stop (&cluster), "every process stops cleanly on SIGTERM");
}

//  A crash is a failure like any other: a restartable actor comes back,
//  in a new process, with fresh state
Test (isolate, a_crashed_actor_restarts)
{
    zt_cluster_t cluster;
    s_cluster_start (&cluster);
    zaf_spawn_opts_t opts = { .timeout_ms = WAIT_MS, .max_restarts = 1 };
    zaf_error_t err;
    zaf_actor_t *actor = zaf_spawn (cluster.z, "Counter", zaf_json ("[10]"), &opts, &err);
    cr_assert_not_null (actor, "spawn failed: %s", err.message);
    pid_t first_pid = s_pid (cluster.z, actor);
    cr_assert_eq (zt_call_number (cluster.z, actor, "add", zaf_json ("[5]"), WAIT_MS), 15);

    cJSON *result = zt_call (cluster.z, actor, "crash", NULL, WAIT_MS, &err);
    cr_assert_null (result);
    cr_assert_eq (err.code, ZAF_ACTOR_DIED, "%s: %s", zaf_code_name (err.code), err.message);
    //  The next incarnation: constructor args again, state fresh
    cr_assert_eq (zt_call_number (cluster.z, actor, "get", NULL, WAIT_MS), 10);
    pid_t second_pid = s_pid (cluster.z, actor);
    cr_assert_neq (second_pid, first_pid);
    cr_assert (s_gone (first_pid, 5000, true));

    zaf_actor_destroy (&actor);
    cr_assert (s_gone (second_pid, 10000, true), "killed actor process lives on");
    cr_expect (zt_cluster_stop (&cluster), "every process stops cleanly on SIGTERM");
}

//  A method that never returns cannot stop a kill: the process gets its
//  grace, then SIGKILL, and is reaped
Test (isolate, kill_ends_an_actor_stuck_in_a_method)
{
    zt_cluster_t cluster;
    s_cluster_start (&cluster);
    zaf_actor_t *stuck = s_spawn (cluster.z);
    zaf_actor_t *other = s_spawn (cluster.z);
    pid_t stuck_pid = s_pid (cluster.z, stuck);
    zaf_future_t *forever = zaf_call (cluster.z, stuck, "sleep", zaf_json ("[3600000]"));
    //  It is in the method once a second call queues behind it
    zaf_future_t *queued = zaf_call (cluster.z, stuck, "get", NULL);
    cr_assert_eq (zaf_wait (cluster.z, &queued, 1, 1, 200), 0, "sleep did not block");

    int64_t started = zclock_mono ();
    zaf_error_t err;
    cr_assert_eq (zaf_kill (cluster.z, stuck, &err), 0, "kill failed: %s", err.message);
    cr_assert_lt (zclock_mono () - started, 5000, "kill took %" PRId64 " ms",
                  zclock_mono () - started);
    cJSON *result = zaf_get (cluster.z, &forever, WAIT_MS, &err);
    cr_assert_null (result);
    cr_assert_eq (err.code, ZAF_ACTOR_DIED, "%s: %s", zaf_code_name (err.code), err.message);
    result = zaf_get (cluster.z, &queued, WAIT_MS, &err);
    cr_assert_null (result);
    cr_assert_eq (err.code, ZAF_ACTOR_DIED);
    //  Grace (2 s) and SIGKILL; the node reaps it
    cr_assert (s_gone (stuck_pid, ZAF_ISOLATE_GRACE_MS + 8000, true),
               "killed actor process %d still exists", (int) stuck_pid);
    cr_assert_eq (zt_call_number (cluster.z, other, "add", zaf_json ("[1]"), WAIT_MS), 1);

    zaf_actor_destroy (&stuck);
    zaf_actor_destroy (&other);
    cr_expect (zt_cluster_stop (&cluster), "every process stops cleanly on SIGTERM");
}

//  SIGTERM: the node kills its actor processes (one of them stuck in a
//  method) and reaps them before it exits
Test (isolate, node_stop_leaves_no_actor_process)
{
    zt_cluster_t cluster;
    s_cluster_start (&cluster);
    pid_t pids [3];
    zaf_actor_t *actors [3];
    for (int index = 0; index < 3; index++) {
        actors [index] = s_spawn (cluster.z);
        pids [index] = s_pid (cluster.z, actors [index]);
    }
    zaf_future_t *forever = zaf_call (cluster.z, actors [0], "sleep", zaf_json ("[3600000]"));
    zaf_future_t *queued = zaf_call (cluster.z, actors [0], "get", NULL);
    cr_assert_eq (zaf_wait (cluster.z, &queued, 1, 1, 200), 0, "sleep did not block");

    int64_t started = zclock_mono ();
    cr_assert_eq (zt_proc_stop (&cluster.nodes [0], SIGTERM, 15000), 0,
                  "node did not stop cleanly on SIGTERM");
    cr_assert_lt (zclock_mono () - started, 10000);
    for (int index = 0; index < 3; index++)
        cr_assert (s_gone (pids [index], 1000, true), "actor process %d outlived its node",
                   (int) pids [index]);
    zaf_error_t err;
    cJSON *result = zaf_get (cluster.z, &forever, WAIT_MS, &err);
    cr_assert_null (result);
    result = zaf_get (cluster.z, &queued, WAIT_MS, &err);
    cr_assert_null (result);
    for (int index = 0; index < 3; index++)
        zaf_actor_destroy (&actors [index]);
    cr_expect (zt_cluster_stop (&cluster), "every process stops cleanly on SIGTERM");
}

//  kill -9 of the node: its actor processes die with it (PDEATHSIG)
Test (isolate, node_kill_9_leaves_no_actor_process)
{
    zt_cluster_t cluster;
    s_cluster_start (&cluster);
    pid_t pids [3];
    zaf_actor_t *actors [3];
    for (int index = 0; index < 3; index++) {
        actors [index] = s_spawn (cluster.z);
        pids [index] = s_pid (cluster.z, actors [index]);
    }
    zaf_future_t *forever = zaf_call (cluster.z, actors [0], "sleep", zaf_json ("[3600000]"));
    zt_proc_stop (&cluster.nodes [0], SIGKILL, 5000);
    for (int index = 0; index < 3; index++)
        cr_assert (s_gone (pids [index], 5000, false), "actor process %d outlived its node",
                   (int) pids [index]);
    zaf_error_t err;
    cJSON *result = zaf_get (cluster.z, &forever, WAIT_MS, &err);
    cr_assert_null (result);
    cr_assert (err.code == ZAF_NODE_LOST || err.code == ZAF_ACTOR_DIED, "%s: %s",
               zaf_code_name (err.code), err.message);
    for (int index = 0; index < 3; index++)
        zaf_actor_destroy (&actors [index]);
    cr_expect (zt_cluster_stop (&cluster), "every process stops cleanly on SIGTERM");
}

//  The flag is documented
Test (isolate, help_mentions_isolate)
{
    const char *argv [] = { zt_path ("bin", "zaf-node"), "--help", NULL };
    char *output = NULL;
    cr_assert_eq (zt_run (argv, 10000, &output), 0);
    cr_assert (strstr (output, "--isolate"), "%s", output);
    free (output);
}
