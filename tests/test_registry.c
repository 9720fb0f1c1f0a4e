/*  =========================================================================
    test_registry - classes, functions and modules a process serves

    Most tests use private registries from zaf_registry_new, so they do not
    depend on what else registered into the default one: adding and finding
    classes and functions, re-adding the same struct, refusing a second
    struct under a taken name, refusing malformed classes and names that
    cannot go on the wire, method lookup, the sorted JSON name lists, and
    locking under concurrent adds. The module tests load real shared
    objects from the build's lib folder into the default registry: the test
    actors module (ZAF_LIB_DIR/libzaf_test_actors.so), and paths that must
    fail with ZAF_BAD_ARGS and a message saying why. Criterion runs each
    test in its own process, so the default registry starts empty in each.
    =========================================================================
*/

#include "testutil.h"
#include <criterion/criterion.h>
#include <pthread.h>

#define TEST_MODULE     ZAF_LIB_DIR "/libzaf_test_actors.so"
#define NOT_A_MODULE    ZAF_LIB_DIR "/libzaf.so"

//  --------------------------------------------------------------------------
//  Sample classes and functions

static cJSON *
s_method_one (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    return cJSON_CreateNumber (1);
}

static cJSON *
s_method_two (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    return cJSON_CreateNumber (2);
}

static cJSON *
s_task_one (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    return cJSON_CreateNumber (1);
}

static cJSON *
s_task_two (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    return cJSON_CreateNumber (2);
}

static const zaf_method_t s_methods [] = {
    { "one", s_method_one },
    { "two", s_method_two },
    { NULL, NULL }
};

static const zaf_class_t s_alpha = { "Alpha", NULL, NULL, s_methods };
static const zaf_class_t s_alpha_again = { "Alpha", NULL, NULL, s_methods };
static const zaf_class_t s_beta = { "Beta", NULL, NULL, s_methods };

//  Fixture: two private registries, freed even when an assertion fails
static zaf_registry_t *s_registry = NULL;
static zaf_registry_t *s_other = NULL;

static void
s_setup (void)
{
    s_registry = zaf_registry_new ();
    s_other = zaf_registry_new ();
    cr_assert_not_null (s_registry);
    cr_assert_not_null (s_other);
}

static void
s_teardown (void)
{
    zaf_registry_destroy (&s_registry);
    zaf_registry_destroy (&s_other);
}

//  Return the strings of a JSON array joined with commas, in a new string
static char *
s_joined (const cJSON *array)
{
    char *text = strdup ("");
    cr_expect (zaf_json_is_string_array (array));
    const cJSON *item;
    cJSON_ArrayForEach (item, array) {
        char *longer = zsys_sprintf ("%s%s%s", text, *text ? "," : "",
                                     cJSON_IsString (item) ? item->valuestring : "?");
        free (text);
        text = longer;
    }
    return text;
}

//  Assert a JSON list of names (taken) joins to expected
static void
s_assert_names (cJSON *names, const char *expected)
{
    cr_assert_not_null (names);
    char *joined = s_joined (names);
    cr_expect_str_eq (joined, expected);
    bool same = streq (joined, expected);
    free (joined);
    cJSON_Delete (names);
    cr_assert (same);
}

static void
s_assert_classes (zaf_registry_t *registry, const char *expected)
{
    s_assert_names (zaf_registry_classes_json (registry), expected);
}

static void
s_assert_functions (zaf_registry_t *registry, const char *expected)
{
    s_assert_names (zaf_registry_functions_json (registry), expected);
}

//  --------------------------------------------------------------------------
//  Classes

Test (registry, new_registry_is_empty)
{
    zaf_registry_t *registry = zaf_registry_new ();
    cr_assert_not_null (registry);
    cr_assert_null (zaf_registry_class (registry, "Alpha"));
    cr_assert_null (zaf_registry_function (registry, "one"));
    s_assert_classes (registry, "");
    s_assert_functions (registry, "");
    zaf_registry_destroy (&registry);
    cr_assert_null (registry);
    zaf_registry_destroy (&registry);       //  Nothing on NULL
}

