/*  =========================================================================
    zaf_registry - the classes and remote functions a process serves

    A registry maps class names to zaf_class_t and function names to
    zaf_task_fn. The process has one default registry: zaf_register_class
    and zaf_register_function fill it, modules loaded with
    zaf_registry_load_module fill it from their zaf_module_init, and the
    node engine serves what it holds. All methods lock, so modules may
    register from any thread; lookups return pointers to registered
    structs, which live as long as the process.
    =========================================================================
*/

#ifndef ZAF_REGISTRY_H_INCLUDED
#define ZAF_REGISTRY_H_INCLUDED

typedef struct _zaf_registry_t zaf_registry_t;

//  Create an empty registry (tests use private ones).
zaf_registry_t *
    zaf_registry_new (void);

//  Destroy a registry. The registered structs are not the registry's.
void
    zaf_registry_destroy (zaf_registry_t **self_p);

//  Return the process's default registry (created on first use, freed at
//  exit).
zaf_registry_t *
    zaf_registry_default (void);

//  Add a class (borrowed). Returns 0; -1 if the class is malformed (no
//  name, no methods, a method without name or code, a name too long for
//  the wire) or another class holds its name. Registering the same struct
//  twice is not an error.
int
    zaf_registry_add_class (zaf_registry_t *self, const zaf_class_t *cls);

//  Add a function. Returns 0; -1 if the name is invalid or taken by
//  another function.
int
    zaf_registry_add_function (zaf_registry_t *self, const char *name,
                               zaf_task_fn *fn);

//  Return the class of that name, or NULL.
const zaf_class_t *
    zaf_registry_class (zaf_registry_t *self, const char *name);

//  Return the function of that name, or NULL.
zaf_task_fn *
    zaf_registry_function (zaf_registry_t *self, const char *name);

//  Return a method of a class by name, or NULL.
zaf_method_fn *
    zaf_registry_method (const zaf_class_t *cls, const char *name);

//  Return the sorted names of the classes (or functions) as a JSON array
//  the caller owns.
cJSON *
    zaf_registry_classes_json (zaf_registry_t *self);
cJSON *
    zaf_registry_functions_json (zaf_registry_t *self);

//  Load a module: dlopen the shared object at `path` and call its
//  zaf_module_init, which registers into the default registry. Returns 0,
//  or -1 and fills err (may be NULL) with what went wrong.
int
    zaf_registry_load_module (const char *path, zaf_error_t *err);

//  Return true if a name is fit for the wire: 1..255 printable ASCII bytes.
bool
    zaf_registry_name_valid (const char *name);

#endif
