/*  =========================================================================
    zaf-bench - zaf against the raw ZeroMQ floor, scenario by scenario

    One program in four roles:
      (default)            the orchestrator: runs each scenario x mode as a
                           child process (`--role run`), each in its own
                           process group under a deadline, and prints the
                           table or the --json lines;
      --role run           runs one scenario in one mode (bench_scenarios)
                           and prints its result as one JSON line;
      --role floor-broker  the floor's relay, for tcp mode;
      --role floor-server  the floor's server, for tcp mode.
    A scenario that hangs or crashes costs only its child: the orchestrator
    kills that process group (by id) and goes on. zaf-broker and zaf-node
    are found next to this program, libzaf_bench.so in ../lib (or where
    --bin-dir and --lib-dir say).

    Flags go through zaf_flags like every program's. The one header of
    lib/ that is not public, zaf_json.h, comes in through bench_classes.h,
    which says why: the floor must do the same JSON work per call as zaf.
    =========================================================================
*/

#include "bench_classes.h"
#include "zaf_flags.h"
#include "zaf_program.h"
#include <libgen.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#define FULL_DURATION_MS    3000
#define QUICK_DURATION_MS   200
#define DEFAULT_ACTORS      10000
#define QUICK_ACTORS        5000    //  So that --quick stays well under 30 s
#define RUN_GRACE_S         60      //  Setup and teardown allowance per run
#define MANY_GRACE_S        120     //  More for actors_10k
#define MODES               4       //  embedded, tcp, tcp-curve, tcp+dash

//  --help: what zaf-bench measures (before the options) and how to read
//  its output (after them)
static const char s_about [] =
"Measure zaf and the raw ZeroMQ floor of the same topology, scenario by\n"
"scenario, and print zaf's rate as a ratio of the floor's.\n";

