-- Merchant coupons (商家券). A stock's amount rules and display fields, which no
-- query filters on, are one JSON column; the rest are columns.

-- +goose Up
CREATE TABLE coupon_stocks (
    stock_id             TEXT    NOT NULL PRIMARY KEY,
    creator              TEXT    NOT NULL,
    belong_merchant      TEXT    NOT NULL,
    out_request_no       TEXT    NOT NULL,
    stock_type           TEXT    NOT NULL,
    coupon_code_mode     TEXT    NOT NULL,
    begin_time           INTEGER NOT NULL,
    end_time             INTEGER NOT NULL,
    max_coupons          INTEGER NOT NULL,
    max_coupons_per_user INTEGER NOT NULL,
    sent                 INTEGER NOT NULL DEFAULT 0,
    rules                TEXT    NOT NULL,
    create_time          INTEGER NOT NULL,
    UNIQUE (creator, out_request_no)
) STRICT;

CREATE TABLE coupons (
    stock_id              TEXT    NOT NULL REFERENCES coupon_stocks (stock_id),
    coupon_code           TEXT    NOT NULL,
    openid                TEXT    NOT NULL,
    appid                 TEXT    NOT NULL,
    sender                TEXT    NOT NULL,
    state                 TEXT    NOT NULL,
    send_request_no       TEXT    NOT NULL,
    receive_time          INTEGER NOT NULL,
    available_start_time  INTEGER NOT NULL,
    expire_time           INTEGER NOT NULL,
    use_request_no        TEXT    NOT NULL DEFAULT '',
    use_time              INTEGER NOT NULL DEFAULT 0,
    transaction_id        TEXT    NOT NULL DEFAULT '',
    return_request_no     TEXT    NOT NULL DEFAULT '',
    return_time           INTEGER NOT NULL DEFAULT 0,
    deactivate_request_no TEXT    NOT NULL DEFAULT '',
    deactivate_time       INTEGER NOT NULL DEFAULT 0,
    deactivate_reason     TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (stock_id, coupon_code),
    UNIQUE (stock_id, openid, send_request_no)
) STRICT;

CREATE INDEX coupons_by_code ON coupons (coupon_code);
CREATE INDEX coupons_by_user ON coupons (openid, appid);

-- Use, return and deactivate request numbers, each usable once per merchant and kind.
CREATE TABLE coupon_requests (
    mchid       TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    request_no  TEXT    NOT NULL,
    stock_id    TEXT    NOT NULL,
    coupon_code TEXT    NOT NULL,
    time        INTEGER NOT NULL,
    PRIMARY KEY (mchid, kind, request_no)
) STRICT;

-- +goose Down
DROP TABLE coupon_requests;
DROP TABLE coupons;
DROP TABLE coupon_stocks;
