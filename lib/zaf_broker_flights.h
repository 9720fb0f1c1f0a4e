/*  =========================================================================
    zaf_broker_flights - the broker's requests in flight

    Every request that expects an answer (CALL, SUBMIT, SPAWN, KILL, and a
    MONITOR, answered when its actor ends) is a flight, keyed by (caller
    routing id, correlation id) and linked into two rings: the caller's
    calls_out, and a target queue chosen by the creator (an actor's flights
    or monitors, or a node's work). A flight ends exactly once: by its
    answer (zaf_broker_flights_end) or by the failure that ends it
    (zaf_broker_flights_fail), so every request gets exactly one answer.
    Flight records are reused: a call should not cost a malloc.
    =========================================================================
*/

#ifndef ZAF_BROKER_FLIGHTS_H_INCLUDED
#define ZAF_BROKER_FLIGHTS_H_INCLUDED

#include "zaf_broker_out.h"

typedef enum {
    FLIGHT_CALL = 1, FLIGHT_SUBMIT, FLIGHT_SPAWN, FLIGHT_KILL,
    FLIGHT_MONITOR              //  Answered when its actor ends
} zaf_broker_flight_kind_t;

//  An actor record (zaf_broker_actors.h). Flights carry a pointer to the
//  actor they target but never look inside it.
struct _zaf_broker_actor_t;

//  One request in flight. Created and freed only by the flights object;
//  the layers above read its fields, and set actor, actor_id, copy and
//  retries.
typedef struct {
    zaf_key_t key;                 //  caller routing id + corr (map key); first
    zaf_broker_flight_kind_t kind;
    zaf_broker_peer_t *caller;
    zaf_broker_peer_t *node;               //  Where it went
    struct _zaf_broker_actor_t *actor;     //  Target actor (calls, spawns, kills), or NULL
    const char *actor_id;       //  Its id (borrowed from the actor), or NULL
    size_t *pending;            //  Counter it holds one unit of, or NULL
    size_t caller_size;         //  Split of key into caller and corr
    zaf_ring_t by_caller;           //  In caller->calls_out
    zaf_ring_t by_target;           //  In the target queue
    zaf_proto_t *copy;          //  The CALL, kept to retry (max_call_retries)
    int retries;                //  Retries done
    bool held;                  //  Waits in its actor's held list: not sent
                                //  to any node yet (never ran)
    zaf_demand_t *demand;       //  A task's placement, its resources
                                //  reserved on node until the flight ends
} zaf_broker_flight_t;

typedef struct _zaf_broker_flights_t zaf_broker_flights_t;

//  Flights kept for reuse: enough for a burst, not a hoard
#define ZAF_BROKER_SPARE_FLIGHTS 1024

//  Create an empty flight table. Borrows out (to answer) and stats.
zaf_broker_flights_t *
    zaf_broker_flights_new (zaf_broker_out_t *out, zaf_broker_stats_t *stats);

//  Destroy the table and every flight in it, unanswered (the broker is
//  ending; the peers hear BYE).
void
    zaf_broker_flights_destroy (zaf_broker_flights_t **self_p);

//  Start a flight for request (its correlation id) from caller, going to
//  node, linked into queue; pending, if not NULL, counts it until it ends.
//  A SUBMIT counts in node->tasks. If the caller already has a request in
//  flight with that correlation id, refuses the request with PROTOCOL and
//  returns NULL. The table owns the flight.
zaf_broker_flight_t *
    zaf_broker_flights_start (zaf_broker_flights_t *self, zaf_proto_t *request, zaf_broker_peer_t *caller,
                              zaf_broker_flight_kind_t kind, zaf_broker_peer_t *node, zaf_ring_t *queue, size_t *pending);

//  The flight of caller with this correlation id, or NULL. Borrowed.
zaf_broker_flight_t *
    zaf_broker_flights_lookup (zaf_broker_flights_t *self, const void *caller, size_t caller_size,
                               const void *corr, size_t corr_size);

//  End a flight whose answer has been or needs not be sent: unlink it and
//  keep or free its record. Nulls the caller's pointer.
void
    zaf_broker_flights_end (zaf_broker_flights_t *self, zaf_broker_flight_t **flight_p);

//  End a flight with an error answer to its caller (a KILL ends ok: its
//  actor is gone either way).
void
    zaf_broker_flights_fail (zaf_broker_flights_t *self, zaf_broker_flight_t *flight, zaf_code_t code,
                             const char *message);

//  A CANCEL from caller: end its call or task flight without an answer and
//  pass the CANCEL on to the node it went to. Nothing if no such flight.
void
    zaf_broker_flights_cancel (zaf_broker_flights_t *self, zaf_proto_t *cancel,
                               zaf_broker_peer_t *caller);

//  If the request (CALL, TELL, SUBMIT) is past its deadline, answer a
//  CALL or SUBMIT with TIMEOUT (a TELL gets nothing) and return true: it
//  must not be routed. Returns false otherwise.
bool
    zaf_broker_flights_expired (zaf_broker_flights_t *self, zaf_proto_t *request);

//  Answer a flight ok with result as the REPLY body (NULL: null) and end
//  it. Takes ownership of result.
void
    zaf_broker_flights_answer (zaf_broker_flights_t *self, zaf_broker_flight_t *flight, cJSON *result);

//  Forward request from caller to node for flight (may be NULL). Returns
//  0, or -1 after answering the caller; the flight has ended then.
int
    zaf_broker_flights_forward (zaf_broker_flights_t *self, zaf_proto_t *request,
                                zaf_broker_peer_t *caller, zaf_broker_peer_t *node, zaf_broker_flight_t *flight);

//  Number of flights, and of spare records kept for reuse.
size_t
    zaf_broker_flights_size (zaf_broker_flights_t *self);
size_t
    zaf_broker_flights_spares (zaf_broker_flights_t *self);

#endif