static const char s_epilog [] =
"Scenarios (after Ray's microbenchmark):\n"
"  sync         1:1 calls, one at a time: update_params with 10 numbers\n"
"  async        1:1 calls, 1,000 in flight\n"
"  tell         batches of 5,000 tells, each followed by one call (rate: tells)\n"
"  nn_async     4 callers x 4 actors (tcp: on 2 nodes), 1,000 calls in flight\n"
"  task_sync    zaf_submit of bench_task, one at a time (node: 2 workers)\n"
"  task_async   zaf_submit, 1,000 in flight\n"
"  spawn        actors created one at a time, in batches of 250, each batch\n"
"               then killed without waiting (killing is not timed)\n"
"  blob_1mb     calls carrying 1 MiB of doubles (131,072) as a binary\n"
"               attachment ({\"$blob\": 0}); the floor as one binary frame\n"
"  actors_10k   zaf only: N Idle actors on one node; creation time, RSS and\n"
"               open files per actor, calls/s to all of them (all in flight)\n"
"  reader       messages/s into an actor's own SUB socket (zaf_reader): a PUB\n"
"               here sends batches of 100,000 64-byte messages over TCP\n"
"\n"
"Modes: embedded = zaf_init (NULL), everything in one process; the floor's\n"
"relay and server are threads over inproc. tcp = zaf-broker and zaf-node\n"
"processes on 127.0.0.1, the driver here; the floor's relay and server are\n"
"`zaf-bench --role floor-broker|floor-server` processes. tcp+dash = tcp\n"
"with the broker's dashboard on and a client polling its JSON API every\n"
"100 ms (summary, a page of actors, history: what the page reads); the\n"
"other modes run with the dashboard off.\n"
"\n"
"The floor: the same processes, sockets (client DEALER -> relay ROUTER <-\n"
"server DEALER) and ZAF1 frames as zaf, with no framework: the relay routes\n"
"on the actor and caller frames; the server parses the JSON args, applies\n"
"them and prints `null`; the client prints its args and parses the answer,\n"
"with the JSON codec zaf itself uses, as a zaf driver and node do. Per\n"
"scenario:\n"
"  sync, async  CALL update_params round trips through the relay\n"
"  tell         TELL frames, then one CALL round trip\n"
"  nn_async     4 client threads x 4 actors on 2 server processes (embedded: 1)\n"
"  task_*       SUBMIT bench_task round trips\n"
"  spawn        SPAWN round trip in which the server starts a thread (256 KB\n"
"               stack) with its own DEALER to the server's inproc ROUTER and\n"
"               answers SPAWNED once that thread said READY: the least a\n"
"               thread-per-actor runtime must do; KILL (no answer) joins it\n"
"  blob_1mb     CALL round trip carrying a 1 MiB binary frame, summed by the server\n"
"  actors_10k   no floor (floor/s and ratio show '-')\n"
"  reader       the same PUB and batches into a bare czmq SUB thread of\n"
"               zaf-bench that polls and reads until empty (p50/p99: us per\n"
"               message, averaged per batch)\n"
"\n"
"Columns: zaf/s and floor/s are operations per second; ratio = zaf/floor.\n"
"p50/p99 are zaf's latencies in microseconds: sync, task_sync, blob_1mb,\n"
"spawn: each round trip; async, task_async, nn_async, actors_10k: from\n"
"issuing a call to collecting its result in issue order (includes the\n"
"queueing behind the window); tell: none. rss KB: the RSS of the process(es)\n"
"hosting the actors after zaf's run (embedded: zaf-bench itself; tcp: the\n"
"zaf-node processes); actors_10k: RSS growth per actor after the calls.\n"
"--json keys: scenario, mode, zaf_per_s, floor_per_s, ratio, p50_us, p99_us,\n"
"floor_p50_us, floor_p99_us (the floor's latencies, measured as zaf's),\n"
"rss_kb, status (ok or failed) and error; actors_10k adds actors, create_s,\n"
"rss_idle_kb and fds_per_actor. null means not measured.\n"
"\n"
"Both clusters of a scenario run side by side, and the floor and zaf take\n"
"turns in slices of about a second (a 3 s side is 3 slices; a short side\n"
"is 2), so that both see the same load from the rest of the machine; each\n"
"warms up first.\n"
"\n"
"Each scenario x mode runs in its own child process under a deadline; one\n"
"that fails or times out is printed as FAILED and the run goes on. Exits 0\n"
"if every row was measured, 1 if any failed, 2 on bad options.\n";

//  ==========================================================================
//  Helper roles

static int
s_role_floor_broker (const char *bind)
{
    void *ctx = zmq_ctx_new ();
    bench_floor_broker_t *broker = bench_floor_broker_new (ctx, bind);
    if (!broker) {
        zmq_ctx_term (ctx);
        return 1;
    }
    printf ("listening %s\n", bench_floor_broker_endpoint (broker));
    fflush (stdout);
    bench_floor_broker_run (broker);
    bench_floor_broker_destroy (&broker);
    zmq_ctx_term (ctx);
    return 0;
}

static int
s_role_floor_server (const char *broker, const char *actor_ids)
{
    void *ctx = zmq_ctx_new ();
    zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, 20000);
    bench_floor_server_t *server = bench_floor_server_new (ctx, broker, actor_ids);
    if (!server) {
        zmq_ctx_term (ctx);
        return 1;
    }
    bench_floor_server_run (server);
    zmq_ctx_shutdown (ctx);             //  Ends the threads it spawned
    bench_floor_server_destroy (&server);
    zmq_ctx_term (ctx);
    return 0;
}

