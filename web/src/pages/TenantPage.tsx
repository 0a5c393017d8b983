import { Alert, Descriptions, Spin, Typography } from "antd";
import { useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import { StatusBadge } from "./status";

// A tenant's page: who it is, where it stands, what it may use.
export function TenantPage({ id }: { id: string }) {
  const tenant = useQuery({ queryKey: ["tenant", id], queryFn: () => api.tenant(id) });
  if (tenant.isPending) return <Spin />;
  if (tenant.isError) return <Alert type="error" showIcon message={tenant.error.message} />;
  const t = tenant.data;
  const date = (d?: string | null) => (d ? new Date(d).toLocaleString() : "—");
  return (
    <>
      <Typography.Title level={3}>
        {t.name} <StatusBadge status={t.status} />
      </Typography.Title>
      <Descriptions bordered column={2} size="small">
        <Descriptions.Item label="Subdomain">{t.subdomain}</Descriptions.Item>
        <Descriptions.Item label="Admin">{t.admin_email}</Descriptions.Item>
        <Descriptions.Item label="Plan">{t.plan_code} ({t.billing_cycle})</Descriptions.Item>
        <Descriptions.Item label="Pending plan">{t.pending_plan_code ?? "—"}</Descriptions.Item>
        <Descriptions.Item label="Trial ends">{date(t.trial_ends_at)}</Descriptions.Item>
        <Descriptions.Item label="Current period">{t.current_period_start ? `${date(t.current_period_start)} – ${date(t.current_period_end)}` : "—"}</Descriptions.Item>
        <Descriptions.Item label="Database">{t.database.name ?? "—"} on {t.database.server ?? "—"}</Descriptions.Item>
        <Descriptions.Item label="Credit balance">{(t.credit_balance_cents / 100).toFixed(2)}</Descriptions.Item>
        <Descriptions.Item label="Companies allowed">{t.limits.max_companies}</Descriptions.Item>
        <Descriptions.Item label="Users per company">{t.limits.max_users_per_company}</Descriptions.Item>
        <Descriptions.Item label="Transactions a month">{t.limits.max_transactions_per_month}</Descriptions.Item>
        <Descriptions.Item label="Storage">{t.limits.max_storage_gb} GB</Descriptions.Item>
      </Descriptions>
    </>
  );
}
