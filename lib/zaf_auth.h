/*  =========================================================================
    zaf_auth - keys, CURVE and who a peer is: roles bound to keys

    Two halves. The client half is process-wide: which broker public key
    and which key pair of our own a link uses on tcp:// (flags, then
    ZAF_BROKER_KEY and ZAF_KEY, then the key directory ZAF_KEY_DIR or
    ~/.config/zaf/keys). The server half is an object the broker owns: its
    own secret key, the table of allowed public keys with the role each
    certificate's metadata names (node, driver, admin), keys revoked while
    it runs, and the ZAP handler (a REP bound to inproc://zeromq.zap.01 in
    the broker's context) that libzmq asks about every new connection.

    Key files are czmq certificates: NAME.cert (public) and NAME.cert_secret
    (both keys), metadata `role = "node" | "driver" | "admin" | "broker"`.
    Inproc and ipc links never use CURVE.
    =========================================================================
*/

#ifndef ZAF_AUTH_H_INCLUDED
#define ZAF_AUTH_H_INCLUDED

//  How long libzmq gives a connection to finish its handshake (ZMQ_HANDSHAKE_IVL)
#define ZAF_AUTH_HANDSHAKE_MS   5000
//  The ZAP domain the broker sets on its ROUTER
#define ZAF_AUTH_DOMAIN         "zaf"
//  Length of a z85 public key, without the NUL
#define ZAF_AUTH_KEY_TEXT       40

typedef enum {
    ZAF_AUTH_NONE = 0,          //  No key, or an unknown one
    ZAF_AUTH_NODE,
    ZAF_AUTH_DRIVER,
    ZAF_AUTH_ADMIN,
    ZAF_AUTH_BROKER
} zaf_auth_role_t;

//  The role a certificate's metadata names, or ZAF_AUTH_NONE.
zaf_auth_role_t
    zaf_auth_role_parse (const char *name);
const char *
    zaf_auth_role_name (zaf_auth_role_t role);

//  --------------------------------------------------------------------------
//  Client half (process-wide)

//  Use these key files on every tcp:// link this process opens from now
//  on: the broker's public certificate and our own secret certificate.
//  NULL for either: look it up as usual (environment, key directory).
//  Returns 0, or -1 with err filled (a file that cannot be read, or a
//  certificate without the key it must hold).
int
    zaf_auth_client_set (const char *broker_key, const char *own_key, zaf_error_t *err);

//  Forget the key files set with zaf_auth_client_set.
void
    zaf_auth_client_reset (void);

//  The key files a link to the broker uses, found now (a link keeps them
//  for its life): the broker's public certificate and our own secret one,
//  as new strings the caller frees, or both NULL if no key is configured or
//  found (plaintext). role ("node", "driver", "cli") picks the default own
//  key file.
void
    zaf_auth_client_files (const char *role, char **broker_p, char **own_p);

//  Make a DEALER about to connect to endpoint use CURVE with these files
//  (from zaf_auth_client_files), if the endpoint is tcp:// and they are
//  not NULL; always lowers the handshake timeout. Returns 1 (CURVE on), 0
//  (plaintext), or -1 with err filled (a key file cannot be used).
int
    zaf_auth_client_apply (zsock_t *dealer, const char *endpoint, const char *broker_file,
                           const char *own_file, zaf_error_t *err);

//  Write a key pair as DIR/NAME.cert and DIR/NAME.cert_secret (mode 0600)
//  with metadata role. Returns 0, or -1 with err filled.
int
    zaf_auth_keygen (const char *dir, const char *name, const char *role, zaf_error_t *err);

//  --------------------------------------------------------------------------
//  Server half (the broker's)

typedef struct _zaf_auth_t zaf_auth_t;

//  Load the broker's keys from dir: its own DIR/broker.cert_secret (or
//  own_key if not NULL) and every DIR/*.cert whose role is node, driver or
//  admin. Binds the ZAP handler. Returns NULL with err filled on failure.
zaf_auth_t *
    zaf_auth_new (const char *dir, const char *own_key, zaf_error_t *err);

void
    zaf_auth_destroy (zaf_auth_t **self_p);

//  Make the broker's ROUTER a CURVE server asking our ZAP handler.
void
    zaf_auth_apply_server (zaf_auth_t *self, zsock_t *router);

//  The ZAP handler's socket, to poll; answer one request with
//  zaf_auth_handle_zap when it is readable.
zsock_t *
    zaf_auth_zap (zaf_auth_t *self);
void
    zaf_auth_handle_zap (zaf_auth_t *self);

//  Read the key directory again (SIGHUP): keys whose file is gone are no
//  longer allowed. Returns how many keys are allowed now, or -1 (the
//  directory cannot be read; the table is kept).
int
    zaf_auth_reload (zaf_auth_t *self);

//  Refuse this public key (z85) from now on, until the broker restarts.
//  Returns 0, or -1 if the text is not a z85 public key.
int
    zaf_auth_revoke (zaf_auth_t *self, const char *key);

//  The role of an allowed, unrevoked public key (z85), or ZAF_AUTH_NONE.
zaf_auth_role_t
    zaf_auth_role (zaf_auth_t *self, const char *key);

//  How many handshakes the ZAP handler allowed and refused.
size_t
    zaf_auth_allowed (zaf_auth_t *self);
size_t
    zaf_auth_refused (zaf_auth_t *self);

//  The broker's public key (z85), borrowed.
const char *
    zaf_auth_public (zaf_auth_t *self);

//  32 bytes derived from the broker's secret key, for keys of the broker's
//  own (e.g. a MAC on the actor ids it issues): the same for every run of a
//  broker with the same key pair, and not the secret key itself. Borrowed,
//  lives as long as self.
const byte *
    zaf_broker_auth_secret (zaf_auth_t *self);

#endif
