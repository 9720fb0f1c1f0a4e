/*  =========================================================================
    zaf_reader - an actor's readers: its own sockets and file descriptors

    Each actor owns one zaf_readers_t, made by the actor runtime when the
    actor starts. The actor's code adds a czmq socket (zsock_t *), a raw
    libzmq socket or a file descriptor with zaf_reader / zaf_reader_fd
    (zaf.h); between two methods the runtime polls them together with the
    actor's socket to its node (zaf_readers_poll) and runs the handler of
    each one that is readable, on the actor's thread, so a handler never
    runs at the same time as a method or another handler. The runtime
    destroys the set (which removes every reader and closes nothing)
    before the actor's destructor runs: sockets belong to their owner, and
    the destructor closes them.
    =========================================================================
*/

#ifndef ZAF_READER_H_INCLUDED
#define ZAF_READER_H_INCLUDED

//  Readers one actor may hold at once
#define ZAF_READERS_MAX     64

//  Messages a handler may take from one ZeroMQ socket in a row before the
//  runtime looks at the actor's own socket again
#define ZAF_READER_BATCH    256

typedef struct _zaf_readers_t zaf_readers_t;

//  Create an empty set. Never NULL.
zaf_readers_t *
    zaf_readers_new (void);

//  Destroy the set: every reader is removed; no socket or fd is closed.
void
    zaf_readers_destroy (zaf_readers_t **self_p);

//  Add a reader on a socket (zsock_t * or libzmq socket; fd < 0) or on a
//  file descriptor (socket NULL). Returns 0, or -1 if the socket or fd is
//  not valid, is already a reader, or the set is full.
int
    zaf_readers_add (zaf_readers_t *self, void *socket, int fd, zaf_reader_fn *fn, void *arg);

//  Remove the reader on socket (or on fd if socket is NULL); safe inside a
//  handler. Returns 0, or -1 if there is none.
int
    zaf_readers_remove (zaf_readers_t *self, void *socket, int fd);

//  How many readers are set.
size_t
    zaf_readers_size (zaf_readers_t *self);

//  Wait up to timeout ms (-1: no limit) until the libzmq socket `own` (the
//  actor's socket to its node) or a reader is readable, and run the
//  handlers of the readers that are (a ZeroMQ socket's handler again while
//  it stays readable, up to ZAF_READER_BATCH times). stop (arg) is asked
//  after each handler; when it says true no further handler runs. Returns
//  1 if `own` is readable, 0 if not (timeout or handlers ran), -1 when the
//  context ends.
int
    zaf_readers_poll (zaf_readers_t *self, void *own, int timeout, zaf_t *z,
                      bool (*stop) (void *arg), void *stop_arg);

#endif
