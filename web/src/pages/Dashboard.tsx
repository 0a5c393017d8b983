import { useState } from "react";
import { Card, Col, DatePicker, Row, Space, Statistic, Table, Typography } from "antd";
import { useQueries, useQuery } from "@tanstack/react-query";
import { Bar, BarChart, CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { api, money, type KPIs } from "../api/client";

// YYYY-MM of the month n months before the one given.
function monthBefore(month: string, n: number): string {
  const [y, m] = month.split("-").map(Number);
  const d = new Date(Date.UTC(y, m - 1 - n, 1));
  return d.toISOString().slice(0, 7);
}

const percent = (r?: number | null) => (r === null || r === undefined ? "—" : `${(r * 100).toFixed(1)} %`);

// The business at a glance: the seed's KPIs for a month, the last twelve
// months as charts, tenants by status and plan, the database servers.
export function Dashboard() {
  const [month, setMonth] = useState(new Date().toISOString().slice(0, 7));
  const kpis = useQuery({ queryKey: ["kpis", month], queryFn: () => api.kpis(month) });
  const alerts = useQuery({ queryKey: ["alerts"], queryFn: () => api.alerts(10) });
  const servers = useQuery({ queryKey: ["database-servers"], queryFn: api.databaseServers }); // their capacity
  const year = useQueries({
    queries: Array.from({ length: 12 }, (_, i) => monthBefore(month, 11 - i)).map((m) => ({
      queryKey: ["kpis", m],
      queryFn: () => api.kpis(m),
    })),
  });
  const series = year.filter((q) => q.data).map((q) => {
    const k = q.data as KPIs;
    return { month: k.month, mrr: k.mrr_cents / 100, newTenants: k.new_tenants, churn: (k.churn_rate ?? 0) * 100 };
  });
  const k = kpis.data;
  return (
    <Space direction="vertical" size="large" style={{ width: "100%" }}>
      <Space align="center">
        <Typography.Title level={3} style={{ margin: 0 }}>Dashboard</Typography.Title>
        <DatePicker
          picker="month"
          aria-label="Month"
          allowClear={false}
          onChange={(d) => d && setMonth(d.format("YYYY-MM"))}
        />
      </Space>
      <Row gutter={[16, 16]}>
        <Col span={4}><Card><Statistic title="MRR" value={k ? money(k.mrr_cents) : "…"} /></Card></Col>
        <Col span={4}><Card><Statistic title="ARPU" value={k ? money(k.arpu_cents) : "…"} /></Card></Col>
        <Col span={4}><Card><Statistic title="Paying tenants" value={k?.paying_tenants ?? "…"} /></Card></Col>
        <Col span={4}><Card><Statistic title="New tenants" value={k?.new_tenants ?? "…"} suffix={k ? `(${percent(k.growth_mom)} MoM)` : ""} /></Card></Col>
        <Col span={4}><Card><Statistic title="Trial conversion" value={k ? percent(k.trial_conversion_rate) : "…"} /></Card></Col>
        <Col span={4}><Card><Statistic title="Churn" value={k ? percent(k.churn_rate) : "…"} /></Card></Col>
      </Row>
      <Row gutter={[16, 16]}>
        <Col span={12}>
          <Card title="MRR, last 12 months">
            <ResponsiveContainer width="100%" height={220}>
              <LineChart data={series}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="month" /><YAxis /><Tooltip />
                <Line type="monotone" dataKey="mrr" name="MRR" stroke="#0958d9" />
              </LineChart>
            </ResponsiveContainer>
          </Card>
        </Col>
        <Col span={12}>
          <Card title="New tenants, last 12 months">
            <ResponsiveContainer width="100%" height={220}>
              <BarChart data={series}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="month" /><YAxis allowDecimals={false} /><Tooltip />
                <Bar dataKey="newTenants" name="New tenants" fill="#237804" />
              </BarChart>
            </ResponsiveContainer>
          </Card>
        </Col>
      </Row>
      <Row gutter={[16, 16]}>
        <Col span={8}>
          <Card title="Tenants by status">
            <Table size="small" pagination={false} rowKey="status"
              dataSource={Object.entries(k?.tenants_by_status ?? {}).map(([status, n]) => ({ status, n }))}
              columns={[{ title: "Status", dataIndex: "status" }, { title: "Tenants", dataIndex: "n", align: "right" }]} />
          </Card>
        </Col>
        <Col span={8}>
          <Card title="Tenants by plan">
            <Table size="small" pagination={false} rowKey="plan"
              dataSource={Object.entries(k?.tenants_by_plan ?? {}).map(([plan, n]) => ({ plan, n }))}
              columns={[{ title: "Plan", dataIndex: "plan" }, { title: "Tenants", dataIndex: "n", align: "right" }]} />
          </Card>
        </Col>
        <Col span={8}>
          <Card title="Database servers">
            <Table size="small" pagination={false} rowKey="name" dataSource={k?.database_servers ?? []}
              columns={[
                { title: "Server", dataIndex: "name" },
                {
                  title: "Tenants", dataIndex: "tenants", align: "right",
                  render: (n: number, row) => {
                    const max = servers.data?.find((sv) => sv.name === row.name)?.max_tenants;
                    return max ? `${n} of ${max}` : n;
                  },
                },
                { title: "Storage", dataIndex: "storage_bytes", align: "right", render: (b: number) => `${(b / 2 ** 20).toFixed(1)} MB` },
              ]} />
          </Card>
        </Col>
      </Row>
      <Card title="Latest alerts">
        <Table size="small" pagination={false} rowKey="id" loading={alerts.isPending} dataSource={alerts.data}
          columns={[
            { title: "When", dataIndex: "created_at", render: (d: string) => new Date(d).toLocaleString() },
            { title: "Rule", dataIndex: "rule" },
            { title: "Period", dataIndex: "period" },
            { title: "Tenant", dataIndex: "tenant_id", render: (id: string) => <a href={`/tenants/${id}`}>{id.slice(0, 8)}</a> },
          ]} />
      </Card>
    </Space>
  );
}
