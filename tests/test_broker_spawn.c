/*  =========================================================================
    test_broker_spawn - placement and SPAWN, alone

    Builds the broker's objects below its actor (peer table, send path,
    flights, actor table, spawner) and registers nodes by hand, as their
    HELLOs would. Placement: the eligible node with the fewest actors wins;
    ties go round-robin; a spawn pinned by node name goes there or fails
    with NO_SUCH_NODE; a node that does not serve the class, a doomed node
    or a driver is never chosen, and no eligible node means NO_SUCH_CLASS;
    tasks go to the node with the fewest tasks per worker. SPAWN handling:
    with a real node and a real caller (DEALERs on 127.0.0.1), a spawn
    reaches the node under a fresh actor id and its SPAWNED reaches the
    caller; a spawn nobody can place is refused with NO_SUCH_CLASS.
    =========================================================================
*/

#include "testutil.h"
#include "zaf_broker_spawn.h"
#include "zaf_broker_ids.h"
#include <criterion/criterion.h>

static zaf_broker_stats_t stats;
static zaf_broker_peers_t *peers;
static zaf_broker_out_t *out;
static zaf_broker_flights_t *flights;
static zaf_broker_actors_t *actors;
static zaf_broker_spawn_t *spawn;

static void
s_setup (void)
{
    memset (&stats, 0, sizeof (stats));
    peers = zaf_broker_peers_new ();
    out = zaf_broker_out_new (peers, &stats);
    flights = zaf_broker_flights_new (out, &stats);
    actors = zaf_broker_actors_new (peers, flights, out, &stats);
    spawn = zaf_broker_spawn_new (peers, flights, actors, out, &stats);
}

static void
s_teardown (void)
{
    zaf_broker_spawn_destroy (&spawn);
    zaf_broker_flights_destroy (&flights);
    zaf_broker_actors_destroy (&actors);
    zaf_broker_out_destroy (&out);
    zaf_broker_peers_destroy (&peers);
}

//  Register a node named name (also its routing id) serving the classes
//  and functions in hello_tail (JSON members), carrying this many actors
static zaf_broker_peer_t *
s_node (const char *name, const char *hello_tail, size_t actor_count)
{
    char text [256];
    snprintf (text, sizeof (text), "{\"name\":\"%s\"%s}", name, hello_tail);
    cJSON *hello = cJSON_Parse (text);
    cr_assert_not_null (hello);
    zaf_broker_peer_t *node = zaf_broker_peers_add (peers, name, strlen (name), ROLE_NODE, hello);
    cJSON_Delete (hello);
    node->actors = actor_count;
    return node;
}

#define SERVES_WORKER   ",\"classes\":[\"Worker\"]"

static zaf_broker_peer_t *
s_place (const char *class_name, const char *node_name, zaf_code_t *code)
{
    *code = ZAF_OK;
    return zaf_broker_spawn_place (spawn, class_name, node_name, code);
}

TestSuite (broker_spawn, .init = s_setup, .fini = s_teardown, .timeout = 20);

Test (broker_spawn, fewest_actors_wins)
{
    s_node ("a", SERVES_WORKER, 2);
    zaf_broker_peer_t *b = s_node ("b", SERVES_WORKER, 0);
    s_node ("c", SERVES_WORKER, 1);
    zaf_code_t code;
    for (int round = 0; round < 6; round++)
        cr_expect_eq (s_place ("Worker", NULL, &code), b);
    b->actors = 5;
    zaf_broker_peer_t *chosen = s_place ("Worker", NULL, &code);
    cr_assert_not_null (chosen);
    cr_expect_str_eq (chosen->name, "c");
}

