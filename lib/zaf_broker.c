/*  =========================================================================
    zaf_broker - the broker engine, a czmq actor

    One thread: a loop over the actor pipe and one ROUTER, reading the
    ROUTER until it is empty before polling again, with a tick every
    heartbeat interval. State:

    - peers: every HELLO'd connection, keyed by routing id; nodes carry the
      classes and functions they serve.
    - actors: actor id -> the node it lives on, plus the name registry and
      a bounded memory of dead ids (tombstones).
    - flights: every request that expects an answer (CALL, SUBMIT, SPAWN,
      KILL), keyed by (caller routing id, correlation id), linked into the
      caller's list and into the list of the actor or node that must answer.

    Invariants: a flight is removed exactly once, by its answer or by the
    failure that ends it (actor EXIT, node lost, caller lost), so every call
    gets exactly one answer; an answer that matches no flight, or comes from
    a peer other than the one the flight went to, is dropped and counted.
    Sends never block: a full or vanished destination becomes an error
    answer to the sender. Bad input is counted, logged at a bounded rate,
    answered with ERROR, and changes nothing else.
    =========================================================================
*/

#include "zaf_classes.h"

//  --------------------------------------------------------------------------
//  Intrusive rings (circular doubly-linked lists with a head node)

typedef struct _ring_t {
    struct _ring_t *prev, *next;
} ring_t;

static void
s_ring_init (ring_t *ring)
{
    ring->prev = ring->next = ring;
}

static void
s_ring_append (ring_t *head, ring_t *item)
{
    item->prev = head->prev;
    item->next = head;
    head->prev->next = item;
    head->prev = item;
}

static void
s_ring_remove (ring_t *item)
{
    item->prev->next = item->next;
    item->next->prev = item->prev;
    s_ring_init (item);
}

static bool
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

static size_t
s_key_hash (const void *item)
{
    const bkey_t *key = (const bkey_t *) item;
    size_t hash = 14695981039346656037ULL;
    for (size_t index = 0; index < key->size; index++)
        hash = (hash ^ key->data [index]) * 1099511628211ULL;
    return hash;
}

static int
s_key_compare (const void *item1, const void *item2)
{
    const bkey_t *key1 = (const bkey_t *) item1;
    const bkey_t *key2 = (const bkey_t *) item2;
    if (key1->size != key2->size)
        return key1->size < key2->size ? -1 : 1;
    return memcmp (key1->data, key2->data, key1->size);
}

static zhashx_t *
s_keyed_map (void)
{
    zhashx_t *map = zhashx_new ();
    zhashx_set_key_duplicator (map, NULL);
    zhashx_set_key_destructor (map, NULL);
    zhashx_set_key_hasher (map, s_key_hash);
    zhashx_set_key_comparator (map, s_key_compare);
    return map;
}

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
//  Logging bad input at a bounded rate

static void
s_warn (self_t *self, peer_t *peer, const char *format, ...)
{
    //  Once per peer unless verbose, and at most 10 a second overall
    if (peer && peer->warned && !self->verbose)
        return;
    char text [400];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof (text), format, args);
    va_end (args);
    if (zaf_ratelimit_warn (self->warnings, "%s", text) && peer)
        peer->warned = true;
}

static void
s_hex (const byte *data, size_t size, char *hex)
{
    static const char digits [] = "0123456789abcdef";
    for (size_t index = 0; index < size; index++) {
        hex [2 * index] = digits [data [index] >> 4];
        hex [2 * index + 1] = digits [data [index] & 15];
    }
    hex [2 * size] = 0;
}

//  --------------------------------------------------------------------------
//  Construction

static self_t *
s_self_new (zsock_t *pipe)
{
    self_t *self = (self_t *) zmalloc (sizeof (self_t));
    assert (self);
    self->pipe = pipe;
    self->router = zsock_new (ZMQ_ROUTER);
    assert (self->router);
    zsock_set_router_mandatory (self->router, 1);
    zsock_set_sndhwm (self->router, ZAF_HWM);
    zsock_set_rcvhwm (self->router, ZAF_HWM);
    zsock_set_linger (self->router, 0);
    zsock_set_maxmsgsize (self->router, ZAF_BROKER_MAX_MESSAGE);
    self->msg = zaf_proto_new ();
    self->out = zaf_proto_new ();
    self->peers = s_keyed_map ();
    self->actors = zhashx_new ();
    self->names = zhashx_new ();
    self->tombstones = zhashx_new ();
    zhashx_set_destructor (self->tombstones, (zhashx_destructor_fn *) zstr_free);
    zhashx_set_duplicator (self->tombstones, (zhashx_duplicator_fn *) strdup);
    self->tombstone_order = zlistx_new ();
    zlistx_set_destructor (self->tombstone_order, (zlistx_destructor_fn *) zstr_free);
    self->flights = s_keyed_map ();
    self->spare_flights = zlistx_new ();
    self->heartbeat_ms = ZAF_HEARTBEAT_MS;
    self->max_pending = ZAF_BROKER_MAX_PENDING;
    self->started = zclock_mono ();
    self->endpoints = strdup ("");
    self->warnings = zaf_ratelimit_new ("zaf_broker", 10);
    zuuid_t *uuid = zuuid_new ();
    snprintf (self->session, sizeof (self->session), "%s", zuuid_str_canonical (uuid));
    const byte *bytes = zuuid_data (uuid);
    self->id_prefix = ((uint32_t) bytes [0] << 24) | ((uint32_t) bytes [1] << 16)
                    | ((uint32_t) bytes [2] << 8) | bytes [3];
    zuuid_destroy (&uuid);
    return self;
}

static void s_peer_destroy (peer_t **peer_p);

static void
s_actor_free (actor_t **actor_p)
{
    actor_t *actor = *actor_p;
    free (actor->class_name);
    free (actor->name);
    free (actor->pin);
    zaf_proto_destroy (&actor->spawn);
    zlistx_destroy (&actor->held);
    zlistx_destroy (&actor->watchers);
    free (actor);
    *actor_p = NULL;
}

static void
s_self_destroy (self_t **self_p)
{
    self_t *self = *self_p;
    //  Flights first (they point into peers and actors)
    zlistx_t *items = zhashx_values (self->flights);
    for (flight_t *flight = (flight_t *) zlistx_first (items); flight;
         flight = (flight_t *) zlistx_next (items)) {
        zaf_proto_destroy (&flight->copy);
        free (flight);
    }
    zlistx_destroy (&items);
    zhashx_destroy (&self->flights);
    flight_t *spare;
    while ((spare = (flight_t *) zlistx_detach (self->spare_flights, NULL)))
        free (spare);
    zlistx_destroy (&self->spare_flights);
    items = zhashx_values (self->actors);
    for (actor_t *actor = (actor_t *) zlistx_first (items); actor;
         actor = (actor_t *) zlistx_next (items))
        s_actor_free (&actor);
    zlistx_destroy (&items);
    zhashx_destroy (&self->actors);
    zhashx_destroy (&self->names);
    items = zhashx_values (self->peers);
    for (peer_t *peer = (peer_t *) zlistx_first (items); peer;
         peer = (peer_t *) zlistx_next (items))
        s_peer_destroy (&peer);
    zlistx_destroy (&items);
    zhashx_destroy (&self->peers);
    zlistx_destroy (&self->tombstone_order);
    zhashx_destroy (&self->tombstones);
    zaf_proto_destroy (&self->msg);
    zaf_proto_destroy (&self->out);
    zsock_destroy (&self->router);
    free (self->endpoints);
    zaf_ratelimit_destroy (&self->warnings);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Peers

static peer_t *
s_peer_new (const void *routing_id, size_t size, role_t role)
{
    peer_t *peer = (peer_t *) zmalloc (sizeof (peer_t));
    assert (peer);
    memcpy (peer->key.data, routing_id, size);
    peer->key.size = size;
    s_hex ((const byte *) routing_id, size, peer->hex);
    peer->role = role;
    peer->classes = zhashx_new ();
    peer->functions = zhashx_new ();
    peer->joined = peer->last_seen = zclock_mono ();
    s_ring_init (&peer->calls_out);
    s_ring_init (&peer->work);
    s_ring_init (&peer->owned);
    peer->backlog = zlistx_new ();
    zlistx_set_destructor (peer->backlog, (zlistx_destructor_fn *) zaf_proto_destroy);
    return peer;
}

static void
s_peer_destroy (peer_t **peer_p)
{
    peer_t *peer = *peer_p;
    zhashx_destroy (&peer->classes);
    zhashx_destroy (&peer->functions);
    zhashx_destroy (&peer->claims);
    zlistx_destroy (&peer->backlog);
    free (peer->name);
    free (peer->host);
    free (peer);
    *peer_p = NULL;
}

static const char *
s_role_name (role_t role)
{
    return role == ROLE_NODE ? "node" : role == ROLE_DRIVER ? "driver" : "cli";
}

static peer_t *
s_peer_lookup (self_t *self, const void *routing_id, size_t size)
{
    bkey_t key;
    key.size = size;
    memcpy (key.data, routing_id, size);
    return (peer_t *) zhashx_lookup (self->peers, &key);
}

//  --------------------------------------------------------------------------
//  Sending what we originate

//  A peer whose connection is gone is ended after the message at hand is
//  handled, never in the middle of it (the caller may be walking the very
//  lists that ending it changes)
static void
s_doom (self_t *self, peer_t *peer, const char *reason)
{
    if (!peer->doomed) {
        peer->doomed = reason;
        self->doomed++;
    }
}

//  Deliver an answer (REPLY, SPAWNED, ERROR, BYE) to a peer. It is never
//  dropped while the peer lives: when the peer's queue is full the answer
//  waits in its backlog, in order, and goes out as the queue drains.
static void
s_deliver (self_t *self, zaf_proto_t *msg, const void *routing_id, size_t size)
{
    zaf_proto_set_routing_id (msg, routing_id, size);
    if (zaf_proto_id (msg) == ZAF_PROTO_REPLY && !zaf_proto_ok (msg))
        self->count.errors_sent++;
    peer_t *peer = s_peer_lookup (self, routing_id, size);
    if (!peer || zlistx_size (peer->backlog) == 0) {
        if (zaf_proto_send (msg, self->router) == 0)
            return;
        if (errno != EAGAIN || !peer) {
            self->count.unroutable++;       //  Its connection is gone
            if (peer)
                s_doom (self, peer, "connection closed");
            return;
        }
    }
    if (zlistx_size (peer->backlog) >= ZAF_BROKER_BACKLOG_MAX) {
        self->count.unroutable++;
        s_doom (self, peer, "does not read its answers");
        return;
    }
    if (zlistx_size (peer->backlog) == 0)
        self->backlogged++;
    self->count.backlogged++;
    zaf_proto_t *held = zaf_proto_new ();
    zaf_proto_move (held, msg);
    zlistx_add_end (peer->backlog, held);
}

//  Send what waits in backlogs while there is room
static void
s_flush_backlogs (self_t *self)
{
    zlistx_t *peers = zhashx_values (self->peers);
    for (peer_t *peer = (peer_t *) zlistx_first (peers); peer;
         peer = (peer_t *) zlistx_next (peers)) {
        zaf_proto_t *held;
        while ((held = (zaf_proto_t *) zlistx_first (peer->backlog))) {
            if (zaf_proto_send (held, self->router)) {
                if (errno != EAGAIN)
                    s_doom (self, peer, "connection closed");
                break;
            }
            zlistx_delete (peer->backlog, zlistx_cursor (peer->backlog));
            if (zlistx_size (peer->backlog) == 0)
                self->backlogged--;
        }
    }
    zlistx_destroy (&peers);
}

//  Send self->msg, turned into an answer, back to whoever sent it; like
//  every answer it names the requester in its caller frame
static void
s_answer_requester (self_t *self)
{
    size_t size;
    const void *routing_id = zaf_proto_routing_id (self->msg, &size);
    byte requester [ZAF_PROTO_ID_MAX];
    memcpy (requester, routing_id, size);
    zaf_proto_set_caller (self->msg, requester, size);
    s_deliver (self, self->msg, requester, size);
}

//  Send self->out to a routing id (an answer, so it is delivered)
static void
s_send_out (self_t *self, const void *routing_id, size_t size)
{
    s_deliver (self, self->out, routing_id, size);
}

//  Answer a request with an error. kind REPLY or SPAWNED; the routing id is
//  the caller's; caller and corr are echoed.
static void
s_answer_error (self_t *self, zaf_proto_id_t kind, const void *routing_id, size_t routing_size,
                const void *corr, size_t corr_size, const char *actor,
                zaf_code_t code, const char *format, ...)
{
    char message [ZAF_ERROR_MESSAGE_MAX];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof (message), format, args);
    va_end (args);
    zaf_proto_reset (self->out);
    zaf_proto_set_id (self->out, kind);
    zaf_proto_set_caller (self->out, routing_id, routing_size);
    zaf_proto_set_corr (self->out, corr, corr_size);
    if (kind == ZAF_PROTO_SPAWNED && actor)
        zaf_proto_set_actor (self->out, actor);
    zaf_proto_set_error (self->out, code, "%s", message);
    s_send_out (self, routing_id, routing_size);
}

