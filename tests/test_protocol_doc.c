/*  =========================================================================
    test_protocol_doc - docs/PROTOCOL.md and the codec's command table agree

    The grammar is the source: docs/PROTOCOL.md writes the commands and
    their frames twice (the ABNF of section 2 and the summary table of
    section 4.1) and the codec keeps one table of commands and frames
    (zaf_proto_command) from which its checks come. These tests read the
    document as it is in the source tree (ZAF_SOURCE_DIR) and hold every
    command, its frames in order, their kinds and size limits, which
    frames must not be empty, attachments and direction against the table,
    both ways: nothing in the document is missing from the table, and
    nothing in the table is missing from the document. A last test sends
    every command built from its table entry (each frame at its minimum,
    at its maximum, one byte past either) and checks that the codec's
    receive takes and refuses exactly what the table says.
    =========================================================================
*/

#include "testutil.h"
#include <criterion/criterion.h>
#include <ctype.h>

#define DOC_PATH        ZAF_SOURCE_DIR "/docs/PROTOCOL.md"
#define DOC_COMMANDS    32      //  More than the protocol will ever have
#define DOC_FRAMES      8
#define WORD_MAX        32

//  A command as one part of the document writes it
typedef struct {
    char word [WORD_MAX];                       //  "CALL"
    char frames [DOC_FRAMES][WORD_MAX];         //  "caller", "corr", ...
    bool optional [DOC_FRAMES];                 //  ABNF: "[options-f]"
    size_t frame_count;
    bool attachments;                           //  ABNF: ends in attachments
    char required [DOC_FRAMES][WORD_MAX];       //  Table: required non-empty
    size_t required_count;
    char direction [128];                       //  Table: direction cell
} doc_command_t;

//  A frame rule of the ABNF ("corr-f = 0*255OCTET")
typedef struct {
    char name [WORD_MAX];                       //  "corr"
    char value [128];                           //  "0*255OCTET"
} doc_rule_t;

typedef struct {
    doc_command_t abnf [DOC_COMMANDS];          //  From the grammar
    size_t abnf_count;
    char alternatives [DOC_COMMANDS][WORD_MAX]; //  "command = hello / ..."
    size_t alternative_count;
    doc_rule_t rules [DOC_COMMANDS];
    size_t rule_count;
    doc_command_t summary [DOC_COMMANDS];       //  From the table of 4.1
    size_t summary_count;
    char headings [DOC_COMMANDS][128];          //  "### 4.x ..." headings
    size_t heading_count;
} doc_t;

//  --------------------------------------------------------------------------
//  Reading the document

//  Copy at most max-1 bytes of [start, end) into buffer, trimmed
static void
s_copy_trimmed (char *buffer, size_t max, const char *start, const char *end)
{
    while (start < end && isspace ((unsigned char) *start))
        start++;
    while (end > start && isspace ((unsigned char) end [-1]))
        end--;
    size_t size = (size_t) (end - start) < max - 1 ? (size_t) (end - start) : max - 1;
    memcpy (buffer, start, size);
    buffer [size] = 0;
}

//  Split a table cell like "caller, corr, name (class), body (args)" into
//  names without their parenthetical notes; "—" is none
static size_t
s_split_names (const char *cell, char names [][WORD_MAX], size_t max)
{
    size_t count = 0;
    if (strstr (cell, "—"))
        return 0;
    const char *cursor = cell;
    while (*cursor && count < max) {
        const char *comma = cursor;
        int depth = 0;
        while (*comma && (*comma != ',' || depth > 0)) {
            if (*comma == '(')
                depth++;
            else
            if (*comma == ')')
                depth--;
            comma++;
        }
        const char *paren = memchr (cursor, '(', (size_t) (comma - cursor));
        s_copy_trimmed (names [count], WORD_MAX, cursor, paren ? paren : comma);
        if (names [count][0])
            count++;
        cursor = *comma ? comma + 1 : comma;
    }
    return count;
}

