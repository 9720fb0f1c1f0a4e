/*  =========================================================================
    zaf_broker_ids - actor ids that cannot be guessed or forged

    An actor id is 16 random bytes (getrandom) followed by an 8-byte tag,
    SipHash-2-4 of those bytes under a 128-bit key derived from the
    broker's id secret, written as 32 base64url characters (A-Z a-z 0-9 -
    _). Nobody can predict the next id, and nobody without the secret can
    make an id the broker will take as one of its own. A broker given the
    same secret after a restart (zaf_broker_ids_set_secret: the broker's
    key, or an operator's secret file) tells ids it issued before from
    forged ones, so adoption takes only those. A broker without a secret
    draws a random one: it cannot check ids from an earlier run, and takes
    any well-formed id that is neither live nor dead (see
    zaf_broker_ids_adoptable).
    =========================================================================
*/

#ifndef ZAF_BROKER_IDS_H_INCLUDED
#define ZAF_BROKER_IDS_H_INCLUDED

//  Length of an actor id in characters
#define ZAF_BROKER_ID_SIZE      32
//  Bytes in an id secret
#define ZAF_BROKER_SECRET_SIZE  32

typedef struct _zaf_broker_ids_t zaf_broker_ids_t;

//  Create the id issuer with a random secret.
zaf_broker_ids_t *
    zaf_broker_ids_new (void);

//  Destroy it.
void
    zaf_broker_ids_destroy (zaf_broker_ids_t **self_p);

//  Use this secret (ZAF_BROKER_SECRET_SIZE bytes) from now on; ids are
//  then checked on adoption.
void
    zaf_broker_ids_set_secret (zaf_broker_ids_t *self, const byte *secret);

//  True if the secret was set (not drawn at random).
bool
    zaf_broker_ids_keyed (zaf_broker_ids_t *self);

//  Write a fresh id into id (ZAF_BROKER_ID_SIZE + 1 bytes).
void
    zaf_broker_ids_fresh (zaf_broker_ids_t *self, char *id);

//  True if id has the form of an id and its tag matches our secret.
bool
    zaf_broker_ids_verify (zaf_broker_ids_t *self, const char *id);

//  True if a node may bring back an actor under this id after a broker
//  restart: with a secret set, the id must verify; without, it must have
//  the form of an id (nothing more can be checked).
bool
    zaf_broker_ids_adoptable (zaf_broker_ids_t *self, const char *id);

//  Fill buffer with size bytes from the system's random source
//  (getrandom, else /dev/urandom). Returns 0, or -1 if neither works.
int
    zaf_broker_ids_random (void *buffer, size_t size);

//  SipHash-2-4 of data under a 16-byte key.
uint64_t
    zaf_broker_ids_siphash (const byte *key, const void *data, size_t size);

#endif
