import { useState, type ReactNode } from "react";
import { Alert, DatePicker, Input, Modal, Space } from "antd";
import type { Dayjs } from "dayjs";

// Ask is the confirmation every operator action on a tenant goes through: it
// says what follows, takes the reason the audit log keeps (and a date, when
// the action moves one), and shows the API's refusal if there is one.
export function Ask({
  title, consequence, okText, danger, withDate, open, pending, error, onCancel, onOk,
}: {
  title: string;
  consequence: ReactNode;
  okText: string;
  danger?: boolean;
  withDate?: string; // the date's label
  open: boolean;
  pending: boolean;
  error?: Error | null;
  onCancel: () => void;
  onOk: (reason: string, date?: string) => void;
}) {
  const [reason, setReason] = useState("");
  const [date, setDate] = useState<Dayjs | null>(null);
  const ready = reason.trim() !== "" && (!withDate || date !== null);
  return (
    <Modal title={title} open={open} onCancel={onCancel} okText={okText} destroyOnHidden
      okButtonProps={{ danger, disabled: !ready }} confirmLoading={pending}
      onOk={() => onOk(reason.trim(), date?.toISOString())}>
      <Space direction="vertical" style={{ width: "100%" }}>
        <div>{consequence}</div>
        {withDate && (
          <DatePicker aria-label={withDate} placeholder={withDate} showTime value={date} onChange={setDate}
            disabledDate={(d) => d.isBefore(new Date(), "day")} style={{ width: "100%" }} />
        )}
        <Input aria-label="Reason" placeholder="Reason (kept in the tenant's audit log)" value={reason} onChange={(e) => setReason(e.target.value)} />
        {error && <Alert type="error" showIcon message={error.message} />}
      </Space>
    </Modal>
  );
}
