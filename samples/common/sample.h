/*  =========================================================================
    sample.h - what the sample drivers share: number flags, key flags, and
    joining a cluster (the one at --address or $ZAF_ADDRESS, else an
    embedded one)

    Header-only: each driver is one program, and these few lines are not
    worth a library of their own.
    =========================================================================
*/

#ifndef SAMPLE_H_INCLUDED
#define SAMPLE_H_INCLUDED

#include <zaf.h>
#include <czmq.h>
#include <errno.h>

//  The help lines of the key flags every driver takes, after --address
#define SAMPLE_KEY_HELP \
    "  --broker-key FILE    the broker's public key, for a broker with keys\n" \
    "                       (CURVE; default $ZAF_BROKER_KEY, else\n" \
    "                       KEYDIR/broker.cert)\n" \
    "  --key FILE           our own secret key, a driver key (default $ZAF_KEY,\n" \
    "                       else KEYDIR/driver.cert_secret; KEYDIR is\n" \
    "                       $ZAF_KEY_DIR, else ~/.config/zaf/keys)\n"

//  --broker-key FILE and --key FILE: the keys zaf_init uses on a tcp://
//  address (docs/SECURITY.md). A sample is an application and uses zaf.h
//  alone, so the flags set $ZAF_BROKER_KEY and $ZAF_KEY, which zaf_init
//  reads (the flags of zaf-node and zaf call zaf_auth_client_set, which is
//  not part of zaf.h). Returns how many arguments the flag took (2), or 0
//  if arg is not a key flag; a missing or unreadable file is said at once
//  and exits with status 2 (bad usage).
static inline int
sample_key_flag (const char *program, const char *arg, const char *value)
{
    const char *variable = streq (arg, "--broker-key") ? "ZAF_BROKER_KEY"
                         : streq (arg, "--key") ? "ZAF_KEY" : NULL;
    if (!variable)
        return 0;
    if (!value || !*value) {
        fprintf (stderr, "%s: %s needs a key file\n", program, arg);
        exit (2);
    }
    FILE *file = fopen (value, "r");
    if (!file) {
        fprintf (stderr, "%s: %s %s: cannot read the key file: %s\n",
                 program, arg, value, strerror (errno));
        exit (2);
    }
    fclose (file);
    setenv (variable, value, 1);
    return 2;
}

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
