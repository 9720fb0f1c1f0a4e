/*  =========================================================================
    bench_floor - the raw libzmq floor: a relay, a server and a client

    Raw libzmq (zmq_msg_t, zmq_poll) on the message path, so that the floor
    is what a careful hand-written program would cost; czmq is used only
    for its hash table (the relay's actor -> server map, as zaf's broker
    keeps one) and the zsys_interrupted flag. See bench_floor.h for the
    roles. Frames are moved, never copied, except the routing ids the relay
    writes into the caller and address frames.
    =========================================================================
*/

#include "bench_classes.h"
#include <pthread.h>

#define MAX_PARTS       10          //  More frames than any command carries
#define POLL_MS         200         //  How often idle loops look at zsys_interrupted
#define MAX_SERVERS     16
#define ROUTING_ID_MAX  255
#define THREAD_STACK    (256 * 1024)

//  --------------------------------------------------------------------------
//  Frames

//  Receive one multipart message into parts. Returns how many parts it
//  had (> 0), 0 if nothing was waiting (EAGAIN, EINTR) or the message had
//  too many parts (dropped), -1 if the context is terminated.
static int
s_recv_parts (void *socket, zmq_msg_t *parts, int flags)
{
    int count = 0;
    bool overflow = false;
    while (true) {
        zmq_msg_t scratch;
        zmq_msg_t *part = count < MAX_PARTS ? &parts [count] : &scratch;
        zmq_msg_init (part);
        if (zmq_msg_recv (part, socket, count == 0 ? flags : 0) == -1) {
            int error = errno;
            zmq_msg_close (part);
            for (int index = 0; index < count && index < MAX_PARTS; index++)
                zmq_msg_close (&parts [index]);
            return error == ETERM ? -1 : 0;
        }
        bool more = zmq_msg_more (part) != 0;
        if (part == &scratch) {
            zmq_msg_close (part);
            overflow = true;
        }
        else
            count++;
        if (!more)
            break;
    }
    if (overflow) {
        for (int index = 0; index < count; index++)
            zmq_msg_close (&parts [index]);
        return 0;
    }
    return count;
}

static void
s_close_parts (zmq_msg_t *parts, int count)
{
    for (int index = 0; index < count; index++)
        zmq_msg_close (&parts [index]);
}

//  Send parts [0..count) as one message, blocking; closes them all.
//  Returns 0 or -1.
static int
s_send_parts (void *socket, zmq_msg_t *parts, int count)
{
    int rc = 0;
    for (int index = 0; index < count && rc == 0; index++)
        if (zmq_msg_send (&parts [index], socket, index < count - 1 ? ZMQ_SNDMORE : 0) == -1)
            rc = -1;
    s_close_parts (parts, count);
    return rc;
}

static void
s_set (zmq_msg_t *part, const void *data, size_t size)
{
    zmq_msg_init_size (part, size);
    if (size)
        memcpy (zmq_msg_data (part), data, size);
}

static void
s_set_str (zmq_msg_t *part, const char *text)
{
    s_set (part, text, strlen (text));
}

static bool
s_is (zmq_msg_t *part, const char *text)
{
    size_t size = strlen (text);
    return zmq_msg_size (part) == size && memcmp (zmq_msg_data (part), text, size) == 0;
}

//  Copy a frame into a C string (truncated to max - 1)
static void
s_text (zmq_msg_t *part, char *text, size_t max)
{
    size_t size = zmq_msg_size (part);
    if (size > max - 1)
        size = max - 1;
    memcpy (text, zmq_msg_data (part), size);
    text [size] = 0;
}

static void
s_socket_defaults (void *socket)
{
    int value = BENCH_FLOOR_HWM;
    zmq_setsockopt (socket, ZMQ_SNDHWM, &value, sizeof (value));
    zmq_setsockopt (socket, ZMQ_RCVHWM, &value, sizeof (value));
    value = 0;
    zmq_setsockopt (socket, ZMQ_LINGER, &value, sizeof (value));
}

