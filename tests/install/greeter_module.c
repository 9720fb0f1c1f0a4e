/* An actor module built outside the zaf tree: a Greeter that counts. */
#include <zaf.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct { int greetings; } greeter_t;

static void *
s_new (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    return calloc (1, sizeof (greeter_t));
}

static void
s_destroy (void *state)
{
    free (state);
}

static cJSON *
s_greet (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    greeter_t *self = (greeter_t *) state;
    char text [128];
    snprintf (text, sizeof (text), "Hello, %s! (greeting %d)",
              zaf_arg_string (args, 0, "world"), ++self->greetings);
    return cJSON_CreateString (text);
}

static const zaf_method_t s_methods [] = { { "greet", s_greet }, { NULL, NULL } };
static const zaf_class_t s_class = { "Greeter", s_new, s_destroy, s_methods };

int
zaf_module_init (void)
{
    return zaf_register_class (&s_class);
}
