/*  =========================================================================
    zaf - the command-line tool: look at a cluster and act on it

        zaf status                      the broker, its nodes, their load
        zaf list actors|nodes|classes|functions
        zaf call ACTOR METHOD [JSON]    call a method, print its result
        zaf kill ACTOR                  kill an actor
        zaf stop                        stop the broker and every node

    It connects to the broker as a "cli" peer (--address, else
    $ZAF_ADDRESS, else tcp://127.0.0.1:5555), asks, prints an aligned table
    (or JSON with --json), and exits. Exit codes: 0 done, 1 the request
    failed, 2 bad usage, 3 the broker could not be reached in time.
    =========================================================================
*/

#include "zaf_classes.h"

#define ZAF_CLI_DEFAULT_ADDRESS  "tcp://127.0.0.1:5555"
#define ZAF_CLI_TIMEOUT_MS       3000
#define ZAF_CLI_EXIT_FAILED      1
#define ZAF_CLI_EXIT_USAGE       2
#define ZAF_CLI_EXIT_UNREACHABLE 3

typedef struct {
    const char *address;        //  Broker endpoint
    int timeout_ms;             //  For connecting and for each request
    int limit;                  //  Actors to list at most
    bool json;                  //  Print JSON instead of tables
    int argc;                   //  Command words left after the options
    char **argv;
} options_t;

static void
s_usage (FILE *stream)
{
    fprintf (stream,
        "Usage: zaf [OPTIONS] COMMAND [ARGS]\n"
        "Look at a zaf cluster and act on it.\n"
        "\n"
        "Commands:\n"
        "  status                       broker, nodes (load, actors, uptime), clients\n"
        "  list actors|nodes|classes|functions\n"
        "                               one table of what the cluster holds\n"
        "  call ACTOR METHOD [JSON]     call a method (ACTOR: an id or a name; JSON:\n"
        "                               the argument array, default []); print the result\n"
        "  kill ACTOR                   kill an actor (an id or a name)\n"
        "  stop                         stop the cluster: the broker tells every node\n"
        "                               to exit, then exits\n"
        "\n"
        "Options (before or after the command):\n"
        "  --address ENDPOINT   the broker (default: $ZAF_ADDRESS, else %s)\n"
        "  --json               print JSON instead of tables\n"
        "  --timeout-ms N       give up on the broker after N ms (default %d)\n"
        "  --limit N            list at most N actors (default 1000)\n"
        "  --version            print the version and exit\n"
        "  --help               print this help and exit\n"
        "\n"
        "Exit codes: 0 done, 1 the request failed, 2 bad usage,\n"
        "3 the broker could not be reached in time.\n",
        ZAF_CLI_DEFAULT_ADDRESS, ZAF_CLI_TIMEOUT_MS);
}

//  --------------------------------------------------------------------------
//  Aligned tables: rows of strings, widths computed when printed

typedef struct {
    int columns;
    zlistx_t *rows;             //  Of char ** (columns strings each)
} table_t;

static table_t *
s_table_new (int columns, ...)
{
    table_t *self = (table_t *) zmalloc (sizeof (table_t));
    assert (self);
    self->columns = columns;
    self->rows = zlistx_new ();
    char **header = (char **) calloc ((size_t) columns, sizeof (char *));
    assert (header);
    va_list args;
    va_start (args, columns);
    for (int column = 0; column < columns; column++)
        header [column] = strdup (va_arg (args, const char *));
    va_end (args);
    zlistx_add_end (self->rows, header);
    return self;
}

//  Add a row: `columns` printf-free strings (NULL prints as "-")
static void
s_table_add (table_t *self, ...)
{
    char **row = (char **) calloc ((size_t) self->columns, sizeof (char *));
    assert (row);
    va_list args;
    va_start (args, self);
    for (int column = 0; column < self->columns; column++) {
        const char *value = va_arg (args, const char *);
        row [column] = strdup (value && *value ? value : "-");
    }
    va_end (args);
    zlistx_add_end (self->rows, row);
}

