/*  =========================================================================
    test_json - JSON helpers

    Covers zaf_json_parse as the one entry for network bytes: buffers that
    are not NUL-terminated (each test copies its text into a malloc'd
    buffer of exactly its size, so valgrind and ASan see any read past the
    end), trailing garbage and whitespace, the nesting limit at and beyond
    ZAF_JSON_DEPTH_MAX, brackets inside strings. Then the typed getters,
    the printf builder zaf_json and the positional zaf_arg_*.
    Pure functions: no sockets, no threads.
    =========================================================================
*/

#include "testutil.h"
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>

//  Parse `size` bytes of text from a buffer holding exactly those bytes,
//  with no NUL after them
static cJSON *
s_parse (const char *text, size_t size)
{
    char *buffer = (char *) malloc (size ? size : 1);
    cr_assert_not_null (buffer);
    memcpy (buffer, text, size);
    cJSON *json = zaf_json_parse (buffer, size);
    free (buffer);
    return json;
}

static cJSON *
s_parse_str (const char *text)
{
    return s_parse (text, strlen (text));
}

//  Return a new string of `depth` opening brackets, a value, and the
//  matching closing brackets
static char *
s_nested (const char *open, const char *value, const char *close, size_t depth)
{
    size_t open_size = strlen (open);
    size_t close_size = strlen (close);
    size_t size = depth * (open_size + close_size) + strlen (value);
    char *text = (char *) malloc (size + 1);
    cr_assert_not_null (text);
    char *cursor = text;
    for (size_t level = 0; level < depth; level++, cursor += open_size)
        memcpy (cursor, open, open_size);
    strcpy (cursor, value);
    cursor += strlen (value);
    for (size_t level = 0; level < depth; level++, cursor += close_size)
        memcpy (cursor, close, close_size);
    *cursor = 0;
    return text;
}

//  A parse run on a thread of its own
typedef struct {
    char *text;                 //  NUL-terminated input
    bool parsed;                //  Result: did it give a tree
} parse_job_t;

static void *
s_parse_job (void *args)
{
    parse_job_t *job = (parse_job_t *) args;
    cJSON *json = zaf_json_parse (job->text, strlen (job->text));
    job->parsed = json != NULL;
    cJSON_Delete (json);
    return NULL;
}

//  --------------------------------------------------------------------------
//  zaf_json_parse

Test (json, parse_bounded_buffers)
{
    //  Only `size` bytes count: what follows in memory is not read
    cJSON *json = zaf_json_parse ("12345", 3);
    cr_assert (cJSON_IsNumber (json));
    cr_assert_eq (json->valuedouble, 123);
    cJSON_Delete (json);

    json = zaf_json_parse ("[1,2]]]]", 5);
    cr_assert (cJSON_IsArray (json));
    cr_assert_eq (cJSON_GetArraySize (json), 2);
    cJSON_Delete (json);

    json = zaf_json_parse ("\"abc\"def\"", 5);
    cr_assert (cJSON_IsString (json));
    cr_assert_str_eq (json->valuestring, "abc");
    cJSON_Delete (json);

    //  Every kind of value, each in an exact-size buffer
    const char *values [] = {
        "0", "-1.5e3", "true", "false", "null", "\"\"", "\"\\u00e9\\n\"",
        "[]", "{}", "{\"a\":[1,{\"b\":null}]}", "  [ 1 , 2 ]"
    };
    for (size_t index = 0; index < sizeof (values) / sizeof (values [0]); index++) {
        json = s_parse_str (values [index]);
        cr_assert_not_null (json, "'%s' should parse", values [index]);
        cJSON_Delete (json);
    }
}

Test (json, parse_refuses_truncated_values)
{
    //  Values cut short at the end of the buffer are refused, without
    //  reading past it
    const char *cut [] = {
        "tru", "fals", "nul", "\"abc", "\"abc\\", "\"\\u00", "[1,", "[1", "{\"a\":",
        "{\"a\"", "{", "[", "-", "1e", "\xef\xbb\xbf"
    };
    for (size_t index = 0; index < sizeof (cut) / sizeof (cut [0]); index++) {
        cJSON *json = s_parse_str (cut [index]);
        cr_assert_null (json, "'%s' should be refused", cut [index]);
    }
}

Test (json, parse_empty_input)
{
    cr_assert_null (zaf_json_parse ("", 0));
    cr_assert_null (zaf_json_parse ("null", 0));
    cr_assert_null (zaf_json_parse (NULL, 0));
    cr_assert_null (zaf_json_parse (NULL, 10));
    cr_assert_null (s_parse_str (" "));
    cr_assert_null (s_parse_str ("\n\t "));
}

