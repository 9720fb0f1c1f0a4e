/*  =========================================================================
    market_feed - actors that own czmq sockets: a PUB feed and SUB readers

    FeedPublisher (args [bind_endpoint = "tcp://127.0.0.1:*", interval_ms =
    20, symbols = ["ACME", "GLOBEX", "INITECH"]]) binds a PUB socket (with
    "auto": on every interface, announced by the host's first address) and,
    on a repeating timer (zaf_timer), publishes one tick per symbol:
    "SYMBOL seq price", the price a random walk.
        endpoint ()          -> the endpoint subscribers connect to
        published ()         -> ticks published so far
    FeedSubscriber (args [endpoint, symbol]) connects a SUB socket to the
    feed, subscribed to one symbol, and reads it with zaf_reader: each tick
    updates running statistics, on the actor's thread, between its calls.
        stats ()             -> {"symbol", "ticks", "last", "min", "max",
                                "mean", "gaps", "pid"}; gaps counts
                                sequence numbers it missed after the first
    =========================================================================
*/

#ifndef MARKET_FEED_H_INCLUDED
#define MARKET_FEED_H_INCLUDED

#include <zaf.h>

//  Register FeedPublisher and FeedSubscriber in this process. Returns 0,
//  or -1 if a name is taken.
int
    market_feed_register (void);

#endif
