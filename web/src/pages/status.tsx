import { Tag } from "antd";
import type { Tenant } from "../api/client";

// Dark enough for white text (WCAG AA).
const colors: Record<Tenant["status"], string> = {
  provisioning: "#0958d9",
  trial: "#0958d9",
  active: "#237804",
  past_due: "#ad4e00",
  suspended: "#a8071a",
  cancelled: "#595959",
  archiving: "#595959",
  archived: "#595959",
  failed: "#9e1068",
};

// Tag colours dark enough for white text (WCAG AA), by meaning.
export const tone = { good: "#237804", warn: "#ad4e00", bad: "#a8071a", info: "#0958d9" };

export function StatusBadge({ status }: { status: Tenant["status"] }) {
  return <Tag color={colors[status]}>{status.replace("_", " ")}</Tag>;
}
