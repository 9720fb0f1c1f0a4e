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
        HWM <n>                 libzmq's queue to and from each peer, in
                                messages (before BIND; default 100000)
        HELD-MAX <bytes> [<share>]
                                budget for answers held for peers that do
                                not read them: all peers, and one peer
                                (defaults 256 MB and 64 MB)
        ID-SECRET <hex>         tag actor ids under this 32-byte secret
                                (64 hex digits); answers "OK" or "ERROR"
                                <reason>. Without it the secret is random.
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
//  Bytes of answers held for all peers whose queues are full, and for any
//  one of them; a peer past its share is dropped (docs/PROTOCOL.md 9.4)
#define ZAF_BROKER_HELD_MAX     (256L * 1024 * 1024)
#define ZAF_BROKER_HELD_SHARE   (64L * 1024 * 1024)
//  Classes, and functions, one node may list in its HELLO
#define ZAF_BROKER_HELLO_NAMES_MAX  1024
#define ZAF_STRINGIFY_(x)       #x
#define ZAF_STRINGIFY(x)        ZAF_STRINGIFY_(x)
//  STATUS answers stay small: at most this many actors per page (the
//  request's limit), nodes and clients listed, classes and functions per
//  node (the totals come beside every cut list)
#define ZAF_BROKER_STATUS_PAGE  1000
#define ZAF_BROKER_STATUS_PEERS 1000
#define ZAF_BROKER_STATUS_NAMES 256
#define ZAF_BROKER_STATUS_NAMES_BYTES (64 * 1024)
//  Heartbeats an adopted actor waits for its driver to claim it after a
//  broker restart, before it ends (owner_died)
#define ZAF_BROKER_CLAIM_BEATS  10
//  How many dead actor ids the broker remembers (for ACTOR_DIED answers)
#define ZAF_BROKER_TOMBSTONES   100000

//  The actor body: zactor_new (zaf_broker, NULL).
void
    zaf_broker (zsock_t *pipe, void *args);

//  Tag the actor ids this broker issues under secret32 (32 bytes: for
//  instance a digest of the broker's secret key) instead of a secret drawn
//  at random at start, so that after a restart with the same secret the
//  broker adopts only ids it issued (zaf_broker_ids.h). Call it before
//  BIND. Returns 0, or -1 if the broker refused it. Same as the pipe
//  command ID-SECRET <64 hex digits>, which answers "OK" or "ERROR" <why>.
int
    zaf_broker_set_id_secret (zactor_t *broker, const byte *secret32);

#endif
