/*  =========================================================================
    tree_of_actors - the tree of actors driver

    Spawns a Supervisor, which spawns and owns three Workers; asks it for
    their handles, starts their training, and prints their states until
    all are DONE. Then asks the supervisor to terminate its workers, checks
    through the handles it was given that the workers are gone (calls end
    with ACTOR_DIED), and kills the supervisor. Exits 0 only if every step
    checked out. With --address it joins a running cluster; without, it
    starts an embedded one (a broker and a node in this process).
    =========================================================================
*/

#include "tree_of_actors.h"
#include "sample.h"
#include <czmq.h>

#define CALL_TIMEOUT_MS 35000   //  Supervisor methods wait up to 10 s per worker

static void
s_usage (FILE *stream)
{
    fprintf (stream,
        "Usage: tree_of_actors [OPTIONS]\n"
        "Run a supervisor that owns three training workers (a tree of actors).\n"
        "\n"
        "  --address ENDPOINT   join the cluster whose broker is there\n"
        "                       (default: $ZAF_ADDRESS if set, else start an\n"
        "                       embedded cluster)\n"
        SAMPLE_KEY_HELP
        "  --duration-ms N      training time of the slowest worker (default 3000;\n"
        "                       lr takes a third of it, cl two thirds)\n"
        "  --poll-ms N          pause between state polls (default 500)\n"
        "  --help               print this help and exit\n"
        "\n"
        "Exits 0 when every worker trained to DONE and was gone after terminate.\n");
}

//  Call a method and wait for its answer (caller owns it), or NULL and err
static cJSON *
s_call (zaf_t *z, zaf_actor_t *actor, const char *method, zaf_error_t *err)
{
    zaf_future_t *future = zaf_call (z, actor, method, NULL);
    cJSON *result = zaf_get (z, &future, CALL_TIMEOUT_MS, err);
    zaf_future_destroy (&future);
    return result;
}

static void
s_report (const char *what, const zaf_error_t *err)
{
    if (!zsys_interrupted)
        fprintf (stderr, "tree_of_actors: %s failed: %s %s\n", what,
                 zaf_code_name (err->code), err->message);
}

//  Print a list of strings as Python does: ['RUNNING', 'DONE']
static void
s_print_strings (const char *label, const cJSON *list)
{
    printf ("%s: [", label);
    const cJSON *item;
    bool first = true;
    cJSON_ArrayForEach (item, list) {
        printf ("%s'%s'", first ? "" : ", ", cJSON_IsString (item) ? item->valuestring : "?");
        first = false;
    }
    printf ("]\n");
    fflush (stdout);
}

//  Where the seed says "Look at the Ray Dashboard": the tree is on ours
static void
s_print_dashboard (zaf_t *z)
{
    cJSON *info = zaf_cluster_info (z);
    const char *url = info ? cJSON_GetStringValue (cJSON_GetObjectItem (info, "dashboard")) : NULL;
    if (url)
        printf ("Dashboard: look at %s to watch the Supervisor and its Workers live\n", url);
    fflush (stdout);
    cJSON_Delete (info);
}

//  Print how many actors each node hosts (the tree spreads over nodes)
static void
s_print_placement (zaf_t *z)
{
    cJSON *info = zaf_cluster_info (z);
    if (!info)
        return;
    printf ("Actors per node:");
    const cJSON *node;
    cJSON_ArrayForEach (node, cJSON_GetObjectItem (info, "nodes"))
        printf (" %s=%d", cJSON_GetStringValue (cJSON_GetObjectItem (node, "name")),
                (int) cJSON_GetNumberValue (cJSON_GetObjectItem (node, "actors")));
    printf ("\n");
    fflush (stdout);
    cJSON_Delete (info);
}