//  Answer the message being handled (self->msg) with an error
static void
s_refuse (self_t *self, zaf_code_t code, const char *format, ...)
{
    char message [ZAF_ERROR_MESSAGE_MAX];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof (message), format, args);
    va_end (args);
    size_t routing_size, corr_size;
    const void *routing_id = zaf_proto_routing_id (self->msg, &routing_size);
    const void *corr = zaf_proto_corr (self->msg, &corr_size);
    zaf_proto_id_t kind = zaf_proto_id (self->msg) == ZAF_PROTO_SPAWN ? ZAF_PROTO_SPAWNED
                                                                      : ZAF_PROTO_REPLY;
    s_answer_error (self, kind, routing_id, routing_size, corr, corr_size, "",
                    code, "%s", message);
}

//  Send an ERROR (no correlation) to a routing id
static void
s_send_error (self_t *self, const void *routing_id, size_t size, zaf_code_t code,
              const char *message)
{
    zaf_proto_reset (self->out);
    zaf_proto_set_id (self->out, ZAF_PROTO_ERROR);
    char *text = zaf_json_error_print (code, message);
    zaf_proto_set_body_take (self->out, &text);
    s_send_out (self, routing_id, size);
    self->count.errors_sent++;
}

static void
s_send_bye (self_t *self, const void *routing_id, size_t size, const char *reason,
            bool stop)
{
    zaf_proto_reset (self->out);
    zaf_proto_set_id (self->out, ZAF_PROTO_BYE);
    cJSON *body = cJSON_CreateObject ();
    cJSON_AddStringToObject (body, "reason", reason);
    if (stop)
        cJSON_AddBoolToObject (body, "stop", true);
    zaf_proto_set_body_json (self->out, body);
    cJSON_Delete (body);
    s_send_out (self, routing_id, size);
}

//  --------------------------------------------------------------------------
//  Flights

static flight_t *
s_flight_lookup (self_t *self, const void *caller, size_t caller_size,
                 const void *corr, size_t corr_size)
{
    bkey_t key;
    key.size = 1 + caller_size + corr_size;
    key.data [0] = (byte) caller_size;
    memcpy (key.data + 1, caller, caller_size);
    memcpy (key.data + 1 + caller_size, corr, corr_size);
    return (flight_t *) zhashx_lookup (self->flights, &key);
}

//  Flights kept for reuse: enough for a burst, not a hoard
#define ZAF_BROKER_SPARE_FLIGHTS 1024
//  A flight is reset from its key's data on (see s_flight_new)
_Static_assert (offsetof (flight_t, key) == 0, "the key comes first in a flight");

//  Create a flight for the request in self->msg from caller. If the caller
//  already has a request in flight with that corr, refuse this one with
//  PROTOCOL and return NULL.
static flight_t *
s_flight_new (self_t *self, peer_t *caller, flight_kind_t kind, peer_t *node, actor_t *actor)
{
    size_t corr_size;
    const void *corr = zaf_proto_corr (self->msg, &corr_size);
    if (s_flight_lookup (self, caller->key.data, caller->key.size, corr, corr_size)) {
        self->count.malformed++;
        s_refuse (self, ZAF_PROTOCOL, "correlation id already in flight");
        return NULL;
    }
    //  A spare one if we have it: a flight is 600 bytes, mostly key room,
    //  and every call makes one
    flight_t *flight = (flight_t *) zlistx_detach (self->spare_flights, NULL);
    if (!flight)
        flight = (flight_t *) malloc (sizeof (flight_t));
    assert (flight);
    memset (flight, 0, offsetof (flight_t, key) + offsetof (bkey_t, data));
    memset ((byte *) flight + sizeof (bkey_t), 0, sizeof (flight_t) - sizeof (bkey_t));
    flight->key.size = 1 + caller->key.size + corr_size;
    flight->key.data [0] = (byte) caller->key.size;
    memcpy (flight->key.data + 1, caller->key.data, caller->key.size);
    memcpy (flight->key.data + 1 + caller->key.size, corr, corr_size);
    flight->caller_size = caller->key.size;
    flight->kind = kind;
    flight->caller = caller;
    flight->node = node;
    flight->actor = actor;
    s_ring_append (&caller->calls_out, &flight->by_caller);
    if (actor && kind == FLIGHT_MONITOR)
        s_ring_append (&actor->monitors, &flight->by_target);
    else
    if (actor) {
        s_ring_append (&actor->flights, &flight->by_target);
        actor->pending++;
    }
    else
        s_ring_append (&node->work, &flight->by_target);
    if (kind == FLIGHT_SUBMIT)
        node->tasks++;
    zhashx_insert (self->flights, &flight->key, flight);
    return flight;
}

static void
s_flight_destroy (self_t *self, flight_t **flight_p)
{
    flight_t *flight = *flight_p;
    zhashx_delete (self->flights, &flight->key);
    s_ring_remove (&flight->by_caller);
    s_ring_remove (&flight->by_target);
    if (flight->actor && flight->kind != FLIGHT_MONITOR)
        flight->actor->pending--;
    if (flight->kind == FLIGHT_SUBMIT && flight->node->tasks)
        flight->node->tasks--;
    zaf_proto_destroy (&flight->copy);
    if (zlistx_size (self->spare_flights) < ZAF_BROKER_SPARE_FLIGHTS)
        zlistx_add_end (self->spare_flights, flight);
    else
        free (flight);
    *flight_p = NULL;
}

//  End a flight with an error to its caller (a kill of a dead actor ends ok)
static void
s_flight_fail (self_t *self, flight_t *flight, zaf_code_t code, const char *message)
{
    const byte *caller = flight->key.data + 1;
    const byte *corr = caller + flight->caller_size;
    size_t corr_size = flight->key.size - 1 - flight->caller_size;
    if (flight->kind == FLIGHT_KILL) {
        zaf_proto_reset (self->out);
        zaf_proto_set_id (self->out, ZAF_PROTO_REPLY);
        zaf_proto_set_caller (self->out, caller, flight->caller_size);
        zaf_proto_set_corr (self->out, corr, corr_size);
        zaf_proto_set_ok (self->out, true);
        zaf_proto_set_body (self->out, "null", 4);
        s_send_out (self, caller, flight->caller_size);
    }
    else
        s_answer_error (self, flight->kind == FLIGHT_SPAWN ? ZAF_PROTO_SPAWNED : ZAF_PROTO_REPLY,
                        caller, flight->caller_size, corr, corr_size,
                        flight->actor ? flight->actor->id : "", code, "%s", message);
    s_flight_destroy (self, &flight);
}

//  --------------------------------------------------------------------------
//  Actors

static void
s_tombstone (self_t *self, const char *id, const char *reason)
{
    if (zhashx_lookup (self->tombstones, id))
        return;
    if (zlistx_size (self->tombstone_order) >= ZAF_BROKER_TOMBSTONES) {
        char *oldest = (char *) zlistx_detach (self->tombstone_order, NULL);
        zhashx_delete (self->tombstones, oldest);
        free (oldest);
    }
    zhashx_insert (self->tombstones, id, (void *) reason);
    zlistx_add_end (self->tombstone_order, strdup (id));
    //  (the list frees its ids on destroy; an evicted one is freed above)
}

//  Answer a MONITOR flight: its actor ended, for this reason
static void
s_monitor_fire (self_t *self, flight_t *flight, const char *id, const char *reason)
{
    const byte *caller = flight->key.data + 1;
    const byte *corr = caller + flight->caller_size;
    zaf_proto_reset (self->out);
    zaf_proto_set_id (self->out, ZAF_PROTO_REPLY);
    zaf_proto_set_caller (self->out, caller, flight->caller_size);
    zaf_proto_set_corr (self->out, corr, flight->key.size - 1 - flight->caller_size);
    zaf_proto_set_ok (self->out, true);
    cJSON *body = cJSON_CreateObject ();
    cJSON_AddStringToObject (body, "actor", id);
    cJSON_AddStringToObject (body, "reason", reason);
    zaf_proto_set_body_json (self->out, body);
    cJSON_Delete (body);
    s_send_out (self, caller, flight->caller_size);
    s_flight_destroy (self, &flight);
}

static void s_kill_actor (self_t *self, actor_t *actor, const char *reason);
static void s_hold (self_t *self, actor_t *actor, flight_t *flight);

//  Tell a watching actor that an actor ended: a TELL of its chosen method
//  with [{"actor": id, "reason": reason}]. A watcher that has ended since
//  is skipped.
static void
s_notify_watcher (self_t *self, const char *entry, const char *id, const char *reason)
{
    char watcher_id [ZAF_PROTO_ACTOR_MAX + 1];
    const char *space = strchr (entry, ' ');
    if (!space || (size_t) (space - entry) > ZAF_PROTO_ACTOR_MAX)
        return;
    memcpy (watcher_id, entry, (size_t) (space - entry));
    watcher_id [space - entry] = 0;
    actor_t *watcher = (actor_t *) zhashx_lookup (self->actors, watcher_id);
    if (!watcher || !watcher->node || watcher->node->doomed)
        return;
    zaf_proto_reset (self->out);
    zaf_proto_set_id (self->out, ZAF_PROTO_TELL);
    zaf_proto_set_actor (self->out, watcher->id);
    zaf_proto_set_name (self->out, space + 1);
    cJSON *args = cJSON_CreateArray ();
    cJSON *notice = cJSON_CreateObject ();
    cJSON_AddStringToObject (notice, "actor", id);
    cJSON_AddStringToObject (notice, "reason", reason);
    cJSON_AddItemToArray (args, notice);
    zaf_proto_set_body_json (self->out, args);
    cJSON_Delete (args);
    if (watcher->restarting) {
        //  It is coming back: the notice waits with its other requests
        zaf_proto_t *saved = self->msg;
        self->msg = self->out;
        s_hold (self, watcher, NULL);
        self->msg = saved;
        return;
    }
    zaf_proto_set_routing_id (self->out, watcher->node->key.data, watcher->node->key.size);
    if (zaf_proto_send (self->out, self->router))
        self->count.unroutable++;
}

