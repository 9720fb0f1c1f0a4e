/*  =========================================================================
    zaf_broker_metrics - what the broker knows about its cluster, for people

    The broker thread feeds it: nodes' reports (HEARTBEAT attachments,
    docs/PROTOCOL.md section 8.2), actors that end and why, nodes that are
    lost. It keeps the latest metrics of each live actor, a bounded list of
    the actors that died (ZAF_DASH_DEAD), of the nodes lost (ZAF_DASH_LOST)
    and a history of one sample a second for ZAF_DASH_HISTORY seconds.

    At most every ZAF_DASH_PUBLISH_MS, when something changed, it builds a
    snapshot: plain immutable rows (actors, nodes, history, counters) that
    it hands to the board. The board is the one meeting point with the HTTP
    thread: a mutex held only to swap or take a reference to the current
    snapshot, never while building or serving one, so a slow HTTP client
    can never hold the broker up. A snapshot is freed by whoever drops its
    last reference.
    =========================================================================
*/

#ifndef ZAF_BROKER_METRICS_H_INCLUDED
#define ZAF_BROKER_METRICS_H_INCLUDED

#include "zaf_broker_actors.h"

#define ZAF_DASH_DEAD           1000    //  Dead actors remembered
#define ZAF_DASH_LOST           64      //  Lost nodes remembered
#define ZAF_DASH_HISTORY        600     //  Samples kept (one a second)
#define ZAF_DASH_PUBLISH_MS     500     //  Shortest time between snapshots
#define ZAF_DASH_CAUSES         32      //  Distinct death causes counted

typedef enum {
    ZAF_DASH_PENDING, ZAF_DASH_ALIVE, ZAF_DASH_RESTARTING, ZAF_DASH_DEAD_STATE
} zaf_dash_state_t;

//  One method's latency histogram, as last reported
typedef struct {
    char name [ZAF_METRICS_METHOD_NAME];
    uint64_t calls, failed, sum_us;
    uint64_t buckets [ZAF_METRICS_BUCKETS];
} zaf_dash_method_t;

//  One actor, as a row of the dashboard
typedef struct {
    char id [ZAF_PROTO_ACTOR_MAX + 1];
    char class_name [64];
    char name [64];                     //  Registered name, or ""
    char node [64];
    char owner [80];                    //  "actor:<id>" or "<role>:<name>"
    zaf_dash_state_t state;
    char cause [64];                    //  Why it died, or ""
    int restarts;
    uint64_t calls, failed, mailbox, hwm;
    double p50, p99;                    //  Seconds, over all its methods
    double died_at;                     //  Unix time (s) it died, or 0
    int method_count;
    zaf_dash_method_t *methods;         //  Owned by the row
} zaf_dash_actor_t;

//  One node
typedef struct {
    char name [64];
    char peer [2 * ZAF_PROTO_ID_MAX + 1];
    char host [64];
    int pid;
    int cpus;
    bool lost;
    char cause [64];                    //  Why it was lost, or ""
    uint64_t rss;
    size_t actors, tasks_running, tasks_queued;
    double heartbeat_age_s;             //  Since we last heard from it
    double report_age_s;                //  Since its last report (-1: none)
    double uptime_s;
} zaf_dash_node_t;

//  One second of history
typedef struct {
    double time;                        //  Unix time (s)
    double calls_per_s;                 //  Calls and tells routed
    uint64_t mailbox;                   //  Messages queued, all actors
    size_t actors, nodes;
} zaf_dash_sample_t;

//  A death cause and how often it happened
typedef struct {
    char cause [64];
    uint64_t count;
} zaf_dash_cause_t;

//  What the HTTP thread reads: immutable once published
typedef struct {
    atomic_int refs;
    char session [40];
    char endpoints [256];
    double time;                        //  When it was built (unix s)
    double uptime_s;
    int heartbeat_ms;
    zaf_broker_stats_t stats;
    size_t peers, clients, flights, held;
    size_t held_bytes;                  //  Bodies and attachments of held
    double calls_per_s;
    size_t by_state [4];                //  Actors per zaf_dash_state_t
    size_t actor_count;                 //  Live first, then dead
    zaf_dash_actor_t *actors;
    size_t node_count;                  //  Live first, then lost
    zaf_dash_node_t *nodes;
    size_t sample_count;                //  Oldest first
    zaf_dash_sample_t *samples;
    size_t cause_count;
    zaf_dash_cause_t causes [ZAF_DASH_CAUSES];
} zaf_dash_snapshot_t;

