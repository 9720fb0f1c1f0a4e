/*  =========================================================================
    zaf_supervisor - supervisors as ordinary actors, after OTP

    Any actor can hold a supervisor: it starts children (spawned through
    the actor's own connection, so the actor owns them and they die with
    it), watches each with zaf_monitor_notify on the runtime method
    "zaf.supervisor.down", and restarts them by its strategy when one ends
    for any reason but "normal":

        one_for_one     only the child that ended
        one_for_all     every child (the others are killed first)
        rest_for_one    the child that ended and those started after it

    Restarts are bounded by an intensity: more than `intensity` restarts
    within `period_ms` and the supervisor gives up, ends every child and
    ends its own actor with reason "restart_limit", so that its owner or
    its own supervisor decides what happens next.

    A restarted child is a new actor (a new id): ask the supervisor for the
    current handle with zaf_supervisor_child.
    =========================================================================
*/

#include "zaf_classes.h"

#define ZAF_SUPERVISOR_DOWN  ZAF_CONTEXT_HOOK_PREFIX "supervisor.down"

typedef struct {
    char *cls;                  //  Class to spawn
    cJSON *args;                //  Constructor arguments (kept for restarts)
    char *node;                 //  Spawn options we keep (node pin, name,
    char *name;                 //  placement and concurrency)
    char *resources;
    char *labels;
    char *affinity;
    char *strategy;
    int max_concurrency;
    zaf_actor_t *handle;        //  Owning handle of the current incarnation
    bool stopping;              //  We are ending it: its notice is expected
} child_t;

struct _zaf_supervisor_t {
    zaf_t *z;                   //  The actor's connection (borrowed)
    zaf_strategy_t strategy;
    int intensity;              //  Restarts allowed within period_ms
    int period_ms;
    zlistx_t *children;         //  child_t, in start order
    int64_t *restarts_at;       //  Ring of the last `intensity + 1` restart times
    size_t restarts;            //  Restarts done in all
    bool given_up;
};

static void s_on_down (void *arg, zaf_t *z, const cJSON *args);

//  Destroy a child's record; destroying the owning handle kills the child,
//  without waiting (a supervisor destroyed while its actor is being stopped
//  must not wait on answers that may never come)
static void
s_child_destroy (child_t **child_p)
{
    child_t *child = *child_p;
    if (!child)
        return;
    zaf_actor_destroy (&child->handle);
    free (child->cls);
    free (child->node);
    free (child->name);
    free (child->resources);
    free (child->labels);
    free (child->affinity);
    free (child->strategy);
    cJSON_Delete (child->args);
    free (child);
    *child_p = NULL;
}

zaf_supervisor_t *
zaf_supervisor_new (zaf_t *z, zaf_strategy_t strategy, int intensity, int period_ms)
{
    assert (z);
    if (!zaf_self (z) || intensity < 0 || period_ms <= 0
    ||  strategy < ZAF_ONE_FOR_ONE || strategy > ZAF_REST_FOR_ONE)
        return NULL;
    zaf_supervisor_t *self = (zaf_supervisor_t *) zmalloc (sizeof (zaf_supervisor_t));
    assert (self);
    self->z = z;
    self->strategy = strategy;
    self->intensity = intensity;
    self->period_ms = period_ms;
    self->children = zlistx_new ();
    self->restarts_at = (int64_t *) calloc ((size_t) intensity + 1, sizeof (int64_t));
    assert (self->restarts_at);
    zaf_context_set_hook (zaf_context (z), ZAF_SUPERVISOR_DOWN, s_on_down, self);
    return self;
}

void
zaf_supervisor_destroy (zaf_supervisor_t **self_p)
{
    assert (self_p);
    zaf_supervisor_t *self = *self_p;
    if (!self)
        return;
    zaf_context_set_hook (zaf_context (self->z), ZAF_SUPERVISOR_DOWN, NULL, NULL);
    //  Children end in the reverse order of their start, as in OTP
    child_t *child;
    while ((child = (child_t *) zlistx_last (self->children))) {
        zlistx_detach_cur (self->children);
        s_child_destroy (&child);
    }
    zlistx_destroy (&self->children);
    free (self->restarts_at);
    free (self);
    *self_p = NULL;
}

//  Spawn (or spawn again) one child and watch it. Returns 0 or -1.
static int
s_child_spawn (zaf_supervisor_t *self, child_t *child, zaf_error_t *err)
{
    zaf_spawn_opts_t opts = {
        .node = child->node, .name = child->name, .resources = child->resources,
        .labels = child->labels, .affinity = child->affinity, .strategy = child->strategy,
        .max_concurrency = child->max_concurrency
    };
    child->handle = zaf_spawn (self->z, child->cls, cJSON_Duplicate (child->args, true),
                               &opts, err);
    if (!child->handle)
        return -1;
    child->stopping = false;
    if (zaf_monitor_notify (self->z, child->handle, ZAF_SUPERVISOR_DOWN, err)) {
        zaf_actor_destroy (&child->handle);
        return -1;
    }
    return 0;
}

