/*  =========================================================================
    test_cli - the zaf command-line tool against a live cluster

    Each test starts a zaf-broker on an ephemeral port and two zaf-node
    processes with the test actors, then runs the real `zaf` program as a
    child process and checks its output and exit code: status, list, call,
    kill, stop, bad usage, and a broker that cannot be reached.
    =========================================================================
*/

#include "testutil.h"
#include <criterion/criterion.h>

static void
s_setup (void)
{
    zsys_set_logstream (stderr);
}

TestSuite (cli, .init = s_setup, .fini = zt_cleanup, .timeout = 120);

//  Run `zaf ARGS... --address endpoint`; returns the exit code, output in
//  *output_p (stdout and stderr together; caller frees)
static int
s_zaf (const char *endpoint, char **output_p, ...)
{
    const char *argv [16];
    int argc = 0;
    argv [argc++] = zt_path ("bin", "zaf");
    va_list args;
    va_start (args, output_p);
    const char *arg;
    while ((arg = va_arg (args, const char *)) && argc < 12)
        argv [argc++] = arg;
    va_end (args);
    if (endpoint) {
        argv [argc++] = "--address";
        argv [argc++] = endpoint;
    }
    argv [argc] = NULL;
    return zt_run (argv, 20000, output_p);
}

static cJSON *
s_parse (const char *output)
{
    cJSON *json = cJSON_Parse (output);
    cr_assert_not_null (json, "not JSON: %s", output);
    return json;
}

Test (cli, status_shows_the_nodes_their_load_and_uptime)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 0, "n", 2, NULL);
    zaf_error_t err;
    zaf_spawn_opts_t opts = { .node = "n2" };
    zaf_actor_t *actor = zaf_spawn (cluster.z, "Counter", NULL, &opts, &err);
    cr_assert_not_null (actor, "%s", err.message);

    char *output = NULL;
    cr_assert_eq (s_zaf (cluster.endpoint, &output, "status", NULL), 0, "%s", output);
    cr_expect (strstr (output, cluster.endpoint), "no broker endpoint in:\n%s", output);
    cr_expect (strstr (output, "nodes     2"), "%s", output);
    cr_expect (strstr (output, "actors    1"), "%s", output);
    //  The node table: a header and one aligned line per node
    const char *header = strstr (output, "NODE");
    cr_assert_not_null (header, "%s", output);
    cr_expect (strstr (header, "ACTORS") && strstr (header, "UPTIME"), "%s", output);
    const char *n1 = strstr (header, "\nn1 ");
    const char *n2 = strstr (header, "\nn2 ");
    cr_assert (n1 && n2, "both nodes listed:\n%s", output);
    //  Columns line up: ACTORS starts at the same offset in every line
    size_t column = (size_t) (strstr (header, "ACTORS") - header);
    cr_expect_eq (n2 [1 + column], '1', "n2 has one actor in the ACTORS column:\n%s", output);
    cr_expect_eq (n1 [1 + column], '0', "n1 has none:\n%s", output);
    free (output);

    cr_assert_eq (s_zaf (cluster.endpoint, &output, "status", "--json", NULL), 0, "%s", output);
    cJSON *status = s_parse (output);
    cr_expect_eq (cJSON_GetArraySize (cJSON_GetObjectItem (status, "nodes")), 2);
    cr_expect_eq (zaf_json_int (status, "actors_total", -1), 1);
    cJSON_Delete (status);
    free (output);
    zaf_actor_destroy (&actor);
    cr_expect (zt_cluster_stop (&cluster), "every process stops cleanly on SIGTERM");
}

