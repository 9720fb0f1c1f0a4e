/*  =========================================================================
    zaf_local - an embedded cluster: a broker and one node in this process

    What zaf_init (NULL) starts, like ray.init () without an address: a
    broker actor bound to a private inproc endpoint and a node actor
    registered with it, serving the classes and functions registered in the
    process. Set ZAF_BIND (for instance tcp://127.0.0.1:5555) to also let
    other processes join the embedded broker.
    =========================================================================
*/

#ifndef ZAF_LOCAL_H_INCLUDED
#define ZAF_LOCAL_H_INCLUDED

typedef struct _zaf_local_t zaf_local_t;

//  Start a broker and a node and wait (up to timeout_ms) until the node is
//  registered. cpus is the node's worker pool size (0: default). Returns
//  NULL and fills err on failure.
zaf_local_t *
    zaf_local_new (int cpus, int timeout_ms, zaf_error_t *err);

//  Stop the node, then the broker.
void
    zaf_local_destroy (zaf_local_t **self_p);

//  The endpoint a driver in this process connects to.
const char *
    zaf_local_endpoint (zaf_local_t *self);

//  Every endpoint the broker listens on, separated by spaces.
const char *
    zaf_local_endpoints (zaf_local_t *self);

//  If the dashboard did not get the port it asked for, what happened
//  ("port 8265 was busy: took 8266"), else NULL. The dashboard listens on
//  ZAF_DASHBOARD (IPV4:PORT, or "off"), by default 127.0.0.1:8265.
const char *
    zaf_local_dashboard_note (zaf_local_t *self);

#endif
