import { useState } from "react";
import { Alert, Button, Form, Input, Popconfirm, Select, Space, Table, Typography } from "antd";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, HTTPError, type Tenant, type User } from "../api/client";

// A tenant admin's companies and their users, in the tenant's own database.
// A plan's limit is shown before it is hit, and hitting it offers the upgrade.
export function Companies({ tenant, upgrade }: { tenant: Tenant; upgrade: (plan: string) => void }) {
  const queries = useQueryClient();
  const companies = useQuery({ queryKey: ["companies"], queryFn: api.companies });
  const [chosen, setChosen] = useState<string>();
  const company = chosen ?? companies.data?.[0]?.id;
  const users = useQuery({ queryKey: ["users", company], queryFn: () => api.users(company!), enabled: !!company });
  const [form] = Form.useForm<{ email: string; name: string }>();
  const add = useMutation({
    mutationFn: (u: { email: string; name: string }) => api.createUser(company!, u),
    onSuccess: () => {
      form.resetFields();
      queries.invalidateQueries({ queryKey: ["users", company] });
      queries.invalidateQueries({ queryKey: ["usage", tenant.id] });
    },
  });
  const remove = useMutation({
    mutationFn: (u: User) => api.deleteUser(u.id),
    onSuccess: () => {
      queries.invalidateQueries({ queryKey: ["users", company] });
      queries.invalidateQueries({ queryKey: ["usage", tenant.id] });
    },
  });
  const [companyForm] = Form.useForm<{ code: string; name: string }>();
  const addCompany = useMutation({
    mutationFn: api.createCompany,
    onSuccess: (c) => {
      companyForm.resetFields();
      setChosen(c.id);
      queries.invalidateQueries({ queryKey: ["companies"] });
      queries.invalidateQueries({ queryKey: ["usage", tenant.id] });
    },
  });
  const removeCompany = useMutation({
    mutationFn: api.deleteCompany,
    onSuccess: () => {
      setChosen(undefined);
      queries.invalidateQueries({ queryKey: ["companies"] });
      queries.invalidateQueries({ queryKey: ["usage", tenant.id] });
    },
  });
  const limit = tenant.limits.max_users_per_company;
  const count = users.data?.length ?? 0;
  const details = add.error instanceof HTTPError && add.error.body?.code === "limit_exceeded" ? add.error.body.details : undefined;
  const upgradeTo = typeof details?.upgrade_to === "string" ? details.upgrade_to : undefined;
  return (
    <Space direction="vertical" size="middle" style={{ width: "100%" }}>
      <Typography.Text>{`${companies.data?.length ?? 0} of ${tenant.limits.max_companies} companies (your ${tenant.plan_code} plan)`}</Typography.Text>
      <Space wrap>
        <Select
          aria-label="Company"
          style={{ width: 320 }}
          value={company}
          onChange={setChosen}
          options={(companies.data ?? []).map((c) => ({ value: c.id, label: c.name }))}
        />
        {company && companies.data?.some((c) => c.id === company && !c.is_default) && (
          <Popconfirm title="Remove this company?" description="Its users and its postings go with it; the default company stays." okText="Remove"
            okButtonProps={{ danger: true }} onConfirm={() => removeCompany.mutateAsync(company)}>
            <Button danger>Remove company</Button>
          </Popconfirm>
        )}
      </Space>
      <Form form={companyForm} name="new-company" layout="inline" onFinish={(v) => addCompany.mutate(v)} aria-label="New company">
        <Form.Item label="Company code" name="code" rules={[{ required: true }]}><Input /></Form.Item>
        <Form.Item label="Company name" name="name" rules={[{ required: true }]}><Input /></Form.Item>
        <Button htmlType="submit" loading={addCompany.isPending}>Add company</Button>
      </Form>
      {addCompany.isError && <Alert type="error" showIcon message={addCompany.error.message} />}
      {removeCompany.isError && <Alert type="error" showIcon message={removeCompany.error.message} />}
      <Typography.Text>{`${count} of ${limit} users in this company (your ${tenant.plan_code} plan)`}</Typography.Text>
      <Table<User>
        rowKey="id"
        size="small"
        pagination={false}
        loading={users.isPending}
        dataSource={users.data}
        columns={[
          { title: "Name", dataIndex: "name" },
          { title: "Email", dataIndex: "email" },
          { title: "Role", dataIndex: "role" },
          {
            title: "", render: (_, u) => (
              <Popconfirm title={`Remove ${u.name}?`} description="They can no longer sign in to this company." okText="Remove"
                okButtonProps={{ danger: true }} onConfirm={() => remove.mutateAsync(u)}>
                <Button size="small" danger aria-label={`Remove ${u.name}`}>Remove</Button>
              </Popconfirm>
            ),
          },
        ]}
      />
      <Form form={form} name="new-user" layout="inline" onFinish={(v) => add.mutate(v)}>
        <Form.Item label="Email" name="email" rules={[{ required: true, type: "email" }]}><Input /></Form.Item>
        <Form.Item label="Name" name="name" rules={[{ required: true }]}><Input /></Form.Item>
        <Button type="primary" htmlType="submit" loading={add.isPending}>Add user</Button>
      </Form>
      {remove.isError && <Alert type="error" showIcon message={remove.error.message} />}
      {add.isError && !upgradeTo && <Alert type="error" showIcon message={add.error.message} />}
      {upgradeTo && (
        <Alert
          type="warning"
          showIcon
          message={`Your ${tenant.plan_code} plan allows ${limit} users per company.`}
          description={`Upgrade to ${upgradeTo} to add more.`}
          action={<Button type="primary" onClick={() => { add.reset(); upgrade(upgradeTo); }}>{`Upgrade to ${upgradeTo}`}</Button>}
        />
      )}
    </Space>
  );
}
