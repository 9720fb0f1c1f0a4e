/*  =========================================================================
    zaf_actor - the actor runtime: light actor threads and task workers

    Runs in the actor's (or worker's) own thread, or for an actor process
    in that process's main thread (zaf_actor_run). Talks only to the node's
    inner ROUTER through its DEALER (inproc, or ipc from an actor process).
    Invariants: one method at a time;
    messages are served in arrival order (the mailbox holds those that came
    while a method was waiting and is always served before the socket); a
    CALL gets exactly one REPLY unless the node has killed the actor, in
    which case the node has already answered for it; EXIT is the last
    message the thread sends.
    =========================================================================
*/

#include "zaf_classes.h"
#include <stdatomic.h>

typedef struct {
    char *endpoint;                 //  Node's inner ROUTER
    uint32_t inner_id;              //  Our routing id
    char *actor_id;                 //  NULL for workers
    const zaf_class_t *cls;         //  Actor class
    zaf_registry_t *registry;       //  Worker functions
    char *args;                     //  Constructor args (JSON)
    size_t args_size;
    byte caller [ZAF_PROTO_ID_MAX];
    size_t caller_size;
    byte corr [ZAF_PROTO_ID_MAX];
    size_t corr_size;
    zaf_actor_ctl_t *ctl;           //  Shared with the node (actors)
    zaf_actor_running_t *running;   //  Shared with the node, or NULL
    bool verbose;
    bool local;                     //  Messages go by reference (a thread)

    void *socket;                   //  DEALER to the node: a plain libzmq
                                    //  socket, so that czmq never closes it
                                    //  from another thread at exit
    zaf_channel_t *channel;         //  On socket: by reference or on the wire
    zaf_t *z;                       //  Our connection, on the channel
    zaf_context_t *context;         //  What our methods see
    zlistx_t *mailbox;              //  Messages kept while a method waited
    zaf_proto_t *msg;               //  Current message
    zaf_proto_t *out;               //  Answers we build
    void *state;                    //  The actor's state
    bool killed;                    //  KILL seen
} self_t;

//  --------------------------------------------------------------------------
//  Routing ids

void
zaf_actor_encode_id (uint32_t inner_id, byte *bytes)
{
    bytes [0] = (byte) (inner_id >> 24);
    bytes [1] = (byte) (inner_id >> 16);
    bytes [2] = (byte) (inner_id >> 8);
    bytes [3] = (byte) inner_id;
}

uint32_t
zaf_actor_decode_id (const void *data, size_t size)
{
    const byte *bytes = (const byte *) data;
    if (size != ZAF_INNER_ID_SIZE || !(bytes [0] & 0x80))
        return 0;
    return ((uint32_t) bytes [0] << 24) | ((uint32_t) bytes [1] << 16)
         | ((uint32_t) bytes [2] << 8) | bytes [3];
}

//  --------------------------------------------------------------------------
//  Thread state

static self_t *
s_self_new (const zaf_actor_spec_t *spec)
{
    self_t *self = (self_t *) zmalloc (sizeof (self_t));
    assert (self);
    self->endpoint = strdup (spec->endpoint);
    self->inner_id = spec->inner_id;
    self->actor_id = spec->actor_id ? strdup (spec->actor_id) : NULL;
    self->cls = spec->cls;
    self->registry = spec->registry;
    if (spec->args_size) {
        self->args = (char *) malloc (spec->args_size);
        assert (self->args);
        memcpy (self->args, spec->args, spec->args_size);
        self->args_size = spec->args_size;
    }
    assert (spec->caller_size <= ZAF_PROTO_ID_MAX && spec->corr_size <= ZAF_PROTO_ID_MAX);
    if (spec->caller_size)
        memcpy (self->caller, spec->caller, spec->caller_size);
    self->caller_size = spec->caller_size;
    if (spec->corr_size)
        memcpy (self->corr, spec->corr, spec->corr_size);
    self->corr_size = spec->corr_size;
    self->ctl = spec->ctl;
    self->running = spec->running;
    self->verbose = spec->verbose;
    self->local = spec->local;
    self->mailbox = zlistx_new ();
    self->msg = zaf_proto_new ();
    self->out = zaf_proto_new ();
    return self;
}

