/*  =========================================================================
    bench_module - the bench module: what zaf-node --module loads

    zaf-bench starts its TCP clusters as `zaf-node --module libzaf_bench.so`.
    =========================================================================
*/

#include "bench_actors.h"

int
zaf_module_init (void)
{
    return bench_actors_register ();
}
