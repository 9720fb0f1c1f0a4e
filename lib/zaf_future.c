/*  =========================================================================
    zaf_future - futures, and the map of those a connection waits on

    The map's keys are the correlation ids themselves (no allocation per
    key). A future is in its map exactly while it is pending; ready means
    its outcome is known and will not change. An abandoned spawn stays in
    the map with no owner, so that whoever takes its answer can undo the
    spawn; the map frees it if the connection ends first.
    =========================================================================
*/

#include "zaf_classes.h"

struct _zaf_future_t {
    zaf_pending_t *owner;       //  Map of our connection, NULL once gone
    uint64_t corr;              //  Correlation id
    zaf_future_kind_t kind;     //  What was asked
    bool ready;                 //  Outcome is known
    bool abandoned;             //  Destroyed while pending (spawns only)
    cJSON *result;              //  Result on success
    zaf_error_t error;          //  Error on failure
    zmq_msg_t *blobs;           //  Attachments of the answer, or NULL
    size_t blob_count;
};

struct _zaf_pending_t {
    zhashx_t *futures;          //  corr -> zaf_future_t
    uint64_t next_corr;         //  Next correlation id, never 0
    size_t max;                 //  Bound on futures pending
};

//  --------------------------------------------------------------------------
//  Correlation ids

static void
s_corr_encode (uint64_t corr, byte *bytes)
{
    for (int index = ZAF_FUTURE_CORR_SIZE - 1; index >= 0; index--) {
        bytes [index] = (byte) (corr & 0xff);
        corr >>= 8;
    }
}

static uint64_t
s_corr_decode (const byte *bytes, size_t size)
{
    if (size != ZAF_FUTURE_CORR_SIZE)
        return 0;
    uint64_t corr = 0;
    for (int index = 0; index < ZAF_FUTURE_CORR_SIZE; index++)
        corr = (corr << 8) | bytes [index];
    return corr;
}

//  --------------------------------------------------------------------------
//  Futures

void
zaf_future_write_corr (zaf_future_t *self, zaf_proto_t *msg)
{
    assert (self);
    byte bytes [ZAF_FUTURE_CORR_SIZE];
    s_corr_encode (self->corr, bytes);
    zaf_proto_set_corr (msg, bytes, sizeof (bytes));
    zaf_proto_set_caller (msg, NULL, 0);
}

zlistx_t *
zaf_pending_list (zaf_pending_t *self)
{
    assert (self);
    zlistx_t *list = zlistx_new ();
    for (zaf_future_t *future = (zaf_future_t *) zhashx_first (self->futures); future;
         future = (zaf_future_t *) zhashx_next (self->futures))
        zlistx_add_end (list, future);
    return list;
}

static zaf_future_t *
s_future_new (zaf_pending_t *owner, zaf_future_kind_t kind)
{
    zaf_future_t *self = (zaf_future_t *) zmalloc (sizeof (zaf_future_t));
    assert (self);
    self->owner = owner;
    self->kind = kind;
    return self;
}

static void
s_future_blobs_close (zaf_future_t *self)
{
    for (size_t index = 0; index < self->blob_count; index++)
        zmq_msg_close (&self->blobs [index]);
    free (self->blobs);
    self->blobs = NULL;
    self->blob_count = 0;
}

void
zaf_future_destroy (zaf_future_t **self_p)
{
    assert (self_p);
    if (!*self_p)
        return;
    zaf_future_t *self = *self_p;
    if (!self->ready && self->owner)
        zhashx_delete (self->owner->futures, (void *) (uintptr_t) self->corr);
    cJSON_Delete (self->result);
    s_future_blobs_close (self);
    free (self);
    *self_p = NULL;
}

bool
zaf_future_ready (const zaf_future_t *self)
{
    return self && self->ready;
}

zaf_pending_t *
zaf_future_owner (const zaf_future_t *self)
{
    assert (self);
    return self->owner;
}

zaf_future_kind_t
zaf_future_kind (const zaf_future_t *self)
{
    assert (self);
    return self->kind;
}

void
zaf_future_fail (zaf_future_t *self, zaf_code_t code, const char *format, ...)
{
    assert (self);
    if (self->ready)
        return;
    if (self->owner)
        zhashx_delete (self->owner->futures, (void *) (uintptr_t) self->corr);
    self->ready = true;
    self->error.code = code;
    va_list args;
    va_start (args, format);
    vsnprintf (self->error.message, sizeof (self->error.message), format, args);
    va_end (args);
}

void
zaf_future_abandon (zaf_future_t *self)
{
    assert (self);
    assert (self->kind == ZAF_FUTURE_SPAWN);
    if (self->ready) {
        zaf_future_destroy (&self);
        return;
    }
    self->abandoned = true;
    self->owner = NULL;         //  The map keeps it; nobody else does
}

bool
zaf_future_abandoned (const zaf_future_t *self)
{
    assert (self);
    return self->abandoned;
}

bool
zaf_future_spawned_existing (zaf_proto_t *msg)
{
    cJSON *body = zaf_proto_body_json (msg);
    bool existing = zaf_json_bool (body, "existing", false);
    cJSON_Delete (body);
    return existing;
}

//  --------------------------------------------------------------------------
//  Fill a future from its answer

