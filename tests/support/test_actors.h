/*  =========================================================================
    test_actors - classes and functions the test suites call

    Counter (start = 0), methods:
        add (n)                  -> value after adding n
        get ()                   -> value
        fail (message)           fails with METHOD_FAILED and the message
        fail_code (code, msg)    fails with the named code
        sleep (ms)               sleeps, -> ms
        echo (x)                 -> x
        record (x)               appends x to a list, -> list length
        recorded ()              -> the list
        blob_echo ({"$blob": 0}) -> {"size", "sum" of its bytes, "blobs",
                                 "reversed": the blob back, bytes reversed}
        watch (handle)           has `record` told (a tell of {"actor",
                                 "reason"}) when that actor ends
        ordered (tag, seq)       -> seq; BAD_ARGS if seq is not above the
                                 last seq seen for tag (this incarnation)
        whoami ()                -> its own handle
        call (handle, method, args [, timeout_ms])
                                 calls another actor and waits, -> its result
        call_within (handle, method, args, timeout_ms)
                                 the same call with a deadline of its own
                                 (zaf_call_opts), waited for up to 30 s
        deadline ()              -> zaf_deadline_ms: ms left, -1 for none
        spin (recorder, ms)      tells recorder record ("spinning"), then
                                 runs up to ms (5000) or until cancelled,
                                 -> whether it saw zaf_cancelled
        saw_cancel ()            -> what the last spin saw
        spin_fail (recorder, ms) spin, counted in the value, then fails
                                 with METHOD_FAILED
        flaky (n)                counts its runs in the value; fails with
                                 METHOD_FAILED while they are n or fewer,
                                 -> the runs so far
        report_end (path)        its destructor appends zaf_exit_reason as
                                 a line to that file when it ends
        spawn (class, args)      spawns a child it owns, -> the child's handle
        submit (function, args)  runs a task and waits, -> its result
        pid ()                   -> the process id it runs in
        crash ()                 dereferences NULL (SIGSEGV)    } only on a node
        abort ()                 calls abort () (SIGABRT)       } that isolates
    Refuser: its constructor always fails with BAD_ARGS.
    Functions:
        blob_size ({"$blob": 0}) -> [its size, the same blob back]
        add (a, b)               -> a + b
        fail (message)           fails with METHOD_FAILED
        sleep (ms)               -> ms
        call_actor (handle, method, args) -> the call's result
        tell_many (handle, method, n, tag) tells method ([tag, i]) n times,
                                 then calls get and -> n
        flaky_file (path, n)     appends a line to the file; fails with
                                 METHOD_FAILED while it has n lines or
                                 fewer, -> its lines
    =========================================================================
*/

#ifndef TEST_ACTORS_H_INCLUDED
#define TEST_ACTORS_H_INCLUDED

#include <zaf.h>

//  Register the test classes and functions in this process.
int
    test_actors_register (void);

#endif
