/*  =========================================================================
    market_feed_actors - the feed's publisher and subscribers

    Both actors own a czmq socket, opened in the constructor and closed in
    the destructor; the runtime removes the reader and the timer before
    the destructor runs. Everything runs on the actor's own thread, so the
    statistics need no lock even though the reader updates them between
    the driver's calls.
    =========================================================================
*/

#include "market_feed.h"
#include <czmq.h>
#include <unistd.h>

#define SYMBOLS_MAX 16

//  --------------------------------------------------------------------------
//  FeedPublisher

typedef struct {
    zsock_t *pub;
    char endpoint [128];        //  Where subscribers connect
    char *symbols [SYMBOLS_MAX];
    double prices [SYMBOLS_MAX];
    size_t count;
    int64_t seq;
    int64_t published;
} publisher_t;

static void
s_publisher_dtor (void *state)
{
    publisher_t *self = (publisher_t *) state;
    zsock_destroy (&self->pub);
    for (size_t index = 0; index < self->count; index++)
        free (self->symbols [index]);
    free (self);
}

static void *
s_publisher_ctor (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    const char *bind = zaf_arg_string (args, 0, "tcp://127.0.0.1:*");
    int interval_ms = (int) zaf_arg_number (args, 1, 20);
    const cJSON *symbols = cJSON_GetArrayItem (args, 2);
    if (interval_ms < 1 || interval_ms > 60000) {
        zaf_error_set (err, ZAF_BAD_ARGS, "interval_ms must be 1 to 60000");
        return NULL;
    }
    publisher_t *self = (publisher_t *) calloc (1, sizeof (publisher_t));
    const cJSON *symbol;
    if (cJSON_IsArray (symbols))
        cJSON_ArrayForEach (symbol, symbols)
            if (cJSON_IsString (symbol) && self->count < SYMBOLS_MAX)
                self->symbols [self->count++] = strdup (symbol->valuestring);
    if (self->count == 0) {
        const char *defaults [] = { "ACME", "GLOBEX", "INITECH" };
        for (size_t index = 0; index < 3; index++)
            self->symbols [self->count++] = strdup (defaults [index]);
    }
    for (size_t index = 0; index < self->count; index++)
        self->prices [index] = 100.0 + 10.0 * (double) index;
    //  "auto": every interface, announced by this host's first address
    bool automatic = streq (bind, "auto");
    self->pub = zsock_new (ZMQ_PUB);
    int port = self->pub ? zsock_bind (self->pub, "%s", automatic ? "tcp://*:*" : bind) : -1;
    if (port == -1) {
        zaf_error_set (err, ZAF_BAD_ARGS, "cannot bind the feed to %s", bind);
        s_publisher_dtor (self);
        return NULL;
    }
    if (automatic) {
        ziflist_t *interfaces = ziflist_new ();
        const char *address = ziflist_first (interfaces) ? ziflist_address (interfaces)
                                                         : "127.0.0.1";
        snprintf (self->endpoint, sizeof (self->endpoint), "tcp://%s:%d", address, port);
        ziflist_destroy (&interfaces);
    }
    else
        snprintf (self->endpoint, sizeof (self->endpoint), "%s", zsock_endpoint (self->pub));
    //  Ticks come as tells of our own "tick" method, every interval_ms
    if (zaf_timer (z, interval_ms, true, "tick", NULL) <= 0) {
        zaf_error_set (err, ZAF_METHOD_FAILED, "cannot set the feed's timer");
        s_publisher_dtor (self);
        return NULL;
    }
    return self;
}

static cJSON *
s_publisher_tick (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    (void) z; (void) args; (void) err;
    publisher_t *self = (publisher_t *) state;
    self->seq++;
    for (size_t index = 0; index < self->count; index++) {
        //  A random walk of at most 1% a tick
        double step = ((double) (rand () % 2001) - 1000.0) / 100000.0;
        self->prices [index] *= 1.0 + step;
        zstr_sendf (self->pub, "%s %" PRId64 " %.4f", self->symbols [index], self->seq,
                    self->prices [index]);
    }
    self->published++;
    return NULL;
}

static cJSON *
s_publisher_endpoint (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    (void) z; (void) args; (void) err;
    return cJSON_CreateString (((publisher_t *) state)->endpoint);
}

