/*  =========================================================================
    zaf_node_host - what a node does for the parties it hosts

    Runs in the node's thread. Talks to its parties over the inner ROUTER
    (by reference when they are all threads, on the wire when actor
    processes share it) and to the broker through the DEALER the node
    lends it while the link is up.

    Invariants: an actor gets its calls in the order the broker sent them
    (those that come before it is ready wait in its backlog); once the node
    kills an actor it reports EXIT to the broker at once, and the broker
    answers what was pending, so answers the dying actor still sends are
    dropped; every party thread is joined after its EXIT, the last message
    it sends; an actor process's party ends when both its EXIT has come and
    its process is reaped (zaf_node_watch). A request a party makes goes to
    the broker with its corr prefixed by the party's routing id, and the
    answer comes back to the party by that prefix.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_isolate.h"
#include "zaf_node_parties.h"
#include "zaf_node_watch.h"
#include "zaf_node_relay.h"
#include "zaf_node_host.h"

struct _zaf_node_host_t {
    char *name;                     //  Node name, for errors
    zaf_registry_t *registry;       //  What we serve (borrowed)
    zaf_isolate_t *isolate;         //  Actor processes, or NULL (borrowed)
    zsock_t *inner;                 //  ROUTER for our parties
    zaf_channel_t *channel;         //  On it: by reference or on the wire
    char endpoint [64];             //  Its inproc endpoint
    zaf_link_t *broker;             //  Link to the broker while it
                                    //  is up (borrowed), else NULL
    zaf_node_parties_t *parties;    //  What we host
    zaf_node_watch_t *watch;        //  What the tick finds out
    zaf_proto_t *msg;               //  Message from a party being handled
    zaf_proto_t *out;               //  Messages we originate
    bool local;                     //  Parties are threads only: messages to
                                    //  and from them go by reference
    bool verbose;
    bool stopping;
    size_t dropped;                 //  Messages we could not deliver
    zaf_ratelimit_t *warnings;      //  Budget for warnings about bad input
};

//  --------------------------------------------------------------------------
//  Create and destroy

zaf_node_host_t *
zaf_node_host_new (const char *name, zaf_registry_t *registry, zaf_isolate_t *isolate)
{
    assert (name && registry);
    zaf_node_host_t *self = (zaf_node_host_t *) zmalloc (sizeof (zaf_node_host_t));
    assert (self);
    self->name = strdup (name);
    self->registry = registry;
    self->isolate = isolate;
    //  Actor processes share the inner socket: nothing by reference then
    self->local = !isolate;
    self->parties = zaf_node_parties_new ();
    self->watch = zaf_node_watch_new (self->parties, isolate);
    self->msg = zaf_proto_new ();
    self->out = zaf_proto_new ();
    self->warnings = zaf_ratelimit_new ("zaf_node", 10);
    return self;
}

void
zaf_node_host_destroy (zaf_node_host_t **self_p)
{
    assert (self_p);
    zaf_node_host_t *self = *self_p;
    if (!self)
        return;
    zaf_channel_destroy (&self->channel);
    zsock_destroy (&self->inner);
    zaf_node_watch_destroy (&self->watch);
    zaf_node_parties_destroy (&self->parties);
    zaf_proto_destroy (&self->msg);
    zaf_proto_destroy (&self->out);
    zaf_ratelimit_destroy (&self->warnings);
    free (self->name);
    free (self);
    *self_p = NULL;
}

void
zaf_node_host_set_verbose (zaf_node_host_t *self, bool verbose)
{
    assert (self);
    self->verbose = verbose;
}

const char *
zaf_node_host_endpoint (zaf_node_host_t *self)
{
    assert (self);
    return self->endpoint;
}

zsock_t *
zaf_node_host_socket (zaf_node_host_t *self)
{
    assert (self);
    return self->inner;
}

void
zaf_node_host_set_broker (zaf_node_host_t *self, zaf_link_t *broker)
{
    assert (self);
    self->broker = broker;
}

//  --------------------------------------------------------------------------
//  Sending

int
zaf_node_host_to_broker (zaf_node_host_t *self, zaf_proto_t *msg)
{
    assert (self && msg);
    if (!self->broker) {
        self->dropped++;
        return -1;
    }
    if (zaf_link_send (self->broker, msg)) {
        self->dropped++;
        zaf_ratelimit_warn (self->warnings, "cannot send %s to broker: %s",
                            zaf_proto_command_name (zaf_proto_id (msg)), zmq_strerror (errno));
        return -1;
    }
    return 0;
}

//  Send a message to a party; returns 0 or -1
static int
s_to_party (zaf_node_host_t *self, zaf_node_party_t *party, zaf_proto_t *msg)
{
    zaf_proto_set_routing_id (msg, party->routing_id, ZAF_INNER_ID_SIZE);
    if (zaf_channel_send (self->channel, msg)) {
        self->dropped++;
        return -1;
    }
    return 0;
}

//  Send a party a KILL naming it
static void
s_kill_party (zaf_node_host_t *self, zaf_node_party_t *party)
{
    zaf_proto_reset (self->out);
    zaf_proto_set_id (self->out, ZAF_PROTO_KILL);
    zaf_proto_set_actor (self->out, party->id);
    zaf_proto_set_body (self->out, "{}", 2);
    s_to_party (self, party, self->out);
}

//  Answer the request in msg with an error, towards the broker
static void
s_refuse (zaf_node_host_t *self, zaf_proto_t *msg, zaf_code_t code, const char *format, ...)
{
    char message [ZAF_ERROR_MESSAGE_MAX];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof (message), format, args);
    va_end (args);
    if (zaf_proto_id (msg) == ZAF_PROTO_SPAWN)
        zaf_proto_set_id (msg, ZAF_PROTO_SPAWNED);
    zaf_proto_set_error (msg, code, "%s", message);
    zaf_node_host_to_broker (self, msg);
}

//  Report an actor's EXIT to the broker with {"reason":reason}
static void
s_report_exit (zaf_node_host_t *self, const char *actor_id, const char *reason)
{
    zaf_proto_reset (self->out);
    zaf_proto_set_id (self->out, ZAF_PROTO_EXIT);
    zaf_proto_set_actor (self->out, actor_id);
    char *text = zsys_sprintf ("{\"reason\":\"%s\"}", reason);
    zaf_proto_set_body (self->out, text, strlen (text));
    zstr_free (&text);
    zaf_node_host_to_broker (self, self->out);
}

//  --------------------------------------------------------------------------
//  Start: bind the ROUTER, start the workers

int
zaf_node_host_start (zaf_node_host_t *self, int cpus)
{
    assert (self && !self->inner);
    static _Atomic unsigned int node_seq = 0;
    snprintf (self->endpoint, sizeof (self->endpoint), "inproc://zaf-node-%d-%u",
              (int) getpid (), ++node_seq);
    self->inner = zsock_new (ZMQ_ROUTER);
    assert (self->inner);
    zsock_set_router_mandatory (self->inner, 1);
    zsock_set_sndhwm (self->inner, 0);
    zsock_set_rcvhwm (self->inner, 0);
    zsock_set_linger (self->inner, 0);
    //  By reference when every party is a thread of ours
    self->channel = zaf_channel_new (self->inner, self->local);
    if (zsock_bind (self->inner, "%s", self->endpoint) == -1)
        return -1;
    //  Actor processes reach the same ROUTER on our private ipc endpoint
    if (self->isolate && zsock_bind (self->inner, "%s", zaf_isolate_endpoint (self->isolate)) == -1) {
        zsys_error ("zaf_node: cannot bind %s: %s", zaf_isolate_endpoint (self->isolate),
                    zmq_strerror (errno));
        return -1;
    }
    for (int index = 0; index < cpus; index++) {
        zaf_node_party_t *worker =
            zaf_node_party_new_worker (zaf_node_parties_next_id (self->parties), index);
        zaf_worker_spec_t spec = {
            .endpoint = self->endpoint,
            .inner_id = worker->inner_id,
            .registry = self->registry,
            .verbose = self->verbose,
            .local = self->local
        };
        if (zaf_worker_start (&spec, &worker->thread)) {
            zsys_error ("zaf_node: cannot start task worker %d: %s", index, zmq_strerror (errno));
            zaf_node_party_destroy (&worker);
            return -1;
        }
        zaf_node_parties_insert (self->parties, worker);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Actors

//  Kill an actor: no further method starts, the thread is told to end, and
//  (if report) the broker hears EXIT now
static void
s_actor_kill (zaf_node_host_t *self, zaf_node_party_t *party, const char *reason, bool report)
{
    if (party->dying)
        return;
    zaf_node_parties_set_dying (self->parties, party);
    atomic_store (&party->ctl->why, zaf_actor_why (reason));
    atomic_store (&party->ctl->killed, true);
    zaf_node_party_purge (party);
    s_kill_party (self, party);
    if (report)
        s_report_exit (self, party->id, reason);
    //  A child that does not end in time is SIGKILLed; the shared killed
    //  flag covers a KILL sent before it connected
    if (party->kind == ZAF_PARTY_PROCESS)
        zaf_isolate_kill (self->isolate, party->inner_id, ZAF_ISOLATE_GRACE_MS);
    if (self->verbose)
        zsys_debug ("zaf_node: actor killed actor=%s reason=%s", party->id, reason);
}

//  Hand a call or tell to a ready actor
static void
s_deliver (zaf_node_host_t *self, zaf_node_party_t *party, zaf_proto_t *msg)
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
    if (s_to_party (self, party, msg) == 0) {
        party->forwarded++;
        zaf_metrics_note_depth (&party->ctl->metrics, queued + 1);
    }
    else
    if (is_call)
        s_refuse (self, msg, ZAF_ACTOR_DIED, "actor %s is gone", party->id);
}

//  Start the actor of a SPAWN: in a process of its own (ISOLATE) or on a
//  thread. Returns 0, or -1 with errno.
static int
s_actor_start (zaf_node_host_t *self, zaf_node_party_t *party, zaf_actor_spec_t *spec)
{
    if (party->kind == ZAF_PARTY_THREAD) {
        spec->ctl = party->ctl;
        return zaf_actor_start (spec, &party->thread);
    }
    party->pid = zaf_isolate_spawn (self->isolate, spec, &party->ctl);
    if (party->pid <= 0)
        return -1;
    //  What to answer if it dies before its SPAWNED
    party->spawned = zaf_proto_new ();
    zaf_proto_set_id (party->spawned, ZAF_PROTO_SPAWNED);
    zaf_proto_set_caller (party->spawned, spec->caller, spec->caller_size);
    zaf_proto_set_corr (party->spawned, spec->corr, spec->corr_size);
    zaf_proto_set_actor (party->spawned, party->id);
    if (self->verbose)
        zsys_debug ("zaf_node: actor process started actor=%s class=%s pid=%d",
                    party->id, party->class_name, (int) party->pid);
    return 0;
}

void
zaf_node_host_spawn (zaf_node_host_t *self, zaf_proto_t *msg)
{
    assert (self && msg);
    const char *id = zaf_proto_actor (msg);
    const zaf_class_t *cls = zaf_registry_class (self->registry, zaf_proto_name (msg));
    if (!cls) {
        s_refuse (self, msg, ZAF_NO_SUCH_CLASS, "node %s does not serve class %s",
                  self->name, zaf_proto_name (msg));
        return;
    }
    if (!*id || zaf_node_parties_actor (self->parties, id)) {
        s_refuse (self, msg, ZAF_PROTOCOL, "SPAWN with an empty or duplicate actor id");
        return;
    }
    //  max_concurrency > 1: a pool of method threads (zaf_pool)
    cJSON *pool_options = zaf_proto_options_json (msg);
    int concurrency = zaf_json_int (pool_options, "max_concurrency", 1);
    cJSON_Delete (pool_options);
    const char *pool_refusal = concurrency < 1 || concurrency > ZAF_POOL_MAX
        ? "max_concurrency must be 1 to 64"
        : concurrency > 1 && !cls->thread_safe
        ? "is not thread-safe: max_concurrency must be 1"
        : concurrency > 1 && self->isolate
        ? "cannot run methods at once in an actor process (--isolate)" : NULL;
    if (pool_refusal) {
        s_refuse (self, msg, ZAF_BAD_ARGS, "class %s: %s", cls->name, pool_refusal);
        return;
    }
    uint32_t inner_id = zaf_node_parties_next_id (self->parties);
    zaf_node_party_t *party = self->isolate
                            ? zaf_node_party_new_process (inner_id, id, cls->name)
                            : zaf_node_party_new_thread (inner_id, id, cls->name);
    size_t args_size, caller_size, corr_size;
    zaf_actor_spec_t spec = {
        .endpoint = self->endpoint,
        .inner_id = party->inner_id,
        .actor_id = id,
        .cls = cls,
        .verbose = self->verbose,
        .local = self->local,
        .max_concurrency = concurrency,
        .broker = self->broker ? zaf_link_endpoint (self->broker) : NULL
    };
    spec.args = zaf_proto_body (msg, &args_size);
    spec.args_size = args_size;
    spec.caller = zaf_proto_caller (msg, &caller_size);
    spec.caller_size = caller_size;
    spec.corr = zaf_proto_corr (msg, &corr_size);
    spec.corr_size = corr_size;
    //  The spawn options, read once (empty frame: none)
    cJSON *options = zaf_proto_options_json (msg);
    zaf_node_party_set_spawn (party, msg, options);
    cJSON_Delete (options);
    if (party->deadline_ms && party->kind == ZAF_PARTY_THREAD) {
        party->watch = (zaf_actor_running_t *) zmalloc (sizeof (zaf_actor_running_t));
        assert (party->watch);
        spec.running = party->watch;
    }
    if (s_actor_start (self, party, &spec)) {
        const char *reason = zmq_strerror (errno);
        zaf_node_party_destroy (&party);
        zaf_ratelimit_warn (self->warnings, "cannot start actor %s: %s", id, reason);
        s_refuse (self, msg, ZAF_OVERLOADED, "node %s cannot start another actor: %s",
                  self->name, reason);
        return;
    }
    if (party->deadline_ms)
        zaf_node_watch_add_deadline (self->watch);
    zaf_node_parties_insert (self->parties, party);
}

void
zaf_node_host_call (zaf_node_host_t *self, zaf_proto_t *msg)
{
    assert (self && msg);
    bool is_call = zaf_proto_id (msg) == ZAF_PROTO_CALL;
    zaf_node_party_t *party = zaf_node_parties_actor (self->parties, zaf_proto_actor (msg));
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

void
zaf_node_host_kill (zaf_node_host_t *self, zaf_proto_t *msg)
{
    assert (self && msg);
    const char *id = zaf_proto_actor (msg);
    zaf_node_party_t *party = zaf_node_parties_actor (self->parties, id);
    cJSON *body = zaf_proto_body_json (msg);
    if (party) {
        //  Why, for its destructor (zaf_exit_reason); the broker's records
        //  already say why it ended
        atomic_store (&party->ctl->why, zaf_actor_why (zaf_json_string (body, "reason", "killed")));
        s_actor_kill (self, party, "killed", true);
    }
    else
        //  Not here (any more): make sure the broker forgets it too
        s_report_exit (self, id, "killed");
    cJSON_Delete (body);
    size_t corr_size;
    zaf_proto_corr (msg, &corr_size);
    if (corr_size) {
        zaf_proto_set_id (msg, ZAF_PROTO_REPLY);
        zaf_proto_set_ok (msg, true);
        zaf_proto_set_body (msg, "null", 4);
        zaf_node_host_to_broker (self, msg);
    }
}

//  --------------------------------------------------------------------------
//  Tasks

//  Hand queued tasks to the workers (zaf_node_parties chooses the worker)
static void
s_dispatch_tasks (zaf_node_host_t *self)
{
    zaf_node_party_t *worker;
    zaf_proto_t *task;
    while ((task = zaf_node_parties_next_task (self->parties, &worker))) {
        if (s_to_party (self, worker, task) == 0)
            worker->inflight++;
        else
            s_refuse (self, task, ZAF_METHOD_FAILED, "task worker on node %s is gone", self->name);
        zaf_proto_destroy (&task);
    }
}

void
zaf_node_host_submit (zaf_node_host_t *self, zaf_proto_t *msg)
{
    assert (self && msg);
    if (!zaf_registry_function (self->registry, zaf_proto_name (msg))) {
        s_refuse (self, msg, ZAF_NO_SUCH_FUNCTION, "node %s does not serve function %s",
                  self->name, zaf_proto_name (msg));
        return;
    }
    size_t queued = zaf_node_parties_tasks (self->parties);
    if (queued >= ZAF_HWM) {
        s_refuse (self, msg, ZAF_OVERLOADED, "node %s has %zu tasks queued", self->name, queued);
        return;
    }
    zaf_proto_t *task = zaf_proto_new ();
    zaf_proto_move (task, msg);
    zaf_node_parties_queue_task (self->parties, &task);
    s_dispatch_tasks (self);
}

//  --------------------------------------------------------------------------
//  An answer from the broker for one of our parties: the corr starts with
//  its routing id (zaf_node_relay)

void
zaf_node_host_answer (zaf_node_host_t *self, zaf_proto_t *msg)
{
    assert (self && msg);
    if (!zaf_node_relay_route (msg)) {
        self->dropped++;
        zaf_ratelimit_warn (self->warnings, "%s with a correlation id that is not ours dropped",
                            zaf_proto_command_name (zaf_proto_id (msg)));
        return;
    }
    if (zaf_channel_send (self->channel, msg))
        self->dropped++;        //  That party has ended
}

//  --------------------------------------------------------------------------
//  The link's news, for our parties

void
zaf_node_host_broker_lost (zaf_node_host_t *self)
{
    assert (self);
    zlistx_t *parties = zaf_node_parties_list (self->parties);
    for (zaf_node_party_t *party = (zaf_node_party_t *) zlistx_first (parties); party;
         party = (zaf_node_party_t *) zlistx_next (parties)) {
        zaf_proto_reset (self->out);
        zaf_proto_set_id (self->out, ZAF_PROTO_ERROR);
        char *text = zaf_error_print (ZAF_BROKER_LOST, "node lost its broker");
        zaf_proto_set_body_take (self->out, &text);
        s_to_party (self, party, self->out);
    }
    zlistx_destroy (&parties);
    zaf_node_parties_drop_tasks (self->parties);
}

void
zaf_node_host_end_actors (zaf_node_host_t *self, const char *reason)
{
    assert (self && reason);
    zlistx_t *parties = zaf_node_parties_list (self->parties);
    for (zaf_node_party_t *party = (zaf_node_party_t *) zlistx_first (parties); party;
         party = (zaf_node_party_t *) zlistx_next (parties))
        if (party->kind != ZAF_PARTY_WORKER)
            s_actor_kill (self, party, reason, false);
    zlistx_destroy (&parties);
}

zaf_node_parties_t *
zaf_node_host_parties (zaf_node_host_t *self)
{
    assert (self);
    return self->parties;
}

size_t
zaf_node_host_actors (zaf_node_host_t *self)
{
    assert (self);
    return zaf_node_parties_actors (self->parties);
}

size_t
zaf_node_host_tasks (zaf_node_host_t *self)
{
    assert (self);
    return zaf_node_parties_tasks_running (self->parties)
         + zaf_node_parties_tasks (self->parties);
}

void
zaf_node_host_announce (zaf_node_host_t *self, cJSON *actors)
{
    assert (self && actors);
    for (zaf_node_party_t *party = zaf_node_parties_first_actor (self->parties); party;
         party = zaf_node_parties_next_actor (self->parties))
        if (party->ready && !party->dying && party->announce)
            cJSON_AddItemToArray (actors, cJSON_Duplicate (party->announce, true));
}

//  --------------------------------------------------------------------------
//  Requests our parties make through their zaf_t: relay them to the broker

//  Answer a party's request ourselves, with an error
static void
s_refuse_party (zaf_node_host_t *self, zaf_node_party_t *party, zaf_proto_t *msg,
                zaf_code_t code, const char *message)
{
    zaf_node_relay_refuse (msg, code, message);
    s_to_party (self, party, msg);
}

static void
s_relay (zaf_node_host_t *self, zaf_node_party_t *party)
{
    zaf_proto_t *msg = self->msg;
    size_t corr_size;
    zaf_proto_corr (msg, &corr_size);
    if (!self->broker || zaf_node_relay_prefix (msg, party->routing_id)) {
        if (corr_size && !self->broker)
            s_refuse_party (self, party, msg, ZAF_BROKER_LOST, "node has no broker right now");
        else
        if (corr_size)
            s_refuse_party (self, party, msg, ZAF_PROTOCOL, "correlation id too long");
        else
            self->dropped++;
        return;
    }
    if (zaf_link_send (self->broker, msg)) {
        int error = errno;
        if (corr_size) {
            //  Answer the party with its own corr
            zaf_node_relay_unprefix (msg);
            char message [ZAF_ERROR_MESSAGE_MAX];
            snprintf (message, sizeof (message), "queue to the broker is full (%s)",
                      zmq_strerror (error));
            s_refuse_party (self, party, msg, ZAF_OVERLOADED, message);
        }
        else
            self->dropped++;
    }
}

//  --------------------------------------------------------------------------
//  Messages from our parties

//  A thread or process said its last word
static void
s_party_exit (zaf_node_host_t *self, zaf_node_party_t *party)
{
    zaf_proto_t *msg = self->msg;
    if (party->kind == ZAF_PARTY_PROCESS) {
        //  The child's last word; the party ends once it is reaped
        if (!party->dying) {
            zaf_node_parties_set_dying (self->parties, party);
            zaf_node_host_to_broker (self, msg);
        }
        party->exited = true;
        if (party->ended)
            zaf_node_watch_forget (self->watch, &party);
        return;
    }
    //  The thread's last word: it ends now
    pthread_join (party->thread, NULL);
    if (party->kind == ZAF_PARTY_THREAD && !party->dying) {
        zaf_node_parties_set_dying (self->parties, party);
        zaf_node_host_to_broker (self, msg);
    }
    zaf_node_parties_remove (self->parties, &party);
}

//  An actor's SPAWNED: it is ready (calls held for it go now), or its
//  constructor failed
static void
s_party_spawned (zaf_node_host_t *self, zaf_node_party_t *party)
{
    zaf_proto_t *msg = self->msg;
    zaf_proto_destroy (&party->spawned);
    if (party->dying)
        return;                 //  Killed while constructing; broker knows
    zaf_node_host_to_broker (self, msg);
    if (zaf_proto_ok (msg)) {
        party->ready = true;
        zaf_proto_t *held;
        while ((held = (zaf_proto_t *) zlistx_detach (party->backlog, NULL))) {
            s_deliver (self, party, held);
            zaf_proto_destroy (&held);
        }
    }
    else
        //  Constructor failed: the broker ends the actor on SPAWNED
        zaf_node_parties_set_dying (self->parties, party);
}

static void
s_handle_inner (zaf_node_host_t *self, int rc)
{
    zaf_proto_t *msg = self->msg;
    size_t routing_size;
    const void *routing_id = zaf_proto_routing_id (msg, &routing_size);
    zaf_node_party_t *party = zaf_node_parties_find_routing (self->parties, routing_id,
                                                             routing_size);
    if (rc == -2 || !party) {
        zaf_ratelimit_warn (self->warnings, "%s from an inner party dropped%s%s",
                            rc == -2 ? "malformed message" : "message", rc == -2 ? ": " : "",
                            rc == -2 ? zaf_proto_fault (msg) : "");
        return;
    }
    bool is_worker = party->kind == ZAF_PARTY_WORKER;
    zaf_proto_id_t id = zaf_proto_id (msg);
    switch (id) {
        case ZAF_PROTO_HELLO:
            if (is_worker && self->stopping)
                s_kill_party (self, party);     //  Its KILL found no one
            else
            if (is_worker) {
                zaf_node_parties_worker_ready (self->parties, party);
                s_dispatch_tasks (self);
            }
            break;
        case ZAF_PROTO_SPAWNED:
            s_party_spawned (self, party);
            break;
        case ZAF_PROTO_REPLY:
            if (is_worker) {
                if (party->inflight)
                    party->inflight--;
                if (!self->stopping) {
                    zaf_node_host_to_broker (self, msg);
                    s_dispatch_tasks (self);
                }
            }
            else
            if (!party->dying)
                zaf_node_host_to_broker (self, msg);
            break;
        case ZAF_PROTO_EXIT:
            s_party_exit (self, party);
            break;
        case ZAF_PROTO_CALL:
        case ZAF_PROTO_TELL:
        case ZAF_PROTO_SPAWN:
        case ZAF_PROTO_SUBMIT:
        case ZAF_PROTO_KILL:
        case ZAF_PROTO_LOOKUP:
        case ZAF_PROTO_STATUS:
        case ZAF_PROTO_MONITOR:
        case ZAF_PROTO_CANCEL:
            s_relay (self, party);
            break;
        default:
            zaf_ratelimit_warn (self->warnings, "unexpected %s from an inner party dropped",
                                zaf_proto_command_name (id));
    }
}

void
zaf_node_host_recv (zaf_node_host_t *self)
{
    assert (self);
    if (!self->inner)
        return;
    int rc;
    for (int n = 0; n < 10000 && (rc = zaf_channel_recv_nowait (self->channel, self->msg)) != -1; n++)
        s_handle_inner (self, rc);
}

//  --------------------------------------------------------------------------
//  Housekeeping: what the watch finds goes to the broker

int
zaf_node_host_tick (zaf_node_host_t *self)
{
    assert (self);
    int next = zaf_node_watch_tick (self->watch);
    zaf_proto_t *report;
    while ((report = zaf_node_watch_report (self->watch))) {
        zaf_node_host_to_broker (self, report);
        zaf_proto_destroy (&report);
    }
    return next;
}

//  --------------------------------------------------------------------------
//  Stop: kill every actor, stop every worker, wait (bounded) for their EXIT

void
zaf_node_host_stop (zaf_node_host_t *self)
{
    assert (self);
    self->stopping = true;
    zlistx_t *parties = zaf_node_parties_list (self->parties);
    for (zaf_node_party_t *party = (zaf_node_party_t *) zlistx_first (parties); party;
         party = (zaf_node_party_t *) zlistx_next (parties)) {
        if (party->kind == ZAF_PARTY_WORKER) {
            //  A worker that has not said HELLO yet is not reachable; it is
            //  told when its HELLO comes
            if (party->ready)
                s_kill_party (self, party);
        }
        else
            s_actor_kill (self, party, "node_stopped", false);
    }
    zlistx_destroy (&parties);

    //  Their last requests (kills of children they own) still go out;
    //  actor processes that do not end are SIGKILLed after their grace
    int64_t deadline = zclock_mono () + 5000;
    while (zaf_node_parties_size (self->parties) && zclock_mono () < deadline) {
        int timeout = zaf_node_host_tick (self);
        if (timeout == -1 || timeout > 100)
            timeout = 100;
        zmq_pollitem_t items [2] = {
            { zsock_resolve (self->inner), 0, ZMQ_POLLIN, 0 },
            { NULL, self->isolate ? zaf_isolate_fd (self->isolate) : -1, ZMQ_POLLIN, 0 }
        };
        if (zmq_poll (items, items [1].fd >= 0 ? 2 : 1, timeout) == -1 && errno == ETERM)
            break;
        int rc;
        while ((rc = zaf_channel_recv_nowait (self->channel, self->msg)) != -1)
            s_handle_inner (self, rc);
        zaf_node_host_tick (self);
    }
    if (zaf_node_parties_size (self->parties)) {
        //  Threads stuck in user code: leave them, and their control
        //  blocks. Actor processes still here are SIGKILLed and reaped.
        size_t threads = 0;
        parties = zaf_node_parties_list (self->parties);
        for (zaf_node_party_t *party = (zaf_node_party_t *) zlistx_first (parties); party;
             party = (zaf_node_party_t *) zlistx_next (parties)) {
            if (party->kind == ZAF_PARTY_PROCESS) {
                zaf_node_watch_forget (self->watch, &party);
                continue;
            }
            threads++;
            pthread_detach (party->thread);
            party->ctl = NULL;
            zaf_node_parties_remove (self->parties, &party);
        }
        zlistx_destroy (&parties);
        if (threads)
            zsys_warning ("zaf_node: %zu threads did not end within 5 s; leaving them", threads);
    }
}

//  --------------------------------------------------------------------------
//  CANCEL from the broker: the call is marked for the actor or worker
//  threads of this process (zaf_cancel); a queued one never runs

void
zaf_node_host_cancel (zaf_node_host_t *self, zaf_proto_t *msg)
{
    assert (self && msg);
    size_t caller_size, corr_size;
    const void *caller = zaf_proto_caller (msg, &caller_size);
    const void *corr = zaf_proto_corr (msg, &corr_size);
    cJSON *body = zaf_proto_body_json (msg);
    zaf_cancel_mark (caller, caller_size, corr, corr_size, zaf_json_bool (body, "recursive", false));
    cJSON_Delete (body);
}
