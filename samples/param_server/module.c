/*  =========================================================================
    module - the param_server module: what zaf-node --module loads
    =========================================================================
*/

#include "param_server.h"

int
zaf_module_init (void)
{
    return param_server_register ();
}
