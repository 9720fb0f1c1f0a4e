/*  =========================================================================
    test_node_parties - the table of what a node hosts

    Pure data, no sockets: records of each kind and what they own, lookup
    by inner id, by routing id and by actor id, live actors versus dying
    ones, counting, removal from every list, the least-loaded choice of a
    worker under the prefetch bound, the task queue handing tasks only when
    a worker can take one, the settling list's order and next wake-up, and
    what a SPAWN's options say about an actor's life.
    =========================================================================
*/

#include "testutil.h"
#include "zaf_node_parties.h"
#include <criterion/criterion.h>

static zaf_node_parties_t *table;

static void
s_setup (void)
{
    table = zaf_node_parties_new ();
}

static void
s_teardown (void)
{
    zaf_node_parties_destroy (&table);
}

TestSuite (node_parties, .init = s_setup, .fini = s_teardown, .timeout = 10);

//  A SUBMIT to queue
static zaf_proto_t *
s_task (const char *function)
{
    zaf_proto_t *task = zaf_proto_new ();
    zaf_proto_set_id (task, ZAF_PROTO_SUBMIT);
    zaf_proto_set_name (task, function);
    return task;
}

//  A worker that said HELLO, holding inflight tasks
static zaf_node_party_t *
s_ready_worker (int index, int inflight)
{
    zaf_node_party_t *worker =
        zaf_node_party_new_worker (zaf_node_parties_next_id (table), index);
    zaf_node_parties_insert (table, worker);
    zaf_node_parties_worker_ready (table, worker);
    worker->inflight = inflight;
    return worker;
}

Test (node_parties, records_of_each_kind)
{
    zaf_node_party_t *worker = zaf_node_party_new_worker (0x80000001u, 3);
    cr_assert_eq (worker->kind, ZAF_PARTY_WORKER);
    cr_assert_str_eq (worker->id, "worker-3");
    cr_assert_null (worker->backlog);
    cr_assert_eq (zaf_inner_decode_id (worker->routing_id, ZAF_INNER_ID_SIZE), 0x80000001u);

    zaf_node_party_t *thread = zaf_node_party_new_thread (0x80000002u, "a1", "Counter");
    cr_assert_eq (thread->kind, ZAF_PARTY_THREAD);
    cr_assert_not_null (thread->ctl, "a thread actor owns its control block");
    cr_assert_not (atomic_load (&thread->ctl->killed));
    cr_assert_not_null (thread->backlog);
    cr_assert_str_eq (thread->class_name, "Counter");

    zaf_node_party_t *process = zaf_node_party_new_process (0x80000003u, "a2", "Counter");
    cr_assert_eq (process->kind, ZAF_PARTY_PROCESS);
    cr_assert_null (process->ctl, "a process's control block is in its shared memory");
    cr_assert_not_null (process->backlog);

    //  A held call goes with the record
    zaf_proto_t *held = s_task ("f");
    zlistx_add_end (thread->backlog, held);
    zaf_node_party_purge (thread);
    cr_assert_eq (zlistx_size (thread->backlog), 0);
    zlistx_add_end (thread->backlog, s_task ("g"));

    zaf_node_party_destroy (&worker);
    zaf_node_party_destroy (&thread);
    zaf_node_party_destroy (&process);
    cr_assert_null (worker);
    cr_assert_null (thread);
    zaf_node_party_destroy (&process);      //  NULL: nothing
}

Test (node_parties, inner_ids_are_fresh_and_marked)
{
    uint32_t first = zaf_node_parties_next_id (table);
    uint32_t second = zaf_node_parties_next_id (table);
    cr_assert (first & 0x80000000u);
    cr_assert (second & 0x80000000u);
    cr_assert_neq (first, second);
}

