/*  =========================================================================
    bench_scenarios - the scenarios: each measured through zaf and through
    the raw floor, in one mode

    Scenario      zaf side                           floor side
    sync          zaf_call + zaf_get, one at a time  CALL, wait for REPLY
    async         1,000 calls in flight              1,000 CALLs in flight
    tell          tells, then one call               TELLs, then one CALL
    nn_async      4 callers x 4 actors (2 nodes)     4 clients x 4 actors (2 servers)
    task_sync     zaf_submit + zaf_get               SUBMIT, wait for REPLY
    task_async    1,000 submits in flight            1,000 SUBMITs in flight
    spawn         zaf_spawn one at a time            SPAWN: a thread + DEALER + READY
    blob_1mb      calls with 1 MiB of doubles        CALL with a 1 MiB binary frame
    actors_10k    10,000 Idle actors on one node     (none)
    reader        PUB -> an actor's SUB reader       PUB -> a bare czmq SUB thread
                  (bench_reader.c)

    Runs in the scenario runner's main thread (nn_async adds four caller
    threads, each with its own zaf_t or floor client).
    =========================================================================
*/

#ifndef BENCH_SCENARIOS_H_INCLUDED
#define BENCH_SCENARIOS_H_INCLUDED

#include <stdbool.h>
#include "bench_rig.h"
#include "bench_result.h"

#define BENCH_SCENARIO_COUNT 10

//  Return the name of scenario index (0 .. BENCH_SCENARIO_COUNT - 1), in
//  the order a full run takes them.
const char *
    bench_scenario_name (int index);

//  Return true if name is a scenario.
bool
    bench_scenario_known (const char *name);

//  Return true if the scenario has a floor side.
bool
    bench_scenario_has_floor (const char *name);

//  Run one scenario in one mode (tcp or embedded) and fill result.
void
    bench_scenario_run (const char *name, bool tcp, const bench_opts_t *opts,
                        bench_result_t *result);

#endif
