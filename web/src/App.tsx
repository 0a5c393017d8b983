import { lazy, Suspense, useEffect, useState } from "react";
import { Button, Layout, Spin, Typography } from "antd";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, HTTPError, type Session } from "./api/client";
import { SignIn } from "./pages/SignIn";
// The pages after signing in load when first shown: the sign-in page stays light.
const Tenants = lazy(() => import("./pages/Tenants").then((m) => ({ default: m.Tenants })));
const TenantPage = lazy(() => import("./pages/TenantPage").then((m) => ({ default: m.TenantPage })));
const NewTenant = lazy(() => import("./pages/NewTenant").then((m) => ({ default: m.NewTenant })));
const Operations = lazy(() => import("./pages/Operations").then((m) => ({ default: m.Operations })));
const Dashboard = lazy(() => import("./pages/Dashboard").then((m) => ({ default: m.Dashboard })));

// The route is the URL's path: / lists tenants, /tenants/{id} shows one.
function usePath(): [string, (p: string) => void] {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const back = () => setPath(window.location.pathname);
    window.addEventListener("popstate", back);
    return () => window.removeEventListener("popstate", back);
  }, []);
  return [path, (p: string) => {
    window.history.pushState(null, "", p);
    setPath(p);
  }];
}

export function App() {
  const queries = useQueryClient();
  const [path, go] = usePath();
  const session = useQuery<Session | null>({
    queryKey: ["session"],
    queryFn: () => api.session().catch((e) => (e instanceof HTTPError && e.status === 401 ? null : Promise.reject(e))),
  });
  if (session.isPending) return <Spin fullscreen />;
  if (!session.data) return <SignIn onSignedIn={(s) => queries.setQueryData(["session"], s)} />;
  // A tenant admin's home is its own tenant; an operator's, the tenant list.
  const tenantID = path.match(/^\/tenants\/([0-9a-f-]{36})$/)?.[1] ?? (session.data.role === "operator" ? undefined : session.data.tenant_id ?? undefined);
  return (
    <Layout style={{ minHeight: "100vh" }}>
      <Layout.Header style={{ display: "flex", alignItems: "center", gap: 16 }}>
        <Typography.Title level={4} style={{ color: "#fff", margin: 0, flex: 1 }}>
          <a href="/" style={{ color: "inherit" }} onClick={(e) => { e.preventDefault(); go("/"); }}>landlord</a>
        </Typography.Title>
        {session.data.role === "operator" && (
          <nav aria-label="Sections" style={{ display: "flex", gap: 16 }}>
            {[["/", "Tenants"], ["/dashboard", "Dashboard"], ["/operations", "Operations"]].map(([to, label]) => (
              <a key={to} href={to} style={{ color: "#fff" }} onClick={(e) => { e.preventDefault(); go(to); }}>{label}</a>
            ))}
          </nav>
        )}
        <Typography.Text style={{ color: "#fff" }}>{session.data.role === "operator" ? "Operator" : "Tenant admin"}</Typography.Text>
        <Button
          onClick={async () => {
            await api.signOut();
            queries.setQueryData(["session"], null);
            queries.removeQueries({ predicate: (q) => q.queryKey[0] !== "session" }); // nothing of the session stays in memory
          }}
        >
          Sign out
        </Button>
      </Layout.Header>
      <Layout.Content style={{ padding: 24 }}>
        <Suspense fallback={<Spin />}>
        {tenantID ? (
          <TenantPage id={tenantID} session={session.data} open={(id) => go(`/tenants/${id}`)} />
        ) : path === "/new" ? (
          <NewTenant open={(id) => go(`/tenants/${id}`)} />
        ) : path === "/dashboard" ? (
          <Dashboard />
        ) : path === "/operations" ? (
          <Operations />
        ) : (
          <Tenants open={(id) => go(`/tenants/${id}`)} create={() => go("/new")} />
        )}
        </Suspense>
      </Layout.Content>
    </Layout>
  );
}
