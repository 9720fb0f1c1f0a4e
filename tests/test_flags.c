/*  =========================================================================
    test_flags - the programs' flag parser (tools/zaf_flags)

    Every kind of option, environment defaults, operands, the generated
    --help, and every way to use a program wrongly: each must end in exit
    status 2 with a message on stderr that names the flag. Messages are
    read back through Criterion's stderr and stdout redirection.
    =========================================================================
*/

#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdlib.h>
#include <string.h>
#include "zaf_flags.h"

//  One program's options, as a main would hold them
typedef struct {
    bool verbose;
    const char *name;
    const char *address;
    int count;
    int level;
    zaf_flags_list_t modules;
    zaf_flags_list_t operands;
    const char *note;
} options_t;

//  The spec of a test program over options (flags must hold 8 entries)
static zaf_flags_spec_t
s_spec (options_t *options, zaf_flag_t *flags, bool operands)
{
    zaf_flag_t table [] = {
        { "verbose", 'v', ZAF_FLAG_BOOL, &options->verbose, NULL, "say more" },
        { "name", 'n', ZAF_FLAG_STRING, &options->name, "NAME", "what to call it" },
        { "address", 0, ZAF_FLAG_STRING, &options->address, "ENDPOINT",
          "where to go\nsecond line of help", .env = "TEST_FLAGS_ADDRESS" },
        { "count", 'c', ZAF_FLAG_INT, &options->count, "N", "how many", .min = 1, .max = 10,
          .env = "TEST_FLAGS_COUNT" },
        { "level", 0, ZAF_FLAG_INT, &options->level, NULL, "any whole number" },
        { "module", 'm', ZAF_FLAG_LIST, &options->modules, "PATH", "load it (repeatable)" },
        { "note", 0, ZAF_FLAG_STRING, &options->note, "TEXT", "may be empty", .empty_ok = true },
        { NULL }
    };
    memcpy (flags, table, sizeof (table));
    zaf_flags_spec_t spec = {
        .program = "testprog", .usage = "testprog [OPTIONS] [WORDS]",
        .about = "A program for the parser's tests.\n", .epilog = "The end.\n",
        .version = "9.8.7", .flags = flags, .operands = operands ? &options->operands : NULL
    };
    return spec;
}

//  Parse a NULL-terminated argument list (after the program name)
static int
s_parse (const zaf_flags_spec_t *spec, int *status, ...)
{
    char *argv [32] = { "testprog" };
    int argc = 1;
    va_list args;
    va_start (args, status);
    char *arg;
    while ((arg = va_arg (args, char *)) && argc < 31)
        argv [argc++] = arg;
    va_end (args);
    return zaf_flags_parse (spec, argc, argv, status);
}

//  Everything written to a redirected stream so far (caller frees)
static char *
s_read (FILE *stream)
{
    fflush (stdout);
    fflush (stderr);
    size_t size = 0, used = 0;
    char *text = NULL;
    int ch;
    while ((ch = fgetc (stream)) != EOF) {
        if (used + 2 > size)
            text = realloc (text, size = size * 2 + 256);
        text [used++] = (char) ch;
    }
    if (!text)
        text = calloc (1, 1);
    text [used] = 0;
    return text;
}

static char *
s_stderr (void)
{
    fflush (stderr);
    return s_read (cr_get_redirected_stderr ());
}

TestSuite (flags, .timeout = 10);

Test (flags, every_kind_of_option)
{
    options_t options = { .count = 3 };
    zaf_flag_t flags [8];
    zaf_flags_spec_t spec = s_spec (&options, flags, false);
    int status = -1;
    cr_assert_eq (s_parse (&spec, &status, "--verbose", "--name", "alpha", "--count=7",
                           "-m", "one.so", "--module", "two.so", "--level", "-42",
                           "--note", "", NULL), 0);
    cr_expect_eq (status, 0);
    cr_expect (options.verbose);
    cr_expect_str_eq (options.name, "alpha");
    cr_expect_eq (options.count, 7);
    cr_expect_eq (options.level, -42);
    cr_expect_str_eq (options.note, "");
    cr_assert_eq (options.modules.size, 2);
    cr_expect_str_eq (options.modules.items [0], "one.so");
    cr_expect_str_eq (options.modules.items [1], "two.so");
    zaf_flags_release (&spec);
    cr_expect_eq (options.modules.size, 0);
    cr_expect_null (options.modules.items);
}

Test (flags, short_letters_and_defaults_kept)
{
    options_t options = { .count = 3, .name = "default" };
    zaf_flag_t flags [8];
    zaf_flags_spec_t spec = s_spec (&options, flags, false);
    int status;
    cr_assert_eq (s_parse (&spec, &status, "-v", "-c", "5", NULL), 0);
    cr_expect (options.verbose);
    cr_expect_eq (options.count, 5);
    cr_expect_str_eq (options.name, "default");
    //  A second parse in the same process starts afresh
    options_t again = { .count = 1 };
    zaf_flags_spec_t spec2 = s_spec (&again, flags, false);
    cr_assert_eq (s_parse (&spec2, &status, "-n", "beta", "--module=x.so", NULL), 0);
    cr_expect_str_eq (again.name, "beta");
    cr_expect_eq (again.modules.size, 1);
    cr_expect_not (again.verbose);
    zaf_flags_release (&spec);
    zaf_flags_release (&spec2);
}

