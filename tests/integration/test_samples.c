/*  =========================================================================
    test_samples - the sample drivers, run as programs, checked by output

    Each test runs a sample driver (tree_of_actors, message_actor,
    param_server, market_feed) as a real process with quick flags, captures its stdout
    and checks what it printed, not just its exit code: the tree's states
    only move RUNNING -> DONE and end all DONE, its workers are gone after
    terminate; every message arrives exactly once and in order per worker
    (parsed here from the "New messages" lines); the final params are
    -(workers x updates). With keys, a driver given --broker-key and --key
    joins a broker started with --keys, and one without keys or with an
    unknown key is refused at once, saying why. The embedded tests let each driver start its own
    cluster; the cluster tests start a zaf-broker on an ephemeral
    127.0.0.1 port and two zaf-node processes that load the sample's
    module, and run the driver with --address. Every process is tracked by
    pid and reaped in .fini.
    =========================================================================
*/

#include "testutil.h"
#include <criterion/criterion.h>
#include <signal.h>

#define DRIVER_TIMEOUT_MS 40000

static void
s_setup (void)
{
    zsys_set_logstream (stderr);
    //  The drivers join $ZAF_ADDRESS when it is set; these tests choose
    unsetenv ("ZAF_ADDRESS");
}

TestSuite (samples, .init = s_setup, .fini = zt_cleanup, .timeout = 60);

//  Run a driver to its end; returns its exit code and its stdout (caller
//  frees)
static int
s_run (const char *const *argv, char **output_p)
{
    zt_proc_t *driver = zt_proc_start (argv, true);
    cr_assert_not_null (driver, "cannot start %s", argv [0]);
    int rc = zt_proc_wait (driver, DRIVER_TIMEOUT_MS);
    char *output = zt_proc_read_all (driver, 2000);
    zt_proc_stop (&driver, SIGKILL, 1000);
    cr_assert_neq (rc, -1, "%s did not end within %d ms:\n%s", argv [0], DRIVER_TIMEOUT_MS, output);
    *output_p = output;
    return rc;
}

//  Split a Python-style list of strings, "['a', 'b']", into its items:
//  returns how many it found (at most max), each a new string in items
static int
s_parse_list (const char *text, char **items, int max)
{
    int count = 0;
    const char *start = strchr (text, '[');
    while (start && count < max) {
        const char *open = strchr (start, '\'');
        if (!open)
            break;
        const char *close = strchr (open + 1, '\'');
        if (!close)
            break;
        items [count++] = strndup (open + 1, (size_t) (close - open - 1));
        start = close + 1;
    }
    return count;
}

static void
s_free_items (char **items, int count)
{
    for (int index = 0; index < count; index++)
        free (items [index]);
}

//  The next line of output, or NULL at the end; *cursor_p moves on.
//  The line is a new string.
static char *
s_next_line (const char **cursor_p)
{
    const char *cursor = *cursor_p;
    if (!cursor || !*cursor)
        return NULL;
    const char *end = strchr (cursor, '\n');
    size_t size = end ? (size_t) (end - cursor) : strlen (cursor);
    *cursor_p = end ? end + 1 : cursor + size;
    return strndup (cursor, size);
}

static bool
s_starts (const char *line, const char *prefix)
{
    return strncmp (line, prefix, strlen (prefix)) == 0;
}

//  --------------------------------------------------------------------------
//  What each driver must have printed

