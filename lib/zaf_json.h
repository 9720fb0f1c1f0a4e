/*  =========================================================================
    zaf_json - JSON helpers: bounded parsing, typed getters, a fast printer

    Typed getters with defaults and bounded parsing of network bytes. The
    only file that inspects cJSON trees raw for the rest of the library.
    Pure functions: safe from any thread.
    =========================================================================
*/

#ifndef ZAF_JSON_H_INCLUDED
#define ZAF_JSON_H_INCLUDED

//  Deepest nesting of arrays and objects we parse
#define ZAF_JSON_DEPTH_MAX 128

//  Parse `size` bytes (not NUL-terminated) as JSON. Returns a new tree the
//  caller owns, or NULL if the bytes are not one valid JSON value or nest
//  deeper than ZAF_JSON_DEPTH_MAX.
cJSON *
    zaf_json_parse (const char *data, size_t size);

//  Return the string member `key` of an object, or def.
const char *
    zaf_json_string (const cJSON *object, const char *key, const char *def);

//  Return the number member `key` of an object, or def.
double
    zaf_json_number (const cJSON *object, const char *key, double def);

//  Return the integer member `key` of an object (clamped to int), or def.
int
    zaf_json_int (const cJSON *object, const char *key, int def);

//  Return the boolean member `key` of an object, or def.
bool
    zaf_json_bool (const cJSON *object, const char *key, bool def);

//  Return true if the tree is an array whose items are all strings.
bool
    zaf_json_is_string_array (const cJSON *json);

//  Print a tree as compact JSON, as cJSON_PrintUnformatted does, but
//  faster: a new malloc'd string (free with free) and its length in
//  *size_p (may be NULL). Numbers that are not finite print as null.
//  Returns NULL if memory runs out or the tree is malformed.
char *
    zaf_json_print (const cJSON *json, size_t *size_p);

#endif
