-- What the console reads: the request journal, and indexes that keep its lists of
-- orders, refunds, notifications and stocks fast at millions of rows. Lists are newest
-- first with seq breaking ties, so each index ends in seq for "ORDER BY create_time
-- DESC, seq DESC" to read it backwards without a sort.

-- +goose Up
CREATE TABLE journal (
    id         bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         bigint  NOT NULL,
    node       text    NOT NULL DEFAULT '',
    request_id text    NOT NULL DEFAULT '',
    mchid      text    NOT NULL DEFAULT '',
    api        text    NOT NULL DEFAULT '',
    method     text    NOT NULL,
    target     text    NOT NULL,
    status     integer NOT NULL,
    code       text    NOT NULL DEFAULT '',
    latency_us bigint  NOT NULL DEFAULT 0,
    request    text    NOT NULL DEFAULT '',
    answer     text    NOT NULL DEFAULT '',
    diagnosis  text    NOT NULL DEFAULT ''
);
-- Each filter of the journal with the newest-first paging by id behind it.
CREATE INDEX journal_mchid ON journal (mchid, id);
CREATE INDEX journal_api ON journal (api, id);
CREATE INDEX journal_status ON journal (status, id);
CREATE INDEX journal_code ON journal (code, id);

-- Orders and stocks had no insertion order yet. Existing rows are numbered in the
-- order the table holds them, which is close to the order they came in.
ALTER TABLE orders ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE coupon_stocks ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;

CREATE INDEX orders_create_time ON orders (create_time, seq);
CREATE INDEX orders_mchid ON orders (mchid, create_time, seq);
CREATE INDEX orders_sp_mchid ON orders (sp_mchid, create_time, seq) WHERE sp_mchid <> '';
CREATE INDEX orders_out_trade_no ON orders (out_trade_no);
CREATE INDEX orders_trade_state ON orders (trade_state, create_time, seq);

CREATE INDEX refunds_create_time ON refunds (create_time, seq);
-- Also what counting refunds by status scans, without reading the table.
CREATE INDEX refunds_status ON refunds (status, create_time, seq);
CREATE INDEX refunds_mchid ON refunds (mchid, create_time, seq);
CREATE INDEX refunds_sp_mchid ON refunds (sp_mchid, create_time, seq) WHERE sp_mchid <> '';
CREATE INDEX refunds_out_refund_no ON refunds (out_refund_no);

CREATE INDEX notifications_update_time ON notifications (update_time, seq);
CREATE INDEX notifications_status ON notifications (status, update_time, seq);
CREATE INDEX notifications_mchid ON notifications (mchid, update_time, seq);

CREATE INDEX coupon_stocks_create_time ON coupon_stocks (create_time, seq);
CREATE INDEX coupon_stocks_creator ON coupon_stocks (creator, create_time, seq);

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
ALTER TABLE coupon_stocks DROP COLUMN seq;
ALTER TABLE orders DROP COLUMN seq;
DROP TABLE journal;