//  States lines: three items each, RUNNING or DONE, a DONE never goes back,
//  the last is all DONE; the workers answer ACTOR_DIED after terminate
static void
s_check_tree_output (const char *output)
{
    bool was_done [3] = { false, false, false };
    int state_lines = 0, done_in_last = 0, died_lines = 0;
    bool terminated = false, states_after = false, checked_out = false;
    const char *cursor = output;
    char *line;
    while ((line = s_next_line (&cursor))) {
        if (s_starts (line, "States: [")) {
            char *items [4];
            int count = s_parse_list (line, items, 4);
            cr_assert_eq (count, 3, "a States line without three states: %s\n%s", line, output);
            done_in_last = 0;
            for (int index = 0; index < 3; index++) {
                bool done = streq (items [index], "DONE");
                cr_assert (done || streq (items [index], "RUNNING"),
                           "worker %d state %s\n%s", index, items [index], output);
                cr_assert (done || !was_done [index],
                           "worker %d went from DONE back to %s\n%s", index, items [index], output);
                was_done [index] = done;
                done_in_last += done;
            }
            s_free_items (items, count);
            state_lines++;
        }
        else
        if (s_starts (line, "States after terminate: [")) {
            char *items [4];
            int count = s_parse_list (line, items, 4);
            cr_assert_eq (count, 3, "%s", output);
            for (int index = 0; index < 3; index++)
                cr_assert_str_eq (items [index], "ACTOR_DIED", "%s", output);
            s_free_items (items, count);
            states_after = true;
        }
        else
        if (streq (line, "Terminated 3 workers"))
            terminated = true;
        else
        if (s_starts (line, "Worker ")) {
            char kind [8];
            cr_assert_eq (sscanf (line, "Worker %7s after terminate:", kind), 1, "%s", line);
            const char *kinds [] = { "lr", "cl", "nn" };
            cr_assert_str_eq (kind, kinds [died_lines < 3 ? died_lines : 2], "%s", output);
            cr_assert (strstr (line, ": ACTOR_DIED (as expected)"), "%s\n%s", line, output);
            died_lines++;
        }
        else
        if (streq (line, "Supervisor killed; the tree of actors checked out"))
            checked_out = true;
        free (line);
    }
    cr_assert_geq (state_lines, 1, "no States line:\n%s", output);
    cr_assert_eq (done_in_last, 3, "the last States line is not all DONE:\n%s", output);
    cr_assert (terminated, "no 'Terminated 3 workers':\n%s", output);
    cr_assert (states_after, "no 'States after terminate':\n%s", output);
    cr_assert_eq (died_lines, 3, "not three ACTOR_DIED worker lines:\n%s", output);
    cr_assert (checked_out, "no final line:\n%s", output);
}

//  Every "Message i from worker j." exactly once, i in order for each j
static void
s_check_messages_output (const char *output, int workers, int messages)
{
    int next [16] = { 0 };
    cr_assert_leq (workers, 16);
    int total = 0;
    const char *cursor = output;
    char *line;
    while ((line = s_next_line (&cursor))) {
        if (s_starts (line, "New messages: [")) {
            char *items [256];
            int count = s_parse_list (line, items, 256);
            cr_assert_gt (count, 0, "an empty New messages line: %s", line);
            for (int index = 0; index < count; index++) {
                int message = -1, worker = -1, consumed = 0;
                int fields = sscanf (items [index], "Message %d from worker %d.%n",
                                     &message, &worker, &consumed);
                cr_assert (fields == 2 && consumed > 0 && items [index][consumed] == 0,
                           "not a message: '%s'", items [index]);
                cr_assert (worker >= 0 && worker < workers, "unknown worker %d\n%s",
                           worker, output);
                cr_assert_eq (message, next [worker],
                              "worker %d: message %d came where %d was due\n%s",
                              worker, message, next [worker], output);
                next [worker]++;
                total++;
            }
            s_free_items (items, count);
        }
        free (line);
    }
    for (int worker = 0; worker < workers; worker++)
        cr_assert_eq (next [worker], messages, "worker %d: %d of %d messages\n%s",
                      worker, next [worker], messages, output);
    cr_assert_eq (total, workers * messages, "%s", output);
    char summary [160];
    snprintf (summary, sizeof (summary),
              "%d workers sent %d messages; received %d of %d, each exactly once and in order per worker",
              workers, workers * messages, workers * messages, workers * messages);
    cr_assert (strstr (output, summary), "no summary '%s':\n%s", summary, output);
}

//  "Final params: [-15. -15. ...]": ten of them, each the expected value
static void
s_check_params_output (const char *output, double expected)
{
    const char *final = strstr (output, "Final params: [");
    cr_assert_not_null (final, "no Final params:\n%s", output);
    const char *cursor = final + strlen ("Final params: [");
    int count = 0;
    while (*cursor && *cursor != ']') {
        char *end = NULL;
        double value = strtod (cursor, &end);
        cr_assert (end != cursor, "bad number at '%.20s'\n%s", cursor, output);
        cr_assert_eq (value, expected, "param %d is %g, not %g\n%s", count, value, expected, output);
        count++;
        cursor = end;
        while (*cursor == '.' || *cursor == ' ')
            cursor++;
    }
    cr_assert_eq (count, 10, "%d params\n%s", count, output);
}