static void
s_self_destroy (self_t **self_p)
{
    self_t *self = *self_p;
    zaf_proto_t *held;
    while ((held = (zaf_proto_t *) zlistx_detach (self->mailbox, NULL)))
        zaf_proto_destroy (&held);
    zlistx_destroy (&self->mailbox);
    zaf_proto_destroy (&self->msg);
    zaf_proto_destroy (&self->out);
    zaf_channel_destroy (&self->channel);
    if (self->socket)
        zmq_close (self->socket);
    free (self->endpoint);
    free (self->actor_id);
    free (self->args);
    free (self);
    *self_p = NULL;
}

//  Open the DEALER to the node. Runs in the node's thread before the actor
//  thread starts (pthread_create is the memory barrier libzmq asks for when
//  a socket changes threads), so a node out of sockets refuses the spawn at
//  once; an actor process runs it for itself. Returns 0, or -1 with errno.
static int
s_connect (self_t *self)
{
    //  While this thread runs user code, the context cannot end under it:
    //  termination waits for the method to return and the socket to close
    self->socket = zmq_socket (zsys_init (), ZMQ_DEALER);
    if (!self->socket)
        return -1;
    byte routing_id [ZAF_INNER_ID_SIZE];
    zaf_actor_encode_id (self->inner_id, routing_id);
    zmq_setsockopt (self->socket, ZMQ_ROUTING_ID, routing_id, sizeof (routing_id));
    //  Inproc inside one node: the node bounds queues itself
    int value = 0;
    zmq_setsockopt (self->socket, ZMQ_SNDHWM, &value, sizeof (value));
    zmq_setsockopt (self->socket, ZMQ_RCVHWM, &value, sizeof (value));
    value = 1000;
    zmq_setsockopt (self->socket, ZMQ_LINGER, &value, sizeof (value));
    if (zmq_connect (self->socket, self->endpoint))
        return -1;
    self->channel = zaf_channel_new (self->socket, self->local);
    return 0;
}

//  To the node: by reference when we are one of its threads
static int
s_send (self_t *self, zaf_proto_t *msg)
{
    return zaf_channel_send (self->channel, msg);
}

//  Calls that arrive while a method waits are kept for later; KILL makes
//  the wait end at once
static int
s_inbox (void *arg, zaf_proto_t **msg_p)
{
    self_t *self = (self_t *) arg;
    if (zaf_proto_id (*msg_p) == ZAF_PROTO_KILL) {
        self->killed = true;
        return -1;
    }
    zlistx_add_end (self->mailbox, *msg_p);
    *msg_p = NULL;
    return 0;
}

//  Take the next message: mailbox first, then the socket. Returns the
//  message (ours to keep until the next call) or NULL when the context ends.
static zaf_proto_t *
s_next (self_t *self)
{
    zaf_proto_t *held = (zaf_proto_t *) zlistx_detach (self->mailbox, NULL);
    if (held) {
        zaf_proto_move (self->msg, held);
        zaf_proto_destroy (&held);
        return self->msg;
    }
    while (true) {
        int rc = zaf_channel_recv (self->channel, self->msg);
        if (rc == 0)
            return self->msg;
        if (rc == -1 && errno != EINTR)
            return NULL;
        if (rc == -2)
            zsys_warning ("zaf_actor: malformed message from node dropped: %s",
                          zaf_proto_fault (self->msg));
    }
}

//  Send an answer: status and body, to the caller and corr of the request
static void
s_answer (self_t *self, zaf_proto_t *request, cJSON *result, const zaf_error_t *err)
{
    zaf_proto_t *out = self->out;
    zaf_proto_reset (out);
    zaf_proto_set_id (out, ZAF_PROTO_REPLY);
    size_t size;
    const void *data = zaf_proto_caller (request, &size);
    zaf_proto_set_caller (out, data, size);
    data = zaf_proto_corr (request, &size);
    zaf_proto_set_corr (out, data, size);
    if (err && err->code != ZAF_OK)
        zaf_proto_set_error (out, err->code, "%s", err->message);
    else {
        zaf_proto_set_ok (out, true);
        zaf_proto_set_body_json (out, result);
        zaf_context_take_returns (self->context, out);
    }
    if (s_send (self, out) && errno != ETERM)
        zsys_warning ("zaf_actor: answer could not be sent: %s", zmq_strerror (errno));
}

