/*  =========================================================================
    bench_reader - the reader scenario (see bench_reader.h)

    Each subscriber subscribes to its own tag, the first byte ('f' for the
    bare thread, 'z' for the actor), so that PUB sends a round to one of
    them only. The second byte tells three kinds of message: 'w' (warm-up, sent every few ms
    until the subscriber says "ready" on the done socket), 'm' (counted),
    'e' (end: the subscriber answers "done <count>"). Both sides use the
    same PUB, the same done PULL socket and the same TCP transport; only
    the subscriber differs. HWMs are off on both ends so that nothing is
    dropped and a lost message is a failure, not noise.
    =========================================================================
*/

#include "bench_classes.h"
#include "bench_reader.h"

#define BATCH       100000
#define MESSAGE     64

//  --------------------------------------------------------------------------
//  The bare czmq SUB thread

static void
s_bare_subscriber (zsock_t *pipe, void *args)
{
    char **endpoints = (char **) args;
    zsock_t *sub = zsock_new (ZMQ_SUB);
    zsock_set_rcvhwm (sub, 0);
    zsock_set_subscribe (sub, "f");
    zsock_connect (sub, "%s", endpoints [0]);
    zsock_t *done = zsock_new (ZMQ_PUSH);
    zsock_connect (done, "%s", endpoints [1]);
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, sub, NULL);
    bool ready = false;
    long count = 0;
    void *handle = zsock_resolve (sub);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which == pipe || !which)
            break;
        //  Read until empty, then poll again
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        while (zmq_msg_recv (&msg, handle, ZMQ_DONTWAIT) >= 0) {
            char kind = zmq_msg_size (&msg) > 1 ? ((char *) zmq_msg_data (&msg)) [1] : 0;
            if (kind == 'w' && !ready) {
                zstr_send (done, "ready");
                ready = true;
            }
            else
            if (kind == 'm')
                count++;
            else
            if (kind == 'e') {
                zstr_sendf (done, "done %ld", count);
                count = 0;
                ready = false;
            }
        }
        zmq_msg_close (&msg);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&done);
    zsock_destroy (&sub);
}

//  --------------------------------------------------------------------------
//  One round: warm up until "ready", then time the batch to "done"

static int
s_round (zsock_t *pub, zsock_t *done, char tag, bench_side_t *side, bool counted)
{
    int64_t deadline = bench_now_ns () + 20 * (int64_t) 1000000000;
    char *reply = NULL;
    while (!reply) {
        if (bench_now_ns () > deadline || zsys_interrupted) {
            bench_side_fail (side, "the subscriber never got the warm-up");
            return -1;
        }
        zstr_sendf (pub, "%cw", tag);
        zpoller_t *poller = zpoller_new (done, NULL);
        if (zpoller_wait (poller, 5))
            reply = zstr_recv (done);
        zpoller_destroy (&poller);
    }
    zstr_free (&reply);
    //  Warm-ups still in flight are read before the batch: fine
    char payload [MESSAGE];
    memset (payload, 'x', sizeof (payload));
    payload [0] = tag;
    payload [1] = 'm';
    int64_t start = bench_now_ns ();
    for (long index = 0; index < BATCH; index++)
        zmq_send (zsock_resolve (pub), payload, sizeof (payload), 0);
    zstr_sendf (pub, "%ce", tag);
    zpoller_t *poller = zpoller_new (done, NULL);
    while (!reply && bench_now_ns () < deadline && !zsys_interrupted) {
        if (zpoller_wait (poller, 100))
            reply = zstr_recv (done);
        if (reply && strncmp (reply, "done ", 5))
            zstr_free (&reply);         //  A late "ready"
    }
    zpoller_destroy (&poller);
    int64_t end = bench_now_ns ();
    if (!reply) {
        bench_side_fail (side, "no answer to the batch in time");
        return -1;
    }
    long count = atol (reply + 5);
    zstr_free (&reply);
    if (count != BATCH) {
        bench_side_fail (side, "the subscriber got %ld of %d messages", count, BATCH);
        return -1;
    }
    if (counted) {
        side->ops += BATCH;
        side->timed += end - start;
        bench_lat_add (side->lat, bench_usecs (start, end) / BATCH);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  The scenario

void
bench_reader_run (bool tcp, const bench_opts_t *opts, bench_side_t *floor,
                  bench_side_t *zaf, bench_result_t *result)
{
    zsock_t *pub = zsock_new (ZMQ_PUB);
    zsock_set_sndhwm (pub, 0);
    zsock_t *done = zsock_new (ZMQ_PULL);
    if (zsock_bind (pub, "tcp://127.0.0.1:*") == -1 || zsock_bind (done, "tcp://127.0.0.1:*") == -1) {
        bench_side_fail (floor, "cannot bind");
        bench_side_fail (zaf, "cannot bind");
        zsock_destroy (&pub);
        zsock_destroy (&done);
        return;
    }
    char *endpoints [2] = { strdup (zsock_endpoint (pub)), strdup (zsock_endpoint (done)) };
    char error [BENCH_ERROR_MAX] = "";
    bench_zaf_rig_t *rig = bench_zaf_rig_new (opts, tcp, 1, error, sizeof (error));
    zaf_actor_t *actor = NULL;
    if (!rig)
        bench_side_fail (zaf, "%s", error);
    else {
        zaf_spawn_opts_t spawn = { .timeout_ms = 10000 };
        zaf_error_t err;
        actor = zaf_spawn (bench_zaf_rig_driver (rig), BENCH_READER_CLASS,
                           zaf_json ("[\"%s\", \"%s\"]", endpoints [0], endpoints [1]),
                           &spawn, &err);
        if (!actor)
            bench_side_fail_zaf (zaf, "spawn", &err);
    }
    zactor_t *bare = zactor_new (s_bare_subscriber, endpoints);

    //  Rounds alternate until each side has measured its time (at most
    //  50 rounds); the first round of each side warms up
    int64_t wanted = (int64_t) (opts->duration_ms > 0 ? opts->duration_ms : 1000) * 1000000;
    for (long round = 0; round < 50 && !zsys_interrupted; round++) {
        bool floor_done = floor->failed || (round > 1 && floor->timed >= wanted);
        bool zaf_done = zaf->failed || !actor || (round > 1 && zaf->timed >= wanted);
        if (floor_done && zaf_done)
            break;
        if (!floor->failed)
            s_round (pub, done, 'f', floor, round > 0);
        if (!zaf->failed && actor)
            s_round (pub, done, 'z', zaf, round > 0);
    }
    (void) result;
    zactor_destroy (&bare);
    zaf_actor_destroy (&actor);
    bench_zaf_rig_destroy (&rig);
    zsock_destroy (&pub);
    zsock_destroy (&done);
    free (endpoints [0]);
    free (endpoints [1]);
}
