import { Alert, Button, Popconfirm, Progress, Space, Table, Tag, Typography } from "antd";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, type DatabaseServer, type FleetMigration, type Sweep } from "../api/client";
import { inWords } from "./Timeline";
import { tone } from "./status";

const when = (d?: string | null) => (d ? `${new Date(d).toLocaleString()} (${inWords(d)})` : "—");

// Operations: the sweeps (their schedule, last and next run, a run now) and the
// database servers tenants are placed on (tenants against capacity, health).
export function Operations() {
  const queries = useQueryClient();
  const sweeps = useQuery({ queryKey: ["sweeps"], queryFn: api.sweeps, refetchInterval: 5000 });
  const servers = useQuery({ queryKey: ["database-servers"], queryFn: api.databaseServers });
  const run = useMutation({ mutationFn: api.runSweep, onSettled: () => queries.invalidateQueries({ queryKey: ["sweeps"] }) });
  const check = useMutation({ mutationFn: api.checkDatabaseServer, onSettled: () => queries.invalidateQueries({ queryKey: ["database-servers"] }) });
  return (
    <Space direction="vertical" size="large" style={{ width: "100%" }}>
      <Typography.Title level={3} style={{ margin: 0 }}>Operations</Typography.Title>
      <section aria-label="Sweeps">
        <Typography.Title level={4}>Sweeps</Typography.Title>
        {run.isError && <Alert type="error" showIcon message={run.error.message} />}
        <Table<Sweep>
          rowKey="name" pagination={false} loading={sweeps.isPending} dataSource={sweeps.data}
          columns={[
            { title: "Sweep", dataIndex: "name" },
            { title: "Schedule", render: (_, s) => !s.scheduled ? <Tag color={tone.bad}>no schedule</Tag> : s.paused ? <Tag color={tone.warn}>paused</Tag> : `every ${s.every}` },
            { title: "Last run", dataIndex: "last_run_at", render: when },
            { title: "Next run", dataIndex: "next_run_at", render: when },
            { title: "Last run by hand", render: (_, s) => s.manual_run ? `${s.manual_run.status}, ${when(s.manual_run.started_at)}` : "—" },
            {
              title: "", render: (_, s) => (
                <Button size="small" aria-label={`Run now: ${s.name}`} loading={run.isPending && run.variables === s.name}
                  onClick={() => run.mutate(s.name)}>Run now</Button>
              ),
            },
          ]}
        />
      </section>
      <Fleet />
      <section aria-label="Database servers">
        <Typography.Title level={4}>Database servers</Typography.Title>
        <Table<DatabaseServer>
          rowKey="id" pagination={false} loading={servers.isPending} dataSource={servers.data}
          columns={[
            { title: "Name", dataIndex: "name" },
            { title: "Host", render: (_, s) => `${s.host}:${s.port}` },
            { title: "Status", dataIndex: "status", render: (st: string) => <Tag color={st === "active" ? tone.good : st === "pending" ? tone.warn : undefined}>{st}</Tag> },
            { title: "Tenants", render: (_, s) => `${s.tenant_count} of ${s.max_tenants}` },
            { title: "TLS", dataIndex: "tls" },
            { title: "Last check", render: (_, s) => s.check_error ? <Typography.Text type="danger">{s.check_error}</Typography.Text> : when(s.checked_at) },
            {
              title: "", render: (_, s) => s.status !== "active" && (
                <Button size="small" loading={check.isPending && check.variables === s.id} onClick={() => check.mutate(s.id)}>Check again</Button>
              ),
            },
          ]}
        />
      </section>
    </Space>
  );
}

// Fleet migrations: the tenant schema rolled out to every tenant database, the
// latest rollouts with their progress and failures, and the controls.
function Fleet() {
  const queries = useQueryClient();
  const rollouts = useQuery({
    queryKey: ["fleet-migrations"],
    queryFn: api.fleetMigrations,
    refetchInterval: (q) => (q.state.data?.some((m) => m.status === "running") ? 1000 : 5000),
  });
  const done = () => queries.invalidateQueries({ queryKey: ["fleet-migrations"] });
  const start = useMutation({ mutationFn: () => api.startFleetMigration({}), onSettled: done });
  const signal = useMutation({
    mutationFn: ({ id, action }: { id: string; action: "pause" | "resume" | "abort" }) => api.signalFleetMigration(id, action),
    onSettled: done,
  });
  const open = rollouts.data?.find((m) => m.status === "running" || m.status === "paused");
  return (
    <section aria-label="Fleet migrations">
      <Space style={{ width: "100%", justifyContent: "space-between" }}>
        <Typography.Title level={4}>Fleet migrations</Typography.Title>
        <Button disabled={!!open} loading={start.isPending} onClick={() => start.mutate()}>Roll out the tenant schema</Button>
      </Space>
      {start.isError && <Alert type="error" showIcon message={start.error.message} />}
      {signal.isError && <Alert type="error" showIcon message={signal.error.message} />}
      <Table<FleetMigration>
        rowKey="id" pagination={false} loading={rollouts.isPending} dataSource={rollouts.data}
        expandable={{
          rowExpandable: (m) => m.failures.length > 0,
          expandedRowRender: (m) => (
            <Table size="small" pagination={false} rowKey="tenant_id" dataSource={m.failures} aria-label="Failed tenants"
              columns={[
                { title: "Tenant", dataIndex: "tenant_id", render: (id: string) => <a href={`/tenants/${id}`}>{id}</a> },
                { title: "Database error", dataIndex: "error" },
              ]} />
          ),
        }}
        columns={[
          { title: "Started", dataIndex: "created_at", render: when },
          { title: "To version", dataIndex: "target_version" },
          {
            title: "Progress", render: (_, m) => {
              const finished = m.migrated + m.failed + m.skipped;
              return (
                <Space direction="vertical" size={0} style={{ width: 260 }}>
                  <Progress aria-label="Rollout progress" percent={m.total ? Math.round((finished / m.total) * 100) : 100}
                    status={m.failed ? "exception" : undefined} size="small" />
                  <span>{`${m.migrated} migrated, ${m.failed} failed, ${m.skipped} skipped of ${m.total}`}</span>
                </Space>
              );
            },
          },
          {
            title: "Status", render: (_, m) => (
              <Space direction="vertical" size={0}>
                <Tag color={{ completed: tone.good, running: tone.info, paused: tone.warn, failed: tone.bad, aborted: undefined }[m.status]}>{m.status}</Tag>
                {m.status === "paused" && m.paused_reason && <span>{m.paused_reason}</span>}
              </Space>
            ),
          },
          { title: "By", dataIndex: "started_by" },
          {
            title: "", render: (_, m) => (m.status === "running" || m.status === "paused") && (
              <Space>
                {m.status === "running" && <Button size="small" onClick={() => signal.mutate({ id: m.id, action: "pause" })}>Pause</Button>}
                {m.status === "paused" && <Button size="small" onClick={() => signal.mutate({ id: m.id, action: "resume" })}>Resume</Button>}
                <Popconfirm title="Abort this rollout?" description="Databases already migrated stay migrated; the rest stay as they are."
                  okText="Abort" okButtonProps={{ danger: true }} onConfirm={() => signal.mutateAsync({ id: m.id, action: "abort" })}>
                  <Button size="small" danger>Abort</Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
    </section>
  );
}
