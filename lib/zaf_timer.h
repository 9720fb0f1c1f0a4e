/*  =========================================================================
    zaf_timer - an actor's timers: tells of its own methods, later

    Each actor owns one zaf_timers_t, made by the actor runtime when the
    actor starts and destroyed before its destructor runs, so timers die
    with the actor and a restarted actor has only the timers its
    constructor sets again. Used only by the actor's own thread: the
    runtime asks how long it may wait (zaf_timers_timeout) and takes the
    timers that are due (zaf_timers_next_due) between two methods, and runs
    each as a TELL of the named method. A repeating timer's next deadline
    is its last deadline plus its interval, so the period does not drift;
    if the actor falls more than one interval behind, the ticks it missed
    are skipped rather than run back to back.
    =========================================================================
*/

#ifndef ZAF_TIMER_H_INCLUDED
#define ZAF_TIMER_H_INCLUDED

//  Timers one actor may hold at once
#define ZAF_TIMERS_MAX  1024

typedef struct _zaf_timers_t zaf_timers_t;

//  Create an empty timer set. Never NULL.
zaf_timers_t *
    zaf_timers_new (void);

//  Destroy the set and every timer in it (their args too). Nulls *self_p.
void
    zaf_timers_destroy (zaf_timers_t **self_p);

//  Add a timer: after delay_ms (and then every delay_ms if repeat) the
//  actor is told method (args). Takes args (NULL means []), also on
//  failure. Returns the timer id (> 0), or -1 with delay_ms < 0 (0 with
//  repeat), no method, or the set full.
int
    zaf_timers_add (zaf_timers_t *self, int delay_ms, bool repeat, const char *method,
                    cJSON *args);

//  Cancel a timer. Returns 0, or -1 if no timer has that id (it fired
//  once and is gone, or was cancelled).
int
    zaf_timers_cancel (zaf_timers_t *self, int timer_id);

//  How many timers are set.
size_t
    zaf_timers_size (zaf_timers_t *self);

//  How long until the earliest deadline, in ms (0 if one is due; -1 if
//  there is no timer): the longest the actor may wait for messages.
int
    zaf_timers_timeout (zaf_timers_t *self);

//  Take the next due timer: fill msg as a TELL of its method and args and
//  return true (a repeating timer is set again, a one-shot one is gone);
//  false if none is due.
bool
    zaf_timers_next_due (zaf_timers_t *self, zaf_proto_t *msg);

#endif
