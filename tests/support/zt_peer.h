/*  =========================================================================
    zt_peer - a raw-frame ZAF1 peer for the wire tests

    The wire suites (tests/integration/test_wire_*.c) speak docs/PROTOCOL.md
    to a real broker with nothing but libzmq: DEALER sockets in a context of
    their own, frames built and read one by one as the spec lays them out,
    never the codec or the client library. zt_peer_start runs the other
    side in this process: a broker and a node (serving the test actors) as
    czmq actors on tcp://127.0.0.1, an ephemeral port.

    Everything opened here (sockets, received messages, parsed bodies) is
    tracked and freed by zt_peer_teardown, the suites' .fini, even when an
    assertion ends a test early. Helpers assert with Criterion, so they are
    for use inside a test. Waits are polls with deadlines.
    =========================================================================
*/

#ifndef ZT_PEER_H_INCLUDED
#define ZT_PEER_H_INCLUDED

#include "testutil.h"

#define ZT_PEER_MAX_FRAMES  16          //  Frames kept of a received message
#define ZT_PEER_WAIT_MS     15000       //  Longest wait for one message

//  One frame to send: bytes and their size (not owned)
typedef struct {
    const void *data;
    size_t size;
} zt_frame_t;

//  Frames from a string, from bytes, from a correlation id
#define FS(text)        ((zt_frame_t) { (text), strlen (text) })
#define FB(data, size)  ((zt_frame_t) { (data), (size) })
#define FC(corr)        ((zt_frame_t) { (corr).data, sizeof ((corr).data) })

//  Send the frames given as one message: SEND (socket, FS ("ZAF1"), ...)
#define SEND(socket, ...) \
    zt_peer_send ((socket), (zt_frame_t []) { __VA_ARGS__ }, \
                  sizeof ((zt_frame_t []) { __VA_ARGS__ }) / sizeof (zt_frame_t))

//  A received message: NUL-terminated copies of its frames
typedef struct {
    int count;                          //  Frames received
    char *data [ZT_PEER_MAX_FRAMES];
    size_t size [ZT_PEER_MAX_FRAMES];
} zt_msg_t;

//  Correlation ids: 8 bytes, big-endian
typedef struct {
    byte data [8];
} zt_corr_t;

//  How the broker under test is set up (NULL fields: its defaults)
typedef struct {
    const char *max_message;            //  Broker MAX-MESSAGE, or NULL
    const char *heartbeat;              //  Broker HEARTBEAT, or NULL
    const char *max_pending;            //  Broker MAX-PENDING, or NULL
    const char *id_secret;              //  Broker ID-SECRET (64 hex digits), or NULL
} zt_peer_config_t;

//  --------------------------------------------------------------------------
//  The cluster under test

//  Start a broker (config may be NULL) and a node named "wire-node"
//  serving the test actors, and wait until the node is connected.
void
    zt_peer_start (const zt_peer_config_t *config);

//  Stop the node and the broker (teardown does it too).
void
    zt_peer_stop_cluster (void);

//  Free every message, body and socket still open, end our context and
//  stop the cluster: the suites' .fini.
void
    zt_peer_teardown (void);

//  The broker's endpoint (borrowed; valid until teardown).
const char *
    zt_peer_endpoint (void);

//  Our own libzmq context (for sockets of other types; track them).
void *
    zt_peer_context (void);

//  --------------------------------------------------------------------------
//  Raw sockets and messages

//  Remember a socket so that teardown closes it.
void
    zt_peer_track (void *socket);

//  Open a DEALER to the broker (routing_id NULL: libzmq picks one).
void *
    zt_peer_socket_with_id (const char *routing_id);

//  Open a DEALER to the broker with a routing id from libzmq.
void *
    zt_peer_socket (void);

//  Close a socket now (it is forgotten by teardown) and null the pointer.
void
    zt_peer_close (void **socket_p);

//  Send count frames as one message; asserts that each was queued.
void
    zt_peer_send (void *socket, const zt_frame_t *frames, size_t count);

//  Receive one whole message within timeout_ms, or NULL. Teardown frees
//  it unless zt_peer_msg_destroy does first.
zt_msg_t *
    zt_peer_recv (void *socket, int timeout_ms);

//  Free a received message and null the pointer.
void
    zt_peer_msg_destroy (zt_msg_t **msg_p);

//  True if the message is [ZAF1][command]...
bool
    zt_peer_is (const zt_msg_t *msg, const char *command);

//  True if frame index holds exactly these bytes.
bool
    zt_peer_frame_eq (const zt_msg_t *msg, int index, const void *data, size_t size);

//  A short description for assertion messages (static buffer).
const char *
    zt_peer_describe (const zt_msg_t *msg);

//  Next message that is not a HEARTBEAT, within timeout_ms, or NULL.
//  Fake nodes kept alive go on heartbeating meanwhile.
zt_msg_t *
    zt_peer_expect_within (void *socket, int timeout_ms);

//  Next message that is not a HEARTBEAT; fails the test if none comes
//  within ZT_PEER_WAIT_MS.
zt_msg_t *
    zt_peer_expect (void *socket);