//  An actor has ended: fail what waits on it, tell its monitors, end what
//  it owns, remember it, forget it
static void
s_actor_end (self_t *self, actor_t *actor, zaf_code_t code, const char *reason)
{
    char message [ZAF_ERROR_MESSAGE_MAX];
    snprintf (message, sizeof (message), "actor %s (%s) ended: %s",
              actor->id, actor->class_name, reason);
    s_ring_remove (&actor->sibling);
    if (actor->claim_by > 0)
        self->unclaimed--;
    while (!s_ring_empty (&actor->flights)) {
        flight_t *flight = RING_ENTRY (actor->flights.next, flight_t, by_target);
        s_flight_fail (self, flight, code, message);
    }
    while (!s_ring_empty (&actor->monitors)) {
        flight_t *flight = RING_ENTRY (actor->monitors.next, flight_t, by_target);
        s_monitor_fire (self, flight, actor->id, reason);
    }
    if (actor->watchers)
        for (const char *entry = (const char *) zlistx_first (actor->watchers); entry;
             entry = (const char *) zlistx_next (actor->watchers))
            s_notify_watcher (self, entry, actor->id, reason);
    //  What it owns shares its fate (each child ends its own children)
    while (!s_ring_empty (&actor->children)) {
        actor_t *child = RING_ENTRY (actor->children.next, actor_t, sibling);
        s_kill_actor (self, child, "owner_died");
    }
    if (actor->ready)
        s_tombstone (self, actor->id, reason);
    if (actor->name && zhashx_lookup (self->names, actor->name) == actor)
        zhashx_delete (self->names, actor->name);
    if (actor->node && actor->node->actors)
        actor->node->actors--;
    if (self->verbose)
        zsys_debug ("zaf_broker: actor ended actor=%s reason=%s", actor->id, reason);
    zhashx_delete (self->actors, actor->id);
    s_actor_free (&actor);
}

//  --------------------------------------------------------------------------
//  Losing a peer: every flight it owes or awaits ends now

static void s_kill_orphan (self_t *self, actor_t *actor);
static void s_actor_fail (self_t *self, actor_t *actor, zaf_code_t code, const char *reason);

static void
s_peer_lost (self_t *self, peer_t *peer, const char *reason)
{
    self->count.peers_lost++;
    if (!peer->doomed)
        peer->doomed = reason;  //  Sends nothing more to it from here on
    if (peer->role == ROLE_NODE && streq (reason, "said BYE")) {
        if (!self->quiet)
            zsys_info ("zaf_broker: node left name=%s peer=%s", peer->name, peer->hex);
    }
    else
    if (peer->role == ROLE_NODE)
        zsys_warning ("zaf_broker: node lost name=%s peer=%s reason=%s",
                      peer->name, peer->hex, reason);
    else
    if (self->verbose)
        zsys_debug ("zaf_broker: %s left peer=%s reason=%s", s_role_name (peer->role),
                    peer->hex, reason);

    //  Its own requests: nobody to answer any more. An actor it was
    //  spawning would have no holder: it is killed as it comes up.
    while (!s_ring_empty (&peer->calls_out)) {
        flight_t *flight = RING_ENTRY (peer->calls_out.next, flight_t, by_caller);
        actor_t *orphan = flight->kind == FLIGHT_SPAWN && flight->node != peer ? flight->actor : NULL;
        s_flight_destroy (self, &flight);
        if (orphan)
            s_kill_orphan (self, orphan);
    }
    if (peer->role == ROLE_NODE) {
        char message [ZAF_ERROR_MESSAGE_MAX];
        snprintf (message, sizeof (message), "node %s lost: %s", peer->name, reason);
        //  Tasks it was running
        while (!s_ring_empty (&peer->work)) {
            flight_t *flight = RING_ENTRY (peer->work.next, flight_t, by_target);
            s_flight_fail (self, flight, ZAF_NODE_LOST, message);
        }
        //  Actors it hosted. Ending one may end others (what it owns), so
        //  look each up again by id before ending it.
        zlistx_t *ids = zlistx_new ();
        zlistx_set_destructor (ids, (zlistx_destructor_fn *) zstr_free);
        for (actor_t *actor = (actor_t *) zhashx_first (self->actors); actor;
             actor = (actor_t *) zhashx_next (self->actors))
            if (actor->node == peer)
                zlistx_add_end (ids, strdup (actor->id));
        for (const char *id = (const char *) zlistx_first (ids); id;
             id = (const char *) zlistx_next (ids)) {
            actor_t *actor = (actor_t *) zhashx_lookup (self->actors, id);
            if (actor)
                s_actor_fail (self, actor, ZAF_NODE_LOST, "node_lost");
        }
        zlistx_destroy (&ids);
    }
    //  Actors it spawned (a driver, or a task on a node): their owner died
    while (!s_ring_empty (&peer->owned)) {
        actor_t *actor = RING_ENTRY (peer->owned.next, actor_t, sibling);
        s_kill_actor (self, actor, "owner_died");
    }
    if (zlistx_size (peer->backlog))
        self->backlogged--;
    zhashx_delete (self->peers, &peer->key);
    s_peer_destroy (&peer);
}

//  --------------------------------------------------------------------------
//  Control bodies the broker parses (HELLO, SPAWN options, STATUS) are
//  small; anything bigger is refused before it reaches the parser

static cJSON *
s_control_json (self_t *self, const char *data, size_t size, const char *what)
{
    if (size > ZAF_BROKER_CONTROL_MAX) {
        s_refuse (self, ZAF_BAD_ARGS, "%s is %zu bytes; at most %d are accepted", what, size,
                  ZAF_BROKER_CONTROL_MAX);
        return NULL;
    }
    return zaf_json_parse (data, size);
}

//  --------------------------------------------------------------------------
//  Adoption: a node that was serving a broker of another session (this
//  broker's predecessor) lists the actors it still runs; we take them on
//  with their ids and names. Their owners come back as they reconnect:
//  parents are among the adopted actors, drivers claim theirs in HELLO.

static actor_t *
s_adopt_one (self_t *self, peer_t *node, const cJSON *entry)
{
    const char *id = zaf_json_string (entry, "id", NULL);
    const char *class_name = zaf_json_string (entry, "class", NULL);
    const char *name = zaf_json_string (entry, "name", NULL);
    if (!id || !*id || strlen (id) > ZAF_PROTO_ACTOR_MAX || !zaf_registry_name_valid (id)
    ||  !class_name || !zhashx_lookup (node->classes, class_name)
    ||  zhashx_lookup (self->actors, id) || zhashx_lookup (self->tombstones, id)) {
        s_warn (self, node, "node %s announced an actor we cannot adopt: %s",
                node->name, id ? id : "(no id)");
        return NULL;
    }
    actor_t *actor = (actor_t *) zmalloc (sizeof (actor_t));
    assert (actor);
    snprintf (actor->id, sizeof (actor->id), "%s", id);
    actor->class_name = strdup (class_name);
    actor->node = node;
    actor->ready = true;
    actor->detached = zaf_json_bool (entry, "detached", false);
    s_ring_init (&actor->flights);
    s_ring_init (&actor->monitors);
    s_ring_init (&actor->children);
    s_ring_init (&actor->sibling);
    if (name && zaf_registry_name_valid (name)) {
        if (zhashx_lookup (self->names, name))
            zsys_warning ("zaf_broker: adopted actor=%s lost its name %s: taken meanwhile",
                          id, name);
        else {
            actor->name = strdup (name);
            zhashx_insert (self->names, actor->name, actor);
        }
    }
    //  A restartable actor brings what it takes to restart it
    const cJSON *options = cJSON_GetObjectItemCaseSensitive (entry, "options");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive (entry, "args");
    int max_restarts = zaf_json_int (options, "max_restarts", 0);
    if (cJSON_IsObject (options) && args && max_restarts >= -1 && max_restarts != 0) {
        actor->restarts_left = max_restarts;
        actor->call_retries = zaf_json_int (options, "max_call_retries", 0);
        if (actor->call_retries < -1)
            actor->call_retries = 0;
        const char *pin = zaf_json_string (options, "node", NULL);
        actor->pin = pin ? strdup (pin) : NULL;
        actor->spawn = zaf_proto_new ();
        zaf_proto_set_id (actor->spawn, ZAF_PROTO_SPAWN);
        zaf_proto_set_corr (actor->spawn, "restart", 7);
        zaf_proto_set_actor (actor->spawn, actor->id);
        zaf_proto_set_name (actor->spawn, class_name);
        char *text = cJSON_PrintUnformatted (options);
        zaf_proto_set_options (actor->spawn, text, strlen (text));
        cJSON_free (text);
        zaf_proto_set_body_json (actor->spawn, args);
    }
    zhashx_insert (self->actors, actor->id, actor);
    node->actors++;
    return actor;
}

//  The peer that claimed an actor id before its node came back, if any
//  (the claim is used up)
static peer_t *
s_claimant (self_t *self, const char *id)
{
    for (peer_t *peer = (peer_t *) zhashx_first (self->peers); peer;
         peer = (peer_t *) zhashx_next (self->peers))
        if (peer->claims && zhashx_lookup (peer->claims, id)) {
            zhashx_delete (peer->claims, id);
            return peer;
        }
    return NULL;
}

static size_t
s_adopt (self_t *self, peer_t *node, const cJSON *entries)
{
    if (!cJSON_IsArray (entries))
        return 0;
    size_t adopted = 0;
    const cJSON *entry;
    cJSON_ArrayForEach (entry, entries)
        if (s_adopt_one (self, node, entry))
            adopted++;
    //  Second pass: owners. A parent that did not come back takes its
    //  children with it; the rest wait for their driver.
    int64_t claim_by = zclock_mono () + (int64_t) self->heartbeat_ms * ZAF_BROKER_CLAIM_BEATS;
    cJSON_ArrayForEach (entry, entries) {
        actor_t *actor = (actor_t *) zhashx_lookup (self->actors, zaf_json_string (entry, "id", ""));
        if (!actor || actor->node != node || actor->detached || actor->parent || actor->claim_by)
            continue;
        const char *parent_id = zaf_json_string (entry, "parent", NULL);
        actor_t *parent = parent_id ? (actor_t *) zhashx_lookup (self->actors, parent_id) : NULL;
        if (parent && parent != actor) {
            actor->parent = parent;
            s_ring_append (&parent->children, &actor->sibling);
        }
        else
        if (parent_id)
            actor->claim_by = -1;       //  Its owner actor is gone: ends below
        else {
            //  Its driver may have come back before this node did
            peer_t *claimant = s_claimant (self, actor->id);
            if (claimant) {
                actor->owner = claimant;
                s_ring_append (&claimant->owned, &actor->sibling);
            }
            else {
                actor->claim_by = claim_by;
                self->unclaimed++;
            }
        }
    }
    cJSON_ArrayForEach (entry, entries) {
        actor_t *actor = (actor_t *) zhashx_lookup (self->actors, zaf_json_string (entry, "id", ""));
        if (actor && actor->claim_by == -1) {
            actor->claim_by = 0;
            s_kill_actor (self, actor, "owner_died");
        }
    }
    zsys_info ("zaf_broker: adopted %zu actor(s) from node=%s", adopted, node->name);
    return adopted;
}

