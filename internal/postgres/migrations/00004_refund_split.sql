-- An order keeps what its active refunds returned to the payer and to each promotion,
-- so that a new refund is split without reading the others. NULL on the orders already
-- stored: the next refund of one computes it from its refunds, once.

-- +goose Up
ALTER TABLE orders ADD COLUMN refund_split text;

-- +goose Down
ALTER TABLE orders DROP COLUMN refund_split;
