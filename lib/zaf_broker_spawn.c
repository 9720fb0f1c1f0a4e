/*  =========================================================================
    zaf_broker_spawn - where actors and tasks go, and how they (re)start

    Runs in the broker thread only. Its own state is the round-robin start
    for placement ties. Placement walks the peer table from a start that
    moves by one each call, keeping the first node with strictly fewer
    actors, so equal nodes take turns. A SPAWN's actor record is made
    before its flight (the flight targets it) and removed again if the
    flight is refused; from then on the actor ends only through
    zaf_broker_actors_end. Restarts: calls in flight end with ACTOR_DIED
    (they may have run: at-most-once) unless max_call_retries and retry_on
    node_lost let them be sent again to the next incarnation
    (at-least-once); requests that come
    meanwhile are held, in order, and released when SPAWNED ok comes back.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_broker_spawn.h"
#include "zaf_broker_place.h"
#include "zaf_broker_retry.h"

struct _zaf_broker_spawn_t {
    zaf_broker_peers_t *peers;      //  Borrowed
    zaf_broker_flights_t *flights;  //  Borrowed
    zaf_broker_actors_t *actors;    //  Borrowed
    zaf_broker_out_t *out;          //  Borrowed
    zaf_broker_stats_t *stats;      //  Borrowed
    size_t rotate;                  //  Round-robin start for placement ties
};

//  What a SPAWN's options ask for
typedef struct {
    const char *node_name;      //  Pin to this node, or NULL
    const char *name;           //  Register this name, or NULL
    const char *owner_id;       //  Spawning actor, or NULL
    bool detached;
    bool get_if_exists;
    int max_restarts;
    int max_call_retries;
    int retry_on;               //  ZAF_BROKER_RETRY_ bits, or -1 if bad
    zaf_demand_t *demand;       //  Resources, labels, affinity, strategy
} options_t;

//  --------------------------------------------------------------------------
//  Create and destroy the spawner.

zaf_broker_spawn_t *
zaf_broker_spawn_new (zaf_broker_peers_t *peers, zaf_broker_flights_t *flights,
                      zaf_broker_actors_t *actors, zaf_broker_out_t *out,
                      zaf_broker_stats_t *stats)
{
    assert (peers);
    zaf_broker_spawn_t *self = (zaf_broker_spawn_t *) zmalloc (sizeof (zaf_broker_spawn_t));
    assert (self);
    self->peers = peers;
    self->flights = flights;
    self->actors = actors;
    self->out = out;
    self->stats = stats;
    return self;
}

void
zaf_broker_spawn_destroy (zaf_broker_spawn_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Placement: the eligible node with the fewest actors, ties round-robin.

zaf_broker_peer_t *
zaf_broker_spawn_place (zaf_broker_spawn_t *self, const char *class_name,
                        const char *node_name, zaf_code_t *code)
{
    assert (self);
    return zaf_broker_place (self->peers, self->rotate++, class_name, node_name, NULL, code,
                             NULL, 0);
}

//  --------------------------------------------------------------------------
//  Same for tasks: the node with the fewest tasks per worker.

zaf_broker_peer_t *
zaf_broker_spawn_place_task (zaf_broker_spawn_t *self, const char *function,
                             const zaf_demand_t *demand, zaf_code_t *code,
                             char *message, size_t message_size)
{
    assert (self && code);
    if (demand)
        return zaf_broker_place_task (self->peers, self->rotate++, function, demand, code,
                                      message, message_size);
    *code = ZAF_NO_SUCH_FUNCTION;
    if (message)
        snprintf (message, message_size, "no live node serves function %s", function);
    zaf_broker_peer_t *best = NULL;
    for (zaf_broker_peer_t *peer = zaf_broker_peers_first (self->peers); peer;
         peer = zaf_broker_peers_next (self->peers)) {
        if (peer->role != ROLE_NODE || peer->doomed || peer->draining
        ||  !zhashx_lookup (peer->functions, function))
            continue;
        if (!best || peer->tasks * best->cpus < best->tasks * peer->cpus)
            best = peer;
    }
    return best;
}

//  --------------------------------------------------------------------------
//  SPAWN: read and check its options. Returns the parsed options (the
//  caller deletes them; fields of *options point into them), or NULL after
//  refusing the request.

static cJSON *
s_spawn_options (zaf_broker_spawn_t *self, zaf_proto_t *request, options_t *options)
{
    size_t size;
    const char *text = zaf_proto_options (request, &size);
    if (size > ZAF_BROKER_CONTROL_MAX) {
        zaf_broker_out_refuse (self->out, request, ZAF_BAD_ARGS,
                               "spawn options are %zu bytes; at most %d are accepted",
                               size, ZAF_BROKER_CONTROL_MAX);
        return NULL;
    }
    cJSON *json = size ? zaf_json_parse (text, size) : cJSON_CreateObject ();
    options->node_name = zaf_json_string (json, "node", NULL);
    options->name = zaf_json_string (json, "name", NULL);
    options->owner_id = zaf_json_string (json, "owner", NULL);
    options->detached = zaf_json_bool (json, "detached", false);
    options->get_if_exists = zaf_json_bool (json, "get_if_exists", false);
    options->max_restarts = zaf_json_int (json, "max_restarts", 0);
    options->max_call_retries = zaf_json_int (json, "max_call_retries", 0);
    options->retry_on = zaf_broker_retry_on (json, options->max_call_retries);
    char demand_error [128] = "";
    options->demand = zaf_demand_new (json, demand_error, sizeof (demand_error));
    const char *refusal = *demand_error ? demand_error : NULL;
    if (!cJSON_IsObject (json))
        refusal = "spawn options must be a JSON object";
    else
    if (options->max_restarts < -1 || options->max_call_retries < -1)
        refusal = "max_restarts and max_call_retries must be -1 (no limit) or more";
    else
    if (options->retry_on == -1)
        refusal = "retry_on must be a list of \"node_lost\" and \"method_failed\"";
    else
    if ((options->retry_on & ZAF_BROKER_RETRY_METHOD_FAILED) && options->max_call_retries < 0)
        refusal = "retry_on method_failed needs a bound: max_call_retries 0 or more, not -1";
    else
    if (options->name && !zaf_registry_name_valid (options->name))
        refusal = "actor name must be 1-255 printable ASCII bytes";
    else
    if (options->detached && !options->name)
        refusal = "a detached actor needs a name (nobody could find it)";
    if (refusal) {
        zaf_broker_out_refuse (self->out, request, ZAF_BAD_ARGS, "%s", refusal);
        zaf_demand_destroy (&options->demand);
        cJSON_Delete (json);
        return NULL;
    }
    return json;
}

//  The name a SPAWN asks for is held: answer with the holder if the caller
//  asked for it (get_if_exists), else refuse NAME_TAKEN
static void
s_spawn_name_held (zaf_broker_spawn_t *self, zaf_proto_t *request, const options_t *options,
                   zaf_broker_actor_t *holder)
{
    const char *class_name = zaf_proto_name (request);
    if (options->get_if_exists && holder->ready && streq (holder->class_name, class_name)) {
        zaf_proto_set_id (request, ZAF_PROTO_SPAWNED);
        zaf_proto_set_actor (request, holder->id);
        zaf_proto_set_ok (request, true);
        zaf_proto_set_body (request, "{\"existing\":true}", 17);
        zaf_broker_out_return (self->out, request);
    }
    else
        zaf_broker_out_refuse (self->out, request, ZAF_NAME_TAKEN,
                               "actor %s (%s%s) already holds the name %s", holder->id,
                               holder->class_name, holder->ready ? "" : ", starting",
                               options->name);
}

//  The actor spawning this one (an actor spawns through its node, and its
//  children must live there too). Returns 0 with *parent_p set (NULL: a
//  peer spawns), or -1 after refusing the request.
static int
s_spawn_parent (zaf_broker_spawn_t *self, zaf_proto_t *request, zaf_broker_peer_t *caller,
                const options_t *options, zaf_broker_actor_t **parent_p)
{
    *parent_p = NULL;
    if (!options->owner_id || options->detached)
        return 0;
    const char *owner_id = options->owner_id;
    zaf_broker_actor_t *parent = zaf_broker_actors_lookup (self->actors, owner_id);
    if (!parent || parent->node != caller) {
        const char *reason = zaf_broker_actors_tombstone (self->actors, owner_id);
        if (reason)
            zaf_broker_out_refuse (self->out, request, ZAF_ACTOR_DIED,
                                   "owner actor %s ended: %s", owner_id, reason);
        else
            zaf_broker_out_refuse (self->out, request, ZAF_BAD_ARGS,
                                   "owner %s is not an actor of the spawning node", owner_id);
        return -1;
    }
    *parent_p = parent;
    return 0;
}

//  Place a SPAWN's actor; NULL after refusing the request
static zaf_broker_peer_t *
s_spawn_node (zaf_broker_spawn_t *self, zaf_proto_t *request, const options_t *options)
{
    zaf_code_t code = ZAF_OK;
    char message [ZAF_ERROR_MESSAGE_MAX];
    zaf_broker_peer_t *node = zaf_broker_place (self->peers, self->rotate++,
                                                zaf_proto_name (request), options->node_name,
                                                options->demand, &code, message, sizeof (message));
    if (!node)
        zaf_broker_out_refuse (self->out, request, code, "%s", message);
    return node;
}

//  --------------------------------------------------------------------------
//  SPAWN from caller.

void
zaf_broker_spawn_handle (zaf_broker_spawn_t *self, zaf_proto_t *request, zaf_broker_peer_t *caller)
{
    assert (self);
    self->stats->spawns++;
    options_t options;
    cJSON *json = s_spawn_options (self, request, &options);
    if (!json)
        return;
    zaf_broker_actor_t *holder = options.name ? zaf_broker_actors_named (self->actors, options.name) : NULL;
    zaf_broker_actor_t *parent = NULL;
    zaf_broker_peer_t *node = NULL;
    if (holder)
        s_spawn_name_held (self, request, &options, holder);
    else
    if (s_spawn_parent (self, request, caller, &options, &parent) == 0)
        node = s_spawn_node (self, request, &options);
    if (!node) {
        zaf_demand_destroy (&options.demand);
        cJSON_Delete (json);
        return;
    }
    zaf_broker_actor_t *actor = zaf_broker_actors_add (self->actors, NULL, zaf_proto_name (request), node);
    assert (actor);             //  A fresh id is always free
    actor->detached = options.detached;
    actor->restarts_left = options.max_restarts;
    actor->retry_on = options.retry_on;
    actor->call_retries = options.max_restarts || (options.retry_on & ZAF_BROKER_RETRY_METHOD_FAILED)
                        ? options.max_call_retries : 0;
    actor->pin = options.node_name ? strdup (options.node_name) : NULL;
    actor->demand = options.demand;         //  Released when it ends or moves
    if (node->capacity)
        zaf_capacity_reserve (node->capacity, actor->demand);
    zaf_broker_flight_t *flight = zaf_broker_actors_flight (self->actors, request, caller, FLIGHT_SPAWN, actor);
    if (!flight) {
        zaf_broker_actors_remove (self->actors, &actor);
        cJSON_Delete (json);
        return;
    }
    if (options.max_restarts) {
        //  Keep the SPAWN (class, options, constructor arguments) to send
        //  again; its answer comes back to us, not to a caller
        actor->spawn = zaf_proto_dup (request);
        zaf_proto_set_caller (actor->spawn, NULL, 0);
        zaf_proto_set_corr (actor->spawn, "restart", 7);
        zaf_proto_set_actor (actor->spawn, actor->id);
    }
    if (options.name)
        zaf_broker_actors_set_name (self->actors, actor, options.name);
    if (parent || !options.detached)
        zaf_broker_actors_own (actor, parent, caller);
    cJSON_Delete (json);
    zaf_proto_set_actor (request, actor->id);
    if (zaf_broker_flights_forward (self->flights, request, caller, node, flight) == -1) {
        //  The flight is answered; the actor never started. The node may be
        //  gone already, which ended the actor too.
        zaf_broker_actor_t *left = zaf_broker_actors_lookup (self->actors, zaf_proto_actor (request));
        if (left)
            zaf_broker_actors_end (self->actors, left, ZAF_NODE_LOST, "never started");
    }
}

//  --------------------------------------------------------------------------
//  Restarts. An actor spawned with max_restarts that fails (its process
//  crashed, it ended itself with reason "failed", or its node was lost) is
//  spawned again with the same id, constructor re-run, on an eligible live
//  node.

//  Send the held requests to the actor's new incarnation, in order
static void
s_release_held (zaf_broker_spawn_t *self, zaf_broker_actor_t *actor)
{
    zaf_proto_t *held;
    while ((held = (zaf_proto_t *) zlistx_detach (actor->held, NULL))) {
        size_t caller_size, corr_size;
        const void *caller = zaf_proto_caller (held, &caller_size);
        const void *corr = zaf_proto_corr (held, &corr_size);
        zaf_broker_flight_t *flight = zaf_proto_id (held) == ZAF_PROTO_CALL
                         ? zaf_broker_flights_lookup (self->flights, caller, caller_size, corr, corr_size)
                         : NULL;
        if (flight) {
            flight->node = actor->node;
            flight->held = false;
        }
        int64_t deadline = zaf_proto_deadline (held);
        if (zaf_proto_id (held) == ZAF_PROTO_CALL && !flight)
            ;                   //  Cancelled, or its caller is gone: it never runs
        else
        if (deadline && zclock_mono () >= deadline) {
            //  Its caller stopped waiting while the actor restarted
            if (flight)
                zaf_broker_flights_fail (self->flights, flight, ZAF_TIMEOUT,
                                         "the call's deadline passed while its actor restarted; it did not run");
        }
        else
        if (zaf_broker_out_push (self->out, held, actor->node) == -1 && flight)
            zaf_broker_flights_fail (self->flights, flight, ZAF_OVERLOADED,
                                     "the actor's node cannot take the call");
        zaf_proto_destroy (&held);
    }
}

//  The calls in flight to a failed actor: those it may retry are queued
//  (first, in flight order) for the next incarnation, with what was held
//  already after them; the others end now
static void
s_requeue (zaf_broker_spawn_t *self, zaf_broker_actor_t *actor, const char *reason)
{
    char message [ZAF_ERROR_MESSAGE_MAX];
    snprintf (message, sizeof (message), "actor %s (%s) failed (%s) while serving the call; "
              "it is being restarted and the call may have run", actor->id, actor->class_name,
              reason);
    zlistx_t *held = zlistx_new ();
    zlistx_set_destructor (held, (zlistx_destructor_fn *) zaf_proto_destroy);
    zaf_ring_t *item = actor->flights.next;
    while (item != &actor->flights) {
        zaf_broker_flight_t *flight = ZAF_RING_ENTRY (item, zaf_broker_flight_t, by_target);
        item = item->next;
        if (flight->held)
            ;                   //  Never sent: it stays in actor->held below
        else
        if (flight->kind == FLIGHT_CALL && flight->copy
        && (actor->retry_on & ZAF_BROKER_RETRY_NODE_LOST)
        && (actor->call_retries < 0 || flight->retries < actor->call_retries)) {
            flight->retries++;
            flight->held = true;
            zlistx_add_end (held, zaf_proto_dup (flight->copy));
        }
        else
            zaf_broker_flights_fail (self->flights, flight, ZAF_ACTOR_DIED, message);
    }
    if (actor->held) {
        zaf_proto_t *waiting;
        while ((waiting = (zaf_proto_t *) zlistx_detach (actor->held, NULL)))
            zlistx_add_end (held, waiting);
        zlistx_destroy (&actor->held);
    }
    actor->held = held;
}

//  Try to restart a failed actor. Returns 0 if a new incarnation is on its
//  way, -1 if the actor must end.
static int
s_restart (zaf_broker_spawn_t *self, zaf_broker_actor_t *actor, const char *reason)
{
    //  A kill in flight wins over a restart
    for (zaf_ring_t *item = actor->flights.next; item != &actor->flights; item = item->next)
        if (ZAF_RING_ENTRY (item, zaf_broker_flight_t, by_target)->kind == FLIGHT_KILL)
            return -1;
    zaf_code_t code = ZAF_OK;
    char message [ZAF_ERROR_MESSAGE_MAX] = "";
    //  What it holds now may be had again, on the same node or elsewhere
    zaf_capacity_t *old = actor->node ? actor->node->capacity : NULL;
    if (old)
        zaf_capacity_release (old, actor->demand);
    zaf_broker_peer_t *node = actor->pin
        ? zaf_broker_place (self->peers, self->rotate++, actor->class_name, actor->pin,
                            actor->demand, &code, message, sizeof (message))
        : NULL;
    if (!node)
        node = zaf_broker_place (self->peers, self->rotate++, actor->class_name, NULL,
                                 actor->demand, &code, message, sizeof (message));
    if (old)
        zaf_capacity_reserve (old, actor->demand);      //  zaf_broker_actors_move moves it
    if (!node) {
        zsys_warning ("zaf_broker: cannot restart actor=%s class=%s: %s",
                      actor->id, actor->class_name, message);
        return -1;
    }
    if (actor->restarts_left > 0)
        actor->restarts_left--;
    zsys_info ("zaf_broker: restarting actor=%s class=%s after %s on node=%s (restart %d)",
               actor->id, actor->class_name, reason, node->name, actor->restarts + 1);
    s_requeue (self, actor, reason);
    //  What it owned died with the old incarnation
    zaf_broker_actors_kill_children (self->actors, actor);
    zaf_broker_actors_move (actor, node);
    actor->restarting = true;
    zaf_proto_t *spawn = zaf_proto_dup (actor->spawn);
    int rc = zaf_broker_out_push (self->out, spawn, node);
    zaf_proto_destroy (&spawn);
    if (rc == -1) {
        zsys_warning ("zaf_broker: cannot send the restart of actor=%s to node=%s",
                      actor->id, node->name);
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  An actor has failed: restart it if it may be, else it ends.

void
zaf_broker_spawn_fail (zaf_broker_spawn_t *self, zaf_broker_actor_t *actor, zaf_code_t code,
                       const char *reason)
{
    assert (self);
    if (actor->ready && actor->spawn) {
        if (actor->restarts_left != 0) {
            if (s_restart (self, actor, reason) == 0)
                return;
        }
        else
            reason = "restart_limit";
    }
    zaf_broker_actors_end (self->actors, actor, code, reason);
}

//  SPAWNED for a restart we sent: the new incarnation is up, or it failed
static void
s_respawned (zaf_broker_spawn_t *self, zaf_proto_t *answer, zaf_broker_peer_t *node)
{
    zaf_broker_actor_t *actor = zaf_broker_actors_lookup (self->actors, zaf_proto_actor (answer));
    if (!actor || !actor->restarting || actor->node != node) {
        self->stats->late_replies++;
        return;
    }
    actor->restarting = false;
    if (zaf_proto_ok (answer)) {
        actor->restarts++;
        s_release_held (self, actor);
    }
    else {
        cJSON *error = zaf_proto_body_json (answer);
        char message [4 * ZAF_ERROR_MESSAGE_MAX];
        zsys_warning ("zaf_broker: restart of actor=%s failed: %s", actor->id,
                      zaf_escape (zaf_json_string (error, "message", "constructor failed"),
                                  message, sizeof (message)));
        cJSON_Delete (error);
        zaf_broker_actors_end (self->actors, actor, ZAF_ACTOR_DIED, "failed");
    }
}

//  --------------------------------------------------------------------------
//  SPAWNED from a node.

void
zaf_broker_spawn_handle_spawned (zaf_broker_spawn_t *self, zaf_proto_t *answer, zaf_broker_peer_t *node)
{
    assert (self);
    size_t caller_size, corr_size;
    const void *caller = zaf_proto_caller (answer, &caller_size);
    const void *corr = zaf_proto_corr (answer, &corr_size);
    if (caller_size == 0) {
        s_respawned (self, answer, node);       //  A restart we sent
        return;
    }
    zaf_broker_flight_t *flight = zaf_broker_flights_lookup (self->flights, caller, caller_size, corr, corr_size);
    if (!flight || flight->kind != FLIGHT_SPAWN || flight->node != node
    ||  strneq (flight->actor_id, zaf_proto_actor (answer))) {
        if (flight) {
            self->stats->wrong_peer++;
            zaf_broker_out_warn (self->out, node,
                                 "SPAWNED from peer=%s for a request it may not answer dropped",
                                 node->hex);
            zaf_broker_out_error (self->out, node->key.data, node->key.size, ZAF_PROTOCOL,
                                  "SPAWNED for a spawn that was not sent to you");
            return;
        }
        self->stats->late_replies++;
        //  Its spawner is gone: an actor nobody holds must not live on
        zaf_broker_actor_t *orphan = zaf_broker_actors_lookup (self->actors, zaf_proto_actor (answer));
        if (orphan && orphan->node == node && !orphan->ready && zaf_proto_ok (answer))
            zaf_broker_actors_kill (self->actors, orphan, "owner_died");
        return;
    }
    zaf_broker_actor_t *actor = flight->actor;
    zaf_broker_flights_end (self->flights, &flight);
    bool ok = zaf_proto_ok (answer);
    zaf_broker_peer_t *spawner = zaf_broker_peers_lookup (self->peers, caller, caller_size);
    zaf_broker_out_deliver (self->out, answer, caller, caller_size);
    if (ok) {
        actor->ready = true;
        if (!spawner || spawner->doomed)
            zaf_broker_actors_kill (self->actors, actor, "owner_died");
    }
    else
        zaf_broker_actors_end (self->actors, actor, ZAF_ACTOR_DIED, "failed");
}
