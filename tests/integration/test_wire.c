/*  =========================================================================
    test_wire - the ZAF1 wire protocol, from docs/PROTOCOL.md alone

    The client side of every test is raw libzmq: DEALER sockets in a
    context of our own, frames built and read one by one as the spec lays
    them out. Nothing here uses the codec or the client library. The other
    side is real: a broker and a node started in this process as czmq
    actors, the node serving the test actors (Counter, Refuser, add, fail).
    Some tests also play a node themselves ("fake nodes") to drive the
    node side of the protocol.

    Every hostile test ends by checking that a second, well-behaved client
    is still served in full. Waits are polls with timeouts; no sleeps.
    =========================================================================
*/

#include "testutil.h"
#include <criterion/criterion.h>
#include <ctype.h>

//  --------------------------------------------------------------------------
//  Frames and messages

#define MAX_FRAMES      16
#define WAIT_MS         15000           //  Longest wait for one message

typedef struct {
    const void *data;
    size_t size;
} frame_t;

#define FS(text)        ((frame_t) { (text), strlen (text) })
#define FB(data, size)  ((frame_t) { (data), (size) })
#define FC(corr)        ((frame_t) { (corr).data, sizeof ((corr).data) })
#define SEND(socket, ...) \
    s_send ((socket), (frame_t []) { __VA_ARGS__ }, \
            sizeof ((frame_t []) { __VA_ARGS__ }) / sizeof (frame_t))

//  A received message: NUL-terminated copies of its frames
typedef struct {
    int count;                          //  Frames received
    char *data [MAX_FRAMES];
    size_t size [MAX_FRAMES];
} wmsg_t;

//  Correlation ids: 8 bytes, big-endian
typedef struct {
    byte data [8];
} corr_t;

//  --------------------------------------------------------------------------
//  The cluster under test and what we opened against it

typedef struct {
    const char *max_message;            //  Broker MAX-MESSAGE, or NULL
    const char *heartbeat;              //  Broker HEARTBEAT, or NULL
    const char *max_pending;            //  Broker MAX-PENDING, or NULL
} config_t;

#define MAX_SOCKETS 32

static void *s_ctx = NULL;              //  Our own libzmq context
static zactor_t *s_broker = NULL;
static zactor_t *s_node = NULL;
static char *s_endpoint = NULL;
static void *s_sockets [MAX_SOCKETS];   //  Every raw socket we opened
static void *s_keepalive [4];           //  Fake nodes we heartbeat for
#define MAX_LIVE 64
static void *s_live [MAX_LIVE];         //  Messages and JSON trees not yet
static bool s_live_json [MAX_LIVE];     //  freed (a failed assertion may
                                        //  leave some: teardown frees them)
static uint64_t s_corr_seq = 0;

static corr_t
s_corr (uint64_t value)
{
    corr_t corr;
    for (int index = 7; index >= 0; index--) {
        corr.data [index] = (byte) (value & 0xff);
        value >>= 8;
    }
    return corr;
}

static corr_t
s_next_corr (void)
{
    return s_corr (++s_corr_seq);
}

static void
s_start (const config_t *config)
{
    zsys_set_logstream (stderr);
    cr_assert_eq (test_actors_register (), 0);
    s_ctx = zmq_ctx_new ();
    cr_assert_not_null (s_ctx);

    s_broker = zactor_new (zaf_broker, NULL);
    cr_assert_not_null (s_broker);
    zsock_set_rcvtimeo (zactor_sock (s_broker), WAIT_MS);
    zstr_send (s_broker, "QUIET");
    if (config && config->max_message)
        zstr_sendx (s_broker, "MAX-MESSAGE", config->max_message, NULL);
    if (config && config->heartbeat)
        zstr_sendx (s_broker, "HEARTBEAT", config->heartbeat, NULL);
    if (config && config->max_pending)
        zstr_sendx (s_broker, "MAX-PENDING", config->max_pending, NULL);
    zstr_sendx (s_broker, "BIND", "tcp://127.0.0.1:0", NULL);
    char *ok = NULL;
    cr_assert_eq (zstr_recvx (s_broker, &ok, &s_endpoint, NULL), 2);
    cr_assert_str_eq (ok, "OK", "BIND answered %s", ok);
    zstr_free (&ok);

    s_node = zactor_new (zaf_node, NULL);
    cr_assert_not_null (s_node);
    zsock_set_rcvtimeo (zactor_sock (s_node), WAIT_MS);
    zstr_send (s_node, "QUIET");
    zstr_sendx (s_node, "BROKER", s_endpoint, NULL);
    zstr_sendx (s_node, "NAME", "wire-node", NULL);
    zstr_sendx (s_node, "CPUS", "2", NULL);
    zstr_send (s_node, "START");
    char *inner = NULL;
    cr_assert_eq (zstr_recvx (s_node, &ok, &inner, NULL), 2);
    cr_assert_str_eq (ok, "OK");
    zstr_free (&ok);
    zstr_free (&inner);

    int64_t deadline = zclock_mono () + WAIT_MS;
    bool connected = false;
    while (!connected && zclock_mono () < deadline) {
        zstr_send (s_node, "STATE");
        char *state = zstr_recv (s_node);
        cr_assert_not_null (state);
        connected = streq (state, "connected");
        zstr_free (&state);
        if (!connected) {
            //  Nothing else arrives on the pipe: this is a bounded wait
            zmq_pollitem_t item = { zsock_resolve (s_node), 0, ZMQ_POLLIN, 0 };
            zmq_poll (&item, 1, 20);
        }
    }
    cr_assert (connected, "node did not connect to the broker");
}

static void
s_close (void **socket_p)
{
    void *socket = *socket_p;
    if (!socket)
        return;
    *socket_p = NULL;
    for (int index = 0; index < MAX_SOCKETS; index++)
        if (s_sockets [index] == socket)
            s_sockets [index] = NULL;
    for (int index = 0; index < 4; index++)
        if (s_keepalive [index] == socket)
            s_keepalive [index] = NULL;
    zmq_close (socket);
}

static void
s_stop_cluster (void)
{
    zactor_destroy (&s_node);
    zactor_destroy (&s_broker);
}

static void
s_live_add (void *item, bool json)
{
    for (int index = 0; index < MAX_LIVE; index++)
        if (!s_live [index]) {
            s_live [index] = item;
            s_live_json [index] = json;
            return;
        }
}

static void
s_live_remove (void *item)
{
    for (int index = 0; index < MAX_LIVE; index++)
        if (s_live [index] == item)
            s_live [index] = NULL;
}

static void s_msg_free (void *msg);

static void
s_teardown (void)
{
    for (int index = 0; index < MAX_LIVE; index++)
        if (s_live [index]) {
            if (s_live_json [index])
                cJSON_Delete ((cJSON *) s_live [index]);
            else
                s_msg_free (s_live [index]);
            s_live [index] = NULL;
        }
    for (int index = 0; index < MAX_SOCKETS; index++)
        if (s_sockets [index])
            s_close (&s_sockets [index]);
    if (s_ctx) {
        zmq_ctx_term (s_ctx);
        s_ctx = NULL;
    }
    s_stop_cluster ();
    zstr_free (&s_endpoint);
}

TestSuite (wire, .fini = s_teardown, .timeout = 60);

//  --------------------------------------------------------------------------
//  Raw sockets

//  Remember a socket so that teardown closes it
static void
s_track (void *socket)
{
    int index;
    for (index = 0; index < MAX_SOCKETS; index++)
        if (!s_sockets [index]) {
            s_sockets [index] = socket;
            break;
        }
    cr_assert_lt (index, MAX_SOCKETS);
}

//  Open a DEALER to the broker (routing_id NULL: libzmq picks one)
static void *
s_socket_with_id (const char *routing_id)
{
    void *socket = zmq_socket (s_ctx, ZMQ_DEALER);
    cr_assert_not_null (socket);
    int linger = 0;
    zmq_setsockopt (socket, ZMQ_LINGER, &linger, sizeof (linger));
    if (routing_id)
        zmq_setsockopt (socket, ZMQ_ROUTING_ID, routing_id, strlen (routing_id));
    cr_assert_eq (zmq_connect (socket, s_endpoint), 0);
    s_track (socket);
    return socket;
}

static void *
s_socket (void)
{
    return s_socket_with_id (NULL);
}

static void
s_send (void *socket, const frame_t *frames, size_t count)
{
    for (size_t index = 0; index < count; index++) {
        int rc = zmq_send (socket, frames [index].data, frames [index].size,
                           index + 1 < count ? ZMQ_SNDMORE : 0);
        cr_assert_eq (rc, (int) frames [index].size, "send failed: %s", zmq_strerror (errno));
    }
}

static void
s_msg_free (void *item)
{
    wmsg_t *msg = (wmsg_t *) item;
    for (int index = 0; index < msg->count && index < MAX_FRAMES; index++)
        free (msg->data [index]);
    free (msg);
}

static void
s_msg_destroy (wmsg_t **msg_p)
{
    if (!*msg_p)
        return;
    s_live_remove (*msg_p);
    s_msg_free (*msg_p);
    *msg_p = NULL;
}

//  Receive one whole message within timeout_ms, or NULL
static wmsg_t *
s_recv (void *socket, int timeout_ms)
{
    zmq_pollitem_t item = { socket, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (&item, 1, timeout_ms) <= 0)
        return NULL;
    wmsg_t *msg = (wmsg_t *) calloc (1, sizeof (wmsg_t));
    s_live_add (msg, false);
    int more = 1;
    while (more) {
        zmq_msg_t frame;
        zmq_msg_init (&frame);
        cr_assert_neq (zmq_msg_recv (&frame, socket, 0), -1);
        if (msg->count < MAX_FRAMES) {
            size_t size = zmq_msg_size (&frame);
            msg->data [msg->count] = (char *) malloc (size + 1);
            memcpy (msg->data [msg->count], zmq_msg_data (&frame), size);
            msg->data [msg->count] [size] = 0;
            msg->size [msg->count] = size;
        }
        msg->count++;
        more = zmq_msg_more (&frame);
        zmq_msg_close (&frame);
    }
    return msg;
}

//  True if the message is [ZAF1][command]...
static bool
s_is (const wmsg_t *msg, const char *command)
{
    return msg && msg->count >= 2
        && msg->size [0] == 4 && memcmp (msg->data [0], "ZAF1", 4) == 0
        && streq (msg->data [1], command) && msg->size [1] == strlen (command);
}

static bool
s_frame_eq (const wmsg_t *msg, int index, const void *data, size_t size)
{
    return index < msg->count && msg->size [index] == size
        && (size == 0 || memcmp (msg->data [index], data, size) == 0);
}

//  A short description for assertion messages (static buffer)
static const char *
s_describe (const wmsg_t *msg)
{
    static char text [600];
    if (!msg)
        return "nothing";
    size_t used = 0;
    for (int index = 0; index < msg->count && index < MAX_FRAMES && used < 500; index++) {
        bool printable = true;
        for (size_t c = 0; c < msg->size [index]; c++)
            if (msg->data [index] [c] < 0x20 || msg->data [index] [c] > 0x7e)
                printable = false;
        if (printable)
            used += snprintf (text + used, sizeof (text) - used, "[%.120s]", msg->data [index]);
        else
            used += snprintf (text + used, sizeof (text) - used, "[%zu bytes]", msg->size [index]);
    }
    return text;
}

//  Send a HEARTBEAT for every fake node we keep alive
static void
s_keep_fakes_alive (void)
{
    for (int index = 0; index < 4; index++)
        if (s_keepalive [index]
        &&  zmq_send (s_keepalive [index], "ZAF1", 4, ZMQ_SNDMORE | ZMQ_DONTWAIT) == 4)
            zmq_send (s_keepalive [index], "HEARTBEAT", 9, ZMQ_DONTWAIT);
}