Test (json, parse_refuses_trailing_garbage)
{
    const char *texts [] = {
        "{} x", "[1] [2]", "1 2", "{}}", "[]]", "\"a\"\"b\"", "nullx", "true,",
        "{}\x00", "0 /* comment */"
    };
    size_t sizes [] = { 4, 7, 3, 3, 3, 6, 5, 5, 3, 15 };
    for (size_t index = 0; index < sizeof (texts) / sizeof (texts [0]); index++) {
        cJSON *json = s_parse (texts [index], sizes [index]);
        cr_assert_null (json, "text #%zu should be refused", index);
    }
}

Test (json, parse_accepts_trailing_whitespace)
{
    const char *texts [] = { "{} ", "[1]\n", "1\t", "\"a\"\r\n", "null \n\t\r ", "  {}  " };
    for (size_t index = 0; index < sizeof (texts) / sizeof (texts [0]); index++) {
        cJSON *json = s_parse_str (texts [index]);
        cr_assert_not_null (json, "text #%zu should parse", index);
        cJSON_Delete (json);
    }
}

Test (json, parse_depth_at_limit)
{
    //  Arrays, objects and a mix, each exactly ZAF_JSON_DEPTH_MAX deep
    char *text = s_nested ("[", "1", "]", ZAF_JSON_DEPTH_MAX);
    cJSON *json = s_parse_str (text);
    cr_assert_not_null (json, "arrays %d deep should parse", ZAF_JSON_DEPTH_MAX);
    cJSON_Delete (json);
    free (text);

    text = s_nested ("{\"a\":", "1", "}", ZAF_JSON_DEPTH_MAX);
    json = s_parse_str (text);
    cr_assert_not_null (json, "objects %d deep should parse", ZAF_JSON_DEPTH_MAX);
    cJSON_Delete (json);
    free (text);

    text = s_nested ("[{\"k\":", "[]", "}]", ZAF_JSON_DEPTH_MAX / 2 - 1);
    json = s_parse_str (text);
    cr_assert_not_null (json, "a mix %d deep should parse", ZAF_JSON_DEPTH_MAX - 1);
    cJSON_Delete (json);
    free (text);

    //  Depth is nesting, not count: many brackets side by side are fine
    zchunk_t *chunk = zchunk_new (NULL, 0);
    zchunk_extend (chunk, "[", 1);
    for (int index = 0; index < 1000; index++)
        zchunk_extend (chunk, index ? ",[[]]" : "[[]]", index ? 5 : 4);
    zchunk_extend (chunk, "]", 1);
    json = s_parse ((const char *) zchunk_data (chunk), zchunk_size (chunk));
    cr_assert_not_null (json);
    cr_assert_eq (cJSON_GetArraySize (json), 1000);
    cJSON_Delete (json);
    zchunk_destroy (&chunk);
}

Test (json, parse_depth_over_limit)
{
    char *text = s_nested ("[", "1", "]", ZAF_JSON_DEPTH_MAX + 1);
    cr_assert_null (s_parse_str (text), "arrays %d deep should be refused", ZAF_JSON_DEPTH_MAX + 1);
    free (text);

    text = s_nested ("{\"a\":", "1", "}", ZAF_JSON_DEPTH_MAX + 1);
    cr_assert_null (s_parse_str (text), "objects %d deep should be refused", ZAF_JSON_DEPTH_MAX + 1);
    free (text);

    //  Deeper than the limit even when unbalanced and cut short
    text = s_nested ("[", "", "", ZAF_JSON_DEPTH_MAX + 1);
    cr_assert_null (s_parse_str (text));
    free (text);
}

Test (json, parse_hostile_depth)
{
    //  Deep enough to blow a small stack if it reached the parser
    size_t depth = 200000;
    char *text = s_nested ("[", "", "]", depth);
    cr_assert_null (s_parse_str (text));
    free (text);

    text = s_nested ("{\"a\":", "null", "}", depth);
    cr_assert_null (s_parse_str (text));
    free (text);

    //  Open brackets only, no closing ones
    text = s_nested ("[", "", "", depth);
    cr_assert_null (s_parse_str (text));
    free (text);

    //  On a thread with an actor's small stack: the deepest accepted
    //  nesting parses and the hostile one is refused
    parse_job_t jobs [] = {
        { s_nested ("[", "", "]", depth), false },
        { s_nested ("{\"a\":", "1", "}", ZAF_JSON_DEPTH_MAX), false },
    };
    for (size_t index = 0; index < 2; index++) {
        pthread_attr_t attr;
        pthread_attr_init (&attr);
        pthread_attr_setstacksize (&attr, ZAF_ACTOR_STACK_SIZE);
        pthread_t thread;
        cr_assert_eq (pthread_create (&thread, &attr, s_parse_job, &jobs [index]), 0);
        pthread_join (thread, NULL);
        pthread_attr_destroy (&attr);
        free (jobs [index].text);
    }
    cr_assert_not (jobs [0].parsed, "200000 deep parsed on a small stack");
    cr_assert (jobs [1].parsed, "%d deep refused on a small stack", ZAF_JSON_DEPTH_MAX);
}

