/*  =========================================================================
    test_dashboard - the broker's dashboard, JSON API and /metrics, live

    A real zaf-broker (its dashboard on 127.0.0.1, port 0) and real zaf-node
    processes; the test reads the dashboard over real HTTP connections it
    makes itself. It checks that the API and /metrics follow what happens
    (spawns, calls, a failing method, a kill, a restart, a lost node), that
    promtool accepts /metrics, that hostile clients (slowloris, 1,000
    connections, huge headers, bad paths and methods) neither stall calls
    nor crash the broker, and how the address is chosen (busy port, off,
    bad address, embedded cluster).
    =========================================================================
*/

#include "testutil.h"
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <poll.h>

#define HEARTBEAT_MS    200

static void
s_setup (void)
{
    zsys_set_logstream (stderr);
    signal (SIGPIPE, SIG_IGN);
}

TestSuite (dashboard, .init = s_setup, .fini = zt_cleanup, .timeout = 120);

//  --------------------------------------------------------------------------
//  A cluster whose broker serves its dashboard on an ephemeral port

typedef struct {
    zt_proc_t *broker;
    zt_proc_t *nodes [2];
    char *endpoint;
    int port;                   //  The dashboard's
    zaf_t *z;
} cluster_t;

//  Start zaf-broker with extra flags; read "listening" and, if asked,
//  "dashboard" lines. Returns the process; *port_p gets the port (0: none)
static zt_proc_t *
s_broker (const char *dashboard, char **endpoint_p, int *port_p)
{
    const char *argv [] = {
        zt_path ("bin", "zaf-broker"), "--bind", "tcp://127.0.0.1:0", "--heartbeat-ms", "200",
        "--dashboard", dashboard, NULL
    };
    zt_proc_t *broker = zt_proc_start (argv, true);
    cr_assert_not_null (broker);
    char *line = zt_proc_read_line (broker, 10000);
    cr_assert (line && strncmp (line, "listening ", 10) == 0, "broker said '%s'", line ? line : "");
    *endpoint_p = strdup (line + 10);
    free (line);
    *port_p = 0;
    if (strneq (dashboard, "off")) {
        line = zt_proc_read_line (broker, 10000);
        cr_assert (line && strncmp (line, "dashboard http://127.0.0.1:", 27) == 0,
                   "broker said '%s'", line ? line : "");
        *port_p = atoi (line + 27);
        free (line);
        cr_assert_gt (*port_p, 0);
    }
    return broker;
}

static void
s_cluster_start (cluster_t *self)
{
    memset (self, 0, sizeof (*self));
    self->broker = s_broker ("127.0.0.1:0", &self->endpoint, &self->port);
    self->nodes [0] = zt_node_start (self->endpoint, "n1", NULL);
    self->nodes [1] = zt_node_start (self->endpoint, "n2", NULL);
    self->z = zaf_init (self->endpoint);
    cr_assert_not_null (self->z);
    cr_assert (zt_wait_nodes (self->z, 2, 10000), "nodes did not register");
}

static void
s_cluster_stop (cluster_t *self)
{
    zaf_shutdown (&self->z);
    for (int index = 0; index < 2; index++)
        if (self->nodes [index])
            zt_proc_stop (&self->nodes [index], SIGTERM, 10000);
    int status = zt_proc_stop (&self->broker, SIGTERM, 10000);
    cr_expect (WIFEXITED (status) && WEXITSTATUS (status) == 0,
               "the broker did not exit cleanly (status %d)", status);
    free (self->endpoint);
}

//  --------------------------------------------------------------------------
//  A small HTTP client: one request on a fresh connection, read to close

static int
s_connect (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    cr_assert_geq (fd, 0);
    struct sockaddr_in where = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    inet_pton (AF_INET, "127.0.0.1", &where.sin_addr);
    struct timeval timeout = { .tv_sec = 5 };
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof (timeout));
    setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof (timeout));
    if (connect (fd, (struct sockaddr *) &where, sizeof (where))) {
        close (fd);
        return -1;
    }
    return fd;
}

