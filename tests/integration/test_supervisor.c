/*  =========================================================================
    test_supervisor - zaf_supervisor strategies and intensity; zaf_exit
    and broker restarts of actors that end themselves as failed

    An embedded cluster with two classes of its own: Boss, an actor that
    holds a supervisor over N Fragile children, and Fragile, a child that
    can be told to end itself as failed ("die") or normally ("quit").
    =========================================================================
*/

#include "testutil.h"
#include <criterion/criterion.h>

//  --------------------------------------------------------------------------
//  Fragile: get, add (n), die (ends as failed), quit (ends normally)

typedef struct { double value; } fragile_t;

static void *
s_fragile_new (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    fragile_t *self = (fragile_t *) calloc (1, sizeof (fragile_t));
    return self;
}

static void
s_fragile_destroy (void *state)
{
    free (state);
}

static cJSON *
s_fragile_get (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    return cJSON_CreateNumber (((fragile_t *) state)->value);
}

static cJSON *
s_fragile_add (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    fragile_t *self = (fragile_t *) state;
    self->value += zaf_arg_number (args, 0, 1);
    return cJSON_CreateNumber (self->value);
}

static cJSON *
s_fragile_die (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    zaf_exit (z, "failed");
    return NULL;
}

static cJSON *
s_fragile_quit (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    zaf_exit (z, NULL);
    return NULL;
}

static const zaf_method_t s_fragile_methods [] = {
    { "get", s_fragile_get }, { "add", s_fragile_add },
    { "die", s_fragile_die }, { "quit", s_fragile_quit }, { NULL, NULL }
};
static const zaf_class_t s_fragile = {
    "Fragile", s_fragile_new, s_fragile_destroy, s_fragile_methods
};

//  --------------------------------------------------------------------------
//  Boss (strategy, intensity, period_ms, children): ids (), restarts ()

typedef struct { zaf_supervisor_t *supervisor; } boss_t;

static void *
s_boss_new (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    const char *name = zaf_arg_string (args, 0, "one_for_one");
    zaf_strategy_t strategy = streq (name, "one_for_all") ? ZAF_ONE_FOR_ALL
                            : streq (name, "rest_for_one") ? ZAF_REST_FOR_ONE : ZAF_ONE_FOR_ONE;
    boss_t *self = (boss_t *) calloc (1, sizeof (boss_t));
    self->supervisor = zaf_supervisor_new (z, strategy, (int) zaf_arg_number (args, 1, 3),
                                           (int) zaf_arg_number (args, 2, 5000));
    if (!self->supervisor) {
        zaf_error_set (err, ZAF_BAD_ARGS, "cannot make the supervisor");
        return self;
    }
    int children = (int) zaf_arg_number (args, 3, 3);
    for (int index = 0; index < children; index++)
        if (zaf_supervisor_start_child (self->supervisor, "Fragile", NULL, NULL, err) < 0)
            break;
    return self;
}

static void
s_boss_destroy (void *state)
{
    boss_t *self = (boss_t *) state;
    zaf_supervisor_destroy (&self->supervisor);
    free (self);
}

static cJSON *
s_boss_ids (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    boss_t *self = (boss_t *) state;
    cJSON *ids = cJSON_CreateArray ();
    for (size_t index = 0; index < zaf_supervisor_size (self->supervisor); index++) {
        zaf_actor_t *child = zaf_supervisor_child (self->supervisor, index);
        cJSON_AddItemToArray (ids, cJSON_CreateString (child ? zaf_actor_id (child) : ""));
    }
    return ids;
}

static cJSON *
s_boss_restarts (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    return cJSON_CreateNumber ((double) zaf_supervisor_restarts (((boss_t *) state)->supervisor));
}

static const zaf_method_t s_boss_methods [] = {
    { "ids", s_boss_ids }, { "restarts", s_boss_restarts }, { NULL, NULL }
};
static const zaf_class_t s_boss = { "Boss", s_boss_new, s_boss_destroy, s_boss_methods };

