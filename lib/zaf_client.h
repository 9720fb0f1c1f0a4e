/*  =========================================================================
    zaf_client - a connection to a cluster: zaf_t, its requests and waits

    A zaf_t sends requests and waits for their answers. A driver's zaf_t
    is *direct*: it holds a link (zaf_link) to the broker, says HELLO,
    keeps heartbeats and notices a lost broker. An actor's or task worker's
    zaf_t is *inner*: it speaks through its thread's channel to the node,
    which relays to the broker and routes answers back. Both speak the same
    commands, so one implementation serves drivers, actors and tasks; what
    a running method sees besides (zaf_self, blobs, zaf_exit) is the
    context's (zaf_context), which the connection carries opaquely.

    No thread sits between a caller and its socket: every wait pumps the
    socket in the caller's own thread, reading until it is empty before it
    polls again. Messages that are not answers (calls to the actor that
    owns an inner zaf_t) go to an inbox handler, which queues them for the
    actor's loop.
    =========================================================================
*/

#ifndef ZAF_CLIENT_H_INCLUDED
#define ZAF_CLIENT_H_INCLUDED

//  Requests one connection may have in flight; past it they fail at once
//  with OVERLOADED
#define ZAF_CLIENT_MAX_PENDING  100000

//  Called with messages an inner zaf_t does not handle itself (CALL, TELL,
//  KILL, SUBMIT). Take the message by nulling *msg_p to keep it. Return 0
//  to carry on, -1 to make waits in progress end with ACTOR_DIED (the
//  actor that owns this connection is being killed).
typedef int (zaf_client_inbox_fn) (void *arg, zaf_proto_t **msg_p);

//  Connect to a broker as `role` ("driver" or "cli") and wait up to
//  timeout_ms for its WELCOME. Returns NULL and fills err on failure.
zaf_t *
    zaf_client_connect (const char *endpoint, const char *role, int timeout_ms,
                        zaf_error_t *err);

//  A connection on a node thread's channel (borrowed: it must outlive the
//  connection). actor_id is the actor it speaks for (the owner of what it
//  spawns), or NULL for a task worker. inbox gets what is not an answer.
zaf_t *
    zaf_client_new_inner (zaf_channel_t *channel, const char *actor_id,
                          zaf_client_inbox_fn *inbox, void *inbox_arg);

//  Destroy a connection: kill the actors it still owns (without waiting),
//  end pending futures with BROKER_LOST, say BYE if direct, then destroy
//  the attached object if any.
void
    zaf_client_destroy (zaf_t **self_p);

//  Attach an object destroyed with the connection, after its socket is
//  closed (the embedded cluster of zaf_init (NULL)).
void
    zaf_client_attach (zaf_t *self, void *object, void (*destructor) (void **));

//  Return the attached object (the embedded cluster), or NULL.
void *
    zaf_client_attached (zaf_t *self);

//  Carry (or drop, with NULL) an opaque context pointer: zaf_context's.
void
    zaf_client_set_context (zaf_t *self, void *context);

//  The context pointer, or NULL.
void *
    zaf_client_context (zaf_t *self);

//  Handle one received message: resolve the future it answers, or pass it
//  to the inbox. Takes the message if the inbox keeps it (*msg_p nulled).
//  Returns 0, or -1 if the inbox asked to abort.
int
    zaf_client_dispatch (zaf_t *self, zaf_proto_t **msg_p);

//  Ask the broker for its STATUS snapshot; request may be NULL (taken).
//  Returns the snapshot (caller owns it) or NULL and fills err.
cJSON *
    zaf_client_status (zaf_t *self, cJSON *request, int timeout_ms, zaf_error_t *err);

//  Ask the broker to stop the cluster (a "cli" connection only): the broker
//  answers, tells every node to exit, and ends. Returns its answer
//  ({"stopping": true, "nodes": n}; caller owns it) or NULL and fills err.
cJSON *
    zaf_client_stop (zaf_t *self, int timeout_ms, zaf_error_t *err);

//  Ask a broker with keys to revoke a public key (z85): its sessions are
//  cut and its handshakes refused (an admin key only). Returns the answer
//  ({"revoked": key, "cut": n}; caller owns it) or NULL and fills err.
cJSON *
    zaf_client_revoke (zaf_t *self, const char *key, int timeout_ms, zaf_error_t *err);

//  Return the broker endpoint ("" for inner connections).
const char *
    zaf_client_endpoint (zaf_t *self);

//  Return the session id the broker gave in WELCOME ("" if none).
const char *
    zaf_client_session (zaf_t *self);

//  zaf_call_blobs and zaf_submit_blobs with call options (NULL: none);
//  zaf_call_opts and zaf_submit_opts (zaf_deadline.c) use them.
zaf_future_t *
    zaf_client_call (zaf_t *self, zaf_actor_t *actor, const char *method, cJSON *args,
                     zaf_blob_t **blobs, size_t count, const zaf_call_opts_t *opts);
zaf_future_t *
    zaf_client_submit (zaf_t *self, const char *function, cJSON *args, zaf_blob_t **blobs,
                       size_t count, const zaf_call_opts_t *opts);

//  The connection's map of pending futures (borrowed).
zaf_pending_t *
    zaf_client_pending (zaf_t *self);

//  Send a message as requests are sent (dialing first if need be, with
//  bounded retries). Returns 0 or -1.
int
    zaf_client_send (zaf_t *self, zaf_proto_t *msg);

//  Send a request the broker answers itself (STATUS, STOP, DRAIN) with a
//  JSON body (taken; NULL means {}) and wait for its answer: the result
//  (caller owns it), or NULL with err filled.
cJSON *
    zaf_client_control (zaf_t *self, zaf_proto_id_t id, cJSON *request, int timeout_ms,
                        zaf_error_t *err);

#endif
