/*  =========================================================================
    test_security - CURVE links, roles bound to keys, revocation

    Each test writes a key directory of its own (a broker key, a node key,
    two driver keys, an admin key, and keys the broker does not know),
    starts a zaf-broker with --keys on 127.0.0.1 and, where it needs one, a
    zaf-node with a node key, and connects drivers of its own in this
    process, each with the key it names. What the tests hold: a peer
    without an allowed key, or with the wrong broker key, never gets in and
    the broker's request counters do not move; a driver key cannot register
    a node, STOP the cluster, or kill another driver's actor; a revoked key
    (REVOKE, or its file removed and SIGHUP) is cut within a second and its
    calls in flight end UNAUTHORIZED; half-open TCP connections are closed
    by the handshake timeout while a driver keeps calling; a peer that lets
    libzmq pick its routing id is refused and never learns it, and squatters
    on ids of that form leave the broker serving.
    =========================================================================
*/

#include "testutil.h"
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

static char s_dir [256];            //  The allowed keys (the broker's --keys)
static char s_other [300];          //  Keys the broker does not know
static char s_empty [300];          //  An empty key directory (ZAF_KEY_DIR)

static void
s_key (const char *dir, const char *name, const char *role)
{
    zaf_error_t err;
    cr_assert_eq (zaf_auth_keygen (dir, name, role, &err), 0, "%s", err.message);
}

static const char *
s_file (const char *dir, const char *name, bool secret)
{
    static char paths [8][400];
    static int next = 0;
    char *path = paths [next++ % 8];
    snprintf (path, 400, "%s/%s.cert%s", dir, name, secret ? "_secret" : "");
    return path;
}

static void
s_setup (void)
{
    zsys_set_logstream (stderr);
    snprintf (s_dir, sizeof (s_dir), "/tmp/zaf-sec-XXXXXX");
    cr_assert_not_null (mkdtemp (s_dir));
    snprintf (s_other, sizeof (s_other), "%s-other", s_dir);
    snprintf (s_empty, sizeof (s_empty), "%s-empty", s_dir);
    zsys_dir_create ("%s", s_empty);
    setenv ("ZAF_KEY_DIR", s_empty, 1);     //  No default keys from $HOME
    unsetenv ("ZAF_KEY");
    unsetenv ("ZAF_BROKER_KEY");
    s_key (s_dir, "broker", "broker");
    s_key (s_dir, "node", "node");
    s_key (s_dir, "driver", "driver");
    s_key (s_dir, "driver2", "driver");
    s_key (s_dir, "revokee", "driver");
    s_key (s_dir, "admin", "admin");
    s_key (s_other, "stranger", "driver");
    s_key (s_other, "impostor", "broker");
}

static void
s_teardown (void)
{
    zt_cleanup ();
    zaf_auth_client_reset ();
    const char *dirs [] = { s_dir, s_other, s_empty };
    for (int index = 0; index < 3; index++) {
        zdir_t *dir = zdir_new (dirs [index], "-");
        if (dir) {
            zdir_remove (dir, true);
            zdir_destroy (&dir);
        }
    }
}

TestSuite (security, .init = s_setup, .fini = s_teardown, .timeout = 60);

//  --------------------------------------------------------------------------
//  Helpers

static zt_proc_t *
s_broker_start (char **endpoint_p)
{
    const char *argv [] = {
        zt_path ("bin", "zaf-broker"), "--bind", "tcp://127.0.0.1:0", "--keys", s_dir, NULL
    };
    zt_proc_t *broker = zt_proc_start (argv, true);
    cr_assert_not_null (broker);
    char *line = zt_proc_read_line (broker, 10000);
    cr_assert (line && strncmp (line, "listening ", 10) == 0, "broker did not start: %s",
               line ? line : "(nothing)");
    *endpoint_p = strdup (line + 10);
    free (line);
    return broker;
}

static zt_proc_t *
s_node_start (const char *endpoint)
{
    const char *argv [] = {
        zt_path ("bin", "zaf-node"), "--broker", endpoint, "--name", "n1", "--cpus", "4",
        "--module", zt_path ("lib", "libzaf_test_actors.so"),
        "--broker-key", s_file (s_dir, "broker", false),
        "--key", s_file (s_dir, "node", true), NULL
    };
    zt_proc_t *node = zt_proc_start (argv, false);
    cr_assert_not_null (node);
    return node;
}

