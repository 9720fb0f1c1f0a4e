/*  =========================================================================
    zaf_error - error codes and error values

    A failure is a value: zaf_error_t, a code from the wire's list plus a
    message saying what happened and where. This file owns the list of
    code names and the error object that travels on the wire,
    {"code":"ACTOR_DIED","message":"..."}. Pure functions: safe from any
    thread.
    =========================================================================
*/

#include "zaf_classes.h"

static const char *s_code_names [ZAF_CODE_COUNT] = {
    "OK", "TIMEOUT", "ACTOR_DIED", "NO_SUCH_ACTOR", "NO_SUCH_CLASS",
    "NO_SUCH_METHOD", "NO_SUCH_FUNCTION", "NO_SUCH_NODE", "BAD_ARGS",
    "METHOD_FAILED", "NODE_LOST", "BROKER_LOST", "NAME_TAKEN", "PROTOCOL",
    "OVERLOADED", "UNAUTHORIZED", "INTERRUPTED", "CANCELLED", "NO_RESOURCES"
};

//  --------------------------------------------------------------------------
//  Return the wire name of a code

const char *
zaf_code_name (zaf_code_t code)
{
    if ((int) code < 0 || code >= ZAF_CODE_COUNT)
        return "UNKNOWN";
    return s_code_names [code];
}

//  --------------------------------------------------------------------------
//  Return the code for a wire name

zaf_code_t
zaf_code_from_name (const char *name)
{
    if (name)
        for (int code = 0; code < ZAF_CODE_COUNT; code++)
            if (streq (name, s_code_names [code]))
                return (zaf_code_t) code;
    return ZAF_PROTOCOL;
}

//  --------------------------------------------------------------------------
//  Fill an error

void
zaf_error_set (zaf_error_t *err, zaf_code_t code, const char *format, ...)
{
    if (!err)
        return;
    err->code = code;
    va_list args;
    va_start (args, format);
    vsnprintf (err->message, sizeof (err->message), format, args);
    va_end (args);
}

//  --------------------------------------------------------------------------
//  Reset an error

void
zaf_error_clear (zaf_error_t *err)
{
    if (err) {
        err->code = ZAF_OK;
        err->message [0] = 0;
    }
}

//  --------------------------------------------------------------------------
//  Error objects

char *
zaf_error_print (zaf_code_t code, const char *message)
{
    cJSON *json = cJSON_CreateObject ();
    cJSON_AddStringToObject (json, "code", zaf_code_name (code));
    cJSON_AddStringToObject (json, "message", message ? message : "");
    char *text = cJSON_PrintUnformatted (json);
    cJSON_Delete (json);
    return text;
}

void
zaf_error_parse (const char *data, size_t size, zaf_error_t *err)
{
    cJSON *json = zaf_json_parse (data, size);
    const char *code = zaf_json_string (json, "code", NULL);
    if (code) {
        zaf_error_set (err, zaf_code_from_name (code), "%s",
                       zaf_json_string (json, "message", ""));
        if (err && err->code == ZAF_PROTOCOL && strneq (code, "PROTOCOL"))
            zaf_error_set (err, ZAF_PROTOCOL, "unknown error code %.40s: %s",
                           code, zaf_json_string (json, "message", ""));
    }
    else
        zaf_error_set (err, ZAF_PROTOCOL, "unreadable error object (%zu bytes)", size);
    cJSON_Delete (json);
}

