/*  =========================================================================
    fuzz_json - the JSON decoders on any bytes

    zaf_json_parse (bounded, no NUL needed, depth-limited) and what reads
    its trees: the typed getters the broker uses on HELLO bodies, SPAWN
    options and STATUS requests, the error-object decoder (zaf_error_parse)
    and zaf_escape on every string found. A tree that parses must print
    (zaf_json_print and cJSON's printer agree) and parse again.
    =========================================================================
*/

#include "zaf_classes.h"
#include "fuzz.h"

//  Read a tree as the broker reads control bodies, and escape its strings
static void
s_walk (const cJSON *json, int depth)
{
    static const char *keys [] = {
        "name", "host", "pid", "cpus", "classes", "functions", "session", "actors", "owns",
        "node", "detached", "get_if_exists", "max_restarts", "max_call_retries", "limit",
        "offset", "reason", "code", "message", "id", "class", "parent", "options", "args"
    };
    for (size_t index = 0; index < sizeof (keys) / sizeof (keys [0]); index++) {
        zaf_json_string (json, keys [index], NULL);
        zaf_json_number (json, keys [index], 0);
        zaf_json_int (json, keys [index], 0);
        zaf_json_bool (json, keys [index], false);
        zaf_json_is_string_array (cJSON_GetObjectItemCaseSensitive (json, keys [index]));
    }
    if (cJSON_IsString (json)) {
        char escaped [256];
        zaf_escape (json->valuestring, escaped, sizeof (escaped));
        for (const char *scan = escaped; *scan; scan++)
            assert (*scan >= 0x20 && *scan <= 0x7e);
        zaf_registry_name_valid (json->valuestring);
    }
    const cJSON *item;
    if (depth < 8)
        cJSON_ArrayForEach (item, json)
            s_walk (item, depth + 1);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    zaf_error_t err;
    zaf_error_parse ((const char *) data, size, &err);
    assert (strlen (err.message) < sizeof (err.message));
    assert (zaf_code_name (err.code));

    cJSON *json = zaf_json_parse ((const char *) data, size);
    if (!json)
        return 0;
    s_walk (json, 0);
    size_t printed_size = 0;
    char *printed = zaf_json_print (json, &printed_size);
    assert (printed);
    assert (strlen (printed) == printed_size);
    cJSON *again = zaf_json_parse (printed, printed_size);
    assert (again);
    char *reference = cJSON_PrintUnformatted (again);
    assert (reference);
    cJSON_free (reference);
    cJSON_Delete (again);
    free (printed);
    cJSON_Delete (json);
    return 0;
}
