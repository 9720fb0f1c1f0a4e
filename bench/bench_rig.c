/*  =========================================================================
    bench_rig - the clusters a scenario measures: zaf's and the floor's

    Runs in the scenario runner's main thread. Every process it starts is a
    bench_proc_t (stopped by pid on destroy, and told to die with us);
    every thread it starts is joined on destroy, after the context they
    share has been shut down.
    =========================================================================
*/

#include "bench_classes.h"
#include "zaf_engine.h"         //  zaf_auth_keygen, zaf_auth_client_set
#include <pthread.h>
#include <stdatomic.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define STARTUP_MS  10000       //  For a process to come up and register

//  ==========================================================================
//  zaf

struct _bench_zaf_rig_t {
    bool tcp;
    zaf_t *driver;
    char endpoint [256];                        //  Broker endpoint for drivers
    bench_proc_t *broker;                       //  tcp: zaf-broker
    bench_proc_t *nodes [BENCH_MAX_NODES];      //  tcp: zaf-node
    char names [BENCH_MAX_NODES][32];           //  tcp: node names
    char keys [64];                             //  curve: the run's key directory
    int nbr_nodes;
    pthread_t poller;                           //  tcp+dash: the API's client
    bool polling;                               //  It runs
    atomic_bool stop_polling;
    int dashboard_port;
    long polls;                                 //  Requests it made
    bool verbose;
};

//  The dashboard's client: what the page asks for, every 100 ms, until
//  told to stop. Each answer is read whole; errors are counted as polls.
static void
s_http_get (int port, const char *path)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return;
    struct sockaddr_in where = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    inet_pton (AF_INET, "127.0.0.1", &where.sin_addr);
    struct timeval timeout = { .tv_sec = 2 };
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof (timeout));
    if (connect (fd, (struct sockaddr *) &where, sizeof (where)) == 0) {
        char request [256], buffer [16384];
        int length = snprintf (request, sizeof (request),
                               "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
        if (send (fd, request, (size_t) length, MSG_NOSIGNAL) == length)
            while (recv (fd, buffer, sizeof (buffer), 0) > 0)
                ;
    }
    close (fd);
}

static void *
s_poller (void *args)
{
    bench_zaf_rig_t *self = (bench_zaf_rig_t *) args;
    while (!atomic_load (&self->stop_polling)) {
        s_http_get (self->dashboard_port, "/api/summary");
        s_http_get (self->dashboard_port, "/api/nodes");
        s_http_get (self->dashboard_port, "/api/actors?offset=0&limit=50");
        s_http_get (self->dashboard_port, "/api/history");
        self->polls += 4;
        zclock_sleep (100);     //  The poll period
    }
    return NULL;
}

//  Start a program that prints "listening ENDPOINT" and read it back
static bench_proc_t *
s_start_listener (char *const argv [], bool verbose, char *endpoint, size_t max,
                  char *error, size_t error_max)
{
    bench_proc_t *proc = bench_proc_start (argv, verbose, false);
    if (!proc) {
        snprintf (error, error_max, "cannot start %s", argv [0]);
        return NULL;
    }
    char line [512];
    int64_t deadline = zclock_mono () + STARTUP_MS;
    while (zclock_mono () < deadline) {
        int64_t remaining = deadline - zclock_mono ();
        if (bench_proc_read_line (proc, line, sizeof (line), (int) remaining) < 0)
            break;
        size_t length = strlen (line + 10);
        if (strncmp (line, "listening ", 10) == 0 && length < max) {
            memcpy (endpoint, line + 10, length + 1);
            return proc;
        }
    }
    snprintf (error, error_max, "%s did not say where it listens", argv [0]);
    bench_proc_destroy (&proc);
    return NULL;
}