Test (cli, list_shows_actors_nodes_classes_and_functions)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 0, "n", 2, NULL);
    zaf_error_t err;
    zaf_spawn_opts_t opts = { .name = "cli-counter", .node = "n1" };
    zaf_actor_t *named = zaf_spawn (cluster.z, "Counter", NULL, &opts, &err);
    cr_assert_not_null (named, "%s", err.message);
    zaf_actor_t *plain = zaf_spawn (cluster.z, "Counter", NULL, NULL, &err);
    cr_assert_not_null (plain, "%s", err.message);

    char *output = NULL;
    cr_assert_eq (s_zaf (cluster.endpoint, &output, "list", "actors", NULL), 0, "%s", output);
    cr_expect (strstr (output, "ACTOR") && strstr (output, "CLASS"), "%s", output);
    cr_expect (strstr (output, zaf_actor_id (named)), "%s", output);
    cr_expect (strstr (output, zaf_actor_id (plain)), "%s", output);
    cr_expect (strstr (output, "cli-counter"), "%s", output);
    free (output);

    cr_assert_eq (s_zaf (cluster.endpoint, &output, "list", "actors", "--json", NULL), 0);
    cJSON *actors = s_parse (output);
    cr_expect_eq (cJSON_GetArraySize (actors), 2);
    bool found = false;
    const cJSON *item;
    cJSON_ArrayForEach (item, actors)
        if (streq (zaf_json_string (item, "id", ""), zaf_actor_id (named))) {
            found = true;
            cr_expect_str_eq (zaf_json_string (item, "node", ""), "n1");
            cr_expect_str_eq (zaf_json_string (item, "name", ""), "cli-counter");
            cr_expect_str_eq (zaf_json_string (item, "class", ""), "Counter");
        }
    cr_expect (found);
    cJSON_Delete (actors);
    free (output);

    //  --limit caps the list and says so
    cr_assert_eq (s_zaf (cluster.endpoint, &output, "list", "actors", "--limit", "1", NULL), 0);
    cr_expect (strstr (output, "1 of 2 actors shown"), "%s", output);
    free (output);

    cr_assert_eq (s_zaf (cluster.endpoint, &output, "list", "nodes", "--json", NULL), 0);
    cJSON *nodes = s_parse (output);
    cr_expect_eq (cJSON_GetArraySize (nodes), 2);
    cJSON_Delete (nodes);
    free (output);

    cr_assert_eq (s_zaf (cluster.endpoint, &output, "list", "classes", NULL), 0);
    cr_expect (strstr (output, "Counter") && strstr (output, "n1,n2"), "%s", output);
    free (output);
    cr_assert_eq (s_zaf (cluster.endpoint, &output, "list", "functions", "--json", NULL), 0);
    cJSON *functions = s_parse (output);
    cr_expect_eq (cJSON_GetArraySize (cJSON_GetObjectItem (functions, "tell_many")), 2);
    cJSON_Delete (functions);
    free (output);

    zaf_actor_destroy (&named);
    zaf_actor_destroy (&plain);
    cr_expect (zt_cluster_stop (&cluster), "every process stops cleanly on SIGTERM");
}

