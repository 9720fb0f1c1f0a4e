/*  =========================================================================
    zaf - the facade: zaf_init, zaf_shutdown, zaf_cluster_info

    zaf_init (NULL) starts an embedded cluster (zaf_local) and connects a
    driver to it; zaf_init (endpoint) only connects. Either way the caller
    gets a zaf_t (zaf_client); the embedded cluster is attached to it and
    stops when it is shut down. Runs in the caller's thread.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_isolate.h"
//  The programs' header, declaring again names of the headers above: here
//  the compiler checks that both say the same (see zaf_engine.h)
#include "zaf_engine.h"
#include <sys/resource.h>

//  Allow as many sockets as the process may open files: every actor costs
//  one. Only takes effect if czmq has not made its context yet.
static void
s_raise_limits (void)
{
    struct rlimit limit;
    if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit (RLIMIT_NOFILE, &limit);
    }
    if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && !getenv ("ZSYS_MAX_SOCKETS")) {
        char text [32];
        rlim_t sockets = limit.rlim_cur > 100 ? limit.rlim_cur - 50 : limit.rlim_cur;
        if (sockets > 1000000)
            sockets = 1000000;
        snprintf (text, sizeof (text), "%lu", (unsigned long) sockets);
        setenv ("ZSYS_MAX_SOCKETS", text, 0);
    }
}

static int
s_env_int (const char *name, int def)
{
    const char *value = getenv (name);
    return value && atoi (value) > 0 ? atoi (value) : def;
}

static void
s_local_destroy (void **local_p)
{
    zaf_local_destroy ((zaf_local_t **) local_p);
}

//  --------------------------------------------------------------------------
//  Start or join a cluster

zaf_t *
zaf_init (const char *endpoint)
{
    s_raise_limits ();
    int timeout_ms = s_env_int ("ZAF_CONNECT_TIMEOUT_MS", 5000);
    zaf_error_t err;
    zaf_error_clear (&err);
    if (endpoint) {
        zaf_t *self = zaf_client_connect (endpoint, "driver", timeout_ms, &err);
        if (!self)
            zsys_error ("zaf: cannot join the cluster at %s: %s", endpoint, err.message);
        return self;
    }
    zaf_local_t *local = zaf_local_new (s_env_int ("ZAF_CPUS", 0), timeout_ms, &err);
    if (!local) {
        zsys_error ("zaf: cannot start an embedded cluster: %s", err.message);
        return NULL;
    }
    zaf_t *self = zaf_client_connect (zaf_local_endpoint (local), "driver", timeout_ms, &err);
    if (!self) {
        zsys_error ("zaf: cannot reach the embedded cluster: %s", err.message);
        zaf_local_destroy (&local);
        return NULL;
    }
    zaf_client_attach (self, local, s_local_destroy);
    return self;
}

//  --------------------------------------------------------------------------
//  Leave (and stop, if embedded)

void
zaf_shutdown (zaf_t **self_p)
{
    zaf_client_destroy (self_p);
}

//  --------------------------------------------------------------------------
//  What the cluster looks like

cJSON *
zaf_cluster_info (zaf_t *self)
{
    assert (self);
    zaf_error_t err;
    cJSON *status = zaf_client_status (self, NULL, 5000, &err);
    if (!status) {
        zsys_warning ("zaf: cluster info unavailable: %s", err.message);
        return NULL;
    }
    zaf_local_t *local = (zaf_local_t *) zaf_client_attached (self);
    cJSON *info = cJSON_CreateObject ();
    cJSON_AddStringToObject (info, "broker", local ? zaf_local_endpoints (local)
                                                   : zaf_client_endpoint (self));
    cJSON_AddStringToObject (info, "session", zaf_json_string (status, "session", ""));
    cJSON_AddBoolToObject (info, "embedded", local != NULL);
    cJSON *nodes = cJSON_DetachItemFromObject (status, "nodes");
    cJSON_AddItemToObject (info, "nodes", nodes ? nodes : cJSON_CreateArray ());
    //  The broker says where its dashboard is (null: it has none)
    const char *dashboard = zaf_json_string (status, "dashboard", NULL);
    if (dashboard)
        cJSON_AddStringToObject (info, "dashboard", dashboard);
    else
        cJSON_AddNullToObject (info, "dashboard");
    if (local && zaf_local_dashboard_note (local))
        cJSON_AddStringToObject (info, "dashboard_note", zaf_local_dashboard_note (local));
    cJSON_Delete (status);
    return info;
}