static int
s_role_run (const char *scenario, const char *mode, const bench_opts_t *opts)
{
    if (!scenario || !mode || !bench_scenario_known (scenario)
    ||  !(streq (mode, "tcp") || streq (mode, "embedded") || streq (mode, "tcp-curve")
          || streq (mode, "tcp+dash"))) {
        fprintf (stderr, "zaf-bench: --role run needs --scenario NAME and --mode"
                 " embedded|tcp|tcp-curve|tcp+dash\n");
        return 2;
    }
    //  Every actor costs a socket and a file: allow as many as we may open
    //  (czmq's context exists already, as zsys_set_logident made it, but
    //  it has no socket yet, so the limit still takes)
    zaf_program_raise_files ();
    //  The embedded clusters' nodes get as many workers as the tcp ones.
    //  Set here, before any thread runs: setenv is not thread-safe
    char cpus [16];
    snprintf (cpus, sizeof (cpus), "%d", BENCH_NODE_CPUS);
    setenv ("ZAF_CPUS", cpus, 1);
    //  The embedded clusters serve our own classes
    if (bench_actors_register ()) {
        fprintf (stderr, "zaf-bench: cannot register the bench classes\n");
        return 1;
    }
    //  The broker's dashboard: off, except in tcp+dash, where it serves and
    //  a client polls its API every 100 ms (bench_rig)
    bench_opts_t run_opts = *opts;
    run_opts.dashboard = streq (mode, "tcp+dash");
    setenv ("ZAF_DASHBOARD", "off", 1);
    bench_result_t result;
    run_opts.curve = streq (mode, "tcp-curve");
    bench_scenario_run (scenario, strneq (mode, "embedded"), &run_opts, &result);
    snprintf (result.mode, sizeof (result.mode), "%s", mode);
    char *line = bench_result_json (&result, true);
    printf ("%s\n", line);
    fflush (stdout);
    cJSON_free (line);
    return result.ok ? 0 : 1;
}

//  ==========================================================================
//  Orchestrator

typedef struct {
    bool json;
    bool verbose;
    bool quick;
    int duration_ms;
    long calls;
    int actors;
    const char *self_path;
    const char *bin_dir;
    const char *lib_dir;
} plan_opts_t;

//  Run one scenario x mode in a child; fill result (failed if the child
//  did not deliver)
static void
s_run_child (const plan_opts_t *plan, const char *scenario, const char *mode, int timeout_s,
             bench_result_t *result)
{
    char duration [32], calls [32], actors [32];
    snprintf (duration, sizeof (duration), "%d", plan->duration_ms);
    snprintf (calls, sizeof (calls), "%ld", plan->calls);
    snprintf (actors, sizeof (actors), "%d", plan->actors);
    char *argv [32];
    int argc = 0;
    argv [argc++] = (char *) plan->self_path;
    argv [argc++] = "--role";
    argv [argc++] = "run";
    argv [argc++] = "--scenario";
    argv [argc++] = (char *) scenario;
    argv [argc++] = "--mode";
    argv [argc++] = (char *) mode;
    argv [argc++] = "--duration-ms";
    argv [argc++] = duration;
    if (plan->calls > 0) {
        argv [argc++] = "--calls";
        argv [argc++] = calls;
    }
    argv [argc++] = "--actors";
    argv [argc++] = actors;
    argv [argc++] = "--bin-dir";
    argv [argc++] = (char *) plan->bin_dir;
    argv [argc++] = "--lib-dir";
    argv [argc++] = (char *) plan->lib_dir;
    if (plan->verbose)
        argv [argc++] = "--verbose";
    argv [argc] = NULL;

    bench_result_init (result, scenario, mode);
    int64_t start = zclock_mono ();
    //  The child's stderr is ours (its errors and --verbose progress)
    bench_proc_t *child = bench_proc_start (argv, true, true);
    if (!child) {
        bench_result_fail (result, "cannot start a child process");
        return;
    }
    char line [4096];
    bool got = false;
    while (!got && !zsys_interrupted) {
        int64_t remaining = start + (int64_t) timeout_s * 1000 - zclock_mono ();
        if (remaining <= 0 || bench_proc_read_line (child, line, sizeof (line), (int) remaining) < 0)
            break;
        got = bench_result_from_json (result, line) == 0;
    }
    int status = 0;
    if (got && bench_proc_wait (child, 15000, &status) == 0) {
        //  Done; also make sure nothing is left in its group
        bench_proc_stop (child, 0);
    }
    else {
        bool timed_out = !zsys_interrupted && zclock_mono () - start >= (int64_t) timeout_s * 1000;
        bool exited = bench_proc_wait (child, 0, &status) == 0;
        bench_proc_stop (child, 10000);
        if (!got) {
            if (zsys_interrupted)
                bench_result_fail (result, "interrupted");
            else
            if (timed_out)
                bench_result_fail (result, "timed out after %d s", timeout_s);
            else
            if (exited && WIFSIGNALED (status))
                bench_result_fail (result, "child died of signal %d", WTERMSIG (status));
            else
                bench_result_fail (result, "child exited with status %d without a result",
                                   exited && WIFEXITED (status) ? WEXITSTATUS (status) : -1);
        }
    }
    bench_proc_destroy (&child);
    if (result->seconds < 0)
        result->seconds = (double) (zclock_mono () - start) / 1000.0;
}

