/*  =========================================================================
    zaf_broker_spawn - where actors and tasks go, and how they (re)start

    Placement (zaf_broker_place): an actor goes to the eligible live node
    (one that serves its class, has the asked-for name if the spawn pins
    one, and the labels and free resources it asks for) with the fewest
    actors, ties going round-robin (or the most, with strategy "pack"); a task goes to the node that
    serves its function with the fewest tasks per worker. SPAWN handling
    checks the options, makes the actor record and forwards the SPAWN;
    SPAWNED from the node completes it. Restarts are spawns too: an actor
    spawned with max_restarts that fails is placed again and the kept
    SPAWN is sent again under the same id, while its requests wait.
    =========================================================================
*/

#ifndef ZAF_BROKER_SPAWN_H_INCLUDED
#define ZAF_BROKER_SPAWN_H_INCLUDED

#include "zaf_broker_actors.h"

typedef struct _zaf_broker_spawn_t zaf_broker_spawn_t;

//  Create the spawner. Borrows the tables below it and stats.
zaf_broker_spawn_t *
    zaf_broker_spawn_new (zaf_broker_peers_t *peers, zaf_broker_flights_t *flights,
                          zaf_broker_actors_t *actors, zaf_broker_out_t *out,
                          zaf_broker_stats_t *stats);

//  Destroy the spawner.
void
    zaf_broker_spawn_destroy (zaf_broker_spawn_t **self_p);

//  The node an actor of class_name goes to: among live nodes serving the
//  class (and named node_name, if not NULL), the one with the fewest
//  actors; ties go round-robin over successive calls. Returns the node
//  (borrowed), or NULL with *code set: ZAF_NO_SUCH_NODE if no live node
//  has that name, else ZAF_NO_SUCH_CLASS.
zaf_broker_peer_t *
    zaf_broker_spawn_place (zaf_broker_spawn_t *self, const char *class_name,
                            const char *node_name, zaf_code_t *code);

//  The node a task of function goes to: without demand, the one serving it
//  with the fewest tasks per worker; with one, as zaf_broker_place_task
//  places it. Returns the node (borrowed), or NULL with *code and message
//  (may be NULL) saying why.
zaf_broker_peer_t *
    zaf_broker_spawn_place_task (zaf_broker_spawn_t *self, const char *function,
                                 const zaf_demand_t *demand, zaf_code_t *code,
                                 char *message, size_t message_size);

//  SPAWN from caller: make the actor and send the SPAWN to its node, or
//  refuse it.
void
    zaf_broker_spawn_handle (zaf_broker_spawn_t *self, zaf_proto_t *request, zaf_broker_peer_t *caller);

//  SPAWNED from node: answer the spawner, or complete a restart.
void
    zaf_broker_spawn_handle_spawned (zaf_broker_spawn_t *self, zaf_proto_t *answer, zaf_broker_peer_t *node);

//  An actor has failed (crashed, ended with "failed", node lost): restart
//  it if it may be, else it ends with code and reason.
void
    zaf_broker_spawn_fail (zaf_broker_spawn_t *self, zaf_broker_actor_t *actor, zaf_code_t code,
                           const char *reason);

#endif
