/*  =========================================================================
    zaf_key - keys for zhashx maps that copy nothing

    Binary keys (routing ids, flight keys) live inside the item they key;
    integer keys (inner ids, correlation ids) are the key pointer itself.
    Either way the map allocates nothing per key. Header only; no state.
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

//  Integer keys: the value is the key pointer, (void *) (uintptr_t) n
static inline size_t
zaf_key_int_hash (const void *key)
{
    return (size_t) ((uint64_t) (uintptr_t) key * 0x9E3779B97F4A7C15ULL);
}

static inline int
zaf_key_int_compare (const void *key1, const void *key2)
{
    return (uintptr_t) key1 == (uintptr_t) key2 ? 0 : 1;
}

//  A map keyed by integers carried in the key pointer
static inline zhashx_t *
zaf_key_int_map_new (void)
{
    zhashx_t *map = zhashx_new ();
    assert (map);
    zhashx_set_key_duplicator (map, NULL);
    zhashx_set_key_destructor (map, NULL);
    zhashx_set_key_hasher (map, zaf_key_int_hash);
    zhashx_set_key_comparator (map, zaf_key_int_compare);
    return map;
}

#endif
