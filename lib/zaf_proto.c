/*  =========================================================================
    zaf_proto - the ZAF1 wire codec: the only code that knows frame layout

    One table (zaf_proto_grammar.c) says which frames each command
    carries, what each may hold and whether attachments follow: receive
    checks every frame against it and send writes the frames it lists, so
    the codec has no per-command code. Small fields (ids, names) are copied
    into fixed buffers inside the object; options and body stay zmq_msg_t
    so that forwarding moves them without a copy. The object is not
    thread-safe; each thread or actor keeps its own.

    Nothing from the network can make this code assert: every size is
    checked, every multipart message is drained to its end on error.
    =========================================================================
*/

#include "zaf_classes.h"

struct _zaf_proto_t {
    zaf_proto_id_t id;                          //  Command
    byte routing_id [ZAF_PROTO_ID_MAX];         //  ROUTER peer
    size_t routing_id_size;
    byte caller [ZAF_PROTO_ID_MAX];             //  Requesting peer
    size_t caller_size;
    byte corr [ZAF_PROTO_ID_MAX];               //  Correlation id
    size_t corr_size;
    char actor [ZAF_PROTO_ACTOR_MAX + 1];       //  Actor id
    char name [ZAF_PROTO_ID_MAX + 1];           //  Role, class, method...
    bool ok;                                    //  Status of an answer
    zmq_msg_t options;                          //  Spawn options
    int64_t deadline;                           //  CALL, TELL, SUBMIT: when the
                                                //  caller stops waiting (zclock_mono
                                                //  of this process), 0: never
    zmq_msg_t body;                             //  Arguments, result...
    zmq_msg_t attach [ZAF_PROTO_ATTACH_MAX];    //  Attachments; the first
    size_t attach_count;                        //  attach_count are open
    char fault [160];                           //  Why the last recv failed
    bool want_user;                             //  Read the User-Id on receive
    char user [64];                             //  The sender's User-Id (its key)
    //  The sockets this message was last used with, and their libzmq
    //  handles and types: asking libzmq a socket's type costs more than
    //  the rest of a receive attempt that finds nothing
    void *known_socket [2];
    void *known_handle [2];
    int known_type [2];
    int known_next;
};

//  Close every attachment
static void
s_attach_close (zaf_proto_t *self)
{
    for (size_t index = 0; index < self->attach_count; index++)
        zmq_msg_close (&self->attach [index]);
    self->attach_count = 0;
}

//  --------------------------------------------------------------------------
//  Create an empty message

