/*  =========================================================================
    zaf_broker_actors - the broker's actor records and how actors end

    The actor table: id -> zaf_broker_actor_t (where it lives, its name, what waits on
    it), the name registry, and a bounded memory of dead ids (tombstones)
    so that late requests hear ACTOR_DIED rather than NO_SUCH_ACTOR. One
    constructor and one destructor for actor records (add/remove), used by
    SPAWN and by adoption alike. Lifetimes live here: ownership trees (an
    actor dies with its owner actor or owner peer unless detached),
    monitors and watchers, and holding requests for a restarting actor.
    When to restart an actor and where is zaf_broker_spawn's business;
    taking actors back after a broker restart is zaf_broker_adopt's. Both
    use the fields below.
    =========================================================================
*/

#ifndef ZAF_BROKER_ACTORS_H_INCLUDED
#define ZAF_BROKER_ACTORS_H_INCLUDED

#include "zaf_broker_flights.h"

//  One actor. Created and freed only by the table; fields are read by the
//  layers above (spawn sets the restart fields).
typedef struct _zaf_broker_actor_t {
    char id [ZAF_PROTO_ACTOR_MAX + 1];
    char *class_name;
    char *name;                 //  Registered name, or NULL
    zaf_broker_peer_t *node;               //  Where it lives
    bool ready;                 //  SPAWNED ok seen
    size_t pending;             //  Flights to it
    zaf_ring_t flights;             //  Flights it must answer
    zaf_ring_t monitors;            //  MONITOR flights, answered when it ends
    //  Ownership: an actor dies with its owner unless detached. The owner is
    //  the actor that spawned it (parent), else the peer that did.
    bool detached;
    struct _zaf_broker_actor_t *parent;    //  Owner actor, or NULL
    zaf_broker_peer_t *owner;              //  Owner peer when there is no parent
    zaf_ring_t children;            //  Actors it owns
    zaf_ring_t sibling;             //  In parent->children or owner->owned
    //  Restarts: after a failure (crash, node lost) the broker spawns the
    //  same id again from what it kept, and holds requests meanwhile
    int restarts_left;          //  max_restarts still to use (-1: no limit)
    int restarts;               //  Incarnations after the first
    int call_retries;           //  max_call_retries (-1: no limit)
    int retry_on;               //  ZAF_BROKER_RETRY_ bits (zaf_broker_retry)
    char *pin;                  //  Node the spawn asked for, or NULL
    zaf_demand_t *demand;       //  Resources reserved on node, labels,
                                //  affinity, strategy (zaf_resources), or NULL
    zaf_proto_t *spawn;         //  The SPAWN to send again (restartable only)
    bool restarting;            //  That SPAWN is out; requests are held
    bool moving;                //  Its node drains: new requests are held
                                //  until those in flight end, then it moves
    zlistx_t *held;             //  Requests for the next incarnation, in order
    zlistx_t *watchers;         //  Actors told by a TELL when it ends
                                //  ("<watcher id> <method>" strings)
} zaf_broker_actor_t;

typedef struct _zaf_broker_actors_t zaf_broker_actors_t;

//  Create an empty actor table. Fresh actor ids are random and tagged
//  (zaf_broker_ids). Borrows peers, flights, out and stats.
zaf_broker_actors_t *
    zaf_broker_actors_new (zaf_broker_peers_t *peers, zaf_broker_flights_t *flights,
                           zaf_broker_out_t *out, zaf_broker_stats_t *stats);

//  Tag actor ids under this secret (ZAF_BROKER_SECRET_SIZE bytes) from now
//  on, instead of one drawn at random: a broker restarted with the same
//  secret adopts only ids it issued.
void
    zaf_broker_actors_set_id_secret (zaf_broker_actors_t *self, const byte *secret);

//  True if a node may bring this actor id back after a broker restart: an
//  id of ours (when the secret was set; of the right form otherwise) that
//  is neither live nor remembered dead.
bool
    zaf_broker_actors_adoptable (zaf_broker_actors_t *self, const char *id);

//  Destroy the table and every actor record in it (without ending them:
//  the broker is ending). Flights must be destroyed first.
void
    zaf_broker_actors_destroy (zaf_broker_actors_t **self_p);

//  Log every actor's end (default off).
void
    zaf_broker_actors_set_verbose (zaf_broker_actors_t *self, bool verbose);

//  Bound on requests waiting for one actor (calls in flight, held requests,
//  watchers; also the claims one driver may leave). Default ZAF_BROKER_MAX_PENDING.
void
    zaf_broker_actors_set_max_pending (zaf_broker_actors_t *self, size_t max_pending);
size_t
    zaf_broker_actors_max_pending (zaf_broker_actors_t *self);

