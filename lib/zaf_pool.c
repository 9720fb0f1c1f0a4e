/*  =========================================================================
    zaf_pool - an actor's pool of method threads (max_concurrency > 1)

    Work goes in through a queue under a mutex and a condition variable
    (the actor's thread submits, N pool threads take); finished work comes
    out as pointers on inproc PUSH sockets, one per pool thread, to one
    PULL the actor's thread owns. Ownership of a finished record moves
    with the pointer: the pool thread allocates it, the actor's thread
    frees it in zaf_pool_collect.
    =========================================================================
*/

#include "zaf_classes.h"
#include <pthread.h>
#include <stdatomic.h>

typedef struct {
    zaf_proto_t *reply;         //  REPLY to send, or NULL (a TELL)
    char exit_reason [64];      //  zaf_exit, or ""
} done_t;

typedef struct _worker_t worker_t;

struct _zaf_pool_t {
    const zaf_class_t *cls;
    void *state;
    char *actor_id;
    char *broker;
    pthread_mutex_t lock;
    pthread_cond_t ready;
    zlistx_t *queue;            //  zaf_proto_t waiting for a thread
    bool stopping;
    void *pull;                 //  Finished work comes in here (libzmq)
    char endpoint [64];
    size_t size;
    worker_t *workers;
    atomic_size_t running;
};

struct _worker_t {
    zaf_pool_t *pool;
    pthread_t thread;
    bool started;
};

//  --------------------------------------------------------------------------
//  Run one method in a pool thread; the answer is built here, sent by the
//  actor's thread

static done_t *
s_serve (zaf_pool_t *self, zaf_t *z, zaf_context_t *context, zaf_proto_t *msg)
{
    bool is_call = zaf_proto_id (msg) == ZAF_PROTO_CALL;
    const char *method_name = zaf_proto_name (msg);
    zaf_error_t err;
    zaf_error_clear (&err);
    cJSON *result = NULL;
    zaf_method_fn *method = zaf_registry_method (self->cls, method_name);
    size_t size;
    const char *body = zaf_proto_body (msg, &size);
    cJSON *args = method ? zaf_json_parse (body, size) : NULL;
    if (!method)
        zaf_error_set (&err, ZAF_NO_SUCH_METHOD, "class %s has no method %s",
                       self->cls->name, method_name);
    else
    if (!args)
        zaf_error_set (&err, ZAF_BAD_ARGS, "arguments of %s.%s are not valid JSON",
                       self->cls->name, method_name);
    else
    if (!z)
        zaf_error_set (&err, ZAF_METHOD_FAILED, "actor %s has no connection for %s",
                       self->actor_id, method_name);
    else {
        zaf_context_serving (context, msg);
        result = method (self->state, z, args, &err);
        if (err.code != ZAF_OK) {
            cJSON_Delete (result);
            result = NULL;
        }
    }
    cJSON_Delete (args);
    done_t *done = (done_t *) zmalloc (sizeof (done_t));
    assert (done);
    if (is_call) {
        zaf_proto_t *reply = zaf_proto_new ();
        zaf_proto_set_id (reply, ZAF_PROTO_REPLY);
        const void *data = zaf_proto_caller (msg, &size);
        zaf_proto_set_caller (reply, data, size);
        data = zaf_proto_corr (msg, &size);
        zaf_proto_set_corr (reply, data, size);
        if (err.code != ZAF_OK)
            zaf_proto_set_error (reply, err.code, "%s", err.message);
        else {
            zaf_proto_set_ok (reply, true);
            zaf_proto_set_body_json (reply, result);
            if (context)
                zaf_context_take_returns (context, reply);
        }
        done->reply = reply;
    }
    else
    if (err.code != ZAF_OK)
        zsys_warning ("zaf_pool: tell failed actor=%s method=%s code=%s message=%s",
                      self->actor_id, method_name, zaf_code_name (err.code), err.message);
    cJSON_Delete (result);
    if (context) {
        zaf_context_serving (context, NULL);
        const char *reason = zaf_context_exit_reason (context);
        if (reason)
            snprintf (done->exit_reason, sizeof (done->exit_reason), "%s", reason);
    }
    return done;
}

static void *
s_worker (void *arg)
{
    worker_t *worker = (worker_t *) arg;
    zaf_pool_t *self = worker->pool;
    void *push = zmq_socket (zsys_init (), ZMQ_PUSH);
    int value = 0;
    zmq_setsockopt (push, ZMQ_SNDHWM, &value, sizeof (value));
    zmq_connect (push, self->endpoint);
    //  Our own connection, for the calls our methods make
    zaf_error_t err;
    zaf_t *z = self->broker ? zaf_client_connect (self->broker, "driver", 5000, &err) : NULL;
    if (self->broker && !z)
        zsys_warning ("zaf_pool: actor=%s: no connection for its methods: %s",
                      self->actor_id, err.message);
    zaf_context_t *context = z ? zaf_context_new (z, self->actor_id) : NULL;
    pthread_mutex_lock (&self->lock);
    while (true) {
        while (!self->stopping && zlistx_size (self->queue) == 0)
            pthread_cond_wait (&self->ready, &self->lock);
        if (self->stopping)
            break;
        zaf_proto_t *msg = (zaf_proto_t *) zlistx_detach (self->queue, NULL);
        atomic_fetch_add (&self->running, 1);
        pthread_mutex_unlock (&self->lock);
        done_t *done = s_serve (self, z, context, msg);
        zaf_proto_destroy (&msg);
        atomic_fetch_sub (&self->running, 1);
        //  The pointer carries the record to the actor's thread
        zmq_send (push, &done, sizeof (done), 0);
        pthread_mutex_lock (&self->lock);
    }
    pthread_mutex_unlock (&self->lock);
    zaf_context_destroy (&context);
    zaf_client_destroy (&z);        //  Kills what its methods spawned
    zmq_close (push);
    return NULL;
}