Test (broker_spawn, ties_go_round_robin)
{
    zaf_broker_peer_t *nodes [3] = {
        s_node ("a", SERVES_WORKER, 0), s_node ("b", SERVES_WORKER, 0), s_node ("c", SERVES_WORKER, 0)
    };
    zaf_code_t code;
    zaf_broker_peer_t *chosen [6];
    for (int round = 0; round < 6; round++) {
        chosen [round] = s_place ("Worker", NULL, &code);
        cr_assert_not_null (chosen [round]);
    }
    //  Each of the three in turn, then the same turn again
    cr_expect_neq (chosen [0], chosen [1]);
    cr_expect_neq (chosen [1], chosen [2]);
    cr_expect_neq (chosen [0], chosen [2]);
    for (int round = 3; round < 6; round++)
        cr_expect_eq (chosen [round], chosen [round - 3]);
    for (int index = 0; index < 3; index++) {
        int times = 0;
        for (int round = 0; round < 6; round++)
            times += chosen [round] == nodes [index];
        cr_expect_eq (times, 2, "node %s chosen %d times", nodes [index]->name, times);
    }
}

Test (broker_spawn, ties_only_among_the_fewest)
{
    zaf_broker_peer_t *a = s_node ("a", SERVES_WORKER, 1);
    zaf_broker_peer_t *b = s_node ("b", SERVES_WORKER, 1);
    s_node ("c", SERVES_WORKER, 4);
    zaf_code_t code;
    int for_a = 0, for_b = 0;
    for (int round = 0; round < 6; round++) {
        zaf_broker_peer_t *chosen = s_place ("Worker", NULL, &code);
        for_a += chosen == a;
        for_b += chosen == b;
    }
    cr_expect_eq (for_a + for_b, 6, "the busy node is never chosen");
    cr_expect_geq (for_a, 2);
    cr_expect_geq (for_b, 2);
}

Test (broker_spawn, pin_by_node_name)
{
    s_node ("a", SERVES_WORKER, 0);
    zaf_broker_peer_t *busy = s_node ("busy", SERVES_WORKER, 50);
    s_node ("other", ",\"classes\":[\"Other\"]", 0);
    zaf_code_t code;
    for (int round = 0; round < 4; round++)
        cr_expect_eq (s_place ("Worker", "busy", &code), busy);
    cr_expect_null (s_place ("Worker", "nowhere", &code));
    cr_expect_eq (code, ZAF_NO_SUCH_NODE);
    cr_expect_null (s_place ("Worker", "other", &code));
    cr_expect_eq (code, ZAF_NO_SUCH_CLASS, "the named node lives but does not serve the class");
}

Test (broker_spawn, only_eligible_nodes)
{
    zaf_code_t code;
    cr_expect_null (s_place ("Worker", NULL, &code), "no nodes at all");
    cr_expect_eq (code, ZAF_NO_SUCH_CLASS);

    zaf_broker_peer_t *driver = zaf_broker_peers_add (peers, "drv", 3, ROLE_DRIVER, NULL);
    cr_assert_not_null (driver);
    zaf_broker_peer_t *doomed = s_node ("doomed", SERVES_WORKER, 0);
    zaf_broker_peers_doom (peers, doomed, "connection closed");
    zaf_broker_peer_t *other = s_node ("other", ",\"classes\":[\"Other\"]", 0);
    cr_expect_null (s_place ("Worker", NULL, &code));
    cr_expect_eq (code, ZAF_NO_SUCH_CLASS);
    cr_expect_null (s_place ("Worker", "doomed", &code), "a doomed node is not live");
    cr_expect_eq (code, ZAF_NO_SUCH_NODE);

    zaf_broker_peer_t *serving = s_node ("serving", ",\"classes\":[\"Other\",\"Worker\"]", 9);
    for (int round = 0; round < 4; round++) {
        cr_expect_eq (s_place ("Worker", NULL, &code), serving);
        cr_expect_eq (s_place ("Other", NULL, &code), other, "fewer actors than serving");
    }
    cr_expect_null (s_place ("Nobody", NULL, &code));
    cr_expect_eq (code, ZAF_NO_SUCH_CLASS);
}

