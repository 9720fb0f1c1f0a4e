/*  =========================================================================
    zaf_client - a connection to a cluster: zaf_t, its requests and waits

    Runs entirely in the thread that uses the zaf_t. Requests get a future
    in the pending map (zaf_future); answers (REPLY, SPAWNED) are matched
    on their correlation id, so every future resolves exactly once. When
    the broker is lost (BYE, a missed heartbeat window, a disconnect event,
    or a BROKER_LOST notice from the node of an inner connection) every
    pending future ends with BROKER_LOST at once; a direct connection then
    dials again on its next request.

    Futures and owning handles point back at their connection; destroying
    it leaves no dangling pointer: pending futures are resolved and
    orphaned, owning handles are disowned.
    =========================================================================
*/

#ifndef _GNU_SOURCE
#   define _GNU_SOURCE          //  program_invocation_short_name
#endif
#include "zaf_classes.h"
#include <errno.h>

//  How often a busy connection reads its disconnect monitor (ms)
#define ZAF_CLIENT_MONITOR_MS   50
//  How long a request may wait for room in a full send queue (ms)
#define ZAF_CLIENT_SEND_MS      10000

struct _zaf_t {
    zaf_link_t *link;           //  Direct: to the broker
    zaf_channel_t *channel;     //  Inner: to the node (borrowed)
    zaf_proto_t *msg;           //  Reused for every receive
    zaf_pending_t *pending;     //  Futures waiting for their answers
    zlistx_t *owned;            //  Owning handles spawned through us
    char *actor_id;             //  Inner: the actor we speak for, or NULL
    zaf_client_inbox_fn *inbox; //  Inner: where calls to our actor go
    void *inbox_arg;
    bool aborted;               //  Inbox asked waits to end
    int64_t monitor_at;         //  Direct: when we last read the monitor
    size_t late_replies;        //  Answers nobody waited for
    zaf_ratelimit_t *warnings;  //  Budget for warnings about bad input
    void *attached;             //  Destroyed after the socket
    void (*attached_destroy) (void **);
    void *context;              //  zaf_context's, opaque here
};

static int s_pump (zaf_t *self, int timeout_ms);
static int s_drain (zaf_t *self);

//  --------------------------------------------------------------------------
//  Construction

static zaf_t *
s_new (void)
{
    zaf_t *self = (zaf_t *) zmalloc (sizeof (zaf_t));
    assert (self);
    self->msg = zaf_proto_new ();
    self->pending = zaf_pending_new (ZAF_CLIENT_MAX_PENDING);
    self->owned = zlistx_new ();
    self->warnings = zaf_ratelimit_new ("zaf_client", 10);
    return self;
}

//  True if requests can go out now: an inner connection always, a direct
//  one while its link is up
static bool
s_connected (zaf_t *self)
{
    return !self->link || zaf_link_state (self->link) == ZAF_LINK_UP;
}

//  Dial the broker and wait for WELCOME. After a first session, claim
//  what we own (if the broker restarted, it hands our actors back).
static int
s_dial (zaf_t *self, int timeout_ms, zaf_error_t *err)
{
    cJSON *hello = cJSON_CreateObject ();
    cJSON_AddStringToObject (hello, "name", program_invocation_short_name);
    if (*zaf_link_session (self->link)) {
        cJSON *owns = cJSON_AddArrayToObject (hello, "owns");
        for (zaf_actor_t *actor = (zaf_actor_t *) zlistx_first (self->owned); actor;
             actor = (zaf_actor_t *) zlistx_next (self->owned))
            cJSON_AddItemToArray (owns, cJSON_CreateString (zaf_actor_id (actor)));
    }
    int rc = zaf_link_connect (self->link, hello, timeout_ms, self->msg, err);
    cJSON_Delete (hello);
    return rc;
}

zaf_t *
zaf_client_connect (const char *endpoint, const char *role, int timeout_ms,
                    zaf_error_t *err)
{
    assert (endpoint);
    assert (role);
    zaf_t *self = s_new ();
    self->link = zaf_link_new (endpoint, role, true);
    if (s_dial (self, timeout_ms, err))
        zaf_client_destroy (&self);
    return self;
}