//  Print and destroy the table
static void
s_table_print (table_t **self_p)
{
    table_t *self = *self_p;
    size_t widths [16] = { 0 };
    assert (self->columns <= 16);
    for (char **row = (char **) zlistx_first (self->rows); row;
         row = (char **) zlistx_next (self->rows))
        for (int column = 0; column < self->columns; column++)
            if (strlen (row [column]) > widths [column])
                widths [column] = strlen (row [column]);
    for (char **row = (char **) zlistx_first (self->rows); row;
         row = (char **) zlistx_next (self->rows)) {
        for (int column = 0; column < self->columns; column++) {
            bool last = column == self->columns - 1;
            printf ("%-*s%s", last ? 0 : (int) widths [column], row [column], last ? "\n" : "  ");
            free (row [column]);
        }
        free (row);
    }
    zlistx_destroy (&self->rows);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Helpers

static void
s_print_json (const cJSON *json)
{
    char *text = cJSON_Print (json);
    printf ("%s\n", text ? text : "null");
    cJSON_free (text);
}

//  Format a number of seconds as 3d04h, 2h05m, 4m07s or 12.3s
static const char *
s_duration (double seconds, char *buffer, size_t size)
{
    long whole = (long) seconds;
    if (whole >= 86400)
        snprintf (buffer, size, "%ldd%02ldh", whole / 86400, (whole % 86400) / 3600);
    else
    if (whole >= 3600)
        snprintf (buffer, size, "%ldh%02ldm", whole / 3600, (whole % 3600) / 60);
    else
    if (whole >= 60)
        snprintf (buffer, size, "%ldm%02lds", whole / 60, whole % 60);
    else
        snprintf (buffer, size, "%.1fs", seconds);
    return buffer;
}

static const char *
s_number (const cJSON *object, const char *key, char *buffer, size_t size)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive (object, key);
    if (!cJSON_IsNumber (item))
        return "-";
    snprintf (buffer, size, "%.0f", item->valuedouble);
    return buffer;
}

static const char *
s_string (const cJSON *object, const char *key)
{
    const char *value = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (object, key));
    return value ? value : "";
}

//  Join a JSON array of strings with commas into buffer
static const char *
s_joined (const cJSON *array, char *buffer, size_t size)
{
    buffer [0] = 0;
    size_t used = 0;
    const cJSON *item;
    cJSON_ArrayForEach (item, array) {
        const char *text = cJSON_GetStringValue (item);
        if (!text)
            continue;
        int wrote = snprintf (buffer + used, size - used, "%s%s", used ? "," : "", text);
        if (wrote < 0 || (size_t) wrote >= size - used) {
            if (size > 4)
                strcpy (buffer + size - 4, "...");
            break;
        }
        used += (size_t) wrote;
    }
    return buffer;
}

//  Print why a request failed; return the exit code. A lost broker is
//  "unreachable"; so is a timeout, when the broker itself should answer.
static int
s_fail (const char *what, const zaf_error_t *err, bool broker_answers)
{
    fprintf (stderr, "zaf: %s: %s %s\n", what, zaf_code_name (err->code), err->message);
    if (err->code == ZAF_BROKER_LOST || (broker_answers && err->code == ZAF_TIMEOUT))
        return ZAF_CLI_EXIT_UNREACHABLE;
    return ZAF_CLI_EXIT_FAILED;
}

//  Ask for STATUS; print why not and return NULL on failure
static cJSON *
s_status (zaf_t *z, options_t *options, bool actors, int *rc)
{
    cJSON *request = cJSON_CreateObject ();
    if (actors) {
        cJSON_AddBoolToObject (request, "actors", true);
        cJSON_AddNumberToObject (request, "limit", options->limit);
    }
    zaf_error_t err;
    cJSON *status = zaf_client_status (z, request, options->timeout_ms, &err);
    if (!status)
        *rc = s_fail ("the broker did not answer STATUS", &err, true);
    return status;
}

//  --------------------------------------------------------------------------
//  Commands

static void
s_print_nodes (const cJSON *status)
{
    table_t *table = s_table_new (8, "NODE", "HOST", "PID", "CPUS", "ACTORS", "TASKS", "UPTIME",
                                  "CLASSES");
    const cJSON *node;
    cJSON_ArrayForEach (node, cJSON_GetObjectItem (status, "nodes")) {
        char pid [32], cpus [32], actors [32], tasks [32], uptime [32], classes [512];
        s_table_add (table, s_string (node, "name"), s_string (node, "host"),
                     s_number (node, "pid", pid, sizeof (pid)),
                     s_number (node, "cpus", cpus, sizeof (cpus)),
                     s_number (node, "actors", actors, sizeof (actors)),
                     s_number (node, "tasks", tasks, sizeof (tasks)),
                     s_duration (cJSON_GetNumberValue (cJSON_GetObjectItem (node, "uptime_s")),
                                 uptime, sizeof (uptime)),
                     s_joined (cJSON_GetObjectItem (node, "classes"), classes, sizeof (classes)));
    }
    s_table_print (&table);
}

