/*  =========================================================================
    testutil - what the test suites share: processes, clusters, waiting

    Every process a test starts goes through zt_proc_start: it is tracked
    by pid, dies with the test process (PR_SET_PDEATHSIG), and is killed
    and reaped by zt_cleanup, which the suites call from .fini and which
    also runs at exit. Nothing is ever killed by name.
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

//  Wait until the broker lists n nodes (exactly). Returns true if it did.
bool
    zt_wait_nodes (zaf_t *z, int n, int timeout_ms);

//  Return the node an actor lives on (from STATUS), or NULL. Caller frees.
char *
    zt_actor_node (zaf_t *z, const char *actor_id);

//  A path under the build tree: zt_path ("bin", "zaf-broker").
const char *
    zt_path (const char *folder, const char *name);

#endif
