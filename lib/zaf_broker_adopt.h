/*  =========================================================================
    zaf_broker_adopt - taking actors back after a broker restart

    A broker that restarts starts a new session with empty tables, while
    its nodes keep running their actors. Each node, saying HELLO with the
    old session id, lists the actors it still runs; they are adopted with
    their ids, names and what it takes to restart them. Their owners come
    back as they reconnect: a parent actor is among the adopted ones; a
    driver claims its actors in its own HELLO, before or after their node
    comes back. An adopted actor whose owner does not claim it in time
    ends (owner_died), like any actor whose owner is gone.
    =========================================================================
*/

#ifndef ZAF_BROKER_ADOPT_H_INCLUDED
#define ZAF_BROKER_ADOPT_H_INCLUDED

#include "zaf_broker_actors.h"

typedef struct _zaf_broker_adopt_t zaf_broker_adopt_t;

//  Create the adoption bookkeeping. Borrows the peer and actor tables and
//  the send path (for warnings), which must outlive it.
zaf_broker_adopt_t *
    zaf_broker_adopt_new (zaf_broker_peers_t *peers, zaf_broker_actors_t *actors,
                          zaf_broker_out_t *out);

//  Destroy it.
void
    zaf_broker_adopt_destroy (zaf_broker_adopt_t **self_p);

//  Take on the actors a node lists in its HELLO (entries: array of {id,
//  class, name, parent, detached, options, args}). Parents are linked;
//  actors whose parent did not come back end; actors owned by a driver
//  wait for its claim until claim_by (mono ms), unless it claimed them
//  already. Returns how many were adopted.
size_t
    zaf_broker_adopt_node (zaf_broker_adopt_t *self, zaf_broker_peer_t *node, const cJSON *entries,
                           int64_t claim_by);

//  A driver claims the actors it owns (ids: array of strings). Returns how
//  many it took over now; ids whose node is not back yet are kept in the
//  peer's claims (at most max_claims) for when it comes.
size_t
    zaf_broker_adopt_claim (zaf_broker_adopt_t *self, zaf_broker_peer_t *peer, const cJSON *ids,
                            size_t max_claims);

//  Number of adopted actors waiting for their claim (may count actors that
//  ended meanwhile, until the next zaf_broker_adopt_expire).
size_t
    zaf_broker_adopt_waiting (zaf_broker_adopt_t *self);

//  End the adopted actors whose claim did not come in time.
void
    zaf_broker_adopt_expire (zaf_broker_adopt_t *self);

#endif
