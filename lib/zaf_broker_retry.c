/*  =========================================================================
    zaf_broker_retry - tasks sent again after a failure they asked to survive

    The retries left live in the flight (retries), the policy in the kept
    copy's options, read again only when a failure happens.
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
