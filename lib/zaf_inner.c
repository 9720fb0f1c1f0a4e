/*  =========================================================================
    zaf_inner - one thread's end of its node's inner ROUTER

    Opened in the node's thread, then used only by the party's own thread
    (or, for an actor process, its main thread). Talks only to the node's
    inner ROUTER through its DEALER. Invariants: messages are taken in
    arrival order, the mailbox (calls that came while a method waited)
    always before the socket; a KILL seen while waiting makes the wait end
    at once and marks the end killed; the thread count goes up before a
    thread starts and down when its end is destroyed.
    =========================================================================
*/

#include "zaf_classes.h"
#include <stdatomic.h>

struct _zaf_inner_t {
    char *endpoint;                 //  Node's inner ROUTER
    uint32_t inner_id;              //  Our routing id
    char *actor_id;                 //  NULL for workers
    bool local;                     //  Messages go by reference (a thread)
    bool threaded;                  //  Counted in s_threads
    void *socket;                   //  DEALER to the node: a plain libzmq
                                    //  socket, so that czmq never closes it
                                    //  from another thread at exit
    zaf_channel_t *channel;         //  On socket: by reference or on the wire
    zaf_t *z;                       //  Our connection, on the channel
    zaf_context_t *context;         //  What the party's code sees, with z
    zlistx_t *mailbox;              //  Messages kept while a method waited
    zaf_proto_t *msg;               //  Current message
    zaf_proto_t *out;               //  Messages we build
    bool killed;                    //  KILL seen
};

//  Threads started and not yet ended, in this process
static atomic_size_t s_threads;

//  --------------------------------------------------------------------------
//  Routing ids

void
zaf_inner_encode_id (uint32_t inner_id, byte *bytes)
{
    bytes [0] = (byte) (inner_id >> 24);
    bytes [1] = (byte) (inner_id >> 16);
    bytes [2] = (byte) (inner_id >> 8);
    bytes [3] = (byte) inner_id;
}

uint32_t
zaf_inner_decode_id (const void *data, size_t size)
{
    const byte *bytes = (const byte *) data;
    if (size != ZAF_INNER_ID_SIZE || !(bytes [0] & 0x80))
        return 0;
    return ((uint32_t) bytes [0] << 24) | ((uint32_t) bytes [1] << 16)
         | ((uint32_t) bytes [2] << 8) | bytes [3];
}

//  --------------------------------------------------------------------------
//  Open the DEALER to the node. Runs in the node's thread before the party
//  thread starts (pthread_create is the memory barrier libzmq asks for when
//  a socket changes threads); an actor process runs it for itself.
//  Returns 0, or -1 with errno.

