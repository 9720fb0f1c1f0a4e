/*  =========================================================================
    zaf_cli_table - how the zaf tool prints: aligned tables and their cells

    A table keeps its rows as copied strings, escaped (zaf_escape: what
    peers say never reaches the terminal raw), and computes the column widths
    only when printed, so commands add rows in one pass over the broker's
    answer. Runs in main's thread; prints on stdout, errors on stderr.
    =========================================================================
*/

#include "zaf_cli.h"

#define ZAF_CLI_COLUMNS_MAX 16

struct _zaf_cli_table_t {
    int columns;                //  Strings per row
    zlistx_t *rows;             //  Of char ** (columns strings each)
};

//  --------------------------------------------------------------------------
//  A table with these column headers

zaf_cli_table_t *
zaf_cli_table_new (int columns, ...)
{
    assert (columns > 0 && columns <= ZAF_CLI_COLUMNS_MAX);
    zaf_cli_table_t *self = (zaf_cli_table_t *) zmalloc (sizeof (zaf_cli_table_t));
    assert (self);
    self->columns = columns;
    self->rows = zlistx_new ();
    char **header = (char **) calloc ((size_t) columns, sizeof (char *));
    assert (header);
    va_list args;
    va_start (args, columns);
    for (int column = 0; column < columns; column++)
        header [column] = strdup (va_arg (args, const char *));
    va_end (args);
    zlistx_add_end (self->rows, header);
    return self;
}

//  --------------------------------------------------------------------------
//  Add a row (NULL or "" prints as "-")

void
zaf_cli_table_add (zaf_cli_table_t *self, ...)
{
    char **row = (char **) calloc ((size_t) self->columns, sizeof (char *));
    assert (row);
    va_list args;
    va_start (args, self);
    for (int column = 0; column < self->columns; column++) {
        const char *value = va_arg (args, const char *);
        //  Cells come from peers: printed escaped, never raw
        row [column] = zaf_escape_dup (value && *value ? value : "-");
    }
    va_end (args);
    zlistx_add_end (self->rows, row);
}

//  --------------------------------------------------------------------------
//  Print and destroy the table

void
zaf_cli_table_print (zaf_cli_table_t **self_p)
{
    zaf_cli_table_t *self = *self_p;
    size_t widths [ZAF_CLI_COLUMNS_MAX] = { 0 };
    for (char **row = (char **) zlistx_first (self->rows); row;
         row = (char **) zlistx_next (self->rows))
        for (int column = 0; column < self->columns; column++)
            if (strlen (row [column]) > widths [column])
                widths [column] = strlen (row [column]);
    for (char **row = (char **) zlistx_first (self->rows); row;
         row = (char **) zlistx_next (self->rows)) {
        for (int column = 0; column < self->columns; column++) {
            bool last = column == self->columns - 1;
            printf ("%-*s%s", last ? 0 : (int) widths [column], row [column], last ? "\n" : "  ");
            free (row [column]);
        }
        free (row);
    }
    zlistx_destroy (&self->rows);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Print JSON, indented

void
zaf_cli_print_json (const cJSON *json)
{
    char *text = cJSON_Print (json);
    printf ("%s\n", text ? text : "null");
    cJSON_free (text);
}

//  --------------------------------------------------------------------------
//  Seconds as 3d04h, 2h05m, 4m07s or 12.3s

const char *
zaf_cli_duration (double seconds, char *buffer, size_t size)
{
    long whole = (long) seconds;
    if (whole >= 86400)
        snprintf (buffer, size, "%ldd%02ldh", whole / 86400, (whole % 86400) / 3600);
    else
    if (whole >= 3600)
        snprintf (buffer, size, "%ldh%02ldm", whole / 3600, (whole % 3600) / 60);
    else
    if (whole >= 60)
        snprintf (buffer, size, "%ldm%02lds", whole / 60, whole % 60);
    else
        snprintf (buffer, size, "%.1fs", seconds);
    return buffer;
}

//  --------------------------------------------------------------------------
//  A whole number from object, or "-"

const char *
zaf_cli_number (const cJSON *object, const char *key, char *buffer, size_t size)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive (object, key);
    if (!cJSON_IsNumber (item))
        return "-";
    snprintf (buffer, size, "%.0f", item->valuedouble);
    return buffer;
}

//  --------------------------------------------------------------------------
//  A string from object, or ""

const char *
zaf_cli_string (const cJSON *object, const char *key)
{
    const char *value = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (object, key));
    return value ? value : "";
}

//  --------------------------------------------------------------------------
//  Strings of an array joined with commas

const char *
zaf_cli_joined (const cJSON *array, char *buffer, size_t size)
{
    buffer [0] = 0;
    size_t used = 0;
    const cJSON *item;
    cJSON_ArrayForEach (item, array) {
        const char *text = cJSON_GetStringValue (item);
        if (!text)
            continue;
        int wrote = snprintf (buffer + used, size - used, "%s%s", used ? "," : "", text);
        if (wrote < 0 || (size_t) wrote >= size - used) {
            if (size > 4)
                strcpy (buffer + size - 4, "...");
            break;
        }
        used += (size_t) wrote;
    }
    return buffer;
}

//  --------------------------------------------------------------------------
//  Say why a request failed; return the exit code

int
zaf_cli_fail (const char *what, const zaf_error_t *err, bool broker_answers)
{
    char message [4 * ZAF_ERROR_MESSAGE_MAX];
    fprintf (stderr, "zaf: %s: %s %s\n", what, zaf_code_name (err->code),
             zaf_escape (err->message, message, sizeof (message)));
    if (err->code == ZAF_BROKER_LOST || (broker_answers && err->code == ZAF_TIMEOUT))
        return ZAF_CLI_EXIT_UNREACHABLE;
    return ZAF_CLI_EXIT_FAILED;
}