//  Wait until the broker lists `nodes` nodes. Returns 0 or -1.
static int
s_wait_nodes (zaf_t *driver, int nodes)
{
    int64_t deadline = zclock_mono () + STARTUP_MS;
    while (zclock_mono () < deadline && !zsys_interrupted) {
        cJSON *info = zaf_cluster_info (driver);
        int count = cJSON_GetArraySize (cJSON_GetObjectItem (info, "nodes"));
        cJSON_Delete (info);
        if (count >= nodes)
            return 0;
        zclock_sleep (20);
    }
    return -1;
}

bench_zaf_rig_t *
bench_zaf_rig_new (const bench_opts_t *opts, bool tcp, int nodes, char *error, size_t error_max)
{
    assert (opts);
    assert (nodes >= 1 && nodes <= BENCH_MAX_NODES);
    bench_zaf_rig_t *self = (bench_zaf_rig_t *) zmalloc (sizeof (bench_zaf_rig_t));
    assert (self);
    self->tcp = tcp;
    self->verbose = opts->verbose;
    if (!tcp) {
        //  One node, in this process, with BENCH_NODE_CPUS workers (the
        //  runner sets ZAF_CPUS before any thread starts)
        self->driver = zaf_init (NULL);
        if (!self->driver) {
            snprintf (error, error_max, "cannot start an embedded cluster");
            bench_zaf_rig_destroy (&self);
            return NULL;
        }
        self->nbr_nodes = 1;
        cJSON *info = zaf_cluster_info (self->driver);
        const char *broker = cJSON_GetStringValue (cJSON_GetObjectItem (info, "broker"));
        //  The first endpoint (inproc) serves more drivers in this process
        snprintf (self->endpoint, sizeof (self->endpoint), "%s", broker ? broker : "");
        char *space = strchr (self->endpoint, ' ');
        if (space)
            *space = 0;
        cJSON_Delete (info);
        return self;
    }
    char broker_path [1024], node_path [1024], module_path [1024];
    snprintf (broker_path, sizeof (broker_path), "%s/zaf-broker", opts->bin_dir);
    snprintf (node_path, sizeof (node_path), "%s/zaf-node", opts->bin_dir);
    snprintf (module_path, sizeof (module_path), "%s/libzaf_bench.so", opts->lib_dir);
    const char *missing = access (broker_path, X_OK) ? broker_path
                        : access (node_path, X_OK) ? node_path
                        : access (module_path, R_OK) ? module_path : NULL;
    if (missing) {
        snprintf (error, error_max, "%s not found (see --bin-dir, --lib-dir)", missing);
        bench_zaf_rig_destroy (&self);
        return NULL;
    }
    //  CURVE: a key directory of the run's own, the broker's --keys
    char broker_key [128] = "", node_key [128] = "", driver_key [128] = "";
    if (opts->curve) {
        snprintf (self->keys, sizeof (self->keys), "/tmp/zaf-bench-keys-XXXXXX");
        zaf_error_t err;
        if (!mkdtemp (self->keys)
        ||  zaf_auth_keygen (self->keys, "broker", "broker", &err)
        ||  zaf_auth_keygen (self->keys, "node", "node", &err)
        ||  zaf_auth_keygen (self->keys, "driver", "driver", &err)) {
            snprintf (error, error_max, "cannot write the run's keys in %s", self->keys);
            bench_zaf_rig_destroy (&self);
            return NULL;
        }
        snprintf (broker_key, sizeof (broker_key), "%s/broker.cert", self->keys);
        snprintf (node_key, sizeof (node_key), "%s/node.cert_secret", self->keys);
        snprintf (driver_key, sizeof (driver_key), "%s/driver.cert_secret", self->keys);
        if (zaf_auth_client_set (broker_key, driver_key, &err)) {
            snprintf (error, error_max, "%s", err.message);
            bench_zaf_rig_destroy (&self);
            return NULL;
        }
    }
    char *broker_argv [] = { broker_path, "--bind", "tcp://127.0.0.1:0",
                             "--dashboard", opts->dashboard ? "127.0.0.1:0" : "off",
                             opts->curve ? "--keys" : NULL, self->keys, NULL };
    self->broker = s_start_listener (broker_argv, opts->verbose, self->endpoint,
                                     sizeof (self->endpoint), error, error_max);
    if (!self->broker) {
        bench_zaf_rig_destroy (&self);
        return NULL;
    }
    if (opts->dashboard) {
        char line [512];
        if (bench_proc_read_line (self->broker, line, sizeof (line), STARTUP_MS) < 0
        ||  sscanf (line, "dashboard http://127.0.0.1:%d/", &self->dashboard_port) != 1) {
            snprintf (error, error_max, "the broker did not say where its dashboard is");
            bench_zaf_rig_destroy (&self);
            return NULL;
        }
        atomic_init (&self->stop_polling, false);
        self->polling = pthread_create (&self->poller, NULL, s_poller, self) == 0;
    }
    char cpus [16];
    snprintf (cpus, sizeof (cpus), "%d", BENCH_NODE_CPUS);
    for (int index = 0; index < nodes; index++) {
        snprintf (self->names [index], sizeof (self->names [index]), "bench-%c", 'a' + index);
        char *node_argv [] = {
            node_path, "--broker", self->endpoint, "--module", module_path,
            "--cpus", cpus, "--name", self->names [index],
            opts->curve ? "--broker-key" : NULL, broker_key, "--key", node_key, NULL
        };
        self->nodes [index] = bench_proc_start (node_argv, opts->verbose, false);
        if (!self->nodes [index]) {
            snprintf (error, error_max, "cannot start %s", node_path);
            bench_zaf_rig_destroy (&self);
            return NULL;
        }
        self->nbr_nodes++;
    }
    self->driver = zaf_init (self->endpoint);
    if (!self->driver) {
        snprintf (error, error_max, "cannot join the cluster at %s", self->endpoint);
        bench_zaf_rig_destroy (&self);
        return NULL;
    }
    if (s_wait_nodes (self->driver, nodes)) {
        snprintf (error, error_max, "%d node(s) did not register within %d ms",
                  nodes, STARTUP_MS);
        bench_zaf_rig_destroy (&self);
        return NULL;
    }
    return self;
}