Test (json, parse_brackets_in_strings_do_not_count)
{
    //  A string full of brackets, far more than the limit
    char *brackets = s_nested ("[{", "", "", 500);
    char *text = zsys_sprintf ("[\"%s\"]", brackets);
    cJSON *json = s_parse_str (text);
    cr_assert_not_null (json, "brackets in a string are text");
    cr_assert_str_eq (cJSON_GetArrayItem (json, 0)->valuestring, brackets);
    cJSON_Delete (json);
    zstr_free (&text);

    //  Same behind an escaped quote, and in a key
    text = zsys_sprintf ("[\"\\\"%s\"]", brackets);
    json = s_parse_str (text);
    cr_assert_not_null (json, "an escaped quote does not end the string");
    cJSON_Delete (json);
    zstr_free (&text);
    text = zsys_sprintf ("{\"%s\":1}", brackets);
    json = s_parse_str (text);
    cr_assert_not_null (json, "brackets in a key are text");
    cJSON_Delete (json);
    zstr_free (&text);

    //  A string with an escaped backslash ends at the next quote: the
    //  brackets after it count again
    char *nested = s_nested ("[", "", "]", ZAF_JSON_DEPTH_MAX);
    text = zsys_sprintf ("[\"\\\\\",%s]", nested);
    cr_assert_null (s_parse_str (text), "a string ending in \\\\ must not hide real brackets");
    zstr_free (&text);
    free (nested);

    //  At the limit with a bracketed string inside the deepest level
    char *deep = s_nested ("[", "\"]]]]{{{{\"", "]", ZAF_JSON_DEPTH_MAX);
    json = s_parse_str (deep);
    cr_assert_not_null (json);
    cJSON_Delete (json);
    free (deep);
    free (brackets);
}

Test (json, parse_binary_junk)
{
    //  Random bytes never crash the parser and are refused
    byte junk [4096];
    for (int round = 0; round < 200; round++) {
        size_t size = 1 + (size_t) (rand () % (int) sizeof (junk));
        for (size_t index = 0; index < size; index++)
            junk [index] = (byte) rand ();
        junk [0] = '[';                 //  Past the first byte, anything
        cJSON *json = s_parse ((const char *) junk, size);
        cJSON_Delete (json);
    }
    const byte nul_inside [] = { '"', 'a', 0x00, 'b', '"' };
    cJSON *json = s_parse ((const char *) nul_inside, sizeof (nul_inside));
    cJSON_Delete (json);
}

//  --------------------------------------------------------------------------
//  Typed getters