static cJSON *
s_publisher_published (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    (void) z; (void) args; (void) err;
    return cJSON_CreateNumber ((double) ((publisher_t *) state)->published);
}

static const zaf_method_t s_publisher_methods [] = {
    { "tick", s_publisher_tick },
    { "endpoint", s_publisher_endpoint },
    { "published", s_publisher_published },
    { NULL, NULL }
};

static const zaf_class_t s_publisher_class = {
    "FeedPublisher", s_publisher_ctor, s_publisher_dtor, s_publisher_methods
};

//  --------------------------------------------------------------------------
//  FeedSubscriber

typedef struct {
    zsock_t *sub;
    char symbol [32];
    int64_t ticks;
    int64_t last_seq;
    int64_t gaps;
    double last, min, max, sum;
} subscriber_t;

static void
s_subscriber_dtor (void *state)
{
    subscriber_t *self = (subscriber_t *) state;
    zsock_destroy (&self->sub);
    free (self);
}

//  The reader: one tick, "SYMBOL seq price"
static int
s_subscriber_read (zaf_t *z, void *socket, int fd, void *arg)
{
    (void) z; (void) fd;
    subscriber_t *self = (subscriber_t *) arg;
    char *text = zstr_recv_nowait (socket);
    if (!text)
        return 0;
    char symbol [32];
    int64_t seq;
    double price;
    if (sscanf (text, "%31s %" SCNd64 " %lf", symbol, &seq, &price) == 3
    &&  streq (symbol, self->symbol)) {
        if (self->ticks && seq > self->last_seq + 1)
            self->gaps += seq - self->last_seq - 1;
        self->last_seq = seq;
        if (!self->ticks || price < self->min)
            self->min = price;
        if (!self->ticks || price > self->max)
            self->max = price;
        self->last = price;
        self->sum += price;
        self->ticks++;
    }
    zstr_free (&text);
    return 0;
}

static void *
s_subscriber_ctor (zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    const char *endpoint = zaf_arg_string (args, 0, NULL);
    const char *symbol = zaf_arg_string (args, 1, NULL);
    if (!endpoint || !symbol || strlen (symbol) >= 31) {
        zaf_error_set (err, ZAF_BAD_ARGS, "FeedSubscriber needs [endpoint, symbol]");
        return NULL;
    }
    subscriber_t *self = (subscriber_t *) calloc (1, sizeof (subscriber_t));
    snprintf (self->symbol, sizeof (self->symbol), "%s", symbol);
    self->sub = zsock_new (ZMQ_SUB);
    char topic [40];
    snprintf (topic, sizeof (topic), "%s ", symbol);
    zsock_set_subscribe (self->sub, topic);
    if (zsock_connect (self->sub, "%s", endpoint) == -1
    ||  zaf_reader (z, self->sub, s_subscriber_read, self) == -1) {
        zaf_error_set (err, ZAF_BAD_ARGS, "cannot subscribe to %s", endpoint);
        s_subscriber_dtor (self);
        return NULL;
    }
    return self;
}

static cJSON *
s_subscriber_stats (void *state, zaf_t *z, const cJSON *args, zaf_error_t *err)
{
    (void) z; (void) args; (void) err;
    subscriber_t *self = (subscriber_t *) state;
    cJSON *stats = cJSON_CreateObject ();
    cJSON_AddStringToObject (stats, "symbol", self->symbol);
    cJSON_AddNumberToObject (stats, "ticks", (double) self->ticks);
    cJSON_AddNumberToObject (stats, "last", self->last);
    cJSON_AddNumberToObject (stats, "min", self->min);
    cJSON_AddNumberToObject (stats, "max", self->max);
    cJSON_AddNumberToObject (stats, "mean", self->ticks ? self->sum / (double) self->ticks : 0);
    cJSON_AddNumberToObject (stats, "gaps", (double) self->gaps);
    cJSON_AddNumberToObject (stats, "pid", getpid ());
    return stats;
}

static const zaf_method_t s_subscriber_methods [] = {
    { "stats", s_subscriber_stats },
    { NULL, NULL }
};

static const zaf_class_t s_subscriber_class = {
    "FeedSubscriber", s_subscriber_ctor, s_subscriber_dtor, s_subscriber_methods
};

int
market_feed_register (void)
{
    if (zaf_register_class (&s_publisher_class) || zaf_register_class (&s_subscriber_class))
        return -1;
    return 0;
}
