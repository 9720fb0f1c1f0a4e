/*  =========================================================================
    test_ratelimit - the log budget for warnings about bad input

    A budget of N lines a second lets the first N warnings of a window
    through, holds back the rest and counts them, and says how many it held
    back when the next window opens. The log goes to a temporary file that
    each test reads back. The window is one second of the monotonic clock:
    the test that crosses it waits for the budget to open again (polling,
    with a deadline) and checks that it did not open early.
    =========================================================================
*/

#include "testutil.h"
#include <criterion/criterion.h>

static FILE *s_log = NULL;

static void
s_setup (void)
{
    s_log = tmpfile ();
    cr_assert_not_null (s_log);
    zsys_set_logstream (s_log);
}

static void
s_teardown (void)
{
    zsys_set_logstream (NULL);
    if (s_log)
        fclose (s_log);
    s_log = NULL;
}

TestSuite (ratelimit, .init = s_setup, .fini = s_teardown, .timeout = 30);

//  Everything logged so far (a new string)
static char *
s_logged (void)
{
    fflush (s_log);
    long size = ftell (s_log);
    cr_assert_geq (size, 0);
    char *text = (char *) zmalloc ((size_t) size + 1);
    rewind (s_log);
    size_t read = fread (text, 1, (size_t) size, s_log);
    text [read] = 0;
    fseek (s_log, 0, SEEK_END);
    return text;
}

//  How many times needle occurs in text
static int
s_occurrences (const char *text, const char *needle)
{
    int count = 0;
    for (const char *hit = strstr (text, needle); hit; hit = strstr (hit + 1, needle))
        count++;
    return count;
}

Test (ratelimit, the_first_n_of_a_window_pass_and_the_rest_are_held)
{
    zaf_ratelimit_t *budget = zaf_ratelimit_new ("zaf_test", 3);
    for (int index = 0; index < 3; index++)
        cr_expect (zaf_ratelimit_warn (budget, "bad frame number=%d", index), "warning %d held", index);
    for (int index = 3; index < 10; index++)
        cr_expect_not (zaf_ratelimit_warn (budget, "bad frame number=%d", index), "warning %d passed", index);
    cr_expect_eq (zaf_ratelimit_suppressed (budget), 7);

    char *text = s_logged ();
    cr_expect_eq (s_occurrences (text, "zaf_test: bad frame number="), 3, "log: %s", text);
    cr_expect (strstr (text, "zaf_test: bad frame number=0"));
    cr_expect (strstr (text, "zaf_test: bad frame number=2"));
    cr_expect_null (strstr (text, "number=3"), "a held warning was logged: %s", text);
    cr_expect_null (strstr (text, "suppressed"), "nothing to report before the window ends");
    free (text);
    zaf_ratelimit_destroy (&budget);
    cr_expect_null (budget);
}

Test (ratelimit, a_zero_budget_holds_everything)
{
    zaf_ratelimit_t *budget = zaf_ratelimit_new ("quiet", 0);
    for (int index = 0; index < 100; index++)
        cr_expect_not (zaf_ratelimit_warn (budget, "line %d", index));
    cr_expect_eq (zaf_ratelimit_suppressed (budget), 100);
    char *text = s_logged ();
    cr_expect_null (strstr (text, "quiet: line"), "log: %s", text);
    free (text);
    zaf_ratelimit_destroy (&budget);
}

Test (ratelimit, long_and_odd_text_is_bounded)
{
    //  A hostile peer's text may be long and contain format characters:
    //  it is passed as an argument, and a line is cut, not overflowed
    zaf_ratelimit_t *budget = zaf_ratelimit_new ("zaf_test", 5);
    char *huge = (char *) zmalloc (10000);
    memset (huge, 'x', 9999);
    cr_expect (zaf_ratelimit_warn (budget, "peer said %s", huge));
    cr_expect (zaf_ratelimit_warn (budget, "peer said %s", "%s%n%x"));
    char *text = s_logged ();
    cr_expect (strstr (text, "peer said xxxx"));
    cr_expect_null (strstr (text, huge), "a 10,000-byte line was logged whole");
    cr_expect (strstr (text, "peer said %s%n%x"));
    free (text);
    free (huge);
    zaf_ratelimit_destroy (&budget);
}

Test (ratelimit, destroy_takes_null)
{
    zaf_ratelimit_t *budget = NULL;
    zaf_ratelimit_destroy (&budget);
    cr_expect_null (budget);
}

//  The budget lets a warning through again
static bool
s_budget_open (void *arg)
{
    return zaf_ratelimit_warn ((zaf_ratelimit_t *) arg, "again");
}

Test (ratelimit, a_new_window_reports_what_was_held_and_opens_the_budget)
{
    zaf_ratelimit_t *budget = zaf_ratelimit_new ("zaf_test", 2);
    int64_t window_start = zclock_mono ();
    cr_expect (zaf_ratelimit_warn (budget, "first"));
    cr_expect (zaf_ratelimit_warn (budget, "second"));
    for (int index = 0; index < 5; index++)
        cr_expect_not (zaf_ratelimit_warn (budget, "held"));
    size_t held = zaf_ratelimit_suppressed (budget);
    cr_expect_eq (held, 5);

    //  The budget stays closed for the rest of the one-second window, then
    //  opens (each closed attempt is held, and counted, too)
    cr_assert (zt_wait_until (s_budget_open, budget, 3000), "the budget never opened again");
    int64_t waited = zclock_mono () - window_start;
    cr_expect_geq (waited, 1000, "the budget opened after %" PRId64 " ms", waited);
    size_t held_total = zaf_ratelimit_suppressed (budget);
    cr_expect_gt (held_total, held, "closed attempts were counted");

    //  One line says how many the last window held back; the total goes on
    char *text = s_logged ();
    char expected [64];
    snprintf (expected, sizeof (expected), "zaf_test: %zu more warnings suppressed", held_total);
    cr_expect (strstr (text, expected), "no '%s' in: %s", expected, text);
    cr_expect_eq (s_occurrences (text, "more warnings suppressed"), 1);
    cr_expect (strstr (text, "zaf_test: again"));
    free (text);

    //  The new window has its own budget: one more passes, then held
    cr_expect (zaf_ratelimit_warn (budget, "fourth"));
    cr_expect_not (zaf_ratelimit_warn (budget, "fifth"));
    cr_expect_eq (zaf_ratelimit_suppressed (budget), held_total + 1);
    zaf_ratelimit_destroy (&budget);
}
