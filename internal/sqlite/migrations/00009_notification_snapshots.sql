-- A notification keeps what it says as a snapshot of the refund or complaint, which the
-- transport renders for its protocol on every delivery. Rows written before keep their
-- rendered plaintext in resource, and snapshot NULL: they are delivered as rendered then.

-- +goose Up
ALTER TABLE notifications ADD COLUMN snapshot TEXT;

-- +goose Down
-- Rows written since have no rendered plaintext to go back to; an older build cannot
-- deliver them.
ALTER TABLE notifications DROP COLUMN snapshot;
