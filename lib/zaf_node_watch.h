/*  =========================================================================
    zaf_node_watch - what a node's tick finds out about its actors

    Two things a node learns by looking rather than by a message: actor
    processes (ISOLATE) that ended, and calls that run past their actor's
    call_deadline_ms. For each it decides what the broker must hear (the
    REPLY that ends the call, EXIT, or SPAWNED error) and queues it as a
    report; the node sends the reports. Used by the node's thread only.
    =========================================================================
*/

#ifndef ZAF_NODE_WATCH_H_INCLUDED
#define ZAF_NODE_WATCH_H_INCLUDED

typedef struct _zaf_node_watch_t zaf_node_watch_t;

//  Create a watch over parties and, if not NULL, the actor processes of
//  isolate. Both are borrowed and must outlive the watch.
zaf_node_watch_t *
    zaf_node_watch_new (zaf_node_parties_t *parties, zaf_isolate_t *isolate);

//  Free the watch and the reports not taken. Nulls *self_p.
void
    zaf_node_watch_destroy (zaf_node_watch_t **self_p);

//  An actor with a call deadline was added: look at it from now on.
void
    zaf_node_watch_add_deadline (zaf_node_watch_t *self);

//  Look: reap the actor processes that ended, decide about those that
//  have settled (their party is removed), SIGKILL those past their grace,
//  answer calls past their deadline. Returns in how many ms it wants to
//  look again, or -1 if it does not need to.
int
    zaf_node_watch_tick (zaf_node_watch_t *self);

//  Return the next message for the broker, or NULL; the caller owns it.
zaf_proto_t *
    zaf_node_watch_report (zaf_node_watch_t *self);

//  Forget a party whose thread or process has ended: its process's
//  shared block goes too. Removes it from the table and nulls *party_p.
void
    zaf_node_watch_forget (zaf_node_watch_t *self, zaf_node_party_t **party_p);

#endif
