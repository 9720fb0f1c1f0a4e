/*  =========================================================================
    message_actor - the message actor driver

    Creates a MessageActor, starts N message_worker tasks and hands each the
    actor's handle, and prints the messages as they arrive by polling
    get_and_clear_messages. When all have come (or time runs out) it waits
    for the tasks, and checks that every message arrived exactly once and
    that each worker's messages arrived in the order it sent them. Exits 0
    only if they did. With --address it joins a running cluster; without,
    it starts an embedded one (a broker and a node in this process).
    =========================================================================
*/

#include "message_actor.h"
#include "sample.h"
#include <czmq.h>

#define CALL_TIMEOUT_MS 10000

static void
s_usage (FILE *stream)
{
    fprintf (stream,
        "Usage: message_actor [OPTIONS]\n"
        "Pass an actor's handle to remote tasks that send it messages.\n"
        "\n"
        "  --address ENDPOINT   join the cluster whose broker is there\n"
        "                       (default: $ZAF_ADDRESS if set, else start an\n"
        "                       embedded cluster)\n"
        SAMPLE_KEY_HELP
        "  --workers N          message_worker tasks (default 3)\n"
        "  --messages N         messages each worker sends (default 10)\n"
        "  --interval-ms N      pause between a worker's messages (default 100)\n"
        "  --poll-ms N          pause between reads of the messages (default 200)\n"
        "  --help               print this help and exit\n"
        "\n"
        "Exits 0 when every message arrived exactly once, in order per worker.\n");
}

//  What has arrived so far, per worker
typedef struct {
    long workers;               //  Workers started
    long messages;              //  Messages each sends
    long *next;                 //  Per worker: the index its next message must have
    long received;              //  Messages read from the actor
    long unexpected;            //  Duplicates, gaps, reorderings, strangers
} tally_t;

//  Check one message against the tally
static void
s_tally_message (tally_t *tally, const char *text)
{
    int message = -1, worker = -1, consumed = 0;
    tally->received++;
    if (!text
    ||  sscanf (text, "Message %d from worker %d.%n", &message, &worker, &consumed) != 2
    ||  consumed == 0 || text [consumed] != 0
    ||  worker < 0 || worker >= tally->workers) {
        fprintf (stderr, "message_actor: unexpected message '%s'\n", text ? text : "(not text)");
        tally->unexpected++;
    }
    else
    if (message != tally->next [worker]) {
        fprintf (stderr, "message_actor: worker %d: got message %d, expected %ld (%s)\n",
                 worker, message, tally->next [worker],
                 message < tally->next [worker] ? "duplicate or late" : "gap or early");
        tally->unexpected++;
        if (message > tally->next [worker])
            tally->next [worker] = message + 1;
    }
    else
        tally->next [worker]++;
}

//  Read and clear the actor's messages; print them as Python prints a list
//  of strings, and tally them. Returns how many came, or -1 on failure.
static long
s_collect (zaf_t *z, zaf_actor_t *actor, tally_t *tally)
{
    zaf_future_t *future = zaf_call (z, actor, "get_and_clear_messages", NULL);
    zaf_error_t err;
    cJSON *list = zaf_get (z, &future, CALL_TIMEOUT_MS, &err);
    zaf_future_destroy (&future);
    if (!list) {
        if (!zsys_interrupted)
            fprintf (stderr, "message_actor: get_and_clear_messages failed: %s %s\n",
                     zaf_code_name (err.code), err.message);
        return -1;
    }
    long count = cJSON_GetArraySize (list);
    if (count > 0) {
        printf ("New messages: [");
        const cJSON *item;
        bool first = true;
        cJSON_ArrayForEach (item, list) {
            const char *text = cJSON_GetStringValue (item);
            printf ("%s'", first ? "" : ", ");
            for (const char *c = text ? text : "?"; *c; c++) {
                if (*c == '\'' || *c == '\\')
                    putchar ('\\');
                putchar (*c);
            }
            printf ("'");
            first = false;
            s_tally_message (tally, text);
        }
        printf ("]\n");
        fflush (stdout);
    }
    cJSON_Delete (list);
    return count;
}

