/*  =========================================================================
    test_error - error codes and the error object on the wire

    The error object round trip for every zaf_code_t, printing edge cases
    (no message, unknown code, messages past ZAF_ERROR_MESSAGE_MAX),
    parsing unknown codes and garbage (always ZAF_PROTOCOL with a message
    saying why, never a crash), code names both ways, and zaf_error_set /
    zaf_error_clear. Pure functions: no sockets, no threads.
    =========================================================================
*/

#include "testutil.h"
#include <criterion/criterion.h>

//  Every code's wire name, from zaf.h and DESIGN.md, in enum order
static const char *s_names [] = {
    "OK", "TIMEOUT", "ACTOR_DIED", "NO_SUCH_ACTOR", "NO_SUCH_CLASS",
    "NO_SUCH_METHOD", "NO_SUCH_FUNCTION", "NO_SUCH_NODE", "BAD_ARGS",
    "METHOD_FAILED", "NODE_LOST", "BROKER_LOST", "NAME_TAKEN", "PROTOCOL",
    "OVERLOADED", "UNAUTHORIZED", "INTERRUPTED", "CANCELLED", "NO_RESOURCES"
};
_Static_assert (sizeof (s_names) / sizeof (s_names [0]) == ZAF_CODE_COUNT,
                "one name per code");

Test (error, error_round_trip_every_code)
{
    for (int code = 0; code < ZAF_CODE_COUNT; code++) {
        char message [64];
        snprintf (message, sizeof (message), "message for %s \"quoted\"\n", s_names [code]);
        char *text = zaf_error_print ((zaf_code_t) code, message);
        cr_assert_not_null (text);

        //  The object is exactly {"code", "message"}
        cJSON *json = cJSON_Parse (text);
        cr_assert_not_null (json, "%s", text);
        cr_assert_eq (cJSON_GetArraySize (json), 2);
        cr_assert_str_eq (zaf_json_string (json, "code", ""), s_names [code]);
        cr_assert_str_eq (zaf_json_string (json, "message", ""), message);
        cJSON_Delete (json);

        zaf_error_t err = { ZAF_OK, "" };
        zaf_error_parse (text, strlen (text), &err);
        cr_assert_eq (err.code, (zaf_code_t) code, "%s came back as %s",
                      s_names [code], zaf_code_name (err.code));
        cr_assert_str_eq (err.message, message);
        free (text);
    }
}

Test (error, error_print_edge_cases)
{
    //  No message is an empty one
    char *text = zaf_error_print (ZAF_TIMEOUT, NULL);
    zaf_error_t err;
    zaf_error_parse (text, strlen (text), &err);
    cr_assert_eq (err.code, ZAF_TIMEOUT);
    cr_assert_str_eq (err.message, "");
    free (text);

    //  A code out of range prints as UNKNOWN, which reads back as PROTOCOL
    text = zaf_error_print (ZAF_CODE_COUNT, "odd");
    cJSON *json = cJSON_Parse (text);
    cr_assert_str_eq (zaf_json_string (json, "code", ""), "UNKNOWN");
    cJSON_Delete (json);
    zaf_error_parse (text, strlen (text), &err);
    cr_assert_eq (err.code, ZAF_PROTOCOL);
    free (text);

    //  A long message is cut to fit, still a valid string
    char long_text [1000];
    memset (long_text, 'x', sizeof (long_text) - 1);
    long_text [sizeof (long_text) - 1] = 0;
    text = zaf_error_print (ZAF_METHOD_FAILED, long_text);
    zaf_error_parse (text, strlen (text), &err);
    cr_assert_eq (err.code, ZAF_METHOD_FAILED);
    cr_assert_eq (strlen (err.message), ZAF_ERROR_MESSAGE_MAX - 1);
    free (text);
}

Test (error, error_parse_unknown_code)
{
    const char *text = "{\"code\":\"NO_SUCH_THING\",\"message\":\"it broke\"}";
    zaf_error_t err;
    zaf_error_parse (text, strlen (text), &err);
    cr_assert_eq (err.code, ZAF_PROTOCOL);
    cr_assert_not_null (strstr (err.message, "NO_SUCH_THING"), "message: %s", err.message);
    cr_assert_not_null (strstr (err.message, "it broke"), "message: %s", err.message);

    //  Lower case is not a known name
    text = "{\"code\":\"timeout\",\"message\":\"\"}";
    zaf_error_parse (text, strlen (text), &err);
    cr_assert_eq (err.code, ZAF_PROTOCOL);
    cr_assert_not_null (strstr (err.message, "timeout"), "message: %s", err.message);

    //  A genuine PROTOCOL error keeps its own message
    text = "{\"code\":\"PROTOCOL\",\"message\":\"bad frame\"}";
    zaf_error_parse (text, strlen (text), &err);
    cr_assert_eq (err.code, ZAF_PROTOCOL);
    cr_assert_str_eq (err.message, "bad frame");

    //  A huge unknown name does not overflow the message
    char *huge = (char *) malloc (5001);
    memset (huge, 'Q', 5000);
    huge [5000] = 0;
    char *object = zsys_sprintf ("{\"code\":\"%s\",\"message\":\"m\"}", huge);
    zaf_error_parse (object, strlen (object), &err);
    cr_assert_eq (err.code, ZAF_PROTOCOL);
    cr_assert_lt (strlen (err.message), ZAF_ERROR_MESSAGE_MAX);
    cr_assert_not_null (strstr (err.message, "QQQQ"));
    zstr_free (&object);
    free (huge);

    //  Without a message member, the message is empty
    text = "{\"code\":\"NAME_TAKEN\"}";
    zaf_error_parse (text, strlen (text), &err);
    cr_assert_eq (err.code, ZAF_NAME_TAKEN);
    cr_assert_str_eq (err.message, "");
}

