/*  =========================================================================
    zaf_broker - the broker engine, a czmq actor

    Start it with zactor_new (zaf_broker, NULL) and drive it with string
    commands on the actor pipe (every command that answers does so with
    zstr_sendx):

        VERBOSE                 log every message (zsys_debug)
        QUIET                   log only warnings and errors
        MAX-MESSAGE <bytes>     largest message a peer may send; a bigger
                                one closes its connection (default 256 MB)
        HEARTBEAT <ms>          heartbeat interval (before BIND; default 1000)
        MAX-PENDING <n>         per-actor bound on calls in flight (default 100000)
        KEYS <dir> [<key file>] before BIND: CURVE on the ROUTER, the allowed
                                keys and the ZAP handler (docs/SECURITY.md);
                                answers "OK" <public key> or "ERROR" <reason>
        RELOAD-KEYS             read the key directory again, cut the sessions
                                of keys no longer there; answers the number
                                of allowed keys, or -1
        REVOKE <key>            refuse a public key (z85) and cut its sessions;
                                answers how many were cut, or -1
        BIND <endpoint>         bind the ROUTER; answers "OK" <endpoint> with
                                the port filled in, or "ERROR" <reason>.
                                May be repeated to listen on several endpoints.
        NODES                   answers the number of registered nodes
        STATUS                  answers the STATUS snapshot as JSON text
        $TERM                   tell every peer BYE and end

    The broker owns one ROUTER. It routes CALL, TELL, REPLY and SUBMIT on
    their address frames and never parses their bodies; it keeps the node
    registry, places actors, tracks every call in flight so that each one
    ends exactly once, and declares lost the peers that stop answering.
    =========================================================================
*/

#ifndef ZAF_BROKER_H_INCLUDED
#define ZAF_BROKER_H_INCLUDED

//  Default bound on calls in flight to one actor
#define ZAF_BROKER_MAX_PENDING  100000
//  Largest message accepted from a peer (ZMQ_MAXMSGSIZE): a peer that
//  sends more is disconnected by libzmq
#define ZAF_BROKER_MAX_MESSAGE  (256L * 1024 * 1024)
//  Largest control body the broker parses (HELLO, SPAWN options, STATUS)
#define ZAF_BROKER_CONTROL_MAX  (1024 * 1024)
//  Answers kept for one peer whose queue is full; a peer past this bound is
//  not reading at all and is dropped
#define ZAF_BROKER_BACKLOG_MAX  1000000
//  Heartbeats an adopted actor waits for its driver to claim it after a
//  broker restart, before it ends (owner_died)
#define ZAF_BROKER_CLAIM_BEATS  10
//  How many dead actor ids the broker remembers (for ACTOR_DIED answers)
#define ZAF_BROKER_TOMBSTONES   100000

//  The actor body: zactor_new (zaf_broker, NULL).
void
    zaf_broker (zsock_t *pipe, void *args);

#endif