//  --------------------------------------------------------------------------

static zaf_t *s_z;

static void
s_setup (void)
{
    zsys_set_logstream (stderr);
    zaf_register_class (&s_fragile);
    zaf_register_class (&s_boss);
    s_z = zaf_init (NULL);
    cr_assert_not_null (s_z);
}

static void
s_teardown (void)
{
    zaf_shutdown (&s_z);
}

TestSuite (supervisor, .init = s_setup, .fini = s_teardown, .timeout = 60);

//  Call a method on the suite's driver; result or NULL with err
static cJSON *
s_call (zaf_actor_t *actor, const char *method, cJSON *args, zaf_error_t *err)
{
    return zt_call (s_z, actor, method, args, 10000, err);
}

static cJSON *
s_ids (zaf_actor_t *boss)
{
    zaf_error_t err;
    cJSON *ids = s_call (boss, "ids", NULL, &err);
    cr_assert_not_null (ids, "ids: %s", err.message);
    return ids;
}

//  A handle for child `index` in the boss's ids
static zaf_actor_t *
s_child (cJSON *ids, int index)
{
    return zt_actor_handle (cJSON_GetStringValue (cJSON_GetArrayItem (ids, index)));
}

//  A child slot of the boss no longer holds the id it held (the boss has
//  taken note of that child's end, whatever it did about it)
typedef struct {
    zaf_actor_t *boss;
    int index;
    const char *old;
} slot_wait_t;

static bool
s_slot_changed (void *arg)
{
    slot_wait_t *wait = (slot_wait_t *) arg;
    cJSON *ids = s_ids (wait->boss);
    const char *now = cJSON_GetStringValue (cJSON_GetArrayItem (ids, wait->index));
    bool changed = !now || strneq (now, wait->old);
    cJSON_Delete (ids);
    return changed;
}

//  A child slot of the boss holds a new child (a restart)
static bool
s_slot_refilled (void *arg)
{
    slot_wait_t *wait = (slot_wait_t *) arg;
    cJSON *ids = s_ids (wait->boss);
    const char *now = cJSON_GetStringValue (cJSON_GetArrayItem (ids, wait->index));
    bool refilled = now && *now && strneq (now, wait->old);
    cJSON_Delete (ids);
    return refilled;
}

//  Tell child `index` to die, then wait until the boss shows child ids
//  other than `before` for that child; return the new ids
static cJSON *
s_kill_child_and_wait (zaf_actor_t *boss, cJSON *before, int index)
{
    zaf_actor_t *child = s_child (before, index);
    zaf_error_t err;
    cJSON_Delete (s_call (child, "die", NULL, &err));
    zaf_actor_destroy (&child);
    slot_wait_t wait = { boss, index, cJSON_GetStringValue (cJSON_GetArrayItem (before, index)) };
    cr_assert (zt_wait_until (s_slot_refilled, &wait, 5000), "child %d was not restarted", index);
    return s_ids (boss);
}

static zaf_actor_t *
s_boss_spawn (const char *strategy, int intensity, int period_ms, int children)
{
    zaf_error_t err;
    zaf_actor_t *boss = zaf_spawn (s_z, "Boss",
                                   zaf_json ("[\"%s\", %d, %d, %d]", strategy, intensity,
                                             period_ms, children), NULL, &err);
    cr_assert_not_null (boss, "Boss: %s", err.message);
    return boss;
}

static bool
s_same (cJSON *a, cJSON *b, int index)
{
    return streq (cJSON_GetStringValue (cJSON_GetArrayItem (a, index)),
                  cJSON_GetStringValue (cJSON_GetArrayItem (b, index)));
}