zaf_proto_t *
zaf_proto_new (void)
{
    //  Not zeroed as a whole (it is 2.5 KB, mostly buffers): each field
    //  says how much of its buffer holds data, and reset clears them
    zaf_proto_t *self = (zaf_proto_t *) malloc (sizeof (zaf_proto_t));
    assert (self);
    zmq_msg_init (&self->options);
    zmq_msg_init (&self->body);
    self->attach_count = 0;
    self->fault [0] = 0;
    self->known_socket [0] = self->known_socket [1] = NULL;
    self->known_handle [0] = self->known_handle [1] = NULL;
    self->known_next = 0;
    self->want_user = false;
    zaf_proto_reset (self);
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy a message

void
zaf_proto_destroy (zaf_proto_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zaf_proto_t *self = *self_p;
        zmq_msg_close (&self->options);
        zmq_msg_close (&self->body);
        s_attach_close (self);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Reset every field

void
zaf_proto_reset (zaf_proto_t *self)
{
    assert (self);
    self->id = 0;
    self->routing_id_size = 0;
    self->user [0] = 0;
    self->caller_size = 0;
    self->corr_size = 0;
    self->actor [0] = 0;
    self->name [0] = 0;
    self->ok = true;
    self->deadline = 0;
    zmq_msg_close (&self->options);
    zmq_msg_init (&self->options);
    zmq_msg_close (&self->body);
    zmq_msg_init (&self->body);
    if (self->attach_count)
        s_attach_close (self);
}

//  --------------------------------------------------------------------------
//  Move every field of `from` into self

//  Copy the small fields (all but options, body and attachments)
static void
s_copy_fields (zaf_proto_t *self, zaf_proto_t *from)
{
    self->id = from->id;
    memcpy (self->routing_id, from->routing_id, from->routing_id_size);
    self->routing_id_size = from->routing_id_size;
    memcpy (self->caller, from->caller, from->caller_size);
    self->caller_size = from->caller_size;
    memcpy (self->corr, from->corr, from->corr_size);
    self->corr_size = from->corr_size;
    strcpy (self->actor, from->actor);
    strcpy (self->name, from->name);
    self->ok = from->ok;
    self->deadline = from->deadline;
}

//  Move options, body and attachments (self has none) from `from`
static void
s_move_frames (zaf_proto_t *self, zaf_proto_t *from)
{
    zmq_msg_move (&self->options, &from->options);
    zmq_msg_move (&self->body, &from->body);
    for (size_t index = 0; index < from->attach_count; index++) {
        zmq_msg_init (&self->attach [index]);
        zmq_msg_move (&self->attach [index], &from->attach [index]);
        zmq_msg_close (&from->attach [index]);
    }
    self->attach_count = from->attach_count;
    from->attach_count = 0;
}

void
zaf_proto_move (zaf_proto_t *self, zaf_proto_t *from)
{
    assert (self);
    assert (from);
    zaf_proto_reset (self);
    s_copy_fields (self, from);
    s_move_frames (self, from);
    zaf_proto_reset (from);
}

//  --------------------------------------------------------------------------
//  Deep-copy a message

zaf_proto_t *
zaf_proto_dup (zaf_proto_t *self)
{
    assert (self);
    zaf_proto_t *copy = zaf_proto_new ();
    s_copy_fields (copy, self);
    zaf_proto_set_options (copy, zmq_msg_data (&self->options), zmq_msg_size (&self->options));
    zaf_proto_set_body (copy, zmq_msg_data (&self->body), zmq_msg_size (&self->body));
    for (size_t index = 0; index < self->attach_count; index++) {
        size_t size = zmq_msg_size (&self->attach [index]);
        zmq_msg_init_size (&copy->attach [index], size);
        if (size)
            memcpy (zmq_msg_data (&copy->attach [index]), zmq_msg_data (&self->attach [index]), size);
    }
    copy->attach_count = self->attach_count;
    return copy;
}

//  --------------------------------------------------------------------------
//  Receiving

//  Record why a message is malformed; the first reason wins
static void
s_fault (zaf_proto_t *self, const char *format, ...)
{
    if (self->fault [0])
        return;
    va_list args;
    va_start (args, format);
    vsnprintf (self->fault, sizeof (self->fault), format, args);
    va_end (args);
}

//  Return true if size bytes are all printable ASCII without spaces
static bool
s_printable (const byte *data, size_t size)
{
    for (size_t index = 0; index < size; index++)
        if (data [index] < 0x21 || data [index] > 0x7e)
            return false;
    return true;
}

//  Take one frame into the field the table says it holds, checking its
//  size and kind against the table. Small fields are copied into their
//  buffers; options and body are moved. On a fault the field is left empty.
static void
s_take_frame (zaf_proto_t *self, const zaf_proto_command_t *command,
              const zaf_proto_frame_t *spec, zmq_msg_t *frame)
{
    size_t size = zmq_msg_size (frame);
    const byte *data = (const byte *) zmq_msg_data (frame);
    if (spec->kind == ZAF_PROTO_KIND_STATUS) {
        if (size == 2 && memcmp (data, "ok", 2) == 0)
            self->ok = true;
        else
        if (size == 5 && memcmp (data, "error", 5) == 0)
            self->ok = false;
        else
            s_fault (self, "status is neither ok nor error");
        return;
    }
    if (spec->max && size > spec->max) {
        s_fault (self, "%s is %zu bytes, more than %zu", zaf_proto_field_label (spec->field), size, spec->max);
        return;
    }
    if (spec->kind == ZAF_PROTO_KIND_ID && !s_printable (data, size)) {
        s_fault (self, "%s has bytes that are not printable ASCII", zaf_proto_field_label (spec->field));
        return;
    }
    if (size < spec->min) {
        if (zaf_proto_field_needs (spec->field))
            s_fault (self, "%s needs %s", command->word, zaf_proto_field_needs (spec->field));
        else
            s_fault (self, "%s is empty", zaf_proto_field_label (spec->field));
        return;
    }
    //  The table's limits fit the buffers (asserted: a table error)
    switch (spec->field) {
        case ZAF_PROTO_FIELD_CALLER:
            assert (size <= sizeof (self->caller));
            memcpy (self->caller, data, size);
            self->caller_size = size;
            break;
        case ZAF_PROTO_FIELD_CORR:
            assert (size <= sizeof (self->corr));
            memcpy (self->corr, data, size);
            self->corr_size = size;
            break;
        case ZAF_PROTO_FIELD_ACTOR:
            assert (size <= sizeof (self->actor) - 1);
            memcpy (self->actor, data, size);
            self->actor [size] = 0;
            break;
        case ZAF_PROTO_FIELD_NAME:
            assert (size <= sizeof (self->name) - 1);
            memcpy (self->name, data, size);
            self->name [size] = 0;
            break;
        case ZAF_PROTO_FIELD_OPTIONS:
            zmq_msg_move (&self->options, frame);
            break;
        case ZAF_PROTO_FIELD_BODY:
            zmq_msg_move (&self->body, frame);
            break;
        case ZAF_PROTO_FIELD_STATUS:
            break;              //  Taken above
    }
}

//  The libzmq handle and type of a zsock_t or a raw libzmq socket, asked
//  once per socket and remembered (this runs for every message)
static void *
s_handle (zaf_proto_t *self, void *socket, int *type)
{
    void *handle = zsock_is (socket) ? zsock_resolve (socket) : socket;
    for (int index = 0; index < 2; index++)
        if (self->known_socket [index] == socket && self->known_handle [index] == handle) {
            *type = self->known_type [index];
            return handle;
        }
    *type = 0;
    size_t type_size = sizeof (*type);
    zmq_getsockopt (handle, ZMQ_TYPE, type, &type_size);
    int slot = self->known_next;
    self->known_next = 1 - slot;
    self->known_socket [slot] = socket;
    self->known_handle [slot] = handle;
    self->known_type [slot] = *type;
    return handle;
}

//  A message passed by reference between two threads of one process: the
//  frame holds this cell, not a copy (inproc passes frame content along
//  as it is). If the frame is dropped unread, its free function destroys
//  the message it carries.
#define ZAF_PROTO_LOCAL_MAGIC 0x5a4146314c4f43ULL     //  "ZAF1LOC"

typedef struct {
    uint64_t magic;
    zaf_proto_t *proto;
} local_cell_t;

static void
s_cell_free (void *data, void *hint)
{
    (void) hint;
    local_cell_t *cell = (local_cell_t *) data;
    zaf_proto_destroy (&cell->proto);
    free (cell);
}

//  Take the message a local cell carries into self; false if the frame is
//  not a cell
static bool
s_take_local (zaf_proto_t *self, zmq_msg_t *frame)
{
    local_cell_t *cell = (local_cell_t *) zmq_msg_data (frame);
    if (zmq_msg_size (frame) != sizeof (local_cell_t)
    ||  cell->magic != ZAF_PROTO_LOCAL_MAGIC || !cell->proto)
        return false;
    byte routing_id [ZAF_PROTO_ID_MAX];
    size_t routing_id_size = self->routing_id_size;
    memcpy (routing_id, self->routing_id, routing_id_size);
    zaf_proto_move (self, cell->proto);
    memcpy (self->routing_id, routing_id, routing_id_size);
    self->routing_id_size = routing_id_size;
    zaf_proto_destroy (&cell->proto);
    return true;
}

//  Take the routing id a ROUTER put before the message
static void
s_take_routing_id (zaf_proto_t *self, zmq_msg_t *frame)
{
    size_t size = zmq_msg_size (frame);
    if (size > ZAF_PROTO_ID_MAX)
        s_fault (self, "routing id is %zu bytes, more than %d", size, ZAF_PROTO_ID_MAX);
    else {
        memcpy (self->routing_id, zmq_msg_data (frame), size);
        self->routing_id_size = size;
    }
}

//  Fault a command word that is in no table entry, showing it printably
static void
s_fault_unknown (zaf_proto_t *self, zmq_msg_t *frame)
{
    char shown [33];
    size_t shown_size = zmq_msg_size (frame) < 32 ? zmq_msg_size (frame) : 32;
    memcpy (shown, zmq_msg_data (frame), shown_size);
    shown [shown_size] = 0;
    for (size_t c = 0; c < shown_size; c++)
        if (shown [c] < 0x20 || shown [c] > 0x7e)
            shown [c] = '?';
    s_fault (self, "unknown command '%s'", shown);
}

//  Take the User-Id the ZAP handler gave the sender's connection (its
//  public key), if any
static void
s_take_user (zaf_proto_t *self, zmq_msg_t *frame)
{
    const char *user = zmq_msg_gets (frame, "User-Id");
    snprintf (self->user, sizeof (self->user), "%s", user ? user : "");
}

//  Where a decode stands as it walks a message's frames
typedef struct {
    int stage;                  //  -1: the routing id is next (ROUTER);
                                //  -2: it was taken, nothing else yet
    int index;                  //  Frame index after the routing id
    const zaf_proto_command_t *command;
    size_t taken;               //  Frames of the command taken so far
} walk_t;

//  Take one frame of the message; every frame is walked, even after a
//  fault, so that a socket is left at a message boundary
static void
s_walk_frame (zaf_proto_t *self, walk_t *walk, zmq_msg_t *frame, bool more)
{
    if (walk->stage == -1) {
        s_take_routing_id (self, frame);
        walk->stage = -2;
        return;
    }
    walk->stage = 0;
    if (walk->index == 0) {
        if (self->want_user)
            s_take_user (self, frame);
        if (zmq_msg_size (frame) != 4 || memcmp (zmq_msg_data (frame), ZAF_PROTO_SIGNATURE, 4))
            s_fault (self, "no ZAF1 signature");
        walk->index++;
    }
    else
    if (walk->index == 1) {
        walk->command = zaf_proto_command_find (zmq_msg_data (frame), zmq_msg_size (frame));
        if (walk->command)
            self->id = walk->command->id;
        else
            s_fault_unknown (self, frame);
        walk->index++;
    }
    else
    if (self->fault [0])
        ;                       //  Drain the rest
    else
    if (walk->taken < walk->command->frame_count) {
        //  An optional frame is there only if it is a JSON object
        //  followed by more frames (docs/PROTOCOL.md section 2)
        const zaf_proto_command_t *command = walk->command;
        if (command->frames [walk->taken].optional
        &&  !(more && zmq_msg_size (frame) && *(char *) zmq_msg_data (frame) == '{'))
            walk->taken++;
        s_take_frame (self, command, &command->frames [walk->taken++], frame);
        char why [96];
        if (command->frames [walk->taken - 1].optional && zaf_proto_envelope_take (self, why, sizeof (why)))
            s_fault (self, "%s", why);
    }
    else
    if (self->attach_count < walk->command->attachments_max) {
        zmq_msg_init (&self->attach [self->attach_count]);
        zmq_msg_move (&self->attach [self->attach_count++], frame);
    }
    else
    if (walk->command->attachments_max)
        s_fault (self, "%s has more than %zu attachments", walk->command->word,
                 walk->command->attachments_max);
    else
        s_fault (self, "%s has more frames than it should", walk->command->word);
}

//  The message is over: 0 if it was whole, -2 (with the fault) if not
static int
s_walk_end (zaf_proto_t *self, walk_t *walk)
{
    if (!self->fault [0]) {
        if (walk->stage < 0)
            s_fault (self, "message has no frames after the routing id");
        else
        if (walk->index < 2)
            s_fault (self, walk->index == 0? "message is empty": "message has no command");
        else
        if (walk->taken < walk->command->frame_count)
            s_fault (self, "%s is missing frames", walk->command->word);
    }
    return self->fault [0] ? -2 : 0;
}

static int
s_recv (zaf_proto_t *self, void *socket, int flags, bool local)
{
    assert (self);
    assert (socket);
    int type;
    void *handle = s_handle (self, socket, &type);
    zaf_proto_reset (self);
    self->fault [0] = 0;

    zmq_msg_t frame;
    zmq_msg_init (&frame);
    if (zmq_msg_recv (&frame, handle, flags) == -1) {
        zmq_msg_close (&frame);
        return -1;
    }
    bool more = zmq_msg_more (&frame);
    walk_t walk = { type == ZMQ_ROUTER ? -1 : 0, 0, NULL, 0 };
    while (true) {
        if (walk.stage != -1 && walk.index == 0 && local && !more && s_take_local (self, &frame)) {
            zmq_msg_close (&frame);
            return 0;           //  A whole message, by reference
        }
        s_walk_frame (self, &walk, &frame, more);
        if (!more)
            break;
        if (zmq_msg_recv (&frame, handle, 0) == -1) {
            zmq_msg_close (&frame);
            return -1;          //  Interrupted mid-message: context is ending
        }
        more = zmq_msg_more (&frame);
    }
    zmq_msg_close (&frame);
    return s_walk_end (self, &walk);
}

//  --------------------------------------------------------------------------
//  Decode a message from frames in memory

int
zaf_proto_decode (zaf_proto_t *self, zmq_msg_t *frames, size_t count, bool routed)
{
    assert (self);
    assert (frames || count == 0);
    zaf_proto_reset (self);
    self->fault [0] = 0;
    walk_t walk = { routed ? -1 : 0, 0, NULL, 0 };
    for (size_t index = 0; index < count; index++)
        s_walk_frame (self, &walk, &frames [index], index + 1 < count);
    if (count == 0 && !routed)
        s_fault (self, "message is empty");
    return s_walk_end (self, &walk);
}

//  --------------------------------------------------------------------------
//  Receive one message

int
zaf_proto_recv (zaf_proto_t *self, void *socket)
{
    return s_recv (self, socket, 0, false);
}

int
zaf_proto_recv_local (zaf_proto_t *self, void *socket, bool nowait)
{
    return s_recv (self, socket, nowait ? ZMQ_DONTWAIT : 0, true);
}

//  --------------------------------------------------------------------------
//  Receive one message without blocking

int
zaf_proto_recv_nowait (zaf_proto_t *self, void *socket)
{
    return s_recv (self, socket, ZMQ_DONTWAIT, false);
}

//  --------------------------------------------------------------------------
//  Send the message

int
zaf_proto_send (zaf_proto_t *self, void *socket)
{
    assert (self);
    assert (socket);
    assert (self->id > 0 && self->id < ZAF_PROTO_COUNT);
    int type;
    void *handle = s_handle (self, socket, &type);

    //  Only the first frame may fail: once it is queued, libzmq queues the
    //  rest of the message on the same pipe
    if (type == ZMQ_ROUTER) {
        if (zmq_send (handle, self->routing_id, self->routing_id_size,
                      ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1)
            return -1;
        zmq_send (handle, ZAF_PROTO_SIGNATURE, 4, ZMQ_SNDMORE);
    }
    else
    if (zmq_send (handle, ZAF_PROTO_SIGNATURE, 4, ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1)
        return -1;

    const zaf_proto_command_t *command = zaf_proto_command (self->id);
    //  Only a command that carries attachments sends them, after its
    //  last frame
    size_t attachments = command->attachments_max ? self->attach_count : 0;
    zmq_send (handle, command->word, strlen (command->word),
              command->frame_count || attachments ? ZMQ_SNDMORE : 0);
    for (size_t index = 0; index < command->frame_count; index++) {
        int more = index + 1 < command->frame_count || attachments ? ZMQ_SNDMORE : 0;
        switch (command->frames [index].field) {
            case ZAF_PROTO_FIELD_CALLER:
                zmq_send (handle, self->caller, self->caller_size, more);
                break;
            case ZAF_PROTO_FIELD_CORR:
                zmq_send (handle, self->corr, self->corr_size, more);
                break;
            case ZAF_PROTO_FIELD_ACTOR:
                zmq_send (handle, self->actor, strlen (self->actor), more);
                break;
            case ZAF_PROTO_FIELD_NAME:
                zmq_send (handle, self->name, strlen (self->name), more);
                break;
            case ZAF_PROTO_FIELD_OPTIONS:
                if (command->frames [index].optional && !zaf_proto_envelope_put (self))
                    break;
                zmq_msg_send (&self->options, handle, more);
                break;
            case ZAF_PROTO_FIELD_STATUS:
                if (self->ok)
                    zmq_send (handle, "ok", 2, more);
                else
                    zmq_send (handle, "error", 5, more);
                break;
            case ZAF_PROTO_FIELD_BODY:
                zmq_msg_send (&self->body, handle, more);
                break;
        }
    }
    //  Attachments go by reference: zmq_msg_send takes each frame
    for (size_t index = 0; index < attachments; index++)
        zmq_msg_send (&self->attach [index], handle,
                      index + 1 < attachments ? ZMQ_SNDMORE : 0);
    s_attach_close (self);
    return 0;
}

//  --------------------------------------------------------------------------
//  Send by reference, to a thread of this process over inproc

int
zaf_proto_send_local (zaf_proto_t *self, void *socket)
{
    assert (self);
    assert (socket);
    assert (self->id > 0 && self->id < ZAF_PROTO_COUNT);
    int type;
    void *handle = s_handle (self, socket, &type);
    //  The carried copy: small fields copied, frames moved (as a send
    //  moves them onto the wire)
    zaf_proto_t *copy = zaf_proto_new ();
    s_copy_fields (copy, self);
    s_move_frames (copy, self);

    local_cell_t *cell = (local_cell_t *) malloc (sizeof (local_cell_t));
    assert (cell);
    cell->magic = ZAF_PROTO_LOCAL_MAGIC;
    cell->proto = copy;
    zmq_msg_t frame;
    zmq_msg_init_data (&frame, cell, sizeof (local_cell_t), s_cell_free, NULL);
    int rc = 0;
    if (type == ZMQ_ROUTER
    &&  zmq_send (handle, self->routing_id, self->routing_id_size, ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1)
        rc = -1;
    else
    if (zmq_msg_send (&frame, handle, type == ZMQ_ROUTER ? 0 : ZMQ_DONTWAIT) == -1)
        rc = -1;
    if (rc == -1) {
        //  Not sent: the frames come back, as a failed send keeps them
        int error = errno;
        s_move_frames (self, copy);
        zmq_msg_close (&frame);     //  Frees the cell and the copy
        errno = error;
        return -1;
    }
    //  Sent: like zaf_proto_send, options and body are gone (moved out)
    return 0;
}

//  --------------------------------------------------------------------------
//  Attachments

size_t
zaf_proto_attachments (zaf_proto_t *self)
{
    assert (self);
    return self->attach_count;
}

zmq_msg_t *
zaf_proto_attachment (zaf_proto_t *self, size_t index)
{
    assert (self);
    return index < self->attach_count ? &self->attach [index] : NULL;
}

int
zaf_proto_attach (zaf_proto_t *self, zmq_msg_t *frame)
{
    assert (self);
    assert (frame);
    if (self->attach_count >= ZAF_PROTO_ATTACH_MAX)
        return -1;
    zmq_msg_init (&self->attach [self->attach_count]);
    zmq_msg_move (&self->attach [self->attach_count++], frame);
    return 0;
}

//  --------------------------------------------------------------------------
//  Accessors

zaf_proto_id_t
zaf_proto_id (zaf_proto_t *self)
{
    assert (self);
    return self->id;
}

void
zaf_proto_set_id (zaf_proto_t *self, zaf_proto_id_t id)
{
    assert (self);
    assert (id > 0 && id < ZAF_PROTO_COUNT);
    self->id = id;
}

const char *
zaf_proto_fault (zaf_proto_t *self)
{
    assert (self);
    return self->fault;
}

void
zaf_proto_set_want_user (zaf_proto_t *self, bool want)
{
    assert (self);
    self->want_user = want;
}

const char *
zaf_proto_user (zaf_proto_t *self)
{
    assert (self);
    return self->user;
}

const void *
zaf_proto_routing_id (zaf_proto_t *self, size_t *size)
{
    assert (self);
    *size = self->routing_id_size;
    return self->routing_id;
}

void
zaf_proto_set_routing_id (zaf_proto_t *self, const void *data, size_t size)
{
    assert (self);
    assert (size <= ZAF_PROTO_ID_MAX);
    if (size)
        memmove (self->routing_id, data, size);
    self->routing_id_size = size;
}

const void *
zaf_proto_caller (zaf_proto_t *self, size_t *size)
{
    assert (self);
    *size = self->caller_size;
    return self->caller;
}

void
zaf_proto_set_caller (zaf_proto_t *self, const void *data, size_t size)
{
    assert (self);
    assert (size <= ZAF_PROTO_ID_MAX);
    if (size)
        memmove (self->caller, data, size);
    self->caller_size = size;
}

const void *
zaf_proto_corr (zaf_proto_t *self, size_t *size)
{
    assert (self);
    *size = self->corr_size;
    return self->corr;
}

void
zaf_proto_set_corr (zaf_proto_t *self, const void *data, size_t size)
{
    assert (self);
    assert (size <= ZAF_PROTO_ID_MAX);
    if (size)
        memmove (self->corr, data, size);
    self->corr_size = size;
}

const char *
zaf_proto_actor (zaf_proto_t *self)
{
    assert (self);
    return self->actor;
}

void
zaf_proto_set_actor (zaf_proto_t *self, const char *actor)
{
    assert (self);
    assert (actor && strlen (actor) <= ZAF_PROTO_ACTOR_MAX);
    memmove (self->actor, actor, strlen (actor) + 1);
}

const char *
zaf_proto_name (zaf_proto_t *self)
{
    assert (self);
    return self->name;
}

void
zaf_proto_set_name (zaf_proto_t *self, const char *name)
{
    assert (self);
    assert (name && strlen (name) <= ZAF_PROTO_ID_MAX);
    memmove (self->name, name, strlen (name) + 1);
}

bool
zaf_proto_ok (zaf_proto_t *self)
{
    assert (self);
    return self->ok;
}

void
zaf_proto_set_ok (zaf_proto_t *self, bool ok)
{
    assert (self);
    self->ok = ok;
}

static void
s_msg_set (zmq_msg_t *msg, const void *data, size_t size)
{
    zmq_msg_close (msg);
    zmq_msg_init_size (msg, size);
    if (size)
        memcpy (zmq_msg_data (msg), data, size);
}

const char *
zaf_proto_options (zaf_proto_t *self, size_t *size)
{
    assert (self);
    *size = zmq_msg_size (&self->options);
    return (const char *) zmq_msg_data (&self->options);
}

void
zaf_proto_set_options (zaf_proto_t *self, const void *data, size_t size)
{
    assert (self);
    s_msg_set (&self->options, data, size);
}

const char *
zaf_proto_body (zaf_proto_t *self, size_t *size)
{
    assert (self);
    *size = zmq_msg_size (&self->body);
    return (const char *) zmq_msg_data (&self->body);
}

void
zaf_proto_set_body (zaf_proto_t *self, const void *data, size_t size)
{
    assert (self);
    s_msg_set (&self->body, data, size);
}

static void
s_free_buffer (void *data, void *hint)
{
    (void) hint;
    free (data);
}

void
zaf_proto_set_body_take (zaf_proto_t *self, char **data_p)
{
    assert (self);
    assert (data_p && *data_p);
    zmq_msg_close (&self->body);
    zmq_msg_init_data (&self->body, *data_p, strlen (*data_p), s_free_buffer, NULL);
    *data_p = NULL;
}

void
zaf_proto_set_body_json (zaf_proto_t *self, const cJSON *json)
{
    assert (self);
    size_t size = 0;
    char *text = json ? zaf_json_print (json, &size) : NULL;
    if (text && size <= 32) {
        //  Small bodies live inside the frame itself: copy, no allocation
        zaf_proto_set_body (self, text, size);
        free (text);
    }
    else
    if (text) {
        zmq_msg_close (&self->body);
        zmq_msg_init_data (&self->body, text, size, s_free_buffer, NULL);
    }
    else
        zaf_proto_set_body (self, "null", 4);
}

cJSON *
zaf_proto_body_json (zaf_proto_t *self)
{
    assert (self);
    return zaf_json_parse ((const char *) zmq_msg_data (&self->body), zmq_msg_size (&self->body));
}

int64_t
zaf_proto_deadline (zaf_proto_t *self)
{
    assert (self);
    return self->deadline;
}

void
zaf_proto_set_deadline (zaf_proto_t *self, int64_t deadline)
{
    assert (self);
    self->deadline = deadline;
}

cJSON *
zaf_proto_options_json (zaf_proto_t *self)
{
    assert (self);
    return zaf_json_parse ((const char *) zmq_msg_data (&self->options), zmq_msg_size (&self->options));
}

//  --------------------------------------------------------------------------
//  Make this message an error answer

void
zaf_proto_set_error (zaf_proto_t *self, zaf_code_t code, const char *format, ...)
{
    assert (self);
    if (self->id != ZAF_PROTO_SPAWNED)
        self->id = ZAF_PROTO_REPLY;
    self->ok = false;
    char message [ZAF_ERROR_MESSAGE_MAX];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof (message), format, args);
    va_end (args);
    char *text = zaf_error_print (code, message);
    zaf_proto_set_body_take (self, &text);
    zmq_msg_close (&self->options);
    zmq_msg_init (&self->options);
    s_attach_close (self);      //  An error carries no attachments
}

//  --------------------------------------------------------------------------
//  A message held for later: its frames as they go on the wire, nothing
//  more, so that what a backlog holds is what it costs

struct _zaf_proto_held_t {
    size_t bytes;               //  What this costs in memory
    size_t count;               //  Frames
    zmq_msg_t frames [];        //  Routing id first
};

//  Bytes a frame costs beyond its zmq_msg_t: libzmq keeps up to 33 bytes
//  inside the zmq_msg_t, more in a block of its own with a small header
static size_t
s_frame_cost (zmq_msg_t *frame)
{
    size_t size = zmq_msg_size (frame);
    return size > 33 ? size + 32 : 0;
}

static void
s_held_add (zaf_proto_held_t *held, const void *data, size_t size)
{
    zmq_msg_t *frame = &held->frames [held->count++];
    zmq_msg_init_size (frame, size);
    if (size)
        memcpy (zmq_msg_data (frame), data, size);
}

zaf_proto_held_t *
zaf_proto_hold (zaf_proto_t *self)
{
    assert (self);
    assert (self->id > 0 && self->id < ZAF_PROTO_COUNT);
    const zaf_proto_command_t *command = zaf_proto_command (self->id);
    size_t attachments = command->attachments_max ? self->attach_count : 0;
    size_t count = 3 + command->frame_count + attachments;
    zaf_proto_held_t *held = (zaf_proto_held_t *) malloc (sizeof (zaf_proto_held_t)
                                                          + count * sizeof (zmq_msg_t));
    assert (held);
    held->count = 0;
    s_held_add (held, self->routing_id, self->routing_id_size);
    s_held_add (held, ZAF_PROTO_SIGNATURE, 4);
    s_held_add (held, command->word, strlen (command->word));
    for (size_t index = 0; index < command->frame_count; index++) {
        switch (command->frames [index].field) {
            case ZAF_PROTO_FIELD_CALLER:
                s_held_add (held, self->caller, self->caller_size);
                break;
            case ZAF_PROTO_FIELD_CORR:
                s_held_add (held, self->corr, self->corr_size);
                break;
            case ZAF_PROTO_FIELD_ACTOR:
                s_held_add (held, self->actor, strlen (self->actor));
                break;
            case ZAF_PROTO_FIELD_NAME:
                s_held_add (held, self->name, strlen (self->name));
                break;
            case ZAF_PROTO_FIELD_OPTIONS:
                zmq_msg_init (&held->frames [held->count]);
                zmq_msg_move (&held->frames [held->count++], &self->options);
                break;
            case ZAF_PROTO_FIELD_STATUS:
                s_held_add (held, self->ok ? "ok" : "error", self->ok ? 2 : 5);
                break;
            case ZAF_PROTO_FIELD_BODY:
                zmq_msg_init (&held->frames [held->count]);
                zmq_msg_move (&held->frames [held->count++], &self->body);
                break;
        }
    }
    for (size_t index = 0; index < attachments; index++) {
        zmq_msg_init (&held->frames [held->count]);
        zmq_msg_move (&held->frames [held->count++], &self->attach [index]);
    }
    zaf_proto_reset (self);
    //  The block, each frame's own data, and the backlog's list node
    held->bytes = sizeof (zaf_proto_held_t) + count * sizeof (zmq_msg_t) + 48;
    for (size_t index = 0; index < held->count; index++)
        held->bytes += s_frame_cost (&held->frames [index]);
    return held;
}

size_t
zaf_proto_held_bytes (zaf_proto_held_t *held)
{
    assert (held);
    return held->bytes;
}

int
zaf_proto_held_send (zaf_proto_held_t *held, void *socket)
{
    assert (held);
    void *handle = zsock_resolve (socket);
    //  Only the first frame may fail; then the rest follow on the same pipe
    if (zmq_msg_send (&held->frames [0], handle, ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1)
        return -1;
    for (size_t index = 1; index < held->count; index++)
        zmq_msg_send (&held->frames [index], handle,
                      index + 1 < held->count ? ZMQ_SNDMORE : 0);
    return 0;
}

void
zaf_proto_held_destroy (zaf_proto_held_t **held_p)
{
    assert (held_p);
    zaf_proto_held_t *held = *held_p;
    if (!held)
        return;
    for (size_t index = 0; index < held->count; index++)
        zmq_msg_close (&held->frames [index]);
    free (held);
    *held_p = NULL;
}
