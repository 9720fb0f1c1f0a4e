/*  =========================================================================
    market_feed - the market feed driver

    Spawns a FeedPublisher (a PUB socket ticking on a timer) and three
    FeedSubscribers (SUB sockets read by the actors' own loops), spread
    over the nodes with strategy "spread". While the feed runs it asks
    every subscriber for its running statistics a few times and prints a
    small table each time. Exits 0 only if every subscriber kept receiving
    ticks and missed none. With --address it joins a running cluster;
    without, it starts an embedded one.
    =========================================================================
*/

#include "market_feed.h"
#include "sample.h"
#include <czmq.h>

#define CALL_TIMEOUT_MS 10000
#define SUBSCRIBERS 3

static void
s_usage (FILE *stream)
{
    fprintf (stream,
        "Usage: market_feed [OPTIONS]\n"
        "A publisher actor with a PUB socket sends ticks on a timer; three subscriber\n"
        "actors with SUB sockets keep running statistics; this driver queries them.\n"
        "\n"
        "  --address ENDPOINT   join the cluster whose broker is there\n"
        "                       (default: $ZAF_ADDRESS if set, else start an\n"
        "                       embedded cluster)\n"
        SAMPLE_KEY_HELP
        "  --feed-bind ENDPOINT where the publisher binds (default tcp://127.0.0.1:*;\n"
        "                       on several hosts, an address the others reach, or\n"
        "                       auto: every interface of the publisher's host)\n"
        "  --interval-ms N      time between ticks (default 20)\n"
        "  --rounds N           times the subscribers are queried (default 5)\n"
        "  --poll-ms N          pause between queries (default 300)\n"
        "  --help               print this help and exit\n"
        "\n"
        "Exits 0 when every subscriber received ticks in every round and missed none.\n");
}

//  Ask a subscriber for its statistics; NULL after saying why
static cJSON *
s_stats (zaf_t *z, zaf_actor_t *subscriber)
{
    zaf_future_t *future = zaf_call (z, subscriber, "stats", NULL);
    zaf_error_t err;
    cJSON *stats = zaf_get (z, &future, CALL_TIMEOUT_MS, &err);
    zaf_future_destroy (&future);
    if (!stats && !zsys_interrupted)
        fprintf (stderr, "market_feed: stats failed: %s %s\n", zaf_code_name (err.code),
                 err.message);
    return stats;
}

//  Print how many actors each node hosts
static void
s_print_placement (zaf_t *z)
{
    cJSON *info = zaf_cluster_info (z);
    if (!info)
        return;
    printf ("Actors per node:");
    const cJSON *node;
    cJSON_ArrayForEach (node, cJSON_GetObjectItem (info, "nodes"))
        printf (" %s=%d", cJSON_GetStringValue (cJSON_GetObjectItem (node, "name")),
                (int) cJSON_GetNumberValue (cJSON_GetObjectItem (node, "actors")));
    printf ("\n");
    cJSON_Delete (info);
}

