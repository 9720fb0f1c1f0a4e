/*  =========================================================================
    zaf_deadline - the deadline a call carries, and what it means here

    A CALL, TELL or SUBMIT may carry a deadline (zaf_call_opts_t); the
    codec keeps it on this process's clock (zaf_proto_deadline) and writes
    the time left into the envelope options at every hop. This file stamps
    the deadline on a request as it is made (the caller's own, or the
    smaller time left of the call being served: propagation) and says
    whether a request is past it, for the runtime to answer TIMEOUT
    instead of running it. It also writes the retry options that travel
    with a SUBMIT (max_task_retries, retry_on) or a SPAWN (max_call_retries,
    retry_on).
    =========================================================================
*/

#ifndef ZAF_DEADLINE_H_INCLUDED
#define ZAF_DEADLINE_H_INCLUDED

//  Set the deadline of a request z is about to send: timeout_ms from now
//  (0: none), or the deadline of the request z serves if that comes first.
void
    zaf_deadline_stamp (zaf_t *z, zaf_proto_t *request, int timeout_ms);

//  Why call options are not acceptable, or NULL if they are (or are NULL).
const char *
    zaf_deadline_check (const zaf_call_opts_t *opts);

//  Write a task's retry options (max_task_retries, retry_on) and its
//  placement (resources, labels, affinity, strategy) into the envelope
//  options of a SUBMIT (nothing if opts asks for none). Returns 0, or -1
//  and fills err (BAD_ARGS) if the placement strings are malformed.
int
    zaf_deadline_retries (zaf_proto_t *request, const zaf_call_opts_t *opts, zaf_error_t *err);

//  Write an actor's call retry options (max_call_retries, retry_on) into
//  SPAWN options. Returns 0, or -1 with err set (BAD_ARGS) if retry_on
//  has bits other than ZAF_RETRY_NODE_LOST and ZAF_RETRY_METHOD_FAILED.
int
    zaf_deadline_spawn_retries (const zaf_spawn_opts_t *opts, cJSON *options, zaf_error_t *err);

//  True if the request has a deadline and it has passed.
bool
    zaf_deadline_passed (zaf_proto_t *request);

//  The deadline of the request a context serves (0: none, or nothing
//  served).
int64_t
    zaf_deadline_of (zaf_t *z);

#endif