//  Send raw bytes, read the answer until close (at most 4 MB, 5 s). Returns
//  the HTTP status (0: no answer) and the body in *body_p (caller frees).
static int
s_raw (int port, const char *request, size_t size, char **body_p)
{
    if (body_p)
        *body_p = NULL;
    int fd = s_connect (port);
    if (fd < 0)
        return 0;
    size_t sent = 0;
    while (sent < size) {
        ssize_t rc = send (fd, request + sent, size - sent, MSG_NOSIGNAL);
        if (rc <= 0)
            break;          //  The server may close on us: read its answer
        sent += (size_t) rc;
    }
    size_t capacity = 65536, length = 0;
    char *answer = (char *) malloc (capacity + 1);
    int64_t deadline = zclock_mono () + 5000;
    while (zclock_mono () < deadline && length < 4 * 1024 * 1024) {
        if (length == capacity) {
            capacity *= 2;
            answer = (char *) realloc (answer, capacity + 1);
        }
        ssize_t rc = recv (fd, answer + length, capacity - length, 0);
        if (rc <= 0)
            break;
        length += (size_t) rc;
    }
    close (fd);
    answer [length] = 0;
    int status = 0;
    if (length > 12 && strncmp (answer, "HTTP/1.", 7) == 0)
        status = atoi (answer + 9);
    char *body = strstr (answer, "\r\n\r\n");
    if (body_p && body)
        *body_p = strdup (body + 4);
    free (answer);
    return status;
}

