/*  =========================================================================
    test_lifetimes - ownership, detached and named actors, monitors

    The spawner owns the actor: the owning handle, the owner actor and the
    owning driver each take their actors with them when they go, down the
    tree. Detached named actors outlive their spawner and are found by
    name from another driver. Monitors are told once, with the reason.
    Faults are real: a driver process killed with SIGKILL, a node killed
    with SIGKILL, on a broker and nodes started by the test.
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

TestSuite (lifetimes, .init = s_setup, .fini = zt_cleanup, .timeout = 120);

//  Call get on an actor by id; return the error code (ZAF_OK if it answered)
static zaf_code_t
s_probe (zaf_t *z, const char *id)
{
    zaf_actor_t *actor = zt_actor_handle (id);
    zaf_error_t err;
    cJSON *result = zt_call (z, actor, "get", NULL, 5000, &err);
    zaf_actor_destroy (&actor);
    if (result) {
        cJSON_Delete (result);
        return ZAF_OK;
    }
    return err.code;
}

//  Wait for a monitor future; return the reason (static buffer) or the
//  error code name
static const char *
s_reason (zaf_t *z, zaf_future_t **future_p, int timeout_ms)
{
    static char reason [64];
    zaf_error_t err;
    cJSON *result = zaf_get (z, future_p, timeout_ms, &err);
    if (!result) {
        snprintf (reason, sizeof (reason), "error %s", zaf_code_name (err.code));
        return reason;
    }
    snprintf (reason, sizeof (reason), "%s", zaf_json_string (result, "reason", "?"));
    cJSON_Delete (result);
    return reason;
}

//  The watcher has recorded a notice: records holds what it recorded
typedef struct {
    zaf_t *z;
    zaf_actor_t *watcher;
    cJSON *records;
} records_wait_t;

static bool
s_notice_recorded (void *arg)
{
    records_wait_t *wait = (records_wait_t *) arg;
    zaf_error_t err;
    cJSON_Delete (wait->records);
    wait->records = zt_call (wait->z, wait->watcher, "recorded", NULL, 5000, &err);
    return cJSON_GetArraySize (wait->records) > 0;
}

//  The broker lists this many clients
typedef struct {
    zaf_t *z;
    int count;
} clients_wait_t;

static bool
s_clients_are (void *arg)
{
    clients_wait_t *wait = (clients_wait_t *) arg;
    return zt_status_count (wait->z, "clients") == wait->count;
}

Test (lifetimes, monitors_are_told_once_with_the_reason)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 0, "n", 2, NULL);
    zaf_t *z = cluster.z;
    zaf_error_t err;

    //  killed: by zaf_kill
    zaf_actor_t *actor = zaf_spawn (z, "Counter", NULL, NULL, &err);
    cr_assert_not_null (actor, "%s", err.message);
    zaf_future_t *first = zaf_monitor (z, actor);
    zaf_future_t *second = zaf_monitor (z, actor);
    cr_expect_eq (zaf_wait (z, &first, 1, 1, 200), 0, "not told while the actor lives");
    cr_assert_eq (zaf_kill (z, actor, &err), 0, "%s", err.message);
    cr_expect_str_eq (s_reason (z, &first, 5000), "killed");
    cr_expect_str_eq (s_reason (z, &second, 5000), "killed");
    //  An ended actor: told at once
    zaf_future_t *late = zaf_monitor (z, actor);
    cr_expect_str_eq (s_reason (z, &late, 5000), "killed");
    zaf_actor_destroy (&actor);

    //  killed: by destroying the owning handle
    actor = zaf_spawn (z, "Counter", NULL, NULL, &err);
    cr_assert_not_null (actor);
    zaf_actor_t *watched = zaf_actor_dup (actor);
    zaf_future_t *watch = zaf_monitor (z, watched);
    zaf_actor_destroy (&actor);
    cr_expect_str_eq (s_reason (z, &watch, 5000), "killed");
    zaf_actor_destroy (&watched);

    //  owner_died: a child of an actor that is killed
    zaf_actor_t *parent = zaf_spawn (z, "Counter", NULL, NULL, &err);
    cr_assert_not_null (parent);
    zaf_future_t *future = zaf_call (z, parent, "spawn", zaf_json ("[\"Counter\", []]"));
    cJSON *child_json = zaf_get (z, &future, 10000, &err);
    cr_assert_not_null (child_json, "%s", err.message);
    zaf_actor_t *child = zaf_actor_from_json (child_json);
    cJSON_Delete (child_json);
    cr_assert_not_null (child);
    cr_expect_not (zaf_actor_owned (child), "a decoded handle is borrowed");
    zaf_future_t *child_watch = zaf_monitor (z, child);
    zaf_future_t *parent_watch = zaf_monitor (z, parent);
    cr_assert_eq (zaf_kill (z, parent, &err), 0);
    cr_expect_str_eq (s_reason (z, &parent_watch, 5000), "killed");
    cr_expect_str_eq (s_reason (z, &child_watch, 5000), "owner_died");
    cr_expect_eq (s_probe (z, zaf_actor_id (child)), ZAF_ACTOR_DIED);
    zaf_actor_destroy (&child);
    zaf_actor_destroy (&parent);

    //  node_lost: the node is killed
    zaf_spawn_opts_t on_n2 = { .node = "n2" };
    actor = zaf_spawn (z, "Counter", NULL, &on_n2, &err);
    cr_assert_not_null (actor);
    watch = zaf_monitor (z, actor);
    kill (zt_proc_pid (cluster.nodes [1]), SIGKILL);
    cr_expect_str_eq (s_reason (z, &watch, 10000), "node_lost");
    zt_proc_stop (&cluster.nodes [1], 0, 5000);
    zaf_actor_destroy (&actor);

    //  Unknown actors are refused; destroying a monitor future is fine
    zaf_actor_t *nobody = zt_actor_handle ("ffffffff00000000");
    zaf_future_t *unknown = zaf_monitor (z, nobody);
    cr_expect_str_eq (s_reason (z, &unknown, 5000), "error NO_SUCH_ACTOR");
    zaf_actor_destroy (&nobody);
    actor = zaf_spawn (z, "Counter", NULL, NULL, &err);
    cr_assert_not_null (actor);
    watch = zaf_monitor (z, actor);
    zaf_future_destroy (&watch);
    zaf_actor_destroy (&actor);
    zt_cluster_stop (&cluster);
}

Test (lifetimes, a_crashed_driver_takes_its_actors_but_not_detached_ones)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 250, "n", 2, NULL);
    const char *argv [] = {
        zt_path ("bin", "zt_driver"), cluster.endpoint,
        "--owned", "3", "--tree", "--detached", "keeper", NULL
    };
    zt_proc_t *driver = zt_proc_start (argv, true);
    cr_assert_not_null (driver);
    char *owned [8] = { NULL };
    char *detached = NULL, *child = NULL;
    int owned_count = 0;
    while (true) {
        char *line = zt_proc_read_line (driver, 20000);
        cr_assert_not_null (line, "the driver did not get ready");
        if (streq (line, "ready")) {
            free (line);
            break;
        }
        if (strncmp (line, "owned ", 6) == 0 && owned_count < 8)
            owned [owned_count++] = strdup (line + 6);
        else
        if (strncmp (line, "detached ", 9) == 0)
            detached = strdup (line + 9);
        else
        if (strncmp (line, "child ", 6) == 0)
            child = strdup (line + 6);
        free (line);
    }
    cr_assert_eq (owned_count, 4);
    cr_assert (detached && child);
    for (int index = 0; index < owned_count; index++)
        cr_assert_eq (s_probe (cluster.z, owned [index]), ZAF_OK);
    cr_assert_eq (s_probe (cluster.z, child), ZAF_OK);

    //  Watch one of them, then crash the driver
    zaf_actor_t *watched = zt_actor_handle (owned [0]);
    zaf_future_t *watch = zaf_monitor (cluster.z, watched);
    int64_t killed_at = zclock_mono ();
    kill (zt_proc_pid (driver), SIGKILL);
    cr_expect_str_eq (s_reason (cluster.z, &watch, 5000), "owner_died");
    //  Within 3 heartbeats (250 ms) plus slack
    cr_expect_lt (zclock_mono () - killed_at, 3 * 250 + 2000);
    zt_proc_stop (&driver, 0, 5000);
    for (int index = 0; index < owned_count; index++)
        cr_expect_eq (s_probe (cluster.z, owned [index]), ZAF_ACTOR_DIED,
                      "owned actor %s outlived its driver", owned [index]);
    cr_expect_eq (s_probe (cluster.z, child), ZAF_ACTOR_DIED, "the grandchild went with the tree");

    //  A second driver finds the detached actor by name and uses it
    zaf_t *other = zaf_init (cluster.endpoint);
    cr_assert_not_null (other);
    zaf_error_t err;
    zaf_actor_t *keeper = zaf_lookup (other, "keeper", &err);
    cr_assert_not_null (keeper, "%s", err.message);
    cr_expect_str_eq (zaf_actor_id (keeper), detached);
    zaf_future_t *future = zaf_call (other, keeper, "add", zaf_json ("[4]"));
    cJSON *value = zaf_get (other, &future, 5000, &err);
    cr_assert_not_null (value, "%s", err.message);
    cr_expect_eq (value->valueint, 4);
    cJSON_Delete (value);
    //  It lives until killed
    cr_assert_eq (zaf_kill (other, keeper, &err), 0);
    cr_expect_null (zaf_lookup (other, "keeper", &err));
    cr_expect_eq (err.code, ZAF_NO_SUCH_ACTOR);
    zaf_actor_destroy (&keeper);
    zaf_shutdown (&other);

    for (int index = 0; index < owned_count; index++)
        free (owned [index]);
    free (detached);
    free (child);
    zaf_actor_destroy (&watched);
    zt_cluster_stop (&cluster);
}

Test (lifetimes, a_driver_that_leaves_takes_its_actors)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 0, "n", 2, NULL);
    zaf_t *leaver = zaf_init (cluster.endpoint);
    cr_assert_not_null (leaver);
    zaf_error_t err;
    zaf_actor_t *actor = zaf_spawn (leaver, "Counter", NULL, NULL, &err);
    cr_assert_not_null (actor);
    char id [64];
    snprintf (id, sizeof (id), "%s", zaf_actor_id (actor));
    zaf_actor_t *watched = zt_actor_handle (id);
    zaf_future_t *watch = zaf_monitor (cluster.z, watched);
    //  A borrowed copy held elsewhere does not keep it alive
    zaf_actor_t *copy = zaf_actor_dup (actor);
    zaf_shutdown (&leaver);
    const char *reason = s_reason (cluster.z, &watch, 5000);
    cr_expect (streq (reason, "killed") || streq (reason, "owner_died"), "%s", reason);
    cr_expect_eq (s_probe (cluster.z, id), ZAF_ACTOR_DIED);
    zaf_actor_destroy (&copy);
    zaf_actor_destroy (&actor);
    zaf_actor_destroy (&watched);
    zt_cluster_stop (&cluster);
}

Test (lifetimes, names_detached_and_get_if_exists)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 0, "n", 2, NULL);
    zaf_t *z = cluster.z;
    zaf_error_t err;

    //  Detached needs a name
    zaf_spawn_opts_t anonymous = { .detached = true };
    cr_expect_null (zaf_spawn (z, "Counter", NULL, &anonymous, &err));
    cr_expect_eq (err.code, ZAF_BAD_ARGS, "%s", err.message);

    zaf_spawn_opts_t named = { .name = "shared" };
    zaf_actor_t *first = zaf_spawn (z, "Counter", zaf_json ("[10]"), &named, &err);
    cr_assert_not_null (first, "%s", err.message);
    cr_expect (zaf_actor_owned (first));
    //  Taken
    cr_expect_null (zaf_spawn (z, "Counter", NULL, &named, &err));
    cr_expect_eq (err.code, ZAF_NAME_TAKEN);
    //  Get the existing one: same id, a borrowed handle
    zaf_spawn_opts_t existing = { .name = "shared", .get_if_exists = true };
    zaf_actor_t *again = zaf_spawn (z, "Counter", NULL, &existing, &err);
    cr_assert_not_null (again, "%s", err.message);
    cr_expect_str_eq (zaf_actor_id (again), zaf_actor_id (first));
    cr_expect_not (zaf_actor_owned (again));
    zaf_actor_destroy (&again);
    cr_expect_eq (s_probe (z, zaf_actor_id (first)), ZAF_OK, "destroying the borrowed handle killed nothing");
    //  Another class under that name is still NAME_TAKEN
    zaf_actor_t *wrong = zaf_spawn (z, "Refuser", NULL, &existing, &err);
    cr_expect_null (wrong);
    cr_expect_eq (err.code, ZAF_NAME_TAKEN);
    //  get_if_exists with a free name creates (and owns) the actor
    zaf_spawn_opts_t fresh = { .name = "fresh", .get_if_exists = true };
    zaf_actor_t *created = zaf_spawn (z, "Counter", NULL, &fresh, &err);
    cr_assert_not_null (created, "%s", err.message);
    cr_expect (zaf_actor_owned (created));
    zaf_actor_destroy (&created);
    zaf_actor_destroy (&first);

    //  A detached actor outlives the handle and the driver that made it
    int clients = zt_status_count (z, "clients");
    zaf_t *maker = zaf_init (cluster.endpoint);
    zaf_spawn_opts_t detached = { .name = "lasting", .detached = true };
    zaf_actor_t *lasting = zaf_spawn (maker, "Counter", NULL, &detached, &err);
    cr_assert_not_null (lasting, "%s", err.message);
    cr_expect_not (zaf_actor_owned (lasting));
    char id [64];
    snprintf (id, sizeof (id), "%s", zaf_actor_id (lasting));
    zaf_actor_destroy (&lasting);
    zaf_shutdown (&maker);
    //  The broker has seen the maker leave (and ended what it owned)
    clients_wait_t wait = { z, clients };
    cr_assert (zt_wait_until (s_clients_are, &wait, 10000), "the maker did not leave");
    zaf_actor_t *found = zaf_lookup (z, "lasting", &err);
    cr_assert_not_null (found, "%s", err.message);
    cr_expect_str_eq (zaf_actor_id (found), id);
    cr_expect_eq (s_probe (z, id), ZAF_OK);
    cr_expect_eq (zaf_kill (z, found, &err), 0);
    zaf_actor_destroy (&found);
    zt_cluster_stop (&cluster);
}

Test (lifetimes, killing_a_parent_spares_detached_actors)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 0, "n", 2, NULL);
    zaf_t *z = cluster.z;
    zaf_error_t err;
    zaf_actor_t *parent = zaf_spawn (z, "Counter", NULL, NULL, &err);
    cr_assert_not_null (parent);
    //  A child the parent owns
    zaf_future_t *future = zaf_call (z, parent, "spawn", zaf_json ("[\"Counter\", []]"));
    cJSON *owned = zaf_get (z, &future, 10000, &err);
    cr_assert_not_null (owned, "%s", err.message);
    char owned_id [64];
    snprintf (owned_id, sizeof (owned_id), "%s", zaf_json_string (owned, "$actor", ""));
    cJSON_Delete (owned);
    //  A driver-spawned detached actor is nobody's child
    zaf_spawn_opts_t detached = { .name = "orphan-proof", .detached = true };
    zaf_actor_t *free_one = zaf_spawn (z, "Counter", NULL, &detached, &err);
    cr_assert_not_null (free_one);
    cr_assert_eq (zaf_kill (z, parent, &err), 0);
    cr_expect_eq (s_probe (z, owned_id), ZAF_ACTOR_DIED);
    cr_expect_eq (s_probe (z, zaf_actor_id (free_one)), ZAF_OK);
    cr_expect_eq (zaf_kill (z, free_one, &err), 0);
    zaf_actor_destroy (&free_one);
    zaf_actor_destroy (&parent);
    zt_cluster_stop (&cluster);
}

Test (lifetimes, an_actor_is_told_by_a_method_call_when_a_watched_actor_ends)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 0, "n", 2, NULL);
    zaf_t *z = cluster.z;
    zaf_error_t err;
    zaf_actor_t *watcher = zaf_spawn (z, "Counter", NULL, NULL, &err);
    zaf_actor_t *target = zaf_spawn (z, "Counter", NULL, NULL, &err);
    cr_assert (watcher && target);
    cJSON *args = cJSON_CreateArray ();
    cJSON_AddItemToArray (args, zaf_actor_to_json (target));
    zaf_future_t *future = zaf_call (z, watcher, "watch", args);
    cJSON *ok = zaf_get (z, &future, 5000, &err);
    cr_assert_not_null (ok, "%s", err.message);
    cJSON_Delete (ok);
    cr_assert_eq (zaf_kill (z, target, &err), 0);
    //  The notice arrives as a call of `record`
    records_wait_t wait = { z, watcher, NULL };
    cr_assert (zt_wait_until (s_notice_recorded, &wait, 5000), "no notice came");
    cJSON *records = wait.records;
    cr_expect_eq (cJSON_GetArraySize (records), 1, "told once");
    const cJSON *notice = cJSON_GetArrayItem (records, 0);
    cr_expect_str_eq (zaf_json_string (notice, "actor", ""), zaf_actor_id (target));
    cr_expect_str_eq (zaf_json_string (notice, "reason", ""), "killed");
    cJSON_Delete (records);
    //  Watching an actor that has ended already: told at once
    args = cJSON_CreateArray ();
    cJSON_AddItemToArray (args, zaf_actor_to_json (target));
    future = zaf_call (z, watcher, "watch", args);
    ok = zaf_get (z, &future, 5000, &err);
    cr_assert_not_null (ok, "%s", err.message);
    cJSON_Delete (ok);
    future = zaf_call (z, watcher, "recorded", NULL);
    records = zaf_get (z, &future, 5000, &err);
    cr_expect_eq (cJSON_GetArraySize (records), 2);
    cJSON_Delete (records);
    //  An unknown actor is refused; a driver cannot use this form
    zaf_actor_t *nobody = zt_actor_handle ("ffffffff00000001");
    args = cJSON_CreateArray ();
    cJSON_AddItemToArray (args, zaf_actor_to_json (nobody));
    future = zaf_call (z, watcher, "watch", args);
    cr_expect_null (zaf_get (z, &future, 5000, &err));
    cr_expect_eq (err.code, ZAF_NO_SUCH_ACTOR, "%s", err.message);
    cr_expect_eq (zaf_monitor_notify (z, nobody, "record", &err), -1);
    cr_expect_eq (err.code, ZAF_BAD_ARGS);
    zaf_actor_destroy (&nobody);
    zaf_actor_destroy (&watcher);
    zaf_actor_destroy (&target);
    zt_cluster_stop (&cluster);
}

Test (lifetimes, a_call_past_its_deadline_is_answered_timeout_and_reported)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 0, "n", 2, NULL);
    zaf_t *z = cluster.z;
    zaf_error_t err;
    zaf_spawn_opts_t opts = { .call_deadline_ms = 200 };
    zaf_actor_t *actor = zaf_spawn (z, "Counter", NULL, &opts, &err);
    cr_assert_not_null (actor, "%s", err.message);
    //  Under the deadline: answered as usual
    zaf_future_t *future = zaf_call (z, actor, "sleep", zaf_json ("[20]"));
    cJSON *value = zaf_get (z, &future, 5000, &err);
    cr_assert_not_null (value, "%s", err.message);
    cJSON_Delete (value);
    //  Past it: TIMEOUT from the node, long before the method returns
    int64_t started = zclock_mono ();
    future = zaf_call (z, actor, "sleep", zaf_json ("[1500]"));
    zaf_future_t *behind = zaf_call (z, actor, "add", zaf_json ("[1]"));
    value = zaf_get (z, &future, 5000, &err);
    int64_t elapsed = zclock_mono () - started;
    cr_expect_null (value);
    cr_expect_eq (err.code, ZAF_TIMEOUT, "%s", err.message);
    cr_expect (strstr (err.message, "deadline"), "%s", err.message);
    cr_expect_lt (elapsed, 1200, "answered at the deadline, not at the end (%lld ms)",
                  (long long) elapsed);
    //  The actor carries on: the call behind it runs once the method ends
    value = zaf_get (z, &behind, 5000, &err);
    cr_assert_not_null (value, "%s", err.message);
    cr_expect_eq (value->valueint, 1);
    cJSON_Delete (value);
    zaf_actor_destroy (&actor);
    zt_cluster_stop (&cluster);
}
