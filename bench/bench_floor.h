/*  =========================================================================
    bench_floor - the raw libzmq floor: a relay, a server and a client

    The floor is what the same topology costs with no framework: the same
    processes (or threads, for embedded mode), the same sockets (client
    DEALER -> broker ROUTER <- server DEALER) and the same bytes (ZAF1
    frames, docs/PROTOCOL.md sections 2-4), and the least work the job
    needs: the relay routes on the actor frame and the caller frame only;
    the server parses the JSON arguments, applies them to its state and
    prints the answer `null` (blob: it sums a binary frame of doubles);
    the client prints its arguments and parses each answer. Printing and
    parsing use zaf's own JSON codec (zaf_json_print, zaf_json_parse), so
    that the floor does the same application work as zaf per call.

    Broker: binds one ROUTER. A server says HELLO with the actor ids it
    hosts; the broker then forwards CALL, TELL and KILL to the server of
    the actor frame, SUBMIT and SPAWN round-robin, writing the sender's
    routing id into the caller frame (and, for SPAWN, a new actor id into
    the actor frame). REPLY and SPAWNED go back on their caller frame.

    Server: one DEALER to the broker, one thread. CALL update_params and
    SUBMIT parse and apply the body; blob sums it as raw doubles; SPAWN
    starts a thread (256 KB stack) with its own DEALER to the server's
    inproc ROUTER that reports READY as a message, the shape of a zaf
    actor, and only then is SPAWNED sent; KILL tells that thread to end,
    and its last message, EXIT, has the server join it.

    Both loops read their sockets until EAGAIN before polling again, and
    end when their context is shut down (ETERM) or on SIGINT/SIGTERM
    (zsys_interrupted). Each object is used by one thread at a time.
    =========================================================================
*/

#ifndef BENCH_FLOOR_H_INCLUDED
#define BENCH_FLOOR_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_SIGNATURE     "ZAF1"      //  First frame of every message
#define BENCH_FLOOR_HWM     100000      //  As zaf's sockets (ZAF_HWM)
#define BENCH_ACTOR_ID_MAX  64

typedef struct _bench_floor_broker_t bench_floor_broker_t;
typedef struct _bench_floor_server_t bench_floor_server_t;
typedef struct _bench_floor_client_t bench_floor_client_t;

//  An answer as the client sees it
typedef struct {
    uint64_t corr;                          //  Correlation id
    bool ok;                                //  Status was "ok"
    bool spawned;                           //  SPAWNED (else REPLY)
    char actor [BENCH_ACTOR_ID_MAX + 1];    //  SPAWNED: the new actor id
} bench_floor_answer_t;

//  Create a relay with a ROUTER bound to endpoint in the libzmq context
//  ctx. Returns NULL (after logging) if it cannot bind.
bench_floor_broker_t *
    bench_floor_broker_new (void *ctx, const char *endpoint);

//  Destroy the relay; nulls the pointer.
void
    bench_floor_broker_destroy (bench_floor_broker_t **self_p);

//  Return the endpoint it is bound to (with the port it got).
const char *
    bench_floor_broker_endpoint (bench_floor_broker_t *self);

//  Relay until the context is shut down or the process is interrupted.
void
    bench_floor_broker_run (bench_floor_broker_t *self);

//  Create a server that connects to broker and hosts the actors named in
//  actors (comma-separated ids; may be empty). Returns NULL on failure.
bench_floor_server_t *
    bench_floor_server_new (void *ctx, const char *broker, const char *actors);

//  Destroy the server: ends and joins the threads it spawned; nulls the
//  pointer. Shut the context down first (zmq_ctx_shutdown), so that every
//  thread ends even if it never reported READY.
void
    bench_floor_server_destroy (bench_floor_server_t **self_p);

//  Serve until the context is shut down or the process is interrupted.
void
    bench_floor_server_run (bench_floor_server_t *self);

//  Create a client DEALER connected to broker. Returns NULL on failure.
bench_floor_client_t *
    bench_floor_client_new (void *ctx, const char *broker);

//  Destroy the client; nulls the pointer.
void
    bench_floor_client_destroy (bench_floor_client_t **self_p);

//  Send a request with the frames zaf's client sends: command is CALL,
//  TELL, SUBMIT, SPAWN or KILL; actor and name are used where the command
//  has them; corr is encoded as 8 bytes big-endian, and 0 sends an empty
//  corr frame (TELL, and a KILL that wants no answer).
//  Blocks while the socket's queue is full. Returns 0, or -1 if the send
//  failed (interrupted, context terminated).
int
    bench_floor_client_send (bench_floor_client_t *self, const char *command,
                             uint64_t corr, const char *actor, const char *name,
                             const void *body, size_t size);

//  Receive one answer, waiting up to timeout_ms (0: only what has already
//  arrived). Parses the body as JSON, as a zaf future would. Returns 0 with
//  answer filled, or -1 if nothing came, or on interruption.
int
    bench_floor_client_recv (bench_floor_client_t *self, int timeout_ms,
                             bench_floor_answer_t *answer);

#endif
