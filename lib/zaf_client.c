/*  =========================================================================
    zaf_client - a connection to a cluster: zaf_t, futures and handles

    Runs entirely in the thread that uses the zaf_t. Requests get a 64-bit
    correlation id (8 bytes, big-endian, never zero) and a future in the
    `pending` map; answers (REPLY, SPAWNED) are matched on it, so every
    future resolves exactly once: the first answer removes it from the map
    and any later one is dropped. When the broker is lost (BYE, a missed
    heartbeat window, a disconnect event, or a BROKER_LOST notice from the
    node of an inner connection) every pending future ends with BROKER_LOST
    at once; a direct connection then dials again on its next request.

    Futures and handles point back at their zaf_t; the zaf_t keeps lists of
    both so that destroying it leaves no dangling pointer: pending futures
    are resolved and orphaned, owning handles are detached.
    =========================================================================
*/

#ifndef _GNU_SOURCE
#   define _GNU_SOURCE          //  program_invocation_short_name
#endif
#include "zaf_classes.h"
#include <errno.h>
#include <ctype.h>

//  How often a busy connection reads its disconnect monitor (ms)
#define ZAF_CLIENT_MONITOR_MS   50

//  A request's kind, for how its answer is read
typedef enum {
    KIND_CALL = 1,
    KIND_SUBMIT,
    KIND_SPAWN,
    KIND_KILL,
    KIND_LOOKUP,
    KIND_CONTROL                //  STATUS, STOP
} kind_t;

struct _zaf_future_t {
    zaf_t *owner;               //  Connection, NULL once it is gone
    uint64_t corr;              //  Correlation id
    kind_t kind;                //  What was asked
    bool ready;                 //  Outcome is known
    bool abandoned;             //  Destroyed while pending (spawns only)
    cJSON *result;              //  Result on success
    zaf_error_t error;          //  Error on failure
    zmq_msg_t *blobs;           //  Attachments of the answer, or NULL
    size_t blob_count;
};

struct _zaf_blob_t {
    zmq_msg_t frame;            //  The bytes, as a frame ready to send
};

struct _zaf_actor_t {
    char id [ZAF_PROTO_ACTOR_MAX + 1];  //  Actor id
    bool owned;                 //  Destroying this handle kills the actor
    zaf_t *owner;               //  Connection that spawned it, while alive
    void *owner_item;           //  Our place in owner->owned
};

struct _zaf_t {
    void *socket;               //  What we read and write: dealer, or the
                                //  inner party's borrowed libzmq socket
    zsock_t *dealer;            //  Direct: our own DEALER to the broker
    bool direct;                //  Owns its socket, talks to a broker
    zsock_t *monitor;           //  PAIR with disconnect events (direct)
    char *endpoint;             //  Broker endpoint (direct)
    char *role;                 //  HELLO role (direct)
    zaf_proto_t *msg;           //  Reused for every receive
    zhashx_t *pending;          //  corr -> zaf_future_t
    uint64_t next_corr;         //  Next correlation id
    zlistx_t *owned;            //  Owning handles spawned through us
    zaf_client_inbox_fn *inbox; //  Inner: where calls to our actor go
    void *inbox_arg;
    zaf_actor_t *self_actor;    //  Inner: the actor we serve, or NULL
    bool aborted;               //  Inbox asked waits to end
    bool connected;             //  Direct: session is live
    int heartbeat_ms;           //  From WELCOME
    int64_t last_rx;            //  Monotonic ms of last message in
    int64_t last_tx;            //  Monotonic ms of last message out
    int64_t retry_at;           //  Direct: earliest next dial
    int retry_ms;               //  Direct: current backoff
    char session [64];          //  From WELCOME
    int64_t monitor_at;         //  Direct: when we last read the monitor
    size_t late_replies;        //  Answers nobody waited for
    zaf_ratelimit_t *warnings;  //  Budget for warnings about bad input
    void *attached;             //  Destroyed after the socket
    void (*attached_destroy) (void **);
    char *exit_reason;          //  Inner: zaf_exit asked the actor to end
    zhashx_t *hooks;            //  Inner: "zaf." method -> hook_t
    zaf_proto_t *serving;       //  Inner: the request a method or task runs
                                //  for (borrowed), for zaf_arg_blob
    zaf_proto_t *returning;     //  Inner: blobs for its answer (zaf_return_blob)
    bool local;                 //  Inner, on a thread of the node: messages
                                //  go by reference
};

typedef struct {
    zaf_client_hook_fn *fn;
    void *arg;
} hook_t;

static int s_connect_socket (zaf_t *self, int timeout_ms, zaf_error_t *err);
static void s_lost (zaf_t *self, const char *why);

//  --------------------------------------------------------------------------
//  Pending map: keys are the correlation ids themselves

static size_t
s_corr_hash (const void *key)
{
    uint64_t value = (uint64_t) (uintptr_t) key;
    return (size_t) (value * 0x9E3779B97F4A7C15ULL);
}

static int
s_corr_compare (const void *key1, const void *key2)
{
    return (uintptr_t) key1 == (uintptr_t) key2 ? 0 : 1;
}

static void
s_corr_encode (uint64_t corr, byte *bytes)
{
    for (int index = 7; index >= 0; index--) {
        bytes [index] = (byte) (corr & 0xff);
        corr >>= 8;
    }
}

static uint64_t
s_corr_decode (const byte *bytes, size_t size)
{
    if (size != 8)
        return 0;
    uint64_t corr = 0;
    for (int index = 0; index < 8; index++)
        corr = (corr << 8) | bytes [index];
    return corr;
}

//  --------------------------------------------------------------------------
//  Construction

static zaf_t *
s_new (void)
{
    zaf_t *self = (zaf_t *) zmalloc (sizeof (zaf_t));
    assert (self);
    self->msg = zaf_proto_new ();
    self->pending = zhashx_new ();
    zhashx_set_key_duplicator (self->pending, NULL);
    zhashx_set_key_destructor (self->pending, NULL);
    zhashx_set_key_hasher (self->pending, s_corr_hash);
    zhashx_set_key_comparator (self->pending, s_corr_compare);
    self->owned = zlistx_new ();
    self->next_corr = 1;
    self->heartbeat_ms = ZAF_HEARTBEAT_MS;
    self->last_rx = self->last_tx = zclock_mono ();
    self->retry_ms = 100;
    self->warnings = zaf_ratelimit_new ("zaf_client", 10);
    return self;
}

//  --------------------------------------------------------------------------
//  Connect to a broker

zaf_t *
zaf_client_connect (const char *endpoint, const char *role, int timeout_ms,
                    zaf_error_t *err)
{
    assert (endpoint);
    assert (role);
    zaf_t *self = s_new ();
    self->direct = true;
    self->endpoint = strdup (endpoint);
    self->role = strdup (role);
    if (s_connect_socket (self, timeout_ms, err)) {
        zaf_client_destroy (&self);
        return NULL;
    }
    return self;
}

