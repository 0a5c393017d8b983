import { useState } from "react";
import { Alert, Button, Space, Table, Tag, Typography } from "antd";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, type Tenant, type Timeline as TimelineData } from "../api/client";
import { Ask } from "./Ask";
import { tone } from "./status";

type Next = TimelineData["next"][number];
type Past = TimelineData["past"][number];
type Running = TimelineData["running"][number];

const when = (d: string) => new Date(d).toLocaleString();

// inWords says how far a time is from now, as a person would ("in 3 days", "2 hours ago").
export function inWords(at: string, now = Date.now()): string {
  const ms = new Date(at).getTime() - now;
  const abs = Math.abs(ms);
  const [n, unit] = abs >= 86_400_000 ? [Math.round(abs / 86_400_000), "day"] : abs >= 3_600_000 ? [Math.round(abs / 3_600_000), "hour"]
    : abs >= 60_000 ? [Math.round(abs / 60_000), "minute"] : [0, "now"];
  if (unit === "now") return "now";
  const span = `${n} ${unit}${n === 1 ? "" : "s"}`;
  return ms >= 0 ? `in ${span}` : `${span} ago`;
}

// One timeline per tenant: what the calendar does next (an operator may run a
// step now or move it, with a reason), what its workflows are doing right now
// (a step being retried shows its attempt and error), and everything that happened.
export function Timeline({ tenant }: { tenant: Tenant }) {
  const queries = useQueryClient();
  const timeline = useQuery({ queryKey: ["timeline", tenant.id], queryFn: () => api.timeline(tenant.id), refetchInterval: 5000 });
  const [asking, setAsking] = useState<{ step: Next; action: "run_now" | "extend" } | null>(null);
  const act = useMutation({
    mutationFn: ({ reason, date }: { reason: string; date?: string }) => {
      if (!asking) throw new Error("nothing asked");
      if (asking.action === "run_now") return api.endTrial(tenant.id, reason);
      if (asking.step.step === "grace_end") return api.extendGrace(tenant.id, date!, reason);
      return api.extendTrial(tenant.id, date!, reason);
    },
    onSuccess: (t) => {
      queries.setQueryData(["tenant", t.id], t);
      for (const k of ["timeline", "audit", "invoices"]) queries.invalidateQueries({ queryKey: [k, t.id] });
      setAsking(null);
    },
  });
  if (timeline.isError) return <Alert type="error" showIcon message={timeline.error.message} />;
  const data = timeline.data;
  return (
    <Space direction="vertical" size="large" style={{ width: "100%" }}>
      <section aria-label="Next">
        <Typography.Title level={5}>Next</Typography.Title>
        <Table<Next>
          size="small" pagination={false} rowKey={(n) => n.step + n.at} loading={timeline.isPending} dataSource={data?.next}
          columns={[
            { title: "When", dataIndex: "at", render: (at: string) => <span title={when(at)}>{when(at)} ({inWords(at)})</span> },
            { title: "What", dataIndex: "title" },
            {
              title: "Actions", render: (_, n) => (
                <Space>
                  {n.actions.includes("run_now") && <Button size="small" onClick={() => { act.reset(); setAsking({ step: n, action: "run_now" }); }}>Run now</Button>}
                  {n.actions.includes("extend") && <Button size="small" onClick={() => { act.reset(); setAsking({ step: n, action: "extend" }); }}>Extend</Button>}
                </Space>
              ),
            },
          ]}
        />
      </section>
      {!!data?.running.length && (
        <section aria-label="Running now">
          <Typography.Title level={5}>Running now</Typography.Title>
          <Table<Running>
            size="small" pagination={false} rowKey="workflow_id" dataSource={data.running}
            columns={[
              { title: "Workflow", dataIndex: "workflow_id", render: (id: string) => <code>{id}</code> },
              { title: "Since", dataIndex: "started_at", render: when },
              {
                title: "Step", render: (_, r) => r.pending.length === 0 ? "waiting" : r.pending.map((p) => (
                  <div key={p.activity}>
                    {p.activity} {p.attempt > 1 && <Tag color={tone.warn}>attempt {p.attempt}</Tag>}
                    {p.last_error && <Typography.Text type="danger">{p.last_error}</Typography.Text>}
                    {p.next_attempt_at && <span> — next try {inWords(p.next_attempt_at)}</span>}
                  </div>
                )),
              },
            ]}
          />
        </section>
      )}
      <section aria-label="What happened">
        <Typography.Title level={5}>What happened</Typography.Title>
        <Table<Past>
          size="small" rowKey={(e) => e.kind + e.at + e.title} loading={timeline.isPending} dataSource={data?.past} pagination={{ pageSize: 25 }}
          columns={[
            { title: "When", dataIndex: "at", render: when },
            { title: "Kind", dataIndex: "kind", render: (k: string) => <Tag>{k}</Tag> },
            { title: "What", dataIndex: "title" },
            { title: "Who", dataIndex: "actor", render: (a?: string | null) => a ?? "" },
          ]}
        />
      </section>
      {asking && (
        <Ask
          open
          title={asking.action === "run_now" ? `End ${tenant.name}'s trial now?` : asking.step.step === "grace_end" ? `Extend ${tenant.name}'s grace?` : `Extend ${tenant.name}'s trial?`}
          consequence={asking.action === "run_now"
            ? tenant.payment_method ? "It converts to its plan at once and its first invoice is charged to the card on file." : "It has no payment method: it is suspended at once, and its admin can only pay."
            : `It moves from ${when(asking.step.at)} to the date you choose.`}
          okText={asking.action === "run_now" ? "End the trial" : "Extend"}
          danger={asking.action === "run_now"}
          withDate={asking.action === "extend" ? "New date" : undefined}
          pending={act.isPending}
          error={act.error}
          onCancel={() => setAsking(null)}
          onOk={(reason, date) => act.mutate({ reason, date })}
        />
      )}
    </Space>
  );
}
