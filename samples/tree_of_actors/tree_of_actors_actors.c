/*  =========================================================================
    tree_of_actors_actors - the Worker and Supervisor classes

    Each actor runs on its own thread, one method at a time, so neither
    state needs a lock. A Worker never blocks: training is a deadline on
    the monotonic clock, so it answers state calls while it "trains". The
    Supervisor's methods call its workers through the zaf_t the runtime
    hands them and wait on the futures with a timeout; its state holds the
    owning handles of the workers, and its destructor destroys them, which
    kills the workers (if the runtime got there first, because the actor
    ended, its connection kills them all the same).
    =========================================================================
*/

#include "tree_of_actors.h"
#include <czmq.h>

#define TREE_WORKERS         3          //  lr, cl, nn
#define TREE_KIND_MAX        32         //  Longest kind string
#define TREE_DURATION_MAX    86400000   //  One day, in ms
#define TREE_DURATION_DEF    2000
#define TREE_CALL_TIMEOUT    10000      //  How long the supervisor waits on a worker

//  The kinds the supervisor spawns, in order
static const char *s_kinds [TREE_WORKERS] = { "lr", "cl", "nn" };

//  ==========================================================================
//  Worker

typedef struct {
    char *kind;                 //  Model kind, e.g. "lr"
    int64_t duration_ms;        //  How long one training takes
    int64_t deadline;           //  When training ends (zclock_mono)
    bool trained;               //  train was called: deadline is set
} worker_t;

//  Worker (kind, duration_ms)
static void *
s_worker_new (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    const char *kind = zaf_arg_string (args, 0, NULL);
    double duration_ms = zaf_arg_number (args, 1, TREE_DURATION_DEF);
    if (!kind || !*kind || strlen (kind) > TREE_KIND_MAX
    ||  duration_ms < 0 || duration_ms > TREE_DURATION_MAX) {
        zaf_error_set (err, ZAF_BAD_ARGS,
                       "Worker takes (kind: 1-%d characters, duration_ms from 0 to %d)",
                       TREE_KIND_MAX, TREE_DURATION_MAX);
        return NULL;
    }
    worker_t *self = (worker_t *) calloc (1, sizeof (worker_t));
    self->kind = strdup (kind);
    self->duration_ms = (int64_t) duration_ms;
    return self;
}

static void
s_worker_destroy (void *state)
{
    worker_t *self = (worker_t *) state;
    free (self->kind);
    free (self);
}

//  train (): start training and return at once
static cJSON *
s_worker_train (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    worker_t *self = (worker_t *) state;
    self->deadline = zclock_mono () + self->duration_ms;
    self->trained = true;
    return NULL;
}

//  state (): IDLE, RUNNING or DONE, read off the clock
static cJSON *
s_worker_state (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    worker_t *self = (worker_t *) state;
    const char *name = !self->trained ? "IDLE"
                     : zclock_mono () < self->deadline ? "RUNNING" : "DONE";
    return cJSON_CreateString (name);
}

static cJSON *
s_worker_kind (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    worker_t *self = (worker_t *) state;
    return cJSON_CreateString (self->kind);
}

static const zaf_method_t s_worker_methods [] = {
    { "train", s_worker_train },
    { "state", s_worker_state },
    { "kind", s_worker_kind },
    { NULL, NULL }
};

static const zaf_class_t s_worker_class = {
    "Worker", s_worker_new, s_worker_destroy, s_worker_methods
};

//  ==========================================================================
//  Supervisor

typedef struct {
    zaf_actor_t *workers [TREE_WORKERS];    //  Owning handles: the tree
    bool killed [TREE_WORKERS];             //  terminate has killed it
} supervisor_t;

static void
s_supervisor_destroy (void *state)
{
    supervisor_t *self = (supervisor_t *) state;
    //  Destroying an owning handle kills its worker (a killed worker's
    //  handle owns nothing any more and is just freed)
    for (int index = 0; index < TREE_WORKERS; index++)
        zaf_actor_destroy (&self->workers [index]);
    free (self);
}

