-- Consumer complaints 2.0, merchants' images, complaint notifications.

-- +goose Up
CREATE TABLE complaints (
    complaint_id           TEXT    NOT NULL PRIMARY KEY,
    mchid                  TEXT    NOT NULL,
    sp_mchid               TEXT    NOT NULL DEFAULT '',
    transaction_id         TEXT    NOT NULL REFERENCES transactions (transaction_id),
    out_trade_no           TEXT    NOT NULL,
    amount                 INTEGER NOT NULL,
    state                  TEXT    NOT NULL,
    problem_type           TEXT    NOT NULL,
    apply_refund_amount    INTEGER NOT NULL DEFAULT 0,
    detail                 TEXT    NOT NULL,
    -- Sealed (encrypted) value only.
    sealed_payer_phone     TEXT    NOT NULL DEFAULT '',
    payer_openid           TEXT    NOT NULL DEFAULT '',
    user_tags              TEXT    NOT NULL DEFAULT '[]',
    media                  TEXT    NOT NULL DEFAULT '[]',
    full_refunded          INTEGER NOT NULL DEFAULT 0,
    incoming_user_response INTEGER NOT NULL DEFAULT 0,
    user_complaint_times   INTEGER NOT NULL DEFAULT 1,
    refund_action          TEXT    NOT NULL DEFAULT '',
    launch_refund_day      INTEGER NOT NULL DEFAULT 0,
    create_time            INTEGER NOT NULL,
    update_time            INTEGER NOT NULL
) STRICT;

CREATE INDEX complaints_mchid ON complaints (mchid, create_time);
CREATE INDEX complaints_sp_mchid ON complaints (sp_mchid, create_time) WHERE sp_mchid != '';
CREATE INDEX complaints_transaction_id ON complaints (transaction_id);

CREATE TABLE complaint_logs (
    log_id       TEXT    NOT NULL PRIMARY KEY,
    complaint_id TEXT    NOT NULL REFERENCES complaints (complaint_id),
    operator     TEXT    NOT NULL,
    operate_type TEXT    NOT NULL,
    details      TEXT    NOT NULL DEFAULT '',
    images       TEXT    NOT NULL DEFAULT '[]',
    operate_time INTEGER NOT NULL
) STRICT;

CREATE INDEX complaint_logs_complaint_id ON complaint_logs (complaint_id, operate_time);

CREATE TABLE images (
    media_id     TEXT    NOT NULL PRIMARY KEY,
    mchid        TEXT    NOT NULL,
    filename     TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    data         BLOB    NOT NULL,
    create_time  INTEGER NOT NULL
) STRICT;

CREATE TABLE complaint_notify_urls (
    mchid TEXT NOT NULL PRIMARY KEY,
    url   TEXT NOT NULL
) STRICT;

-- A notification is now a refund's or a complaint's: SQLite cannot drop NOT NULL from a
-- column, so the table is rebuilt. notification_attempts keeps referring to it by name.
-- Its rows step aside meanwhile: dropping a parent with children fails the foreign key
-- at once, and a deferred check would still count them at commit (SQLite keeps a
-- counter, which the new parent rows never decrement).
CREATE TABLE attempts_aside AS SELECT * FROM notification_attempts;
DELETE FROM notification_attempts;

CREATE TABLE notifications_new (
    notification_id TEXT    NOT NULL PRIMARY KEY,
    refund_id       TEXT    REFERENCES refunds (refund_id),
    complaint_id    TEXT    REFERENCES complaints (complaint_id),
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
    update_time     INTEGER NOT NULL DEFAULT 0,
    protocol        TEXT    NOT NULL DEFAULT '',
    CHECK ((refund_id IS NULL) != (complaint_id IS NULL))
) STRICT;

INSERT INTO notifications_new (notification_id, refund_id, mchid, event_type, summary, url,
    original_type, resource, status, attempts, next_attempt_at, create_time, update_time, protocol)
SELECT notification_id, refund_id, mchid, event_type, summary, url,
    original_type, resource, status, attempts, next_attempt_at, create_time, update_time, protocol
FROM notifications ORDER BY rowid;

DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;

INSERT INTO notification_attempts SELECT * FROM attempts_aside;
DROP TABLE attempts_aside;

CREATE INDEX notifications_refund_id ON notifications (refund_id);
CREATE INDEX notifications_complaint_id ON notifications (complaint_id);
-- The deliverer's scan: only PENDING notifications are ever due.
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'PENDING';

-- +goose Down
CREATE TABLE attempts_aside AS SELECT a.* FROM notification_attempts a
    JOIN notifications n USING (notification_id) WHERE n.refund_id IS NOT NULL;
DELETE FROM notification_attempts;

CREATE TABLE notifications_old (
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
    update_time     INTEGER NOT NULL DEFAULT 0,
    protocol        TEXT    NOT NULL DEFAULT ''
) STRICT;

INSERT INTO notifications_old
SELECT notification_id, refund_id, mchid, event_type, summary, url,
    original_type, resource, status, attempts, next_attempt_at, create_time, update_time, protocol
FROM notifications WHERE refund_id IS NOT NULL ORDER BY rowid;

DROP TABLE notifications;
ALTER TABLE notifications_old RENAME TO notifications;
INSERT INTO notification_attempts SELECT * FROM attempts_aside;
DROP TABLE attempts_aside;
CREATE INDEX notifications_refund_id ON notifications (refund_id);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'PENDING';

DROP TABLE complaint_notify_urls;
DROP TABLE images;
DROP TABLE complaint_logs;
DROP TABLE complaints;
