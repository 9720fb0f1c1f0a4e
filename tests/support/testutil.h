/*  =========================================================================
    testutil - what the test suites share: processes, clusters, waiting

    Every process a test starts goes through zt_proc_start: it is tracked
    by pid, dies with the test process (PR_SET_PDEATHSIG), and is killed
    and reaped by zt_cleanup, which the suites call from .fini and which
    also runs at exit. Nothing is ever killed by name.

    The cluster helpers (zt_cluster_*), zt_call_number and zt_actor_handle
    assert with Criterion, so they are for use inside a test or fixture.
    =========================================================================
*/

#ifndef TESTUTIL_H_INCLUDED
#define TESTUTIL_H_INCLUDED

#include "zaf_classes.h"
#include "test_actors.h"
#include <sys/types.h>

typedef struct _zt_proc_t zt_proc_t;

//  Start a program (argv [0] is its path; NULL-terminated). With capture,
//  its stdout comes to us through a pipe. Returns NULL if fork fails.
zt_proc_t *
    zt_proc_start (const char *const *argv, bool capture);

//  Read one line of its stdout (without the newline) within timeout_ms.
//  Returns a new string or NULL.
char *
    zt_proc_read_line (zt_proc_t *self, int timeout_ms);

//  Read all its stdout until it closes or timeout_ms passes. New string.
char *
    zt_proc_read_all (zt_proc_t *self, int timeout_ms);

//  Send a signal (0: none) and wait up to timeout_ms for the process to
//  end, then SIGKILL it. Returns its exit status as from waitpid, or -1.
//  Frees the handle and nulls the pointer.
int
    zt_proc_stop (zt_proc_t **self_p, int signal, int timeout_ms);

//  Wait for the process to exit by itself within timeout_ms. Returns the
//  exit code (0-255), 128+signal if killed, or -1 on timeout (still running).
int
    zt_proc_wait (zt_proc_t *self, int timeout_ms);

//  Run a program to its end within timeout_ms, its stdout and stderr
//  together into *output_p (a new string; output_p may be NULL). Returns
//  its exit code as zt_proc_wait does (-1: killed at the timeout).
int
    zt_run (const char *const *argv, int timeout_ms, char **output_p);

//  The process id.
pid_t
    zt_proc_pid (zt_proc_t *self);

//  Kill and reap every process still tracked.
void
    zt_cleanup (void);

//  Start zaf-broker on tcp://127.0.0.1:* and return it; *endpoint_p gets
//  the bound endpoint (caller frees). heartbeat_ms 0 means default.
zt_proc_t *
    zt_broker_start (int heartbeat_ms, char **endpoint_p);

//  Start zaf-node against endpoint with the test actors module (and
//  extra_module if not NULL).
zt_proc_t *
    zt_node_start (const char *endpoint, const char *name, const char *extra_module);

//  A condition a test waits for: returns true once it holds.
typedef bool (zt_cond_fn) (void *arg);

//  Wait for a condition: check cond (arg) at once and then every 5 ms
//  until it holds or timeout_ms has passed. Returns true if it held. This
//  is how tests wait for something, instead of sleeping a fixed time.
bool
    zt_wait_until (zt_cond_fn *cond, void *arg, int timeout_ms);

//  Wait until the broker lists n nodes (exactly). Returns true if it did.
bool
    zt_wait_nodes (zaf_t *z, int n, int timeout_ms);

//  The size of a list in the broker's STATUS snapshot ("nodes",
//  "clients", "actors"), or -1 if the broker did not answer.
int
    zt_status_count (zaf_t *z, const char *list);

//  How many requests the broker holds waiting on an actor (its "pending"
//  in STATUS: queued or running), or -1 if it does not list the actor.
int
    zt_actor_pending (zaf_t *z, const char *actor_id);

//  Wait until the broker holds at least n requests waiting on the actor:
//  they have left the driver and reached the broker. Returns true if so.
bool
    zt_wait_pending (zaf_t *z, const char *actor_id, int n, int timeout_ms);

//  Return the node an actor lives on (from STATUS), or NULL. Caller frees.
char *
    zt_actor_node (zaf_t *z, const char *actor_id);

