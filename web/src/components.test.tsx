// Component tests: the portal's pieces rendered to HTML as React renders them
// for the browser, and its small rules on their own.
import { describe, expect, it } from "vitest";
import { renderToString } from "react-dom/server";
import { inWords } from "./pages/Timeline";
import { bulkSummary } from "./pages/BulkAction";
import { UsageBars } from "./pages/TenantPage";
import { Resources } from "./pages/ChangePlan";
import { StatusBadge } from "./pages/status";
import type { ReactElement } from "react";
import type { PlanPreview, Tenant, Usage } from "./api/client";

// html is what React sends the browser, without the markers between text parts.
const html = (el: ReactElement) => renderToString(el).replaceAll("<!-- -->", "");

describe("inWords", () => {
  const now = Date.parse("2026-11-30T12:00:00Z");
  it("says how far a time is, either way", () => {
    expect(inWords("2026-12-03T12:00:00Z", now)).toBe("in 3 days");
    expect(inWords("2026-11-30T13:00:00Z", now)).toBe("in 1 hour");
    expect(inWords("2026-11-30T11:15:00Z", now)).toBe("45 minutes ago");
    expect(inWords("2026-11-30T12:00:20Z", now)).toBe("now");
  });
});

describe("bulkSummary", () => {
  it("counts what is finished and what is not", () => {
    const items = [1, 2, 3, 4].map((i) => ({ tenant_id: String(i), status: "done", detail: "" }));
    expect(bulkSummary({ finished: false, items, counts: { done: 1, running: 2, pending: 1 } })).toBe("Working: 1 done, 2 running, 1 pending of 4 tenants");
    expect(bulkSummary({ finished: true, items: items.slice(0, 1), counts: { skipped: 1 } })).toBe("Finished: 1 skipped of 1 tenant");
  });
});

const usage = (companies: number, limit: number): Usage => ({
  tenant_id: "t", month: "2026-11", plan_code: "starter",
  companies: { used: companies, limit }, users: { used: 1, limit: null }, users_per_company: {},
  transactions_this_month: { used: 0, limit: 1000 }, storage_bytes: { used: 0, limit: 10 * 2 ** 30 },
});

describe("UsageBars", () => {
  it("turns a bar amber at 90 % and red when full", () => {
    const amber = html(<UsageBars u={usage(9, 10)} />);
    expect(amber).toContain("9 of 10");
    expect(amber).toContain("background:#faad14");
    const full = html(<UsageBars u={usage(10, 10)} />);
    expect(full).toContain("ant-progress-status-exception");
    const calm = html(<UsageBars u={usage(1, 10)} />);
    expect(calm).not.toContain("#faad14");
    expect(calm).not.toContain("ant-progress-status-exception");
  });
  it("says unlimited where a plan has no limit", () => {
    expect(html(<UsageBars u={usage(1, 10)} />)).toContain("1 of unlimited");
  });
});

describe("Resources", () => {
  const tenant = { limits: { max_companies: 3, max_users_per_company: 20, max_total_users: 60, max_transactions_per_month: 10000,
    max_storage_gb: 50, api_rate_limit_per_hour: 5000 } } as Tenant;
  const preview = { limits: { max_companies: 1, max_users_per_company: 5, max_total_users: 5, max_transactions_per_month: 1000,
    max_storage_gb: 10, api_rate_limit_per_hour: 1000 }, usage_measured: true,
    over: [{ limit: "max_companies", used: 2, allowed: 1 }] } as PlanPreview;
  it("shows each limit before and after, and the limits the tenant would be over", () => {
    const page = html(<Resources tenant={tenant} p={preview} />);
    expect(page).toContain("3 → 1");
    expect(page).toContain("Companies: 2 in use, the new plan allows 1");
  });
  it("says when usage could not be measured", () => {
    const page = html(<Resources tenant={tenant} p={{ ...preview, usage_measured: false, over: [] }} />);
    expect(page).toContain("Usage could not be measured");
    expect(page).not.toContain("in use");
  });
});

describe("StatusBadge", () => {
  it("reads a status as words", () => {
    expect(html(<StatusBadge status="past_due" />)).toContain("past due");
  });
});
