/*  =========================================================================
    zaf_cli_dash - the zaf tool's dashboard commands: metrics and top

    Both ask the broker where its dashboard is (the "dashboard" URL in
    STATUS), then read it over HTTP with a small blocking client (one GET
    per connection, bounded in time and size): `zaf metrics` prints the
    Prometheus text of /metrics; `zaf top` prints the busiest actors and
    the nodes, refreshing every --interval-ms until interrupted (or
    --count times). Runs in main's thread.
    =========================================================================
*/

#include "zaf_cli.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define ZAF_CLI_HTTP_MAX    (64 * 1024 * 1024)  //  Largest answer read

//  --------------------------------------------------------------------------
//  GET url + path: the body of a 200 answer (caller frees), or NULL with
//  the reason in error

static char *
s_http_get (const char *url, const char *path, int timeout_ms, char *error, size_t size)
{
    char host [64];
    int port;
    if (sscanf (url, "http://%63[0-9.]:%d/", host, &port) != 2 || port <= 0 || port > 65535) {
        snprintf (error, size, "the dashboard URL '%s' is not http://IPV4:PORT/", url);
        return NULL;
    }
    struct sockaddr_in where = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    if (inet_pton (AF_INET, host, &where.sin_addr) != 1) {
        snprintf (error, size, "the dashboard URL '%s' is not http://IPV4:PORT/", url);
        return NULL;
    }
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct timeval timeout = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof (timeout));
    setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof (timeout));
    if (fd < 0 || connect (fd, (struct sockaddr *) &where, sizeof (where))) {
        snprintf (error, size, "cannot reach the dashboard at %s: %s", url, strerror (errno));
        if (fd >= 0)
            close (fd);
        return NULL;
    }
    char request [512];
    int length = snprintf (request, sizeof (request),
                           "GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n",
                           path, host, port);
    if (send (fd, request, (size_t) length, MSG_NOSIGNAL) != length) {
        snprintf (error, size, "cannot ask the dashboard at %s: %s", url, strerror (errno));
        close (fd);
        return NULL;
    }
    size_t capacity = 65536, used = 0;
    char *answer = (char *) malloc (capacity + 1);
    assert (answer);
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        if (used == capacity) {
            if (capacity >= ZAF_CLI_HTTP_MAX)
                break;
            capacity *= 2;
            answer = (char *) realloc (answer, capacity + 1);
            assert (answer);
        }
        ssize_t rc = recv (fd, answer + used, capacity - used, 0);
        if (rc <= 0)
            break;
        used += (size_t) rc;
    }
    close (fd);
    answer [used] = 0;
    char *body = strstr (answer, "\r\n\r\n");
    int status = used > 12 && strncmp (answer, "HTTP/1.", 7) == 0 ? atoi (answer + 9) : 0;
    if (status != 200 || !body) {
        snprintf (error, size, "the dashboard at %s answered %s with status %d", url, path, status);
        free (answer);
        return NULL;
    }
    char *text = strdup (body + 4);
    free (answer);
    return text;
}

//  The dashboard URL from STATUS (caller frees), or NULL after saying why
static char *
s_dashboard_url (zaf_t *z, const zaf_cli_options_t *options, int *rc)
{
    zaf_error_t err;
    cJSON *status = zaf_client_status (z, NULL, options->timeout_ms, &err);
    if (!status) {
        *rc = zaf_cli_fail ("the broker did not answer STATUS", &err, true);
        return NULL;
    }
    const char *url = cJSON_GetStringValue (cJSON_GetObjectItem (status, "dashboard"));
    char *copy = url ? strdup (url) : NULL;
    cJSON_Delete (status);
    if (!copy) {
        fprintf (stderr, "zaf: the broker serves no dashboard (it was started with --dashboard off)\n");
        *rc = ZAF_CLI_EXIT_FAILED;
    }
    return copy;
}

//  --------------------------------------------------------------------------
//  zaf metrics

int
zaf_cli_metrics (zaf_t *z, const zaf_cli_options_t *options)
{
    int rc = 0;
    char *url = s_dashboard_url (z, options, &rc);
    if (!url)
        return rc;
    char error [256];
    char *text = s_http_get (url, "/metrics", options->timeout_ms, error, sizeof (error));
    free (url);
    if (!text) {
        fprintf (stderr, "zaf: %s\n", error);
        return ZAF_CLI_EXIT_FAILED;
    }
    fputs (text, stdout);
    free (text);
    return 0;
}

//  --------------------------------------------------------------------------
//  zaf top

static cJSON *
s_get_json (const char *url, const char *path, int timeout_ms, char *error, size_t size)
{
    char *text = s_http_get (url, path, timeout_ms, error, size);
    cJSON *json = text ? cJSON_Parse (text) : NULL;
    if (text && !json)
        snprintf (error, size, "the dashboard's %s is not JSON", path);
    free (text);
    return json;
}

