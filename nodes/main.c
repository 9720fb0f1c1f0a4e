/*  =========================================================================
    zaf-node - the node program: flags, modules, signals, and the node engine

    A thin main over the zaf_node actor: load the modules named with
    --module (each registers its classes and functions), start the engine
    against --broker, and serve until SIGINT or SIGTERM. The engine keeps
    dialing with backoff while the broker is away. Logs go to stderr.

    With --isolate every actor runs in a child process: this same program,
    started again in its hidden --actor-host mode (zaf_isolate_host), which
    loads the same modules and hosts one actor. Uses zaf.h and
    zaf_engine.h only.
    =========================================================================
*/

#include "zaf_engine.h"
#include "zaf_flags.h"
#include "zaf_program.h"
#include <signal.h>

//  Bound on a clean stop: actors get ZAF_NODE_STOP_S seconds to finish the
//  method they are in; past that the process ends regardless
#define ZAF_NODE_STOP_S 15

typedef struct {
    const char *broker;             //  --broker
    const char *name;               //  --name, or NULL
    int cpus;                       //  --cpus, or 0 for the engine's default
    zaf_flags_list_t modules;       //  --module, in order
    bool isolate;                   //  --isolate
    const char *resources;          //  --resources, or NULL
    const char *labels;             //  --labels, or NULL
    bool verbose;                   //  --verbose
    const char *broker_key;         //  --broker-key FILE, or NULL
    const char *key;                //  --key FILE, or NULL
} options_t;

static void
s_watchdog (int signum)
{
    static const char text [] = "zaf-node: actors did not stop in time; exiting now\n";
    ssize_t written = write (STDERR_FILENO, text, sizeof (text) - 1);
    (void) written;
    _exit (1);
}

//  Load the modules and log what we serve; returns 0 or 1
static int
s_load_modules (const options_t *options)
{
    for (size_t index = 0; index < options->modules.size; index++) {
        zaf_error_t err;
        if (zaf_registry_load_module (options->modules.items [index], &err)) {
            fprintf (stderr, "zaf-node: %s\n", err.message);
            return 1;
        }
    }
    cJSON *classes = zaf_registry_classes_json (zaf_registry_default ());
    cJSON *functions = zaf_registry_functions_json (zaf_registry_default ());
    if (cJSON_GetArraySize (classes) == 0 && cJSON_GetArraySize (functions) == 0)
        zsys_warning ("zaf-node: no classes or functions registered; load some with --module");
    char *class_text = cJSON_PrintUnformatted (classes);
    char *function_text = cJSON_PrintUnformatted (functions);
    zsys_info ("zaf-node: serving classes=%s functions=%s", class_text, function_text);
    cJSON_free (class_text);
    cJSON_free (function_text);
    cJSON_Delete (classes);
    cJSON_Delete (functions);
    return 0;
}

//  The ISOLATE command: actor processes run this program again and load
//  the same modules, so resolve both now, so that a change of directory
//  cannot matter. Returns NULL after saying why not.
static zmsg_t *
s_isolation (const options_t *options)
{
    char program [PATH_MAX];
    ssize_t size = readlink ("/proc/self/exe", program, sizeof (program) - 1);
    if (size <= 0) {
        fprintf (stderr, "zaf-node: --isolate: cannot find this program: %s\n", strerror (errno));
        return NULL;
    }
    program [size] = 0;
    zmsg_t *isolation = zmsg_new ();
    zmsg_addstr (isolation, "ISOLATE");
    zmsg_addstr (isolation, program);
    for (size_t index = 0; index < options->modules.size; index++) {
        const char *path = options->modules.items [index];
        char *absolute = realpath (path, NULL);
        zmsg_addstr (isolation, absolute ? absolute : path);
        free (absolute);
    }
    return isolation;
}

//  Configure and START the engine; returns 0 or 1
static int
s_start (zactor_t *node, const options_t *options, zmsg_t **isolation_p)
{
    if (options->verbose)
        zstr_send (node, "VERBOSE");
    zstr_sendx (node, "BROKER", options->broker, NULL);
    if (options->name)
        zstr_sendx (node, "NAME", options->name, NULL);
    if (options->cpus) {
        char text [16];
        snprintf (text, sizeof (text), "%d", options->cpus);
        zstr_sendx (node, "CPUS", text, NULL);
    }
    if (options->resources)
        zstr_sendx (node, "RESOURCES", options->resources, NULL);
    if (options->labels)
        zstr_sendx (node, "LABELS", options->labels, NULL);
    if (*isolation_p) {
        zmsg_send (isolation_p, node);
        zsys_info ("zaf-node: isolating actors: one process each");
    }
    zstr_send (node, "START");
    char *status = NULL, *value = NULL;
    zstr_recvx (node, &status, &value, NULL);
    int rc = status && streq (status, "OK") ? 0 : 1;
    if (rc)
        fprintf (stderr, "zaf-node: cannot start: %s\n", value ? value : "?");
    zstr_free (&status);
    zstr_free (&value);
    return rc;
}

