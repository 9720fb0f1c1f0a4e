/*  =========================================================================
    test_actors - classes and functions the test suites call
    =========================================================================
*/

#include "test_actors.h"
#include "test_io_actors.h"
#include <czmq.h>
#include <unistd.h>

typedef struct {
    double value;
    cJSON *records;
    zlist_t *children;          //  Owned handles
    cJSON *last_seq;            //  ordered: last sequence number per tag
    bool saw_cancel;            //  spin: the last spin saw zaf_cancelled
    zaf_t *z;                   //  Its connection, for the destructor
    char *told;                 //  report_end: file told why it ends, or NULL
} counter_t;

static void *
s_counter_new (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    counter_t *self = (counter_t *) calloc (1, sizeof (counter_t));
    self->value = zaf_arg_number (args, 0, 0);
    self->records = cJSON_CreateArray ();
    self->children = zlist_new ();
    self->z = z;
    return self;
}

static void
s_counter_destroy (void *state)
{
    counter_t *self = (counter_t *) state;
    if (self->told) {
        //  Say why we end (zaf_exit_reason), as a line in that file
        const char *why = zaf_exit_reason (self->z);
        FILE *file = fopen (self->told, "a");
        if (file) {
            fprintf (file, "%s\n", why ? why : "none");
            fclose (file);
        }
        free (self->told);
    }
    zaf_actor_t *child;
    while ((child = (zaf_actor_t *) zlist_pop (self->children)))
        zaf_actor_destroy (&child);
    zlist_destroy (&self->children);
    cJSON_Delete (self->records);
    cJSON_Delete (self->last_seq);
    free (self);
}

static cJSON *
s_add (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    counter_t *self = (counter_t *) state;
    self->value += zaf_arg_number (args, 0, 1);
    return cJSON_CreateNumber (self->value);
}

static cJSON *
s_get (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    return cJSON_CreateNumber (((counter_t *) state)->value);
}

static cJSON *
s_fail (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    zaf_error_set (err, ZAF_METHOD_FAILED, "%s", zaf_arg_string (args, 0, "asked to fail"));
    return NULL;
}

static cJSON *
s_fail_code (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    zaf_error_set (err, zaf_code_from_name (zaf_arg_string (args, 0, "PROTOCOL")), "%s",
                   zaf_arg_string (args, 1, "asked to fail"));
    return NULL;
}

static cJSON *
s_sleep (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    int ms = (int) zaf_arg_number (args, 0, 100);
    zclock_sleep (ms);          //  What the method is for: taking its time
    return cJSON_CreateNumber (ms);
}

static cJSON *
s_echo (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    const cJSON *item = cJSON_GetArrayItem (args, 0);
    return item ? cJSON_Duplicate (item, true) : cJSON_CreateNull ();
}

static cJSON *
s_record (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    counter_t *self = (counter_t *) state;
    const cJSON *item = cJSON_GetArrayItem (args, 0);
    cJSON_AddItemToArray (self->records, item ? cJSON_Duplicate (item, true) : cJSON_CreateNull ());
    return cJSON_CreateNumber (cJSON_GetArraySize (self->records));
}

static cJSON *
s_recorded (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    return cJSON_Duplicate (((counter_t *) state)->records, true);
}

//  ordered (tag, seq): seq must be above the last one seen for tag in this
//  incarnation, else the call fails with BAD_ARGS "out of order"
static cJSON *
s_ordered (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    counter_t *self = (counter_t *) state;
    const char *tag = zaf_arg_string (args, 0, NULL);
    double seq = zaf_arg_number (args, 1, -1);
    if (!tag || seq < 0) {
        zaf_error_set (err, ZAF_BAD_ARGS, "ordered takes a tag and a sequence number");
        return NULL;
    }
    if (!self->last_seq)
        self->last_seq = cJSON_CreateObject ();
    cJSON *last = cJSON_GetObjectItemCaseSensitive (self->last_seq, tag);
    if (last && seq <= last->valuedouble) {
        zaf_error_set (err, ZAF_BAD_ARGS, "out of order: %s %.0f after %.0f", tag, seq,
                       last->valuedouble);
        return NULL;
    }
    if (last)
        cJSON_SetNumberValue (last, seq);
    else
        cJSON_AddNumberToObject (self->last_seq, tag, seq);
    return cJSON_CreateNumber (seq);
}

static void
s_free_data (void *data, void *hint)
{
    free (data);
}