//  --------------------------------------------------------------------------
//  Embedded: each driver starts its own cluster

Test (samples, tree_of_actors_embedded)
{
    const char *argv [] = {
        zt_path ("bin", "tree_of_actors"), "--duration-ms", "300", "--poll-ms", "50", NULL
    };
    char *output;
    int rc = s_run (argv, &output);
    cr_assert_eq (rc, 0, "tree_of_actors exited %d:\n%s", rc, output);
    cr_assert (strstr (output, "Actors per node: embedded=4"), "%s", output);
    s_check_tree_output (output);
    free (output);
}

Test (samples, message_actor_embedded)
{
    const char *argv [] = {
        zt_path ("bin", "message_actor"), "--workers", "3", "--messages", "10",
        "--interval-ms", "10", "--poll-ms", "30", NULL
    };
    char *output;
    int rc = s_run (argv, &output);
    cr_assert_eq (rc, 0, "message_actor exited %d:\n%s", rc, output);
    s_check_messages_output (output, 3, 10);
    free (output);
}

Test (samples, param_server_embedded)
{
    const char *argv [] = {
        zt_path ("bin", "param_server"), "--workers", "3", "--updates", "5",
        "--interval-ms", "10", "--polls", "2", NULL
    };
    char *output;
    int rc = s_run (argv, &output);
    cr_assert_eq (rc, 0, "param_server exited %d:\n%s", rc, output);
    s_check_params_output (output, -15);
    free (output);
}

Test (samples, drivers_refuse_bad_flags)
{
    const char *drivers [] = { "tree_of_actors", "message_actor", "market_feed" };
    const char *bad [][3] = {
        { "--bogus", NULL, NULL },
        { "--poll-ms", "0", NULL },
        { "--poll-ms", "12x", NULL },
        { "--poll-ms", NULL, NULL },
        { "--address", NULL, NULL },
    };
    for (size_t driver = 0; driver < sizeof (drivers) / sizeof (drivers [0]); driver++) {
        for (size_t index = 0; index < sizeof (bad) / sizeof (bad [0]); index++) {
            const char *argv [] = { zt_path ("bin", drivers [driver]), bad [index][0],
                                    bad [index][1], NULL };
            char *output;
            int rc = s_run (argv, &output);
            cr_assert_eq (rc, 2, "%s %s %s exited %d", drivers [driver], bad [index][0],
                          bad [index][1] ? bad [index][1] : "", rc);
            cr_assert_str_empty (output, "usage errors go to stderr: %s", output);
            free (output);
        }
        const char *argv [] = { zt_path ("bin", drivers [driver]), "--help", NULL };
        char *output;
        int rc = s_run (argv, &output);
        cr_assert_eq (rc, 0);
        cr_assert (s_starts (output, "Usage: "), "%s", output);
        free (output);
    }
}

//  Ctrl-C while the driver waits: it stops at once with 130
static void
s_interrupt (const char *const *argv, const char *wait_for)
{
    zt_proc_t *driver = zt_proc_start (argv, true);
    cr_assert_not_null (driver);
    char *line = NULL;
    while ((line = zt_proc_read_line (driver, 10000)) && !s_starts (line, wait_for))
        free (line);
    cr_assert_not_null (line, "%s never printed '%s'", argv [0], wait_for);
    free (line);
    kill (zt_proc_pid (driver), SIGINT);
    int64_t started = zclock_mono ();
    int rc = zt_proc_wait (driver, 10000);
    cr_assert_eq (rc, 130, "%s exited %d after SIGINT", argv [0], rc);
    cr_assert_lt (zclock_mono () - started, 5000, "took %" PRId64 " ms to stop",
                  zclock_mono () - started);
    zt_proc_stop (&driver, 0, 100);
}

Test (samples, drivers_stop_on_sigint)
{
    const char *tree [] = {
        zt_path ("bin", "tree_of_actors"), "--duration-ms", "60000", "--poll-ms", "50", NULL
    };
    s_interrupt (tree, "States: ");
    //  The workers pause 60 s between messages: Ctrl-C must not wait for that
    const char *message [] = {
        zt_path ("bin", "message_actor"), "--interval-ms", "60000", "--poll-ms", "30", NULL
    };
    s_interrupt (message, "New messages: ");
}