//  Wait for input on up to two sockets. Returns -1 if the context is
//  terminated or we were interrupted, else 0.
static int
s_poll (void *one, void *two)
{
    zmq_pollitem_t items [2] = {
        { one, 0, ZMQ_POLLIN, 0 },
        { two, 0, ZMQ_POLLIN, 0 }
    };
    if (zmq_poll (items, two ? 2 : 1, POLL_MS) == -1 && errno == ETERM)
        return -1;
    return zsys_interrupted ? -1 : 0;
}

//  ==========================================================================
//  Broker: a relay that routes on the actor and caller frames

typedef struct {
    byte id [ROUTING_ID_MAX];
    size_t size;
} peer_id_t;

struct _bench_floor_broker_t {
    void *router;                       //  The one socket
    char endpoint [256];                //  Where it is bound
    peer_id_t servers [MAX_SERVERS];    //  Servers that said HELLO
    int nbr_servers;
    int next_server;                    //  Round robin for SUBMIT, SPAWN
    zhashx_t *actors;                   //  actor id -> server index + 1
    uint64_t next_actor;                //  For actor ids we assign
};

bench_floor_broker_t *
bench_floor_broker_new (void *ctx, const char *endpoint)
{
    assert (ctx);
    assert (endpoint);
    bench_floor_broker_t *self = (bench_floor_broker_t *) zmalloc (sizeof (bench_floor_broker_t));
    assert (self);
    self->router = zmq_socket (ctx, ZMQ_ROUTER);
    if (!self->router) {
        zsys_error ("bench_floor: cannot create a ROUTER: %s", zmq_strerror (errno));
        free (self);
        return NULL;
    }
    s_socket_defaults (self->router);
    int mandatory = 1;
    zmq_setsockopt (self->router, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof (mandatory));
    if (zmq_bind (self->router, endpoint)) {
        zsys_error ("bench_floor: cannot bind %s: %s", endpoint, zmq_strerror (errno));
        zmq_close (self->router);
        free (self);
        return NULL;
    }
    size_t size = sizeof (self->endpoint);
    zmq_getsockopt (self->router, ZMQ_LAST_ENDPOINT, self->endpoint, &size);
    self->actors = zhashx_new ();
    self->next_actor = 1;
    return self;
}

void
bench_floor_broker_destroy (bench_floor_broker_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        bench_floor_broker_t *self = *self_p;
        zmq_close (self->router);
        zhashx_destroy (&self->actors);
        free (self);
        *self_p = NULL;
    }
}

const char *
bench_floor_broker_endpoint (bench_floor_broker_t *self)
{
    assert (self);
    return self->endpoint;
}

//  HELLO from a server: [rid, ZAF1, HELLO, role, {"actors": [...]}]
static void
s_broker_hello (bench_floor_broker_t *self, zmq_msg_t *parts, int count)
{
    if (count != 5 || self->nbr_servers >= MAX_SERVERS || zmq_msg_size (&parts [0]) > ROUTING_ID_MAX)
        return;
    peer_id_t *server = &self->servers [self->nbr_servers++];
    server->size = zmq_msg_size (&parts [0]);
    memcpy (server->id, zmq_msg_data (&parts [0]), server->size);
    cJSON *body = cJSON_ParseWithLength ((const char *) zmq_msg_data (&parts [4]),
                                         zmq_msg_size (&parts [4]));
    const cJSON *actor;
    cJSON_ArrayForEach (actor, cJSON_GetObjectItem (body, "actors"))
        if (cJSON_IsString (actor))
            zhashx_update (self->actors, actor->valuestring,
                           (void *) (uintptr_t) self->nbr_servers);
    cJSON_Delete (body);
}

