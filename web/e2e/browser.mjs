// What both portal scenarios share: Debian's chromium through playwright-core,
// a list of problems (page errors, console errors but the expected 401 and
// 403 answers, serious axe-core violations on every page shown), screenshots,
// and named steps that screenshot where they fail.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export async function openBrowser({ shots, prefix = "", expectedStatus = /status of 401/, viewport = { width: 1280, height: 800 } }) {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
  const page = await browser.newPage({ viewport });
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && !expectedStatus.test(m.text()) && problems.push(`console: ${m.text()}`));
  // No serious or critical axe-core violation on any page shown. Ant Design's
  // select options carry aria-selected on elements without an option role:
  // its own markup, not ours.
  const accessible = async (name) => {
    await page.evaluate(axeSource); // through the debugger, so the page's CSP stays as it is
    const found = await page.evaluate(async () =>
      (await window.axe.run({ exclude: [".ant-select-item-option"] }, { resultTypes: ["violations"] })).violations
        .filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")})`));
    if (found.length) problems.push(`axe on ${name}:\n  ${found.join("\n  ")}`);
  };
  const shot = async (name) => {
    if (shots) await page.screenshot({ path: `${shots}/${prefix}${name}.png` });
    await accessible(name);
  };
  const step = async (what, fn) => {
    try {
      await fn();
    } catch (e) {
      if (shots) await page.screenshot({ path: `${shots}/${prefix}failed-${what.replaceAll(" ", "-")}.png` });
      throw new Error(`${what}: ${e.message}`);
    }
  };
  const finish = () => {
    if (problems.length) throw new Error(problems.join("\n"));
    console.log("ok");
  };
  return { browser, page, shot, step, finish };
}