zaf_t *
zaf_client_new_inner (zaf_channel_t *channel, const char *actor_id,
                      zaf_client_inbox_fn *inbox, void *inbox_arg)
{
    assert (channel);
    zaf_t *self = s_new ();
    self->channel = channel;
    self->actor_id = actor_id ? strdup (actor_id) : NULL;
    self->inbox = inbox;
    self->inbox_arg = inbox_arg;
    return self;
}

//  --------------------------------------------------------------------------
//  Send a message we built (the request or a fire-and-forget command).
//  Returns 0, or -1 with err filled. Never blocks forever: a full queue is
//  drained of answers and retried for a bounded time.

static int
s_send (zaf_t *self, zaf_proto_t *msg, zaf_error_t *err)
{
    if (self->channel) {
        //  An actor or task that is being stopped learns it here, even if
        //  it never waits: its KILL is read before anything goes out
        s_drain (self);
        if (self->aborted) {
            zaf_error_set (err, ZAF_ACTOR_DIED, "this %s is being stopped",
                           self->actor_id ? "actor" : "task");
            return -1;
        }
    }
    else
    if (!s_connected (self)) {
        if (!zaf_link_due (self->link, zclock_mono ())) {
            zaf_error_set (err, ZAF_BROKER_LOST, "broker at %s is unreachable",
                           zaf_link_endpoint (self->link));
            return -1;
        }
        if (s_dial (self, 2000, err))
            return -1;
    }
    int64_t deadline = zclock_mono () + ZAF_CLIENT_SEND_MS;
    while ((self->channel ? zaf_channel_send (self->channel, msg)
                          : zaf_link_send (self->link, msg)) == -1) {
        if (errno != EAGAIN) {
            zaf_error_set (err, ZAF_BROKER_LOST, "cannot send: %s", zmq_strerror (errno));
            return -1;
        }
        //  Our queue is full: read answers so the broker can go on, then retry
        if (zclock_mono () >= deadline) {
            zaf_error_set (err, ZAF_OVERLOADED, "send queue to the broker stayed full for %d s",
                           ZAF_CLIENT_SEND_MS / 1000);
            return -1;
        }
        s_pump (self, 10);
        if (!s_connected (self)) {
            zaf_error_set (err, ZAF_BROKER_LOST, "broker lost while sending");
            return -1;
        }
    }
    return 0;
}

//  Start a request: give it a correlation id and a future, send it.
//  Returns the future (never NULL); a failure to send resolves it at once.
static zaf_future_t *
s_request (zaf_t *self, zaf_proto_t *msg, zaf_future_kind_t kind)
{
    zaf_future_t *future = zaf_pending_request (self->pending, kind, msg);
    zaf_error_t err;
    if (!zaf_future_ready (future) && s_send (self, msg, &err))
        zaf_future_fail (future, err.code, "%s", err.message);
    return future;
}

//  Build a request of one command on one actor, send it, destroy it
static zaf_future_t *
s_request_on (zaf_t *self, zaf_proto_id_t id, const char *actor_id, const char *body,
              zaf_future_kind_t kind)
{
    zaf_proto_t *msg = zaf_proto_new ();
    zaf_proto_set_id (msg, id);
    zaf_proto_set_actor (msg, actor_id);
    zaf_proto_set_body (msg, body, strlen (body));
    zaf_future_t *future = s_request (self, msg, kind);
    zaf_proto_destroy (&msg);
    return future;
}

//  Tell the broker to kill an actor, expecting no answer
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

//  The broker is gone (or says it does not know us): end every pending
//  future now; a direct connection dials again on its next request
static void
s_lost (zaf_t *self, const char *why)
{
    if (self->link && s_connected (self)) {
        char escaped [4 * ZAF_ERROR_MESSAGE_MAX];
        zsys_warning ("zaf_client: broker lost endpoint=%s reason=%s",
                      zaf_link_endpoint (self->link), zaf_escape (why, escaped, sizeof (escaped)));
    }
    char message [ZAF_ERROR_MESSAGE_MAX];
    snprintf (message, sizeof (message),
              "broker lost (%s); the call may or may not have run", why);
    zaf_pending_fail_all (self->pending, ZAF_BROKER_LOST, message);
    if (self->link)
        zaf_link_close (self->link);    //  The next request dials at once
}

//  --------------------------------------------------------------------------
//  Answers and notices

