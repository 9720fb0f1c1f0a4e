/*  =========================================================================
    zaf-node - the node program: flags, modules, signals, and the node engine

    A thin main over the zaf_node actor: load the modules named with
    --module (each registers its classes and functions), start the engine
    against --broker, and serve until SIGINT or SIGTERM. The engine keeps
    dialing with backoff while the broker is away. Logs go to stderr.

    With --isolate every actor runs in a child process: this same program,
    started again in its hidden --actor-host mode (zaf_isolate_host), which
    loads the same modules and hosts one actor.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_isolate.h"
#include <signal.h>
#include <sys/resource.h>

//  Bound on a clean stop: actors get ZAF_NODE_STOP_S seconds to finish the
//  method they are in; past that the process ends regardless
#define ZAF_NODE_STOP_S 15

static void
s_watchdog (int signum)
{
    static const char text [] = "zaf-node: actors did not stop in time; exiting now\n";
    ssize_t written = write (STDERR_FILENO, text, sizeof (text) - 1);
    (void) written;
    _exit (1);
}

static void
s_usage (FILE *stream)
{
    fprintf (stream,
        "Usage: zaf-node [OPTIONS]\n"
        "Host zaf actors and run zaf tasks for a broker.\n"
        "\n"
        "  --broker ENDPOINT   the broker to join (default tcp://127.0.0.1:5555)\n"
        "  --name NAME         node name, unique in the cluster (default HOST-PID)\n"
        "  --cpus N            task worker threads (default: CPUs, at least 4)\n"
        "  --module PATH       load actor classes and functions from a shared\n"
        "                      object exporting zaf_module_init (repeatable)\n"
        "  --isolate           run each actor in a process of its own: a crash\n"
        "                      (segfault, abort) in a method ends that actor alone,\n"
        "                      with reason 'failed'; costs a process per actor and\n"
        "                      makes spawning much slower (tasks stay in threads)\n"
        "  --verbose           log every message\n"
        "  --version           print the version and exit\n"
        "  --help              print this help and exit\n"
        "\n"
        "On SIGINT or SIGTERM it kills its actors, lets methods that are running\n"
        "finish for up to 15 s (actor processes: 2 s, then SIGKILL), tells the\n"
        "broker BYE and exits.\n");
}

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
            fprintf (stderr, "zaf-node: %s needs a value\n", name);
            exit (2);
        }
        return argv [++*index];
    }
    return NULL;
}

int
main (int argc, char **argv)
{
    //  A child process hosting one actor for an --isolate node
    if (argc > 1 && streq (argv [1], ZAF_ISOLATE_HOST_FLAG))
        return zaf_isolate_host (argc, argv);

    const char *broker = "tcp://127.0.0.1:5555";
    const char *name = NULL;
    long cpus = 0;
    bool verbose = false;
    bool isolate = false;
    zlist_t *modules = zlist_new ();
    for (int index = 1; index < argc; index++) {
        const char *value;
        if (streq (argv [index], "--help") || streq (argv [index], "-h")) {
            s_usage (stdout);
            zlist_destroy (&modules);
            return 0;
        }
        else
        if (streq (argv [index], "--version")) {
            printf ("zaf-node %d.%d.%d\n", ZAF_VERSION_MAJOR, ZAF_VERSION_MINOR, ZAF_VERSION_PATCH);
            zlist_destroy (&modules);
            return 0;
        }
        else
        if (streq (argv [index], "--verbose"))
            verbose = true;
        else
        if (streq (argv [index], "--isolate"))
            isolate = true;
        else
        if ((value = s_value (argc, argv, &index, "--broker")))
            broker = value;
        else
        if ((value = s_value (argc, argv, &index, "--name"))) {
            if (!zaf_registry_name_valid (value)) {
                fprintf (stderr, "zaf-node: --name must be 1-255 printable ASCII characters\n");
                zlist_destroy (&modules);
                return 2;
            }
            name = value;
        }
        else
        if ((value = s_value (argc, argv, &index, "--cpus"))) {
            char *end = NULL;
            cpus = strtol (value, &end, 10);
            if (!*value || *end || cpus < 1 || cpus > 1024) {
                fprintf (stderr, "zaf-node: --cpus must be a whole number from 1 to 1024, not '%s'\n",
                         value);
                zlist_destroy (&modules);
                return 2;
            }
        }
        else
        if ((value = s_value (argc, argv, &index, "--module")))
            zlist_append (modules, (void *) value);
        else {
            fprintf (stderr, "zaf-node: unknown option '%s'\n", argv [index]);
            s_usage (stderr);
            zlist_destroy (&modules);
            return 2;
        }
    }
    //  Every actor costs a socket and a file descriptor: allow many
    struct rlimit limit;
    if (getrlimit (RLIMIT_NOFILE, &limit) == 0) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit (RLIMIT_NOFILE, &limit);
        getrlimit (RLIMIT_NOFILE, &limit);
        zsys_set_max_sockets (limit.rlim_cur > 100 ? limit.rlim_cur - 50 : limit.rlim_cur);
    }
    zsys_set_logstream (stderr);
    zsys_set_logident ("zaf-node");

    for (const char *path = (const char *) zlist_first (modules); path;
         path = (const char *) zlist_next (modules)) {
        zaf_error_t err;
        if (zaf_registry_load_module (path, &err)) {
            fprintf (stderr, "zaf-node: %s\n", err.message);
            zlist_destroy (&modules);
            return 1;
        }
    }
    //  Actor processes run this program again and load the same modules:
    //  resolve both now, so that a change of directory cannot matter
    zmsg_t *isolation = NULL;
    if (isolate) {
        char program [PATH_MAX];
        ssize_t size = readlink ("/proc/self/exe", program, sizeof (program) - 1);
        if (size <= 0) {
            fprintf (stderr, "zaf-node: --isolate: cannot find this program: %s\n", strerror (errno));
            zlist_destroy (&modules);
            return 1;
        }
        program [size] = 0;
        isolation = zmsg_new ();
        zmsg_addstr (isolation, "ISOLATE");
        zmsg_addstr (isolation, program);
        for (const char *path = (const char *) zlist_first (modules); path;
             path = (const char *) zlist_next (modules)) {
            char *absolute = realpath (path, NULL);
            zmsg_addstr (isolation, absolute ? absolute : path);
            free (absolute);
        }
    }
    zlist_destroy (&modules);
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

    zactor_t *node = zactor_new (zaf_node, NULL);
    assert (node);
    if (verbose)
        zstr_send (node, "VERBOSE");
    zstr_sendx (node, "BROKER", broker, NULL);
    if (name)
        zstr_sendx (node, "NAME", name, NULL);
    if (cpus) {
        char text [16];
        snprintf (text, sizeof (text), "%ld", cpus);
        zstr_sendx (node, "CPUS", text, NULL);
    }
    if (isolation) {
        zmsg_send (&isolation, node);
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

    bool stopped = false;
    while (rc == 0 && !zsys_interrupted) {
        zpoller_t *poller = zpoller_new (node, NULL);
        zsock_t *which = (zsock_t *) zpoller_wait (poller, 500);
        zpoller_destroy (&poller);
        if (which) {
            char *message = zstr_recv (node);
            if (message && streq (message, "STOPPED")) {
                zsys_info ("zaf-node: the broker stopped the cluster");
                stopped = true;
            }
            else {
                zsys_error ("zaf-node: engine ended unexpectedly");
                rc = 1;
            }
            zstr_free (&message);
            break;
        }
    }
    if (rc == 0 && !stopped)
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