Test (node_parties, lookup_by_inner_routing_and_actor_id)
{
    zaf_node_party_t *worker = s_ready_worker (0, 0);
    zaf_node_party_t *actor =
        zaf_node_party_new_thread (zaf_node_parties_next_id (table), "actor-1", "Counter");
    zaf_node_parties_insert (table, actor);

    cr_assert_eq (zaf_node_parties_find (table, worker->inner_id), worker);
    cr_assert_eq (zaf_node_parties_find (table, actor->inner_id), actor);
    cr_assert_null (zaf_node_parties_find (table, 0x80000000u | 999));
    cr_assert_eq (zaf_node_parties_find_routing (table, actor->routing_id, ZAF_INNER_ID_SIZE),
                  actor);
    cr_assert_null (zaf_node_parties_find_routing (table, actor->routing_id, 3),
                    "a routing id of the wrong size is not ours");
    byte plain [ZAF_INNER_ID_SIZE] = { 0x00, 0, 0, 1 };
    cr_assert_null (zaf_node_parties_find_routing (table, plain, sizeof (plain)),
                    "without the top bit it is not an inner id");

    cr_assert_eq (zaf_node_parties_actor (table, "actor-1"), actor);
    cr_assert_null (zaf_node_parties_actor (table, "worker-0"), "workers are not actors");
    cr_assert_null (zaf_node_parties_actor (table, "nobody"));
    cr_assert_eq (zaf_node_parties_size (table), 2);
    cr_assert_eq (zaf_node_parties_actors (table), 1);
}

Test (node_parties, dying_actors_are_not_live_but_stay)
{
    zaf_node_party_t *one =
        zaf_node_party_new_thread (zaf_node_parties_next_id (table), "one", "Counter");
    zaf_node_party_t *two =
        zaf_node_party_new_process (zaf_node_parties_next_id (table), "two", "Counter");
    zaf_node_parties_insert (table, one);
    zaf_node_parties_insert (table, two);
    zaf_node_parties_set_dying (table, one);
    cr_assert (one->dying);
    cr_assert_null (zaf_node_parties_actor (table, "one"));
    cr_assert_eq (zaf_node_parties_find (table, one->inner_id), one);
    cr_assert_eq (zaf_node_parties_actors (table), 1);
    cr_assert_eq (zaf_node_parties_size (table), 2);

    //  A new incarnation under the same id while the old one dies
    zaf_node_party_t *again =
        zaf_node_party_new_thread (zaf_node_parties_next_id (table), "one", "Counter");
    zaf_node_parties_insert (table, again);
    cr_assert_eq (zaf_node_parties_actor (table, "one"), again);
    //  The old one ending does not touch the new one
    zaf_node_parties_remove (table, &one);
    cr_assert_null (one);
    cr_assert_eq (zaf_node_parties_actor (table, "one"), again);

    size_t live = 0;
    for (zaf_node_party_t *party = zaf_node_parties_first_actor (table); party;
         party = zaf_node_parties_next_actor (table))
        live++;
    cr_assert_eq (live, 2);
    zlistx_t *all = zaf_node_parties_list (table);
    cr_assert_eq (zlistx_size (all), 2);
    zlistx_destroy (&all);
}

Test (node_parties, least_loaded_worker_under_prefetch)
{
    cr_assert_null (zaf_node_parties_least_loaded (table), "no worker yet");
    zaf_node_party_t *busy = s_ready_worker (0, 5);
    zaf_node_party_t *light = s_ready_worker (1, 2);
    zaf_node_party_t *tie = s_ready_worker (2, 2);
    cr_assert_eq (zaf_node_parties_least_loaded (table), light, "first among equals");
    light->inflight = ZAF_NODE_PREFETCH;
    tie->inflight = ZAF_NODE_PREFETCH;
    cr_assert_eq (zaf_node_parties_least_loaded (table), busy);
    busy->inflight = ZAF_NODE_PREFETCH;
    cr_assert_null (zaf_node_parties_least_loaded (table), "all full");

    //  A worker that has not said HELLO gets nothing
    zaf_node_party_t *silent =
        zaf_node_party_new_worker (zaf_node_parties_next_id (table), 3);
    zaf_node_parties_insert (table, silent);
    cr_assert_null (zaf_node_parties_least_loaded (table));
    //  A removed worker is no longer chosen
    light->inflight = 0;
    cr_assert_eq (zaf_node_parties_least_loaded (table), light);
    zaf_node_parties_remove (table, &light);
    cr_assert_null (zaf_node_parties_least_loaded (table));
}

