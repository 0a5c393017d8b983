import { useState } from "react";
import { Alert, Button, Descriptions, Input, Progress, Space, Spin, Table, Tabs, Typography } from "antd";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, money, type AuditEntry, type Invoice, type Session, type Tenant, type Usage } from "../api/client";
import { StatusBadge } from "./status";
import { ChangePlan } from "./ChangePlan";
import { Companies } from "./Companies";
import { Timeline } from "./Timeline";
import { Ask } from "./Ask";

const date = (d?: string | null) => (d ? new Date(d).toLocaleString() : "—");

// A tenant's page: who it is, where it stands, what it uses, what it was
// billed and what happened to it; an operator acts on it from here.
export function TenantPage({ id, session, open }: { id: string; session: Session; open: (id: string) => void }) {
  const tenant = useQuery({
    queryKey: ["tenant", id],
    queryFn: () => api.tenant(id),
    refetchInterval: (q) => (q.state.data?.status === "provisioning" ? 1000 : false), // onboarding shows its steps live
  });
  const [changing, setChanging] = useState<string | false>(false); // false, or the plan to start from ("" for none)
  if (tenant.isPending) return <Spin />;
  if (tenant.isError) return <Alert type="error" showIcon message={tenant.error.message} />;
  const t = tenant.data;
  const operator = session.role === "operator";
  return (
    <Space direction="vertical" size="middle" style={{ width: "100%" }}>
      <Space align="center" wrap>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t.name} <StatusBadge status={t.status} />
        </Typography.Title>
        {["trial", "active", "past_due"].includes(t.status) && <Button onClick={() => setChanging("")}>Change plan</Button>}
        {operator && <SuspendOrReactivate tenant={t} />}
        {operator && <Cancel tenant={t} />}
      </Space>
      {t.status === "suspended" && <SuspendedBanner tenant={t} operator={operator} />}
      {(t.status === "failed" || t.onboarding?.retrying) && <Onboarding tenant={t} operator={operator} open={open} />}
      {changing !== false && <ChangePlan tenant={t} initialPlan={changing} operator={operator} open close={() => setChanging(false)} />}
      <Tabs
        items={[
          { key: "overview", label: "Overview", children: <Overview t={t} operator={operator} /> },
          ...(operator ? [{ key: "timeline", label: "Timeline", children: <Timeline tenant={t} /> }] : []),
          ...(!operator && t.status !== "suspended"
            ? [{ key: "companies", label: "Companies and users", children: <Companies tenant={t} upgrade={(plan: string) => setChanging(plan)} /> }]
            : []),
          { key: "invoices", label: "Invoices", children: <Invoices id={id} /> },
          ...(operator || t.status !== "suspended" ? [{ key: "audit", label: "Audit log", children: <Audit id={id} /> }] : []),
        ]}
      />
    </Space>
  );
}

function Overview({ t, operator }: { t: Tenant; operator: boolean }) {
  // Usage is measured in the tenant's database, which is closed unless the tenant is live.
  const open = ["trial", "active", "past_due"].includes(t.status) && !!t.database.name;
  const usage = useQuery({ queryKey: ["usage", t.id], queryFn: () => api.usage(t.id), enabled: open });
  return (
    <Space direction="vertical" size="large" style={{ width: "100%" }}>
      <Descriptions bordered column={2} size="small">
        <Descriptions.Item label="Subdomain">{t.subdomain}</Descriptions.Item>
        <Descriptions.Item label="Admin">{t.admin_email}</Descriptions.Item>
        <Descriptions.Item label="Plan">{t.plan_code} ({t.billing_cycle})</Descriptions.Item>
        <Descriptions.Item label="Pending plan">{t.pending_plan_code ?? "—"}</Descriptions.Item>
        <Descriptions.Item label="Trial ends">{date(t.trial_ends_at)}</Descriptions.Item>
        <Descriptions.Item label="Current period">{t.current_period_start ? `${date(t.current_period_start)} – ${date(t.current_period_end)}` : "—"}</Descriptions.Item>
        <Descriptions.Item label="Database">{t.database.name ?? "—"} on {t.database.server ?? "—"}</Descriptions.Item>
        <Descriptions.Item label="Credit balance">{money(t.credit_balance_cents)}</Descriptions.Item>
        <Descriptions.Item label="Payment method">
          {!operator && ["trial", "active", "past_due"].includes(t.status) ? <PaymentMethod tenant={t} /> : t.payment_method ?? "none"}
        </Descriptions.Item>
      </Descriptions>
      {open ? usage.data && <UsageBars u={usage.data} /> : <Alert type="info" showIcon message="Its database is closed: usage is measured while the tenant is live." />}
    </Space>
  );
}

