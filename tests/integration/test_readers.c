/*  =========================================================================
    test_readers - an actor's own sockets, file descriptors and timers

    The Reader and Ticker test classes (tests/support/test_io_actors.h)
    own a PULL socket, a pipe and timers. The embedded tests start
    zaf_init (NULL) (a broker and a node as threads of the test process);
    the process tests start zaf-broker and zaf-node processes, one of them
    with --isolate. Actors report "opened" and "closed" on a DEALER to a
    ROUTER the test binds, which is how a test counts that each socket is
    closed exactly once, by the destructor, after a kill, a restart and in
    an actor process. Timing is reported, never asserted beyond a bound a
    loaded machine keeps: the mean period of a repeating timer, which does
    not drift since each tick is due one period after the last was due.
    =========================================================================
*/

#include "testutil.h"
#include <criterion/criterion.h>

static void
s_setup (void)
{
    zsys_set_logstream (stderr);
}

TestSuite (readers, .init = s_setup, .fini = zt_cleanup, .timeout = 120);

#define WAIT_MS 20000

//  --------------------------------------------------------------------------
//  Helpers

typedef struct {
    zaf_t *z;
    zaf_actor_t *actor;
    const char *method;
    double at_least;
    double last;
} number_wait_t;

static bool
s_number_reached (void *arg)
{
    number_wait_t *wait = (number_wait_t *) arg;
    zaf_error_t err;
    cJSON *result = zt_call (wait->z, wait->actor, wait->method, NULL, 5000, &err);
    if (!cJSON_IsNumber (result)) {
        cJSON_Delete (result);
        return false;
    }
    wait->last = result->valuedouble;
    cJSON_Delete (result);
    return wait->last >= wait->at_least;
}

//  Wait until method answers at least `at_least`; returns the last answer
static double
s_wait_number (zaf_t *z, zaf_actor_t *actor, const char *method, double at_least)
{
    number_wait_t wait = { z, actor, method, at_least, -1 };
    zt_wait_until (s_number_reached, &wait, WAIT_MS);
    return wait.last;
}

static zaf_actor_t *
s_spawn (zaf_t *z, const char *cls, cJSON *args, int max_restarts)
{
    zaf_spawn_opts_t opts = { .timeout_ms = WAIT_MS, .max_restarts = max_restarts };
    zaf_error_t err;
    zaf_actor_t *actor = zaf_spawn (z, cls, args, &opts, &err);
    cr_assert_not_null (actor, "spawn %s failed: %s", cls, err.message);
    return actor;
}

//  The reports actors send to the test's ROUTER
typedef struct {
    zsock_t *router;
    int opened;
    int closed;
    int ticks_after_close;      //  "tick" after a "closed" (from any actor)
    bool seen_closed;
} reports_t;

static void
s_reports_open (reports_t *self)
{
    memset (self, 0, sizeof (*self));
    self->router = zsock_new (ZMQ_ROUTER);
    cr_assert_not_null (self->router);
    cr_assert_gt (zsock_bind (self->router, "tcp://127.0.0.1:*"), 0);
}

//  Take reports for up to timeout_ms, or until opened and closed reach
//  what is wanted (-1: do not care). Returns true if they did.
static bool
s_reports_until (reports_t *self, int opened, int closed, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (true) {
        if ((opened < 0 || self->opened >= opened) && (closed < 0 || self->closed >= closed)
        &&  (opened >= 0 || closed >= 0))
            return true;
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            return false;
        zpoller_t *poller = zpoller_new (self->router, NULL);
        void *which = zpoller_wait (poller, (int) left);
        zpoller_destroy (&poller);
        if (!which)
            continue;
        zmsg_t *msg = zmsg_recv (self->router);
        if (!msg)
            return false;
        zframe_t *identity = zmsg_pop (msg);
        zframe_destroy (&identity);
        char *text = zmsg_popstr (msg);
        if (text && strncmp (text, "opened ", 7) == 0)
            self->opened++;
        else
        if (text && strncmp (text, "closed ", 7) == 0) {
            self->closed++;
            self->seen_closed = true;
        }
        else
        if (text && strncmp (text, "tick ", 5) == 0 && self->seen_closed)
            self->ticks_after_close++;
        zstr_free (&text);
        zmsg_destroy (&msg);
    }
}

static void
s_reports_close (reports_t *self)
{
    zsock_destroy (&self->router);
}

