/*  =========================================================================
    module - the tree_of_actors module: what zaf-node --module loads
    =========================================================================
*/

#include "tree_of_actors.h"

int
zaf_module_init (void)
{
    return tree_of_actors_register ();
}
