import { useState } from "react";
import { Alert, Button, Modal, Progress, Select, Space, Table, Tag } from "antd";
import { useMutation, useQuery } from "@tanstack/react-query";
import { api, type Bulk, type BulkRequest, type Tenant } from "../api/client";
import { Ask } from "./Ask";
import { tone } from "./status";

type Action = BulkRequest["action"];

const actions: { action: Action; label: string; consequence: string; danger?: boolean }[] = [
  { action: "suspend", label: "Suspend", consequence: "Their databases close to them at once; their admins can only pay.", danger: true },
  { action: "reactivate", label: "Reactivate", consequence: "Their databases open again, each in the status it had before." },
  { action: "change_plan", label: "Change plan", consequence: "Each one's change is invoiced and charged (upgrades) or scheduled (downgrades), as if asked alone." },
  { action: "extend_trial", label: "Extend trial", consequence: "Each trial's end moves to the date you choose; tenants not on a trial are skipped." },
];

// bulkSummary is a bulk operation's progress in one line.
export function bulkSummary(b: Pick<Bulk, "counts" | "items" | "finished">): string {
  const n = b.items.length;
  const parts = (["done", "skipped", "failed", "running", "pending"] as const).filter((k) => b.counts[k]).map((k) => `${b.counts[k]} ${k}`);
  return `${b.finished ? "Finished" : "Working"}: ${parts.join(", ")} of ${n} ${n === 1 ? "tenant" : "tenants"}`;
}

const statusColor: Record<string, string | undefined> = { done: tone.good, failed: tone.bad, running: tone.info };

// BulkAction acts on the tenants selected in the list, as one durable
// operation, and follows it tenant by tenant.
export function BulkAction({ selected, names, done }: { selected: string[]; names: Map<string, Tenant>; done: () => void }) {
  const [chosen, setChosen] = useState<(typeof actions)[number] | null>(null);
  const [plan, setPlan] = useState<string>();
  const [running, setRunning] = useState<string | null>(null);
  const plans = useQuery({ queryKey: ["plans"], queryFn: api.plans, enabled: chosen?.action === "change_plan" });
  const start = useMutation({
    mutationFn: ({ reason, date }: { reason: string; date?: string }) =>
      api.startBulk({ action: chosen!.action, tenant_ids: selected, reason, plan_code: plan, until: date }),
    onSuccess: (b) => { setChosen(null); setRunning(b.id); },
  });
  const progress = useQuery({
    queryKey: ["bulk", running],
    queryFn: () => api.bulk(running!),
    enabled: !!running,
    refetchInterval: (q) => (q.state.data?.finished ? false : 500),
  });
  const b = progress.data;
  return (
    <>
      <Space wrap aria-label="Bulk actions">
        <span>{selected.length} selected:</span>
        {actions.map((a) => (
          <Button key={a.action} size="small" danger={a.danger} disabled={!selected.length} onClick={() => { start.reset(); setPlan(undefined); setChosen(a); }}>
            {a.label}
          </Button>
        ))}
      </Space>
      {chosen && (
        <Ask
          open
          title={`${chosen.label}: ${selected.length} ${selected.length === 1 ? "tenant" : "tenants"}?`}
          consequence={
            <Space direction="vertical" style={{ width: "100%" }}>
              <span>{chosen.consequence}</span>
              {chosen.action === "change_plan" && (
                <Select aria-label="New plan" placeholder="New plan" style={{ width: "100%" }} value={plan} onChange={setPlan}
                  options={(plans.data ?? []).filter((p) => p.trial_days === 0).map((p) => ({ value: p.code, label: p.name }))} />
              )}
            </Space>
          }
          okText={chosen.label}
          danger={chosen.danger}
          withDate={chosen.action === "extend_trial" ? "Trial ends on" : undefined}
          pending={start.isPending}
          error={start.error}
          onCancel={() => setChosen(null)}
          onOk={(reason, date) => (chosen.action !== "change_plan" || plan) && start.mutate({ reason, date })}
        />
      )}
      <Modal title="Bulk operation" open={!!running} onCancel={() => { setRunning(null); done(); }} footer={
        <Button type="primary" disabled={!b?.finished} onClick={() => { setRunning(null); done(); }}>Done</Button>}>
        {progress.isError && <Alert type="error" showIcon message={progress.error.message} />}
        {b && (
          <Space direction="vertical" style={{ width: "100%" }}>
            <Progress aria-label="Bulk progress" percent={Math.round((((b.counts.done ?? 0) + (b.counts.skipped ?? 0) + (b.counts.failed ?? 0)) / b.items.length) * 100)}
              status={b.counts.failed ? "exception" : undefined} />
            <span role="status">{bulkSummary(b)}</span>
            <Table size="small" pagination={false} rowKey="tenant_id" dataSource={b.items}
              columns={[
                { title: "Tenant", dataIndex: "tenant_id", render: (id: string) => names.get(id)?.name ?? id },
                { title: "Outcome", dataIndex: "status", render: (s: string) => <Tag color={statusColor[s]}>{s}</Tag> },
                { title: "", dataIndex: "detail" },
              ]} />
          </Space>
        )}
      </Modal>
    </>
  );
}
