/*  =========================================================================
    testutil - what the test suites share: processes, clusters, waiting
    =========================================================================
*/

#include "testutil.h"
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <poll.h>

struct _zt_proc_t {
    pid_t pid;                  //  Child process
    int out_fd;                 //  Read end of its stdout, or -1
    char buffer [8192];         //  Unread stdout
    size_t buffered;
    bool reaped;
    int status;
};

#define ZT_MAX_PROCS 64
static zt_proc_t *s_procs [ZT_MAX_PROCS];
static bool s_atexit = false;

static void
s_track (zt_proc_t *proc)
{
    if (!s_atexit) {
        atexit (zt_cleanup);
        s_atexit = true;
    }
    for (int index = 0; index < ZT_MAX_PROCS; index++)
        if (!s_procs [index]) {
            s_procs [index] = proc;
            return;
        }
}

static void
s_untrack (zt_proc_t *proc)
{
    for (int index = 0; index < ZT_MAX_PROCS; index++)
        if (s_procs [index] == proc)
            s_procs [index] = NULL;
}

static zt_proc_t *
s_proc_start (const char *const *argv, bool capture, bool with_stderr)
{
    int pipe_fds [2] = { -1, -1 };
    if (capture && pipe (pipe_fds))
        return NULL;
    pid_t parent = getpid ();
    pid_t pid = fork ();
    if (pid < 0)
        return NULL;
    if (pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        if (getppid () != parent)
            _exit (127);
        //  Criterion's sandbox map is for its own workers, not our programs
        unsetenv ("BXFI_MAP");
        if (capture) {
            dup2 (pipe_fds [1], STDOUT_FILENO);
            if (with_stderr)
                dup2 (pipe_fds [1], STDERR_FILENO);
            close (pipe_fds [0]);
            close (pipe_fds [1]);
        }
        execv (argv [0], (char *const *) argv);
        fprintf (stderr, "testutil: cannot exec %s: %s\n", argv [0], strerror (errno));
        _exit (127);
    }
    zt_proc_t *self = (zt_proc_t *) zmalloc (sizeof (zt_proc_t));
    self->pid = pid;
    self->out_fd = -1;
    if (capture) {
        close (pipe_fds [1]);
        self->out_fd = pipe_fds [0];
    }
    s_track (self);
    return self;
}

zt_proc_t *
zt_proc_start (const char *const *argv, bool capture)
{
    return s_proc_start (argv, capture, false);
}

int
zt_run (const char *const *argv, int timeout_ms, char **output_p)
{
    zt_proc_t *proc = s_proc_start (argv, true, true);
    if (!proc)
        return -1;
    int64_t deadline = zclock_mono () + timeout_ms;
    char *output = zt_proc_read_all (proc, timeout_ms);
    int64_t remaining = deadline - zclock_mono ();
    int rc = zt_proc_wait (proc, remaining > 0 ? (int) remaining : 0);
    zt_proc_stop (&proc, SIGKILL, 1000);
    if (output_p)
        *output_p = output;
    else
        free (output);
    return rc;
}

pid_t
zt_proc_pid (zt_proc_t *self)
{
    return self->pid;
}

//  Read what is available within timeout_ms; returns bytes read, 0 at EOF
//  or timeout, -1 on error
static int
s_fill (zt_proc_t *self, int timeout_ms)
{
    if (self->out_fd < 0 || self->buffered >= sizeof (self->buffer) - 1)
        return 0;
    struct pollfd item = { self->out_fd, POLLIN, 0 };
    if (poll (&item, 1, timeout_ms) <= 0)
        return 0;
    ssize_t size = read (self->out_fd, self->buffer + self->buffered,
                         sizeof (self->buffer) - 1 - self->buffered);
    if (size <= 0) {
        close (self->out_fd);
        self->out_fd = -1;
        return 0;
    }
    self->buffered += (size_t) size;
    return (int) size;
}

char *
zt_proc_read_line (zt_proc_t *self, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (true) {
        char *newline = (char *) memchr (self->buffer, '\n', self->buffered);
        if (newline) {
            size_t size = (size_t) (newline - self->buffer);
            char *line = (char *) malloc (size + 1);
            memcpy (line, self->buffer, size);
            line [size] = 0;
            self->buffered -= size + 1;
            memmove (self->buffer, newline + 1, self->buffered);
            return line;
        }
        int64_t remaining = deadline - zclock_mono ();
        if (remaining <= 0 || self->out_fd < 0)
            return NULL;
        s_fill (self, (int) remaining);
    }
}

