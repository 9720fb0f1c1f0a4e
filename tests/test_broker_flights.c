/*  =========================================================================
    test_broker_flights - the broker's requests in flight, alone

    Builds the bottom of the broker (peer table, send path, flight table)
    without its actor or loop: a driver peer and a node peer, and flights
    started from hand-made requests. Covers start, lookup and end (rings,
    pending counters, task counts), a correlation id already in flight
    (refused with PROTOCOL), the same id from two callers, failing a flight
    (the caller, a real DEALER on inproc, receives the error answer; a KILL
    ends ok), and the reuse of ended flight records, bounded.
    =========================================================================
*/

#include "testutil.h"
#include "zaf_broker_flights.h"
#include <criterion/criterion.h>

static zaf_broker_stats_t stats;
static zaf_broker_peers_t *peers;
static zaf_broker_out_t *out;
static zaf_broker_flights_t *flights;
static zaf_broker_peer_t *caller;
static zaf_broker_peer_t *node;
static zaf_proto_t *request;

static void
s_setup (void)
{
    memset (&stats, 0, sizeof (stats));
    peers = zaf_broker_peers_new ();
    out = zaf_broker_out_new (peers, &stats);
    flights = zaf_broker_flights_new (out, &stats);
    caller = zaf_broker_peers_add (peers, "driver", 6, ROLE_DRIVER, NULL);
    cJSON *hello = cJSON_Parse ("{\"name\":\"n1\",\"functions\":[\"f\"]}");
    node = zaf_broker_peers_add (peers, "node", 4, ROLE_NODE, hello);
    cJSON_Delete (hello);
    request = zaf_proto_new ();
    zaf_proto_set_id (request, ZAF_PROTO_CALL);
    zaf_proto_set_routing_id (request, "driver", 6);
}

static void
s_teardown (void)
{
    zaf_proto_destroy (&request);
    zaf_broker_flights_destroy (&flights);
    zaf_broker_out_destroy (&out);
    zaf_broker_peers_destroy (&peers);
}

//  Start a flight of kind for correlation id corr from caller to node
static zaf_broker_flight_t *
s_start (const char *corr, zaf_broker_flight_kind_t kind, zaf_ring_t *queue, size_t *pending)
{
    zaf_proto_set_corr (request, corr, strlen (corr));
    return zaf_broker_flights_start (flights, request, caller, kind, node, queue, pending);
}

TestSuite (broker_flights, .init = s_setup, .fini = s_teardown, .timeout = 20);

Test (broker_flights, start_lookup_end)
{
    zaf_ring_t queue;
    zaf_ring_init (&queue);
    size_t pending = 0;
    zaf_broker_flight_t *flight = s_start ("c1", FLIGHT_CALL, &queue, &pending);
    cr_assert_not_null (flight);
    cr_expect_eq (flight->kind, FLIGHT_CALL);
    cr_expect_eq (flight->caller, caller);
    cr_expect_eq (flight->node, node);
    cr_expect_eq (pending, 1);
    cr_expect_eq (zaf_broker_flights_size (flights), 1);
    cr_expect_not (zaf_ring_empty (&caller->calls_out));
    cr_expect_not (zaf_ring_empty (&queue));
    cr_expect_eq (zaf_broker_flights_lookup (flights, "driver", 6, "c1", 2), flight);
    cr_expect_null (zaf_broker_flights_lookup (flights, "driver", 6, "c2", 2));
    cr_expect_null (zaf_broker_flights_lookup (flights, "node", 4, "c1", 2));
    cr_expect_null (zaf_broker_flights_lookup (flights, "driver", 6, "c", 1));

    zaf_broker_flights_end (flights, &flight);
    cr_expect_null (flight);
    cr_expect_eq (pending, 0);
    cr_expect_eq (zaf_broker_flights_size (flights), 0);
    cr_expect (zaf_ring_empty (&caller->calls_out));
    cr_expect (zaf_ring_empty (&queue));
    cr_expect_null (zaf_broker_flights_lookup (flights, "driver", 6, "c1", 2));
    cr_expect_eq (stats.malformed, 0);
}

