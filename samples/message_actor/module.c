/*  =========================================================================
    module - the message_actor module: what zaf-node --module loads
    =========================================================================
*/

#include "message_actor.h"

int
zaf_module_init (void)
{
    return message_actor_register ();
}
