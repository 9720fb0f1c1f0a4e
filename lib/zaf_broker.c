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
#include "zaf_broker_internal.h"

//  --------------------------------------------------------------------------
//  Maps keyed by binary keys (bkey_t): peers and flights

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
//  Logging bad input at a bounded rate

void
zaf_broker_warn (self_t *self, peer_t *peer, const char *format, ...)
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
        zaf_broker_actor_free (&actor);
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
void
zaf_broker_send_out (self_t *self, const void *routing_id, size_t size)
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
    zaf_broker_send_out (self, routing_id, routing_size);
}

//  Answer the message being handled (self->msg) with an error
void
zaf_broker_refuse (self_t *self, zaf_code_t code, const char *format, ...)
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
    zaf_broker_send_out (self, routing_id, size);
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
    zaf_broker_send_out (self, routing_id, size);
}

//  --------------------------------------------------------------------------
//  Flights

flight_t *
zaf_broker_flight_lookup (self_t *self, const void *caller, size_t caller_size,
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
//  A flight is reset from its key's data on (see zaf_broker_flight_new)
_Static_assert (offsetof (flight_t, key) == 0, "the key comes first in a flight");

//  Create a flight for the request in self->msg from caller. If the caller
//  already has a request in flight with that corr, refuse this one with
//  PROTOCOL and return NULL.
flight_t *
zaf_broker_flight_new (self_t *self, peer_t *caller, flight_kind_t kind, peer_t *node, actor_t *actor)
{
    size_t corr_size;
    const void *corr = zaf_proto_corr (self->msg, &corr_size);
    if (zaf_broker_flight_lookup (self, caller->key.data, caller->key.size, corr, corr_size)) {
        self->count.malformed++;
        zaf_broker_refuse (self, ZAF_PROTOCOL, "correlation id already in flight");
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

void
zaf_broker_flight_destroy (self_t *self, flight_t **flight_p)
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
void
zaf_broker_flight_fail (self_t *self, flight_t *flight, zaf_code_t code, const char *message)
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
        zaf_broker_send_out (self, caller, flight->caller_size);
    }
    else
        s_answer_error (self, flight->kind == FLIGHT_SPAWN ? ZAF_PROTO_SPAWNED : ZAF_PROTO_REPLY,
                        caller, flight->caller_size, corr, corr_size,
                        flight->actor ? flight->actor->id : "", code, "%s", message);
    zaf_broker_flight_destroy (self, &flight);
}

//  --------------------------------------------------------------------------
//  Losing a peer: every flight it owes or awaits ends now

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
        zaf_broker_flight_destroy (self, &flight);
        if (orphan)
            zaf_broker_kill_orphan (self, orphan);
    }
    if (peer->role == ROLE_NODE) {
        char message [ZAF_ERROR_MESSAGE_MAX];
        snprintf (message, sizeof (message), "node %s lost: %s", peer->name, reason);
        //  Tasks it was running
        while (!s_ring_empty (&peer->work)) {
            flight_t *flight = RING_ENTRY (peer->work.next, flight_t, by_target);
            zaf_broker_flight_fail (self, flight, ZAF_NODE_LOST, message);
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
                zaf_broker_actor_fail (self, actor, ZAF_NODE_LOST, "node_lost");
        }
        zlistx_destroy (&ids);
    }
    //  Actors it spawned (a driver, or a task on a node): their owner died
    while (!s_ring_empty (&peer->owned)) {
        actor_t *actor = RING_ENTRY (peer->owned.next, actor_t, sibling);
        zaf_broker_kill_actor (self, actor, "owner_died");
    }
    if (zlistx_size (peer->backlog))
        self->backlogged--;
    zhashx_delete (self->peers, &peer->key);
    s_peer_destroy (&peer);
}

//  --------------------------------------------------------------------------
//  Control bodies the broker parses (HELLO, SPAWN options, STATUS) are
//  small; anything bigger is refused before it reaches the parser

cJSON *
zaf_broker_control_json (self_t *self, const char *data, size_t size, const char *what)
{
    if (size > ZAF_BROKER_CONTROL_MAX) {
        zaf_broker_refuse (self, ZAF_BAD_ARGS, "%s is %zu bytes; at most %d are accepted", what, size,
                           ZAF_BROKER_CONTROL_MAX);
        return NULL;
    }
    return zaf_json_parse (data, size);
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
        zaf_broker_warn (self, known, "HELLO refused peer=%s: %s", known ? known->hex : "new", refusal);
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
            zaf_broker_warn (self, NULL, "HELLO refused: %s", message);
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
            adopted = zaf_broker_adopt (self, peer, cJSON_GetObjectItemCaseSensitive (hello, "actors"));
        else
            claimed = zaf_broker_claim (self, peer, cJSON_GetObjectItemCaseSensitive (hello, "owns"));
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
    zaf_broker_send_out (self, routing_id, routing_size);
}

//  --------------------------------------------------------------------------
//  Placement: the eligible node with the fewest actors, ties round-robin

