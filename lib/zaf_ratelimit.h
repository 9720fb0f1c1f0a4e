/*  =========================================================================
    zaf_ratelimit - a budget for log lines about bad input

    A hostile peer must not be able to flood the log. Each engine keeps one
    of these: at most `per_second` warnings pass in any one-second window;
    when a new window opens, one line says how many were held back. Not
    thread-safe: one per thread.
    =========================================================================
*/

#ifndef ZAF_RATELIMIT_H_INCLUDED
#define ZAF_RATELIMIT_H_INCLUDED

typedef struct _zaf_ratelimit_t zaf_ratelimit_t;

//  Create a budget of per_second lines a second; module names the engine
//  in the "suppressed" line.
zaf_ratelimit_t *
    zaf_ratelimit_new (const char *module, size_t per_second);

//  Destroy the budget.
void
    zaf_ratelimit_destroy (zaf_ratelimit_t **self_p);

//  Log a warning if the budget allows, else count it as suppressed.
//  Returns true if it was logged.
bool
    zaf_ratelimit_warn (zaf_ratelimit_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  How many warnings have been held back in all.
size_t
    zaf_ratelimit_suppressed (zaf_ratelimit_t *self);

#endif