//  Next message that is not a HEARTBEAT, within timeout_ms, or NULL.
//  Fake nodes keep heartbeating meanwhile.
static wmsg_t *
s_expect_within (void *socket, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (true) {
        int64_t remaining = deadline - zclock_mono ();
        if (remaining <= 0)
            return NULL;
        s_keep_fakes_alive ();
        wmsg_t *msg = s_recv (socket, remaining < 250 ? (int) remaining : 250);
        if (!msg)
            continue;
        if (s_is (msg, "HEARTBEAT")) {
            cr_assert_eq (msg->count, 2, "HEARTBEAT has extra frames");
            s_msg_destroy (&msg);
            continue;
        }
        return msg;
    }
}

static wmsg_t *
s_expect (void *socket)
{
    wmsg_t *msg = s_expect_within (socket, WAIT_MS);
    cr_assert_not_null (msg, "no message within %d ms", WAIT_MS);
    return msg;
}

//  Assert that nothing but HEARTBEATs arrives within timeout_ms
static void
s_expect_nothing (void *socket, int timeout_ms)
{
    wmsg_t *msg = s_expect_within (socket, timeout_ms);
    cr_assert_null (msg, "expected nothing, got %s", s_describe (msg));
}

//  --------------------------------------------------------------------------
//  JSON in frames, and typed getters with defaults

static const char *
s_jstr (const cJSON *object, const char *key, const char *def)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive (object, key);
    return cJSON_IsString (item) ? item->valuestring : def;
}

static double
s_jnum (const cJSON *object, const char *key, double def)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive (object, key);
    return cJSON_IsNumber (item) ? item->valuedouble : def;
}

static bool
s_jbool (const cJSON *object, const char *key, bool def)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive (object, key);
    return cJSON_IsBool (item) ? cJSON_IsTrue (item) : def;
}

static cJSON *
s_json (const wmsg_t *msg, int index)
{
    cr_assert_lt (index, msg->count);
    cJSON *json = cJSON_ParseWithLength (msg->data [index], msg->size [index]);
    if (json)
        s_live_add (json, true);
    return json;
}

static void
s_json_free (cJSON *json)
{
    if (json) {
        s_live_remove (json);
        cJSON_Delete (json);
    }
}

//  Body of an ERROR / BYE / answer: the last frame
static cJSON *
s_body (const wmsg_t *msg)
{
    return s_json (msg, msg->count - 1);
}

//  Assert the body is an error object with this code
static void
s_assert_error_object (const wmsg_t *msg, const char *code)
{
    cJSON *body = s_body (msg);
    cr_assert (cJSON_IsObject (body), "error body is not an object: %s", s_describe (msg));
    const cJSON *item = cJSON_GetObjectItemCaseSensitive (body, "code");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive (body, "message");
    cr_assert (cJSON_IsString (item), "error object without code: %s", s_describe (msg));
    cr_assert (cJSON_IsString (text), "error object without message: %s", s_describe (msg));
    cr_assert_str_eq (item->valuestring, code, "expected %s: %s", code, s_describe (msg));
    s_json_free (body);
}

//  Assert msg is ERROR with this code
static void
s_assert_error (const wmsg_t *msg, const char *code)
{
    cr_assert (s_is (msg, "ERROR"), "expected ERROR %s, got %s", code, s_describe (msg));
    cr_assert_eq (msg->count, 3, "ERROR carries one body frame: %s", s_describe (msg));
    s_assert_error_object (msg, code);
}

//  Assert msg is BYE with a reason
static void
s_assert_bye (const wmsg_t *msg)
{
    cr_assert (s_is (msg, "BYE"), "expected BYE, got %s", s_describe (msg));
    cr_assert_eq (msg->count, 3);
    cJSON *body = s_body (msg);
    cr_assert (cJSON_IsString (cJSON_GetObjectItemCaseSensitive (body, "reason")));
    s_json_free (body);
}

//  Expect the next message to be ERROR with this code
static void
s_expect_error (void *socket, const char *code)
{
    wmsg_t *msg = s_expect (socket);
    s_assert_error (msg, code);
    s_msg_destroy (&msg);
}

//  --------------------------------------------------------------------------
//  Answers: REPLY [caller][corr][status][body], SPAWNED [caller][corr][actor][status][body]

static int
s_status_index (const wmsg_t *msg)
{
    return s_is (msg, "SPAWNED") ? 5 : 4;
}

//  Wait for the answer (REPLY or SPAWNED) to corr; anything else fails
static wmsg_t *
s_answer (void *socket, const char *command, corr_t corr)
{
    wmsg_t *msg = s_expect (socket);
    cr_assert (s_is (msg, command), "expected %s, got %s", command, s_describe (msg));
    cr_assert_eq (msg->count, streq (command, "SPAWNED") ? 7 : 6,
                  "%s frame count: %s", command, s_describe (msg));
    cr_assert (s_frame_eq (msg, 3, corr.data, 8), "corr not echoed: %s", s_describe (msg));
    return msg;
}

static bool
s_answer_ok (const wmsg_t *msg)
{
    int index = s_status_index (msg);
    cr_assert (s_frame_eq (msg, index, "ok", 2) || s_frame_eq (msg, index, "error", 5),
               "bad status frame: %s", s_describe (msg));
    return s_frame_eq (msg, index, "ok", 2);
}

static void
s_assert_answer_error (const wmsg_t *msg, const char *code)
{
    cr_assert (!s_answer_ok (msg), "expected error %s, got %s", code, s_describe (msg));
    s_assert_error_object (msg, code);
}

//  Assert an ok answer and return its body as JSON (caller deletes)
static cJSON *
s_answer_result (const wmsg_t *msg)
{
    cr_assert (s_answer_ok (msg), "expected ok, got %s", s_describe (msg));
    cJSON *result = s_body (msg);
    cr_assert_not_null (result, "answer body is not JSON: %s", s_describe (msg));
    return result;
}

//  --------------------------------------------------------------------------
//  Sessions and requests

//  Say HELLO and return the WELCOME body (caller deletes)
static cJSON *
s_hello (void *socket, const char *role, const char *body)
{
    SEND (socket, FS ("ZAF1"), FS ("HELLO"), FS (role), FS (body));
    wmsg_t *msg = s_expect (socket);
    cr_assert (s_is (msg, "WELCOME"), "HELLO %s answered %s", role, s_describe (msg));
    cr_assert_eq (msg->count, 3);
    cJSON *welcome = s_body (msg);
    cr_assert (cJSON_IsObject (welcome));
    s_msg_destroy (&msg);
    return welcome;
}

//  A connected client that said HELLO
static void *
s_client (const char *role)
{
    void *socket = s_socket ();
    cJSON *welcome = s_hello (socket, role, "{\"host\":\"wire\",\"pid\":1,\"version\":1}");
    s_json_free (welcome);
    return socket;
}

//  A fake node serving the classes given as a JSON array; kept alive with
//  heartbeats while we wait on other sockets if keepalive
static void *
s_fake_node (const char *name, const char *classes, bool keepalive)
{
    void *socket = s_socket ();
    char body [256];
    snprintf (body, sizeof (body),
              "{\"name\":\"%s\",\"host\":\"wire\",\"pid\":2,\"cpus\":1,"
              "\"classes\":%s,\"functions\":[]}", name, classes);
    cJSON *welcome = s_hello (socket, "node", body);
    s_json_free (welcome);
    if (keepalive)
        for (int index = 0; index < 4; index++)
            if (!s_keepalive [index]) {
                s_keepalive [index] = socket;
                break;
            }
    return socket;
}

//  Decode the hex routing id of WELCOME's "peer" into bytes; returns size
static size_t
s_unhex (const char *hex, byte *bytes)
{
    size_t size = strlen (hex) / 2;
    for (size_t index = 0; index < size; index++) {
        unsigned int value;
        sscanf (hex + 2 * index, "%2x", &value);
        bytes [index] = (byte) value;
    }
    return size;
}

//  Spawn; returns the SPAWNED message
static wmsg_t *
s_spawn (void *socket, const char *cls, const char *options, const char *args)
{
    corr_t corr = s_next_corr ();
    SEND (socket, FS ("ZAF1"), FS ("SPAWN"), FS (""), FC (corr), FS (""), FS (cls),
          FS (options), FS (args));
    return s_answer (socket, "SPAWNED", corr);
}

//  Spawn and assert success; copies the actor id into actor (65 bytes)
static void
s_spawn_ok (void *socket, const char *cls, const char *options, const char *args, char *actor)
{
    wmsg_t *msg = s_spawn (socket, cls, options, args);
    cr_assert (s_answer_ok (msg), "spawn %s failed: %s", cls, s_describe (msg));
    cr_assert (msg->size [4] >= 1 && msg->size [4] <= 64, "bad actor id: %s", s_describe (msg));
    for (size_t c = 0; c < msg->size [4]; c++)
        cr_assert (msg->data [4] [c] >= 0x21 && msg->data [4] [c] <= 0x7e);
    cJSON *body = s_body (msg);
    cr_assert (cJSON_IsObject (body), "SPAWNED ok body is {}: %s", s_describe (msg));
    s_json_free (body);
    strcpy (actor, msg->data [4]);
    s_msg_destroy (&msg);
}

//  Call; returns the REPLY
static wmsg_t *
s_call (void *socket, const char *actor, const char *method, const char *args)
{
    corr_t corr = s_next_corr ();
    SEND (socket, FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS (actor), FS (method), FS (args));
    return s_answer (socket, "REPLY", corr);
}

static double
s_call_number (void *socket, const char *actor, const char *method, const char *args)
{
    wmsg_t *msg = s_call (socket, actor, method, args);
    cJSON *result = s_answer_result (msg);
    cr_assert (cJSON_IsNumber (result), "%s did not return a number: %s", method, s_describe (msg));
    double value = result->valuedouble;
    s_json_free (result);
    s_msg_destroy (&msg);
    return value;
}

//  Call and assert an error answer with this code
static void
s_call_fails (void *socket, const char *actor, const char *method, const char *args,
              const char *code)
{
    wmsg_t *msg = s_call (socket, actor, method, args);
    s_assert_answer_error (msg, code);
    s_msg_destroy (&msg);
}

static void
s_tell (void *socket, const char *actor, const char *method, const char *args)
{
    SEND (socket, FS ("ZAF1"), FS ("TELL"), FS (""), FS (""), FS (actor), FS (method), FS (args));
}

//  Kill with a corr; returns the REPLY
static wmsg_t *
s_kill (void *socket, const char *actor)
{
    corr_t corr = s_next_corr ();
    SEND (socket, FS ("ZAF1"), FS ("KILL"), FS (""), FC (corr), FS (actor),
          FS ("{\"reason\":\"killed\"}"));
    return s_answer (socket, "REPLY", corr);
}

static void
s_kill_ok (void *socket, const char *actor)
{
    wmsg_t *msg = s_kill (socket, actor);
    cJSON *result = s_answer_result (msg);
    cr_assert (cJSON_IsNull (result), "KILL answers null: %s", s_describe (msg));
    s_json_free (result);
    s_msg_destroy (&msg);
}

static wmsg_t *
s_lookup (void *socket, const char *name)
{
    corr_t corr = s_next_corr ();
    SEND (socket, FS ("ZAF1"), FS ("LOOKUP"), FS (""), FC (corr), FS (name));
    return s_answer (socket, "REPLY", corr);
}

//  STATUS with a request body; returns the snapshot (caller deletes)
static cJSON *
s_status (void *socket, const char *request)
{
    corr_t corr = s_next_corr ();
    SEND (socket, FS ("ZAF1"), FS ("STATUS"), FS (""), FC (corr), FS (request));
    wmsg_t *msg = s_answer (socket, "REPLY", corr);
    cJSON *status = s_answer_result (msg);
    cr_assert (cJSON_IsObject (status));
    s_msg_destroy (&msg);
    return status;
}

