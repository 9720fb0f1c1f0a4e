/*  =========================================================================
    zaf_proto_grammar - the table of ZAF1 commands and their frames

    The grammar of docs/PROTOCOL.md section 2 as data: for every command
    its word, direction, frames in wire order (field, kind, size bounds)
    and how many attachments may follow. The codec (zaf_proto.c) checks
    and writes frames from it and nothing else; tests/test_protocol_doc.c
    holds it against the document, so the two cannot drift. Constant data
    and pure lookups: safe from any thread.
    =========================================================================
*/

#include "zaf_classes.h"

//  The frames, as the grammar writes them (docs/PROTOCOL.md section 2):
//  a _NEEDED frame must not be empty in that command
#define CALLER          { ZAF_PROTO_FIELD_CALLER,  "caller",  ZAF_PROTO_KIND_BINARY, 0, ZAF_PROTO_ID_MAX }
#define CORR            { ZAF_PROTO_FIELD_CORR,    "corr",    ZAF_PROTO_KIND_BINARY, 0, ZAF_PROTO_ID_MAX }
#define CORR_NEEDED     { ZAF_PROTO_FIELD_CORR,    "corr",    ZAF_PROTO_KIND_BINARY, 1, ZAF_PROTO_ID_MAX }
#define ACTOR           { ZAF_PROTO_FIELD_ACTOR,   "actor",   ZAF_PROTO_KIND_ID,     0, ZAF_PROTO_ACTOR_MAX }
#define ACTOR_NEEDED    { ZAF_PROTO_FIELD_ACTOR,   "actor",   ZAF_PROTO_KIND_ID,     1, ZAF_PROTO_ACTOR_MAX }
#define NAME            { ZAF_PROTO_FIELD_NAME,    "name",    ZAF_PROTO_KIND_ID,     1, ZAF_PROTO_ID_MAX }
#define OPTIONS         { ZAF_PROTO_FIELD_OPTIONS, "options", ZAF_PROTO_KIND_OPAQUE, 0, 0 }
#define ENVELOPE        { ZAF_PROTO_FIELD_OPTIONS, "options", ZAF_PROTO_KIND_OPAQUE, 0, 0, true }
#define STATUS          { ZAF_PROTO_FIELD_STATUS,  "status",  ZAF_PROTO_KIND_STATUS, 2, 5 }
#define BODY            { ZAF_PROTO_FIELD_BODY,    "body",    ZAF_PROTO_KIND_OPAQUE, 0, 0 }

#define TO_BROKER       ZAF_PROTO_TO_BROKER
#define FROM_BROKER     ZAF_PROTO_FROM_BROKER
#define BOTH_WAYS       (ZAF_PROTO_TO_BROKER | ZAF_PROTO_FROM_BROKER)
#define ATTACH          ZAF_PROTO_ATTACH_MAX

