/*  =========================================================================
    zaf_isolate - actor processes, the node's side: start, watch, reap, kill

    The node side runs in the node's thread only. Each child gets a shared
    memory file (memfd, passed as fd 3) holding a magic word, the actor's
    control block (killed flag, processed count: the same atomics a thread
    shares with the node), its running record (which CALL or TELL it is
    in), and the spawn itself (caller, corr, constructor args). The child
    is started with posix_spawn, which execs at once: nothing runs between
    fork and exec in a process with a live ZeroMQ context. Its command line
    names the node's ipc endpoint, its inner routing id, the node's pid,
    the actor id and class, and the modules to load.

    Children are watched with pidfds registered in one epoll fd, which the
    node polls with its sockets; a kernel without pidfd_open falls back to
    waitpid every 100 ms. We only ever waitpid our own pids, so the
    program's other children are never reaped here. A killed child gets
    ZAF_ISOLATE_GRACE_MS to end, then SIGKILL.

    The child's side, which reads that block and that command line, is
    zaf_isolate_host.
    =========================================================================
*/

#ifndef _GNU_SOURCE
#define _GNU_SOURCE                 //  memfd_create
#endif
#include "zaf_classes.h"
#include "zaf_isolate.h"
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <dirent.h>

extern char **environ;

#define ZAF_ISOLATE_SCAN_MS     100             //  waitpid scan without pidfd

//  The shared block's layout is zaf_isolate_host.h's
typedef zaf_isolate_block_t shared_t;

typedef struct {
    uint32_t inner_id;
    pid_t pid;
    int pidfd;                  //  Registered in epoll_fd; -1: scanned
    shared_t *shared;
    size_t mapped;
    int64_t kill_at;            //  SIGKILL due (0: none)
    void *doomed_item;          //  Our place in doomed
    void *ended_item;           //  Our place in ended
    bool forced;                //  We SIGKILLed it
    bool reaped;
    int status;                 //  From waitpid (-1: unknown)
} child_t;

struct _zaf_isolate_t {
    char *program;              //  Executable for the children
    zlistx_t *modules;          //  Module paths (strings)
    char dir [128];             //  Private directory
    char path [160];            //  ipc socket file in it
    char endpoint [176];        //  "ipc://" path
    int epoll_fd;               //  pidfds of our children
    zhashx_t *children;         //  inner id -> child_t
    zlistx_t *doomed;           //  Children with a SIGKILL due (borrowed)
    zlistx_t *ended;            //  Reaped, not yet reported (borrowed)
    size_t unwatched;           //  Running children without a pidfd
    int64_t next_scan;
};

//  --------------------------------------------------------------------------
//  Create the actor processes of a node

//  Remove the directories that nodes killed with -9 left behind: ours
//  (same user), named zaf-node-<pid>-*, whose pid is gone, holding at most
//  the socket file
static void
s_sweep (const char *tmp)
{
    DIR *dir = opendir (tmp);
    if (!dir)
        return;
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        int pid = 0, length = 0;
        if (sscanf (entry->d_name, "zaf-node-%d-%*6c%n", &pid, &length) != 1
        ||  entry->d_name [length] || pid <= 0 || pid == (int) getpid ()
        ||  kill ((pid_t) pid, 0) == 0 || errno != ESRCH)
            continue;
        char path [PATH_MAX];
        struct stat info;
        snprintf (path, sizeof (path), "%s/%s", tmp, entry->d_name);
        if (lstat (path, &info) || !S_ISDIR (info.st_mode) || info.st_uid != getuid ())
            continue;
        char socket_path [PATH_MAX + 8];
        snprintf (socket_path, sizeof (socket_path), "%s/inner", path);
        if (lstat (socket_path, &info) == 0 && S_ISSOCK (info.st_mode))
            unlink (socket_path);
        rmdir (path);           //  Fails, harmlessly, if anything else is there
    }
    closedir (dir);
}