Test (supervisor, one_for_one_restarts_only_the_child_that_failed)
{
    zaf_actor_t *boss = s_boss_spawn ("one_for_one", 3, 5000, 3);
    cJSON *before = s_ids (boss);
    //  Give child 2 some state: it must survive child 1's restart
    zaf_actor_t *third = s_child (before, 2);
    zaf_error_t err;
    cJSON_Delete (s_call (third, "add", zaf_json ("[5]"), &err));
    cJSON *after = s_kill_child_and_wait (boss, before, 1);
    cr_expect (s_same (before, after, 0));
    cr_expect_not (s_same (before, after, 1));
    cr_expect (s_same (before, after, 2));
    cJSON *value = s_call (third, "get", NULL, &err);
    cr_assert_not_null (value);
    cr_expect_eq (value->valueint, 5);
    cJSON_Delete (value);
    //  The new child answers
    zaf_actor_t *fresh = s_child (after, 1);
    value = s_call (fresh, "get", NULL, &err);
    cr_expect_not_null (value, "%s", err.message);
    cJSON_Delete (value);
    zaf_actor_destroy (&fresh);
    zaf_actor_destroy (&third);
    cJSON_Delete (before);
    cJSON_Delete (after);
    zaf_actor_destroy (&boss);
}

Test (supervisor, one_for_all_restarts_every_child)
{
    zaf_actor_t *boss = s_boss_spawn ("one_for_all", 3, 5000, 3);
    cJSON *before = s_ids (boss);
    cJSON *after = s_kill_child_and_wait (boss, before, 1);
    //  The others are replaced too (wait: they come back in order)
    slot_wait_t first = { boss, 0, cJSON_GetStringValue (cJSON_GetArrayItem (before, 0)) };
    slot_wait_t third = { boss, 2, cJSON_GetStringValue (cJSON_GetArrayItem (before, 2)) };
    zt_wait_until (s_slot_refilled, &first, 5000);
    zt_wait_until (s_slot_refilled, &third, 5000);
    cJSON_Delete (after);
    after = s_ids (boss);
    for (int index = 0; index < 3; index++)
        cr_expect_not (s_same (before, after, index), "child %d was restarted", index);
    //  The old ones are gone
    zaf_actor_t *old = s_child (before, 0);
    zaf_error_t err;
    cr_expect_null (s_call (old, "get", NULL, &err));
    cr_expect_eq (err.code, ZAF_ACTOR_DIED);
    zaf_actor_destroy (&old);
    cJSON_Delete (before);
    cJSON_Delete (after);
    zaf_actor_destroy (&boss);
}

Test (supervisor, rest_for_one_restarts_the_child_and_those_after_it)
{
    zaf_actor_t *boss = s_boss_spawn ("rest_for_one", 3, 5000, 3);
    cJSON *before = s_ids (boss);
    cJSON *after = s_kill_child_and_wait (boss, before, 1);
    slot_wait_t third = { boss, 2, cJSON_GetStringValue (cJSON_GetArrayItem (before, 2)) };
    zt_wait_until (s_slot_refilled, &third, 5000);
    cJSON_Delete (after);
    after = s_ids (boss);
    cr_expect (s_same (before, after, 0), "the child before it is untouched");
    cr_expect_not (s_same (before, after, 1));
    cr_expect_not (s_same (before, after, 2));
    cJSON_Delete (before);
    cJSON_Delete (after);
    zaf_actor_destroy (&boss);
}

Test (supervisor, past_its_intensity_the_supervisor_gives_up_with_restart_limit)
{
    //  At most 3 restarts in 5 s; the child fails on every call
    zaf_actor_t *boss = s_boss_spawn ("one_for_one", 3, 5000, 1);
    zaf_future_t *watch = zaf_monitor (s_z, boss);
    cJSON *ids = s_ids (boss);
    for (int failure = 0; failure < 3; failure++) {
        cJSON *next = s_kill_child_and_wait (boss, ids, 0);
        cJSON_Delete (ids);
        ids = next;
    }
    zaf_error_t err;
    cJSON *restarts = s_call (boss, "restarts", NULL, &err);
    cr_assert_not_null (restarts);
    cr_expect_eq (restarts->valueint, 3, "exactly 3 restarts");
    cJSON_Delete (restarts);
    //  The fourth failure within the period is one too many
    zaf_actor_t *last = s_child (ids, 0);
    cJSON_Delete (s_call (last, "die", NULL, &err));
    cJSON *why = zaf_get (s_z, &watch, 5000, &err);
    cr_assert_not_null (why, "the boss did not end: %s", err.message);
    cr_expect_str_eq (zaf_json_string (why, "reason", ""), "restart_limit");
    cJSON_Delete (why);
    cr_expect_null (s_call (boss, "ids", NULL, &err));
    cr_expect_eq (err.code, ZAF_ACTOR_DIED);
    cJSON_Delete (ids);
    zaf_actor_destroy (&last);
    zaf_actor_destroy (&boss);
}

