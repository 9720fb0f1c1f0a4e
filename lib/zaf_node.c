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

    The link to the broker (DEALER options, HELLO/WELCOME, heartbeats,
    backoff to 2 s) is one delimited section below. While it is up the
    host gets the DEALER to send on; when it goes down the parties are
    told, and our actors live on: a restarted broker takes them on at the
    next HELLO, and a broker that declared us lost says so by its session
    in WELCOME, when they end.

    Invariants: the host exists from START to the end; it is given the
    broker socket only while the link is up, and never after the socket
    is destroyed; after $TERM the host stops every party before the
    broker hears BYE.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_isolate.h"
#include "zaf_node_host.h"

typedef enum { LINK_DOWN, LINK_HELLO, LINK_UP } link_t;

typedef struct {
    zsock_t *pipe;              //  Actor pipe
    zsock_t *broker;            //  DEALER to the broker, when dialing or up
    zaf_node_host_t *host;      //  Our parties, from START
    zaf_proto_t *msg;           //  Message from the broker being handled
    zaf_proto_t *out;           //  Messages we originate
    zaf_registry_t *registry;   //  What we serve
    char *endpoint;             //  Broker endpoint
    char *name;                 //  Node name
    int cpus;                   //  Workers
    link_t link;                //  State of our link to the broker
    int heartbeat_ms;
    int64_t last_rx;            //  Last message from the broker
    int64_t last_tx;            //  Last message to the broker
    int64_t retry_at;           //  Next dial (when down)
    int64_t hello_at;           //  When we said HELLO
    int64_t next_beat;          //  When our next heartbeat is due
    int retry_ms;               //  Backoff
    bool started;
    bool stopped;               //  The broker stopped the cluster: no redial
    char session [64];          //  The session of the broker that last
                                //  welcomed us ("" before the first)
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
    self->heartbeat_ms = ZAF_HEARTBEAT_MS;
    self->retry_ms = 100;
    self->warnings = zaf_ratelimit_new ("zaf_node", 10);
    return self;
}

static void
s_self_destroy (self_t **self_p)
{
    self_t *self = *self_p;
    zsock_destroy (&self->broker);
    zaf_node_host_destroy (&self->host);
    //  After the ROUTER: no child can reach us any more
    zaf_isolate_destroy (&self->isolate);
    zaf_proto_destroy (&self->msg);
    zaf_proto_destroy (&self->out);
    free (self->endpoint);
    free (self->name);
    zaf_ratelimit_destroy (&self->warnings);
    free (self);
    *self_p = NULL;
}

//  ==========================================================================
//  The link to the broker: DEALER options, HELLO/WELCOME, heartbeats,
//  backoff. This section is all of it (s_to_broker, s_dial, s_link_down,
//  s_link_welcome, s_link_tick); the host only ever sees the DEALER while
//  the link is up.

//  Send a message to the broker while the link is up; returns 0 or -1
static int
s_to_broker (self_t *self, zaf_proto_t *msg)
{
    if (!self->host || zaf_node_host_to_broker (self->host, msg))
        return -1;
    self->last_tx = zclock_mono ();
    return 0;
}

