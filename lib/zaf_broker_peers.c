/*  =========================================================================
    zaf_broker_peers - the broker's peer table

    Runs in the broker thread only. A map from routing id (zaf_key_t, kept in
    the record) to zaf_broker_peer_t; the table creates and frees every record, in
    zaf_broker_peers_add and zaf_broker_peers_remove (or destroy). Doomed
    peers are counted so that the loop can end them once the message at
    hand is handled. Nothing here sends or knows about flights or actors.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_broker_peers.h"

struct _zaf_broker_peers_t {
    zhashx_t *peers;            //  zaf_key_t -> zaf_broker_peer_t (owned)
    size_t doomed;              //  Peers doomed since the last take
};

static void
s_peer_destroy (zaf_broker_peer_t **peer_p)
{
    zaf_broker_peer_t *peer = *peer_p;
    zhashx_destroy (&peer->classes);
    zhashx_destroy (&peer->functions);
    if (peer->capacity)
        zaf_capacity_destroy (&peer->capacity);
    zhashx_destroy (&peer->claims);
    zlistx_destroy (&peer->backlog);
    free (peer->name);
    free (peer->host);
    free (peer);
    *peer_p = NULL;
}

//  --------------------------------------------------------------------------
//  Create an empty peer table.

zaf_broker_peers_t *
zaf_broker_peers_new (void)
{
    zaf_broker_peers_t *self = (zaf_broker_peers_t *) zmalloc (sizeof (zaf_broker_peers_t));
    assert (self);
    self->peers = zaf_key_map_new ();
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy the table and every peer record in it.

void
zaf_broker_peers_destroy (zaf_broker_peers_t **self_p)
{
    assert (self_p);
    zaf_broker_peers_t *self = *self_p;
    if (!self)
        return;
    zlistx_t *items = zhashx_values (self->peers);
    for (zaf_broker_peer_t *peer = (zaf_broker_peer_t *) zlistx_first (items); peer;
         peer = (zaf_broker_peer_t *) zlistx_next (items))
        s_peer_destroy (&peer);
    zlistx_destroy (&items);
    zhashx_destroy (&self->peers);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Add a peer for a routing id, with what its HELLO said.

zaf_broker_peer_t *
zaf_broker_peers_add (zaf_broker_peers_t *self, const void *routing_id, size_t size,
                      zaf_broker_role_t role, const cJSON *hello)
{
    assert (self);
    assert (size <= ZAF_PROTO_ID_MAX);
    zaf_broker_peer_t *peer = (zaf_broker_peer_t *) zmalloc (sizeof (zaf_broker_peer_t));
    assert (peer);
    memcpy (peer->key.data, routing_id, size);
    peer->key.size = size;
    zaf_broker_hex ((const byte *) routing_id, size, peer->hex);
    peer->role = role;
    peer->name = strdup (zaf_json_string (hello, "name", zaf_broker_role_name (role)));
    peer->host = strdup (zaf_json_string (hello, "host", ""));
    peer->pid = zaf_json_int (hello, "pid", 0);
    peer->cpus = zaf_json_int (hello, "cpus", 1);
    if (peer->cpus < 1)
        peer->cpus = 1;
    peer->classes = zhashx_new ();
    peer->functions = zhashx_new ();
    if (role == ROLE_NODE)
        peer->capacity = zaf_capacity_new (cJSON_GetObjectItemCaseSensitive (hello, "resources"),
                                           cJSON_GetObjectItemCaseSensitive (hello, "labels"));
    const cJSON *item;
    cJSON_ArrayForEach (item, cJSON_GetObjectItemCaseSensitive (hello, "classes"))
        zhashx_insert (peer->classes, item->valuestring, (void *) 1);
    cJSON_ArrayForEach (item, cJSON_GetObjectItemCaseSensitive (hello, "functions"))
        zhashx_insert (peer->functions, item->valuestring, (void *) 1);
    peer->joined = peer->last_seen = zclock_mono ();
    zaf_ring_init (&peer->calls_out);
    zaf_ring_init (&peer->work);
    zaf_ring_init (&peer->owned);
    peer->backlog = zlistx_new ();
    zlistx_set_destructor (peer->backlog, (zlistx_destructor_fn *) zaf_proto_held_destroy);
    int rc = zhashx_insert (self->peers, &peer->key, peer);
    assert (rc == 0);
    return peer;
}

//  --------------------------------------------------------------------------
//  Remove a peer from the table and free its record.

void
zaf_broker_peers_remove (zaf_broker_peers_t *self, zaf_broker_peer_t **peer_p)
{
    assert (self);
    assert (peer_p);
    zaf_broker_peer_t *peer = *peer_p;
    if (!peer)
        return;
    zhashx_delete (self->peers, &peer->key);
    s_peer_destroy (peer_p);
}

//  --------------------------------------------------------------------------
//  The peer with this routing id, or NULL.

zaf_broker_peer_t *
zaf_broker_peers_lookup (zaf_broker_peers_t *self, const void *routing_id, size_t size)
{
    assert (self);
    if (size > ZAF_PROTO_ID_MAX)
        return NULL;
    zaf_key_t key;
    key.size = size;
    memcpy (key.data, routing_id, size);
    return (zaf_broker_peer_t *) zhashx_lookup (self->peers, &key);
}

//  --------------------------------------------------------------------------
//  Iterate over the peers.

zaf_broker_peer_t *
zaf_broker_peers_first (zaf_broker_peers_t *self)
{
    assert (self);
    return (zaf_broker_peer_t *) zhashx_first (self->peers);
}

zaf_broker_peer_t *
zaf_broker_peers_next (zaf_broker_peers_t *self)
{
    assert (self);
    return (zaf_broker_peer_t *) zhashx_next (self->peers);
}

//  --------------------------------------------------------------------------
//  A snapshot of the peers; the caller destroys the list.

zlistx_t *
zaf_broker_peers_list (zaf_broker_peers_t *self)
{
    assert (self);
    return zhashx_values (self->peers);
}

//  --------------------------------------------------------------------------
//  Number of peers, and of nodes among them.

size_t
zaf_broker_peers_size (zaf_broker_peers_t *self)
{
    assert (self);
    return zhashx_size (self->peers);
}

size_t
zaf_broker_peers_nodes (zaf_broker_peers_t *self)
{
    assert (self);
    size_t nodes = 0;
    for (zaf_broker_peer_t *peer = (zaf_broker_peer_t *) zhashx_first (self->peers); peer;
         peer = (zaf_broker_peer_t *) zhashx_next (self->peers))
        if (peer->role == ROLE_NODE)
            nodes++;
    return nodes;
}

//  --------------------------------------------------------------------------
//  The live node named name other than except, or NULL.

zaf_broker_peer_t *
zaf_broker_peers_node_named (zaf_broker_peers_t *self, const char *name, zaf_broker_peer_t *except)
{
    assert (self);
    for (zaf_broker_peer_t *peer = (zaf_broker_peer_t *) zhashx_first (self->peers); peer;
         peer = (zaf_broker_peer_t *) zhashx_next (self->peers))
        if (peer != except && peer->role == ROLE_NODE && streq (peer->name, name))
            return peer;
    return NULL;
}

//  --------------------------------------------------------------------------
//  Mark a peer gone; the first reason sticks.

void
zaf_broker_peers_doom (zaf_broker_peers_t *self, zaf_broker_peer_t *peer, const char *reason)
{
    assert (self);
    if (!peer->doomed) {
        peer->doomed = reason;
        self->doomed++;
    }
}

//  --------------------------------------------------------------------------
//  The peers doomed since the last call, or NULL if none.

zlistx_t *
zaf_broker_peers_take_doomed (zaf_broker_peers_t *self)
{
    assert (self);
    if (!self->doomed)
        return NULL;
    self->doomed = 0;
    zlistx_t *doomed = zlistx_new ();
    for (zaf_broker_peer_t *peer = (zaf_broker_peer_t *) zhashx_first (self->peers); peer;
         peer = (zaf_broker_peer_t *) zhashx_next (self->peers))
        if (peer->doomed)
            zlistx_add_end (doomed, peer);
    return doomed;
}

//  --------------------------------------------------------------------------
//  Role names.

zaf_broker_role_t
zaf_broker_role_parse (const char *name)
{
    return streq (name, "node") ? ROLE_NODE
         : streq (name, "driver") ? ROLE_DRIVER
         : streq (name, "cli") ? ROLE_CLI : (zaf_broker_role_t) 0;
}

const char *
zaf_broker_role_name (zaf_broker_role_t role)
{
    return role == ROLE_NODE ? "node" : role == ROLE_DRIVER ? "driver" : "cli";
}

//  --------------------------------------------------------------------------
//  Write size bytes as lower-case hex.

void
zaf_broker_hex (const byte *data, size_t size, char *hex)
{
    static const char digits [] = "0123456789abcdef";
    for (size_t index = 0; index < size; index++) {
        hex [2 * index] = digits [data [index] >> 4];
        hex [2 * index + 1] = digits [data [index] & 15];
    }
    hex [2 * size] = 0;
}
