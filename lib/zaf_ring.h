/*  =========================================================================
    zaf_ring - intrusive rings: circular doubly-linked lists with a head

    A record that sits in another's list carries a zaf_ring_t member;
    joining and leaving cost O(1) and no allocation. ZAF_RING_ENTRY turns
    a member back into its record. Header only; no state.
    =========================================================================
*/

#ifndef ZAF_RING_H_INCLUDED
#define ZAF_RING_H_INCLUDED

typedef struct _zaf_ring_t {
    struct _zaf_ring_t *prev, *next;
} zaf_ring_t;

static inline void
zaf_ring_init (zaf_ring_t *ring)
{
    ring->prev = ring->next = ring;
}

static inline void
zaf_ring_append (zaf_ring_t *head, zaf_ring_t *item)
{
    item->prev = head->prev;
    item->next = head;
    head->prev->next = item;
    head->prev = item;
}

static inline void
zaf_ring_remove (zaf_ring_t *item)
{
    item->prev->next = item->next;
    item->next->prev = item->prev;
    zaf_ring_init (item);
}

static inline bool
zaf_ring_empty (zaf_ring_t *head)
{
    return head->next == head;
}

#define ZAF_RING_ENTRY(ptr, type, member) \
    ((type *) ((char *) (ptr) - offsetof (type, member)))

#endif
