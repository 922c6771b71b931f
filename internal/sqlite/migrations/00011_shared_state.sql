-- State that every node sharing the database must see: the nonces of signed requests
-- (replay protection), the sandbox's fault rules with the counters nodes consume, and the
-- marks of magic numbers that act once. Times are Unix milliseconds, as elsewhere.

-- +goose Up
CREATE TABLE nonces (
    mchid      TEXT    NOT NULL,
    nonce      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (mchid, nonce)
);
CREATE INDEX nonces_expires_at ON nonces (expires_at);

CREATE TABLE fault_rules (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    api       TEXT    NOT NULL,
    spec      TEXT    NOT NULL,
    fired     INTEGER NOT NULL DEFAULT 0,
    remaining INTEGER NOT NULL,
    draws     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX fault_rules_api ON fault_rules (api);

CREATE TABLE fault_marks (
    key TEXT PRIMARY KEY
);

-- +goose Down
DROP TABLE fault_marks;
DROP TABLE fault_rules;
DROP TABLE nonces;