//  One screen: the summary, the busiest actors, the nodes
static int
s_top_screen (const char *url, const zaf_cli_options_t *options, bool clear)
{
    char error [256];
    char path [64];
    snprintf (path, sizeof (path), "/api/actors?sort=calls&limit=%d",
              options->limit < 20 ? options->limit : 20);
    cJSON *summary = s_get_json (url, "/api/summary", options->timeout_ms, error, sizeof (error));
    cJSON *actors = summary ? s_get_json (url, path, options->timeout_ms, error, sizeof (error)) : NULL;
    cJSON *nodes = actors ? s_get_json (url, "/api/nodes", options->timeout_ms, error, sizeof (error)) : NULL;
    if (!nodes) {
        fprintf (stderr, "zaf: %s\n", error);
        cJSON_Delete (summary);
        cJSON_Delete (actors);
        return ZAF_CLI_EXIT_FAILED;
    }
    if (clear)
        printf ("\033[H\033[2J");
    const cJSON *states = cJSON_GetObjectItem (summary, "actors");
    printf ("zaf top - %s - nodes %.0f (lost %.0f) - actors alive %.0f, restarting %.0f, dead %.0f"
            " - %.1f calls/s - %.0f in flight\n\n",
            zaf_cli_string (summary, "endpoints"),
            cJSON_GetNumberValue (cJSON_GetObjectItem (summary, "nodes")),
            cJSON_GetNumberValue (cJSON_GetObjectItem (summary, "nodes_lost")),
            cJSON_GetNumberValue (cJSON_GetObjectItem (states, "ALIVE")),
            cJSON_GetNumberValue (cJSON_GetObjectItem (states, "RESTARTING")),
            cJSON_GetNumberValue (cJSON_GetObjectItem (states, "DEAD")),
            cJSON_GetNumberValue (cJSON_GetObjectItem (summary, "calls_per_s")),
            cJSON_GetNumberValue (cJSON_GetObjectItem (summary, "flights")));
    zaf_cli_table_t *table = zaf_cli_table_new (9, "ACTOR", "CLASS", "NODE", "STATE", "CALLS",
                                                "FAILED", "MAILBOX", "P50_MS", "P99_MS");
    const cJSON *actor;
    cJSON_ArrayForEach (actor, cJSON_GetObjectItem (actors, "actors")) {
        char calls [32], failed [32], mailbox [32], p50 [32], p99 [32];
        snprintf (p50, sizeof (p50), "%.2f", cJSON_GetNumberValue (cJSON_GetObjectItem (actor, "p50_ms")));
        snprintf (p99, sizeof (p99), "%.2f", cJSON_GetNumberValue (cJSON_GetObjectItem (actor, "p99_ms")));
        zaf_cli_table_add (table, zaf_cli_string (actor, "id"), zaf_cli_string (actor, "class"),
                           zaf_cli_string (actor, "node"), zaf_cli_string (actor, "state"),
                           zaf_cli_number (actor, "calls", calls, sizeof (calls)),
                           zaf_cli_number (actor, "failed", failed, sizeof (failed)),
                           zaf_cli_number (actor, "mailbox", mailbox, sizeof (mailbox)), p50, p99);
    }
    zaf_cli_table_print (&table);
    printf ("\n");
    table = zaf_cli_table_new (7, "NODE", "STATE", "ACTORS", "TASKS", "QUEUED", "RSS_MB", "HEARTBEAT_S");
    const cJSON *node;
    cJSON_ArrayForEach (node, cJSON_GetObjectItem (nodes, "nodes")) {
        char count [32], tasks [32], queued [32], rss [32], age [32];
        snprintf (rss, sizeof (rss), "%.1f", cJSON_GetNumberValue (cJSON_GetObjectItem (node, "rss_bytes")) / 1048576.0);
        snprintf (age, sizeof (age), "%.1f", cJSON_GetNumberValue (cJSON_GetObjectItem (node, "heartbeat_age_s")));
        zaf_cli_table_add (table, zaf_cli_string (node, "name"), zaf_cli_string (node, "state"),
                           zaf_cli_number (node, "actors", count, sizeof (count)),
                           zaf_cli_number (node, "tasks_running", tasks, sizeof (tasks)),
                           zaf_cli_number (node, "tasks_queued", queued, sizeof (queued)), rss, age);
    }
    zaf_cli_table_print (&table);
    fflush (stdout);
    cJSON_Delete (summary);
    cJSON_Delete (actors);
    cJSON_Delete (nodes);
    return 0;
}

int
zaf_cli_top (zaf_t *z, const zaf_cli_options_t *options)
{
    int rc = 0;
    char *url = s_dashboard_url (z, options, &rc);
    if (!url)
        return rc;
    bool clear = isatty (STDOUT_FILENO);
    for (int round = 0; (options->count == 0 || round < options->count) && !zsys_interrupted; round++) {
        if (round)
            zclock_sleep (options->interval_ms);    //  The refresh period
        rc = s_top_screen (url, options, clear);
        if (rc)
            break;
    }
    free (url);
    return rc;
}
