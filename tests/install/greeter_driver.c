/* A driver built outside the zaf tree: greet twice through a cluster. */
#include <zaf.h>
#include <stdio.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
    if (argc < 2) {
        fprintf (stderr, "usage: greeter ENDPOINT\n");
        return 2;
    }
    zaf_t *z = zaf_init (argv [1]);
    if (!z)
        return 1;
    //  The node may still be registering: wait for a node that serves Greeter
    zaf_error_t err;
    zaf_actor_t *greeter = NULL;
    for (int attempt = 0; attempt < 100 && !greeter; attempt++) {
        greeter = zaf_spawn (z, "Greeter", NULL, NULL, &err);
        if (!greeter && err.code != ZAF_NO_SUCH_CLASS)
            break;
        if (!greeter)
            usleep (100 * 1000);    //  Poll interval, up to 100 tries (10 s)
    }
    if (!greeter) {
        fprintf (stderr, "spawn failed: %s\n", err.message);
        zaf_shutdown (&z);
        return 1;
    }
    int rc = 0;
    for (int round = 0; round < 2; round++) {
        zaf_future_t *future = zaf_call (z, greeter, "greet", zaf_json ("[\"installed zaf\"]"));
        cJSON *result = zaf_get (z, &future, 5000, &err);
        if (!result) {
            fprintf (stderr, "greet failed: %s\n", err.message);
            rc = 1;
            break;
        }
        printf ("%s\n", result->valuestring);
        cJSON_Delete (result);
    }
    zaf_actor_destroy (&greeter);
    zaf_shutdown (&z);
    return rc;
}