//  A path under the build tree: zt_path ("bin", "zaf-broker").
const char *
    zt_path (const char *folder, const char *name);

//  Return the peer id the broker has for the named node (from STATUS), or
//  NULL. Caller frees.
char *
    zt_node_peer (zaf_t *z, const char *name);

//  Call a method and wait up to timeout_ms for the answer. Takes args.
//  Returns the result (caller frees) or NULL with err filled.
cJSON *
    zt_call (zaf_t *z, zaf_actor_t *actor, const char *method, cJSON *args,
             int timeout_ms, zaf_error_t *err);

//  Call a method until it answers (while a restart or a reconnection is
//  under way), each try waiting up to try_ms, for up to timeout_ms in
//  all. args is JSON text, parsed anew for each try (NULL: no args).
//  Returns the result (caller frees) or NULL with err from the last try.
cJSON *
    zt_call_until (zaf_t *z, zaf_actor_t *actor, const char *method, const char *args,
                   int try_ms, int timeout_ms, zaf_error_t *err);

//  Wait until the broker lists the named node under a peer id other than
//  `before` (a new incarnation). Returns that peer id (caller frees) or
//  NULL if none came within timeout_ms.
char *
    zt_wait_new_peer (zaf_t *z, const char *name, const char *before, int timeout_ms);

//  Call a method that must answer a number within timeout_ms and return
//  it; fails the test if it does not. Takes args.
double
    zt_call_number (zaf_t *z, zaf_actor_t *actor, const char *method, cJSON *args,
                    int timeout_ms);

//  Return a borrowed handle for an actor id (as from {"$actor": id}); fails
//  the test if it cannot be made. Caller destroys the handle.
zaf_actor_t *
    zt_actor_handle (const char *id);

//  --------------------------------------------------------------------------
//  A cluster of processes: a zaf-broker on tcp://127.0.0.1:*, zaf-node
//  processes against it and a driver of the test's own. The test owns the
//  struct (on its stack) and may stop or kill any process itself: a slot it
//  stopped with zt_proc_stop is NULL and zt_cluster_stop passes it over.

#define ZT_NODES_MAX 4

typedef struct {
    zt_proc_t *broker;                  //  zaf-broker (NULL once stopped)
    zt_proc_t *nodes [ZT_NODES_MAX];    //  zaf-node processes, prefix + 1 at
                                        //  0, ... (NULL once stopped)
    int nodes_count;                    //  How many slots are in use
    char *endpoint;                     //  Where the broker listens
    zaf_t *z;                           //  A driver connected to it
    char prefix [8];                    //  Node names: prefix + 1, 2, ...
    char *extra_module;                 //  Loaded by every node besides the
                                        //  test actors, or NULL
} zt_cluster_t;

//  Start a broker (heartbeat_ms 0: default), `nodes` zaf-node processes
//  (at most ZT_NODES_MAX) named prefix + 1, 2, ... ("n" gives n1, n2)
//  with the test actors module (and extra_module if not NULL), connect a
//  driver and wait up to 10 s until the broker lists exactly that many
//  nodes. With nodes 0 it starts the broker and the driver only, and the
//  test adds nodes of its own to the slots. Fails the test if any step
//  fails.
void
    zt_cluster_start (zt_cluster_t *self, int heartbeat_ms, const char *prefix,
                      int nodes, const char *extra_module);

//  Start node index again (its slot must be empty, e.g. after the test
//  killed it), with the same name and modules. Returns the process (also
//  in nodes [index]), or NULL if it could not be started.
zt_proc_t *
    zt_cluster_node_start (zt_cluster_t *self, int index);

//  Kill the broker with SIGKILL and start a new one on the same endpoint
//  (heartbeat_ms 0: default). Fails the test if it does not bind.
void
    zt_cluster_broker_restart (zt_cluster_t *self, int heartbeat_ms);

//  Shut the driver down, then stop every node still running and the broker
//  with SIGTERM, waiting up to 10 s for each (SIGCONT first, in case the
//  test froze one with SIGSTOP), and free what the struct holds. Returns
//  true if every process it stopped exited 0; a process that did not is
//  logged.
bool
    zt_cluster_stop (zt_cluster_t *self);

#endif
