import { useState } from "react";
import { Button, Input, Select, Space, Table, Typography } from "antd";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api, type Tenant } from "../api/client";
import { StatusBadge } from "./status";

const statuses: Tenant["status"][] = ["provisioning", "trial", "active", "past_due", "suspended", "cancelled", "archived", "failed"];

// The operator's tenant list: search, filters, order, and keyset pages.
export function Tenants({ open, create }: { open: (id: string) => void; create: () => void }) {
  const [q, setQ] = useState("");
  const [status, setStatus] = useState<string>();
  const [sort, setSort] = useState<"created" | "name">("created");
  const [cursors, setCursors] = useState<string[]>([""]); // the cursor of each page seen
  const page = cursors.length - 1;
  const list = useQuery({
    queryKey: ["tenants", q, status, sort, cursors[page]],
    queryFn: () => api.tenants({ q, status, sort, limit: 20, cursor: cursors[page] || undefined }),
    placeholderData: keepPreviousData,
  });
  const reset = () => setCursors([""]);
  return (
    <Space direction="vertical" size="middle" style={{ width: "100%" }}>
      <Space style={{ width: "100%", justifyContent: "space-between" }}>
        <Typography.Title level={3} style={{ margin: 0 }}>Tenants</Typography.Title>
        <Button type="primary" onClick={create}>New tenant</Button>
      </Space>
      <Space wrap>
        <Input.Search
          aria-label="Search tenants"
          placeholder="Name, subdomain or email"
          allowClear
          onSearch={(v) => { setQ(v); reset(); }}
          style={{ width: 320 }}
        />
        <Select
          aria-label="Status"
          placeholder="Any status"
          allowClear
          style={{ width: 180 }}
          value={status}
          onChange={(v) => { setStatus(v); reset(); }}
          options={statuses.map((s) => ({ value: s, label: s.replace("_", " ") }))}
        />
        <Select
          aria-label="Order"
          style={{ width: 180 }}
          value={sort}
          onChange={(v) => { setSort(v); reset(); }}
          options={[{ value: "created", label: "Newest first" }, { value: "name", label: "Name A–Z" }]}
        />
      </Space>
      <Table<Tenant>
        rowKey="id"
        loading={list.isFetching}
        dataSource={list.data?.tenants}
        pagination={false}
        onRow={(t) => ({ onClick: () => open(t.id), style: { cursor: "pointer" } })}
        columns={[
          { title: "Name", dataIndex: "name", render: (name: string, t) => <a href={`/tenants/${t.id}`} onClick={(e) => { e.preventDefault(); open(t.id); }}>{name}</a> },
          { title: "Subdomain", dataIndex: "subdomain" },
          { title: "Status", dataIndex: "status", render: (s: Tenant["status"]) => <StatusBadge status={s} /> },
          { title: "Plan", dataIndex: "plan_code" },
          { title: "Admin", dataIndex: "admin_email" },
          { title: "Server", render: (_, t) => t.database.server ?? "—" },
          { title: "Created", dataIndex: "created_at", render: (d: string) => new Date(d).toLocaleDateString() },
        ]}
      />
      <Space>
        <Typography.Text>{list.data ? `${list.data.total} ${list.data.total === 1 ? "tenant" : "tenants"}` : ""}</Typography.Text>
        <a aria-disabled={page === 0} onClick={() => page > 0 && setCursors(cursors.slice(0, -1))}>Previous</a>
        <a
          aria-disabled={!list.data?.next_cursor}
          onClick={() => list.data?.next_cursor && setCursors([...cursors, list.data.next_cursor])}
        >
          Next
        </a>
      </Space>
    </Space>
  );
}
