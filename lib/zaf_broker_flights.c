/*  =========================================================================
    zaf_broker_flights - the broker's requests in flight

    Runs in the broker thread only. A map from flight key to zaf_broker_flight_t; a
    key is one length byte, the caller's routing id, then the correlation
    id, so a caller's correlation ids never collide with another's. Ended
    flights go to a spare list (up to ZAF_BROKER_SPARE_FLIGHTS) and are
    reset from the key's data on: a flight is ~600 bytes, mostly key room,
    and every call makes one. Invariant: a flight in the map is linked in
    exactly one caller ring and one target queue, and holds one unit of
    its pending counter; ending it undoes all three.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_broker_flights.h"

struct _zaf_broker_flights_t {
    zhashx_t *flights;          //  zaf_key_t -> zaf_broker_flight_t (owned)
    zlistx_t *spares;           //  Ended flights kept for reuse (owned)
    zaf_broker_out_t *out;      //  Send path (borrowed)
    zaf_broker_stats_t *stats;  //  Counters (borrowed)
};

//  A flight is reset from its key's data on (see zaf_broker_flights_start)
_Static_assert (offsetof (zaf_broker_flight_t, key) == 0, "the key comes first in a flight");

static void
s_key_set (zaf_key_t *key, const void *caller, size_t caller_size, const void *corr,
           size_t corr_size)
{
    key->size = 1 + caller_size + corr_size;
    key->data [0] = (byte) caller_size;
    memcpy (key->data + 1, caller, caller_size);
    memcpy (key->data + 1 + caller_size, corr, corr_size);
}

//  --------------------------------------------------------------------------
//  Create an empty flight table.

zaf_broker_flights_t *
zaf_broker_flights_new (zaf_broker_out_t *out, zaf_broker_stats_t *stats)
{
    assert (out);
    assert (stats);
    zaf_broker_flights_t *self = (zaf_broker_flights_t *) zmalloc (sizeof (zaf_broker_flights_t));
    assert (self);
    self->flights = zaf_key_map_new ();
    self->spares = zlistx_new ();
    self->out = out;
    self->stats = stats;
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy the table and every flight in it, unanswered.

void
zaf_broker_flights_destroy (zaf_broker_flights_t **self_p)
{
    assert (self_p);
    zaf_broker_flights_t *self = *self_p;
    if (!self)
        return;
    zlistx_t *items = zhashx_values (self->flights);
    for (zaf_broker_flight_t *flight = (zaf_broker_flight_t *) zlistx_first (items); flight;
         flight = (zaf_broker_flight_t *) zlistx_next (items)) {
        zaf_proto_destroy (&flight->copy);
        zaf_demand_destroy (&flight->demand);
        free (flight);
    }
    zlistx_destroy (&items);
    zhashx_destroy (&self->flights);
    zaf_broker_flight_t *spare;
    while ((spare = (zaf_broker_flight_t *) zlistx_detach (self->spares, NULL)))
        free (spare);
    zlistx_destroy (&self->spares);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Start a flight for request from caller; NULL (refused) on a corr reused.

zaf_broker_flight_t *
zaf_broker_flights_start (zaf_broker_flights_t *self, zaf_proto_t *request, zaf_broker_peer_t *caller,
                          zaf_broker_flight_kind_t kind, zaf_broker_peer_t *node, zaf_ring_t *queue, size_t *pending)
{
    assert (self);
    assert (queue);
    size_t corr_size;
    const void *corr = zaf_proto_corr (request, &corr_size);
    if (zaf_broker_flights_lookup (self, caller->key.data, caller->key.size, corr, corr_size)) {
        self->stats->malformed++;
        zaf_broker_out_refuse (self->out, request, ZAF_PROTOCOL, "correlation id already in flight");
        return NULL;
    }
    zaf_broker_flight_t *flight = (zaf_broker_flight_t *) zlistx_detach (self->spares, NULL);
    if (!flight)
        flight = (zaf_broker_flight_t *) malloc (sizeof (zaf_broker_flight_t));
    assert (flight);
    //  Everything but the key's data room, which is written next
    memset (flight, 0, offsetof (zaf_broker_flight_t, key) + offsetof (zaf_key_t, data));
    memset ((byte *) flight + sizeof (zaf_key_t), 0, sizeof (zaf_broker_flight_t) - sizeof (zaf_key_t));
    s_key_set (&flight->key, caller->key.data, caller->key.size, corr, corr_size);
    flight->caller_size = caller->key.size;
    flight->kind = kind;
    flight->caller = caller;
    flight->node = node;
    flight->pending = pending;
    if (pending)
        (*pending)++;
    zaf_ring_append (&caller->calls_out, &flight->by_caller);
    zaf_ring_append (queue, &flight->by_target);
    if (kind == FLIGHT_SUBMIT)
        node->tasks++;
    zhashx_insert (self->flights, &flight->key, flight);
    return flight;
}

//  --------------------------------------------------------------------------
//  The flight of caller with this correlation id, or NULL.

zaf_broker_flight_t *
zaf_broker_flights_lookup (zaf_broker_flights_t *self, const void *caller, size_t caller_size,
                           const void *corr, size_t corr_size)
{
    assert (self);
    if (caller_size > ZAF_PROTO_ID_MAX || corr_size > ZAF_PROTO_ID_MAX)
        return NULL;
    zaf_key_t key;
    s_key_set (&key, caller, caller_size, corr, corr_size);
    return (zaf_broker_flight_t *) zhashx_lookup (self->flights, &key);
}

//  --------------------------------------------------------------------------
//  End a flight: unlink it and keep or free its record.

void
zaf_broker_flights_end (zaf_broker_flights_t *self, zaf_broker_flight_t **flight_p)
{
    assert (self);
    assert (flight_p);
    zaf_broker_flight_t *flight = *flight_p;
    zhashx_delete (self->flights, &flight->key);
    zaf_ring_remove (&flight->by_caller);
    zaf_ring_remove (&flight->by_target);
    if (flight->pending)
        (*flight->pending)--;
    if (flight->kind == FLIGHT_SUBMIT && flight->node->tasks)
        flight->node->tasks--;
    if (flight->demand) {
        if (flight->node && flight->node->capacity)
            zaf_capacity_release (flight->node->capacity, flight->demand);
        zaf_demand_destroy (&flight->demand);
    }
    zaf_proto_destroy (&flight->copy);
    if (zlistx_size (self->spares) < ZAF_BROKER_SPARE_FLIGHTS)
        zlistx_add_end (self->spares, flight);
    else
        free (flight);
    *flight_p = NULL;
}

//  --------------------------------------------------------------------------
//  End a flight with an error to its caller (a kill ends ok).

void
zaf_broker_flights_fail (zaf_broker_flights_t *self, zaf_broker_flight_t *flight, zaf_code_t code,
                         const char *message)
{
    assert (self);
    if (flight->kind == FLIGHT_KILL) {
        zaf_broker_flights_answer (self, flight, NULL);
        return;
    }
    const byte *caller = flight->key.data + 1;
    const byte *corr = caller + flight->caller_size;
    size_t corr_size = flight->key.size - 1 - flight->caller_size;
    zaf_broker_out_fail (self->out, flight->kind == FLIGHT_SPAWN ? ZAF_PROTO_SPAWNED : ZAF_PROTO_REPLY,
                         caller, flight->caller_size, corr, corr_size,
                         flight->actor_id ? flight->actor_id : "", code, message);
    zaf_broker_flights_end (self, &flight);
}

//  --------------------------------------------------------------------------
//  Answer a flight ok and end it.

void
zaf_broker_flights_answer (zaf_broker_flights_t *self, zaf_broker_flight_t *flight, cJSON *result)
{
    assert (self);
    const byte *caller = flight->key.data + 1;
    const byte *corr = caller + flight->caller_size;
    size_t corr_size = flight->key.size - 1 - flight->caller_size;
    zaf_broker_out_reply_ok (self->out, caller, flight->caller_size, corr, corr_size, &result);
    zaf_broker_flights_end (self, &flight);
}

//  --------------------------------------------------------------------------
//  Forward a request for a flight; the flight ends if it cannot go.

int
zaf_broker_flights_forward (zaf_broker_flights_t *self, zaf_proto_t *request,
                            zaf_broker_peer_t *caller, zaf_broker_peer_t *node, zaf_broker_flight_t *flight)
{
    assert (self);
    if (zaf_broker_out_forward (self->out, request, caller, node) == 0)
        return 0;
    if (flight)
        zaf_broker_flights_end (self, &flight);
    return -1;
}

//  --------------------------------------------------------------------------
//  CANCEL from a caller: its flight (a call or task) ends without an
//  answer (the caller's future has ended already) and the node it went to
//  is told, so the call never runs if it has not started. A flight that
//  already ended is left alone: its answer was sent.

void
zaf_broker_flights_cancel (zaf_broker_flights_t *self, zaf_proto_t *cancel, zaf_broker_peer_t *caller)
{
    assert (self);
    size_t corr_size;
    const void *corr = zaf_proto_corr (cancel, &corr_size);
    zaf_broker_flight_t *flight = zaf_broker_flights_lookup (self, caller->key.data, caller->key.size,
                                                             corr, corr_size);
    if (!flight || (flight->kind != FLIGHT_CALL && flight->kind != FLIGHT_SUBMIT))
        return;
    if (flight->node)
        zaf_broker_out_forward (self->out, cancel, caller, flight->node);
    zaf_broker_flights_end (self, &flight);
}

//  --------------------------------------------------------------------------
//  A request that arrived past its deadline is not routed: a CALL or
//  SUBMIT is answered TIMEOUT at once, a TELL is dropped.

bool
zaf_broker_flights_expired (zaf_broker_flights_t *self, zaf_proto_t *request)
{
    assert (self);
    int64_t deadline = zaf_proto_deadline (request);
    if (!deadline || zclock_mono () < deadline)
        return false;
    if (zaf_proto_id (request) != ZAF_PROTO_TELL)
        zaf_broker_out_refuse (self->out, request, ZAF_TIMEOUT,
                               "the deadline of %s passed before the broker could route it; it did not run",
                               zaf_proto_name (request));
    return true;
}

//  --------------------------------------------------------------------------
//  Number of flights, and of spare records.

size_t
zaf_broker_flights_size (zaf_broker_flights_t *self)
{
    assert (self);
    return zhashx_size (self->flights);
}

size_t
zaf_broker_flights_spares (zaf_broker_flights_t *self)
{
    assert (self);
    return zlistx_size (self->spares);
}
