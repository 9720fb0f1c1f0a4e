/*  =========================================================================
    zaf_broker_api - the dashboard's answers, rendered from a snapshot

    Runs on the HTTP thread, reading a snapshot it holds a reference to;
    never touches the broker's tables. Every answer is built whole in
    memory and bounded: a page of actors holds at most ZAF_DASH_PAGE_MAX
    rows, /metrics lists at most ZAF_DASH_PROM_ACTORS actors one by one
    (latency histograms are summed per class and method).
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_broker_api.h"

#define ZAF_DASH_PROM_ACTORS    1000    //  Actors with series of their own

static const char *s_json = "application/json";

//  --------------------------------------------------------------------------
//  JSON pieces

static void
s_answer_json (zaf_dash_answer_t *answer, int status, cJSON *json)
{
    answer->status = status;
    answer->type = s_json;
    answer->body = zaf_json_print (json, &answer->size);
    cJSON_Delete (json);
}

static void
s_answer_error (zaf_dash_answer_t *answer, int status, const char *code, const char *message)
{
    cJSON *error = cJSON_CreateObject ();
    cJSON_AddStringToObject (error, "code", code);
    cJSON_AddStringToObject (error, "message", message);
    s_answer_json (answer, status, error);
}

static cJSON *
s_actor_row (const zaf_dash_actor_t *row)
{
    cJSON *item = cJSON_CreateObject ();
    cJSON_AddStringToObject (item, "id", row->id);
    cJSON_AddStringToObject (item, "class", row->class_name);
    cJSON_AddStringToObject (item, "name", row->name);
    cJSON_AddStringToObject (item, "node", row->node);
    cJSON_AddStringToObject (item, "owner", row->owner);
    cJSON_AddStringToObject (item, "state", zaf_dash_state_name (row->state));
    cJSON_AddStringToObject (item, "cause", row->cause);
    cJSON_AddNumberToObject (item, "restarts", row->restarts);
    cJSON_AddNumberToObject (item, "calls", (double) row->calls);
    cJSON_AddNumberToObject (item, "failed", (double) row->failed);
    cJSON_AddNumberToObject (item, "mailbox", (double) row->mailbox);
    cJSON_AddNumberToObject (item, "mailbox_hwm", (double) row->hwm);
    cJSON_AddNumberToObject (item, "p50_ms", row->p50 * 1000.0);
    cJSON_AddNumberToObject (item, "p99_ms", row->p99 * 1000.0);
    if (row->died_at > 0)
        cJSON_AddNumberToObject (item, "died_at", row->died_at);
    return item;
}

static cJSON *
s_node_row (const zaf_dash_node_t *row)
{
    cJSON *item = cJSON_CreateObject ();
    cJSON_AddStringToObject (item, "name", row->name);
    cJSON_AddStringToObject (item, "peer", row->peer);
    cJSON_AddStringToObject (item, "host", row->host);
    cJSON_AddNumberToObject (item, "pid", row->pid);
    cJSON_AddStringToObject (item, "state", row->lost ? "LOST" : "UP");
    cJSON_AddStringToObject (item, "cause", row->cause);
    cJSON_AddNumberToObject (item, "cpus", row->cpus);
    cJSON_AddNumberToObject (item, "actors", (double) row->actors);
    cJSON_AddNumberToObject (item, "tasks_running", (double) row->tasks_running);
    cJSON_AddNumberToObject (item, "tasks_queued", (double) row->tasks_queued);
    cJSON_AddNumberToObject (item, "rss_bytes", (double) row->rss);
    cJSON_AddNumberToObject (item, "heartbeat_age_s", row->heartbeat_age_s);
    if (row->report_age_s >= 0)
        cJSON_AddNumberToObject (item, "report_age_s", row->report_age_s);
    cJSON_AddNumberToObject (item, "uptime_s", row->uptime_s);
    return item;
}

static cJSON *
s_counters (const zaf_broker_stats_t *stats)
{
    cJSON *counters = cJSON_CreateObject ();
    #define COUNTER(field) cJSON_AddNumberToObject (counters, #field, (double) stats->field)
    COUNTER (calls); COUNTER (tells); COUNTER (replies); COUNTER (spawns);
    COUNTER (submits); COUNTER (kills); COUNTER (lookups); COUNTER (errors_sent);
    COUNTER (malformed); COUNTER (unknown_peer); COUNTER (late_replies);
    COUNTER (wrong_peer); COUNTER (unroutable); COUNTER (overloaded); COUNTER (peers_lost);
    COUNTER (backlogged); COUNTER (held_dropped);
    COUNTER (unauthorized); COUNTER (handshakes_allowed); COUNTER (handshakes_refused);
    COUNTER (revoked);
    #undef COUNTER
    return counters;
}

//  --------------------------------------------------------------------------
//  /api/summary, /api/nodes, /api/history

static cJSON *
s_summary (zaf_dash_snapshot_t *snapshot)
{
    cJSON *summary = cJSON_CreateObject ();
    cJSON_AddStringToObject (summary, "session", snapshot->session);
    cJSON_AddStringToObject (summary, "endpoints", snapshot->endpoints);
    cJSON_AddNumberToObject (summary, "time", snapshot->time);
    cJSON_AddNumberToObject (summary, "uptime_s", snapshot->uptime_s);
    cJSON_AddNumberToObject (summary, "heartbeat_ms", snapshot->heartbeat_ms);
    size_t up = 0;
    for (size_t index = 0; index < snapshot->node_count; index++)
        up += snapshot->nodes [index].lost ? 0 : 1;
    cJSON_AddNumberToObject (summary, "nodes", (double) up);
    cJSON_AddNumberToObject (summary, "nodes_lost", (double) (snapshot->node_count - up));
    cJSON_AddNumberToObject (summary, "peers", (double) snapshot->peers);
    cJSON_AddNumberToObject (summary, "clients", (double) snapshot->clients);
    cJSON_AddNumberToObject (summary, "flights", (double) snapshot->flights);
    cJSON_AddNumberToObject (summary, "answers_held", (double) snapshot->held);
    cJSON_AddNumberToObject (summary, "answers_held_bytes", (double) snapshot->held_bytes);
    cJSON_AddNumberToObject (summary, "calls_per_s", snapshot->calls_per_s);
    cJSON *actors = cJSON_AddObjectToObject (summary, "actors");
    for (int state = 0; state <= ZAF_DASH_DEAD_STATE; state++)
        cJSON_AddNumberToObject (actors, zaf_dash_state_name ((zaf_dash_state_t) state),
                                 (double) snapshot->by_state [state]);
    cJSON_AddItemToObject (summary, "counters", s_counters (&snapshot->stats));
    cJSON *causes = cJSON_AddObjectToObject (summary, "deaths");
    for (size_t index = 0; index < snapshot->cause_count; index++)
        cJSON_AddNumberToObject (causes, snapshot->causes [index].cause,
                                 (double) snapshot->causes [index].count);
    return summary;
}

static cJSON *
s_nodes (zaf_dash_snapshot_t *snapshot)
{
    cJSON *answer = cJSON_CreateObject ();
    cJSON *nodes = cJSON_AddArrayToObject (answer, "nodes");
    for (size_t index = 0; index < snapshot->node_count; index++)
        cJSON_AddItemToArray (nodes, s_node_row (&snapshot->nodes [index]));
    return answer;
}

static cJSON *
s_history (zaf_dash_snapshot_t *snapshot)
{
    cJSON *answer = cJSON_CreateObject ();
    cJSON_AddNumberToObject (answer, "interval_s", 1);
    cJSON *samples = cJSON_AddArrayToObject (answer, "samples");
    for (size_t index = 0; index < snapshot->sample_count; index++) {
        const zaf_dash_sample_t *sample = &snapshot->samples [index];
        cJSON *item = cJSON_CreateObject ();
        cJSON_AddNumberToObject (item, "t", sample->time);
        cJSON_AddNumberToObject (item, "calls_per_s", sample->calls_per_s);
        cJSON_AddNumberToObject (item, "mailbox", (double) sample->mailbox);
        cJSON_AddNumberToObject (item, "actors", (double) sample->actors);
        cJSON_AddNumberToObject (item, "nodes", (double) sample->nodes);
        cJSON_AddItemToArray (samples, item);
    }
    return answer;
}

//  --------------------------------------------------------------------------
//  /api/actors: filter, sort, page

static bool
s_given (const char *value)
{
    return value && *value;
}

static bool
s_matches (const zaf_dash_actor_t *row, const zaf_dash_query_t *query)
{
    if (s_given (query->state) && strcasecmp (query->state, zaf_dash_state_name (row->state)))
        return false;
    if (s_given (query->class_name) && strneq (query->class_name, row->class_name))
        return false;
    if (s_given (query->node) && strneq (query->node, row->node))
        return false;
    if (s_given (query->q) && !strstr (row->id, query->q) && !strstr (row->class_name, query->q)
    &&  !strstr (row->name, query->q) && !strstr (row->cause, query->q))
        return false;
    return true;
}

//  A query number: value, or def if not given; -1 if not a number in range
static long
s_number (const char *value, long def, long max)
{
    if (!s_given (value))
        return def;
    char *end;
    errno = 0;
    long number = strtol (value, &end, 10);
    if (errno || *end || number < 0 || number > max)
        return -1;
    return number;
}

static double
s_sort_key (const zaf_dash_actor_t *row, const char *sort)
{
    if (streq (sort, "calls"))      return (double) row->calls;
    if (streq (sort, "failed"))     return (double) row->failed;
    if (streq (sort, "mailbox"))    return (double) row->mailbox;
    if (streq (sort, "p99"))        return row->p99;
    return row->restarts;
}

//  Sorting a page: rows by key, largest first, table order among equals
typedef struct {
    double key;
    size_t index;
} sort_item_t;

static int
s_sort_compare (const void *one, const void *two)
{
    const sort_item_t *first = (const sort_item_t *) one, *second = (const sort_item_t *) two;
    if (first->key != second->key)
        return first->key > second->key ? -1 : 1;
    return first->index < second->index ? -1 : first->index > second->index;
}

static void
s_actors (zaf_dash_snapshot_t *snapshot, const zaf_dash_query_t *query, zaf_dash_answer_t *answer)
{
    long offset = s_number (query->offset, 0, LONG_MAX / 2);
    long limit = s_number (query->limit, 50, ZAF_DASH_PAGE_MAX);
    const char *sort = s_given (query->sort) ? query->sort : NULL;
    const char *texts [] = { query->state, query->class_name, query->node, query->q, query->sort };
    for (size_t index = 0; index < sizeof (texts) / sizeof (texts [0]); index++)
        if (texts [index] && strlen (texts [index]) > ZAF_DASH_FILTER_MAX) {
            s_answer_error (answer, 400, "BAD_ARGS", "a filter is longer than 64 characters");
            return;
        }
    if (offset < 0 || limit < 1) {
        s_answer_error (answer, 400, "BAD_ARGS", "offset must be 0 or more and limit 1 to 500");
        return;
    }
    if (sort && strneq (sort, "calls") && strneq (sort, "failed") && strneq (sort, "mailbox")
    &&  strneq (sort, "p99") && strneq (sort, "restarts")) {
        s_answer_error (answer, 400, "BAD_ARGS", "sort is one of calls, failed, mailbox, p99, restarts");
        return;
    }
    sort_item_t *matched = (sort_item_t *) calloc (snapshot->actor_count + 1, sizeof (sort_item_t));
    assert (matched);
    size_t count = 0;
    for (size_t index = 0; index < snapshot->actor_count; index++)
        if (s_matches (&snapshot->actors [index], query)) {
            matched [count].index = index;
            matched [count++].key = sort ? s_sort_key (&snapshot->actors [index], sort) : 0;
        }
    if (sort)
        qsort (matched, count, sizeof (sort_item_t), s_sort_compare);
    cJSON *result = cJSON_CreateObject ();
    cJSON_AddNumberToObject (result, "total", (double) snapshot->actor_count);
    cJSON_AddNumberToObject (result, "matched", (double) count);
    cJSON_AddNumberToObject (result, "offset", (double) offset);
    cJSON_AddNumberToObject (result, "limit", (double) limit);
    cJSON *rows = cJSON_AddArrayToObject (result, "actors");
    for (size_t index = (size_t) offset; index < count && index < (size_t) offset + (size_t) limit; index++)
        cJSON_AddItemToArray (rows, s_actor_row (&snapshot->actors [matched [index].index]));
    free (matched);
    s_answer_json (answer, 200, result);
}

//  /api/actors/<id>: the row and each method's latency
static void
s_actor_detail (zaf_dash_snapshot_t *snapshot, const char *id, zaf_dash_answer_t *answer)
{
    for (size_t index = 0; index < snapshot->actor_count; index++) {
        const zaf_dash_actor_t *row = &snapshot->actors [index];
        if (strneq (row->id, id))
            continue;
        cJSON *item = s_actor_row (row);
        cJSON *methods = cJSON_AddArrayToObject (item, "methods");
        for (int slot = 0; slot < row->method_count; slot++) {
            const zaf_dash_method_t *method = &row->methods [slot];
            cJSON *entry = cJSON_CreateObject ();
            cJSON_AddStringToObject (entry, "name", method->name);
            cJSON_AddNumberToObject (entry, "calls", (double) method->calls);
            cJSON_AddNumberToObject (entry, "failed", (double) method->failed);
            cJSON_AddNumberToObject (entry, "mean_ms", method->calls
                                     ? (double) method->sum_us / (double) method->calls / 1000.0 : 0);
            cJSON_AddNumberToObject (entry, "p50_ms", zaf_metrics_quantile (method->buckets, 0.5) * 1000.0);
            cJSON_AddNumberToObject (entry, "p99_ms", zaf_metrics_quantile (method->buckets, 0.99) * 1000.0);
            cJSON *buckets = cJSON_AddArrayToObject (entry, "buckets");
            for (int bucket = 0; bucket < ZAF_METRICS_BUCKETS; bucket++) {
                cJSON *pair = cJSON_CreateObject ();
                double le = zaf_metrics_bucket_le (bucket);
                if (isinf (le))
                    cJSON_AddStringToObject (pair, "le", "+Inf");
                else
                    cJSON_AddNumberToObject (pair, "le", le);
                cJSON_AddNumberToObject (pair, "count", (double) method->buckets [bucket]);
                cJSON_AddItemToArray (buckets, pair);
            }
            cJSON_AddItemToArray (methods, entry);
        }
        s_answer_json (answer, 200, item);
        return;
    }
    s_answer_error (answer, 404, "NO_SUCH_ACTOR", "no such actor in the dashboard's view");
}

//  --------------------------------------------------------------------------
//  Dispatch

void
zaf_dash_api_answer (zaf_dash_snapshot_t *snapshot, const char *path,
                     const zaf_dash_query_t *query, zaf_dash_answer_t *answer)
{
    memset (answer, 0, sizeof (*answer));
    if (!snapshot) {
        s_answer_error (answer, 503, "UNAVAILABLE", "the broker has not published its first view yet");
        return;
    }
    if (streq (path, "/metrics")) {
        answer->status = 200;
        answer->type = "text/plain; version=0.0.4; charset=utf-8";
        answer->body = zaf_dash_api_metrics (snapshot, &answer->size);
    }
    else
    if (streq (path, "/api/summary") || streq (path, "/api/status"))
        s_answer_json (answer, 200, s_summary (snapshot));
    else
    if (streq (path, "/api/nodes"))
        s_answer_json (answer, 200, s_nodes (snapshot));
    else
    if (streq (path, "/api/history"))
        s_answer_json (answer, 200, s_history (snapshot));
    else
    if (streq (path, "/api/actors") || streq (path, "/api/actors/"))
        s_actors (snapshot, query, answer);
    else
    if (strncmp (path, "/api/actors/", 12) == 0 && strlen (path + 12) <= ZAF_PROTO_ACTOR_MAX)
        s_actor_detail (snapshot, path + 12, answer);
    else
        s_answer_error (answer, 404, "NOT_FOUND", "no such page: see docs/DASHBOARD.md");
}

//  --------------------------------------------------------------------------
//  Prometheus text exposition (version 0.0.4)

//  A label value with \, " and newline escaped
static void
s_label (FILE *out, const char *value)
{
    for (const char *cursor = value; *cursor; cursor++) {
        if (*cursor == '\\')      fputs ("\\\\", out);
        else if (*cursor == '"')  fputs ("\\\"", out);
        else if (*cursor == '\n') fputs ("\\n", out);
        else                      fputc (*cursor, out);
    }
}

static void
s_family (FILE *out, const char *name, const char *type, const char *help)
{
    fprintf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

//  One method of one class, summed over its live actors
typedef struct {
    const char *class_name, *method;
    uint64_t count, sum_us;
    uint64_t buckets [ZAF_METRICS_BUCKETS];
} class_method_t;

static void
s_latency (FILE *out, zaf_dash_snapshot_t *snapshot)
{
    zhashx_t *sums = zhashx_new ();
    zhashx_set_destructor (sums, (zhashx_destructor_fn *) zstr_free);
    zlistx_t *order = zlistx_new ();
    for (size_t index = 0; index < snapshot->actor_count; index++) {
        const zaf_dash_actor_t *row = &snapshot->actors [index];
        if (row->state == ZAF_DASH_DEAD_STATE)
            continue;
        for (int slot = 0; slot < row->method_count; slot++) {
            const zaf_dash_method_t *method = &row->methods [slot];
            char key [160];
            snprintf (key, sizeof (key), "%s\n%s", row->class_name, method->name);
            class_method_t *sum = (class_method_t *) zhashx_lookup (sums, key);
            if (!sum) {
                sum = (class_method_t *) zmalloc (sizeof (class_method_t));
                sum->class_name = row->class_name;
                sum->method = method->name;
                zhashx_insert (sums, key, sum);
                zlistx_add_end (order, sum);
            }
            sum->count += method->calls;
            sum->sum_us += method->sum_us;
            for (int bucket = 0; bucket < ZAF_METRICS_BUCKETS; bucket++)
                sum->buckets [bucket] += method->buckets [bucket];
        }
    }
    s_family (out, "zaf_method_latency_seconds", "histogram",
              "Time actors took to serve a method, summed over the live actors of a class.");
    for (class_method_t *sum = (class_method_t *) zlistx_first (order); sum;
         sum = (class_method_t *) zlistx_next (order)) {
        uint64_t cumulative = 0;
        for (int bucket = 0; bucket < ZAF_METRICS_BUCKETS; bucket++) {
            cumulative += sum->buckets [bucket];
            fputs ("zaf_method_latency_seconds_bucket{class=\"", out);
            s_label (out, sum->class_name);
            fputs ("\",method=\"", out);
            s_label (out, sum->method);
            double le = zaf_metrics_bucket_le (bucket);
            if (isinf (le))
                fprintf (out, "\",le=\"+Inf\"} %" PRIu64 "\n", cumulative);
            else
                fprintf (out, "\",le=\"%g\"} %" PRIu64 "\n", le, cumulative);
        }
        //  Buckets are counted on the actor's side of the report; the
        //  count is their total so that count equals the +Inf bucket
        const char *suffixes [] = { "_sum", "_count" };
        for (int part = 0; part < 2; part++) {
            fprintf (out, "zaf_method_latency_seconds%s{class=\"", suffixes [part]);
            s_label (out, sum->class_name);
            fputs ("\",method=\"", out);
            s_label (out, sum->method);
            if (part == 0)
                fprintf (out, "\"} %.6f\n", (double) sum->sum_us / 1e6);
            else
                fprintf (out, "\"} %" PRIu64 "\n", cumulative);
        }
    }
    zlistx_destroy (&order);
    zhashx_destroy (&sums);
}

//  A per-actor family: value of each live actor (the first ZAF_DASH_PROM_ACTORS)
static void
s_actor_family (FILE *out, zaf_dash_snapshot_t *snapshot, const char *name, const char *type,
                const char *help, int field)
{
    s_family (out, name, type, help);
    size_t shown = 0;
    for (size_t index = 0; index < snapshot->actor_count && shown < ZAF_DASH_PROM_ACTORS; index++) {
        const zaf_dash_actor_t *row = &snapshot->actors [index];
        if (row->state == ZAF_DASH_DEAD_STATE)
            continue;
        shown++;
        uint64_t value = field == 0 ? row->calls : field == 1 ? row->failed
                       : field == 2 ? row->mailbox : field == 3 ? row->hwm
                       : (uint64_t) row->restarts;
        fprintf (out, "%s{actor=\"", name);
        s_label (out, row->id);
        fputs ("\",class=\"", out);
        s_label (out, row->class_name);
        fputs ("\",node=\"", out);
        s_label (out, row->node);
        fprintf (out, "\"} %" PRIu64 "\n", value);
    }
}

static void
s_node_family (FILE *out, zaf_dash_snapshot_t *snapshot, const char *name, const char *help, int field)
{
    s_family (out, name, "gauge", help);
    for (size_t index = 0; index < snapshot->node_count; index++) {
        const zaf_dash_node_t *row = &snapshot->nodes [index];
        if (row->lost)
            continue;
        double value = field == 0 ? row->actors : field == 1 ? row->tasks_running
                     : field == 2 ? row->tasks_queued : field == 3 ? row->cpus
                     : field == 4 ? (double) row->rss : row->heartbeat_age_s;
        fputs (name, out);
        fputs ("{node=\"", out);
        s_label (out, row->name);
        fprintf (out, "\"} %.17g\n", value);
    }
}

char *
zaf_dash_api_metrics (zaf_dash_snapshot_t *snapshot, size_t *size_p)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    assert (out);
    const zaf_broker_stats_t *stats = &snapshot->stats;
    s_family (out, "zaf_broker_uptime_seconds", "gauge", "Seconds since the broker started.");
    fprintf (out, "zaf_broker_uptime_seconds %.3f\n", snapshot->uptime_s);
    size_t up = 0;
    for (size_t index = 0; index < snapshot->node_count; index++)
        up += snapshot->nodes [index].lost ? 0 : 1;
    s_family (out, "zaf_broker_peers", "gauge", "Peers with a session, by role.");
    fprintf (out, "zaf_broker_peers{role=\"node\"} %zu\n", up);
    fprintf (out, "zaf_broker_peers{role=\"client\"} %zu\n", snapshot->clients);
    s_family (out, "zaf_broker_flights", "gauge", "Requests in flight.");
    fprintf (out, "zaf_broker_flights %zu\n", snapshot->flights);
    s_family (out, "zaf_broker_answers_held", "gauge", "Answers waiting for room in a peer's queue.");
    fprintf (out, "zaf_broker_answers_held %zu\n", snapshot->held);
    s_family (out, "zaf_broker_answers_held_bytes", "gauge", "Bytes of the answers held (bodies and attachments).");
    fprintf (out, "zaf_broker_answers_held_bytes %zu\n", snapshot->held_bytes);
    s_family (out, "zaf_broker_calls_per_second", "gauge", "Calls and tells routed over the last second.");
    fprintf (out, "zaf_broker_calls_per_second %.3f\n", snapshot->calls_per_s);
    s_family (out, "zaf_broker_messages_total", "counter", "Requests routed, by command.");
    #define MESSAGES(word, field) \
        fprintf (out, "zaf_broker_messages_total{command=\"" word "\"} %zu\n", stats->field)
    MESSAGES ("call", calls); MESSAGES ("tell", tells); MESSAGES ("reply", replies);
    MESSAGES ("spawn", spawns); MESSAGES ("submit", submits); MESSAGES ("kill", kills);
    MESSAGES ("lookup", lookups);
    #undef MESSAGES
    s_family (out, "zaf_broker_bad_input_total", "counter", "Bad input and refused traffic, by kind.");
    #define BAD(word, field) \
        fprintf (out, "zaf_broker_bad_input_total{kind=\"" word "\"} %zu\n", stats->field)
    BAD ("malformed", malformed); BAD ("unknown_peer", unknown_peer);
    BAD ("late_reply", late_replies); BAD ("wrong_peer", wrong_peer);
    BAD ("unroutable", unroutable); BAD ("overloaded", overloaded);
    #undef BAD
    s_family (out, "zaf_broker_errors_sent_total", "counter", "Error answers the broker sent.");
    fprintf (out, "zaf_broker_errors_sent_total %zu\n", stats->errors_sent);
    s_family (out, "zaf_broker_peers_lost_total", "counter", "Peers lost or gone.");
    fprintf (out, "zaf_broker_peers_lost_total %zu\n", stats->peers_lost);
    s_family (out, "zaf_actors", "gauge", "Actors by state (DEAD: those remembered).");
    for (int state = 0; state <= ZAF_DASH_DEAD_STATE; state++)
        fprintf (out, "zaf_actors{state=\"%s\"} %zu\n", zaf_dash_state_name ((zaf_dash_state_t) state),
                 snapshot->by_state [state]);
    s_family (out, "zaf_actor_deaths_total", "counter", "Actors that ended, by cause.");
    for (size_t index = 0; index < snapshot->cause_count; index++) {
        fputs ("zaf_actor_deaths_total{cause=\"", out);
        s_label (out, snapshot->causes [index].cause);
        fprintf (out, "\"} %" PRIu64 "\n", snapshot->causes [index].count);
    }
    s_node_family (out, snapshot, "zaf_node_actors", "Actors on a node.", 0);
    s_node_family (out, snapshot, "zaf_node_tasks_running", "Tasks running on a node.", 1);
    s_node_family (out, snapshot, "zaf_node_tasks_queued", "Tasks waiting for a worker.", 2);
    s_node_family (out, snapshot, "zaf_node_cpus", "Worker threads of a node.", 3);
    s_node_family (out, snapshot, "zaf_node_rss_bytes", "Resident memory of a node.", 4);
    s_node_family (out, snapshot, "zaf_node_heartbeat_age_seconds",
                   "Seconds since the broker last heard from a node.", 5);
    s_actor_family (out, snapshot, "zaf_actor_calls_total", "counter", "Calls and tells an actor served.", 0);
    s_actor_family (out, snapshot, "zaf_actor_calls_failed_total", "counter",
                    "Calls and tells that ended in an error.", 1);
    s_actor_family (out, snapshot, "zaf_actor_mailbox_depth", "gauge",
                    "Messages queued for an actor, the one it serves included.", 2);
    s_actor_family (out, snapshot, "zaf_actor_mailbox_high_water", "gauge",
                    "Most messages ever queued for an actor.", 3);
    s_actor_family (out, snapshot, "zaf_actor_restarts_total", "counter", "Times an actor was restarted.", 4);
    s_latency (out, snapshot);
    fclose (out);
    if (size_p)
        *size_p = size;
    return text;
}
