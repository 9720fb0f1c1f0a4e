/*  =========================================================================
    zaf_cancel - cancelled calls, as a process sees them

    zaf_cancel (zaf.h) ends a future at once with CANCELLED and sends
    CANCEL (caller, corr) for it; the broker ends the flight without an
    answer and passes the CANCEL on to the node the call went to. The node
    marks the call here, in a table the whole process shares (actor and
    worker threads read it): a marked call that has not started is
    answered CANCELLED and never runs; a running one sees zaf_cancelled.
    Marks are by (caller, corr), the request's key at the node, and are
    forgotten when the call ends, or after ZAF_CANCEL_KEEP_MS if it never
    comes. Safe from any thread.
    =========================================================================
*/

#ifndef ZAF_CANCEL_H_INCLUDED
#define ZAF_CANCEL_H_INCLUDED

#define ZAF_CANCEL_KEEP_MS  60000   //  How long a mark waits for its call

//  Mark the request with this caller and corr cancelled (recursive: the
//  calls it makes are cancelled too).
void
    zaf_cancel_mark (const void *caller, size_t caller_size, const void *corr,
                     size_t corr_size, bool recursive);

//  True if the request (CALL or SUBMIT) is marked cancelled; *recursive
//  (may be NULL) says how.
bool
    zaf_cancel_marked (zaf_proto_t *request, bool *recursive);

//  The request has ended: drop its mark, if any.
void
    zaf_cancel_forget (zaf_proto_t *request);

//  Inside a method that waits on calls it made: if the request it serves
//  was cancelled with recursive, cancel every call and task this
//  connection still waits on. Cheap when nothing was cancelled.
void
    zaf_cancel_nested (zaf_t *z);

#endif
