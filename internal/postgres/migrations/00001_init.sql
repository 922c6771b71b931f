-- PostgreSQL's schema, equal in meaning to SQLite's after all of its migrations. Times
-- are bigint Unix milliseconds, 0 for "not set", as in SQLite, so that both stores share
-- one encoding (internal/sqltable). Lists and snapshots are JSON text, NULL or '[]' when
-- empty. seq columns keep insertion order, which SQLite's rowid gives.
--
-- The database guards money itself: every idempotency key is UNIQUE, and CHECK keeps
-- amounts non-negative and within what was paid, whatever a node's code does.

-- +goose Up
CREATE TABLE merchants (
    mchid              text   NOT NULL PRIMARY KEY,
    kind               text   NOT NULL,
    sp_mchid           text   NOT NULL DEFAULT '',
    appid              text   NOT NULL DEFAULT '',
    cert_serial        text   NOT NULL DEFAULT '',
    cert_pem           text   NOT NULL DEFAULT '',
    -- apiv3_key and apiv2_key hold sealed values when the store has a sealer.
    apiv3_key          text   NOT NULL DEFAULT '',
    apiv2_key          text   NOT NULL DEFAULT '',
    private_key_file   text   NOT NULL DEFAULT '',
    cert_file          text   NOT NULL DEFAULT '',
    create_time        bigint NOT NULL DEFAULT 0,
    notify_url         text   NOT NULL DEFAULT '',
    notify_mode        text   NOT NULL DEFAULT '',
    rate_profile       text   NOT NULL DEFAULT '',
    former_cert_serial text   NOT NULL DEFAULT ''
);

CREATE TABLE orders (
    transaction_id   text    NOT NULL PRIMARY KEY,
    out_trade_no     text    NOT NULL,
    mchid            text    NOT NULL REFERENCES merchants (mchid),
    sp_mchid         text    NOT NULL DEFAULT '',
    appid            text    NOT NULL DEFAULT '',
    sub_appid        text    NOT NULL DEFAULT '',
    total            bigint  NOT NULL CHECK (total >= 0),
    payer_total      bigint  NOT NULL CHECK (payer_total >= 0),
    currency         text    NOT NULL DEFAULT '',
    promotions       text,
    bank_type        text    NOT NULL DEFAULT '',
    success_time     bigint  NOT NULL DEFAULT 0,
    create_time      bigint  NOT NULL DEFAULT 0,
    refund_outcome   text    NOT NULL DEFAULT '',
    refunded         bigint  NOT NULL DEFAULT 0 CHECK (refunded >= 0),
    refund_count     bigint  NOT NULL DEFAULT 0 CHECK (refund_count >= 0),
    last_refund_at   bigint  NOT NULL DEFAULT 0,
    trade_type       text    NOT NULL DEFAULT '',
    trade_state      text    NOT NULL DEFAULT '',
    trade_state_desc text    NOT NULL DEFAULT '',
    description      text    NOT NULL DEFAULT '',
    attach           text    NOT NULL DEFAULT '',
    notify_url       text    NOT NULL DEFAULT '',
    goods_tag        text    NOT NULL DEFAULT '',
    time_expire      bigint  NOT NULL DEFAULT 0,
    support_fapiao   boolean NOT NULL DEFAULT false,
    limit_pay        text    NOT NULL DEFAULT '[]',
    profit_sharing   boolean NOT NULL DEFAULT false,
    payer_openid     text    NOT NULL DEFAULT '',
    sp_openid        text    NOT NULL DEFAULT '',
    sub_openid       text    NOT NULL DEFAULT '',
    payer_client_ip  text    NOT NULL DEFAULT '',
    -- NULL rather than '' when absent, so that UNIQUE holds only among real ones.
    prepay_id        text    UNIQUE,
    code_url         text    UNIQUE,
    h5_url           text    NOT NULL DEFAULT '',
    place_digest     text    NOT NULL DEFAULT '',
    protocol         text    NOT NULL DEFAULT '',
    UNIQUE (mchid, out_trade_no),
    -- An order never gives back more than was paid for it.
    CHECK (refunded <= total)
);