peer_t *
zaf_broker_place (self_t *self, const char *class_name, const char *node_name, zaf_code_t *code)
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
        zaf_broker_flight_destroy (self, &flight);
    zaf_proto_set_routing_id (self->msg, caller->key.data, caller->key.size);
    if (error == EAGAIN) {
        self->count.overloaded++;
        if (zaf_proto_id (self->msg) != ZAF_PROTO_TELL)
            zaf_broker_refuse (self, ZAF_OVERLOADED, "queue to node %s is full", node->name);
    }
    else {
        if (zaf_proto_id (self->msg) != ZAF_PROTO_TELL)
            zaf_broker_refuse (self, ZAF_NODE_LOST, "node %s is gone", node->name);
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
//  SPAWN

static void
s_handle_spawn (self_t *self, peer_t *caller)
{
    self->count.spawns++;
    const char *class_name = zaf_proto_name (self->msg);
    size_t options_size;
    const char *options_text = zaf_proto_options (self->msg, &options_size);
    if (options_size > ZAF_BROKER_CONTROL_MAX) {
        zaf_broker_refuse (self, ZAF_BAD_ARGS, "spawn options are %zu bytes; at most %d are accepted",
                           options_size, ZAF_BROKER_CONTROL_MAX);
        return;
    }
    cJSON *options = options_size ? zaf_json_parse (options_text, options_size)
                                  : cJSON_CreateObject ();
    if (!cJSON_IsObject (options)) {
        zaf_broker_refuse (self, ZAF_BAD_ARGS, "spawn options must be a JSON object");
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
        zaf_broker_refuse (self, ZAF_BAD_ARGS, "max_restarts and max_call_retries must be -1 (no limit) or more");
        cJSON_Delete (options);
        return;
    }
    if (name && !zaf_registry_name_valid (name)) {
        zaf_broker_refuse (self, ZAF_BAD_ARGS, "actor name must be 1-255 printable ASCII bytes");
        cJSON_Delete (options);
        return;
    }
    if (detached && !name) {
        zaf_broker_refuse (self, ZAF_BAD_ARGS, "a detached actor needs a name (nobody could find it)");
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
            zaf_broker_refuse (self, ZAF_NAME_TAKEN, "actor %s (%s%s) already holds the name %s",
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
                zaf_broker_refuse (self, ZAF_ACTOR_DIED, "owner actor %s ended: %s", owner_id, reason);
            else
                zaf_broker_refuse (self, ZAF_BAD_ARGS, "owner %s is not an actor of the spawning node", owner_id);
            cJSON_Delete (options);
            return;
        }
    }
    zaf_code_t code = ZAF_OK;
    peer_t *node = zaf_broker_place (self, class_name, node_name, &code);
    if (!node) {
        if (code == ZAF_NO_SUCH_NODE)
            zaf_broker_refuse (self, code, "no live node is named %s", node_name);
        else
        if (node_name)
            zaf_broker_refuse (self, code, "node %s does not serve class %s", node_name, class_name);
        else
            zaf_broker_refuse (self, code, "no live node serves class %s", class_name);
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

    flight_t *flight = zaf_broker_flight_new (self, caller, FLIGHT_SPAWN, node, actor);
    if (!flight) {
        zaf_broker_actor_free (&actor);
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
            zaf_broker_actor_end (self, left, ZAF_NODE_LOST, "never started");
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
        zaf_broker_handle_respawned (self, node);    //  A restart we sent
        return;
    }
    flight_t *flight = zaf_broker_flight_lookup (self, caller, caller_size, corr, corr_size);
    if (!flight || flight->kind != FLIGHT_SPAWN || flight->node != node
    ||  strneq (flight->actor->id, zaf_proto_actor (self->msg))) {
        if (flight) {
            self->count.wrong_peer++;
            zaf_broker_warn (self, node, "SPAWNED from peer=%s for a request it may not answer dropped",
                             node->hex);
            s_send_error (self, node->key.data, node->key.size, ZAF_PROTOCOL,
                          "SPAWNED for a spawn that was not sent to you");
            return;
        }
        self->count.late_replies++;
        //  Its spawner is gone: an actor nobody holds must not live on
        actor_t *orphan = (actor_t *) zhashx_lookup (self->actors, zaf_proto_actor (self->msg));
        if (orphan && orphan->node == node && !orphan->ready && zaf_proto_ok (self->msg))
            zaf_broker_kill_orphan (self, orphan);
        return;
    }
    actor_t *actor = flight->actor;
    zaf_broker_flight_destroy (self, &flight);
    bool ok = zaf_proto_ok (self->msg);
    peer_t *spawner = s_peer_lookup (self, caller, caller_size);
    s_deliver (self, self->msg, caller, caller_size);
    if (ok) {
        actor->ready = true;
        if (!spawner || spawner->doomed)
            zaf_broker_kill_orphan (self, actor);
    }
    else
        zaf_broker_actor_end (self, actor, ZAF_ACTOR_DIED, "failed");
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
            zaf_broker_refuse (self, ZAF_ACTOR_DIED, "actor %s ended: %s", id, reason);
        else
            zaf_broker_refuse (self, ZAF_NO_SUCH_ACTOR, "no actor %s", id);
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
            zaf_broker_refuse (self, ZAF_OVERLOADED, "%s", message);
        else {
            size_t size;
            const void *routing_id = zaf_proto_routing_id (self->msg, &size);
            s_send_error (self, routing_id, size, ZAF_OVERLOADED, message);
        }
        return;
    }
    flight_t *flight = NULL;
    if (is_call) {
        flight = zaf_broker_flight_new (self, caller, FLIGHT_CALL, actor->node, actor);
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
            zaf_broker_hold (self, actor, flight);
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
    flight_t *flight = zaf_broker_flight_lookup (self, caller, caller_size, corr, corr_size);
    if (!flight) {
        //  Answered already (by a failure), or the caller is gone
        self->count.late_replies++;
        return;
    }
    if (flight->node != node || flight->kind == FLIGHT_SPAWN) {
        self->count.wrong_peer++;
        zaf_broker_warn (self, node, "REPLY from peer=%s for a request it may not answer dropped", node->hex);
        s_send_error (self, node->key.data, node->key.size, ZAF_PROTOCOL,
                      flight->node != node ? "REPLY for a call that was not sent to you"
                                           : "a SPAWN is answered with SPAWNED, not REPLY");
        return;
    }
    zaf_broker_flight_destroy (self, &flight);
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
        zaf_broker_refuse (self, ZAF_NO_SUCH_FUNCTION, "no live node serves function %s", function);
        return;
    }
    flight_t *flight = zaf_broker_flight_new (self, caller, FLIGHT_SUBMIT, node, NULL);
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
            zaf_broker_refuse (self, ZAF_NO_SUCH_ACTOR, "no actor %s", id);
        return;
    }
    flight_t *flight = NULL;
    if (answer) {
        flight = zaf_broker_flight_new (self, caller, FLIGHT_KILL, actor->node, actor);
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
            zaf_broker_warn (self, node, "EXIT for actor=%s from a node that does not host it", id);
        return;
    }
    cJSON *body = zaf_proto_body_json (self->msg);
    char reason [64];
    snprintf (reason, sizeof (reason), "%s", zaf_json_string (body, "reason", "normal"));
    cJSON_Delete (body);
    if (streq (reason, "failed"))
        zaf_broker_actor_fail (self, actor, ZAF_ACTOR_DIED, reason);
    else
        zaf_broker_actor_end (self, actor, ZAF_ACTOR_DIED, reason);
}

