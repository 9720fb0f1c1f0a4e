/*  =========================================================================
    test_link - the DEALER to the broker: dial, HELLO/WELCOME, heartbeats,
    backoff

    A fake broker (a ROUTER on an inproc endpoint of the test's own) reads
    what the link sends and answers by hand: HELLO carries the role, the
    owner's fields and the link's own (host, pid, version, session after a
    first WELCOME); WELCOME brings the link up with the broker's heartbeat
    and session; ERROR refuses it; silence past the window takes it down.
    The backoff doubles from 100 ms to 2 s and a WELCOME resets it. Waits
    are polls with a deadline.
    =========================================================================
*/

#include "testutil.h"
#include <criterion/criterion.h>

typedef struct {
    zsock_t *router;
    char endpoint [64];
    zaf_proto_t *msg;
} broker_t;

static broker_t *
s_broker_new (void)
{
    broker_t *self = (broker_t *) zmalloc (sizeof (broker_t));
    static int seq = 0;
    snprintf (self->endpoint, sizeof (self->endpoint), "inproc://test-link-%d-%d",
              (int) getpid (), ++seq);
    self->router = zsock_new_router (self->endpoint);
    cr_assert_not_null (self->router);
    self->msg = zaf_proto_new ();
    return self;
}

static void
s_broker_destroy (broker_t **self_p)
{
    broker_t *self = *self_p;
    zsock_destroy (&self->router);
    zaf_proto_destroy (&self->msg);
    free (self);
    *self_p = NULL;
}

//  Receive the next message at the broker within 2 s; fails the test if none
static zaf_proto_t *
s_broker_recv (broker_t *self)
{
    zmq_pollitem_t item = { zsock_resolve (self->router), 0, ZMQ_POLLIN, 0 };
    cr_assert_gt (zmq_poll (&item, 1, 2000), 0, "the broker received nothing");
    cr_assert_eq (zaf_proto_recv (self->msg, self->router), 0);
    return self->msg;
}

//  Answer the last sender with WELCOME {session, heartbeat_ms}
static void
s_broker_welcome (broker_t *self, const char *session, int heartbeat_ms)
{
    zaf_proto_t *out = zaf_proto_new ();
    size_t size;
    const void *id = zaf_proto_routing_id (self->msg, &size);
    zaf_proto_set_routing_id (out, id, size);
    zaf_proto_set_id (out, ZAF_PROTO_WELCOME);
    char body [128];
    snprintf (body, sizeof (body), "{\"session\":\"%s\",\"heartbeat_ms\":%d}", session, heartbeat_ms);
    zaf_proto_set_body (out, body, strlen (body));
    cr_assert_eq (zaf_proto_send (out, self->router), 0);
    zaf_proto_destroy (&out);
}

//  Feed the link what arrives until it has an answer to HELLO (2 s)
static int
s_link_accept (zaf_link_t *link, zaf_proto_t *msg, zaf_error_t *err)
{
    int64_t deadline = zclock_mono () + 2000;
    while (zclock_mono () < deadline) {
        zmq_pollitem_t item = { zsock_resolve (zaf_link_socket (link)), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 50) <= 0)
            continue;
        if (zaf_link_recv (link, msg) == 0) {
            int rc = zaf_link_accept (link, msg, err);
            if (rc)
                return rc;
        }
    }
    cr_assert_fail ("no answer to HELLO within 2 s");
    return 0;
}

//  Dial and bring the link up with this session and heartbeat
static void
s_link_up (zaf_link_t *link, broker_t *broker, zaf_proto_t *msg, const char *session,
           int heartbeat_ms)
{
    cJSON *hello = cJSON_CreateObject ();
    cJSON_AddStringToObject (hello, "name", "tester");
    zaf_error_t err;
    cr_assert_eq (zaf_link_dial (link, hello, &err), 0, "%s", err.message);
    cJSON_Delete (hello);
    cr_assert_eq (zaf_link_state (link), ZAF_LINK_HELLO);
    cr_assert_eq (zaf_proto_id (s_broker_recv (broker)), ZAF_PROTO_HELLO);
    s_broker_welcome (broker, session, heartbeat_ms);
    cr_assert_eq (s_link_accept (link, msg, &err), 1);
    cr_assert_eq (zaf_link_state (link), ZAF_LINK_UP);
}

//  Tick the link when it asks to be ticked, up to 2 s, until it says why
//  it must go down; returns that reason, or NULL if it never did
static const char *
s_tick_until_lost (zaf_link_t *link)
{
    const char *lost = NULL;
    int64_t deadline = zclock_mono () + 2000;
    while (!lost && zclock_mono () < deadline) {
        zmq_pollitem_t item = { zsock_resolve (zaf_link_socket (link)), 0, ZMQ_POLLIN, 0 };
        zmq_poll (&item, 1, (int) (zaf_link_wakeup (link) - zclock_mono ()) + 1);
        lost = zaf_link_tick (link, zclock_mono ());
    }
    return lost;
}

