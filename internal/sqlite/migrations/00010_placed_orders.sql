-- Orders are placed before they are paid: a placed order keeps what the 下单 request
-- said (trade type, description, payer…) and what it was answered (prepay_id, code_url,
-- h5_url), and trade_state says where it is. Every row before this one was made paid by
-- the sandbox, so it is SUCCESS, or REFUND once one of its refunds succeeded, and NATIVE,
-- the trade type the sandbox's one-step orders are documented as.
--
-- A payment notification names its order, so notifications gain order_id, and their
-- CHECK that exactly one reference is set is widened; SQLite cannot alter a CHECK, so the
-- table is rebuilt as 00004 did.

-- +goose Up
ALTER TABLE orders ADD COLUMN trade_type       TEXT    NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN trade_state      TEXT    NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN trade_state_desc TEXT    NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN description      TEXT    NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN attach           TEXT    NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN notify_url       TEXT    NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN goods_tag        TEXT    NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN time_expire      INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN support_fapiao   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN limit_pay        TEXT    NOT NULL DEFAULT '[]';
ALTER TABLE orders ADD COLUMN profit_sharing   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN payer_openid     TEXT    NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN sp_openid        TEXT    NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN sub_openid       TEXT    NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN payer_client_ip  TEXT    NOT NULL DEFAULT '';
-- NULL rather than '' when absent, so that UNIQUE holds only among real ones.
ALTER TABLE orders ADD COLUMN prepay_id        TEXT;
ALTER TABLE orders ADD COLUMN code_url         TEXT;
ALTER TABLE orders ADD COLUMN h5_url           TEXT    NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN place_digest     TEXT    NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN protocol         TEXT    NOT NULL DEFAULT '';

CREATE UNIQUE INDEX orders_prepay_id ON orders (prepay_id);
CREATE UNIQUE INDEX orders_code_url ON orders (code_url);

UPDATE orders SET trade_type = 'NATIVE', trade_state = 'SUCCESS', trade_state_desc = '支付成功';
UPDATE orders SET trade_state = 'REFUND', trade_state_desc = '转入退款'
WHERE transaction_id IN (SELECT transaction_id FROM refunds WHERE status = 'SUCCESS');

CREATE TABLE attempts_aside AS SELECT * FROM notification_attempts;
DELETE FROM notification_attempts;

CREATE TABLE notifications_new (
    notification_id TEXT    NOT NULL PRIMARY KEY,
    refund_id       TEXT    REFERENCES refunds (refund_id),
    complaint_id    TEXT    REFERENCES complaints (complaint_id),
    order_id        TEXT    REFERENCES orders (transaction_id),
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
    snapshot        TEXT,
    CHECK ((refund_id IS NOT NULL) + (complaint_id IS NOT NULL) + (order_id IS NOT NULL) = 1)
) STRICT;

INSERT INTO notifications_new (notification_id, refund_id, complaint_id, mchid, event_type,
    summary, url, original_type, resource, status, attempts, next_attempt_at, create_time,
    update_time, protocol, snapshot)
SELECT notification_id, refund_id, complaint_id, mchid, event_type,
    summary, url, original_type, resource, status, attempts, next_attempt_at, create_time,
    update_time, protocol, snapshot
FROM notifications ORDER BY rowid;

DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;

INSERT INTO notification_attempts SELECT * FROM attempts_aside;
DROP TABLE attempts_aside;

CREATE INDEX notifications_refund_id ON notifications (refund_id);
CREATE INDEX notifications_complaint_id ON notifications (complaint_id);
CREATE INDEX notifications_order_id ON notifications (order_id);
-- The deliverer's scan: only PENDING notifications are ever due.
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'PENDING';

-- +goose Down
-- Payment notifications have no place in the older table; they go with their attempts.
CREATE TABLE attempts_aside AS SELECT a.* FROM notification_attempts a
    JOIN notifications n USING (notification_id) WHERE n.order_id IS NULL;
DELETE FROM notification_attempts;

CREATE TABLE notifications_old (
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
    snapshot        TEXT,
    CHECK ((refund_id IS NULL) != (complaint_id IS NULL))
) STRICT;

INSERT INTO notifications_old (notification_id, refund_id, complaint_id, mchid, event_type,
    summary, url, original_type, resource, status, attempts, next_attempt_at, create_time,
    update_time, protocol, snapshot)
SELECT notification_id, refund_id, complaint_id, mchid, event_type,
    summary, url, original_type, resource, status, attempts, next_attempt_at, create_time,
    update_time, protocol, snapshot
FROM notifications WHERE order_id IS NULL ORDER BY rowid;

DROP TABLE notifications;
ALTER TABLE notifications_old RENAME TO notifications;

INSERT INTO notification_attempts SELECT * FROM attempts_aside;
DROP TABLE attempts_aside;

CREATE INDEX notifications_refund_id ON notifications (refund_id);
CREATE INDEX notifications_complaint_id ON notifications (complaint_id);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'PENDING';

-- Placed orders that were never paid cannot be told from paid ones once trade_state is
-- gone; they go, with nothing referring to them (a refund or complaint needs a paid order).
DELETE FROM orders WHERE trade_state IN ('NOTPAY', 'CLOSED', 'PAYERROR', 'USERPAYING', 'REVOKED');
DROP INDEX orders_code_url;
DROP INDEX orders_prepay_id;
ALTER TABLE orders DROP COLUMN protocol;
ALTER TABLE orders DROP COLUMN place_digest;
ALTER TABLE orders DROP COLUMN h5_url;
ALTER TABLE orders DROP COLUMN code_url;
ALTER TABLE orders DROP COLUMN prepay_id;
ALTER TABLE orders DROP COLUMN payer_client_ip;
ALTER TABLE orders DROP COLUMN sub_openid;
ALTER TABLE orders DROP COLUMN sp_openid;
ALTER TABLE orders DROP COLUMN payer_openid;
ALTER TABLE orders DROP COLUMN profit_sharing;
ALTER TABLE orders DROP COLUMN limit_pay;
ALTER TABLE orders DROP COLUMN support_fapiao;
ALTER TABLE orders DROP COLUMN time_expire;
ALTER TABLE orders DROP COLUMN goods_tag;
ALTER TABLE orders DROP COLUMN notify_url;
ALTER TABLE orders DROP COLUMN attach;
ALTER TABLE orders DROP COLUMN description;
ALTER TABLE orders DROP COLUMN trade_state_desc;
ALTER TABLE orders DROP COLUMN trade_state;
ALTER TABLE orders DROP COLUMN trade_type;
