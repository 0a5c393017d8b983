import { useState } from "react";
import { Button, Input, Select, Space, Table, Typography, type CheckboxProps } from "antd";
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, type Tenant } from "../api/client";
import { StatusBadge } from "./status";
import { BulkAction } from "./BulkAction";

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
  const queries = useQueryClient();
  const [selected, setSelected] = useState<Tenant[]>([]); // kept across pages
  const selectedIDs = selected.map((t) => t.id);
  return (
    <Space direction="vertical" size="middle" style={{ width: "100%" }}>
      <Space style={{ width: "100%", justifyContent: "space-between" }}>
        <Typography.Title level={3} style={{ margin: 0 }}>Tenants</Typography.Title>
        <Space>
          <Button href={api.exportURL({ q, status })} download>Export CSV</Button>
          <Button type="primary" onClick={create}>New tenant</Button>
        </Space>
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
      <BulkAction selected={selectedIDs} names={new Map(selected.map((t) => [t.id, t]))}
        done={() => { setSelected([]); queries.invalidateQueries({ queryKey: ["tenants"] }); }} />
      <Table<Tenant>
        rowKey="id"
        rowSelection={{
          selectedRowKeys: selectedIDs,
          preserveSelectedRowKeys: true,
          // The checkbox input takes the label; Ant Design's types only leave it out.
          getCheckboxProps: (t) => ({ "aria-label": `Select ${t.name}` }) as unknown as CheckboxProps,
          onChange: (_, rows) => setSelected((before) => {
            const onPage = new Set((list.data?.tenants ?? []).map((t) => t.id));
            return [...before.filter((t) => !onPage.has(t.id)), ...rows.filter(Boolean)];
          }),
        }}
        loading={list.isFetching}
        dataSource={list.data?.tenants}
        pagination={false}
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
