/*  =========================================================================
    zaf_broker_http - the broker's dashboard: an HTTP server on its own thread

    The request handler runs on libmicrohttpd's thread: it takes a
    reference to the board's snapshot (a mutex held for a pointer copy),
    renders the answer with zaf_broker_api, queues it and lets the
    reference go. The page is compiled in (lib/dashboard/index.html, made
    into a C string at build time). Nothing here blocks the broker, and a
    client can hold at most one connection slot and ZAF_HTTP_MEMORY bytes.
    =========================================================================
*/

#include "zaf_classes.h"
#include "zaf_broker_api.h"
#include "zaf_broker_http.h"
#include <microhttpd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

//  The page, generated from lib/dashboard/index.html by CMake
extern const char zaf_dashboard_page [];
extern const size_t zaf_dashboard_page_size;

struct _zaf_broker_http_t {
    struct MHD_Daemon *daemon;
    zaf_dash_board_t *board;        //  Borrowed
    char url [80];
    int port_asked;
    int port;
};

//  --------------------------------------------------------------------------
//  Answers

static enum MHD_Result
s_queue (struct MHD_Connection *connection, int status, const char *type,
         char *body, size_t size, bool owned)
{
    struct MHD_Response *response = owned
        ? MHD_create_response_from_buffer (size, body, MHD_RESPMEM_MUST_FREE)
        : MHD_create_response_from_buffer (size, (void *) body, MHD_RESPMEM_PERSISTENT);
    if (!response) {
        if (owned)
            free (body);
        return MHD_NO;
    }
    MHD_add_response_header (response, "Content-Type", type);
    MHD_add_response_header (response, "Cache-Control", "no-store");
    MHD_add_response_header (response, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header (response, "Content-Security-Policy",
                             "default-src 'self'; script-src 'unsafe-inline'; "
                             "style-src 'unsafe-inline'; img-src 'self' data:");
    enum MHD_Result result = MHD_queue_response (connection, (unsigned int) status, response);
    MHD_destroy_response (response);
    return result;
}

static enum MHD_Result
s_error (struct MHD_Connection *connection, int status, const char *code, const char *message)
{
    char *body = zsys_sprintf ("{\"code\":\"%s\",\"message\":\"%s\"}", code, message);
    return s_queue (connection, status, "application/json", body, strlen (body), true);
}

static enum MHD_Result
s_handle (void *cls, struct MHD_Connection *connection, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size, void **state)
{
    zaf_broker_http_t *self = (zaf_broker_http_t *) cls;
    (void) version;
    (void) upload_data;
    if (!streq (method, "GET") && !streq (method, "HEAD")) {
        *upload_data_size = 0;      //  Whatever it sent is not read
        return s_error (connection, 405, "METHOD", "the dashboard is read-only: GET and HEAD only");
    }
    if (*state == NULL) {
        //  First call: headers only; answer on the next one (as MHD asks)
        static int marker;
        *state = &marker;
        return MHD_YES;
    }
    if (!url || strlen (url) > 256)
        return s_error (connection, 414, "BAD_PATH", "path too long");
    if (streq (url, "/") || streq (url, "/index.html"))
        return s_queue (connection, 200, "text/html; charset=utf-8",
                        (char *) zaf_dashboard_page, zaf_dashboard_page_size, false);
    if (streq (url, "/favicon.ico"))
        return s_queue (connection, 204, "image/x-icon", (char *) "", 0, false);

    zaf_dash_query_t query = {
        .state = MHD_lookup_connection_value (connection, MHD_GET_ARGUMENT_KIND, "state"),
        .class_name = MHD_lookup_connection_value (connection, MHD_GET_ARGUMENT_KIND, "class"),
        .node = MHD_lookup_connection_value (connection, MHD_GET_ARGUMENT_KIND, "node"),
        .q = MHD_lookup_connection_value (connection, MHD_GET_ARGUMENT_KIND, "q"),
        .sort = MHD_lookup_connection_value (connection, MHD_GET_ARGUMENT_KIND, "sort"),
        .offset = MHD_lookup_connection_value (connection, MHD_GET_ARGUMENT_KIND, "offset"),
        .limit = MHD_lookup_connection_value (connection, MHD_GET_ARGUMENT_KIND, "limit"),
    };
    zaf_dash_snapshot_t *snapshot = zaf_dash_board_take (self->board);
    zaf_dash_answer_t answer;
    zaf_dash_api_answer (snapshot, url, &query, &answer);
    zaf_dash_snapshot_unref (&snapshot);
    if (!answer.body)
        return s_error (connection, 500, "INTERNAL", "no answer");
    return s_queue (connection, answer.status, answer.type, answer.body, answer.size, true);
}

//  --------------------------------------------------------------------------
//  Start and stop

int
zaf_broker_http_parse (const char *address, char *host, size_t host_size, int *port)
{
    if (!address)
        return -1;
    const char *colon = strrchr (address, ':');
    if (!colon || colon == address || (size_t) (colon - address) >= host_size)
        return -1;
    char *end;
    errno = 0;
    long number = strtol (colon + 1, &end, 10);
    if (errno || !colon [1] || *end || number < 0 || number > 65535)
        return -1;
    memcpy (host, address, (size_t) (colon - address));
    host [colon - address] = 0;
    struct in_addr probe;
    if (inet_pton (AF_INET, host, &probe) != 1)
        return -1;
    *port = (int) number;
    return 0;
}

static struct MHD_Daemon *
s_start (zaf_broker_http_t *self, const struct sockaddr_in *where)
{
    return MHD_start_daemon (
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL,
        0, NULL, NULL, s_handle, self,
        MHD_OPTION_SOCK_ADDR, (const struct sockaddr *) where,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int) ZAF_HTTP_CONNECTIONS,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int) ZAF_HTTP_PER_IP,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) ZAF_HTTP_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) ZAF_HTTP_MEMORY,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int) 128,
        MHD_OPTION_END);
}