//  The state's name: PENDING, ALIVE, RESTARTING, DEAD.
const char *
    zaf_dash_state_name (zaf_dash_state_t state);

//  Take another reference to a snapshot; drop one (the last frees it and
//  nulls *self_p either way).
zaf_dash_snapshot_t *
    zaf_dash_snapshot_ref (zaf_dash_snapshot_t *self);
void
    zaf_dash_snapshot_unref (zaf_dash_snapshot_t **self_p);

//  The board: where the broker publishes and the HTTP thread reads.
typedef struct _zaf_dash_board_t zaf_dash_board_t;

zaf_dash_board_t *
    zaf_dash_board_new (void);
//  Destroy the board and drop its snapshot; no reader may use it after.
void
    zaf_dash_board_destroy (zaf_dash_board_t **self_p);
//  A reference to the latest snapshot (the caller unrefs it), or NULL.
zaf_dash_snapshot_t *
    zaf_dash_board_take (zaf_dash_board_t *self);

typedef struct _zaf_broker_metrics_t zaf_broker_metrics_t;

//  Create the store for a broker run (session: its id, copied). Borrows
//  the tables and stats, which must outlive it.
zaf_broker_metrics_t *
    zaf_broker_metrics_new (const char *session, zaf_broker_peers_t *peers,
                            zaf_broker_flights_t *flights, zaf_broker_actors_t *actors,
                            zaf_broker_stats_t *stats);

//  Record an endpoint the ROUTER bound, and the heartbeat interval.
void
    zaf_broker_metrics_add_endpoint (zaf_broker_metrics_t *self, const char *endpoint);
void
    zaf_broker_metrics_set_heartbeat (zaf_broker_metrics_t *self, int heartbeat_ms);

//  Destroy the store. Nulls *self_p.
void
    zaf_broker_metrics_destroy (zaf_broker_metrics_t **self_p);

//  The board snapshots go to (owned by the store).
zaf_dash_board_t *
    zaf_broker_metrics_board (zaf_broker_metrics_t *self);

//  A node's HEARTBEAT: read its report, if it carries one. Bad reports
//  are counted (stats->malformed) and change nothing.
void
    zaf_broker_metrics_heartbeat (zaf_broker_metrics_t *self, zaf_broker_peer_t *node,
                                  zaf_proto_t *beat);

//  An actor is ending (called by the actor table before it forgets it).
void
    zaf_broker_metrics_actor_ended (zaf_broker_metrics_t *self, zaf_broker_actor_t *actor,
                                    const char *reason);

//  A peer is being lost (nodes are remembered as lost, with why).
void
    zaf_broker_metrics_peer_lost (zaf_broker_metrics_t *self, zaf_broker_peer_t *peer,
                                  const char *reason);

//  Sample history and publish a snapshot if due by now. Returns the mono
//  time it next wants to run.
int64_t
    zaf_broker_metrics_tick (zaf_broker_metrics_t *self, int64_t now);

//  Build a snapshot now (the caller unrefs it). For tests and the tick.
zaf_dash_snapshot_t *
    zaf_broker_metrics_snapshot (zaf_broker_metrics_t *self);

//  Latest metrics of a live actor for STATUS ({"mailbox","calls",...}),
//  or NULL; the caller deletes it.
cJSON *
    zaf_broker_metrics_actor_json (zaf_broker_metrics_t *self, const char *actor_id);

//  The most recently dead actors, newest first, at most limit, as a JSON
//  array the caller deletes (id, class, name, node, state, cause, ...).
cJSON *
    zaf_broker_metrics_dead_json (zaf_broker_metrics_t *self, size_t limit);

#endif
