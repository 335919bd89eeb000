DROP INDEX claims_customer_created;
DROP INDEX ledger_customer_created;