//  Answer a request the relay cannot route: REPLY error NO_SUCH_ACTOR
static void
s_broker_refuse (bench_floor_broker_t *self, zmq_msg_t *parts)
{
    static const char body [] = "{\"code\":\"NO_SUCH_ACTOR\",\"message\":\"no such actor\"}";
    zmq_msg_t reply [6];
    zmq_msg_init (&reply [0]);
    zmq_msg_copy (&reply [0], &parts [0]);
    s_set_str (&reply [1], BENCH_SIGNATURE);
    s_set_str (&reply [2], "REPLY");
    zmq_msg_init (&reply [3]);
    zmq_msg_copy (&reply [3], &parts [0]);
    zmq_msg_init (&reply [4]);
    zmq_msg_copy (&reply [4], &parts [4]);
    s_set (&reply [5], body, sizeof (body) - 1);
    s_send_parts (self->router, reply, 6);
}

//  A request from a client: [rid, ZAF1, CMD, caller, corr, ...]. Sets the
//  caller frame to the client's routing id and the address frame to the
//  server's, then forwards it.
static void
s_broker_request (bench_floor_broker_t *self, zmq_msg_t *parts, int count)
{
    int server = 0;         //  Index + 1
    bool by_actor = s_is (&parts [2], "CALL") || s_is (&parts [2], "TELL")
                 || s_is (&parts [2], "KILL");
    if (by_actor) {
        char actor [BENCH_ACTOR_ID_MAX + 1];
        s_text (&parts [5], actor, sizeof (actor));
        server = (int) (uintptr_t) zhashx_lookup (self->actors, actor);
        if (s_is (&parts [2], "KILL"))
            zhashx_delete (self->actors, actor);
    }
    else
    if (self->nbr_servers > 0) {
        server = self->next_server + 1;
        self->next_server = (self->next_server + 1) % self->nbr_servers;
        if (s_is (&parts [2], "SPAWN")) {
            //  Assign the actor id, as zaf's broker does, and remember it
            char actor [32];
            snprintf (actor, sizeof (actor), "f1%014" PRIx64, self->next_actor++);
            zmq_msg_close (&parts [5]);
            s_set_str (&parts [5], actor);
            zhashx_update (self->actors, actor, (void *) (uintptr_t) server);
        }
    }
    if (server == 0) {
        if (s_is (&parts [2], "CALL"))
            s_broker_refuse (self, parts);
        s_close_parts (parts, count);
        return;
    }
    zmq_msg_close (&parts [3]);
    zmq_msg_init (&parts [3]);
    zmq_msg_copy (&parts [3], &parts [0]);
    zmq_msg_close (&parts [0]);
    s_set (&parts [0], self->servers [server - 1].id, self->servers [server - 1].size);
    s_send_parts (self->router, parts, count);
}

//  An answer from a server: [rid, ZAF1, REPLY|SPAWNED, caller, ...] goes
//  to the caller
static void
s_broker_answer (bench_floor_broker_t *self, zmq_msg_t *parts, int count)
{
    zmq_msg_close (&parts [0]);
    zmq_msg_init (&parts [0]);
    zmq_msg_copy (&parts [0], &parts [3]);
    s_send_parts (self->router, parts, count);
}

void
bench_floor_broker_run (bench_floor_broker_t *self)
{
    assert (self);
    zmq_msg_t parts [MAX_PARTS];
    while (!zsys_interrupted) {
        int count = s_recv_parts (self->router, parts, ZMQ_DONTWAIT);
        if (count == -1)
            break;
        if (count == 0) {
            //  Empty: only now wait
            if (s_poll (self->router, NULL))
                break;
            continue;
        }
        if (count < 4 || !s_is (&parts [1], BENCH_SIGNATURE)) {
            s_close_parts (parts, count);
            continue;
        }
        zmq_msg_t *command = &parts [2];
        if ((s_is (command, "REPLY") || s_is (command, "SPAWNED")) && count >= 5)
            s_broker_answer (self, parts, count);
        else
        if ((s_is (command, "CALL") || s_is (command, "TELL")) && count == 8)
            s_broker_request (self, parts, count);
        else
        if (s_is (command, "SUBMIT") && count == 7)
            s_broker_request (self, parts, count);
        else
        if (s_is (command, "SPAWN") && count == 9)
            s_broker_request (self, parts, count);
        else
        if (s_is (command, "KILL") && count == 7)
            s_broker_request (self, parts, count);
        else {
            if (s_is (command, "HELLO"))
                s_broker_hello (self, parts, count);
            s_close_parts (parts, count);
        }
    }
}