static int
s_get (int port, const char *path, char **body_p)
{
    char request [1024];
    snprintf (request, sizeof (request), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
    return s_raw (port, request, strlen (request), body_p);
}

//  GET a JSON answer (200) as a tree the caller deletes, or NULL
static cJSON *
s_json (int port, const char *path)
{
    char *body;
    int status = s_get (port, path, &body);
    cJSON *json = status == 200 && body ? cJSON_Parse (body) : NULL;
    free (body);
    return json;
}

//  --------------------------------------------------------------------------
//  Conditions on the API

typedef struct {
    int port;
    const char *id;             //  Actor
    const char *state;          //  Wanted state, or NULL
    const char *cause;          //  Wanted cause, or NULL
    int calls, failed, restarts;    //  At least
    const char *method;         //  A method whose histogram counts >= method_calls
    int method_calls;
    const char *node;           //  Node that must be LOST
} want_t;

static bool
s_actor_is (void *arg)
{
    want_t *want = (want_t *) arg;
    char path [128];
    snprintf (path, sizeof (path), "/api/actors/%s", want->id);
    cJSON *actor = s_json (want->port, path);
    bool ok = actor
        && (!want->state || streq (zaf_json_string (actor, "state", ""), want->state))
        && (!want->cause || streq (zaf_json_string (actor, "cause", ""), want->cause))
        && zaf_json_int (actor, "calls", 0) >= want->calls
        && zaf_json_int (actor, "failed", 0) >= want->failed
        && zaf_json_int (actor, "restarts", 0) >= want->restarts;
    if (ok && want->method) {
        ok = false;
        const cJSON *method;
        cJSON_ArrayForEach (method, cJSON_GetObjectItem (actor, "methods"))
            if (streq (zaf_json_string (method, "name", ""), want->method)) {
                int in_buckets = 0;
                const cJSON *bucket;
                cJSON_ArrayForEach (bucket, cJSON_GetObjectItem (method, "buckets"))
                    in_buckets += zaf_json_int (bucket, "count", 0);
                ok = zaf_json_int (method, "calls", 0) >= want->method_calls
                  && in_buckets >= want->method_calls
                  && zaf_json_number (method, "p99_ms", -1) > 0;
            }
    }
    cJSON_Delete (actor);
    return ok;
}

static bool
s_node_lost (void *arg)
{
    want_t *want = (want_t *) arg;
    cJSON *answer = s_json (want->port, "/api/nodes");
    bool lost = false;
    const cJSON *node;
    cJSON_ArrayForEach (node, cJSON_GetObjectItem (answer, "nodes"))
        if (streq (zaf_json_string (node, "name", ""), want->node)
        &&  streq (zaf_json_string (node, "state", ""), "LOST"))
            lost = true;
    cJSON_Delete (answer);
    return lost;
}

static bool
s_node_up (void *arg)
{
    want_t *want = (want_t *) arg;
    cJSON *answer = s_json (want->port, "/api/nodes");
    bool up = false;
    const cJSON *node;
    cJSON_ArrayForEach (node, cJSON_GetObjectItem (answer, "nodes"))
        if (streq (zaf_json_string (node, "name", ""), want->node)
        &&  streq (zaf_json_string (node, "state", ""), "UP"))
            up = true;
    cJSON_Delete (answer);
    return up;
}

//  Does /metrics hold this exact line?
typedef struct {
    int port;
    const char *line;
} metric_t;

static bool
s_metric_has (void *arg)
{
    metric_t *metric = (metric_t *) arg;
    char *body;
    int status = s_get (metric->port, "/metrics", &body);
    bool found = status == 200 && body && strstr (body, metric->line);
    free (body);
    return found;
}

//  Call a Counter's add n times
static void
s_adds (zaf_t *z, zaf_actor_t *actor, int count)
{
    for (int index = 0; index < count; index++)
        zt_call_number (z, actor, "add", zaf_json ("[1]"), 10000);
}

//  --------------------------------------------------------------------------

Test (dashboard, the_api_and_metrics_follow_the_cluster)
{
    cluster_t cluster;
    s_cluster_start (&cluster);
    zaf_t *z = cluster.z;
    zaf_error_t err;

    //  A spawn shows; calls are counted and timed per method
    zaf_spawn_opts_t on_n1 = { .node = "n1" };
    zaf_actor_t *counter = zaf_spawn (z, "Counter", NULL, &on_n1, &err);
    cr_assert_not_null (counter, "%s", err.message);
    s_adds (z, counter, 5);
    want_t want = { .port = cluster.port, .id = zaf_actor_id (counter), .state = "ALIVE",
                    .calls = 5, .method = "add", .method_calls = 5 };
    cr_assert (zt_wait_until (s_actor_is, &want, 10000),
               "the API did not show 5 timed calls of add on an ALIVE actor");
    cJSON *page = s_json (cluster.port, "/api/actors?class=Counter&state=ALIVE");
    cr_assert_not_null (page);
    cr_expect_eq (zaf_json_int (page, "matched", 0), 1);
    cr_expect_str_eq (zaf_json_string (cJSON_GetArrayItem (cJSON_GetObjectItem (page, "actors"), 0),
                                       "node", ""), "n1");
    cJSON_Delete (page);

    //  A failing method counts as failed
    cJSON *failed = zt_call (z, counter, "fail", zaf_json ("[\"on purpose\"]"), 10000, &err);
    cr_assert_null (failed);
    cr_assert_eq (err.code, ZAF_METHOD_FAILED);
    want.calls = 6;
    want.failed = 1;
    want.method = "fail";
    want.method_calls = 1;
    cr_assert (zt_wait_until (s_actor_is, &want, 10000), "the failed call was not counted");

    //  A killed actor is DEAD with cause killed, in the API and /metrics
    zaf_actor_t *victim = zaf_spawn (z, "Counter", NULL, &on_n1, &err);
    cr_assert_not_null (victim, "%s", err.message);
    char victim_id [80];
    snprintf (victim_id, sizeof (victim_id), "%s", zaf_actor_id (victim));
    cr_assert_eq (zaf_kill (z, victim, &err), 0, "%s", err.message);
    want_t dead = { .port = cluster.port, .id = victim_id, .state = "DEAD", .cause = "killed" };
    cr_assert (zt_wait_until (s_actor_is, &dead, 10000), "the killed actor is not DEAD (killed)");
    metric_t killed = { cluster.port, "zaf_actor_deaths_total{cause=\"killed\"} 1\n" };
    cr_assert (zt_wait_until (s_metric_has, &killed, 10000), "/metrics does not count the kill");
    page = s_json (cluster.port, "/api/actors?state=DEAD");
    cr_assert_not_null (page);
    cr_expect_eq (zaf_json_int (page, "matched", 0), 1);
    cJSON_Delete (page);

    //  A restartable actor on n2; n2 is lost: the node shows LOST and the
    //  actor comes back on n1 with one restart
    zaf_spawn_opts_t restartable = { .node = "n2", .max_restarts = 1 };
    zaf_actor_t *phoenix = zaf_spawn (z, "Counter", NULL, &restartable, &err);
    cr_assert_not_null (phoenix, "%s", err.message);
    s_adds (z, phoenix, 1);
    zt_proc_stop (&cluster.nodes [1], SIGKILL, 5000);
    want_t lost = { .port = cluster.port, .node = "n2" };
    cr_assert (zt_wait_until (s_node_lost, &lost, 10000), "n2 is not shown LOST");
    cJSON *value = zt_call_until (z, phoenix, "get", NULL, 1000, 15000, &err);
    cr_assert_not_null (value, "the restartable actor did not come back: %s", err.message);
    cJSON_Delete (value);
    want_t restarted = { .port = cluster.port, .id = zaf_actor_id (phoenix), .state = "ALIVE",
                         .restarts = 1 };
    cr_assert (zt_wait_until (s_actor_is, &restarted, 10000), "the restart is not shown");
    metric_t restarts = { cluster.port, "zaf_actor_restarts_total{actor=\"" };
    cr_assert (zt_wait_until (s_metric_has, &restarts, 10000));

    //  The summary agrees; /metrics passes promtool
    cJSON *summary = s_json (cluster.port, "/api/summary");
    cr_assert_not_null (summary);
    cr_expect_eq (zaf_json_int (summary, "nodes", 0), 1);
    cr_expect_eq (zaf_json_int (summary, "nodes_lost", 0), 1);
    cr_expect_eq (zaf_json_int (cJSON_GetObjectItem (summary, "actors"), "ALIVE", 0), 2);
    cJSON_Delete (summary);
    char *metrics;
    cr_assert_eq (s_get (cluster.port, "/metrics", &metrics), 200);
    cr_assert (strstr (metrics, "zaf_method_latency_seconds_bucket{class=\"Counter\",method=\"add\",le=\"+Inf\"}"));
    char path [] = "/tmp/zaf-metrics-XXXXXX";
    int fd = mkstemp (path);
    cr_assert_geq (fd, 0);
    cr_assert_eq (write (fd, metrics, strlen (metrics)), (ssize_t) strlen (metrics));
    close (fd);
    free (metrics);
    char command [256];
    snprintf (command, sizeof (command), "promtool check metrics < %s", path);
    const char *argv [] = { "/bin/sh", "-c", command, NULL };
    char *output = NULL;
    int rc = zt_run (argv, 30000, &output);
    unlink (path);
    cr_expect_eq (rc, 0, "promtool check metrics failed (%d): %s", rc, output ? output : "");
    free (output);

    zaf_actor_destroy (&victim);
    zaf_actor_destroy (&phoenix);
    zaf_actor_destroy (&counter);
    s_cluster_stop (&cluster);
}

//  --------------------------------------------------------------------------

//  Calls go through while something hostile goes on
static void
s_routing_works (zaf_t *z, zaf_actor_t *actor, const char *during)
{
    int64_t started = zclock_mono ();
    for (int index = 0; index < 50; index++) {
        zaf_error_t err;
        cJSON *result = zt_call (z, actor, "echo", zaf_json ("[1]"), 5000, &err);
        cr_assert_not_null (result, "a call failed during %s: %s", during, err.message);
        cJSON_Delete (result);
    }
    //  Not a timing assertion: 50 calls far below any client timeout
    cr_log_info ("50 calls during %s: %" PRId64 " ms", during, zclock_mono () - started);
}

Test (dashboard, hostile_clients_neither_stall_calls_nor_crash_the_broker)
{
    cluster_t cluster;
    s_cluster_start (&cluster);
    zaf_t *z = cluster.z;
    zaf_error_t err;
    zaf_actor_t *actor = zaf_spawn (z, "Counter", NULL, NULL, &err);
    cr_assert_not_null (actor, "%s", err.message);

    //  Slowloris: 32 connections that never finish their headers
    int slow [32];
    for (int index = 0; index < 32; index++) {
        slow [index] = s_connect (cluster.port);
        cr_assert_geq (slow [index], 0);
        const char *start = "GET /api/summary HTTP/1.1\r\nHost: x\r\nX-Slow: ";
        cr_assert_gt (send (slow [index], start, strlen (start), MSG_NOSIGNAL), 0);
    }
    s_routing_works (z, actor, "slowloris");
    cJSON *summary = s_json (cluster.port, "/api/summary");
    cr_assert_not_null (summary, "the API did not answer beside 32 slow clients");
    cJSON_Delete (summary);
    for (int index = 0; index < 32; index++)
        close (slow [index]);

    //  1,000 connections at once: the server refuses what is over its
    //  limits; calls go on
    int many [1000];
    int opened = 0;
    for (int index = 0; index < 1000; index++) {
        many [index] = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in where = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) cluster.port) };
        inet_pton (AF_INET, "127.0.0.1", &where.sin_addr);
        if (many [index] >= 0
        && (connect (many [index], (struct sockaddr *) &where, sizeof (where)) == 0 || errno == EINPROGRESS))
            opened++;
    }
    cr_log_info ("%d of 1000 connections opened", opened);
    s_routing_works (z, actor, "1,000 connections");
    for (int index = 0; index < 1000; index++)
        if (many [index] >= 0)
            close (many [index]);

    //  Huge headers: refused (431 or closed), nothing else changes
    size_t huge_size = 1024 * 1024;
    char *huge = (char *) malloc (huge_size + 64);
    int length = snprintf (huge, 64, "GET / HTTP/1.1\r\nX-Huge: ");
    memset (huge + length, 'a', huge_size - (size_t) length - 4);
    memcpy (huge + huge_size - 4, "\r\n\r\n", 4);
    int status = s_raw (cluster.port, huge, huge_size, NULL);
    cr_expect (status == 0 || status == 431 || status == 413 || status == 400,
               "huge headers answered %d", status);
    free (huge);

    //  Bad paths, methods and queries: clear errors
    cr_expect_eq (s_get (cluster.port, "/nope", NULL), 404);
    cr_expect_eq (s_get (cluster.port, "/../../etc/passwd", NULL), 404);
    cr_expect_eq (s_get (cluster.port, "/api/actors/no-such-actor", NULL), 404);
    cr_expect_eq (s_get (cluster.port, "/api/actors?limit=-1", NULL), 400);
    cr_expect_eq (s_get (cluster.port, "/api/actors?limit=100000", NULL), 400);
    cr_expect_eq (s_get (cluster.port, "/api/actors?offset=x", NULL), 400);
    cr_expect_eq (s_get (cluster.port, "/api/actors?sort=name", NULL), 400);
    char *long_path = (char *) malloc (8192);
    memset (long_path, 'a', 8191);
    long_path [0] = '/';
    long_path [8191] = 0;
    status = s_get (cluster.port, long_path, NULL);
    cr_expect (status == 414 || status == 404 || status == 431 || status == 0,
               "a long path answered %d", status);
    free (long_path);
    const char *post = "POST /api/summary HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc";
    cr_expect_eq (s_raw (cluster.port, post, strlen (post), NULL), 405);
    const char *junk = "\x01\x02\xff garbage\r\n\r\n";
    status = s_raw (cluster.port, junk, strlen (junk), NULL);
    cr_expect (status == 0 || status == 400, "junk answered %d", status);

    //  Still serving, still routing
    s_routing_works (z, actor, "the aftermath");
    summary = s_json (cluster.port, "/api/summary");
    cr_assert_not_null (summary, "the API stopped answering");
    cJSON_Delete (summary);
    char *page;
    cr_assert_eq (s_get (cluster.port, "/", &page), 200);
    cr_expect (page && strstr (page, "zaf dashboard"));
    free (page);
    zaf_actor_destroy (&actor);
    s_cluster_stop (&cluster);
}

