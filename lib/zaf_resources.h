/*  =========================================================================
    zaf_resources - what a node has and what an actor asks for

    A node announces resources (named amounts: cpu=8,gpu=1,mem_mb=65536,
    license=2) and labels (named strings: zone=a,rack=3) in its HELLO. A
    spawn, or a task's envelope options, may ask for resources (reserved
    on the node while the actor lives or the task runs, released when it
    ends or moves), labels (a hard match), an
    affinity to a node by name (hard, or soft: preferred if it fits) and a
    strategy: "spread" (the fitting node with the fewest actors, the
    default) or "pack" (the fitting node with the most actors, so that
    nodes fill one after the other). zaf_capacity_t is a node's side (the
    broker keeps one per node), zaf_demand_t an actor's side (kept with its
    record for restarts). Pure data and arithmetic: no sockets, no threads.
    =========================================================================
*/

#ifndef ZAF_RESOURCES_H_INCLUDED
#define ZAF_RESOURCES_H_INCLUDED

//  Named amounts or labels a node or a spawn may list
#define ZAF_RESOURCES_MAX       32
#define ZAF_RESOURCES_NAME_MAX  32
#define ZAF_LABEL_VALUE_MAX     64

typedef struct _zaf_capacity_t zaf_capacity_t;
typedef struct _zaf_demand_t zaf_demand_t;

//  Parse "name=value,name=value" into a JSON object: values are numbers
//  >= 0 if numbers, else strings. Names are 1-32 of [a-z0-9_.-]. Returns
//  the object (caller owns it; NULL or "" gives an empty one), or NULL and
//  a message in error.
cJSON *
    zaf_resources_parse (const char *text, bool numbers, char *error, size_t error_size);

//  Check a resources (numbers) or labels (strings) object from the wire.
//  Returns NULL if it is acceptable (NULL is: none), else why not.
const char *
    zaf_resources_check (const cJSON *json, bool numbers);

//  A node's capacity from its HELLO's "resources" and "labels" (either may
//  be NULL or malformed: then it is empty). Never NULL.
zaf_capacity_t *
    zaf_capacity_new (const cJSON *resources, const cJSON *labels);

void
    zaf_capacity_destroy (zaf_capacity_t **self_p);

//  Reserve or release what a demand asks for (demand may be NULL).
void
    zaf_capacity_reserve (zaf_capacity_t *self, const zaf_demand_t *demand);
void
    zaf_capacity_release (zaf_capacity_t *self, const zaf_demand_t *demand);

//  True if the node's labels match every label the demand asks for.
bool
    zaf_capacity_labels_match (zaf_capacity_t *self, const zaf_demand_t *demand);

//  How far the node is from fitting the demand's resources: 0 if it fits,
//  else the sum of what is missing relative to what is asked (for the
//  nearest shortfall). If it does not fit, describe the first missing
//  resource in `what` ("gpu: 1 asked, 0 free of 1").
double
    zaf_capacity_shortfall (zaf_capacity_t *self, const zaf_demand_t *demand,
                            char *what, size_t what_size);

//  {"total": {...}, "free": {...}, "labels": {...}} (caller owns it).
cJSON *
    zaf_capacity_json (zaf_capacity_t *self);

//  The demand of a spawn's options ("resources", "labels", "affinity":
//  {"node", "soft"}, "strategy"). Returns NULL if the options ask for
//  nothing of the kind (*error stays ""), or NULL with a message in error
//  if they are malformed, else the demand (caller destroys it).
zaf_demand_t *
    zaf_demand_new (const cJSON *options, char *error, size_t error_size);

void
    zaf_demand_destroy (zaf_demand_t **self_p);

//  The node the demand names (affinity), or NULL; whether that is soft.
const char *
    zaf_demand_node (const zaf_demand_t *self);
bool
    zaf_demand_soft (const zaf_demand_t *self);

//  True for strategy "pack".
bool
    zaf_demand_pack (const zaf_demand_t *self);

//  "cpu=1,gpu=1 zone=a" for messages (valid while self lives).
const char *
    zaf_demand_text (const zaf_demand_t *self);

//  For zaf_spawn: turn the options' strings (resources "cpu=1,gpu=1",
//  labels "zone=a", affinity "node=NAME" or "node=NAME,soft", strategy)
//  into spawn options JSON in `options`. Returns 0, or -1 and fills err
//  with BAD_ARGS.
int
    zaf_demand_options (const zaf_spawn_opts_t *opts, cJSON *options, zaf_error_t *err);

//  Same for the placement strings alone (zaf_submit_opts: each may be
//  NULL).
int
    zaf_demand_strings (const char *resources, const char *labels, const char *affinity,
                        const char *strategy, cJSON *options, zaf_error_t *err);

#endif