//  Collect the rule names of "a / b / c" (the command rule)
static void
s_parse_alternatives (doc_t *doc, const char *cursor)
{
    while (*cursor) {
        while (*cursor == ' ' || *cursor == '/')
            cursor++;
        const char *end = cursor;
        while (*end && *end != ' ' && *end != '/')
            end++;
        if (end > cursor) {
            cr_assert_lt (doc->alternative_count, DOC_COMMANDS);
            s_copy_trimmed (doc->alternatives [doc->alternative_count++], WORD_MAX, cursor, end);
        }
        cursor = end;
    }
}

//  Parse one ABNF line of the grammar block
static void
s_parse_abnf_line (doc_t *doc, const char *line, bool *in_alternatives)
{
    char rule [WORD_MAX] = "";
    char word [WORD_MAX] = "";
    int consumed = 0;
    //  Continuation of "command = a / b / ..."
    if (*in_alternatives && isspace ((unsigned char) line [0])) {
        s_parse_alternatives (doc, line);
        return;
    }
    *in_alternatives = false;
    if (sscanf (line, "%31[a-z-] = %%s\"%31[A-Z]\"%n", rule, word, &consumed) == 2) {
        //  A command: its word, then its frames
        cr_assert_lt (doc->abnf_count, DOC_COMMANDS);
        doc_command_t *command = &doc->abnf [doc->abnf_count++];
        snprintf (command->word, sizeof (command->word), "%s", word);
        const char *cursor = line + consumed;
        const char *comment = strchr (cursor, ';');
        const char *end = comment ? comment : cursor + strlen (cursor);
        while (cursor < end) {
            while (cursor < end && isspace ((unsigned char) *cursor))
                cursor++;
            const char *token = cursor;
            while (cursor < end && !isspace ((unsigned char) *cursor))
                cursor++;
            size_t size = (size_t) (cursor - token);
            if (size == 0)
                break;
            if (size == strlen ("attachments") && memcmp (token, "attachments", size) == 0)
                command->attachments = true;
            else {
                //  An optional frame is written in brackets: [options-f]
                bool optional = size > 2 && token [0] == '[' && token [size - 1] == ']';
                if (optional) {
                    token++;
                    size -= 2;
                }
                command->optional [command->frame_count] = optional;
                cr_assert (size > 2 && memcmp (token + size - 2, "-f", 2) == 0,
                           "%s: token '%.*s' is neither a frame nor attachments",
                           word, (int) size, token);
                cr_assert_lt (command->frame_count, DOC_FRAMES);
                s_copy_trimmed (command->frames [command->frame_count++], WORD_MAX,
                                token, token + size - 2);
            }
        }
    }
    else
    if (sscanf (line, "command = %n", &consumed) == 0 && consumed > 0) {
        *in_alternatives = true;
        s_parse_alternatives (doc, line + consumed);
    }
    else
    if (sscanf (line, "%31[a-z-] = %n", rule, &consumed) == 1 && consumed > 0) {
        size_t size = strlen (rule);
        bool frame_rule = size > 2 && strcmp (rule + size - 2, "-f") == 0;
        if (frame_rule || strcmp (rule, "attachments") == 0) {
            cr_assert_lt (doc->rule_count, DOC_COMMANDS);
            doc_rule_t *entry = &doc->rules [doc->rule_count++];
            if (frame_rule)
                rule [size - 2] = 0;
            snprintf (entry->name, sizeof (entry->name), "%s", rule);
            const char *value = line + consumed;
            const char *comment = strchr (value, ';');
            s_copy_trimmed (entry->value, sizeof (entry->value), value,
                            comment ? comment : value + strlen (value));
        }
    }
}