//  ==========================================================================
//  Server

#define FLOOR_DIM 10

typedef struct {
    char id [BENCH_ACTOR_ID_MAX + 1];
    double params [FLOOR_DIM];
    double blob_sum;                //  Sum of the last blob
} floor_actor_t;

//  A thread started by SPAWN
typedef struct {
    void *ctx;
    char endpoint [64];             //  The server's inner ROUTER
    byte routing_id [4];
    char actor [BENCH_ACTOR_ID_MAX + 1];
    pthread_t thread;
    bool started;                   //  The thread exists (join it)
    bool ready;                     //  It said READY
    bool dying;                     //  Told to end; EXIT will come
    zmq_msg_t caller;               //  The SPAWN to answer once it is ready
    zmq_msg_t corr;
} floor_party_t;

struct _bench_floor_server_t {
    void *ctx;
    void *dealer;                   //  To the broker
    void *inner;                    //  ROUTER for spawned threads
    char inner_endpoint [64];
    floor_actor_t *actors;
    int nbr_actors;
    char *hello;                    //  HELLO body
    floor_party_t **parties;        //  Spawned threads
    size_t nbr_parties;
    size_t max_parties;
    uint32_t next_party;
};

//  A spawned thread: one DEALER, READY as a message, then wait to be told
//  to end (any message) or for the context to end
static void *
s_party_thread (void *args)
{
    floor_party_t *party = (floor_party_t *) args;
    void *dealer = zmq_socket (party->ctx, ZMQ_DEALER);
    if (!dealer)
        return NULL;
    //  Long enough for EXIT to reach the server after we close
    int linger = 100;
    zmq_setsockopt (dealer, ZMQ_LINGER, &linger, sizeof (linger));
    zmq_setsockopt (dealer, ZMQ_ROUTING_ID, party->routing_id, sizeof (party->routing_id));
    if (zmq_connect (dealer, party->endpoint) == 0
    &&  zmq_send (dealer, "READY", 5, 0) == 5) {
        char buffer [16];
        int rc;
        while ((rc = zmq_recv (dealer, buffer, sizeof (buffer), 0)) == -1 && errno == EINTR)
            ;
        //  Told to end (not ETERM): say so, so that the server joins us
        if (rc != -1)
            zmq_send (dealer, "EXIT", 4, ZMQ_DONTWAIT);
    }
    zmq_close (dealer);
    return NULL;
}

bench_floor_server_t *
bench_floor_server_new (void *ctx, const char *broker, const char *actors)
{
    assert (ctx);
    assert (broker);
    bench_floor_server_t *self = (bench_floor_server_t *) zmalloc (sizeof (bench_floor_server_t));
    assert (self);
    self->ctx = ctx;
    //  Actors: a comma-separated list of ids
    cJSON *hello = cJSON_CreateObject ();
    cJSON *list = cJSON_AddArrayToObject (hello, "actors");
    char *copy = strdup (actors ? actors : "");
    int max = 1;
    for (const char *c = copy; *c; c++)
        max += *c == ',';
    self->actors = (floor_actor_t *) calloc ((size_t) max, sizeof (floor_actor_t));
    assert (self->actors);
    char *saved = NULL;
    for (char *id = strtok_r (copy, ",", &saved); id; id = strtok_r (NULL, ",", &saved)) {
        snprintf (self->actors [self->nbr_actors++].id, BENCH_ACTOR_ID_MAX + 1, "%s", id);
        cJSON_AddItemToArray (list, cJSON_CreateString (id));
    }
    free (copy);
    self->hello = cJSON_PrintUnformatted (hello);
    cJSON_Delete (hello);

    self->dealer = zmq_socket (ctx, ZMQ_DEALER);
    self->inner = zmq_socket (ctx, ZMQ_ROUTER);
    if (!self->dealer || !self->inner) {
        zsys_error ("bench_floor: cannot create sockets: %s", zmq_strerror (errno));
        bench_floor_server_destroy (&self);
        return NULL;
    }
    s_socket_defaults (self->dealer);
    s_socket_defaults (self->inner);
    static _Atomic unsigned int server_seq = 0;
    snprintf (self->inner_endpoint, sizeof (self->inner_endpoint),
              "inproc://bench-floor-inner-%d-%u", (int) getpid (), ++server_seq);
    if (zmq_bind (self->inner, self->inner_endpoint)
    ||  zmq_connect (self->dealer, broker)) {
        zsys_error ("bench_floor: cannot reach %s: %s", broker, zmq_strerror (errno));
        bench_floor_server_destroy (&self);
        return NULL;
    }
    return self;
}

