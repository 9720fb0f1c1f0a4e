/*  =========================================================================
    zaf_blob - binary attachments: bytes that travel as frames of their own

    The public half (zaf_blob_new, _take, _destroy, _data, _size, _ref) is
    in zaf.h. A blob is one ZeroMQ frame, ready to send: attaching it to a
    message moves the frame, never the bytes. The JSON beside it names it
    {"$blob": index}. This header adds what the client and the method
    context need to move blobs into and out of messages.
    =========================================================================
*/

#ifndef ZAF_BLOB_H_INCLUDED
#define ZAF_BLOB_H_INCLUDED

//  A blob made from a frame, which is moved in (left empty). Never NULL.
zaf_blob_t *
    zaf_blob_new_frame (zmq_msg_t *frame);

//  The blob's frame, borrowed for as long as the blob lives: attach it
//  (zaf_proto_attach moves it out) and then destroy the empty blob.
zmq_msg_t *
    zaf_blob_frame (zaf_blob_t *self);

//  The index a {"$blob": n} reference names, or -1 if ref is not one.
int
    zaf_blob_index (const cJSON *ref);

//  Move blobs (taken: every entry is destroyed and nulled) into a
//  message's attachments. Returns 0, or -1 if there were more than
//  ZAF_BLOBS_MAX or the codec refused one (the message may then hold some).
int
    zaf_blob_attach_all (zaf_proto_t *msg, zaf_blob_t **blobs, size_t count);

//  Destroy `count` blobs of an array (entries nulled), for requests
//  refused before they are built.
void
    zaf_blob_destroy_all (zaf_blob_t **blobs, size_t count);

#endif
