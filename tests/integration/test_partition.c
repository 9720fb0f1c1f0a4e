/*  =========================================================================
    test_partition - a network partition between a node and the broker

    Needs root, `ip netns` and `nft` (CI has them); skipped otherwise. The
    test makes a network namespace joined to this one by a veth pair with
    addresses of its own (10.x.y.z/30, chosen from the pid), runs one node
    in it and one node and the broker here, then drops every packet
    between the namespace and the broker with nftables for 5 s and heals.
    The cut-off node is declared lost; its calls end; an actor with
    restarts comes back on the other node; after the heal the node
    registers again as a new incarnation and nothing answers twice.
    =========================================================================
*/

#include "testutil.h"
#include <criterion/criterion.h>
#include <signal.h>

#define HEARTBEAT_MS 250

static char s_netns [32];
static char s_veth_out [16], s_veth_in [16];
static char s_addr_out [32], s_addr_in [32];
static bool s_made = false;

static int
s_run (const char *format, ...)
{
    char command [512];
    va_list args;
    va_start (args, format);
    vsnprintf (command, sizeof (command), format, args);
    va_end (args);
    return system (command);
}

static void
s_unmake (void)
{
    zt_cleanup ();
    if (s_made) {
        //  Deleting the namespace takes its end of the veth and the pair
        s_run ("ip netns del %s 2>/dev/null", s_netns);
        s_run ("ip link del %s 2>/dev/null", s_veth_out);
        s_made = false;
    }
}

//  Root, nft, and namespaces that work here (a chroot, for one, may list
//  them but not enter them): try one
static bool
s_can_partition (void)
{
    if (getuid () != 0 || s_run ("command -v nft >/dev/null 2>&1") != 0)
        return false;
    char probe [32];
    snprintf (probe, sizeof (probe), "zafprobe%d", (int) getpid ());
    bool works = s_run ("ip netns add %s >/dev/null 2>&1", probe) == 0
              && s_run ("ip netns exec %s true >/dev/null 2>&1", probe) == 0;
    s_run ("ip netns del %s >/dev/null 2>&1", probe);
    return works;
}

//  The namespace, the veth pair and the addresses; false if they cannot be
//  made here
static bool
s_make (void)
{
    int pid = (int) getpid ();
    snprintf (s_netns, sizeof (s_netns), "zafpart%d", pid);
    snprintf (s_veth_out, sizeof (s_veth_out), "zp%da", pid);
    snprintf (s_veth_in, sizeof (s_veth_in), "zp%db", pid);
    //  A /30 of our own in 10.90.0.0 - 10.119.255.255, from the pid
    int x = 90 + (pid >> 14) % 30, y = (pid >> 6) & 255, z = (pid & 63) * 4;
    snprintf (s_addr_out, sizeof (s_addr_out), "10.%d.%d.%d", x, y, z + 1);
    snprintf (s_addr_in, sizeof (s_addr_in), "10.%d.%d.%d", x, y, z + 2);
    s_made = true;
    return s_run ("ip netns add %s", s_netns) == 0
        && s_run ("ip link add %s type veth peer name %s", s_veth_out, s_veth_in) == 0
        && s_run ("ip link set %s netns %s", s_veth_in, s_netns) == 0
        && s_run ("ip addr add %s/30 dev %s && ip link set %s up",
                  s_addr_out, s_veth_out, s_veth_out) == 0
        && s_run ("ip netns exec %s ip addr add %s/30 dev %s", s_netns, s_addr_in, s_veth_in) == 0
        && s_run ("ip netns exec %s ip link set %s up", s_netns, s_veth_in) == 0
        && s_run ("ip netns exec %s ip link set lo up", s_netns) == 0;
}

static void
s_setup (void)
{
    zsys_set_logstream (stderr);
}

TestSuite (partition, .init = s_setup, .fini = s_unmake, .timeout = 120);

