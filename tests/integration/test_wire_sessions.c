/*  =========================================================================
    test_wire_sessions - ZAF1 sessions: HELLO, WELCOME, BYE, heartbeats

    A peer's life on the wire: HELLO answered by WELCOME, BYE both ways,
    heartbeats and a peer declared lost when they stop, and the ways a
    session can start wrong (requests before HELLO, a HELLO with bad JSON
    or an unknown role, a driver sending what only nodes may send).

    The client side is raw frames (tests/support/zt_peer): nothing here
    uses the codec or the client library. The other side is a real broker
    and node in this process. Every hostile test ends by checking that a
    well-behaved client is still served in full.
    =========================================================================
*/

#include "zt_peer.h"
#include <criterion/criterion.h>
#include <ctype.h>

TestSuite (wire, .fini = zt_peer_teardown, .timeout = 60);

Test (wire, hello_driver_gets_welcome, .timeout = 60)
{
    zt_peer_start (NULL);
    void *driver = zt_peer_socket ();
    cJSON *welcome = zt_peer_hello (driver, "driver", "{\"host\":\"wire\",\"pid\":1,\"version\":1}");
    const char *peer = zt_peer_jstr (welcome, "peer", NULL);
    const char *session = zt_peer_jstr (welcome, "session", NULL);
    cr_assert_not_null (peer);
    cr_assert (strlen (peer) >= 2 && strlen (peer) <= 510 && strlen (peer) % 2 == 0);
    for (const char *c = peer; *c; c++)
        cr_assert (isxdigit ((unsigned char) *c) && !isupper ((unsigned char) *c));
    cr_assert_not_null (session);
    cr_assert_eq (strlen (session), 36);
    cr_assert_eq (zt_peer_jnum (welcome, "heartbeat_ms", 0), 1000);
    cr_assert_eq (zt_peer_jnum (welcome, "version", 0), 1);

    //  HELLO again on the same connection: a new session, same peer
    cJSON *again = zt_peer_hello (driver, "driver", "{}");
    cr_assert_str_eq (zt_peer_jstr (again, "peer", ""), peer);
    cr_assert_str_eq (zt_peer_jstr (again, "session", ""), session);
    zt_peer_json_free (again);

    //  A CLI with an explicit routing id: peer is that id in hex
    void *cli = zt_peer_socket_with_id ("wire-cli-1");
    cJSON *cli_welcome = zt_peer_hello (cli, "cli", "{\"name\":\"zaf-cli\"}");
    cr_assert_str_eq (zt_peer_jstr (cli_welcome, "peer", ""), "776972652d636c692d31");
    zt_peer_json_free (cli_welcome);

    //  Both are listed as clients
    cJSON *status = zt_peer_status (cli, "{}");
    cr_assert_eq (zt_peer_array_size (status, "clients"), 2);
    cr_assert_eq (zt_peer_array_size (status, "nodes"), 1);
    cr_assert_str_eq (zt_peer_jstr (status, "session", ""), session);
    zt_peer_json_free (status);
    zt_peer_json_free (welcome);
}

Test (wire, bye_both_ways, .timeout = 60)
{
    zt_peer_start (NULL);
    void *client = zt_peer_client ("driver");
    //  Peer says BYE: the broker forgets it, and its next request gets BYE
    SEND (client, FS ("ZAF1"), FS ("BYE"), FS ("{\"reason\":\"leaving\"}"));
    zt_corr_t corr = zt_peer_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("STATUS"), FS (""), FC (corr), FS ("{}"));
    zt_msg_t *msg = zt_peer_expect (client);
    zt_peer_assert_bye (msg);
    zt_peer_msg_destroy (&msg);
    //  It may say HELLO again on the same connection
    zt_peer_json_free (zt_peer_hello (client, "driver", "{}"));
    cJSON *status = zt_peer_status (client, "{}");
    cr_assert_eq (zt_peer_counter (status, "peers_lost"), 1);
    cr_assert_eq (zt_peer_counter (status, "unknown_peer"), 1);
    zt_peer_json_free (status);

    //  Broker stops: it says BYE to every peer
    zt_peer_stop_cluster ();
    msg = zt_peer_expect (client);
    zt_peer_assert_bye (msg);
    cJSON *body = zt_peer_body (msg);
    cr_assert_str_eq (zt_peer_jstr (body, "reason", ""), "broker stopping");
    zt_peer_json_free (body);
    zt_peer_msg_destroy (&msg);
}

