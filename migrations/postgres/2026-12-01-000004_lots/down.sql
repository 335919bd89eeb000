DROP TABLE expiry_warnings;
DROP TABLE pending_points;
DROP TABLE lot_allocations;
DROP TABLE lots;
DROP TABLE points_policies;
DELETE FROM ledger_entries WHERE delta = 0; -- postgres only
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_moves; -- postgres only
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_delta_check CHECK (delta <> 0); -- postgres only
ALTER TABLE ledger_entries DROP COLUMN pending_delta; -- postgres only