//  The 1-minute load average, or -1
static double
s_load (void)
{
    double load = -1;
    FILE *loadavg = fopen ("/proc/loadavg", "r");
    if (loadavg) {
        if (fscanf (loadavg, "%lf", &load) != 1)
            load = -1;
        fclose (loadavg);
    }
    return load;
}

static void
s_print_footer (FILE *stream, const plan_opts_t *plan, double total_s, double load_before)
{
    char when [64];
    time_t now = time (NULL);
    strftime (when, sizeof (when), "%Y-%m-%d %H:%M:%S UTC", gmtime (&now));
    char host [256] = "";
    gethostname (host, sizeof (host) - 1);
    char cpu [128] = "";
    FILE *info = fopen ("/proc/cpuinfo", "r");
    if (info) {
        char text [512];
        while (fgets (text, sizeof (text), info))
            if (strncmp (text, "model name", 10) == 0) {
                const char *colon = strchr (text, ':');
                snprintf (cpu, sizeof (cpu), "%s", colon ? colon + 2 : "");
                cpu [strcspn (cpu, "\n")] = 0;
                break;
            }
        fclose (info);
    }
    //  The machine may be shared: say how busy it was before we started
    //  (the others' load) and at the end (ours included: actors_10k's
    //  thousands of threads lift it for a minute)
    double load = s_load ();
    char amount [64];
    if (plan->calls > 0)
        snprintf (amount, sizeof (amount), "%ld operations per side", plan->calls);
    else
        snprintf (amount, sizeof (amount), "%d ms per side", plan->duration_ms);
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    fprintf (stream, "# %s  host %s  %ld CPUs (%s)  load %.2f before, %.2f after  zaf %d.%d.%d"
             "  libzmq %d.%d.%d  czmq %d.%d.%d  %s, %s  total %.1f s\n",
             when, host, sysconf (_SC_NPROCESSORS_ONLN), *cpu ? cpu : "unknown CPU",
             load_before, load,
             ZAF_VERSION_MAJOR, ZAF_VERSION_MINOR, ZAF_VERSION_PATCH,
             major, minor, patch, CZMQ_VERSION_MAJOR, CZMQ_VERSION_MINOR, CZMQ_VERSION_PATCH,
             plan->quick ? "quick" : "full", amount, total_s);
}

//  Is this scenario x mode run? actors_10k is not run with CURVE: its links
//  are those of the other tcp rows, and it is the longest row by far
static bool
s_wanted (const bool scenarios [BENCH_SCENARIO_COUNT], const bool modes [MODES], int index, int mode)
{
    return scenarios [index] && modes [mode]
        && !(mode == 2 && streq (bench_scenario_name (index), "actors_10k"));
}

