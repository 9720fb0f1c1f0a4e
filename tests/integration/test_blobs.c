/*  =========================================================================
    test_blobs - binary attachments on calls, tasks and answers

    Blobs travel as frames of their own, referenced from the JSON by
    {"$blob": i}. Each test runs on an embedded cluster (threads, inproc)
    and on a broker and node started as processes (TCP): a 1 MB blob goes
    to an actor and comes back reversed, a task gets one and returns it,
    zero-copy blobs are freed exactly once, and bad uses fail cleanly.
    =========================================================================
*/

#include "testutil.h"
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

static void
s_setup (void)
{
    zsys_set_logstream (stderr);
    test_actors_register ();
}

TestSuite (blobs, .init = s_setup, .fini = zt_cleanup, .timeout = 60);

//  tcp: a broker and one node ("b1") as processes; else embedded, no
//  process at all (zt_cluster_stop shuts the driver down either way)
static void
s_cluster_start (zt_cluster_t *cluster, bool tcp)
{
    if (tcp)
        zt_cluster_start (cluster, 0, "b", 1, NULL);
    else {
        memset (cluster, 0, sizeof (*cluster));
        cluster->z = zaf_init (NULL);
        cr_assert_not_null (cluster->z);
    }
}

static int s_freed = 0;

static void
s_count_free (void *data, void *hint)
{
    s_freed++;
    free (data);
}

ParameterizedTestParameters (blobs, a_megabyte_goes_to_an_actor_and_comes_back)
{
    static bool modes [] = { false, true };
    return cr_make_param_array (bool, modes, 2);
}

ParameterizedTest (bool *tcp, blobs, a_megabyte_goes_to_an_actor_and_comes_back)
{
    zt_cluster_t cluster;
    s_cluster_start (&cluster, *tcp);
    zaf_error_t err;
    zaf_actor_t *actor = zaf_spawn (cluster.z, "Counter", NULL, NULL, &err);
    cr_assert_not_null (actor, "%s", err.message);

    size_t size = 1024 * 1024;
    byte *data = (byte *) malloc (size);
    double sum = 0;
    for (size_t index = 0; index < size; index++) {
        data [index] = (byte) (index * 7 + index / 251);
        sum += data [index];
    }
    //  Zero-copy: the framework frees it once it has been sent
    s_freed = 0;
    zaf_blob_t *blobs [1] = { zaf_blob_new_take (data, size, s_count_free, NULL) };
    cJSON *args = cJSON_CreateArray ();
    cJSON_AddItemToArray (args, zaf_blob_ref (0));
    zaf_future_t *future = zaf_call_blobs (cluster.z, actor, "blob_echo", args, blobs, 1);
    cr_expect_null (blobs [0], "the blob was taken");
    zaf_blob_t *back [ZAF_BLOBS_MAX];
    size_t count = 0;
    cJSON *result = zaf_get_blobs (cluster.z, &future, 20000, back, &count, &err);
    cr_assert_not_null (result, "%s", err.message);
    //  (over inproc the frame is the buffer itself, freed when the
    //  receiving side lets go of it: counted after the cluster stops)
    cr_expect_leq (s_freed, 1);
    cr_expect_eq (zaf_json_int (result, "size", -1), (int) size);
    cr_expect_eq (zaf_json_number (result, "sum", -1), sum);
    cr_expect_eq (zaf_json_int (result, "blobs", -1), 1);
    //  The answer names its blob; the bytes came back reversed
    cr_expect_eq (zaf_json_int (cJSON_GetObjectItem (result, "reversed"), "$blob", -1), 0);
    cr_assert_eq (count, 1);
    cr_assert_eq (zaf_blob_size (back [0]), size);
    const byte *reversed = (const byte *) zaf_blob_data (back [0]);
    bool same = true;
    for (size_t index = 0; index < size && same; index++)
        same = reversed [index] == (byte) ((size - 1 - index) * 7 + (size - 1 - index) / 251);
    cr_expect (same, "the reversed bytes are right");
    zaf_blob_destroy (&back [0]);
    cJSON_Delete (result);

    //  Plain zaf_get drops the answer's blobs
    blobs [0] = zaf_blob_new ("abc", 3);
    args = cJSON_CreateArray ();
    cJSON_AddItemToArray (args, zaf_blob_ref (0));
    future = zaf_call_blobs (cluster.z, actor, "blob_echo", args, blobs, 1);
    result = zaf_get (cluster.z, &future, 5000, &err);
    cr_assert_not_null (result, "%s", err.message);
    cr_expect_eq (zaf_json_number (result, "sum", -1), 'a' + 'b' + 'c');
    cJSON_Delete (result);
    zaf_actor_destroy (&actor);
    zt_cluster_stop (&cluster);
    cr_expect_eq (s_freed, 1, "the zero-copy buffer was freed exactly once");
}