//  Parse one row of the summary table of section 4.1
static void
s_parse_summary_row (doc_t *doc, const char *line)
{
    char cells [6][256];
    size_t cell_count = 0;
    const char *cursor = line + 1;
    while (*cursor && cell_count < 6) {
        const char *bar = strchr (cursor, '|');
        if (!bar)
            break;
        s_copy_trimmed (cells [cell_count++], sizeof (cells [0]), cursor, bar);
        cursor = bar + 1;
    }
    if (cell_count < 4)
        return;
    //  Rows of commands only: their first cell is an upper-case word
    for (const char *c = cells [0]; *c; c++)
        if (!isupper ((unsigned char) *c))
            return;
    if (!cells [0][0])
        return;
    cr_assert_lt (doc->summary_count, DOC_COMMANDS);
    doc_command_t *command = &doc->summary [doc->summary_count++];
    snprintf (command->word, sizeof (command->word), "%.31s", cells [0]);
    snprintf (command->direction, sizeof (command->direction), "%.127s", cells [1]);
    command->frame_count = s_split_names (cells [2], command->frames, DOC_FRAMES);
    command->required_count = s_split_names (cells [3], command->required, DOC_FRAMES);
}

//  Read docs/PROTOCOL.md
static void
s_doc_read (doc_t *doc)
{
    memset (doc, 0, sizeof (*doc));
    FILE *file = fopen (DOC_PATH, "r");
    cr_assert_not_null (file, "cannot open %s", DOC_PATH);
    char line [1024];
    bool in_abnf = false;
    bool in_alternatives = false;
    bool in_summary = false;
    while (fgets (line, sizeof (line), file)) {
        line [strcspn (line, "\n")] = 0;
        if (strncmp (line, "```", 3) == 0) {
            in_abnf = strcmp (line, "```abnf") == 0;
            in_alternatives = false;
            continue;
        }
        if (in_abnf) {
            s_parse_abnf_line (doc, line, &in_alternatives);
            continue;
        }
        if (strncmp (line, "#", 1) == 0) {
            in_summary = strstr (line, "4.1 Summary") != NULL;
            if (strncmp (line, "### 4.", 6) == 0 && doc->heading_count < DOC_COMMANDS)
                snprintf (doc->headings [doc->heading_count++], sizeof (doc->headings [0]),
                          "%.127s", line);
            continue;
        }
        if (in_summary && line [0] == '|')
            s_parse_summary_row (doc, line);
    }
    fclose (file);
    cr_assert_gt (doc->abnf_count, 0, "no ABNF commands found in %s", DOC_PATH);
    cr_assert_gt (doc->summary_count, 0, "no summary table found in %s", DOC_PATH);
}

//  The document's entry for a command word, or NULL
static const doc_command_t *
s_find (const doc_command_t *commands, size_t count, const char *word)
{
    for (size_t index = 0; index < count; index++)
        if (streq (commands [index].word, word))
            return &commands [index];
    return NULL;
}

//  The table's entry for a command word, or NULL
static const zaf_proto_command_t *
s_table_find (const char *word)
{
    for (size_t id = 1; id <= zaf_proto_command_count (); id++) {
        const zaf_proto_command_t *command = zaf_proto_command ((zaf_proto_id_t) id);
        if (command && streq (command->word, word))
            return command;
    }
    return NULL;
}

static const doc_rule_t *
s_rule (const doc_t *doc, const char *name)
{
    for (size_t index = 0; index < doc->rule_count; index++)
        if (streq (doc->rules [index].name, name))
            return &doc->rules [index];
    return NULL;
}

//  --------------------------------------------------------------------------
//  The table itself

