/*  =========================================================================
    zaf_broker_drain - nodes taken out of service

    The draining mark is a flag on the node's peer record; nothing else is
    kept. Moving an actor is a restart the broker starts itself: the old
    incarnation is killed on its node first, so that only the new one
    ever answers.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_broker_drain.h"

void
zaf_broker_drain_handle (zaf_broker_peers_t *peers, zaf_broker_out_t *out, zaf_proto_t *msg)
{
    size_t size;
    zaf_proto_body (msg, &size);
    cJSON *request = size <= ZAF_BROKER_CONTROL_MAX ? zaf_proto_body_json (msg) : NULL;
    const char *name = zaf_json_string (request, "node", "");
    int drain_ms = zaf_json_int (request, "drain_ms", 30000);
    zaf_broker_peer_t *node = *name ? zaf_broker_peers_node_named (peers, name, NULL) : NULL;
    if (!cJSON_IsObject (request) || drain_ms < 0 || drain_ms > ZAF_PROTO_TIMEOUT_MAX)
        zaf_broker_out_refuse (out, msg, ZAF_BAD_ARGS, "DRAIN takes {\"node\": name, \"drain_ms\": 0 to 86400000}");
    else
    if (!node)
        zaf_broker_out_refuse (out, msg, ZAF_NO_SUCH_NODE, "no live node is named %s", name);
    else {
        if (!node->draining)
            zsys_info ("zaf_broker: draining node name=%s actors=%zu drain_ms=%d", node->name,
                       node->actors, drain_ms);
        node->draining = true;
        zaf_proto_t *notice = zaf_broker_out_start (out, ZAF_PROTO_DRAIN);
        zaf_proto_set_corr (notice, "drain", 5);
        char text [64];
        snprintf (text, sizeof (text), "{\"drain_ms\":%d}", drain_ms);
        zaf_proto_set_body (notice, text, strlen (text));
        zaf_broker_out_send (out, node->key.data, node->key.size);
        cJSON *result = cJSON_CreateObject ();
        cJSON_AddStringToObject (result, "node", node->name);
        cJSON_AddNumberToObject (result, "actors", (double) node->actors);
        zaf_broker_out_answer_ok (out, msg, result);
    }
    cJSON_Delete (request);
}

//  Move one idle restartable actor off its draining node
static void
s_move (zaf_broker_spawn_t *spawn, zaf_broker_out_t *out, zaf_broker_actor_t *actor)
{
    zaf_proto_t *kill = zaf_broker_out_start (out, ZAF_PROTO_KILL);
    zaf_proto_set_actor (kill, actor->id);
    zaf_proto_set_body (kill, "{\"reason\":\"drained\"}", 19);
    zaf_broker_out_send (out, actor->node->key.data, actor->node->key.size);
    if (actor->restarts_left > 0)
        actor->restarts_left++;     //  A move is not a failure
    actor->moving = false;          //  Restarting holds its requests now
    zaf_broker_spawn_fail (spawn, actor, ZAF_ACTOR_DIED, "drained");
}

//  Calls sent to the actor's node and not answered yet: its pending
//  requests less those held here
static size_t
s_in_flight (zaf_broker_actor_t *actor)
{
    size_t held = 0;
    if (actor->held)
        for (zaf_proto_t *request = (zaf_proto_t *) zlistx_first (actor->held); request;
             request = (zaf_proto_t *) zlistx_next (actor->held))
            held += zaf_proto_id (request) == ZAF_PROTO_CALL;
    return actor->pending > held ? actor->pending - held : 0;
}

//  A restartable actor on a draining node: once it has somewhere to go,
//  new requests wait here while those in flight end, then it moves (so an
//  actor that is never idle under load moves too)
static void
s_drain_actor (zaf_broker_spawn_t *spawn, zaf_broker_out_t *out, zaf_broker_actor_t *actor)
{
    if (!actor->moving) {
        zaf_code_t code;
        if (!zaf_broker_spawn_place (spawn, actor->class_name, NULL, &code))
            return;             //  Nowhere to go: it stays until its node ends
        actor->moving = true;
    }
    if (s_in_flight (actor) == 0)
        s_move (spawn, out, actor);
}

void
zaf_broker_drain_tick (zaf_broker_peers_t *peers, zaf_broker_actors_t *actors,
                       zaf_broker_spawn_t *spawn, zaf_broker_out_t *out)
{
    zlistx_t *nodes = zaf_broker_peers_list (peers);
    for (zaf_broker_peer_t *node = (zaf_broker_peer_t *) zlistx_first (nodes); node;
         node = (zaf_broker_peer_t *) zlistx_next (nodes)) {
        if (node->role != ROLE_NODE || !node->draining || node->doomed)
            continue;
        zlistx_t *ids = zaf_broker_actors_on_node (actors, node);
        for (const char *id = (const char *) zlistx_first (ids); id;
             id = (const char *) zlistx_next (ids)) {
            zaf_broker_actor_t *actor = zaf_broker_actors_lookup (actors, id);
            if (actor && actor->node == node && actor->spawn && actor->ready
            &&  !actor->restarting && actor->restarts_left != 0)
                s_drain_actor (spawn, out, actor);
        }
        zlistx_destroy (&ids);
    }
    zlistx_destroy (&nodes);
}
