/*  =========================================================================
    zaf_pool - an actor's pool of method threads (max_concurrency > 1)

    An actor spawned with max_concurrency N > 1 (its class declares itself
    thread_safe) owns a pool of N threads. Its own thread still takes every
    message from the node; it hands each CALL and TELL to the pool
    (zaf_pool_submit), where up to N run at once, and the pool hands each
    finished REPLY back through a socket the actor's thread reads beside
    its other readers (zaf_pool_socket, zaf_pool_collect), so that only
    the actor's thread ever writes to its node. Each pool thread has a
    connection of its own to the broker (as a driver does) for the calls
    its methods make, with a context that answers zaf_self, zaf_exit and
    the call's blobs. Ordering per caller is not kept: two calls from one
    caller may run at once and end in any order.
    =========================================================================
*/

#ifndef ZAF_POOL_H_INCLUDED
#define ZAF_POOL_H_INCLUDED

//  The most threads an actor's pool may have
#define ZAF_POOL_MAX    64

typedef struct _zaf_pool_t zaf_pool_t;

//  Start `size` threads serving methods of cls on state (borrowed: both
//  outlive the pool) for actor actor_id. broker is where their connections
//  dial (NULL: methods that call out fail). Returns NULL with errno if the
//  threads or the socket could not be had.
zaf_pool_t *
    zaf_pool_new (size_t size, const zaf_class_t *cls, void *state, const char *actor_id,
                  const char *broker);

//  Stop the pool: messages not yet started are dropped, running methods
//  finish, the threads are joined and their connections closed (which
//  kills the actors they spawned). Nulls *self_p.
void
    zaf_pool_destroy (zaf_pool_t **self_p);

//  Hand a CALL or TELL to the pool: its content moves into the pool and
//  msg is left empty (still the caller's).
void
    zaf_pool_submit (zaf_pool_t *self, zaf_proto_t *msg);

//  The socket finished work comes back on (for the actor's readers).
void *
    zaf_pool_socket (zaf_pool_t *self);

//  Take one finished piece of work, if there is one: returns true and sets
//  *reply_p to the REPLY to send (caller destroys; NULL for a TELL) and
//  fills exit_reason ("" unless the method called zaf_exit).
bool
    zaf_pool_collect (zaf_pool_t *self, zaf_proto_t **reply_p, char *exit_reason,
                      size_t exit_size);

//  How many methods are running now, and the most that ever ran at once.
size_t
    zaf_pool_running (zaf_pool_t *self);

#endif