//  blob_echo ({"$blob": 0}): the sum of its bytes and its size, and the
//  blob back with its bytes reversed
static cJSON *
s_blob_echo (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    size_t size;
    const byte *data = (const byte *) zaf_arg_blob (z, cJSON_GetArrayItem (args, 0), &size);
    if (!data) {
        zaf_error_set (err, ZAF_BAD_ARGS, "blob_echo takes a blob");
        return NULL;
    }
    double sum = 0;
    byte *reversed = (byte *) malloc (size ? size : 1);
    for (size_t index = 0; index < size; index++) {
        sum += data [index];
        reversed [size - 1 - index] = data [index];
    }
    cJSON *result = cJSON_CreateObject ();
    cJSON_AddNumberToObject (result, "size", (double) size);
    cJSON_AddNumberToObject (result, "sum", sum);
    cJSON_AddNumberToObject (result, "blobs", (double) zaf_arg_blobs (z));
    cJSON_AddItemToObject (result, "reversed",
        zaf_return_blob (z, zaf_blob_new_take (reversed, size, s_free_data, NULL)));
    return result;
}

//  watch (handle): have `record` told when that actor ends
static cJSON *
s_watch (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    zaf_actor_t *target = zaf_actor_from_json (cJSON_GetArrayItem (args, 0));
    if (!target) {
        zaf_error_set (err, ZAF_BAD_ARGS, "watch takes an actor handle");
        return NULL;
    }
    int rc = zaf_monitor_notify (z, target, "record", err);
    zaf_actor_destroy (&target);
    return rc == 0 ? cJSON_CreateTrue () : NULL;
}

static cJSON *
s_whoami (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    return zaf_actor_to_json (zaf_self (z));
}

//  Call method on the actor handle args [0] with args [2], wait, return
static cJSON *
s_call_through (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    zaf_actor_t *target = zaf_actor_from_json (cJSON_GetArrayItem (args, 0));
    const char *method = zaf_arg_string (args, 1, NULL);
    if (!target || !method) {
        zaf_actor_destroy (&target);
        zaf_error_set (err, ZAF_BAD_ARGS, "takes (handle, method, args)");
        return NULL;
    }
    const cJSON *call_args = cJSON_GetArrayItem (args, 2);
    int timeout_ms = (int) zaf_arg_number (args, 3, 10000);
    zaf_future_t *future = zaf_call (z, target, method,
                                     call_args ? cJSON_Duplicate (call_args, true) : NULL);
    cJSON *result = zaf_get (z, &future, timeout_ms, err);
    zaf_future_destroy (&future);
    zaf_actor_destroy (&target);
    return result;
}

static cJSON *
s_call (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    return s_call_through (z, args, err);
}

//  call_within (handle, method, args, timeout_ms): a call with its own
//  deadline (zaf_call_opts), waited for up to 30 s
static cJSON *
s_call_within (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    zaf_actor_t *target = zaf_actor_from_json (cJSON_GetArrayItem (args, 0));
    const char *method = zaf_arg_string (args, 1, NULL);
    if (!target || !method) {
        zaf_actor_destroy (&target);
        zaf_error_set (err, ZAF_BAD_ARGS, "takes (handle, method, args, timeout_ms)");
        return NULL;
    }
    const cJSON *call_args = cJSON_GetArrayItem (args, 2);
    zaf_call_opts_t opts = { .timeout_ms = (int) zaf_arg_number (args, 3, 0) };
    zaf_future_t *future = zaf_call_opts (z, target, method,
                                          call_args ? cJSON_Duplicate (call_args, true) : NULL, &opts);
    cJSON *result = zaf_get (z, &future, 30000, err);
    zaf_future_destroy (&future);
    zaf_actor_destroy (&target);
    return result;
}

//  spin (recorder, ms): tell recorder "record" ["spinning"], then run for
//  up to ms (default 5000) or until the call is cancelled
static cJSON *
s_spin (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    counter_t *self = (counter_t *) state;
    zaf_actor_t *recorder = zaf_actor_from_json (cJSON_GetArrayItem (args, 0));
    if (recorder)
        zaf_tell (z, recorder, "record", zaf_json ("[\"spinning\"]"));
    zaf_actor_destroy (&recorder);
    int64_t until = zclock_mono () + (int64_t) zaf_arg_number (args, 1, 5000);
    self->saw_cancel = false;
    while (zclock_mono () < until && !self->saw_cancel) {
        self->saw_cancel = zaf_cancelled (z);
        zclock_sleep (5);       //  Working, and polling the flag
    }
    return cJSON_CreateBool (self->saw_cancel);
}

