// The operator's first minutes in the portal, as a person clicks, in Debian's
// chromium: sign in with a token, find a tenant by search, open it, sign out.
// Usage: node operator.mjs <portal URL> <operator token> <subdomain> <company name> [screenshot dir]
import { openBrowser } from "./browser.mjs";

const [url, token, subdomain, company, shots] = process.argv.slice(2);
// A 401 is how the page learns it is signed out; any other console error is a problem.
const { browser, page, shot, step, finish } = await openBrowser({ shots });

try {
  await step("open the portal", async () => {
    await page.goto(url);
    await page.getByText("Sign in to landlord").waitFor();
    await shot("sign-in");
  });
  await step("refuse a wrong token", async () => {
    await page.getByLabel("Token").fill("llo_wrong");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("the token is not valid").waitFor();
  });
  await step("sign in with the keyboard alone", async () => {
    const field = page.getByLabel("Token");
    await field.fill("");
    await page.locator("body").click({ position: { x: 5, y: 5 } }); // focus nowhere in particular
    for (let i = 0; i < 10 && !(await field.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press("Tab");
    await page.keyboard.type(token);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Tenants" }).waitFor();
  });
  await step("reach a section with the keyboard", async () => {
    const link = page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Operations" });
    for (let i = 0; i < 15 && !(await link.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Operations" }).waitFor();
    await page.goBack();
    await page.getByRole("heading", { name: "Tenants" }).waitFor();
  });
  await step("keep the session out of scripts' reach", async () => {
    const cookies = await page.evaluate(() => document.cookie);
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    if (cookies.includes("landlord_session") || stored.includes(token)) throw new Error("a page script can read the session or the token");
  });
  await step("read this month's figures on the dashboard", async () => {
    await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Dashboard" }).click();
    const month = new Date().toISOString().slice(0, 7);
    const kpis = await (await page.request.get(`${url}/v1/kpis?month=${month}`)).json(); // with the session's cookie
    const paying = page.locator(".ant-statistic").filter({ hasText: "Paying tenants" });
    await paying.getByText(String(kpis.paying_tenants), { exact: true }).waitFor();
    if (kpis.paying_tenants < 2) throw new Error(`the month shows ${kpis.paying_tenants} paying tenants, the test made 2`);
    await page.getByText("MRR, last 12 months").waitFor();
    await shot("dashboard");
    await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Tenants" }).click();
    await page.getByRole("heading", { name: "Tenants" }).waitFor();
  });
  await step("create a tenant with the wizard and watch it onboard", async () => {
    await page.getByRole("button", { name: "New tenant" }).click();
    await page.getByLabel("Company name").fill("Wizard Works");
    await page.getByLabel("Subdomain").fill("portal-wizard");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Admin's name").fill("Wanda Wizard");
    await page.getByLabel("Admin's email").fill("wanda@portal-wizard.example.com");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("combobox", { name: "Plan" }).click({ force: true }); // Ant Design's select input is drawn transparent
    await page.getByTitle("Trial").click();
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByText("wanda@portal-wizard.example.com").waitFor();
    await shot("wizard-review");
    await page.getByRole("button", { name: "Create the tenant" }).click();
    await page.getByText("Wizard Works is trial").waitFor();
    await shot("wizard-ready");
    await page.getByRole("button", { name: "Open the tenant" }).click();
    await page.getByRole("heading", { name: "Wizard Works" }).waitFor();
    await page.getByRole("link", { name: "landlord" }).click();
    await page.getByRole("heading", { name: "Tenants" }).waitFor();
  });
  await step("find the tenant", async () => {
    await page.getByLabel("Search tenants").fill(subdomain);
    await page.getByLabel("Search tenants").press("Enter");
    await page.getByText("1 tenant", { exact: true }).waitFor();
    await page.getByRole("cell", { name: subdomain, exact: true }).waitFor();
    const rows = await page.locator("tbody tr.ant-table-row").count();
    if (rows !== 1) throw new Error(`${rows} rows for one tenant`);
    await shot("tenants");
  });
  await step("open the tenant", async () => {
    await page.getByRole("link", { name: company }).click();
    await page.getByRole("heading", { name: company }).waitFor();
    await page.getByText(subdomain, { exact: true }).waitFor();
    if (!page.url().includes("/tenants/")) throw new Error(`the URL is ${page.url()}`);
    await shot("tenant");
  });
  await step("read the preview, then upgrade", async () => {
    await page.getByRole("button", { name: "Change plan" }).click();
    await page.getByRole("combobox", { name: "Plan" }).click();
    await page.getByTitle(/^Professional/).click();
    const preview = page.getByLabel("Invoice preview");
    await preview.getByText("Remaining time on Professional (monthly)").waitFor();
    await page.getByLabel("Limits preview").getByText("1 → 3").waitFor();
    await shot("plan-preview");
    await page.getByRole("dialog").getByLabel("Reason").fill("the customer asked by phone");
    await page.getByRole("button", { name: /^Confirm and charge/ }).click();
    await page.getByText(/^Now on professional: invoice INV-/).waitFor();
    await page.getByRole("dialog").getByRole("button", { name: "Close" }).click();
    await page.getByRole("tab", { name: "Invoices" }).click();
    await page.getByRole("cell", { name: "paid", exact: true }).waitFor();
    await page.getByRole("button", { name: "Expand row" }).first().click();
    await page.getByLabel(/^Payments of INV-/).getByRole("cell", { name: "succeeded" }).waitFor();
    await shot("invoices");
  });
  await step("suspend with a reason", async () => {
    await page.getByRole("button", { name: "Suspend" }).click();
    await page.getByLabel("Reason").fill("chargeback under review");
    await page.getByRole("dialog").getByRole("button", { name: "Suspend" }).click();
    await page.getByRole("heading", { name: company }).getByText("suspended").waitFor();
    await page.getByRole("tab", { name: "Audit log" }).click();
    await page.getByRole("cell", { name: "TENANT_SUSPENDED" }).waitFor();
    await shot("suspended");
  });
  await step("cancel it, saying why", async () => {
    await page.getByRole("button", { name: "Cancel tenant" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByText(/Its data is kept for the retention period/).waitFor();
    await dialog.getByLabel("Reason").fill("the customer closes the business");
    await dialog.getByRole("button", { name: "Cancel the tenant" }).click();
    await page.getByRole("heading", { name: company }).getByText("cancelled").waitFor();
    await shot("cancelled");
  });
  await step("reload and stay signed in", async () => {
    await page.reload();
    await page.getByRole("heading", { name: company }).waitFor();
  });
  await step("sign out", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByText("Sign in to landlord").waitFor();
    await page.reload();
    await page.getByText("Sign in to landlord").waitFor();
  });
  finish();
} finally {
  await browser.close();
}
