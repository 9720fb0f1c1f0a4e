/*  =========================================================================
    message_actor - the message actor sample: actor handles passed to tasks

    MessageActor keeps a list of text messages:
        add_message (text)           appends text, -> null
        get_and_clear_messages ()    -> the list, which it then empties
    message_worker (actor, worker_index, count = 10, pause_ms = 100) is a
    remote function: it is handed the actor's handle and adds `count`
    messages "Message <i> from worker <worker_index>." to it, one call at a
    time, pausing pause_ms between them, then returns how many it added.
    =========================================================================
*/

#ifndef MESSAGE_ACTOR_H_INCLUDED
#define MESSAGE_ACTOR_H_INCLUDED

#include <zaf.h>

//  Register the MessageActor class and the message_worker function in this
//  process. Returns 0, or -1 if a name is taken.
int
    message_actor_register (void);

#endif
