import { useState } from "react";
import { Alert, Button, Card, Form, Input } from "antd";
import { api, type Session } from "../api/client";

// Signing in exchanges the token for a session cookie: the token is not kept.
export function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  return (
    <Card title="Sign in to landlord" style={{ maxWidth: 480, margin: "10vh auto" }}>
      <Form
        layout="vertical"
        onFinish={async ({ token }: { token: string }) => {
          setBusy(true);
          setError("");
          try {
            onSignedIn(await api.signIn(token.trim()));
          } catch (e) {
            setError(e instanceof Error ? e.message : String(e));
          } finally {
            setBusy(false);
          }
        }}
      >
        <Form.Item label="Token" name="token" rules={[{ required: true, message: "Paste an operator or tenant admin token" }]}>
          <Input.Password autoComplete="off" placeholder="llo_… or llt_…" />
        </Form.Item>
        {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} />}
        <Button type="primary" htmlType="submit" loading={busy} block>
          Sign in
        </Button>
      </Form>
    </Card>
  );
}
