/*  =========================================================================
    zaf_link - the DEALER to the broker: dial, HELLO/WELCOME, heartbeats,
    backoff

    Runs in its owner's thread (a driver's, or the node actor's). The link
    never waits except in zaf_link_connect, and never decides what a lost
    broker means: zaf_link_tick says the link must go down and why, and the
    owner takes it down. Every message in or out counts as a sign of life;
    a HEARTBEAT is sent only when nothing else went out for an interval.
    =========================================================================
*/

#include "zaf_classes.h"
#include <errno.h>

struct _zaf_link_t {
    char *endpoint;             //  Broker endpoint
    char *role;                 //  HELLO role
    bool watch;                 //  Read disconnect events
    zaf_link_state_t state;
    zsock_t *dealer;            //  To the broker, NULL while DOWN
    zsock_t *monitor;           //  PAIR with disconnect events, or NULL
    int heartbeat_ms;           //  Ours, then the broker's from WELCOME
    int64_t last_rx;            //  Monotonic ms of last message in
    int64_t last_tx;            //  Monotonic ms of last message out
    int64_t hello_at;           //  When HELLO went out
    int64_t retry_at;           //  Earliest next dial
    int retry_ms;               //  Current backoff
    char session [64];          //  From WELCOME
    bool session_kept;          //  Last WELCOME's session was the one we had
    cJSON *welcome;             //  Last WELCOME's body
    bool curve;                 //  This socket uses CURVE
    char *broker_key;           //  Key files (zaf_auth), or NULL: plaintext
    char *own_key;
    char failure [200];         //  Why the last handshake failed, or ""
};

//  --------------------------------------------------------------------------
//  Constructor and destructor

zaf_link_t *
zaf_link_new (const char *endpoint, const char *role, bool watch)
{
    assert (endpoint);
    assert (role);
    zaf_link_t *self = (zaf_link_t *) zmalloc (sizeof (zaf_link_t));
    assert (self);
    self->endpoint = strdup (endpoint);
    self->role = strdup (role);
    self->watch = watch;
    self->state = ZAF_LINK_DOWN;
    self->heartbeat_ms = ZAF_HEARTBEAT_MS;
    self->retry_ms = ZAF_LINK_RETRY_MIN_MS;
    zaf_auth_client_files (role, &self->broker_key, &self->own_key);
    return self;
}

void
zaf_link_destroy (zaf_link_t **self_p)
{
    assert (self_p);
    if (!*self_p)
        return;
    zaf_link_t *self = *self_p;
    zaf_link_close (self);
    cJSON_Delete (self->welcome);
    free (self->endpoint);
    free (self->role);
    free (self->broker_key);
    free (self->own_key);
    free (self);
    *self_p = NULL;
}

void
zaf_link_set_heartbeat (zaf_link_t *self, int heartbeat_ms)
{
    assert (self);
    self->heartbeat_ms = heartbeat_ms >= 10 ? heartbeat_ms : ZAF_HEARTBEAT_MS;
}

//  --------------------------------------------------------------------------
//  Down

void
zaf_link_close (zaf_link_t *self)
{
    assert (self);
    if (self->monitor) {
        zmq_socket_monitor (zsock_resolve (self->dealer), NULL, 0);
        zsock_destroy (&self->monitor);
    }
    zsock_destroy (&self->dealer);
    self->state = ZAF_LINK_DOWN;
    self->retry_at = 0;
}

void
zaf_link_down (zaf_link_t *self)
{
    assert (self);
    zaf_link_close (self);
    self->retry_at = zclock_mono () + self->retry_ms;
    self->retry_ms = self->retry_ms * 2 > ZAF_LINK_RETRY_MAX_MS
                   ? ZAF_LINK_RETRY_MAX_MS : self->retry_ms * 2;
}

void
zaf_link_bye (zaf_link_t *self, const char *reason)
{
    assert (self);
    if (self->state == ZAF_LINK_UP) {
        cJSON *body = cJSON_CreateObject ();
        cJSON_AddStringToObject (body, "reason", reason ? reason : "leaving");
        zaf_proto_t *bye = zaf_proto_new ();
        zaf_proto_set_id (bye, ZAF_PROTO_BYE);
        zaf_proto_set_body_json (bye, body);
        cJSON_Delete (body);
        zsock_set_linger (self->dealer, 500);
        zaf_proto_send (bye, self->dealer);
        zaf_proto_destroy (&bye);
    }
    zaf_link_close (self);
}

//  --------------------------------------------------------------------------
//  Dial: open the DEALER and say HELLO

