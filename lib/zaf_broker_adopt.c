/*  =========================================================================
    zaf_broker_adopt - taking actors back after a broker restart

    Runs in the broker thread only. Owns the list of adopted actors waiting
    for their driver's claim: actor id -> deadline. Entries are by id, not
    by record, so an actor that ends meanwhile leaves only a stale id,
    dropped when it is next looked at. Adoption goes in passes over the
    node's list: records first, so that a parent listed after its child is
    found; then owners; then the actors whose parent is gone end, after
    every link is made.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_broker_retry.h"
#include "zaf_broker_adopt.h"

struct _zaf_broker_adopt_t {
    zaf_broker_peers_t *peers;      //  Borrowed
    zaf_broker_actors_t *actors;    //  Borrowed
    zaf_broker_out_t *out;          //  Borrowed
    zhashx_t *waiting;              //  Actor id -> claim deadline (int64_t *)
};

static void
s_deadline_destroy (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

//  --------------------------------------------------------------------------
//  Create and destroy the adoption bookkeeping.

zaf_broker_adopt_t *
zaf_broker_adopt_new (zaf_broker_peers_t *peers, zaf_broker_actors_t *actors,
                      zaf_broker_out_t *out)
{
    assert (peers);
    assert (actors);
    assert (out);
    zaf_broker_adopt_t *self = (zaf_broker_adopt_t *) zmalloc (sizeof (zaf_broker_adopt_t));
    assert (self);
    self->peers = peers;
    self->actors = actors;
    self->out = out;
    self->waiting = zhashx_new ();
    zhashx_set_destructor (self->waiting, s_deadline_destroy);
    return self;
}

void
zaf_broker_adopt_destroy (zaf_broker_adopt_t **self_p)
{
    assert (self_p);
    zaf_broker_adopt_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->waiting);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  One adopted actor

//  Its call retries (max_call_retries, retry_on), as SPAWN set them; bad
//  ones (a node of another build) leave it with none
static void
s_adopt_retries (zaf_broker_actor_t *actor, const cJSON *options, bool restartable)
{
    int retries = zaf_json_int (options, "max_call_retries", 0);
    int retry_on = zaf_broker_retry_on (options, retries);
    if (retries < -1 || retry_on == -1
    || ((retry_on & ZAF_BROKER_RETRY_METHOD_FAILED) && retries < 0))
        return;
    actor->retry_on = retry_on;
    actor->call_retries = restartable || (retry_on & ZAF_BROKER_RETRY_METHOD_FAILED) ? retries : 0;
}

//  A restartable adopted actor brings what it takes to restart it: the
//  SPAWN is rebuilt from its class, options and constructor arguments
static void
s_adopt_restarts (zaf_broker_actor_t *actor, const cJSON *entry)
{
    const cJSON *options = cJSON_GetObjectItemCaseSensitive (entry, "options");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive (entry, "args");
    int max_restarts = zaf_json_int (options, "max_restarts", 0);
    bool restartable = cJSON_IsObject (options) && args && max_restarts >= -1 && max_restarts != 0;
    if (cJSON_IsObject (options))
        s_adopt_retries (actor, options, restartable);
    if (!restartable)
        return;
    actor->restarts_left = max_restarts;
    const char *pin = zaf_json_string (options, "node", NULL);
    actor->pin = pin ? strdup (pin) : NULL;
    actor->spawn = zaf_proto_new ();
    zaf_proto_set_id (actor->spawn, ZAF_PROTO_SPAWN);
    zaf_proto_set_corr (actor->spawn, "restart", 7);
    zaf_proto_set_actor (actor->spawn, actor->id);
    zaf_proto_set_name (actor->spawn, actor->class_name);
    char *text = cJSON_PrintUnformatted (options);
    zaf_proto_set_options (actor->spawn, text, strlen (text));
    cJSON_free (text);
    zaf_proto_set_body_json (actor->spawn, args);
}

//  An adopted actor holds its resources on its node again, as when it was
//  spawned: from the entry's "placement", or, from a node that does not
//  send that, the options of a restartable actor
static void
s_adopt_placement (zaf_broker_adopt_t *self, zaf_broker_actor_t *actor, zaf_broker_peer_t *node,
                   const cJSON *entry)
{
    const cJSON *placement = cJSON_GetObjectItemCaseSensitive (entry, "placement");
    if (!placement)
        placement = cJSON_GetObjectItemCaseSensitive (entry, "options");
    if (!cJSON_IsObject (placement))
        return;
    char error [128] = "";
    zaf_demand_t *demand = zaf_demand_new (placement, error, sizeof (error));
    if (*error) {
        zaf_broker_out_warn (self->out, node, "node %s announced actor %s with a placement "
                             "we cannot read (%s): it holds no resources", node->name,
                             actor->id, error);
        return;
    }
    if (!demand)
        return;
    zaf_demand_destroy (&actor->demand);
    actor->demand = demand;         //  Released when it ends or moves
    if (node->capacity)
        zaf_capacity_reserve (node->capacity, demand);
}

static zaf_broker_actor_t *
s_adopt_one (zaf_broker_adopt_t *self, zaf_broker_peer_t *node, const cJSON *entry)
{
    const char *id = zaf_json_string (entry, "id", NULL);
    const char *class_name = zaf_json_string (entry, "class", NULL);
    const char *name = zaf_json_string (entry, "name", NULL);
    //  Only an id we issued (when we can tell), that nobody holds now
    if (!id || !*id || strlen (id) > ZAF_PROTO_ACTOR_MAX || !zaf_registry_name_valid (id)
    ||  !class_name || !zhashx_lookup (node->classes, class_name)
    ||  !zaf_broker_actors_adoptable (self->actors, id)) {
        zaf_broker_out_warn (self->out, node, "node %s announced an actor we cannot adopt: %s",
                             node->name, id ? id : "(no id)");
        return NULL;
    }
    zaf_broker_actor_t *actor = zaf_broker_actors_add (self->actors, id, class_name, node);
    if (!actor)
        return NULL;
    actor->ready = true;
    actor->detached = zaf_json_bool (entry, "detached", false);
    if (name && zaf_registry_name_valid (name)
    &&  zaf_broker_actors_set_name (self->actors, actor, name) == -1)
        zsys_warning ("zaf_broker: adopted actor=%s lost its name %s: taken meanwhile",
                      id, name);
    s_adopt_restarts (actor, entry);
    s_adopt_placement (self, actor, node, entry);
    return actor;
}

//  The peer that claimed an actor id before its node came back, if any
//  (the claim is used up)
static zaf_broker_peer_t *
s_claimant (zaf_broker_adopt_t *self, const char *id)
{
    for (zaf_broker_peer_t *peer = zaf_broker_peers_first (self->peers); peer;
         peer = zaf_broker_peers_next (self->peers))
        if (peer->claims && zhashx_lookup (peer->claims, id)) {
            zhashx_delete (peer->claims, id);
            return peer;
        }
    return NULL;
}

//  Link an adopted actor to its owner: its parent if that came back, else
//  the driver that claimed it already, else it waits for a claim. Returns
//  false if its parent is gone (it must end).
static bool
s_adopt_owner (zaf_broker_adopt_t *self, zaf_broker_actor_t *actor, const cJSON *entry, int64_t claim_by)
{
    const char *parent_id = zaf_json_string (entry, "parent", NULL);
    zaf_broker_actor_t *parent = parent_id ? zaf_broker_actors_lookup (self->actors, parent_id) : NULL;
    if (parent && parent != actor)
        zaf_broker_actors_own (actor, parent, NULL);
    else
    if (parent_id)
        return false;
    else {
        //  Its driver may have come back before this node did
        zaf_broker_peer_t *claimant = s_claimant (self, actor->id);
        if (claimant)
            zaf_broker_actors_own (actor, NULL, claimant);
        else {
            int64_t *deadline = (int64_t *) malloc (sizeof (int64_t));
            assert (deadline);
            *deadline = claim_by;
            zhashx_update (self->waiting, actor->id, deadline);
        }
    }
    return true;
}

//  --------------------------------------------------------------------------
//  Take on the actors a node lists in its HELLO.

size_t
zaf_broker_adopt_node (zaf_broker_adopt_t *self, zaf_broker_peer_t *node, const cJSON *entries,
                       int64_t claim_by)
{
    assert (self);
    if (!cJSON_IsArray (entries))
        return 0;
    size_t adopted = 0;
    const cJSON *entry;
    cJSON_ArrayForEach (entry, entries)
        if (s_adopt_one (self, node, entry))
            adopted++;
    //  Second pass: owners. A parent that did not come back takes its
    //  children with it; the rest wait for their driver.
    zlistx_t *orphans = zlistx_new ();
    zlistx_set_destructor (orphans, (zlistx_destructor_fn *) zstr_free);
    cJSON_ArrayForEach (entry, entries) {
        const char *id = zaf_json_string (entry, "id", "");
        zaf_broker_actor_t *actor = zaf_broker_actors_lookup (self->actors, id);
        if (actor && actor->node == node && !actor->detached && !actor->parent
        &&  !zhashx_lookup (self->waiting, id) && !s_adopt_owner (self, actor, entry, claim_by))
            zlistx_add_end (orphans, strdup (id));
    }
    for (const char *id = (const char *) zlistx_first (orphans); id;
         id = (const char *) zlistx_next (orphans)) {
        zaf_broker_actor_t *actor = zaf_broker_actors_lookup (self->actors, id);
        if (actor)
            zaf_broker_actors_kill (self->actors, actor, "owner_died");
    }
    zlistx_destroy (&orphans);
    zsys_info ("zaf_broker: adopted %zu actor(s) from node=%s", adopted, node->name);
    return adopted;
}

//  --------------------------------------------------------------------------
//  A driver back after our restart claims the actors it owns.

size_t
zaf_broker_adopt_claim (zaf_broker_adopt_t *self, zaf_broker_peer_t *peer, const cJSON *ids,
                        size_t max_claims)
{
    assert (self);
    size_t claimed = 0;
    const cJSON *item;
    cJSON_ArrayForEach (item, ids) {
        const char *id = cJSON_GetStringValue (item);
        if (!id || !*id || strlen (id) > ZAF_PROTO_ACTOR_MAX)
            continue;
        zaf_broker_actor_t *actor = zaf_broker_actors_lookup (self->actors, id);
        if (!actor) {
            //  Its node is not back yet: remember the claim for it
            if (!peer->claims)
                peer->claims = zhashx_new ();
            if (zhashx_size (peer->claims) < max_claims)
                zhashx_insert (peer->claims, id, (void *) 1);
            continue;
        }
        if (!zhashx_lookup (self->waiting, id))
            continue;
        zhashx_delete (self->waiting, id);
        zaf_broker_actors_own (actor, NULL, peer);
        claimed++;
    }
    return claimed;
}

//  --------------------------------------------------------------------------
//  Number of adopted actors waiting for their claim.

size_t
zaf_broker_adopt_waiting (zaf_broker_adopt_t *self)
{
    assert (self);
    return zhashx_size (self->waiting);
}

//  --------------------------------------------------------------------------
//  Adopted actors whose driver did not come back in time end.

void
zaf_broker_adopt_expire (zaf_broker_adopt_t *self)
{
    assert (self);
    int64_t now = zclock_mono ();
    zlistx_t *due = zlistx_new ();
    zlistx_set_destructor (due, (zlistx_destructor_fn *) zstr_free);
    for (int64_t *deadline = (int64_t *) zhashx_first (self->waiting); deadline;
         deadline = (int64_t *) zhashx_next (self->waiting)) {
        const char *id = (const char *) zhashx_cursor (self->waiting);
        if (now >= *deadline || !zaf_broker_actors_lookup (self->actors, id))
            zlistx_add_end (due, strdup (id));
    }
    for (const char *id = (const char *) zlistx_first (due); id;
         id = (const char *) zlistx_next (due)) {
        zhashx_delete (self->waiting, id);
        zaf_broker_actor_t *actor = zaf_broker_actors_lookup (self->actors, id);
        if (actor)
            zaf_broker_actors_kill (self->actors, actor, "owner_died");
    }
    zlistx_destroy (&due);
}
