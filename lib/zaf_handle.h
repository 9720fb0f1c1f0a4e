/*  =========================================================================
    zaf_handle - actor handles (zaf_actor_t) and their JSON form

    A handle names an actor by id. It may be *owning*: then the connection
    that spawned the actor keeps it in its list of owned handles, and
    destroying the handle kills the actor (zaf_actor_destroy, which is the
    connection's work and lives in zaf_client.c). The public half
    (zaf_actor_to_json, _from_json, _dup, _id, _owned) is in zaf.h.
    =========================================================================
*/

#ifndef ZAF_HANDLE_H_INCLUDED
#define ZAF_HANDLE_H_INCLUDED

//  A handle on actor `id` that owns nothing. The caller owns the handle.
zaf_actor_t *
    zaf_handle_new (const char *id);

//  Make a handle owning: it goes at the end of `owned` (the owner's list,
//  which must outlive the handle's place in it) and names its owner.
void
    zaf_handle_own (zaf_actor_t *self, zaf_t *owner, zlistx_t *owned);

//  The connection that kills the actor when the handle is destroyed, or
//  NULL if the handle owns nothing or its owner is gone.
zaf_t *
    zaf_handle_owner (const zaf_actor_t *self);

//  The handle owns the actor no more (it was killed, or its owner is
//  going): it leaves its owner's list. It still names the actor.
void
    zaf_handle_disown (zaf_actor_t *self);

//  Free a handle without a word to anyone; nulls *self_p.
void
    zaf_handle_free (zaf_actor_t **self_p);

#endif