Test (node_parties, tasks_wait_for_a_worker_in_order)
{
    zaf_proto_t *task = s_task ("first");
    zaf_node_parties_queue_task (table, &task);
    cr_assert_null (task, "the queue took it");
    task = s_task ("second");
    zaf_node_parties_queue_task (table, &task);
    cr_assert_eq (zaf_node_parties_tasks (table), 2);

    zaf_node_party_t *worker = NULL;
    cr_assert_null (zaf_node_parties_next_task (table, &worker), "no worker: tasks wait");
    cr_assert_null (worker);
    cr_assert_eq (zaf_node_parties_tasks (table), 2);

    zaf_node_party_t *only = s_ready_worker (0, ZAF_NODE_PREFETCH - 1);
    task = zaf_node_parties_next_task (table, &worker);
    cr_assert_not_null (task);
    cr_assert_eq (worker, only);
    cr_assert_str_eq (zaf_proto_name (task), "first");
    zaf_proto_destroy (&task);
    only->inflight++;               //  What the node does when it sends
    cr_assert_null (zaf_node_parties_next_task (table, &worker), "the worker is full");
    cr_assert_eq (zaf_node_parties_tasks (table), 1);

    zaf_node_parties_drop_tasks (table);
    cr_assert_eq (zaf_node_parties_tasks (table), 0);
    only->inflight = 0;
    cr_assert_null (zaf_node_parties_next_task (table, &worker), "nothing queued");
}

Test (node_parties, settling_in_time_order)
{
    zaf_node_party_t *early =
        zaf_node_party_new_process (zaf_node_parties_next_id (table), "early", "Counter");
    zaf_node_party_t *late =
        zaf_node_party_new_process (zaf_node_parties_next_id (table), "late", "Counter");
    zaf_node_parties_insert (table, early);
    zaf_node_parties_insert (table, late);
    zaf_node_parties_settle (table, late, 1000);
    zaf_node_parties_settle (table, early, 500);

    int next = -1;
    cr_assert_null (zaf_node_parties_settled (table, 100, &next));
    cr_assert_eq (next, 400, "the nearest is due in 400 ms, got %d", next);
    next = 50;
    cr_assert_null (zaf_node_parties_settled (table, 100, &next));
    cr_assert_eq (next, 50, "an earlier wake-up is kept");

    next = -1;
    cr_assert_eq (zaf_node_parties_settled (table, 600, &next), early);
    cr_assert_null (early->settling_item);
    next = -1;
    cr_assert_null (zaf_node_parties_settled (table, 600, &next), "early left the list");
    cr_assert_eq (next, 400);

    //  Removing a settling party takes it off the list
    zaf_node_parties_remove (table, &late);
    next = -1;
    cr_assert_null (zaf_node_parties_settled (table, 5000, &next));
    cr_assert_eq (next, -1);
}

Test (node_parties, spawn_options_set_the_actors_life)
{
    zaf_node_party_t *actor =
        zaf_node_party_new_process (zaf_node_parties_next_id (table), "a7", "Counter");
    zaf_proto_t *spawn = zaf_proto_new ();
    zaf_proto_set_id (spawn, ZAF_PROTO_SPAWN);
    zaf_proto_set_body (spawn, "[5]", 3);
    cJSON *options = cJSON_Parse ("{\"name\":\"counter\",\"owner\":\"d1\","
                                  "\"max_restarts\":2,\"call_deadline_ms\":250}");
    zaf_node_party_set_spawn (actor, spawn, options);
    cr_assert_eq (actor->deadline_ms, 250);
    cr_assert (actor->restartable);
    cr_assert_str_eq (zaf_json_string (actor->announce, "id", ""), "a7");
    cr_assert_str_eq (zaf_json_string (actor->announce, "class", ""), "Counter");
    cr_assert_str_eq (zaf_json_string (actor->announce, "name", ""), "counter");
    cr_assert_str_eq (zaf_json_string (actor->announce, "parent", ""), "d1");
    cr_assert_eq (cJSON_GetArraySize (cJSON_GetObjectItem (actor->announce, "args")), 1,
                  "a restartable actor's SPAWN is kept for a new broker");
    cJSON_Delete (options);

    //  Detached, no options of note: no parent, no restarts, no deadline
    options = cJSON_Parse ("{\"detached\":true,\"owner\":\"d1\",\"call_deadline_ms\":-5}");
    zaf_node_party_set_spawn (actor, spawn, options);
    cr_assert_eq (actor->deadline_ms, 0);
    cr_assert_not (actor->restartable);
    cr_assert_null (cJSON_GetObjectItem (actor->announce, "parent"));
    cr_assert (cJSON_IsTrue (cJSON_GetObjectItem (actor->announce, "detached")));
    cr_assert_null (cJSON_GetObjectItem (actor->announce, "args"));
    cJSON_Delete (options);

    zaf_node_party_set_spawn (actor, spawn, NULL);
    cr_assert_str_eq (zaf_json_string (actor->announce, "id", ""), "a7");
    zaf_proto_destroy (&spawn);
    zaf_node_party_destroy (&actor);
}
