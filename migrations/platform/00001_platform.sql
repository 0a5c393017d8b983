-- +goose Up
CREATE TABLE subscription_plans (
    id                         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    plan_code                  text NOT NULL UNIQUE,
    plan_name                  text NOT NULL,
    description                text NOT NULL DEFAULT '',
    monthly_price_cents        bigint NOT NULL CHECK (monthly_price_cents >= 0),
    annual_price_cents         bigint NOT NULL CHECK (annual_price_cents >= 0),
    currency                   text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    max_companies              integer NOT NULL CHECK (max_companies > 0),
    max_users_per_company      integer NOT NULL CHECK (max_users_per_company > 0),
    max_total_users            integer CHECK (max_total_users > 0),
    max_transactions_per_month integer NOT NULL CHECK (max_transactions_per_month > 0),
    max_storage_gb             integer NOT NULL CHECK (max_storage_gb > 0),
    api_rate_limit_per_hour    integer NOT NULL CHECK (api_rate_limit_per_hour > 0),
    features                   jsonb NOT NULL DEFAULT '{}',
    modules                    jsonb NOT NULL DEFAULT '[]',
    database_strategy          text NOT NULL DEFAULT 'separate_database'
                               CHECK (database_strategy IN ('separate_database', 'dedicated')),
    support_level              text NOT NULL DEFAULT 'email'
                               CHECK (support_level IN ('email', 'priority', 'dedicated')),
    sla_hours                  integer,
    trial_days                 integer NOT NULL DEFAULT 0 CHECK (trial_days >= 0),
    sort_order                 integer NOT NULL DEFAULT 0,
    is_active                  boolean NOT NULL DEFAULT true,
    created_at                 timestamptz NOT NULL DEFAULT now()
);

-- The seed document's five plans. Prices in integer cents; annual = 10 x monthly.
INSERT INTO subscription_plans
    (plan_code, plan_name, description, monthly_price_cents, annual_price_cents,
     max_companies, max_users_per_company, max_total_users, max_transactions_per_month,
     max_storage_gb, api_rate_limit_per_hour, features, modules, support_level, sla_hours,
     trial_days, sort_order)
VALUES
    ('trial', 'Trial', '14-day free trial', 0, 0,
     1, 3, 3, 100, 1, 1000,
     '{"api_access": true}', '["core", "finance", "inventory"]', 'email', NULL, 14, 0),
    ('starter', 'Starter', 'For a single small company', 4900, 49000,
     1, 5, 5, 1000, 10, 1000,
     '{"api_access": true}', '["core", "finance", "inventory"]', 'email', 48, 0, 1),
    ('professional', 'Professional', 'For growing groups of companies', 19900, 199000,
     3, 20, 60, 10000, 50, 5000,
     '{"api_access": true, "custom_reports": true}', '["core", "finance", "inventory", "sales", "purchasing"]', 'priority', 24, 0, 2),
    ('enterprise', 'Enterprise', 'For large organisations', 59900, 599000,
     10, 100, 1000, 100000, 200, 20000,
     '{"api_access": true, "custom_reports": true, "sso": true}', '["core", "finance", "inventory", "sales", "purchasing", "manufacturing", "hr"]', 'dedicated', 4, 0, 3),
    ('unlimited', 'Unlimited', 'No practical limits', 199900, 1999000,
     999, 999, NULL, 999999, 1000, 100000,
     '{"api_access": true, "custom_reports": true, "sso": true}', '["core", "finance", "inventory", "sales", "purchasing", "manufacturing", "hr"]', 'dedicated', 1, 0, 4);

CREATE TABLE database_servers (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    host        text NOT NULL,
    port        integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
    kind        text NOT NULL DEFAULT 'shared' CHECK (kind IN ('shared', 'dedicated')),
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'draining', 'retired')),
    max_tenants integer NOT NULL DEFAULT 500 CHECK (max_tenants > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (host, port)
);

CREATE TABLE tenants (
    id                         uuid PRIMARY KEY,
    tenant_code                text NOT NULL CHECK (tenant_code ~ '^[a-z][a-z0-9_]{2,49}$'),
    tenant_name                text NOT NULL CHECK (length(tenant_name) BETWEEN 1 AND 200),
    domain                     text,
    subdomain                  text NOT NULL CHECK (subdomain ~ '^[a-z0-9](-?[a-z0-9])*$' AND length(subdomain) BETWEEN 3 AND 50),
    status                     text NOT NULL DEFAULT 'provisioning'
                               CHECK (status IN ('provisioning', 'trial', 'active', 'past_due', 'suspended',
                                                 'cancelled', 'archived', 'failed')),
    plan_code                  text NOT NULL REFERENCES subscription_plans (plan_code),
    billing_cycle              text NOT NULL DEFAULT 'monthly' CHECK (billing_cycle IN ('monthly', 'annual')),
    trial_ends_at              timestamptz,
    current_period_start       timestamptz,
    current_period_end         timestamptz,
    pending_plan_code          text REFERENCES subscription_plans (plan_code),
    pending_billing_cycle      text CHECK (pending_billing_cycle IN ('monthly', 'annual')),
    -- Limits in force, copied from the plan when it is applied.
    max_companies              integer NOT NULL,
    max_users_per_company      integer NOT NULL,
    max_total_users            integer,
    max_transactions_per_month integer NOT NULL,
    max_storage_gb             integer NOT NULL,
    api_rate_limit_per_hour    integer NOT NULL,
    features                   jsonb NOT NULL DEFAULT '{}',
    modules_enabled            jsonb NOT NULL DEFAULT '[]',
    -- Placement and the tenant's own database.
    database_server_id         uuid REFERENCES database_servers (id),
    database_name              text UNIQUE,
    database_role              text UNIQUE,
    database_password_enc      bytea,
    -- People and billing.
    admin_email                text NOT NULL,
    admin_name                 text NOT NULL,
    phone                      text,
    billing_email              text NOT NULL,
    payment_method             text,
    billing_customer_id        text,
    credit_balance_cents       bigint NOT NULL DEFAULT 0 CHECK (credit_balance_cents >= 0),
    grace_until                timestamptz,
    suspension_reason          text,
    onboarding_completed       boolean NOT NULL DEFAULT false,
    onboarding_error           text,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now(),
    cancelled_at               timestamptz,
    deleted_at                 timestamptz
);