Test (broker_spawn, tasks_go_where_workers_are_free)
{
    zaf_broker_peer_t *small = s_node ("small", ",\"functions\":[\"f\"],\"cpus\":1", 0);
    zaf_broker_peer_t *large = s_node ("large", ",\"functions\":[\"f\"],\"cpus\":4", 0);
    s_node ("none", ",\"functions\":[\"g\"],\"cpus\":8", 0);
    small->tasks = 1;
    large->tasks = 3;           //  3/4 busy beats 1/1
    zaf_code_t code = ZAF_OK;
    cr_expect_eq (zaf_broker_spawn_place_task (spawn, "f", NULL, &code, NULL, 0), large);
    large->tasks = 5;           //  5/4 loses to 1/1
    cr_expect_eq (zaf_broker_spawn_place_task (spawn, "f", NULL, &code, NULL, 0), small);
    cr_expect_null (zaf_broker_spawn_place_task (spawn, "h", NULL, &code, NULL, 0));
    cr_expect_eq (code, ZAF_NO_SUCH_FUNCTION);
}

Test (broker_spawn, tasks_placed_by_resources)
{
    zaf_broker_peer_t *cpu = s_node ("cpu", ",\"functions\":[\"f\"],\"cpus\":8,"
                                     "\"resources\":{\"cpu\":8}", 0);
    zaf_broker_peer_t *gpu = s_node ("gpu", ",\"functions\":[\"f\"],\"cpus\":1,"
                                     "\"resources\":{\"cpu\":2,\"gpu\":1}", 0);
    gpu->tasks = 5;             //  Busiest, but the only one with a gpu
    cJSON *options = cJSON_Parse ("{\"resources\":{\"gpu\":1}}");
    char error [128];
    zaf_demand_t *demand = zaf_demand_new (options, error, sizeof (error));
    cJSON_Delete (options);
    cr_assert_not_null (demand);
    zaf_code_t code = ZAF_OK;
    char message [256];
    cr_expect_eq (zaf_broker_spawn_place_task (spawn, "f", demand, &code, message,
                                               sizeof (message)), gpu);
    zaf_capacity_reserve (gpu->capacity, demand);
    cr_expect_null (zaf_broker_spawn_place_task (spawn, "f", demand, &code, message,
                                                 sizeof (message)));
    cr_expect_eq (code, ZAF_NO_RESOURCES);
    cr_expect (strstr (message, "function f") && strstr (message, "nearest is node"),
               "%s", message);
    zaf_capacity_release (gpu->capacity, demand);
    cr_expect_eq (zaf_broker_spawn_place_task (spawn, "f", demand, &code, message,
                                               sizeof (message)), gpu);
    cr_expect_null (zaf_broker_spawn_place_task (spawn, "g", demand, &code, message,
                                                 sizeof (message)));
    cr_expect_eq (code, ZAF_NO_SUCH_FUNCTION);
    zaf_demand_destroy (&demand);
    (void) cpu;
}

//  --------------------------------------------------------------------------
//  SPAWN through real sockets

//  A DEALER named name, connected to the broker's ROUTER at port and known
//  to it (it has sent one frame, which the ROUTER read)
static zsock_t *
s_dealer (const char *name, int port)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zsock_set_identity (dealer, name);
    zsock_set_rcvtimeo (dealer, 5000);
    zsock_set_linger (dealer, 0);
    cr_assert_eq (zsock_connect (dealer, "tcp://127.0.0.1:%d", port), 0);
    zstr_send (dealer, "hello");
    zmsg_t *first = zmsg_recv (zaf_broker_out_router (out));
    cr_assert_not_null (first, "the ROUTER hears %s", name);
    zmsg_destroy (&first);
    return dealer;
}

static zaf_proto_t *
s_spawn_request (const char *class_name, const char *options)
{
    zaf_proto_t *request = zaf_proto_new ();
    zaf_proto_set_id (request, ZAF_PROTO_SPAWN);
    zaf_proto_set_routing_id (request, "caller", 6);
    zaf_proto_set_corr (request, "s1", 2);
    zaf_proto_set_name (request, class_name);
    zaf_proto_set_options (request, options, strlen (options));
    zaf_proto_set_body (request, "[]", 2);
    return request;
}

