/*  =========================================================================
    zaf_context - what a running method or task sees

    Sits on top of the connection (zaf_client): it reaches the connection
    through the public zaf_t, and the connection holds it only as an
    opaque pointer. Runs in the actor's or task worker's own thread.
    =========================================================================
*/

#include "zaf_classes.h"
#include <ctype.h>

struct _zaf_context_t {
    zaf_t *z;                   //  Our connection (borrowed)
    zaf_actor_t *self_actor;    //  The actor we run as, or NULL (a task)
    zaf_proto_t *serving;       //  The request being served (borrowed)
    zaf_proto_t *returning;     //  Blobs for its answer (zaf_return_blob)
    char *exit_reason;          //  zaf_exit asked the actor to end
    zhashx_t *hooks;            //  "zaf." method -> hook_t
    zaf_readers_t *readers;     //  The actor's readers (borrowed), or NULL
    zaf_timers_t *timers;       //  The actor's timers (borrowed), or NULL
};

typedef struct {
    zaf_context_hook_fn *fn;
    void *arg;
} hook_t;

//  --------------------------------------------------------------------------
//  Constructor and destructor

zaf_context_t *
zaf_context_new (zaf_t *z, const char *actor_id)
{
    assert (z);
    zaf_context_t *self = (zaf_context_t *) zmalloc (sizeof (zaf_context_t));
    assert (self);
    self->z = z;
    if (actor_id)
        self->self_actor = zaf_handle_new (actor_id);
    zaf_client_set_context (z, self);
    return self;
}

void
zaf_context_destroy (zaf_context_t **self_p)
{
    assert (self_p);
    if (!*self_p)
        return;
    zaf_context_t *self = *self_p;
    zaf_client_set_context (self->z, NULL);
    zaf_handle_free (&self->self_actor);
    zaf_proto_destroy (&self->returning);
    zstr_free (&self->exit_reason);
    zhashx_destroy (&self->hooks);
    free (self);
    *self_p = NULL;
}

zaf_context_t *
zaf_context (zaf_t *z)
{
    assert (z);
    return (zaf_context_t *) zaf_client_context (z);
}

//  --------------------------------------------------------------------------
//  The request being served and the blobs of its answer

void
zaf_context_serving (zaf_context_t *self, zaf_proto_t *request)
{
    assert (self);
    self->serving = request;
    if (self->returning)
        zaf_proto_reset (self->returning);      //  Blobs of an earlier method
}

zaf_proto_t *
zaf_context_request (zaf_context_t *self)
{
    assert (self);
    return self->serving;
}

void
zaf_context_take_returns (zaf_context_t *self, zaf_proto_t *answer)
{
    assert (self);
    if (!self->returning)
        return;
    size_t count = zaf_proto_attachments (self->returning);
    for (size_t index = 0; index < count; index++)
        zaf_proto_attach (answer, zaf_proto_attachment (self->returning, index));
    zaf_proto_reset (self->returning);
}

const void *
zaf_arg_blob (zaf_t *z, const cJSON *ref, size_t *size)
{
    zaf_context_t *self = zaf_context (z);
    int index = zaf_blob_index (ref);
    zmq_msg_t *frame = self && index >= 0 && self->serving
                     ? zaf_proto_attachment (self->serving, (size_t) index) : NULL;
    if (size)
        *size = frame ? zmq_msg_size (frame) : 0;
    return frame ? zmq_msg_data (frame) : NULL;
}

size_t
zaf_arg_blobs (zaf_t *z)
{
    zaf_context_t *self = zaf_context (z);
    return self && self->serving ? zaf_proto_attachments (self->serving) : 0;
}

cJSON *
zaf_return_blob (zaf_t *z, zaf_blob_t *blob)
{
    zaf_context_t *self = zaf_context (z);
    if (!blob)
        return NULL;
    if (!self || !self->serving) {
        zaf_blob_destroy (&blob);
        return NULL;
    }
    if (!self->returning)
        self->returning = zaf_proto_new ();
    size_t index = zaf_proto_attachments (self->returning);
    int rc = zaf_proto_attach (self->returning, zaf_blob_frame (blob));
    zaf_blob_destroy (&blob);
    return rc == 0 ? zaf_blob_ref (index) : NULL;
}

//  --------------------------------------------------------------------------
//  Who we are, and ending ourselves

zaf_actor_t *
zaf_self (zaf_t *z)
{
    zaf_context_t *self = zaf_context (z);
    return self ? self->self_actor : NULL;
}

void
zaf_exit (zaf_t *z, const char *reason)
{
    zaf_context_t *self = zaf_context (z);
    if (!self || !self->self_actor)
        return;                 //  Drivers and tasks have nothing to end
    zstr_free (&self->exit_reason);
    //  Reasons travel in JSON and logs: keep them to a short, plain word
    char word [64];
    snprintf (word, sizeof (word), "%s", reason && *reason ? reason : "normal");
    for (char *c = word; *c; c++)
        if (!isalnum ((unsigned char) *c) && *c != '_' && *c != '-' && *c != '.')
            *c = '_';
    self->exit_reason = strdup (word);
}

void
zaf_context_set_ending (zaf_context_t *self, const char *reason)
{
    assert (self);
    zstr_free (&self->exit_reason);
    self->exit_reason = strdup (reason ? reason : "normal");
}

const char *
zaf_exit_reason (zaf_t *z)
{
    zaf_context_t *context = z ? zaf_context (z) : NULL;
    return context ? context->exit_reason : NULL;
}

const char *
zaf_context_exit_reason (zaf_context_t *self)
{
    assert (self);
    return self->exit_reason;
}

//  --------------------------------------------------------------------------
//  The runtime's own methods

bool
zaf_context_is_hook (const char *method)
{
    return method && strncmp (method, ZAF_CONTEXT_HOOK_PREFIX,
                              sizeof (ZAF_CONTEXT_HOOK_PREFIX) - 1) == 0;
}

void
zaf_context_set_hook (zaf_context_t *self, const char *method, zaf_context_hook_fn *fn,
                      void *arg)
{
    assert (self);
    assert (zaf_context_is_hook (method));
    if (!self->hooks) {
        self->hooks = zhashx_new ();
        zhashx_set_destructor (self->hooks, (zhashx_destructor_fn *) zstr_free);
    }
    if (!fn) {
        zhashx_delete (self->hooks, method);
        return;
    }
    hook_t *hook = (hook_t *) zmalloc (sizeof (hook_t));
    assert (hook);
    hook->fn = fn;
    hook->arg = arg;
    zhashx_update (self->hooks, method, hook);
}

int
zaf_context_run_hook (zaf_context_t *self, const char *method, const cJSON *args)
{
    assert (self);
    hook_t *hook = self->hooks ? (hook_t *) zhashx_lookup (self->hooks, method) : NULL;
    if (!hook)
        return -1;
    hook->fn (hook->arg, self->z, args);
    return 0;
}

//  --------------------------------------------------------------------------
//  The actor's readers and timers (zaf_reader, zaf_timer)

void
zaf_context_set_io (zaf_context_t *self, zaf_readers_t *readers, zaf_timers_t *timers)
{
    assert (self);
    self->readers = readers;
    self->timers = timers;
}

zaf_readers_t *
zaf_context_readers (zaf_context_t *self)
{
    return self ? self->readers : NULL;
}

zaf_timers_t *
zaf_context_timers (zaf_context_t *self)
{
    return self ? self->timers : NULL;
}