//  --------------------------------------------------------------------------
//  Cluster: a zaf-broker and two zaf-node processes loading the module

Test (samples, tree_of_actors_against_two_nodes)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 0, "n", 2, zt_path ("lib", "libtree_of_actors.so"));
    const char *argv [] = {
        zt_path ("bin", "tree_of_actors"), "--address", cluster.endpoint,
        "--duration-ms", "300", "--poll-ms", "50", NULL
    };
    char *output;
    int rc = s_run (argv, &output);
    cr_assert_eq (rc, 0, "tree_of_actors exited %d:\n%s", rc, output);
    s_check_tree_output (output);
    //  Fewest actors first: the supervisor and its workers spread 2 + 2
    const char *placement = strstr (output, "Actors per node:");
    cr_assert_not_null (placement, "%s", output);
    cr_assert (strstr (placement, " n1=2") && strstr (placement, " n2=2"), "%s", output);
    free (output);
    cr_expect (zt_cluster_stop (&cluster), "every process stops cleanly on SIGTERM");
}

Test (samples, message_actor_against_two_nodes)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 0, "n", 2, zt_path ("lib", "libmessage_actor.so"));
    const char *argv [] = {
        zt_path ("bin", "message_actor"), "--address", cluster.endpoint, "--workers", "3",
        "--messages", "10", "--interval-ms", "10", "--poll-ms", "30", NULL
    };
    char *output;
    int rc = s_run (argv, &output);
    cr_assert_eq (rc, 0, "message_actor exited %d:\n%s", rc, output);
    s_check_messages_output (output, 3, 10);
    free (output);
    cr_expect (zt_cluster_stop (&cluster), "every process stops cleanly on SIGTERM");
}

Test (samples, param_server_against_two_nodes)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 0, "n", 2, zt_path ("lib", "libparam_server.so"));
    const char *argv [] = {
        zt_path ("bin", "param_server"), "--address", cluster.endpoint, "--workers", "3",
        "--updates", "5", "--interval-ms", "10", "--polls", "2", NULL
    };
    char *output;
    int rc = s_run (argv, &output);
    cr_assert_eq (rc, 0, "param_server exited %d:\n%s", rc, output);
    s_check_params_output (output, -15);
    free (output);
    cr_expect (zt_cluster_stop (&cluster), "every process stops cleanly on SIGTERM");
}

//  --------------------------------------------------------------------------
//  A secured cluster: the drivers' --broker-key and --key

//  Run a driver with its stderr in the captured output (through sh)
static int
s_run_both (const char *const *argv, char **output_p)
{
    const char *shell [24] = { "/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1" };
    size_t count = 3;
    for (size_t index = 0; argv [index] && count < 23; index++)
        shell [count++] = argv [index];
    shell [count] = NULL;
    return s_run (shell, output_p);
}

static const char *
s_key_file (const char *dir, const char *name, bool secret)
{
    static char paths [8][400];
    static int next = 0;
    char *path = paths [next++ % 8];
    snprintf (path, 400, "%s/%s.cert%s", dir, name, secret ? "_secret" : "");
    return path;
}

static void
s_remove_dir (const char *path)
{
    zdir_t *dir = zdir_new (path, "-");
    if (dir) {
        zdir_remove (dir, true);
        zdir_destroy (&dir);
    }
}

