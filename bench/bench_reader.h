/*  =========================================================================
    bench_reader - the reader scenario: messages/s into an actor's own SUB
    socket (zaf_reader) against a bare czmq SUB thread, in the same run

    The bench process binds a PUB socket on 127.0.0.1 and publishes to one
    subscriber at a time: a BenchReader actor (bench_actors) whose
    constructor connects a SUB socket and makes it a reader, or a thread of
    the bench process that polls a SUB socket and reads it until empty.
    Each round warms the subscription up, times BENCH_READER_BATCH
    messages of 64 bytes from the first send to the subscriber's "done",
    and checks that none was lost. Rounds alternate between the two.
    =========================================================================
*/

#ifndef BENCH_READER_H_INCLUDED
#define BENCH_READER_H_INCLUDED

//  Run the scenario: fill both sides (ops and time) and result's rss.
void
    bench_reader_run (bool tcp, const bench_opts_t *opts, bench_side_t *floor,
                      bench_side_t *zaf, bench_result_t *result);

#endif