//  Connect as role with these key files (NULL, NULL: no keys at all)
static zaf_t *
s_connect (const char *endpoint, const char *role, const char *broker_key, const char *own_key,
           zaf_error_t *err)
{
    zaf_auth_client_reset ();
    if (broker_key || own_key)
        cr_assert_eq (zaf_auth_client_set (broker_key, own_key, err), 0, "%s", err->message);
    zaf_t *z = zaf_client_connect (endpoint, role, 5000, err);
    zaf_auth_client_reset ();
    return z;
}

static zaf_t *
s_driver (const char *endpoint, const char *key)
{
    zaf_error_t err;
    zaf_t *z = s_connect (endpoint, "driver", s_file (s_dir, "broker", false),
                          s_file (s_dir, key, true), &err);
    cr_assert_not_null (z, "driver with key %s: %s", key, err.message);
    return z;
}

static zaf_t *
s_admin (const char *endpoint)
{
    zaf_error_t err;
    zaf_t *z = s_connect (endpoint, "cli", s_file (s_dir, "broker", false),
                          s_file (s_dir, "admin", true), &err);
    cr_assert_not_null (z, "admin: %s", err.message);
    return z;
}

//  The broker's counters (caller deletes)
static cJSON *
s_counters (zaf_t *admin)
{
    zaf_error_t err;
    cJSON *status = zaf_client_status (admin, NULL, 5000, &err);
    cr_assert_not_null (status, "STATUS: %s", err.message);
    cJSON *counters = cJSON_DetachItemFromObject (status, "counters");
    cJSON *clients = cJSON_GetObjectItem (status, "clients");
    cJSON *nodes = cJSON_GetObjectItem (status, "nodes");
    cJSON_AddNumberToObject (counters, "clients_now", cJSON_GetArraySize (clients));
    cJSON_AddNumberToObject (counters, "nodes_now", cJSON_GetArraySize (nodes));
    cJSON_Delete (status);
    return counters;
}

static double
s_count (const cJSON *counters, const char *name)
{
    return cJSON_GetNumberValue (cJSON_GetObjectItem (counters, name));
}

//  Requests the broker took on: every kind it counts
static double
s_accepted (const cJSON *counters)
{
    return s_count (counters, "calls") + s_count (counters, "tells") + s_count (counters, "spawns")
         + s_count (counters, "submits") + s_count (counters, "kills")
         + s_count (counters, "lookups");
}

static bool
s_has_nodes (void *arg)
{
    return zt_status_count ((zaf_t *) arg, "nodes") == 1;
}

//  --------------------------------------------------------------------------

Test (security, unknown_key_no_curve_and_wrong_broker_key_are_refused)
{
    char *endpoint;
    zt_proc_t *broker = s_broker_start (&endpoint);
    zaf_t *admin = s_admin (endpoint);
    cJSON *before = s_counters (admin);

    //  A key the broker does not know: refused by the key check, named
    zaf_error_t err;
    int64_t start = zclock_mono ();
    zaf_t *z = s_connect (endpoint, "driver", s_file (s_dir, "broker", false),
                          s_file (s_other, "stranger", true), &err);
    cr_assert_null (z);
    cr_assert_eq (err.code, ZAF_UNAUTHORIZED, "%s: %s", zaf_code_name (err.code), err.message);
    cr_assert (strstr (err.message, "refused our key"), "%s", err.message);
    cr_assert_lt (zclock_mono () - start, ZAF_AUTH_HANDSHAKE_MS + 1000);

    //  No CURVE at all
    z = s_connect (endpoint, "driver", NULL, NULL, &err);
    cr_assert_null (z);
    cr_assert_eq (err.code, ZAF_UNAUTHORIZED, "%s: %s", zaf_code_name (err.code), err.message);
    cr_assert (strstr (err.message, "requires keys"), "%s", err.message);

    //  The wrong broker key (a broker key, but not this broker's)
    z = s_connect (endpoint, "driver", s_file (s_other, "impostor", false),
                   s_file (s_dir, "driver", true), &err);
    cr_assert_null (z);
    cr_assert_eq (err.code, ZAF_UNAUTHORIZED, "%s: %s", zaf_code_name (err.code), err.message);
    cr_assert (strstr (err.message, "wrong broker key"), "%s", err.message);

    //  A raw peer that sends a CALL in plaintext gets no further
    zsock_t *raw = zsock_new_dealer (endpoint);
    zsock_set_linger (raw, 0);
    zstr_sendx (raw, "ZAF1", "CALL", "", "c1", "a1", "get", "[]", NULL);

    //  Nothing was taken on; one client (the admin) is connected
    cJSON *after = s_counters (admin);
    cr_assert_eq (s_accepted (after), s_accepted (before));
    cr_assert_eq (s_count (after, "clients_now"), 1);
    cr_assert_geq (s_count (after, "handshakes_refused"), s_count (before, "handshakes_refused") + 1);
    cJSON_Delete (before);
    cJSON_Delete (after);
    zsock_destroy (&raw);
    zaf_shutdown (&admin);
    cr_assert_eq (zt_proc_stop (&broker, SIGTERM, 5000), 0);
    free (endpoint);
}

