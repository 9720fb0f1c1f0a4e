/*  =========================================================================
    zaf_broker_out - the send path of the broker's ROUTER

    Runs in the broker thread only. The ROUTER is mandatory-routing, so a
    send to a vanished peer fails (EHOSTUNREACH) rather than vanishing, and
    a full queue fails with EAGAIN rather than blocking. Answers are never
    dropped while their peer lives: they queue in the peer's backlog, in
    order, and zaf_broker_out_flush sends them as queues drain. Held
    answers are packed (zaf_proto_hold) and counted by the bytes they
    occupy: a peer whose backlog passes its share (ZAF_BROKER_HELD_SHARE)
    is doomed and its backlog freed at once; when all backlogs together
    would pass the budget (ZAF_BROKER_HELD_MAX), the peer holding most is.
    After a large backlog is freed the heap is given back to the system
    (malloc_trim) for a few ticks, as libzmq frees that peer's queue too.
    Forwarded
    requests are never held: the sender hears OVERLOADED instead. Sends
    never block. The scratch message (start/send) is reused for everything
    the broker originates, so each use is filled and sent before the next.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_broker_out.h"
#if defined (__GLIBC__)
#   include <malloc.h>
#endif

//  Backlogs freed at once above this size ask for the heap to be trimmed
#define ZAF_BROKER_TRIM_BYTES   (1024 * 1024)
//  Ticks during which the heap is trimmed after that
#define ZAF_BROKER_TRIM_TICKS   10

struct _zaf_broker_out_t {
    zsock_t *router;            //  The one ROUTER (owned)
    zaf_broker_peers_t *peers;  //  Peer table (borrowed)
    zaf_broker_stats_t *stats;  //  Counters (borrowed)
    zaf_proto_t *scratch;       //  Messages we originate
    zaf_ratelimit_t *warnings;  //  Budget for warnings about bad input
    size_t backlogged;          //  Peers with answers in their backlog
    size_t held_bytes;          //  Bytes all backlogs occupy
    size_t held_peak;           //  Most they ever occupied
    size_t held_max;            //  Budget for all backlogs
    size_t held_share;          //  Budget for one peer's backlog
    int trim_ticks;             //  Ticks left to give memory back
    bool verbose;
};

//  --------------------------------------------------------------------------
//  Create the send path and its ROUTER.

zaf_broker_out_t *
zaf_broker_out_new (zaf_broker_peers_t *peers, zaf_broker_stats_t *stats)
{
    assert (peers);
    assert (stats);
    zaf_broker_out_t *self = (zaf_broker_out_t *) zmalloc (sizeof (zaf_broker_out_t));
    assert (self);
    self->router = zsock_new (ZMQ_ROUTER);
    assert (self->router);
    zsock_set_router_mandatory (self->router, 1);
    zsock_set_sndhwm (self->router, ZAF_HWM);
    zsock_set_rcvhwm (self->router, ZAF_HWM);
    zsock_set_linger (self->router, 0);
    zsock_set_maxmsgsize (self->router, ZAF_BROKER_MAX_MESSAGE);
    self->peers = peers;
    self->stats = stats;
    self->scratch = zaf_proto_new ();
    self->warnings = zaf_ratelimit_new ("zaf_broker", 10);
    self->held_max = ZAF_BROKER_HELD_MAX;
    self->held_share = ZAF_BROKER_HELD_SHARE;
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy the send path and close the ROUTER.

void
zaf_broker_out_destroy (zaf_broker_out_t **self_p)
{
    assert (self_p);
    zaf_broker_out_t *self = *self_p;
    if (!self)
        return;
    zaf_proto_destroy (&self->scratch);
    zaf_ratelimit_destroy (&self->warnings);
    zsock_destroy (&self->router);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  The ROUTER, borrowed.

zsock_t *
zaf_broker_out_router (zaf_broker_out_t *self)
{
    assert (self);
    return self->router;
}

//  --------------------------------------------------------------------------
//  Log every warning, not once per peer.

void
zaf_broker_out_set_verbose (zaf_broker_out_t *self, bool verbose)
{
    assert (self);
    self->verbose = verbose;
}

//  --------------------------------------------------------------------------
//  Log a warning about bad input at a bounded rate.

void
zaf_broker_out_warn (zaf_broker_out_t *self, zaf_broker_peer_t *peer, const char *format, ...)
{
    assert (self);
    if (peer && peer->warned && !self->verbose)
        return;
    char text [400];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof (text), format, args);
    va_end (args);
    if (zaf_ratelimit_warn (self->warnings, "%s", text) && peer)
        peer->warned = true;
}

//  --------------------------------------------------------------------------
//  Budgets for held answers: all peers together, and one peer.

void
zaf_broker_out_set_held_max (zaf_broker_out_t *self, size_t held_max, size_t held_share)
{
    assert (self);
    if (held_max)
        self->held_max = held_max;
    if (held_share)
        self->held_share = held_share;
    if (self->held_share > self->held_max)
        self->held_share = self->held_max;
}

size_t
zaf_broker_out_held_bytes (zaf_broker_out_t *self)
{
    assert (self);
    return self->held_bytes;
}

size_t
zaf_broker_out_held_peak (zaf_broker_out_t *self)
{
    assert (self);
    return self->held_peak;
}

//  Free a peer's backlog now
static void
s_drop_backlog (zaf_broker_out_t *self, zaf_broker_peer_t *peer)
{
    if (zlistx_size (peer->backlog) == 0)
        return;
    self->backlogged--;
    zlistx_purge (peer->backlog);
    if (peer->held_bytes >= ZAF_BROKER_TRIM_BYTES)
        self->trim_ticks = ZAF_BROKER_TRIM_TICKS;
    self->held_bytes -= peer->held_bytes;
    peer->held_bytes = 0;
}

//  A peer that does not read its answers is cut off: it is doomed (its
//  session ends, its requests in flight are dropped, what it sends next
//  is answered BYE) and what it held is freed
static void
s_cut_off (zaf_broker_out_t *self, zaf_broker_peer_t *peer, const char *why)
{
    char name [256];
    zsys_warning ("zaf_broker: dropping peer=%s role=%s name=%s: it does not read its answers "
                  "(%zu answers, %zu bytes held; %s)", peer->hex, zaf_broker_role_name (peer->role),
                  zaf_escape (peer->name, name, sizeof (name)), zlistx_size (peer->backlog),
                  peer->held_bytes, why);
    self->stats->held_dropped++;
    zaf_broker_peers_doom (self->peers, peer, "does not read its answers");
    s_drop_backlog (self, peer);
}

//  The peer holding the most
static zaf_broker_peer_t *
s_biggest_holder (zaf_broker_out_t *self)
{
    //  On a copy of the list: our caller may be walking the table
    zaf_broker_peer_t *biggest = NULL;
    zlistx_t *peers = zaf_broker_peers_list (self->peers);
    for (zaf_broker_peer_t *peer = (zaf_broker_peer_t *) zlistx_first (peers); peer;
         peer = (zaf_broker_peer_t *) zlistx_next (peers))
        if (!biggest || peer->held_bytes > biggest->held_bytes)
            biggest = peer;
    zlistx_destroy (&peers);
    return biggest;
}

//  --------------------------------------------------------------------------
//  Deliver an answer; it waits in the peer's backlog while its queue is full.

void
zaf_broker_out_deliver (zaf_broker_out_t *self, zaf_proto_t *msg,
                        const void *routing_id, size_t size)
{
    assert (self);
    zaf_proto_set_routing_id (msg, routing_id, size);
    if (zaf_proto_id (msg) == ZAF_PROTO_REPLY && !zaf_proto_ok (msg))
        self->stats->errors_sent++;
    zaf_broker_peer_t *peer = zaf_broker_peers_lookup (self->peers, routing_id, size);
    if (!peer || zlistx_size (peer->backlog) == 0) {
        if (zaf_proto_send (msg, self->router) == 0)
            return;
        if (errno != EAGAIN || !peer) {
            self->stats->unroutable++;      //  Its connection is gone
            if (peer)
                zaf_broker_peers_doom (self->peers, peer, "connection closed");
            return;
        }
    }
    if (peer->doomed) {
        zaf_proto_reset (msg);  //  Cut off already: nothing more is held for it
        return;
    }
    zaf_proto_held_t *held = zaf_proto_hold (msg);
    size_t bytes = zaf_proto_held_bytes (held);
    if (peer->held_bytes + bytes > self->held_share
    ||  zlistx_size (peer->backlog) >= ZAF_BROKER_BACKLOG_MAX) {
        zaf_proto_held_destroy (&held);
        char why [100];
        snprintf (why, sizeof (why), "over its share of %zu bytes", self->held_share);
        s_cut_off (self, peer, why);
        return;
    }
    //  Over the budget for all: the peer holding most goes (it may be this one)
    while (self->held_bytes + bytes > self->held_max) {
        zaf_broker_peer_t *biggest = s_biggest_holder (self);
        if (!biggest || biggest->held_bytes == 0 || biggest == peer) {
            zaf_proto_held_destroy (&held);
            s_cut_off (self, peer, "over the budget for all held answers");
            return;
        }
        s_cut_off (self, biggest, "holds the most when the budget for all held answers ran out");
    }
    if (zlistx_size (peer->backlog) == 0)
        self->backlogged++;
    self->stats->backlogged++;
    peer->held_bytes += bytes;
    self->held_bytes += bytes;
    if (self->held_bytes > self->held_peak)
        self->held_peak = self->held_bytes;
    zlistx_add_end (peer->backlog, held);
}

//  --------------------------------------------------------------------------
//  The scratch message for what we originate, and sending it.

zaf_proto_t *
zaf_broker_out_start (zaf_broker_out_t *self, zaf_proto_id_t id)
{
    assert (self);
    zaf_proto_reset (self->scratch);
    zaf_proto_set_id (self->scratch, id);
    return self->scratch;
}

void
zaf_broker_out_send (zaf_broker_out_t *self, const void *routing_id, size_t size)
{
    assert (self);
    zaf_broker_out_deliver (self, self->scratch, routing_id, size);
}

//  --------------------------------------------------------------------------
//  Send msg to a peer without holding it.

int
zaf_broker_out_push (zaf_broker_out_t *self, zaf_proto_t *msg, zaf_broker_peer_t *peer)
{
    assert (self);
    zaf_proto_set_routing_id (msg, peer->key.data, peer->key.size);
    return zaf_proto_send (msg, self->router);
}

//  --------------------------------------------------------------------------
//  Forward a request from caller to node; answer the caller if it fails.

int
zaf_broker_out_forward (zaf_broker_out_t *self, zaf_proto_t *request,
                        zaf_broker_peer_t *caller, zaf_broker_peer_t *node)
{
    assert (self);
    zaf_proto_set_caller (request, caller->key.data, caller->key.size);
    if (zaf_broker_out_push (self, request, node) == 0)
        return 0;
    int error = errno;
    bool tell = zaf_proto_id (request) == ZAF_PROTO_TELL;
    zaf_proto_set_routing_id (request, caller->key.data, caller->key.size);
    if (error == EAGAIN) {
        self->stats->overloaded++;
        if (!tell)
            zaf_broker_out_refuse (self, request, ZAF_OVERLOADED, "queue to node %s is full",
                                   node->name);
    }
    else {
        if (!tell)
            zaf_broker_out_refuse (self, request, ZAF_NODE_LOST, "node %s is gone", node->name);
        zaf_broker_peers_doom (self->peers, node, "connection closed");
    }
    if (tell) {
        //  A tell has no answer; say on the side that it was not delivered
        char message [ZAF_ERROR_MESSAGE_MAX];
        snprintf (message, sizeof (message), "tell %s to actor %s not delivered: node %s %s",
                  zaf_proto_name (request), zaf_proto_actor (request), node->name,
                  error == EAGAIN ? "is overloaded" : "is gone");
        zaf_broker_out_error (self, caller->key.data, caller->key.size,
                              error == EAGAIN ? ZAF_OVERLOADED : ZAF_NODE_LOST, message);
    }
    return -1;
}

//  --------------------------------------------------------------------------
//  Answer a request with an error, to the caller at routing_id.

void
zaf_broker_out_fail (zaf_broker_out_t *self, zaf_proto_id_t kind,
                     const void *routing_id, size_t routing_size,
                     const void *corr, size_t corr_size, const char *actor,
                     zaf_code_t code, const char *message)
{
    assert (self);
    zaf_proto_t *answer = zaf_broker_out_start (self, kind);
    zaf_proto_set_caller (answer, routing_id, routing_size);
    zaf_proto_set_corr (answer, corr, corr_size);
    if (kind == ZAF_PROTO_SPAWNED && actor)
        zaf_proto_set_actor (answer, actor);
    zaf_proto_set_error (answer, code, "%s", message);
    zaf_broker_out_send (self, routing_id, routing_size);
}

//  --------------------------------------------------------------------------
//  Answer the request at hand with an error.

void
zaf_broker_out_refuse (zaf_broker_out_t *self, zaf_proto_t *request,
                       zaf_code_t code, const char *format, ...)
{
    assert (self);
    char message [ZAF_ERROR_MESSAGE_MAX];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof (message), format, args);
    va_end (args);
    size_t routing_size, corr_size;
    const void *routing_id = zaf_proto_routing_id (request, &routing_size);
    const void *corr = zaf_proto_corr (request, &corr_size);
    zaf_proto_id_t kind = zaf_proto_id (request) == ZAF_PROTO_SPAWN ? ZAF_PROTO_SPAWNED
                                                                    : ZAF_PROTO_REPLY;
    zaf_broker_out_fail (self, kind, routing_id, routing_size, corr, corr_size, "",
                         code, message);
}

//  --------------------------------------------------------------------------
//  Answer a request ok, to the caller at routing_id.

void
zaf_broker_out_reply_ok (zaf_broker_out_t *self, const void *routing_id, size_t routing_size,
                         const void *corr, size_t corr_size, cJSON **result_p)
{
    assert (self);
    zaf_proto_t *answer = zaf_broker_out_start (self, ZAF_PROTO_REPLY);
    zaf_proto_set_caller (answer, routing_id, routing_size);
    zaf_proto_set_corr (answer, corr, corr_size);
    zaf_proto_set_ok (answer, true);
    if (result_p && *result_p) {
        zaf_proto_set_body_json (answer, *result_p);
        cJSON_Delete (*result_p);
        *result_p = NULL;
    }
    else
        zaf_proto_set_body (answer, "null", 4);
    zaf_broker_out_send (self, routing_id, routing_size);
}

//  --------------------------------------------------------------------------
//  Send a request, turned into its answer, back to its sender.

void
zaf_broker_out_return (zaf_broker_out_t *self, zaf_proto_t *request)
{
    assert (self);
    size_t size;
    const void *routing_id = zaf_proto_routing_id (request, &size);
    byte requester [ZAF_PROTO_ID_MAX];
    memcpy (requester, routing_id, size);
    zaf_proto_set_caller (request, requester, size);
    zaf_broker_out_deliver (self, request, requester, size);
}

//  --------------------------------------------------------------------------
//  Answer a request ok with a REPLY whose body is result.

void
zaf_broker_out_answer_ok (zaf_broker_out_t *self, zaf_proto_t *request, cJSON *result)
{
    assert (self);
    zaf_proto_set_id (request, ZAF_PROTO_REPLY);
    zaf_proto_set_ok (request, true);
    zaf_proto_set_body_json (request, result);
    cJSON_Delete (result);
    zaf_broker_out_return (self, request);
}

//  --------------------------------------------------------------------------
//  Send an ERROR (no correlation) to a routing id.

void
zaf_broker_out_error (zaf_broker_out_t *self, const void *routing_id, size_t size,
                      zaf_code_t code, const char *message)
{
    assert (self);
    zaf_proto_t *error = zaf_broker_out_start (self, ZAF_PROTO_ERROR);
    char *text = zaf_error_print (code, message);
    zaf_proto_set_body_take (error, &text);
    zaf_broker_out_send (self, routing_id, size);
    self->stats->errors_sent++;
}

//  --------------------------------------------------------------------------
//  Send a BYE.

void
zaf_broker_out_bye (zaf_broker_out_t *self, const void *routing_id, size_t size,
                    const char *reason, bool stop)
{
    assert (self);
    zaf_proto_t *bye = zaf_broker_out_start (self, ZAF_PROTO_BYE);
    cJSON *body = cJSON_CreateObject ();
    cJSON_AddStringToObject (body, "reason", reason);
    if (stop)
        cJSON_AddBoolToObject (body, "stop", true);
    zaf_proto_set_body_json (bye, body);
    cJSON_Delete (body);
    zaf_broker_out_send (self, routing_id, size);
}

//  --------------------------------------------------------------------------
//  Send a HEARTBEAT to a peer.

void
zaf_broker_out_heartbeat (zaf_broker_out_t *self, zaf_broker_peer_t *peer)
{
    assert (self);
    if (zlistx_size (peer->backlog))
        return;                 //  Its queue is full; it hears from us soon
    zaf_proto_t *beat = zaf_broker_out_start (self, ZAF_PROTO_HEARTBEAT);
    if (zaf_broker_out_push (self, beat, peer) && errno == EHOSTUNREACH)
        zaf_broker_peers_doom (self->peers, peer, "connection closed");
}

//  --------------------------------------------------------------------------
//  Parse the JSON body of a control request, or refuse it. Control bodies
//  are small; anything bigger is refused before it reaches the parser.

int
zaf_broker_out_parse (zaf_broker_out_t *self, zaf_proto_t *request, const char *what,
                      cJSON **json_p)
{
    assert (self);
    size_t size;
    const char *body = zaf_proto_body (request, &size);
    *json_p = NULL;
    if (size == 0)
        return 0;
    if (size > ZAF_BROKER_CONTROL_MAX) {
        zaf_broker_out_refuse (self, request, ZAF_BAD_ARGS,
                               "%s is %zu bytes; at most %d are accepted", what, size,
                               ZAF_BROKER_CONTROL_MAX);
        return -1;
    }
    *json_p = zaf_json_parse (body, size);
    if (!*json_p) {
        zaf_broker_out_refuse (self, request, ZAF_BAD_ARGS, "%s is not valid JSON", what);
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Send what waits in backlogs while there is room.

void
zaf_broker_out_flush (zaf_broker_out_t *self)
{
    assert (self);
    zlistx_t *peers = zaf_broker_peers_list (self->peers);
    for (zaf_broker_peer_t *peer = (zaf_broker_peer_t *) zlistx_first (peers); peer;
         peer = (zaf_broker_peer_t *) zlistx_next (peers)) {
        zaf_proto_held_t *held;
        while ((held = (zaf_proto_held_t *) zlistx_first (peer->backlog))) {
            if (zaf_proto_held_send (held, self->router)) {
                if (errno != EAGAIN)
                    zaf_broker_peers_doom (self->peers, peer, "connection closed");
                break;
            }
            size_t bytes = zaf_proto_held_bytes (held);
            peer->held_bytes -= bytes;
            self->held_bytes -= bytes;
            zlistx_delete (peer->backlog, zlistx_cursor (peer->backlog));
            if (zlistx_size (peer->backlog) == 0)
                self->backlogged--;
        }
    }
    zlistx_destroy (&peers);
}

//  --------------------------------------------------------------------------
//  Number of peers with answers in their backlog.

size_t
zaf_broker_out_backlogged (zaf_broker_out_t *self)
{
    assert (self);
    return self->backlogged;
}

//  --------------------------------------------------------------------------
//  A peer is leaving the table: forget its backlog.

void
zaf_broker_out_forget (zaf_broker_out_t *self, zaf_broker_peer_t *peer)
{
    assert (self);
    s_drop_backlog (self, peer);
}

//  --------------------------------------------------------------------------
//  Once per tick: give freed memory back to the system after a large
//  backlog went, while libzmq frees that peer's queue too.

void
zaf_broker_out_tick (zaf_broker_out_t *self)
{
    assert (self);
    if (self->trim_ticks > 0) {
        self->trim_ticks--;
#if defined (__GLIBC__)
        malloc_trim (0);
#endif
    }
}
