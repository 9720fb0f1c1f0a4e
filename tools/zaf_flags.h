/*  =========================================================================
    zaf_flags - the one command-line parser of every zaf program

    A program describes its options in a table (long name, short letter,
    kind, where the value goes, help text, range, environment default) and
    calls zaf_flags_parse, which runs getopt_long over argv, fills the
    targets, and answers --help (generated from the table) and --version
    itself. Bad usage -- an unknown option, a missing value, an empty one,
    a value that is not a whole number or out of its range, an operand the
    program takes none of -- is reported on stderr with the flag's name and
    ends in exit status 2 (ZAF_FLAGS_EXIT_USAGE).

    Where it lives: tools/, built as the small static library zaf_program
    (with zaf_program.{h,c}) that zaf-broker, zaf-node, zaf and zaf-bench
    link. It is not part of libzaf: the library has no business with
    command lines, and the programs must not reach into lib/'s private
    headers to share one. It uses only libc, so any program can link it.
    =========================================================================
*/

#ifndef ZAF_FLAGS_H_INCLUDED
#define ZAF_FLAGS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

//  Exit status of a program used the wrong way
#define ZAF_FLAGS_EXIT_USAGE 2

typedef enum {
    ZAF_FLAG_BOOL,          //  No value: sets *(bool *) target to true
    ZAF_FLAG_STRING,        //  *(const char **) target = the value
    ZAF_FLAG_INT,           //  *(int *) target = the value, a whole number
                            //  from min to max
    ZAF_FLAG_LIST           //  Repeatable: adds each value to the
                            //  (zaf_flags_list_t *) target
} zaf_flag_kind_t;

//  The values of a repeatable option, or a program's operands, in
//  command-line order. The strings are borrowed from argv; the array is
//  the list's (zaf_flags_release frees it).
typedef struct {
    const char **items;     //  size strings
    size_t size;
} zaf_flags_list_t;

typedef struct {
    const char *name;       //  Long name without the dashes ("bind")
    char letter;            //  Short letter, or 0 for none
    zaf_flag_kind_t kind;   //  What the option holds
    void *target;           //  Where its value goes (see the kinds)
    const char *value_name; //  The value in --help ("ENDPOINT"); NULL: "N"
                            //  for numbers, "VALUE" otherwise
    const char *help;       //  Help text; each "\n" starts an indented line
    int min, max;           //  ZAF_FLAG_INT: the range (both 0: any int)
    const char *env;        //  STRING, INT: environment variable whose
                            //  non-empty value is the default, or NULL
    bool empty_ok;          //  STRING, LIST: accept an empty value
} zaf_flag_t;

typedef struct {
    const char *program;        //  Name in messages and --help ("zaf-broker")
    const char *usage;          //  What follows "Usage: " ("zaf-broker [OPTIONS]")
    const char *about;          //  Text between the usage line and the
                                //  options (ends with a newline), or NULL
    const char *epilog;         //  Text after the options, or NULL
    const char *version;        //  Adds --version, printing "program version",
                                //  or NULL for no --version
    const zaf_flag_t *flags;    //  The table, ended by an entry with name NULL
    zaf_flags_list_t *operands; //  Where the words that are not options go,
                                //  or NULL if the program takes none
    int min_operands;           //  Fewer is bad usage (with operands only)
} zaf_flags_spec_t;

//  Parse argv by the spec. Options and operands may come in any order;
//  "--" ends the options; with operands, a word that reads as a negative
//  number ("-5", "-0.5") is an operand, not an option. Environment
//  defaults are applied first, so the command line wins. --help (-h) and
//  --version are built in. Returns 0 if the program should run, or -1 if
//  it should exit now with *status: 0 after --help or --version (printed
//  on stdout), ZAF_FLAGS_EXIT_USAGE after bad usage (said on stderr).
//  Call zaf_flags_release afterwards in either case.
int
    zaf_flags_parse (const zaf_flags_spec_t *spec, int argc, char **argv, int *status);

//  Print the --help text to stream.
void
    zaf_flags_usage (const zaf_flags_spec_t *spec, FILE *stream);

//  Free what parsing allocated: the arrays of the spec's lists and of its
//  operands (their strings are argv's). The lists are empty afterwards.
void
    zaf_flags_release (const zaf_flags_spec_t *spec);

#endif
