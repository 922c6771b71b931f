-- The journal's status and code filters are for finding what failed, and every entry
-- wrote both of their indexes: a sixth of the CPU an entry cost, paid by every request.
-- Partial indexes hold the failures only — an HTTP error, or a code, which a v2 answer
-- carries with a 200 — and cost a successful request nothing. A filter on an error
-- status or a code repeats the index's condition (sqltable.JournalQuery), so that the
-- planner, which cannot see through a bound value, knows the index holds every match;
-- a filter on a success status reads the journal newest first, where successes abound.

-- +goose Up
DROP INDEX journal_status;
DROP INDEX journal_code;
CREATE INDEX journal_failed ON journal (status, id) WHERE status >= 400;
CREATE INDEX journal_coded ON journal (code, id) WHERE code <> '';

-- +goose Down
DROP INDEX journal_failed;
DROP INDEX journal_coded;
CREATE INDEX journal_status ON journal (status, id);
CREATE INDEX journal_code ON journal (code, id);
