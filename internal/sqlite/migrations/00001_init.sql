-- Times are INTEGER unix milliseconds, 0 for "not set". Lists are JSON TEXT, NULL when
-- empty. STRICT makes SQLite refuse a value of the wrong type instead of storing it.

-- +goose Up
CREATE TABLE merchants (
    mchid            TEXT    NOT NULL PRIMARY KEY,
    kind             TEXT    NOT NULL,
    sp_mchid         TEXT    NOT NULL DEFAULT '',
    appid            TEXT    NOT NULL DEFAULT '',
    cert_serial      TEXT    NOT NULL DEFAULT '',
    cert_pem         TEXT    NOT NULL DEFAULT '',
    apiv3_key        TEXT    NOT NULL DEFAULT '',
    apiv2_key        TEXT    NOT NULL DEFAULT '',
    private_key_file TEXT    NOT NULL DEFAULT '',
    cert_file        TEXT    NOT NULL DEFAULT '',
    create_time      INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE transactions (
    transaction_id TEXT    NOT NULL PRIMARY KEY,
    out_trade_no   TEXT    NOT NULL,
    mchid          TEXT    NOT NULL REFERENCES merchants (mchid),
    sp_mchid       TEXT    NOT NULL DEFAULT '',
    appid          TEXT    NOT NULL DEFAULT '',
    sub_appid      TEXT    NOT NULL DEFAULT '',
    total          INTEGER NOT NULL,
    payer_total    INTEGER NOT NULL,
    currency       TEXT    NOT NULL DEFAULT '',
    promotions     TEXT,
    bank_type      TEXT    NOT NULL DEFAULT '',
    success_time   INTEGER NOT NULL DEFAULT 0,
    create_time    INTEGER NOT NULL DEFAULT 0,
    refund_outcome TEXT    NOT NULL DEFAULT '',
    refunded       INTEGER NOT NULL DEFAULT 0,
    refund_count   INTEGER NOT NULL DEFAULT 0,
    last_refund_at INTEGER NOT NULL DEFAULT 0,
    UNIQUE (mchid, out_trade_no)
) STRICT;

CREATE TABLE refunds (
    refund_id             TEXT    NOT NULL PRIMARY KEY,
    out_refund_no         TEXT    NOT NULL,
    mchid                 TEXT    NOT NULL,
    sp_mchid              TEXT    NOT NULL DEFAULT '',
    transaction_id        TEXT    NOT NULL REFERENCES transactions (transaction_id),
    out_trade_no          TEXT    NOT NULL DEFAULT '',
    api                   TEXT    NOT NULL,
    reason                TEXT    NOT NULL DEFAULT '',
    notify_url            TEXT    NOT NULL DEFAULT '',
    funds_account         TEXT    NOT NULL DEFAULT '',
    refund_account        TEXT    NOT NULL DEFAULT '',
    sp_appid              TEXT    NOT NULL DEFAULT '',
    sub_appid             TEXT    NOT NULL DEFAULT '',
    amount_refund         INTEGER NOT NULL,
    amount_total          INTEGER NOT NULL,
    payer_total           INTEGER NOT NULL DEFAULT 0,
    payer_refund          INTEGER NOT NULL DEFAULT 0,
    settlement_total      INTEGER NOT NULL DEFAULT 0,
    settlement_refund     INTEGER NOT NULL DEFAULT 0,
    discount_refund       INTEGER NOT NULL DEFAULT 0,
    currency              TEXT    NOT NULL DEFAULT '',
    amount_from           TEXT,
    promotions            TEXT,
    goods_detail          TEXT,
    status                TEXT    NOT NULL,
    channel               TEXT    NOT NULL DEFAULT '',
    user_received_account TEXT    NOT NULL DEFAULT '',
    create_time           INTEGER NOT NULL DEFAULT 0,
    success_time          INTEGER NOT NULL DEFAULT 0,
    update_time           INTEGER NOT NULL DEFAULT 0,
    settle_at             INTEGER NOT NULL DEFAULT 0,
    outcome               TEXT    NOT NULL DEFAULT '',
    UNIQUE (mchid, out_refund_no)
) STRICT;

CREATE INDEX refunds_transaction_id ON refunds (transaction_id);

-- Only PROCESSING refunds with a settle time are ever due, so the settler's scan stays
-- small however many settled refunds pile up. DueRefunds must spell the same predicate
-- with literals for SQLite to pick this index.
CREATE INDEX refunds_due ON refunds (settle_at) WHERE status = 'PROCESSING' AND settle_at > 0;

CREATE TABLE settings (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- +goose Down
DROP TABLE settings;
DROP TABLE refunds;
DROP TABLE transactions;
DROP TABLE merchants;