//  --------------------------------------------------------------------------
//  Constructor and destructor

zaf_pool_t *
zaf_pool_new (size_t size, const zaf_class_t *cls, void *state, const char *actor_id,
              const char *broker)
{
    assert (size > 0 && size <= ZAF_POOL_MAX && cls && actor_id);
    zaf_pool_t *self = (zaf_pool_t *) zmalloc (sizeof (zaf_pool_t));
    assert (self);
    self->cls = cls;
    self->state = state;
    self->actor_id = strdup (actor_id);
    self->broker = broker ? strdup (broker) : NULL;
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->ready, NULL);
    self->queue = zlistx_new ();
    zlistx_set_destructor (self->queue, (zlistx_destructor_fn *) zaf_proto_destroy);
    snprintf (self->endpoint, sizeof (self->endpoint), "inproc://zaf-pool-%p", (void *) self);
    self->pull = zmq_socket (zsys_init (), ZMQ_PULL);
    int value = 0;
    if (self->pull) {
        zmq_setsockopt (self->pull, ZMQ_RCVHWM, &value, sizeof (value));
        zmq_setsockopt (self->pull, ZMQ_LINGER, &value, sizeof (value));
    }
    if (!self->pull || zmq_bind (self->pull, self->endpoint)) {
        int error = errno;
        zaf_pool_destroy (&self);
        errno = error;
        return NULL;
    }
    self->workers = (worker_t *) calloc (size, sizeof (worker_t));
    assert (self->workers);
    self->size = size;
    for (size_t index = 0; index < size; index++) {
        worker_t *worker = &self->workers [index];
        worker->pool = self;
        pthread_attr_t attr;
        pthread_attr_init (&attr);
        pthread_attr_setstacksize (&attr, ZAF_INNER_STACK_SIZE);
        int rc = pthread_create (&worker->thread, &attr, s_worker, worker);
        pthread_attr_destroy (&attr);
        if (rc) {
            zaf_pool_destroy (&self);
            errno = rc;
            return NULL;
        }
        worker->started = true;
    }
    return self;
}

void
zaf_pool_destroy (zaf_pool_t **self_p)
{
    assert (self_p);
    zaf_pool_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_lock (&self->lock);
    self->stopping = true;
    zlistx_purge (self->queue);         //  Not started: dropped
    pthread_cond_broadcast (&self->ready);
    pthread_mutex_unlock (&self->lock);
    for (size_t index = 0; index < self->size; index++)
        if (self->workers [index].started)
            pthread_join (self->workers [index].thread, NULL);
    //  What finished after the actor stopped collecting
    zaf_proto_t *reply;
    char reason [64];
    while (self->pull && zaf_pool_collect (self, &reply, reason, sizeof (reason)))
        zaf_proto_destroy (&reply);
    if (self->pull)
        zmq_close (self->pull);
    zlistx_destroy (&self->queue);
    pthread_cond_destroy (&self->ready);
    pthread_mutex_destroy (&self->lock);
    free (self->workers);
    free (self->actor_id);
    free (self->broker);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Work in and out

void
zaf_pool_submit (zaf_pool_t *self, zaf_proto_t *msg)
{
    assert (self && msg);
    zaf_proto_t *copy = zaf_proto_new ();
    zaf_proto_move (copy, msg);
    pthread_mutex_lock (&self->lock);
    zlistx_add_end (self->queue, copy);
    pthread_cond_signal (&self->ready);
    pthread_mutex_unlock (&self->lock);
}

void *
zaf_pool_socket (zaf_pool_t *self)
{
    assert (self);
    return self->pull;
}

bool
zaf_pool_collect (zaf_pool_t *self, zaf_proto_t **reply_p, char *exit_reason,
                  size_t exit_size)
{
    assert (self && reply_p);
    done_t *done = NULL;
    if (zmq_recv (self->pull, &done, sizeof (done), ZMQ_DONTWAIT) != sizeof (done))
        return false;
    *reply_p = done->reply;
    snprintf (exit_reason, exit_size, "%s", done->exit_reason);
    free (done);
    return true;
}

size_t
zaf_pool_running (zaf_pool_t *self)
{
    assert (self);
    return atomic_load (&self->running);
}