CREATE TABLE refunds (
    refund_id             text   NOT NULL PRIMARY KEY,
    out_refund_no         text   NOT NULL,
    mchid                 text   NOT NULL,
    sp_mchid              text   NOT NULL DEFAULT '',
    transaction_id        text   NOT NULL REFERENCES orders (transaction_id),
    out_trade_no          text   NOT NULL DEFAULT '',
    api                   text   NOT NULL,
    reason                text   NOT NULL DEFAULT '',
    notify_url            text   NOT NULL DEFAULT '',
    funds_account         text   NOT NULL DEFAULT '',
    refund_account        text   NOT NULL DEFAULT '',
    sp_appid              text   NOT NULL DEFAULT '',
    sub_appid             text   NOT NULL DEFAULT '',
    amount_refund         bigint NOT NULL CHECK (amount_refund >= 0),
    amount_total          bigint NOT NULL CHECK (amount_total >= 0),
    payer_total           bigint NOT NULL DEFAULT 0 CHECK (payer_total >= 0),
    payer_refund          bigint NOT NULL DEFAULT 0 CHECK (payer_refund >= 0),
    settlement_total      bigint NOT NULL DEFAULT 0 CHECK (settlement_total >= 0),
    settlement_refund     bigint NOT NULL DEFAULT 0 CHECK (settlement_refund >= 0),
    discount_refund       bigint NOT NULL DEFAULT 0 CHECK (discount_refund >= 0),
    currency              text   NOT NULL DEFAULT '',
    amount_from           text,
    promotions            text,
    goods_detail          text,
    status                text   NOT NULL,
    channel               text   NOT NULL DEFAULT '',
    user_received_account text   NOT NULL DEFAULT '',
    create_time           bigint NOT NULL DEFAULT 0,
    success_time          bigint NOT NULL DEFAULT 0,
    update_time           bigint NOT NULL DEFAULT 0,
    settle_at             bigint NOT NULL DEFAULT 0,
    outcome               text   NOT NULL DEFAULT '',
    abnormal_type         text   NOT NULL DEFAULT '',
    bank_type             text   NOT NULL DEFAULT '',
    -- Sealed (encrypted) values only.
    sealed_bank_account   text   NOT NULL DEFAULT '',
    sealed_real_name      text   NOT NULL DEFAULT '',
    seq                   bigint GENERATED ALWAYS AS IDENTITY,
    UNIQUE (mchid, out_refund_no),
    -- A refund never gives back more than its order's total.
    CHECK (amount_refund <= amount_total)
);

CREATE INDEX refunds_transaction_id ON refunds (transaction_id, create_time, seq);
-- Only PROCESSING refunds with a settle time are ever due; DueRefunds spells the same
-- predicate so that the planner can use this index.
CREATE INDEX refunds_due ON refunds (settle_at, seq) WHERE status = 'PROCESSING' AND settle_at > 0;

CREATE TABLE settings (
    key   text NOT NULL PRIMARY KEY,
    -- Sealed when the store has a sealer.
    value text NOT NULL
);

CREATE TABLE complaints (
    complaint_id           text    NOT NULL PRIMARY KEY,
    mchid                  text    NOT NULL,
    sp_mchid               text    NOT NULL DEFAULT '',
    transaction_id         text    NOT NULL REFERENCES orders (transaction_id),
    out_trade_no           text    NOT NULL,
    amount                 bigint  NOT NULL CHECK (amount >= 0),
    state                  text    NOT NULL,
    problem_type           text    NOT NULL,
    apply_refund_amount    bigint  NOT NULL DEFAULT 0 CHECK (apply_refund_amount >= 0),
    detail                 text    NOT NULL,
    -- Sealed (encrypted) value only.
    sealed_payer_phone     text    NOT NULL DEFAULT '',
    payer_openid           text    NOT NULL DEFAULT '',
    user_tags              text    NOT NULL DEFAULT '[]',
    media                  text    NOT NULL DEFAULT '[]',
    full_refunded          boolean NOT NULL DEFAULT false,
    incoming_user_response boolean NOT NULL DEFAULT false,
    user_complaint_times   bigint  NOT NULL DEFAULT 1,
    refund_action          text    NOT NULL DEFAULT '',
    launch_refund_day      bigint  NOT NULL DEFAULT 0,
    create_time            bigint  NOT NULL,
    update_time            bigint  NOT NULL,
    seq                    bigint  GENERATED ALWAYS AS IDENTITY
);

CREATE INDEX complaints_mchid ON complaints (mchid, create_time);
CREATE INDEX complaints_sp_mchid ON complaints (sp_mchid, create_time) WHERE sp_mchid <> '';
CREATE INDEX complaints_transaction_id ON complaints (transaction_id);

CREATE TABLE complaint_logs (
    log_id       text   NOT NULL PRIMARY KEY,
    complaint_id text   NOT NULL REFERENCES complaints (complaint_id),
    operator     text   NOT NULL,
    operate_type text   NOT NULL,
    details      text   NOT NULL DEFAULT '',
    images       text   NOT NULL DEFAULT '[]',
    operate_time bigint NOT NULL,
    seq          bigint GENERATED ALWAYS AS IDENTITY
);

CREATE INDEX complaint_logs_complaint_id ON complaint_logs (complaint_id, operate_time, seq);

CREATE TABLE images (
    media_id     text   NOT NULL PRIMARY KEY,
    mchid        text   NOT NULL,
    filename     text   NOT NULL,
    content_type text   NOT NULL,
    data         bytea  NOT NULL,
    create_time  bigint NOT NULL
);

CREATE TABLE complaint_notify_urls (
    mchid text NOT NULL PRIMARY KEY,
    url   text NOT NULL
);