int
main (int argc, char **argv)
{
    const char *address = NULL;
    long workers = 3, messages = 10, interval_ms = 100, poll_ms = 200;
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
        if (sample_key_flag ("message_actor", arg, value))
            index++;
        else
        if (streq (arg, "--workers"))
            workers = sample_flag_number ("message_actor", arg, value, 1, 1000), index++;
        else
        if (streq (arg, "--messages"))
            messages = sample_flag_number ("message_actor", arg, value, 0, 1000000), index++;
        else
        if (streq (arg, "--interval-ms"))
            interval_ms = sample_flag_number ("message_actor", arg, value, 0, 60000), index++;
        else
        if (streq (arg, "--poll-ms"))
            poll_ms = sample_flag_number ("message_actor", arg, value, 1, 60000), index++;
        else {
            fprintf (stderr, "message_actor: unknown or incomplete option '%s'\n", arg);
            s_usage (stderr);
            return 2;
        }
    }
    zaf_t *z = sample_join ("message_actor", address, message_actor_register);
    if (!z)
        return 1;
    int rc = 1;
    zaf_error_t err;
    tally_t tally = { workers, messages, NULL, 0, 0 };
    tally.next = (long *) calloc ((size_t) workers, sizeof (long));
    zaf_future_t **futures = (zaf_future_t **) calloc ((size_t) workers, sizeof (zaf_future_t *));
    zaf_actor_t *actor = zaf_spawn (z, "MessageActor", NULL, NULL, &err);
    if (!actor) {
        fprintf (stderr, "message_actor: cannot create the MessageActor: %s %s\n",
                 zaf_code_name (err.code), err.message);
        goto done;
    }
    //  Start the workers: each is handed the actor's handle
    for (long index = 0; index < workers; index++) {
        cJSON *args = cJSON_CreateArray ();
        cJSON_AddItemToArray (args, zaf_actor_to_json (actor));
        cJSON_AddItemToArray (args, cJSON_CreateNumber ((double) index));
        cJSON_AddItemToArray (args, cJSON_CreateNumber ((double) messages));
        cJSON_AddItemToArray (args, cJSON_CreateNumber ((double) interval_ms));
        futures [index] = zaf_submit (z, "message_worker", args);
    }
    //  Read the messages as they come, until all have or time runs out
    long expected = workers * messages;
    int64_t budget_ms = messages * interval_ms + 30000;
    int64_t give_up = zclock_mono () + budget_ms;
    while (tally.received < expected) {
        zclock_sleep ((int) poll_ms);
        if (zsys_interrupted || s_collect (z, actor, &tally) < 0)
            goto done;
        if (zclock_mono () >= give_up) {
            fprintf (stderr, "message_actor: gave up after %" PRId64 " ms with %ld of %ld messages\n",
                     budget_ms, tally.received, expected);
            break;
        }
    }
    //  Wait for every worker: each says how many messages it sent
    long sent = 0;
    bool workers_ok = true;
    for (long index = 0; index < workers && !zsys_interrupted; index++) {
        cJSON *result = zaf_get (z, &futures [index], (int) budget_ms, &err);
        if (!result) {
            fprintf (stderr, "message_actor: worker %ld failed: %s %s\n", index,
                     zaf_code_name (err.code), err.message);
            workers_ok = false;
            continue;
        }
        sent += (long) cJSON_GetNumberValue (result);
        cJSON_Delete (result);
    }
    //  Whatever is left now is a message too many
    if (zsys_interrupted || s_collect (z, actor, &tally) < 0)
        goto done;
    bool all_in_order = tally.unexpected == 0 && tally.received == expected;
    for (long index = 0; index < workers; index++)
        if (tally.next [index] != messages)
            all_in_order = false;
    printf ("%ld workers sent %ld messages; received %ld of %ld, %s\n", workers, sent,
            tally.received, expected,
            all_in_order ? "each exactly once and in order per worker"
                         : "NOT each exactly once in order");
    rc = workers_ok && sent == expected && all_in_order ? 0 : 1;
done:
    if (zsys_interrupted) {
        fprintf (stderr, "message_actor: interrupted\n");
        rc = 130;
    }
    for (long index = 0; index < workers; index++)
        zaf_future_destroy (&futures [index]);
    free (futures);
    free (tally.next);
    zaf_actor_destroy (&actor);
    zaf_shutdown (&z);
    return rc;
}
