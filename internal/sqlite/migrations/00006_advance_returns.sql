-- Advance returns (垫付回补): the sub-merchant paying its platform back for a refund the
-- platform advanced. UNIQUE (refund_id) is what keeps an advance from being repaid twice.

-- +goose Up
CREATE TABLE advance_returns (
    advance_return_id TEXT    NOT NULL PRIMARY KEY,
    refund_id         TEXT    NOT NULL UNIQUE REFERENCES refunds (refund_id),
    payer_mchid       TEXT    NOT NULL,
    payer_account     TEXT    NOT NULL,
    payee_mchid       TEXT    NOT NULL,
    payee_account     TEXT    NOT NULL,
    return_amount     INTEGER NOT NULL,
    result            TEXT    NOT NULL,
    create_time       INTEGER NOT NULL,
    success_time      INTEGER NOT NULL DEFAULT 0
) STRICT;

-- +goose Down
DROP TABLE advance_returns;
