/*  =========================================================================
    zaf_broker_keys - the broker's side of keys: who a peer is, what its key
    may do, and cutting the sessions of keys taken away

    Owns the zaf_auth object once the broker is given keys (KEYS); before
    that, and in a broker without keys, every check lets everything
    through, as the broker did before keys existed. Roles come from the
    key's certificate: only node keys say HELLO as nodes; admin keys STOP,
    REVOKE and kill any actor; driver keys kill only actors rooted in a
    peer with their key. A key revoked, or whose file is gone after a
    reload, has its sessions cut: requests in flight end UNAUTHORIZED, BYE,
    and the peer is doomed (the broker loop ends it).
    =========================================================================
*/

#ifndef ZAF_BROKER_KEYS_H_INCLUDED
#define ZAF_BROKER_KEYS_H_INCLUDED

#include "zaf_broker_actors.h"

typedef struct _zaf_broker_keys_t zaf_broker_keys_t;

//  Create the broker's key checks, borrowing the objects below; no keys yet.
zaf_broker_keys_t *
    zaf_broker_keys_new (zaf_broker_peers_t *peers, zaf_broker_flights_t *flights,
                         zaf_broker_actors_t *actors, zaf_broker_out_t *out,
                         zaf_broker_stats_t *stats);

void
    zaf_broker_keys_destroy (zaf_broker_keys_t **self_p);

//  Load the key directory (own: the broker's secret key file, or NULL for
//  DIR/broker.cert_secret), start the ZAP handler and make router a CURVE
//  server. Returns 0, or -1 with err filled.
int
    zaf_broker_keys_load (zaf_broker_keys_t *self, const char *dir, const char *own,
                          zsock_t *router, zaf_error_t *err);

//  The keys, or NULL in a broker without keys. Borrowed.
zaf_auth_t *
    zaf_broker_keys_auth (zaf_broker_keys_t *self);

//  The ZAP handler's socket to poll (NULL without keys), and answering
//  what waits on it.
zsock_t *
    zaf_broker_keys_zap (zaf_broker_keys_t *self);
void
    zaf_broker_keys_handle_zap (zaf_broker_keys_t *self);

//  The role of the key that sent msg: ZAF_AUTH_ADMIN without keys (no
//  checks), ZAF_AUTH_NONE for a key not (or no longer) allowed.
zaf_auth_role_t
    zaf_broker_keys_role (zaf_broker_keys_t *self, zaf_proto_t *msg);

//  True if msg came from peer's own key (always without keys).
bool
    zaf_broker_keys_same (zaf_broker_keys_t *self, zaf_broker_peer_t *peer, zaf_proto_t *msg);

//  May caller STOP the cluster? May it kill actor? (Without keys: yes.)
bool
    zaf_broker_keys_may_stop (zaf_broker_keys_t *self, zaf_broker_peer_t *caller);
bool
    zaf_broker_keys_may_kill (zaf_broker_keys_t *self, zaf_broker_peer_t *caller,
                              zaf_broker_actor_t *actor);

//  Read the key directory again and cut the sessions of keys no longer
//  allowed. Returns how many keys are allowed, or -1 (no keys, or the
//  directory cannot be read).
int
    zaf_broker_keys_reload (zaf_broker_keys_t *self);

//  Revoke a key (z85) and cut its sessions. Returns how many were cut, or
//  -1 (no keys, or not a key).
int
    zaf_broker_keys_revoke (zaf_broker_keys_t *self, const char *key);

//  REVOKE from peer: answered (ok with how many sessions were cut, or
//  UNAUTHORIZED, or BAD_ARGS), then the sessions are cut.
void
    zaf_broker_keys_handle_revoke (zaf_broker_keys_t *self, zaf_proto_t *msg,
                                   zaf_broker_peer_t *peer);

#endif