//  The report endpoint as a JSON string argument
static char *
s_reports_endpoint (reports_t *self)
{
    return strdup (zsock_endpoint (self->router));
}

//  --------------------------------------------------------------------------
//  Embedded: a reader takes 100,000 messages while calls are answered

Test (readers, a_reader_takes_100k_messages_while_calls_are_answered_one_at_a_time)
{
    cr_assert_eq (test_actors_register (), 0);
    zaf_t *z = zaf_init (NULL);
    cr_assert_not_null (z);
    zsock_t *push = zsock_new (ZMQ_PUSH);
    cr_assert_gt (zsock_bind (push, "tcp://127.0.0.1:*"), 0);
    zaf_actor_t *reader = s_spawn (z, "Reader",
        zaf_json ("[\"%s\", \"zsock\", null]", zsock_endpoint (push)), 0);
    zaf_actor_t *helper = s_spawn (z, "Counter", NULL, 0);

    //  A reader outside an actor is refused
    cr_assert_eq (zaf_reader (z, push, NULL, NULL), -1);
    cr_assert_eq (zaf_timer (z, 10, false, "get", NULL), -1);

    int calls = 0;
    double last = 0;
    for (int batch = 0; batch < 100; batch++) {
        for (int index = 0; index < 1000; index++)
            cr_assert_eq (zstr_send (push, "tick"), 0);
        zaf_error_t err;
        cJSON *result = zt_call (z, reader, "received", NULL, 10000, &err);
        cr_assert (cJSON_IsNumber (result), "received failed: %s", err.message);
        cr_assert_geq (result->valuedouble, last, "the count went back");
        last = result->valuedouble;
        cJSON_Delete (result);
        calls++;
        if (batch % 10 == 0) {
            //  A method that waits on another actor: no handler runs inside it
            cJSON *args = cJSON_CreateArray ();
            cJSON_AddItemToArray (args, zaf_actor_to_json (helper));
            cJSON_AddItemToArray (args, cJSON_CreateNumber (1));
            result = zt_call (z, reader, "busy", args, 10000, &err);
            cr_assert_not_null (result, "busy failed: %s", err.message);
            cJSON_Delete (result);
            calls++;
        }
    }
    double received = s_wait_number (z, reader, "received", 100000);
    cr_assert_eq (received, 100000, "the reader took %.0f of 100000", received);
    cr_assert_eq (zt_call_number (z, reader, "reentered", NULL, 10000), 0,
                  "a handler ran inside a method or another handler");
    cr_log_info ("100000 messages read while %d calls were answered", calls);

    //  The fd reader, then removing the socket reader
    cr_assert_eq (zt_call_number (z, reader, "poke", zaf_json ("[5]"), 10000), 5);
    cr_assert_eq (s_wait_number (z, reader, "poked", 5), 5);
    cr_assert_eq (zt_call_number (z, reader, "stop_reading", NULL, 10000), 0);
    cr_assert_eq (zt_call_number (z, reader, "stop_reading", NULL, 10000), -1);
    for (int index = 0; index < 10; index++)
        zstr_send (push, "late");
    cr_assert_eq (zt_call_number (z, reader, "poke", zaf_json ("[1]"), 10000), 1);
    cr_assert_eq (s_wait_number (z, reader, "poked", 6), 6);
    cr_assert_eq (zt_call_number (z, reader, "received", NULL, 10000), 100000,
                  "a removed reader still read");

    zaf_actor_destroy (&helper);
    zaf_actor_destroy (&reader);
    zsock_destroy (&push);
    zaf_shutdown (&z);
}

//  A raw libzmq socket as a reader
Test (readers, a_raw_libzmq_socket_is_a_reader)
{
    cr_assert_eq (test_actors_register (), 0);
    zaf_t *z = zaf_init (NULL);
    cr_assert_not_null (z);
    zsock_t *push = zsock_new (ZMQ_PUSH);
    cr_assert_gt (zsock_bind (push, "tcp://127.0.0.1:*"), 0);
    zaf_actor_t *reader = s_spawn (z, "Reader",
        zaf_json ("[\"%s\", \"raw\", null]", zsock_endpoint (push)), 0);
    for (int index = 0; index < 1000; index++)
        zstr_send (push, "tick");
    cr_assert_eq (s_wait_number (z, reader, "received", 1000), 1000);
    cr_assert_eq (zt_call_number (z, reader, "reentered", NULL, 10000), 0);
    zaf_actor_destroy (&reader);
    zsock_destroy (&push);
    zaf_shutdown (&z);
}