Test (flags, operands_anywhere_and_negative_numbers)
{
    options_t options = { .count = 3 };
    zaf_flag_t flags [8];
    zaf_flags_spec_t spec = s_spec (&options, flags, true);
    int status;
    cr_assert_eq (s_parse (&spec, &status, "call", "--verbose", "counter", "add", "-5",
                           "-c", "2", "--", "--not-a-flag", NULL), 0);
    cr_expect (options.verbose);
    cr_expect_eq (options.count, 2);
    cr_assert_eq (options.operands.size, 5);
    const char *expected [] = { "call", "counter", "add", "-5", "--not-a-flag" };
    for (size_t index = 0; index < 5; index++)
        cr_expect_str_eq (options.operands.items [index], expected [index]);
    zaf_flags_release (&spec);
    cr_expect_eq (options.operands.size, 0);
}

Test (flags, too_few_operands_prints_usage, .init = cr_redirect_stderr)
{
    options_t options = { .count = 3 };
    zaf_flag_t flags [8];
    zaf_flags_spec_t spec = s_spec (&options, flags, true);
    spec.min_operands = 1;
    int status;
    cr_assert_eq (s_parse (&spec, &status, "--verbose", NULL), -1);
    cr_expect_eq (status, ZAF_FLAGS_EXIT_USAGE);
    char *text = s_stderr ();
    cr_expect (strstr (text, "Usage: testprog"), "%s", text);
    free (text);
    zaf_flags_release (&spec);
}

//  Each bad usage: exit status 2, and stderr says what and names the flag
static void
s_expect_bad (bool operands, const char *says, const char *also, ...)
{
    options_t options = { .count = 3 };
    zaf_flag_t flags [8];
    zaf_flags_spec_t spec = s_spec (&options, flags, operands);
    char *argv [16] = { "testprog" };
    int argc = 1;
    va_list args;
    va_start (args, also);
    char *arg;
    while ((arg = va_arg (args, char *)) && argc < 15)
        argv [argc++] = arg;
    va_end (args);
    int status = -1;
    cr_assert_eq (zaf_flags_parse (&spec, argc, argv, &status), -1);
    cr_expect_eq (status, ZAF_FLAGS_EXIT_USAGE);
    char *text = s_stderr ();
    cr_expect (strstr (text, says), "expected '%s' in: %s", says, text);
    cr_expect (strstr (text, also), "expected '%s' in: %s", also, text);
    cr_expect (strstr (text, "testprog: "), "no program name in: %s", text);
    free (text);
    zaf_flags_release (&spec);
}

Test (flags, not_a_number, .init = cr_redirect_stderr)
{
    s_expect_bad (false, "--count must be a whole number from 1 to 10", "'abc'",
                  "--count", "abc", NULL);
}

Test (flags, trailing_garbage_is_not_a_number, .init = cr_redirect_stderr)
{
    s_expect_bad (false, "--count must be a whole number", "'5x'", "--count=5x", NULL);
}

Test (flags, out_of_range, .init = cr_redirect_stderr)
{
    s_expect_bad (false, "--count must be a whole number from 1 to 10", "'11'",
                  "-c", "11", NULL);
}

Test (flags, below_range, .init = cr_redirect_stderr)
{
    s_expect_bad (false, "--count", "not '0'", "--count", "0", NULL);
}

Test (flags, too_big_for_an_int, .init = cr_redirect_stderr)
{
    s_expect_bad (false, "--level must be a whole number", "99999999999999999999",
                  "--level", "99999999999999999999", NULL);
}

Test (flags, unknown_long_option, .init = cr_redirect_stderr)
{
    s_expect_bad (false, "unknown option '--nope'", "--help", "--nope=3", NULL);
}

Test (flags, unknown_short_option, .init = cr_redirect_stderr)
{
    s_expect_bad (false, "unknown option '-q'", "--help", "-q", NULL);
}

Test (flags, missing_value, .init = cr_redirect_stderr)
{
    s_expect_bad (false, "--name needs a value", "NAME", "--verbose", "--name", NULL);
}

Test (flags, missing_value_short, .init = cr_redirect_stderr)
{
    s_expect_bad (false, "--count needs a value", "N", "-c", NULL);
}

Test (flags, empty_value, .init = cr_redirect_stderr)
{
    s_expect_bad (false, "--name needs a value", "not an empty one", "--name", "", NULL);
}

Test (flags, value_for_a_switch, .init = cr_redirect_stderr)
{
    s_expect_bad (false, "--verbose takes no value", "--help", "--verbose=yes", NULL);
}

Test (flags, operand_where_none_is_taken, .init = cr_redirect_stderr)
{
    s_expect_bad (false, "unexpected argument 'stray'", "--help", "--verbose", "stray", NULL);
}