Test (security, driver_key_cannot_register_a_node_stop_or_kill_another_drivers_actor)
{
    char *endpoint;
    zt_proc_t *broker = s_broker_start (&endpoint);
    s_node_start (endpoint);
    zaf_t *admin = s_admin (endpoint);
    cr_assert (zt_wait_until (s_has_nodes, admin, 10000), "node did not join");
    zaf_t *owner = s_driver (endpoint, "driver2");
    zaf_t *other = s_driver (endpoint, "driver");
    zaf_error_t err;
    zaf_actor_t *actor = zaf_spawn (owner, "Counter", NULL, NULL, &err);
    cr_assert_not_null (actor, "%s", err.message);
    cr_assert_eq (zt_call_number (owner, actor, "add", cJSON_Parse ("[5]"), 5000), 5);

    //  A driver key saying HELLO as a node
    zaf_t *fake = s_connect (endpoint, "node", s_file (s_dir, "broker", false),
                             s_file (s_dir, "driver", true), &err);
    cr_assert_null (fake);
    cr_assert_eq (err.code, ZAF_UNAUTHORIZED, "%s: %s", zaf_code_name (err.code), err.message);
    //  A driver key saying HELLO as the CLI is a driver still: no STOP
    zaf_t *cli = s_connect (endpoint, "cli", s_file (s_dir, "broker", false),
                            s_file (s_dir, "driver", true), &err);
    cr_assert_not_null (cli, "%s", err.message);
    cJSON *stopped = zaf_client_stop (cli, 5000, &err);
    cr_assert_null (stopped);
    cr_assert_eq (err.code, ZAF_UNAUTHORIZED, "%s: %s", zaf_code_name (err.code), err.message);
    //  And it may not kill another driver's actor, nor revoke keys
    zaf_actor_t *borrowed = zt_actor_handle (zaf_actor_id (actor));
    cr_assert_neq (zaf_kill (other, borrowed, &err), 0);
    cr_assert_eq (err.code, ZAF_UNAUTHORIZED, "%s: %s", zaf_code_name (err.code), err.message);
    cJSON *revoked = zaf_client_revoke (cli, "0123456789012345678901234567890123456789", 5000, &err);
    cr_assert_null (revoked);
    cr_assert_eq (err.code, ZAF_UNAUTHORIZED);

    //  Nothing changed: one node, the actor answers with its state
    cr_assert_eq (zt_status_count (admin, "nodes"), 1);
    cr_assert_eq (zt_call_number (owner, actor, "get", NULL, 5000), 5);
    cr_assert_eq (zt_proc_wait (broker, 0), -1, "broker ended");
    //  Its owner may kill it
    cr_assert_eq (zaf_kill (owner, actor, &err), 0, "%s", err.message);
    zaf_actor_destroy (&borrowed);
    zaf_actor_destroy (&actor);
    zaf_shutdown (&cli);
    zaf_shutdown (&other);
    zaf_shutdown (&owner);
    zaf_shutdown (&admin);
    free (endpoint);
}

//  A driver with the revokee key calls a method that takes 5 s; cut(arg)
//  revokes it; its call must end UNAUTHORIZED within a second
typedef void (cut_fn) (zt_proc_t *broker, zaf_t *admin);

