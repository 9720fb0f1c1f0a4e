/*  =========================================================================
    test_wire_frames - hostile frames: what the broker refuses, and how

    Messages that break the grammar of docs/PROTOCOL.md section 2: no
    signature, an unknown command or one with bytes after the word, a frame
    left out of every command, fields past their limits, a burst of
    malformed messages and a message over the size limit. Each is refused
    as the spec says, counted, and leaves the broker serving others.

    The client side is raw frames (tests/support/zt_peer): nothing here
    uses the codec or the client library. The other side is a real broker
    and node in this process. Every hostile test ends by checking that a
    well-behaved client is still served in full.
    =========================================================================
*/

#include "zt_peer.h"
#include <criterion/criterion.h>

TestSuite (wire, .fini = zt_peer_teardown, .timeout = 60);

Test (wire, hostile_no_signature, .timeout = 60)
{
    zt_peer_start (NULL);
    void *hostile = zt_peer_socket ();
    //  Before HELLO: still an ERROR, not a BYE
    SEND (hostile, FS ("hello?"));
    zt_peer_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF2"), FS ("HELLO"), FS ("driver"), FS ("{}"));
    zt_peer_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("zaf1"), FS ("STATUS"), FS (""), FS ("c"), FS ("{}"));
    zt_peer_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS (""));
    zt_peer_expect_error (hostile, "PROTOCOL");
    //  An empty delimiter first, as REQ would send
    SEND (hostile, FS (""), FS ("ZAF1"), FS ("HELLO"), FS ("driver"), FS ("{}"));
    zt_peer_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"));
    zt_peer_expect_error (hostile, "PROTOCOL");
    //  After HELLO too; the session survives
    zt_peer_json_free (zt_peer_hello (hostile, "driver", "{}"));
    SEND (hostile, FS ("ZAF1 "), FS ("STATUS"), FS (""), FS ("c"), FS ("{}"));
    zt_msg_t *msg = zt_peer_expect (hostile);
    zt_peer_assert_error (msg, "PROTOCOL");
    cJSON *body = zt_peer_body (msg);
    cr_assert (strstr (zt_peer_jstr (body, "message", ""), "signature"));
    zt_peer_json_free (body);
    zt_peer_msg_destroy (&msg);
    cJSON *status = zt_peer_status (hostile, "{}");
    cr_assert_eq (zt_peer_counter (status, "malformed"), 7);
    zt_peer_json_free (status);
    zt_peer_good_client_works ();
}

Test (wire, hostile_unknown_command, .timeout = 60)
{
    zt_peer_start (NULL);
    void *hostile = zt_peer_client ("driver");
    SEND (hostile, FS ("ZAF1"), FS ("FROB"), FS ("x"));
    zt_peer_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"), FS ("call"), FS (""), FS ("c"), FS ("a"), FS ("m"), FS ("[]"));
    zt_peer_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"), FS ("CALLS"), FS (""), FS ("c"), FS ("a"), FS ("m"), FS ("[]"));
    zt_peer_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"), FS (""));
    zt_peer_expect_error (hostile, "PROTOCOL");
    byte binary [] = { 0x00, 0xff, 0x10, 0x80 };
    SEND (hostile, FS ("ZAF1"), FB (binary, sizeof (binary)));
    zt_peer_expect_error (hostile, "PROTOCOL");
    char huge [2000];
    memset (huge, 'Z', sizeof (huge) - 1);
    huge [sizeof (huge) - 1] = 0;
    SEND (hostile, FS ("ZAF1"), FS (huge));
    zt_peer_expect_error (hostile, "PROTOCOL");
    //  A command that is only ever sent by the broker
    SEND (hostile, FS ("ZAF1"), FS ("WELCOME"), FS ("{}"));
    zt_peer_expect_error (hostile, "PROTOCOL");
    //  An ERROR sent to the broker is accepted and not answered
    SEND (hostile, FS ("ZAF1"), FS ("ERROR"), FS ("{\"code\":\"PROTOCOL\",\"message\":\"hi\"}"));
    SEND (hostile, FS ("ZAF1"), FS ("HEARTBEAT"));
    zt_peer_expect_nothing (hostile, 200);
    cJSON *status = zt_peer_status (hostile, "{}");
    cr_assert_eq (zt_peer_counter (status, "malformed"), 7);
    zt_peer_json_free (status);
    zt_peer_good_client_works ();
}