//  --------------------------------------------------------------------------
//  Processes: the socket is closed once, by the destructor

static zaf_actor_t *
s_spawn_reporting_reader (zaf_t *z, reports_t *reports, const char *kind, int max_restarts)
{
    char *endpoint = s_reports_endpoint (reports);
    zaf_actor_t *actor = s_spawn (z, "Reader",
        zaf_json ("[\"tcp://127.0.0.1:1\", \"%s\", \"%s\"]", kind, endpoint), max_restarts);
    free (endpoint);
    return actor;
}

Test (readers, a_reader_s_socket_is_closed_once_after_kill_and_after_restart)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 0, "n", 1, NULL);
    reports_t reports;
    s_reports_open (&reports);

    zaf_actor_t *reader = s_spawn_reporting_reader (cluster.z, &reports, "zsock", 0);
    cr_assert (s_reports_until (&reports, 1, -1, WAIT_MS), "no opened");
    zaf_error_t err;
    cr_assert_eq (zaf_kill (cluster.z, reader, &err), 0, "kill: %s", err.message);
    cr_assert (s_reports_until (&reports, -1, 1, WAIT_MS), "no closed after kill");
    zaf_actor_destroy (&reader);

    //  A restart: the first incarnation closes once, the second opens
    reader = s_spawn_reporting_reader (cluster.z, &reports, "raw", 1);
    cr_assert (s_reports_until (&reports, 2, -1, WAIT_MS));
    zaf_tell (cluster.z, reader, "fail", NULL);
    cr_assert (s_reports_until (&reports, 3, 2, WAIT_MS), "no restart: opened %d closed %d",
               reports.opened, reports.closed);
    cr_assert_eq (zt_call_number (cluster.z, reader, "reentered", NULL, 10000), 0);
    cr_assert_eq (zaf_kill (cluster.z, reader, &err), 0, "kill: %s", err.message);
    cr_assert (s_reports_until (&reports, -1, 3, WAIT_MS), "no closed after the restart's kill");
    zaf_actor_destroy (&reader);

    //  Nothing more comes: every socket was closed exactly once
    s_reports_until (&reports, 4, 4, 300);
    cr_assert_eq (reports.opened, 3);
    cr_assert_eq (reports.closed, 3);
    s_reports_close (&reports);
    cr_assert (zt_cluster_stop (&cluster));
}

Test (readers, a_reader_works_and_closes_once_in_an_actor_process)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 0, "n", 0, NULL);
    const char *argv [] = {
        zt_path ("bin", "zaf-node"), "--broker", cluster.endpoint, "--name", "iso",
        "--cpus", "1", "--isolate", "--module", zt_path ("lib", "libzaf_test_actors.so"), NULL
    };
    cluster.nodes [0] = zt_proc_start (argv, false);
    cluster.nodes_count = 1;
    cr_assert (zt_wait_nodes (cluster.z, 1, 10000), "node did not register");

    reports_t reports;
    s_reports_open (&reports);
    zsock_t *push = zsock_new (ZMQ_PUSH);
    cr_assert_gt (zsock_bind (push, "tcp://127.0.0.1:*"), 0);
    char *endpoint = s_reports_endpoint (&reports);
    zaf_actor_t *reader = s_spawn (cluster.z, "Reader",
        zaf_json ("[\"%s\", \"zsock\", \"%s\"]", zsock_endpoint (push), endpoint), 0);
    free (endpoint);
    cr_assert (s_reports_until (&reports, 1, -1, WAIT_MS));
    pid_t pid = (pid_t) zt_call_number (cluster.z, reader, "pid", NULL, WAIT_MS);
    cr_assert_neq (pid, zt_proc_pid (cluster.nodes [0]), "not in a process of its own");
    for (int index = 0; index < 1000; index++)
        zstr_send (push, "tick");
    cr_assert_eq (s_wait_number (cluster.z, reader, "received", 1000), 1000);
    cr_assert_eq (zt_call_number (cluster.z, reader, "poke", zaf_json ("[3]"), WAIT_MS), 3);
    cr_assert_eq (s_wait_number (cluster.z, reader, "poked", 3), 3);

    zaf_error_t err;
    cr_assert_eq (zaf_kill (cluster.z, reader, &err), 0, "kill: %s", err.message);
    cr_assert (s_reports_until (&reports, -1, 1, WAIT_MS), "no closed after kill");
    s_reports_until (&reports, 2, 2, 300);
    cr_assert_eq (reports.opened, 1);
    cr_assert_eq (reports.closed, 1);
    zaf_actor_destroy (&reader);
    zsock_destroy (&push);
    s_reports_close (&reports);
    cr_assert (zt_cluster_stop (&cluster));
}

