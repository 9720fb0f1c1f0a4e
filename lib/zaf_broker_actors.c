/*  =========================================================================
    zaf_broker_actors - the broker's actor records and how actors end

    Runs in the broker thread only. Actor records are made by one
    constructor (s_actor_new, through zaf_broker_actors_add) and freed by
    one destructor (s_actor_destroy, through zaf_broker_actors_remove or
    the table's own destroy). An actor ends once, in zaf_broker_actors_end:
    its flights fail, its monitors and watchers are told why, what it owns
    ends in turn (owner_died), its id is remembered as dead, and its record
    goes. Invariants: an actor is in names only while it holds the name; it
    is in at most one owner ring (parent's children or a peer's owned),
    and in none only if detached or adopted and waiting for its claim;
    node->actors counts the records whose node is that node.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_broker_actors.h"
#include "zaf_broker_ids.h"

struct _zaf_broker_actors_t {
    zhashx_t *actors;           //  id -> zaf_broker_actor_t (owned)
    zhashx_t *names;            //  name -> zaf_broker_actor_t (borrowed)
    zhashx_t *tombstones;       //  id -> reason (own copies)
    zlistx_t *tombstone_order;  //  ids, oldest first (own copies)
    zaf_broker_peers_t *peers;  //  Peer table (borrowed)
    zaf_broker_flights_t *flights;  //  Requests in flight (borrowed)
    zaf_broker_out_t *out;      //  Send path (borrowed)
    zaf_broker_stats_t *stats;  //  Counters (borrowed)
    zaf_broker_ids_t *ids;      //  Issues and checks actor ids (owned)
    size_t max_pending;         //  Bound on what waits for one actor
    bool verbose;
    zaf_broker_actors_end_fn *on_end;   //  Told of each end, or NULL
    void *on_end_arg;
};

//  --------------------------------------------------------------------------
//  Actor records: the one constructor and the one destructor

static zaf_broker_actor_t *
s_actor_new (const char *id, const char *class_name, zaf_broker_peer_t *node)
{
    zaf_broker_actor_t *actor = (zaf_broker_actor_t *) zmalloc (sizeof (zaf_broker_actor_t));
    assert (actor);
    snprintf (actor->id, sizeof (actor->id), "%s", id);
    actor->class_name = strdup (class_name);
    actor->node = node;
    zaf_ring_init (&actor->flights);
    zaf_ring_init (&actor->monitors);
    zaf_ring_init (&actor->children);
    zaf_ring_init (&actor->sibling);
    return actor;
}

//  Free an actor's record (its rings must be empty or unlinked)
static void
s_actor_destroy (zaf_broker_actor_t **actor_p)
{
    zaf_broker_actor_t *actor = *actor_p;
    free (actor->class_name);
    free (actor->name);
    free (actor->pin);
    zaf_demand_destroy (&actor->demand);
    zaf_proto_destroy (&actor->spawn);
    zlistx_destroy (&actor->held);
    zlistx_destroy (&actor->watchers);
    free (actor);
    *actor_p = NULL;
}

//  --------------------------------------------------------------------------
//  Create an empty actor table.

zaf_broker_actors_t *
zaf_broker_actors_new (zaf_broker_peers_t *peers, zaf_broker_flights_t *flights,
                       zaf_broker_out_t *out, zaf_broker_stats_t *stats)
{
    assert (peers);
    assert (flights);
    assert (out);
    assert (stats);
    zaf_broker_actors_t *self = (zaf_broker_actors_t *) zmalloc (sizeof (zaf_broker_actors_t));
    assert (self);
    self->actors = zhashx_new ();
    self->names = zhashx_new ();
    self->tombstones = zhashx_new ();
    zhashx_set_destructor (self->tombstones, (zhashx_destructor_fn *) zstr_free);
    zhashx_set_duplicator (self->tombstones, (zhashx_duplicator_fn *) strdup);
    self->tombstone_order = zlistx_new ();
    zlistx_set_destructor (self->tombstone_order, (zlistx_destructor_fn *) zstr_free);
    self->peers = peers;
    self->flights = flights;
    self->out = out;
    self->stats = stats;
    self->ids = zaf_broker_ids_new ();
    self->max_pending = ZAF_BROKER_MAX_PENDING;
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy the table and every actor record in it.

void
zaf_broker_actors_destroy (zaf_broker_actors_t **self_p)
{
    assert (self_p);
    zaf_broker_actors_t *self = *self_p;
    if (!self)
        return;
    zlistx_t *items = zhashx_values (self->actors);
    for (zaf_broker_actor_t *actor = (zaf_broker_actor_t *) zlistx_first (items); actor;
         actor = (zaf_broker_actor_t *) zlistx_next (items))
        s_actor_destroy (&actor);
    zlistx_destroy (&items);
    zhashx_destroy (&self->actors);
    zhashx_destroy (&self->names);
    zlistx_destroy (&self->tombstone_order);
    zhashx_destroy (&self->tombstones);
    zaf_broker_ids_destroy (&self->ids);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Settings: logging, and the bound on what waits for one actor.

void
zaf_broker_actors_set_verbose (zaf_broker_actors_t *self, bool verbose)
{
    assert (self);
    self->verbose = verbose;
}

void
zaf_broker_actors_set_max_pending (zaf_broker_actors_t *self, size_t max_pending)
{
    assert (self);
    self->max_pending = max_pending;
}

size_t
zaf_broker_actors_max_pending (zaf_broker_actors_t *self)
{
    assert (self);
    return self->max_pending;
}

//  --------------------------------------------------------------------------
//  Add an actor record on node, with this id or a fresh one.

zaf_broker_actor_t *
zaf_broker_actors_add (zaf_broker_actors_t *self, const char *id, const char *class_name,
                       zaf_broker_peer_t *node)
{
    assert (self);
    char fresh [ZAF_PROTO_ACTOR_MAX + 1];
    if (!id) {
        //  Random ids do not collide in practice; never issue one we hold
        //  or remember all the same
        do
            zaf_broker_ids_fresh (self->ids, fresh);
        while (zhashx_lookup (self->actors, fresh) || zhashx_lookup (self->tombstones, fresh));
        id = fresh;
    }
    else
    if (zhashx_lookup (self->actors, id))
        return NULL;            //  Taken: checked before insert, never replaced
    zaf_broker_actor_t *actor = s_actor_new (id, class_name, node);
    int rc = zhashx_insert (self->actors, actor->id, actor);
    assert (rc == 0);
    node->actors++;
    return actor;
}

//  --------------------------------------------------------------------------
//  Actor ids: the secret they are tagged under, and what adoption may take.

void
zaf_broker_actors_set_id_secret (zaf_broker_actors_t *self, const byte *secret)
{
    assert (self);
    zaf_broker_ids_set_secret (self->ids, secret);
}

bool
zaf_broker_actors_adoptable (zaf_broker_actors_t *self, const char *id)
{
    assert (self);
    return zaf_broker_ids_adoptable (self->ids, id)
        && !zhashx_lookup (self->actors, id)
        && !zhashx_lookup (self->tombstones, id);
}

//  --------------------------------------------------------------------------
//  Remove an actor record and free it.

void
zaf_broker_actors_remove (zaf_broker_actors_t *self, zaf_broker_actor_t **actor_p)
{
    assert (self);
    assert (actor_p);
    zaf_broker_actor_t *actor = *actor_p;
    if (!actor)
        return;
    zaf_ring_remove (&actor->sibling);
    if (actor->name && zhashx_lookup (self->names, actor->name) == actor)
        zhashx_delete (self->names, actor->name);
    if (actor->node && actor->node->actors)
        actor->node->actors--;
    if (actor->node && actor->node->capacity)
        zaf_capacity_release (actor->node->capacity, actor->demand);
    zhashx_delete (self->actors, actor->id);
    s_actor_destroy (actor_p);
}

//  --------------------------------------------------------------------------
//  Lookups by id, by name, and among the dead.

zaf_broker_actor_t *
zaf_broker_actors_lookup (zaf_broker_actors_t *self, const char *id)
{
    assert (self);
    return (zaf_broker_actor_t *) zhashx_lookup (self->actors, id);
}

zaf_broker_actor_t *
zaf_broker_actors_named (zaf_broker_actors_t *self, const char *name)
{
    assert (self);
    return (zaf_broker_actor_t *) zhashx_lookup (self->names, name);
}

const char *
zaf_broker_actors_tombstone (zaf_broker_actors_t *self, const char *id)
{
    assert (self);
    return (const char *) zhashx_lookup (self->tombstones, id);
}

//  --------------------------------------------------------------------------
//  Register a name for an actor, if it is free.

int
zaf_broker_actors_set_name (zaf_broker_actors_t *self, zaf_broker_actor_t *actor, const char *name)
{
    assert (self);
    if (zhashx_lookup (self->names, name))
        return -1;
    free (actor->name);
    actor->name = strdup (name);
    zhashx_insert (self->names, actor->name, actor);
    return 0;
}

//  --------------------------------------------------------------------------
//  Ownership and placement of one record.

void
zaf_broker_actors_own (zaf_broker_actor_t *actor, zaf_broker_actor_t *parent, zaf_broker_peer_t *owner)
{
    zaf_ring_remove (&actor->sibling);
    actor->parent = parent;
    actor->owner = parent ? NULL : owner;
    if (parent)
        zaf_ring_append (&parent->children, &actor->sibling);
    else
    if (owner)
        zaf_ring_append (&owner->owned, &actor->sibling);
}

void
zaf_broker_actors_move (zaf_broker_actor_t *actor, zaf_broker_peer_t *node)
{
    if (actor->node && actor->node->actors)
        actor->node->actors--;
    if (actor->node && actor->node->capacity)
        zaf_capacity_release (actor->node->capacity, actor->demand);
    actor->node = node;
    node->actors++;
    if (node->capacity)
        zaf_capacity_reserve (node->capacity, actor->demand);
}

//  --------------------------------------------------------------------------
//  Start a flight to an actor.

zaf_broker_flight_t *
zaf_broker_actors_flight (zaf_broker_actors_t *self, zaf_proto_t *request, zaf_broker_peer_t *caller,
                          zaf_broker_flight_kind_t kind, zaf_broker_actor_t *actor)
{
    assert (self);
    bool monitor = kind == FLIGHT_MONITOR;
    zaf_broker_flight_t *flight = zaf_broker_flights_start (self->flights, request, caller, kind, actor->node,
                                                 monitor ? &actor->monitors : &actor->flights,
                                                 monitor ? NULL : &actor->pending);
    if (flight) {
        flight->actor = actor;
        flight->actor_id = actor->id;
    }
    return flight;
}

//  --------------------------------------------------------------------------
//  Iteration and counts.

zaf_broker_actor_t *
zaf_broker_actors_first (zaf_broker_actors_t *self)
{
    assert (self);
    return (zaf_broker_actor_t *) zhashx_first (self->actors);
}

zaf_broker_actor_t *
zaf_broker_actors_next (zaf_broker_actors_t *self)
{
    assert (self);
    return (zaf_broker_actor_t *) zhashx_next (self->actors);
}

size_t
zaf_broker_actors_size (zaf_broker_actors_t *self)
{
    assert (self);
    return zhashx_size (self->actors);
}

//  --------------------------------------------------------------------------
//  The ids of the actors living on node; the caller destroys the list.

zlistx_t *
zaf_broker_actors_on_node (zaf_broker_actors_t *self, zaf_broker_peer_t *node)
{
    assert (self);
    zlistx_t *ids = zlistx_new ();
    zlistx_set_destructor (ids, (zlistx_destructor_fn *) zstr_free);
    for (zaf_broker_actor_t *actor = (zaf_broker_actor_t *) zhashx_first (self->actors); actor;
         actor = (zaf_broker_actor_t *) zhashx_next (self->actors))
        if (actor->node == node)
            zlistx_add_end (ids, strdup (actor->id));
    return ids;
}

//  --------------------------------------------------------------------------
//  Ending an actor

static void
s_tombstone (zaf_broker_actors_t *self, const char *id, const char *reason)
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
}

//  The answer a monitor gets: {"actor": id, "reason": reason}
static cJSON *
s_notice (const char *id, const char *reason)
{
    cJSON *notice = cJSON_CreateObject ();
    cJSON_AddStringToObject (notice, "actor", id);
    cJSON_AddStringToObject (notice, "reason", reason);
    return notice;
}

//  Tell a watching actor that an actor ended: a TELL of its chosen method
//  with [{"actor": id, "reason": reason}]. A watcher that has ended since
//  is skipped.
static void
s_notify_watcher (zaf_broker_actors_t *self, const char *entry, const char *id,
                  const char *reason)
{
    char watcher_id [ZAF_PROTO_ACTOR_MAX + 1];
    const char *space = strchr (entry, ' ');
    if (!space || (size_t) (space - entry) > ZAF_PROTO_ACTOR_MAX)
        return;
    memcpy (watcher_id, entry, (size_t) (space - entry));
    watcher_id [space - entry] = 0;
    zaf_broker_actor_t *watcher = (zaf_broker_actor_t *) zhashx_lookup (self->actors, watcher_id);
    if (!watcher || !watcher->node || watcher->node->doomed)
        return;
    zaf_proto_t *tell = zaf_broker_out_start (self->out, ZAF_PROTO_TELL);
    zaf_proto_set_actor (tell, watcher->id);
    zaf_proto_set_name (tell, space + 1);
    cJSON *args = cJSON_CreateArray ();
    cJSON_AddItemToArray (args, s_notice (id, reason));
    zaf_proto_set_body_json (tell, args);
    cJSON_Delete (args);
    if (watcher->restarting)
        //  It is coming back: the notice waits with its other requests
        zaf_broker_actors_hold (self, watcher, tell, NULL);
    else
    if (zaf_broker_out_push (self->out, tell, watcher->node))
        self->stats->unroutable++;
}

//  --------------------------------------------------------------------------
//  An actor has ended: fail what waits on it, tell its monitors, end what
//  it owns, remember it, forget it.

void
zaf_broker_actors_end (zaf_broker_actors_t *self, zaf_broker_actor_t *actor, zaf_code_t code,
                       const char *reason)
{
    assert (self);
    char message [ZAF_ERROR_MESSAGE_MAX];
    snprintf (message, sizeof (message), "actor %s (%s) ended: %s",
              actor->id, actor->class_name, reason);
    if (self->on_end)
        self->on_end (self->on_end_arg, actor, reason);
    zaf_ring_remove (&actor->sibling);
    while (!zaf_ring_empty (&actor->flights)) {
        zaf_broker_flight_t *flight = ZAF_RING_ENTRY (actor->flights.next, zaf_broker_flight_t, by_target);
        zaf_broker_flights_fail (self->flights, flight, code, message);
    }
    while (!zaf_ring_empty (&actor->monitors)) {
        zaf_broker_flight_t *flight = ZAF_RING_ENTRY (actor->monitors.next, zaf_broker_flight_t, by_target);
        zaf_broker_flights_answer (self->flights, flight, s_notice (actor->id, reason));
    }
    if (actor->watchers)
        for (const char *entry = (const char *) zlistx_first (actor->watchers); entry;
             entry = (const char *) zlistx_next (actor->watchers))
            s_notify_watcher (self, entry, actor->id, reason);
    //  What it owns shares its fate (each child ends its own children)
    zaf_broker_actors_kill_children (self, actor);
    if (actor->ready)
        s_tombstone (self, actor->id, reason);
    char escaped [256];
    if (self->verbose)
        zsys_debug ("zaf_broker: actor ended actor=%s reason=%s", actor->id,
                    zaf_escape (reason, escaped, sizeof (escaped)));
    zaf_broker_actors_remove (self, &actor);
}

//  --------------------------------------------------------------------------
//  Who is told of each end.

void
zaf_broker_actors_set_on_end (zaf_broker_actors_t *self, zaf_broker_actors_end_fn *on_end, void *arg)
{
    assert (self);
    self->on_end = on_end;
    self->on_end_arg = arg;
}

//  --------------------------------------------------------------------------
//  End an actor the broker decides to end: tell its node, end it here.

void
zaf_broker_actors_kill (zaf_broker_actors_t *self, zaf_broker_actor_t *actor, const char *reason)
{
    assert (self);
    if (actor->node && !actor->node->doomed) {
        zaf_proto_t *kill = zaf_broker_out_start (self->out, ZAF_PROTO_KILL);
        zaf_proto_set_actor (kill, actor->id);
        char body [80];
        snprintf (body, sizeof (body), "{\"reason\":\"%s\"}", reason);
        zaf_proto_set_body (kill, body, strlen (body));
        zaf_broker_out_send (self->out, actor->node->key.data, actor->node->key.size);
    }
    actor->ready = true;        //  Remember the id as dead
    zaf_broker_actors_end (self, actor, ZAF_ACTOR_DIED, reason);
}

//  --------------------------------------------------------------------------
//  End every actor that actor owns.

void
zaf_broker_actors_kill_children (zaf_broker_actors_t *self, zaf_broker_actor_t *actor)
{
    assert (self);
    while (!zaf_ring_empty (&actor->children)) {
        zaf_broker_actor_t *child = ZAF_RING_ENTRY (actor->children.next, zaf_broker_actor_t, sibling);
        zaf_broker_actors_kill (self, child, "owner_died");
    }
}

//  --------------------------------------------------------------------------
//  Hold a request for the actor's next incarnation.

void
zaf_broker_actors_hold (zaf_broker_actors_t *self, zaf_broker_actor_t *actor, zaf_proto_t *request,
                        zaf_broker_flight_t *flight)
{
    assert (self);
    if (!actor->held) {
        actor->held = zlistx_new ();
        zlistx_set_destructor (actor->held, (zlistx_destructor_fn *) zaf_proto_destroy);
    }
    if (flight && actor->call_retries)
        flight->copy = zaf_proto_dup (request);
    if (flight)
        flight->held = true;
    zlistx_add_end (actor->held, zaf_proto_dup (request));
}

//  --------------------------------------------------------------------------
//  MONITOR with notify: an actor asks to be told by a TELL of one of its
//  methods. Answers the request.

static void
s_watch (zaf_broker_actors_t *self, zaf_proto_t *request, zaf_broker_peer_t *caller, zaf_broker_actor_t *actor,
         const cJSON *options)
{
    const char *id = zaf_proto_actor (request);
    const char *method = zaf_json_string (options, "notify", NULL);
    const char *watcher_id = zaf_json_string (options, "watcher", "");
    zaf_broker_actor_t *watcher = (zaf_broker_actor_t *) zhashx_lookup (self->actors, watcher_id);
    const char *reason = zaf_broker_actors_tombstone (self, id);
    if (!zaf_registry_name_valid (method))
        zaf_broker_out_refuse (self->out, request, ZAF_BAD_ARGS,
                               "notify must name a method (printable ASCII)");
    else
    if (!watcher || watcher->node != caller)
        zaf_broker_out_refuse (self->out, request, ZAF_BAD_ARGS,
                               "watcher %s is not an actor of the requesting node", watcher_id);
    else
    if (!actor && !reason)
        zaf_broker_out_refuse (self->out, request, ZAF_NO_SUCH_ACTOR, "no actor %s", id);
    else
    if (actor && actor->watchers && zlistx_size (actor->watchers) >= self->max_pending)
        zaf_broker_out_refuse (self->out, request, ZAF_OVERLOADED, "actor %s has too many watchers", id);
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
            s_notify_watcher (self, entry, id, reason);
            zstr_free (&entry);
        }
        cJSON *result = cJSON_CreateObject ();
        cJSON_AddBoolToObject (result, "watching", true);
        zaf_broker_out_answer_ok (self->out, request, result);
    }
}

//  --------------------------------------------------------------------------
//  MONITOR: answered once, when the actor ends, with why. An actor that
//  has already ended is answered at once with the reason we remember.

void
zaf_broker_actors_handle_monitor (zaf_broker_actors_t *self, zaf_proto_t *request,
                                  zaf_broker_peer_t *caller)
{
    assert (self);
    const char *id = zaf_proto_actor (request);
    zaf_broker_actor_t *actor = (zaf_broker_actor_t *) zhashx_lookup (self->actors, id);
    cJSON *options;
    if (zaf_broker_out_parse (self->out, request, "MONITOR request", &options))
        return;
    if (zaf_json_string (options, "notify", NULL)) {
        s_watch (self, request, caller, actor, options);
        cJSON_Delete (options);
        return;
    }
    cJSON_Delete (options);
    if (actor)
        zaf_broker_actors_flight (self, request, caller, FLIGHT_MONITOR, actor);
    else {
        const char *reason = zaf_broker_actors_tombstone (self, id);
        if (reason)
            zaf_broker_out_answer_ok (self->out, request, s_notice (id, reason));
        else
            zaf_broker_out_refuse (self->out, request, ZAF_NO_SUCH_ACTOR, "no actor %s", id);
    }
}