//  Every command: id, word, direction, frame count, frames, attachments
static const zaf_proto_command_t s_commands [ZAF_PROTO_COUNT] = {
    [ZAF_PROTO_HELLO]     = { ZAF_PROTO_HELLO,     "HELLO",     TO_BROKER,   2, { NAME, BODY }, 0 },
    [ZAF_PROTO_WELCOME]   = { ZAF_PROTO_WELCOME,   "WELCOME",   FROM_BROKER, 1, { BODY }, 0 },
    [ZAF_PROTO_SPAWN]     = { ZAF_PROTO_SPAWN,     "SPAWN",     BOTH_WAYS,   6, { CALLER, CORR_NEEDED, ACTOR, NAME, OPTIONS, BODY }, 0 },
    [ZAF_PROTO_SPAWNED]   = { ZAF_PROTO_SPAWNED,   "SPAWNED",   BOTH_WAYS,   5, { CALLER, CORR_NEEDED, ACTOR, STATUS, BODY }, 0 },
    [ZAF_PROTO_CALL]      = { ZAF_PROTO_CALL,      "CALL",      BOTH_WAYS,   6, { CALLER, CORR_NEEDED, ACTOR_NEEDED, NAME, ENVELOPE, BODY }, ATTACH },
    [ZAF_PROTO_TELL]      = { ZAF_PROTO_TELL,      "TELL",      BOTH_WAYS,   6, { CALLER, CORR, ACTOR_NEEDED, NAME, ENVELOPE, BODY }, ATTACH },
    [ZAF_PROTO_REPLY]     = { ZAF_PROTO_REPLY,     "REPLY",     BOTH_WAYS,   4, { CALLER, CORR_NEEDED, STATUS, BODY }, ATTACH },
    [ZAF_PROTO_SUBMIT]    = { ZAF_PROTO_SUBMIT,    "SUBMIT",    BOTH_WAYS,   5, { CALLER, CORR_NEEDED, NAME, ENVELOPE, BODY }, ATTACH },
    [ZAF_PROTO_KILL]      = { ZAF_PROTO_KILL,      "KILL",      BOTH_WAYS,   4, { CALLER, CORR, ACTOR_NEEDED, BODY }, 0 },
    [ZAF_PROTO_EXIT]      = { ZAF_PROTO_EXIT,      "EXIT",      TO_BROKER,   2, { ACTOR_NEEDED, BODY }, 0 },
    [ZAF_PROTO_LOOKUP]    = { ZAF_PROTO_LOOKUP,    "LOOKUP",    TO_BROKER,   3, { CALLER, CORR_NEEDED, NAME }, 0 },
    [ZAF_PROTO_STATUS]    = { ZAF_PROTO_STATUS,    "STATUS",    TO_BROKER,   3, { CALLER, CORR_NEEDED, BODY }, 0 },
    [ZAF_PROTO_HEARTBEAT] = { ZAF_PROTO_HEARTBEAT, "HEARTBEAT", BOTH_WAYS,   0, { { 0 } }, ATTACH },
    [ZAF_PROTO_BYE]       = { ZAF_PROTO_BYE,       "BYE",       BOTH_WAYS,   1, { BODY }, 0 },
    [ZAF_PROTO_ERROR]     = { ZAF_PROTO_ERROR,     "ERROR",     BOTH_WAYS,   1, { BODY }, 0 },
    [ZAF_PROTO_STOP]      = { ZAF_PROTO_STOP,      "STOP",      TO_BROKER,   3, { CALLER, CORR_NEEDED, BODY }, 0 },
    [ZAF_PROTO_MONITOR]   = { ZAF_PROTO_MONITOR,   "MONITOR",   TO_BROKER,   4, { CALLER, CORR_NEEDED, ACTOR_NEEDED, BODY }, 0 },
    [ZAF_PROTO_REVOKE]    = { ZAF_PROTO_REVOKE,    "REVOKE",    TO_BROKER,   3, { CALLER, CORR_NEEDED, BODY }, 0 },
    [ZAF_PROTO_CANCEL]    = { ZAF_PROTO_CANCEL,    "CANCEL",    BOTH_WAYS,   3, { CALLER, CORR_NEEDED, BODY }, 0 },
    [ZAF_PROTO_DRAIN]     = { ZAF_PROTO_DRAIN,     "DRAIN",     BOTH_WAYS,   3, { CALLER, CORR_NEEDED, BODY }, 0 },
};

//  How faults name each field: its label, and what a command that needs
//  it non-empty says when it is empty (NULL: "<label> is empty")
static const struct {
    const char *label;
    const char *needs;
} s_field_words [] = {
    [ZAF_PROTO_FIELD_CALLER]  = { "caller",  NULL },
    [ZAF_PROTO_FIELD_CORR]    = { "corr",    "a correlation id" },
    [ZAF_PROTO_FIELD_ACTOR]   = { "actor id", "an actor id" },
    [ZAF_PROTO_FIELD_NAME]    = { "name",    NULL },
    [ZAF_PROTO_FIELD_OPTIONS] = { "options", NULL },
    [ZAF_PROTO_FIELD_STATUS]  = { "status",  NULL },
    [ZAF_PROTO_FIELD_BODY]    = { "body",    NULL },
};

//  --------------------------------------------------------------------------
//  Lookups

size_t
zaf_proto_command_count (void)
{
    return ZAF_PROTO_COUNT - 1;
}

const zaf_proto_command_t *
zaf_proto_command (zaf_proto_id_t id)
{
    if (id <= 0 || id >= ZAF_PROTO_COUNT)
        return NULL;
    return &s_commands [id];
}

const char *
zaf_proto_command_name (zaf_proto_id_t id)
{
    if (id <= 0 || id >= ZAF_PROTO_COUNT)
        return "UNKNOWN";
    return s_commands [id].word;
}

const zaf_proto_command_t *
zaf_proto_command_find (const void *word, size_t size)
{
    //  On every message received: the first byte rules out most words
    //  before any length is counted
    const char *bytes = (const char *) word;
    for (int id = 1; size && id < ZAF_PROTO_COUNT; id++)
        if (s_commands [id].word [0] == bytes [0]
        &&  size == strlen (s_commands [id].word)
        &&  memcmp (bytes, s_commands [id].word, size) == 0)
            return &s_commands [id];
    return NULL;
}

const char *
zaf_proto_field_label (zaf_proto_field_t field)
{
    return s_field_words [field].label;
}

const char *
zaf_proto_field_needs (zaf_proto_field_t field)
{
    return s_field_words [field].needs;
}
