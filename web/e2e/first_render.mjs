// How long the portal's first page takes to show on a first visit, in Debian's
// chromium: each run a fresh browser context (nothing cached), from navigation
// start to the sign-in form drawn. Prints {"runs", "p50_ms", "max_ms"}.
// Usage: node first_render.mjs <portal URL> <runs>
import { chromium } from "playwright-core";

const [url, runs = "20"] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  const times = [];
  for (let i = 0; i < Number(runs); i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url);
    await page.getByText("Sign in to landlord").waitFor();
    times.push(await page.evaluate(() => performance.now()));
    await context.close();
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({ runs: times.length, p50_ms: times[Math.floor(times.length / 2)], max_ms: times[times.length - 1] }));
} finally {
  await browser.close();
}