//  --------------------------------------------------------------------------
//  Timers

Test (readers, a_timer_keeps_its_period_over_200_ticks_and_stops_when_cancelled)
{
    cr_assert_eq (test_actors_register (), 0);
    zaf_t *z = zaf_init (NULL);
    cr_assert_not_null (z);
    zaf_actor_t *ticker = s_spawn (z, "Ticker", zaf_json ("[10]"), 0);
    double ticks = s_wait_number (z, ticker, "ticks", 200);
    cr_assert_geq (ticks, 200);
    zaf_error_t err;
    cJSON *stats = zt_call (z, ticker, "stats", NULL, 10000, &err);
    cr_assert_not_null (stats, "%s", err.message);
    double period_us = cJSON_GetObjectItem (stats, "period_us")->valuedouble;
    double late_us = cJSON_GetObjectItem (stats, "late_us")->valuedouble;
    cr_log_info ("timer 10 ms over %.0f ticks: mean period %.3f ms, mean delay after due %.3f ms",
                 ticks, period_us / 1000, late_us / 1000);
    printf ("timer 10 ms over %.0f ticks: mean period %.3f ms, mean delay after due %.3f ms\n",
            ticks, period_us / 1000, late_us / 1000);
    cJSON_Delete (stats);
    cr_assert (period_us > 10000 - 5000 && period_us < 10000 + 5000,
               "mean period %.0f us is not within 5 ms of 10 ms", period_us);

    //  Cancelled: a one-shot timer three periods later finds no new tick
    cr_assert_eq (zt_call_number (z, ticker, "cancel", NULL, 10000), 0);
    cr_assert_eq (zt_call_number (z, ticker, "cancel", NULL, 10000), -1);
    double frozen = zt_call_number (z, ticker, "ticks", NULL, 10000);
    cr_assert_gt (zt_call_number (z, ticker, "after", zaf_json ("[30, \"done\"]"), 10000), 0);
    cJSON *marks = NULL;
    int64_t deadline = zclock_mono () + WAIT_MS;
    while (zclock_mono () < deadline) {
        cJSON_Delete (marks);
        marks = zt_call (z, ticker, "marks", NULL, 10000, &err);
        if (cJSON_GetArraySize (marks) == 1)
            break;
        zclock_sleep (5);
    }
    cr_assert_eq (cJSON_GetArraySize (marks), 1, "the one-shot timer did not fire");
    cr_assert_str_eq (cJSON_GetArrayItem (marks, 0)->valuestring, "done");
    cJSON_Delete (marks);
    cr_assert_eq (zt_call_number (z, ticker, "ticks", NULL, 10000), frozen,
                  "a cancelled timer ticked");
    zaf_actor_destroy (&ticker);
    zaf_shutdown (&z);
}

Test (readers, timers_die_with_the_actor_and_come_back_only_from_the_constructor)
{
    cr_assert_eq (test_actors_register (), 0);
    zaf_t *z = zaf_init (NULL);
    cr_assert_not_null (z);
    reports_t reports;
    s_reports_open (&reports);
    char *endpoint = s_reports_endpoint (&reports);

    //  A restart: the one-shot timer set by a method is gone, the
    //  constructor's repeating one ticks again
    zaf_actor_t *ticker = s_spawn (z, "Ticker", zaf_json ("[5, \"%s\"]", endpoint), 1);
    cr_assert_gt (zt_call_number (z, ticker, "after", zaf_json ("[60000, \"late\"]"), 10000), 0);
    cr_assert_geq (s_wait_number (z, ticker, "ticks", 3), 3);
    zaf_tell (z, ticker, "fail", NULL);
    cr_assert (s_reports_until (&reports, 2, 1, WAIT_MS), "no restart");
    double ticks = s_wait_number (z, ticker, "ticks", 3);
    cr_assert_geq (ticks, 3, "the restarted actor's constructor timer does not tick");
    zaf_error_t err;
    cJSON *marks = zt_call (z, ticker, "marks", NULL, 10000, &err);
    cr_assert_eq (cJSON_GetArraySize (marks), 0);
    cJSON_Delete (marks);

    //  Killed: the destructor's "closed" is the last thing it sends
    reports.seen_closed = false;
    reports.ticks_after_close = 0;
    cr_assert_eq (zaf_kill (z, ticker, &err), 0, "kill: %s", err.message);
    cr_assert (s_reports_until (&reports, -1, 2, WAIT_MS));
    s_reports_until (&reports, 3, 3, 100);
    cr_assert_eq (reports.ticks_after_close, 0, "a timer ticked after its actor ended");
    zaf_actor_destroy (&ticker);
    free (endpoint);
    s_reports_close (&reports);
    zaf_shutdown (&z);
}

