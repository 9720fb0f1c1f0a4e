/*  test_module - the test actors as a module for zaf-node --module */
#include "test_actors.h"

int
zaf_module_init (void)
{
    return test_actors_register ();
}
