/*  =========================================================================
    bench_proc - child processes that zaf-bench starts, and /proc readers

    Runs in the thread that starts the child (zaf-bench forks only from its
    main thread, so PR_SET_PDEATHSIG fires when the process ends, not when
    some helper thread does). Between fork and exec the child calls only
    async-signal-safe functions: the parent may have czmq threads running.
    =========================================================================
*/

#ifndef _GNU_SOURCE
#   define _GNU_SOURCE          //  pipe2
#endif
#include "bench_classes.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <dirent.h>

#define BENCH_PROC_BUFFER 4096

struct _bench_proc_t {
    pid_t pid;                  //  The child
    bool own_group;             //  It leads process group pid
    bool reaped;                //  waitpid has seen it exit
    int out;                    //  Read end of its stdout, or -1
    char buffer [BENCH_PROC_BUFFER];    //  Bytes read but not yet returned
    size_t buffered;
};

bench_proc_t *
bench_proc_start (char *const argv [], bool verbose, bool own_group)
{
    assert (argv && argv [0]);
    int pipe_fds [2];
    if (pipe2 (pipe_fds, O_CLOEXEC)) {
        zsys_error ("bench_proc: pipe failed: %s", strerror (errno));
        return NULL;
    }
    //  Prepared before fork: the child must not allocate
    int null_fd = verbose ? -1 : open ("/dev/null", O_WRONLY | O_CLOEXEC);
    pid_t parent = getpid ();
    pid_t pid = fork ();
    if (pid < 0) {
        zsys_error ("bench_proc: fork failed: %s", strerror (errno));
        close (pipe_fds [0]);
        close (pipe_fds [1]);
        if (null_fd >= 0)
            close (null_fd);
        return NULL;
    }
    if (pid == 0) {
        //  Child: only async-signal-safe calls from here to exec
        if (own_group)
            setpgid (0, 0);
        prctl (PR_SET_PDEATHSIG, SIGTERM);
        if (getppid () != parent)
            _exit (127);        //  The parent is already gone
        struct rlimit limit;
        if (getrlimit (RLIMIT_NOFILE, &limit) == 0) {
            limit.rlim_cur = limit.rlim_max;
            setrlimit (RLIMIT_NOFILE, &limit);
        }
        dup2 (pipe_fds [1], STDOUT_FILENO);
        if (null_fd >= 0)
            dup2 (null_fd, STDERR_FILENO);
        //  Signals we ignore or block would be inherited: reset them
        signal (SIGINT, SIG_DFL);
        signal (SIGTERM, SIG_DFL);
        signal (SIGPIPE, SIG_DFL);
        sigset_t none;
        sigemptyset (&none);
        sigprocmask (SIG_SETMASK, &none, NULL);
        execv (argv [0], argv);
        _exit (127);
    }
    if (own_group)
        setpgid (pid, pid);     //  Also here, so that no signal races the child's own call
    close (pipe_fds [1]);
    if (null_fd >= 0)
        close (null_fd);
    bench_proc_t *self = (bench_proc_t *) zmalloc (sizeof (bench_proc_t));
    assert (self);
    self->pid = pid;
    self->own_group = own_group;
    self->out = pipe_fds [0];
    return self;
}

void
bench_proc_destroy (bench_proc_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        bench_proc_t *self = *self_p;
        if (!self->reaped)
            bench_proc_stop (self, 5000);
        if (self->out >= 0)
            close (self->out);
        free (self);
        *self_p = NULL;
    }
}

pid_t
bench_proc_pid (const bench_proc_t *self)
{
    assert (self);
    return self->pid;
}

int
bench_proc_read_line (bench_proc_t *self, char *line, size_t max, int timeout_ms)
{
    assert (self);
    assert (line && max > 0);
    int64_t deadline = zclock_mono () + timeout_ms;
    while (true) {
        char *newline = (char *) memchr (self->buffer, '\n', self->buffered);
        if (newline) {
            size_t size = (size_t) (newline - self->buffer);
            size_t copied = size < max - 1 ? size : max - 1;
            memcpy (line, self->buffer, copied);
            line [copied] = 0;
            self->buffered -= size + 1;
            memmove (self->buffer, newline + 1, self->buffered);
            return (int) copied;
        }
        if (self->buffered == sizeof (self->buffer))
            self->buffered = 0;     //  A line longer than we keep: drop it
        int64_t remaining = deadline - zclock_mono ();
        if (self->out < 0 || remaining <= 0 || zsys_interrupted)
            return -1;
        struct pollfd item = { self->out, POLLIN, 0 };
        int rc = poll (&item, 1, (int) (remaining < 100 ? remaining : 100));
        if (rc <= 0)
            continue;
        ssize_t got = read (self->out, self->buffer + self->buffered,
                            sizeof (self->buffer) - self->buffered);
        if (got <= 0) {
            close (self->out);
            self->out = -1;
            return -1;
        }
        self->buffered += (size_t) got;
    }
}

int
bench_proc_wait (bench_proc_t *self, int timeout_ms, int *status)
{
    assert (self);
    int64_t deadline = zclock_mono () + timeout_ms;
    while (!self->reaped) {
        int local;
        pid_t rc = waitpid (self->pid, &local, WNOHANG);
        if (rc == self->pid || (rc < 0 && errno == ECHILD)) {
            self->reaped = true;
            if (status)
                *status = rc == self->pid ? local : 0;
            return 0;
        }
        if (zclock_mono () >= deadline)
            return -1;
        zclock_sleep (5);
    }
    return 0;
}

int
bench_proc_stop (bench_proc_t *self, int grace_ms)
{
    assert (self);
    if (self->reaped) {
        if (self->own_group)
            kill (-self->pid, SIGKILL);     //  Helpers it may have left behind
        return 0;
    }
    kill (self->own_group ? -self->pid : self->pid, SIGTERM);
    int rc = 0;
    if (bench_proc_wait (self, grace_ms, NULL)) {
        kill (self->own_group ? -self->pid : self->pid, SIGKILL);
        bench_proc_wait (self, 5000, NULL);
        rc = -1;
    }
    if (self->own_group)
        kill (-self->pid, SIGKILL);         //  Anything left in its group
    return rc;
}

long
bench_proc_rss_kb (pid_t pid)
{
    char path [64];
    snprintf (path, sizeof (path), "/proc/%d/status", (int) pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    char line [256];
    long rss = -1;
    while (fgets (line, sizeof (line), file))
        if (strncmp (line, "VmRSS:", 6) == 0) {
            rss = atol (line + 6);
            break;
        }
    fclose (file);
    return rss;
}

long
bench_proc_fds (pid_t pid)
{
    char path [64];
    snprintf (path, sizeof (path), "/proc/%d/fd", (int) pid);
    DIR *dir = opendir (path);
    if (!dir)
        return -1;
    long count = 0;
    struct dirent *entry;
    while ((entry = readdir (dir)))
        if (entry->d_name [0] != '.')
            count++;
    closedir (dir);
    return count;
}
