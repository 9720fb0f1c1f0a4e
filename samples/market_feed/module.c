/*  =========================================================================
    module - the market_feed module: what zaf-node --module loads
    =========================================================================
*/

#include "market_feed.h"

int
zaf_module_init (void)
{
    return market_feed_register ();
}
