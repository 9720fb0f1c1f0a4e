/*  =========================================================================
    zaf_isolate - actor processes, the node's side: start, watch, reap, kill

    With zaf-node --isolate a node hosts each actor in a process of its
    own, so that a segfault or abort in a method ends that actor alone.
    This class is the node's side of that (zaf_isolate_t, used by the
    node's thread only): a private ipc endpoint for the node's inner
    ROUTER, and the children. For each actor it writes the spawn
    (constructor args, caller, corr) and a control block into a shared
    memory file, then starts the program again (posix_spawn, never a bare
    fork) in its hidden --actor-host mode. It watches each child with a
    pidfd (one epoll fd to poll), reaps it, tells what it died of, and
    SIGKILLs a child that does not end within its grace after KILL. The
    child's side is zaf_isolate_host.
    =========================================================================
*/

#ifndef ZAF_ISOLATE_H_INCLUDED
#define ZAF_ISOLATE_H_INCLUDED

#include <sys/types.h>
#include "zaf_isolate_host.h"

//  How long a killed actor process may take to end before SIGKILL
#define ZAF_ISOLATE_GRACE_MS    2000

typedef struct _zaf_isolate_t zaf_isolate_t;

//  Create the actor processes of a node. program is the executable that
//  hosts an actor (zaf-node itself: it must call zaf_isolate_host when its
//  first argument is ZAF_ISOLATE_HOST_FLAG). Makes a private directory
//  (mode 0700) under $TMPDIR or /tmp for the ipc endpoint. Returns NULL
//  with errno if it cannot.
zaf_isolate_t *
    zaf_isolate_new (const char *program);

//  SIGKILL and reap every child still running, free the shared blocks,
//  remove the directory. Call it after the ROUTER bound on the endpoint is
//  closed, or at least no longer used.
void
    zaf_isolate_destroy (zaf_isolate_t **self_p);

//  Add a module each child loads (the node's --module list, in order).
void
    zaf_isolate_add_module (zaf_isolate_t *self, const char *path);

//  The ipc endpoint the node binds its inner ROUTER on, for the children.
const char *
    zaf_isolate_endpoint (zaf_isolate_t *self);

//  A file descriptor to poll for input: readable when a child may have
//  ended (call zaf_isolate_reap). -1 if the kernel has no pidfd; then
//  zaf_isolate_tick asks to be called every 100 ms.
int
    zaf_isolate_fd (zaf_isolate_t *self);

//  Start the process for one actor. spec gives inner_id, actor_id, cls,
//  args, caller, corr and verbose (endpoint and ctl are ignored). The
//  child's control block and running record live in memory shared with
//  it: *ctl_p gets the control block, which stays valid until
//  zaf_isolate_forget. Returns the child's pid, or -1 with errno.
pid_t
    zaf_isolate_spawn (zaf_isolate_t *self, const zaf_actor_spec_t *spec,
                       zaf_actor_ctl_t **ctl_p);

//  Return what a child was running (valid until zaf_isolate_forget), or
//  NULL if it is not ours. Read it once the child has ended.
const zaf_actor_running_t *
    zaf_isolate_running (zaf_isolate_t *self, uint32_t inner_id);

//  SIGKILL a child once grace_ms have passed, unless it has ended by then
//  (0: now). An earlier deadline is kept.
void
    zaf_isolate_kill (zaf_isolate_t *self, uint32_t inner_id, int grace_ms);

//  SIGKILL the children whose grace has passed. Returns in how many ms it
//  wants to be called again, or -1 if it does not need to be.
int
    zaf_isolate_tick (zaf_isolate_t *self);

//  Reap one child that has ended: returns true and fills inner_id, status
//  (as from waitpid; -1 if unknown) and forced (true if we SIGKILLed it);
//  false when none has ended. Its shared block stays until
//  zaf_isolate_forget.
bool
    zaf_isolate_reap (zaf_isolate_t *self, uint32_t *inner_id, int *status,
                      bool *forced);

//  Forget a child: free its shared block. If it is still running, it is
//  SIGKILLed and reaped first.
void
    zaf_isolate_forget (zaf_isolate_t *self, uint32_t inner_id);

//  Describe a wait status into buffer: "signal SIGSEGV", "exit code 1".
//  Returns buffer.
const char *
    zaf_isolate_describe (int status, char *buffer, size_t size);

//  Return the signal's name ("SIGSEGV") if status says the process was
//  killed by a signal, else NULL.
const char *
    zaf_isolate_signal_name (int status);

#endif