Test (json, typed_getters)
{
    cJSON *json = s_parse_str (
        "{\"s\":\"text\",\"n\":2.5,\"i\":42,\"t\":true,\"f\":false,\"z\":null,"
        "\"a\":[1],\"o\":{},\"big\":1e20,\"small\":-1e20,\"neg\":-3.9,\"S\":\"upper\"}");
    cr_assert_not_null (json);

    cr_assert_str_eq (zaf_json_string (json, "s", "def"), "text");
    cr_assert_str_eq (zaf_json_string (json, "S", "def"), "upper", "keys are case-sensitive");
    cr_assert_str_eq (zaf_json_string (json, "missing", "def"), "def");
    cr_assert_str_eq (zaf_json_string (json, "n", "def"), "def");
    cr_assert_str_eq (zaf_json_string (json, "z", "def"), "def");
    cr_assert_str_eq (zaf_json_string (json, "a", "def"), "def");
    cr_assert_null (zaf_json_string (json, "missing", NULL));

    cr_assert_eq (zaf_json_number (json, "n", -1), 2.5);
    cr_assert_eq (zaf_json_number (json, "i", -1), 42);
    cr_assert_eq (zaf_json_number (json, "s", -1), -1);
    cr_assert_eq (zaf_json_number (json, "t", -1), -1);
    cr_assert_eq (zaf_json_number (json, "z", -1), -1);
    cr_assert_eq (zaf_json_number (json, "missing", 7.5), 7.5);

    cr_assert_eq (zaf_json_int (json, "i", -1), 42);
    cr_assert_eq (zaf_json_int (json, "n", -1), 2);
    cr_assert_eq (zaf_json_int (json, "neg", 0), -3);
    cr_assert_eq (zaf_json_int (json, "big", 0), INT_MAX);
    cr_assert_eq (zaf_json_int (json, "small", 0), INT_MIN);
    cr_assert_eq (zaf_json_int (json, "s", 9), 9);
    cr_assert_eq (zaf_json_int (json, "missing", -9), -9);

    cr_assert_eq (zaf_json_bool (json, "t", false), true);
    cr_assert_eq (zaf_json_bool (json, "f", true), false);
    cr_assert_eq (zaf_json_bool (json, "i", true), true, "a number is not a boolean");
    cr_assert_eq (zaf_json_bool (json, "i", false), false);
    cr_assert_eq (zaf_json_bool (json, "s", false), false);
    cr_assert_eq (zaf_json_bool (json, "missing", true), true);

    //  Looking into a member that is not an object gives the default
    const cJSON *array = cJSON_GetObjectItem (json, "a");
    cr_assert_str_eq (zaf_json_string (array, "s", "def"), "def");
    cr_assert_eq (zaf_json_int (array, "0", 5), 5);
    cJSON_Delete (json);

    //  NULL objects give the default
    cr_assert_str_eq (zaf_json_string (NULL, "s", "def"), "def");
    cr_assert_eq (zaf_json_number (NULL, "n", 1.5), 1.5);
    cr_assert_eq (zaf_json_int (NULL, "i", 3), 3);
    cr_assert_eq (zaf_json_bool (NULL, "b", true), true);
}

Test (json, is_string_array)
{
    const char *yes [] = { "[]", "[\"a\"]", "[\"a\",\"\",\"c\"]" };
    const char *no [] = { "[1]", "[\"a\",1]", "[\"a\",null]", "[[\"a\"]]", "{}", "\"a\"", "null" };
    for (size_t index = 0; index < sizeof (yes) / sizeof (yes [0]); index++) {
        cJSON *json = s_parse_str (yes [index]);
        cr_assert (zaf_json_is_string_array (json), "%s", yes [index]);
        cJSON_Delete (json);
    }
    for (size_t index = 0; index < sizeof (no) / sizeof (no [0]); index++) {
        cJSON *json = s_parse_str (no [index]);
        cr_assert_not (zaf_json_is_string_array (json), "%s", no [index]);
        cJSON_Delete (json);
    }
    cr_assert_not (zaf_json_is_string_array (NULL));
}

//  --------------------------------------------------------------------------
//  Public JSON helpers

Test (json, printf_builder)
{
    cJSON *json = zaf_json ("[%d, \"%s\", %.1f, {\"k\": %s}]", 3, "x", 2.5, "true");
    cr_assert (cJSON_IsArray (json));
    cr_assert_eq (cJSON_GetArraySize (json), 4);
    cr_assert_eq (zaf_arg_number (json, 0, -1), 3);
    cr_assert_str_eq (zaf_arg_string (json, 1, ""), "x");
    cr_assert_eq (zaf_arg_number (json, 2, -1), 2.5);
    cr_assert (zaf_json_bool (cJSON_GetArrayItem (json, 3), "k", false));
    cJSON_Delete (json);

    json = zaf_json ("{}");
    cr_assert (cJSON_IsObject (json));
    cJSON_Delete (json);

    //  Invalid text is NULL (and logged)
    cr_assert_null (zaf_json ("[%d", 1));
    cr_assert_null (zaf_json ("{\"a\": %s}", "undefined"));
    cr_assert_null (zaf_json ("%s", "1 2"));
    cr_assert_null (zaf_json ("%s", ""));
    char *deep = s_nested ("[", "", "]", ZAF_JSON_DEPTH_MAX + 1);
    cr_assert_null (zaf_json ("%s", deep));
    free (deep);
}