//  Tell a spawned thread to end (any message does); it answers EXIT
static void
s_party_stop (bench_floor_server_t *self, floor_party_t *party)
{
    if (party->started && !party->dying) {
        zmq_send (self->inner, party->routing_id, sizeof (party->routing_id),
                  ZMQ_SNDMORE | ZMQ_DONTWAIT);
        zmq_send (self->inner, "$TERM", 5, ZMQ_DONTWAIT);
        party->dying = true;
    }
}

//  Join a spawned thread and free it. A thread that has not said READY
//  may not be routable yet: the server's destroy then relies on the
//  context having been shut down first, which ends every thread (ETERM).
static void
s_party_destroy (bench_floor_server_t *self, floor_party_t **party_p)
{
    floor_party_t *party = *party_p;
    s_party_stop (self, party);
    if (party->started)
        pthread_join (party->thread, NULL);
    zmq_msg_close (&party->caller);
    zmq_msg_close (&party->corr);
    free (party);
    *party_p = NULL;
}

void
bench_floor_server_destroy (bench_floor_server_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        bench_floor_server_t *self = *self_p;
        for (size_t index = 0; index < self->nbr_parties; index++)
            s_party_destroy (self, &self->parties [index]);
        free (self->parties);
        if (self->dealer)
            zmq_close (self->dealer);
        if (self->inner)
            zmq_close (self->inner);
        free (self->actors);
        cJSON_free (self->hello);
        free (self);
        *self_p = NULL;
    }
}

static floor_actor_t *
s_find_actor (bench_floor_server_t *self, zmq_msg_t *id)
{
    for (int index = 0; index < self->nbr_actors; index++)
        if (s_is (id, self->actors [index].id))
            return &self->actors [index];
    return NULL;
}

//  Send [ZAF1, REPLY, caller, corr, status, body], taking caller and corr
static void
s_server_reply (bench_floor_server_t *self, zmq_msg_t *caller, zmq_msg_t *corr,
                bool ok, const char *body)
{
    zmq_msg_t reply [6];
    s_set_str (&reply [0], BENCH_SIGNATURE);
    s_set_str (&reply [1], "REPLY");
    zmq_msg_init (&reply [2]);
    zmq_msg_move (&reply [2], caller);
    zmq_msg_init (&reply [3]);
    zmq_msg_move (&reply [3], corr);
    s_set_str (&reply [4], ok ? "ok" : "error");
    s_set_str (&reply [5], body);
    s_send_parts (self->dealer, reply, 6);
}

//  The work of update_params or bench_task: parse, check, apply, with
//  zaf's JSON codec, as a zaf node does. Returns the printed result
//  (caller frees with free) or NULL on bad args.
static char *
s_apply (floor_actor_t *actor, zmq_msg_t *body)
{
    cJSON *args = zaf_json_parse ((const char *) zmq_msg_data (body), zmq_msg_size (body));
    const cJSON *numbers = cJSON_GetArrayItem (args, 0);
    bool valid = cJSON_IsArray (numbers);
    int count = 0;
    const cJSON *item;
    cJSON_ArrayForEach (item, numbers) {
        valid = valid && cJSON_IsNumber (item);
        count++;
    }
    if (actor && count != FLOOR_DIM)
        valid = false;
    if (valid) {
        int index = 0;
        double sum = 0;
        cJSON_ArrayForEach (item, numbers) {
            if (actor)
                actor->params [index++] -= item->valuedouble;
            else
                sum += item->valuedouble;
        }
        (void) sum;
    }
    cJSON_Delete (args);
    if (!valid)
        return NULL;
    cJSON *result = cJSON_CreateNull ();
    char *text = zaf_json_print (result, NULL);
    cJSON_Delete (result);
    return text;
}