static int
s_connect (zaf_inner_t *self)
{
    //  While this thread runs user code, the context cannot end under it:
    //  termination waits for the method to return and the socket to close
    self->socket = zmq_socket (zsys_init (), ZMQ_DEALER);
    if (!self->socket)
        return -1;
    byte routing_id [ZAF_INNER_ID_SIZE];
    zaf_inner_encode_id (self->inner_id, routing_id);
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

//  --------------------------------------------------------------------------
//  Open a party's end of the node's inner ROUTER

zaf_inner_t *
zaf_inner_new (const char *endpoint, uint32_t inner_id, const char *actor_id, bool local)
{
    assert (endpoint);
    zaf_inner_t *self = (zaf_inner_t *) zmalloc (sizeof (zaf_inner_t));
    assert (self);
    self->endpoint = strdup (endpoint);
    self->inner_id = inner_id;
    self->actor_id = actor_id ? strdup (actor_id) : NULL;
    self->local = local;
    self->mailbox = zlistx_new ();
    zlistx_set_destructor (self->mailbox, (zlistx_destructor_fn *) zaf_proto_destroy);
    self->msg = zaf_proto_new ();
    self->out = zaf_proto_new ();
    if (s_connect (self)) {
        int error = errno;
        zaf_inner_destroy (&self);
        errno = error;
        return NULL;
    }
    return self;
}

//  --------------------------------------------------------------------------
//  Close and free; an ended thread stops counting

void
zaf_inner_destroy (zaf_inner_t **self_p)
{
    assert (self_p);
    zaf_inner_t *self = *self_p;
    if (!self)
        return;
    bool threaded = self->threaded;
    zaf_context_destroy (&self->context);
    zaf_client_destroy (&self->z);
    zaf_channel_destroy (&self->channel);
    zlistx_destroy (&self->mailbox);
    zaf_proto_destroy (&self->msg);
    zaf_proto_destroy (&self->out);
    if (self->socket)
        zmq_close (self->socket);
    free (self->endpoint);
    free (self->actor_id);
    free (self);
    *self_p = NULL;
    if (threaded)
        atomic_fetch_sub (&s_threads, 1);
}

//  --------------------------------------------------------------------------
//  Start a thread with our small stack

int
zaf_inner_start (zaf_inner_t *self, void *(*body) (void *), void *arg, pthread_t *thread)
{
    assert (self && body && thread);
    pthread_attr_t attr;
    pthread_attr_init (&attr);
    pthread_attr_setstacksize (&attr, ZAF_INNER_STACK_SIZE);
    atomic_fetch_add (&s_threads, 1);
    self->threaded = true;
    int rc = pthread_create (thread, &attr, body, arg);
    pthread_attr_destroy (&attr);
    if (rc) {
        self->threaded = false;
        atomic_fetch_sub (&s_threads, 1);
        errno = rc;
        return -1;
    }
    return 0;
}

size_t
zaf_inner_threads (void)
{
    return atomic_load (&s_threads);
}

//  --------------------------------------------------------------------------
//  Calls that arrive while a method waits are kept for later; KILL makes
//  the wait end at once

static int
s_inbox (void *arg, zaf_proto_t **msg_p)
{
    zaf_inner_t *self = (zaf_inner_t *) arg;
    if (zaf_proto_id (*msg_p) == ZAF_PROTO_KILL) {
        self->killed = true;
        return -1;
    }
    zlistx_add_end (self->mailbox, *msg_p);
    *msg_p = NULL;
    return 0;
}

//  --------------------------------------------------------------------------
//  The connection the party's code calls through

zaf_t *
zaf_inner_client (zaf_inner_t *self)
{
    assert (self);
    if (!self->z) {
        self->z = zaf_client_new_inner (self->channel, self->actor_id, s_inbox, self);
        self->context = zaf_context_new (self->z, self->actor_id);
    }
    return self->z;
}

zaf_context_t *
zaf_inner_context (zaf_inner_t *self)
{
    assert (self);
    zaf_inner_client (self);
    return self->context;
}

zaf_proto_t *
zaf_inner_out (zaf_inner_t *self)
{
    assert (self);
    zaf_proto_reset (self->out);
    return self->out;
}

bool
zaf_inner_killed (zaf_inner_t *self)
{
    assert (self);
    return self->killed;
}

//  --------------------------------------------------------------------------
//  To the node, through the channel chosen when the socket was opened

int
zaf_inner_send (zaf_inner_t *self, zaf_proto_t *msg)
{
    assert (self && msg);
    return zaf_channel_send (self->channel, msg);
}

//  --------------------------------------------------------------------------
//  Take the next message: mailbox first, then the socket

zaf_proto_t *
zaf_inner_next (zaf_inner_t *self)
{
    assert (self);
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
            zsys_warning ("zaf_inner: malformed message from node dropped: %s",
                          zaf_proto_fault (self->msg));
    }
}

//  --------------------------------------------------------------------------
//  Whether a message waits, without taking it (for an actor's readers)

bool
zaf_inner_waiting (zaf_inner_t *self)
{
    assert (self);
    if (zlistx_size (self->mailbox))
        return true;
    int events = 0;
    size_t size = sizeof (events);
    return zmq_getsockopt (self->socket, ZMQ_EVENTS, &events, &size) == 0
        && (events & ZMQ_POLLIN);
}

void *
zaf_inner_socket (zaf_inner_t *self)
{
    assert (self);
    return self->socket;
}

//  --------------------------------------------------------------------------
//  Send an answer: status and body, to the caller and corr of the request

void
zaf_inner_answer (zaf_inner_t *self, zaf_proto_t *request, cJSON *result, const zaf_error_t *err)
{
    assert (self && request);
    zaf_proto_t *out = zaf_inner_out (self);
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
        if (self->context)
            zaf_context_take_returns (self->context, out);
    }
    if (zaf_inner_send (self, out) && errno != ETERM)
        zsys_warning ("zaf_inner: answer could not be sent: %s", zmq_strerror (errno));
}

//  --------------------------------------------------------------------------
//  A message that is not work: KILL ends the party; the rest go to its
//  connection

bool
zaf_inner_handle_other (zaf_inner_t *self, zaf_proto_id_t id)
{
    assert (self);
    bool carry_on = id != ZAF_PROTO_KILL
                 && zaf_client_dispatch (self->z, &self->msg) == 0;
    if (!self->msg)
        self->msg = zaf_proto_new ();   //  The connection kept it
    if (!carry_on)
        self->killed = true;
    return carry_on;
}

//  --------------------------------------------------------------------------
//  The party's last word

void
zaf_inner_exit (zaf_inner_t *self, const char *actor, const char *reason)
{
    assert (self && actor && reason);
    //  Our connection kills the children we still own
    zaf_context_destroy (&self->context);
    zaf_client_destroy (&self->z);
    zaf_proto_t *out = zaf_inner_out (self);
    zaf_proto_set_id (out, ZAF_PROTO_EXIT);
    zaf_proto_set_actor (out, actor);
    char *text = zsys_sprintf ("{\"reason\":\"%s\"}", reason);
    zaf_proto_set_body (out, text, strlen (text));
    zstr_free (&text);
    zaf_inner_send (self, out);
}