void
bench_zaf_rig_destroy (bench_zaf_rig_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        bench_zaf_rig_t *self = *self_p;
        if (self->polling) {
            atomic_store (&self->stop_polling, true);
            pthread_join (self->poller, NULL);
            if (self->verbose)
                fprintf (stderr, "zaf-bench: the dashboard answered %ld requests\n", self->polls);
        }
        //  Embedded: this also stops the broker and the node
        zaf_shutdown (&self->driver);
        //  Nodes first, while their broker still listens; a node with
        //  thousands of actors takes a while to end them
        for (int index = 0; index < self->nbr_nodes; index++)
            if (self->nodes [index])
                kill (bench_proc_pid (self->nodes [index]), SIGTERM);
        for (int index = 0; index < self->nbr_nodes; index++)
            if (self->nodes [index]) {
                bench_proc_stop (self->nodes [index], 15000);
                bench_proc_destroy (&self->nodes [index]);
            }
        bench_proc_destroy (&self->broker);
        if (*self->keys) {
            zdir_t *dir = zdir_new (self->keys, "-");
            if (dir)
                zdir_remove (dir, true);
            zdir_destroy (&dir);
        }
        free (self);
        *self_p = NULL;
    }
}

zaf_t *
bench_zaf_rig_driver (bench_zaf_rig_t *self)
{
    assert (self);
    return self->driver;
}

zaf_t *
bench_zaf_rig_connect (bench_zaf_rig_t *self)
{
    assert (self);
    return *self->endpoint ? zaf_init (self->endpoint) : NULL;
}

const char *
bench_zaf_rig_node_name (bench_zaf_rig_t *self, int index)
{
    assert (self);
    return self->tcp && index >= 0 && index < self->nbr_nodes ? self->names [index] : NULL;
}