Test (cli, call_prints_results_and_errors)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 0, "n", 2, NULL);
    zaf_error_t err;
    zaf_spawn_opts_t opts = { .name = "cli-calls" };
    zaf_actor_t *actor = zaf_spawn (cluster.z, "Counter", NULL, &opts, &err);
    cr_assert_not_null (actor, "%s", err.message);

    char *output = NULL;
    //  By name, with an argument array
    cr_assert_eq (s_zaf (cluster.endpoint, &output, "call", "cli-calls", "add", "[5]", NULL), 0, "%s", output);
    cr_expect_str_eq (output, "5\n");
    free (output);
    //  By id, a bare value is the one argument
    cr_assert_eq (s_zaf (cluster.endpoint, &output, "call", zaf_actor_id (actor), "add", "2", NULL), 0);
    cr_expect_str_eq (output, "7\n");
    free (output);
    cr_assert_eq (s_zaf (cluster.endpoint, &output, "call", "cli-calls", "echo",
                         "[{\"a\": [1, 2]}]", "--json", NULL), 0);
    cr_expect_str_eq (output, "{\"a\":[1,2]}\n");
    free (output);
    //  The state the CLI changed is what our own driver sees
    zaf_future_t *future = zaf_call (cluster.z, actor, "get", NULL);
    cJSON *value = zaf_get (cluster.z, &future, 5000, &err);
    cr_assert_not_null (value, "%s", err.message);
    cr_expect_eq (value->valueint, 7);
    cJSON_Delete (value);

    //  Errors: printed with their code, exit 1
    cr_expect_eq (s_zaf (cluster.endpoint, &output, "call", "cli-calls", "nosuch", NULL), 1);
    cr_expect (strstr (output, "NO_SUCH_METHOD"), "%s", output);
    free (output);
    cr_expect_eq (s_zaf (cluster.endpoint, &output, "call", "cli-calls", "fail", "[\"boom\"]", NULL), 1);
    cr_expect (strstr (output, "METHOD_FAILED") && strstr (output, "boom"), "%s", output);
    free (output);
    cr_expect_eq (s_zaf (cluster.endpoint, &output, "call", "no-such-actor", "get", NULL), 1);
    cr_expect (strstr (output, "NO_SUCH_ACTOR"), "%s", output);
    free (output);
    cr_expect_eq (s_zaf (cluster.endpoint, &output, "call", "cli-calls", "fail_code",
                         "[\"OVERLOADED\", \"busy\"]", "--json", NULL), 1);
    cr_expect (strstr (output, "{\"code\":\"OVERLOADED\",\"message\":"), "%s", output);
    free (output);
    //  Bad JSON is a usage error and sends nothing
    cr_expect_eq (s_zaf (cluster.endpoint, &output, "call", "cli-calls", "add", "[5", NULL), 2);
    cr_expect (strstr (output, "not valid JSON"), "%s", output);
    free (output);
    future = zaf_call (cluster.z, actor, "get", NULL);
    value = zaf_get (cluster.z, &future, 5000, &err);
    cr_assert_not_null (value);
    cr_expect_eq (value->valueint, 7, "the failed and refused calls changed nothing");
    cJSON_Delete (value);

    zaf_actor_destroy (&actor);
    cr_expect (zt_cluster_stop (&cluster), "every process stops cleanly on SIGTERM");
}

Test (cli, kill_ends_the_actor_for_everyone)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 0, "n", 2, NULL);
    zaf_error_t err;
    zaf_spawn_opts_t opts = { .name = "cli-victim" };
    zaf_actor_t *actor = zaf_spawn (cluster.z, "Counter", NULL, &opts, &err);
    cr_assert_not_null (actor, "%s", err.message);
    zaf_actor_t *other = zaf_spawn (cluster.z, "Counter", NULL, NULL, &err);
    cr_assert_not_null (other, "%s", err.message);

    char *output = NULL;
    cr_assert_eq (s_zaf (cluster.endpoint, &output, "kill", "cli-victim", NULL), 0, "%s", output);
    cr_expect (strstr (output, "killed") && strstr (output, zaf_actor_id (actor)), "%s", output);
    free (output);
    zaf_future_t *future = zaf_call (cluster.z, actor, "get", NULL);
    cr_expect_null (zaf_get (cluster.z, &future, 5000, &err));
    cr_expect_eq (err.code, ZAF_ACTOR_DIED, "%s", err.message);
    //  By id; the other actor is untouched
    cr_expect_eq (s_zaf (cluster.endpoint, &output, "call", zaf_actor_id (actor), "get", NULL), 1);
    cr_expect (strstr (output, "ACTOR_DIED"), "%s", output);
    free (output);
    cr_assert_eq (s_zaf (cluster.endpoint, &output, "kill", zaf_actor_id (other), "--json", NULL), 0);
    cr_expect (strstr (output, "\"killed\""), "%s", output);
    free (output);
    cr_expect_eq (s_zaf (cluster.endpoint, &output, "kill", "never-there", NULL), 1);
    cr_expect (strstr (output, "NO_SUCH_ACTOR"), "%s", output);
    free (output);
    cr_assert_eq (s_zaf (cluster.endpoint, &output, "list", "actors", "--json", NULL), 0);
    cr_expect_str_eq (output, "[]\n");
    free (output);

    zaf_actor_destroy (&actor);
    zaf_actor_destroy (&other);
    cr_expect (zt_cluster_stop (&cluster), "every process stops cleanly on SIGTERM");
}

