/*  =========================================================================
    zaf_reader - an actor's readers: its own sockets and file descriptors

    A fixed array of readers and the zmq_pollitem_t array built from it
    (the actor's own socket first), rebuilt only when a reader is added or
    removed. A reader removed inside a handler is marked and dropped after
    the round, so the array never moves under the loop. Runs in the
    actor's thread only.
    =========================================================================
*/

#include "zaf_classes.h"
#include <fcntl.h>

typedef struct {
    void *socket;               //  As given (zsock_t * or libzmq), or NULL
    void *handle;               //  The libzmq socket to poll, or NULL
    int fd;                     //  The fd to poll, or -1
    zaf_reader_fn *fn;
    void *arg;
    bool removed;               //  Removed during a round
} reader_t;

struct _zaf_readers_t {
    reader_t readers [ZAF_READERS_MAX];
    size_t size;
    zmq_pollitem_t items [ZAF_READERS_MAX + 1];
    bool dirty;                 //  items must be rebuilt
    bool in_round;              //  Handlers are running
};

zaf_readers_t *
zaf_readers_new (void)
{
    zaf_readers_t *self = (zaf_readers_t *) zmalloc (sizeof (zaf_readers_t));
    assert (self);
    self->dirty = true;
    return self;
}

void
zaf_readers_destroy (zaf_readers_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

//  The libzmq socket behind a zsock_t or a libzmq socket; NULL if it is
//  neither (zsock_is checks czmq's tag; a libzmq socket answers ZMQ_TYPE)
static void *
s_resolve (void *socket)
{
    if (zsock_is (socket))
        return zsock_resolve (socket);
    int type;
    size_t size = sizeof (type);
    return zmq_getsockopt (socket, ZMQ_TYPE, &type, &size) == 0 ? socket : NULL;
}

static reader_t *
s_find (zaf_readers_t *self, void *socket, int fd)
{
    for (size_t index = 0; index < self->size; index++) {
        reader_t *reader = &self->readers [index];
        if (!reader->removed && (socket ? reader->socket == socket : reader->fd == fd))
            return reader;
    }
    return NULL;
}

int
zaf_readers_add (zaf_readers_t *self, void *socket, int fd, zaf_reader_fn *fn, void *arg)
{
    assert (self);
    if (!fn || self->size >= ZAF_READERS_MAX || s_find (self, socket, fd))
        return -1;
    void *handle = NULL;
    if (socket) {
        handle = s_resolve (socket);
        if (!handle)
            return -1;
    }
    else
    if (fd < 0 || fcntl (fd, F_GETFD) == -1)
        return -1;
    reader_t *reader = &self->readers [self->size++];
    reader->socket = socket;
    reader->handle = handle;
    reader->fd = socket ? -1 : fd;
    reader->fn = fn;
    reader->arg = arg;
    reader->removed = false;
    self->dirty = true;
    return 0;
}

//  Drop the readers marked removed
static void
s_compact (zaf_readers_t *self)
{
    size_t kept = 0;
    for (size_t index = 0; index < self->size; index++)
        if (!self->readers [index].removed)
            self->readers [kept++] = self->readers [index];
    self->size = kept;
    self->dirty = true;
}

int
zaf_readers_remove (zaf_readers_t *self, void *socket, int fd)
{
    assert (self);
    reader_t *reader = s_find (self, socket, fd);
    if (!reader)
        return -1;
    reader->removed = true;
    if (!self->in_round)
        s_compact (self);
    else
        self->dirty = true;
    return 0;
}

size_t
zaf_readers_size (zaf_readers_t *self)
{
    assert (self);
    return self->size;
}

//  --------------------------------------------------------------------------
//  Run one reader's handler; for a ZeroMQ socket, again while it stays
//  readable (its edge-triggered fd says nothing more until it is drained)

static void
s_run (zaf_readers_t *self, reader_t *reader, zaf_t *z, bool (*stop) (void *), void *stop_arg)
{
    for (int round = 0; round < ZAF_READER_BATCH; round++) {
        int rc = reader->fn (z, reader->socket, reader->fd, reader->arg);
        if (rc == -1 && !reader->removed)
            zaf_readers_remove (self, reader->socket, reader->fd);
        if (reader->removed || !reader->handle || (stop && stop (stop_arg)))
            break;
        int events = 0;
        size_t size = sizeof (events);
        if (zmq_getsockopt (reader->handle, ZMQ_EVENTS, &events, &size)
        ||  !(events & ZMQ_POLLIN))
            break;
    }
}

//  --------------------------------------------------------------------------
//  Wait for the actor's socket or a reader; run the readers that are ready

int
zaf_readers_poll (zaf_readers_t *self, void *own, int timeout, zaf_t *z,
                  bool (*stop) (void *arg), void *stop_arg)
{
    assert (self && own);
    if (self->dirty) {
        self->items [0] = (zmq_pollitem_t) { own, 0, ZMQ_POLLIN, 0 };
        for (size_t index = 0; index < self->size; index++)
            self->items [index + 1] = (zmq_pollitem_t) {
                self->readers [index].handle, self->readers [index].fd, ZMQ_POLLIN, 0 };
        self->dirty = false;
    }
    size_t count = self->size;
    int rc = zmq_poll (self->items, (int) count + 1, timeout);
    if (rc == -1)
        return errno == EINTR ? 0 : -1;
    self->in_round = true;
    for (size_t index = 0; index < count; index++) {
        if (!(self->items [index + 1].revents & ZMQ_POLLIN))
            continue;
        reader_t *reader = &self->readers [index];
        if (reader->removed)
            continue;
        s_run (self, reader, z, stop, stop_arg);
        if (stop && stop (stop_arg))
            break;
    }
    self->in_round = false;
    bool own_ready = (self->items [0].revents & ZMQ_POLLIN) != 0;
    if (self->dirty) {
        bool removed = false;
        for (size_t index = 0; index < self->size; index++)
            removed |= self->readers [index].removed;
        if (removed)
            s_compact (self);
    }
    return own_ready ? 1 : 0;
}

//  --------------------------------------------------------------------------
//  The public calls: the readers of the actor whose connection is z

int
zaf_reader (zaf_t *z, void *socket, zaf_reader_fn *fn, void *arg)
{
    zaf_readers_t *self = z ? zaf_context_readers (zaf_context (z)) : NULL;
    if (!self || !socket)
        return -1;
    return zaf_readers_add (self, socket, -1, fn, arg);
}

int
zaf_reader_fd (zaf_t *z, int fd, zaf_reader_fn *fn, void *arg)
{
    zaf_readers_t *self = z ? zaf_context_readers (zaf_context (z)) : NULL;
    if (!self || fd < 0)
        return -1;
    return zaf_readers_add (self, NULL, fd, fn, arg);
}

int
zaf_reader_remove (zaf_t *z, void *socket)
{
    zaf_readers_t *self = z ? zaf_context_readers (zaf_context (z)) : NULL;
    if (!self || !socket)
        return -1;
    return zaf_readers_remove (self, socket, -1);
}

int
zaf_reader_fd_remove (zaf_t *z, int fd)
{
    zaf_readers_t *self = z ? zaf_context_readers (zaf_context (z)) : NULL;
    if (!self || fd < 0)
        return -1;
    return zaf_readers_remove (self, NULL, fd);
}
