/*  =========================================================================
    zaf_client - a connection to a cluster: zaf_t, futures and handles

    A zaf_t owns one DEALER. A driver's zaf_t is "direct": its DEALER talks
    to the broker, says HELLO, keeps heartbeats and notices a lost broker.
    An actor's or a task worker's zaf_t is "inner": it borrows the DEALER
    its thread already has to the node's inproc ROUTER; the node relays its
    requests to the broker and routes the answers back. Both kinds speak the
    same commands, so one implementation serves drivers, actors and tasks.

    No thread sits between a caller and its socket: every wait pumps the
    socket in the caller's own thread, reading until the socket is empty
    before it polls again. Messages that are not answers (calls to the
    actor that owns an inner zaf_t) go to an inbox callback, which queues
    them for the actor's loop.
    =========================================================================
*/

#ifndef ZAF_CLIENT_H_INCLUDED
#define ZAF_CLIENT_H_INCLUDED

//  Socket queue bound for every zaf socket: past it a send reports
//  OVERLOADED instead of growing memory without limit
#define ZAF_HWM                 100000
//  Default heartbeat interval; a peer missing ZAF_HEARTBEAT_MISSES is lost
#define ZAF_HEARTBEAT_MS        1000
#define ZAF_HEARTBEAT_MISSES    3
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

//  Wrap a DEALER connected to a node's inproc ROUTER (a libzmq socket or a
//  zsock_t, borrowed: the caller closes it after destroying the
//  connection). actor_id is the actor this connection serves, or NULL for
//  a task worker.
zaf_t *
    zaf_client_new_inner (void *socket, const char *actor_id,
                          zaf_client_inbox_fn *inbox, void *inbox_arg);

//  An inner connection on a thread of the node's own process: its messages
//  go to and come from the node by reference (zaf_proto_send_local).
void
    zaf_client_set_local (zaf_t *self, bool local);

//  Destroy a connection: kill the actors it still owns (without waiting),
//  end pending futures with BROKER_LOST, say BYE if direct, close the
//  socket if it owns it, then destroy the attached object if any.
void
    zaf_client_destroy (zaf_t **self_p);

//  Attach an object destroyed with the connection, after its socket is
//  closed (the embedded cluster of zaf_init (NULL)).
void
    zaf_client_attach (zaf_t *self, void *object, void (*destructor) (void **));

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

//  An actor or task worker is about to run a method or task for `request`
//  (borrowed until the next call; NULL when done): zaf_arg_blob reads its
//  attachments, and blobs returned with zaf_return_blob are dropped.
void
    zaf_client_serving (zaf_t *self, zaf_proto_t *request);

//  Move the blobs the method returned (zaf_return_blob) into its answer.
void
    zaf_client_take_returns (zaf_t *self, zaf_proto_t *answer);

//  The reason zaf_exit gave, once an actor's code asked to end; NULL
//  until then. The actor runtime ends the actor after the method returns.
const char *
    zaf_client_exit_reason (zaf_t *self);

//  Methods whose names start with this prefix are the runtime's own: an
//  actor runs the hook registered for the name instead of its class's
//  method (the supervisor library receives its notices this way).
#define ZAF_CLIENT_HOOK_PREFIX  "zaf."
typedef void (zaf_client_hook_fn) (void *arg, zaf_t *z, const cJSON *args);

//  Register (fn) or remove (NULL) the hook for a "zaf." method name on an
//  actor's connection.
void
    zaf_client_set_hook (zaf_t *self, const char *method, zaf_client_hook_fn *fn, void *arg);

//  Run the hook for a method name. Returns 0, or -1 if there is none.
int
    zaf_client_run_hook (zaf_t *self, const char *method, const cJSON *args);

//  Return the broker endpoint ("" for inner connections).
const char *
    zaf_client_endpoint (zaf_t *self);

//  Return the session id the broker gave in WELCOME ("" if none).
const char *
    zaf_client_session (zaf_t *self);

//  Return the attached object (the embedded cluster), or NULL.
void *
    zaf_client_attached (zaf_t *self);

#endif
