/*  =========================================================================
    zaf_broker_peers - the broker's peer table

    Every connection that said HELLO is a peer, keyed by its ROUTER routing
    id: nodes (with the classes and functions they serve, and how many
    actors and tasks they carry), drivers and CLIs. The table owns the
    records; the layers above link their own records into a peer's rings
    (flights it awaits, tasks it runs, actors it owns) and read its fields.
    A peer found gone is doomed here and ended later by the broker loop,
    never in the middle of handling a message.
    =========================================================================
*/

#ifndef ZAF_BROKER_PEERS_H_INCLUDED
#define ZAF_BROKER_PEERS_H_INCLUDED

typedef enum { ROLE_NODE = 1, ROLE_DRIVER, ROLE_CLI } zaf_broker_role_t;

//  One peer. Created and freed only by the table; fields are read by the
//  layers above, and its rings link their records.
typedef struct _zaf_broker_peer_t {
    zaf_key_t key;                 //  Routing id (map key)
    char hex [2 * ZAF_PROTO_ID_MAX + 1];    //  Routing id as hex, for people
    zaf_broker_role_t role;
    char *name;                 //  Node name (nodes), else the role name
    char *host;
    int pid;
    int cpus;                   //  Worker pool size (nodes)
    zhashx_t *classes;          //  Class names served (nodes)
    zhashx_t *functions;        //  Function names served (nodes)
    size_t actors;              //  Actors placed here (nodes)
    size_t tasks;               //  Tasks in flight here (nodes)
    zaf_capacity_t *capacity;   //  Resources and labels (nodes), zaf_resources
    int64_t joined;             //  When it said HELLO (mono ms)
    int64_t last_seen;          //  Last message from it (mono ms)
    zaf_ring_t calls_out;           //  Flights it is waiting for
    zaf_ring_t work;                //  Flights of tasks it runs (nodes)
    zaf_ring_t owned;               //  Actors it spawned (not from an actor)
    zhashx_t *claims;           //  Actor ids it said it owns in HELLO that no
                                //  node has brought back yet (or NULL)
    zlistx_t *backlog;          //  Answers waiting for room in its queue
                                //  (zaf_proto_held_t, used by zaf_broker_out)
    size_t held_bytes;          //  Bytes its backlog occupies
    const char *doomed;         //  Why it is lost, once found gone
    bool draining;              //  DRAIN: placement passes it over (nodes)
    bool warned;                //  Logged a protocol warning already
    char user [41];             //  Its CURVE public key (z85), "" if insecure
    bool admin;                 //  Its key's role is admin
} zaf_broker_peer_t;

typedef struct _zaf_broker_peers_t zaf_broker_peers_t;

//  Create an empty peer table.
zaf_broker_peers_t *
    zaf_broker_peers_new (void);

//  Destroy the table and every peer record in it.
void
    zaf_broker_peers_destroy (zaf_broker_peers_t **self_p);

//  Add a peer for a routing id, with what its HELLO said (name, host, pid,
//  cpus, classes, functions; hello may be NULL). The table owns the record;
//  the routing id must not be in the table already.
zaf_broker_peer_t *
    zaf_broker_peers_add (zaf_broker_peers_t *self, const void *routing_id, size_t size,
                          zaf_broker_role_t role, const cJSON *hello);

//  Remove a peer from the table and free its record. The layers above must
//  have unlinked everything from its rings. Nulls the caller's pointer.
void
    zaf_broker_peers_remove (zaf_broker_peers_t *self, zaf_broker_peer_t **peer_p);

//  The peer with this routing id, or NULL. Borrowed.
zaf_broker_peer_t *
    zaf_broker_peers_lookup (zaf_broker_peers_t *self, const void *routing_id, size_t size);

//  Iterate over the peers (the table must not change meanwhile). Borrowed.
zaf_broker_peer_t *
    zaf_broker_peers_first (zaf_broker_peers_t *self);
zaf_broker_peer_t *
    zaf_broker_peers_next (zaf_broker_peers_t *self);

//  A snapshot of the peers, safe to walk while peers are removed (check
//  each against zaf_broker_peers_lookup first if so). The caller destroys
//  the list; the peers in it are borrowed.
zlistx_t *
    zaf_broker_peers_list (zaf_broker_peers_t *self);

//  Number of peers, and of nodes among them.
size_t
    zaf_broker_peers_size (zaf_broker_peers_t *self);
size_t
    zaf_broker_peers_nodes (zaf_broker_peers_t *self);

//  The live node named name other than except, or NULL.
zaf_broker_peer_t *
    zaf_broker_peers_node_named (zaf_broker_peers_t *self, const char *name, zaf_broker_peer_t *except);

//  Mark a peer gone, for this reason (a static string). The first reason
//  sticks; the peer is ended by whoever calls zaf_broker_peers_take_doomed.
void
    zaf_broker_peers_doom (zaf_broker_peers_t *self, zaf_broker_peer_t *peer, const char *reason);

//  If peers were doomed since the last call, returns a list of the doomed
//  peers (the caller destroys the list; peers are borrowed), else NULL.
zlistx_t *
    zaf_broker_peers_take_doomed (zaf_broker_peers_t *self);

//  The role a HELLO names ("node", "driver", "cli"), or 0 for none.
zaf_broker_role_t
    zaf_broker_role_parse (const char *name);

//  The name of a role ("node", "driver", "cli").
const char *
    zaf_broker_role_name (zaf_broker_role_t role);

//  Write size bytes as lower-case hex into hex (2 * size + 1 bytes).
void
    zaf_broker_hex (const byte *data, size_t size, char *hex);

#endif
