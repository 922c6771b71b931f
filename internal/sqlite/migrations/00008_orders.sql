-- The paid order is an order: the pay side places orders that are not paid yet, so the
-- table is named for what it holds. Wire names (transaction_id) stay. SQLite's
-- RENAME TABLE also rewrites the foreign keys of refunds and complaints that point here.

-- +goose Up
ALTER TABLE transactions RENAME TO orders;

-- +goose Down
ALTER TABLE orders RENAME TO transactions;
