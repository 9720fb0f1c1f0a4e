/*  =========================================================================
    param_server - the parameter server driver

    Creates a ParameterServer, starts N worker tasks that each push
    gradients of ones to it, prints the parameters while they run, waits
    for them, and prints the final parameters: -(workers x updates) each.
    With --address it joins a running cluster; without, it starts an
    embedded one (a broker and a node in this process).
    =========================================================================
*/

#include "param_server.h"
#include "sample.h"
#include <czmq.h>

static void
s_usage (FILE *stream)
{
    fprintf (stream,
        "Usage: param_server [OPTIONS]\n"
        "Train a toy parameter server with remote gradient workers.\n"
        "\n"
        "  --address ENDPOINT   join the cluster whose broker is there\n"
        "                       (default: $ZAF_ADDRESS if set, else start an\n"
        "                       embedded cluster)\n"
        SAMPLE_KEY_HELP
        "  --workers N          worker tasks (default 3)\n"
        "  --updates N          gradients each worker pushes (default 20)\n"
        "  --interval-ms N      pause before each gradient (default 500)\n"
        "  --polls N            times to print the params while they run (default 10)\n"
        "  --help               print this help and exit\n"
        "\n"
        "Exits 0 when the final params are -(workers x updates) each.\n");
}

//  Print a vector as numpy does: [0. 0. -1.5]
static void
s_print_params (const char *label, const cJSON *params)
{
    printf ("%s: [", label);
    const cJSON *item;
    bool first = true;
    cJSON_ArrayForEach (item, params) {
        double value = item->valuedouble;
        if (value == (double) (long long) value)
            printf ("%s%lld.", first ? "" : " ", (long long) value);
        else
            printf ("%s%g", first ? "" : " ", value);
        first = false;
    }
    printf ("]\n");
    fflush (stdout);
}

static cJSON *
s_get_params (zaf_t *z, zaf_actor_t *ps, zaf_error_t *err)
{
    zaf_future_t *future = zaf_call (z, ps, "get_params", NULL);
    return zaf_get (z, &future, 10000, err);
}

//  Every number flag of this driver takes 0 to 1,000,000
static long
s_number (const char *name, const char *value)
{
    return sample_flag_number ("param_server", name, value, 0, 1000000);
}

int
main (int argc, char **argv)
{
    const char *address = NULL;
    long workers = 3, updates = 20, interval_ms = 500, polls = 10;
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
        if (sample_key_flag ("param_server", arg, value))
            index++;
        else
        if (streq (arg, "--workers"))
            workers = s_number (arg, value), index++;
        else
        if (streq (arg, "--updates"))
            updates = s_number (arg, value), index++;
        else
        if (streq (arg, "--interval-ms"))
            interval_ms = s_number (arg, value), index++;
        else
        if (streq (arg, "--polls"))
            polls = s_number (arg, value), index++;
        else {
            fprintf (stderr, "param_server: unknown or incomplete option '%s'\n", arg);
            s_usage (stderr);
            return 2;
        }
    }
    zaf_t *z = sample_join ("param_server", address, param_server_register);
    if (!z)
        return 1;
    int rc = 1;
    zaf_error_t err;
    zaf_future_t **futures = NULL;
    zaf_actor_t *ps = zaf_spawn (z, "ParameterServer", zaf_json ("[10]"), NULL, &err);
    if (!ps) {
        fprintf (stderr, "param_server: cannot create the ParameterServer: %s %s\n",
                 zaf_code_name (err.code), err.message);
        goto done;
    }
    cJSON *params = s_get_params (z, ps, &err);
    if (!params) {
        fprintf (stderr, "param_server: get_params failed: %s %s\n", zaf_code_name (err.code), err.message);
        goto done;
    }
    s_print_params ("Initial params", params);
    cJSON_Delete (params);

    //  Start the workers: each is handed the server's handle
    futures = (zaf_future_t **) calloc ((size_t) workers + 1, sizeof (zaf_future_t *));
    for (long index = 0; index < workers; index++) {
        cJSON *args = cJSON_CreateArray ();
        cJSON_AddItemToArray (args, zaf_actor_to_json (ps));
        cJSON_AddItemToArray (args, cJSON_CreateNumber ((double) updates));
        cJSON_AddItemToArray (args, cJSON_CreateNumber ((double) interval_ms));
        futures [index] = zaf_submit (z, "worker", args);
    }
    //  Watch the params move while they run
    long pause_ms = polls ? (updates * interval_ms) / polls : 0;
    for (long poll = 0; poll < polls && !zsys_interrupted; poll++) {
        zclock_sleep ((int) pause_ms);
        params = s_get_params (z, ps, &err);
        if (!params) {
            if (!zsys_interrupted)
                fprintf (stderr, "param_server: get_params failed: %s %s\n",
                         zaf_code_name (err.code), err.message);
            goto done;
        }
        s_print_params ("Updated params", params);
        cJSON_Delete (params);
    }
    //  Wait for every worker
    long pushed = 0;
    bool workers_ok = true;
    for (long index = 0; index < workers && !zsys_interrupted; index++) {
        cJSON *result = zaf_get (z, &futures [index], (int) (updates * interval_ms + 30000), &err);
        if (!result) {
            fprintf (stderr, "param_server: worker %ld failed: %s %s\n", index,
                     zaf_code_name (err.code), err.message);
            workers_ok = false;
            continue;
        }
        pushed += (long) result->valuedouble;
        cJSON_Delete (result);
    }
    if (zsys_interrupted)
        goto done;
    params = s_get_params (z, ps, &err);
    if (!params) {
        fprintf (stderr, "param_server: get_params failed: %s %s\n", zaf_code_name (err.code), err.message);
        goto done;
    }
    s_print_params ("Final params", params);
    double expected = -(double) (workers * updates);
    bool all_expected = true;
    const cJSON *item;
    cJSON_ArrayForEach (item, params)
        if (item->valuedouble != expected)
            all_expected = false;
    cJSON_Delete (params);
    printf ("%ld workers pushed %ld gradients; final params %s %g each\n", workers, pushed,
            all_expected ? "are" : "are NOT", expected);
    rc = workers_ok && all_expected ? 0 : 1;
done:
    if (zsys_interrupted) {
        fprintf (stderr, "param_server: interrupted\n");
        rc = 130;
    }
    if (futures)
        for (long index = 0; index < workers; index++)
            zaf_future_destroy (&futures [index]);
    free (futures);
    zaf_actor_destroy (&ps);
    zaf_shutdown (&z);
    return rc;
}