//  --------------------------------------------------------------------------
//  Wrap an actor's or worker's DEALER

zaf_t *
zaf_client_new_inner (void *socket, const char *actor_id,
                      zaf_client_inbox_fn *inbox, void *inbox_arg)
{
    assert (socket);
    zaf_t *self = s_new ();
    self->socket = socket;
    self->direct = false;
    self->connected = true;
    self->inbox = inbox;
    self->inbox_arg = inbox_arg;
    self->endpoint = strdup ("");
    if (actor_id) {
        self->self_actor = (zaf_actor_t *) zmalloc (sizeof (zaf_actor_t));
        snprintf (self->self_actor->id, sizeof (self->self_actor->id), "%s", actor_id);
    }
    return self;
}

void
zaf_client_set_local (zaf_t *self, bool local)
{
    assert (self);
    assert (!self->direct);
    self->local = local;
}

//  --------------------------------------------------------------------------
//  Resolve a future with an error and take it out of the pending map

static void
s_future_fail (zaf_t *self, zaf_future_t *future, zaf_code_t code, const char *message)
{
    if (self && !future->ready)
        zhashx_delete (self->pending, (void *) (uintptr_t) future->corr);
    future->ready = true;
    zaf_error_set (&future->error, code, "%s", message);
}

//  End every pending future with an error. Abandoned spawns are freed.
static void
s_fail_pending (zaf_t *self, zaf_code_t code, const char *message)
{
    zlistx_t *futures = zhashx_values (self->pending);
    zhashx_purge (self->pending);
    for (zaf_future_t *future = (zaf_future_t *) zlistx_first (futures); future;
         future = (zaf_future_t *) zlistx_next (futures)) {
        future->ready = true;
        zaf_error_set (&future->error, code, "%s", message);
        if (future->abandoned)
            free (future);
    }
    zlistx_destroy (&futures);
}

//  --------------------------------------------------------------------------
//  Send a message we built (the request or a fire-and-forget command).
//  Returns 0, or -1 with err filled. Never blocks forever: a full queue is
//  drained of answers and retried for a bounded time.

static int s_pump (zaf_t *self, int timeout_ms);
static int s_drain (zaf_t *self);

static int
s_send (zaf_t *self, zaf_proto_t *msg, zaf_error_t *err)
{
    if (!self->direct) {
        //  An actor or task that is being stopped learns it here, even if
        //  it never waits: its KILL is read before anything goes out
        s_drain (self);
        if (self->aborted) {
            zaf_error_set (err, ZAF_ACTOR_DIED, "this %s is being stopped",
                           self->self_actor ? "actor" : "task");
            return -1;
        }
    }
    if (self->direct && !self->connected) {
        int64_t now = zclock_mono ();
        if (now < self->retry_at) {
            zaf_error_set (err, ZAF_BROKER_LOST, "broker at %s is unreachable", self->endpoint);
            return -1;
        }
        if (s_connect_socket (self, 2000, err))
            return -1;
    }
    int64_t deadline = zclock_mono () + 10000;
    while ((self->local ? zaf_proto_send_local (msg, self->socket)
                        : zaf_proto_send (msg, self->socket)) == -1) {
        if (errno != EAGAIN) {
            zaf_error_set (err, ZAF_BROKER_LOST, "cannot send: %s", zmq_strerror (errno));
            return -1;
        }
        //  Our queue is full: read answers so the broker can go on, then retry
        if (zclock_mono () >= deadline) {
            zaf_error_set (err, ZAF_OVERLOADED, "send queue to the broker stayed full for 10 s");
            return -1;
        }
        s_pump (self, 10);
        if (!self->connected) {
            zaf_error_set (err, ZAF_BROKER_LOST, "broker lost while sending");
            return -1;
        }
    }
    self->last_tx = zclock_mono ();
    return 0;
}

//  Start a request: give it a correlation id and a future, send it.
//  Returns the future (never NULL); a failure to send resolves it at once.
static zaf_future_t *
s_request (zaf_t *self, zaf_proto_t *msg, kind_t kind)
{
    zaf_future_t *future = (zaf_future_t *) zmalloc (sizeof (zaf_future_t));
    assert (future);
    future->owner = self;
    future->kind = kind;
    future->corr = self->next_corr++;
    if (zhashx_size (self->pending) >= ZAF_CLIENT_MAX_PENDING) {
        //  The broker keeps every answer for us; bound how many can pile up
        future->ready = true;
        zaf_error_set (&future->error, ZAF_OVERLOADED,
                       "%d requests already in flight on this connection", ZAF_CLIENT_MAX_PENDING);
        return future;
    }
    byte corr [8];
    s_corr_encode (future->corr, corr);
    zaf_proto_set_corr (msg, corr, sizeof (corr));
    zaf_proto_set_caller (msg, NULL, 0);
    if (s_send (self, msg, &future->error) == 0)
        zhashx_insert (self->pending, (void *) (uintptr_t) future->corr, future);
    else
        future->ready = true;
    return future;
}

//  A future already failed, for requests refused before they are sent
static zaf_future_t *
s_failed_future (zaf_t *self, zaf_code_t code, const char *message)
{
    zaf_future_t *future = (zaf_future_t *) zmalloc (sizeof (zaf_future_t));
    assert (future);
    future->owner = self;
    future->ready = true;
    zaf_error_set (&future->error, code, "%s", message);
    return future;
}

//  --------------------------------------------------------------------------
//  Direct connections: dial, handshake, lose

static void
s_close_socket (zaf_t *self)
{
    if (self->monitor) {
        zmq_socket_monitor (zsock_resolve (self->socket), NULL, 0);
        zsock_destroy (&self->monitor);
    }
    zsock_destroy (&self->dealer);
    self->socket = NULL;
    self->connected = false;
}

