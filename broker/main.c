/*  =========================================================================
    zaf-broker - the broker program: flags, signals, and the broker engine

    A thin main over the zaf_broker actor: parse flags, bind, print the
    bound endpoints on stdout (one "listening ENDPOINT" line each, so that
    scripts can read an ephemeral port back), then wait for SIGINT or
    SIGTERM and stop cleanly, telling every peer BYE. Logs go to stderr.
    Uses zaf.h and zaf_engine.h only.
    =========================================================================
*/

#include "zaf_engine.h"
#include "zaf_flags.h"
#include "zaf_program.h"
#include <limits.h>

typedef struct {
    zaf_flags_list_t binds;         //  --bind, in order
    int heartbeat_ms;               //  --heartbeat-ms
    int max_pending;                //  --max-pending
    const char *endpoint_file;      //  --endpoint-file, or NULL
    const char *dashboard;          //  --dashboard ADDR:PORT or off
    bool verbose;                   //  --verbose
} options_t;

//  Bind every endpoint and say where we listen; returns 0 or 1
static int
s_bind (zactor_t *broker, const options_t *options)
{
    FILE *file = options->endpoint_file ? fopen (options->endpoint_file, "w") : NULL;
    if (options->endpoint_file && !file) {
        fprintf (stderr, "zaf-broker: cannot write %s: %s\n", options->endpoint_file,
                 strerror (errno));
        return 1;
    }
    //  No --bind: the well-known port on every interface
    static const char *fallback [] = { "tcp://*:5555" };
    const char **binds = options->binds.size ? options->binds.items : fallback;
    size_t count = options->binds.size ? options->binds.size : 1;
    int rc = 0;
    for (size_t index = 0; index < count && rc == 0; index++) {
        const char *bind = binds [index];
        zstr_sendx (broker, "BIND", bind, NULL);
        char *status = NULL, *value = NULL;
        zstr_recvx (broker, &status, &value, NULL);
        if (status && streq (status, "OK")) {
            printf ("listening %s\n", value);
            if (file)
                fprintf (file, "%s\n", value);
        }
        else {
            fprintf (stderr, "zaf-broker: cannot bind %s: %s\n", bind, value ? value : "?");
            rc = 1;
        }
        zstr_free (&status);
        zstr_free (&value);
    }
    fflush (stdout);
    if (file)
        fclose (file);
    return rc;
}

//  Start the dashboard unless it is off; print "dashboard URL"
static int
s_dashboard (zactor_t *broker, const options_t *options)
{
    const char *address = options->dashboard ? options->dashboard : "127.0.0.1:8265";
    if (streq (address, "off"))
        return 0;
    zstr_sendx (broker, "DASHBOARD", address, NULL);
    char *status = NULL, *value = NULL, *note = NULL;
    zstr_recvx (broker, &status, &value, &note, NULL);
    int rc = 0;
    if (status && streq (status, "OK")) {
        printf ("dashboard %s\n", value);
        if (note && *note)
            fprintf (stderr, "zaf-broker: dashboard: %s\n", note);
    }
    else {
        //  Asked for: an error. The default: said, and the broker serves on
        fprintf (stderr, "zaf-broker: cannot start the dashboard: %s\n", value ? value : "?");
        rc = options->dashboard ? 1 : 0;
    }
    fflush (stdout);
    zstr_free (&status);
    zstr_free (&value);
    zstr_free (&note);
    return rc;
}

//  Start the engine, bind, serve until a signal or `zaf stop`
static int
s_run (const options_t *options)
{
    zsys_set_logstream (stderr);
    zsys_set_logident ("zaf-broker");
    zactor_t *broker = zactor_new (zaf_broker, NULL);
    assert (broker);
    if (options->verbose)
        zstr_send (broker, "VERBOSE");
    char text [32];
    snprintf (text, sizeof (text), "%d", options->heartbeat_ms);
    zstr_sendx (broker, "HEARTBEAT", text, NULL);
    snprintf (text, sizeof (text), "%d", options->max_pending);
    zstr_sendx (broker, "MAX-PENDING", text, NULL);

    bool stopped = false;
    int rc = s_bind (broker, options);
    if (rc == 0)
        rc = s_dashboard (broker, options);
    if (rc == 0)
        rc = zaf_program_serve (broker, "zaf-broker", &stopped);
    if (stopped)
        zsys_info ("zaf-broker: the cluster was stopped (zaf stop)");
    else
    if (rc == 0)
        zsys_info ("zaf-broker: stopping");
    zactor_destroy (&broker);
    return rc;
}

int
main (int argc, char **argv)
{
    options_t options = {
        .heartbeat_ms = ZAF_HEARTBEAT_MS, .max_pending = ZAF_BROKER_MAX_PENDING
    };
    const zaf_flag_t flags [] = {
        { "bind", 0, ZAF_FLAG_LIST, &options.binds, "ENDPOINT",
          "listen here (repeatable; default tcp://*:5555);\n"
          "tcp://127.0.0.1:0 lets the system pick a free port" },
        { "heartbeat-ms", 0, ZAF_FLAG_INT, &options.heartbeat_ms, "N",
          "heartbeat interval; a node silent for 3 is lost (default "
          ZAF_PROGRAM_TEXT (ZAF_HEARTBEAT_MS) ")", .min = 10, .max = INT_MAX },
        { "max-pending", 0, ZAF_FLAG_INT, &options.max_pending, "N",
          "calls in flight per actor before OVERLOADED (default "
          ZAF_PROGRAM_TEXT (ZAF_BROKER_MAX_PENDING) ")", .min = 1, .max = INT_MAX },
        { "endpoint-file", 0, ZAF_FLAG_STRING, &options.endpoint_file, "PATH",
          "also write the bound endpoints to PATH, one per line" },
        { "dashboard", 0, ZAF_FLAG_STRING, &options.dashboard, "ADDR:PORT",
          "serve the dashboard, JSON API and /metrics here (default\n"
          "127.0.0.1:8265; a busy port is passed over; 'off': none)" },
        { "verbose", 0, ZAF_FLAG_BOOL, &options.verbose, NULL, "log every message" },
        { NULL }
    };
    const zaf_flags_spec_t spec = {
        .program = "zaf-broker", .usage = "zaf-broker [OPTIONS]",
        .about = "Route zaf calls between drivers and nodes.\n",
        .epilog = "Prints 'listening ENDPOINT' for each endpoint once it is bound,\n"
                  "then 'dashboard URL' unless --dashboard off.\n",
        .version = ZAF_PROGRAM_VERSION, .flags = flags
    };
    int rc;
    if (zaf_flags_parse (&spec, argc, argv, &rc) == 0)
        rc = s_run (&options);
    zaf_flags_release (&spec);
    return rc;
}