Test (error, error_parse_garbage)
{
    const char *texts [] = {
        "", "not json", "{", "{}", "[]", "null", "\"TIMEOUT\"", "{\"code\":5}",
        "{\"code\":null,\"message\":\"m\"}", "{\"message\":\"no code\"}",
        "[\"code\",\"TIMEOUT\"]", "{\"code\":\"TIMEOUT\"} trailing"
    };
    for (size_t index = 0; index < sizeof (texts) / sizeof (texts [0]); index++) {
        zaf_error_t err = { ZAF_OK, "" };
        char *buffer = (char *) malloc (strlen (texts [index]) + 1);
        memcpy (buffer, texts [index], strlen (texts [index]));
        zaf_error_parse (buffer, strlen (texts [index]), &err);
        cr_assert_eq (err.code, ZAF_PROTOCOL, "'%s' gave %s", texts [index], zaf_code_name (err.code));
        cr_assert_str_neq (err.message, "", "'%s' gave no message", texts [index]);
        free (buffer);
    }
    //  NULL data and NULL err are survivable
    zaf_error_t err;
    zaf_error_parse (NULL, 0, &err);
    cr_assert_eq (err.code, ZAF_PROTOCOL);
    zaf_error_parse ("{\"code\":\"TIMEOUT\"}", 18, NULL);
    zaf_error_parse ("junk", 4, NULL);
}

Test (error, code_names)
{
    for (int code = 0; code < ZAF_CODE_COUNT; code++) {
        cr_assert_str_eq (zaf_code_name ((zaf_code_t) code), s_names [code]);
        cr_assert_eq (zaf_code_from_name (s_names [code]), (zaf_code_t) code, "%s", s_names [code]);
    }
    cr_assert_str_eq (zaf_code_name (ZAF_CODE_COUNT), "UNKNOWN");
    cr_assert_str_eq (zaf_code_name ((zaf_code_t) 1000), "UNKNOWN");
    cr_assert_str_eq (zaf_code_name ((zaf_code_t) -1), "UNKNOWN");

    cr_assert_eq (zaf_code_from_name ("UNKNOWN"), ZAF_PROTOCOL);
    cr_assert_eq (zaf_code_from_name ("ok"), ZAF_PROTOCOL);
    cr_assert_eq (zaf_code_from_name (""), ZAF_PROTOCOL);
    cr_assert_eq (zaf_code_from_name ("TIMEOUT "), ZAF_PROTOCOL);
    cr_assert_eq (zaf_code_from_name (NULL), ZAF_PROTOCOL);
}

Test (error, error_set_and_clear)
{
    zaf_error_t err;
    zaf_error_set (&err, ZAF_NODE_LOST, "node %s lost after %d ms", "n1", 3000);
    cr_assert_eq (err.code, ZAF_NODE_LOST);
    cr_assert_str_eq (err.message, "node n1 lost after 3000 ms");

    //  Long messages are cut to the buffer, NUL-terminated
    char long_text [2000];
    memset (long_text, 'y', sizeof (long_text) - 1);
    long_text [sizeof (long_text) - 1] = 0;
    zaf_error_set (&err, ZAF_BAD_ARGS, "%s%s", long_text, long_text);
    cr_assert_eq (err.code, ZAF_BAD_ARGS);
    cr_assert_eq (strlen (err.message), ZAF_ERROR_MESSAGE_MAX - 1);
    cr_assert_eq (strspn (err.message, "y"), ZAF_ERROR_MESSAGE_MAX - 1);

    //  Exactly the longest that fits
    char fits [ZAF_ERROR_MESSAGE_MAX];
    memset (fits, 'z', sizeof (fits) - 1);
    fits [sizeof (fits) - 1] = 0;
    zaf_error_set (&err, ZAF_TIMEOUT, "%s", fits);
    cr_assert_str_eq (err.message, fits);

    zaf_error_clear (&err);
    cr_assert_eq (err.code, ZAF_OK);
    cr_assert_str_eq (err.message, "");

    //  NULL is allowed
    zaf_error_set (NULL, ZAF_TIMEOUT, "nobody %s", "listens");
    zaf_error_clear (NULL);
}