static int
s_cmd_status (zaf_t *z, options_t *options)
{
    int rc = 0;
    cJSON *status = s_status (z, options, false, &rc);
    if (!status)
        return rc;
    if (options->json)
        s_print_json (status);
    else {
        char uptime [32];
        const cJSON *counters = cJSON_GetObjectItem (status, "counters");
        printf ("broker    %s\n", s_string (status, "endpoints"));
        printf ("session   %s\n", s_string (status, "session"));
        printf ("uptime    %s\n", s_duration (cJSON_GetNumberValue (cJSON_GetObjectItem (status, "uptime_s")),
                                              uptime, sizeof (uptime)));
        printf ("nodes     %d\n", cJSON_GetArraySize (cJSON_GetObjectItem (status, "nodes")));
        printf ("clients   %d\n", cJSON_GetArraySize (cJSON_GetObjectItem (status, "clients")));
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
            cJSON_AddItemToArray (nodes, cJSON_CreateString (s_string (node, "name")));
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

static int
s_cmd_list (zaf_t *z, options_t *options)
{
    const char *what = options->argv [1];
    bool actors = streq (what, "actors");
    int rc = 0;
    cJSON *status = s_status (z, options, actors, &rc);
    if (!status)
        return rc;
    if (actors) {
        const cJSON *list = cJSON_GetObjectItem (status, "actors");
        if (options->json)
            s_print_json (list);
        else {
            table_t *table = s_table_new (6, "ACTOR", "CLASS", "NAME", "NODE", "PENDING", "STATE");
            const cJSON *actor;
            cJSON_ArrayForEach (actor, list) {
                char pending [32];
                s_table_add (table, s_string (actor, "id"), s_string (actor, "class"),
                             s_string (actor, "name"), s_string (actor, "node"),
                             s_number (actor, "pending", pending, sizeof (pending)),
                             cJSON_IsTrue (cJSON_GetObjectItem (actor, "ready")) ? "ready" : "starting");
            }
            s_table_print (&table);
            double total = cJSON_GetNumberValue (cJSON_GetObjectItem (status, "actors_total"));
            if (total > cJSON_GetArraySize (list))
                printf ("(%d of %.0f actors shown; raise --limit to see more)\n",
                        cJSON_GetArraySize (list), total);
        }
    }
    else
    if (streq (what, "nodes")) {
        if (options->json)
            s_print_json (cJSON_GetObjectItem (status, "nodes"));
        else
            s_print_nodes (status);
    }
    else {
        //  classes or functions, with the nodes that serve each
        cJSON *served = s_served (status, what);
        if (options->json)
            s_print_json (served);
        else {
            table_t *table = s_table_new (2, streq (what, "classes") ? "CLASS" : "FUNCTION", "NODES");
            const cJSON *entry;
            cJSON_ArrayForEach (entry, served) {
                char nodes [512];
                s_table_add (table, entry->string, s_joined (entry, nodes, sizeof (nodes)));
            }
            s_table_print (&table);
        }
        cJSON_Delete (served);
    }
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
        *rc = s_fail ("cannot look the actor up", &err, true);
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

static int
s_cmd_call (zaf_t *z, options_t *options)
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
            s_print_json (result);
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
        rc = s_fail (what, &err, false);
    }
    zaf_actor_destroy (&actor);
    return rc;
}

static int
s_cmd_kill (zaf_t *z, options_t *options)
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
        rc = s_fail ("kill failed", &err, false);
    zaf_actor_destroy (&actor);
    return rc;
}

static int
s_cmd_stop (zaf_t *z, options_t *options)
{
    zaf_error_t err;
    cJSON *result = zaf_client_stop (z, options->timeout_ms, &err);
    if (!result)
        return s_fail ("the broker refused to stop", &err, true);
    //  The broker's goodbye is what we asked for: no "broker lost" warning
    zsys_set_logstream (NULL);
    if (options->json)
        s_print_json (result);
    else
        printf ("stopping the cluster at %s: the broker and %.0f node(s) exit\n",
                options->address, cJSON_GetNumberValue (cJSON_GetObjectItem (result, "nodes")));
    cJSON_Delete (result);
    return 0;
}

//  --------------------------------------------------------------------------
//  Flags and dispatch

typedef struct {
    const char *name;
    int min_args;               //  Words after the command
    int max_args;
    int (*run) (zaf_t *z, options_t *options);
} command_t;