int
zaf_supervisor_start_child (zaf_supervisor_t *self, const char *cls, cJSON *args,
                            const zaf_spawn_opts_t *opts, zaf_error_t *err)
{
    assert (self);
    child_t *child = (child_t *) zmalloc (sizeof (child_t));
    assert (child);
    child->cls = strdup (cls ? cls : "");
    child->args = args ? args : cJSON_CreateArray ();
    child->node = opts && opts->node ? strdup (opts->node) : NULL;
    child->name = opts && opts->name ? strdup (opts->name) : NULL;
    child->resources = opts && opts->resources ? strdup (opts->resources) : NULL;
    child->labels = opts && opts->labels ? strdup (opts->labels) : NULL;
    child->affinity = opts && opts->affinity ? strdup (opts->affinity) : NULL;
    child->strategy = opts && opts->strategy ? strdup (opts->strategy) : NULL;
    child->max_concurrency = opts ? opts->max_concurrency : 0;
    if (self->given_up) {
        zaf_error_set (err, ZAF_ACTOR_DIED, "this supervisor has given up");
        s_child_destroy (&child);
        return -1;
    }
    if (s_child_spawn (self, child, err)) {
        s_child_destroy (&child);
        return -1;
    }
    zlistx_add_end (self->children, child);
    return (int) zlistx_size (self->children) - 1;
}

zaf_actor_t *
zaf_supervisor_child (zaf_supervisor_t *self, size_t index)
{
    assert (self);
    size_t position = 0;
    for (child_t *child = (child_t *) zlistx_first (self->children); child;
         child = (child_t *) zlistx_next (self->children), position++)
        if (position == index)
            return child->handle;
    return NULL;
}

size_t
zaf_supervisor_size (zaf_supervisor_t *self)
{
    assert (self);
    return zlistx_size (self->children);
}

size_t
zaf_supervisor_restarts (zaf_supervisor_t *self)
{
    assert (self);
    return self->restarts;
}

//  Count a restart; false if it goes past the intensity
static bool
s_may_restart (zaf_supervisor_t *self)
{
    int64_t now = zclock_mono ();
    //  restarts_at holds the last intensity + 1 times, oldest at restarts % n
    size_t slots = (size_t) self->intensity + 1;
    self->restarts_at [self->restarts % slots] = now;
    self->restarts++;
    if (self->restarts <= (size_t) self->intensity)
        return true;
    int64_t oldest = self->restarts_at [self->restarts % slots];
    return now - oldest > self->period_ms;
}

//  End one child on purpose (its notice will say "killed")
static void
s_child_stop (zaf_supervisor_t *self, child_t *child)
{
    if (!child->handle)
        return;
    child->stopping = true;
    zaf_kill (self->z, child->handle, NULL);
    zaf_actor_destroy (&child->handle);
}

static void
s_give_up (zaf_supervisor_t *self)
{
    self->given_up = true;
    zsys_warning ("zaf_supervisor: actor=%s gives up after %zu restarts in %d ms",
                  zaf_actor_id (zaf_self (self->z)), self->restarts, self->period_ms);
    for (child_t *child = (child_t *) zlistx_last (self->children); child;
         child = (child_t *) zlistx_prev (self->children))
        s_child_stop (self, child);
    zaf_exit (self->z, "restart_limit");
}

//  A watched child ended: {"actor": id, "reason": r}
//  True if the strategy takes down (and brings back) the child at
//  `position` when the child at `ended_at` ended
static bool
s_affected (zaf_supervisor_t *self, bool is_ended, size_t position, size_t ended_at)
{
    return is_ended
        || self->strategy == ZAF_ONE_FOR_ALL
        || (self->strategy == ZAF_REST_FOR_ONE && position > ended_at);
}

static void
s_on_down (void *arg, zaf_t *z, const cJSON *args)
{
    zaf_supervisor_t *self = (zaf_supervisor_t *) arg;
    const cJSON *notice = cJSON_GetArrayItem (args, 0);
    const char *id = zaf_json_string (notice, "actor", "");
    const char *reason = zaf_json_string (notice, "reason", "");
    if (self->given_up)
        return;
    //  Find the child: a notice about an incarnation we replaced, or one we
    //  stopped on purpose, is old news
    child_t *ended = NULL;
    size_t position = 0, found_at = 0;
    for (child_t *child = (child_t *) zlistx_first (self->children); child;
         child = (child_t *) zlistx_next (self->children), position++)
        if (child->handle && streq (zaf_actor_id (child->handle), id)) {
            ended = child;
            found_at = position;
        }
    if (!ended || ended->stopping)
        return;
    //  Its handle names a dead actor now (destroying it sends a kill the
    //  broker ignores)
    zaf_actor_destroy (&ended->handle);
    if (streq (reason, "normal"))
        return;                 //  It finished its work: not restarted
    if (!s_may_restart (self)) {
        s_give_up (self);
        return;
    }
    //  Which children go down and come back, in start order
    position = 0;
    for (child_t *child = (child_t *) zlistx_first (self->children); child;
         child = (child_t *) zlistx_next (self->children), position++)
        if (child != ended && s_affected (self, child == ended, position, found_at))
            s_child_stop (self, child);
    position = 0;
    for (child_t *child = (child_t *) zlistx_first (self->children); child;
         child = (child_t *) zlistx_next (self->children), position++) {
        if (!s_affected (self, child == ended, position, found_at) || child->handle)
            continue;
        zaf_error_t err;
        if (s_child_spawn (self, child, &err)) {
            zsys_warning ("zaf_supervisor: cannot restart a %s child: %s", child->cls,
                          err.message);
            s_give_up (self);
            return;
        }
    }
}
