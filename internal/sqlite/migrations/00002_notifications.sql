-- Merchant settings, abnormal-refund rescue, the notification outbox.

-- +goose Up
ALTER TABLE merchants ADD COLUMN notify_url TEXT NOT NULL DEFAULT '';
ALTER TABLE merchants ADD COLUMN notify_mode TEXT NOT NULL DEFAULT '';
ALTER TABLE merchants ADD COLUMN rate_profile TEXT NOT NULL DEFAULT '';

-- Bank account and real name hold sealed (encrypted) values only.
ALTER TABLE refunds ADD COLUMN abnormal_type TEXT NOT NULL DEFAULT '';
ALTER TABLE refunds ADD COLUMN bank_type TEXT NOT NULL DEFAULT '';
ALTER TABLE refunds ADD COLUMN sealed_bank_account TEXT NOT NULL DEFAULT '';
ALTER TABLE refunds ADD COLUMN sealed_real_name TEXT NOT NULL DEFAULT '';

CREATE TABLE notifications (
    notification_id TEXT    NOT NULL PRIMARY KEY,
    refund_id       TEXT    NOT NULL REFERENCES refunds (refund_id),
    mchid           TEXT    NOT NULL,
    event_type      TEXT    NOT NULL,
    summary         TEXT    NOT NULL DEFAULT '',
    url             TEXT    NOT NULL,
    original_type   TEXT    NOT NULL DEFAULT '',
    resource        TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    create_time     INTEGER NOT NULL DEFAULT 0,
    update_time     INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX notifications_refund_id ON notifications (refund_id);

-- The deliverer's scan: only PENDING notifications are ever due.
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'PENDING';

CREATE TABLE notification_attempts (
    notification_id TEXT    NOT NULL REFERENCES notifications (notification_id),
    number          INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    status_code     INTEGER NOT NULL DEFAULT 0,
    response        TEXT    NOT NULL DEFAULT '',
    latency_us      INTEGER NOT NULL DEFAULT 0,
    error           TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (notification_id, number)
) STRICT;

-- +goose Down
DROP TABLE notification_attempts;
DROP TABLE notifications;
ALTER TABLE refunds DROP COLUMN sealed_real_name;
ALTER TABLE refunds DROP COLUMN sealed_bank_account;
ALTER TABLE refunds DROP COLUMN bank_type;
ALTER TABLE refunds DROP COLUMN abnormal_type;
ALTER TABLE merchants DROP COLUMN rate_profile;
ALTER TABLE merchants DROP COLUMN notify_mode;
ALTER TABLE merchants DROP COLUMN notify_url;