Test (registry, add_and_find_class, .init = s_setup, .fini = s_teardown)
{
    zaf_registry_t *registry = s_registry;
    cr_assert_eq (zaf_registry_add_class (registry, &s_alpha), 0);
    cr_assert_eq (zaf_registry_add_class (registry, &s_beta), 0);
    cr_assert_eq (zaf_registry_class (registry, "Alpha"), &s_alpha);
    cr_assert_eq (zaf_registry_class (registry, "Beta"), &s_beta);
    cr_assert_null (zaf_registry_class (registry, "alpha"), "names are case-sensitive");
    cr_assert_null (zaf_registry_class (registry, "Gamma"));
    cr_assert_null (zaf_registry_class (registry, ""));
    cr_assert_null (zaf_registry_class (registry, NULL));
    //  Classes and functions are apart
    cr_assert_null (zaf_registry_function (registry, "Alpha"));
}

Test (registry, same_class_twice_is_fine, .init = s_setup, .fini = s_teardown)
{
    zaf_registry_t *registry = s_registry;
    cr_assert_eq (zaf_registry_add_class (registry, &s_alpha), 0);
    cr_assert_eq (zaf_registry_add_class (registry, &s_alpha), 0);
    cr_assert_eq (zaf_registry_class (registry, "Alpha"), &s_alpha);
    s_assert_classes (registry, "Alpha");
}

Test (registry, taken_class_name_fails, .init = s_setup, .fini = s_teardown)
{
    //  A different struct, even an identical one, may not take the name
    zaf_registry_t *registry = s_registry;
    cr_assert_eq (zaf_registry_add_class (registry, &s_alpha), 0);
    cr_assert_eq (zaf_registry_add_class (registry, &s_alpha_again), -1);
    cr_assert_eq (zaf_registry_class (registry, "Alpha"), &s_alpha, "the first one stays");
    s_assert_classes (registry, "Alpha");
}

Test (registry, malformed_classes_fail, .init = s_setup, .fini = s_teardown)
{
    char long_name [ZAF_PROTO_ID_MAX + 2];
    memset (long_name, 'L', ZAF_PROTO_ID_MAX + 1);
    long_name [ZAF_PROTO_ID_MAX + 1] = 0;

    static const zaf_method_t no_fn [] = { { "one", s_method_one }, { "two", NULL }, { NULL, NULL } };
    static const zaf_method_t empty_name [] = { { "", s_method_one }, { NULL, NULL } };
    static const zaf_method_t space_name [] = { { "has space", s_method_one }, { NULL, NULL } };
    static const zaf_method_t control_name [] = { { "tab\t", s_method_one }, { NULL, NULL } };
    static const zaf_method_t high_name [] = { { "caf\xc3\xa9", s_method_one }, { NULL, NULL } };
    zaf_method_t long_method [] = { { long_name, s_method_one }, { NULL, NULL } };

    const zaf_class_t classes [] = {
        { NULL, NULL, NULL, s_methods },            //  No name
        { "", NULL, NULL, s_methods },              //  Empty name
        { "Bad Name", NULL, NULL, s_methods },      //  Space
        { "Bad\x01", NULL, NULL, s_methods },       //  Control byte
        { "Bad\x7f", NULL, NULL, s_methods },       //  DEL
        { "Caf\xc3\xa9", NULL, NULL, s_methods },   //  Not ASCII
        { long_name, NULL, NULL, s_methods },       //  256 bytes
        { "NoMethods", NULL, NULL, NULL },          //  NULL method table
        { "NoFn", NULL, NULL, no_fn },              //  A method without code
        { "EmptyMethod", NULL, NULL, empty_name },  //  A method named ""
        { "SpaceMethod", NULL, NULL, space_name },
        { "ControlMethod", NULL, NULL, control_name },
        { "HighMethod", NULL, NULL, high_name },
        { "LongMethod", NULL, NULL, long_method },  //  256-byte method name
    };
    zaf_registry_t *registry = s_registry;
    cr_assert_eq (zaf_registry_add_class (registry, NULL), -1);
    for (size_t index = 0; index < sizeof (classes) / sizeof (classes [0]); index++)
        cr_assert_eq (zaf_registry_add_class (registry, &classes [index]), -1,
                      "class #%zu (%.20s) should be refused", index,
                      classes [index].name ? classes [index].name : "NULL");
    s_assert_classes (registry, "");

    //  Nothing half-added: a refused class leaves its name free
    cr_assert_null (zaf_registry_class (registry, "NoFn"));
}