Test (protocol_doc, table_is_complete_and_consistent)
{
    cr_assert_eq (zaf_proto_command_count (), ZAF_PROTO_COUNT - 1);
    cr_assert_null (zaf_proto_command (0));
    cr_assert_null (zaf_proto_command (ZAF_PROTO_COUNT));
    for (size_t id = 1; id <= zaf_proto_command_count (); id++) {
        const zaf_proto_command_t *command = zaf_proto_command ((zaf_proto_id_t) id);
        cr_assert_not_null (command, "id %zu has no entry", id);
        cr_assert_eq ((size_t) command->id, id, "%s is filed under id %zu", command->word, id);
        cr_assert_str_eq (zaf_proto_command_name ((zaf_proto_id_t) id), command->word);
        cr_assert_leq (command->frame_count, ZAF_PROTO_FRAMES_MAX);
        cr_assert_neq (command->direction, 0, "%s travels nowhere", command->word);
        cr_assert (command->attachments_max == 0
                || command->attachments_max == ZAF_PROTO_ATTACH_MAX, "%s", command->word);
        //  Fields in canonical order, each at most once
        for (size_t index = 1; index < command->frame_count; index++)
            cr_assert_gt (command->frames [index].field, command->frames [index - 1].field,
                          "%s: frame %zu out of canonical order", command->word, index);
        for (size_t index = 0; index < command->frame_count; index++) {
            const zaf_proto_frame_t *frame = &command->frames [index];
            cr_assert (frame->max == 0 || frame->min <= frame->max, "%s.%s", command->word, frame->name);
        }
    }
}

//  --------------------------------------------------------------------------
//  The grammar of section 2

Test (protocol_doc, grammar_lists_every_command_of_the_table_and_no_other)
{
    doc_t *doc = (doc_t *) zmalloc (sizeof (doc_t));
    s_doc_read (doc);
    for (size_t index = 0; index < doc->abnf_count; index++)
        cr_expect_not_null (s_table_find (doc->abnf [index].word),
                            "PROTOCOL.md's grammar has %s; the codec's table does not",
                            doc->abnf [index].word);
    for (size_t id = 1; id <= zaf_proto_command_count (); id++) {
        const zaf_proto_command_t *command = zaf_proto_command ((zaf_proto_id_t) id);
        cr_expect_not_null (s_find (doc->abnf, doc->abnf_count, command->word),
                            "the codec's table has %s; PROTOCOL.md's grammar does not",
                            command->word);
    }
    cr_expect_eq (doc->abnf_count, zaf_proto_command_count ());

    //  "command = hello / welcome / ..." names each command rule once
    cr_expect_eq (doc->alternative_count, zaf_proto_command_count (),
                  "the command rule has %zu alternatives", doc->alternative_count);
    for (size_t index = 0; index < doc->alternative_count; index++) {
        char upper [WORD_MAX];
        size_t size = strlen (doc->alternatives [index]);
        for (size_t c = 0; c <= size; c++)
            upper [c] = (char) toupper ((unsigned char) doc->alternatives [index][c]);
        cr_expect_not_null (s_table_find (upper), "the command rule names '%s'",
                            doc->alternatives [index]);
    }
    free (doc);
}

Test (protocol_doc, grammar_frames_match_the_table)
{
    doc_t *doc = (doc_t *) zmalloc (sizeof (doc_t));
    s_doc_read (doc);
    for (size_t id = 1; id <= zaf_proto_command_count (); id++) {
        const zaf_proto_command_t *command = zaf_proto_command ((zaf_proto_id_t) id);
        const doc_command_t *written = s_find (doc->abnf, doc->abnf_count, command->word);
        if (!written)
            continue;           //  Reported by the test above
        cr_expect_eq (written->frame_count, command->frame_count,
                      "%s: PROTOCOL.md has %zu frames, the table %zu", command->word,
                      written->frame_count, command->frame_count);
        for (size_t index = 0; index < command->frame_count && index < written->frame_count; index++) {
            cr_expect_str_eq (written->frames [index], command->frames [index].name,
                              "%s frame %zu: PROTOCOL.md says %s-f, the table %s", command->word,
                              index, written->frames [index], command->frames [index].name);
            cr_expect_eq (written->optional [index], command->frames [index].optional,
                          "%s frame %s: optional in one and not the other", command->word,
                          command->frames [index].name);
        }
        cr_expect_eq (written->attachments, command->attachments_max > 0,
                      "%s: attachments in PROTOCOL.md %s, in the table %zu", command->word,
                      written->attachments ? "yes" : "no", command->attachments_max);
    }
    free (doc);
}

