/*  =========================================================================
    zaf_blob - binary attachments: bytes that travel as frames of their own

    A blob wraps one zmq_msg_t. zaf_blob_new copies the caller's bytes into
    it once; zaf_blob_new_take lends them to libzmq, which frees them with
    the caller's function after the last send. Sending moves the frame into
    a message's attachments; receiving moves it back out of the answer.
    Blobs belong to whoever holds the pointer; no thread affinity.
    =========================================================================
*/

#include "zaf_classes.h"

struct _zaf_blob_t {
    zmq_msg_t frame;            //  The bytes, as a frame ready to send
};

//  --------------------------------------------------------------------------
//  A blob holding a copy of size bytes. NULL if memory runs out.

zaf_blob_t *
zaf_blob_new (const void *data, size_t size)
{
    zaf_blob_t *self = (zaf_blob_t *) zmalloc (sizeof (zaf_blob_t));
    assert (self);
    if (zmq_msg_init_size (&self->frame, size)) {
        free (self);
        return NULL;
    }
    if (size)
        memcpy (zmq_msg_data (&self->frame), data, size);
    return self;
}

//  --------------------------------------------------------------------------
//  A blob that takes data without copying

zaf_blob_t *
zaf_blob_new_take (void *data, size_t size, zaf_blob_free_fn *free_fn, void *hint)
{
    zaf_blob_t *self = (zaf_blob_t *) zmalloc (sizeof (zaf_blob_t));
    assert (self);
    if (zmq_msg_init_data (&self->frame, data, size, free_fn, hint)) {
        free (self);
        return NULL;
    }
    return self;
}

//  --------------------------------------------------------------------------
//  A blob made from a frame (moved in)

zaf_blob_t *
zaf_blob_new_frame (zmq_msg_t *frame)
{
    assert (frame);
    zaf_blob_t *self = (zaf_blob_t *) zmalloc (sizeof (zaf_blob_t));
    assert (self);
    zmq_msg_init (&self->frame);
    zmq_msg_move (&self->frame, frame);
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy a blob

void
zaf_blob_destroy (zaf_blob_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zmq_msg_close (&(*self_p)->frame);
        free (*self_p);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  The bytes and their size

const void *
zaf_blob_data (zaf_blob_t *self)
{
    assert (self);
    return zmq_msg_data (&self->frame);
}

size_t
zaf_blob_size (zaf_blob_t *self)
{
    assert (self);
    return zmq_msg_size (&self->frame);
}

zmq_msg_t *
zaf_blob_frame (zaf_blob_t *self)
{
    assert (self);
    return &self->frame;
}

//  --------------------------------------------------------------------------
//  References: {"$blob": index}

cJSON *
zaf_blob_ref (size_t index)
{
    cJSON *ref = cJSON_CreateObject ();
    cJSON_AddNumberToObject (ref, "$blob", (double) index);
    return ref;
}

int
zaf_blob_index (const cJSON *ref)
{
    const cJSON *index = cJSON_GetObjectItemCaseSensitive (ref, "$blob");
    if (!cJSON_IsNumber (index) || index->valuedouble < 0
    ||  index->valuedouble >= ZAF_BLOBS_MAX || index->valuedouble != (int) index->valuedouble)
        return -1;
    return (int) index->valuedouble;
}

//  --------------------------------------------------------------------------
//  Move blobs into a message's attachments

int
zaf_blob_attach_all (zaf_proto_t *msg, zaf_blob_t **blobs, size_t count)
{
    int rc = count > ZAF_BLOBS_MAX ? -1 : 0;
    for (size_t index = 0; index < count; index++) {
        if (!blobs [index])
            continue;
        if (rc == 0 && zaf_proto_attach (msg, &blobs [index]->frame))
            rc = -1;
        zaf_blob_destroy (&blobs [index]);
    }
    return rc;
}

void
zaf_blob_destroy_all (zaf_blob_t **blobs, size_t count)
{
    for (size_t index = 0; index < count; index++)
        zaf_blob_destroy (&blobs [index]);
}
