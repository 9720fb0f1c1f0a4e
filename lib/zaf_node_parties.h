/*  =========================================================================
    zaf_node_parties - the table of what a node hosts

    A party is anything on the node's inner ROUTER: a task worker thread,
    an actor on a thread of the node, or an actor in a child process of
    its own (ISOLATE). Each is one tagged record, made by the constructor
    for its kind and freed by zaf_node_party_destroy. The table finds
    parties by inner id (routing id) and live actors by actor id, keeps the
    ready workers and the queue of tasks waiting for one, and the actor
    processes that ended without EXIT and are settling.

    Pure data, used by the node's thread only: no sockets, no clock of its
    own (callers pass the time).
    =========================================================================
*/

#ifndef ZAF_NODE_PARTIES_H_INCLUDED
#define ZAF_NODE_PARTIES_H_INCLUDED

typedef enum {
    ZAF_PARTY_WORKER,               //  A task worker thread
    ZAF_PARTY_THREAD,               //  An actor on a thread of the node
    ZAF_PARTY_PROCESS               //  An actor in a child process
} zaf_party_kind_t;

//  A party. The node reads and writes the fields; the table owns records
//  inserted into it.
typedef struct {
    zaf_party_kind_t kind;
    uint32_t inner_id;
    byte routing_id [ZAF_INNER_ID_SIZE];
    char id [ZAF_PROTO_ACTOR_MAX + 1];  //  Actor id, or "worker-<n>"
    pthread_t thread;               //  Worker and thread actor
    bool ready;                     //  Actor: constructor done (SPAWNED
                                    //  seen); worker: HELLO seen
    bool dying;                     //  Killed; the broker knows it is gone

    //  Actors (thread or process)
    const char *class_name;         //  Borrowed from the registry
    zaf_actor_ctl_t *ctl;           //  Shared with the actor (a process's
                                    //  lives in its shared block)
    uint64_t forwarded;             //  Calls and tells sent to it
    zlistx_t *backlog;              //  Calls that came before it was ready
    int deadline_ms;                //  call_deadline_ms, or 0
    zaf_actor_running_t *watch;     //  Thread with a deadline: its running
                                    //  record (owned)
    uint64_t reported;              //  seq of the last call answered late
    cJSON *announce;                //  What a restarted broker is told of
                                    //  it (id, class, name, parent,
                                    //  detached, and for a restartable one
                                    //  its SPAWN)

    //  Workers
    int inflight;                   //  Tasks sent to it, not yet answered

    //  Actor processes
    pid_t pid;
    zaf_proto_t *spawned;           //  SPAWNED to send if it dies constructing
    bool restartable;               //  max_restarts: the broker answers the
                                    //  call it dies in (section 9.6)
    bool exited;                    //  Its EXIT came
    bool ended;                     //  Its process is reaped
    int status;                     //  How it ended (waitpid status)
    int64_t settle_at;              //  Ended without EXIT: decide then
    void *settling_item;            //  Our place in the settling list
} zaf_node_party_t;

typedef struct _zaf_node_parties_t zaf_node_parties_t;

//  Make a worker record named "worker-<index>" with the given inner id.
//  The caller owns it until it inserts it into a table.
zaf_node_party_t *
    zaf_node_party_new_worker (uint32_t inner_id, int index);

//  Make a record for an actor on a thread: a fresh control block (owned
//  by the record) and an empty backlog. class_name is borrowed and must
//  outlive the record. The caller owns it until it inserts it.
zaf_node_party_t *
    zaf_node_party_new_thread (uint32_t inner_id, const char *id, const char *class_name);

//  Make a record for an actor in a child process: an empty backlog, no
//  control block yet (the child's shared block provides it: set ctl).
//  The caller owns it until it inserts it.
zaf_node_party_t *
    zaf_node_party_new_process (uint32_t inner_id, const char *id, const char *class_name);

//  Free a record that is not in a table (or that the table let go of) and
//  everything it owns: backlog, a thread actor's control block (unless
//  ctl was set to NULL), running record, SPAWNED, announce. Nulls *self_p.
void
    zaf_node_party_destroy (zaf_node_party_t **self_p);

//  Drop every message held in the party's backlog.
void
    zaf_node_party_purge (zaf_node_party_t *self);

