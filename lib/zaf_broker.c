/*  =========================================================================
    zaf_broker - the broker engine, a czmq actor

    One thread: a loop over the actor pipe and one ROUTER that polls,
    dispatches and ticks. It reads the ROUTER until it is empty (bounded)
    before polling again, ends the peers found gone after each message,
    and calls s_tick every heartbeat interval for what time decides
    (heartbeats, silent nodes, unclaimed actors). This file routes: HELLO,
    CALL, TELL, REPLY, SUBMIT, KILL, EXIT, LOOKUP and BYE, and what losing
    a peer means. The state is split among the objects it owns, built
    bottom-up and destroyed top-down:

        peers -> out (the ROUTER's send path) -> flights -> actors
              -> spawn (placement, SPAWN, restarts), status (STATUS, STOP),
                 adopt (actors back after a broker restart) and keys
                 (roles from keys, the ZAP handler, revocation)

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
#include "zaf_broker_status.h"
#include "zaf_broker_spawn.h"
#include "zaf_broker_adopt.h"
#include "zaf_broker_ids.h"
#include "zaf_broker_keys.h"
#include "zaf_broker_rejoin.h"
#include "zaf_broker_retry.h"
#include "zaf_broker_drain.h"
#include "zaf_broker_metrics.h"
#include "zaf_broker_http.h"

typedef struct {
    zsock_t *pipe;                  //  Actor pipe
    zsock_t *router;                //  The ROUTER (owned by out)
    zaf_proto_t *msg;               //  Message being handled
    zaf_broker_stats_t stats;       //  Counters, lent to the objects below
    zaf_broker_peers_t *peers;      //  Peer table
    zaf_broker_out_t *out;          //  Send path
    zaf_broker_flights_t *flights;  //  Requests in flight
    zaf_broker_actors_t *actors;    //  Actor table
    zaf_broker_spawn_t *spawn;      //  Placement, SPAWN, restarts
    zaf_broker_status_t *status;    //  STATUS and STOP
    zaf_broker_adopt_t *adopt;      //  Actors back after a broker restart
    zaf_broker_keys_t *keys;        //  Keys: roles, ZAP, revocation (checks pass without)
    zaf_broker_metrics_t *metrics;  //  What the dashboard shows
    zaf_broker_http_t *http;        //  The dashboard, if started
    char session [40];              //  This broker's run
    int heartbeat_ms;
    int64_t next_tick;
    int64_t grace_until;            //  After a pause of ours: no peer is lost
                                    //  for a closed connection until then
    bool verbose;
    bool quiet;                     //  Log only warnings and errors
    bool terminated;
    bool stopped;                   //  A STOP ended us: nodes are told to exit
    bool id_secret_given;           //  ID-SECRET came: keys do not replace it
} self_t;

//  --------------------------------------------------------------------------
//  Construction

static self_t *
s_self_new (zsock_t *pipe)
{
    self_t *self = (self_t *) zmalloc (sizeof (self_t));
    assert (self);
    self->pipe = pipe;
    self->msg = zaf_proto_new ();
    self->heartbeat_ms = ZAF_HEARTBEAT_MS;
    zuuid_t *uuid = zuuid_new ();
    snprintf (self->session, sizeof (self->session), "%s", zuuid_str_canonical (uuid));
    zuuid_destroy (&uuid);
    self->peers = zaf_broker_peers_new ();
    self->out = zaf_broker_out_new (self->peers, &self->stats);
    self->router = zaf_broker_out_router (self->out);
    self->flights = zaf_broker_flights_new (self->out, &self->stats);
    self->actors = zaf_broker_actors_new (self->peers, self->flights, self->out, &self->stats);
    self->spawn = zaf_broker_spawn_new (self->peers, self->flights, self->actors, self->out,
                                        &self->stats);
    self->status = zaf_broker_status_new (self->session, self->peers, self->flights, self->actors,
                                          self->out, &self->stats);
    self->adopt = zaf_broker_adopt_new (self->peers, self->actors, self->out);
    self->keys = zaf_broker_keys_new (self->peers, self->flights, self->actors, self->out,
                                      &self->stats);
    self->metrics = zaf_broker_metrics_new (self->session, self->peers, self->flights,
                                            self->actors, &self->stats);
    zaf_broker_actors_set_on_end (self->actors,
                                  (zaf_broker_actors_end_fn *) zaf_broker_metrics_actor_ended,
                                  self->metrics);
    zaf_broker_status_set_metrics (self->status, self->metrics);
    return self;
}

static void
s_self_destroy (self_t **self_p)
{
    self_t *self = *self_p;
    //  The dashboard's thread first: it reads the metrics' board
    zaf_broker_http_destroy (&self->http);
    //  Top down: flights before actors and peers (they point into both)
    zaf_broker_keys_destroy (&self->keys);
    zaf_broker_adopt_destroy (&self->adopt);
    zaf_broker_status_destroy (&self->status);
    zaf_broker_spawn_destroy (&self->spawn);
    zaf_broker_flights_destroy (&self->flights);
    zaf_broker_actors_destroy (&self->actors);
    zaf_broker_out_destroy (&self->out);
    zaf_broker_peers_destroy (&self->peers);
    zaf_broker_metrics_destroy (&self->metrics);
    zaf_proto_destroy (&self->msg);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Losing a peer: every flight it owes or awaits ends now

static void
s_log_lost (self_t *self, zaf_broker_peer_t *peer, const char *reason)
{
    if (peer->role == ROLE_NODE && streq (reason, "dialed again"))
        ;                       //  Its new connection took over (logged there)
    else
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
        zsys_debug ("zaf_broker: %s left peer=%s reason=%s", zaf_broker_role_name (peer->role),
                    peer->hex, reason);
}

//  A node is lost: the tasks it ran fail, the actors it hosted fail (and
//  may restart elsewhere)
static void
s_node_lost (self_t *self, zaf_broker_peer_t *node, const char *reason)
{
    char message [ZAF_ERROR_MESSAGE_MAX];
    snprintf (message, sizeof (message), "node %s lost: %s", node->name, reason);
    while (!zaf_ring_empty (&node->work)) {
        zaf_broker_flight_t *flight = ZAF_RING_ENTRY (node->work.next, zaf_broker_flight_t, by_target);
        if (!zaf_broker_retry_task (self->spawn, self->flights, flight, ZAF_BROKER_RETRY_NODE_LOST))
            zaf_broker_flights_fail (self->flights, flight, ZAF_NODE_LOST, message);
    }
    //  Ending one actor may end others (what it owns), so look each up
    //  again by id before ending it
    zlistx_t *ids = zaf_broker_actors_on_node (self->actors, node);
    for (const char *id = (const char *) zlistx_first (ids); id;
         id = (const char *) zlistx_next (ids)) {
        zaf_broker_actor_t *actor = zaf_broker_actors_lookup (self->actors, id);
        if (actor)
            zaf_broker_spawn_fail (self->spawn, actor, ZAF_NODE_LOST, "node_lost");
    }
    zlistx_destroy (&ids);
}

static void
s_peer_lost (self_t *self, zaf_broker_peer_t *peer, const char *reason)
{
    self->stats.peers_lost++;
    if (!peer->doomed)
        peer->doomed = reason;  //  Sends nothing more to it from here on
    s_log_lost (self, peer, reason);
    zaf_broker_metrics_peer_lost (self->metrics, peer, reason);
    //  Its own requests: nobody to answer any more. An actor it was
    //  spawning would have no holder: it is killed as it comes up.
    while (!zaf_ring_empty (&peer->calls_out)) {
        zaf_broker_flight_t *flight = ZAF_RING_ENTRY (peer->calls_out.next, zaf_broker_flight_t, by_caller);
        zaf_broker_actor_t *orphan = flight->kind == FLIGHT_SPAWN && flight->node != peer ? flight->actor : NULL;
        zaf_broker_flights_end (self->flights, &flight);
        if (orphan)
            zaf_broker_actors_kill (self->actors, orphan, "owner_died");
    }
    if (peer->role == ROLE_NODE)
        s_node_lost (self, peer, reason);
    //  Actors it spawned (a driver, or a task on a node): their owner died
    while (!zaf_ring_empty (&peer->owned)) {
        zaf_broker_actor_t *actor = ZAF_RING_ENTRY (peer->owned.next, zaf_broker_actor_t, sibling);
        zaf_broker_actors_kill (self->actors, actor, "owner_died");
    }
    zaf_broker_out_forget (self->out, peer);
    zaf_broker_peers_remove (self->peers, &peer);
}

//  End the peers found gone
static void
s_reap (self_t *self)
{
    zlistx_t *doomed;
    while ((doomed = zaf_broker_peers_take_doomed (self->peers))) {
        for (zaf_broker_peer_t *peer = (zaf_broker_peer_t *) zlistx_first (doomed); peer;
             peer = (zaf_broker_peer_t *) zlistx_next (doomed))
            if (zclock_mono () < self->grace_until && streq (peer->doomed, "connection closed"))
                peer->doomed = NULL;    //  It may dial again (zaf_broker_rejoin)
            else
                s_peer_lost (self, peer, peer->doomed);
        zlistx_destroy (&doomed);
    }
}

//  --------------------------------------------------------------------------
//  HELLO

//  True if list is absent, or an array of at most ZAF_BROKER_HELLO_NAMES_MAX
//  valid names (classes and functions are spawned and submitted by name)
static bool
s_names_valid (const cJSON *list)
{
    if (!list)
        return true;
    if (!cJSON_IsArray (list) || cJSON_GetArraySize (list) > ZAF_BROKER_HELLO_NAMES_MAX)
        return false;
    const cJSON *item;
    cJSON_ArrayForEach (item, list)
        if (!zaf_registry_name_valid (cJSON_GetStringValue (item)))
            return false;
    return true;
}

//  Why a HELLO cannot be taken (PROTOCOL), or NULL
static const char *
s_hello_refusal (zaf_broker_role_t role, const cJSON *hello)
{
    if (!role)
        return "HELLO role must be node, driver or cli";
    if (!cJSON_IsObject (hello))
        return "HELLO body must be a JSON object";
    if (role == ROLE_NODE) {
        const cJSON *classes = cJSON_GetObjectItemCaseSensitive (hello, "classes");
        const cJSON *functions = cJSON_GetObjectItemCaseSensitive (hello, "functions");
        if ((classes && !zaf_json_is_string_array (classes))
        ||  (functions && !zaf_json_is_string_array (functions)))
            return "HELLO classes and functions must be arrays of strings";
        if (!s_names_valid (classes) || !s_names_valid (functions))
            return "HELLO classes and functions must be at most "
                   ZAF_STRINGIFY (ZAF_BROKER_HELLO_NAMES_MAX) " printable names each";
        if (!zaf_registry_name_valid (zaf_json_string (hello, "name", NULL)))
            return "HELLO from a node needs a printable name";
        const char *refusal = zaf_resources_check (
            cJSON_GetObjectItemCaseSensitive (hello, "resources"), true);
        if (!refusal)
            refusal = zaf_resources_check (cJSON_GetObjectItemCaseSensitive (hello, "labels"), false);
        if (refusal)
            return refusal;
    }
    return NULL;
}

//  Answer a HELLO with WELCOME
static void
s_welcome (self_t *self, zaf_broker_peer_t *peer, size_t adopted, size_t claimed, bool rejoined)
{
    cJSON *welcome = cJSON_CreateObject ();
    cJSON_AddStringToObject (welcome, "peer", peer->hex);
    cJSON_AddStringToObject (welcome, "session", self->session);
    cJSON_AddNumberToObject (welcome, "heartbeat_ms", self->heartbeat_ms);
    cJSON_AddNumberToObject (welcome, "version", 1);
    if (adopted)
        cJSON_AddNumberToObject (welcome, "adopted", (double) adopted);
    if (claimed)
        cJSON_AddNumberToObject (welcome, "claimed", (double) claimed);
    if (rejoined)
        cJSON_AddBoolToObject (welcome, "rejoined", true);
    zaf_proto_t *answer = zaf_broker_out_start (self->out, ZAF_PROTO_WELCOME);
    zaf_proto_set_body_json (answer, welcome);
    cJSON_Delete (welcome);
    zaf_broker_out_send (self->out, peer->key.data, peer->key.size);
}

static void
s_handle_hello (self_t *self, zaf_broker_peer_t *known)
{
    size_t routing_size;
    const void *routing_id = zaf_proto_routing_id (self->msg, &routing_size);
    zaf_broker_role_t role = zaf_broker_role_parse (zaf_proto_name (self->msg));
    size_t hello_size;
    zaf_proto_body (self->msg, &hello_size);
    cJSON *hello = hello_size <= ZAF_BROKER_CONTROL_MAX ? zaf_proto_body_json (self->msg) : NULL;
    const char *refusal = s_hello_refusal (role, hello);
    if (refusal) {
        zaf_broker_out_warn (self->out, known, "HELLO refused peer=%s: %s",
                             known ? known->hex : "new", refusal);
        zaf_broker_out_error (self->out, routing_id, routing_size, ZAF_PROTOCOL, refusal);
        cJSON_Delete (hello);
        return;
    }
    //  With keys, the key's role decides: only node keys register nodes;
    //  driver and admin keys connect drivers and CLIs, and so do node keys
    //  (a node's actors with max_concurrency > 1 call out as drivers)
    zaf_auth_role_t key_role = zaf_broker_keys_role (self->keys, self->msg);
    bool anonymous = routing_size == 0 || ((const byte *) routing_id) [0] == 0;
    if (zaf_broker_keys_auth (self->keys)
    &&  (anonymous || key_role == ZAF_AUTH_NONE
     ||  (role == ROLE_NODE && key_role != ZAF_AUTH_NODE))) {
        //  With keys, routing ids that libzmq reserves (first byte 0) are
        //  never welcomed: the ids it generates are never revealed to a
        //  peer, so none can squat the next one (docs/SECURITY.md)
        char message [ZAF_ERROR_MESSAGE_MAX];
        if (anonymous)
            snprintf (message, sizeof (message), "with keys a peer sets its own routing id"
                      " (ZMQ_ROUTING_ID, first byte not 0)");
        else
            snprintf (message, sizeof (message), "a %s key may not say HELLO as %s",
                      zaf_auth_role_name (key_role), zaf_broker_role_name (role));
        self->stats.unauthorized++;
        zaf_broker_out_warn (self->out, NULL, "HELLO refused key=%s: %s",
                             zaf_proto_user (self->msg), message);
        zaf_broker_out_error (self->out, routing_id, routing_size, ZAF_UNAUTHORIZED, message);
        cJSON_Delete (hello);
        return;
    }
    //  Node names are unique among live nodes
    const char *name = zaf_json_string (hello, "name", "");
    const char *session = zaf_json_string (hello, "session", "");
    zaf_broker_peer_t *before = role == ROLE_NODE
                              ? zaf_broker_peers_node_named (self->peers, name, known) : NULL;
    if (before && streq (session, self->session) && zaf_broker_rejoin_same_node (before, hello))
        ;                       //  The same node dialed again: it takes over below
    else
    if (before) {
        char message [ZAF_ERROR_MESSAGE_MAX];
        snprintf (message, sizeof (message),
                  "a live node is already named %s; retry after it is gone", name);
        zaf_broker_out_warn (self->out, NULL, "HELLO refused: %s", message);
        zaf_broker_out_error (self->out, routing_id, routing_size, ZAF_NAME_TAKEN, message);
        cJSON_Delete (hello);
        return;
    }
    //  A second HELLO on one connection starts that peer afresh. With keys,
    //  a record under this routing id with another key is of a connection
    //  that is gone (libzmq gives a routing id to one live connection)
    if (!known)
        known = zaf_broker_peers_lookup (self->peers, routing_id, routing_size);
    if (known)
        s_peer_lost (self, known, "said HELLO again");
    zaf_broker_peer_t *peer = zaf_broker_peers_add (self->peers, routing_id, routing_size, role, hello);
    snprintf (peer->user, sizeof (peer->user), "%s", zaf_proto_user (self->msg));
    peer->admin = key_role == ZAF_AUTH_ADMIN;
    //  After a broker restart: nodes bring their actors back, drivers claim
    //  the actors they own
    size_t adopted = 0, claimed = 0;
    if (before) {
        size_t moved = zaf_broker_rejoin_node (self->actors, before, peer);
        zsys_info ("zaf_broker: node dialed again name=%s peer=%s actors=%zu", name, peer->hex, moved);
        s_peer_lost (self, before, "dialed again");
        cJSON_AddBoolToObject (hello, "rejoined", true);
    }
    else
    if (*session && streq (session, self->session) && zclock_mono () < self->grace_until)
        claimed = zaf_broker_rejoin_claim (self->actors, peer,
                                           cJSON_GetObjectItemCaseSensitive (hello, "owns"));
    if (*session && strneq (session, self->session)) {
        if (role == ROLE_NODE)
            adopted = zaf_broker_adopt_node (self->adopt, peer,
                          cJSON_GetObjectItemCaseSensitive (hello, "actors"),
                          zclock_mono () + (int64_t) self->heartbeat_ms * ZAF_BROKER_CLAIM_BEATS);
        else
            claimed = zaf_broker_adopt_claim (self->adopt, peer,
                          cJSON_GetObjectItemCaseSensitive (hello, "owns"),
                          zaf_broker_actors_max_pending (self->actors));
    }
    bool rejoined = zaf_json_bool (hello, "rejoined", false);
    cJSON_Delete (hello);
    char host [256];
    if (role == ROLE_NODE && !self->quiet)
        zsys_info ("zaf_broker: node joined name=%s host=%s pid=%d cpus=%d classes=%zu functions=%zu",
                   peer->name, zaf_escape (peer->host, host, sizeof (host)), peer->pid, peer->cpus,
                   zhashx_size (peer->classes), zhashx_size (peer->functions));
    else
    if (self->verbose)
        zsys_debug ("zaf_broker: %s joined peer=%s", zaf_broker_role_name (role), peer->hex);
    s_welcome (self, peer, adopted, claimed, rejoined);
}

//  --------------------------------------------------------------------------
//  CALL and TELL

//  Say to the sender of self->msg, a TELL, that it was not delivered
static void
s_tell_undelivered (self_t *self, zaf_code_t code, const char *message)
{
    size_t size;
    const void *routing_id = zaf_proto_routing_id (self->msg, &size);
    zaf_broker_out_error (self->out, routing_id, size, code, message);
}

//  The actor a CALL or TELL goes to, or NULL after saying why not
static zaf_broker_actor_t *
s_target (self_t *self, bool is_call)
{
    const char *id = zaf_proto_actor (self->msg);
    zaf_broker_actor_t *actor = zaf_broker_actors_lookup (self->actors, id);
    if (actor)
        return actor;
    const char *reason = zaf_broker_actors_tombstone (self->actors, id);
    if (is_call) {
        if (reason)
            zaf_broker_out_refuse (self->out, self->msg, ZAF_ACTOR_DIED, "actor %s ended: %s",
                                   id, reason);
        else
            zaf_broker_out_refuse (self->out, self->msg, ZAF_NO_SUCH_ACTOR, "no actor %s", id);
    }
    else {
        //  A tell has no answer; say so on the side rather than drop it
        char message [ZAF_ERROR_MESSAGE_MAX];
        snprintf (message, sizeof (message), "tell %s to actor %s not delivered: %s",
                  zaf_proto_name (self->msg), id, reason ? "it has ended" : "no such actor");
        s_tell_undelivered (self, reason ? ZAF_ACTOR_DIED : ZAF_NO_SUCH_ACTOR, message);
    }
    return NULL;
}

static void
s_handle_call (self_t *self, zaf_broker_peer_t *caller)
{
    bool is_call = zaf_proto_id (self->msg) == ZAF_PROTO_CALL;
    if (is_call)
        self->stats.calls++;
    else
        self->stats.tells++;
    if (zaf_broker_flights_expired (self->flights, self->msg))
        return;
    zaf_broker_actor_t *actor = s_target (self, is_call);
    if (!actor)
        return;
    size_t max_pending = zaf_broker_actors_max_pending (self->actors);
    if (actor->pending >= max_pending) {
        self->stats.overloaded++;
        char message [ZAF_ERROR_MESSAGE_MAX];
        snprintf (message, sizeof (message), "actor %s has %zu calls pending (bound %zu)%s",
                  actor->id, actor->pending, max_pending, is_call ? "" : "; tell not delivered");
        if (is_call)
            zaf_broker_out_refuse (self->out, self->msg, ZAF_OVERLOADED, "%s", message);
        else
            s_tell_undelivered (self, ZAF_OVERLOADED, message);
        return;
    }
    zaf_broker_flight_t *flight = NULL;
    if (is_call) {
        flight = zaf_broker_actors_flight (self->actors, self->msg, caller, FLIGHT_CALL, actor);
        if (!flight)
            return;
    }
    if (actor->restarting || actor->moving || actor->call_retries) {
        zaf_proto_set_caller (self->msg, caller->key.data, caller->key.size);
        if (actor->restarting || actor->moving) {
            //  Its next incarnation is on the way: the request waits for it
            if (!flight && actor->held && zlistx_size (actor->held) >= max_pending) {
                zaf_broker_out_error (self->out, caller->key.data, caller->key.size, ZAF_OVERLOADED,
                                      "actor is restarting and has too many requests waiting");
                return;
            }
            zaf_broker_actors_hold (self->actors, actor, self->msg, flight);
            return;
        }
        if (flight)
            flight->copy = zaf_proto_dup (self->msg);
    }
    zaf_broker_flights_forward (self->flights, self->msg, caller, actor->node, flight);
}

//  REPLY from a node
static void
s_handle_reply (self_t *self, zaf_broker_peer_t *node)
{
    self->stats.replies++;
    size_t caller_size, corr_size;
    const void *caller = zaf_proto_caller (self->msg, &caller_size);
    const void *corr = zaf_proto_corr (self->msg, &corr_size);
    zaf_broker_flight_t *flight = zaf_broker_flights_lookup (self->flights, caller, caller_size, corr, corr_size);
    if (!flight) {
        //  Answered already (by a failure), or the caller is gone
        self->stats.late_replies++;
        return;
    }
    if (flight->node != node || flight->kind == FLIGHT_SPAWN) {
        self->stats.wrong_peer++;
        zaf_broker_out_warn (self->out, node, "REPLY from peer=%s for a request it may not answer dropped",
                             node->hex);
        zaf_broker_out_error (self->out, node->key.data, node->key.size, ZAF_PROTOCOL,
                              flight->node != node ? "REPLY for a call that was not sent to you"
                                                   : "a SPAWN is answered with SPAWNED, not REPLY");
        return;
    }
    if (flight->copy && flight->kind == FLIGHT_SUBMIT && !zaf_proto_ok (self->msg)
    &&  zaf_broker_retry_failed (self->spawn, self->flights, flight, self->msg))
        return;                 //  Sent again
    if (flight->copy && flight->kind == FLIGHT_CALL && !zaf_proto_ok (self->msg)
    &&  zaf_broker_retry_call (self->actors, self->out, self->flights, flight, self->msg))
        return;                 //  Sent to the actor again
    zaf_broker_flights_end (self->flights, &flight);
    zaf_broker_out_deliver (self->out, self->msg, caller, caller_size);
}

//  --------------------------------------------------------------------------
//  SUBMIT

static void
s_handle_submit (self_t *self, zaf_broker_peer_t *caller)
{
    self->stats.submits++;
    if (zaf_broker_flights_expired (self->flights, self->msg))
        return;
    const char *function = zaf_proto_name (self->msg);
    char message [ZAF_ERROR_MESSAGE_MAX];
    zaf_demand_t *demand = NULL;
    if (zaf_broker_retry_demand (self->msg, &demand, message, sizeof (message))) {
        zaf_broker_out_refuse (self->out, self->msg, ZAF_BAD_ARGS, "%s", message);
        return;
    }
    zaf_code_t code = ZAF_NO_SUCH_FUNCTION;
    zaf_broker_peer_t *node = zaf_broker_spawn_place_task (self->spawn, function, demand, &code,
                                                           message, sizeof (message));
    if (!node) {
        zaf_demand_destroy (&demand);
        zaf_broker_out_refuse (self->out, self->msg, code, "%s", message);
        return;
    }
    zaf_broker_flight_t *flight = zaf_broker_flights_start (self->flights, self->msg, caller, FLIGHT_SUBMIT,
                                                 node, &node->work, NULL);
    if (!flight) {
        zaf_demand_destroy (&demand);
        return;
    }
    //  Its resources are the node's until the flight ends (flights_end)
    flight->demand = demand;
    if (demand && node->capacity)
        zaf_capacity_reserve (node->capacity, demand);
    zaf_broker_retry_keep (flight, self->msg);
    zaf_broker_flights_forward (self->flights, self->msg, caller, node, flight);
}

//  --------------------------------------------------------------------------
//  KILL and EXIT

static void
s_handle_kill (self_t *self, zaf_broker_peer_t *caller)
{
    self->stats.kills++;
    size_t corr_size;
    zaf_proto_corr (self->msg, &corr_size);
    bool answer = corr_size > 0;
    const char *id = zaf_proto_actor (self->msg);
    zaf_broker_actor_t *actor = zaf_broker_actors_lookup (self->actors, id);
    if (!actor) {
        if (!answer)
            return;
        if (zaf_broker_actors_tombstone (self->actors, id)) {
            //  Already dead: killing it again is not an error
            zaf_proto_set_id (self->msg, ZAF_PROTO_REPLY);
            zaf_proto_set_ok (self->msg, true);
            zaf_proto_set_body (self->msg, "null", 4);
            zaf_broker_out_return (self->out, self->msg);
        }
        else
            zaf_broker_out_refuse (self->out, self->msg, ZAF_NO_SUCH_ACTOR, "no actor %s", id);
        return;
    }
    if (!zaf_broker_keys_may_kill (self->keys, caller, actor)) {
        self->stats.unauthorized++;
        if (answer)
            zaf_broker_out_refuse (self->out, self->msg, ZAF_UNAUTHORIZED,
                                   "actor %s is not yours: only an admin key kills it", id);
        else
            zaf_broker_out_error (self->out, caller->key.data, caller->key.size, ZAF_UNAUTHORIZED,
                                  "actor is not yours: only an admin key kills it");
        return;
    }
    zaf_broker_flight_t *flight = NULL;
    if (answer) {
        flight = zaf_broker_actors_flight (self->actors, self->msg, caller, FLIGHT_KILL, actor);
        if (!flight)
            return;
    }
    zaf_broker_flights_forward (self->flights, self->msg, caller, actor->node, flight);
}

static void
s_handle_exit (self_t *self, zaf_broker_peer_t *node)
{
    const char *id = zaf_proto_actor (self->msg);
    zaf_broker_actor_t *actor = zaf_broker_actors_lookup (self->actors, id);
    if (!actor || actor->node != node) {
        if (actor)
            zaf_broker_out_warn (self->out, node, "EXIT for actor=%s from a node that does not host it", id);
        return;
    }
    cJSON *body = zaf_proto_body_json (self->msg);
    char reason [64];
    snprintf (reason, sizeof (reason), "%s", zaf_json_string (body, "reason", "normal"));
    cJSON_Delete (body);
    if (streq (reason, "failed"))
        zaf_broker_spawn_fail (self->spawn, actor, ZAF_ACTOR_DIED, reason);
    else
        zaf_broker_actors_end (self->actors, actor, ZAF_ACTOR_DIED, reason);
}

//  --------------------------------------------------------------------------
//  LOOKUP

static void
s_handle_lookup (self_t *self)
{
    self->stats.lookups++;
    const char *name = zaf_proto_name (self->msg);
    zaf_broker_actor_t *actor = zaf_broker_actors_named (self->actors, name);
    if (!actor || !actor->ready) {
        zaf_broker_out_refuse (self->out, self->msg, ZAF_NO_SUCH_ACTOR, "no actor is named %s", name);
        return;
    }
    cJSON *result = cJSON_CreateObject ();
    cJSON_AddStringToObject (result, "actor", actor->id);
    cJSON_AddStringToObject (result, "class", actor->class_name);
    cJSON_AddStringToObject (result, "node", actor->node->name);
    zaf_broker_out_answer_ok (self->out, self->msg, result);
}

//  --------------------------------------------------------------------------
//  One message from the ROUTER

//  A malformed message (the codec said why)
static void
s_handle_malformed (self_t *self, zaf_broker_peer_t *peer, const void *routing_id, size_t routing_size)
{
    self->stats.malformed++;
    char hex [2 * ZAF_PROTO_ID_MAX + 1];
    zaf_broker_hex ((const byte *) routing_id, routing_size, hex);
    zaf_broker_out_warn (self->out, peer, "malformed message from peer=%s: %s", hex,
                         zaf_proto_fault (self->msg));
    if (routing_size) {
        char message [ZAF_ERROR_MESSAGE_MAX];
        snprintf (message, sizeof (message), "malformed message: %s", zaf_proto_fault (self->msg));
        zaf_broker_out_error (self->out, routing_id, routing_size, ZAF_PROTOCOL, message);
    }
}

//  REPLY, SPAWNED and EXIT: answers only nodes give
static void
s_handle_from_node (self_t *self, zaf_broker_peer_t *peer, zaf_proto_id_t id)
{
    if (peer->role != ROLE_NODE) {
        self->stats.malformed++;
        zaf_broker_out_warn (self->out, peer, "%s from a %s peer=%s refused",
                             zaf_proto_command_name (id), zaf_broker_role_name (peer->role),
                             peer->hex);
        zaf_broker_out_error (self->out, peer->key.data, peer->key.size, ZAF_UNAUTHORIZED,
                              "only nodes send REPLY, SPAWNED and EXIT");
    }
    else
    if (id == ZAF_PROTO_REPLY)
        s_handle_reply (self, peer);
    else
    if (id == ZAF_PROTO_SPAWNED)
        zaf_broker_spawn_handle_spawned (self->spawn, self->msg, peer);
    else
        s_handle_exit (self, peer);
}

//  An ERROR a peer sent us: logged, nothing else
static void
s_handle_error (self_t *self, zaf_broker_peer_t *peer)
{
    size_t size;
    const char *body = zaf_proto_body (self->msg, &size);
    zaf_error_t error;
    zaf_error_parse (body, size, &error);
    zaf_broker_out_warn (self->out, peer, "ERROR from peer=%s code=%s message=%s", peer->hex,
                         zaf_code_name (error.code), error.message);
}

static void
s_handle_router (self_t *self, int rc)
{
    size_t routing_size;
    const void *routing_id = zaf_proto_routing_id (self->msg, &routing_size);
    zaf_broker_peer_t *peer = routing_size ? zaf_broker_peers_lookup (self->peers, routing_id, routing_size)
                                : NULL;
    //  With keys, a peer is its routing id and its key: another connection
    //  that took the routing id is not that peer
    if (peer && !zaf_broker_keys_same (self->keys, peer, self->msg))
        peer = NULL;
    if (peer && peer->doomed)
        return;                 //  Being ended; what it says no longer counts
    if (peer)
        peer->last_seen = zclock_mono ();
    if (rc == -2) {
        s_handle_malformed (self, peer, routing_id, routing_size);
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
        self->stats.unknown_peer++;
        if (id != ZAF_PROTO_BYE)
            zaf_broker_out_bye (self->out, routing_id, routing_size,
                                "unknown peer: say HELLO first", false);
        return;
    }
    switch (id) {
        case ZAF_PROTO_SPAWN:   zaf_broker_spawn_handle (self->spawn, self->msg, peer); break;
        case ZAF_PROTO_CALL:
        case ZAF_PROTO_TELL:    s_handle_call (self, peer); break;
        case ZAF_PROTO_SUBMIT:  s_handle_submit (self, peer); break;
        case ZAF_PROTO_KILL:    s_handle_kill (self, peer); break;
        case ZAF_PROTO_LOOKUP:  s_handle_lookup (self); break;
        case ZAF_PROTO_STATUS:  zaf_broker_status_handle (self->status, self->msg); break;
        case ZAF_PROTO_MONITOR: zaf_broker_actors_handle_monitor (self->actors, self->msg, peer); break;
        case ZAF_PROTO_CANCEL:  zaf_broker_flights_cancel (self->flights, self->msg, peer); break;
        case ZAF_PROTO_DRAIN:
            //  Taking a node out of service is the operator's, as STOP is
            if (!zaf_broker_keys_may_stop (self->keys, peer)) {
                self->stats.unauthorized++;
                zaf_broker_out_refuse (self->out, self->msg, ZAF_UNAUTHORIZED,
                                       "only an admin key may drain a node");
            }
            else
                zaf_broker_drain_handle (self->peers, self->out, self->msg);
            break;
        case ZAF_PROTO_HEARTBEAT: zaf_broker_metrics_heartbeat (self->metrics, peer, self->msg); break;
        case ZAF_PROTO_BYE:     s_peer_lost (self, peer, "said BYE"); break;
        case ZAF_PROTO_ERROR:   s_handle_error (self, peer); break;
        case ZAF_PROTO_REVOKE:  zaf_broker_keys_handle_revoke (self->keys, self->msg, peer); break;
        case ZAF_PROTO_STOP:
            if (!zaf_broker_keys_may_stop (self->keys, peer)) {
                self->stats.unauthorized++;
                zaf_broker_out_refuse (self->out, self->msg, ZAF_UNAUTHORIZED,
                                       "only an admin key may stop the cluster");
            }
            else
            if (zaf_broker_status_handle_stop (self->status, self->msg, peer))
                self->stopped = self->terminated = true;
            break;
        case ZAF_PROTO_REPLY:
        case ZAF_PROTO_SPAWNED:
        case ZAF_PROTO_EXIT:    s_handle_from_node (self, peer, id); break;
        default: {
            char message [ZAF_ERROR_MESSAGE_MAX];
            snprintf (message, sizeof (message), "%s is not sent to the broker",
                      zaf_proto_command_name (id));
            self->stats.malformed++;
            zaf_broker_out_warn (self->out, peer, "%s from peer=%s", message, peer->hex);
            zaf_broker_out_error (self->out, peer->key.data, peer->key.size, ZAF_PROTOCOL, message);
        }
    }
}

//  --------------------------------------------------------------------------
//  The tick, every heartbeat interval: adopted actors whose owner did not
//  claim them in time end; nodes that went quiet are lost; every other
//  peer hears we live (and a peer whose connection is gone is doomed)

static void
s_tick (self_t *self)
{
    if (zaf_broker_adopt_waiting (self->adopt))
        zaf_broker_adopt_expire (self->adopt);
    int64_t now = zclock_mono ();
    int64_t window = (int64_t) self->heartbeat_ms * ZAF_HEARTBEAT_MISSES;
    zlistx_t *peers = zaf_broker_peers_list (self->peers);
    for (zaf_broker_peer_t *peer = (zaf_broker_peer_t *) zlistx_first (peers); peer;
         peer = (zaf_broker_peer_t *) zlistx_next (peers)) {
        if (peer->role == ROLE_NODE && now - peer->last_seen > window)
            s_peer_lost (self, peer, "missed heartbeats");
        else
            zaf_broker_out_heartbeat (self->out, peer);
    }
    zlistx_destroy (&peers);
    zaf_broker_out_tick (self->out);
    zaf_broker_drain_tick (self->peers, self->actors, self->spawn, self->out);
}

//  Our tick was due more than an interval ago: this broker was not running
//  (stopped, paused, migrated). Peers were silent because we were: each
//  gets a fresh grace period, and none is lost for a connection closed
//  meanwhile until it ends (docs/PROTOCOL.md section 8).
static void
s_resume (self_t *self, int64_t now)
{
    int64_t window = (int64_t) self->heartbeat_ms * ZAF_HEARTBEAT_MISSES;
    zsys_warning ("zaf_broker: was not running for %" PRId64 " ms; peers get %" PRId64 " ms of grace",
                  now - self->next_tick + self->heartbeat_ms, window);
    zlistx_t *peers = zaf_broker_peers_list (self->peers);
    for (zaf_broker_peer_t *peer = (zaf_broker_peer_t *) zlistx_first (peers); peer;
         peer = (zaf_broker_peer_t *) zlistx_next (peers))
        peer->last_seen = now;
    zlistx_destroy (&peers);
    self->grace_until = now + window;
    self->next_tick = now;
}

//  Were we running all along? (A stop can come anywhere in the loop: look
//  before every step that may lose a peer.)
static void
s_check_pause (self_t *self)
{
    int64_t now = zclock_mono ();
    if (now - self->next_tick > self->heartbeat_ms)
        s_resume (self, now);
}

//  --------------------------------------------------------------------------
//  Pipe commands

//  The value of a numeric pipe command, or 0
static long
s_pipe_number (zmsg_t *request)
{
    char *value = zmsg_popstr (request);
    long number = value ? atol (value) : 0;
    zstr_free (&value);
    return number;
}

static void
s_handle_bind (self_t *self, zmsg_t *request)
{
    char *endpoint = zmsg_popstr (request);
    zsock_set_heartbeat_ivl (self->router, self->heartbeat_ms);
    zsock_set_heartbeat_timeout (self->router, self->heartbeat_ms * ZAF_HEARTBEAT_MISSES);
    zsock_set_handshake_ivl (self->router, ZAF_AUTH_HANDSHAKE_MS);
    if (endpoint && zsock_bind (self->router, "%s", endpoint) != -1) {
        //  The endpoint libzmq bound, with an OS-assigned port filled in
        char *shown = zsock_last_endpoint (self->router);
        if (!shown || !*shown) {
            zstr_free (&shown);
            shown = strdup (endpoint);
        }
        zaf_broker_status_add_endpoint (self->status, shown);
        zaf_broker_metrics_add_endpoint (self->metrics, shown);
        if (!self->quiet)
            zsys_info ("zaf_broker: listening endpoint=%s session=%s", shown, self->session);
        zstr_sendx (self->pipe, "OK", shown, NULL);
        free (shown);
    }
    else
        zstr_sendx (self->pipe, "ERROR", endpoint ? zmq_strerror (errno) : "no endpoint", NULL);
    zstr_free (&endpoint);
}

//  ID-SECRET <64 hex digits>: tag actor ids under this secret; answers
//  "OK", or "ERROR" <reason>
static void
s_handle_id_secret (self_t *self, zmsg_t *request)
{
    char *hex = zmsg_popstr (request);
    byte secret [ZAF_BROKER_SECRET_SIZE];
    bool valid = hex && strlen (hex) == 2 * ZAF_BROKER_SECRET_SIZE;
    for (size_t index = 0; valid && index < ZAF_BROKER_SECRET_SIZE; index++) {
        unsigned int value = 0;
        valid = isxdigit ((unsigned char) hex [2 * index])
             && isxdigit ((unsigned char) hex [2 * index + 1])
             && sscanf (hex + 2 * index, "%2x", &value) == 1;
        secret [index] = (byte) value;
    }
    if (valid) {
        zaf_broker_actors_set_id_secret (self->actors, secret);
        self->id_secret_given = true;
        zstr_send (self->pipe, "OK");
    }
    else
        zstr_sendx (self->pipe, "ERROR", "the id secret must be 64 hex digits", NULL);
    memset (secret, 0, sizeof (secret));
    if (hex)
        memset (hex, 0, strlen (hex));
    zstr_free (&hex);
}

//  KEYS <dir> [<own key file>]: load the keys and make the ROUTER a CURVE
//  server (before BIND). Answers "OK" <public key> or "ERROR" <reason>.
static void
s_handle_keys (self_t *self, zmsg_t *request)
{
    char *dir = zmsg_popstr (request);
    char *own = zmsg_popstr (request);
    zaf_error_t err;
    zaf_error_clear (&err);
    if (dir && zaf_broker_keys_load (self->keys, dir, own && *own ? own : NULL, self->router,
                                     &err) == 0) {
        zaf_proto_set_want_user (self->msg, true);
        //  Without a secret of its own, the id secret comes from the key
        //  pair, so a restarted broker with the same keys knows its ids
        if (!self->id_secret_given)
            zaf_broker_actors_set_id_secret (self->actors,
                zaf_broker_auth_secret (zaf_broker_keys_auth (self->keys)));
        zstr_sendx (self->pipe, "OK", zaf_auth_public (zaf_broker_keys_auth (self->keys)), NULL);
    }
    else
        zstr_sendx (self->pipe, "ERROR", dir ? err.message : "no key directory", NULL);
    zstr_free (&dir);
    zstr_free (&own);
}

//  DASHBOARD address: start the dashboard there (zaf_broker_http says OK or
//  ERROR on the pipe)
static void
s_handle_dashboard (self_t *self, zmsg_t *request)
{
    char *address = zmsg_popstr (request);
    zaf_broker_http_t *http = zaf_broker_http_command (address, self->http != NULL,
                                                       zaf_broker_metrics_board (self->metrics),
                                                       self->pipe, self->quiet);
    if (http) {
        self->http = http;
        zaf_broker_status_set_dashboard (self->status, zaf_broker_http_url (http));
        zaf_broker_metrics_tick (self->metrics, zclock_mono ());
    }
    zstr_free (&address);
}

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
    if (streq (command, "VERBOSE")) {
        self->verbose = true;
        zaf_broker_out_set_verbose (self->out, true);
        zaf_broker_actors_set_verbose (self->actors, true);
    }
    else
    if (streq (command, "QUIET"))
        self->quiet = true;
    else
    if (streq (command, "MAX-MESSAGE")) {
        long size = s_pipe_number (request);
        if (size > 0)
            zsock_set_maxmsgsize (self->router, size);
    }
    else
    if (streq (command, "HEARTBEAT")) {
        long ms = s_pipe_number (request);
        if (ms >= 10 && ms <= INT_MAX) {
            self->heartbeat_ms = (int) ms;
            zaf_broker_status_set_heartbeat (self->status, (int) ms);
            zaf_broker_metrics_set_heartbeat (self->metrics, (int) ms);
            self->next_tick = zclock_mono () + ms;
        }
    }
    else
    if (streq (command, "MAX-PENDING")) {
        long pending = s_pipe_number (request);
        if (pending > 0)
            zaf_broker_actors_set_max_pending (self->actors, (size_t) pending);
    }
    else
    if (streq (command, "HWM")) {
        long hwm = s_pipe_number (request);
        if (hwm > 0 && hwm <= INT_MAX) {
            zsock_set_sndhwm (self->router, (int) hwm);
            zsock_set_rcvhwm (self->router, (int) hwm);
        }
    }
    else
    if (streq (command, "HELD-MAX")) {
        long held_max = s_pipe_number (request);
        long held_share = s_pipe_number (request);
        zaf_broker_out_set_held_max (self->out, held_max > 0 ? (size_t) held_max : 0,
                                     held_share > 0 ? (size_t) held_share : 0);
    }
    else
    if (streq (command, "ID-SECRET"))
        s_handle_id_secret (self, request);
    else
    if (streq (command, "KEYS"))
        s_handle_keys (self, request);
    else
    if (streq (command, "RELOAD-KEYS")) {
        zstr_sendf (self->pipe, "%d", zaf_broker_keys_reload (self->keys));
        s_reap (self);
    }
    else
    if (streq (command, "REVOKE")) {
        char *key = zmsg_popstr (request);
        zstr_sendf (self->pipe, "%d", zaf_broker_keys_revoke (self->keys, key));
        zstr_free (&key);
        s_reap (self);
    }
    else
    if (streq (command, "BIND"))
        s_handle_bind (self, request);
    else
    if (streq (command, "DASHBOARD"))
        s_handle_dashboard (self, request);
    else
    if (streq (command, "NODES"))
        zstr_sendf (self->pipe, "%zu", zaf_broker_peers_nodes (self->peers));
    else
    if (streq (command, "STATUS")) {
        cJSON *status = zaf_broker_status_snapshot (self->status, NULL);
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
//  The actor body: poll, dispatch, tick

void
zaf_broker (zsock_t *pipe, void *args)
{
    (void) args;
    self_t *self = s_self_new (pipe);
    zsock_signal (pipe, 0);
    self->next_tick = zclock_mono () + self->heartbeat_ms;

    zmq_pollitem_t items [] = {
        { zsock_resolve (self->pipe), 0, ZMQ_POLLIN, 0 },
        { zsock_resolve (self->router), 0, ZMQ_POLLIN, 0 },
        { NULL, 0, ZMQ_POLLIN, 0 }          //  The ZAP handler, once KEYS
    };
    while (!self->terminated) {
        if (zaf_broker_keys_zap (self->keys) && !items [2].socket)
            items [2].socket = zsock_resolve (zaf_broker_keys_zap (self->keys));
        int64_t timeout = self->next_tick - zclock_mono ();
        if (self->http) {
            //  The dashboard's snapshots and history have their own pace
            int64_t due = zaf_broker_metrics_tick (self->metrics, zclock_mono ()) - zclock_mono ();
            if (due < timeout)
                timeout = due;
        }
        bool backlogged = zaf_broker_out_backlogged (self->out) > 0;
        if (backlogged && timeout > 5)
            timeout = 5;        //  No event says a queue drained: look again soon
        if (timeout < 0)
            timeout = 0;
        if (zmq_poll (items, items [2].socket ? 3 : 2, timeout) == -1 && errno == ETERM)
            break;
        s_check_pause (self);   //  Before anything is read or sent
        if (items [0].revents & ZMQ_POLLIN)
            s_handle_pipe (self);
        if (items [2].socket && (items [2].revents & ZMQ_POLLIN))
            zaf_broker_keys_handle_zap (self->keys);
        //  Read until the socket is empty (bounded, so the pipe and the
        //  heartbeats get their turn under a flood)
        for (int count = 0; count < 10000 && !self->terminated; count++) {
            int rc = zaf_proto_recv_nowait (self->msg, self->router);
            if (rc == -1)
                break;
            s_handle_router (self, rc);
            s_check_pause (self);
            s_reap (self);
        }
        if (zaf_broker_out_backlogged (self->out))
            zaf_broker_out_flush (self->out);
        s_check_pause (self);
        if (zclock_mono () >= self->next_tick) {
            s_tick (self);
            self->next_tick = zclock_mono () + self->heartbeat_ms;
        }
        s_reap (self);
    }
    //  Say goodbye so peers notice at once rather than after a heartbeat.
    //  After a STOP the goodbye asks nodes to exit instead of dialing again.
    zlistx_t *peers = zaf_broker_peers_list (self->peers);
    for (zaf_broker_peer_t *peer = (zaf_broker_peer_t *) zlistx_first (peers); peer;
         peer = (zaf_broker_peer_t *) zlistx_next (peers))
        zaf_broker_out_bye (self->out, peer->key.data, peer->key.size,
                            self->stopped ? "cluster stopped" : "broker stopping", self->stopped);
    zlistx_destroy (&peers);
    zsock_set_linger (self->router, self->stopped ? 2000 : 200);
    bool stopped = self->stopped;
    s_self_destroy (&self);
    //  Tell our owner the cluster was stopped (it did not ask us to end)
    if (stopped)
        zstr_send (pipe, "STOPPED");
}

//  --------------------------------------------------------------------------
//  Tag actor ids under a secret of ZAF_BROKER_SECRET_SIZE bytes (send it
//  before BIND). Returns 0, or -1 if the broker refused it.

int
zaf_broker_set_id_secret (zactor_t *broker, const byte *secret32)
{
    assert (broker);
    assert (secret32);
    char hex [2 * ZAF_BROKER_SECRET_SIZE + 1];
    for (size_t index = 0; index < ZAF_BROKER_SECRET_SIZE; index++)
        snprintf (hex + 2 * index, 3, "%02x", secret32 [index]);
    zstr_sendx (broker, "ID-SECRET", hex, NULL);
    memset (hex, 0, sizeof (hex));
    char *status = NULL, *reason = NULL;
    zstr_recvx (broker, &status, &reason, NULL);
    int rc = status && streq (status, "OK") ? 0 : -1;
    zstr_free (&status);
    zstr_free (&reason);
    return rc;
}
