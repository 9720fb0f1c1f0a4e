/*  =========================================================================
    zaf_cli - the parts of the zaf command-line tool

    tools/zaf.c parses the flags, connects and dispatches;
    zaf_cli_commands.c holds the commands (status, list, call, kill, stop);
    zaf_cli_dash.c those that read the broker's dashboard (metrics, top);
    zaf_cli_table.c prints what they found: aligned tables and the small
    formats their cells use. All run in main's thread.
    =========================================================================
*/

#ifndef ZAF_CLI_H_INCLUDED
#define ZAF_CLI_H_INCLUDED

#include "zaf_engine.h"

#define ZAF_CLI_DEFAULT_ADDRESS  "tcp://127.0.0.1:5555"
#define ZAF_CLI_TIMEOUT_MS       3000
#define ZAF_CLI_EXIT_FAILED      1
#define ZAF_CLI_EXIT_USAGE       2
#define ZAF_CLI_EXIT_UNREACHABLE 3

typedef struct {
    const char *address;        //  Broker endpoint
    int timeout_ms;             //  For connecting and for each request
    int limit;                  //  Actors to list at most (the broker sends
                                //  at most 1000 per page)
    int offset;                 //  Actors to skip first (the next page)
    bool json;                  //  Print JSON instead of tables
    int count;                  //  top: screens to print (0: until stopped)
    int interval_ms;            //  top: between screens
    int argc;                   //  Command words (the command first)
    const char **argv;
    const char *role;           //  keygen --role
    const char *out;            //  keygen --out
    const char *broker_key;     //  --broker-key
    const char *key;            //  --key
} zaf_cli_options_t;

//  ---------------------------------------------------------------------
//  Commands: each returns the program's exit code. argv [0] is the
//  command; the caller checked the number of words.

int
    zaf_cli_status (zaf_t *z, const zaf_cli_options_t *options);
int
    zaf_cli_list (zaf_t *z, const zaf_cli_options_t *options);
int
    zaf_cli_call (zaf_t *z, const zaf_cli_options_t *options);
int
    zaf_cli_kill (zaf_t *z, const zaf_cli_options_t *options);
int
    zaf_cli_stop (zaf_t *z, const zaf_cli_options_t *options);
int
    zaf_cli_revoke (zaf_t *z, const zaf_cli_options_t *options);
int
    zaf_cli_drain (zaf_t *z, const zaf_cli_options_t *options);

//  zaf_cli_dash.c: through the broker's dashboard (its URL from STATUS)
int
    zaf_cli_metrics (zaf_t *z, const zaf_cli_options_t *options);
int
    zaf_cli_top (zaf_t *z, const zaf_cli_options_t *options);

//  ---------------------------------------------------------------------
//  Tables: rows of strings, widths computed when printed

typedef struct _zaf_cli_table_t zaf_cli_table_t;

//  A table with `columns` headers (strings, copied).
zaf_cli_table_t *
    zaf_cli_table_new (int columns, ...);

//  Add a row of `columns` strings (copied; NULL or "" prints as "-").
void
    zaf_cli_table_add (zaf_cli_table_t *self, ...);

//  Print the table on stdout and destroy it.
void
    zaf_cli_table_print (zaf_cli_table_t **self_p);

//  ---------------------------------------------------------------------
//  Cells and values

//  Print JSON, indented, on stdout.
void
    zaf_cli_print_json (const cJSON *json);

//  A number of seconds as 3d04h, 2h05m, 4m07s or 12.3s, in buffer.
const char *
    zaf_cli_duration (double seconds, char *buffer, size_t size);

//  object's number `key`, whole, in buffer; "-" if it has none.
const char *
    zaf_cli_number (const cJSON *object, const char *key, char *buffer, size_t size);

//  object's string `key` (borrowed), or "".
const char *
    zaf_cli_string (const cJSON *object, const char *key);

//  A JSON array of strings joined with commas in buffer ("..." if cut).
const char *
    zaf_cli_joined (const cJSON *array, char *buffer, size_t size);

//  Say on stderr why a request failed; return the exit code. A lost
//  broker is "unreachable"; so is a timeout, when the broker itself
//  should answer (broker_answers).
int
    zaf_cli_fail (const char *what, const zaf_error_t *err, bool broker_answers);

#endif
