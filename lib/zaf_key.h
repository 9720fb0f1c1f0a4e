/*  =========================================================================
    zaf_key - binary keys for zhashx maps (routing ids, flight keys)

    The key lives inside the item it keys, so the map copies nothing.
    Header only; no state.
    =========================================================================
*/

#ifndef ZAF_KEY_H_INCLUDED
#define ZAF_KEY_H_INCLUDED

typedef struct {
    size_t size;
    byte data [1 + 2 * ZAF_PROTO_ID_MAX];
} zaf_key_t;

static inline size_t
zaf_key_hash (const void *item)
{
    const zaf_key_t *key = (const zaf_key_t *) item;
    size_t hash = 14695981039346656037ULL;
    for (size_t index = 0; index < key->size; index++)
        hash = (hash ^ key->data [index]) * 1099511628211ULL;
    return hash;
}

static inline int
zaf_key_compare (const void *item1, const void *item2)
{
    const zaf_key_t *key1 = (const zaf_key_t *) item1;
    const zaf_key_t *key2 = (const zaf_key_t *) item2;
    if (key1->size != key2->size)
        return key1->size < key2->size ? -1 : 1;
    return memcmp (key1->data, key2->data, key1->size);
}

//  A map keyed by zaf_key_t, the key living inside the item (not copied)
static inline zhashx_t *
zaf_key_map_new (void)
{
    zhashx_t *map = zhashx_new ();
    assert (map);
    zhashx_set_key_duplicator (map, NULL);
    zhashx_set_key_destructor (map, NULL);
    zhashx_set_key_hasher (map, zaf_key_hash);
    zhashx_set_key_comparator (map, zaf_key_compare);
    return map;
}

#endif