//  An answer: resolve the future it names, or undo an abandoned spawn
static void
s_answer (zaf_t *self, zaf_proto_t *msg)
{
    size_t size;
    const void *corr = zaf_proto_corr (msg, &size);
    zaf_future_t *future = zaf_pending_take (self->pending, corr, size);
    if (!future) {
        self->late_replies++;
        return;
    }
    if (!zaf_future_abandoned (future)) {
        zaf_future_resolve (future, msg);
        return;
    }
    //  A spawn nobody waits for any more: do not leave the actor behind
    //  (unless it is one that existed before)
    if (zaf_proto_id (msg) == ZAF_PROTO_SPAWNED && zaf_proto_ok (msg)
    &&  *zaf_proto_actor (msg) && !zaf_future_spawned_existing (msg))
        s_kill_tell (self, zaf_proto_actor (msg));
    zaf_future_destroy (&future);
}

int
zaf_client_dispatch (zaf_t *self, zaf_proto_t **msg_p)
{
    assert (self);
    assert (msg_p && *msg_p);
    zaf_proto_t *msg = *msg_p;
    zaf_proto_id_t id = zaf_proto_id (msg);

    if (id == ZAF_PROTO_REPLY || id == ZAF_PROTO_SPAWNED)
        s_answer (self, msg);
    else
    if (id == ZAF_PROTO_BYE) {
        cJSON *bye = zaf_proto_body_json (msg);
        char why [128];
        snprintf (why, sizeof (why), "broker said BYE: %s",
                  zaf_json_string (bye, "reason", "no reason given"));
        cJSON_Delete (bye);
        s_lost (self, why);
    }
    else
    if (id == ZAF_PROTO_ERROR) {
        size_t size;
        const char *body = zaf_proto_body (msg, &size);
        zaf_error_t error;
        zaf_error_parse (body, size, &error);
        if (error.code == ZAF_BROKER_LOST)
            s_lost (self, error.message);
        else
            zaf_ratelimit_warn (self->warnings, "error from broker code=%s message=%s",
                                zaf_code_name (error.code), error.message);
    }
    else
    if (id == ZAF_PROTO_HEARTBEAT || id == ZAF_PROTO_WELCOME)
        ;                       //  Signs of life: the link counted them
    else
    if (self->inbox) {
        if (self->inbox (self->inbox_arg, msg_p) == -1) {
            self->aborted = true;
            return -1;
        }
    }
    else
        zaf_ratelimit_warn (self->warnings, "unexpected %s from broker dropped",
                            zaf_proto_command_name (id));
    return 0;
}

//  --------------------------------------------------------------------------
//  Pump: read everything waiting, then poll up to timeout_ms for more.
//  Keeps heartbeats going and notices a lost broker.

//  Read and dispatch everything that waits on the socket. Returns how many
//  messages it took, or -1 if the inbox asked to abort.
static int
s_drain (zaf_t *self)
{
    int taken = 0;
    while (true) {
        int rc = self->channel ? zaf_channel_recv_nowait (self->channel, self->msg)
                               : zaf_link_recv (self->link, self->msg);
        if (rc == -1)
            break;
        if (rc == -2) {
            zaf_ratelimit_warn (self->warnings, "malformed message dropped: %s",
                                zaf_proto_fault (self->msg));
            continue;
        }
        taken++;
        rc = zaf_client_dispatch (self, &self->msg);
        if (!self->msg)
            self->msg = zaf_proto_new ();   //  The inbox kept it
        if (rc == -1)
            return -1;
    }
    return taken;
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
    if (!s_connected (self))
        return 0;               //  Nothing to wait on
    zsock_t *monitor = self->link ? zaf_link_monitor (self->link) : NULL;
    bool monitor_says = false;
    if (taken == 0 && timeout_ms > 0) {
        void *socket = self->channel ? zaf_channel_socket (self->channel)
                                     : zaf_link_socket (self->link);
        zmq_pollitem_t items [2] = {
            { zsock_resolve (socket), 0, ZMQ_POLLIN, 0 },
            { monitor ? zsock_resolve (monitor) : NULL, 0, ZMQ_POLLIN, 0 }
        };
        int rc = zmq_poll (items, monitor ? 2 : 1, timeout_ms);
        monitor_says = rc > 0 && monitor && (items [1].revents & ZMQ_POLLIN);
        if (rc > 0 && (items [0].revents & ZMQ_POLLIN))
            if (s_drain (self) == -1)
                return -1;
    }
    if (self->link && s_connected (self)) {
        int64_t now = zclock_mono ();
        //  The monitor, when the poll saw it, else now and then: reading it
        //  on every pump costs as much as the call
        if (monitor_says || now - self->monitor_at >= ZAF_CLIENT_MONITOR_MS) {
            self->monitor_at = now;
            if (zaf_link_dropped (self->link)) {
                s_lost (self, "connection closed");
                return 0;
            }
        }
        const char *lost = zaf_link_tick (self->link, now);
        if (lost)
            s_lost (self, strcmp (lost, "missed heartbeats") == 0
                          ? "no heartbeat from the broker" : lost);
    }
    return 0;
}

