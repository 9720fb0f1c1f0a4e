// dashboard.test.js - the dashboard page in a real browser, against a live cluster
//
// Usage: node dashboard.test.js BUILD_DIR
//
// Starts zaf-broker (dashboard on 127.0.0.1, port 0), a zaf-node with the
// tree_of_actors module and the tree_of_actors driver against them, then
// drives the system Chromium (/usr/bin/chromium, headless, a fresh
// profile) with playwright-core: the page must list the Supervisor and its
// three Workers ALIVE; after `zaf kill` of one Worker, its row must turn
// DEAD with cause "killed" within 2 s, without a reload. Saves a
// screenshot to BUILD_DIR/dashboard.png. Every process it starts is
// tracked by pid and killed at the end. Exits 0 on success, 1 on failure,
// 77 (skipped) if playwright-core is not installed (.ci/install-deps
// installs it with npm ci). Nothing is downloaded.

"use strict";
const { spawn, execFileSync } = require ("child_process");
const fs = require ("fs");
const os = require ("os");
const path = require ("path");
const readline = require ("readline");

let chromium;
try {
  ({ chromium } = require ("playwright-core"));
} catch (error) {
  console.log ("SKIP: playwright-core is not installed (cd tests/browser && npm ci)");
  process.exit (77);
}

const build = path.resolve (process.argv [2] || "build");
const bin = (name) => path.join (build, "bin", name);
const children = [];            // Every process we start, by pid
let profile = null;

function start (program, args) {
  const child = spawn (program, args, { stdio: ["ignore", "pipe", "inherit"] });
  children.push (child);
  return child;
}

// Lines of a child's stdout, kept so that they can be waited for in turn
function lines (child) {
  const seen = [];
  const waiters = [];
  readline.createInterface ({ input: child.stdout }).on ("line", (line) => {
    seen.push (line);
    for (const waiter of waiters.splice (0))
      waiter ();
  });
  // The first line that starts with prefix (the rest of it)
  return (prefix, timeoutMs) => new Promise ((resolve, reject) => {
    const timer = setTimeout (() => reject (new Error ("no '" + prefix + "' line")), timeoutMs);
    const look = () => {
      const found = seen.find ((line) => line.startsWith (prefix));
      if (found !== undefined) {
        clearTimeout (timer);
        resolve (found.slice (prefix.length).trim ());
      } else
        waiters.push (look);
    };
    look ();
  });
}

function cleanup () {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null)
      try { child.kill ("SIGKILL"); } catch (error) { /* already gone */ }
  if (profile)
    fs.rmSync (profile, { recursive: true, force: true });
}

async function main () {
  const broker = start (bin ("zaf-broker"),
    ["--bind", "tcp://127.0.0.1:0", "--dashboard", "127.0.0.1:0", "--heartbeat-ms", "200"]);
  const said = lines (broker);
  const endpoint = await said ("listening ", 10000);
  const url = await said ("dashboard ", 10000);
  console.log ("broker", endpoint, "dashboard", url);
  start (bin ("zaf-node"), ["--broker", endpoint, "--name", "browser-node",
                            "--module", path.join (build, "lib", "libtree_of_actors.so")]);
  // The node must have joined before the driver spawns: the API says when
  const deadline = Date.now () + 10000;
  for (;;) {
    const nodes = await fetch (url + "api/nodes").then ((r) => r.ok ? r.json () : { nodes: [] },
                                                       () => ({ nodes: [] }));
    if (nodes.nodes.some ((node) => node.name === "browser-node" && node.state === "UP"))
      break;
    if (Date.now () > deadline)
      throw new Error ("the node did not join");
    await new Promise ((resolve) => setTimeout (resolve, 50));    // poll interval
  }
  // Workers train for 60 s: the tree stays up while the page is checked
  const driver = start (bin ("tree_of_actors"),
                        ["--address", endpoint, "--duration-ms", "60000", "--poll-ms", "1000"]);
  driver.stdout.on ("data", (data) => process.stdout.write ("tree_of_actors: " + data));

  profile = fs.mkdtempSync (path.join (os.tmpdir (), "zaf-chromium-"));
  const context = await chromium.launchPersistentContext (profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1400, height: 1000 },
    bypassCSP: true             // The page forbids eval; the driver needs it for its probes
  });
  let page = null;
  try {
    page = context.pages () [0] || await context.newPage ();
    await page.goto (url);
    await page.waitForFunction (() => {
      const rows = [...document.querySelectorAll ("#actors tbody tr")];
      const alive = (cls) => rows.filter ((row) => row.dataset.class === cls && row.dataset.state === "ALIVE").length;
      return alive ("Supervisor") === 1 && alive ("Worker") === 3;
    }, null, { timeout: 20000 });
    console.log ("the Supervisor and its three Workers are shown ALIVE");

    // The same document all along: a reload would lose this mark
    await page.evaluate (() => { window.zafMark = "no reload"; });
    const worker = await page.$eval ("#actors tbody tr[data-class=Worker]", (row) => row.dataset.id);
    execFileSync (bin ("zaf"), ["--address", endpoint, "kill", worker], { stdio: "inherit", timeout: 10000 });
    const killedAt = Date.now ();
    await page.waitForFunction ((id) => {
      const row = document.querySelector ("#actors tbody tr[data-id='" + id + "']");
      return row && row.dataset.state === "DEAD"
          && row.querySelector ("td[data-col=cause]").textContent === "killed";
    }, worker, { timeout: 2000 });
    const seconds = (Date.now () - killedAt) / 1000;
    const mark = await page.evaluate (() => window.zafMark);
    if (mark !== "no reload")
      throw new Error ("the page was reloaded");
    console.log ("Worker " + worker + " shown DEAD (killed) " + seconds.toFixed (2) + " s after the kill, no reload");

    // The actor detail view opens on a click
    await page.click ("#actors tbody tr[data-class=Supervisor]");
    await page.waitForFunction (() => document.querySelector ("#detailbody table"), null, { timeout: 5000 });
    const shot = path.join (build, "dashboard.png");
    await page.screenshot ({ path: shot, fullPage: true });
    console.log ("screenshot", shot);
  } catch (error) {
    //  What the page showed, for the log
    if (page)
      console.error ("actors table:\n" + await page.$$eval ("#actors tbody tr",
        (rows) => rows.map ((row) => row.textContent.replace (/\s+/g, " ")).join ("\n")).catch (() => "?"));
    throw error;
  } finally {
    await context.close ();
  }
}

main ().then (() => { cleanup (); process.exit (0); },
              (error) => { console.error ("FAIL:", error.message); cleanup (); process.exit (1); });
process.on ("SIGTERM", () => { cleanup (); process.exit (1); });