Test (json, positional_arguments)
{
    cJSON *args = zaf_json ("[1.5, \"two\", null, [3], -7]");
    cr_assert_not_null (args);
    cr_assert_eq (zaf_arg_number (args, 0, 0), 1.5);
    cr_assert_eq (zaf_arg_number (args, 4, 0), -7);
    cr_assert_eq (zaf_arg_number (args, 1, 9), 9, "a string is not a number");
    cr_assert_eq (zaf_arg_number (args, 2, 9), 9);
    cr_assert_eq (zaf_arg_number (args, 3, 9), 9);
    cr_assert_eq (zaf_arg_number (args, 5, 9), 9, "past the end");
    cr_assert_eq (zaf_arg_number (args, -1, 9), 9, "negative index");

    cr_assert_str_eq (zaf_arg_string (args, 1, "def"), "two");
    cr_assert_str_eq (zaf_arg_string (args, 0, "def"), "def");
    cr_assert_str_eq (zaf_arg_string (args, 2, "def"), "def");
    cr_assert_str_eq (zaf_arg_string (args, 100, "def"), "def");
    cr_assert_str_eq (zaf_arg_string (args, -1, "def"), "def");
    cr_assert_null (zaf_arg_string (args, 0, NULL));
    cJSON_Delete (args);

    //  Only arrays have positions: an object with numeric-looking keys,
    //  a scalar and NULL give the default
    cJSON *object = zaf_json ("{\"0\": 5, \"1\": \"s\"}");
    cr_assert_eq (zaf_arg_number (object, 0, -1), -1);
    cr_assert_str_eq (zaf_arg_string (object, 1, "def"), "def");
    cJSON_Delete (object);
    cJSON *scalar = zaf_json ("5");
    cr_assert_eq (zaf_arg_number (scalar, 0, -1), -1);
    cJSON_Delete (scalar);
    cr_assert_eq (zaf_arg_number (NULL, 0, 4), 4);
    cr_assert_str_eq (zaf_arg_string (NULL, 0, "def"), "def");
}

//  --------------------------------------------------------------------------
//  zaf_json_print: compact JSON, read back to the same tree

static void
s_assert_prints (const char *text, const char *expected)
{
    cJSON *json = cJSON_Parse (text);
    cr_assert_not_null (json, "test input is JSON: %s", text);
    size_t size = 0;
    char *printed = zaf_json_print (json, &size);
    cr_assert_not_null (printed);
    cr_expect_eq (size, strlen (printed));
    cr_expect_str_eq (printed, expected ? expected : text);
    free (printed);
    cJSON_Delete (json);
}

Test (json, print_writes_compact_json)
{
    s_assert_prints ("[]", NULL);
    s_assert_prints ("{}", NULL);
    s_assert_prints ("null", NULL);
    s_assert_prints ("[true,false,null]", NULL);
    s_assert_prints ("{ \"a\" : [1, 2, {\"b\": \"c\"}] }", "{\"a\":[1,2,{\"b\":\"c\"}]}");
    s_assert_prints ("[0,-3,42,1e20,-1e-7,123456789012345]", "[0,-3,42,1e+20,-1e-07,123456789012345]");
    s_assert_prints ("[0.1,2.75,-1234.5678,0.05,0.0001]", NULL);
    //  Escapes: quote, backslash, control characters; UTF-8 passes through
    s_assert_prints ("[\"a\\\"b\\\\c\\n\\t\\u0001\"]", "[\"a\\\"b\\\\c\\n\\t\\u0001\"]");
    s_assert_prints ("[\"h\xc3\xa9llo\"]", NULL);
}

Test (json, print_numbers_read_back_exactly)
{
    //  Every double prints to text that reads back to the same double
    unsigned int seed = 42;
    for (int index = 0; index < 200000; index++) {
        double value = ldexp ((double) rand_r (&seed) - RAND_MAX / 2, -(int) (rand_r (&seed) % 40));
        if (index % 3 == 0)
            value = round (value * 1000) / 1000;
        if (index % 7 == 0)
            value *= 1e-9;
        cJSON *number = cJSON_CreateNumber (value);
        char *printed = zaf_json_print (number, NULL);
        cr_assert_not_null (printed);
        cr_assert_eq (strtod (printed, NULL), value, "%.17g printed as %s", value, printed);
        free (printed);
        cJSON_Delete (number);
    }
    //  Not finite: null, as cJSON does
    cJSON *array = cJSON_CreateArray ();
    cJSON_AddItemToArray (array, cJSON_CreateNumber (NAN));
    cJSON_AddItemToArray (array, cJSON_CreateNumber (INFINITY));
    char *printed = zaf_json_print (array, NULL);
    cr_expect_str_eq (printed, "[null,null]");
    free (printed);
    cJSON_Delete (array);
    cr_expect_null (zaf_json_print (NULL, NULL));
}
