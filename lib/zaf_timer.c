/*  =========================================================================
    zaf_timer - an actor's timers: tells of its own methods, later

    A small list kept in deadline order is enough: an actor holds a handful
    of timers, and the runtime looks only at the head. Deadlines are in
    microseconds of zclock_usecs (monotonic in czmq), so that a 10 ms
    period keeps its precision over many ticks. Runs in the actor's thread
    only.
    =========================================================================
*/

#include "zaf_classes.h"

typedef struct {
    int id;                     //  > 0, unique in the set
    int64_t deadline;           //  zclock_usecs when it is due
    int64_t interval;           //  usecs between ticks; 0: once
    char *method;
    char *args;                 //  JSON text
    size_t args_size;
} entry_t;

struct _zaf_timers_t {
    zlistx_t *timers;           //  entry_t, earliest deadline first
    int last_id;                //  Ids are never reused in one set
};

static void
s_timer_destroy (entry_t **self_p)
{
    entry_t *self = *self_p;
    if (self) {
        free (self->method);
        cJSON_free (self->args);
        free (self);
        *self_p = NULL;
    }
}

static int
s_timer_compare (const void *a, const void *b)
{
    int64_t da = ((const entry_t *) a)->deadline, db = ((const entry_t *) b)->deadline;
    return da < db ? -1 : da > db ? 1 : 0;
}

//  --------------------------------------------------------------------------
//  Constructor and destructor

zaf_timers_t *
zaf_timers_new (void)
{
    zaf_timers_t *self = (zaf_timers_t *) zmalloc (sizeof (zaf_timers_t));
    assert (self);
    self->timers = zlistx_new ();
    zlistx_set_destructor (self->timers, (zlistx_destructor_fn *) s_timer_destroy);
    zlistx_set_comparator (self->timers, s_timer_compare);
    return self;
}

void
zaf_timers_destroy (zaf_timers_t **self_p)
{
    assert (self_p);
    zaf_timers_t *self = *self_p;
    if (self) {
        zlistx_destroy (&self->timers);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Add, cancel

int
zaf_timers_add (zaf_timers_t *self, int delay_ms, bool repeat, const char *method,
                cJSON *args)
{
    assert (self);
    if (delay_ms < 0 || (repeat && delay_ms == 0) || !method || !*method
    ||  strlen (method) > ZAF_PROTO_ID_MAX
    ||  zlistx_size (self->timers) >= ZAF_TIMERS_MAX
    ||  (args && !cJSON_IsArray (args) && !cJSON_IsObject (args))) {
        cJSON_Delete (args);
        return -1;
    }
    entry_t *timer = (entry_t *) zmalloc (sizeof (entry_t));
    assert (timer);
    timer->id = ++self->last_id;
    timer->interval = repeat ? (int64_t) delay_ms * 1000 : 0;
    timer->deadline = zclock_usecs () + (int64_t) delay_ms * 1000;
    timer->method = strdup (method);
    timer->args = args ? cJSON_PrintUnformatted (args) : NULL;
    timer->args_size = timer->args ? strlen (timer->args) : 0;
    cJSON_Delete (args);
    zlistx_insert (self->timers, timer, false);
    return timer->id;
}

int
zaf_timers_cancel (zaf_timers_t *self, int timer_id)
{
    assert (self);
    entry_t *timer = (entry_t *) zlistx_first (self->timers);
    while (timer) {
        if (timer->id == timer_id) {
            zlistx_delete (self->timers, zlistx_cursor (self->timers));
            return 0;
        }
        timer = (entry_t *) zlistx_next (self->timers);
    }
    return -1;
}

size_t
zaf_timers_size (zaf_timers_t *self)
{
    assert (self);
    return zlistx_size (self->timers);
}

//  --------------------------------------------------------------------------
//  How long the actor may wait

int
zaf_timers_timeout (zaf_timers_t *self)
{
    assert (self);
    entry_t *head = (entry_t *) zlistx_head (self->timers);
    if (!head)
        return -1;
    int64_t left = head->deadline - zclock_usecs ();
    if (left <= 0)
        return 0;
    return (int) ((left + 999) / 1000);         //  Never wake before it
}

//  --------------------------------------------------------------------------
//  Take the next due timer as a TELL

bool
zaf_timers_next_due (zaf_timers_t *self, zaf_proto_t *msg)
{
    assert (self && msg);
    entry_t *head = (entry_t *) zlistx_first (self->timers);
    int64_t now = zclock_usecs ();
    if (!head || head->deadline > now)
        return false;
    void *handle = zlistx_cursor (self->timers);
    zaf_proto_reset (msg);
    zaf_proto_set_id (msg, ZAF_PROTO_TELL);
    zaf_proto_set_name (msg, head->method);
    if (head->args)
        zaf_proto_set_body (msg, head->args, head->args_size);
    else
        zaf_proto_set_body (msg, "[]", 2);
    if (head->interval) {
        head->deadline += head->interval;
        if (head->deadline <= now - head->interval)
            head->deadline = now + head->interval;  //  Skip what was missed
        zlistx_reorder (self->timers, handle, false);
    }
    else
        zlistx_delete (self->timers, handle);
    return true;
}

//  --------------------------------------------------------------------------
//  The public calls: the timers of the actor whose connection is z

int
zaf_timer (zaf_t *z, int delay_ms, bool repeat, const char *method, cJSON *args)
{
    zaf_timers_t *self = z ? zaf_context_timers (zaf_context (z)) : NULL;
    if (!self) {
        cJSON_Delete (args);
        return -1;
    }
    return zaf_timers_add (self, delay_ms, repeat, method, args);
}

int
zaf_timer_cancel (zaf_t *z, int timer_id)
{
    zaf_timers_t *self = z ? zaf_context_timers (zaf_context (z)) : NULL;
    return self ? zaf_timers_cancel (self, timer_id) : -1;
}
