/*  =========================================================================
    zaf_node_watch - what a node's tick finds out about its actors

    Runs in the node's thread, from its tick. Reads the parties table and
    zaf_isolate (pidfds, wait statuses, the running records shared with
    actor processes) and the running records of threads with a deadline;
    writes only reports (messages for the broker) and the parties it ends.

    Actor processes: a child party ends when both its EXIT has come and its
    process is reaped. A child that dies without EXIT (a signal, or any exit
    without EXIT: a sanitizer's report exits with a code) is given 50 ms for
    messages it sent before dying to arrive. Then the call it was running
    is answered with ACTOR_DIED naming the signal, unless the actor is
    restartable (then that call is the broker's), and EXIT
    {"reason":"failed","signal":...} is reported; if it died before its
    constructor returned, SPAWNED error instead.

    Call deadlines: a call still running past its actor's call_deadline_ms
    is answered TIMEOUT and logged, once per call; the method's own answer,
    when it comes, is dropped by the broker as late.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_isolate.h"
#include "zaf_node_parties.h"
#include "zaf_node_watch.h"
#include <signal.h>
#include <sys/wait.h>

//  How long a child that died without EXIT gets for its last messages
#define ZAF_NODE_SETTLE_MS      50
//  ms between looks at call deadlines
#define ZAF_NODE_DEADLINE_TICK  50

struct _zaf_node_watch_t {
    zaf_node_parties_t *parties;    //  Borrowed
    zaf_isolate_t *isolate;         //  Borrowed; NULL: no actor processes
    zlistx_t *reports;              //  For the broker (zaf_proto_t)
    size_t deadlines;               //  Live actors with a call deadline
    int64_t deadlines_at;           //  When to look at them next
};

//  --------------------------------------------------------------------------
//  Create and destroy

zaf_node_watch_t *
zaf_node_watch_new (zaf_node_parties_t *parties, zaf_isolate_t *isolate)
{
    assert (parties);
    zaf_node_watch_t *self = (zaf_node_watch_t *) zmalloc (sizeof (zaf_node_watch_t));
    assert (self);
    self->parties = parties;
    self->isolate = isolate;
    self->reports = zlistx_new ();
    zlistx_set_destructor (self->reports, (zlistx_destructor_fn *) zaf_proto_destroy);
    return self;
}

void
zaf_node_watch_destroy (zaf_node_watch_t **self_p)
{
    assert (self_p);
    zaf_node_watch_t *self = *self_p;
    if (!self)
        return;
    zlistx_destroy (&self->reports);
    free (self);
    *self_p = NULL;
}

void
zaf_node_watch_add_deadline (zaf_node_watch_t *self)
{
    assert (self);
    self->deadlines++;
}

zaf_proto_t *
zaf_node_watch_report (zaf_node_watch_t *self)
{
    assert (self);
    return (zaf_proto_t *) zlistx_detach (self->reports, NULL);
}

void
zaf_node_watch_forget (zaf_node_watch_t *self, zaf_node_party_t **party_p)
{
    assert (self && party_p && *party_p);
    if ((*party_p)->kind == ZAF_PARTY_PROCESS)
        zaf_isolate_forget (self->isolate, (*party_p)->inner_id);
    zaf_node_parties_remove (self->parties, party_p);
}

//  A new report: REPLY (or another id) to caller and corr
static zaf_proto_t *
s_report (zaf_node_watch_t *self, zaf_proto_id_t id, const void *caller, size_t caller_size,
          const void *corr, size_t corr_size)
{
    zaf_proto_t *msg = zaf_proto_new ();
    zaf_proto_set_id (msg, id);
    zaf_proto_set_caller (msg, caller, caller_size);
    zaf_proto_set_corr (msg, corr, corr_size);
    zlistx_add_end (self->reports, msg);
    return msg;
}

//  --------------------------------------------------------------------------
//  A child ended without EXIT: the actor failed. Answer the call it was
//  in, report EXIT with what killed it (SPAWNED error if it was still
//  constructing), and log it.

static void
s_died (zaf_node_watch_t *self, zaf_node_party_t *party)
{
    char how [64];
    zaf_isolate_describe (party->status, how, sizeof (how));
    if (party->dying) {
        //  We had killed it already and told the broker
        bool sigkill = party->status != -1 && WIFSIGNALED (party->status)
                    && WTERMSIG (party->status) == SIGKILL;
        if (party->status != 0 && party->status != -1 && !sigkill)
            zsys_warning ("zaf_node: killed actor process ended by %s actor=%s class=%s pid=%d",
                          how, party->id, party->class_name, (int) party->pid);
        return;
    }
    zaf_node_parties_set_dying (self->parties, party);
    const zaf_actor_running_t *running = zaf_isolate_running (self->isolate, party->inner_id);
    unsigned doing = running ? atomic_load (&running->doing) : ZAF_ACTOR_IDLE;
    zsys_warning ("zaf_node: actor process died actor=%s class=%s pid=%d %s%s%s", party->id,
                  party->class_name, (int) party->pid, how,
                  !party->ready ? " before its constructor returned"
                  : doing != ZAF_ACTOR_IDLE ? " in method " : "",
                  party->ready && doing != ZAF_ACTOR_IDLE ? running->method : "");
    if (!party->ready) {
        //  The actor never existed: its SPAWN fails, no EXIT
        if (party->spawned) {
            zaf_proto_set_error (party->spawned, ZAF_ACTOR_DIED,
                                 "actor %s (%s) died before its constructor returned: %s",
                                 party->id, party->class_name, how);
            zlistx_add_end (self->reports, party->spawned);
            party->spawned = NULL;
        }
        return;
    }
    //  The call it died in ends here, saying how. Not for a restartable
    //  actor: the broker may send that call again, and its caller must
    //  not hear of the death before the broker has seen the EXIT, or its
    //  next call could miss the next incarnation (section 9.6)
    if (doing == ZAF_ACTOR_IN_CALL && !party->restartable) {
        zaf_proto_t *reply = s_report (self, ZAF_PROTO_REPLY, running->caller,
                                       running->caller_size, running->corr, running->corr_size);
        zaf_proto_set_error (reply, ZAF_ACTOR_DIED, "actor %s (%s) died in method %s: %s",
                             party->id, party->class_name, running->method, how);
    }
    cJSON *body = cJSON_CreateObject ();
    cJSON_AddStringToObject (body, "reason", "failed");
    const char *signal_name = zaf_isolate_signal_name (party->status);
    if (signal_name)
        cJSON_AddStringToObject (body, "signal", signal_name);
    else
    if (party->status != -1 && WIFEXITED (party->status))
        cJSON_AddNumberToObject (body, "exit_code", WEXITSTATUS (party->status));
    if (doing != ZAF_ACTOR_IDLE)
        cJSON_AddStringToObject (body, "method", running->method);
    zaf_proto_t *exit = s_report (self, ZAF_PROTO_EXIT, NULL, 0, NULL, 0);
    zaf_proto_set_actor (exit, party->id);
    zaf_proto_set_body_json (exit, body);
    cJSON_Delete (body);
}

//  --------------------------------------------------------------------------
//  Reap the children that ended, decide about those that have settled and
//  SIGKILL those past their grace. Returns in how many ms it wants to run
//  again, or -1.

static int
s_tend_children (zaf_node_watch_t *self)
{
    if (!self->isolate)
        return -1;
    uint32_t inner_id;
    int status;
    bool forced;
    while (zaf_isolate_reap (self->isolate, &inner_id, &status, &forced)) {
        zaf_node_party_t *party = zaf_node_parties_find (self->parties, inner_id);
        if (!party) {
            zaf_isolate_forget (self->isolate, inner_id);
            continue;
        }
        party->ended = true;
        party->status = status;
        if (party->exited) {
            if (status != 0 && !forced) {
                char how [64];
                zsys_warning ("zaf_node: actor process ended by %s after its EXIT actor=%s pid=%d",
                              zaf_isolate_describe (status, how, sizeof (how)), party->id,
                              (int) party->pid);
            }
            zaf_node_watch_forget (self, &party);
        }
        else
            //  Messages it sent before it died may still be on their way:
            //  a clean exit has sent EXIT; anything else had little to say
            zaf_node_parties_settle (self->parties, party,
                                     zclock_mono () + (status == 0 ? 1000 : ZAF_NODE_SETTLE_MS));
    }
    int next = zaf_isolate_tick (self->isolate);
    zaf_node_party_t *due;
    while ((due = zaf_node_parties_settled (self->parties, zclock_mono (), &next))) {
        s_died (self, due);
        zaf_node_watch_forget (self, &due);
    }
    return next;
}

//  --------------------------------------------------------------------------
//  Answer the calls that run past their actor's deadline

static void
s_check_deadlines (zaf_node_watch_t *self, int64_t now)
{
    size_t watched = 0;
    for (zaf_node_party_t *party = zaf_node_parties_first_actor (self->parties); party;
         party = zaf_node_parties_next_actor (self->parties)) {
        if (!party->deadline_ms || party->dying)
            continue;
        watched++;
        const zaf_actor_running_t *running = party->watch;
        if (!running && party->kind == ZAF_PARTY_PROCESS && self->isolate)
            running = zaf_isolate_running (self->isolate, party->inner_id);
        //  A consistent copy of the record, or none this time
        zaf_actor_running_t copy;
        if (!running || !zaf_actor_running_read (running, &copy))
            continue;
        uint64_t seq = atomic_load (&copy.seq);
        int64_t started = atomic_load (&copy.started);
        if (seq == party->reported || now - started <= party->deadline_ms)
            continue;
        party->reported = seq;
        zsys_warning ("zaf_node: actor=%s class=%s method=%s has run %" PRId64 " ms, past "
                      "its deadline of %d ms", party->id, party->class_name, copy.method,
                      now - started, party->deadline_ms);
        if (atomic_load (&copy.doing) != ZAF_ACTOR_IN_CALL || copy.caller_size > ZAF_PROTO_ID_MAX
        ||  copy.corr_size > ZAF_PROTO_ID_MAX || !copy.corr_size)
            continue;
        zaf_proto_t *reply = s_report (self, ZAF_PROTO_REPLY, copy.caller, copy.caller_size,
                                       copy.corr, copy.corr_size);
        zaf_proto_set_error (reply, ZAF_TIMEOUT,
                             "actor %s (%s) method %s ran past its deadline of %d ms; "
                             "it may still finish, and its answer will be dropped",
                             party->id, party->class_name, copy.method, party->deadline_ms);
    }
    self->deadlines = watched;
    self->deadlines_at = now + ZAF_NODE_DEADLINE_TICK;
}

//  --------------------------------------------------------------------------
//  Look, and say when to look again

int
zaf_node_watch_tick (zaf_node_watch_t *self)
{
    assert (self);
    int64_t now = zclock_mono ();
    if (self->deadlines && now >= self->deadlines_at)
        s_check_deadlines (self, now);
    int next = s_tend_children (self);
    if (self->deadlines) {
        int64_t wait = self->deadlines_at - now;
        if (wait < 0)
            wait = 0;
        if (next == -1 || wait < next)
            next = (int) wait;
    }
    return next;
}