//  Handle a message that is not work for this thread: KILL ends it; the
//  rest (answers to its own requests, notices) go to its connection.
//  Returns false when the thread must end.
static bool
s_handle_other (self_t *self, zaf_proto_id_t id)
{
    bool carry_on = id != ZAF_PROTO_KILL
                 && zaf_client_dispatch (self->z, &self->msg) == 0;
    if (!self->msg)
        self->msg = zaf_proto_new ();   //  The connection kept it
    return carry_on;
}

//  Record the call or tell that is about to run, for the node to answer
//  if this process dies in it. The node reads it only after the process
//  has ended; doing is stored last all the same.
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

//  Run one call or tell
static void
s_serve_call (self_t *self, zaf_proto_t *msg)
{
    bool is_call = zaf_proto_id (msg) == ZAF_PROTO_CALL;
    const char *method_name = zaf_proto_name (msg);
    zaf_error_t err;
    zaf_error_clear (&err);
    cJSON *result = NULL;

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
    else {
        if (self->verbose)
            zsys_debug ("zaf_actor: actor=%s method=%s", self->actor_id, method_name);
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
    if (is_call)
        s_answer (self, msg, result, &err);
    else
    if (err.code != ZAF_OK)
        zsys_warning ("zaf_actor: tell failed actor=%s method=%s code=%s message=%s",
                      self->actor_id, method_name, zaf_code_name (err.code), err.message);
    zaf_context_serving (self->context, NULL);
    cJSON_Delete (result);
    atomic_fetch_add (&self->ctl->processed, 1);
}

//  Threads started and not yet ended, in this process
static atomic_size_t s_threads;

size_t
zaf_actor_threads (void)
{
    return atomic_load (&s_threads);
}

//  --------------------------------------------------------------------------
//  The actor: its whole life, in a thread of its own or in the main thread
//  of an actor process. Destroys self.

static void
s_actor_body (self_t *self)
{
    zaf_error_t err;
    zaf_error_clear (&err);
    bool constructed = false;

    self->z = zaf_client_new_inner (self->channel, self->actor_id, s_inbox, self);
    self->context = zaf_context_new (self->z, self->actor_id);

    //  Construct
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

    //  Report SPAWNED
    zaf_proto_t *out = self->out;
    zaf_proto_reset (out);
    zaf_proto_set_id (out, ZAF_PROTO_SPAWNED);
    zaf_proto_set_caller (out, self->caller, self->caller_size);
    zaf_proto_set_corr (out, self->corr, self->corr_size);
    zaf_proto_set_actor (out, self->actor_id);
    if (constructed)
        zaf_proto_set_body (out, "{}", 2);
    else
        zaf_proto_set_error (out, err.code, "%s", err.message);
    s_send (self, out);

    //  Serve until killed, or until a method asks to end (zaf_exit)
    const char *reason = constructed ? "killed" : "failed";
    char exit_reason [64] = "";
    while (constructed && !self->killed && !atomic_load (&self->ctl->killed)) {
        zaf_proto_t *msg = s_next (self);
        if (!msg) {
            reason = "node stopped";
            break;
        }
        zaf_proto_id_t id = zaf_proto_id (msg);
        if (id == ZAF_PROTO_CALL || id == ZAF_PROTO_TELL) {
            if (atomic_load (&self->ctl->killed))
                atomic_fetch_add (&self->ctl->processed, 1);    //  Node answered it
            else
                s_serve_call (self, msg);
            const char *asked = zaf_context_exit_reason (self->context);
            if (asked) {
                snprintf (exit_reason, sizeof (exit_reason), "%s", asked);
                reason = exit_reason;
                break;
            }
        }
        else
        if (!s_handle_other (self, id))
            self->killed = true;
    }
    if (constructed && self->cls->dtor)
        self->cls->dtor (self->state);
    //  Our connection kills the children we still own
    zaf_context_destroy (&self->context);
    zaf_client_destroy (&self->z);

    zaf_proto_reset (out);
    zaf_proto_set_id (out, ZAF_PROTO_EXIT);
    zaf_proto_set_actor (out, self->actor_id);
    char *text = zsys_sprintf ("{\"reason\":\"%s\"}", reason);
    zaf_proto_set_body (out, text, strlen (text));
    zstr_free (&text);
    s_send (self, out);
    s_self_destroy (&self);
}

static void *
s_actor_thread (void *arg)
{
    s_actor_body ((self_t *) arg);
    atomic_fetch_sub (&s_threads, 1);
    return NULL;
}

//  --------------------------------------------------------------------------
//  The worker thread

static void *
s_worker_thread (void *arg)
{
    self_t *self = (self_t *) arg;
    self->z = zaf_client_new_inner (self->channel, NULL, s_inbox, self);
    self->context = zaf_context_new (self->z, NULL);
    zaf_proto_t *out = self->out;
    zaf_proto_set_id (out, ZAF_PROTO_HELLO);
    zaf_proto_set_name (out, "worker");
    zaf_proto_set_body (out, "{}", 2);
    s_send (self, out);

    while (!self->killed) {
        zaf_proto_t *msg = s_next (self);
        if (!msg)
            break;
        zaf_proto_id_t id = zaf_proto_id (msg);
        if (id == ZAF_PROTO_SUBMIT) {
            const char *name = zaf_proto_name (msg);
            zaf_task_fn *fn = zaf_registry_function (self->registry, name);
            size_t size;
            const char *body = zaf_proto_body (msg, &size);
            cJSON *args = fn ? zaf_json_parse (body, size) : NULL;
            zaf_error_t err;
            zaf_error_clear (&err);
            cJSON *result = NULL;
            if (!fn)
                zaf_error_set (&err, ZAF_NO_SUCH_FUNCTION, "no function %s on this node", name);
            else
            if (!args)
                zaf_error_set (&err, ZAF_BAD_ARGS, "arguments of %s are not valid JSON", name);
            else {
                if (self->verbose)
                    zsys_debug ("zaf_actor: worker=%u function=%s", self->inner_id, name);
                zaf_context_serving (self->context, msg);
                result = fn (self->z, args, &err);
            }
            cJSON_Delete (args);
            s_answer (self, msg, err.code == ZAF_OK ? result : NULL, &err);
            zaf_context_serving (self->context, NULL);
            cJSON_Delete (result);
        }
        else
        if (!s_handle_other (self, id))
            self->killed = true;
    }
    zaf_context_destroy (&self->context);
    zaf_client_destroy (&self->z);
    zaf_proto_reset (out);
    zaf_proto_set_id (out, ZAF_PROTO_EXIT);
    zaf_proto_set_actor (out, "worker");
    zaf_proto_set_body (out, "{\"reason\":\"stopped\"}", 20);
    s_send (self, out);
    s_self_destroy (&self);
    atomic_fetch_sub (&s_threads, 1);
    return NULL;
}

//  --------------------------------------------------------------------------
//  Start a thread with our small stack

static int
s_start (const zaf_actor_spec_t *spec, pthread_t *thread, void *(*body) (void *))
{
    self_t *self = s_self_new (spec);
    if (s_connect (self)) {
        int error = errno;
        s_self_destroy (&self);
        errno = error;
        return -1;
    }
    pthread_attr_t attr;
    pthread_attr_init (&attr);
    pthread_attr_setstacksize (&attr, ZAF_ACTOR_STACK_SIZE);
    atomic_fetch_add (&s_threads, 1);
    int rc = pthread_create (thread, &attr, body, self);
    pthread_attr_destroy (&attr);
    if (rc) {
        atomic_fetch_sub (&s_threads, 1);
        s_self_destroy (&self);
        errno = rc;
        return -1;
    }
    return 0;
}

int
zaf_actor_start (const zaf_actor_spec_t *spec, pthread_t *thread)
{
    assert (spec && spec->actor_id && spec->cls && spec->ctl);
    return s_start (spec, thread, s_actor_thread);
}

//  --------------------------------------------------------------------------
//  Run an actor in the calling thread (an actor process)

int
zaf_actor_run (const zaf_actor_spec_t *spec)
{
    assert (spec && spec->actor_id && spec->cls && spec->ctl);
    self_t *self = s_self_new (spec);
    if (s_connect (self)) {
        int error = errno;
        s_self_destroy (&self);
        errno = error;
        return -1;
    }
    s_actor_body (self);
    return 0;
}

int
zaf_worker_start (const zaf_actor_spec_t *spec, pthread_t *thread)
{
    assert (spec && spec->registry);
    return s_start (spec, thread, s_worker_thread);
}