static void
s_cut_live_driver (cut_fn *cut)
{
    char *endpoint;
    zt_proc_t *broker = s_broker_start (&endpoint);
    s_node_start (endpoint);
    zaf_t *admin = s_admin (endpoint);
    cr_assert (zt_wait_until (s_has_nodes, admin, 10000), "node did not join");
    zaf_t *driver = s_driver (endpoint, "revokee");
    zaf_error_t err;
    zaf_actor_t *actor = zaf_spawn (driver, "Counter", NULL, NULL, &err);
    cr_assert_not_null (actor, "%s", err.message);
    zaf_future_t *future = zaf_call (driver, actor, "sleep", cJSON_Parse ("[5000]"));
    cr_assert (zt_wait_pending (admin, zaf_actor_id (actor), 1, 5000));

    int64_t start = zclock_mono ();
    cut (broker, admin);
    cJSON *result = zaf_get (driver, &future, 3000, &err);
    int64_t took = zclock_mono () - start;
    cr_assert_null (result);
    cr_assert_eq (err.code, ZAF_UNAUTHORIZED, "%s: %s", zaf_code_name (err.code), err.message);
    cr_assert_lt (took, 1000, "cut after %d ms", (int) took);
    cr_log_info ("revoked driver's call ended UNAUTHORIZED after %d ms", (int) took);

    //  The key gets no new session; the admin still does
    zaf_t *again = s_connect (endpoint, "driver", s_file (s_dir, "broker", false),
                              s_file (s_dir, "revokee", true), &err);
    cr_assert_null (again);
    cr_assert_eq (err.code, ZAF_UNAUTHORIZED, "%s: %s", zaf_code_name (err.code), err.message);
    cr_assert_eq (zt_status_count (admin, "nodes"), 1);
    zaf_actor_destroy (&actor);
    zaf_shutdown (&driver);
    zaf_shutdown (&admin);
    free (endpoint);
}

static void
s_revoke (zt_proc_t *broker, zaf_t *admin)
{
    (void) broker;
    zaf_error_t err;
    zcert_t *cert = zcert_load (s_file (s_dir, "revokee", false));
    cr_assert_not_null (cert);
    cJSON *answer = zaf_client_revoke (admin, zcert_public_txt (cert), 5000, &err);
    cr_assert_not_null (answer, "%s", err.message);
    cr_assert_eq (cJSON_GetNumberValue (cJSON_GetObjectItem (answer, "cut")), 1);
    cJSON_Delete (answer);
    zcert_destroy (&cert);
}

static void
s_remove_and_hup (zt_proc_t *broker, zaf_t *admin)
{
    (void) admin;
    cr_assert_eq (unlink (s_file (s_dir, "revokee", false)), 0);
    cr_assert_eq (kill (zt_proc_pid (broker), SIGHUP), 0);
}

Test (security, revoke_cuts_a_live_driver_within_a_second)
{
    s_cut_live_driver (s_revoke);
}

Test (security, removed_key_file_and_sighup_cut_a_live_driver_within_a_second)
{
    s_cut_live_driver (s_remove_and_hup);
}

//  --------------------------------------------------------------------------

#define HALF_OPEN 500

Test (security, half_open_connections_are_closed_while_a_driver_keeps_calling, .timeout = 60)
{
    char *endpoint;
    zt_proc_t *broker = s_broker_start (&endpoint);
    s_node_start (endpoint);
    zaf_t *admin = s_admin (endpoint);
    cr_assert (zt_wait_until (s_has_nodes, admin, 10000), "node did not join");
    zaf_t *driver = s_driver (endpoint, "driver");
    zaf_error_t err;
    zaf_actor_t *actor = zaf_spawn (driver, "Counter", NULL, NULL, &err);
    cr_assert_not_null (actor, "%s", err.message);

    //  TCP connections that never say a word of ZMTP
    int port = atoi (strrchr (endpoint, ':') + 1);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons (port) };
    inet_pton (AF_INET, "127.0.0.1", &address.sin_addr);
    static struct pollfd fds [HALF_OPEN];
    for (int index = 0; index < HALF_OPEN; index++) {
        fds [index].fd = socket (AF_INET, SOCK_STREAM, 0);
        cr_assert_geq (fds [index].fd, 0);
        cr_assert_eq (connect (fds [index].fd, (struct sockaddr *) &address, sizeof (address)), 0,
                      "connect %d: %s", index, strerror (errno));
        fds [index].events = POLLIN;
    }
    int64_t start = zclock_mono ();
    int open = HALF_OPEN, calls = 0;
    while (open > 0 && zclock_mono () - start < ZAF_AUTH_HANDSHAKE_MS + 5000) {
        //  The driver keeps calling throughout
        cr_assert_eq (zt_call_number (driver, actor, "add", cJSON_Parse ("[1]"), 5000), calls + 1);
        calls++;
        if (poll (fds, HALF_OPEN, 5) <= 0)
            continue;
        for (int index = 0; index < HALF_OPEN; index++) {
            if (fds [index].fd < 0 || !fds [index].revents)
                continue;
            char buffer [256];
            ssize_t size = recv (fds [index].fd, buffer, sizeof (buffer), MSG_DONTWAIT);
            if (size == 0 || (size < 0 && errno != EAGAIN)) {
                close (fds [index].fd);
                fds [index].fd = -1;
                open--;
            }
        }
    }
    int64_t took = zclock_mono () - start;
    cr_log_info ("%d half-open connections closed after %d ms; %d calls meanwhile",
                 HALF_OPEN - open, (int) took, calls);
    for (int index = 0; index < HALF_OPEN; index++)
        if (fds [index].fd >= 0)
            close (fds [index].fd);
    cr_assert_eq (open, 0, "%d of %d still open after %d ms", open, HALF_OPEN, (int) took);
    cr_assert_gt (calls, 10);
    cr_assert_eq (zt_call_number (driver, actor, "get", NULL, 5000), calls);
    zaf_actor_destroy (&actor);
    zaf_shutdown (&driver);
    zaf_shutdown (&admin);
    cr_assert_eq (zt_proc_wait (broker, 0), -1, "broker ended");
    free (endpoint);
}

