/*  zaf_escape: untrusted text made safe to print */

#include "zaf_classes.h"
#include <criterion/criterion.h>

Test (escape, printable_ascii_stays)
{
    char buffer [64];
    cr_expect_str_eq (zaf_escape ("node-a host.example 42", buffer, sizeof (buffer)),
                      "node-a host.example 42");
    cr_expect_str_eq (zaf_escape (NULL, buffer, sizeof (buffer)), "");
    cr_expect_str_eq (zaf_escape ("", buffer, sizeof (buffer)), "");
}

Test (escape, controls_and_non_ascii_are_escaped)
{
    char buffer [128];
    cr_expect_str_eq (zaf_escape ("\x1b[2J\x1b]0;pwned\x07", buffer, sizeof (buffer)),
                      "\\x1b[2J\\x1b]0;pwned\\x07");
    cr_expect_str_eq (zaf_escape ("a\tb\nc\rd\\e", buffer, sizeof (buffer)),
                      "a\\tb\\nc\\rd\\\\e");
    cr_expect_str_eq (zaf_escape ("\x7f\x80\x9b\xff", buffer, sizeof (buffer)),
                      "\\x7f\\x80\\x9b\\xff");
    //  The result is printable ASCII only
    char every [256];
    for (int c = 1; c < 256; c++)
        every [c - 1] = (char) c;
    every [255] = 0;
    char *escaped = zaf_escape_dup (every);
    for (const char *scan = escaped; *scan; scan++)
        cr_assert (*scan >= 0x20 && *scan <= 0x7e, "byte 0x%02x", (unsigned char) *scan);
    free (escaped);
}

Test (escape, cut_to_fit_at_a_whole_escape)
{
    char buffer [8];
    zaf_escape ("\x1b\x1b\x1b\x1b", buffer, sizeof (buffer));
    cr_expect_lt (strlen (buffer), sizeof (buffer));
    cr_expect_str_eq (buffer, "\\x1b...");
    char mixed [8];
    cr_expect_str_eq (zaf_escape ("ab\x1b" "cdef", mixed, sizeof (mixed)), "ab...");
    char small [4];
    cr_expect_str_eq (zaf_escape ("abcdef", small, sizeof (small)), "...");
    char exact [4];
    cr_expect_str_eq (zaf_escape ("abc", exact, sizeof (exact)), "abc");
    char one [1];
    cr_expect_str_eq (zaf_escape ("abc", one, sizeof (one)), "");
}

Test (escape, dup_never_cuts)
{
    char long_text [1000];
    memset (long_text, 0x1b, sizeof (long_text) - 1);
    long_text [sizeof (long_text) - 1] = 0;
    char *escaped = zaf_escape_dup (long_text);
    cr_expect_eq (strlen (escaped), 4 * (sizeof (long_text) - 1));
    free (escaped);
}