// Limits beside usage: a bar turns amber at 90 % and red when full.
export function UsageBars({ u }: { u: Usage }) {
  const rows: [string, Usage["companies"]][] = [
    ["Companies", u.companies],
    ["Users", u.users],
    ["Transactions this month", u.transactions_this_month],
    ["Storage (bytes)", u.storage_bytes],
  ];
  return (
    <Descriptions title="Limits and usage" bordered column={1} size="small">
      {rows.map(([label, { used, limit }]) => {
        const percent = limit ? Math.min(100, Math.round((used / limit) * 100)) : 0;
        return (
          <Descriptions.Item key={label} label={label}>
            <Space style={{ width: "100%" }}>
              <Progress
                aria-label={`${label} used`}
                percent={percent}
                status={percent >= 100 ? "exception" : "normal"}
                strokeColor={percent >= 100 ? undefined : percent >= 90 ? "#faad14" : undefined}
                style={{ width: 240 }}
              />
              <span>{used} of {limit ?? "unlimited"}</span>
            </Space>
          </Descriptions.Item>
        );
      })}
    </Descriptions>
  );
}

function Invoices({ id }: { id: string }) {
  const invoices = useQuery({ queryKey: ["invoices", id], queryFn: () => api.invoices(id) });
  return (
    <Table<Invoice>
      rowKey="id"
      loading={invoices.isPending}
      dataSource={invoices.data}
      pagination={false}
      expandable={{
        expandedRowRender: (inv) => (
          <Space direction="vertical" style={{ width: "100%" }}>
            <Table size="small" pagination={false} rowKey={(l) => l.description} dataSource={inv.lines}
              columns={[
                { title: "Line", dataIndex: "description" },
                { title: "Amount", dataIndex: "amount_cents", align: "right", render: (c: number) => money(c, inv.currency) },
              ]} />
            {inv.payments.length > 0 && (
              <Table size="small" pagination={false} rowKey="id" dataSource={inv.payments} aria-label={`Payments of ${inv.number}`}
                columns={[
                  { title: "Charged", dataIndex: "created_at", render: date },
                  { title: "Amount", dataIndex: "amount_cents", align: "right", render: (c: number) => money(c, inv.currency) },
                  { title: "Outcome", dataIndex: "status" },
                  { title: "Why", render: (_, p) => p.failure_message ?? p.failure_code ?? "" },
                ]} />
            )}
          </Space>
        ),
      }}
      columns={[
        { title: "Number", dataIndex: "number" },
        { title: "Status", dataIndex: "status" },
        { title: "Total", dataIndex: "total_cents", align: "right", render: (c: number, inv) => money(c, inv.currency) },
        { title: "Created", dataIndex: "created_at", render: date },
        { title: "Paid", dataIndex: "paid_at", render: date },
      ]}
    />
  );
}

function Audit({ id }: { id: string }) {
  const audit = useQuery({ queryKey: ["audit", id], queryFn: () => api.audit(id) });
  return (
    <Table<AuditEntry>
      rowKey="id"
      size="small"
      loading={audit.isPending}
      dataSource={audit.data}
      pagination={false}
      columns={[
        { title: "When", dataIndex: "created_at", render: date },
        { title: "What", dataIndex: "action" },
        { title: "Who", dataIndex: "actor" },
        { title: "Details", dataIndex: "details", render: (d: unknown) => <code style={{ wordBreak: "break-all" }}>{JSON.stringify(d)}</code> },
      ]}
    />
  );
}

