-- Runs once, when the postgres service initialises an empty data volume
-- (/docker-entrypoint-initdb.d). To run it again: docker compose down -v.
--
--   kliovo               the app: migrations (npm run db:migrate), projection, users
--   temporal             Temporal persistence; auto-setup installs and upgrades its schema
--   temporal_visibility  Temporal's SQL visibility store (list filters and search attributes)
--
-- The temporal service runs with SKIP_DB_CREATE=true, so these are the only CREATE DATABASE
-- statements in the stack.
CREATE DATABASE kliovo;
CREATE DATABASE temporal;
CREATE DATABASE temporal_visibility;
