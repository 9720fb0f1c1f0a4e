/*  =========================================================================
    zaf_broker_http - the broker's dashboard: an HTTP server on its own thread

    libmicrohttpd with its internal polling thread (epoll): serves the page
    (/), the JSON API (/api/...) and the Prometheus text (/metrics) from
    the latest snapshot on the board (zaf_broker_metrics), and nothing
    else. It never calls into the broker: the broker publishes, the server
    reads. Read-only; GET and HEAD only. Hostile clients are bounded by
    libmicrohttpd's limits: ZAF_HTTP_CONNECTIONS connections,
    ZAF_HTTP_PER_IP per address, ZAF_HTTP_TIMEOUT_S of silence, and
    ZAF_HTTP_MEMORY bytes per connection (larger headers are refused).
    =========================================================================
*/

#ifndef ZAF_BROKER_HTTP_H_INCLUDED
#define ZAF_BROKER_HTTP_H_INCLUDED

#include "zaf_broker_metrics.h"

#define ZAF_HTTP_DEFAULT        "127.0.0.1:8265"
#define ZAF_HTTP_CONNECTIONS    256
#define ZAF_HTTP_PER_IP         64
#define ZAF_HTTP_TIMEOUT_S      10
#define ZAF_HTTP_MEMORY         (32 * 1024)
#define ZAF_HTTP_PORT_TRIES     50      //  Ports tried from the one asked

typedef struct _zaf_broker_http_t zaf_broker_http_t;

//  Start serving board on address "IPV4:PORT" (port 0: the system picks).
//  A busy port is followed by the next ones (ZAF_HTTP_PORT_TRIES in all).
//  Returns the server, or NULL with a reason in error (size bytes).
//  board is borrowed and must outlive the server.
zaf_broker_http_t *
    zaf_broker_http_new (const char *address, zaf_dash_board_t *board,
                         char *error, size_t size);

//  The broker's DASHBOARD pipe command: start serving board on address,
//  unless it is "off" or a server runs already (running). Answers on pipe
//  "OK" URL NOTE (NOTE says if a busy port was passed over; both empty
//  for "off") or "ERROR" REASON, and logs the URL unless quiet. Returns
//  the server started (the caller owns it), or NULL.
zaf_broker_http_t *
    zaf_broker_http_command (const char *address, bool running, zaf_dash_board_t *board,
                             zsock_t *pipe, bool quiet);

//  Stop the server (joins its thread; no request runs after). Nulls *self_p.
void
    zaf_broker_http_destroy (zaf_broker_http_t **self_p);

//  The URL it serves, e.g. "http://127.0.0.1:8265/".
const char *
    zaf_broker_http_url (zaf_broker_http_t *self);

//  The port asked for and the port taken (they differ if it was busy).
int
    zaf_broker_http_port_asked (zaf_broker_http_t *self);
int
    zaf_broker_http_port (zaf_broker_http_t *self);

//  Parse "IPV4:PORT" into its parts; returns 0, or -1 if it is not one.
int
    zaf_broker_http_parse (const char *address, char *host, size_t host_size, int *port);

#endif