static void
s_dial (self_t *self)
{
    zsock_destroy (&self->broker);
    self->broker = zsock_new (ZMQ_DEALER);
    assert (self->broker);
    zsock_set_sndhwm (self->broker, ZAF_HWM);
    zsock_set_rcvhwm (self->broker, ZAF_HWM);
    zsock_set_linger (self->broker, 0);
    zsock_set_heartbeat_ivl (self->broker, self->heartbeat_ms);
    zsock_set_heartbeat_timeout (self->broker, self->heartbeat_ms * ZAF_HEARTBEAT_MISSES);
    zsock_set_reconnect_ivl (self->broker, 100);
    zsock_set_reconnect_ivl_max (self->broker, 2000);
    if (zsock_connect (self->broker, "%s", self->endpoint)) {
        zsys_error ("zaf_node: cannot connect endpoint=%s: %s", self->endpoint, zmq_strerror (errno));
        zsock_destroy (&self->broker);
        self->retry_at = zclock_mono () + 2000;
        return;
    }
    char host [256] = "";
    gethostname (host, sizeof (host) - 1);
    cJSON *hello = cJSON_CreateObject ();
    cJSON_AddStringToObject (hello, "name", self->name);
    cJSON_AddStringToObject (hello, "host", host);
    cJSON_AddNumberToObject (hello, "pid", getpid ());
    cJSON_AddNumberToObject (hello, "cpus", self->cpus);
    cJSON_AddNumberToObject (hello, "version", 1);
    if (self->isolate)
        cJSON_AddBoolToObject (hello, "isolate", true);
    if (*self->session) {
        //  Dialing again: if the broker restarted, it takes our actors on
        cJSON_AddStringToObject (hello, "session", self->session);
        cJSON *actors = cJSON_AddArrayToObject (hello, "actors");
        zaf_node_host_announce (self->host, actors);
    }
    cJSON_AddItemToObject (hello, "classes", zaf_registry_classes_json (self->registry));
    cJSON_AddItemToObject (hello, "functions", zaf_registry_functions_json (self->registry));
    zaf_proto_reset (self->out);
    zaf_proto_set_id (self->out, ZAF_PROTO_HELLO);
    zaf_proto_set_name (self->out, "node");
    zaf_proto_set_body_json (self->out, hello);
    cJSON_Delete (hello);
    zaf_proto_send (self->out, self->broker);
    self->link = LINK_HELLO;
    self->hello_at = self->last_tx = zclock_mono ();
}

//  The link is down: end what depended on it and plan the next dial
static void
s_link_down (self_t *self, const char *reason)
{
    if (self->link == LINK_UP)
        zsys_warning ("zaf_node: broker lost name=%s endpoint=%s reason=%s",
                      self->name, self->endpoint, reason);
    self->link = LINK_DOWN;
    zaf_node_host_set_broker (self->host, NULL);
    zsock_destroy (&self->broker);
    self->retry_at = zclock_mono () + self->retry_ms;
    self->retry_ms = self->retry_ms * 2 > 2000 ? 2000 : self->retry_ms * 2;

    //  Our actors live on: if the broker restarted, the next one takes them
    //  on when we say HELLO; if it declared us lost, its WELCOME says so by
    //  its session, and they end then. What they wait on ends now.
    //  Queued tasks are dropped: their callers get NODE_LOST from the broker
    zaf_node_host_broker_lost (self->host);
}

//  While we wait for WELCOME: the broker's answer to our HELLO. Anything
//  else is from an earlier session and is dropped.
static void
s_link_welcome (self_t *self, zaf_proto_id_t id)
{
    if (id == ZAF_PROTO_WELCOME) {
        cJSON *welcome = zaf_proto_body_json (self->msg);
        int heartbeat_ms = zaf_json_int (welcome, "heartbeat_ms", ZAF_HEARTBEAT_MS);
        const char *session = zaf_json_string (welcome, "session", "");
        if (*self->session && streq (session, self->session))
            //  The same broker: it declared us lost and our actors dead
            zaf_node_host_end_actors (self->host, "node_lost");
        else
        if (*self->session && zaf_node_host_actors (self->host) && !self->quiet)
            zsys_info ("zaf_node: a restarted broker took on %d of our %zu actor(s)",
                       zaf_json_int (welcome, "adopted", 0), zaf_node_host_actors (self->host));
        snprintf (self->session, sizeof (self->session), "%s", session);
        cJSON_Delete (welcome);
        self->heartbeat_ms = heartbeat_ms >= 10 ? heartbeat_ms : ZAF_HEARTBEAT_MS;
        zsock_set_heartbeat_ivl (self->broker, self->heartbeat_ms);
        //  Beat at the broker's pace from now on
        self->next_beat = zclock_mono () + self->heartbeat_ms;
        self->link = LINK_UP;
        zaf_node_host_set_broker (self->host, self->broker);
        self->retry_ms = 100;
        if (!self->quiet)
            zsys_info ("zaf_node: registered name=%s broker=%s cpus=%d", self->name,
                   self->endpoint, self->cpus);
    }
    else
    if (id == ZAF_PROTO_ERROR) {
        size_t size;
        const char *body = zaf_proto_body (self->msg, &size);
        zaf_error_t error;
        zaf_json_error_parse (body, size, &error);
        zsys_warning ("zaf_node: broker refused HELLO code=%s message=%s",
                      zaf_code_name (error.code), error.message);
        s_link_down (self, "HELLO refused");
    }
}