Test (flags, negative_number_is_an_option_without_operands, .init = cr_redirect_stderr)
{
    s_expect_bad (false, "unknown option '-5'", "--help", "-5", NULL);
}

Test (flags, environment_default)
{
    setenv ("TEST_FLAGS_ADDRESS", "tcp://127.0.0.1:7777", 1);
    setenv ("TEST_FLAGS_COUNT", "9", 1);
    options_t options = { .count = 3, .address = "tcp://127.0.0.1:5555" };
    zaf_flag_t flags [8];
    zaf_flags_spec_t spec = s_spec (&options, flags, false);
    int status;
    cr_assert_eq (s_parse (&spec, &status, NULL), 0);
    cr_expect_str_eq (options.address, "tcp://127.0.0.1:7777");
    cr_expect_eq (options.count, 9);
    //  The command line wins
    cr_assert_eq (s_parse (&spec, &status, "--address", "ipc://here", "-c", "2", NULL), 0);
    cr_expect_str_eq (options.address, "ipc://here");
    cr_expect_eq (options.count, 2);
    //  An empty variable is no default
    setenv ("TEST_FLAGS_ADDRESS", "", 1);
    unsetenv ("TEST_FLAGS_COUNT");
    options_t plain = { .count = 3, .address = "tcp://127.0.0.1:5555" };
    zaf_flags_spec_t spec2 = s_spec (&plain, flags, false);
    cr_assert_eq (s_parse (&spec2, &status, NULL), 0);
    cr_expect_str_eq (plain.address, "tcp://127.0.0.1:5555");
    cr_expect_eq (plain.count, 3);
}

Test (flags, bad_environment_default, .init = cr_redirect_stderr)
{
    setenv ("TEST_FLAGS_COUNT", "lots", 1);
    s_expect_bad (false, "$TEST_FLAGS_COUNT (for --count) must be a whole number", "'lots'",
                  NULL);
}

Test (flags, help_lists_every_option, .init = cr_redirect_stdout)
{
    options_t options = { .count = 3 };
    zaf_flag_t flags [8];
    zaf_flags_spec_t spec = s_spec (&options, flags, false);
    int status = -1;
    cr_assert_eq (s_parse (&spec, &status, "--count", "2", "--help", "--nope", NULL), -1);
    cr_expect_eq (status, 0);
    fflush (stdout);
    char *text = s_read (cr_get_redirected_stdout ());
    const char *expected [] = {
        "Usage: testprog [OPTIONS] [WORDS]", "A program for the parser's tests.",
        "-v, --verbose", "say more", "-n, --name NAME", "what to call it",
        "--address ENDPOINT", "where to go", "second line of help",
        "-c, --count N", "how many", "--level N", "any whole number",
        "-m, --module PATH", "load it (repeatable)", "--note TEXT", "may be empty",
        "--version", "print the version", "-h, --help", "print this help", "The end."
    };
    for (size_t index = 0; index < sizeof (expected) / sizeof (expected [0]); index++)
        cr_expect (strstr (text, expected [index]), "no '%s' in:\n%s", expected [index], text);
    //  Continuation lines start at the help column
    const char *second = strstr (text, "second line of help");
    const char *first = strstr (text, "where to go");
    cr_assert (first && second);
    const char *first_line = first;
    while (first_line > text && first_line [-1] != '\n')
        first_line--;
    cr_expect_eq (first - first_line, second - (strchr (first, '\n') + 1));
    free (text);
    zaf_flags_release (&spec);
}

Test (flags, short_help, .init = cr_redirect_stdout)
{
    options_t options = { .count = 3 };
    zaf_flag_t flags [8];
    zaf_flags_spec_t spec = s_spec (&options, flags, true);
    int status = -1;
    cr_assert_eq (s_parse (&spec, &status, "word", "-h", NULL), -1);
    cr_expect_eq (status, 0);
    fflush (stdout);
    char *text = s_read (cr_get_redirected_stdout ());
    cr_expect (strstr (text, "Usage: testprog"), "%s", text);
    free (text);
    zaf_flags_release (&spec);
}

Test (flags, version, .init = cr_redirect_stdout)
{
    options_t options = { .count = 3 };
    zaf_flag_t flags [8];
    zaf_flags_spec_t spec = s_spec (&options, flags, false);
    int status = -1;
    cr_assert_eq (s_parse (&spec, &status, "--version", NULL), -1);
    cr_expect_eq (status, 0);
    fflush (stdout);
    char *text = s_read (cr_get_redirected_stdout ());
    cr_expect_str_eq (text, "testprog 9.8.7\n");
    free (text);
}

Test (flags, no_version_flag_without_a_version, .init = cr_redirect_stderr)
{
    options_t options = { .count = 3 };
    zaf_flag_t flags [8];
    zaf_flags_spec_t spec = s_spec (&options, flags, false);
    spec.version = NULL;
    int status = -1;
    cr_assert_eq (s_parse (&spec, &status, "--version", NULL), -1);
    cr_expect_eq (status, ZAF_FLAGS_EXIT_USAGE);
    char *text = s_stderr ();
    cr_expect (strstr (text, "unknown option '--version'"), "%s", text);
    free (text);
}