Test (wire, heartbeats_and_lost_peers, .timeout = 60)
{
    zt_peer_config_t config = { .heartbeat = "500" };
    zt_peer_start (&config);
    void *client = zt_peer_socket ();
    cJSON *welcome = zt_peer_hello (client, "driver", "{}");
    cr_assert_eq (zt_peer_jnum (welcome, "heartbeat_ms", 0), 500);
    zt_peer_json_free (welcome);

    //  The broker heartbeats every interval; an idle client, silent for
    //  more than 3 intervals, is not dropped
    int beats = 0;
    int64_t deadline = zclock_mono () + ZT_PEER_WAIT_MS;
    while (beats < 5 && zclock_mono () < deadline) {
        zt_msg_t *msg = zt_peer_recv (client, 1000);
        if (msg) {
            cr_assert (zt_peer_is (msg, "HEARTBEAT") && msg->count == 2, "got %s", zt_peer_describe (msg));
            beats++;
        }
        zt_peer_msg_destroy (&msg);
    }
    cr_assert_eq (beats, 5);
    cJSON *status = zt_peer_status (client, "{}");
    cr_assert_eq (zt_peer_array_size (status, "clients"), 1);
    zt_peer_json_free (status);

    //  A node that goes silent is lost; the call it holds ends NODE_LOST
    void *fake = zt_peer_fake_node ("silent-node", "[\"Fake\"]", false);
    zt_corr_t spawn_corr = zt_peer_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("SPAWN"), FS (""), FC (spawn_corr), FS (""), FS ("Fake"),
          FS ("{}"), FS ("[]"));
    zt_msg_t *spawn = zt_peer_expect (fake);
    cr_assert (zt_peer_is (spawn, "SPAWN") && spawn->count == 8, "fake node got %s", zt_peer_describe (spawn));
    SEND (fake, FS ("ZAF1"), FS ("SPAWNED"), FB (spawn->data [2], spawn->size [2]),
          FB (spawn->data [3], spawn->size [3]), FB (spawn->data [4], spawn->size [4]),
          FS ("ok"), FS ("{}"));
    char actor [65];
    snprintf (actor, sizeof (actor), "%s", spawn->data [4]);
    zt_peer_msg_destroy (&spawn);
    zt_msg_t *msg = zt_peer_answer (client, "SPAWNED", spawn_corr);
    cr_assert (zt_peer_answer_ok (msg));
    zt_peer_msg_destroy (&msg);

    zt_corr_t corr = zt_peer_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS (actor), FS ("ping"), FS ("[]"));
    msg = zt_peer_expect (fake);
    cr_assert (zt_peer_is (msg, "CALL"), "fake node got %s", zt_peer_describe (msg));
    zt_peer_msg_destroy (&msg);
    //  ... and now the fake node says nothing more
    msg = zt_peer_answer (client, "REPLY", corr);
    zt_peer_assert_answer_error (msg, "NODE_LOST");
    zt_peer_msg_destroy (&msg);
    zt_peer_call_fails (client, actor, "ping", "[]", "ACTOR_DIED");
    //  The lost node is unknown now: anything it sends gets BYE
    SEND (fake, FS ("ZAF1"), FS ("HEARTBEAT"));
    msg = zt_peer_expect (fake);
    zt_peer_assert_bye (msg);
    zt_peer_msg_destroy (&msg);

    //  A client whose connection is gone is dropped at a heartbeat
    void *other = zt_peer_client ("driver");
    status = zt_peer_status (client, "{}");
    cr_assert_eq (zt_peer_array_size (status, "clients"), 2);
    cr_assert_eq (zt_peer_array_size (status, "nodes"), 1);
    double lost = zt_peer_counter (status, "peers_lost");
    cr_assert_geq (lost, 1);
    zt_peer_json_free (status);
    zt_peer_close (&other);
    bool dropped = false;
    deadline = zclock_mono () + ZT_PEER_WAIT_MS;
    while (!dropped && zclock_mono () < deadline) {
        zt_msg_t *beat = zt_peer_recv (client, 500);       //  Pace on heartbeats
        zt_peer_msg_destroy (&beat);
        status = zt_peer_status (client, "{}");
        dropped = zt_peer_array_size (status, "clients") == 1 && zt_peer_counter (status, "peers_lost") == lost + 1;
        zt_peer_json_free (status);
    }
    cr_assert (dropped, "a closed connection was not dropped");
    zt_peer_good_client_works ();
}

