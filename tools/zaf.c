/*  =========================================================================
    zaf - the command-line tool: look at a cluster and act on it

        zaf status                      the broker, its nodes, their load
        zaf list actors|nodes|classes|functions
        zaf call ACTOR METHOD [JSON]    call a method, print its result
        zaf kill ACTOR                  kill an actor
        zaf stop                        stop the broker and every node
        zaf revoke KEY                  cut a key's sessions (admin key)
        zaf keygen --role ROLE [--out DIR] NAME
                                        write a key pair (no broker needed)
        zaf drain NODE                  take a node out of service; it exits when done
        zaf metrics                     the Prometheus text of the dashboard
        zaf top                         the busiest actors and the nodes, live

    It connects to the broker as a "cli" peer (--address, else
    $ZAF_ADDRESS, else tcp://127.0.0.1:5555), asks, prints an aligned table
    (or JSON with --json), and exits. Exit codes: 0 done, 1 the request
    failed, 2 bad usage, 3 the broker could not be reached in time. This
    file parses the flags, checks the command's words, connects and
    dispatches; the commands are in zaf_cli_commands.c.
    =========================================================================
*/

#include "zaf_cli.h"
#include "zaf_flags.h"
#include "zaf_program.h"

typedef struct {
    const char *name;
    int min_args;               //  Words after the command
    int max_args;
    int (*run) (zaf_t *z, const zaf_cli_options_t *options);
} command_t;

static const command_t s_commands [] = {
    { "status", 0, 0, zaf_cli_status },
    { "list",   1, 1, zaf_cli_list },
    { "call",   2, 3, zaf_cli_call },
    { "kill",   1, 1, zaf_cli_kill },
    { "stop",   0, 0, zaf_cli_stop },
    { "revoke", 1, 1, zaf_cli_revoke },
    { "keygen", 1, 1, NULL },
    { "drain",  1, 1, zaf_cli_drain },
    { "metrics", 0, 0, zaf_cli_metrics },
    { "top",    0, 0, zaf_cli_top },
    { NULL, 0, 0, NULL }
};

//  The command the words name, or NULL after saying what is wrong
static const command_t *
s_command (const zaf_cli_options_t *options)
{
    const command_t *command = s_commands;
    while (command->name && strneq (command->name, options->argv [0]))
        command++;
    int words = options->argc - 1;
    const char *what = options->argc > 1 ? options->argv [1] : "";
    if (!command->name)
        fprintf (stderr, "zaf: unknown command '%s' (see zaf --help)\n", options->argv [0]);
    else
    if (words < command->min_args || words > command->max_args)
        fprintf (stderr, "zaf: wrong number of arguments for '%s' (see zaf --help)\n",
                 command->name);
    else
    if (command->run == zaf_cli_list
    && !streq (what, "actors") && !streq (what, "nodes")
    && !streq (what, "classes") && !streq (what, "functions"))
        fprintf (stderr, "zaf: list what? actors, nodes, classes or functions, not '%s'\n", what);
    else
        return command;
    return NULL;
}

//  zaf keygen: write a key pair, no broker involved
static int
s_keygen (const zaf_cli_options_t *options)
{
    char dir [4096];
    const char *home = getenv ("HOME");
    const char *env = getenv ("ZAF_KEY_DIR");
    if (options->out)
        snprintf (dir, sizeof (dir), "%s", options->out);
    else
    if (env && *env)
        snprintf (dir, sizeof (dir), "%s", env);
    else
        snprintf (dir, sizeof (dir), "%s/.config/zaf/keys", home ? home : ".");
    if (!options->role) {
        fprintf (stderr, "zaf: keygen needs --role broker, node, driver or admin\n");
        return ZAF_CLI_EXIT_USAGE;
    }
    zaf_error_t err;
    if (zaf_auth_keygen (dir, options->argv [1], options->role, &err)) {
        fprintf (stderr, "zaf: keygen: %s\n", err.message);
        return ZAF_CLI_EXIT_USAGE;
    }
    printf ("wrote %s/%s.cert and %s/%s.cert_secret (role %s)\n", dir, options->argv [1], dir,
            options->argv [1], options->role);
    return 0;
}

