/*  =========================================================================
    sample.h - what the sample drivers share: number flags, and joining a
    cluster (the one at --address or $ZAF_ADDRESS, else an embedded one)

    Header-only: each driver is one program, and these few lines are not
    worth a library of their own.
    =========================================================================
*/

#ifndef SAMPLE_H_INCLUDED
#define SAMPLE_H_INCLUDED

#include <zaf.h>
#include <czmq.h>

//  The whole number a flag's value holds, from min to max; otherwise say
//  so and exit with status 2 (bad usage)
static inline long
sample_flag_number (const char *program, const char *name, const char *value,
                    long min, long max)
{
    char *end = NULL;
    long number = value ? strtol (value, &end, 10) : -1;
    if (!value || !*value || *end || number < min || number > max) {
        fprintf (stderr, "%s: %s needs a whole number from %ld to %ld\n", program, name, min, max);
        exit (2);
    }
    return number;
}

//  Join the cluster at address (NULL: $ZAF_ADDRESS, as ray.init () reads
//  RAY_ADDRESS), or start an embedded cluster serving the sample's classes
//  (register_fn registers them). Prints the "Cluster:" line. Returns the
//  connection, or NULL after saying why.
static inline zaf_t *
sample_join (const char *program, const char *address, int (*register_fn) (void))
{
    if (!address)
        address = getenv ("ZAF_ADDRESS");
    if (address && !*address)
        address = NULL;
    zsys_set_logstream (stderr);
    zsys_set_logident (program);
    if (!address && register_fn ()) {
        fprintf (stderr, "%s: cannot register the sample's classes\n", program);
        return NULL;
    }
    zaf_t *z = zaf_init (address);
    if (!z) {
        fprintf (stderr, "%s: cannot %s\n", program,
                 address ? "reach the cluster (is zaf-broker running there?)"
                         : "start an embedded cluster");
        return NULL;
    }
    cJSON *info = zaf_cluster_info (z);
    if (info) {
        printf ("Cluster: broker %s, %d node(s)%s\n",
                cJSON_GetStringValue (cJSON_GetObjectItem (info, "broker")),
                cJSON_GetArraySize (cJSON_GetObjectItem (info, "nodes")),
                cJSON_IsTrue (cJSON_GetObjectItem (info, "embedded")) ? ", embedded" : "");
        //  Where to watch it, as ray.init () says
        const char *dashboard = cJSON_GetStringValue (cJSON_GetObjectItem (info, "dashboard"));
        if (dashboard)
            printf ("Dashboard: %s\n", dashboard);
        cJSON_Delete (info);
    }
    return z;
}

#endif
