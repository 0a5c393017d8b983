-- +goose Up
-- Who minted each token: an operator's token id, a tenant admin's, a signup's
-- address, or the command line. Actions taken with a tenant token an operator
-- minted are audited as such.
ALTER TABLE api_tokens ADD COLUMN created_by text NOT NULL DEFAULT 'unknown';

-- +goose Down
ALTER TABLE api_tokens DROP COLUMN created_by;
