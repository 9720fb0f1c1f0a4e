/*  =========================================================================
    test_handle - actor handles and their JSON form

    Handles round-trip through {"$actor": id}; ids that cannot be one
    (empty, too long, not printable) give no handle; duplicates own
    nothing; an owning handle sits in its owner's list until it is
    disowned or freed.
    =========================================================================
*/

#include "testutil.h"
#include <criterion/criterion.h>

Test (handle, json_round_trip)
{
    zaf_actor_t *actor = zaf_handle_new ("s1-7");
    cJSON *json = zaf_actor_to_json (actor);
    cr_assert_str_eq (zaf_json_string (json, "$actor", ""), "s1-7");
    zaf_actor_t *back = zaf_actor_from_json (json);
    cr_assert_not_null (back);
    cr_assert_str_eq (zaf_actor_id (back), "s1-7");
    cr_assert_not (zaf_actor_owned (back));
    cJSON_Delete (json);
    zaf_actor_destroy (&back);
    zaf_actor_destroy (&actor);
    cr_assert_null (actor);
    json = zaf_actor_to_json (NULL);
    cr_assert (cJSON_IsNull (json));
    cJSON_Delete (json);
}

Test (handle, ids_that_cannot_be_give_no_handle)
{
    const char *texts [] = {
        "{}", "{\"$actor\":\"\"}", "{\"$actor\":7}", "{\"$actor\":\"a b\"}",
        "{\"$actor\":\"tab\\there\"}", "[]", "null"
    };
    for (size_t index = 0; index < sizeof (texts) / sizeof (texts [0]); index++) {
        cJSON *json = cJSON_Parse (texts [index]);
        cr_assert_null (zaf_actor_from_json (json), "%s gave a handle", texts [index]);
        cJSON_Delete (json);
    }
    char long_id [ZAF_PROTO_ACTOR_MAX + 2];
    memset (long_id, 'x', sizeof (long_id) - 1);
    long_id [sizeof (long_id) - 1] = 0;
    cJSON *json = cJSON_CreateObject ();
    cJSON_AddStringToObject (json, "$actor", long_id);
    cr_assert_null (zaf_actor_from_json (json));
    cJSON_Delete (json);
}

Test (handle, owning_handles_sit_in_their_owners_list)
{
    zlistx_t *owned = zlistx_new ();
    zaf_t *owner = (zaf_t *) owned;     //  Only compared, never used
    zaf_actor_t *one = zaf_handle_new ("a-1");
    zaf_actor_t *two = zaf_handle_new ("a-2");
    zaf_handle_own (one, owner, owned);
    zaf_handle_own (two, owner, owned);
    cr_assert_eq (zlistx_size (owned), 2);
    cr_assert (zaf_actor_owned (one));
    cr_assert_eq (zaf_handle_owner (one), owner);

    zaf_actor_t *copy = zaf_actor_dup (one);
    cr_assert_not (zaf_actor_owned (copy), "a duplicate owns nothing");
    cr_assert_null (zaf_handle_owner (copy));
    zaf_handle_free (&copy);

    zaf_handle_disown (one);
    cr_assert_not (zaf_actor_owned (one));
    cr_assert_null (zaf_handle_owner (one));
    cr_assert_eq (zlistx_size (owned), 1);
    cr_assert_eq (zlistx_first (owned), two);
    zaf_handle_free (&two);
    cr_assert_eq (zlistx_size (owned), 0, "a freed handle leaves the list");
    zaf_handle_free (&one);
    zlistx_destroy (&owned);
}
