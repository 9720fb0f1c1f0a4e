/*  =========================================================================
    zaf_broker_place - which node an actor or a task goes to

    Runs in the broker thread. Among the live nodes that serve the class,
    have the name the spawn pins (node, or a hard affinity), carry every
    label it asks for and have its resources free: with a soft affinity,
    the named node if it fits; else by strategy, "spread" (the default:
    fewest actors, ties taking turns from a start that moves each call) or
    "pack" (most actors, ties to the first in the table). When no node
    fits, the code says why and the message names the nearest shortfall.
    A task (SUBMIT with placement) is placed the same way among the nodes
    serving its function, counting tasks per worker instead of actors.
    =========================================================================
*/

#ifndef ZAF_BROKER_PLACE_H_INCLUDED
#define ZAF_BROKER_PLACE_H_INCLUDED

#include "zaf_broker_peers.h"

//  The node for an actor of class_name, pinned to `pin` (NULL: any), with
//  demand (NULL: none); rotate moves the start for spread's ties. Returns
//  the node (borrowed), or NULL with *code (NO_SUCH_NODE, NO_SUCH_CLASS or
//  NO_RESOURCES) and a message (message may be NULL).
zaf_broker_peer_t *
    zaf_broker_place (zaf_broker_peers_t *peers, size_t rotate, const char *class_name,
                      const char *pin, const zaf_demand_t *demand, zaf_code_t *code,
                      char *message, size_t message_size);

//  Same for a task of function (SUBMIT with placement in its envelope
//  options): among the nodes serving it, by tasks per worker (spread: the
//  fewest; pack: the most). NO_SUCH_FUNCTION where an actor's is
//  NO_SUCH_CLASS.
zaf_broker_peer_t *
    zaf_broker_place_task (zaf_broker_peers_t *peers, size_t rotate, const char *function,
                           const zaf_demand_t *demand, zaf_code_t *code, char *message,
                           size_t message_size);

#endif
