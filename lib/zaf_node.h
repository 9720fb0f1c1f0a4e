/*  =========================================================================
    zaf_node - the node engine, a czmq actor: hosts actors, runs tasks

    Start it with zactor_new (zaf_node, NULL) and configure it with string
    commands on the actor pipe:

        VERBOSE                 log every message (zsys_debug)
        QUIET                   log only warnings and errors
        BROKER <endpoint>       the broker to register with
        NAME <name>             node name (default: host-pid)
        CPUS <n>                task worker pool size (default: CPUs, at least 4)
        RESOURCES <list>        resources announced in HELLO: cpu=8,gpu=1
                                (zaf_resources; a malformed list is ignored)
        LABELS <list>           labels announced in HELLO: zone=a,rack=3
        ISOLATE <program> [<module>...]
                                before START: host each actor in a child
                                process of its own (zaf_isolate): program
                                is run in its --actor-host mode and loads
                                the modules; tasks stay on worker threads
        START                   bind the inner endpoint, start the workers and
                                begin dialing the broker; answers "OK" or
                                "ERROR" <reason>
        STATE                   answers "connected" or "connecting"
        $TERM                   kill every actor, stop the workers, say BYE

    It serves the classes and functions of the default registry. Each actor
    is a light thread (zaf_actor) on the node's inproc ROUTER; requests the
    actors and tasks make are relayed to the broker with their correlation
    id prefixed by the sender's inner routing id, and answers find their way
    back by that prefix. A node that loses its broker ends its actors (the
    broker has declared them dead) and dials again with backoff. With
    ISOLATE, each actor is a child process on the same ROUTER (bound on a
    private ipc endpoint too); one that dies in a method ends alone, with
    EXIT {"reason":"failed","signal":...}.
    =========================================================================
*/

#ifndef ZAF_NODE_H_INCLUDED
#define ZAF_NODE_H_INCLUDED

//  Tasks a worker may hold at once (one running, the rest waiting for it)
#define ZAF_NODE_PREFETCH   8
//  Bound on messages queued to one actor on the node (calls and tells)
#define ZAF_NODE_MAX_QUEUE  200000

//  The actor body: zactor_new (zaf_node, NULL).
void
    zaf_node (zsock_t *pipe, void *args);

#endif
