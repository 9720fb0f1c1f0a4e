/*  =========================================================================
    zaf_broker_internal - what the two halves of the broker engine share

    The broker is one thread with one state (self_t). zaf_broker.c holds
    its loop and the routing of requests and answers (peers, flights, the
    commands); zaf_broker_actors.c holds the actor table's lifetimes (ends,
    ownership, monitors, restarts, adoption after a broker restart). This
    header is theirs alone: nothing else includes it.
    =========================================================================
*/

#ifndef ZAF_BROKER_INTERNAL_H_INCLUDED
#define ZAF_BROKER_INTERNAL_H_INCLUDED

//  --------------------------------------------------------------------------
//  Intrusive rings (circular doubly-linked lists with a head node)

typedef struct _ring_t {
    struct _ring_t *prev, *next;
} ring_t;

static inline void
s_ring_init (ring_t *ring)
{
    ring->prev = ring->next = ring;
}

static inline void
s_ring_append (ring_t *head, ring_t *item)
{
    item->prev = head->prev;
    item->next = head;
    head->prev->next = item;
    head->prev = item;
}

static inline void
s_ring_remove (ring_t *item)
{
    item->prev->next = item->next;
    item->next->prev = item->prev;
    s_ring_init (item);
}

static inline bool
s_ring_empty (ring_t *head)
{
    return head->next == head;
}

#define RING_ENTRY(ptr, type, member) \
    ((type *) ((char *) (ptr) - offsetof (type, member)))

//  --------------------------------------------------------------------------
//  Binary keys for the peer and flight maps

typedef struct {
    size_t size;
    byte data [1 + 2 * ZAF_PROTO_ID_MAX];
} bkey_t;

//  --------------------------------------------------------------------------
//  State

typedef enum { ROLE_NODE = 1, ROLE_DRIVER, ROLE_CLI } role_t;
typedef enum {
    FLIGHT_CALL = 1, FLIGHT_SUBMIT, FLIGHT_SPAWN, FLIGHT_KILL,
    FLIGHT_MONITOR              //  Answered when its actor ends
} flight_kind_t;

typedef struct _peer_t {
    bkey_t key;                  //  Routing id (map key)
    char hex [2 * ZAF_PROTO_ID_MAX + 1];    //  Routing id as hex, for people
    role_t role;
    char *name;                 //  Node name (nodes)
    char *host;
    int pid;
    int cpus;                   //  Worker pool size (nodes)
    zhashx_t *classes;          //  Class names served (nodes)
    zhashx_t *functions;        //  Function names served (nodes)
    size_t actors;              //  Actors placed here (nodes)
    size_t tasks;               //  Tasks in flight here (nodes)
    int64_t joined;             //  When it said HELLO (mono ms)
    int64_t last_seen;          //  Last message from it (mono ms)
    ring_t calls_out;           //  Flights it is waiting for
    ring_t work;                //  Flights of tasks it runs (nodes)
    ring_t owned;               //  Actors it spawned (not from an actor)
    zhashx_t *claims;           //  Actor ids it said it owns in HELLO that no
                                //  node has brought back yet (or NULL)
    zlistx_t *backlog;          //  Answers waiting for room in its queue
    const char *doomed;         //  Why it is lost, once found gone
    bool warned;                //  Logged a protocol warning already
} peer_t;

typedef struct _actor_t {
    char id [ZAF_PROTO_ACTOR_MAX + 1];
    char *class_name;
    char *name;                 //  Registered name, or NULL
    peer_t *node;               //  Where it lives
    bool ready;                 //  SPAWNED ok seen
    size_t pending;             //  Flights to it
    ring_t flights;             //  Flights it must answer
    ring_t monitors;            //  MONITOR flights, answered when it ends
    //  Ownership: an actor dies with its owner unless detached. The owner is
    //  the actor that spawned it (parent), else the peer that did.
    bool detached;
    struct _actor_t *parent;    //  Owner actor, or NULL
    peer_t *owner;              //  Owner peer when there is no parent
    ring_t children;            //  Actors it owns
    ring_t sibling;             //  In parent->children or owner->owned
    //  Restarts: after a failure (crash, node lost) the broker spawns the
    //  same id again from what it kept, and holds requests meanwhile
    int restarts_left;          //  max_restarts still to use (-1: no limit)
    int restarts;               //  Incarnations after the first
    int call_retries;           //  max_call_retries (-1: no limit)
    char *pin;                  //  Node the spawn asked for, or NULL
    zaf_proto_t *spawn;         //  The SPAWN to send again (restartable only)
    bool restarting;            //  That SPAWN is out; requests are held
    zlistx_t *held;             //  Requests for the next incarnation, in order
    int64_t claim_by;           //  Adopted, owner unknown: ends unless a
                                //  driver claims it by then (0: not waiting)
    zlistx_t *watchers;         //  Actors told by a TELL when it ends
                                //  ("<watcher id> <method>" strings)
} actor_t;