static double
s_counter (const cJSON *status, const char *name)
{
    const cJSON *counters = cJSON_GetObjectItemCaseSensitive (status, "counters");
    const cJSON *item = cJSON_GetObjectItemCaseSensitive (counters, name);
    cr_assert (cJSON_IsNumber (item), "no counter %s", name);
    return item->valuedouble;
}

static int
s_array_size (const cJSON *status, const char *name)
{
    const cJSON *array = cJSON_GetObjectItemCaseSensitive (status, name);
    cr_assert (cJSON_IsArray (array), "no array %s", name);
    return cJSON_GetArraySize (array);
}

static bool
s_string_in (const cJSON *array, const char *value)
{
    const cJSON *item;
    cJSON_ArrayForEach (item, array)
        if (cJSON_IsString (item) && streq (item->valuestring, value))
            return true;
    return false;
}

//  A second, well-behaved client is served in full
static void
s_good_client_works (void)
{
    void *good = s_client ("driver");
    char actor [65];
    s_spawn_ok (good, "Counter", "{}", "[0]", actor);
    for (int index = 1; index <= 20; index++)
        cr_assert_eq (s_call_number (good, actor, "add", "[1]"), index);
    corr_t corr = s_next_corr ();
    SEND (good, FS ("ZAF1"), FS ("SUBMIT"), FS (""), FC (corr), FS ("add"), FS ("[2,3]"));
    wmsg_t *msg = s_answer (good, "REPLY", corr);
    cJSON *result = s_answer_result (msg);
    cr_assert (cJSON_IsNumber (result) && result->valuedouble == 5);
    s_json_free (result);
    s_msg_destroy (&msg);
    s_kill_ok (good, actor);
    SEND (good, FS ("ZAF1"), FS ("BYE"), FS ("{\"reason\":\"leaving\"}"));
    s_close (&good);
}

//  ==========================================================================
//  Sessions

Test (wire, hello_driver_gets_welcome, .timeout = 60)
{
    s_start (NULL);
    void *driver = s_socket ();
    cJSON *welcome = s_hello (driver, "driver", "{\"host\":\"wire\",\"pid\":1,\"version\":1}");
    const char *peer = s_jstr (welcome, "peer", NULL);
    const char *session = s_jstr (welcome, "session", NULL);
    cr_assert_not_null (peer);
    cr_assert (strlen (peer) >= 2 && strlen (peer) <= 510 && strlen (peer) % 2 == 0);
    for (const char *c = peer; *c; c++)
        cr_assert (isxdigit ((unsigned char) *c) && !isupper ((unsigned char) *c));
    cr_assert_not_null (session);
    cr_assert_eq (strlen (session), 36);
    cr_assert_eq (s_jnum (welcome, "heartbeat_ms", 0), 1000);
    cr_assert_eq (s_jnum (welcome, "version", 0), 1);

    //  HELLO again on the same connection: a new session, same peer
    cJSON *again = s_hello (driver, "driver", "{}");
    cr_assert_str_eq (s_jstr (again, "peer", ""), peer);
    cr_assert_str_eq (s_jstr (again, "session", ""), session);
    s_json_free (again);

    //  A CLI with an explicit routing id: peer is that id in hex
    void *cli = s_socket_with_id ("wire-cli-1");
    cJSON *cli_welcome = s_hello (cli, "cli", "{\"name\":\"zaf-cli\"}");
    cr_assert_str_eq (s_jstr (cli_welcome, "peer", ""), "776972652d636c692d31");
    s_json_free (cli_welcome);

    //  Both are listed as clients
    cJSON *status = s_status (cli, "{}");
    cr_assert_eq (s_array_size (status, "clients"), 2);
    cr_assert_eq (s_array_size (status, "nodes"), 1);
    cr_assert_str_eq (s_jstr (status, "session", ""), session);
    s_json_free (status);
    s_json_free (welcome);
}

Test (wire, bye_both_ways, .timeout = 60)
{
    s_start (NULL);
    void *client = s_client ("driver");
    //  Peer says BYE: the broker forgets it, and its next request gets BYE
    SEND (client, FS ("ZAF1"), FS ("BYE"), FS ("{\"reason\":\"leaving\"}"));
    corr_t corr = s_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("STATUS"), FS (""), FC (corr), FS ("{}"));
    wmsg_t *msg = s_expect (client);
    s_assert_bye (msg);
    s_msg_destroy (&msg);
    //  It may say HELLO again on the same connection
    s_json_free (s_hello (client, "driver", "{}"));
    cJSON *status = s_status (client, "{}");
    cr_assert_eq (s_counter (status, "peers_lost"), 1);
    cr_assert_eq (s_counter (status, "unknown_peer"), 1);
    s_json_free (status);

    //  Broker stops: it says BYE to every peer
    s_stop_cluster ();
    msg = s_expect (client);
    s_assert_bye (msg);
    cJSON *body = s_body (msg);
    cr_assert_str_eq (s_jstr (body, "reason", ""), "broker stopping");
    s_json_free (body);
    s_msg_destroy (&msg);
}

Test (wire, heartbeats_and_lost_peers, .timeout = 60)
{
    config_t config = { .heartbeat = "500" };
    s_start (&config);
    void *client = s_socket ();
    cJSON *welcome = s_hello (client, "driver", "{}");
    cr_assert_eq (s_jnum (welcome, "heartbeat_ms", 0), 500);
    s_json_free (welcome);

    //  The broker heartbeats every interval; an idle client, silent for
    //  more than 3 intervals, is not dropped
    int beats = 0;
    int64_t deadline = zclock_mono () + WAIT_MS;
    while (beats < 5 && zclock_mono () < deadline) {
        wmsg_t *msg = s_recv (client, 1000);
        if (msg) {
            cr_assert (s_is (msg, "HEARTBEAT") && msg->count == 2, "got %s", s_describe (msg));
            beats++;
        }
        s_msg_destroy (&msg);
    }
    cr_assert_eq (beats, 5);
    cJSON *status = s_status (client, "{}");
    cr_assert_eq (s_array_size (status, "clients"), 1);
    s_json_free (status);

    //  A node that goes silent is lost; the call it holds ends NODE_LOST
    void *fake = s_fake_node ("silent-node", "[\"Fake\"]", false);
    corr_t spawn_corr = s_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("SPAWN"), FS (""), FC (spawn_corr), FS (""), FS ("Fake"),
          FS ("{}"), FS ("[]"));
    wmsg_t *spawn = s_expect (fake);
    cr_assert (s_is (spawn, "SPAWN") && spawn->count == 8, "fake node got %s", s_describe (spawn));
    SEND (fake, FS ("ZAF1"), FS ("SPAWNED"), FB (spawn->data [2], spawn->size [2]),
          FB (spawn->data [3], spawn->size [3]), FB (spawn->data [4], spawn->size [4]),
          FS ("ok"), FS ("{}"));
    char actor [65];
    snprintf (actor, sizeof (actor), "%s", spawn->data [4]);
    s_msg_destroy (&spawn);
    wmsg_t *msg = s_answer (client, "SPAWNED", spawn_corr);
    cr_assert (s_answer_ok (msg));
    s_msg_destroy (&msg);

    corr_t corr = s_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS (actor), FS ("ping"), FS ("[]"));
    msg = s_expect (fake);
    cr_assert (s_is (msg, "CALL"), "fake node got %s", s_describe (msg));
    s_msg_destroy (&msg);
    //  ... and now the fake node says nothing more
    msg = s_answer (client, "REPLY", corr);
    s_assert_answer_error (msg, "NODE_LOST");
    s_msg_destroy (&msg);
    s_call_fails (client, actor, "ping", "[]", "ACTOR_DIED");
    //  The lost node is unknown now: anything it sends gets BYE
    SEND (fake, FS ("ZAF1"), FS ("HEARTBEAT"));
    msg = s_expect (fake);
    s_assert_bye (msg);
    s_msg_destroy (&msg);

    //  A client whose connection is gone is dropped at a heartbeat
    void *other = s_client ("driver");
    status = s_status (client, "{}");
    cr_assert_eq (s_array_size (status, "clients"), 2);
    cr_assert_eq (s_array_size (status, "nodes"), 1);
    double lost = s_counter (status, "peers_lost");
    cr_assert_geq (lost, 1);
    s_json_free (status);
    s_close (&other);
    bool dropped = false;
    deadline = zclock_mono () + WAIT_MS;
    while (!dropped && zclock_mono () < deadline) {
        wmsg_t *beat = s_recv (client, 500);       //  Pace on heartbeats
        s_msg_destroy (&beat);
        status = s_status (client, "{}");
        dropped = s_array_size (status, "clients") == 1 && s_counter (status, "peers_lost") == lost + 1;
        s_json_free (status);
    }
    cr_assert (dropped, "a closed connection was not dropped");
    s_good_client_works ();
}

//  ==========================================================================
//  Actors and tasks

Test (wire, spawn_call_reply, .timeout = 60)
{
    s_start (NULL);
    void *client = s_socket ();
    cJSON *welcome = s_hello (client, "driver", "{}");
    byte routing_id [255];
    size_t routing_size = s_unhex (s_jstr (welcome, "peer", ""), routing_id);
    s_json_free (welcome);

    wmsg_t *spawned = s_spawn (client, "Counter", "{}", "[5]");
    cr_assert (s_answer_ok (spawned), "spawn failed: %s", s_describe (spawned));
    char actor [65];
    snprintf (actor, sizeof (actor), "%s", spawned->data [4]);
    cr_assert_gt (strlen (actor), 0);
    s_msg_destroy (&spawned);

    //  CALL add -> REPLY ok with the value; the caller frame carries our
    //  routing id (informational), the corr is echoed byte for byte
    corr_t corr = s_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS (actor), FS ("add"), FS ("[2]"));
    wmsg_t *reply = s_answer (client, "REPLY", corr);
    cr_assert (s_frame_eq (reply, 2, routing_id, routing_size));
    cJSON *result = s_answer_result (reply);
    cr_assert (cJSON_IsNumber (result) && result->valuedouble == 7, "got %s", s_describe (reply));
    s_json_free (result);
    s_msg_destroy (&reply);
    cr_assert_eq (s_call_number (client, actor, "add", "[3]"), 10);
    cr_assert_eq (s_call_number (client, actor, "get", "[]"), 10);

    //  Whatever a client puts in caller is replaced by the broker
    corr = s_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("CALL"), FS ("forged"), FC (corr), FS (actor), FS ("get"), FS ("[]"));
    reply = s_answer (client, "REPLY", corr);
    cr_assert (s_frame_eq (reply, 2, routing_id, routing_size));
    s_msg_destroy (&reply);

    //  A null result is the body null
    reply = s_call (client, actor, "echo", "[null]");
    result = s_answer_result (reply);
    cr_assert (cJSON_IsNull (result));
    s_json_free (result);
    s_msg_destroy (&reply);

    //  Errors from the actor runtime
    s_call_fails (client, actor, "no_such_method", "[]", "NO_SUCH_METHOD");
    s_call_fails (client, actor, "add", "[1,", "BAD_ARGS");
    s_call_fails (client, actor, "add", "", "BAD_ARGS");
    s_call_fails (client, actor, "fail", "[\"boom\"]", "METHOD_FAILED");
    s_call_fails (client, actor, "fail_code", "[\"NAME_TAKEN\",\"custom\"]", "NAME_TAKEN");
    //  A failed method does not end the actor
    cr_assert_eq (s_call_number (client, actor, "get", "[]"), 10);

    //  Constructor failure: SPAWNED error, with the constructor's code
    spawned = s_spawn (client, "Refuser", "{}", "[]");
    s_assert_answer_error (spawned, "BAD_ARGS");
    s_msg_destroy (&spawned);
    //  Constructor args that are not JSON
    spawned = s_spawn (client, "Counter", "{}", "[oops");
    s_assert_answer_error (spawned, "BAD_ARGS");
    s_msg_destroy (&spawned);
    //  Empty options and empty args mean {} and []
    char other [65];
    s_spawn_ok (client, "Counter", "", "", other);
    cr_assert_eq (s_call_number (client, other, "get", "[]"), 0);
    cr_assert_str_neq (other, actor);
}