//  Connect and run the command
static int
s_run (const command_t *command, zaf_cli_options_t *options)
{
    zsys_set_logstream (stderr);
    zsys_set_logident ("zaf");
    zaf_error_t err;
    if (!command->run)
        return s_keygen (options);
    if ((options->broker_key || options->key)
    &&  zaf_auth_client_set (options->broker_key, options->key, &err)) {
        fprintf (stderr, "zaf: %s\n", err.message);
        return ZAF_CLI_EXIT_USAGE;
    }
    zaf_t *z = zaf_client_connect (options->address, "cli", options->timeout_ms, &err);
    if (!z && err.code == ZAF_UNAUTHORIZED) {
        fprintf (stderr, "zaf: refused by the broker at %s: %s\n", options->address, err.message);
        return ZAF_CLI_EXIT_UNREACHABLE;
    }
    if (!z) {
        fprintf (stderr, "zaf: cannot reach the broker at %s within %d ms: %s\n"
                         "     (is zaf-broker running there? set --address or ZAF_ADDRESS)\n",
                 options->address, options->timeout_ms, err.message);
        return err.code == ZAF_BAD_ARGS ? ZAF_CLI_EXIT_USAGE : ZAF_CLI_EXIT_UNREACHABLE;
    }
    int rc = command->run (z, options);
    zaf_shutdown (&z);
    return rc;
}

int
main (int argc, char **argv)
{
    zaf_cli_options_t options = {
        .address = ZAF_CLI_DEFAULT_ADDRESS, .timeout_ms = ZAF_CLI_TIMEOUT_MS, .limit = 1000,
        .interval_ms = 1000
    };
    zaf_flags_list_t words = { NULL, 0 };
    const zaf_flag_t flags [] = {
        { "address", 0, ZAF_FLAG_STRING, &options.address, "ENDPOINT",
          "the broker (default: $ZAF_ADDRESS, else " ZAF_CLI_DEFAULT_ADDRESS ")",
          .env = "ZAF_ADDRESS" },
        { "json", 0, ZAF_FLAG_BOOL, &options.json, NULL, "print JSON instead of tables" },
        { "timeout-ms", 0, ZAF_FLAG_INT, &options.timeout_ms, "N",
          "give up on the broker after N ms (default "
          ZAF_PROGRAM_TEXT (ZAF_CLI_TIMEOUT_MS) ")", .min = 1, .max = 3600000 },
        { "limit", 0, ZAF_FLAG_INT, &options.limit, "N",
          "list at most N actors (default and most: 1000; top: 20)", .min = 1, .max = 10000000 },
        { "offset", 0, ZAF_FLAG_INT, &options.offset, "N",
          "list actors from the Nth on (the next page; default 0)", .min = 0, .max = INT_MAX },
        { "broker-key", 0, ZAF_FLAG_STRING, &options.broker_key, "FILE",
          "the broker's public key (CURVE on tcp://; default\n"
          "$ZAF_BROKER_KEY, else KEYDIR/broker.cert)" },
        { "key", 0, ZAF_FLAG_STRING, &options.key, "FILE",
          "our secret key (default $ZAF_KEY, else KEYDIR/admin.cert_secret,\n"
          "else KEYDIR/driver.cert_secret; KEYDIR: $ZAF_KEY_DIR,\n"
          "else ~/.config/zaf/keys)" },
        { "role", 0, ZAF_FLAG_STRING, &options.role, "ROLE",
          "keygen: broker, node, driver or admin" },
        { "out", 0, ZAF_FLAG_STRING, &options.out, "DIR",
          "keygen: where to write (default KEYDIR)" },
        { "count", 0, ZAF_FLAG_INT, &options.count, "N",
          "top: print N screens, then exit (default: until interrupted)", .min = 0, .max = 1000000 },
        { "interval-ms", 0, ZAF_FLAG_INT, &options.interval_ms, "N",
          "top: refresh every N ms (default 1000)", .min = 100, .max = 3600000 },
        { NULL }
    };
    const zaf_flags_spec_t spec = {
        .program = "zaf", .usage = "zaf [OPTIONS] COMMAND [ARGS]",
        .about =
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
            "                               to exit, then exits (an admin key, with CURVE)\n"
            "  revoke KEY                   refuse a public key (z85) and cut its sessions\n"
            "                               (an admin key)\n"
            "  keygen --role ROLE [--out DIR] NAME\n"
            "                               write DIR/NAME.cert and DIR/NAME.cert_secret\n"
            "  drain NODE                   take a node out of service: no new work goes\n"
            "                               there, its restartable actors move, it exits\n"
            "  metrics                      print the Prometheus text of the broker's\n"
            "                               dashboard (/metrics)\n"
            "  top                          the busiest actors and the nodes, refreshed\n"
            "                               every --interval-ms (see --count)\n"
            "\n"
            "Options go before or after the command.\n",
        .epilog =
            "Exit codes: 0 done, 1 the request failed, 2 bad usage,\n"
            "3 the broker could not be reached in time.\n",
        .version = ZAF_PROGRAM_VERSION, .flags = flags,
        .operands = &words, .min_operands = 1
    };
    int rc;
    if (zaf_flags_parse (&spec, argc, argv, &rc) == 0) {
        options.argc = (int) words.size;
        options.argv = words.items;
        const command_t *command = s_command (&options);
        rc = command ? s_run (command, &options) : ZAF_CLI_EXIT_USAGE;
    }
    zaf_flags_release (&spec);
    return rc;
}
