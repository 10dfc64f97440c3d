// The dashboard in a real browser: Debian's chromium driven by playwright-core against a
// running local offboard that tests/e2e/browser.rs started and filled with cases. It signs
// in on the Entra ID stand-in's page as the auditor and as the operator, renders every page,
// runs axe-core on each (no serious or critical violation may remain), checks that the
// strict CSP blocked nothing the pages need, walks the filters, the keyboard, the in-browser
// verifier (a good packet passes, a tampered file fails), the auditor's missing retry button
// and 403, the operator's retry through the page, the held cases (no approve button and a 403
// for the auditor, the operator's approval through the page), the findings page, and saves
// the README's screenshots.
//
// Input (environment): OFFBOARD_BASE_URL, OFFBOARD_CASE (a completed case),
// OFFBOARD_FAILED_CASE (a case with a failed reset-password), OFFBOARD_HELD_CASE (a case held
// for approval, raised with a reason that is markup), OFFBOARD_TAMPERED (a tampered
// packet file), OFFBOARD_PLAN_FOR (a UPN to preview), OFFBOARD_SCREENSHOTS (a directory),
// CHROMIUM (default /usr/bin/chromium). Output: one JSON document on stdout; exit 1 on any
// failed check.
"use strict";
const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const base = env("OFFBOARD_BASE_URL");
const done = env("OFFBOARD_CASE");
const failed = env("OFFBOARD_FAILED_CASE");
const held = env("OFFBOARD_HELD_CASE");
const tampered = env("OFFBOARD_TAMPERED");
const planFor = env("OFFBOARD_PLAN_FOR");
const shots = env("OFFBOARD_SCREENSHOTS");
const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const report = { pages: [], failures: [] };
const fail = (what) => report.failures.push(what);
const check = (ok, what) => {
  if (!ok) fail(what);
};

async function audit(page, who, name, shot) {
  const violations = await page.evaluate(async (src) => {
    // Run through the debugging protocol, which the page's CSP does not govern; the page's
    // own scripts stay under it.
    (0, eval)(src);
    const r = await globalThis.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help }));
  }, axeSource);
  const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  report.pages.push({ who, name, url: page.url(), violations });
  for (const v of serious) fail(`${who} ${name}: axe ${v.impact} ${v.id} (${v.help}) on ${v.nodes} nodes`);
  if (shot) await page.screenshot({ path: path.join(shots, `${shot}.png`) });
}

async function signIn(browser, upn, role) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  const blocked = [];
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) blocked.push(m.text());
  });
  page.on("pageerror", (e) => fail(`${upn}: script error ${e.message}`));
  await page.goto(`${base}/api/dashboard`);
  // The stand-in's sign-in page: a person and the roles to hold.
  await page.check(`input[name="login_hint"][value="${upn}"]`);
  await page.check(`input[name="role"][value="${role}"]`);
  await Promise.all([
    page.waitForURL((u) => new URL(u).pathname === "/api/dashboard", { timeout: 20000 }),
    page.click('button[type="submit"]'),
  ]);
  return { context, page, blocked };
}

