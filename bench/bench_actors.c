/*  =========================================================================
    bench_actors - BenchServer, Idle and bench_task

    Each method runs on its actor's thread, one at a time, so the state
    needs no lock. The methods do the same work as the raw floor's server
    (bench_floor.c): the arguments arrive parsed, the update is applied and
    the answer is null, so that the ratio measures only the framework.
    =========================================================================
*/

#include "bench_actors.h"
#include <czmq.h>
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define BENCH_DIM_DEFAULT   10
#define BENCH_DIM_MAX       1000000

typedef struct {
    int dim;                    //  Number of parameters
    double *params;             //  The parameters
    double blob_sum;            //  Sum of the last blob
} server_t;

//  Check that item is an array of `dim` numbers (any length if dim < 0).
//  Returns how many numbers it holds, or -1.
static int
s_numbers (const cJSON *item, int dim)
{
    if (!cJSON_IsArray (item))
        return -1;
    int count = 0;
    const cJSON *number;
    cJSON_ArrayForEach (number, item) {
        if (!cJSON_IsNumber (number))
            return -1;
        count++;
    }
    return dim < 0 || count == dim ? count : -1;
}

//  BenchServer (dim = 10)
static void *
s_server_new (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    int dim = (int) zaf_arg_number (args, 0, BENCH_DIM_DEFAULT);
    if (dim < 1 || dim > BENCH_DIM_MAX) {
        zaf_error_set (err, ZAF_BAD_ARGS, "dim must be from 1 to %d", BENCH_DIM_MAX);
        return NULL;
    }
    server_t *self = (server_t *) calloc (1, sizeof (server_t));
    assert (self);
    self->params = (double *) calloc ((size_t) dim, sizeof (double));
    assert (self->params);
    self->dim = dim;
    return self;
}

static void
s_server_destroy (void *state)
{
    server_t *self = (server_t *) state;
    free (self->params);
    free (self);
}

//  update_params ([g0, ...]): params -= g, -> null
static cJSON *
s_update_params (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    server_t *self = (server_t *) state;
    const cJSON *grad = cJSON_GetArrayItem (args, 0);
    if (s_numbers (grad, self->dim) < 0) {
        zaf_error_set (err, ZAF_BAD_ARGS, "update_params takes one array of %d numbers",
                       self->dim);
        return NULL;
    }
    int index = 0;
    const cJSON *item;
    cJSON_ArrayForEach (item, grad)
        self->params [index++] -= item->valuedouble;
    return NULL;
}

//  echo (args...) -> args
static cJSON *
s_echo (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    return cJSON_Duplicate (args, true);
}

//  blob ({"$blob": 0}) -> how many doubles it got. The doubles come as a
//  binary attachment (native byte order), read where they lie.
static cJSON *
s_blob (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    server_t *self = (server_t *) state;
    size_t size;
    const unsigned char *data = (const unsigned char *) zaf_arg_blob (z, cJSON_GetArrayItem (args, 0), &size);
    if (!data) {
        zaf_error_set (err, ZAF_BAD_ARGS, "blob takes one blob of doubles");
        return NULL;
    }
    size_t count = size / sizeof (double);
    double sum = 0;
    for (size_t index = 0; index < count; index++) {
        double value;
        memcpy (&value, data + index * sizeof (double), sizeof (double));
        sum += value;
    }
    self->blob_sum = sum;
    return cJSON_CreateNumber ((double) count);
}

static const zaf_method_t s_server_methods [] = {
    { "update_params", s_update_params },
    { "echo", s_echo },
    { "blob", s_blob },
    { NULL, NULL }
};

static const zaf_class_t s_server_class = {
    BENCH_SERVER_CLASS, s_server_new, s_server_destroy, s_server_methods
};

//  Idle: no state, one method
static cJSON *
s_ping (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    return NULL;
}

static const zaf_method_t s_idle_methods [] = {
    { "ping", s_ping },
    { NULL, NULL }
};

static const zaf_class_t s_idle_class = {
    BENCH_IDLE_CLASS, NULL, NULL, s_idle_methods
};

//  BenchReader ([pub_endpoint, done_endpoint]): a SUB socket subscribed to
//  "z", read by the actor's own loop (zaf_reader): each turn reads all
//  that is there, as the bare thread does;
//  the reader scenario's protocol is in bench_reader.c
typedef struct {
    zsock_t *sub;
    zsock_t *done;
    bool ready;
    long count;
} reader_t;

static void
s_reader_destroy (void *state)
{
    reader_t *self = (reader_t *) state;
    zsock_destroy (&self->sub);
    zsock_destroy (&self->done);
    free (self);
}

static int
s_reader_read (zaf_t *z, void *socket, int fd, void *arg)
{
    reader_t *self = (reader_t *) arg;
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    while (zmq_msg_recv (&msg, zsock_resolve (socket), ZMQ_DONTWAIT) >= 0) {
        char kind = zmq_msg_size (&msg) > 1 ? ((char *) zmq_msg_data (&msg)) [1] : 0;
        if (kind == 'w' && !self->ready) {
            zstr_send (self->done, "ready");
            self->ready = true;
        }
        else
        if (kind == 'm')
            self->count++;
        else
        if (kind == 'e') {
            zstr_sendf (self->done, "done %ld", self->count);
            self->count = 0;
            self->ready = false;
        }
    }
    zmq_msg_close (&msg);
    return 0;
}

static void *
s_reader_new (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    reader_t *self = (reader_t *) calloc (1, sizeof (reader_t));
    assert (self);
    self->sub = zsock_new (ZMQ_SUB);
    zsock_set_rcvhwm (self->sub, 0);
    zsock_set_subscribe (self->sub, "z");
    self->done = zsock_new (ZMQ_PUSH);
    const char *pub = zaf_arg_string (args, 0, "");
    const char *done = zaf_arg_string (args, 1, "");
    if (zsock_connect (self->sub, "%s", pub) || zsock_connect (self->done, "%s", done)
    ||  zaf_reader (z, self->sub, s_reader_read, self)) {
        zaf_error_set (err, ZAF_BAD_ARGS, "BenchReader cannot connect to %s and %s", pub, done);
        s_reader_destroy (self);
        return NULL;
    }
    return self;
}

static const zaf_method_t s_reader_methods [] = {
    { "ping", s_ping },
    { NULL, NULL }
};

static const zaf_class_t s_reader_class = {
    BENCH_READER_CLASS, s_reader_new, s_reader_destroy, s_reader_methods
};

//  bench_task ([g0, ...]): check and sum the numbers, -> null
static cJSON *
s_bench_task (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    const cJSON *numbers = cJSON_GetArrayItem (args, 0);
    if (s_numbers (numbers, -1) < 0) {
        zaf_error_set (err, ZAF_BAD_ARGS, "bench_task takes one array of numbers");
        return NULL;
    }
    double sum = 0;
    const cJSON *item;
    cJSON_ArrayForEach (item, numbers)
        sum += item->valuedouble;
    (void) sum;
    return NULL;
}

int
bench_actors_register (void)
{
    if (zaf_register_class (&s_server_class)
    ||  zaf_register_class (&s_idle_class)
    ||  zaf_register_class (&s_reader_class))
        return -1;
    return zaf_register_function (BENCH_TASK, s_bench_task);
}
