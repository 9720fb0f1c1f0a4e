/*  =========================================================================
    test_placement - placement by resources, labels, affinity and strategy

    Each test starts a zaf-broker and zaf-node processes with --resources
    and --labels, and spawns test Counters, or submits the test function
    pid, with the placement options. Where an actor lives is read from the
    broker's STATUS, where a task ran from the pid it returns (tasks run
    in their node's process), and what a node has free from STATUS:
    reservations must be exact, held while an actor lives or a task runs,
    released when it ends, honoured again when an actor restarts or a task
    is retried after its node is lost, and counted again for the actors a
    restarted broker adopts.
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

TestSuite (placement, .init = s_setup, .fini = zt_cleanup, .timeout = 120);

#define HEARTBEAT_MS 250

//  Start a node named name with extra flags (NULL-terminated, up to 4)
static void
s_node_start (zt_cluster_t *cluster, const char *name, const char *flag1, const char *value1,
              const char *flag2, const char *value2)
{
    const char *argv [16] = {
        zt_path ("bin", "zaf-node"), "--broker", cluster->endpoint, "--name", name,
        "--cpus", "1", "--module", zt_path ("lib", "libzaf_test_actors.so")
    };
    int argc = 9;
    if (flag1) {
        argv [argc++] = flag1;
        argv [argc++] = value1;
    }
    if (flag2) {
        argv [argc++] = flag2;
        argv [argc++] = value2;
    }
    argv [argc] = NULL;
    int index = cluster->nodes_count++;
    cluster->nodes [index] = zt_proc_start (argv, false);
    cr_assert_not_null (cluster->nodes [index]);
}

static zaf_actor_t *
s_spawn (zaf_t *z, const zaf_spawn_opts_t *opts, zaf_error_t *err)
{
    zaf_spawn_opts_t copy = *opts;
    copy.timeout_ms = 10000;
    return zaf_spawn (z, "Counter", NULL, &copy, err);
}

//  A resource a node has free, from STATUS (-1 if not listed)
static double
s_free (zaf_t *z, const char *node, const char *resource)
{
    zaf_error_t err;
    cJSON *status = zaf_client_status (z, NULL, 2000, &err);
    double amount = -1;
    const cJSON *item;
    cJSON_ArrayForEach (item, cJSON_GetObjectItem (status, "nodes"))
        if (streq (zaf_json_string (item, "name", ""), node)) {
            cJSON *free_ = cJSON_GetObjectItem (cJSON_GetObjectItem (item, "resources"), "free");
            amount = zaf_json_number (free_, resource, -1);
        }
    cJSON_Delete (status);
    return amount;
}

static char *
s_node_of (zaf_t *z, zaf_actor_t *actor)
{
    char *node = zt_actor_node (z, zaf_actor_id (actor));
    cr_assert_not_null (node, "the broker does not list actor %s", zaf_actor_id (actor));
    return node;
}

//  --------------------------------------------------------------------------

Test (placement, resources_are_reserved_and_released_exactly)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 0, "n", 0, NULL);
    s_node_start (&cluster, "r1", "--resources", "cpu=2,gpu=1", "--labels", "zone=a");
    s_node_start (&cluster, "r2", "--resources", "cpu=2", "--labels", "zone=b");
    cr_assert (zt_wait_nodes (cluster.z, 2, 10000));
    zaf_t *z = cluster.z;
    zaf_error_t err;

    //  Bad options: refused, nothing reserved
    const char *bad [][2] = {
        { "cpu=-1", NULL }, { "cpu", NULL }, { "CPU=1", NULL }, { NULL, "wide" }
    };
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad [0]); index++) {
        zaf_spawn_opts_t opts = { .resources = bad [index][0], .strategy = bad [index][1] };
        cr_assert_null (s_spawn (z, &opts, &err));
        cr_assert_eq (err.code, ZAF_BAD_ARGS, "%s", err.message);
    }
    zaf_spawn_opts_t bad_affinity = { .affinity = "nod=r1" };
    cr_assert_null (s_spawn (z, &bad_affinity, &err));
    cr_assert_eq (err.code, ZAF_BAD_ARGS);
    cr_assert_eq (s_free (z, "r1", "cpu"), 2);
    cr_assert_eq (s_free (z, "r2", "cpu"), 2);

    //  Labels are a hard match; a label nobody has is NO_RESOURCES
    zaf_spawn_opts_t zone_b = { .resources = "cpu=1", .labels = "zone=b" };
    zaf_actor_t *in_b = s_spawn (z, &zone_b, &err);
    cr_assert_not_null (in_b, "%s", err.message);
    char *node = s_node_of (z, in_b);
    cr_assert_str_eq (node, "r2");
    free (node);
    zaf_spawn_opts_t zone_c = { .labels = "zone=c" };
    cr_assert_null (s_spawn (z, &zone_c, &err));
    cr_assert_eq (err.code, ZAF_NO_RESOURCES, "%s", err.message);
    cr_assert (strstr (err.message, "zone=c"), "%s", err.message);
    cr_assert_eq (s_free (z, "r2", "cpu"), 1);
    cr_assert_eq (zaf_kill (z, in_b, &err), 0, "%s", err.message);
    zaf_actor_destroy (&in_b);
    cr_assert_eq (s_free (z, "r2", "cpu"), 2, "a killed actor's cpu was not released");

    //  Spawn until no node has a cpu: exactly four fit
    zaf_actor_t *actors [8] = { NULL };
    int placed = 0;
    zaf_spawn_opts_t one_cpu = { .resources = "cpu=1" };
    for (; placed < 8; placed++) {
        actors [placed] = s_spawn (z, &one_cpu, &err);
        if (!actors [placed])
            break;
    }
    cr_assert_eq (placed, 4, "%d actors of cpu=1 fit on 2 + 2 cpus", placed);
    cr_assert_eq (err.code, ZAF_NO_RESOURCES, "%s: %s", zaf_code_name (err.code), err.message);
    cr_assert (strstr (err.message, "cpu: 1 asked, 0 free of 2"),
               "the nearest shortfall is not named: %s", err.message);
    cr_assert_eq (s_free (z, "r1", "cpu"), 0);
    cr_assert_eq (s_free (z, "r2", "cpu"), 0);
    cr_assert_eq (s_free (z, "r1", "gpu"), 1);
    //  zaf list nodes shows free/total and the labels
    const char *list [] = { zt_path ("bin", "zaf"), "--address", cluster.endpoint, "list",
                            "nodes", NULL };
    char *output = NULL;
    cr_assert_eq (zt_run (list, 10000, &output), 0, "%s", output);
    cr_assert (strstr (output, "cpu 0/2 gpu 1/1 zone=a") && strstr (output, "cpu 0/2 zone=b"),
               "zaf list nodes does not show free/total: %s", output);
    free (output);

    //  Kill one: its cpu is free again, and the next spawn fits there
    char *freed = s_node_of (z, actors [1]);
    cr_assert_eq (zaf_kill (z, actors [1], &err), 0, "%s", err.message);
    zaf_actor_destroy (&actors [1]);
    cr_assert_eq (s_free (z, freed, "cpu"), 1);
    actors [1] = s_spawn (z, &one_cpu, &err);
    cr_assert_not_null (actors [1], "the freed cpu was not reused: %s", err.message);
    node = s_node_of (z, actors [1]);
    cr_assert_str_eq (node, freed);
    free (node);
    free (freed);
    cr_assert_null (s_spawn (z, &one_cpu, &err));
    cr_assert_eq (err.code, ZAF_NO_RESOURCES);

    //  Hard affinity to a full node fails; soft affinity goes elsewhere
    zaf_spawn_opts_t gpu_on_r2 = { .resources = "gpu=1", .affinity = "node=r2" };
    cr_assert_null (s_spawn (z, &gpu_on_r2, &err));
    cr_assert_eq (err.code, ZAF_NO_RESOURCES, "%s", err.message);
    zaf_spawn_opts_t gpu_soft_r2 = { .resources = "gpu=1", .affinity = "node=r2,soft" };
    zaf_actor_t *gpu = s_spawn (z, &gpu_soft_r2, &err);
    cr_assert_not_null (gpu, "%s", err.message);
    node = s_node_of (z, gpu);
    cr_assert_str_eq (node, "r1");
    free (node);
    cr_assert_eq (s_free (z, "r1", "gpu"), 0);
    zaf_spawn_opts_t plain_soft_r2 = { .affinity = "node=r2,soft" };
    zaf_actor_t *plain = s_spawn (z, &plain_soft_r2, &err);
    cr_assert_not_null (plain, "%s", err.message);
    node = s_node_of (z, plain);
    cr_assert_str_eq (node, "r2", "soft affinity ignored when the node fits");
    free (node);

    //  Everything ends: everything is free again, exactly
    zaf_actor_destroy (&gpu);
    zaf_actor_destroy (&plain);
    for (int index = 0; index < placed; index++)
        if (actors [index])
            cr_assert_eq (zaf_kill (z, actors [index], &err), 0, "%s", err.message);
    for (int index = 0; index < placed; index++)
        zaf_actor_destroy (&actors [index]);
    cr_assert_eq (s_free (z, "r1", "cpu"), 2);
    cr_assert_eq (s_free (z, "r2", "cpu"), 2);
    cr_assert (zt_cluster_stop (&cluster));
}

Test (placement, spread_places_six_actors_three_and_three_and_pack_fills_one_node)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 0, "n", 2, NULL);
    zaf_t *z = cluster.z;
    zaf_error_t err;
    zaf_actor_t *actors [12] = { NULL };
    int on_n1 = 0;
    zaf_spawn_opts_t spread = { .strategy = "spread" };
    for (int index = 0; index < 6; index++) {
        actors [index] = s_spawn (z, &spread, &err);
        cr_assert_not_null (actors [index], "%s", err.message);
        char *node = s_node_of (z, actors [index]);
        on_n1 += streq (node, "n1");
        free (node);
    }
    cr_assert_eq (on_n1, 3, "spread put %d of 6 on n1", on_n1);

    //  pack: the node with the most actors takes every one
    zaf_spawn_opts_t pack = { .strategy = "pack" };
    char *first = NULL;
    for (int index = 6; index < 12; index++) {
        actors [index] = s_spawn (z, &pack, &err);
        cr_assert_not_null (actors [index], "%s", err.message);
        char *node = s_node_of (z, actors [index]);
        if (!first)
            first = node;
        else {
            cr_assert_str_eq (node, first, "pack spread its actors");
            free (node);
        }
    }
    free (first);
    for (int index = 0; index < 12; index++)
        zaf_actor_destroy (&actors [index]);
    cr_assert (zt_cluster_stop (&cluster));
}

Test (placement, a_lost_node_s_actor_restarts_on_a_node_that_fits)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, HEARTBEAT_MS, "n", 0, NULL);
    s_node_start (&cluster, "g1", "--resources", "gpu=1", NULL, NULL);
    s_node_start (&cluster, "g2", "--resources", "gpu=1", NULL, NULL);
    s_node_start (&cluster, "c1", "--resources", "cpu=4", NULL, NULL);
    cr_assert (zt_wait_nodes (cluster.z, 3, 10000));
    zaf_t *z = cluster.z;
    zaf_error_t err;

    //  The gpu actor goes to g1 (pinned by a hard affinity so the test
    //  knows which node to kill; restarts keep only the resources)
    zaf_spawn_opts_t on_g1 = { .resources = "gpu=1", .max_restarts = 1, .node = "g1" };
    zaf_actor_t *phoenix = s_spawn (z, &on_g1, &err);
    cr_assert_not_null (phoenix, "%s", err.message);
    cr_assert_eq (zt_call_number (z, phoenix, "add", zaf_json ("[5]"), 10000), 5);
    //  g2 gets more actors than c1, so "fewest actors" alone would pick c1
    zaf_spawn_opts_t on_g2 = { .node = "g2" };
    zaf_actor_t *ballast [2];
    for (int index = 0; index < 2; index++) {
        ballast [index] = s_spawn (z, &on_g2, &err);
        cr_assert_not_null (ballast [index], "%s", err.message);
    }
    cr_assert_eq (s_free (z, "g1", "gpu"), 0);

    //  g1 dies; the actor comes back on g2, the only node with a gpu
    kill (zt_proc_pid (cluster.nodes [0]), SIGKILL);
    zt_proc_stop (&cluster.nodes [0], 0, 5000);
    cJSON *value = zt_call_until (z, phoenix, "get", NULL, 1000, 20000, &err);
    cr_assert_not_null (value, "the actor did not come back: %s", err.message);
    cJSON_Delete (value);
    char *node = s_node_of (z, phoenix);
    cr_assert_str_eq (node, "g2", "restarted on %s, which has no gpu", node);
    free (node);
    cr_assert_eq (s_free (z, "g2", "gpu"), 0);

    //  Killed, it gives the gpu back
    cr_assert_eq (zaf_kill (z, phoenix, &err), 0, "%s", err.message);
    zaf_actor_destroy (&phoenix);
    cr_assert_eq (s_free (z, "g2", "gpu"), 1);
    for (int index = 0; index < 2; index++)
        zaf_actor_destroy (&ballast [index]);
    cr_assert (zt_cluster_stop (&cluster));
}

//  --------------------------------------------------------------------------
//  Tasks: submit options resources, labels, affinity and strategy

//  Submit the test function pid (ms) with opts; the future
static zaf_future_t *
s_submit_pid (zaf_t *z, int ms, const zaf_call_opts_t *opts)
{
    return zaf_submit_opts (z, "pid", zaf_json ("[%d]", ms), opts);
}

//  Wait for a task's answer: the pid of the node that ran it, or -1 with err
static int
s_task_pid (zaf_t *z, zaf_future_t **future_p, zaf_error_t *err)
{
    cJSON *result = zaf_get (z, future_p, 20000, err);
    int pid = cJSON_IsNumber (result) ? (int) result->valuedouble : -1;
    cJSON_Delete (result);
    return pid;
}

typedef struct {
    zaf_t *z;
    const char *node;
    const char *resource;
    double amount;
} free_wait_t;

static bool
s_free_is (void *arg)
{
    free_wait_t *wait = (free_wait_t *) arg;
    return s_free (wait->z, wait->node, wait->resource) == wait->amount;
}

//  Wait until node has amount of resource free
static bool
s_wait_free (zaf_t *z, const char *node, const char *resource, double amount)
{
    free_wait_t wait = { z, node, resource, amount };
    return zt_wait_until (s_free_is, &wait, 10000);
}

Test (placement, tasks_go_where_their_resources_are_and_hold_them_while_they_run)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 0, "n", 0, NULL);
    s_node_start (&cluster, "cpu", "--resources", "cpu=2", "--labels", "zone=a");
    s_node_start (&cluster, "gpu", "--resources", "cpu=1,gpu=1", "--labels", "zone=b");
    cr_assert (zt_wait_nodes (cluster.z, 2, 10000));
    zaf_t *z = cluster.z;
    zaf_error_t err;
    int cpu_pid = zt_proc_pid (cluster.nodes [0]);
    int gpu_pid = zt_proc_pid (cluster.nodes [1]);

    //  Bad options fail BAD_ARGS before anything is sent
    const zaf_call_opts_t bad [] = {
        { .resources = "gpu=-1" }, { .labels = "zone" }, { .affinity = "nod=gpu" },
        { .strategy = "wide" }
    };
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad [0]); index++) {
        zaf_future_t *future = s_submit_pid (z, 0, &bad [index]);
        cr_assert_eq (s_task_pid (z, &future, &err), -1);
        cr_assert_eq (err.code, ZAF_BAD_ARGS, "%s", err.message);
    }
    cr_assert_eq (s_free (z, "gpu", "gpu"), 1);
    //  They place tasks; a call runs where its actor lives
    zaf_spawn_opts_t anywhere = { 0 };
    zaf_actor_t *counter = s_spawn (z, &anywhere, &err);
    cr_assert_not_null (counter, "%s", err.message);
    zaf_call_opts_t call_gpu = { .resources = "gpu=1" };
    zaf_future_t *call = zaf_call_opts (z, counter, "get", NULL, &call_gpu);
    cr_assert_null (zaf_get (z, &call, 10000, &err));
    cr_assert_eq (err.code, ZAF_BAD_ARGS, "%s", err.message);
    zaf_actor_destroy (&counter);

    //  Tasks asking for a gpu, or a label, run only where it is
    zaf_call_opts_t gpu = { .resources = "gpu=1" };
    zaf_call_opts_t zone_a = { .labels = "zone=a" };
    zaf_call_opts_t none = { 0 };
    for (int index = 0; index < 6; index++) {
        zaf_future_t *future = s_submit_pid (z, 0, &gpu);
        cr_assert_eq (s_task_pid (z, &future, &err), gpu_pid, "a gpu task ran elsewhere: %s",
                      err.message);
        future = s_submit_pid (z, 0, &zone_a);
        cr_assert_eq (s_task_pid (z, &future, &err), cpu_pid, "a zone=a task ran elsewhere: %s",
                      err.message);
        //  Without options: as before, anywhere
        future = s_submit_pid (z, 0, &none);
        int pid = s_task_pid (z, &future, &err);
        cr_assert (pid == cpu_pid || pid == gpu_pid, "%s", err.message);
    }
    cr_assert_eq (s_free (z, "gpu", "gpu"), 1, "finished tasks still hold the gpu");
    zaf_call_opts_t zone_c = { .labels = "zone=c" };
    zaf_future_t *future = s_submit_pid (z, 0, &zone_c);
    cr_assert_eq (s_task_pid (z, &future, &err), -1);
    cr_assert_eq (err.code, ZAF_NO_RESOURCES, "%s", err.message);
    cr_assert (strstr (err.message, "zone=c"), "%s", err.message);

    //  A running task holds its resources: cpu=2 fits only node cpu, and
    //  while one runs there a second fails at once (tasks are not queued)
    zaf_call_opts_t two_cpus = { .resources = "cpu=2" };
    zaf_future_t *long_task = s_submit_pid (z, 5000, &two_cpus);
    cr_assert (s_wait_free (z, "cpu", "cpu", 0), "the running task holds no cpu");
    future = s_submit_pid (z, 0, &two_cpus);
    cr_assert_eq (s_task_pid (z, &future, &err), -1);
    cr_assert_eq (err.code, ZAF_NO_RESOURCES, "%s: %s", zaf_code_name (err.code), err.message);
    cr_assert (strstr (err.message, "function pid") && strstr (err.message, "nearest is node"),
               "the nearest shortfall is not named: %s", err.message);
    cr_assert (zaf_future_ready (long_task) == false, "the long task ended too soon");
    //  zaf list nodes shows the task's reservation
    const char *list [] = { zt_path ("bin", "zaf"), "--address", cluster.endpoint, "list",
                            "nodes", NULL };
    char *output = NULL;
    cr_assert_eq (zt_run (list, 10000, &output), 0, "%s", output);
    cr_assert (strstr (output, "cpu 0/2 zone=a"), "zaf list nodes: %s", output);
    free (output);
    //  It ends: the cpus are free, exactly, and the next one fits
    cr_assert_eq (s_task_pid (z, &long_task, &err), cpu_pid, "%s", err.message);
    cr_assert (s_wait_free (z, "cpu", "cpu", 2), "the ended task's cpus were not released");
    future = s_submit_pid (z, 0, &two_cpus);
    cr_assert_eq (s_task_pid (z, &future, &err), cpu_pid, "%s", err.message);
    cr_assert_eq (s_free (z, "cpu", "cpu"), 2);
    cr_assert_eq (s_free (z, "gpu", "cpu"), 1);

    //  A cancelled task gives its resources back at once
    long_task = s_submit_pid (z, 3000, &two_cpus);
    cr_assert (s_wait_free (z, "cpu", "cpu", 0), "the running task holds no cpu");
    cr_assert_eq (zaf_cancel (z, long_task, false), 0);
    zaf_future_destroy (&long_task);
    cr_assert (s_wait_free (z, "cpu", "cpu", 2), "a cancelled task kept its cpus");
    future = s_submit_pid (z, 0, &two_cpus);
    cr_assert_eq (s_task_pid (z, &future, &err), cpu_pid, "%s", err.message);
    cr_assert (zt_cluster_stop (&cluster));
}

//  --------------------------------------------------------------------------
//  A restarted broker adopts a node's actors with what they hold

Test (placement, adopted_actors_hold_their_resources_again_after_a_broker_restart)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, HEARTBEAT_MS, "n", 0, NULL);
    s_node_start (&cluster, "r1", "--resources", "cpu=2,gpu=1", NULL, NULL);
    cr_assert (zt_wait_nodes (cluster.z, 1, 10000));
    zaf_t *z = cluster.z;
    zaf_error_t err;
    zaf_spawn_opts_t detached = { .resources = "cpu=1", .name = "holder", .detached = true };
    zaf_actor_t *holder = s_spawn (z, &detached, &err);
    cr_assert_not_null (holder, "%s", err.message);
    zaf_spawn_opts_t restartable = { .resources = "cpu=1,gpu=1", .max_restarts = 1 };
    zaf_actor_t *phoenix = s_spawn (z, &restartable, &err);
    cr_assert_not_null (phoenix, "%s", err.message);
    cr_assert_eq (s_free (z, "r1", "cpu"), 0);
    cr_assert_eq (s_free (z, "r1", "gpu"), 0);

    zt_cluster_broker_restart (&cluster, HEARTBEAT_MS);
    cJSON *value = zt_call_until (z, holder, "get", NULL, 1000, 20000, &err);
    cr_assert_not_null (value, "the actor was not adopted: %s", err.message);
    cJSON_Delete (value);
    value = zt_call_until (z, phoenix, "get", NULL, 1000, 20000, &err);
    cr_assert_not_null (value, "the actor was not adopted: %s", err.message);
    cJSON_Delete (value);
    //  The new broker counts what they hold: nothing is free on r1
    cr_assert_eq (s_free (z, "r1", "cpu"), 0, "adopted actors hold no cpu");
    cr_assert_eq (s_free (z, "r1", "gpu"), 0, "adopted actors hold no gpu");
    zaf_spawn_opts_t one_cpu = { .resources = "cpu=1" };
    cr_assert_null (s_spawn (z, &one_cpu, &err));
    cr_assert_eq (err.code, ZAF_NO_RESOURCES, "%s: %s", zaf_code_name (err.code), err.message);

    //  And gives it back when they end
    cr_assert_eq (zaf_kill (z, holder, &err), 0, "%s", err.message);
    cr_assert_eq (zaf_kill (z, phoenix, &err), 0, "%s", err.message);
    zaf_actor_destroy (&holder);
    zaf_actor_destroy (&phoenix);
    cr_assert (s_wait_free (z, "r1", "cpu", 2), "killed adopted actors kept their cpu");
    cr_assert_eq (s_free (z, "r1", "gpu"), 1);
    cr_assert (zt_cluster_stop (&cluster));
}

typedef struct {
    zaf_t *z;
    int held_by;            //  Index of the gpu node holding it, or -1
} gpu_wait_t;

static bool
s_gpu_held (void *arg)
{
    gpu_wait_t *wait = (gpu_wait_t *) arg;
    if (s_free (wait->z, "g1", "gpu") == 0)
        wait->held_by = 0;
    else
    if (s_free (wait->z, "g2", "gpu") == 0)
        wait->held_by = 1;
    return wait->held_by >= 0;
}

Test (placement, a_task_retried_after_node_loss_goes_to_a_node_that_fits)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, HEARTBEAT_MS, "n", 0, NULL);
    s_node_start (&cluster, "g1", "--resources", "gpu=1", NULL, NULL);
    s_node_start (&cluster, "g2", "--resources", "gpu=1", NULL, NULL);
    s_node_start (&cluster, "c1", "--resources", "cpu=4", NULL, NULL);
    cr_assert (zt_wait_nodes (cluster.z, 3, 10000));
    zaf_t *z = cluster.z;
    zaf_error_t err;

    zaf_call_opts_t gpu = { .resources = "gpu=1", .max_task_retries = 1,
                            .retry_on = ZAF_RETRY_NODE_LOST };
    zaf_future_t *future = s_submit_pid (z, 4000, &gpu);
    gpu_wait_t wait = { z, -1 };
    cr_assert (zt_wait_until (s_gpu_held, &wait, 10000), "the task holds no gpu");
    int other = 1 - wait.held_by;
    int other_pid = zt_proc_pid (cluster.nodes [other]);
    const char *other_name = other ? "g2" : "g1";

    //  Its node dies: the retry goes to the other gpu node, never to c1
    kill (zt_proc_pid (cluster.nodes [wait.held_by]), SIGKILL);
    zt_proc_stop (&cluster.nodes [wait.held_by], 0, 5000);
    cr_assert_eq (s_task_pid (z, &future, &err), other_pid,
                  "the retried task did not run on the other gpu node: %s", err.message);
    cr_assert (s_wait_free (z, other_name, "gpu", 1), "the retried task kept its gpu");
    cr_assert (zt_cluster_stop (&cluster));
}
