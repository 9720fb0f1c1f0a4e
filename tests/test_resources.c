/*  =========================================================================
    test_resources - resources and labels without sockets

    zaf_resources on its own: "name=value" lists (good, malformed, out of
    range), a node's capacity from HELLO JSON (malformed parts ignored),
    a spawn's demand from its options (malformed refused), reservations
    that come back exactly, label matching, the nearest-shortfall text,
    and zaf_spawn's string options turned into the wire's JSON.
    =========================================================================
*/

#include "testutil.h"
#include <criterion/criterion.h>

Test (resources, lists_parse_or_say_why)
{
    char error [128];
    cJSON *json = zaf_resources_parse ("cpu=8,gpu=1,mem_mb=65536,license=2,half=0.5", true,
                                       error, sizeof (error));
    cr_assert_not_null (json, "%s", error);
    cr_assert_eq (zaf_json_number (json, "cpu", -1), 8);
    cr_assert_eq (zaf_json_number (json, "half", -1), 0.5);
    cr_assert_eq (cJSON_GetArraySize (json), 5);
    cJSON_Delete (json);
    json = zaf_resources_parse ("zone=a,rack=3", false, error, sizeof (error));
    cr_assert_str_eq (zaf_json_string (json, "rack", ""), "3");
    cJSON_Delete (json);
    json = zaf_resources_parse (NULL, true, error, sizeof (error));
    cr_assert_eq (cJSON_GetArraySize (json), 0);
    cJSON_Delete (json);

    const char *bad_numbers [] = {
        "cpu", "cpu=", "cpu=x", "cpu=-1", "cpu=1e99", "cpu=nan", "CPU=1", "=1", "cpu=1,cpu=2",
        "a_name_that_is_longer_than_thirty_two=1", "cpu=1,,gpu=1x"
    };
    for (size_t index = 0; index < sizeof (bad_numbers) / sizeof (bad_numbers [0]); index++) {
        *error = 0;
        cr_assert_null (zaf_resources_parse (bad_numbers [index], true, error, sizeof (error)),
                        "%s was taken", bad_numbers [index]);
        cr_assert (*error, "no reason for %s", bad_numbers [index]);
    }
    const char *bad_labels [] = { "zone=", "zone=a b", "zone=\"a\"", "zone" };
    for (size_t index = 0; index < sizeof (bad_labels) / sizeof (bad_labels [0]); index++)
        cr_assert_null (zaf_resources_parse (bad_labels [index], false, error, sizeof (error)),
                        "%s was taken", bad_labels [index]);
}

Test (resources, reservations_come_back_exactly)
{
    cJSON *resources = zaf_json ("{\"cpu\": 2, \"gpu\": 1}");
    cJSON *labels = zaf_json ("{\"zone\": \"a\"}");
    zaf_capacity_t *node = zaf_capacity_new (resources, labels);
    char error [128] = "x";
    cJSON *options = zaf_json ("{\"resources\": {\"cpu\": 0.3}, \"labels\": {\"zone\": \"a\"}}");
    zaf_demand_t *demand = zaf_demand_new (options, error, sizeof (error));
    cr_assert_not_null (demand, "%s", error);
    cr_assert (zaf_capacity_labels_match (node, demand));
    //  0.3 six times fits in 2; the seventh does not
    for (int index = 0; index < 6; index++) {
        cr_assert_eq (zaf_capacity_shortfall (node, demand, NULL, 0), 0, "round %d", index);
        zaf_capacity_reserve (node, demand);
    }
    char what [128] = "";
    cr_assert_gt (zaf_capacity_shortfall (node, demand, what, sizeof (what)), 0);
    cr_assert (strstr (what, "cpu: 0.3 asked"), "%s", what);
    for (int index = 0; index < 6; index++)
        zaf_capacity_release (node, demand);
    cJSON *json = zaf_capacity_json (node);
    cJSON *free_ = cJSON_GetObjectItem (json, "free");
    cr_assert_eq (zaf_json_number (free_, "cpu", -1), 2, "free cpu %.17g after release",
                  zaf_json_number (free_, "cpu", -1));
    cr_assert_eq (zaf_json_number (free_, "gpu", -1), 1);
    cr_assert_str_eq (zaf_json_string (cJSON_GetObjectItem (json, "labels"), "zone", ""), "a");
    cJSON_Delete (json);
    zaf_demand_destroy (&demand);

    //  A label it lacks, a resource it never had
    cJSON_Delete (options);
    options = zaf_json ("{\"labels\": {\"zone\": \"b\"}, \"resources\": {\"tpu\": 1}}");
    demand = zaf_demand_new (options, error, sizeof (error));
    cr_assert_not_null (demand);
    cr_assert_not (zaf_capacity_labels_match (node, demand));
    cr_assert_gt (zaf_capacity_shortfall (node, demand, what, sizeof (what)), 0);
    cr_assert (strstr (what, "tpu: 1 asked, 0 free of 0"), "%s", what);
    cr_assert_str_eq (zaf_demand_text (demand), "tpu=1,zone=b");
    zaf_demand_destroy (&demand);
    cJSON_Delete (options);

    //  Options that ask for nothing of the kind: no demand, no error
    options = zaf_json ("{\"name\": \"x\"}");
    *error = 0;
    cr_assert_null (zaf_demand_new (options, error, sizeof (error)));
    cr_assert_str_empty (error);
    cJSON_Delete (options);

    zaf_capacity_destroy (&node);
    cJSON_Delete (resources);
    cJSON_Delete (labels);
}

