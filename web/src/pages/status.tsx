import { Tag } from "antd";
import type { Tenant } from "../api/client";

const colors: Record<Tenant["status"], string> = {
  provisioning: "processing",
  trial: "blue",
  active: "green",
  past_due: "orange",
  suspended: "red",
  cancelled: "default",
  archiving: "default",
  archived: "default",
  failed: "magenta",
};

export function StatusBadge({ status }: { status: Tenant["status"] }) {
  return <Tag color={colors[status]}>{status.replace("_", " ")}</Tag>;
}
