/*  =========================================================================
    zaf_broker_rejoin - peers that come back after the broker was paused

    Moves records from a peer's old connection to its new one. The broker
    (zaf_broker.c) decides when: a node's HELLO for our own session from a
    process we still list, or a driver's HELLO in the grace period after a
    pause.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_broker_rejoin.h"

bool
zaf_broker_rejoin_same_node (const zaf_broker_peer_t *known, const cJSON *hello)
{
    assert (known);
    return known->role == ROLE_NODE
        && streq (known->name, zaf_json_string (hello, "name", ""))
        && streq (known->host, zaf_json_string (hello, "host", ""))
        && known->pid == zaf_json_int (hello, "pid", -1);
}

size_t
zaf_broker_rejoin_node (zaf_broker_actors_t *actors, zaf_broker_peer_t *old,
                        zaf_broker_peer_t *fresh)
{
    assert (actors && old && fresh);
    size_t moved = 0;
    zlistx_t *ids = zaf_broker_actors_on_node (actors, old);
    for (const char *id = (const char *) zlistx_first (ids); id;
         id = (const char *) zlistx_next (ids)) {
        zaf_broker_actor_t *actor = zaf_broker_actors_lookup (actors, id);
        if (!actor)
            continue;
        zaf_broker_actors_move (actor, fresh);
        for (zaf_ring_t *link = actor->flights.next; link != &actor->flights; link = link->next) {
            zaf_broker_flight_t *flight = ZAF_RING_ENTRY (link, zaf_broker_flight_t, by_target);
            if (flight->node == old)
                flight->node = fresh;
        }
        moved++;
    }
    zlistx_destroy (&ids);
    return moved;
}

size_t
zaf_broker_rejoin_claim (zaf_broker_actors_t *actors, zaf_broker_peer_t *peer,
                         const cJSON *ids)
{
    assert (actors && peer);
    size_t claimed = 0;
    const cJSON *item;
    cJSON_ArrayForEach (item, ids) {
        const char *id = cJSON_GetStringValue (item);
        if (!id || !*id || strlen (id) > ZAF_PROTO_ACTOR_MAX)
            continue;
        zaf_broker_actor_t *actor = zaf_broker_actors_lookup (actors, id);
        if (actor && !actor->parent && actor->owner && actor->owner != peer
        &&  actor->owner->role != ROLE_NODE) {
            zaf_broker_actors_own (actor, NULL, peer);
            claimed++;
        }
    }
    return claimed;
}
