// The portal's one way to the API: same origin, the session cookie sent by
// the browser (never a token in page memory once signed in), the session's
// CSRF token on every change. Types come from the API's OpenAPI document.
import type { components, paths } from "./schema";

export type Tenant = components["schemas"]["Tenant"];
export type TenantList = components["schemas"]["TenantList"];
export type Session = components["schemas"]["Session"];
export type APIError = components["schemas"]["Error"]["error"];
export type Plan = components["schemas"]["Plan"];
export type PlanChange = components["schemas"]["PlanChangeRequest"];
export type PlanPreview = components["schemas"]["PlanPreview"];
export type PlanChangeResult = components["schemas"]["PlanChangeResponse"];
export type Invoice = components["schemas"]["Invoice"];
export type AuditEntry = components["schemas"]["Audit"];
export type Usage = components["schemas"]["UsageResponse"];
export type NewTenant = components["schemas"]["CreateTenantRequest"];
export type Onboarded = components["schemas"]["OnboardResponse"];
export type Company = components["schemas"]["Company"];
export type KPIs = components["schemas"]["KpiResponse"];
export type User = components["schemas"]["User"];
export type Timeline = components["schemas"]["Timeline"];
export type Bulk = components["schemas"]["Bulk"];
export type BulkRequest = components["schemas"]["BulkRequest"];
export type Sweep = components["schemas"]["Sweep"];
export type DatabaseServer = components["schemas"]["DatabaseServer"];
export type FleetMigration = components["schemas"]["FleetMigration"];

let csrf = "";