Test (broker_spawn, spawn_reaches_the_node_and_back)
{
    zsock_t *router = zaf_broker_out_router (out);
    zsock_set_rcvtimeo (router, 5000);
    int port = zsock_bind (router, "tcp://127.0.0.1:*");
    cr_assert_gt (port, 0);
    zsock_t *node_socket = s_dealer ("n1", port);
    zsock_t *caller_socket = s_dealer ("caller", port);
    zaf_broker_peer_t *node = s_node ("n1", SERVES_WORKER, 0);
    zaf_broker_peer_t *caller = zaf_broker_peers_add (peers, "caller", 6, ROLE_DRIVER, NULL);

    zaf_proto_t *request = s_spawn_request ("Worker", "{\"name\":\"w\"}");
    zaf_broker_spawn_handle (spawn, request, caller);
    cr_expect_eq (stats.spawns, 1);
    cr_expect_eq (zaf_broker_actors_size (actors), 1);
    cr_expect_eq (node->actors, 1);
    cr_expect_eq (zaf_broker_flights_size (flights), 1);
    zaf_broker_actor_t *actor = zaf_broker_actors_named (actors, "w");
    cr_assert_not_null (actor);
    cr_expect_eq (actor->owner, caller);
    cr_expect_not (actor->ready);

    //  The node receives the SPAWN under the actor's id
    zaf_proto_t *got = zaf_proto_new ();
    cr_assert_eq (zaf_proto_recv (got, node_socket), 0);
    cr_expect_eq (zaf_proto_id (got), ZAF_PROTO_SPAWN);
    cr_expect_str_eq (zaf_proto_actor (got), actor->id);
    cr_expect_str_eq (zaf_proto_name (got), "Worker");
    cr_expect_eq (strlen (actor->id), ZAF_BROKER_ID_SIZE);

    //  Its SPAWNED goes back to the caller and the actor is ready
    zaf_proto_set_id (got, ZAF_PROTO_SPAWNED);
    zaf_proto_set_ok (got, true);
    zaf_proto_set_body (got, "{}", 2);
    zaf_broker_spawn_handle_spawned (spawn, got, node);
    cr_expect (actor->ready);
    cr_expect_eq (zaf_broker_flights_size (flights), 0);
    zaf_proto_t *answer = zaf_proto_new ();
    cr_assert_eq (zaf_proto_recv (answer, caller_socket), 0);
    cr_expect_eq (zaf_proto_id (answer), ZAF_PROTO_SPAWNED);
    cr_expect (zaf_proto_ok (answer));
    cr_expect_str_eq (zaf_proto_actor (answer), actor->id);

    zaf_proto_destroy (&answer);
    zaf_proto_destroy (&got);
    zaf_proto_destroy (&request);
    zsock_destroy (&caller_socket);
    zsock_destroy (&node_socket);
}

Test (broker_spawn, spawn_nobody_serves_is_refused)
{
    zsock_t *router = zaf_broker_out_router (out);
    zsock_set_rcvtimeo (router, 5000);
    int port = zsock_bind (router, "tcp://127.0.0.1:*");
    cr_assert_gt (port, 0);
    zsock_t *caller_socket = s_dealer ("caller", port);
    s_node ("n1", ",\"classes\":[\"Other\"]", 0);
    zaf_broker_peer_t *caller = zaf_broker_peers_add (peers, "caller", 6, ROLE_DRIVER, NULL);

    zaf_proto_t *request = s_spawn_request ("Worker", "");
    zaf_broker_spawn_handle (spawn, request, caller);
    cr_expect_eq (zaf_broker_actors_size (actors), 0);
    cr_expect_eq (zaf_broker_flights_size (flights), 0);

    zaf_proto_t *answer = zaf_proto_new ();
    cr_assert_eq (zaf_proto_recv (answer, caller_socket), 0);
    cr_expect_eq (zaf_proto_id (answer), ZAF_PROTO_SPAWNED);
    cr_expect_not (zaf_proto_ok (answer));
    size_t size;
    const char *body = zaf_proto_body (answer, &size);
    zaf_error_t error;
    zaf_error_parse (body, size, &error);
    cr_expect_eq (error.code, ZAF_NO_SUCH_CLASS);
    cr_expect (strstr (error.message, "Worker") != NULL, "message: %s", error.message);

    zaf_proto_destroy (&answer);
    zaf_proto_destroy (&request);
    zsock_destroy (&caller_socket);
}
