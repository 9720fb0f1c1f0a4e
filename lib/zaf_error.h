/*  =========================================================================
    zaf_error - error codes and error values

    zaf_error_t and the code enum are public (zaf.h: zaf_code_name,
    zaf_code_from_name, zaf_error_set, zaf_error_clear). This header adds
    the wire form of an error: the JSON object a REPLY, SPAWNED or ERROR
    carries when its status is "error".
    =========================================================================
*/

#ifndef ZAF_ERROR_H_INCLUDED
#define ZAF_ERROR_H_INCLUDED

//  Print an error object {"code", "message"} into a new string the caller
//  frees with cJSON_free.
char *
    zaf_error_print (zaf_code_t code, const char *message);

//  Fill err from an error object's bytes (not NUL-terminated). Unknown or
//  unreadable objects become ZAF_PROTOCOL with a message saying so.
void
    zaf_error_parse (const char *data, size_t size, zaf_error_t *err);

//  Older names, until every caller says zaf_error_print / zaf_error_parse
#define zaf_error_print zaf_error_print
#define zaf_error_parse zaf_error_parse

#endif
