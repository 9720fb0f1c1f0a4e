/*  =========================================================================
    zaf_auth - keys, CURVE and who a peer is: roles bound to keys

    The client half keeps the keys a process's links use, found once and
    guarded by a mutex (links are opened from several threads). The server
    half runs in the broker's thread: the broker polls the ZAP socket with
    its ROUTER, so a key table change (SIGHUP, REVOKE) and the handshakes
    that follow it never race. A key is allowed when its certificate is in
    the key directory with role node, driver or admin, and has not been
    revoked since the broker started.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_auth.h"
#include <pthread.h>
#include <sys/stat.h>

static const char *s_role_names [] = { "", "node", "driver", "admin", "broker" };

zaf_auth_role_t
zaf_auth_role_parse (const char *name)
{
    for (int role = ZAF_AUTH_NODE; name && role <= ZAF_AUTH_BROKER; role++)
        if (streq (name, s_role_names [role]))
            return (zaf_auth_role_t) role;
    return ZAF_AUTH_NONE;
}

const char *
zaf_auth_role_name (zaf_auth_role_t role)
{
    return role >= ZAF_AUTH_NODE && role <= ZAF_AUTH_BROKER ? s_role_names [role] : "none";
}

//  --------------------------------------------------------------------------
//  Client half

static pthread_mutex_t s_client_lock = PTHREAD_MUTEX_INITIALIZER;
static char *s_broker_key;          //  Set by zaf_auth_client_set, or NULL
static char *s_own_key;

int
zaf_auth_client_set (const char *broker_key, const char *own_key, zaf_error_t *err)
{
    const char *files [2] = { broker_key, own_key };
    for (int index = 0; index < 2; index++) {
        if (!files [index])
            continue;
        zcert_t *cert = zcert_load (files [index]);
        if (!cert) {
            zaf_error_set (err, ZAF_BAD_ARGS, "cannot read the key file %s", files [index]);
            return -1;
        }
        zcert_destroy (&cert);
    }
    pthread_mutex_lock (&s_client_lock);
    if (broker_key) {
        free (s_broker_key);
        s_broker_key = strdup (broker_key);
    }
    if (own_key) {
        free (s_own_key);
        s_own_key = strdup (own_key);
    }
    pthread_mutex_unlock (&s_client_lock);
    return 0;
}

//  The key directory: $ZAF_KEY_DIR, else ~/.config/zaf/keys
static void
s_key_dir (char *dir, size_t size)
{
    const char *env = getenv ("ZAF_KEY_DIR");
    const char *home = getenv ("HOME");
    if (env && *env)
        snprintf (dir, size, "%s", env);
    else
        snprintf (dir, size, "%s/.config/zaf/keys", home ? home : ".");
}

void
zaf_auth_client_reset (void)
{
    pthread_mutex_lock (&s_client_lock);
    free (s_broker_key);
    free (s_own_key);
    s_broker_key = s_own_key = NULL;
    pthread_mutex_unlock (&s_client_lock);
}

//  Which files to use: explicit, then environment, then the key directory
//  (only if the broker's key is there)
void
zaf_auth_client_files (const char *role, char **broker_p, char **own_p)
{
    char dir [PATH_MAX], broker [PATH_MAX + 32], own [PATH_MAX + 32];
    s_key_dir (dir, sizeof (dir));
    role = role ? role : "driver";
    pthread_mutex_lock (&s_client_lock);
    const char *broker_env = getenv ("ZAF_BROKER_KEY");
    const char *own_env = getenv ("ZAF_KEY");
    bool named = s_broker_key || s_own_key || (broker_env && *broker_env) || (own_env && *own_env);
    if (s_broker_key)
        snprintf (broker, sizeof (broker), "%s", s_broker_key);
    else
    if (broker_env && *broker_env)
        snprintf (broker, sizeof (broker), "%s", broker_env);
    else
        snprintf (broker, sizeof (broker), "%s/broker.cert", dir);
    if (s_own_key)
        snprintf (own, sizeof (own), "%s", s_own_key);
    else
    if (own_env && *own_env)
        snprintf (own, sizeof (own), "%s", own_env);
    else {
        //  The role's own default: node, driver, or for the CLI admin
        //  when there is one, else driver
        const char *name = streq (role, "node") ? "node" : streq (role, "cli") ? "admin" : "driver";
        snprintf (own, sizeof (own), "%s/%s.cert_secret", dir, name);
        if (streq (role, "cli") && !zsys_file_exists (own))
            snprintf (own, sizeof (own), "%s/driver.cert_secret", dir);
    }
    pthread_mutex_unlock (&s_client_lock);
    if (!named && !zsys_file_exists (broker)) {
        *broker_p = *own_p = NULL;      //  No keys anywhere: plaintext
        return;
    }
    *broker_p = strdup (broker);
    *own_p = strdup (own);
}

int
zaf_auth_client_apply (zsock_t *dealer, const char *endpoint, const char *broker_file,
                       const char *own_file, zaf_error_t *err)
{
    assert (dealer);
    assert (endpoint);
    zsock_set_handshake_ivl (dealer, ZAF_AUTH_HANDSHAKE_MS);
    if (strncmp (endpoint, "tcp://", 6) || !broker_file || !own_file)
        return 0;
    zcert_t *server = zcert_load (broker_file);
    if (!server) {
        zaf_error_set (err, ZAF_BAD_ARGS, "cannot read the broker's key %s", broker_file);
        return -1;
    }
    zcert_t *own = zcert_load (own_file);
    if (!own || streq (zcert_secret_txt (own), "0000000000000000000000000000000000000000")) {
        zaf_error_set (err, ZAF_BAD_ARGS, "%s %s", own ? "no secret key in" : "cannot read our key",
                       own_file);
        zcert_destroy (&server);
        zcert_destroy (&own);
        return -1;
    }
    zcert_apply (own, dealer);
    zsock_set_curve_serverkey (dealer, zcert_public_txt (server));
    zcert_destroy (&server);
    zcert_destroy (&own);
    return 1;
}

int
zaf_auth_keygen (const char *dir, const char *name, const char *role, zaf_error_t *err)
{
    assert (dir);
    assert (name);
    zaf_auth_role_t parsed = zaf_auth_role_parse (role);
    if (!parsed) {
        zaf_error_set (err, ZAF_BAD_ARGS, "role must be broker, node, driver or admin");
        return -1;
    }
    if (!*name || strchr (name, '/')) {
        zaf_error_set (err, ZAF_BAD_ARGS, "the key's name must be a file name, without '/'");
        return -1;
    }
    zsys_dir_create ("%s", dir);
    zcert_t *cert = zcert_new ();
    assert (cert);
    zcert_set_meta (cert, "role", "%s", zaf_auth_role_name (parsed));
    zcert_set_meta (cert, "name", "%s", name);
    char path [PATH_MAX], secret [PATH_MAX + 8];
    snprintf (path, sizeof (path), "%s/%s.cert", dir, name);
    snprintf (secret, sizeof (secret), "%s_secret", path);
    //  The secret file is created private before any key is written to it
    mode_t mask = umask (077);
    int rc = zcert_save (cert, path);
    umask (mask);
    if (rc == 0)
        chmod (path, 0644);
    zcert_destroy (&cert);
    if (rc) {
        zaf_error_set (err, ZAF_BAD_ARGS, "cannot write %s: %s", path, strerror (errno));
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Server half

struct _zaf_auth_t {
    char *dir;                  //  Key directory
    zcert_t *cert;              //  Our own key pair
    zhashx_t *roles;            //  z85 public key -> role (as a pointer value)
    zhashx_t *revoked;          //  z85 public keys refused until restart
    zsock_t *zap;               //  REP on inproc://zeromq.zap.01
    size_t allowed;
    size_t refused;
    zaf_ratelimit_t *log;       //  Refusals logged at a bounded rate
    byte secret [32];           //  Derived from the secret key
};

//  A digest of label and data (SHA-1 through czmq) into out (20 bytes)
static void
s_digest (const char *label, const byte *data, size_t size, const byte *more, size_t more_size,
          byte *out)
{
    zdigest_t *digest = zdigest_new ();
    assert (digest);
    zdigest_update (digest, (const byte *) label, strlen (label));
    zdigest_update (digest, data, size);
    if (more)
        zdigest_update (digest, more, more_size);
    memcpy (out, zdigest_data (digest), 20);
    zdigest_destroy (&digest);
}

zaf_auth_t *
zaf_auth_new (const char *dir, const char *own_key, zaf_error_t *err)
{
    assert (dir);
    if (!zsys_file_exists (dir)) {
        zaf_error_set (err, ZAF_BAD_ARGS, "no key directory %s", dir);
        return NULL;
    }
    char path [PATH_MAX];
    if (own_key)
        snprintf (path, sizeof (path), "%s", own_key);
    else
        snprintf (path, sizeof (path), "%s/broker.cert_secret", dir);
    zcert_t *cert = zcert_load (path);
    if (!cert || streq (zcert_secret_txt (cert), "0000000000000000000000000000000000000000")) {
        zaf_error_set (err, ZAF_BAD_ARGS, "no broker secret key in %s (zaf keygen --role broker"
                       " --out %s broker)", path, dir);
        zcert_destroy (&cert);
        return NULL;
    }
    zaf_auth_t *self = (zaf_auth_t *) zmalloc (sizeof (zaf_auth_t));
    assert (self);
    self->dir = strdup (dir);
    self->cert = cert;
    self->roles = zhashx_new ();
    self->revoked = zhashx_new ();
    self->log = zaf_ratelimit_new ("zaf_broker", 10);
    byte first [20], second [20];
    s_digest ("zaf broker secret 1", zcert_secret_key (cert), 32, NULL, 0, first);
    s_digest ("zaf broker secret 2", zcert_secret_key (cert), 32, first, 20, second);
    memcpy (self->secret, first, 20);
    memcpy (self->secret + 20, second, 12);
    self->zap = zsock_new (ZMQ_REP);
    if (!self->zap || zsock_bind (self->zap, "inproc://zeromq.zap.01") == -1) {
        zaf_error_set (err, ZAF_BAD_ARGS, "cannot start the key check: another broker with keys"
                       " runs in this process");
        zaf_auth_destroy (&self);
        return NULL;
    }
    if (zaf_auth_reload (self) < 0) {
        zaf_error_set (err, ZAF_BAD_ARGS, "cannot read the key directory %s", dir);
        zaf_auth_destroy (&self);
        return NULL;
    }
    return self;
}

void
zaf_auth_destroy (zaf_auth_t **self_p)
{
    assert (self_p);
    if (!*self_p)
        return;
    zaf_auth_t *self = *self_p;
    zsock_destroy (&self->zap);
    zhashx_destroy (&self->roles);
    zhashx_destroy (&self->revoked);
    zaf_ratelimit_destroy (&self->log);
    zcert_destroy (&self->cert);
    free (self->dir);
    memset (self->secret, 0, sizeof (self->secret));
    free (self);
    *self_p = NULL;
}

void
zaf_auth_apply_server (zaf_auth_t *self, zsock_t *router)
{
    assert (self);
    zsock_set_zap_domain (router, ZAF_AUTH_DOMAIN);
    zcert_apply (self->cert, router);
    zsock_set_curve_server (router, 1);
}

int
zaf_auth_reload (zaf_auth_t *self)
{
    assert (self);
    zdir_t *dir = zdir_new (self->dir, "-");
    if (!dir)
        return -1;
    zhashx_t *roles = zhashx_new ();
    zfile_t **files = zdir_flatten (dir);
    for (size_t index = 0; files [index]; index++) {
        const char *name = zfile_filename (files [index], NULL);
        size_t length = strlen (name);
        //  Only files directly in the directory, named *.cert
        const char *base = strrchr (name, '/');
        base = base ? base + 1 : name;
        size_t dir_length = strlen (self->dir);
        while (dir_length > 1 && self->dir [dir_length - 1] == '/')
            dir_length--;
        if (length < 5 || strneq (name + length - 5, ".cert")
        ||  (size_t) (base - name) != dir_length + 1)
            continue;
        zcert_t *cert = zcert_load (name);
        zaf_auth_role_t role = cert ? zaf_auth_role_parse (zcert_meta (cert, "role")) : ZAF_AUTH_NONE;
        if (role == ZAF_AUTH_NODE || role == ZAF_AUTH_DRIVER || role == ZAF_AUTH_ADMIN)
            zhashx_update (roles, zcert_public_txt (cert), (void *) (uintptr_t) role);
        zcert_destroy (&cert);
    }
    zdir_flatten_free (&files);
    zdir_destroy (&dir);
    zhashx_destroy (&self->roles);
    self->roles = roles;
    return (int) zhashx_size (roles);
}

int
zaf_auth_revoke (zaf_auth_t *self, const char *key)
{
    assert (self);
    byte binary [32];
    if (!key || strlen (key) != ZAF_AUTH_KEY_TEXT || !zmq_z85_decode (binary, key))
        return -1;
    zhashx_update (self->revoked, key, (void *) 1);
    return 0;
}

zaf_auth_role_t
zaf_auth_role (zaf_auth_t *self, const char *key)
{
    assert (self);
    if (!key || zhashx_lookup (self->revoked, key))
        return ZAF_AUTH_NONE;
    return (zaf_auth_role_t) (uintptr_t) zhashx_lookup (self->roles, key);
}

zsock_t *
zaf_auth_zap (zaf_auth_t *self)
{
    assert (self);
    return self->zap;
}

//  Answer one ZAP request (RFC 27): 200 with the key as User-Id for an
//  allowed CURVE key, 400 for anything else
void
zaf_auth_handle_zap (zaf_auth_t *self)
{
    assert (self);
    zmsg_t *request = zmsg_recv (self->zap);
    if (!request)
        return;
    char *version = zmsg_popstr (request);
    char *sequence = zmsg_popstr (request);
    char *domain = zmsg_popstr (request);
    char *address = zmsg_popstr (request);
    zframe_t *identity = zmsg_pop (request);
    char *mechanism = zmsg_popstr (request);
    zframe_t *credentials = zmsg_pop (request);
    char key [ZAF_AUTH_KEY_TEXT + 1] = "";
    const char *status = "400", *text = "key not allowed";
    if (mechanism && streq (mechanism, "CURVE") && credentials && zframe_size (credentials) == 32) {
        zmq_z85_encode (key, zframe_data (credentials), 32);
        if (zaf_auth_role (self, key)) {
            status = "200";
            text = "OK";
        }
    }
    else
        text = "CURVE required";
    if (*status == '2')
        self->allowed++;
    else {
        self->refused++;
        zaf_ratelimit_warn (self->log, "handshake refused address=%s key=%s: %s",
                            address ? address : "?", *key ? key : "-", text);
        key [0] = 0;
    }
    zstr_sendm (self->zap, version ? version : "1.0");
    zstr_sendm (self->zap, sequence ? sequence : "");
    zstr_sendm (self->zap, status);
    zstr_sendm (self->zap, text);
    zstr_sendm (self->zap, key);
    zstr_send (self->zap, "");
    zstr_free (&version);
    zstr_free (&sequence);
    zstr_free (&domain);
    zstr_free (&address);
    zstr_free (&mechanism);
    zframe_destroy (&identity);
    zframe_destroy (&credentials);
    zmsg_destroy (&request);
}

size_t
zaf_auth_allowed (zaf_auth_t *self)
{
    assert (self);
    return self->allowed;
}

size_t
zaf_auth_refused (zaf_auth_t *self)
{
    assert (self);
    return self->refused;
}

const char *
zaf_auth_public (zaf_auth_t *self)
{
    assert (self);
    return zcert_public_txt (self->cert);
}

const byte *
zaf_broker_auth_secret (zaf_auth_t *self)
{
    assert (self);
    return self->secret;
}
