/*  =========================================================================
    zaf_proto_envelope - the envelope options of CALL, TELL and SUBMIT

    The optional options frame of a request carries {"timeout_ms": N} (the
    time left before its deadline when it was sent) and members the codec
    passes on unchanged (a task's retries and placement). On receive the codec turns
    timeout_ms into a deadline on this process's clock; on send it writes
    the time left now. docs/PROTOCOL.md sections 2 and 9.7.
    =========================================================================
*/

#include "zaf_classes.h"

//  Turn the envelope options into a deadline. Returns 0, or -1 with why
//  the options are malformed in fault.
int
zaf_proto_envelope_take (zaf_proto_t *self, char *fault, size_t fault_size)
{
    size_t size;
    const char *text = zaf_proto_options (self, &size);
    cJSON *options = zaf_json_parse (text, size);
    int rc = 0;
    if (!cJSON_IsObject (options)) {
        snprintf (fault, fault_size, "options must be a JSON object");
        rc = -1;
    }
    else {
        const cJSON *timeout = cJSON_GetObjectItemCaseSensitive (options, "timeout_ms");
        if (timeout && (!cJSON_IsNumber (timeout) || timeout->valuedouble < 0
                        || timeout->valuedouble > ZAF_PROTO_TIMEOUT_MAX)) {
            snprintf (fault, fault_size, "options timeout_ms must be a number from 0 to %d",
                      ZAF_PROTO_TIMEOUT_MAX);
            rc = -1;
        }
        else
        if (timeout)
            //  0 ms left: it had passed already; keep it in the past
            zaf_proto_set_deadline (self, zclock_mono () + (int64_t) timeout->valuedouble
                                        - (timeout->valuedouble < 1 ? 1 : 0));
    }
    cJSON_Delete (options);
    return rc;
}

//  Write the envelope options of a request about to be sent: the time
//  left before its deadline, and the other members it had. Returns true
//  if the frame must go: there is something to say, or the body is itself
//  a JSON object (which the receiver could not tell from options without
//  a frame before it).
bool
zaf_proto_envelope_put (zaf_proto_t *self)
{
    size_t size;
    const char *text = zaf_proto_options (self, &size);
    cJSON *options = size ? zaf_json_parse (text, size) : NULL;
    if (!cJSON_IsObject (options)) {
        cJSON_Delete (options);
        options = cJSON_CreateObject ();
    }
    cJSON_DeleteItemFromObjectCaseSensitive (options, "timeout_ms");
    int64_t deadline = zaf_proto_deadline (self);
    if (deadline) {
        int64_t left = deadline - zclock_mono ();
        cJSON_AddNumberToObject (options, "timeout_ms", (double) (left > 0 ? left : 0));
    }
    const char *body = zaf_proto_body (self, &size);
    bool object_body = size && body [0] == '{';
    bool send = cJSON_GetArraySize (options) > 0 || object_body;
    if (send) {
        char *printed = zaf_json_print (options, &size);
        zaf_proto_set_options (self, printed, size);
        free (printed);
    }
    else
        zaf_proto_set_options (self, NULL, 0);
    cJSON_Delete (options);
    return send;
}
