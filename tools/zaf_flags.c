/*  =========================================================================
    zaf_flags - the one command-line parser of every zaf program

    getopt_long does the scanning; this file builds its option array from
    the program's table, stores each value by the flag's kind, checks
    numbers and ranges, and turns getopt's error returns into messages
    that name the flag. getopt runs in REQUIRE_ORDER mode ("+"), and the
    operands are taken here between its calls, so that a negative number
    can be an operand. Runs in main's thread, before any other; getopt's
    globals are reset on every parse (optind = 0) so a test may parse many
    times in one process.
    =========================================================================
*/

#define _GNU_SOURCE
#include "zaf_flags.h"
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

//  getopt_long's val for the option at index i of the combined table
#define ZAF_FLAGS_LONG_BASE 256

//  The program's flags followed by the built-in --version and --help
typedef struct {
    const zaf_flags_spec_t *spec;
    const zaf_flag_t *flags [128];      //  Every option, built-ins last
    size_t size;
    const zaf_flag_t *help;             //  The built-in --help
    const zaf_flag_t *version;          //  The built-in --version, or NULL
} table_t;

static const zaf_flag_t s_help_flag = {
    "help", 'h', ZAF_FLAG_BOOL, NULL, NULL, "print this help and exit"
};
static const zaf_flag_t s_version_flag = {
    "version", 0, ZAF_FLAG_BOOL, NULL, NULL, "print the version and exit"
};

static void
s_table_init (table_t *self, const zaf_flags_spec_t *spec)
{
    memset (self, 0, sizeof (*self));
    self->spec = spec;
    for (const zaf_flag_t *flag = spec->flags; flag && flag->name; flag++) {
        assert (self->size < 125);      //  A table that big is a mistake
        self->flags [self->size++] = flag;
    }
    if (spec->version)
        self->flags [self->size++] = self->version = &s_version_flag;
    self->flags [self->size++] = self->help = &s_help_flag;
}

//  The flag getopt answered with val, or NULL
static const zaf_flag_t *
s_table_find (table_t *self, int val)
{
    if (val >= ZAF_FLAGS_LONG_BASE && (size_t) (val - ZAF_FLAGS_LONG_BASE) < self->size)
        return self->flags [val - ZAF_FLAGS_LONG_BASE];
    for (size_t index = 0; val > 0 && index < self->size; index++)
        if (self->flags [index]->letter == val)
            return self->flags [index];
    return NULL;
}

static const char *
s_value_name (const zaf_flag_t *flag)
{
    if (flag->value_name)
        return flag->value_name;
    return flag->kind == ZAF_FLAG_INT ? "N" : "VALUE";
}

//  ---------------------------------------------------------------------
//  Storing values

//  Say what went wrong with the usage, the way every program says it
static int
s_bad_usage (const zaf_flags_spec_t *spec, int *status, const char *format, const char *what,
             const char *detail)
{
    fprintf (stderr, "%s: ", spec->program);
    fprintf (stderr, format, what, detail);
    fprintf (stderr, " (see %s --help)\n", spec->program);
    *status = ZAF_FLAGS_EXIT_USAGE;
    return -1;
}

static void
s_list_add (zaf_flags_list_t *list, const char *value)
{
    const char **items = (const char **) realloc (list->items,
                                                  (list->size + 1) * sizeof (const char *));
    assert (items);
    items [list->size++] = value;
    list->items = items;
}

//  Parse a whole number in the flag's range; `source` names where it came
//  from in the message ("--cpus" or "$ZAF_CPUS (for --cpus)")
static int
s_store_int (const zaf_flags_spec_t *spec, const zaf_flag_t *flag, const char *source,
             const char *value, int *status)
{
    int min = flag->min, max = flag->max;
    if (min == 0 && max == 0)
        min = INT_MIN, max = INT_MAX;
    char *end = NULL;
    errno = 0;
    long number = strtol (value, &end, 10);
    bool whole = *value && !isspace ((unsigned char) *value) && !*end && errno == 0;
    if (!whole || number < min || number > max) {
        char range [96];
        if (max == INT_MAX)
            snprintf (range, sizeof (range), "of at least %d, not '%.40s'", min, value);
        else
            snprintf (range, sizeof (range), "from %d to %d, not '%.40s'", min, max, value);
        return s_bad_usage (spec, status, "%s must be a whole number %s", source, range);
    }
    *(int *) flag->target = (int) number;
    return 0;
}

