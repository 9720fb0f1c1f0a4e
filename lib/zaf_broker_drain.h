/*  =========================================================================
    zaf_broker_drain - nodes taken out of service

    DRAIN {"node": name, "drain_ms": N} from a client: the node is marked
    draining (placement passes it over), told DRAIN, and the requester
    answered {"node", "actors"}. Every tick, each restartable actor on a
    draining node that has no request in flight is moved: its node is told
    KILL {"reason": "drained"} and the broker restarts it elsewhere (same
    id, calls held meanwhile), without counting a restart. Other actors
    stay until their node, done or out of time, ends them and exits.
    =========================================================================
*/

#ifndef ZAF_BROKER_DRAIN_H_INCLUDED
#define ZAF_BROKER_DRAIN_H_INCLUDED

#include "zaf_broker_spawn.h"

//  Handle a DRAIN request (msg, from a client).
void
    zaf_broker_drain_handle (zaf_broker_peers_t *peers, zaf_broker_out_t *out, zaf_proto_t *msg);

//  Move the idle restartable actors off draining nodes.
void
    zaf_broker_drain_tick (zaf_broker_peers_t *peers, zaf_broker_actors_t *actors,
                           zaf_broker_spawn_t *spawn, zaf_broker_out_t *out);

#endif
