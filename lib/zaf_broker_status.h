/*  =========================================================================
    zaf_broker_status - what the broker says about itself: STATUS and STOP

    The STATUS snapshot (session, endpoints, uptime, nodes and clients,
    optionally the actors, and the counters) as JSON, for a STATUS request
    on the wire and for the STATUS pipe command; and STOP, a CLI's request
    that the whole cluster end. Owns what only STATUS reports: the session
    id, the bound endpoints and the start time.
    =========================================================================
*/

#ifndef ZAF_BROKER_STATUS_H_INCLUDED
#define ZAF_BROKER_STATUS_H_INCLUDED

#include "zaf_broker_actors.h"

typedef struct _zaf_broker_status_t zaf_broker_status_t;

//  Create the status reporter for a broker run (session: its id, copied).
//  Borrows the tables and stats, which must outlive it.
zaf_broker_status_t *
    zaf_broker_status_new (const char *session, zaf_broker_peers_t *peers,
                           zaf_broker_flights_t *flights, zaf_broker_actors_t *actors,
                           zaf_broker_out_t *out, zaf_broker_stats_t *stats);

//  Destroy the status reporter.
void
    zaf_broker_status_destroy (zaf_broker_status_t **self_p);

//  Record an endpoint the ROUTER bound, and the heartbeat interval.
void
    zaf_broker_status_add_endpoint (zaf_broker_status_t *self, const char *endpoint);
void
    zaf_broker_status_set_heartbeat (zaf_broker_status_t *self, int heartbeat_ms);

//  The dashboard's metrics, for the actors' state and metrics columns
//  (borrowed; may be NULL), and its URL (copied; NULL: none).
struct _zaf_broker_metrics_t;
void
    zaf_broker_status_set_metrics (zaf_broker_status_t *self, struct _zaf_broker_metrics_t *metrics);
void
    zaf_broker_status_set_dashboard (zaf_broker_status_t *self, const char *url);

//  The snapshot as a JSON object the caller deletes. request may ask for
//  the actors ({"actors": true, "limit": n}); NULL for the summary.
cJSON *
    zaf_broker_status_snapshot (zaf_broker_status_t *self, const cJSON *request);

//  STATUS request on the wire: answer it with the snapshot, or refuse it.
void
    zaf_broker_status_handle (zaf_broker_status_t *self, zaf_proto_t *request);

//  STOP request from peer: answer it and return true if the broker must
//  stop the cluster (only a CLI may), else refuse it and return false.
bool
    zaf_broker_status_handle_stop (zaf_broker_status_t *self, zaf_proto_t *request, zaf_broker_peer_t *peer);

#endif