zaf_broker_http_t *
zaf_broker_http_new (const char *address, zaf_dash_board_t *board, char *error, size_t size)
{
    assert (board);
    char host [64];
    int port;
    if (zaf_broker_http_parse (address, host, sizeof (host), &port)) {
        snprintf (error, size, "'%s' is not IPV4:PORT (or off)", address ? address : "");
        return NULL;
    }
    zaf_broker_http_t *self = (zaf_broker_http_t *) zmalloc (sizeof (zaf_broker_http_t));
    assert (self);
    self->board = board;
    self->port_asked = port;
    struct sockaddr_in where = { .sin_family = AF_INET };
    inet_pton (AF_INET, host, &where.sin_addr);
    int tries = port ? ZAF_HTTP_PORT_TRIES : 1;
    for (int attempt = 0; attempt < tries && !self->daemon && port + attempt <= 65535; attempt++) {
        where.sin_port = htons ((uint16_t) (port + attempt));
        self->daemon = s_start (self, &where);
    }
    if (!self->daemon) {
        snprintf (error, size, "cannot listen on %s (ports %d to %d busy or not allowed)",
                  host, port, port + tries - 1);
        free (self);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = info ? (int) info->port : port;
    snprintf (self->url, sizeof (self->url), "http://%s:%d/", host, self->port);
    return self;
}

void
zaf_broker_http_destroy (zaf_broker_http_t **self_p)
{
    assert (self_p);
    zaf_broker_http_t *self = *self_p;
    if (!self)
        return;
    MHD_stop_daemon (self->daemon);
    free (self);
    *self_p = NULL;
}

const char *
zaf_broker_http_url (zaf_broker_http_t *self)
{
    assert (self);
    return self->url;
}

int
zaf_broker_http_port_asked (zaf_broker_http_t *self)
{
    assert (self);
    return self->port_asked;
}

int
zaf_broker_http_port (zaf_broker_http_t *self)
{
    assert (self);
    return self->port;
}

//  --------------------------------------------------------------------------
//  The broker's DASHBOARD pipe command

zaf_broker_http_t *
zaf_broker_http_command (const char *address, bool running, zaf_dash_board_t *board,
                         zsock_t *pipe, bool quiet)
{
    if (address && streq (address, "off")) {
        zstr_sendx (pipe, "OK", "", "", NULL);
        return NULL;
    }
    if (running) {
        zstr_sendx (pipe, "ERROR", "the dashboard is already running", NULL);
        return NULL;
    }
    char error [160] = "";
    zaf_broker_http_t *self = zaf_broker_http_new (address, board, error, sizeof (error));
    if (!self) {
        zstr_sendx (pipe, "ERROR", error, NULL);
        return NULL;
    }
    char note [120] = "";
    if (self->port_asked && self->port_asked != self->port)
        snprintf (note, sizeof (note), "port %d was busy: took %d", self->port_asked, self->port);
    if (!quiet)
        zsys_info ("zaf_broker: dashboard url=%s%s%s", self->url, *note ? " " : "", note);
    zstr_sendx (pipe, "OK", self->url, note, NULL);
    return self;
}
