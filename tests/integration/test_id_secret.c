/*  =========================================================================
    test_id_secret - a zaf-broker restarted with its id secret, or without

    zaf-broker --id-secret-file (here through ZAF_ID_SECRET_FILE, which the
    processes the cluster helpers start inherit) tags actor ids under a
    secret. A broker killed with kill -9 and started again with the same
    secret adopts the actors its node brings back; one started with another
    secret refuses them, as it refuses any id it did not issue.
    =========================================================================
*/

#include "testutil.h"
#include <criterion/criterion.h>

#define HEARTBEAT_MS 250

static char s_dir [64];

static void
s_setup (void)
{
    zsys_set_logstream (stderr);
    snprintf (s_dir, sizeof (s_dir), "/tmp/zaf-secret-XXXXXX");
    cr_assert_not_null (mkdtemp (s_dir));
}

static void
s_teardown (void)
{
    zt_cleanup ();
    char path [128];
    const char *names [] = { "one", "two", "bad" };
    for (size_t index = 0; index < 3; index++) {
        snprintf (path, sizeof (path), "%s/%s", s_dir, names [index]);
        remove (path);
    }
    rmdir (s_dir);
}

TestSuite (id_secret, .init = s_setup, .fini = s_teardown, .timeout = 120);

//  Write a secret file and point ZAF_ID_SECRET_FILE at it
static void
s_use_secret (const char *name, const char *line)
{
    char path [128];
    snprintf (path, sizeof (path), "%s/%s", s_dir, name);
    FILE *file = fopen (path, "w");
    cr_assert_not_null (file);
    fprintf (file, "%s\n", line);
    fclose (file);
    setenv ("ZAF_ID_SECRET_FILE", path, 1);
}

Test (id_secret, a_broker_restarted_with_its_secret_adopts_only_its_own_ids)
{
    s_use_secret ("one", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    zt_cluster_t cluster;
    zt_cluster_start (&cluster, HEARTBEAT_MS, "k", 1, NULL);
    zaf_t *z = cluster.z;
    zaf_error_t err;
    zaf_spawn_opts_t opts = { .name = "keyed", .detached = true };
    zaf_actor_t *actor = zaf_spawn (z, "Counter", zaf_json ("[11]"), &opts, &err);
    cr_assert_not_null (actor, "%s", err.message);
    char id [65];
    snprintf (id, sizeof (id), "%s", zaf_actor_id (actor));

    //  The same secret: the actor comes back under its id
    zt_cluster_broker_restart (&cluster, HEARTBEAT_MS);
    cJSON *value = zt_call_until (z, actor, "get", NULL, 500, 20000, &err);
    cr_assert_not_null (value, "the actor did not come back: %s", err.message);
    cr_expect_eq (value->valueint, 11);
    cJSON_Delete (value);

    //  Another secret: the node brings it back, the broker refuses it
    s_use_secret ("two", "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100");
    zt_cluster_broker_restart (&cluster, HEARTBEAT_MS);
    cr_assert (zt_wait_nodes (z, 1, 20000), "the node did not come back");
    value = zt_call (z, actor, "get", NULL, 5000, &err);
    cr_expect_null (value, "an id from another secret was adopted");
    cr_expect_eq (err.code, ZAF_NO_SUCH_ACTOR, "%s: %s", zaf_code_name (err.code), err.message);
    cJSON_Delete (value);
    zaf_actor_t *found = zaf_lookup (z, "keyed", &err);
    cr_expect_null (found);
    zaf_actor_destroy (&found);
    zaf_actor_destroy (&actor);
    unsetenv ("ZAF_ID_SECRET_FILE");
    cr_expect (zt_cluster_stop (&cluster));
}

Test (id_secret, a_bad_secret_file_stops_the_broker_at_once)
{
    s_use_secret ("bad", "not hex");
    const char *argv [] = { zt_path ("bin", "zaf-broker"), "--bind", "tcp://127.0.0.1:0", NULL };
    char *output = NULL;
    int rc = zt_run (argv, 10000, &output);
    unsetenv ("ZAF_ID_SECRET_FILE");
    cr_expect_eq (rc, 1, "%s", output);
    cr_expect (strstr (output, "64 hex digits"), "%s", output);
    free (output);
}
