/*  =========================================================================
    zaf_inner - one thread's end of its node's inner ROUTER

    What an actor thread (zaf_actor) and a task worker thread (zaf_worker)
    share: a 4-byte routing id, one DEALER to the node (inproc, or ipc from
    an actor process), the mailbox of messages that came while a method
    waited, the zaf_t the running code calls through, the answer to a
    request and the closing EXIT. zaf_inner_start runs such a thread with a
    small stack and counts it until its zaf_inner_t is destroyed.

    Used by one thread at a time: the node's thread opens the socket (so a
    node out of sockets refuses at once), then the party's own thread
    owns it for the rest of its life.
    =========================================================================
*/

#ifndef ZAF_INNER_H_INCLUDED
#define ZAF_INNER_H_INCLUDED

#include <pthread.h>

//  Inner routing ids are 4 bytes, big-endian, top bit set
#define ZAF_INNER_ID_SIZE       4
#define ZAF_INNER_STACK_SIZE    (256 * 1024)

typedef struct _zaf_inner_t zaf_inner_t;

//  Open a DEALER to the node's inner ROUTER at endpoint, with inner_id as
//  its routing id. actor_id names the party to its connection (NULL for a
//  worker); local says messages go by reference (a thread of the node's
//  process). Returns the new end, which the caller destroys, or NULL with
//  errno if no socket could be had.
zaf_inner_t *
    zaf_inner_new (const char *endpoint, uint32_t inner_id, const char *actor_id, bool local);

//  Close the socket, free the mailbox and everything else. If the end was
//  started with zaf_inner_start, the thread stops counting as running.
//  Nulls *self_p; does nothing on NULL.
void
    zaf_inner_destroy (zaf_inner_t **self_p);

//  Start a thread with our small stack running body (arg); from now on
//  self belongs to that thread and counts as running until destroyed.
//  Returns 0, or -1 with errno; on failure the caller still owns self.
int
    zaf_inner_start (zaf_inner_t *self, void *(*body) (void *), void *arg, pthread_t *thread);

//  Return how many threads started with zaf_inner_start are running in
//  this process (their zaf_inner_t not yet destroyed).
size_t
    zaf_inner_threads (void);

//  Return the connection the party's code calls through, making it on
//  first use. Owned by self until zaf_inner_exit.
zaf_t *
    zaf_inner_client (zaf_inner_t *self);

//  Return what the party's code sees beside its connection (made with it).
zaf_context_t *
    zaf_inner_context (zaf_inner_t *self);

//  Return the message buffer for what the party originates, reset and
//  owned by self; valid until the next call.
zaf_proto_t *
    zaf_inner_out (zaf_inner_t *self);

//  Send msg to the node (by reference for a local party). Returns 0, or
//  -1 with errno. msg stays the caller's.
int
    zaf_inner_send (zaf_inner_t *self, zaf_proto_t *msg);

//  Take the next message: the mailbox first, then the socket. Returns the
//  message (owned by self, valid until the next call) or NULL when the
//  context ends.
zaf_proto_t *
    zaf_inner_next (zaf_inner_t *self);

//  Return true if a message waits: in the mailbox, or on the socket.
bool
    zaf_inner_waiting (zaf_inner_t *self);

//  The libzmq socket to the node, for polling beside an actor's readers.
void *
    zaf_inner_socket (zaf_inner_t *self);

//  Answer the request: REPLY to its caller and corr with result, or with
//  err if err's code is not ZAF_OK. result stays the caller's.
void
    zaf_inner_answer (zaf_inner_t *self, zaf_proto_t *request, cJSON *result,
                      const zaf_error_t *err);

//  Handle the current message when it is not work: KILL ends the party,
//  the rest (answers to its own requests, notices) go to its connection.
//  Returns false when the party must end.
bool
    zaf_inner_handle_other (zaf_inner_t *self, zaf_proto_id_t id);

//  Return true once a KILL has been seen (while a method waited, or by
//  zaf_inner_handle_other).
bool
    zaf_inner_killed (zaf_inner_t *self);

//  The party's last word: destroy its connection (which kills the
//  children it still owns), then send EXIT naming actor with
//  {"reason":reason}.
void
    zaf_inner_exit (zaf_inner_t *self, const char *actor, const char *reason);

//  Encode an inner id as a routing id of ZAF_INNER_ID_SIZE bytes.
void
    zaf_inner_encode_id (uint32_t inner_id, byte *bytes);

//  Decode a routing id; 0 if it is not one of ours.
uint32_t
    zaf_inner_decode_id (const void *bytes, size_t size);

#endif
