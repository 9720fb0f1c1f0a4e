/*  =========================================================================
    zaf_channel - one socket end that sends by value or by reference

    The mechanism is chosen once, as Redis's ae.c chooses epoll or kqueue:
    the channel holds the send and receive functions of its kind, and no
    call site asks again.
    =========================================================================
*/

#include "zaf_classes.h"

typedef int (send_fn) (zaf_proto_t *msg, void *socket);
typedef int (recv_fn) (zaf_proto_t *msg, void *socket, bool nowait);

struct _zaf_channel_t {
    void *socket;               //  Borrowed
    send_fn *send;              //  By value or by reference
    recv_fn *recv;
};

//  Receiving on the wire, in the shape of zaf_proto_recv_local
static int
s_recv_wire (zaf_proto_t *msg, void *socket, bool nowait)
{
    return nowait ? zaf_proto_recv_nowait (msg, socket) : zaf_proto_recv (msg, socket);
}

//  --------------------------------------------------------------------------
//  Constructor and destructor

zaf_channel_t *
zaf_channel_new (void *socket, bool by_reference)
{
    assert (socket);
    zaf_channel_t *self = (zaf_channel_t *) zmalloc (sizeof (zaf_channel_t));
    assert (self);
    self->socket = socket;
    self->send = by_reference ? zaf_proto_send_local : zaf_proto_send;
    self->recv = by_reference ? zaf_proto_recv_local : s_recv_wire;
    return self;
}

void
zaf_channel_destroy (zaf_channel_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Send and receive

int
zaf_channel_send (zaf_channel_t *self, zaf_proto_t *msg)
{
    assert (self);
    return self->send (msg, self->socket);
}

int
zaf_channel_recv (zaf_channel_t *self, zaf_proto_t *msg)
{
    assert (self);
    return self->recv (msg, self->socket, false);
}

int
zaf_channel_recv_nowait (zaf_channel_t *self, zaf_proto_t *msg)
{
    assert (self);
    return self->recv (msg, self->socket, true);
}

void *
zaf_channel_socket (zaf_channel_t *self)
{
    assert (self);
    return self->socket;
}
