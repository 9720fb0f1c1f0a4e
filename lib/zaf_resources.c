/*  =========================================================================
    zaf_resources - what a node has and what an actor asks for

    Small fixed arrays of (name, amount) and (name, label): a node lists a
    handful, and placement compares them node by node. Amounts are
    doubles so that an actor can ask for half a CPU; a tiny tolerance
    keeps reserve-release cycles exact in practice. Runs wherever it is
    called (the broker's thread for capacities and demands, a driver's for
    zaf_demand_options): no shared state.
    =========================================================================
*/

#include "zaf_classes.h"
#include <ctype.h>
#include <math.h>

#define EPSILON 1e-9

typedef struct {
    char name [ZAF_RESOURCES_NAME_MAX + 1];
    double amount;
} amount_t;

typedef struct {
    char name [ZAF_RESOURCES_NAME_MAX + 1];
    char value [ZAF_LABEL_VALUE_MAX + 1];
} label_t;

struct _zaf_capacity_t {
    amount_t total [ZAF_RESOURCES_MAX];
    amount_t free [ZAF_RESOURCES_MAX];
    size_t amounts;
    label_t labels [ZAF_RESOURCES_MAX];
    size_t label_count;
};

struct _zaf_demand_t {
    amount_t wants [ZAF_RESOURCES_MAX];
    size_t amounts;
    label_t labels [ZAF_RESOURCES_MAX];
    size_t label_count;
    char *node;                 //  Affinity, or NULL
    bool soft;
    bool pack;
    char text [512];            //  For messages
};

//  --------------------------------------------------------------------------
//  Names and parsing

static bool
s_name_valid (const char *name)
{
    size_t length = strlen (name);
    if (length == 0 || length > ZAF_RESOURCES_NAME_MAX)
        return false;
    for (const char *c = name; *c; c++)
        if (!islower ((unsigned char) *c) && !isdigit ((unsigned char) *c)
        &&  *c != '_' && *c != '.' && *c != '-')
            return false;
    return true;
}

static bool
s_label_valid (const char *value)
{
    size_t length = strlen (value);
    if (length == 0 || length > ZAF_LABEL_VALUE_MAX)
        return false;
    for (const char *c = value; *c; c++)
        if (!isgraph ((unsigned char) *c) || *c == ',' || *c == '=' || *c == '"' || *c == '\\')
            return false;
    return true;
}

cJSON *
zaf_resources_parse (const char *text, bool numbers, char *error, size_t error_size)
{
    cJSON *json = cJSON_CreateObject ();
    if (!text || !*text)
        return json;
    char *copy = strdup (text);
    char *save = NULL;
    for (char *pair = strtok_r (copy, ",", &save); pair; pair = strtok_r (NULL, ",", &save)) {
        char *equals = strchr (pair, '=');
        if (!equals) {
            snprintf (error, error_size, "'%s' is not name=value", pair);
            goto failed;
        }
        *equals = 0;
        const char *value = equals + 1;
        if (!s_name_valid (pair)) {
            snprintf (error, error_size, "'%s' is not a name (1-%d of a-z 0-9 _ . -)",
                      pair, ZAF_RESOURCES_NAME_MAX);
            goto failed;
        }
        if (cJSON_GetObjectItemCaseSensitive (json, pair)) {
            snprintf (error, error_size, "'%s' is given twice", pair);
            goto failed;
        }
        if (numbers) {
            char *end = NULL;
            double amount = strtod (value, &end);
            if (!*value || *end || !isfinite (amount) || amount < 0 || amount > 1e15) {
                snprintf (error, error_size, "'%s' needs an amount of 0 or more, not '%s'",
                          pair, value);
                goto failed;
            }
            cJSON_AddNumberToObject (json, pair, amount);
        }
        else {
            if (!s_label_valid (value)) {
                snprintf (error, error_size, "label '%s' needs a value of 1-%d printable "
                          "characters, not '%s'", pair, ZAF_LABEL_VALUE_MAX, value);
                goto failed;
            }
            cJSON_AddStringToObject (json, pair, value);
        }
        if (cJSON_GetArraySize (json) > ZAF_RESOURCES_MAX) {
            snprintf (error, error_size, "at most %d entries", ZAF_RESOURCES_MAX);
            goto failed;
        }
    }
    free (copy);
    return json;
failed:
    free (copy);
    cJSON_Delete (json);
    return NULL;
}

