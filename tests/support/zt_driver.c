/*  =========================================================================
    zt_driver - a driver process for tests that must crash one

    Joins the cluster at ENDPOINT, spawns actors as asked, prints one line
    per actor ("owned ID", "detached ID", "child ID"), then "ready", and
    waits until it is killed. The tests kill it with
    SIGKILL and check what the broker did with its actors.

        zt_driver ENDPOINT [--owned N] [--detached NAME] [--tree]
    =========================================================================
*/

#include "testutil.h"

int
main (int argc, char **argv)
{
    if (argc < 2) {
        fprintf (stderr, "usage: zt_driver ENDPOINT [--owned N] [--detached NAME] [--tree]\n");
        return 2;
    }
    zsys_set_logstream (stderr);
    zaf_t *z = zaf_init (argv [1]);
    if (!z)
        return 1;
    zlistx_t *handles = zlistx_new ();
    zlistx_set_destructor (handles, (zlistx_destructor_fn *) zaf_actor_destroy);
    zaf_error_t err;
    for (int index = 2; index < argc; index++) {
        if (streq (argv [index], "--owned") && index + 1 < argc) {
            int count = atoi (argv [++index]);
            for (int made = 0; made < count; made++) {
                zaf_actor_t *actor = zaf_spawn (z, "Counter", NULL, NULL, &err);
                if (!actor)
                    return 1;
                printf ("owned %s\n", zaf_actor_id (actor));
                zlistx_add_end (handles, actor);
            }
        }
        else
        if (streq (argv [index], "--detached") && index + 1 < argc) {
            zaf_spawn_opts_t opts = { .name = argv [++index], .detached = true };
            zaf_actor_t *actor = zaf_spawn (z, "Counter", NULL, &opts, &err);
            if (!actor)
                return 1;
            printf ("detached %s\n", zaf_actor_id (actor));
            zlistx_add_end (handles, actor);
        }
        else
        if (streq (argv [index], "--tree")) {
            //  An owned actor that owns a child of its own
            zaf_actor_t *parent = zaf_spawn (z, "Counter", NULL, NULL, &err);
            if (!parent)
                return 1;
            zaf_future_t *future = zaf_call (z, parent, "spawn", zaf_json ("[\"Counter\", []]"));
            cJSON *child = zaf_get (z, &future, 10000, &err);
            if (!child)
                return 1;
            printf ("owned %s\n", zaf_actor_id (parent));
            printf ("child %s\n", zaf_json_string (child, "$actor", ""));
            cJSON_Delete (child);
            zlistx_add_end (handles, parent);
        }
        else
            return 2;
    }
    printf ("ready\n");
    fflush (stdout);
    //  Wait until killed (SIGTERM/SIGINT end us cleanly)
    while (!zsys_interrupted)
        zclock_sleep (50);      //  Idle until a signal: not a wait in a test
    zlistx_destroy (&handles);
    zaf_shutdown (&z);
    return 0;
}
