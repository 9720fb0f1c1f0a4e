/*  =========================================================================
    zaf_broker_actors - the broker's actor table: how actors end

    An actor ends once, here: its flights fail with ACTOR_DIED, its
    monitors and watchers are told why, what it owns ends in turn
    (owner_died), and its id is remembered as dead. Before that, a
    restartable actor that failed is spawned again with the same id, and
    the requests that come meanwhile wait. After a broker restart, nodes
    bring their actors back (adoption) and drivers claim theirs.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_broker_internal.h"

//  Free an actor's record (its rings must be empty or unlinked)
void
zaf_broker_actor_free (actor_t **actor_p)
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

//  --------------------------------------------------------------------------
//  Ending an actor

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
    zaf_broker_send_out (self, caller, flight->caller_size);
    zaf_broker_flight_destroy (self, &flight);
}

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
        zaf_broker_hold (self, watcher, NULL);
        self->msg = saved;
        return;
    }
    zaf_proto_set_routing_id (self->out, watcher->node->key.data, watcher->node->key.size);
    if (zaf_proto_send (self->out, self->router))
        self->count.unroutable++;
}

//  An actor has ended: fail what waits on it, tell its monitors, end what
//  it owns, remember it, forget it
void
zaf_broker_actor_end (self_t *self, actor_t *actor, zaf_code_t code, const char *reason)
{
    char message [ZAF_ERROR_MESSAGE_MAX];
    snprintf (message, sizeof (message), "actor %s (%s) ended: %s",
              actor->id, actor->class_name, reason);
    s_ring_remove (&actor->sibling);
    if (actor->claim_by > 0)
        self->unclaimed--;
    while (!s_ring_empty (&actor->flights)) {
        flight_t *flight = RING_ENTRY (actor->flights.next, flight_t, by_target);
        zaf_broker_flight_fail (self, flight, code, message);
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
        zaf_broker_kill_actor (self, child, "owner_died");
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
    zaf_broker_actor_free (&actor);
}

//  End an actor the broker decides to end (its owner is gone): tell its
//  node to kill it, and end it here at once
//  --------------------------------------------------------------------------
//  An actor whose spawner is gone: nobody holds it, so it goes too

void
zaf_broker_kill_actor (self_t *self, actor_t *actor, const char *reason)
{
    if (actor->node && !actor->node->doomed) {
        zaf_proto_reset (self->out);
        zaf_proto_set_id (self->out, ZAF_PROTO_KILL);
        zaf_proto_set_actor (self->out, actor->id);
        char body [80];
        snprintf (body, sizeof (body), "{\"reason\":\"%s\"}", reason);
        zaf_proto_set_body (self->out, body, strlen (body));
        zaf_broker_send_out (self, actor->node->key.data, actor->node->key.size);
    }
    actor->ready = true;        //  Remember the id as dead
    zaf_broker_actor_end (self, actor, ZAF_ACTOR_DIED, reason);
}

void
zaf_broker_kill_orphan (self_t *self, actor_t *actor)
{
    zaf_broker_kill_actor (self, actor, "owner_died");
}

//  Send the held requests to the actor's new incarnation, in order
//  --------------------------------------------------------------------------
//  Restarts. An actor spawned with max_restarts that fails (its process
//  crashed, it ended itself with reason "failed", or its node was lost) is
//  spawned again with the same id, constructor re-run, on an eligible live
//  node. Calls that were in flight end with ACTOR_DIED (they may have run:
//  at-most-once), unless max_call_retries lets them be sent again to the
//  next incarnation (at-least-once). Requests that arrive meanwhile wait.

static void
s_release_held (self_t *self, actor_t *actor)
{
    zaf_proto_t *held;
    while ((held = (zaf_proto_t *) zlistx_detach (actor->held, NULL))) {
        size_t caller_size, corr_size;
        const void *caller = zaf_proto_caller (held, &caller_size);
        const void *corr = zaf_proto_corr (held, &corr_size);
        flight_t *flight = zaf_proto_id (held) == ZAF_PROTO_CALL
                         ? zaf_broker_flight_lookup (self, caller, caller_size, corr, corr_size) : NULL;
        if (flight)
            flight->node = actor->node;
        zaf_proto_set_routing_id (held, actor->node->key.data, actor->node->key.size);
        if (zaf_proto_send (held, self->router) == -1 && flight)
            zaf_broker_flight_fail (self, flight, ZAF_OVERLOADED, "the actor's node cannot take the call");
        zaf_proto_destroy (&held);
    }
}

//  Hold a request (self->msg, caller already set) for the next incarnation
void
zaf_broker_hold (self_t *self, actor_t *actor, flight_t *flight)
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
    peer_t *node = actor->pin ? zaf_broker_place (self, actor->class_name, actor->pin, &code) : NULL;
    if (!node)
        node = zaf_broker_place (self, actor->class_name, NULL, &code);
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
            zaf_broker_flight_fail (self, flight, ZAF_ACTOR_DIED, message);
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
        zaf_broker_kill_actor (self, child, "owner_died");
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
void
zaf_broker_actor_fail (self_t *self, actor_t *actor, zaf_code_t code, const char *reason)
{
    if (actor->ready && actor->spawn) {
        if (actor->restarts_left != 0) {
            if (s_restart (self, actor, reason) == 0)
                return;
        }
        else
            reason = "restart_limit";
    }
    zaf_broker_actor_end (self, actor, code, reason);
}

//  SPAWNED for a restart we sent: the new incarnation is up, or it failed
void
zaf_broker_handle_respawned (self_t *self, peer_t *node)
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
        zaf_broker_actor_end (self, actor, ZAF_ACTOR_DIED, "failed");
    }
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
        zaf_broker_warn (self, node, "node %s announced an actor we cannot adopt: %s",
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

size_t
zaf_broker_adopt (self_t *self, peer_t *node, const cJSON *entries)
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
            zaf_broker_kill_actor (self, actor, "owner_died");
        }
    }
    zsys_info ("zaf_broker: adopted %zu actor(s) from node=%s", adopted, node->name);
    return adopted;
}

//  A driver back after our restart claims the actors it owns
size_t
zaf_broker_claim (self_t *self, peer_t *peer, const cJSON *ids)
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
void
zaf_broker_expire_claims (self_t *self)
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
            zaf_broker_kill_actor (self, actor, "owner_died");
        }
    }
    zlistx_destroy (&ids);
}

//  --------------------------------------------------------------------------
//  MONITOR: answered once, when the actor ends, with why. An actor that
//  has already ended is answered at once with the reason we remember.

void
zaf_broker_handle_monitor (self_t *self, peer_t *caller)
{
    const char *id = zaf_proto_actor (self->msg);
    actor_t *actor = (actor_t *) zhashx_lookup (self->actors, id);
    size_t size;
    zaf_proto_body (self->msg, &size);
    cJSON *request = size ? zaf_broker_control_json (self, zaf_proto_body (self->msg, &size),
                                                     size, "MONITOR request")
                          : NULL;
    if (size && !request) {
        if (size <= ZAF_BROKER_CONTROL_MAX)
            zaf_broker_refuse (self, ZAF_BAD_ARGS, "MONITOR request is not valid JSON");
        return;
    }
    const char *method = zaf_json_string (request, "notify", NULL);
    if (method) {
        //  An actor asks to be told by a TELL of one of its methods
        const char *watcher_id = zaf_json_string (request, "watcher", "");
        actor_t *watcher = (actor_t *) zhashx_lookup (self->actors, watcher_id);
        if (!zaf_registry_name_valid (method))
            zaf_broker_refuse (self, ZAF_BAD_ARGS, "notify must name a method (printable ASCII)");
        else
        if (!watcher || watcher->node != caller)
            zaf_broker_refuse (self, ZAF_BAD_ARGS, "watcher %s is not an actor of the requesting node",
                               watcher_id);
        else
        if (!actor && !zhashx_lookup (self->tombstones, id))
            zaf_broker_refuse (self, ZAF_NO_SUCH_ACTOR, "no actor %s", id);
        else
        if (actor && actor->watchers && zlistx_size (actor->watchers) >= self->max_pending)
            zaf_broker_refuse (self, ZAF_OVERLOADED, "actor %s has too many watchers", id);
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
            zaf_broker_answer_ok (self, result);
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
            zaf_broker_answer_ok (self, result);
        }
        else
            zaf_broker_refuse (self, ZAF_NO_SUCH_ACTOR, "no actor %s", id);
        return;
    }
    zaf_broker_flight_new (self, caller, FLIGHT_MONITOR, actor->node, actor);
}