Test (registry, method_without_name_fails, .init = s_setup, .fini = s_teardown)
{
    //  Only { NULL, NULL } ends a method table: an entry with code but no
    //  name is a malformed method, not the end of the table
    static const zaf_method_t nameless [] = {
        { "one", s_method_one },
        { NULL, s_method_two },
        { "three", s_method_one },
        { NULL, NULL }
    };
    static const zaf_class_t cls = { "Nameless", NULL, NULL, nameless };
    zaf_registry_t *registry = s_registry;
    cr_assert_eq (zaf_registry_add_class (registry, &cls), -1,
                  "a method with code and no name was accepted");
    cr_assert_null (zaf_registry_class (registry, "Nameless"));
}

Test (registry, longest_names_are_fine, .init = s_setup, .fini = s_teardown)
{
    char name [ZAF_PROTO_ID_MAX + 1];
    memset (name, '~', ZAF_PROTO_ID_MAX);
    name [ZAF_PROTO_ID_MAX] = 0;
    zaf_method_t methods [] = { { name, s_method_one }, { NULL, NULL } };
    zaf_class_t cls = { name, NULL, NULL, methods };
    zaf_registry_t *registry = s_registry;
    cr_assert_eq (zaf_registry_add_class (registry, &cls), 0);
    cr_assert_eq (zaf_registry_class (registry, name), &cls);
    cr_assert_eq (zaf_registry_method (&cls, name), s_method_one);
    cr_assert_eq (zaf_registry_add_function (registry, name, s_task_one), 0);
    cr_assert_eq (zaf_registry_function (registry, name), s_task_one);
}

Test (registry, find_method)
{
    cr_assert_eq (zaf_registry_method (&s_alpha, "one"), s_method_one);
    cr_assert_eq (zaf_registry_method (&s_alpha, "two"), s_method_two);
    cr_assert_null (zaf_registry_method (&s_alpha, "three"));
    cr_assert_null (zaf_registry_method (&s_alpha, "One"));
    cr_assert_null (zaf_registry_method (&s_alpha, ""));
    cr_assert_null (zaf_registry_method (&s_alpha, NULL));
    cr_assert_null (zaf_registry_method (NULL, "one"));

    static const zaf_method_t none [] = { { NULL, NULL } };
    static const zaf_class_t empty = { "Empty", NULL, NULL, none };
    cr_assert_null (zaf_registry_method (&empty, "one"));
}

//  --------------------------------------------------------------------------
//  Functions

Test (registry, add_and_find_functions, .init = s_setup, .fini = s_teardown)
{
    zaf_registry_t *registry = s_registry;
    cr_assert_eq (zaf_registry_add_function (registry, "one", s_task_one), 0);
    cr_assert_eq (zaf_registry_add_function (registry, "two", s_task_two), 0);
    cr_assert_eq (zaf_registry_function (registry, "one"), s_task_one);
    cr_assert_eq (zaf_registry_function (registry, "two"), s_task_two);
    cr_assert_null (zaf_registry_function (registry, "One"));
    cr_assert_null (zaf_registry_function (registry, "three"));
    cr_assert_null (zaf_registry_function (registry, NULL));
    cr_assert_null (zaf_registry_class (registry, "one"));

    //  The same function again is fine; another under a taken name is not
    cr_assert_eq (zaf_registry_add_function (registry, "one", s_task_one), 0);
    cr_assert_eq (zaf_registry_add_function (registry, "one", s_task_two), -1);
    cr_assert_eq (zaf_registry_function (registry, "one"), s_task_one);
    s_assert_functions (registry, "one,two");

    //  A class and a function may share a name
    cr_assert_eq (zaf_registry_add_function (registry, "Alpha", s_task_one), 0);
    cr_assert_eq (zaf_registry_add_class (registry, &s_alpha), 0);
}

