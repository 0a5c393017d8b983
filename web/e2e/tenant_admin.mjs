// A tenant admin in the portal, in Debian's chromium. Two acts, the test
// suspending the tenant between them:
//   limits:    sign in, add users until the plan's limit, take the upgrade it offers, add one more
//   suspended: sign in, see why the tenant is suspended and nothing it may not use
// Usage: node tenant_admin.mjs <portal URL> <tenant admin token> <company name> <act> [screenshot dir]
import { openBrowser } from "./browser.mjs";

const [url, token, company, act, shots] = process.argv.slice(2);
// A 401 tells the page it is signed out and a 403 limit_exceeded is the limit being met, on purpose.
const { browser, page, shot, step, finish } = await openBrowser({ shots, prefix: "admin-", expectedStatus: /status of 40[13]/,
  viewport: { width: 1280, height: 900 } });

try {
  await step("sign in to its own tenant", async () => {
    await page.goto(url);
    await page.getByLabel("Token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: company }).waitFor();
  });
  if (act === "limits") {
    await step("replace the payment method", async () => {
      await page.getByRole("button", { name: "Replace" }).click();
      await page.getByLabel("New payment method").fill("pm_card_mastercard");
      await page.getByRole("button", { name: "Save" }).click();
      await page.getByText("pm_card_mastercard", { exact: true }).waitFor();
    });
    await step("add users until the limit, and be offered the upgrade", async () => {
      await page.getByRole("tab", { name: "Companies and users" }).click();
      await page.getByText(/^\d+ of 5 users in this company/).waitFor();
      for (let i = 1; i <= 6; i++) {
        await page.getByLabel("Email").fill(`user${i}@example.com`);
        await page.getByLabel("Name", { exact: true }).fill(`User ${i}`);
        await page.getByRole("button", { name: "Add user" }).click();
        const offered = page.getByRole("button", { name: "Upgrade to professional" });
        const added = page.getByRole("cell", { name: `user${i}@example.com` });
        await offered.or(added).first().waitFor();
        if (await offered.isVisible()) break;
      }
      await page.getByText("Your starter plan allows 5 users per company.").waitFor();
      await shot("limit");
    });
    await step("upgrade from the offer", async () => {
      await page.getByRole("button", { name: "Upgrade to professional" }).click();
      await page.getByLabel("Invoice preview").getByText("Remaining time on Professional (monthly)").waitFor();
      await page.getByRole("button", { name: /^Confirm and charge/ }).click();
      await page.getByText(/^Now on professional: invoice INV-/).waitFor();
      await page.getByRole("dialog").getByRole("button", { name: "Close" }).click();
    });
    await step("add the user the limit held back", async () => {
      await page.getByText(/^5 of \d+ users in this company \(your professional plan\)/).waitFor();
      await page.getByRole("button", { name: "Add user" }).click();
      await page.getByText(/^6 of \d+ users in this company/).waitFor();
      await shot("upgraded");
    });
    await step("add a company and remove it", async () => {
      await page.getByText("1 of 3 companies (your professional plan)").waitFor();
      await page.getByLabel("Company code").fill("branch");
      await page.getByLabel("Company name").fill("Branch Office");
      await page.getByRole("button", { name: "Add company" }).click();
      await page.getByText("2 of 3 companies (your professional plan)").waitFor();
      await page.getByRole("button", { name: "Remove company" }).click();
      await page.getByRole("tooltip").getByRole("button", { name: "Remove" }).click();
      await page.getByText("1 of 3 companies (your professional plan)").waitFor();
    });
    await step("remove a user", async () => {
      await page.getByRole("button", { name: "Remove User 1" }).click();
      await page.getByRole("tooltip").getByRole("button", { name: "Remove" }).click();
      await page.getByText(/^5 of \d+ users in this company/).waitFor();
      if (await page.getByRole("cell", { name: "user1@example.com" }).count()) throw new Error("the removed user is still listed");
    });
  } else {
    await step("see why it is suspended", async () => {
      await page.getByRole("alert").getByText(/is suspended: an operator suspended it: legal hold/).waitFor();
      if (await page.getByRole("tab", { name: "Companies and users" }).count()) throw new Error("a suspended tenant's admin is offered its companies");
      await shot("suspended");
    });
  }
  finish();
} finally {
  await browser.close();
}