int
main (int argc, char **argv)
{
    const char *address = NULL;
    long duration_ms = 3000, poll_ms = 500;
    for (int index = 1; index < argc; index++) {
        const char *arg = argv [index];
        const char *value = index + 1 < argc ? argv [index + 1] : NULL;
        if (streq (arg, "--help") || streq (arg, "-h")) {
            s_usage (stdout);
            return 0;
        }
        else
        if (streq (arg, "--address") && value)
            address = argv [++index];
        else
        if (sample_key_flag ("tree_of_actors", arg, value))
            index++;
        else
        if (streq (arg, "--duration-ms"))
            duration_ms = sample_flag_number ("tree_of_actors", arg, value, 0, 1000000), index++;
        else
        if (streq (arg, "--poll-ms"))
            poll_ms = sample_flag_number ("tree_of_actors", arg, value, 1, 60000), index++;
        else {
            fprintf (stderr, "tree_of_actors: unknown or incomplete option '%s'\n", arg);
            s_usage (stderr);
            return 2;
        }
    }
    zaf_t *z = sample_join ("tree_of_actors", address, tree_of_actors_register);
    if (!z)
        return 1;
    int rc = 1;
    zaf_error_t err;
    cJSON *handles = NULL;
    zaf_actor_t *workers [3] = { NULL, NULL, NULL };
    char kinds [3][33] = { "?", "?", "?" };

    //  The supervisor spawns its workers in its constructor
    zaf_actor_t *supervisor = zaf_spawn (z, "Supervisor", zaf_json ("[%ld]", duration_ms),
                                         NULL, &err);
    if (!supervisor) {
        s_report ("spawning the Supervisor", &err);
        goto done;
    }
    handles = s_call (z, supervisor, "workers", &err);
    if (!handles) {
        s_report ("workers ()", &err);
        goto done;
    }
    if (cJSON_GetArraySize (handles) != 3) {
        fprintf (stderr, "tree_of_actors: workers () gave %d handles, not 3\n",
                 cJSON_GetArraySize (handles));
        goto done;
    }
    //  The handles are borrowed: we may call the workers, not kill them
    for (int index = 0; index < 3; index++) {
        workers [index] = zaf_actor_from_json (cJSON_GetArrayItem (handles, index));
        if (!workers [index]) {
            fprintf (stderr, "tree_of_actors: workers () item %d is not a handle\n", index);
            goto done;
        }
        cJSON *kind = s_call (z, workers [index], "kind", &err);
        if (!cJSON_IsString (kind)) {
            cJSON_Delete (kind);
            s_report ("kind ()", &err);
            goto done;
        }
        snprintf (kinds [index], sizeof (kinds [index]), "%s", kind->valuestring);
        cJSON_Delete (kind);
    }
    printf ("Supervisor spawned 3 workers: %s, %s, %s\n", kinds [0], kinds [1], kinds [2]);
    s_print_dashboard (z);
    s_print_placement (z);

    cJSON *result = s_call (z, supervisor, "work", &err);
    if (!result) {
        s_report ("work ()", &err);
        goto done;
    }
    cJSON_Delete (result);

    //  Poll until every worker is DONE; states only move IDLE -> RUNNING -> DONE
    int64_t give_up = zclock_mono () + duration_ms + 30000;
    bool was_done [3] = { false, false, false };
    bool states_ok = true;
    while (true) {
        cJSON *states = s_call (z, supervisor, "state", &err);
        if (!states) {
            s_report ("state ()", &err);
            goto done;
        }
        s_print_strings ("States", states);
        int done_count = 0;
        for (int index = 0; index < 3; index++) {
            const char *state = cJSON_GetStringValue (cJSON_GetArrayItem (states, index));
            bool is_done = state && streq (state, "DONE");
            bool is_running = state && streq (state, "RUNNING");
            if ((!is_done && !is_running) || (was_done [index] && !is_done)) {
                fprintf (stderr, "tree_of_actors: worker %s is %s after %s\n", kinds [index],
                         state ? state : "(missing)", was_done [index] ? "DONE" : "work ()");
                states_ok = false;
            }
            was_done [index] = is_done;
            done_count += is_done;
        }
        cJSON_Delete (states);
        if (done_count == 3 || !states_ok)
            break;
        if (zclock_mono () >= give_up) {
            fprintf (stderr, "tree_of_actors: gave up: workers not DONE after %ld ms\n",
                     duration_ms + 30000);
            goto done;
        }
        zclock_sleep ((int) poll_ms);
        if (zsys_interrupted)
            goto done;
    }
    if (!states_ok)
        goto done;

    //  Terminate the children, then check through our borrowed handles
    result = s_call (z, supervisor, "terminate", &err);
    if (!result) {
        s_report ("terminate ()", &err);
        goto done;
    }
    int killed = (int) cJSON_GetNumberValue (result);
    cJSON_Delete (result);
    printf ("Terminated %d workers\n", killed);
    cJSON *states = s_call (z, supervisor, "state", &err);
    if (!states) {
        s_report ("state ()", &err);
        goto done;
    }
    s_print_strings ("States after terminate", states);
    cJSON_Delete (states);
    bool all_died = killed == 3;
    for (int index = 0; index < 3; index++) {
        cJSON *state = s_call (z, workers [index], "state", &err);
        bool died = !state && err.code == ZAF_ACTOR_DIED;
        printf ("Worker %s after terminate: %s%s\n", kinds [index],
                state ? "still answers" : zaf_code_name (err.code),
                died ? " (as expected)" : " (expected ACTOR_DIED)");
        cJSON_Delete (state);
        all_died &= died;
    }
    if (zsys_interrupted)
        goto done;

    //  Last, the root of the tree
    if (zaf_kill (z, supervisor, &err)) {
        s_report ("killing the Supervisor", &err);
        goto done;
    }
    printf ("Supervisor killed; the tree of actors %s\n",
            all_died ? "checked out" : "did NOT check out");
    rc = all_died ? 0 : 1;
done:
    if (zsys_interrupted) {
        fprintf (stderr, "tree_of_actors: interrupted\n");
        rc = 130;
    }
    for (int index = 0; index < 3; index++)
        zaf_actor_destroy (&workers [index]);
    cJSON_Delete (handles);
    zaf_actor_destroy (&supervisor);
    zaf_shutdown (&z);
    return rc;
}