Test (registry, malformed_functions_fail, .init = s_setup, .fini = s_teardown)
{
    char long_name [ZAF_PROTO_ID_MAX + 2];
    memset (long_name, 'f', ZAF_PROTO_ID_MAX + 1);
    long_name [ZAF_PROTO_ID_MAX + 1] = 0;
    const char *names [] = { NULL, "", " ", "two words", "nl\n", "\x7f", "\xff", long_name };
    zaf_registry_t *registry = s_registry;
    for (size_t index = 0; index < sizeof (names) / sizeof (names [0]); index++)
        cr_assert_eq (zaf_registry_add_function (registry, names [index], s_task_one), -1,
                      "name #%zu should be refused", index);
    cr_assert_eq (zaf_registry_add_function (registry, "no_code", NULL), -1);
    cr_assert_null (zaf_registry_function (registry, "no_code"));
    s_assert_functions (registry, "");
}

//  --------------------------------------------------------------------------
//  Name lists and names

Test (registry, names_are_sorted, .init = s_setup, .fini = s_teardown)
{
    static const zaf_class_t zeta = { "zeta", NULL, NULL, s_methods };
    static const zaf_class_t lower_beta = { "beta", NULL, NULL, s_methods };
    static const zaf_class_t alpha2 = { "alpha2", NULL, NULL, s_methods };
    zaf_registry_t *registry = s_registry;
    cr_assert_eq (zaf_registry_add_class (registry, &zeta), 0);
    cr_assert_eq (zaf_registry_add_class (registry, &s_beta), 0);
    cr_assert_eq (zaf_registry_add_class (registry, &alpha2), 0);
    cr_assert_eq (zaf_registry_add_class (registry, &lower_beta), 0);
    cr_assert_eq (zaf_registry_add_class (registry, &s_alpha), 0);
    s_assert_classes (registry, "Alpha,Beta,alpha2,beta,zeta");

    const char *functions [] = { "m", "b", "z10", "z2", "a", "B", "_" };
    for (size_t index = 0; index < sizeof (functions) / sizeof (functions [0]); index++)
        cr_assert_eq (zaf_registry_add_function (registry, functions [index], s_task_one), 0);
    s_assert_functions (registry, "B,_,a,b,m,z10,z2");

    //  Each call gives a new array the caller owns
    cJSON *first = zaf_registry_classes_json (registry);
    cJSON *second = zaf_registry_classes_json (registry);
    cr_assert_neq (first, second);
    cJSON_Delete (first);
    cJSON_Delete (second);
}

Test (registry, registries_are_apart, .init = s_setup, .fini = s_teardown)
{
    zaf_registry_t *one = s_registry;
    zaf_registry_t *two = s_other;
    cr_assert_eq (zaf_registry_add_class (one, &s_alpha), 0);
    cr_assert_eq (zaf_registry_add_class (two, &s_alpha_again), 0);
    cr_assert_eq (zaf_registry_add_function (one, "one", s_task_one), 0);
    cr_assert_eq (zaf_registry_class (one, "Alpha"), &s_alpha);
    cr_assert_eq (zaf_registry_class (two, "Alpha"), &s_alpha_again);
    cr_assert_null (zaf_registry_function (two, "one"));
    cr_assert_null (zaf_registry_class (zaf_registry_default (), "Alpha"));
}

