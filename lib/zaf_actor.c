/*  =========================================================================
    zaf_actor - the actor runtime: one actor, one thread, one method at a time

    Runs in the actor's own thread, or for an actor process in that
    process's main thread (zaf_actor_run). Talks only to the node, through
    its end of the node's inner ROUTER (zaf_inner: inproc, or ipc from an
    actor process). Invariants: one method at a time; messages are served
    in arrival order (the mailbox holds those that came while a method was
    waiting and is always served before the socket); a CALL gets exactly
    one REPLY unless the node has killed the actor, in which case the node
    has already answered for it; EXIT is the last message the actor sends.
    The running record is written between two increments of its seq, so
    that zaf_actor_running_read in the node sees a whole one or none.
    Between two messages the actor runs its due timers (zaf_timer) and the
    handlers of its ready readers (zaf_reader), on this thread; it removes
    both before its destructor. With max_concurrency > 1 its CALLs and
    TELLs run on a pool (zaf_pool) and this thread sends their answers.
    =========================================================================
*/

#include "zaf_classes.h"
#include <stdatomic.h>

typedef struct {
    zaf_inner_t *inner;             //  Our end of the node's ROUTER
    char *actor_id;
    const zaf_class_t *cls;         //  Actor class
    char *args;                     //  Constructor args (JSON)
    size_t args_size;
    byte caller [ZAF_PROTO_ID_MAX];
    size_t caller_size;
    byte corr [ZAF_PROTO_ID_MAX];
    size_t corr_size;
    zaf_actor_ctl_t *ctl;           //  Shared with the node
    zaf_actor_running_t *running;   //  Shared with the node, or NULL
    bool verbose;
    zaf_t *z;                       //  Our connection (the inner end's)
    zaf_context_t *context;         //  What our code sees, with it
    void *state;                    //  The actor's state
    zaf_readers_t *readers;         //  Its own sockets and fds (zaf_reader)
    zaf_timers_t *timers;           //  Its own timers (zaf_timer)
    zaf_proto_t *tick;              //  A due timer, as a TELL
    int max_concurrency;            //  > 1: calls run on a pool
    char *broker;                   //  Where the pool's connections dial
    zaf_pool_t *pool;               //  Method threads (zaf_pool), or NULL
} self_t;

//  --------------------------------------------------------------------------
//  Actor state: a copy of the spec and an open end to the node. Returns
//  NULL with errno if no socket could be had.

static void s_self_destroy (self_t **self_p);

static self_t *
s_self_new (const zaf_actor_spec_t *spec)
{
    assert (spec && spec->actor_id && spec->cls && spec->ctl);
    assert (spec->caller_size <= ZAF_PROTO_ID_MAX && spec->corr_size <= ZAF_PROTO_ID_MAX);
    self_t *self = (self_t *) zmalloc (sizeof (self_t));
    assert (self);
    self->actor_id = strdup (spec->actor_id);
    self->cls = spec->cls;
    if (spec->args_size) {
        self->args = (char *) malloc (spec->args_size);
        assert (self->args);
        memcpy (self->args, spec->args, spec->args_size);
        self->args_size = spec->args_size;
    }
    if (spec->caller_size)
        memcpy (self->caller, spec->caller, spec->caller_size);
    self->caller_size = spec->caller_size;
    if (spec->corr_size)
        memcpy (self->corr, spec->corr, spec->corr_size);
    self->corr_size = spec->corr_size;
    self->ctl = spec->ctl;
    self->running = spec->running;
    self->verbose = spec->verbose;
    self->max_concurrency = spec->max_concurrency;
    self->broker = spec->broker ? strdup (spec->broker) : NULL;
    self->inner = zaf_inner_new (spec->endpoint, spec->inner_id, spec->actor_id, spec->local);
    if (!self->inner) {
        int error = errno;
        s_self_destroy (&self);
        errno = error;
    }
    return self;
}