static int
s_store (const zaf_flags_spec_t *spec, const zaf_flag_t *flag, const char *value, int *status)
{
    char source [80];
    snprintf (source, sizeof (source), "--%s", flag->name);
    if ((flag->kind == ZAF_FLAG_STRING || flag->kind == ZAF_FLAG_LIST)
    &&  !*value && !flag->empty_ok)
        return s_bad_usage (spec, status, "%s needs a value (%s), not an empty one", source,
                            s_value_name (flag));
    switch (flag->kind) {
        case ZAF_FLAG_BOOL:
            *(bool *) flag->target = true;
            return 0;
        case ZAF_FLAG_STRING:
            *(const char **) flag->target = value;
            return 0;
        case ZAF_FLAG_INT:
            return s_store_int (spec, flag, source, value, status);
        case ZAF_FLAG_LIST:
            s_list_add ((zaf_flags_list_t *) flag->target, value);
            return 0;
    }
    return 0;
}

//  Environment defaults, before the command line
static int
s_apply_env (const zaf_flags_spec_t *spec, int *status)
{
    for (const zaf_flag_t *flag = spec->flags; flag && flag->name; flag++) {
        const char *value = flag->env ? getenv (flag->env) : NULL;
        if (!value || !*value)
            continue;
        if (flag->kind == ZAF_FLAG_STRING)
            *(const char **) flag->target = value;
        else
        if (flag->kind == ZAF_FLAG_INT) {
            char source [96];
            snprintf (source, sizeof (source), "$%s (for --%s)", flag->env, flag->name);
            if (s_store_int (spec, flag, source, value, status))
                return -1;
        }
    }
    return 0;
}

//  ---------------------------------------------------------------------
//  Scanning

//  A word that reads as a negative number: "-5", "-0.5", "-.5"
static bool
s_negative_number (const char *word)
{
    return word [0] == '-'
        && (isdigit ((unsigned char) word [1])
            || (word [1] == '.' && isdigit ((unsigned char) word [2])));
}

//  Build getopt_long's arrays from the table (optstring: "+:" and letters)
static void
s_getopt_arrays (table_t *self, struct option *options, char *letters)
{
    size_t used = 0;
    letters [used++] = '+';             //  Stop at operands: we take them
    letters [used++] = ':';             //  Report a missing value as ':'
    for (size_t index = 0; index < self->size; index++) {
        const zaf_flag_t *flag = self->flags [index];
        int has_arg = flag->kind == ZAF_FLAG_BOOL ? no_argument : required_argument;
        options [index] = (struct option) {
            flag->name, has_arg, NULL, ZAF_FLAGS_LONG_BASE + (int) index
        };
        if (flag->letter) {
            letters [used++] = flag->letter;
            if (has_arg == required_argument)
                letters [used++] = ':';
        }
    }
    options [self->size] = (struct option) { NULL, 0, NULL, 0 };
    letters [used] = 0;
}

//  getopt said '?' or ':': say which option was wrong and how
static int
s_getopt_error (table_t *self, int answer, char **argv, int *status)
{
    const zaf_flags_spec_t *spec = self->spec;
    const zaf_flag_t *flag = s_table_find (self, optopt);
    char word [80];
    if (flag)
        snprintf (word, sizeof (word), "--%s", flag->name);
    else
    if (optopt)
        snprintf (word, sizeof (word), "-%c", optopt);
    else {
        const char *text = argv [optind - 1];
        snprintf (word, sizeof (word), "%.*s", (int) strcspn (text, "="), text);
    }
    if (answer == ':')
        return s_bad_usage (spec, status, "%s needs a value (%s)", word,
                            flag ? s_value_name (flag) : "VALUE");
    if (flag)
        return s_bad_usage (spec, status, "%s takes no value%s", word, "");
    return s_bad_usage (spec, status, "unknown option '%s'%s", word, "");
}

//  Take the operand at optind, or refuse it
static int
s_operand (const zaf_flags_spec_t *spec, const char *word, int *status)
{
    if (!spec->operands)
        return s_bad_usage (spec, status, "unexpected argument '%s'%s", word, "");
    s_list_add (spec->operands, word);
    return 0;
}