//  A driver back after our restart claims the actors it owns
static size_t
s_claim (self_t *self, peer_t *peer, const cJSON *ids)
{
    size_t claimed = 0;
    const cJSON *item;
    cJSON_ArrayForEach (item, ids) {
        const char *id = cJSON_GetStringValue (item);
        if (!id || !*id || strlen (id) > ZAF_PROTO_ACTOR_MAX)
            continue;
        actor_t *actor = (actor_t *) zhashx_lookup (self->actors, id);
        if (!actor) {
            //  Its node is not back yet: remember the claim for it
            if (!peer->claims)
                peer->claims = zhashx_new ();
            if (zhashx_size (peer->claims) < self->max_pending)
                zhashx_insert (peer->claims, id, (void *) 1);
            continue;
        }
        if (actor->claim_by <= 0)
            continue;
        actor->claim_by = 0;
        self->unclaimed--;
        actor->owner = peer;
        s_ring_append (&peer->owned, &actor->sibling);
        claimed++;
    }
    return claimed;
}

//  Adopted actors whose driver did not come back in time end
static void
s_expire_claims (self_t *self)
{
    int64_t now = zclock_mono ();
    zlistx_t *ids = zlistx_new ();
    zlistx_set_destructor (ids, (zlistx_destructor_fn *) zstr_free);
    for (actor_t *actor = (actor_t *) zhashx_first (self->actors); actor;
         actor = (actor_t *) zhashx_next (self->actors))
        if (actor->claim_by > 0 && now >= actor->claim_by)
            zlistx_add_end (ids, strdup (actor->id));
    for (const char *id = (const char *) zlistx_first (ids); id;
         id = (const char *) zlistx_next (ids)) {
        actor_t *actor = (actor_t *) zhashx_lookup (self->actors, id);
        if (actor && actor->claim_by > 0) {
            actor->claim_by = 0;
            self->unclaimed--;
            s_kill_actor (self, actor, "owner_died");
        }
    }
    zlistx_destroy (&ids);
}

//  --------------------------------------------------------------------------
//  HELLO

static void
s_handle_hello (self_t *self, peer_t *known)
{
    size_t routing_size;
    const void *routing_id = zaf_proto_routing_id (self->msg, &routing_size);
    const char *role_name = zaf_proto_name (self->msg);
    role_t role = streq (role_name, "node") ? ROLE_NODE
                : streq (role_name, "driver") ? ROLE_DRIVER
                : streq (role_name, "cli") ? ROLE_CLI : 0;
    size_t hello_size;
    zaf_proto_body (self->msg, &hello_size);
    cJSON *hello = hello_size <= ZAF_BROKER_CONTROL_MAX ? zaf_proto_body_json (self->msg) : NULL;
    const char *refusal = NULL;
    if (!role)
        refusal = "HELLO role must be node, driver or cli";
    else
    if (!cJSON_IsObject (hello))
        refusal = "HELLO body must be a JSON object";
    else
    if (role == ROLE_NODE) {
        const cJSON *classes = cJSON_GetObjectItemCaseSensitive (hello, "classes");
        const cJSON *functions = cJSON_GetObjectItemCaseSensitive (hello, "functions");
        const char *name = zaf_json_string (hello, "name", NULL);
        if ((classes && !zaf_json_is_string_array (classes))
        ||  (functions && !zaf_json_is_string_array (functions)))
            refusal = "HELLO classes and functions must be arrays of strings";
        else
        if (!zaf_registry_name_valid (name))
            refusal = "HELLO from a node needs a printable name";
    }
    if (refusal) {
        s_warn (self, known, "HELLO refused peer=%s: %s", known ? known->hex : "new", refusal);
        s_send_error (self, routing_id, routing_size, ZAF_PROTOCOL, refusal);
        cJSON_Delete (hello);
        return;
    }
    if (role == ROLE_NODE) {
        //  Node names are unique among live nodes
        const char *name = zaf_json_string (hello, "name", "");
        zlistx_t *peers = zhashx_values (self->peers);
        bool taken = false;
        for (peer_t *peer = (peer_t *) zlistx_first (peers); peer;
             peer = (peer_t *) zlistx_next (peers))
            if (peer != known && peer->role == ROLE_NODE && streq (peer->name, name))
                taken = true;
        zlistx_destroy (&peers);
        if (taken) {
            char message [ZAF_ERROR_MESSAGE_MAX];
            snprintf (message, sizeof (message),
                      "a live node is already named %s; retry after it is gone", name);
            s_warn (self, NULL, "HELLO refused: %s", message);
            s_send_error (self, routing_id, routing_size, ZAF_NAME_TAKEN, message);
            cJSON_Delete (hello);
            return;
        }
    }
    //  A second HELLO on one connection starts that peer afresh
    if (known)
        s_peer_lost (self, known, "said HELLO again");

    peer_t *peer = s_peer_new (routing_id, routing_size, role);
    peer->name = strdup (zaf_json_string (hello, "name", s_role_name (role)));
    peer->host = strdup (zaf_json_string (hello, "host", ""));
    peer->pid = zaf_json_int (hello, "pid", 0);
    peer->cpus = zaf_json_int (hello, "cpus", 1);
    if (peer->cpus < 1)
        peer->cpus = 1;
    const cJSON *item;
    cJSON_ArrayForEach (item, cJSON_GetObjectItemCaseSensitive (hello, "classes"))
        zhashx_insert (peer->classes, item->valuestring, (void *) 1);
    cJSON_ArrayForEach (item, cJSON_GetObjectItemCaseSensitive (hello, "functions"))
        zhashx_insert (peer->functions, item->valuestring, (void *) 1);
    zhashx_insert (self->peers, &peer->key, peer);
    //  After a broker restart: nodes bring their actors back, drivers claim
    //  the actors they own
    size_t adopted = 0, claimed = 0;
    const char *session = zaf_json_string (hello, "session", "");
    if (*session && strneq (session, self->session)) {
        if (role == ROLE_NODE)
            adopted = s_adopt (self, peer, cJSON_GetObjectItemCaseSensitive (hello, "actors"));
        else
            claimed = s_claim (self, peer, cJSON_GetObjectItemCaseSensitive (hello, "owns"));
    }
    cJSON_Delete (hello);
    if (role == ROLE_NODE && !self->quiet)
        zsys_info ("zaf_broker: node joined name=%s host=%s pid=%d cpus=%d classes=%zu functions=%zu",
                   peer->name, peer->host, peer->pid, peer->cpus,
                   zhashx_size (peer->classes), zhashx_size (peer->functions));
    else
    if (self->verbose)
        zsys_debug ("zaf_broker: %s joined peer=%s", s_role_name (role), peer->hex);

    cJSON *welcome = cJSON_CreateObject ();
    cJSON_AddStringToObject (welcome, "peer", peer->hex);
    cJSON_AddStringToObject (welcome, "session", self->session);
    cJSON_AddNumberToObject (welcome, "heartbeat_ms", self->heartbeat_ms);
    cJSON_AddNumberToObject (welcome, "version", 1);
    if (adopted)
        cJSON_AddNumberToObject (welcome, "adopted", (double) adopted);
    if (claimed)
        cJSON_AddNumberToObject (welcome, "claimed", (double) claimed);
    zaf_proto_reset (self->out);
    zaf_proto_set_id (self->out, ZAF_PROTO_WELCOME);
    zaf_proto_set_body_json (self->out, welcome);
    cJSON_Delete (welcome);
    s_send_out (self, routing_id, routing_size);
}

//  --------------------------------------------------------------------------
//  Placement: the eligible node with the fewest actors, ties round-robin

static peer_t *
s_place (self_t *self, const char *class_name, const char *node_name, zaf_code_t *code)
{
    zlistx_t *peers = zhashx_values (self->peers);
    size_t count = zlistx_size (peers);
    peer_t *best = NULL;
    bool named_seen = false;
    size_t index = 0;
    size_t start = count ? self->rotate++ % count : 0;
    //  Walk from a rotating start so that ties go round-robin
    peer_t **ordered = (peer_t **) calloc (count ? count : 1, sizeof (peer_t *));
    for (peer_t *peer = (peer_t *) zlistx_first (peers); peer;
         peer = (peer_t *) zlistx_next (peers))
        ordered [index++] = peer;
    for (index = 0; index < count; index++) {
        peer_t *peer = ordered [(start + index) % count];
        if (peer->role != ROLE_NODE || peer->doomed)
            continue;
        if (node_name) {
            if (strneq (peer->name, node_name))
                continue;
            named_seen = true;
        }
        if (!zhashx_lookup (peer->classes, class_name))
            continue;
        if (!best || peer->actors < best->actors)
            best = peer;
    }
    free (ordered);
    zlistx_destroy (&peers);
    if (!best)
        *code = node_name && !named_seen ? ZAF_NO_SUCH_NODE : ZAF_NO_SUCH_CLASS;
    return best;
}

//  Same for tasks: the node with the fewest tasks per worker
static peer_t *
s_place_task (self_t *self, const char *function)
{
    zlistx_t *peers = zhashx_values (self->peers);
    peer_t *best = NULL;
    for (peer_t *peer = (peer_t *) zlistx_first (peers); peer;
         peer = (peer_t *) zlistx_next (peers)) {
        if (peer->role != ROLE_NODE || peer->doomed || !zhashx_lookup (peer->functions, function))
            continue;
        if (!best || peer->tasks * best->cpus < best->tasks * peer->cpus)
            best = peer;
    }
    zlistx_destroy (&peers);
    return best;
}

//  --------------------------------------------------------------------------
//  Forward self->msg to a node. Returns 0, or -1 after answering the
//  caller (and the flight, if given, is gone).

static int
s_forward_to_node (self_t *self, peer_t *caller, peer_t *node, flight_t *flight)
{
    zaf_proto_set_caller (self->msg, caller->key.data, caller->key.size);
    zaf_proto_set_routing_id (self->msg, node->key.data, node->key.size);
    if (zaf_proto_send (self->msg, self->router) == 0)
        return 0;
    int error = errno;
    if (flight)
        s_flight_destroy (self, &flight);
    zaf_proto_set_routing_id (self->msg, caller->key.data, caller->key.size);
    if (error == EAGAIN) {
        self->count.overloaded++;
        if (zaf_proto_id (self->msg) != ZAF_PROTO_TELL)
            s_refuse (self, ZAF_OVERLOADED, "queue to node %s is full", node->name);
    }
    else {
        if (zaf_proto_id (self->msg) != ZAF_PROTO_TELL)
            s_refuse (self, ZAF_NODE_LOST, "node %s is gone", node->name);
        s_doom (self, node, "connection closed");
    }
    if (zaf_proto_id (self->msg) == ZAF_PROTO_TELL) {
        //  A tell has no answer; say on the side that it was not delivered
        char message [ZAF_ERROR_MESSAGE_MAX];
        snprintf (message, sizeof (message), "tell %s to actor %s not delivered: node %s %s",
                  zaf_proto_name (self->msg), zaf_proto_actor (self->msg), node->name,
                  error == EAGAIN ? "is overloaded" : "is gone");
        s_send_error (self, caller->key.data, caller->key.size,
                      error == EAGAIN ? ZAF_OVERLOADED : ZAF_NODE_LOST, message);
    }
    return -1;
}

