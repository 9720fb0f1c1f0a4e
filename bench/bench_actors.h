/*  =========================================================================
    bench_actors - the actors and the task that zaf-bench measures

    BenchServer (dim = 10) holds a vector of doubles, as the seed's
    parameter server does:
        update_params ([g0, ... g9])  subtracts the gradient, -> null
        echo (args...)                -> its arguments, unchanged
        blob ([d0, d1, ...])          sums a large array, -> its length
    Idle holds nothing; ping () -> null. actors_10k spawns 10,000 of them.
    BenchReader owns a SUB socket read with zaf_reader (reader scenario).
    bench_task (args) is a remote function: it checks that args[0] is an
    array of numbers, sums it, and returns null.

    The zaf-node side loads this code as libzaf_bench.so (bench_module.c);
    zaf-bench links it too, for its embedded clusters.
    =========================================================================
*/

#ifndef BENCH_ACTORS_H_INCLUDED
#define BENCH_ACTORS_H_INCLUDED

#include <zaf.h>

#define BENCH_SERVER_CLASS  "BenchServer"
#define BENCH_IDLE_CLASS    "Idle"
#define BENCH_TASK          "bench_task"
#define BENCH_READER_CLASS  "BenchReader"

//  Register BenchServer, Idle and bench_task in this process. Returns 0,
//  or -1 if a name is taken.
int
    bench_actors_register (void);

#endif