Test (samples, drivers_take_key_flags_for_a_secured_cluster)
{
    //  Keys: the cluster's, one the broker does not know, and an empty
    //  key directory so that nothing comes from $HOME
    char dir [64], other [80], empty [80];
    snprintf (dir, sizeof (dir), "/tmp/zaf-samples-keys-XXXXXX");
    cr_assert_not_null (mkdtemp (dir));
    snprintf (other, sizeof (other), "%s-other", dir);
    snprintf (empty, sizeof (empty), "%s-empty", dir);
    zsys_dir_create ("%s", empty);
    setenv ("ZAF_KEY_DIR", empty, 1);
    unsetenv ("ZAF_KEY");
    unsetenv ("ZAF_BROKER_KEY");
    const char *keys [][3] = {
        { dir, "broker", "broker" }, { dir, "node", "node" }, { dir, "driver", "driver" },
        { other, "stranger", "driver" }
    };
    for (size_t index = 0; index < sizeof (keys) / sizeof (keys [0]); index++) {
        zaf_error_t err;
        cr_assert_eq (zaf_auth_keygen (keys [index][0], keys [index][1], keys [index][2], &err), 0,
                      "%s", err.message);
    }

    //  A broker with --keys and a node with its node key
    const char *broker_argv [] = {
        zt_path ("bin", "zaf-broker"), "--bind", "tcp://127.0.0.1:0", "--keys", dir, NULL
    };
    zt_proc_t *broker = zt_proc_start (broker_argv, true);
    cr_assert_not_null (broker);
    char *line = zt_proc_read_line (broker, 10000);
    cr_assert (line && strncmp (line, "listening ", 10) == 0, "broker did not start: %s",
               line ? line : "(nothing)");
    char *endpoint = strdup (line + 10);
    free (line);
    const char *node_argv [] = {
        zt_path ("bin", "zaf-node"), "--broker", endpoint, "--name", "n1", "--cpus", "4",
        "--module", zt_path ("lib", "libparam_server.so"),
        "--broker-key", s_key_file (dir, "broker", false),
        "--key", s_key_file (dir, "node", true), NULL
    };
    zt_proc_t *node = zt_proc_start (node_argv, false);
    cr_assert_not_null (node);
    zaf_error_t err;
    cr_assert_eq (zaf_auth_client_set (s_key_file (dir, "broker", false),
                                       s_key_file (dir, "driver", true), &err), 0, "%s", err.message);
    zaf_t *watcher = zaf_client_connect (endpoint, "driver", 5000, &err);
    cr_assert_not_null (watcher, "%s", err.message);
    cr_assert (zt_wait_nodes (watcher, 1, 10000), "the node with its key did not join");
    zaf_shutdown (&watcher);
    zaf_auth_client_reset ();

    //  With the flags: it runs and checks out
    const char *with_keys [] = {
        zt_path ("bin", "param_server"), "--address", endpoint,
        "--broker-key", s_key_file (dir, "broker", false),
        "--key", s_key_file (dir, "driver", true),
        "--workers", "3", "--updates", "5", "--interval-ms", "10", "--polls", "2", NULL
    };
    char *output;
    int rc = s_run_both (with_keys, &output);
    cr_assert_eq (rc, 0, "param_server with key flags exited %d:\n%s", rc, output);
    s_check_params_output (output, -15);
    free (output);

    //  Without keys, and with a key the broker does not know: refused at
    //  once, saying why
    const char *no_keys [] = {
        zt_path ("bin", "param_server"), "--address", endpoint, "--updates", "1", NULL
    };
    int64_t start = zclock_mono ();
    rc = s_run_both (no_keys, &output);
    cr_assert_eq (rc, 1, "param_server without keys exited %d:\n%s", rc, output);
    cr_assert (strstr (output, "the broker requires keys"), "%s", output);
    cr_assert_lt (zclock_mono () - start, 10000, "the refusal took %" PRId64 " ms",
                  zclock_mono () - start);
    free (output);
    const char *stranger [] = {
        zt_path ("bin", "param_server"), "--address", endpoint,
        "--broker-key", s_key_file (dir, "broker", false),
        "--key", s_key_file (other, "stranger", true), "--updates", "1", NULL
    };
    rc = s_run_both (stranger, &output);
    cr_assert_eq (rc, 1, "param_server with an unknown key exited %d:\n%s", rc, output);
    cr_assert (strstr (output, "refused our key"), "%s", output);
    free (output);

    //  A key file that is not there is a usage error, said at once; every
    //  driver's --help shows the flags
    const char *drivers [] = { "param_server", "tree_of_actors", "message_actor", "market_feed" };
    for (size_t index = 0; index < sizeof (drivers) / sizeof (drivers [0]); index++) {
        const char *missing [] = {
            zt_path ("bin", drivers [index]), "--address", endpoint,
            "--key", s_key_file (empty, "nothing", true), NULL
        };
        rc = s_run_both (missing, &output);
        cr_assert_eq (rc, 2, "%s with a missing key exited %d:\n%s", drivers [index], rc, output);
        cr_assert (strstr (output, "cannot read the key file"), "%s", output);
        free (output);
        const char *help [] = { zt_path ("bin", drivers [index]), "--help", NULL };
        rc = s_run (help, &output);
        cr_assert_eq (rc, 0);
        cr_assert (strstr (output, "  --broker-key FILE ") && strstr (output, "  --key FILE "),
                   "%s --help does not show the key flags:\n%s", drivers [index], output);
        free (output);
    }

    cr_expect_eq (zt_proc_stop (&node, SIGTERM, 10000), 0, "the node stops cleanly");
    cr_expect_eq (zt_proc_stop (&broker, SIGTERM, 10000), 0, "the broker stops cleanly");
    free (endpoint);
    s_remove_dir (dir);
    s_remove_dir (other);
    s_remove_dir (empty);
}

