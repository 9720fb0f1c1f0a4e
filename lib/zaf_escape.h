/*  =========================================================================
    zaf_escape - untrusted text made safe to print

    Strings that come from peers (host names, class and actor names, error
    messages, reasons) may hold terminal escape sequences, newlines or
    bytes that are not text. Everything that prints such a string on a
    terminal or in a log line passes it through zaf_escape first: printable
    ASCII (0x20-0x7E) stays as it is, a backslash becomes "\\", tab,
    newline and carriage return become "\t", "\n" and "\r", and every other
    byte (controls, DEL, bytes from 0x80 up) becomes "\xHH". The result is
    printable ASCII only, and reads back unambiguously.
    =========================================================================
*/

#ifndef ZAF_ESCAPE_H_INCLUDED
#define ZAF_ESCAPE_H_INCLUDED

//  Write text escaped into buffer (size bytes, NUL-terminated, cut at a
//  whole escape when it does not fit; a cut result ends in "..."). text
//  may be NULL (written as ""). Returns buffer, so that it can be used as
//  a printf argument.
const char *
    zaf_escape (const char *text, char *buffer, size_t size);

//  Escape text into a fresh string; the caller frees it. NULL reads as "".
char *
    zaf_escape_dup (const char *text);

#endif