static int
s_connect_socket (zaf_t *self, int timeout_ms, zaf_error_t *err)
{
    s_close_socket (self);
    self->dealer = zsock_new (ZMQ_DEALER);
    self->socket = self->dealer;
    if (!self->dealer) {
        zaf_error_set (err, ZAF_BROKER_LOST, "cannot create a socket: %s", zmq_strerror (errno));
        return -1;
    }
    zsock_set_sndhwm (self->dealer, ZAF_HWM);
    zsock_set_rcvhwm (self->dealer, ZAF_HWM);
    zsock_set_linger (self->dealer, 0);
    zsock_set_heartbeat_ivl (self->dealer, ZAF_HEARTBEAT_MS);
    zsock_set_heartbeat_timeout (self->dealer, ZAF_HEARTBEAT_MS * ZAF_HEARTBEAT_MISSES);
    zsock_set_reconnect_ivl (self->dealer, 100);
    zsock_set_reconnect_ivl_max (self->dealer, 2000);

    //  A monitor tells us at once when the connection drops
    char monitor_endpoint [64];
    static _Atomic unsigned int monitor_seq = 0;
    snprintf (monitor_endpoint, sizeof (monitor_endpoint), "inproc://zaf-monitor-%d-%u",
              (int) getpid (), ++monitor_seq);
    if (zmq_socket_monitor (zsock_resolve (self->socket), monitor_endpoint,
                            ZMQ_EVENT_DISCONNECTED) == 0) {
        self->monitor = zsock_new (ZMQ_PAIR);
        if (self->monitor && zsock_connect (self->monitor, "%s", monitor_endpoint))
            zsock_destroy (&self->monitor);
    }

    if (zsock_connect (self->dealer, "%s", self->endpoint)) {
        zaf_error_set (err, ZAF_BAD_ARGS, "cannot connect to %s: %s", self->endpoint,
                       zmq_strerror (errno));
        s_close_socket (self);
        return -1;
    }
    //  Say HELLO
    char host [256] = "";
    gethostname (host, sizeof (host) - 1);
    cJSON *hello = cJSON_CreateObject ();
    cJSON_AddStringToObject (hello, "name", program_invocation_short_name);
    cJSON_AddStringToObject (hello, "host", host);
    cJSON_AddNumberToObject (hello, "pid", getpid ());
    cJSON_AddNumberToObject (hello, "version", 1);
    if (*self->session) {
        //  Dialing again: if the broker restarted, claim what we own
        cJSON_AddStringToObject (hello, "session", self->session);
        cJSON *owns = cJSON_AddArrayToObject (hello, "owns");
        for (zaf_actor_t *actor = (zaf_actor_t *) zlistx_first (self->owned); actor;
             actor = (zaf_actor_t *) zlistx_next (self->owned))
            cJSON_AddItemToArray (owns, cJSON_CreateString (actor->id));
    }
    zaf_proto_t *msg = zaf_proto_new ();
    zaf_proto_set_id (msg, ZAF_PROTO_HELLO);
    zaf_proto_set_name (msg, self->role);
    zaf_proto_set_body_json (msg, hello);
    cJSON_Delete (hello);
    int rc = zaf_proto_send (msg, self->socket);
    zaf_proto_destroy (&msg);
    if (rc) {
        zaf_error_set (err, ZAF_BROKER_LOST, "cannot send HELLO to %s: %s", self->endpoint,
                       zmq_strerror (errno));
        s_close_socket (self);
        return -1;
    }
    //  Wait for WELCOME; anything else before it is stale and dropped
    int64_t deadline = zclock_mono () + (timeout_ms > 0 ? timeout_ms : 0);
    while (true) {
        int64_t remaining = deadline - zclock_mono ();
        if (remaining <= 0 || zsys_interrupted)
            break;
        zmq_pollitem_t item = { zsock_resolve (self->socket), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, remaining) <= 0)
            continue;
        rc = zaf_proto_recv (self->msg, self->socket);
        if (rc == 0 && zaf_proto_id (self->msg) == ZAF_PROTO_WELCOME) {
            cJSON *welcome = zaf_proto_body_json (self->msg);
            int heartbeat_ms = zaf_json_int (welcome, "heartbeat_ms", ZAF_HEARTBEAT_MS);
            self->heartbeat_ms = heartbeat_ms >= 10 ? heartbeat_ms : ZAF_HEARTBEAT_MS;
            snprintf (self->session, sizeof (self->session), "%s",
                      zaf_json_string (welcome, "session", ""));
            cJSON_Delete (welcome);
            self->connected = true;
            self->retry_ms = 100;
            self->last_rx = self->last_tx = zclock_mono ();
            zsock_set_heartbeat_ivl (self->dealer, self->heartbeat_ms);
            return 0;
        }
        if (rc == 0 && zaf_proto_id (self->msg) == ZAF_PROTO_ERROR) {
            zaf_error_t refusal;
            size_t size;
            const char *body = zaf_proto_body (self->msg, &size);
            zaf_json_error_parse (body, size, &refusal);
            zaf_error_set (err, refusal.code, "broker at %s refused us: %s", self->endpoint,
                           refusal.message);
            s_close_socket (self);
            self->retry_at = zclock_mono () + self->retry_ms;
            return -1;
        }
    }
    zaf_error_set (err, zsys_interrupted ? ZAF_INTERRUPTED : ZAF_BROKER_LOST,
                   "no answer from a broker at %s within %d ms", self->endpoint, timeout_ms);
    s_close_socket (self);
    //  Back off before dialing again, doubling up to 2 s
    self->retry_at = zclock_mono () + self->retry_ms;
    self->retry_ms = self->retry_ms * 2 > 2000 ? 2000 : self->retry_ms * 2;
    return -1;
}

//  The broker is gone (or says it does not know us): end every pending
//  future now; a direct connection dials again on its next request
static void
s_lost (zaf_t *self, const char *why)
{
    if (self->direct && self->connected)
        zsys_warning ("zaf_client: broker lost endpoint=%s reason=%s", self->endpoint, why);
    char message [ZAF_ERROR_MESSAGE_MAX];
    snprintf (message, sizeof (message),
              "broker lost (%s); the call may or may not have run", why);
    s_fail_pending (self, ZAF_BROKER_LOST, message);
    if (self->direct) {
        s_close_socket (self);
        self->retry_at = 0;     //  The next request dials at once
    }
}

//  --------------------------------------------------------------------------
//  Answers

//  True if a SPAWNED names an actor that existed already (get_if_exists)
static bool
s_spawned_existing (zaf_proto_t *msg)
{
    cJSON *body = zaf_proto_body_json (msg);
    bool existing = zaf_json_bool (body, "existing", false);
    cJSON_Delete (body);
    return existing;
}

//  Fill a future from a REPLY or SPAWNED
static void
s_resolve (zaf_t *self, zaf_future_t *future, zaf_proto_t *msg)
{
    future->ready = true;
    size_t size;
    const char *body = zaf_proto_body (msg, &size);
    if (!zaf_proto_ok (msg)) {
        zaf_json_error_parse (body, size, &future->error);
        return;
    }
    if (future->kind == KIND_SPAWN) {
        if (!*zaf_proto_actor (msg))
            zaf_error_set (&future->error, ZAF_PROTOCOL, "SPAWNED without an actor id");
        else {
            future->result = cJSON_CreateObject ();
            cJSON_AddStringToObject (future->result, "actor", zaf_proto_actor (msg));
            if (s_spawned_existing (msg))
                cJSON_AddBoolToObject (future->result, "existing", true);
        }
        return;
    }
    future->result = size ? zaf_json_parse (body, size) : cJSON_CreateNull ();
    if (!future->result)
        zaf_error_set (&future->error, ZAF_PROTOCOL, "answer is not valid JSON (%zu bytes)", size);
    else
    if (zaf_proto_attachments (msg)) {
        //  The answer's blobs: moved, not copied
        future->blob_count = zaf_proto_attachments (msg);
        future->blobs = (zmq_msg_t *) calloc (future->blob_count, sizeof (zmq_msg_t));
        assert (future->blobs);
        for (size_t index = 0; index < future->blob_count; index++) {
            zmq_msg_init (&future->blobs [index]);
            zmq_msg_move (&future->blobs [index], zaf_proto_attachment (msg, index));
        }
    }
}