Test (link, hello_carries_role_and_fields_and_welcome_brings_it_up, .timeout = 10)
{
    broker_t *broker = s_broker_new ();
    zaf_link_t *link = zaf_link_new (broker->endpoint, "node", false);
    cr_assert_eq (zaf_link_state (link), ZAF_LINK_DOWN);
    cr_assert (zaf_link_due (link, zclock_mono ()), "a new link may dial at once");
    cr_assert_str_eq (zaf_link_session (link), "");

    cJSON *hello = cJSON_CreateObject ();
    cJSON_AddStringToObject (hello, "name", "n1");
    cJSON_AddNumberToObject (hello, "cpus", 4);
    zaf_error_t err;
    cr_assert_eq (zaf_link_dial (link, hello, &err), 0);
    cJSON_Delete (hello);
    zaf_proto_t *got = s_broker_recv (broker);
    cr_assert_eq (zaf_proto_id (got), ZAF_PROTO_HELLO);
    cr_assert_str_eq (zaf_proto_name (got), "node");
    cJSON *body = zaf_proto_body_json (got);
    cr_assert_str_eq (zaf_json_string (body, "name", ""), "n1");
    cr_assert_eq (zaf_json_int (body, "cpus", 0), 4);
    cr_assert_eq (zaf_json_int (body, "pid", 0), getpid ());
    cr_assert_eq (zaf_json_int (body, "version", 0), 1);
    cr_assert_not_null (cJSON_GetObjectItem (body, "host"));
    cr_assert_null (cJSON_GetObjectItem (body, "session"), "no session before a WELCOME");
    cJSON_Delete (body);

    s_broker_welcome (broker, "s-one", 250);
    zaf_proto_t *msg = zaf_proto_new ();
    cr_assert_eq (s_link_accept (link, msg, &err), 1);
    cr_assert_eq (zaf_link_state (link), ZAF_LINK_UP);
    cr_assert_str_eq (zaf_link_session (link), "s-one");
    cr_assert_eq (zaf_link_heartbeat_ms (link), 250);
    cr_assert_not (zaf_link_session_kept (link));
    cr_assert_str_eq (zaf_json_string (zaf_link_welcome (link), "session", ""), "s-one");

    zaf_proto_destroy (&msg);
    zaf_link_destroy (&link);
    cr_assert_null (link);
    s_broker_destroy (&broker);
}

Test (link, a_second_hello_names_the_session_and_tells_if_it_was_kept, .timeout = 10)
{
    broker_t *broker = s_broker_new ();
    zaf_link_t *link = zaf_link_new (broker->endpoint, "driver", true);
    zaf_proto_t *msg = zaf_proto_new ();
    s_link_up (link, broker, msg, "s-one", 1000);
    zaf_link_close (link);
    cr_assert_eq (zaf_link_state (link), ZAF_LINK_DOWN);
    cr_assert (zaf_link_due (link, zclock_mono ()), "after close the link may dial at once");

    //  The same broker again: the session is kept
    cJSON *hello = cJSON_CreateObject ();
    zaf_error_t err;
    cr_assert_eq (zaf_link_dial (link, hello, &err), 0);
    cJSON *body = zaf_proto_body_json (s_broker_recv (broker));
    cr_assert_str_eq (zaf_json_string (body, "session", ""), "s-one");
    cJSON_Delete (body);
    s_broker_welcome (broker, "s-one", 1000);
    cr_assert_eq (s_link_accept (link, msg, &err), 1);
    cr_assert (zaf_link_session_kept (link));

    //  A restarted broker: a new session
    zaf_link_close (link);
    cr_assert_eq (zaf_link_dial (link, hello, &err), 0);
    s_broker_recv (broker);
    s_broker_welcome (broker, "s-two", 1000);
    cr_assert_eq (s_link_accept (link, msg, &err), 1);
    cr_assert_not (zaf_link_session_kept (link));
    cr_assert_str_eq (zaf_link_session (link), "s-two");
    cJSON_Delete (hello);
    zaf_proto_destroy (&msg);
    zaf_link_destroy (&link);
    s_broker_destroy (&broker);
}

