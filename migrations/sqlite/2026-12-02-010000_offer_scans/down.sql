DROP INDEX offers_platform;
DROP TABLE campaign_scans;