-- A notification is a refund's, a complaint's or an order's: exactly one reference set.
CREATE TABLE notifications (
    notification_id text   NOT NULL PRIMARY KEY,
    refund_id       text   REFERENCES refunds (refund_id),
    complaint_id    text   REFERENCES complaints (complaint_id),
    order_id        text   REFERENCES orders (transaction_id),
    mchid           text   NOT NULL,
    event_type      text   NOT NULL,
    summary         text   NOT NULL DEFAULT '',
    url             text   NOT NULL,
    original_type   text   NOT NULL DEFAULT '',
    resource        text   NOT NULL,
    status          text   NOT NULL,
    attempts        bigint NOT NULL DEFAULT 0,
    next_attempt_at bigint NOT NULL DEFAULT 0,
    create_time     bigint NOT NULL DEFAULT 0,
    update_time     bigint NOT NULL DEFAULT 0,
    protocol        text   NOT NULL DEFAULT '',
    snapshot        text,
    seq             bigint GENERATED ALWAYS AS IDENTITY,
    CHECK (num_nonnulls(refund_id, complaint_id, order_id) = 1)
);

CREATE INDEX notifications_refund_id ON notifications (refund_id);
CREATE INDEX notifications_complaint_id ON notifications (complaint_id);
CREATE INDEX notifications_order_id ON notifications (order_id);
-- The deliverer's scan: only PENDING notifications are ever due.
CREATE INDEX notifications_due ON notifications (next_attempt_at, seq) WHERE status = 'PENDING';

CREATE TABLE notification_attempts (
    notification_id text   NOT NULL REFERENCES notifications (notification_id),
    number          bigint NOT NULL,
    at              bigint NOT NULL,
    status_code     bigint NOT NULL DEFAULT 0,
    response        text   NOT NULL DEFAULT '',
    latency_us      bigint NOT NULL DEFAULT 0,
    error           text   NOT NULL DEFAULT '',
    PRIMARY KEY (notification_id, number)
);

CREATE TABLE coupon_stocks (
    stock_id             text   NOT NULL PRIMARY KEY,
    creator              text   NOT NULL,
    belong_merchant      text   NOT NULL,
    out_request_no       text   NOT NULL,
    stock_type           text   NOT NULL,
    coupon_code_mode     text   NOT NULL,
    begin_time           bigint NOT NULL,
    end_time             bigint NOT NULL,
    max_coupons          bigint NOT NULL,
    max_coupons_per_user bigint NOT NULL,
    sent                 bigint NOT NULL DEFAULT 0 CHECK (sent >= 0),
    -- What no query filters on: amount rules and display fields, as JSON.
    rules                text   NOT NULL,
    create_time          bigint NOT NULL,
    UNIQUE (creator, out_request_no)
);

CREATE TABLE coupons (
    stock_id              text   NOT NULL REFERENCES coupon_stocks (stock_id),
    coupon_code           text   NOT NULL,
    openid                text   NOT NULL,
    appid                 text   NOT NULL,
    sender                text   NOT NULL,
    state                 text   NOT NULL,
    send_request_no       text   NOT NULL,
    receive_time          bigint NOT NULL,
    available_start_time  bigint NOT NULL,
    expire_time           bigint NOT NULL,
    use_request_no        text   NOT NULL DEFAULT '',
    use_time              bigint NOT NULL DEFAULT 0,
    transaction_id        text   NOT NULL DEFAULT '',
    return_request_no     text   NOT NULL DEFAULT '',
    return_time           bigint NOT NULL DEFAULT 0,
    deactivate_request_no text   NOT NULL DEFAULT '',
    deactivate_time       bigint NOT NULL DEFAULT 0,
    deactivate_reason     text   NOT NULL DEFAULT '',
    seq                   bigint GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (stock_id, coupon_code),
    UNIQUE (stock_id, openid, send_request_no)
);

CREATE INDEX coupons_by_code ON coupons (coupon_code);
CREATE INDEX coupons_by_user ON coupons (openid, appid);

-- Use, return and deactivate request numbers, each usable once per merchant and kind.
CREATE TABLE coupon_requests (
    mchid       text   NOT NULL,
    kind        text   NOT NULL,
    request_no  text   NOT NULL,
    stock_id    text   NOT NULL,
    coupon_code text   NOT NULL,
    time        bigint NOT NULL,
    PRIMARY KEY (mchid, kind, request_no)
);

-- UNIQUE (refund_id) is what keeps an advance from being repaid twice.
CREATE TABLE advance_returns (
    advance_return_id text   NOT NULL PRIMARY KEY,
    refund_id         text   NOT NULL UNIQUE REFERENCES refunds (refund_id),
    payer_mchid       text   NOT NULL,
    payer_account     text   NOT NULL,
    payee_mchid       text   NOT NULL,
    payee_account     text   NOT NULL,
    return_amount     bigint NOT NULL CHECK (return_amount >= 0),
    result            text   NOT NULL,
    create_time       bigint NOT NULL,
    success_time      bigint NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE advance_returns;
DROP TABLE coupon_requests;
DROP TABLE coupons;
DROP TABLE coupon_stocks;
DROP TABLE notification_attempts;
DROP TABLE notifications;
DROP TABLE complaint_notify_urls;
DROP TABLE images;
DROP TABLE complaint_logs;
DROP TABLE complaints;
DROP TABLE settings;
DROP TABLE refunds;
DROP TABLE orders;
DROP TABLE merchants;
