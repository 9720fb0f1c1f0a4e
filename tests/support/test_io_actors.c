/*  =========================================================================
    test_io_actors - test classes with sockets, file descriptors and timers

    See test_io_actors.h. Everything here runs on the actor's own thread;
    the "inside" flag is how the classes notice a handler that runs inside
    a method (or the other way), which the runtime promises never happens.
    =========================================================================
*/

#include "test_io_actors.h"
#include <czmq.h>
#include <unistd.h>
#include <stdatomic.h>

#define TICKS_KEPT  1024

//  --------------------------------------------------------------------------
//  What both classes share: the report socket

static zsock_t *
s_report_open (const cJSON *args, int index, const char *word)
{
    const char *endpoint = zaf_arg_string (args, index, NULL);
    if (!endpoint)
        return NULL;
    zsock_t *report = zsock_new (ZMQ_DEALER);
    zsock_set_linger (report, 5000);
    if (zsock_connect (report, "%s", endpoint)) {
        zsock_destroy (&report);
        return NULL;
    }
    zstr_sendf (report, "%s %d", word, (int) getpid ());
    return report;
}

static void
s_report_close (zsock_t **report_p, const char *word)
{
    if (*report_p) {
        zstr_sendf (*report_p, "%s %d", word, (int) getpid ());
        zsock_destroy (report_p);
    }
}

//  --------------------------------------------------------------------------
//  Reader

typedef struct {
    zsock_t *zsock;             //  Kind "zsock"
    void *raw;                  //  Kind "raw"
    int pipe [2];
    zsock_t *report;
    int inside;                 //  In a handler or a method
    int reentered;
    int64_t received;
    int64_t poked;
} reader_t;

static void
s_reader_dtor (void *state)
{
    reader_t *self = (reader_t *) state;
    s_report_close (&self->report, "closed");
    zsock_destroy (&self->zsock);
    if (self->raw)
        zmq_close (self->raw);
    close (self->pipe [0]);
    close (self->pipe [1]);
    free (self);
}

static void
s_enter (reader_t *self)
{
    if (self->inside++)
        self->reentered++;
}

static int
s_on_socket (zaf_t *z, void *socket, int fd, void *arg)
{
    (void) z;
    reader_t *self = (reader_t *) arg;
    s_enter (self);
    if (fd != -1 || socket != (self->zsock ? (void *) self->zsock : self->raw))
        self->reentered++;      //  Not what we registered
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    void *handle = self->zsock ? zsock_resolve (self->zsock) : self->raw;
    if (zmq_msg_recv (&msg, handle, ZMQ_DONTWAIT) >= 0)
        self->received++;
    zmq_msg_close (&msg);
    self->inside--;
    return 0;
}

static int
s_on_pipe (zaf_t *z, void *socket, int fd, void *arg)
{
    (void) z;
    reader_t *self = (reader_t *) arg;
    s_enter (self);
    if (socket || fd != self->pipe [0])
        self->reentered++;
    char bytes [64];
    ssize_t size = read (fd, bytes, sizeof (bytes));
    if (size > 0)
        self->poked += size;
    self->inside--;
    return 0;
}

static void *
s_reader_ctor (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    const char *endpoint = zaf_arg_string (args, 0, NULL);
    const char *kind = zaf_arg_string (args, 1, "zsock");
    if (!endpoint) {
        zaf_error_set (err, ZAF_BAD_ARGS, "Reader needs an endpoint");
        return NULL;
    }
    reader_t *self = (reader_t *) calloc (1, sizeof (reader_t));
    self->pipe [0] = self->pipe [1] = -1;
    int rc;
    if (streq (kind, "raw")) {
        self->raw = zmq_socket (zsys_init (), ZMQ_PULL);
        int linger = 0;
        zmq_setsockopt (self->raw, ZMQ_LINGER, &linger, sizeof (linger));
        rc = zmq_connect (self->raw, endpoint);
        if (rc == 0)
            rc = zaf_reader (z, self->raw, s_on_socket, self);
    }
    else {
        self->zsock = zsock_new (ZMQ_PULL);
        rc = zsock_connect (self->zsock, "%s", endpoint);
        if (rc == 0)
            rc = zaf_reader (z, self->zsock, s_on_socket, self);
    }
    if (rc == 0)
        rc = pipe (self->pipe);
    if (rc == 0)
        rc = zaf_reader_fd (z, self->pipe [0], s_on_pipe, self);
    //  The same socket twice is refused
    if (rc == 0 && zaf_reader (z, self->zsock ? (void *) self->zsock : self->raw,
                               s_on_socket, self) != -1)
        rc = -1;
    if (rc == 0)
        self->report = s_report_open (args, 2, "opened");
    if (rc) {
        zaf_error_set (err, ZAF_METHOD_FAILED, "Reader could not open its sockets");
        s_reader_dtor (self);
        return NULL;
    }
    return self;
}

