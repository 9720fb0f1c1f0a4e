/*  =========================================================================
    bench_proc - child processes that zaf-bench starts, and /proc readers

    A bench_proc_t is one child we forked and exec'd: its pid, a pipe from
    its stdout (read line by line, with a deadline), and the promise that
    destroying it stops it (SIGTERM, a grace period, then SIGKILL) and
    reaps it. Children get the hard limit of open files and are told to
    die with us (PR_SET_PDEATHSIG), so that nothing outlives a crash of
    zaf-bench. Everything here is killed by its pid (or the process group
    we made for it), never by name.
    =========================================================================
*/

#ifndef BENCH_PROC_H_INCLUDED
#define BENCH_PROC_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct _bench_proc_t bench_proc_t;

//  Start argv[0] (a path) with argv (NULL-terminated). Its stdout comes
//  to us through a pipe; its stderr goes to ours when verbose, else to
//  /dev/null. With own_group it leads a new process group, and stopping
//  it signals the whole group. Returns NULL (after logging) on failure.
//  The caller destroys the result.
bench_proc_t *
    bench_proc_start (char *const argv [], bool verbose, bool own_group);

//  Stop the child if it runs (see bench_proc_stop, 5 s grace), reap it and
//  free everything; nulls the pointer.
void
    bench_proc_destroy (bench_proc_t **self_p);

//  Return the child's pid.
pid_t
    bench_proc_pid (const bench_proc_t *self);

//  Read one line of the child's stdout (without its newline) into line.
//  Returns its length, or -1 if none came within timeout_ms, the child
//  closed its stdout, or we were interrupted.
int
    bench_proc_read_line (bench_proc_t *self, char *line, size_t max, int timeout_ms);

//  Wait up to timeout_ms for the child to exit; returns 0 and fills
//  status (as waitpid does; may be NULL) if it has, else -1.
int
    bench_proc_wait (bench_proc_t *self, int timeout_ms, int *status);

//  Stop the child: SIGTERM, up to grace_ms for it to exit, then SIGKILL.
//  Signals the process group if the child leads one. Returns 0 if it
//  exited within the grace period, -1 if it had to be killed.
int
    bench_proc_stop (bench_proc_t *self, int grace_ms);

//  Return the resident set size of a process (VmRSS), in KB, or -1.
long
    bench_proc_rss_kb (pid_t pid);

//  Return how many files a process has open, or -1.
long
    bench_proc_fds (pid_t pid);

#endif