//  Check one frame of the table against its rule in the grammar:
//  "0*255OCTET" (binary), "1*64ID-CHAR" (id), "*OCTET" (opaque),
//  '%s"ok" / %s"error"' (status)
static void
s_check_rule (const doc_rule_t *rule, const zaf_proto_command_t *command,
              const zaf_proto_frame_t *frame)
{
    const char *what = command->word;
    const char *value = rule->value;
    switch (frame->kind) {
        case ZAF_PROTO_KIND_STATUS:
            cr_expect_str_eq (value, "%s\"ok\" / %s\"error\"", "%s.%s: %s", what, frame->name, value);
            return;
        case ZAF_PROTO_KIND_OPAQUE:
            cr_expect_str_eq (value, "*OCTET", "%s.%s is opaque; PROTOCOL.md says %s",
                              what, frame->name, value);
            cr_expect_eq (frame->max, 0);
            return;
        case ZAF_PROTO_KIND_BINARY:
        case ZAF_PROTO_KIND_ID: {
            unsigned min = 0, max = 0;
            char element [WORD_MAX] = "";
            cr_assert_eq (sscanf (value, "%u*%u%31s", &min, &max, element), 3,
                          "%s-f = %s: not n*mELEMENT", frame->name, value);
            cr_expect_eq (frame->max, max, "%s.%s: max %zu, PROTOCOL.md %u",
                          what, frame->name, frame->max, max);
            cr_expect_str_eq (element, frame->kind == ZAF_PROTO_KIND_ID ? "ID-CHAR" : "OCTET",
                              "%s.%s: kind", what, frame->name);
            //  The grammar gives the least minimum; a command may ask more
            //  (the summary table says which frames must not be empty)
            cr_expect_geq (frame->min, min, "%s.%s: min %zu, PROTOCOL.md %u",
                           what, frame->name, frame->min, min);
            return;
        }
    }
}

Test (protocol_doc, grammar_frame_kinds_and_limits_match_the_table)
{
    doc_t *doc = (doc_t *) zmalloc (sizeof (doc_t));
    s_doc_read (doc);
    for (size_t id = 1; id <= zaf_proto_command_count (); id++) {
        const zaf_proto_command_t *command = zaf_proto_command ((zaf_proto_id_t) id);
        for (size_t index = 0; index < command->frame_count; index++) {
            const zaf_proto_frame_t *frame = &command->frames [index];
            const doc_rule_t *rule = s_rule (doc, frame->name);
            cr_expect_not_null (rule, "PROTOCOL.md has no rule %s-f", frame->name);
            if (rule)
                s_check_rule (rule, command, frame);
        }
    }
    //  attachments = 0*16attachment-f
    const doc_rule_t *attachments = s_rule (doc, "attachments");
    cr_assert_not_null (attachments, "PROTOCOL.md has no attachments rule");
    unsigned min = 1, max = 0;
    cr_assert_eq (sscanf (attachments->value, "%u*%uattachment-f", &min, &max), 2,
                  "attachments = %s", attachments->value);
    cr_expect_eq (min, 0);
    cr_expect_eq (max, ZAF_PROTO_ATTACH_MAX);
    free (doc);
}

//  --------------------------------------------------------------------------
//  The summary table of section 4.1