//  --------------------------------------------------------------------------
//  An actor whose spawner is gone: nobody holds it, so it goes too

//  End an actor the broker decides to end (its owner is gone): tell its
//  node to kill it, and end it here at once
static void
s_kill_actor (self_t *self, actor_t *actor, const char *reason)
{
    if (actor->node && !actor->node->doomed) {
        zaf_proto_reset (self->out);
        zaf_proto_set_id (self->out, ZAF_PROTO_KILL);
        zaf_proto_set_actor (self->out, actor->id);
        char body [80];
        snprintf (body, sizeof (body), "{\"reason\":\"%s\"}", reason);
        zaf_proto_set_body (self->out, body, strlen (body));
        s_send_out (self, actor->node->key.data, actor->node->key.size);
    }
    actor->ready = true;        //  Remember the id as dead
    s_actor_end (self, actor, ZAF_ACTOR_DIED, reason);
}

static void
s_kill_orphan (self_t *self, actor_t *actor)
{
    s_kill_actor (self, actor, "owner_died");
}

//  --------------------------------------------------------------------------
//  Restarts. An actor spawned with max_restarts that fails (its process
//  crashed, it ended itself with reason "failed", or its node was lost) is
//  spawned again with the same id, constructor re-run, on an eligible live
//  node. Calls that were in flight end with ACTOR_DIED (they may have run:
//  at-most-once), unless max_call_retries lets them be sent again to the
//  next incarnation (at-least-once). Requests that arrive meanwhile wait.

//  Send the held requests to the actor's new incarnation, in order
static void
s_release_held (self_t *self, actor_t *actor)
{
    zaf_proto_t *held;
    while ((held = (zaf_proto_t *) zlistx_detach (actor->held, NULL))) {
        size_t caller_size, corr_size;
        const void *caller = zaf_proto_caller (held, &caller_size);
        const void *corr = zaf_proto_corr (held, &corr_size);
        flight_t *flight = zaf_proto_id (held) == ZAF_PROTO_CALL
                         ? s_flight_lookup (self, caller, caller_size, corr, corr_size) : NULL;
        if (flight)
            flight->node = actor->node;
        zaf_proto_set_routing_id (held, actor->node->key.data, actor->node->key.size);
        if (zaf_proto_send (held, self->router) == -1 && flight)
            s_flight_fail (self, flight, ZAF_OVERLOADED, "the actor's node cannot take the call");
        zaf_proto_destroy (&held);
    }
}

//  Hold a request (self->msg, caller already set) for the next incarnation
static void
s_hold (self_t *self, actor_t *actor, flight_t *flight)
{
    if (!actor->held) {
        actor->held = zlistx_new ();
        zlistx_set_destructor (actor->held, (zlistx_destructor_fn *) zaf_proto_destroy);
    }
    zaf_proto_t *held = zaf_proto_dup (self->msg);
    if (flight && actor->call_retries)
        flight->copy = zaf_proto_dup (self->msg);
    zlistx_add_end (actor->held, held);
}

//  Try to restart a failed actor. Returns 0 if a new incarnation is on its
//  way, -1 if the actor must end.
static int
s_restart (self_t *self, actor_t *actor, const char *reason)
{
    //  A kill in flight wins over a restart
    for (ring_t *item = actor->flights.next; item != &actor->flights; item = item->next)
        if (RING_ENTRY (item, flight_t, by_target)->kind == FLIGHT_KILL)
            return -1;
    zaf_code_t code = ZAF_OK;
    peer_t *node = actor->pin ? s_place (self, actor->class_name, actor->pin, &code) : NULL;
    if (!node)
        node = s_place (self, actor->class_name, NULL, &code);
    if (!node) {
        zsys_warning ("zaf_broker: cannot restart actor=%s class=%s: no live node serves it",
                      actor->id, actor->class_name);
        return -1;
    }
    if (actor->restarts_left > 0)
        actor->restarts_left--;
    zsys_info ("zaf_broker: restarting actor=%s class=%s after %s on node=%s (restart %d)",
               actor->id, actor->class_name, reason, node->name, actor->restarts + 1);
    //  Calls in flight: sent again if they may be, else they end now
    char message [ZAF_ERROR_MESSAGE_MAX];
    snprintf (message, sizeof (message), "actor %s (%s) failed (%s) while serving the call; "
              "it is being restarted and the call may have run", actor->id, actor->class_name,
              reason);
    //  Retried calls go first, in flight order, then what was held already
    zlistx_t *held = zlistx_new ();
    zlistx_set_destructor (held, (zlistx_destructor_fn *) zaf_proto_destroy);
    ring_t *item = actor->flights.next;
    while (item != &actor->flights) {
        flight_t *flight = RING_ENTRY (item, flight_t, by_target);
        item = item->next;
        if (flight->kind == FLIGHT_CALL && flight->copy
        && (actor->call_retries < 0 || flight->retries < actor->call_retries)) {
            flight->retries++;
            zlistx_add_end (held, zaf_proto_dup (flight->copy));
        }
        else
            s_flight_fail (self, flight, ZAF_ACTOR_DIED, message);
    }
    if (actor->held) {
        zaf_proto_t *waiting;
        while ((waiting = (zaf_proto_t *) zlistx_detach (actor->held, NULL)))
            zlistx_add_end (held, waiting);
        zlistx_destroy (&actor->held);
    }
    actor->held = held;
    //  What it owned died with the old incarnation
    while (!s_ring_empty (&actor->children)) {
        actor_t *child = RING_ENTRY (actor->children.next, actor_t, sibling);
        s_kill_actor (self, child, "owner_died");
    }
    if (actor->node && actor->node->actors)
        actor->node->actors--;
    actor->node = node;
    node->actors++;
    actor->restarting = true;
    zaf_proto_t *spawn = zaf_proto_dup (actor->spawn);
    zaf_proto_set_routing_id (spawn, node->key.data, node->key.size);
    int rc = zaf_proto_send (spawn, self->router);
    zaf_proto_destroy (&spawn);
    if (rc == -1) {
        zsys_warning ("zaf_broker: cannot send the restart of actor=%s to node=%s",
                      actor->id, node->name);
        return -1;
    }
    return 0;
}

//  An actor has failed: restart it if it may be, else it ends
static void
s_actor_fail (self_t *self, actor_t *actor, zaf_code_t code, const char *reason)
{
    if (actor->ready && actor->spawn) {
        if (actor->restarts_left != 0) {
            if (s_restart (self, actor, reason) == 0)
                return;
        }
        else
            reason = "restart_limit";
    }
    s_actor_end (self, actor, code, reason);
}

//  SPAWNED for a restart we sent: the new incarnation is up, or it failed
static void
s_handle_respawned (self_t *self, peer_t *node)
{
    actor_t *actor = (actor_t *) zhashx_lookup (self->actors, zaf_proto_actor (self->msg));
    if (!actor || !actor->restarting || actor->node != node) {
        self->count.late_replies++;
        return;
    }
    actor->restarting = false;
    if (zaf_proto_ok (self->msg)) {
        actor->restarts++;
        s_release_held (self, actor);
    }
    else {
        cJSON *error = zaf_proto_body_json (self->msg);
        zsys_warning ("zaf_broker: restart of actor=%s failed: %s", actor->id,
                      zaf_json_string (error, "message", "constructor failed"));
        cJSON_Delete (error);
        s_actor_end (self, actor, ZAF_ACTOR_DIED, "failed");
    }
}

//  --------------------------------------------------------------------------
//  SPAWN

static void
s_handle_spawn (self_t *self, peer_t *caller)
{
    self->count.spawns++;
    const char *class_name = zaf_proto_name (self->msg);
    size_t options_size;
    const char *options_text = zaf_proto_options (self->msg, &options_size);
    if (options_size > ZAF_BROKER_CONTROL_MAX) {
        s_refuse (self, ZAF_BAD_ARGS, "spawn options are %zu bytes; at most %d are accepted",
                  options_size, ZAF_BROKER_CONTROL_MAX);
        return;
    }
    cJSON *options = options_size ? zaf_json_parse (options_text, options_size)
                                  : cJSON_CreateObject ();
    if (!cJSON_IsObject (options)) {
        s_refuse (self, ZAF_BAD_ARGS, "spawn options must be a JSON object");
        cJSON_Delete (options);
        return;
    }
    const char *node_name = zaf_json_string (options, "node", NULL);
    const char *name = zaf_json_string (options, "name", NULL);
    const char *owner_id = zaf_json_string (options, "owner", NULL);
    bool detached = zaf_json_bool (options, "detached", false);
    bool get_if_exists = zaf_json_bool (options, "get_if_exists", false);
    int max_restarts = zaf_json_int (options, "max_restarts", 0);
    int max_call_retries = zaf_json_int (options, "max_call_retries", 0);
    if (max_restarts < -1 || max_call_retries < -1) {
        s_refuse (self, ZAF_BAD_ARGS, "max_restarts and max_call_retries must be -1 (no limit) or more");
        cJSON_Delete (options);
        return;
    }
    if (name && !zaf_registry_name_valid (name)) {
        s_refuse (self, ZAF_BAD_ARGS, "actor name must be 1-255 printable ASCII bytes");
        cJSON_Delete (options);
        return;
    }
    if (detached && !name) {
        s_refuse (self, ZAF_BAD_ARGS, "a detached actor needs a name (nobody could find it)");
        cJSON_Delete (options);
        return;
    }
    if (name && zhashx_lookup (self->names, name)) {
        actor_t *holder = (actor_t *) zhashx_lookup (self->names, name);
        if (get_if_exists && holder->ready && streq (holder->class_name, class_name)) {
            //  The caller asked for the live actor that holds the name
            zaf_proto_set_id (self->msg, ZAF_PROTO_SPAWNED);
            zaf_proto_set_actor (self->msg, holder->id);
            zaf_proto_set_ok (self->msg, true);
            zaf_proto_set_body (self->msg, "{\"existing\":true}", 17);
            s_answer_requester (self);
        }
        else
            s_refuse (self, ZAF_NAME_TAKEN, "actor %s (%s%s) already holds the name %s",
                      holder->id, holder->class_name, holder->ready ? "" : ", starting", name);
        cJSON_Delete (options);
        return;
    }
    //  An actor spawning: its node says which one; it must live there
    actor_t *parent = NULL;
    if (owner_id && !detached) {
        parent = (actor_t *) zhashx_lookup (self->actors, owner_id);
        if (!parent || parent->node != caller) {
            const char *reason = (const char *) zhashx_lookup (self->tombstones, owner_id);
            if (reason)
                s_refuse (self, ZAF_ACTOR_DIED, "owner actor %s ended: %s", owner_id, reason);
            else
                s_refuse (self, ZAF_BAD_ARGS, "owner %s is not an actor of the spawning node", owner_id);
            cJSON_Delete (options);
            return;
        }
    }
    zaf_code_t code = ZAF_OK;
    peer_t *node = s_place (self, class_name, node_name, &code);
    if (!node) {
        if (code == ZAF_NO_SUCH_NODE)
            s_refuse (self, code, "no live node is named %s", node_name);
        else
        if (node_name)
            s_refuse (self, code, "node %s does not serve class %s", node_name, class_name);
        else
            s_refuse (self, code, "no live node serves class %s", class_name);
        cJSON_Delete (options);
        return;
    }
    actor_t *actor = (actor_t *) zmalloc (sizeof (actor_t));
    assert (actor);
    snprintf (actor->id, sizeof (actor->id), "%08x%08x", self->id_prefix, ++self->id_counter);
    actor->class_name = strdup (class_name);
    actor->name = name ? strdup (name) : NULL;
    actor->node = node;
    s_ring_init (&actor->flights);
    s_ring_init (&actor->monitors);
    s_ring_init (&actor->children);
    s_ring_init (&actor->sibling);
    actor->detached = detached;
    actor->restarts_left = max_restarts;
    actor->call_retries = max_restarts ? max_call_retries : 0;
    actor->pin = node_name ? strdup (node_name) : NULL;
    cJSON_Delete (options);

    flight_t *flight = s_flight_new (self, caller, FLIGHT_SPAWN, node, actor);
    if (!flight) {
        s_actor_free (&actor);
        return;
    }
    if (max_restarts) {
        //  Keep the SPAWN (class, options, constructor arguments) to send
        //  again; its answer comes back to us, not to a caller
        actor->spawn = zaf_proto_dup (self->msg);
        zaf_proto_set_caller (actor->spawn, NULL, 0);
        zaf_proto_set_corr (actor->spawn, "restart", 7);
        zaf_proto_set_actor (actor->spawn, actor->id);
    }
    zhashx_insert (self->actors, actor->id, actor);
    if (actor->name)
        zhashx_insert (self->names, actor->name, actor);
    node->actors++;
    if (parent) {
        actor->parent = parent;
        s_ring_append (&parent->children, &actor->sibling);
    }
    else
    if (!detached) {
        actor->owner = caller;
        s_ring_append (&caller->owned, &actor->sibling);
    }
    zaf_proto_set_actor (self->msg, actor->id);
    if (s_forward_to_node (self, caller, node, flight) == -1) {
        //  The flight is answered; the actor never started. The node may be
        //  gone already, which ended the actor too.
        actor_t *left = (actor_t *) zhashx_lookup (self->actors, zaf_proto_actor (self->msg));
        if (left)
            s_actor_end (self, left, ZAF_NODE_LOST, "never started");
    }
}

