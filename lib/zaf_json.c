/*  =========================================================================
    zaf_json - JSON helpers: bounded parsing, typed getters, a fast printer

    See zaf_json.h. Also holds the public JSON helpers (zaf_json,
    zaf_arg_*): the same small job of turning values into JSON and back.
    Pure functions, safe from any thread.
    =========================================================================
*/

#include "zaf_classes.h"
#include <math.h>

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

//  --------------------------------------------------------------------------
//  Printing: compact JSON, as cJSON_PrintUnformatted, faster. Numbers are
//  the cost: integers are written digit by digit, other doubles with the
//  shortest of %.15g and %.17g that reads back exactly (cJSON scans each
//  number back with sscanf, which costs more than printing it).

typedef struct {
    char *data;
    size_t size;                //  Bytes used
    size_t room;                //  Bytes allocated
} buffer_t;

static bool
s_reserve (buffer_t *buffer, size_t more)
{
    if (buffer->size + more + 1 <= buffer->room)
        return true;
    size_t room = buffer->room ? buffer->room : 256;
    while (room < buffer->size + more + 1)
        room *= 2;
    char *data = (char *) realloc (buffer->data, room);
    if (!data)
        return false;
    buffer->data = data;
    buffer->room = room;
    return true;
}

static bool
s_append (buffer_t *buffer, const char *text, size_t size)
{
    if (!s_reserve (buffer, size))
        return false;
    memcpy (buffer->data + buffer->size, text, size);
    buffer->size += size;
    return true;
}

//  Most doubles people send have a few decimals (0.1, 2.75, 1234.5678). If
//  value is exactly the double nearest to m / 10^k for a whole m and some
//  k up to 9, write m with a decimal point: the shortest such k reads back
//  exactly (m and 10^k are exact doubles, and IEEE division rounds to the
//  nearest). Returns the length written to text, or 0 to print otherwise.
static int
s_short_decimal (double value, char *text)
{
    static const double powers [] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9 };
    double magnitude = fabs (value);
    if (magnitude < 1e-4 || magnitude >= 1e15)
        return 0;
    for (int k = 1; k <= 9; k++) {
        double scaled = nearbyint (value * powers [k]);
        if (fabs (scaled) >= 1e15)
            return 0;
        if (scaled / powers [k] != value)
            continue;
        //  Digits of |scaled|, then the point k places from the right
        uint64_t rest = (uint64_t) fabs (scaled);
        char digits [24];
        int count = 0;
        do {
            digits [count++] = (char) ('0' + rest % 10);
            rest /= 10;
        } while (rest);
        while (count <= k)
            digits [count++] = '0';         //  0.05: at least one whole digit
        int size = 0;
        if (value < 0)
            text [size++] = '-';
        while (count > k)
            text [size++] = digits [--count];
        text [size++] = '.';
        while (count)
            text [size++] = digits [--count];
        return size;
    }
    return 0;
}

static bool
s_print_number (buffer_t *buffer, double value)
{
    char text [32];
    int size;
    if (!isfinite (value))
        return s_append (buffer, "null", 4);
    //  Range first: converting a double beyond int64_t is undefined
    if (value < 1e15 && value > -1e15 && value == (double) (int64_t) value) {
        //  Whole numbers: digits, no printf
        int64_t whole = (int64_t) value;
        char digits [24];
        int count = 0;
        uint64_t rest = whole < 0 ? (uint64_t) (-whole) : (uint64_t) whole;
        do {
            digits [count++] = (char) ('0' + rest % 10);
            rest /= 10;
        } while (rest);
        size = 0;
        if (whole < 0)
            text [size++] = '-';
        while (count)
            text [size++] = digits [--count];
    }
    else
    if ((size = s_short_decimal (value, text)) == 0) {
        size = snprintf (text, sizeof (text), "%.15g", value);
        if (strtod (text, NULL) != value)
            size = snprintf (text, sizeof (text), "%.17g", value);
    }
    return s_append (buffer, text, (size_t) size);
}

static bool
s_print_string (buffer_t *buffer, const char *string)
{
    static const char hex [] = "0123456789abcdef";
    if (!string)
        string = "";
    size_t length = strlen (string);
    if (!s_reserve (buffer, length + 2))
        return false;
    buffer->data [buffer->size++] = '"';
    const unsigned char *at = (const unsigned char *) string;
    while (*at) {
        //  Runs of plain bytes go in one copy
        const unsigned char *start = at;
        while (*at >= 0x20 && *at != '"' && *at != '\\')
            at++;
        if (at > start && !s_append (buffer, (const char *) start, (size_t) (at - start)))
            return false;
        if (!*at)
            break;
        char escape [6] = { '\\', 0 };
        size_t size = 2;
        switch (*at) {
            case '"':  escape [1] = '"'; break;
            case '\\': escape [1] = '\\'; break;
            case '\b': escape [1] = 'b'; break;
            case '\f': escape [1] = 'f'; break;
            case '\n': escape [1] = 'n'; break;
            case '\r': escape [1] = 'r'; break;
            case '\t': escape [1] = 't'; break;
            default:
                escape [1] = 'u'; escape [2] = '0'; escape [3] = '0';
                escape [4] = hex [*at >> 4]; escape [5] = hex [*at & 15];
                size = 6;
        }
        if (!s_append (buffer, escape, size))
            return false;
        at++;
    }
    return s_append (buffer, "\"", 1);
}

static bool
s_print_value (buffer_t *buffer, const cJSON *item, int depth)
{
    if (depth > ZAF_JSON_DEPTH_MAX * 8)
        return false;           //  Deeper than anyone sends; refuse, not crash
    switch (item->type & 0xff) {
        case cJSON_NULL:    return s_append (buffer, "null", 4);
        case cJSON_False:   return s_append (buffer, "false", 5);
        case cJSON_True:    return s_append (buffer, "true", 4);
        case cJSON_Number:  return s_print_number (buffer, item->valuedouble);
        case cJSON_String:  return s_print_string (buffer, item->valuestring);
        case cJSON_Raw:
            return item->valuestring
                 ? s_append (buffer, item->valuestring, strlen (item->valuestring))
                 : false;
        case cJSON_Array:
        case cJSON_Object: {
            bool object = (item->type & 0xff) == cJSON_Object;
            if (!s_append (buffer, object ? "{" : "[", 1))
                return false;
            for (const cJSON *child = item->child; child; child = child->next) {
                if (child != item->child && !s_append (buffer, ",", 1))
                    return false;
                if (object && (!s_print_string (buffer, child->string)
                           ||  !s_append (buffer, ":", 1)))
                    return false;
                if (!s_print_value (buffer, child, depth + 1))
                    return false;
            }
            return s_append (buffer, object ? "}" : "]", 1);
        }
        default:
            return false;
    }
}

char *
zaf_json_print (const cJSON *json, size_t *size_p)
{
    buffer_t buffer = { NULL, 0, 0 };
    if (!json || !s_print_value (&buffer, json, 0)) {
        free (buffer.data);
        return NULL;
    }
    buffer.data [buffer.size] = 0;
    if (size_p)
        *size_p = buffer.size;
    return buffer.data;
}