Test (wire, tell_then_call_keeps_order, .timeout = 60)
{
    s_start (NULL);
    void *client = s_client ("driver");
    char actor [65];
    s_spawn_ok (client, "Counter", "{}", "[0]", actor);
    s_tell (client, actor, "add", "[5]");
    cr_assert_eq (s_call_number (client, actor, "get", "[]"), 5);

    //  200 tells, interleaved with calls, then the record: all in order
    for (int index = 0; index < 200; index++) {
        char args [32];
        snprintf (args, sizeof (args), "[%d]", index);
        s_tell (client, actor, "record", args);
        if (index % 50 == 49) {
            corr_t corr = s_next_corr ();
            SEND (client, FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS (actor),
                  FS ("record"), FS ("[\"call\"]"));
            wmsg_t *reply = s_answer (client, "REPLY", corr);
            cJSON *result = s_answer_result (reply);
            cr_assert_eq (result->valuedouble, index + 1 + (index / 50) + 1);
            s_json_free (result);
            s_msg_destroy (&reply);
        }
    }
    wmsg_t *reply = s_call (client, actor, "recorded", "[]");
    cJSON *list = s_answer_result (reply);
    cr_assert_eq (cJSON_GetArraySize (list), 204);
    int expected = 0;
    int position = 0;
    const cJSON *item;
    cJSON_ArrayForEach (item, list) {
        if (position % 51 == 50)
            cr_assert (cJSON_IsString (item), "call not in its place at %d", position);
        else {
            cr_assert (cJSON_IsNumber (item) && item->valuedouble == expected,
                       "tell %d out of order at %d", expected, position);
            expected++;
        }
        position++;
    }
    s_json_free (list);
    s_msg_destroy (&reply);
    //  Tells are never answered
    s_expect_nothing (client, 200);
}

Test (wire, submit_runs_a_function, .timeout = 60)
{
    s_start (NULL);
    void *client = s_client ("driver");
    corr_t corr = s_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("SUBMIT"), FS (""), FC (corr), FS ("add"), FS ("[2,3]"));
    wmsg_t *reply = s_answer (client, "REPLY", corr);
    cJSON *result = s_answer_result (reply);
    cr_assert (cJSON_IsNumber (result) && result->valuedouble == 5);
    s_json_free (result);
    s_msg_destroy (&reply);

    corr = s_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("SUBMIT"), FS (""), FC (corr), FS ("no_such_function"), FS ("[]"));
    reply = s_answer (client, "REPLY", corr);
    s_assert_answer_error (reply, "NO_SUCH_FUNCTION");
    s_msg_destroy (&reply);

    corr = s_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("SUBMIT"), FS (""), FC (corr), FS ("fail"), FS ("[\"boom\"]"));
    reply = s_answer (client, "REPLY", corr);
    s_assert_answer_error (reply, "METHOD_FAILED");
    cJSON *body = s_body (reply);
    cr_assert_str_eq (s_jstr (body, "message", ""), "boom");
    s_json_free (body);
    s_msg_destroy (&reply);

    //  Several in flight at once, each answered once on its own corr
    bool seen [10] = { false };
    for (int index = 0; index < 10; index++) {
        corr_t task = s_corr (1000 + index);
        char args [32];
        snprintf (args, sizeof (args), "[%d,1]", index);
        SEND (client, FS ("ZAF1"), FS ("SUBMIT"), FS (""), FC (task), FS ("add"), FS (args));
    }
    for (int count = 0; count < 10; count++) {
        wmsg_t *msg = s_expect (client);
        cr_assert (s_is (msg, "REPLY") && msg->count == 6 && msg->size [3] == 8);
        int index = (byte) msg->data [3] [7] + 256 * (byte) msg->data [3] [6] - 1000;
        cr_assert (index >= 0 && index < 10 && !seen [index]);
        seen [index] = true;
        result = s_answer_result (msg);
        cr_assert_eq (result->valuedouble, index + 1);
        s_json_free (result);
        s_msg_destroy (&msg);
    }
}

Test (wire, lookup_named_actor, .timeout = 60)
{
    s_start (NULL);
    void *client = s_client ("driver");
    char actor [65];
    s_spawn_ok (client, "Counter", "{\"name\":\"wire-counter\"}", "[3]", actor);

    wmsg_t *reply = s_lookup (client, "wire-counter");
    cr_assert_eq (reply->count, 6);
    cJSON *result = s_answer_result (reply);
    cr_assert_str_eq (s_jstr (result, "actor", ""), actor);
    cr_assert_str_eq (s_jstr (result, "class", ""), "Counter");
    cr_assert_str_eq (s_jstr (result, "node", ""), "wire-node");
    s_json_free (result);
    s_msg_destroy (&reply);

    //  Another client finds it by name and calls it
    void *other = s_client ("cli");
    reply = s_lookup (other, "wire-counter");
    result = s_answer_result (reply);
    cr_assert_eq (s_call_number (other, s_jstr (result, "actor", ""), "get", "[]"), 3);
    s_json_free (result);
    s_msg_destroy (&reply);

    reply = s_lookup (client, "nobody");
    s_assert_answer_error (reply, "NO_SUCH_ACTOR");
    s_msg_destroy (&reply);

    //  The name is held while the actor lives
    wmsg_t *spawned = s_spawn (client, "Counter", "{\"name\":\"wire-counter\"}", "[]");
    s_assert_answer_error (spawned, "NAME_TAKEN");
    s_msg_destroy (&spawned);

    //  ... and freed when it ends
    s_kill_ok (client, actor);
    reply = s_lookup (client, "wire-counter");
    s_assert_answer_error (reply, "NO_SUCH_ACTOR");
    s_msg_destroy (&reply);
    char again [65];
    s_spawn_ok (client, "Counter", "{\"name\":\"wire-counter\"}", "[]", again);
    cr_assert_str_neq (again, actor);
}

Test (wire, status_snapshot, .timeout = 60)
{
    s_start (NULL);
    void *client = s_socket ();
    cJSON *welcome = s_hello (client, "driver", "{\"name\":\"wire-driver\",\"host\":\"h\",\"pid\":7}");
    char actor [65];
    s_spawn_ok (client, "Counter", "{\"name\":\"status-counter\"}", "[]", actor);

    cJSON *status = s_status (client, "{}");
    cr_assert_str_eq (s_jstr (status, "session", ""), s_jstr (welcome, "session", "?"));
    cr_assert (strstr (s_jstr (status, "endpoints", ""), s_endpoint));
    cr_assert_eq (s_jnum (status, "heartbeat_ms", 0), 1000);
    cr_assert_eq (s_jnum (status, "actors_total", 0), 1);
    cr_assert (cJSON_IsNumber (cJSON_GetObjectItemCaseSensitive (status, "uptime_s")));
    cr_assert (cJSON_IsNumber (cJSON_GetObjectItemCaseSensitive (status, "flights")));
    cr_assert_null (cJSON_GetObjectItemCaseSensitive (status, "actors"));

    cr_assert_eq (s_array_size (status, "nodes"), 1);
    const cJSON *node = cJSON_GetArrayItem (cJSON_GetObjectItemCaseSensitive (status, "nodes"), 0);
    cr_assert_str_eq (s_jstr (node, "name", ""), "wire-node");
    cr_assert_str_eq (s_jstr (node, "role", ""), "node");
    cr_assert_eq (s_jnum (node, "cpus", 0), 2);
    cr_assert_eq (s_jnum (node, "actors", -1), 1);
    cr_assert (s_string_in (cJSON_GetObjectItemCaseSensitive (node, "classes"), "Counter"));
    cr_assert (s_string_in (cJSON_GetObjectItemCaseSensitive (node, "classes"), "Refuser"));
    cr_assert (s_string_in (cJSON_GetObjectItemCaseSensitive (node, "functions"), "add"));

    cr_assert_eq (s_array_size (status, "clients"), 1);
    const cJSON *me = cJSON_GetArrayItem (cJSON_GetObjectItemCaseSensitive (status, "clients"), 0);
    cr_assert_str_eq (s_jstr (me, "peer", ""), s_jstr (welcome, "peer", "?"));
    cr_assert_str_eq (s_jstr (me, "role", ""), "driver");
    cr_assert_str_eq (s_jstr (me, "name", ""), "wire-driver");
    cr_assert_eq (s_jnum (me, "pid", 0), 7);

    const char *counters [] = {
        "calls", "tells", "replies", "spawns", "submits", "kills", "lookups", "errors_sent",
        "malformed", "unknown_peer", "late_replies", "wrong_peer", "unroutable", "overloaded",
        "peers_lost"
    };
    for (size_t index = 0; index < sizeof (counters) / sizeof (counters [0]); index++)
        s_counter (status, counters [index]);
    cr_assert_eq (s_counter (status, "spawns"), 1);
    cr_assert_eq (s_counter (status, "malformed"), 0);
    s_json_free (status);

    //  With actors: true, the actor list
    status = s_status (client, "{\"actors\":true}");
    cr_assert_eq (s_array_size (status, "actors"), 1);
    const cJSON *item = cJSON_GetArrayItem (cJSON_GetObjectItemCaseSensitive (status, "actors"), 0);
    cr_assert_str_eq (s_jstr (item, "id", ""), actor);
    cr_assert_str_eq (s_jstr (item, "class", ""), "Counter");
    cr_assert_str_eq (s_jstr (item, "node", ""), "wire-node");
    cr_assert_str_eq (s_jstr (item, "name", ""), "status-counter");
    cr_assert (s_jbool (item, "ready", false));
    cr_assert_eq (s_jnum (item, "pending", -1), 0);
    s_json_free (status);
    status = s_status (client, "{\"actors\":true,\"limit\":0}");
    cr_assert_eq (s_array_size (status, "actors"), 0);
    s_json_free (status);

    //  An empty request is {}; one that is not JSON is BAD_ARGS
    status = s_status (client, "");
    cr_assert_eq (s_array_size (status, "nodes"), 1);
    s_json_free (status);
    corr_t corr = s_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("STATUS"), FS (""), FC (corr), FS ("not json"));
    wmsg_t *reply = s_answer (client, "REPLY", corr);
    s_assert_answer_error (reply, "BAD_ARGS");
    s_msg_destroy (&reply);
    s_json_free (welcome);
}

