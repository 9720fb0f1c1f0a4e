/*  =========================================================================
    zaf_isolate_host - the actor process's side: host one actor

    With zaf-node --isolate the node (zaf_isolate) starts its program again
    in a hidden mode for each actor. This is that mode: the program's main
    calls zaf_isolate_host, which loads the modules, maps the block the node
    shared with it and runs the actor with zaf_actor_run, whose DEALER
    connects to the node's ipc endpoint with the routing id a thread would
    have had. The child dies with the node thread that started it
    (PDEATHSIG).

    This header is also the contract between the two sides: the command
    line flag, the fd the block arrives on, and the block's layout.
    =========================================================================
*/

#ifndef ZAF_ISOLATE_HOST_H_INCLUDED
#define ZAF_ISOLATE_HOST_H_INCLUDED

#define ZAF_ISOLATE_HOST_FLAG   "--actor-host"
#define ZAF_ISOLATE_MAGIC       0x7A616631u     //  "zaf1"
#define ZAF_ISOLATE_CTL_FD      3               //  The shared block, in the child

//  The shared block: written by the node before the child starts; then
//  ctl and running are the only parts either side changes. The same
//  binary runs on both sides, so header_size checks the layout.
typedef struct {
    uint32_t magic;                 //  ZAF_ISOLATE_MAGIC
    uint32_t header_size;           //  sizeof (zaf_isolate_block_t)
    zaf_actor_ctl_t ctl;            //  As a thread's control block
    zaf_actor_running_t running;    //  What the actor is running
    byte caller [ZAF_PROTO_ID_MAX]; //  Spawner, echoed in SPAWNED
    uint32_t caller_size;
    byte corr [ZAF_PROTO_ID_MAX];   //  Spawn correlation id, echoed
    uint32_t corr_size;
    uint64_t args_size;
    char args [];                   //  Constructor args (JSON bytes)
} zaf_isolate_block_t;

//  The child's side: the program's main calls this when argv [1] is
//  ZAF_ISOLATE_HOST_FLAG, with its whole argv, and returns what it
//  returns as the exit code (0 once the actor ended and its EXIT went
//  out; 1 no node; 2 bad command line; 3 no class or no valid block).
//  The rest of the command line: <endpoint> --inner-id <n> --parent <pid>
//  --actor <id> --class <name> [--verbose] [--module <path>]...
int
    zaf_isolate_host (int argc, char **argv);

#endif
