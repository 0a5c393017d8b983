-- +goose Up
CREATE TABLE companies (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code       text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,49}$'),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX companies_one_default ON companies (is_default) WHERE is_default;

CREATE TABLE users (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    email      text NOT NULL,
    name       text NOT NULL,
    role       text NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'member')),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (lower(email));
CREATE INDEX users_company ON users (company_id);

CREATE TABLE transactions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id   uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    amount_cents bigint NOT NULL,
    memo         text NOT NULL DEFAULT '',
    posted_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX transactions_posted ON transactions (posted_at);

-- +goose Down
DROP TABLE transactions;
DROP TABLE users;
DROP TABLE companies;