Test (wire, kill_then_call, .timeout = 60)
{
    s_start (NULL);
    void *client = s_client ("driver");
    char actor [65];
    s_spawn_ok (client, "Counter", "{}", "[1]", actor);
    cr_assert_eq (s_call_number (client, actor, "get", "[]"), 1);

    //  KILL with a corr: exactly one REPLY ok null
    s_kill_ok (client, actor);
    s_call_fails (client, actor, "get", "[]", "ACTOR_DIED");
    //  Killing it again is not an error
    s_kill_ok (client, actor);
    //  A TELL to it: ERROR ACTOR_DIED to the sender
    s_tell (client, actor, "add", "[1]");
    s_expect_error (client, "ACTOR_DIED");

    //  KILL without corr: no answer, and the actor is gone
    char second [65];
    s_spawn_ok (client, "Counter", "{}", "[]", second);
    SEND (client, FS ("ZAF1"), FS ("KILL"), FS (""), FS (""), FS (second), FS ("{\"reason\":\"killed\"}"));
    s_call_fails (client, second, "get", "[]", "ACTOR_DIED");
    s_expect_nothing (client, 200);

    //  Calls queued behind a running method end ACTOR_DIED when it is killed
    char third [65];
    s_spawn_ok (client, "Counter", "{}", "[]", third);
    corr_t slow = s_next_corr ();
    corr_t queued = s_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("CALL"), FS (""), FC (slow), FS (third), FS ("sleep"), FS ("[300]"));
    SEND (client, FS ("ZAF1"), FS ("CALL"), FS (""), FC (queued), FS (third), FS ("get"), FS ("[]"));
    corr_t kill = s_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("KILL"), FS (""), FC (kill), FS (third), FS ("{}"));
    int answered = 0;
    while (answered < 3) {
        wmsg_t *msg = s_expect (client);
        cr_assert (s_is (msg, "REPLY") && msg->count == 6, "got %s", s_describe (msg));
        if (s_frame_eq (msg, 3, kill.data, 8)) {
            cr_assert (s_answer_ok (msg));
        }
        else {
            cr_assert (s_frame_eq (msg, 3, slow.data, 8) || s_frame_eq (msg, 3, queued.data, 8));
            s_assert_answer_error (msg, "ACTOR_DIED");
        }
        s_msg_destroy (&msg);
        answered++;
    }
    s_expect_nothing (client, 500);     //  The sleeper's own answer is dropped
}

Test (wire, unknown_actor, .timeout = 60)
{
    s_start (NULL);
    void *client = s_client ("driver");
    s_call_fails (client, "ffffffff00000999", "get", "[]", "NO_SUCH_ACTOR");
    s_tell (client, "ffffffff00000999", "get", "[]");
    s_expect_error (client, "NO_SUCH_ACTOR");
    wmsg_t *reply = s_kill (client, "ffffffff00000999");
    s_assert_answer_error (reply, "NO_SUCH_ACTOR");
    s_msg_destroy (&reply);
    //  KILL without corr of an unknown actor: nothing at all
    SEND (client, FS ("ZAF1"), FS ("KILL"), FS (""), FS (""), FS ("ffffffff00000999"), FS ("{}"));
    s_expect_nothing (client, 200);
}

Test (wire, spawn_unknown_class, .timeout = 60)
{
    s_start (NULL);
    void *client = s_client ("driver");
    wmsg_t *spawned = s_spawn (client, "NoSuchClass", "{}", "[]");
    s_assert_answer_error (spawned, "NO_SUCH_CLASS");
    s_msg_destroy (&spawned);
    //  Pinned to a node that does not serve the class
    spawned = s_spawn (client, "NoSuchClass", "{\"node\":\"wire-node\"}", "[]");
    s_assert_answer_error (spawned, "NO_SUCH_CLASS");
    s_msg_destroy (&spawned);
    s_good_client_works ();
}

Test (wire, spawn_pinned_to_missing_node, .timeout = 60)
{
    s_start (NULL);
    void *client = s_client ("driver");
    wmsg_t *spawned = s_spawn (client, "Counter", "{\"node\":\"no-such-node\"}", "[]");
    s_assert_answer_error (spawned, "NO_SUCH_NODE");
    s_msg_destroy (&spawned);
    //  Pinned to the node that exists: placed there
    char actor [65];
    s_spawn_ok (client, "Counter", "{\"node\":\"wire-node\"}", "[4]", actor);
    cr_assert_eq (s_call_number (client, actor, "get", "[]"), 4);
}

Test (wire, pending_bound_overloads, .timeout = 60)
{
    config_t config = { .max_pending = "2" };
    s_start (&config);
    void *fake = s_fake_node ("slow-node", "[\"Fake\"]", true);
    void *client = s_client ("driver");
    corr_t corr = s_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("SPAWN"), FS (""), FC (corr), FS (""), FS ("Fake"), FS ("{}"), FS ("[]"));
    wmsg_t *spawn = s_expect (fake);
    cr_assert (s_is (spawn, "SPAWN"));
    SEND (fake, FS ("ZAF1"), FS ("SPAWNED"), FB (spawn->data [2], spawn->size [2]),
          FB (spawn->data [3], spawn->size [3]), FS (spawn->data [4]), FS ("ok"), FS ("{}"));
    char actor [65];
    snprintf (actor, sizeof (actor), "%s", spawn->data [4]);
    s_msg_destroy (&spawn);
    wmsg_t *msg = s_answer (client, "SPAWNED", corr);
    cr_assert (s_answer_ok (msg));
    s_msg_destroy (&msg);

    //  Two calls in flight fill the bound; the third is refused at once
    corr_t calls [3] = { s_next_corr (), s_next_corr (), s_next_corr () };
    for (int index = 0; index < 3; index++)
        SEND (client, FS ("ZAF1"), FS ("CALL"), FS (""), FC (calls [index]), FS (actor),
              FS ("ping"), FS ("[]"));
    msg = s_answer (client, "REPLY", calls [2]);
    s_assert_answer_error (msg, "OVERLOADED");
    s_msg_destroy (&msg);
    //  The node answers the two it got, in order
    for (int index = 0; index < 2; index++) {
        wmsg_t *call = s_expect (fake);
        cr_assert (s_is (call, "CALL") && s_frame_eq (call, 3, calls [index].data, 8));
        SEND (fake, FS ("ZAF1"), FS ("REPLY"), FB (call->data [2], call->size [2]),
              FB (call->data [3], call->size [3]), FS ("ok"), FS ("\"pong\""));
        s_msg_destroy (&call);
        msg = s_answer (client, "REPLY", calls [index]);
        cJSON *result = s_answer_result (msg);
        cr_assert_str_eq (result->valuestring, "pong");
        s_json_free (result);
        s_msg_destroy (&msg);
    }
    cJSON *status = s_status (client, "{}");
    cr_assert_eq (s_counter (status, "overloaded"), 1);
    s_json_free (status);
}

Test (wire, field_limits, .timeout = 60)
{
    s_start (NULL);
    void *client = s_client ("driver");
    char actor [65];
    s_spawn_ok (client, "Counter", "{}", "[0]", actor);

    //  corr: any bytes, 1 to 255, echoed exactly
    byte corr [256];
    for (int index = 0; index < 256; index++)
        corr [index] = (byte) (255 - index);
    size_t sizes [] = { 1, 255 };
    for (int pass = 0; pass < 2; pass++) {
        SEND (client, FS ("ZAF1"), FS ("CALL"), FS (""), FB (corr, sizes [pass]), FS (actor),
              FS ("add"), FS ("[1]"));
        wmsg_t *reply = s_expect (client);
        cr_assert (s_is (reply, "REPLY") && s_frame_eq (reply, 3, corr, sizes [pass]));
        cr_assert (s_answer_ok (reply));
        s_msg_destroy (&reply);
        SEND (client, FS ("ZAF1"), FS ("STATUS"), FS (""), FB (corr, sizes [pass]), FS (""));
        reply = s_expect (client);
        cr_assert (s_is (reply, "REPLY") && s_frame_eq (reply, 3, corr, sizes [pass]));
        s_msg_destroy (&reply);
    }
    //  256 bytes of corr, or of caller: malformed
    SEND (client, FS ("ZAF1"), FS ("CALL"), FS (""), FB (corr, 256), FS (actor), FS ("add"), FS ("[1]"));
    s_expect_error (client, "PROTOCOL");
    SEND (client, FS ("ZAF1"), FS ("CALL"), FB (corr, 256), FB (corr, 8), FS (actor), FS ("add"), FS ("[1]"));
    s_expect_error (client, "PROTOCOL");

    //  Actor ids: 64 printable bytes is well-formed, 65 is not
    char long_id [66];
    memset (long_id, 'a', 65);
    long_id [64] = 0;
    s_call_fails (client, long_id, "get", "[]", "NO_SUCH_ACTOR");
    long_id [64] = 'a';
    long_id [65] = 0;
    SEND (client, FS ("ZAF1"), FS ("CALL"), FS (""), FB (corr, 8), FS (long_id), FS ("get"), FS ("[]"));
    s_expect_error (client, "PROTOCOL");
    SEND (client, FS ("ZAF1"), FS ("CALL"), FS (""), FB (corr, 8), FS ("with space"), FS ("get"), FS ("[]"));
    s_expect_error (client, "PROTOCOL");

    //  Names: 255 printable bytes is well-formed, 256 or a space is not
    char long_name [257];
    memset (long_name, 'm', 256);
    long_name [255] = 0;
    s_call_fails (client, actor, long_name, "[]", "NO_SUCH_METHOD");
    long_name [255] = 'm';
    long_name [256] = 0;
    SEND (client, FS ("ZAF1"), FS ("CALL"), FS (""), FB (corr, 8), FS (actor), FS (long_name), FS ("[]"));
    s_expect_error (client, "PROTOCOL");
    SEND (client, FS ("ZAF1"), FS ("CALL"), FS (""), FB (corr, 8), FS (actor), FS ("a b"), FS ("[]"));
    s_expect_error (client, "PROTOCOL");
    SEND (client, FS ("ZAF1"), FS ("LOOKUP"), FS (""), FB (corr, 8), FS ("tab\tname"));
    s_expect_error (client, "PROTOCOL");

    //  JSON nesting: 100 levels are fine, 200 are refused
    char deep [512];
    for (int depth = 100; depth <= 200; depth += 100) {
        char *cursor = deep;
        cursor += sprintf (cursor, "[");
        for (int index = 0; index < depth; index++)
            *cursor++ = '[';
        for (int index = 0; index < depth; index++)
            *cursor++ = ']';
        sprintf (cursor, "]");
        wmsg_t *reply = s_call (client, actor, "echo", deep);
        if (depth == 100) {
            cJSON *result = s_answer_result (reply);
            s_json_free (result);
        }
        else
            s_assert_answer_error (reply, "BAD_ARGS");
        s_msg_destroy (&reply);
    }
    cr_assert_eq (s_call_number (client, actor, "get", "[]"), 2);
}

//  ==========================================================================
//  Hostile peers

Test (wire, hostile_no_signature, .timeout = 60)
{
    s_start (NULL);
    void *hostile = s_socket ();
    //  Before HELLO: still an ERROR, not a BYE
    SEND (hostile, FS ("hello?"));
    s_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF2"), FS ("HELLO"), FS ("driver"), FS ("{}"));
    s_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("zaf1"), FS ("STATUS"), FS (""), FS ("c"), FS ("{}"));
    s_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS (""));
    s_expect_error (hostile, "PROTOCOL");
    //  An empty delimiter first, as REQ would send
    SEND (hostile, FS (""), FS ("ZAF1"), FS ("HELLO"), FS ("driver"), FS ("{}"));
    s_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"));
    s_expect_error (hostile, "PROTOCOL");
    //  After HELLO too; the session survives
    s_json_free (s_hello (hostile, "driver", "{}"));
    SEND (hostile, FS ("ZAF1 "), FS ("STATUS"), FS (""), FS ("c"), FS ("{}"));
    wmsg_t *msg = s_expect (hostile);
    s_assert_error (msg, "PROTOCOL");
    cJSON *body = s_body (msg);
    cr_assert (strstr (s_jstr (body, "message", ""), "signature"));
    s_json_free (body);
    s_msg_destroy (&msg);
    cJSON *status = s_status (hostile, "{}");
    cr_assert_eq (s_counter (status, "malformed"), 7);
    s_json_free (status);
    s_good_client_works ();
}