static void
s_future_blobs_close (zaf_future_t *future)
{
    for (size_t index = 0; index < future->blob_count; index++)
        zmq_msg_close (&future->blobs [index]);
    free (future->blobs);
    future->blobs = NULL;
    future->blob_count = 0;
}

int
zaf_client_dispatch (zaf_t *self, zaf_proto_t **msg_p)
{
    assert (self);
    assert (msg_p && *msg_p);
    zaf_proto_t *msg = *msg_p;
    self->last_rx = zclock_mono ();
    zaf_proto_id_t id = zaf_proto_id (msg);

    if (id == ZAF_PROTO_REPLY || id == ZAF_PROTO_SPAWNED) {
        size_t size;
        const byte *corr_bytes = (const byte *) zaf_proto_corr (msg, &size);
        uint64_t corr = s_corr_decode (corr_bytes, size);
        zaf_future_t *future = corr
            ? (zaf_future_t *) zhashx_lookup (self->pending, (void *) (uintptr_t) corr)
            : NULL;
        if (!future) {
            self->late_replies++;
            return 0;
        }
        zhashx_delete (self->pending, (void *) (uintptr_t) corr);
        if (future->abandoned) {
            //  A spawn nobody waits for any more: do not leave the actor
            //  behind (unless it is one that existed before)
            if (id == ZAF_PROTO_SPAWNED && zaf_proto_ok (msg) && *zaf_proto_actor (msg)
            &&  !s_spawned_existing (msg)) {
                zaf_proto_t *kill = zaf_proto_new ();
                zaf_proto_set_id (kill, ZAF_PROTO_KILL);
                zaf_proto_set_actor (kill, zaf_proto_actor (msg));
                zaf_proto_set_body (kill, "{\"reason\":\"killed\"}", 19);
                s_send (self, kill, NULL);
                zaf_proto_destroy (&kill);
            }
            free (future);
            return 0;
        }
        s_resolve (self, future, msg);
        return 0;
    }
    if (id == ZAF_PROTO_HEARTBEAT || id == ZAF_PROTO_WELCOME)
        return 0;
    if (id == ZAF_PROTO_BYE) {
        cJSON *bye = zaf_proto_body_json (msg);
        char why [128];
        snprintf (why, sizeof (why), "broker said BYE: %s",
                  zaf_json_string (bye, "reason", "no reason given"));
        cJSON_Delete (bye);
        s_lost (self, why);
        return 0;
    }
    if (id == ZAF_PROTO_ERROR) {
        size_t size;
        const char *body = zaf_proto_body (msg, &size);
        zaf_error_t error;
        zaf_json_error_parse (body, size, &error);
        if (error.code == ZAF_BROKER_LOST)
            s_lost (self, error.message);
        else
            zaf_ratelimit_warn (self->warnings, "error from broker code=%s message=%s",
                                zaf_code_name (error.code), error.message);
        return 0;
    }
    if (self->inbox) {
        if (self->inbox (self->inbox_arg, msg_p) == -1) {
            self->aborted = true;
            return -1;
        }
        return 0;
    }
    zaf_ratelimit_warn (self->warnings, "unexpected %s from broker dropped",
                        zaf_proto_command_name (id));
    return 0;
}

//  --------------------------------------------------------------------------
//  Pump: read everything waiting, then poll up to timeout_ms for more.
//  Keeps heartbeats going and notices a lost broker. Returns -1 if the
//  inbox asked to abort, else 0.

//  Read and dispatch everything that waits on the socket. Returns how many
//  messages it took, or -1 if the inbox asked to abort.
static int
s_drain (zaf_t *self)
{
    int taken = 0;
    while (self->socket) {
        int rc = self->local ? zaf_proto_recv_local (self->msg, self->socket, true)
                             : zaf_proto_recv_nowait (self->msg, self->socket);
        if (rc == -1)
            break;
        if (rc == -2) {
            zaf_ratelimit_warn (self->warnings, "malformed message dropped: %s",
                                zaf_proto_fault (self->msg));
            continue;
        }
        taken++;
        if (zaf_client_dispatch (self, &self->msg) == -1) {
            if (!self->msg)
                self->msg = zaf_proto_new ();
            return -1;
        }
        if (!self->msg)
            self->msg = zaf_proto_new ();   //  The inbox kept it
    }
    return taken;
}

static void
s_check_monitor (zaf_t *self)
{
    if (!self->monitor)
        return;
    zmsg_t *event = NULL;
    while (self->monitor && (event = zmsg_recv_nowait (self->monitor))) {
        zmsg_destroy (&event);
        s_lost (self, "connection closed");
    }
}

//  Take in what has arrived; if nothing had, wait up to timeout_ms for
//  something. Callers loop on their own condition, so what was taken in
//  (an answer they wait for, maybe) is looked at before any wait.
static int
s_pump (zaf_t *self, int timeout_ms)
{
    int taken = s_drain (self);
    if (taken == -1)
        return -1;
    if (self->direct && !self->connected)
        return 0;               //  Nothing to wait on
    bool monitor_says = false;
    if (taken == 0 && timeout_ms > 0 && self->socket) {
        zmq_pollitem_t items [2] = {
            { zsock_resolve (self->socket), 0, ZMQ_POLLIN, 0 },
            { self->monitor ? zsock_resolve (self->monitor) : NULL, 0, ZMQ_POLLIN, 0 }
        };
        int rc = zmq_poll (items, self->monitor ? 2 : 1, timeout_ms);
        monitor_says = rc > 0 && self->monitor && (items [1].revents & ZMQ_POLLIN);
        if (rc > 0 && (items [0].revents & ZMQ_POLLIN))
            if (s_drain (self) == -1)
                return -1;
    }
    if (self->direct && self->connected) {
        int64_t now = zclock_mono ();
        //  The monitor, when the poll saw it, else now and then: reading it
        //  on every pump costs as much as the call
        if (monitor_says || now - self->monitor_at >= ZAF_CLIENT_MONITOR_MS) {
            self->monitor_at = now;
            s_check_monitor (self);
        }
        if (self->connected && now - self->last_rx >= (int64_t) self->heartbeat_ms * ZAF_HEARTBEAT_MISSES)
            s_lost (self, "no heartbeat from the broker");
        else
        if (self->connected && now - self->last_tx >= self->heartbeat_ms) {
            zaf_proto_t *ping = zaf_proto_new ();
            zaf_proto_set_id (ping, ZAF_PROTO_HEARTBEAT);
            if (zaf_proto_send (ping, self->socket) == 0)
                self->last_tx = now;
            zaf_proto_destroy (&ping);
        }
    }
    return 0;
}