//  Open the socket (and its monitor). Returns 0 or -1 with err filled.
static int
s_open (zaf_link_t *self, zaf_error_t *err)
{
    self->dealer = zsock_new (ZMQ_DEALER);
    if (!self->dealer) {
        zaf_error_set (err, ZAF_BAD_ARGS, "cannot make a socket: %s", zmq_strerror (errno));
        return -1;
    }
    self->failure [0] = 0;
    int curve = zaf_auth_client_apply (self->dealer, self->endpoint, self->broker_key,
                                       self->own_key, err);
    if (curve < 0)
        return -1;
    self->curve = curve == 1;
    if (self->curve) {
        //  With keys a peer names its own connection: 16 random bytes, the
        //  first never 0, so the broker never has to give out (or reveal)
        //  one of the routing ids libzmq generates (docs/SECURITY.md)
        zuuid_t *uuid = zuuid_new ();
        byte routing_id [16];
        memcpy (routing_id, zuuid_data (uuid), sizeof (routing_id));
        zuuid_destroy (&uuid);
        routing_id [0] = 'Z';
        zmq_setsockopt (zsock_resolve (self->dealer), ZMQ_ROUTING_ID, routing_id,
                        sizeof (routing_id));
    }
    zsock_set_sndhwm (self->dealer, ZAF_HWM);
    zsock_set_rcvhwm (self->dealer, ZAF_HWM);
    zsock_set_linger (self->dealer, 0);
    zsock_set_heartbeat_ivl (self->dealer, self->heartbeat_ms);
    zsock_set_heartbeat_timeout (self->dealer, self->heartbeat_ms * ZAF_HEARTBEAT_MISSES);
    zsock_set_reconnect_ivl (self->dealer, ZAF_LINK_RETRY_MIN_MS);
    zsock_set_reconnect_ivl_max (self->dealer, ZAF_LINK_RETRY_MAX_MS);
    //  A monitor tells us at once when the connection drops, and with
    //  CURVE why a handshake failed
    bool tcp = strncmp (self->endpoint, "tcp://", 6) == 0;
    int events = (self->watch ? ZMQ_EVENT_DISCONNECTED : 0)
               | (tcp ? ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                      | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                      | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH : 0);
    if (events) {
        char endpoint [64];
        static _Atomic unsigned int monitor_seq = 0;
        snprintf (endpoint, sizeof (endpoint), "inproc://zaf-monitor-%d-%u",
                  (int) getpid (), ++monitor_seq);
        if (zmq_socket_monitor (zsock_resolve (self->dealer), endpoint, events) == 0) {
            self->monitor = zsock_new (ZMQ_PAIR);
            if (self->monitor && zsock_connect (self->monitor, "%s", endpoint))
                zsock_destroy (&self->monitor);
        }
    }
    if (zsock_connect (self->dealer, "%s", self->endpoint)) {
        zaf_error_set (err, ZAF_BAD_ARGS, "cannot connect to %s: %s", self->endpoint,
                       zmq_strerror (errno));
        return -1;
    }
    return 0;
}

