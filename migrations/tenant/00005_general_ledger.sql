-- +goose Up
-- The finance module's general ledger (the example ERP service posts to it):
-- a chart of accounts, and journal entries of balanced lines, one company's each.
CREATE TABLE gl_accounts (
    code text PRIMARY KEY CHECK (code ~ '^[0-9]{4}$'),
    name text NOT NULL,
    type text NOT NULL CHECK (type IN ('asset', 'liability', 'equity', 'income', 'expense'))
);
INSERT INTO gl_accounts (code, name, type) VALUES
    ('1000', 'Cash', 'asset'),
    ('1200', 'Accounts receivable', 'asset'),
    ('2000', 'Accounts payable', 'liability'),
    ('3000', 'Owner''s equity', 'equity'),
    ('4000', 'Sales', 'income'),
    ('5000', 'Operating expenses', 'expense');

CREATE TABLE gl_journal_entries (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id      uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    entry_date      date NOT NULL,
    memo            text NOT NULL DEFAULT '' CHECK (length(memo) <= 500),
    posted_by       uuid NOT NULL, -- the user who posted it
    idempotency_key text CHECK (length(idempotency_key) BETWEEN 1 AND 100),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (company_id, idempotency_key)
);
CREATE INDEX gl_journal_entries_company ON gl_journal_entries (company_id, entry_date DESC, created_at DESC);

CREATE TABLE gl_journal_lines (
    entry_id     uuid NOT NULL REFERENCES gl_journal_entries (id) ON DELETE CASCADE,
    line_no      int NOT NULL CHECK (line_no > 0),
    account_code text NOT NULL REFERENCES gl_accounts (code),
    debit_cents  bigint NOT NULL DEFAULT 0 CHECK (debit_cents >= 0),
    credit_cents bigint NOT NULL DEFAULT 0 CHECK (credit_cents >= 0),
    CHECK ((debit_cents > 0) <> (credit_cents > 0)),
    PRIMARY KEY (entry_id, line_no)
);

-- An entry's debits equal its credits, checked when its transaction commits.
-- +goose StatementBegin
CREATE FUNCTION gl_entry_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    entry uuid := coalesce(to_jsonb(NEW) ->> 'entry_id', to_jsonb(NEW) ->> 'id')::uuid; -- a line's entry, or the entry
    debits bigint;
    credits bigint;
    lines int;
BEGIN
    SELECT coalesce(sum(debit_cents), 0), coalesce(sum(credit_cents), 0), count(*)
    INTO debits, credits, lines FROM gl_journal_lines WHERE entry_id = entry;
    IF EXISTS (SELECT 1 FROM gl_journal_entries WHERE id = entry) AND (lines < 2 OR debits <> credits) THEN
        RAISE EXCEPTION 'journal entry % is not balanced: % debit, % credit in % lines', entry, debits, credits, lines
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER gl_journal_entries_balanced AFTER INSERT ON gl_journal_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gl_entry_balanced();
CREATE CONSTRAINT TRIGGER gl_journal_lines_balanced AFTER INSERT OR UPDATE ON gl_journal_lines
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gl_entry_balanced();

-- +goose Down
DROP TABLE gl_journal_lines;
DROP TABLE gl_journal_entries;
DROP FUNCTION gl_entry_balanced();
DROP TABLE gl_accounts;
