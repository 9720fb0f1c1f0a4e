/*  =========================================================================
    zaf_broker_status - what the broker says about itself: STATUS and STOP

    Runs in the broker thread only, and only reads the tables below it: a
    snapshot changes nothing. Peers are listed sorted by name then routing
    id, so that successive snapshots compare line by line; actors are
    listed a page at a time (offset, limit; at most 1000), in table order.
    Every list is bounded, so an answer stays small however large the
    cluster: at most ZAF_BROKER_STATUS_PEERS nodes and as many clients, at
    most ZAF_BROKER_STATUS_NAMES classes and functions per node and
    ZAF_BROKER_STATUS_NAMES_BYTES of them in all, and the totals beside
    each cut list.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_broker_status.h"
#include "zaf_broker_metrics.h"

struct _zaf_broker_status_t {
    char session [40];              //  This broker's run
    char *endpoints;                //  What we bound, space-separated
    int64_t started;                //  Start time (mono ms)
    int heartbeat_ms;
    zaf_broker_peers_t *peers;      //  Borrowed
    zaf_broker_flights_t *flights;  //  Borrowed
    zaf_broker_actors_t *actors;    //  Borrowed
    zaf_broker_out_t *out;          //  Borrowed
    zaf_broker_stats_t *stats;      //  Borrowed
    zaf_broker_metrics_t *metrics;  //  Borrowed, or NULL
    char *dashboard;                //  Its URL, or NULL
};

//  --------------------------------------------------------------------------
//  Create and destroy the status reporter.

zaf_broker_status_t *
zaf_broker_status_new (const char *session, zaf_broker_peers_t *peers,
                       zaf_broker_flights_t *flights, zaf_broker_actors_t *actors,
                       zaf_broker_out_t *out, zaf_broker_stats_t *stats)
{
    zaf_broker_status_t *self = (zaf_broker_status_t *) zmalloc (sizeof (zaf_broker_status_t));
    assert (self);
    snprintf (self->session, sizeof (self->session), "%s", session);
    self->endpoints = strdup ("");
    self->peers = peers;
    self->flights = flights;
    self->actors = actors;
    self->out = out;
    self->stats = stats;
    self->started = zclock_mono ();
    self->heartbeat_ms = ZAF_HEARTBEAT_MS;
    return self;
}

void
zaf_broker_status_destroy (zaf_broker_status_t **self_p)
{
    assert (self_p);
    zaf_broker_status_t *self = *self_p;
    if (!self)
        return;
    free (self->endpoints);
    free (self->dashboard);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Record an endpoint, and the heartbeat interval.

void
zaf_broker_status_add_endpoint (zaf_broker_status_t *self, const char *endpoint)
{
    assert (self);
    char *text = zsys_sprintf ("%s%s%s", self->endpoints, *self->endpoints ? " " : "", endpoint);
    free (self->endpoints);
    self->endpoints = text;
}

void
zaf_broker_status_set_heartbeat (zaf_broker_status_t *self, int heartbeat_ms)
{
    assert (self);
    self->heartbeat_ms = heartbeat_ms;
}

//  --------------------------------------------------------------------------
//  The dashboard: its metrics (for actors' columns) and its URL

void
zaf_broker_status_set_metrics (zaf_broker_status_t *self, zaf_broker_metrics_t *metrics)
{
    assert (self);
    self->metrics = metrics;
}

void
zaf_broker_status_set_dashboard (zaf_broker_status_t *self, const char *url)
{
    assert (self);
    free (self->dashboard);
    self->dashboard = url ? strdup (url) : NULL;
}

//  --------------------------------------------------------------------------
//  Parts of the snapshot

//  The names of a set, sorted, at most ZAF_BROKER_STATUS_NAMES of them and
//  at most *left bytes of them (what the snapshot may still list, counting
//  quotes and comma); the total beside them when the list is cut. A set
//  not listed at all is not even sorted.
static void
s_add_names (cJSON *item, const char *key, zhashx_t *set, size_t *left)
{
    cJSON *array = cJSON_AddArrayToObject (item, key);
    size_t size = zhashx_size (set);
    size_t shown = 0;
    if (*left && size) {
        zlistx_t *keys = zhashx_keys (set);
        zlistx_set_comparator (keys, (zlistx_comparator_fn *) strcmp);
        zlistx_sort (keys);
        for (const char *name = (const char *) zlistx_first (keys);
             name && shown < ZAF_BROKER_STATUS_NAMES && strlen (name) + 3 <= *left;
             name = (const char *) zlistx_next (keys), shown++) {
            cJSON_AddItemToArray (array, cJSON_CreateString (name));
            *left -= strlen (name) + 3;
        }
        if (shown < size && shown < ZAF_BROKER_STATUS_NAMES)
            *left = 0;          //  Full: the nodes after this one list none
        zlistx_destroy (&keys);
    }
    if (size > shown) {
        char total [32];
        snprintf (total, sizeof (total), "%s_total", key);
        cJSON_AddNumberToObject (item, total, (double) size);
    }
}

//  Peers in STATUS: by name, then by id
static int
s_peer_compare (const void *item1, const void *item2)
{
    const zaf_broker_peer_t *peer1 = (const zaf_broker_peer_t *) item1;
    const zaf_broker_peer_t *peer2 = (const zaf_broker_peer_t *) item2;
    int order = strcmp (peer1->name, peer2->name);
    return order ? order : strcmp (peer1->hex, peer2->hex);
}

static void
s_add_peers (zaf_broker_status_t *self, cJSON *status, int64_t now)
{
    cJSON *nodes = cJSON_AddArrayToObject (status, "nodes");
    cJSON *clients = cJSON_AddArrayToObject (status, "clients");
    zlistx_t *peers = zaf_broker_peers_list (self->peers);
    zlistx_set_comparator (peers, s_peer_compare);
    zlistx_sort (peers);
    size_t node_count = 0, client_count = 0;
    size_t names_left = ZAF_BROKER_STATUS_NAMES_BYTES;
    for (zaf_broker_peer_t *peer = (zaf_broker_peer_t *) zlistx_first (peers); peer;
         peer = (zaf_broker_peer_t *) zlistx_next (peers)) {
        size_t *count = peer->role == ROLE_NODE ? &node_count : &client_count;
        if ((*count)++ >= ZAF_BROKER_STATUS_PEERS)
            continue;
        cJSON *item = cJSON_CreateObject ();
        cJSON_AddStringToObject (item, "peer", peer->hex);
        cJSON_AddStringToObject (item, "role", zaf_broker_role_name (peer->role));
        cJSON_AddStringToObject (item, "name", peer->name);
        cJSON_AddStringToObject (item, "host", peer->host);
        cJSON_AddNumberToObject (item, "pid", peer->pid);
        cJSON_AddNumberToObject (item, "uptime_s", (double) (now - peer->joined) / 1000.0);
        if (peer->role == ROLE_NODE) {
            cJSON_AddNumberToObject (item, "cpus", peer->cpus);
            cJSON_AddNumberToObject (item, "actors", (double) peer->actors);
            cJSON_AddNumberToObject (item, "tasks", (double) peer->tasks);
            if (peer->capacity)     //  {"total", "free", "labels"} (zaf_resources)
                cJSON_AddItemToObject (item, "resources", zaf_capacity_json (peer->capacity));
            s_add_names (item, "classes", peer->classes, &names_left);
            s_add_names (item, "functions", peer->functions, &names_left);
            cJSON_AddItemToArray (nodes, item);
        }
        else
            cJSON_AddItemToArray (clients, item);
    }
    zlistx_destroy (&peers);
    cJSON_AddNumberToObject (status, "nodes_total", (double) node_count);
    cJSON_AddNumberToObject (status, "clients_total", (double) client_count);
}

//  What the dashboard knows of a live actor: its state, and the metrics its
//  node last reported (mailbox, calls, failed, p50_ms, p99_ms)
static void
s_add_actor_metrics (zaf_broker_status_t *self, zaf_broker_actor_t *actor, cJSON *item)
{
    cJSON_AddStringToObject (item, "state", actor->restarting ? "RESTARTING"
                                          : actor->ready ? "ALIVE" : "PENDING");
    cJSON *metrics = self->metrics ? zaf_broker_metrics_actor_json (self->metrics, actor->id) : NULL;
    cJSON *field = metrics ? metrics->child : NULL;
    while (field) {
        cJSON *next = field->next;
        cJSON_AddItemToObject (item, field->string, cJSON_DetachItemViaPointer (metrics, field));
        field = next;
    }
    cJSON_Delete (metrics);
}

static void
s_add_actors (zaf_broker_status_t *self, cJSON *status, int offset, int limit)
{
    cJSON *actors = cJSON_AddArrayToObject (status, "actors");
    if (offset < 0)
        offset = 0;
    if (limit < 0)
        limit = 0;
    if (limit > ZAF_BROKER_STATUS_PAGE)
        limit = ZAF_BROKER_STATUS_PAGE;
    cJSON_AddNumberToObject (status, "offset", offset);
    cJSON_AddNumberToObject (status, "limit", limit);
    int skipped = 0, shown = 0;
    for (zaf_broker_actor_t *actor = zaf_broker_actors_first (self->actors); actor && shown < limit;
         actor = zaf_broker_actors_next (self->actors)) {
        if (skipped < offset) {
            skipped++;
            continue;
        }
        shown++;
        cJSON *item = cJSON_CreateObject ();
        cJSON_AddStringToObject (item, "id", actor->id);
        cJSON_AddStringToObject (item, "class", actor->class_name);
        cJSON_AddStringToObject (item, "node", actor->node->name);
        if (actor->name)
            cJSON_AddStringToObject (item, "name", actor->name);
        cJSON_AddBoolToObject (item, "ready", actor->ready && !actor->restarting);
        cJSON_AddNumberToObject (item, "pending", (double) actor->pending);
        if (actor->spawn)
            cJSON_AddNumberToObject (item, "restarts", actor->restarts);
        if (actor->restarting)
            cJSON_AddBoolToObject (item, "restarting", true);
        if (actor->detached)
            cJSON_AddBoolToObject (item, "detached", true);
        s_add_actor_metrics (self, actor, item);
        cJSON_AddItemToArray (actors, item);
    }
}

static void
s_add_counters (zaf_broker_status_t *self, cJSON *status)
{
    cJSON *counters = cJSON_AddObjectToObject (status, "counters");
    const zaf_broker_stats_t *stats = self->stats;
    #define COUNTER(field) cJSON_AddNumberToObject (counters, #field, (double) stats->field)
    COUNTER (calls); COUNTER (tells); COUNTER (replies); COUNTER (spawns);
    COUNTER (submits); COUNTER (kills); COUNTER (lookups); COUNTER (errors_sent);
    COUNTER (malformed); COUNTER (unknown_peer); COUNTER (late_replies);
    COUNTER (wrong_peer); COUNTER (unroutable); COUNTER (overloaded); COUNTER (peers_lost);
    COUNTER (backlogged); COUNTER (held_dropped);
    COUNTER (unauthorized); COUNTER (handshakes_allowed); COUNTER (handshakes_refused);
    COUNTER (revoked);
    #undef COUNTER
}

//  --------------------------------------------------------------------------
//  The snapshot as a JSON object the caller deletes.

cJSON *
zaf_broker_status_snapshot (zaf_broker_status_t *self, const cJSON *request)
{
    assert (self);
    int64_t now = zclock_mono ();
    cJSON *status = cJSON_CreateObject ();
    cJSON_AddStringToObject (status, "session", self->session);
    cJSON_AddStringToObject (status, "endpoints", self->endpoints);
    cJSON_AddNumberToObject (status, "uptime_s", (double) (now - self->started) / 1000.0);
    cJSON_AddNumberToObject (status, "heartbeat_ms", self->heartbeat_ms);
    if (self->dashboard)
        cJSON_AddStringToObject (status, "dashboard", self->dashboard);
    else
        cJSON_AddNullToObject (status, "dashboard");
    cJSON_AddNumberToObject (status, "actors_total", (double) zaf_broker_actors_size (self->actors));
    cJSON_AddNumberToObject (status, "flights", (double) zaf_broker_flights_size (self->flights));
    cJSON_AddNumberToObject (status, "held_bytes", (double) zaf_broker_out_held_bytes (self->out));
    cJSON_AddNumberToObject (status, "held_peak", (double) zaf_broker_out_held_peak (self->out));
    s_add_peers (self, status, now);
    if (zaf_json_bool (request, "actors", false)) {
        int limit = zaf_json_int (request, "limit", ZAF_BROKER_STATUS_PAGE);
        s_add_actors (self, status, zaf_json_int (request, "offset", 0), limit);
        //  The dashboard's memory of the dead, newest first (at most 100)
        if (self->metrics)
            cJSON_AddItemToObject (status, "dead", zaf_broker_metrics_dead_json (
                self->metrics, limit > 0 && limit < 100 ? (size_t) limit : 100));
    }
    s_add_counters (self, status);
    return status;
}

//  --------------------------------------------------------------------------
//  STATUS request on the wire.

void
zaf_broker_status_handle (zaf_broker_status_t *self, zaf_proto_t *request)
{
    assert (self);
    cJSON *options;
    if (zaf_broker_out_parse (self->out, request, "STATUS request", &options))
        return;
    zaf_broker_out_answer_ok (self->out, request, zaf_broker_status_snapshot (self, options));
    cJSON_Delete (options);
}

//  --------------------------------------------------------------------------
//  STOP: a CLI asks the whole cluster to end. Answer first; the broker then
//  ends its loop, and its goodbye tells every node to exit rather than
//  dial again.

bool
zaf_broker_status_handle_stop (zaf_broker_status_t *self, zaf_proto_t *request, zaf_broker_peer_t *peer)
{
    assert (self);
    if (peer->role != ROLE_CLI) {
        zaf_broker_out_refuse (self->out, request, ZAF_UNAUTHORIZED,
                               "only a cli peer may stop the cluster");
        return false;
    }
    size_t nodes = zaf_broker_peers_nodes (self->peers);
    char name [256], host [256];
    zsys_info ("zaf_broker: STOP from peer=%s name=%s host=%s pid=%d: stopping %zu node(s)",
               peer->hex, zaf_escape (peer->name, name, sizeof (name)),
               zaf_escape (peer->host, host, sizeof (host)), peer->pid, nodes);
    cJSON *result = cJSON_CreateObject ();
    cJSON_AddBoolToObject (result, "stopping", true);
    cJSON_AddNumberToObject (result, "nodes", (double) nodes);
    zaf_broker_out_answer_ok (self->out, request, result);
    return true;
}