//  SPAWNED from a node
static void
s_handle_spawned (self_t *self, peer_t *node)
{
    size_t caller_size, corr_size;
    const void *caller = zaf_proto_caller (self->msg, &caller_size);
    const void *corr = zaf_proto_corr (self->msg, &corr_size);
    if (caller_size == 0) {
        s_handle_respawned (self, node);    //  A restart we sent
        return;
    }
    flight_t *flight = s_flight_lookup (self, caller, caller_size, corr, corr_size);
    if (!flight || flight->kind != FLIGHT_SPAWN || flight->node != node
    ||  strneq (flight->actor->id, zaf_proto_actor (self->msg))) {
        if (flight) {
            self->count.wrong_peer++;
            s_warn (self, node, "SPAWNED from peer=%s for a request it may not answer dropped",
                    node->hex);
            s_send_error (self, node->key.data, node->key.size, ZAF_PROTOCOL,
                          "SPAWNED for a spawn that was not sent to you");
            return;
        }
        self->count.late_replies++;
        //  Its spawner is gone: an actor nobody holds must not live on
        actor_t *orphan = (actor_t *) zhashx_lookup (self->actors, zaf_proto_actor (self->msg));
        if (orphan && orphan->node == node && !orphan->ready && zaf_proto_ok (self->msg))
            s_kill_orphan (self, orphan);
        return;
    }
    actor_t *actor = flight->actor;
    s_flight_destroy (self, &flight);
    bool ok = zaf_proto_ok (self->msg);
    peer_t *spawner = s_peer_lookup (self, caller, caller_size);
    s_deliver (self, self->msg, caller, caller_size);
    if (ok) {
        actor->ready = true;
        if (!spawner || spawner->doomed)
            s_kill_orphan (self, actor);
    }
    else
        s_actor_end (self, actor, ZAF_ACTOR_DIED, "failed");
}

//  --------------------------------------------------------------------------
//  CALL and TELL

static actor_t *
s_target (self_t *self, bool answer)
{
    const char *id = zaf_proto_actor (self->msg);
    actor_t *actor = (actor_t *) zhashx_lookup (self->actors, id);
    if (actor)
        return actor;
    const char *reason = (const char *) zhashx_lookup (self->tombstones, id);
    if (answer) {
        if (reason)
            s_refuse (self, ZAF_ACTOR_DIED, "actor %s ended: %s", id, reason);
        else
            s_refuse (self, ZAF_NO_SUCH_ACTOR, "no actor %s", id);
    }
    return NULL;
}

static void
s_handle_call (self_t *self, peer_t *caller)
{
    bool is_call = zaf_proto_id (self->msg) == ZAF_PROTO_CALL;
    if (is_call)
        self->count.calls++;
    else
        self->count.tells++;
    actor_t *actor = s_target (self, is_call);
    if (!actor) {
        if (!is_call) {
            //  A tell has no answer; say so on the side rather than drop it
            const char *id = zaf_proto_actor (self->msg);
            char message [ZAF_ERROR_MESSAGE_MAX];
            snprintf (message, sizeof (message), "tell %s to actor %s not delivered: %s",
                      zaf_proto_name (self->msg), id,
                      zhashx_lookup (self->tombstones, id) ? "it has ended" : "no such actor");
            size_t size;
            const void *routing_id = zaf_proto_routing_id (self->msg, &size);
            s_send_error (self, routing_id, size,
                          zhashx_lookup (self->tombstones, id) ? ZAF_ACTOR_DIED : ZAF_NO_SUCH_ACTOR,
                          message);
        }
        return;
    }
    if (actor->pending >= self->max_pending) {
        self->count.overloaded++;
        char message [ZAF_ERROR_MESSAGE_MAX];
        snprintf (message, sizeof (message), "actor %s has %zu calls pending (bound %zu)%s",
                  actor->id, actor->pending, self->max_pending, is_call ? "" : "; tell not delivered");
        if (is_call)
            s_refuse (self, ZAF_OVERLOADED, "%s", message);
        else {
            size_t size;
            const void *routing_id = zaf_proto_routing_id (self->msg, &size);
            s_send_error (self, routing_id, size, ZAF_OVERLOADED, message);
        }
        return;
    }
    flight_t *flight = NULL;
    if (is_call) {
        flight = s_flight_new (self, caller, FLIGHT_CALL, actor->node, actor);
        if (!flight)
            return;
    }
    if (actor->restarting || actor->call_retries) {
        zaf_proto_set_caller (self->msg, caller->key.data, caller->key.size);
        if (actor->restarting) {
            //  Its next incarnation is on the way: the request waits for it
            if (!flight && actor->held && zlistx_size (actor->held) >= self->max_pending) {
                s_send_error (self, caller->key.data, caller->key.size, ZAF_OVERLOADED,
                              "actor is restarting and has too many requests waiting");
                return;
            }
            s_hold (self, actor, flight);
            return;
        }
        if (flight)
            flight->copy = zaf_proto_dup (self->msg);
    }
    s_forward_to_node (self, caller, actor->node, flight);
}

//  REPLY from a node
static void
s_handle_reply (self_t *self, peer_t *node)
{
    self->count.replies++;
    size_t caller_size, corr_size;
    const void *caller = zaf_proto_caller (self->msg, &caller_size);
    const void *corr = zaf_proto_corr (self->msg, &corr_size);
    flight_t *flight = s_flight_lookup (self, caller, caller_size, corr, corr_size);
    if (!flight) {
        //  Answered already (by a failure), or the caller is gone
        self->count.late_replies++;
        return;
    }
    if (flight->node != node || flight->kind == FLIGHT_SPAWN) {
        self->count.wrong_peer++;
        s_warn (self, node, "REPLY from peer=%s for a request it may not answer dropped", node->hex);
        s_send_error (self, node->key.data, node->key.size, ZAF_PROTOCOL,
                      flight->node != node ? "REPLY for a call that was not sent to you"
                                           : "a SPAWN is answered with SPAWNED, not REPLY");
        return;
    }
    s_flight_destroy (self, &flight);
    s_deliver (self, self->msg, caller, caller_size);
}

//  --------------------------------------------------------------------------
//  SUBMIT

static void
s_handle_submit (self_t *self, peer_t *caller)
{
    self->count.submits++;
    const char *function = zaf_proto_name (self->msg);
    peer_t *node = s_place_task (self, function);
    if (!node) {
        s_refuse (self, ZAF_NO_SUCH_FUNCTION, "no live node serves function %s", function);
        return;
    }
    flight_t *flight = s_flight_new (self, caller, FLIGHT_SUBMIT, node, NULL);
    if (!flight)
        return;
    s_forward_to_node (self, caller, node, flight);
}

//  --------------------------------------------------------------------------
//  KILL and EXIT

static void
s_handle_kill (self_t *self, peer_t *caller)
{
    self->count.kills++;
    size_t corr_size;
    zaf_proto_corr (self->msg, &corr_size);
    bool answer = corr_size > 0;
    const char *id = zaf_proto_actor (self->msg);
    actor_t *actor = (actor_t *) zhashx_lookup (self->actors, id);
    if (!actor) {
        if (!answer)
            return;
        if (zhashx_lookup (self->tombstones, id)) {
            //  Already dead: killing it again is not an error
            zaf_proto_set_id (self->msg, ZAF_PROTO_REPLY);
            zaf_proto_set_ok (self->msg, true);
            zaf_proto_set_body (self->msg, "null", 4);
            s_answer_requester (self);
        }
        else
            s_refuse (self, ZAF_NO_SUCH_ACTOR, "no actor %s", id);
        return;
    }
    flight_t *flight = NULL;
    if (answer) {
        flight = s_flight_new (self, caller, FLIGHT_KILL, actor->node, actor);
        if (!flight)
            return;
    }
    s_forward_to_node (self, caller, actor->node, flight);
}

static void
s_handle_exit (self_t *self, peer_t *node)
{
    const char *id = zaf_proto_actor (self->msg);
    actor_t *actor = (actor_t *) zhashx_lookup (self->actors, id);
    if (!actor || actor->node != node) {
        if (actor)
            s_warn (self, node, "EXIT for actor=%s from a node that does not host it", id);
        return;
    }
    cJSON *body = zaf_proto_body_json (self->msg);
    char reason [64];
    snprintf (reason, sizeof (reason), "%s", zaf_json_string (body, "reason", "normal"));
    cJSON_Delete (body);
    if (streq (reason, "failed"))
        s_actor_fail (self, actor, ZAF_ACTOR_DIED, reason);
    else
        s_actor_end (self, actor, ZAF_ACTOR_DIED, reason);
}

