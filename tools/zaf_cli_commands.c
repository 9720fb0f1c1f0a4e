/*  =========================================================================
    zaf_cli_commands - the zaf tool's commands: status, list, call, kill, stop

    Each command gets a connection to the broker as a "cli" peer and the
    parsed options, asks (STATUS, STOP, or a call, lookup or kill through
    zaf.h), prints what it got as a table or as JSON (--json), and returns
    the program's exit code. Runs in main's thread.
    =========================================================================
*/

#include "zaf_cli.h"

//  Ask for STATUS; print why not and return NULL on failure
static cJSON *
s_status (zaf_t *z, const zaf_cli_options_t *options, bool actors, int *rc)
{
    cJSON *request = cJSON_CreateObject ();
    if (actors) {
        cJSON_AddBoolToObject (request, "actors", true);
        cJSON_AddNumberToObject (request, "limit", options->limit);
        if (options->offset)
            cJSON_AddNumberToObject (request, "offset", options->offset);
    }
    zaf_error_t err;
    cJSON *status = zaf_client_status (z, request, options->timeout_ms, &err);
    if (!status)
        *rc = zaf_cli_fail ("the broker did not answer STATUS", &err, true);
    return status;
}

//  How many nodes or clients there are: the total beside a cut list
static double
s_total (const cJSON *status, const char *what)
{
    char key [32];
    snprintf (key, sizeof (key), "%s_total", what);
    const cJSON *total = cJSON_GetObjectItem (status, key);
    return cJSON_IsNumber (total) ? total->valuedouble
                                  : cJSON_GetArraySize (cJSON_GetObjectItem (status, what));
}

//  A node's resources as "cpu 1/2 gpu 0/1 zone=a" (free/total, then labels)
static const char *
s_resources (const cJSON *node, char *buffer, size_t size)
{
    const cJSON *resources = cJSON_GetObjectItem (node, "resources");
    const cJSON *free_ = cJSON_GetObjectItem (resources, "free");
    const cJSON *item;
    size_t used = 0;
    *buffer = 0;
    cJSON_ArrayForEach (item, cJSON_GetObjectItem (resources, "total")) {
        if (used >= size)
            break;
        used += snprintf (buffer + used, size - used, "%s%s %g/%g", used ? " " : "", item->string,
                          cJSON_GetNumberValue (cJSON_GetObjectItem (free_, item->string)),
                          cJSON_GetNumberValue (item));
    }
    cJSON_ArrayForEach (item, cJSON_GetObjectItem (resources, "labels")) {
        if (used >= size)
            break;
        used += snprintf (buffer + used, size - used, "%s%s=%s", used ? " " : "", item->string,
                          cJSON_GetStringValue (item) ? cJSON_GetStringValue (item) : "");
    }
    return *buffer ? buffer : "-";
}

//  The table of nodes, for status and list nodes
static void
s_print_nodes (const cJSON *status)
{
    zaf_cli_table_t *table = zaf_cli_table_new (9, "NODE", "HOST", "PID", "CPUS", "ACTORS",
                                                "TASKS", "UPTIME", "RESOURCES FREE/TOTAL",
                                                "CLASSES");
    const cJSON *node;
    cJSON_ArrayForEach (node, cJSON_GetObjectItem (status, "nodes")) {
        char pid [32], cpus [32], actors [32], tasks [32], uptime [32], classes [512];
        char resources [512];
        double uptime_s = cJSON_GetNumberValue (cJSON_GetObjectItem (node, "uptime_s"));
        zaf_cli_table_add (table, zaf_cli_string (node, "name"), zaf_cli_string (node, "host"),
                           zaf_cli_number (node, "pid", pid, sizeof (pid)),
                           zaf_cli_number (node, "cpus", cpus, sizeof (cpus)),
                           zaf_cli_number (node, "actors", actors, sizeof (actors)),
                           zaf_cli_number (node, "tasks", tasks, sizeof (tasks)),
                           zaf_cli_duration (uptime_s, uptime, sizeof (uptime)),
                           s_resources (node, resources, sizeof (resources)),
                           zaf_cli_joined (cJSON_GetObjectItem (node, "classes"), classes,
                                           sizeof (classes)));
    }
    zaf_cli_table_print (&table);
}

//  --------------------------------------------------------------------------
//  zaf status