//  Wait until the future is ready or the deadline passes (-1: no deadline).
static void
s_wait_future (zaf_t *self, zaf_future_t *future, int64_t deadline)
{
    while (!future->ready) {
        if (self->aborted) {
            s_future_fail (self, future, ZAF_ACTOR_DIED, "the waiting actor is being killed");
            return;
        }
        if (zsys_interrupted) {
            s_future_fail (self, future, ZAF_INTERRUPTED, "interrupted while waiting");
            return;
        }
        int64_t now = zclock_mono ();
        if (deadline >= 0 && now >= deadline) {
            s_pump (self, 0);   //  Whatever has arrived still counts
            return;
        }
        int64_t slice = self->direct ? self->heartbeat_ms : 1000;
        if (deadline >= 0 && deadline - now < slice)
            slice = deadline - now;
        s_pump (self, (int) slice);
    }
}

//  --------------------------------------------------------------------------
//  Destroy a connection

static void s_kill_tell (zaf_t *self, const char *actor_id);

void
zaf_client_destroy (zaf_t **self_p)
{
    assert (self_p);
    if (!*self_p)
        return;
    zaf_t *self = *self_p;

    //  Kill what we own and detach the handles
    zaf_actor_t *actor;
    while ((actor = (zaf_actor_t *) zlistx_detach (self->owned, NULL))) {
        if (self->connected)
            s_kill_tell (self, actor->id);
        actor->owner = NULL;
        actor->owner_item = NULL;
    }
    zlistx_destroy (&self->owned);

    //  Orphan pending futures: they end now and stay valid for their holders
    zlistx_t *futures = zhashx_values (self->pending);
    for (zaf_future_t *future = (zaf_future_t *) zlistx_first (futures); future;
         future = (zaf_future_t *) zlistx_next (futures)) {
        future->ready = true;
        zaf_error_set (&future->error, ZAF_BROKER_LOST, "connection closed before the answer came");
        future->owner = NULL;
        if (future->abandoned)
            free (future);
    }
    zlistx_destroy (&futures);
    zhashx_destroy (&self->pending);

    if (self->direct) {
        if (self->connected) {
            zaf_proto_t *bye = zaf_proto_new ();
            zaf_proto_set_id (bye, ZAF_PROTO_BYE);
            zaf_proto_set_body (bye, "{\"reason\":\"leaving\"}", 20);
            zsock_set_linger (self->dealer, 200);
            zaf_proto_send (bye, self->socket);
            zaf_proto_destroy (&bye);
        }
        s_close_socket (self);
    }
    if (self->attached && self->attached_destroy)
        self->attached_destroy (&self->attached);
    free (self->self_actor);
    zaf_proto_destroy (&self->msg);
    zaf_ratelimit_destroy (&self->warnings);
    zstr_free (&self->endpoint);
    zstr_free (&self->role);
    zaf_proto_destroy (&self->returning);
    zstr_free (&self->exit_reason);
    zhashx_destroy (&self->hooks);
    free (self);
    *self_p = NULL;
}

void
zaf_client_attach (zaf_t *self, void *object, void (*destructor) (void **))
{
    assert (self);
    self->attached = object;
    self->attached_destroy = destructor;
}

void *
zaf_client_attached (zaf_t *self)
{
    assert (self);
    return self->attached;
}

const char *
zaf_client_endpoint (zaf_t *self)
{
    assert (self);
    return self->endpoint;
}

const char *
zaf_client_session (zaf_t *self)
{
    assert (self);
    return self->session;
}

//  --------------------------------------------------------------------------
//  Wait for a request future and return its result or NULL + err. The
//  future is destroyed unless the wait timed out.

static cJSON *
s_get (zaf_t *self, zaf_future_t *future, int timeout_ms, zaf_error_t *err)
{
    zaf_future_t *held = future;
    cJSON *result = zaf_get (self, &held, timeout_ms, err);
    if (held) {
        //  Timed out: nobody will wait again
        zaf_future_destroy (&held);
    }
    return result;
}

//  --------------------------------------------------------------------------
//  Ask the broker for its STATUS snapshot

//  Send a broker-answered control request (STATUS, STOP) with a JSON body
//  (taken; NULL means {}) and wait for its answer
static cJSON *
s_control (zaf_t *self, zaf_proto_id_t id, cJSON *request, int timeout_ms, zaf_error_t *err)
{
    assert (self);
    zaf_proto_t *msg = zaf_proto_new ();
    zaf_proto_set_id (msg, id);
    if (request)
        zaf_proto_set_body_json (msg, request);
    else
        zaf_proto_set_body (msg, "{}", 2);
    cJSON_Delete (request);
    zaf_future_t *future = s_request (self, msg, KIND_CONTROL);
    zaf_proto_destroy (&msg);
    return s_get (self, future, timeout_ms, err);
}

cJSON *
zaf_client_status (zaf_t *self, cJSON *request, int timeout_ms, zaf_error_t *err)
{
    return s_control (self, ZAF_PROTO_STATUS, request, timeout_ms, err);
}

cJSON *
zaf_client_stop (zaf_t *self, int timeout_ms, zaf_error_t *err)
{
    return s_control (self, ZAF_PROTO_STOP, NULL, timeout_ms, err);
}

//  ==========================================================================
//  Public API: actors, tasks, futures, handles

static zaf_actor_t *
s_actor_new (const char *id, bool owned, zaf_t *owner)
{
    zaf_actor_t *actor = (zaf_actor_t *) zmalloc (sizeof (zaf_actor_t));
    assert (actor);
    snprintf (actor->id, sizeof (actor->id), "%s", id);
    actor->owned = owned;
    if (owned && owner) {
        actor->owner = owner;
        actor->owner_item = zlistx_add_end (owner->owned, actor);
    }
    return actor;
}

//  Fill a message's body with args (taken); NULL means []
static void
s_set_args (zaf_proto_t *msg, cJSON *args)
{
    if (args) {
        zaf_proto_set_body_json (msg, args);
        cJSON_Delete (args);
    }
    else
        zaf_proto_set_body (msg, "[]", 2);
}

//  --------------------------------------------------------------------------
//  Create an actor