//  Read the actor's SPAWN (its message and parsed options, which may be
//  NULL): remember what to tell a restarted broker about it (announce),
//  its call deadline (deadline_ms) and whether it restarts (restartable).
//  Both arguments stay the caller's.
void
    zaf_node_party_set_spawn (zaf_node_party_t *self, zaf_proto_t *spawn, const cJSON *options);

//  Create an empty table.
zaf_node_parties_t *
    zaf_node_parties_new (void);

//  Free the table, the records still in it and the queued tasks.
void
    zaf_node_parties_destroy (zaf_node_parties_t **self_p);

//  Return a fresh inner id (top bit set, never 0).
uint32_t
    zaf_node_parties_next_id (zaf_node_parties_t *self);

//  Take ownership of a record: found by inner id from now on, and an actor
//  also by its id as a live actor. The actor id must not be live already.
void
    zaf_node_parties_insert (zaf_node_parties_t *self, zaf_node_party_t *party);

//  Remove a record from the table (and from the ready workers and the
//  settling list) and destroy it. Nulls *party_p.
void
    zaf_node_parties_remove (zaf_node_parties_t *self, zaf_node_party_t **party_p);

//  Return the party with this inner id, or NULL.
zaf_node_party_t *
    zaf_node_parties_find (zaf_node_parties_t *self, uint32_t inner_id);

//  Return the party whose routing id this is, or NULL.
zaf_node_party_t *
    zaf_node_parties_find_routing (zaf_node_parties_t *self, const void *routing_id, size_t size);

//  Return the live actor with this id (not dying), or NULL.
zaf_node_party_t *
    zaf_node_parties_actor (zaf_node_parties_t *self, const char *actor_id);

//  Mark an actor dying: it is no longer a live actor (the broker knows, or
//  is told now). It stays in the table until its thread or process ends.
void
    zaf_node_parties_set_dying (zaf_node_parties_t *self, zaf_node_party_t *party);

//  Iterate over the live actors (do not insert or remove meanwhile).
//  Returns NULL at the end.
zaf_node_party_t *
    zaf_node_parties_first_actor (zaf_node_parties_t *self);
zaf_node_party_t *
    zaf_node_parties_next_actor (zaf_node_parties_t *self);

//  Return a new list of every party (borrowed records); the caller
//  destroys the list.
zlistx_t *
    zaf_node_parties_list (zaf_node_parties_t *self);

//  Return how many parties the table holds, and how many live actors.
size_t
    zaf_node_parties_size (zaf_node_parties_t *self);
size_t
    zaf_node_parties_actors (zaf_node_parties_t *self);

//  Tasks on a worker now (given to it and not answered yet).
size_t
    zaf_node_parties_tasks_running (zaf_node_parties_t *self);

//  A worker said HELLO: it is ready for tasks.
void
    zaf_node_parties_worker_ready (zaf_node_parties_t *self, zaf_node_party_t *worker);

//  Return the ready worker holding the fewest tasks, if it holds fewer
//  than ZAF_NODE_PREFETCH (first among equals), or NULL.
zaf_node_party_t *
    zaf_node_parties_least_loaded (zaf_node_parties_t *self);

//  Queue a task (a SUBMIT); takes ownership and nulls *task_p.
void
    zaf_node_parties_queue_task (zaf_node_parties_t *self, zaf_proto_t **task_p);

//  Return how many tasks are queued.
size_t
    zaf_node_parties_tasks (zaf_node_parties_t *self);

//  If a task is queued and a worker can take it, detach the oldest task
//  and return it (the caller owns it) with that worker in *worker_p;
//  else return NULL.
zaf_proto_t *
    zaf_node_parties_next_task (zaf_node_parties_t *self, zaf_node_party_t **worker_p);

//  Drop every queued task.
void
    zaf_node_parties_drop_tasks (zaf_node_parties_t *self);

//  An actor process ended without EXIT: decide about it at settle_at.
void
    zaf_node_parties_settle (zaf_node_parties_t *self, zaf_node_party_t *party,
                             int64_t settle_at);

//  Return the first settling party whose time has come by now (it leaves
//  the settling list), or NULL; then *next is lowered to the ms until the
//  next one is due (if any; -1 means none so far).
zaf_node_party_t *
    zaf_node_parties_settled (zaf_node_parties_t *self, int64_t now, int *next);

#endif