int
zaf_cli_status (zaf_t *z, const zaf_cli_options_t *options)
{
    int rc = 0;
    cJSON *status = s_status (z, options, false, &rc);
    if (!status)
        return rc;
    if (options->json)
        zaf_cli_print_json (status);
    else {
        char uptime [32], endpoints [1024], session [200];
        const cJSON *counters = cJSON_GetObjectItem (status, "counters");
        printf ("broker    %s\n", zaf_escape (zaf_cli_string (status, "endpoints"),
                                              endpoints, sizeof (endpoints)));
        printf ("session   %s\n", zaf_escape (zaf_cli_string (status, "session"),
                                              session, sizeof (session)));
        printf ("uptime    %s\n", zaf_cli_duration (cJSON_GetNumberValue (cJSON_GetObjectItem (status, "uptime_s")),
                                              uptime, sizeof (uptime)));
        printf ("nodes     %.0f\n", s_total (status, "nodes"));
        printf ("clients   %.0f\n", s_total (status, "clients"));
        printf ("actors    %.0f\n", cJSON_GetNumberValue (cJSON_GetObjectItem (status, "actors_total")));
        printf ("in flight %.0f\n", cJSON_GetNumberValue (cJSON_GetObjectItem (status, "flights")));
        printf ("calls     %.0f (errors sent %.0f, malformed %.0f)\n",
                cJSON_GetNumberValue (cJSON_GetObjectItem (counters, "calls")),
                cJSON_GetNumberValue (cJSON_GetObjectItem (counters, "errors_sent")),
                cJSON_GetNumberValue (cJSON_GetObjectItem (counters, "malformed")));
        printf ("\n");
        s_print_nodes (status);
    }
    cJSON_Delete (status);
    return 0;
}

//  The classes or functions of every node, as {name: [nodes]}
static cJSON *
s_served (const cJSON *status, const char *key)
{
    cJSON *served = cJSON_CreateObject ();
    const cJSON *node;
    cJSON_ArrayForEach (node, cJSON_GetObjectItem (status, "nodes")) {
        const cJSON *name;
        cJSON_ArrayForEach (name, cJSON_GetObjectItem (node, key)) {
            const char *text = cJSON_GetStringValue (name);
            if (!text)
                continue;
            cJSON *nodes = cJSON_GetObjectItemCaseSensitive (served, text);
            if (!nodes)
                nodes = cJSON_AddArrayToObject (served, text);
            cJSON_AddItemToArray (nodes, cJSON_CreateString (zaf_cli_string (node, "name")));
        }
    }
    //  In name order
    zlistx_t *names = zlistx_new ();
    zlistx_set_comparator (names, (zlistx_comparator_fn *) strcmp);
    const cJSON *entry;
    cJSON_ArrayForEach (entry, served)
        zlistx_add_end (names, entry->string);
    zlistx_sort (names);
    cJSON *sorted = cJSON_CreateObject ();
    for (const char *name = (const char *) zlistx_first (names); name;
         name = (const char *) zlistx_next (names))
        cJSON_AddItemToObject (sorted, name, cJSON_DetachItemFromObjectCaseSensitive (served, name));
    zlistx_destroy (&names);
    cJSON_Delete (served);
    return sorted;
}

//  A latency in ms with two decimals, or "-"
static const char *
s_ms (const cJSON *object, const char *key, char *buffer, size_t size)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive (object, key);
    if (!cJSON_IsNumber (item))
        return "-";
    snprintf (buffer, size, "%.2f", item->valuedouble);
    return buffer;
}