zaf_isolate_t *
zaf_isolate_new (const char *program)
{
    assert (program);
    zaf_isolate_t *self = (zaf_isolate_t *) zmalloc (sizeof (zaf_isolate_t));
    assert (self);
    self->program = strdup (program);
    self->modules = zlistx_new ();
    zlistx_set_destructor (self->modules, (zlistx_destructor_fn *) zstr_free);
    self->epoll_fd = -1;
    self->children = zaf_key_int_map_new ();
    self->doomed = zlistx_new ();
    self->ended = zlistx_new ();

    //  An ipc path must fit a sockaddr_un (108 bytes): fall back to /tmp
    const char *tmp = getenv ("TMPDIR");
    if (!tmp || !*tmp || strlen (tmp) > 60)
        tmp = "/tmp";
    s_sweep (tmp);
    snprintf (self->dir, sizeof (self->dir), "%s/zaf-node-%d-XXXXXX", tmp, (int) getpid ());
    if (!mkdtemp (self->dir)) {
        int error = errno;
        self->dir [0] = 0;
        zaf_isolate_destroy (&self);
        errno = error;
        return NULL;
    }
    snprintf (self->path, sizeof (self->path), "%s/inner", self->dir);
    snprintf (self->endpoint, sizeof (self->endpoint), "ipc://%s", self->path);
    self->epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
    return self;
}

//  --------------------------------------------------------------------------
//  Reaping

//  Reap a child if it has ended
static void
s_try_reap (zaf_isolate_t *self, child_t *child)
{
    if (child->reaped)
        return;
    int status = 0;
    pid_t pid = waitpid (child->pid, &status, WNOHANG);
    if (pid == 0 || (pid == -1 && errno == EINTR))
        return;                 //  Still running, or ask again later
    child->reaped = true;
    //  ECHILD: someone reaped it for us (SIGCHLD ignored); we cannot know
    child->status = pid == child->pid ? status : -1;
    if (child->pidfd >= 0) {
        epoll_ctl (self->epoll_fd, EPOLL_CTL_DEL, child->pidfd, NULL);
        close (child->pidfd);
        child->pidfd = -1;
    }
    else
        self->unwatched--;
    if (child->doomed_item) {
        zlistx_delete (self->doomed, child->doomed_item);
        child->doomed_item = NULL;
    }
    child->ended_item = zlistx_add_end (self->ended, child);
}

//  Collect the children that have ended into self->ended
static void
s_collect (zaf_isolate_t *self)
{
    if (self->epoll_fd >= 0) {
        struct epoll_event events [64];
        int count = epoll_wait (self->epoll_fd, events, 64, 0);
        for (int index = 0; index < count; index++) {
            child_t *child = (child_t *) zhashx_lookup (self->children,
                                (void *) (uintptr_t) events [index].data.u32);
            if (child)
                s_try_reap (self, child);
        }
    }
    if (self->unwatched && zclock_mono () >= self->next_scan) {
        self->next_scan = zclock_mono () + ZAF_ISOLATE_SCAN_MS;
        zlistx_t *children = zhashx_values (self->children);
        for (child_t *child = (child_t *) zlistx_first (children); child;
             child = (child_t *) zlistx_next (children))
            if (child->pidfd == -1)
                s_try_reap (self, child);
        zlistx_destroy (&children);
    }
}

//  SIGKILL a child now
static void
s_sigkill (zaf_isolate_t *self, child_t *child)
{
    if (child->reaped)
        return;
    kill (child->pid, SIGKILL);
    child->forced = true;
    child->kill_at = 0;
    if (child->doomed_item) {
        zlistx_delete (self->doomed, child->doomed_item);
        child->doomed_item = NULL;
    }
}

//  SIGKILL a child that is still running and reap it, within a bound
static void
s_put_down (zaf_isolate_t *self, child_t *child)
{
    s_sigkill (self, child);
    int64_t deadline = zclock_mono () + 2000;
    while (!child->reaped && zclock_mono () < deadline) {
        s_try_reap (self, child);
        if (!child->reaped)
            zclock_sleep (1);
    }
    if (!child->reaped)
        zsys_warning ("zaf_isolate: actor process pid=%d did not die on SIGKILL",
                      (int) child->pid);
}

//  --------------------------------------------------------------------------
//  SIGKILL and reap every child, free everything

