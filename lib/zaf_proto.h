/*  =========================================================================
    zaf_proto - the ZAF1 wire codec: the only code that knows frame layout

    A zaf_proto_t holds one message: a command and the fields that command
    carries. zaf_proto_recv fills it from a socket, zaf_proto_send writes it;
    one object is meant to be reused for every message on a hot path, so that
    receiving and forwarding a call allocates nothing for its small fields and
    moves its body frame without copying it.

    Every message is [ZAF1][COMMAND][fields...], preceded by the routing id
    on a ROUTER socket. Fields always appear in this order, each command
    carrying a subset (the command table below, and docs/PROTOCOL.md):

        caller  corr  actor  name  options  status  body  [attachments]

    The codec checks frame counts, sizes and the few fixed values (signature,
    command word, status); it never parses JSON.
    =========================================================================
*/

#ifndef ZAF_PROTO_H_INCLUDED
#define ZAF_PROTO_H_INCLUDED

#define ZAF_PROTO_SIGNATURE     "ZAF1"
#define ZAF_PROTO_ID_MAX        255     //  caller, corr, name, routing id
#define ZAF_PROTO_ACTOR_MAX     64      //  actor ids
#define ZAF_PROTO_ATTACH_MAX    16      //  attachments (CALL, TELL, SUBMIT, REPLY)
#define ZAF_PROTO_TIMEOUT_MAX   86400000    //  timeout_ms in a call's options (1 day)
#define ZAF_TASK_RETRIES_MAX    100         //  max_task_retries in a SUBMIT's options

typedef enum {
    ZAF_PROTO_HELLO = 1,
    ZAF_PROTO_WELCOME,
    ZAF_PROTO_SPAWN,
    ZAF_PROTO_SPAWNED,
    ZAF_PROTO_CALL,
    ZAF_PROTO_TELL,
    ZAF_PROTO_REPLY,
    ZAF_PROTO_SUBMIT,
    ZAF_PROTO_KILL,
    ZAF_PROTO_EXIT,
    ZAF_PROTO_LOOKUP,
    ZAF_PROTO_STATUS,
    ZAF_PROTO_HEARTBEAT,
    ZAF_PROTO_BYE,
    ZAF_PROTO_ERROR,
    ZAF_PROTO_STOP,
    ZAF_PROTO_MONITOR,
    ZAF_PROTO_REVOKE,
    ZAF_PROTO_CANCEL,
    ZAF_PROTO_DRAIN,
    ZAF_PROTO_COUNT
} zaf_proto_id_t;

typedef struct _zaf_proto_t zaf_proto_t;

//  --------------------------------------------------------------------------
//  The command table: which frames each command carries after its command
//  word, in order, what each may hold, whether attachments may follow and
//  which way the command travels. It is the codec's one description of the
//  grammar in docs/PROTOCOL.md section 2: receive and send walk it, and
//  tests/test_protocol_doc.c holds it against that document. Read-only.

//  The fields a frame can hold, in canonical wire order
typedef enum {
    ZAF_PROTO_FIELD_CALLER,
    ZAF_PROTO_FIELD_CORR,
    ZAF_PROTO_FIELD_ACTOR,
    ZAF_PROTO_FIELD_NAME,
    ZAF_PROTO_FIELD_OPTIONS,
    ZAF_PROTO_FIELD_STATUS,
    ZAF_PROTO_FIELD_BODY
} zaf_proto_field_t;

//  What a frame's bytes may be
typedef enum {
    ZAF_PROTO_KIND_BINARY,      //  Any bytes, min to max of them (caller, corr)
    ZAF_PROTO_KIND_ID,          //  Printable ASCII without spaces (actor, name)
    ZAF_PROTO_KIND_STATUS,      //  Exactly "ok" or "error"
    ZAF_PROTO_KIND_OPAQUE       //  Any bytes, any size (options, body; JSON
                                //  by convention, never parsed here)
} zaf_proto_kind_t;