//  Read the monitor's events: true if the connection dropped; a failed
//  handshake is remembered in self->failure
static bool
s_read_events (zaf_link_t *self)
{
    bool dropped = false;
    zmsg_t *event;
    while (self->monitor && (event = zmsg_recv_nowait (self->monitor))) {
        zframe_t *head = zmsg_first (event);
        uint16_t number = 0;
        uint32_t value = 0;
        if (head && zframe_size (head) >= 6) {
            memcpy (&number, zframe_data (head), 2);
            memcpy (&value, zframe_data (head) + 2, 4);
        }
        zmsg_destroy (&event);
        if (number == ZMQ_EVENT_DISCONNECTED)
            dropped = true;
        else
        if (number == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
            snprintf (self->failure, sizeof (self->failure),
                      "the broker at %s refused our key (status %u): unknown or revoked key",
                      self->endpoint, value);
        else
        if (number && self->curve)
            snprintf (self->failure, sizeof (self->failure),
                      "the CURVE handshake with %s failed: wrong broker key, or the broker"
                      " does not use CURVE", self->endpoint);
        else
        if (number == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
        &&  value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
            //  Only a mechanism mismatch says so: a handshake cut short
            //  without detail is a broker that went away, not a refusal
            snprintf (self->failure, sizeof (self->failure),
                      "the handshake with %s failed: the broker requires keys (CURVE; give"
                      " --broker-key and --key, or ZAF_KEY_DIR)", self->endpoint);
    }
    return dropped;
}

int
zaf_link_dial (zaf_link_t *self, cJSON *hello, zaf_error_t *err)
{
    assert (self);
    assert (hello);
    zaf_link_close (self);
    if (s_open (self, err)) {
        zaf_link_down (self);
        return -1;
    }
    char host [256] = "";
    gethostname (host, sizeof (host) - 1);
    cJSON_DeleteItemFromObject (hello, "host");
    cJSON_AddStringToObject (hello, "host", host);
    cJSON_DeleteItemFromObject (hello, "pid");
    cJSON_AddNumberToObject (hello, "pid", getpid ());
    cJSON_DeleteItemFromObject (hello, "version");
    cJSON_AddNumberToObject (hello, "version", 1);
    cJSON_DeleteItemFromObject (hello, "session");
    if (*self->session)
        cJSON_AddStringToObject (hello, "session", self->session);

    zaf_proto_t *msg = zaf_proto_new ();
    zaf_proto_set_id (msg, ZAF_PROTO_HELLO);
    zaf_proto_set_name (msg, self->role);
    zaf_proto_set_body_json (msg, hello);
    int rc = zaf_proto_send (msg, self->dealer);
    zaf_proto_destroy (&msg);
    if (rc) {
        zaf_error_set (err, ZAF_BROKER_LOST, "cannot send HELLO to %s: %s", self->endpoint,
                       zmq_strerror (errno));
        zaf_link_down (self);
        return -1;
    }
    self->state = ZAF_LINK_HELLO;
    self->hello_at = self->last_tx = self->last_rx = zclock_mono ();
    return 0;
}

//  --------------------------------------------------------------------------
//  The broker's answer to HELLO

int
zaf_link_accept (zaf_link_t *self, zaf_proto_t *msg, zaf_error_t *err)
{
    assert (self);
    assert (self->state == ZAF_LINK_HELLO);
    zaf_proto_id_t id = zaf_proto_id (msg);
    if (id == ZAF_PROTO_WELCOME) {
        cJSON_Delete (self->welcome);
        self->welcome = zaf_proto_body_json (msg);
        const char *session = zaf_json_string (self->welcome, "session", "");
        self->session_kept = *self->session && streq (session, self->session);
        snprintf (self->session, sizeof (self->session), "%s", session);
        zaf_link_set_heartbeat (self, zaf_json_int (self->welcome, "heartbeat_ms", ZAF_HEARTBEAT_MS));
        zsock_set_heartbeat_ivl (self->dealer, self->heartbeat_ms);
        self->state = ZAF_LINK_UP;
        self->retry_ms = ZAF_LINK_RETRY_MIN_MS;
        self->last_rx = self->last_tx = zclock_mono ();
        return 1;
    }
    if (id == ZAF_PROTO_ERROR) {
        zaf_error_t refusal;
        size_t size;
        const char *body = zaf_proto_body (msg, &size);
        zaf_error_parse (body, size, &refusal);
        zaf_error_set (err, refusal.code, "broker at %s refused us: %s", self->endpoint,
                       refusal.message);
        zaf_link_down (self);
        return -1;
    }
    return 0;
}

int
zaf_link_connect (zaf_link_t *self, cJSON *hello, int timeout_ms, zaf_proto_t *msg,
                  zaf_error_t *err)
{
    assert (self);
    if (zaf_link_dial (self, hello, err))
        return -1;
    //  Wait for WELCOME; anything else before it is stale and dropped. A
    //  failed CURVE handshake ends the wait at once, saying why.
    int64_t deadline = zclock_mono () + (timeout_ms > 0 ? timeout_ms : 0);
    while (true) {
        int64_t remaining = deadline - zclock_mono ();
        if (remaining <= 0 || zsys_interrupted)
            break;
        zmq_pollitem_t items [2] = {
            { zsock_resolve (self->dealer), 0, ZMQ_POLLIN, 0 },
            { self->monitor ? zsock_resolve (self->monitor) : NULL, 0, ZMQ_POLLIN, 0 }
        };
        if (zmq_poll (items, self->monitor ? 2 : 1, remaining) <= 0)
            continue;
        if (self->monitor && (items [1].revents & ZMQ_POLLIN)) {
            bool dropped = s_read_events (self);
            if (*self->failure || (dropped && self->curve)) {
                if (!*self->failure)
                    snprintf (self->failure, sizeof (self->failure),
                              "the broker at %s closed the connection during the handshake:"
                              " wrong broker key, or the broker does not use CURVE",
                              self->endpoint);
                zaf_error_set (err, ZAF_UNAUTHORIZED, "%s", self->failure);
                zaf_link_down (self);
                return -1;
            }
        }
        if (!(items [0].revents & ZMQ_POLLIN))
            continue;
        if (zaf_proto_recv (msg, self->dealer) != 0)
            continue;
        int rc = zaf_link_accept (self, msg, err);
        if (rc)
            return rc == 1 ? 0 : -1;
    }
    zaf_error_set (err, zsys_interrupted ? ZAF_INTERRUPTED : ZAF_BROKER_LOST,
                   "no answer from a broker at %s within %d ms%s", self->endpoint, timeout_ms,
                   self->curve ? " (CURVE handshake not completed: is the broker's key right,"
                                 " and ours allowed?)" : "");
    zaf_link_down (self);
    return -1;
}

//  --------------------------------------------------------------------------
//  Traffic

int
zaf_link_send (zaf_link_t *self, zaf_proto_t *msg)
{
    assert (self);
    if (!self->dealer) {
        errno = ENOTCONN;
        return -1;
    }
    int rc = zaf_proto_send (msg, self->dealer);
    if (rc == 0)
        self->last_tx = zclock_mono ();
    return rc;
}

int
zaf_link_recv (zaf_link_t *self, zaf_proto_t *msg)
{
    assert (self);
    if (!self->dealer) {
        errno = ENOTCONN;
        return -1;
    }
    int rc = zaf_proto_recv_nowait (msg, self->dealer);
    if (rc != -1)
        self->last_rx = zclock_mono ();
    return rc;
}

bool
zaf_link_dropped (zaf_link_t *self)
{
    assert (self);
    return s_read_events (self);
}

const char *
zaf_link_failure (zaf_link_t *self)
{
    assert (self);
    s_read_events (self);
    return *self->failure ? self->failure : NULL;
}

const char *
zaf_link_tick (zaf_link_t *self, int64_t now)
{
    assert (self);
    int64_t window = (int64_t) self->heartbeat_ms * ZAF_HEARTBEAT_MISSES;
    if (self->state == ZAF_LINK_HELLO && now - self->hello_at > window) {
        const char *failure = zaf_link_failure (self);
        return failure ? failure : "no WELCOME";
    }
    if (self->state != ZAF_LINK_UP)
        return NULL;
    if (now - self->last_rx >= window)
        return "missed heartbeats";
    if (now - self->last_tx >= self->heartbeat_ms) {
        zaf_proto_t *ping = zaf_proto_new ();
        zaf_proto_set_id (ping, ZAF_PROTO_HEARTBEAT);
        zaf_link_send (self, ping);
        zaf_proto_destroy (&ping);
    }
    return NULL;
}

bool
zaf_link_due (zaf_link_t *self, int64_t now)
{
    assert (self);
    return self->state == ZAF_LINK_DOWN && now >= self->retry_at;
}

int64_t
zaf_link_wakeup (zaf_link_t *self)
{
    assert (self);
    int64_t window = (int64_t) self->heartbeat_ms * ZAF_HEARTBEAT_MISSES;
    if (self->state == ZAF_LINK_DOWN)
        return self->retry_at;
    if (self->state == ZAF_LINK_HELLO)
        return self->hello_at + window + 1;
    int64_t beat = self->last_tx + self->heartbeat_ms;
    int64_t lost = self->last_rx + window;
    return beat < lost ? beat : lost;
}

//  --------------------------------------------------------------------------
//  Accessors

bool
zaf_link_session_kept (zaf_link_t *self)
{
    assert (self);
    return self->session_kept;
}

const cJSON *
zaf_link_welcome (zaf_link_t *self)
{
    assert (self);
    return self->welcome;
}

zaf_link_state_t
zaf_link_state (zaf_link_t *self)
{
    assert (self);
    return self->state;
}

zsock_t *
zaf_link_socket (zaf_link_t *self)
{
    assert (self);
    return self->dealer;
}

zsock_t *
zaf_link_monitor (zaf_link_t *self)
{
    assert (self);
    return self->monitor;
}

const char *
zaf_link_endpoint (zaf_link_t *self)
{
    assert (self);
    return self->endpoint;
}

const char *
zaf_link_session (zaf_link_t *self)
{
    assert (self);
    return self->session;
}

int
zaf_link_heartbeat_ms (zaf_link_t *self)
{
    assert (self);
    return self->heartbeat_ms;
}
