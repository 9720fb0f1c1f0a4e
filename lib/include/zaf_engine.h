/*  =========================================================================
    zaf_engine.h - what zaf's own programs use of libzaf beyond zaf.h

    zaf-broker, zaf-node and the zaf CLI are thin mains over engines that
    live in the library. This header declares exactly what they need and
    nothing more: the broker and node actors with their pipe commands, the
    node's module loading and actor-process entry, and the CLI's "cli"
    connection with its STATUS and STOP requests. It is not installed:
    applications use zaf.h alone.

    Each name here is declared, with the same prototype, in a private
    header of lib/ (zaf_broker.h, zaf_node.h, zaf_isolate.h, zaf_actor.h,
    zaf_registry.h, zaf_client.h), where the full story of each is told
    (all the pipe commands, for one). lib/zaf.c includes this header beside those, so the
    compiler holds the two to each other: a prototype that drifts is an
    error, a constant that drifts a redefinition warning.
    =========================================================================
*/

#ifndef ZAF_ENGINE_H_INCLUDED
#define ZAF_ENGINE_H_INCLUDED

#include <czmq.h>
#include "zaf.h"

#ifdef __cplusplus
extern "C" {
#endif

//  ---------------------------------------------------------------------
//  The broker engine: zactor_new (zaf_broker, NULL). Pipe commands (those
//  that answer do so with zstr_sendx):
//      VERBOSE                 log every message
//      HEARTBEAT <ms>          heartbeat interval (before BIND)
//      MAX-PENDING <n>         per-actor bound on calls in flight
//      KEYS <dir> [<key file>] before BIND: CURVE with these keys; answers
//                              "OK" <public key> or "ERROR" <reason>
//      RELOAD-KEYS             read the key directory again (SIGHUP)
//      REVOKE <key>            refuse a key and cut its sessions
//      BIND <endpoint>         answers "OK" <endpoint> (port filled in) or
//                              "ERROR" <reason>; may be repeated
//      $TERM                   tell every peer BYE and end
//  The engine sends "STOPPED" on its own when a `zaf stop` ended it.

//  Default heartbeat interval; a peer silent for 3 is lost
#define ZAF_HEARTBEAT_MS        1000
//  Default bound on calls in flight to one actor
#define ZAF_BROKER_MAX_PENDING  100000

void
    zaf_broker (zsock_t *pipe, void *args);

//  Tag actor ids under a 32-byte secret (before BIND): a broker restarted
//  with the same secret adopts only ids it issued. Returns 0 or -1.
int
    zaf_broker_set_id_secret (zactor_t *broker, const byte *secret32);

//  ---------------------------------------------------------------------
//  The node engine: zactor_new (zaf_node, NULL). Pipe commands:
//      VERBOSE                 log every message
//      BROKER <endpoint>       the broker to register with
//      NAME <name>             node name (default: host-pid)
//      CPUS <n>                task worker pool size
//      RESOURCES <list>        resources it announces: cpu=8,gpu=1
//      LABELS <list>           labels it announces: zone=a,rack=3
//      ISOLATE <program> [<module>...]
//                              before START: host each actor in a child
//                              process, `program --actor-host ...`
//      START                   answers "OK" or "ERROR" <reason>
//      $TERM                   kill every actor, stop, say BYE
//  The engine sends "STOPPED" on its own when the broker stopped the cluster.
//  It serves the classes and functions of the process's registry.

void
    zaf_node (zsock_t *pipe, void *args);

//  The first argument that makes zaf-node an actor process of an
//  --isolate node; hand such an argv to zaf_isolate_host.
#define ZAF_ISOLATE_HOST_FLAG   "--actor-host"

//  Host one actor in this process for an --isolate node; returns the
//  process's exit status.
int
    zaf_isolate_host (int argc, char **argv);

//  How many actor and task threads of this process are still running (a
//  node that stops with some stuck in user code exits without them).
size_t
    zaf_actor_threads (void);

//  The registry of classes and functions a node serves.
typedef struct _zaf_registry_t zaf_registry_t;

//  The process's registry (borrowed).
zaf_registry_t *
    zaf_registry_default (void);

//  The sorted names of its classes (or functions), a JSON array the
//  caller owns.
cJSON *
    zaf_registry_classes_json (zaf_registry_t *self);
cJSON *
    zaf_registry_functions_json (zaf_registry_t *self);

//  dlopen a module and call its zaf_module_init. Returns 0, or -1 and
//  fills err (may be NULL).
int
    zaf_registry_load_module (const char *path, zaf_error_t *err);

//  True if a name is fit for the wire: 1..255 printable ASCII bytes.
bool
    zaf_registry_name_valid (const char *name);

//  Parse "name=value,..." (zaf-node --resources with numbers, --labels
//  without) into a JSON object the caller owns, or NULL and why in error.
cJSON *
    zaf_resources_parse (const char *text, bool numbers, char *error, size_t error_size);

//  ---------------------------------------------------------------------
//  The CLI's connection

//  Connect to a broker as `role` ("cli" for the CLI) and wait up to
//  timeout_ms for its WELCOME. Returns NULL and fills err on failure;
//  zaf_shutdown ends the connection.
zaf_t *
    zaf_client_connect (const char *endpoint, const char *role, int timeout_ms,
                        zaf_error_t *err);

//  Ask the broker for its STATUS snapshot; request may be NULL (taken).
//  Returns the snapshot (caller owns it) or NULL and fills err.
cJSON *
    zaf_client_status (zaf_t *self, cJSON *request, int timeout_ms, zaf_error_t *err);

//  Ask the broker to stop the cluster (a "cli" connection only). Returns
//  its answer ({"stopping": true, "nodes": n}; caller owns it) or NULL
//  and fills err.
cJSON *
    zaf_client_stop (zaf_t *self, int timeout_ms, zaf_error_t *err);

//  ---------------------------------------------------------------------
//  Untrusted text made safe to print (zaf_escape.h): printable ASCII stays,
//  backslash, tab, newline and CR become \\, \t, \n, \r, any other byte
//  \xHH. zaf_escape writes into buffer (cut to fit, ending "...") and
//  returns it; zaf_escape_dup returns a new string the caller frees.
const char *
    zaf_escape (const char *text, char *buffer, size_t size);
char *
    zaf_escape_dup (const char *text);
//  Ask a broker with keys to revoke a public key (z85): its sessions are
//  cut and its handshakes refused (an admin key only). Returns the answer
//  ({"revoked": key, "cut": n}; caller owns it) or NULL and fills err.
cJSON *
    zaf_client_revoke (zaf_t *self, const char *key, int timeout_ms, zaf_error_t *err);

//  ---------------------------------------------------------------------
//  Keys (CURVE on tcp:// links; docs/SECURITY.md)

//  Use these key files on every tcp:// link this process opens: the
//  broker's public certificate and our own secret certificate (NULL: look
//  it up in $ZAF_BROKER_KEY / $ZAF_KEY, then $ZAF_KEY_DIR or
//  ~/.config/zaf/keys). Returns 0, or -1 with err filled.
int
    zaf_auth_client_set (const char *broker_key, const char *own_key, zaf_error_t *err);

//  Write a key pair DIR/NAME.cert and DIR/NAME.cert_secret whose metadata
//  names role (broker, node, driver, admin). Returns 0, or -1 with err filled.
int
    zaf_auth_keygen (const char *dir, const char *name, const char *role, zaf_error_t *err);

#ifdef __cplusplus
}
#endif

#endif