Test (broker_flights, corr_in_flight_is_refused)
{
    zaf_broker_flight_t *first = s_start ("same", FLIGHT_CALL, &node->work, NULL);
    cr_assert_not_null (first);
    cr_expect_null (s_start ("same", FLIGHT_CALL, &node->work, NULL));
    cr_expect_eq (stats.malformed, 1);
    cr_expect_eq (stats.errors_sent, 1, "the second request is answered with an error");
    cr_expect_eq (zaf_broker_flights_size (flights), 1);
    cr_expect_eq (zaf_broker_flights_lookup (flights, "driver", 6, "same", 4), first);
    //  Once the first has ended, the id may be used again
    zaf_broker_flights_end (flights, &first);
    cr_expect_not_null (s_start ("same", FLIGHT_CALL, &node->work, NULL));
}

Test (broker_flights, same_corr_from_two_callers)
{
    zaf_broker_flight_t *mine = s_start ("c1", FLIGHT_CALL, &node->work, NULL);
    zaf_proto_set_routing_id (request, "node", 4);
    zaf_broker_flight_t *theirs = zaf_broker_flights_start (flights, request, node, FLIGHT_CALL, node,
                                                 &node->work, NULL);
    cr_assert_not_null (mine);
    cr_assert_not_null (theirs);
    cr_expect_neq (mine, theirs);
    cr_expect_eq (zaf_broker_flights_lookup (flights, "driver", 6, "c1", 2), mine);
    cr_expect_eq (zaf_broker_flights_lookup (flights, "node", 4, "c1", 2), theirs);
    cr_expect_eq (zaf_broker_flights_size (flights), 2);
}

Test (broker_flights, submit_counts_tasks)
{
    zaf_broker_flight_t *flight = s_start ("t1", FLIGHT_SUBMIT, &node->work, NULL);
    cr_assert_not_null (flight);
    cr_expect_eq (node->tasks, 1);
    zaf_broker_flights_end (flights, &flight);
    cr_expect_eq (node->tasks, 0);
}

//  A DEALER with the caller's routing id, connected to the broker's ROUTER
//  and known to it (it has sent one message)
static zsock_t *
s_connect_caller (void)
{
    zsock_t *router = zaf_broker_out_router (out);
    int port = zsock_bind (router, "tcp://127.0.0.1:*");
    cr_assert_gt (port, 0);
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zsock_set_identity (dealer, "driver");
    zsock_set_rcvtimeo (dealer, 5000);
    zsock_set_linger (dealer, 0);
    cr_assert_eq (zsock_connect (dealer, "tcp://127.0.0.1:%d", port), 0);
    zstr_send (dealer, "hello");
    zsock_set_rcvtimeo (router, 5000);
    zmsg_t *hello = zmsg_recv (router);
    cr_assert_not_null (hello, "the ROUTER hears the caller");
    zmsg_destroy (&hello);
    return dealer;
}

Test (broker_flights, fail_answers_the_caller)
{
    zsock_t *dealer = s_connect_caller ();
    zaf_ring_t queue;
    zaf_ring_init (&queue);
    size_t pending = 0;
    zaf_broker_flight_t *flight = s_start ("c7", FLIGHT_CALL, &queue, &pending);
    cr_assert_not_null (flight);
    zaf_broker_flights_fail (flights, flight, ZAF_ACTOR_DIED, "it ended");
    cr_expect_eq (zaf_broker_flights_size (flights), 0);
    cr_expect_eq (pending, 0);
    cr_expect (zaf_ring_empty (&queue));
    cr_expect_eq (stats.errors_sent, 1);

    zaf_proto_t *answer = zaf_proto_new ();
    cr_assert_eq (zaf_proto_recv (answer, dealer), 0);
    cr_expect_eq (zaf_proto_id (answer), ZAF_PROTO_REPLY);
    cr_expect_not (zaf_proto_ok (answer));
    size_t size;
    const char *corr = zaf_proto_corr (answer, &size);
    cr_expect (size == 2 && memcmp (corr, "c7", 2) == 0);
    const char *body = zaf_proto_body (answer, &size);
    zaf_error_t error;
    zaf_error_parse (body, size, &error);
    cr_expect_eq (error.code, ZAF_ACTOR_DIED);
    cr_expect_str_eq (error.message, "it ended");
    zaf_proto_destroy (&answer);
    zsock_destroy (&dealer);
}