static cJSON *
s_reader_received (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    (void) z; (void) args; (void) err;
    reader_t *self = (reader_t *) state;
    s_enter (self);
    cJSON *result = cJSON_CreateNumber ((double) self->received);
    self->inside--;
    return result;
}

static cJSON *
s_reader_poked (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    (void) z; (void) args; (void) err;
    return cJSON_CreateNumber ((double) ((reader_t *) state)->poked);
}

static cJSON *
s_reader_poke (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    (void) z; (void) err;
    reader_t *self = (reader_t *) state;
    int count = (int) zaf_arg_number (args, 0, 1);
    for (int index = 0; index < count; index++)
        if (write (self->pipe [1], "x", 1) != 1)
            return cJSON_CreateNumber (index);
    return cJSON_CreateNumber (count);
}

static cJSON *
s_reader_reentered (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    (void) z; (void) args; (void) err;
    return cJSON_CreateNumber (((reader_t *) state)->reentered);
}

static cJSON *
s_reader_busy (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    reader_t *self = (reader_t *) state;
    s_enter (self);
    zaf_actor_t *other = zaf_actor_from_json (cJSON_GetArrayItem (args, 0));
    int ms = (int) zaf_arg_number (args, 1, 1);
    cJSON *result = NULL;
    if (!other)
        zaf_error_set (err, ZAF_BAD_ARGS, "busy needs a handle");
    else {
        zaf_future_t *future = zaf_call (z, other, "sleep", zaf_json ("[%d]", ms));
        result = zaf_get (z, &future, 10000, err);
        zaf_future_destroy (&future);
        zaf_actor_destroy (&other);
    }
    self->inside--;
    return result;
}

static cJSON *
s_reader_stop_reading (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    (void) args; (void) err;
    reader_t *self = (reader_t *) state;
    return cJSON_CreateNumber (zaf_reader_remove (z, self->zsock ? (void *) self->zsock
                                                                 : self->raw));
}

static cJSON *
s_fail (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    (void) state; (void) args; (void) err;
    zaf_exit (z, "failed");
    return NULL;
}

static cJSON *
s_pid (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    (void) state; (void) z; (void) args; (void) err;
    return cJSON_CreateNumber (getpid ());
}

static const zaf_method_t s_reader_methods [] = {
    { "received", s_reader_received },
    { "poked", s_reader_poked },
    { "poke", s_reader_poke },
    { "reentered", s_reader_reentered },
    { "busy", s_reader_busy },
    { "stop_reading", s_reader_stop_reading },
    { "fail", s_fail },
    { "pid", s_pid },
    { NULL, NULL }
};

static const zaf_class_t s_reader_class = {
    "Reader", s_reader_ctor, s_reader_dtor, s_reader_methods
};

//  --------------------------------------------------------------------------
//  Ticker

typedef struct {
    int period_ms;
    int timer;
    int64_t started;            //  zclock_usecs when the timer was set
    int64_t times [TICKS_KEPT];
    int64_t late_total;         //  Sum of (tick time - due time)
    int ticks;
    zsock_t *report;
    cJSON *marks;
} ticker_t;

static void
s_ticker_dtor (void *state)
{
    ticker_t *self = (ticker_t *) state;
    s_report_close (&self->report, "closed");
    cJSON_Delete (self->marks);
    free (self);
}

static void *
s_ticker_ctor (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    ticker_t *self = (ticker_t *) calloc (1, sizeof (ticker_t));
    self->period_ms = (int) zaf_arg_number (args, 0, 10);
    self->marks = cJSON_CreateArray ();
    self->report = s_report_open (args, 1, "opened");
    self->started = zclock_usecs ();
    self->timer = zaf_timer (z, self->period_ms, true, "tick", NULL);
    //  Bad arguments are refused
    if (self->timer <= 0 || zaf_timer (z, -1, false, "tick", NULL) != -1
    ||  zaf_timer (z, 0, true, "tick", NULL) != -1 || zaf_timer (z, 5, false, NULL, NULL) != -1) {
        zaf_error_set (err, ZAF_BAD_ARGS, "Ticker could not set its timer");
        s_ticker_dtor (self);
        return NULL;
    }
    return self;
}

static cJSON *
s_ticker_tick (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    (void) z; (void) args; (void) err;
    ticker_t *self = (ticker_t *) state;
    int64_t now = zclock_usecs ();
    if (self->ticks < TICKS_KEPT) {
        self->times [self->ticks] = now;
        self->late_total += now - (self->started + (int64_t) (self->ticks + 1) * self->period_ms * 1000);
    }
    self->ticks++;
    if (self->report)
        zstr_sendf (self->report, "tick %d", self->ticks);
    return NULL;
}

static cJSON *
s_ticker_ticks (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    (void) z; (void) args; (void) err;
    return cJSON_CreateNumber (((ticker_t *) state)->ticks);
}

