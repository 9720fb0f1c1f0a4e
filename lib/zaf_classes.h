/*  =========================================================================
    zaf_classes.h - private umbrella header of libzaf

    Every .c file of the library includes this header first. It pulls in
    czmq, cJSON, the public API and the internal class headers in layer
    order: each class uses only those above it.
    =========================================================================
*/

#ifndef ZAF_CLASSES_H_INCLUDED
#define ZAF_CLASSES_H_INCLUDED

#include <czmq.h>
#include <cjson/cJSON.h>
#include "zaf.h"

#include "zaf_json.h"
#include "zaf_escape.h"
#include "zaf_error.h"
#include "zaf_ratelimit.h"
#include "zaf_registry.h"
#include "zaf_resources.h"
#include "zaf_proto.h"
#include "zaf_ring.h"
#include "zaf_key.h"
#include "zaf_auth.h"
#include "zaf_metrics.h"
#include "zaf_channel.h"
#include "zaf_link.h"
#include "zaf_blob.h"
#include "zaf_future.h"
#include "zaf_handle.h"
#include "zaf_client.h"
#include "zaf_timer.h"
#include "zaf_reader.h"
#include "zaf_context.h"
#include "zaf_deadline.h"
#include "zaf_cancel.h"
#include "zaf_broker.h"
#include "zaf_inner.h"
#include "zaf_pool.h"
#include "zaf_actor.h"
#include "zaf_worker.h"
#include "zaf_node.h"
#include "zaf_local.h"

#endif
