/*  =========================================================================
    zaf_drain - taking a node out of service while its work finishes

    zaf_drain sends DRAIN {"node", "drain_ms"} to the broker, which answers
    it (zaf_broker_drain.c); the node exits when its actors are gone
    (zaf_node.c).
    =========================================================================
*/

#include "zaf_classes.h"

int
zaf_drain (zaf_t *self, const char *node, int drain_ms, zaf_error_t *err)
{
    assert (self);
    if (!zaf_registry_name_valid (node) || drain_ms < 0 || drain_ms > ZAF_PROTO_TIMEOUT_MAX) {
        zaf_error_set (err, ZAF_BAD_ARGS, "drain takes a node name and drain_ms from 0 to 86400000");
        return -1;
    }
    cJSON *request = cJSON_CreateObject ();
    cJSON_AddStringToObject (request, "node", node);
    cJSON_AddNumberToObject (request, "drain_ms", drain_ms ? drain_ms : 30000);
    cJSON *result = zaf_client_control (self, ZAF_PROTO_DRAIN, request, 10000, err);
    cJSON_Delete (result);
    return result ? 0 : -1;
}
