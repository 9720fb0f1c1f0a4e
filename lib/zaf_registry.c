/*  =========================================================================
    zaf_registry - the classes and remote functions a process serves

    Two zhashx maps guarded by one mutex. The default registry is the one
    process-wide table the public zaf_register_* calls need; it is created
    on first use under a pthread_once and freed by an atexit handler.
    =========================================================================
*/

#include "zaf_classes.h"
#include <dlfcn.h>
#include <pthread.h>

struct _zaf_registry_t {
    pthread_mutex_t mutex;      //  Guards both maps
    zhashx_t *classes;          //  name -> const zaf_class_t * (borrowed)
    zhashx_t *functions;        //  name -> zaf_task_fn * (borrowed)
};

static zaf_registry_t *s_default = NULL;
static pthread_once_t s_default_once = PTHREAD_ONCE_INIT;

//  --------------------------------------------------------------------------
//  Create an empty registry

zaf_registry_t *
zaf_registry_new (void)
{
    zaf_registry_t *self = (zaf_registry_t *) zmalloc (sizeof (zaf_registry_t));
    assert (self);
    pthread_mutex_init (&self->mutex, NULL);
    self->classes = zhashx_new ();
    self->functions = zhashx_new ();
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy a registry

void
zaf_registry_destroy (zaf_registry_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        zaf_registry_t *self = *self_p;
        zhashx_destroy (&self->classes);
        zhashx_destroy (&self->functions);
        pthread_mutex_destroy (&self->mutex);
        free (self);
        *self_p = NULL;
    }
}

static void
s_default_free (void)
{
    zaf_registry_destroy (&s_default);
}

static void
s_default_create (void)
{
    s_default = zaf_registry_new ();
    atexit (s_default_free);
}

//  --------------------------------------------------------------------------
//  Return the process's default registry

zaf_registry_t *
zaf_registry_default (void)
{
    pthread_once (&s_default_once, s_default_create);
    return s_default;
}

//  --------------------------------------------------------------------------
//  Return true if a name is fit for the wire

bool
zaf_registry_name_valid (const char *name)
{
    if (!name || !*name)
        return false;
    size_t size = 0;
    for (const char *c = name; *c; c++, size++)
        if (*c < 0x21 || *c > 0x7e || size >= ZAF_PROTO_ID_MAX)
            return false;
    return true;
}

//  --------------------------------------------------------------------------
//  Add a class

int
zaf_registry_add_class (zaf_registry_t *self, const zaf_class_t *cls)
{
    assert (self);
    if (!cls || !zaf_registry_name_valid (cls->name) || !cls->methods) {
        zsys_error ("zaf_registry: class rejected: it needs a name and a method table");
        return -1;
    }
    //  The table ends with { NULL, NULL }: an entry with only one of the
    //  two is malformed, not the end
    for (const zaf_method_t *method = cls->methods; method->name || method->fn; method++)
        if (!zaf_registry_name_valid (method->name) || !method->fn) {
            zsys_error ("zaf_registry: class rejected class=%s: a method has no valid name or no code",
                        cls->name);
            return -1;
        }
    int rc = 0;
    pthread_mutex_lock (&self->mutex);
    const zaf_class_t *known = (const zaf_class_t *) zhashx_lookup (self->classes, cls->name);
    if (known && known != cls) {
        zsys_error ("zaf_registry: class rejected class=%s: name already registered", cls->name);
        rc = -1;
    }
    else
    if (!known)
        zhashx_insert (self->classes, cls->name, (void *) cls);
    pthread_mutex_unlock (&self->mutex);
    return rc;
}

//  --------------------------------------------------------------------------
//  Add a function

int
zaf_registry_add_function (zaf_registry_t *self, const char *name, zaf_task_fn *fn)
{
    assert (self);
    if (!zaf_registry_name_valid (name) || !fn) {
        zsys_error ("zaf_registry: function rejected: it needs a valid name and code");
        return -1;
    }
    int rc = 0;
    pthread_mutex_lock (&self->mutex);
    zaf_task_fn *known = (zaf_task_fn *) zhashx_lookup (self->functions, name);
    if (known && known != fn) {
        zsys_error ("zaf_registry: function rejected function=%s: name already registered", name);
        rc = -1;
    }
    else
    if (!known)
        zhashx_insert (self->functions, name, (void *) fn);
    pthread_mutex_unlock (&self->mutex);
    return rc;
}