//  flaky (n): counts its runs in the counter's value; fails with
//  METHOD_FAILED while that is n or less, then -> the runs so far
static cJSON *
s_flaky (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    counter_t *self = (counter_t *) state;
    self->value += 1;
    if (self->value <= zaf_arg_number (args, 0, 0)) {
        zaf_error_set (err, ZAF_METHOD_FAILED, "flaky: run %.0f fails", self->value);
        return NULL;
    }
    return cJSON_CreateNumber (self->value);
}

//  spin_fail (recorder, ms): spin, counted in the counter's value, then
//  fail with METHOD_FAILED whether or not it was cancelled
static cJSON *
s_spin_fail (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    counter_t *self = (counter_t *) state;
    self->value += 1;
    cJSON_Delete (s_spin (state, z, args, err));
    zaf_error_set (err, ZAF_METHOD_FAILED, "spin_fail: failed after spinning");
    return NULL;
}

//  report_end (path): when this actor ends, its destructor appends why
//  (zaf_exit_reason) as a line to that file
static cJSON *
s_report_end (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    counter_t *self = (counter_t *) state;
    free (self->told);
    const char *path = zaf_arg_string (args, 0, NULL);
    self->told = path ? strdup (path) : NULL;
    return cJSON_CreateBool (self->told != NULL);
}

//  saw_cancel (): whether the last spin saw its call cancelled
static cJSON *
s_saw_cancel (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    return cJSON_CreateBool (((counter_t *) state)->saw_cancel);
}

//  deadline (): the time left to the deadline of this call, -1 for none
static cJSON *
s_deadline (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    return cJSON_CreateNumber (zaf_deadline_ms (z));
}

static cJSON *
s_spawn (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    counter_t *self = (counter_t *) state;
    const cJSON *child_args = cJSON_GetArrayItem (args, 1);
    zaf_actor_t *child = zaf_spawn (z, zaf_arg_string (args, 0, "Counter"),
                                    child_args ? cJSON_Duplicate (child_args, true) : NULL,
                                    NULL, err);
    if (!child)
        return NULL;
    zlist_append (self->children, child);
    return zaf_actor_to_json (child);
}

static cJSON *
s_submit_method (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    const cJSON *task_args = cJSON_GetArrayItem (args, 1);
    zaf_future_t *future = zaf_submit (z, zaf_arg_string (args, 0, "add"),
                                       task_args ? cJSON_Duplicate (task_args, true) : NULL);
    return zaf_get (z, &future, 10000, err);
}

//  Crash tests, for nodes that isolate actors (zaf-node --isolate) only:
//  anywhere else they take the whole process down
static cJSON *
s_crash (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    //  Through a volatile pointer, so the compiler cannot drop the load
    int *volatile nowhere = NULL;
    int value = *nowhere;
    return cJSON_CreateNumber (value);
}

static cJSON *
s_abort (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    abort ();
    return NULL;
}

static cJSON *
s_pid (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    return cJSON_CreateNumber (getpid ());
}

static const zaf_method_t s_counter_methods [] = {
    { "add", s_add },
    { "get", s_get },
    { "fail", s_fail },
    { "fail_code", s_fail_code },
    { "sleep", s_sleep },
    { "echo", s_echo },
    { "record", s_record },
    { "recorded", s_recorded },
    { "ordered", s_ordered },
    { "watch", s_watch },
    { "blob_echo", s_blob_echo },
    { "whoami", s_whoami },
    { "call", s_call },
    { "spawn", s_spawn },
    { "submit", s_submit_method },
    { "crash", s_crash },
    { "abort", s_abort },
    { "pid", s_pid },
    { "call_within", s_call_within },
    { "deadline", s_deadline },
    { "spin", s_spin },
    { "spin_fail", s_spin_fail },
    { "flaky", s_flaky },
    { "saw_cancel", s_saw_cancel },
    { "report_end", s_report_end },
    { NULL, NULL }
};

static const zaf_class_t s_counter_class = {
    "Counter", s_counter_new, s_counter_destroy, s_counter_methods
};

//  Refuser: the constructor always fails
static void *
s_refuser_new (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    zaf_error_set (err, ZAF_BAD_ARGS, "refused by constructor");
    return NULL;
}

