/*  =========================================================================
    zaf_broker_api - the dashboard's answers, rendered from a snapshot

    Pure functions from one published snapshot (zaf_broker_metrics) and a
    request's path and query to a status code, a content type and a body:
    the JSON API under /api/ (docs/DASHBOARD.md) and the Prometheus text
    exposition at /metrics. Filtering, sorting and paging happen here, on
    the HTTP thread, so the broker never pays for a page of 10,000 actors.
    No sockets and no shared state: callable from any thread.
    =========================================================================
*/

#ifndef ZAF_BROKER_API_H_INCLUDED
#define ZAF_BROKER_API_H_INCLUDED

#include "zaf_broker_metrics.h"

#define ZAF_DASH_PAGE_MAX       500     //  Largest page of actors
#define ZAF_DASH_FILTER_MAX     64      //  Longest filter string

//  The query of an actors request (NULL or "" means not given)
typedef struct {
    const char *state;          //  PENDING, ALIVE, RESTARTING, DEAD
    const char *class_name;     //  Exact class
    const char *node;           //  Exact node name
    const char *q;              //  Substring of id, class, name or cause
    const char *sort;           //  calls, failed, mailbox, p99, restarts
    const char *offset;         //  Rows to skip (default 0)
    const char *limit;          //  Rows to return (default 50)
} zaf_dash_query_t;

//  An answer: the caller frees body with free
typedef struct {
    int status;                 //  HTTP status
    const char *type;           //  Content type (static)
    char *body;
    size_t size;
} zaf_dash_answer_t;

//  Answer GET path (without the query) from snapshot (NULL: not ready
//  yet). Unknown paths are 404, bad queries 400, each with a JSON error.
void
    zaf_dash_api_answer (zaf_dash_snapshot_t *snapshot, const char *path,
                         const zaf_dash_query_t *query, zaf_dash_answer_t *answer);

//  The Prometheus text exposition of snapshot, as a string the caller
//  frees with free (size in *size_p).
char *
    zaf_dash_api_metrics (zaf_dash_snapshot_t *snapshot, size_t *size_p);

#endif