Test (cli, stop_ends_the_broker_and_every_node)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 0, "n", 2, NULL);
    zaf_error_t err;
    //  A driver may not stop the cluster; only the CLI's peer role may
    cJSON *refused = zaf_client_stop (cluster.z, 5000, &err);
    cr_expect_null (refused);
    cr_expect_eq (err.code, ZAF_UNAUTHORIZED, "%s", err.message);
    zaf_actor_t *actor = zaf_spawn (cluster.z, "Counter", NULL, NULL, &err);
    cr_assert_not_null (actor, "%s", err.message);
    zaf_future_t *pending = zaf_call (cluster.z, actor, "sleep", zaf_json ("[60000]"));

    char *output = NULL;
    cr_assert_eq (s_zaf (cluster.endpoint, &output, "stop", NULL), 0, "%s", output);
    cr_expect (strstr (output, "2 node(s)"), "%s", output);
    free (output);
    //  Broker and nodes exit by themselves, cleanly
    cr_expect_eq (zt_proc_wait (cluster.broker, 10000), 0, "broker exits 0 after zaf stop");
    cr_expect_eq (zt_proc_wait (cluster.nodes [0], 10000), 0, "node n1 exits 0 after zaf stop");
    int rc_n2 = zt_proc_wait (cluster.nodes [1], 10000);
    cr_expect_eq (rc_n2, 0, "node n2 exits 0 after zaf stop, not %d", rc_n2);
    //  Our driver's pending call ends at once
    cr_expect_null (zaf_get (cluster.z, &pending, 5000, &err));
    cr_expect_eq (err.code, ZAF_BROKER_LOST, "%s", err.message);
    zaf_future_destroy (&pending);
    //  Afterwards the CLI says the broker is unreachable
    cr_expect_eq (s_zaf (cluster.endpoint, &output, "status", "--timeout-ms", "300", NULL), 3);
    free (output);
    zaf_actor_destroy (&actor);
    cr_expect (zt_cluster_stop (&cluster), "every process stops cleanly on SIGTERM");
}

Test (cli, unreachable_broker_is_a_clear_error_in_bounded_time)
{
    //  A port nobody listens on: bind one, note it, close it
    zsock_t *probe = zsock_new (ZMQ_ROUTER);
    int port = zsock_bind (probe, "tcp://127.0.0.1:*");
    cr_assert (port > 0);
    zsock_destroy (&probe);
    char endpoint [64];
    snprintf (endpoint, sizeof (endpoint), "tcp://127.0.0.1:%d", port);

    const char *commands [][3] = {
        { "status", NULL, NULL }, { "list", "actors", NULL }, { "call", "a", "m" },
        { "kill", "a", NULL }, { "stop", NULL, NULL }
    };
    for (size_t index = 0; index < sizeof (commands) / sizeof (commands [0]); index++) {
        char *output = NULL;
        int64_t started = zclock_mono ();
        int rc = s_zaf (endpoint, &output, commands [index][0], "--timeout-ms", "400",
                        commands [index][1], commands [index][2], NULL);
        int64_t elapsed = zclock_mono () - started;
        cr_expect_eq (rc, 3, "%s: exit %d, output %s", commands [index][0], rc, output);
        cr_expect (strstr (output, "cannot reach the broker at") && strstr (output, endpoint),
                   "%s", output);
        //  Bounded: the timeout, not a hang (generous for loaded machines)
        cr_expect_lt (elapsed, 15000, "took %lld ms", (long long) elapsed);
        free (output);
    }
    //  ZAF_ADDRESS is the default address
    setenv ("ZAF_ADDRESS", endpoint, 1);
    char *output = NULL;
    cr_expect_eq (s_zaf (NULL, &output, "status", "--timeout-ms", "300", NULL), 3);
    cr_expect (strstr (output, endpoint), "%s", output);
    free (output);
    unsetenv ("ZAF_ADDRESS");
}