//  --------------------------------------------------------------------------
//  LOOKUP and STATUS

void
zaf_broker_answer_ok (self_t *self, cJSON *result)
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
        zaf_broker_refuse (self, ZAF_NO_SUCH_ACTOR, "no actor is named %s", name);
        return;
    }
    cJSON *result = cJSON_CreateObject ();
    cJSON_AddStringToObject (result, "actor", actor->id);
    cJSON_AddStringToObject (result, "class", actor->class_name);
    cJSON_AddStringToObject (result, "node", actor->node->name);
    zaf_broker_answer_ok (self, result);
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
    cJSON *request = size ? zaf_broker_control_json (self, body, size, "STATUS request") : NULL;
    if (size && !request) {
        if (size <= ZAF_BROKER_CONTROL_MAX)
            zaf_broker_refuse (self, ZAF_BAD_ARGS, "STATUS request is not valid JSON");
        return;
    }
    zaf_broker_answer_ok (self, s_status (self, request));
    cJSON_Delete (request);
}

//  STOP: a CLI asks the whole cluster to end. Answer first, then end the
//  loop; the goodbye tells every node to exit rather than dial again.
static void
s_handle_stop (self_t *self, peer_t *peer)
{
    if (peer->role != ROLE_CLI) {
        zaf_broker_refuse (self, ZAF_UNAUTHORIZED, "only a cli peer may stop the cluster");
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
    zaf_broker_answer_ok (self, result);
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
        zaf_broker_warn (self, peer, "malformed message from peer=%s: %s", hex, zaf_proto_fault (self->msg));
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
        case ZAF_PROTO_MONITOR: zaf_broker_handle_monitor (self, peer); break;
        case ZAF_PROTO_HEARTBEAT: break;
        case ZAF_PROTO_BYE:     s_peer_lost (self, peer, "said BYE"); break;
        case ZAF_PROTO_ERROR: {
            size_t size;
            const char *body = zaf_proto_body (self->msg, &size);
            zaf_error_t error;
            zaf_json_error_parse (body, size, &error);
            zaf_broker_warn (self, peer, "ERROR from peer=%s code=%s message=%s", peer->hex,
                             zaf_code_name (error.code), error.message);
            break;
        }
        case ZAF_PROTO_REPLY:
        case ZAF_PROTO_SPAWNED:
        case ZAF_PROTO_EXIT:
            if (!from_node) {
                self->count.malformed++;
                zaf_broker_warn (self, peer, "%s from a %s peer=%s refused", zaf_proto_command_name (id),
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
            zaf_broker_warn (self, peer, "%s from peer=%s", message, peer->hex);
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
        zaf_broker_expire_claims (self);
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
