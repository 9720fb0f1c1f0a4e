/*  =========================================================================
    bench_scenarios - the scenarios, each through zaf and through the floor

    A scenario starts both clusters (bench_rig: the floor's and zaf's, same
    topology), then alternates slices of about a second of floor and of zaf
    until each side has had its planned time, so that both see the same
    noise from the rest of a shared machine. Each side warms up in its
    first slice (not counted). Every wait is bounded by the slice's
    deadline; a side that fails or times out stops, and fails the
    scenario with the reason, while the other side goes on.

    Both sides do the same application work per call: the caller builds
    the arguments with cJSON and prints them, the server parses them,
    applies them and prints `null`, the caller parses the answer, all with
    the JSON codec zaf uses on its path (zaf_json_print, zaf_json_parse).
    Only the path in between differs: zaf's client, broker, node and actor
    thread, or the floor's bare relay and server.

    Latencies (p50/p99): sync, task_sync, blob_1mb and spawn: each round
    trip. async, task_async, nn_async and actors_10k: from issuing a call
    to collecting its result, in issue order; this includes the time spent
    queued behind the rest of the window. tell: none.

    Runs in the scenario runner's main thread; nn_async adds four caller
    threads per slice, each with its own zaf_t or floor client.
    =========================================================================
*/

#include "bench_classes.h"
#include <pthread.h>

#define SLICE_MS            1000            //  About how long a slice is
#define MAX_SLICES          5
#define ASYNC_WINDOW        1000
#define NN_CALLERS          4
#define NN_ACTORS           4
#define TELL_BATCH          5000
#define SPAWN_BATCH         250
#define BLOB_DOUBLES        (128 * 1024)    //  1 MiB of doubles

static const char *const s_names [BENCH_SCENARIO_COUNT] = {
    "sync", "async", "tell", "nn_async", "task_sync", "task_async",
    "spawn", "blob_1mb", "actors_10k", "reader"
};

//  The reference gradient: 10 numbers, 0.1 .. 1.0
static const double s_grad [10] = { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0 };

//  [[0.1, 0.2, ..., 1]]: the arguments of update_params and bench_task
static cJSON *
s_grad_args (void)
{
    cJSON *args = cJSON_CreateArray ();
    cJSON_AddItemToArray (args, cJSON_CreateDoubleArray (s_grad, 10));
    return args;
}

//  Floor actor ids: 16 characters, as long as zaf's
static void
s_floor_actor (int index, char *id, size_t max)
{
    snprintf (id, max, "f0%014x", index + 1);
}