Test (partition, a_cut_off_node_is_lost_then_comes_back_as_a_new_incarnation)
{
    if (!s_can_partition ())
        cr_skip_test ("needs root, ip netns and nft");
    cr_assert (s_make (), "could not make the namespace and veth pair");

    //  The broker listens on loopback (for us and node p2) and on the veth
    //  address (for node p1 in the namespace)
    char bind_out [64], heartbeat [16];
    snprintf (bind_out, sizeof (bind_out), "tcp://%s:0", s_addr_out);
    snprintf (heartbeat, sizeof (heartbeat), "%d", HEARTBEAT_MS);
    const char *broker_argv [] = {
        //  The namespace is this test's own: no keys needed beyond loopback
        zt_path ("bin", "zaf-broker"), "--bind", "tcp://127.0.0.1:0", "--bind", bind_out,
        "--insecure", "--heartbeat-ms", heartbeat, NULL
    };
    zt_proc_t *broker = zt_proc_start (broker_argv, true);
    cr_assert_not_null (broker);
    char *local = zt_proc_read_line (broker, 10000);
    char *remote = zt_proc_read_line (broker, 10000);
    cr_assert (local && remote && strncmp (local, "listening ", 10) == 0
               && strncmp (remote, "listening ", 10) == 0, "broker did not bind");
    const char *local_ep = local + 10, *remote_ep = remote + 10;

    const char *p1_argv [] = {
        "/usr/sbin/ip", "netns", "exec", s_netns,
        zt_path ("bin", "zaf-node"), "--broker", remote_ep, "--name", "p1", "--cpus", "2",
        "--module", zt_path ("lib", "libzaf_test_actors.so"), NULL
    };
    if (access (p1_argv [0], X_OK))
        p1_argv [0] = "/sbin/ip";
    zt_proc_t *p1 = zt_proc_start (p1_argv, false);
    zt_proc_t *p2 = zt_node_start (local_ep, "p2", NULL);
    zaf_t *z = zaf_init (local_ep);
    cr_assert_not_null (z);
    cr_assert (zt_wait_nodes (z, 2, 15000), "both nodes did not register");
    char *before = zt_node_peer (z, "p1");

    zaf_error_t err;
    zaf_spawn_opts_t restartable = { .node = "p1", .max_restarts = -1 };
    zaf_spawn_opts_t plain = { .node = "p1" };
    zaf_spawn_opts_t other = { .node = "p2" };
    zaf_actor_t *phoenix = zaf_spawn (z, "Counter", NULL, &restartable, &err);
    zaf_actor_t *mortal = zaf_spawn (z, "Counter", NULL, &plain, &err);
    zaf_actor_t *safe = zaf_spawn (z, "Counter", NULL, &other, &err);
    cr_assert (phoenix && mortal && safe, "spawns failed: %s", err.message);
    cJSON *value = zt_call (z, mortal, "add", zaf_json ("[7]"), 5000, &err);
    cr_assert_not_null (value, "%s", err.message);
    cJSON_Delete (value);

    //  Cut p1 off from the broker, both ways
    cr_assert_eq (s_run ("ip netns exec %s nft add table inet zafpart", s_netns), 0);
    cr_assert_eq (s_run ("ip netns exec %s nft 'add chain inet zafpart out { type filter hook output priority 0; }'", s_netns), 0);
    cr_assert_eq (s_run ("ip netns exec %s nft 'add chain inet zafpart in { type filter hook input priority 0; }'", s_netns), 0);
    cr_assert_eq (s_run ("ip netns exec %s nft add rule inet zafpart out ip daddr %s drop", s_netns, s_addr_out), 0);
    cr_assert_eq (s_run ("ip netns exec %s nft add rule inet zafpart in ip saddr %s drop", s_netns, s_addr_out), 0);
    int64_t cut_at = zclock_mono ();

    //  Calls caught on the far side end within 3 heartbeats + 1 s
    enum { CALLS = 100 };
    zaf_future_t *futures [CALLS];
    for (int index = 0; index < CALLS; index++)
        futures [index] = zaf_call (z, mortal, "get", NULL);
    for (int index = 0; index < CALLS; index++) {
        cJSON *result = zaf_get (z, &futures [index], 3 * HEARTBEAT_MS + 1000 + 500, &err);
        cr_assert_null (result, "a call across the partition cannot be answered");
        cr_assert (err.code == ZAF_NODE_LOST || err.code == ZAF_ACTOR_DIED,
                   "call %d: %s %s", index, zaf_code_name (err.code), err.message);
        cr_assert_null (futures [index], "call %d did not end in time", index);
    }
    cr_expect_lt (zclock_mono () - cut_at, 3 * HEARTBEAT_MS + 2500);
    //  The other node serves on; the restartable actor is back, on p2
    value = zt_call (z, safe, "add", zaf_json ("[1]"), 5000, &err);
    cr_expect_not_null (value, "%s", err.message);
    cJSON_Delete (value);
    value = zt_call_until (z, phoenix, "get", NULL, 2000, 5000, &err);
    cr_assert_not_null (value, "the restartable actor did not come back: %s", err.message);
    cJSON_Delete (value);
    char *where = zt_actor_node (z, zaf_actor_id (phoenix));
    cr_expect_str_eq (where ? where : "", "p2");
    free (where);

    //  Heal after 5 s in all
    int64_t elapsed = zclock_mono () - cut_at;
    if (elapsed < 5000)
        //  The behaviour under test: the partition lasts 5 s, past the
        //  broker's 3 heartbeats, before it heals
        zclock_sleep ((int) (5000 - elapsed));
    cr_assert_eq (s_run ("ip netns exec %s nft delete table inet zafpart", s_netns), 0);

    //  p1 registers again, as a new peer
    char *after = zt_wait_new_peer (z, "p1", before, 15000);
    cr_assert (after && before && strneq (after, before), "p1 did not come back as a new incarnation");
    //  Its old actor stays dead (its value 7 is gone with it); the
    //  restarted one answers once, from p2 only; p1 takes new actors
    value = zt_call (z, mortal, "get", NULL, 5000, &err);
    cr_expect_null (value);
    cr_expect_eq (err.code, ZAF_ACTOR_DIED, "%s", err.message);
    zaf_error_t status_err;
    cJSON *status = zaf_client_status (z, zaf_json ("{\"actors\":true}"), 2000, &status_err);
    int copies = 0;
    const cJSON *actor;
    cJSON_ArrayForEach (actor, cJSON_GetObjectItem (status, "actors"))
        if (streq (zaf_json_string (actor, "id", ""), zaf_actor_id (phoenix)))
            copies++;
    cJSON_Delete (status);
    cr_expect_eq (copies, 1);
    zaf_actor_t *fresh = zaf_spawn (z, "Counter", NULL, &plain, &err);
    cr_expect_not_null (fresh, "spawn on the healed node: %s", err.message);
    if (fresh) {
        value = zt_call (z, fresh, "add", zaf_json ("[3]"), 5000, &err);
        cr_expect (value && value->valueint == 3);
        cJSON_Delete (value);
    }
    zaf_actor_destroy (&fresh);
    free (before);
    free (after);
    zaf_actor_destroy (&phoenix);
    zaf_actor_destroy (&mortal);
    zaf_actor_destroy (&safe);
    zaf_shutdown (&z);
    zt_proc_stop (&p1, SIGTERM, 10000);
    zt_proc_stop (&p2, SIGTERM, 10000);
    zt_proc_stop (&broker, SIGTERM, 10000);
    free (local);
    free (remote);
}
