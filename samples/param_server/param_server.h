/*  =========================================================================
    param_server - the parameter server sample: actors and functions

    ParameterServer holds a vector of doubles (10 by default):
        get_params ()            -> [p0, p1, ...]
        update_params (grad)     subtracts grad element-wise, -> null
    worker (ps, updates, interval_ms) is a remote function: it is handed the
    server's handle and pushes `updates` gradients of ones, pausing between
    them, then returns how many it pushed.
    =========================================================================
*/

#ifndef PARAM_SERVER_H_INCLUDED
#define PARAM_SERVER_H_INCLUDED

#include <zaf.h>

//  Register the ParameterServer class and the worker function in this
//  process. Returns 0, or -1 if a name is taken.
int
    param_server_register (void);

#endif
