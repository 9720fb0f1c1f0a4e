/*  =========================================================================
    zt_peer - a raw-frame ZAF1 peer for the wire tests

    Raw libzmq only: the point is to speak docs/PROTOCOL.md as an outside
    implementation would, so nothing here uses the codec or the client
    library. The state below is per test process (Criterion forks each
    test): our context, the broker and node actors, every socket opened and
    every message or tree not yet freed, so that teardown can free them
    even after an assertion ended the test.
    =========================================================================
*/

#include "zt_peer.h"
#include <criterion/criterion.h>

//  --------------------------------------------------------------------------
//  The cluster under test and what we opened against it

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

zt_corr_t
zt_peer_corr (uint64_t value)
{
    zt_corr_t corr;
    for (int index = 7; index >= 0; index--) {
        corr.data [index] = (byte) (value & 0xff);
        value >>= 8;
    }
    return corr;
}

zt_corr_t
zt_peer_next_corr (void)
{
    return zt_peer_corr (++s_corr_seq);
}

void
zt_peer_start (const zt_peer_config_t *config)
{
    zsys_set_logstream (stderr);
    cr_assert_eq (test_actors_register (), 0);
    s_ctx = zmq_ctx_new ();
    cr_assert_not_null (s_ctx);

    s_broker = zactor_new (zaf_broker, NULL);
    cr_assert_not_null (s_broker);
    zsock_set_rcvtimeo (zactor_sock (s_broker), ZT_PEER_WAIT_MS);
    zstr_send (s_broker, "QUIET");
    if (config && config->max_message)
        zstr_sendx (s_broker, "MAX-MESSAGE", config->max_message, NULL);
    if (config && config->heartbeat)
        zstr_sendx (s_broker, "HEARTBEAT", config->heartbeat, NULL);
    if (config && config->max_pending)
        zstr_sendx (s_broker, "MAX-PENDING", config->max_pending, NULL);
    if (config && config->id_secret) {
        zstr_sendx (s_broker, "ID-SECRET", config->id_secret, NULL);
        char *answer = zstr_recv (s_broker);
        cr_assert (answer && streq (answer, "OK"), "ID-SECRET answered %s", answer ? answer : "nothing");
        zstr_free (&answer);
    }
    zstr_sendx (s_broker, "BIND", "tcp://127.0.0.1:0", NULL);
    char *ok = NULL;
    cr_assert_eq (zstr_recvx (s_broker, &ok, &s_endpoint, NULL), 2);
    cr_assert_str_eq (ok, "OK", "BIND answered %s", ok);
    zstr_free (&ok);

    s_node = zactor_new (zaf_node, NULL);
    cr_assert_not_null (s_node);
    zsock_set_rcvtimeo (zactor_sock (s_node), ZT_PEER_WAIT_MS);
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

    int64_t deadline = zclock_mono () + ZT_PEER_WAIT_MS;
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

void
zt_peer_close (void **socket_p)
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

void
zt_peer_stop_cluster (void)
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

void
zt_peer_teardown (void)
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
            zt_peer_close (&s_sockets [index]);
    if (s_ctx) {
        zmq_ctx_term (s_ctx);
        s_ctx = NULL;
    }
    zt_peer_stop_cluster ();
    zstr_free (&s_endpoint);
}


//  --------------------------------------------------------------------------
//  The broker's endpoint and our context

const char *
zt_peer_endpoint (void)
{
    return s_endpoint;
}

void *
zt_peer_context (void)
{
    return s_ctx;
}

//  --------------------------------------------------------------------------
//  Raw sockets

//  Remember a socket so that teardown closes it
void
zt_peer_track (void *socket)
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
void *
zt_peer_socket_with_id (const char *routing_id)
{
    void *socket = zmq_socket (s_ctx, ZMQ_DEALER);
    cr_assert_not_null (socket);
    int linger = 0;
    zmq_setsockopt (socket, ZMQ_LINGER, &linger, sizeof (linger));
    if (routing_id)
        zmq_setsockopt (socket, ZMQ_ROUTING_ID, routing_id, strlen (routing_id));
    cr_assert_eq (zmq_connect (socket, s_endpoint), 0);
    zt_peer_track (socket);
    return socket;
}

void *
zt_peer_socket (void)
{
    return zt_peer_socket_with_id (NULL);
}