//  blob: the body is raw doubles; sum them, answer how many there were
static char *
s_blob (floor_actor_t *actor, zmq_msg_t *body)
{
    size_t count = zmq_msg_size (body) / sizeof (double);
    const byte *data = (const byte *) zmq_msg_data (body);
    double sum = 0;
    for (size_t index = 0; index < count; index++) {
        double value;
        memcpy (&value, data + index * sizeof (double), sizeof (double));
        sum += value;
    }
    actor->blob_sum = sum;
    cJSON *result = cJSON_CreateNumber ((double) count);
    char *text = zaf_json_print (result, NULL);
    cJSON_Delete (result);
    return text;
}

static void
s_server_spawn (bench_floor_server_t *self, zmq_msg_t *parts)
{
    floor_party_t *party = (floor_party_t *) zmalloc (sizeof (floor_party_t));
    assert (party);
    party->ctx = self->ctx;
    snprintf (party->endpoint, sizeof (party->endpoint), "%s", self->inner_endpoint);
    uint32_t id = 0x80000000u | ++self->next_party;
    party->routing_id [0] = (byte) (id >> 24);
    party->routing_id [1] = (byte) (id >> 16);
    party->routing_id [2] = (byte) (id >> 8);
    party->routing_id [3] = (byte) id;
    s_text (&parts [4], party->actor, sizeof (party->actor));
    zmq_msg_init (&party->caller);
    zmq_msg_move (&party->caller, &parts [2]);
    zmq_msg_init (&party->corr);
    zmq_msg_move (&party->corr, &parts [3]);
    if (self->nbr_parties == self->max_parties) {
        self->max_parties = self->max_parties ? self->max_parties * 2 : 256;
        self->parties = (floor_party_t **) realloc (self->parties,
                                                    self->max_parties * sizeof (floor_party_t *));
        assert (self->parties);
    }
    self->parties [self->nbr_parties++] = party;
    pthread_attr_t attr;
    pthread_attr_init (&attr);
    pthread_attr_setstacksize (&attr, THREAD_STACK);
    party->started = pthread_create (&party->thread, &attr, s_party_thread, party) == 0;
    pthread_attr_destroy (&attr);
    if (!party->started)
        s_server_reply (self, &party->caller, &party->corr, false,
                        "{\"code\":\"OVERLOADED\",\"message\":\"cannot start a thread\"}");
}

static void
s_server_kill (bench_floor_server_t *self, zmq_msg_t *parts)
{
    //  Tell it to end; its EXIT has it joined (s_server_inner)
    for (size_t index = 0; index < self->nbr_parties; index++) {
        floor_party_t *party = self->parties [index];
        if (party->ready && !party->dying && s_is (&parts [4], party->actor)) {
            s_party_stop (self, party);
            break;
        }
    }
    if (zmq_msg_size (&parts [3]))
        s_server_reply (self, &parts [2], &parts [3], true, "null");
}

