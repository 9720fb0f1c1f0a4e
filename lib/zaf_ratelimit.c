/*  =========================================================================
    zaf_ratelimit - a budget for log lines about bad input
    =========================================================================
*/

#include "zaf_classes.h"

struct _zaf_ratelimit_t {
    char *module;               //  Prefix of our own line
    size_t per_second;          //  Budget per window
    int64_t window;             //  Start of the current window (mono ms)
    size_t passed;              //  Lines logged in this window
    size_t held;                //  Lines held back in this window
    size_t held_total;          //  Lines held back since creation
};

zaf_ratelimit_t *
zaf_ratelimit_new (const char *module, size_t per_second)
{
    zaf_ratelimit_t *self = (zaf_ratelimit_t *) zmalloc (sizeof (zaf_ratelimit_t));
    assert (self);
    self->module = strdup (module);
    self->per_second = per_second;
    return self;
}

void
zaf_ratelimit_destroy (zaf_ratelimit_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zaf_ratelimit_t *self = *self_p;
        free (self->module);
        free (self);
        *self_p = NULL;
    }
}

bool
zaf_ratelimit_warn (zaf_ratelimit_t *self, const char *format, ...)
{
    assert (self);
    int64_t now = zclock_mono ();
    if (now - self->window >= 1000) {
        if (self->held)
            zsys_warning ("%s: %zu more warnings suppressed", self->module, self->held);
        self->window = now;
        self->passed = 0;
        self->held = 0;
    }
    if (self->passed >= self->per_second) {
        self->held++;
        self->held_total++;
        return false;
    }
    self->passed++;
    char text [512];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof (text), format, args);
    va_end (args);
    //  Warnings quote what peers sent: never let it reach the log raw
    char escaped [4 * sizeof (text)];
    zsys_warning ("%s: %s", self->module, zaf_escape (text, escaped, sizeof (escaped)));
    return true;
}

size_t
zaf_ratelimit_suppressed (zaf_ratelimit_t *self)
{
    assert (self);
    return self->held_total;
}
