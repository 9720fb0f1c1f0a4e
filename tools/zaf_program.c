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

static volatile sig_atomic_t s_hup;

static void
s_on_hup (int signal)
{
    (void) signal;
    s_hup = 1;
}

int
zaf_program_serve (zactor_t *engine, const char *program, bool *stopped)
{
    return zaf_program_serve_hup (engine, program, stopped, NULL);
}

int
zaf_program_serve_hup (zactor_t *engine, const char *program, bool *stopped,
                       const char *hup_command)
{
    *stopped = false;
    int rc = 0;
    if (hup_command) {
        struct sigaction action;
        memset (&action, 0, sizeof (action));
        action.sa_handler = s_on_hup;
        sigemptyset (&action.sa_mask);
        sigaction (SIGHUP, &action, NULL);
    }
    zpoller_t *poller = zpoller_new (engine, NULL);
    assert (poller);
    while (!zsys_interrupted) {
        if (hup_command && s_hup) {
            s_hup = 0;
            zstr_send (engine, hup_command);
            char *answer = zstr_recv (engine);
            zsys_info ("%s: SIGHUP: %s answered %s", program, hup_command, answer ? answer : "nothing");
            zstr_free (&answer);
        }
        if (!zpoller_wait (poller, hup_command ? 100 : 500))
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