ParameterizedTestParameters (blobs, tasks_take_and_return_blobs_and_bad_uses_fail)
{
    static bool modes [] = { false, true };
    return cr_make_param_array (bool, modes, 2);
}

ParameterizedTest (bool *tcp, blobs, tasks_take_and_return_blobs_and_bad_uses_fail)
{
    zt_cluster_t cluster;
    s_cluster_start (&cluster, *tcp);
    zaf_error_t err;
    //  Several blobs, one of them empty; the task reads the second
    zaf_blob_t *blobs [3] = {
        zaf_blob_new ("first", 5), zaf_blob_new ("", 0), zaf_blob_new ("\0\1\2\3", 4)
    };
    cJSON *args = cJSON_CreateArray ();
    cJSON_AddItemToArray (args, zaf_blob_ref (2));
    zaf_future_t *future = zaf_submit_blobs (cluster.z, "blob_size", args, blobs, 3);
    zaf_blob_t *back [ZAF_BLOBS_MAX];
    size_t count = 0;
    cJSON *result = zaf_get_blobs (cluster.z, &future, 10000, back, &count, &err);
    cr_assert_not_null (result, "%s", err.message);
    cr_expect_eq (cJSON_GetArrayItem (result, 0)->valueint, 4);
    cr_assert_eq (count, 1);
    cr_expect_eq (zaf_blob_size (back [0]), 4);
    cr_expect_eq (memcmp (zaf_blob_data (back [0]), "\0\1\2\3", 4), 0);
    zaf_blob_destroy (&back [0]);
    cJSON_Delete (result);

    //  A reference to a blob that did not come: the method says BAD_ARGS
    zaf_actor_t *actor = zaf_spawn (cluster.z, "Counter", NULL, NULL, &err);
    cr_assert_not_null (actor);
    future = zaf_call (cluster.z, actor, "blob_echo", zaf_json ("[{\"$blob\": 3}]"));
    cr_expect_null (zaf_get (cluster.z, &future, 5000, &err));
    cr_expect_eq (err.code, ZAF_BAD_ARGS, "%s", err.message);
    //  Too many blobs: refused before sending, every blob taken
    zaf_blob_t *many [ZAF_BLOBS_MAX + 1];
    for (int index = 0; index <= ZAF_BLOBS_MAX; index++)
        many [index] = zaf_blob_new ("x", 1);
    future = zaf_call_blobs (cluster.z, actor, "blob_echo", zaf_json ("[{\"$blob\": 0}]"),
                             many, ZAF_BLOBS_MAX + 1);
    cr_expect_null (zaf_get (cluster.z, &future, 5000, &err));
    cr_expect_eq (err.code, ZAF_BAD_ARGS);
    for (int index = 0; index <= ZAF_BLOBS_MAX; index++)
        cr_expect_null (many [index]);
    //  The actor still serves
    future = zaf_call (cluster.z, actor, "get", NULL);
    result = zaf_get (cluster.z, &future, 5000, &err);
    cr_expect_not_null (result, "%s", err.message);
    cJSON_Delete (result);
    //  Outside a method, zaf_return_blob refuses (and frees the blob)
    cr_expect_null (zaf_return_blob (cluster.z, zaf_blob_new ("y", 1)));
    size_t size = 99;
    cJSON *ref = zaf_blob_ref (0);
    cr_expect_null (zaf_arg_blob (cluster.z, ref, &size));
    cr_expect_eq (size, 0);
    cJSON_Delete (ref);
    zaf_actor_destroy (&actor);
    zt_cluster_stop (&cluster);
}