void
zaf_future_resolve (zaf_future_t *self, zaf_proto_t *msg)
{
    assert (self);
    assert (!self->ready);
    self->ready = true;
    size_t size;
    const char *body = zaf_proto_body (msg, &size);
    if (!zaf_proto_ok (msg)) {
        zaf_error_parse (body, size, &self->error);
        return;
    }
    if (self->kind == ZAF_FUTURE_SPAWN) {
        if (!*zaf_proto_actor (msg))
            zaf_error_set (&self->error, ZAF_PROTOCOL, "SPAWNED without an actor id");
        else {
            self->result = cJSON_CreateObject ();
            cJSON_AddStringToObject (self->result, "actor", zaf_proto_actor (msg));
            if (zaf_future_spawned_existing (msg))
                cJSON_AddBoolToObject (self->result, "existing", true);
        }
        return;
    }
    self->result = size ? zaf_json_parse (body, size) : cJSON_CreateNull ();
    if (!self->result)
        zaf_error_set (&self->error, ZAF_PROTOCOL, "answer is not valid JSON (%zu bytes)", size);
    else
    if (zaf_proto_attachments (msg)) {
        //  The answer's blobs: moved, not copied
        self->blob_count = zaf_proto_attachments (msg);
        self->blobs = (zmq_msg_t *) calloc (self->blob_count, sizeof (zmq_msg_t));
        assert (self->blobs);
        for (size_t index = 0; index < self->blob_count; index++) {
            zmq_msg_init (&self->blobs [index]);
            zmq_msg_move (&self->blobs [index], zaf_proto_attachment (msg, index));
        }
    }
}

//  --------------------------------------------------------------------------
//  Take the outcome out of a ready future

cJSON *
zaf_future_take_result (zaf_future_t *self, zaf_error_t *err)
{
    assert (self);
    assert (self->ready);
    cJSON *result = self->result;
    self->result = NULL;
    if (!result && err)
        *err = self->error;
    return result;
}

size_t
zaf_future_take_blobs (zaf_future_t *self, zaf_blob_t **blobs)
{
    assert (self);
    size_t taken = 0;
    if (self->ready && self->result)
        for (; taken < self->blob_count && taken < ZAF_BLOBS_MAX; taken++)
            blobs [taken] = zaf_blob_new_frame (&self->blobs [taken]);
    return taken;
}

//  --------------------------------------------------------------------------
//  The pending map

zaf_pending_t *
zaf_pending_new (size_t max)
{
    zaf_pending_t *self = (zaf_pending_t *) zmalloc (sizeof (zaf_pending_t));
    assert (self);
    self->futures = zaf_key_int_map_new ();
    self->next_corr = 1;
    self->max = max;
    return self;
}

//  End every future in the map with an error; orphan them if asked
static void
s_end_all (zaf_pending_t *self, zaf_code_t code, const char *message, bool orphan)
{
    zlistx_t *futures = zhashx_values (self->futures);
    zhashx_purge (self->futures);
    for (zaf_future_t *future = (zaf_future_t *) zlistx_first (futures); future;
         future = (zaf_future_t *) zlistx_next (futures)) {
        future->ready = true;
        zaf_error_set (&future->error, code, "%s", message);
        if (orphan)
            future->owner = NULL;
        if (future->abandoned)
            free (future);
    }
    zlistx_destroy (&futures);
}

void
zaf_pending_destroy (zaf_pending_t **self_p)
{
    assert (self_p);
    if (!*self_p)
        return;
    zaf_pending_t *self = *self_p;
    s_end_all (self, ZAF_BROKER_LOST, "connection closed before the answer came", true);
    zhashx_destroy (&self->futures);
    free (self);
    *self_p = NULL;
}

zaf_future_t *
zaf_pending_request (zaf_pending_t *self, zaf_future_kind_t kind, zaf_proto_t *msg)
{
    assert (self);
    zaf_future_t *future = s_future_new (self, kind);
    future->corr = self->next_corr++;
    if (zhashx_size (self->futures) >= self->max) {
        //  The broker keeps every answer for us; bound how many can pile up
        future->ready = true;
        zaf_error_set (&future->error, ZAF_OVERLOADED,
                       "%zu requests already in flight on this connection", self->max);
        return future;
    }
    byte corr [ZAF_FUTURE_CORR_SIZE];
    s_corr_encode (future->corr, corr);
    zaf_proto_set_corr (msg, corr, sizeof (corr));
    zaf_proto_set_caller (msg, NULL, 0);
    zhashx_insert (self->futures, (void *) (uintptr_t) future->corr, future);
    return future;
}

zaf_future_t *
zaf_pending_failed (zaf_pending_t *self, zaf_code_t code, const char *message)
{
    assert (self);
    zaf_future_t *future = s_future_new (self, ZAF_FUTURE_CONTROL);
    future->ready = true;
    zaf_error_set (&future->error, code, "%s", message);
    return future;
}

zaf_future_t *
zaf_pending_take (zaf_pending_t *self, const void *corr, size_t size)
{
    assert (self);
    uint64_t key = s_corr_decode ((const byte *) corr, size);
    zaf_future_t *future = key
        ? (zaf_future_t *) zhashx_lookup (self->futures, (void *) (uintptr_t) key)
        : NULL;
    if (future)
        zhashx_delete (self->futures, (void *) (uintptr_t) key);
    return future;
}

void
zaf_pending_fail_all (zaf_pending_t *self, zaf_code_t code, const char *message)
{
    assert (self);
    s_end_all (self, code, message, false);
}

size_t
zaf_pending_size (zaf_pending_t *self)
{
    assert (self);
    return zhashx_size (self->futures);
}
