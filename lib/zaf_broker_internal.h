/*  =========================================================================
    zaf_broker_internal - the small vocabulary every broker file shares

    The broker engine is one thread cut into file pairs, each owning its
    own state, layered with arrows pointing down only:

        zaf_broker          the actor: pipe, ROUTER loop, routing, tick
        zaf_broker_spawn    placement, SPAWN/SPAWNED, restarts  } side by
        zaf_broker_status   STATUS snapshot and STOP            } side,
        zaf_broker_adopt    actors back after a broker restart  } each
        zaf_broker_actors   actor records and how actors end      using
        zaf_broker_flights  requests in flight                    only
        zaf_broker_out      the ROUTER's send path: answers       what
        zaf_broker_peers    the peer table                        is below

    This header holds what they all speak and nothing with behaviour:
    intrusive rings (how records link into each other's lists), binary map
    keys (routing ids, flight keys) and the counters STATUS reports. No
    state lives here; nothing outside the broker files includes it.
    =========================================================================
*/

#ifndef ZAF_BROKER_INTERNAL_H_INCLUDED
#define ZAF_BROKER_INTERNAL_H_INCLUDED

//  --------------------------------------------------------------------------
//  Intrusive rings (circular doubly-linked lists with a head node)

typedef struct _zaf_broker_ring_t {
    struct _zaf_broker_ring_t *prev, *next;
} zaf_broker_ring_t;

static inline void
s_ring_init (zaf_broker_ring_t *ring)
{
    ring->prev = ring->next = ring;
}

static inline void
s_ring_append (zaf_broker_ring_t *head, zaf_broker_ring_t *item)
{
    item->prev = head->prev;
    item->next = head;
    head->prev->next = item;
    head->prev = item;
}

static inline void
s_ring_remove (zaf_broker_ring_t *item)
{
    item->prev->next = item->next;
    item->next->prev = item->prev;
    s_ring_init (item);
}

static inline bool
s_ring_empty (zaf_broker_ring_t *head)
{
    return head->next == head;
}

#define RING_ENTRY(ptr, type, member) \
    ((type *) ((char *) (ptr) - offsetof (type, member)))

//  --------------------------------------------------------------------------
//  Binary keys for the peer and flight maps

typedef struct {
    size_t size;
    byte data [1 + 2 * ZAF_PROTO_ID_MAX];
} zaf_broker_key_t;

static inline size_t
s_bkey_hash (const void *item)
{
    const zaf_broker_key_t *key = (const zaf_broker_key_t *) item;
    size_t hash = 14695981039346656037ULL;
    for (size_t index = 0; index < key->size; index++)
        hash = (hash ^ key->data [index]) * 1099511628211ULL;
    return hash;
}

static inline int
s_bkey_compare (const void *item1, const void *item2)
{
    const zaf_broker_key_t *key1 = (const zaf_broker_key_t *) item1;
    const zaf_broker_key_t *key2 = (const zaf_broker_key_t *) item2;
    if (key1->size != key2->size)
        return key1->size < key2->size ? -1 : 1;
    return memcmp (key1->data, key2->data, key1->size);
}

//  A map keyed by zaf_broker_key_t, the key living inside the item (not copied)
static inline zhashx_t *
s_bkey_map_new (void)
{
    zhashx_t *map = zhashx_new ();
    assert (map);
    zhashx_set_key_duplicator (map, NULL);
    zhashx_set_key_destructor (map, NULL);
    zhashx_set_key_hasher (map, s_bkey_hash);
    zhashx_set_key_comparator (map, s_bkey_compare);
    return map;
}

//  --------------------------------------------------------------------------
//  Counters reported by STATUS. The broker actor owns the one instance;
//  each broker object borrows a pointer to it and counts its own events.

typedef struct {
    size_t calls, tells, replies, spawns, submits, kills, lookups;
    size_t errors_sent, malformed, unknown_peer, late_replies;
    size_t wrong_peer, unroutable, overloaded, peers_lost, backlogged;
} zaf_broker_stats_t;

#endif