//  --------------------------------------------------------------------------

//  The summary answers 200 (the first snapshot is out)
static bool
s_summary_ok (void *arg)
{
    return s_get (*(int *) arg, "/api/summary", NULL) == 200;
}

Test (dashboard, the_address_busy_off_bad_and_embedded)
{
    //  A busy port is passed over: the next free one is taken
    int holder = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in where = { .sin_family = AF_INET };
    inet_pton (AF_INET, "127.0.0.1", &where.sin_addr);
    cr_assert_eq (bind (holder, (struct sockaddr *) &where, sizeof (where)), 0);
    cr_assert_eq (listen (holder, 1), 0);
    socklen_t size = sizeof (where);
    getsockname (holder, (struct sockaddr *) &where, &size);
    int busy = ntohs (where.sin_port);
    char address [64];
    snprintf (address, sizeof (address), "127.0.0.1:%d", busy);
    char *endpoint;
    int port;
    zt_proc_t *broker = s_broker (address, &endpoint, &port);
    cr_expect_neq (port, busy, "the busy port was taken twice");
    cr_expect_gt (port, busy);
    cr_expect (zt_wait_until (s_summary_ok, &port, 5000), "the dashboard on the next port does not answer");
    zaf_t *z = zaf_init (endpoint);
    cr_assert_not_null (z);
    cJSON *info = zaf_cluster_info (z);
    char url [64];
    snprintf (url, sizeof (url), "http://127.0.0.1:%d/", port);
    cr_expect_str_eq (zaf_json_string (info, "dashboard", ""), url);
    cJSON_Delete (info);
    zaf_shutdown (&z);
    zt_proc_stop (&broker, SIGTERM, 10000);
    free (endpoint);
    close (holder);

    //  off: no dashboard, and cluster info says null
    broker = s_broker ("off", &endpoint, &port);
    z = zaf_init (endpoint);
    cr_assert_not_null (z);
    info = zaf_cluster_info (z);
    cr_expect (cJSON_IsNull (cJSON_GetObjectItem (info, "dashboard")));
    cJSON_Delete (info);
    zaf_shutdown (&z);
    zt_proc_stop (&broker, SIGTERM, 10000);
    free (endpoint);

    //  A bad address: a clear error, exit 1
    const char *bad [] = { "nonsense", "127.0.0.1:99999", "localhost:80", ":80" };
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad [0]); index++) {
        const char *argv [] = {
            zt_path ("bin", "zaf-broker"), "--bind", "tcp://127.0.0.1:0", "--dashboard", bad [index], NULL
        };
        char *output = NULL;
        int rc = zt_run (argv, 10000, &output);
        cr_expect_eq (rc, 1, "--dashboard %s: exit %d", bad [index], rc);
        cr_expect (output && strstr (output, "cannot start the dashboard"), "%s", output ? output : "");
        free (output);
    }

    //  An embedded cluster serves one too, where ZAF_DASHBOARD says
    setenv ("ZAF_DASHBOARD", "127.0.0.1:0", 1);
    z = zaf_init (NULL);
    cr_assert_not_null (z);
    info = zaf_cluster_info (z);
    const char *embedded = zaf_json_string (info, "dashboard", "");
    cr_assert (strncmp (embedded, "http://127.0.0.1:", 17) == 0, "dashboard: '%s'", embedded);
    int embedded_port = atoi (embedded + 17);
    want_t node = { .port = embedded_port, .node = "embedded" };
    cr_expect (zt_wait_until (s_node_up, &node, 10000), "the embedded node is not shown");
    cJSON_Delete (info);
    zaf_shutdown (&z);
    unsetenv ("ZAF_DASHBOARD");
}

