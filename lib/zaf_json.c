/*  =========================================================================
    zaf_json - JSON helpers and error objects

    See zaf_json.h. Also holds the public error helpers (zaf_code_name,
    zaf_error_set) and the public JSON helpers (zaf_json, zaf_arg_*), since
    they are the same small job: turning values into JSON and back.
    =========================================================================
*/

#include "zaf_classes.h"

static const char *s_code_names [ZAF_CODE_COUNT] = {
    "OK", "TIMEOUT", "ACTOR_DIED", "NO_SUCH_ACTOR", "NO_SUCH_CLASS",
    "NO_SUCH_METHOD", "NO_SUCH_FUNCTION", "NO_SUCH_NODE", "BAD_ARGS",
    "METHOD_FAILED", "NODE_LOST", "BROKER_LOST", "NAME_TAKEN", "PROTOCOL",
    "OVERLOADED", "UNAUTHORIZED", "INTERRUPTED"
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
//  Parse bounded bytes as JSON

//  Return true if brackets nest no deeper than ZAF_JSON_DEPTH_MAX. cJSON
//  parses recursively; actor threads have small stacks, so hostile nesting
//  is refused before it reaches the parser.
static bool
s_depth_ok (const char *data, size_t size)
{
    int depth = 0;
    bool in_string = false;
    for (size_t index = 0; index < size; index++) {
        char c = data [index];
        if (in_string) {
            if (c == '\\')
                index++;
            else
            if (c == '"')
                in_string = false;
        }
        else
        if (c == '"')
            in_string = true;
        else
        if (c == '[' || c == '{') {
            if (++depth > ZAF_JSON_DEPTH_MAX)
                return false;
        }
        else
        if (c == ']' || c == '}')
            depth--;
    }
    return true;
}

cJSON *
zaf_json_parse (const char *data, size_t size)
{
    if (!data || size == 0 || !s_depth_ok (data, size))
        return NULL;
    const char *end = NULL;
    cJSON *json = cJSON_ParseWithLengthOpts (data, size, &end, false);
    if (json && end) {
        //  Only trailing whitespace may follow the value
        while (end < data + size && isspace ((unsigned char) *end))
            end++;
        if (end != data + size) {
            cJSON_Delete (json);
            json = NULL;
        }
    }
    return json;
}

//  --------------------------------------------------------------------------
//  Typed getters

const char *
zaf_json_string (const cJSON *object, const char *key, const char *def)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive (object, key);
    return cJSON_IsString (item) ? item->valuestring : def;
}

double
zaf_json_number (const cJSON *object, const char *key, double def)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive (object, key);
    return cJSON_IsNumber (item) ? item->valuedouble : def;
}

int
zaf_json_int (const cJSON *object, const char *key, int def)
{
    double value = zaf_json_number (object, key, def);
    if (value > INT_MAX)
        return INT_MAX;
    if (value < INT_MIN)
        return INT_MIN;
    return (int) value;
}

bool
zaf_json_bool (const cJSON *object, const char *key, bool def)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive (object, key);
    return cJSON_IsBool (item) ? cJSON_IsTrue (item) : def;
}

bool
zaf_json_is_string_array (const cJSON *json)
{
    if (!cJSON_IsArray (json))
        return false;
    const cJSON *item;
    cJSON_ArrayForEach (item, json)
        if (!cJSON_IsString (item))
            return false;
    return true;
}

//  --------------------------------------------------------------------------
//  Error objects

char *
zaf_json_error_print (zaf_code_t code, const char *message)
{
    cJSON *json = cJSON_CreateObject ();
    cJSON_AddStringToObject (json, "code", zaf_code_name (code));
    cJSON_AddStringToObject (json, "message", message ? message : "");
    char *text = cJSON_PrintUnformatted (json);
    cJSON_Delete (json);
    return text;
}

void
zaf_json_error_parse (const char *data, size_t size, zaf_error_t *err)
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

//  --------------------------------------------------------------------------
//  Build JSON from a printf format

cJSON *
zaf_json (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *text = zsys_vprintf (format, args);
    va_end (args);
    if (!text)
        return NULL;
    cJSON *json = zaf_json_parse (text, strlen (text));
    if (!json)
        zsys_error ("zaf_json: not valid JSON: %.200s", text);
    zstr_free (&text);
    return json;
}

//  --------------------------------------------------------------------------
//  Positional argument getters

double
zaf_arg_number (const cJSON *args, int index, double def)
{
    const cJSON *item = cJSON_IsArray (args)? cJSON_GetArrayItem (args, index): NULL;
    return cJSON_IsNumber (item) ? item->valuedouble : def;
}

const char *
zaf_arg_string (const cJSON *args, int index, const char *def)
{
    const cJSON *item = cJSON_IsArray (args)? cJSON_GetArrayItem (args, index): NULL;
    return cJSON_IsString (item) ? item->valuestring : def;
}