(async () => {
  fs.mkdirSync(shots, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--no-proxy-server"],
    headless: true,
  });
  try {
    // The auditor.
    const a = await signIn(browser, "ada.auditor@contoso.example", "Offboard.Auditor");
    const p = a.page;
    check((await p.textContent("header")).includes("ada.auditor@contoso.example"), "auditor: header names her");
    await audit(p, "auditor", "overview", "overview");
    await p.goto(`${base}/api/dashboard/cases`);
    await audit(p, "auditor", "cases", "cases");
    const all = await p.locator("table.cases tbody tr").count();
    check(all >= 2, `auditor: the list shows the cases (${all})`);
    // A filter through the form, as a person uses it.
    await p.selectOption("#f-status", "completed_with_exceptions");
    await Promise.all([p.waitForURL(/status=completed_with_exceptions/), p.click('form.filters button[type="submit"]')]);
    const filtered = await p.locator("table.cases tbody tr").count();
    check(filtered >= 1 && filtered < all, `auditor: the status filter narrows ${all} to ${filtered}`);
    // Keyboard: the first Tab reaches the skip link, Enter moves to the content.
    await p.keyboard.press("Tab");
    check((await p.evaluate(() => document.activeElement && document.activeElement.className)) === "skip", "keyboard: skip link first");
    await p.goto(`${base}/api/dashboard/cases/${done}`);
    await audit(p, "auditor", "case", "case");
    // The in-browser verifier: the served packet passes, a tampered file fails.
    await p.click("#verify-server");
    await p.waitForSelector('#verify-result[data-ok]');
    check((await p.getAttribute("#verify-result", "data-ok")) === "true", "verifier: the served packet verifies");
    await p.setInputFiles("#verify-file", tampered);
    await p.waitForFunction(() => document.querySelector("#verify-result").dataset.ok === "false");
    check((await p.textContent("#verify-result")).includes("NOT verified"), "verifier: the tampered file fails");
    await audit(p, "auditor", "case after verifying", "verify");
    await p.goto(`${base}/api/dashboard/cases/${failed}`);
    check((await p.locator("button.retry").count()) === 0, "auditor: no retry button");
    const status = await p.evaluate(async ({ failed }) => {
      const csrf = document.querySelector('input[name="csrf"]').value;
      const r = await fetch(`/api/cases/${failed}/steps/reset-password/retry`, {
        method: "POST",
        headers: { "X-CSRF-Token": csrf },
      });
      return r.status;
    }, { failed });
    check(status === 403, `auditor: the retry API answers 403 (got ${status})`);
    await p.goto(`${base}/api/dashboard/reports?from=2000-01-01&to=2100-12-31`);
    await audit(p, "auditor", "reports", "reports");
    check((await p.textContent("main")).includes("SHA-256"), "reports: the SHA-256 is shown");
    check((await p.locator('a[href*="format=xlsx"]').count()) === 1, "reports: an XLSX download");
    await p.goto(`${base}/api/dashboard/held`);
    await audit(p, "auditor", "held", null);
    check((await p.locator(`a[href="/api/dashboard/cases/${held}"]`).count()) === 1, "held: the held case is listed");
    check((await p.locator("button.approve").count()) === 0, "auditor: no approve button");
    check((await p.locator("main script").count()) === 0, "held: the reason's markup is not a script");
    check((await p.textContent("main")).includes("<script>"), "held: the reason's markup shows as text");
    const decided = await p.evaluate(async ({ held }) => {
      const csrf = document.querySelector('input[name="csrf"]').value;
      const r = await fetch(`/api/cases/${held}/approve`, {
        method: "POST",
        headers: { "X-CSRF-Token": csrf, "Content-Type": "application/json" },
        body: JSON.stringify({ reason: "an auditor tries" }),
      });
      return r.status;
    }, { held });
    check(decided === 403, `auditor: the approve API answers 403 (got ${decided})`);
    await p.goto(`${base}/api/dashboard/findings?status=all`);
    await audit(p, "auditor", "findings", "findings");
    check(a.blocked.length === 0, `auditor: the CSP blocked ${JSON.stringify(a.blocked)}`);
    await a.context.close();

    // The operator.
    const o = await signIn(browser, "otto.operator@contoso.example", "Offboard.Operator");
    const q = o.page;
    await audit(q, "operator", "overview", null);
    await q.goto(`${base}/api/dashboard/plan?who=${encodeURIComponent(planFor)}`);
    await audit(q, "operator", "plan preview", "plan");
    check((await q.textContent("main")).includes("nothing was changed"), "plan: a dry run");
    await q.goto(`${base}/api/dashboard/cases/${failed}`);
    await audit(q, "operator", "case with a failed step", null);
    check((await q.locator("button.retry").count()) === 1, "operator: one retry button");
    await Promise.all([
      q.waitForURL(`${base}/api/dashboard/cases/${failed}`),
      q.click("button.retry"),
    ]);
    // The held case: approved through the page's form, with a reason.
    await q.goto(`${base}/api/dashboard/held`);
    await audit(q, "operator", "held", "held");
    check((await q.locator("button.approve").count()) >= 1, "operator: an approve button");
    await q.fill(`#reason-${held}`, "confirmed with HR");
    await Promise.all([
      q.waitForURL(/\/api\/dashboard\/held\?decided=/),
      q.click(`form[action="/api/dashboard/cases/${held}/decision"] button.approve`),
    ]);
    check((await q.textContent("main")).includes("is recorded"), "operator: the approval is confirmed");
    check(o.blocked.length === 0, `operator: the CSP blocked ${JSON.stringify(o.blocked)}`);
    await o.context.close();
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(report));
  process.exit(report.failures.length ? 1 : 0);
})().catch((e) => {
  report.failures.push(String(e && e.stack ? e.stack : e));
  console.log(JSON.stringify(report));
  process.exit(1);
});