Test (cli, bad_usage_exits_2_with_a_message)
{
    struct { const char *args [4]; const char *says; } cases [] = {
        { { NULL }, "Usage" },
        { { "frobnicate", NULL }, "unknown command" },
        { { "list", "widgets", NULL }, "list what?" },
        { { "list", NULL }, "wrong number of arguments" },
        { { "call", "a", NULL }, "wrong number of arguments" },
        { { "status", "--nope", NULL }, "unknown option" },
        { { "status", "--timeout-ms", "abc" }, "whole number" },
        { { "status", "--address", NULL }, "--address needs" },
    };
    for (size_t index = 0; index < sizeof (cases) / sizeof (cases [0]); index++) {
        char *output = NULL;
        int rc = s_zaf (NULL, &output, cases [index].args [0], cases [index].args [1],
                        cases [index].args [2], cases [index].args [3], NULL);
        cr_expect_eq (rc, 2, "case %zu: exit %d, %s", index, rc, output);
        cr_expect (strstr (output, cases [index].says), "case %zu: %s", index, output);
        free (output);
    }
    char *output = NULL;
    cr_expect_eq (s_zaf (NULL, &output, "--help", NULL), 0);
    cr_expect (strstr (output, "zaf stop") || strstr (output, "stop"), "%s", output);
    free (output);
}

//  A node that says HELLO itself with a host name full of terminal escapes
static zsock_t *
s_hostile_node (const char *endpoint)
{
    zsock_t *socket = zsock_new (ZMQ_DEALER);
    cr_assert_not_null (socket);
    zsock_set_linger (socket, 0);
    zsock_set_rcvtimeo (socket, 10000);
    cr_assert_eq (zsock_connect (socket, "%s", endpoint), 0);
    zstr_sendx (socket, "ZAF1", "HELLO", "node",
                "{\"name\":\"evil\",\"host\":\"\\u001b[31mred\\u001b]0;title\\u0007\\nfake line\","
                "\"pid\":1,\"cpus\":1,\"classes\":[\"Counter\"],\"functions\":[]}", NULL);
    char *signature = NULL, *command = NULL, *body = NULL;
    cr_assert_eq (zstr_recvx (socket, &signature, &command, &body, NULL), 3);
    cr_assert_str_eq (command, "WELCOME");
    zstr_free (&signature);
    zstr_free (&command);
    zstr_free (&body);
    return socket;
}

Test (cli, hostile_host_names_are_printed_escaped)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 0, "n", 1, NULL);
    zsock_t *evil = s_hostile_node (cluster.endpoint);
    const char *commands [][3] = {
        { "status", NULL, NULL }, { "list", "nodes", NULL }, { "status", "--json", NULL }
    };
    for (size_t index = 0; index < sizeof (commands) / sizeof (commands [0]); index++) {
        //  Stay alive as a node meanwhile
        zstr_sendx (evil, "ZAF1", "HEARTBEAT", NULL);
        char *output = NULL;
        cr_assert_eq (s_zaf (cluster.endpoint, &output, commands [index][0], commands [index][1],
                             commands [index][2], NULL), 0, "%s", output);
        cr_expect (strstr (output, "evil"), "the node is listed:\n%s", output);
        //  No control byte reaches the terminal: the host is shown escaped
        for (const char *scan = output; *scan; scan++)
            cr_assert (*scan == '\n' || *scan == '\t' || (*scan >= 0x20 && *scan < 0x7f),
                       "raw byte 0x%02x in `zaf %s`", (unsigned char) *scan, commands [index][0]);
        if (index < 2)
            cr_expect (strstr (output, "\\x1b[31mred\\x1b]0;title\\x07\\nfake line"),
                       "escaped host in:\n%s", output);
        else
            cr_expect (strstr (output, "\\u001b[31mred\\u001b]0;title\\u0007\\nfake line"),
                       "JSON-escaped host in:\n%s", output);
        free (output);
    }
    zsock_destroy (&evil);
    cr_expect (zt_cluster_stop (&cluster));
}