static int
s_orchestrate (const plan_opts_t *plan, bool modes [MODES], bool scenarios [BENCH_SCENARIO_COUNT])
{
    static const char *mode_names [MODES] = { "embedded", "tcp", "tcp-curve", "tcp+dash" };
    int total = 0;
    for (int index = 0; index < BENCH_SCENARIO_COUNT; index++)
        for (int mode = 0; mode < MODES; mode++)
            total += s_wanted (scenarios, modes, index, mode);
    bench_result_t *results = (bench_result_t *) calloc ((size_t) total, sizeof (bench_result_t));
    assert (results);
    double load_before = s_load ();
    int64_t start = zclock_mono ();
    if (!plan->json) {
        bench_result_print_header (stdout);
        fflush (stdout);
    }
    int done = 0, failed = 0;
    for (int index = 0; index < BENCH_SCENARIO_COUNT && !zsys_interrupted; index++)
        for (int step = 0; step < MODES && !zsys_interrupted; step++) {
            //  With tcp and tcp+dash, every other scenario runs tcp+dash
            //  first, so that a load that drifts during the run does not
            //  always fall on the same side
            int mode = step;
            if (modes [3] && index % 2 && (step == 1 || step == 3))
                mode = 4 - step;
            if (!s_wanted (scenarios, modes, index, mode))
                continue;
            const char *scenario = bench_scenario_name (index);
            fprintf (stderr, "zaf-bench: [%d/%d] %s %s\n", done + 1, total, scenario,
                     mode_names [mode]);
            int64_t run_start = zclock_mono ();
            //  Both sides, their warm-ups and setup, with room to spare
            int timeout_s = RUN_GRACE_S + 4 * plan->duration_ms / 1000;
            if (plan->calls > 0)
                timeout_s += 240;
            if (streq (scenario, "actors_10k"))
                timeout_s += MANY_GRACE_S;
            bench_result_t *result = &results [done++];
            s_run_child (plan, scenario, mode_names [mode], timeout_s, result);
            if (!result->ok)
                failed++;
            if (plan->verbose)
                fprintf (stderr, "zaf-bench: [%d/%d] %s %s took %.1f s\n", done, total, scenario,
                         mode_names [mode], (double) (zclock_mono () - run_start) / 1000.0);
            if (plan->json) {
                char *line = bench_result_json (result, false);
                printf ("%s\n", line);
                cJSON_free (line);
            }
            else
                bench_result_print_row (result, stdout);
            fflush (stdout);
        }
    double total_s = (double) (zclock_mono () - start) / 1000.0;
    if (zsys_interrupted) {
        fprintf (stderr, "zaf-bench: interrupted; %d of %d rows measured\n", done, total);
        failed++;
    }
    if (!plan->json) {
        for (int index = 0; index < done; index++)
            bench_result_print_notes (&results [index], stdout);
        s_print_footer (stdout, plan, total_s, load_before);
    }
    else
        s_print_footer (stderr, plan, total_s, load_before);
    free (results);
    return failed ? 1 : 0;
}

//  Select scenarios from a comma list; returns -1 on an unknown name
static int
s_select (const char *list, bool scenarios [BENCH_SCENARIO_COUNT])
{
    char *copy = strdup (list);
    char *saved = NULL;
    int rc = 0;
    for (char *name = strtok_r (copy, ",", &saved); name; name = strtok_r (NULL, ",", &saved)) {
        bool found = false;
        for (int index = 0; index < BENCH_SCENARIO_COUNT; index++)
            if (streq (name, bench_scenario_name (index))) {
                scenarios [index] = true;
                found = true;
            }
        if (!found) {
            fprintf (stderr, "zaf-bench: no scenario '%s'; see --help\n", name);
            rc = -1;
        }
    }
    free (copy);
    return rc;
}

//  ==========================================================================
//  Flags and main

//  What the command line asked for
typedef struct {
    plan_opts_t plan;               //  The run (calls and dirs set below)
    int calls;                      //  --calls, or 0
    const char *bin_dir;            //  --bin-dir, or NULL
    const char *lib_dir;            //  --lib-dir, or NULL
    const char *role;               //  --role, or NULL: orchestrate
    const char *mode;               //  --mode
    zaf_flags_list_t scenarios;     //  --scenario, each a name or a comma list
    const char *bind;               //  --bind (floor-broker)
    const char *connect;            //  --connect (floor-server)
    const char *actor_ids;          //  --actor-ids (floor-server; may be empty)
} options_t;

