/*  =========================================================================
    zaf_node_host - what a node does for the parties it hosts

    The node's inner ROUTER and everything that goes through it: starting
    the task workers and the actors (threads, or processes with ISOLATE),
    handing them calls in order (a backlog until an actor is ready),
    queueing tasks for the workers, killing actors, relaying the requests
    parties make to the broker (their corr prefixed with the party's
    routing id) and their answers back, and ending parties when their EXIT
    comes. The node (zaf_node) owns it and gives it the broker socket while
    the link is up; what the tick finds (zaf_node_watch) it sends on.
    =========================================================================
*/

#ifndef ZAF_NODE_HOST_H_INCLUDED
#define ZAF_NODE_HOST_H_INCLUDED

typedef struct _zaf_node_host_t zaf_node_host_t;

//  Create the host of a node called name (copied), serving registry
//  (borrowed), with isolate's actor processes if not NULL (borrowed: both
//  must outlive the host). Nothing is bound or started yet.
zaf_node_host_t *
    zaf_node_host_new (const char *name, zaf_registry_t *registry, zaf_isolate_t *isolate);

//  Close the inner ROUTER and free the table (call zaf_node_host_stop
//  first if started). Nulls *self_p.
void
    zaf_node_host_destroy (zaf_node_host_t **self_p);

//  Log every message, or not.
void
    zaf_node_host_set_verbose (zaf_node_host_t *self, bool verbose);

//  Bind the inner ROUTER (inproc, and isolate's ipc endpoint) and start
//  cpus task workers. Returns 0, or -1 (logged).
int
    zaf_node_host_start (zaf_node_host_t *self, int cpus);

//  The inner ROUTER's inproc endpoint ("" before start).
const char *
    zaf_node_host_endpoint (zaf_node_host_t *self);

//  The inner ROUTER, to poll (NULL before start). Borrowed.
zsock_t *
    zaf_node_host_socket (zaf_node_host_t *self);

//  The link to the broker while it is up, NULL otherwise (borrowed: set
//  NULL before the link goes down).
void
    zaf_node_host_set_broker (zaf_node_host_t *self, zaf_link_t *broker);

//  Send msg to the broker if the link is up. Returns 0, or -1 (counted).
//  msg stays the caller's.
int
    zaf_node_host_to_broker (zaf_node_host_t *self, zaf_proto_t *msg);

//  Handle a message from the broker: SPAWN, CALL or TELL, SUBMIT, KILL,
//  and REPLY or SPAWNED answering a party's request. msg stays the
//  caller's; its contents may be taken.
void
    zaf_node_host_spawn (zaf_node_host_t *self, zaf_proto_t *msg);
void
    zaf_node_host_call (zaf_node_host_t *self, zaf_proto_t *msg);
void
    zaf_node_host_submit (zaf_node_host_t *self, zaf_proto_t *msg);
void
    zaf_node_host_kill (zaf_node_host_t *self, zaf_proto_t *msg);
void
    zaf_node_host_answer (zaf_node_host_t *self, zaf_proto_t *msg);

//  Read the inner ROUTER until it is empty (at most 10,000 messages) and
//  handle each.
void
    zaf_node_host_recv (zaf_node_host_t *self);

//  Housekeeping (zaf_node_watch) and sending what it found. Returns in
//  how many ms it wants to run again, or -1.
int
    zaf_node_host_tick (zaf_node_host_t *self);

//  The broker is lost: tell every party's connection, drop queued tasks
//  (their callers get NODE_LOST from the broker).
void
    zaf_node_host_broker_lost (zaf_node_host_t *self);

//  End every actor without telling the broker (it knows).
void
    zaf_node_host_end_actors (zaf_node_host_t *self, const char *reason);

//  Return how many live actors the node hosts.
size_t
    zaf_node_host_actors (zaf_node_host_t *self);
//  Tasks running or queued on the node's workers.
size_t
    zaf_node_host_tasks (zaf_node_host_t *self);

//  Add to the JSON array what a restarted broker is told of each ready,
//  live actor.
void
    zaf_node_host_announce (zaf_node_host_t *self, cJSON *actors);

//  Kill every actor, stop every worker, wait (at most 5 s) for their EXIT;
//  threads stuck in user code are left running, processes SIGKILLed.
void
    zaf_node_host_stop (zaf_node_host_t *self);

//  CANCEL from the broker: mark the call it names cancelled.
void
    zaf_node_host_cancel (zaf_node_host_t *self, zaf_proto_t *msg);
//  The table of what the host holds (borrowed; for the metrics reporter).
zaf_node_parties_t *
    zaf_node_host_parties (zaf_node_host_t *self);

#endif
