/*  =========================================================================
    zaf_broker_rejoin - peers that come back after the broker was paused

    A broker that was not running for a while (SIGSTOP, a long pause, a VM
    migration) notices it by its own clock: its tick is due more than one
    heartbeat interval ago. It then kills nothing for the silence: every
    peer gets a fresh grace period (ZAF_HEARTBEAT_MISSES intervals), and a
    peer whose connection closed meanwhile is kept until the grace ends.
    Peers that lost the broker dial again with the same session: a node
    that is the same process (same name, host and pid) takes over its old
    record, with its actors and the calls they owe, so the same handles
    answer again; a driver claims the actors it owns back from its old
    record. See docs/PROTOCOL.md section 8.
    =========================================================================
*/

#ifndef ZAF_BROKER_REJOIN_H_INCLUDED
#define ZAF_BROKER_REJOIN_H_INCLUDED

#include "zaf_broker_actors.h"

//  True if hello (a node's HELLO body, for our session) comes from the
//  same process as the live node record `known` (name, host and pid).
bool
    zaf_broker_rejoin_same_node (const zaf_broker_peer_t *known, const cJSON *hello);

//  Move every actor living on `old` to `fresh`, and the calls and spawns
//  in flight to them with it (their answers now come from fresh). Tasks
//  stay with old (the node dropped the ones it had queued): losing old
//  fails them. Returns how many actors moved.
size_t
    zaf_broker_rejoin_node (zaf_broker_actors_t *actors, zaf_broker_peer_t *old,
                            zaf_broker_peer_t *fresh);

//  A driver that dialed again claims its actors (ids, from its HELLO
//  "owns") from the record it had: each listed actor owned by a peer
//  (not by a parent actor) other than `peer` becomes peer's. Returns how
//  many it claimed.
size_t
    zaf_broker_rejoin_claim (zaf_broker_actors_t *actors, zaf_broker_peer_t *peer,
                             const cJSON *ids);

#endif
