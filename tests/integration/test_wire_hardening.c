/*  =========================================================================
    test_wire_hardening - hostile peers against actor ids, HELLO and STATUS

    A fake node (raw frames, tests/support/zt_peer) tries to take actor ids
    by adoption: the id of a live actor, ids that look like the broker's
    but were never issued, and old-style counter ids. The broker must keep
    serving the right actors and never issue an id that someone announced.
    Then oversized and hostile HELLO class lists, and STATUS answers that
    must stay bounded in bytes however many actors and classes there are.
    The other side is a real broker and node in this process.
    =========================================================================
*/

#include "zt_peer.h"
#include "zaf_broker_ids.h"
#include <criterion/criterion.h>

TestSuite (hardening, .fini = zt_peer_teardown, .timeout = 120);

#define SECRET_HEX "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

//  The bytes of SECRET_HEX
static void
s_secret (byte *secret)
{
    for (int index = 0; index < ZAF_BROKER_SECRET_SIZE; index++) {
        unsigned int value = 0;
        sscanf (SECRET_HEX + 2 * index, "%2x", &value);
        secret [index] = (byte) value;
    }
}

//  A fake node that says it comes back after a broker restart with these
//  actors (a JSON array); returns the socket (kept alive) and the WELCOME
static void *
s_fake_returning_node (const char *name, const char *actors, cJSON **welcome_p)
{
    void *socket = zt_peer_socket ();
    size_t size = strlen (actors) + 300;
    char *body = (char *) malloc (size);
    cr_assert_not_null (body);
    snprintf (body, size,
              "{\"name\":\"%s\",\"host\":\"wire\",\"pid\":3,\"cpus\":1,\"classes\":[\"Counter\"],"
              "\"functions\":[],\"session\":\"an-earlier-run\",\"actors\":%s}", name, actors);
    *welcome_p = zt_peer_hello (socket, "node", body);
    free (body);
    zt_peer_keepalive (socket);
    return socket;
}

//  The live actor answers from the real node, and nothing reaches the fake
static void
s_assert_served_by_the_real_node (void *client, void *fake, const char *actor, double value)
{
    cr_assert_eq (zt_peer_call_number (client, actor, "get", "[]"), value);
    cr_assert_eq (zt_peer_call_number (client, actor, "add", "[1]"), value + 1);
    cr_assert_eq (zt_peer_call_number (client, actor, "add", "[-1]"), value);
    zt_peer_expect_nothing (fake, 200);
}

//  Without a secret of its own (insecure or embedded), the broker cannot
//  check an earlier run's ids: it takes any well-formed id that is free,
//  never a live one, never an old-style one, and never issues one again
Test (hardening, adoption_cannot_take_a_live_id_and_new_ids_never_collide)
{
    zt_peer_start (NULL);
    void *client = zt_peer_client ("driver");
    char live [65];
    zt_peer_spawn_ok (client, "Counter", "{\"node\":\"wire-node\"}", "[5]", live);
    cr_assert_eq (strlen (live), ZAF_BROKER_ID_SIZE, "id %s", live);

    //  Guesses: the live id; the live id with one character changed (the
    //  "next" id, as a counter scheme would have it); an old-style id; a
    //  well-formed id nobody issued
    char next [65];
    snprintf (next, sizeof (next), "%s", live);
    next [ZAF_BROKER_ID_SIZE - 1] = next [ZAF_BROKER_ID_SIZE - 1] == 'A' ? 'B' : 'A';
    const char *invented = "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ";
    char actors [600];
    snprintf (actors, sizeof (actors),
              "[{\"id\":\"%s\",\"class\":\"Counter\",\"detached\":true},"
              "{\"id\":\"%s\",\"class\":\"Counter\",\"detached\":true},"
              "{\"id\":\"5c1d2e3f00000002\",\"class\":\"Counter\",\"detached\":true},"
              "{\"id\":\"%s\",\"class\":\"Counter\",\"detached\":true}]", live, next, invented);
    cJSON *welcome;
    void *fake = s_fake_returning_node ("squatter", actors, &welcome);
    //  The live id and the old-style one are refused; the two well-formed
    //  free ids cannot be told from an earlier run's without a secret
    cr_expect_eq (zt_peer_jnum (welcome, "adopted", 0), 2);
    zt_peer_json_free (welcome);

    s_assert_served_by_the_real_node (client, fake, live, 5);

    //  New spawns never get an id that was announced
    for (int count = 0; count < 200; count++) {
        char fresh [65];
        zt_peer_spawn_ok (client, "Counter", "{\"node\":\"wire-node\"}", "[1]", fresh);
        cr_assert_eq (strlen (fresh), ZAF_BROKER_ID_SIZE);
        cr_assert_str_neq (fresh, live);
        cr_assert_str_neq (fresh, next);
        cr_assert_str_neq (fresh, invented);
    }
    s_assert_served_by_the_real_node (client, fake, live, 5);
    cJSON *status = zt_peer_status (client, "{}");
    cr_expect_eq (zt_peer_jnum (status, "actors_total", 0), 1 + 2 + 200);
    zt_peer_json_free (status);
}