void
zaf_isolate_destroy (zaf_isolate_t **self_p)
{
    assert (self_p);
    zaf_isolate_t *self = *self_p;
    if (!self)
        return;
    //  All at once, then reap each
    zlistx_t *children = zhashx_values (self->children);
    for (child_t *child = (child_t *) zlistx_first (children); child;
         child = (child_t *) zlistx_next (children))
        s_sigkill (self, child);
    for (child_t *child = (child_t *) zlistx_first (children); child;
         child = (child_t *) zlistx_next (children))
        zaf_isolate_forget (self, child->inner_id);
    zlistx_destroy (&children);
    zhashx_destroy (&self->children);
    zlistx_destroy (&self->doomed);
    zlistx_destroy (&self->ended);
    if (self->epoll_fd >= 0)
        close (self->epoll_fd);
    if (self->dir [0]) {
        //  libzmq unlinks the socket file when the listener closes, which
        //  may be later than this: do it now so the directory can go
        unlink (self->path);
        if (rmdir (self->dir))
            zsys_warning ("zaf_isolate: cannot remove %s: %s", self->dir, strerror (errno));
    }
    zlistx_destroy (&self->modules);
    free (self->program);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Settings and accessors

void
zaf_isolate_add_module (zaf_isolate_t *self, const char *path)
{
    assert (self && path);
    zlistx_add_end (self->modules, strdup (path));
}

const char *
zaf_isolate_endpoint (zaf_isolate_t *self)
{
    assert (self);
    return self->endpoint;
}

int
zaf_isolate_fd (zaf_isolate_t *self)
{
    assert (self);
    return self->epoll_fd;
}

const zaf_actor_running_t *
zaf_isolate_running (zaf_isolate_t *self, uint32_t inner_id)
{
    assert (self);
    child_t *child = (child_t *) zhashx_lookup (self->children, (void *) (uintptr_t) inner_id);
    return child ? &child->shared->running : NULL;
}

//  --------------------------------------------------------------------------
//  Start the process for one actor

//  Write the shared block for one actor into a new memfd. Returns the fd
//  and the mapping in *shared_p (of *size bytes), or -1 with errno.
static int
s_block_new (const zaf_actor_spec_t *spec, shared_t **shared_p, size_t *size)
{
    *size = sizeof (shared_t) + spec->args_size;
    int fd = memfd_create ("zaf-actor", MFD_CLOEXEC);
    if (fd == -1)
        return -1;
    shared_t *shared = MAP_FAILED;
    if (ftruncate (fd, (off_t) *size) == 0)
        shared = (shared_t *) mmap (NULL, *size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (shared == MAP_FAILED) {
        int error = errno;
        close (fd);
        errno = error;
        return -1;
    }
    shared->magic = ZAF_ISOLATE_MAGIC;
    shared->header_size = (uint32_t) sizeof (shared_t);
    atomic_init (&shared->ctl.killed, false);
    atomic_init (&shared->ctl.processed, 0);
    atomic_init (&shared->running.doing, ZAF_ACTOR_IDLE);
    if (spec->caller_size)
        memcpy (shared->caller, spec->caller, spec->caller_size);
    shared->caller_size = (uint32_t) spec->caller_size;
    if (spec->corr_size)
        memcpy (shared->corr, spec->corr, spec->corr_size);
    shared->corr_size = (uint32_t) spec->corr_size;
    shared->args_size = spec->args_size;
    if (spec->args_size)
        memcpy (shared->args, spec->args, spec->args_size);
    *shared_p = shared;
    return fd;
}

//  Start the program in its host mode with the block as fd 3. Returns 0
//  and the pid, or an errno value.
static int
s_start_child (zaf_isolate_t *self, const zaf_actor_spec_t *spec, int fd, pid_t *pid)
{
    //  The command line (zaf_isolate_host reads it)
    char inner_id [16], parent [16];
    snprintf (inner_id, sizeof (inner_id), "%u", spec->inner_id);
    snprintf (parent, sizeof (parent), "%d", (int) getpid ());
    size_t argc = 0;
    const char **argv = (const char **) calloc (16 + 2 * zlistx_size (self->modules),
                                                 sizeof (char *));
    assert (argv);
    argv [argc++] = self->program;
    argv [argc++] = ZAF_ISOLATE_HOST_FLAG;
    argv [argc++] = self->endpoint;
    argv [argc++] = "--inner-id";
    argv [argc++] = inner_id;
    argv [argc++] = "--parent";
    argv [argc++] = parent;
    argv [argc++] = "--actor";
    argv [argc++] = spec->actor_id;
    argv [argc++] = "--class";
    argv [argc++] = spec->cls->name;
    if (spec->verbose)
        argv [argc++] = "--verbose";
    for (const char *module = (const char *) zlistx_first (self->modules); module;
         module = (const char *) zlistx_next (self->modules)) {
        argv [argc++] = "--module";
        argv [argc++] = module;
    }
    argv [argc] = NULL;

    //  The block becomes the child's fd 3 (dup2 clears close-on-exec; if
    //  the memfd is fd 3 already, move it first or dup2 would do nothing)
    int source = fd;
    if (source == ZAF_ISOLATE_CTL_FD)
        source = fcntl (fd, F_DUPFD_CLOEXEC, ZAF_ISOLATE_CTL_FD + 1);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init (&actions);
    posix_spawn_file_actions_adddup2 (&actions, source, ZAF_ISOLATE_CTL_FD);
    //  No blocked signals, and default actions for those a program may
    //  have ignored
    posix_spawnattr_t attr;
    posix_spawnattr_init (&attr);
    sigset_t signals;
    sigemptyset (&signals);
    posix_spawnattr_setsigmask (&attr, &signals);
    int defaults [] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2 };
    for (size_t index = 0; index < sizeof (defaults) / sizeof (defaults [0]); index++)
        sigaddset (&signals, defaults [index]);
    posix_spawnattr_setsigdefault (&attr, &signals);
    posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    int rc = source == -1 ? errno
           : posix_spawn (pid, self->program, &actions, &attr, (char *const *) argv, environ);
    posix_spawnattr_destroy (&attr);
    posix_spawn_file_actions_destroy (&actions);
    free (argv);
    if (source != fd && source != -1)
        close (source);
    return rc;
}

pid_t
zaf_isolate_spawn (zaf_isolate_t *self, const zaf_actor_spec_t *spec, zaf_actor_ctl_t **ctl_p)
{
    assert (self && spec && spec->actor_id && spec->cls && ctl_p);
    assert (spec->caller_size <= ZAF_PROTO_ID_MAX && spec->corr_size <= ZAF_PROTO_ID_MAX);
    assert (!zhashx_lookup (self->children, (void *) (uintptr_t) spec->inner_id));

    shared_t *shared;
    size_t size;
    int fd = s_block_new (spec, &shared, &size);
    if (fd == -1)
        return -1;
    pid_t pid = -1;
    int rc = s_start_child (self, spec, fd, &pid);
    close (fd);                 //  The mapping stays
    if (rc) {
        munmap (shared, size);
        errno = rc;
        return -1;
    }
    child_t *child = (child_t *) zmalloc (sizeof (child_t));
    assert (child);
    child->inner_id = spec->inner_id;
    child->pid = pid;
    child->shared = shared;
    child->mapped = size;
    child->pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
    if (child->pidfd >= 0 && self->epoll_fd >= 0) {
        struct epoll_event event = { .events = EPOLLIN };
        event.data.u32 = spec->inner_id;
        if (epoll_ctl (self->epoll_fd, EPOLL_CTL_ADD, child->pidfd, &event)) {
            close (child->pidfd);
            child->pidfd = -1;
        }
    }
    else
    if (child->pidfd >= 0) {
        close (child->pidfd);
        child->pidfd = -1;
    }
    if (child->pidfd == -1)
        self->unwatched++;
    zhashx_insert (self->children, (void *) (uintptr_t) child->inner_id, child);
    *ctl_p = &shared->ctl;
    return pid;
}

//  --------------------------------------------------------------------------
//  Kill, tick, reap, forget

void
zaf_isolate_kill (zaf_isolate_t *self, uint32_t inner_id, int grace_ms)
{
    assert (self);
    child_t *child = (child_t *) zhashx_lookup (self->children, (void *) (uintptr_t) inner_id);
    if (!child || child->reaped)
        return;
    if (grace_ms <= 0) {
        s_sigkill (self, child);
        return;
    }
    int64_t kill_at = zclock_mono () + grace_ms;
    if (child->kill_at && child->kill_at <= kill_at)
        return;
    child->kill_at = kill_at;
    if (!child->doomed_item)
        child->doomed_item = zlistx_add_end (self->doomed, child);
}

int
zaf_isolate_tick (zaf_isolate_t *self)
{
    assert (self);
    int64_t now = zclock_mono ();
    int64_t next = -1;
    child_t *child = (child_t *) zlistx_first (self->doomed);
    while (child) {
        child_t *following = (child_t *) zlistx_next (self->doomed);
        if (now >= child->kill_at) {
            zsys_warning ("zaf_isolate: actor process pid=%d did not end within %d ms of KILL;"
                          " SIGKILL", (int) child->pid, ZAF_ISOLATE_GRACE_MS);
            s_sigkill (self, child);
        }
        else
        if (next == -1 || child->kill_at - now < next)
            next = child->kill_at - now;
        child = following;
    }
    if (self->unwatched && (next == -1 || next > ZAF_ISOLATE_SCAN_MS))
        next = ZAF_ISOLATE_SCAN_MS;
    return (int) next;
}

bool
zaf_isolate_reap (zaf_isolate_t *self, uint32_t *inner_id, int *status, bool *forced)
{
    assert (self && inner_id && status && forced);
    if (zlistx_size (self->ended) == 0)
        s_collect (self);
    child_t *child = (child_t *) zlistx_detach (self->ended, NULL);
    if (!child)
        return false;
    child->ended_item = NULL;
    *inner_id = child->inner_id;
    *status = child->status;
    *forced = child->forced;
    return true;
}

void
zaf_isolate_forget (zaf_isolate_t *self, uint32_t inner_id)
{
    assert (self);
    child_t *child = (child_t *) zhashx_lookup (self->children, (void *) (uintptr_t) inner_id);
    if (!child)
        return;
    if (!child->reaped)
        s_put_down (self, child);
    if (child->ended_item)
        zlistx_delete (self->ended, child->ended_item);
    if (child->doomed_item)
        zlistx_delete (self->doomed, child->doomed_item);
    if (child->pidfd >= 0) {
        //  Never reaped: SIGKILL did not take
        epoll_ctl (self->epoll_fd, EPOLL_CTL_DEL, child->pidfd, NULL);
        close (child->pidfd);
    }
    else
    if (!child->reaped)
        self->unwatched--;
    munmap (child->shared, child->mapped);
    zhashx_delete (self->children, (void *) (uintptr_t) inner_id);
    free (child);
}

//  --------------------------------------------------------------------------
//  Wait statuses in words

static const struct {
    int number;
    const char *name;
} s_signals [] = {
    { SIGSEGV, "SIGSEGV" }, { SIGABRT, "SIGABRT" }, { SIGBUS, "SIGBUS" },
    { SIGFPE, "SIGFPE" }, { SIGILL, "SIGILL" }, { SIGKILL, "SIGKILL" },
    { SIGTERM, "SIGTERM" }, { SIGINT, "SIGINT" }, { SIGQUIT, "SIGQUIT" },
    { SIGHUP, "SIGHUP" }, { SIGPIPE, "SIGPIPE" }, { SIGTRAP, "SIGTRAP" },
    { SIGSYS, "SIGSYS" }, { SIGXCPU, "SIGXCPU" }, { SIGXFSZ, "SIGXFSZ" },
    { SIGALRM, "SIGALRM" }, { SIGUSR1, "SIGUSR1" }, { SIGUSR2, "SIGUSR2" }
};

const char *
zaf_isolate_signal_name (int status)
{
    if (status == -1 || !WIFSIGNALED (status))
        return NULL;
    for (size_t index = 0; index < sizeof (s_signals) / sizeof (s_signals [0]); index++)
        if (s_signals [index].number == WTERMSIG (status))
            return s_signals [index].name;
    return "SIG?";
}

const char *
zaf_isolate_describe (int status, char *buffer, size_t size)
{
    const char *name = zaf_isolate_signal_name (status);
    if (status == -1)
        snprintf (buffer, size, "unknown status");
    else
    if (name && !streq (name, "SIG?"))
        snprintf (buffer, size, "signal %s", name);
    else
    if (WIFSIGNALED (status))
        snprintf (buffer, size, "signal %d", WTERMSIG (status));
    else
    if (WIFEXITED (status))
        snprintf (buffer, size, "exit code %d", WEXITSTATUS (status));
    else
        snprintf (buffer, size, "status %d", status);
    return buffer;
}
