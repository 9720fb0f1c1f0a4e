/*  =========================================================================
    zaf_worker - task worker threads: run registered functions for a node

    Runs in the worker's own thread. Talks only to the node, through its
    end of the node's inner ROUTER (zaf_inner). Invariants: one task at a
    time, in the order the node sent them (the node hands a worker up to
    ZAF_NODE_PREFETCH at once, so the next one waits in its socket); every
    SUBMIT gets exactly one REPLY; EXIT is the last message it sends.
    =========================================================================
*/

#include "zaf_classes.h"

typedef struct {
    zaf_inner_t *inner;             //  Our end of the node's ROUTER
    uint32_t inner_id;              //  For the log
    zaf_registry_t *registry;       //  Where functions are
    bool verbose;
    zaf_t *z;                       //  Our connection (the inner end's)
    zaf_context_t *context;         //  What our code sees, with it
} self_t;

//  --------------------------------------------------------------------------
//  Run one task and answer it

static void
s_run_task (self_t *self, zaf_proto_t *msg)
{
    const char *name = zaf_proto_name (msg);
    zaf_task_fn *fn = zaf_registry_function (self->registry, name);
    size_t size;
    const char *body = zaf_proto_body (msg, &size);
    cJSON *args = fn ? zaf_json_parse (body, size) : NULL;
    zaf_error_t err;
    zaf_error_clear (&err);
    cJSON *result = NULL;
    if (!fn)
        zaf_error_set (&err, ZAF_NO_SUCH_FUNCTION, "no function %s on this node", name);
    else
    if (!args)
        zaf_error_set (&err, ZAF_BAD_ARGS, "arguments of %s are not valid JSON", name);
    else
    if (zaf_cancel_marked (msg, NULL))
        zaf_error_set (&err, ZAF_CANCELLED, "%s was cancelled before it ran; it did not run", name);
    else
    if (zaf_deadline_passed (msg))
        zaf_error_set (&err, ZAF_TIMEOUT, "the deadline of %s passed before it ran; it did not run", name);
    else {
        if (self->verbose)
            zsys_debug ("zaf_worker: worker=%u function=%s", self->inner_id, name);
        zaf_context_serving (self->context, msg);
        result = fn (self->z, args, &err);
    }
    cJSON_Delete (args);
    zaf_inner_answer (self->inner, msg, err.code == ZAF_OK ? result : NULL, &err);
    zaf_context_serving (self->context, NULL);
    zaf_cancel_forget (msg);
    cJSON_Delete (result);
}

//  --------------------------------------------------------------------------
//  The worker thread: HELLO, tasks until KILL, EXIT. Frees self.

static void *
s_worker_thread (void *arg)
{
    self_t *self = (self_t *) arg;
    self->z = zaf_inner_client (self->inner);
    self->context = zaf_inner_context (self->inner);
    zaf_proto_t *out = zaf_inner_out (self->inner);
    zaf_proto_set_id (out, ZAF_PROTO_HELLO);
    zaf_proto_set_name (out, "worker");
    zaf_proto_set_body (out, "{}", 2);
    zaf_inner_send (self->inner, out);

    while (!zaf_inner_killed (self->inner)) {
        zaf_proto_t *msg = zaf_inner_next (self->inner);
        if (!msg)
            break;
        zaf_proto_id_t id = zaf_proto_id (msg);
        if (id == ZAF_PROTO_SUBMIT)
            s_run_task (self, msg);
        else
            zaf_inner_handle_other (self->inner, id);
    }
    zaf_inner_exit (self->inner, "worker", "stopped");
    zaf_inner_destroy (&self->inner);
    free (self);
    return NULL;
}

//  --------------------------------------------------------------------------
//  Open the worker's socket, then start its thread

int
zaf_worker_start (const zaf_worker_spec_t *spec, pthread_t *thread)
{
    assert (spec && spec->registry && thread);
    self_t *self = (self_t *) zmalloc (sizeof (self_t));
    assert (self);
    self->inner_id = spec->inner_id;
    self->registry = spec->registry;
    self->verbose = spec->verbose;
    self->inner = zaf_inner_new (spec->endpoint, spec->inner_id, NULL, spec->local);
    if (self->inner && zaf_inner_start (self->inner, s_worker_thread, self, thread) == 0)
        return 0;
    int error = errno;
    zaf_inner_destroy (&self->inner);
    free (self);
    errno = error;
    return -1;
}