Test (broker_flights, failed_kill_ends_ok)
{
    zsock_t *dealer = s_connect_caller ();
    zaf_broker_flight_t *flight = s_start ("k1", FLIGHT_KILL, &node->work, NULL);
    cr_assert_not_null (flight);
    zaf_broker_flights_fail (flights, flight, ZAF_ACTOR_DIED, "it ended");
    cr_expect_eq (zaf_broker_flights_size (flights), 0);
    cr_expect_eq (stats.errors_sent, 0);
    zaf_proto_t *answer = zaf_proto_new ();
    cr_assert_eq (zaf_proto_recv (answer, dealer), 0);
    cr_expect_eq (zaf_proto_id (answer), ZAF_PROTO_REPLY);
    cr_expect (zaf_proto_ok (answer));
    size_t size;
    const char *body = zaf_proto_body (answer, &size);
    cr_expect (size == 4 && memcmp (body, "null", 4) == 0);
    zaf_proto_destroy (&answer);
    zsock_destroy (&dealer);
}

Test (broker_flights, fail_to_a_vanished_caller_dooms_it)
{
    zaf_broker_flight_t *flight = s_start ("c1", FLIGHT_CALL, &node->work, NULL);
    zaf_broker_flights_fail (flights, flight, ZAF_NODE_LOST, "gone");
    cr_expect_eq (zaf_broker_flights_size (flights), 0);
    cr_expect_eq (stats.unroutable, 1);
    cr_expect_str_eq (caller->doomed, "connection closed");
    zlistx_t *doomed = zaf_broker_peers_take_doomed (peers);
    cr_assert_not_null (doomed);
    cr_expect_eq (zlistx_first (doomed), caller);
    zlistx_destroy (&doomed);
}

Test (broker_flights, records_are_reused)
{
    zaf_broker_flight_t *flight = s_start ("c1", FLIGHT_CALL, &node->work, NULL);
    zaf_broker_flight_t *first = flight;
    flight->copy = zaf_proto_dup (request);
    flight->retries = 3;
    zaf_broker_flights_end (flights, &flight);
    cr_expect_eq (zaf_broker_flights_spares (flights), 1);

    flight = s_start ("a-longer-corr-id", FLIGHT_SUBMIT, &node->work, NULL);
    cr_expect_eq (flight, first, "the spare record comes back");
    cr_expect_eq (zaf_broker_flights_spares (flights), 0);
    cr_expect_eq (flight->kind, FLIGHT_SUBMIT);
    cr_expect_null (flight->copy);
    cr_expect_eq (flight->retries, 0);
    cr_expect_null (flight->actor);
    cr_expect_null (flight->pending);
    cr_expect_eq (zaf_broker_flights_lookup (flights, "driver", 6, "a-longer-corr-id", 16), flight);
    cr_expect_null (zaf_broker_flights_lookup (flights, "driver", 6, "c1", 2));
}

Test (broker_flights, spares_are_bounded)
{
    size_t count = ZAF_BROKER_SPARE_FLIGHTS + 100;
    zaf_broker_flight_t **started = (zaf_broker_flight_t **) calloc (count, sizeof (zaf_broker_flight_t *));
    for (size_t index = 0; index < count; index++) {
        char corr [32];
        snprintf (corr, sizeof (corr), "c%zu", index);
        started [index] = s_start (corr, FLIGHT_CALL, &node->work, NULL);
        cr_assert_not_null (started [index]);
    }
    cr_expect_eq (zaf_broker_flights_size (flights), count);
    for (size_t index = 0; index < count; index++)
        zaf_broker_flights_end (flights, &started [index]);
    cr_expect_eq (zaf_broker_flights_size (flights), 0);
    cr_expect_eq (zaf_broker_flights_spares (flights), ZAF_BROKER_SPARE_FLIGHTS);
    cr_expect (zaf_ring_empty (&node->work));
    free (started);
}
