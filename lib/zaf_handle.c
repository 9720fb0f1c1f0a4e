/*  =========================================================================
    zaf_handle - actor handles (zaf_actor_t) and their JSON form

    A handle is an id plus, while it owns the actor, a place in its owner
    connection's list. The list belongs to the connection; the handle only
    remembers its item so that leaving costs O(1). Used from the thread of
    the connection that holds it, like every zaf_t object.
    =========================================================================
*/

#include "zaf_classes.h"

struct _zaf_actor_t {
    char id [ZAF_PROTO_ACTOR_MAX + 1];  //  Actor id
    bool owned;                 //  Spawned through us, not detached
    zaf_t *owner;               //  Connection that kills it, while alive
    zlistx_t *owned_list;       //  That connection's owned handles
    void *owned_item;           //  Our place in it
};

//  --------------------------------------------------------------------------
//  Constructor and destructor

zaf_actor_t *
zaf_handle_new (const char *id)
{
    assert (id);
    zaf_actor_t *self = (zaf_actor_t *) zmalloc (sizeof (zaf_actor_t));
    assert (self);
    snprintf (self->id, sizeof (self->id), "%s", id);
    return self;
}

void
zaf_handle_free (zaf_actor_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zaf_handle_disown (*self_p);
        free (*self_p);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Ownership

void
zaf_handle_own (zaf_actor_t *self, zaf_t *owner, zlistx_t *owned)
{
    assert (self);
    assert (owner && owned);
    self->owned = true;
    self->owner = owner;
    self->owned_list = owned;
    self->owned_item = zlistx_add_end (owned, self);
}

zaf_t *
zaf_handle_owner (const zaf_actor_t *self)
{
    assert (self);
    return self->owner;
}

void
zaf_handle_disown (zaf_actor_t *self)
{
    assert (self);
    if (self->owned_list)
        zlistx_delete (self->owned_list, self->owned_item);
    self->owned = false;
    self->owner = NULL;
    self->owned_list = NULL;
    self->owned_item = NULL;
}

//  --------------------------------------------------------------------------
//  Public: JSON form and accessors

cJSON *
zaf_actor_to_json (const zaf_actor_t *actor)
{
    if (!actor)
        return cJSON_CreateNull ();
    cJSON *json = cJSON_CreateObject ();
    cJSON_AddStringToObject (json, "$actor", actor->id);
    return json;
}

zaf_actor_t *
zaf_actor_from_json (const cJSON *json)
{
    const char *id = zaf_json_string (json, "$actor", NULL);
    if (!id || !*id || strlen (id) > ZAF_PROTO_ACTOR_MAX)
        return NULL;
    for (const char *c = id; *c; c++)
        if (*c < 0x21 || *c > 0x7e)
            return NULL;
    return zaf_handle_new (id);
}

zaf_actor_t *
zaf_actor_dup (const zaf_actor_t *actor)
{
    return actor ? zaf_handle_new (actor->id) : NULL;
}

const char *
zaf_actor_id (const zaf_actor_t *actor)
{
    assert (actor);
    return actor->id;
}

bool
zaf_actor_owned (const zaf_actor_t *actor)
{
    return actor && actor->owned;
}
