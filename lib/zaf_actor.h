/*  =========================================================================
    zaf_actor - the actor runtime: one actor, one thread, one method at a time

    Each actor is a thread of its own (256 KB stack) with one DEALER to its
    node's inner ROUTER (zaf_inner): calls come in and answers go out on
    it, and its zaf_t borrows it for calls the actor makes. The thread runs
    the constructor, reports SPAWNED, then serves one message at a time in
    arrival order until it is killed; a method that blocks (zaf_get on
    another actor) keeps calls that arrive meanwhile in a mailbox and serves
    them afterwards. Its last message to the node is always EXIT.

    This is lighter than zactor_new (no PAIR pipe, no blocking handshake):
    one file descriptor and tens of KB per idle actor. Ownership is kept by
    the node, which created the thread and joins it after its EXIT. Task
    workers, the same shape serving SUBMITs, are zaf_worker.

    zaf_actor_run runs the same actor in the calling thread instead: that is
    how an actor process (zaf_isolate_host, zaf-node --isolate) hosts its
    one actor. The control block then lives in memory shared with the node,
    and the actor records there which call it is running, so that the node
    can answer that call if the process dies in it.
    =========================================================================
*/
#ifndef ZAF_ACTOR_H_INCLUDED
#define ZAF_ACTOR_H_INCLUDED

#include <pthread.h>
#include <stdatomic.h>

//  An actor thread's stack (zaf_inner's, as for workers)
#define ZAF_ACTOR_STACK_SIZE    ZAF_INNER_STACK_SIZE

//  Shared between the node and one actor thread; the node frees it after
//  joining the thread.
typedef struct {
    atomic_bool killed;             //  Node says: start no further method
    atomic_uint_fast64_t processed; //  Calls and tells the actor has taken
    atomic_int why;                 //  Why it was killed: an index into
                                    //  zaf_actor_why_name (0: "killed")
    zaf_metrics_actor_t metrics;    //  Calls, failures, latency, high water
} zaf_actor_ctl_t;

//  The reasons a node can end an actor for, by index ("killed" is 0):
//  zaf_actor_why (reason) is the index of a reason word (0 for words it
//  does not know), zaf_actor_why_name (index) the word.
int
    zaf_actor_why (const char *reason);
const char *
    zaf_actor_why_name (int why);

//  What an actor is running, recorded for an actor in a process of its own
//  (in memory shared with its node: if the process dies, the node answers
//  the call that was running) and for an actor with a call deadline (the
//  node answers a call that runs past it). Fixed size, no pointers. The
//  actor writes it between two increments of seq (odd while it writes);
//  a reader that sees the same even seq before and after read a whole one.
typedef enum {
    ZAF_ACTOR_IDLE = 0,             //  Between methods
    ZAF_ACTOR_IN_CALL = 1,          //  In a method for a CALL
    ZAF_ACTOR_IN_TELL = 2           //  In a method for a TELL
} zaf_actor_doing_t;

typedef struct {
    atomic_uint_fast64_t seq;       //  Even when the record is whole
    atomic_int_fast64_t started;    //  When the method began (zclock_mono)
    atomic_uint doing;              //  zaf_actor_doing_t; set last
    char method [ZAF_PROTO_ID_MAX + 1];
    byte caller [ZAF_PROTO_ID_MAX]; //  Of the CALL
    uint32_t caller_size;
    byte corr [ZAF_PROTO_ID_MAX];
    uint32_t corr_size;
} zaf_actor_running_t;

//  What a new actor needs; zaf_actor_start and zaf_actor_run copy it all.
typedef struct {
    const char *endpoint;           //  The node's inner ROUTER (inproc; ipc
                                    //  for an actor process)
    uint32_t inner_id;              //  Our routing id on it
    const char *actor_id;           //  Actor id
    const zaf_class_t *cls;         //  Actor class
    const void *args;               //  Constructor arguments (JSON bytes)
    size_t args_size;
    const void *caller;             //  Spawner, echoed in SPAWNED
    size_t caller_size;
    const void *corr;               //  Spawn correlation id, echoed
    size_t corr_size;
    zaf_actor_ctl_t *ctl;           //  Shared control block
    zaf_actor_running_t *running;   //  Where to record the method it runs
                                    //  (NULL: not recorded)
    bool verbose;                   //  Log every message
    bool local;                     //  A thread of the node's process:
                                    //  messages go by reference
    int max_concurrency;            //  > 1: methods run on a pool (zaf_pool)
    const char *broker;             //  Where the pool's connections dial
} zaf_actor_spec_t;

//  Open the actor's socket, then start its thread. Returns 0 and the
//  thread, or -1 with errno if no socket or no thread could be had.
int
    zaf_actor_start (const zaf_actor_spec_t *spec, pthread_t *thread);

//  Run an actor in the calling thread, as a thread started with
//  zaf_actor_start would: open its socket (on the default zsys context),
//  construct, report SPAWNED, serve until killed, destroy, report EXIT.
//  For a process that hosts one actor. Returns 0 once the actor has ended
//  and its EXIT is sent, or -1 with errno if it had no socket.
int
    zaf_actor_run (const zaf_actor_spec_t *spec);

//  Copy the running record into copy if it is whole and the actor is in a
//  method: returns true and copy's seq, doing and started say which
//  method, since when; false if it is idle or was being written (ask
//  again later). For the node, reading what a thread or process writes.
bool
    zaf_actor_running_read (const zaf_actor_running_t *running, zaf_actor_running_t *copy);

//  Return how many actor and worker threads of this process are running
//  (started and not yet ended). A node that left threads stuck in user
//  code at stop sees them here.
size_t
    zaf_actor_threads (void);

#endif