-- A failed or archived tenant gives its names back.
CREATE UNIQUE INDEX tenants_subdomain_live ON tenants (subdomain) WHERE status NOT IN ('failed', 'archived');
CREATE UNIQUE INDEX tenants_code_live ON tenants (tenant_code) WHERE status NOT IN ('failed', 'archived');
CREATE UNIQUE INDEX tenants_domain_live ON tenants (domain) WHERE domain IS NOT NULL AND status NOT IN ('failed', 'archived');
CREATE INDEX tenants_list ON tenants (created_at DESC, id DESC);
CREATE INDEX tenants_server ON tenants (database_server_id) WHERE status NOT IN ('failed', 'archived');
CREATE INDEX tenants_trial_due ON tenants (trial_ends_at) WHERE status = 'trial';
CREATE INDEX tenants_period_due ON tenants (current_period_end) WHERE status IN ('active', 'past_due');

CREATE TABLE tenant_status_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    from_status text,
    to_status   text NOT NULL,
    reason      text NOT NULL DEFAULT '',
    actor       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenant_status_history_tenant ON tenant_status_history (tenant_id, created_at);
CREATE INDEX tenant_status_history_month ON tenant_status_history (created_at, to_status);

CREATE TABLE tenant_usage (
    tenant_id          uuid NOT NULL REFERENCES tenants (id),
    month              date NOT NULL CHECK (date_trunc('month', month) = month),
    companies          integer NOT NULL DEFAULT 0,
    users              integer NOT NULL DEFAULT 0,
    max_users_per_company_used integer NOT NULL DEFAULT 0,
    transactions       bigint NOT NULL DEFAULT 0,
    storage_bytes      bigint NOT NULL DEFAULT 0,
    api_calls          bigint NOT NULL DEFAULT 0,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, month)
);

CREATE TABLE invoices (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    number        text NOT NULL UNIQUE,
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    status        text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'paid', 'void', 'uncollectible')),
    currency      text NOT NULL DEFAULT 'USD',
    subtotal_cents bigint NOT NULL DEFAULT 0,
    credit_applied_cents bigint NOT NULL DEFAULT 0 CHECK (credit_applied_cents >= 0),
    total_cents   bigint NOT NULL DEFAULT 0,
    period_start  timestamptz,
    period_end    timestamptz,
    idempotency_key text NOT NULL UNIQUE,
    provider_invoice_id text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    finalized_at  timestamptz,
    paid_at       timestamptz
);
CREATE INDEX invoices_tenant ON invoices (tenant_id, created_at DESC);
CREATE INDEX invoices_open ON invoices (tenant_id) WHERE status = 'open';

CREATE TABLE invoice_number_sequences (
    year        integer PRIMARY KEY,
    last_number integer NOT NULL
);

CREATE TABLE invoice_lines (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id   uuid NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    description  text NOT NULL,
    amount_cents bigint NOT NULL,
    period_start timestamptz,
    period_end   timestamptz
);
CREATE INDEX invoice_lines_invoice ON invoice_lines (invoice_id);

CREATE TABLE payments (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    invoice_id      uuid NOT NULL REFERENCES invoices (id),
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    amount_cents    bigint NOT NULL CHECK (amount_cents >= 0),
    currency        text NOT NULL DEFAULT 'USD',
    status          text NOT NULL CHECK (status IN ('succeeded', 'failed')),
    provider        text NOT NULL,
    provider_payment_id text,
    failure_code    text,
    failure_message text,
    idempotency_key text NOT NULL UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_invoice ON payments (invoice_id);

CREATE TABLE notifications (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   uuid REFERENCES tenants (id),
    channel     text NOT NULL CHECK (channel IN ('email', 'sms')),
    template    text NOT NULL,
    recipient   text NOT NULL,
    subject     text NOT NULL DEFAULT '',
    body        text NOT NULL,
    dedupe_key  text NOT NULL UNIQUE,
    status      text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed', 'cancelled')),
    provider    text,
    provider_id text,
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz
);
CREATE INDEX notifications_tenant ON notifications (tenant_id, created_at DESC);

CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   uuid REFERENCES tenants (id),
    actor       text NOT NULL,
    action      text NOT NULL,
    details     jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, id DESC);

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE api_tokens (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    prefix       text NOT NULL,
    role         text NOT NULL CHECK (role IN ('operator', 'tenant_admin')),
    tenant_id    uuid REFERENCES tenants (id),
    name         text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz,
    CHECK ((role = 'operator') = (tenant_id IS NULL))
);
CREATE INDEX api_tokens_tenant ON api_tokens (tenant_id);

CREATE TABLE stripe_events (
    event_id     text PRIMARY KEY,
    type         text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE stripe_events;
DROP TABLE api_tokens;
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE notifications;
DROP TABLE payments;
DROP TABLE invoice_lines;
DROP TABLE invoice_number_sequences;
DROP TABLE invoices;
DROP TABLE tenant_usage;
DROP TABLE tenant_status_history;
DROP TABLE tenants;
DROP TABLE database_servers;
DROP TABLE subscription_plans;
