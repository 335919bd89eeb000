DROP INDEX oauth_states_expiry;
DROP TABLE oauth_states;