//  --------------------------------------------------------------------------

//  Run zaf with these words against endpoint; its exit code, output in *output_p
static int
s_zaf (const char *endpoint, char **output_p, const char *word1, const char *word2,
       const char *word3)
{
    const char *argv [] = { zt_path ("bin", "zaf"), "--address", endpoint, word1, word2, word3, NULL };
    return zt_run (argv, 20000, output_p);
}

typedef struct {
    const char *endpoint;
    const char *wanted [3];     //  Strings the output must all hold
    const char *word1, *word2, *word3;
} cli_want_t;

static bool
s_cli_shows (void *arg)
{
    cli_want_t *want = (cli_want_t *) arg;
    char *output = NULL;
    int rc = s_zaf (want->endpoint, &output, want->word1, want->word2, want->word3);
    bool ok = rc == 0 && output;
    for (int index = 0; ok && index < 3; index++)
        ok = !want->wanted [index] || strstr (output, want->wanted [index]);
    free (output);
    return ok;
}

Test (dashboard, the_cli_lists_states_and_prints_metrics_and_top)
{
    cluster_t cluster;
    s_cluster_start (&cluster);
    zaf_t *z = cluster.z;
    zaf_error_t err;
    zaf_actor_t *counter = zaf_spawn (z, "Counter", NULL, NULL, &err);
    cr_assert_not_null (counter, "%s", err.message);
    s_adds (z, counter, 3);
    zaf_actor_t *victim = zaf_spawn (z, "Counter", NULL, NULL, &err);
    cr_assert_not_null (victim, "%s", err.message);
    char victim_id [80];
    snprintf (victim_id, sizeof (victim_id), "%s", zaf_actor_id (victim));
    cr_assert_eq (zaf_kill (z, victim, &err), 0, "%s", err.message);

    //  list actors: the new columns, the live one ALIVE with its calls, the
    //  dead one with its cause
    cli_want_t list = { cluster.endpoint, { "MAILBOX", "P99_MS", "killed" }, "list", "actors", NULL };
    cr_assert (zt_wait_until (s_cli_shows, &list, 10000), "zaf list actors lacks the new columns");
    char *output = NULL;
    cr_assert_eq (s_zaf (cluster.endpoint, &output, "list", "actors", NULL), 0);
    char *live = strstr (output, zaf_actor_id (counter));
    cr_assert_not_null (live, "%s", output);
    cr_expect (strstr (live, "ALIVE"), "%s", output);
    char *dead = strstr (output, victim_id);
    cr_assert_not_null (dead, "%s", output);
    char *end = strchr (dead, '\n');
    if (end)
        *end = 0;               //  The dead actor's line only
    cr_expect (strstr (dead, "DEAD") && strstr (dead, "killed"), "%s", dead);
    free (output);

    //  metrics: the Prometheus text
    cli_want_t metrics = { cluster.endpoint, { "# TYPE zaf_actors gauge", "zaf_actor_deaths_total{cause=\"killed\"} 1",
                                               "zaf_actor_calls_total{actor=\"" }, "metrics", NULL, NULL };
    cr_assert (zt_wait_until (s_cli_shows, &metrics, 10000), "zaf metrics did not print the kill");

    //  top, once: the busiest actor first
    cr_assert_eq (s_zaf (cluster.endpoint, &output, "top", "--count", "1"), 0, "%s", output);
    cr_expect (strstr (output, "zaf top") && strstr (output, zaf_actor_id (counter)) && strstr (output, "n1"),
               "%s", output);
    free (output);
    zaf_actor_destroy (&victim);
    zaf_actor_destroy (&counter);
    s_cluster_stop (&cluster);

    //  Without a dashboard: a clear error
    char *endpoint;
    int port;
    zt_proc_t *broker = s_broker ("off", &endpoint, &port);
    cr_expect_eq (s_zaf (endpoint, &output, "metrics", NULL, NULL), 1);
    cr_expect (output && strstr (output, "serves no dashboard"), "%s", output ? output : "");
    free (output);
    zt_proc_stop (&broker, SIGTERM, 10000);
    free (endpoint);
}