//  --------------------------------------------------------------------------
//  The tree driven from here: placement, IDLE before work, shared fate

//  Call state until it fails with code (a kill lands shortly after the
//  owner's handle goes); returns true if it did within timeout_ms
typedef struct {
    zaf_t *z;
    zaf_actor_t *actor;
    zaf_code_t code;
} code_wait_t;

static bool
s_fails_with_code (void *arg)
{
    code_wait_t *wait = (code_wait_t *) arg;
    zaf_error_t err;
    cJSON *result = zt_call (wait->z, wait->actor, "state", NULL, 10000, &err);
    cJSON_Delete (result);
    return !result && err.code == wait->code;
}

static bool
s_eventually_code (zaf_t *z, zaf_actor_t *actor, zaf_code_t code, int timeout_ms)
{
    code_wait_t wait = { z, actor, code };
    return zt_wait_until (s_fails_with_code, &wait, timeout_ms);
}

Test (samples, supervisor_spreads_its_workers_and_they_share_its_fate)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 0, "n", 2, zt_path ("lib", "libtree_of_actors.so"));
    zaf_t *z = cluster.z;
    zaf_error_t err;
    zaf_actor_t *supervisor = zaf_spawn (z, "Supervisor", zaf_json ("[30000]"), NULL, &err);
    cr_assert_not_null (supervisor, "%s %s", zaf_code_name (err.code), err.message);

    cJSON *handles = zt_call (z, supervisor, "workers", NULL, 10000, &err);
    cr_assert (cJSON_IsArray (handles) && cJSON_GetArraySize (handles) == 3, "%s", err.message);
    zaf_actor_t *workers [3];
    char *nodes [3];
    for (int index = 0; index < 3; index++) {
        workers [index] = zaf_actor_from_json (cJSON_GetArrayItem (handles, index));
        cr_assert_not_null (workers [index]);
        cr_assert_not (zaf_actor_owned (workers [index]), "a decoded handle must be borrowed");
        nodes [index] = zt_actor_node (z, zaf_actor_id (workers [index]));
        cr_assert_not_null (nodes [index]);
    }
    cJSON_Delete (handles);
    //  The workers are not all on one node
    cr_assert (!streq (nodes [0], nodes [1]) || !streq (nodes [0], nodes [2]),
               "all workers on %s", nodes [0]);

    //  IDLE until work (), then RUNNING for 10 to 30 s
    cJSON *states = zt_call (z, supervisor, "state", NULL, 10000, &err);
    cr_assert_not_null (states, "%s", err.message);
    char *text = cJSON_PrintUnformatted (states);
    cr_assert_str_eq (text, "[\"IDLE\",\"IDLE\",\"IDLE\"]");
    cJSON_free (text);
    cJSON_Delete (states);
    cJSON *started = zt_call (z, supervisor, "work", NULL, 10000, &err);
    cr_assert (cJSON_IsNumber (started) && started->valuedouble == 3, "%s", err.message);
    cJSON_Delete (started);
    states = zt_call (z, supervisor, "state", NULL, 10000, &err);
    cr_assert_not_null (states, "%s", err.message);
    text = cJSON_PrintUnformatted (states);
    cr_assert_str_eq (text, "[\"RUNNING\",\"RUNNING\",\"RUNNING\"]");
    cJSON_free (text);
    cJSON_Delete (states);
    cJSON *kind = zt_call (z, workers [2], "kind", NULL, 10000, &err);
    cr_assert (cJSON_IsString (kind) && streq (kind->valuestring, "nn"));
    cJSON_Delete (kind);

    //  Destroying the owning handle kills the supervisor, and its end kills
    //  the workers on both nodes while they are still training
    zaf_actor_destroy (&supervisor);
    for (int index = 0; index < 3; index++) {
        cr_assert (s_eventually_code (z, workers [index], ZAF_ACTOR_DIED, 10000),
                   "worker %d on %s outlived its supervisor", index, nodes [index]);
        zaf_actor_destroy (&workers [index]);
        free (nodes [index]);
    }
    cr_expect (zt_cluster_stop (&cluster), "every process stops cleanly on SIGTERM");
}