Test (supervisor, a_child_that_ends_normally_is_not_restarted)
{
    zaf_actor_t *boss = s_boss_spawn ("one_for_all", 3, 5000, 2);
    cJSON *ids = s_ids (boss);
    zaf_actor_t *child = s_child (ids, 0);
    zaf_future_t *watch = zaf_monitor (s_z, child);
    zaf_error_t err;
    cJSON_Delete (s_call (child, "quit", NULL, &err));
    cJSON *why = zaf_get (s_z, &watch, 5000, &err);
    cr_assert_not_null (why);
    cr_expect_str_eq (zaf_json_string (why, "reason", ""), "normal");
    cJSON_Delete (why);
    slot_wait_t wait = { boss, 0, cJSON_GetStringValue (cJSON_GetArrayItem (ids, 0)) };
    cr_assert (zt_wait_until (s_slot_changed, &wait, 5000), "the boss did not see its child end");
    cJSON *after = s_ids (boss);
    cr_expect_str_eq (cJSON_GetStringValue (cJSON_GetArrayItem (after, 0)), "", "not restarted");
    cr_expect (s_same (ids, after, 1), "the sibling is untouched");
    cJSON *restarts = s_call (boss, "restarts", NULL, &err);
    cr_expect_eq (restarts->valueint, 0);
    cJSON_Delete (restarts);
    cJSON_Delete (ids);
    cJSON_Delete (after);
    zaf_actor_destroy (&child);
    zaf_actor_destroy (&boss);
}

Test (supervisor, the_broker_restarts_an_actor_that_fails_up_to_max_restarts)
{
    zaf_spawn_opts_t opts = { .max_restarts = 3 };
    zaf_error_t err;
    zaf_actor_t *actor = zaf_spawn (s_z, "Fragile", NULL, &opts, &err);
    cr_assert_not_null (actor, "%s", err.message);
    zaf_future_t *watch = zaf_monitor (s_z, actor);
    for (int failure = 0; failure < 3; failure++) {
        cJSON_Delete (s_call (actor, "add", zaf_json ("[2]"), &err));
        cJSON_Delete (s_call (actor, "die", NULL, &err));
        //  Same id, constructor run again. A call that reached the old
        //  incarnation as it failed ends with ACTOR_DIED (at-most-once)
        cJSON *value = NULL;
        int64_t deadline = zclock_mono () + 5000;
        while (!value && zclock_mono () < deadline) {
            value = s_call (actor, "get", NULL, &err);
            if (!value)
                cr_assert_eq (err.code, ZAF_ACTOR_DIED, "%s", err.message);
        }
        cr_assert_not_null (value, "restart %d: %s", failure + 1, err.message);
        cr_expect_eq (value->valueint, 0);
        cJSON_Delete (value);
        cr_expect_not (zaf_future_ready (watch));
    }
    cJSON_Delete (s_call (actor, "die", NULL, &err));
    cJSON *why = zaf_get (s_z, &watch, 5000, &err);
    cr_assert_not_null (why, "%s", err.message);
    cr_expect_str_eq (zaf_json_string (why, "reason", ""), "restart_limit");
    cJSON_Delete (why);
    //  A supervisor outside an actor is refused
    cr_expect_null (zaf_supervisor_new (s_z, ZAF_ONE_FOR_ONE, 3, 5000));
    zaf_actor_destroy (&actor);
}
