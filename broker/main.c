/*  =========================================================================
    zaf-broker - the broker program: flags, signals, and the broker engine

    A thin main over the zaf_broker actor: parse flags, bind, print the
    bound endpoints on stdout (one "listening ENDPOINT" line each, so that
    scripts can read an ephemeral port back), then wait for SIGINT or
    SIGTERM and stop cleanly, telling every peer BYE. Logs go to stderr.
    =========================================================================
*/

#include "zaf_classes.h"

static void
s_usage (FILE *stream)
{
    fprintf (stream,
        "Usage: zaf-broker [OPTIONS]\n"
        "Route zaf calls between drivers and nodes.\n"
        "\n"
        "  --bind ENDPOINT       listen here (repeatable; default tcp://*:5555);\n"
        "                        tcp://127.0.0.1:0 lets the system pick a free port\n"
        "  --heartbeat-ms N      heartbeat interval; a node silent for 3 is lost (default 1000)\n"
        "  --max-pending N       calls in flight per actor before OVERLOADED (default %d)\n"
        "  --endpoint-file PATH  also write the bound endpoints to PATH, one per line\n"
        "  --verbose             log every message\n"
        "  --version             print the version and exit\n"
        "  --help                print this help and exit\n"
        "\n"
        "Prints 'listening ENDPOINT' for each endpoint once it is bound.\n",
        ZAF_BROKER_MAX_PENDING);
}

//  Return the value of --name VALUE or --name=VALUE, advancing *index
static const char *
s_value (int argc, char **argv, int *index, const char *name)
{
    const char *arg = argv [*index];
    size_t size = strlen (name);
    if (strncmp (arg, name, size))
        return NULL;
    if (arg [size] == '=')
        return arg + size + 1;
    if (arg [size] == 0) {
        if (*index + 1 >= argc) {
            fprintf (stderr, "zaf-broker: %s needs a value\n", name);
            exit (2);
        }
        return argv [++*index];
    }
    return NULL;
}

static long
s_number (const char *text, const char *name, long min)
{
    char *end = NULL;
    long value = strtol (text, &end, 10);
    if (!*text || *end || value < min) {
        fprintf (stderr, "zaf-broker: %s must be a whole number of at least %ld, not '%s'\n",
                 name, min, text);
        exit (2);
    }
    return value;
}

int
main (int argc, char **argv)
{
    zlist_t *binds = zlist_new ();
    long heartbeat_ms = ZAF_HEARTBEAT_MS;
    long max_pending = ZAF_BROKER_MAX_PENDING;
    const char *endpoint_file = NULL;
    bool verbose = false;
    for (int index = 1; index < argc; index++) {
        const char *value;
        if (streq (argv [index], "--help") || streq (argv [index], "-h")) {
            s_usage (stdout);
            zlist_destroy (&binds);
            return 0;
        }
        else
        if (streq (argv [index], "--version")) {
            printf ("zaf-broker %d.%d.%d\n", ZAF_VERSION_MAJOR, ZAF_VERSION_MINOR, ZAF_VERSION_PATCH);
            zlist_destroy (&binds);
            return 0;
        }
        else
        if (streq (argv [index], "--verbose"))
            verbose = true;
        else
        if ((value = s_value (argc, argv, &index, "--bind")))
            zlist_append (binds, (void *) value);
        else
        if ((value = s_value (argc, argv, &index, "--heartbeat-ms")))
            heartbeat_ms = s_number (value, "--heartbeat-ms", 10);
        else
        if ((value = s_value (argc, argv, &index, "--max-pending")))
            max_pending = s_number (value, "--max-pending", 1);
        else
        if ((value = s_value (argc, argv, &index, "--endpoint-file")))
            endpoint_file = value;
        else {
            fprintf (stderr, "zaf-broker: unknown option '%s'\n", argv [index]);
            s_usage (stderr);
            zlist_destroy (&binds);
            return 2;
        }
    }
    if (zlist_size (binds) == 0)
        zlist_append (binds, "tcp://*:5555");

    zsys_set_logstream (stderr);
    zsys_set_logident ("zaf-broker");
    zactor_t *broker = zactor_new (zaf_broker, NULL);
    assert (broker);
    if (verbose)
        zstr_send (broker, "VERBOSE");
    char text [32];
    snprintf (text, sizeof (text), "%ld", heartbeat_ms);
    zstr_sendx (broker, "HEARTBEAT", text, NULL);
    snprintf (text, sizeof (text), "%ld", max_pending);
    zstr_sendx (broker, "MAX-PENDING", text, NULL);

    FILE *file = endpoint_file ? fopen (endpoint_file, "w") : NULL;
    if (endpoint_file && !file) {
        fprintf (stderr, "zaf-broker: cannot write %s: %s\n", endpoint_file, strerror (errno));
        zactor_destroy (&broker);
        zlist_destroy (&binds);
        return 1;
    }
    int rc = 0;
    for (const char *bind = (const char *) zlist_first (binds); bind;
         bind = (const char *) zlist_next (binds)) {
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
        if (rc)
            break;
    }
    fflush (stdout);
    if (file)
        fclose (file);

    //  Serve until SIGINT or SIGTERM (czmq's handler sets zsys_interrupted)
    //  or until a `zaf stop` ends the engine
    bool stopped = false;
    while (rc == 0 && !zsys_interrupted) {
        zsock_t *which = NULL;
        zpoller_t *poller = zpoller_new (broker, NULL);
        which = (zsock_t *) zpoller_wait (poller, 500);
        zpoller_destroy (&poller);
        if (which) {
            char *message = zstr_recv (broker);
            if (message && streq (message, "STOPPED")) {
                zsys_info ("zaf-broker: the cluster was stopped (zaf stop)");
                stopped = true;
            }
            else {
                zsys_error ("zaf-broker: engine ended unexpectedly");
                rc = 1;
            }
            zstr_free (&message);
            break;
        }
    }
    if (rc == 0 && !stopped)
        zsys_info ("zaf-broker: stopping");
    zactor_destroy (&broker);
    zlist_destroy (&binds);
    return rc;
}