Test (wire, hostile_before_hello, .timeout = 60)
{
    zt_peer_start (NULL);
    void *stranger = zt_peer_socket ();
    zt_corr_t corr = zt_peer_next_corr ();
    SEND (stranger, FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS ("ffffffff00000001"),
          FS ("add"), FS ("[1]"));
    zt_msg_t *msg = zt_peer_expect (stranger);
    zt_peer_assert_bye (msg);
    zt_peer_msg_destroy (&msg);
    SEND (stranger, FS ("ZAF1"), FS ("STATUS"), FS (""), FC (corr), FS ("{}"));
    msg = zt_peer_expect (stranger);
    zt_peer_assert_bye (msg);
    zt_peer_msg_destroy (&msg);
    SEND (stranger, FS ("ZAF1"), FS ("SPAWN"), FS (""), FC (corr), FS (""), FS ("Counter"),
          FS ("{}"), FS ("[]"));
    msg = zt_peer_expect (stranger);
    zt_peer_assert_bye (msg);
    zt_peer_msg_destroy (&msg);
    SEND (stranger, FS ("ZAF1"), FS ("HEARTBEAT"));
    msg = zt_peer_expect (stranger);
    zt_peer_assert_bye (msg);
    zt_peer_msg_destroy (&msg);
    //  A REPLY from a stranger is not routed anywhere
    SEND (stranger, FS ("ZAF1"), FS ("REPLY"), FS (""), FC (corr), FS ("ok"), FS ("1"));
    msg = zt_peer_expect (stranger);
    zt_peer_assert_bye (msg);
    zt_peer_msg_destroy (&msg);
    //  BYE from a stranger: nothing
    SEND (stranger, FS ("ZAF1"), FS ("BYE"), FS ("{}"));
    zt_peer_expect_nothing (stranger, 200);
    //  Nothing was spawned; after HELLO the stranger is served
    zt_peer_json_free (zt_peer_hello (stranger, "driver", "{}"));
    cJSON *status = zt_peer_status (stranger, "{}");
    cr_assert_eq (zt_peer_counter (status, "unknown_peer"), 6);
    cr_assert_eq (zt_peer_jnum (status, "actors_total", -1), 0);
    zt_peer_json_free (status);
    zt_peer_good_client_works ();
}