//  --------------------------------------------------------------------------

//  A DEALER with CURVE keys (own: NULL for none) and a routing id (NULL:
//  let the broker's libzmq generate one)
static zsock_t *
s_raw_peer (const char *endpoint, const char *own, const byte *routing_id, size_t size)
{
    zsock_t *peer = zsock_new (ZMQ_DEALER);
    zsock_set_linger (peer, 0);
    if (routing_id)
        zmq_setsockopt (zsock_resolve (peer), ZMQ_ROUTING_ID, routing_id, size);
    if (own) {
        zcert_t *cert = zcert_load (own);
        zcert_t *server = zcert_load (s_file (s_dir, "broker", false));
        cr_assert (cert && server);
        zcert_apply (cert, peer);
        zsock_set_curve_serverkey (peer, zcert_public_txt (server));
        zcert_destroy (&cert);
        zcert_destroy (&server);
    }
    cr_assert_eq (zsock_connect (peer, "%s", endpoint), 0);
    return peer;
}

//  Say HELLO as a driver; returns the answer's command word ("" if none
//  within timeout_ms) and its body in body (size bytes)
static void
s_raw_hello (zsock_t *peer, int timeout_ms, char *command, char *body, size_t size)
{
    *command = *body = 0;
    zstr_sendx (peer, "ZAF1", "HELLO", "driver", "{}", NULL);
    zpoller_t *poller = zpoller_new (peer, NULL);
    if (zpoller_wait (poller, timeout_ms)) {
        zmsg_t *answer = zmsg_recv (peer);
        char *signature = zmsg_popstr (answer);
        char *word = zmsg_popstr (answer);
        char *text = zmsg_popstr (answer);
        snprintf (command, 32, "%s", word ? word : "");
        snprintf (body, size, "%s", text ? text : "");
        zstr_free (&signature);
        zstr_free (&word);
        zstr_free (&text);
        zmsg_destroy (&answer);
    }
    zpoller_destroy (&poller);
}