export class HTTPError extends Error {
  constructor(
    public status: number,
    public body: APIError | undefined,
  ) {
    super(body?.message ?? `HTTP ${status}`);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
  const res = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return undefined as T;
  const json = await res.json().catch(() => undefined);
  if (!res.ok) throw new HTTPError(res.status, json?.error);
  return json as T;
}

type TenantsQuery = NonNullable<paths["/v1/tenants"]["get"]["parameters"]["query"]>;

export const api = {
  async signIn(token: string): Promise<Session> {
    const s = await call<Session>("POST", "/v1/session", { token });
    csrf = s.csrf_token;
    return s;
  },
  async session(): Promise<Session> {
    const s = await call<Session>("GET", "/v1/session");
    csrf = s.csrf_token;
    return s;
  },
  async signOut(): Promise<void> {
    await call<void>("DELETE", "/v1/session");
    csrf = "";
  },
  tenants(q: TenantsQuery): Promise<TenantList> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== "") params.set(k, String(v));
    return call<TenantList>("GET", `/v1/tenants?${params}`);
  },
  createTenant(t: NewTenant): Promise<Onboarded> {
    return call<Onboarded>("POST", "/v1/tenants", t);
  },
  tenant(id: string): Promise<Tenant> {
    return call<Tenant>("GET", tenantPath(id));
  },
  kpis(month: string): Promise<KPIs> {
    return call<KPIs>("GET", `/v1/kpis?month=${encodeURIComponent(month)}`);
  },
  async companies(): Promise<Company[]> {
    return (await call<components["schemas"]["CompanyList"]>("GET", "/v1/companies")).companies;
  },
  async users(company: string): Promise<User[]> {
    return (await call<components["schemas"]["UserList"]>("GET", `/v1/companies/${encodeURIComponent(company)}/users`)).users;
  },
  createUser(company: string, u: components["schemas"]["UserRequest"]): Promise<User> {
    return call<User>("POST", `/v1/companies/${encodeURIComponent(company)}/users`, u);
  },
  setPaymentMethod(id: string, paymentMethod: string): Promise<components["schemas"]["PaymentMethodResponse"]> {
    return call("PUT", `${tenantPath(id)}/payment-method`, { payment_method: paymentMethod });
  },
  async plans(): Promise<Plan[]> {
    return (await call<components["schemas"]["PlanList"]>("GET", "/v1/plans")).plans;
  },
  previewPlanChange(id: string, change: PlanChange): Promise<PlanPreview> {
    return call<PlanPreview>("POST", `${tenantPath(id)}/plan/preview`, change);
  },
  changePlan(id: string, change: PlanChange): Promise<PlanChangeResult> {
    return call<PlanChangeResult>("POST", `${tenantPath(id)}/plan`, change);
  },
  suspend(id: string, reason: string): Promise<Tenant> {
    return call<Tenant>("POST", `${tenantPath(id)}/suspend`, { reason });
  },
  reactivate(id: string, reason: string): Promise<Tenant> {
    return call<Tenant>("POST", `${tenantPath(id)}/reactivate`, { reason });
  },
  cancel(id: string, reason: string): Promise<components["schemas"]["OffboardingStarted"]> {
    return call("DELETE", `${tenantPath(id)}?reason=${encodeURIComponent(reason)}`);
  },
  timeline(id: string): Promise<Timeline> {
    return call<Timeline>("GET", `${tenantPath(id)}/timeline`);
  },
  extendTrial(id: string, until: string, reason: string): Promise<Tenant> {
    return call<Tenant>("POST", `${tenantPath(id)}/trial/extend`, { until, reason });
  },
  endTrial(id: string, reason: string): Promise<Tenant> {
    return call<Tenant>("POST", `${tenantPath(id)}/trial/end`, { reason });
  },
  extendGrace(id: string, until: string, reason: string): Promise<Tenant> {
    return call<Tenant>("POST", `${tenantPath(id)}/grace`, { until, reason });
  },
  restartOnboarding(id: string, reason: string): Promise<Onboarded> {
    return call<Onboarded>("POST", `${tenantPath(id)}/onboarding/restart`, { reason });
  },
  startBulk(b: BulkRequest): Promise<Bulk> {
    return call<Bulk>("POST", "/v1/bulk-operations", b);
  },
  bulk(id: string): Promise<Bulk> {
    return call<Bulk>("GET", `/v1/bulk-operations/${encodeURIComponent(id)}`);
  },
  async sweeps(): Promise<Sweep[]> {
    return (await call<components["schemas"]["SweepList"]>("GET", "/v1/sweeps")).sweeps;
  },
  runSweep(name: string): Promise<unknown> {
    return call("POST", `/v1/sweeps/${encodeURIComponent(name)}`);
  },
  async databaseServers(): Promise<DatabaseServer[]> {
    return (await call<components["schemas"]["DatabaseServerList"]>("GET", "/v1/database-servers")).database_servers;
  },
  checkDatabaseServer(id: string): Promise<DatabaseServer> {
    return call<DatabaseServer>("POST", `/v1/database-servers/${encodeURIComponent(id)}/check`);
  },
  createCompany(c: components["schemas"]["CompanyRequest"]): Promise<Company> {
    return call<Company>("POST", "/v1/companies", c);
  },
  deleteCompany(id: string): Promise<void> {
    return call<void>("DELETE", `/v1/companies/${encodeURIComponent(id)}`);
  },
  async alerts(limit: number): Promise<components["schemas"]["Alert"][]> {
    return (await call<components["schemas"]["AlertList"]>("GET", `/v1/alerts?limit=${limit}`)).alerts;
  },
  async fleetMigrations(): Promise<FleetMigration[]> {
    return (await call<components["schemas"]["FleetMigrationList"]>("GET", "/v1/fleet/migrations")).migrations;
  },
  startFleetMigration(o: components["schemas"]["FleetMigrationRequest"]): Promise<FleetMigration> {
    return call<FleetMigration>("POST", "/v1/fleet/migrations", o);
  },
  signalFleetMigration(id: string, action: "pause" | "resume" | "abort"): Promise<FleetMigration> {
    return call<FleetMigration>("POST", `/v1/fleet/migrations/${encodeURIComponent(id)}/${action}`);
  },
  deleteUser(id: string): Promise<void> {
    return call<void>("DELETE", `/v1/users/${encodeURIComponent(id)}`);
  },
  exportURL(q: TenantsQuery): string {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== "" && k !== "sort" && k !== "limit" && k !== "cursor") params.set(k, String(v));
    return `/v1/tenants/export?${params}`;
  },
  async invoices(id: string): Promise<Invoice[]> {
    return (await call<components["schemas"]["InvoiceList"]>("GET", `${tenantPath(id)}/invoices`)).invoices;
  },
  async audit(id: string): Promise<AuditEntry[]> {
    return (await call<components["schemas"]["AuditList"]>("GET", `${tenantPath(id)}/audit?limit=50`)).audit;
  },
  usage(id: string): Promise<Usage> {
    return call<Usage>("GET", `${tenantPath(id)}/usage`);
  },
};

function tenantPath(id: string): string {
  return `/v1/tenants/${encodeURIComponent(id)}`;
}

// money is cents in a currency, as people read it.
export function money(cents: number, currency = "USD"): string {
  return new Intl.NumberFormat("en", { style: "currency", currency }).format(cents / 100);
}
