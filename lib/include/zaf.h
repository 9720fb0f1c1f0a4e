/*  =========================================================================
    zaf.h - the public API of zaf, a ZeroMQ actor framework in C

    zaf gives C what Ray Core's remote classes give Python: write a class
    (a state struct plus named methods), instantiate it as an actor on any
    node of a cluster, call its methods and get futures back, pass actor
    handles around, run remote functions (tasks) on a node's worker pool,
    and kill actors. A broker routes JSON-encoded calls between nodes over
    ZeroMQ; see docs/PROTOCOL.md for the wire protocol and docs/GUIDE.md
    for a walk through the API.

    Threading: a zaf_t is used by one thread at a time, like a czmq socket.
    Every actor method and every task is handed a zaf_t of its own, so the
    same calls work in drivers, in actors and in tasks.

    Ownership follows czmq: _new/_destroy (&p) nulls the pointer; a function
    that takes `cJSON *args` takes ownership of it, even when it fails; a
    returned `cJSON *` is the caller's to cJSON_Delete.
    =========================================================================
*/

#ifndef ZAF_H_INCLUDED
#define ZAF_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZAF_VERSION_MAJOR 0
#define ZAF_VERSION_MINOR 1
#define ZAF_VERSION_PATCH 0

typedef struct _zaf_t zaf_t;                //  A connection to a cluster
typedef struct _zaf_future_t zaf_future_t;  //  The pending outcome of a call
typedef struct _zaf_actor_t zaf_actor_t;    //  A handle on an actor

//  ---------------------------------------------------------------------
//  Errors. Every failure is a code plus a message; codes travel on the
//  wire as their names (ZAF_ACTOR_DIED is "ACTOR_DIED").

typedef enum {
    ZAF_OK = 0,
    ZAF_TIMEOUT,            //  zaf_get or a request ran out of time
    ZAF_ACTOR_DIED,         //  the actor ended before or while serving the call
    ZAF_NO_SUCH_ACTOR,      //  no actor was ever known by that id or name
    ZAF_NO_SUCH_CLASS,      //  no live node serves that class
    ZAF_NO_SUCH_METHOD,     //  the class has no method of that name
    ZAF_NO_SUCH_FUNCTION,   //  no live node serves that remote function
    ZAF_NO_SUCH_NODE,       //  no live node has the name asked for
    ZAF_BAD_ARGS,           //  arguments or options were not acceptable
    ZAF_METHOD_FAILED,      //  the method or task reported a failure
    ZAF_NODE_LOST,          //  the node serving the call stopped answering
    ZAF_BROKER_LOST,        //  the broker stopped answering; the call may have run
    ZAF_NAME_TAKEN,         //  an actor already holds that name
    ZAF_PROTOCOL,           //  a peer broke the wire protocol
    ZAF_OVERLOADED,         //  a queue on the path is full; try again later
    ZAF_UNAUTHORIZED,       //  the peer may not do that
    ZAF_INTERRUPTED,        //  the process is shutting down (SIGINT/SIGTERM)
    ZAF_CANCELLED,          //  the caller cancelled the call (zaf_cancel)
    ZAF_NO_RESOURCES,       //  no live node has the resources or labels asked for
    ZAF_CODE_COUNT
} zaf_code_t;

#define ZAF_ERROR_MESSAGE_MAX 256

typedef struct {
    zaf_code_t code;                            //  ZAF_OK when there is no error
    char message [ZAF_ERROR_MESSAGE_MAX];       //  What happened and where
} zaf_error_t;

//  Return the wire name of a code ("ACTOR_DIED"); "UNKNOWN" if out of range.
const char *
    zaf_code_name (zaf_code_t code);

//  Return the code for a wire name; ZAF_PROTOCOL for names we do not know.
zaf_code_t
    zaf_code_from_name (const char *name);