static const command_t s_commands [] = {
    { "status", 0, 0, s_cmd_status },
    { "list",   1, 1, s_cmd_list },
    { "call",   2, 3, s_cmd_call },
    { "kill",   1, 1, s_cmd_kill },
    { "stop",   0, 0, s_cmd_stop },
    { NULL, 0, 0, NULL }
};

static long
s_flag_number (const char *name, const char *value, long min, long max)
{
    char *end = NULL;
    long number = value ? strtol (value, &end, 10) : 0;
    if (!value || !*value || *end || number < min || number > max) {
        fprintf (stderr, "zaf: %s needs a whole number from %ld to %ld\n", name, min, max);
        exit (ZAF_CLI_EXIT_USAGE);
    }
    return number;
}

int
main (int argc, char **argv)
{
    options_t options = { NULL, ZAF_CLI_TIMEOUT_MS, 1000, false, 0, NULL };
    options.argv = (char **) calloc ((size_t) argc + 1, sizeof (char *));
    assert (options.argv);
    for (int index = 1; index < argc; index++) {
        const char *arg = argv [index];
        const char *value = index + 1 < argc ? argv [index + 1] : NULL;
        if (streq (arg, "--help") || streq (arg, "-h")) {
            s_usage (stdout);
            free (options.argv);
            return 0;
        }
        else
        if (streq (arg, "--version")) {
            printf ("zaf %d.%d.%d\n", ZAF_VERSION_MAJOR, ZAF_VERSION_MINOR, ZAF_VERSION_PATCH);
            free (options.argv);
            return 0;
        }
        else
        if (streq (arg, "--json"))
            options.json = true;
        else
        if (streq (arg, "--address")) {
            if (!value || !*value) {
                fprintf (stderr, "zaf: --address needs an endpoint such as tcp://host:5555\n");
                free (options.argv);
                return ZAF_CLI_EXIT_USAGE;
            }
            options.address = argv [++index];
        }
        else
        if (streq (arg, "--timeout-ms"))
            options.timeout_ms = (int) s_flag_number (arg, value, 1, 3600000), index++;
        else
        if (streq (arg, "--limit"))
            options.limit = (int) s_flag_number (arg, value, 1, 10000000), index++;
        else
        if (arg [0] == '-' && arg [1] == '-') {
            fprintf (stderr, "zaf: unknown option '%s' (see zaf --help)\n", arg);
            free (options.argv);
            return ZAF_CLI_EXIT_USAGE;
        }
        else
            options.argv [options.argc++] = argv [index];
    }
    if (options.argc == 0) {
        s_usage (stderr);
        free (options.argv);
        return ZAF_CLI_EXIT_USAGE;
    }
    const command_t *command = s_commands;
    while (command->name && strneq (command->name, options.argv [0]))
        command++;
    int words = options.argc - 1;
    int rc = ZAF_CLI_EXIT_USAGE;
    if (!command->name)
        fprintf (stderr, "zaf: unknown command '%s' (see zaf --help)\n", options.argv [0]);
    else
    if (words < command->min_args || words > command->max_args)
        fprintf (stderr, "zaf: wrong number of arguments for '%s' (see zaf --help)\n", command->name);
    else
    if (command->run == s_cmd_list
    && !streq (options.argv [1], "actors") && !streq (options.argv [1], "nodes")
    && !streq (options.argv [1], "classes") && !streq (options.argv [1], "functions"))
        fprintf (stderr, "zaf: list what? actors, nodes, classes or functions, not '%s'\n",
                 options.argv [1]);
    else {
        if (!options.address)
            options.address = getenv ("ZAF_ADDRESS");
        if (!options.address || !*options.address)
            options.address = ZAF_CLI_DEFAULT_ADDRESS;
        zsys_set_logstream (stderr);
        zsys_set_logident ("zaf");
        zaf_error_t err;
        zaf_t *z = zaf_client_connect (options.address, "cli", options.timeout_ms, &err);
        if (!z) {
            fprintf (stderr, "zaf: cannot reach the broker at %s within %d ms: %s\n"
                             "     (is zaf-broker running there? set --address or ZAF_ADDRESS)\n",
                     options.address, options.timeout_ms, err.message);
            rc = err.code == ZAF_BAD_ARGS ? ZAF_CLI_EXIT_USAGE : ZAF_CLI_EXIT_UNREACHABLE;
        }
        else {
            rc = command->run (z, &options);
            zaf_client_destroy (&z);
        }
    }
    free (options.argv);
    return rc;
}
