/*  =========================================================================
    zaf_broker_place - which node an actor goes to

    One walk over the peer table from a rotating start. Each node is
    sorted into: not eligible (not a node, lost, wrong name, no class),
    eligible but without the labels, eligible but short of resources (kept
    if its shortfall is the nearest), or fitting (kept if the strategy
    prefers it). The reasons the walk saw decide the code when nothing
    fits. Broker thread only.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_broker_place.h"

zaf_broker_peer_t *
zaf_broker_place (zaf_broker_peers_t *peers, size_t rotate, const char *class_name,
                  const char *pin, const zaf_demand_t *demand, zaf_code_t *code,
                  char *message, size_t message_size)
{
    assert (peers && class_name && code);
    char scratch [8];
    if (!message) {
        message = scratch;
        message_size = sizeof (scratch);
    }
    *message = 0;
    const char *affinity = zaf_demand_node (demand);
    bool soft = zaf_demand_soft (demand);
    const char *hard = pin ? pin : (affinity && !soft ? affinity : NULL);
    bool pack = zaf_demand_pack (demand);

    zlistx_t *list = zaf_broker_peers_list (peers);
    size_t count = zlistx_size (list);
    zaf_broker_peer_t **ordered = (zaf_broker_peer_t **) calloc (count ? count : 1,
                                                                 sizeof (zaf_broker_peer_t *));
    assert (ordered);
    size_t index = 0;
    for (zaf_broker_peer_t *peer = (zaf_broker_peer_t *) zlistx_first (list); peer;
         peer = (zaf_broker_peer_t *) zlistx_next (list))
        ordered [index++] = peer;
    zlistx_destroy (&list);

    zaf_broker_peer_t *best = NULL, *preferred = NULL, *nearest = NULL;
    bool named_seen = false, class_seen = false, labels_seen = false;
    double nearest_missing = 0;
    char nearest_what [128] = "";
    size_t start = count && !pack ? rotate % count : 0;
    for (index = 0; index < count; index++) {
        zaf_broker_peer_t *peer = ordered [(start + index) % count];
        if (peer->role != ROLE_NODE || peer->doomed || peer->draining)
            continue;
        if (hard) {
            if (strneq (peer->name, hard))
                continue;
            named_seen = true;
        }
        if (!zhashx_lookup (peer->classes, class_name))
            continue;
        class_seen = true;
        if (demand && !(peer->capacity && zaf_capacity_labels_match (peer->capacity, demand)))
            continue;
        labels_seen = true;
        char what [128] = "";
        double missing = 0;
        if (demand) {
            if (peer->capacity)
                missing = zaf_capacity_shortfall (peer->capacity, demand, what, sizeof (what));
            else {
                zaf_capacity_t *none = zaf_capacity_new (NULL, NULL);
                missing = zaf_capacity_shortfall (none, demand, what, sizeof (what));
                zaf_capacity_destroy (&none);
            }
        }
        if (missing > 0) {
            if (!nearest || missing < nearest_missing) {
                nearest = peer;
                nearest_missing = missing;
                snprintf (nearest_what, sizeof (nearest_what), "%s", what);
            }
            continue;
        }
        if (affinity && soft && streq (peer->name, affinity))
            preferred = peer;
        if (!best || (pack ? peer->actors > best->actors : peer->actors < best->actors))
            best = peer;
    }
    free (ordered);
    if (preferred)
        return preferred;
    if (best)
        return best;
    if (hard && !named_seen) {
        *code = ZAF_NO_SUCH_NODE;
        snprintf (message, message_size, "no live node is named %s", hard);
    }
    else
    if (!class_seen) {
        *code = ZAF_NO_SUCH_CLASS;
        if (hard)
            snprintf (message, message_size, "node %s does not serve class %s", hard, class_name);
        else
            snprintf (message, message_size, "no live node serves class %s", class_name);
    }
    else
    if (!labels_seen) {
        *code = ZAF_NO_RESOURCES;
        snprintf (message, message_size, "no live node serving class %s has the labels "
                  "asked for (%s)", class_name, zaf_demand_text (demand));
    }
    else {
        *code = ZAF_NO_RESOURCES;
        snprintf (message, message_size, "no live node serving class %s has %s free; "
                  "nearest is node %s, %s", class_name, zaf_demand_text (demand),
                  nearest ? nearest->name : "?", nearest_what);
    }
    return NULL;
}
