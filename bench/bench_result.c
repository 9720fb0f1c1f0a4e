/*  =========================================================================
    bench_result - what one scenario measured, in one mode

    Runs in the orchestrator (printing) and in the scenario runner (JSON).
    =========================================================================
*/

#include "bench_classes.h"
#include <stdarg.h>

void
bench_result_init (bench_result_t *self, const char *scenario, const char *mode)
{
    assert (self);
    memset (self, 0, sizeof (*self));
    snprintf (self->scenario, sizeof (self->scenario), "%s", scenario);
    snprintf (self->mode, sizeof (self->mode), "%s", mode);
    self->ok = true;
    self->zaf_per_s = self->floor_per_s = -1;
    self->p50_us = self->p99_us = self->floor_p50_us = self->floor_p99_us = -1;
    self->rss_kb = self->create_s = self->rss_idle_kb = self->fds_per_actor = -1;
    self->actors = -1;
    self->seconds = -1;
}

void
bench_result_fail (bench_result_t *self, const char *format, ...)
{
    assert (self);
    if (!self->ok)
        return;
    self->ok = false;
    va_list args;
    va_start (args, format);
    vsnprintf (self->error, sizeof (self->error), format, args);
    va_end (args);
}

double
bench_result_ratio (const bench_result_t *self)
{
    assert (self);
    if (self->zaf_per_s <= 0 || self->floor_per_s <= 0)
        return -1;
    return self->zaf_per_s / self->floor_per_s;
}

//  Add a number rounded to `decimals`, or null when it is not measured
static void
s_add (cJSON *json, const char *name, double value, int decimals)
{
    if (value < 0 || isnan (value))
        cJSON_AddNullToObject (json, name);
    else {
        double scale = pow (10, decimals);
        cJSON_AddNumberToObject (json, name, round (value * scale) / scale);
    }
}

char *
bench_result_json (const bench_result_t *self, bool all)
{
    assert (self);
    cJSON *json = cJSON_CreateObject ();
    cJSON_AddStringToObject (json, "scenario", self->scenario);
    cJSON_AddStringToObject (json, "mode", self->mode);
    s_add (json, "zaf_per_s", self->zaf_per_s, 1);
    s_add (json, "floor_per_s", self->floor_per_s, 1);
    if (!all)
        s_add (json, "ratio", bench_result_ratio (self), 4);
    s_add (json, "p50_us", self->p50_us, 1);
    s_add (json, "p99_us", self->p99_us, 1);
    s_add (json, "floor_p50_us", self->floor_p50_us, 1);
    s_add (json, "floor_p99_us", self->floor_p99_us, 1);
    s_add (json, "rss_kb", self->rss_kb, 1);
    cJSON_AddStringToObject (json, "status", self->ok ? "ok" : "failed");
    if (!self->ok)
        cJSON_AddStringToObject (json, "error", self->error);
    if (all || self->actors >= 0) {
        s_add (json, "actors", (double) self->actors, 0);
        s_add (json, "create_s", self->create_s, 3);
        s_add (json, "rss_idle_kb", self->rss_idle_kb, 1);
        s_add (json, "fds_per_actor", self->fds_per_actor, 3);
    }
    if (all)
        s_add (json, "seconds", self->seconds, 3);
    char *text = cJSON_PrintUnformatted (json);
    cJSON_Delete (json);
    return text;
}

static double
s_get (const cJSON *json, const char *name)
{
    const cJSON *item = cJSON_GetObjectItem (json, name);
    return cJSON_IsNumber (item) ? item->valuedouble : -1;
}