//  --------------------------------------------------------------------------
//  max_concurrency: a thread-safe class's methods run at once on a pool

static double
s_most (zaf_t *z, const char *cls, int max_concurrency, int calls)
{
    zaf_spawn_opts_t opts = { .timeout_ms = WAIT_MS, .max_concurrency = max_concurrency };
    zaf_error_t err;
    zaf_actor_t *actor = zaf_spawn (z, cls, NULL, &opts, &err);
    cr_assert_not_null (actor, "%s", err.message);
    zaf_future_t *futures [8];
    for (int index = 0; index < calls; index++)
        futures [index] = zaf_call (z, actor, "wait", zaf_json ("[200]"));
    cJSON *results [8] = { NULL };
    zaf_error_t errs [8];
    cr_assert_eq (zaf_get_all (z, futures, (size_t) calls, WAIT_MS, results, errs), 0,
                  "%s", errs [0].message);
    for (int index = 0; index < calls; index++)
        cJSON_Delete (results [index]);
    double most = zt_call_number (z, actor, "most", NULL, 10000);
    zaf_actor_destroy (&actor);
    return most;
}

Test (readers, max_concurrency_4_runs_four_waits_at_once)
{
    cr_assert_eq (test_actors_register (), 0);
    zaf_t *z = zaf_init (NULL);
    cr_assert_not_null (z);
    //  Four 200 ms waits: the actor sees all four at once with 4 threads,
    //  one at a time without
    cr_assert_eq (s_most (z, "Sleeper", 4, 4), 4, "four waits did not overlap");
    cr_assert_eq (s_most (z, "Sleeper", 1, 2), 1, "max_concurrency 1 overlapped");
    cr_assert_eq (s_most (z, "Sleeper", 2, 4), 2, "max_concurrency 2 ran more at once");

    //  A class that is not thread-safe, or a bad number, is refused
    zaf_error_t err;
    zaf_spawn_opts_t four = { .timeout_ms = WAIT_MS, .max_concurrency = 4 };
    cr_assert_null (zaf_spawn (z, "Counter", NULL, &four, &err));
    cr_assert_eq (err.code, ZAF_BAD_ARGS, "%s", err.message);
    cr_assert (strstr (err.message, "thread-safe"), "%s", err.message);
    zaf_spawn_opts_t bad = { .timeout_ms = WAIT_MS, .max_concurrency = 1000 };
    cr_assert_null (zaf_spawn (z, "Sleeper", NULL, &bad, &err));
    cr_assert_eq (err.code, ZAF_BAD_ARGS);

    //  A method on the pool calls another actor; zaf_exit ends the actor
    zaf_actor_t *sleeper = zaf_spawn (z, "Sleeper", NULL, &four, &err);
    cr_assert_not_null (sleeper, "%s", err.message);
    zaf_actor_t *counter = s_spawn (z, "Counter", NULL, 0);
    cJSON *args = cJSON_CreateArray ();
    cJSON_AddItemToArray (args, zaf_actor_to_json (counter));
    cJSON_AddItemToArray (args, cJSON_CreateNumber (7));
    cr_assert_eq (zt_call_number (z, sleeper, "add_to", args, 10000), 7);
    zaf_future_t *watch = zaf_monitor (z, sleeper);
    zaf_tell (z, sleeper, "fail", NULL);
    cJSON *ended = zaf_get (z, &watch, WAIT_MS, &err);
    cr_assert_not_null (ended, "%s", err.message);
    cr_assert_str_eq (zaf_json_string (ended, "reason", ""), "failed");
    cJSON_Delete (ended);
    zaf_actor_destroy (&sleeper);
    zaf_actor_destroy (&counter);
    zaf_shutdown (&z);
}