//  --------------------------------------------------------------------------
//  market_feed: actors with their own PUB and SUB sockets and a timer

//  Check the tables: `rounds` of them, each subscriber's ticks growing from
//  round to round, no gaps; return how many distinct subscriber pids the
//  last round shows
static int
s_check_feed_output (const char *output, int rounds)
{
    const char *symbols [] = { "ACME", "GLOBEX", "INITECH" };
    double last_ticks [3] = { -1, -1, -1 };
    int pids [3] = { 0 };
    int tables = 0;
    const char *line = output;
    while (line && *line) {
        if (strncmp (line, "Round ", 6) == 0)
            tables++;
        for (int index = 0; index < 3; index++) {
            size_t length = strlen (symbols [index]);
            if (strncmp (line, symbols [index], length) == 0 && line [length] == ' ') {
                double ticks, last, min, max, mean, gaps;
                int pid;
                int fields = sscanf (line + length, "%lf %lf %lf %lf %lf %lf %d", &ticks, &last,
                                     &min, &max, &mean, &gaps, &pid);
                cr_assert_eq (fields, 7, "a table row does not parse: %.80s", line);
                cr_assert_gt (ticks, last_ticks [index], "%s's ticks did not grow:\n%s",
                              symbols [index], output);
                cr_assert_eq (gaps, 0, "%s missed ticks:\n%s", symbols [index], output);
                cr_assert (min <= mean && mean <= max && min <= last && last <= max,
                           "statistics out of order: %.80s", line);
                last_ticks [index] = ticks;
                pids [index] = pid;
            }
        }
        line = strchr (line, '\n');
        if (line)
            line++;
    }
    cr_assert_eq (tables, rounds, "%d tables, not %d:\n%s", tables, rounds, output);
    cr_assert (strstr (output, "none missed a tick"), "%s", output);
    int distinct = 1;
    if (pids [1] != pids [0])
        distinct++;
    if (pids [2] != pids [0] && pids [2] != pids [1])
        distinct++;
    return distinct;
}

Test (samples, market_feed_embedded)
{
    const char *argv [] = {
        zt_path ("bin", "market_feed"), "--rounds", "3", "--poll-ms", "150",
        "--interval-ms", "10", NULL
    };
    char *output;
    int rc = s_run (argv, &output);
    cr_assert_eq (rc, 0, "market_feed exited %d:\n%s", rc, output);
    cr_assert_eq (s_check_feed_output (output, 3), 1, "one process, one pid:\n%s", output);
    free (output);
}

Test (samples, market_feed_spreads_its_subscribers_over_two_nodes)
{
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, 0, "n", 2, zt_path ("lib", "libmarket_feed.so"));
    const char *argv [] = {
        zt_path ("bin", "market_feed"), "--address", cluster.endpoint, "--rounds", "3",
        "--poll-ms", "150", "--interval-ms", "10", NULL
    };
    char *output;
    int rc = s_run (argv, &output);
    cr_assert_eq (rc, 0, "market_feed exited %d:\n%s", rc, output);
    cr_assert_eq (s_check_feed_output (output, 3), 2,
                  "the subscribers are not on both nodes:\n%s", output);
    //  The publisher and three subscribers, spread 2 + 2
    const char *placement = strstr (output, "Actors per node:");
    cr_assert_not_null (placement, "%s", output);
    cr_assert (strstr (placement, " n1=2") && strstr (placement, " n2=2"), "%s", output);
    free (output);
    cr_expect (zt_cluster_stop (&cluster), "every process stops cleanly on SIGTERM");
}