static cJSON *
s_ticker_stats (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    (void) z; (void) args; (void) err;
    ticker_t *self = (ticker_t *) state;
    int kept = self->ticks < TICKS_KEPT ? self->ticks : TICKS_KEPT;
    double period = kept > 1 ? (double) (self->times [kept - 1] - self->times [0]) / (kept - 1) : 0;
    double late = kept ? (double) self->late_total / kept : 0;
    return zaf_json ("{\"ticks\": %d, \"period_us\": %.1f, \"late_us\": %.1f}",
                     self->ticks, period, late);
}

static cJSON *
s_ticker_cancel (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    (void) args; (void) err;
    ticker_t *self = (ticker_t *) state;
    return cJSON_CreateNumber (zaf_timer_cancel (z, self->timer));
}

static cJSON *
s_ticker_after (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    (void) state;
    int ms = (int) zaf_arg_number (args, 0, 1);
    const char *tag = zaf_arg_string (args, 1, "");
    cJSON *tell = cJSON_CreateArray ();
    cJSON_AddItemToArray (tell, cJSON_CreateString (tag));
    int id = zaf_timer (z, ms, false, "mark", tell);
    if (id <= 0)
        zaf_error_set (err, ZAF_BAD_ARGS, "timer refused");
    return cJSON_CreateNumber (id);
}

static cJSON *
s_ticker_mark (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    (void) z; (void) err;
    ticker_t *self = (ticker_t *) state;
    cJSON_AddItemToArray (self->marks, cJSON_CreateString (zaf_arg_string (args, 0, "")));
    return NULL;
}

static cJSON *
s_ticker_marks (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    (void) z; (void) args; (void) err;
    return cJSON_Duplicate (((ticker_t *) state)->marks, true);
}

static const zaf_method_t s_ticker_methods [] = {
    { "tick", s_ticker_tick },
    { "ticks", s_ticker_ticks },
    { "stats", s_ticker_stats },
    { "cancel", s_ticker_cancel },
    { "after", s_ticker_after },
    { "mark", s_ticker_mark },
    { "marks", s_ticker_marks },
    { "fail", s_fail },
    { "pid", s_pid },
    { NULL, NULL }
};

static const zaf_class_t s_ticker_class = {
    "Ticker", s_ticker_ctor, s_ticker_dtor, s_ticker_methods
};


//  --------------------------------------------------------------------------
//  Sleeper: thread-safe, for max_concurrency

typedef struct {
    atomic_int inside;          //  Methods running now
    atomic_int most;            //  The most that ever ran at once
} sleeper_t;

static void *
s_sleeper_ctor (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    (void) z; (void) args; (void) err;
    return calloc (1, sizeof (sleeper_t));
}

static void
s_sleeper_dtor (void *state)
{
    free (state);
}

static cJSON *
s_sleeper_wait (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    (void) z; (void) err;
    sleeper_t *self = (sleeper_t *) state;
    int now = atomic_fetch_add (&self->inside, 1) + 1;
    int most = atomic_load (&self->most);
    while (now > most && !atomic_compare_exchange_weak (&self->most, &most, now))
        ;
    zclock_sleep ((int) zaf_arg_number (args, 0, 10));
    atomic_fetch_sub (&self->inside, 1);
    return cJSON_CreateNumber (now);
}

static cJSON *
s_sleeper_most (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    (void) z; (void) args; (void) err;
    return cJSON_CreateNumber (atomic_load (&((sleeper_t *) state)->most));
}

//  add_to (handle, n): calls Counter.add (n) on handle from a pool thread
static cJSON *
s_sleeper_add_to (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    (void) state;
    zaf_actor_t *other = zaf_actor_from_json (cJSON_GetArrayItem (args, 0));
    if (!other || !zaf_self (z)) {
        zaf_actor_destroy (&other);
        zaf_error_set (err, ZAF_BAD_ARGS, "add_to needs a handle, inside an actor");
        return NULL;
    }
    zaf_future_t *future = zaf_call (z, other, "add",
                                     zaf_json ("[%d]", (int) zaf_arg_number (args, 1, 1)));
    cJSON *result = zaf_get (z, &future, 10000, err);
    zaf_future_destroy (&future);
    zaf_actor_destroy (&other);
    return result;
}

static const zaf_method_t s_sleeper_methods [] = {
    { "wait", s_sleeper_wait },
    { "most", s_sleeper_most },
    { "add_to", s_sleeper_add_to },
    { "fail", s_fail },
    { NULL, NULL }
};

static const zaf_class_t s_sleeper_class = {
    "Sleeper", s_sleeper_ctor, s_sleeper_dtor, s_sleeper_methods, true
};

int
test_io_actors_register (void)
{
    return zaf_register_class (&s_reader_class) || zaf_register_class (&s_ticker_class)
        || zaf_register_class (&s_sleeper_class) ? -1 : 0;
}