Test (link, a_refusal_takes_it_down_with_the_brokers_reason, .timeout = 10)
{
    broker_t *broker = s_broker_new ();
    zaf_link_t *link = zaf_link_new (broker->endpoint, "node", false);
    cJSON *hello = cJSON_CreateObject ();
    zaf_error_t err;
    cr_assert_eq (zaf_link_dial (link, hello, &err), 0);
    cJSON_Delete (hello);
    s_broker_recv (broker);
    zaf_proto_t *out = zaf_proto_new ();
    size_t size;
    const void *id = zaf_proto_routing_id (broker->msg, &size);
    zaf_proto_set_routing_id (out, id, size);
    zaf_proto_set_id (out, ZAF_PROTO_ERROR);
    char *text = zaf_error_print (ZAF_UNAUTHORIZED, "role not allowed");
    zaf_proto_set_body (out, text, strlen (text));
    cJSON_free (text);
    cr_assert_eq (zaf_proto_send (out, broker->router), 0);
    zaf_proto_destroy (&out);

    zaf_proto_t *msg = zaf_proto_new ();
    cr_assert_eq (s_link_accept (link, msg, &err), -1);
    cr_assert_eq (err.code, ZAF_UNAUTHORIZED);
    cr_assert (strstr (err.message, "role not allowed"));
    cr_assert_eq (zaf_link_state (link), ZAF_LINK_DOWN);
    cr_assert_null (zaf_link_socket (link));
    cr_assert_not (zaf_link_due (link, zclock_mono ()), "a refused link backs off");
    zaf_proto_destroy (&msg);
    zaf_link_destroy (&link);
    s_broker_destroy (&broker);
}

Test (link, messages_before_welcome_are_stale, .timeout = 10)
{
    broker_t *broker = s_broker_new ();
    zaf_link_t *link = zaf_link_new (broker->endpoint, "node", false);
    cJSON *hello = cJSON_CreateObject ();
    zaf_error_t err;
    cr_assert_eq (zaf_link_dial (link, hello, &err), 0);
    cJSON_Delete (hello);
    zaf_proto_t *stale = zaf_proto_new ();
    zaf_proto_set_id (stale, ZAF_PROTO_HEARTBEAT);
    cr_assert_eq (zaf_link_accept (link, stale, &err), 0);
    zaf_proto_set_id (stale, ZAF_PROTO_REPLY);
    cr_assert_eq (zaf_link_accept (link, stale, &err), 0);
    cr_assert_eq (zaf_link_state (link), ZAF_LINK_HELLO);
    zaf_proto_destroy (&stale);
    zaf_link_destroy (&link);
    s_broker_destroy (&broker);
}

Test (link, connect_with_nobody_there_fails_in_time, .timeout = 10)
{
    zaf_link_t *link = zaf_link_new ("inproc://test-link-nobody-here", "driver", true);
    cJSON *hello = cJSON_CreateObject ();
    zaf_proto_t *msg = zaf_proto_new ();
    zaf_error_t err;
    cr_assert_eq (zaf_link_connect (link, hello, 100, msg, &err), -1);
    cr_assert_eq (err.code, ZAF_BROKER_LOST);
    cr_assert (strstr (err.message, "no answer"));
    cr_assert_eq (zaf_link_state (link), ZAF_LINK_DOWN);
    cJSON_Delete (hello);
    zaf_proto_destroy (&msg);
    zaf_link_destroy (&link);
}

//  A broker on a thread of its own: welcomes one HELLO, then waits for $TERM
static void
s_welcoming_broker (zsock_t *pipe, void *args)
{
    broker_t *broker = (broker_t *) args;
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, broker->router, NULL);
    while (true) {
        void *which = zpoller_wait (poller, 2000);
        if (which == broker->router
        &&  zaf_proto_recv (broker->msg, broker->router) == 0
        &&  zaf_proto_id (broker->msg) == ZAF_PROTO_HELLO)
            s_broker_welcome (broker, "s-x", 500);
        else
        if (which == pipe || !which)
            break;
    }
    zpoller_destroy (&poller);
}

Test (link, connect_returns_when_welcomed, .timeout = 10)
{
    broker_t *broker = s_broker_new ();
    zactor_t *thread = zactor_new (s_welcoming_broker, broker);
    zaf_link_t *link = zaf_link_new (broker->endpoint, "driver", true);
    cJSON *hello = cJSON_CreateObject ();
    zaf_proto_t *msg = zaf_proto_new ();
    zaf_error_t err;
    cr_assert_eq (zaf_link_connect (link, hello, 5000, msg, &err), 0, "%s", err.message);
    cr_assert_eq (zaf_link_state (link), ZAF_LINK_UP);
    cr_assert_str_eq (zaf_link_session (link), "s-x");
    cr_assert_eq (zaf_link_heartbeat_ms (link), 500);
    cJSON_Delete (hello);
    zaf_proto_destroy (&msg);
    zaf_link_destroy (&link);
    zactor_destroy (&thread);
    s_broker_destroy (&broker);
}