//  Fill flags (16 entries) with zaf-bench's options over `options`
static void
s_flags (options_t *options, zaf_flag_t *flags)
{
    plan_opts_t *plan = &options->plan;
    const zaf_flag_t table [] = {
        { "quick", 0, ZAF_FLAG_BOOL, &plan->quick, NULL,
          "short runs (" ZAF_PROGRAM_TEXT (QUICK_DURATION_MS)
          " ms per side; the whole run < 30 s)" },
        { "json", 0, ZAF_FLAG_BOOL, &plan->json, NULL,
          "print one JSON line per row instead of the table" },
        { "mode", 0, ZAF_FLAG_STRING, &options->mode, "MODE",
          "embedded; tcp (rows with and without CURVE);\n"
          "plain-tcp or tcp-curve (one of them); both\n"
          "(all three; default); dashboard: tcp and\n"
          "tcp+dash, one after the other" },
        { "scenario", 0, ZAF_FLAG_LIST, &options->scenarios, "NAME",
          "run only these (repeatable, or a comma list)" },
        { "duration-ms", 0, ZAF_FLAG_INT, &plan->duration_ms, "N",
          "measure each side for N ms (default " ZAF_PROGRAM_TEXT (FULL_DURATION_MS) ")",
          .min = 1, .max = 600000 },
        { "calls", 0, ZAF_FLAG_INT, &options->calls, "N",
          "measure each side for N operations instead (nn_async:\n"
          "N per caller; actors_10k: whole rounds of N actors)", .min = 1, .max = 100000000 },
        { "actors", 0, ZAF_FLAG_INT, &plan->actors, "N",
          "actors for actors_10k (default " ZAF_PROGRAM_TEXT (DEFAULT_ACTORS) "; --quick: "
          ZAF_PROGRAM_TEXT (QUICK_ACTORS) ")", .min = 1, .max = 100000 },
        { "bin-dir", 0, ZAF_FLAG_STRING, &options->bin_dir, "DIR",
          "where zaf-broker and zaf-node are (default: here)" },
        { "lib-dir", 0, ZAF_FLAG_STRING, &options->lib_dir, "DIR",
          "where libzaf_bench.so is (default: ../lib from here)" },
        { "verbose", 0, ZAF_FLAG_BOOL, &plan->verbose, NULL,
          "progress details and the children's logs on stderr" },
        { "role", 0, ZAF_FLAG_STRING, &options->role, "ROLE",
          "internal: run, floor-broker or floor-server (a child\n"
          "of the orchestrator; see the top of bench/main.c)" },
        { "bind", 0, ZAF_FLAG_STRING, &options->bind, "ENDPOINT",
          "internal: where the floor-broker listens" },
        { "connect", 0, ZAF_FLAG_STRING, &options->connect, "ENDPOINT",
          "internal: the relay a floor-server joins" },
        { "actor-ids", 0, ZAF_FLAG_STRING, &options->actor_ids, "IDS",
          "internal: the actors a floor-server hosts", .empty_ok = true },
        { NULL }
    };
    memcpy (flags, table, sizeof (table));
}

//  Find this program, zaf-broker and zaf-node (bin_dir), and
//  libzaf_bench.so (lib_dir), into the caller's PATH_MAX + 8 buffers
static int
s_locate (const options_t *options, char *self_path, char *bin_dir, char *lib_dir)
{
    ssize_t size = readlink ("/proc/self/exe", self_path, PATH_MAX - 1);
    if (size <= 0) {
        fprintf (stderr, "zaf-bench: cannot find my own executable: %s\n", strerror (errno));
        return -1;
    }
    self_path [size] = 0;
    char here [PATH_MAX];
    snprintf (here, sizeof (here), "%s", self_path);
    snprintf (bin_dir, PATH_MAX, "%s", options->bin_dir ? options->bin_dir : dirname (here));
    if (options->lib_dir)
        snprintf (lib_dir, PATH_MAX + 8, "%s", options->lib_dir);
    else {
        char guess [PATH_MAX + 8];
        snprintf (guess, sizeof (guess), "%s/../lib", bin_dir);
        if (!realpath (guess, lib_dir))
            snprintf (lib_dir, PATH_MAX + 8, "%s", guess);
    }
    return 0;
}