zaf_actor_t *
zaf_spawn (zaf_t *self, const char *cls, cJSON *args, const zaf_spawn_opts_t *opts,
           zaf_error_t *err)
{
    assert (self);
    if (!zaf_registry_name_valid (cls)) {
        cJSON_Delete (args);
        zaf_error_set (err, ZAF_BAD_ARGS, "class name is missing or not printable ASCII");
        return NULL;
    }
    cJSON *options = cJSON_CreateObject ();
    if (opts && opts->node)
        cJSON_AddStringToObject (options, "node", opts->node);
    if (opts && opts->name)
        cJSON_AddStringToObject (options, "name", opts->name);
    if (opts && opts->detached)
        cJSON_AddBoolToObject (options, "detached", true);
    if (opts && opts->get_if_exists)
        cJSON_AddBoolToObject (options, "get_if_exists", true);
    if (opts && opts->max_restarts)
        cJSON_AddNumberToObject (options, "max_restarts", opts->max_restarts);
    if (opts && opts->max_call_retries)
        cJSON_AddNumberToObject (options, "max_call_retries", opts->max_call_retries);
    if (opts && opts->call_deadline_ms > 0)
        cJSON_AddNumberToObject (options, "call_deadline_ms", opts->call_deadline_ms);
    //  An actor's children are its own: they die with it
    if (self->self_actor)
        cJSON_AddStringToObject (options, "owner", self->self_actor->id);
    zaf_proto_t *msg = zaf_proto_new ();
    zaf_proto_set_id (msg, ZAF_PROTO_SPAWN);
    zaf_proto_set_name (msg, cls);
    char *text = cJSON_PrintUnformatted (options);
    zaf_proto_set_options (msg, text, strlen (text));
    cJSON_free (text);
    cJSON_Delete (options);
    s_set_args (msg, args);
    zaf_future_t *future = s_request (self, msg, KIND_SPAWN);
    zaf_proto_destroy (&msg);

    int timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : 30000;
    zaf_future_t *held = future;
    cJSON *result = zaf_get (self, &held, timeout_ms, err);
    if (held) {
        //  Timed out: if the actor still comes up, kill it then
        held->abandoned = true;
        held->owner = NULL;
    }
    if (!result)
        return NULL;
    //  A detached actor, or one that existed already, is not ours to end
    bool owned = !(opts && opts->detached) && !zaf_json_bool (result, "existing", false);
    zaf_actor_t *actor = s_actor_new (zaf_json_string (result, "actor", ""), owned, self);
    cJSON_Delete (result);
    return actor;
}

//  --------------------------------------------------------------------------
//  Blobs: binary attachments

zaf_blob_t *
zaf_blob_new (const void *data, size_t size)
{
    zaf_blob_t *self = (zaf_blob_t *) zmalloc (sizeof (zaf_blob_t));
    assert (self);
    if (zmq_msg_init_size (&self->frame, size)) {
        free (self);
        return NULL;
    }
    if (size)
        memcpy (zmq_msg_data (&self->frame), data, size);
    return self;
}

zaf_blob_t *
zaf_blob_new_take (void *data, size_t size, zaf_blob_free_fn *free_fn, void *hint)
{
    zaf_blob_t *self = (zaf_blob_t *) zmalloc (sizeof (zaf_blob_t));
    assert (self);
    if (zmq_msg_init_data (&self->frame, data, size, free_fn, hint)) {
        free (self);
        return NULL;
    }
    return self;
}

void
zaf_blob_destroy (zaf_blob_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zmq_msg_close (&(*self_p)->frame);
        free (*self_p);
        *self_p = NULL;
    }
}

const void *
zaf_blob_data (zaf_blob_t *self)
{
    assert (self);
    return zmq_msg_data (&self->frame);
}

size_t
zaf_blob_size (zaf_blob_t *self)
{
    assert (self);
    return zmq_msg_size (&self->frame);
}

cJSON *
zaf_blob_ref (size_t index)
{
    cJSON *ref = cJSON_CreateObject ();
    cJSON_AddNumberToObject (ref, "$blob", (double) index);
    return ref;
}

//  The index a {"$blob": n} reference names, or -1
static int
s_blob_index (const cJSON *ref)
{
    const cJSON *index = cJSON_GetObjectItemCaseSensitive (ref, "$blob");
    if (!cJSON_IsNumber (index) || index->valuedouble < 0
    ||  index->valuedouble >= ZAF_BLOBS_MAX || index->valuedouble != (int) index->valuedouble)
        return -1;
    return (int) index->valuedouble;
}

const void *
zaf_arg_blob (zaf_t *self, const cJSON *ref, size_t *size)
{
    assert (self);
    int index = s_blob_index (ref);
    zmq_msg_t *frame = index >= 0 && self->serving
                     ? zaf_proto_attachment (self->serving, (size_t) index) : NULL;
    if (size)
        *size = frame ? zmq_msg_size (frame) : 0;
    return frame ? zmq_msg_data (frame) : NULL;
}

size_t
zaf_arg_blobs (zaf_t *self)
{
    assert (self);
    return self->serving ? zaf_proto_attachments (self->serving) : 0;
}

cJSON *
zaf_return_blob (zaf_t *self, zaf_blob_t *blob)
{
    assert (self);
    if (!blob)
        return NULL;
    if (!self->serving) {
        zaf_blob_destroy (&blob);
        return NULL;
    }
    if (!self->returning)
        self->returning = zaf_proto_new ();
    size_t index = zaf_proto_attachments (self->returning);
    int rc = zaf_proto_attach (self->returning, &blob->frame);
    zaf_blob_destroy (&blob);
    return rc == 0 ? zaf_blob_ref (index) : NULL;
}

void
zaf_client_serving (zaf_t *self, zaf_proto_t *request)
{
    assert (self);
    self->serving = request;
    if (self->returning)
        zaf_proto_reset (self->returning);      //  Blobs of an earlier method
}

void
zaf_client_take_returns (zaf_t *self, zaf_proto_t *answer)
{
    assert (self);
    if (!self->returning)
        return;
    size_t count = zaf_proto_attachments (self->returning);
    for (size_t index = 0; index < count; index++)
        zaf_proto_attach (answer, zaf_proto_attachment (self->returning, index));
    zaf_proto_reset (self->returning);
}

//  --------------------------------------------------------------------------
//  An actor ends itself; runtime hooks

