/*  =========================================================================
    replay - run a fuzz target over saved inputs, as an ordinary test

    replay DIR... feeds every regular file under each directory (not
    recursively) to the target's LLVMFuzzerTestOneInput, in name order,
    and prints how many it ran. A crash, an assertion or a sanitizer
    report fails the test, naming the file first. Built with any compiler;
    libFuzzer is not needed.
    =========================================================================
*/

#include "fuzz.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int
s_compare (const void *one, const void *two)
{
    return strcmp (*(char * const *) one, *(char * const *) two);
}

//  Feed one file; returns 0, or -1 if it cannot be read
static int
s_feed (const char *path)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return -1;
    struct stat info;
    if (fstat (fileno (file), &info) || !S_ISREG (info.st_mode)) {
        fclose (file);
        return -1;
    }
    size_t size = (size_t) info.st_size;
    uint8_t *data = (uint8_t *) malloc (size ? size : 1);
    if (!data || fread (data, 1, size, file) != size) {
        free (data);
        fclose (file);
        return -1;
    }
    fclose (file);
    fprintf (stderr, "replay: %s (%zu bytes)\n", path, size);
    LLVMFuzzerTestOneInput (data, size);
    free (data);
    return 0;
}

int
main (int argc, char **argv)
{
    size_t fed = 0;
    for (int arg = 1; arg < argc; arg++) {
        DIR *dir = opendir (argv [arg]);
        if (!dir)
            continue;           //  No regressions yet: nothing to replay
        char **names = NULL;
        size_t count = 0;
        struct dirent *entry;
        while ((entry = readdir (dir)))
            if (entry->d_name [0] != '.') {
                names = (char **) realloc (names, (count + 1) * sizeof (char *));
                names [count++] = strdup (entry->d_name);
            }
        closedir (dir);
        if (count)
            qsort (names, count, sizeof (char *), s_compare);
        for (size_t index = 0; index < count; index++) {
            size_t length = strlen (argv [arg]) + strlen (names [index]) + 2;
            char *path = (char *) malloc (length);
            snprintf (path, length, "%s/%s", argv [arg], names [index]);
            if (s_feed (path) == 0)
                fed++;
            free (path);
            free (names [index]);
        }
        free (names);
    }
    printf ("replay: %zu inputs, no failure\n", fed);
    return fed ? 0 : 1;
}