//  How long one wait may block before the pump looks at heartbeats again
static int64_t
s_slice (zaf_t *self, int64_t deadline, int64_t now)
{
    int64_t slice = self->link ? zaf_link_heartbeat_ms (self->link) : 1000;
    if (deadline >= 0 && deadline - now < slice)
        slice = deadline - now;
    return slice;
}

//  Wait until the future is ready or the deadline passes (-1: no deadline).
static void
s_wait_future (zaf_t *self, zaf_future_t *future, int64_t deadline)
{
    while (!zaf_future_ready (future)) {
        if (self->aborted) {
            zaf_future_fail (future, ZAF_ACTOR_DIED, "the waiting actor is being killed");
            return;
        }
        if (zsys_interrupted) {
            zaf_future_fail (future, ZAF_INTERRUPTED, "interrupted while waiting");
            return;
        }
        int64_t now = zclock_mono ();
        if (deadline >= 0 && now >= deadline) {
            s_pump (self, 0);   //  Whatever has arrived still counts
            return;
        }
        s_pump (self, (int) s_slice (self, deadline, now));
        zaf_cancel_nested (self);   //  Inside a method cancelled recursively
    }
}

//  The pending map, and sending as requests are sent (zaf_cancel.c)
zaf_pending_t *
zaf_client_pending (zaf_t *self) { assert (self); return self->pending; }
int
zaf_client_send (zaf_t *self, zaf_proto_t *msg) { assert (self); return s_send (self, msg, NULL); }

//  --------------------------------------------------------------------------
//  Destroy a connection

