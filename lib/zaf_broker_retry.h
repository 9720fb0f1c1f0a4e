/*  =========================================================================
    zaf_broker_retry - tasks sent again after a failure they asked to survive

    A SUBMIT whose envelope options say {"max_task_retries": N, "retry_on":
    ["node_lost", "method_failed"]} is kept (a copy in its flight). When
    its node is lost, or it answers METHOD_FAILED, and the reason is in
    retry_on and retries are left, the broker places it again (on any
    live node serving the function; never the lost one) and sends it
    there instead of answering. A retried task may run more than once
    (at-least-once). A cancelled task's flight is gone: it is never
    retried.

    Actors: a SPAWN's options may say {"max_call_retries": N, "retry_on":
    [...]}. node_lost: calls in flight when the actor fails (its node is
    lost, its process crashes) are sent to its next incarnation (spawn
    does that, in s_requeue); without retry_on it is the default whenever
    max_call_retries is set. method_failed: a call answered METHOD_FAILED
    is sent to the actor again. Both draw on the same N per call, and
    never past the call's deadline.
    =========================================================================
*/

#ifndef ZAF_BROKER_RETRY_H_INCLUDED
#define ZAF_BROKER_RETRY_H_INCLUDED

#include "zaf_broker_spawn.h"

#define ZAF_BROKER_RETRY_NODE_LOST      1
#define ZAF_BROKER_RETRY_METHOD_FAILED  2

//  The placement a SUBMIT's envelope options ask for (resources, labels,
//  affinity, strategy, as a SPAWN's options): *demand is NULL if they ask
//  for none (or there are no options). Returns 0, or -1 with why they are
//  malformed in message.
int
    zaf_broker_retry_demand (zaf_proto_t *request, zaf_demand_t **demand, char *message,
                             size_t message_size);

//  Keep a copy of a SUBMIT in its flight if its options ask for retries.
//  Call before the request is forwarded (forwarding moves its body).
void
    zaf_broker_retry_keep (zaf_broker_flight_t *flight, zaf_proto_t *request);

//  The task's node failed for `reason` (a ZAF_BROKER_RETRY_ bit): if the
//  task may be retried, place it again, move its flight there and send it.
//  Returns true if it was sent again (then the caller must not end the
//  flight), false if the caller should fail it as usual.
bool
    zaf_broker_retry_task (zaf_broker_spawn_t *spawn, zaf_broker_flights_t *flights,
                           zaf_broker_flight_t *flight, int reason);

//  A task's node answered it with an error (the REPLY in answer): if it is
//  METHOD_FAILED and the task may be retried on that, send it again
//  (maybe to the same node) and return true; else false.
bool
    zaf_broker_retry_failed (zaf_broker_spawn_t *spawn, zaf_broker_flights_t *flights,
                             zaf_broker_flight_t *flight, zaf_proto_t *answer);

//  The retry_on of SPAWN options as ZAF_BROKER_RETRY_ bits. Without
//  retry_on: node_lost if max_call_retries is not 0 (what it always did),
//  else nothing. Returns -1 if retry_on is not a list of "node_lost" and
//  "method_failed".
int
    zaf_broker_retry_on (const cJSON *options, int max_call_retries);

//  A call's actor answered it with an error (the REPLY in answer): if it is
//  METHOD_FAILED, the actor retries on method_failed, the call has retries
//  left and its deadline has not passed, send it to the actor again and
//  return true; else false (the caller answers as usual).
bool
    zaf_broker_retry_call (zaf_broker_actors_t *actors, zaf_broker_out_t *out,
                           zaf_broker_flights_t *flights, zaf_broker_flight_t *flight,
                           zaf_proto_t *answer);

#endif