pid_t
bench_zaf_rig_node_pid (bench_zaf_rig_t *self, int index)
{
    assert (self);
    if (!self->tcp)
        return getpid ();
    return index >= 0 && index < self->nbr_nodes && self->nodes [index]
         ? bench_proc_pid (self->nodes [index]) : -1;
}

//  ==========================================================================
//  Floor

struct _bench_floor_rig_t {
    bool tcp;
    void *ctx;                                          //  Ours: clients, and
                                                        //  embedded, every role
    char endpoint [256];                                //  The relay's
    //  Embedded: threads
    bench_floor_broker_t *broker;
    bench_floor_server_t *servers [BENCH_MAX_NODES];
    pthread_t threads [BENCH_MAX_NODES + 1];
    int nbr_threads;
    //  tcp: processes
    bench_proc_t *broker_proc;
    bench_proc_t *server_procs [BENCH_MAX_NODES];
    int nbr_servers;
};

static void *
s_broker_thread (void *args)
{
    bench_floor_broker_run ((bench_floor_broker_t *) args);
    return NULL;
}

static void *
s_server_thread (void *args)
{
    bench_floor_server_run ((bench_floor_server_t *) args);
    return NULL;
}

//  Wait until every actor answers a call, or with none, until a task
//  does. Returns 0 or -1.
static int
s_floor_ready (bench_floor_rig_t *self, int servers, const char *const *actor_lists)
{
    bench_floor_client_t *client = bench_floor_client_new (self->ctx, self->endpoint);
    if (!client)
        return -1;
    static const char args [] = "[[0,0,0,0,0,0,0,0,0,0]]";
    uint64_t corr = 0;
    int rc = 0;
    bool any = false;
    for (int server = 0; server < servers && rc == 0; server++) {
        char *copy = strdup (actor_lists [server]);
        char *saved = NULL;
        for (char *actor = strtok_r (copy, ",", &saved); actor && rc == 0;
             actor = strtok_r (NULL, ",", &saved)) {
            any = true;
            rc = -1;
            int64_t deadline = zclock_mono () + STARTUP_MS;
            while (rc && zclock_mono () < deadline && !zsys_interrupted) {
                bench_floor_client_send (client, "CALL", ++corr, actor, "update_params",
                                         args, sizeof (args) - 1);
                bench_floor_answer_t answer;
                while (bench_floor_client_recv (client, 200, &answer) == 0)
                    if (answer.corr == corr) {
                        rc = answer.ok ? 0 : -1;
                        break;
                    }
                if (rc)
                    zclock_sleep (20);
            }
        }
        free (copy);
    }
    if (!any) {
        rc = -1;
        int64_t deadline = zclock_mono () + STARTUP_MS;
        while (rc && zclock_mono () < deadline && !zsys_interrupted) {
            bench_floor_client_send (client, "SUBMIT", ++corr, NULL, BENCH_TASK,
                                     args, sizeof (args) - 1);
            bench_floor_answer_t answer;
            while (bench_floor_client_recv (client, 200, &answer) == 0)
                if (answer.corr == corr) {
                    rc = answer.ok ? 0 : -1;
                    break;
                }
            if (rc)
                zclock_sleep (20);
        }
    }
    bench_floor_client_destroy (&client);
    return rc;
}

