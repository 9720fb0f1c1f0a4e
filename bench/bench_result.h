/*  =========================================================================
    bench_result - what one scenario measured, in one mode

    A plain struct, filled by the scenario runner (a child process),
    carried to the orchestrator as one JSON line, and printed there as a
    table row or as a --json line. A negative number means "not measured".
    =========================================================================
*/

#ifndef BENCH_RESULT_H_INCLUDED
#define BENCH_RESULT_H_INCLUDED

#include <stdbool.h>
#include <stdio.h>

#define BENCH_ERROR_MAX 256

typedef struct {
    char scenario [32];         //  sync, async, tell, ...
    char mode [16];             //  embedded or tcp
    bool ok;                    //  Measured completely
    char error [BENCH_ERROR_MAX];   //  Why not, when !ok
    double zaf_per_s;           //  Operations per second through zaf
    double floor_per_s;         //  The same through the raw floor
    double p50_us;              //  zaf latencies (see --help for which)
    double p99_us;
    double floor_p50_us;        //  The floor's, for --verbose
    double floor_p99_us;
    double rss_kb;              //  RSS of the process hosting the actors;
                                //  actors_10k: RSS per actor
    long actors;                //  actors_10k: how many
    double create_s;            //  actors_10k: time to create them
    double rss_idle_kb;         //  actors_10k: RSS per actor before calls
    double fds_per_actor;       //  actors_10k: open files per actor
    double seconds;             //  Wall time of the whole run
} bench_result_t;

//  Reset a result for scenario and mode: ok, nothing measured.
void
    bench_result_init (bench_result_t *self, const char *scenario, const char *mode);

//  Mark a result failed with a message (the first failure is kept).
void
    bench_result_fail (bench_result_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Return zaf/floor, or -1 if either is missing.
double
    bench_result_ratio (const bench_result_t *self);

//  Print the result as one JSON line (no newline). With all, every field
//  (for the orchestrator); else the published set: scenario, mode,
//  zaf_per_s, floor_per_s, ratio, p50_us, p99_us, rss_kb, status (and
//  error, and the actors_10k figures). Caller frees with cJSON_free.
char *
    bench_result_json (const bench_result_t *self, bool all);

//  Fill a result from a JSON line printed with all. Returns 0, or -1 if
//  the text is not such a line.
int
    bench_result_from_json (bench_result_t *self, const char *text);

//  Print the table header, one row, and the notes a row may have.
void
    bench_result_print_header (FILE *stream);
void
    bench_result_print_row (const bench_result_t *self, FILE *stream);
void
    bench_result_print_notes (const bench_result_t *self, FILE *stream);

#endif