Test (resources, malformed_demands_and_capacities)
{
    const char *bad [] = {
        "{\"resources\": [1]}", "{\"resources\": {\"cpu\": -1}}", "{\"resources\": {\"cpu\": \"1\"}}",
        "{\"labels\": {\"zone\": 3}}", "{\"affinity\": \"n1\"}", "{\"affinity\": {\"soft\": true}}",
        "{\"strategy\": \"wide\"}", "{\"strategy\": 1}"
    };
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad [0]); index++) {
        cJSON *options = zaf_json ("%s", bad [index]);
        char error [128] = "";
        cr_assert_null (zaf_demand_new (options, error, sizeof (error)), "%s taken", bad [index]);
        cr_assert (*error, "no reason for %s", bad [index]);
        cJSON_Delete (options);
    }
    //  A HELLO with malformed resources gives an empty capacity, not a crash
    cJSON *junk = zaf_json ("{\"cpu\": \"many\"}");
    zaf_capacity_t *node = zaf_capacity_new (junk, junk);
    cJSON *json = zaf_capacity_json (node);
    cr_assert_eq (cJSON_GetArraySize (cJSON_GetObjectItem (json, "total")), 0);
    cJSON_Delete (json);
    zaf_capacity_destroy (&node);
    cJSON_Delete (junk);
}

Test (resources, spawn_options_become_wire_json)
{
    zaf_spawn_opts_t opts = {
        .resources = "cpu=1,gpu=1", .labels = "zone=a", .affinity = "node=n2,soft",
        .strategy = "pack", .max_concurrency = 4
    };
    cJSON *options = cJSON_CreateObject ();
    zaf_error_t err;
    cr_assert_eq (zaf_demand_options (&opts, options, &err), 0, "%s", err.message);
    char *text = cJSON_PrintUnformatted (options);
    cr_assert_str_eq (text, "{\"resources\":{\"cpu\":1,\"gpu\":1},\"labels\":{\"zone\":\"a\"},"
                      "\"affinity\":{\"node\":\"n2\",\"soft\":true},\"strategy\":\"pack\","
                      "\"max_concurrency\":4}");
    cJSON_free (text);
    cJSON_Delete (options);
    const char *affinities [] = { "n2", "node=", "node=n2,maybe", "host=n2" };
    for (size_t index = 0; index < 4; index++) {
        zaf_spawn_opts_t bad = { .affinity = affinities [index] };
        options = cJSON_CreateObject ();
        cr_assert_eq (zaf_demand_options (&bad, options, &err), -1, "%s taken", affinities [index]);
        cr_assert_eq (err.code, ZAF_BAD_ARGS);
        cJSON_Delete (options);
    }
    zaf_spawn_opts_t hard = { .affinity = "node=n2,hard" };
    options = cJSON_CreateObject ();
    cr_assert_eq (zaf_demand_options (&hard, options, &err), 0);
    cr_assert (cJSON_IsFalse (cJSON_GetObjectItem (cJSON_GetObjectItem (options, "affinity"), "soft")));
    cJSON_Delete (options);
}