//  With a secret (as a keyed broker has), only ids the broker issued under
//  that secret come back; guesses and forgeries do not
Test (hardening, with_a_secret_adoption_takes_only_ids_the_broker_issued)
{
    zt_peer_config_t config = { .id_secret = SECRET_HEX };
    zt_peer_start (&config);
    void *client = zt_peer_client ("driver");
    char live [65];
    zt_peer_spawn_ok (client, "Counter", "{\"node\":\"wire-node\"}", "[7]", live);

    //  An id the same broker issued in an earlier run (same secret)
    byte secret [ZAF_BROKER_SECRET_SIZE];
    s_secret (secret);
    zaf_broker_ids_t *earlier = zaf_broker_ids_new ();
    zaf_broker_ids_set_secret (earlier, secret);
    char ours [ZAF_BROKER_ID_SIZE + 1];
    zaf_broker_ids_fresh (earlier, ours);
    zaf_broker_ids_destroy (&earlier);
    //  Forgeries: our id with its tag changed, a made-up id, the live id
    char forged [65];
    snprintf (forged, sizeof (forged), "%s", ours);
    forged [ZAF_BROKER_ID_SIZE - 1] = forged [ZAF_BROKER_ID_SIZE - 1] == 'A' ? 'B' : 'A';
    const char *invented = "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ";
    char actors [600];
    snprintf (actors, sizeof (actors),
              "[{\"id\":\"%s\",\"class\":\"Counter\",\"detached\":true},"
              "{\"id\":\"%s\",\"class\":\"Counter\",\"detached\":true},"
              "{\"id\":\"%s\",\"class\":\"Counter\",\"detached\":true},"
              "{\"id\":\"%s\",\"class\":\"Counter\",\"detached\":true}]",
              live, forged, invented, ours);
    cJSON *welcome;
    void *node = s_fake_returning_node ("returning", actors, &welcome);
    cr_expect_eq (zt_peer_jnum (welcome, "adopted", 0), 1);
    zt_peer_json_free (welcome);

    s_assert_served_by_the_real_node (client, node, live, 7);
    zt_peer_call_fails (client, forged, "get", "[]", "NO_SUCH_ACTOR");
    zt_peer_call_fails (client, invented, "get", "[]", "NO_SUCH_ACTOR");

    //  The genuine id was adopted: its calls go to the node that brought it
    zt_corr_t corr = zt_peer_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("CALL"), FS (""), FC (corr), FS (ours), FS ("get"), FS ("[]"));
    zt_msg_t *call = zt_peer_expect (node);
    cr_assert (zt_peer_is (call, "CALL"), "the node got %s", zt_peer_describe (call));
    cr_assert_str_eq (call->data [4], ours);
    zt_peer_msg_destroy (&call);
}

//  A HELLO may list at most 1024 classes (and functions), each a valid name
Test (hardening, hello_class_lists_are_bounded_and_checked)
{
    zt_peer_start (NULL);
    //  90,000 classes, as a hostile node sent: refused, nothing registered
    size_t size = 90000 * 12 + 200;
    char *body = (char *) malloc (size);
    cr_assert_not_null (body);
    size_t used = (size_t) snprintf (body, size, "{\"name\":\"many\",\"classes\":[");
    for (int index = 0; index < 90000; index++)
        used += (size_t) snprintf (body + used, size - used, "%s\"C%d\"", index ? "," : "", index);
    snprintf (body + used, size - used, "]}");
    void *many = zt_peer_socket ();
    SEND (many, FS ("ZAF1"), FS ("HELLO"), FS ("node"), FS (body));
    zt_peer_expect_error (many, "PROTOCOL");

    //  A class name with a terminal escape in it: refused
    void *hostile = zt_peer_socket ();
    SEND (hostile, FS ("ZAF1"), FS ("HELLO"), FS ("node"),
          FS ("{\"name\":\"esc\",\"classes\":[\"Counter\\u001b[2J\"]}"));
    zt_peer_expect_error (hostile, "PROTOCOL");

    //  1024 classes: taken; STATUS lists 256 of them and says how many
    used = (size_t) snprintf (body, size, "{\"name\":\"wide\",\"classes\":[");
    for (int index = 0; index < 1024; index++)
        used += (size_t) snprintf (body + used, size - used, "%s\"C%04d\"", index ? "," : "", index);
    snprintf (body + used, size - used, "]}");
    void *wide = zt_peer_socket ();
    cJSON *welcome = zt_peer_hello (wide, "node", body);
    zt_peer_json_free (welcome);
    zt_peer_keepalive (wide);
    free (body);

    void *client = zt_peer_client ("driver");
    cJSON *status = zt_peer_status (client, "{}");
    cr_assert_eq (zt_peer_jnum (status, "nodes_total", 0), 2, "only wire-node and wide");
    const cJSON *node;
    bool seen = false;
    cJSON_ArrayForEach (node, cJSON_GetObjectItemCaseSensitive (status, "nodes"))
        if (streq (zt_peer_jstr (node, "name", ""), "wide")) {
            seen = true;
            cr_expect_eq (cJSON_GetArraySize (cJSON_GetObjectItemCaseSensitive (node, "classes")), 256);
            cr_expect_eq (zt_peer_jnum (node, "classes_total", 0), 1024);
        }
    cr_assert (seen);
    zt_peer_json_free (status);
}

