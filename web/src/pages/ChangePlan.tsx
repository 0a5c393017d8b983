import { useEffect, useState } from "react";
import { Alert, Button, Descriptions, Form, Input, Modal, Radio, Select, Space, Table, Typography } from "antd";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, money, type PlanChange, type PlanPreview, type Tenant } from "../api/client";

// Changing plan: choose, read the exact invoice the change would make (the
// API's own quote, nothing changed yet), then confirm.
export function ChangePlan({ tenant, open, close, initialPlan = "", operator = false }: {
  tenant: Tenant; open: boolean; close: () => void; initialPlan?: string; operator?: boolean;
}) {
  const [reason, setReason] = useState(""); // an operator's, for the tenant's audit log
  const queries = useQueryClient();
  const plans = useQuery({ queryKey: ["plans"], queryFn: api.plans, enabled: open });
  const [change, setChange] = useState<PlanChange>({ plan_code: initialPlan, billing_cycle: tenant.billing_cycle, effective: "" });
  const preview = useMutation({ mutationFn: (c: PlanChange) => api.previewPlanChange(tenant.id, c) });
  useEffect(() => {
    if (initialPlan) preview.mutate({ plan_code: initialPlan, billing_cycle: tenant.billing_cycle, effective: "" });
  }, []); // eslint-disable-line react-hooks/exhaustive-deps -- once, for the plan it was opened with
  const confirm = useMutation({
    mutationFn: (c: PlanChange) => api.changePlan(tenant.id, operator ? { ...c, reason } : c),
    onSuccess: () => {
      queries.invalidateQueries({ queryKey: ["tenant", tenant.id] });
      queries.invalidateQueries({ queryKey: ["invoices", tenant.id] });
    },
  });
  const choose = (next: Partial<PlanChange>) => {
    const c = { ...change, ...next };
    setChange(c);
    confirm.reset();
    if (c.plan_code) preview.mutate(c);
  };
  const p: PlanPreview | undefined = preview.data;
  return (
    <Modal title={`Change ${tenant.name}'s plan`} open={open} onCancel={close} footer={null} width={720} destroyOnHidden>
      <Form layout="vertical">
        <Form.Item label="Plan">
          <Select
            aria-label="Plan"
            placeholder="Choose a plan"
            value={change.plan_code || undefined}
            onChange={(plan_code) => choose({ plan_code })}
            options={(plans.data ?? [])
              .filter((pl) => pl.trial_days === 0)
              .map((pl) => ({ value: pl.code, label: `${pl.name} — ${money(pl.monthly_price_cents, pl.currency)} a month` }))}
          />
        </Form.Item>
        <Form.Item label="Billing cycle">
          <Radio.Group value={change.billing_cycle} onChange={(e) => choose({ billing_cycle: e.target.value })}>
            <Radio value="monthly">Monthly</Radio>
            <Radio value="annual">Annual</Radio>
          </Radio.Group>
        </Form.Item>
      </Form>
      {preview.isError && <Alert type="error" showIcon message={preview.error.message} />}
      {p && (
        <Space direction="vertical" style={{ width: "100%" }}>
          <Typography.Text strong>
            {p.scheduled
              ? `The ${p.direction} takes effect on ${new Date(p.effective_at).toLocaleString()}; nothing is invoiced now.`
              : `The ${p.direction} takes effect now. The invoice:`}
          </Typography.Text>
          {!p.scheduled && (
            <Table
              aria-label="Invoice preview"
              size="small"
              pagination={false}
              rowKey={(l) => l.description}
              dataSource={p.lines}
              columns={[
                { title: "Line", dataIndex: "description" },
                { title: "Amount", dataIndex: "amount_cents", align: "right", render: (c: number) => money(c, p.currency) },
              ]}
              summary={() => (
                <>
                  {p.credit_applied_cents > 0 && (
                    <Table.Summary.Row>
                      <Table.Summary.Cell index={0}>From the credit balance</Table.Summary.Cell>
                      <Table.Summary.Cell index={1} align="right">{money(-p.credit_applied_cents, p.currency)}</Table.Summary.Cell>
                    </Table.Summary.Row>
                  )}
                  <Table.Summary.Row>
                    <Table.Summary.Cell index={0}><strong>Charged to the payment method</strong></Table.Summary.Cell>
                    <Table.Summary.Cell index={1} align="right"><strong>{money(p.total_cents, p.currency)}</strong></Table.Summary.Cell>
                  </Table.Summary.Row>
                  {p.credit_added_cents > 0 && (
                    <Table.Summary.Row>
                      <Table.Summary.Cell index={0}>Added to the credit balance</Table.Summary.Cell>
                      <Table.Summary.Cell index={1} align="right">{money(p.credit_added_cents, p.currency)}</Table.Summary.Cell>
                    </Table.Summary.Row>
                  )}
                </>
              )}
            />
          )}
          <Resources tenant={tenant} p={p} />
          {operator && !confirm.data && (
            <Input aria-label="Reason" placeholder="Reason (kept in the tenant's audit log)" value={reason} onChange={(e) => setReason(e.target.value)} />
          )}
          {confirm.isError && <Alert type="error" showIcon message={confirm.error.message} />}
          {confirm.data ? (
            <Alert
              type="success"
              showIcon
              message={
                confirm.data.invoice
                  ? `Now on ${confirm.data.tenant.plan_code}: invoice ${confirm.data.invoice.number}, ${money(confirm.data.invoice.total_cents, confirm.data.invoice.currency)} (${confirm.data.invoice.status}).`
                  : `Scheduled: ${confirm.data.change.to} from ${new Date(confirm.data.change.effective_at).toLocaleString()}.`
              }
            />
          ) : (
            <Button type="primary" loading={confirm.isPending} disabled={operator && !reason.trim()} onClick={() => confirm.mutate(change)}>
              {p.scheduled ? "Schedule the change" : `Confirm and charge ${money(p.total_cents, p.currency)}`}
            </Button>
          )}
        </Space>
      )}
    </Modal>
  );
}