Test (wire, hostile_unknown_command, .timeout = 60)
{
    s_start (NULL);
    void *hostile = s_client ("driver");
    SEND (hostile, FS ("ZAF1"), FS ("FROB"), FS ("x"));
    s_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"), FS ("call"), FS (""), FS ("c"), FS ("a"), FS ("m"), FS ("[]"));
    s_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"), FS ("CALLS"), FS (""), FS ("c"), FS ("a"), FS ("m"), FS ("[]"));
    s_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"), FS (""));
    s_expect_error (hostile, "PROTOCOL");
    byte binary [] = { 0x00, 0xff, 0x10, 0x80 };
    SEND (hostile, FS ("ZAF1"), FB (binary, sizeof (binary)));
    s_expect_error (hostile, "PROTOCOL");
    char huge [2000];
    memset (huge, 'Z', sizeof (huge) - 1);
    huge [sizeof (huge) - 1] = 0;
    SEND (hostile, FS ("ZAF1"), FS (huge));
    s_expect_error (hostile, "PROTOCOL");
    //  A command that is only ever sent by the broker
    SEND (hostile, FS ("ZAF1"), FS ("WELCOME"), FS ("{}"));
    s_expect_error (hostile, "PROTOCOL");
    //  An ERROR sent to the broker is accepted and not answered
    SEND (hostile, FS ("ZAF1"), FS ("ERROR"), FS ("{\"code\":\"PROTOCOL\",\"message\":\"hi\"}"));
    SEND (hostile, FS ("ZAF1"), FS ("HEARTBEAT"));
    s_expect_nothing (hostile, 200);
    cJSON *status = s_status (hostile, "{}");
    cr_assert_eq (s_counter (status, "malformed"), 7);
    s_json_free (status);
    s_good_client_works ();
}

//  The command frame is the word and nothing else: bytes after it, even
//  after a NUL, make the message malformed
Test (wire, hostile_command_with_trailing_bytes, .timeout = 60)
{
    s_start (NULL);
    void *hostile = s_client ("driver");
    corr_t corr = s_next_corr ();
    SEND (hostile, FS ("ZAF1"), FB ("STATUS\0junk", 11), FS (""), FC (corr), FS ("{}"));
    wmsg_t *msg = s_expect (hostile);
    cr_assert (s_is (msg, "ERROR"), "a command frame 'STATUS\\0junk' was accepted: got %s",
               s_describe (msg));
    s_assert_error (msg, "PROTOCOL");
    s_msg_destroy (&msg);
    SEND (hostile, FS ("ZAF1"), FB ("HEARTBEAT\0", 10));
    msg = s_expect (hostile);
    cr_assert (s_is (msg, "ERROR"), "a command frame 'HEARTBEAT\\0' was accepted: got %s",
               s_describe (msg));
    s_assert_error (msg, "PROTOCOL");
    s_msg_destroy (&msg);
    s_good_client_works ();
}

//  One well-formed template per command; each test run drops one frame
typedef struct {
    const char *label;
    int count;
    frame_t frames [8];
} template_t;

Test (wire, hostile_missing_frames, .timeout = 60)
{
    s_start (NULL);
    void *hostile = s_client ("driver");
    corr_t corr = s_corr (77);
    const char *actor = "ffffffff00000001";
    template_t templates [] = {
        { "HELLO", 4, { FS ("ZAF1"), FS ("HELLO"), FS ("driver"), FS ("{}") } },
        { "SPAWN", 8, { FS ("ZAF1"), FS ("SPAWN"), FS (""), FC (corr), FS (""), FS ("Counter"),
                        FS ("{}"), FS ("[]") } },
        { "SPAWNED", 7, { FS ("ZAF1"), FS ("SPAWNED"), FS (""), FC (corr), FS (actor), FS ("ok"),
                          FS ("{}") } },
        { "CALL", 7, { FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS (actor), FS ("add"),
                       FS ("[1]") } },
        { "TELL", 7, { FS ("ZAF1"), FS ("TELL"), FS (""), FS (""), FS (actor), FS ("add"),
                       FS ("[1]") } },
        { "REPLY", 6, { FS ("ZAF1"), FS ("REPLY"), FS (""), FC (corr), FS ("ok"), FS ("1") } },
        { "SUBMIT", 6, { FS ("ZAF1"), FS ("SUBMIT"), FS (""), FC (corr), FS ("add"), FS ("[1,2]") } },
        { "KILL", 6, { FS ("ZAF1"), FS ("KILL"), FS (""), FC (corr), FS (actor), FS ("{}") } },
        { "EXIT", 4, { FS ("ZAF1"), FS ("EXIT"), FS (actor), FS ("{}") } },
        { "LOOKUP", 5, { FS ("ZAF1"), FS ("LOOKUP"), FS (""), FC (corr), FS ("name") } },
        { "STATUS", 5, { FS ("ZAF1"), FS ("STATUS"), FS (""), FC (corr), FS ("{}") } },
        { "BYE", 3, { FS ("ZAF1"), FS ("BYE"), FS ("{}") } },
        { "ERROR", 3, { FS ("ZAF1"), FS ("ERROR"), FS ("{}") } },
    };
    size_t sent = 0;
    for (size_t index = 0; index < sizeof (templates) / sizeof (templates [0]); index++) {
        template_t *template = &templates [index];
        //  Drop each field frame in turn
        for (int drop = 2; drop < template->count; drop++) {
            frame_t frames [8];
            int count = 0;
            for (int frame = 0; frame < template->count; frame++)
                if (frame != drop)
                    frames [count++] = template->frames [frame];
            s_send (hostile, frames, count);
            wmsg_t *msg = s_expect (hostile);
            cr_assert (s_is (msg, "ERROR"), "%s without frame %d: got %s",
                       template->label, drop, s_describe (msg));
            s_assert_error (msg, "PROTOCOL");
            s_msg_destroy (&msg);
            sent++;
        }
        //  And one frame too many (past 16 attachments, for the commands
        //  that carry them: section 4.15)
        bool attaches = streq (template->label, "CALL") || streq (template->label, "TELL")
                     || streq (template->label, "REPLY") || streq (template->label, "SUBMIT");
        int extra = attaches ? 17 : 1;
        frame_t frames [8 + 17];
        memcpy (frames, template->frames, template->count * sizeof (frame_t));
        for (int index = 0; index < extra; index++)
            frames [template->count + index] = FS ("extra");
        s_send (hostile, frames, template->count + extra);
        wmsg_t *msg = s_expect (hostile);
        cr_assert (s_is (msg, "ERROR"), "%s with %d extra frame(s): got %s",
                   template->label, extra, s_describe (msg));
        s_assert_error (msg, "PROTOCOL");
        s_msg_destroy (&msg);
        sent++;
    }
    //  Required fields left empty
    SEND (hostile, FS ("ZAF1"), FS ("CALL"), FS (""), FS (""), FS (actor), FS ("add"), FS ("[1]"));
    s_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS (""), FS ("add"), FS ("[1]"));
    s_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS (actor), FS (""), FS ("[1]"));
    s_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"), FS ("SPAWN"), FS (""), FS (""), FS (""), FS ("Counter"), FS ("{}"), FS ("[]"));
    s_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"), FS ("SUBMIT"), FS (""), FS (""), FS ("add"), FS ("[]"));
    s_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"), FS ("LOOKUP"), FS (""), FS (""), FS ("name"));
    s_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"), FS ("STATUS"), FS (""), FS (""), FS ("{}"));
    s_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"), FS ("TELL"), FS (""), FS (""), FS (""), FS ("add"), FS ("[]"));
    s_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"), FS ("KILL"), FS (""), FC (corr), FS (""), FS ("{}"));
    s_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"), FS ("HELLO"), FS (""), FS ("{}"));
    s_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"), FS ("REPLY"), FS (""), FC (corr), FS ("fine"), FS ("1"));
    s_expect_error (hostile, "PROTOCOL");
    sent += 11;

    //  The session is untouched: the peer is still known
    cJSON *status = s_status (hostile, "{}");
    cr_assert_eq (s_counter (status, "malformed"), sent);
    cr_assert_eq (s_counter (status, "unknown_peer"), 0);
    char clients [1000];
    char *text = cJSON_PrintUnformatted (cJSON_GetObjectItemCaseSensitive (status, "clients"));
    snprintf (clients, sizeof (clients), "%s", text ? text : "?");
    free (text);
    cr_assert_eq (s_array_size (status, "clients"), 1, "clients: %s", clients);
    s_json_free (status);
    s_good_client_works ();
}

Test (wire, hostile_before_hello, .timeout = 60)
{
    s_start (NULL);
    void *stranger = s_socket ();
    corr_t corr = s_next_corr ();
    SEND (stranger, FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS ("ffffffff00000001"),
          FS ("add"), FS ("[1]"));
    wmsg_t *msg = s_expect (stranger);
    s_assert_bye (msg);
    s_msg_destroy (&msg);
    SEND (stranger, FS ("ZAF1"), FS ("STATUS"), FS (""), FC (corr), FS ("{}"));
    msg = s_expect (stranger);
    s_assert_bye (msg);
    s_msg_destroy (&msg);
    SEND (stranger, FS ("ZAF1"), FS ("SPAWN"), FS (""), FC (corr), FS (""), FS ("Counter"),
          FS ("{}"), FS ("[]"));
    msg = s_expect (stranger);
    s_assert_bye (msg);
    s_msg_destroy (&msg);
    SEND (stranger, FS ("ZAF1"), FS ("HEARTBEAT"));
    msg = s_expect (stranger);
    s_assert_bye (msg);
    s_msg_destroy (&msg);
    //  A REPLY from a stranger is not routed anywhere
    SEND (stranger, FS ("ZAF1"), FS ("REPLY"), FS (""), FC (corr), FS ("ok"), FS ("1"));
    msg = s_expect (stranger);
    s_assert_bye (msg);
    s_msg_destroy (&msg);
    //  BYE from a stranger: nothing
    SEND (stranger, FS ("ZAF1"), FS ("BYE"), FS ("{}"));
    s_expect_nothing (stranger, 200);
    //  Nothing was spawned; after HELLO the stranger is served
    s_json_free (s_hello (stranger, "driver", "{}"));
    cJSON *status = s_status (stranger, "{}");
    cr_assert_eq (s_counter (status, "unknown_peer"), 6);
    cr_assert_eq (s_jnum (status, "actors_total", -1), 0);
    s_json_free (status);
    s_good_client_works ();
}

Test (wire, hostile_hello_invalid_json, .timeout = 60)
{
    s_start (NULL);
    void *hostile = s_socket ();
    const char *bodies [] = { "{not json", "", "[1,2]", "\"driver\"", "{} trailing", "null" };
    for (size_t index = 0; index < sizeof (bodies) / sizeof (bodies [0]); index++) {
        SEND (hostile, FS ("ZAF1"), FS ("HELLO"), FS ("driver"), FS (bodies [index]));
        wmsg_t *msg = s_expect (hostile);
        cr_assert (s_is (msg, "ERROR"), "HELLO body '%s' answered %s", bodies [index], s_describe (msg));
        s_assert_error (msg, "PROTOCOL");
        s_msg_destroy (&msg);
    }
    //  Nested deeper than 128
    char deep [2048];
    char *cursor = deep;
    for (int index = 0; index < 200; index++)
        cursor += sprintf (cursor, "{\"a\":");
    cursor += sprintf (cursor, "1");
    for (int index = 0; index < 200; index++)
        *cursor++ = '}';
    *cursor = 0;
    cr_assert_lt (strlen (deep), sizeof (deep));
    SEND (hostile, FS ("ZAF1"), FS ("HELLO"), FS ("driver"), FS (deep));
    s_expect_error (hostile, "PROTOCOL");
    //  Over 1 MB
    size_t size = 1024 * 1024 + 64;
    char *big = (char *) malloc (size + 1);
    memset (big, ' ', size);
    memcpy (big, "{\"name\":\"x\",\"pad\":\"", 19);
    big [size - 2] = '"';
    big [size - 1] = '}';
    big [size] = 0;
    SEND (hostile, FS ("ZAF1"), FS ("HELLO"), FS ("driver"), FB (big, size));
    free (big);
    s_expect_error (hostile, "PROTOCOL");
    //  Still unknown: requests get BYE
    corr_t corr = s_next_corr ();
    SEND (hostile, FS ("ZAF1"), FS ("STATUS"), FS (""), FC (corr), FS ("{}"));
    wmsg_t *msg = s_expect (hostile);
    s_assert_bye (msg);
    s_msg_destroy (&msg);
    //  A good HELLO on the same connection is welcome
    s_json_free (s_hello (hostile, "driver", "{}"));
    s_good_client_works ();
}