char *
zt_proc_read_all (zt_proc_t *self, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (self->out_fd >= 0 && zclock_mono () < deadline)
        s_fill (self, (int) (deadline - zclock_mono ()));
    char *text = (char *) malloc (self->buffered + 1);
    memcpy (text, self->buffer, self->buffered);
    text [self->buffered] = 0;
    self->buffered = 0;
    return text;
}

int
zt_proc_wait (zt_proc_t *self, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (!self->reaped) {
        pid_t pid = waitpid (self->pid, &self->status, WNOHANG);
        if (pid == self->pid) {
            self->reaped = true;
            break;
        }
        if (zclock_mono () >= deadline)
            return -1;
        //  Keep its stdout drained so it never blocks on a full pipe
        if (self->out_fd >= 0 && self->buffered < sizeof (self->buffer) - 1)
            s_fill (self, 5);
        else
            zclock_sleep (5);
    }
    if (WIFEXITED (self->status))
        return WEXITSTATUS (self->status);
    if (WIFSIGNALED (self->status))
        return 128 + WTERMSIG (self->status);
    return -1;
}

int
zt_proc_stop (zt_proc_t **self_p, int signal, int timeout_ms)
{
    zt_proc_t *self = *self_p;
    if (!self)
        return -1;
    if (!self->reaped && signal)
        kill (self->pid, signal);
    int rc = zt_proc_wait (self, timeout_ms);
    if (rc == -1 && !self->reaped) {
        kill (self->pid, SIGKILL);
        rc = zt_proc_wait (self, 5000);
        if (rc != -1)
            rc = -1;            //  Had to be killed
    }
    if (self->out_fd >= 0)
        close (self->out_fd);
    s_untrack (self);
    free (self);
    *self_p = NULL;
    return rc;
}

void
zt_cleanup (void)
{
    for (int index = 0; index < ZT_MAX_PROCS; index++)
        if (s_procs [index]) {
            zt_proc_t *proc = s_procs [index];
            zt_proc_stop (&proc, SIGKILL, 5000);
        }
}

const char *
zt_path (const char *folder, const char *name)
{
    static char paths [8][512];
    static int next = 0;
    char *path = paths [next++ % 8];
    snprintf (path, 512, "%s/%s", streq (folder, "bin") ? ZAF_BIN_DIR : ZAF_LIB_DIR, name);
    return path;
}

zt_proc_t *
zt_broker_start (int heartbeat_ms, char **endpoint_p)
{
    char heartbeat [32];
    snprintf (heartbeat, sizeof (heartbeat), "%d", heartbeat_ms > 0 ? heartbeat_ms : 1000);
    const char *argv [] = {
        zt_path ("bin", "zaf-broker"), "--bind", "tcp://127.0.0.1:0",
        "--heartbeat-ms", heartbeat, NULL
    };
    zt_proc_t *broker = zt_proc_start (argv, true);
    if (!broker)
        return NULL;
    char *line = zt_proc_read_line (broker, 10000);
    if (!line || strncmp (line, "listening ", 10)) {
        free (line);
        zt_proc_stop (&broker, SIGKILL, 1000);
        return NULL;
    }
    *endpoint_p = strdup (line + 10);
    free (line);
    return broker;
}

zt_proc_t *
zt_node_start (const char *endpoint, const char *name, const char *extra_module)
{
    const char *argv [] = {
        zt_path ("bin", "zaf-node"), "--broker", endpoint, "--name", name, "--cpus", "4",
        "--module", zt_path ("lib", "libzaf_test_actors.so"),
        extra_module ? "--module" : NULL, extra_module, NULL
    };
    return zt_proc_start (argv, false);
}

//  Count the nodes the broker lists
static int
s_node_count (zaf_t *z)
{
    zaf_error_t err;
    cJSON *status = zaf_client_status (z, NULL, 2000, &err);
    int count = status ? cJSON_GetArraySize (cJSON_GetObjectItem (status, "nodes")) : -1;
    cJSON_Delete (status);
    return count;
}

bool
zt_wait_nodes (zaf_t *z, int n, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        if (s_node_count (z) == n)
            return true;
        zclock_sleep (20);
    }
    return false;
}

char *
zt_actor_node (zaf_t *z, const char *actor_id)
{
    zaf_error_t err;
    cJSON *status = zaf_client_status (z, zaf_json ("{\"actors\":true,\"limit\":100000}"), 2000, &err);
    char *node = NULL;
    const cJSON *actor;
    cJSON_ArrayForEach (actor, cJSON_GetObjectItem (status, "actors"))
        if (streq (zaf_json_string (actor, "id", ""), actor_id))
            node = strdup (zaf_json_string (actor, "node", ""));
    cJSON_Delete (status);
    return node;
}