const limitNames: Record<string, string> = {
  max_companies: "Companies", max_users_per_company: "Users per company", max_total_users: "Users in all",
};

// Resources: the new plan's limits beside what the tenant holds now, and any
// limit it would be over (a downgrade it has outgrown is refused).
export function Resources({ tenant, p }: { tenant: Tenant; p: PlanPreview }) {
  const l = p.limits;
  const rows: [string, number | null | undefined, number | null | undefined][] = [
    ["Companies", tenant.limits.max_companies, l.max_companies],
    ["Users per company", tenant.limits.max_users_per_company, l.max_users_per_company],
    ["Users in all", tenant.limits.max_total_users, l.max_total_users],
    ["Transactions a month", tenant.limits.max_transactions_per_month, l.max_transactions_per_month],
    ["Storage (GB)", tenant.limits.max_storage_gb, l.max_storage_gb],
    ["API calls an hour", tenant.limits.api_rate_limit_per_hour, l.api_rate_limit_per_hour],
  ];
  return (
    <Space direction="vertical" style={{ width: "100%" }}>
      <Descriptions aria-label="Limits preview" title="Limits" size="small" bordered column={1}>
        {rows.map(([label, now, next]) => (
          <Descriptions.Item key={label} label={label}>{`${now ?? "unlimited"} → ${next ?? "unlimited"}`}</Descriptions.Item>
        ))}
      </Descriptions>
      {!p.usage_measured && <Alert type="info" showIcon message="Usage could not be measured now (the tenant's database is closed)." />}
      {p.over.map((v) => (
        <Alert key={v.limit} type="warning" showIcon role="alert"
          message={`${limitNames[v.limit] ?? v.limit}: ${v.used} in use, the new plan allows ${v.allowed}`}
          description="Remove what is over the limit first: the change is refused while the tenant holds more." />
      ))}
    </Space>
  );
}
