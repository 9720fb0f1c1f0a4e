/*  =========================================================================
    zaf_node_relay - how a node addresses what its parties ask the broker

    Pure functions, no state: they change one message's corr, routing id
    and caller. Invariant: a corr that went out with a prefix comes back
    with the same prefix (the broker echoes corr), and the prefix is always
    a routing id with its top bit set, so an answer without one is not
    ours.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_node_relay.h"

//  --------------------------------------------------------------------------
//  Prefix a request's corr with the party's routing id

int
zaf_node_relay_prefix (zaf_proto_t *msg, const byte *routing_id)
{
    assert (msg && routing_id);
    size_t corr_size;
    const byte *corr = (const byte *) zaf_proto_corr (msg, &corr_size);
    if (corr_size + ZAF_INNER_ID_SIZE > ZAF_PROTO_ID_MAX)
        return -1;
    if (corr_size) {
        byte prefixed [ZAF_PROTO_ID_MAX];
        memcpy (prefixed, routing_id, ZAF_INNER_ID_SIZE);
        memcpy (prefixed + ZAF_INNER_ID_SIZE, corr, corr_size);
        zaf_proto_set_corr (msg, prefixed, corr_size + ZAF_INNER_ID_SIZE);
    }
    zaf_proto_set_caller (msg, NULL, 0);
    return 0;
}

//  --------------------------------------------------------------------------
//  Take the prefix off again

void
zaf_node_relay_unprefix (zaf_proto_t *msg)
{
    assert (msg);
    size_t size;
    const byte *prefixed = (const byte *) zaf_proto_corr (msg, &size);
    if (size < ZAF_INNER_ID_SIZE)
        return;
    byte original [ZAF_PROTO_ID_MAX];
    memcpy (original, prefixed + ZAF_INNER_ID_SIZE, size - ZAF_INNER_ID_SIZE);
    zaf_proto_set_corr (msg, original, size - ZAF_INNER_ID_SIZE);
}

//  --------------------------------------------------------------------------
//  Address an answer to the party named by its corr's prefix

uint32_t
zaf_node_relay_route (zaf_proto_t *msg)
{
    assert (msg);
    size_t corr_size;
    const byte *corr = (const byte *) zaf_proto_corr (msg, &corr_size);
    uint32_t inner_id = corr_size > ZAF_INNER_ID_SIZE
                      ? zaf_inner_decode_id (corr, ZAF_INNER_ID_SIZE) : 0;
    if (inner_id) {
        zaf_proto_set_routing_id (msg, corr, ZAF_INNER_ID_SIZE);
        zaf_proto_set_corr (msg, corr + ZAF_INNER_ID_SIZE, corr_size - ZAF_INNER_ID_SIZE);
    }
    return inner_id;
}

//  --------------------------------------------------------------------------
//  The error answer to a party's request

void
zaf_node_relay_refuse (zaf_proto_t *msg, zaf_code_t code, const char *message)
{
    assert (msg && message);
    zaf_proto_id_t answer = zaf_proto_id (msg) == ZAF_PROTO_SPAWN
                          ? ZAF_PROTO_SPAWNED : ZAF_PROTO_REPLY;
    zaf_proto_set_id (msg, answer);
    zaf_proto_set_error (msg, code, "%s", message);
}
