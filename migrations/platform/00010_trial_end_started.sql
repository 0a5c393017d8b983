-- +goose Up
-- The trial end a sweep last started for each trial: the trial sweep pages
-- only trials whose trial end is not started for their current end, so its cost
-- follows what is newly due, not the length of the reminder window.
ALTER TABLE tenants ADD COLUMN trial_end_started_for timestamptz;
CREATE INDEX tenants_trial_unstarted ON tenants (trial_ends_at, id)
    WHERE status = 'trial' AND trial_end_started_for IS DISTINCT FROM trial_ends_at;

-- +goose Down
DROP INDEX tenants_trial_unstarted;
ALTER TABLE tenants DROP COLUMN trial_end_started_for;
