/*  =========================================================================
    zaf_program - what the mains of zaf's programs share besides flags

    Both helpers run in main's thread. zaf_program_serve polls the engine's
    pipe with a short timeout so that a signal, which czmq turns into
    zsys_interrupted, is seen within half a second.
    =========================================================================
*/

#include "zaf_program.h"
#include <sys/resource.h>

//  --------------------------------------------------------------------------
//  Raise the open-files limit and czmq's socket limit with it

void
zaf_program_raise_files (void)
{
    struct rlimit limit;
    if (getrlimit (RLIMIT_NOFILE, &limit) == 0) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit (RLIMIT_NOFILE, &limit);
        getrlimit (RLIMIT_NOFILE, &limit);
        zsys_set_max_sockets (limit.rlim_cur > 100 ? (size_t) limit.rlim_cur - 50
                                                   : (size_t) limit.rlim_cur);
    }
}

//  --------------------------------------------------------------------------
//  Serve until a signal or until the engine ends by itself

int
zaf_program_serve (zactor_t *engine, const char *program, bool *stopped)
{
    *stopped = false;
    int rc = 0;
    zpoller_t *poller = zpoller_new (engine, NULL);
    assert (poller);
    while (!zsys_interrupted) {
        if (!zpoller_wait (poller, 500))
            continue;
        char *message = zstr_recv (engine);
        if (message && streq (message, "STOPPED"))
            *stopped = true;
        else {
            zsys_error ("%s: engine ended unexpectedly", program);
            rc = 1;
        }
        zstr_free (&message);
        break;
    }
    zpoller_destroy (&poller);
    return rc;
}