typedef struct {
    bkey_t key;                  //  caller routing id + corr (map key)
    flight_kind_t kind;
    peer_t *caller;
    peer_t *node;               //  Where it went
    actor_t *actor;             //  Target actor (calls, spawns, kills)
    size_t caller_size;         //  Split of key into caller and corr
    ring_t by_caller;
    ring_t by_target;           //  In actor->flights or node->work
    zaf_proto_t *copy;          //  The CALL, kept to retry (max_call_retries)
    int retries;                //  Retries done
} flight_t;

typedef struct {
    zsock_t *pipe;              //  Actor pipe
    zsock_t *router;            //  The one ROUTER
    zaf_proto_t *msg;           //  Message being handled
    zaf_proto_t *out;           //  Messages we originate
    zhashx_t *peers;            //  bkey_t -> peer_t
    zhashx_t *actors;           //  id -> actor_t
    zhashx_t *names;            //  name -> actor_t (borrowed)
    zhashx_t *tombstones;       //  id -> reason (string)
    zlistx_t *tombstone_order;  //  ids, oldest first (own copies)
    zhashx_t *flights;          //  bkey_t -> flight_t
    zlistx_t *spare_flights;    //  Ended flights kept for reuse
    char session [40];          //  This broker's run
    uint32_t id_prefix;         //  Random part of actor ids
    uint32_t id_counter;        //  Counter part of actor ids
    size_t rotate;              //  Round-robin start for placement ties
    int heartbeat_ms;
    size_t max_pending;
    int64_t started;
    int64_t next_tick;
    bool verbose;
    bool quiet;                 //  Log only warnings and errors
    bool terminated;
    bool stopped;               //  A STOP ended us: nodes are told to exit
    char *endpoints;            //  What we bound, for STATUS
    zaf_ratelimit_t *warnings;  //  Budget for warnings about bad input
    size_t backlogged;          //  Peers with answers in their backlog
    size_t unclaimed;           //  Adopted actors waiting for their owner
    size_t doomed;              //  Peers found gone, to be ended
    //  Counters
    struct {
        size_t calls, tells, replies, spawns, submits, kills, lookups;
        size_t errors_sent, malformed, unknown_peer, late_replies;
        size_t wrong_peer, unroutable, overloaded, peers_lost, backlogged;
    } count;
} self_t;

//  --------------------------------------------------------------------------
//  zaf_broker.c: peers, flights, answers, placement

void
    zaf_broker_answer_ok (self_t *self, cJSON *result);

cJSON *
    zaf_broker_control_json (self_t *self, const char *data, size_t size, const char *what);

void
    zaf_broker_flight_destroy (self_t *self, flight_t **flight_p);

void
    zaf_broker_flight_fail (self_t *self, flight_t *flight, zaf_code_t code, const char *message);

flight_t *
    zaf_broker_flight_lookup (self_t *self, const void *caller, size_t caller_size, const void *corr, size_t corr_size);

flight_t *
    zaf_broker_flight_new (self_t *self, peer_t *caller, flight_kind_t kind, peer_t *node, actor_t *actor);

peer_t *
    zaf_broker_place (self_t *self, const char *class_name, const char *node_name, zaf_code_t *code);

void
    zaf_broker_refuse (self_t *self, zaf_code_t code, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

void
    zaf_broker_send_out (self_t *self, const void *routing_id, size_t size);

void
    zaf_broker_warn (self_t *self, peer_t *peer, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  --------------------------------------------------------------------------
//  zaf_broker_actors.c: the actor table

void
    zaf_broker_actor_end (self_t *self, actor_t *actor, zaf_code_t code, const char *reason);

void
    zaf_broker_actor_fail (self_t *self, actor_t *actor, zaf_code_t code, const char *reason);

void
    zaf_broker_actor_free (actor_t **actor_p);

size_t
    zaf_broker_adopt (self_t *self, peer_t *node, const cJSON *entries);

size_t
    zaf_broker_claim (self_t *self, peer_t *peer, const cJSON *ids);

void
    zaf_broker_expire_claims (self_t *self);

void
    zaf_broker_handle_monitor (self_t *self, peer_t *caller);

void
    zaf_broker_handle_respawned (self_t *self, peer_t *node);

void
    zaf_broker_hold (self_t *self, actor_t *actor, flight_t *flight);

void
    zaf_broker_kill_actor (self_t *self, actor_t *actor, const char *reason);

void
    zaf_broker_kill_orphan (self_t *self, actor_t *actor);

#endif