//  A message from the broker: [ZAF1, CMD, caller, corr, ...]
static void
s_server_request (bench_floor_server_t *self, zmq_msg_t *parts, int count)
{
    zmq_msg_t *command = &parts [1];
    if ((s_is (command, "CALL") || s_is (command, "TELL")) && count == 7) {
        floor_actor_t *actor = s_find_actor (self, &parts [4]);
        char *result = NULL;
        if (actor && s_is (&parts [5], "blob"))
            result = s_blob (actor, &parts [6]);
        else
        if (actor && s_is (&parts [5], "update_params"))
            result = s_apply (actor, &parts [6]);
        if (s_is (command, "CALL"))
            s_server_reply (self, &parts [2], &parts [3], result != NULL,
                            result ? result : "{\"code\":\"BAD_ARGS\",\"message\":\"bad call\"}");
        free (result);
    }
    else
    if (s_is (command, "SUBMIT") && count == 6) {
        char *result = s_apply (NULL, &parts [5]);
        s_server_reply (self, &parts [2], &parts [3], result != NULL,
                        result ? result : "{\"code\":\"BAD_ARGS\",\"message\":\"bad task\"}");
        free (result);
    }
    else
    if (s_is (command, "SPAWN") && count == 8)
        s_server_spawn (self, parts);
    else
    if (s_is (command, "KILL") && count == 6)
        s_server_kill (self, parts);
    s_close_parts (parts, count);
}

//  From a spawned thread: [routing id, READY] -> SPAWNED; [routing id,
//  EXIT] -> join it
static void
s_server_inner (bench_floor_server_t *self, zmq_msg_t *parts, int count)
{
    for (size_t index = 0; count == 2 && index < self->nbr_parties; index++) {
        floor_party_t *party = self->parties [index];
        if (zmq_msg_size (&parts [0]) != sizeof (party->routing_id)
        ||  memcmp (zmq_msg_data (&parts [0]), party->routing_id, sizeof (party->routing_id)))
            continue;
        if (s_is (&parts [1], "EXIT")) {
            s_party_destroy (self, &self->parties [index]);
            self->parties [index] = self->parties [--self->nbr_parties];
        }
        else
        if (!party->ready && s_is (&parts [1], "READY")) {
            party->ready = true;
            zmq_msg_t answer [7];
            s_set_str (&answer [0], BENCH_SIGNATURE);
            s_set_str (&answer [1], "SPAWNED");
            zmq_msg_init (&answer [2]);
            zmq_msg_move (&answer [2], &party->caller);
            zmq_msg_init (&answer [3]);
            zmq_msg_move (&answer [3], &party->corr);
            s_set_str (&answer [4], party->actor);
            s_set_str (&answer [5], "ok");
            s_set_str (&answer [6], "{}");
            s_send_parts (self->dealer, answer, 7);
        }
        break;
    }
    s_close_parts (parts, count);
}

void
bench_floor_server_run (bench_floor_server_t *self)
{
    assert (self);
    zmq_msg_t hello [4];
    s_set_str (&hello [0], BENCH_SIGNATURE);
    s_set_str (&hello [1], "HELLO");
    s_set_str (&hello [2], "node");
    s_set_str (&hello [3], self->hello);
    if (s_send_parts (self->dealer, hello, 4))
        return;
    zmq_msg_t parts [MAX_PARTS];
    while (!zsys_interrupted) {
        int count = s_recv_parts (self->dealer, parts, ZMQ_DONTWAIT);
        if (count == -1)
            break;
        if (count > 0) {
            if (count >= 2 && s_is (&parts [0], BENCH_SIGNATURE))
                s_server_request (self, parts, count);
            else
                s_close_parts (parts, count);
            continue;
        }
        //  The broker's socket is empty: now the spawned threads'
        bool busy = false;
        while ((count = s_recv_parts (self->inner, parts, ZMQ_DONTWAIT)) > 0) {
            s_server_inner (self, parts, count);
            busy = true;
        }
        if (count == -1)
            break;
        if (!busy && s_poll (self->dealer, self->inner))
            break;
    }
}

//  ==========================================================================
//  Client

struct _bench_floor_client_t {
    void *dealer;
};

bench_floor_client_t *
bench_floor_client_new (void *ctx, const char *broker)
{
    assert (ctx);
    assert (broker);
    bench_floor_client_t *self = (bench_floor_client_t *) zmalloc (sizeof (bench_floor_client_t));
    assert (self);
    self->dealer = zmq_socket (ctx, ZMQ_DEALER);
    if (self->dealer)
        s_socket_defaults (self->dealer);
    if (!self->dealer || zmq_connect (self->dealer, broker)) {
        zsys_error ("bench_floor: cannot connect to %s: %s", broker, zmq_strerror (errno));
        bench_floor_client_destroy (&self);
        return NULL;
    }
    return self;
}