//  Load, start, serve until a signal or the broker's stop, then stop
static int
s_run (const options_t *options)
{
    zaf_program_raise_files ();
    zsys_set_logstream (stderr);
    zsys_set_logident ("zaf-node");
    zaf_error_t err;
    if ((options->broker_key || options->key)
    &&  zaf_auth_client_set (options->broker_key, options->key, &err)) {
        fprintf (stderr, "zaf-node: %s\n", err.message);
        return 1;
    }
    if (s_load_modules (options))
        return 1;
    zmsg_t *isolation = NULL;
    if (options->isolate && !(isolation = s_isolation (options)))
        return 1;

    zactor_t *node = zactor_new (zaf_node, NULL);
    assert (node);
    bool stopped = false;
    int rc = s_start (node, options, &isolation);
    zmsg_destroy (&isolation);
    if (rc == 0)
        rc = zaf_program_serve (node, "zaf-node", &stopped);
    if (stopped)
        zsys_info ("zaf-node: the broker stopped the cluster");
    else
    if (rc == 0)
        zsys_info ("zaf-node: stopping");
    signal (SIGALRM, s_watchdog);
    alarm (ZAF_NODE_STOP_S);
    zactor_destroy (&node);
    if (zaf_actor_threads ()) {
        //  Methods that never returned still hold their sockets: ending the
        //  ZeroMQ context would wait for them forever, so leave now
        zsys_warning ("zaf-node: %zu method(s) still running; exiting without waiting",
                      zaf_actor_threads ());
        fflush (stdout);
        fflush (stderr);
        _exit (rc);
    }
    return rc;
}

int
main (int argc, char **argv)
{
    //  A child process hosting one actor for an --isolate node
    if (argc > 1 && streq (argv [1], ZAF_ISOLATE_HOST_FLAG))
        return zaf_isolate_host (argc, argv);

    options_t options = { .broker = "tcp://127.0.0.1:5555" };
    const zaf_flag_t flags [] = {
        { "broker", 0, ZAF_FLAG_STRING, &options.broker, "ENDPOINT",
          "the broker to join (default tcp://127.0.0.1:5555)" },
        { "name", 0, ZAF_FLAG_STRING, &options.name, "NAME",
          "node name, unique in the cluster (default HOST-PID)" },
        { "cpus", 0, ZAF_FLAG_INT, &options.cpus, "N",
          "task worker threads (default: CPUs, at least 4)", .min = 1, .max = 1024 },
        { "module", 0, ZAF_FLAG_LIST, &options.modules, "PATH",
          "load actor classes and functions from a shared\n"
          "object exporting zaf_module_init (repeatable)" },
        { "isolate", 0, ZAF_FLAG_BOOL, &options.isolate, NULL,
          "run each actor in a process of its own: a crash\n"
          "(segfault, abort) in a method ends that actor alone,\n"
          "with reason 'failed'; costs a process per actor and\n"
          "makes spawning much slower (tasks stay in threads)" },
        { "broker-key", 0, ZAF_FLAG_STRING, &options.broker_key, "FILE",
          "the broker's public key (CURVE on tcp://; default\n"
          "$ZAF_BROKER_KEY, else KEYDIR/broker.cert)" },
        { "key", 0, ZAF_FLAG_STRING, &options.key, "FILE",
          "this node's secret key, role node (default $ZAF_KEY,\n"
          "else KEYDIR/node.cert_secret; KEYDIR: $ZAF_KEY_DIR,\n"
          "else ~/.config/zaf/keys)" },
        { "resources", 0, ZAF_FLAG_STRING, &options.resources, "LIST",
          "resources it offers, name=amount,...: cpu=8,gpu=1,\n"
          "mem_mb=65536,license=2; spawns that ask for them\n"
          "reserve them while their actor lives" },
        { "labels", 0, ZAF_FLAG_STRING, &options.labels, "LIST",
          "labels it carries, name=value,...: zone=a,rack=3;\n"
          "spawns may ask for them" },
        { "verbose", 0, ZAF_FLAG_BOOL, &options.verbose, NULL, "log every message" },
        { NULL }
    };
    const zaf_flags_spec_t spec = {
        .program = "zaf-node", .usage = "zaf-node [OPTIONS]",
        .about = "Host zaf actors and run zaf tasks for a broker.\n",
        .epilog =
            "On SIGINT or SIGTERM it kills its actors, lets methods that are running\n"
            "finish for up to " ZAF_PROGRAM_TEXT (ZAF_NODE_STOP_S) " s (actor processes: "
            "2 s, then SIGKILL), tells the\nbroker BYE and exits.\n",
        .version = ZAF_PROGRAM_VERSION, .flags = flags
    };
    int rc;
    if (zaf_flags_parse (&spec, argc, argv, &rc) == 0) {
        char error [128];
        bool bad_list = false;
        for (int list = 0; list < 2 && !bad_list; list++) {
            const char *text = list ? options.labels : options.resources;
            cJSON *parsed = text ? zaf_resources_parse (text, !list, error, sizeof (error)) : NULL;
            if (text && !parsed) {
                fprintf (stderr, "zaf-node: --%s: %s\n", list ? "labels" : "resources", error);
                bad_list = true;
            }
            cJSON_Delete (parsed);
        }
        if (bad_list)
            rc = ZAF_FLAGS_EXIT_USAGE;
        else
        if (options.name && !zaf_registry_name_valid (options.name)) {
            fprintf (stderr, "zaf-node: --name must be 1-255 printable ASCII characters\n");
            rc = ZAF_FLAGS_EXIT_USAGE;
        }
        else
            rc = s_run (&options);
    }
    zaf_flags_release (&spec);
    return rc;
}