//  --------------------------------------------------------------------------
//  LOOKUP and STATUS

static void
s_answer_ok (self_t *self, cJSON *result)
{
    zaf_proto_set_id (self->msg, ZAF_PROTO_REPLY);
    zaf_proto_set_ok (self->msg, true);
    zaf_proto_set_body_json (self->msg, result);
    cJSON_Delete (result);
    s_answer_requester (self);
}

static void
s_handle_lookup (self_t *self)
{
    self->count.lookups++;
    const char *name = zaf_proto_name (self->msg);
    actor_t *actor = (actor_t *) zhashx_lookup (self->names, name);
    if (!actor || !actor->ready) {
        s_refuse (self, ZAF_NO_SUCH_ACTOR, "no actor is named %s", name);
        return;
    }
    cJSON *result = cJSON_CreateObject ();
    cJSON_AddStringToObject (result, "actor", actor->id);
    cJSON_AddStringToObject (result, "class", actor->class_name);
    cJSON_AddStringToObject (result, "node", actor->node->name);
    s_answer_ok (self, result);
}

static cJSON *
s_names_array (zhashx_t *set)
{
    cJSON *array = cJSON_CreateArray ();
    zlistx_t *keys = zhashx_keys (set);
    zlistx_set_comparator (keys, (zlistx_comparator_fn *) strcmp);
    zlistx_sort (keys);
    for (const char *name = (const char *) zlistx_first (keys); name;
         name = (const char *) zlistx_next (keys))
        cJSON_AddItemToArray (array, cJSON_CreateString (name));
    zlistx_destroy (&keys);
    return array;
}

//  Peers in STATUS: by name, then by id
static int
s_peer_compare (const void *item1, const void *item2)
{
    const peer_t *peer1 = (const peer_t *) item1;
    const peer_t *peer2 = (const peer_t *) item2;
    int order = strcmp (peer1->name, peer2->name);
    return order ? order : strcmp (peer1->hex, peer2->hex);
}

static cJSON *
s_status (self_t *self, const cJSON *request)
{
    int64_t now = zclock_mono ();
    cJSON *status = cJSON_CreateObject ();
    cJSON_AddStringToObject (status, "session", self->session);
    cJSON_AddStringToObject (status, "endpoints", self->endpoints);
    cJSON_AddNumberToObject (status, "uptime_s", (double) (now - self->started) / 1000.0);
    cJSON_AddNumberToObject (status, "heartbeat_ms", self->heartbeat_ms);
    cJSON_AddNumberToObject (status, "actors_total", (double) zhashx_size (self->actors));
    cJSON_AddNumberToObject (status, "flights", (double) zhashx_size (self->flights));
    cJSON *nodes = cJSON_AddArrayToObject (status, "nodes");
    cJSON *clients = cJSON_AddArrayToObject (status, "clients");
    zlistx_t *peers = zhashx_values (self->peers);
    zlistx_set_comparator (peers, s_peer_compare);
    zlistx_sort (peers);
    for (peer_t *peer = (peer_t *) zlistx_first (peers); peer;
         peer = (peer_t *) zlistx_next (peers)) {
        cJSON *item = cJSON_CreateObject ();
        cJSON_AddStringToObject (item, "peer", peer->hex);
        cJSON_AddStringToObject (item, "role", s_role_name (peer->role));
        cJSON_AddStringToObject (item, "name", peer->name);
        cJSON_AddStringToObject (item, "host", peer->host);
        cJSON_AddNumberToObject (item, "pid", peer->pid);
        cJSON_AddNumberToObject (item, "uptime_s", (double) (now - peer->joined) / 1000.0);
        if (peer->role == ROLE_NODE) {
            cJSON_AddNumberToObject (item, "cpus", peer->cpus);
            cJSON_AddNumberToObject (item, "actors", (double) peer->actors);
            cJSON_AddNumberToObject (item, "tasks", (double) peer->tasks);
            cJSON_AddItemToObject (item, "classes", s_names_array (peer->classes));
            cJSON_AddItemToObject (item, "functions", s_names_array (peer->functions));
            cJSON_AddItemToArray (nodes, item);
        }
        else
            cJSON_AddItemToArray (clients, item);
    }
    zlistx_destroy (&peers);
    if (zaf_json_bool (request, "actors", false)) {
        int limit = zaf_json_int (request, "limit", 1000);
        cJSON *actors = cJSON_AddArrayToObject (status, "actors");
        zlistx_t *items = zhashx_values (self->actors);
        int shown = 0;
        for (actor_t *actor = (actor_t *) zlistx_first (items); actor && shown < limit;
             actor = (actor_t *) zlistx_next (items), shown++) {
            cJSON *item = cJSON_CreateObject ();
            cJSON_AddStringToObject (item, "id", actor->id);
            cJSON_AddStringToObject (item, "class", actor->class_name);
            cJSON_AddStringToObject (item, "node", actor->node->name);
            if (actor->name)
                cJSON_AddStringToObject (item, "name", actor->name);
            cJSON_AddBoolToObject (item, "ready", actor->ready && !actor->restarting);
            cJSON_AddNumberToObject (item, "pending", (double) actor->pending);
            if (actor->spawn)
                cJSON_AddNumberToObject (item, "restarts", actor->restarts);
            if (actor->restarting)
                cJSON_AddBoolToObject (item, "restarting", true);
            if (actor->detached)
                cJSON_AddBoolToObject (item, "detached", true);
            cJSON_AddItemToArray (actors, item);
        }
        zlistx_destroy (&items);
    }
    cJSON *counters = cJSON_AddObjectToObject (status, "counters");
    #define COUNTER(field) cJSON_AddNumberToObject (counters, #field, (double) self->count.field)
    COUNTER (calls); COUNTER (tells); COUNTER (replies); COUNTER (spawns);
    COUNTER (submits); COUNTER (kills); COUNTER (lookups); COUNTER (errors_sent);
    COUNTER (malformed); COUNTER (unknown_peer); COUNTER (late_replies);
    COUNTER (wrong_peer); COUNTER (unroutable); COUNTER (overloaded); COUNTER (peers_lost);
    COUNTER (backlogged);
    #undef COUNTER
    return status;
}

static void
s_handle_status (self_t *self)
{
    size_t size;
    const char *body = zaf_proto_body (self->msg, &size);
    cJSON *request = size ? s_control_json (self, body, size, "STATUS request") : NULL;
    if (size && !request) {
        if (size <= ZAF_BROKER_CONTROL_MAX)
            s_refuse (self, ZAF_BAD_ARGS, "STATUS request is not valid JSON");
        return;
    }
    s_answer_ok (self, s_status (self, request));
    cJSON_Delete (request);
}

//  MONITOR: answered once, when the actor ends, with why. An actor that
//  has already ended is answered at once with the reason we remember.
static void
s_handle_monitor (self_t *self, peer_t *caller)
{
    const char *id = zaf_proto_actor (self->msg);
    actor_t *actor = (actor_t *) zhashx_lookup (self->actors, id);
    size_t size;
    zaf_proto_body (self->msg, &size);
    cJSON *request = size ? s_control_json (self, zaf_proto_body (self->msg, &size), size,
                                            "MONITOR request") : NULL;
    if (size && !request) {
        if (size <= ZAF_BROKER_CONTROL_MAX)
            s_refuse (self, ZAF_BAD_ARGS, "MONITOR request is not valid JSON");
        return;
    }
    const char *method = zaf_json_string (request, "notify", NULL);
    if (method) {
        //  An actor asks to be told by a TELL of one of its methods
        const char *watcher_id = zaf_json_string (request, "watcher", "");
        actor_t *watcher = (actor_t *) zhashx_lookup (self->actors, watcher_id);
        if (!zaf_registry_name_valid (method))
            s_refuse (self, ZAF_BAD_ARGS, "notify must name a method (printable ASCII)");
        else
        if (!watcher || watcher->node != caller)
            s_refuse (self, ZAF_BAD_ARGS, "watcher %s is not an actor of the requesting node",
                      watcher_id);
        else
        if (!actor && !zhashx_lookup (self->tombstones, id))
            s_refuse (self, ZAF_NO_SUCH_ACTOR, "no actor %s", id);
        else
        if (actor && actor->watchers && zlistx_size (actor->watchers) >= self->max_pending)
            s_refuse (self, ZAF_OVERLOADED, "actor %s has too many watchers", id);
        else {
            char *entry = zsys_sprintf ("%s %s", watcher->id, method);
            if (actor) {
                if (!actor->watchers) {
                    actor->watchers = zlistx_new ();
                    zlistx_set_destructor (actor->watchers, (zlistx_destructor_fn *) zstr_free);
                }
                zlistx_add_end (actor->watchers, entry);
            }
            else {
                //  Already ended: told at once
                s_notify_watcher (self, entry, id,
                                  (const char *) zhashx_lookup (self->tombstones, id));
                zstr_free (&entry);
            }
            cJSON *result = cJSON_CreateObject ();
            cJSON_AddBoolToObject (result, "watching", true);
            s_answer_ok (self, result);
        }
        cJSON_Delete (request);
        return;
    }
    cJSON_Delete (request);
    if (!actor) {
        const char *reason = (const char *) zhashx_lookup (self->tombstones, id);
        if (reason) {
            cJSON *result = cJSON_CreateObject ();
            cJSON_AddStringToObject (result, "actor", id);
            cJSON_AddStringToObject (result, "reason", reason);
            s_answer_ok (self, result);
        }
        else
            s_refuse (self, ZAF_NO_SUCH_ACTOR, "no actor %s", id);
        return;
    }
    s_flight_new (self, caller, FLIGHT_MONITOR, actor->node, actor);
}

//  STOP: a CLI asks the whole cluster to end. Answer first, then end the
//  loop; the goodbye tells every node to exit rather than dial again.
static void
s_handle_stop (self_t *self, peer_t *peer)
{
    if (peer->role != ROLE_CLI) {
        s_refuse (self, ZAF_UNAUTHORIZED, "only a cli peer may stop the cluster");
        return;
    }
    size_t nodes = 0;
    zlistx_t *peers = zhashx_values (self->peers);
    for (peer_t *other = (peer_t *) zlistx_first (peers); other;
         other = (peer_t *) zlistx_next (peers))
        if (other->role == ROLE_NODE)
            nodes++;
    zlistx_destroy (&peers);
    zsys_info ("zaf_broker: STOP from peer=%s name=%s host=%s pid=%d: stopping %zu node(s)",
               peer->hex, peer->name, peer->host, peer->pid, nodes);
    cJSON *result = cJSON_CreateObject ();
    cJSON_AddBoolToObject (result, "stopping", true);
    cJSON_AddNumberToObject (result, "nodes", (double) nodes);
    s_answer_ok (self, result);
    self->stopped = true;
    self->terminated = true;
}

//  --------------------------------------------------------------------------
//  One message from the ROUTER

