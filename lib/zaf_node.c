/*  =========================================================================
    zaf_node - the node engine, a czmq actor: hosts actors, runs tasks

    One thread: a loop over the actor pipe, the DEALER to the broker and the
    inproc ROUTER its actor and worker threads connect to ("parties", each
    with a 4-byte routing id). Every message from the broker is read until
    the socket is empty before polling again.

    Invariants: an actor gets its calls in the order the broker sent them
    (those that come before it is ready wait in a backlog); once the node
    kills an actor it reports EXIT to the broker at once, and the broker
    answers what was pending, so answers the dying thread still sends are
    dropped; every party thread is joined after its EXIT, the last message
    it sends.

    Isolated (ISOLATE): each actor is a child process (zaf_isolate) whose
    DEALER reaches the same ROUTER on a private ipc endpoint; tasks stay on
    the worker threads. A child party ends when both its EXIT has come and
    its process is reaped. A child that dies without EXIT (a signal, or
    any exit without EXIT: a sanitizer's report exits with a code) is given
    50 ms for messages it sent before dying to arrive. Then the node
    answers the call it was running (its running record, in memory shared
    with it) with ACTOR_DIED naming the signal, unless the actor is
    restartable (then that call is the broker's), and
    reports EXIT {"reason":"failed","signal":...}; if it died before its
    constructor returned, SPAWNED error instead. A killed child gets
    ZAF_ISOLATE_GRACE_MS to end, then SIGKILL.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_isolate.h"
#include <signal.h>
#include <sys/wait.h>

//  How long a child that died without EXIT gets for its last messages
#define ZAF_NODE_SETTLE_MS      50

typedef enum { LINK_DOWN, LINK_HELLO, LINK_UP } link_t;

typedef struct {
    uint32_t inner_id;
    byte routing_id [ZAF_INNER_ID_SIZE];
    bool is_worker;
    pthread_t thread;
    //  Actors
    char id [ZAF_PROTO_ACTOR_MAX + 1];
    zaf_actor_ctl_t *ctl;       //  Shared with the thread
    bool ready;                 //  Actor: constructor done (SPAWNED seen);
                                //  worker: HELLO seen
    bool dying;                 //  Killed; the broker knows it is gone
    uint64_t forwarded;         //  Calls and tells sent to the thread
    zlistx_t *backlog;          //  Calls that came before it was ready
    //  Workers
    int inflight;               //  Tasks sent to it and not yet answered
    //  Actor processes (isolated)
    bool isolated;              //  ctl lives in the child's shared block
    pid_t pid;
    const char *class_name;     //  Borrowed from the registry
    zaf_proto_t *spawned;       //  SPAWNED to send if it dies constructing
    bool restartable;           //  max_restarts: the broker answers the
                                //  call it dies in (section 9.6)
    bool exited;                //  Its EXIT came
    bool ended;                 //  Its process is reaped
    int status;                 //  How it ended (waitpid status)
    int64_t settle_at;          //  Ended without EXIT: decide at this time
    void *settling_item;        //  Our place in self->settling
    int deadline_ms;            //  Actor: call_deadline_ms, or 0
    zaf_actor_running_t *watch; //  Actor with a deadline, in a thread: its
                                //  running record (ours to free)
    uint64_t reported;          //  seq of the last call answered as late
    cJSON *announce;            //  Actor: what a restarted broker is told of
                                //  it (id, class, name, parent, detached,
                                //  and for a restartable one its SPAWN)
} party_t;

typedef struct {
    zsock_t *pipe;              //  Actor pipe
    zsock_t *broker;            //  DEALER to the broker, when dialing or up
    zsock_t *inner;             //  ROUTER for our parties
    zaf_proto_t *msg;           //  Message being handled
    zaf_proto_t *out;           //  Messages we originate
    zaf_registry_t *registry;   //  What we serve
    char *endpoint;             //  Broker endpoint
    char *name;                 //  Node name
    int cpus;                   //  Workers
    char inner_endpoint [64];
    zhashx_t *actors;           //  id -> party_t (live actors)
    zhashx_t *parties;          //  inner id -> party_t (every running thread)
    zlistx_t *idle;             //  Ready workers (party_t, borrowed), each
                                //  holding up to ZAF_NODE_PREFETCH tasks
    zlistx_t *tasks;            //  Queued SUBMITs (zaf_proto_t)
    uint32_t next_inner;        //  Next inner id (low 31 bits)
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
    bool stopping;
    bool terminated;
    bool verbose;
    bool quiet;                 //  Log only warnings and errors
    size_t dropped;             //  Messages we could not deliver
    zaf_ratelimit_t *warnings;  //  Budget for warnings about bad input
    zaf_isolate_t *isolate;     //  Actor processes, if ISOLATE
    bool local;                 //  Parties are threads only: messages to and
                                //  from them go by reference (not --isolate)
    size_t deadlines;           //  Live actors with a call deadline
    int64_t deadlines_at;       //  When to look at them next
    bool isolate_failed;        //  ISOLATE asked for and impossible
    zlistx_t *settling;         //  Children ended without EXIT (borrowed)
} self_t;

//  --------------------------------------------------------------------------
//  Inner ids as map keys

static size_t
s_id_hash (const void *key)
{
    return (size_t) (uintptr_t) key * 0x9E3779B97F4A7C15ULL;
}

static int
s_id_compare (const void *key1, const void *key2)
{
    return (uintptr_t) key1 == (uintptr_t) key2 ? 0 : 1;
}

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
    self->actors = zhashx_new ();
    self->parties = zhashx_new ();
    zhashx_set_key_duplicator (self->parties, NULL);
    zhashx_set_key_destructor (self->parties, NULL);
    zhashx_set_key_hasher (self->parties, s_id_hash);
    zhashx_set_key_comparator (self->parties, s_id_compare);
    self->idle = zlistx_new ();
    self->tasks = zlistx_new ();
    self->heartbeat_ms = ZAF_HEARTBEAT_MS;
    self->retry_ms = 100;
    self->warnings = zaf_ratelimit_new ("zaf_node", 10);
    self->settling = zlistx_new ();
    return self;
}

static void
s_party_destroy (party_t **party_p)
{
    party_t *party = *party_p;
    if (party->backlog) {
        zaf_proto_t *held;
        while ((held = (zaf_proto_t *) zlistx_detach (party->backlog, NULL)))
            zaf_proto_destroy (&held);
        zlistx_destroy (&party->backlog);
    }
    if (!party->isolated)
        free (party->ctl);      //  Else zaf_isolate_forget frees it
    zaf_proto_destroy (&party->spawned);
    free (party->watch);
    cJSON_Delete (party->announce);
    free (party);
    *party_p = NULL;
}

static void
s_self_destroy (self_t **self_p)
{
    self_t *self = *self_p;
    zaf_proto_t *held;
    while ((held = (zaf_proto_t *) zlistx_detach (self->tasks, NULL)))
        zaf_proto_destroy (&held);
    zlistx_destroy (&self->tasks);
    zlistx_destroy (&self->idle);
    zhashx_destroy (&self->actors);
    zhashx_destroy (&self->parties);
    zsock_destroy (&self->broker);
    zsock_destroy (&self->inner);
    //  After the ROUTER: no child can reach us any more
    zaf_isolate_destroy (&self->isolate);
    zlistx_destroy (&self->settling);
    zaf_proto_destroy (&self->msg);
    zaf_proto_destroy (&self->out);
    free (self->endpoint);
    free (self->name);
    zaf_ratelimit_destroy (&self->warnings);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Sending

//  Send a message to the broker; returns 0 or -1
static int
s_to_broker (self_t *self, zaf_proto_t *msg)
{
    if (self->link != LINK_UP || !self->broker) {
        self->dropped++;
        return -1;
    }
    if (zaf_proto_send (msg, self->broker)) {
        self->dropped++;
        zaf_ratelimit_warn (self->warnings, "cannot send %s to broker: %s",
                            zaf_proto_command_name (zaf_proto_id (msg)), zmq_strerror (errno));
        return -1;
    }
    self->last_tx = zclock_mono ();
    return 0;
}

//  Send a message to a party; returns 0 or -1
//  To and from our parties: by reference when they are all threads
static int
s_inner_send (self_t *self, zaf_proto_t *msg)
{
    return self->local ? zaf_proto_send_local (msg, self->inner)
                       : zaf_proto_send (msg, self->inner);
}

static int
s_inner_recv (self_t *self)
{
    return self->local ? zaf_proto_recv_local (self->msg, self->inner, true)
                       : zaf_proto_recv_nowait (self->msg, self->inner);
}

static int
s_to_party (self_t *self, party_t *party, zaf_proto_t *msg)
{
    zaf_proto_set_routing_id (msg, party->routing_id, ZAF_INNER_ID_SIZE);
    if (s_inner_send (self, msg)) {
        self->dropped++;
        return -1;
    }
    return 0;
}

//  Answer the request in msg with an error, towards the broker
static void
s_refuse (self_t *self, zaf_proto_t *msg, zaf_code_t code, const char *format, ...)
{
    char message [ZAF_ERROR_MESSAGE_MAX];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof (message), format, args);
    va_end (args);
    if (zaf_proto_id (msg) == ZAF_PROTO_SPAWN)
        zaf_proto_set_id (msg, ZAF_PROTO_SPAWNED);
    zaf_proto_set_error (msg, code, "%s", message);
    s_to_broker (self, msg);
}

//  Tell a party's connection that the broker is gone
static void
s_notify_broker_lost (self_t *self, party_t *party)
{
    zaf_proto_reset (self->out);
    zaf_proto_set_id (self->out, ZAF_PROTO_ERROR);
    char *text = zaf_json_error_print (ZAF_BROKER_LOST, "node lost its broker");
    zaf_proto_set_body_take (self->out, &text);
    s_to_party (self, party, self->out);
}

//  --------------------------------------------------------------------------
//  Actors

//  Kill an actor: no further method starts, the thread is told to end, and
//  (if report) the broker hears EXIT now
static void
s_actor_kill (self_t *self, party_t *party, const char *reason, bool report)
{
    if (party->dying)
        return;
    party->dying = true;
    atomic_store (&party->ctl->killed, true);
    zhashx_delete (self->actors, party->id);
    if (party->backlog) {
        zaf_proto_t *held;
        while ((held = (zaf_proto_t *) zlistx_detach (party->backlog, NULL)))
            zaf_proto_destroy (&held);
    }
    zaf_proto_reset (self->out);
    zaf_proto_set_id (self->out, ZAF_PROTO_KILL);
    zaf_proto_set_actor (self->out, party->id);
    zaf_proto_set_body (self->out, "{}", 2);
    s_to_party (self, party, self->out);
    if (report) {
        zaf_proto_reset (self->out);
        zaf_proto_set_id (self->out, ZAF_PROTO_EXIT);
        zaf_proto_set_actor (self->out, party->id);
        char *text = zsys_sprintf ("{\"reason\":\"%s\"}", reason);
        zaf_proto_set_body (self->out, text, strlen (text));
        zstr_free (&text);
        s_to_broker (self, self->out);
    }
    //  A child that does not end in time is SIGKILLed; the shared killed
    //  flag covers a KILL sent before it connected
    if (party->isolated)
        zaf_isolate_kill (self->isolate, party->inner_id, ZAF_ISOLATE_GRACE_MS);
    if (self->verbose)
        zsys_debug ("zaf_node: actor killed actor=%s reason=%s", party->id, reason);
}

//  Hand a call or tell to a ready actor
static void
s_deliver (self_t *self, party_t *party, zaf_proto_t *msg)
{
    bool is_call = zaf_proto_id (msg) == ZAF_PROTO_CALL;
    uint64_t queued = party->forwarded - atomic_load (&party->ctl->processed);
    if (queued >= ZAF_NODE_MAX_QUEUE) {
        if (is_call)
            s_refuse (self, msg, ZAF_OVERLOADED, "actor %s has %" PRIu64 " messages queued",
                      party->id, queued);
        else {
            self->dropped++;
            zaf_ratelimit_warn (self->warnings, "tell %s to actor %s dropped: %" PRIu64
                                " messages queued", zaf_proto_name (msg), party->id, queued);
        }
        return;
    }
    if (s_to_party (self, party, msg) == 0)
        party->forwarded++;
    else
    if (is_call)
        s_refuse (self, msg, ZAF_ACTOR_DIED, "actor %s is gone", party->id);
}

//  What we tell a restarted broker about an actor, from its SPAWN
static cJSON *
s_announce_new (zaf_proto_t *msg, const cJSON *options, const char *id, const char *class_name)
{
    cJSON *announce = cJSON_CreateObject ();
    cJSON_AddStringToObject (announce, "id", id);
    cJSON_AddStringToObject (announce, "class", class_name);
    const char *name = zaf_json_string (options, "name", NULL);
    const char *owner = zaf_json_string (options, "owner", NULL);
    bool detached = zaf_json_bool (options, "detached", false);
    if (name)
        cJSON_AddStringToObject (announce, "name", name);
    if (owner && !detached)
        cJSON_AddStringToObject (announce, "parent", owner);
    if (detached)
        cJSON_AddBoolToObject (announce, "detached", true);
    if (zaf_json_int (options, "max_restarts", 0) != 0) {
        //  Enough for the new broker to restart it as the old one would
        size_t size;
        const char *body = zaf_proto_body (msg, &size);
        cJSON *args = size ? zaf_json_parse (body, size) : cJSON_CreateArray ();
        if (args) {
            cJSON_AddItemToObject (announce, "options", cJSON_Duplicate (options, true));
            cJSON_AddItemToObject (announce, "args", args);
        }
    }
    return announce;
}

static void
s_handle_spawn (self_t *self)
{
    zaf_proto_t *msg = self->msg;
    const char *id = zaf_proto_actor (msg);
    const zaf_class_t *cls = zaf_registry_class (self->registry, zaf_proto_name (msg));
    if (!cls) {
        s_refuse (self, msg, ZAF_NO_SUCH_CLASS, "node %s does not serve class %s",
                  self->name, zaf_proto_name (msg));
        return;
    }
    if (!*id || zhashx_lookup (self->actors, id)) {
        s_refuse (self, msg, ZAF_PROTOCOL, "SPAWN with an empty or duplicate actor id");
        return;
    }
    party_t *party = (party_t *) zmalloc (sizeof (party_t));
    assert (party);
    party->inner_id = 0x80000000u | (++self->next_inner & 0x7fffffffu);
    zaf_inner_encode_id (party->inner_id, party->routing_id);
    snprintf (party->id, sizeof (party->id), "%s", id);
    party->class_name = cls->name;
    party->backlog = zlistx_new ();

    size_t args_size, caller_size, corr_size;
    zaf_actor_spec_t spec = {
        .endpoint = self->inner_endpoint,
        .inner_id = party->inner_id,
        .actor_id = id,
        .cls = cls,
        .verbose = self->verbose,
        .local = self->local
    };
    spec.args = zaf_proto_body (msg, &args_size);
    spec.args_size = args_size;
    spec.caller = zaf_proto_caller (msg, &caller_size);
    spec.caller_size = caller_size;
    spec.corr = zaf_proto_corr (msg, &corr_size);
    spec.corr_size = corr_size;
    //  The spawn options, read once (empty frame: none)
    cJSON *options = zaf_proto_options_json (msg);
    int deadline_ms = zaf_json_int (options, "call_deadline_ms", 0);
    if (deadline_ms > 0) {
        party->deadline_ms = deadline_ms;
        if (!self->isolate) {
            party->watch = (zaf_actor_running_t *) zmalloc (sizeof (zaf_actor_running_t));
            assert (party->watch);
            spec.running = party->watch;
        }
    }
    int rc;
    if (self->isolate) {
        party->isolated = true;
        party->pid = zaf_isolate_spawn (self->isolate, &spec, &party->ctl);
        rc = party->pid > 0 ? 0 : -1;
        if (rc == 0) {
            //  What to answer if it dies before its SPAWNED
            party->spawned = zaf_proto_new ();
            zaf_proto_set_id (party->spawned, ZAF_PROTO_SPAWNED);
            zaf_proto_set_caller (party->spawned, spec.caller, spec.caller_size);
            zaf_proto_set_corr (party->spawned, spec.corr, spec.corr_size);
            zaf_proto_set_actor (party->spawned, id);
            party->restartable = zaf_json_int (options, "max_restarts", 0) != 0;
            if (self->verbose)
                zsys_debug ("zaf_node: actor process started actor=%s class=%s pid=%d",
                            id, cls->name, (int) party->pid);
        }
    }
    else {
        party->ctl = (zaf_actor_ctl_t *) zmalloc (sizeof (zaf_actor_ctl_t));
        atomic_init (&party->ctl->killed, false);
        atomic_init (&party->ctl->processed, 0);
        spec.ctl = party->ctl;
        rc = zaf_actor_start (&spec, &party->thread);
    }
    if (rc) {
        const char *reason = zmq_strerror (errno);
        s_party_destroy (&party);
        zaf_ratelimit_warn (self->warnings, "cannot start actor %s: %s", id, reason);
        s_refuse (self, msg, ZAF_OVERLOADED, "node %s cannot start another actor: %s",
                  self->name, reason);
        cJSON_Delete (options);
        return;
    }
    party->announce = s_announce_new (msg, options, id, cls->name);
    cJSON_Delete (options);
    if (party->deadline_ms)
        self->deadlines++;
    zhashx_insert (self->actors, party->id, party);
    zhashx_insert (self->parties, (void *) (uintptr_t) party->inner_id, party);
}

static void
s_handle_call (self_t *self)
{
    zaf_proto_t *msg = self->msg;
    bool is_call = zaf_proto_id (msg) == ZAF_PROTO_CALL;
    party_t *party = (party_t *) zhashx_lookup (self->actors, zaf_proto_actor (msg));
    if (!party) {
        if (is_call)
            s_refuse (self, msg, ZAF_ACTOR_DIED, "actor %s is not on node %s",
                      zaf_proto_actor (msg), self->name);
        else
            self->dropped++;
        return;
    }
    if (!party->ready) {
        if (zlistx_size (party->backlog) >= ZAF_NODE_MAX_QUEUE) {
            if (is_call)
                s_refuse (self, msg, ZAF_OVERLOADED, "actor %s is starting and its backlog is full",
                          party->id);
            return;
        }
        zaf_proto_t *held = zaf_proto_new ();
        zaf_proto_move (held, msg);
        zlistx_add_end (party->backlog, held);
        return;
    }
    s_deliver (self, party, msg);
}

static void
s_handle_kill (self_t *self)
{
    zaf_proto_t *msg = self->msg;
    const char *id = zaf_proto_actor (msg);
    party_t *party = (party_t *) zhashx_lookup (self->actors, id);
    if (party)
        s_actor_kill (self, party, "killed", true);
    else {
        //  Not here (any more): make sure the broker forgets it too
        zaf_proto_reset (self->out);
        zaf_proto_set_id (self->out, ZAF_PROTO_EXIT);
        zaf_proto_set_actor (self->out, id);
        zaf_proto_set_body (self->out, "{\"reason\":\"killed\"}", 19);
        s_to_broker (self, self->out);
    }
    size_t corr_size;
    zaf_proto_corr (msg, &corr_size);
    if (corr_size) {
        zaf_proto_set_id (msg, ZAF_PROTO_REPLY);
        zaf_proto_set_ok (msg, true);
        zaf_proto_set_body (msg, "null", 4);
        s_to_broker (self, msg);
    }
}

//  --------------------------------------------------------------------------
//  Tasks

//  Hand queued tasks to the workers: each to the worker holding the fewest,
//  and none holding more than ZAF_NODE_PREFETCH, so a worker finds its next
//  task waiting when it finishes one instead of waiting for the node
static void
s_dispatch_tasks (self_t *self)
{
    while (zlistx_size (self->tasks)) {
        party_t *worker = NULL;
        for (party_t *party = (party_t *) zlistx_first (self->idle); party;
             party = (party_t *) zlistx_next (self->idle))
            if (party->inflight < ZAF_NODE_PREFETCH
            && (!worker || party->inflight < worker->inflight))
                worker = party;
        if (!worker)
            break;
        zaf_proto_t *task = (zaf_proto_t *) zlistx_detach (self->tasks, NULL);
        if (s_to_party (self, worker, task) == 0)
            worker->inflight++;
        else
            s_refuse (self, task, ZAF_METHOD_FAILED, "task worker on node %s is gone", self->name);
        zaf_proto_destroy (&task);
    }
}

static void
s_handle_submit (self_t *self)
{
    zaf_proto_t *msg = self->msg;
    if (!zaf_registry_function (self->registry, zaf_proto_name (msg))) {
        s_refuse (self, msg, ZAF_NO_SUCH_FUNCTION, "node %s does not serve function %s",
                  self->name, zaf_proto_name (msg));
        return;
    }
    if (zlistx_size (self->tasks) >= ZAF_HWM) {
        s_refuse (self, msg, ZAF_OVERLOADED, "node %s has %zu tasks queued",
                  self->name, zlistx_size (self->tasks));
        return;
    }
    zaf_proto_t *task = zaf_proto_new ();
    zaf_proto_move (task, msg);
    zlistx_add_end (self->tasks, task);
    s_dispatch_tasks (self);
}

//  --------------------------------------------------------------------------
//  The link to the broker

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
        for (party_t *party = (party_t *) zhashx_first (self->actors); party;
             party = (party_t *) zhashx_next (self->actors))
            if (party->ready && !party->dying && party->announce)
                cJSON_AddItemToArray (actors, cJSON_Duplicate (party->announce, true));
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

//  End every actor we host, without telling the broker (it knows)
static void
s_end_actors (self_t *self, const char *reason)
{
    zlistx_t *parties = zhashx_values (self->parties);
    for (party_t *party = (party_t *) zlistx_first (parties); party;
         party = (party_t *) zlistx_next (parties))
        if (!party->is_worker)
            s_actor_kill (self, party, reason, false);
    zlistx_destroy (&parties);
}

//  The link is down: end what depended on it and plan the next dial
static void
s_link_down (self_t *self, const char *reason)
{
    if (self->link == LINK_UP)
        zsys_warning ("zaf_node: broker lost name=%s endpoint=%s reason=%s",
                      self->name, self->endpoint, reason);
    self->link = LINK_DOWN;
    zsock_destroy (&self->broker);
    self->retry_at = zclock_mono () + self->retry_ms;
    self->retry_ms = self->retry_ms * 2 > 2000 ? 2000 : self->retry_ms * 2;

    //  Our actors live on: if the broker restarted, the next one takes them
    //  on when we say HELLO; if it declared us lost, its WELCOME says so by
    //  its session, and they end then. What they wait on ends now.
    zlistx_t *parties = zhashx_values (self->parties);
    for (party_t *party = (party_t *) zlistx_first (parties); party;
         party = (party_t *) zlistx_next (parties))
        s_notify_broker_lost (self, party);
    zlistx_destroy (&parties);
    //  Their callers get NODE_LOST from the broker
    zaf_proto_t *held;
    while ((held = (zaf_proto_t *) zlistx_detach (self->tasks, NULL)))
        zaf_proto_destroy (&held);
}

//  --------------------------------------------------------------------------
//  Messages from the broker

static void
s_to_inner_party (self_t *self)
{
    //  An answer for one of our parties: the corr starts with its routing id
    zaf_proto_t *msg = self->msg;
    size_t corr_size;
    const byte *corr = (const byte *) zaf_proto_corr (msg, &corr_size);
    uint32_t inner_id = corr_size > ZAF_INNER_ID_SIZE
                      ? zaf_inner_decode_id (corr, ZAF_INNER_ID_SIZE) : 0;
    if (!inner_id) {
        self->dropped++;
        zaf_ratelimit_warn (self->warnings, "%s with a correlation id that is not ours dropped",
                            zaf_proto_command_name (zaf_proto_id (msg)));
        return;
    }
    zaf_proto_set_routing_id (msg, corr, ZAF_INNER_ID_SIZE);
    zaf_proto_set_corr (msg, corr + ZAF_INNER_ID_SIZE, corr_size - ZAF_INNER_ID_SIZE);
    if (s_inner_send (self, msg))
        self->dropped++;        //  That party has ended
}

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
        if (id == ZAF_PROTO_WELCOME) {
            cJSON *welcome = zaf_proto_body_json (self->msg);
            int heartbeat_ms = zaf_json_int (welcome, "heartbeat_ms", ZAF_HEARTBEAT_MS);
            const char *session = zaf_json_string (welcome, "session", "");
            if (*self->session && streq (session, self->session))
                //  The same broker: it declared us lost and our actors dead
                s_end_actors (self, "node_lost");
            else
            if (*self->session && zhashx_size (self->actors) && !self->quiet)
                zsys_info ("zaf_node: a restarted broker took on %d of our %zu actor(s)",
                           zaf_json_int (welcome, "adopted", 0), zhashx_size (self->actors));
            snprintf (self->session, sizeof (self->session), "%s", session);
            cJSON_Delete (welcome);
            self->heartbeat_ms = heartbeat_ms >= 10 ? heartbeat_ms : ZAF_HEARTBEAT_MS;
            zsock_set_heartbeat_ivl (self->broker, self->heartbeat_ms);
            //  Beat at the broker's pace from now on
            self->next_beat = zclock_mono () + self->heartbeat_ms;
            self->link = LINK_UP;
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
        return;                 //  Anything else is from an earlier session
    }
    switch (id) {
        case ZAF_PROTO_SPAWN:   s_handle_spawn (self); break;
        case ZAF_PROTO_CALL:
        case ZAF_PROTO_TELL:    s_handle_call (self); break;
        case ZAF_PROTO_SUBMIT:  s_handle_submit (self); break;
        case ZAF_PROTO_KILL:    s_handle_kill (self); break;
        case ZAF_PROTO_REPLY:
        case ZAF_PROTO_SPAWNED: s_to_inner_party (self); break;
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
                s_end_actors (self, "node_stopped");
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
//  Actor processes

//  Forget a party whose thread or process has ended
static void
s_party_end (self_t *self, party_t *party)
{
    if (party->settling_item)
        zlistx_delete (self->settling, party->settling_item);
    if (party->isolated)
        zaf_isolate_forget (self->isolate, party->inner_id);
    zhashx_delete (self->parties, (void *) (uintptr_t) party->inner_id);
    s_party_destroy (&party);
}

//  A child ended without EXIT: the actor failed. Answer the call it was
//  in, report EXIT with what killed it (SPAWNED error if it was still
//  constructing), and log it.
static void
s_isolated_died (self_t *self, party_t *party)
{
    char how [64];
    zaf_isolate_describe (party->status, how, sizeof (how));
    if (party->dying) {
        //  We had killed it already and told the broker
        bool sigkill = party->status != -1 && WIFSIGNALED (party->status)
                    && WTERMSIG (party->status) == SIGKILL;
        if (party->status != 0 && party->status != -1 && !sigkill)
            zsys_warning ("zaf_node: killed actor process ended by %s actor=%s class=%s pid=%d",
                          how, party->id, party->class_name, (int) party->pid);
        return;
    }
    party->dying = true;
    zhashx_delete (self->actors, party->id);
    const zaf_actor_running_t *running = zaf_isolate_running (self->isolate, party->inner_id);
    unsigned doing = running ? atomic_load (&running->doing) : ZAF_ACTOR_IDLE;
    zsys_warning ("zaf_node: actor process died actor=%s class=%s pid=%d %s%s%s", party->id,
                  party->class_name, (int) party->pid, how,
                  !party->ready ? " before its constructor returned"
                  : doing != ZAF_ACTOR_IDLE ? " in method " : "",
                  party->ready && doing != ZAF_ACTOR_IDLE ? running->method : "");
    if (!party->ready) {
        //  The actor never existed: its SPAWN fails, no EXIT
        if (party->spawned) {
            zaf_proto_set_error (party->spawned, ZAF_ACTOR_DIED,
                                 "actor %s (%s) died before its constructor returned: %s",
                                 party->id, party->class_name, how);
            s_to_broker (self, party->spawned);
        }
        return;
    }
    //  The call it died in ends here, saying how. Not for a restartable
    //  actor: the broker may send that call again, and its caller must
    //  not hear of the death before the broker has seen the EXIT, or its
    //  next call could miss the next incarnation (section 9.6)
    if (doing == ZAF_ACTOR_IN_CALL && !party->restartable) {
        zaf_proto_reset (self->out);
        zaf_proto_set_id (self->out, ZAF_PROTO_REPLY);
        zaf_proto_set_caller (self->out, running->caller, running->caller_size);
        zaf_proto_set_corr (self->out, running->corr, running->corr_size);
        zaf_proto_set_error (self->out, ZAF_ACTOR_DIED, "actor %s (%s) died in method %s: %s",
                             party->id, party->class_name, running->method, how);
        s_to_broker (self, self->out);
    }
    cJSON *body = cJSON_CreateObject ();
    cJSON_AddStringToObject (body, "reason", "failed");
    const char *signal_name = zaf_isolate_signal_name (party->status);
    if (signal_name)
        cJSON_AddStringToObject (body, "signal", signal_name);
    else
    if (party->status != -1 && WIFEXITED (party->status))
        cJSON_AddNumberToObject (body, "exit_code", WEXITSTATUS (party->status));
    if (doing != ZAF_ACTOR_IDLE)
        cJSON_AddStringToObject (body, "method", running->method);
    zaf_proto_reset (self->out);
    zaf_proto_set_id (self->out, ZAF_PROTO_EXIT);
    zaf_proto_set_actor (self->out, party->id);
    zaf_proto_set_body_json (self->out, body);
    cJSON_Delete (body);
    s_to_broker (self, self->out);
}

//  Reap the children that ended, decide about those that have settled and
//  SIGKILL those past their grace. Returns in how many ms it wants to run
//  again, or -1.
static int
s_tend_children (self_t *self)
{
    if (!self->isolate)
        return -1;
    uint32_t inner_id;
    int status;
    bool forced;
    while (zaf_isolate_reap (self->isolate, &inner_id, &status, &forced)) {
        party_t *party = (party_t *) zhashx_lookup (self->parties, (void *) (uintptr_t) inner_id);
        if (!party) {
            zaf_isolate_forget (self->isolate, inner_id);
            continue;
        }
        party->ended = true;
        party->status = status;
        if (party->exited) {
            if (status != 0 && !forced) {
                char how [64];
                zsys_warning ("zaf_node: actor process ended by %s after its EXIT actor=%s pid=%d",
                              zaf_isolate_describe (status, how, sizeof (how)), party->id,
                              (int) party->pid);
            }
            s_party_end (self, party);
        }
        else {
            //  Messages it sent before it died may still be on their way:
            //  a clean exit has sent EXIT; anything else had little to say
            party->settle_at = zclock_mono () + (status == 0 ? 1000 : ZAF_NODE_SETTLE_MS);
            party->settling_item = zlistx_add_end (self->settling, party);
        }
    }
    int next = zaf_isolate_tick (self->isolate);
    while (true) {
        int64_t now = zclock_mono ();
        party_t *due = NULL;
        for (party_t *party = (party_t *) zlistx_first (self->settling); party;
             party = (party_t *) zlistx_next (self->settling)) {
            if (now >= party->settle_at) {
                due = party;
                break;
            }
            if (next == -1 || party->settle_at - now < next)
                next = (int) (party->settle_at - now);
        }
        if (!due)
            break;
        s_isolated_died (self, due);
        s_party_end (self, due);
    }
    return next;
}

//  --------------------------------------------------------------------------
//  Messages from our parties

static void s_stop_worker (self_t *self, party_t *worker);

//  A request one of our parties makes through its zaf_t: relay it
static void
s_relay (self_t *self, party_t *party)
{
    zaf_proto_t *msg = self->msg;
    size_t corr_size;
    const byte *corr = (const byte *) zaf_proto_corr (msg, &corr_size);
    if (self->link != LINK_UP || corr_size + ZAF_INNER_ID_SIZE > ZAF_PROTO_ID_MAX) {
        if (corr_size) {
            zaf_code_t code = self->link != LINK_UP ? ZAF_BROKER_LOST : ZAF_PROTOCOL;
            zaf_proto_id_t answer = zaf_proto_id (msg) == ZAF_PROTO_SPAWN
                                  ? ZAF_PROTO_SPAWNED : ZAF_PROTO_REPLY;
            zaf_proto_set_id (msg, answer);
            zaf_proto_set_error (msg, code, code == ZAF_BROKER_LOST
                                 ? "node has no broker right now" : "correlation id too long");
            s_to_party (self, party, msg);
        }
        else
            self->dropped++;
        return;
    }
    if (corr_size) {
        byte prefixed [ZAF_PROTO_ID_MAX];
        memcpy (prefixed, party->routing_id, ZAF_INNER_ID_SIZE);
        memcpy (prefixed + ZAF_INNER_ID_SIZE, corr, corr_size);
        zaf_proto_set_corr (msg, prefixed, corr_size + ZAF_INNER_ID_SIZE);
    }
    zaf_proto_set_caller (msg, NULL, 0);
    if (zaf_proto_send (msg, self->broker)) {
        int error = errno;
        if (corr_size) {
            //  Answer the party with its own corr: take our prefix off again
            size_t size;
            const byte *prefixed = (const byte *) zaf_proto_corr (msg, &size);
            byte original [ZAF_PROTO_ID_MAX];
            memcpy (original, prefixed + ZAF_INNER_ID_SIZE, corr_size);
            zaf_proto_set_corr (msg, original, corr_size);
            zaf_proto_id_t answer = zaf_proto_id (msg) == ZAF_PROTO_SPAWN
                                  ? ZAF_PROTO_SPAWNED : ZAF_PROTO_REPLY;
            zaf_proto_set_id (msg, answer);
            zaf_proto_set_error (msg, ZAF_OVERLOADED, "queue to the broker is full (%s)",
                                 zmq_strerror (error));
            s_to_party (self, party, msg);
        }
        else
            self->dropped++;
        return;
    }
    self->last_tx = zclock_mono ();
}

static void
s_handle_inner (self_t *self, int rc)
{
    zaf_proto_t *msg = self->msg;
    size_t routing_size;
    const void *routing_id = zaf_proto_routing_id (msg, &routing_size);
    uint32_t inner_id = zaf_inner_decode_id (routing_id, routing_size);
    party_t *party = inner_id
                   ? (party_t *) zhashx_lookup (self->parties, (void *) (uintptr_t) inner_id)
                   : NULL;
    if (rc == -2 || !party) {
        zaf_ratelimit_warn (self->warnings, "%s from an inner party dropped%s%s",
                            rc == -2 ? "malformed message" : "message", rc == -2 ? ": " : "",
                            rc == -2 ? zaf_proto_fault (msg) : "");
        return;
    }
    zaf_proto_id_t id = zaf_proto_id (msg);
    switch (id) {
        case ZAF_PROTO_HELLO:
            if (party->is_worker && self->stopping)
                s_stop_worker (self, party);    //  Its KILL found no one
            else
            if (party->is_worker) {
                party->ready = true;
                zlistx_add_end (self->idle, party);
                s_dispatch_tasks (self);
            }
            break;
        case ZAF_PROTO_SPAWNED:
            zaf_proto_destroy (&party->spawned);
            if (party->dying)
                break;          //  Killed while constructing; broker knows
            s_to_broker (self, msg);
            if (zaf_proto_ok (msg)) {
                party->ready = true;
                zaf_proto_t *held;
                while ((held = (zaf_proto_t *) zlistx_detach (party->backlog, NULL))) {
                    s_deliver (self, party, held);
                    zaf_proto_destroy (&held);
                }
            }
            else {
                //  Constructor failed: the broker ends the actor on SPAWNED
                party->dying = true;
                zhashx_delete (self->actors, party->id);
            }
            break;
        case ZAF_PROTO_REPLY:
            if (party->is_worker) {
                if (party->inflight)
                    party->inflight--;
                if (!self->stopping) {
                    s_to_broker (self, msg);
                    s_dispatch_tasks (self);
                }
            }
            else
            if (!party->dying)
                s_to_broker (self, msg);
            break;
        case ZAF_PROTO_EXIT:
            if (party->isolated) {
                //  The child's last word; the party ends once it is reaped
                if (!party->dying) {
                    party->dying = true;
                    zhashx_delete (self->actors, party->id);
                    s_to_broker (self, msg);
                }
                party->exited = true;
                if (party->ended)
                    s_party_end (self, party);
                break;
            }
            //  The thread's last word: it ends now
            pthread_join (party->thread, NULL);
            if (!party->is_worker && !party->dying) {
                zhashx_delete (self->actors, party->id);
                s_to_broker (self, msg);
            }
            if (party->is_worker) {
                void *item = zlistx_find (self->idle, party);
                if (item)
                    zlistx_delete (self->idle, item);
            }
            zhashx_delete (self->parties, (void *) (uintptr_t) party->inner_id);
            s_party_destroy (&party);
            break;
        case ZAF_PROTO_CALL:
        case ZAF_PROTO_TELL:
        case ZAF_PROTO_SPAWN:
        case ZAF_PROTO_SUBMIT:
        case ZAF_PROTO_KILL:
        case ZAF_PROTO_LOOKUP:
        case ZAF_PROTO_STATUS:
        case ZAF_PROTO_MONITOR:
            s_relay (self, party);
            break;
        default:
            zaf_ratelimit_warn (self->warnings, "unexpected %s from an inner party dropped",
                                zaf_proto_command_name (id));
    }
}

//  --------------------------------------------------------------------------
//  Call deadlines: a call still running past its actor's call_deadline_ms
//  is answered TIMEOUT by the node and logged; the method's own answer,
//  when it comes, is dropped by the broker as late

#define ZAF_NODE_DEADLINE_TICK  50      //  ms between looks

static void
s_check_deadlines (self_t *self)
{
    int64_t now = zclock_mono ();
    size_t watched = 0;
    for (party_t *party = (party_t *) zhashx_first (self->actors); party;
         party = (party_t *) zhashx_next (self->actors)) {
        if (!party->deadline_ms || party->dying)
            continue;
        watched++;
        const zaf_actor_running_t *running = party->watch;
        if (!running && party->isolated && self->isolate)
            running = zaf_isolate_running (self->isolate, party->inner_id);
        if (!running)
            continue;
        //  A consistent copy of the record, or none this time
        uint64_t seq = atomic_load (&running->seq);
        if ((seq & 1) || seq == party->reported)
            continue;
        unsigned doing = atomic_load (&running->doing);
        int64_t started = atomic_load (&running->started);
        zaf_actor_running_t copy;
        memcpy (copy.method, running->method, sizeof (copy.method));
        memcpy (copy.caller, running->caller, sizeof (copy.caller));
        memcpy (copy.corr, running->corr, sizeof (copy.corr));
        copy.caller_size = running->caller_size;
        copy.corr_size = running->corr_size;
        if (atomic_load (&running->seq) != seq || doing == ZAF_ACTOR_IDLE
        ||  now - started <= party->deadline_ms)
            continue;
        party->reported = seq;
        copy.method [sizeof (copy.method) - 1] = 0;
        zsys_warning ("zaf_node: actor=%s class=%s method=%s has run %" PRId64 " ms, past "
                      "its deadline of %d ms", party->id, party->class_name, copy.method,
                      now - started, party->deadline_ms);
        if (doing != ZAF_ACTOR_IN_CALL || copy.caller_size > ZAF_PROTO_ID_MAX
        ||  copy.corr_size > ZAF_PROTO_ID_MAX || !copy.corr_size)
            continue;
        zaf_proto_reset (self->out);
        zaf_proto_set_id (self->out, ZAF_PROTO_REPLY);
        zaf_proto_set_caller (self->out, copy.caller, copy.caller_size);
        zaf_proto_set_corr (self->out, copy.corr, copy.corr_size);
        zaf_proto_set_error (self->out, ZAF_TIMEOUT,
                             "actor %s (%s) method %s ran past its deadline of %d ms; "
                             "it may still finish, and its answer will be dropped",
                             party->id, party->class_name, copy.method, party->deadline_ms);
        s_to_broker (self, self->out);
    }
    self->deadlines = watched;
    self->deadlines_at = now + ZAF_NODE_DEADLINE_TICK;
}

//  --------------------------------------------------------------------------
//  Start and stop

static int
s_start (self_t *self)
{
    if (!self->endpoint)
        return -1;
    //  Actor processes share the inner socket: nothing by reference then
    self->local = !self->isolate;
    static _Atomic unsigned int node_seq = 0;
    snprintf (self->inner_endpoint, sizeof (self->inner_endpoint), "inproc://zaf-node-%d-%u",
              (int) getpid (), ++node_seq);
    self->inner = zsock_new (ZMQ_ROUTER);
    assert (self->inner);
    zsock_set_router_mandatory (self->inner, 1);
    zsock_set_sndhwm (self->inner, 0);
    zsock_set_rcvhwm (self->inner, 0);
    zsock_set_linger (self->inner, 0);
    if (zsock_bind (self->inner, "%s", self->inner_endpoint) == -1)
        return -1;
    //  Actor processes reach the same ROUTER on our private ipc endpoint
    if (self->isolate && zsock_bind (self->inner, "%s", zaf_isolate_endpoint (self->isolate)) == -1) {
        zsys_error ("zaf_node: cannot bind %s: %s", zaf_isolate_endpoint (self->isolate),
                    zmq_strerror (errno));
        return -1;
    }
    for (int index = 0; index < self->cpus; index++) {
        party_t *worker = (party_t *) zmalloc (sizeof (party_t));
        assert (worker);
        worker->is_worker = true;
        worker->inner_id = 0x80000000u | (++self->next_inner & 0x7fffffffu);
        zaf_inner_encode_id (worker->inner_id, worker->routing_id);
        snprintf (worker->id, sizeof (worker->id), "worker-%d", index);
        zaf_worker_spec_t spec = {
            .endpoint = self->inner_endpoint,
            .inner_id = worker->inner_id,
            .registry = self->registry,
            .verbose = self->verbose,
            .local = self->local
        };
        if (zaf_worker_start (&spec, &worker->thread)) {
            zsys_error ("zaf_node: cannot start task worker %d: %s", index, zmq_strerror (errno));
            free (worker);
            return -1;
        }
        zhashx_insert (self->parties, (void *) (uintptr_t) worker->inner_id, worker);
    }
    self->started = true;
    s_dial (self);
    return 0;
}

static void
s_stop_worker (self_t *self, party_t *worker)
{
    zaf_proto_reset (self->out);
    zaf_proto_set_id (self->out, ZAF_PROTO_KILL);
    zaf_proto_set_actor (self->out, worker->id);
    zaf_proto_set_body (self->out, "{}", 2);
    s_to_party (self, worker, self->out);
}

//  Kill every actor, stop every worker, wait (bounded) for their EXIT
static void
s_stop (self_t *self)
{
    self->stopping = true;
    zlistx_t *parties = zhashx_values (self->parties);
    for (party_t *party = (party_t *) zlistx_first (parties); party;
         party = (party_t *) zlistx_next (parties)) {
        if (party->is_worker) {
            //  A worker that has not said HELLO yet is not reachable; it is
            //  told when its HELLO comes
            if (party->ready)
                s_stop_worker (self, party);
        }
        else
            s_actor_kill (self, party, "node_stopped", false);
    }
    zlistx_destroy (&parties);

    //  Their last requests (kills of children they own) still go out;
    //  actor processes that do not end are SIGKILLed after their grace
    int64_t deadline = zclock_mono () + 5000;
    while (zhashx_size (self->parties) && zclock_mono () < deadline) {
        int timeout = s_tend_children (self);
        if (timeout == -1 || timeout > 100)
            timeout = 100;
        zmq_pollitem_t items [2] = {
            { zsock_resolve (self->inner), 0, ZMQ_POLLIN, 0 },
            { NULL, self->isolate ? zaf_isolate_fd (self->isolate) : -1, ZMQ_POLLIN, 0 }
        };
        if (zmq_poll (items, items [1].fd >= 0 ? 2 : 1, timeout) == -1 && errno == ETERM)
            break;
        int rc;
        while ((rc = s_inner_recv (self)) != -1)
            s_handle_inner (self, rc);
        s_tend_children (self);
    }
    if (zhashx_size (self->parties)) {
        //  Threads stuck in user code: leave them, and their control
        //  blocks. Actor processes still here are SIGKILLed and reaped.
        size_t threads = 0;
        parties = zhashx_values (self->parties);
        for (party_t *party = (party_t *) zlistx_first (parties); party;
             party = (party_t *) zlistx_next (parties)) {
            if (party->isolated) {
                s_party_end (self, party);
                continue;
            }
            threads++;
            pthread_detach (party->thread);
            party->ctl = NULL;
            zhashx_delete (self->parties, (void *) (uintptr_t) party->inner_id);
            s_party_destroy (&party);
        }
        zlistx_destroy (&parties);
        if (threads)
            zsys_warning ("zaf_node: %zu threads did not end within 5 s; leaving them", threads);
    }
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
    if (streq (command, "VERBOSE"))
        self->verbose = true;
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
            zstr_sendx (self->pipe, "OK", self->inner_endpoint, NULL);
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
//  The actor body

void
zaf_node (zsock_t *pipe, void *args)
{
    (void) args;
    self_t *self = s_self_new (pipe);
    zsock_signal (pipe, 0);
    self->next_beat = zclock_mono () + self->heartbeat_ms;

    while (!self->terminated) {
        //  Children first: what they need decides how long we may wait
        int children = self->started ? s_tend_children (self) : -1;
        zmq_pollitem_t items [4] = {
            { zsock_resolve (self->pipe), 0, ZMQ_POLLIN, 0 }
        };
        int count = 1;
        if (self->inner)
            items [count++] = (zmq_pollitem_t) { zsock_resolve (self->inner), 0, ZMQ_POLLIN, 0 };
        if (self->inner && self->broker)
            items [count++] = (zmq_pollitem_t) { zsock_resolve (self->broker), 0, ZMQ_POLLIN, 0 };
        if (self->started && self->isolate && zaf_isolate_fd (self->isolate) >= 0)
            items [count++] = (zmq_pollitem_t) { NULL, zaf_isolate_fd (self->isolate), ZMQ_POLLIN, 0 };
        int64_t now = zclock_mono ();
        int64_t timeout = self->next_beat - now;
        if (self->started && !self->stopped && self->link == LINK_DOWN && self->retry_at - now < timeout)
            timeout = self->retry_at - now;
        if (children >= 0 && children < timeout)
            timeout = children;
        if (self->deadlines && self->deadlines_at - now < timeout)
            timeout = self->deadlines_at - now;
        if (timeout < 0)
            timeout = 0;
        if (zmq_poll (items, count, timeout) == -1 && errno == ETERM)
            break;
        if (items [0].revents & ZMQ_POLLIN)
            s_handle_pipe (self);
        if (self->terminated)
            break;
        //  Read each socket until it is empty
        int rc;
        if (self->inner)
            for (int n = 0; n < 10000 && (rc = s_inner_recv (self)) != -1; n++)
                s_handle_inner (self, rc);
        if (self->broker)
            for (int n = 0; n < 10000 && self->broker
                 && (rc = zaf_proto_recv_nowait (self->msg, self->broker)) != -1; n++)
                s_handle_broker (self, rc);

        now = zclock_mono ();
        if (self->deadlines && now >= self->deadlines_at)
            s_check_deadlines (self);
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
    }
    if (self->started)
        s_stop (self);
    s_self_destroy (&self);
}