Test (wire, hostile_hello_unknown_role, .timeout = 60)
{
    s_start (NULL);
    void *hostile = s_socket ();
    const char *roles [] = { "wizard", "Driver", "NODE", "broker", "worker" };
    for (size_t index = 0; index < sizeof (roles) / sizeof (roles [0]); index++) {
        SEND (hostile, FS ("ZAF1"), FS ("HELLO"), FS (roles [index]), FS ("{}"));
        s_expect_error (hostile, "PROTOCOL");
    }
    //  Bad node HELLOs
    const char *nodes [] = {
        "{}",                                           //  no name
        "{\"name\":\"\"}",                              //  empty name
        "{\"name\":\"has space\"}",
        "{\"name\":42}",
        "{\"name\":\"n\",\"classes\":[1]}",
        "{\"name\":\"n\",\"classes\":\"Counter\"}",
        "{\"name\":\"n\",\"functions\":{}}",
    };
    for (size_t index = 0; index < sizeof (nodes) / sizeof (nodes [0]); index++) {
        SEND (hostile, FS ("ZAF1"), FS ("HELLO"), FS ("node"), FS (nodes [index]));
        wmsg_t *msg = s_expect (hostile);
        cr_assert (s_is (msg, "ERROR"), "node HELLO %s answered %s", nodes [index], s_describe (msg));
        s_assert_error (msg, "PROTOCOL");
        s_msg_destroy (&msg);
    }
    //  A node name already live
    SEND (hostile, FS ("ZAF1"), FS ("HELLO"), FS ("node"), FS ("{\"name\":\"wire-node\",\"classes\":[\"Counter\"]}"));
    s_expect_error (hostile, "NAME_TAKEN");

    void *client = s_client ("driver");
    cJSON *status = s_status (client, "{}");
    cr_assert_eq (s_array_size (status, "nodes"), 1);
    cr_assert_eq (s_array_size (status, "clients"), 1);
    s_json_free (status);
    s_good_client_works ();
}

Test (wire, hostile_spawn_options_over_1mb, .timeout = 60)
{
    s_start (NULL);
    void *hostile = s_client ("driver");
    size_t size = 1024 * 1024 + 16;
    char *options = (char *) malloc (size + 1);
    memset (options, 'x', size);
    memcpy (options, "{\"pad\":\"", 8);
    options [size - 2] = '"';
    options [size - 1] = '}';
    options [size] = 0;
    corr_t corr = s_next_corr ();
    SEND (hostile, FS ("ZAF1"), FS ("SPAWN"), FS (""), FC (corr), FS (""), FS ("Counter"),
          FB (options, size), FS ("[]"));
    free (options);
    wmsg_t *msg = s_answer (hostile, "SPAWNED", corr);
    s_assert_answer_error (msg, "BAD_ARGS");
    cr_assert_eq (msg->size [4], 0, "refusals carry no actor id");
    s_msg_destroy (&msg);

    const char *bad [] = { "[1]", "{bad", "\"node\"", "{\"name\":\"has space\"}", "{\"name\":\"\"}" };
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad [0]); index++) {
        msg = s_spawn (hostile, "Counter", bad [index], "[]");
        s_assert_answer_error (msg, "BAD_ARGS");
        s_msg_destroy (&msg);
    }
    //  Unknown members are ignored
    char actor [65];
    s_spawn_ok (hostile, "Counter", "{\"pad\":\"xxxxxxxxxxxxxxxx\",\"gpu\":1}", "[]", actor);
    cJSON *status = s_status (hostile, "{}");
    cr_assert_eq (s_jnum (status, "actors_total", -1), 1);
    s_json_free (status);
    s_good_client_works ();
}

Test (wire, hostile_corr_reused_in_flight, .timeout = 60)
{
    s_start (NULL);
    void *hostile = s_client ("driver");
    char actor [65];
    s_spawn_ok (hostile, "Counter", "{}", "[0]", actor);

    //  Two CALLs on one corr: the second is refused at once and never runs
    corr_t corr = s_next_corr ();
    SEND (hostile, FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS (actor), FS ("sleep"), FS ("[400]"));
    SEND (hostile, FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS (actor), FS ("add"), FS ("[1]"));
    bool refused = false, answered = false;
    for (int count = 0; count < 2; count++) {
        wmsg_t *msg = s_answer (hostile, "REPLY", corr);
        if (s_answer_ok (msg)) {
            cJSON *result = s_answer_result (msg);
            cr_assert_eq (result->valuedouble, 400);
            s_json_free (result);
            answered = true;
        }
        else {
            s_assert_answer_error (msg, "PROTOCOL");
            refused = true;
        }
        s_msg_destroy (&msg);
    }
    cr_assert (refused && answered);
    //  Once answered, the corr may be used again; the refused add never ran
    SEND (hostile, FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS (actor), FS ("get"), FS ("[]"));
    wmsg_t *msg = s_answer (hostile, "REPLY", corr);
    cJSON *result = s_answer_result (msg);
    cr_assert_eq (result->valuedouble, 0);
    s_json_free (result);
    s_msg_destroy (&msg);

    //  A SPAWN on a corr that a CALL holds is refused too
    corr = s_next_corr ();
    SEND (hostile, FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS (actor), FS ("sleep"), FS ("[300]"));
    SEND (hostile, FS ("ZAF1"), FS ("SPAWN"), FS (""), FC (corr), FS (""), FS ("Counter"), FS ("{}"), FS ("[]"));
    refused = answered = false;
    for (int count = 0; count < 2; count++) {
        msg = s_expect (hostile);
        cr_assert (s_frame_eq (msg, 3, corr.data, 8), "got %s", s_describe (msg));
        if (s_is (msg, "SPAWNED")) {
            s_assert_answer_error (msg, "PROTOCOL");
            refused = true;
        }
        else {
            cr_assert (s_is (msg, "REPLY") && s_answer_ok (msg));
            answered = true;
        }
        s_msg_destroy (&msg);
    }
    cr_assert (refused && answered);
    cJSON *status = s_status (hostile, "{\"actors\":true}");
    cr_assert_eq (s_jnum (status, "actors_total", -1), 1);
    cr_assert_eq (s_jnum (status, "flights", -1), 0);
    s_json_free (status);
    s_good_client_works ();
}

Test (wire, hostile_driver_sends_node_commands, .timeout = 60)
{
    s_start (NULL);
    void *hostile = s_client ("driver");
    void *cli = s_client ("cli");
    char actor [65];
    s_spawn_ok (hostile, "Counter", "{}", "[2]", actor);
    corr_t corr = s_next_corr ();
    void *peers [] = { hostile, cli };
    for (int index = 0; index < 2; index++) {
        SEND (peers [index], FS ("ZAF1"), FS ("REPLY"), FS (""), FC (corr), FS ("ok"), FS ("1"));
        s_expect_error (peers [index], "UNAUTHORIZED");
        SEND (peers [index], FS ("ZAF1"), FS ("EXIT"), FS (actor), FS ("{\"reason\":\"forged\"}"));
        s_expect_error (peers [index], "UNAUTHORIZED");
        SEND (peers [index], FS ("ZAF1"), FS ("SPAWNED"), FS (""), FC (corr), FS (actor), FS ("ok"), FS ("{}"));
        s_expect_error (peers [index], "UNAUTHORIZED");
    }
    //  The actor lives on, and both sessions too
    cr_assert_eq (s_call_number (hostile, actor, "get", "[]"), 2);
    cr_assert_eq (s_call_number (cli, actor, "add", "[1]"), 3);
    cJSON *status = s_status (cli, "{}");
    cr_assert_eq (s_counter (status, "malformed"), 6);
    s_json_free (status);
    s_good_client_works ();
}

Test (wire, hostile_fake_node_replies, .timeout = 60)
{
    s_start (NULL);
    void *node_a = s_fake_node ("fake-a", "[\"Fake\"]", true);
    void *node_b = s_fake_node ("fake-b", "[]", true);
    void *client = s_socket ();
    cJSON *welcome = s_hello (client, "driver", "{}");
    byte routing_id [255];
    size_t routing_size = s_unhex (s_jstr (welcome, "peer", ""), routing_id);
    s_json_free (welcome);

    //  Only fake-a serves Fake: the SPAWN goes there, laid out per the spec
    corr_t spawn_corr = s_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("SPAWN"), FS (""), FC (spawn_corr), FS (""), FS ("Fake"),
          FS ("{\"name\":\"faked\"}"), FS ("[1,2]"));
    wmsg_t *spawn = s_expect (node_a);
    cr_assert (s_is (spawn, "SPAWN") && spawn->count == 8, "fake-a got %s", s_describe (spawn));
    cr_assert (s_frame_eq (spawn, 2, routing_id, routing_size), "caller is the driver's routing id");
    cr_assert (s_frame_eq (spawn, 3, spawn_corr.data, 8));
    cr_assert (spawn->size [4] > 0 && spawn->size [4] <= 64);
    cr_assert_str_eq (spawn->data [5], "Fake");
    cr_assert_str_eq (spawn->data [6], "{\"name\":\"faked\"}");
    cr_assert_str_eq (spawn->data [7], "[1,2]");
    char actor [65];
    snprintf (actor, sizeof (actor), "%s", spawn->data [4]);
    //  A SPAWNED for it from fake-b is dropped (wrong peer), and fake-b told so
    SEND (node_b, FS ("ZAF1"), FS ("SPAWNED"), FB (routing_id, routing_size), FC (spawn_corr),
          FS (actor), FS ("ok"), FS ("{}"));
    s_expect_error (node_b, "PROTOCOL");
    SEND (node_a, FS ("ZAF1"), FS ("SPAWNED"), FB (routing_id, routing_size), FC (spawn_corr),
          FS (actor), FS ("ok"), FS ("{}"));
    s_msg_destroy (&spawn);
    wmsg_t *msg = s_answer (client, "SPAWNED", spawn_corr);
    cr_assert (s_answer_ok (msg));
    cr_assert_str_eq (msg->data [4], actor);
    s_msg_destroy (&msg);

    //  A CALL reaches fake-a with the caller filled in
    corr_t corr = s_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS (actor), FS ("ping"), FS ("[]"));
    wmsg_t *call = s_expect (node_a);
    cr_assert (s_is (call, "CALL") && call->count == 7, "fake-a got %s", s_describe (call));
    cr_assert (s_frame_eq (call, 2, routing_id, routing_size));
    cr_assert (s_frame_eq (call, 3, corr.data, 8));
    cr_assert_str_eq (call->data [4], actor);
    cr_assert_str_eq (call->data [5], "ping");
    s_msg_destroy (&call);

    //  fake-b answers a call it never received: dropped, and told so
    SEND (node_b, FS ("ZAF1"), FS ("REPLY"), FB (routing_id, routing_size), FC (corr),
          FS ("ok"), FS ("666"));
    s_expect_error (node_b, "PROTOCOL");
    //  The real answer from fake-a reaches the client, once
    SEND (node_a, FS ("ZAF1"), FS ("REPLY"), FB (routing_id, routing_size), FC (corr),
          FS ("ok"), FS ("42"));
    msg = s_answer (client, "REPLY", corr);
    cJSON *result = s_answer_result (msg);
    cr_assert_eq (result->valuedouble, 42);
    s_json_free (result);
    s_msg_destroy (&msg);
    //  Late answers: a second REPLY, a REPLY for nothing, a SPAWNED for nothing
    SEND (node_a, FS ("ZAF1"), FS ("REPLY"), FB (routing_id, routing_size), FC (corr),
          FS ("ok"), FS ("43"));
    corr_t random = s_corr (0xdeadbeefULL);
    SEND (node_b, FS ("ZAF1"), FS ("REPLY"), FS ("nobody"), FC (random), FS ("error"),
          FS ("{\"code\":\"METHOD_FAILED\",\"message\":\"x\"}"));
    SEND (node_a, FS ("ZAF1"), FS ("SPAWNED"), FB (routing_id, routing_size), FC (random),
          FS ("ffffffff00000001"), FS ("ok"), FS ("{}"));
    //  Each fake node's messages are handled in order: once their STATUS is
    //  answered, the late answers above have been handled
    s_json_free (s_status (node_a, "{}"));
    s_json_free (s_status (node_b, "{}"));
    //  Nothing reached the client but the answer to its own STATUS
    cJSON *status = s_status (client, "{\"actors\":true}");
    cr_assert_eq (s_counter (status, "wrong_peer"), 2);
    cr_assert_eq (s_counter (status, "late_replies"), 3);
    cr_assert_eq (s_array_size (status, "nodes"), 3);
    s_json_free (status);

    //  An EXIT from fake-b for fake-a's actor changes nothing
    SEND (node_b, FS ("ZAF1"), FS ("EXIT"), FS (actor), FS ("{\"reason\":\"forged\"}"));
    s_json_free (s_status (node_b, "{}"));
    msg = s_lookup (client, "faked");
    result = s_answer_result (msg);
    cr_assert_str_eq (s_jstr (result, "actor", ""), actor);
    cr_assert_str_eq (s_jstr (result, "node", ""), "fake-a");
    s_json_free (result);
    s_msg_destroy (&msg);
    //  An EXIT from fake-a ends it: later calls get ACTOR_DIED
    SEND (node_a, FS ("ZAF1"), FS ("EXIT"), FS (actor), FS ("{\"reason\":\"crashed\"}"));
    s_json_free (s_status (node_a, "{}"));
    msg = s_call (client, actor, "ping", "[]");
    s_assert_answer_error (msg, "ACTOR_DIED");
    cJSON *body = s_body (msg);
    cr_assert (strstr (s_jstr (body, "message", ""), "crashed"));
    s_json_free (body);
    s_msg_destroy (&msg);
    s_good_client_works ();
}