int
main (int argc, char **argv)
{
    const char *address = NULL;
    const char *bind = "tcp://127.0.0.1:*";
    long interval_ms = 20, rounds = 5, poll_ms = 300;
    for (int index = 1; index < argc; index++) {
        const char *arg = argv [index];
        const char *value = index + 1 < argc ? argv [index + 1] : NULL;
        if (streq (arg, "--help") || streq (arg, "-h")) {
            s_usage (stdout);
            return 0;
        }
        else
        if (streq (arg, "--address") && value)
            address = argv [++index];
        else
        if (sample_key_flag ("market_feed", arg, value))
            index++;
        else
        if (streq (arg, "--feed-bind") && value)
            bind = argv [++index];
        else
        if (streq (arg, "--interval-ms"))
            interval_ms = sample_flag_number ("market_feed", arg, value, 1, 60000), index++;
        else
        if (streq (arg, "--rounds"))
            rounds = sample_flag_number ("market_feed", arg, value, 1, 1000), index++;
        else
        if (streq (arg, "--poll-ms"))
            poll_ms = sample_flag_number ("market_feed", arg, value, 1, 60000), index++;
        else {
            fprintf (stderr, "market_feed: unknown or incomplete option '%s'\n", arg);
            s_usage (stderr);
            return 2;
        }
    }
    zaf_t *z = sample_join ("market_feed", address, market_feed_register);
    if (!z)
        return 1;
    int rc = 1;
    zaf_error_t err;
    zaf_actor_t *subscribers [SUBSCRIBERS] = { NULL };
    int64_t previous [SUBSCRIBERS] = { 0 };
    bool flowing = true;
    int64_t gaps = 0;
    const char *symbols [SUBSCRIBERS] = { "ACME", "GLOBEX", "INITECH" };
    //  Every actor of the feed is spread over the nodes
    zaf_spawn_opts_t spread = { .strategy = "spread" };
    zaf_actor_t *publisher = zaf_spawn (z, "FeedPublisher",
                                        zaf_json ("[\"%s\", %ld]", bind, interval_ms),
                                        &spread, &err);
    if (!publisher) {
        fprintf (stderr, "market_feed: cannot start the publisher: %s %s\n",
                 zaf_code_name (err.code), err.message);
        goto done;
    }
    zaf_future_t *future = zaf_call (z, publisher, "endpoint", NULL);
    cJSON *endpoint = zaf_get (z, &future, CALL_TIMEOUT_MS, &err);
    zaf_future_destroy (&future);
    if (!cJSON_IsString (endpoint)) {
        fprintf (stderr, "market_feed: the publisher has no endpoint: %s\n", err.message);
        cJSON_Delete (endpoint);
        goto done;
    }
    printf ("Feed: %s, a tick every %ld ms\n", endpoint->valuestring, interval_ms);
    for (int index = 0; index < SUBSCRIBERS; index++) {
        subscribers [index] = zaf_spawn (z, "FeedSubscriber",
            zaf_json ("[\"%s\", \"%s\"]", endpoint->valuestring, symbols [index]), &spread, &err);
        if (!subscribers [index]) {
            fprintf (stderr, "market_feed: cannot start subscriber %s: %s %s\n", symbols [index],
                     zaf_code_name (err.code), err.message);
            cJSON_Delete (endpoint);
            goto done;
        }
    }
    cJSON_Delete (endpoint);
    s_print_placement (z);

    //  Query the subscribers while the feed runs
    for (long round = 1; round <= rounds; round++) {
        zclock_sleep ((int) poll_ms);
        if (zsys_interrupted)
            goto done;
        printf ("\nRound %ld\n%-8s %7s %10s %10s %10s %10s %5s %7s\n", round, "SYMBOL", "TICKS",
                "LAST", "MIN", "MAX", "MEAN", "GAPS", "PID");
        for (int index = 0; index < SUBSCRIBERS; index++) {
            cJSON *stats = s_stats (z, subscribers [index]);
            if (!stats)
                goto done;
            int64_t ticks = (int64_t) cJSON_GetNumberValue (cJSON_GetObjectItem (stats, "ticks"));
            printf ("%-8s %7" PRId64 " %10.4f %10.4f %10.4f %10.4f %5.0f %7.0f\n",
                    cJSON_GetStringValue (cJSON_GetObjectItem (stats, "symbol")), ticks,
                    cJSON_GetNumberValue (cJSON_GetObjectItem (stats, "last")),
                    cJSON_GetNumberValue (cJSON_GetObjectItem (stats, "min")),
                    cJSON_GetNumberValue (cJSON_GetObjectItem (stats, "max")),
                    cJSON_GetNumberValue (cJSON_GetObjectItem (stats, "mean")),
                    cJSON_GetNumberValue (cJSON_GetObjectItem (stats, "gaps")),
                    cJSON_GetNumberValue (cJSON_GetObjectItem (stats, "pid")));
            if (ticks <= previous [index])
                flowing = false;
            previous [index] = ticks;
            if (round == rounds)
                gaps += (int64_t) cJSON_GetNumberValue (cJSON_GetObjectItem (stats, "gaps"));
            cJSON_Delete (stats);
        }
        fflush (stdout);
    }
    printf ("\n%d subscribers %s, %s\n", SUBSCRIBERS,
            flowing ? "received ticks in every round" : "did NOT receive ticks in every round",
            gaps ? "some ticks were MISSED" : "none missed a tick");
    rc = flowing && gaps == 0 ? 0 : 1;
done:
    if (zsys_interrupted) {
        fprintf (stderr, "market_feed: interrupted\n");
        rc = 130;
    }
    for (int index = 0; index < SUBSCRIBERS; index++)
        zaf_actor_destroy (&subscribers [index]);
    zaf_actor_destroy (&publisher);
    zaf_shutdown (&z);
    return rc;
}
