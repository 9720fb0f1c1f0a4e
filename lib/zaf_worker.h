/*  =========================================================================
    zaf_worker - task worker threads: run registered functions for a node

    A worker is a thread of its own (256 KB stack) with one DEALER to its
    node's inner ROUTER (zaf_inner). It announces itself with HELLO, then
    runs the SUBMITs the node hands it, one at a time, each with the
    function of that name in its registry, and answers each with a REPLY.
    KILL ends it; its last message is EXIT. The node created the thread and
    joins it after that EXIT.
    =========================================================================
*/

#ifndef ZAF_WORKER_H_INCLUDED
#define ZAF_WORKER_H_INCLUDED

//  What a new worker thread needs; zaf_worker_start copies it all.
typedef struct {
    const char *endpoint;           //  The node's inner ROUTER (inproc)
    uint32_t inner_id;              //  Our routing id on it
    zaf_registry_t *registry;       //  Where functions are (borrowed: it
                                    //  must outlive the thread)
    bool verbose;                   //  Log every task
    bool local;                     //  Messages go by reference
} zaf_worker_spec_t;

//  Open the worker's socket, then start its thread. Returns 0 and the
//  thread, or -1 with errno if no socket or no thread could be had.
int
    zaf_worker_start (const zaf_worker_spec_t *spec, pthread_t *thread);

#endif
