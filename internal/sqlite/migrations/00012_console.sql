-- What the console reads: the request journal, and indexes that keep its lists of
-- orders, refunds, notifications and stocks fast at millions of rows. Lists are newest
-- first with rowid breaking ties; every SQLite index ends in the rowid, so an index on
-- (x, create_time) serves "WHERE x = ? ORDER BY create_time DESC, rowid DESC" in order.

-- +goose Up
-- AUTOINCREMENT, unlike a plain INTEGER PRIMARY KEY, never gives an id again once the
-- newest entries are trimmed away, so that a client paging with "id < Before" and the
-- journal's order by arrival stay true.
CREATE TABLE journal (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    node       TEXT    NOT NULL DEFAULT '',
    request_id TEXT    NOT NULL DEFAULT '',
    mchid      TEXT    NOT NULL DEFAULT '',
    api        TEXT    NOT NULL DEFAULT '',
    method     TEXT    NOT NULL,
    target     TEXT    NOT NULL,
    status     INTEGER NOT NULL,
    code       TEXT    NOT NULL DEFAULT '',
    latency_us INTEGER NOT NULL DEFAULT 0,
    request    TEXT    NOT NULL DEFAULT '',
    answer     TEXT    NOT NULL DEFAULT '',
    diagnosis  TEXT    NOT NULL DEFAULT ''
) STRICT;
-- Each filter of the journal with the newest-first paging by id behind it.
CREATE INDEX journal_mchid ON journal (mchid, id);
CREATE INDEX journal_api ON journal (api, id);
CREATE INDEX journal_status ON journal (status, id);
CREATE INDEX journal_code ON journal (code, id);

CREATE INDEX orders_create_time ON orders (create_time);
CREATE INDEX orders_mchid ON orders (mchid, create_time);
CREATE INDEX orders_sp_mchid ON orders (sp_mchid, create_time) WHERE sp_mchid != '';
CREATE INDEX orders_out_trade_no ON orders (out_trade_no);
CREATE INDEX orders_trade_state ON orders (trade_state, create_time);

CREATE INDEX refunds_create_time ON refunds (create_time);
-- Also what counting refunds by status scans, without reading the table.
CREATE INDEX refunds_status ON refunds (status, create_time);
CREATE INDEX refunds_mchid ON refunds (mchid, create_time);
CREATE INDEX refunds_sp_mchid ON refunds (sp_mchid, create_time) WHERE sp_mchid != '';
CREATE INDEX refunds_out_refund_no ON refunds (out_refund_no);

CREATE INDEX notifications_update_time ON notifications (update_time);
CREATE INDEX notifications_status ON notifications (status, update_time);
CREATE INDEX notifications_mchid ON notifications (mchid, update_time);

CREATE INDEX coupon_stocks_create_time ON coupon_stocks (create_time);
CREATE INDEX coupon_stocks_creator ON coupon_stocks (creator, create_time);

-- +goose Down
DROP INDEX coupon_stocks_creator;
DROP INDEX coupon_stocks_create_time;
DROP INDEX notifications_mchid;
DROP INDEX notifications_status;
DROP INDEX notifications_update_time;
DROP INDEX refunds_out_refund_no;
DROP INDEX refunds_sp_mchid;
DROP INDEX refunds_mchid;
DROP INDEX refunds_status;
DROP INDEX refunds_create_time;
DROP INDEX orders_trade_state;
DROP INDEX orders_out_trade_no;
DROP INDEX orders_sp_mchid;
DROP INDEX orders_mchid;
DROP INDEX orders_create_time;
DROP TABLE journal;
