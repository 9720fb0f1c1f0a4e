/*  =========================================================================
    fuzz_proto - the ZAF1 frame decoder (zaf_proto_decode) on any frames

    Input layout: byte 0 says whether the message is routed (bit 0: the
    first frame is a ROUTER's routing id); then frames, each a 2-byte
    little-endian length and that many bytes (the last one cut short by
    the end of the input). A decoded message is then used as the broker
    uses one: its JSON bodies parsed, its text fields read, held for a
    backlog and freed.
    =========================================================================
*/

#include "zaf_classes.h"
#include "fuzz.h"

#define FRAMES_MAX  64

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    bool routed = data [0] & 1;
    size_t at = 1;
    zmq_msg_t frames [FRAMES_MAX];
    size_t count = 0;
    while (at < size && count < FRAMES_MAX) {
        size_t length = data [at];
        if (at + 1 < size)
            length |= (size_t) data [at + 1] << 8;
        at += 2;
        if (at > size)
            at = size;
        if (length > size - at)
            length = size - at;
        zmq_msg_init_size (&frames [count], length);
        if (length)
            memcpy (zmq_msg_data (&frames [count]), data + at, length);
        count++;
        at += length;
    }
    zaf_proto_t *msg = zaf_proto_new ();
    if (zaf_proto_decode (msg, frames, count, routed) == 0) {
        //  What the broker and nodes read of a message
        size_t field_size;
        zaf_proto_routing_id (msg, &field_size);
        zaf_proto_caller (msg, &field_size);
        zaf_proto_corr (msg, &field_size);
        assert (strlen (zaf_proto_actor (msg)) <= ZAF_PROTO_ACTOR_MAX);
        assert (strlen (zaf_proto_name (msg)) <= ZAF_PROTO_ID_MAX);
        cJSON *body = zaf_proto_body_json (msg);
        cJSON_Delete (body);
        cJSON *options = zaf_proto_options_json (msg);
        cJSON_Delete (options);
        zaf_error_t err;
        const char *text = zaf_proto_body (msg, &field_size);
        zaf_error_parse (text, field_size, &err);
        assert (strlen (err.message) < sizeof (err.message));
        for (size_t index = 0; index < zaf_proto_attachments (msg); index++)
            zaf_proto_attachment (msg, index);
        //  A copy and a backlog entry, as the broker makes them
        zaf_proto_t *copy = zaf_proto_dup (msg);
        zaf_proto_destroy (&copy);
        zaf_proto_held_t *held = zaf_proto_hold (msg);
        assert (zaf_proto_held_bytes (held) > 0);
        zaf_proto_held_destroy (&held);
    }
    else
        assert (*zaf_proto_fault (msg));
    zaf_proto_destroy (&msg);
    for (size_t index = 0; index < count; index++)
        zmq_msg_close (&frames [index]);
    return 0;
}