Test (registry, public_calls_fill_the_default)
{
    zaf_registry_t *registry = zaf_registry_default ();
    cr_assert_not_null (registry);
    cr_assert_eq (zaf_registry_default (), registry, "one default per process");
    cr_assert_eq (zaf_register_class (&s_alpha), 0);
    cr_assert_eq (zaf_register_class (&s_alpha_again), -1);
    cr_assert_eq (zaf_register_function ("one", s_task_one), 0);
    cr_assert_eq (zaf_register_function ("one", s_task_two), -1);
    cr_assert_eq (zaf_register_function ("bad name", s_task_two), -1);
    cr_assert_eq (zaf_registry_class (registry, "Alpha"), &s_alpha);
    cr_assert_eq (zaf_registry_function (registry, "one"), s_task_one);
}

Test (registry, name_valid)
{
    char name [ZAF_PROTO_ID_MAX + 2];
    memset (name, 'n', ZAF_PROTO_ID_MAX);
    name [ZAF_PROTO_ID_MAX] = 0;
    cr_assert (zaf_registry_name_valid (name), "255 bytes fit");
    name [ZAF_PROTO_ID_MAX] = 'n';
    name [ZAF_PROTO_ID_MAX + 1] = 0;
    cr_assert_not (zaf_registry_name_valid (name), "256 bytes do not");

    const char *valid [] = { "a", "!", "~", "Counter", "a.b-c_d:e/f@g#1", "{}[]\"'\\" };
    for (size_t index = 0; index < sizeof (valid) / sizeof (valid [0]); index++)
        cr_assert (zaf_registry_name_valid (valid [index]), "'%s' is valid", valid [index]);

    const char *invalid [] = {
        NULL, "", " ", "a b", " lead", "trail ", "\t", "a\nb", "\x01", "\x1f", "\x7f",
        "\x80", "caf\xc3\xa9", "\xff"
    };
    for (size_t index = 0; index < sizeof (invalid) / sizeof (invalid [0]); index++)
        cr_assert_not (zaf_registry_name_valid (invalid [index]), "name #%zu is invalid", index);
}

//  --------------------------------------------------------------------------
//  Concurrent adds: modules may register from any thread

#define ADDERS      4
#define PER_ADDER   200

typedef struct {
    zaf_registry_t *registry;   //  Shared
    int id;
    int failures;               //  Result: adds that failed
} adder_t;

static void *
s_adder (void *args)
{
    adder_t *adder = (adder_t *) args;
    for (int index = 0; index < PER_ADDER; index++) {
        char name [32];
        snprintf (name, sizeof (name), "fn-%d-%d", adder->id, index);
        if (zaf_registry_add_function (adder->registry, name, s_task_one))
            adder->failures++;
        //  Everyone also adds the same shared names, some with other code
        if (zaf_registry_add_function (adder->registry, "shared", s_task_two))
            adder->failures++;
        zaf_registry_add_class (adder->registry, &s_alpha);
        cJSON *names = zaf_registry_functions_json (adder->registry);
        cJSON_Delete (names);
    }
    return NULL;
}

Test (registry, concurrent_adds, .timeout = 30, .init = s_setup, .fini = s_teardown)
{
    zaf_registry_t *registry = s_registry;
    pthread_t threads [ADDERS];
    adder_t adders [ADDERS];
    for (int index = 0; index < ADDERS; index++) {
        adders [index] = (adder_t) { registry, index, 0 };
        cr_assert_eq (pthread_create (&threads [index], NULL, s_adder, &adders [index]), 0);
    }
    for (int index = 0; index < ADDERS; index++)
        pthread_join (threads [index], NULL);
    for (int index = 0; index < ADDERS; index++)
        cr_assert_eq (adders [index].failures, 0, "adder %d failed %d adds",
                      index, adders [index].failures);
    cJSON *names = zaf_registry_functions_json (registry);
    int count = cJSON_GetArraySize (names);
    cJSON_Delete (names);
    cr_assert_eq (count, ADDERS * PER_ADDER + 1);
    cr_assert_eq (zaf_registry_function (registry, "shared"), s_task_two);
    cr_assert_eq (zaf_registry_class (registry, "Alpha"), &s_alpha);
}

//  --------------------------------------------------------------------------
//  Modules

