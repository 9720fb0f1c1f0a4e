/*  =========================================================================
    zaf_node_relay - how a node addresses what its parties ask the broker

    A party (actor or worker) sends its requests (CALL, SPAWN, KILL, ...)
    to the node, which relays them to the broker with the party's 4-byte
    routing id put in front of the request's corr. The broker echoes the
    corr in its answer, so the answer finds its way back to that party by
    the prefix alone: the node keeps no table of requests in flight. These
    are pure functions on one message, for the node's thread.
    =========================================================================
*/

#ifndef ZAF_NODE_RELAY_H_INCLUDED
#define ZAF_NODE_RELAY_H_INCLUDED

//  Make a party's request ready for the broker: prefix its corr (if any)
//  with routing_id (ZAF_INNER_ID_SIZE bytes) and clear its caller. Returns
//  0, or -1 if the prefixed corr would be longer than ZAF_PROTO_ID_MAX
//  (then msg is unchanged).
int
    zaf_node_relay_prefix (zaf_proto_t *msg, const byte *routing_id);

//  Take the prefix off a corr that zaf_node_relay_prefix put it on (to
//  answer the party itself after all).
void
    zaf_node_relay_unprefix (zaf_proto_t *msg);

//  Address an answer from the broker to its party: the routing id is the
//  corr's prefix, and the corr loses it. Returns the party's inner id, or
//  0 if the corr carries no inner id (then msg is unchanged).
uint32_t
    zaf_node_relay_route (zaf_proto_t *msg);

//  Turn a party's request into the error answer to it: SPAWNED for a
//  SPAWN, REPLY for anything else, with code and message.
void
    zaf_node_relay_refuse (zaf_proto_t *msg, zaf_code_t code, const char *message);

#endif