static const zaf_method_t s_refuser_methods [] = {
    { "get", s_get },
    { NULL, NULL }
};

static const zaf_class_t s_refuser_class = {
    "Refuser", s_refuser_new, NULL, s_refuser_methods
};

//  Functions

//  blob_size ({"$blob": 0}): its size, and the blob back unchanged
static cJSON *
s_task_blob_size (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    size_t size;
    const void *data = zaf_arg_blob (z, cJSON_GetArrayItem (args, 0), &size);
    if (!data) {
        zaf_error_set (err, ZAF_BAD_ARGS, "blob_size takes a blob");
        return NULL;
    }
    cJSON *result = cJSON_CreateArray ();
    cJSON_AddItemToArray (result, cJSON_CreateNumber ((double) size));
    cJSON_AddItemToArray (result, zaf_return_blob (z, zaf_blob_new (data, size)));
    return result;
}

static cJSON *
s_task_add (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    return cJSON_CreateNumber (zaf_arg_number (args, 0, 0) + zaf_arg_number (args, 1, 0));
}

static cJSON *
s_task_fail (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    zaf_error_set (err, ZAF_METHOD_FAILED, "%s", zaf_arg_string (args, 0, "task asked to fail"));
    return NULL;
}

static cJSON *
s_task_sleep (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    int ms = (int) zaf_arg_number (args, 0, 100);
    zclock_sleep (ms);          //  What the method is for: taking its time
    return cJSON_CreateNumber (ms);
}

//  pid (ms): sleep ms (0: not at all), then the pid of the process it ran
//  in (a node's, where tasks run in the node): which node took the task
static cJSON *
s_task_pid (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    int ms = (int) zaf_arg_number (args, 0, 0);
    if (ms > 0)
        zclock_sleep (ms);
    return cJSON_CreateNumber ((double) getpid ());
}

//  flaky_file (path, n): appends a line to the file at path; fails with
//  METHOD_FAILED while the file has n lines or less, else -> its lines
static cJSON *
s_task_flaky_file (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    const char *path = zaf_arg_string (args, 0, NULL);
    FILE *file = path ? fopen (path, "a+") : NULL;
    if (!file) {
        zaf_error_set (err, ZAF_BAD_ARGS, "flaky_file takes (path, n) of a writable file");
        return NULL;
    }
    fputs ("run\n", file);
    fflush (file);
    rewind (file);
    int lines = 0, c;
    while ((c = fgetc (file)) != EOF)
        lines += c == '\n';
    fclose (file);
    if (lines <= zaf_arg_number (args, 1, 0)) {
        zaf_error_set (err, ZAF_METHOD_FAILED, "flaky_file: run %d fails", lines);
        return NULL;
    }
    return cJSON_CreateNumber (lines);
}

static cJSON *
s_task_tell_many (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    zaf_actor_t *target = zaf_actor_from_json (cJSON_GetArrayItem (args, 0));
    const char *method = zaf_arg_string (args, 1, "record");
    int count = (int) zaf_arg_number (args, 2, 10);
    int tag = (int) zaf_arg_number (args, 3, 0);
    if (!target) {
        zaf_error_set (err, ZAF_BAD_ARGS, "takes (handle, method, n, tag)");
        return NULL;
    }
    for (int index = 0; index < count; index++)
        zaf_tell (z, target, method, zaf_json ("[[%d, %d]]", tag, index));
    zaf_future_t *future = zaf_call (z, target, "get", NULL);
    cJSON *result = zaf_get (z, &future, 10000, err);
    zaf_actor_destroy (&target);
    if (!result)
        return NULL;
    cJSON_Delete (result);
    return cJSON_CreateNumber (count);
}

int
test_actors_register (void)
{
    if (zaf_register_class (&s_counter_class) || zaf_register_class (&s_refuser_class))
        return -1;
    if (zaf_register_function ("blob_size", s_task_blob_size)
    ||  zaf_register_function ("add", s_task_add)
    ||  zaf_register_function ("fail", s_task_fail)
    ||  zaf_register_function ("sleep", s_task_sleep)
    ||  zaf_register_function ("pid", s_task_pid)
    ||  zaf_register_function ("call_actor", s_call_through)
    ||  zaf_register_function ("tell_many", s_task_tell_many)
    ||  zaf_register_function ("flaky_file", s_task_flaky_file))
        return -1;
    return test_io_actors_register ();
}
