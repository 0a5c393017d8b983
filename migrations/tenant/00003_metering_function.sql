-- +goose Up
-- The month's counter is taken only through this function: the tenant's own
-- role may call it (it only ever adds one, up to the limit it is given) but
-- may not write usage_counters itself, so it cannot reset its metering.
-- +goose StatementBegin
CREATE FUNCTION take_transaction(p_month date, p_limit bigint) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    used bigint;
BEGIN
    INSERT INTO public.usage_counters (month) VALUES (p_month) ON CONFLICT (month) DO NOTHING;
    UPDATE public.usage_counters SET transactions = transactions + 1
    WHERE month = p_month AND transactions < p_limit
    RETURNING transactions INTO used;
    RETURN used; -- NULL: the limit is reached
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION take_transaction(date, bigint) FROM PUBLIC;

-- +goose Down
DROP FUNCTION take_transaction(date, bigint);