Test (protocol_doc, summary_table_matches_the_table)
{
    doc_t *doc = (doc_t *) zmalloc (sizeof (doc_t));
    s_doc_read (doc);
    cr_expect_eq (doc->summary_count, zaf_proto_command_count (),
                  "the summary has %zu commands", doc->summary_count);
    for (size_t index = 0; index < doc->summary_count; index++)
        cr_expect_not_null (s_table_find (doc->summary [index].word),
                            "PROTOCOL.md's summary has %s; the codec's table does not",
                            doc->summary [index].word);

    for (size_t id = 1; id <= zaf_proto_command_count (); id++) {
        const zaf_proto_command_t *command = zaf_proto_command ((zaf_proto_id_t) id);
        const doc_command_t *written = s_find (doc->summary, doc->summary_count, command->word);
        cr_expect_not_null (written, "the codec's table has %s; PROTOCOL.md's summary does not",
                            command->word);
        if (!written)
            continue;
        //  Frames, in order
        cr_expect_eq (written->frame_count, command->frame_count,
                      "%s: the summary lists %zu frames, the table %zu", command->word,
                      written->frame_count, command->frame_count);
        for (size_t index = 0; index < command->frame_count && index < written->frame_count; index++)
            cr_expect_str_eq (written->frames [index], command->frames [index].name,
                              "%s frame %zu", command->word, index);

        //  "required non-empty" is exactly the frames whose minimum is
        //  above zero (status aside: it is never empty, by its kind)
        for (size_t index = 0; index < command->frame_count; index++) {
            const zaf_proto_frame_t *frame = &command->frames [index];
            if (frame->kind == ZAF_PROTO_KIND_STATUS)
                continue;
            bool listed = false;
            for (size_t required = 0; required < written->required_count; required++)
                if (streq (written->required [required], frame->name))
                    listed = true;
            cr_expect_eq (listed, frame->min > 0,
                          "%s.%s: the summary says %s, the table's minimum is %zu",
                          command->word, frame->name, listed ? "required" : "not required",
                          frame->min);
        }
        for (size_t required = 0; required < written->required_count; required++) {
            bool carried = false;
            for (size_t index = 0; index < command->frame_count; index++)
                if (streq (written->required [required], command->frames [index].name))
                    carried = true;
            cr_expect (carried, "%s: the summary requires %s, which it does not carry",
                       command->word, written->required [required]);
        }

        //  Direction: "→ broker" (or "both ways", or "accepted from
        //  peers") is to the broker; "broker →" (or "both ways") from it
        const char *cell = written->direction;
        bool both = strstr (cell, "both ways") != NULL;
        bool to_broker = both || strstr (cell, "→ broker") || strstr (cell, "accepted from peers");
        bool from_broker = both || strstr (cell, "broker →");
        cr_expect_eq (to_broker, (command->direction & ZAF_PROTO_TO_BROKER) != 0,
                      "%s: summary direction '%s', table %d", command->word, cell, command->direction);
        cr_expect_eq (from_broker, (command->direction & ZAF_PROTO_FROM_BROKER) != 0,
                      "%s: summary direction '%s', table %d", command->word, cell, command->direction);
    }
    free (doc);
}

//  --------------------------------------------------------------------------
//  Section 4 has a part on every command

Test (protocol_doc, every_command_has_its_section)
{
    doc_t *doc = (doc_t *) zmalloc (sizeof (doc_t));
    s_doc_read (doc);
    for (size_t id = 1; id <= zaf_proto_command_count (); id++) {
        const zaf_proto_command_t *command = zaf_proto_command ((zaf_proto_id_t) id);
        bool found = false;
        for (size_t index = 0; index < doc->heading_count && !found; index++) {
            //  The word, whole: "CALL" in "4.4 CALL / REPLY", not in "CALLS"
            const char *hit = doc->headings [index];
            size_t size = strlen (command->word);
            while ((hit = strstr (hit, command->word))) {
                if (!isalpha ((unsigned char) hit [size])
                &&  (hit == doc->headings [index] || !isalpha ((unsigned char) hit [-1])))
                    found = true;
                hit += size;
            }
        }
        cr_expect (found, "PROTOCOL.md section 4 has no part on %s", command->word);
    }
    free (doc);
}