int
bench_result_from_json (bench_result_t *self, const char *text)
{
    assert (self);
    cJSON *json = cJSON_Parse (text);
    const char *scenario = cJSON_GetStringValue (cJSON_GetObjectItem (json, "scenario"));
    const char *mode = cJSON_GetStringValue (cJSON_GetObjectItem (json, "mode"));
    const char *status = cJSON_GetStringValue (cJSON_GetObjectItem (json, "status"));
    if (!scenario || !mode || !status) {
        cJSON_Delete (json);
        return -1;
    }
    bench_result_init (self, scenario, mode);
    self->ok = streq (status, "ok");
    const char *error = cJSON_GetStringValue (cJSON_GetObjectItem (json, "error"));
    snprintf (self->error, sizeof (self->error), "%s", error ? error : (self->ok ? "" : "failed"));
    self->zaf_per_s = s_get (json, "zaf_per_s");
    self->floor_per_s = s_get (json, "floor_per_s");
    self->p50_us = s_get (json, "p50_us");
    self->p99_us = s_get (json, "p99_us");
    self->floor_p50_us = s_get (json, "floor_p50_us");
    self->floor_p99_us = s_get (json, "floor_p99_us");
    self->rss_kb = s_get (json, "rss_kb");
    self->actors = (long) s_get (json, "actors");
    self->create_s = s_get (json, "create_s");
    self->rss_idle_kb = s_get (json, "rss_idle_kb");
    self->fds_per_actor = s_get (json, "fds_per_actor");
    self->seconds = s_get (json, "seconds");
    cJSON_Delete (json);
    return 0;
}

//  --------------------------------------------------------------------------
//  Table

//  A whole number with thousands separators: 117,000 (below 100: 9.6)
static const char *
s_count (double value, char *text, size_t max)
{
    if (value < 0) {
        snprintf (text, max, "-");
        return text;
    }
    if (value < 100) {
        //  Slow rates (blob_1mb) keep a decimal
        snprintf (text, max, "%.1f", value);
        return text;
    }
    char digits [32];
    snprintf (digits, sizeof (digits), "%.0f", value);
    size_t length = strlen (digits), out = 0;
    for (size_t index = 0; index < length && out + 2 < max; index++) {
        if (index > 0 && (length - index) % 3 == 0)
            text [out++] = ',';
        text [out++] = digits [index];
    }
    text [out] = 0;
    return text;
}

static const char *
s_decimal (double value, int decimals, char *text, size_t max)
{
    if (value < 0)
        snprintf (text, max, "-");
    else
        snprintf (text, max, "%.*f", decimals, value);
    return text;
}

void
bench_result_print_header (FILE *stream)
{
    //  "µs" is two bytes and one column: one more byte of width each
    fprintf (stream, "%-11s %-9s %11s %11s %7s %10s %10s %12s\n",
             "scenario", "mode", "zaf/s", "floor/s", "ratio", "p50 µs", "p99 µs", "rss KB");
}

void
bench_result_print_row (const bench_result_t *self, FILE *stream)
{
    assert (self);
    if (!self->ok) {
        fprintf (stream, "%-11s %-9s FAILED: %s\n", self->scenario, self->mode, self->error);
        return;
    }
    char zaf [32], floor [32], ratio [32], p50 [32], p99 [32], rss [32];
    if (self->actors >= 0 && self->rss_kb >= 0)
        snprintf (rss, sizeof (rss), "%.1f/actor", self->rss_kb);
    else
        s_count (self->rss_kb, rss, sizeof (rss));
    fprintf (stream, "%-11s %-9s %11s %11s %7s %9s %9s %12s\n",
             self->scenario, self->mode,
             s_count (self->zaf_per_s, zaf, sizeof (zaf)),
             s_count (self->floor_per_s, floor, sizeof (floor)),
             s_decimal (bench_result_ratio (self), 2, ratio, sizeof (ratio)),
             s_decimal (self->p50_us, 1, p50, sizeof (p50)),
             s_decimal (self->p99_us, 1, p99, sizeof (p99)),
             rss);
}

void
bench_result_print_notes (const bench_result_t *self, FILE *stream)
{
    assert (self);
    if (!self->ok || self->actors < 0)
        return;
    fprintf (stream, "  %s %s: %ld actors created in %.2f s (%.0f/s); RSS %.1f KB/actor idle, "
             "%.1f KB/actor after calls; %.2f open files/actor\n",
             self->scenario, self->mode, self->actors, self->create_s,
             self->create_s > 0 ? (double) self->actors / self->create_s : 0,
             self->rss_idle_kb, self->rss_kb, self->fds_per_actor);
}
