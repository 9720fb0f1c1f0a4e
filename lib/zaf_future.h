/*  =========================================================================
    zaf_future - futures, and the map of those a connection waits on

    A request gets a future and a 64-bit correlation id (8 bytes on the
    wire, big-endian, never zero). The connection's pending map holds the
    futures whose answer has not come; the first answer (or failure) takes
    the future out of the map and makes it ready, so every future ends
    exactly once and a late answer finds nothing. Both run in the thread
    of the connection that owns them. The public half (zaf_future_ready,
    zaf_future_destroy) is in zaf.h; waiting is the connection's work.
    =========================================================================
*/

#ifndef ZAF_FUTURE_H_INCLUDED
#define ZAF_FUTURE_H_INCLUDED

#define ZAF_FUTURE_CORR_SIZE    8

//  What a request asked, for how its answer is read
typedef enum {
    ZAF_FUTURE_CALL = 1,
    ZAF_FUTURE_SUBMIT,
    ZAF_FUTURE_SPAWN,           //  Answered by SPAWNED: {"actor": id}
    ZAF_FUTURE_KILL,
    ZAF_FUTURE_LOOKUP,
    ZAF_FUTURE_CONTROL          //  STATUS, STOP, MONITOR
} zaf_future_kind_t;

typedef struct _zaf_pending_t zaf_pending_t;

//  Create a pending map that holds at most `max` futures.
zaf_pending_t *
    zaf_pending_new (size_t max);

//  Destroy the map. Futures still pending end with BROKER_LOST and are
//  orphaned: they stay valid for their holders, who destroy them.
//  Abandoned futures are freed.
void
    zaf_pending_destroy (zaf_pending_t **self_p);

//  Start a request: a new future of this map with the next correlation
//  id, written into msg's corr frame (and the caller frame cleared), and
//  put in the map. Never NULL. Past `max` pending futures the future is
//  already ready with OVERLOADED and not in the map. The caller owns it.
zaf_future_t *
    zaf_pending_request (zaf_pending_t *self, zaf_future_kind_t kind, zaf_proto_t *msg);

//  A future of this map that failed before it was sent. Never NULL.
zaf_future_t *
    zaf_pending_failed (zaf_pending_t *self, zaf_code_t code, const char *message);

//  Take the future a correlation id names out of the map. Returns it
//  (still pending; the caller resolves it) or NULL if no future waits on
//  that id (a late answer, or an id that is not ours).
zaf_future_t *
    zaf_pending_take (zaf_pending_t *self, const void *corr, size_t size);

//  End every pending future with an error; abandoned ones are freed.
void
    zaf_pending_fail_all (zaf_pending_t *self, zaf_code_t code, const char *message);

//  How many futures are pending.
size_t
    zaf_pending_size (zaf_pending_t *self);

//  Fill a future from a REPLY or SPAWNED (its answer's blobs are moved,
//  not copied) and make it ready. The future must have left the map.
void
    zaf_future_resolve (zaf_future_t *self, zaf_proto_t *msg);

//  End a future with an error, taking it out of its map if it is there.
//  Does nothing to a future that is ready.
void
    zaf_future_fail (zaf_future_t *self, zaf_code_t code, const char *format, ...)
    CHECK_PRINTF (3);

//  The map the future belongs to, or NULL once that is gone.
zaf_pending_t *
    zaf_future_owner (const zaf_future_t *self);

//  Write the future's correlation id into msg's corr frame (a CANCEL for
//  its request), the caller frame empty.
void
    zaf_future_write_corr (zaf_future_t *self, zaf_proto_t *msg);

//  A new list of the futures pending in the map (borrowed; the caller
//  destroys the list only).
zlistx_t *
    zaf_pending_list (zaf_pending_t *self);

//  What the future's request asked.
zaf_future_kind_t
    zaf_future_kind (const zaf_future_t *self);

//  Nobody will wait on this spawn any more: it stays in the map, and its
//  answer, when it comes, frees it (the caller kills the actor that came
//  up). The caller must not use the future again.
void
    zaf_future_abandon (zaf_future_t *self);

//  True if zaf_future_abandon was called on a future taken from the map.
bool
    zaf_future_abandoned (const zaf_future_t *self);

//  A ready future's result, moved out (caller owns it), or NULL with its
//  error copied to err (may be NULL).
cJSON *
    zaf_future_take_result (zaf_future_t *self, zaf_error_t *err);

//  Move a ready future's blobs into `blobs` (room for ZAF_BLOBS_MAX);
//  returns how many. The caller owns them.
size_t
    zaf_future_take_blobs (zaf_future_t *self, zaf_blob_t **blobs);

//  True if a SPAWNED answer names an actor that existed already
//  (get_if_exists).
bool
    zaf_future_spawned_existing (zaf_proto_t *msg);

#endif
