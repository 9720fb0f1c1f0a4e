/*  =========================================================================
    bench_rig - the clusters a scenario measures: zaf's and the floor's

    A zaf rig is a cluster and a driver connection to it: embedded
    (zaf_init (NULL): broker, node and actors in this process) or tcp
    (zaf-broker and N zaf-node processes on 127.0.0.1, the driver here).
    A floor rig is the same topology with bench_floor's relay and servers:
    threads over inproc in this process (embedded), or `zaf-bench --role
    floor-broker` and `--role floor-server` processes over tcp. Either rig
    returns only once every node or server has registered, and its destroy
    stops every thread and process it started.
    =========================================================================
*/

#ifndef BENCH_RIG_H_INCLUDED
#define BENCH_RIG_H_INCLUDED

#include <stdbool.h>
#include <sys/types.h>
#include <zaf.h>

#define BENCH_NODE_CPUS     2       //  Worker threads per node (task scenarios)
#define BENCH_MAX_NODES     4

//  What the run was asked for, and where the programs are
typedef struct {
    bool quick;                 //  Short runs
    bool verbose;               //  Progress and children's logs on stderr
    int duration_ms;            //  How long each side of a scenario measures
    long calls;                 //  Or how many operations (> 0 overrides)
    int actors;                 //  actors_10k: how many actors
    const char *self_path;      //  zaf-bench itself, for the floor roles
    const char *bin_dir;        //  zaf-broker and zaf-node
    const char *lib_dir;        //  libzaf_bench.so
    bool curve;                 //  tcp: CURVE on every link (keys made for the run)
    bool dashboard;             //  tcp: the broker serves its dashboard and
                                //  a client polls its API every 100 ms
} bench_opts_t;

typedef struct _bench_zaf_rig_t bench_zaf_rig_t;
typedef struct _bench_floor_rig_t bench_floor_rig_t;

//  Start a zaf cluster with `nodes` nodes (embedded: always one) and
//  connect a driver. Returns NULL and fills error on failure.
bench_zaf_rig_t *
    bench_zaf_rig_new (const bench_opts_t *opts, bool tcp, int nodes,
                       char *error, size_t error_max);

//  Disconnect and stop the cluster; nulls the pointer.
void
    bench_zaf_rig_destroy (bench_zaf_rig_t **self_p);

//  The driver connection (used by the calling thread only).
zaf_t *
    bench_zaf_rig_driver (bench_zaf_rig_t *self);

//  Open another driver connection to the same cluster, for another thread
//  (caller shuts it down before the rig is destroyed). NULL on failure.
zaf_t *
    bench_zaf_rig_connect (bench_zaf_rig_t *self);

//  Name of node index (for zaf_spawn_opts_t.node), or NULL in embedded
//  mode, where there is one node and no choice.
const char *
    bench_zaf_rig_node_name (bench_zaf_rig_t *self, int index);

//  The pid of the process hosting node index's actors (embedded: ours).
pid_t
    bench_zaf_rig_node_pid (bench_zaf_rig_t *self, int index);

//  Start a floor: a relay and one server per entry of actor_lists (each a
//  comma-separated list of actor ids the server hosts; may be ""). Waits
//  until every actor answers (or, with no actors, until a task does).
//  Returns NULL and fills error on failure.
bench_floor_rig_t *
    bench_floor_rig_new (const bench_opts_t *opts, bool tcp, int servers,
                         const char *const *actor_lists, char *error, size_t error_max);

//  Stop the floor; nulls the pointer. Clients made on its context must be
//  destroyed first.
void
    bench_floor_rig_destroy (bench_floor_rig_t **self_p);

//  The libzmq context clients use, and the relay's endpoint.
void *
    bench_floor_rig_ctx (bench_floor_rig_t *self);
const char *
    bench_floor_rig_endpoint (bench_floor_rig_t *self);

//  The pid of the process hosting server index (embedded: ours).
pid_t
    bench_floor_rig_server_pid (bench_floor_rig_t *self, int index);

#endif
