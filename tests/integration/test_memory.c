/*  =========================================================================
    test_memory - peers that send requests and never read their answers

    Three raw DEALER peers say HELLO to a zaf-broker process and then send
    LOOKUPs as fast as they can without ever reading. Each one's answers
    first fill libzmq's queue to it (100,000 messages), then wait in the
    broker's backlog, which is bounded in bytes (--held-share-mb per peer,
    --held-max-mb for all). The test checks, with the broker's own figures
    and its resident memory from /proc: every such peer is cut off, what
    the broker held never passed the budget, a well-behaved client is
    served throughout, and once the peers are gone the memory is given
    back.
    =========================================================================
*/

#include "testutil.h"
#include <criterion/criterion.h>

TestSuite (memory, .fini = zt_cleanup, .timeout = 300);

#define HELD_MAX_MB     24
#define HELD_SHARE_MB   8
#define HWM             "5000"          //  libzmq's queue per peer, in messages
#define CONSUMERS       3

//  Resident memory of a process in KB, from /proc, or -1
static long
s_rss_kb (pid_t pid)
{
    char path [64];
    snprintf (path, sizeof (path), "/proc/%d/status", (int) pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    char line [256];
    long rss = -1;
    while (fgets (line, sizeof (line), file))
        if (strncmp (line, "VmRSS:", 6) == 0)
            rss = atol (line + 6);
    fclose (file);
    return rss;
}

//  A number from the broker's STATUS (top level, or a counter), or -1
static double
s_status_number (zaf_t *z, const char *key, bool counter)
{
    zaf_error_t err;
    cJSON *status = zaf_client_status (z, NULL, 10000, &err);
    if (!status)
        return -1;
    const cJSON *from = counter ? cJSON_GetObjectItem (status, "counters") : status;
    const cJSON *item = cJSON_GetObjectItem (from, key);
    double value = cJSON_IsNumber (item) ? item->valuedouble : -1;
    cJSON_Delete (status);
    return value;
}

#if !defined (__SANITIZE_ADDRESS__)
typedef struct {
    pid_t broker;
    long base_kb;
    long slack_kb;
} rss_wait_t;

static bool
s_rss_back (void *arg)
{
    rss_wait_t *wait = (rss_wait_t *) arg;
    long rss = s_rss_kb (wait->broker);
    return rss >= 0 && rss <= wait->base_kb + wait->slack_kb;
}
#endif

//  A DEALER that said HELLO as a driver and got WELCOME
static zsock_t *
s_consumer (const char *endpoint)
{
    zsock_t *socket = zsock_new (ZMQ_DEALER);
    cr_assert_not_null (socket);
    zsock_set_rcvhwm (socket, 10);
    zsock_set_linger (socket, 0);
    cr_assert_eq (zsock_connect (socket, "%s", endpoint), 0);
    zsock_set_rcvtimeo (socket, 10000);
    zstr_sendx (socket, "ZAF1", "HELLO", "driver", "{\"name\":\"slow\"}", NULL);
    char *signature = NULL, *command = NULL, *body = NULL;
    cr_assert_eq (zstr_recvx (socket, &signature, &command, &body, NULL), 3);
    cr_assert_str_eq (command, "WELCOME");
    zstr_free (&signature);
    zstr_free (&command);
    zstr_free (&body);
    return socket;
}

//  Send up to count LOOKUPs without waiting; returns how many went
static int
s_flood (zsock_t *socket, uint64_t *corr, int count)
{
    void *handle = zsock_resolve (socket);
    int sent = 0;
    for (; sent < count; sent++) {
        byte bytes [8];
        uint64_t value = ++*corr;
        for (int index = 7; index >= 0; index--, value >>= 8)
            bytes [index] = (byte) value;
        if (zmq_send (handle, "ZAF1", 4, ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1)
            break;
        zmq_send (handle, "LOOKUP", 6, ZMQ_SNDMORE);
        zmq_send (handle, "", 0, ZMQ_SNDMORE);
        zmq_send (handle, bytes, 8, ZMQ_SNDMORE);
        zmq_send (handle, "nobody-has-this-name", 20, 0);
    }
    return sent;
}

Test (memory, slow_consumers_stay_inside_the_budget_and_memory_comes_back)
{
    zsys_set_logstream (stderr);
    char held_max [16], held_share [16];
    snprintf (held_max, sizeof (held_max), "%d", HELD_MAX_MB);
    snprintf (held_share, sizeof (held_share), "%d", HELD_SHARE_MB);
    const char *argv [] = {
        zt_path ("bin", "zaf-broker"), "--bind", "tcp://127.0.0.1:0",
        "--held-max-mb", held_max, "--held-share-mb", held_share, "--hwm", HWM, NULL
    };
    zt_proc_t *broker = zt_proc_start (argv, true);
    cr_assert_not_null (broker);
    char *line = zt_proc_read_line (broker, 10000);
    cr_assert (line && strncmp (line, "listening ", 10) == 0, "broker said %s", line);
    char *endpoint = strdup (line + 10);
    free (line);
    pid_t pid = zt_proc_pid (broker);

    zaf_error_t err;
    zaf_t *z = zaf_client_connect (endpoint, "cli", 10000, &err);
    cr_assert_not_null (z, "%s", err.message);
    //  Warm the broker's paths up once, then take the level before
    cr_assert_geq (s_status_number (z, "held_bytes", false), 0);
    long base_kb = s_rss_kb (pid);
    cr_assert_gt (base_kb, 0);

    zsock_t *consumers [CONSUMERS];
    uint64_t corrs [CONSUMERS] = { 0 };
    for (int index = 0; index < CONSUMERS; index++)
        consumers [index] = s_consumer (endpoint);

    //  Flood until the broker has cut every one of them off
    long peak_kb = base_kb;
    double dropped = 0;
    int64_t deadline = zclock_mono () + 200000;
    int64_t next_status = 0;
    while (dropped < CONSUMERS && zclock_mono () < deadline) {
        int sent = 0;
        for (int index = 0; index < CONSUMERS; index++)
            sent += s_flood (consumers [index], &corrs [index], 2000);
        if (sent == 0) {
            //  Every queue to the broker is full: wait until one has room
            zmq_pollitem_t items [CONSUMERS];
            for (int index = 0; index < CONSUMERS; index++)
                items [index] = (zmq_pollitem_t) { zsock_resolve (consumers [index]), 0, ZMQ_POLLOUT, 0 };
            zmq_poll (items, CONSUMERS, 100);
        }
        long rss = s_rss_kb (pid);
        if (rss > peak_kb)
            peak_kb = rss;
        if (zclock_mono () >= next_status) {
            dropped = s_status_number (z, "held_dropped", true);
            cr_assert_geq (dropped, 0, "the broker stopped answering a well-behaved client");
            next_status = zclock_mono () + 200;
        }
    }
    uint64_t sent_total = corrs [0] + corrs [1] + corrs [2];
    cr_assert_eq (dropped, CONSUMERS, "only %.0f of %d slow consumers were cut off after %llu requests",
                  dropped, CONSUMERS, (unsigned long long) sent_total);
    double held_peak = s_status_number (z, "held_peak", false);
    double held_now = s_status_number (z, "held_bytes", false);
    cr_log_info ("requests sent %llu; broker RSS before %ld KB, peak %ld KB; held peak %.0f bytes",
                 (unsigned long long) sent_total, base_kb, peak_kb, held_peak);
    //  What the broker held never passed the budget, and nothing is held now
    cr_expect_gt (held_peak, 0);
    cr_expect_leq (held_peak, HELD_MAX_MB * 1024.0 * 1024.0);
    cr_expect_eq (held_now, 0);
    //  The peers leave: libzmq frees their queues, the broker gives the
    //  memory back to the system
    for (int index = 0; index < CONSUMERS; index++)
        zsock_destroy (&consumers [index]);
#if defined (__SANITIZE_ADDRESS__)
    //  AddressSanitizer's allocator keeps freed memory in quarantine and
    //  never gives it back: resident memory measures it, not the broker
    cr_log_info ("broker RSS figures not checked under AddressSanitizer");
#else
    //  Resident memory: the budget, plus libzmq's queues to and from each
    //  peer (HWM messages each way, ~1 KB each here), plus slack
    long allowance_kb = HELD_MAX_MB * 1024L + CONSUMERS * 2 * atol (HWM) + 64 * 1024L;
    cr_expect_leq (peak_kb - base_kb, allowance_kb, "grew %ld KB", peak_kb - base_kb);
    rss_wait_t wait = { pid, base_kb, 16 * 1024 };
    bool back = zt_wait_until (s_rss_back, &wait, 20000);
    long after_kb = s_rss_kb (pid);
    cr_log_info ("broker RSS after the peers left: %ld KB", after_kb);
    cr_expect (back, "RSS %ld KB after the peers left, %ld KB before", after_kb, base_kb);
#endif

    //  The broker still serves
    cr_expect_geq (s_status_number (z, "peers_lost", true), CONSUMERS);
    zaf_shutdown (&z);
    cr_expect_eq (zt_proc_stop (&broker, SIGTERM, 10000), 0);
    free (endpoint);
}