//  --------------------------------------------------------------------------
//  Lookups

const zaf_class_t *
zaf_registry_class (zaf_registry_t *self, const char *name)
{
    assert (self);
    if (!name)
        return NULL;
    pthread_mutex_lock (&self->mutex);
    const zaf_class_t *cls = (const zaf_class_t *) zhashx_lookup (self->classes, name);
    pthread_mutex_unlock (&self->mutex);
    return cls;
}

zaf_task_fn *
zaf_registry_function (zaf_registry_t *self, const char *name)
{
    assert (self);
    if (!name)
        return NULL;
    pthread_mutex_lock (&self->mutex);
    zaf_task_fn *fn = (zaf_task_fn *) zhashx_lookup (self->functions, name);
    pthread_mutex_unlock (&self->mutex);
    return fn;
}

zaf_method_fn *
zaf_registry_method (const zaf_class_t *cls, const char *name)
{
    if (!cls || !name)
        return NULL;
    for (const zaf_method_t *method = cls->methods; method->name; method++)
        if (streq (method->name, name))
            return method->fn;
    return NULL;
}

//  --------------------------------------------------------------------------
//  Names as sorted JSON arrays

static cJSON *
s_names_json (zaf_registry_t *self, zhashx_t *map)
{
    pthread_mutex_lock (&self->mutex);
    zlistx_t *keys = zhashx_keys (map);
    pthread_mutex_unlock (&self->mutex);
    zlistx_set_comparator (keys, (zlistx_comparator_fn *) strcmp);
    zlistx_sort (keys);
    cJSON *array = cJSON_CreateArray ();
    for (const char *name = (const char *) zlistx_first (keys); name;
         name = (const char *) zlistx_next (keys))
        cJSON_AddItemToArray (array, cJSON_CreateString (name));
    zlistx_destroy (&keys);
    return array;
}

cJSON *
zaf_registry_classes_json (zaf_registry_t *self)
{
    assert (self);
    return s_names_json (self, self->classes);
}

cJSON *
zaf_registry_functions_json (zaf_registry_t *self)
{
    assert (self);
    return s_names_json (self, self->functions);
}

//  --------------------------------------------------------------------------
//  Load a module

int
zaf_registry_load_module (const char *path, zaf_error_t *err)
{
    if (!path || !*path) {
        zaf_error_set (err, ZAF_BAD_ARGS, "module path is empty");
        return -1;
    }
    //  dlopen searches the library path for bare names; a path with a slash
    //  is taken as it is, which is what operators mean on the command line
    void *handle = dlopen (path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        zaf_error_set (err, ZAF_BAD_ARGS, "cannot load module %s: %s", path, dlerror ());
        return -1;
    }
    zaf_module_init_fn *init = (zaf_module_init_fn *) dlsym (handle, ZAF_MODULE_INIT);
    if (!init) {
        zaf_error_set (err, ZAF_BAD_ARGS, "module %s has no %s function", path, ZAF_MODULE_INIT);
        dlclose (handle);
        return -1;
    }
    if (init () != 0) {
        zaf_error_set (err, ZAF_BAD_ARGS, "module %s: %s failed", path, ZAF_MODULE_INIT);
        //  Classes it registered before failing point into it: keep it loaded
        return -1;
    }
    //  Modules stay loaded for the life of the process: the registry
    //  points into them
    return 0;
}

//  --------------------------------------------------------------------------
//  Public registration calls: the default registry

int
zaf_register_class (const zaf_class_t *cls)
{
    return zaf_registry_add_class (zaf_registry_default (), cls);
}

int
zaf_register_function (const char *name, zaf_task_fn *fn)
{
    return zaf_registry_add_function (zaf_registry_default (), name, fn);
}