//  Orchestrate the scenarios and modes asked for
static int
s_main_orchestrate (const options_t *options)
{
    bool modes [MODES] = { false, false, false, false };
    const char *mode = options->mode;
    if (streq (mode, "both"))
        modes [0] = modes [1] = modes [2] = true;
    else
    if (streq (mode, "embedded"))
        modes [0] = true;
    else
    if (streq (mode, "tcp"))
        modes [1] = modes [2] = true;
    else
    if (streq (mode, "plain-tcp"))
        modes [1] = true;
    else
    if (streq (mode, "tcp-curve"))
        modes [2] = true;
    else
    if (streq (mode, "dashboard"))
        modes [1] = modes [3] = true;
    else {
        fprintf (stderr, "zaf-bench: --mode must be embedded, tcp, plain-tcp, tcp-curve, both"
                 " or dashboard, not '%s'\n", mode);
        return 2;
    }
    bool scenarios [BENCH_SCENARIO_COUNT] = { false };
    for (size_t index = 0; index < options->scenarios.size; index++)
        if (s_select (options->scenarios.items [index], scenarios))
            return 2;
    if (options->scenarios.size == 0)
        for (int index = 0; index < BENCH_SCENARIO_COUNT; index++)
            scenarios [index] = true;
    //  Our children must not outlive a write to a closed pipe of ours
    signal (SIGPIPE, SIG_IGN);
    return s_orchestrate (&options->plan, modes, scenarios);
}

//  Play the role asked for
static int
s_main (options_t *options)
{
    zsys_catch_interrupts ();
    zsys_set_logident ("zaf-bench");
    zsys_set_logstream (stderr);
    plan_opts_t *plan = &options->plan;
    if (plan->duration_ms == 0)
        plan->duration_ms = plan->quick ? QUICK_DURATION_MS : FULL_DURATION_MS;
    if (plan->actors == 0)
        plan->actors = plan->quick ? QUICK_ACTORS : DEFAULT_ACTORS;
    plan->calls = options->calls;
    const char *role = options->role;
    if (role && streq (role, "floor-broker"))
        return s_role_floor_broker (options->bind ? options->bind : "tcp://127.0.0.1:0");
    if (role && streq (role, "floor-server")) {
        if (!options->connect) {
            fprintf (stderr, "zaf-bench: --role floor-server needs --connect ENDPOINT\n");
            return 2;
        }
        return s_role_floor_server (options->connect, options->actor_ids);
    }
    if (role && !streq (role, "run")) {
        fprintf (stderr, "zaf-bench: unknown role '%s'\n", role);
        return 2;
    }
    char self_path [PATH_MAX], bin_dir [PATH_MAX], lib_dir [PATH_MAX + 8];
    if (s_locate (options, self_path, bin_dir, lib_dir))
        return 1;
    plan->self_path = self_path;
    plan->bin_dir = bin_dir;
    plan->lib_dir = lib_dir;
    if (role) {
        bench_opts_t opts = {
            plan->quick, plan->verbose, plan->duration_ms, plan->calls, plan->actors,
            plan->self_path, plan->bin_dir, plan->lib_dir
        };
        size_t count = options->scenarios.size;
        return s_role_run (count ? options->scenarios.items [count - 1] : NULL,
                           options->mode, &opts);
    }
    return s_main_orchestrate (options);
}

int
main (int argc, char **argv)
{
    options_t options = { .mode = "both", .actor_ids = "" };
    zaf_flag_t flags [16];
    s_flags (&options, flags);
    const zaf_flags_spec_t spec = {
        .program = "zaf-bench", .usage = "zaf-bench [OPTIONS]",
        .about = s_about, .epilog = s_epilog, .version = ZAF_PROGRAM_VERSION, .flags = flags
    };
    int rc;
    if (zaf_flags_parse (&spec, argc, argv, &rc) == 0)
        rc = s_main (&options);
    zaf_flags_release (&spec);
    return rc;
}
