/*  =========================================================================
    zaf_cancel - cancelled calls, as a process sees them

    The table of marks is one per process, behind a mutex; a counter read
    without the lock keeps the common case (nothing cancelled) to one
    atomic load per call served. Keys are the request's caller and corr,
    written as hex.
    =========================================================================
*/

#include "zaf_classes.h"
#include <stdatomic.h>

typedef struct {
    int64_t when;               //  Marked at (zclock_mono)
    bool recursive;
} mark_t;

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static zhashx_t *s_marks;       //  hex key -> mark_t (owned)
static atomic_size_t s_count;   //  Marks held
static int64_t s_purged;        //  Last sweep of old marks

#define KEY_MAX (2 * (2 + 2 * ZAF_PROTO_ID_MAX) + 1)

static void
s_key (char *key, const void *caller, size_t caller_size, const void *corr, size_t corr_size)
{
    static const char digits [] = "0123456789abcdef";
    char *cursor = key;
    const byte *parts [2] = { (const byte *) caller, (const byte *) corr };
    size_t sizes [2] = { caller_size, corr_size };
    for (int part = 0; part < 2; part++) {
        *cursor++ = digits [(sizes [part] >> 4) & 15];
        *cursor++ = digits [sizes [part] & 15];
        for (size_t index = 0; index < sizes [part]; index++) {
            *cursor++ = digits [parts [part][index] >> 4];
            *cursor++ = digits [parts [part][index] & 15];
        }
    }
    *cursor = 0;
}

static void
s_request_key (char *key, zaf_proto_t *request)
{
    size_t caller_size, corr_size;
    const void *caller = zaf_proto_caller (request, &caller_size);
    const void *corr = zaf_proto_corr (request, &corr_size);
    s_key (key, caller, caller_size, corr, corr_size);
}

static void
s_mark_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

//  Drop marks whose call never came (it had ended, or went elsewhere)
static void
s_purge (int64_t now)
{
    if (now - s_purged < 1000)
        return;
    s_purged = now;
    zlistx_t *old = zlistx_new ();
    for (mark_t *mark = (mark_t *) zhashx_first (s_marks); mark;
         mark = (mark_t *) zhashx_next (s_marks))
        if (now - mark->when > ZAF_CANCEL_KEEP_MS)
            zlistx_add_end (old, (void *) zhashx_cursor (s_marks));
    for (const char *key = (const char *) zlistx_first (old); key;
         key = (const char *) zlistx_next (old))
        zhashx_delete (s_marks, key);
    zlistx_destroy (&old);
    atomic_store (&s_count, zhashx_size (s_marks));
}

void
zaf_cancel_mark (const void *caller, size_t caller_size, const void *corr,
                 size_t corr_size, bool recursive)
{
    char key [KEY_MAX];
    s_key (key, caller, caller_size, corr, corr_size);
    mark_t *mark = (mark_t *) malloc (sizeof (mark_t));
    assert (mark);
    mark->when = zclock_mono ();
    mark->recursive = recursive;
    pthread_mutex_lock (&s_lock);
    if (!s_marks) {
        s_marks = zhashx_new ();
        zhashx_set_destructor (s_marks, s_mark_free);
    }
    s_purge (mark->when);
    zhashx_update (s_marks, key, mark);
    atomic_store (&s_count, zhashx_size (s_marks));
    pthread_mutex_unlock (&s_lock);
}

bool
zaf_cancel_marked (zaf_proto_t *request, bool *recursive)
{
    if (!request || atomic_load (&s_count) == 0)
        return false;
    char key [KEY_MAX];
    s_request_key (key, request);
    pthread_mutex_lock (&s_lock);
    mark_t *mark = s_marks ? (mark_t *) zhashx_lookup (s_marks, key) : NULL;
    if (mark && recursive)
        *recursive = mark->recursive;
    pthread_mutex_unlock (&s_lock);
    return mark != NULL;
}

void
zaf_cancel_forget (zaf_proto_t *request)
{
    if (!request || atomic_load (&s_count) == 0)
        return;
    char key [KEY_MAX];
    s_request_key (key, request);
    pthread_mutex_lock (&s_lock);
    if (s_marks) {
        zhashx_delete (s_marks, key);
        atomic_store (&s_count, zhashx_size (s_marks));
    }
    pthread_mutex_unlock (&s_lock);
}

//  --------------------------------------------------------------------------
//  The API: zaf_cancel, zaf_cancelled

int
zaf_cancel (zaf_t *self, zaf_future_t *future, bool recursive)
{
    assert (self);
    if (!future || zaf_future_ready (future) || zaf_future_owner (future) != zaf_client_pending (self))
        return -1;
    zaf_future_kind_t kind = zaf_future_kind (future);
    if (kind != ZAF_FUTURE_CALL && kind != ZAF_FUTURE_SUBMIT)
        return -1;
    //  The future ends first, whatever the CANCEL meets on its way: a late
    //  answer finds it gone from the map
    zaf_proto_t *msg = zaf_proto_new ();
    zaf_proto_set_id (msg, ZAF_PROTO_CANCEL);
    zaf_future_write_corr (future, msg);
    zaf_proto_set_body (msg, recursive ? "{\"recursive\":true}" : "{}", recursive ? 18 : 2);
    zaf_future_fail (future, ZAF_CANCELLED, "cancelled by its caller");
    zaf_client_send (self, msg);
    zaf_proto_destroy (&msg);
    return 0;
}

bool
zaf_cancelled (zaf_t *self)
{
    zaf_context_t *context = self ? zaf_context (self) : NULL;
    return context && zaf_cancel_marked (zaf_context_request (context), NULL);
}

void
zaf_cancel_nested (zaf_t *z)
{
    if (atomic_load (&s_count) == 0)
        return;
    zaf_context_t *context = zaf_context (z);
    bool recursive = false;
    if (!context || !zaf_cancel_marked (zaf_context_request (context), &recursive) || !recursive)
        return;
    zlistx_t *futures = zaf_pending_list (zaf_client_pending (z));
    for (zaf_future_t *future = (zaf_future_t *) zlistx_first (futures); future;
         future = (zaf_future_t *) zlistx_next (futures))
        zaf_cancel (z, future, true);
    zlistx_destroy (&futures);
}
