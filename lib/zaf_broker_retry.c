/*  =========================================================================
    zaf_broker_retry - tasks sent again after a failure they asked to survive

    The retries left live in the flight (retries), the policy in the kept
    copy's options, read again only when a failure happens. For a call to
    an actor, retries counts those done and the policy is the actor's
    (retry_on, call_retries), read from its SPAWN options.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_broker_retry.h"

//  The retry_on bits of a SUBMIT's options
static int
s_policy (cJSON *options)
{
    int policy = 0;
    const cJSON *reasons = cJSON_GetObjectItemCaseSensitive (options, "retry_on");
    const cJSON *reason;
    cJSON_ArrayForEach (reason, reasons) {
        const char *word = cJSON_GetStringValue (reason);
        if (word && streq (word, "node_lost"))
            policy |= ZAF_BROKER_RETRY_NODE_LOST;
        else
        if (word && streq (word, "method_failed"))
            policy |= ZAF_BROKER_RETRY_METHOD_FAILED;
    }
    return policy;
}

int
zaf_broker_retry_demand (zaf_proto_t *request, zaf_demand_t **demand, char *message,
                         size_t message_size)
{
    assert (request && demand && message);
    *demand = NULL;
    size_t size;
    zaf_proto_options (request, &size);
    if (!size)
        return 0;
    if (size > ZAF_BROKER_CONTROL_MAX) {
        snprintf (message, message_size, "task options are %zu bytes; at most %d are accepted",
                  size, ZAF_BROKER_CONTROL_MAX);
        return -1;
    }
    cJSON *options = zaf_proto_options_json (request);
    char error [128] = "";
    *demand = zaf_demand_new (options, error, sizeof (error));
    cJSON_Delete (options);
    if (*error) {
        snprintf (message, message_size, "task options: %s", error);
        return -1;
    }
    return 0;
}

void
zaf_broker_retry_keep (zaf_broker_flight_t *flight, zaf_proto_t *request)
{
    assert (flight && request);
    size_t size;
    zaf_proto_options (request, &size);
    if (!size || size > ZAF_BROKER_CONTROL_MAX)
        return;
    cJSON *options = zaf_proto_options_json (request);
    int retries = zaf_json_int (options, "max_task_retries", 0);
    if (retries > 0 && retries <= ZAF_TASK_RETRIES_MAX && s_policy (options)) {
        flight->copy = zaf_proto_dup (request);
        flight->retries = retries;          //  Left, for a task
    }
    cJSON_Delete (options);
}

bool
zaf_broker_retry_task (zaf_broker_spawn_t *spawn, zaf_broker_flights_t *flights,
                       zaf_broker_flight_t *flight, int reason)
{
    assert (flight);
    if (flight->kind != FLIGHT_SUBMIT || !flight->copy || flight->retries <= 0)
        return false;
    cJSON *options = zaf_proto_options_json (flight->copy);
    bool allowed = (s_policy (options) & reason) != 0;
    cJSON_Delete (options);
    if (!allowed)
        return false;
    //  Placed again under the same constraints; what it held is free
    //  meanwhile, so a node it fitted on fits it again
    zaf_capacity_t *old = flight->node->capacity;
    if (flight->demand && old)
        zaf_capacity_release (old, flight->demand);
    zaf_code_t code;
    zaf_broker_peer_t *node = zaf_broker_spawn_place_task (spawn, zaf_proto_name (flight->copy),
                                                           flight->demand, &code, NULL, 0);
    if (!node || (node == flight->node && reason == ZAF_BROKER_RETRY_NODE_LOST)) {
        if (flight->demand && old)
            zaf_capacity_reserve (old, flight->demand);     //  Released when it ends
        return false;
    }
    if (flight->demand && node->capacity)
        zaf_capacity_reserve (node->capacity, flight->demand);
    //  The flight moves to its new node, with one retry fewer
    zaf_ring_remove (&flight->by_target);
    if (flight->node->tasks)
        flight->node->tasks--;
    zaf_ring_append (&node->work, &flight->by_target);
    node->tasks++;
    flight->node = node;
    flight->retries--;
    zsys_info ("zaf_broker: task %s sent again to node %s (%d retries left)",
               zaf_proto_name (flight->copy), node->name, flight->retries);
    zaf_proto_t *again = zaf_proto_dup (flight->copy);
    //  A forward that fails answers the caller and ends the flight
    zaf_broker_flights_forward (flights, again, flight->caller, node, flight);
    zaf_proto_destroy (&again);
    return true;
}

int
zaf_broker_retry_on (const cJSON *options, int max_call_retries)
{
    const cJSON *reasons = cJSON_GetObjectItemCaseSensitive (options, "retry_on");
    if (!reasons)
        return max_call_retries ? ZAF_BROKER_RETRY_NODE_LOST : 0;
    if (!cJSON_IsArray (reasons))
        return -1;
    int policy = 0;
    const cJSON *reason;
    cJSON_ArrayForEach (reason, reasons) {
        const char *word = cJSON_GetStringValue (reason);
        if (word && streq (word, "node_lost"))
            policy |= ZAF_BROKER_RETRY_NODE_LOST;
        else
        if (word && streq (word, "method_failed"))
            policy |= ZAF_BROKER_RETRY_METHOD_FAILED;
        else
            return -1;
    }
    return policy;
}

bool
zaf_broker_retry_call (zaf_broker_actors_t *actors, zaf_broker_out_t *out,
                       zaf_broker_flights_t *flights, zaf_broker_flight_t *flight,
                       zaf_proto_t *answer)
{
    assert (flight && answer);
    zaf_broker_actor_t *actor = flight->actor;
    if (flight->kind != FLIGHT_CALL || !flight->copy || !actor
    || !(actor->retry_on & ZAF_BROKER_RETRY_METHOD_FAILED)
    || (actor->call_retries >= 0 && flight->retries >= actor->call_retries)
    ||  zaf_deadline_passed (flight->copy))
        return false;
    size_t size;
    const char *body = zaf_proto_body (answer, &size);
    zaf_error_t err;
    zaf_error_parse (body, size, &err);
    if (err.code != ZAF_METHOD_FAILED)
        return false;           //  Never CANCELLED, TIMEOUT, BAD_ARGS...
    flight->retries++;
    zaf_proto_t *again = zaf_proto_dup (flight->copy);
    if (actor->restarting)
        zaf_broker_actors_hold (actors, actor, again, NULL);
    else
    if (zaf_broker_out_push (out, again, actor->node) == -1)
        zaf_broker_flights_fail (flights, flight, ZAF_OVERLOADED,
                                 "the actor's node cannot take the call again");
    zaf_proto_destroy (&again);
    return true;
}

bool
zaf_broker_retry_failed (zaf_broker_spawn_t *spawn, zaf_broker_flights_t *flights,
                         zaf_broker_flight_t *flight, zaf_proto_t *answer)
{
    size_t size;
    const char *body = zaf_proto_body (answer, &size);
    zaf_error_t err;
    zaf_error_parse (body, size, &err);
    return err.code == ZAF_METHOD_FAILED
        && zaf_broker_retry_task (spawn, flights, flight, ZAF_BROKER_RETRY_METHOD_FAILED);
}
