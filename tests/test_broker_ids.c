/*  Actor ids: random, tagged under the broker's secret, checked on adoption */

#include "zaf_classes.h"
#include "zaf_broker_ids.h"
#include <criterion/criterion.h>

//  SipHash-2-4 reference vector (the paper's appendix A): key 00..0f,
//  message 00..0e
Test (broker_ids, siphash_matches_the_reference)
{
    byte key [16], message [15];
    for (int index = 0; index < 16; index++)
        key [index] = (byte) index;
    for (int index = 0; index < 15; index++)
        message [index] = (byte) index;
    cr_expect_eq (zaf_broker_ids_siphash (key, message, 15), 0xa129ca6149be45e5ULL);
    cr_expect_eq (zaf_broker_ids_siphash (key, message, 0), 0x726fdb47dd0e0e31ULL);
}

Test (broker_ids, fresh_ids_are_short_printable_distinct_and_ours)
{
    zaf_broker_ids_t *ids = zaf_broker_ids_new ();
    cr_expect_not (zaf_broker_ids_keyed (ids));
    zhashx_t *seen = zhashx_new ();
    for (int count = 0; count < 10000; count++) {
        char id [ZAF_BROKER_ID_SIZE + 1];
        zaf_broker_ids_fresh (ids, id);
        cr_assert_eq (strlen (id), ZAF_BROKER_ID_SIZE);
        cr_assert (zaf_registry_name_valid (id), "%s", id);
        cr_assert (zaf_broker_ids_verify (ids, id));
        cr_assert_eq (zhashx_insert (seen, id, (void *) 1), 0, "id %s issued twice", id);
    }
    zhashx_destroy (&seen);
    zaf_broker_ids_destroy (&ids);
}

Test (broker_ids, a_secret_tells_our_ids_from_forged_ones)
{
    byte secret [ZAF_BROKER_SECRET_SIZE], other [ZAF_BROKER_SECRET_SIZE];
    memset (secret, 7, sizeof (secret));
    memset (other, 8, sizeof (other));
    zaf_broker_ids_t *first = zaf_broker_ids_new ();
    zaf_broker_ids_set_secret (first, secret);
    cr_expect (zaf_broker_ids_keyed (first));
    char id [ZAF_BROKER_ID_SIZE + 1];
    zaf_broker_ids_fresh (first, id);

    //  A broker restarted with the same secret adopts it
    zaf_broker_ids_t *again = zaf_broker_ids_new ();
    zaf_broker_ids_set_secret (again, secret);
    cr_expect (zaf_broker_ids_adoptable (again, id));

    //  Another secret, a changed character, a wrong length, an old-style id
    zaf_broker_ids_t *stranger = zaf_broker_ids_new ();
    zaf_broker_ids_set_secret (stranger, other);
    cr_expect_not (zaf_broker_ids_adoptable (stranger, id));
    char forged [ZAF_BROKER_ID_SIZE + 1];
    for (int at = 0; at < ZAF_BROKER_ID_SIZE; at++) {
        strcpy (forged, id);
        forged [at] = forged [at] == 'A' ? 'B' : 'A';
        cr_expect_not (zaf_broker_ids_adoptable (again, forged), "changed at %d", at);
    }
    cr_expect_not (zaf_broker_ids_adoptable (again, "5c1d2e3f00000002"));
    cr_expect_not (zaf_broker_ids_adoptable (again, ""));
    strcpy (forged, id);
    forged [5] = '!';
    cr_expect_not (zaf_broker_ids_adoptable (again, forged));

    //  Without a secret of its own a broker can only check the form
    zaf_broker_ids_t *random = zaf_broker_ids_new ();
    cr_expect (zaf_broker_ids_adoptable (random, id));
    cr_expect_not (zaf_broker_ids_verify (random, id));
    cr_expect_not (zaf_broker_ids_adoptable (random, "5c1d2e3f00000002"));

    zaf_broker_ids_destroy (&first);
    zaf_broker_ids_destroy (&again);
    zaf_broker_ids_destroy (&stranger);
    zaf_broker_ids_destroy (&random);
}

Test (broker_ids, random_bytes_come_from_the_system)
{
    byte one [32], two [32];
    cr_assert_eq (zaf_broker_ids_random (one, sizeof (one)), 0);
    cr_assert_eq (zaf_broker_ids_random (two, sizeof (two)), 0);
    cr_expect_neq (memcmp (one, two, sizeof (one)), 0);
}