static void
s_progress (const bench_opts_t *opts, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_progress (const bench_opts_t *opts, const char *format, ...)
{
    if (!opts->verbose)
        return;
    va_list args;
    va_start (args, format);
    fprintf (stderr, "zaf-bench:   ");
    vfprintf (stderr, format, args);
    fprintf (stderr, "\n");
    va_end (args);
}

//  How many slices each side's time is cut into (at least two, even in a
//  short run, so that neither side has the machine to itself), and the
//  opts of one
static int
s_slices (const bench_opts_t *opts)
{
    if (opts->calls > 0 || opts->duration_ms < 100)
        return 1;
    int slices = (opts->duration_ms + SLICE_MS / 2) / SLICE_MS;
    return slices < 2 ? 2 : slices > MAX_SLICES ? MAX_SLICES : slices;
}

static bench_opts_t
s_slice_opts (const bench_opts_t *opts, int slices)
{
    bench_opts_t slice = *opts;
    slice.duration_ms = opts->duration_ms / slices;
    return slice;
}

//  The 1 MiB argument's doubles: pseudo-random in [0, 1), as gradients are
static double *
s_blob_values (void)
{
    double *values = (double *) malloc (BLOB_DOUBLES * sizeof (double));
    assert (values);
    for (int index = 0; index < BLOB_DOUBLES; index++)
        values [index] = (double) ((uint32_t) index * 2654435761u % 1000003u) / 1000003.0;
    return values;
}

//  ==========================================================================
//  zaf: what one operation is

//  Calls go to the actors of `actors` in turn
typedef struct {
    zaf_actor_t **actors;
    int nbr_actors;
    int next;
    const double *values;       //  blob: the doubles
    int nbr_values;
} target_t;

static zaf_actor_t *
s_target_next (target_t *target)
{
    zaf_actor_t *actor = target->actors [target->next];
    target->next = (target->next + 1) % target->nbr_actors;
    return actor;
}

static zaf_future_t *
s_issue_update (zaf_t *z, void *arg)
{
    return zaf_call (z, s_target_next ((target_t *) arg), "update_params", s_grad_args ());
}

static zaf_future_t *
s_issue_task (zaf_t *z, void *arg)
{
    return zaf_submit (z, BENCH_TASK, s_grad_args ());
}

//  The 1 MB argument: 131,072 doubles as one binary attachment, named
//  {"$blob": 0} in the JSON. The blob copies them once, as the floor's
//  zmq_send does.
static zaf_future_t *
s_issue_blob (zaf_t *z, void *arg)
{
    target_t *target = (target_t *) arg;
    zaf_blob_t *blobs [1] = {
        zaf_blob_new (target->values, (size_t) target->nbr_values * sizeof (double))
    };
    cJSON *args = cJSON_CreateArray ();
    cJSON_AddItemToArray (args, zaf_blob_ref (0));
    return zaf_call_blobs (z, s_target_next (target), "blob", args, blobs, 1);
}

static zaf_future_t *
s_issue_ping (zaf_t *z, void *arg)
{
    return zaf_call (z, s_target_next ((target_t *) arg), "ping", NULL);
}

static zaf_actor_t *
s_zaf_spawn (zaf_t *z, const char *cls, const char *node, bench_side_t *side)
{
    zaf_spawn_opts_t opts = { node, NULL, 10000 };
    zaf_error_t err;
    zaf_actor_t *actor = zaf_spawn (z, cls, NULL, &opts, &err);
    if (!actor)
        bench_side_fail_zaf (side, "spawn", &err);
    return actor;
}

//  RSS of the processes hosting the actors, in KB
static double
s_zaf_rss (bench_zaf_rig_t *rig, int nodes)
{
    long total = 0;
    for (int index = 0; index < nodes; index++) {
        long rss = bench_proc_rss_kb (bench_zaf_rig_node_pid (rig, index));
        if (rss < 0)
            return -1;
        total += rss;
    }
    return (double) total;
}

//  ==========================================================================
//  Floor: what one operation is

typedef struct {
    char actors [NN_ACTORS][BENCH_ACTOR_ID_MAX + 1];
    int nbr_actors;
    int next;
    const double *values;
    int nbr_values;
} floor_target_t;

static const char *
s_floor_next (floor_target_t *target)
{
    const char *actor = target->actors [target->next];
    target->next = (target->next + 1) % target->nbr_actors;
    return actor;
}

//  Print the arguments as zaf's client does (with zaf's printer: the
//  floor does the same work, only without the framework), and send them
static int
s_send_json (bench_floor_client_t *client, const char *command, uint64_t corr,
             const char *actor, const char *name)
{
    cJSON *args = s_grad_args ();
    size_t size = 0;
    char *text = zaf_json_print (args, &size);
    cJSON_Delete (args);
    int rc = text ? bench_floor_client_send (client, command, corr, actor, name, text, size) : -1;
    free (text);
    return rc;
}

static int
s_send_update (bench_floor_client_t *client, uint64_t corr, void *arg)
{
    return s_send_json (client, "CALL", corr, s_floor_next ((floor_target_t *) arg),
                        "update_params");
}

static int
s_send_task (bench_floor_client_t *client, uint64_t corr, void *arg)
{
    return s_send_json (client, "SUBMIT", corr, NULL, BENCH_TASK);
}

static int
s_send_blob (bench_floor_client_t *client, uint64_t corr, void *arg)
{
    floor_target_t *target = (floor_target_t *) arg;
    return bench_floor_client_send (client, "CALL", corr, s_floor_next (target), "blob",
                                    target->values,
                                    (size_t) target->nbr_values * sizeof (double));
}

//  ==========================================================================
//  tell: batches of tells, each followed by one call (which returns only
//  after every tell before it ran: calls and tells from one caller run in
//  order). Counts the tells; the time includes the calls.

static void
s_zaf_tells (zaf_t *z, target_t *target, bool warmup, const bench_opts_t *opts,
             bench_side_t *side)
{
    bench_plan_t plan;
    bench_plan_start (&plan, opts);
    bool warm = warmup;
    long done = 0;
    while (!side->failed && (warm || bench_plan_more (&plan, done))) {
        long batch = warm ? 1000 : TELL_BATCH;
        if (!warm && plan.max_ops > 0 && plan.max_ops - done < batch)
            batch = plan.max_ops - done;
        if (!warm && done == 0)
            bench_side_begin (side);
        for (long index = 0; index < batch && !side->failed; index++)
            if (zaf_tell (z, target->actors [0], "update_params", s_grad_args ()))
                bench_side_fail (side, "tell could not be sent");
        if (side->failed || bench_zaf_once (z, s_issue_update, target, &plan, side))
            break;
        if (warm) {
            warm = false;
            bench_plan_start (&plan, opts);
        }
        else
            done += batch;
    }
    if (done > 0) {
        bench_side_end (side);
        side->ops += done;
    }
}

static void
s_floor_tells (bench_floor_client_t *client, floor_target_t *target, bool warmup,
               const bench_opts_t *opts, bench_side_t *side)
{
    bench_plan_t plan;
    bench_plan_start (&plan, opts);
    bool warm = warmup;
    long done = 0;
    while (!side->failed && (warm || bench_plan_more (&plan, done))) {
        long batch = warm ? 1000 : TELL_BATCH;
        if (!warm && plan.max_ops > 0 && plan.max_ops - done < batch)
            batch = plan.max_ops - done;
        if (!warm && done == 0)
            bench_side_begin (side);
        for (long index = 0; index < batch && !side->failed; index++)
            if (s_send_json (client, "TELL", 0, target->actors [0], "update_params"))
                bench_side_fail (side, "send failed");
        bench_floor_answer_t answer;
        if (side->failed || s_send_update (client, ++side->corr, target)
        ||  bench_floor_wait (client, side->corr, &plan, side, &answer))
            break;
        if (warm) {
            warm = false;
            bench_plan_start (&plan, opts);
        }
        else
            done += batch;
    }
    if (done > 0) {
        bench_side_end (side);
        side->ops += done;
    }
}

//  ==========================================================================
//  spawn: batches of SPAWN_BATCH actors created one at a time (each timed),
//  then killed without waiting (not timed: KILL without corr, which is
//  what destroying an owning handle sends), so that any duration runs in
//  bounded memory. A slice ends when it has timed its share.

static void
s_zaf_spawns (zaf_t *z, bool warmup, const bench_opts_t *opts, bench_side_t *side)
{
    zaf_actor_t *actors [SPAWN_BATCH] = { NULL };
    bench_plan_t plan;
    bench_plan_start (&plan, opts);
    int64_t budget = (int64_t) opts->duration_ms * 1000000, timed = 0;
    long done = 0;
    bool warm = warmup;
    while (!side->failed && !zsys_interrupted
       &&  (warm || (plan.max_ops > 0 ? done < plan.max_ops : timed < budget))) {
        long batch = warm ? 20 : SPAWN_BATCH;
        if (!warm && plan.max_ops > 0 && plan.max_ops - done < batch)
            batch = plan.max_ops - done;
        long spawned = 0;
        for (; spawned < batch && !side->failed; spawned++) {
            if (bench_now_ns () > plan.deadline) {
                bench_side_fail (side, "no spawn before the deadline");
                break;
            }
            int64_t start = bench_now_ns ();
            actors [spawned] = s_zaf_spawn (z, BENCH_SERVER_CLASS, NULL, side);
            if (!actors [spawned])
                break;
            int64_t end = bench_now_ns ();
            if (!warm) {
                timed += end - start;
                bench_lat_add (side->lat, bench_usecs (start, end));
                done++;
            }
        }
        //  Destroying an owning handle kills its actor without waiting
        for (long index = 0; index < spawned; index++)
            zaf_actor_destroy (&actors [index]);
        warm = false;
    }
    side->ops += done;
    side->timed += timed;
}

static void
s_floor_spawns (bench_floor_client_t *client, bool warmup, const bench_opts_t *opts,
                bench_side_t *side)
{
    static const char reason [] = "{\"reason\":\"killed\"}";
    char actors [SPAWN_BATCH][BENCH_ACTOR_ID_MAX + 1];
    bench_plan_t plan;
    bench_plan_start (&plan, opts);
    int64_t budget = (int64_t) opts->duration_ms * 1000000, timed = 0;
    long done = 0;
    bool warm = warmup;
    while (!side->failed && !zsys_interrupted
       &&  (warm || (plan.max_ops > 0 ? done < plan.max_ops : timed < budget))) {
        long batch = warm ? 20 : SPAWN_BATCH;
        if (!warm && plan.max_ops > 0 && plan.max_ops - done < batch)
            batch = plan.max_ops - done;
        long spawned = 0;
        for (; spawned < batch && !side->failed; spawned++) {
            bench_floor_answer_t answer;
            int64_t start = bench_now_ns ();
            if (bench_floor_client_send (client, "SPAWN", ++side->corr, "",
                                         BENCH_SERVER_CLASS, "[]", 2)
            ||  bench_floor_wait (client, side->corr, &plan, side, &answer))
                break;
            int64_t end = bench_now_ns ();
            snprintf (actors [spawned], BENCH_ACTOR_ID_MAX + 1, "%s", answer.actor);
            if (!warm) {
                timed += end - start;
                bench_lat_add (side->lat, bench_usecs (start, end));
                done++;
            }
        }
        //  KILL without corr: no answer, as zaf_actor_destroy sends it
        for (long index = 0; index < spawned && !side->failed; index++)
            if (bench_floor_client_send (client, "KILL", 0, actors [index], NULL,
                                         reason, sizeof (reason) - 1))
                bench_side_fail (side, "send failed");
        warm = false;
    }
    side->ops += done;
    side->timed += timed;
}

//  ==========================================================================
//  One caller, one node: sync, async, tell, task_sync, task_async, spawn,
//  blob_1mb. The actor (none for tasks and spawn) is spawned once.

static bool
s_has_actor (const char *name)
{
    return !streq (name, "task_sync") && !streq (name, "task_async") && !streq (name, "spawn");
}

static void
s_floor_slice (const char *name, bench_floor_client_t *client, floor_target_t *target,
               bool warmup, const bench_opts_t *opts, bench_side_t *side)
{
    if (streq (name, "sync"))
        bench_floor_sync (client, s_send_update, target, warmup ? 100 : 0, opts, side);
    else
    if (streq (name, "async"))
        bench_floor_async (client, s_send_update, target, ASYNC_WINDOW, warmup, opts, side);
    else
    if (streq (name, "tell"))
        s_floor_tells (client, target, warmup, opts, side);
    else
    if (streq (name, "task_sync"))
        bench_floor_sync (client, s_send_task, target, warmup ? 100 : 0, opts, side);
    else
    if (streq (name, "task_async"))
        bench_floor_async (client, s_send_task, target, ASYNC_WINDOW, warmup, opts, side);
    else
    if (streq (name, "spawn"))
        s_floor_spawns (client, warmup, opts, side);
    else
    if (streq (name, "blob_1mb"))
        bench_floor_sync (client, s_send_blob, target, warmup ? 2 : 0, opts, side);
}

static void
s_zaf_slice (const char *name, zaf_t *z, target_t *target, bool warmup,
             const bench_opts_t *opts, bench_side_t *side)
{
    if (streq (name, "sync"))
        bench_zaf_sync (z, s_issue_update, target, warmup ? 100 : 0, opts, side);
    else
    if (streq (name, "async"))
        bench_zaf_async (z, s_issue_update, target, ASYNC_WINDOW, warmup, opts, side);
    else
    if (streq (name, "tell"))
        s_zaf_tells (z, target, warmup, opts, side);
    else
    if (streq (name, "task_sync"))
        bench_zaf_sync (z, s_issue_task, target, warmup ? 100 : 0, opts, side);
    else
    if (streq (name, "task_async"))
        bench_zaf_async (z, s_issue_task, target, ASYNC_WINDOW, warmup, opts, side);
    else
    if (streq (name, "spawn"))
        s_zaf_spawns (z, warmup, opts, side);
    else
    if (streq (name, "blob_1mb"))
        bench_zaf_sync (z, s_issue_blob, target, warmup ? 2 : 0, opts, side);
}

static void
s_run_single (const char *name, bool tcp, const bench_opts_t *opts, bench_side_t *floor,
              bench_side_t *zaf, bench_result_t *result)
{
    char error [BENCH_ERROR_MAX] = "";
    double *values = streq (name, "blob_1mb") ? s_blob_values () : NULL;

    //  The floor: a relay, a server with one actor (or none), a client
    floor_target_t floor_target = { .nbr_actors = 1, .values = values,
                                    .nbr_values = values ? BLOB_DOUBLES : 0 };
    s_floor_actor (0, floor_target.actors [0], sizeof (floor_target.actors [0]));
    const char *lists [1] = { s_has_actor (name) ? floor_target.actors [0] : "" };
    bench_floor_rig_t *floor_rig = bench_floor_rig_new (opts, tcp, 1, lists, error,
                                                        sizeof (error));
    bench_floor_client_t *client = NULL;
    if (!floor_rig)
        bench_side_fail (floor, "%s", error);
    else {
        client = bench_floor_client_new (bench_floor_rig_ctx (floor_rig),
                                         bench_floor_rig_endpoint (floor_rig));
        if (!client)
            bench_side_fail (floor, "cannot connect a floor client");
    }
    //  zaf: a broker, a node with one actor (or none), a driver
    bench_zaf_rig_t *zaf_rig = bench_zaf_rig_new (opts, tcp, 1, error, sizeof (error));
    zaf_t *z = zaf_rig ? bench_zaf_rig_driver (zaf_rig) : NULL;
    zaf_actor_t *actor = NULL;
    if (!zaf_rig)
        bench_side_fail (zaf, "%s", error);
    else
    if (s_has_actor (name))
        actor = s_zaf_spawn (z, BENCH_SERVER_CLASS, NULL, zaf);
    target_t target = { &actor, 1, 0, values, values ? BLOB_DOUBLES : 0 };

    int slices = s_slices (opts);
    bench_opts_t slice_opts = s_slice_opts (opts, slices);
    for (int slice = 0; slice < slices && !zsys_interrupted; slice++) {
        if (!floor->failed)
            s_floor_slice (name, client, &floor_target, slice == 0, &slice_opts, floor);
        if (!zaf->failed)
            s_zaf_slice (name, z, &target, slice == 0, &slice_opts, zaf);
    }
    bench_floor_client_destroy (&client);
    bench_floor_rig_destroy (&floor_rig);
    if (zaf_rig)
        result->rss_kb = s_zaf_rss (zaf_rig, 1);
    zaf_actor_destroy (&actor);
    bench_zaf_rig_destroy (&zaf_rig);
    free (values);
}

//  ==========================================================================
//  nn_async: 4 caller threads, each with its own connection and a window
//  of ASYNC_WINDOW / 4, calling 4 actors in turn; the actors sit on two
//  nodes (tcp) or on the embedded cluster's one node.

typedef struct {
    const bench_opts_t *opts;               //  This slice's
    bool warmup;
    zaf_t *z;                               //  zaf: this caller's connection
    zaf_actor_t *actors [NN_ACTORS];        //  zaf: borrowed handles
    bench_floor_client_t *client;           //  floor: this caller's client
    floor_target_t floor_target;
    bench_side_t side;                      //  All slices
} caller_t;

static void *
s_zaf_caller (void *args)
{
    caller_t *caller = (caller_t *) args;
    target_t target = { caller->actors, NN_ACTORS, 0, NULL, 0 };
    bench_zaf_async (caller->z, s_issue_update, &target, ASYNC_WINDOW / NN_CALLERS,
                     caller->warmup, caller->opts, &caller->side);
    return NULL;
}

static void *
s_floor_caller (void *args)
{
    caller_t *caller = (caller_t *) args;
    bench_floor_async (caller->client, s_send_update, &caller->floor_target,
                       ASYNC_WINDOW / NN_CALLERS, caller->warmup, caller->opts, &caller->side);
    return NULL;
}

//  Run one slice on the callers' threads; its time is from the first
//  caller's start to the last one's end
static void
s_callers_slice (caller_t *callers, void *(*body) (void *), const bench_opts_t *opts,
                 bool warmup, bench_side_t *side)
{
    pthread_t threads [NN_CALLERS];
    bool started [NN_CALLERS];
    for (int index = 0; index < NN_CALLERS; index++) {
        callers [index].opts = opts;
        callers [index].warmup = warmup;
        started [index] = pthread_create (&threads [index], NULL, body, &callers [index]) == 0;
    }
    int64_t t0 = INT64_MAX, t1 = 0;
    for (int index = 0; index < NN_CALLERS; index++) {
        bench_side_t *one = &callers [index].side;
        if (started [index])
            pthread_join (threads [index], NULL);
        else
            bench_side_fail (one, "cannot start a caller thread");
        if (one->failed)
            bench_side_fail (side, "caller %d: %s", index, one->error);
        if (one->t0 < t0)
            t0 = one->t0;
        if (one->t1 > t1)
            t1 = one->t1;
    }
    if (t1 > t0)
        side->timed += t1 - t0;
}

//  Add the callers' counts and samples into side
static void
s_callers_total (caller_t *callers, bench_side_t *side)
{
    for (int index = 0; index < NN_CALLERS; index++) {
        side->ops += callers [index].side.ops;
        bench_lat_merge (side->lat, callers [index].side.lat);
    }
}

static void
s_run_nn (bool tcp, const bench_opts_t *opts, bench_side_t *floor, bench_side_t *zaf,
          bench_result_t *result)
{
    int nodes = tcp ? 2 : 1;
    char error [BENCH_ERROR_MAX] = "";
    caller_t floor_callers [NN_CALLERS], zaf_callers [NN_CALLERS];
    memset (floor_callers, 0, sizeof (floor_callers));
    memset (zaf_callers, 0, sizeof (zaf_callers));

    //  The floor: 4 actors on `nodes` servers, 4 clients
    char ids [NN_ACTORS][BENCH_ACTOR_ID_MAX + 1];
    char lists [BENCH_MAX_NODES][256];
    memset (lists, 0, sizeof (lists));
    for (int index = 0; index < NN_ACTORS; index++) {
        s_floor_actor (index, ids [index], sizeof (ids [index]));
        char *list = lists [index * nodes / NN_ACTORS];
        if (*list)
            strcat (list, ",");
        strcat (list, ids [index]);
    }
    const char *list_ptrs [BENCH_MAX_NODES] = { lists [0], lists [1], lists [2], lists [3] };
    bench_floor_rig_t *floor_rig = bench_floor_rig_new (opts, tcp, nodes, list_ptrs,
                                                        error, sizeof (error));
    if (!floor_rig)
        bench_side_fail (floor, "%s", error);
    for (int index = 0; index < NN_CALLERS; index++) {
        caller_t *caller = &floor_callers [index];
        bench_side_init (&caller->side);
        if (floor_rig) {
            caller->client = bench_floor_client_new (bench_floor_rig_ctx (floor_rig),
                                                     bench_floor_rig_endpoint (floor_rig));
            if (!caller->client)
                bench_side_fail (floor, "cannot connect floor client %d", index);
        }
        caller->floor_target.nbr_actors = NN_ACTORS;
        caller->floor_target.next = index % NN_ACTORS;
        for (int actor = 0; actor < NN_ACTORS; actor++)
            memcpy (caller->floor_target.actors [actor], ids [actor], sizeof (ids [actor]));
    }
    //  zaf: 4 actors on `nodes` nodes, 4 more connections
    bench_zaf_rig_t *zaf_rig = bench_zaf_rig_new (opts, tcp, nodes, error, sizeof (error));
    zaf_actor_t *actors [NN_ACTORS] = { NULL };
    if (!zaf_rig)
        bench_side_fail (zaf, "%s", error);
    for (int index = 0; zaf_rig && index < NN_ACTORS && !zaf->failed; index++)
        actors [index] = s_zaf_spawn (bench_zaf_rig_driver (zaf_rig), BENCH_SERVER_CLASS,
                                      bench_zaf_rig_node_name (zaf_rig, index * nodes / NN_ACTORS),
                                      zaf);
    for (int index = 0; index < NN_CALLERS; index++) {
        caller_t *caller = &zaf_callers [index];
        bench_side_init (&caller->side);
        if (zaf_rig && !zaf->failed) {
            //  Made here, in one thread, and handed over to the caller's
            caller->z = bench_zaf_rig_connect (zaf_rig);
            if (!caller->z)
                bench_side_fail (zaf, "cannot open caller connection %d", index);
        }
        for (int actor = 0; actor < NN_ACTORS; actor++)
            caller->actors [actor] = zaf_actor_dup (actors [(actor + index) % NN_ACTORS]);
    }

    int slices = s_slices (opts);
    bench_opts_t slice_opts = s_slice_opts (opts, slices);
    for (int slice = 0; slice < slices && !zsys_interrupted; slice++) {
        if (!floor->failed)
            s_callers_slice (floor_callers, s_floor_caller, &slice_opts, slice == 0, floor);
        if (!zaf->failed)
            s_callers_slice (zaf_callers, s_zaf_caller, &slice_opts, slice == 0, zaf);
    }
    s_callers_total (floor_callers, floor);
    s_callers_total (zaf_callers, zaf);

    for (int index = 0; index < NN_CALLERS; index++) {
        bench_floor_client_destroy (&floor_callers [index].client);
        bench_side_destroy (&floor_callers [index].side);
    }
    bench_floor_rig_destroy (&floor_rig);
    if (zaf_rig)
        result->rss_kb = s_zaf_rss (zaf_rig, nodes);
    for (int index = 0; index < NN_CALLERS; index++) {
        for (int actor = 0; actor < NN_ACTORS; actor++)
            zaf_actor_destroy (&zaf_callers [index].actors [actor]);
        zaf_shutdown (&zaf_callers [index].z);
        bench_side_destroy (&zaf_callers [index].side);
    }
    for (int index = 0; index < NN_ACTORS; index++)
        zaf_actor_destroy (&actors [index]);
    bench_zaf_rig_destroy (&zaf_rig);
}

//  ==========================================================================
//  actors_10k: create opts->actors Idle actors on one node, one at a time;
//  RSS and open files of the node before and after; then rounds of one
//  call to every actor, all in flight at once, for the planned duration
//  (at least one round). zaf only: the floor has no actors to compare.

static void
s_run_many (bool tcp, const bench_opts_t *opts, bench_side_t *side, bench_result_t *result)
{
    char error [BENCH_ERROR_MAX] = "";
    bench_zaf_rig_t *rig = bench_zaf_rig_new (opts, tcp, 1, error, sizeof (error));
    if (!rig) {
        bench_side_fail (side, "%s", error);
        return;
    }
    zaf_t *z = bench_zaf_rig_driver (rig);
    pid_t node = bench_zaf_rig_node_pid (rig, 0);
    int count = opts->actors;
    zaf_actor_t **actors = (zaf_actor_t **) calloc ((size_t) count, sizeof (zaf_actor_t *));
    zaf_future_t **futures = (zaf_future_t **) calloc ((size_t) count, sizeof (zaf_future_t *));
    int64_t *sent = (int64_t *) calloc ((size_t) count, sizeof (int64_t));
    assert (actors && futures && sent);
    //  One actor first, so that the baseline includes what the first one
    //  brings in (thread pools, code pages)
    zaf_actor_t *first = s_zaf_spawn (z, BENCH_IDLE_CLASS, NULL, side);
    long rss_before = bench_proc_rss_kb (node);
    long fds_before = bench_proc_fds (node);
    int64_t start = bench_now_ns ();
    int spawned = 0;
    while (spawned < count && !side->failed && !zsys_interrupted) {
        actors [spawned] = s_zaf_spawn (z, BENCH_IDLE_CLASS, NULL, side);
        if (!actors [spawned])
            break;
        spawned++;
        if (spawned % 2000 == 0)
            s_progress (opts, "%d actors", spawned);
    }
    result->create_s = (double) (bench_now_ns () - start) / 1e9;
    result->actors = spawned;
    if (spawned < count && !side->failed)
        bench_side_fail (side, "interrupted after %d actors", spawned);
    if (!side->failed) {
        result->rss_idle_kb = (double) (bench_proc_rss_kb (node) - rss_before) / count;
        result->fds_per_actor = (double) (bench_proc_fds (node) - fds_before) / count;
        //  Rounds of one call to each, all in flight
        bench_plan_t plan;
        bench_plan_start (&plan, opts);
        target_t target = { actors, count, 0, NULL, 0 };
        bench_side_begin (side);
        bool first_round = true;
        while (!side->failed && (first_round || bench_plan_more (&plan, side->ops))) {
            for (int index = 0; index < count; index++) {
                futures [index] = s_issue_ping (z, &target);
                sent [index] = bench_now_ns ();
            }
            for (int index = 0; index < count && !side->failed; index++) {
                zaf_error_t err;
                cJSON *answer = zaf_get (z, &futures [index], bench_plan_left_ms (&plan), &err);
                if (!answer) {
                    bench_side_fail_zaf (side, "call", &err);
                    break;
                }
                cJSON_Delete (answer);
                bench_lat_add (side->lat, bench_usecs (sent [index], bench_now_ns ()));
                side->ops++;
            }
            first_round = false;
        }
        bench_side_end (side);
        result->rss_kb = (double) (bench_proc_rss_kb (node) - rss_before) / count;
    }
    for (int index = 0; index < count; index++)
        zaf_future_destroy (&futures [index]);
    for (int index = 0; index < count; index++)
        zaf_actor_destroy (&actors [index]);
    zaf_actor_destroy (&first);
    free (actors);
    free (futures);
    free (sent);
    s_progress (opts, "stopping %d actors", spawned);
    bench_zaf_rig_destroy (&rig);
}

//  ==========================================================================
//  Public

const char *
bench_scenario_name (int index)
{
    return index >= 0 && index < BENCH_SCENARIO_COUNT ? s_names [index] : NULL;
}

bool
bench_scenario_known (const char *name)
{
    for (int index = 0; index < BENCH_SCENARIO_COUNT; index++)
        if (streq (name, s_names [index]))
            return true;
    return false;
}

bool
bench_scenario_has_floor (const char *name)
{
    return !streq (name, "actors_10k");
}

void
bench_scenario_run (const char *name, bool tcp, const bench_opts_t *opts, bench_result_t *result)
{
    assert (name && opts && result);
    int64_t start = bench_now_ns ();
    bench_result_init (result, name, tcp ? "tcp" : "embedded");
    if (!bench_scenario_known (name)) {
        bench_result_fail (result, "no such scenario");
        return;
    }
    bench_side_t floor, zaf;
    bench_side_init (&floor);
    bench_side_init (&zaf);
    if (streq (name, "nn_async"))
        s_run_nn (tcp, opts, &floor, &zaf, result);
    else
    if (streq (name, "actors_10k"))
        s_run_many (tcp, opts, &zaf, result);
    else
    if (streq (name, "reader"))
        bench_reader_run (tcp, opts, &floor, &zaf, result);
    else
        s_run_single (name, tcp, opts, &floor, &zaf, result);
    if (bench_scenario_has_floor (name))
        bench_side_report (&floor, false, result);
    bench_side_report (&zaf, true, result);
    if (streq (name, "tell")) {
        //  Tells have no round trip of their own
        result->p50_us = result->p99_us = -1;
        result->floor_p50_us = result->floor_p99_us = -1;
    }
    s_progress (opts, "%s %s: zaf %.0f/s (%ld in %.2f s, max %.0f us)", name, result->mode,
                result->zaf_per_s, zaf.ops, bench_side_seconds (&zaf),
                bench_lat_percentile (zaf.lat, 100));
    if (bench_scenario_has_floor (name))
        s_progress (opts, "%s %s: floor %.0f/s (%ld in %.2f s, p50 %.1f us, p99 %.1f us, "
                    "max %.0f us)", name, result->mode, result->floor_per_s, floor.ops,
                    bench_side_seconds (&floor), result->floor_p50_us, result->floor_p99_us,
                    bench_lat_percentile (floor.lat, 100));
    bench_side_destroy (&floor);
    bench_side_destroy (&zaf);
    result->seconds = (double) (bench_now_ns () - start) / 1e9;
}
