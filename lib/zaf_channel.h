/*  =========================================================================
    zaf_channel - one socket end that sends by value or by reference

    Between threads of one process a message can travel by reference (one
    frame carrying a pointer, zaf_proto_send_local); to anything else it
    travels on the wire, a frame per field. Which of the two is decided
    once, when the channel is made; call sites just send and receive.
    A channel borrows its socket and is used by one thread at a time.
    =========================================================================
*/

#ifndef ZAF_CHANNEL_H_INCLUDED
#define ZAF_CHANNEL_H_INCLUDED

typedef struct _zaf_channel_t zaf_channel_t;

//  A channel on `socket` (a libzmq socket or a zsock_t, borrowed: the
//  caller closes it after destroying the channel). by_reference must be
//  true only if every peer of the socket is a thread of this process that
//  reads with a by-reference channel too.
zaf_channel_t *
    zaf_channel_new (void *socket, bool by_reference);

//  Destroy the channel; the socket stays open.
void
    zaf_channel_destroy (zaf_channel_t **self_p);

//  Send a message; same returns and semantics as zaf_proto_send.
int
    zaf_channel_send (zaf_channel_t *self, zaf_proto_t *msg);

//  Receive a message, waiting for one; same returns as zaf_proto_recv.
int
    zaf_channel_recv (zaf_channel_t *self, zaf_proto_t *msg);

//  Receive a message if one waits: -1 with errno EAGAIN if none.
int
    zaf_channel_recv_nowait (zaf_channel_t *self, zaf_proto_t *msg);

//  The socket, for polling.
void *
    zaf_channel_socket (zaf_channel_t *self);

#endif