Test (registry, load_module)
{
    zaf_error_t err;
    zaf_error_clear (&err);
    cr_assert_null (zaf_registry_class (zaf_registry_default (), "Counter"));
    int rc = zaf_registry_load_module (TEST_MODULE, &err);
    cr_assert_eq (rc, 0, "load %s: %s", TEST_MODULE, err.message);
    cr_assert_eq (err.code, ZAF_OK);

    //  What its zaf_module_init registered is in the default registry
    zaf_registry_t *registry = zaf_registry_default ();
    const zaf_class_t *counter = zaf_registry_class (registry, "Counter");
    cr_assert_not_null (counter);
    cr_assert_str_eq (counter->name, "Counter");
    cr_assert_not_null (zaf_registry_method (counter, "add"));
    cr_assert_not_null (zaf_registry_method (counter, "get"));
    cr_assert_not_null (zaf_registry_class (registry, "Refuser"));
    cr_assert_not_null (zaf_registry_function (registry, "add"));
    cr_assert_not_null (zaf_registry_function (registry, "tell_many"));

    //  Loading it again finds the same structs: not an error
    rc = zaf_registry_load_module (TEST_MODULE, &err);
    cr_assert_eq (rc, 0, "second load: %s", err.message);
    cr_assert_eq (zaf_registry_class (registry, "Counter"), counter);

    //  Without an err to fill
    cr_assert_eq (zaf_registry_load_module (TEST_MODULE, NULL), 0);
}

Test (registry, load_missing_module_fails)
{
    const char *path = ZAF_LIB_DIR "/no-such-module.so";
    zaf_error_t err;
    zaf_error_clear (&err);
    cr_assert_eq (zaf_registry_load_module (path, &err), -1);
    cr_assert_eq (err.code, ZAF_BAD_ARGS);
    cr_assert_not_null (strstr (err.message, "no-such-module.so"), "message: %s", err.message);

    //  A directory, and a file that is not a shared object
    zaf_error_clear (&err);
    cr_assert_eq (zaf_registry_load_module (ZAF_LIB_DIR, &err), -1);
    cr_assert_eq (err.code, ZAF_BAD_ARGS);
    cr_assert_str_neq (err.message, "");
    zaf_error_clear (&err);
    cr_assert_eq (zaf_registry_load_module (ZAF_LIB_DIR "/../CMakeCache.txt", &err), -1);
    cr_assert_eq (err.code, ZAF_BAD_ARGS);
    cr_assert_not_null (strstr (err.message, "CMakeCache.txt"), "message: %s", err.message);

    cr_assert_eq (zaf_registry_load_module (path, NULL), -1);
    cr_assert_null (zaf_registry_class (zaf_registry_default (), "Counter"));
}

Test (registry, load_empty_path_fails)
{
    zaf_error_t err;
    zaf_error_clear (&err);
    cr_assert_eq (zaf_registry_load_module ("", &err), -1);
    cr_assert_eq (err.code, ZAF_BAD_ARGS);
    cr_assert_not_null (strstr (err.message, "empty"), "message: %s", err.message);

    zaf_error_clear (&err);
    cr_assert_eq (zaf_registry_load_module (NULL, &err), -1);
    cr_assert_eq (err.code, ZAF_BAD_ARGS);
    cr_assert_str_neq (err.message, "");
    cr_assert_eq (zaf_registry_load_module (NULL, NULL), -1);
}

Test (registry, load_object_without_init_fails)
{
    zaf_error_t err;
    zaf_error_clear (&err);
    cr_assert_eq (zaf_registry_load_module (NOT_A_MODULE, &err), -1);
    cr_assert_eq (err.code, ZAF_BAD_ARGS);
    cr_assert_not_null (strstr (err.message, ZAF_MODULE_INIT), "message: %s", err.message);
    cr_assert_not_null (strstr (err.message, "libzaf.so"), "message: %s", err.message);
    s_assert_classes (zaf_registry_default (), "");
    s_assert_functions (zaf_registry_default (), "");
    cr_assert_eq (zaf_registry_load_module (NOT_A_MODULE, NULL), -1);
}