//  The command frame is the word and nothing else: bytes after it, even
//  after a NUL, make the message malformed
Test (wire, hostile_command_with_trailing_bytes, .timeout = 60)
{
    zt_peer_start (NULL);
    void *hostile = zt_peer_client ("driver");
    zt_corr_t corr = zt_peer_next_corr ();
    SEND (hostile, FS ("ZAF1"), FB ("STATUS\0junk", 11), FS (""), FC (corr), FS ("{}"));
    zt_msg_t *msg = zt_peer_expect (hostile);
    cr_assert (zt_peer_is (msg, "ERROR"), "a command frame 'STATUS\\0junk' was accepted: got %s",
               zt_peer_describe (msg));
    zt_peer_assert_error (msg, "PROTOCOL");
    zt_peer_msg_destroy (&msg);
    SEND (hostile, FS ("ZAF1"), FB ("HEARTBEAT\0", 10));
    msg = zt_peer_expect (hostile);
    cr_assert (zt_peer_is (msg, "ERROR"), "a command frame 'HEARTBEAT\\0' was accepted: got %s",
               zt_peer_describe (msg));
    zt_peer_assert_error (msg, "PROTOCOL");
    zt_peer_msg_destroy (&msg);
    zt_peer_good_client_works ();
}

//  One well-formed template per command; each test run drops one frame
typedef struct {
    const char *label;
    int count;
    zt_frame_t frames [8];
} template_t;

Test (wire, hostile_missing_frames, .timeout = 60)
{
    zt_peer_start (NULL);
    void *hostile = zt_peer_client ("driver");
    zt_corr_t corr = zt_peer_corr (77);
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
            zt_frame_t frames [8];
            int count = 0;
            for (int frame = 0; frame < template->count; frame++)
                if (frame != drop)
                    frames [count++] = template->frames [frame];
            zt_peer_send (hostile, frames, count);
            zt_msg_t *msg = zt_peer_expect (hostile);
            cr_assert (zt_peer_is (msg, "ERROR"), "%s without frame %d: got %s",
                       template->label, drop, zt_peer_describe (msg));
            zt_peer_assert_error (msg, "PROTOCOL");
            zt_peer_msg_destroy (&msg);
            sent++;
        }
        //  And one frame too many (past 16 attachments, for the commands
        //  that carry them: section 4.15)
        bool attaches = streq (template->label, "CALL") || streq (template->label, "TELL")
                     || streq (template->label, "REPLY") || streq (template->label, "SUBMIT");
        int extra = attaches ? 17 : 1;
        zt_frame_t frames [8 + 17];
        memcpy (frames, template->frames, template->count * sizeof (zt_frame_t));
        for (int index = 0; index < extra; index++)
            frames [template->count + index] = FS ("extra");
        zt_peer_send (hostile, frames, template->count + extra);
        zt_msg_t *msg = zt_peer_expect (hostile);
        cr_assert (zt_peer_is (msg, "ERROR"), "%s with %d extra frame(s): got %s",
                   template->label, extra, zt_peer_describe (msg));
        zt_peer_assert_error (msg, "PROTOCOL");
        zt_peer_msg_destroy (&msg);
        sent++;
    }
    //  Required fields left empty
    SEND (hostile, FS ("ZAF1"), FS ("CALL"), FS (""), FS (""), FS (actor), FS ("add"), FS ("[1]"));
    zt_peer_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS (""), FS ("add"), FS ("[1]"));
    zt_peer_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS (actor), FS (""), FS ("[1]"));
    zt_peer_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"), FS ("SPAWN"), FS (""), FS (""), FS (""), FS ("Counter"), FS ("{}"), FS ("[]"));
    zt_peer_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"), FS ("SUBMIT"), FS (""), FS (""), FS ("add"), FS ("[]"));
    zt_peer_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"), FS ("LOOKUP"), FS (""), FS (""), FS ("name"));
    zt_peer_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"), FS ("STATUS"), FS (""), FS (""), FS ("{}"));
    zt_peer_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"), FS ("TELL"), FS (""), FS (""), FS (""), FS ("add"), FS ("[]"));
    zt_peer_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"), FS ("KILL"), FS (""), FC (corr), FS (""), FS ("{}"));
    zt_peer_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"), FS ("HELLO"), FS (""), FS ("{}"));
    zt_peer_expect_error (hostile, "PROTOCOL");
    SEND (hostile, FS ("ZAF1"), FS ("REPLY"), FS (""), FC (corr), FS ("fine"), FS ("1"));
    zt_peer_expect_error (hostile, "PROTOCOL");
    sent += 11;

    //  The session is untouched: the peer is still known
    cJSON *status = zt_peer_status (hostile, "{}");
    cr_assert_eq (zt_peer_counter (status, "malformed"), sent);
    cr_assert_eq (zt_peer_counter (status, "unknown_peer"), 0);
    char clients [1000];
    char *text = cJSON_PrintUnformatted (cJSON_GetObjectItemCaseSensitive (status, "clients"));
    snprintf (clients, sizeof (clients), "%s", text ? text : "?");
    free (text);
    cr_assert_eq (zt_peer_array_size (status, "clients"), 1, "clients: %s", clients);
    zt_peer_json_free (status);
    zt_peer_good_client_works ();
}

