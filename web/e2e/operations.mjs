// The operator's day-two work in the portal, in Debian's chromium: a trial's
// end read on its timeline and run now; a failed onboarding started again; three
// tenants suspended in one bulk operation; the sweeps run from the operations page.
// Usage: node operations.mjs <portal URL> <operator token> <trial tenant id> <its trial end, ISO> <failed tenant id> [screenshot dir]
import { openBrowser } from "./browser.mjs";

const [url, token, trialID, trialEnds, failedID, shots] = process.argv.slice(2);

const { browser, page, shot, step, finish } = await openBrowser({ shots, prefix: "ops-", viewport: { width: 1400, height: 900 } });

try {
  await step("sign in", async () => {
    await page.goto(url);
    await page.getByLabel("Token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Tenants" }).waitFor();
  });
  await step("read the trial's end on its timeline", async () => {
    await page.goto(`${url}/tenants/${trialID}`);
    await page.getByRole("tab", { name: "Timeline" }).click();
    const next = page.getByRole("region", { name: "Next" });
    const row = next.getByRole("row").filter({ hasText: "The trial ends" });
    await row.getByText(new Date(trialEnds).toLocaleString(), { exact: false }).waitFor();
    await next.getByRole("row").filter({ hasText: "reminded" }).waitFor();
    await page.getByRole("region", { name: "What happened" }).getByText("provisioning → trial: onboarding complete").waitFor();
    await shot("timeline");
  });
  await step("run the trial's end now", async () => {
    const row = page.getByRole("region", { name: "Next" }).getByRole("row").filter({ hasText: "The trial ends" });
    await row.getByRole("button", { name: "Run now" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByText("It has no payment method: it is suspended at once").waitFor();
    await dialog.getByLabel("Reason").fill("the customer asked to stop the trial");
    await dialog.getByRole("button", { name: "End the trial" }).click();
    await page.getByRole("alert").getByText(/is suspended: its trial ended without a payment method/).waitFor();
    await page.getByRole("region", { name: "What happened" }).getByText("TRIAL_ENDED_EARLY").waitFor();
    await shot("trial-ended");
  });
  await step("see a failed onboarding and start it again", async () => {
    await page.goto(`${url}/tenants/${failedID}`);
    const failed = page.getByRole("alert").filter({ hasText: "Onboarding failed" });
    await failed.getByText(/billing_customer/).waitFor();
    await shot("onboarding-failed");
    await failed.getByRole("button", { name: "Start again" }).click();
    const dialog = page.getByRole("dialog", { name: /onboarding again/ });
    await dialog.getByLabel("Reason").fill("the card network is back");
    await dialog.getByRole("button", { name: "Start again", exact: true }).click();
    // The dialog closes once the new tenant's page opens, or says why not.
    await dialog.waitFor({ state: "hidden" }).catch(async (e) => {
      throw new Error(`${e.message}\nthe dialog still says: ${await dialog.innerText()}`);
    });
    await page.waitForURL((u) => u.pathname.startsWith("/tenants/") && !u.pathname.endsWith(failedID), { waitUntil: "commit" });
    await page.getByRole("heading", { name: "Acme ops-failed" }).getByText("trial").waitFor({ timeout: 30000 });
    await shot("onboarding-restarted");
  });
  await step("suspend three tenants in one operation", async () => {
    await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Tenants" }).click();
    await page.getByLabel("Search tenants").fill("ops-bulk");
    await page.getByLabel("Search tenants").press("Enter");
    await page.getByText("3 tenants", { exact: true }).waitFor();
    for (const s of ["a", "b", "c"]) await page.getByLabel(`Select Acme ops-bulk-${s}`).check();
    await page.getByText("3 selected:").waitFor();
    await page.getByRole("button", { name: "Suspend" }).click();
    const ask = page.getByRole("dialog", { name: "Suspend: 3 tenants?" });
    await ask.getByLabel("Reason").fill("chargebacks from one card");
    await ask.getByRole("button", { name: "Suspend" }).click();
    const progress = page.getByRole("dialog", { name: "Bulk operation" });
    await progress.getByText("Finished: 3 done of 3 tenants").waitFor({ timeout: 30000 });
    await shot("bulk-done");
    await progress.getByRole("button", { name: "Done" }).click();
    await page.getByRole("cell", { name: "suspended" }).nth(2).waitFor();
  });
  await step("export the list", async () => {
    const href = await page.getByRole("link", { name: "Export CSV" }).getAttribute("href");
    const res = await page.request.get(new URL(href, url).toString());
    const csv = await res.text();
    if (res.status() !== 200 || csv.trim().split("\n").length !== 4) throw new Error(`the export answered ${res.status()}:\n${csv}`);
  });
  await step("run a sweep from the operations page", async () => {
    await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Operations" }).click();
    const sweeps = page.getByRole("region", { name: "Sweeps" });
    await sweeps.getByRole("row").filter({ hasText: "trials" }).getByText("every 1h0m0s").waitFor();
    await sweeps.getByRole("button", { name: "Run now: trials" }).click();
    await sweeps.getByRole("row").filter({ hasText: "trials" }).getByText(/^completed, /).waitFor();
    await page.getByRole("region", { name: "Database servers" }).getByRole("cell", { name: "local", exact: true }).waitFor();
    const fleet = page.getByRole("region", { name: "Fleet migrations" });
    await fleet.getByRole("button", { name: "Roll out the tenant schema" }).click();
    // Every tenant database here was cloned from the current template: nothing is behind.
    await fleet.getByText("0 migrated, 0 failed, 0 skipped of 0").waitFor();
    await fleet.getByText("completed", { exact: true }).waitFor();
    await shot("operations");
  });
  finish();
} finally {
  await browser.close();
}