static void
s_self_destroy (self_t **self_p)
{
    self_t *self = *self_p;
    zaf_inner_destroy (&self->inner);
    zaf_readers_destroy (&self->readers);
    zaf_timers_destroy (&self->timers);
    zaf_proto_destroy (&self->tick);
    free (self->broker);
    free (self->actor_id);
    free (self->args);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  The running record

//  Record the call or tell that is about to run, for the node to answer
//  if this process dies in it or it runs past its deadline
static void
s_running_set (zaf_actor_running_t *running, zaf_proto_t *msg, bool is_call)
{
    atomic_fetch_add (&running->seq, 1);            //  Odd: being written
    size_t size;
    const void *data = zaf_proto_caller (msg, &size);
    assert (size <= sizeof (running->caller));      //  The codec's bound
    if (size)
        memcpy (running->caller, data, size);
    running->caller_size = (uint32_t) size;
    data = zaf_proto_corr (msg, &size);
    assert (size <= sizeof (running->corr));
    if (size)
        memcpy (running->corr, data, size);
    running->corr_size = (uint32_t) size;
    snprintf (running->method, sizeof (running->method), "%s", zaf_proto_name (msg));
    atomic_store (&running->started, zclock_mono ());
    atomic_store (&running->doing, is_call ? ZAF_ACTOR_IN_CALL : ZAF_ACTOR_IN_TELL);
    atomic_fetch_add (&running->seq, 1);            //  Even: whole
}

//  --------------------------------------------------------------------------
//  Copy a whole running record, if the actor is in a method

bool
zaf_actor_running_read (const zaf_actor_running_t *running, zaf_actor_running_t *copy)
{
    assert (running && copy);
    uint64_t seq = atomic_load (&running->seq);
    if (seq & 1)
        return false;
    unsigned doing = atomic_load (&running->doing);
    int64_t started = atomic_load (&running->started);
    memcpy (copy->method, running->method, sizeof (copy->method));
    memcpy (copy->caller, running->caller, sizeof (copy->caller));
    memcpy (copy->corr, running->corr, sizeof (copy->corr));
    copy->caller_size = running->caller_size;
    copy->corr_size = running->corr_size;
    if (atomic_load (&running->seq) != seq || doing == ZAF_ACTOR_IDLE)
        return false;
    copy->method [sizeof (copy->method) - 1] = 0;
    atomic_store (&copy->seq, seq);
    atomic_store (&copy->doing, doing);
    atomic_store (&copy->started, started);
    return true;
}

//  --------------------------------------------------------------------------
//  Run one call or tell

static void
s_serve_call (self_t *self, zaf_proto_t *msg)
{
    bool is_call = zaf_proto_id (msg) == ZAF_PROTO_CALL;
    const char *method_name = zaf_proto_name (msg);
    zaf_error_t err;
    zaf_error_clear (&err);
    cJSON *result = NULL;
    int64_t started = 0;            //  When the method began (usecs)

    //  Names starting "zaf." are the runtime's own (supervisor notices)
    bool hook = zaf_context_is_hook (method_name);
    zaf_method_fn *method = hook ? NULL : zaf_registry_method (self->cls, method_name);
    size_t size;
    const char *body = zaf_proto_body (msg, &size);
    cJSON *args = method || hook ? zaf_json_parse (body, size) : NULL;
    if (hook && args && zaf_context_run_hook (self->context, method_name, args) == 0)
        ;                       //  Handled by the runtime
    else
    if (hook && !is_call)
        ;                       //  A notice for a hook that is gone: old news
    else
    if (!method)
        zaf_error_set (&err, ZAF_NO_SUCH_METHOD, "class %s has no method %s",
                       self->cls->name, method_name);
    else
    if (!args)
        zaf_error_set (&err, ZAF_BAD_ARGS, "arguments of %s.%s are not valid JSON",
                       self->cls->name, method_name);
    else
    if (zaf_cancel_marked (msg, NULL))
        zaf_error_set (&err, ZAF_CANCELLED, "%s.%s was cancelled before it ran; it did not run",
                       self->cls->name, method_name);
    else
    if (zaf_deadline_passed (msg))
        zaf_error_set (&err, ZAF_TIMEOUT, "the deadline of %s.%s passed before it ran; it did not run",
                       self->cls->name, method_name);
    else {
        if (self->verbose)
            zsys_debug ("zaf_actor: actor=%s method=%s", self->actor_id, method_name);
        started = zclock_usecs ();
        if (self->running)
            s_running_set (self->running, msg, is_call);
        zaf_context_serving (self->context, msg);
        result = method (self->state, self->z, args, &err);
        if (self->running)
            atomic_store (&self->running->doing, ZAF_ACTOR_IDLE);
        if (err.code != ZAF_OK) {
            cJSON_Delete (result);
            result = NULL;
        }
    }
    cJSON_Delete (args);
    if (!hook)
        zaf_metrics_record (&self->ctl->metrics, method_name,
                            started ? (uint64_t) (zclock_usecs () - started) : 0,
                            err.code != ZAF_OK);
    if (is_call)
        zaf_inner_answer (self->inner, msg, result, &err);
    else
    if (err.code != ZAF_OK)
        zsys_warning ("zaf_actor: tell failed actor=%s method=%s code=%s message=%s",
                      self->actor_id, method_name, zaf_code_name (err.code), err.message);
    zaf_context_serving (self->context, NULL);
    zaf_cancel_forget (msg);
    cJSON_Delete (result);
}

//  --------------------------------------------------------------------------
//  Readers and timers (zaf_reader.c, zaf_timer.c): between two messages,
//  run the due timers and the readers that are ready, one at a time, until
//  a message waits for the actor. Returns 0 then, 1 if the actor must end
//  (its code called zaf_exit, or the node killed it), -1 if the context
//  ended. An actor with neither pays one check.

static bool
s_must_end (void *arg)
{
    self_t *self = (self_t *) arg;
    return zaf_context_exit_reason (self->context) || zaf_inner_killed (self->inner)
        || atomic_load (&self->ctl->killed);
}

static int
s_between (self_t *self)
{
    while (zaf_readers_size (self->readers) || zaf_timers_size (self->timers)) {
        if (!self->tick)
            self->tick = zaf_proto_new ();
        while (zaf_timers_next_due (self->timers, self->tick)) {
            s_serve_call (self, self->tick);
            if (s_must_end (self))
                return 1;
        }
        //  Readers get a turn even while messages wait, and the other way
        bool waiting = zaf_inner_waiting (self->inner);
        int timeout = waiting ? 0 : zaf_timers_timeout (self->timers);
        int rc = zaf_readers_poll (self->readers, zaf_inner_socket (self->inner), timeout,
                                   self->z, s_must_end, self);
        if (rc == -1)
            return -1;
        if (s_must_end (self))
            return 1;
        if (rc == 1 || waiting)
            return 0;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Construct and report SPAWNED. Returns true if the actor exists.

static bool
s_construct (self_t *self)
{
    zaf_error_t err;
    zaf_error_clear (&err);
    bool constructed = false;
    cJSON *args = self->args_size ? zaf_json_parse (self->args, self->args_size)
                                  : cJSON_CreateArray ();
    if (!args)
        zaf_error_set (&err, ZAF_BAD_ARGS, "constructor arguments of %s are not valid JSON",
                       self->cls->name);
    else {
        self->state = self->cls->ctor ? self->cls->ctor (self->z, args, &err) : NULL;
        if (err.code == ZAF_OK)
            constructed = true;
        else
        if (self->state && self->cls->dtor) {
            self->cls->dtor (self->state);
            self->state = NULL;
        }
    }
    cJSON_Delete (args);
    zstr_free (&self->args);

    zaf_proto_t *out = zaf_inner_out (self->inner);
    zaf_proto_set_id (out, ZAF_PROTO_SPAWNED);
    zaf_proto_set_caller (out, self->caller, self->caller_size);
    zaf_proto_set_corr (out, self->corr, self->corr_size);
    zaf_proto_set_actor (out, self->actor_id);
    if (constructed)
        zaf_proto_set_body (out, "{}", 2);
    else
        zaf_proto_set_error (out, err.code, "%s", err.message);
    zaf_inner_send (self->inner, out);
    return constructed;
}

//  --------------------------------------------------------------------------
//  A pool (max_concurrency > 1): its answers come back as a reader of the
//  actor's thread, the only thread that writes to the node

static int
s_pool_done (zaf_t *z, void *socket, int fd, void *arg)
{
    self_t *self = (self_t *) arg;
    zaf_proto_t *reply = NULL;
    char reason [64];
    if (zaf_pool_collect (self->pool, &reply, reason, sizeof (reason))) {
        if (reply && !atomic_load (&self->ctl->killed)
        &&  zaf_inner_send (self->inner, reply) && errno != ETERM)
            zsys_warning ("zaf_actor: answer could not be sent: %s", zmq_strerror (errno));
        zaf_proto_destroy (&reply);
        atomic_fetch_add (&self->ctl->processed, 1);
        if (*reason)
            zaf_exit (z, reason);
    }
    return 0;
}

static bool
s_pool_start (self_t *self)
{
    self->pool = zaf_pool_new ((size_t) self->max_concurrency, self->cls, self->state,
                               self->actor_id, self->broker);
    if (self->pool
    &&  zaf_readers_add (self->readers, zaf_pool_socket (self->pool), -1, s_pool_done, self) == 0)
        return true;
    zsys_error ("zaf_actor: actor=%s cannot start %d method threads", self->actor_id,
                self->max_concurrency);
    zaf_pool_destroy (&self->pool);
    return false;
}

//  --------------------------------------------------------------------------
//  The actor: its whole life, in a thread of its own or in the main thread
//  of an actor process. Destroys self.

static void
s_actor_body (self_t *self)
{
    self->z = zaf_inner_client (self->inner);
    self->context = zaf_inner_context (self->inner);
    self->readers = zaf_readers_new ();
    self->timers = zaf_timers_new ();
    zaf_context_set_io (self->context, self->readers, self->timers);
    bool constructed = s_construct (self);

    //  Serve until killed, or until a method asks to end (zaf_exit)
    const char *reason = constructed ? "killed" : "failed";
    char exit_reason [64] = "";
    bool serving = constructed && (self->max_concurrency <= 1 || s_pool_start (self));
    if (constructed && !serving)
        reason = "failed";
    while (serving && !zaf_inner_killed (self->inner) && !atomic_load (&self->ctl->killed)) {
        int between = s_between (self);
        if (between == 1 && zaf_context_exit_reason (self->context)) {
            snprintf (exit_reason, sizeof (exit_reason), "%s",
                      zaf_context_exit_reason (self->context));
            reason = exit_reason;
            break;
        }
        if (between == 1)
            continue;               //  Killed: the loop's test ends it
        zaf_proto_t *msg = between == 0 ? zaf_inner_next (self->inner) : NULL;
        if (!msg) {
            reason = "node stopped";
            break;
        }
        zaf_proto_id_t id = zaf_proto_id (msg);
        if (id == ZAF_PROTO_CALL || id == ZAF_PROTO_TELL) {
            if (atomic_load (&self->ctl->killed))
                atomic_fetch_add (&self->ctl->processed, 1);    //  Node answered it
            else
            if (self->pool && !zaf_context_is_hook (zaf_proto_name (msg)))
                zaf_pool_submit (self->pool, msg);  //  Counted when it is done
            else {
                s_serve_call (self, msg);
                atomic_fetch_add (&self->ctl->processed, 1);
            }
            const char *asked = zaf_context_exit_reason (self->context);
            if (asked) {
                snprintf (exit_reason, sizeof (exit_reason), "%s", asked);
                reason = exit_reason;
                break;
            }
        }
        else
            zaf_inner_handle_other (self->inner, id);
    }
    if (streq (reason, "killed"))
        reason = zaf_actor_why_name (atomic_load (&self->ctl->why));
    //  The destructor may ask why (zaf_exit_reason)
    zaf_context_set_ending (self->context, reason);
    //  Running methods finish first; their answers are dropped
    zaf_pool_destroy (&self->pool);
    //  Readers and timers go before the destructor closes the sockets
    zaf_context_set_io (self->context, NULL, NULL);
    zaf_readers_destroy (&self->readers);
    zaf_timers_destroy (&self->timers);
    if (constructed && self->cls->dtor)
        self->cls->dtor (self->state);
    self->z = NULL;
    self->context = NULL;
    zaf_inner_exit (self->inner, self->actor_id, reason);
    s_self_destroy (&self);
}

static const char *s_why [] = {
    "killed", "drained", "owner_died", "node_stopped", "node_lost", "failed"
};

int
zaf_actor_why (const char *reason)
{
    for (int index = 0; reason && index < (int) (sizeof (s_why) / sizeof (s_why [0])); index++)
        if (streq (reason, s_why [index]))
            return index;
    return 0;
}

const char *
zaf_actor_why_name (int why)
{
    return why > 0 && why < (int) (sizeof (s_why) / sizeof (s_why [0])) ? s_why [why] : "killed";
}

static void *
s_actor_thread (void *arg)
{
    s_actor_body ((self_t *) arg);
    return NULL;
}

//  --------------------------------------------------------------------------
//  Open the actor's socket, then start its thread

int
zaf_actor_start (const zaf_actor_spec_t *spec, pthread_t *thread)
{
    self_t *self = s_self_new (spec);
    if (!self)
        return -1;
    if (zaf_inner_start (self->inner, s_actor_thread, self, thread)) {
        int error = errno;
        s_self_destroy (&self);
        errno = error;
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Run an actor in the calling thread (an actor process)

int
zaf_actor_run (const zaf_actor_spec_t *spec)
{
    self_t *self = s_self_new (spec);
    if (!self)
        return -1;
    s_actor_body (self);
    return 0;
}

//  --------------------------------------------------------------------------
//  Actor and worker threads running in this process

size_t
zaf_actor_threads (void)
{
    return zaf_inner_threads ();
}
