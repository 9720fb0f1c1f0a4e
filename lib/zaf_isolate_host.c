/*  =========================================================================
    zaf_isolate_host - the actor process's side: host one actor

    Runs in the main thread of a process the node started (posix_spawn of
    its own program with ZAF_ISOLATE_HOST_FLAG). Talks only to its node,
    through the actor's DEALER on the node's ipc endpoint, and through the
    block on fd ZAF_ISOLATE_CTL_FD that it shares with the node. It asks
    for SIGKILL when the thread that started it ends (PR_SET_PDEATHSIG) and
    leaves at once if that already happened, ignores SIGINT (a terminal's
    Ctrl-C is the node's to handle; the node kills its actors), checks the
    block (magic, layout size, bounds) before trusting it, and runs the
    actor with zaf_actor_run. It exits 0 only after its EXIT went out.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_isolate_host.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>

typedef zaf_isolate_block_t shared_t;

//  What the command line says
typedef struct {
    const char *endpoint;           //  The node's ipc endpoint
    const char *actor_id;
    const char *class_name;
    uint32_t inner_id;
    long parent;                    //  The node's pid
    bool verbose;
    zlistx_t *modules;              //  Paths, borrowed from argv
} args_t;

static int
s_host_usage (const char *why)
{
    fprintf (stderr, "zaf-actor: %s (this mode is started by zaf-node --isolate)\n", why);
    return 2;
}

//  Read the command line into args. Returns 0, or the exit code (after
//  saying why on stderr).
static int
s_parse (int argc, char **argv, args_t *args)
{
    if (argc < 3 || !streq (argv [1], ZAF_ISOLATE_HOST_FLAG))
        return s_host_usage ("bad command line");
    args->endpoint = argv [2];
    for (int index = 3; index < argc; index++) {
        const char *flag = argv [index];
        const char *value = index + 1 < argc ? argv [index + 1] : NULL;
        if (streq (flag, "--verbose"))
            args->verbose = true;
        else
        if (!value)
            return s_host_usage ("a flag without its value");
        else {
            if (streq (flag, "--inner-id"))
                args->inner_id = (uint32_t) strtoul (value, NULL, 10);
            else
            if (streq (flag, "--parent"))
                args->parent = strtol (value, NULL, 10);
            else
            if (streq (flag, "--actor"))
                args->actor_id = value;
            else
            if (streq (flag, "--class"))
                args->class_name = value;
            else
            if (streq (flag, "--module"))
                zlistx_add_end (args->modules, (void *) value);
            else
                return s_host_usage ("unknown flag");
            index++;
        }
    }
    if (!args->actor_id || !args->class_name || !(args->inner_id & 0x80000000u)
    ||  args->parent <= 0)
        return s_host_usage ("missing flags");
    return 0;
}

//  Load the modules and find the class. Returns it, or NULL (logged).
static const zaf_class_t *
s_load (args_t *args)
{
    for (const char *path = (const char *) zlistx_first (args->modules); path;
         path = (const char *) zlistx_next (args->modules)) {
        zaf_error_t err;
        if (zaf_registry_load_module (path, &err)) {
            zsys_error ("zaf_isolate: actor=%s %s", args->actor_id, err.message);
            return NULL;
        }
    }
    const zaf_class_t *cls = zaf_registry_class (zaf_registry_default (), args->class_name);
    if (!cls)
        zsys_error ("zaf_isolate: actor=%s no class %s in the modules", args->actor_id,
                    args->class_name);
    return cls;
}

//  Map the block the node shared on ZAF_ISOLATE_CTL_FD and check it (the
//  fd is closed either way). Returns the block, of *size bytes, or NULL.
static shared_t *
s_map (const char *actor_id, size_t *size)
{
    struct stat info;
    shared_t *shared = MAP_FAILED;
    if (fstat (ZAF_ISOLATE_CTL_FD, &info) == 0 && (size_t) info.st_size >= sizeof (shared_t))
        shared = (shared_t *) mmap (NULL, (size_t) info.st_size, PROT_READ | PROT_WRITE,
                                    MAP_SHARED, ZAF_ISOLATE_CTL_FD, 0);
    close (ZAF_ISOLATE_CTL_FD);
    if (shared != MAP_FAILED
    &&  shared->magic == ZAF_ISOLATE_MAGIC && shared->header_size == sizeof (shared_t)
    &&  shared->args_size <= (uint64_t) info.st_size - sizeof (shared_t)
    &&  shared->caller_size <= ZAF_PROTO_ID_MAX && shared->corr_size <= ZAF_PROTO_ID_MAX) {
        *size = (size_t) info.st_size;
        return shared;
    }
    if (shared != MAP_FAILED)
        munmap (shared, (size_t) info.st_size);
    zsys_error ("zaf_isolate: actor=%s no valid control block on fd %d", actor_id,
                ZAF_ISOLATE_CTL_FD);
    return NULL;
}

//  --------------------------------------------------------------------------
//  Host one actor: the child process's main

int
zaf_isolate_host (int argc, char **argv)
{
    args_t args = { .modules = zlistx_new () };
    int rc = s_parse (argc, argv, &args);
    if (rc) {
        zlistx_destroy (&args.modules);
        return rc;
    }
    //  Die with the node thread that started us; if it is gone already,
    //  nobody is waiting for this actor
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    if (getppid () != (pid_t) args.parent) {
        zlistx_destroy (&args.modules);
        return 1;
    }
    //  Ctrl-C on a terminal reaches the whole process group: the node
    //  handles it and kills us. No czmq handler: SIGTERM ends us at once
    signal (SIGINT, SIG_IGN);
    zsys_handler_set (NULL);
    zsys_set_logstream (stderr);
    zsys_set_logident ("zaf-actor");

    const zaf_class_t *cls = s_load (&args);
    zlistx_destroy (&args.modules);
    size_t size = 0;
    shared_t *shared = cls ? s_map (args.actor_id, &size) : NULL;
    if (!shared) {
        if (!cls)
            close (ZAF_ISOLATE_CTL_FD);
        return 3;
    }
    zaf_actor_spec_t spec = {
        .endpoint = args.endpoint,
        .inner_id = args.inner_id,
        .actor_id = args.actor_id,
        .cls = cls,
        .args = shared->args,
        .args_size = (size_t) shared->args_size,
        .caller = shared->caller,
        .caller_size = shared->caller_size,
        .corr = shared->corr,
        .corr_size = shared->corr_size,
        .ctl = &shared->ctl,
        .running = &shared->running,
        .verbose = args.verbose
    };
    rc = 0;
    if (zaf_actor_run (&spec)) {
        zsys_error ("zaf_isolate: actor=%s cannot connect to %s: %s", args.actor_id,
                    args.endpoint, zmq_strerror (errno));
        rc = 1;
    }
    munmap (shared, size);
    return rc;
}
