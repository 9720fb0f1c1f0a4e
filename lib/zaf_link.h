/*  =========================================================================
    zaf_link - the DEALER to the broker: dial, HELLO/WELCOME, heartbeats,
    backoff

    A driver's connection and a node each hold one link. The link owns the
    socket and the session's bookkeeping; its owner decides what a lost
    broker means (a driver fails its futures, a node tells its actors) and
    when to poll. States: DOWN (no socket; dial when due), HELLO (HELLO
    sent, waiting for WELCOME), UP. A failed or lost link backs off before
    the next dial, doubling from 100 ms to 2 s; a WELCOME resets that.
    =========================================================================
*/

#ifndef ZAF_LINK_H_INCLUDED
#define ZAF_LINK_H_INCLUDED

//  Socket queue bound for every zaf socket: past it a send reports
//  OVERLOADED instead of growing memory without limit
#define ZAF_HWM                 100000
//  Default heartbeat interval; a peer missing ZAF_HEARTBEAT_MISSES is lost
#define ZAF_HEARTBEAT_MS        1000
#define ZAF_HEARTBEAT_MISSES    3
//  Backoff between dials
#define ZAF_LINK_RETRY_MIN_MS   100
#define ZAF_LINK_RETRY_MAX_MS   2000

typedef enum {
    ZAF_LINK_DOWN,
    ZAF_LINK_HELLO,
    ZAF_LINK_UP
} zaf_link_state_t;

typedef struct _zaf_link_t zaf_link_t;

//  A link to the broker at endpoint, saying HELLO as role ("driver",
//  "cli", "node"). It starts DOWN and due. watch: also read the socket's
//  disconnect events, so that a dropped connection is noticed at once
//  rather than after missed heartbeats.
zaf_link_t *
    zaf_link_new (const char *endpoint, const char *role, bool watch);

//  Destroy the link, closing its socket without a word to the broker.
void
    zaf_link_destroy (zaf_link_t **self_p);

//  Use this heartbeat interval until a WELCOME names the broker's.
void
    zaf_link_set_heartbeat (zaf_link_t *self, int heartbeat_ms);

//  Open the DEALER and say HELLO with `hello` (borrowed; the link adds
//  host, pid, version and, after a first WELCOME, the session it had).
//  Returns 0 in state HELLO, or -1 with err filled, DOWN and backing off.
int
    zaf_link_dial (zaf_link_t *self, cJSON *hello, zaf_error_t *err);

//  Feed a message that came while in state HELLO. Returns 1 if it was the
//  WELCOME (now UP), -1 if the broker refused us (ERROR; err says why; now
//  DOWN and backing off), 0 for anything else (from an earlier session:
//  drop it).
int
    zaf_link_accept (zaf_link_t *self, zaf_proto_t *msg, zaf_error_t *err);

//  Dial and wait up to timeout_ms for the WELCOME, using msg to receive.
//  Returns 0 when UP, or -1 with err filled (BROKER_LOST, INTERRUPTED, or
//  the broker's refusal), DOWN and backing off.
int
    zaf_link_connect (zaf_link_t *self, cJSON *hello, int timeout_ms, zaf_proto_t *msg,
                      zaf_error_t *err);

//  Close the socket; DOWN, and the next dial may come at once.
void
    zaf_link_close (zaf_link_t *self);

//  Close the socket; DOWN, and the next dial waits out the backoff.
void
    zaf_link_down (zaf_link_t *self);

//  Say BYE with a reason (if UP), giving it up to 500 ms to leave, then
//  close.
void
    zaf_link_bye (zaf_link_t *self, const char *reason);

//  Send a message to the broker. Returns 0, or -1 with errno (EAGAIN: the
//  queue is full; ENOTCONN: no socket).
int
    zaf_link_send (zaf_link_t *self, zaf_proto_t *msg);

//  Receive a message if one waits. Same returns as zaf_proto_recv_nowait;
//  -1 with errno ENOTCONN when there is no socket.
int
    zaf_link_recv (zaf_link_t *self, zaf_proto_t *msg);

//  Housekeeping, at least once per heartbeat interval: say HEARTBEAT if
//  nothing went out for an interval. Returns NULL while the link is fine,
//  or why it must be taken down ("no WELCOME", "missed heartbeats"); the
//  owner then calls zaf_link_down or _close.
const char *
    zaf_link_tick (zaf_link_t *self, int64_t now);

//  With watch: read the disconnect events; true if the connection dropped
//  (the owner takes the link down). Costs a system call: call it when the
//  monitor socket polls readable, or now and then.
bool
    zaf_link_dropped (zaf_link_t *self);

//  With CURVE: why the last handshake failed (naming the cause: our key
//  refused, or the broker's key wrong), or NULL. Reads the monitor.
const char *
    zaf_link_failure (zaf_link_t *self);

//  True if the link is DOWN and the backoff has passed.
bool
    zaf_link_due (zaf_link_t *self, int64_t now);

//  When the link next needs a tick or a dial (monotonic ms).
int64_t
    zaf_link_wakeup (zaf_link_t *self);

//  True if the last WELCOME came from the session the link had before: the
//  same broker, which declared us lost in between.
bool
    zaf_link_session_kept (zaf_link_t *self);

//  The last WELCOME's body (borrowed until the next one), or NULL.
const cJSON *
    zaf_link_welcome (zaf_link_t *self);

//  Accessors.
zaf_link_state_t
    zaf_link_state (zaf_link_t *self);
zsock_t *
    zaf_link_socket (zaf_link_t *self);     //  NULL while DOWN
zsock_t *
    zaf_link_monitor (zaf_link_t *self);    //  Disconnect events, or NULL
const char *
    zaf_link_endpoint (zaf_link_t *self);
const char *
    zaf_link_session (zaf_link_t *self);    //  "" before the first WELCOME
int
    zaf_link_heartbeat_ms (zaf_link_t *self);

#endif