//  The getopt loop; returns 1 if --help or --version was answered
static int
s_scan (table_t *self, int argc, char **argv, int *status)
{
    const zaf_flags_spec_t *spec = self->spec;
    struct option options [130];
    char letters [3 + 2 * 130];
    s_getopt_arrays (self, options, letters);
    //  Start getopt afresh (GNU: optind 0), on an empty argv so that it
    //  forgets any word it stopped inside, then scan from argv [1]
    char *empty [] = { argv [0], NULL };
    opterr = 0;
    optind = 0;
    getopt_long (1, empty, letters, options, NULL);
    optind = 1;
    while (true) {
        int next = optind;
        if (next >= argc)
            return 0;
        const char *word = argv [next];
        if (strcmp (word, "--") == 0) {
            for (next++; next < argc; next++)
                if (s_operand (spec, argv [next], status))
                    return -1;
            return 0;
        }
        if (word [0] != '-' || word [1] == 0 || (spec->operands && s_negative_number (word))) {
            if (s_operand (spec, word, status))
                return -1;
            optind = next + 1;
            continue;
        }
        int answer = getopt_long (argc, argv, letters, options, NULL);
        if (answer == -1) {
            //  Not an option to getopt after all: an operand
            if (s_operand (spec, word, status))
                return -1;
            optind = next + 1;
            continue;
        }
        if (answer == '?' || answer == ':')
            return s_getopt_error (self, answer, argv, status);
        const zaf_flag_t *flag = s_table_find (self, answer);
        if (flag == self->help || flag == self->version) {
            if (flag == self->help)
                zaf_flags_usage (spec, stdout);
            else
                printf ("%s %s\n", spec->program, spec->version);
            *status = 0;
            return 1;
        }
        if (flag && s_store (spec, flag, optarg, status))
            return -1;
    }
}

//  --------------------------------------------------------------------------
//  Parse argv by the spec; 0 to run, -1 to exit with *status

int
zaf_flags_parse (const zaf_flags_spec_t *spec, int argc, char **argv, int *status)
{
    *status = 0;
    if (s_apply_env (spec, status))
        return -1;
    table_t table;
    s_table_init (&table, spec);
    int rc = s_scan (&table, argc, argv, status);
    if (rc)
        return -1;
    size_t operands = spec->operands ? spec->operands->size : 0;
    if (spec->operands && operands < (size_t) spec->min_operands) {
        zaf_flags_usage (spec, stderr);
        *status = ZAF_FLAGS_EXIT_USAGE;
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Print the --help text to stream

void
zaf_flags_usage (const zaf_flags_spec_t *spec, FILE *stream)
{
    table_t table;
    s_table_init (&table, spec);
    fprintf (stream, "Usage: %s\n", spec->usage ? spec->usage : spec->program);
    if (spec->about)
        fprintf (stream, "%s", spec->about);
    fprintf (stream, "\nOptions:\n");
    //  "  -h, --help VALUE" then the help text from a common column
    int column = 0;
    for (size_t index = 0; index < table.size; index++) {
        const zaf_flag_t *flag = table.flags [index];
        int width = 8 + (int) strlen (flag->name);
        if (flag->kind != ZAF_FLAG_BOOL)
            width += 1 + (int) strlen (s_value_name (flag));
        if (width > column && width <= 30)
            column = width;
    }
    for (size_t index = 0; index < table.size; index++) {
        const zaf_flag_t *flag = table.flags [index];
        char head [128];
        snprintf (head, sizeof (head), "  %c%c%s--%s%s%s",
                  flag->letter ? '-' : ' ', flag->letter ? flag->letter : ' ',
                  flag->letter ? ", " : "  ", flag->name,
                  flag->kind == ZAF_FLAG_BOOL ? "" : " ",
                  flag->kind == ZAF_FLAG_BOOL ? "" : s_value_name (flag));
        fprintf (stream, "%s", head);
        if ((int) strlen (head) > column)
            fprintf (stream, "\n%*s", column, "");
        else
            fprintf (stream, "%*s", column - (int) strlen (head), "");
        for (const char *line = flag->help ? flag->help : ""; ; ) {
            size_t size = strcspn (line, "\n");
            fprintf (stream, "  %.*s\n", (int) size, line);
            if (!line [size])
                break;
            line += size + 1;
            fprintf (stream, "%*s", column, "");
        }
    }
    if (spec->epilog)
        fprintf (stream, "\n%s", spec->epilog);
}

//  --------------------------------------------------------------------------
//  Free the arrays parsing allocated

void
zaf_flags_release (const zaf_flags_spec_t *spec)
{
    for (const zaf_flag_t *flag = spec->flags; flag && flag->name; flag++)
        if (flag->kind == ZAF_FLAG_LIST) {
            zaf_flags_list_t *list = (zaf_flags_list_t *) flag->target;
            free (list->items);
            list->items = NULL;
            list->size = 0;
        }
    if (spec->operands) {
        free (spec->operands->items);
        spec->operands->items = NULL;
        spec->operands->size = 0;
    }
}