//  Directions a command travels (bits)
#define ZAF_PROTO_TO_BROKER     0x01    //  A peer sends it to the broker
#define ZAF_PROTO_FROM_BROKER   0x02    //  The broker sends it to a peer

#define ZAF_PROTO_FRAMES_MAX    6       //  Most frames after a command word,
                                        //  attachments aside

//  One frame of a command
typedef struct {
    zaf_proto_field_t field;    //  The field it holds
    const char *name;           //  Its name in the grammar ("corr" for corr-f)
    zaf_proto_kind_t kind;      //  What its bytes may be
    size_t min;                 //  Fewest bytes this command accepts in it
    size_t max;                 //  Most bytes; 0 for no limit of its own
    bool optional;              //  May be left out (the envelope options of
                                //  CALL, TELL, SUBMIT: present only when it
                                //  is a JSON object followed by more frames)
} zaf_proto_frame_t;

//  One command
typedef struct {
    zaf_proto_id_t id;          //  Its id
    const char *word;           //  Its command word on the wire
    int direction;              //  ZAF_PROTO_TO_BROKER | ZAF_PROTO_FROM_BROKER
    size_t frame_count;         //  Frames after the command word
    zaf_proto_frame_t frames [ZAF_PROTO_FRAMES_MAX];
    size_t attachments_max;     //  Attachments allowed after the last frame
} zaf_proto_command_t;

//  How many commands the table has; their ids run from 1 to this count.
size_t
    zaf_proto_command_count (void);

//  The table's entry for a command (static, never freed), or NULL if id
//  is out of range.
const zaf_proto_command_t *
    zaf_proto_command (zaf_proto_id_t id);

//  The command whose word is these bytes, or NULL.
const zaf_proto_command_t *
    zaf_proto_command_find (const void *word, size_t size);

//  How faults name a field ("actor id"), and what a command that needs it
//  non-empty says it needs ("an actor id"; NULL: "<label> is empty").
const char *
    zaf_proto_field_label (zaf_proto_field_t field);
const char *
    zaf_proto_field_needs (zaf_proto_field_t field);

//  --------------------------------------------------------------------------
//  Messages

//  Create an empty message.
zaf_proto_t *
    zaf_proto_new (void);

//  Destroy a message and any frames it still holds.
void
    zaf_proto_destroy (zaf_proto_t **self_p);

//  Receive one message. Returns 0 on success; -1 if nothing could be read
//  (interrupted, context terminated, or with nowait nothing waiting: errno
//  tells which); -2 if the message was malformed, in which case all its
//  frames have been consumed, zaf_proto_fault says why and the routing id
//  (on a ROUTER) is still set so the sender can be answered.
int
    zaf_proto_recv (zaf_proto_t *self, void *socket);

//  Same, without blocking: -1 with errno EAGAIN when nothing waits.
int
    zaf_proto_recv_nowait (zaf_proto_t *self, void *socket);

//  Receive one message from a socket whose peers are threads of this
//  process (inproc), which may pass messages by reference (see
//  zaf_proto_send_local). Never use it on a socket a network peer or
//  another process can write to. Same returns as zaf_proto_recv.
int
    zaf_proto_recv_local (zaf_proto_t *self, void *socket, bool nowait);

//  Send the message to a thread of this process over inproc by reference:
//  one frame carries it, instead of a frame per field. The receiver must
//  read it with zaf_proto_recv_local. A message dropped unread (its
//  receiver closed) is destroyed with the frame. Same returns and
//  semantics as zaf_proto_send.
int
    zaf_proto_send_local (zaf_proto_t *self, void *socket);

//  Decode a message from count frames in memory, as zaf_proto_recv would
//  from a socket (routed: the first frame is a ROUTER's routing id; no
//  by-reference messages). Frames whose content the message keeps (body,
//  options, attachments) are moved out and left empty; the caller still
//  closes every frame. Returns 0, or -2 if the message is malformed
//  (zaf_proto_fault says why).
int
    zaf_proto_decode (zaf_proto_t *self, zmq_msg_t *frames, size_t count, bool routed);

