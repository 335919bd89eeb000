DROP TABLE expiry_warnings;
DROP TABLE pending_points;
DROP TABLE lot_allocations;
DROP TABLE lots;
DROP TABLE points_policies;
DELETE FROM ledger_entries WHERE delta = 0;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_moves;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_delta_check CHECK (delta <> 0);
ALTER TABLE ledger_entries DROP COLUMN pending_delta;