//  The raw STATUS answer's body size for a request
static size_t
s_status_bytes (void *client, const char *request, cJSON **status_p)
{
    zt_corr_t corr = zt_peer_next_corr ();
    SEND (client, FS ("ZAF1"), FS ("STATUS"), FS (""), FC (corr), FS (request));
    zt_msg_t *msg = zt_peer_answer (client, "REPLY", corr);
    size_t bytes = msg->size [msg->count - 1];
    *status_p = zt_peer_answer_result (msg);
    zt_peer_msg_destroy (&msg);
    return bytes;
}

//  10,000 actors (brought by a returning node, so no threads are needed):
//  STATUS stays small by default and a page at most, whatever is asked,
//  and the pages together list every actor once
Test (hardening, status_stays_bounded_at_ten_thousand_actors)
{
    zt_peer_start (NULL);
    int total = 10000;
    zaf_broker_ids_t *ids = zaf_broker_ids_new ();
    size_t size = (size_t) total * 80 + 10;
    char *actors = (char *) malloc (size);
    cr_assert_not_null (actors);
    size_t used = (size_t) snprintf (actors, size, "[");
    for (int index = 0; index < total; index++) {
        char id [ZAF_BROKER_ID_SIZE + 1];
        zaf_broker_ids_fresh (ids, id);
        used += (size_t) snprintf (actors + used, size - used,
                                   "%s{\"id\":\"%s\",\"class\":\"Counter\",\"detached\":true}",
                                   index ? "," : "", id);
    }
    snprintf (actors + used, size - used, "]");
    zaf_broker_ids_destroy (&ids);
    cJSON *welcome;
    s_fake_returning_node ("holder", actors, &welcome);
    free (actors);
    cr_assert_eq (zt_peer_jnum (welcome, "adopted", 0), total);
    zt_peer_json_free (welcome);

    void *client = zt_peer_client ("driver");
    cJSON *status;
    size_t bytes = s_status_bytes (client, "{}", &status);
    cr_expect_eq (zt_peer_jnum (status, "actors_total", 0), total);
    cr_expect_lt (bytes, 4096, "a plain STATUS is %zu bytes", bytes);
    zt_peer_json_free (status);
    cr_log_info ("STATUS at %d actors: %zu bytes", total, bytes);

    //  Asking for everything gets one page of 1000
    bytes = s_status_bytes (client, "{\"actors\":true,\"limit\":1000000}", &status);
    cr_expect_eq (zt_peer_array_size (status, "actors"), 1000);
    cr_expect_eq (zt_peer_jnum (status, "limit", 0), 1000);
    cr_expect_lt (bytes, 200 * 1000, "a page is %zu bytes", bytes);
    zt_peer_json_free (status);
    cr_log_info ("STATUS with actors at %d actors: %zu bytes", total, bytes);

    //  The pages, walked by offset, list each actor exactly once
    zhashx_t *seen = zhashx_new ();
    for (int offset = 0; offset < total + 1000; offset += 1000) {
        char request [100];
        snprintf (request, sizeof (request), "{\"actors\":true,\"offset\":%d,\"limit\":1000}", offset);
        s_status_bytes (client, request, &status);
        const cJSON *item;
        cJSON_ArrayForEach (item, cJSON_GetObjectItemCaseSensitive (status, "actors"))
            cr_assert_eq (zhashx_insert (seen, zt_peer_jstr (item, "id", ""), (void *) 1), 0,
                          "listed twice");
        zt_peer_json_free (status);
    }
    cr_expect_eq (zhashx_size (seen), (size_t) total);
    zhashx_destroy (&seen);
}
