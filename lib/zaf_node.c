/*  =========================================================================
    zaf_node - the node engine, a czmq actor: hosts actors, runs tasks

    One thread: a loop that polls the actor pipe, the DEALER to the broker,
    the inner ROUTER its parties connect to (zaf_node_host) and the pidfds
    of its actor processes (zaf_isolate), dispatches what came, and ticks.
    Every socket is read until it is empty before polling again. One tick
    (s_tick) does all the timed work: the host's housekeeping (actor
    processes that ended, call deadlines), dialing the broker again after
    backoff, heartbeats and the WELCOME timeout; it returns when the loop
    must wake next.

    The link to the broker is a zaf_link (DEALER options, HELLO/WELCOME,
    heartbeats, backoff to 2 s, shared with drivers); the section below
    says what it means to a node. While it is up the host sends on it;
    when it goes down the parties are told, and our actors live on: a restarted broker takes them on at the
    next HELLO, and a broker that declared us lost says so by its session
    in WELCOME, when they end.

    Invariants: the host exists from START to the end; it is given the
    link only while the link is up; after $TERM the host stops every party before the
    broker hears BYE.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_isolate.h"
#include "zaf_node_parties.h"
#include "zaf_node_host.h"
#include "zaf_node_metrics.h"

typedef struct {
    zsock_t *pipe;              //  Actor pipe
    zaf_link_t *link;           //  To the broker, from START
    zaf_node_host_t *host;      //  Our parties, from START
    zaf_node_metrics_t *metrics;    //  Reports on heartbeats, from START
    zaf_proto_t *msg;           //  Message from the broker being handled
    zaf_proto_t *out;           //  Messages we originate
    zaf_registry_t *registry;   //  What we serve
    char *endpoint;             //  Broker endpoint
    char *name;                 //  Node name
    int cpus;                   //  Workers
    cJSON *resources;           //  Announced in HELLO (zaf_resources), or NULL
    cJSON *labels;              //  Announced in HELLO, or NULL
    bool started;
    bool stopped;               //  The broker stopped the cluster: no redial
    int64_t drain_until;        //  DRAIN: exit when no actor is left, or then
    bool welcomed;              //  A broker has welcomed us once
    bool terminated;
    bool verbose;
    bool quiet;                 //  Log only warnings and errors
    zaf_ratelimit_t *warnings;  //  Budget for warnings about bad input
    zaf_isolate_t *isolate;     //  Actor processes, if ISOLATE
    bool isolate_failed;        //  ISOLATE asked for and impossible
} self_t;

//  --------------------------------------------------------------------------
//  Construction

static self_t *
s_self_new (zsock_t *pipe)
{
    self_t *self = (self_t *) zmalloc (sizeof (self_t));
    assert (self);
    self->pipe = pipe;
    self->msg = zaf_proto_new ();
    self->out = zaf_proto_new ();
    self->registry = zaf_registry_default ();
    char host [200] = "node";
    gethostname (host, sizeof (host) - 1);
    self->name = zsys_sprintf ("%s-%d", host, (int) getpid ());
    long cpus = sysconf (_SC_NPROCESSORS_ONLN);
    self->cpus = cpus > 4 ? (int) cpus : 4;
    self->warnings = zaf_ratelimit_new ("zaf_node", 10);
    return self;
}

static void
s_self_destroy (self_t **self_p)
{
    self_t *self = *self_p;
    zaf_node_host_destroy (&self->host);
    zaf_node_metrics_destroy (&self->metrics);
    zaf_link_destroy (&self->link);
    //  After the ROUTER: no child can reach us any more
    zaf_isolate_destroy (&self->isolate);
    zaf_proto_destroy (&self->msg);
    zaf_proto_destroy (&self->out);
    free (self->endpoint);
    free (self->name);
    cJSON_Delete (self->resources);
    cJSON_Delete (self->labels);
    zaf_ratelimit_destroy (&self->warnings);
    free (self);
    *self_p = NULL;
}

//  ==========================================================================
//  The link to the broker (zaf_link: DEALER options, HELLO/WELCOME,
//  heartbeats, backoff) and what it means to this node: the host sends on
//  it only while it is up; when it goes down the parties are told.

//  Say HELLO with what we serve; after a first session, with the actors a
//  restarted broker should take on
static void
s_dial (self_t *self)
{
    cJSON *hello = cJSON_CreateObject ();
    cJSON_AddStringToObject (hello, "name", self->name);
    cJSON_AddNumberToObject (hello, "cpus", self->cpus);
    if (self->resources)
        cJSON_AddItemToObject (hello, "resources", cJSON_Duplicate (self->resources, true));
    if (self->labels)
        cJSON_AddItemToObject (hello, "labels", cJSON_Duplicate (self->labels, true));
    if (self->isolate)
        cJSON_AddBoolToObject (hello, "isolate", true);
    if (self->welcomed)
        zaf_node_host_announce (self->host, cJSON_AddArrayToObject (hello, "actors"));
    cJSON_AddItemToObject (hello, "classes", zaf_registry_classes_json (self->registry));
    cJSON_AddItemToObject (hello, "functions", zaf_registry_functions_json (self->registry));
    zaf_error_t err;
    if (zaf_link_dial (self->link, hello, &err))
        zaf_ratelimit_warn (self->warnings, "cannot dial the broker: %s", err.message);
    cJSON_Delete (hello);
}

//  The link is down: end what depended on it and plan the next dial
static void
s_link_down (self_t *self, const char *reason)
{
    if (zaf_link_state (self->link) == ZAF_LINK_UP)
        zsys_warning ("zaf_node: broker lost name=%s endpoint=%s reason=%s",
                      self->name, zaf_link_endpoint (self->link), reason);
    zaf_node_host_set_broker (self->host, NULL);
    if (zaf_link_state (self->link) != ZAF_LINK_DOWN)
        zaf_link_down (self->link);

    //  Our actors live on: if the broker restarted, the next one takes them
    //  on when we say HELLO; if it declared us lost, its WELCOME says so by
    //  its session, and they end then. What they wait on ends now.
    //  Queued tasks are dropped: their callers get NODE_LOST from the broker
    zaf_node_host_broker_lost (self->host);
}

//  While we wait for WELCOME: the broker's answer to our HELLO. Anything
//  else is from an earlier session and is dropped.
static void
s_link_welcome (self_t *self)
{
    zaf_error_t err;
    int rc = zaf_link_accept (self->link, self->msg, &err);
    if (rc == 1) {
        bool rejoined = zaf_json_bool (zaf_link_welcome (self->link), "rejoined", false);
        if (self->welcomed && zaf_link_session_kept (self->link) && rejoined) {
            //  The same broker, paused for a while: it kept us and our actors
            if (!self->quiet)
                zsys_info ("zaf_node: the broker kept our %zu actor(s)", zaf_node_host_actors (self->host));
        }
        else
        if (self->welcomed && zaf_link_session_kept (self->link))
            //  The same broker: it declared us lost and our actors dead
            zaf_node_host_end_actors (self->host, "node_lost");
        else
        if (self->welcomed && zaf_node_host_actors (self->host) && !self->quiet)
            zsys_info ("zaf_node: a restarted broker took on %d of our %zu actor(s)",
                       zaf_json_int (zaf_link_welcome (self->link), "adopted", 0),
                       zaf_node_host_actors (self->host));
        self->welcomed = true;
        zaf_node_host_set_broker (self->host, self->link);
        if (!self->quiet)
            zsys_info ("zaf_node: registered name=%s broker=%s cpus=%d", self->name,
                       zaf_link_endpoint (self->link), self->cpus);
    }
    else
    if (rc == -1) {
        char message [4 * ZAF_ERROR_MESSAGE_MAX];
        zsys_warning ("zaf_node: HELLO refused code=%s message=%s",
                      zaf_code_name (err.code), zaf_escape (err.message, message, sizeof (message)));
        s_link_down (self, "HELLO refused");
    }
}

//  Dial again when the backoff is over; beat, and notice a broker that
//  went quiet. Returns the ms until the link needs the next tick.
static int64_t
s_link_tick (self_t *self, int64_t now)
{
    if (!self->link || self->stopped)
        return ZAF_HEARTBEAT_MS;
    if (zaf_link_due (self->link, now))
        s_dial (self);
    const char *lost = zaf_link_tick (self->link, now);
    if (lost)
        s_link_down (self, lost);
    return zaf_link_wakeup (self->link) - now;
}

//  End of the link section
//  ==========================================================================

//  --------------------------------------------------------------------------
//  Messages from the broker

static void
s_handle_broker (self_t *self, int rc)
{
    if (rc == -2) {
        zaf_ratelimit_warn (self->warnings, "malformed message from broker dropped: %s",
                            zaf_proto_fault (self->msg));
        return;
    }
    zaf_proto_id_t id = zaf_proto_id (self->msg);
    if (self->verbose)
        zsys_debug ("zaf_node: %s from broker", zaf_proto_command_name (id));
    if (zaf_link_state (self->link) == ZAF_LINK_HELLO) {
        s_link_welcome (self);
        return;
    }
    switch (id) {
        case ZAF_PROTO_SPAWN:   zaf_node_host_spawn (self->host, self->msg); break;
        case ZAF_PROTO_CALL:
        case ZAF_PROTO_TELL:    zaf_node_host_call (self->host, self->msg); break;
        case ZAF_PROTO_SUBMIT:  zaf_node_host_submit (self->host, self->msg); break;
        case ZAF_PROTO_KILL:    zaf_node_host_kill (self->host, self->msg); break;
        case ZAF_PROTO_CANCEL:  zaf_node_host_cancel (self->host, self->msg); break;
        case ZAF_PROTO_DRAIN: {
            cJSON *drain = zaf_proto_body_json (self->msg);
            int drain_ms = zaf_json_int (drain, "drain_ms", 30000);
            cJSON_Delete (drain);
            self->drain_until = zclock_mono () + (drain_ms > 0 ? drain_ms : 30000);
            zsys_info ("zaf_node: draining name=%s actors=%zu", self->name,
                       zaf_node_host_actors (self->host));
            break;
        }
        case ZAF_PROTO_REPLY:
        case ZAF_PROTO_SPAWNED: zaf_node_host_answer (self->host, self->msg); break;
        case ZAF_PROTO_HEARTBEAT:
        case ZAF_PROTO_WELCOME: break;
        case ZAF_PROTO_BYE: {
            cJSON *bye = zaf_proto_body_json (self->msg);
            char reason [160];
            snprintf (reason, sizeof (reason), "broker said BYE: %s",
                      zaf_json_string (bye, "reason", "no reason"));
            bool stop = zaf_json_bool (bye, "stop", false);
            cJSON_Delete (bye);
            s_link_down (self, reason);
            if (stop) {
                //  The cluster was stopped: do not dial again; our owner
                //  decides what to do (zaf-node exits)
                zsys_info ("zaf_node: cluster stopped name=%s", self->name);
                zaf_node_host_end_actors (self->host, "node_stopped");
                self->stopped = true;
                zstr_send (self->pipe, "STOPPED");
            }
            break;
        }
        case ZAF_PROTO_ERROR: {
            size_t size;
            const char *body = zaf_proto_body (self->msg, &size);
            zaf_error_t error;
            zaf_error_parse (body, size, &error);
            zaf_ratelimit_warn (self->warnings, "error from broker code=%s message=%s",
                                zaf_code_name (error.code), error.message);
            break;
        }
        default:
            zaf_ratelimit_warn (self->warnings, "unexpected %s from broker dropped",
                                zaf_proto_command_name (id));
    }
}

//  --------------------------------------------------------------------------
//  Start and stop

static int
s_start (self_t *self)
{
    if (!self->endpoint)
        return -1;
    zaf_node_host_destroy (&self->host);     //  From a START that failed
    self->host = zaf_node_host_new (self->name, self->registry, self->isolate);
    zaf_node_host_set_verbose (self->host, self->verbose);
    if (zaf_node_host_start (self->host, self->cpus))
        return -1;
    self->started = true;
    zaf_node_metrics_destroy (&self->metrics);
    self->metrics = zaf_node_metrics_new (self->cpus);
    zaf_link_destroy (&self->link);
    self->link = zaf_link_new (self->endpoint, "node", false);
    s_dial (self);
    return 0;
}

//  Stop every party, then say BYE
static void
s_stop (self_t *self)
{
    zaf_node_host_stop (self->host);
    if (self->link)
        zaf_link_bye (self->link, "node stopping");
}

//  --------------------------------------------------------------------------
//  Pipe commands

static void
s_handle_pipe (self_t *self)
{
    zmsg_t *request = zmsg_recv (self->pipe);
    if (!request) {
        self->terminated = true;
        return;
    }
    char *command = zmsg_popstr (request);
    char *value = zmsg_popstr (request);
    if (!command)
        ;
    else
    if (streq (command, "$TERM"))
        self->terminated = true;
    else
    if (streq (command, "VERBOSE")) {
        self->verbose = true;
        if (self->host)
            zaf_node_host_set_verbose (self->host, true);
    }
    else
    if (streq (command, "QUIET"))
        self->quiet = true;
    else
    if (streq (command, "BROKER") && value) {
        free (self->endpoint);
        self->endpoint = strdup (value);
    }
    else
    if (streq (command, "NAME") && value && zaf_registry_name_valid (value)) {
        free (self->name);
        self->name = strdup (value);
    }
    else
    if (streq (command, "CPUS") && value && atoi (value) > 0)
        self->cpus = atoi (value);
    else
    if ((streq (command, "RESOURCES") || streq (command, "LABELS")) && value) {
        bool numbers = streq (command, "RESOURCES");
        char error [128];
        cJSON *list = zaf_resources_parse (value, numbers, error, sizeof (error));
        if (!list)
            zsys_warning ("zaf_node: %s ignored: %s", command, error);
        else {
            cJSON **slot = numbers ? &self->resources : &self->labels;
            cJSON_Delete (*slot);
            *slot = list;
        }
    }
    else
    if (streq (command, "ISOLATE") && value && !self->started && !self->isolate) {
        self->isolate = zaf_isolate_new (value);
        if (self->isolate) {
            char *module;
            while ((module = zmsg_popstr (request))) {
                zaf_isolate_add_module (self->isolate, module);
                zstr_free (&module);
            }
        }
        else {
            zsys_error ("zaf_node: cannot isolate actors: %s", strerror (errno));
            self->isolate_failed = true;    //  START refuses
        }
    }
    else
    if (streq (command, "START")) {
        if (self->started)
            zstr_sendx (self->pipe, "ERROR", "already started", NULL);
        else
        if (self->isolate_failed)
            zstr_sendx (self->pipe, "ERROR", "cannot isolate actors", NULL);
        else
        if (s_start (self) == 0)
            zstr_sendx (self->pipe, "OK", zaf_node_host_endpoint (self->host), NULL);
        else
            zstr_sendx (self->pipe, "ERROR", self->endpoint ? "cannot start" : "no broker endpoint",
                        NULL);
    }
    else
    if (streq (command, "STATE"))
        zstr_send (self->pipe, self->link && zaf_link_state (self->link) == ZAF_LINK_UP
                              ? "connected" : "connecting");
    else
        zsys_error ("zaf_node: bad pipe command %s", command);
    zstr_free (&command);
    zstr_free (&value);
    zmsg_destroy (&request);
}

//  --------------------------------------------------------------------------
//  The tick: all timed work, once per turn of the loop. Returns in how many
//  ms the loop must wake up at the latest.

static int
s_tick (self_t *self)
{
    //  The host first: what its actor processes need decides how long we
    //  may wait
    int host = self->started ? zaf_node_host_tick (self->host) : -1;
    int64_t now = zclock_mono ();
    if (self->drain_until && !self->stopped
    &&  ((zaf_node_host_actors (self->host) == 0 && zaf_node_host_tasks (self->host) == 0)
         || now >= self->drain_until)) {
        //  Drained: what is left ends, and zaf-node exits as after STOP
        zsys_info ("zaf_node: drained name=%s actors left=%zu", self->name,
                   zaf_node_host_actors (self->host));
        zaf_node_host_end_actors (self->host, "drained");
        self->stopped = true;
        zstr_send (self->pipe, "STOPPED");
    }
    int64_t timeout = s_link_tick (self, now);
    if (host >= 0 && host < timeout)
        timeout = host;
    if (self->started && self->link && !self->stopped) {
        int64_t report = zaf_node_metrics_tick (self->metrics, zaf_node_host_parties (self->host),
                                                self->link, zclock_mono ());
        if (report < timeout)
            timeout = report;
    }
    return timeout < 0 ? 0 : (int) timeout;
}

//  --------------------------------------------------------------------------
//  The actor body: poll, dispatch, tick

void
zaf_node (zsock_t *pipe, void *args)
{
    (void) args;
    self_t *self = s_self_new (pipe);
    zsock_signal (pipe, 0);
    while (!self->terminated) {
        int timeout = s_tick (self);
        zsock_t *inner = self->host ? zaf_node_host_socket (self->host) : NULL;
        zmq_pollitem_t items [4] = {
            { zsock_resolve (self->pipe), 0, ZMQ_POLLIN, 0 }
        };
        int count = 1;
        if (inner)
            items [count++] = (zmq_pollitem_t) { zsock_resolve (inner), 0, ZMQ_POLLIN, 0 };
        zsock_t *broker = self->link ? zaf_link_socket (self->link) : NULL;
        if (inner && broker)
            items [count++] = (zmq_pollitem_t) { zsock_resolve (broker), 0, ZMQ_POLLIN, 0 };
        if (self->started && self->isolate && zaf_isolate_fd (self->isolate) >= 0)
            items [count++] = (zmq_pollitem_t) { NULL, zaf_isolate_fd (self->isolate), ZMQ_POLLIN, 0 };
        if (zmq_poll (items, count, timeout) == -1 && errno == ETERM)
            break;
        if (items [0].revents & ZMQ_POLLIN)
            s_handle_pipe (self);
        if (self->terminated)
            break;
        //  Read each socket until it is empty
        if (self->host)
            zaf_node_host_recv (self->host);
        int rc;
        for (int n = 0; n < 10000 && self->link
             && (rc = zaf_link_recv (self->link, self->msg)) != -1; n++)
            s_handle_broker (self, rc);
    }
    if (self->started)
        s_stop (self);
    s_self_destroy (&self);
}
