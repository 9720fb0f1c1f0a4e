/*  =========================================================================
    zaf_program - what the mains of zaf's programs share besides flags

    Raising the open-files limit (every actor costs a socket and a file)
    and serving an engine until a signal or the engine itself ends it.
    Built with zaf_flags into the static library zaf_program; uses czmq,
    and only in the calling thread (main's).
    =========================================================================
*/

#ifndef ZAF_PROGRAM_H_INCLUDED
#define ZAF_PROGRAM_H_INCLUDED

#include <czmq.h>
#include "zaf.h"

//  A number macro as a string literal: ZAF_PROGRAM_TEXT (1000) is "1000"
#define ZAF_PROGRAM_TEXT_(x)    #x
#define ZAF_PROGRAM_TEXT(x)     ZAF_PROGRAM_TEXT_ (x)

//  The version every program prints for --version ("0.1.0")
#define ZAF_PROGRAM_VERSION \
    ZAF_PROGRAM_TEXT (ZAF_VERSION_MAJOR) "." ZAF_PROGRAM_TEXT (ZAF_VERSION_MINOR) "." \
    ZAF_PROGRAM_TEXT (ZAF_VERSION_PATCH)

//  Raise this process's open-files limit to its hard limit and let czmq
//  open nearly that many sockets. Call before czmq makes any socket.
void
    zaf_program_raise_files (void);

//  Wait until SIGINT or SIGTERM (czmq's handler sets zsys_interrupted) or
//  until the engine actor sends something. Returns 0 after a signal or
//  the engine's "STOPPED" (*stopped says which), or 1, after logging it
//  as `program: engine ended unexpectedly`, on anything else.
int
    zaf_program_serve (zactor_t *engine, const char *program, bool *stopped);

//  zaf_program_serve, and on SIGHUP send hup_command (if not NULL) to the
//  engine and log its answer.
int
    zaf_program_serve_hup (zactor_t *engine, const char *program, bool *stopped,
                           const char *hup_command);

#endif