const char *
zaf_resources_check (const cJSON *json, bool numbers)
{
    if (!json)
        return NULL;
    if (!cJSON_IsObject (json))
        return numbers ? "resources must be an object of amounts"
                       : "labels must be an object of strings";
    if (cJSON_GetArraySize (json) > ZAF_RESOURCES_MAX)
        return "at most 32 resources or labels";
    const cJSON *item;
    cJSON_ArrayForEach (item, json) {
        if (!item->string || !s_name_valid (item->string))
            return "resource and label names are 1-32 of a-z 0-9 _ . -";
        if (numbers && (!cJSON_IsNumber (item) || !isfinite (item->valuedouble)
                        || item->valuedouble < 0 || item->valuedouble > 1e15))
            return "resource amounts must be numbers of 0 or more";
        if (!numbers && (!cJSON_IsString (item) || !s_label_valid (item->valuestring)))
            return "label values must be 1-64 printable characters";
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  A node's capacity

zaf_capacity_t *
zaf_capacity_new (const cJSON *resources, const cJSON *labels)
{
    zaf_capacity_t *self = (zaf_capacity_t *) zmalloc (sizeof (zaf_capacity_t));
    assert (self);
    const cJSON *item;
    if (!zaf_resources_check (resources, true))
        cJSON_ArrayForEach (item, resources) {
            amount_t *amount = &self->total [self->amounts];
            snprintf (amount->name, sizeof (amount->name), "%s", item->string);
            amount->amount = item->valuedouble;
            self->free [self->amounts++] = *amount;
        }
    if (!zaf_resources_check (labels, false))
        cJSON_ArrayForEach (item, labels) {
            label_t *label = &self->labels [self->label_count++];
            snprintf (label->name, sizeof (label->name), "%s", item->string);
            snprintf (label->value, sizeof (label->value), "%s", item->valuestring);
        }
    return self;
}

void
zaf_capacity_destroy (zaf_capacity_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

static amount_t *
s_amount (amount_t *amounts, size_t count, const char *name)
{
    for (size_t index = 0; index < count; index++)
        if (streq (amounts [index].name, name))
            return &amounts [index];
    return NULL;
}

void
zaf_capacity_reserve (zaf_capacity_t *self, const zaf_demand_t *demand)
{
    assert (self);
    for (size_t index = 0; demand && index < demand->amounts; index++) {
        amount_t *free_ = s_amount (self->free, self->amounts, demand->wants [index].name);
        if (free_)
            free_->amount -= demand->wants [index].amount;
    }
}

void
zaf_capacity_release (zaf_capacity_t *self, const zaf_demand_t *demand)
{
    assert (self);
    for (size_t index = 0; demand && index < demand->amounts; index++) {
        const char *name = demand->wants [index].name;
        amount_t *free_ = s_amount (self->free, self->amounts, name);
        amount_t *total = s_amount (self->total, self->amounts, name);
        if (free_ && total) {
            free_->amount += demand->wants [index].amount;
            if (free_->amount > total->amount - EPSILON)
                free_->amount = total->amount;      //  Exact once all is back
        }
    }
}

bool
zaf_capacity_labels_match (zaf_capacity_t *self, const zaf_demand_t *demand)
{
    assert (self);
    for (size_t index = 0; demand && index < demand->label_count; index++) {
        bool found = false;
        for (size_t mine = 0; mine < self->label_count && !found; mine++)
            found = streq (self->labels [mine].name, demand->labels [index].name)
                 && streq (self->labels [mine].value, demand->labels [index].value);
        if (!found)
            return false;
    }
    return true;
}

double
zaf_capacity_shortfall (zaf_capacity_t *self, const zaf_demand_t *demand,
                        char *what, size_t what_size)
{
    assert (self);
    double missing = 0;
    bool described = false;
    for (size_t index = 0; demand && index < demand->amounts; index++) {
        const amount_t *want = &demand->wants [index];
        if (want->amount <= 0)
            continue;
        amount_t *free_ = s_amount (self->free, self->amounts, want->name);
        amount_t *total = s_amount (self->total, self->amounts, want->name);
        double have = free_ ? free_->amount : 0;
        if (have + EPSILON >= want->amount)
            continue;
        missing += (want->amount - have) / want->amount;
        if (!described && what) {
            snprintf (what, what_size, "%s: %g asked, %g free of %g", want->name,
                      want->amount, have, total ? total->amount : 0);
            described = true;
        }
    }
    return missing;
}

cJSON *
zaf_capacity_json (zaf_capacity_t *self)
{
    assert (self);
    cJSON *json = cJSON_CreateObject ();
    cJSON *total = cJSON_AddObjectToObject (json, "total");
    cJSON *free_ = cJSON_AddObjectToObject (json, "free");
    cJSON *labels = cJSON_AddObjectToObject (json, "labels");
    for (size_t index = 0; index < self->amounts; index++) {
        cJSON_AddNumberToObject (total, self->total [index].name, self->total [index].amount);
        cJSON_AddNumberToObject (free_, self->free [index].name, self->free [index].amount);
    }
    for (size_t index = 0; index < self->label_count; index++)
        cJSON_AddStringToObject (labels, self->labels [index].name, self->labels [index].value);
    return json;
}

//  --------------------------------------------------------------------------
//  An actor's demand

zaf_demand_t *
zaf_demand_new (const cJSON *options, char *error, size_t error_size)
{
    assert (error && error_size);
    *error = 0;
    const cJSON *resources = cJSON_GetObjectItemCaseSensitive (options, "resources");
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive (options, "labels");
    const cJSON *affinity = cJSON_GetObjectItemCaseSensitive (options, "affinity");
    const cJSON *strategy = cJSON_GetObjectItemCaseSensitive (options, "strategy");
    if (!resources && !labels && !affinity && !strategy)
        return NULL;
    const char *refusal = zaf_resources_check (resources, true);
    if (!refusal)
        refusal = zaf_resources_check (labels, false);
    const char *node = zaf_json_string (affinity, "node", NULL);
    if (!refusal && affinity && (!cJSON_IsObject (affinity) || !node
                                 || !zaf_registry_name_valid (node)))
        refusal = "affinity must be {\"node\": NAME, \"soft\": bool}";
    if (!refusal && strategy && (!cJSON_IsString (strategy)
        || (strneq (strategy->valuestring, "pack") && strneq (strategy->valuestring, "spread"))))
        refusal = "strategy must be \"pack\" or \"spread\"";
    if (refusal) {
        snprintf (error, error_size, "%s", refusal);
        return NULL;
    }
    zaf_demand_t *self = (zaf_demand_t *) zmalloc (sizeof (zaf_demand_t));
    assert (self);
    const cJSON *item;
    size_t used = 0;
    cJSON_ArrayForEach (item, resources) {
        amount_t *want = &self->wants [self->amounts++];
        snprintf (want->name, sizeof (want->name), "%s", item->string);
        want->amount = item->valuedouble;
        used += snprintf (self->text + used, sizeof (self->text) - used, "%s%s=%g",
                          used ? "," : "", want->name, want->amount);
        if (used >= sizeof (self->text))
            used = sizeof (self->text) - 1;
    }
    cJSON_ArrayForEach (item, labels) {
        label_t *label = &self->labels [self->label_count++];
        snprintf (label->name, sizeof (label->name), "%s", item->string);
        snprintf (label->value, sizeof (label->value), "%s", item->valuestring);
        used += snprintf (self->text + used, sizeof (self->text) - used, "%s%s=%s",
                          used ? "," : "", label->name, label->value);
        if (used >= sizeof (self->text))
            used = sizeof (self->text) - 1;
    }
    if (node) {
        self->node = strdup (node);
        self->soft = zaf_json_bool (affinity, "soft", false);
    }
    self->pack = strategy && streq (strategy->valuestring, "pack");
    return self;
}

void
zaf_demand_destroy (zaf_demand_t **self_p)
{
    assert (self_p);
    zaf_demand_t *self = *self_p;
    if (self) {
        free (self->node);
        free (self);
        *self_p = NULL;
    }
}

const char *
zaf_demand_node (const zaf_demand_t *self)
{
    return self ? self->node : NULL;
}

bool
zaf_demand_soft (const zaf_demand_t *self)
{
    return self && self->soft;
}

bool
zaf_demand_pack (const zaf_demand_t *self)
{
    return self && self->pack;
}

const char *
zaf_demand_text (const zaf_demand_t *self)
{
    return self && *self->text ? self->text : "nothing";
}

//  --------------------------------------------------------------------------
//  zaf_spawn's options, as strings, into the wire's JSON

int
zaf_demand_strings (const char *resources_text, const char *labels_text,
                    const char *affinity_text, const char *strategy, cJSON *options,
                    zaf_error_t *err)
{
    char error [256] = "";
    if (resources_text) {
        cJSON *resources = zaf_resources_parse (resources_text, true, error, sizeof (error));
        if (!resources) {
            zaf_error_set (err, ZAF_BAD_ARGS, "resources: %s", error);
            return -1;
        }
        cJSON_AddItemToObject (options, "resources", resources);
    }
    if (labels_text) {
        cJSON *labels = zaf_resources_parse (labels_text, false, error, sizeof (error));
        if (!labels) {
            zaf_error_set (err, ZAF_BAD_ARGS, "labels: %s", error);
            return -1;
        }
        cJSON_AddItemToObject (options, "labels", labels);
    }
    if (affinity_text) {
        char node [256] = "";
        bool soft = false;
        const char *text = affinity_text;
        const char *comma = strchr (text, ',');
        size_t length = comma ? (size_t) (comma - text) : strlen (text);
        if (comma && streq (comma + 1, "soft"))
            soft = true;
        else
        if (comma && strneq (comma + 1, "hard"))
            length = 0;
        if (length > 5 && length - 5 < sizeof (node) && strncmp (text, "node=", 5) == 0)
            memcpy (node, text + 5, length - 5);
        if (!*node || !zaf_registry_name_valid (node)) {
            zaf_error_set (err, ZAF_BAD_ARGS,
                           "affinity must be node=NAME, node=NAME,soft or node=NAME,hard");
            return -1;
        }
        cJSON *affinity = cJSON_AddObjectToObject (options, "affinity");
        cJSON_AddStringToObject (affinity, "node", node);
        cJSON_AddBoolToObject (affinity, "soft", soft);
    }
    if (strategy) {
        if (strneq (strategy, "pack") && strneq (strategy, "spread")) {
            zaf_error_set (err, ZAF_BAD_ARGS, "strategy must be pack or spread");
            return -1;
        }
        cJSON_AddStringToObject (options, "strategy", strategy);
    }
    return 0;
}

int
zaf_demand_options (const zaf_spawn_opts_t *opts, cJSON *options, zaf_error_t *err)
{
    if (!opts)
        return 0;
    if (opts->max_concurrency < 0 || opts->max_concurrency > ZAF_POOL_MAX) {
        zaf_error_set (err, ZAF_BAD_ARGS, "max_concurrency must be 1 to %d", ZAF_POOL_MAX);
        return -1;
    }
    if (zaf_demand_strings (opts->resources, opts->labels, opts->affinity, opts->strategy,
                            options, err))
        return -1;
    if (opts->max_concurrency > 1)
        cJSON_AddNumberToObject (options, "max_concurrency", opts->max_concurrency);
    return 0;
}