Test (link, backoff_doubles_to_two_seconds_and_welcome_resets_it, .timeout = 10)
{
    broker_t *broker = s_broker_new ();
    zaf_link_t *link = zaf_link_new (broker->endpoint, "node", false);
    int expected [] = { 100, 200, 400, 800, 1600, 2000, 2000 };
    for (size_t index = 0; index < sizeof (expected) / sizeof (expected [0]); index++) {
        int64_t before = zclock_mono ();
        zaf_link_down (link);
        int64_t wait = zaf_link_wakeup (link) - before;
        cr_assert (wait >= expected [index] && wait <= expected [index] + 50,
                   "down #%zu: next dial in %lld ms, expected %d",
                   index + 1, (long long) wait, expected [index]);
        cr_assert_not (zaf_link_due (link, before));
        cr_assert (zaf_link_due (link, before + expected [index] + 50));
    }
    zaf_proto_t *msg = zaf_proto_new ();
    s_link_up (link, broker, msg, "s", 1000);
    int64_t before = zclock_mono ();
    zaf_link_down (link);
    int64_t wait = zaf_link_wakeup (link) - before;
    cr_assert (wait >= 100 && wait <= 150, "after a WELCOME the backoff starts again");
    zaf_proto_destroy (&msg);
    zaf_link_destroy (&link);
    s_broker_destroy (&broker);
}

Test (link, idle_links_beat_and_silent_brokers_are_lost, .timeout = 10)
{
    broker_t *broker = s_broker_new ();
    zaf_link_t *link = zaf_link_new (broker->endpoint, "node", false);
    zaf_proto_t *msg = zaf_proto_new ();
    s_link_up (link, broker, msg, "s", 20);
    cr_assert_null (zaf_link_tick (link, zclock_mono ()));

    //  Nothing goes out for an interval: the tick says HEARTBEAT
    int64_t deadline = zclock_mono () + 2000;
    while (zclock_mono () < deadline) {
        zmq_pollitem_t item = { zsock_resolve (zaf_link_socket (link)), 0, ZMQ_POLLIN, 0 };
        zmq_poll (&item, 1, (int) (zaf_link_wakeup (link) - zclock_mono ()) + 1);
        if (zaf_link_tick (link, zclock_mono ()))
            break;              //  Lost (the broker never answers here)
        zmq_pollitem_t at_broker = { zsock_resolve (broker->router), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&at_broker, 1, 0) > 0)
            break;
    }
    cr_assert_eq (zaf_proto_id (s_broker_recv (broker)), ZAF_PROTO_HEARTBEAT);

    //  The broker says nothing for three intervals: the link must go down
    const char *lost = s_tick_until_lost (link);
    cr_assert_str_eq (lost, "missed heartbeats");
    zaf_link_down (link);
    cr_assert_eq (zaf_link_state (link), ZAF_LINK_DOWN);
    zaf_proto_destroy (&msg);
    zaf_link_destroy (&link);
    s_broker_destroy (&broker);
}

Test (link, hello_without_welcome_is_given_up, .timeout = 10)
{
    broker_t *broker = s_broker_new ();
    zaf_link_t *link = zaf_link_new (broker->endpoint, "node", false);
    zaf_link_set_heartbeat (link, 20);
    cJSON *hello = cJSON_CreateObject ();
    zaf_error_t err;
    cr_assert_eq (zaf_link_dial (link, hello, &err), 0);
    cJSON_Delete (hello);
    const char *lost = s_tick_until_lost (link);
    cr_assert_str_eq (lost, "no WELCOME");
    zaf_link_destroy (&link);
    s_broker_destroy (&broker);
}

Test (link, bye_says_why_before_closing, .timeout = 10)
{
    broker_t *broker = s_broker_new ();
    zaf_link_t *link = zaf_link_new (broker->endpoint, "driver", true);
    zaf_proto_t *msg = zaf_proto_new ();
    s_link_up (link, broker, msg, "s", 1000);
    zaf_link_bye (link, "leaving");
    cr_assert_eq (zaf_link_state (link), ZAF_LINK_DOWN);
    zaf_proto_t *got = s_broker_recv (broker);
    cr_assert_eq (zaf_proto_id (got), ZAF_PROTO_BYE);
    cJSON *body = zaf_proto_body_json (got);
    cr_assert_str_eq (zaf_json_string (body, "reason", ""), "leaving");
    cJSON_Delete (body);
    //  Sending on a closed link fails cleanly
    zaf_proto_t *out = zaf_proto_new ();
    zaf_proto_set_id (out, ZAF_PROTO_HEARTBEAT);
    cr_assert_eq (zaf_link_send (link, out), -1);
    cr_assert_eq (errno, ENOTCONN);
    cr_assert_eq (zaf_link_recv (link, msg), -1);
    zaf_proto_destroy (&out);
    zaf_proto_destroy (&msg);
    zaf_link_destroy (&link);
    s_broker_destroy (&broker);
}
