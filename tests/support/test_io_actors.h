/*  =========================================================================
    test_io_actors - test classes with sockets, file descriptors and timers

    Reader (args [pull_endpoint, kind, report_endpoint|null]): kind "zsock"
    opens a czmq PULL socket, "raw" a libzmq PULL socket; either connects
    to pull_endpoint and is a reader. It also makes a pipe whose read end
    is a reader (fd). With a report endpoint it opens a DEALER there and
    sends "opened <pid>" from the constructor and "closed <pid>" from the
    destructor, just before closing its sockets: the tests count them.
    Its handlers and methods check that no handler runs inside a method
    or another handler, and count the times one did ("reentered").
        received ()              -> messages the socket reader took
        poked ()                 -> bytes the fd reader took
        poke (n)                 writes n bytes to the pipe, -> n
        reentered ()             -> times a handler or method was re-entered
        busy (handle, ms)        calls Counter.sleep (ms) on handle and
                                 waits (a nested wait), -> ms
        stop_reading ()          removes the socket reader, -> 0/-1
        fail ()                  ends the actor with reason "failed"
        pid ()                   -> its process id
    Ticker (args [period_ms, report_endpoint|null]): its constructor sets a
    repeating timer on "tick"; each tick records its time (and with a
    report endpoint sends "tick <n>").
        ticks ()                 -> ticks so far
        stats ()                 -> {"ticks", "period_us": mean interval,
                                 "late_us": mean delay after each tick was due}
        cancel ()                cancels the repeating timer, -> 0/-1
        after (ms, tag)          a one-shot timer telling mark (tag)
        marks ()                 -> tags marked, in order
        fail ()                  ends the actor with reason "failed"
    Sleeper (thread_safe, for max_concurrency):
        wait (ms)                sleeps ms, -> how many waits ran at that moment
        most ()                  -> the most waits that ever ran at once
        add_to (handle, n)       calls Counter.add (n) on handle, -> its answer
        fail ()                  ends the actor with reason "failed"
    =========================================================================
*/

#ifndef TEST_IO_ACTORS_H_INCLUDED
#define TEST_IO_ACTORS_H_INCLUDED

#include <zaf.h>

//  Register Reader, Ticker and Sleeper in this process.
int
    test_io_actors_register (void);

#endif