void
zt_peer_send (void *socket, const zt_frame_t *frames, size_t count)
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
    zt_msg_t *msg = (zt_msg_t *) item;
    for (int index = 0; index < msg->count && index < ZT_PEER_MAX_FRAMES; index++)
        free (msg->data [index]);
    free (msg);
}

void
zt_peer_msg_destroy (zt_msg_t **msg_p)
{
    if (!*msg_p)
        return;
    s_live_remove (*msg_p);
    s_msg_free (*msg_p);
    *msg_p = NULL;
}

//  Receive one whole message within timeout_ms, or NULL
zt_msg_t *
zt_peer_recv (void *socket, int timeout_ms)
{
    zmq_pollitem_t item = { socket, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (&item, 1, timeout_ms) <= 0)
        return NULL;
    zt_msg_t *msg = (zt_msg_t *) calloc (1, sizeof (zt_msg_t));
    s_live_add (msg, false);
    int more = 1;
    while (more) {
        zmq_msg_t frame;
        zmq_msg_init (&frame);
        cr_assert_neq (zmq_msg_recv (&frame, socket, 0), -1);
        if (msg->count < ZT_PEER_MAX_FRAMES) {
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
bool
zt_peer_is (const zt_msg_t *msg, const char *command)
{
    return msg && msg->count >= 2
        && msg->size [0] == 4 && memcmp (msg->data [0], "ZAF1", 4) == 0
        && streq (msg->data [1], command) && msg->size [1] == strlen (command);
}

bool
zt_peer_frame_eq (const zt_msg_t *msg, int index, const void *data, size_t size)
{
    return index < msg->count && msg->size [index] == size
        && (size == 0 || memcmp (msg->data [index], data, size) == 0);
}

//  A short description for assertion messages (static buffer)
const char *
zt_peer_describe (const zt_msg_t *msg)
{
    static char text [600];
    if (!msg)
        return "nothing";
    size_t used = 0;
    for (int index = 0; index < msg->count && index < ZT_PEER_MAX_FRAMES && used < 500; index++) {
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
zt_msg_t *
zt_peer_expect_within (void *socket, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (true) {
        int64_t remaining = deadline - zclock_mono ();
        if (remaining <= 0)
            return NULL;
        s_keep_fakes_alive ();
        zt_msg_t *msg = zt_peer_recv (socket, remaining < 250 ? (int) remaining : 250);
        if (!msg)
            continue;
        if (zt_peer_is (msg, "HEARTBEAT")) {
            cr_assert_eq (msg->count, 2, "HEARTBEAT has extra frames");
            zt_peer_msg_destroy (&msg);
            continue;
        }
        return msg;
    }
}

zt_msg_t *
zt_peer_expect (void *socket)
{
    zt_msg_t *msg = zt_peer_expect_within (socket, ZT_PEER_WAIT_MS);
    cr_assert_not_null (msg, "no message within %d ms", ZT_PEER_WAIT_MS);
    return msg;
}

//  Assert that nothing but HEARTBEATs arrives within timeout_ms
void
zt_peer_expect_nothing (void *socket, int timeout_ms)
{
    zt_msg_t *msg = zt_peer_expect_within (socket, timeout_ms);
    cr_assert_null (msg, "expected nothing, got %s", zt_peer_describe (msg));
}

//  --------------------------------------------------------------------------
//  JSON in frames, and typed getters with defaults

const char *
zt_peer_jstr (const cJSON *object, const char *key, const char *def)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive (object, key);
    return cJSON_IsString (item) ? item->valuestring : def;
}

double
zt_peer_jnum (const cJSON *object, const char *key, double def)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive (object, key);
    return cJSON_IsNumber (item) ? item->valuedouble : def;
}

bool
zt_peer_jbool (const cJSON *object, const char *key, bool def)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive (object, key);
    return cJSON_IsBool (item) ? cJSON_IsTrue (item) : def;
}

cJSON *
zt_peer_json (const zt_msg_t *msg, int index)
{
    cr_assert_lt (index, msg->count);
    cJSON *json = cJSON_ParseWithLength (msg->data [index], msg->size [index]);
    if (json)
        s_live_add (json, true);
    return json;
}

void
zt_peer_json_free (cJSON *json)
{
    if (json) {
        s_live_remove (json);
        cJSON_Delete (json);
    }
}

//  Body of an ERROR / BYE / answer: the last frame
cJSON *
zt_peer_body (const zt_msg_t *msg)
{
    return zt_peer_json (msg, msg->count - 1);
}

//  Assert the body is an error object with this code
void
zt_peer_assert_error_object (const zt_msg_t *msg, const char *code)
{
    cJSON *body = zt_peer_body (msg);
    cr_assert (cJSON_IsObject (body), "error body is not an object: %s", zt_peer_describe (msg));
    const cJSON *item = cJSON_GetObjectItemCaseSensitive (body, "code");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive (body, "message");
    cr_assert (cJSON_IsString (item), "error object without code: %s", zt_peer_describe (msg));
    cr_assert (cJSON_IsString (text), "error object without message: %s", zt_peer_describe (msg));
    cr_assert_str_eq (item->valuestring, code, "expected %s: %s", code, zt_peer_describe (msg));
    zt_peer_json_free (body);
}

//  Assert msg is ERROR with this code
void
zt_peer_assert_error (const zt_msg_t *msg, const char *code)
{
    cr_assert (zt_peer_is (msg, "ERROR"), "expected ERROR %s, got %s", code, zt_peer_describe (msg));
    cr_assert_eq (msg->count, 3, "ERROR carries one body frame: %s", zt_peer_describe (msg));
    zt_peer_assert_error_object (msg, code);
}

//  Assert msg is BYE with a reason
void
zt_peer_assert_bye (const zt_msg_t *msg)
{
    cr_assert (zt_peer_is (msg, "BYE"), "expected BYE, got %s", zt_peer_describe (msg));
    cr_assert_eq (msg->count, 3);
    cJSON *body = zt_peer_body (msg);
    cr_assert (cJSON_IsString (cJSON_GetObjectItemCaseSensitive (body, "reason")));
    zt_peer_json_free (body);
}

//  Expect the next message to be ERROR with this code
void
zt_peer_expect_error (void *socket, const char *code)
{
    zt_msg_t *msg = zt_peer_expect (socket);
    zt_peer_assert_error (msg, code);
    zt_peer_msg_destroy (&msg);
}

//  --------------------------------------------------------------------------
//  Answers: REPLY [caller][corr][status][body], SPAWNED [caller][corr][actor][status][body]

static int
s_status_index (const zt_msg_t *msg)
{
    return zt_peer_is (msg, "SPAWNED") ? 5 : 4;
}

//  Wait for the answer (REPLY or SPAWNED) to corr; anything else fails
zt_msg_t *
zt_peer_answer (void *socket, const char *command, zt_corr_t corr)
{
    zt_msg_t *msg = zt_peer_expect (socket);
    cr_assert (zt_peer_is (msg, command), "expected %s, got %s", command, zt_peer_describe (msg));
    cr_assert_eq (msg->count, streq (command, "SPAWNED") ? 7 : 6,
                  "%s frame count: %s", command, zt_peer_describe (msg));
    cr_assert (zt_peer_frame_eq (msg, 3, corr.data, 8), "corr not echoed: %s", zt_peer_describe (msg));
    return msg;
}

bool
zt_peer_answer_ok (const zt_msg_t *msg)
{
    int index = s_status_index (msg);
    cr_assert (zt_peer_frame_eq (msg, index, "ok", 2) || zt_peer_frame_eq (msg, index, "error", 5),
               "bad status frame: %s", zt_peer_describe (msg));
    return zt_peer_frame_eq (msg, index, "ok", 2);
}

void
zt_peer_assert_answer_error (const zt_msg_t *msg, const char *code)
{
    cr_assert (!zt_peer_answer_ok (msg), "expected error %s, got %s", code, zt_peer_describe (msg));
    zt_peer_assert_error_object (msg, code);
}

//  Assert an ok answer and return its body as JSON (caller deletes)
cJSON *
zt_peer_answer_result (const zt_msg_t *msg)
{
    cr_assert (zt_peer_answer_ok (msg), "expected ok, got %s", zt_peer_describe (msg));
    cJSON *result = zt_peer_body (msg);
    cr_assert_not_null (result, "answer body is not JSON: %s", zt_peer_describe (msg));
    return result;
}

//  --------------------------------------------------------------------------
//  Sessions and requests

//  Say HELLO and return the WELCOME body (caller deletes)
cJSON *
zt_peer_hello (void *socket, const char *role, const char *body)
{
    SEND (socket, FS ("ZAF1"), FS ("HELLO"), FS (role), FS (body));
    zt_msg_t *msg = zt_peer_expect (socket);
    cr_assert (zt_peer_is (msg, "WELCOME"), "HELLO %s answered %s", role, zt_peer_describe (msg));
    cr_assert_eq (msg->count, 3);
    cJSON *welcome = zt_peer_body (msg);
    cr_assert (cJSON_IsObject (welcome));
    zt_peer_msg_destroy (&msg);
    return welcome;
}

//  A connected client that said HELLO
void *
zt_peer_client (const char *role)
{
    void *socket = zt_peer_socket ();
    cJSON *welcome = zt_peer_hello (socket, role, "{\"host\":\"wire\",\"pid\":1,\"version\":1}");
    zt_peer_json_free (welcome);
    return socket;
}

//  A fake node serving the classes given as a JSON array; kept alive with
//  heartbeats while we wait on other sockets if keepalive
void *
zt_peer_fake_node (const char *name, const char *classes, bool keepalive)
{
    void *socket = zt_peer_socket ();
    char body [256];
    snprintf (body, sizeof (body),
              "{\"name\":\"%s\",\"host\":\"wire\",\"pid\":2,\"cpus\":1,"
              "\"classes\":%s,\"functions\":[]}", name, classes);
    cJSON *welcome = zt_peer_hello (socket, "node", body);
    zt_peer_json_free (welcome);
    if (keepalive)
        zt_peer_keepalive (socket);
    return socket;
}

void
zt_peer_keepalive (void *socket)
{
    for (int index = 0; index < 4; index++)
        if (!s_keepalive [index]) {
            s_keepalive [index] = socket;
            return;
        }
    cr_assert_fail ("at most 4 sockets are kept alive");
}

//  Decode the hex routing id of WELCOME's "peer" into bytes; returns size
size_t
zt_peer_unhex (const char *hex, byte *bytes)
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
zt_msg_t *
zt_peer_spawn (void *socket, const char *cls, const char *options, const char *args)
{
    zt_corr_t corr = zt_peer_next_corr ();
    SEND (socket, FS ("ZAF1"), FS ("SPAWN"), FS (""), FC (corr), FS (""), FS (cls),
          FS (options), FS (args));
    return zt_peer_answer (socket, "SPAWNED", corr);
}

//  Spawn and assert success; copies the actor id into actor (65 bytes)
void
zt_peer_spawn_ok (void *socket, const char *cls, const char *options, const char *args, char *actor)
{
    zt_msg_t *msg = zt_peer_spawn (socket, cls, options, args);
    cr_assert (zt_peer_answer_ok (msg), "spawn %s failed: %s", cls, zt_peer_describe (msg));
    cr_assert (msg->size [4] >= 1 && msg->size [4] <= 64, "bad actor id: %s", zt_peer_describe (msg));
    for (size_t c = 0; c < msg->size [4]; c++)
        cr_assert (msg->data [4] [c] >= 0x21 && msg->data [4] [c] <= 0x7e);
    cJSON *body = zt_peer_body (msg);
    cr_assert (cJSON_IsObject (body), "SPAWNED ok body is {}: %s", zt_peer_describe (msg));
    zt_peer_json_free (body);
    strcpy (actor, msg->data [4]);
    zt_peer_msg_destroy (&msg);
}

//  Call; returns the REPLY
zt_msg_t *
zt_peer_call (void *socket, const char *actor, const char *method, const char *args)
{
    zt_corr_t corr = zt_peer_next_corr ();
    SEND (socket, FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS (actor), FS (method), FS (args));
    return zt_peer_answer (socket, "REPLY", corr);
}

double
zt_peer_call_number (void *socket, const char *actor, const char *method, const char *args)
{
    zt_msg_t *msg = zt_peer_call (socket, actor, method, args);
    cJSON *result = zt_peer_answer_result (msg);
    cr_assert (cJSON_IsNumber (result), "%s did not return a number: %s", method, zt_peer_describe (msg));
    double value = result->valuedouble;
    zt_peer_json_free (result);
    zt_peer_msg_destroy (&msg);
    return value;
}

//  Call and assert an error answer with this code
void
zt_peer_call_fails (void *socket, const char *actor, const char *method, const char *args,
                    const char *code)
{
    zt_msg_t *msg = zt_peer_call (socket, actor, method, args);
    zt_peer_assert_answer_error (msg, code);
    zt_peer_msg_destroy (&msg);
}

void
zt_peer_tell (void *socket, const char *actor, const char *method, const char *args)
{
    SEND (socket, FS ("ZAF1"), FS ("TELL"), FS (""), FS (""), FS (actor), FS (method), FS (args));
}

//  Kill with a corr; returns the REPLY
zt_msg_t *
zt_peer_kill (void *socket, const char *actor)
{
    zt_corr_t corr = zt_peer_next_corr ();
    SEND (socket, FS ("ZAF1"), FS ("KILL"), FS (""), FC (corr), FS (actor),
          FS ("{\"reason\":\"killed\"}"));
    return zt_peer_answer (socket, "REPLY", corr);
}

void
zt_peer_kill_ok (void *socket, const char *actor)
{
    zt_msg_t *msg = zt_peer_kill (socket, actor);
    cJSON *result = zt_peer_answer_result (msg);
    cr_assert (cJSON_IsNull (result), "KILL answers null: %s", zt_peer_describe (msg));
    zt_peer_json_free (result);
    zt_peer_msg_destroy (&msg);
}

zt_msg_t *
zt_peer_lookup (void *socket, const char *name)
{
    zt_corr_t corr = zt_peer_next_corr ();
    SEND (socket, FS ("ZAF1"), FS ("LOOKUP"), FS (""), FC (corr), FS (name));
    return zt_peer_answer (socket, "REPLY", corr);
}

//  STATUS with a request body; returns the snapshot (caller deletes)
cJSON *
zt_peer_status (void *socket, const char *request)
{
    zt_corr_t corr = zt_peer_next_corr ();
    SEND (socket, FS ("ZAF1"), FS ("STATUS"), FS (""), FC (corr), FS (request));
    zt_msg_t *msg = zt_peer_answer (socket, "REPLY", corr);
    cJSON *status = zt_peer_answer_result (msg);
    cr_assert (cJSON_IsObject (status));
    zt_peer_msg_destroy (&msg);
    return status;
}

double
zt_peer_counter (const cJSON *status, const char *name)
{
    const cJSON *counters = cJSON_GetObjectItemCaseSensitive (status, "counters");
    const cJSON *item = cJSON_GetObjectItemCaseSensitive (counters, name);
    cr_assert (cJSON_IsNumber (item), "no counter %s", name);
    return item->valuedouble;
}

int
zt_peer_array_size (const cJSON *status, const char *name)
{
    const cJSON *array = cJSON_GetObjectItemCaseSensitive (status, name);
    cr_assert (cJSON_IsArray (array), "no array %s", name);
    return cJSON_GetArraySize (array);
}

bool
zt_peer_string_in (const cJSON *array, const char *value)
{
    const cJSON *item;
    cJSON_ArrayForEach (item, array)
        if (cJSON_IsString (item) && streq (item->valuestring, value))
            return true;
    return false;
}

//  A second, well-behaved client is served in full
void
zt_peer_good_client_works (void)
{
    void *good = zt_peer_client ("driver");
    char actor [65];
    zt_peer_spawn_ok (good, "Counter", "{}", "[0]", actor);
    for (int index = 1; index <= 20; index++)
        cr_assert_eq (zt_peer_call_number (good, actor, "add", "[1]"), index);
    zt_corr_t corr = zt_peer_next_corr ();
    SEND (good, FS ("ZAF1"), FS ("SUBMIT"), FS (""), FC (corr), FS ("add"), FS ("[2,3]"));
    zt_msg_t *msg = zt_peer_answer (good, "REPLY", corr);
    cJSON *result = zt_peer_answer_result (msg);
    cr_assert (cJSON_IsNumber (result) && result->valuedouble == 5);
    zt_peer_json_free (result);
    zt_peer_msg_destroy (&msg);
    zt_peer_kill_ok (good, actor);
    SEND (good, FS ("ZAF1"), FS ("BYE"), FS ("{\"reason\":\"leaving\"}"));
    zt_peer_close (&good);
}
