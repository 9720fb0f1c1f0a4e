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
    int hwm;                        //  --hwm
    int held_max_mb;                //  --held-max-mb
    int held_share_mb;              //  --held-share-mb
    const char *id_secret_file;     //  --id-secret-file, or NULL
    const char *dashboard;          //  --dashboard ADDR:PORT or off
    bool verbose;                   //  --verbose
    const char *keys;               //  --keys DIR, or NULL
    const char *key;                //  --key FILE, or NULL
    bool insecure;                  //  --insecure
} options_t;

//  True if an endpoint can be reached from this machine only
static bool
s_local_only (const char *endpoint)
{
    if (strncmp (endpoint, "tcp://", 6))
        return true;            //  ipc://, inproc://
    const char *host = endpoint + 6;
    return strncmp (host, "127.", 4) == 0 || strncmp (host, "localhost:", 10) == 0
        || strncmp (host, "[::1]:", 6) == 0;
}

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
    //  No --bind: the well-known port, on every interface with keys, on
    //  loopback without
    static const char *fallback [] = { "tcp://*:5555" };
    static const char *fallback_local [] = { "tcp://127.0.0.1:5555" };
    const char **binds = options->binds.size ? options->binds.items
                       : options->keys ? fallback : fallback_local;
    size_t count = options->binds.size ? options->binds.size : 1;
    int rc = 0;
    for (size_t index = 0; index < count; index++)
        if (!options->keys && !options->insecure && !s_local_only (binds [index])) {
            fprintf (stderr, "zaf-broker: refusing to listen on %s without keys: give --keys DIR"
                     " (see docs/SECURITY.md), or --insecure if every host that can reach it"
                     " is trusted\n", binds [index]);
            if (file)
                fclose (file);
            return 1;
        }
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

//  Read the id secret (64 hex digits on the file's first line) and give it
//  to the engine; returns 0 or 1
static int
s_id_secret (zactor_t *broker, const char *path)
{
    FILE *file = fopen (path, "r");
    char line [130] = "";
    bool read = file && fgets (line, sizeof (line), file);
    if (file)
        fclose (file);
    line [strcspn (line, "\r\n")] = 0;
    int rc = 1;
    if (!read)
        fprintf (stderr, "zaf-broker: cannot read the id secret %s\n", path);
    else {
        zstr_sendx (broker, "ID-SECRET", line, NULL);
        char *status = NULL, *reason = NULL;
        zstr_recvx (broker, &status, &reason, NULL);
        if (status && streq (status, "OK"))
            rc = 0;
        else
            fprintf (stderr, "zaf-broker: %s: %s\n", path, reason ? reason : "refused");
        zstr_free (&status);
        zstr_free (&reason);
    }
    memset (line, 0, sizeof (line));
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

    char held_max [32], held_share [32];
    snprintf (held_max, sizeof (held_max), "%ld", (long) options->held_max_mb * 1024 * 1024);
    snprintf (held_share, sizeof (held_share), "%ld", (long) options->held_share_mb * 1024 * 1024);
    zstr_sendx (broker, "HELD-MAX", held_max, held_share, NULL);
    snprintf (text, sizeof (text), "%d", options->hwm);
    zstr_sendx (broker, "HWM", text, NULL);
    bool stopped = false;
    int rc = options->id_secret_file ? s_id_secret (broker, options->id_secret_file) : 0;
    if (rc == 0 && options->keys) {
        zstr_sendx (broker, "KEYS", options->keys, options->key ? options->key : "", NULL);
        char *status = NULL, *value = NULL;
        zstr_recvx (broker, &status, &value, NULL);
        if (status && streq (status, "OK"))
            zsys_info ("zaf-broker: CURVE on, broker key %s", value);
        else {
            fprintf (stderr, "zaf-broker: --keys: %s\n", value ? value : "?");
            rc = 1;
        }
        zstr_free (&status);
        zstr_free (&value);
    }
    if (rc == 0)
        rc = s_bind (broker, options);
    if (rc == 0)
        rc = s_dashboard (broker, options);
    if (rc == 0)
        rc = zaf_program_serve_hup (broker, "zaf-broker", &stopped,
                                    options->keys ? "RELOAD-KEYS" : NULL);
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
        .heartbeat_ms = ZAF_HEARTBEAT_MS, .max_pending = ZAF_BROKER_MAX_PENDING,
        .held_max_mb = 256, .held_share_mb = 64, .hwm = 100000
    };
    const zaf_flag_t flags [] = {
        { "bind", 0, ZAF_FLAG_LIST, &options.binds, "ENDPOINT",
          "listen here (repeatable; default tcp://*:5555 with\n"
          "--keys, else tcp://127.0.0.1:5555);\n"
          "tcp://127.0.0.1:0 lets the system pick a free port" },
        { "heartbeat-ms", 0, ZAF_FLAG_INT, &options.heartbeat_ms, "N",
          "heartbeat interval; a node silent for 3 is lost (default "
          ZAF_PROGRAM_TEXT (ZAF_HEARTBEAT_MS) ")", .min = 10, .max = INT_MAX },
        { "max-pending", 0, ZAF_FLAG_INT, &options.max_pending, "N",
          "calls in flight per actor before OVERLOADED (default "
          ZAF_PROGRAM_TEXT (ZAF_BROKER_MAX_PENDING) ")", .min = 1, .max = INT_MAX },
        { "hwm", 0, ZAF_FLAG_INT, &options.hwm, "N",
          "libzmq's queue to and from each peer, in messages: answers\n"
          "wait there before --held-share-mb counts (default 100000)",
          .min = 100, .max = INT_MAX },
        { "held-max-mb", 0, ZAF_FLAG_INT, &options.held_max_mb, "N",
          "answers held for peers that do not read them, all together\n"
          "(default 256)", .min = 1, .max = 1024 * 1024 },
        { "held-share-mb", 0, ZAF_FLAG_INT, &options.held_share_mb, "N",
          "the same for one peer; past it the peer is dropped (default 64)",
          .min = 1, .max = 1024 * 1024 },
        { "id-secret-file", 0, ZAF_FLAG_STRING, &options.id_secret_file, "PATH",
          "tag actor ids under the secret in PATH (64 hex digits), so\n"
          "that a broker restarted with it adopts only ids it issued\n"
          "(default: a random secret per run)", .env = "ZAF_ID_SECRET_FILE" },
        { "endpoint-file", 0, ZAF_FLAG_STRING, &options.endpoint_file, "PATH",
          "also write the bound endpoints to PATH, one per line" },
        { "keys", 0, ZAF_FLAG_STRING, &options.keys, "DIR",
          "CURVE on every TCP link: DIR holds broker.cert_secret\n"
          "and the allowed keys (*.cert, role node, driver or\n"
          "admin); SIGHUP reads DIR again (default $ZAF_KEYS)", .env = "ZAF_KEYS" },
        { "key", 0, ZAF_FLAG_STRING, &options.key, "FILE",
          "the broker's secret key (default DIR/broker.cert_secret)" },
        { "insecure", 0, ZAF_FLAG_BOOL, &options.insecure, NULL,
          "allow listening beyond loopback without keys: anyone\n"
          "who reaches the port owns the cluster" },
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
