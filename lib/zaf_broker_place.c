/*  =========================================================================
    zaf_broker_place - which node an actor or a task goes to

    One walk over the peer table from a rotating start. Each node is
    sorted into: not eligible (not a node, lost, wrong name, no class or
    function), eligible but without the labels, eligible but short of
    resources (kept if its shortfall is the nearest), or fitting (kept if
    the strategy prefers it: by actors, or for a task by tasks per
    worker). The reasons the walk saw decide the code when nothing fits.
    Broker thread only.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_broker_place.h"

//  True if peer is a better choice than best for the strategy: for actors
//  by their count, for tasks by tasks per worker
static bool
s_better (zaf_broker_peer_t *peer, zaf_broker_peer_t *best, bool task, bool pack)
{
    if (!best)
        return true;
    if (task)
        return pack ? peer->tasks * best->cpus > best->tasks * peer->cpus
                    : peer->tasks * best->cpus < best->tasks * peer->cpus;
    return pack ? peer->actors > best->actors : peer->actors < best->actors;
}

static zaf_broker_peer_t *
s_place (zaf_broker_peers_t *peers, size_t rotate, const char *class_name, bool task,
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
        if (!zhashx_lookup (task ? peer->functions : peer->classes, class_name))
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
        if (s_better (peer, best, task, pack))
            best = peer;
    }
    free (ordered);
    const char *kind = task ? "function" : "class";
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
        *code = task ? ZAF_NO_SUCH_FUNCTION : ZAF_NO_SUCH_CLASS;
        if (hard)
            snprintf (message, message_size, "node %s does not serve %s %s", hard, kind, class_name);
        else
            snprintf (message, message_size, "no live node serves %s %s", kind, class_name);
    }
    else
    if (!labels_seen) {
        *code = ZAF_NO_RESOURCES;
        snprintf (message, message_size, "no live node serving %s %s has the labels "
                  "asked for (%s)", kind, class_name, zaf_demand_text (demand));
    }
    else {
        *code = ZAF_NO_RESOURCES;
        snprintf (message, message_size, "no live node serving %s %s has %s free; "
                  "nearest is node %s, %s", kind, class_name, zaf_demand_text (demand),
                  nearest ? nearest->name : "?", nearest_what);
    }
    return NULL;
}

zaf_broker_peer_t *
zaf_broker_place (zaf_broker_peers_t *peers, size_t rotate, const char *class_name,
                  const char *pin, const zaf_demand_t *demand, zaf_code_t *code,
                  char *message, size_t message_size)
{
    return s_place (peers, rotate, class_name, false, pin, demand, code, message,
                    message_size);
}

zaf_broker_peer_t *
zaf_broker_place_task (zaf_broker_peers_t *peers, size_t rotate, const char *function,
                       const zaf_demand_t *demand, zaf_code_t *code, char *message,
                       size_t message_size)
{
    return s_place (peers, rotate, function, true, NULL, demand, code, message,
                    message_size);
}
