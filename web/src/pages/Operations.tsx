import { Alert, Button, Space, Table, Tag, Typography } from "antd";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, type DatabaseServer, type Sweep } from "../api/client";
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