// An operator suspends a live tenant, or lets a suspended one back, for a
// reason the audit log keeps; each asks first and says what follows.
function SuspendOrReactivate({ tenant }: { tenant: Tenant }) {
  const queries = useQueryClient();
  const [asking, setAsking] = useState(false);
  const back = tenant.status === "suspended" || tenant.status === "cancelled";
  const act = useMutation({
    mutationFn: (reason: string) => (back ? api.reactivate(tenant.id, reason) : api.suspend(tenant.id, reason)),
    onSuccess: (t: Tenant) => {
      queries.setQueryData(["tenant", t.id], t);
      for (const k of ["audit", "timeline"]) queries.invalidateQueries({ queryKey: [k, t.id] });
      setAsking(false);
    },
  });
  if (!back && !["trial", "active", "past_due"].includes(tenant.status)) return null;
  return (
    <>
      <Button danger={!back} onClick={() => { act.reset(); setAsking(true); }}>{back ? "Reactivate" : "Suspend"}</Button>
      <Ask
        open={asking}
        title={back ? `Reactivate ${tenant.name}?` : `Suspend ${tenant.name}?`}
        consequence={back
          ? "Its database opens to it again and its admin can use everything, in the status it had before."
          : "Its database closes to it at once and its admin can only pay until an operator reactivates it."}
        okText={back ? "Reactivate" : "Suspend"}
        danger={!back}
        pending={act.isPending}
        error={act.error}
        onCancel={() => setAsking(false)}
        onOk={(reason) => act.mutate(reason)}
      />
    </>
  );
}

// Cancelling: the tenant is blocked now and archived after the retention period.
function Cancel({ tenant }: { tenant: Tenant }) {
  const queries = useQueryClient();
  const [asking, setAsking] = useState(false);
  const cancel = useMutation({
    // The offboarding starts on its own: the page waits (up to 20 s) to show the tenant cancelled.
    mutationFn: async (reason: string) => {
      await api.cancel(tenant.id, reason);
      for (let i = 0; i < 40; i++) {
        const t = await api.tenant(tenant.id);
        if (t.status !== tenant.status) return t;
        await new Promise((r) => setTimeout(r, 500));
      }
      return api.tenant(tenant.id);
    },
    onSuccess: (t: Tenant) => {
      queries.setQueryData(["tenant", t.id], t);
      for (const k of ["audit", "timeline"]) queries.invalidateQueries({ queryKey: [k, t.id] });
      setAsking(false);
    },
  });
  if (!["trial", "active", "past_due", "suspended"].includes(tenant.status)) return null;
  return (
    <>
      <Button danger onClick={() => { cancel.reset(); setAsking(true); }}>Cancel tenant</Button>
      <Ask open={asking} title={`Cancel ${tenant.name}?`} okText="Cancel the tenant" danger
        consequence="It is blocked at once. Its data is kept for the retention period, then backed up and its database dropped; reactivating it before then brings it back."
        pending={cancel.isPending} error={cancel.error} onCancel={() => setAsking(false)} onOk={(reason) => cancel.mutate(reason)} />
    </>
  );
}