void
zaf_client_destroy (zaf_t **self_p)
{
    assert (self_p);
    if (!*self_p)
        return;
    zaf_t *self = *self_p;

    //  Kill what we own and disown the handles
    zaf_actor_t *actor;
    while ((actor = (zaf_actor_t *) zlistx_first (self->owned))) {
        if (s_connected (self))
            s_kill_tell (self, zaf_actor_id (actor));
        zaf_handle_disown (actor);
    }
    zlistx_destroy (&self->owned);
    //  Orphan pending futures: they end now and stay valid for their holders
    zaf_pending_destroy (&self->pending);
    if (self->link) {
        zaf_link_bye (self->link, "leaving");
        zaf_link_destroy (&self->link);
    }
    if (self->attached && self->attached_destroy)
        self->attached_destroy (&self->attached);
    zaf_proto_destroy (&self->msg);
    zaf_ratelimit_destroy (&self->warnings);
    free (self->actor_id);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Accessors

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

void
zaf_client_set_context (zaf_t *self, void *context)
{
    assert (self);
    self->context = context;
}

void *
zaf_client_context (zaf_t *self)
{
    assert (self);
    return self->context;
}

const char *
zaf_client_endpoint (zaf_t *self)
{
    assert (self);
    return self->link ? zaf_link_endpoint (self->link) : "";
}

const char *
zaf_client_session (zaf_t *self)
{
    assert (self);
    return self->link ? zaf_link_session (self->link) : "";
}

//  --------------------------------------------------------------------------
//  Wait for a request future and return its result or NULL + err. The
//  future is destroyed even if the wait timed out.

static cJSON *
s_get (zaf_t *self, zaf_future_t *future, int timeout_ms, zaf_error_t *err)
{
    zaf_future_t *held = future;
    cJSON *result = zaf_get (self, &held, timeout_ms, err);
    zaf_future_destroy (&held);     //  Timed out: nobody will wait again
    return result;
}

//  Send a broker-answered control request (STATUS, STOP) with a JSON body
//  (taken; NULL means {}) and wait for its answer
cJSON *
zaf_client_control (zaf_t *self, zaf_proto_id_t id, cJSON *request, int timeout_ms, zaf_error_t *err)
{
    assert (self);
    zaf_proto_t *msg = zaf_proto_new ();
    zaf_proto_set_id (msg, id);
    if (request)
        zaf_proto_set_body_json (msg, request);
    else
        zaf_proto_set_body (msg, "{}", 2);
    cJSON_Delete (request);
    zaf_future_t *future = s_request (self, msg, ZAF_FUTURE_CONTROL);
    zaf_proto_destroy (&msg);
    return s_get (self, future, timeout_ms, err);
}

cJSON *
zaf_client_status (zaf_t *self, cJSON *request, int timeout_ms, zaf_error_t *err)
{
    return zaf_client_control (self, ZAF_PROTO_STATUS, request, timeout_ms, err);
}

cJSON *
zaf_client_stop (zaf_t *self, int timeout_ms, zaf_error_t *err)
{
    return zaf_client_control (self, ZAF_PROTO_STOP, NULL, timeout_ms, err);
}

cJSON *
zaf_client_revoke (zaf_t *self, const char *key, int timeout_ms, zaf_error_t *err)
{
    assert (key);
    cJSON *request = cJSON_CreateObject ();
    cJSON_AddStringToObject (request, "key", key);
    return zaf_client_control (self, ZAF_PROTO_REVOKE, request, timeout_ms, err);
}

//  ==========================================================================
//  Public API: actors, tasks, futures

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

//  The spawn options as JSON (caller owns it)
static cJSON *
s_spawn_options (zaf_t *self, const zaf_spawn_opts_t *opts)
{
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
    if (opts && opts->call_deadline_ms > 0)
        cJSON_AddNumberToObject (options, "call_deadline_ms", opts->call_deadline_ms);
    //  An actor's children are its own: they die with it
    if (self->actor_id)
        cJSON_AddStringToObject (options, "owner", self->actor_id);
    return options;
}

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
    zaf_proto_t *msg = zaf_proto_new ();
    zaf_proto_set_id (msg, ZAF_PROTO_SPAWN);
    zaf_proto_set_name (msg, cls);
    cJSON *options = s_spawn_options (self, opts);
    if (zaf_deadline_spawn_retries (opts, options, err) || zaf_demand_options (opts, options, err)) {
        cJSON_Delete (options);
        cJSON_Delete (args);
        zaf_proto_destroy (&msg);
        return NULL;
    }
    char *text = cJSON_PrintUnformatted (options);
    zaf_proto_set_options (msg, text, strlen (text));
    cJSON_free (text);
    cJSON_Delete (options);
    s_set_args (msg, args);
    zaf_future_t *future = s_request (self, msg, ZAF_FUTURE_SPAWN);
    zaf_proto_destroy (&msg);

    int timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : 30000;
    cJSON *result = zaf_get (self, &future, timeout_ms, err);
    if (future)                 //  Timed out: if the actor still comes up, kill it then
        zaf_future_abandon (future);
    if (!result)
        return NULL;
    zaf_actor_t *actor = zaf_handle_new (zaf_json_string (result, "actor", ""));
    //  A detached actor, or one that existed already, is not ours to end
    if (!(opts && opts->detached) && !zaf_json_bool (result, "existing", false))
        zaf_handle_own (actor, self, self->owned);
    cJSON_Delete (result);
    return actor;
}

//  --------------------------------------------------------------------------
//  Calls, tells and tasks

zaf_future_t *
zaf_client_call (zaf_t *self, zaf_actor_t *actor, const char *method, cJSON *args,
                 zaf_blob_t **blobs, size_t count, const zaf_call_opts_t *opts)
{
    assert (self);
    const char *bad = !actor ? "no actor handle given"
                    : !zaf_registry_name_valid (method) ? "method name is missing or not printable ASCII"
                    : opts && (opts->resources || opts->labels || opts->affinity || opts->strategy)
                    ? "resources, labels, affinity and strategy place tasks (zaf_submit_opts); "
                      "an actor's call runs where the actor lives"
                    : zaf_deadline_check (opts);
    if (bad) {
        cJSON_Delete (args);
        zaf_blob_destroy_all (blobs, count);
        return zaf_pending_failed (self->pending, ZAF_BAD_ARGS, bad);
    }
    zaf_proto_t *msg = zaf_proto_new ();
    zaf_proto_set_id (msg, ZAF_PROTO_CALL);
    zaf_proto_set_actor (msg, zaf_actor_id (actor));
    zaf_proto_set_name (msg, method);
    zaf_deadline_stamp (self, msg, opts ? opts->timeout_ms : 0);
    s_set_args (msg, args);
    zaf_future_t *future = zaf_blob_attach_all (msg, blobs, count)
        ? zaf_pending_failed (self->pending, ZAF_BAD_ARGS, "at most 16 blobs go with one call")
        : s_request (self, msg, ZAF_FUTURE_CALL);
    zaf_proto_destroy (&msg);
    return future;
}

