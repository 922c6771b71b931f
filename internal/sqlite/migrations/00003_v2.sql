-- V2 notifications go through the same outbox with their own envelope and schedule.

-- +goose Up
ALTER TABLE notifications ADD COLUMN protocol TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE notifications DROP COLUMN protocol;