bench_floor_rig_t *
bench_floor_rig_new (const bench_opts_t *opts, bool tcp, int servers,
                     const char *const *actor_lists, char *error, size_t error_max)
{
    assert (opts);
    assert (servers >= 1 && servers <= BENCH_MAX_NODES);
    bench_floor_rig_t *self = (bench_floor_rig_t *) zmalloc (sizeof (bench_floor_rig_t));
    assert (self);
    self->tcp = tcp;
    self->ctx = zmq_ctx_new ();
    assert (self->ctx);
    zmq_ctx_set (self->ctx, ZMQ_MAX_SOCKETS, 20000);
    if (!tcp) {
        char endpoint [64];
        static _Atomic unsigned int floor_seq = 0;
        snprintf (endpoint, sizeof (endpoint), "inproc://bench-floor-%d-%u",
                  (int) getpid (), ++floor_seq);
        self->broker = bench_floor_broker_new (self->ctx, endpoint);
        if (!self->broker) {
            snprintf (error, error_max, "cannot bind the floor relay to %s", endpoint);
            bench_floor_rig_destroy (&self);
            return NULL;
        }
        snprintf (self->endpoint, sizeof (self->endpoint), "%s",
                  bench_floor_broker_endpoint (self->broker));
        if (pthread_create (&self->threads [0], NULL, s_broker_thread, self->broker)) {
            snprintf (error, error_max, "cannot start a thread");
            bench_floor_rig_destroy (&self);
            return NULL;
        }
        self->nbr_threads = 1;
        for (int index = 0; index < servers; index++) {
            self->servers [index] = bench_floor_server_new (self->ctx, self->endpoint,
                                                            actor_lists [index]);
            if (!self->servers [index]
            ||  pthread_create (&self->threads [self->nbr_threads], NULL, s_server_thread,
                                self->servers [index])) {
                snprintf (error, error_max, "cannot start floor server %d", index);
                bench_floor_rig_destroy (&self);
                return NULL;
            }
            self->nbr_threads++;
            self->nbr_servers++;
        }
    }
    else {
        char *broker_argv [] = {
            (char *) opts->self_path, "--role", "floor-broker",
            "--bind", "tcp://127.0.0.1:0", NULL
        };
        self->broker_proc = s_start_listener (broker_argv, opts->verbose, self->endpoint,
                                              sizeof (self->endpoint), error, error_max);
        if (!self->broker_proc) {
            bench_floor_rig_destroy (&self);
            return NULL;
        }
        for (int index = 0; index < servers; index++) {
            char *server_argv [] = {
                (char *) opts->self_path, "--role", "floor-server", "--connect",
                self->endpoint, "--actor-ids", (char *) actor_lists [index], NULL
            };
            self->server_procs [index] = bench_proc_start (server_argv, opts->verbose, false);
            if (!self->server_procs [index]) {
                snprintf (error, error_max, "cannot start a floor server");
                bench_floor_rig_destroy (&self);
                return NULL;
            }
            self->nbr_servers++;
        }
    }
    if (s_floor_ready (self, servers, actor_lists)) {
        snprintf (error, error_max, "the floor did not answer within %d ms", STARTUP_MS);
        bench_floor_rig_destroy (&self);
        return NULL;
    }
    return self;
}

void
bench_floor_rig_destroy (bench_floor_rig_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        bench_floor_rig_t *self = *self_p;
        //  Threads: end their loops with ETERM, join them, then free
        zmq_ctx_shutdown (self->ctx);
        for (int index = 0; index < self->nbr_threads; index++)
            pthread_join (self->threads [index], NULL);
        for (int index = 0; index < BENCH_MAX_NODES; index++)
            bench_floor_server_destroy (&self->servers [index]);
        bench_floor_broker_destroy (&self->broker);
        zmq_ctx_term (self->ctx);
        //  Processes
        for (int index = 0; index < BENCH_MAX_NODES; index++)
            bench_proc_destroy (&self->server_procs [index]);
        bench_proc_destroy (&self->broker_proc);
        free (self);
        *self_p = NULL;
    }
}

void *
bench_floor_rig_ctx (bench_floor_rig_t *self)
{
    assert (self);
    return self->ctx;
}

const char *
bench_floor_rig_endpoint (bench_floor_rig_t *self)
{
    assert (self);
    return self->endpoint;
}

pid_t
bench_floor_rig_server_pid (bench_floor_rig_t *self, int index)
{
    assert (self);
    if (!self->tcp)
        return getpid ();
    return index >= 0 && index < self->nbr_servers && self->server_procs [index]
         ? bench_proc_pid (self->server_procs [index]) : -1;
}