zaf_future_t *
zaf_call_blobs (zaf_t *self, zaf_actor_t *actor, const char *method, cJSON *args,
                zaf_blob_t **blobs, size_t count)
{
    return zaf_client_call (self, actor, method, args, blobs, count, NULL);
}

zaf_future_t *
zaf_call (zaf_t *self, zaf_actor_t *actor, const char *method, cJSON *args)
{
    return zaf_client_call (self, actor, method, args, NULL, 0, NULL);
}

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
    zaf_proto_set_actor (msg, zaf_actor_id (actor));
    zaf_proto_set_name (msg, method);
    zaf_deadline_stamp (self, msg, 0);
    s_set_args (msg, args);
    int rc = s_send (self, msg, NULL);
    zaf_proto_destroy (&msg);
    return rc;
}

zaf_future_t *
zaf_client_submit (zaf_t *self, const char *function, cJSON *args, zaf_blob_t **blobs,
                   size_t count, const zaf_call_opts_t *opts)
{
    assert (self);
    const char *bad = !zaf_registry_name_valid (function)
                    ? "function name is missing or not printable ASCII" : zaf_deadline_check (opts);
    if (bad) {
        cJSON_Delete (args);
        zaf_blob_destroy_all (blobs, count);
        return zaf_pending_failed (self->pending, ZAF_BAD_ARGS, bad);
    }
    zaf_proto_t *msg = zaf_proto_new ();
    zaf_proto_set_id (msg, ZAF_PROTO_SUBMIT);
    zaf_proto_set_name (msg, function);
    zaf_deadline_stamp (self, msg, opts ? opts->timeout_ms : 0);
    zaf_error_t err;
    if (zaf_deadline_retries (msg, opts, &err)) {
        zaf_proto_destroy (&msg);
        cJSON_Delete (args);
        zaf_blob_destroy_all (blobs, count);
        return zaf_pending_failed (self->pending, ZAF_BAD_ARGS, err.message);
    }
    s_set_args (msg, args);
    zaf_future_t *future = zaf_blob_attach_all (msg, blobs, count)
        ? zaf_pending_failed (self->pending, ZAF_BAD_ARGS, "at most 16 blobs go with one task")
        : s_request (self, msg, ZAF_FUTURE_SUBMIT);
    zaf_proto_destroy (&msg);
    return future;
}

zaf_future_t *
zaf_submit_blobs (zaf_t *self, const char *function, cJSON *args, zaf_blob_t **blobs,
                  size_t count)
{
    return zaf_client_submit (self, function, args, blobs, count, NULL);
}

zaf_future_t *
zaf_submit (zaf_t *self, const char *function, cJSON *args)
{
    return zaf_client_submit (self, function, args, NULL, 0, NULL);
}

//  --------------------------------------------------------------------------
//  Lifetimes: kill, destroy a handle, look up, monitor

int
zaf_kill (zaf_t *self, zaf_actor_t *actor, zaf_error_t *err)
{
    assert (self);
    if (!actor) {
        zaf_error_set (err, ZAF_BAD_ARGS, "no actor handle given");
        return -1;
    }
    zaf_future_t *future = s_request_on (self, ZAF_PROTO_KILL, zaf_actor_id (actor),
                                         "{\"reason\":\"killed\"}", ZAF_FUTURE_KILL);
    cJSON *result = s_get (self, future, 10000, err);
    if (!result)
        return -1;
    cJSON_Delete (result);
    //  The actor is gone: its owning handle has nothing left to kill
    zaf_handle_disown (actor);
    return 0;
}

