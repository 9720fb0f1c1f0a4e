/*  =========================================================================
    zaf_broker_keys - the broker's side of keys: who a peer is, what its key
    may do, and cutting the sessions of keys taken away

    Runs in the broker's thread. The ZAP handler is polled by the broker's
    loop with its ROUTER, so a key table change (reload, revoke) and the
    handshakes after it never race. A cut peer is only doomed here; the
    broker loop ends it (s_peer_lost) after the message or command that cut
    it, as for any peer found gone.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_broker_keys.h"

struct _zaf_broker_keys_t {
    zaf_broker_peers_t *peers;          //  Borrowed
    zaf_broker_flights_t *flights;
    zaf_broker_actors_t *actors;
    zaf_broker_out_t *out;
    zaf_broker_stats_t *stats;
    zaf_auth_t *auth;                   //  Ours, once KEYS; NULL without keys
};

zaf_broker_keys_t *
zaf_broker_keys_new (zaf_broker_peers_t *peers, zaf_broker_flights_t *flights,
                     zaf_broker_actors_t *actors, zaf_broker_out_t *out,
                     zaf_broker_stats_t *stats)
{
    zaf_broker_keys_t *self = (zaf_broker_keys_t *) zmalloc (sizeof (zaf_broker_keys_t));
    assert (self);
    self->peers = peers;
    self->flights = flights;
    self->actors = actors;
    self->out = out;
    self->stats = stats;
    return self;
}

void
zaf_broker_keys_destroy (zaf_broker_keys_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zaf_auth_destroy (&(*self_p)->auth);
        free (*self_p);
        *self_p = NULL;
    }
}

int
zaf_broker_keys_load (zaf_broker_keys_t *self, const char *dir, const char *own,
                      zsock_t *router, zaf_error_t *err)
{
    assert (self);
    if (self->auth) {
        zaf_error_set (err, ZAF_BAD_ARGS, "keys are loaded already");
        return -1;
    }
    self->auth = zaf_auth_new (dir, own, err);
    if (!self->auth)
        return -1;
    zaf_auth_apply_server (self->auth, router);
    return 0;
}

zaf_auth_t *
zaf_broker_keys_auth (zaf_broker_keys_t *self)
{
    assert (self);
    return self->auth;
}

zsock_t *
zaf_broker_keys_zap (zaf_broker_keys_t *self)
{
    assert (self);
    return self->auth ? zaf_auth_zap (self->auth) : NULL;
}

void
zaf_broker_keys_handle_zap (zaf_broker_keys_t *self)
{
    assert (self);
    //  Answer every request waiting (bounded), so handshakes are not slowed
    //  by the ROUTER's traffic
    for (int count = 0; self->auth && count < 1000; count++) {
        zmq_pollitem_t item = { zsock_resolve (zaf_auth_zap (self->auth)), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 0) <= 0)
            break;
        zaf_auth_handle_zap (self->auth);
    }
    if (self->auth) {
        self->stats->handshakes_allowed = zaf_auth_allowed (self->auth);
        self->stats->handshakes_refused = zaf_auth_refused (self->auth);
    }
}

zaf_auth_role_t
zaf_broker_keys_role (zaf_broker_keys_t *self, zaf_proto_t *msg)
{
    assert (self);
    return self->auth ? zaf_auth_role (self->auth, zaf_proto_user (msg)) : ZAF_AUTH_ADMIN;
}

bool
zaf_broker_keys_same (zaf_broker_keys_t *self, zaf_broker_peer_t *peer, zaf_proto_t *msg)
{
    assert (self);
    return !self->auth || streq (peer->user, zaf_proto_user (msg));
}

bool
zaf_broker_keys_may_stop (zaf_broker_keys_t *self, zaf_broker_peer_t *caller)
{
    assert (self);
    return !self->auth || caller->admin;
}

//  An admin and a node (it relays its actors' kills) may kill any actor; a
//  driver only actors whose owner at the root of their tree is a peer with
//  its key
bool
zaf_broker_keys_may_kill (zaf_broker_keys_t *self, zaf_broker_peer_t *caller,
                          zaf_broker_actor_t *actor)
{
    assert (self);
    if (!self->auth || caller->admin || caller->role == ROLE_NODE)
        return true;
    while (actor->parent)
        actor = actor->parent;
    return actor->owner && streq (actor->owner->user, caller->user);
}

//  --------------------------------------------------------------------------
//  Cutting sessions

static void
s_cut (zaf_broker_keys_t *self, zaf_broker_peer_t *peer, const char *reason)
{
    char message [ZAF_ERROR_MESSAGE_MAX];
    snprintf (message, sizeof (message), "%s: this connection is cut", reason);
    while (!zaf_ring_empty (&peer->calls_out)) {
        zaf_broker_flight_t *flight = ZAF_RING_ENTRY (peer->calls_out.next, zaf_broker_flight_t, by_caller);
        zaf_broker_actor_t *orphan = flight->kind == FLIGHT_SPAWN && flight->node != peer ? flight->actor : NULL;
        zaf_broker_flights_fail (self->flights, flight, ZAF_UNAUTHORIZED, message);
        if (orphan && zaf_broker_actors_lookup (self->actors, orphan->id) == orphan)
            zaf_broker_actors_kill (self->actors, orphan, "owner_died");
    }
    zaf_broker_out_bye (self->out, peer->key.data, peer->key.size, reason, false);
    zsys_warning ("zaf_broker: %s cut peer=%s key=%s: %s", zaf_broker_role_name (peer->role),
                  peer->hex, peer->user, reason);
    self->stats->revoked++;
    zaf_broker_peers_doom (self->peers, peer, reason);
}

//  Cut every peer whose key is no longer allowed; returns how many
static int
s_cut_unallowed (zaf_broker_keys_t *self, const char *reason)
{
    int cut = 0;
    zlistx_t *peers = zaf_broker_peers_list (self->peers);
    for (zaf_broker_peer_t *peer = (zaf_broker_peer_t *) zlistx_first (peers); peer;
         peer = (zaf_broker_peer_t *) zlistx_next (peers))
        if (!peer->doomed && !zaf_auth_role (self->auth, peer->user)) {
            s_cut (self, peer, reason);
            cut++;
        }
    zlistx_destroy (&peers);
    return cut;
}

int
zaf_broker_keys_reload (zaf_broker_keys_t *self)
{
    assert (self);
    int count = self->auth ? zaf_auth_reload (self->auth) : -1;
    if (count >= 0)
        s_cut_unallowed (self, "key removed");
    return count;
}

int
zaf_broker_keys_revoke (zaf_broker_keys_t *self, const char *key)
{
    assert (self);
    if (!self->auth || zaf_auth_revoke (self->auth, key))
        return -1;
    zsys_warning ("zaf_broker: key revoked key=%s", key);
    return s_cut_unallowed (self, "key revoked");
}

void
zaf_broker_keys_handle_revoke (zaf_broker_keys_t *self, zaf_proto_t *msg, zaf_broker_peer_t *peer)
{
    assert (self);
    if (!self->auth) {
        zaf_broker_out_refuse (self->out, msg, ZAF_BAD_ARGS,
                               "this broker runs without keys: there is nothing to revoke");
        return;
    }
    if (!peer->admin) {
        self->stats->unauthorized++;
        zaf_broker_out_refuse (self->out, msg, ZAF_UNAUTHORIZED, "only an admin key may revoke keys");
        return;
    }
    cJSON *body = zaf_proto_body_json (msg);
    const char *text = zaf_json_string (body, "key", "");
    char key [ZAF_AUTH_KEY_TEXT + 1];
    snprintf (key, sizeof (key), "%s", text);
    bool valid = strlen (text) == ZAF_AUTH_KEY_TEXT;
    cJSON_Delete (body);
    if (!valid || zaf_auth_revoke (self->auth, key)) {
        zaf_broker_out_refuse (self->out, msg, ZAF_BAD_ARGS,
                               "REVOKE needs {\"key\": a z85 public key of 40 characters}");
        return;
    }
    size_t cut = 0;
    for (zaf_broker_peer_t *other = zaf_broker_peers_first (self->peers); other;
         other = zaf_broker_peers_next (self->peers))
        cut += !other->doomed && streq (other->user, key);
    //  Answer first: the admin may be cutting its own key
    cJSON *result = cJSON_CreateObject ();
    cJSON_AddStringToObject (result, "revoked", key);
    cJSON_AddNumberToObject (result, "cut", (double) cut);
    zaf_broker_out_answer_ok (self->out, msg, result);
    zsys_warning ("zaf_broker: key revoked key=%s by peer=%s", key, peer->hex);
    s_cut_unallowed (self, "key revoked");
}