//  Send the message. Never blocks on a full queue: returns -1 with errno
//  EAGAIN (queue full) or EHOSTUNREACH (unknown routing id on a ROUTER with
//  ZMQ_ROUTER_MANDATORY) and keeps every field, so the caller can answer
//  with an error instead. On success returns 0; the options and body frames
//  have then been moved onto the wire and are empty; other fields are kept.
//  Attachments go only with a command that carries them (CALL, TELL,
//  SUBMIT, REPLY); a sent message has none left either way.
int
    zaf_proto_send (zaf_proto_t *self, void *socket);

//  A message held for later (a peer's backlog): only its frames, as they go
//  on the wire from a ROUTER, and what they cost in memory.
typedef struct _zaf_proto_held_t zaf_proto_held_t;

//  Pack self (its routing id first) for a later send on a ROUTER. Body,
//  options and attachments are moved, not copied; self is left reset.
//  Returns the held message; the caller owns it.
zaf_proto_held_t *
    zaf_proto_hold (zaf_proto_t *self);

//  Bytes the held message occupies (frames, their data, bookkeeping).
size_t
    zaf_proto_held_bytes (zaf_proto_held_t *held);

//  Send it on a ROUTER without blocking: 0 when sent (its frames are then
//  empty: destroy it), -1 with errno (EAGAIN: queue full; EHOSTUNREACH:
//  peer gone) and nothing sent.
int
    zaf_proto_held_send (zaf_proto_held_t *held, void *socket);

//  Destroy a held message. Nulls the caller's pointer.
void
    zaf_proto_held_destroy (zaf_proto_held_t **held_p);

//  Reset every field (frees held frames); keeps the object for reuse.
void
    zaf_proto_reset (zaf_proto_t *self);

//  Move every field of `from` into self, leaving `from` reset.
void
    zaf_proto_move (zaf_proto_t *self, zaf_proto_t *from);

//  Deep-copy a message (for the rare places that must keep one).
zaf_proto_t *
    zaf_proto_dup (zaf_proto_t *self);

//  The command of the message.
zaf_proto_id_t
    zaf_proto_id (zaf_proto_t *self);
void
    zaf_proto_set_id (zaf_proto_t *self, zaf_proto_id_t id);

//  Command word for an id ("CALL"); "UNKNOWN" if out of range.
const char *
    zaf_proto_command_name (zaf_proto_id_t id);

//  Why the last receive returned -2.
const char *
    zaf_proto_fault (zaf_proto_t *self);

//  With want_user, each receive reads the User-Id libzmq attached to the
//  message (the sender's public key, z85, when the ZAP handler allowed
//  its CURVE key). zaf_proto_user returns it, or "" if none.
void
    zaf_proto_set_want_user (zaf_proto_t *self, bool want);
const char *
    zaf_proto_user (zaf_proto_t *self);

//  Routing id (ROUTER side only). Binary, up to 255 bytes.
const void *
    zaf_proto_routing_id (zaf_proto_t *self, size_t *size);
void
    zaf_proto_set_routing_id (zaf_proto_t *self, const void *data, size_t size);

//  Caller: the peer id of the party that made the request (binary).
const void *
    zaf_proto_caller (zaf_proto_t *self, size_t *size);
void
    zaf_proto_set_caller (zaf_proto_t *self, const void *data, size_t size);

//  Corr: the correlation id of a request, echoed in its answer (binary).
const void *
    zaf_proto_corr (zaf_proto_t *self, size_t *size);
void
    zaf_proto_set_corr (zaf_proto_t *self, const void *data, size_t size);

//  Actor id (printable ASCII, NUL-terminated here).
const char *
    zaf_proto_actor (zaf_proto_t *self);