Test (wire, hostile_burst_of_malformed_messages, .timeout = 60)
{
    zt_peer_start (NULL);
    void *hostile = zt_peer_client ("driver");
    const int burst = 10000;
    for (int index = 0; index < burst; index++) {
        switch (index % 4) {
            case 0: SEND (hostile, FS ("garbage")); break;
            case 1: SEND (hostile, FS ("ZAF1"), FS ("FROB"), FS ("x")); break;
            case 2: SEND (hostile, FS ("ZAF1"), FS ("CALL"), FS (""), FS ("c"), FS ("a"), FS ("m")); break;
            case 3: SEND (hostile, FS ("ZAF1"), FS ("CALL"), FS (""), FS (""), FS ("a"), FS ("m"), FS ("[]")); break;
        }
    }
    zt_corr_t corr = zt_peer_next_corr ();
    SEND (hostile, FS ("ZAF1"), FS ("STATUS"), FS (""), FC (corr), FS ("{}"));

    //  Meanwhile, with the hostile peer reading nothing, another client is served
    zt_peer_good_client_works ();

    //  The hostile peer got one ERROR per message, then its STATUS answer
    int errors = 0;
    zt_msg_t *msg = NULL;
    while (true) {
        msg = zt_peer_expect (hostile);
        if (!zt_peer_is (msg, "ERROR"))
            break;
        zt_peer_assert_error (msg, "PROTOCOL");
        zt_peer_msg_destroy (&msg);
        errors++;
    }
    cr_assert (zt_peer_is (msg, "REPLY") && zt_peer_frame_eq (msg, 3, corr.data, 8), "got %s", zt_peer_describe (msg));
    cr_assert_eq (errors, burst);
    cJSON *status = zt_peer_answer_result (msg);
    cr_assert_eq (zt_peer_counter (status, "malformed"), burst);
    zt_peer_json_free (status);
    zt_peer_msg_destroy (&msg);
    //  And the hostile peer's session still works
    char actor [65];
    zt_peer_spawn_ok (hostile, "Counter", "{}", "[0]", actor);
    cr_assert_eq (zt_peer_call_number (hostile, actor, "add", "[1]"), 1);
}

Test (wire, hostile_message_over_size_limit, .timeout = 60)
{
    zt_peer_config_t config = { .max_message = "1048576" };
    zt_peer_start (&config);
    void *hostile = zt_peer_socket ();
    cJSON *welcome = zt_peer_hello (hostile, "driver", "{}");
    char *peer = strdup (zt_peer_jstr (welcome, "peer", ""));
    zt_peer_json_free (welcome);

    //  Watch the hostile connection for a disconnect
    char monitor_endpoint [64];
    snprintf (monitor_endpoint, sizeof (monitor_endpoint), "inproc://wire-monitor-%d", (int) getpid ());
    cr_assert_eq (zmq_socket_monitor (hostile, monitor_endpoint, ZMQ_EVENT_DISCONNECTED), 0);
    void *monitor = zmq_socket (zt_peer_context (), ZMQ_PAIR);
    zt_peer_track (monitor);
    cr_assert_eq (zmq_connect (monitor, monitor_endpoint), 0);

    //  A good client is connected throughout
    void *good = zt_peer_client ("driver");
    char actor [65];
    zt_peer_spawn_ok (good, "Counter", "{}", "[0]", actor);

    //  A frame of 2 MB: the broker's libzmq drops the connection
    size_t size = 2 * 1024 * 1024;
    char *body = (char *) malloc (size);
    memset (body, '1', size);
    zt_corr_t corr = zt_peer_next_corr ();
    SEND (hostile, FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS (actor), FS ("add"), FB (body, size));
    free (body);
    zt_msg_t *event = zt_peer_recv (monitor, ZT_PEER_WAIT_MS);
    cr_assert_not_null (event, "the connection was not dropped");
    cr_assert_geq (event->size [0], 2);
    uint16_t kind;
    memcpy (&kind, event->data [0], 2);
    cr_assert_eq (kind, ZMQ_EVENT_DISCONNECTED);
    zt_peer_msg_destroy (&event);
    zmq_socket_monitor (hostile, NULL, 0);
    zt_peer_close (&monitor);

    //  The good client keeps working; the big call never ran
    for (int index = 1; index <= 10; index++)
        cr_assert_eq (zt_peer_call_number (good, actor, "add", "[1]"), index);
    zt_peer_good_client_works ();

    //  The hostile DEALER reconnects as a new, unknown peer
    corr = zt_peer_next_corr ();
    SEND (hostile, FS ("ZAF1"), FS ("STATUS"), FS (""), FC (corr), FS ("{}"));
    zt_msg_t *msg = zt_peer_expect (hostile);
    zt_peer_assert_bye (msg);
    zt_peer_msg_destroy (&msg);
    welcome = zt_peer_hello (hostile, "driver", "{}");
    cr_assert_str_neq (zt_peer_jstr (welcome, "peer", ""), peer);
    zt_peer_json_free (welcome);
    free (peer);
    cr_assert_eq (zt_peer_call_number (hostile, actor, "add", "[1]"), 11);
}