//  The table of actors, and a note if --limit cut it
static void
s_print_actors (const cJSON *status)
{
    const cJSON *list = cJSON_GetObjectItem (status, "actors");
    zaf_cli_table_t *table = zaf_cli_table_new (12, "ACTOR", "CLASS", "NAME", "NODE", "STATE",
                                                "CAUSE", "MAILBOX", "CALLS", "FAILED", "P50_MS",
                                                "P99_MS", "PENDING");
    //  The live actors, then the dashboard's memory of the dead
    const char *lists [] = { "actors", "dead" };
    for (int index = 0; index < 2; index++) {
        const cJSON *actor;
        cJSON_ArrayForEach (actor, cJSON_GetObjectItem (status, lists [index])) {
            char pending [32], mailbox [32], calls [32], failed [32], p50 [32], p99 [32];
            const char *state = zaf_cli_string (actor, "state");
            if (!*state)        //  A broker without the dashboard's metrics
                state = cJSON_IsTrue (cJSON_GetObjectItem (actor, "ready")) ? "ALIVE" : "PENDING";
            zaf_cli_table_add (table, zaf_cli_string (actor, "id"), zaf_cli_string (actor, "class"),
                               zaf_cli_string (actor, "name"), zaf_cli_string (actor, "node"),
                               state, zaf_cli_string (actor, "cause"),
                               zaf_cli_number (actor, "mailbox", mailbox, sizeof (mailbox)),
                               zaf_cli_number (actor, "calls", calls, sizeof (calls)),
                               zaf_cli_number (actor, "failed", failed, sizeof (failed)),
                               s_ms (actor, "p50_ms", p50, sizeof (p50)),
                               s_ms (actor, "p99_ms", p99, sizeof (p99)),
                               zaf_cli_number (actor, "pending", pending, sizeof (pending)));
        }
    }
    zaf_cli_table_print (&table);
    double total = cJSON_GetNumberValue (cJSON_GetObjectItem (status, "actors_total"));
    double offset = cJSON_GetNumberValue (cJSON_GetObjectItem (status, "offset"));
    if (offset != offset)
        offset = 0;             //  An older broker: no pages
    if (total > cJSON_GetArraySize (list))
        printf ("(%d of %.0f actors shown from %.0f; --offset %.0f for the next page)\n",
                cJSON_GetArraySize (list), total, offset, offset + cJSON_GetArraySize (list));
}

//  The classes or functions (what), with the nodes that serve each
static void
s_print_served (const cJSON *status, const char *what, bool json)
{
    cJSON *served = s_served (status, what);
    if (json)
        zaf_cli_print_json (served);
    else {
        zaf_cli_table_t *table = zaf_cli_table_new (2, streq (what, "classes") ? "CLASS"
                                                                               : "FUNCTION",
                                                    "NODES");
        const cJSON *entry;
        cJSON_ArrayForEach (entry, served) {
            char nodes [512];
            zaf_cli_table_add (table, entry->string, zaf_cli_joined (entry, nodes, sizeof (nodes)));
        }
        zaf_cli_table_print (&table);
    }
    cJSON_Delete (served);
}

//  --------------------------------------------------------------------------
//  zaf list actors|nodes|classes|functions

int
zaf_cli_list (zaf_t *z, const zaf_cli_options_t *options)
{
    const char *what = options->argv [1];
    bool actors = streq (what, "actors");
    int rc = 0;
    cJSON *status = s_status (z, options, actors, &rc);
    if (!status)
        return rc;
    if (actors && options->json)
        zaf_cli_print_json (cJSON_GetObjectItem (status, "actors"));
    else
    if (actors)
        s_print_actors (status);
    else
    if (streq (what, "nodes") && options->json)
        zaf_cli_print_json (cJSON_GetObjectItem (status, "nodes"));
    else
    if (streq (what, "nodes"))
        s_print_nodes (status);
    else
        s_print_served (status, what, options->json);
    cJSON_Delete (status);
    return 0;
}

//  Find an actor by name, else take the text as an actor id. Returns a
//  borrowed handle.
static zaf_actor_t *
s_resolve (zaf_t *z, const char *actor, int *rc)
{
    zaf_error_t err;
    zaf_actor_t *handle = zaf_lookup (z, actor, &err);
    if (handle)
        return handle;
    if (err.code != ZAF_NO_SUCH_ACTOR && err.code != ZAF_BAD_ARGS) {
        *rc = zaf_cli_fail ("cannot look the actor up", &err, true);
        return NULL;
    }
    cJSON *json = cJSON_CreateObject ();
    cJSON_AddStringToObject (json, "$actor", actor);
    handle = zaf_actor_from_json (json);
    cJSON_Delete (json);
    if (!handle) {
        fprintf (stderr, "zaf: '%s' is neither an actor name nor an actor id\n", actor);
        *rc = ZAF_CLI_EXIT_USAGE;
    }
    return handle;
}

//  --------------------------------------------------------------------------
//  zaf call

