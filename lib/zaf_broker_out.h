/*  =========================================================================
    zaf_broker_out - the send path of the broker's ROUTER

    Owns the one ROUTER socket (the broker loop borrows it to bind and to
    read) and everything the broker sends through it: answers that must
    not be lost (REPLY, SPAWNED, ERROR, BYE: they wait in the peer's
    backlog while its queue is full), requests forwarded to nodes (never
    held: a full queue is an OVERLOADED answer to the sender), heartbeats,
    and the rate-limited warnings about bad input. A peer whose connection
    is found gone is doomed in the peer table, never ended here.
    =========================================================================
*/

#ifndef ZAF_BROKER_OUT_H_INCLUDED
#define ZAF_BROKER_OUT_H_INCLUDED

#include "zaf_broker_stats.h"

#include "zaf_broker_peers.h"

typedef struct _zaf_broker_out_t zaf_broker_out_t;

//  Budgets for held answers, in bytes (0 keeps a value): for all peers
//  together (default ZAF_BROKER_HELD_MAX) and for one peer (default
//  ZAF_BROKER_HELD_SHARE; never more than the first). A peer past its
//  share, or the one holding most when all would pass the budget, is
//  doomed ("does not read its answers") and its backlog freed at once.
void
    zaf_broker_out_set_held_max (zaf_broker_out_t *self, size_t held_max, size_t held_share);

//  Bytes all backlogs occupy now, and at most so far.
size_t
    zaf_broker_out_held_bytes (zaf_broker_out_t *self);
size_t
    zaf_broker_out_held_peak (zaf_broker_out_t *self);

//  Call once per heartbeat tick: gives memory back to the system for a
//  while after a large backlog was freed.
void
    zaf_broker_out_tick (zaf_broker_out_t *self);

//  Create the send path and its ROUTER (mandatory routing, bounded queues,
//  no linger). Borrows peers and stats, which must outlive it.
zaf_broker_out_t *
    zaf_broker_out_new (zaf_broker_peers_t *peers, zaf_broker_stats_t *stats);

//  Destroy the send path and close the ROUTER.
void
    zaf_broker_out_destroy (zaf_broker_out_t **self_p);

//  The ROUTER, for binding, options and reading. Borrowed.
zsock_t *
    zaf_broker_out_router (zaf_broker_out_t *self);

//  Log every warning about bad input, not once per peer (default off).
void
    zaf_broker_out_set_verbose (zaf_broker_out_t *self, bool verbose);

//  Log a warning about bad input from peer (may be NULL) at a bounded
//  rate: once per peer unless verbose, at most 10 a second overall.
void
    zaf_broker_out_warn (zaf_broker_out_t *self, zaf_broker_peer_t *peer, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  Deliver an answer to a routing id. It is never dropped while the peer
//  lives: when the peer's queue is full it waits in the peer's backlog.
//  The message's frames are sent or moved into the backlog; msg stays the
//  caller's object.
void
    zaf_broker_out_deliver (zaf_broker_out_t *self, zaf_proto_t *msg,
                            const void *routing_id, size_t size);

//  Reset the scratch message for something the broker originates, set its
//  command and return it (borrowed) for the caller to fill in; then send it
//  with zaf_broker_out_send.
zaf_proto_t *
    zaf_broker_out_start (zaf_broker_out_t *self, zaf_proto_id_t id);

//  Deliver the scratch message to a routing id (as zaf_broker_out_deliver).
void
    zaf_broker_out_send (zaf_broker_out_t *self, const void *routing_id, size_t size);

//  Send msg to a peer without holding it: a request or notice forwarded to
//  a node. Returns 0, or -1 with errno set (EAGAIN: the queue is full;
//  else the peer is gone). msg stays the caller's.
int
    zaf_broker_out_push (zaf_broker_out_t *self, zaf_proto_t *msg, zaf_broker_peer_t *peer);

//  Forward a request from caller to node (setting its caller frame). On
//  failure the caller is answered (OVERLOADED or NODE_LOST; a TELL with an
//  ERROR on the side), a vanished node is doomed, and -1 is returned.
int
    zaf_broker_out_forward (zaf_broker_out_t *self, zaf_proto_t *request,
                            zaf_broker_peer_t *caller, zaf_broker_peer_t *node);

//  Answer a request with an error: a SPAWNED for a SPAWN, else a REPLY,
//  echoing its correlation id, to its sender.
void
    zaf_broker_out_refuse (zaf_broker_out_t *self, zaf_proto_t *request,
                           zaf_code_t code, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

//  Answer a request (kind REPLY or SPAWNED) to the caller at routing_id
//  with an error; actor names the actor in a SPAWNED (may be NULL).
void
    zaf_broker_out_fail (zaf_broker_out_t *self, zaf_proto_id_t kind,
                         const void *routing_id, size_t routing_size,
                         const void *corr, size_t corr_size, const char *actor,
                         zaf_code_t code, const char *message);

//  Answer a request ok with a REPLY whose body is result (NULL: null) to
//  the caller at routing_id. Takes ownership of result.
void
    zaf_broker_out_reply_ok (zaf_broker_out_t *self, const void *routing_id, size_t routing_size,
                             const void *corr, size_t corr_size, cJSON **result_p);

//  Turn request into its own answer and send it back to its sender (whose
//  routing id goes in its caller frame). The caller has set the command,
//  ok and body.
void
    zaf_broker_out_return (zaf_broker_out_t *self, zaf_proto_t *request);

//  Answer request ok with a REPLY whose body is result. Takes ownership of
//  result.
void
    zaf_broker_out_answer_ok (zaf_broker_out_t *self, zaf_proto_t *request, cJSON *result);

//  Send an ERROR (no correlation) to a routing id.
void
    zaf_broker_out_error (zaf_broker_out_t *self, const void *routing_id, size_t size,
                          zaf_code_t code, const char *message);

//  Send a BYE with a reason; stop asks a node to exit rather than dial again.
void
    zaf_broker_out_bye (zaf_broker_out_t *self, const void *routing_id, size_t size,
                        const char *reason, bool stop);

//  Send a HEARTBEAT to a peer (unless answers wait in its backlog).
void
    zaf_broker_out_heartbeat (zaf_broker_out_t *self, zaf_broker_peer_t *peer);

//  Parse the JSON body of a control request (STATUS, MONITOR): sets
//  *json_p to the tree (the caller deletes it) or NULL for an empty body
//  and returns 0; or refuses the request (too big, not JSON) and returns -1.
int
    zaf_broker_out_parse (zaf_broker_out_t *self, zaf_proto_t *request, const char *what,
                          cJSON **json_p);

//  Send what waits in backlogs while there is room.
void
    zaf_broker_out_flush (zaf_broker_out_t *self);

//  Number of peers with answers in their backlog.
size_t
    zaf_broker_out_backlogged (zaf_broker_out_t *self);

//  A peer is leaving the table: forget its backlog.
void
    zaf_broker_out_forget (zaf_broker_out_t *self, zaf_broker_peer_t *peer);

#endif