Test (wire, field_limits, .timeout = 60)
{
    zt_peer_start (NULL);
    void *client = zt_peer_client ("driver");
    char actor [65];
    zt_peer_spawn_ok (client, "Counter", "{}", "[0]", actor);

    //  corr: any bytes, 1 to 255, echoed exactly
    byte corr [256];
    for (int index = 0; index < 256; index++)
        corr [index] = (byte) (255 - index);
    size_t sizes [] = { 1, 255 };
    for (int pass = 0; pass < 2; pass++) {
        SEND (client, FS ("ZAF1"), FS ("CALL"), FS (""), FB (corr, sizes [pass]), FS (actor),
              FS ("add"), FS ("[1]"));
        zt_msg_t *reply = zt_peer_expect (client);
        cr_assert (zt_peer_is (reply, "REPLY") && zt_peer_frame_eq (reply, 3, corr, sizes [pass]));
        cr_assert (zt_peer_answer_ok (reply));
        zt_peer_msg_destroy (&reply);
        SEND (client, FS ("ZAF1"), FS ("STATUS"), FS (""), FB (corr, sizes [pass]), FS (""));
        reply = zt_peer_expect (client);
        cr_assert (zt_peer_is (reply, "REPLY") && zt_peer_frame_eq (reply, 3, corr, sizes [pass]));
        zt_peer_msg_destroy (&reply);
    }
    //  256 bytes of corr, or of caller: malformed
    SEND (client, FS ("ZAF1"), FS ("CALL"), FS (""), FB (corr, 256), FS (actor), FS ("add"), FS ("[1]"));
    zt_peer_expect_error (client, "PROTOCOL");
    SEND (client, FS ("ZAF1"), FS ("CALL"), FB (corr, 256), FB (corr, 8), FS (actor), FS ("add"), FS ("[1]"));
    zt_peer_expect_error (client, "PROTOCOL");

    //  Actor ids: 64 printable bytes is well-formed, 65 is not
    char long_id [66];
    memset (long_id, 'a', 65);
    long_id [64] = 0;
    zt_peer_call_fails (client, long_id, "get", "[]", "NO_SUCH_ACTOR");
    long_id [64] = 'a';
    long_id [65] = 0;
    SEND (client, FS ("ZAF1"), FS ("CALL"), FS (""), FB (corr, 8), FS (long_id), FS ("get"), FS ("[]"));
    zt_peer_expect_error (client, "PROTOCOL");
    SEND (client, FS ("ZAF1"), FS ("CALL"), FS (""), FB (corr, 8), FS ("with space"), FS ("get"), FS ("[]"));
    zt_peer_expect_error (client, "PROTOCOL");

    //  Names: 255 printable bytes is well-formed, 256 or a space is not
    char long_name [257];
    memset (long_name, 'm', 256);
    long_name [255] = 0;
    zt_peer_call_fails (client, actor, long_name, "[]", "NO_SUCH_METHOD");
    long_name [255] = 'm';
    long_name [256] = 0;
    SEND (client, FS ("ZAF1"), FS ("CALL"), FS (""), FB (corr, 8), FS (actor), FS (long_name), FS ("[]"));
    zt_peer_expect_error (client, "PROTOCOL");
    SEND (client, FS ("ZAF1"), FS ("CALL"), FS (""), FB (corr, 8), FS (actor), FS ("a b"), FS ("[]"));
    zt_peer_expect_error (client, "PROTOCOL");
    SEND (client, FS ("ZAF1"), FS ("LOOKUP"), FS (""), FB (corr, 8), FS ("tab\tname"));
    zt_peer_expect_error (client, "PROTOCOL");

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
        zt_msg_t *reply = zt_peer_call (client, actor, "echo", deep);
        if (depth == 100) {
            cJSON *result = zt_peer_answer_result (reply);
            zt_peer_json_free (result);
        }
        else
            zt_peer_assert_answer_error (reply, "BAD_ARGS");
        zt_peer_msg_destroy (&reply);
    }
    cr_assert_eq (zt_peer_call_number (client, actor, "get", "[]"), 2);
}