static void
s_handle_router (self_t *self, int rc)
{
    size_t routing_size;
    const void *routing_id = zaf_proto_routing_id (self->msg, &routing_size);
    peer_t *peer = routing_size ? s_peer_lookup (self, routing_id, routing_size) : NULL;
    if (peer && peer->doomed)
        return;                 //  Being ended; what it says no longer counts
    if (peer)
        peer->last_seen = zclock_mono ();

    if (rc == -2) {
        self->count.malformed++;
        char hex [2 * ZAF_PROTO_ID_MAX + 1];
        s_hex ((const byte *) routing_id, routing_size, hex);
        s_warn (self, peer, "malformed message from peer=%s: %s", hex, zaf_proto_fault (self->msg));
        if (routing_size) {
            char message [ZAF_ERROR_MESSAGE_MAX];
            snprintf (message, sizeof (message), "malformed message: %s", zaf_proto_fault (self->msg));
            s_send_error (self, routing_id, routing_size, ZAF_PROTOCOL, message);
        }
        return;
    }
    zaf_proto_id_t id = zaf_proto_id (self->msg);
    if (self->verbose)
        zsys_debug ("zaf_broker: %s from peer=%s", zaf_proto_command_name (id),
                    peer ? peer->hex : "unknown");
    if (id == ZAF_PROTO_HELLO) {
        s_handle_hello (self, peer);
        return;
    }
    if (!peer) {
        //  A peer we do not know (or have declared lost): it must say HELLO
        self->count.unknown_peer++;
        if (id != ZAF_PROTO_BYE)
            s_send_bye (self, routing_id, routing_size, "unknown peer: say HELLO first", false);
        return;
    }
    bool from_node = peer->role == ROLE_NODE;
    switch (id) {
        case ZAF_PROTO_SPAWN:   s_handle_spawn (self, peer); break;
        case ZAF_PROTO_CALL:
        case ZAF_PROTO_TELL:    s_handle_call (self, peer); break;
        case ZAF_PROTO_SUBMIT:  s_handle_submit (self, peer); break;
        case ZAF_PROTO_KILL:    s_handle_kill (self, peer); break;
        case ZAF_PROTO_LOOKUP:  s_handle_lookup (self); break;
        case ZAF_PROTO_STATUS:  s_handle_status (self); break;
        case ZAF_PROTO_STOP:    s_handle_stop (self, peer); break;
        case ZAF_PROTO_MONITOR: s_handle_monitor (self, peer); break;
        case ZAF_PROTO_HEARTBEAT: break;
        case ZAF_PROTO_BYE:     s_peer_lost (self, peer, "said BYE"); break;
        case ZAF_PROTO_ERROR: {
            size_t size;
            const char *body = zaf_proto_body (self->msg, &size);
            zaf_error_t error;
            zaf_json_error_parse (body, size, &error);
            s_warn (self, peer, "ERROR from peer=%s code=%s message=%s", peer->hex,
                    zaf_code_name (error.code), error.message);
            break;
        }
        case ZAF_PROTO_REPLY:
        case ZAF_PROTO_SPAWNED:
        case ZAF_PROTO_EXIT:
            if (!from_node) {
                self->count.malformed++;
                s_warn (self, peer, "%s from a %s peer=%s refused", zaf_proto_command_name (id),
                        s_role_name (peer->role), peer->hex);
                s_send_error (self, routing_id, routing_size, ZAF_UNAUTHORIZED,
                              "only nodes send REPLY, SPAWNED and EXIT");
            }
            else
            if (id == ZAF_PROTO_REPLY)
                s_handle_reply (self, peer);
            else
            if (id == ZAF_PROTO_SPAWNED)
                s_handle_spawned (self, peer);
            else
                s_handle_exit (self, peer);
            break;
        default: {
            self->count.malformed++;
            char message [ZAF_ERROR_MESSAGE_MAX];
            snprintf (message, sizeof (message), "%s is not sent to the broker",
                      zaf_proto_command_name (id));
            s_warn (self, peer, "%s from peer=%s", message, peer->hex);
            s_send_error (self, routing_id, routing_size, ZAF_PROTOCOL, message);
        }
    }
}

//  --------------------------------------------------------------------------
//  Heartbeats: tell every peer we live; nodes that went quiet are lost, and
//  so is any peer whose connection is gone

static void
s_tick (self_t *self)
{
    if (self->unclaimed)
        s_expire_claims (self);
    int64_t now = zclock_mono ();
    int64_t window = (int64_t) self->heartbeat_ms * ZAF_HEARTBEAT_MISSES;
    zlistx_t *peers = zhashx_values (self->peers);
    for (peer_t *peer = (peer_t *) zlistx_first (peers); peer;
         peer = (peer_t *) zlistx_next (peers)) {
        if (peer->role == ROLE_NODE && now - peer->last_seen > window) {
            s_peer_lost (self, peer, "missed heartbeats");
            continue;
        }
        if (zlistx_size (peer->backlog))
            continue;           //  Its queue is full; it hears from us soon
        zaf_proto_reset (self->out);
        zaf_proto_set_id (self->out, ZAF_PROTO_HEARTBEAT);
        zaf_proto_set_routing_id (self->out, peer->key.data, peer->key.size);
        if (zaf_proto_send (self->out, self->router) && errno == EHOSTUNREACH)
            s_doom (self, peer, "connection closed");
    }
    zlistx_destroy (&peers);
}

//  End the peers found gone
static void
s_reap (self_t *self)
{
    while (self->doomed) {
        self->doomed = 0;
        zlistx_t *peers = zhashx_values (self->peers);
        for (peer_t *peer = (peer_t *) zlistx_first (peers); peer;
             peer = (peer_t *) zlistx_next (peers))
            if (peer->doomed)
                s_peer_lost (self, peer, peer->doomed);
        zlistx_destroy (&peers);
    }
}

//  --------------------------------------------------------------------------
//  Pipe commands

static void
s_handle_pipe (self_t *self)
{
    zmsg_t *request = zmsg_recv (self->pipe);
    if (!request) {
        self->terminated = true;
        return;
    }
    char *command = zmsg_popstr (request);
    if (!command)
        ;
    else
    if (streq (command, "$TERM"))
        self->terminated = true;
    else
    if (streq (command, "VERBOSE"))
        self->verbose = true;
    else
    if (streq (command, "QUIET"))
        self->quiet = true;
    else
    if (streq (command, "MAX-MESSAGE")) {
        char *value = zmsg_popstr (request);
        long size = value ? atol (value) : 0;
        if (size > 0)
            zsock_set_maxmsgsize (self->router, size);
        zstr_free (&value);
    }
    else
    if (streq (command, "HEARTBEAT")) {
        char *value = zmsg_popstr (request);
        int ms = value ? atoi (value) : 0;
        if (ms >= 10) {
            self->heartbeat_ms = ms;
            self->next_tick = zclock_mono () + ms;
        }
        zstr_free (&value);
    }
    else
    if (streq (command, "MAX-PENDING")) {
        char *value = zmsg_popstr (request);
        long pending = value ? atol (value) : 0;
        if (pending > 0)
            self->max_pending = (size_t) pending;
        zstr_free (&value);
    }
    else
    if (streq (command, "BIND")) {
        char *endpoint = zmsg_popstr (request);
        zsock_set_heartbeat_ivl (self->router, self->heartbeat_ms);
        zsock_set_heartbeat_timeout (self->router, self->heartbeat_ms * ZAF_HEARTBEAT_MISSES);
        if (endpoint && zsock_bind (self->router, "%s", endpoint) != -1) {
            //  The endpoint libzmq bound, with an OS-assigned port filled in
            char *shown = zsock_last_endpoint (self->router);
            if (!shown || !*shown) {
                zstr_free (&shown);
                shown = strdup (endpoint);
            }
            char *text = zsys_sprintf ("%s%s%s", self->endpoints, *self->endpoints ? " " : "", shown);
            free (self->endpoints);
            self->endpoints = text;
            if (!self->quiet)
                zsys_info ("zaf_broker: listening endpoint=%s session=%s", shown, self->session);
            zstr_sendx (self->pipe, "OK", shown, NULL);
            free (shown);
        }
        else
            zstr_sendx (self->pipe, "ERROR", endpoint ? zmq_strerror (errno) : "no endpoint", NULL);
        zstr_free (&endpoint);
    }
    else
    if (streq (command, "NODES")) {
        size_t nodes = 0;
        zlistx_t *peers = zhashx_values (self->peers);
        for (peer_t *peer = (peer_t *) zlistx_first (peers); peer;
             peer = (peer_t *) zlistx_next (peers))
            if (peer->role == ROLE_NODE)
                nodes++;
        zlistx_destroy (&peers);
        zstr_sendf (self->pipe, "%zu", nodes);
    }
    else
    if (streq (command, "STATUS")) {
        cJSON *status = s_status (self, NULL);
        char *text = cJSON_PrintUnformatted (status);
        zstr_send (self->pipe, text);
        cJSON_free (text);
        cJSON_Delete (status);
    }
    else
        zsys_error ("zaf_broker: unknown pipe command %s", command);
    zstr_free (&command);
    zmsg_destroy (&request);
}

//  --------------------------------------------------------------------------
//  The actor body

void
zaf_broker (zsock_t *pipe, void *args)
{
    (void) args;
    self_t *self = s_self_new (pipe);
    zsock_signal (pipe, 0);
    self->next_tick = zclock_mono () + self->heartbeat_ms;

    zmq_pollitem_t items [] = {
        { zsock_resolve (self->pipe), 0, ZMQ_POLLIN, 0 },
        { zsock_resolve (self->router), 0, ZMQ_POLLIN, 0 }
    };
    while (!self->terminated) {
        int64_t timeout = self->next_tick - zclock_mono ();
        if (self->backlogged && timeout > 5)
            timeout = 5;        //  No event says a queue drained: look again soon
        if (timeout < 0)
            timeout = 0;
        if (zmq_poll (items, 2, timeout) == -1 && errno == ETERM)
            break;
        if (items [0].revents & ZMQ_POLLIN)
            s_handle_pipe (self);
        //  Read until the socket is empty (bounded, so the pipe and the
        //  heartbeats get their turn under a flood)
        for (int count = 0; count < 10000 && !self->terminated; count++) {
            int rc = zaf_proto_recv_nowait (self->msg, self->router);
            if (rc == -1)
                break;
            s_handle_router (self, rc);
            s_reap (self);
        }
        if (self->backlogged)
            s_flush_backlogs (self);
        if (zclock_mono () >= self->next_tick) {
            s_tick (self);
            self->next_tick = zclock_mono () + self->heartbeat_ms;
        }
        s_reap (self);
    }
    //  Say goodbye so peers notice at once rather than after a heartbeat.
    //  After a STOP the goodbye asks nodes to exit instead of dialing again.
    zlistx_t *peers = zhashx_values (self->peers);
    for (peer_t *peer = (peer_t *) zlistx_first (peers); peer;
         peer = (peer_t *) zlistx_next (peers))
        s_send_bye (self, peer->key.data, peer->key.size,
                    self->stopped ? "cluster stopped" : "broker stopping", self->stopped);
    zlistx_destroy (&peers);
    zsock_set_linger (self->router, self->stopped ? 2000 : 200);
    bool stopped = self->stopped;
    s_self_destroy (&self);
    //  Tell our owner the cluster was stopped (it did not ask us to end)
    if (stopped)
        zstr_send (pipe, "STOPPED");
}
