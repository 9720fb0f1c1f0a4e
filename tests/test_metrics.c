/*  =========================================================================
    test_metrics - actor metrics and the dashboard's answers, without sockets

    zaf_metrics: buckets, quantiles, method slots (long names, more methods
    than slots), the JSON a node reports. zaf_broker_api: a hand-made
    snapshot answered as the HTTP thread would: filters, sorting, paging,
    bad queries, the actor detail, unknown paths, and /metrics with label
    values that need escaping.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_broker_api.h"
#include <criterion/criterion.h>

Test (metrics, buckets_and_quantiles)
{
    cr_expect_eq (zaf_metrics_bucket_of (0), 0);
    cr_expect_eq (zaf_metrics_bucket_of (100), 0);          //  0.1 ms: le 0.0001
    cr_expect_eq (zaf_metrics_bucket_of (101), 1);
    cr_expect_eq (zaf_metrics_bucket_of (5000000), 11);     //  5 s: the last bound
    cr_expect_eq (zaf_metrics_bucket_of (5000001), 12);     //  +Inf
    cr_expect (isinf (zaf_metrics_bucket_le (12)));
    uint64_t buckets [ZAF_METRICS_BUCKETS] = { 0 };
    cr_expect_eq (zaf_metrics_quantile (buckets, 0.5), 0);
    buckets [2] = 98;                                       //  le 1 ms
    buckets [8] = 2;                                        //  le 100 ms
    cr_expect_float_eq (zaf_metrics_quantile (buckets, 0.5), 0.001, 1e-12);
    cr_expect_float_eq (zaf_metrics_quantile (buckets, 0.98), 0.001, 1e-12);
    cr_expect_float_eq (zaf_metrics_quantile (buckets, 0.99), 0.1, 1e-12);
    buckets [12] = 1000;                                    //  +Inf reads as 5 s
    cr_expect_float_eq (zaf_metrics_quantile (buckets, 0.99), 5, 1e-12);
}

Test (metrics, method_slots_and_the_report)
{
    zaf_metrics_actor_t *metrics = (zaf_metrics_actor_t *) zmalloc (sizeof (zaf_metrics_actor_t));
    const char *long_name = "a_method_name_far_longer_than_thirty_one_bytes";
    for (int round = 0; round < 3; round++)
        zaf_metrics_record (metrics, long_name, 50, false);
    zaf_metrics_record (metrics, "fail", 2000, true);
    //  More methods than slots: the last slot counts the rest
    char name [32];
    for (int index = 0; index < 10; index++) {
        snprintf (name, sizeof (name), "m%d", index);
        zaf_metrics_record (metrics, name, 10, false);
    }
    zaf_metrics_note_depth (metrics, 7);
    zaf_metrics_note_depth (metrics, 3);
    cJSON *json = zaf_metrics_actor_json (metrics, "abc", 2);
    cr_assert_not_null (json);
    cr_expect_eq (zaf_json_int (json, "calls", 0), 14);
    cr_expect_eq (zaf_json_int (json, "failed", 0), 1);
    cr_expect_eq (zaf_json_int (json, "mailbox", 0), 2);
    cr_expect_eq (zaf_json_int (json, "hwm", 0), 7);
    const cJSON *methods = cJSON_GetObjectItem (json, "methods");
    cr_expect_eq (cJSON_GetArraySize (methods), ZAF_METRICS_METHODS);
    const cJSON *cut = cJSON_GetArrayItem (methods, 0);
    cr_expect_eq (strlen (cut->string), ZAF_METRICS_METHOD_NAME - 1, "the long name is kept cut");
    cr_expect_eq (zaf_json_int (cut, "calls", 0), 3, "a long name keeps its one slot");
    const cJSON *fail = cJSON_GetObjectItem (methods, "fail");
    cr_expect_eq (zaf_json_int (fail, "failed", 0), 1);
    cr_expect_eq (cJSON_GetArraySize (cJSON_GetObjectItem (fail, "buckets")), ZAF_METRICS_BUCKETS);
    const cJSON *other = cJSON_GetObjectItem (methods, "(other)");
    cr_assert_not_null (other);
    cr_expect_eq (zaf_json_int (other, "calls", 0), 10 - (ZAF_METRICS_METHODS - 3));
    cJSON_Delete (json);
    free (metrics);
    cr_expect_gt (zaf_metrics_rss (), 0);
}

//  --------------------------------------------------------------------------
//  A snapshot of 120 actors: Counter 0..99 ALIVE (calls = index), Worker
//  100..118 ALIVE, one DEAD killed, on two nodes

static zaf_dash_snapshot_t *
s_snapshot (void)
{
    zaf_dash_snapshot_t *snapshot = (zaf_dash_snapshot_t *) zmalloc (sizeof (zaf_dash_snapshot_t));
    atomic_init (&snapshot->refs, 1);
    snprintf (snapshot->session, sizeof (snapshot->session), "s-1");
    snapshot->actor_count = 120;
    snapshot->actors = (zaf_dash_actor_t *) calloc (120, sizeof (zaf_dash_actor_t));
    for (size_t index = 0; index < 120; index++) {
        zaf_dash_actor_t *row = &snapshot->actors [index];
        snprintf (row->id, sizeof (row->id), "id%03zu", index);
        snprintf (row->class_name, sizeof (row->class_name), "%s", index < 100 ? "Counter" : "Worker");
        snprintf (row->node, sizeof (row->node), "%s", index % 2 ? "n2" : "n1");
        row->state = index == 119 ? ZAF_DASH_DEAD_STATE : ZAF_DASH_ALIVE;
        row->calls = index;
        snapshot->by_state [row->state]++;
    }
    zaf_dash_actor_t *dead = &snapshot->actors [119];
    snprintf (dead->cause, sizeof (dead->cause), "killed");
    //  A class name that needs escaping in /metrics, with one method
    snprintf (snapshot->actors [0].class_name, sizeof (snapshot->actors [0].class_name), "Odd\"\\\nName");
    snapshot->actors [0].methods = (zaf_dash_method_t *) calloc (1, sizeof (zaf_dash_method_t));
    snapshot->actors [0].method_count = 1;
    snprintf (snapshot->actors [0].methods [0].name, ZAF_METRICS_METHOD_NAME, "get");
    snapshot->actors [0].methods [0].calls = 3;
    snapshot->actors [0].methods [0].buckets [1] = 3;
    snapshot->node_count = 1;
    snapshot->nodes = (zaf_dash_node_t *) calloc (1, sizeof (zaf_dash_node_t));
    snprintf (snapshot->nodes [0].name, sizeof (snapshot->nodes [0].name), "n1");
    snapshot->cause_count = 1;
    snprintf (snapshot->causes [0].cause, sizeof (snapshot->causes [0].cause), "killed");
    snapshot->causes [0].count = 1;
    return snapshot;
}

static cJSON *
s_answer (zaf_dash_snapshot_t *snapshot, const char *path, zaf_dash_query_t query, int status)
{
    zaf_dash_answer_t answer;
    zaf_dash_api_answer (snapshot, path, &query, &answer);
    cr_assert_eq (answer.status, status, "%s: %d %s", path, answer.status, answer.body);
    cJSON *json = cJSON_Parse (answer.body);
    free (answer.body);
    return json;
}

Test (metrics, the_api_filters_sorts_and_pages_on_the_server)
{
    zaf_dash_snapshot_t *snapshot = s_snapshot ();
    cJSON *page = s_answer (snapshot, "/api/actors", (zaf_dash_query_t) { 0 }, 200);
    cr_expect_eq (zaf_json_int (page, "total", 0), 120);
    cr_expect_eq (zaf_json_int (page, "matched", 0), 120);
    cr_expect_eq (cJSON_GetArraySize (cJSON_GetObjectItem (page, "actors")), 50, "default page: 50");
    cJSON_Delete (page);

    page = s_answer (snapshot, "/api/actors",
                     (zaf_dash_query_t) { .class_name = "Counter", .node = "n2", .sort = "calls",
                                          .offset = "10", .limit = "5" }, 200);
    cr_expect_eq (zaf_json_int (page, "matched", 0), 50);
    const cJSON *rows = cJSON_GetObjectItem (page, "actors");
    cr_assert_eq (cJSON_GetArraySize (rows), 5);
    //  Odd ids 99, 97, ... sorted by calls: the 11th is 79
    cr_expect_str_eq (zaf_json_string (cJSON_GetArrayItem (rows, 0), "id", ""), "id079");
    cJSON_Delete (page);

    page = s_answer (snapshot, "/api/actors", (zaf_dash_query_t) { .state = "dead" }, 200);
    cr_expect_eq (zaf_json_int (page, "matched", 0), 1);
    cr_expect_str_eq (zaf_json_string (cJSON_GetArrayItem (cJSON_GetObjectItem (page, "actors"), 0),
                                       "cause", ""), "killed");
    cJSON_Delete (page);
    page = s_answer (snapshot, "/api/actors", (zaf_dash_query_t) { .q = "kill" }, 200);
    cr_expect_eq (zaf_json_int (page, "matched", 0), 1);
    cJSON_Delete (page);
    page = s_answer (snapshot, "/api/actors", (zaf_dash_query_t) { .offset = "1000" }, 200);
    cr_expect_eq (cJSON_GetArraySize (cJSON_GetObjectItem (page, "actors")), 0);
    cJSON_Delete (page);

    //  Bad queries: 400, with an error object
    const zaf_dash_query_t bad [] = {
        { .limit = "0" }, { .limit = "501" }, { .limit = "x" }, { .offset = "-1" },
        { .offset = "1e3" }, { .sort = "name" },
        { .q = "0123456789012345678901234567890123456789012345678901234567890123456789" }
    };
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad [0]); index++) {
        cJSON *error = s_answer (snapshot, "/api/actors", bad [index], 400);
        cr_expect_str_eq (zaf_json_string (error, "code", ""), "BAD_ARGS");
        cJSON_Delete (error);
    }
    //  The detail, unknown actors and paths
    cJSON *detail = s_answer (snapshot, "/api/actors/id000", (zaf_dash_query_t) { 0 }, 200);
    const cJSON *method = cJSON_GetArrayItem (cJSON_GetObjectItem (detail, "methods"), 0);
    cr_expect_str_eq (zaf_json_string (method, "name", ""), "get");
    cr_expect_float_eq (zaf_json_number (method, "p99_ms", 0), 0.5, 1e-9);
    cJSON_Delete (detail);
    cJSON_Delete (s_answer (snapshot, "/api/actors/nobody", (zaf_dash_query_t) { 0 }, 404));
    cJSON_Delete (s_answer (snapshot, "/api/../etc", (zaf_dash_query_t) { 0 }, 404));
    cJSON_Delete (s_answer (NULL, "/api/summary", (zaf_dash_query_t) { 0 }, 503));
    cJSON *summary = s_answer (snapshot, "/api/summary", (zaf_dash_query_t) { 0 }, 200);
    cr_expect_eq (zaf_json_int (cJSON_GetObjectItem (summary, "actors"), "ALIVE", 0), 119);
    cr_expect_eq (zaf_json_int (cJSON_GetObjectItem (summary, "deaths"), "killed", 0), 1);
    cJSON_Delete (summary);
    zaf_dash_snapshot_unref (&snapshot);
    cr_expect_null (snapshot);
}

Test (metrics, prometheus_text_escapes_labels)
{
    zaf_dash_snapshot_t *snapshot = s_snapshot ();
    size_t size;
    char *text = zaf_dash_api_metrics (snapshot, &size);
    cr_assert_not_null (text);
    cr_expect_eq (strlen (text), size);
    cr_expect (strstr (text, "zaf_actors{state=\"DEAD\"} 1\n"));
    cr_expect (strstr (text, "zaf_actor_deaths_total{cause=\"killed\"} 1\n"));
    cr_expect (strstr (text, "class=\"Odd\\\"\\\\\\nName\",method=\"get\",le=\"+Inf\"} 3\n"), "%s", text);
    cr_expect (strstr (text, "zaf_method_latency_seconds_count{class=\"Odd\\\"\\\\\\nName\",method=\"get\"} 3\n"));
    //  Every line is a comment or a sample: no raw newline inside a label
    for (char *line = text; *line; ) {
        char *end = strchr (line, '\n');
        cr_assert_not_null (end);
        cr_expect (line [0] == '#' || strncmp (line, "zaf_", 4) == 0, "%.*s", (int) (end - line), line);
        line = end + 1;
    }
    free (text);
    zaf_dash_snapshot_unref (&snapshot);
}
