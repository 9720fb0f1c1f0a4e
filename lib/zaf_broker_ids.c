/*  =========================================================================
    zaf_broker_ids - actor ids that cannot be guessed or forged

    Runs in the broker thread only. SipHash-2-4 (Aumasson and Bernstein,
    2012) is a keyed hash made for short inputs: with a secret key its
    64-bit output is a MAC. The key is derived from the 32-byte secret by
    two SipHash runs under fixed keys, so that any secret (a digest of the
    broker's CURVE key, or random bytes) works as it is.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_broker_ids.h"
#include <sys/random.h>

#define ZAF_BROKER_ID_RANDOM    16      //  Random bytes in an id
#define ZAF_BROKER_ID_TAG       8       //  Tag bytes in an id
#define ZAF_BROKER_ID_BYTES     (ZAF_BROKER_ID_RANDOM + ZAF_BROKER_ID_TAG)

struct _zaf_broker_ids_t {
    byte key [16];              //  SipHash key, from the secret
    bool keyed;                 //  The secret was given, not drawn
};

static const char s_alphabet [] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

//  --------------------------------------------------------------------------
//  SipHash-2-4

#define ROTL(x, b) (uint64_t) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND \
    do { \
        v0 += v1; v1 = ROTL (v1, 13); v1 ^= v0; v0 = ROTL (v0, 32); \
        v2 += v3; v3 = ROTL (v3, 16); v3 ^= v2; \
        v0 += v3; v3 = ROTL (v3, 21); v3 ^= v0; \
        v2 += v1; v1 = ROTL (v1, 17); v1 ^= v2; v2 = ROTL (v2, 32); \
    } while (0)

static uint64_t
s_load64 (const byte *p)
{
    uint64_t value = 0;
    for (int index = 7; index >= 0; index--)
        value = (value << 8) | p [index];
    return value;
}

uint64_t
zaf_broker_ids_siphash (const byte *key, const void *data, size_t size)
{
    const byte *in = (const byte *) data;
    uint64_t k0 = s_load64 (key), k1 = s_load64 (key + 8);
    uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
    uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
    uint64_t v3 = 0x7465646279746573ULL ^ k1;
    size_t whole = size - size % 8;
    for (size_t at = 0; at < whole; at += 8) {
        uint64_t m = s_load64 (in + at);
        v3 ^= m;
        SIPROUND; SIPROUND;
        v0 ^= m;
    }
    uint64_t last = (uint64_t) size << 56;
    for (size_t index = 0; index < size % 8; index++)
        last |= (uint64_t) in [whole + index] << (8 * index);
    v3 ^= last;
    SIPROUND; SIPROUND;
    v0 ^= last;
    v2 ^= 0xff;
    SIPROUND; SIPROUND; SIPROUND; SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

//  --------------------------------------------------------------------------
//  Random bytes from the system

int
zaf_broker_ids_random (void *buffer, size_t size)
{
    byte *out = (byte *) buffer;
    size_t got = 0;
    while (got < size) {
        ssize_t rc = getrandom (out + got, size - got, 0);
        if (rc > 0)
            got += (size_t) rc;
        else
        if (rc == -1 && errno == EINTR)
            continue;
        else
            break;
    }
    if (got == size)
        return 0;
    FILE *file = fopen ("/dev/urandom", "rb");
    if (!file)
        return -1;
    size_t read = fread (out, 1, size, file);
    fclose (file);
    return read == size ? 0 : -1;
}

//  --------------------------------------------------------------------------
//  Create and destroy

zaf_broker_ids_t *
zaf_broker_ids_new (void)
{
    zaf_broker_ids_t *self = (zaf_broker_ids_t *) zmalloc (sizeof (zaf_broker_ids_t));
    assert (self);
    byte secret [ZAF_BROKER_SECRET_SIZE];
    int rc = zaf_broker_ids_random (secret, sizeof (secret));
    assert (rc == 0);
    zaf_broker_ids_set_secret (self, secret);
    self->keyed = false;
    return self;
}

void
zaf_broker_ids_destroy (zaf_broker_ids_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zaf_broker_ids_t *self = *self_p;
        memset (self->key, 0, sizeof (self->key));
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  The secret: the key is two SipHash runs over it under fixed keys

void
zaf_broker_ids_set_secret (zaf_broker_ids_t *self, const byte *secret)
{
    assert (self);
    assert (secret);
    static const byte label [2][16] = {
        { 'z', 'a', 'f', ' ', 'a', 'c', 't', 'o', 'r', ' ', 'i', 'd', ' ', 'k', ' ', '0' },
        { 'z', 'a', 'f', ' ', 'a', 'c', 't', 'o', 'r', ' ', 'i', 'd', ' ', 'k', ' ', '1' }
    };
    for (int half = 0; half < 2; half++) {
        uint64_t value = zaf_broker_ids_siphash (label [half], secret, ZAF_BROKER_SECRET_SIZE);
        for (int index = 0; index < 8; index++)
            self->key [half * 8 + index] = (byte) (value >> (8 * index));
    }
    self->keyed = true;
}

bool
zaf_broker_ids_keyed (zaf_broker_ids_t *self)
{
    assert (self);
    return self->keyed;
}

//  --------------------------------------------------------------------------
//  Encoding: 24 bytes as 32 base64url characters, and back

static void
s_encode (const byte *bytes, char *text)
{
    for (size_t group = 0; group < ZAF_BROKER_ID_BYTES / 3; group++) {
        const byte *in = bytes + group * 3;
        uint32_t value = ((uint32_t) in [0] << 16) | ((uint32_t) in [1] << 8) | in [2];
        for (int index = 0; index < 4; index++)
            text [group * 4 + index] = s_alphabet [(value >> (18 - 6 * index)) & 63];
    }
    text [ZAF_BROKER_ID_SIZE] = 0;
}

static int
s_decode (const char *text, byte *bytes)
{
    if (!text || strlen (text) != ZAF_BROKER_ID_SIZE)
        return -1;
    for (size_t group = 0; group < ZAF_BROKER_ID_BYTES / 3; group++) {
        uint32_t value = 0;
        for (int index = 0; index < 4; index++) {
            const char *at = strchr (s_alphabet, text [group * 4 + index]);
            if (!at || !*at)
                return -1;
            value = (value << 6) | (uint32_t) (at - s_alphabet);
        }
        bytes [group * 3] = (byte) (value >> 16);
        bytes [group * 3 + 1] = (byte) (value >> 8);
        bytes [group * 3 + 2] = (byte) value;
    }
    return 0;
}

static void
s_tag (zaf_broker_ids_t *self, byte *bytes)
{
    uint64_t tag = zaf_broker_ids_siphash (self->key, bytes, ZAF_BROKER_ID_RANDOM);
    for (int index = 0; index < ZAF_BROKER_ID_TAG; index++)
        bytes [ZAF_BROKER_ID_RANDOM + index] = (byte) (tag >> (8 * index));
}

//  --------------------------------------------------------------------------
//  A fresh id

void
zaf_broker_ids_fresh (zaf_broker_ids_t *self, char *id)
{
    assert (self);
    byte bytes [ZAF_BROKER_ID_BYTES];
    int rc = zaf_broker_ids_random (bytes, ZAF_BROKER_ID_RANDOM);
    assert (rc == 0);
    //  The first character is a letter (A-Z, a-f), never '-' or '_': an id
    //  is typed as a command-line argument, and "-x..." would read as a flag
    bytes [0] &= 0x7F;
    s_tag (self, bytes);
    s_encode (bytes, id);
}

//  --------------------------------------------------------------------------
//  Checking ids

bool
zaf_broker_ids_verify (zaf_broker_ids_t *self, const char *id)
{
    assert (self);
    byte bytes [ZAF_BROKER_ID_BYTES], expected [ZAF_BROKER_ID_BYTES];
    if (s_decode (id, bytes))
        return false;
    memcpy (expected, bytes, ZAF_BROKER_ID_RANDOM);
    s_tag (self, expected);
    //  Compare in constant time
    byte diff = 0;
    for (int index = ZAF_BROKER_ID_RANDOM; index < ZAF_BROKER_ID_BYTES; index++)
        diff |= (byte) (bytes [index] ^ expected [index]);
    return diff == 0;
}

bool
zaf_broker_ids_adoptable (zaf_broker_ids_t *self, const char *id)
{
    assert (self);
    if (self->keyed)
        return zaf_broker_ids_verify (self, id);
    byte bytes [ZAF_BROKER_ID_BYTES];
    return s_decode (id, bytes) == 0;
}
