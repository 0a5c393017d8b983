import { useState } from "react";
import { Alert, Button, Descriptions, Form, Input, Radio, Result, Select, Space, Steps, Typography } from "antd";
import { useMutation, useQuery } from "@tanstack/react-query";
import { api, HTTPError, type NewTenant as Request, type Tenant } from "../api/client";

// The onboarding's steps, in order, as the API names them.
const onboardingSteps: [string, string][] = [
  ["register", "Registered"],
  ["provision_database", "Database, company and admin"],
  ["billing_customer", "Billing customer"],
  ["welcome", "Welcome message"],
  ["activate", "Ready"],
];

// Creating a tenant: company, admin, plan, review; then its onboarding's
// steps light up as the workflow takes them, until it is ready or fails.
export function NewTenant({ open }: { open: (id: string) => void }) {
  const [form] = Form.useForm<Request>();
  const [step, setStep] = useState(0);
  const [draft, setDraft] = useState<Partial<Request>>({ billing_cycle: "monthly", plan_code: "starter" });
  const plans = useQuery({ queryKey: ["plans"], queryFn: api.plans });
  const create = useMutation({ mutationFn: (r: Request) => api.createTenant(r) });
  const id = create.data?.tenant.id;
  const progress = useQuery({
    queryKey: ["tenant", id],
    queryFn: () => api.tenant(id!),
    enabled: !!id,
    refetchInterval: (q) => (q.state.data && q.state.data.status !== "provisioning" ? false : 400),
  });
  const next = async () => {
    const values = await form.validateFields();
    setDraft({ ...draft, ...values });
    setStep(step + 1);
  };
  if (create.data) {
    return <Onboarding tenant={progress.data ?? create.data.tenant} adminToken={create.data.admin_token} open={open} />;
  }
  const sections = [
    <>
      <Form.Item label="Company name" name="company_name" rules={[{ required: true }]}><Input /></Form.Item>
      <Form.Item label="Subdomain" name="subdomain" rules={[{ required: true }]} extra="Lowercase letters, digits and hyphens">
        <Input />
      </Form.Item>
    </>,
    <>
      <Form.Item label="Admin's name" name="admin_name" rules={[{ required: true }]}><Input /></Form.Item>
      <Form.Item label="Admin's email" name="admin_email" rules={[{ required: true, type: "email" }]}><Input /></Form.Item>
      <Form.Item label="Phone (optional)" name="phone"><Input placeholder="+14155550123" /></Form.Item>
    </>,
    <>
      <Form.Item label="Plan" name="plan_code" rules={[{ required: true }]}>
        <Select aria-label="Plan" options={(plans.data ?? []).map((p) => ({ value: p.code, label: p.name }))} />
      </Form.Item>
      <Form.Item label="Billing cycle" name="billing_cycle">
        <Radio.Group><Radio value="monthly">Monthly</Radio><Radio value="annual">Annual</Radio></Radio.Group>
      </Form.Item>
    </>,
    <Descriptions bordered column={1} size="small">
      <Descriptions.Item label="Company">{draft.company_name}</Descriptions.Item>
      <Descriptions.Item label="Subdomain">{draft.subdomain}</Descriptions.Item>
      <Descriptions.Item label="Admin">{draft.admin_name} &lt;{draft.admin_email}&gt;</Descriptions.Item>
      <Descriptions.Item label="Plan">{draft.plan_code} ({draft.billing_cycle})</Descriptions.Item>
    </Descriptions>,
  ];
  return (
    <Space direction="vertical" size="large" style={{ width: "100%", maxWidth: 720 }}>
      <Typography.Title level={3}>New tenant</Typography.Title>
      <Steps current={step} items={[{ title: "Company" }, { title: "Admin" }, { title: "Plan" }, { title: "Review" }]} />
      <Form form={form} layout="vertical" initialValues={draft}>
        {sections[step]}
      </Form>
      {create.isError && (
        <Alert type="error" showIcon message={create.error.message}
          description={create.error instanceof HTTPError && create.error.body?.details ? JSON.stringify(create.error.body.details) : undefined} />
      )}
      <Space>
        {step > 0 && <Button onClick={() => setStep(step - 1)}>Back</Button>}
        {step < 3 && <Button type="primary" onClick={next}>Next</Button>}
        {step === 3 && (
          <Button type="primary" loading={create.isPending} onClick={() => create.mutate(draft as Request)}>
            Create the tenant
          </Button>
        )}
      </Space>
    </Space>
  );
}

function Onboarding({ tenant, adminToken, open }: { tenant: Tenant; adminToken: string; open: (id: string) => void }) {
  const done = new Set(tenant.onboarding?.done ?? []);
  const failed = tenant.status === "failed";
  const ready = tenant.status !== "provisioning" && !failed;
  const current = tenant.onboarding?.step ?? "";
  return (
    <Space direction="vertical" size="large" style={{ width: "100%", maxWidth: 720 }}>
      <Typography.Title level={3}>Onboarding {tenant.name}</Typography.Title>
      <Steps
        direction="vertical"
        size="small"
        items={onboardingSteps.map(([key, title]) => ({
          title,
          status: done.has(key) || (ready && key === "activate") ? "finish" : failed && key === current ? "error" : key === current ? "process" : "wait",
        }))}
      />
      {ready && (
        <Result
          status="success"
          title={`${tenant.name} is ${tenant.status}`}
          subTitle="The admin's token is shown only now: hand it over, or mint another from the tenant's page."
          extra={[
            <Typography.Paragraph key="token" copyable code>{adminToken}</Typography.Paragraph>,
            <Button key="open" type="primary" onClick={() => open(tenant.id)}>Open the tenant</Button>,
          ]}
        />
      )}
      {failed && <Alert type="error" showIcon message="Onboarding failed" description={tenant.onboarding?.error ?? "See the audit log"} />}
    </Space>
  );
}
