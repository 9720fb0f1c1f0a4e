/*  =========================================================================
    zaf_local - an embedded cluster: a broker and one node in this process

    Two czmq actors started from the caller's thread: zaf_broker and
    zaf_node, talking over inproc. Destroying the cluster stops the node
    first (its actors end and say so while the broker still listens), then
    the broker.
    =========================================================================
*/

#include "zaf_classes.h"

struct _zaf_local_t {
    zactor_t *broker;           //  Broker actor
    zactor_t *node;             //  Node actor
    char *endpoint;             //  inproc endpoint for drivers here
    char *endpoints;            //  All broker endpoints
    char *dashboard_note;       //  The port it took was not the one asked
};

//  Send a command to an actor and read "OK" <value> or "ERROR" <reason>.
//  Returns the value (caller frees) or NULL and fills err.
static char *
s_command (zactor_t *actor, const char *command, const char *arg, zaf_error_t *err)
{
    zstr_sendx (actor, command, arg, NULL);
    char *status = NULL, *value = NULL;
    zsock_set_rcvtimeo (actor, 5000);
    if (zstr_recvx (actor, &status, &value, NULL) < 1 || !status || strneq (status, "OK")) {
        zaf_error_set (err, ZAF_BAD_ARGS, "%s %s failed: %s", command, arg,
                       value ? value : "no answer");
        zstr_free (&value);
    }
    zsock_set_rcvtimeo (actor, -1);
    zstr_free (&status);
    return value;
}

//  The broker's dashboard, where ZAF_DASHBOARD says (default
//  127.0.0.1:8265, a busy port passed over). A dashboard that cannot start
//  is said and does not stop the cluster.
static void
s_start_dashboard (zaf_local_t *self)
{
    const char *address = getenv ("ZAF_DASHBOARD");
    if (!address || !*address)
        address = "127.0.0.1:8265";
    zstr_sendx (self->broker, "DASHBOARD", address, NULL);
    char *status = NULL, *value = NULL, *note = NULL;
    zsock_set_rcvtimeo (self->broker, 5000);
    zstr_recvx (self->broker, &status, &value, &note, NULL);
    zsock_set_rcvtimeo (self->broker, -1);
    if (!status || strneq (status, "OK"))
        zsys_warning ("zaf: no dashboard: %s", value ? value : "no answer");
    else
    if (note && *note) {
        zsys_info ("zaf: dashboard %s (%s)", value, note);
        self->dashboard_note = strdup (note);
    }
    zstr_free (&status);
    zstr_free (&value);
    zstr_free (&note);
}

zaf_local_t *
zaf_local_new (int cpus, int timeout_ms, zaf_error_t *err)
{
    zaf_local_t *self = (zaf_local_t *) zmalloc (sizeof (zaf_local_t));
    assert (self);
    self->broker = zactor_new (zaf_broker, NULL);
    if (!self->broker) {
        zaf_error_set (err, ZAF_BAD_ARGS, "cannot start the embedded broker");
        zaf_local_destroy (&self);
        return NULL;
    }
    zstr_send (self->broker, "QUIET");
    static _Atomic unsigned int local_seq = 0;
    char endpoint [64];
    snprintf (endpoint, sizeof (endpoint), "inproc://zaf-local-%d-%u", (int) getpid (), ++local_seq);
    self->endpoint = s_command (self->broker, "BIND", endpoint, err);
    if (!self->endpoint) {
        zaf_local_destroy (&self);
        return NULL;
    }
    self->endpoints = strdup (self->endpoint);
    const char *bind = getenv ("ZAF_BIND");
    const char *insecure = getenv ("ZAF_INSECURE");
    if (bind && strncmp (bind, "tcp://", 6) == 0 && strncmp (bind + 6, "127.", 4)
    &&  strncmp (bind + 6, "localhost:", 10) && strncmp (bind + 6, "[::1]:", 6)
    &&  !(insecure && streq (insecure, "1"))) {
        //  An embedded broker has no keys: beyond loopback anyone who
        //  reaches the port would own the cluster (docs/SECURITY.md)
        zaf_error_set (err, ZAF_BAD_ARGS, "ZAF_BIND=%s: an embedded broker has no keys and"
                       " listens beyond loopback only with ZAF_INSECURE=1", bind);
        zaf_local_destroy (&self);
        return NULL;
    }
    if (bind && *bind) {
        char *bound = s_command (self->broker, "BIND", bind, err);
        if (!bound) {
            zaf_local_destroy (&self);
            return NULL;
        }
        char *both = zsys_sprintf ("%s %s", self->endpoints, bound);
        free (self->endpoints);
        self->endpoints = both;
        zstr_free (&bound);
    }
    s_start_dashboard (self);
    self->node = zactor_new (zaf_node, NULL);
    if (!self->node) {
        zaf_error_set (err, ZAF_BAD_ARGS, "cannot start the embedded node");
        zaf_local_destroy (&self);
        return NULL;
    }
    zstr_send (self->node, "QUIET");
    zstr_sendx (self->node, "BROKER", self->endpoint, NULL);
    zstr_sendx (self->node, "NAME", "embedded", NULL);
    if (cpus > 0) {
        char text [16];
        snprintf (text, sizeof (text), "%d", cpus);
        zstr_sendx (self->node, "CPUS", text, NULL);
    }
    char *started = s_command (self->node, "START", "", err);
    if (!started) {
        zaf_local_destroy (&self);
        return NULL;
    }
    zstr_free (&started);
    //  Wait until the node has registered
    int64_t deadline = zclock_mono () + timeout_ms;
    while (true) {
        zstr_send (self->node, "STATE");
        char *state = zstr_recv (self->node);
        bool up = state && streq (state, "connected");
        zstr_free (&state);
        if (up)
            break;
        if (zclock_mono () >= deadline) {
            zaf_error_set (err, ZAF_NODE_LOST, "embedded node did not register within %d ms",
                           timeout_ms);
            zaf_local_destroy (&self);
            return NULL;
        }
        zclock_sleep (1);
    }
    return self;
}

void
zaf_local_destroy (zaf_local_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zaf_local_t *self = *self_p;
        zactor_destroy (&self->node);
        zactor_destroy (&self->broker);
        free (self->endpoint);
        free (self->endpoints);
        free (self->dashboard_note);
        free (self);
        *self_p = NULL;
    }
}

const char *
zaf_local_endpoint (zaf_local_t *self)
{
    assert (self);
    return self->endpoint;
}

const char *
zaf_local_endpoints (zaf_local_t *self)
{
    assert (self);
    return self->endpoints;
}

const char *
zaf_local_dashboard_note (zaf_local_t *self)
{
    assert (self);
    return self->dashboard_note;
}