int
zaf_cli_call (zaf_t *z, const zaf_cli_options_t *options)
{
    const char *text = options->argc > 3 ? options->argv [3] : "[]";
    cJSON *args = cJSON_Parse (text);
    if (!args) {
        fprintf (stderr, "zaf: the arguments are not valid JSON: %s\n", text);
        return ZAF_CLI_EXIT_USAGE;
    }
    if (!cJSON_IsArray (args)) {
        //  A single value is the one argument
        cJSON *array = cJSON_CreateArray ();
        cJSON_AddItemToArray (array, args);
        args = array;
    }
    int rc = 0;
    zaf_actor_t *actor = s_resolve (z, options->argv [1], &rc);
    if (!actor) {
        cJSON_Delete (args);
        return rc;
    }
    zaf_error_t err;
    zaf_future_t *future = zaf_call (z, actor, options->argv [2], args);
    cJSON *result = zaf_get (z, &future, options->timeout_ms, &err);
    zaf_future_destroy (&future);
    if (result) {
        if (options->json) {
            char *printed = cJSON_PrintUnformatted (result);
            printf ("%s\n", printed);
            cJSON_free (printed);
        }
        else
            zaf_cli_print_json (result);
        cJSON_Delete (result);
    }
    else {
        if (options->json) {
            cJSON *error = cJSON_CreateObject ();
            cJSON_AddStringToObject (error, "code", zaf_code_name (err.code));
            cJSON_AddStringToObject (error, "message", err.message);
            char *printed = cJSON_PrintUnformatted (error);
            printf ("%s\n", printed);
            cJSON_free (printed);
            cJSON_Delete (error);
        }
        char what [128];
        snprintf (what, sizeof (what), "%s.%s failed", options->argv [1], options->argv [2]);
        rc = zaf_cli_fail (what, &err, false);
    }
    zaf_actor_destroy (&actor);
    return rc;
}

//  --------------------------------------------------------------------------
//  zaf kill

int
zaf_cli_kill (zaf_t *z, const zaf_cli_options_t *options)
{
    int rc = 0;
    zaf_actor_t *actor = s_resolve (z, options->argv [1], &rc);
    if (!actor)
        return rc;
    zaf_error_t err;
    if (zaf_kill (z, actor, &err) == 0) {
        if (options->json)
            printf ("{\"killed\":\"%s\"}\n", zaf_actor_id (actor));
        else
            printf ("killed %s\n", zaf_actor_id (actor));
    }
    else
        rc = zaf_cli_fail ("kill failed", &err, false);
    zaf_actor_destroy (&actor);
    return rc;
}

//  --------------------------------------------------------------------------
//  zaf stop

int
zaf_cli_stop (zaf_t *z, const zaf_cli_options_t *options)
{
    zaf_error_t err;
    cJSON *result = zaf_client_stop (z, options->timeout_ms, &err);
    if (!result)
        return zaf_cli_fail ("the broker refused to stop", &err, true);
    //  The broker's goodbye is what we asked for: no "broker lost" warning
    zsys_set_logstream (NULL);
    if (options->json)
        zaf_cli_print_json (result);
    else
        printf ("stopping the cluster at %s: the broker and %.0f node(s) exit\n",
                options->address, cJSON_GetNumberValue (cJSON_GetObjectItem (result, "nodes")));
    cJSON_Delete (result);
    return 0;
}


//  --------------------------------------------------------------------------
//  zaf revoke KEY

int
zaf_cli_revoke (zaf_t *z, const zaf_cli_options_t *options)
{
    zaf_error_t err;
    cJSON *result = zaf_client_revoke (z, options->argv [1], options->timeout_ms, &err);
    if (!result)
        return zaf_cli_fail ("the broker refused to revoke the key", &err, true);
    if (options->json)
        zaf_cli_print_json (result);
    else
        printf ("revoked %s: %.0f session(s) cut\n", options->argv [1],
                cJSON_GetNumberValue (cJSON_GetObjectItem (result, "cut")));
    cJSON_Delete (result);
    return 0;
}


//  --------------------------------------------------------------------------
//  zaf drain NODE

int
zaf_cli_drain (zaf_t *z, const zaf_cli_options_t *options)
{
    zaf_error_t err;
    if (zaf_drain (z, options->argv [1], 0, &err))
        return zaf_cli_fail ("drain failed", &err, false);
    if (!options->json)
        printf ("draining node %s: it takes no new work and exits when its actors are gone\n",
                options->argv [1]);
    else
        printf ("{\"node\":\"%s\",\"draining\":true}\n", options->argv [1]);
    return 0;
}