// A tenant admin's payment method: shown, and replaced (open invoices are charged to the new one).
function PaymentMethod({ tenant }: { tenant: Tenant }) {
  const queries = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [card, setCard] = useState("");
  const save = useMutation({
    mutationFn: () => api.setPaymentMethod(tenant.id, card.trim()),
    onSuccess: () => {
      for (const k of ["tenant", "invoices"]) queries.invalidateQueries({ queryKey: [k, tenant.id] });
      setEditing(false);
      setCard("");
    },
  });
  if (!editing) {
    return <Space>{tenant.payment_method ?? "none"}<Button size="small" onClick={() => setEditing(true)}>{tenant.payment_method ? "Replace" : "Add"}</Button></Space>;
  }
  return (
    <Space wrap>
      <Input aria-label="New payment method" placeholder="pm_…" value={card} onChange={(e) => setCard(e.target.value)} style={{ width: 200 }} />
      <Button type="primary" size="small" loading={save.isPending} disabled={!card.trim()} onClick={() => save.mutate()}>Save</Button>
      <Button size="small" onClick={() => setEditing(false)}>Keep the current one</Button>
      {save.isError && <Typography.Text type="danger">{save.error.message}</Typography.Text>}
    </Space>
  );
}

// An onboarding in trouble: a step being retried shows its attempt and error;
// a failed one its step and cause, and an operator may start it again.
function Onboarding({ tenant, operator, open }: { tenant: Tenant; operator: boolean; open: (id: string) => void }) {
  const [asking, setAsking] = useState(false);
  const restart = useMutation({ mutationFn: (reason: string) => api.restartOnboarding(tenant.id, reason), onSuccess: (o) => open(o.tenant.id) });
  const r = tenant.onboarding?.retrying;
  if (r && tenant.status === "provisioning") {
    return (
      <Alert type="warning" showIcon role="status"
        message={`Onboarding is retrying ${r.activity} (attempt ${r.attempt})`}
        description={`${r.last_error ?? ""}${r.next_attempt_at ? ` — next try at ${new Date(r.next_attempt_at).toLocaleTimeString()}` : ""}. It goes on by itself once the cause is gone.`} />
    );
  }
  return (
    <>
      <Alert type="error" showIcon role="alert"
        message="Onboarding failed, and everything it had made was undone"
        description={tenant.onboarding?.error ?? "no cause recorded"}
        action={operator && <Button onClick={() => setAsking(true)}>Start again</Button>} />
      <Ask
        open={asking}
        title={`Start ${tenant.name}'s onboarding again?`}
        consequence="A new tenant is made from the same company, subdomain, admin, plan and cycle; this one stays as the record of the attempt."
        okText="Start again"
        pending={restart.isPending}
        error={restart.error}
        onCancel={() => setAsking(false)}
        onOk={(reason) => restart.mutate(reason)}
      />
    </>
  );
}

// While suspended, the page says why and what brings the tenant back.
function SuspendedBanner({ tenant, operator }: { tenant: Tenant; operator: boolean }) {
  const queries = useQueryClient();
  const [card, setCard] = useState("");
  const unpaid = tenant.suspension_reason === "trial_expired" || tenant.suspension_reason === "payment_overdue";
  const pay = useMutation({
    mutationFn: () => api.setPaymentMethod(tenant.id, card.trim()),
    onSuccess: () => queries.invalidateQueries({ queryKey: ["tenant", tenant.id] }),
  });
  const why = { trial_expired: "its trial ended without a payment method", payment_overdue: "invoices are unpaid" }[tenant.suspension_reason ?? ""]
    ?? `an operator suspended it: ${tenant.suspension_reason ?? "no reason given"}`;
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      message={`${tenant.name} is suspended: ${why}.`}
      description={
        operator ? "Its database is closed to it; its admin can only pay." : unpaid ? (
          <Space direction="vertical">
            <span>Your data is kept. Add a payment method to pay what is open and come back at once{tenant.suspension_reason === "trial_expired" ? ", then choose a plan" : ""}.</span>
            <Space>
              <Input aria-label="Payment method" placeholder="pm_…" value={card} onChange={(e) => setCard(e.target.value)} style={{ width: 240 }} />
              <Button type="primary" loading={pay.isPending} disabled={!card.trim()} onClick={() => pay.mutate()}>Pay and come back</Button>
            </Space>
            {pay.isError && <span>{pay.error.message}</span>}
          </Space>
        ) : "Your data is kept. Contact us to come back."
      }
    />
  );
}
