/*  =========================================================================
    zaf_node_parties - the table of what a node hosts

    Used by the node's thread only. Invariants: every record in the table
    is in the map by inner id; a live actor (not dying) is also in the map
    by actor id; a ready worker is in the idle list until it is removed;
    an actor process that ended without EXIT is in the settling list until
    it is settled or removed. The table owns the records and the queued
    tasks; the lists only borrow records.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_node_parties.h"

struct _zaf_node_parties_t {
    zhashx_t *parties;              //  inner id -> zaf_node_party_t (owned)
    zhashx_t *actors;               //  actor id -> zaf_node_party_t (live)
    zlistx_t *idle;                 //  Ready workers (borrowed), each
                                    //  holding up to ZAF_NODE_PREFETCH tasks
    zlistx_t *tasks;                //  Queued SUBMITs (zaf_proto_t)
    zlistx_t *settling;             //  Processes ended without EXIT (borrowed)
    uint32_t next_inner;            //  Next inner id (low 31 bits)
};

//  --------------------------------------------------------------------------
//  Records: one constructor per kind, one destructor

static zaf_node_party_t *
s_party_new (zaf_party_kind_t kind, uint32_t inner_id)
{
    zaf_node_party_t *self = (zaf_node_party_t *) zmalloc (sizeof (zaf_node_party_t));
    assert (self);
    self->kind = kind;
    self->inner_id = inner_id;
    zaf_inner_encode_id (inner_id, self->routing_id);
    return self;
}

zaf_node_party_t *
zaf_node_party_new_worker (uint32_t inner_id, int index)
{
    zaf_node_party_t *self = s_party_new (ZAF_PARTY_WORKER, inner_id);
    snprintf (self->id, sizeof (self->id), "worker-%d", index);
    return self;
}

//  What both kinds of actor have
static zaf_node_party_t *
s_actor_new (zaf_party_kind_t kind, uint32_t inner_id, const char *id, const char *class_name)
{
    assert (id && class_name);
    zaf_node_party_t *self = s_party_new (kind, inner_id);
    snprintf (self->id, sizeof (self->id), "%s", id);
    self->class_name = class_name;
    self->backlog = zlistx_new ();
    zlistx_set_destructor (self->backlog, (zlistx_destructor_fn *) zaf_proto_destroy);
    return self;
}

zaf_node_party_t *
zaf_node_party_new_thread (uint32_t inner_id, const char *id, const char *class_name)
{
    zaf_node_party_t *self = s_actor_new (ZAF_PARTY_THREAD, inner_id, id, class_name);
    self->ctl = (zaf_actor_ctl_t *) zmalloc (sizeof (zaf_actor_ctl_t));
    assert (self->ctl);
    atomic_init (&self->ctl->killed, false);
    atomic_init (&self->ctl->processed, 0);
    return self;
}

zaf_node_party_t *
zaf_node_party_new_process (uint32_t inner_id, const char *id, const char *class_name)
{
    return s_actor_new (ZAF_PARTY_PROCESS, inner_id, id, class_name);
}

void
zaf_node_party_destroy (zaf_node_party_t **self_p)
{
    assert (self_p);
    zaf_node_party_t *self = *self_p;
    if (!self)
        return;
    zlistx_destroy (&self->backlog);
    if (self->kind == ZAF_PARTY_THREAD)
        free (self->ctl);       //  A process's is freed by zaf_isolate_forget
    zaf_proto_destroy (&self->spawned);
    free (self->watch);
    cJSON_Delete (self->announce);
    free (self);
    *self_p = NULL;
}

void
zaf_node_party_purge (zaf_node_party_t *self)
{
    assert (self);
    if (self->backlog)
        zlistx_purge (self->backlog);
}

//  --------------------------------------------------------------------------
//  What the SPAWN says about the actor's life

void
zaf_node_party_set_spawn (zaf_node_party_t *self, zaf_proto_t *spawn, const cJSON *options)
{
    assert (self && spawn);
    cJSON *announce = cJSON_CreateObject ();
    cJSON_AddStringToObject (announce, "id", self->id);
    cJSON_AddStringToObject (announce, "class", self->class_name);
    const char *name = zaf_json_string (options, "name", NULL);
    const char *owner = zaf_json_string (options, "owner", NULL);
    bool detached = zaf_json_bool (options, "detached", false);
    if (name)
        cJSON_AddStringToObject (announce, "name", name);
    if (owner && !detached)
        cJSON_AddStringToObject (announce, "parent", owner);
    if (detached)
        cJSON_AddBoolToObject (announce, "detached", true);
    //  What it was placed by, so that a new broker reserves its resources
    //  on this node again
    static const char *placement_members [] = { "resources", "labels", "affinity", "strategy" };
    cJSON *placement = NULL;
    for (size_t index = 0; index < sizeof (placement_members) / sizeof (placement_members [0]); index++) {
        const cJSON *member = cJSON_GetObjectItemCaseSensitive (options, placement_members [index]);
        if (!member)
            continue;
        if (!placement)
            placement = cJSON_AddObjectToObject (announce, "placement");
        cJSON_AddItemToObject (placement, placement_members [index], cJSON_Duplicate (member, true));
    }
    if (zaf_json_int (options, "max_restarts", 0) != 0
    ||  cJSON_GetObjectItemCaseSensitive (options, "retry_on")) {
        //  Enough for the new broker to restart it (and retry its calls)
        //  as the old one would
        size_t size;
        const char *body = zaf_proto_body (spawn, &size);
        cJSON *args = size ? zaf_json_parse (body, size) : cJSON_CreateArray ();
        if (args) {
            cJSON_AddItemToObject (announce, "options", cJSON_Duplicate (options, true));
            cJSON_AddItemToObject (announce, "args", args);
        }
    }
    cJSON_Delete (self->announce);
    self->announce = announce;
    int deadline_ms = zaf_json_int (options, "call_deadline_ms", 0);
    self->deadline_ms = deadline_ms > 0 ? deadline_ms : 0;
    self->restartable = zaf_json_int (options, "max_restarts", 0) != 0;
}

//  --------------------------------------------------------------------------
//  The table

zaf_node_parties_t *
zaf_node_parties_new (void)
{
    zaf_node_parties_t *self = (zaf_node_parties_t *) zmalloc (sizeof (zaf_node_parties_t));
    assert (self);
    self->parties = zaf_key_int_map_new ();
    self->actors = zhashx_new ();
    self->idle = zlistx_new ();
    self->tasks = zlistx_new ();
    zlistx_set_destructor (self->tasks, (zlistx_destructor_fn *) zaf_proto_destroy);
    self->settling = zlistx_new ();
    return self;
}

void
zaf_node_parties_destroy (zaf_node_parties_t **self_p)
{
    assert (self_p);
    zaf_node_parties_t *self = *self_p;
    if (!self)
        return;
    zlistx_t *parties = zaf_node_parties_list (self);
    for (zaf_node_party_t *party = (zaf_node_party_t *) zlistx_first (parties); party;
         party = (zaf_node_party_t *) zlistx_next (parties))
        zaf_node_party_destroy (&party);
    zlistx_destroy (&parties);
    zhashx_destroy (&self->parties);
    zhashx_destroy (&self->actors);
    zlistx_destroy (&self->idle);
    zlistx_destroy (&self->tasks);
    zlistx_destroy (&self->settling);
    free (self);
    *self_p = NULL;
}

uint32_t
zaf_node_parties_next_id (zaf_node_parties_t *self)
{
    assert (self);
    return 0x80000000u | (++self->next_inner & 0x7fffffffu);
}

void
zaf_node_parties_insert (zaf_node_parties_t *self, zaf_node_party_t *party)
{
    assert (self && party);
    assert (!zaf_node_parties_find (self, party->inner_id));
    zhashx_insert (self->parties, (void *) (uintptr_t) party->inner_id, party);
    if (party->kind != ZAF_PARTY_WORKER && !party->dying)
        zhashx_insert (self->actors, party->id, party);
}

void
zaf_node_parties_remove (zaf_node_parties_t *self, zaf_node_party_t **party_p)
{
    assert (self && party_p && *party_p);
    zaf_node_party_t *party = *party_p;
    if (zhashx_lookup (self->actors, party->id) == party)
        zhashx_delete (self->actors, party->id);
    if (party->kind == ZAF_PARTY_WORKER) {
        void *item = zlistx_find (self->idle, party);
        if (item)
            zlistx_delete (self->idle, item);
    }
    if (party->settling_item) {
        zlistx_delete (self->settling, party->settling_item);
        party->settling_item = NULL;
    }
    zhashx_delete (self->parties, (void *) (uintptr_t) party->inner_id);
    zaf_node_party_destroy (party_p);
}

zaf_node_party_t *
zaf_node_parties_find (zaf_node_parties_t *self, uint32_t inner_id)
{
    assert (self);
    return (zaf_node_party_t *) zhashx_lookup (self->parties, (void *) (uintptr_t) inner_id);
}

zaf_node_party_t *
zaf_node_parties_find_routing (zaf_node_parties_t *self, const void *routing_id, size_t size)
{
    uint32_t inner_id = zaf_inner_decode_id (routing_id, size);
    return inner_id ? zaf_node_parties_find (self, inner_id) : NULL;
}

zaf_node_party_t *
zaf_node_parties_actor (zaf_node_parties_t *self, const char *actor_id)
{
    assert (self && actor_id);
    return (zaf_node_party_t *) zhashx_lookup (self->actors, actor_id);
}

void
zaf_node_parties_set_dying (zaf_node_parties_t *self, zaf_node_party_t *party)
{
    assert (self && party);
    party->dying = true;
    if (zhashx_lookup (self->actors, party->id) == party)
        zhashx_delete (self->actors, party->id);
}

zaf_node_party_t *
zaf_node_parties_first_actor (zaf_node_parties_t *self)
{
    assert (self);
    return (zaf_node_party_t *) zhashx_first (self->actors);
}

zaf_node_party_t *
zaf_node_parties_next_actor (zaf_node_parties_t *self)
{
    assert (self);
    return (zaf_node_party_t *) zhashx_next (self->actors);
}

zlistx_t *
zaf_node_parties_list (zaf_node_parties_t *self)
{
    assert (self);
    return zhashx_values (self->parties);
}

size_t
zaf_node_parties_size (zaf_node_parties_t *self)
{
    assert (self);
    return zhashx_size (self->parties);
}

size_t
zaf_node_parties_actors (zaf_node_parties_t *self)
{
    assert (self);
    return zhashx_size (self->actors);
}

size_t
zaf_node_parties_tasks_running (zaf_node_parties_t *self)
{
    assert (self);
    //  On a copy of the table, so that no walk of the caller's is disturbed
    size_t running = 0;
    zlistx_t *all = zaf_node_parties_list (self);
    for (zaf_node_party_t *party = (zaf_node_party_t *) zlistx_first (all); party;
         party = (zaf_node_party_t *) zlistx_next (all))
        if (party->kind == ZAF_PARTY_WORKER)
            running += (size_t) party->inflight;
    zlistx_destroy (&all);
    return running;
}

//  --------------------------------------------------------------------------
//  Workers and tasks: each task to the worker holding the fewest, and none
//  holding more than ZAF_NODE_PREFETCH, so a worker finds its next task
//  waiting when it finishes one instead of waiting for the node

void
zaf_node_parties_worker_ready (zaf_node_parties_t *self, zaf_node_party_t *worker)
{
    assert (self && worker && worker->kind == ZAF_PARTY_WORKER);
    worker->ready = true;
    zlistx_add_end (self->idle, worker);
}

zaf_node_party_t *
zaf_node_parties_least_loaded (zaf_node_parties_t *self)
{
    assert (self);
    zaf_node_party_t *worker = NULL;
    for (zaf_node_party_t *party = (zaf_node_party_t *) zlistx_first (self->idle); party;
         party = (zaf_node_party_t *) zlistx_next (self->idle))
        if (party->inflight < ZAF_NODE_PREFETCH
        && (!worker || party->inflight < worker->inflight))
            worker = party;
    return worker;
}

void
zaf_node_parties_queue_task (zaf_node_parties_t *self, zaf_proto_t **task_p)
{
    assert (self && task_p && *task_p);
    zlistx_add_end (self->tasks, *task_p);
    *task_p = NULL;
}

size_t
zaf_node_parties_tasks (zaf_node_parties_t *self)
{
    assert (self);
    return zlistx_size (self->tasks);
}

zaf_proto_t *
zaf_node_parties_next_task (zaf_node_parties_t *self, zaf_node_party_t **worker_p)
{
    assert (self && worker_p);
    *worker_p = zlistx_size (self->tasks) ? zaf_node_parties_least_loaded (self) : NULL;
    return *worker_p ? (zaf_proto_t *) zlistx_detach (self->tasks, NULL) : NULL;
}

void
zaf_node_parties_drop_tasks (zaf_node_parties_t *self)
{
    assert (self);
    zlistx_purge (self->tasks);
}

//  --------------------------------------------------------------------------
//  Actor processes that ended without EXIT

void
zaf_node_parties_settle (zaf_node_parties_t *self, zaf_node_party_t *party, int64_t settle_at)
{
    assert (self && party && !party->settling_item);
    party->settle_at = settle_at;
    party->settling_item = zlistx_add_end (self->settling, party);
}

zaf_node_party_t *
zaf_node_parties_settled (zaf_node_parties_t *self, int64_t now, int *next)
{
    assert (self && next);
    for (zaf_node_party_t *party = (zaf_node_party_t *) zlistx_first (self->settling); party;
         party = (zaf_node_party_t *) zlistx_next (self->settling)) {
        if (now >= party->settle_at) {
            zlistx_delete (self->settling, party->settling_item);
            party->settling_item = NULL;
            return party;
        }
        if (*next == -1 || party->settle_at - now < *next)
            *next = (int) (party->settle_at - now);
    }
    return NULL;
}