//  Fill an error (err may be NULL: then nothing happens).
void
    zaf_error_set (zaf_error_t *err, zaf_code_t code, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  Reset an error to ZAF_OK with an empty message (err may be NULL).
void
    zaf_error_clear (zaf_error_t *err);

//  ---------------------------------------------------------------------
//  Classes and remote functions. Register them before zaf_init in a driver
//  that embeds its cluster, or from zaf_module_init in a module that
//  zaf-node loads with --module.

//  Construct an actor's state from its spawn arguments (borrowed). Return
//  the state (may be NULL if the class keeps none); to fail, fill err with
//  any code other than ZAF_OK: the spawn then fails with that error.
typedef void *(zaf_ctor_fn) (zaf_t *z, const cJSON *args, zaf_error_t *err);

//  Destroy an actor's state when the actor ends, in the actor's thread.
typedef void (zaf_dtor_fn) (void *state);

//  A method: run on the actor's thread, one at a time. args are borrowed.
//  Return the result (the runtime takes and frees it; NULL means JSON null),
//  or fill err (any code but ZAF_OK) to fail the call: the caller then gets
//  that code, and METHOD_FAILED when the method set no code of its own.
//  A failed method does not end the actor.
typedef cJSON *(zaf_method_fn) (void *state, zaf_t *z, const cJSON *args,
                                zaf_error_t *err);

//  A remote function (task), run on a node's worker pool. Same contract as
//  a method, without state.
typedef cJSON *(zaf_task_fn) (zaf_t *z, const cJSON *args, zaf_error_t *err);

typedef struct {
    const char *name;       //  Method name, as callers spell it
    zaf_method_fn *fn;      //  Its code
} zaf_method_t;

typedef struct {
    const char *name;               //  Class name, unique in a process
    zaf_ctor_fn *ctor;              //  May be NULL: state is NULL
    zaf_dtor_fn *dtor;              //  May be NULL
    const zaf_method_t *methods;    //  Ends with { NULL, NULL }
    bool thread_safe;               //  Its methods may run at once on several
                                    //  threads (spawn option max_concurrency
                                    //  > 1): it protects its state itself
} zaf_class_t;

//  Register a class in this process. The struct is borrowed and must live
//  as long as the process (a static). Returns 0, or -1 if another class
//  already holds that name or the class is malformed.
int
    zaf_register_class (const zaf_class_t *cls);

//  Register a remote function under a name. Returns 0, or -1 if the name
//  is taken by another function or invalid.
int
    zaf_register_function (const char *name, zaf_task_fn *fn);

//  A module is a shared object that exports this function; zaf-node calls
//  it after dlopen. Return 0 on success.
#define ZAF_MODULE_INIT "zaf_module_init"
typedef int (zaf_module_init_fn) (void);

//  ---------------------------------------------------------------------
//  Connections.

//  Start or join a cluster. With NULL, start an embedded cluster: a broker
//  and one node in this process, serving the classes and functions
//  registered in the process (the environment variable ZAF_CPUS sets the
//  node's worker pool size). With an endpoint ("tcp://host:5555"), join the
//  cluster whose broker listens there. Returns NULL, after logging why, if
//  the cluster cannot be started or reached within ZAF_CONNECT_TIMEOUT_MS
//  (environment, default 5000).
zaf_t *
    zaf_init (const char *endpoint);

//  Leave the cluster (and stop it, if embedded). Pending futures end with
//  BROKER_LOST; handles stay valid objects but can no longer call.
void
    zaf_shutdown (zaf_t **self_p);

//  Return what the cluster looks like: {"broker": endpoint, "session": id,
//  "embedded": bool, "nodes": [...], "dashboard": null}. The caller owns
//  the result. NULL if the broker does not answer.
cJSON *
    zaf_cluster_info (zaf_t *self);

//  ---------------------------------------------------------------------
//  Actors.

typedef struct {
    const char *node;       //  Place on the node with this name (NULL: any)
    const char *name;       //  Register the actor under this name (NULL: none)
    int timeout_ms;         //  How long zaf_spawn waits (0: 30000)
    bool detached;          //  Outlive the spawner, until killed (needs a name)
    bool get_if_exists;     //  With name: if a live actor of this class holds
                            //  it, return that actor instead of NAME_TAKEN
    int max_restarts;       //  Re-create it after a failure (crash, node
                            //  lost) this many times; -1: always; 0: never
    int max_call_retries;   //  Send a call again up to this many times when
                            //  it fails for a reason in retry_on
                            //  (at-least-once); -1: always (node_lost only)
    int call_deadline_ms;   //  A call that runs longer is answered TIMEOUT
                            //  by its node and logged there (0: none)
    //  Placement by resources and labels (docs/GUIDE.md): nodes announce
    //  them with zaf-node --resources cpu=8,gpu=1 --labels zone=a
    const char *resources;  //  Reserve these on the node while the actor
                            //  lives: "cpu=1,gpu=1" (NULL: nothing)
    const char *labels;     //  Only on a node with these labels: "zone=a"
    const char *affinity;   //  "node=NAME" (only there) or "node=NAME,soft"
                            //  (there if it fits, else anywhere that does)
    const char *strategy;   //  "spread" (default: the fitting node with the
                            //  fewest actors) or "pack" (the one with most)
    int max_concurrency;    //  Calls run at once on a pool of this many
                            //  threads (0 or 1: one at a time, in order);
                            //  above 1 the class must be thread_safe
                            //  (BAD_ARGS otherwise) and order per caller is
                            //  not kept
    int retry_on;           //  ZAF_RETRY_NODE_LOST: calls caught by a
                            //  failure (node lost, crash) go to the next
                            //  incarnation (needs max_restarts);
                            //  ZAF_RETRY_METHOD_FAILED: a call answered
                            //  METHOD_FAILED is sent again. 0: NODE_LOST
                            //  if max_call_retries is set. Never for a
                            //  cancelled call or past its deadline.
} zaf_spawn_opts_t;

//  Create an actor of class `cls` somewhere in the cluster, passing `args`
//  (taken; NULL means []) to its constructor. Blocks until the actor is
//  ready. The spawner owns the actor: it ends when the owning handle is
//  destroyed, when the owner ends (an actor's children die with it; a
//  driver's actors die when it exits, crashes or is lost), recursively.
//  Returns an owning handle, or, for a detached actor or an existing one
//  (get_if_exists), a borrowed handle that never kills it. On failure
//  returns NULL and fills err (may be NULL).
zaf_actor_t *
    zaf_spawn (zaf_t *self, const char *cls, cJSON *args,
               const zaf_spawn_opts_t *opts, zaf_error_t *err);

//  Call a method. args are taken (NULL means []). Returns a future, never
//  NULL: failures to send end up in the future.
zaf_future_t *
    zaf_call (zaf_t *self, zaf_actor_t *actor, const char *method, cJSON *args);

//  Options of one call or task (zaf_call_opts, zaf_submit_opts). Zero it
//  for the defaults: { 0 } is the same as zaf_call.
typedef struct {
    int timeout_ms;         //  The call's deadline, from now (0: none). It
                            //  travels with the call: a call still waiting
                            //  at the broker or in the actor's mailbox
                            //  when it passes is answered TIMEOUT and never
                            //  runs. Inside a method or task the call keeps
                            //  the smaller of this and the caller's own
                            //  time left (propagation).
    int max_task_retries;   //  zaf_submit_opts: run the task again, on
                            //  another node if need be, up to this many
                            //  times when it fails for a reason in
                            //  retry_on (0: never). That makes it
                            //  at-least-once: it may run more than once.
    int retry_on;           //  ZAF_RETRY_NODE_LOST | ZAF_RETRY_METHOD_FAILED
    //  zaf_submit_opts: placement by resources and labels, in the forms of
    //  zaf_spawn_opts_t (docs/GUIDE.md). The resources are reserved on the
    //  task's node while it runs; when no node has them free the task
    //  fails at once with NO_RESOURCES (it is not queued). zaf_call_opts
    //  refuses them (BAD_ARGS): a call runs where its actor lives.
    const char *resources;  //  "cpu=2,gpu=1" (NULL: nothing)
    const char *labels;     //  Only on a node with these labels: "zone=a"
    const char *affinity;   //  "node=NAME" or "node=NAME,soft"
    const char *strategy;   //  "spread" (default: fewest tasks per worker)
                            //  or "pack" (most)
} zaf_call_opts_t;

#define ZAF_RETRY_NODE_LOST     1   //  Its node was lost while it ran
#define ZAF_RETRY_METHOD_FAILED 2   //  It failed with METHOD_FAILED

//  zaf_call and zaf_submit with options (opts may be NULL: none).
zaf_future_t *
    zaf_call_opts (zaf_t *self, zaf_actor_t *actor, const char *method, cJSON *args,
                   const zaf_call_opts_t *opts);
zaf_future_t *
    zaf_submit_opts (zaf_t *self, const char *function, cJSON *args,
                     const zaf_call_opts_t *opts);

//  Inside a method or task: the milliseconds left before the deadline of
//  the call being served (0 once it has passed), or -1 if it has none (and
//  outside a method or task). A long method may poll it and give up.
int
    zaf_deadline_ms (zaf_t *self);

//  Cancel a call or task (the future of zaf_call or zaf_submit) that has
//  not ended: the future ends at once with CANCELLED, and nothing that
//  comes for it later changes that. A call still queued (at the broker, at
//  its node, in the actor's mailbox) is removed and never runs; a running
//  one sees zaf_cancelled become true (cooperative: the method polls it)
//  and its result is dropped. With recursive, the calls and tasks that the
//  method is waiting on are cancelled too. A cancelled call is never
//  retried. Returns 0, or -1 if the future had already ended (its outcome
//  stands) or is not a call's or task's. Actors in their own processes
//  (zaf-node --isolate) are not told: a cancelled call to one still runs
//  (its future has ended CANCELLED all the same, and its answer is
//  dropped).
int
    zaf_cancel (zaf_t *self, zaf_future_t *future, bool recursive);

//  Take a node out of service (a rolling upgrade): the broker places no
//  new actor or task on it; calls to its actors still run there; its
//  restartable actors (max_restarts) are re-created elsewhere, same id,
//  once they have no call in flight; the node ends its other actors
//  (reason "drained") and exits, with status 0, when it hosts none, or
//  after drain_ms (0: 30000). Returns 0 once the broker has started the
//  drain, or -1 and fills err (NO_SUCH_NODE for a name no live node has).
int
    zaf_drain (zaf_t *self, const char *node, int drain_ms, zaf_error_t *err);

//  Inside a method or task: true once the call being served was cancelled.
bool
    zaf_cancelled (zaf_t *self);

//  Send a method call and expect no answer (fire-and-forget). Returns 0 if
//  it was handed to the broker, -1 if it could not be. Calls and tells from
//  one caller to one actor run in the order they were sent.
int
    zaf_tell (zaf_t *self, zaf_actor_t *actor, const char *method, cJSON *args);

//  Kill an actor and wait until it is gone: afterwards every call to it
//  ends with ACTOR_DIED. Calls it had queued end with ACTOR_DIED; a method
//  running at that moment finishes, but its answer is dropped. Returns 0,
//  or -1 and fills err (may be NULL).
int
    zaf_kill (zaf_t *self, zaf_actor_t *actor, zaf_error_t *err);

//  Watch an actor: the returned future resolves, once, when the actor ends,
//  with {"actor": id, "reason": r}; r is "normal", "killed", "failed",
//  "node_lost", "owner_died" or "restart_limit". An actor that has already
//  ended resolves it at once; an unknown id fails it with NO_SUCH_ACTOR.
//  Destroy the future to stop watching. Never NULL.
zaf_future_t *
    zaf_monitor (zaf_t *self, zaf_actor_t *actor);

//  Inside an actor: have `method` of this actor told, once, when `actor`
//  ends, as a tell with [{"actor": id, "reason": r}] (reasons as for
//  zaf_monitor). Erlang's monitor messages, as method calls: the notice
//  waits in the mailbox like any other call. Returns 0, or -1 and fills
//  err (BAD_ARGS outside an actor, NO_SUCH_ACTOR for an unknown id).
int
    zaf_monitor_notify (zaf_t *self, zaf_actor_t *actor, const char *method,
                        zaf_error_t *err);

//  Find an actor spawned with a name. Returns a borrowed handle (destroying
//  it does not kill the actor), or NULL and fills err (may be NULL).
zaf_actor_t *
    zaf_lookup (zaf_t *self, const char *name, zaf_error_t *err);

//  Inside an actor's method: end this actor once the method returns, with
//  a reason ("normal" when NULL). "failed" counts as a failure: an actor
//  spawned with max_restarts is restarted, and supervisors restart their
//  children that fail. Calls queued behind it end with ACTOR_DIED.
//  Elsewhere (drivers, tasks) it does nothing.
void
    zaf_exit (zaf_t *self, const char *reason);

//  Why this actor ends, once it is known: "normal", "killed", "drained",
//  "owner_died", "node_stopped", "node_lost", "failed", or the reason
//  given to zaf_exit; NULL while nothing ends it. Its destructor, which is
//  given only the state, can read it through the zaf_t its constructor
//  was given (keep it in the state): the same connection stays valid
//  until the destructor returns. Elsewhere (drivers, tasks) NULL.
const char *
    zaf_exit_reason (zaf_t *self);

//  Return the actor this code runs in, inside an actor's method or
//  constructor; NULL in drivers and tasks. The handle is borrowed from the
//  runtime: do not destroy it.
zaf_actor_t *
    zaf_self (zaf_t *self);

//  Encode a handle as {"$actor": "<id>"} (caller owns the result).
cJSON *
    zaf_actor_to_json (const zaf_actor_t *actor);

//  Decode a handle from {"$actor": "<id>"}; NULL if json is not one. The
//  new handle is borrowed: destroying it never kills the actor.
zaf_actor_t *
    zaf_actor_from_json (const cJSON *json);

//  Return a borrowed copy of a handle (to keep after the original goes).
zaf_actor_t *
    zaf_actor_dup (const zaf_actor_t *actor);

//  Return the actor's id (valid while the handle lives).
const char *
    zaf_actor_id (const zaf_actor_t *actor);

//  Return true if destroying this handle kills the actor.
bool
    zaf_actor_owned (const zaf_actor_t *actor);

//  Destroy a handle. An owning handle kills its actor (without waiting);
//  a borrowed one is just freed.
void
    zaf_actor_destroy (zaf_actor_t **self_p);

//  ---------------------------------------------------------------------
//  Readers and timers: an actor's own sockets and its own clock. Use them
//  from the actor's constructor and methods (z is the one they are given);
//  everything they start runs on the actor's thread between two methods,
//  one thing at a time, so the actor's state needs no lock.

//  A reader's handler: `socket` is what was passed to zaf_reader (NULL for
//  a file descriptor), `fd` the descriptor (-1 for a socket), `arg` as
//  given. Read what is there (one message, or all with ZMQ_DONTWAIT) and
//  return 0; return -1 to remove the reader. The handler of a ZeroMQ
//  socket is run again while the socket stays readable.
typedef int (zaf_reader_fn) (zaf_t *z, void *socket, int fd, void *arg);

//  Have fn (z, socket, -1, arg) run whenever `socket` is readable. socket
//  is a czmq zsock_t * or a raw libzmq socket, of any type, opened by the
//  actor (on any context; czmq's default one is simplest) and still its
//  own: the runtime never closes it. The runtime removes every reader
//  when the actor ends, before the destructor, which closes the sockets.
//  Returns 0, or -1 outside an actor, for a socket that is not one or is
//  already a reader, or past 64 readers.
int
    zaf_reader (zaf_t *z, void *socket, zaf_reader_fn *fn, void *arg);

//  The same for a file descriptor (a pipe, an eventfd, a TCP socket...):
//  fn (z, NULL, fd, arg) runs whenever it is readable.
int
    zaf_reader_fd (zaf_t *z, int fd, zaf_reader_fn *fn, void *arg);

//  Remove the reader on a socket, or on a file descriptor. Safe inside a
//  handler. Returns 0, or -1 if there is none.
int
    zaf_reader_remove (zaf_t *z, void *socket);
int
    zaf_reader_fd_remove (zaf_t *z, int fd);

//  Tell this actor's own `method` (args taken; NULL means []) after
//  delay_ms, and with repeat every delay_ms after that, as a TELL that
//  runs between two methods. A repeating timer keeps its period (the next
//  tick is due one period after the last was due) and skips ticks it fell
//  more than a period behind on. Timers die with the actor; after a
//  restart only the timers the constructor sets again exist. Returns the
//  timer's id (> 0), or -1 outside an actor or with bad arguments
//  (delay_ms < 0, repeat with 0, no method).
int
    zaf_timer (zaf_t *z, int delay_ms, bool repeat, const char *method, cJSON *args);

//  Cancel a timer: it does not fire again. Returns 0, or -1 if this actor
//  has no such timer (a one-shot that fired, or one already cancelled).
int
    zaf_timer_cancel (zaf_t *z, int timer_id);

//  ---------------------------------------------------------------------
//  Blobs: binary arguments and results. A blob travels as a ZeroMQ frame
//  of its own next to the JSON, which names it {"$blob": index} (index in
//  the order the blobs were given), so bytes are never turned into text
//  and the framework copies them nowhere on the way.

typedef struct _zaf_blob_t zaf_blob_t;

#define ZAF_BLOBS_MAX 16        //  Blobs one call, task or answer may carry

typedef void (zaf_blob_free_fn) (void *data, void *hint);

//  A blob holding a copy of size bytes. NULL if memory runs out.
zaf_blob_t *
    zaf_blob_new (const void *data, size_t size);

//  A blob that takes `data` without copying; free_fn (data, hint) is
//  called when it has been sent or destroyed (free_fn may be NULL).
zaf_blob_t *
    zaf_blob_new_take (void *data, size_t size, zaf_blob_free_fn *free_fn, void *hint);

//  Destroy a blob.
void
    zaf_blob_destroy (zaf_blob_t **self_p);

//  Its bytes and their count.
const void *
    zaf_blob_data (zaf_blob_t *self);
size_t
    zaf_blob_size (zaf_blob_t *self);

//  The reference to blob `index`: {"$blob": index} (caller owns it).
cJSON *
    zaf_blob_ref (size_t index);

//  zaf_call and zaf_submit with blobs. Takes the blobs (the array entries
//  are nulled) as it takes args; more than ZAF_BLOBS_MAX fails the future
//  with BAD_ARGS.
zaf_future_t *
    zaf_call_blobs (zaf_t *self, zaf_actor_t *actor, const char *method, cJSON *args,
                    zaf_blob_t **blobs, size_t count);
zaf_future_t *
    zaf_submit_blobs (zaf_t *self, const char *function, cJSON *args,
                      zaf_blob_t **blobs, size_t count);

//  Inside a method or task: the bytes of the blob a {"$blob": i} reference
//  in its arguments names (valid until the method returns; *size gets
//  their count), or NULL if ref names no blob of this call.
const void *
    zaf_arg_blob (zaf_t *self, const cJSON *ref, size_t *size);

//  Inside a method or task: how many blobs came with the call.
size_t
    zaf_arg_blobs (zaf_t *self);

//  Inside a method or task: send a blob (taken) with the answer. Returns
//  its reference {"$blob": i} to put in the result, or NULL (and the blob
//  is destroyed) past ZAF_BLOBS_MAX or outside a method.
cJSON *
    zaf_return_blob (zaf_t *self, zaf_blob_t *blob);

//  zaf_get that also hands over the answer's blobs: blobs (an array of at
//  least ZAF_BLOBS_MAX) gets them, *count how many; the caller destroys
//  each. On failure none are handed over.
cJSON *
    zaf_get_blobs (zaf_t *self, zaf_future_t **future_p, int timeout_ms,
                   zaf_blob_t **blobs, size_t *count, zaf_error_t *err);

//  ---------------------------------------------------------------------
//  Supervisors (after OTP). Any actor can hold one: it starts children
//  that the actor owns, watches them, and restarts those that end for any
//  reason but "normal", by its strategy. Past `intensity` restarts within
//  `period_ms` it gives up: it ends every child and ends its actor with
//  reason "restart_limit", for the actor's owner or supervisor to decide.
//  Use it from the actor's constructor and methods only (it runs on the
//  actor's thread); destroy it in the destructor, which ends the children.

typedef struct _zaf_supervisor_t zaf_supervisor_t;

typedef enum {
    ZAF_ONE_FOR_ONE,        //  Restart the child that ended
    ZAF_ONE_FOR_ALL,        //  Restart every child
    ZAF_REST_FOR_ONE        //  Restart it and the children started after it
} zaf_strategy_t;

//  Create a supervisor in the actor whose connection is z. Returns NULL
//  outside an actor or with bad arguments (intensity >= 0, period_ms > 0).
zaf_supervisor_t *
    zaf_supervisor_new (zaf_t *z, zaf_strategy_t strategy, int intensity, int period_ms);

//  Destroy a supervisor: it stops watching, and its children are killed,
//  the last started first, without waiting (zaf_kill a borrowed copy of a
//  child's handle first to wait until it is gone).
void
    zaf_supervisor_destroy (zaf_supervisor_t **self_p);

//  Start a child (args taken; NULL means []); opts.node, opts.name, the
//  placement options (resources, labels, affinity, strategy) and
//  max_concurrency are kept for restarts, the other options are not used. Returns the child's
//  index (0, 1, ... in start order) or -1 and fills err.
int
    zaf_supervisor_start_child (zaf_supervisor_t *self, const char *cls, cJSON *args,
                                const zaf_spawn_opts_t *opts, zaf_error_t *err);

//  Return the current handle of child `index` (borrowed from the
//  supervisor: a restart replaces it), or NULL if there is none now.
zaf_actor_t *
    zaf_supervisor_child (zaf_supervisor_t *self, size_t index);

//  Return how many children were started.
size_t
    zaf_supervisor_size (zaf_supervisor_t *self);

//  Return how many restarts the supervisor has made.
size_t
    zaf_supervisor_restarts (zaf_supervisor_t *self);

//  ---------------------------------------------------------------------
//  Remote functions (tasks).

//  Run a registered function on some node's worker pool. args are taken
//  (NULL means []). Returns a future, never NULL.
zaf_future_t *
    zaf_submit (zaf_t *self, const char *function, cJSON *args);

//  ---------------------------------------------------------------------
//  Futures.

//  Wait up to timeout_ms (-1: no limit; a lost actor, node or broker still
//  ends the wait) for a future. On success, return the result (caller owns
//  it; a JSON null comes back as a cJSON null item, never as NULL) and
//  destroy the future. On failure, return NULL and fill err (may be NULL):
//  on ZAF_TIMEOUT the future is left pending and stays the caller's; on any
//  other failure it is destroyed.
cJSON *
    zaf_get (zaf_t *self, zaf_future_t **future_p, int timeout_ms,
             zaf_error_t *err);

//  Wait up to timeout_ms for all n futures. results[i] gets each result
//  (or NULL) and errs[i] (errs may be NULL) each error; resolved futures
//  are destroyed and nulled, those still pending at the deadline are left.
//  Returns 0 if every future succeeded, -1 otherwise.
int
    zaf_get_all (zaf_t *self, zaf_future_t **futures, size_t n,
                 int timeout_ms, cJSON **results, zaf_error_t *errs);

//  Wait until at least num_ready of the n futures are resolved, or the
//  timeout passes. Consumes nothing. Returns how many are resolved.
//  NULL entries in futures are skipped.
size_t
    zaf_wait (zaf_t *self, zaf_future_t **futures, size_t n,
              size_t num_ready, int timeout_ms);

//  Return true if the future has its outcome (zaf_get will not block).
bool
    zaf_future_ready (const zaf_future_t *future);

//  Destroy a future; its answer, if it still comes, is dropped.
void
    zaf_future_destroy (zaf_future_t **self_p);

//  ---------------------------------------------------------------------
//  JSON helpers.

//  Build JSON from a printf format: zaf_json ("[%d, \"%s\"]", 3, "x").
//  Returns the parsed tree (caller owns it), or NULL if the text is not
//  valid JSON (and logs the text).
cJSON *
    zaf_json (const char *format, ...) __attribute__ ((format (printf, 1, 2)));

//  Return args[index] if args is an array and it is a number, else def.
double
    zaf_arg_number (const cJSON *args, int index, double def);

//  Return args[index] if args is an array and it is a string, else def.
const char *
    zaf_arg_string (const cJSON *args, int index, const char *def);

#ifdef __cplusplus
}
#endif

#endif