//  Supervisor (duration_ms = 2000): spawn the workers
static void *
s_supervisor_new (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    double duration_ms = zaf_arg_number (args, 0, TREE_DURATION_DEF);
    if (duration_ms < 0 || duration_ms > TREE_DURATION_MAX) {
        zaf_error_set (err, ZAF_BAD_ARGS, "Supervisor takes (duration_ms from 0 to %d)",
                       TREE_DURATION_MAX);
        return NULL;
    }
    supervisor_t *self = (supervisor_t *) calloc (1, sizeof (supervisor_t));
    zaf_spawn_opts_t opts = { .timeout_ms = TREE_CALL_TIMEOUT };
    for (int index = 0; index < TREE_WORKERS; index++) {
        //  Staggered: lr is quickest, nn takes the whole duration
        int64_t worker_ms = (int64_t) duration_ms * (index + 1) / TREE_WORKERS;
        zaf_error_t spawn_err;
        self->workers [index] = zaf_spawn (z, "Worker",
            zaf_json ("[\"%s\", %" PRId64 "]", s_kinds [index], worker_ms), &opts, &spawn_err);
        if (!self->workers [index]) {
            zaf_error_set (err, spawn_err.code, "cannot spawn Worker %s: %s",
                           s_kinds [index], spawn_err.message);
            s_supervisor_destroy (self);
            return NULL;
        }
    }
    return self;
}

//  work (): start every worker's training, without waiting for it to end
static cJSON *
s_supervisor_work (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    supervisor_t *self = (supervisor_t *) state;
    //  train returns at once: send all three, then collect the answers,
    //  so that a later state () finds every worker started
    zaf_future_t *futures [TREE_WORKERS];
    for (int index = 0; index < TREE_WORKERS; index++)
        futures [index] = zaf_call (z, self->workers [index], "train", NULL);
    int started = 0;
    for (int index = 0; index < TREE_WORKERS; index++) {
        zaf_error_t call_err;
        cJSON *result = zaf_get (z, &futures [index], TREE_CALL_TIMEOUT, &call_err);
        zaf_future_destroy (&futures [index]);
        if (result)
            started++;
        else
        if (err->code == ZAF_OK)
            zaf_error_set (err, call_err.code, "Worker %s did not start: %s",
                           s_kinds [index], call_err.message);
        cJSON_Delete (result);
    }
    return err->code == ZAF_OK ? cJSON_CreateNumber (started) : NULL;
}

//  state (): every worker's state, or the code of its failure
static cJSON *
s_supervisor_state (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    supervisor_t *self = (supervisor_t *) state;
    zaf_future_t *futures [TREE_WORKERS];
    for (int index = 0; index < TREE_WORKERS; index++)
        futures [index] = zaf_call (z, self->workers [index], "state", NULL);
    cJSON *states = cJSON_CreateArray ();
    for (int index = 0; index < TREE_WORKERS; index++) {
        zaf_error_t call_err;
        cJSON *result = zaf_get (z, &futures [index], TREE_CALL_TIMEOUT, &call_err);
        zaf_future_destroy (&futures [index]);
        if (cJSON_IsString (result))
            cJSON_AddItemToArray (states, cJSON_CreateString (result->valuestring));
        else
            cJSON_AddItemToArray (states, cJSON_CreateString (
                result ? "PROTOCOL" : zaf_code_name (call_err.code)));
        cJSON_Delete (result);
    }
    return states;
}

//  workers (): the workers' handles, for anyone to call
static cJSON *
s_supervisor_workers (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    supervisor_t *self = (supervisor_t *) state;
    cJSON *handles = cJSON_CreateArray ();
    for (int index = 0; index < TREE_WORKERS; index++)
        cJSON_AddItemToArray (handles, zaf_actor_to_json (self->workers [index]));
    return handles;
}

//  terminate (): kill the workers and wait until they are gone
static cJSON *
s_supervisor_terminate (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    supervisor_t *self = (supervisor_t *) state;
    int killed = 0;
    for (int index = 0; index < TREE_WORKERS; index++) {
        if (self->killed [index])
            continue;
        zaf_error_t kill_err;
        if (zaf_kill (z, self->workers [index], &kill_err) == 0) {
            self->killed [index] = true;
            killed++;
        }
        else
        if (err->code == ZAF_OK)
            zaf_error_set (err, kill_err.code, "cannot kill Worker %s: %s",
                           s_kinds [index], kill_err.message);
    }
    return err->code == ZAF_OK ? cJSON_CreateNumber (killed) : NULL;
}

static const zaf_method_t s_supervisor_methods [] = {
    { "work", s_supervisor_work },
    { "state", s_supervisor_state },
    { "workers", s_supervisor_workers },
    { "terminate", s_supervisor_terminate },
    { NULL, NULL }
};

static const zaf_class_t s_supervisor_class = {
    "Supervisor", s_supervisor_new, s_supervisor_destroy, s_supervisor_methods
};

//  --------------------------------------------------------------------------
//  Register the Worker and Supervisor classes

int
tree_of_actors_register (void)
{
    if (zaf_register_class (&s_worker_class))
        return -1;
    return zaf_register_class (&s_supervisor_class);
}