//  Assert that nothing but HEARTBEATs arrives within timeout_ms.
void
    zt_peer_expect_nothing (void *socket, int timeout_ms);

//  --------------------------------------------------------------------------
//  JSON in frames

//  Typed getters with defaults (borrowed strings).
const char *
    zt_peer_jstr (const cJSON *object, const char *key, const char *def);
double
    zt_peer_jnum (const cJSON *object, const char *key, double def);
bool
    zt_peer_jbool (const cJSON *object, const char *key, bool def);

//  Frame index parsed as JSON, or NULL; free with zt_peer_json_free
//  (teardown frees it otherwise).
cJSON *
    zt_peer_json (const zt_msg_t *msg, int index);

//  Free a tree from zt_peer_json or a helper that returns one.
void
    zt_peer_json_free (cJSON *json);

//  Body of an ERROR / BYE / answer (the last frame) as JSON.
cJSON *
    zt_peer_body (const zt_msg_t *msg);

//  Assert the body is an error object {"code", "message"} with this code.
void
    zt_peer_assert_error_object (const zt_msg_t *msg, const char *code);

//  Assert msg is ERROR with this code.
void
    zt_peer_assert_error (const zt_msg_t *msg, const char *code);

//  Assert msg is BYE with a reason.
void
    zt_peer_assert_bye (const zt_msg_t *msg);

//  Expect the next message to be ERROR with this code.
void
    zt_peer_expect_error (void *socket, const char *code);

//  --------------------------------------------------------------------------
//  Answers: REPLY [caller][corr][status][body],
//  SPAWNED [caller][corr][actor][status][body]

//  A correlation id for value, and the next one of a sequence.
zt_corr_t
    zt_peer_corr (uint64_t value);
zt_corr_t
    zt_peer_next_corr (void);

//  Wait for the answer (REPLY or SPAWNED, as command says) to corr;
//  anything else fails the test.
zt_msg_t *
    zt_peer_answer (void *socket, const char *command, zt_corr_t corr);

//  True if the answer's status is ok, false if error (else fails).
bool
    zt_peer_answer_ok (const zt_msg_t *msg);

//  Assert an error answer with this code.
void
    zt_peer_assert_answer_error (const zt_msg_t *msg, const char *code);

//  Assert an ok answer and return its body as JSON (free it).
cJSON *
    zt_peer_answer_result (const zt_msg_t *msg);

//  --------------------------------------------------------------------------
//  Sessions and requests

//  Say HELLO and return the WELCOME body (free it).
cJSON *
    zt_peer_hello (void *socket, const char *role, const char *body);

//  A new socket that said HELLO with this role and was welcomed.
void *
    zt_peer_client (const char *role);

//  A fake node serving the classes given as a JSON array; with keepalive
//  it heartbeats while the test waits on other sockets.
void *
    zt_peer_fake_node (const char *name, const char *classes, bool keepalive);

//  Keep a socket that said HELLO as a node heartbeating while the test
//  waits on other sockets (as zt_peer_fake_node with keepalive).
void
    zt_peer_keepalive (void *socket);

//  Decode the hex routing id of WELCOME's "peer" into bytes; returns size.
size_t
    zt_peer_unhex (const char *hex, byte *bytes);

//  Spawn; returns the SPAWNED message.
zt_msg_t *
    zt_peer_spawn (void *socket, const char *cls, const char *options, const char *args);

//  Spawn and assert success; copies the actor id into actor (65 bytes).
void
    zt_peer_spawn_ok (void *socket, const char *cls, const char *options, const char *args,
                      char *actor);

//  Call; returns the REPLY.
zt_msg_t *
    zt_peer_call (void *socket, const char *actor, const char *method, const char *args);

//  Call a method that must answer a number, and return it.
double
    zt_peer_call_number (void *socket, const char *actor, const char *method, const char *args);

//  Call and assert an error answer with this code.
void
    zt_peer_call_fails (void *socket, const char *actor, const char *method, const char *args,
                        const char *code);

//  Send a TELL (nothing comes back).
void
    zt_peer_tell (void *socket, const char *actor, const char *method, const char *args);

//  Kill with a corr; returns the REPLY.
zt_msg_t *
    zt_peer_kill (void *socket, const char *actor);

//  Kill and assert the REPLY ok null.
void
    zt_peer_kill_ok (void *socket, const char *actor);

//  Look a name up; returns the REPLY.
zt_msg_t *
    zt_peer_lookup (void *socket, const char *name);

//  STATUS with a request body; returns the snapshot (free it).
cJSON *
    zt_peer_status (void *socket, const char *request);

//  A counter of a STATUS snapshot (fails if missing).
double
    zt_peer_counter (const cJSON *status, const char *name);

//  The size of an array of a STATUS snapshot (fails if missing).
int
    zt_peer_array_size (const cJSON *status, const char *name);

//  True if a JSON array holds this string.
bool
    zt_peer_string_in (const cJSON *array, const char *value);

//  Assert that a new, well-behaved client is served in full: spawn, 20
//  calls, a task, a kill, BYE. Every hostile test ends with it.
void
    zt_peer_good_client_works (void);

#endif
