/*  =========================================================================
    zaf_node_metrics - what a node tells the broker about itself, each second

    Reads the control blocks the node shares with its actors (relaxed
    atomic loads: never waits for an actor) and the parties table. The
    report is bounded: ZAF_METRICS_REPORT_ACTORS actors at most, each with
    ZAF_METRICS_METHODS histograms at most, so one report stays under
    ZAF_METRICS_REPORT_MAX bytes. Node thread only.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_node_parties.h"
#include "zaf_node_metrics.h"

struct _zaf_node_metrics_t {
    int cpus;                       //  Workers
    int64_t due;                    //  Next report (mono ms)
    size_t cursor;                  //  Where the next report starts
    zhashx_t *reported;             //  actor id -> changes last reported
};

zaf_node_metrics_t *
zaf_node_metrics_new (int cpus)
{
    zaf_node_metrics_t *self = (zaf_node_metrics_t *) zmalloc (sizeof (zaf_node_metrics_t));
    assert (self);
    self->cpus = cpus;
    self->reported = zhashx_new ();
    return self;
}

void
zaf_node_metrics_destroy (zaf_node_metrics_t **self_p)
{
    assert (self_p);
    zaf_node_metrics_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->reported);
    free (self);
    *self_p = NULL;
}

//  Messages forwarded to the actor and not yet served
static uint64_t
s_mailbox (zaf_node_party_t *party)
{
    uint64_t processed = atomic_load_explicit (&party->ctl->processed, memory_order_relaxed);
    return party->forwarded > processed ? party->forwarded - processed : 0;
}

//  Did the actor move since we last reported it?
static bool
s_moved (zaf_node_metrics_t *self, zaf_node_party_t *party)
{
    uint64_t changes = zaf_metrics_changes (&party->ctl->metrics);
    void *seen = zhashx_lookup (self->reported, party->id);
    return !seen || (uint64_t) (uintptr_t) seen != changes + 1 || s_mailbox (party) > 0;
}

static void
s_add_actor (zaf_node_metrics_t *self, cJSON *actors, zaf_node_party_t *party)
{
    uint64_t changes = zaf_metrics_changes (&party->ctl->metrics);
    cJSON_AddItemToArray (actors, zaf_metrics_actor_json (&party->ctl->metrics, party->id,
                                                         s_mailbox (party)));
    //  Stored plus one, so that zero changes is not a NULL item
    zhashx_update (self->reported, party->id, (void *) (uintptr_t) (changes + 1));
}

//  --------------------------------------------------------------------------
//  The report

cJSON *
zaf_node_metrics_report (zaf_node_metrics_t *self, zaf_node_parties_t *parties)
{
    assert (self);
    cJSON *report = cJSON_CreateObject ();
    size_t running = zaf_node_parties_tasks_running (parties);

    //  The live actors with a control block, in table order
    size_t count = zaf_node_parties_actors (parties);
    zaf_node_party_t **live = (zaf_node_party_t **) calloc (count + 1, sizeof (zaf_node_party_t *));
    assert (live);
    size_t size = 0;
    for (zaf_node_party_t *party = zaf_node_parties_first_actor (parties); party && size < count;
         party = zaf_node_parties_next_actor (parties))
        if (party->ctl)
            live [size++] = party;

    cJSON_AddNumberToObject (report, "cpus", self->cpus);
    cJSON_AddNumberToObject (report, "rss", (double) zaf_metrics_rss ());
    cJSON_AddNumberToObject (report, "actors", (double) count);
    cJSON_AddNumberToObject (report, "tasks_running", (double) running);
    cJSON_AddNumberToObject (report, "tasks_queued", (double) zaf_node_parties_tasks (parties));
    cJSON *actors = cJSON_AddArrayToObject (report, "actor_metrics");

    //  First those that moved, from the cursor round; then the rest while
    //  there is room
    size_t added = 0;
    bool *taken = (bool *) calloc (size + 1, sizeof (bool));
    assert (taken);
    for (int pass = 0; pass < 2; pass++)
        for (size_t step = 0; step < size && added < ZAF_METRICS_REPORT_ACTORS; step++) {
            size_t index = (self->cursor + step) % size;
            if (taken [index] || (pass == 0 && !s_moved (self, live [index])))
                continue;
            s_add_actor (self, actors, live [index]);
            taken [index] = true;
            added++;
        }
    if (size)
        self->cursor = (self->cursor + added) % size;
    //  Forget actors that are gone, so the map stays as large as the table
    if (zhashx_size (self->reported) > 2 * size + 64) {
        zlistx_t *ids = zhashx_keys (self->reported);
        for (const char *id = (const char *) zlistx_first (ids); id;
             id = (const char *) zlistx_next (ids))
            if (!zaf_node_parties_actor (parties, id))
                zhashx_delete (self->reported, id);
        zlistx_destroy (&ids);
    }
    free (taken);
    free (live);
    return report;
}

//  --------------------------------------------------------------------------
//  Send the report when it is due

int64_t
zaf_node_metrics_tick (zaf_node_metrics_t *self, zaf_node_parties_t *parties,
                       zaf_link_t *link, int64_t now)
{
    assert (self);
    if (now < self->due)
        return self->due - now;
    self->due = now + ZAF_NODE_METRICS_MS;
    if (!link || zaf_link_state (link) != ZAF_LINK_UP)
        return ZAF_NODE_METRICS_MS;
    cJSON *report = zaf_node_metrics_report (self, parties);
    char *text = cJSON_PrintUnformatted (report);
    cJSON_Delete (report);
    if (!text)
        return ZAF_NODE_METRICS_MS;
    zaf_proto_t *beat = zaf_proto_new ();
    zaf_proto_set_id (beat, ZAF_PROTO_HEARTBEAT);
    zmq_msg_t frame;
    size_t length = strlen (text);
    zmq_msg_init_size (&frame, length);
    memcpy (zmq_msg_data (&frame), text, length);
    cJSON_free (text);
    zaf_proto_attach (beat, &frame);
    zmq_msg_close (&frame);
    zaf_link_send (link, beat);         //  A full queue drops this one
    zaf_proto_destroy (&beat);
    return ZAF_NODE_METRICS_MS;
}
