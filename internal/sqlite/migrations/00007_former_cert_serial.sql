-- A merchant certificate re-issued with a serial in the current form keeps its former
-- serial here, still accepted in Authorization (README, "The data dir").

-- +goose Up
ALTER TABLE merchants ADD COLUMN former_cert_serial TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE merchants DROP COLUMN former_cert_serial;
