/*  =========================================================================
    param_server_actors - ParameterServer and the worker task

    The actor's state is a plain array of doubles; it runs on its own
    thread, one method at a time, so it needs no lock. The worker runs on a
    node's worker pool and talks to the server through the handle it was
    given: tells for the gradients (fire-and-forget, kept in order per
    caller), then one call, which returns only after all its tells ran.
    =========================================================================
*/

#include "param_server.h"
#include <czmq.h>

#define PS_DIM_DEFAULT 10
#define PS_DIM_MAX     1000000

typedef struct {
    int dim;                    //  Number of parameters
    double *params;             //  The parameters
} server_t;

//  ParameterServer (dim = 10)
static void *
s_server_new (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    int dim = (int) zaf_arg_number (args, 0, PS_DIM_DEFAULT);
    if (dim < 1 || dim > PS_DIM_MAX) {
        zaf_error_set (err, ZAF_BAD_ARGS, "dim must be from 1 to %d", PS_DIM_MAX);
        return NULL;
    }
    server_t *self = (server_t *) calloc (1, sizeof (server_t));
    self->dim = dim;
    self->params = (double *) calloc ((size_t) dim, sizeof (double));
    return self;
}

static void
s_server_destroy (void *state)
{
    server_t *self = (server_t *) state;
    free (self->params);
    free (self);
}

static cJSON *
s_get_params (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    server_t *self = (server_t *) state;
    return cJSON_CreateDoubleArray (self->params, self->dim);
}

static cJSON *
s_update_params (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    server_t *self = (server_t *) state;
    const cJSON *grad = cJSON_GetArrayItem (args, 0);
    if (!cJSON_IsArray (grad) || cJSON_GetArraySize (grad) != self->dim) {
        zaf_error_set (err, ZAF_BAD_ARGS, "update_params takes one array of %d numbers", self->dim);
        return NULL;
    }
    int index = 0;
    const cJSON *item;
    cJSON_ArrayForEach (item, grad) {
        if (!cJSON_IsNumber (item)) {
            zaf_error_set (err, ZAF_BAD_ARGS, "gradient item %d is not a number", index);
            return NULL;
        }
        index++;
    }
    index = 0;
    cJSON_ArrayForEach (item, grad)
        self->params [index++] -= item->valuedouble;
    return NULL;
}

static const zaf_method_t s_server_methods [] = {
    { "get_params", s_get_params },
    { "update_params", s_update_params },
    { NULL, NULL }
};

static const zaf_class_t s_server_class = {
    "ParameterServer", s_server_new, s_server_destroy, s_server_methods
};

//  worker (ps, updates, interval_ms): push gradients of ones
static cJSON *
s_worker (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    zaf_actor_t *ps = zaf_actor_from_json (cJSON_GetArrayItem (args, 0));
    int updates = (int) zaf_arg_number (args, 1, 100);
    int interval_ms = (int) zaf_arg_number (args, 2, 1000);
    if (!ps || updates < 0 || interval_ms < 0) {
        zaf_actor_destroy (&ps);
        zaf_error_set (err, ZAF_BAD_ARGS, "worker takes (ps handle, updates >= 0, interval_ms >= 0)");
        return NULL;
    }
    //  The gradient's size is the server's: ask it once
    zaf_future_t *future = zaf_call (z, ps, "get_params", NULL);
    cJSON *params = zaf_get (z, &future, 10000, err);
    int dim = cJSON_GetArraySize (params);
    cJSON_Delete (params);
    if (err->code != ZAF_OK) {
        zaf_actor_destroy (&ps);
        return NULL;
    }
    int pushed = 0;
    for (int update = 0; update < updates; update++) {
        zclock_sleep (interval_ms);
        cJSON *grad = cJSON_CreateArray ();
        for (int index = 0; index < dim; index++)
            cJSON_AddItemToArray (grad, cJSON_CreateNumber (1.0));
        cJSON *call_args = cJSON_CreateArray ();
        cJSON_AddItemToArray (call_args, grad);
        if (zaf_tell (z, ps, "update_params", call_args)) {
            //  The server or this task is gone (the cluster is stopping)
            zaf_actor_destroy (&ps);
            zaf_error_set (err, ZAF_ACTOR_DIED, "stopped after %d gradients", pushed);
            return NULL;
        }
        pushed++;
    }
    //  Calls from one caller run in order: once this answers, every
    //  gradient above has been applied
    future = zaf_call (z, ps, "get_params", NULL);
    cJSON *last = zaf_get (z, &future, 10000, err);
    zaf_actor_destroy (&ps);
    if (!last)
        return NULL;
    cJSON_Delete (last);
    return cJSON_CreateNumber (pushed);
}

int
param_server_register (void)
{
    if (zaf_register_class (&s_server_class))
        return -1;
    return zaf_register_function ("worker", s_worker);
}
