/*  =========================================================================
    zaf_escape - untrusted text made safe to print

    One rule for every byte (see the header); two ways to get the result:
    into a caller's buffer (log lines, cut to fit) or as a new string (CLI
    tables, never cut).
    =========================================================================
*/

#include "zaf_classes.h"

//  The escape for one byte, into out (at most 5 bytes with the NUL);
//  returns its length
static size_t
s_escape_byte (unsigned char c, char *out)
{
    if (c == '\\')
        return (size_t) snprintf (out, 5, "\\\\");
    if (c == '\t')
        return (size_t) snprintf (out, 5, "\\t");
    if (c == '\n')
        return (size_t) snprintf (out, 5, "\\n");
    if (c == '\r')
        return (size_t) snprintf (out, 5, "\\r");
    if (c >= 0x20 && c <= 0x7E) {
        out [0] = (char) c;
        out [1] = 0;
        return 1;
    }
    return (size_t) snprintf (out, 5, "\\x%02x", c);
}

//  --------------------------------------------------------------------------
//  Escape into a buffer, cut to fit

const char *
zaf_escape (const char *text, char *buffer, size_t size)
{
    assert (buffer);
    assert (size > 0);
    size_t used = 0;
    size_t boundary = 0;        //  Last end of a piece that leaves room for "..."
    buffer [0] = 0;
    if (!text)
        return buffer;
    for (const unsigned char *scan = (const unsigned char *) text; *scan; scan++) {
        char piece [5];
        size_t length = s_escape_byte (*scan, piece);
        if (used + length + 1 > size) {
            //  Cut after a whole piece, ending in "..." if there is room
            if (size >= 4)
                memcpy (buffer + boundary, "...", 4);
            else
                buffer [0] = 0;
            return buffer;
        }
        memcpy (buffer + used, piece, length + 1);
        used += length;
        if (size >= 4 && used <= size - 4)
            boundary = used;
    }
    return buffer;
}

//  --------------------------------------------------------------------------
//  Escape into a new string

char *
zaf_escape_dup (const char *text)
{
    if (!text)
        text = "";
    size_t size = strlen (text) * 4 + 1;
    char *buffer = (char *) malloc (size);
    assert (buffer);
    return (char *) zaf_escape (text, buffer, size);
}