//  A node answers a SPAWN with a REPLY: the wrong kind of answer must not
//  reach the requester, whose spawn still gets its one SPAWNED
Test (wire, hostile_fake_node_answers_spawn_with_reply, .timeout = 60)
{
    s_start (NULL);
    void *node_a = s_fake_node ("fake-a", "[\"Fake\"]", true);
    void *client = s_client ("driver");
    corr_t corr = s_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("SPAWN"), FS (""), FC (corr), FS (""), FS ("Fake"),
          FS ("{\"name\":\"ghost\"}"), FS ("[]"));
    wmsg_t *spawn = s_expect (node_a);
    cr_assert (s_is (spawn, "SPAWN") && spawn->count == 8, "fake-a got %s", s_describe (spawn));
    char actor [65];
    snprintf (actor, sizeof (actor), "%s", spawn->data [4]);
    SEND (node_a, FS ("ZAF1"), FS ("REPLY"), FB (spawn->data [2], spawn->size [2]),
          FB (spawn->data [3], spawn->size [3]), FS ("ok"), FS ("{}"));
    s_expect_error (node_a, "PROTOCOL");        //  Refused: SPAWN wants SPAWNED
    SEND (node_a, FS ("ZAF1"), FS ("SPAWNED"), FB (spawn->data [2], spawn->size [2]),
          FB (spawn->data [3], spawn->size [3]), FS (actor), FS ("ok"), FS ("{}"));
    s_msg_destroy (&spawn);

    wmsg_t *msg = s_expect (client);
    cr_assert (s_is (msg, "SPAWNED"), "the SPAWN was answered with %s", s_describe (msg));
    cr_assert (s_frame_eq (msg, 3, corr.data, 8) && s_answer_ok (msg));
    cr_assert_str_eq (msg->data [4], actor);
    s_msg_destroy (&msg);
    msg = s_lookup (client, "ghost");
    cJSON *result = s_answer_result (msg);
    cr_assert_str_eq (s_jstr (result, "actor", ""), actor);
    s_json_free (result);
    s_msg_destroy (&msg);
    s_good_client_works ();
}

//  The requester of a SPAWN leaves before the SPAWNED: nobody holds the new
//  actor, so the broker kills it and its name is free again
Test (wire, spawn_orphaned_by_leaving_requester, .timeout = 60)
{
    s_start (NULL);
    void *node_a = s_fake_node ("fake-a", "[\"Fake\"]", true);
    void *client = s_client ("driver");
    corr_t corr = s_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("SPAWN"), FS (""), FC (corr), FS (""), FS ("Fake"),
          FS ("{\"name\":\"orphan\"}"), FS ("[]"));
    wmsg_t *spawn = s_expect (node_a);
    cr_assert (s_is (spawn, "SPAWN") && spawn->count == 8, "fake-a got %s", s_describe (spawn));
    char actor [65];
    snprintf (actor, sizeof (actor), "%s", spawn->data [4]);

    //  The requester says BYE; once its next message gets BYE, it is gone
    SEND (client, FS ("ZAF1"), FS ("BYE"), FS ("{\"reason\":\"leaving\"}"));
    corr_t probe = s_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("STATUS"), FS (""), FC (probe), FS ("{}"));
    wmsg_t *msg = s_expect (client);
    s_assert_bye (msg);
    s_msg_destroy (&msg);

    //  The node reports the actor ready: the broker must not keep it
    SEND (node_a, FS ("ZAF1"), FS ("SPAWNED"), FB (spawn->data [2], spawn->size [2]),
          FB (spawn->data [3], spawn->size [3]), FS (actor), FS ("ok"), FS ("{}"));
    s_msg_destroy (&spawn);
    msg = s_expect_within (node_a, 5000);
    cr_assert (msg && s_is (msg, "KILL") && msg->count == 6,
               "the orphaned actor was not killed: fake-a got %s", s_describe (msg));
    cr_assert_str_eq (msg->data [4], actor);
    cJSON *body = s_body (msg);
    cr_assert_str_eq (s_jstr (body, "reason", ""), "owner_died");
    s_json_free (body);
    s_msg_destroy (&msg);
    SEND (node_a, FS ("ZAF1"), FS ("EXIT"), FS (actor), FS ("{\"reason\":\"killed\"}"));
    s_json_free (s_status (node_a, "{}"));

    //  The name is free and the actor is forgotten
    void *other = s_client ("driver");
    char again [65];
    s_spawn_ok (other, "Counter", "{\"name\":\"orphan\"}", "[]", again);
    cJSON *status = s_status (other, "{}");
    cr_assert_eq (s_jnum (status, "actors_total", -1), 1);
    s_json_free (status);
    s_good_client_works ();
}

Test (wire, hostile_burst_of_malformed_messages, .timeout = 60)
{
    s_start (NULL);
    void *hostile = s_client ("driver");
    const int burst = 10000;
    for (int index = 0; index < burst; index++) {
        switch (index % 4) {
            case 0: SEND (hostile, FS ("garbage")); break;
            case 1: SEND (hostile, FS ("ZAF1"), FS ("FROB"), FS ("x")); break;
            case 2: SEND (hostile, FS ("ZAF1"), FS ("CALL"), FS (""), FS ("c"), FS ("a"), FS ("m")); break;
            case 3: SEND (hostile, FS ("ZAF1"), FS ("CALL"), FS (""), FS (""), FS ("a"), FS ("m"), FS ("[]")); break;
        }
    }
    corr_t corr = s_next_corr ();
    SEND (hostile, FS ("ZAF1"), FS ("STATUS"), FS (""), FC (corr), FS ("{}"));

    //  Meanwhile, with the hostile peer reading nothing, another client is served
    s_good_client_works ();

    //  The hostile peer got one ERROR per message, then its STATUS answer
    int errors = 0;
    wmsg_t *msg = NULL;
    while (true) {
        msg = s_expect (hostile);
        if (!s_is (msg, "ERROR"))
            break;
        s_assert_error (msg, "PROTOCOL");
        s_msg_destroy (&msg);
        errors++;
    }
    cr_assert (s_is (msg, "REPLY") && s_frame_eq (msg, 3, corr.data, 8), "got %s", s_describe (msg));
    cr_assert_eq (errors, burst);
    cJSON *status = s_answer_result (msg);
    cr_assert_eq (s_counter (status, "malformed"), burst);
    s_json_free (status);
    s_msg_destroy (&msg);
    //  And the hostile peer's session still works
    char actor [65];
    s_spawn_ok (hostile, "Counter", "{}", "[0]", actor);
    cr_assert_eq (s_call_number (hostile, actor, "add", "[1]"), 1);
}

Test (wire, hostile_message_over_size_limit, .timeout = 60)
{
    config_t config = { .max_message = "1048576" };
    s_start (&config);
    void *hostile = s_socket ();
    cJSON *welcome = s_hello (hostile, "driver", "{}");
    char *peer = strdup (s_jstr (welcome, "peer", ""));
    s_json_free (welcome);

    //  Watch the hostile connection for a disconnect
    char monitor_endpoint [64];
    snprintf (monitor_endpoint, sizeof (monitor_endpoint), "inproc://wire-monitor-%d", (int) getpid ());
    cr_assert_eq (zmq_socket_monitor (hostile, monitor_endpoint, ZMQ_EVENT_DISCONNECTED), 0);
    void *monitor = zmq_socket (s_ctx, ZMQ_PAIR);
    s_track (monitor);
    cr_assert_eq (zmq_connect (monitor, monitor_endpoint), 0);

    //  A good client is connected throughout
    void *good = s_client ("driver");
    char actor [65];
    s_spawn_ok (good, "Counter", "{}", "[0]", actor);

    //  A frame of 2 MB: the broker's libzmq drops the connection
    size_t size = 2 * 1024 * 1024;
    char *body = (char *) malloc (size);
    memset (body, '1', size);
    corr_t corr = s_next_corr ();
    SEND (hostile, FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS (actor), FS ("add"), FB (body, size));
    free (body);
    wmsg_t *event = s_recv (monitor, WAIT_MS);
    cr_assert_not_null (event, "the connection was not dropped");
    cr_assert_geq (event->size [0], 2);
    uint16_t kind;
    memcpy (&kind, event->data [0], 2);
    cr_assert_eq (kind, ZMQ_EVENT_DISCONNECTED);
    s_msg_destroy (&event);
    zmq_socket_monitor (hostile, NULL, 0);
    s_close (&monitor);

    //  The good client keeps working; the big call never ran
    for (int index = 1; index <= 10; index++)
        cr_assert_eq (s_call_number (good, actor, "add", "[1]"), index);
    s_good_client_works ();

    //  The hostile DEALER reconnects as a new, unknown peer
    corr = s_next_corr ();
    SEND (hostile, FS ("ZAF1"), FS ("STATUS"), FS (""), FC (corr), FS ("{}"));
    wmsg_t *msg = s_expect (hostile);
    s_assert_bye (msg);
    s_msg_destroy (&msg);
    welcome = s_hello (hostile, "driver", "{}");
    cr_assert_str_neq (s_jstr (welcome, "peer", ""), peer);
    s_json_free (welcome);
    free (peer);
    cr_assert_eq (s_call_number (hostile, actor, "add", "[1]"), 11);
}
