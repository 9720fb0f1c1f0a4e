/*  =========================================================================
    tree_of_actors_actors - the Worker and Supervisor classes

    Each actor runs on its own thread, one method at a time, so neither
    state needs a lock. A Worker never blocks: training is a deadline on
    the monotonic clock, so it answers state calls while it "trains". The
    Supervisor's methods call its workers through the zaf_t the runtime
    hands them and wait on the futures with a timeout. It holds a
    zaf_supervisor (one_for_one, 3 restarts in 5 s) that owns the workers
    and restarts one that fails; destroying it (terminate, or the
    destructor) ends them. The broker also ends them if the Supervisor
    dies some other way: they are its children.
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
//  Supervisor: an ordinary actor holding a zaf_supervisor (one_for_one, at
//  most 3 restarts in 5 s). A worker that fails is spawned again; past the
//  intensity the Supervisor ends with reason restart_limit.

#define TREE_INTENSITY      3
#define TREE_PERIOD_MS      5000

typedef struct {
    zaf_supervisor_t *supervisor;           //  Owns the workers; NULL once terminated
    zaf_actor_t *last [TREE_WORKERS];       //  Borrowed copies of the last handles
} supervisor_t;

static void
s_supervisor_destroy (void *state)
{
    supervisor_t *self = (supervisor_t *) state;
    //  Destroying the supervisor ends the workers
    zaf_supervisor_destroy (&self->supervisor);
    for (int index = 0; index < TREE_WORKERS; index++)
        zaf_actor_destroy (&self->last [index]);
    free (self);
}

//  The current handle of worker `index`: the supervisor's while it runs
//  (a restart replaces it), the last one known after terminate
static zaf_actor_t *
s_worker (supervisor_t *self, int index)
{
    zaf_actor_t *current = self->supervisor
                         ? zaf_supervisor_child (self->supervisor, (size_t) index) : NULL;
    if (current && (!self->last [index]
                || strneq (zaf_actor_id (current), zaf_actor_id (self->last [index])))) {
        zaf_actor_destroy (&self->last [index]);
        self->last [index] = zaf_actor_dup (current);
    }
    return self->last [index];
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
    self->supervisor = zaf_supervisor_new (z, ZAF_ONE_FOR_ONE, TREE_INTENSITY, TREE_PERIOD_MS);
    assert (self->supervisor);
    zaf_spawn_opts_t opts = { .timeout_ms = TREE_CALL_TIMEOUT };
    for (int index = 0; index < TREE_WORKERS; index++) {
        //  Staggered: lr is quickest, nn takes the whole duration
        int64_t worker_ms = (int64_t) duration_ms * (index + 1) / TREE_WORKERS;
        zaf_error_t spawn_err;
        if (zaf_supervisor_start_child (self->supervisor, "Worker",
                zaf_json ("[\"%s\", %" PRId64 "]", s_kinds [index], worker_ms),
                &opts, &spawn_err) < 0) {
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
        futures [index] = zaf_call (z, s_worker (self, index), "train", NULL);
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
        futures [index] = zaf_call (z, s_worker (self, index), "state", NULL);
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
        cJSON_AddItemToArray (handles, zaf_actor_to_json (s_worker (self, index)));
    return handles;
}

//  terminate (): end the workers and wait until they are gone; returns how
//  many were running (0 the second time)
static cJSON *
s_supervisor_terminate (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    supervisor_t *self = (supervisor_t *) state;
    if (!self->supervisor)
        return cJSON_CreateNumber (0);
    int running = 0;
    for (int index = 0; index < TREE_WORKERS; index++)
        if (s_worker (self, index))
            running++;
    //  The supervisor stops watching and kills the workers; then wait
    //  until each is gone, so that calls to them fail from now on
    zaf_supervisor_destroy (&self->supervisor);
    for (int index = 0; index < TREE_WORKERS; index++)
        if (self->last [index])
            zaf_kill (z, self->last [index], NULL);
    return cJSON_CreateNumber (running);
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
