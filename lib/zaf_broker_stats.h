/*  =========================================================================
    zaf_broker_stats - the counters the broker's STATUS reports

    The broker actor owns the one instance; each broker object borrows a
    pointer to it and counts its own events. Header only.
    =========================================================================
*/

#ifndef ZAF_BROKER_STATS_H_INCLUDED
#define ZAF_BROKER_STATS_H_INCLUDED

typedef struct {
    size_t calls, tells, replies, spawns, submits, kills, lookups;
    size_t errors_sent, malformed, unknown_peer, late_replies;
    size_t wrong_peer, unroutable, overloaded, peers_lost, backlogged;
    size_t held_dropped;        //  Peers cut off for not reading their answers
    size_t unauthorized, handshakes_allowed, handshakes_refused, revoked;
} zaf_broker_stats_t;

#endif