void
    zaf_proto_set_actor (zaf_proto_t *self, const char *actor);

//  Name: role (HELLO), class (SPAWN), method (CALL, TELL), function
//  (SUBMIT) or actor name (LOOKUP). NUL-terminated here.
const char *
    zaf_proto_name (zaf_proto_t *self);
void
    zaf_proto_set_name (zaf_proto_t *self, const char *name);

//  Status of an answer: true for "ok", false for "error".
bool
    zaf_proto_ok (zaf_proto_t *self);
void
    zaf_proto_set_ok (zaf_proto_t *self, bool ok);

//  The deadline of a CALL, TELL or SUBMIT, on this process's zclock_mono
//  (0: none). Receive sets it from the envelope options ({"timeout_ms":
//  N}, the time left when the message was sent); send writes the time
//  left now (0 once it has passed) into them, so it is counted again
//  from each hop's clock. It goes with a message passed by reference.
int64_t
    zaf_proto_deadline (zaf_proto_t *self);
void
    zaf_proto_set_deadline (zaf_proto_t *self, int64_t deadline);

//  The envelope options (zaf_proto_envelope.c, used by the codec): turn
//  them into the deadline (0, or -1 with why they are malformed in fault),
//  and write them from it before a send (true: the frame must go).
int
    zaf_proto_envelope_take (zaf_proto_t *self, char *fault, size_t fault_size);
bool
    zaf_proto_envelope_put (zaf_proto_t *self);

//  Options (SPAWN; the envelope options of CALL, TELL, SUBMIT, see above)
//  and body: opaque bytes, JSON by convention; not NUL-terminated.
const char *
    zaf_proto_options (zaf_proto_t *self, size_t *size);
void
    zaf_proto_set_options (zaf_proto_t *self, const void *data, size_t size);
const char *
    zaf_proto_body (zaf_proto_t *self, size_t *size);
void
    zaf_proto_set_body (zaf_proto_t *self, const void *data, size_t size);

//  Set the body to a string, taking ownership of the malloc'd buffer
//  (for instance from cJSON_PrintUnformatted) without copying it; *data_p
//  is nulled.
void
    zaf_proto_set_body_take (zaf_proto_t *self, char **data_p);

//  Set the body to the compact text of a JSON tree (borrowed).
void
    zaf_proto_set_body_json (zaf_proto_t *self, const cJSON *json);

//  Parse the body as JSON (length-bounded). Returns a new tree the caller
//  owns, or NULL if the body is empty or not valid JSON.
cJSON *
    zaf_proto_body_json (zaf_proto_t *self);

//  Same for options.
cJSON *
    zaf_proto_options_json (zaf_proto_t *self);

//  Attachments: binary frames after the body of CALL, TELL, SUBMIT and
//  REPLY (at most ZAF_PROTO_ATTACH_MAX), referenced from the JSON by
//  {"$blob": index}. They travel by reference: receiving moves each frame
//  in, sending moves it onto the wire (the message has none afterwards).

//  Number of attachments.
size_t
    zaf_proto_attachments (zaf_proto_t *self);

//  Attachment `index` (borrowed; NULL if out of range). zmq_msg_move out
//  of it to keep its bytes without copying.
zmq_msg_t *
    zaf_proto_attachment (zaf_proto_t *self, size_t index);

//  Add an attachment, moving the frame in (it is left empty). Returns 0,
//  or -1 if the message has ZAF_PROTO_ATTACH_MAX already.
int
    zaf_proto_attach (zaf_proto_t *self, zmq_msg_t *frame);

//  Make this message an error answer: REPLY or SPAWNED (kept as is when it
//  is one of those; REPLY otherwise), status error, body the error object
//  {"code", "message"}. Keeps routing id, caller, corr and actor.
void
    zaf_proto_set_error (zaf_proto_t *self, zaf_code_t code, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

#endif