//  Dial again when the backoff is over; beat, and notice a broker that
//  went quiet. Returns the ms until the link needs the next tick.
static int64_t
s_link_tick (self_t *self, int64_t now)
{
    if (self->started && !self->stopped && self->link == LINK_DOWN && now >= self->retry_at)
        s_dial (self);
    if (now >= self->next_beat) {
        self->next_beat = now + self->heartbeat_ms;
        int64_t window = (int64_t) self->heartbeat_ms * ZAF_HEARTBEAT_MISSES;
        if (self->link == LINK_HELLO && now - self->hello_at > window)
            s_link_down (self, "no WELCOME");
        else
        if (self->link == LINK_UP && now - self->last_rx > window)
            s_link_down (self, "missed heartbeats");
        else
        if (self->link == LINK_UP) {
            zaf_proto_reset (self->out);
            zaf_proto_set_id (self->out, ZAF_PROTO_HEARTBEAT);
            s_to_broker (self, self->out);
        }
    }
    int64_t timeout = self->next_beat - now;
    if (self->started && !self->stopped && self->link == LINK_DOWN && self->retry_at - now < timeout)
        timeout = self->retry_at - now;
    return timeout;
}

//  End of the link section
//  ==========================================================================

//  --------------------------------------------------------------------------
//  Messages from the broker

static void
s_handle_broker (self_t *self, int rc)
{
    self->last_rx = zclock_mono ();
    if (rc == -2) {
        zaf_ratelimit_warn (self->warnings, "malformed message from broker dropped: %s",
                            zaf_proto_fault (self->msg));
        return;
    }
    zaf_proto_id_t id = zaf_proto_id (self->msg);
    if (self->verbose)
        zsys_debug ("zaf_node: %s from broker", zaf_proto_command_name (id));
    if (self->link == LINK_HELLO) {
        s_link_welcome (self, id);
        return;
    }
    switch (id) {
        case ZAF_PROTO_SPAWN:   zaf_node_host_spawn (self->host, self->msg); break;
        case ZAF_PROTO_CALL:
        case ZAF_PROTO_TELL:    zaf_node_host_call (self->host, self->msg); break;
        case ZAF_PROTO_SUBMIT:  zaf_node_host_submit (self->host, self->msg); break;
        case ZAF_PROTO_KILL:    zaf_node_host_kill (self->host, self->msg); break;
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
            zaf_json_error_parse (body, size, &error);
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
    s_dial (self);
    return 0;
}

//  Stop every party, then say BYE
static void
s_stop (self_t *self)
{
    zaf_node_host_stop (self->host);
    if (self->link == LINK_UP) {
        zaf_proto_reset (self->out);
        zaf_proto_set_id (self->out, ZAF_PROTO_BYE);
        zaf_proto_set_body (self->out, "{\"reason\":\"node stopping\"}", 26);
        zsock_set_linger (self->broker, 500);
        s_to_broker (self, self->out);
    }
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
        zstr_send (self->pipe, self->link == LINK_UP ? "connected" : "connecting");
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
    int64_t timeout = s_link_tick (self, zclock_mono ());
    if (host >= 0 && host < timeout)
        timeout = host;
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
    self->next_beat = zclock_mono () + self->heartbeat_ms;

    while (!self->terminated) {
        int timeout = s_tick (self);
        zsock_t *inner = self->host ? zaf_node_host_socket (self->host) : NULL;
        zmq_pollitem_t items [4] = {
            { zsock_resolve (self->pipe), 0, ZMQ_POLLIN, 0 }
        };
        int count = 1;
        if (inner)
            items [count++] = (zmq_pollitem_t) { zsock_resolve (inner), 0, ZMQ_POLLIN, 0 };
        if (inner && self->broker)
            items [count++] = (zmq_pollitem_t) { zsock_resolve (self->broker), 0, ZMQ_POLLIN, 0 };
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
        if (self->broker)
            for (int n = 0; n < 10000 && self->broker
                 && (rc = zaf_proto_recv_nowait (self->msg, self->broker)) != -1; n++)
                s_handle_broker (self, rc);
    }
    if (self->started)
        s_stop (self);
    s_self_destroy (&self);
}