void
zaf_actor_destroy (zaf_actor_t **self_p)
{
    assert (self_p);
    if (!*self_p)
        return;
    zaf_t *owner = zaf_handle_owner (*self_p);
    if (owner) {
        zaf_handle_disown (*self_p);
        if (s_connected (owner))
            s_kill_tell (owner, zaf_actor_id (*self_p));
    }
    zaf_handle_free (self_p);
}

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
    zaf_future_t *future = s_request (self, msg, ZAF_FUTURE_LOOKUP);
    zaf_proto_destroy (&msg);
    cJSON *result = s_get (self, future, 10000, err);
    const char *id = zaf_json_string (result, "actor", NULL);
    zaf_actor_t *actor = NULL;
    if (id && *id && strlen (id) <= ZAF_PROTO_ACTOR_MAX)
        actor = zaf_handle_new (id);
    else
    if (result)
        zaf_error_set (err, ZAF_PROTOCOL, "LOOKUP answer has no actor id");
    cJSON_Delete (result);
    return actor;
}

zaf_future_t *
zaf_monitor (zaf_t *self, zaf_actor_t *actor)
{
    assert (self);
    if (!actor)
        return zaf_pending_failed (self->pending, ZAF_BAD_ARGS, "no actor handle given");
    return s_request_on (self, ZAF_PROTO_MONITOR, zaf_actor_id (actor), "{}",
                         ZAF_FUTURE_CONTROL);
}

int
zaf_monitor_notify (zaf_t *self, zaf_actor_t *actor, const char *method, zaf_error_t *err)
{
    assert (self);
    if (!self->actor_id) {
        zaf_error_set (err, ZAF_BAD_ARGS, "zaf_monitor_notify works inside an actor only");
        return -1;
    }
    if (!actor || !zaf_registry_name_valid (method)) {
        zaf_error_set (err, ZAF_BAD_ARGS, "zaf_monitor_notify needs an actor and a method name");
        return -1;
    }
    cJSON *request = cJSON_CreateObject ();
    cJSON_AddStringToObject (request, "notify", method);
    cJSON_AddStringToObject (request, "watcher", self->actor_id);
    char *body = cJSON_PrintUnformatted (request);
    cJSON_Delete (request);
    zaf_future_t *future = s_request_on (self, ZAF_PROTO_MONITOR, zaf_actor_id (actor), body,
                                         ZAF_FUTURE_CONTROL);
    cJSON_free (body);
    cJSON *result = s_get (self, future, 10000, err);
    if (!result)
        return -1;
    cJSON_Delete (result);
    return 0;
}

//  --------------------------------------------------------------------------
//  Futures: get, get with blobs, get all, wait

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
    zaf_pending_t *owner = zaf_future_owner (future);
    if (owner && owner != self->pending) {
        zaf_error_set (err, ZAF_BAD_ARGS, "future belongs to another connection");
        return NULL;
    }
    if (!zaf_future_ready (future) && owner)
        s_wait_future (self, future, timeout_ms < 0 ? -1 : zclock_mono () + timeout_ms);
    if (!zaf_future_ready (future)) {
        zaf_error_set (err, ZAF_TIMEOUT, "no answer within %d ms", timeout_ms);
        return NULL;
    }
    cJSON *result = zaf_future_take_result (future, err);
    zaf_future_destroy (future_p);
    return result;
}

cJSON *
zaf_get_blobs (zaf_t *self, zaf_future_t **future_p, int timeout_ms, zaf_blob_t **blobs,
               size_t *count, zaf_error_t *err)
{
    if (count)
        *count = 0;
    zaf_future_t *future = future_p ? *future_p : NULL;
    if (!future || !blobs)
        return zaf_get (self, future_p, timeout_ms, err);
    //  Wait first (zaf_get destroys the future), then take the blobs
    if (!zaf_future_ready (future) && zaf_future_owner (future) == self->pending)
        s_wait_future (self, future, timeout_ms < 0 ? -1 : zclock_mono () + timeout_ms);
    size_t taken = zaf_future_take_blobs (future, blobs);
    cJSON *result = zaf_get (self, future_p, 0, err);
    if (!result) {
        zaf_blob_destroy_all (blobs, taken);
        taken = 0;
    }
    if (count)
        *count = taken;
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
            if (zaf_future_ready (futures [index]))
                ready++;
        if (ready >= num_ready || ready == n)
            return ready;
        int64_t now = zclock_mono ();
        if ((deadline >= 0 && now >= deadline) || zsys_interrupted || self->aborted)
            return ready;
        s_pump (self, (int) s_slice (self, deadline, now));
    }
}