void
zaf_exit (zaf_t *self, const char *reason)
{
    assert (self);
    if (!self->self_actor)
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

const char *
zaf_client_exit_reason (zaf_t *self)
{
    return self->exit_reason;
}

void
zaf_client_set_hook (zaf_t *self, const char *method, zaf_client_hook_fn *fn, void *arg)
{
    assert (self);
    assert (strncmp (method, ZAF_CLIENT_HOOK_PREFIX, strlen (ZAF_CLIENT_HOOK_PREFIX)) == 0);
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
zaf_client_run_hook (zaf_t *self, const char *method, const cJSON *args)
{
    hook_t *hook = self->hooks ? (hook_t *) zhashx_lookup (self->hooks, method) : NULL;
    if (!hook)
        return -1;
    hook->fn (hook->arg, self, args);
    return 0;
}

//  --------------------------------------------------------------------------
//  Watch an actor from inside another: told by a TELL of one of its methods

int
zaf_monitor_notify (zaf_t *self, zaf_actor_t *actor, const char *method, zaf_error_t *err)
{
    assert (self);
    if (!self->self_actor) {
        zaf_error_set (err, ZAF_BAD_ARGS, "zaf_monitor_notify works inside an actor only");
        return -1;
    }
    if (!actor || !zaf_registry_name_valid (method)) {
        zaf_error_set (err, ZAF_BAD_ARGS, "zaf_monitor_notify needs an actor and a method name");
        return -1;
    }
    cJSON *request = cJSON_CreateObject ();
    cJSON_AddStringToObject (request, "notify", method);
    cJSON_AddStringToObject (request, "watcher", self->self_actor->id);
    zaf_proto_t *msg = zaf_proto_new ();
    zaf_proto_set_id (msg, ZAF_PROTO_MONITOR);
    zaf_proto_set_actor (msg, actor->id);
    zaf_proto_set_body_json (msg, request);
    cJSON_Delete (request);
    zaf_future_t *future = s_request (self, msg, KIND_CONTROL);
    zaf_proto_destroy (&msg);
    cJSON *result = s_get (self, future, 10000, err);
    if (!result)
        return -1;
    cJSON_Delete (result);
    return 0;
}

//  --------------------------------------------------------------------------
//  Watch an actor

zaf_future_t *
zaf_monitor (zaf_t *self, zaf_actor_t *actor)
{
    assert (self);
    if (!actor)
        return s_failed_future (self, ZAF_BAD_ARGS, "no actor handle given");
    zaf_proto_t *msg = zaf_proto_new ();
    zaf_proto_set_id (msg, ZAF_PROTO_MONITOR);
    zaf_proto_set_actor (msg, actor->id);
    zaf_proto_set_body (msg, "{}", 2);
    zaf_future_t *future = s_request (self, msg, KIND_CONTROL);
    zaf_proto_destroy (&msg);
    return future;
}

//  --------------------------------------------------------------------------
//  Call a method

//  Move blobs (taken, and nulled in the array) into a message's attachments
static int
s_attach_blobs (zaf_proto_t *msg, zaf_blob_t **blobs, size_t count)
{
    int rc = count > ZAF_BLOBS_MAX ? -1 : 0;
    for (size_t index = 0; index < count; index++) {
        if (!blobs [index])
            continue;
        if (rc == 0 && zaf_proto_attach (msg, &blobs [index]->frame))
            rc = -1;
        zaf_blob_destroy (&blobs [index]);
    }
    return rc;
}

zaf_future_t *
zaf_call_blobs (zaf_t *self, zaf_actor_t *actor, const char *method, cJSON *args,
                zaf_blob_t **blobs, size_t count)
{
    assert (self);
    if (!actor || !zaf_registry_name_valid (method)) {
        cJSON_Delete (args);
        for (size_t index = 0; index < count; index++)
            zaf_blob_destroy (&blobs [index]);
        return s_failed_future (self, ZAF_BAD_ARGS,
                                actor ? "method name is missing or not printable ASCII"
                                      : "no actor handle given");
    }
    zaf_proto_t *msg = zaf_proto_new ();
    zaf_proto_set_id (msg, ZAF_PROTO_CALL);
    zaf_proto_set_actor (msg, actor->id);
    zaf_proto_set_name (msg, method);
    s_set_args (msg, args);
    if (s_attach_blobs (msg, blobs, count)) {
        zaf_proto_destroy (&msg);
        return s_failed_future (self, ZAF_BAD_ARGS, "at most 16 blobs go with one call");
    }
    zaf_future_t *future = s_request (self, msg, KIND_CALL);
    zaf_proto_destroy (&msg);
    return future;
}

zaf_future_t *
zaf_call (zaf_t *self, zaf_actor_t *actor, const char *method, cJSON *args)
{
    return zaf_call_blobs (self, actor, method, args, NULL, 0);
}

//  --------------------------------------------------------------------------
//  Send a call that expects no answer

int
zaf_tell (zaf_t *self, zaf_actor_t *actor, const char *method, cJSON *args)
{
    assert (self);
    if (!actor || !zaf_registry_name_valid (method)) {
        cJSON_Delete (args);
        return -1;
    }
    zaf_proto_t *msg = zaf_proto_new ();
    zaf_proto_set_id (msg, ZAF_PROTO_TELL);
    zaf_proto_set_actor (msg, actor->id);
    zaf_proto_set_name (msg, method);
    s_set_args (msg, args);
    int rc = s_send (self, msg, NULL);
    zaf_proto_destroy (&msg);
    return rc;
}

//  --------------------------------------------------------------------------
//  Kill an actor

static void
s_kill_tell (zaf_t *self, const char *actor_id)
{
    zaf_proto_t *msg = zaf_proto_new ();
    zaf_proto_set_id (msg, ZAF_PROTO_KILL);
    zaf_proto_set_actor (msg, actor_id);
    zaf_proto_set_body (msg, "{\"reason\":\"killed\"}", 19);
    s_send (self, msg, NULL);
    zaf_proto_destroy (&msg);
}

int
zaf_kill (zaf_t *self, zaf_actor_t *actor, zaf_error_t *err)
{
    assert (self);
    if (!actor) {
        zaf_error_set (err, ZAF_BAD_ARGS, "no actor handle given");
        return -1;
    }
    zaf_proto_t *msg = zaf_proto_new ();
    zaf_proto_set_id (msg, ZAF_PROTO_KILL);
    zaf_proto_set_actor (msg, actor->id);
    zaf_proto_set_body (msg, "{\"reason\":\"killed\"}", 19);
    zaf_future_t *future = s_request (self, msg, KIND_KILL);
    zaf_proto_destroy (&msg);
    cJSON *result = s_get (self, future, 10000, err);
    if (!result)
        return -1;
    cJSON_Delete (result);
    //  The actor is gone: its owning handle has nothing left to kill
    if (actor->owner) {
        zlistx_delete (actor->owner->owned, actor->owner_item);
        actor->owner = NULL;
        actor->owner_item = NULL;
    }
    actor->owned = false;
    return 0;
}

//  --------------------------------------------------------------------------
//  Find an actor by name

zaf_actor_t *
zaf_lookup (zaf_t *self, const char *name, zaf_error_t *err)
{
    assert (self);
    if (!zaf_registry_name_valid (name)) {
        zaf_error_set (err, ZAF_BAD_ARGS, "actor name is missing or not printable ASCII");
        return NULL;
    }
    zaf_proto_t *msg = zaf_proto_new ();
    zaf_proto_set_id (msg, ZAF_PROTO_LOOKUP);
    zaf_proto_set_name (msg, name);
    zaf_future_t *future = s_request (self, msg, KIND_LOOKUP);
    zaf_proto_destroy (&msg);
    cJSON *result = s_get (self, future, 10000, err);
    const char *id = zaf_json_string (result, "actor", NULL);
    zaf_actor_t *actor = NULL;
    if (id && *id && strlen (id) <= ZAF_PROTO_ACTOR_MAX)
        actor = s_actor_new (id, false, NULL);
    else
    if (result)
        zaf_error_set (err, ZAF_PROTOCOL, "LOOKUP answer has no actor id");
    cJSON_Delete (result);
    return actor;
}

//  --------------------------------------------------------------------------
//  The actor this code runs in

zaf_actor_t *
zaf_self (zaf_t *self)
{
    assert (self);
    return self->self_actor;
}

//  --------------------------------------------------------------------------
//  Run a remote function

zaf_future_t *
zaf_submit_blobs (zaf_t *self, const char *function, cJSON *args, zaf_blob_t **blobs,
                  size_t count)
{
    assert (self);
    if (!zaf_registry_name_valid (function)) {
        cJSON_Delete (args);
        for (size_t index = 0; index < count; index++)
            zaf_blob_destroy (&blobs [index]);
        return s_failed_future (self, ZAF_BAD_ARGS, "function name is missing or not printable ASCII");
    }
    zaf_proto_t *msg = zaf_proto_new ();
    zaf_proto_set_id (msg, ZAF_PROTO_SUBMIT);
    zaf_proto_set_name (msg, function);
    s_set_args (msg, args);
    if (s_attach_blobs (msg, blobs, count)) {
        zaf_proto_destroy (&msg);
        return s_failed_future (self, ZAF_BAD_ARGS, "at most 16 blobs go with one task");
    }
    zaf_future_t *future = s_request (self, msg, KIND_SUBMIT);
    zaf_proto_destroy (&msg);
    return future;
}

zaf_future_t *
zaf_submit (zaf_t *self, const char *function, cJSON *args)
{
    return zaf_submit_blobs (self, function, args, NULL, 0);
}

//  --------------------------------------------------------------------------
//  Futures

cJSON *
zaf_get_blobs (zaf_t *self, zaf_future_t **future_p, int timeout_ms, zaf_blob_t **blobs,
               size_t *count, zaf_error_t *err)
{
    if (count)
        *count = 0;
    zaf_future_t *future = future_p ? *future_p : NULL;
    size_t taken = 0;
    if (future && blobs) {
        //  Wait first (zaf_get destroys the future), then take the blobs
        cJSON *result = NULL;
        zaf_error_clear (err);
        if (!future->ready && future->owner == self)
            s_wait_future (self, future, timeout_ms < 0 ? -1 : zclock_mono () + timeout_ms);
        if (future->ready && future->result) {
            for (; taken < future->blob_count && taken < ZAF_BLOBS_MAX; taken++) {
                blobs [taken] = (zaf_blob_t *) zmalloc (sizeof (zaf_blob_t));
                assert (blobs [taken]);
                zmq_msg_init (&blobs [taken]->frame);
                zmq_msg_move (&blobs [taken]->frame, &future->blobs [taken]);
            }
        }
        result = zaf_get (self, future_p, 0, err);
        if (!result) {
            for (size_t index = 0; index < taken; index++)
                zaf_blob_destroy (&blobs [index]);
            taken = 0;
        }
        if (count)
            *count = taken;
        return result;
    }
    return zaf_get (self, future_p, timeout_ms, err);
}

cJSON *
zaf_get (zaf_t *self, zaf_future_t **future_p, int timeout_ms, zaf_error_t *err)
{
    assert (self);
    assert (future_p);
    zaf_error_clear (err);
    zaf_future_t *future = *future_p;
    if (!future) {
        zaf_error_set (err, ZAF_BAD_ARGS, "no future given");
        return NULL;
    }
    if (future->owner && future->owner != self) {
        zaf_error_set (err, ZAF_BAD_ARGS, "future belongs to another connection");
        return NULL;
    }
    if (!future->ready && future->owner)
        s_wait_future (self, future, timeout_ms < 0 ? -1 : zclock_mono () + timeout_ms);
    if (!future->ready) {
        zaf_error_set (err, ZAF_TIMEOUT, "no answer within %d ms", timeout_ms);
        return NULL;
    }
    cJSON *result = future->result;
    future->result = NULL;
    if (!result && err)
        *err = future->error;
    zaf_future_destroy (future_p);
    return result;
}

int
zaf_get_all (zaf_t *self, zaf_future_t **futures, size_t n, int timeout_ms,
             cJSON **results, zaf_error_t *errs)
{
    assert (self);
    assert (futures || n == 0);
    assert (results || n == 0);
    int64_t deadline = timeout_ms < 0 ? -1 : zclock_mono () + timeout_ms;
    int rc = 0;
    for (size_t index = 0; index < n; index++) {
        int64_t remaining = deadline < 0 ? -1 : deadline - zclock_mono ();
        if (remaining < 0 && deadline >= 0)
            remaining = 0;
        zaf_error_t local;
        results [index] = zaf_get (self, &futures [index], (int) remaining, &local);
        if (errs)
            errs [index] = local;
        if (!results [index])
            rc = -1;
    }
    return rc;
}

size_t
zaf_wait (zaf_t *self, zaf_future_t **futures, size_t n, size_t num_ready, int timeout_ms)
{
    assert (self);
    assert (futures || n == 0);
    int64_t deadline = timeout_ms < 0 ? -1 : zclock_mono () + timeout_ms;
    s_pump (self, 0);           //  Take in whatever has arrived
    while (true) {
        size_t ready = 0;
        for (size_t index = 0; index < n; index++)
            if (futures [index] && futures [index]->ready)
                ready++;
        if (ready >= num_ready || ready == n)
            return ready;
        int64_t now = zclock_mono ();
        if ((deadline >= 0 && now >= deadline) || zsys_interrupted || self->aborted)
            return ready;
        int64_t slice = self->direct ? self->heartbeat_ms : 1000;
        if (deadline >= 0 && deadline - now < slice)
            slice = deadline - now;
        s_pump (self, (int) slice);
    }
}

bool
zaf_future_ready (const zaf_future_t *future)
{
    return future && future->ready;
}

void
zaf_future_destroy (zaf_future_t **self_p)
{
    assert (self_p);
    if (!*self_p)
        return;
    zaf_future_t *future = *self_p;
    if (!future->ready && future->owner)
        zhashx_delete (future->owner->pending, (void *) (uintptr_t) future->corr);
    cJSON_Delete (future->result);
    s_future_blobs_close (future);
    free (future);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Handles

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
    return s_actor_new (id, false, NULL);
}

zaf_actor_t *
zaf_actor_dup (const zaf_actor_t *actor)
{
    return actor ? s_actor_new (actor->id, false, NULL) : NULL;
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

void
zaf_actor_destroy (zaf_actor_t **self_p)
{
    assert (self_p);
    if (!*self_p)
        return;
    zaf_actor_t *actor = *self_p;
    if (actor->owner) {
        zaf_t *owner = actor->owner;
        zlistx_delete (owner->owned, actor->owner_item);
        if (owner->connected)
            s_kill_tell (owner, actor->id);
    }
    free (actor);
    *self_p = NULL;
}
