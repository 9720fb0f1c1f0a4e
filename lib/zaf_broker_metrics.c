/*  =========================================================================
    zaf_broker_metrics - what the broker knows about its cluster, for people

    Broker thread only, except the board (zaf_dash_board_*), which the
    HTTP thread reads under its mutex. A node's report is trusted only for
    the actors that node hosts; anything else in it is ignored. Every list
    is bounded: live actors by the actor table, dead ones by ZAF_DASH_DEAD,
    lost nodes by ZAF_DASH_LOST, history by ZAF_DASH_HISTORY, causes by
    ZAF_DASH_CAUSES (further causes count as "other").
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_broker_metrics.h"

//  What the last report said about one live actor
typedef struct {
    uint64_t calls, failed, mailbox, hwm;
    int method_count;
    zaf_dash_method_t methods [ZAF_METRICS_METHODS];
} entry_t;

//  What the last report said about one node
typedef struct {
    uint64_t rss;
    size_t tasks_running, tasks_queued;
    int64_t at;                         //  When (mono ms)
} node_entry_t;

struct _zaf_dash_board_t {
    pthread_mutex_t mutex;
    zaf_dash_snapshot_t *current;       //  Latest published, or NULL
};

struct _zaf_broker_metrics_t {
    char session [40];
    char endpoints [256];
    int heartbeat_ms;
    int64_t started;                    //  mono ms
    zaf_broker_peers_t *peers;          //  Borrowed
    zaf_broker_flights_t *flights;      //  Borrowed
    zaf_broker_actors_t *actors;        //  Borrowed
    zaf_broker_stats_t *stats;          //  Borrowed
    zhashx_t *entries;                  //  actor id -> entry_t (owned)
    zhashx_t *node_entries;             //  peer hex -> node_entry_t (owned)
    zaf_dash_actor_t *dead;             //  Ring of ZAF_DASH_DEAD rows
    size_t dead_next, dead_count;
    zaf_dash_node_t lost [ZAF_DASH_LOST];   //  Ring of lost nodes
    size_t lost_next, lost_count;
    zaf_dash_sample_t *history;         //  Ring of ZAF_DASH_HISTORY samples
    size_t history_next, history_count;
    zaf_dash_cause_t causes [ZAF_DASH_CAUSES];
    size_t cause_count;
    size_t last_calls;                  //  stats calls + tells at last sample
    int64_t last_sample;                //  mono ms
    double calls_per_s;                 //  Over the last second
    int64_t last_publish;               //  mono ms
    bool dirty;                         //  Something changed since then
    size_t fingerprint;                 //  Of the tables, at the last look
    zaf_dash_board_t *board;
};

//  --------------------------------------------------------------------------
//  States, snapshots and the board

const char *
zaf_dash_state_name (zaf_dash_state_t state)
{
    static const char *names [] = { "PENDING", "ALIVE", "RESTARTING", "DEAD" };
    return state <= ZAF_DASH_DEAD_STATE ? names [state] : "?";
}

zaf_dash_snapshot_t *
zaf_dash_snapshot_ref (zaf_dash_snapshot_t *self)
{
    if (self)
        atomic_fetch_add (&self->refs, 1);
    return self;
}

void
zaf_dash_snapshot_unref (zaf_dash_snapshot_t **self_p)
{
    assert (self_p);
    zaf_dash_snapshot_t *self = *self_p;
    *self_p = NULL;
    if (!self || atomic_fetch_sub (&self->refs, 1) != 1)
        return;
    for (size_t index = 0; index < self->actor_count; index++)
        free (self->actors [index].methods);
    free (self->actors);
    free (self->nodes);
    free (self->samples);
    free (self);
}

zaf_dash_board_t *
zaf_dash_board_new (void)
{
    zaf_dash_board_t *self = (zaf_dash_board_t *) zmalloc (sizeof (zaf_dash_board_t));
    assert (self);
    pthread_mutex_init (&self->mutex, NULL);
    return self;
}

void
zaf_dash_board_destroy (zaf_dash_board_t **self_p)
{
    assert (self_p);
    zaf_dash_board_t *self = *self_p;
    if (!self)
        return;
    zaf_dash_snapshot_unref (&self->current);
    pthread_mutex_destroy (&self->mutex);
    free (self);
    *self_p = NULL;
}

zaf_dash_snapshot_t *
zaf_dash_board_take (zaf_dash_board_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->mutex);
    zaf_dash_snapshot_t *snapshot = zaf_dash_snapshot_ref (self->current);
    pthread_mutex_unlock (&self->mutex);
    return snapshot;
}

//  Publish a snapshot (the board takes the caller's reference)
static void
s_board_publish (zaf_dash_board_t *self, zaf_dash_snapshot_t *snapshot)
{
    pthread_mutex_lock (&self->mutex);
    zaf_dash_snapshot_t *old = self->current;
    self->current = snapshot;
    pthread_mutex_unlock (&self->mutex);
    zaf_dash_snapshot_unref (&old);     //  Freed outside the lock
}

//  --------------------------------------------------------------------------
//  Create and destroy

static void
s_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

zaf_broker_metrics_t *
zaf_broker_metrics_new (const char *session, zaf_broker_peers_t *peers,
                        zaf_broker_flights_t *flights, zaf_broker_actors_t *actors,
                        zaf_broker_stats_t *stats)
{
    zaf_broker_metrics_t *self = (zaf_broker_metrics_t *) zmalloc (sizeof (zaf_broker_metrics_t));
    assert (self);
    snprintf (self->session, sizeof (self->session), "%s", session);
    self->heartbeat_ms = ZAF_HEARTBEAT_MS;
    self->started = zclock_mono ();
    self->peers = peers;
    self->flights = flights;
    self->actors = actors;
    self->stats = stats;
    self->entries = zhashx_new ();
    zhashx_set_destructor (self->entries, s_free);
    self->node_entries = zhashx_new ();
    zhashx_set_destructor (self->node_entries, s_free);
    self->dead = (zaf_dash_actor_t *) calloc (ZAF_DASH_DEAD, sizeof (zaf_dash_actor_t));
    self->history = (zaf_dash_sample_t *) calloc (ZAF_DASH_HISTORY, sizeof (zaf_dash_sample_t));
    assert (self->dead && self->history);
    self->last_sample = self->started;
    self->board = zaf_dash_board_new ();
    self->dirty = true;
    return self;
}

void
zaf_broker_metrics_destroy (zaf_broker_metrics_t **self_p)
{
    assert (self_p);
    zaf_broker_metrics_t *self = *self_p;
    if (!self)
        return;
    zaf_dash_board_destroy (&self->board);
    for (size_t index = 0; index < ZAF_DASH_DEAD; index++)
        free (self->dead [index].methods);
    free (self->dead);
    free (self->history);
    zhashx_destroy (&self->entries);
    zhashx_destroy (&self->node_entries);
    free (self);
    *self_p = NULL;
}

zaf_dash_board_t *
zaf_broker_metrics_board (zaf_broker_metrics_t *self)
{
    assert (self);
    return self->board;
}

void
zaf_broker_metrics_add_endpoint (zaf_broker_metrics_t *self, const char *endpoint)
{
    assert (self);
    size_t used = strlen (self->endpoints);
    snprintf (self->endpoints + used, sizeof (self->endpoints) - used, "%s%s",
              used ? " " : "", endpoint);
}

void
zaf_broker_metrics_set_heartbeat (zaf_broker_metrics_t *self, int heartbeat_ms)
{
    assert (self);
    self->heartbeat_ms = heartbeat_ms;
}

//  --------------------------------------------------------------------------
//  A node's report

static uint64_t
s_count (const cJSON *object, const char *key)
{
    double value = zaf_json_number (object, key, 0);
    return value > 0 && value < 1e19 ? (uint64_t) value : 0;
}

//  Read one method's histogram; false if it is not one
static bool
s_read_method (const cJSON *item, zaf_dash_method_t *method)
{
    if (!cJSON_IsObject (item) || !item->string)
        return false;
    memset (method, 0, sizeof (*method));
    snprintf (method->name, sizeof (method->name), "%s", item->string);
    method->calls = s_count (item, "calls");
    method->failed = s_count (item, "failed");
    method->sum_us = s_count (item, "sum_us");
    const cJSON *buckets = cJSON_GetObjectItemCaseSensitive (item, "buckets");
    if (!cJSON_IsArray (buckets) || cJSON_GetArraySize (buckets) != ZAF_METRICS_BUCKETS)
        return false;
    int index = 0;
    const cJSON *bucket;
    cJSON_ArrayForEach (bucket, buckets) {
        if (!cJSON_IsNumber (bucket) || bucket->valuedouble < 0)
            return false;
        method->buckets [index++] = (uint64_t) bucket->valuedouble;
    }
    return true;
}

static void
s_read_actor (zaf_broker_metrics_t *self, zaf_broker_peer_t *node, const cJSON *item)
{
    const char *id = zaf_json_string (item, "id", NULL);
    zaf_broker_actor_t *actor = id ? zaf_broker_actors_lookup (self->actors, id) : NULL;
    if (!actor || actor->node != node)
        return;                 //  Not this node's to report
    entry_t *entry = (entry_t *) zhashx_lookup (self->entries, id);
    if (!entry) {
        entry = (entry_t *) zmalloc (sizeof (entry_t));
        assert (entry);
        zhashx_insert (self->entries, id, entry);
    }
    entry->calls = s_count (item, "calls");
    entry->failed = s_count (item, "failed");
    entry->mailbox = s_count (item, "mailbox");
    entry->hwm = s_count (item, "hwm");
    entry->method_count = 0;
    const cJSON *methods = cJSON_GetObjectItemCaseSensitive (item, "methods");
    const cJSON *method;
    if (cJSON_IsObject (methods))
        cJSON_ArrayForEach (method, methods) {
            if (entry->method_count >= ZAF_METRICS_METHODS)
                break;
            if (s_read_method (method, &entry->methods [entry->method_count]))
                entry->method_count++;
        }
}

void
zaf_broker_metrics_heartbeat (zaf_broker_metrics_t *self, zaf_broker_peer_t *node, zaf_proto_t *beat)
{
    assert (self);
    if (node->role != ROLE_NODE || zaf_proto_attachments (beat) == 0)
        return;
    zmq_msg_t *frame = zaf_proto_attachment (beat, 0);
    size_t size = zmq_msg_size (frame);
    cJSON *report = size <= ZAF_METRICS_REPORT_MAX
                  ? zaf_json_parse ((const char *) zmq_msg_data (frame), size) : NULL;
    if (!cJSON_IsObject (report)) {
        self->stats->malformed++;
        cJSON_Delete (report);
        return;
    }
    node_entry_t *entry = (node_entry_t *) zhashx_lookup (self->node_entries, node->hex);
    if (!entry) {
        entry = (node_entry_t *) zmalloc (sizeof (node_entry_t));
        assert (entry);
        zhashx_insert (self->node_entries, node->hex, entry);
    }
    entry->rss = s_count (report, "rss");
    entry->tasks_running = (size_t) s_count (report, "tasks_running");
    entry->tasks_queued = (size_t) s_count (report, "tasks_queued");
    entry->at = zclock_mono ();
    const cJSON *actors = cJSON_GetObjectItemCaseSensitive (report, "actor_metrics");
    const cJSON *item;
    int read = 0;
    if (cJSON_IsArray (actors))
        cJSON_ArrayForEach (item, actors)
            if (read++ < ZAF_METRICS_REPORT_ACTORS)
                s_read_actor (self, node, item);
    cJSON_Delete (report);
    self->dirty = true;
}

//  --------------------------------------------------------------------------
//  Rows

//  p50 and p99 over all of an entry's methods
static void
s_quantiles (const zaf_dash_method_t *methods, int count, double *p50, double *p99)
{
    uint64_t sum [ZAF_METRICS_BUCKETS] = { 0 };
    for (int index = 0; index < count; index++)
        for (int bucket = 0; bucket < ZAF_METRICS_BUCKETS; bucket++)
            sum [bucket] += methods [index].buckets [bucket];
    *p50 = zaf_metrics_quantile (sum, 0.5);
    *p99 = zaf_metrics_quantile (sum, 0.99);
}

static void
s_fill_row (zaf_broker_metrics_t *self, zaf_broker_actor_t *actor, zaf_dash_actor_t *row)
{
    memset (row, 0, sizeof (*row));
    snprintf (row->id, sizeof (row->id), "%s", actor->id);
    snprintf (row->class_name, sizeof (row->class_name), "%s", actor->class_name);
    snprintf (row->name, sizeof (row->name), "%s", actor->name ? actor->name : "");
    snprintf (row->node, sizeof (row->node), "%s", actor->node ? actor->node->name : "");
    if (actor->parent)
        snprintf (row->owner, sizeof (row->owner), "actor:%s", actor->parent->id);
    else
    if (actor->owner)
        snprintf (row->owner, sizeof (row->owner), "%s:%s",
                  zaf_broker_role_name (actor->owner->role), actor->owner->name);
    else
        snprintf (row->owner, sizeof (row->owner), "%s", actor->detached ? "detached" : "");
    row->state = actor->restarting ? ZAF_DASH_RESTARTING
               : actor->ready ? ZAF_DASH_ALIVE : ZAF_DASH_PENDING;
    row->restarts = actor->restarts;
    entry_t *entry = (entry_t *) zhashx_lookup (self->entries, actor->id);
    if (entry) {
        row->calls = entry->calls;
        row->failed = entry->failed;
        row->mailbox = entry->mailbox;
        row->hwm = entry->hwm;
        s_quantiles (entry->methods, entry->method_count, &row->p50, &row->p99);
        if (entry->method_count) {
            row->methods = (zaf_dash_method_t *) malloc (sizeof (zaf_dash_method_t) * entry->method_count);
            assert (row->methods);
            memcpy (row->methods, entry->methods, sizeof (zaf_dash_method_t) * entry->method_count);
            row->method_count = entry->method_count;
        }
    }
}

static void
s_count_cause (zaf_broker_metrics_t *self, const char *cause)
{
    for (size_t index = 0; index < self->cause_count; index++)
        if (streq (self->causes [index].cause, cause)) {
            self->causes [index].count++;
            return;
        }
    if (self->cause_count < ZAF_DASH_CAUSES - 1) {
        snprintf (self->causes [self->cause_count].cause, sizeof (self->causes [0].cause), "%s", cause);
        self->causes [self->cause_count++].count = 1;
        return;
    }
    //  The last slot counts every further cause
    snprintf (self->causes [ZAF_DASH_CAUSES - 1].cause, sizeof (self->causes [0].cause), "other");
    self->causes [ZAF_DASH_CAUSES - 1].count++;
    self->cause_count = ZAF_DASH_CAUSES;
}

void
zaf_broker_metrics_actor_ended (zaf_broker_metrics_t *self, zaf_broker_actor_t *actor,
                                const char *reason)
{
    assert (self);
    zaf_dash_actor_t *row = &self->dead [self->dead_next];
    free (row->methods);
    s_fill_row (self, actor, row);
    row->state = ZAF_DASH_DEAD_STATE;
    row->mailbox = 0;
    snprintf (row->cause, sizeof (row->cause), "%s", reason ? reason : "");
    row->died_at = (double) zclock_time () / 1000.0;
    self->dead_next = (self->dead_next + 1) % ZAF_DASH_DEAD;
    if (self->dead_count < ZAF_DASH_DEAD)
        self->dead_count++;
    s_count_cause (self, row->cause);
    zhashx_delete (self->entries, actor->id);
    self->dirty = true;
}

static void
s_fill_node (zaf_broker_metrics_t *self, zaf_broker_peer_t *peer, zaf_dash_node_t *row, int64_t now)
{
    memset (row, 0, sizeof (*row));
    snprintf (row->name, sizeof (row->name), "%s", peer->name);
    snprintf (row->peer, sizeof (row->peer), "%s", peer->hex);
    snprintf (row->host, sizeof (row->host), "%s", peer->host);
    row->pid = peer->pid;
    row->cpus = peer->cpus;
    row->actors = peer->actors;
    row->heartbeat_age_s = (double) (now - peer->last_seen) / 1000.0;
    row->uptime_s = (double) (now - peer->joined) / 1000.0;
    row->report_age_s = -1;
    node_entry_t *entry = (node_entry_t *) zhashx_lookup (self->node_entries, peer->hex);
    if (entry) {
        row->rss = entry->rss;
        row->tasks_running = entry->tasks_running;
        row->tasks_queued = entry->tasks_queued;
        row->report_age_s = (double) (now - entry->at) / 1000.0;
    }
}

void
zaf_broker_metrics_peer_lost (zaf_broker_metrics_t *self, zaf_broker_peer_t *peer,
                              const char *reason)
{
    assert (self);
    if (peer->role != ROLE_NODE)
        return;
    zaf_dash_node_t *row = &self->lost [self->lost_next];
    s_fill_node (self, peer, row, zclock_mono ());
    row->lost = true;
    row->actors = 0;
    snprintf (row->cause, sizeof (row->cause), "%s", reason ? reason : "");
    self->lost_next = (self->lost_next + 1) % ZAF_DASH_LOST;
    if (self->lost_count < ZAF_DASH_LOST)
        self->lost_count++;
    zhashx_delete (self->node_entries, peer->hex);
    self->dirty = true;
}

//  --------------------------------------------------------------------------
//  Snapshots

static void
s_add_nodes (zaf_broker_metrics_t *self, zaf_dash_snapshot_t *snapshot, int64_t now)
{
    zlistx_t *peers = zaf_broker_peers_list (self->peers);
    snapshot->nodes = (zaf_dash_node_t *) calloc (zlistx_size (peers) + self->lost_count + 1,
                                                  sizeof (zaf_dash_node_t));
    assert (snapshot->nodes);
    for (zaf_broker_peer_t *peer = (zaf_broker_peer_t *) zlistx_first (peers); peer;
         peer = (zaf_broker_peer_t *) zlistx_next (peers)) {
        snapshot->peers++;
        if (peer->role == ROLE_NODE)
            s_fill_node (self, peer, &snapshot->nodes [snapshot->node_count++], now);
        else
            snapshot->clients++;
        if (peer->backlog && zlistx_size (peer->backlog)) {
            //  Answers held for a slow reader, and the bytes they occupy
            //  (zaf_broker_out keeps the count)
            snapshot->held += zlistx_size (peer->backlog);
            snapshot->held_bytes += peer->held_bytes;
        }
    }
    zlistx_destroy (&peers);
    //  Lost nodes, newest first
    for (size_t step = 0; step < self->lost_count; step++) {
        size_t index = (self->lost_next + ZAF_DASH_LOST - 1 - step) % ZAF_DASH_LOST;
        snapshot->nodes [snapshot->node_count++] = self->lost [index];
    }
}

static void
s_add_actors (zaf_broker_metrics_t *self, zaf_dash_snapshot_t *snapshot)
{
    size_t live = zaf_broker_actors_size (self->actors);
    snapshot->actors = (zaf_dash_actor_t *) calloc (live + self->dead_count + 1, sizeof (zaf_dash_actor_t));
    assert (snapshot->actors);
    for (zaf_broker_actor_t *actor = zaf_broker_actors_first (self->actors);
         actor && snapshot->actor_count < live;
         actor = zaf_broker_actors_next (self->actors)) {
        zaf_dash_actor_t *row = &snapshot->actors [snapshot->actor_count++];
        s_fill_row (self, actor, row);
        snapshot->by_state [row->state]++;
    }
    //  The dead, newest first (the methods are copied: rows own theirs)
    for (size_t step = 0; step < self->dead_count; step++) {
        size_t index = (self->dead_next + ZAF_DASH_DEAD - 1 - step) % ZAF_DASH_DEAD;
        zaf_dash_actor_t *row = &snapshot->actors [snapshot->actor_count++];
        *row = self->dead [index];
        if (row->method_count) {
            row->methods = (zaf_dash_method_t *) malloc (sizeof (zaf_dash_method_t) * row->method_count);
            assert (row->methods);
            memcpy (row->methods, self->dead [index].methods, sizeof (zaf_dash_method_t) * row->method_count);
        }
        snapshot->by_state [ZAF_DASH_DEAD_STATE]++;
    }
}

zaf_dash_snapshot_t *
zaf_broker_metrics_snapshot (zaf_broker_metrics_t *self)
{
    assert (self);
    int64_t now = zclock_mono ();
    zaf_dash_snapshot_t *snapshot = (zaf_dash_snapshot_t *) zmalloc (sizeof (zaf_dash_snapshot_t));
    assert (snapshot);
    atomic_init (&snapshot->refs, 1);
    snprintf (snapshot->session, sizeof (snapshot->session), "%s", self->session);
    snprintf (snapshot->endpoints, sizeof (snapshot->endpoints), "%s", self->endpoints);
    snapshot->time = (double) zclock_time () / 1000.0;
    snapshot->uptime_s = (double) (now - self->started) / 1000.0;
    snapshot->heartbeat_ms = self->heartbeat_ms;
    snapshot->stats = *self->stats;
    snapshot->flights = zaf_broker_flights_size (self->flights);
    snapshot->calls_per_s = self->calls_per_s;
    s_add_nodes (self, snapshot, now);
    s_add_actors (self, snapshot);
    snapshot->samples = (zaf_dash_sample_t *) calloc (self->history_count + 1, sizeof (zaf_dash_sample_t));
    assert (snapshot->samples);
    for (size_t step = 0; step < self->history_count; step++) {
        size_t index = (self->history_next + ZAF_DASH_HISTORY - self->history_count + step)
                     % ZAF_DASH_HISTORY;
        snapshot->samples [snapshot->sample_count++] = self->history [index];
    }
    snapshot->cause_count = self->cause_count;
    memcpy (snapshot->causes, self->causes, sizeof (self->causes));
    return snapshot;
}

//  One second of history
static void
s_sample (zaf_broker_metrics_t *self, int64_t now)
{
    size_t calls = self->stats->calls + self->stats->tells;
    double seconds = (double) (now - self->last_sample) / 1000.0;
    self->calls_per_s = seconds > 0 ? (double) (calls - self->last_calls) / seconds : 0;
    self->last_calls = calls;
    self->last_sample = now;
    zaf_dash_sample_t *sample = &self->history [self->history_next];
    sample->time = (double) zclock_time () / 1000.0;
    sample->calls_per_s = self->calls_per_s;
    sample->mailbox = 0;
    for (entry_t *entry = (entry_t *) zhashx_first (self->entries); entry;
         entry = (entry_t *) zhashx_next (self->entries))
        sample->mailbox += entry->mailbox;
    sample->actors = zaf_broker_actors_size (self->actors);
    sample->nodes = zaf_broker_peers_nodes (self->peers);
    self->history_next = (self->history_next + 1) % ZAF_DASH_HISTORY;
    if (self->history_count < ZAF_DASH_HISTORY)
        self->history_count++;
    self->dirty = true;
}

//  A number that moves when the broker's tables or counters move
static size_t
s_fingerprint (zaf_broker_metrics_t *self)
{
    const zaf_broker_stats_t *stats = self->stats;
    return stats->calls + stats->tells + stats->replies + stats->spawns + stats->kills
         + stats->submits + stats->peers_lost + stats->errors_sent
         + zaf_broker_peers_size (self->peers) * 7919 + zaf_broker_actors_size (self->actors) * 104729;
}

int64_t
zaf_broker_metrics_tick (zaf_broker_metrics_t *self, int64_t now)
{
    assert (self);
    size_t fingerprint = s_fingerprint (self);
    if (fingerprint != self->fingerprint) {
        self->fingerprint = fingerprint;
        self->dirty = true;
    }
    if (now - self->last_sample >= 1000)
        s_sample (self, now);
    if (self->dirty && now - self->last_publish >= ZAF_DASH_PUBLISH_MS) {
        s_board_publish (self->board, zaf_broker_metrics_snapshot (self));
        self->last_publish = now;
        self->dirty = false;
    }
    int64_t next = self->last_sample + 1000;
    if (self->dirty && self->last_publish + ZAF_DASH_PUBLISH_MS < next)
        next = self->last_publish + ZAF_DASH_PUBLISH_MS;
    return next;
}

//  --------------------------------------------------------------------------
//  For STATUS

cJSON *
zaf_broker_metrics_actor_json (zaf_broker_metrics_t *self, const char *actor_id)
{
    assert (self);
    entry_t *entry = (entry_t *) zhashx_lookup (self->entries, actor_id);
    if (!entry)
        return NULL;
    cJSON *item = cJSON_CreateObject ();
    cJSON_AddNumberToObject (item, "calls", (double) entry->calls);
    cJSON_AddNumberToObject (item, "failed", (double) entry->failed);
    cJSON_AddNumberToObject (item, "mailbox", (double) entry->mailbox);
    cJSON_AddNumberToObject (item, "hwm", (double) entry->hwm);
    double p50, p99;
    s_quantiles (entry->methods, entry->method_count, &p50, &p99);
    cJSON_AddNumberToObject (item, "p50_ms", p50 * 1000.0);
    cJSON_AddNumberToObject (item, "p99_ms", p99 * 1000.0);
    return item;
}

cJSON *
zaf_broker_metrics_dead_json (zaf_broker_metrics_t *self, size_t limit)
{
    assert (self);
    cJSON *dead = cJSON_CreateArray ();
    for (size_t step = 0; step < self->dead_count && step < limit; step++) {
        const zaf_dash_actor_t *row = &self->dead [(self->dead_next + ZAF_DASH_DEAD - 1 - step) % ZAF_DASH_DEAD];
        cJSON *item = cJSON_CreateObject ();
        cJSON_AddStringToObject (item, "id", row->id);
        cJSON_AddStringToObject (item, "class", row->class_name);
        if (*row->name)
            cJSON_AddStringToObject (item, "name", row->name);
        cJSON_AddStringToObject (item, "node", row->node);
        cJSON_AddStringToObject (item, "state", "DEAD");
        cJSON_AddStringToObject (item, "cause", row->cause);
        cJSON_AddNumberToObject (item, "restarts", row->restarts);
        cJSON_AddNumberToObject (item, "calls", (double) row->calls);
        cJSON_AddNumberToObject (item, "failed", (double) row->failed);
        cJSON_AddNumberToObject (item, "p50_ms", row->p50 * 1000.0);
        cJSON_AddNumberToObject (item, "p99_ms", row->p99 * 1000.0);
        cJSON_AddItemToArray (dead, item);
    }
    return dead;
}
