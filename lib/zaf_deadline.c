/*  =========================================================================
    zaf_deadline - the deadline a call carries, and what it means here

    Deadlines are absolute times on this process's zclock_mono, held by
    the message (zaf_proto_deadline); across processes they travel as the
    time left, so no two clocks are ever compared.
    =========================================================================
*/

#include "zaf_classes.h"

int64_t
zaf_deadline_of (zaf_t *z)
{
    zaf_context_t *context = z ? zaf_context (z) : NULL;
    zaf_proto_t *serving = context ? zaf_context_request (context) : NULL;
    return serving ? zaf_proto_deadline (serving) : 0;
}

void
zaf_deadline_stamp (zaf_t *z, zaf_proto_t *request, int timeout_ms)
{
    assert (request);
    int64_t deadline = timeout_ms > 0 ? zclock_mono () + timeout_ms : 0;
    int64_t inherited = zaf_deadline_of (z);
    if (inherited && (!deadline || inherited < deadline))
        deadline = inherited;
    zaf_proto_set_deadline (request, deadline);
}

const char *
zaf_deadline_check (const zaf_call_opts_t *opts)
{
    if (opts && (opts->timeout_ms < 0 || opts->timeout_ms > ZAF_PROTO_TIMEOUT_MAX))
        return "timeout_ms must be from 0 to 86400000 (0: no deadline)";
    if (opts && (opts->max_task_retries < 0 || opts->max_task_retries > ZAF_TASK_RETRIES_MAX
                 || (opts->retry_on & ~(ZAF_RETRY_NODE_LOST | ZAF_RETRY_METHOD_FAILED))))
        return "max_task_retries must be from 0 to 100, retry_on a mix of ZAF_RETRY_NODE_LOST and ZAF_RETRY_METHOD_FAILED";
    return NULL;
}

int
zaf_deadline_retries (zaf_proto_t *request, const zaf_call_opts_t *opts, zaf_error_t *err)
{
    if (!opts)
        return 0;
    cJSON *options = cJSON_CreateObject ();
    if (opts->max_task_retries > 0 && opts->retry_on) {
        cJSON_AddNumberToObject (options, "max_task_retries", opts->max_task_retries);
        cJSON *reasons = cJSON_AddArrayToObject (options, "retry_on");
        if (opts->retry_on & ZAF_RETRY_NODE_LOST)
            cJSON_AddItemToArray (reasons, cJSON_CreateString ("node_lost"));
        if (opts->retry_on & ZAF_RETRY_METHOD_FAILED)
            cJSON_AddItemToArray (reasons, cJSON_CreateString ("method_failed"));
    }
    //  Placement, in the same members as a SPAWN's options (zaf_resources)
    if (zaf_demand_strings (opts->resources, opts->labels, opts->affinity, opts->strategy,
                            options, err)) {
        cJSON_Delete (options);
        return -1;
    }
    if (cJSON_GetArraySize (options) > 0) {
        size_t size;
        char *text = zaf_json_print (options, &size);
        zaf_proto_set_options (request, text, size);
        free (text);
    }
    cJSON_Delete (options);
    return 0;
}

int
zaf_deadline_spawn_retries (const zaf_spawn_opts_t *opts, cJSON *options, zaf_error_t *err)
{
    if (!opts)
        return 0;
    if (opts->retry_on & ~(ZAF_RETRY_NODE_LOST | ZAF_RETRY_METHOD_FAILED)) {
        zaf_error_set (err, ZAF_BAD_ARGS,
                       "retry_on must be a mix of ZAF_RETRY_NODE_LOST and ZAF_RETRY_METHOD_FAILED");
        return -1;
    }
    if (opts->max_call_retries)
        cJSON_AddNumberToObject (options, "max_call_retries", opts->max_call_retries);
    if (opts->retry_on) {
        cJSON *reasons = cJSON_AddArrayToObject (options, "retry_on");
        if (opts->retry_on & ZAF_RETRY_NODE_LOST)
            cJSON_AddItemToArray (reasons, cJSON_CreateString ("node_lost"));
        if (opts->retry_on & ZAF_RETRY_METHOD_FAILED)
            cJSON_AddItemToArray (reasons, cJSON_CreateString ("method_failed"));
    }
    return 0;
}

bool
zaf_deadline_passed (zaf_proto_t *request)
{
    int64_t deadline = zaf_proto_deadline (request);
    return deadline && zclock_mono () >= deadline;
}

int
zaf_deadline_ms (zaf_t *self)
{
    int64_t deadline = zaf_deadline_of (self);
    if (!deadline)
        return -1;
    int64_t left = deadline - zclock_mono ();
    return left > 0 ? (int) (left < INT_MAX ? left : INT_MAX) : 0;
}

zaf_future_t *
zaf_call_opts (zaf_t *self, zaf_actor_t *actor, const char *method, cJSON *args,
               const zaf_call_opts_t *opts)
{
    return zaf_client_call (self, actor, method, args, NULL, 0, opts);
}

zaf_future_t *
zaf_submit_opts (zaf_t *self, const char *function, cJSON *args, const zaf_call_opts_t *opts)
{
    return zaf_client_submit (self, function, args, NULL, 0, opts);
}
