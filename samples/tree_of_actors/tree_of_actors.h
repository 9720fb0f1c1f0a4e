/*  =========================================================================
    tree_of_actors - the tree of actors sample: a supervisor and its workers

    Worker (kind, duration_ms) trains a toy model of one kind ("lr", "cl",
    "nn") without blocking its thread: train records a deadline, and the
    state is read off the clock.
        train ()                 starts (or restarts) training, -> null
        state ()                 -> "IDLE" before train, "RUNNING" until the
                                    deadline, "DONE" after
        kind ()                  -> the kind string
    Supervisor (duration_ms = 2000) spawns three Workers (lr, cl, nn) in its
    constructor and keeps their owning handles, so the workers share its
    fate: when the supervisor ends, they are killed. lr trains for a third
    of duration_ms, cl for two thirds, nn for all of it.
        work ()                  calls train on every worker, -> 3
        state ()                 calls state on every worker, -> e.g.
                                    ["DONE", "RUNNING", "RUNNING"]; a worker
                                    that cannot answer gives its error code
                                    name ("ACTOR_DIED")
        workers ()               -> the workers' handles, [{"$actor": id}, ...]
        terminate ()             kills the workers and waits, -> how many it
                                    killed (0 the second time)
    =========================================================================
*/

#ifndef TREE_OF_ACTORS_H_INCLUDED
#define TREE_OF_ACTORS_H_INCLUDED

#include <zaf.h>

//  Register the Worker and Supervisor classes in this process. Returns 0,
//  or -1 if a name is taken.
int
    tree_of_actors_register (void);

#endif