Test (wire, hostile_hello_invalid_json, .timeout = 60)
{
    zt_peer_start (NULL);
    void *hostile = zt_peer_socket ();
    const char *bodies [] = { "{not json", "", "[1,2]", "\"driver\"", "{} trailing", "null" };
    for (size_t index = 0; index < sizeof (bodies) / sizeof (bodies [0]); index++) {
        SEND (hostile, FS ("ZAF1"), FS ("HELLO"), FS ("driver"), FS (bodies [index]));
        zt_msg_t *msg = zt_peer_expect (hostile);
        cr_assert (zt_peer_is (msg, "ERROR"), "HELLO body '%s' answered %s", bodies [index], zt_peer_describe (msg));
        zt_peer_assert_error (msg, "PROTOCOL");
        zt_peer_msg_destroy (&msg);
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
    zt_peer_expect_error (hostile, "PROTOCOL");
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
    zt_peer_expect_error (hostile, "PROTOCOL");
    //  Still unknown: requests get BYE
    zt_corr_t corr = zt_peer_next_corr ();
    SEND (hostile, FS ("ZAF1"), FS ("STATUS"), FS (""), FC (corr), FS ("{}"));
    zt_msg_t *msg = zt_peer_expect (hostile);
    zt_peer_assert_bye (msg);
    zt_peer_msg_destroy (&msg);
    //  A good HELLO on the same connection is welcome
    zt_peer_json_free (zt_peer_hello (hostile, "driver", "{}"));
    zt_peer_good_client_works ();
}

Test (wire, hostile_hello_unknown_role, .timeout = 60)
{
    zt_peer_start (NULL);
    void *hostile = zt_peer_socket ();
    const char *roles [] = { "wizard", "Driver", "NODE", "broker", "worker" };
    for (size_t index = 0; index < sizeof (roles) / sizeof (roles [0]); index++) {
        SEND (hostile, FS ("ZAF1"), FS ("HELLO"), FS (roles [index]), FS ("{}"));
        zt_peer_expect_error (hostile, "PROTOCOL");
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
        zt_msg_t *msg = zt_peer_expect (hostile);
        cr_assert (zt_peer_is (msg, "ERROR"), "node HELLO %s answered %s", nodes [index], zt_peer_describe (msg));
        zt_peer_assert_error (msg, "PROTOCOL");
        zt_peer_msg_destroy (&msg);
    }
    //  A node name already live
    SEND (hostile, FS ("ZAF1"), FS ("HELLO"), FS ("node"), FS ("{\"name\":\"wire-node\",\"classes\":[\"Counter\"]}"));
    zt_peer_expect_error (hostile, "NAME_TAKEN");

    void *client = zt_peer_client ("driver");
    cJSON *status = zt_peer_status (client, "{}");
    cr_assert_eq (zt_peer_array_size (status, "nodes"), 1);
    cr_assert_eq (zt_peer_array_size (status, "clients"), 1);
    zt_peer_json_free (status);
    zt_peer_good_client_works ();
}

Test (wire, hostile_driver_sends_node_commands, .timeout = 60)
{
    zt_peer_start (NULL);
    void *hostile = zt_peer_client ("driver");
    void *cli = zt_peer_client ("cli");
    char actor [65];
    zt_peer_spawn_ok (hostile, "Counter", "{}", "[2]", actor);
    zt_corr_t corr = zt_peer_next_corr ();
    void *peers [] = { hostile, cli };
    for (int index = 0; index < 2; index++) {
        SEND (peers [index], FS ("ZAF1"), FS ("REPLY"), FS (""), FC (corr), FS ("ok"), FS ("1"));
        zt_peer_expect_error (peers [index], "UNAUTHORIZED");
        SEND (peers [index], FS ("ZAF1"), FS ("EXIT"), FS (actor), FS ("{\"reason\":\"forged\"}"));
        zt_peer_expect_error (peers [index], "UNAUTHORIZED");
        SEND (peers [index], FS ("ZAF1"), FS ("SPAWNED"), FS (""), FC (corr), FS (actor), FS ("ok"), FS ("{}"));
        zt_peer_expect_error (peers [index], "UNAUTHORIZED");
    }
    //  The actor lives on, and both sessions too
    cr_assert_eq (zt_peer_call_number (hostile, actor, "get", "[]"), 2);
    cr_assert_eq (zt_peer_call_number (cli, actor, "add", "[1]"), 3);
    cJSON *status = zt_peer_status (cli, "{}");
    cr_assert_eq (zt_peer_counter (status, "malformed"), 6);
    zt_peer_json_free (status);
    zt_peer_good_client_works ();
}
