/*  =========================================================================
    zaf_node_metrics - what a node tells the broker about itself, each second

    Once per ZAF_NODE_METRICS_MS the node sends the broker a HEARTBEAT
    carrying one attachment: a JSON report of the node (actors, tasks
    running and queued, CPUs, RSS) and of at most ZAF_METRICS_REPORT_ACTORS
    of its actors (calls, failures, mailbox depth and high-water mark,
    per-method latency histograms), docs/PROTOCOL.md section 8.2. Actors
    whose counters moved, or whose mailbox is not empty, go first, taken
    round-robin so that no actor starves; the others follow while room is
    left. Node thread only.
    =========================================================================
*/

#ifndef ZAF_NODE_METRICS_H_INCLUDED
#define ZAF_NODE_METRICS_H_INCLUDED

#define ZAF_NODE_METRICS_MS     1000    //  How often a node reports

typedef struct _zaf_node_metrics_t zaf_node_metrics_t;

//  Create the reporter of a node with cpus workers.
zaf_node_metrics_t *
    zaf_node_metrics_new (int cpus);

//  Destroy the reporter. Nulls *self_p.
void
    zaf_node_metrics_destroy (zaf_node_metrics_t **self_p);

//  If a report is due by now and the link is up, send one on link about
//  parties. Returns the ms until the next report is due.
int64_t
    zaf_node_metrics_tick (zaf_node_metrics_t *self, zaf_node_parties_t *parties,
                           zaf_link_t *link, int64_t now);

//  The report as JSON the caller deletes (what the tick sends).
cJSON *
    zaf_node_metrics_report (zaf_node_metrics_t *self, zaf_node_parties_t *parties);

#endif
