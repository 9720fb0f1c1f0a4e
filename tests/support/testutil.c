/*  =========================================================================
    testutil - what the test suites share: processes, clusters, waiting
    =========================================================================
*/

#include "testutil.h"
#include <criterion/criterion.h>
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
            zclock_sleep (5);   //  Poll interval: waitpid is checked again
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

//  Start zaf-broker bound to bind and wait for it to say where it listens;
//  *endpoint_p gets that endpoint (caller frees). Returns NULL if it did not.
static zt_proc_t *
s_broker_start (const char *bind, int heartbeat_ms, char **endpoint_p)
{
    char heartbeat [32];
    snprintf (heartbeat, sizeof (heartbeat), "%d", heartbeat_ms > 0 ? heartbeat_ms : 1000);
    const char *argv [] = {
        zt_path ("bin", "zaf-broker"), "--bind", bind, "--heartbeat-ms", heartbeat, NULL
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
zt_broker_start (int heartbeat_ms, char **endpoint_p)
{
    return s_broker_start ("tcp://127.0.0.1:0", heartbeat_ms, endpoint_p);
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

//  --------------------------------------------------------------------------
//  Waiting for a condition

bool
zt_wait_until (zt_cond_fn *cond, void *arg, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (!cond (arg)) {
        if (zclock_mono () >= deadline)
            return false;
        //  A poll interval, not a wait for anything: the condition is
        //  checked again at once
        zclock_sleep (5);
    }
    return true;
}

int
zt_status_count (zaf_t *z, const char *list)
{
    zaf_error_t err;
    cJSON *query = streq (list, "actors") ? zaf_json ("{\"actors\":true,\"limit\":100000}") : NULL;
    cJSON *status = zaf_client_status (z, query, 2000, &err);
    //  The list is cut past a page (1000); the total beside it is not
    char key [32];
    snprintf (key, sizeof (key), "%s_total", list);
    const cJSON *total = status ? cJSON_GetObjectItem (status, key) : NULL;
    int count = cJSON_IsNumber (total) ? (int) total->valuedouble
              : status ? cJSON_GetArraySize (cJSON_GetObjectItem (status, list)) : -1;
    cJSON_Delete (status);
    return count;
}

typedef struct {
    zaf_t *z;
    int n;
    const char *actor_id;
} count_wait_t;

static bool
s_nodes_are (void *arg)
{
    count_wait_t *wait = (count_wait_t *) arg;
    return zt_status_count (wait->z, "nodes") == wait->n;
}

bool
zt_wait_nodes (zaf_t *z, int n, int timeout_ms)
{
    count_wait_t wait = { z, n, NULL };
    return zt_wait_until (s_nodes_are, &wait, timeout_ms);
}

int
zt_actor_pending (zaf_t *z, const char *actor_id)
{
    zaf_error_t err;
    cJSON *status = zaf_client_status (z, zaf_json ("{\"actors\":true,\"limit\":100000}"), 2000, &err);
    int pending = -1;
    const cJSON *item;
    cJSON_ArrayForEach (item, cJSON_GetObjectItem (status, "actors"))
        if (streq (zaf_json_string (item, "id", ""), actor_id))
            pending = (int) zaf_json_number (item, "pending", -1);
    cJSON_Delete (status);
    return pending;
}

static bool
s_pending_reached (void *arg)
{
    count_wait_t *wait = (count_wait_t *) arg;
    return zt_actor_pending (wait->z, wait->actor_id) >= wait->n;
}

bool
zt_wait_pending (zaf_t *z, const char *actor_id, int n, int timeout_ms)
{
    count_wait_t wait = { z, n, actor_id };
    return zt_wait_until (s_pending_reached, &wait, timeout_ms);
}

//  Look one item up in the broker's STATUS (query: NULL for the default;
//  taken): in its array `list`, the item whose `key` is `value`. Returns
//  a copy of that item's `field` (the last such item's), or NULL. Caller
//  frees.
static char *
s_status_lookup (zaf_t *z, cJSON *query, const char *list, const char *key,
                 const char *value, const char *field)
{
    zaf_error_t err;
    cJSON *status = zaf_client_status (z, query, 2000, &err);
    char *found = NULL;
    const cJSON *item;
    cJSON_ArrayForEach (item, cJSON_GetObjectItem (status, list))
        if (streq (zaf_json_string (item, key, ""), value)) {
            free (found);
            found = strdup (zaf_json_string (item, field, ""));
        }
    cJSON_Delete (status);
    return found;
}

char *
zt_actor_node (zaf_t *z, const char *actor_id)
{
    return s_status_lookup (z, zaf_json ("{\"actors\":true,\"limit\":100000}"),
                            "actors", "id", actor_id, "node");
}

//  --------------------------------------------------------------------------
//  Return the peer id the broker has for the named node, or NULL

char *
zt_node_peer (zaf_t *z, const char *name)
{
    return s_status_lookup (z, NULL, "nodes", "name", name, "peer");
}

//  --------------------------------------------------------------------------
//  Call a method and wait for the answer

cJSON *
zt_call (zaf_t *z, zaf_actor_t *actor, const char *method, cJSON *args,
         int timeout_ms, zaf_error_t *err)
{
    zaf_future_t *future = zaf_call (z, actor, method, args);
    cJSON *result = zaf_get (z, &future, timeout_ms, err);
    zaf_future_destroy (&future);
    return result;
}

//  --------------------------------------------------------------------------
//  Call a method that must answer a number

typedef struct {
    zaf_t *z;
    zaf_actor_t *actor;
    const char *method;
    const char *args;
    int try_ms;
    cJSON *result;
    zaf_error_t *err;
} call_wait_t;

static bool
s_call_answers (void *arg)
{
    call_wait_t *wait = (call_wait_t *) arg;
    cJSON *args = wait->args ? cJSON_Parse (wait->args) : NULL;
    wait->result = zt_call (wait->z, wait->actor, wait->method, args, wait->try_ms, wait->err);
    return wait->result != NULL;
}

cJSON *
zt_call_until (zaf_t *z, zaf_actor_t *actor, const char *method, const char *args,
               int try_ms, int timeout_ms, zaf_error_t *err)
{
    call_wait_t wait = { z, actor, method, args, try_ms, NULL, err };
    zt_wait_until (s_call_answers, &wait, timeout_ms);
    return wait.result;
}

typedef struct {
    zaf_t *z;
    const char *name;
    const char *before;
    char *after;
} peer_wait_t;

static bool
s_new_peer (void *arg)
{
    peer_wait_t *wait = (peer_wait_t *) arg;
    free (wait->after);
    wait->after = zt_node_peer (wait->z, wait->name);
    return wait->after && (!wait->before || strneq (wait->after, wait->before));
}

char *
zt_wait_new_peer (zaf_t *z, const char *name, const char *before, int timeout_ms)
{
    peer_wait_t wait = { z, name, before, NULL };
    if (!zt_wait_until (s_new_peer, &wait, timeout_ms))
        zstr_free (&wait.after);
    return wait.after;
}

double
zt_call_number (zaf_t *z, zaf_actor_t *actor, const char *method, cJSON *args,
                int timeout_ms)
{
    zaf_error_t err;
    cJSON *result = zt_call (z, actor, method, args, timeout_ms, &err);
    cr_assert_not_null (result, "%s failed: %s %s", method, zaf_code_name (err.code), err.message);
    cr_assert (cJSON_IsNumber (result), "%s did not answer a number", method);
    double value = result->valuedouble;
    cJSON_Delete (result);
    return value;
}

//  --------------------------------------------------------------------------
//  Return a borrowed handle for an actor id

zaf_actor_t *
zt_actor_handle (const char *id)
{
    cJSON *json = cJSON_CreateObject ();
    cJSON_AddStringToObject (json, "$actor", id);
    zaf_actor_t *actor = zaf_actor_from_json (json);
    cJSON_Delete (json);
    cr_assert_not_null (actor, "no actor handle from id %s", id ? id : "(null)");
    return actor;
}

//  --------------------------------------------------------------------------
//  Start a broker, nodes and a driver, and wait for the nodes

void
zt_cluster_start (zt_cluster_t *self, int heartbeat_ms, const char *prefix,
                  int nodes, const char *extra_module)
{
    assert (self);
    assert (prefix && strlen (prefix) < sizeof (self->prefix));
    assert (nodes >= 0 && nodes <= ZT_NODES_MAX);
    memset (self, 0, sizeof (*self));
    snprintf (self->prefix, sizeof (self->prefix), "%s", prefix);
    //  A copy: zt_path's strings are reused by later calls
    self->extra_module = extra_module ? strdup (extra_module) : NULL;
    self->broker = zt_broker_start (heartbeat_ms, &self->endpoint);
    cr_assert_not_null (self->broker, "zaf-broker did not start");
    self->nodes_count = nodes;
    for (int index = 0; index < nodes; index++)
        cr_assert_not_null (zt_cluster_node_start (self, index), "zaf-node %s%d did not start",
                            self->prefix, index + 1);
    self->z = zaf_init (self->endpoint);
    cr_assert_not_null (self->z);
    cr_assert (zt_wait_nodes (self->z, nodes, 10000), "nodes did not register");
}

//  --------------------------------------------------------------------------
//  Start node index again, with the same name and modules

zt_proc_t *
zt_cluster_node_start (zt_cluster_t *self, int index)
{
    assert (self);
    assert (index >= 0 && index < self->nodes_count);
    assert (!self->nodes [index]);
    char name [32];
    snprintf (name, sizeof (name), "%s%d", self->prefix, index + 1);
    self->nodes [index] = zt_node_start (self->endpoint, name, self->extra_module);
    return self->nodes [index];
}

//  --------------------------------------------------------------------------
//  Kill the broker and start a new one on the same endpoint

void
zt_cluster_broker_restart (zt_cluster_t *self, int heartbeat_ms)
{
    assert (self);
    zt_proc_stop (&self->broker, SIGKILL, 5000);
    char *endpoint = NULL;
    self->broker = s_broker_start (self->endpoint, heartbeat_ms, &endpoint);
    cr_assert_not_null (self->broker, "restarted broker did not bind %s", self->endpoint);
    free (endpoint);
}

//  Stop one process of the cluster with SIGTERM (what and index name it in
//  the log); true if it exited 0 or was stopped already
static bool
s_cluster_proc_stop (zt_proc_t **proc_p, const char *what, int index)
{
    zt_proc_t *proc = *proc_p;
    if (!proc)
        return true;
    pid_t pid = proc->pid;
    if (!proc->reaped)
        kill (pid, SIGCONT);
    int rc = zt_proc_stop (proc_p, SIGTERM, 10000);
    if (rc != 0)
        zsys_warning ("testutil: %s did not stop cleanly on SIGTERM index=%d pid=%d rc=%d",
                      what, index, (int) pid, rc);
    return rc == 0;
}

//  --------------------------------------------------------------------------
//  Shut the driver down, stop the nodes and the broker, free the struct's
//  contents; true if every process stopped exited 0

bool
zt_cluster_stop (zt_cluster_t *self)
{
    assert (self);
    zaf_shutdown (&self->z);
    bool clean = true;
    for (int index = 0; index < self->nodes_count; index++)
        if (!s_cluster_proc_stop (&self->nodes [index], "node", index))
            clean = false;
    if (!s_cluster_proc_stop (&self->broker, "broker", 0))
        clean = false;
    free (self->endpoint);
    self->endpoint = NULL;
    free (self->extra_module);
    self->extra_module = NULL;
    return clean;
}