//  --------------------------------------------------------------------------
//  The codec does what its table says

//  A valid frame for an entry of the table: `size` bytes of the right kind
static void
s_frame_fill (const zaf_proto_frame_t *frame, size_t size, char *buffer)
{
    if (frame->kind == ZAF_PROTO_KIND_STATUS)
        strcpy (buffer, size == 2 ? "ok" : "error");
    else
        memset (buffer, frame->kind == ZAF_PROTO_KIND_ID ? 'i' : 0x80, size);
}

//  Send a command built from its table entry, frame `odd` (if any) given
//  odd_size bytes, and return what the codec's receive says
static int
s_send_from_table (void *sender, void *receiver, zaf_proto_t *proto,
                   const zaf_proto_command_t *command, size_t odd, size_t odd_size)
{
    static char buffer [ZAF_PROTO_ID_MAX + 2];
    zmq_send (sender, ZAF_PROTO_SIGNATURE, 4, ZMQ_SNDMORE);
    zmq_send (sender, command->word, strlen (command->word), command->frame_count ? ZMQ_SNDMORE : 0);
    for (size_t index = 0; index < command->frame_count; index++) {
        const zaf_proto_frame_t *frame = &command->frames [index];
        if (frame->optional)
            continue;           //  Left out, as a peer without options does
        size_t size = index == odd ? odd_size : frame->min;
        cr_assert_leq (size, sizeof (buffer));
        s_frame_fill (frame, size, buffer);
        zmq_send (sender, buffer, size, index + 1 < command->frame_count ? ZMQ_SNDMORE : 0);
    }
    return zaf_proto_recv (proto, receiver);
}

Test (protocol_doc, the_codec_accepts_and_refuses_what_the_table_says, .timeout = 30)
{
    zsock_t *receiver = zsock_new_pull ("inproc://protocol-doc");
    zsock_t *sender = zsock_new_push ("inproc://protocol-doc");
    cr_assert (receiver && sender);
    zsock_set_rcvtimeo (receiver, 5000);
    zaf_proto_t *proto = zaf_proto_new ();
    for (size_t id = 1; id <= zaf_proto_command_count (); id++) {
        const zaf_proto_command_t *command = zaf_proto_command ((zaf_proto_id_t) id);
        //  Every frame at its minimum, and then each at its maximum: taken
        int rc = s_send_from_table (zsock_resolve (sender), receiver, proto, command, SIZE_MAX, 0);
        cr_expect_eq (rc, 0, "%s at its minimum: %s", command->word, zaf_proto_fault (proto));
        cr_expect_eq (zaf_proto_id (proto), command->id);
        for (size_t index = 0; index < command->frame_count; index++) {
            const zaf_proto_frame_t *frame = &command->frames [index];
            if (frame->max == 0)
                continue;       //  Opaque: no limit of its own
            rc = s_send_from_table (zsock_resolve (sender), receiver, proto, command, index, frame->max);
            cr_expect_eq (rc, 0, "%s.%s at %zu bytes: %s", command->word, frame->name, frame->max,
                          zaf_proto_fault (proto));
            //  One byte more, or one less than its minimum: refused
            if (frame->kind != ZAF_PROTO_KIND_STATUS) {
                rc = s_send_from_table (zsock_resolve (sender), receiver, proto, command, index,
                                        frame->max + 1);
                cr_expect_eq (rc, -2, "%s.%s at %zu bytes was taken", command->word, frame->name,
                              frame->max + 1);
            }
            if (frame->min > 0 && frame->kind != ZAF_PROTO_KIND_STATUS) {
                rc = s_send_from_table (zsock_resolve (sender), receiver, proto, command, index,
                                        frame->min - 1);
                cr_expect_eq (rc, -2, "%s.%s empty was taken", command->word, frame->name);
            }
        }
    }
    zaf_proto_destroy (&proto);
    zsock_destroy (&sender);
    zsock_destroy (&receiver);
}