//  Add an actor record of class_name living on node, with this id, or a
//  fresh one if id is NULL; counts it in node->actors. Returns the record
//  (the table owns it), or NULL if the id is live: an id is never taken
//  from the actor that holds it.
zaf_broker_actor_t *
    zaf_broker_actors_add (zaf_broker_actors_t *self, const char *id, const char *class_name,
                           zaf_broker_peer_t *node);

//  Remove an actor record and free it: forgets its name and id, uncounts
//  it on its node, unlinks it from its owner. Nothing may wait on it (see
//  zaf_broker_actors_end). Nulls the caller's pointer.
void
    zaf_broker_actors_remove (zaf_broker_actors_t *self, zaf_broker_actor_t **actor_p);

//  The actor with this id, or NULL. Borrowed.
zaf_broker_actor_t *
    zaf_broker_actors_lookup (zaf_broker_actors_t *self, const char *id);

//  The actor holding this name, or NULL. Borrowed.
zaf_broker_actor_t *
    zaf_broker_actors_named (zaf_broker_actors_t *self, const char *name);

//  Why the actor with this id ended, if it is remembered as dead, or NULL.
//  Borrowed; valid until the next actor ends.
const char *
    zaf_broker_actors_tombstone (zaf_broker_actors_t *self, const char *id);

//  Register name for actor. Returns 0, or -1 if another actor holds it.
int
    zaf_broker_actors_set_name (zaf_broker_actors_t *self, zaf_broker_actor_t *actor, const char *name);

//  Make actor owned by parent (an actor), else by owner (a peer).
void
    zaf_broker_actors_own (zaf_broker_actor_t *actor, zaf_broker_actor_t *parent, zaf_broker_peer_t *owner);

//  The actor now lives on node (a restart placed it there).
void
    zaf_broker_actors_move (zaf_broker_actor_t *actor, zaf_broker_peer_t *node);

//  Start a flight of caller's request to actor (see
//  zaf_broker_flights_start): MONITOR flights wait in its monitors, the
//  others in its flights and count as pending. NULL if refused.
zaf_broker_flight_t *
    zaf_broker_actors_flight (zaf_broker_actors_t *self, zaf_proto_t *request, zaf_broker_peer_t *caller,
                              zaf_broker_flight_kind_t kind, zaf_broker_actor_t *actor);

//  Iterate over the actors (the table must not change meanwhile). Borrowed.
zaf_broker_actor_t *
    zaf_broker_actors_first (zaf_broker_actors_t *self);
zaf_broker_actor_t *
    zaf_broker_actors_next (zaf_broker_actors_t *self);

//  Number of actors.
size_t
    zaf_broker_actors_size (zaf_broker_actors_t *self);

//  The ids of the actors living on node, as a list of strings the caller
//  destroys (ending one actor may end others: look each up again).
zlistx_t *
    zaf_broker_actors_on_node (zaf_broker_actors_t *self, zaf_broker_peer_t *node);

//  An actor has ended: fail what waits on it with code, tell its monitors
//  and watchers why (reason), end what it owns (owner_died), remember its
//  id as dead if it ever ran, and remove it.
void
    zaf_broker_actors_end (zaf_broker_actors_t *self, zaf_broker_actor_t *actor, zaf_code_t code,
                           const char *reason);

//  A function told of each actor that ends, before its record goes (for
//  the dashboard's memory of the dead).
typedef void (zaf_broker_actors_end_fn) (void *arg, zaf_broker_actor_t *actor, const char *reason);
void
    zaf_broker_actors_set_on_end (zaf_broker_actors_t *self, zaf_broker_actors_end_fn *on_end,
                                  void *arg);

//  End an actor the broker decides to end (its owner is gone): tell its
//  node to kill it, and end it here at once.
void
    zaf_broker_actors_kill (zaf_broker_actors_t *self, zaf_broker_actor_t *actor, const char *reason);

//  End every actor that actor owns (owner_died).
void
    zaf_broker_actors_kill_children (zaf_broker_actors_t *self, zaf_broker_actor_t *actor);

//  Hold a copy of request (caller frame set) for actor's next incarnation;
//  a CALL's flight, if given, also keeps a copy to retry if actor may retry.
void
    zaf_broker_actors_hold (zaf_broker_actors_t *self, zaf_broker_actor_t *actor, zaf_proto_t *request,
                            zaf_broker_flight_t *flight);

//  MONITOR request from caller: answered once, when the actor ends, with
//  why; or, with {"notify": method, "watcher": id}, a TELL to the watcher.
void
    zaf_broker_actors_handle_monitor (zaf_broker_actors_t *self, zaf_proto_t *request,
                                      zaf_broker_peer_t *caller);

#endif