void
bench_floor_client_destroy (bench_floor_client_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        bench_floor_client_t *self = *self_p;
        if (self->dealer)
            zmq_close (self->dealer);
        free (self);
        *self_p = NULL;
    }
}

int
bench_floor_client_send (bench_floor_client_t *self, const char *command, uint64_t corr,
                         const char *actor, const char *name, const void *body, size_t size)
{
    assert (self);
    assert (command);
    bool no_corr = corr == 0;
    byte corr_bytes [8];
    for (int index = 7; index >= 0; index--) {
        corr_bytes [index] = (byte) (corr & 0xff);
        corr >>= 8;
    }
    //  Frames in the canonical order: caller, corr, actor, name, options, body
    zmq_msg_t parts [MAX_PARTS];
    int count = 0;
    s_set_str (&parts [count++], BENCH_SIGNATURE);
    s_set_str (&parts [count++], command);
    s_set (&parts [count++], "", 0);                                //  caller
    s_set (&parts [count++], corr_bytes, no_corr ? 0 : sizeof (corr_bytes));
    if (!streq (command, "SUBMIT"))
        s_set_str (&parts [count++], actor ? actor : "");           //  actor
    if (!streq (command, "KILL"))
        s_set_str (&parts [count++], name ? name : "");             //  name
    if (streq (command, "SPAWN"))
        s_set_str (&parts [count++], "{}");                         //  options
    s_set (&parts [count++], body, size);                           //  body
    return s_send_parts (self->dealer, parts, count);
}

int
bench_floor_client_recv (bench_floor_client_t *self, int timeout_ms, bench_floor_answer_t *answer)
{
    assert (self);
    assert (answer);
    zmq_msg_t parts [MAX_PARTS];
    int64_t deadline = zclock_mono () + timeout_ms;
    while (!zsys_interrupted) {
        int count = s_recv_parts (self->dealer, parts, ZMQ_DONTWAIT);
        if (count == -1)
            return -1;
        if (count == 0) {
            int64_t remaining = deadline - zclock_mono ();
            if (remaining <= 0)
                return -1;
            zmq_pollitem_t item = { self->dealer, 0, ZMQ_POLLIN, 0 };
            if (zmq_poll (&item, 1, remaining < POLL_MS ? remaining : POLL_MS) == -1
            &&  errno == ETERM)
                return -1;
            continue;
        }
        //  [ZAF1, REPLY, caller, corr, status, body] or
        //  [ZAF1, SPAWNED, caller, corr, actor, status, body]
        bool reply = count == 6 && s_is (&parts [1], "REPLY");
        bool spawned = count == 7 && s_is (&parts [1], "SPAWNED");
        if (!s_is (&parts [0], BENCH_SIGNATURE) || !(reply || spawned)
        ||  zmq_msg_size (&parts [3]) != 8) {
            s_close_parts (parts, count);
            continue;
        }
        const byte *corr = (const byte *) zmq_msg_data (&parts [3]);
        answer->corr = 0;
        for (int index = 0; index < 8; index++)
            answer->corr = (answer->corr << 8) | corr [index];
        answer->spawned = spawned;
        answer->ok = s_is (&parts [spawned ? 5 : 4], "ok");
        answer->actor [0] = 0;
        if (spawned)
            s_text (&parts [4], answer->actor, sizeof (answer->actor));
        //  A future holds its result as JSON: parse it, as zaf's client does
        zmq_msg_t *body = &parts [count - 1];
        cJSON *result = zaf_json_parse ((const char *) zmq_msg_data (body),
                                        zmq_msg_size (body));
        cJSON_Delete (result);
        s_close_parts (parts, count);
        return 0;
    }
    return -1;
}
