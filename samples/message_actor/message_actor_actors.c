/*  =========================================================================
    message_actor_actors - MessageActor and the message_worker task

    The actor's state is one cJSON array of strings; it runs on its own
    thread, one method at a time, so it needs no lock. get_and_clear_messages
    hands the whole array to the runtime (which sends and frees it) and
    starts a new one. message_worker runs on a node's worker pool and talks
    to the actor through the handle it was given: one call per message, and
    it waits for each answer, so when it returns every message it counts
    has been added exactly once, in order. It pauses in short slices and
    stops when the process is interrupted, so Ctrl-C (or SIGTERM to a node)
    never waits for a long pause to end.
    =========================================================================
*/

#include "message_actor.h"
#include <czmq.h>
#include <limits.h>

#define MA_TEXT_MAX      65536      //  Longest message
#define MA_QUEUED_MAX    1000000    //  Messages the actor holds at most
#define MA_COUNT_MAX     1000000    //  Messages one worker may send
#define MA_PAUSE_MAX     60000      //  Longest pause between messages, ms
#define MA_CALL_TIMEOUT  10000      //  How long a worker waits on the actor

typedef struct {
    cJSON *messages;            //  Array of strings, oldest first
} message_actor_t;

//  MessageActor ()
static void *
s_message_actor_new (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    message_actor_t *self = (message_actor_t *) calloc (1, sizeof (message_actor_t));
    self->messages = cJSON_CreateArray ();
    return self;
}

static void
s_message_actor_destroy (void *state)
{
    message_actor_t *self = (message_actor_t *) state;
    cJSON_Delete (self->messages);
    free (self);
}

//  add_message (text): append
static cJSON *
s_add_message (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    message_actor_t *self = (message_actor_t *) state;
    const char *text = zaf_arg_string (args, 0, NULL);
    if (!text || strlen (text) > MA_TEXT_MAX) {
        zaf_error_set (err, ZAF_BAD_ARGS, "add_message takes one string of at most %d bytes",
                       MA_TEXT_MAX);
        return NULL;
    }
    if (cJSON_GetArraySize (self->messages) >= MA_QUEUED_MAX) {
        zaf_error_set (err, ZAF_OVERLOADED, "%d messages are waiting to be read",
                       MA_QUEUED_MAX);
        return NULL;
    }
    cJSON_AddItemToArray (self->messages, cJSON_CreateString (text));
    return NULL;
}

//  get_and_clear_messages (): the list so far, which then starts again
static cJSON *
s_get_and_clear_messages (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    message_actor_t *self = (message_actor_t *) state;
    cJSON *messages = self->messages;   //  The runtime takes it
    self->messages = cJSON_CreateArray ();
    return messages;
}

static const zaf_method_t s_message_actor_methods [] = {
    { "add_message", s_add_message },
    { "get_and_clear_messages", s_get_and_clear_messages },
    { NULL, NULL }
};

static const zaf_class_t s_message_actor_class = {
    "MessageActor", s_message_actor_new, s_message_actor_destroy, s_message_actor_methods
};

//  Sleep for pause_ms in short slices, so that Ctrl-C (SIGINT or SIGTERM)
//  does not wait for a long pause to end. Returns -1 if interrupted.
static int
s_pause (int pause_ms)
{
    int64_t until = zclock_mono () + pause_ms;
    while (!zsys_interrupted) {
        int64_t left = until - zclock_mono ();
        if (left <= 0)
            return 0;
        zclock_sleep (left < 100 ? (int) left : 100);
    }
    return -1;
}

//  message_worker (actor, worker_index, count = 10, pause_ms = 100)
static cJSON *
s_message_worker (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    zaf_actor_t *actor = zaf_actor_from_json (cJSON_GetArrayItem (args, 0));
    double worker_index = zaf_arg_number (args, 1, -1);
    double count = zaf_arg_number (args, 2, 10);
    double pause_ms = zaf_arg_number (args, 3, 100);
    if (!actor || worker_index < 0 || worker_index > INT_MAX
    ||  worker_index != (double) (int) worker_index
    ||  count < 0 || count > MA_COUNT_MAX || pause_ms < 0 || pause_ms > MA_PAUSE_MAX) {
        zaf_actor_destroy (&actor);
        zaf_error_set (err, ZAF_BAD_ARGS,
                       "message_worker takes (actor handle, worker_index >= 0, "
                       "count from 0 to %d, pause_ms from 0 to %d)", MA_COUNT_MAX, MA_PAUSE_MAX);
        return NULL;
    }
    int sent = 0;
    for (int index = 0; index < (int) count; index++) {
        if (index > 0 && s_pause ((int) pause_ms)) {
            zaf_error_set (err, ZAF_INTERRUPTED, "worker %d stopped after %d messages: "
                           "the process is shutting down", (int) worker_index, sent);
            zaf_actor_destroy (&actor);
            return NULL;
        }
        zaf_future_t *future = zaf_call (z, actor, "add_message",
            zaf_json ("[\"Message %d from worker %d.\"]", index, (int) worker_index));
        zaf_error_t call_err;
        cJSON *result = zaf_get (z, &future, MA_CALL_TIMEOUT, &call_err);
        //  On TIMEOUT the future is still ours; the message may yet arrive,
        //  so this worker stops here rather than risk sending it twice
        zaf_future_destroy (&future);
        if (!result) {
            zaf_error_set (err, call_err.code, "worker %d stopped after %d messages: %s",
                           (int) worker_index, sent, call_err.message);
            zaf_actor_destroy (&actor);
            return NULL;
        }
        cJSON_Delete (result);
        sent++;
    }
    zaf_actor_destroy (&actor);
    return cJSON_CreateNumber (sent);
}

//  --------------------------------------------------------------------------
//  Register the MessageActor class and the message_worker function

int
message_actor_register (void)
{
    if (zaf_register_class (&s_message_actor_class))
        return -1;
    return zaf_register_function ("message_worker", s_message_worker);
}