//  The routing-id squat: a peer that learns the routing id libzmq gave it
//  and takes the next one for a second connection makes libzmq 4.3.4 abort
//  when a third connection gets that id. With keys, a peer that lets libzmq
//  choose its id is refused at HELLO, so no generated id is ever revealed
//  (not in WELCOME, not in STATUS); squatters guessing, with an allowed
//  key, an unknown key or none, leave the broker serving
Test (security, routing_id_collision_attempt_leaves_the_broker_serving)
{
    char *endpoint;
    zt_proc_t *broker = s_broker_start (&endpoint);
    s_node_start (endpoint);
    zaf_t *admin = s_admin (endpoint);
    cr_assert (zt_wait_until (s_has_nodes, admin, 10000), "node did not join");

    //  An allowed key, no routing id of its own: refused, told nothing
    char command [32], body [512];
    zsock_t *anonymous = s_raw_peer (endpoint, s_file (s_dir, "driver", true), NULL, 0);
    s_raw_hello (anonymous, 5000, command, body, sizeof (body));
    cr_assert_str_eq (command, "ERROR", "answered %s %s", command, body);
    cr_assert (strstr (body, "UNAUTHORIZED") && strstr (body, "routing id"), "%s", body);
    zsock_destroy (&anonymous);

    //  No peer the broker lists has an id libzmq generated
    zaf_error_t err;
    cJSON *status = zaf_client_status (admin, NULL, 5000, &err);
    cr_assert_not_null (status, "%s", err.message);
    const char *lists [] = { "clients", "nodes" };
    for (int list = 0; list < 2; list++) {
        cJSON *item;
        cJSON_ArrayForEach (item, cJSON_GetObjectItem (status, lists [list])) {
            const char *hex = cJSON_GetStringValue (cJSON_GetObjectItem (item, "peer"));
            cr_assert (hex && strncmp (hex, "00", 2), "a generated routing id is listed: %s", hex);
        }
    }
    cJSON_Delete (status);

    //  Squatters on ids of the generated form, with every kind of key
    zsock_t *squatters [30];
    const char *keys [3] = { s_file (s_dir, "driver2", true), s_file (s_other, "stranger", true),
                             NULL };
    for (int index = 0; index < 30; index++) {
        byte id [5] = { 0, 0, 0, 0, (byte) index };
        zuuid_t *uuid = zuuid_new ();
        memcpy (id + 1, zuuid_data (uuid), 3);
        zuuid_destroy (&uuid);
        squatters [index] = s_raw_peer (endpoint, keys [index % 3], id, sizeof (id));
    }
    //  The squatter with an allowed key reaches the ROUTER and is refused
    s_raw_hello (squatters [0], 5000, command, body, sizeof (body));
    cr_assert_str_eq (command, "ERROR", "answered %s %s", command, body);
    //  New connections with generated ids, and drivers: the broker serves
    for (int index = 0; index < 5; index++) {
        zsock_t *late = s_raw_peer (endpoint, s_file (s_dir, "driver", true), NULL, 0);
        s_raw_hello (late, 5000, command, body, sizeof (body));
        cr_assert_str_eq (command, "ERROR");
        zsock_destroy (&late);
        zaf_t *driver = s_driver (endpoint, "driver2");
        zaf_actor_t *actor = zaf_spawn (driver, "Counter", NULL, NULL, &err);
        cr_assert_not_null (actor, "%s", err.message);
        cr_assert_eq (zt_call_number (driver, actor, "add", cJSON_Parse ("[2]"), 5000), 2);
        zaf_actor_destroy (&actor);
        zaf_shutdown (&driver);
    }
    cr_assert_eq (zt_proc_wait (broker, 0), -1, "broker ended");
    cr_assert_eq (zt_status_count (admin, "nodes"), 1);
    for (int index = 0; index < 30; index++)
        zsock_destroy (&squatters [index]);
    zaf_shutdown (&admin);
    free (endpoint);
}

//  --------------------------------------------------------------------------

Test (security, broker_refuses_to_listen_beyond_loopback_without_keys)
{
    char *output = NULL;
    const char *open [] = { zt_path ("bin", "zaf-broker"), "--bind", "tcp://0.0.0.0:0", NULL };
    cr_assert_eq (zt_run (open, 10000, &output), 1, "%s", output);
    cr_assert (strstr (output, "refusing to listen on tcp://0.0.0.0:0 without keys"), "%s", output);
    cr_assert_null (strstr (output, "listening "), "%s", output);
    free (output);

    //  --insecure says the operator trusts the network
    const char *insecure [] = {
        zt_path ("bin", "zaf-broker"), "--bind", "tcp://0.0.0.0:0", "--insecure", NULL
    };
    zt_proc_t *broker = zt_proc_start (insecure, true);
    char *line = zt_proc_read_line (broker, 10000);
    cr_assert (line && strncmp (line, "listening tcp://", 16) == 0, "%s", line ? line : "-");
    free (line);
    cr_assert_eq (zt_proc_stop (&broker, SIGTERM, 5000), 0);

    //  A key directory without the broker's secret key: one clear line
    const char *nokey [] = {
        zt_path ("bin", "zaf-broker"), "--bind", "tcp://127.0.0.1:0", "--keys", s_other, NULL
    };
    cr_assert_eq (zt_run (nokey, 10000, &output), 1, "%s", output);
    cr_assert (strstr (output, "no broker secret key"), "%s", output);
    free (output);
}

Test (security, embedded_broker_refuses_zaf_bind_beyond_loopback)
{
    setenv ("ZAF_BIND", "tcp://0.0.0.0:0", 1);
    zaf_t *z = zaf_init (NULL);
    cr_assert_null (z, "an embedded broker listened beyond loopback without keys");
    setenv ("ZAF_INSECURE", "1", 1);
    z = zaf_init (NULL);
    cr_assert_not_null (z, "ZAF_INSECURE=1 did not allow it");
    zaf_shutdown (&z);
    unsetenv ("ZAF_INSECURE");
    unsetenv ("ZAF_BIND");
}
