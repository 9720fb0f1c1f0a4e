/*  =========================================================================
    zaf_context - what a running method or task sees

    An actor's (or task worker's) connection carries a context: the actor
    it runs as (zaf_self), the request being served (its blobs, for
    zaf_arg_blob), the blobs its answer will carry (zaf_return_blob), the
    reason zaf_exit gave, and the runtime's own "zaf." hooks. A driver's
    connection has none. The actor runtime makes the context with the
    connection and destroys it before it; everything runs in that thread.
    =========================================================================
*/

#ifndef ZAF_CONTEXT_H_INCLUDED
#define ZAF_CONTEXT_H_INCLUDED

//  Methods whose names start with this prefix are the runtime's own: an
//  actor runs the hook registered for the name instead of its class's
//  method (the supervisor library receives its notices this way).
#define ZAF_CONTEXT_HOOK_PREFIX "zaf."

typedef struct _zaf_context_t zaf_context_t;
typedef void (zaf_context_hook_fn) (void *arg, zaf_t *z, const cJSON *args);

//  Create the context of connection z (borrowed: it must outlive the
//  context) for actor actor_id, or for a task worker if NULL. The
//  connection carries it from now on (zaf_context (z)).
zaf_context_t *
    zaf_context_new (zaf_t *z, const char *actor_id);

//  Destroy a context and take it off its connection.
void
    zaf_context_destroy (zaf_context_t **self_p);

//  The context a connection carries, or NULL (a driver's).
zaf_context_t *
    zaf_context (zaf_t *z);

//  A method or task is about to run for `request` (borrowed until the next
//  call; NULL when it is done): zaf_arg_blob reads its attachments, and
//  blobs an earlier method returned but never sent are dropped.
void
    zaf_context_serving (zaf_context_t *self, zaf_proto_t *request);

//  The request being served (borrowed), or NULL between methods.
zaf_proto_t *
    zaf_context_request (zaf_context_t *self);

//  Move the blobs the method returned (zaf_return_blob) into its answer.
void
    zaf_context_take_returns (zaf_context_t *self, zaf_proto_t *answer);

//  The reason zaf_exit gave, once the actor's code asked to end; NULL
//  until then. The runtime ends the actor after the method returns.
const char *
    zaf_context_exit_reason (zaf_context_t *self);

//  The actor ends, for this reason: zaf_exit_reason says so from now on
//  (its destructor reads it).
void
    zaf_context_set_ending (zaf_context_t *self, const char *reason);

//  True if a method name is one of the runtime's own ("zaf." ...).
bool
    zaf_context_is_hook (const char *method);

//  Register (fn) or remove (NULL) the hook for a "zaf." method name.
void
    zaf_context_set_hook (zaf_context_t *self, const char *method, zaf_context_hook_fn *fn,
                          void *arg);

//  Run the hook for a method name. Returns 0, or -1 if there is none.
int
    zaf_context_run_hook (zaf_context_t *self, const char *method, const cJSON *args);

//  The actor's readers and timers (borrowed; the actor runtime owns them
//  and sets NULL before destroying them), or NULL for a task worker.
void
    zaf_context_set_io (zaf_context_t *self, zaf_readers_t *readers, zaf_timers_t *timers);
zaf_readers_t *
    zaf_context_readers (zaf_context_t *self);
zaf_timers_t *
    zaf_context_timers (zaf_context_t *self);

#endif
